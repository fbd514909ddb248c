#!/bin/sh
# smtp_fail.sh: how the smtp gateway answers what an SMTP server does
# wrong (conf/REFERENCE.md §6 retries; aiosmtpd, tests/tools/smtpd.py), each on
# a plan that mails three people at 09:00 on 2026-03-02, through `run --once
# --now T`, T advancing past the backoff (at most 31 s after a first try):
#
#   451 to the first DATA      failed, then sent on the retry; one message
#                              per Message-ID at the server
#   550 to one RCPT            that job dead with "550 ..." in last_error
#   connection closed mid-DATA failed, then sent; none twice
#   no server at all           failed with the connection's error, never
#                              dead; all sent once the server is up
#   tls = "require", no STARTTLS   nothing sent (no MAIL FROM), the error
#                              says why
#   an untrusted certificate   nothing sent, the error says so
#   a wrong password (535)     logged once, the jobs failed with the 535
#                              kept, never dead; send-test prints the 535
#                              and exits 3; with the right one exit 0, the
#                              test mail at the server
#   password_env unset         run refuses to start, naming the gateway
#                              and the variable
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
at_exit smtpd_stop_all

. "$TOOLS/smtpcase.sh"
setup() { smtp_setup "$1" "$2" 7/KH-UBND; }
run() { smtp_run "$@"; }
expect() { smtp_expect "$@"; }


# 451 to the first DATA of each Message-ID.
port=$(free_port)
setup "smtp://127.0.0.1:$port" 'tls = "off";'
smtpd_start srv --port "$port" --out "$tmp/srv" --fail-data-once
run "2026-03-02 09:00"
expect "451: every job failed with the server's words, none dead" \
    "all(st[r] == 'failed' and err[r].startswith('451 4.3.0') for r in $ALL) and not log"
run "2026-03-02 09:05"
expect "451: sent on the retry, one message per Message-ID at the server" \
    "all(st[r] == 'sent' and att[r] == 2 for r in $ALL) and len(log) == 3 and len(set(mids)) == 3"
run "2026-03-02 10:00"
expect "451: nothing sent again" "len(log) == 3"
smtpd_stop srv

# 550 to one RCPT TO.
setup "smtp://127.0.0.1:$port" 'tls = "off";'
smtpd_start srv --port "$port" --out "$tmp/srv" --reject-rcpt binh@daison.example
run "2026-03-02 09:00"
expect "550 to RCPT: dead with the server's reply kept, the others sent" \
    "st['binh'] == 'dead' and err['binh'] == '550 5.1.1 <binh@daison.example>: Recipient address rejected' and st['an'] == st['chi'] == 'sent' and sorted(e['rcpt'][0] for e in log) == ['an@daison.example', 'chi@daison.example']"
run "2026-03-02 12:00"
expect "550 to RCPT: never tried again" "att['binh'] == 1 and len(log) == 2"
smtpd_stop srv

# The connection closed in the middle of DATA.
setup "smtp://127.0.0.1:$port" 'tls = "off";'
smtpd_start srv --port "$port" --out "$tmp/srv" --drop-mid-data-once
run "2026-03-02 09:00"
expect "dropped mid-DATA: that job failed (temporary), the others sent" \
    "sorted(st.values()) == ['failed', 'sent', 'sent'] and len(log) == 2"
run "2026-03-02 09:05"
expect "dropped mid-DATA: sent on the retry, each Message-ID once" \
    "all(st[r] == 'sent' for r in $ALL) and len(log) == 3 and len(set(mids)) == 3"
smtpd_stop srv

# No server at all, then one.
port=$(free_port)
setup "smtp://127.0.0.1:$port" 'tls = "off";'
run "2026-03-02 09:00"
expect "no server: failed with the connection's error, never dead" \
    "all(st[r] == 'failed' and 'onnect' in err[r] for r in $ALL)"
run "2026-03-02 09:05"
run "2026-03-02 09:20"
expect "no server: still failed after three tries, never dead" \
    "all(st[r] == 'failed' and att[r] == 3 for r in $ALL)"
smtpd_start srv --port "$port" --out "$tmp/srv"
run "2026-03-02 11:00"
expect "the server up: every job sent, none lost, none twice" \
    "all(st[r] == 'sent' for r in $ALL) and len(log) == 3 and len(set(mids)) == 3"
smtpd_stop srv

# tls = "require" against a server without STARTTLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" ||
    ko "openssl req" "$(cat "$tmp/openssl.err")"
setup "smtp://127.0.0.1:$port" 'tls = "require";'
smtpd_start srv --port "$port" --out "$tmp/srv" --no-starttls
: >"$tmp/run.err"
run "2026-03-02 09:00"
expect "tls = require, no STARTTLS: nothing sent (no MAIL FROM), failed, why kept" \
    "not mails and not log and all(st[r] == 'failed' and 'STARTTLS' in err[r] and 'nothing was sent' in err[r] for r in $ALL)"
[ "$(grep -c 'STARTTLS' "$tmp/run.err")" -eq 1 ] &&
    ok "tls = require, no STARTTLS: logged once" ||
    ko "tls = require, no STARTTLS: logged once" "$(cat "$tmp/run.err")"
smtpd_stop srv

