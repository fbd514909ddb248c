#!/bin/sh
# smtp_inject.sh: text of a plan holding CR, LF or NUL (as libconfig's
# escapes allow: \r, \n, \x00) never adds or splits a header of a mail
# sent through the smtp gateway (CR and LF never reach a mail
# header: conf/REFERENCE.md §5), nor adds a recipient or a message on the wire.
#
# Two plans with the same ids go through aiosmtpd (tests/tools/smtpd.py):
# a clean one, and one whose issuer, plan title, people's names, event
# title and location carry "\r\nBcc: ...", "\nX-Injected: ...", "\x00",
# a lone "." line and "MAIL FROM:". For each job, the header fields of
# the message and of each MIME part (names, in order) must be the same in
# both; the server must get one message per job, for its one recipient;
# no field named Bcc, X-Injected, X-Loc or Reply-To anywhere.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
at_exit smtpd_stop_all

port=$(free_port)
smtpd_start srv --port "$port" --out "$tmp/srv" ||
    ko "aiosmtpd did not start" "$(cat "$tmp/srv.log")"

# plan NAME ISSUER TITLE AN BINH EVENT LOCATION: a plan in $tmp/NAME.
plan() {
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$port";
               from = "UBND xã Đại Sơn <ubnd@daison.example>"; tls = "off"; } );
channels = { email = "mail"; };
CFG
	cat >"$tmp/$1/plan.cfg" <<PLAN
plan = { id = "8/KH-UBND"; issued = "2026-03-02"; title = "$3";
         issuer = "$2"; signed_by = "ky"; };
people = (
  { id = "ky"; name = "Ký"; email = "ky@daison.example"; },
  { id = "an"; name = "$4"; email = "an@daison.example"; },
  { id = "binh"; name = "$5"; email = "binh@daison.example"; }
);
events = ( { id = "hop"; title = "$6"; location = "$7";
  start = "2026-03-10 08:00"; duration = "2h"; invite = "start - 7d at 08:00";
  attendees = [ "an", "binh" ]; } );
distribution = { at = "plan.issued at 09:00"; to = [ "an", "binh" ]; };
PLAN
}
# Vietnamese text goes out as RFC 2047 words whatever it holds; ASCII
# text is written as it is: both kinds carry the controls.
plan clean "UBND xa Dai Son" "Kế hoạch thử" "Trần Văn An" \
    "Le Thi Binh" "Hop giao ban" "Phòng họp gác 3"
plan evil 'UBND\r\nReply-To: evil@attacker.example' \
    'Kế hoạch\r\nBcc: evil@attacker.example' \
    'Trần Văn An\r\nBcc: evil@attacker.example' \
    'Le\nX-Injected: 1\x00 Binh' \
    'Hop\r\nSubject: spoof\r\n\r\nbody' \
    'Phòng\nX-Loc: 1\r\n.\r\nMAIL FROM:<evil@attacker.example>\r\nRCPT TO:<evil@attacker.example>'
grep -q 'Bcc: evil' "$tmp/evil/plan.cfg" || ko "the evil plan has no Bcc"

for p in clean evil; do
	if "$LOA" -c "$tmp/$p/loa.cfg" check >"$tmp/$p.check" 2>&1; then
		ok "$p: check"
	else
		ko "$p: check" "$(cat "$tmp/$p.check")"
	fi
	n0=$(wc -l <"$tmp/srv/log.jsonl" 2>/dev/null || echo 0)
	if "$LOA" -c "$tmp/$p/loa.cfg" run --once --now "2026-03-03 08:00" \
	    >"$tmp/$p.run" 2>&1; then
		ok "$p: run --once"
	else
		ko "$p: run --once" "$(cat "$tmp/$p.run")"
	fi
	"$LOA" -c "$tmp/$p/loa.cfg" outbox --json >"$tmp/$p.json"
	echo "$n0" >"$tmp/$p.first"
done

$PY - "$tmp" <<'PY'
import os, sys
from loatest import Checks, by_id, eml_bytes, jobs, jsonl
d = sys.argv[1]
log = jsonl(os.path.join(d, "srv", "log.jsonl"))
check = Checks(say_ok=True)
def shape(raw):
    msg = eml_bytes(raw)
    return [tuple(k.lower() for k in p.keys()) for p in msg.walk()], msg
def to_ok(msg, who):
    try:
        a = msg["To"].addresses
    except ValueError as e:  # a CR or LF in a parsed address
        print("   To: %s" % e)
        return False
    return len(a) == 1 and a[0].addr_spec == who + "@daison.example"
by = {}
for p in ("clean", "evil"):
    js = jobs(os.path.join(d, p + ".json"))
    ids = by_id(js)
    # The same ids in both plans: each run's messages are its own lines.
    first = int(open(os.path.join(d, p + ".first")).read())
    last = int(open(os.path.join(d, "evil.first")).read()) \
        if p == "clean" else len(log)
    got = log[first:last]
    check(all(e["mid"].strip("<>").split("@")[0] in ids for e in got),
          "%s: the server's Message-IDs are the jobs'" % p)
    check(len(got) == len(js) == 4 and
          all(j["state"] == "sent" for j in js),
          "%s: 4 jobs sent, 4 messages at the server (%d, %r)" %
          (p, len(got), [j["state"] for j in js]))
    for e in got:
        j = ids[e["mid"].strip("<>").split("@")[0]]
        check(e["rcpt"] == [j["address"]] and
              e["mail_from"] == "ubnd@daison.example",
              "%s %s %s: the envelope is the job's: %r %r" %
              (p, j["kind"], j["recipient"], e["mail_from"], e["rcpt"]))
        raw = open(os.path.join(d, "srv", "%d.eml" % e["n"]), "rb").read()
        by[(p, j["kind"], j["recipient"])] = shape(raw) + (raw,)
for (p, kind, who), (fields, msg, raw) in sorted(by.items()):
    if p != "evil":
        continue
    clean = by.get(("clean", kind, who))
    check(clean is not None and fields == clean[0],
          "%s to %s: the header fields of every part are the clean plan's%s"
          % (kind, who, "" if clean is None or fields == clean[0] else
             ": %r against %r" % (fields, clean[0])))
    bad = {"bcc", "x-injected", "x-loc", "reply-to"}
    check(not any(bad & set(f) for f in fields),
          "%s to %s: no injected field" % (kind, who))
    check(b"\r\nBcc:" not in raw and b"\nX-Injected:" not in raw and
          b"\nX-Loc:" not in raw,
          "%s to %s: no injected field in the raw bytes" % (kind, who))
    check(to_ok(msg, who),
          "%s to %s: To holds its one address" % (kind, who))
check.done()
PY
[ $? -eq 0 ] && ok "the evil plan's mails are shaped as the clean one's" ||
    ko "the evil plan's mails are shaped as the clean one's"
n=$(wc -l <"$tmp/srv/log.jsonl")
[ "$n" -eq 8 ] && ok "8 messages at the server, no more" ||
    ko "8 messages at the server" "$n"
! grep -q 'evil@attacker' "$tmp/srv/mail.log" &&
    ok "no MAIL FROM of the plan's text at the server" ||
    ko "a MAIL FROM of the plan's text" "$(cat "$tmp/srv/mail.log")"

finish
