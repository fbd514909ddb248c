#!/bin/sh
# kannel.sh: the seed plan's SMS through a real Kannel (bearerbox, smsbox
# and Kannel's fake SMSC, tests/tools/kannel.sh) with the http gateway's
# kannel preset (conf/REFERENCE.md §3 and §6; Kannel's user guide).
#
# The seed config is copied and given an http gateway (preset kannel), once
# as it is (Vietnamese: UCS-2) and once with fold = true (GSM-7); each is
# run with `loa run --once --now T` for every time the timeline has SMS at.
# The same config with a file gateway instead gives the reference: each
# message's id, number, text, encoding and part count. What the fake SMSC
# received (its "Got message" lines, concatenated parts reassembled by
# their UDH, UCS-2 decoded) must be exactly the reference: every sent job
# of the outbox found there with the right number and text, Vietnamese as
# UCS-2 and folded text as GSM, in the reference's number of parts.
# Then, the fake SMSC stopped, Kannel answers 202 "3: Queued for later
# delivery", the preset's second success code: the SMS is sent.
# (concurrency = 100: run --once sends only what fits in the gateway's
# concurrency at once, and the seed has 95 SMS due at one time.)
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/kannel.sh"
at_exit kannel_stop

if ! kannel_start "$tmp" loa 'k4nn3l-pw'; then
	ko "Kannel does not start" "$(tail -5 "$tmp"/*.out)"
	exit 1
fi
ok "Kannel (bearerbox, smsbox, fakesmsc) is up on 127.0.0.1:$KANNEL_SENDSMS"
export LOA_KANNEL_PASSWORD='k4nn3l-pw'

# conf NAME GATEWAY: the seed config in $tmp/NAME with that sms gateway.
conf() {
	mkdir -p "$tmp/$1"
	cp -r "$LOA_SRC/conf/." "$tmp/$1/"
	sed -i 's|^  store = .*|  store = "var/loa.db";|' "$tmp/$1/loa.cfg"
	cat >>"$tmp/$1/loa.cfg" <<CFG
gateways = ( { id = "sms"; $2 } );
channels = { sms = "sms"; };
CFG
}
k="kind = \"http\"; preset = \"kannel\"; url = \"http://127.0.0.1:$KANNEL_SENDSMS/cgi-bin/sendsms\";
    user = \"loa\"; password_env = \"LOA_KANNEL_PASSWORD\"; concurrency = 100;"
conf vi "$k sender = \"UBNDDAISON\";"
conf fold "$k sender = \"DAISONKD\"; fold = true;"
conf refvi "kind = \"file\"; dir = \"out\";"
conf reffold "kind = \"file\"; dir = \"out\"; fold = true;"

"$LOA" -c "$tmp/vi/loa.cfg" timeline --json >"$tmp/timeline.json" ||
    ko "timeline of the seed with a kannel gateway"
"$LOA" -c "$tmp/fold/loa.cfg" timeline --json >"$tmp/timeline-fold.json"
$PY - "$tmp/timeline.json" >"$tmp/times" <<'PY'
import sys
from loatest import load
print("\n".join(sorted({j["due"][:16].replace("T", " ") for j in load(sys.argv[1])
                        if j["channel"] == "sms" and j["state"] == "pending"})))
PY
echo "$(wc -l <"$tmp/times") times with SMS"
for c in vi fold refvi reffold; do
	while read -r t; do
		"$LOA" -c "$tmp/$c/loa.cfg" run --once --now "$t" >>"$tmp/$c/stdout" 2>>"$tmp/$c/err" ||
		    ko "$c: run --once --now $t" "$(tail -3 "$tmp/$c/err")"
	done <"$tmp/times"
done
for c in vi fold; do
	"$LOA" -c "$tmp/$c/loa.cfg" outbox --json >"$tmp/$c/outbox.json"
done

