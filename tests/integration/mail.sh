#!/bin/sh
# mail.sh: the headers of the mails loa writes, read back by an independent
# parser, Debian's python3 `email` package (values escaped for where
# they land, conf/REFERENCE.md §5 and §7; RFC 5322 §2.1.1, §3.2.3, §3.4; RFC
# 2047).
#
# Three plans in a temporary folder, sent with `loa run --once` through the
# embedded file gateway (outbox/mail/ID.eml):
#   a: issuer "UBND <evil@attacker.example>"; attendees named
#      "Victim, Mallory <mallory@attacker.example>", 2,600 characters long,
#      and with quotes and backslashes; events with a long ASCII and a long
#      Vietnamese title (the subject template is "{event.title}");
#   b: an issuer of about 600 bytes, Vietnamese with commas;
#   c: an ASCII issuer holding '"', '\', ',' and '.'.
# Every header line must be at most 78 octets; To: and From: must each hold
# exactly one address (email.utils.getaddresses on the raw header, and the
# parsed header's .addresses), the right one, with the right display name;
# the Subject must decode to the event's title.
# Needs LOA (the binary).
. "$LOA_SRC/tests/tools/prologue.sh"

# The texts, written by python so that the test and the check agree.
$PY - "$tmp" <<'PY'
import json, os, sys
d = sys.argv[1]
t = {
    "long_name": "Nguyễn Văn " + "A" * 2600,
    "victim": "Victim, Mallory <mallory@attacker.example>",
    "quoted": 'Lê "Bé" Ba \\ Phó, Chủ tịch',
    "evil_issuer": "UBND <evil@attacker.example>",
    "long_issuer": ", ".join(["Ủy ban nhân dân xã Đại Sơn"] * 20),
    "ascii_issuer": 'Xa "Dai Son", UBND \\ Ph. 3',
    "ascii_title": " ".join(["Conference on the administrative reform"] * 4),
    "vi_title": "Kế hoạch tổ chức Hội nghị tổng kết công tác cải cách hành "
                "chính năm 2025 và triển khai nhiệm vụ năm 2026 của Ủy ban "
                "nhân dân xã Đại Sơn",
}
def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
def plan(pid, issuer, signer, people, events):
    out = ["plan = {",
           '  id = %s; issued = "2027-03-01"; title = "Kế hoạch thử";' % q(pid),
           "  issuer = %s; signed_by = %s;" % (q(issuer), q(signer)), "};",
           "people = ("]
    out.append(",\n".join('  { id = %s; name = %s; email = %s; }' %
                          (q(i), q(n), q(e)) for i, n, e in people))
    out += [");", "events = ("]
    out.append(",\n".join(
        '  { id = %s; title = %s; start = "2027-03-26 08:00"; '
        'duration = "2h"; invite = "start - 7d at 08:00"; '
        "attendees = [ %s ]; }" % (q(i), q(ti), ", ".join(q(a) for a in at))
        for i, ti, at in events))
    out += [");", ""]
    return "\n".join(out)
signer = ("soai", "Đào Văn Soái", "soai@daison.example")
people = [signer, ("victim", t["victim"], "victim@daison.example"),
          ("long", t["long_name"], "long@daison.example"),
          ("quoted", t["quoted"], "quoted@daison.example")]
open(os.path.join(d, "a.cfg"), "w").write(plan("1/KH-UBND", t["evil_issuer"],
    "soai", people, [("ascii", t["ascii_title"], ["victim", "long", "quoted"]),
                     ("vi", t["vi_title"], ["victim"])]))
open(os.path.join(d, "b.cfg"), "w").write(plan("2/KH-UBND", t["long_issuer"],
    "ky", [("ky", "Ký", "ky@daison.example"),
           ("an", "Trần Văn An", "an@daison.example")],
    [("hop", "Họp", ["an"])]))
open(os.path.join(d, "c.cfg"), "w").write(plan("3/KH-UBND", t["ascii_issuer"],
    "ky3", [("ky3", "Ky", "ky3@daison.example"),
            ("binh", "Binh", "binh@daison.example")],
    [("hop3", "Hop", ["binh"])]))
