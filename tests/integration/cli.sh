#!/bin/sh
# cli.sh: the command line as a careful, hostile user meets it (the
# hardening issue's CLI items), one regression each:
#   - `-c` without a path is a usage error that says so (not "unknown
#     option");
#   - --now is read in the service's zone (loa.timezone), for `now` in time
#     expressions (timeline) and for what `run --once` sends;
#   - control characters in config texts (a plan id) and in what the outbox
#     holds (a reason, a gateway's error) reach the terminal escaped;
#   - `outbox` keeps the attempts and the error in separate columns.
#   - `-v`: each send's line reaches a pipe while `run` still runs (stdout
#     line-buffered); the service log counts the plan files ("running: 1
#     plan" with broadcasts, whose ad-hoc plan is not a file);
#   - `simulate` without --out writes beside the store (the config's
#     folder), with --out DIR relative to the current folder;
#   - the `timeline` and `outbox` tables have a heading, and `outbox` a
#     SENT column.
# Needs LOA (the binary).
. "$LOA_SRC/tests/tools/prologue.sh"
esc=$(printf '\033')

# -c without its argument.
"$LOA" -c >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q -- '-c needs' "$tmp/err" &&
    ! grep -q 'unknown option' "$tmp/err"; then
	ok "-c without a path: exit 2, says what -c needs"
else
	ko "-c without a path: exit $rc: $(cat "$tmp/err")"
fi

# A service in Berlin (UTC+1 in January): `now + 1h` and --now are Berlin
# time. A plan id with an escape sequence and a carriage return in it.
mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'EOF'
loa = {
  timezone = "Europe/Berlin";
  store = "../var/loa.db";
  plans = [ "plan.cfg" ];
};
EOF
cat >"$tmp/conf/plan.cfg" <<'EOF'
plan = {
  id = "7/KH\x1b[31mRED\rX"; issued = "2026-01-01"; title = "Thử";
  issuer = "UBND xã"; signed_by = "an";
};
people = (
  { id = "an"; name = "An"; email = "an@x.example"; phone = "0912000001"; },
  { id = "binh"; name = "Bình"; email = "binh@x.example"; }
);
tasks = (
  { id = "bao-cao"; title = "Báo cáo"; owner = [ "an", "binh" ];
    due = "now + 1h";
    remind = [ "due - 1h" ]; channels = [ "email" ]; },
  { id = "hop"; title = "Họp"; owner = "an"; due = "2026-01-10 10:00";
    remind = [ "due - 1h" ]; channels = [ "email" ]; }
);
EOF
cfg="$tmp/conf/loa.cfg"

"$LOA" -c "$cfg" timeline --json --now "2026-01-10 09:00" >"$tmp/tl.json" \
    2>"$tmp/err"
