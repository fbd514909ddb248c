#!/bin/sh
# http_faults.sh: 5,000 SMS through the http gateway's webhook preset to
# tests/tools/faultgw.py, which injects faults on a message's first
# attempt (chosen by a hash of its id): timeouts (no answer within loa's
# 3 s), 500, 503, 429 with Retry-After: 1 (few: the engine holds the whole
# gateway that second), connection resets, 200 with an
# error in the body (the gateway's success rule says "busy" is retry), and
# slow answers; and a 400 for every number ending in 77 (conf/REFERENCE.md §6).
#
# `loa run` on the real clock (rate = "200/s") sends the first attempts;
# the retries, whose backoff is up to 30 s, go in `run --once --now T`
# rounds a half hour apart. Then: every job but the 400s is `sent` and was
# answered with success at the gateway exactly once (no id delivered
# twice, none lost), the 400s are `dead` with the answer kept, and the
# rate the gateway saw under `loa run` over any one-second sliding window
# is at most 200 plus the bucket's burst (one second's worth) plus the
# concurrency (requests in flight arrive bunched).
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
. "$TOOLS/smsplan.sh"
# The outbox on a tmpfs where there is one: while the rate holds jobs
# back, the engine puts each due job it has no token for back with a
# commit of its own, every second (thousands of fsyncs a second on a
# disk); this test is about faults and the rate, not the disk.
shm=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
at_exit '[ -n "${KEEP:-}" ] || rm -rf "$shm"'
pid=
at_exit faultgw_stop
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
N=${FAULT_JOBS:-5000}
RATE=200

cat >"$tmp/rules.json" <<'JSON'
{ "timeout_delay": 5,
  "rules": [
  { "to_suffix": "77", "status": 400, "body": "{\"error\": \"number barred\"}" },
  { "permille": [0, 10], "attempt": 1, "fault": "timeout" },
  { "permille": [10, 30], "attempt": 1, "status": 500, "body": "oops" },
  { "permille": [30, 50], "attempt": 1, "status": 503, "body": "down" },
  { "permille": [50, 53], "attempt": 1, "status": 429, "body": "slow down",
    "headers": { "Retry-After": "1" } },
  { "permille": [70, 80], "attempt": 1, "fault": "reset" },
  { "permille": [80, 100], "attempt": 1, "status": 200,
    "body": "{\"status\": \"busy\"}", "type": "application/json" },
  { "permille": [100, 130], "fault": "slow", "delay": 0.2 }
] }
JSON
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "$shm/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
  url = "http://127.0.0.1:$FAULTGW_PORT/sms"; rate = "$RATE/s"; concurrency = 32;
  timeout = "3s";
  success = { pointer = "/status"; ok = [ "ok" ]; retry = [ "busy" ]; }; } );
channels = { sms = "sms"; };
CFG
sms_plan "$tmp/conf/plan.cfg" "$N" "FAULT/KH"
cfg="$tmp/conf/loa.cfg"
"$LOA" -c "$cfg" check >/dev/null 2>"$tmp/check" || ko "config checks" "$(cat "$tmp/check")"

# Every first attempt under `loa run`, on the real clock.
"$LOA" -c "$cfg" run --now "2026-03-02 09:00" >/dev/null 2>"$tmp/run.err" &
pid=$!
$PY - "$tmp/gw.log" "$N" <<'PY'
import json, sys, time
seen = set()
off = 0
end = time.time() + 900  # a bound for a machine far too slow
while time.time() < end:
    with open(sys.argv[1], encoding="utf-8") as f:
        f.seek(off)
        for line in f:
            if not line.endswith("\n"):
                break
            off += len(line.encode("utf-8"))
            seen.add(json.loads(line)["id"])
    if len(seen) >= int(sys.argv[2]):
        break
    time.sleep(0.5)
