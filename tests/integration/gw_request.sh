#!/bin/sh
# gw_request.sh: the http gateway's request as the config shapes it over a
# preset (README "SMS over HTTP": the gateway's own keys go over the
# preset's, member by member in headers, query, form and json; a form in
# the config replaces a preset's json body; the table's method and auth),
# one SMS each through `loa run --once` to tests/tools/faultgw.py, which
# logs the request (a token file's first line is the secret); and the check errors of the request's rules (both a
# password and a token, a GET with a body, an auth without a secret).
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
at_exit faultgw_stop

# /conc: each answer held a while, so the requests in flight overlap.
printf '{"rules": [{"path": "/conc2", "fault": "slow", "delay": 0.5},
  {"path": "/conc8", "fault": "slow", "delay": 1.0}]}\n' >"$tmp/rules.json"
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
u="http://127.0.0.1:$FAULTGW_PORT"
export LOA_T_SECRET='pw-Q7x' LOA_T_TOKEN='tok-Z9y'

# conf NAME GATEWAY-KEYS [N]: one SMS at 09:00 to +84912345600 (and to
# N - 1 more: ...601, ...602) through it.
conf() {
	mkdir -p "$tmp/$1"
	{
		echo "plan = { id = \"REQ/$1\"; issued = \"2026-03-02\"; title = \"Thử\"; };"
		echo 'people = ('
		i=0 to=
		while [ "$i" -lt "${3:-1}" ]; do
			[ "$i" -gt 0 ] && echo ',' && to="$to, "
			printf '{ id = "p%d"; name = "Dao Van Duc"; phone = "0912 345 6%02d"; }' "$i" "$i"
			to="$to\"p$i\""
			i=$((i + 1))
		done
		echo ');'
		echo "distribution = { at = \"plan.issued at 09:00\"; to = [ $to ]; channels = [ \"sms\" ]; };"
	} >"$tmp/$1/plan.cfg"
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
templates = { distribution_sms = "Hop luc 8 gio"; };
gateways = ( { id = "sms"; kind = "http"; url = "$u/$1"; $2 } );
channels = { sms = "sms"; };
CFG
}
send() {
	conf "$@"
	"$LOA" -c "$tmp/$1/loa.cfg" run --once --now "2026-03-02 09:00" \
	    >"$tmp/$1/out" 2>"$tmp/$1/err" || ko "$1: run" "$(cat "$tmp/$1/err")"
}

send esms 'preset = "esms"; user = "AK"; password_env = "LOA_T_SECRET";
    json = { SmsType = "8"; Extra = "x-{id}"; };
    headers = { X-Trace = "t-{id}"; };'
send form 'preset = "webhook"; form = { to = "{to}"; msg = "{text}"; };
    headers = { X-Trace = "f"; };'
send kannel 'preset = "kannel"; user = "loa"; password_env = "LOA_T_SECRET";
    query = { from = "OTHER"; smsc = "vt"; };'
send put 'preset = "webhook"; method = "PUT";'
send hdr 'preset = "webhook"; token_env = "LOA_T_TOKEN"; auth = "header";
    auth_header = "X-Api-Key";'
send basic 'json = { to = "{to}"; text = "{text}"; }; user = "u1";
    password_env = "LOA_T_SECRET";'
# (The secret is the first line of its file: a second line is not it.)
printf 'tok-L1\r\nnot the token\n' >"$tmp/token2"
chmod 600 "$tmp/token2"
send bearer 'json = { to = "{to}"; }; token_file = "../token2";'
send none 'json = { to = "{to}"; };'
# A foreign number, braces, and a text of two lines in a header.
conf ph 'preset = "webhook"; json = { n = "{to_national}"; d = "{to_digits}";
    b = "{{x}} {{"; }; headers = { X-Text = "{text}"; };'
sed -i 's|phone = "0912 345 600"|phone = "+1 415 555 0100"|' "$tmp/ph/plan.cfg"
sed -i 's|distribution_sms = "Hop luc 8 gio"|distribution_sms = "Hop\\nluc 8 gio"|' "$tmp/ph/loa.cfg"
"$LOA" -c "$tmp/ph/loa.cfg" run --once --now "2026-03-02 09:00" \
    >"$tmp/ph/out" 2>"$tmp/ph/err" || ko "ph: run" "$(cat "$tmp/ph/err")"

if $PY - "$tmp/gw.log" <<'PY'
from loatest import jsonl
import base64, json, sys, urllib.parse
req = {r["path"][1:]: r for r in jsonl(sys.argv[1])}
bad = []
def check(name, cond, what):
    if not cond:
        bad.append("%s: %s" % (name, what))
r = req["esms"]
j = json.loads(r["body"])
jid = j["RequestId"]
# (Brandname and CallbackUrl stand for nothing here: left out.)
check("esms", j == {"ApiKey": "AK", "SecretKey": "pw-Q7x", "Phone": "0912345600",
                    "Content": "Hop luc 8 gio", "SmsType": "8", "IsUnicode": "0",
                    "RequestId": jid, "Extra": "x-" + jid}, "json %r" % j)
