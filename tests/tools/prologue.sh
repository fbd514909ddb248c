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

# The closing line and the exit status; sanitizer reports fail the test.
finish() {
	sanitizer_check "$tmp"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
