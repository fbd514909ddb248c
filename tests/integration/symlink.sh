#!/bin/sh
# symlink.sh: loa never writes through a link planted in its folders
# (README "Files loa writes"). Each case plants a symbolic link (or a hard
# link) at a name loa writes, pointing at a decoy outside; `loa run --once`
# then leaves the decoy as it was, says which file it refused and why, and
# keeps the job for a retry (or exits non-zero); once the link is gone,
# the next run sends it:
#  - var/outbox/sms.jsonl (a symbolic link; a hard link), outbox/mail/;
#  - the spool's former temporary names (.ID.txt.tmp, .ID.json.tmp): now
#    random, so the set is written and ID.txt is a file of its own;
#  - the spool's final names ID.txt, ID.cap.xml, the day's M3U;
#  - a speech cache entry linked to another item's WAV: that WAV is not
#    aired for this item; the cache's folder (tts/) a link: not used;
#  - the lock file and the store; `broadcast add` signals no process
#    holding a lock on a file the lock file links to;
#  - simulate's marker (.loa-simulate) in a new --out folder, and an
#    outbox/ of an earlier simulation replaced by a link to a folder
#    elsewhere: its files are not emptied.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/conf" "$tmp/out"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = { slots = ( { name = "Sáng"; start = "06:00"; end = "08:00"; } );
              tts = { engine = "espeak-ng"; voice = "vi"; rate = 130; };
              cap = { sender = "ubnd@daison.example"; area = "Xã Đại Sơn"; }; };
CFG
cat >"$tmp/conf/plan.cfg" <<'PLAN'
plan = { id = "9/TB-UBND"; issued = "2026-03-02"; title = "Thông báo"; issuer = "UBND xã Đại Sơn"; };
people = ( { id = "an"; name = "Nguyễn Văn An"; phone = "0912345678"; email = "an@daison.example"; },
           { id = "binh"; name = "Trần Thị Bình"; phone = "0987654321"; } );
groups = ( { id = "thon"; name = "Thôn Đông"; members = [ "an", "binh" ]; } );
distribution = { at = "plan.issued at 09:00"; to = [ "thon" ]; channels = [ "sms", "email" ]; };
broadcasts = (
  { id = "tin-1"; title = "Tin một"; text = "Một hai ba."; air = [ "2026-03-02 06:00" ]; },
  { id = "khan"; title = "Khẩn"; text = "Dông lốc chiều nay, bà con tránh xa cây lớn và cột điện."; air = [ "2026-03-02 06:20" ]; priority = "emergency"; }
);
PLAN
cfg="$tmp/conf/loa.cfg"
var="$tmp/var"
sp="$var/broadcast"
printf 'giữ nguyên\nno newline at the end' >"$tmp/out/decoy"
decoy_sum=$(sha256sum <"$tmp/out/decoy")
untouched() { [ "$(sha256sum <"$tmp/out/decoy")" = "$decoy_sum" ]; }

# run --once at T; stdout and stderr in $tmp/run.out, the exit code in rc.
run_at() {
	"$LOA" -c "$cfg" run --once --now "$1" >"$tmp/run.out" 2>&1
	rc=$?
}
# The state of the jobs of CHANNEL (all of them, as one sorted word list).
states() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json" 2>>"$tmp/run.out"
	$PY - "$tmp/ob.json" "$1" <<'PY'
from loatest import jobs, arg
print(" ".join(sorted({j["state"] for j in jobs(arg(1), arg(2))})))
PY
}
# A fresh store with its jobs reconciled, nothing due yet; each job's id
# of channel broadcast in ids.
fresh() {
	rm -rf "$var"
	run_at "2026-03-01 10:00"
	"$LOA" -c "$cfg" outbox --json >"$tmp/ob.json"
	mkdir -p "$var/outbox" "$sp"
}
bc_id() {
	$PY - "$tmp/ob.json" "$1" <<'PY'
from loatest import jobs, arg
print([j["id"] for j in jobs(arg(1), "broadcast") if j["object"] == arg(2)][0])
PY
}

# 1. sms.jsonl, a symbolic link.
fresh
ln -s "$tmp/out/decoy" "$var/outbox/sms.jsonl"
run_at "2026-03-02 10:00"
if untouched && grep -q "sms.jsonl: a symbolic link" "$tmp/run.out" &&
    [ "$(states sms)" = failed ]; then
	ok "sms.jsonl a symbolic link: not followed, said, the SMS kept for a retry"
else
	ko "sms.jsonl a symbolic link (rc $rc, $(states sms))" "$(cat "$tmp/run.out")"
fi
rm "$var/outbox/sms.jsonl"
run_at "2026-03-02 11:00"
if [ "$(states sms)" = sent ] && [ -f "$var/outbox/sms.jsonl" ] &&
    [ ! -L "$var/outbox/sms.jsonl" ] && untouched; then
	ok "the link removed: the SMS go at the next run"
else
	ko "after the link went ($(states sms))" "$(cat "$tmp/run.out")"
fi

