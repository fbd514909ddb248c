#!/bin/sh
# gw_dlr.sh: the token files' minimum length and Kannel's delivery-report
# statuses beyond 1, 2 and 8 (conf/REFERENCE.md §9, README "The HTTP API":
# **Security**, **Delivery reports**). SMS go out through the kannel
# preset to tests/tools/faultgw.py under `loa run` with the API:
#
#   a token_file or dlr_token_file of 15 bytes   run refuses (exit 1), the
#                                                file named
#   both of exactly 16 bytes                     run starts
#   status 4    kept in the attempts as queued, the job still sent
#   status 16   undelivered, the report its last_error, the job sent
#   status 32   (no such status of Kannel's) kept as a report, nothing
#               else changed
#   status 1 while the send is not yet recorded (the gateway holds its
#               answer until the report is in): delivered once it is
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
. "$TOOLS/api.sh"
at_exit faultgw_stop
at_exit api_stop

printf '{"rules": [{"path": "/kannel", "to_suffix": "03", "fault": "hold", "until": "%s"},
  {"path": "/kannel", "status": 202, "body": "0: Accepted for delivery"}]}\n' \
    "$tmp/release" >"$tmp/rules.json"
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
d=$tmp/c
mkdir -p "$d"
API_PORT=$(api_free_port)
API="http://127.0.0.1:$API_PORT"
export LOA_T_SECRET='k4nn3l-pw'
cat >"$d/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ];
        http = { listen = "127.0.0.1:$API_PORT"; token_file = "token";
                 dlr_token_file = "dlr-token"; }; };
gateways = ( { id = "sms"; kind = "http"; preset = "kannel";
               url = "http://127.0.0.1:$FAULTGW_PORT/kannel"; user = "loa";
               password_env = "LOA_T_SECRET"; } );
channels = { sms = "sms"; };
CFG
cat >"$d/plan.cfg" <<'PLAN'
plan = { id = "DLR/1"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p0"; name = "Đào Văn Đức"; phone = "0912 345 600"; },
           { id = "p1"; name = "Lê Thị Bình"; phone = "0912 345 601"; },
           { id = "p2"; name = "Đỗ Kim Chi"; phone = "0912 345 602"; },
           { id = "p3"; name = "Vũ Văn Hùng"; phone = "0912 345 603"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p0", "p1", "p2", "p3" ]; channels = [ "sms" ]; };
PLAN
T16=0123456789abcdef
D16=fedcba9876543210

# tokens TOKEN DLR-TOKEN: write the two files, mode 0600, with a newline.
tokens() {
	(umask 077 && printf '%s\n' "$1" >"$d/token" &&
	    printf '%s\n' "$2" >"$d/dlr-token")
}
# A run that refuses ends; one that does not serves /healthz.
ended_or_up() {
	! kill -0 "$API_PID" 2>/dev/null ||
	    curl -s -o /dev/null "$API/healthz" 2>/dev/null
}
# refused WHAT FILE: run exits 1 at once, naming FILE and the rule.
refused() {
	"$LOA" -c "$d/loa.cfg" run --now "2026-03-02 09:00" >"$d/run.out" 2>"$d/run.err" &
	API_PID=$!
	poll_until 60 ended_or_up
	if kill -0 "$API_PID" 2>/dev/null; then
		api_stop
		ko "$1: run started"
		return
	fi
	wait "$API_PID"
	rc=$?
	API_PID=
	[ "$rc" = 1 ] && grep -q "$2.*shorter than 16 bytes" "$d/run.err" &&
	    ok "$1: run exits 1, naming the file" ||
	    ko "$1: exit $rc" "$(cat "$d/run.err")"
}
tokens "${T16%?}" "$D16"
refused "a token_file of 15 bytes" "token_file $d/token"
tokens "$T16" "${D16%?}"
refused "a dlr_token_file of 15 bytes" "dlr_token_file $d/dlr-token"

tokens "$T16" "$D16"
api_up "$d" "2026-03-02 09:00"
ok "token files of exactly 16 bytes: run starts"
sent() {
	"$LOA" -c "$d/loa.cfg" outbox --state sent 2>/dev/null | grep -c sms |
	    grep -qx 3
}
poll_until 120 sent || ko "the first three SMS not sent" "$(cat "$d/run.err")"
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/o0.json"
set -- $($PY -c 'from loatest import load
import sys
print(" ".join(j["id"] for j in sorted(load(sys.argv[1]), key=lambda j: j["address"])))' "$tmp/o0.json")
j4=$1 j16=$2 j32=$3 j1=$4
for r in "$j4&status=4&answer=stat:ENROUTE" "$j16&status=16&answer=stat:REJECTD" \
    "$j32&status=32"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$r&dlr_token=$D16")
	[ "$code" = 200 ] || ko "/dlr?id=$r: $code"
done
for j in $j4 $j16 $j32; do
	curl -s -o "$tmp/$j.json" "$API/jobs/$j"
done
# check JOB WHAT PYTHON: the job's GET /jobs/ID as j, its last attempt as a.
check() {
	$PY -c 'from loatest import load
import sys
j = load(sys.argv[1])
a = j["attempt_log"][-1]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$tmp/$1.json" "$3" && ok "$2" ||
	    ko "$2" "$(cat "$tmp/$1.json")"
}
check "$j4" "status 4: kept as queued, the job still sent, no error" \
    'j["state"] == "sent" and a["outcome"] == "queued" and "ENROUTE" in a["answer"] and j["last_error"] is None'
check "$j16" "status 16: undelivered, the report its last_error, the job still sent" \
    'j["state"] == "sent" and a["outcome"] == "undelivered" and "REJECTD" in (j["last_error"] or "")'
check "$j32" "status 32: kept as a report, nothing else changed" \
    'j["state"] == "sent" and a["outcome"] == "report" and j["last_error"] is None'

# The fourth SMS is at the gateway, its answer held: the job is sending.
sending() {
	"$LOA" -c "$d/loa.cfg" outbox --json 2>/dev/null |
	    grep -q "\"id\": \"$j1\".*\"state\": \"sending\""
}
poll_until 60 sending || ko "job $j1 not sending"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/dlr?id=$j1&status=1&dlr_token=$D16")
[ "$code" = 200 ] || ko "/dlr?id=$j1: $code"
: >"$tmp/release"
delivered() {
	"$LOA" -c "$d/loa.cfg" outbox --json 2>/dev/null |
	    grep -q "\"id\": \"$j1\".*\"state\": \"delivered\""
}
poll_until 60 delivered &&
    ok "status 1 before the send is recorded: delivered once it is" ||
    ko "an early report" "$("$LOA" -c "$d/loa.cfg" outbox --json)"
api_stop

finish
