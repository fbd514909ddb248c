#!/bin/sh
# broadcast_cli.sh: the loudspeaker's queue through `loa broadcast`
# (conf/REFERENCE.md §7, §8) against a store, things handed by `loa run --once
# --now T` into a spool, JSON read by Python:
#   - add (normal, high, emergency) prints ids; list and rundown show the
#     plan's and the ad-hoc items, a later high one ahead of normal ones;
#   - what was handed keeps its place when a high item comes after;
#   - aired by item id records state delivered ("aired") with the time;
#   - cancel of a plan item holds across run --once (a reload);
#   - a running `loa run` plans an emergency added at once (SIGHUP): in
#     the spool within seconds, at night, outside any slot;
#   - bad input exits non-zero with a message, the outbox the same.
# Needs LOA.
. "$LOA_SRC/tests/tools/prologue.sh"
pid=
at_exit '[ -n "$pid" ] && kill "$pid" 2>/dev/null'

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'EOF'
loa = {
  timezone = "Asia/Ho_Chi_Minh";
  store = "../var/loa.db";
  plans = [ "plan.cfg" ];
};
gateways = ( { id = "loa-xa"; kind = "spool"; dir = "../var/spool"; } );
channels = { broadcast = "loa-xa"; };
broadcast = {
  slots = ( { name = "Sáng"; days = "daily"; start = "06:00"; end = "06:05"; },
            { name = "Chiều"; days = "mon-fri"; start = "17:00"; end = "17:05"; } );
  words_per_minute = 60;
  gap = "10s";
};
EOF
cat >"$tmp/conf/plan.cfg" <<'EOF'
plan = { id = "9/KH"; issued = "2026-05-01"; title = "Thử"; issuer = "UBND xã Đại Sơn"; };
broadcasts = (
  { id = "tin-a"; title = "Tin A"; text = "một hai ba bốn năm sáu bảy tám chín mười";
    air = [ "2026-05-04 05:00" ]; },
  { id = "tin-b"; title = "Tin B"; text = "một hai ba bốn năm sáu bảy tám chín mười";
    air = [ "2026-05-04 05:30" ]; },
  { id = "tin-c"; title = "Tin C"; text = "một hai ba bốn năm";
    air = [ "2026-05-04 05:40", "2026-05-05 05:00" ]; }
);
EOF
cfg="$tmp/conf/loa.cfg"
b() { "$LOA" -c "$cfg" broadcast "$@"; }

# JSON helpers: the rundown's slot items as "item@HH:MM:SS state", and one
# airing's field from list --json.
order() {
	b rundown --date "$1" --json --now "$2" >"$tmp/rd.json" 2>"$tmp/err" || return 1
	$PY - "$tmp/rd.json" "$3" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for s in r["slots"]:
    if s["slot"] == sys.argv[2]:
        print(" ".join("%s@%s/%s" % (i["item"], i["planned"][11:19], i["state"]) for i in s["items"]))
EOF
}

# 1. add prints ids; the high one goes ahead of the plan's normal ones.
id1=$(b add --title "Cắt điện" --text "Ngày mai cắt điện từ tám giờ sáng" --air "2026-05-04 05:50" --now "2026-05-04 04:00" 2>"$tmp/err")
[ "$id1" = "tin-1" ] && ok "add prints the new id" || ko "add prints the new id" "$id1 $(cat "$tmp/err")"
got=$(order 2026-05-04 "2026-05-04 04:00" "Sáng")
want="tin-a@06:00:00/pending tin-b@06:00:20/pending tin-c@06:00:40/pending tin-1@06:00:55/pending"
[ "$got" = "$want" ] && ok "rundown: the plan's and the ad-hoc item by air time" || ko "rundown order" "$got"

# An item that finds no slot before it expires: said at once, and shown in
# the rundown's unplaced with the reason, never dropped.
idx=$(b add --title "Hết hạn" --text "Tin sẽ hết hạn" --expires "2026-05-04 04:30" --now "2026-05-04 04:00" 2>"$tmp/err")
grep -q "$idx: not placed: no slot with room before it expires" "$tmp/err" &&
	ok "add says an item finds no slot" || ko "add says an item finds no slot" "$(cat "$tmp/err")"
