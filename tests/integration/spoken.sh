#!/bin/sh
# The text for the ear through the CLI (conf/REFERENCE.md §7, README "Text for
# the ear"): the seed config, copied with a broadcast.say table and one more
# news item, simulated; each spool record's `spoken` (read by Python's
# json) has no digit left, says "Ủy ban nhân dân" where the text says
# UBND, applies the say words, and the added item reads exactly as an
# announcer would. Then `loa check` names the file and line of a bad say
# entry, and a good table passes.
# Needs LOA (the binary) and LOA_SRC (the source tree).
. "$LOA_SRC/tests/tools/prologue.sh"
case $LOA in /*) ;; *) LOA=$(pwd)/$LOA ;; esac

cp -r "$LOA_SRC/conf" "$tmp/conf"
# The say table: "gác" as a southern station says it, and the commune.
# As conf/REFERENCE.md §3 writes it: quoted words as names (libconfig itself
# takes only bare ones; loa reads these).
sed 's|^  gap = .*|&\n  say = { "gác" = "tầng"; "ĐS" : "Đại Sơn"; }; # "x" = 1|' \
    "$LOA_SRC/conf/loa.cfg" >"$tmp/conf/loa.cfg"
grep -q 'say = ' "$tmp/conf/loa.cfg" || ko "say" "not added to the config"
# One more item, with what a notice of the commune holds.
$PY - "$tmp/conf/plans/129-KH-UBND.cfg" <<'PY'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
item = '''broadcasts = (
  { id = "tb-nuoc";
    title = "Thông báo giá nước";
    text = "Kính thưa bà con! UBND xã ĐS thông báo: từ 8h30 thứ 2, ngày 22/12/2025, "
           "giá nước tăng 2,5%, mỗi hộ đóng 150.000đ cho 10-12 m³. Mọi thắc mắc "
           "xin gọi 0912 345 678 hoặc đường dây nóng 1900 1234.";
    air = [ "hoi-nghi.start - 3d" ];
    expires = "hoi-nghi.start"; },
'''
assert s.count("broadcasts = (\n") == 1
open(p, "w", encoding="utf-8").write(s.replace("broadcasts = (\n", item, 1))
PY

if "$LOA" -c "$tmp/conf/loa.cfg" check >"$tmp/check" 2>&1; then
	ok "check: the say table and the added item"
else
	ko "check" "$(cat "$tmp/check")"
fi
"$LOA" -c "$tmp/conf/loa.cfg" simulate --out "$tmp/sim" >/dev/null 2>"$tmp/err" ||
    ko "simulate" "$(cat "$tmp/err")"

$PY - "$tmp/sim/broadcast" >"$tmp/py" 2>&1 <<'PY'
import glob, re, sys
from loatest import load
want_nuoc = ("Kính thưa bà con! Ủy ban nhân dân xã Đại Sơn thông báo: từ tám giờ "
    "ba mươi phút thứ hai, ngày hai mươi hai tháng mười hai năm hai nghìn "
    "không trăm hai mươi lăm, giá nước tăng hai phẩy năm phần trăm, mỗi hộ "
    "đóng một trăm năm mươi nghìn đồng cho mười đến mười hai mét khối. Mọi "
    "thắc mắc xin gọi không chín một hai, ba bốn năm, sáu bảy tám hoặc đường "
    "dây nóng một chín không không, một hai ba bốn.")
files = sorted(glob.glob(sys.argv[1] + "/*.json"))
objs = set()
for f in files:
    j = load(f)
    t, s = j["text"], j["spoken"]
    objs.add(j["object"])
    name = j["object"] + " " + f.rsplit("/", 1)[1]
    print("ok" if re.search(r"\d", t) else "FAIL", name, "text keeps its digits")
    d = re.search(r".{0,20}\d.{0,20}", s)
    print("FAIL" if d else "ok", name, "no digit in spoken", d.group(0) if d else "")
    if "UBND" in t:
        n = t.count("UBND") + t.count("Ủy ban nhân dân")
        print("ok" if "UBND" not in s and s.count("Ủy ban nhân dân") == n
              else "FAIL", name, "UBND read as Ủy ban nhân dân")
    if "gác 3" in t:
        print("ok" if "tầng ba" in s and "gác" not in s else "FAIL", name,
              "say: gác read as tầng")
    if j["object"] == "tb-nuoc":
        print("ok" if s == want_nuoc else "FAIL", name, "the added item", s)
for o in ("tb-hoi-nghi", "tin-hoi-nghi", "tb-nuoc"):
    print("ok" if o in objs else "FAIL", o, "in the spool")
PY
while read -r verdict rest; do
	case $verdict in
	ok) ok "$rest" ;;
	*) ko "$rest" ;;
	esac
done <"$tmp/py"
[ -s "$tmp/py" ] || ko "spool" "nothing read"

# The same table as a list of pairs reads the same.
sed 's|^  gap = .*|&\n  say = ( ( "gác", "tầng" ), ( "ĐS", "Đại Sơn" ) );|' \
    "$LOA_SRC/conf/loa.cfg" >"$tmp/conf/pairs.cfg"
same=no
if "$LOA" -c "$tmp/conf/pairs.cfg" simulate --out "$tmp/sim2" >/dev/null 2>&1
then
	same=yes
	for f in "$tmp"/sim/broadcast/*.json; do
		cmp -s "$f" "$tmp/sim2/broadcast/${f##*/}" || same=no
	done
fi
if [ "$same" = yes ]; then
	ok "say as a list of pairs: the same records"
else
	ko "say as pairs" "records differ"
fi

# A bad say entry: the file and line, what is wrong; exit 1.
sed 's|^  gap = .*|&\n  say = ( ( "ĐS", "Đại Sơn" ), ( "Đại Sơn", "x" ), ( "PAR", 1 ) );|' \
    "$LOA_SRC/conf/loa.cfg" >"$tmp/conf/loa.cfg"
line=$(grep -n '^  say = ' "$tmp/conf/loa.cfg" | cut -d: -f1)
"$LOA" -c "$tmp/conf/loa.cfg" check >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc = 1 ] &&
    grep -qF "loa.cfg:$line: broadcast.say[1]: \"Đại Sơn\" holds white space" "$tmp/err" &&
    grep -qF "loa.cfg:$line: broadcast.say[2]: expected a string" "$tmp/err"; then
	ok "check: bad say entries at loa.cfg:$line"
else
	ko "check: bad say" "rc $rc: $(cat "$tmp/err")"
fi

finish