check("esms", r["headers"].get("X-Trace") == "t-" + jid, "header %r" % r["headers"])
r = req["form"]
f = urllib.parse.parse_qs(r["body"])
check("form", r["headers"].get("Content-Type") == "application/x-www-form-urlencoded",
      "content type %r" % r["headers"].get("Content-Type"))
check("form", f == {"to": ["+84912345600"], "msg": ["Hop luc 8 gio"]}, "form %r" % f)
check("form", r["headers"].get("Idempotency-Key") and r["headers"].get("X-Trace") == "f",
      "the preset's header and the config's: %r" % r["headers"])
r = req["kannel"]
q = r["query"]
check("kannel", q.get("from") == ["OTHER"] and q.get("smsc") == ["vt"] and
      q.get("username") == ["loa"] and q.get("to") == ["84912345600"] and
      q.get("text") == ["Hop luc 8 gio"] and q.get("coding") == ["0"], "query %r" % q)
r = req["put"]
check("put", r["method"] == "PUT" and json.loads(r["body"])["to"] == "+84912345600",
      "%s %r" % (r["method"], r["body"]))
r = req["hdr"]
check("hdr", r["headers"].get("X-Api-Key") == "tok-Z9y" and
      "Authorization" not in r["headers"], "headers %r" % r["headers"])
r = req["basic"]
a = r["headers"].get("Authorization", "")
check("basic", a.startswith("Basic ") and base64.b64decode(a[6:]).decode() == "u1:pw-Q7x",
      "auth %r" % a)
r = req["bearer"]
check("bearer", r["headers"].get("Authorization") == "Bearer tok-L1",
      "auth %r" % r["headers"].get("Authorization"))
r = req["none"]
check("none", "Authorization" not in r["headers"], "auth %r" % r["headers"])
r = req["ph"]
j = json.loads(r["body"])
check("ph", (j["n"], j["d"], j["b"], j["text"]) ==
      ("+14155550100", "14155550100", "{x} {", "Hop\nluc 8 gio"),
      "a foreign number's national form is its E.164 one; {{ is a brace: %r" % j)
check("ph", r["headers"].get("X-Text") == "Hopluc 8 gio" and "luc 8 gio" not in
      [k.lower() for k in r["headers"]], "control characters dropped from a header: %r"
      % r["headers"])
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "the config's keys over a preset's (json, form, query, headers), PUT, each auth, a token file's first line, a foreign number, braces, a header's control characters"
else ko "requests over presets"
fi

# concurrency: at most that many requests in flight (default 8). Each
# answer takes 0.5 s (1 s): the requests the server holds at once.
send conc2 'preset = "webhook"; concurrency = 2;' 6
send conc8 'preset = "webhook";' 12
if $PY - "$tmp/gw.log" <<'PY'
from loatest import jsonl
import sys
reqs = jsonl(sys.argv[1])
def most(path, hold):
    # Each held from its arrival for hold s (a little less: the clock).
    t = sorted(r["t"] for r in reqs if r["path"] == path)
    return len(t), max(sum(1 for u in t if u <= x < u + hold - 0.05) for x in t)
n2, m2 = most("/conc2", 0.5)
n8, m8 = most("/conc8", 1.0)
print("concurrency 2: %d requests, at most %d at once; default: %d, at most %d"
      % (n2, m2, n8, m8))
sys.exit(0 if n2 == 6 and m2 == 2 and n8 == 12 and m8 == 8 else 1)
PY
then ok "concurrency = 2: two requests in flight at most; the default, 8"
else ko "concurrency"
fi

# checkerr NAME KEYS PATTERN: check exits 1 saying PATTERN.
checkerr() {
	conf "$1" "$2"
	"$LOA" -c "$tmp/$1/loa.cfg" check >"$tmp/$1/check" 2>&1
	rc=$?
	[ "$rc" = 1 ] && grep -q "loa.cfg:[0-9]*: .*$3" "$tmp/$1/check" &&
	    ok "check: $1 is an error with its line" ||
	    ko "check: $1: exit $rc" "$(cat "$tmp/$1/check")"
}
checkerr "both a password and a token" 'preset = "webhook";
    password_env = "LOA_T_SECRET"; token_env = "LOA_T_TOKEN";' \
    "a gateway has one secret"
checkerr "a GET with a body" 'method = "GET"; json = { to = "{to}"; };' \
    "a GET request has no body"
checkerr "an auth without a secret" 'preset = "webhook"; auth = "bearer";' \
    "the gateway's auth needs a secret"
checkerr "both a form and a json" 'form = { to = "{to}"; }; json = { to = "{to}"; };' \
    "a request has one body"

finish