b rundown --date 2026-05-04 --json --now "2026-05-04 04:01" >"$tmp/rd.json"
$PY - "$tmp/rd.json" "$idx" <<'EOF' && ok "rundown: what did not fit and why" || ko "rundown: what did not fit and why"
import json, sys
r = json.load(open(sys.argv[1]))
u = [e for e in r["unplaced"] if e["item"] == sys.argv[2]]
assert len(u) == 1 and u[0]["state"] == "skipped" and "expires" in u[0]["reason"], r["unplaced"]
assert r["date"] == "2026-05-04" and [s["slot"] for s in r["slots"]] == ["Sáng", "Chiều"], r
EOF

# 2. run hands tin-a; then a high item: ahead of the normal ones not aired,
#    tin-a keeps its place.
"$LOA" -c "$cfg" run --once --now "2026-05-04 06:00:05" >/dev/null 2>"$tmp/err"
id2=$(b add --title "Khẩn: nước" --text "Nước sông lên cao" --priority high --air "2026-05-04 05:59" --now "2026-05-04 06:00:06" 2>>"$tmp/err")
got=$(order 2026-05-04 "2026-05-04 06:00:07" "Sáng")
# The high item's air time passed: it airs from now, next in the slot on
# air (after tin-a, handed), ahead of tin-b, not yet aired.
case "$got" in
"tin-a@06:00:00/sent $id2@06:00:20/pending tin-b@"*) ok "what was handed keeps its place" ;;
*) ko "what was handed keeps its place" "$got" ;;
esac
got2=$(order 2026-05-04 "2026-05-04 06:00:07" "Chiều")
case "$got2" in
*"$id2@"*) ko "a high item that comes during a slot airs in it" "$got2" ;;
*) ok "a high item that comes during a slot airs next in it" ;;
esac
id3=$(b add --title "Họp" --text "Họp dân lúc bảy giờ" --priority high --air "2026-05-05 05:00" --now "2026-05-04 06:00:08" 2>"$tmp/err")
got=$(order 2026-05-05 "2026-05-04 06:00:08" "Sáng")
want="$id3@06:00:00/pending tin-c@06:00:15/pending"
[ "$got" = "$want" ] && ok "a high item that comes later goes ahead of normal ones" || ko "high ahead" "$got"

# 3. aired by item id: delivered with the time, an attempt "aired".
b aired tin-a --at "2026-05-04 06:00:02" --now "2026-05-04 06:00:30" >"$tmp/out" 2>"$tmp/err" &&
	grep -q "aired at 2026-05-04T06:00:02+07:00" "$tmp/out" &&
	ok "aired by item id" || ko "aired by item id" "$(cat "$tmp/out" "$tmp/err")"
b list --json --now "2026-05-04 06:00:30" >"$tmp/list.json"
"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json"
$PY - "$tmp/list.json" "$tmp/ob.json" <<'EOF' && ok "list and outbox show it aired" || ko "list and outbox show it aired"
import json, sys
items = {(i["plan"], i["id"]): i for i in json.load(open(sys.argv[1]))}
a = items[("9/KH", "tin-a")]["airings"][0]
assert a["state"] == "aired" and a["aired_at"] == "2026-05-04T06:00:02+07:00", a
assert items[("ad-hoc", "tin-1")]["title"] == "Cắt điện"
ob = {j["object"]: j for j in json.load(open(sys.argv[2])) if j["plan"] == "9/KH"}
assert ob["tin-a"]["state"] == "delivered", ob["tin-a"]
EOF
$PY - "$tmp/var/loa.db" <<'EOF' && ok "an attempt row aired" || ko "an attempt row aired"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("select count(*) from attempts where outcome = 'aired'").fetchone()[0]
assert n == 1, n
EOF

got=$(order 2026-05-04 "2026-05-04 06:00:31" "Sáng")
case "$got" in
"tin-a@06:00:00/aired tin-b@06:00:20/pending"*) ok "rundown: the aired item where it aired" ;;
*) ko "rundown: the aired item where it aired" "$got" ;;
esac

# 4. cancel of a plan item survives a reload (run --once reconciles).
b cancel 9/KH:tin-c --now "2026-05-04 06:00:31" >"$tmp/out" 2>"$tmp/err" &&
	grep -q "2 airings cancelled" "$tmp/out" && ok "cancel" || ko "cancel" "$(cat "$tmp/out" "$tmp/err")"
