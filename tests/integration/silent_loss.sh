#!/bin/sh
# silent_loss.sh: a plan that would send nothing, or less than it says,
# is never silent (conf/REFERENCE.md §6 lateness, §8 check and run).
#   - a plan loaded months after it was issued: `check` warns, a line a
#     distribution or kind with a count, which jobs will expire, why and how
#     to send them anyway; `run --once` logs what it expired; with
#     distribution.at = "now" the distribution really goes, also after an
#     earlier run expired it;
#   - `run --dry-run` applies the real run's lateness, collapse and quiet
#     hours: what it says would go is exactly what `run --once` sends, and it
#     says what would expire or wait and why;
#   - a person no channel of a job reaches (a phone and no email on an
#     email-only distribution) is warned about, once a person and kind, with
#     what would reach them;
#   - two reminders that quiet hours move onto the same minute go as one SMS
#     (the file gateway receives one), and `check` says so.
# Each runs on its own store with `--now T`. Needs LOA.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/late"
cat >"$tmp/late/loa.cfg" <<'EOF'
loa = {
  timezone = "Asia/Ho_Chi_Minh";
  store = "var/loa.db";
  plans = [ "plan.cfg" ];
  quiet_hours = { start = "21:00"; end = "06:30"; };
};
EOF
cat >"$tmp/late/plan.cfg" <<'EOF'
plan = { id = "31/KH"; issued = "2026-03-02"; title = "Thử muộn"; };
people = (
  { id = "p0"; name = "Người 0"; email = "p0@x.example"; },
  { id = "p1"; name = "Người 1"; email = "p1@x.example"; },
  { id = "p2"; name = "Người 2"; email = "p2@x.example"; },
  { id = "p3"; name = "Người 3"; email = "p3@x.example"; },
  { id = "p4"; name = "Người 4"; email = "p4@x.example"; },
  { id = "lan"; name = "Lan"; email = "lan@x.example"; phone = "0912 000 001"; },
  { id = "truong-thon"; name = "Trưởng thôn"; phone = "0912 000 002"; }
);
groups = ( { id = "all"; members = [ "p0", "p1", "p2", "p3", "p4" ]; } );
distribution = { at = "plan.issued at 09:00"; to = [ "all" ]; };
events = ( { id = "hop"; title = "Họp"; start = "2026-08-05 08:00";
  attendees = [ "lan", "truong-thon" ];
  reminders = [ "start - 10d", "start - 5d", "start - 1d" ]; } );
tasks = ( { id = "bc"; title = "Báo cáo"; owner = "lan"; due = "2026-07-01";
  remind = [ "due - 1d" ]; overdue = "due + 1d at 20:00"; } );
EOF
cfg="$tmp/late/loa.cfg"
dline=$(grep -n '^distribution' "$tmp/late/plan.cfg" | cut -d: -f1)
tline=$(grep -n '^tasks' "$tmp/late/plan.cfg" | cut -d: -f1)
T="2026-08-01 10:00"

# 12. check names what will expire, a line a group, and the way out.
"$LOA" -c "$cfg" check --now "$T" >"$tmp/check.out" 2>"$tmp/check.err" ||
    ko "check of the late plan" "$(cat "$tmp/check.err")"
if grep -q "plan.cfg:$dline: warning: distribution.at: will expire unsent: plan 31/KH: 5 distribution jobs by email (to p0, p1, p2 and others).*too late to send.*up to a day after its due time.*set distribution.at = \"now\"" \
    "$tmp/check.err" &&
    [ "$(grep -c 'distribution' "$tmp/check.err")" -eq 1 ]; then
	ok "check: one warning for the 5 expired distribution jobs, with the rule and the way out"
else
	ko "check: no grouped warning of the expired distribution" "$(cat "$tmp/check.err")"
fi
if grep -q "plan.cfg:$tline: warning: tasks.bc: will expire.* overdue job.*set tasks.bc.overdue = \"now\"" "$tmp/check.err"; then
	ok "check: the expired overdue notice, and how to send it"
