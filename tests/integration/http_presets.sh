#!/bin/sh
# http_presets.sh: the exact request of each preset of the http gateway
# (conf/REFERENCE.md §3; each provider's own API), for one Vietnamese and one
# folded message, sent with `loa run --once` to tests/tools/faultgw.py, which
# logs each request; Debian's python3 parses them (urllib.parse, json, base64)
# and compares method, path, headers and body with what the preset says,
# and the text with what the file gateway writes for the same config.
# Then the answer rules: eSMS's CodeResult (100 sent, 124 already sent, 103
# later, 146 dead), a 403 (the gateway's config: retried, logged once),
# Retry-After in seconds and as an HTTP date, an unknown placeholder (a
# check error with its line), and the secret never in a log, the outbox or
# any file.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
at_exit faultgw_stop

SECRET='s3cr+t&pa ss=%x'
USERKEY='AK-user-env-4711'
printf '%s\n' "tok-FILE-9z" >"$tmp/token"
chmod 600 "$tmp/token"
export LOA_T_SECRET="$SECRET" LOA_T_USER="$USERKEY"

cat >"$tmp/rules.json" <<'JSON'
{ "rules": [
  { "path": "/kannel", "status": 202, "body": "0: Accepted for delivery",
    "type": "text/plain" },
  { "path": "/twilio", "status": 201, "type": "application/json",
    "body": "{\"sid\": \"SM1\", \"status\": \"queued\"}" },
  { "path": "/esms", "to_suffix": "01", "body": "{\"CodeResult\": \"124\"}" },
  { "path": "/esms", "to_suffix": "02", "body": "{\"CodeResult\": \"103\"}" },
  { "path": "/esms", "to_suffix": "03",
    "body": "{\"CodeResult\": \"146\", \"ErrorMessage\": \"Template not registered\"}" },
  { "path": "/esms", "body": "{\"CodeResult\": \"100\", \"SMSID\": \"x1\"}" },
  { "path": "/speedsms", "body": "{\"status\": \"success\", \"code\": \"00\"}" },
  { "path": "/refused", "status": 403, "body": "Authorization failed for sendsms" },
  { "path": "/echo", "status": 400,
    "body": "bad request: password=s3cr+t&pa ss=%x user AK-user-env-4711\u0001\u001b[31m" },
  { "path": "/later", "attempt": 1, "to_suffix": "00", "status": 503,
    "headers": { "Retry-After": "7200" }, "body": "busy" },
  { "path": "/later", "attempt": 1, "to_suffix": "01", "status": 429,
    "headers": { "Retry-After": "HTTPDATE" }, "body": "slow down" }
] }
JSON
date=$($PY -c 'import email.utils, time; print(email.utils.formatdate(time.time() + 7200, usegmt=True))')
sed -i "s/HTTPDATE/$date/" "$tmp/rules.json"
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
P=$FAULTGW_PORT

# plan N FILE ID: a plan of N people with numbers 0912 3456 00, 01 ...;
# one SMS each (its id, and so the job ids, differ from plan to plan).
plan() {
	{
		echo "plan = { id = \"HTTP/$3\"; issued = \"2026-03-02\"; title = \"Thử\"; };"
		echo 'people = ('
		i=0
		while [ "$i" -lt "$1" ]; do
			[ "$i" -gt 0 ] && echo ','
			printf '{ id = "p%d"; name = "Đào Văn Đức %d"; phone = "0912 3456 %02d"; }' \
			    "$i" "$i" "$i"
			i=$((i + 1))
		done
		echo ');'
		echo 'distribution = { at = "plan.issued at 09:00"; to = ['
		i=0
		while [ "$i" -lt "$1" ]; do
			[ "$i" -gt 0 ] && printf ', '
			printf '"p%d"' "$i"
			i=$((i + 1))
		done
		echo ' ]; channels = [ "sms" ]; };'
	} >"$2"
}

# The SMS: Vietnamese (đ, Đ), and what a URL or a form must escape.
TPL0='Kính gửi {person.name}: họp 08:00 tại Đình Đại Sơn; +84 & 100% = ?#{{x}}/é'

