#!/bin/sh
# bench.d/smtp.sh: 2,000 invitations (20 events x 100 attendees) through
# the smtp gateway to a local aiosmtpd with a no-op handler
# (tests/tools/smtpd.py without --out), against the same 2,000 messages
# sent by Python's smtplib over one connection to the same server in the
# same run. Not a test: it prints figures. Needs ./build/loa (scripts/bench
# builds it). Usage: scripts/bench.d/smtp.sh [EVENTS] [ATTENDEES] [CONCURRENCY]
set -eu
cd "$(dirname "$0")/../.."
nev=${1:-20}
natt=${2:-100}
conc=${3:-4}
PY=/usr/bin/python3
dir=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill "$spid" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM

# The plan: nev events, each inviting natt people of its own.
{
	echo 'plan = { id = "BENCH/SMTP"; issued = "2026-03-02"; title = "Thử"; issuer = "UBND xã Đại Sơn"; };'
	echo 'people = ('
	awk -v n="$((nev * natt))" 'BEGIN { for (i = 0; i < n; i++)
	    printf "  { id = \"p%d\"; name = \"Nguyễn Văn %d\"; email = \"p%d@daison.example\"; }%s\n",
	    i, i, i, i < n - 1 ? "," : "" }'
	echo ');'
	echo 'events = ('
	awk -v e="$nev" -v a="$natt" 'BEGIN { for (i = 0; i < e; i++) {
	    printf "  { id = \"hop%d\"; title = \"Họp giao ban số %d\"; location = \"Phòng họp gác 3\";\n", i, i
	    printf "    start = \"2026-03-20 08:00\"; duration = \"2h\"; invite = \"start - 7d at 08:00\";\n    attendees = ["
	    for (j = 0; j < a; j++) printf "\"p%d\"%s", i * a + j, j < a - 1 ? ", " : ""
	    printf " ]; }%s\n", i < e - 1 ? "," : "" } }'
	echo ');'
} >"$dir/plan.cfg"
port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for v in file smtp; do
	mkdir -p "$dir/$v"
	cp "$dir/plan.cfg" "$dir/$v/plan.cfg"
	printf 'loa = { store = "loa.db"; plans = [ "plan.cfg" ]; };\n' >"$dir/$v/loa.cfg"
done
cat >>"$dir/smtp/loa.cfg" <<CFG
gateways = ( { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$port";
               from = "UBND xã Đại Sơn <ubnd@daison.example>"; tls = "off";
               concurrency = $conc; } );
channels = { email = "mail"; };
CFG

# The messages, as the file gateway writes them: what smtplib sends.
./build/loa -c "$dir/file/loa.cfg" run --once --now "2026-03-13 08:00" >/dev/null
n=$(ls "$dir/file/outbox/mail" | wc -l)
echo "== smtp: $n invitations ($nev events x $natt attendees)," \
    "$(du -sk "$dir/file/outbox/mail" | cut -f1) kB of mail, concurrency $conc"

$PY tests/tools/smtpd.py --port "$port" --ready "$dir/ready" 2>"$dir/smtpd.err" &
spid=$!
while [ ! -f "$dir/ready" ]; do sleep 0.05; done

start=$(date +%s.%N)
./build/loa -c "$dir/smtp/loa.cfg" run --once --now "2026-03-13 08:00" >/dev/null
end=$(date +%s.%N)
sent=$(./build/loa -c "$dir/smtp/loa.cfg" outbox --state sent | grep -c '@' || true)
loa_rate=$(awk -v n="$sent" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')
printf '%-44s %7.2f s  %6s msgs/s  (%s sent, incl. load, reconcile, render)\n' \
    "loa run --once, smtp gateway" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
    "$loa_rate" "$sent"

# The reference: smtplib, one connection, the same bytes, read beforehand.
ref=$($PY - "$port" "$dir/file/outbox/mail" <<'PY'
import os, re, smtplib, sys, time
d = sys.argv[2]
msgs = []
for f in sorted(os.listdir(d)):
    raw = open(os.path.join(d, f), "rb").read()
    to = re.search(rb"^To:.*?<([^>]+)>", raw, re.M | re.S).group(1).decode()
    msgs.append((to, raw))
t0 = time.monotonic()
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
for to, raw in msgs:
    s.sendmail("ubnd@daison.example", [to], raw)
s.quit()
t = time.monotonic() - t0
print("%d %.3f" % (len(msgs), t))
PY
)
set -- $ref
ref_rate=$(awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }')
printf '%-44s %7.2f s  %6s msgs/s  (%s sent)\n' \
    "reference: smtplib, one connection" "$2" "$ref_rate" "$1"
awk -v a="$loa_rate" -v b="$ref_rate" -v c="$conc" 'BEGIN {
	printf "loa / smtplib: %.2f (goal >= 1 with concurrency %d: %s)\n", a / b, c,
	    (a >= b) ? "met" : "MISSED" }'
