#!/bin/sh
# A gateway's rate through `loa run` (README "Delivery"): the SMS gateway
# takes rate = "1200/min" (20 a second, a burst of 20), and 100 SMS are due
# at once, with 5 emails on another gateway. Checked on what the outbox
# recorded, not on a clock: no whole second of sent_at holds more than the
# rate plus the burst (40), the sends spread over at least three seconds,
# each job was tried once (never claimed without a token, so never put
# back), every SMS has its one line in sms.jsonl, and every email went in
# the first second, not behind the rate-limited SMS.
. "$LOA_SRC/tests/tools/prologue.sh"
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
N=100

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "sms.cfg", "mail.cfg" ]; };
gateways = (
  { id = "sms"; kind = "file"; dir = "../var/sms"; rate = "1200/min"; },
  { id = "mail"; kind = "file"; dir = "../var/mail"; }
);
channels = { sms = "sms"; email = "mail"; };
CFG
. "$TOOLS/smsplan.sh"
sms_plan "$tmp/conf/sms.cfg" "$N" "RATE/KH"
cat >"$tmp/conf/mail.cfg" <<'PLAN'
plan = { id = "MAIL/KH"; issued = "2026-03-02"; title = "Thư"; };
people = (
  { id = "a"; name = "An"; email = "a@daison.example"; },
  { id = "b"; name = "Bình"; email = "b@daison.example"; },
  { id = "c"; name = "Châu"; email = "c@daison.example"; },
  { id = "d"; name = "Dũng"; email = "d@daison.example"; },
  { id = "e"; name = "Em"; email = "e@daison.example"; }
);
distribution = { at = "plan.issued at 09:00"; to = [ "a", "b", "c", "d", "e" ]; };
PLAN
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/sms/sms.jsonl"
"$LOA" -c "$cfg" check >"$tmp/check" 2>&1 && ok "the config checks" ||
    ko "the config does not check" "$(cat "$tmp/check")"

"$LOA" -c "$cfg" run --now "2026-03-02 09:00" >/dev/null 2>"$tmp/err" &
pid=$!
lines() { [ -f "$sms" ] && wc -l <"$sms" || echo 0; }
all_sent() { [ "$(lines)" -ge "$N" ] || ! alive "$pid"; }
poll_until 600 all_sent
poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && ok "loa run exits 0 on SIGTERM" || ko "loa run exit $rc" "$(tail -3 "$tmp/err")"

"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" || ko "outbox --json"
if out=$(/usr/bin/python3 - "$tmp/outbox.json" "$sms" "$N" 2>&1 <<'PY'
from loatest import jsonl, load
import collections, json, sys
jobs = load(sys.argv[1])
lines = jsonl(sys.argv[2])
n = int(sys.argv[3])
bad = []
sms = [j for j in jobs if j["channel"] == "sms"]
mail = [j for j in jobs if j["channel"] == "email"]
if len(sms) != n or any(j["state"] != "sent" for j in sms):
    bad.append("not every SMS sent: %s" % collections.Counter(j["state"] for j in sms))
if sorted(l["id"] for l in lines) != sorted(j["id"] for j in sms):
    bad.append("sms.jsonl does not hold each SMS once")
if any(j["attempts"] != 1 for j in jobs):
    bad.append("attempts: %s" % collections.Counter(j["attempts"] for j in jobs))
per = collections.Counter(j["sent_at"] for j in sms)
print("SMS a second:", [per[k] for k in sorted(per)])
if max(per.values()) > 40:
    bad.append("%d SMS in one second, more than rate + burst (40)" % max(per.values()))
if len(per) < 3:
    bad.append("100 SMS in %d seconds at 20 a second" % len(per))
first = min(per)
if len(mail) != 5 or any(j["state"] != "sent" or j["sent_at"] != first for j in mail):
    bad.append("the emails did not all go in the first second: %s" %
               [(j["state"], j["sent_at"]) for j in mail])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
); then
	ok "the rate holds, each job tried once, the emails not held up ($out)"
else
	ko "rate" "$out"
fi
# run --once sends all that is due, at the rate: not only the burst.
sed -e 's|"../var/loa.db"|"../once/loa.db"|' -e 's|"../var/|"../once/|g' \
    "$cfg" >"$tmp/conf/once.cfg"
if "$LOA" -c "$tmp/conf/once.cfg" run --once --now "2026-03-02 09:00" \
    >/dev/null 2>"$tmp/once.err" &&
    "$LOA" -c "$tmp/conf/once.cfg" outbox --json >"$tmp/once.json" &&
    out=$(python3 - "$tmp/once.json" "$N" <<'PY'
from loatest import load
import collections, json, sys
jobs = load(sys.argv[1])
n = int(sys.argv[2])
sent = [j for j in jobs if j["state"] == "sent"]
per = collections.Counter(j["sent_at"] for j in sent if j["channel"] == "sms")
bad = []
if len(sent) != n + 5:
    bad.append("%d of %d sent: %s" % (len(sent), n + 5,
               sorted(collections.Counter(j["state"] for j in jobs).items())))
if per and max(per.values()) > 40:
    bad.append("a second over rate + burst: %d" % max(per.values()))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
); then
	ok "run --once sends all that is due, at the gateway's rate"
else
	ko "run --once at a rate" "${out:-} $(cat "$tmp/once.err")"
fi
finish
