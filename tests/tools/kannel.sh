# kannel.sh: sourced by the tests that send through a real Kannel
# (bearerbox, smsbox and Kannel's fake SMSC, see Kannel's user guide), all on
# 127.0.0.1 on free ports.
#
#   kannel_start DIR USER PASSWORD   write DIR/kannel.conf, start the
#       three in the order that works (bearerbox, fakesmsc, smsbox) and
#       wait until the fake SMSC is online and sendsms answers; sets
#       KANNEL_SENDSMS (the sendsms port). What the fake SMSC receives is
#       in DIR/fake.out ("Got message N: <from to type data>" lines).
#   kannel_stop                      stop all three (safe when not started)

KANNEL_FAKESMSC=/usr/lib/kannel/test/fakesmsc

# N free loopback ports, one a line.
kannel_ports() {
	/usr/bin/python3 - "$1" <<'PY'
import socket, sys
ss = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
for s in ss:
    print(s.getsockname()[1])
PY
}

kannel_start() {
	set -- "$1" "$2" "$3" $(kannel_ports 4)
	KANNEL_DIR=$1
	KANNEL_SENDSMS=$7
	cat >"$1/kannel.conf" <<CONF
group = core
admin-port = $4
admin-interface = "127.0.0.1"
admin-password = adminpass
status-password = statuspass
admin-deny-ip = "*.*.*.*"
admin-allow-ip = "127.0.0.1"
smsbox-port = $5
smsbox-interface = "127.0.0.1"
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "$1/bearerbox.log"
log-level = 0
access-log = "$1/access.log"
dlr-storage = internal
store-type = file
store-location = "$1/kannel.store"

group = smsc
smsc = fake
smsc-id = FAKE
port = $6
our-host = "127.0.0.1"
connect-allow-ip = "127.0.0.1"

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $5
sendsms-port = $7
sendsms-interface = "127.0.0.1"
global-sender = 12345
log-file = "$1/smsbox.log"
log-level = 0
access-log = "$1/smsbox-access.log"

group = sendsms-user
username = $2
password = $3
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
text = "ignored"
CONF
	/usr/sbin/bearerbox -v 1 "$1/kannel.conf" >"$1/bearerbox.out" 2>&1 &
	KANNEL_BB=$!
	kannel_wait_port "$6" || return 1
	"$KANNEL_FAKESMSC" -H 127.0.0.1 -r "$6" -m 0 "100 200 text nop" \
	    >"$1/fake.out" 2>&1 &
	KANNEL_FAKE=$!
	/usr/sbin/smsbox -v 1 "$1/kannel.conf" >"$1/smsbox.out" 2>&1 &
	KANNEL_SB=$!
	kannel_wait_port "$7" || return 1
	# The fake SMSC is connected: the status page says it is online.
	i=0
	while [ "$i" -lt 100 ]; do
		curl -s "http://127.0.0.1:$4/status.txt?password=statuspass" |
		    grep -q 'FAKE.*online' && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Wait until something listens on loopback port $1 (10 s at most).
kannel_wait_port() {
	/usr/bin/python3 - "$1" <<'PY'
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

kannel_stop() {
	for p in ${KANNEL_SB:-} ${KANNEL_FAKE:-} ${KANNEL_BB:-}; do
		kill "$p" 2>/dev/null
	done
	for p in ${KANNEL_SB:-} ${KANNEL_FAKE:-} ${KANNEL_BB:-}; do
		# bearerbox takes a moment to shut down; then it is killed.
		i=0
		while kill -0 "$p" 2>/dev/null && [ "$i" -lt 30 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	KANNEL_SB= KANNEL_FAKE= KANNEL_BB=
}