# 2. sms.jsonl, a hard link to a file elsewhere.
fresh
ln "$tmp/out/decoy" "$var/outbox/sms.jsonl"
run_at "2026-03-02 10:00"
if untouched && grep -q "sms.jsonl: has 2 names (a hard link)" "$tmp/run.out" &&
    [ "$(states sms)" = failed ]; then
	ok "sms.jsonl a hard link: not written, said, kept for a retry"
else
	ko "sms.jsonl a hard link (rc $rc, $(states sms))" "$(cat "$tmp/run.out")"
fi

# 2b. The mail folder (outbox/mail/) a link to a folder elsewhere.
fresh
mkdir -p "$tmp/out/mail"
ln -s "$tmp/out/mail" "$var/outbox/mail"
run_at "2026-03-02 10:00"
if [ -z "$(ls "$tmp/out/mail")" ] && [ "$(states email)" = failed ] &&
    grep -q "outbox/mail: a symbolic link, which loa did not make" "$tmp/run.out"; then
	ok "outbox/mail a link: nothing written through it, said, the mail kept for a retry"
else
	ko "outbox/mail a link (rc $rc, $(states email))" "$(ls "$tmp/out/mail"; cat "$tmp/run.out")"
fi

# 3. The spool's former temporary names: predictable no more.
fresh
for item in tin-1 khan; do
	id=$(bc_id "$item")
	for ext in txt json cap.xml wav; do
		ln -s "$tmp/out/decoy" "$sp/.$id.$ext.tmp"
	done
done
run_at "2026-03-02 06:25"
id1=$(bc_id tin-1)
if untouched && [ "$(states broadcast)" = sent ] && [ -f "$sp/$id1.txt" ] &&
    [ ! -L "$sp/$id1.txt" ] && [ "$(cat "$sp/$id1.txt")" = "Một hai ba." ] &&
    [ -L "$sp/.$id1.txt.tmp" ]; then
	ok "links at the spool's old temporary names: the sets written beside them, decoy untouched"
else
	ko "links at .ID.EXT.tmp (rc $rc, $(states broadcast))" "$(ls -la "$sp"; cat "$tmp/run.out")"
fi

# 4. Final names: ID.txt, ID.cap.xml, the day's playlist.
for what in txt cap.xml m3u; do
	fresh
	case $what in
	txt) name="$(bc_id tin-1).txt" ;;
	cap.xml) name="$(bc_id khan).cap.xml" ;;
	m3u) name="2026-03-02-sang.m3u" ;;
	esac
	ln -s "$tmp/out/decoy" "$sp/$name"
	run_at "2026-03-02 06:25"
	if untouched && [ -L "$sp/$name" ] &&
	    grep -q "$name: a symbolic link, which loa did not make" "$tmp/run.out" &&
	    { [ "$rc" -ne 0 ] || [ "$(states broadcast)" != sent ]; }; then
		ok "a link at the spool's $what: left, decoy untouched, said (rc $rc, $(states broadcast))"
	else
		ko "a link at $name (rc $rc, $(states broadcast))" "$(cat "$tmp/run.out")"
	fi
	rm "$sp/$name"
	run_at "2026-03-02 06:50"
	if [ "$(states broadcast)" = sent ] && [ -f "$sp/$name" ] && [ ! -L "$sp/$name" ]; then
		ok "the link at the $what removed: the next run writes it"
	else
		ko "after the $what link went (rc $rc, $(states broadcast))" "$(cat "$tmp/run.out")"
	fi
done

