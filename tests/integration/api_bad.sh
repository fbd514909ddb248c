#!/bin/sh
# api_bad.sh: bad requests to the HTTP API (conf/REFERENCE.md §9) of a running
# `loa run`: each gets its 4xx with a JSON {"error": ...}, and `loa outbox
# --json` is byte for byte the same before and after all of them (no
# token, a wrong one, malformed JSON, a 10 MB body, an unknown task, route
# or method, ids with "..", %00, "/" and 10,000 characters). Then a
# slowloris client holds 500 connections, a header byte a second each,
# while /healthz still answers at once and the SMS (rate 4/s) keep going.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/api.sh"
slow=
at_exit api_stop
at_exit '[ -n "$slow" ] && kill $slow 2>/dev/null'
d=$tmp/c

# No job is due at 07:00 on the 19th: the outbox stays still while the bad
# requests come.
api_conf "$d" 'gateways = ( { id = "sms"; kind = "file"; dir = "var/sms"; rate = "4/s"; } );
channels = { sms = "sms"; };'
api_up "$d" "2025-12-19 07:00"
ok "loa run serves the API on $API"
# What is too late is expired in the service's first steps: then the outbox
# is still.
api_settle "$d"
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/before.json"

# try WHAT CODE CURL-ARGS...: the status is CODE and the body a JSON error.
try() {
	what=$1 want=$2
	shift 2
	code=$(curl -s -o "$tmp/body" -w '%{http_code}' "$@")
	if [ "$code" = "$want" ] && $PY -c 'from loatest import load
import json, sys
e = load(sys.argv[1])
sys.exit(0 if isinstance(e.get("error"), str) and e["error"] else 1)' "$tmp/body" 2>/dev/null; then
		ok "$what: $code with a JSON error"
	else
		ko "$what: $code (expected $want)" "$(head -c 200 "$tmp/body")"
	fi
}
A="Authorization: Bearer $API_TOKEN"
T=$API/tasks/giay-moi/done
try "no token" 401 -X POST "$T"
try "a wrong token" 403 -X POST -H "Authorization: Bearer x$API_TOKEN" "$T"
try "a token one byte short" 403 -X POST -H "Authorization: Bearer ${API_TOKEN%?}" "$T"
try "the token with a byte after it" 403 -X POST -H "Authorization: Bearer ${API_TOKEN}x" "$T"
try "Basic instead of Bearer" 401 -X POST -H "Authorization: Basic $API_TOKEN" "$T"
try "malformed JSON" 400 -X POST -H "$A" -H 'Content-Type: application/json' --data '{"at": ' "$T"
try "a JSON array, not an object" 400 -X POST -H "$A" --data '[1]' "$T"
head -c 10485760 /dev/zero | tr '\0' 'a' >"$tmp/10mb"
try "a 10 MB body" 413 -X POST -H "$A" --data-binary @"$tmp/10mb" "$T"
# Chunked, so no length says it first: refused at 64 KiB, the rest unread
# (curl would report its broken send; a socket reads the answer).
if $PY - "$API_PORT" "$API_TOKEN" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(("POST /tasks/giay-moi/done HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % sys.argv[2]).encode())
chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
sent = 0
try:
    for _ in range(160):          # 10 MB
        s.sendall(chunk)
        sent += 65536
    s.sendall(b"0\r\n\r\n")
except OSError:
    pass
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except OSError:
    pass
print("sent %d bytes before the answer: %r" % (sent, data[:60]))
sys.exit(0 if data.startswith(b"HTTP/1.1 413") and b'"error"' in data else 1)
PY
then ok "a 10 MB chunked body: 413 with a JSON error"
else ko "a 10 MB chunked body"
fi
try "an unknown task" 404 -X POST -H "$A" "$API/tasks/nope/done"
try "an unknown plan" 404 -X POST -H "$A" "$API/tasks/nope:giay-moi/done"
try "an unknown route" 404 "$API/nope"
try "an unknown broadcast route" 404 "$API/broadcasts/next/more"
try "GET on a write" 405 "$T"
try "DELETE on /healthz" 405 -X DELETE "$API/healthz"
try "POST on /calendar.ics" 405 -X POST -H "$A" "$API/calendar.ics"
try "a task id with .." 400 -X POST -H "$A" --path-as-is "$API/tasks/../done"
try "a task id with ..%2F" 400 -X POST -H "$A" "$API/tasks/..%2F..%2Fgiay-moi/done"
# (libmicrohttpd ends the path at a NUL: "/tasks/giay-moi" is no route.)
try "a task id with %00" 404 -X POST -H "$A" "$API/tasks/giay-moi%00x/done"
try "a task id with /" 400 -X POST -H "$A" "$API/tasks/giay/moi/done"
try "a task id with %2F" 400 -X POST -H "$A" "$API/tasks/giay%2Fmoi/done"
long=$($PY -c 'print("a" * 10000)')
try "a task id of 10,000 characters" 400 -X POST -H "$A" "$API/tasks/$long/done"
try "a job id with .." 400 "$API/jobs/..%2F..%2Fetc"
try "a job id with %00" 404 "$API/jobs/aa%00bb"
try "a job id of 10,000 characters" 400 "$API/jobs/$long"
try "an agency with .." 400 "$API/calendar/..%2Fx.ics"
try "/dlr without its token" 403 "$API/dlr?id=x&status=1"
curl -s -D "$tmp/h401" -o /dev/null -X POST "$T"
grep -qi '^WWW-Authenticate: Bearer' "$tmp/h401" && ok "401 says WWW-Authenticate: Bearer" ||
    ko "no WWW-Authenticate on 401"
curl -s -D "$tmp/h405" -o /dev/null -X PUT "$API/metrics"
grep -qi '^Allow: GET, HEAD' "$tmp/h405" && ok "405 says Allow: GET, HEAD" || ko "no Allow header on 405"

"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/after.json"
cmp -s "$tmp/before.json" "$tmp/after.json" &&
    ok "outbox --json is byte for byte the same after every bad request" ||
    ko "the bad requests changed the outbox" "$(diff "$tmp/before.json" "$tmp/after.json" | head -5)"
grep -q "$API_TOKEN" "$d/run.err" "$d/run.out" && ko "the token in loa's log"
grep -q "$API_DLR_TOKEN" "$d/run.err" "$d/run.out" && ko "the dlr token in loa's log"
kill -0 "$API_PID" 2>/dev/null && ok "the service runs on" || ko "the service died"
api_stop

# --- slowloris: 500 connections sending a header byte a second, while 39
# invitation SMS go at 4 a second from 08:00.
api_start "$d" "2025-12-19 07:59:58" || ko "restart" "$(tail -3 "$d/run.err")"
$PY - "$API_PORT" "$tmp/slow.ready" <<'PY' &
import socket, sys, time
port, ready = int(sys.argv[1]), sys.argv[2]
ss = []
for i in range(500):
    s = socket.create_connection(("127.0.0.1", port))
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    ss.append(s)
open(ready, "w").close()
end = time.time() + 30
while time.time() < end:
    for s in ss:
        try:
            s.send(b"X")
        except OSError:
            pass
    time.sleep(1)
PY
slow=$!
connected() { [ -f "$tmp/slow.ready" ] || ! alive "$slow"; }
poll_until 300 connected
[ -f "$tmp/slow.ready" ] && ok "500 slow connections open" || ko "slowloris did not connect"
worst=0
sent0=$(grep -c . "$d/var/sms/sms.jsonl" 2>/dev/null || echo 0)
for i in 1 2 3 4 5; do
	t=$(curl -s -o "$tmp/h.json" -w '%{http_code} %{time_total}' -m 5 "$API/healthz")
	case $t in
	200\ *) ;;
	*) ko "/healthz under slowloris: $t" ;;
	esac
	worst=$(echo "$worst ${t#* }" | awk '{ print ($2 > $1) ? $2 : $1 }')
	sleep 1
