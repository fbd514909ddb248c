#!/bin/sh
# mime.sh: the mails of the seed plan, read back by independent parsers
# (conf/REFERENCE.md §7; README "Mail"). A copy of $LOA_SRC/conf, with two more
# attachments of Vietnamese names (one holding quotes and parentheses)
# beside the seed's text, and an email file gateway with a `reply_to`, is
# sent with `loa run --once` on its first day (the distribution, the first
# task reminders), at its invitation round (2025-12-19 08:00), on
# 2025-12-22 (overdue notices), after its
# place moved (updates; the event reminders, also by email) and after it
# was called off (cancellations). Every
# .eml is parsed by Debian's python3 `email` (policy.default, and compat32
# for the ASCII fallbacks):
#   - the MIME tree is conf/REFERENCE.md §7's exactly: multipart/mixed >
#     multipart/alternative { text/plain, text/html, text/calendar } +
#     application/ics for the iTIP mails (invitation, update, cancel, task
#     reminder, overdue); the same without the calendar parts for the
#     event reminder, and plus the plan's files for the distribution;
#   - Subject, From, To, Reply-To decode to the right Vietnamese; Date is
#     the run's time at +07:00; Message-ID is <JOB_ID@daison.example>;
#     Auto-Submitted: auto-generated; no List-Unsubscribe;
#   - the text/calendar part's method= is its METHOD, it is byte for byte
#     the application/ics attachment, parses in python3-icalendar (no
#     component with .errors) and python3-vobject, and each ATTENDEE of an
#     invitation is the To address;
#   - attachments come back byte-identical, under their Vietnamese names
#     (RFC 2231), with an ASCII fallback for older readers, and the type of
#     their extension;
#   - the text/html part goes through html.parser, holds the event's title,
#     place and agenda, and nothing that loads from elsewhere.
# Then `check` on service configs whose reply_to, or smtp sender, is no
# address: an error naming the file, line and key.
# Needs LOA and LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

cp -R "$LOA_SRC/conf" "$tmp/conf"
cfg="$tmp/conf/loa.cfg"
plan="$tmp/conf/plans/129-KH-UBND.cfg"
$PY - "$tmp" <<'PY'
import os, sys
d = sys.argv[1]
files = os.path.join(d, "conf", "plans", "files")
# Bytes no text transfer would keep: NUL, CR, LF, 8-bit.
pdf = b"%PDF-1.4\r\n%\xe2\xe3\xcf\xd3\r\n" + bytes(range(256)) * 9 + b"\r\n%%EOF"
xlsx = b"PK\x03\x04" + bytes((i * 37) % 256 for i in range(5000))
open(os.path.join(files, "Kế hoạch số 129.pdf"), "wb").write(pdf)
open(os.path.join(files, 'Tờ trình "khen thưởng" (bản 2).xlsx'), "wb").write(xlsx)
p = os.path.join(d, "conf", "plans", "129-KH-UBND.cfg")
s = open(p, encoding="utf-8").read()
old = 'attachments = [ "files/129-KH-UBND.txt" ];'
assert old in s
s = s.replace(old, 'attachments = [ "files/129-KH-UBND.txt", '
              '"files/Kế hoạch số 129.pdf", '
              '"files/Tờ trình \\"khen thưởng\\" (bản 2).xlsx" ];')
open(p, "w", encoding="utf-8").write(s)
open(os.path.join(d, "conf", "loa.cfg"), "a", encoding="utf-8").write(
    'gateways = (\n'
    '  { id = "email"; kind = "file"; dir = "../var/outbox";\n'
    '    reply_to = "Văn phòng HĐND và UBND xã, Đại Sơn '
    '<vanphong@daison.example>"; },\n'
    '  { id = "sms"; kind = "file"; dir = "../var/outbox"; },\n'
    '  { id = "broadcast"; kind = "spool"; dir = "../var/broadcast"; }\n);\n')
PY

if "$LOA" -c "$cfg" check >"$tmp/check.out" 2>&1; then
	ok "check"
