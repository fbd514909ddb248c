#!/bin/sh
# The store (README "Delivery"): only a missing file makes a new outbox,
# marked with PRAGMA application_id; an existing file that is not a loa
# outbox (empty, another SQLite database, not SQLite at all) is refused
# with exit 3, naming it, and left byte for byte as it was; an outbox made
# before the mark is taken and marked; a store folder loa may not enter
# says "Permission denied".
. "$LOA_SRC/tests/tools/prologue.sh"
py=$PY

mkdir -p "$tmp/conf" "$tmp/var"
cat >"$tmp/conf/loa.cfg" <<'CFG'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
CFG
cat >"$tmp/conf/plan.cfg" <<'PLAN'
plan = { id = "STORE/KH"; issued = "2026-03-02"; title = "Thử kho"; };
people = ( { id = "lan"; name = "Nguyễn Thị Lan"; phone = "0912 345 678"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "lan" ]; channels = [ "sms" ]; };
PLAN
cfg="$tmp/conf/loa.cfg"
db="$tmp/var/loa.db"
run() { "$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >"$tmp/out" 2>"$tmp/err"; }

# Each kind of file that is not a loa outbox: refused, untouched.
refused() { # what; the file is in place
	cp "$db" "$tmp/before"
	run
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q "var/loa.db" "$tmp/err" &&
	    grep -q "not a loa outbox" "$tmp/err" && cmp -s "$db" "$tmp/before" &&
	    [ ! -e "$tmp/var/outbox" ] && [ ! -e "$tmp/var/broadcast" ]; then
		ok "$1: refused with exit 3, named, left as it was: $(cat "$tmp/err")"
	else
		ko "$1: exit $rc, $(cat "$tmp/err"), $(cmp "$db" "$tmp/before" 2>&1)"
	fi
	"$LOA" -c "$cfg" outbox >/dev/null 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 3 ] && cmp -s "$db" "$tmp/before" &&
	    ok "$1: loa outbox refuses it too" || ko "$1: outbox exit $rc"
	rm -f "$db" "$db-wal" "$db-shm"
}
: >"$db"
refused "an empty loa.db"
printf 'name,phone\nLan,0912345678\n' >"$db"
refused "a text file"
$py -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table contacts (name, phone)"); c.execute("insert into contacts values (1, 2)"); c.commit()' "$db"
refused "another SQLite database"
$py -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table jobs (id)"); c.execute("pragma user_version=99"); c.commit()' "$db"
refused "an SQLite database with a jobs table and a foreign user_version"
$py -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("create table jobs (x)"); c.execute("pragma user_version=1"); c.commit()' "$db"
refused "an SQLite database with a table named jobs and a user_version loa knows"

# A missing file: a new outbox, marked.
run && ok "a missing store makes a new one" || ko "new store: $(cat "$tmp/err")"
appid=$($py -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma application_id").fetchone()[0])' "$db")
[ "$appid" = 1280262449 ] && ok "a new store is marked application_id 1280262449 (\"LOA1\")" ||
    ko "application_id $appid"

# An outbox made before the mark (application_id 0): taken, and marked.
$py -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("pragma application_id=0"); c.commit()' "$db"
if run && "$LOA" -c "$cfg" outbox --state sent | grep -q distribution; then
	ok "an outbox of an earlier loa is taken, its history kept"
else
	ko "earlier outbox: $(cat "$tmp/err")"
fi
appid=$($py -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma application_id").fetchone()[0])' "$db")
[ "$appid" = 1280262449 ] && ok "and marked" || ko "not marked: $appid"

# A store folder loa may not enter (as nobody when root: root enters all).
rm -rf "$tmp/var"
mkdir -p "$tmp/var"
chmod 0755 "$tmp" "$tmp/conf"
chmod 0644 "$tmp/conf"/*
chmod 0 "$tmp/var"
if [ "$(id -u)" -eq 0 ]; then
	as="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	as=
fi
# denied WHAT NEVER ARGS...: loa ARGS exits 3 saying "Permission
# denied", never NEVER.
denied() {
	what=$1
	never=$2
	shift 2
	$as "$LOA" -c "$cfg" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q "Permission denied" "$tmp/err" &&
	    ! grep -q "$never" "$tmp/err"; then
		ok "$what says so: $(cat "$tmp/err")"
	else
		ko "$what: exit $rc: $(cat "$tmp/err")"
	fi
}
denied "a folder denied" "not a folder loa can use" \
    run --once --now "2026-03-02 10:00"
# loa outbox there: the outbox may exist; never "nothing to list".
denied "outbox on a denied folder" "nothing to list" outbox
chmod 0700 "$tmp/var"

finish
