#!/bin/sh
# lateness.sh: conf/REFERENCE.md §6 lateness of broadcasts and of reminders,
# through the binary as a user meets it.
#   - a broadcast not sent by its `expires` (loa was down) is `expired`; one
#     still before it goes;
#   - a broadcast without `expires` goes up to an hour after its planned
#     time, and is `expired` after that;
#   - a task reminder that falls at or after the task's deadline is shown
#     `expired` by `timeline` and warned about by `check`.
# Each case runs `loa run --once --now T` on a fresh store. Needs LOA.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'EOF'
loa = {
  timezone = "Asia/Ho_Chi_Minh";
  store = "../var/loa.db";
  plans = [ "plan.cfg" ];
};
broadcast = {
  slots = ( { name = "Sáng"; days = "daily"; start = "06:00"; end = "06:30"; } );
};
EOF
cat >"$tmp/conf/plan.cfg" <<'EOF'
plan = {
  id = "9/KH"; issued = "2026-05-01"; title = "Thử"; issuer = "UBND xã";
  signed_by = "an";
};
people = ( { id = "an"; name = "An"; email = "an@x.example"; } );
tasks = (
  { id = "bao-cao"; title = "Báo cáo"; owner = "an"; due = "2026-05-04 10:00";
    remind = [ "due + 1h" ]; channels = [ "email" ]; }
);
broadcasts = (
  { id = "co-han"; title = "Có hạn"; text = "Thông báo có hạn.";
    air = [ "2026-05-04 06:00" ]; expires = "2026-05-04 06:20"; },
  { id = "khong-han"; title = "Không hạn"; text = "Thông báo không hạn.";
    air = [ "2026-05-05 06:00" ]; }
);
EOF
cfg="$tmp/conf/loa.cfg"

# The state of broadcast $1 after `run --once --now $2` on a fresh store.
state_at() {
	rm -rf "$tmp/var"
	"$LOA" -c "$cfg" run --once --now "$2" >/dev/null 2>"$tmp/err"
	"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" 2>/dev/null
	$PY -c '
from loatest import jobs, arg
for j in jobs(arg(1)):
    if j["object"] == arg(2):
        print(j["state"])' "$tmp/ob.json" "$1"
}

check_state() {
	got=$(state_at "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1 at $2: $3"
	else
		ko "$1 at $2: '$got', want $3: $(cat "$tmp/err")"
	fi
}

check_state co-han "2026-05-04 06:15" sent
check_state co-han "2026-05-04 06:25" expired
check_state khong-han "2026-05-05 06:50" sent
check_state khong-han "2026-05-05 07:10" expired

# A reminder after the deadline: expired in the timeline, warned by check.
"$LOA" -c "$cfg" timeline --json >"$tmp/tl.json" 2>/dev/null
st=$($PY -c '
from loatest import jobs, arg
for j in jobs(arg(1)):
    if j["kind"] == "task-reminder":
        print(j["state"])' "$tmp/tl.json")
if [ "$st" = expired ]; then
	ok "a task reminder after its deadline is expired in the timeline"
else
	ko "a task reminder after its deadline: '$st' in the timeline"
fi
"$LOA" -c "$cfg" check >/dev/null 2>"$tmp/check.err"
if grep -q 'plan.cfg:[0-9]*: warning: .*task-reminder falls at or after' \
    "$tmp/check.err"; then
	ok "check warns of a task reminder after its deadline, with its line"
else
	ko "check: no warning of the late reminder: $(cat "$tmp/check.err")"
fi

finish
