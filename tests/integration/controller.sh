#!/bin/sh
# controller.sh: the broadcast channel on an http loudspeaker controller
# (preset "controller"). A local controller (tests/tools/controller.py)
# answers its first three POSTs 503 (the first with Retry-After: 1), then
# 200; `loa run --once` at later and later times delivers every item, none
# lost, none accepted twice (by Idempotency-Key); each POST is
# multipart/form-data as Python's email parser reads it: an "item" part
# (application/json) equal to the item's record, "cap" (application/cap+xml)
# for the emergency, "audio" (audio/wav, ID.wav) exactly when the record
# names one; a Bearer token from the environment, in no outbox text or log.
# A 400 is dead at once with the controller's words in last_error.
. "$LOA_SRC/tests/tools/prologue.sh"
CPID=
stop() {
	if [ -n "$CPID" ]; then
		kill "$CPID" 2>/dev/null
		wait "$CPID" 2>/dev/null
	fi
	CPID=
}
at_exit stop

TOKEN='ctl-S3cret-7f1e9a'
export LOA_T_CTL="$TOKEN"
$PY "$LOA_SRC/tests/tools/controller.py" "$tmp/port" "$tmp/log" 3 \
    2>"$tmp/ctl.err" &
CPID=$!
listening() { [ -s "$tmp/port" ] || ! alive "$CPID"; }
poll_until 120 listening
port=$(cat "$tmp/port" 2>/dev/null)
[ -n "$port" ] || ko "the controller does not start" "$(cat "$tmp/ctl.err")"

# conf DIR PATH: the plan's items through the controller at /PATH.
conf() {
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/plan.cfg" <<'PLAN'
plan = { id = "12/TB-UBND"; issued = "2026-03-01"; title = "Thông báo";
         issuer = "UBND xã Đại Sơn"; };
broadcasts = (
  { id = "lich-tiem"; title = "Lịch tiêm chủng tháng 3";
    text = "Trạm y tế xã tiêm chủng mở rộng vào sáng thứ Năm."; air = [ "2026-03-02 06:00" ]; },
  { id = "thu-thue"; title = "Thu thuế đất phi nông nghiệp";
    text = "Bà con nộp thuế tại bộ phận một cửa."; air = [ "2026-03-02 06:00" ];
    priority = "high"; },
  { id = "ve-sinh"; title = "Tổng vệ sinh \"Ngày Chủ nhật xanh\"";
    text = "Các thôn ra quân dọn vệ sinh đường làng."; air = [ "2026-03-02 06:00" ]; },
  { id = "lu-quet"; title = "Cảnh báo lũ quét";
    text = "Mưa lớn, nguy cơ lũ quét tại các thôn ven suối."; air = [ "2026-03-02 06:00" ];
    priority = "emergency"; cap = { category = "Met"; event = "Lũ quét"; }; }
);
PLAN
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "dai"; kind = "http"; preset = "controller";
               url = "http://127.0.0.1:$port/$2"; token_env = "LOA_T_CTL"; } );
channels = { broadcast = "dai"; };
broadcast = { cap = { sender = "ubnd@daison.example"; }; };
CFG
}

conf ok items
for t in 06:20 06:22 06:25 06:30 06:35 06:40 06:45 06:55; do
	"$LOA" -c "$tmp/ok/loa.cfg" run --once --now "2026-03-02 $t" \
	    >>"$tmp/ok/out" 2>>"$tmp/ok/err"
done
"$LOA" -c "$tmp/ok/loa.cfg" outbox --json >"$tmp/ok/outbox.json" 2>>"$tmp/ok/err"

if $PY - "$tmp/ok/outbox.json" "$tmp/log" "$TOKEN" <<'PY'
from loatest import jsonl, load
import base64, json, sys
import xml.etree.ElementTree as ET
jobs = load(sys.argv[1])
log = jsonl(sys.argv[2])
tok = sys.argv[3]
bc = [j for j in jobs if j["channel"] == "broadcast"]
assert len(bc) == 4, bc
assert all(j["state"] == "sent" for j in bc), [(j["object"], j["state"], j["last_error"]) for j in bc]
# Three 503s came first, and were tried again.
st = [r["status"] for r in log]
assert st.count(503) == 3 and st.count(200) == 4 and len(st) == 7, st
assert sum(j["attempts"] for j in bc) == len(log), (len(log), bc)
accepted = [r for r in log if r["status"] == 200]
keys = [r["headers"].get("Idempotency-Key") for r in accepted]
assert sorted(keys) == sorted(j["id"] for j in bc), (keys, [j["id"] for j in bc])
for r in log:
    assert r["headers"].get("Authorization") == "Bearer " + tok, r["headers"]
    assert r["headers"]["Content-Type"].startswith("multipart/form-data"), r["headers"]
