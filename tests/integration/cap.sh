#!/bin/sh
# cap.sh: the CAP 1.2 alerts of emergency broadcasts. `loa simulate` of a
# plan with emergency items (with and without `cap = { }`) writes one
# ID.cap.xml each (and none for a normal item); every alert validates
# against the OASIS schema (xmllint --schema cap12.xsd); read back with
# ElementTree: identifier loa-ID, the configured sender and status, sent
# with a numeric offset, language vi-VN, the item's or the default
# category/urgency/severity/certainty, headline and description the
# item's own words (a title with <, & and quotes escaped right), areaDesc
# the configured area. Update and Cancel alerts (from the payload
# contract, rendered by tests/tools/cap_render) validate too and carry
# <references> as given. Bad CAP values are check errors with FILE:LINE.
. "$LOA_SRC/tests/tools/prologue.sh"
: "${CAP_RENDER:?}"

xsd="$LOA_SRC/tests/data/cap12.xsd"

cat >"$tmp/plan.cfg" <<'PLAN'
plan = { id = "7/TB-UBND"; issued = "2026-09-01"; title = "Phòng chống thiên tai";
         issuer = "UBND xã Đại Sơn"; };
broadcasts = (
  { id = "bao-so-5"; title = "Bão số 5 <cấp 12> & mưa \"rất\" to 'khẩn'";
    text = "Bão số 5 đổ bộ chiều nay. Bà con chằng chống nhà cửa & neo đậu tàu thuyền.";
    air = [ "2026-09-01 14:00" ]; priority = "emergency";
    cap = { category = "Met"; event = "Bão"; urgency = "Expected"; severity = "Extreme";
            certainty = "Likely"; instruction = "Di dời khỏi vùng trũng trước 17 giờ."; }; },
  { id = "chay-rung"; title = "Cháy rừng phòng hộ";
    text = "Đám cháy tại tiểu khu 12. Không vào rừng.";
    air = [ "2026-09-01 15:00" ]; priority = "emergency"; expires = "2026-09-01 20:00"; },
  { id = "hop-thon"; title = "Họp thôn"; text = "Họp thôn tối nay.";
    air = [ "2026-09-01 06:00" ]; }
);
PLAN
cat >"$tmp/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = { cap = { sender = "ubnd@daison.example"; area = "Xã Đại Sơn, huyện Đại Lộc";
                      status = "Exercise"; }; };
CFG
"$LOA" -c "$tmp/loa.cfg" simulate --out "$tmp/sim" >"$tmp/sim.out" 2>"$tmp/sim.err" ||
    ko "simulate" "$(cat "$tmp/sim.err")"
"$LOA" -c "$tmp/loa.cfg" outbox --store "$tmp/sim/loa.db" --json >"$tmp/outbox.json"

