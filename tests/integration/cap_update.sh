#!/bin/sh
# CAP Update and Cancel jobs (README "Loudspeaker: SMS and emergencies"):
# an emergency item handed to the station (run --once) is remembered with
# the reference of its alert; its text changed and the service reloaded
# (run --once again), it gets a broadcast job with the payload
# "cap Update REFS", handed at once; its title changed, another, whose
# REFS names both alerts sent; its title alone, then one cap value alone
# changed, one more each; removed from the plan, "cap Cancel REFS"
# naming all five. A reload with nothing changed makes no job, and an
# emergency not yet handed gets no Update for its changes. Checked on
# `outbox --json` (payload, state, channel, priority) and the spool.
. "$LOA_SRC/tests/tools/prologue.sh"
py=/usr/bin/python3

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = ( { id = "speaker"; kind = "spool"; dir = "../var/broadcast"; },
             { id = "sms"; kind = "file"; dir = "../var/sms"; } );
channels = { broadcast = "speaker"; sms = "sms"; };
broadcast = {
  slots = ( { name = "Sáng"; days = "mon-sun"; start = "06:00"; end = "06:30"; } ); };
CFG
plan() { # TITLE TEXT [no] [BAO_TEXT] [CAP]: the plan, with the flood item
	# (its cap = { CAP } when given) unless $3 is "no"
	{
		echo 'plan = { id = "9/TB-UBND"; issued = "2026-12-01"; title = "Thông báo";'
		echo '         issuer = "UBND xã Đại Sơn"; };'
		echo 'broadcasts = ('
		[ "${3:-}" = no ] || {
			echo "  { id = \"lu-lut\"; title = \"$1\"; priority = \"emergency\";"
			capl=
			[ -z "${5:-}" ] || capl=" cap = { $5 };"
			echo "    text = \"$2\"; air = [ \"2026-12-10 23:00\" ];$capl },"
		}
		echo '  { id = "bao"; title = "Bão số 3"; priority = "emergency";'
		echo "    text = \"${4:-Bão vào bờ sáng mai.}\"; air = [ \"2026-12-11 05:00\" ]; },"
		echo '  { id = "tin"; title = "Tin xã"; text = "Họp thôn tối thứ Sáu.";'
		echo '    air = [ "2026-12-11 06:00" ]; }'
		echo ');'
	} >"$tmp/conf/plan.cfg"
}
cfg="$tmp/conf/loa.cfg"
run() { # NOW
	"$LOA" -c "$cfg" run --once --now "$1" >>"$tmp/run.log" 2>&1 ||
	    ko "run --once --now $1" "$(tail -3 "$tmp/run.log")"
	"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" 2>/dev/null || ko "outbox --json"
}
# check WHAT: the outbox's CAP jobs against what the Python reads from
# $want (a list of [msgType, [alert job ids]]), every one sent and in the
# spool.
check() {
	if out=$($py - "$tmp/ob.json" "$tmp/var/broadcast" "$want" 2>&1 <<'PY'
from loatest import load
import json, os, sys
jobs = load(sys.argv[1])
spool = sys.argv[2]
want = json.loads(sys.argv[3])
byid = {j["id"]: j for j in jobs}
cap = [j for j in jobs if j.get("payload") and j["state"] != "cancelled"]
bad = []
if len(cap) != len(want):
    bad.append("%d CAP jobs, want %d: %s" % (len(cap), len(want), [j.get("payload") for j in cap]))
# In the order made: by sent_at, then id (one run --once a step).
cap.sort(key=lambda j: (j["sent_at"] or "", j["due"]))
for j, (kind, refs) in zip(cap, want):
    exp = "cap %s " % kind + " ".join(
        "loa,loa-%s,%s" % (r, byid[r]["sent_at"]) for r in refs)
    if j["payload"] != exp:
        bad.append("payload %r, want %r" % (j["payload"], exp))
    if (j["kind"], j["channel"], j["object"], j["priority"], j["state"], j["slot"]) != \
       ("broadcast", "broadcast", "lu-lut", "emergency", "sent", None):
        bad.append("job %s: %s" % (j["id"], j))
    if j["due"] != j["sent_at"]:
        bad.append("job %s not handed at once: due %s sent %s" % (j["id"], j["due"], j["sent_at"]))
    if not os.path.exists(os.path.join(spool, j["id"] + ".json")):
        bad.append("%s.json not in the spool" % j["id"])
if any(j.get("payload") and j["object"] != "lu-lut" for j in jobs):
    bad.append("a CAP job for another item")
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
	); then ok "$1"; else ko "$1" "$out"; fi
}
alert() { # the id of the first alert, the flood item's airing
	$py -c 'import json, sys
print([j["id"] for j in json.load(open(sys.argv[1])) if j["object"] == "lu-lut" and j["channel"] == "broadcast" and not j.get("payload")][0])' "$tmp/ob.json"
}

plan "Cảnh báo lũ" "Nước sông dâng cao, bà con vùng trũng di chuyển ngay."
"$LOA" -c "$cfg" check >"$tmp/check" 2>&1 && ok "the config checks" ||
    ko "the config does not check" "$(cat "$tmp/check")"
