#!/bin/sh
# The HTTP API's benchmark (not a test), called by scripts/bench.
#
# 1. loa sends 20,000 SMS (webhook preset, concurrency 64) to a local nginx
#    that answers 200, with loa.http listening: once with the API idle (the
#    reference), once while two wrk runs (8 connections each, 10 s) load
#    /healthz and /calendar.ics. Prints each wrk's requests/s and p99, and
#    the send rate with and without the load (goals: p99 under 20 ms, the
#    rate drops less than 10%).
# 2. The feed of 10,000 events and 10,000 tasks (gen-plan.py): GET
#    /calendar.ics from the snapshot, against `loa ics --all` making it
#    anew, in the same run.
#
#   scripts/bench.d/api.sh [LOA]
#
# BENCH_SMS_JOBS sets the number of SMS (default 20000), BENCH_FEED_EVENTS
# the feed's events (default 10000).
set -eu
cd "$(dirname "$0")/../.."
LOA=${1:-./build/loa}
N=${BENCH_SMS_JOBS:-20000}
FEV=${BENCH_FEED_EVENTS:-10000}
dir=$(mktemp -d)
ngx=
loa=
trap '[ -n "$loa" ] && kill -9 "$loa" 2>/dev/null; [ -n "$ngx" ] && kill "$ngx" 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
. tests/tools/smsplan.sh

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
	python3 - "$1" <<'PY'
import socket, sys, time
for _ in range(200):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

port=$(free_port)
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
  server {
    listen 127.0.0.1:$port;
    location /sms { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" &
ngx=$!
wait_port "$port"

# conf NAME: a config sending the SMS to nginx, the API on its own port.
conf() {
	mkdir -p "$dir/$1"
	(umask 077 && echo "bench-token-0123456789abcdef" >"$dir/$1/token")
	api=$(free_port)
	echo "$api" >"$dir/$1/port"
	cat >"$dir/$1/loa.cfg" <<CFG
loa = { store = "var/loa.db"; plans = [ "plan.cfg" ];
  http = { listen = "127.0.0.1:$api"; token_file = "token"; }; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
  url = "http://127.0.0.1:$port/sms"; concurrency = 64; } );
channels = { sms = "sms"; };
CFG
	sms_plan "$dir/$1/plan.cfg" "$N" "BENCH/API"
	"$LOA" -c "$dir/$1/loa.cfg" run --once --now "2026-03-02 08:00" >/dev/null
}

# send NAME LOAD: the seconds loa takes to send the N SMS (nginx's log),
# with wrk loading the API when LOAD is 1.
send() {
	: >"$dir/nginx/logs/access.log"
	api=$(cat "$dir/$1/port")
	start=$(date +%s.%N)
	"$LOA" -c "$dir/$1/loa.cfg" run --now "2026-03-02 09:00" >/dev/null 2>"$dir/$1/err" &
	loa=$!
	if [ "$2" = 1 ]; then
		wait_port "$api"
		wrk -c 8 -t 1 -d 10s --latency "http://127.0.0.1:$api/healthz" >"$dir/wrk-h" &
		w1=$!
		wrk -c 8 -t 1 -d 10s --latency "http://127.0.0.1:$api/calendar.ics" >"$dir/wrk-c" &
		w2=$!
	fi
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
	[ "$2" = 1 ] && wait "$w1" "$w2"
	kill -TERM "$loa"
	wait "$loa" || true
	loa=
	awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}

conf idle
conf load
echo
echo "== api: $N SMS to nginx (webhook, concurrency 64) with loa.http listening"
idle_s=$(send idle 0)
load_s=$(send load 1)
idle_r=$(awk -v n="$N" -v s="$idle_s" 'BEGIN { printf "%.0f", n / s }')
load_r=$(awk -v n="$N" -v s="$load_s" 'BEGIN { printf "%.0f", n / s }')
printf '%-44s %7.2f s  %7s SMS/s\n' "loa run, the API idle (reference)" "$idle_s" "$idle_r"
printf '%-44s %7.2f s  %7s SMS/s\n' "loa run, wrk on /healthz and /calendar.ics" "$load_s" "$load_r"
for w in h c; do
	what=$([ $w = h ] && echo /healthz || echo /calendar.ics)
	rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$dir/wrk-$w")
	p99=$(awk '$1 == "99%" { print $2 }' "$dir/wrk-$w")
	printf '%-44s %7s req/s  p99 %s\n' "wrk -c 8 -t 1 -d 10s $what" "$rps" "$p99"
done
awk -v a="$idle_r" -v b="$load_r" 'BEGIN {
	d = (a - b) / a * 100
	printf "the send rate under API load: %.2f of the idle rate (%.1f%% drop; goal under 10%%): %s\n",
	    b / a, d, (d < 10) ? "met" : "MISSED" }'
for w in h c; do
	awk -v w="$w" '$1 == "99%" {
		v = $2; ms = v + 0
		if (v ~ /us$/) ms = ms / 1000; else if (v ~ /s$/ && v !~ /ms$/) ms = ms * 1000
		printf "p99 of %s: %.2f ms (goal under 20 ms): %s\n", (w == "h") ? "/healthz" : "/calendar.ics",
		    ms, (ms < 20) ? "met" : "MISSED" }' "$dir/wrk-$w"
done

# 2. The feed: served from the snapshot against made anew.
mkdir -p "$dir/feed"
python3 scripts/bench.d/gen-plan.py "$dir/feed" "$FEV" 5 2000 >/dev/null
fport=$(free_port)
(umask 077 && echo "bench-token-0123456789abcdef" >"$dir/feed/token")
sed -i "s|^loa = {|loa = { http = { listen = \"127.0.0.1:$fport\"; token_file = \"token\"; };|" "$dir/feed/loa.cfg"
echo
echo "== feed: $FEV events x 5 attendees, $FEV tasks"
s=$(date +%s.%N)
"$LOA" -c "$dir/feed/loa.cfg" ics --all >"$dir/feed.ics"
e=$(date +%s.%N)
ics_s=$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')
printf '%-44s %7.2f s  (%s bytes)\n' "loa ics --all" "$ics_s" "$(wc -c <"$dir/feed.ics")"
"$LOA" -c "$dir/feed/loa.cfg" run >/dev/null 2>"$dir/feed/err" &
loa=$!
i=0
until curl -s "http://127.0.0.1:$fport/healthz" | grep -q '"plans":\[{' || [ "$i" -gt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
wrk -c 4 -t 1 -d 5s --latency -H 'Accept-Encoding: gzip' "http://127.0.0.1:$fport/calendar.ics" >"$dir/wrk-f"
kill -TERM "$loa"
wait "$loa" || true
loa=
frps=$(awk '/Requests\/sec/ { printf "%.1f", $2 }' "$dir/wrk-f")
printf '%-44s %7s feeds/s (gzip, p99 %s)\n' "GET /calendar.ics, wrk -c 4 -d 5s" "$frps" \
    "$(awk '$1 == "99%" { print $2 }' "$dir/wrk-f")"
awk -v r="$frps" -v s="$ics_s" 'BEGIN {
	printf "the cached feed over HTTP: %.0fx the feeds a second of loa ics --all\n", r * s }'