else
	ko "check: no warning of the overdue notice" "$(cat "$tmp/check.err")"
fi
if grep -q 'no warnings' "$tmp/check.out"; then
	ko "check says no warnings" "$(cat "$tmp/check.out")"
else
	ok "check does not say 'no warnings'"
fi
# The reminders still before the event go late, the latest of those due
# only: the earlier is said to collapse into it, none to be too late.
if grep -q 'event-reminder.*moment passed' "$tmp/check.err"; then
	ko "check: reminders before their event said to be too late" "$(cat "$tmp/check.err")"
elif grep -q "will expire unsent: plan 31/KH: 2 event-reminder jobs of hop by sms (to lan, truong-thon), due 2026-07-26 08:00: a later reminder of it is due too" "$tmp/check.err"; then
	ok "check: of the reminders due, the earlier are said to collapse into the latest"
else
	ko "check: the collapse of the reminders due" "$(cat "$tmp/check.err")"
fi

# 14. Per person and kind, with what would reach them.
if grep -q "warning: truong-thon: gets no event-reminder (hop)\|warning: truong-thon: gets no distribution" "$tmp/check.err"; then
	ko "check: truong-thon warned of what reaches them" "$(cat "$tmp/check.err")"
else
	ok "check: nothing said of a person every job reaches"
fi

# 13. The dry run says what the real run then does, job for job.
"$LOA" -c "$cfg" run --dry-run --now "$T" >"$tmp/dry.out" 2>"$tmp/dry.err" ||
    ko "run --dry-run" "$(cat "$tmp/dry.err")"
"$LOA" -c "$cfg" run --once --now "$T" >"$tmp/once.out" 2>"$tmp/once.err" ||
    ko "run --once" "$(cat "$tmp/once.err")"
# DUE KIND OBJECT RECIPIENT CHANNEL of each line whose verb is $2.
verbs() { awk -v v="$2" '$3 == v { print $1, $2, $4, $5, $6, $7 }' "$1" | sort; }
verbs "$tmp/dry.out" would >"$tmp/would"
verbs "$tmp/once.out" sent >"$tmp/sent"
if [ -s "$tmp/sent" ] && cmp -s "$tmp/would" "$tmp/sent"; then
	ok "dry run at $T: what would go is what run --once sent ($(wc -l <"$tmp/sent") jobs)"
else
	ko "dry run at $T differs from run --once" \
	    "would: $(cat "$tmp/would"); sent: $(cat "$tmp/sent")"
fi
# Of the two reminders due, the later goes, to each.
if [ "$(grep -c '^2026-07-31 08:00 event-reminder hop' "$tmp/sent")" -eq 2 ] &&
    ! grep -q '^2026-07-26 08:00 event-reminder' "$tmp/sent"; then
	ok "run --once: of two reminders due at once, the later goes"
else
	ko "run --once: the reminders sent" "$(cat "$tmp/sent")"
fi
if grep -q '^would expire: plan 31/KH: 5 distribution jobs.*too late to send' "$tmp/dry.out" &&
    grep -q '^would expire: plan 31/KH: 2 event-reminder jobs of hop by sms (to lan, truong-thon).*a later reminder of it is due too' "$tmp/dry.out"; then
	ok "dry run: says what would expire, grouped, and why"
else
	ko "dry run: what would expire" "$(cat "$tmp/dry.out")"
