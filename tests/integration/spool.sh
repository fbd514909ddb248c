#!/bin/sh
# spool.sh: what playout software watching the spool sees.
#  - A watcher polling every millisecond (tests/tools/spoolwatch.py) during
#    `loa simulate` of 24 items in six slots and two emergencies never sees
#    a partial or unparsable file: each ID.json it sees parses and its set
#    (ID.txt, the WAV it names, ID.cap.xml for an emergency) is whole, each
#    M3U is a whole extended M3U whose entries exist.
#  - Each day's M3U of a slot (YYYY-MM-DD-SLOT.m3u, the slot folded to
#    ASCII) lists that slot's items in running order with their durations
#    and titles, and emergencies are in none.
#  - `loa run --once` as each item comes due (a new process each time):
#    the playlist holds every item handed so far; the outbox lost and the
#    items handed again: one entry each. Everything is 0600.
#  - A FIFO or a folder named *.json in the spool is skipped, not waited on.
#  - A rename that fails in the middle of a set (LOA_FAULT) leaves no
#    ID.json: the set is cut before its record, and sent whole later.
. "$LOA_SRC/tests/tools/prologue.sh"
WPID=
at_exit '[ -n "$WPID" ] && kill "$WPID" 2>/dev/null'

# The simulated plan: four items a slot (two slots a day, three days), two
# emergencies, titles with a comma and a line break.
$PY - >"$tmp/plan.cfg" <<'PY'
print('plan = { id = "3/KH-UBND"; issued = "2026-03-01"; title = "Tin tức"; issuer = "UBND xã Đại Sơn"; };')
print("broadcasts = (")
items = []
n = 0
for day in ("2026-03-02", "2026-03-03", "2026-03-04"):
    for at in ("06:00", "17:00"):
        for k in range(4):
            n += 1
            words = " ".join(["bà con nhân dân thôn %d" % n] * (3 + 2 * k))
            pr = "high" if k == 3 else "normal"
            items.append('  { id = "tin-%d"; title = "Tin số %d, thôn\\nĐông"; text = "%s."; '
                         'air = [ "%s %s" ]; priority = "%s"; }' % (n, n, words, day, at, pr))
items.append('  { id = "khan-1"; title = "Cảnh báo dông lốc"; text = "Dông lốc chiều nay."; '
             'air = [ "2026-03-02 12:00" ]; priority = "emergency"; }')
items.append('  { id = "khan-2"; title = "Cháy chợ"; text = "Tránh khu vực chợ."; '
             'air = [ "2026-03-03 09:30" ]; priority = "emergency"; }')
print(",\n".join(items))
print(");")
PY
cat >"$tmp/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = { slots = ( { name = "Sáng sớm"; start = "06:00"; end = "06:30"; },
                        { name = "Chiều"; start = "17:00"; end = "17:30"; } ); };
CFG

$PY "$LOA_SRC/tests/tools/spoolwatch.py" "$tmp/sim/broadcast" "$tmp/stop" \
    "$tmp/watch.json" "$tmp/watching" &
WPID=$!
poll_until 60 test -f "$tmp/watching" || ko "the watcher did not start"
"$LOA" -c "$tmp/loa.cfg" simulate --out "$tmp/sim" >"$tmp/sim.out" 2>"$tmp/sim.err" ||
    ko "simulate" "$(cat "$tmp/sim.err")"
# The watcher polls once more when it sees the stop file, then reports.
touch "$tmp/stop"
wait "$WPID"
WPID=
"$LOA" -c "$tmp/loa.cfg" outbox --store "$tmp/sim/loa.db" --json >"$tmp/outbox.json"
if $PY - "$tmp/watch.json" <<'PY'
from loatest import load, arg
r = load(arg(1))
assert not r["problems"], r["problems"]
assert r["polls"] > 20 and len(r["seen"]) >= 5, (r["polls"], r["seen"])
PY
then ok "the watcher never saw a partial set or playlist ($(cut -c1-30 "$tmp/watch.json"))"
else ko "the watcher saw" "$(head -c 2000 "$tmp/watch.json")"
fi

