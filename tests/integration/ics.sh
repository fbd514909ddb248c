#!/bin/sh
# ics.sh: every iCalendar object `loa ics` writes parses cleanly in three
# independent parsers (conf/REFERENCE.md §7, RFC 6047): python3-icalendar (no
# component with .errors), python3-vobject (readOne with validate=True,
# then serialize and read back), `calcurse -i` (exit 0, 0 skipped) and
# libical (tests/tools/ical_lint: icalcomponent_count_errors, and the iTIP
# restrictions for REQUEST and CANCEL), all on the same bytes.
#
# For conf/loa.cfg and every loa*.cfg under $LOA_TESTDATA/plans and
# $LOA_TESTDATA/ok that passes `loa check`: `ics --event E` for every event
# (twice, at two --now), `ics --event E --method CANCEL`, `--method
# PUBLISH`, `ics --tasks` and `ics --all` (twice). Also checked with
# python3-icalendar: UIDs are stable across runs and equal between an
# invitation, its cancellation and the feed; every ORGANIZER and ATTENDEE
# CN reads back as the Vietnamese name the plan gives that address.
#
# Needs LOA (the binary), LOA_SRC (the source tree) and LOA_TESTDATA.
# Prints "ok NAME" or "FAIL NAME: why" per case, then "N passed, M failed".
. "$LOA_SRC/tests/tools/prologue.sh"
: "${LOA_TESTDATA:?}" "${ICAL_LINT:?}"
NOW1="2025-11-28 09:00"
NOW2="2025-12-20 17:45"

# The Python side: python3-icalendar and python3-vobject on the files of
# one config, plus reading the plan files for names and event ids.
cat >"$tmp/check.py" <<'PY'
"""Checks of loa's iCalendar output with python3-icalendar and -vobject.

check.py events CFG          print the event ids the plans of CFG define
check.py check CFG NAME DIR  check the files DIR/manifest lists
                             (kind, file, label, event), print ok/FAIL lines
"""
import os
import re
import sys
import unicodedata

STRING = r'"(?:[^"\\]|\\.)*"'


def nfc(s):
    return unicodedata.normalize("NFC", s)


def unescape(lit):
    """A libconfig string literal, or adjacent ones, as text."""
    out = ""
    for m in re.finditer(STRING, lit):
        s = m.group(0)[1:-1]
        out += re.sub(r'\\(.)', lambda e: {"n": "\n", "t": "\t",
                                            "r": "\r"}.get(e.group(1),
                                                           e.group(1)), s)
    return out


