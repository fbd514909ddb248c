# smtpd.sh: sourced by the smtp tests (after $tmp is set). The real SMTP
# server of the tests is tests/tools/smtpd.py (aiosmtpd, Debian's python3).
#
#   free_port                  print a free loopback port (bound and let go)
#   smtpd_start NAME ARGS...   start smtpd.py ARGS (which hold --port) and
#                              wait until it listens; its pid in $tmp/NAME.pid
#   smtpd_stop NAME            stop it and wait for it
#   smtpd_stop_all             stop every one (for the trap)
#   smtp_conf DIR URL KEYS     copy $LOA_SRC/conf to DIR/conf with one smtp
#                              gateway "mail" for email at URL, plus KEYS
#                              (more "key = value;" text of the gateway)

SMTPD_PY=/usr/bin/python3

free_port() {
	$SMTPD_PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

smtpd_start() {
	_n=$1
	shift
	rm -f "$tmp/$_n.ready"
	$SMTPD_PY "$LOA_SRC/tests/tools/smtpd.py" --ready "$tmp/$_n.ready" \
	    "$@" 2>>"$tmp/$_n.log" &
	echo $! >"$tmp/$_n.pid"
	# Until it listens (it writes --ready then), while it lives; 60 s
	# bound a machine far too slow.
	_w=0
	while [ ! -f "$tmp/$_n.ready" ] && [ "$_w" -lt 1200 ] &&
	    kill -0 "$(cat "$tmp/$_n.pid")" 2>/dev/null; do
		sleep 0.05
		_w=$((_w + 1))
	done
	[ -f "$tmp/$_n.ready" ]
}

smtpd_stop() {
	if [ -f "$tmp/$1.pid" ]; then
		kill "$(cat "$tmp/$1.pid")" 2>/dev/null
		wait "$(cat "$tmp/$1.pid")" 2>/dev/null
		rm -f "$tmp/$1.pid"
	fi
}

smtpd_stop_all() {
	for _p in "$tmp"/*.pid; do
		[ -f "$_p" ] && kill "$(cat "$_p")" 2>/dev/null
	done
}

smtp_conf() {
	rm -rf "$1/conf" "$1/var"
	cp -R "$LOA_SRC/conf" "$1/conf"
	cat >>"$1/conf/loa.cfg" <<CFG
gateways = (
  { id = "mail"; kind = "smtp"; url = "$2";
    from = "UBND xã Đại Sơn <ubnd@daison.example>"; $3 }
);
channels = { email = "mail"; };
CFG
}
