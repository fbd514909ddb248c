#!/bin/sh
# http_answers.sh: what the http gateway makes of hostile or odd answers
# (tests/tools/faultgw.py): a secret echoed in a long error body, or
# form-encoded, or JSON-escaped, or in the Basic Authorization header
# quoted back (base64 of USER:SECRET), is in no outbox text (it is blotted
# before the answer is cut); `Retry-After: 120 ` (trailing space, RFC 9110 §5.5)
# is honoured; a success status whose body is too long to read at the
# success pointer is taken as sent, not sent again.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
at_exit faultgw_stop

TOKEN='S3CRET tok"en\9x-Q7-abcdefghijklmnopqrstuvwxyz0123'
export LOA_T_TOKEN="$TOKEN"
$PY - "$tmp/rules.json" "$TOKEN" <<'PY'
import json, sys, urllib.parse
out, tok = sys.argv[1:3]
long_ok = json.dumps({"pad": "x" * 70000, "CodeResult": "100"})
rules = {"rules": [
    {"path": "/long", "status": 400, "body": "A" * 230 + tok + " tail"},
    {"path": "/form", "status": 400,
     "body": "echo=" + urllib.parse.quote_plus(tok)},
    {"path": "/json", "status": 400, "body": json.dumps({"echo": tok})},
    {"path": "/basic", "status": 400, "echo_headers": True},
    {"path": "/later", "attempt": 1, "status": 503,
     "headers": {"Retry-After": "120 "}, "body": "busy"},
    {"path": "/big", "status": 200, "body": long_ok,
     "type": "application/json"},
]}
json.dump(rules, open(out, "w"))
PY
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
u="http://127.0.0.1:$FAULTGW_PORT"

# conf NAME PATH [KEYS]: one SMS through the webhook preset to u/PATH.
conf() {
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/plan.cfg" <<PLAN
plan = { id = "A/$1"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p0"; name = "Đào Văn Đức"; phone = "0912 345 600"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p0" ]; channels = [ "sms" ]; };
PLAN
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook"; url = "$u/$2";
               token_env = "LOA_T_TOKEN"; ${3:-} } );
channels = { sms = "sms"; };
CFG
	"$LOA" -c "$tmp/$1/loa.cfg" run --once --now "2026-03-02 09:00" \
	    >"$tmp/$1/out" 2>"$tmp/$1/err"
	"$LOA" -c "$tmp/$1/loa.cfg" outbox --json >"$tmp/$1/outbox.json" \
	    2>>"$tmp/$1/err"
}

for n in long form json basic; do
	if [ "$n" = basic ]; then
		conf "$n" "$n" 'auth = "basic"; user = "AC0123";'
	else
		conf "$n" "$n"
	fi
	if $PY - "$tmp/$n/outbox.json" "$TOKEN" "$tmp/$n/err" <<'PY'
from loatest import load
import base64, json, sys
jobs, tok = load(sys.argv[1]), sys.argv[2]
text = open(sys.argv[1]).read() + open(sys.argv[3]).read()
j = jobs[0]
assert j["state"] == "dead" and "400" in (j["last_error"] or ""), j
# No piece of the token (5 characters or more, as any form) is left.
forms = [tok, tok.replace(" ", "+"), json.dumps(tok)[1:-1],
         base64.b64encode(("AC0123:" + tok).encode()).decode()]
for f in forms:
    for i in range(len(f) - 4):
        assert f[i:i + 5] not in text, (f[i:i + 5], j["last_error"])
PY
	then ok "$n: the echoed secret is in no outbox text or log"
	else ko "$n: the secret echoed back" "$(head -c 600 "$tmp/$n/outbox.json")"
	fi
done

conf later later
# Tried again a minute later: too early for the 120 s asked (the backoff
# alone would be at most 30 s); then after them: sent.
"$LOA" -c "$tmp/later/loa.cfg" run --once --now "2026-03-02 09:01" \
    >>"$tmp/later/out" 2>>"$tmp/later/err"
"$LOA" -c "$tmp/later/loa.cfg" outbox --json >"$tmp/later/mid.json"
"$LOA" -c "$tmp/later/loa.cfg" run --once --now "2026-03-02 09:02:01" \
    >>"$tmp/later/out" 2>>"$tmp/later/err"
"$LOA" -c "$tmp/later/loa.cfg" outbox --json >"$tmp/later/end.json"
if $PY - "$tmp/later/outbox.json" "$tmp/later/mid.json" "$tmp/later/end.json" <<'PY'
from loatest import load
import json, sys
a, b, c = (load(f)[0] for f in sys.argv[1:4])
assert a["state"] == "failed" and "503" in a["last_error"], a
assert b["state"] == "failed" and b["attempts"] == 1, b
assert c["state"] == "sent" and c["attempts"] == 2, c
PY
then ok "Retry-After: 120 with a trailing space is honoured"
else ko "Retry-After with a trailing space" "$(cat "$tmp/later/mid.json" "$tmp/later/end.json")"
fi

conf big big 'success = { pointer = "/CodeResult"; ok = [ "100" ]; };'
if $PY - "$tmp/big/outbox.json" <<'PY'
from loatest import load
import json, sys
j = load(sys.argv[1])[0]
assert j["state"] == "sent" and j["attempts"] == 1, j
PY
then ok "a 2xx too long to read at its pointer is sent, once"
else ko "a 2xx too long to read" "$(head -c 600 "$tmp/big/outbox.json")"
fi

finish