fi
n_exp=$("$LOA" -c "$cfg" outbox --state expired --json | $PY -c '
import json, sys
print(len(json.load(sys.stdin)))')
if grep -q "dry run: .* $n_exp would expire" "$tmp/dry.out"; then
	ok "dry run: counts the $n_exp jobs run --once expired"
else
	ko "dry run: not $n_exp would expire" "$(tail -1 "$tmp/dry.out")"
fi
# 12. The service says what it expired and why.
if grep -q 'expired: plan 31/KH: 5 distribution jobs by email.*too late to send.*distribution.at = "now"' "$tmp/once.err"; then
	ok "run --once logs the distribution it expired, and why"
else
	ko "run --once: silent about what it expired" "$(cat "$tmp/once.err")"
fi

# After 22:00 the SMS due wait for the end of quiet hours: the dry run
# says so, and lists only what goes (email).
T2="2026-08-01 22:00"
rm -rf "$tmp/late/var"
"$LOA" -c "$cfg" run --dry-run --now "$T2" >"$tmp/dry2.out" 2>&1
"$LOA" -c "$cfg" run --once --now "$T2" >"$tmp/once2.out" 2>&1
verbs "$tmp/dry2.out" would >"$tmp/would2"
verbs "$tmp/once2.out" sent >"$tmp/sent2"
if [ -s "$tmp/sent2" ] && cmp -s "$tmp/would2" "$tmp/sent2" &&
    grep -q '^would wait: .* event-reminder of hop to truong-thon until 2026-08-02 06:30 (quiet hours)' "$tmp/dry2.out"; then
	ok "dry run in quiet hours: the SMS would wait, the rest is what run --once sent"
else
	ko "dry run in quiet hours" "dry: $(cat "$tmp/dry2.out"); sent: $(cat "$tmp/sent2")"
fi

# 12. distribution.at = "now" sends it, on the store that expired it too.
sed -i 's|at = "plan.issued at 09:00"|at = "now"|' "$tmp/late/plan.cfg"
"$LOA" -c "$cfg" check --now "$T" >/dev/null 2>"$tmp/check2.err"
if grep -q 'distribution' "$tmp/check2.err"; then
	ko "check with at = \"now\" still warns" "$(cat "$tmp/check2.err")"
else
	ok "check with distribution.at = \"now\": no warning of it"
fi
"$LOA" -c "$cfg" run --once --now "2026-08-01 23:00" >/dev/null 2>"$tmp/once3.err"
n_mail=$(ls "$tmp/late/var/outbox/mail" | grep -c '\.eml$')
n_dist=$("$LOA" -c "$cfg" outbox --state sent --json | $PY -c '
import json, sys
print(sum(1 for j in json.load(sys.stdin) if j["kind"] == "distribution"))')
if [ "$n_dist" -eq 5 ]; then
	ok "distribution.at = \"now\": the 5 expired distribution jobs are sent ($n_mail mails)"
else
	ko "distribution.at = \"now\": $n_dist distribution jobs sent" "$(cat "$tmp/once3.err")"
fi

# 14. Reached on none of a job's channels.
mkdir -p "$tmp/reach"
cat >"$tmp/reach/loa.cfg" <<'EOF'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
EOF
cat >"$tmp/reach/plan.cfg" <<'EOF'
plan = { id = "32/KH"; issued = "2026-03-02"; title = "Thử"; };
people = (
  { id = "an"; name = "An"; email = "an@x.example"; },
  { id = "truong-thon"; name = "Trưởng thôn"; phone = "0912 000 002"; },
  { id = "chi"; name = "Chi"; email = "chi@x.example"; phone = "0912 000 003";
    channels = [ "sms" ]; }
);
distribution = { at = "plan.issued at 09:00"; to = [ "an", "truong-thon", "chi" ]; };
events = (
  { id = "hop1"; title = "Họp 1"; start = "2026-04-01 08:00"; attendees = [ "an", "truong-thon" ];
    reminders = [ "start - 1d" ]; },
  { id = "hop2"; title = "Họp 2"; start = "2026-04-02 08:00"; attendees = [ "an" ];
    reminders = [ "start - 1d" ]; }
);
EOF
pline() { grep -n "id = \"$1\"" "$tmp/reach/plan.cfg" | cut -d: -f1; }
"$LOA" -c "$tmp/reach/loa.cfg" check --now "2026-03-01" >/dev/null 2>"$tmp/reach.err"
if grep -q "plan.cfg:$(pline truong-thon): warning: truong-thon: gets no distribution (32/KH), which goes by email only: they have no email; add an email to truong-thon, or add \"sms\" to distribution.channels (sms would reach them)" "$tmp/reach.err"; then
	ok "check: a phone-only person on an email-only distribution, and what would reach them"
else
	ko "check: silent about truong-thon" "$(cat "$tmp/reach.err")"
fi
if grep -q "plan.cfg:$(pline chi): warning: chi: gets no distribution (32/KH), which goes by email only: they do not accept email; add \"email\" to chi's channels, or add \"sms\" to distribution.channels" "$tmp/reach.err"; then
	ok "check: a person whose channels leave out the distribution's"
else
	ko "check: silent about chi" "$(cat "$tmp/reach.err")"
fi
# an has no phone: the SMS reminders of two events, one warning.
if [ "$(grep -c 'warning: an: gets no event-reminder (hop1), which goes by sms only: they have no phone; add "email" to events.hop1.reminder_channels (email would reach them), or add a phone to an' "$tmp/reach.err")" -eq 1 ] &&
    [ "$(grep -c 'an: gets no event-reminder' "$tmp/reach.err")" -eq 1 ]; then
	ok "check: one warning a person and kind, however many events"
else
	ko "check: warnings of an's reminders" "$(cat "$tmp/reach.err")"
fi

# 16. Two reminders quiet hours move onto 06:30: one SMS.
mkdir -p "$tmp/quiet"
cat >"$tmp/quiet/loa.cfg" <<'EOF'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ];
  quiet_hours = { start = "21:00"; end = "06:30"; }; };
