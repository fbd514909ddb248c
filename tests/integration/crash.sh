#!/bin/sh
# Crash safety (conf/REFERENCE.md §6): SMS jobs go through the file gateway,
# which records every delivery in sms.jsonl, while `loa run` is killed with
# SIGKILL in the middle of its sends and restarted, until 20 kills landed
# among the sends. At the end every job is `sent`, none is missing, and a
# job delivered twice carries the same id (its idempotency key) and the
# same message both times.
#
# No kill waits for a guess of time. Before each round the outbox is
# topped up (one more plan) when fewer than half a plan's jobs are left to
# send; each round waits until it has recorded a seeded random number of
# deliveries (1 to 40) and kills loa at that instant: with thousands still
# to send, the kill lands among the sends whatever the disk's speed.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smsplan.sh"
N=${CRASH_JOBS:-5000}
ROUNDS=${CRASH_ROUNDS:-20}
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'

cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"
mkdir -p "$tmp/conf"
plans=0
jobs=0
list=
# One more plan of $1 jobs, and the config that lists every plan so far.
add_plan() {
	plans=$((plans + 1))
	jobs=$((jobs + $1))
	sms_plan "$tmp/conf/plan$plans.cfg" "$1" "CRASH/KH-$plans"
	list="$list${list:+, }\"plan$plans.cfg\""
	cat >"$cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ $list ]; };
CFG
}
add_plan "$N"
lines() { [ -f "$sms" ] && wc -l <"$sms" || echo 0; }

"$LOA" -c "$cfg" check >/dev/null 2>&1 && ok "generated plan checks" ||
    ko "generated plan does not check"

# The number of deliveries each round waits for comes from a seeded
# generator, so that a failure can be replayed (CRASH_SEED).
seed=${CRASH_SEED:-$$}
echo "seed $seed"
# A round whose kill came too late (a busy machine kept the watcher off
# the processor while loa sent on) proves nothing and is played again:
# the test waits for ROUNDS kills among the sends, three times as many
# rounds at the most.
i=0
midsend=0
while [ "$midsend" -lt "$ROUNDS" ] && [ "$i" -lt $((ROUNDS * 3)) ]; do
	n0=$(lines)
	if [ $((jobs - n0)) -lt $((N / 2)) ]; then
		add_plan "$N"
		echo "round $i: topped up to $jobs jobs in $plans plans"
	fi
	more=$(awk -v s="$seed" -v i="$i" 'BEGIN { srand(s + i); print 1 + int(rand() * 40) }')
	if kill_midway "$sms" "$more" "$jobs" \
	    "$LOA" -c "$cfg" run --now "2026-03-02 10:00"; then
		midsend=$((midsend + 1))
	else
		echo "round $i: not killed while sending ($(cat "$tmp/at") of $jobs)"
	fi
	i=$((i + 1))
done
echo "after $i kills ($midsend while sending): $(lines) deliveries recorded"
[ "$midsend" -eq "$ROUNDS" ] && ok "$ROUNDS kills landed while sending" ||
    ko "only $midsend of $i kills landed while sending"

# Finish what is left, and stop cleanly.
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>>"$tmp/err" &&
    ok "a last run --once finishes" || ko "last run failed" "$(tail -3 "$tmp/err")"
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report" "$(grep -m3 -e AddressSanitizer -e 'runtime error' "$tmp/err")"
fi

"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json"
if $PY - "$tmp/outbox.json" "$sms" "$jobs" <<'PY'
import collections
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
n = int(arg(3))
bad = []
states = collections.Counter(j["state"] for j in js)
if len(js) != n or states.get("sent") != n:
    bad.append("states %s of %d jobs" % (dict(states), len(js)))
first = {}
dups = 0
for r in jsonl(arg(2)):
    if r["id"] in first:
        dups += 1
        if first[r["id"]] != r:
            bad.append("duplicate of %s differs" % r["id"])
    else:
        first[r["id"]] = r
ids = {j["id"] for j in js}
if ids - set(first):
    bad.append("%d jobs never delivered" % len(ids - set(first)))
if set(first) - ids:
    bad.append("%d deliveries of unknown jobs" % len(set(first) - ids))
print("%d jobs sent, %d deliveries, %d duplicates (same id, same message)"
      % (states.get("sent", 0), len(first) + dups, dups))
if bad:
    print("\n".join(bad))
    raise SystemExit(1)
PY
then ok "every job sent exactly once or duplicated with its own key"
else ko "outbox and deliveries disagree"
fi

# A second run sends nothing more.
before=$(lines)
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:05" >/dev/null 2>&1
after=$(lines)
[ "$before" -eq "$after" ] && ok "nothing is sent twice by a later run" ||
    ko "a later run sent $((after - before)) more"
finish