else
	ko "check: $(head -c 600 "$tmp/check.out")"
fi
once() {
	if "$LOA" -c "$cfg" run --once --now "$1" >"$tmp/run.out" 2>&1; then
		ok "run --once --now $1"
	else
		ko "run --once --now $1: $(head -c 600 "$tmp/run.out")"
	fi
}
once "2025-11-28 09:00"
once "2025-12-19 08:05"
once "2025-12-22 08:05"
# The place moves and the reminders go by email too: updates and event
# reminders; then the event is called off: cancellations.
$PY - "$plan" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
for old, new in (('location = "Phòng họp gác 3 - Ủy ban nhân dân xã";',
                  'location = "Hội trường <A> & \\"B\\" - Ủy ban nhân dân xã";'),
                 ('reminder_channels = [ "sms" ];',
                  'reminder_channels = [ "sms", "email" ];')):
    assert old in s, old
    s = s.replace(old, new)
open(p, "w", encoding="utf-8").write(s)
PY
once "2025-12-25 16:05"
sed 's/status = "confirmed";/status = "cancelled";/' "$plan" >"$plan.new" &&
	mv "$plan.new" "$plan"
once "2025-12-25 16:10"
"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>"$tmp/outbox.err" ||
	ko "outbox --json: $(cat "$tmp/outbox.err")"

$PY - "$tmp" "$plan" <<'PY'
import datetime, json, os, re, sys
from email.utils import parsedate_to_datetime
import icalendar, vobject
from loatest import (Checks, by_id, defects, eml_bytes, eml_compat,
                     html_read, jobs, mime_tree, named, parts_by_type)

d, plan = sys.argv[1], sys.argv[2]
check = Checks()

# Names and titles from the plan text itself (libconfig strings, adjacent
# ones joined), not from loa.
src = open(plan, encoding="utf-8").read()
strs = r'((?:"(?:[^"\\]|\\.)*"\s*)+)'
def joined(m):
    return "".join(json.loads(x) for x in re.findall(r'"(?:[^"\\]|\\.)*"', m))
names, titles = {}, {}
for m in re.finditer(r'id\s*=\s*"([^"]+)";\s*(?:#[^\n]*\n\s*)*'
                     r'(name|title)\s*=\s*' + strs + ';', src):
    (names if m.group(2) == "name" else titles)[m.group(1)] = \
        joined(m.group(3))
plan_id = "129/KH-UBND"
plan_title = joined(re.search(r'plan\s*=\s*\{.*?title\s*=\s*' + strs + ';',
                              src, re.S).group(1))
issuer = joined(re.search(r'issuer\s*=\s*' + strs + ';', src).group(1))
ev = titles["hoi-nghi"]
location = "Phòng họp gác 3 - Ủy ban nhân dân xã"
moved = 'Hội trường <A> & "B" - Ủy ban nhân dân xã'
escaped = "Hội trường &lt;A&gt; &amp; &quot;B&quot; - Ủy ban nhân dân xã"
check(moved.replace('"', '\\"') in src, "the moved location is in the plan")
files = os.path.join(d, "conf", "plans", "files")
attach = {n: open(os.path.join(files, n), "rb").read()
          for n in ("129-KH-UBND.txt", "Kế hoạch số 129.pdf",
                    'Tờ trình "khen thưởng" (bản 2).xlsx')}
types = {"txt": "text/plain", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument."
                 "spreadsheetml.sheet"}

jobs = by_id(jobs(os.path.join(d, "outbox.json")))
folder = os.path.join(d, "var", "outbox", "mail")
emls = sorted(f for f in os.listdir(folder) if f.endswith(".eml"))
sent = [j for j in jobs.values() if j["channel"] == "email" and
        j["state"] == "sent"]
check(len(emls) == len(sent) and len(emls) > 100,
      "one .eml a sent email job: %d files, %d jobs" % (len(emls), len(sent)))
kinds = {}
attendees = []
seen_ics = set()