# conf NAME GATEWAY-KEYS [NPEOPLE [PLAN]]: a config in $tmp/NAME with the
# gateway; its plan's id is HTTP/PLAN (default NAME).
conf() {
	mkdir -p "$tmp/$1"
	plan "${3:-1}" "$tmp/$1/plan.cfg" "${4:-$1}"
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ];
        http = { listen = "127.0.0.1:8787"; }; };
templates = { distribution_sms = "${TPL:-$TPL0}"; };
gateways = ( { id = "sms"; $2 } );
channels = { sms = "sms"; };
CFG
}
run() {
	"$LOA" -c "$tmp/$1/loa.cfg" run --once --now "${2:-2026-03-02 09:00}" \
	    >>"$tmp/$1/stdout" 2>>"$tmp/$1/err"
}

# The reference: what the file gateway writes for the same message.
for f in 0 1; do
	fold=false
	[ $f = 1 ] && fold=true
	conf "ref$f" "kind = \"file\"; dir = \"out\"; fold = $fold;" 1 KH
	run "ref$f" || ko "file gateway run (fold $fold)" "$(cat "$tmp/ref$f/err")"
done

u="http://127.0.0.1:$P"
for f in 0 1; do
	fold=false
	[ $f = 1 ] && fold=true
	conf "kannel$f" "kind = \"http\"; preset = \"kannel\"; url = \"$u/kannel/cgi-bin/sendsms\";
	    user = \"loa\"; password_env = \"LOA_T_SECRET\"; sender = \"UBND DAISON\"; fold = $fold;" 1 KH
	conf "twilio$f" "kind = \"http\"; preset = \"twilio\";
	    url = \"$u/twilio/2010-04-01/Accounts/{user}/Messages.json\";
	    user = \"AC0123456789\"; password_env = \"LOA_T_SECRET\"; sender = \"+15005550006\"; fold = $fold;" 1 KH
	conf "esms$f" "kind = \"http\"; preset = \"esms\"; url = \"$u/esms/send\";
	    user_env = \"LOA_T_USER\"; password_env = \"LOA_T_SECRET\"; sender = \"DAISON\"; fold = $fold;" 1 KH
	conf "speedsms$f" "kind = \"http\"; preset = \"speedsms\"; url = \"$u/speedsms/send\";
	    token_file = \"../token\"; sender = \"DAISON\"; fold = $fold;" 1 KH
	conf "webhook$f" "kind = \"http\"; preset = \"webhook\"; url = \"$u/webhook\";
	    token_file = \"../token\"; fold = $fold;" 1 KH
done
for p in kannel twilio esms speedsms webhook; do
	for f in 0 1; do
		"$LOA" -c "$tmp/$p$f/loa.cfg" check >"$tmp/$p$f/check" 2>&1 ||
		    ko "$p (fold $f) checks" "$(cat "$tmp/$p$f/check")"
		: >"$tmp/gw.log.mark"
		before=$(wc -l <"$tmp/gw.log")
		run "$p$f" || ko "$p (fold $f) run" "$(cat "$tmp/$p$f/err")"
		tail -n +$((before + 1)) "$tmp/gw.log" >"$tmp/$p$f/req"
	done
done

if $PY - "$tmp" "$SECRET" "$USERKEY" <<'PY'
from loatest import jsonl
import base64, json, sys, urllib.parse
d, secret, userkey = sys.argv[1:4]
bad = []
def one(path):
    v = jsonl(path)
    if len(v) != 1:
        bad.append("%s: %d requests, expected 1" % (path, len(v)))
        return None
    return v[0]
def outbox(name):
    return None
