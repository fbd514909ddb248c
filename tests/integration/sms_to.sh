#!/bin/sh
# A broadcast's sms_to (conf/REFERENCE.md §7, README "Loudspeaker: SMS and
# emergencies"): its text also goes by SMS to the people named (a group
# expanded, deduplicated, a person without a phone skipped with the
# reason), at the item's first air time out of quiet hours, except an
# emergency's, which goes at its air time through quiet hours, at
# expansion and again at send time. The timeline shows each SMS (kind
# broadcast, channel sms, parts, encoding); `run --once` hands them to the
# file gateway folded to ASCII (fold = true) and cut to max_parts. Then
# the claim order: 2,000 due task reminders on a gateway at 10 a second
# and one emergency due after them: the emergency's SMS is among the
# first sent (sms.jsonl's order), ahead of the backlog.
. "$LOA_SRC/tests/tools/prologue.sh"
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
py=$PY
. "$TOOLS/smsplan.sh"

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ];
        quiet_hours = { start = "21:00"; end = "06:30"; }; };
gateways = (
  { id = "sms"; kind = "file"; dir = "../var/sms"; fold = true;
    max_parts = 3; },
  { id = "mail"; kind = "file"; dir = "../var/mail"; },
  { id = "speaker"; kind = "spool"; dir = "../var/broadcast"; }
);
channels = { sms = "sms"; email = "mail"; broadcast = "speaker"; };
broadcast = {
  slots = ( { name = "Sáng"; days = "mon-sun"; start = "06:00"; end = "06:30"; },
            { name = "Chiều"; days = "mon-sun"; start = "17:00"; end = "17:30"; } );
  words_per_minute = 130; gap = "5s"; };
CFG
long=$(awk 'BEGIN { for (i = 0; i < 60; i++) printf "Đường liên thôn số %d tạm đóng. ", i }')
cat >"$tmp/conf/plan.cfg" <<PLAN
plan = { id = "77/TB-UBND"; issued = "2026-12-01"; title = "Thông báo";
         issuer = "UBND xã Đại Sơn"; };
people = (
  { id = "an"; name = "Nguyễn Văn An"; phone = "0912 345 678"; },
  { id = "binh"; name = "Trần Thị Bình"; phone = "0987 654 321"; },
  { id = "chau"; name = "Lê Châu"; email = "chau@daison.example"; },
  { id = "dung"; name = "Phạm Dũng"; phone = "0903 111 222"; channels = [ "email" ];
    email = "dung@daison.example"; }
);
groups = ( { id = "thon1"; name = "Thôn 1"; members = [ "an", "binh" ]; } );
broadcasts = (
  { id = "tiem-chung"; title = "Lịch tiêm chủng";
    text = "Trạm y tế xã tổ chức tiêm chủng cho trẻ em vào sáng thứ Bảy.";
    air = [ "2026-12-11 17:00", "2026-12-10 22:00" ];
    sms_to = [ "thon1", "chau", "an", "dung" ]; },
  { id = "lu-lut"; title = "Cảnh báo lũ"; priority = "emergency";
    text = "Nước sông dâng cao, bà con vùng trũng di chuyển ngay.";
    air = [ "2026-12-10 23:00" ]; sms_to = [ "an", "chau" ]; },
  { id = "duong"; title = "Đường tạm đóng"; text = "$long";
    air = [ "2026-12-11 08:00" ]; sms_to = [ "binh" ]; },
  { id = "hop"; title = "Họp dân"; text = "Họp dân thôn 1 lúc 9 giờ.";
    priority = "normal"; air = [ "2026-12-12 09:00" ]; sms_to = [ "an" ]; }
);
PLAN
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/sms/sms.jsonl"

"$LOA" -c "$cfg" check >"$tmp/check" 2>&1 && ok "the config checks" ||
    ko "the config does not check" "$(cat "$tmp/check")"
grep -q 'plan.cfg:[0-9]*: warning: broadcasts.lu-lut.sms_to: chau has no phone number' "$tmp/check" &&
    ok "check warns of a person in sms_to without a phone, with FILE:LINE" ||
    ko "no warning for chau" "$(cat "$tmp/check")"
grep -q 'broadcasts.duong.sms_to: .*more than max_parts 3' "$tmp/check" &&
    ok "check warns of a broadcast's SMS past max_parts" ||
    ko "no max_parts warning" "$(cat "$tmp/check")"