# A certificate loa does not trust (no ca_file).
setup "smtp://localhost:$port" 'tls = "require";'
smtpd_start srv --port "$port" --out "$tmp/srv" --tls "$tmp/cert.pem" "$tmp/key.pem"
run "2026-03-02 09:00"
expect "an untrusted certificate: nothing sent, the error says so, not dead" \
    "not mails and all(st[r] == 'failed' and 'not trusted' in err[r] for r in $ALL)"
smtpd_stop srv

# A wrong password: 535.
setup "smtp://localhost:$port" "tls = \"require\"; user = \"loa\";
    password_env = \"LOA_TEST_SMTP_PW\"; ca_file = \"$tmp/cert.pem\";"
smtpd_start srv --port "$port" --out "$tmp/srv" \
    --tls "$tmp/cert.pem" "$tmp/key.pem" --auth loa right-pw-Đ
: >"$tmp/run.err"
LOA_TEST_SMTP_PW=wrong-pw run "2026-03-02 09:00"
LOA_TEST_SMTP_PW=wrong-pw run "2026-03-02 09:05"
expect "535: the jobs failed with the server's reply kept, never dead" \
    "not mails and all(st[r] == 'failed' and err[r].startswith('535 ') for r in $ALL)"
n=$(grep -c '535' "$tmp/run.err")
[ "$n" -eq 2 ] && ok "535: logged once a run (2 runs, 3 jobs each)" ||
    ko "535: logged once a run" "$n lines: $(cat "$tmp/run.err")"
LOA_TEST_SMTP_PW=wrong-pw "$LOA" -c "$cfg" send-test --channel email \
    --to an@daison.example >"$tmp/st.out" 2>"$tmp/st.err"
rc=$?
[ "$rc" -eq 3 ] && grep -q '535 ' "$tmp/st.err" &&
    ok "send-test with a wrong password: exit 3, the 535 printed" ||
    ko "send-test with a wrong password: exit $rc" "$(cat "$tmp/st.out" "$tmp/st.err")"
LOA_TEST_SMTP_PW=right-pw-Đ "$LOA" -c "$cfg" send-test --channel email \
    --to an@daison.example >"$tmp/st.out" 2>"$tmp/st.err"
rc=$?
[ "$rc" -eq 0 ] && grep -q '250 2.0.0 Ok: queued as' "$tmp/st.out" &&
    ok "send-test: exit 0, the server's reply printed" ||
    ko "send-test: exit $rc" "$(cat "$tmp/st.out" "$tmp/st.err")"
$PY - "$tmp/srv" <<'PY' && ok "send-test: the test mail at the server" ||
import os, sys
from loatest import eml, jsonl
d = sys.argv[1]
log = jsonl(os.path.join(d, "log.jsonl"))
m = eml(os.path.join(d, "%d.eml" % log[-1]["n"]))
ok = (len(log) == 1 and log[0]["rcpt"] == ["an@daison.example"] and
      log[0]["auth"] and log[0]["tls"] and
      m["Subject"] == "Thư thử của loa" and
      m["To"].addresses[0].addr_spec == "an@daison.example" and
      m["Message-ID"].startswith("<") and
      "Đây là thư thử" in m.get_body().get_content())
if not ok:
    print(log, m["Subject"], m["Message-ID"])
sys.exit(0 if ok else 1)
PY
    ko "send-test: the test mail at the server"
LOA_TEST_SMTP_PW=right-pw-Đ run "2026-03-02 09:30"
expect "the password mended: every job sent" \
    "all(st[r] == 'sent' for r in $ALL) and len(log) == 4"
for a in "--to an@daison.example" "--channel email" "--channel email --to 'x y'" \
    "--channel fax --to an@daison.example"; do
	eval "LOA_TEST_SMTP_PW=x \"\$LOA\" -c \"\$cfg\" send-test $a" \
	    >/dev/null 2>"$tmp/st.err"
	rc=$?
	[ "$rc" -eq 2 ] && ok "send-test $a: exit 2" ||
	    ko "send-test $a: exit $rc" "$(cat "$tmp/st.err")"
done
smtpd_stop srv

# password_env names a variable that is not set.
setup "smtp://localhost:$port" "tls = \"require\"; user = \"loa\";
    password_env = \"LOA_TEST_SMTP_PW_UNSET\"; ca_file = \"$tmp/cert.pem\";"
unset LOA_TEST_SMTP_PW_UNSET
# refuses WHAT PATTERN: run fails, PATTERN in what it says.
refuses() {
	: >"$tmp/run.err"
	run "2026-03-02 09:00"
	rc=$?
	[ "$rc" -ne 0 ] && grep -q "$2" "$tmp/run.err" && ok "$1" ||
	    ko "$1: exit $rc" "$(cat "$tmp/run.err")"
}
refuses "password_env unset: run refuses, naming the gateway and the variable" \
    'gateway mail: password_env: the environment variable LOA_TEST_SMTP_PW_UNSET is not set'
"$LOA" -c "$cfg" send-test --channel email --to an@daison.example \
    >/dev/null 2>"$tmp/st.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'LOA_TEST_SMTP_PW_UNSET' "$tmp/st.err" &&
    ok "password_env unset: send-test exits 1, naming the variable" ||
    ko "password_env unset: send-test exit $rc" "$(cat "$tmp/st.err")"
setup "smtp://localhost:$port" "user = \"loa\";
    password_file = \"$tmp/no-such-file\";"
refuses "password_file missing: run refuses, naming the gateway and the file" \
    "gateway mail: password_file: .*no-such-file"

finish