EOF
cat >"$tmp/quiet/plan.cfg" <<'EOF'
plan = { id = "33/KH"; issued = "2026-03-10 07:00"; title = "Thử"; };
people = ( { id = "hung"; name = "Hùng"; phone = "0912 345 678"; } );
events = ( { id = "hop"; title = "Họp"; start = "2026-03-11 08:00";
  attendees = [ "hung" ]; reminders = [ "start - 10h", "start - 9h" ]; } );
EOF
qcfg="$tmp/quiet/loa.cfg"
"$LOA" -c "$qcfg" timeline --json >"$tmp/q.json"
at=$($PY -c '
from loatest import jobs, arg
print(" ".join(sorted({j["due"] for j in jobs(arg(1)) if j["kind"] == "event-reminder"})))' "$tmp/q.json")
if [ "$at" = "2026-03-11T06:30:00+07:00" ]; then
	ok "both reminders are moved by quiet hours onto 06:30"
else
	ko "the reminders are due at '$at'"
fi
"$LOA" -c "$qcfg" check --now "2026-03-10 08:00" >/dev/null 2>"$tmp/q.check"
if grep -q 'warning: events.hop: will expire unsent: plan 33/KH: 1 event-reminder job of hop by sms (to hung), due 2026-03-11 06:30: a later reminder of it is due too' "$tmp/q.check"; then
	ok "check: of the two reminders on one minute, one is said to collapse"
else
	ko "check: silent about the reminders on one minute" "$(cat "$tmp/q.check")"
fi
"$LOA" -c "$qcfg" run --once --now "2026-03-11 06:31" >"$tmp/q.out" 2>"$tmp/q.err"
n=$($PY -c '
from loatest import jsonl, arg
print(sum(1 for m in jsonl(arg(1)) if "Họp" in m["text"]))' "$tmp/quiet/var/outbox/sms.jsonl")
"$LOA" -c "$qcfg" outbox --json >"$tmp/q.ob.json"
reason=$($PY -c '
from loatest import jobs, arg
print([j["reason"] for j in jobs(arg(1)) if j["kind"] == "event-reminder" and j["state"] == "expired"])' "$tmp/q.ob.json")
if [ "$n" -eq 2 ] && [ "$reason" = "['a later reminder of it is due too']" ]; then
	ok "two reminders moved onto one minute: one SMS (and the invitation), the other expired"
else
	ko "reminders moved onto one minute: $n SMS, expired: $reason" "$(cat "$tmp/q.out")"
fi

finish