def strip_comments(text):
    """libconfig text without #, // and /* */ comments."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            m = re.compile(STRING).match(text, i)
            j = m.end() if m else n
            out.append(text[i:j])
            i = j
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def masked(text):
    """text with the inside of every string literal blanked out."""
    return re.sub(STRING, lambda m: '"' + "x" * (len(m.group(0)) - 2) + '"',
                  text)


def plan_texts(cfg):
    """The comment-free text of every plan file cfg names."""
    base = os.path.dirname(cfg)
    svc = strip_comments(open(cfg, encoding="utf-8").read())
    m = re.search(r"\bplans\s*[=:]\s*\[([^\]]*)\]", masked(svc))
    out = []
    if m:
        for lit in re.findall(STRING, svc[m.start(1):m.end(1)]):
            path = os.path.join(base, unescape(lit))
            out.append(strip_comments(open(path, encoding="utf-8").read()))
    return out


def names(cfg):
    """email -> the name of the person or agency with that address."""
    out = {}
    for text in plan_texts(cfg):
        mt = masked(text)
        for b in re.finditer(r"\{[^{}]*\}", mt):
            block = text[b.start():b.end()]
            mb = mt[b.start():b.end()]
            nm = re.search(r"\bname\s*[=:]\s*((?:%s\s*)+)" % STRING, mb)
            em = re.search(r"\bemail\s*[=:]\s*(%s)" % STRING, mb)
            if nm and em:
                email = unescape(block[em.start(1):em.end(1)]).lower()
                out[email] = nfc(unescape(block[nm.start(1):nm.end(1)]))
    return out


def event_ids(cfg):
    ids = []
    for text in plan_texts(cfg):
        mt = masked(text)
        m = re.search(r"(?m)^\s*events\s*[=:]\s*\(", mt)
        if not m:
            continue
        depth, i, start = 1, m.end(), m.end()
        while i < len(mt) and depth > 0:
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1,
                      "}": -1}.get(mt[i], 0)
            i += 1
        sect, msect = text[start:i], mt[start:i]
        for b in re.finditer(r"\{[^{}]*\}", msect):
            mi = re.search(r"\bid\s*[=:]\s*(%s)" % STRING, b.group(0))
            if mi:
                ids.append(unescape(sect[b.start() + mi.start(1):
                                         b.start() + mi.end(1)]))
    return ids


def check(cfg, name, d):
    import icalendar
    import vobject

    results = []

    def res(label, why):
        results.append(("ok %s" % label) if why is None else
                       ("FAIL %s: %s" % (label, why)))

    who = names(cfg)
    uids = {}          # (kind, event) -> sorted UIDs
    cn_bad, cn_seen = [], 0
    for line in open(os.path.join(d, "manifest"), encoding="utf-8"):
        kind, fname, label, ev = line.rstrip("\n").split("\t")
        path = os.path.join(d, fname)
        data = open(path, "rb").read()
        want = {"req": "REQUEST", "req2": "REQUEST", "upd": "REQUEST",
                "cancel": "CANCEL"}.get(
            kind, "PUBLISH")

        # (a) python3-icalendar: from_ical, every component's .errors.
        why = None
        cal = None
        try:
            cal = icalendar.Calendar.from_ical(data)
            errs = ["%s: %s" % (c.name, c.errors) for c in cal.walk()
                    if getattr(c, "errors", None)]
            # A cancelled event is announced as cancelled by default.
            if kind in ("req", "req2") and any(
                    str(c.get("STATUS")) == "CANCELLED"
                    for c in cal.walk("VEVENT")):
                want = "CANCEL"
            # Without ORGANIZER (no address for it) iTIP cannot be: loa
            # publishes the event instead (RFC 5546 §3.2).
            if kind in ("req", "req2", "cancel", "upd") and all(
                    c.get("ORGANIZER") is None
                    for c in cal.walk("VEVENT")):
                want = "PUBLISH"
            if errs:
                why = "; ".join(errs)
            elif str(cal.get("METHOD")) != want:
                why = "METHOD %s, expected %s" % (cal.get("METHOD"), want)
        except Exception as e:          # noqa: BLE001 - any complaint fails
            why = "%s: %s" % (type(e).__name__, e)
        res("%s %s icalendar" % (name, label), why)

        # (b) python3-vobject: validate, serialize, read the result back.
        why = None
        try:
            text = data.decode("utf-8")
            try:
                obj = vobject.readOne(text, validate=True)
            except TypeError:
                obj = vobject.readOne(text)
            out = obj.serialize()
            again = vobject.readOne(out)
            n1 = len(list(obj.getChildren()))
            n2 = len(list(again.getChildren()))
            if n1 != n2:
                why = "serialized %d children, read back %d" % (n1, n2)
        except Exception as e:          # noqa: BLE001
            why = "%s: %s" % (type(e).__name__, e)
        res("%s %s vobject" % (name, label), why)

        if cal is None:
            continue
        uids[(kind, ev)] = sorted(str(c["UID"]) for c in cal.walk()
                                  if c.name in ("VEVENT", "VTODO"))
        # CN of every ORGANIZER and ATTENDEE: the plan's name for that
        # address, read back by python3-icalendar.
        for c in cal.walk():
            for prop in ("ORGANIZER", "ATTENDEE"):
                vals = c.get(prop)
                if vals is None:
                    continue
                if not isinstance(vals, list):
                    vals = [vals]
                for v in vals:
                    addr = str(v)
                    email = re.sub(r"(?i)^mailto:", "", addr).lower()
                    cn = v.params.get("CN")
                    cn_seen += 1
                    if email not in who:
                        cn_bad.append("%s %s: %s not in the plan" %
                                      (label, prop, addr))
                    elif cn is None:
                        cn_bad.append("%s %s %s: no CN" % (label, prop, addr))
                    elif str(cn) != who[email]:
                        cn_bad.append("%s %s %s: CN %r, expected %r" %
                                      (label, prop, addr, str(cn),
                                       who[email]))

    res("%s CN round-trips (%d addresses)" % (name, cn_seen),
        "; ".join(cn_bad[:5]) if cn_bad else None)

    # UIDs: stable across runs, one event's the same in every object.
    for (kind, ev), u in sorted(uids.items()):
        if kind == "req":
            why = None
            if len(u) != 1:
                why = "%d UIDs in the invitation" % len(u)
            elif uids.get(("req2", ev)) != u:
                why = "second run has %s, first %s" % (uids.get(("req2", ev)),
                                                      u)
            elif uids.get(("cancel", ev)) != u:
                why = "CANCEL has %s, REQUEST %s" % (uids.get(("cancel", ev)),
                                                    u)
            elif uids.get(("pub", ev)) != u:
                why = "PUBLISH has %s, REQUEST %s" % (uids.get(("pub", ev)), u)
            elif u[0] not in uids.get(("all", ""), []):
                why = "not in the feed"
            res("%s event %s UID stable" % (name, ev), why)
    if ("all", "") in uids:
        a, b = uids[("all", "")], uids.get(("all2", ""))
        res("%s feed UIDs stable" % name,
            None if a == b and len(set(a)) == len(a) else
            "first %s, second %s" % (a, b))
    print("\n".join(results))


if __name__ == "__main__":
    if sys.argv[1] == "events":
        print("\n".join(event_ids(sys.argv[2])))
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
PY

# Fail early and clearly when a parser is missing.
for m in icalendar vobject; do
	if "$PY" -c "import $m" 2>"$tmp/err"; then
		ok "python3-$m is installed"
	else
		ko "python3-$m is installed" "$(cat "$tmp/err")"
	fi
done
if command -v calcurse >/dev/null 2>&1; then
	ok "calcurse is installed"
else
	ko "calcurse is installed" "not found"
fi

# parse_dir CFG NAME DIR: every object DIR/manifest lists, through the four
# parsers: (a) python3-icalendar and (b) python3-vobject with the
# cross-file checks, (c) calcurse, (d) libical (ical_lint).
parse_dir() {
	cfg=$1 name=$2 d=$3
	# (a), (b) and the cross-file checks, in Python.
	"$PY" "$tmp/check.py" check "$cfg" "$name" "$d" >"$d/py" 2>"$d/pyerr"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*)		ok "${line#ok }" ;;
		"FAIL "*)	line=${line#FAIL }
				ko "${line%%: *}" "${line#*: }" ;;
		esac
	done <"$d/py"
	[ $rc -eq 0 ] || ko "$name python checks" \
	    "exited $rc: $(tail -n 3 "$d/pyerr")"

	# (c) calcurse: a fresh data folder each time; exit 0, 0 skipped.
	while IFS="$(printf '\t')" read -r k f l e; do
		ccdir=$(mktemp -d "$tmp/calcurse.XXXXXX")
		if calcurse -D "$ccdir" -i "$d/$f" >"$d/cc" 2>&1 </dev/null; then
			if grep -q '/ 0 skipped' "$d/cc"; then
				ok "$name $l calcurse"
			else
				ko "$name $l calcurse" "$(tr '\n' ' ' <"$d/cc")"
			fi
		else
			rc=$?
			ko "$name $l calcurse" \
			    "exit $rc: $(tr '\n' ' ' <"$d/cc")"
		fi
		rm -rf "$ccdir"
	done <"$d/manifest"

	# (d) libical: icalcomponent_count_errors on the same bytes.
	while IFS="$(printf '\t')" read -r k f l e; do
		if "$ICAL_LINT" "$d/$f" >"$d/lint" 2>&1; then
			ok "$name $l libical"
		else
			ko "$name $l libical" "$(tr '\n' ' ' <"$d/lint")"
		fi
	done <"$d/manifest"
}

# The configs: the seed plan, then every test config, in a stable order.
{
	echo "$LOA_SRC/conf/loa.cfg"
	for d in "$LOA_TESTDATA/plans" "$LOA_TESTDATA/ok"; do
		[ -d "$d" ] && find "$d" -type f -name 'loa*.cfg'
	done | LC_ALL=C sort
} >"$tmp/configs"

n=0
while IFS= read -r cfg; do
	case $cfg in
	"$LOA_SRC"/conf/*)	name=${cfg#"$LOA_SRC"/} ;;
	*)			name=${cfg#"$LOA_TESTDATA"/} ;;
	esac
	if ! "$LOA" -c "$cfg" check >/dev/null 2>&1; then
		echo "# skip $name: does not pass loa check"
		continue
	fi
	n=$((n + 1))
	d="$tmp/c$n"
	mkdir "$d"
	: >"$d/manifest"

	# Events: those jobs name, and those the plan files define.
	{
		"$LOA" -c "$cfg" timeline --json --now "$NOW1" 2>/dev/null |
		    "$PY" -c '
import json, sys
for j in json.load(sys.stdin):
    if j["kind"] in ("invitation", "update", "cancel", "event-reminder"):
        print(j["object"])'
		"$PY" "$tmp/check.py" events "$cfg"
	} | LC_ALL=C sort -u >"$d/events"

	# run KIND FILE LABEL EVENT ARGS...: write one object, list it.
	run() {
		k=$1 f=$2 l=$3 e=$4
		shift 4
		"$LOA" -c "$cfg" ics "$@" >"$d/$f" 2>"$d/err" </dev/null
		rc=$?
		if [ $rc -eq 0 ] && [ -s "$d/$f" ]; then
			printf '%s\t%s\t%s\t%s\n' "$k" "$f" "$l" "$e" \
			    >>"$d/manifest"
		else
			ko "$name $l" \
			    "loa ics $* exited $rc: $(head -c 300 "$d/err")"
		fi
	}
	i=0
	while IFS= read -r ev; do
		[ -n "$ev" ] || continue
		i=$((i + 1))
		run req "e$i.ics" "ics --event $ev" "$ev" \
		    --event "$ev" --now "$NOW1"
		run req2 "e$i-2.ics" "ics --event $ev (again)" "$ev" \
		    --event "$ev" --now "$NOW2"
		run cancel "e$i-c.ics" "ics --event $ev --method CANCEL" "$ev" \
		    --event "$ev" --method CANCEL --now "$NOW1"
		run pub "e$i-p.ics" "ics --event $ev --method PUBLISH" "$ev" \
		    --event "$ev" --method PUBLISH --now "$NOW1"
	done <"$d/events"
	run tasks tasks.ics "ics --tasks" "" --tasks --now "$NOW1"
	run all all.ics "ics --all" "" --all --now "$NOW1"
	run all2 all-2.ics "ics --all (again)" "" --all --now "$NOW2"

	parse_dir "$cfg" "$name" "$d"
done <"$tmp/configs"

if [ "$n" -ge 2 ]; then
	ok "configs checked: $n"
else
	ko "configs checked" "only $n valid configs found"
fi

# The mails the engine sends for the seed plan: the invitations, then an
# update after the room moved (SEQUENCE 1) and a cancellation (SEQUENCE 2);
# each mail's text/calendar part through the four parsers.
m="$tmp/mail"
mkdir -p "$m/conf" "$m/d"
cp -r "$LOA_SRC/conf/." "$m/conf/"
mcfg="$m/conf/loa.cfg"
mplan=$(ls "$m"/conf/plans/*.cfg | head -n 1)
: >"$m/d/manifest"
# The first invitation's time, and two hours after it.
"$LOA" -c "$mcfg" timeline --json >"$m/tl.json" 2>"$m/err"
set -- $("$PY" - "$m/tl.json" <<'PY'
import sys, datetime
from loatest import load
jobs = [j for j in load(sys.argv[1]) if j["kind"] == "invitation"]
t = min(datetime.datetime.fromisoformat(j["due"]) for j in jobs)
for h in (0, 1, 2):
    print((t + datetime.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M"))
PY
)
if [ $# -ne 3 ]; then
	ko "mails" "no invitation in the seed timeline"
else
	# mails STEP KIND: each new .eml's calendar part, listed as KIND.
	mails() {
		"$PY" - "$m/conf/../var/outbox/mail" "$m/d" "$1" "$2" \
		    >>"$m/d/manifest" <<'PY'
import email, os, sys
src, dst, step, kind = sys.argv[1:5]
seen = set(open(os.path.join(dst, "seen")).read().split()) \
    if os.path.exists(os.path.join(dst, "seen")) else set()
new = sorted(f for f in os.listdir(src) if f.endswith(".eml") and f not in seen)
for f in new:
    msg = email.message_from_binary_file(open(os.path.join(src, f), "rb"))
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    if not parts:
        continue
    out = "%s-%s.ics" % (step, f[:-4])
    data = parts[0].get_payload(decode=True)
    open(os.path.join(dst, out), "wb").write(data)
    # Listed by the METHOD the mail's Content-Type says.
    meth = (parts[0].get_param("method") or "").upper()
    if meth != (kind if kind != "upd" else "REQUEST").upper() and \
            not (kind == "cancel" and meth == "CANCEL"):
        print("pub\t%s\t%s mail %s (%s)\t" % (out, step, f[:-4], meth))
        continue
    print("%s\t%s\t%s mail %s\t" % (kind, out, step, f[:-4]))
with open(os.path.join(dst, "seen"), "a") as s:
    s.write("".join(f + "\n" for f in new))
PY
	}
	# edit RE TEXT: the plan's first match of RE becomes TEXT.
	edit() {
		"$PY" - "$mplan" "$1" "$2" <<'PY'
import re, sys
p, pat, text = sys.argv[1:4]
s = open(p, encoding="utf-8").read()
s = re.sub(pat, lambda _: text, s, count=1)
open(p, "w", encoding="utf-8").write(s)
PY
	}
	"$LOA" -c "$mcfg" run --once --now "$(echo "$1" | tr T ' ')" \
	    >/dev/null 2>>"$m/err"
	mails invitation upd
	edit 'location\s*=\s*"[^"]*"' 'location = "Hội trường mới - Nhà văn hóa xã"'
	"$LOA" -c "$mcfg" run --once --now "$(echo "$2" | tr T ' ')" \
	    >/dev/null 2>>"$m/err"
	mails update upd
	edit 'status\s*=\s*"confirmed"' 'status = "cancelled"'
	"$LOA" -c "$mcfg" run --once --now "$(echo "$3" | tr T ' ')" \
	    >/dev/null 2>>"$m/err"
	mails cancel cancel
	for k in upd cancel; do
		c=$(grep -c "^$k	" "$m/d/manifest")
		[ "$c" -gt 0 ] && ok "seed mails: $c $k" ||
		    ko "seed mails" "no $k mail: $(tail -n 3 "$m/err")"
	done
	grep -l '^SEQUENCE:1' "$m"/d/update-*.ics >/dev/null 2>&1 &&
	    ok "seed update mails carry SEQUENCE:1" ||
	    ko "seed update mails" "no SEQUENCE:1"
	grep -l '^SEQUENCE:2' "$m"/d/cancel-*.ics >/dev/null 2>&1 &&
	    ok "seed cancel mails carry SEQUENCE:2" ||
	    ko "seed cancel mails" "no SEQUENCE:2"
	parse_dir "$mcfg" "seed-mail" "$m/d"
fi

ls "$tmp"/sanitizer.* >/dev/null 2>&1 || ok "no sanitizer report"
finish