done
sent1=$(grep -c . "$d/var/sms/sms.jsonl" 2>/dev/null || echo 0)
awk -v w="$worst" 'BEGIN { exit !(w < 2) }' &&
    ok "/healthz answers under slowloris (slowest of 5: $worst s)" ||
    ko "/healthz too slow under slowloris: $worst s"
[ "$sent1" -gt "$sent0" ] && [ "$sent1" -ge 8 ] &&
    ok "SMS keep going meanwhile ($sent0 -> $sent1 sent)" ||
    ko "the sends stalled under slowloris ($sent0 -> $sent1)"
kill $slow 2>/dev/null
wait $slow 2>/dev/null
slow=
kill -0 "$API_PID" 2>/dev/null && ok "the service runs on" || ko "the service died under slowloris"
api_stop
[ "${API_RC:-1}" = 0 ] && ok "SIGTERM: exit 0" || ko "exit ${API_RC:-?} after SIGTERM"

# --- 405's Allow names every method the path takes (the route table's
# rows of that path), whichever of them the request missed. A second plan
# with a task of the same id: a bare id is 409, PLAN:ID is done.
cat >"$d/plans/dup.cfg" <<'EOF'
plan = { id = "2/TB"; issued = "2025-12-01"; title = "Giấy mời"; issuer = "UBND xã"; signed_by = "an"; };
people = ( { id = "an"; name = "An"; email = "an@x.example"; } );
tasks = ( { id = "giay-moi"; title = "Giấy mời khác"; owner = [ "an" ]; due = "2026-01-10 17:00"; channels = [ "email" ]; } );
EOF
sed -i 's|^  plans = \[ "plans/129-KH-UBND.cfg" \];|  plans = [ "plans/129-KH-UBND.cfg", "plans/dup.cfg" ];|' "$d/loa.cfg"
grep -q '"plans/dup.cfg"' "$d/loa.cfg" || ko "the second plan is not in the config"
if api_start "$d" "2025-12-19 07:00"; then
	"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/before409.json"
	try "a task id two plans share" 409 -X POST -H "$A" "$T"
	"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/after409.json"
	cmp -s "$tmp/before409.json" "$tmp/after409.json" && ok "409: the outbox the same" ||
	    ko "409 changed the outbox"
	code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "$A" "$API/tasks/2%2FTB:giay-moi/done")
	"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/done.json"
	if [ "$code" = 200 ] && $PY - "$tmp/body" "$tmp/done.json" <<'PY'
