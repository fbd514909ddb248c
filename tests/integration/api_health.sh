#!/bin/sh
# api_health.sh: GET /healthz of a running `loa run` says 503 once a
# gateway has failed every attempt for loa.http.unhealthy_after
# (conf/REFERENCE.md §9: 10 minutes by default; 5 s here, a window a loaded
# machine still sees), with that gateway "failing", and 200 while it has not
# yet: the SMS gateway is an http one to a closed port.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/api.sh"
at_exit api_stop
d=$tmp/c

closed=$(api_free_port) # bound and released: nothing listens there
api_conf "$d" "gateways = (
  { id = \"mail\"; kind = \"file\"; dir = \"var/outbox\"; },
  { id = \"sms\"; kind = \"http\"; preset = \"webhook\";
    url = \"http://127.0.0.1:$closed/sms\"; timeout = \"1s\"; },
  { id = \"speaker\"; kind = \"spool\"; dir = \"var/broadcast\"; } );
channels = { email = \"mail\"; sms = \"sms\"; broadcast = \"speaker\"; };"
sed -i 's|^           dlr_token_file = |           unhealthy_after = "5s"; dlr_token_file = |' "$d/loa.cfg"
grep -q 'unhealthy_after = "5s"' "$d/loa.cfg" || ko "unhealthy_after set"
"$LOA" -c "$d/loa.cfg" check >/dev/null 2>"$tmp/err" || ko "check" "$(cat "$tmp/err")"
api_up "$d" "2025-12-19 08:00"
# health: the status code, the sms gateway's state, into $code $state.
health() {
	code=$(curl -s -o "$tmp/h.json" -w '%{http_code}' "$API/healthz")
	state=$($PY -c 'from loatest import load; import json, sys
h = load(sys.argv[1])
print([g["state"] for g in h["gateways"] if g["channel"] == "sms"][0])' "$tmp/h.json" 2>/dev/null)
}
# The first SMS attempts fail at once (connection refused): the gateway
# backs off, 200, until it has failed for 5 s: then 503. (Polled: under
# the sanitizers the first attempts come later.)
seen=
unhealthy() {
	health
	[ "$code" = 200 ] && [ "$state" = backing_off ] && seen=yes
	[ "$code" = 503 ]
}
poll_until 300 unhealthy
[ "$seen" = yes ] &&
    ok "failing for less than unhealthy_after: 200, the gateway backing off" ||
    ko "before the window" "never seen backing off with 200"

[ "$code" = 503 ] && [ "$state" = failing ] &&
    ok "every attempt failed for unhealthy_after: 503, the gateway failing" ||
    ko "after the window" "$code $state $(cat "$tmp/h.json")"
# The mail gateway, which works, stays ok in the same answer.
$PY -c 'from loatest import load; import json, sys
h = load(sys.argv[1])
g = {x["channel"]: x for x in h["gateways"]}
sys.exit(0 if g["email"]["state"] == "ok" and g["sms"]["last_error"] else 1)' \
    "$tmp/h.json" && ok "the other gateways ok; the failing one's last error kept" ||
    ko "gateway states" "$(cat "$tmp/h.json")"
api_stop
# A bad window is a check error at its line.
sed -i 's|unhealthy_after = "5s"|unhealthy_after = "0s"|' "$d/loa.cfg"
line=$(grep -n 'unhealthy_after' "$d/loa.cfg" | cut -d: -f1)
"$LOA" -c "$d/loa.cfg" check >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q "loa.cfg:$line: loa.http.unhealthy_after: 0 s; expected 1 s to 1 d" "$tmp/err" &&
    ok "unhealthy_after = 0s: loa.cfg:$line" || ko "bad unhealthy_after" "rc $rc $(cat "$tmp/err")"
finish
