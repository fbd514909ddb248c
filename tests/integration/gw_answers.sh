#!/bin/sh
# gw_answers.sh: the http gateway's answer rule at its edges (README "SMS
# over HTTP", **Answers** and **Choices made**), each answer given by
# tests/tools/faultgw.py to one number of a plan, through `loa run --once`:
#
#   any 2xx (no rule): 200, 202, 204 and 299 are sent
#   any other status is dead: 302 (not followed), 404, 409
#   408, 429, 500, 504, 599 retry (failed, not dead)
#   kannel: 202 "0: ..." and 202 "3: Queued ..." (its second success
#     code) sent; 200 "0: ..." (a 2xx the rule does not list) and 202 with
#     another body dead
#   a pointer (RFC 6901: an array index, "~1" for "/"): the value there in
#     ok sent, in retry failed, in already_sent sent, another value dead;
#     a 2xx without a value there (other JSON, a proxy's HTML) is no
#     verdict: failed, never sent, never dead
#   eSMS: CodeResult as the number 100 is 100
#   Retry-After longer than a day (in seconds, or as an HTTP date three
#     days ahead) is taken as a day: the job goes again the next day
#   a 403, a success, a 403 again in one run (concurrency 1): the
#     gateway's config failure is logged again after the success
#   timeout = "1s" and an answer after 2.5 s: failed (timed out), retried
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
at_exit faultgw_stop

date3=$($PY -c 'import email.utils, time; print(email.utils.formatdate(time.time() + 3 * 86400, usegmt=True))')
$PY - "$tmp/rules.json" "$date3" <<'PY'
import json, sys
out, date3 = sys.argv[1:3]
J = "application/json"
def n(path, suffix, status, body="", **kw):
    r = {"path": path, "to_suffix": suffix, "status": status, "body": body}
    r.update(kw)
    return r
ptr = lambda v: json.dumps({"data": [{"x": 1, "st/x": v}]})
rules = [
    # Any 2xx, else by class.
    n("/any", "00", 200, "ok"),
    n("/any", "01", 202, "queued"),
    n("/any", "02", 204),
    n("/any", "03", 299, "odd but 2xx"),
    n("/any", "04", 302, "moved", headers={"Location": "/any/elsewhere"}),
    n("/any", "05", 404, "no such route"),
    n("/any", "06", 409, "conflict"),
    n("/any", "07", 408, "request timeout"),
    n("/any", "08", 429, "too many"),
    n("/any", "09", 500, "internal error"),
    n("/any", "10", 504, "gateway timeout"),
    n("/any", "11", 599, "network read timeout"),
    # Kannel's rule: 202 and "0:" or "3:".
    n("/kannel", "00", 202, "0: Accepted for delivery"),
    n("/kannel", "01", 202, "3: Queued for later delivery"),
    n("/kannel", "02", 200, "0: Accepted for delivery"),
    n("/kannel", "03", 202, "<html>Welcome to nginx</html>"),
    # A pointer into the JSON body.
    n("/ptr", "00", 200, ptr("done"), type=J),
    n("/ptr", "01", 200, ptr("later"), type=J),
    n("/ptr", "02", 200, ptr("dup"), type=J),
    n("/ptr", "03", 200, ptr("refused"), type=J),
    n("/ptr", "04", 200, json.dumps({"data": []}), type=J),
    n("/ptr", "05", 200, "<html><body>Proxy login</body></html>",
      type="text/html"),
    # eSMS's CodeResult as a number.
    n("/esms", "00", 200, json.dumps({"CodeResult": 100}), type=J),
    # Retry-After past a day, on the first attempt only.
    n("/cap", "00", 503, "busy", attempt=1, headers={"Retry-After": "200000"}),
    n("/cap", "01", 429, "slow", attempt=1, headers={"Retry-After": date3}),
    # An answer that takes longer than loa's timeout.
    {"path": "/slow", "fault": "slow", "delay": 2.5},
    # 403, then 200, then 403 again (the order the server counts).
    {"path": "/relog", "nth": [2, 3], "status": 200, "body": "ok"},
    {"path": "/relog", "nth": [1, 99], "status": 403,
     "body": "Authorization failed"},
]
json.dump({"rules": rules}, open(out, "w"))
PY
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
u="http://127.0.0.1:$FAULTGW_PORT"
export LOA_T_SECRET='s3cret-pw'