n=0
bad=
for f in "$tmp"/sim/broadcast/*.cap.xml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	xmllint --noout --schema "$xsd" "$f" >"$tmp/lint" 2>&1 || bad="$bad $(cat "$tmp/lint")"
done
if [ "$n" -eq 2 ] && [ -z "$bad" ]; then
	ok "both emergencies' alerts validate against cap12.xsd"
else
	ko "CAP files ($n) against the schema" "$bad"
fi

if $PY - "$tmp/outbox.json" "$tmp/sim/broadcast" <<'PY'
from loatest import load
import json, os, re, sys
import xml.etree.ElementTree as ET
jobs, d = load(sys.argv[1]), sys.argv[2]
ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
byobj = {j["object"]: j for j in jobs}
assert not os.path.exists(os.path.join(d, byobj["hop-thon"]["id"] + ".cap.xml"))
def get(x, p):
    e = x.find(p, ns)
    return None if e is None else e.text
want = {
    "bao-so-5": ("Met", "Bão", "Expected", "Extreme", "Likely",
                 "Di dời khỏi vùng trũng trước 17 giờ."),
    "chay-rung": ("Safety", "Cháy rừng phòng hộ", "Immediate", "Severe",
                  "Observed", None),
}
for obj, (cat, ev, urg, sev, cer, ins) in want.items():
    j = byobj[obj]
    raw = open(os.path.join(d, j["id"] + ".cap.xml"), encoding="utf-8").read()
    x = ET.fromstring(raw.encode())
    assert x.tag == "{urn:oasis:names:tc:emergency:cap:1.2}alert", x.tag
    assert get(x, "c:identifier") == "loa-" + j["id"], raw
    assert get(x, "c:sender") == "ubnd@daison.example", raw
    sent = get(x, "c:sent")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", sent), sent
    # simulate sends each job at its due: the first attempt is the due
    assert sent == j["due"], (sent, j["due"])
    assert get(x, "c:status") == "Exercise" and get(x, "c:msgType") == "Alert", raw
    assert get(x, "c:scope") == "Public" and x.find("c:references", ns) is None, raw
    assert get(x, "c:info/c:language") == "vi-VN", raw
    assert (get(x, "c:info/c:category"), get(x, "c:info/c:event"),
            get(x, "c:info/c:urgency"), get(x, "c:info/c:severity"),
            get(x, "c:info/c:certainty"), get(x, "c:info/c:instruction")) == \
        (cat, ev, urg, sev, cer, ins), raw
    assert get(x, "c:info/c:area/c:areaDesc") == "Xã Đại Sơn, huyện Đại Lộc", raw
    rec = load(os.path.join(d, j["id"] + ".json"))
    assert get(x, "c:info/c:headline") == rec["title"], raw
    assert get(x, "c:info/c:description") == rec["text"], raw
    assert rec["cap"] == {"file": j["id"] + ".cap.xml", "identifier": "loa-" + j["id"],
                          "msg_type": "Alert", "references": None}, rec
    if obj == "bao-so-5":
        assert rec["title"] == "Bão số 5 <cấp 12> & mưa \"rất\" to 'khẩn'", rec
        assert "&lt;cấp 12&gt; &amp; mưa &quot;rất&quot; to &apos;khẩn&apos;" in raw, raw
    else:
        assert get(x, "c:info/c:expires") == "2026-09-01T20:00:00+07:00", raw
PY
then ok "identifier, sender, sent +07:00, status, vi-VN, info from the item or the defaults, escaping"
else ko "the alerts' content"
fi

# Update and Cancel, from the payload contract reconciliation writes.
due=1788249600 # 2026-09-01 14:00 +07:00
refs="ubnd@daison.example,loa-1111222233334444,2026-09-01T14:00:00+07:00"
"$CAP_RENDER" "$tmp/loa.cfg" 7/TB-UBND bao-so-5 aaaabbbbccccdddd "$due" \
    "cap Update $refs" >"$tmp/update.xml" 2>"$tmp/cr.err"
"$CAP_RENDER" "$tmp/loa.cfg" 7/TB-UBND - eeeeffff00001111 "$due" \
    "cap Cancel $refs ubnd@daison.example,loa-aaaabbbbccccdddd,2026-09-01T14:00:00+07:00" \
    >"$tmp/cancel.xml" 2>>"$tmp/cr.err"
if xmllint --noout --schema "$xsd" "$tmp/update.xml" "$tmp/cancel.xml" >"$tmp/lint" 2>&1 &&
    $PY - "$tmp/update.xml" "$tmp/cancel.xml" "$refs" <<'PY'
import sys
import xml.etree.ElementTree as ET
ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
u, c = (ET.parse(f).getroot() for f in sys.argv[1:3])
refs = sys.argv[3]
assert u.find("c:msgType", ns).text == "Update", ET.tostring(u)
assert u.find("c:references", ns).text == refs
assert u.find("c:identifier", ns).text == "loa-aaaabbbbccccdddd"
assert u.find("c:info/c:event", ns).text == "Bão"
assert c.find("c:msgType", ns).text == "Cancel"
assert c.find("c:references", ns).text == refs + " ubnd@daison.example,loa-aaaabbbbccccdddd,2026-09-01T14:00:00+07:00"
assert c.find("c:info", ns) is None
PY
then ok "Update and Cancel validate, with <references> as the payload gives them"
else ko "Update/Cancel" "$(cat "$tmp/lint" "$tmp/cr.err")"
fi

# The engine's side of the contract: a job whose outbox payload is "cap
# Update REFS" or "cap Cancel REFS" (reconciliation writes them; here set
# by hand) is handed as that alert; a Cancel is the alert and its record
# alone (no ID.txt), the record naming what it cancels.
mkdir -p "$tmp/eng"
cp "$tmp/plan.cfg" "$tmp/eng/plan.cfg"
cat >"$tmp/eng/loa.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "dai"; kind = "spool"; dir = "spool"; } );
channels = { broadcast = "dai"; };
broadcast = { cap = { sender = "ubnd@daison.example"; }; };
CFG
"$LOA" -c "$tmp/eng/loa.cfg" run --once --now "2026-09-01 13:00" >"$tmp/eng/out" 2>&1
sqlite3 "$tmp/eng/var/loa.db" "UPDATE jobs SET payload = 'cap Update $refs' WHERE object = 'bao-so-5';
    UPDATE jobs SET payload = 'cap Cancel $refs' WHERE object = 'chay-rung';"
"$LOA" -c "$tmp/eng/loa.cfg" run --once --now "2026-09-01 14:30" >>"$tmp/eng/out" 2>&1
"$LOA" -c "$tmp/eng/loa.cfg" run --once --now "2026-09-01 15:10" >>"$tmp/eng/out" 2>&1
"$LOA" -c "$tmp/eng/loa.cfg" outbox --json >"$tmp/eng/outbox.json"
if xmllint --noout --schema "$xsd" "$tmp"/eng/spool/*.cap.xml >"$tmp/lint" 2>&1 &&
    $PY - "$tmp/eng/outbox.json" "$tmp/eng/spool" "$refs" <<'PY'
from loatest import load
import json, os, sys
import xml.etree.ElementTree as ET
jobs, d, refs = load(sys.argv[1]), sys.argv[2], sys.argv[3]
ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
by = {j["object"]: j for j in jobs}
for obj, t in (("bao-so-5", "Update"), ("chay-rung", "Cancel")):
    j = by[obj]
    assert j["state"] == "sent", j
    x = ET.parse(os.path.join(d, j["id"] + ".cap.xml")).getroot()
    assert x.find("c:msgType", ns).text == t, (obj, t)
    assert x.find("c:references", ns).text == refs
    rec = load(os.path.join(d, j["id"] + ".json"))
    assert rec["cap"]["msg_type"] == t and rec["cap"]["references"] == refs, rec
    txt = os.path.exists(os.path.join(d, j["id"] + ".txt"))
    if t == "Cancel":
        assert not txt and rec["cancels"] == "chay-rung" and rec["audio"] is None, rec
        # nothing to air for a player that reads ID.json's keys alone
        assert rec["text"] == "" and rec["spoken"] == "" and rec["duration_s"] == 0, rec
        # the item is still known: the Cancel says what it was
        assert x.find("c:info/c:headline", ns).text == "Cháy rừng phòng hộ"
    else:
        assert txt and x.find("c:info/c:event", ns).text == "Bão"
PY
then ok "payloads cap Update/Cancel are handed as that alert; a Cancel writes no ID.txt"
else ko "the engine's Update/Cancel" "$(cat "$tmp/lint" "$tmp/eng/out")"
fi

# Text no other case held, with no broadcast.cap (the defaults): every
# character XML gives a meaning to, escaped in the issuer (senderName and
# the default areaDesc) and the title; a text of two lines with a CR, a
# TAB, C0 controls and U+FFFE (the controls and U+FFFE dropped, CR kept as
# &#13;, TAB and LF as they are); sender "loa", status Actual.
mkdir -p "$tmp/raw"
cat >"$tmp/raw/plan.cfg" <<'PLAN'
plan = { id = "8/TB"; issued = "2026-09-01"; title = "T";
         issuer = "UBND xã 'Đại' <Sơn> & \"Lộc\""; };
broadcasts = (
  { id = "lu"; title = "Lũ > 3m & <khẩn> \"ngay\" 'đi'"; priority = "emergency";
    text = "Dòng một\r\nDòng\thai\x01\x1f\x7f và \xef\xbf\xbe\xef\xbf\xbf hết"; air = [ "2026-09-01 14:00" ]; }
);
PLAN
printf 'loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };\n' \
    >"$tmp/raw/loa.cfg"
"$CAP_RENDER" "$tmp/raw/loa.cfg" 8/TB lu 0123456789abcdef "$due" "" >"$tmp/raw.xml" 2>"$tmp/raw.err" ||
    ko "cap_render of the raw text" "$(cat "$tmp/raw.err")"
if xmllint --noout --schema "$xsd" "$tmp/raw.xml" >"$tmp/lint" 2>&1 &&
    $PY - "$tmp/raw.xml" <<'PY'
import sys
import xml.etree.ElementTree as ET
raw = open(sys.argv[1], encoding="utf-8").read()
x = ET.fromstring(raw.encode())
ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
g = lambda p: x.find(p, ns).text
issuer = "UBND xã 'Đại' <Sơn> & \"Lộc\""
title = "Lũ > 3m & <khẩn> \"ngay\" 'đi'"
assert (g("c:sender"), g("c:status")) == ("loa", "Actual"), raw
assert g("c:info/c:senderName") == issuer, raw
assert g("c:info/c:area/c:areaDesc") == issuer, raw
assert g("c:info/c:headline") == title and g("c:info/c:event") == title, raw
assert g("c:info/c:description") == "Dòng một\r\nDòng\thai\x7f và  hết", \
    repr(g("c:info/c:description"))
assert "Lũ &gt; 3m &amp; &lt;khẩn&gt; &quot;ngay&quot; &apos;đi&apos;" in raw, raw
assert "Dòng một&#13;\nDòng\thai" in raw, raw
PY
then ok "escaping of & < > \" ' in the issuer and title, CR as &#13;, controls and U+FFFE dropped, defaults"
else ko "the raw text's alert" "$(cat "$tmp/lint" "$tmp/raw.xml")"
fi

# Bad values: check fails with the file and line.
cp "$tmp/plan.cfg" "$tmp/bad.cfg"
sed -i 's/category = "Met"/category = "Weather"/; s/severity = "Extreme"/severity = "Huge"/' "$tmp/bad.cfg"
sed 's/plan.cfg/bad.cfg/' "$tmp/loa.cfg" >"$tmp/bad-loa.cfg"
if "$LOA" -c "$tmp/bad-loa.cfg" check >"$tmp/bad.out" 2>&1; then
	ko "check takes category Weather"
elif grep -q 'bad.cfg:7: broadcasts.bao-so-5.cap.category: unknown value "Weather"; expected "Geo", "Met", "Safety",' "$tmp/bad.out" &&
    grep -q 'bad.cfg:7: broadcasts.bao-so-5.cap.severity: unknown value "Huge"; expected "Extreme", "Severe", "Moderate", "Minor" or "Unknown"' "$tmp/bad.out"; then
	ok "bad cap values: check exit 1 with FILE:LINE and the allowed ones"
else
	ko "bad cap values" "$(cat "$tmp/bad.out")"
fi
cat >"$tmp/bad-svc.cfg" <<'CFG'
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
broadcast = { cap = { sender = "UBND xa Dai Son";
                      status = "Real"; }; };
CFG
if "$LOA" -c "$tmp/bad-svc.cfg" check >"$tmp/bad-svc.out" 2>&1; then
	ko "check takes a bad sender and status"
elif grep -q 'bad-svc.cfg:2: broadcast.cap.sender: "UBND xa Dai Son" cannot be a CAP sender' "$tmp/bad-svc.out" &&
    grep -q 'bad-svc.cfg:3: broadcast.cap.status: unknown value "Real"; expected "Actual", "Exercise", "System", "Test" or "Draft"' "$tmp/bad-svc.out"; then
	ok "a bad sender and status: check exit 1 with FILE:LINE"
else
	ko "bad broadcast.cap" "$(cat "$tmp/bad-svc.out")"
fi

finish