for f in ("0", "1"):
    ref = one(d + "/ref%s/out/sms.jsonl" % f)
    if ref is None:
        continue
    text, to, jid = ref["text"], ref["to"], ref["id"]
    if f == "0" and (ref["encoding"] != "ucs2" or "Đ" not in text):
        bad.append("reference not Vietnamese UCS-2: %r" % ref)
    if f == "1" and (ref["encoding"] != "gsm7" or "Dinh Dai Son" not in text
                     or "Dao Van Duc" not in text):
        bad.append("reference not folded GSM-7 (đ, Đ -> d, D): %r" % ref)
    ucs2 = ref["encoding"] == "ucs2"
    def check(name, cond, what):
        if not cond:
            bad.append("%s fold %s: %s" % (name, f, what))
    # Kannel: GET, everything in the query, each value escaped.
    r = one(d + "/kannel%s/req" % f)
    if r:
        q = r["query"]
        want = {"username": ["loa"], "password": [secret], "to": [to[1:]],
                "text": [text], "from": ["UBND DAISON"], "charset": ["UTF-8"],
                "coding": ["2" if ucs2 else "0"], "dlr-mask": ["31"],
                "dlr-url": ["http://127.0.0.1:8787/dlr?id=%s&status=%%d" % jid]}
        check("kannel", r["method"] == "GET", "method %s" % r["method"])
        check("kannel", r["path"] == "/kannel/cgi-bin/sendsms", "path %s" % r["path"])
        check("kannel", q == want, "query %r, expected %r" % (q, want))
        check("kannel", r["body"] == "", "a body")
    # Twilio: a form, Basic AccountSid:token, +84 kept.
    r = one(d + "/twilio%s/req" % f)
    if r:
        form = urllib.parse.parse_qs(r["body"], keep_blank_values=True)
        want = {"To": [to], "From": ["+15005550006"], "Body": [text]}
        check("twilio", r["method"] == "POST", "method")
        check("twilio", r["path"] == "/twilio/2010-04-01/Accounts/AC0123456789/Messages.json",
              "path %s" % r["path"])
        check("twilio", r["headers"].get("Content-Type") ==
              "application/x-www-form-urlencoded", "content type %r" % r["headers"])
        check("twilio", form == want, "form %r" % form)
        a = r["headers"].get("Authorization", "")
        check("twilio", a.startswith("Basic ") and base64.b64decode(a[6:]).decode() ==
              "AC0123456789:" + secret, "auth %r" % a)
    # eSMS: JSON with the keys, 0... numbers, IsUnicode, RequestId = id.
    r = one(d + "/esms%s/req" % f)
    if r:
        j = json.loads(r["body"])
        want = {"ApiKey": userkey, "SecretKey": secret, "Phone": "0" + to[3:],
                "Content": text, "Brandname": "DAISON", "SmsType": "2",
                "IsUnicode": "1" if ucs2 else "0", "RequestId": jid}
        check("esms", r["method"] == "POST" and r["path"] == "/esms/send", "method, path")
        check("esms", r["headers"].get("Content-Type") == "application/json", "content type")
        check("esms", j == want, "json %r, expected %r" % (j, want))
        check("esms", "Authorization" not in r["headers"], "an Authorization header")
    # SpeedSMS: JSON, to as a list of 84... numbers, Basic token:x.
    r = one(d + "/speedsms%s/req" % f)
    if r:
        j = json.loads(r["body"])
        want = {"to": [to[1:]], "content": text, "sms_type": 2, "sender": "DAISON"}
        check("speedsms", j == want, "json %r" % j)
        a = r["headers"].get("Authorization", "")
        check("speedsms", a.startswith("Basic ") and
              base64.b64decode(a[6:]).decode() == "tok-FILE-9z:x", "auth %r" % a)
    # Webhook: the file gateway's record, byte for byte in meaning.
    r = one(d + "/webhook%s/req" % f)
    if r:
        j = json.loads(r["body"])
        check("webhook", j == ref, "json %r, expected %r" % (j, ref))
        check("webhook", list(j) == ["id", "to", "text", "encoding", "parts"],
              "member order %r" % list(j))
        check("webhook", r["headers"].get("Idempotency-Key") == jid, "Idempotency-Key")
        check("webhook", r["headers"].get("Authorization") == "Bearer tok-FILE-9z",
              "auth %r" % r["headers"].get("Authorization"))
        check("webhook", r["method"] == "POST" and r["path"] == "/webhook", "method, path")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "each preset's request (method, path, headers, body) for a Vietnamese and a folded SMS"
