#!/bin/sh
# Prompt signals (README "The service"), on a 100,000-person plan (100,000
# SMS): SIGTERM during the load, during the first reconciliation and while
# sending exits 0, the reconciliation rolled back (the store unchanged);
# kill -9 rounds in between; SIGHUP while sending reloads between batches,
# not after every due job. Nothing is lost: after a final clean run every
# job is there and sent. The store is on a tmpfs when root (fsync is what
# sending costs; the test is about signals).
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smsplan.sh"
pid=
mounted=
at_exit '[ -n "$mounted" ] && umount "$tmp/var"'
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; wait 2>/dev/null'
N=${TERM_JOBS:-100000}
if grep -q __asan_init "$LOA" 2>/dev/null && [ -z "${TERM_JOBS:-}" ]; then
	N=20000
	echo "a sanitizer build: $N people, to stay within the test's time"
fi
mkdir -p "$tmp/conf" "$tmp/var"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=1g,mode=0700 tmpfs "$tmp/var" 2>/dev/null; then
	mounted=1
fi
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
CFG
sms_plan "$tmp/conf/plan.cfg" "$N" "TERM/KH"
cfg="$tmp/conf/loa.cfg"
sms="$tmp/var/outbox/sms.jsonl"
lines() { [ -f "$sms" ] && wc -l <"$sms" || echo 0; }

lock="$tmp/var/loa.db.lock"

# The states a signal waits for, each of the loa process $pid:
#   loading   its handlers are in place (SigCgt has SIGTERM), the config
#             still loading (the store's lock does not name it yet)
#   store     the config loaded: the store's lock names it, the
#             reconciliation of 100,000 new jobs follows
#   sending   sms.jsonl has grown since the start ($n0)
locked() { [ "$(cat "$lock" 2>/dev/null)" = "$pid" ]; }
state() {
	case $1 in
	loading) catches "$pid" 15 ;;
	store) locked ;;
	sending) [ "$(lines)" -gt "$n0" ] ;;
	esac
}

# Start loa run; once in state $1 send it signal $2; print the exit code
# and whether the signal came before the store was locked ("load" or
# "store"). The exit is waited for with a hang guard only (a far too slow
# machine); "hang" when it never came.
exited() { ! alive "$pid"; }
stop() { # signal: send it, wait for the exit, set rc
	kill "-$1" "$pid"
	if poll_until 120 exited; then
		wait "$pid"
		rc=$?
	else
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rc=hang
	fi
	pid=
}
round() {
	n0=$(lines)
	"$LOA" -v -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" &
	pid=$!
	poll_until 600 state "$1" || echo "never $1: $(tail -2 "$tmp/err")" >&2
	where=load
	locked && where=store
	stop "$2"
	echo "$rc $where"
}
# The jobs of the store, by state (none without a store yet).
census() {
	[ -f "$tmp/var/loa.db" ] || { echo "[]"; return; }
	"$LOA" -c "$cfg" outbox --json >"$tmp/census.json" 2>/dev/null || { echo error; return; }
	$PY - "$tmp/census.json" <<'PY'
import collections
from loatest import arg, jobs
print(sorted(collections.Counter(j["state"] for j in jobs(arg(1))).items()))
PY
}
# A SIGTERM round: exit 0, and the store as it was before the round when
# the reconciliation rolled back (no partial rows); a signal that came once
# it was done stops the sends between batches: nothing left "sending".
term() { # state what-log
	before=$(census)
	set -- "$1" "$2" $(round "$1" TERM)
	after=$(census)
	if [ "$3" != 0 ]; then
		ko "SIGTERM $2" "exit $3: $(tail -2 "$tmp/err")"
	elif [ "$before" = "$after" ]; then
		ok "SIGTERM $2: exit 0, the store unchanged"
	elif ! grep -q "rolled back" "$tmp/err" && ! echo "$after" | grep -q sending; then
		ok "SIGTERM $2: exit 0 after the reconciliation, nothing left sending"
	else
		ko "SIGTERM $2" "jobs $before -> $after: $(tail -2 "$tmp/err")"
	fi
}
term loading "during the load"
set -- $(round loading TERM)
[ "$1" = 0 ] && [ "$2" = load ] &&
    ok "SIGTERM as soon as the handlers are in: exit 0 before the store is touched" ||
    ko "SIGTERM as soon as the handlers are in" "exit $1, at the $2"
term store "during the first reconciliation"
grep -q "stopped by a signal and rolled back" "$tmp/err" &&
    ok "the reconciliation gave way and rolled back" ||
    echo "note: the SIGTERM did not land in the reconciliation: $(tail -2 "$tmp/err")"
set -- $(round store KILL 2>/dev/null)
echo "kill -9 during the reconciliation"
term store "during a later reconciliation"
set -- $(round sending KILL 2>/dev/null)
echo "kill -9 while sending"

# While sending: SIGHUP reloads between batches, SIGTERM stops the sends.
# A store of its own, so that the rounds above (which may have sent much
# on a slow build) leave it all to send.
sed 's|"../var/loa.db"|"../var/send/loa.db"|' "$cfg" >"$tmp/conf/send.cfg"
main_cfg=$cfg
main_sms=$sms
cfg="$tmp/conf/send.cfg"
sms="$tmp/var/send/outbox/sms.jsonl"
n0=$(lines)
"$LOA" -v -c "$cfg" run --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" &
pid=$!
poll_until 600 state sending || echo "never sending: $(tail -2 "$tmp/err")"
poll_until 120 catches "$pid" 1
kill -HUP "$pid"
reloading() { grep -q "SIGHUP: reloading" "$tmp/err"; }
poll_until 600 reloading
n=$(lines)
reloading && [ "$n" -lt "$N" ] &&
    ok "SIGHUP while sending: the reload starts between batches, $n of $N sent" ||
    ko "SIGHUP while sending: $n of $N sent" "$(tail -2 "$tmp/err")"
stop TERM
n=$(lines)
[ "$rc" = 0 ] && [ "$n" -lt "$N" ] &&
    ok "SIGTERM while sending: exit 0, $n of $N sent" ||
    ko "SIGTERM while sending: exit $rc, $n of $N sent" "$(tail -2 "$tmp/err")"
"$LOA" -c "$cfg" outbox --json >"$tmp/mid.json"
$PY - "$tmp/mid.json" <<'PY' &&
import collections
from loatest import arg, jobs
s = collections.Counter(j["state"] for j in jobs(arg(1)))
print("after the stop:", dict(s))
raise SystemExit(0 if s.get("pending", 0) > 0 and "sending" not in s else 1)
PY
    ok "what was not sent stays pending, nothing left sending" || ko "states after the stop"

# A final clean run of the first store: everything there, everything sent.
cfg=$main_cfg
sms=$main_sms
"$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" ||
    ko "final run: $(tail -2 "$tmp/err")"
"$LOA" -c "$cfg" outbox --json >"$tmp/end.json"
$PY - "$tmp/end.json" "$sms" "$N" <<'PY' && ok "all $N jobs there and sent, each with its line" || ko "jobs lost"
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
ids = {r["id"] for r in jsonl(arg(2))}
sent = [j for j in js if j["state"] == "sent"]
print("%d jobs, %d sent, %d ids delivered" % (len(js), len(sent), len(ids)))
raise SystemExit(0 if len(js) == int(arg(3)) == len(sent) and all(j["id"] in ids for j in sent) else 1)
PY
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report"
fi
finish
