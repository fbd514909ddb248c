#!/bin/sh
# The seed plan in conf/: `check` passes and `timeline --json` shows what
# plan 129/KH-UBND asks for, in conf/REFERENCE.md §7's shape. Needs LOA and
# LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

cfg="$LOA_SRC/conf/loa.cfg"
# On the day before it was issued (later, check says what would expire);
# its only warnings are of the two people a kind of job cannot reach.
if "$LOA" -c "$cfg" check --now 2025-11-27 >"$tmp/check" 2>"$tmp/err" &&
    grep -q ': OK' "$tmp/check" &&
    [ "$(grep -c ': warning: ' "$tmp/err")" -eq 2 ] &&
    grep -q ': warning: manh-bd: gets no distribution' "$tmp/err" &&
    grep -q ': warning: khai-bv: gets no event-reminder' "$tmp/err"; then
	ok "check passes, warning only of who no channel reaches"
else
	ko "check: $(cat "$tmp/check" "$tmp/err")"
fi

"$LOA" -c "$cfg" timeline --json >"$tmp/a.json" 2>"$tmp/err" &&
    ok "timeline --json runs" || ko "timeline --json: $(cat "$tmp/err")"
"$LOA" -c "$cfg" timeline --json >"$tmp/b.json" 2>/dev/null
cmp -s "$tmp/a.json" "$tmp/b.json" && ok "timeline is stable across runs" ||
    ko "timeline differs between two runs"

# What a user checks in the JSON, judged by Debian's Python.
if $PY - "$tmp/a.json" <<'PY'
import re, sys
from loatest import load
jobs = load(sys.argv[1])
keys = ["id", "plan", "kind", "object", "recipient", "channel", "address",
        "due", "state", "reason"]
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
for j in jobs:
    k = list(j.keys())
    need(k[:10] == keys, "keys of %s: %s" % (j["id"], k))
    need(re.fullmatch(r"[0-9a-f]{16}", j["id"]), "id " + j["id"])
    need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", j["due"]),
         "due " + j["due"])
    need(j["plan"] == "129/KH-UBND", "plan")
    if j["channel"] == "sms":
        need(j["address"].startswith("+84") and j["sms_parts"] >= 1,
             "sms " + j["id"])
        need(j["sms_parts"] <= 3, "sms parts " + j["id"])
    if j["kind"] == "broadcast":
        need(j["recipient"] is None and j["address"] is None, "bc rcpt")
        need("slot" in j and j["slot"] is not None, "bc slot " + j["id"])
need(len({j["id"] for j in jobs}) == len(jobs), "ids unique")
need([j["due"] for j in jobs] == sorted(j["due"] for j in jobs), "sorted")
inv = {j["recipient"] for j in jobs if j["kind"] == "invitation"
       and j["channel"] == "email" and "@daison.example" in j["address"]}
need(35 <= len(inv) <= 50, "invitation recipients: %d" % len(inv))
need("vhxh" not in inv, "the organizer's mailbox is not invited")
need(all(j["due"].startswith("2025-12-19T08:00") for j in jobs
         if j["kind"] == "invitation"), "invitations 7 days ahead")
tasks = {j["object"] for j in jobs if j["kind"] == "task-reminder"}
need(len(tasks) == 12, "task reminders for 12 tasks: %d" % len(tasks))
dist = {j["recipient"] for j in jobs if j["kind"] == "distribution"}
need({"so-noi-vu", "van-thu", "soai"} <= dist, "distribution list")
bc = [j for j in jobs if j["kind"] == "broadcast"]
need(len(bc) == 4, "4 broadcast airings: %d" % len(bc))
rem = [j for j in jobs if j["kind"] == "event-reminder"]
need(rem and all(j["channel"] == "sms" for j in rem), "event reminders")
# Quiet hours: no SMS between 21:00 and 06:30.
for j in jobs:
    if j["channel"] == "sms":
        hm = j["due"][11:16]
        need("06:30" <= hm < "21:00", "sms in quiet hours " + j["id"])
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
print("%d jobs, %d invited, %d tasks, %d airings" %
      (len(jobs), len(inv), len(tasks), len(bc)))
PY
then ok "timeline JSON has the plan's jobs in conf/REFERENCE.md §7's shape"
else ko "timeline JSON content"
fi

# Under the table's heading, the rows of that day only.
"$LOA" -c "$cfg" timeline --from 2025-12-26 --to 2025-12-27 >"$tmp/day" &&
    head -n 1 "$tmp/day" | grep -q '^DUE ' && [ "$(wc -l <"$tmp/day")" -gt 1 ] &&
    ! tail -n +2 "$tmp/day" | grep -qv '^2025-12-26 ' &&
    ok "--from/--to keep one day" || ko "--from/--to"
"$LOA" -c "$cfg" timeline --from yesterday >/dev/null 2>&1
[ $? -eq 2 ] && ok "bad --from is a usage error (2)" || ko "bad --from"

ls "$tmp"/sanitizer.* >/dev/null 2>&1 || ok "no sanitizer report"
finish
