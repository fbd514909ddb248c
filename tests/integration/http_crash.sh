#!/bin/sh
# http_crash.sh: `kill -9` of `loa run` in the middle of 5,000 SMS through
# the http gateway's webhook preset (tests/tools/faultgw.py answers each
# after 20 ms, so sends are in flight when the kill lands), then a
# restart (conf/REFERENCE.md §6, crash safety). None is lost: every job ends
# `sent` and was answered at the gateway; a message the gateway got twice (sent,
# answered, but not yet recorded when loa died) carries the same
# Idempotency-Key as its first copy, that key is its job's id, and the
# body is the same.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
. "$TOOLS/smsplan.sh"
pid=
at_exit faultgw_stop
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
N=${CRASH_JOBS:-5000}

echo '{ "rules": [ { "fault": "slow", "delay": 0.02 } ] }' >"$tmp/rules.json"
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
  url = "http://127.0.0.1:$FAULTGW_PORT/sms"; concurrency = 32; timeout = "10s"; } );
channels = { sms = "sms"; };
CFG
sms_plan "$tmp/conf/plan.cfg" "$N" "CRASH/HTTP"
cfg="$tmp/conf/loa.cfg"

# count: requests the gateway has logged.
count() { wc -l <"$tmp/gw.log" 2>/dev/null || echo 0; }
# The kill waits for a state: a third of the requests at the gateway.
kill_midway "$tmp/gw.log" $((N / 3)) "$N" \
    "$LOA" -c "$cfg" run --now "2026-03-02 09:00"
at=$(count)
echo "killed after $at requests"
[ "$at" -gt 0 ] && [ "$at" -lt "$N" ] && ok "the kill landed in the middle ($at of $N)" ||
    ko "the kill did not land in the middle ($at of $N)" "$(tail -3 "$tmp/err")"

# The restart, stopped once the outbox has every job sent. The outbox is
# read only once the gateway has answered every number: polling the store
# while the restarted loa opens it after the kill made that start fail
# ("database is locked") on a loaded machine.
"$LOA" -c "$cfg" run --now "2026-03-02 09:00" >/dev/null 2>"$tmp/run2.err" &
pid=$!
all_answered() {
	alive "$pid" || return 0
	$PY - "$tmp/gw.log" "$N" <<'PY'
from loatest import arg, jsonl
done = {r["to"] for r in jsonl(arg(1)) if r["status"] == 200}
raise SystemExit(len(done) < int(arg(2)))
PY
}
all_sent() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/poll.json" 2>/dev/null &&
	    $PY - "$tmp/poll.json" "$N" <<'PY'
from loatest import arg, jobs
raise SystemExit(sum(j["state"] == "sent" for j in jobs(arg(1))) < int(arg(2)))
PY
}
poll_until 900 all_answered && poll_until 300 all_sent ||
    ko "the restarted run did not send everything" "$(tail -3 "$tmp/run2.err")"
poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc = 0 ] && ok "the restarted loa run finished and stopped on SIGTERM" ||
    ko "the restarted run exited $rc" "$(tail -3 "$tmp/run2.err")"
grep -q "in flight at the last stop will be sent again with the same id" "$tmp/run2.err" &&
    ok "the restart put the sends in flight at the kill back" ||
    ko "no send was in flight at the kill" "$(cat "$tmp/run2.err")"

"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json"
if $PY - "$tmp/outbox.json" "$tmp/gw.log" "$N" <<'PY'
import collections
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
reqs = jsonl(arg(2))
n = int(arg(3))
bad = []
states = collections.Counter(j["state"] for j in js)
if len(js) != n or states.get("sent") != n:
    bad.append("states %s of %d jobs" % (dict(states), len(js)))
by_to = collections.defaultdict(list)
for r in reqs:
    by_to[r["to"]].append(r)
dups = 0
for j in js:
    rs = by_to.get(j["address"], [])
    if not any(r["status"] == 200 for r in rs):
        bad.append("job %s (%s) never answered at the gateway" % (j["id"], j["address"]))
        continue
    keys = {r["headers"].get("Idempotency-Key") for r in rs}
    bodies = {r["body"] for r in rs}
    if keys != {j["id"]} or len(bodies) != 1:
        bad.append("job %s: keys %s, %d bodies" % (j["id"], keys, len(bodies)))
    dups += len(rs) - 1
if set(by_to) - {j["address"] for j in js}:
    bad.append("requests for numbers no job has")
print("%d jobs sent, %d requests, %d duplicates, each with its first copy's key"
      % (states.get("sent", 0), len(reqs), dups))
if bad:
    print("\n".join(bad[:20]))
raise SystemExit(1 if bad else 0)
PY
then ok "none lost; every duplicate carries its first copy's Idempotency-Key (its job id) and body"
else ko "outbox and gateway disagree after the kill"
fi
grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err" "$tmp/run2.err" &&
    ko "sanitizer report"
finish
