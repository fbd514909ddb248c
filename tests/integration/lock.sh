#!/bin/sh
# One service a store (README "The service"): a second `loa run` on a store
# a running one holds exits 3, naming the lock file and the holder's pid,
# and sends nothing; no job goes twice. `loa outbox` and `loa check` work
# beside the running service; `loa simulate` locks its own store.
. "$LOA_SRC/tests/tools/prologue.sh"
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
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
poll_until 60 test -s "$sms" || ko "the first service sent nothing"
"$LOA" -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err2" &
pid2=$!
if ! poll_until 30 eval '! kill -0 "$pid2" 2>/dev/null'; then
	poll_until 120 catches "$pid2" 15
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
all_sent() {
	[ "$("$LOA" -c "$cfg" outbox --state sent 2>/dev/null | grep -c distribution)" -ge "$N" ]
}
poll_until 300 all_sent
poll_until 120 catches "$pid" 15
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
# A holder of the lock until told: it says so by a file.
(flock -n 9 && : >"$tmp/held" && exec sleep 300) 9<"$out/loa.db.lock" &
fpid=$!
poll_until 30 test -f "$tmp/held"
"$LOA" -c "$cfg" simulate --out "$out" >/dev/null 2>"$tmp/err4"
rc=$?
kill "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
[ "$rc" -eq 3 ] && grep -q "loa.db.lock" "$tmp/err4" && [ -s "$out/loa.db" ] &&
    ok "a simulate whose store is held exits 3, its outbox kept: $(cat "$tmp/err4")" ||
    ko "simulate held: exit $rc: $(cat "$tmp/err4")"

finish