"$LOA" -c "$cfg" run --once --now "2026-05-05 06:00:20" >/dev/null 2>&1
"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json"
$PY - "$tmp/ob.json" <<'EOF' && ok "cancelled stays cancelled across reloads" || ko "cancel kept"
import json, sys
c = [j for j in json.load(open(sys.argv[1])) if j["object"] == "tin-c"]
assert len(c) == 2 and all(j["state"] == "cancelled" for j in c), c
EOF
ls "$tmp/var/spool" | grep -q . || ko "the spool has files"

# 5. A running service: an emergency added at night is in the spool at once.
: >"$tmp/run.out"
"$LOA" -c "$cfg" run --now "2026-05-05 23:00" >"$tmp/run.out" 2>&1 &
pid=$!
# Loaded once the store's lock names it: a SIGHUP then is never lost.
locked() { [ "$(cat "$tmp/var/loa.db.lock" 2>/dev/null)" = "$pid" ]; }
poll_until 300 locked
poll_until 120 catches "$pid" 1
before=$(ls "$tmp/var/spool" | grep -c '\.json$')
id4=$(b add --title "Cháy rừng" --text "Cháy rừng ở thôn Hạ; mọi người tránh xa" --priority emergency --now "2026-05-05 23:00" 2>"$tmp/err")
spooled() { [ "$(ls "$tmp/var/spool" | grep -c '\.json$')" -gt "$before" ]; }
poll_until 120 spooled
$PY - "$tmp/var/spool" "$id4" <<'EOF' && ok "an emergency added while running is handed at once, in no slot" || ko "emergency at once" "$(cat "$tmp/run.out")"
import glob, json, sys
recs = [json.load(open(f)) for f in glob.glob(sys.argv[1] + "/*.json")]
e = [r for r in recs if r.get("object") == sys.argv[2]]
assert len(e) == 1 and e[0]["slot"] is None and e[0]["priority"] == "emergency", e
EOF
kill "$pid"; wait "$pid" 2>/dev/null; pid=

# 5b. The lock held by a loa that has not written its pid yet (the file
# still names an earlier one, here a process that holds nothing): that
# process is never signalled.
# The stale process notes the signals it gets; after the add, a SIGUSR1
# from here is the last it gets: once it has noted that, a SIGHUP sent
# before (a lower number, taken first) would be noted too.
sh -c 'trap "echo HUP >>\"$1\"" HUP; trap "echo USR1 >>\"$1\"; exit" USR1
echo ready >"$1"; while :; do sleep 0.05; done' sh "$tmp/stale.sig" &
stale=$!
at_exit 'kill $stale 2>/dev/null'
ready() { grep -q ready "$tmp/stale.sig" 2>/dev/null; }
poll_until 120 ready
printf '%s\n' "$stale" >"$tmp/var/loa.db.lock"
(exec 9>>"$tmp/var/loa.db.lock" && flock 9 && exec sleep 600) &
holder=$!
at_exit 'kill $holder 2>/dev/null'
held() { ! flock -n "$tmp/var/loa.db.lock" true; }
poll_until 120 held
b add --title "Thử khóa" --text "Thử" --now "2026-05-05 23:00" >/dev/null 2>"$tmp/err"
kill -USR1 "$stale"
noted() { grep -q USR1 "$tmp/stale.sig"; }
poll_until 120 noted && ! grep -q HUP "$tmp/stale.sig" &&
    ok "no SIGHUP to a pid that does not hold the lock" ||
    ko "no SIGHUP to a pid that does not hold the lock" "$(cat "$tmp/stale.sig" "$tmp/err")"
kill "$holder" 2>/dev/null; wait "$stale" "$holder" 2>/dev/null

