#!/bin/sh
# A full disk (README "Delivery"): 20,000 SMS due, the file gateway's
# folder on a 1 MB tmpfs (the store beside the config, so that the disk
# fills while sms.jsonl is appended to, not in SQLite). A record cut short
# is taken back and the job is a temporary failure, never `sent`. After each run, and after the disk is given more
# room and the rest goes: every line of sms.jsonl is whole JSON, and every
# job `sent` in the outbox has a whole line with its id.
set -u
: "${LOA:?}"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: mounting a small tmpfs needs root"
	exit 0
fi
tmp=$(mktemp -d)
. "${LOA_SRC:?}/tests/tools/sanitizer.sh"
sanitizer_logs "$tmp"
disk="$tmp/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o size=${FULL_SIZE:-1m},mode=0700 tmpfs "$disk" 2>"$tmp/mount.err"; then
	echo "skipped: cannot mount a tmpfs: $(cat "$tmp/mount.err")"
	rm -rf "$tmp"
	exit 0
fi
trap 'umount "$disk" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }
N=${FULL_JOBS:-20000}

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "file"; dir = "../disk/outbox"; } );
CFG
. "$LOA_SRC/tests/tools/smsplan.sh"
sms_plan "$tmp/conf/plan.cfg" "$N" "FULL/KH"
cfg="$tmp/conf/loa.cfg"
sms="$disk/outbox/sms.jsonl"

# The outbox against sms.jsonl: every line whole, every job sent has one.
verify() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>"$tmp/outbox.err" ||
		{ echo "outbox: $(cat "$tmp/outbox.err")"; return 1; }
	/usr/bin/python3 - "$tmp/outbox.json" "$sms" "$1" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))
want_all = sys.argv[3] == "all"
bad = []
ids = set()
try:
    data = open(sys.argv[2], "rb").read()
except FileNotFoundError:
    data = b""
if data and not data.endswith(b"\n"):
    bad.append("sms.jsonl ends in a torn record: ...%r" % data[-60:])
for n, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
    try:
        ids.add(json.loads(line)["id"])
    except Exception:
        bad.append("line %d is not whole JSON: %r" % (n, line[:80]))
        break
sent = [j["id"] for j in jobs if j["state"] == "sent"]
missing = [i for i in sent if i not in ids]
if missing:
    bad.append("%d jobs sent without a whole line, e.g. %s" % (len(missing), missing[0]))
states = {}
for j in jobs:
    states[j["state"]] = states.get(j["state"], 0) + 1
print("%d jobs %s, %d whole lines" % (len(jobs), states, len(ids)))
if want_all and (len(jobs) != int(want_all and len(jobs)) or states.get("sent") != len(jobs)):
    bad.append("not all sent")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
}

# Fill the disk: runs until a send fails on it.
full=0
for round in 1 2 3; do
	"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err.$round"
	rc=$?
	echo "run $round on the small disk: exit $rc; $(df -k "$disk" | awk 'NR == 2 { print $4 " kB free" }')"
	if verify some; then ok "after run $round on the full disk: sms.jsonl whole, every sent job has its line"
	else ko "after run $round on the full disk"
	fi
	# The retries name the file and the full disk.
	if grep -q "sms.jsonl: $(/usr/bin/python3 -c 'import os; print(os.strerror(28))')" "$tmp/outbox.json"; then
		full=1
	fi
done
[ "$full" -eq 1 ] && ok "the disk filled while sending" || ko "the disk never filled: the test proves nothing"

# More room: the rest goes, after the torn records if any.
mount -o remount,size=200m "$disk"
for round in 1 2 3; do
	"$LOA" -c "$cfg" run --once --now "2026-03-02 1$((round + 1)):00" >/dev/null 2>>"$tmp/err.more" ||
		echo "run $round with room: exit $?: $(tail -2 "$tmp/err.more")"
done
if verify all; then ok "with room again: every job sent, every line whole"
else ko "with room again"
fi
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp"/err.*; then
	ko "sanitizer report"
fi
sanitizer_check "$tmp"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