# conf NAME N GATEWAY-KEYS: a config in $tmp/NAME, one SMS at 09:00 to
# each of N people, numbers 0912 3456 00, 01, ...
conf() {
	mkdir -p "$tmp/$1"
	{
		echo "plan = { id = \"ANS/$1\"; issued = \"2026-03-02\"; title = \"Thử\"; };"
		echo 'people = ('
		i=0 to=
		while [ "$i" -lt "$2" ]; do
			[ "$i" -gt 0 ] && echo ',' && to="$to, "
			printf '{ id = "p%d"; name = "Đào Văn Đức %d"; phone = "0912 3456 %02d"; }' \
			    "$i" "$i" "$i"
			to="$to\"p$i\""
			i=$((i + 1))
		done
		echo ');'
		echo "distribution = { at = \"plan.issued at 09:00\"; to = [ $to ]; channels = [ \"sms\" ]; };"
	} >"$tmp/$1/plan.cfg"
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; $3 } );
channels = { sms = "sms"; };
CFG
}
run() {
	"$LOA" -c "$tmp/$1/loa.cfg" run --once --now "${2:-2026-03-02 09:00}" \
	    >>"$tmp/$1/out" 2>>"$tmp/$1/err"
	"$LOA" -c "$tmp/$1/loa.cfg" outbox --json >"$tmp/$1/outbox.json"
}
# states NAME WHAT WANT: the states by the numbers' last two digits, as
# "00=sent 01=dead ..." in that order, are WANT.
states() {
	got=$($PY -c '
from loatest import load
import sys
v = sorted((j["address"][-2:], j["state"]) for j in load(sys.argv[1])
           if j["channel"] == "sms")
print(" ".join("%s=%s" % x for x in v))' "$tmp/$1/outbox.json")
	[ "$got" = "$3" ] && ok "$2" ||
	    ko "$2" "got      $got
   expected $3
   $(cat "$tmp/$1/err")"
}

conf any 12 "preset = \"webhook\"; url = \"$u/any\";"
conf kannel 4 "preset = \"kannel\"; url = \"$u/kannel\"; user = \"loa\";
    password_env = \"LOA_T_SECRET\";"
conf ptr 6 "preset = \"webhook\"; url = \"$u/ptr\";
    success = { pointer = \"/data/0/st~1x\"; ok = [ \"done\" ];
                retry = [ \"later\" ]; already_sent = [ \"dup\" ]; };"
conf esms 1 "preset = \"esms\"; url = \"$u/esms\"; user = \"AK\";
    password_env = \"LOA_T_SECRET\";"
conf cap 2 "preset = \"webhook\"; url = \"$u/cap\";"
# (A broadcast's SMS, sent until the item expires: a distribution's would
# expire after its day of grace.)
cat >"$tmp/cap/plan.cfg" <<'PLAN'
plan = { id = "ANS/cap"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p0"; name = "Đào Văn Đức"; phone = "0912 3456 00"; },
           { id = "p1"; name = "Lê Thị Bình"; phone = "0912 3456 01"; } );
broadcasts = ( { id = "nuoc"; title = "Lịch cắt nước"; text = "Cắt nước thứ Ba.";
                 air = [ "2026-03-02 09:00" ]; expires = "2026-03-06 09:00";
                 sms_to = [ "p0", "p1" ]; } );
PLAN
conf relog 3 "preset = \"webhook\"; url = \"$u/relog\"; concurrency = 1;"
conf slow 1 "preset = \"webhook\"; url = \"$u/slow\"; timeout = \"1s\";"
for c in any kannel ptr esms cap relog slow; do
	run $c
done

states any "no rule: any 2xx sent; 302, 404, 409 dead; 408, 429, 5xx failed" \
    "00=sent 01=sent 02=sent 03=sent 04=dead 05=dead 06=dead 07=failed 08=failed 09=failed 10=failed 11=failed"
# The 302 was not followed: one request for it.
n=$(grep -c '"path": "/any/elsewhere"' "$tmp/gw.log")
[ "$n" = 0 ] && ok "a 302 is not followed" || ko "a 302 followed ($n requests)"
states kannel "kannel: 202 with 0: or 3: sent; 200, or 202 with another body, dead" \
    "00=sent 01=sent 02=dead 03=dead"
states ptr "pointer /data/0/st~1x: ok sent, retry failed, already_sent sent, another value dead, no value failed" \
    "00=sent 01=failed 02=sent 03=dead 04=failed 05=failed"
if $PY - "$tmp/ptr/outbox.json" <<'PY'
from loatest import load
import sys
v = {j["address"][-2:]: j for j in load(sys.argv[1])}
for k in ("04", "05"):
    e = v[k]["last_error"] or ""
    assert e.startswith("HTTP 200") and "no value at the success pointer" in e, e
PY
then ok "a 2xx without a verdict says so in last_error"
else ko "a 2xx without a verdict: last_error" "$(cat "$tmp/ptr/outbox.json")"
fi
states esms "eSMS: CodeResult as the number 100 is sent" "00=sent"

# The second day, a minute past a day after the first tries: the retry
# that was told 200,000 s, or three days, goes (a day at most), and not
# before (an hour earlier it still waits).
states cap "Retry-After past a day: failed at first" "00=failed 01=failed"
run cap "2026-03-03 08:00"
states cap "Retry-After past a day: still waiting after 23 hours" \
    "00=failed 01=failed"
run cap "2026-03-03 09:01"
states cap "Retry-After past a day (seconds, HTTP date) is taken as a day" \
    "00=sent 01=sent"

n=$(grep -c "refused loa's credentials" "$tmp/relog/err")
states relog "403, 200, 403: the refused jobs failed, the other sent" \
    "$($PY -c '
import json, sys
# The order the jobs came to the server: the second was answered 200.
r = [json.loads(l) for l in open(sys.argv[1]) if "\"/relog\"" in l]
st = {x["to"][-2:]: ("sent" if x["status"] == 200 else "failed") for x in r}
print(" ".join("%s=%s" % (k, st.get(k)) for k in sorted(st)))' "$tmp/gw.log")"
[ "$n" = 2 ] && ok "a config failure is logged again after a success" ||
    ko "config failure logged $n times (expected 2)" "$(cat "$tmp/relog/err")"

states slow "timeout = 1s, an answer after 2.5 s: failed" "00=failed"
grep -q '"last_error": "[^"]*[Tt]ime' "$tmp/slow/outbox.json" &&
    ok "timeout: the error says it timed out" ||
    ko "timeout: last_error" "$(cat "$tmp/slow/outbox.json")"

finish
