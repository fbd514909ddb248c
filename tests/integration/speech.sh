#!/bin/sh
# speech.sh: broadcasts read aloud by libespeak-ng (conf/REFERENCE.md §7,
# broadcast.tts), through the binary, the WAVs measured by Debian's sox (soxi)
# and read by Python's wave module:
#   - `loa simulate` of the seed config (tts on): every spool ID.json names
#     its ID.wav beside it, a PCM 16-bit mono WAV whose soxi length matches
#     duration_s within 5%; timeline --json and outbox --json show that
#     length rounded up;
#   - placement uses the real length: three items in a one-minute slot
#     with words_per_minute = 1000 (an estimate of seconds) all fit without
#     speech; with it the third moves to the next slot, and each item
#     starts where the one before ends plus the gap;
#   - a chime and an opening line make the WAV longer by more than the
#     chime, and it starts with the chime's samples;
#   - the cache: a second simulate synthesises nothing (-v's count, the
#     files untouched); a changed text is synthesised again, never the old
#     WAV; so is a changed voice, rate, opening line or chime (its samples),
#     each alone; three loa filling a cold cache at once leave it whole;
#     a cache that cannot be written is said once, and speech goes on;
#   - a bad voice, chime or rate: `check` exits 1 with FILE:LINE.
# Needs LOA and LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

# --- the seed config, simulated with speech -------------------------------
cp -R "$LOA_SRC/conf" "$tmp/conf"
seed="$tmp/conf/loa.cfg"
grep -q 'tts = { engine = "espeak-ng"' "$seed" || ko "the seed has tts on"
if "$LOA" -v -c "$seed" simulate --out "$tmp/sim1" >"$tmp/out" 2>"$tmp/err"
then
	ok "simulate of the seed"
else
	ko "simulate of the seed" "$(tail -5 "$tmp/err")"
fi
made=$(sed -n 's/.*speech: \([0-9]*\) synthesised.*/\1/p' "$tmp/err" | head -1)
[ "${made:-0}" -gt 0 ] && ok "the first run synthesises ($made)" ||
    ko "the first run synthesises" "$(cat "$tmp/err" | head -5)"
"$LOA" -c "$seed" outbox --json --store "$tmp/sim1/loa.db" >"$tmp/ob.json" \
    2>"$tmp/err" || ko "outbox --json" "$(cat "$tmp/err")"
"$LOA" -c "$seed" timeline --json >"$tmp/tl.json" 2>"$tmp/err" ||
    ko "timeline --json" "$(cat "$tmp/err")"

# Every record, its WAV as soxi sees it, and the jobs' duration_s.
nwav=0
for j in "$tmp/sim1/broadcast/"*.json; do
	[ -f "$j" ] || { ko "no broadcast in the spool"; break; }
	id=$(basename "$j" .json)
	audio=$($PY -c 'from loatest import load, arg; print(load(arg(1))["audio"])' "$j")
	dur=$($PY -c 'from loatest import load, arg; print(load(arg(1))["duration_s"])' "$j")
	w="$tmp/sim1/broadcast/$audio"
	if [ "$audio" != "$id.wav" ] || [ ! -s "$w" ]; then
		ko "$id: audio is $audio, beside it"
		continue
	fi
	nwav=$((nwav + 1))
	real=$(soxi -D "$w")
	info=$(soxi "$w")
	echo "$info" | grep -q '^Channels *: 1$' &&
	    echo "$info" | grep -q '^Sample Encoding: 16-bit Signed Integer PCM$' &&
	    echo "$info" | grep -q '^Precision *: 16-bit$' &&
	    echo "$info" | grep -q '^Sample Rate *: 22050$' ||
	    ko "$id: WAV header" "$info"
	$PY - "$real" "$dur" <<'PY' || ko "$id: soxi $real s against duration_s $dur"
import sys
real, dur = float(sys.argv[1]), float(sys.argv[2])
sys.exit(0 if real > 1 and abs(real - dur) <= 0.05 * real else 1)
PY
	for f in ob tl; do
		$PY - "$tmp/$f.json" "$id" "$real" <<'PY' ||
import math, sys
from loatest import by_id, load
jobs = by_id(load(sys.argv[1]))
j = jobs.get(sys.argv[2])
sys.exit(0 if j and j["duration_s"] == math.ceil(float(sys.argv[3])) else 1)
PY
		    ko "$id: $f duration_s is not ceil($real)"
	done
