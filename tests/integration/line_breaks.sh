#!/bin/sh
# line_breaks.sh: every line-oriented output loa writes keeps a text on
# its line, for a reader that splits on Unicode line breaks (Python's
# str.splitlines: VT, FF, NEL, U+2028, U+2029 as well as CR and LF). A
# plan, a person and a broadcast whose titles hold all of them, through
# `run --once` with the file and spool gateways:
#  - the day's M3U is #EXTM3U, one #EXTINF line with the title (each break
#    a space) and the entry's file: three lines;
#  - sms.jsonl is one line a message, its text the same value;
#  - `loa outbox`, `loa timeline`, `loa broadcast list` and the run's own
#    lines: a line a row, the breaks written as \xNN or \uNNNN;
#  - a config path holding U+2028 and LF: the error lines of `check` and
#    `run` name it on one line.
. "$LOA_SRC/tests/tools/prologue.sh"

T=$(printf 'Tin\013A\014B\302\205C\342\200\250D\342\200\251E\rF\nG')
d=$tmp/svc
mkdir -p "$d"
$PY - "$d" "$T" <<'PY'
import sys
d, t = sys.argv[1:3]
# libconfig takes the breaks as they are, CR and LF escaped.
t = t.replace("\r", "\\r").replace("\n", "\\n")
open(d + "/plan.cfg", "w").write('''plan = { id = "5/KH"; issued = "2026-03-02"; title = "%s"; issuer = "UBND"; };
people = ( { id = "p1"; name = "Người %s"; phone = "0912 345 601"; } );
distribution = { at = "plan.issued at 06:00"; to = [ "p1" ]; channels = [ "sms" ]; };
broadcasts = ( { id = "tin-1"; title = "%s"; text = "Bà con chú ý."; air = [ "2026-03-02 06:00" ]; } );
''' % (t, t, t))
open(d + "/loa.cfg", "w").write('''loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
templates = { distribution_sms = "KH {plan.title} xong"; };
''')
PY
"$LOA" -c "$d/loa.cfg" run --once --now "2026-03-02 06:00" >"$tmp/run.out" 2>"$tmp/run.err" ||
    ko "run --once" "$(cat "$tmp/run.err")"
"$LOA" -c "$d/loa.cfg" outbox >"$tmp/outbox" 2>>"$tmp/run.err"
"$LOA" -c "$d/loa.cfg" timeline >"$tmp/timeline" 2>>"$tmp/run.err"
"$LOA" -c "$d/loa.cfg" broadcast list >"$tmp/blist" 2>>"$tmp/run.err"

if $PY - "$d/var/broadcast" "$T" <<'PY'
import glob, os, sys
d, t = sys.argv[1:3]
m3u = glob.glob(os.path.join(d, "*.m3u"))
assert len(m3u) == 1, m3u
lines = open(m3u[0], encoding="utf-8", newline="").read().splitlines()
title = "Tin A B C D E F G"
assert lines[0] == "#EXTM3U" and lines[1].endswith("," + title), lines
assert len(lines) == 3 and lines[2].endswith(".txt"), lines
PY
then ok "the M3U: three lines, the title's breaks spaces"
else ko "the M3U" "$(cat -A "$d"/var/broadcast/*.m3u)"
fi

if $PY - "$d/var/outbox/sms.jsonl" "$T" <<'PY'
import json, sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
lines = text.splitlines()
assert len(lines) == 1 and text.endswith("\n"), lines
assert json.loads(lines[0])["text"] == "KH %s xong" % sys.argv[2], lines
PY
then ok "sms.jsonl: one line a message, the text the same"
else ko "sms.jsonl" "$(cat -A "$d/var/outbox/sms.jsonl")"
fi

# one_line_rows WHAT FILE ROWS: FILE's lines are the same split either
# way, ROWS of them (the first line of the table and its rows).
one_line_rows() {
	if $PY - "$2" "$3" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8", newline="").read()
lines = text.split("\n")
assert lines.pop() == "", "no final newline"
assert text.splitlines() == lines, text.splitlines()
assert len(lines) >= int(sys.argv[2]), lines
PY
	then ok "$1: a line a row"
	else ko "$1" "$(cat -A "$2")"
	fi
}
one_line_rows "loa outbox" "$tmp/outbox" 2
one_line_rows "loa timeline" "$tmp/timeline" 2
one_line_rows "loa broadcast list" "$tmp/blist" 2
one_line_rows "run --once's lines" "$tmp/run.out" 2
grep -q 'Tin\\x0bA\\x0cB\\u0085C\\u2028D\\u2029E\\x0dF\\x0aG' "$tmp/blist" &&
    ok "broadcast list shows the breaks escaped" ||
    ko "broadcast list escapes" "$(cat "$tmp/blist")"

# A config path with U+2028 and LF: the error names it on one line.
bad=$(printf '%s/x\342\200\250y\nz' "$tmp")
mkdir -p "$bad"
echo 'loa = { timezone = "Nowhere/Atlantis"; };' >"$bad/loa.cfg"
"$LOA" -c "$bad/loa.cfg" check >/dev/null 2>"$tmp/check.err"
"$LOA" -c "$bad/loa.cfg" run --once >/dev/null 2>"$tmp/run2.err"
if $PY - "$tmp/check.err" "$tmp/run2.err" <<'PY'
import sys
for f in sys.argv[1:]:
    text = open(f, encoding="utf-8", newline="").read()
    lines = text.split("\n")
    assert lines.pop() == "" and text.splitlines() == lines, (f, lines)
    assert any("x\\u2028y\\x0az/loa.cfg: 2 errors" in l for l in lines), (f, lines)
PY
then ok "a config path with line breaks: its error on one line"
else ko "a config path with line breaks" "$(cat -A "$tmp/check.err" "$tmp/run2.err")"
fi

finish