if $PY - "$tmp/outbox.json" "$tmp/sim/broadcast" <<'PY'
import os, sys
from loatest import jobs, load
d = sys.argv[2]
bc = jobs(sys.argv[1], "broadcast")
assert len(bc) == 26 and all(j["state"] == "sent" for j in bc), bc
slots = {"Sáng sớm": "sang-som", "Chiều": "chieu"}
want = {}
for j in bc:
    if j["slot"] is None:
        continue
    want.setdefault("%s-%s.m3u" % (j["due"][:10], slots[j["slot"]]), []).append(j)
m3us = sorted(n for n in os.listdir(d) if n.endswith(".m3u"))
assert m3us == sorted(want), (m3us, sorted(want))
for name, js in want.items():
    js.sort(key=lambda j: j["due"])
    lines = open(os.path.join(d, name), encoding="utf-8").read().split("\n")
    exp = ["#EXTM3U"]
    for j in js:
        rec = load(os.path.join(d, j["id"] + ".json"))
        assert rec["title"].startswith("Tin số") and "\n" in rec["title"], rec
        exp.append("#EXTINF:%d,%s" % (round(rec["duration_s"]),
                                      rec["title"].replace("\n", " ")))
        exp.append(rec["audio"] or j["id"] + ".txt")
    exp.append("")
    assert lines == exp, (name, lines, exp)
    # the high item of each slot went first
    assert load(os.path.join(d, js[0]["id"] + ".json"))["priority"] == "high"
emerg = [j["id"] for j in bc if j["priority"] == "emergency"]
for n in m3us:
    t = open(os.path.join(d, n)).read()
    assert not any(e in t for e in emerg), (n, t)
PY
then ok "each slot's day playlist: running order, durations, titles; no emergency in any"
else ko "the playlists"
fi

# One process per due item, into a spool gateway.
mkdir -p "$tmp/run"
head -n 1 "$tmp/plan.cfg" >"$tmp/run/plan.cfg"
cat >>"$tmp/run/plan.cfg" <<'PLAN'
broadcasts = (
  { id = "a"; title = "Tin A"; text = "Một hai ba bốn năm sáu bảy tám chín mười."; air = [ "2026-03-02 06:00" ]; },
  { id = "b"; title = "Tin B"; text = "Mười một mười hai mười ba mười bốn."; air = [ "2026-03-02 06:00" ]; },
  { id = "c"; title = "Tin C"; text = "Hai mươi mốt hai mươi hai."; air = [ "2026-03-02 06:00" ]; },
  { id = "k"; title = "Khẩn"; text = "Khẩn cấp."; air = [ "2026-03-02 06:00" ]; priority = "emergency"; }
);
PLAN
cat >"$tmp/run/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "dai"; kind = "spool"; dir = "spool"; } );
channels = { broadcast = "dai"; };
CFG
"$LOA" -c "$tmp/run/loa.cfg" timeline --json >"$tmp/run/timeline.json"
$PY -c '
from loatest import jobs, arg
for j in sorted(jobs(arg(1)), key=lambda j: j["due"]):
    if j["slot"]: print(j["due"], j["id"])
' "$tmp/run/timeline.json" >"$tmp/run/dues"
good=1
handed=""
while read -r due id; do
	"$LOA" -c "$tmp/run/loa.cfg" run --once --now "$due" >>"$tmp/run/out" 2>>"$tmp/run/err"
	handed="$handed $id.txt"
	got=$(grep -v '^#' "$tmp/run/spool/2026-03-02-sang.m3u" | tr '\n' ' ')
	[ "$got" = "${handed# } " ] || { good=0; echo "after $id: '$got', expected '${handed# } '"; }