byid = {j["id"]: j for j in bc}
for r in accepted:
    j = byid[r["headers"]["Idempotency-Key"]]
    parts = {p["name"]: p for p in r["parts"]}
    item = parts["item"]
    assert item["type"] == "application/json", item
    rec = json.loads(item["text"])
    for k in ("id", "plan", "object", "priority", "slot", "duration_s"):
        assert rec[k] == j[k if k != "duration_s" else "duration_s"], (k, rec, j)
    assert rec["planned"] == j["due"], (rec, j)
    assert set(rec) >= {"id", "plan", "object", "title", "text", "spoken",
                        "priority", "slot", "planned", "duration_s", "audio"}, rec
    if rec["audio"] is None:
        assert "audio" not in parts, parts.keys()
    else:
        a = parts["audio"]
        assert a["type"] == "audio/wav" and a["filename"] == j["id"] + ".wav", a
        assert base64.b64decode(a["b64"])[:4] == b"RIFF", a["b64"][:20]
    if j["priority"] == "emergency":
        c = parts["cap"]
        assert c["type"] == "application/cap+xml", c
        x = ET.fromstring(c["text"].encode())
        ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
        assert x.find(ns + "identifier").text == "loa-" + j["id"], c["text"]
        assert x.find(ns + "info/" + ns + "event").text == "Lũ quét", c["text"]
        assert rec["cap"]["file"] == j["id"] + ".cap.xml", rec
        assert rec["title"] == "Cảnh báo lũ quét", rec
    else:
        assert "cap" not in parts, parts.keys()
    if j["object"] == "ve-sinh":
        assert rec["title"] == 'Tổng vệ sinh "Ngày Chủ nhật xanh"', rec
text = open(sys.argv[1]).read()
assert tok not in text
PY
then ok "503s retried: all four delivered once each, as multipart with the item, the CAP"
else ko "delivery through the controller" "$(tail -c 1500 "$tmp/ok/err"; head -c 1500 "$tmp/log")"
fi
if grep -rq "$TOKEN" "$tmp/ok/out" "$tmp/ok/err"; then
	ko "the token is in a log line"
else
	ok "the token is in no log line"
fi

conf bad bad
"$LOA" -c "$tmp/bad/loa.cfg" run --once --now "2026-03-02 06:20" \
    >"$tmp/bad/out" 2>"$tmp/bad/err"
"$LOA" -c "$tmp/bad/loa.cfg" outbox --json >"$tmp/bad/outbox.json"
if $PY - "$tmp/bad/outbox.json" <<'PY'
from loatest import load
import json, sys
bc = [j for j in load(sys.argv[1]) if j["channel"] == "broadcast"]
assert len(bc) == 4 and all(j["state"] == "dead" and j["attempts"] == 1 for j in bc), bc
assert all("HTTP 400" in j["last_error"] and "bad item: unknown zone" in j["last_error"] for j in bc), bc
PY
then ok "a 400 is dead at once, the controller's answer in last_error"
else ko "a 400" "$(head -c 1500 "$tmp/bad/outbox.json")"
fi

# A controller that takes no GET: check says so.
sed -i 's/preset = "controller";/preset = "controller"; method = "GET";/' "$tmp/bad/loa.cfg"
if "$LOA" -c "$tmp/bad/loa.cfg" check >"$tmp/bad/check" 2>&1; then
	ko "check takes a GET controller"
elif grep -q "loa.cfg:2: channels.broadcast: gateway dai sends with GET" "$tmp/bad/check"; then
	ok "a GET controller is a check error with its line"
else
	ko "GET controller message" "$(cat "$tmp/bad/check")"
fi

stop
finish
