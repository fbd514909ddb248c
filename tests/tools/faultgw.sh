# faultgw.sh: sourced by the integration tests that talk to
# tests/tools/faultgw.py (an HTTP SMS gateway that injects faults).
#
#   faultgw_start DIR [RULES]   start it, logging to DIR/gw.log; sets
#                               FAULTGW_PID and FAULTGW_PORT
#   faultgw_stop                stop it (also safe when not started)

faultgw_start() {
	rm -f "$1/gw.port"
	/usr/bin/python3 "$LOA_SRC/tests/tools/faultgw.py" "$1/gw.port" \
	    "$1/gw.log" ${2:+"$2"} 2>>"$1/gw.err" &
	FAULTGW_PID=$!
	# Until it listens (it writes its port then), while it lives; 60 s
	# bound a machine far too slow.
	i=0
	while [ ! -s "$1/gw.port" ] && [ "$i" -lt 1200 ] &&
	    kill -0 "$FAULTGW_PID" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	FAULTGW_PORT=$(cat "$1/gw.port" 2>/dev/null)
	[ -n "$FAULTGW_PORT" ]
}

faultgw_stop() {
	if [ -n "${FAULTGW_PID:-}" ]; then
		kill "$FAULTGW_PID" 2>/dev/null
		wait "$FAULTGW_PID" 2>/dev/null
	fi
	FAULTGW_PID=
}
