#!/bin/sh
# api_dlr.sh: delivery reports through a real Kannel (bearerbox, smsbox and
# its fake SMSC, tests/tools/kannel.sh). The seed's SMS go out through the
# kannel preset of a `loa run` with loa.http.listen and a dlr token: the
# preset's dlr-url points at loa's /dlr with the job's id, %d and the token.
# Kannel calls it when the fake SMSC takes each message (status 8, noted in
# the job's attempts); a status 1 report (delivered to the phone, which the
# fake SMSC cannot send) made the way Kannel makes it turns the job
# `delivered`; 2 keeps it sent with the report as its last error, made
# valid UTF-8 when its bytes are not. A report
# of an unknown id: 200, logged. A wrong dlr token: 403 and nothing changed.
# A report naming an email or an airing: 409, nothing changed (the
# emergency is still offered to the player). An answer cut at 200 bytes is
# cut between characters: the job reads back.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/kannel.sh"
. "$TOOLS/api.sh"
at_exit kannel_stop
at_exit api_stop
d=$tmp/c

if ! kannel_start "$tmp" loa 'k4nn3l-pw'; then
	ko "Kannel does not start" "$(tail -5 "$tmp"/*.out)"
	exit 1
fi
ok "Kannel is up on 127.0.0.1:$KANNEL_SENDSMS"
api_conf "$d" "gateways = ( { id = \"sms\"; kind = \"http\"; preset = \"kannel\";
    url = \"http://127.0.0.1:$KANNEL_SENDSMS/cgi-bin/sendsms\"; user = \"loa\";
    password_file = \"kannel-pw\"; concurrency = 100; } );
