#!/bin/sh
# Prompt signals (README "The service"), on a 100,000-person plan (100,000
# SMS): SIGTERM during the load, during the first reconciliation and while
# sending exits 0 within 1 s (measured from the signal to the exit);
# kill -9 rounds in between; SIGHUP while sending reloads between batches,
# not after every due job. Nothing is lost: after a final clean run every
# job is there and sent. The store is on a tmpfs when root (fsync is what
# sending costs; the test is about signals).
set -u
: "${LOA:?}"
tmp=$(mktemp -d)
. "${LOA_SRC:?}/tests/tools/sanitizer.sh"
sanitizer_logs "$tmp"
pid=
mounted=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; wait 2>/dev/null; [ -n "$mounted" ] && umount "$tmp/var"; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
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
. "$LOA_SRC/tests/tools/smsplan.sh"
sms_plan "$tmp/conf/plan.cfg" "$N" "TERM/KH"
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"
ms() { echo $(($(date +%s%N) / 1000000)); }
lines() { [ -f "$sms" ] && wc -l <"$sms" || echo 0; }

# Start loa run; after $1 s (or, with "sending", once it sends) send $2;
# print the ms from the signal to the exit, and the exit code.
round() {
	n0=$(lines)
	"$LOA" -v -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" &
	pid=$!
	if [ "$1" = sending ]; then
		w=0
		while [ "$(lines)" -le "$n0" ] && [ "$w" -lt 600 ]; do sleep 0.05; w=$((w + 1)); done
	else
		sleep "$1"
	fi
	t0=$(ms)
	kill "-$2" "$pid"
	wait "$pid"
	rc=$?
	t1=$(ms)
	pid=
	echo "$((t1 - t0)) $rc"
}
# A SIGTERM round: exit 0 within 1 s; one retry if the machine was slow.
term() { # delay what-log
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
term 0.3 "during the load"
term 3.5 "during the first reconciliation"
grep -q "stopped by a signal and rolled back" "$tmp/err" &&
    ok "the reconciliation gave way and rolled back" ||
    echo "note: the SIGTERM did not land in the reconciliation: $(tail -2 "$tmp/err")"
set -- $(round 3.5 KILL 2>/dev/null)
echo "kill -9 during the reconciliation"
term 5 "during a later reconciliation"
set -- $(round 4.5 KILL 2>/dev/null)
echo "kill -9 later"

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
w=0
while [ "$(lines)" -le "$n0" ] && [ "$w" -lt 600 ]; do sleep 0.05; w=$((w + 1)); done
kill -HUP "$pid"
w=0
while ! grep -q "SIGHUP: reloading" "$tmp/err" && [ "$w" -lt 20 ]; do sleep 0.05; w=$((w + 1)); done
n=$(lines)
grep -q "SIGHUP: reloading" "$tmp/err" && [ "$n" -lt "$N" ] &&
    ok "SIGHUP while sending: the reload starts within 1 s, $n of $N sent" ||
    ko "SIGHUP while sending: $n of $N sent: $(tail -2 "$tmp/err")"
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
/usr/bin/python3 -c '
import json, sys
s = {}
for j in json.load(open(sys.argv[1])):
    s[j["state"]] = s.get(j["state"], 0) + 1
print("after the stop:", s)
sys.exit(0 if s.get("pending", 0) > 0 and "sending" not in s else 1)' "$tmp/mid.json" &&
    ok "what was not sent stays pending, nothing left sending" || ko "states after the stop"

# A final clean run of the first store: everything there, everything sent.
cfg=$main_cfg
sms=$main_sms
t0=$(ms)
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" ||
    ko "final run: $(tail -2 "$tmp/err")"
echo "final run: $(($(ms) - t0)) ms"
"$LOA" -c "$cfg" outbox --json >"$tmp/end.json"
/usr/bin/python3 - "$tmp/end.json" "$sms" "$N" <<'PY' && ok "all $N jobs there and sent, each with its line" || ko "jobs lost"
import json, sys
jobs = json.load(open(sys.argv[1]))
ids = {json.loads(l)["id"] for l in open(sys.argv[2], encoding="utf-8")}
sent = [j for j in jobs if j["state"] == "sent"]
print("%d jobs, %d sent, %d ids delivered" % (len(jobs), len(sent), len(ids)))
sys.exit(0 if len(jobs) == int(sys.argv[3]) == len(sent) and all(j["id"] in ids for j in sent) else 1)
PY
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report"
fi
sanitizer_check "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
