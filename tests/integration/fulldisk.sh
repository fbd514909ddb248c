#!/bin/sh
# A full disk (README "Delivery"): 20,000 SMS due, the file gateway's
# folder on a 1 MB tmpfs (the store beside the config, so that the disk
# fills while sms.jsonl is appended to, not in SQLite). A record cut short
# is taken back and the job is a temporary failure, never `sent`. After each run, and after the disk is given more
# room and the rest goes: every line of sms.jsonl is whole JSON, and every
# job `sent` in the outbox has a whole line with its id.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smsplan.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: mounting a small tmpfs needs root"
	exit 0
fi
disk="$tmp/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o size=${FULL_SIZE:-1m},mode=0700 tmpfs "$disk" 2>"$tmp/mount.err"; then
	echo "skipped: cannot mount a tmpfs: $(cat "$tmp/mount.err")"
	exit 0
fi
at_exit 'umount "$disk" 2>/dev/null'
N=${FULL_JOBS:-20000}

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "file"; dir = "../disk/outbox"; } );
CFG
sms_plan "$tmp/conf/plan.cfg" "$N" "FULL/KH"
cfg="$tmp/conf/loa.cfg"
sms="$disk/outbox/sms.jsonl"

# The outbox against sms.jsonl: every line whole, every job sent has one.
verify() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>"$tmp/outbox.err" ||
		{ echo "outbox: $(cat "$tmp/outbox.err")"; return 1; }
	$PY - "$tmp/outbox.json" "$sms" "$1" <<'PY'
import collections, json
from loatest import arg, jobs
js = jobs(arg(1))
want_all = arg(3) == "all"
bad = []
ids = set()
try:
    data = open(arg(2), "rb").read()
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
sent = [j["id"] for j in js if j["state"] == "sent"]
missing = [i for i in sent if i not in ids]
if missing:
    bad.append("%d jobs sent without a whole line, e.g. %s" % (len(missing), missing[0]))
states = dict(collections.Counter(j["state"] for j in js))
print("%d jobs %s, %d whole lines" % (len(js), states, len(ids)))
if want_all and states.get("sent") != len(js):
    bad.append("not all sent")
if bad:
    print("\n".join(bad))
    raise SystemExit(1)
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
	if grep -q "sms.jsonl: $($PY -c 'import os; print(os.strerror(28))')" "$tmp/outbox.json"; then
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
finish