done
[ "$nwav" -ge 4 ] && ok "every record has its PCM 16-bit mono WAV ($nwav)," \
    "soxi matches duration_s, the jobs have it rounded up" ||
    ko "records with audio: $nwav"

# The day's playlists of the seed, with speech: each slot's items in
# running order (planned), each entry its WAV with soxi's length (rounded)
# and its title; every broadcast with a slot in exactly one of them.
if $PY - "$tmp/sim1/broadcast" <<'PY' >"$tmp/m3u.err" 2>&1
import glob, os, re, subprocess, sys
from loatest import load
d = sys.argv[1]
recs = {}
for f in glob.glob(os.path.join(d, "*.json")):
    r = load(f)
    recs[r["id"]] = r
seen = set()
lists = sorted(glob.glob(os.path.join(d, "*.m3u")))
assert lists, "no playlist"
for m in lists:
    lines = open(m, encoding="utf-8").read().splitlines()
    assert lines[0] == "#EXTM3U", (m, lines[:1])
    body = lines[1:]
    assert len(body) % 2 == 0 and body, (m, body)
    planned = []
    for inf, name in zip(body[0::2], body[1::2]):
        g = re.fullmatch(r"#EXTINF:(\d+),(.*)", inf)
        assert g, (m, inf)
        rid = name[:-len(".wav")]
        assert name.endswith(".wav") and rid in recs, (m, name)
        r = recs[rid]
        real = float(subprocess.check_output(
            ["soxi", "-D", os.path.join(d, name)]).decode())
        assert int(g.group(1)) == round(real), (m, inf, real)
        assert g.group(2) == r["title"], (m, inf)
        day = os.path.basename(m)[:10]
        assert r["planned"].startswith(day) and r["slot"], (m, r)
        planned.append(r["planned"])
        seen.add(rid)
    assert planned == sorted(planned), (m, planned)
want = {i for i, r in recs.items() if r.get("slot")}
assert seen == want, (sorted(seen), sorted(want))
PY
then
	ok "the day's playlists: running order, soxi's lengths, titles"
else
	ko "the day's playlists" "$(tail -3 "$tmp/m3u.err")"
fi

# --- the cache -------------------------------------------------------------
cache="$tmp/var/tts"
[ "$(stat -c %a "$cache")" = 700 ] && ok "the cache is 0700" ||
    ko "cache mode $(stat -c %a "$cache")"
ls -la --time-style=full-iso "$cache" | grep '\.wav$' >"$tmp/cache1"
# The days of the items only: the mails of the rest are not this test's.
"$LOA" -v -c "$seed" simulate --from "2025-12-24 12:00" \
    --to "2025-12-28 18:00" --out "$tmp/sim2" >/dev/null 2>"$tmp/err"
grep -q 'speech: 0 synthesised, [1-9][0-9]* from the cache' "$tmp/err" &&
    ok "a second simulate synthesises nothing" ||
    ko "second simulate" "$(grep speech "$tmp/err")"
ls -la --time-style=full-iso "$cache" | grep '\.wav$' >"$tmp/cache2"
cmp -s "$tmp/cache1" "$tmp/cache2" && ok "the cache files are untouched" ||
    ko "cache files changed" "$(diff "$tmp/cache1" "$tmp/cache2")"
for w in "$tmp/sim1/broadcast/"*.wav; do
	cmp -s "$w" "$tmp/sim2/broadcast/$(basename "$w")" ||
	    ko "$(basename "$w") differs in the second run"
done

# Three loa filling a cold cache at once (check and timeline take no
# lock): all succeed alike, every entry is a whole WAV, no temporary left.
rm -rf "$cache"
for k in 1 2 3; do
	"$LOA" -c "$seed" timeline --json >"$tmp/par$k.json" 2>"$tmp/par$k.err" &
done
wait
# Nothing on stderr but the seed plan's own warnings (check's).
for k in 1 2 3; do
	grep -v ': warning: ' "$tmp/par$k.err" >"$tmp/par$k.other"
done
if cmp -s "$tmp/par1.json" "$tmp/par2.json" &&
    cmp -s "$tmp/par1.json" "$tmp/par3.json" &&
    [ ! -s "$tmp/par1.other" ] && [ ! -s "$tmp/par2.other" ] &&
    [ ! -s "$tmp/par3.other" ] && [ -z "$(ls -A "$cache" | grep -v '\.wav$')" ] &&
    [ "$(ls "$cache" | wc -l)" -eq 2 ]; then
	ok "three loa at once on a cold cache"