run "2026-12-10 23:30"
a0=$(alert)
want='[]'
check "the first alert handed: no CAP job yet"
[ -f "$tmp/var/broadcast/$a0.json" ] && ok "the alert is in the spool" || ko "no $a0.json"

plan "Cảnh báo lũ" "Nước sông dâng cao, bà con vùng trũng lên nhà văn hóa xã." "" "Bão vào bờ chiều mai."
run "2026-12-10 23:40"
u1=$($py -c 'import json, sys
print(" ".join(j["id"] for j in json.load(open(sys.argv[1])) if j.get("payload")))' "$tmp/ob.json")
want="[[\"Update\", [\"$a0\"]]]"
check "its text changed: a cap Update referencing the alert, handed at once"
$py -c 'import json, sys
j = [j for j in json.load(open(sys.argv[1])) if j["object"] == "bao"]
sys.exit(0 if len(j) == 1 and j[0]["state"] == "pending" else 1)' "$tmp/ob.json" &&
    ok "an emergency not yet handed gets no Update for its change" ||
    ko "bao has CAP jobs"

n0=$(grep -c '"id"' "$tmp/ob.json")
run "2026-12-10 23:41"
run "2026-12-10 23:42"
n1=$(grep -c '"id"' "$tmp/ob.json")
[ "$n0" -eq "$n1" ] && ok "reloads with nothing changed make no job" ||
    ko "reloads made $((n1 - n0)) jobs"
check "still the one Update after two reloads"

# A change whose Update the spool cannot take (it stays unsent, failed),
# then another: the newer supersedes it.
plan "Cảnh báo lũ" "Nước sông dâng rất cao, bà con vùng trũng lên nhà văn hóa xã." "" "Bão vào bờ chiều mai."
LOA_FAULT=rename:1+ "$LOA" -c "$cfg" run --once --now "2026-12-10 23:43" >>"$tmp/run.log" 2>&1
plan "Cảnh báo lũ khẩn cấp" "Nước sông dâng cao, bà con vùng trũng lên nhà văn hóa xã." "" "Bão vào bờ chiều mai."
run "2026-12-10 23:45"
$py -c 'import json, sys
c = [j for j in json.load(open(sys.argv[1])) if j.get("payload") and j["state"] == "cancelled"]
sys.exit(0 if len(c) == 1 and c[0]["reason"] == "superseded" and c[0]["attempts"] == 1 else 1)' "$tmp/ob.json" &&
    ok "an unsent Update is superseded by the newer one" ||
    ko "no superseded Update" "$(grep payload "$tmp/ob.json")"
want="[[\"Update\", [\"$a0\"]], [\"Update\", [\"$a0\", \"$u1\"]]]"
check "its title changed: a second Update referencing both alerts sent"
last_sent() { # the id of the last CAP job sent
	$py -c 'import json, sys
c = sorted((j for j in json.load(open(sys.argv[1])) if j.get("payload") and j["state"] == "sent"), key=lambda j: j["sent_at"])
print(c[-1]["id"])' "$tmp/ob.json"
}
u2=$(last_sent)

# One field alone changed is an Update: the title (the text as before),
# then one of the item's cap values.
plan "Cảnh báo lũ khẩn cấp!" "Nước sông dâng cao, bà con vùng trũng lên nhà văn hóa xã." "" "Bão vào bờ chiều mai."
run "2026-12-10 23:46"
want="[[\"Update\", [\"$a0\"]], [\"Update\", [\"$a0\", \"$u1\"]], [\"Update\", [\"$a0\", \"$u1\", \"$u2\"]]]"
check "its title alone changed: an Update"
u3=$(last_sent)
plan "Cảnh báo lũ khẩn cấp!" "Nước sông dâng cao, bà con vùng trũng lên nhà văn hóa xã." "" "Bão vào bờ chiều mai." \
    'instruction = "Lên nhà văn hóa xã.";'
run "2026-12-10 23:47"
want="[[\"Update\", [\"$a0\"]], [\"Update\", [\"$a0\", \"$u1\"]], [\"Update\", [\"$a0\", \"$u1\", \"$u2\"]], [\"Update\", [\"$a0\", \"$u1\", \"$u2\", \"$u3\"]]]"
check "its cap instruction alone changed: an Update"
u4=$(last_sent)

plan "" "" no "Bão vào bờ chiều mai."
run "2026-12-10 23:50"
want="[[\"Update\", [\"$a0\"]], [\"Update\", [\"$a0\", \"$u1\"]], [\"Update\", [\"$a0\", \"$u1\", \"$u2\"]], [\"Update\", [\"$a0\", \"$u1\", \"$u2\", \"$u3\"]], [\"Cancel\", [\"$a0\", \"$u1\", \"$u2\", \"$u3\", \"$u4\"]]]"
check "removed from the plan: a cap Cancel referencing all five"
run "2026-12-10 23:55"
check "a reload after the Cancel makes no job"

finish
