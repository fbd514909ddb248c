#!/bin/sh
# `loa check` on broken configs (conf/REFERENCE.md §1 and §8): every folder
# under $LOA_TESTDATA/bad/ holds a loa.cfg (and usually a plan.cfg) with one
# mistake and a file `expect` with the one line that must appear on stderr,
# "FILE:LINE: KEY: message", FILE as seen from inside the folder. Each runs
# as `loa -c loa.cfg check` from its folder and must exit 1, print the
# expected line, print no sanitizer report, and not claim OK.
# Then the valid fixture $LOA_TESTDATA/ok/ and a few command line cases.
# Needs LOA (the binary) and LOA_TESTDATA (tests/data).
. "$LOA_SRC/tests/tools/prologue.sh"
: "${LOA_TESTDATA:?}"
case $LOA in /*) ;; *) LOA=$(pwd)/$LOA ;; esac
case $LOA_TESTDATA in /*) ;; *) LOA_TESTDATA=$(pwd)/$LOA_TESTDATA ;; esac

# A sanitizer report in $1 (a file): its first line, else nothing.
sanitizer() {
	grep -E 'Sanitizer|runtime error' "$1" >"$tmp/san" &&
	    head -n 1 "$tmp/san"
}

# The whole of a file on one line, for a FAIL message.
oneline() {
	tr '\n' '|' <"$1" | cut -c1-400
}

found=0
for dir in "$LOA_TESTDATA"/bad/*/; do
	[ -d "$dir" ] || continue
	found=$((found + 1))
	name=bad/$(basename "$dir")
	if [ ! -f "$dir/expect" ] || ! IFS= read -r want <"$dir/expect" ||
	    [ -z "$want" ]; then
		ko "$name" "no expect line in $dir/expect"
		continue
	fi
	(cd "$dir" && "$LOA" -c loa.cfg check) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 1 ]; then
		ko "$name" "exit status $rc, expected 1; stderr: $(oneline "$tmp/err")"
	elif san=$(sanitizer "$tmp/err"); then
		ko "$name" "sanitizer: $san"
	elif ! grep -qF -- "$want" "$tmp/err"; then
		ko "$name" "stderr lacks \"$want\"; got: $(oneline "$tmp/err")"
	elif grep -q ': OK' "$tmp/out"; then
		ko "$name" "stdout claims OK: $(oneline "$tmp/out")"
	else
		ok "$name"
	fi
done
[ "$found" -gt 0 ] && ok "found $found bad configs" ||
    ko "bad" "no folders under $LOA_TESTDATA/bad"

# The valid base fixture: exit 0, OK, no warnings, no sanitizer report.
(cd "$LOA_TESTDATA/ok" && "$LOA" -c loa.cfg check) >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ]; then
	ko "ok/check" "exit status $rc; stderr: $(oneline "$tmp/err")"
elif san=$(sanitizer "$tmp/err"); then
	ko "ok/check" "sanitizer: $san"
elif ! grep -q '^loa.cfg: OK, no warnings$' "$tmp/out"; then
	ko "ok/check" "stdout: $(oneline "$tmp/out"); stderr: $(oneline "$tmp/err")"
else
	ok "ok/check"
fi

# The plan writes one name in NFD; everything loa prints has it in NFC.
nfc='Trần Quốc Bảo'
nfd=$(printf 'Tra\314\200n Quo\314\202\314\201c Ba\314\211o')
if (cd "$LOA_TESTDATA/ok" && "$LOA" -c loa.cfg ics --event hoi-nghi \
    --now "2027-03-01 08:00") >"$tmp/ics" 2>"$tmp/err"; then
	# Unfold the iCalendar lines before looking for the name.
	tr -d '\r' <"$tmp/ics" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n //g' \
	    >"$tmp/unfolded"
	if ! grep -qF "CN=\"$nfc\"" "$tmp/unfolded"; then
		ko "ok/nfc" "no CN=\"$nfc\" in the invitation"
	elif grep -qF "$nfd" "$tmp/unfolded"; then
		ko "ok/nfc" "the NFD spelling reached the invitation"
	else
		ok "ok/nfc"
	fi
else
	ko "ok/nfc" "ics failed: $(oneline "$tmp/err")"
fi

# A config that does not exist: exit 1, and the message names it.
"$LOA" -c /nonexistent.cfg check >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 1 ]; then
	ko "missing-config" "exit status $rc, expected 1"
elif san=$(sanitizer "$tmp/err"); then
	ko "missing-config" "sanitizer: $san"
elif ! grep -qF '/nonexistent.cfg' "$tmp/err"; then
	ko "missing-config" "stderr does not name the file: $(oneline "$tmp/err")"
else
	ok "missing-config"
fi

# A folder where the config should be: exit 1, named, no crash.
"$LOA" -c "$LOA_TESTDATA/ok" check >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 1 ]; then
	ko "config-is-folder" "exit status $rc, expected 1: $(oneline "$tmp/err")"
elif san=$(sanitizer "$tmp/err"); then
	ko "config-is-folder" "sanitizer: $san"
elif ! grep -qF 'not a regular file' "$tmp/err"; then
	ko "config-is-folder" "stderr: $(oneline "$tmp/err")"
else
	ok "config-is-folder"
fi

# A range that ends before it starts is a usage error.
(cd "$LOA_TESTDATA/ok" && "$LOA" -c loa.cfg timeline --from 2027-03-31 \
    --to 2027-03-01) >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q 'before --from' "$tmp/err" &&
    ok "timeline: --to before --from exits 2" ||
    ko "timeline-range" "exit status $rc: $(oneline "$tmp/err")"

# simulate --out pointed at a live outbox's folder refuses and keeps it.
mkdir -p "$tmp/live"
cp -r "$LOA_TESTDATA/ok/." "$tmp/live/"
(cd "$tmp/live" && "$LOA" -c loa.cfg run --once --now "2027-03-01 08:00") \
    >/dev/null 2>&1
live=$(sed -n 's/.*store *= *"\([^"]*\)".*/\1/p' "$tmp/live/loa.cfg")
live=$tmp/live/${live:-var/loa.db}
livedir=$(dirname "$live")
if [ ! -f "$live" ]; then
	ko "simulate-live" "run --once made no outbox at $live"
else
	sum=$(cksum <"$live")
	(cd "$tmp/live" && "$LOA" -c loa.cfg simulate --out "$livedir") \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 2 ]; then
		ko "simulate-live" "exit status $rc, expected 2"
	elif [ "$(cksum <"$live")" != "$sum" ]; then
		ko "simulate-live" "the live outbox changed"
	elif ! grep -qF 'give --out a new or empty folder' "$tmp/err"; then
		ko "simulate-live" "stderr: $(oneline "$tmp/err")"
	else
		ok "simulate-live: refuses a live outbox's folder"
	fi
fi

# Usage, version and help.
"$LOA" bogus >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && ok "usage: unknown command exits 2" ||
    ko "usage" "loa bogus: exit status $rc, expected 2"
"$LOA" --version >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^loa [0-9]' "$tmp/out"; then
	ok "--version"
else
	ko "--version" "exit status $rc: $(oneline "$tmp/out")"
fi
"$LOA" --help >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'usage: loa' "$tmp/out"; then
	ok "--help"
else
	ko "--help" "exit status $rc: $(oneline "$tmp/out")"
fi

finish