"$LOA" -c "$cfg" timeline --json >"$tmp/tl.json" 2>/dev/null || ko "timeline --json"
if out=$($py - "$tmp/tl.json" 2>&1 <<'PY'
import sys
from loatest import load
jobs = load(sys.argv[1])
bad = []
sms = {(j["object"], j["recipient"]): j for j in jobs if j["channel"] == "sms"}
if any(j["kind"] != "broadcast" for j in sms.values()):
    bad.append("an SMS not of kind broadcast")
want = {("tiem-chung", "an"), ("tiem-chung", "binh"), ("tiem-chung", "chau"), ("tiem-chung", "dung"),
        ("lu-lut", "an"), ("lu-lut", "chau"), ("duong", "binh"), ("hop", "an")}
if set(sms) != want:
    bad.append("SMS jobs %s, want %s" % (sorted(sms), sorted(want)))
else:
    # The first air time (22:00, in quiet hours) moved to their end.
    for r in ("an", "binh"):
        j = sms[("tiem-chung", r)]
        if j["due"] != "2026-12-11T06:30:00+07:00" or j["state"] != "pending":
            bad.append("tiem-chung to %s: %s %s" % (r, j["due"], j["state"]))
        if j["priority"] != "normal" or "slot" in j:
            bad.append("tiem-chung SMS members: %s" % j)
    # The emergency's at its air time, quiet hours or not.
    j = sms[("lu-lut", "an")]
    if j["due"] != "2026-12-10T23:00:00+07:00" or j["priority"] != "emergency":
        bad.append("emergency SMS: %s %s" % (j["due"], j["priority"]))
    for k in (("tiem-chung", "chau"), ("lu-lut", "chau")):
        if sms[k]["state"] != "skipped" or sms[k]["reason"] != "no phone number":
            bad.append("%s: %s %s" % (k, sms[k]["state"], sms[k]["reason"]))
    k = ("tiem-chung", "dung")
    if sms[k]["state"] != "skipped" or sms[k]["reason"] != "does not accept sms":
        bad.append("%s: %s %s" % (k, sms[k]["state"], sms[k]["reason"]))
    for k, j in sms.items():
        if j["state"] == "pending" and (j.get("sms_encoding") != "gsm7" or
                                       j.get("sms_parts", 0) < 1):
            bad.append("%s: encoding %s parts %s" % (k, j.get("sms_encoding"), j.get("sms_parts")))
    if sms[("duong", "binh")]["sms_parts"] < 4:
        bad.append("the long SMS: %d parts" % sms[("duong", "binh")]["sms_parts"])
air = [j for j in jobs if j["channel"] == "broadcast"]
slots = sorted((j["object"], j["slot"], j["due"]) for j in air)
if ("tiem-chung", "Sáng", "2026-12-11T06:00:00+07:00") not in slots or \
   ("lu-lut", None, "2026-12-10T23:00:00+07:00") not in slots:
    bad.append("airings: %s" % slots)
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then ok "timeline --json: the SMS of sms_to, moved out of quiet hours but the emergency's, skipped without a phone or sms in channels"; else ko "timeline --json" "$out"; fi

"$LOA" -c "$cfg" timeline 2>/dev/null | grep 'lu-lut' | grep -q ' sms .* gsm7/1' &&
    ok "timeline shows the broadcast SMS's encoding and parts" ||
    ko "timeline text" "$("$LOA" -c "$cfg" timeline 2>&1 | grep lu-lut)"

# In quiet hours: only the emergency's SMS goes, and its broadcast.
"$LOA" -c "$cfg" run --once --now "2026-12-10 23:30" >"$tmp/run1" 2>&1 ||
    ko "run --once at 23:30" "$(cat "$tmp/run1")"
if out=$($py - "$sms" 2>&1 <<'PY'
import sys
from loatest import jsonl
lines = jsonl(sys.argv[1])
bad = []
if len(lines) != 1:
    bad.append("%d SMS sent at 23:30, want 1" % len(lines))
else:
    m = lines[0]
    want = "KHAN CAP - UBND xa Dai Son: Canh bao lu. Nuoc song dang cao, ba con vung trung di chuyen ngay."
    if m["to"] != "+84912345678" or m["text"] != want or m["encoding"] != "gsm7" or m["parts"] != 1:
        bad.append("the emergency SMS: %s" % m)
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then ok "the emergency's SMS goes through quiet hours, folded"; else ko "the emergency SMS" "$out"; fi

"$LOA" -c "$cfg" run --once --now "2026-12-11 08:05" >"$tmp/run2" 2>&1 ||
    ko "run --once at 08:05" "$(cat "$tmp/run2")"
"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" || ko "outbox --json"
if out=$($py - "$sms" "$tmp/ob.json" 2>&1 <<'PY'
import sys
from loatest import by_id, jsonl, load
lines = jsonl(sys.argv[1])
jobs = by_id(load(sys.argv[2]))
bad = []
got = sorted((jobs[l["id"]]["object"], l["to"]) for l in lines)
want = sorted([("lu-lut", "+84912345678"), ("tiem-chung", "+84912345678"),
               ("tiem-chung", "+84987654321"), ("duong", "+84987654321")])
if got != want:
    bad.append("sent %s, want %s" % (got, want))
for l in lines:
    j = jobs[l["id"]]
    if not l["text"].isascii():
        bad.append("not folded: %r" % l["text"])
    if j["object"] == "tiem-chung" and l["text"] != \
       "UBND xa Dai Son thong bao: Lich tiem chung. Tram y te xa to chuc tiem chung cho tre em vao sang thu Bay.":
        bad.append("tiem-chung text %r" % l["text"])
    if j["object"] == "duong":
        if l["parts"] != 3 or not (j["reason"] or "").startswith("cut to 3 parts (was "):
            bad.append("the long SMS: %d parts, reason %r" % (l["parts"], j["reason"]))
        if not l["text"].startswith("UBND xa Dai Son thong bao: Duong tam dong. Duong lien thon so 0 tam dong."):
            bad.append("the long SMS text %r" % l["text"][:80])
    if j["state"] != "sent" or j["kind"] != "broadcast" or j["channel"] != "sms":
        bad.append("job %s: %s %s %s" % (j["id"], j["kind"], j["channel"], j["state"]))
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then ok "run --once sends the others after quiet hours, folded, cut to max_parts"; else ko "the other SMS" "$out"; fi

# An item made an emergency: its SMS, due at the same time, takes the
# new priority (and the claim order) on reload.
sed -i 's/priority = "normal"; air = \[ "2026-12-12 09:00" \]/priority = "emergency"; air = [ "2026-12-12 09:00" ]/' "$tmp/conf/plan.cfg"
"$LOA" -c "$cfg" run --once --now "2026-12-11 08:06" >"$tmp/run3" 2>&1 ||
    ko "run --once at 08:06" "$(cat "$tmp/run3")"
"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" || ko "outbox --json"
$py -c 'import sys
from loatest import jobs
j = [j for j in jobs(sys.argv[1], "sms") if j["object"] == "hop"]
sys.exit(0 if len(j) == 1 and j[0]["priority"] == "emergency" and j[0]["due"] == "2026-12-12T09:00:00+07:00" else 1)' "$tmp/ob.json" &&
    ok "an item made an emergency: its SMS takes the priority on reload" ||
    ko "hop's SMS" "$(grep '"hop"' "$tmp/ob.json")"

# An unknown id in sms_to: FILE:LINE, exit 1.
sed 's/sms_to = \[ "binh" \]/sms_to = [ "binh", "nobody" ]/' "$tmp/conf/plan.cfg" >"$tmp/conf/bad.cfg"
sed 's/"plan.cfg"/"bad.cfg"/' "$cfg" >"$tmp/conf/bad-loa.cfg"
"$LOA" -c "$tmp/conf/bad-loa.cfg" check >"$tmp/bad" 2>&1
rc=$?
[ "$rc" -eq 1 ] && grep -q 'bad.cfg:[0-9]*: broadcasts.duong.sms_to: unknown id "nobody"' "$tmp/bad" &&
    ok "an unknown id in sms_to is an error with FILE:LINE" ||
    ko "unknown id: exit $rc" "$(cat "$tmp/bad")"

# The backlog: 2,000 task reminders due at 08:00, an emergency due at
# 09:30, all due when the service starts at 10:00; 10 SMS a second.
N=2000
mkdir -p "$tmp/bl"
cat >"$tmp/bl/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../blvar/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = (
  { id = "sms"; kind = "file"; dir = "../blvar/sms"; rate = "10/s"; },
  { id = "speaker"; kind = "spool"; dir = "../blvar/broadcast"; }
);
channels = { sms = "sms"; broadcast = "speaker"; };
CFG
{
	echo 'plan = { id = "BL/KH"; issued = "2026-03-01"; title = "Thử"; };'
	echo 'people = ('
	sms_people "$N" more
	echo '  { id = "truong-thon"; name = "Trưởng thôn"; phone = "0911 000 111"; }'
	echo ');'
	echo 'groups = ( { id = "all"; name = "Tất cả"; members = ['
	sms_ids "$N"
	echo ' ]; } );'
	echo 'tasks = ( { id = "bao-cao"; title = "Báo cáo"; owner = [ "all" ];'
	echo '  due = "2026-03-03 17:00"; remind = [ "due - 1d at 08:00" ];'
	echo '  channels = [ "sms" ]; } );'
	echo 'broadcasts = ( { id = "chay-rung"; title = "Cháy rừng";'
	echo '  text = "Cháy rừng ở đồi thông, bà con tránh xa."; priority = "emergency";'
	echo '  air = [ "2026-03-02 09:30" ]; sms_to = [ "truong-thon" ]; } );'
} >"$tmp/bl/plan.cfg"
blsms="$tmp/blvar/sms/sms.jsonl"
"$LOA" -c "$tmp/bl/loa.cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/blerr" &
pid=$!
lines() { [ -f "$blsms" ] && wc -l <"$blsms" || echo 0; }
twelve() { [ "$(lines)" -ge 12 ] || ! kill -0 "$pid" 2>/dev/null; }
poll_until 60 twelve
poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && ok "loa run exits 0 on SIGTERM" || ko "loa run exit $rc" "$(tail -3 "$tmp/blerr")"
if out=$($py - "$blsms" "$N" 2>&1 <<'PY'
import sys
from loatest import jsonl
lines = jsonl(sys.argv[1])
n = int(sys.argv[2])
bad = []
to = [l["to"] for l in lines]
if len(lines) < 12 or len(lines) > n // 2:
    bad.append("%d SMS sent, want a few at 10/s" % len(lines))
if "+84911000111" not in to[:4]:
    bad.append("the emergency SMS is not among the first 4 sent: at %s of %d"
               % (to.index("+84911000111") if "+84911000111" in to else None, len(to)))
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then ok "the emergency's SMS is claimed ahead of a backlog of $N reminders"; else ko "claim order" "$out"; fi
"$LOA" -c "$tmp/bl/loa.cfg" outbox --json >"$tmp/blob.json" 2>/dev/null
if out=$($py - "$tmp/blob.json" "$tmp/blvar/loa.db" 2>&1 <<'PY'
import sqlite3, sys
from loatest import load
jobs = load(sys.argv[1])
bad = []
e = [j for j in jobs if j["object"] == "chay-rung"]
if sorted((j["channel"], j["state"]) for j in e) != [("broadcast", "sent"), ("sms", "sent")]:
    bad.append("the emergency's jobs: %s" % [(j["channel"], j["state"]) for j in e])
# The claims are served by the indexes, the urgent ones by their own.
db = sqlite3.connect(sys.argv[2])
for q, idx in (("urgent = 1 AND state = 'pending' AND channel = 'sms' AND next_at <= 1", "jobs_urgent"),
               ("state = 'pending' AND channel = 'sms' AND next_at <= 1 AND urgent = 0", "jobs_ready")):
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE %s ORDER BY next_at, id LIMIT 4" % q))
    if "USING INDEX %s (state=? AND channel=? AND next_at<?)" % idx not in plan or "TEMP B-TREE" in plan:
        bad.append("%s: %s" % (q, plan))
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then ok "the emergency's broadcast and SMS sent; the claims use their indexes"; else ko "emergency jobs" "$out"; fi

# The broadcast channel too: six normal items due in the morning slot and
# an emergency due after them, on a spool at one item a second: the
# emergency is handed first.
mkdir -p "$tmp/bc"
cat >"$tmp/bc/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../bcvar/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = ( { id = "speaker"; kind = "spool"; dir = "../bcvar/broadcast"; rate = "1/s"; } );
channels = { broadcast = "speaker"; };
broadcast = { slots = ( { name = "Sáng"; days = "mon-sun"; start = "06:00"; end = "06:30"; } ); };
CFG
{
	echo 'plan = { id = "BC/KH"; issued = "2026-03-01"; title = "Thử"; };'
	echo 'broadcasts = ('
	for i in 1 2 3 4 5 6; do
		echo "  { id = \"tin-$i\"; title = \"Tin $i\"; text = \"Tin số $i.\"; air = [ \"2026-03-02 05:00\" ]; },"
	done
	echo '  { id = "bao"; title = "Bão"; text = "Bão vào bờ."; priority = "emergency";'
	echo '    air = [ "2026-03-02 06:10" ]; } );'
} >"$tmp/bc/plan.cfg"
"$LOA" -c "$tmp/bc/loa.cfg" run --now "2026-03-02 06:15" >/dev/null 2>"$tmp/bcerr" &
pid=$!
handed() { ls "$tmp/bcvar/broadcast/"*.json >/dev/null 2>&1 || ! kill -0 "$pid" 2>/dev/null; }
poll_until 60 handed
poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
pid=
if out=$($py - "$tmp/bcvar/broadcast" 2>&1 <<'PY'
import glob, sys
from loatest import load
import os
files = sorted(glob.glob(sys.argv[1] + "/*.json"), key=lambda f: os.stat(f).st_mtime_ns)
objs = [load(f)["object"] for f in files]
sys.exit(0 if objs[:1] == ["bao"] and len(objs) < 7 else (print(objs) or 1))
PY
); then ok "an emergency broadcast is handed ahead of the slot's items due before it"; else ko "broadcast claim order" "$out"; fi

finish