else
	ko "three loa at once" "$(cat "$tmp"/par*.other; ls -A "$cache")"
fi
for w in "$cache"/*.wav; do
	[ "$(soxi -t "$w" 2>/dev/null)" = wav ] || ko "$w is not a whole WAV"
done

# --- placement with the real lengths --------------------------------------
mkdir -p "$tmp/pl"
text="Kính thưa bà con nhân dân, Ủy ban nhân dân xã thông báo lịch tiêm \
phòng cho đàn gia súc, gia cầm trên địa bàn xã. Các hộ chăn nuôi đưa vật \
nuôi đến điểm tiêm tại nhà văn hóa thôn vào buổi sáng, mang theo sổ theo \
dõi chăn nuôi. Đề nghị bà con thực hiện đầy đủ để phòng chống dịch bệnh. Trân trọng thông báo."
for tts in on off; do
	{
		cat <<EOF
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
broadcast = {
  slots = ( { name = "Sáng"; days = "daily"; start = "06:00"; end = "06:01"; },
            { name = "Chiều"; days = "daily"; start = "17:00"; end = "17:30"; } );
  words_per_minute = 1000;
  gap = "5s";
EOF
		[ "$tts" = on ] &&
		    echo '  tts = { engine = "espeak-ng"; voice = "vi"; rate = 130; };'
		echo '};'
	} >"$tmp/pl/$tts.cfg"
done
cat >"$tmp/pl/plan.cfg" <<EOF
plan = { id = "7/TB"; issued = "2026-03-01"; title = "Tiêm phòng";
         issuer = "UBND xã"; signed_by = "an"; };
people = ( { id = "an"; name = "An"; email = "an@x.example"; } );
broadcasts = (
  { id = "a"; title = "Một"; text = "$text"; air = [ "2026-03-02 05:00" ]; },
  { id = "b"; title = "Hai"; text = "$text Xin cảm ơn."; air = [ "2026-03-02 05:00" ]; },
  { id = "c"; title = "Ba"; text = "$text Xin cảm ơn bà con."; air = [ "2026-03-02 05:00" ]; }
);
EOF
for tts in off on; do
	"$LOA" -c "$tmp/pl/$tts.cfg" timeline --json >"$tmp/pl/$tts.json" \
	    2>"$tmp/err" || ko "timeline ($tts)" "$(cat "$tmp/err")"
done
$PY - "$tmp/pl/off.json" "$tmp/pl/on.json" <<'PY' &&
import json, sys
from datetime import datetime, timedelta
from loatest import jobs
def airings(f):
    return {j["object"]: j for j in jobs(f) if j["kind"] == "broadcast"}
off, on = airings(sys.argv[1]), airings(sys.argv[2])
t = lambda j: datetime.fromisoformat(j["due"])
ok = all(off[o]["slot"] == "Sáng" for o in "abc")
ok = ok and on["a"]["slot"] == "Sáng" and on["b"]["slot"] == "Sáng"
ok = ok and on["c"]["slot"] == "Chiều"
ok = ok and on["a"]["duration_s"] > 15 and off["a"]["duration_s"] < 10
ok = ok and t(on["b"]) == t(on["a"]) + timedelta(seconds=on["a"]["duration_s"] + 5)
ok = ok and t(on["c"]).hour == 17 and t(on["c"]).minute == 0
if not ok:
    print(json.dumps([off, on], ensure_ascii=False))
sys.exit(0 if ok else 1)
PY
    ok "placement uses the real length: the third item moves to the next slot" ||
    ko "placement with real durations"


# --- a changed text, the chime and the opening line (the small plan) ------
# Seconds, samples and duration_s of each object's WAV in a spool.
cat >"$tmp/wavs.py" <<'PY'
import glob, os, wave
from loatest import load
def wavs(d):
    out = {}
    for j in glob.glob(os.path.join(d, "*.json")):
        r = load(j)
        w = wave.open(os.path.join(d, r["audio"]))
        out[r["object"]] = (w.getnframes() / w.getframerate(),
                            w.readframes(w.getnframes()), r["duration_s"])
    return out
PY
"$LOA" -c "$tmp/pl/on.cfg" simulate --out "$tmp/pa" >/dev/null 2>"$tmp/err" ||
    ko "simulate of the small plan" "$(cat "$tmp/err")"
sed 's/Xin cảm ơn bà con\./Xin cảm ơn bà con đã lắng nghe thông báo này./' \
    "$tmp/pl/plan.cfg" >"$tmp/p" && mv "$tmp/p" "$tmp/pl/plan.cfg"
"$LOA" -v -c "$tmp/pl/on.cfg" simulate --out "$tmp/pb" >/dev/null 2>"$tmp/err"
grep -q 'speech: 1 synthesised, 2 from the cache' "$tmp/err" &&
    ok "a changed text is synthesised again, alone" ||
    ko "changed text" "$(grep speech "$tmp/err")"
PYTHONPATH="$tmp:$PYTHONPATH" $PY - "$tmp/pa/broadcast" "$tmp/pb/broadcast" <<'PY' &&
import sys
from wavs import wavs
a, b = wavs(sys.argv[1]), wavs(sys.argv[2])
sys.exit(0 if b["c"][0] > a["c"][0] + 1 and b["a"][1] == a["a"][1] and
         b["b"][1] == a["b"][1] else 1)
PY
    ok "the changed item's WAV is longer, the others' the same" ||
    ko "the changed item's WAV"

# An item added by hand (`loa broadcast add`) is placed with its real
# length too: the same text as item a, so the same WAV and duration.
"$LOA" -c "$tmp/pl/on.cfg" broadcast add --title "Bốn" --text "$text" \
    --air "2026-03-02 05:00" --now "2026-03-01 10:00" >/dev/null 2>"$tmp/err" ||
    ko "broadcast add" "$(cat "$tmp/err")"
"$LOA" -c "$tmp/pl/on.cfg" broadcast list --json --now "2026-03-01 10:00" \
    >"$tmp/bl.json" 2>"$tmp/err" || ko "broadcast list" "$(cat "$tmp/err")"
$PY - "$tmp/bl.json" <<'PY' &&
import sys
from loatest import load
d = {(i["plan"], i["id"]): i["airings"][0]["duration_s"] for i in load(sys.argv[1])}
a, h = d[("7/TB", "a")], d[("ad-hoc", "tin-1")]
# words_per_minute = 1000 would make it a few seconds
sys.exit(0 if a == h and h > 15 else 1)
PY
    ok "an ad-hoc item takes its WAV's length as a plan's item does" ||
    ko "the ad-hoc item's length" "$(cat "$tmp/bl.json")"

sox -n -r 22050 -c 1 -b 16 "$tmp/pl/chime.wav" synth 1.5 sine 660 \
    2>/dev/null
sed 's|rate = 130;|rate = 130; chime = "chime.wav"; opening = "Đây là Đài Truyền thanh xã Đại Sơn.";|' \
    "$tmp/pl/on.cfg" >"$tmp/pl/chime.cfg"
"$LOA" -c "$tmp/pl/chime.cfg" simulate --out "$tmp/pc" >/dev/null \
    2>"$tmp/err" || ko "simulate with a chime" "$(cat "$tmp/err")"
PYTHONPATH="$tmp:$PYTHONPATH" $PY - "$tmp/pb/broadcast" "$tmp/pc/broadcast" "$tmp/pl/chime.wav" <<'PY' &&
import sys, wave
from wavs import wavs
c = wave.open(sys.argv[3])
chime, clen = c.readframes(c.getnframes()), c.getnframes() / c.getframerate()
a, b = wavs(sys.argv[1]), wavs(sys.argv[2])
ok = len(a) == 3
for o in a:
    if not b[o][0] >= a[o][0] + clen + 0.5:
        print("%s: %.2f s with the chime, %.2f without" % (o, b[o][0], a[o][0]))
        ok = False
    if not b[o][1].startswith(chime):
        print("%s: does not start with the chime" % o)
        ok = False
    if abs(b[o][2] - b[o][0]) > 0.01:
        print("%s: duration_s %s, WAV %.3f" % (o, b[o][2], b[o][0]))
        ok = False
sys.exit(0 if ok else 1)
PY
    ok "a chime and an opening line: longer by more than the chime, chime first" ||
    ko "chime and opening"

# --- the cache's key: each setting it names, changed alone, is a miss ----
# (the small plan's three items; each timeline after the first of a
# setting is all hits). The chime: present, then another of the same
# length and format (its samples, not only its length, are in the key).
sox -n -r 22050 -c 1 -b 16 "$tmp/pl/chime2.wav" synth 1.5 sine 440 \
    2>/dev/null
key() { # NAME SETTINGS MADE: timeline with tts = { SETTINGS } synthesises MADE
	sed "s|tts = {.*};|tts = { $2 };|" "$tmp/pl/on.cfg" >"$tmp/pl/key-$1.cfg"
	"$LOA" -v -c "$tmp/pl/key-$1.cfg" timeline >/dev/null 2>"$tmp/err"
	if grep -q "speech: $3 synthesised, $((3 - $3)) from the cache" "$tmp/err"
	then
		ok "cache key: $1: $3 synthesised"
	else
		ko "cache key: $1: expected $3 synthesised" "$(grep speech "$tmp/err")"
	fi
}
key same 'engine = "espeak-ng"; voice = "vi"; rate = 130;' 0
key voice 'voice = "vi-vn-x-south"; rate = 130;' 3
key voice-again 'voice = "vi-vn-x-south"; rate = 130;' 0
key rate 'voice = "vi"; rate = 140;' 3
key opening 'voice = "vi"; rate = 130; opening = "Xin chào.";' 3
key chime 'voice = "vi"; rate = 130; chime = "chime.wav";' 3
key chime-samples 'voice = "vi"; rate = 130; chime = "chime2.wav";' 3
key chime-again 'voice = "vi"; rate = 130; chime = "chime2.wav";' 0

# A cache folder loa cannot make (a file named tts beside the store): it
# warns once and speaks without it, every WAV made anew.
mkdir -p "$tmp/ro"
: >"$tmp/ro/tts"
sed 's|store = "../var/loa.db";|store = "../ro/loa.db";|' "$tmp/pl/on.cfg" >"$tmp/pl/ro.cfg"
if "$LOA" -v -c "$tmp/pl/ro.cfg" timeline >/dev/null 2>"$tmp/err" &&
    grep -q 'speech: 3 synthesised, 0 from the cache' "$tmp/err" &&
    [ "$(grep -c 'speech cache: .*speaking without it' "$tmp/err")" -eq 1 ]; then
	ok "a cache that cannot be written: one warning, speech without it"
else
	ko "a cache that cannot be written" "$(cat "$tmp/err")"
fi

# --- bad settings: check exits 1 with FILE:LINE ---------------------------
sox -n -r 44100 -c 2 -b 16 "$tmp/pl/stereo.wav" synth 0.3 sine 880 \
    2>/dev/null
echo "not a wav" >"$tmp/pl/text.wav"
bad() { # NAME SETTING KEY PATTERN
	sed "s|tts = {.*};|tts = { $2 };|" "$tmp/pl/on.cfg" >"$tmp/pl/bad-$1.cfg"
	line=$(grep -n 'tts = ' "$tmp/pl/bad-$1.cfg" | cut -d: -f1)
	"$LOA" -c "$tmp/pl/bad-$1.cfg" check >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 1 ] && grep -q "^$tmp/pl/bad-$1.cfg:$line: $3: .*$4" "$tmp/err"
	then
		ok "check: $1"
	else
		ko "check: $1 (exit $rc)" "$(cat "$tmp/err")"
	fi
}
bad voice 'voice = "xx";' broadcast.tts.voice 'no Vietnamese voice "xx"; it has: vi, vi-vn-x-central, vi-vn-x-south'
bad voice-en 'voice = "en";' broadcast.tts.voice 'no Vietnamese voice'
bad chime-stereo 'chime = "stereo.wav";' broadcast.tts.chime '2 channels, 16-bit at 44100 Hz; expected PCM 16-bit mono at 22050 Hz'
bad chime-text 'chime = "text.wav";' broadcast.tts.chime 'not a WAV file'
bad chime-missing 'chime = "none.wav";' broadcast.tts.chime 'No such file'
bad rate-low 'rate = 79;' broadcast.tts.rate 'expected 80 to 450'
bad rate-high 'rate = 451;' broadcast.tts.rate 'expected 80 to 450'
bad engine 'engine = "festival";' broadcast.tts.engine 'expected "espeak-ng"'
sed 's|tts = {.*};|tts = { voice = "vi-vn-x-south+f3"; rate = 450; };|' "$tmp/pl/on.cfg" \
    >"$tmp/pl/good.cfg"
"$LOA" -c "$tmp/pl/good.cfg" check >/dev/null 2>"$tmp/err" &&
    ok "check: a southern voice with a variant, rate 450" ||
    ko "check: good voice" "$(cat "$tmp/err")"

finish