due=$($PY -c 'from loatest import load
import json, sys
for j in load(sys.argv[1]):
    if j["object"] == "bao-cao" and j["recipient"] == "an":
        print(j["due"])' "$tmp/tl.json" 2>/dev/null)
if [ "$due" = "2026-01-10T09:00:00+01:00" ]; then
	ok "--now is read in loa.timezone: the reminder of now + 1h - 1h is at 09:00 Berlin"
else
	ko "--now in loa.timezone: reminder due '$due' (want 2026-01-10T09:00:00+01:00): $(cat "$tmp/err")"
fi

# run --once at 09:00 Berlin sends the reminder due then; read as 09:00 at
# +07:00 (03:00 Berlin) it would send nothing.
"$LOA" -c "$cfg" run --once --now "2026-01-10 09:00" >"$tmp/run.out" \
    2>"$tmp/err"
"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" 2>/dev/null
n=$($PY -c 'from loatest import load
import json, sys
print(sum(1 for j in load(sys.argv[1])
          if j["object"] == "hop" and j["state"] == "sent"))' "$tmp/ob.json")
if [ "$n" = 1 ]; then
	ok "run --once --now in loa.timezone sends what is due then"
else
	ko "run --once --now: the reminder of 09:00 Berlin sent $n times: $(cat "$tmp/run.out" "$tmp/err")"
fi

# The plan id's control characters reach the terminal escaped.
"$LOA" -c "$cfg" check --now "2026-01-10 09:00" >"$tmp/check.out" 2>&1
if ! grep -q "$esc" "$tmp/check.out" && ! grep -q "$(printf '\r')" \
    "$tmp/check.out" && grep -q 'KH\\x1b\[31mRED\\x0dX' "$tmp/check.out"; then
	ok "check: control characters of a plan id are escaped"
else
	ko "check: raw control characters on the terminal: $(od -c "$tmp/check.out" | head -5)"
fi

# iCalendar never carries a control character (RFC 5545 §3.1).
"$LOA" -c "$cfg" ics --all --now "2026-01-10 09:00" >"$tmp/all.ics" 2>&1
if ! grep -q "$esc" "$tmp/all.ics" && grep -q 'X-WR-CALNAME' "$tmp/all.ics"; then
	ok "ics: control characters of a plan id are dropped"
else
	ko "ics: raw control characters: $(grep -a CALNAME "$tmp/all.ics" | od -c | head -3)"
fi

# check's own messages: an unknown id with an escape sequence in it.
mkdir -p "$tmp/bad"
cp "$tmp/conf/loa.cfg" "$tmp/bad/loa.cfg"
sed 's/owner = "an"; due = "2026/owner = "an\\x1b[2J"; due = "2026/' \
    "$tmp/conf/plan.cfg" >"$tmp/bad/plan.cfg"
"$LOA" -c "$tmp/bad/loa.cfg" check >"$tmp/bad.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && ! grep -q "$esc" "$tmp/bad.out" &&
    grep -q 'an\\x1b\[2J' "$tmp/bad.out"; then
	ok "check's error messages escape control characters"
else
	ko "check's error messages (exit $rc): $(od -c "$tmp/bad.out" | head -6)"
fi

# What the outbox holds: a reason with an escape sequence, a gateway's
# error after 3 attempts (no reason). Written as a hostile hand would.
db="$tmp/var/loa.db"
if command -v sqlite3 >/dev/null 2>&1; then
	id=$(sqlite3 "$db" "SELECT id FROM jobs LIMIT 1")
	id2=$(sqlite3 "$db" "SELECT id FROM jobs WHERE id <> '$id' LIMIT 1")
	sqlite3 "$db" "UPDATE jobs SET state = 'cancelled', reason =
	    'x' || char(27) || '[2J' || char(10) || 'y' WHERE id = '$id'"
	sqlite3 "$db" "UPDATE jobs SET state = 'failed', reason = NULL,
	    attempts = 3, last_error = '/var/spool/loa: No space left' WHERE
	    id = '$id2'"
	"$LOA" -c "$cfg" outbox >"$tmp/ob.out" 2>&1
	if ! grep -q "$esc" "$tmp/ob.out" && grep -q 'x\\x1b\[2J\\x0ay' \
	    "$tmp/ob.out"; then
		ok "outbox: control characters of a reason are escaped"
	else
		ko "outbox: raw control characters: $(od -c "$tmp/ob.out" | head -8)"
	fi
	if grep -q ' 3  /var/spool/loa: No space left' "$tmp/ob.out"; then
		ok "outbox: attempts and the gateway's error in separate columns"
	else
		ko "outbox: attempts glued to the error: $(grep spool "$tmp/ob.out")"
	fi
else
	echo "skip outbox checks: no sqlite3 (scripts/install-deps installs it)"
fi

# A plan with one SMS and a broadcast, the service's stdout a pipe.
mkdir -p "$tmp/v/conf" "$tmp/v/cwd"
cat >"$tmp/v/conf/loa.cfg" <<'EOF'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
EOF
cat >"$tmp/v/conf/plan.cfg" <<'EOF'
plan = { id = "5/TB"; issued = "2026-03-02"; title = "Họp"; };
people = ( { id = "an"; name = "An"; phone = "0912345678"; } );
groups = ( { id = "g"; name = "G"; members = [ "an" ]; } );
distribution = { at = "plan.issued at 09:00"; to = [ "g" ]; channels = [ "sms" ]; };
broadcasts = ( { id = "tin"; title = "Tin"; text = "Họp thôn."; air = [ "2026-03-02 06:00" ]; } );
EOF
vcfg="$tmp/v/conf/loa.cfg"
mkfifo "$tmp/v/pipe"
cat "$tmp/v/pipe" >"$tmp/v/out" &
catpid=$!
"$LOA" -v -c "$vcfg" run --now "2026-03-02 09:30" >"$tmp/v/pipe" 2>"$tmp/v/err" &
vpid=$!
at_exit "kill $vpid 2>/dev/null"
if poll_until 60 grep -q "distribution .* sms .*sms.jsonl" "$tmp/v/out" && alive "$vpid"; then
	ok "-v: a send's line reaches the pipe while run runs"
else
	ko "-v: nothing in the pipe while run runs" "$(cat "$tmp/v/out" "$tmp/v/err")"
fi
poll_until 60 grep -q "running: " "$tmp/v/err"
if grep -q "running: 1 plan$" "$tmp/v/err"; then
	ok "the service log counts one plan file as 1 plan"
else
	ko "the plan count" "$(grep running "$tmp/v/err")"
fi
poll_until 60 catches "$vpid" 15
kill -TERM "$vpid"
wait "$vpid"
wait "$catpid"

# The tables' headings, and the outbox's sent time.
"$LOA" -c "$vcfg" outbox >"$tmp/v/ob" 2>&1
if head -n 1 "$tmp/v/ob" | grep -q "^DUE  *STATE  *KIND .* ADDRESS  *SENT  *ATTEMPTS  ERROR$" &&
    grep -q "^2026-03-02 09:00  sent .* +84912345678  *2026-03-02 09:30  *1$" "$tmp/v/ob"; then
	ok "outbox: a heading, and the sent time in its column"
else
	ko "outbox's table" "$(cat "$tmp/v/ob")"
fi
"$LOA" -c "$vcfg" timeline --no-speech >"$tmp/v/tl" 2>&1
if head -n 1 "$tmp/v/tl" | grep -q "^DUE  *KIND  *OBJECT  *TO  *CHANNEL  *ADDRESS  *STATE" &&
    [ "$(wc -l <"$tmp/v/tl")" -eq 3 ]; then
	ok "timeline: a heading above its rows"
else
	ko "timeline's table" "$(cat "$tmp/v/tl")"
fi

# simulate: the default beside the store, --out from the current folder.
(cd "$tmp/v/cwd" && "$LOA" -c ../conf/loa.cfg simulate >/dev/null 2>"$tmp/v/err")
if [ -f "$tmp/v/var/simulate/loa.db" ] && [ ! -e "$tmp/v/cwd/var" ]; then
	ok "simulate without --out: simulate/ beside the store"
else
	ko "simulate's default folder" "$(ls -R "$tmp/v" | head -30; cat "$tmp/v/err")"
fi
(cd "$tmp/v/cwd" && "$LOA" -c ../conf/loa.cfg simulate --out sim >/dev/null 2>"$tmp/v/err")
if [ -f "$tmp/v/cwd/sim/loa.db" ] && [ ! -e "$tmp/v/conf/sim" ]; then
	ok "simulate --out DIR: relative to the current folder"
else
	ko "simulate --out" "$(cat "$tmp/v/err")"
fi

finish