# Kannel delivers to the fake SMSC on its own time: wait until the pieces
# the reference expects have come.
want=$($PY - "$tmp/refvi/out/sms.jsonl" "$tmp/reffold/out/sms.jsonl" <<'PY'
import sys
from loatest import jsonl
print(sum(m["parts"] for f in sys.argv[1:] for m in jsonl(f)))
PY
)
pieces() { [ "$(grep -c 'Got message' "$tmp/fake.out")" -ge "$want" ]; }
poll_until 120 pieces
echo "fake SMSC: $(grep -c 'Got message' "$tmp/fake.out") pieces, $want expected"

if $PY - "$tmp" <<'PY'
import collections, json, re, sys, urllib.parse
from loatest import by_id, jobs, jsonl
d = sys.argv[1]
bad = []
def raw(s):
    return urllib.parse.unquote_to_bytes(s.replace("+", "%20"))
# Each "Got message" line: <from to type [udh] data>; concatenated parts
# carry a UDH (IEI 0 or 8: reference, total, sequence).
whole = collections.defaultdict(list)    # (from, to) -> [(enc, text, parts)]
multi = {}
for line in open(d + "/fake.out", encoding="latin-1"):
    m = re.search(r"Got message \d+: <(.*)>\s*$", line)
    if not m:
        continue
    f = m.group(1).split(" ", 3)
    frm, to, typ = f[0], f[1], f[2]
    udh = None
    if typ == "udh":
        f = m.group(1).split(" ", 5)
        udh, typ, data = raw(f[3]), f[4], f[5] if len(f) > 5 else ""
    else:
        data = f[3] if len(f) > 3 else ""
    # "text" is the text as it is; the others are URL-encoded bytes.
    b = data.encode("latin-1") if typ == "text" else raw(data)
    # A single message says its coding; concatenated parts say "data"
    # (8-bit: UTF-16BE for UCS-2, the characters for GSM text).
    typ = {"ucs-2": "ucs2", "text": "gsm7"}.get(typ, "data")
    if udh is None:
        whole[(frm, to)].append((typ, b, 1))
        continue
    if udh[1] == 0:
        ref, total, seq = udh[3], udh[4], udh[5]
    else:
        ref, total, seq = udh[3] * 256 + udh[4], udh[5], udh[6]
    # The 8-bit reference comes round again: a message is whole once all
    # its parts are in, and the next with its reference is another.
    k = (frm, to, ref)
    m = multi.setdefault(k, {"total": total, "p": {}})
    if seq in m["p"] or m["total"] != total:
        bad.append("message %s to %s: part %d again before it was whole" % (ref, to, seq))
    m["p"][seq] = b
    if sorted(m["p"]) == list(range(1, total + 1)):
        whole[(frm, to)].append(("data", b"".join(m["p"][i] for i in sorted(m["p"])), total))
        del multi[k]
for (frm, to, ref), m in multi.items():
    bad.append("message %s to %s: only parts %s of %d" % (ref, to, sorted(m["p"]), m["total"]))

def form(r):
    """What the SMSC gets for reference record r: its coding and bytes."""
    if r["encoding"] == "ucs2":
        b = r["text"].encode("utf-16-be")
    else:
        b = r["text"].encode("latin-1")
    return ("data" if r["parts"] > 1 else r["encoding"], b, r["parts"])

for cfg, sender, wantenc in (("vi", "UBNDDAISON", "ucs2"), ("fold", "DAISONKD", "gsm7")):
    ref = by_id(jsonl(d + "/ref%s/out/sms.jsonl" % cfg))
    js = jobs(d + "/%s/outbox.json" % cfg, "sms")
    sent = [j for j in js if j["state"] == "sent"]
    if len(sent) != len(ref) or {j["id"] for j in sent} != set(ref):
        bad.append("%s: %d sent, the reference sent %d" % (cfg, len(sent), len(ref)))
    got = {k: list(v) for k, v in whole.items() if k[0] == sender}
    found = 0
    for j in sent:
        r = ref.get(j["id"])
        if r is None:
            continue
        if r["encoding"] != wantenc:
            bad.append("%s: reference %s is %s" % (cfg, j["id"], r["encoding"]))
        cands = got.get((sender, j["address"][1:]), [])
        m = form(r)
        if m in cands:
            cands.remove(m)
            found += 1
        else:
            bad.append("%s: job %s to %s (%s, %d parts) not at the SMSC as sent: %r"
                       % (cfg, j["id"], j["address"], r["encoding"], r["parts"],
                          [c[:1] + (c[1][:40],) + c[2:] for c in cands][:2]))
    extra = sum(len(v) for v in got.values())
    if extra:
        bad.append("%s: %d messages at the SMSC that no job sent" % (cfg, extra))
    parts = collections.Counter(ref[j["id"]]["parts"] for j in sent if j["id"] in ref)
    print("%s: %d jobs sent, %d found at the fake SMSC (%s), parts %s"
          % (cfg, len(sent), found, wantenc, dict(parts)))
