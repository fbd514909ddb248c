#!/bin/sh
# inject.sh: no text of a plan can add or split a header of a mail, nor
# put markup into its HTML part (CR and LF never reach a mail
# header: conf/REFERENCE.md §5; README "Mail").
#
# A plan whose issuer, people's names, event title and location and
# attachment file name hold CR, LF, a NUL (libconfig's \x00, which ends
# the string), "Bcc:" lines, RFC 2047 look-alikes and HTML specials, and an
# email gateway whose reply_to display name is hostile too, is sent with
# `loa run --once` through the file gateway. Every .eml is parsed by
# Debian's python3 `email` (policy.default): the header set must be
# exactly loa's, each once; names, subject and file name decode to the
# plan's text with CR/LF as spaces; the .ics of the text/calendar part
# has no line a CN could have made; the HTML shows the title and location
# as text, never as tags.
# Needs LOA and LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/conf/files"
printf 'Kế hoạch\r\n\000\377' >"$tmp/conf/files/Bcc: x.txt"
cat >"$tmp/conf/loa.cfg" <<'EOF'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = (
  { id = "email"; kind = "file"; dir = "../var/outbox";
    reply_to = "Văn phòng \"UBND\", xã =?UTF-8?B?QUFB?= <vp@daison.example>"; }
);
EOF
cat >"$tmp/conf/plan.cfg" <<'EOF'
plan = { id = "9/KH"; issued = "2026-05-01"; title = "Kế hoạch\r\nBcc: spy@evil.example";
  issuer = "UBND\r\nBcc: spy@evil.example"; signed_by = "ky"; };
people = (
  { id = "ky"; name = "Ký\x00\r\nBcc: spy@evil.example"; email = "ky@daison.example"; },
  { id = "an"; name = "An\r\nATTENDEE:mailto:evil@evil.example\r\nBcc: spy@evil.example";
    email = "an@daison.example"; },
  { id = "binh"; name = "Bình, \"Bé\" <evil@evil.example>\nX-Evil: 1"; email = "binh@daison.example"; }
);
distribution = { at = "plan.issued at 09:00"; to = [ "an", "binh" ];
  attachments = [ "files/Bcc: x.txt" ]; };
events = ( { id = "hop"; title = "Họp <b>\"giao ban\"</b> & <script>alert(1)</script>\r\nBcc: spy@evil.example";
  location = "Phòng 3 <img src=http://evil.example/x.png>\r\nX-Loc: 1";
  start = "2026-05-10 08:00"; attendees = [ "an", "binh" ]; organizer = "ky";
  invite = "start - 2d at 08:00";
  agenda = [ "Khai mạc </td></tr></table><script>x</script>" ]; } );
EOF
cfg="$tmp/conf/loa.cfg"

if "$LOA" -c "$cfg" check >"$tmp/check.out" 2>&1; then
	ok "check"
else
	ko "check: $(head -c 600 "$tmp/check.out")"
fi
for now in "2026-05-01 09:00" "2026-05-08 08:00"; do
	if "$LOA" -c "$cfg" run --once --now "$now" >"$tmp/run.out" 2>&1; then
		ok "run --once --now $now"
	else
		ko "run --once --now $now: $(head -c 600 "$tmp/run.out")"
	fi
done

$PY - "$tmp" <<'PY'
import os, re, sys
from loatest import (Checks, defects, eml_bytes, eml_compat, html_read,
                     named)

d = sys.argv[1]
check = Checks()
def flat(s):
    # Each control character of a header value is written as a space.
    return s.replace("\n", " ").replace("\r", " ")
title = 'Họp <b>"giao ban"</b> & <script>alert(1)</script>\r\nBcc: spy@evil.example'
location = "Phòng 3 <img src=http://evil.example/x.png>\r\nX-Loc: 1"
names = {"an@daison.example":
         "An\r\nATTENDEE:mailto:evil@evil.example\r\nBcc: spy@evil.example",
         "binh@daison.example": 'Bình, "Bé" <evil@evil.example>\nX-Evil: 1'}