done <"$tmp/run/dues"
if [ "$good" -eq 1 ] && [ "$(wc -l <"$tmp/run/dues")" -eq 3 ]; then
	ok "run --once as each item comes due: the playlist holds all handed so far, in order"
else
	ko "the playlist across restarts"
fi
cp "$tmp/run/spool/2026-03-02-sang.m3u" "$tmp/run/first.m3u"
rm -f "$tmp/run/var/loa.db" "$tmp/run/var/loa.db-wal" "$tmp/run/var/loa.db-shm"
"$LOA" -c "$tmp/run/loa.cfg" run --once --now "2026-03-02 06:10" >>"$tmp/run/out" 2>>"$tmp/run/err"
if cmp -s "$tmp/run/first.m3u" "$tmp/run/spool/2026-03-02-sang.m3u" &&
    [ "$(grep -c '^#EXTINF' "$tmp/run/spool/2026-03-02-sang.m3u")" -eq 3 ]; then
	ok "the items handed twice (outbox lost): one entry each"
else
	ko "handed twice" "$(cat "$tmp/run/spool/2026-03-02-sang.m3u")"
fi
modes=$(find "$tmp/run/spool" "$tmp/sim/broadcast" -type f ! -perm 0600 | head -3)
if [ -z "$modes" ] && [ -n "$(ls "$tmp/run/spool"/*.cap.xml 2>/dev/null)" ]; then
	ok "every spool file is 0600"
else
	ko "spool modes" "$modes"
fi

# Something else in the spool named *.json (a FIFO a watcher made, a
# folder): skipped when the playlists are read back, never waited on.
mkdir -p "$tmp/fifo/spool/d.json"
mkfifo "$tmp/fifo/spool/x.json"
cp "$tmp/run/plan.cfg" "$tmp/run/loa.cfg" "$tmp/fifo/"
timeout 30 "$LOA" -c "$tmp/fifo/loa.cfg" run --once --now "2026-03-02 06:10" \
    >"$tmp/fifo/out" 2>"$tmp/fifo/err"
rc=$?
if [ "$rc" -eq 0 ] && [ "$(grep -c '^#EXTINF' "$tmp/fifo/spool/2026-03-02-sang.m3u" 2>/dev/null)" = 3 ]; then
	ok "a FIFO or a folder named *.json in the spool: skipped, the playlist written"
else
	ko "a FIFO named *.json in the spool" "exit $rc $(cat "$tmp/fifo/err")"
fi

# A rename that fails in the middle of the emergency's set.
mkdir -p "$tmp/fault"
head -n 1 "$tmp/plan.cfg" >"$tmp/fault/plan.cfg"
cat >>"$tmp/fault/plan.cfg" <<'PLAN'
broadcasts = (
  { id = "k"; title = "Khẩn"; text = "Khẩn cấp."; air = [ "2026-03-02 06:00" ]; priority = "emergency"; }
);
PLAN
cp "$tmp/run/loa.cfg" "$tmp/fault/loa.cfg"
LOA_FAULT=rename:2 "$LOA" -c "$tmp/fault/loa.cfg" run --once --now "2026-03-02 06:00" \
    >"$tmp/fault/out" 2>"$tmp/fault/err"
n1=$(ls "$tmp/fault/spool" | grep -c '\.json$')
"$LOA" -c "$tmp/fault/loa.cfg" run --once --now "2026-03-02 06:05" >>"$tmp/fault/out" 2>>"$tmp/fault/err"
n2=$(ls "$tmp/fault/spool" | grep -c '\.json$')
if [ "$n1" -eq 0 ] && [ "$n2" -eq 1 ] && ls "$tmp/fault/spool"/*.cap.xml >/dev/null 2>&1; then
	ok "a failed rename mid-set leaves no ID.json; the retry writes the whole set"
else
	ko "a failed rename mid-set" "$n1 $n2 $(ls -a "$tmp/fault/spool")"
fi

finish
