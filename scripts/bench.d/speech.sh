#!/bin/sh
# bench.d/speech.sh: seconds of speech made per second of wall time. N
# items (default 100) of 150 words each, Vietnamese without digits made up
# here from a fixed list of syllables (the same every run), are read aloud
# by `loa timeline` with a cold cache (libespeak-ng in the process, each
# WAV written to var/tts/ and synced), and, in the same run, by the
# espeak-ng command line (`espeak-ng -v vi -s 130 -w F.wav -f F.txt`, a
# process an item) for the same texts at the same rate. Prints the audio
# each made, the wall time, the rate and the ratio. Not a test.
# Usage: scripts/bench.d/speech.sh [N]   (from the tree's root, after a build)
set -eu
n=${1:-100}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
mkdir -p "$dir/conf" "$dir/cli"
cat >"$dir/conf/loa.cfg" <<'EOF'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = {
  slots = ( { name = "Sáng"; days = "daily"; start = "06:00"; end = "08:00"; } );
  tts = { engine = "espeak-ng"; voice = "vi"; rate = 130; };
};
EOF
/usr/bin/python3 - "$dir" "$n" <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
words = ("bà con nhân dân xã thôn ủy ban thông báo lịch tiêm phòng gia súc "
         "gia cầm hộ chăn nuôi đưa vật đến điểm nhà văn hóa buổi sáng chiều "
         "mang theo sổ theo dõi cán bộ thú y hướng dẫn chăm sóc sau khi đề "
         "nghị thực hiện đầy đủ phòng chống dịch bệnh trân trọng kính thưa "
         "hội nghị tổng kết công tác cải cách hành chính triển khai nhiệm vụ "
         "năm tới đánh giá khen thưởng tập thể cá nhân tiêu biểu góp ý thủ "
         "tục trung tâm phục vụ công đường làng ngõ xóm vệ sinh môi trường "
         "mùa mưa bão lũ an toàn giao thông học sinh trường").split()
rnd = random.Random(12)
with open(os.path.join(d, "conf", "plan.cfg"), "w") as f:
    f.write('plan = { id = "BENCH/TTS"; issued = "2026-03-01"; title = "Đo";\n'
            '  issuer = "UBND xã"; signed_by = "an"; };\n'
            'people = ( { id = "an"; name = "An"; email = "an@x.example"; } );\n'
            'broadcasts = (\n')
    for i in range(n):
        t = []
        for k in range(150):
            w = rnd.choice(words)
            t.append(w + ("." if k % 15 == 14 else ""))
        text = " ".join(t)
        with open(os.path.join(d, "cli", "%03d.txt" % i), "w") as g:
            g.write(text)
        f.write('  { id = "b%03d"; title = "Tin %d"; text = "%s";\n'
                '    air = [ "2026-03-%02d 05:00" ]; }%s\n'
                % (i, i, text, 2 + i % 25, "," if i < n - 1 else ""))
    f.write(");\n")
PY

# Seconds of audio in the WAVs of a folder, as Python's wave reads them.
audio() {
	/usr/bin/python3 -c '
import glob, sys, wave
s = 0.0
for f in glob.glob(sys.argv[1] + "/*.wav"):
    w = wave.open(f)
    s += w.getnframes() / w.getframerate()
print("%.1f" % s)' "$1"
}

echo "== speech: $n items x 150 words, libespeak-ng in loa beside the espeak-ng command line"
start=$(date +%s.%N)
./build/loa -c "$dir/conf/loa.cfg" timeline >/dev/null
end=$(date +%s.%N)
loa_wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
loa_audio=$(audio "$dir/var/tts")

start=$(date +%s.%N)
for f in "$dir/cli/"*.txt; do
	espeak-ng -v vi -s 130 -w "${f%.txt}.wav" -f "$f"
done
end=$(date +%s.%N)
cli_wall=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
cli_audio=$(audio "$dir/cli")

awk -v la="$loa_audio" -v lw="$loa_wall" -v ca="$cli_audio" -v cw="$cli_wall" \
    'BEGIN {
	printf "loa timeline (cold cache)      %8.1f s of audio in %6.2f s: %6.1f s/s\n",
	    la, lw, la / lw
	printf "espeak-ng command line         %8.1f s of audio in %6.2f s: %6.1f s/s\n",
	    ca, cw, ca / cw
	printf "loa makes speech %.2fx as fast as the command line\n",
	    (la / lw) / (ca / cw)
}'
