# prologue.sh: sourced first by every integration test (tests/integration/).
#
#   . "$LOA_SRC/tests/tools/prologue.sh"
#
# It sets up what each test used to type again:
#   - `set -u`, LOA checked, PY (Debian's Python, for its modules), a fresh
#     folder $tmp removed at exit (kept when KEEP is set);
#   - sanitizer reports of every later command go to files under $tmp, and
#     `finish` fails the test when one is there;
#   - ok NAME / ko NAME [DETAIL]: count and print one verdict;
#   - at_exit 'COMMAND': one more thing to undo at exit (last added, first
#     run: a server stopped before its folder is removed);
#   - poll_until LIMIT COMMAND...: wait for a state (COMMAND succeeds),
#     never for a guess of time;
#   - kill_midway FILE MORE TOTAL COMMAND...: kill -9 a command once it
#     has written MORE more lines to FILE, while fewer than TOTAL are;
#   - catches PID SIGNUM: the process has its handler of that signal in;
#   - alive PID: whether the process lives (a zombie does not);
#   - finish: the closing "N passed, M failed" line and the exit status.

set -u
: "${LOA:?LOA names the loa binary}"
: "${LOA_SRC:?LOA_SRC names the source tree}"
PY=/usr/bin/python3
TOOLS=$LOA_SRC/tests/tools
PYTHONPATH=$TOOLS${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH
tmp=$(mktemp -d)
pass=0
fail=0
_cleanup=""

ok() { pass=$((pass + 1)); echo "ok $1"; }
ko() {
	fail=$((fail + 1))
	echo "FAIL $1${2:+: $2}"
}

# Run COMMAND (a shell string) at exit, before the ones added earlier.
at_exit() { _cleanup="$1; $_cleanup"; }

_prologue_exit() {
	rc=$?
	set +e
	eval "$_cleanup"
	[ -n "${KEEP:-}" ] || { chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"; }
	exit $rc
}
trap _prologue_exit EXIT
trap 'exit 130' INT TERM

# Sanitizer reports go to files under $tmp, whatever stderr is sent to.
. "$TOOLS/sanitizer.sh"
sanitizer_logs "$tmp"

# poll_until LIMIT COMMAND [ARG...]: run COMMAND until it succeeds; give up
# (status 1) after LIMIT seconds. LIMIT is a bound for a machine that is
# far too slow, not the expected time: the test waits for a state.
poll_until() {
	_limit=$1
	shift
	_end=$(($(date +%s) + _limit))
	while ! "$@"; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}

# alive PID: the process is there and not a zombie (a child that died but
# was not waited for yet): a wait for a state stops when the process that
# was to make it is dead.
alive() {
	[ -r "/proc/$1/stat" ] &&
	    [ "$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# catches PID SIGNUM: PID runs loa (not the shell that forks it) and has a
# handler of signal SIGNUM in place (SigCgt): a signal sent now is acted
# on, not fatal, and not lost.
catches() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = loa ] &&
	    _mask=$(awk '/^SigCgt/ { print $2 }' "/proc/$1/status" 2>/dev/null) &&
	    [ $((0x$_mask >> ($2 - 1) & 1)) -eq 1 ]
}

# kill_midway FILE MORE TOTAL COMMAND [ARG...]: run COMMAND (stdout to
# /dev/null, stderr added to $tmp/err), kill it with SIGKILL the instant
# FILE holds MORE lines more than it did (the deliveries or requests it
# makes: a state, not a time), and wait for it. The watcher starts COMMAND
# itself, so its own start-up cannot let COMMAND run ahead unwatched.
# Succeeds when the kill reached it alive and FILE then holds fewer than
# TOTAL lines: the kill landed among the sends. The line count at the kill
# is in $tmp/at.
kill_midway() {
	_f=$1 _more=$2 _total=$3
	shift 3
	_n0=$(_lines "$_f")
	$PY -m loatest run-kill-after "$_f" "$_n0" "$_more" 600 "$tmp/err" \
	    "$@" >"$tmp/at"
	_rc=$?
	[ "$_rc" -eq 0 ] && [ "$(_lines "$_f")" -lt "$_total" ]
}
_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# The closing line and the exit status; sanitizer reports fail the test.
finish() {
	sanitizer_check "$tmp"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
