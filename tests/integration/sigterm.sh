#!/bin/sh
# Prompt signals (README "The service"), on a 100,000-person plan (100,000
# SMS): SIGTERM during the load, during the first reconciliation and while
# sending exits 0 within 1 s (measured from the signal to the exit);
# kill -9 rounds in between; SIGHUP while sending reloads between batches,
# not after every due job. Nothing is lost: after a final clean run every
# job is there and sent. The store is on a tmpfs when root (fsync is what
# sending costs; the test is about signals).
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smsplan.sh"
pid=
mounted=
at_exit '[ -n "$mounted" ] && umount "$tmp/var"'
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; wait 2>/dev/null'
N=${TERM_JOBS:-100000}
if grep -q __asan_init "$LOA" 2>/dev/null && [ -z "${TERM_JOBS:-}" ]; then
	N=20000
	echo "a sanitizer build: $N people, to stay within the test's time"
fi
mkdir -p "$tmp/conf" "$tmp/var"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1g,mode=0700 tmpfs "$tmp/var" 2>/dev/null; then
	mounted=1
fi
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
CFG
sms_plan "$tmp/conf/plan.cfg" "$N" "TERM/KH"
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"
ms() { echo $(($(date +%s%N) / 1000000)); }
lines() { [ -f "$sms" ] && wc -l <"$sms" || echo 0; }

lock="$tmp/var/loa.db.lock"

# The states a signal waits for, each of the loa process $pid:
#   loading   its handlers are in place (SigCgt has SIGTERM), the config
#             still loading (the store's lock does not name it yet)
#   store     the config loaded: the store's lock names it, the
#             reconciliation of 100,000 new jobs follows
#   sending   sms.jsonl has grown since the start ($n0)
locked() { [ "$(cat "$lock" 2>/dev/null)" = "$pid" ]; }
state() {
	case $1 in
	loading) catches "$pid" 15 ;;
	store) locked ;;
	sending) [ "$(lines)" -gt "$n0" ] ;;
	esac
}

# Start loa run; once in state $1 send it signal $2; print the ms from
# the signal to the exit, the exit code, and whether the signal came
# before the store was locked ("load" or "store").
round() {
	n0=$(lines)
	"$LOA" -v -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" &
	pid=$!
	poll_until 600 state "$1" || echo "never $1: $(tail -2 "$tmp/err")" >&2
	t0=$(ms)
	kill "-$2" "$pid"
	where=load
	locked && where=store
	wait "$pid"
	rc=$?
	t1=$(ms)
	pid=
	echo "$((t1 - t0)) $rc $where"
}
# A SIGTERM round: exit 0 within 1 s; one retry if the machine was slow.
term() { # state what-log
	for try in 1 2; do
		set -- "$1" "$2" $(round "$1" TERM)
		if [ "$4" -eq 0 ] && [ "$3" -lt 1000 ]; then
			ok "SIGTERM $2: exit 0 after $3 ms"
			return
		fi
		echo "try $try: SIGTERM $2: exit $4 after $3 ms: $(tail -2 "$tmp/err")"
		set -- "$1" "$2"
	done
	ko "SIGTERM $2"
}
term loading "during the load"
set -- $(round loading TERM)
[ "$2" -eq 0 ] && [ "$3" = load ] &&
    ok "SIGTERM as soon as the handlers are in: exit 0 before the store is touched" ||
    ko "SIGTERM as soon as the handlers are in" "exit $2, at the $3"
term store "during the first reconciliation"
grep -q "stopped by a signal and rolled back" "$tmp/err" &&
    ok "the reconciliation gave way and rolled back" ||
    echo "note: the SIGTERM did not land in the reconciliation: $(tail -2 "$tmp/err")"
set -- $(round store KILL 2>/dev/null)
echo "kill -9 during the reconciliation"
term store "during a later reconciliation"
set -- $(round sending KILL 2>/dev/null)
echo "kill -9 while sending"

# While sending: SIGHUP reloads between batches, SIGTERM stops the sends.
# A store of its own, so that the rounds above (which may have sent much
# on a slow build) leave it all to send.
sed 's|"../var/loa.db"|"../var/send/loa.db"|' "$cfg" >"$tmp/conf/send.cfg"
main_cfg=$cfg
main_sms=$sms
cfg="$tmp/conf/send.cfg"
sms="$tmp/var/send/outbox/sms.jsonl"
n0=$(lines)
"$LOA" -v -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" &
pid=$!
poll_until 600 state sending || echo "never sending: $(tail -2 "$tmp/err")"
t0=$(ms)
kill -HUP "$pid"
reloading() { grep -q "SIGHUP: reloading" "$tmp/err"; }
poll_until 600 reloading
n=$(lines)
reloading && [ "$n" -lt "$N" ] &&
    ok "SIGHUP while sending: the reload starts between batches ($(($(ms) - t0)) ms), $n of $N sent" ||
    ko "SIGHUP while sending: $n of $N sent" "$(tail -2 "$tmp/err")"
t0=$(ms)
kill -TERM "$pid"
wait "$pid"
rc=$?
t1=$(ms)
pid=
n=$(lines)
if [ "$rc" -eq 0 ] && [ $((t1 - t0)) -lt 1000 ] && [ "$n" -lt "$N" ]; then
	ok "SIGTERM while sending: exit 0 after $((t1 - t0)) ms, $n of $N sent"
else
	set -- $(round sending TERM)
	[ "$2" -eq 0 ] && [ "$1" -lt 1000 ] && ok "SIGTERM while sending (retry): $1 ms" ||
	    ko "SIGTERM while sending: exit $rc after $((t1 - t0)) ms, $n of $N sent"
fi
"$LOA" -c "$cfg" outbox --json >"$tmp/mid.json"
$PY - "$tmp/mid.json" <<'PY' &&
import collections
from loatest import arg, jobs
s = collections.Counter(j["state"] for j in jobs(arg(1)))
print("after the stop:", dict(s))
raise SystemExit(0 if s.get("pending", 0) > 0 and "sending" not in s else 1)
PY
    ok "what was not sent stays pending, nothing left sending" || ko "states after the stop"

# A final clean run of the first store: everything there, everything sent.
cfg=$main_cfg
sms=$main_sms
t0=$(ms)
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" ||
    ko "final run: $(tail -2 "$tmp/err")"
echo "final run: $(($(ms) - t0)) ms"
"$LOA" -c "$cfg" outbox --json >"$tmp/end.json"
$PY - "$tmp/end.json" "$sms" "$N" <<'PY' && ok "all $N jobs there and sent, each with its line" || ko "jobs lost"
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
ids = {r["id"] for r in jsonl(arg(2))}
sent = [j for j in js if j["state"] == "sent"]
print("%d jobs, %d sent, %d ids delivered" % (len(js), len(sent), len(ids)))
raise SystemExit(0 if len(js) == int(arg(3)) == len(sent) and all(j["id"] in ids for j in sent) else 1)
PY
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report"
fi
finish
