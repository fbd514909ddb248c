#!/bin/sh
# fault.sh: `loa run --once` on a failing disk (README "Delivery",
# conf/REFERENCE.md §6 crash safety), through the fault points of
# src/util/fault.h armed by LOA_FAULT.
#
# On a copy of the valid fixture $LOA_TESTDATA/ok (embedded file gateways
# under var/outbox), at a moment when mails and SMS are due:
#   1. LOA_FAULT=fsync:1: the first message's file cannot be synced. That
#      job is `failed` with the I/O error kept and has no file; every job
#      recorded `sent` has its bytes on disk; nothing is left `sending`.
#   2. A clean run a minute later sends it.
#   3. On a fresh copy, LOA_FAULT=fsync:1+ (every fsync fails): nothing is
#      recorded sent; a clean run then sends what was due.
#   4. LOA_FAULT=sqlite:2 (the outcome commit of the first batch fails):
#      exit 3, no job `sent`; the next run sends the batch again, same ids.
#   5. A malformed LOA_FAULT is reported, not ignored in silence.
# Needs LOA (the binary) and LOA_TESTDATA (tests/data).
. "$LOA_SRC/tests/tools/prologue.sh"
: "${LOA_TESTDATA:?}"
case $LOA in /*) ;; *) LOA=$(pwd)/$LOA ;; esac
case $LOA_TESTDATA in /*) ;; *) LOA_TESTDATA=$(pwd)/$LOA_TESTDATA ;; esac
unset LOA_FAULT
oneline() { tr '\n' '|' <"$1" | cut -c1-600; }

T1="2027-03-01 08:00"
T2="2027-03-01 08:01"

# A fresh copy of the fixture in $tmp/$1.
fresh() {
	rm -rf "${tmp:?}/$1"
	mkdir -p "$tmp/$1"
	cp -R "$LOA_TESTDATA/ok/." "$tmp/$1/"
}

# loa in folder $1 with the rest as arguments; stdout and stderr to
# $tmp/out and $tmp/err; the exit status is loa's.
run_in() {
	d=$1
	shift
	(cd "$tmp/$d" && "$LOA" -c loa.cfg "$@") >"$tmp/out" 2>"$tmp/err"
}

# Check the outbox of folder $1 against its files. $2: what to demand
# beyond the invariants: "one-io-failed", "none-sent", "all-sent" or
# "some-sent". Prints what is wrong; exit 0 when nothing is.
check() {
	(cd "$tmp/$1" && "$LOA" -c loa.cfg outbox --json) >"$tmp/json" \
	    2>"$tmp/json.err" || { echo "outbox --json failed"; return 1; }
	$PY - "$tmp/json" "$tmp/$1/var/outbox" "$2" <<'PY'
import os
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
out, want = arg(2), arg(3)
bad = []
try:
    lines = [r["id"] for r in jsonl(os.path.join(out, "sms.jsonl"))]
except FileNotFoundError:
    lines = []
sent = [j for j in js if j["state"] == "sent"]
failed = [j for j in js if j["state"] == "failed"]
for j in js:
    if j["state"] == "sending":
        bad.append("%s left sending" % j["id"])
for j in sent:
    if j["channel"] == "email":
        p = os.path.join(out, "mail", j["id"] + ".eml")
        if not os.path.isfile(p):
            bad.append("%s sent without %s" % (j["id"], p))
        elif ("Message-ID: <%s@" % j["id"]).encode() not in \
                open(p, "rb").read():
            bad.append("%s: its file lacks its Message-ID" % j["id"])
    elif j["channel"] == "sms" and j["id"] not in lines:
        bad.append("%s sent without its line in sms.jsonl" % j["id"])
io = [j for j in failed if "Input/output error" in (j["last_error"] or "")]
for j in io:
    if j["channel"] == "email" and \
            os.path.exists(os.path.join(out, "mail", j["id"] + ".eml")):
        bad.append("%s failed but its .eml is there" % j["id"])
if want == "one-io-failed":
    if len(io) != 1 or len(failed) != 1:
        bad.append("%d failed, %d with an I/O error; wanted exactly 1"
                   % (len(failed), len(io)))
    if not sent:
        bad.append("nothing else was sent")
elif want == "none-sent":
    if sent:
        bad.append("%d sent while every fsync failed: %s"
                   % (len(sent), " ".join(j["id"] for j in sent[:5])))
    if not io:
        bad.append("no job failed with the I/O error")
elif want == "all-sent":
    if failed:
        bad.append("%d still failed: %s" % (len(failed),
                   " ".join(j["id"] for j in failed[:5])))
    if not sent:
        bad.append("nothing sent")
elif want == "some-sent":
    if not sent:
        bad.append("nothing sent")
print("; ".join(bad))
raise SystemExit(1 if bad else 0)
PY
}

# The ids of jobs in state $2 in folder $1, sorted, one line.
ids_in() {
	(cd "$tmp/$1" && "$LOA" -c loa.cfg outbox --json) 2>/dev/null |
	    $PY -c 'from loatest import arg, jobs
print(" ".join(sorted(j["id"] for j in jobs("/dev/stdin")
    if j["state"] == arg(1))))' "$2"
}

# 1, 2: the first fsync fails.
fresh one
LOA_FAULT=fsync:1 run_in one run --once --now "$T1"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "fsync:1" "exit status $rc: $(oneline "$tmp/err")"
elif why=$(check one one-io-failed); then
	ok "fsync:1: the unsynced job is failed, every sent job has its bytes"
else
	ko "fsync:1" "$why"
fi
failed=$(ids_in one failed)
run_in one run --once --now "$T2"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "fsync:1 then clean" "exit status $rc: $(oneline "$tmp/err")"
elif ! why=$(check one all-sent); then
	ko "fsync:1 then clean" "$why"
elif [ -z "$failed" ] || [ ! -f "$tmp/one/var/outbox/mail/$failed.eml" ]; then
	ko "fsync:1 then clean" "the failed job \"$failed\" has no file"
else
	ok "fsync:1 then a clean run: $failed sent"
fi

# 3: every fsync fails.
fresh all
LOA_FAULT=fsync:1+ run_in all run --once --now "$T1"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "fsync:1+" "exit status $rc: $(oneline "$tmp/err")"
elif why=$(check all none-sent); then
	ok "fsync:1+: nothing is recorded sent"
else
	ko "fsync:1+" "$why"
fi
run_in all run --once --now "$T2"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "fsync:1+ then clean" "exit status $rc: $(oneline "$tmp/err")"
elif why=$(check all all-sent); then
	ok "fsync:1+ then a clean run sends what was due"
else
	ko "fsync:1+ then clean" "$why"
fi

# 4: the outcome of the first batch cannot be committed (commit 1 is the
# reconciliation's, 2 the claim's, 3 the outcome's).
fresh db
LOA_FAULT=sqlite:3 run_in db run --once --now "$T1"
rc=$?
sent=$(ids_in db sent)
if [ "$rc" -ne 3 ]; then
	ko "sqlite:3" "exit status $rc, expected 3: $(oneline "$tmp/err")"
elif [ -n "$sent" ]; then
	ko "sqlite:3" "jobs recorded sent: $sent"
elif [ -z "$(ids_in db sending)" ]; then
	ko "sqlite:3" "no job left sending"
else
	ok "sqlite:3: the batch stays sending, nothing recorded sent"
fi
sending=$(ids_in db sending)
run_in db run --once --now "$T2"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "sqlite:3 then clean" "exit status $rc: $(oneline "$tmp/err")"
elif ! why=$(check db some-sent); then
	ko "sqlite:3 then clean" "$why"
else
	now_sent=" $(ids_in db sent) "
	missing=
	for id in $sending; do
		case $now_sent in *" $id "*) ;; *) missing="$missing $id" ;; esac
	done
	if [ -n "$missing" ]; then
		ko "sqlite:3 then clean" "not sent after the restart:$missing"
	else
		ok "sqlite:3 then a clean run: the batch is sent again"
	fi
fi

# 5: a malformed LOA_FAULT.
fresh typo
LOA_FAULT=fsnyc:1 run_in typo run --once --now "$T1"
if grep -q 'LOA_FAULT: "fsnyc:1"' "$tmp/err"; then
	ok "a malformed LOA_FAULT is reported"
else
	ko "LOA_FAULT typo" "stderr: $(oneline "$tmp/err")"
fi

finish
