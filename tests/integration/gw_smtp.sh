#!/bin/sh
# gw_smtp.sh: an SMTP server that refuses before any mail is in question
# (README "The smtp gateway", **What the answers mean**), with aiosmtpd
# (tests/tools/smtpd.py) and `loa run --once`, three mails at 09:00:
#
#   a 554 greeting            the gateway's config: every job failed with
#                             the 554 kept, never dead, nothing sent,
#                             logged once
#   554 to EHLO and HELO      the same
#   530 to the first and the third MAIL FROM, concurrency 1: a config
#                             failure, a mail sent, a config failure again:
#                             logged again after the success
#   550 to MAIL FROM, 554 to DATA   dead at once, the reply kept
#   AUTH (no STARTTLS offered):
#     password_file of two lines, tls = "off"   the first line is the
#                             password: sent, authenticated
#     the same, tls not set   "require" when a password is set: nothing
#                             sent, failed, the error says why
#   an empty password_file, a password without a user: run refuses to
#     start (exit 3), naming the gateway and the file
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
at_exit smtpd_stop_all

. "$TOOLS/smtpcase.sh"
setup() { smtp_setup "$1" "$2" 8/KH-UBND; : >"$tmp/run.err"; }
run() { smtp_run "$@"; }
expect() { smtp_expect "$@"; }
# logged WHAT PATTERN N: PATTERN is on N lines of the run's log.
logged() {
	n=$(grep -c "$2" "$tmp/run.err")
	[ "$n" -eq "$3" ] && ok "$1" || ko "$1: $n lines, expected $3" "$(cat "$tmp/run.err")"
}
port=$(free_port)

setup "smtp://127.0.0.1:$port" 'tls = "off";'
smtpd_start srv --port "$port" --out "$tmp/srv" \
    --greeting "554 5.7.1 No SMTP service here" || ko "smtpd does not start"
run "2026-03-02 09:00"
run "2026-03-02 09:05"
expect "a 554 greeting: every job failed with the 554, never dead, nothing sent" \
    "all(st[r] == 'failed' and err[r].startswith('554 5.7.1 No SMTP service') and att[r] == 2 for r in $ALL) and not mails"
logged "a 554 greeting: logged once a run" "554 5.7.1" 2
smtpd_stop srv

setup "smtp://127.0.0.1:$port" 'tls = "off";'
smtpd_start srv --port "$port" --out "$tmp/srv" --refuse-helo ||
    ko "smtpd does not start"
run "2026-03-02 09:00"
expect "554 to EHLO and HELO: every job failed with the 554, never dead, nothing sent" \
    "all(st[r] == 'failed' and err[r].startswith('554 5.7.1 Access denied') for r in $ALL) and not mails"
logged "554 to EHLO and HELO: logged once" "554 5.7.1" 1
smtpd_stop srv

setup "smtp://127.0.0.1:$port" 'tls = "off"; concurrency = 1;'
smtpd_start srv --port "$port" --out "$tmp/srv" --refuse-mail 1 \
    --refuse-mail 3 || ko "smtpd does not start"
run "2026-03-02 09:00"
expect "530, a mail sent, 530: two jobs failed with the 530, one sent" \
    "sorted(st.values()) == ['failed', 'failed', 'sent'] and len(log) == 1 and all(err[r].startswith('530 5.7.0') for r in $ALL if st[r] == 'failed')"
logged "a config failure is logged again after a mail got through" "530 5.7.0" 2
smtpd_stop srv

for w in mail data; do
	setup "smtp://127.0.0.1:$port" 'tls = "off";'
	smtpd_start srv --port "$port" --out "$tmp/srv" --reject-$w ||
	    ko "smtpd does not start"
	run "2026-03-02 09:00"
	run "2026-03-02 10:00"
	[ $w = mail ] && want='550 5.7.1 Sender address rejected' ||
	    want='554 5.6.0 Message content rejected'
	expect "a 5xx to $w: dead at once with the reply, never tried again" \
	    "all(st[r] == 'dead' and err[r] == '$want' and att[r] == 1 for r in $ALL) and not log"
	smtpd_stop srv
done

printf 'pw-Đ1\nnot the password\n' >"$tmp/pw"
chmod 600 "$tmp/pw"
setup "smtp://127.0.0.1:$port" "tls = \"off\"; user = \"loa\"; password_file = \"$tmp/pw\";"
smtpd_start srv --port "$port" --out "$tmp/srv" --auth loa 'pw-Đ1' ||
    ko "smtpd does not start"
run "2026-03-02 09:00"
expect "a password file's first line is the password: sent, authenticated" \
    "all(st[r] == 'sent' for r in $ALL) and len(log) == 3 and all(e['auth'] for e in log)"
setup "smtp://127.0.0.1:$port" "user = \"loa\"; password_file = \"$tmp/pw\";"
run "2026-03-02 09:00"
expect "a password and tls not set: STARTTLS required, nothing sent in clear" \
    "all(st[r] == 'failed' and 'STARTTLS' in err[r] for r in $ALL) and not mails"
smtpd_stop srv

# refuses WHAT PATTERN: run exits 3 at the start, PATTERN in what it says.
refuses() {
	: >"$tmp/run.err"
	run "2026-03-02 09:00"
	rc=$?
	[ "$rc" -eq 3 ] && grep -q "$2" "$tmp/run.err" && ok "$1" ||
	    ko "$1: exit $rc" "$(cat "$tmp/run.err")"
}
: >"$tmp/empty"
setup "smtp://127.0.0.1:$port" "user = \"loa\"; password_file = \"$tmp/empty\";"
refuses "an empty password_file: run exits 3, naming the gateway and the file" \
    "gateway mail: password_file: $tmp/empty: its first line is empty"
setup "smtp://127.0.0.1:$port" "password_file = \"$tmp/pw\";"
refuses "a password without a user: run exits 3, naming the gateway" \
    "gateway mail: a password without a user"

finish