# 6. Bad input: a message, non-zero, the outbox the same.
"$LOA" -c "$cfg" outbox --json >"$tmp/before.json"
bad() {
	what=$1; shift
	if b "$@" >"$tmp/out" 2>"$tmp/err"; then
		ko "$what: exit 0"
	elif ! [ -s "$tmp/err" ]; then
		ko "$what: no message"
	else
		"$LOA" -c "$cfg" outbox --json >"$tmp/after.json"
		cmp -s "$tmp/before.json" "$tmp/after.json" && ok "$what" || ko "$what: outbox changed"
	fi
}
bad "unknown id (cancel)" cancel nope
bad "unknown id (aired)" aired 0123456789abcdef
bad "bad priority" add --title T --text X --priority urgent
bad "bad time" add --title T --text X --air "tomorrow-ish"
bad "expires before air" add --title T --text X --air "2030-01-02 08:00" --expires "2030-01-02 07:00"
bad "expires at its air time" add --title T --text X --air "2030-01-02 08:00" --expires "2030-01-02 08:00"
bad "a title of two lines (LF)" add --title "$(printf 'Dòng một\nDòng hai')" --text X
bad "a title of two lines (CR)" add --title "$(printf 'Dòng một\rDòng hai')" --text X
bad "a text of 20,001 bytes" add --title T --text "$(head -c 20001 /dev/zero | tr '\0' a)"
bad "empty title" add --title "  " --text X
# The plans' years (2000 to 2100): year 9999 would plan at year 10000.
bad "air in year 9999" add --title T --text X --air "9999-12-31 23:59"
bad "expires past 2100" add --title T --text X --expires "2101-01-01 07:00"
bad "missing text" add --title T
bad "aired in the future" aired tin-b --at "2099-01-01"
bad "aired in 1970" aired "$id4" --at "1970-01-01"
bad "cancelled twice" cancel tin-c
bad "rundown without a date" rundown
bad "rundown bad date" rundown --date 2026-13-45
bad "unknown subcommand" frob
"$LOA" -c "$cfg" outbox --json >"$tmp/after.json"
cmp -s "$tmp/before.json" "$tmp/after.json" && ok "the outbox byte for byte the same" || ko "the outbox changed"

# The limits' edges are taken: a title of 500 bytes, a text of 20,000,
# both stored in NFC (a decomposed à is read back as one character).
t500=$(head -c 500 /dev/zero | tr '\0' t)
t20k=$(head -c 20000 /dev/zero | tr '\0' a)
ide=$(b add --title "$t500" --text "$t20k" --air "2026-05-06 05:00" --now "2026-05-04 07:00" 2>"$tmp/err") ||
    ko "a 500-byte title and a 20,000-byte text refused" "$(cat "$tmp/err")"
idn=$(b add --title "$(printf 'Hoa\314\200 nhac')" --text "$(printf 'ta\314\200i')" \
    --air "2026-05-06 05:00" --now "2026-05-04 07:00" 2>"$tmp/err") ||
    ko "a decomposed title refused" "$(cat "$tmp/err")"
b list --json --now "2026-05-04 07:00" >"$tmp/lim.json" 2>"$tmp/err"
# (the text is in the outbox's bqueue table; list shows the title)
sqlite3 "$tmp/var/loa.db" "SELECT id, length(CAST(text AS BLOB)), hex(text) FROM bqueue" >"$tmp/lim.txt"
if $PY - "$tmp/lim.json" "$ide" "$idn" "$tmp/lim.txt" <<'EOF'
import sys
from loatest import load
items = {(i["plan"], i["id"]): i for i in load(sys.argv[1])}
e, n = items[("ad-hoc", sys.argv[2])], items[("ad-hoc", sys.argv[3])]
texts = {l.split("|")[0]: l.split("|")[1:] for l in open(sys.argv[4]).read().split()}
assert e["title"] == "t" * 500 and texts[sys.argv[2]][0] == "20000", (len(e["title"]), texts[sys.argv[2]][0])
assert n["title"] == "Hoà nhac" and bytes.fromhex(texts[sys.argv[3]][1]).decode() == "tài", (n, texts)
EOF
then ok "a title of 500 bytes and a text of 20,000 are taken; title and text stored in NFC"
else ko "the limits' edges and NFC" "$(cat "$tmp/err")"
fi

# A plan file may not take the ad-hoc plan's id.
sed 's|id = "9/KH"|id = "ad-hoc"|' "$tmp/conf/plan.cfg" >"$tmp/conf/p2.cfg"
sed 's|"plan.cfg"|"p2.cfg"|' "$cfg" >"$tmp/conf/l2.cfg"
if "$LOA" -c "$tmp/conf/l2.cfg" check >"$tmp/out" 2>&1; then ko "plan id ad-hoc refused"
else grep -q 'p2.cfg:[0-9]*: plan.id: "ad-hoc" is reserved' "$tmp/out" && ok "plan id ad-hoc refused" || ko "plan id ad-hoc refused" "$(cat "$tmp/out")"; fi

finish
