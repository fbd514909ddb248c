#!/bin/sh
# gw_quiet.sh: quiet hours are checked again at send time for a
# broadcast's SMS too (README "Delivery", **Quiet hours**; "Loudspeaker:
# SMS and emergencies"): two items air at 20:30, before quiet hours
# (21:00 to 06:30), each with an SMS to one person; the service is down
# until 22:00. Then `run --once` at 22:00 sends neither: the SMS of the one
# without `expires` waits for the end of quiet hours (sent at 06:31), the
# one whose item expires at 23:00 is expired (its moment would pass
# first). An emergency's, due at the same time, goes at 22:00.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/conf"
cfg="$tmp/conf/loa.cfg"
cat >"$cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ];
        quiet_hours = { start = "21:00"; end = "06:30"; }; };
gateways = ( { id = "sms"; kind = "file"; dir = "../var/sms"; } );
channels = { sms = "sms"; };
CFG
cat >"$tmp/conf/plan.cfg" <<'PLAN'
plan = { id = "12/TB-UBND"; issued = "2026-12-01"; title = "Thông báo"; };
people = ( { id = "an"; name = "Nguyễn Văn An"; phone = "0912 345 678"; },
           { id = "binh"; name = "Trần Thị Bình"; phone = "0987 654 321"; },
           { id = "chi"; name = "Đỗ Kim Chi"; phone = "0903 111 222"; } );
broadcasts = (
  { id = "hop"; title = "Họp dân"; text = "Họp dân thôn 1 sáng mai.";
    air = [ "2026-12-10 20:30" ]; sms_to = [ "an" ]; },
  { id = "dien"; title = "Cắt điện"; text = "Cắt điện tối nay.";
    air = [ "2026-12-10 20:30" ]; expires = "2026-12-10 23:00";
    sms_to = [ "binh" ]; },
  { id = "lu"; title = "Cảnh báo lũ"; priority = "emergency";
    text = "Nước sông dâng cao.";
    air = [ "2026-12-10 20:30" ]; sms_to = [ "chi" ]; }
);
PLAN
sms="$tmp/var/sms/sms.jsonl"

# states WHAT WANT: the SMS jobs' states, by recipient, are WANT.
states() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>>"$tmp/err"
	got=$($PY -c 'from loatest import jobs
import sys
print(" ".join("%s=%s" % (j["recipient"], j["state"]) for j in
               sorted(jobs(sys.argv[1], "sms"), key=lambda j: j["recipient"])))' \
	    "$tmp/outbox.json")
	[ "$got" = "$2" ] && ok "$1" ||
	    ko "$1" "got $got, expected $2: $(cat "$tmp/err")"
}
# who: the recipients' numbers in sms.jsonl, in order.
who() {
	[ -f "$sms" ] || return 0
	$PY -c 'from loatest import jsonl
import sys
print(" ".join(r["to"] for r in jsonl(sys.argv[1])))' "$sms"
}

"$LOA" -c "$cfg" run --once --now "2026-12-10 22:00" >"$tmp/out" 2>>"$tmp/err" ||
    ko "run --once at 22:00" "$(cat "$tmp/err")"
states "at 22:00: only the emergency's SMS sent; the other waits; the one expiring at 23:00 expired" \
    "an=pending binh=expired chi=sent"
grep -q '"recipient": "binh".*"reason": "quiet hours until its moment passed"' "$tmp/outbox.json" &&
    ok "at 22:00: expired for quiet hours, said so" ||
    ko "the reason of the expired SMS" "$(cat "$tmp/outbox.json")"
[ "$(who)" = "+84903111222" ] && ok "at 22:00: only the emergency's SMS at the gateway" ||
    ko "at 22:00, the gateway got" "$(who)"
"$LOA" -c "$cfg" run --once --now "2026-12-11 06:20" >>"$tmp/out" 2>>"$tmp/err"
states "at 06:20 (quiet hours still): it waits" "an=pending binh=expired chi=sent"
"$LOA" -c "$cfg" run --once --now "2026-12-11 06:31" >>"$tmp/out" 2>>"$tmp/err"
states "at 06:31, after quiet hours: sent" "an=sent binh=expired chi=sent"
[ "$(who)" = "+84903111222 +84912345678" ] && ok "at 06:31: the gateway got it" ||
    ko "at 06:31, the gateway got" "$(who)"

finish
