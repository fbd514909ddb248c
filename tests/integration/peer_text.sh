#!/bin/sh
# peer_text.sh: whatever a peer sends is made safe before loa keeps or
# shows it (conf/REFERENCE.md §6, "What a gateway answered").
#  - Through `loa run` with its API, a real HTTP gateway
#    (tests/tools/faultgw.py) answering 400 with a Latin-1 body, with gzip
#    bytes, and with the request echoed (its query holding the password and
#    the delivery-report token; its form body the password and the token;
#    its query quoted in a link, encoded again), and a real SMTP server
#    (tests/tools/smtpd.py) answering DATA with 554 in Latin-1: every job
#    is dead, and GET /outbox, GET /jobs/ID, `loa outbox --json` and the
#    `loa outbox` table all answer, with U+FFFD where the bytes were not
#    UTF-8, each row on one line, and no piece of any secret (the gateway's
#    password, the dlr token, the API's token) in them or in the log.
#  - An outbox that already holds bytes that are not UTF-8 and line breaks
#    (kept by an older loa) crashes no reader: the API and `outbox --json`
#    write U+FFFD (and `outbox --json` stays a job a line), the table \xNN.
#  - An SMTP server answering MAIL FROM with 550 in Latin-1: the job dead,
#    its last_error valid UTF-8.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
. "$TOOLS/smtpd.sh"
. "$TOOLS/api.sh"
at_exit faultgw_stop
at_exit smtpd_stop_all
at_exit api_stop

d=$tmp/svc
mkdir -p "$d"
PW='pw Sécret&Yk3Lm'
DLR='dlr tok/en+ZqXwVbKpTr'
API_TOKEN='api-Tok3n-HgFdSaQwEr'
(umask 077 && printf '%s\n' "$PW" >"$d/pw" &&
    printf '%s\n' "$DLR" >"$d/dlr-token" &&
    printf '%s\n' "$API_TOKEN" >"$d/token")

# The gateway: Latin-1 to ...01, gzip bytes to ...02, the request echoed
# to ...03 (its body first), its dlr-url and password in a link to ...05
# (percent-encoded again: the dlr token twice), all 400;
# ...06 is sent.
$PY - "$tmp/rules.json" <<'PY'
import gzip, json, sys
rules = {"rules": [
    {"to_suffix": "01", "status": 400,
     "body_hex": "Erreur: num\xe9ro refus\xe9\x0bVT\x0cFF".encode("latin-1").hex()},
    {"to_suffix": "02", "status": 400,
     "body_hex": gzip.compress(b"refused: bad number " * 4).hex()},
    {"to_suffix": "03", "status": 400, "echo": True},
    {"to_suffix": "05", "status": 400, "echo_query": ["dlr-url", "password"],
     "link": True},
    {"to_suffix": "06", "status": 202, "body": "0: Accepted for delivery"},
]}
json.dump(rules, open(sys.argv[1], "w"))
PY
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
MPORT=$(free_port)
smtpd_start smtpd --port "$MPORT" --out "$tmp/srv" --answer DATA \
    "$(printf '554 5.6.0 Message refus\351 \377\376 par le filtre' | od -An -tx1 | tr -d ' \n')" ||
    ko "smtpd does not start"

API_PORT=$(api_free_port)
API="http://127.0.0.1:$API_PORT"
cat >"$d/plan.cfg" <<'PLAN'
plan = { id = "9/KH-UBND"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p1"; name = "Người 1"; phone = "0912 345 601"; },
           { id = "p2"; name = "Người 2"; phone = "0912 345 602"; },
           { id = "p3"; name = "Người 3"; phone = "0912 345 603"; },
           { id = "p4"; name = "Người 4"; email = "p4@daison.example"; },
           { id = "p5"; name = "Người 5"; phone = "0912 345 605"; },
           { id = "p6"; name = "Người 6"; phone = "0912 345 606"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p1", "p2", "p3", "p4", "p5", "p6" ];
                 channels = [ "sms", "email" ]; };
PLAN
cat >"$d/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ];
        http = { listen = "127.0.0.1:$API_PORT"; token_file = "token";
                 dlr_token_file = "dlr-token"; }; };
gateways = (
  { id = "sms"; kind = "http"; preset = "kannel";
    url = "http://127.0.0.1:$FAULTGW_PORT/cgi-bin/sendsms"; user = "ubnd";
    password_file = "pw"; method = "POST";
    form = { Pass = "{password}"; Tok = "{dlr_token}"; }; },
  { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$MPORT";
    from = "ubnd@daison.example"; timeout = "5s"; }
);
channels = { sms = "sms"; email = "mail"; };
CFG

# all_dead: every job of the outbox is dead but p6's, sent (or loa is
# gone).
all_dead() {
	alive "$API_PID" || return 0
	curl -s "$API/outbox" >"$tmp/poll.json" 2>/dev/null &&
	    $PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
j = j.get("jobs", j) if isinstance(j, dict) else j
sys.exit(0 if len(j) == 6 and all(x["state"] == ("sent" if x["recipient"] == "p6" else "dead")
                                   for x in j) else 1)' \
	    "$tmp/poll.json" 2>/dev/null
}