for f in emls:
    jid = f[:-4]
    j = jobs.get(jid)
    if not check(j is not None, "%s: a job of the outbox" % f):
        continue
    k = j["kind"]
    kinds[k] = kinds.get(k, 0) + 1
    raw = open(os.path.join(folder, f), "rb").read()
    lines = raw.split(b"\r\n")
    check(max(len(l) for l in lines) <= 78 and not any(
              b"\n" in l or b"\r" in l or max(l, default=0) >= 0x80
              for l in lines),
          "%s: lines of CRLF, ASCII, within 78 octets" % f)
    msg = eml_bytes(raw)
    old = eml_compat(raw)
    w = "%s (%s to %s)" % (f, k, j["recipient"])
    check(not defects(msg), "%s: parser defects %r" % (w, defects(msg)))
    # Headers.
    for h in ("From", "To", "Subject", "Date", "Message-ID", "Reply-To",
              "Auto-Submitted", "MIME-Version", "Content-Type"):
        check(len(msg.get_all(h) or []) == 1, "%s: one %s" % (w, h))
    check("List-Unsubscribe" not in msg, "%s: no List-Unsubscribe" % w)
    check(msg["Auto-Submitted"] == "auto-generated", "%s: Auto-Submitted" % w)
    check(msg["Message-ID"] == "<%s@daison.example>" % jid,
          "%s: Message-ID %s" % (w, msg["Message-ID"]))
    fr = msg["From"].addresses
    check(len(fr) == 1 and fr[0].addr_spec == "soai@daison.example",
          "%s: From %r" % (w, fr))
    to = msg["To"].addresses
    check(len(to) == 1 and to[0].addr_spec == j["address"],
          "%s: To %r, expected <%s>" % (w, to, j["address"]))
    rt = msg["Reply-To"].addresses
    check(len(rt) == 1 and rt[0].addr_spec == "vanphong@daison.example",
          "%s: Reply-To %r" % (w, rt))
    # policy.default keeps the space between two encoded words of a
    # display name (RFC 2047 §6.2 drops it): the names exactly through
    # compat32 and decode_header, which follow the RFC.
    for h, want in (("From", issuer), ("To", names.get(j["recipient"])),
                    ("Reply-To", "Văn phòng HĐND và UBND xã, Đại Sơn")):
        got = named(old, h)
        check(len(got) == 1 and got[0][0] == want,
              "%s: %s decodes to %r, expected %r" % (w, h, got, want))
    date = parsedate_to_datetime(msg["Date"])
    at = datetime.datetime.fromisoformat(j["sent_at"])
    check(date.utcoffset() == datetime.timedelta(hours=7) and
          abs((date - at).total_seconds()) < 60,
          "%s: Date %s, sent at %s" % (w, msg["Date"], j["sent_at"]))
    subj = msg["Subject"]
    task = titles.get(j["object"], "")
    want = {"distribution": "%s: %s" % (plan_id, plan_title),
            "invitation": "Giấy mời: " + ev, "update": "Thay đổi: " + ev,
            "cancel": "Hủy: " + ev, "event-reminder": "Nhắc lịch: " + ev,
            "overdue": "Quá hạn: " + task}.get(k)
    if k == "task-reminder":
        check(re.fullmatch(re.escape("Nhắc việc: %s (hạn " % task) +
                           r"\d\d/\d\d/20\d\d\)", subj) is not None,
              "%s: Subject %r" % (w, subj))
    else:
        check(subj == want, "%s: Subject %r, expected %r" % (w, subj, want))
    # The tree, and the text parts' encoding.
    ics = k not in ("distribution", "event-reminder")
    want_tree = ("multipart/mixed(multipart/alternative(text/plain,"
                 "text/html" + (",text/calendar" if ics else "") + ")" +
                 (",application/ics" if ics else "") +
                 ("," + ",".join(types[n.rsplit(".", 1)[1]] for n in attach)
                  if k == "distribution" else "") + ")")
    check(mime_tree(msg) == want_tree, "%s: tree %s" % (w, mime_tree(msg)))
    for p in msg.walk():
        if not p.is_multipart():
            check(p["Content-Transfer-Encoding"] == "base64",
                  "%s: %s is base64" % (w, p.get_content_type()))
    parts = parts_by_type(msg)
    plain = parts["text/plain"][0].get_content()
    check(names.get(j["recipient"], "?") in plain,
          "%s: text/plain greets the recipient" % w)
    # HTML.
    html = parts["text/html"][0]
    check(html.get_content_charset() == "utf-8", "%s: html charset" % w)
    hp = html_read(html.get_content())
    text = hp.text
    check(not set(hp.tags) & {"img", "script", "link", "style", "iframe",
                              "object", "embed", "base", "form"} and
          not set(hp.attrs) & {"src", "href", "background", "srcset"} and
          "://" not in html.get_content(),
          "%s: the html loads nothing: %r %r" % (w, hp.tags, hp.attrs))
    check(hp.tags[:4] == ["html", "head", "meta", "title"] and
          "table" in hp.tags, "%s: html tags %r" % (w, hp.tags[:8]))
    check(names.get(j["recipient"], "?") in text, "%s: html greets" % w)
    if k in ("invitation", "update", "cancel", "event-reminder"):
        place = location if k == "invitation" else moved
        check(ev in text and place in text and
              "Báo cáo tham luận tại Hội nghị" in text and
              "08 giờ 00, thứ Sáu, ngày 26/12/2025 – 11 giờ 30" in text,
              "%s: html time, place, agenda: %r" % (w, text[:300]))
        check(k == "invitation" or escaped in html.get_content(),
              "%s: the place escaped in the html" % w)
    if k == "distribution":
        check(all(n in text for n in attach), "%s: html lists the files" % w)
    if k in ("task-reminder", "overdue"):
        check(task in text, "%s: html names the task" % w)
    # iCalendar.
    if ics:
        cal = parts["text/calendar"][0]
        body = cal.get_payload(decode=True)
        att = parts["application/ics"][0]
        check(att.get_filename() == "invite.ics" and
              att.get_payload(decode=True) == body,
              "%s: invite.ics is the calendar part" % w)
        c = icalendar.Calendar.from_ical(body)
        method = str(c.get("METHOD"))
        first = body not in seen_ics
        seen_ics.add(body)
        check(cal.get_param("method") == method and
              cal.get_content_charset() == "utf-8",
              "%s: method=%s, METHOD:%s" % (w, cal.get_param("method"),
                                            method))
        check(method == {"invitation": "REQUEST", "update": "REQUEST",
                         "cancel": "CANCEL"}.get(k, "PUBLISH"),
              "%s: METHOD %s" % (w, method))
        errs = [(x.name, x.errors) for x in c.walk() if x.errors]
        check(not errs, "%s: icalendar errors %r" % (w, errs))
        try:
            # Many mails carry the same object: vobject reads each once.
            if first:
                vobject.readOne(body.decode("utf-8"))
        except Exception as e:
            check(False, "%s: vobject: %s" % (w, e))
        if k in ("invitation", "update", "cancel"):
            ves = [x for x in c.walk("VEVENT")]
            at = [str(a) for x in ves for a in
                  (x.get("ATTENDEE") if isinstance(x.get("ATTENDEE"), list)
                   else [x.get("ATTENDEE")]) if a is not None]
            # Each ATTENDEE is exactly the address the mail goes to
            # (conf/REFERENCE.md §7): an invitation or update lists its invitee
            # alone.
            check(len(ves) == 1 and str(ves[0].get("SUMMARY")) == ev and
                  at == ["mailto:" + j["address"]],
                  "%s: ATTENDEEs %r, To %s" % (w, at, j["address"]))
            if k == "invitation":
                attendees.append(at[0])
    # Attachments.
    if k == "distribution":
        got = [(p.get_filename(), p.get_payload(decode=True),
                p.get_content_type()) for p in msg.iter_attachments()]
        check([(n, b, types[n.rsplit(".", 1)[1]])
               for n, b in attach.items()] == got,
              "%s: attachments %r" % (w, [(n, len(b), t) for n, b, t in got]))
        fb = [p.get_filename() for p in old.walk()
              if p.get_filename() is not None]
        check(fb == ["129-KH-UBND.txt", "Ke hoach so 129.pdf",
                     "To trinh _khen thuong_ (ban 2).xlsx"],
              "%s: the ASCII fallbacks %r" % (w, fb))
        # policy.default reads filename* first (RFC 2231, RFC 6266
        # §4.3) and notes the second filename as a duplicate: the only
        # defect allowed, and only there.
        for p in msg.iter_attachments():
            cd = p["Content-Disposition"]
            bad = [x for x in cd.defects if "duplicate parameter" not in
                   str(x)] + [x for h in ("Content-Type",
                                          "Content-Transfer-Encoding")
                              for x in p[h].defects]
            check(not bad, "%s: header defects %r" % (w, bad))
