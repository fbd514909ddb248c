#!/bin/sh
# sendtest.sh: `loa send-test --channel sms --to NUMBER` (conf/REFERENCE.md §8):
# one test SMS through the configured http gateway (tests/tools/faultgw.py,
# the webhook preset) or the embedded file gateway; exit 0 with the
# gateway's answer, 3 with its words when it refuses, 2 for a number that
# is not one; the number goes in E.164 and the text folded when the
# gateway folds. And `--channel email` through a file gateway: the From of
# the test mail is the gateway's, its quoted display name read as a name
# (smtp_fail.sh tests it against a real server).
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
at_exit faultgw_stop

cat >"$tmp/rules.json" <<'JSON'
{ "rules": [
  { "to_suffix": "99", "status": 400, "body": "number barred" }
] }
JSON
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"

mkdir -p "$tmp/c" "$tmp/e"
printf 'plan = { id = "T/1"; issued = "2026-03-02"; title = "Thử"; };\n' \
    >"$tmp/c/plan.cfg"
cp "$tmp/c/plan.cfg" "$tmp/e/plan.cfg"
cat >"$tmp/c/loa.cfg" <<EOF2
loa = { store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
  url = "http://127.0.0.1:$FAULTGW_PORT/hook"; fold = true; } );
channels = { sms = "sms"; };
EOF2
printf 'loa = { store = "var/loa.db"; plans = [ "plan.cfg" ]; };\n' \
    >"$tmp/e/loa.cfg"

# send_test WHAT RC PATTERN out|err ARGS...: send-test ARGS with the
# config c exits RC, PATTERN in its stdout (out) or stderr (err).
send_test() {
	what=$1
	want=$2
	pattern=$3
	in=$4
	shift 4
	"$LOA" -c "$tmp/c/loa.cfg" send-test "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq "$want" ] && grep -q -- "$pattern" "$tmp/$in"; then
		ok "$what"
	else
		ko "$what" "exit $rc: $(cat "$tmp/out" "$tmp/err")"
	fi
}
send_test "send-test sms: exit 0 and the gateway's answer" 0 \
    '^sent to +84912345678 through gateway sms: HTTP 200' out \
    --channel sms --to "0912 345 678"
if $PY - "$tmp/gw.log" <<'PY'
import json, sys
from loatest import jsonl
reqs = jsonl(sys.argv[1])
assert len(reqs) == 1, reqs
r = reqs[0]
b = json.loads(r["body"])
assert r["method"] == "POST" and r["path"] == "/hook", r
assert b["to"] == "+84912345678" and b["encoding"] == "gsm7", b
assert b["text"].startswith("Tin nhan thu cua loa"), b["text"]
assert r["headers"].get("Idempotency-Key") == b["id"], r["headers"]
PY
then
	ok "the request: E.164, folded, gsm7, Idempotency-Key = id"
else
	ko "the request at the gateway"
fi

send_test "a refusal: exit 3 with the gateway's words" 3 \
    'gateway sms: .*400.*number barred' err --channel sms --to 0912345699
send_test "not a number: exit 2, saying so" 2 '--to "12ab"' err \
    --channel sms --to 12ab

"$LOA" -c "$tmp/e/loa.cfg" send-test --channel sms --to +84912345678 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && grep -q '"to": *"+84912345678"' "$tmp/e/var/outbox/sms.jsonl" &&
    grep -q '"encoding": *"ucs2"' "$tmp/e/var/outbox/sms.jsonl"; then
	ok "the embedded file gateway: one record, Vietnamese as ucs2"
else
	ko "the embedded file gateway" "exit $rc: $(cat "$tmp/err" "$tmp/e/var/outbox/sms.jsonl" 2>&1)"
fi

mkdir -p "$tmp/m"
cp "$tmp/e/plan.cfg" "$tmp/m/plan.cfg"
cat >"$tmp/m/loa.cfg" <<'EOF2'
loa = { store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "mail"; kind = "file"; dir = "out";
  from = "\"UBND xã Đại Sơn, Văn phòng\" <ubnd@daison.example>"; } );
channels = { email = "mail"; };
EOF2
"$LOA" -c "$tmp/m/loa.cfg" send-test --channel email --to an@daison.example \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && $PY - "$tmp"/m/out/mail/*.eml <<'PY'
import sys
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
a = m["From"].addresses
assert len(a) == 1 and a[0].addr_spec == "ubnd@daison.example", a
assert a[0].display_name == "UBND xã Đại Sơn, Văn phòng", a[0].display_name
assert m["To"].addresses[0].addr_spec == "an@daison.example", m["To"]
PY
then
	ok "send-test email: From is the gateway's, its quoted name a name"
else
	ko "send-test email's From" "exit $rc: $(cat "$tmp/err")"
fi

finish
