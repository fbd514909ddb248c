#!/bin/sh
# The http SMS gateway's benchmark (not a test), called by scripts/bench:
# 20,000 SMS all due at once through the webhook preset at concurrency 64
# to a local nginx that answers 200 (return 200, no upstream), every state
# change durable (the outbox on the disk, synchronous=FULL); beside it, in
# the same run, wrk with 64 connections posting the same body to the same
# nginx: what this machine's loopback HTTP can carry. Prints both rates
# and the ratio (goal: at least 0.5); then the floor: a bare SQLite loop
# doing only the same durable row updates, no HTTP.
#
#   scripts/bench.d/sms.sh [LOA]
#
# BENCH_SMS_JOBS sets the number of SMS (default 20000).
set -eu
cd "$(dirname "$0")/../.."
LOA=${1:-./build/loa}
N=${BENCH_SMS_JOBS:-20000}
dir=$(mktemp -d)
ngx=
loa=
trap '[ -n "$loa" ] && kill -9 "$loa" 2>/dev/null; [ -n "$ngx" ] && kill "$ngx" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
. tests/tools/smsplan.sh
. scripts/bench.d/bare-sqlite.sh

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$dir/nginx/logs"
cat >"$dir/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log $dir/nginx/logs/access.log;
  client_body_temp_path $dir/nginx/body;
  keepalive_requests 1000000;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$port;
    location /sms { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" &
ngx=$!
python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY

mkdir -p "$dir/conf"
cat >"$dir/conf/loa.cfg" <<CFG
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
  url = "http://127.0.0.1:$port/sms"; concurrency = 64; } );
channels = { sms = "sms"; };
CFG
sms_plan "$dir/conf/plan.cfg" "$N" "BENCH/SMS"
"$LOA" -c "$dir/conf/loa.cfg" check >/dev/null

echo
echo "== sms: $N SMS through the http gateway (webhook preset, concurrency 64) to nginx"
# Reconcile first (not the gateway's work), then time the sends: from the
# start of `loa run` on an outbox with every job due, to nginx's last log
# line of them.
"$LOA" -c "$dir/conf/loa.cfg" run --once --now "2026-03-02 08:00" >/dev/null
: >"$dir/nginx/logs/access.log"
start=$(date +%s.%N)
"$LOA" -c "$dir/conf/loa.cfg" run --now "2026-03-02 09:00" >/dev/null 2>"$dir/loa.err" &
loa=$!
python3 - "$dir/nginx/logs/access.log" "$N" <<'PY'
import sys, time
end = time.time() + 600
while time.time() < end:
    with open(sys.argv[1], "rb") as f:
        if f.read().count(b"\n") >= int(sys.argv[2]):
            break
    time.sleep(0.05)
PY
end=$(date +%s.%N)
kill -TERM "$loa"
wait "$loa" || true
loa=
sent=$("$LOA" -c "$dir/conf/loa.cfg" outbox --state sent | grep -c ' sms ' || true)
loa_s=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
loa_rate=$(awk -v n="$N" -v s="$loa_s" 'BEGIN { printf "%.0f", n / s }')
printf '%-40s %7.2f s  %8s SMS/s  (%s recorded sent, incl. reconciling)\n' \
    "loa run, webhook preset" "$loa_s" "$loa_rate" "$sent"

# The reference: wrk posting the same record, 64 connections, 5 s.
cat >"$dir/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"id":"0123456789abcdef","to":"+84900000001","text":"Nhắc việc KH BENCH/SMS: thử","encoding":"ucs2","parts":1}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Idempotency-Key"] = "0123456789abcdef"
LUA
wrk -c 64 -t 2 -d 5s -s "$dir/post.lua" "http://127.0.0.1:$port/sms" >"$dir/wrk.out"
wrk_rate=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$dir/wrk.out")
printf '%-40s %7s    %8s req/s\n' "reference: wrk -c 64 -t 2 -d 5s" "" "$wrk_rate"
awk -v a="$loa_rate" -v b="$wrk_rate" 'BEGIN {
	printf "loa reaches %.2f of wrk (goal 0.5): %s\n", a / b, (a / b >= 0.5) ? "met" : "MISSED" }'

# The floor of any durable design: a bare SQLite loop doing only the same
# row updates (WAL, synchronous=FULL, claims and outcomes a batch of 64 at
# a time, as the gateway's concurrency), no HTTP at all. loa cannot go
# faster than this; wrk's rate is above it on this machine.
bare_sqlite "$dir" "$N" 64
sql_rate=$BARE_RATE
printf '%-40s %7s    %8s jobs/s\n' "floor: bare SQLite loop, same updates" "" "$sql_rate"
awk -v a="$loa_rate" -v s="$sql_rate" -v b="$wrk_rate" 'BEGIN {
	printf "the store alone reaches %.2f of wrk; loa reaches %.2f of the store\n", s / b, a / s }'
