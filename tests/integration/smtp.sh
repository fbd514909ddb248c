#!/bin/sh
# smtp.sh: the seed plan through the smtp gateway to a real SMTP server,
# aiosmtpd (tests/tools/smtpd.py), twice: plain smtp:// with tls = "off",
# and STARTTLS with AUTH (a throwaway certificate made here, trusted
# through ca_file; the password from password_file). Each time the plan's
# first day (2025-11-28) and its invitation round (2025-12-19 08:00) go
# out with `run --once --now T` (conf/REFERENCE.md §3, §6, §7).
#
# Every message the server received is parsed with Python's email package
# (policy default): one message per sent job, its Message-ID the job's;
# RCPT TO the job's address and the To header's; MAIL FROM the gateway's
# from; decoded Subject, From and To Vietnamese as the plan says; an
# invitation's MIME tree conf/REFERENCE.md §7's (multipart/mixed >
# multipart/alternative {text/plain, text/html, text/calendar} +
# application/ics), method= equal to its METHOD, the .ics parsed by
# python3-icalendar and vobject, each ATTENDEE the RCPT TO address; the
# distribution's files (one with a Vietnamese name, binary) come back byte for
# byte with their names; the messages came over 8 connections at
# most (4, concurrency, a run: each kept open between messages). With
# AUTH: each message came over TLS, authenticated; the password is in no
# log line (run -v), no `outbox --json`, no received message and no file
# loa wrote.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
at_exit smtpd_stop_all

PASSWORD='s3cr3t-Đại-Sơn-pw-7f9q'