if bad:
    print("\n".join(bad[:20]))
sys.exit(1 if bad else 0)
PY
then ok "every SMS at the fake SMSC with its number and text: Vietnamese as UCS-2, folded as GSM-7, in its parts"
else ko "the fake SMSC's messages and the outbox disagree"
fi

# The folded timeline counts the folded text: GSM-7, fewer parts.
if $PY - "$tmp/timeline.json" "$tmp/timeline-fold.json" "$tmp/reffold/out/sms.jsonl" <<'PY'
import sys
from loatest import by_id, jobs, jsonl
vi = by_id(jobs(sys.argv[1], "sms"))
fo = by_id(jobs(sys.argv[2], "sms"))
sent = by_id(jsonl(sys.argv[3]))
bad = [i for i in fo if fo[i]["sms_encoding"] != "gsm7" or fo[i]["sms_parts"] > vi[i]["sms_parts"]]
bad += [i for i in sent if sent[i]["parts"] != fo[i]["sms_parts"] or sent[i]["encoding"] != "gsm7"]
bad += [i for i in sent if "đ" in sent[i]["text"].lower()]
if bad:
    print(bad[:5])
sys.exit(1 if bad or not sent else 0)
PY
then ok "with fold = true the timeline and the send count the folded GSM-7 text (đ, Đ folded)"
else ko "folded part counts"
fi

grep -q "k4nn3l-pw" "$tmp/vi/err" "$tmp/fold/err" "$tmp/vi/stdout" "$tmp/vi/outbox.json" &&
    ko "the Kannel password in loa's output"

# The fake SMSC gone, Kannel queues: 202 "3: Queued for later delivery",
# the preset's second success code: the SMS is sent, once.
kill "$KANNEL_FAKE"
wait "$KANNEL_FAKE" 2>/dev/null
KANNEL_FAKE=
admin=$(sed -n 's/^admin-port = //p' "$tmp/kannel.conf")
offline() {
	! curl -s "http://127.0.0.1:$admin/status.txt?password=statuspass" |
	    grep -q 'FAKE.*online'
}
poll_until 60 offline || ko "the fake SMSC still online"
mkdir -p "$tmp/queued"
cat >"$tmp/queued/plan.cfg" <<'PLAN'
plan = { id = "Q/1"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p0"; name = "Dao Van Duc"; phone = "0912 345 600"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p0" ]; channels = [ "sms" ]; };
PLAN
cat >"$tmp/queued/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; $k } );
channels = { sms = "sms"; };
CFG
"$LOA" -c "$tmp/queued/loa.cfg" -v run --once --now "2026-03-02 09:00" \
    >"$tmp/queued/out" 2>"$tmp/queued/err"
st=$("$LOA" -c "$tmp/queued/loa.cfg" outbox --state sent | grep -c sms)
[ "$st" = 1 ] && grep -q "3: Queued for later delivery" "$tmp/smsbox-access.log" "$tmp/queued/out" "$tmp/queued/err" &&
    ok "Kannel's 202 \"3: Queued for later delivery\" is a success: sent" ||
    ko "a queued SMS: $st sent" "$(cat "$tmp/queued/err"; tail -3 "$tmp/smsbox-access.log")"
finish
