#!/bin/sh
# The claim with emergencies first (not a test), called by scripts/bench:
# N SMS all due at once (a distribution, default 20,000) and one
# emergency broadcast whose sms_to names one more person, due after them,
# through `loa run --once` to the file gateway, every state change durable.
# Prints loa's rate of sends and where the emergency's SMS landed in
# sms.jsonl (it must be first: its claim goes ahead of the backlog), beside
# the floor measured in the same run: a bare SQLite loop of the same
# durable updates (bare-sqlite.sh, batches of 256 as loa's turns). With a
# second binary (LOA_BASE, e.g. one built before the urgent claim), its
# rate on the same plan too, and the ratio.
#
#   scripts/bench.d/urgent.sh [LOA]
set -eu
cd "$(dirname "$0")/../.."
LOA=${1:-./build/loa}
N=${BENCH_URGENT_JOBS:-20000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
. tests/tools/smsplan.sh
. scripts/bench.d/bare-sqlite.sh

sms_plan "$dir/plan.cfg" "$N" "BENCH/KH"
cat >>"$dir/plan.cfg" <<'PLAN'
broadcasts = ( { id = "chay-rung"; title = "Cháy rừng"; priority = "emergency";
  text = "Cháy rừng ở đồi thông, bà con tránh xa."; air = [ "2026-03-02 09:30" ];
  sms_to = [ "p0" ]; } );
PLAN
# One binary's run: sets RUN_S, RUN_RATE and RUN_POS (the emergency's line).
one() {
	rm -rf "$dir/var"
	cat >"$dir/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "file"; dir = "var/sms"; },
             { id = "speaker"; kind = "spool"; dir = "var/broadcast"; } );
channels = { sms = "sms"; broadcast = "speaker"; };
CFG
	t0=$(date +%s.%N)
	"$1" -c "$dir/loa.cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$dir/err" ||
	    { cat "$dir/err" >&2; exit 1; }
	t1=$(date +%s.%N)
	RUN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	RUN_RATE=$(awk -v n="$N" -v s="$RUN_S" 'BEGIN { printf "%.0f", (n + 1) / s }')
	RUN_POS=$(python3 -c 'import json, sys
ls = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
print([i for i, t in enumerate(ls) if "KHẨN CẤP" in t or "KHAN CAP" in t][0] + 1
      if any("KHẨN CẤP" in t for t in ls) else "none")' "$dir/var/sms/sms.jsonl")
}
echo "== the urgent claim: $N due SMS and one emergency's, run --once, file gateway"
one "$LOA"
printf '%-44s %7.2f s  %7d SMS/s  emergency SMS at line %s\n' "loa" \
    "$RUN_S" "$RUN_RATE" "$RUN_POS"
loa_rate=$RUN_RATE
if [ -n "${LOA_BASE:-}" ]; then
	one "$LOA_BASE"
	printf '%-44s %7.2f s  %7d SMS/s  emergency SMS at line %s\n' \
	    "reference: $LOA_BASE" "$RUN_S" "$RUN_RATE" "$RUN_POS"
	awk -v a="$loa_rate" -v b="$RUN_RATE" 'BEGIN {
		printf "ratio loa / reference binary: %.2f\n", a / b }'
fi
bare_sqlite "$dir" "$N" 256
printf '%-44s %7.2f s  %7d rows/s\n' "floor: bare SQLite, the same durable updates" \
    "$BARE_S" "$BARE_RATE"
awk -v a="$loa_rate" -v b="$BARE_RATE" 'BEGIN {
	printf "ratio loa / floor: %.2f\n", a / b }'