# check NAME AUTH: run the two moments against the server NAME (its
# messages in $tmp/NAME), then check what it received.
check() {
	name=$1
	for t in "2025-11-28 23:00" "2025-12-19 08:00"; do
		if "$LOA" -v -c "$tmp/conf/loa.cfg" run --once --now "$t" \
		    >"$tmp/$name.run.out" 2>>"$tmp/$name.run.err"; then
			ok "$name: run --once at $t"
		else
			ko "$name: run --once at $t" \
			    "$(tail -c 600 "$tmp/$name.run.err")"
		fi
	done
	"$LOA" -c "$tmp/conf/loa.cfg" outbox --json >"$tmp/$name.outbox.json" \
	    2>"$tmp/$name.outbox.err" || ko "$name: outbox --json"
	$PY - "$tmp/$name" "$tmp/$name.outbox.json" \
	    "$LOA_SRC/conf/plans/129-KH-UBND.cfg" "$2" "$tmp/conf/plans" <<'PY'
import os, re, sys
import icalendar, vobject
from loatest import Checks, by_id, eml, jobs, jsonl, mime_tree
srv, obx, planf, auth, pdir = sys.argv[1:6]
# The distribution's files as the test's copy of the plan names them.
ptext = open(os.path.join(pdir, "129-KH-UBND.cfg"), encoding="utf-8").read()
files = re.search(r'attachments = \[([^]]*)\]', ptext).group(1)
files = re.findall(r'"([^"]*)"', files)
check = Checks(most=10)
jobs = jobs(obx, "email")
sent = by_id(j for j in jobs if j["state"] == "sent")
check(all(j["state"] in ("sent", "pending", "expired", "held", "skipped")
          for j in jobs), "email states: %r" %
      sorted({j["state"] for j in jobs}))
log = jsonl(os.path.join(srv, "log.jsonl"))
# The plan's names by address, read from the plan's own text.
plan = open(planf, encoding="utf-8").read()
names = {}
for m in re.finditer(r'\{[^{}]*?name = "([^"]*)";[^{}]*?email = "([^"]*)"',
                     plan):
    names[m.group(2)] = m.group(1)
mids = [e["mid"] for e in log]
# Connections are kept between messages: two runs, each with at most
# concurrency (4) connections open.
peers = {e["peer"] for e in log}
check(len(peers) <= 8, "%d connections for %d messages" %
      (len(peers), len(log)))
check(len(mids) == len(set(mids)), "a Message-ID came twice")
got = {e["mid"].strip("<>").split("@")[0]: e for e in log}
check(set(got) == set(sent), "server has %d, outbox sent %d; missing %r, "
      "extra %r" % (len(got), len(sent), sorted(set(sent) - set(got))[:3],
                    sorted(set(got) - set(sent))[:3]))
kinds = {}
attendees, invited = [], set()
for jid, e in got.items():
    j = sent.get(jid)
    if j is None:
        continue
    kinds[j["kind"]] = kinds.get(j["kind"], 0) + 1
    msg = eml(os.path.join(srv, "%d.eml" % e["n"]))
    check(e["rcpt"] == [j["address"]], "%s: RCPT TO %r, job address %r" %
          (jid, e["rcpt"], j["address"]))
    check(e["mail_from"] == "ubnd@daison.example", "%s: MAIL FROM %r" %
          (jid, e["mail_from"]))
    if auth == "auth":
        check(e["auth"] is True and e["tls"] is True,
              "%s: not over TLS with AUTH: %r" % (jid, e))
    to = msg["To"].addresses
    check(len(to) == 1 and to[0].addr_spec == j["address"],
          "%s: To %r" % (jid, msg["To"]))
    if j["address"] in names and len(to) == 1:
        check("".join(to[0].display_name.split()) ==
              "".join(names[j["address"]].split()),
              "%s: To name %r, plan %r" % (jid, to[0].display_name,
                                         names[j["address"]]))
    fr = msg["From"].addresses
    check(len(fr) == 1 and fr[0].addr_spec == "ubnd@daison.example" and
          "".join(fr[0].display_name.split()) ==
          "".join("UBND xã Đại Sơn".split()),
          "%s: From %r" % (jid, msg["From"]))
    subj = msg["Subject"]
    want = {"invitation": "Giấy mời: Hội nghị tổng kết công tác cải cách",
            "task-reminder": "Nhắc việc: ", "overdue": "Quá hạn"}.get(
                j["kind"], "")
    check(subj and any(ord(c) > 127 for c in subj) and subj.startswith(want),
          "%s: %s Subject %r" % (jid, j["kind"], subj))
    if j["kind"] == "distribution":
        # Every file, byte for byte, under its own (Vietnamese) name.
        att = [(p.get_filename(), p.get_payload(decode=True))
               for p in msg.iter_attachments()]
        want = [(os.path.basename(f),
                 open(os.path.join(pdir, f), "rb").read()) for f in files]
        check(att == want, "%s: attachments %r, want %r" %
              (jid, [(n, len(b or b"")) for n, b in att],
               [(n, len(b)) for n, b in want]))
    if j["kind"] != "invitation":
        continue
    tree = mime_tree(msg)
    check(tree == "multipart/mixed(multipart/alternative(text/plain,"
          "text/html,text/calendar),application/ics)",
          "%s: MIME tree %s" % (jid, tree))
    for p in msg.walk():
        if p.get_content_type() not in ("text/calendar", "application/ics"):
            continue
        ics = p.get_payload(decode=True).decode("utf-8")
        cal = icalendar.Calendar.from_ical(ics)
        method = str(cal.get("METHOD"))
        if p.get_content_type() == "text/calendar":
            check(p.get_param("method") == method,
                  "%s: method=%r, METHOD %r" % (jid, p.get_param("method"),
                                                method))
        check(all(not getattr(c, "errors", None) for c in cal.walk()),
              "%s: icalendar errors" % jid)
        v = vobject.readOne(ics)
        att = [str(a.value) for a in v.vevent.contents.get("attendee", [])]
        # Each ATTENDEE is exactly the RCPT TO address (conf/REFERENCE.md §7):
        # the mail lists its one recipient.
        check(att == ["mailto:" + r for r in e["rcpt"]] and
              len(e["rcpt"]) == 1,
              "%s: RCPT TO %r, ATTENDEEs %r" % (jid, e["rcpt"], att))
        invited.add("mailto:" + e["rcpt"][0])
check(len(invited) == kinds.get("invitation", 0),
      "one invitation per invitee: %d addresses" % len(invited))
check(kinds.get("distribution", 0) == 46 and
      kinds.get("invitation", 0) == 43,
      "kinds at the server: %r" % kinds)
print("checked %d messages (%r), %d failures" % (len(got), kinds,
                                                 check.fails))
check.done()
PY
	[ $? -eq 0 ] && ok "$name: what the server received" ||
	    ko "$name: what the server received"
}

