# api.sh: sourced by the tests of the HTTP API (conf/REFERENCE.md §9). Needs
# $LOA, $tmp.
#
#   api_conf DIR [EXTRA]   the seed config (conf/) copied to DIR, its
#       outbox in DIR/var, loa.http listening on a free loopback port
#       ($API_PORT; $API is http://127.0.0.1:PORT) with a token and a dlr
#       token (DIR/token, DIR/dlr-token, mode 0600: $API_TOKEN,
#       $API_DLR_TOKEN); EXTRA is appended to loa.cfg
#   api_start DIR NOW      `loa run --now NOW` in the background ($API_PID),
#       stdout/stderr in DIR/run.out, DIR/run.err; waits until /healthz
#       answers and the plans are in it (while it lives; 120 s bound a
#       machine far too slow); 1 when it did not
#   api_up DIR NOW         api_start, or the test ends there: ko with the
#       end of its log, exit 1
#   api_settle DIR         wait until nothing due waits to go and the
#       API's counts are exact: /healthz says no job is due and unsent
#       (`oldest_due_s` null), none is `sending`, and its outbox counts are
#       `outbox --json`'s (they are made anew at most once a second while
#       the outbox changes); ko after 120 s
#   api_stop               SIGTERM, wait for it (safe when not started)
#   api_free_port          print a free loopback port

api_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

api_conf() {
	mkdir -p "$1"
	cp -r "$LOA_SRC/conf/." "$1/"
	API_PORT=$(api_free_port)
	API="http://127.0.0.1:$API_PORT"
	API_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	API_DLR_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	(umask 077 && echo "$API_TOKEN" >"$1/token" &&
	    echo "$API_DLR_TOKEN" >"$1/dlr-token")
	sed -i 's|^  store = .*|  store = "var/loa.db";|' "$1/loa.cfg"
	sed -i "s|^  # http = .*|  http = { listen = \"127.0.0.1:$API_PORT\"; token_file = \"token\";|" "$1/loa.cfg"
	sed -i 's|^  #          dlr_token_file = .*|           dlr_token_file = "dlr-token"; };|' "$1/loa.cfg"
	[ -n "${2:-}" ] && printf '%s\n' "$2" >>"$1/loa.cfg"
	return 0
}

api_start() {
	"$LOA" -c "$1/loa.cfg" run --now "$2" >"$1/run.out" 2>"$1/run.err" &
	API_PID=$!
	i=0
	while [ "$i" -lt 1200 ]; do
		curl -s "$API/healthz" 2>/dev/null | grep -q '"plans":\[{' &&
		    return 0
		kill -0 "$API_PID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

api_up() {
	api_start "$1" "$2" && return 0
	ko "loa run does not serve /healthz" "$(tail -5 "$1/run.err")"
	exit 1
}

api_stop() {
	if [ -n "${API_PID:-}" ]; then
		kill "$API_PID" 2>/dev/null
		wait "$API_PID" 2>/dev/null
		API_RC=$?
	fi
	API_PID=
}

_api_settled() {
	curl -s -o "$1/settle.h" "$API/healthz" 2>/dev/null &&
	    "$LOA" -c "$1/loa.cfg" outbox --json >"$1/settle.o" 2>/dev/null &&
	    /usr/bin/python3 - "$1/settle.h" "$1/settle.o" 2>/dev/null <<'PY'
import collections, json, sys
h = json.load(open(sys.argv[1], encoding="utf-8"))
by = collections.Counter(j["state"] for j in json.load(open(sys.argv[2], encoding="utf-8")))
api = {k: v for k, v in h["outbox"].items() if v}
sys.exit(0 if h["oldest_due_s"] is None and not by["sending"] and api == dict(by) else 1)
PY
}

api_settle() {
	poll_until 120 _api_settled "$1" ||
	    ko "the due jobs did not go out, or /healthz's counts are not outbox --json's" \
	    "$(head -c 300 "$1/settle.h")"
	rm -f "$1/settle.h" "$1/settle.o"
}