# check WHAT FILE...: each file is valid UTF-8, one line a row, holds no
# 5-byte piece of any form of a secret; the JSON ones show U+FFFD in the
# last_error of p1, p2 and p4.
check() {
	_what=$1
	shift
	if $PY - "$PW" "$DLR" "$API_TOKEN" "$@" >"$tmp/check.err" 2>&1 <<'PY'
import json, sys, urllib.parse
secrets, files = sys.argv[1:4], sys.argv[4:]
# Any 5-byte piece of a secret as is; its encoded forms whole (their
# pieces, as %C3%A9, are in any Vietnamese text encoded).
forms, whole = set(secrets), set()
for s in secrets:
    q = urllib.parse.quote(s, safe="")
    forms.add(json.dumps(s)[1:-1])
    whole |= {q, urllib.parse.quote_plus(s), urllib.parse.quote(q, safe="")}
for f in files:
    raw = open(f, "rb").read()
    text = raw.decode("utf-8")          # strict: valid UTF-8
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    assert text.splitlines() == lines, f
    for s in forms:
        for i in range(len(s) - 4):
            assert s[i:i + 5] not in text, (f, s[i:i + 5])
    for s in whole:
        assert s not in text, (f, s)
    if f.endswith(".json"):
        j = json.loads(text)
        if isinstance(j, dict) and "jobs" in j:
            j = j["jobs"]
        for x in j if isinstance(j, list) else [j]:
            if x["recipient"] in ("p1", "p2", "p4"):
                assert "\ufffd" in x["last_error"], (f, x)
PY
	then ok "$_what"
	else ko "$_what" "$(tail -5 "$tmp/check.err")"
	fi
}

"$LOA" -v -c "$d/loa.cfg" run --now "2026-03-02 09:00" >"$d/run.out" \
    2>"$d/run.err" &