# add_files: a Vietnamese-named binary file beside the plan's text one,
# in the test's copy of the plan.
add_files() {
	$PY -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(30000) + bytes(range(256)))' \
	    "$tmp/conf/plans/files/Tờ trình (bản 2).pdf"
	sed -i 's|attachments = \[ "files/129-KH-UBND.txt" \]|attachments = [ "files/129-KH-UBND.txt", "files/Tờ trình (bản 2).pdf" ]|' \
	    "$tmp/conf/plans/129-KH-UBND.cfg"
	grep -q 'bản 2' "$tmp/conf/plans/129-KH-UBND.cfg" ||
	    ko "the test plan has no second file"
}

# 1. Plain SMTP.
port=$(free_port)
smtp_conf "$tmp" "smtp://127.0.0.1:$port" 'tls = "off";'
add_files
smtpd_start plain --port "$port" --out "$tmp/plain" ||
    ko "plain: aiosmtpd did not start" "$(cat "$tmp/plain.log")"
check plain plain
smtpd_stop plain

# 2. STARTTLS + AUTH, the certificate trusted through ca_file.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" ||
    ko "openssl req" "$(cat "$tmp/openssl.err")"
printf '%s\n' "$PASSWORD" >"$tmp/password"
port=$(free_port)
smtp_conf "$tmp" "smtp://localhost:$port" "tls = \"require\"; \
    user = \"loa\"; password_file = \"$tmp/password\"; \
    ca_file = \"$tmp/cert.pem\";"
add_files
smtpd_start tls --port "$port" --out "$tmp/tls" \
    --tls "$tmp/cert.pem" "$tmp/key.pem" --auth loa "$PASSWORD" ||
    ko "tls: aiosmtpd did not start" "$(cat "$tmp/tls.log")"
check tls auth

# The password is nowhere: not in run -v's log, outbox --json, a received
# message, or any file loa wrote (outbox, its files). Two tellers: the
# grep finds the password where it is planted.
grep -rqF "$PASSWORD" "$tmp/password" || ko "grep does not find the password"
for f in "$tmp/tls.run.err" "$tmp/tls.run.out" "$tmp/tls.outbox.json"; do
	if grep -qF "$PASSWORD" "$f"; then
		ko "the password is in $(basename "$f")"
	else
		ok "the password is not in $(basename "$f")"
	fi
done
if grep -rlF "$PASSWORD" "$tmp/tls" "$tmp/var" >"$tmp/leaks"; then
	ko "the password is in" "$(cat "$tmp/leaks")"
else
	ok "the password is in no message the server got, no file of loa's"
fi
# The password's base64 (AUTH PLAIN, AUTH LOGIN) is nowhere either.
b64=$(printf '%s' "$PASSWORD" | base64)
plain=$(printf '\0loa\0%s' "$PASSWORD" | base64)
if grep -rlF -e "$b64" -e "$plain" "$tmp/tls.run.err" "$tmp/tls.run.out" \
    "$tmp/tls.outbox.json" "$tmp/var" >"$tmp/leaks"; then
	ko "the password's base64 is in" "$(cat "$tmp/leaks")"
else
	ok "the password's base64 is in no log or file"
fi
smtpd_stop tls

finish