allowed = ["From", "Reply-To", "To", "Subject", "Date", "Message-ID",
           "Auto-Submitted", "MIME-Version", "Content-Type"]
folder = os.path.join(d, "var", "outbox", "mail")
emls = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
check(len(emls) == 4, "4 mails (distribution, invitation, to two): %d"
      % len(emls))
kinds = set()
for f in emls:
    raw = open(os.path.join(folder, f), "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    check(b"\r\n " + b"Bcc" not in head and not re.search(
        rb"(^|\r\n)(Bcc|X-Evil|X-Loc|ATTENDEE)", head),
        "%s: an injected header in %r" % (f, head[:200]))
    check(all(0x20 <= c < 0x7f or c in (13, 10) for c in head),
          "%s: raw bytes in the headers" % f)
    msg = eml_bytes(raw)
    old = eml_compat(raw)
    check(list(msg.keys()) == allowed, "%s: headers %r" % (f, msg.keys()))
    check(not defects(msg), "%s: defects %r" % (f, defects(msg)))
    to = named(old, "To")
    check(len(to) == 1 and to[0][1] in names and
          to[0][0] == flat(names[to[0][1]]), "%s: To %r" % (f, to))
    fr = named(old, "From")
    check(fr == [("UBND  Bcc: spy@evil.example", "ky@daison.example")],
          "%s: From %r" % (f, fr))
    rt = named(old, "Reply-To")
    check(rt == [('Văn phòng "UBND", xã =?UTF-8?B?QUFB?=',
                  "vp@daison.example")], "%s: Reply-To %r" % (f, rt))
    subj = str(msg["Subject"])
    ics = None
    for p in msg.walk():
        if p.get_content_type() == "text/calendar":
            ics = p.get_payload(decode=True).decode()
        if p.get_content_type() == "text/html":
            html = p.get_content()
    if ics is not None:
        kinds.add("invitation")
        check(subj == "Giấy mời: " + flat(title), "%s: Subject %r" % (f, subj))
        lines = ics.split("\r\n")
        check(not [l for l in lines if re.match(r"(Bcc|X-Evil|ATTENDEE:)", l)],
              "%s: a line the CN made in %r" % (f, ics[:400]))
        unfolded = ics.replace("\r\n ", "")
        check(unfolded.count("\r\nATTENDEE;") == 1 and
              "mailto:evil@evil.example" not in unfolded.replace(
                  "CN=\"An ^nATTENDEE:mailto:evil@evil.example", ""),
              "%s: the ATTENDEE lines %r" % (f, [l for l in
              unfolded.split("\r\n") if l.startswith("ATTENDEE")]))
        # The HTML: the title and the place as text, never as markup.
        hp = html_read(html)
        text = hp.text
        check(not {"b", "script", "img"} & set(hp.tags) and
              "<script" not in html and "<img" not in html,
              "%s: markup from the plan in the html: %r" % (f, hp.tags))
        check(title.replace("\r", "") in text and
              location.replace("\r", "") in text and
              "Khai mạc </td></tr></table><script>x</script>" in text and
              hp.tags.count("table") == 1,
              "%s: the html text %r" % (f, text[:400]))
    else:
        kinds.add("distribution")
        check(subj == "9/KH: " + flat("Kế hoạch\r\nBcc: spy@evil.example"),
              "%s: Subject %r" % (f, subj))
        att = list(msg.iter_attachments())
        check(len(att) == 1 and att[0].get_filename() == "Bcc: x.txt" and
              att[0].get_payload(decode=True) ==
              b"K\xe1\xba\xbf ho\xe1\xba\xa1ch\r\n\x00\xff" and
              att[0].get_content_type() == "text/plain" and
              att[0].get_content_charset() is None,
              "%s: the attachment %r" % (f, [(a.get_filename(),
              a.get_content_type()) for a in att]))
check(kinds == {"invitation", "distribution"}, "kinds %r" % kinds)
check.done()
PY
[ $? -eq 0 ] && ok "no header injected, no markup" || ko "no header injected, no markup"

finish