else ko "preset requests"
fi
for p in kannel twilio esms speedsms webhook; do
	for f in 0 1; do
		"$LOA" -c "$tmp/$p$f/loa.cfg" outbox --json >"$tmp/$p$f/outbox.json"
		$PY -c 'from loatest import load; import json,sys; v=load(sys.argv[1]); sys.exit(0 if [j["state"] for j in v]==["sent"] else 1)' \
		    "$tmp/$p$f/outbox.json" || ko "$p fold $f not sent" "$(cat "$tmp/$p$f/outbox.json")"
	done
done
ok "every preset's answer is read as sent"

# eSMS's codes: 100 sent, 124 already sent (sent), 103 later, 146 dead.
conf esmsrule "kind = \"http\"; preset = \"esms\"; url = \"$u/esms/send\";
    user_env = \"LOA_T_USER\"; password_env = \"LOA_T_SECRET\";" 4
run esmsrule
"$LOA" -c "$tmp/esmsrule/loa.cfg" outbox --json >"$tmp/esmsrule/outbox.json"
if $PY - "$tmp/esmsrule/outbox.json" <<'PY'
from loatest import load
import json, sys
v = {j["address"][-2:]: j for j in load(sys.argv[1])}
want = {"00": "sent", "01": "sent", "02": "failed", "03": "dead"}
got = {k: j["state"] for k, j in v.items()}
ok = got == want and "146" in (v["03"]["last_error"] or "") and \
    "Template not registered" in v["03"]["last_error"]
if not ok:
    print(got, v.get("03"))
sys.exit(0 if ok else 1)
PY
then ok "eSMS CodeResult: 100 and 124 sent, 103 retried, 146 dead with the answer"
else ko "eSMS CodeResult rules"
fi

# A refused password: the gateway's config (retried, not dead), logged once.
conf refused "kind = \"http\"; preset = \"kannel\"; url = \"$u/refused\"; user = \"loa\";
    password_env = \"LOA_T_SECRET\";" 3
run refused
n=$(grep -c "refused loa's credentials" "$tmp/refused/err")
st=$("$LOA" -c "$tmp/refused/loa.cfg" outbox --state failed | grep -c sms)
[ "$n" = 1 ] && [ "$st" = 3 ] && ok "403: every job waits to retry (failed, not dead), logged once" ||
    ko "403" "logged $n times, $st failed: $(cat "$tmp/refused/err")"

# An answer that echoes the credentials: dead, the answer kept, cleaned
# (no control characters) and without the secret or the user key.
conf echo "kind = \"http\"; preset = \"esms\"; url = \"$u/echo\";
    user_env = \"LOA_T_USER\"; password_env = \"LOA_T_SECRET\";"
run echo
"$LOA" -c "$tmp/echo/loa.cfg" outbox --json >"$tmp/echo/outbox.json"
if $PY - "$tmp/echo/outbox.json" <<'PY'
from loatest import load
import json, sys
j = load(sys.argv[1])[0]
e = j["last_error"] or ""
ok = j["state"] == "dead" and e.startswith("HTTP 400") and "bad request" in e \
    and not any(ord(c) < 32 for c in e)
if not ok:
    print(j)
sys.exit(0 if ok else 1)
PY
then ok "400: dead at once, the answer kept without control characters"
else ko "400 answer"
fi

# Retry-After: 7200 seconds (503) and an HTTP date two hours ahead (429).
# An hour later (past any backoff of a first retry) they still wait; two
# hours and a minute later they go.
conf later "kind = \"http\"; preset = \"webhook\"; url = \"$u/later\";" 2
run later "2026-03-02 09:00"
run later "2026-03-02 10:00"
n1=$("$LOA" -c "$tmp/later/loa.cfg" outbox --state failed | grep -c sms)
run later "2026-03-02 11:01"
n2=$("$LOA" -c "$tmp/later/loa.cfg" outbox --state sent | grep -c sms)
[ "$n1" = 2 ] && [ "$n2" = 2 ] &&
    ok "Retry-After in seconds and as an HTTP date holds the retry back" ||
    ko "Retry-After" "failed after an hour $n1 (expected 2), sent after two $n2 (expected 2)"

