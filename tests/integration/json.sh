#!/bin/sh
# json.sh: `timeline --json` and `outbox --json` print the same objects
# (conf/REFERENCE.md §7, README): one writer for both.
#
# A copy of $LOA_TESTDATA/plans/json (email, SMS in GSM-7 and UCS-2, SMS
# skipped for want of a phone, a broadcast in a slot and an emergency one
# in none) in a temporary folder:
#   1. its `timeline --json` is expect-timeline.json, byte for byte;
#   2. after `run --once` (some jobs sent, some expired, some pending), for
#      every job of the timeline the outbox has one object with the same
#      member names in the same order plus exactly attempts, sent_at and
#      last_error at the end, and the same values except state and reason;
#   3. each object has the members README lists for its channel and kind.
# Needs LOA (the binary) and LOA_TESTDATA (tests/data).
. "$LOA_SRC/tests/tools/prologue.sh"
: "${LOA_TESTDATA:?}"

src="$LOA_TESTDATA/plans/json"
cp -R "$src" "$tmp/conf"
rm -rf "$tmp/conf/var"
cfg="$tmp/conf/loa.cfg"
now="2026-03-02 08:00"

# 1. The golden file. The plan path in it is the plan's id, never a file
# name, so the copy prints the same bytes.
if "$LOA" -c "$cfg" timeline --json --now "$now" >"$tmp/timeline.json" \
    2>"$tmp/timeline.err"; then
	if cmp -s "$src/expect-timeline.json" "$tmp/timeline.json"; then
		ok "timeline --json is expect-timeline.json byte for byte"
	else
		ko "timeline --json differs from expect-timeline.json" \
		    "$(diff "$src/expect-timeline.json" "$tmp/timeline.json" |
		    head -c 800)"
	fi
else
	ko "timeline --json" "exit $?: $(head -c 600 "$tmp/timeline.err")"
fi

# 2. One run: the distribution and invitations go, the task reminders of
# 10/03 08:00 are still ahead, the rest later.
at="2026-03-09 12:00"
if "$LOA" -c "$cfg" run --once --now "$at" >"$tmp/run.out" \
    2>"$tmp/run.err"; then
	ok "run --once at $at"
else
	ko "run --once at $at" "exit $?: $(head -c 600 "$tmp/run.err")"
fi
# The timeline at the same moment, as the run saw it.
if "$LOA" -c "$cfg" timeline --json --now "$at" >"$tmp/t.json" \
    2>"$tmp/t.err" && "$LOA" -c "$cfg" outbox --json >"$tmp/o.json" \
    2>"$tmp/o.err"; then
	ok "timeline --json and outbox --json after the run"
else
	ko "timeline or outbox --json" "$(cat "$tmp/t.err" "$tmp/o.err" |
	    head -c 600)"
fi

if why=$($PY - "$tmp/t.json" "$tmp/o.json" <<'PY'
import sys
from loatest import load

timeline, outbox = load(sys.argv[1]), load(sys.argv[2])
bad = []
first = ["id", "plan", "kind", "object", "recipient", "channel", "address",
         "due", "state", "reason"]
added = ["attempts", "sent_at", "last_error"]
by = {}
for o in outbox:
    if o["id"] in by:
        bad.append("outbox: %s twice" % o["id"])
    by[o["id"]] = o
states = set()
for t in timeline:
    o = by.get(t["id"])
    if o is None:
        bad.append("%s %s %s: not in the outbox" %
                   (t["kind"], t["object"], t["id"]))
        continue
    tk, ok_ = list(t), list(o)
    if ok_ != tk + added:
        bad.append("%s: outbox members %s, timeline's %s + %s" %
                   (t["id"], ok_, tk, added))
    for k in tk:
        if k not in ("state", "reason") and o.get(k) != t[k]:
            bad.append("%s: %s is %r in the outbox, %r in the timeline" %
                       (t["id"], k, o.get(k), t[k]))
    states.add(o["state"])
    # 3. The members for the channel and the kind (README).
    want = list(first)
    if t["channel"] == "sms" and t["address"] is not None:
        want += ["sms_parts", "sms_encoding"]
    if t["kind"] == "broadcast":
        want += ["slot", "priority", "duration_s"]
    if tk != want:
        bad.append("%s %s %s: members %s, expected %s" %
                   (t["kind"], t["channel"], t["id"], tk, want))
# The fixture covers what it says: else the checks above prove little.
keys = {k for t in timeline for k in t}
for k in ("sms_parts", "sms_encoding", "slot", "priority", "duration_s"):
    if k not in keys:
        bad.append("the fixture has no job with %s" % k)
encs = {t.get("sms_encoding") for t in timeline} - {None}
if encs != {"gsm7", "ucs2"}:
    bad.append("the fixture's SMS encodings: %s" % sorted(encs))
if None not in {t.get("slot", "") for t in timeline}:
    bad.append("the fixture has no broadcast without a slot")
for s in ("sent", "pending", "skipped"):
    if s not in states:
        bad.append("no job %s after the run" % s)
if not any(o["sent_at"] for o in outbox):
    bad.append("no sent_at set after the run")
if bad:
    print("; ".join(bad[:8]) + (" (and %d more)" % (len(bad) - 8)
          if len(bad) > 8 else ""))
    sys.exit(1)
print("%d jobs, states %s" % (len(timeline), " ".join(sorted(states))))
PY
); then
	ok "outbox --json has timeline --json's objects plus attempts, sent_at, last_error ($why)"
else
	ko "outbox --json against timeline --json: $why"
fi

ls "$tmp"/sanitizer.* >/dev/null 2>&1 || ok "no sanitizer report"
finish
