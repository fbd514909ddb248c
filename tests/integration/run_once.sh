#!/bin/sh
# run_once.sh: `loa run --once` played across the seed plan (conf/REFERENCE.md
# §6 and §8).
#
# A copy of $LOA_SRC/conf in a temporary folder (its store is
# conf/../var/loa.db, so everything lands in TMP/var) is run at successive
# moments of plan 129/KH-UBND. After each run, the outbox (`outbox --json`)
# and the files of the embedded file gateways (var/outbox/mail/ID.eml,
# var/outbox/sms.jsonl, var/broadcast/ID.json) must agree: each job is
# delivered at most once, every `sent` job has its file or line, nothing is
# left `sending`. A second run at the same moment sends nothing new;
# `run --dry-run` changes nothing; after `task done bao-cao` no bao-cao
# reminder goes out. Needs LOA (the binary) and LOA_SRC (the source tree).
. "$LOA_SRC/tests/tools/prologue.sh"

cp -R "$LOA_SRC/conf" "$tmp/conf"
rm -rf "$tmp/var"
cfg="$tmp/conf/loa.cfg"
var="$tmp/var"

# The outbox as JSON into $1; 0 when `outbox --json` worked.
outbox_json() {
	"$LOA" -c "$cfg" outbox --json >"$1" 2>"$tmp/outbox.err" &&
	    ! grep -v 'no outbox at .* yet' "$tmp/outbox.err" | grep -q .
}

# Files written so far, one line: mails, SMS lines, broadcasts.
counts() {
	m=$(find "$var/outbox/mail" -name '*.eml' 2>/dev/null | wc -l)
	s=$(cat "$var/outbox/sms.jsonl" 2>/dev/null | wc -l)
	b=$(find "$var/broadcast" -name '*.json' 2>/dev/null | wc -l)
	echo "$m $s $b"
}