channels = { sms = \"sms\"; };"
# Every secret is the first line of its file: the notes after them are not
# sent to Kannel, nor put in the dlr-url.
(umask 077 && printf 'k4nn3l-pw\nset by the admin, 2025-12-01\n' >"$d/kannel-pw" &&
    printf 'rotated 2025-12-01\n' >>"$d/dlr-token")
api_up "$d" "2025-12-19 08:00"
ok "loa run with the kannel gateway serves the API on $API"

# Kannel's reports come to /dlr for every SMS: the fake SMSC reports each
# message delivered (1) and taken by the SMSC (8).
sms() {
	"$LOA" -c "$d/loa.cfg" outbox --json | $PY -c '
import json, sys
j = [j for j in json.load(sys.stdin) if j["channel"] == "sms" and j["state"] in ("sent", "delivered")]
print(len(j), sum(1 for x in j if x["state"] == "delivered"), " ".join(x["id"] for x in j))'
}
# Every SMS due at the start has gone out and Kannel's reports have made
# each one delivered: none due is still to send or awaits its report.
sms_done() {
	"$LOA" -c "$d/loa.cfg" outbox --json 2>/dev/null | $PY -c '
import datetime, json, sys
start = datetime.datetime.fromisoformat("2025-12-19T08:00:00+07:00")
j = [j for j in json.load(sys.stdin) if j["channel"] == "sms" and
     datetime.datetime.fromisoformat(j["due"]) <= start]
sys.exit(0 if any(x["state"] == "delivered" for x in j) and
         not any(x["state"] in ("pending", "sending", "failed", "sent") for x in j) else 1)'
}
poll_until 120 sms_done
set -- $(sms)
echo "$1 SMS sent, $2 delivered"
[ "$1" -gt 0 ] && [ "$1" = "$2" ] &&
    ok "Kannel called the dlr-url of each of the $1 SMS: every one delivered" ||
    ko "Kannel's reports: $2 of $1 delivered" "$(tail -3 "$tmp/smsbox.log")"
shift 2
jid=$1 jid2=$2 jid3=$3
# (Until both of Kannel's reports are in: they come in either order.)
attempts_in() {
	curl -s -o "$tmp/job.json" "$API/jobs/$jid" && $PY -c 'from loatest import load
import json, sys
j = load(sys.argv[1])
o = [a["outcome"] for a in j["attempt_log"]]
# Kannel may report before the send is recorded (the same second): any order.
sys.exit(0 if j["state"] == "delivered" and sorted(o) == ["accepted", "delivered", "sent"] else 1)' \
	    "$tmp/job.json"
}
poll_until 120 attempts_in && ok "job $jid: sent, then Kannel's reports kept in its attempts (delivered, accepted)" ||
    ko "attempts of $jid" "$(cat "$tmp/job.json")"

# A report of failure after (2, as Kannel sends it): kept with its words,
# the job's state is not undone.
curl -s -o /dev/null "$API/dlr?id=$jid2&status=2&dlr_token=$API_DLR_TOKEN&answer=stat:UNDELIV"
curl -s -o "$tmp/job2.json" "$API/jobs/$jid2"
$PY -c 'from loatest import load
import json, sys
j = load(sys.argv[1])
sys.exit(0 if j["state"] in ("sent", "delivered") and "UNDELIV" in (j["last_error"] or "") and j["attempt_log"][-1]["outcome"] == "undelivered" else 1)' \
    "$tmp/job2.json" && ok "status 2: job $jid2 keeps its state, undelivered kept as its last error and attempt" ||
    ko "status 2" "$(cat "$tmp/job2.json")"

# Bytes that are not UTF-8 in a report's answer (%E9 of Latin-1, a
# sequence cut short): kept as valid UTF-8, and the job still reads.
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$jid2&status=2&dlr_token=$API_DLR_TOKEN&answer=%E9chec%E1%BB")
code2=$(curl -s -o "$tmp/job2b.json" -w '%{http_code}' "$API/jobs/$jid2")
[ "$code" = 200 ] && [ "$code2" = 200 ] && $PY -c 'from loatest import load
import sys
j = load(sys.argv[1])
sys.exit(0 if "\ufffdchec\ufffd" in j["last_error"] else 1)' "$tmp/job2b.json" &&
    ok "an answer that is not UTF-8: kept with U+FFFD, GET /jobs/$jid2 answers" ||
    ko "a non-UTF-8 answer: /dlr $code, /jobs $code2" "$(cat "$tmp/job2b.json")"


# An answer of 199 ASCII bytes and a 3-byte character, past the 200 bytes
# kept: cut before the character, never inside it; the job reads back.
ans=$(printf 'a%.0s' $(seq 199))%E1%BA%BF
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$jid3&status=4&dlr_token=$API_DLR_TOKEN&answer=$ans")
code2=$(curl -s -o "$tmp/job3.json" -w '%{http_code}' "$API/jobs/$jid3")
[ "$code" = 200 ] && [ "$code2" = 200 ] && $PY -c 'from loatest import load
import sys
a = load(sys.argv[1])["attempt_log"][-1]["answer"]
sys.exit(0 if a.startswith("dlr 4: " + "a" * 190) and "\ufffd" not in a and len(a.encode()) <= 210 else 1)' "$tmp/job3.json" &&
    ok "a 200-byte answer cut inside a character: kept whole characters, GET /jobs/ID 200" ||
    ko "the cut answer: /dlr $code, /jobs $code2" "$(head -c 300 "$tmp/job3.json")"
kill -0 "$API_PID" 2>/dev/null || ko "the service died reading the cut answer"

# A report applies to an SMS alone: one naming an email or an airing is
# 409, logged, and changes nothing; the emergency stays for the player.
AUTH="Authorization: Bearer $API_TOKEN"
code=$(curl -s -o "$tmp/em.json" -w '%{http_code}' -X POST -H "$AUTH" \
    --data-binary '{"title": "Cảnh báo lũ", "text": "Nước sông dâng cao.", "priority": "emergency"}' "$API/broadcasts")
em=$($PY -c 'from loatest import load; import sys; print(load(sys.argv[1])["id"])' "$tmp/em.json")
# of CHANNEL STATE: the id of a job of CHANNEL in STATE (of the emergency
# for broadcast), else fails.
of() {
	"$LOA" -c "$d/loa.cfg" outbox --json 2>/dev/null | $PY -c '
import json, sys
j = [j["id"] for j in json.load(sys.stdin) if j["channel"] == sys.argv[1] and
     j["state"] == sys.argv[2] and (sys.argv[1] != "broadcast" or j["object"] == sys.argv[3])]
print(j[0] if j else "")
sys.exit(0 if j else 1)' "$@"
}
poll_until 120 of broadcast sent "$em" >/dev/null ||
    ko "the emergency $em ($code) was not handed" "$(tail -3 "$d/run.err")"
bjob=$(of broadcast sent "$em") ejob=$(of email sent -)
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/o1.json"
for j in "$bjob" "$ejob"; do
	code=$(curl -s -o "$tmp/cross.json" -w '%{http_code}' "$API/dlr?id=$j&status=1&dlr_token=$API_DLR_TOKEN")
	[ -n "$j" ] && [ "$code" = 409 ] && grep -q 'not SMS' "$tmp/cross.json" &&
	    grep -q "job $j (.*) refused" "$d/run.err" &&
	    ok "a status-1 report of $j, not an SMS: 409, logged" ||
	    ko "a report of $j, not an SMS: $code" "$(cat "$tmp/cross.json")"
done
code=$(curl -s -o "$tmp/next.json" -w '%{http_code}' "$API/broadcasts/next")
[ "$code" = 200 ] && grep -q "\"id\":\"$bjob\"" "$tmp/next.json" &&
    ok "the emergency reported delivered is still what /broadcasts/next offers" ||
    ko "/broadcasts/next after a report of the emergency: $code" "$(head -c 200 "$tmp/next.json")"

# An unknown id: 200 and logged; a wrong token: 403, nothing changed.
code=$(curl -s -o "$tmp/unk" -w '%{http_code}' "$API/dlr?id=ffffffffffffffff&status=1&dlr_token=$API_DLR_TOKEN")
[ "$code" = 200 ] && grep -q 'ffffffffffffffff, which is not in the outbox' "$d/run.err" &&
    ok "a report of an unknown id: 200, logged" || ko "unknown id: $code"
code=$(curl -s -o "$tmp/unk" -w '%{http_code}' "$API/dlr?id=..%2F..&status=1&dlr_token=$API_DLR_TOKEN")
[ "$code" = 200 ] && ok "a report of a malformed id: 200" || ko "malformed id: $code"
code=$(curl -s -o "$tmp/wrong" -w '%{http_code}' "$API/dlr?id=$jid3&status=1&dlr_token=x$API_DLR_TOKEN")
[ "$code" = 403 ] && grep -q '"error"' "$tmp/wrong" && ok "a wrong dlr token: 403" || ko "wrong dlr token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$jid3&status=1&dlr_token=$API_TOKEN")
[ "$code" = 403 ] && ok "the API token is not the dlr token: 403" || ko "API token on /dlr: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$jid3&status=x&dlr_token=$API_DLR_TOKEN")
[ "$code" = 400 ] && ok "a status that is no number: 400" || ko "status=x: $code"
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/o2.json"
cmp -s "$tmp/o1.json" "$tmp/o2.json" && ok "outbox --json unchanged by them" ||
    ko "the refused reports changed the outbox"
grep -q "$API_DLR_TOKEN" "$d/run.err" "$d/run.out" && ko "the dlr token in loa's log"
grep -q "k4nn3l-pw" "$d/run.err" "$d/run.out" && ko "the Kannel password in loa's log"
kill -0 "$API_PID" 2>/dev/null && ok "the service runs on" || ko "the service died"

finish
