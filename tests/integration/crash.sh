#!/bin/sh
# Crash safety (SPEC §6): 5,000 SMS jobs go through the file gateway, which
# records every delivery in sms.jsonl, while `loa run` is killed with
# SIGKILL at random moments and restarted, 20 times. At the end every job
# is `sent`, none is missing, and a job delivered twice carries the same
# id (its idempotency key) and the same message both times.
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
N=${CRASH_JOBS:-5000}
ROUNDS=${CRASH_ROUNDS:-20}

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
CFG
. "$LOA_SRC/tests/tools/smsplan.sh"
sms_plan "$tmp/conf/plan.cfg" "$N" "CRASH/KH"
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"

"$LOA" -c "$cfg" check >/dev/null 2>&1 && ok "generated plan checks" ||
    ko "generated plan does not check"

# Each round starts loa, waits until it is sending (sms.jsonl grows), then
# kills it after a random pause from a seeded generator (so a failure can
# be replayed): the kills land among the sends, not on an idle process.
seed=${CRASH_SEED:-$$}
echo "seed $seed"
size() { [ -f "$sms" ] && wc -c <"$sms" || echo 0; }
i=0
midsend=0
while [ "$i" -lt "$ROUNDS" ]; do
	size0=$(size)
	"$LOA" -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>>"$tmp/err" &
	pid=$!
	waited=0
	while [ "$(size)" -le "$size0" ] && [ "$waited" -lt 3000 ] &&
	    kill -0 "$pid" 2>/dev/null; do
		sleep 0.002
		waited=$((waited + 2))
	done
	ms=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s + i); print int(rand() * 15) }')
	sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	if kill -9 "$pid" 2>/dev/null && [ "$(size)" -gt "$size0" ] &&
	    [ "$(wc -l <"$sms")" -lt "$N" ]; then
		midsend=$((midsend + 1))
	fi
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
lines=$( [ -f "$sms" ] && wc -l <"$sms" || echo 0)
echo "after $ROUNDS kills ($midsend while sending): $lines deliveries recorded"
[ "$midsend" -ge $((ROUNDS / 2)) ] && ok "$midsend of $ROUNDS kills landed while sending" ||
    ko "only $midsend of $ROUNDS kills landed while sending"

# Finish what is left, and stop cleanly.
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>>"$tmp/err" &&
    ok "a last run --once finishes" || ko "last run failed: $(tail -3 "$tmp/err")"
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report: $(grep -m3 -e AddressSanitizer -e 'runtime error' "$tmp/err")"
fi

"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json"
if /usr/bin/python3 - "$tmp/outbox.json" "$sms" "$N" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))
n = int(sys.argv[3])
bad = []
states = {}
for j in jobs:
    states[j["state"]] = states.get(j["state"], 0) + 1
if len(jobs) != n or states.get("sent") != n:
    bad.append("states %s of %d jobs" % (states, len(jobs)))
first = {}
dups = 0
for line in open(sys.argv[2], encoding="utf-8"):
    r = json.loads(line)
    if r["id"] in first:
        dups += 1
        if first[r["id"]] != r:
            bad.append("duplicate of %s differs" % r["id"])
    else:
        first[r["id"]] = r
ids = {j["id"] for j in jobs}
missing = ids - set(first)
extra = set(first) - ids
if missing:
    bad.append("%d jobs never delivered" % len(missing))
if extra:
    bad.append("%d deliveries of unknown jobs" % len(extra))
print("%d jobs sent, %d deliveries, %d duplicates (same id, same message)"
      % (states.get("sent", 0), len(first) + dups, dups))
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
then ok "every job sent exactly once or duplicated with its own key"
else ko "outbox and deliveries disagree"
fi

# A second run sends nothing more.
before=$(wc -l <"$sms")
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:05" >/dev/null 2>&1
after=$(wc -l <"$sms")
[ "$before" -eq "$after" ] && ok "nothing is sent twice by a later run" ||
    ko "a later run sent $((after - before)) more"

sanitizer_check "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