# The outbox and the files agree (see the header). Prints what does not.
invariants() {
	$PY - "$1" "$var" <<'PY'
import json, os, re, sys
from loatest import load
jobs = load(sys.argv[1])
var = sys.argv[2]
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
ids = [j["id"] for j in jobs]
need(len(ids) == len(set(ids)), "job ids repeat in the outbox")
by = {j["id"]: j for j in jobs}
sent = {j["id"] for j in jobs if j["state"] in ("sent", "delivered")}
for j in jobs:
    need(j["state"] != "sending", "left sending: " + j["id"])
    if j["id"] in sent:
        need(j["attempts"] == 1, "%s %s %s sent after %d attempts" %
             (j["kind"], j["object"], j["id"], j["attempts"]))
        need(j["sent_at"] is not None, "sent without sent_at: " + j["id"])
        if j["channel"] == "sms":
            hm = j["sent_at"][11:16]
            need("06:30" <= hm < "21:00", "SMS sent in quiet hours: " +
                 j["id"] + " " + j["sent_at"])
    else:
        need(j["sent_at"] is None, "%s is %s with a sent_at" %
             (j["id"], j["state"]))
def ids_in(folder, ext):
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    return [n[:-len(ext)] for n in names if n.endswith(ext)
            and not n.startswith(".")]
mail = ids_in(os.path.join(var, "outbox", "mail"), ".eml")
for i in mail:
    need(i in sent and by[i]["channel"] == "email",
         "mail %s.eml is not a sent email job" % i)
    with open(os.path.join(var, "outbox", "mail", i + ".eml"), "rb") as f:
        need(("Message-ID: <%s@daison.example>" % i).encode() in f.read(),
             "mail %s.eml: Message-ID is not the job id" % i)
lines = []
try:
    with open(os.path.join(var, "outbox", "sms.jsonl"), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                o = json.loads(line)
            except ValueError:
                need(False, "sms.jsonl:%d: not JSON" % n)
                continue
            lines.append(o["id"])
            need(o["id"] in by and o["to"] == by[o["id"]]["address"],
                 "sms.jsonl:%d: %s to %s is not its job's" %
                 (n, o["id"], o["to"]))
except FileNotFoundError:
    pass
dups = sorted({i for i in lines if lines.count(i) > 1})
need(not dups, "SMS sent more than once: " + " ".join(dups))
for i in set(lines):
    need(i in sent and by[i]["channel"] == "sms",
         "SMS %s in sms.jsonl is not a sent sms job" % i)
bc = ids_in(os.path.join(var, "broadcast"), ".json")
for i in bc:
    need(i in sent and by[i]["channel"] == "broadcast",
         "broadcast %s.json is not a sent broadcast job" % i)
files = {"email": set(mail), "sms": set(lines), "broadcast": set(bc)}
for i in sent:
    need(i in files[by[i]["channel"]], "%s %s %s job %s is sent but has no "
         "file" % (by[i]["kind"], by[i]["object"], by[i]["channel"], i))
if bad:
    print("; ".join(bad[:10]) + (" (and %d more)" % (len(bad) - 10)
          if len(bad) > 10 else ""))
    sys.exit(1)
print("%d jobs, %d sent: %d mails, %d SMS, %d broadcasts" %
      (len(jobs), len(sent), len(mail), len(lines), len(bc)))
PY
}

# run --once at $1, then the invariants, then the same run again.
run_at() {
	t=$1
	if "$LOA" -c "$cfg" run --once --now "$t" >"$tmp/run.out" \
	    2>"$tmp/run.err"; then
		ok "run --once at $t"
	else
		ko "run --once at $t: exit $?: $(head -c 600 "$tmp/run.err")"
		return
	fi
	if ! outbox_json "$tmp/a.json"; then
		ko "outbox --json after $t: $(head -c 300 "$tmp/outbox.err")"
		return
	fi
	if why=$(invariants "$tmp/a.json"); then
		ok "outbox and files agree at $t ($why)"
	else
		ko "outbox and files at $t: $why"
	fi
	before=$(counts)
	if "$LOA" -c "$cfg" run --once --now "$t" >"$tmp/run2.out" \
	    2>"$tmp/run2.err" && outbox_json "$tmp/b.json"; then
		after=$(counts)
		if [ "$before" = "$after" ] && cmp -s "$tmp/a.json" \
		    "$tmp/b.json" && ! grep -q ' sent ' "$tmp/run2.out"; then
			ok "a second run at $t sends nothing"
		else
			ko "a second run at $t: files $before -> $after;" \
			    "$(grep ' sent ' "$tmp/run2.out" | head -3)"
		fi
	else
		ko "second run at $t: $(head -c 600 "$tmp/run2.err")"
	fi
}

# --dry-run at $1 changes neither the outbox nor the files.
dry_at() {
	t=$1
	outbox_json "$tmp/d0.json" || ko "outbox --json before the dry run"
	before=$(counts)
	if "$LOA" -c "$cfg" run --dry-run --now "$t" >"$tmp/dry.out" \
	    2>"$tmp/dry.err"; then
		outbox_json "$tmp/d1.json" || ko "outbox --json after dry run"
		after=$(counts)
		if [ "$before" = "$after" ] && cmp -s "$tmp/d0.json" \
		    "$tmp/d1.json"; then
			ok "run --dry-run at $t changes nothing"
		else
			ko "run --dry-run at $t changed the outbox or files" \
			    "($before -> $after)"
		fi
		if grep -Eq 'dry run: [1-9][0-9]* jobs? due' "$tmp/dry.out"; then
			ok "run --dry-run at $t shows what is due"
		else
			ko "run --dry-run at $t: $(tail -n 2 "$tmp/dry.out")"
		fi
	else
		ko "run --dry-run at $t: exit $?: $(head -c 600 "$tmp/dry.err")"
	fi
}

# The ids of bao-cao's task-reminder and overdue jobs in state $2, from $1.
bao_cao() {
	$PY - "$1" "$2" <<'PY'
import sys
from loatest import load
for j in load(sys.argv[1]):
    if j["object"] == "bao-cao" and j["kind"] in ("task-reminder",
                                                 "overdue") \
       and j["state"] == sys.argv[2]:
        print(j["id"])
PY
}

dry_at "2025-11-28 09:00"
run_at "2025-11-28 09:00"
run_at "2025-12-05 08:05"
run_at "2025-12-16 08:05"

# Task bao-cao is done: its later reminders are cancelled for good.
outbox_json "$tmp/t0.json"
bao_cao "$tmp/t0.json" sent >"$tmp/bao-sent"
bao_cao "$tmp/t0.json" pending >"$tmp/bao-pending"
if [ -s "$tmp/bao-sent" ] && [ -s "$tmp/bao-pending" ]; then
	ok "bao-cao has reminders sent and pending before it is done"
else
	ko "bao-cao before done: $(wc -l <"$tmp/bao-sent") sent," \
	    "$(wc -l <"$tmp/bao-pending") pending"
fi
if "$LOA" -c "$cfg" task done bao-cao >"$tmp/done.out" 2>"$tmp/done.err" &&
    grep -q "bao-cao: done; $(wc -l <"$tmp/bao-pending" | tr -d ' ') " \
    "$tmp/done.out"; then
	ok "task done bao-cao cancels its pending reminders"
else
	ko "task done bao-cao: $(cat "$tmp/done.out" "$tmp/done.err")"
fi

dry_at "2025-12-19 08:05"
run_at "2025-12-19 08:05"
run_at "2025-12-22 08:05"
run_at "2025-12-24 17:05"
run_at "2025-12-25 17:05"
run_at "2025-12-26 06:35"
run_at "2025-12-26 12:00"
run_at "2025-12-27 17:05"
run_at "2025-12-28 17:05"
run_at "2026-01-14 08:05"
run_at "2026-02-01 09:00"

outbox_json "$tmp/end.json"
bao_cao "$tmp/end.json" sent >"$tmp/bao-sent2"
if cmp -s "$tmp/bao-sent" "$tmp/bao-sent2" &&
    [ -z "$(bao_cao "$tmp/end.json" pending)" ] &&
    [ "$(bao_cao "$tmp/end.json" expired | sort)" = \
    "$(bao_cao "$tmp/t0.json" expired | sort)" ] &&
    [ "$(bao_cao "$tmp/end.json" cancelled | sort)" = \
    "$(sort "$tmp/bao-pending")" ]; then
	ok "no bao-cao reminder after task done"
else
	ko "bao-cao after done: sent $(wc -l <"$tmp/bao-sent") ->" \
	    "$(wc -l <"$tmp/bao-sent2")"
fi
if $PY - "$tmp/end.json" <<'PY'
import sys
from loatest import load
bad = [j["id"] for j in load(sys.argv[1])
       if j["object"] == "bao-cao" and j["state"] == "cancelled"
       and j["reason"] != "task done"]
sys.exit(1 if bad else 0)
PY
then ok "bao-cao's reminders are cancelled with reason \"task done\""
else ko "bao-cao's cancelled reminders give another reason"
fi

# The whole plan went out: every kind of job was sent at least once.
if why=$($PY - "$tmp/end.json" <<'PY'
import sys
from loatest import load
jobs = load(sys.argv[1])
kinds = {j["kind"] for j in jobs if j["state"] == "sent"}
want = {"distribution", "invitation", "event-reminder", "task-reminder",
        "overdue", "broadcast"}
print(" ".join(sorted(want - kinds)))
sys.exit(1 if want - kinds else 0)
PY
); then ok "every kind of job was sent"
else ko "never sent: $why"
fi

ls "$tmp"/sanitizer.* >/dev/null 2>&1 || ok "no sanitizer report"
finish