open(os.path.join(d, "loa.cfg"), "w").write(
    'loa = {\n  timezone = "Asia/Ho_Chi_Minh";\n  store = "loa.db";\n'
    '  plans = [ "a.cfg", "b.cfg", "c.cfg" ];\n};\n'
    'templates = { invitation_subject = "{event.title}"; };\n')
json.dump(t, open(os.path.join(d, "texts.json"), "w"))
PY

if (cd "$tmp" && "$LOA" -c loa.cfg check) >"$tmp/check.out" 2>&1; then
	ok "check"
else
	ko "check: $(head -c 600 "$tmp/check.out")"
fi
if (cd "$tmp" && "$LOA" -c loa.cfg run --once --now "2027-03-19 08:00") \
    >"$tmp/run.out" 2>&1; then
	ok "run --once"
else
	ko "run --once: $(head -c 600 "$tmp/run.out")"
fi

$PY - "$tmp" <<'PY'
import os, sys
from email.utils import getaddresses
from loatest import Checks, defects, eml_bytes, eml_compat, load, named
d = sys.argv[1]
def squeeze(s):
    return "".join(s.split())
t = load(os.path.join(d, "texts.json"))
names = {"victim@daison.example": t["victim"],
         "long@daison.example": t["long_name"],
         "quoted@daison.example": t["quoted"],
         "an@daison.example": "Trần Văn An", "binh@daison.example": "Binh"}
froms = {"soai@daison.example": t["evil_issuer"],
         "ky@daison.example": t["long_issuer"],
         "ky3@daison.example": t["ascii_issuer"]}
titles = {t["ascii_title"], t["vi_title"], "Họp", "Hop"}
folder = os.path.join(d, "outbox", "mail")
files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
check = Checks(say_ok=True)
check(len(files) == 6, "6 mails written (%d)" % len(files))
seen_subjects = set()
for f in files:
    raw = open(os.path.join(folder, f), "rb").read()
    head = raw.split(b"\r\n\r\n", 1)[0]
    long = [l for l in head.split(b"\r\n") if len(l) > 78]
    check(not long, "%s: header lines within 78 octets%s" %
          (f, "" if not long else ": %d octets: %r" %
           (len(long[0]), long[0][:100])))
    old = eml_compat(raw)
    msg = eml_bytes(raw)
    for h, want in (("To", names), ("From", froms)):
        got = named(old, h)
        check(len(old.get_all(h) or []) == 1 and len(got) == 1 and
              got[0][1] in want,
              "%s: raw %s: one address, a right one: %r" %
              (f, h, [a for _, a in got]))
        if len(got) == 1 and got[0][1] in want:
            name = got[0][0]
            check(name == want[got[0][1]], "%s: raw %s: the display name "
                  "decodes back: %r" % (f, h, name[:80]))
        # The parser of policy.default keeps the space between two
        # encoded words of a display name (RFC 2047 §6.2 drops it), so
        # its names are compared without white space.
        hv = msg[h]
        addrs = hv.addresses if hv is not None else ()
        check(len(addrs) == 1 and addrs[0].addr_spec in want and
              squeeze(addrs[0].display_name) ==
              squeeze(want[addrs[0].addr_spec]),
              "%s: parsed %s: one address with its name: %r" %
              (f, h, [(a.display_name[:60], a.addr_spec) for a in addrs]))
        got2 = getaddresses([str(hv)]) if hv is not None else []
        check(len(got2) == 1 and got2[0][1] in want,
              "%s: getaddresses on the decoded %s: %r" %
              (f, h, [a for _, a in got2]))
    check(not defects(msg), "%s: no parser defects %r" %
          (f, defects(msg)[:3]))
    subj = str(msg["Subject"])
    seen_subjects.add(subj)
    check(subj in titles, "%s: Subject decodes to a title: %r" %
          (f, subj[:80]))
check(seen_subjects == titles, "every title was a subject")
check.done()
PY
[ $? -eq 0 ] && ok "mail headers" || ko "mail headers"

ls "$tmp"/sanitizer.* >/dev/null 2>&1 || ok "no sanitizer report"
finish
