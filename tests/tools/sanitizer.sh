# sanitizer.sh: sourced by the integration tests. Sanitizer reports of the
# ASan/UBSan build go to files under a test's folder, whatever a command's
# stderr is redirected to, and any one of them fails the test.
#
#   sanitizer_logs DIR    send the reports of every later command to DIR
#   sanitizer_check DIR   ko (the test's own) when DIR holds a report

sanitizer_logs() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$1/sanitizer"
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$1/sanitizer:print_stacktrace=1"
	export ASAN_OPTIONS UBSAN_OPTIONS
}

sanitizer_check() {
	if ls "$1"/sanitizer.* >/dev/null 2>&1; then
		ko "sanitizer reports" "$(head -c 2000 "$1"/sanitizer.*)"
	fi
}
