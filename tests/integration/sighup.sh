#!/bin/sh
# `loa run` as a service: SIGHUP with a broken config keeps the old plan
# running and logs why; SIGHUP with a good one reconciles (a new job due
# now goes out); SIGTERM exits 0.
. "$LOA_SRC/tests/tools/prologue.sh"
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
CFG
plan() {
	cat >"$tmp/conf/plan.cfg" <<PLAN
plan = { id = "HUP/KH"; issued = "2026-03-02"; title = "Thử tải lại"; };
people = ( { id = "lan"; name = "Nguyễn Thị Lan"; phone = "0912 345 678"; } );
tasks = ( { id = "bao-cao"; title = "Báo cáo"; owner = [ "lan" ];
            due = "$1"; remind = [ "$2" ]; } );
PLAN
}
# A reminder far ahead: the service sleeps.
plan "2030-01-10 17:00" "due - 1d at 08:00"
"$LOA" -c "$tmp/conf/loa.cfg" check >/dev/null || ko "first config"
"$LOA" -v -c "$tmp/conf/loa.cfg" run --now "2026-03-02 10:00" \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
# Running: the loop handles SIGHUP from here on (run -v says so).
poll_until 60 grep -q "running: 1 plan" "$tmp/err"
kill -0 "$pid" 2>/dev/null && ok "the service is running" || ko "not running"

# hup WHAT STATE CHECK: SIGHUP to the service; once STATE holds (a shell
# condition: what the reload does), CHECK must hold too.
hup() {
	poll_until 120 catches "$pid" 1
	kill -HUP "$pid"
	if poll_until 60 eval "$2" && eval "$3"; then
		ok "$1"
	else
		ko "$1" "$(tail -n 5 "$tmp/err")"
	fi
}

echo 'plan = { id = "HUP/KH"; issued = "2026-02-30"; };' >"$tmp/conf/plan.cfg"
hup "a broken config is refused, with the error, and the old one runs" \
    'grep -q "reload refused" "$tmp/err"' \
    'kill -0 "$pid" 2>/dev/null && grep -q "impossible date" "$tmp/err"'

# Now a reminder due at once.
plan "2026-03-05 17:00" "due - 3d at 08:00"
hup "a good config is reloaded and its due reminder sent" \
    'grep -qs "Báo cáo" "$tmp/var/outbox/sms.jsonl"' \
    'grep -q "reloaded" "$tmp/err"'

# A gateway that cannot start (its password's variable unset) refuses
# the reload: the running gateways go on.
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook";
               url = "http://127.0.0.1:9/hook"; token_env = "LOA_T_UNSET"; } );
CFG
hup "a gateway that cannot start refuses the reload, naming why" \
    'grep -q "reload refused: .*LOA_T_UNSET" "$tmp/err"' \
    'kill -0 "$pid" 2>/dev/null'

# The gateways follow the reloaded config: a new folder, and a reminder
# due now goes there.
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "file"; dir = "../var/other"; } );
CFG
sed -i 's/id = "bao-cao"; title = "Báo cáo";/id = "bao-cao-2"; title = "Báo cáo lần hai";/' \
    "$tmp/conf/plan.cfg"
hup "the reloaded gateway is the one that sends" \
    'grep -qs "Báo cáo lần hai" "$tmp/var/other/sms.jsonl"' \
    '! grep -q "lần hai" "$tmp/var/outbox/sms.jsonl"'

poll_until 120 catches "$pid" 15
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] && ok "SIGTERM exits 0" || ko "SIGTERM exit $rc"
if grep -q -e AddressSanitizer -e 'runtime error' "$tmp/err"; then
	ko "sanitizer report"
fi
"$LOA" -c "$tmp/conf/loa.cfg" outbox --state sent | grep -q "bao-cao" &&
    ok "the outbox shows the reminder sent" || ko "outbox"

finish