# max_parts at send: a text too long is cut at a word boundary with "…"
# (UCS-2) or "..." (GSM-7, which has no "…") to fit, and the sent job says
# so; the reference is the same text uncut (max_parts 255, file gateway).
TPL="Kính gửi {person.name}: Ủy ban nhân dân xã Đại Sơn mời đồng chí dự Hội nghị tổng kết công tác cải cách hành chính năm 2025 lúc 08 giờ 00 ngày 26/12/2025 tại Phòng họp gác 3, đề nghị đồng chí chuẩn bị ý kiến tham luận và đến đúng giờ."
export TPL
conf cutref "kind = \"file\"; dir = \"out\"; max_parts = 255;" 1 CUT
conf cutreffold "kind = \"file\"; dir = \"out\"; max_parts = 255; fold = true;" 1 CUT
conf cut "kind = \"http\"; preset = \"webhook\"; url = \"$u/cut\"; max_parts = 2;" 1 CUT
conf cutfold "kind = \"http\"; preset = \"webhook\"; url = \"$u/cutfold\"; max_parts = 1; fold = true;" 1 CUT
conf cutfile "kind = \"file\"; dir = \"out\"; max_parts = 2;" 1 CUT
unset TPL
for c in cutref cutreffold cut cutfold cutfile; do
	run $c || ko "$c run" "$(cat "$tmp/$c/err")"
	"$LOA" -c "$tmp/$c/loa.cfg" outbox --json >"$tmp/$c/outbox.json"
done
if $PY - "$tmp" <<'PY'
from loatest import jsonl, load
import json, sys
d = sys.argv[1]
full = json.loads(open(d + "/cutref/out/sms.jsonl").readline())
fullf = json.loads(open(d + "/cutreffold/out/sms.jsonl").readline())
reqs = jsonl(d + "/gw.log")
def body(path):
    return [json.loads(r["body"]) for r in reqs if r["path"] == path][0]
bad = []
def check(name, got, ref, maxp, ell, enc, outbox):
    t = got["text"]
    if ref["parts"] <= maxp:
        bad.append("%s: the reference fits already (%d parts)" % (name, ref["parts"]))
    if got["parts"] != maxp or got["encoding"] != enc or not t.endswith(ell):
        bad.append("%s: %d parts %s %r" % (name, got["parts"], got["encoding"], t[-20:]))
    pre = t[: -len(ell)]
    rest = ref["text"][len(pre):]
    if not ref["text"].startswith(pre) or not rest.lstrip(",;:-").startswith(" "):
        bad.append("%s: not cut at a word boundary of the text: %r | %r" % (name, pre[-20:], rest[:20]))
    longer = ref["text"][: len(pre) + len(rest) - len(rest.lstrip(",;:- ").split(" ", 1)[-1])]
    j = load(outbox)[0]
    want = "cut to %d part%s (was %d)" % (maxp, "" if maxp == 1 else "s", ref["parts"])
    if j["state"] != "sent" or j["reason"] != want:
        bad.append("%s: outbox says %s %r, expected %r" % (name, j["state"], j["reason"], want))
check("ucs2 http", body("/cut"), full, 2, "…", "ucs2", d + "/cut/outbox.json")
check("gsm7 http", body("/cutfold"), fullf, 1, "...", "gsm7", d + "/cutfold/outbox.json")
check("ucs2 file", json.loads(open(d + "/cutfile/out/sms.jsonl").readline()), full, 2, "…",
      "ucs2", d + "/cutfile/outbox.json")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "max_parts at send: cut at a word boundary with … or ..., and the outbox says so"
else ko "max_parts at send"
fi