# Every invitee got their own invitation.
to_inv = {"mailto:" + j["address"] for j in sent if j["kind"] == "invitation"}
check(attendees and set(attendees) == to_inv and
      len(attendees) == len(to_inv), "one invitation per invitee")
check(kinds.get("distribution") == 46 and kinds.get("invitation", 0) >= 40
      and all(kinds.get(k, 0) > 0 for k in ("task-reminder", "overdue",
              "update", "cancel", "event-reminder")),
      "kinds sent: %r" % kinds)
print("%d mails read" % len(emls))
check.done()
PY
[ $? -eq 0 ] && ok "the seed's mails, parsed" || ko "the seed's mails, parsed"

# reply_to anywhere, and sender on an smtp gateway, must be addresses.
mkdir -p "$tmp/bad"
cp "$tmp/conf/plans/129-KH-UBND.cfg" "$tmp/bad/plan.cfg"
cp -R "$tmp/conf/plans/files" "$tmp/bad/files"
# badcfg WHAT RC PATTERN GATEWAYS: check of a config with these gateways
# exits RC, saying PATTERN (grep -E; empty: anything).
badcfg() {
	cat >"$tmp/bad/loa.cfg" <<EOF
loa = { store = "loa.db"; plans = [ "plan.cfg" ]; };
gateways = (
  $4
);
EOF
	"$LOA" -c "$tmp/bad/loa.cfg" check >"$tmp/bad/out" 2>&1
	rc=$?
	if [ $rc -eq "$2" ] && { [ -z "$3" ] || grep -Eq "$3" "$tmp/bad/out"; }; then
		ok "$1"
	else
		ko "$1: exit $rc: $(cat "$tmp/bad/out")"
	fi
}
badcfg "a reply_to that is no address is an error at its line" 1 \
    'loa.cfg:4: gateways\.email\.reply_to: .*not an address' \
    '{ id = "email"; kind = "file"; dir = "out";
    reply_to = "Văn phòng <vanphong@daison>"; }'
badcfg "an smtp sender that is no address is an error at its line" 1 \
    'loa.cfg:5: gateways\.email\.sender: .*not an address' \
    '{ id = "email"; kind = "smtp"; url = "smtp://127.0.0.1:2525";
    from = "UBND <ubnd@daison.example>";
    sender = "UBND DAISON"; }'
badcfg "an smtp sender address, a reply_to, an SMS sender id pass" 0 '' \
    '{ id = "email"; kind = "smtp"; url = "smtp://127.0.0.1:2525";
    from = "UBND <ubnd@daison.example>";
    sender = "Văn thư <vanthu@daison.example>";
    reply_to = "vanphong@daison.example"; },
  { id = "sms"; kind = "http"; preset = "kannel";
    url = "http://127.0.0.1:13013/cgi-bin/sendsms"; sender = "UBND DAISON";
    user = "loa"; password_env = "LOA_SMS_PASSWORD"; }'

finish
