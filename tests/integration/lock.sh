#!/bin/sh
# One service a store (README "The service"): a second `loa run` on a store
# a running one holds exits 3, naming the lock file and the holder's pid,
# and sends nothing; no job goes twice. `loa outbox` and `loa check` work
# beside the running service; `loa simulate` locks its own store.
set -u
: "${LOA:?}"
tmp=$(mktemp -d)
. "${LOA_SRC:?}/tests/tools/sanitizer.sh"
sanitizer_logs "$tmp"
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
N=${LOCK_JOBS:-3000}

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
CFG
. "$LOA_SRC/tests/tools/smsplan.sh"
sms_plan "$tmp/conf/plan.cfg" "$N" "LOCK/KH"
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"

# The first service; the second starts as soon as the first is sending.
"$LOA" -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err1" &
pid=$!
waited=0
while [ ! -s "$sms" ] && [ "$waited" -lt 500 ]; do
	sleep 0.02
	waited=$((waited + 1))
done
"$LOA" -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err2" &
pid2=$!
w2=0
while kill -0 "$pid2" 2>/dev/null && [ "$w2" -lt 100 ]; do
	sleep 0.1
	w2=$((w2 + 1))
done
if kill -0 "$pid2" 2>/dev/null; then
	kill -TERM "$pid2"
	wait "$pid2"
	ko "the second service kept running beside the first"
else
	wait "$pid2"
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q "loa.db.lock" "$tmp/err2" &&
	    grep -q "pid $pid" "$tmp/err2"; then
		ok "the second service exits 3: $(cat "$tmp/err2")"
	else
		ko "the second service: exit $rc: $(cat "$tmp/err2")"
	fi
fi

# Read-only commands beside the running service.
"$LOA" -c "$cfg" outbox >/dev/null 2>"$tmp/err3" && ok "loa outbox works beside it" ||
    ko "loa outbox beside it: $(cat "$tmp/err3")"
"$LOA" -c "$cfg" check >/dev/null 2>"$tmp/err3" && ok "loa check works beside it" ||
    ko "loa check beside it: $(cat "$tmp/err3")"

# Let the first finish everything, then stop it.
waited=0
while [ "$("$LOA" -c "$cfg" outbox --state sent 2>/dev/null | grep -c distribution)" -lt "$N" ] &&
    [ "$waited" -lt 300 ]; do
	sleep 0.1
	waited=$((waited + 1))
done
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && ok "the first service stops with 0" || ko "first exit $rc: $(tail -3 "$tmp/err1")"
lines=$(wc -l <"$sms")
uniq=$(sed 's/^{"id":"\([0-9a-f]*\)".*/\1/' "$sms" | sort -u | wc -l)
[ "$lines" -eq "$N" ] && [ "$uniq" -eq "$N" ] &&
    ok "$N jobs, $lines deliveries, no duplicate" ||
    ko "$N jobs: $lines deliveries of $uniq ids"

# Simulate takes the lock of its own store.
out="$tmp/sim"
"$LOA" -c "$cfg" simulate --out "$out" >/dev/null 2>"$tmp/err4" || ko "simulate: $(cat "$tmp/err4")"
flock -n "$out/loa.db.lock" sleep 3 &
fpid=$!
sleep 0.3
"$LOA" -c "$cfg" simulate --out "$out" >/dev/null 2>"$tmp/err4"
rc=$?
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
[ "$rc" -eq 3 ] && grep -q "loa.db.lock" "$tmp/err4" && [ -s "$out/loa.db" ] &&
    ok "a simulate whose store is held exits 3, its outbox kept: $(cat "$tmp/err4")" ||
    ko "simulate held: exit $rc: $(cat "$tmp/err4")"

sanitizer_check "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
