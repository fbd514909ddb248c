#!/bin/sh
# Personal data (names, phones) is kept from other users: loa.db, its
# -wal/-shm, the lock and every gateway file are 0600, the folders loa
# makes 0700, whatever the umask (README "Delivery").
. "$LOA_SRC/tests/tools/prologue.sh"
umask 022

mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
CFG
cat >"$tmp/conf/plan.cfg" <<'PLAN'
plan = { id = "MODE/KH"; issued = "2026-03-02"; title = "Thử quyền"; };
people = ( { id = "lan"; name = "Nguyễn Thị Lan"; phone = "0912 345 678";
             email = "lan@xa.example"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "lan" ]; channels = [ "sms", "email" ]; };
PLAN
"$LOA" -c "$tmp/conf/loa.cfg" run --once --now "2026-03-02 10:00" >/dev/null 2>"$tmp/err" ||
    ko "run: $(cat "$tmp/err")"
"$LOA" -c "$LOA_SRC/conf/loa.cfg" simulate --out "$tmp/sim" >/dev/null 2>"$tmp/err" ||
    ko "simulate: $(cat "$tmp/err")"

check() { # root
	bad=$(find "$1" \( -type f ! -perm 0600 \) -o \( -type d ! -perm 0700 \) |
	    while read -r f; do echo "$(stat -c %a "$f") $f"; done)
	files=$(find "$1" -type f | wc -l)
	if [ -z "$bad" ] && [ "$files" -ge "$2" ]; then
		ok "$3: $files files 0600, folders 0700"
	else
		ko "$3 ($files files): $bad"
	fi
}
check "$tmp/var" 4 "loa run"
for f in "$tmp/var/loa.db" "$tmp/var/loa.db.lock" "$tmp/var/outbox/sms.jsonl"; do
	[ -f "$f" ] || ko "no $f"
done
ls "$tmp/var/outbox/mail/"*.eml >/dev/null 2>&1 || ko "no mail"
# The simulation's folder, with its marker and broadcasts.
ls "$tmp/sim/broadcast/"*.json >/dev/null 2>&1 || ko "no broadcast"
check "$tmp/sim" 10 "loa simulate"

finish