API_PID=$!
poll_until 120 all_dead || ko "the jobs are not all dead" "$(cat "$tmp/poll.json"; tail -3 "$d/run.err")"
curl -s -o "$tmp/outbox.json" -w '%{http_code}\n' "$API/outbox" >"$tmp/code"
for id in $($PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
j = j.get("jobs", j) if isinstance(j, dict) else j
print(" ".join(x["id"] for x in j))' "$tmp/outbox.json" 2>/dev/null); do
	curl -s -o "$tmp/job-$id.json" -w '%{http_code}\n' "$API/jobs/$id" >>"$tmp/code"
done
if [ "$(sort -u "$tmp/code")" = 200 ] && [ "$(wc -l <"$tmp/code")" -eq 7 ]; then
	ok "GET /outbox and GET /jobs/ID answer 200"
else
	ko "GET /outbox, /jobs/ID" "$(cat "$tmp/code"; tail -3 "$d/run.err")"
fi
check "the API shows U+FFFD and no secret" "$tmp/outbox.json" "$tmp"/job-*.json
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/cli.json" 2>"$tmp/cli.err" ||
    ko "loa outbox --json" "$(cat "$tmp/cli.err")"
check "outbox --json shows U+FFFD and no secret" "$tmp/cli.json"
"$LOA" -c "$d/loa.cfg" outbox >"$tmp/table" 2>>"$tmp/cli.err" ||
    ko "loa outbox" "$(cat "$tmp/cli.err")"
check "the outbox table: one line a job, no secret" "$tmp/table"
if [ "$(grep -c 'Latin\|Erreur\|refus' "$tmp/table")" -ge 2 ]; then
	ok "the table shows the peers' answers"
else
	ko "the table shows the answers" "$(cat "$tmp/table")"
fi

# GET /healthz: the mail gateway's last error as the outbox keeps it.
if curl -s "$API/healthz" >"$tmp/health.json" && $PY - "$tmp/health.json" <<'PY'
import json, sys
h = json.load(open(sys.argv[1], encoding="utf-8"))
gws = h["gateways"]
gws = gws if isinstance(gws, list) else [dict(v, id=k) for k, v in gws.items()]
g = [g for g in gws if "mail" in json.dumps(g)]
assert g and "\ufffd" in g[0]["last_error"], gws
PY
then ok "GET /healthz shows the mail gateway's last error, U+FFFD in it"
else ko "GET /healthz" "$(cat "$tmp/health.json")"
fi

# A delivery report whose answer holds the gateway's password, the API's
# token, line breaks and a byte that is not UTF-8: kept as one line, the
# secrets blotted.
id6=$($PY -c 'import json, sys
j = json.load(open(sys.argv[1]))["jobs"]
print([x["id"] for x in j if x["recipient"] == "p6"][0])' "$tmp/outbox.json")
pwq=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$PW")
dlrq=$($PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$DLR")
curl -s -o "$tmp/dlr.json" -w '%{http_code}' \
    "$API/dlr?id=$id6&status=2&dlr_token=$dlrq&answer=bad%20$pwq%20$API_TOKEN%0Aline%E2%80%A8sep%E9" >"$tmp/dlr.code"
curl -s "$API/jobs/$id6" >"$tmp/job6.json"
if [ "$(cat "$tmp/dlr.code")" = 200 ] && $PY - "$tmp/job6.json" "$PW" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
j = j.get("job", j)
e = j["last_error"]
assert e.startswith("dlr 2: bad *** ***"), e
assert sys.argv[2] not in e and len(e.splitlines()) == 1, e
PY
then ok "a delivery report: kept on one line, the secrets blotted"
else ko "a delivery report's answer" "$(cat "$tmp/dlr.code" "$tmp/job6.json")"
fi
check "after the report: the API shows no secret" "$tmp/job6.json"

# An outbox that holds what is not UTF-8 already: every reader answers.
$PY - "$d/var/loa.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE jobs SET last_error = CAST(X'6361666520e920ff0a78e280a879' AS TEXT), "
           "reason = CAST(X'6361666520e920ff0a78e280a879' AS TEXT)")
db.execute("UPDATE attempts SET answer = CAST(X'6361666520e920ff0a78e280a879' AS TEXT)")
db.commit()
PY
curl -s -o "$tmp/old.json" -w '%{http_code}' "$API/outbox" >"$tmp/code" 2>&1
id=$($PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
j = j.get("jobs", j) if isinstance(j, dict) else j
print(j[0]["id"])' "$tmp/old.json" 2>/dev/null)
curl -s -o "$tmp/old-job.json" -w '%{http_code}' "$API/jobs/$id" >>"$tmp/code" 2>&1
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/old-cli.json" 2>"$tmp/old.err"
echo " $?" >>"$tmp/code"
"$LOA" -c "$d/loa.cfg" outbox >"$tmp/old-table" 2>>"$tmp/old.err"
echo " $?" >>"$tmp/code"
if [ "$(tr -d '\n' <"$tmp/code")" = "200200 0 0" ] &&
    $PY - "$tmp/old.json" "$tmp/old-job.json" "$tmp/old-cli.json" "$tmp/old-table" <<'PY'
import json, sys
for f in sys.argv[1:4]:
    j = json.load(open(f, encoding="utf-8"))
    j = j.get("jobs", j) if isinstance(j, dict) and "jobs" in j else j
    for x in j if isinstance(j, list) else [j]:
        assert x["last_error"] == "cafe \ufffd \ufffd\nx\u2028y", (f, x)
        for a in x.get("attempt_log", []):
            assert a["answer"] == x["last_error"], (f, a)
    assert f != sys.argv[2] or j["attempt_log"], j
c = open(sys.argv[3], encoding="utf-8", newline="").read()
assert c.splitlines() == c.split("\n")[:-1], "outbox --json: a job a line"
t = open(sys.argv[4], "rb").read().decode("utf-8")
assert len(t.splitlines()) == len(t.split("\n")) - 1 >= 6, t
assert "\\xe9 \\xff\\x0ax\\u2028y" in t, t
PY
then ok "an outbox holding bytes that are not UTF-8 crashes no reader"
else ko "bytes not UTF-8 in the outbox" "$(cat "$tmp/code" "$tmp/old.err"; tail -3 "$d/run.err")"
fi
alive "$API_PID" && ok "loa run lives on" || ko "loa run died" "$(tail -3 "$d/run.err")"
api_stop
check "the log and the trace hold no secret, one line each" "$d/run.err" "$d/run.out"

# 550 in Latin-1 to MAIL FROM.
smtpd_stop smtpd
MPORT=$(free_port)
smtpd_start smtpd2 --port "$MPORT" --out "$tmp/srv2" --answer MAIL \
    "$(printf '550 5.7.1 Exp\351diteur refus\351' | od -An -tx1 | tr -d ' \n')" ||
    ko "smtpd does not start"
mkdir -p "$tmp/m"
cat >"$tmp/m/plan.cfg" <<'PLAN'
plan = { id = "9/KH-UBND"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p4"; name = "Người 4"; email = "p4@daison.example"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p4" ]; };
PLAN
cat >"$tmp/m/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$MPORT";
               from = "ubnd@daison.example"; timeout = "5s"; } );
channels = { email = "mail"; };
CFG
"$LOA" -c "$tmp/m/loa.cfg" run --once --now "2026-03-02 09:00" >"$tmp/m/out" 2>"$tmp/m/err"
if "$LOA" -c "$tmp/m/loa.cfg" outbox --json >"$tmp/m/outbox.json" 2>>"$tmp/m/err" &&
    $PY - "$tmp/m/outbox.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))[0]
assert j["state"] == "dead", j
assert j["last_error"] == "550 5.7.1 Exp\ufffd" "diteur refus\ufffd", j
PY
then ok "550 in Latin-1 to MAIL FROM: dead, kept as valid UTF-8"
else ko "550 in Latin-1 to MAIL FROM" "$(cat "$tmp/m/outbox.json" "$tmp/m/err")"
fi

finish
