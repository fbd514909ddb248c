#!/bin/sh
# promise_playlist.sh: the spool's playlists with names and titles no
# other test held (README "The loudspeaker hand-off", Playlists), after
# one `loa simulate`:
#  - a slot's file name is its name folded to ASCII, đ as d, lower case,
#    each run of other characters one `-` ("Đêm (thứ 7) -- muộn" is
#    dem-thu-7-muon); slots whose names fold the same ("CHIỀU", "chiều!")
#    share one file, in running order;
#  - a title is written as it is: & < > quotes and apostrophes are not
#    escaped (M3U has no escaping); CR and LF (CRLF, a lone CR, a lone LF)
#    become spaces, so a title of several lines is one #EXTINF line and
#    adds no entry; ID.json keeps the title as written.
. "$LOA_SRC/tests/tools/prologue.sh"

cat >"$tmp/loa.cfg" <<'EOF'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = {
  slots = ( { name = "Sáng"; days = "daily"; start = "06:00"; end = "06:30"; },
            { name = "Đêm (thứ 7) -- muộn"; days = "daily"; start = "21:00"; end = "21:30"; },
            { name = "CHIỀU"; days = "daily"; start = "17:00"; end = "17:10"; },
            { name = "chiều!"; days = "daily"; start = "18:00"; end = "18:10"; } );
};
EOF
cat >"$tmp/plan.cfg" <<'EOF'
plan = { id = "5/TB"; issued = "2026-03-01"; title = "Tin"; issuer = "UBND xã"; };
broadcasts = (
  { id = "a"; title = "Lũ > 3m & <khẩn> \"ngay\" 'đi'"; text = "Một."; air = [ "2026-03-02 06:00" ]; },
  { id = "b"; title = "Dòng một\r\nDòng hai\rba\nbốn"; text = "Hai."; air = [ "2026-03-02 06:00" ]; },
  { id = "c"; title = "Đêm"; text = "Ba."; air = [ "2026-03-02 21:00" ]; },
  { id = "d"; title = "Chiều một"; text = "Bốn."; air = [ "2026-03-02 17:00" ]; },
  { id = "e"; title = "Chiều hai"; text = "Năm."; air = [ "2026-03-02 18:00" ]; }
);
EOF
"$LOA" -c "$tmp/loa.cfg" simulate --out "$tmp/sim" >"$tmp/out" 2>&1 ||
    ko "simulate" "$(cat "$tmp/out")"
sp=$tmp/sim/broadcast
names=$(cd "$sp" && ls *.m3u | tr '\n' ' ')
[ "$names" = "2026-03-02-chieu.m3u 2026-03-02-dem-thu-7-muon.m3u 2026-03-02-sang.m3u " ] &&
    ok "playlist names: folded, đ as d, lower case, a run of others one -; CHIỀU and chiều! share one" ||
    ko "playlist names" "$names"

if $PY - "$sp" <<'PY'
import glob, os, re, sys
from loatest import load
sp = sys.argv[1]
recs = {}
for f in glob.glob(os.path.join(sp, "*.json")):
    r = load(f)
    recs[r["object"]] = r
assert recs["a"]["title"] == "Lũ > 3m & <khẩn> \"ngay\" 'đi'", recs["a"]
assert recs["b"]["title"] == "Dòng một\r\nDòng hai\rba\nbốn", recs["b"]
def entries(name):
    raw = open(os.path.join(sp, "2026-03-02-%s.m3u" % name), "rb").read().decode()
    assert "\r" not in raw, repr(raw)
    lines = raw.split("\n")
    assert lines[0] == "#EXTM3U" and lines[-1] == "", repr(raw)
    body = lines[1:-1]
    assert len(body) % 2 == 0, repr(raw)
    return [(re.sub(r"^#EXTINF:\d+,", "", body[i]), body[i + 1])
            for i in range(0, len(body), 2)]
sang = entries("sang")
assert [f for _, f in sang] == [recs["a"]["id"] + ".txt", recs["b"]["id"] + ".txt"], sang
assert sang[0][0] == "Lũ > 3m & <khẩn> \"ngay\" 'đi'", sang
assert re.fullmatch(r"Dòng một +Dòng hai +ba +bốn", sang[1][0]), sang
chieu = entries("chieu")
assert [t for t, _ in chieu] == ["Chiều một", "Chiều hai"], chieu
assert [t for t, _ in entries("dem-thu-7-muon")] == ["Đêm"]
PY
then ok "titles as written (& < > \" ' unescaped), CR and LF as spaces, one entry an item"
else ko "the playlists' entries" "$(cat "$sp"/*.m3u)"
fi

finish