# A SIGHUP before the send: the reload frees the config the gateway was
# started with; the send after it is still the right request.
conf hup "kind = \"http\"; preset = \"webhook\"; url = \"$u/hup\";"
# (A service with loa.http.listen serves the API, which needs a token:
# this one runs without it.)
sed -i 's|^        http = { listen = "127.0.0.1:8787"; }; };|};|' "$tmp/hup/loa.cfg"
"$LOA" -c "$tmp/hup/loa.cfg" run --now "2026-03-02 08:59:57" >/dev/null 2>"$tmp/hup/err" &
hpid=$!
# States, not times: the SIGHUP once its handler is in (it is then never
# lost), the TERM once the reload is done, the request in and the job
# recorded sent.
hup_sent() {
	"$LOA" -c "$tmp/hup/loa.cfg" outbox --json 2>/dev/null | grep -q '"state": *"sent"'
}
poll_until 300 catches "$hpid" 1
kill -HUP "$hpid"
poll_until 300 grep -q "reloaded" "$tmp/hup/err"
poll_until 300 grep -q '"/hup"' "$tmp/gw.log"
poll_until 300 hup_sent
poll_until 120 catches "$hpid" 15
kill -TERM "$hpid"
wait "$hpid"
"$LOA" -c "$tmp/hup/loa.cfg" outbox --json >"$tmp/hup/outbox.json"
if grep -q "reloaded" "$tmp/hup/err" && $PY - "$tmp/hup/outbox.json" "$tmp/gw.log" <<'PY'
from loatest import load
import json, sys
j = load(sys.argv[1])[0]
r = [json.loads(l) for l in open(sys.argv[2]) if '"/hup"' in l]
ok = j["state"] == "sent" and len(r) == 1 and json.loads(r[0]["body"])["id"] == j["id"] \
    and r[0]["headers"].get("Idempotency-Key") == j["id"]
sys.exit(0 if ok else 1)
PY
then ok "a send after a SIGHUP reload is the right request"
else ko "send after SIGHUP" "$(cat "$tmp/hup/err")"
fi

# The secret (and the user from the environment) is in no log line, no
# outbox and no file written.
if grep -r -l -a -F -e "$SECRET" -e "$USERKEY" -e "tok-FILE-9z" "$tmp" \
    --exclude=gw.log --exclude=rules.json --exclude=token --exclude='req' >"$tmp/leaks"; then
	ko "a secret was written" "$(cat "$tmp/leaks")"
else
	ok "no secret in any log, outbox or file"
fi
for p in kannel esms echo refused; do
	for f in "" 0 1; do
		[ -f "$tmp/$p$f/loa.cfg" ] || continue
		"$LOA" -c "$tmp/$p$f/loa.cfg" outbox --json 2>&1 |
		    grep -q -F -e "$SECRET" -e "$USERKEY" && ko "secret in outbox --json of $p$f"
	done
done

# Check errors: an unknown placeholder, with its line; a preset that
# needs a secret without one; a secret-named key holding a placeholder is
# fine.
conf bad "kind = \"http\"; preset = \"webhook\"; url = \"$u/x\";
    json = { text = \"{txt}\"; };
    headers = { X-Api-Key = \"{password}\"; };"
"$LOA" -c "$tmp/bad/loa.cfg" check >"$tmp/bad/check" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "loa.cfg:5: gateways.sms.json.text: unknown placeholder {txt}; expected one of {to}" "$tmp/bad/check" &&
    grep -q "the request uses {password}" "$tmp/bad/check" &&
    ! grep -q "secret written" "$tmp/bad/check" && [ "$(grep -c ': error\|: gateways' "$tmp/bad/check")" = 2 ]; then
	ok "an unknown placeholder and a missing secret are check errors with file:line"
else
	ko "check errors" "rc $rc: $(cat "$tmp/bad/check")"
fi
conf nouser "kind = \"http\"; preset = \"kannel\"; url = \"$u/x\"; password_env = \"LOA_T_SECRET\";"
"$LOA" -c "$tmp/nouser/loa.cfg" check >"$tmp/nouser/check" 2>&1 &&
    ko "kannel without a user passes check" ||
    { grep -q "the request uses {user}" "$tmp/nouser/check" &&
	ok "kannel without a user is a check error" ||
	ko "kannel without a user" "$(cat "$tmp/nouser/check")"; }
unset LOA_T_SECRET
"$LOA" -c "$tmp/kannel0/loa.cfg" run --once --now "2026-03-02 09:00" >/dev/null 2>"$tmp/unset.err"
rc=$?
[ $rc = 3 ] && grep -q "LOA_T_SECRET.*is not set" "$tmp/unset.err" &&
    ok "an unset password variable stops run with exit 3, naming it" ||
    ko "unset password variable" "rc $rc: $(cat "$tmp/unset.err")"

finish
