#!/bin/sh
# bench.d/mail.sh: mails a second. One event with N invitees (default
# 300; every invitation lists all N, so a mail grows with N) is sent with `loa run --once` through the file gateway: N .eml of
# conf/REFERENCE.md §7's tree (text, HTML, calendar, invite.ics), each written,
# synced and renamed, the outbox updated a batch at a time. The reference, in
# the same run: Debian's python3 `email` building the same tree for the same
# texts and calendar object (EmailMessage, as_bytes) and writing each file
# with fsync and rename, without any outbox. Not a test: no assertion.
# Usage: scripts/bench.d/mail.sh [N]   (from the tree's root, after a build)
set -eu
n=${1:-300}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir -p "$dir/conf"
printf 'loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };\n' \
    >"$dir/conf/loa.cfg"
{
	echo 'plan = { id = "BENCH/MAIL"; issued = "2026-03-02"; signed_by = "ky";'
	echo '  title = "Kế hoạch tổ chức Hội nghị tổng kết năm 2025";'
	echo '  issuer = "Ủy ban nhân dân xã Đại Sơn"; };'
	echo 'people = ( { id = "ky"; name = "Đào Văn Soái"; email = "soai@daison.example"; },'
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
	    printf "  { id = \"p%d\"; name = \"Nguyễn Văn Người %d\"; email = \"p%d@daison.example\"; }%s\n",
	    i, i, i, i < n - 1 ? "," : "" }'
	echo ');'
	printf 'groups = ( { id = "all"; members = ['
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
	    printf "\"p%d\"%s", i, i < n - 1 ? ", " : "" }'
	echo ' ]; } );'
	echo 'events = ( { id = "hop"; title = "Hội nghị tổng kết công tác cải cách hành chính năm 2025";'
	echo '  location = "Phòng họp gác 3 - Ủy ban nhân dân xã"; organizer = "ky";'
	echo '  start = "2026-03-20 08:00"; end = "2026-03-20 11:30"; invite = "start - 7d at 08:00";'
	echo '  agenda = [ "Tổng kết năm 2025", "Tham luận", "Khen thưởng", "Nhiệm vụ năm 2026" ];'
	echo '  attendees = [ "all" ]; } );'
} >"$dir/conf/plan.cfg"

echo "== mail: 1 event x $n invitees, each an invitation .eml (text, html, calendar, invite.ics)"
start=$(date +%s.%N)
./build/loa -c "$dir/conf/loa.cfg" run --once --now "2026-03-13 08:05" >/dev/null
end=$(date +%s.%N)
loa_s=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
sent=$(ls "$dir/var/outbox/mail" | grep -c '\.eml$')
bytes=$(cat "$dir/var/outbox/mail"/*.eml | wc -c)
loa_rate=$(awk -v n="$sent" -v s="$loa_s" 'BEGIN { printf "%.0f", n / s }')
printf '%-40s %7.2f s  %8s mails/s  (%s mails, %s bytes, incl. load and reconcile)\n' \
    "loa run --once" "$loa_s" "$loa_rate" "$sent" "$bytes"

# The reference: python3 email, fed the parts loa wrote (so the texts and
# the calendar object are the same), builds and writes each message.
mkdir -p "$dir/ref"
/usr/bin/python3 - "$dir" <<'PY'
import os, sys, time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
d = sys.argv[1]
src = os.path.join(d, "var", "outbox", "mail")
msgs = []
for f in sorted(os.listdir(src)):
    m = BytesParser(policy=policy.default).parsebytes(
        open(os.path.join(src, f), "rb").read())
    parts = {p.get_content_type(): p for p in m.walk()}
    msgs.append((f, str(m["From"]), str(m["To"]), str(m["Subject"]),
                 parts["text/plain"].get_content(),
                 parts["text/html"].get_content(),
                 parts["text/calendar"].get_payload(decode=True)))
t0 = time.monotonic()
for f, fr, to, subj, text, html, ics in msgs:
    e = EmailMessage(policy=policy.SMTP)
    e["From"], e["To"], e["Subject"] = fr, to, subj
    e["Message-ID"] = "<%s@daison.example>" % f[:-4]
    e.set_content(text, cte="base64")
    e.add_alternative(html, subtype="html", cte="base64")
    e.add_alternative(ics.decode(), subtype="calendar", cte="base64",
                      params={"method": "REQUEST"})
    e.make_mixed()
    e.add_attachment(ics, maintype="application", subtype="ics",
                     filename="invite.ics")
    data = e.as_bytes()
    p = os.path.join(d, "ref", f)
    fd = os.open(p + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, data)
    os.fsync(fd)
    os.close(fd)
    os.rename(p + ".tmp", p)
s = time.monotonic() - t0
open(os.path.join(d, "ref.secs"), "w").write("%f %d\n" % (s, len(msgs)))
PY
read -r ref_s ref_n <"$dir/ref.secs"
ref_rate=$(awk -v n="$ref_n" -v s="$ref_s" 'BEGIN { printf "%.0f", n / s }')
printf '%-40s %7.2f s  %8s mails/s  (build and write only: no load, no outbox)\n' \
    "reference: python3 email + fsync" "$ref_s" "$ref_rate"
awk -v a="$loa_rate" -v b="$ref_rate" 'BEGIN {
	printf "loa writes %.1fx the mails a second of the reference\n", a / b }'