# 5. A speech cache entry linked to another item's WAV.
fresh
"$LOA" -c "$cfg" timeline >/dev/null 2>"$tmp/tl.err" || ko "timeline" "$(cat "$tmp/tl.err")"
cp "$var"/tts/*.wav "$tmp/out/" 2>/dev/null
$PY - "$var/tts" "$tmp/out" <<'PY'
# tin-1's entry (the shortest text, the shortest WAV) links to the longest.
import os, sys
d, out = sys.argv[1], sys.argv[2]
w = sorted((os.path.getsize(os.path.join(d, n)), n) for n in os.listdir(d))
os.unlink(os.path.join(d, w[0][1]))
os.symlink(os.path.join(out, w[-1][1]), os.path.join(d, w[0][1]))
open(os.path.join(out, "planted"), "w").write(w[-1][1])
PY
planted="$tmp/out/$(cat "$tmp/out/planted")"
sum=$(sha256sum <"$planted")
run_at "2026-03-02 06:25"
id1=$(bc_id tin-1)
if [ "$(states broadcast)" = sent ] && ! cmp -s "$sp/$id1.wav" "$planted" &&
    [ "$(sha256sum <"$planted")" = "$sum" ] &&
    grep -q "speech cache: .*: a symbolic link" "$tmp/run.out"; then
	ok "a linked speech cache entry: not aired, not written through, said"
else
	ko "a linked speech cache entry (rc $rc, $(states broadcast))" "$(cat "$tmp/run.out")"
fi

# 5b. The speech cache's folder a link to a folder elsewhere, holding
# another item's WAV under tin-1's key.
fresh
mv "$var/tts" "$tmp/out/tts"
planted=$($PY - "$tmp/out/tts" <<'PY'
import os, shutil, sys
d = sys.argv[1]
w = sorted((os.path.getsize(os.path.join(d, n)), n) for n in os.listdir(d))
shutil.copy(os.path.join(d, w[-1][1]), os.path.join(d, w[0][1]))
print(os.path.join(d, w[0][1]))
PY
)
sums=$(cd "$tmp/out/tts" && sha256sum *)
ln -s "$tmp/out/tts" "$var/tts"
run_at "2026-03-02 06:25"
id1=$(bc_id tin-1)
if [ "$(states broadcast)" = sent ] && [ "$(cd "$tmp/out/tts" && sha256sum *)" = "$sums" ] &&
    ! cmp -s "$sp/$id1.wav" "$planted" &&
    grep -q "speech cache: .*tts: a symbolic link" "$tmp/run.out"; then
	ok "the speech cache's folder a link: not read, not written through, said"
else
	ko "the speech cache's folder a link (rc $rc, $(states broadcast))" "$(ls -l "$tmp/out/tts"; cat "$tmp/run.out")"
fi

# 6. The lock file, 7. the store.
fresh
rm -f "$var/loa.db.lock"
ln -s "$tmp/out/decoy" "$var/loa.db.lock"
run_at "2026-03-02 10:00"
if [ "$rc" -eq 3 ] && untouched && grep -q "loa.db.lock: a symbolic link" "$tmp/run.out"; then
	ok "a link at the lock file: exit 3, said, decoy untouched"
else
	ko "a link at the lock file (rc $rc)" "$(cat "$tmp/run.out")"
fi
rm "$var/loa.db.lock"
mv "$var/loa.db" "$tmp/out/loa.db"
ln -s "$tmp/out/loa.db" "$var/loa.db"
sum=$(sha256sum <"$tmp/out/loa.db")
run_at "2026-03-02 10:00"
if [ "$rc" -ne 0 ] && [ "$(sha256sum <"$tmp/out/loa.db")" = "$sum" ] &&
    grep -q "loa.db: a symbolic link; loa opens its store only by its own name" "$tmp/run.out"; then
	ok "a link at the store: refused (rc $rc), said"
else
	ko "a link at the store (rc $rc)" "$(cat "$tmp/run.out")"
fi

# 7b. `loa broadcast add` tells the service by the lock's holder: a link
# at the lock file to a file another process holds a lock on is not
# followed, and that process is sent no SIGHUP.
rm -f "$var/loa.db"
mv "$tmp/out/loa.db" "$var/loa.db"
$PY -c 'import fcntl, signal, sys
f = open(sys.argv[1], "w")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
signal.pause()' "$tmp/out/held" "$tmp/out/ready" &
hpid=$!
at_exit "kill $hpid 2>/dev/null"
poll_until 30 test -f "$tmp/out/ready" || ko "the lock holder did not start"
rm -f "$var/loa.db.lock"
ln -s "$tmp/out/held" "$var/loa.db.lock"
"$LOA" -c "$cfg" broadcast add --title "Tin" --text "Họp thôn." \
    --now "2026-03-02 06:25" >"$tmp/run.out" 2>&1
rc=$?
if alive "$hpid" && grep -q "loa.db.lock: a symbolic link, which loa did not make" "$tmp/run.out"; then
	ok "broadcast add: a link at the lock file is not followed, its holder not signalled (rc $rc)"
else
	ko "broadcast add with a linked lock file (rc $rc)" "$(cat "$tmp/run.out")"
fi
kill "$hpid" 2>/dev/null
rm "$var/loa.db.lock"

# 8. simulate: a link at the marker; a link where its outbox/ was.
mkdir -p "$tmp/sim1"
ln -s "$tmp/out/decoy" "$tmp/sim1/.loa-simulate"
"$LOA" -c "$cfg" simulate --out "$tmp/sim1" >"$tmp/run.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && untouched &&
    grep -q ".loa-simulate: a symbolic link, which loa did not make" "$tmp/run.out"; then
	ok "a link at simulate's marker: not written through, exit $rc, said"
else
	ko "a link at simulate's marker (rc $rc)" "$(cat "$tmp/run.out")"
fi
"$LOA" -c "$cfg" simulate --out "$tmp/sim2" >"$tmp/run.out" 2>&1 ||
    ko "simulate" "$(cat "$tmp/run.out")"
mkdir -p "$tmp/out/keep"
echo kept >"$tmp/out/keep/a.eml"
rm -rf "$tmp/sim2/outbox"
ln -s "$tmp/out/keep" "$tmp/sim2/outbox"
"$LOA" -c "$cfg" simulate --out "$tmp/sim2" >"$tmp/run.out" 2>&1
rc=$?
if [ "$(cat "$tmp/out/keep/a.eml")" = kept ] && [ -d "$tmp/sim2/outbox" ] &&
    [ ! -L "$tmp/sim2/outbox" ]; then
	ok "simulate empties its folder without following a link out of it (rc $rc)"
else
	ko "a link at simulate's outbox/ (rc $rc)" "$(ls -la "$tmp/out/keep" "$tmp/sim2"; cat "$tmp/run.out")"
fi

finish
