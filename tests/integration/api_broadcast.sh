#!/bin/sh
# api_broadcast.sh: the loudspeaker's queue over the HTTP API
# (conf/REFERENCE.md §7 and §9) with curl against a running `loa run` on
# the seed config: POST /broadcasts puts an item where `loa broadcast list`
# and the rundown show it; an emergency added over HTTP is handed (the
# broadcast file gateway) without waiting for a slot; GET /broadcasts?date=
# is byte for byte `loa broadcast rundown
# --json` at the same moment; GET /broadcasts/next, POST .../aired and
# next again moves on; a cancel over HTTP survives a reload; every bad
# request gets its 4xx, a JSON error, and leaves `outbox --json` as it was.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/api.sh"
at_exit api_stop
d=$tmp/c
NOW="2025-12-20 10:00"

api_conf "$d"
# The morning slot runs at NOW (09:00-11:00), so that an airing is handed
# before the emergency below: /broadcasts/next must still give the
# emergency first.
sed -i 's|name = "Sáng";  days = "mon-sun"; start = "06:00"; end = "06:30";|name = "Sáng";  days = "mon-sun"; start = "09:00"; end = "11:00";|' "$d/loa.cfg"
grep -q 'start = "09:00"; end = "11:00"' "$d/loa.cfg" || ko "the morning slot moved"
api_up "$d" "$NOW"
api_settle "$d"
L() { "$LOA" -c "$d/loa.cfg" "$@"; }
AUTH="Authorization: Bearer $API_TOKEN"
# post URL BODY OUT: the status code
post() {
	curl -s -o "$3" -w '%{http_code}' -X POST -H "$AUTH" \
	    -H 'Content-Type: application/json' --data-binary "$2" "$API$1"
}
# jget FILE EXPR: a Python expression over the JSON j of FILE
jget() { $PY -c 'from loatest import load; import json,sys; j=load(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# --- POST /broadcasts: 201, the item where list and the rundown have it
code=$(post /broadcasts '{"title": "Lịch tiêm phòng", "text": "Sáng mai tiêm phòng cho trẻ tại trạm y tế.", "priority": "high", "air": "2025-12-20 16:00", "expires": "2025-12-22T00:00:00+07:00"}' "$tmp/add.json")
id=$(jget "$tmp/add.json" 'j["id"]' 2>/dev/null)
slot=$(jget "$tmp/add.json" 'j["airings"][0]["slot"]' 2>/dev/null)
if [ "$code" = 201 ] && [ -n "$id" ] && [ "$slot" = "Chiều" ]; then
	ok "POST /broadcasts: 201, item $id in slot $slot"
else
	ko "POST /broadcasts ($code)" "$(cat "$tmp/add.json")"
fi
L broadcast list --json --now "$NOW" >"$tmp/list.json" 2>/dev/null
if $PY - "$tmp/list.json" "$id" "$tmp/add.json" <<'PY'
from loatest import load
import json, sys
l = load(sys.argv[1]); a = load(sys.argv[3])
it = [i for i in l if i["plan"] == "ad-hoc" and i["id"] == sys.argv[2]]
sys.exit(0 if it and it[0]["title"] == "Lịch tiêm phòng" and it[0]["priority"] == "high"
         and it[0]["airings"][0]["planned"] == a["airings"][0]["planned"] else 1)
PY
then ok "the item added over HTTP is in loa broadcast list, as planned"
else ko "broadcast list lacks the item added over HTTP" "$(head -c 400 "$tmp/list.json")"
fi

# --- GET /broadcasts?date=: the bytes of broadcast rundown --json
# The service's clock is NOW plus the seconds it has run: the CLI is asked
# at the moment the API answered (its Date header).
code=$(curl -s -D "$tmp/rd.h" -o "$tmp/rd.api" -w '%{http_code}' "$API/broadcasts?date=2025-12-20")
L broadcast rundown --date 2025-12-20 --json --now "$NOW" >"$tmp/rd.cli" 2>/dev/null
if [ "$code" = 200 ] && cmp -s "$tmp/rd.api" "$tmp/rd.cli" &&
    grep -q "\"$id\"" "$tmp/rd.api"; then
	ok "GET /broadcasts?date= is byte for byte loa broadcast rundown --json, with the item"
else
	ko "GET /broadcasts?date= ($code) differs from rundown --json" "$(diff "$tmp/rd.api" "$tmp/rd.cli" | head -10)"
fi

# --- a high item while the morning slot is on air: next in it, handed
code=$(post /broadcasts '{"title": "Cắt nước", "text": "Chiều nay cắt nước để sửa đường ống.", "priority": "high"}' "$tmp/hi.json")
hi=$(jget "$tmp/hi.json" 'j["id"]' 2>/dev/null)
# handed OBJECT STATE...: the outbox has a job of OBJECT in one of STATEs.
handed() {
	L outbox --json 2>/dev/null | $PY -c '
import json, sys
sys.exit(0 if any(j["object"] == sys.argv[1] and j["state"] in sys.argv[2:]
                  for j in json.load(sys.stdin)) else 1)' "$@"
}
[ "$code" = 201 ] && poll_until 120 handed "$hi" sent &&
    ok "a high item added while a slot is on air is handed in it" ||
    ko "the high item $hi ($code)" "$(cat "$tmp/hi.json")"
# A second one goes after it (two handed airings for /broadcasts/next).
code=$(post /broadcasts '{"title": "Cắt nước (2)", "text": "Ngày mai cắt nước.", "priority": "high"}' "$tmp/hi2.json")
hi2=$(jget "$tmp/hi2.json" 'j["id"]' 2>/dev/null)
[ "$code" = 201 ] && poll_until 120 handed "$hi2" sent &&
    ok "a second high item is handed after it" ||
    ko "the second high item $hi2 ($code)" "$(cat "$tmp/hi2.json")"

# --- an emergency over HTTP: handed at once (the file gateway's spool)
code=$(post /broadcasts '{"title": "Cảnh báo lũ", "text": "Nước sông dâng cao, mời bà con di dời.", "priority": "emergency"}' "$tmp/em.json")
em=$(jget "$tmp/em.json" 'j["id"]' 2>/dev/null)
if [ "$code" = 201 ] && poll_until 120 handed "$em" sent delivered &&
    grep -rqs "Cảnh báo lũ" "$d/var/broadcast/"; then
	ok "an emergency added over HTTP is handed to the broadcast gateway"
else
	ko "the emergency $em ($code) was not handed" "$(tail -3 "$d/run.err")"
fi

# --- next -> aired -> next moves on
code=$(curl -s -o "$tmp/next1.json" -w '%{http_code}' "$API/broadcasts/next")
n1=$(jget "$tmp/next1.json" 'j["id"]' 2>/dev/null)
if [ "$code" = 200 ] && $PY - "$tmp/next1.json" "$em" <<'PY'
from loatest import load
import json, sys
j = load(sys.argv[1])
keys = ["id", "plan", "object", "title", "text", "spoken", "priority", "slot",
        "planned", "duration_s", "audio"]
sys.exit(0 if all(k in j for k in keys) and j["object"] == sys.argv[2]
         and j["priority"] == "emergency" and j["text"].startswith("Nước sông")
         and j["spoken"] and j["audio"] == "/broadcasts/%s/audio" % j["id"] else 1)
PY
then ok "GET /broadcasts/next: the emergency, with conf/REFERENCE.md §7's keys"
else ko "GET /broadcasts/next ($code)" "$(cat "$tmp/next1.json")"
fi
code=$(curl -s -o "$tmp/wav" -w '%{http_code} %{content_type}' "$API/broadcasts/$n1/audio")
if [ "$code" = "200 audio/wav" ] && [ "$(head -c 4 "$tmp/wav")" = RIFF ]; then
	ok "GET /broadcasts/ID/audio: its WAV, as audio/wav"
else
	ko "GET /broadcasts/$n1/audio ($code)" "$(head -c 200 "$tmp/wav")"
fi
code=$(post "/broadcasts/$n1/aired" '{}' "$tmp/aired.json")
L broadcast list --json --now "$NOW" >"$tmp/list2.json" 2>/dev/null
if [ "$code" = 200 ] && $PY - "$tmp/list2.json" "$n1" <<'PY'
from loatest import load
import json, sys
a = [a for i in load(sys.argv[1]) for a in i["airings"] if a["id"] == sys.argv[2]]
sys.exit(0 if a and a[0]["aired_at"] else 1)
PY
then ok "POST /broadcasts/ID/aired: loa broadcast list has it aired"
else ko "POST /broadcasts/$n1/aired ($code)" "$(cat "$tmp/aired.json")"
fi
code=$(curl -s -o "$tmp/next2.json" -w '%{http_code}' "$API/broadcasts/next")
n2=$(jget "$tmp/next2.json" 'j["id"]' 2>/dev/null)
if { [ "$code" = 204 ] || { [ "$code" = 200 ] && [ -n "$n2" ]; }; } && [ "$n2" != "$n1" ]; then
	ok "GET /broadcasts/next moves on after aired ($code${n2:+ $n2})"
else
	ko "GET /broadcasts/next after aired ($code)" "$(cat "$tmp/next2.json")"
fi
# next2 is the first of what may be played (README "The HTTP API"):
# emergencies first, then by planned time, high before normal, then id.
# (Airings due after NOW may have become playable meanwhile: they come
# after the ones counted here.)
L broadcast list --json --now "$NOW" >"$tmp/list3.json" 2>/dev/null
if $PY - "$tmp/list3.json" "$n2" "$NOW" <<'PY'
from loatest import load
import sys
from datetime import datetime
now = datetime.fromisoformat(sys.argv[3] + ":00+07:00")
pr = {"emergency": 2, "high": 1, "normal": 0}
play = [(a["priority"] != "emergency", a["planned"], -pr[a["priority"]], a["id"])
        for i in load(sys.argv[1]) if not i["cancelled"] for a in i["airings"]
        if not a["aired_at"] and a["planned"] and (a["state"] == "sent" or
           (a["state"] in ("pending", "failed") and datetime.fromisoformat(a["planned"]) <= now))]
play.sort()
print(len(play), "playable:", play[:3], "next:", sys.argv[2])
sys.exit(0 if not play or play[0][3] == sys.argv[2] else 1)
PY
then ok "GET /broadcasts/next: the first by planned time"
else ko "GET /broadcasts/next is not the first by planned time"
fi
code=$(post "/broadcasts/$n1/aired" '{}' "$tmp/aired2.json")
[ "$code" = 400 ] && ok "aired twice: 400" || ko "aired twice ($code)" "$(cat "$tmp/aired2.json")"

# --- cancel survives a reload
code=$(post "/broadcasts/ad-hoc:$id/cancel" '' "$tmp/cancel.json")
n0=$(grep -c 'reloaded:' "$d/run.err")
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
reloaded() { [ "$(grep -c 'reloaded:' "$d/run.err")" -gt "$n0" ]; }
poll_until 300 reloaded
L broadcast list --json --now "$NOW" >"$tmp/list3.json" 2>/dev/null
if [ "$code" = 200 ] && $PY - "$tmp/list3.json" "$id" <<'PY'
from loatest import load
import json, sys
it = [i for i in load(sys.argv[1]) if i["plan"] == "ad-hoc" and i["id"] == sys.argv[2]]
sys.exit(0 if it and it[0]["cancelled"] and all(a["state"] == "cancelled" for a in it[0]["airings"]) else 1)
PY
then ok "POST /broadcasts/ID/cancel: cancelled, and so after a reload"
else ko "cancel over HTTP ($code)" "$(cat "$tmp/cancel.json"; head -c 600 "$tmp/list3.json")"
fi

# --- bad requests: each its 4xx, a JSON error, the outbox unchanged
api_settle "$d"
L outbox --json >"$tmp/ob.before"
long=$(head -c 10000 /dev/zero | tr '\0' x)
longt=$(head -c 501 /dev/zero | tr '\0' t)
# bad CODE METHOD PATH BODY [NOAUTH|WRONG]
bad() {
	case ${5:-} in
	NOAUTH) h="X-No: auth" ;;
	WRONG) h="Authorization: Bearer wrong-token-wrong-token" ;;
	*) h=$AUTH ;;
	esac
	if [ "$2" = GET ]; then
		got=$(curl -s -o "$tmp/bad.json" -w '%{http_code}' -H "$h" "$API$3")
	else
		got=$(curl -s -o "$tmp/bad.json" -w '%{http_code}' -X "$2" -H "$h" \
		    --data-binary "$4" "$API$3")
	fi
	if [ "$got" = "$1" ] && $PY -c 'from loatest import load; import json,sys; e=load(sys.argv[1])["error"]; sys.exit(0 if e else 1)' "$tmp/bad.json" 2>/dev/null; then
		ok "$2 $(printf %.60s "$3") ${6:-}: $got + JSON error"
	else
		ko "$2 $(printf %.60s "$3") ${6:-}: $got, expected $1" "$(head -c 200 "$tmp/bad.json")"
	fi
}
G='{"title": "t", "text": "x"}'
bad 401 POST /broadcasts "$G" NOAUTH "no token"
bad 403 POST /broadcasts "$G" WRONG "wrong token"
bad 400 POST /broadcasts '{"title": "t", "text":' "" "malformed JSON"
bad 400 POST /broadcasts '["t"]' "" "not an object"
bad 400 POST /broadcasts '{"title": 5, "text": "x"}' "" "title a number"
bad 400 POST /broadcasts '{"title": "t", "text": "x", "air": 1}' "" "air a number"
bad 400 POST /broadcasts '{"text": "x"}' "" "no title"
bad 400 POST /broadcasts '{"title": "   ", "text": "x"}' "" "blank title"
bad 400 POST /broadcasts "{\"title\": \"$longt\", \"text\": \"x\"}" "" "title too long"
bad 400 POST /broadcasts '{"title": "t", "text": "x", "priority": "urgent"}' "" "unknown priority"
bad 400 POST /broadcasts '{"title": "t", "text": "x", "air": "2025-12-21 08:00", "expires": "2025-12-21 07:00"}' "" "expires before air"
bad 400 POST /broadcasts '{"title": "t", "text": "x", "air": "tomorrow-ish"}' "" "a bad time"
bad 400 POST /broadcasts '{"title": "t", "text": "x", "colour": "red"}' "" "unknown member"
bad 405 PUT /broadcasts "$G" "" "wrong method"
bad 405 GET /broadcasts/x/aired "" "" "GET on aired"
bad 405 POST /broadcasts/next "" "" "POST on next"
bad 400 GET "/broadcasts" "" "" "no date"
bad 400 GET "/broadcasts?date=2025-13-40" "" "" "bad date"
bad 400 GET "/broadcasts?date=2025-12-20&x=1" "" "" "unknown parameter"
bad 404 POST /broadcasts/nosuch/cancel '' "" "unknown item"
bad 404 POST /broadcasts/0123456789abcdef/aired '' "" "unknown airing"
bad 401 POST /broadcasts/nosuch/cancel '' NOAUTH "cancel without a token"
bad 400 POST /broadcasts/nosuch/aired '{"at": 3}' "" "at a number"
bad 400 POST "/broadcasts/..%2Fx/cancel" '' "" "dots"
bad 400 POST "/broadcasts/a..b/cancel" '' "" "two dots"
bad 404 POST "/broadcasts/a%00b/cancel" '' "" "a NUL"
bad 400 POST "/broadcasts/a%2Fb/cancel" '' "" "a slash"
bad 400 POST "/broadcasts/$long/cancel" '' "" "10,000 characters"
bad 404 GET /broadcasts/nosuch "" "" "unknown route"
# An unknown query parameter is 400 naming it, on every route, before the
# route does anything (a real job, task and item, a right token).
job=$(L outbox --json | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
unk() {
	if [ "$1" = GET ]; then
		got=$(curl -s -o "$tmp/unk.json" -w '%{http_code}' "$API$2")
	else
		got=$(curl -s -o "$tmp/unk.json" -w '%{http_code}' -X POST -H "$AUTH" \
		    --data-binary "${3:-}" "$API$2")
	fi
	if [ "$got" = 400 ] && grep -q 'unknown parameter \\"zz\\"' "$tmp/unk.json"; then
		ok "$1 $2: 400 naming the unknown parameter"
	else
		ko "$1 $2: $got, expected 400 naming zz" "$(head -c 200 "$tmp/unk.json")"
	fi
}
unk GET "/healthz?zz=1"
unk GET "/metrics?zz"
unk GET "/calendar.ics?zz=1"
unk GET "/calendar.ics?plan=129/KH-UBND&zz=1"
unk GET "/calendar/vhxh.ics?zz=1"
unk GET "/outbox?limit=5&zz=1"
unk GET "/jobs/$job?zz=1"
unk POST "/tasks/giay-moi/done?zz=1"
unk GET "/dlr?id=$job&status=1&dlr_token=$API_DLR_TOKEN&zz=1"
unk POST "/broadcasts?zz=1" '{"title": "t", "text": "x"}'
unk GET "/broadcasts?date=2025-12-20&zz=1"
unk GET "/broadcasts/next?zz=1"
unk GET "/broadcasts/$hi/audio?zz=1"
unk POST "/broadcasts/$hi/aired?zz=1" '{}'
unk POST "/broadcasts/$hi/cancel?zz=1"
code=$(curl -s -o "$tmp/unk.json" -w '%{http_code}' "$API/calendar/vhxh.ics?plan=129/KH-UBND")
[ "$code" = 400 ] && grep -q 'unknown parameter \\"plan\\": /calendar/AGENCY.ics takes none' "$tmp/unk.json" &&
    ok "?plan= on an agency's feed: 400, it takes none" || ko "?plan= on an agency feed: $code" "$(cat "$tmp/unk.json")"
# RFC 3339 offsets out of range (hours 00-23, minutes 00-59) are refused,
# not read as days away, by the API and by the CLI alike.
for off in +99:00 +07:99 -99:59; do
	code=$(post /broadcasts "{\"title\": \"t\", \"text\": \"x\", \"air\": \"2025-12-21T08:00:00$off\"}" "$tmp/off.json")
	[ "$code" = 400 ] && grep -q '"error":"air \\"2025-12-21T08:00:00'"$off" "$tmp/off.json" &&
	    ok "POST /broadcasts with air offset $off: 400 naming air" ||
	    ko "air offset $off: $code" "$(cat "$tmp/off.json")"
	L broadcast add --title t --text x --air "2025-12-21T08:00:00$off" >"$tmp/off.out" 2>&1
	rc=$?
	[ "$rc" != 0 ] && grep -q -- "--air \"2025-12-21T08:00:00$off\"" "$tmp/off.out" &&
	    ok "broadcast add --air with offset $off: exit $rc naming --air" ||
	    ko "--air offset $off: exit $rc" "$(cat "$tmp/off.out")"
done
L outbox --json >"$tmp/ob.after"
if cmp -s "$tmp/ob.before" "$tmp/ob.after"; then
	ok "after every bad request, outbox --json is byte for byte unchanged"
else
	ko "a bad request changed the outbox" "$(diff "$tmp/ob.before" "$tmp/ob.after" | head -10)"
fi

# --- a long text (19,900 bytes): POST answers at once, "speech":
# "preparing"; the service's loop synthesises it (the reload the add asks
# for is under way, its WAV not yet in the cache) while /healthz answers;
# then the WAV is there and the same text is "ready".
wavs() { ls "$d/var/tts" 2>/dev/null | grep -Ec '^[0-9a-f]{32}\.wav$'; }
$PY - "$tmp/long.json" <<'PY'
import json, sys
s = "Bà con chú ý, chiều nay xã tổ chức tiêm phòng cho trẻ em tại trạm y tế. "
t = (s * (19900 // len(s.encode()) + 1)).encode()[:19900].decode("utf-8", "ignore").strip()
json.dump({"title": "Thông báo dài", "text": t}, open(sys.argv[1], "w"), ensure_ascii=False)
PY
w0=$(wavs)
r0=$(grep -c 'over HTTP.*reloading' "$d/run.err")
code=$(curl -s -o "$tmp/long.out" -w '%{http_code}' -m 120 -X POST -H "$AUTH" \
    -H 'Content-Type: application/json' --data-binary @"$tmp/long.json" "$API/broadcasts")
sp=$(jget "$tmp/long.out" 'j.get("speech")' 2>/dev/null)
reloading() { [ "$(grep -c 'over HTTP.*reloading' "$d/run.err")" -gt "$r0" ]; }
poll_until 60 reloading
hz=$(curl -s -o /dev/null -w '%{http_code}' -m 60 "$API/healthz")
w1=$(wavs)
if [ "$code" = 201 ] && [ "$sp" = preparing ] && [ "$hz" = 200 ] && [ "$w1" = "$w0" ]; then
	ok "POST of a 19,900-byte text: 201 preparing; /healthz 200 while the service synthesises"
else
	ko "long text: POST $code speech ${sp:-none}, /healthz $hz, WAVs $w0 -> $w1" "$(head -c 200 "$tmp/long.out")"
fi
made() { [ "$(wavs)" -gt "$w0" ]; }
poll_until 300 made && ok "the service synthesised it into the cache" ||
    ko "no WAV of the long text" "$(tail -3 "$d/run.err")"
sed -i 's/"Thông báo dài"/"Thông báo dài, lần hai"/' "$tmp/long.json"
code=$(curl -s -o "$tmp/long2.out" -w '%{http_code}' -m 120 -X POST -H "$AUTH" \
    -H 'Content-Type: application/json' --data-binary @"$tmp/long.json" "$API/broadcasts")
sp=$(jget "$tmp/long2.out" 'j.get("speech")' 2>/dev/null)
[ "$code" = 201 ] && [ "$sp" = ready ] && ok "the same text again: 201 ready" ||
    ko "the same text again: $code ${sp:-none}" "$(head -c 200 "$tmp/long2.out")"

# --- an airing's audio is read from the cache, never made on the API's
# thread: with the cache emptied, 503 "being prepared"; once a reload of
# the service has made it again, 200.
rm -f "$d/var/tts/"*.wav
code=$(curl -s -o "$tmp/wav2" -w '%{http_code}' -m 60 "$API/broadcasts/$n1/audio")
w=$(wavs)
[ "$code" = 503 ] && [ "$w" = 0 ] && grep -q 'being prepared' "$tmp/wav2" &&
    ok "audio not in the cache: 503, and the API made none" ||
    ko "audio with the cache emptied: $code, $w WAVs" "$(head -c 200 "$tmp/wav2")"
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
audio() {
	[ "$(curl -s -o "$tmp/wav3" -w '%{http_code}' -m 60 "$API/broadcasts/$n1/audio")" = 200 ] &&
	    [ "$(head -c 4 "$tmp/wav3")" = RIFF ]
}
poll_until 300 audio && ok "made again by the service's reload: 200, its WAV" ||
    ko "audio after the reload" "$(head -c 200 "$tmp/wav3")"

api_stop
finish