from loatest import load
import sys
b, jobs = load(sys.argv[1]), load(sys.argv[2])
n = sum(1 for j in jobs if (j["plan"], j["object"], j["state"]) == ("2/TB", "giay-moi", "cancelled"))
sys.exit(0 if b == {"plan": "2/TB", "task": "giay-moi", "done": True, "cancelled": n} and n > 0 else 1)
PY
	then ok "PLAN:ID names it: 200 $(cat "$tmp/body"), the count of its reminders cancelled"
	else ko "POST /tasks/2%2FTB:giay-moi/done: $code" "$(cat "$tmp/body")"
	fi
	for c in "PUT /broadcasts GET, HEAD, POST" "GET /tasks/giay-moi/done POST" \
	    "DELETE /broadcasts/x/audio GET, HEAD" "GET /broadcasts/x/cancel POST" \
	    "POST /jobs/x GET, HEAD"; do
		m=${c%% *} rest=${c#* }
		p=${rest%% *} want=${rest#* }
		curl -s -D "$tmp/h405" -o /dev/null -X "$m" "$API$p"
		tr -d '\r' <"$tmp/h405" >"$tmp/h405.txt"
		if head -1 "$tmp/h405.txt" | grep -q ' 405' &&
		    grep -qix "Allow: $want" "$tmp/h405.txt"; then
			ok "$m $p: 405, Allow: $want"
		else
			ko "$m $p: expected 405 with Allow: $want" "$(cat "$tmp/h405.txt")"
		fi
	done
	api_stop
else
	ko "restart for the 405s" "$(tail -3 "$d/run.err")"
fi

# --- a token file others can read, or none: loa run refuses to start.
chmod 640 "$d/token"
"$LOA" -c "$d/loa.cfg" run --now "2025-12-19 07:00" >/dev/null 2>"$tmp/err640"
rc=$?
[ "$rc" = 1 ] && grep -q 'token.*readable by others' "$tmp/err640" &&
    ok "a token file of mode 640: run exits 1: $(head -1 "$tmp/err640")" ||
    ko "mode 640 token: exit $rc" "$(cat "$tmp/err640")"
rm -f "$d/token"
"$LOA" -c "$d/loa.cfg" run --now "2025-12-19 07:00" >/dev/null 2>"$tmp/errno"
rc=$?
[ "$rc" = 1 ] && grep -q 'token' "$tmp/errno" &&
    ok "no token file: run exits 1: $(head -1 "$tmp/errno")" || ko "missing token: exit $rc"

finish