print("the gateway saw %d ids" % len(seen))
PY
# The last timeouts land: no job is left in flight.
landed() {
	! "$LOA" -c "$cfg" outbox --json 2>/dev/null | grep -q '"state": *"sending"'
}
poll_until 300 landed
t_run_end=$($PY -c 'import time; print(time.time())')
poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ $rc = 0 ] && ok "loa run sent every first attempt and stopped on SIGTERM" ||
    ko "loa run exited $rc" "$(tail -3 "$tmp/run.err")"

# The retries, in rounds on a shifted clock.
round=0
for t in "10:00" "10:30" "11:00" "11:30" "12:00" "12:30" "13:00" "13:30"; do
	"$LOA" -c "$cfg" run --once --now "2026-03-02 $t" >/dev/null 2>>"$tmp/once.err"
	round=$((round + 1))
	left=$("$LOA" -c "$cfg" outbox --json | $PY -c 'import json,sys; print(sum(j["state"] in ("pending","failed","sending") for j in json.load(sys.stdin)))')
	[ "$left" = 0 ] && break
done
echo "retries done after $round run --once rounds"
"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json"

if $PY - "$tmp/outbox.json" "$tmp/gw.log" "$N" "$t_run_end" "$RATE" <<'PY'
from loatest import jsonl, load
import collections, json, sys
jobs = load(sys.argv[1])
n, t_end, rate = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
reqs = jsonl(sys.argv[2])
bad = []
states = collections.Counter(j["state"] for j in jobs)
print("outbox: %s; gateway: %d requests, faults %s" % (dict(states), len(reqs),
      dict(collections.Counter(r["fault"] or r["status"] for r in reqs))))
if len(jobs) != n:
    bad.append("%d jobs, expected %d" % (len(jobs), n))
delivered = collections.Counter(r["id"] for r in reqs
                                if r["status"] == 200 and '"ok"' in (r["answer"] or ""))
for j in jobs:
    barred = j["address"].endswith("77")
    if barred:
        e = j["last_error"] or ""
        if j["state"] != "dead" or "HTTP 400" not in e or "number barred" not in e:
            bad.append("400 job %s: %s %r" % (j["id"], j["state"], e))
    elif j["state"] != "sent":
        bad.append("job %s is %s (%r)" % (j["id"], j["state"], j["last_error"]))
    elif delivered[j["id"]] != 1:
        bad.append("job %s delivered %d times" % (j["id"], delivered[j["id"]]))
ids = {j["id"] for j in jobs}
if set(delivered) - ids:
    bad.append("deliveries of unknown ids")
faulted = {r["id"] for r in reqs if r["attempt"] == 1 and (r["fault"] in ("timeout", "reset")
           or r["status"] in (500, 503, 429) or '"busy"' in (r["answer"] or ""))}
retried = {r["id"] for r in reqs if r["attempt"] > 1}
if not faulted or faulted - retried:
    bad.append("%d first-attempt faults, %d of them never retried" % (len(faulted), len(faulted - retried)))
# The rate under `loa run`: any one-second window.
ts = sorted(r["t"] for r in reqs if r["t"] <= t_end)
worst, lo = 0, 0
for hi in range(len(ts)):
    while ts[hi] - ts[lo] >= 1.0:
        lo += 1
    worst = max(worst, hi - lo + 1)
span = ts[-1] - ts[0] if ts else 0
# Measured where they arrive: the up to 32 requests in flight may bunch
# up on the way, so the bound is the rate, its burst and the concurrency.
print("under loa run: %d requests in %.1f s, at most %d in any second (limit %d + burst %d + "
      "32 in flight)" % (len(ts), span, worst, rate, rate))
if worst > 2 * rate + 32:
    bad.append("%d requests in one second" % worst)
if len(ts) > rate * (span + 1) + rate:
    bad.append("%d requests in %.1f s exceed the rate" % (len(ts), span))
if bad:
    print("\n".join(bad[:20]))
sys.exit(1 if bad else 0)
PY
then ok "every retriable job sent and delivered once, the 400s dead with the answer, none lost, the rate kept"
else ko "outcomes at the gateway and in the outbox"
fi
grep -q -e AddressSanitizer -e 'runtime error' "$tmp/run.err" "$tmp/once.err" &&
    ko "sanitizer report"
finish
