#!/bin/sh
# `loa check` on configs errors.sh cannot hold as fixtures (conf/REFERENCE.md §1,
# §3, §4): warnings (every folder under $LOA_TESTDATA/warn/ checks with exit
# 0 and prints the line of its `expect`), files that are not regular files
# (FIFOs), generated deep nesting, a UTF-8 BOM, messages that must not
# appear, and a plan issued at an hour. Needs LOA and LOA_TESTDATA.
. "$LOA_SRC/tests/tools/prologue.sh"
: "${LOA_TESTDATA:?}"
case $LOA in /*) ;; *) LOA=$(pwd)/$LOA ;; esac
case $LOA_TESTDATA in /*) ;; *) LOA_TESTDATA=$(pwd)/$LOA_TESTDATA ;; esac
oneline() { tr '\n' '|' <"$1" | cut -c1-600; }
sanitizer() { grep -E 'Sanitizer|runtime error' "$1" | head -n 1 | grep .; }

# check NAME DIR RC WANT: `loa -c loa.cfg check` in DIR (at most 120 s)
# exits RC and prints WANT on stderr, with no sanitizer report.
check() {
	(cd "$2" && timeout 120 "$LOA" -c loa.cfg check) >"$tmp/out" \
	    2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$3" ]; then
		ko "$1" "exit status $rc, expected $3; stderr: $(oneline "$tmp/err")"
	elif san=$(sanitizer "$tmp/err"); then
		ko "$1" "sanitizer: $san"
	elif [ -n "$4" ] && ! grep -qF -- "$4" "$tmp/err"; then
		ko "$1" "stderr lacks \"$4\"; got: $(oneline "$tmp/err")"
	else
		ok "$1"
	fi
}

# Warnings: exit 0 and the expected line.
for dir in "$LOA_TESTDATA"/warn/*/; do
	[ -d "$dir" ] || continue
	IFS= read -r want <"$dir/expect"
	check "warn/$(basename "$dir")" "$dir" 0 "$want"
done

# A secret in the config: the secrets error alone, never "unknown key",
# and never the secret itself.
for dir in "$LOA_TESTDATA"/bad/secret-*/; do
	name=bad/$(basename "$dir")
	(cd "$dir" && "$LOA" -c loa.cfg check) >"$tmp/out" 2>"$tmp/err"
	if grep -q 'unknown key' "$tmp/err"; then
		ko "$name: one message" "$(oneline "$tmp/err")"
	elif grep -q 's3cret' "$tmp/err" "$tmp/out"; then
		ko "$name: secret echoed" "$(oneline "$tmp/err")"
	else
		ok "$name: the secrets error alone"
	fi
done

# A copy of the valid fixture to break.
fresh() {
	rm -rf "$tmp/c"
	mkdir "$tmp/c"
	cp "$LOA_TESTDATA/ok/loa.cfg" "$LOA_TESTDATA/ok/plan.cfg" "$tmp/c/"
}

# A FIFO never blocks loa: as the config, a plan, an @include, an attachment.
fresh
rm "$tmp/c/loa.cfg"
mkfifo "$tmp/c/loa.cfg"
check "fifo: config" "$tmp/c" 1 "loa.cfg: cannot read the service config: not a regular file"
fresh
rm "$tmp/c/plan.cfg"
mkfifo "$tmp/c/plan.cfg"
check "fifo: plan" "$tmp/c" 1 'loa.cfg:7: loa.plans: cannot read "plan.cfg": not a regular file'
fresh
mkfifo "$tmp/c/more.cfg"
printf '@include "more.cfg"\n' >>"$tmp/c/plan.cfg"
line=$(wc -l <"$tmp/c/plan.cfg")
check "fifo: @include" "$tmp/c" 1 "plan.cfg:$line: @include: cannot read \"more.cfg\": not a regular file"
fresh
mkfifo "$tmp/c/pipe.pdf"
sed -i 's|^distribution = { at = "plan.issued";|distribution = { at = "plan.issued"; attachments = [ "pipe.pdf" ];|' \
    "$tmp/c/plan.cfg"
line=$(grep -n '^distribution' "$tmp/c/plan.cfg" | cut -d: -f1)
check "fifo: attachment" "$tmp/c" 1 "plan.cfg:$line: distribution.attachments[0]: \"pipe.pdf\" is not a regular file"

# A UTF-8 BOM (Notepad's default) at the start of either file is accepted.
fresh
printf '\357\273\277' | cat - "$LOA_TESTDATA/ok/loa.cfg" >"$tmp/c/loa.cfg"
printf '\357\273\277' | cat - "$LOA_TESTDATA/ok/plan.cfg" >"$tmp/c/plan.cfg"
check "bom: accepted" "$tmp/c" 0 ""
grep -q '^loa.cfg: OK, no warnings$' "$tmp/out" && ok "bom: no warnings" ||
    ko "bom: no warnings" "$(oneline "$tmp/out")"

# Groups nested N deep: g1 has g2 ... gN has soai. Into $tmp/c/plan.cfg.
nested() {
	fresh
	awk -v n="$1" 'BEGIN {
		for (i = 1; i < n; i++)
			printf "  { id = \"g%d\"; members = [ \"g%d\" ]; },\n", i, i + 1;
		printf "  { id = \"g%d\"; members = [ \"soai\" ]; },\n", n;
	}' >"$tmp/groups"
	sed -e "/^groups = (/r $tmp/groups" \
	    -e 's/to = \[ "ld-ubnd", /to = [ "g1", "ld-ubnd", /' \
	    "$LOA_TESTDATA/ok/plan.cfg" >"$tmp/c/plan.cfg"
}
nested 100000
check "groups: 100000 deep" "$tmp/c" 1 "groups nest deeper than 64: g1 -> g2 -> g3"
nested 70
check "groups: 70 deep" "$tmp/c" 1 "groups nest deeper than 64: g1 -> g2"
nested 60
check "groups: 60 deep" "$tmp/c" 0 ""
(cd "$tmp/c" && "$LOA" -c loa.cfg timeline --json) >"$tmp/tl" 2>"$tmp/err"
grep '"kind": "distribution"' "$tmp/tl" | grep -q '"recipient": "soai"' &&
    ok "groups: 60 deep reach soai" ||
    ko "groups: 60 deep reach soai" "$(oneline "$tmp/err")"

# plan.issued at an hour: the distribution follows it.
fresh
sed -i 's/issued = "2027-03-01";/issued = "2027-03-01 09:00";/' "$tmp/c/plan.cfg"
check "issued: at an hour" "$tmp/c" 0 ""
(cd "$tmp/c" && "$LOA" -c loa.cfg timeline --json) >"$tmp/tl" 2>"$tmp/err"
n=$(grep '"kind": "distribution"' "$tmp/tl" | grep '"channel": "email"' |
    grep -c '"due": "2027-03-01T09:00:00+07:00"')
[ "$n" -eq 5 ] && ok "issued: distribution at 09:00" ||
    ko "issued: distribution at 09:00" "$n of 5; $(oneline "$tmp/err")"
sed -i 's/at = "plan.issued";/at = "plan.issued + 1h";/' "$tmp/c/plan.cfg"
(cd "$tmp/c" && "$LOA" -c loa.cfg timeline --json) >"$tmp/tl" 2>"$tmp/err"
n=$(grep '"kind": "distribution"' "$tmp/tl" | grep '"channel": "email"' |
    grep -c '"due": "2027-03-01T10:00:00+07:00"')
[ "$n" -eq 5 ] && ok "issued: plan.issued + 1h at 10:00" ||
    ko "issued: plan.issued + 1h at 10:00" "$n of 5; $(oneline "$tmp/err")"
fresh
(cd "$tmp/c" && "$LOA" -c loa.cfg timeline --json) >"$tmp/tl" 2>"$tmp/err"
n=$(grep '"kind": "distribution"' "$tmp/tl" | grep '"channel": "email"' |
    grep -c '"due": "2027-03-01T00:00:00+07:00"')
[ "$n" -eq 5 ] && ok "issued: a date alone is 00:00" ||
    ko "issued: a date alone is 00:00" "$n of 5; $(oneline "$tmp/err")"

finish
