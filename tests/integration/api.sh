#!/bin/sh
# api.sh: every read endpoint of the HTTP API (conf/REFERENCE.md §9) with curl
# against a running `loa run` on the seed config, and a task marked done over
# HTTP.
#
# /healthz's outbox counts are `outbox --json`'s; the feed is byte for byte
# `loa ics --all --now LAST-MODIFIED` (the feed's DTSTAMP is the moment its
# snapshot was made, which Last-Modified says), and so are ?plan= and
# /calendar/AGENCY.ics against `ics --plan` and `ics --agency`;
# If-None-Match gives 304; gzip decodes to the same bytes; a plan edit and
# SIGHUP change the ETag; /outbox's pages cover every job once; /jobs/ID
# shows its attempts; POST /tasks/ID/done cancels the task's reminders,
# none is sent after the reload, and the feed shows it COMPLETED.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/api.sh"
at_exit api_stop
d=$tmp/c

api_conf "$d"
# The token is the first line of its file; what follows (a note) is not.
printf '%s\n' "rotated 2025-12-01; the old one is void" >>"$d/token"
# The invitations are due at 08:00 on the 19th: the file gateways send them.
api_up "$d" "2025-12-19 08:00"
ok "loa run serves the API on $API"
# Let the due jobs go out.
api_settle "$d"

# feed_time HEADERS: the RFC 3339 UTC time of a response's Last-Modified.
feed_time() {
	$PY - "$1" <<'PY'
import email.utils, sys, datetime
for l in open(sys.argv[1], encoding="latin-1"):
    if l.lower().startswith("last-modified:"):
        t = email.utils.parsedate_to_datetime(l.split(":", 1)[1].strip())
        print(t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
}
hdr() { grep -i "^$1:" "$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# --- /healthz
code=$(curl -s -o "$tmp/health.json" -w '%{http_code}' "$API/healthz")
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/outbox.json"
if [ "$code" = 200 ] && $PY - "$tmp/health.json" "$tmp/outbox.json" <<'PY'
from loatest import load
import collections, json, sys
h = load(sys.argv[1])
jobs = load(sys.argv[2])
by = collections.Counter(j["state"] for j in jobs)
bad = []
if h["status"] != "ok" or not h["version"]:
    bad.append("status %r version %r" % (h["status"], h["version"]))
# The plan file's, and the ad-hoc items (`loa broadcast add`: no file).
if [p["id"] for p in h["plans"]] != ["129/KH-UBND", "ad-hoc"] or \
        h["plans"][0]["jobs"] <= 0 or h["plans"][1]["file"] is not None:
    bad.append("plans %r" % h["plans"])
for s, n in h["outbox"].items():
    if by.get(s, 0) != n:
        bad.append("%s: %d, outbox --json has %d" % (s, n, by.get(s, 0)))
if sum(h["outbox"].values()) != len(jobs):
    bad.append("%d jobs, outbox --json has %d" % (sum(h["outbox"].values()), len(jobs)))
if sorted(g["channel"] for g in h["gateways"]) != ["broadcast", "email", "sms"] or \
        any(g["state"] != "ok" for g in h["gateways"]):
    bad.append("gateways %r" % h["gateways"])
if not any(g["last_success_at"] for g in h["gateways"]):
    bad.append("no gateway has a last success after the sends")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "/healthz: 200, the plan, the outbox counts of outbox --json, each gateway ok"
else ko "/healthz ($code)" "$(head -c 600 "$tmp/health.json")"
fi

# --- HEAD: a GET route answers it, with the GET's status and headers and
# no body
for r in healthz metrics calendar.ics "outbox?limit=1"; do
	curl -s -I -o "$tmp/head" -w '%{http_code} %{size_download}' "$API/$r" >"$tmp/head.code"
	if [ "$(cat "$tmp/head.code")" = "200 0" ] && grep -qi '^Content-Type: ' "$tmp/head"; then
		ok "HEAD /$r: 200 with its Content-Type, no body"
	else
		ko "HEAD /$r" "$(cat "$tmp/head.code" "$tmp/head")"
	fi
done

# --- the feed, byte for byte `loa ics --all` at its moment
curl -s -D "$tmp/h1" -o "$tmp/feed.ics" "$API/calendar.ics"
t=$(feed_time "$tmp/h1")
"$LOA" -c "$d/loa.cfg" ics --all --now "$t" >"$tmp/ics.ics"
if [ -s "$tmp/feed.ics" ] && cmp -s "$tmp/feed.ics" "$tmp/ics.ics"; then
	ok "GET /calendar.ics is byte for byte loa ics --all --now $t ($(wc -c <"$tmp/feed.ics") bytes)"
else
	ko "the feed and loa ics --all differ" "$(diff "$tmp/feed.ics" "$tmp/ics.ics" | head -5)"
fi
hdr Content-Type "$tmp/h1" | grep -q '^text/calendar; charset=utf-8$' &&
    ok "served as text/calendar; charset=utf-8" || ko "content type $(hdr Content-Type "$tmp/h1")"
etag=$(hdr ETag "$tmp/h1")
code=$(curl -s -o "$tmp/304" -w '%{http_code}' -H "If-None-Match: $etag" "$API/calendar.ics")
[ "$code" = 304 ] && [ ! -s "$tmp/304" ] && ok "If-None-Match $etag: 304, no body" ||
    ko "If-None-Match: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'If-None-Match: "0000000000000000"' "$API/calendar.ics")
[ "$code" = 200 ] && ok "another ETag: 200" || ko "another ETag: $code"
# If-None-Match as RFC 9110 13.1.2 reads it: "*" alone, or a list of
# entity-tags, [W/] and compared weakly, each whole.
inm() {
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $2" "$API/calendar.ics")
	[ "$code" = "$1" ] && ok "If-None-Match: $2: $code" ||
	    ko "If-None-Match: $2: $code, expected $1"
}
inm 304 '*'
inm 304 "\"0000000000000000\", $etag"
inm 304 "W/$etag"
inm 304 " ,$etag , "
inm 200 '"*"'
inm 200 '"x*y"'
inm 200 '*, "0000000000000000"'
inm 200 "\"0000000000000000\" *"
inm 200 "x$etag"
inm 200 "\"x$etag\""
inm 200 "$etag$etag"
inm 200 "$etag junk"
curl -s -D "$tmp/hgz" -H 'Accept-Encoding: gzip' -o "$tmp/feed.gz" "$API/calendar.ics"
if [ "$(hdr Content-Encoding "$tmp/hgz")" = gzip ] &&
    gzip -dc "$tmp/feed.gz" | cmp -s - "$tmp/feed.ics" &&
    [ "$(wc -c <"$tmp/feed.gz")" -lt "$(wc -c <"$tmp/feed.ics")" ]; then
	ok "Accept-Encoding: gzip: gzip, decoding to the same bytes ($(wc -c <"$tmp/feed.gz") bytes)"
else
	ko "gzip feed"
fi
# Accept-Encoding as RFC 9110 12.5.3 reads it: codings by name (any case),
# q=0 refuses, "*" stands for the unnamed.
ae() {
	curl -s -D "$tmp/hae" -o /dev/null -H "Accept-Encoding: $2" "$API/calendar.ics"
	[ "$(hdr Content-Encoding "$tmp/hae")" = "$1" ] &&
	    ok "Accept-Encoding: $2: ${1:-identity}" ||
	    ko "Accept-Encoding: $2: $(hdr Content-Encoding "$tmp/hae"), expected ${1:-identity}"
}
for v in GZIP x-gzip 'br, gzip;q=0.5' '*' 'gzip ; q=1' 'identity, *;q=0.1'; do ae gzip "$v"; done
for v in 'gzip; q=0' 'gzip;q=0.000' notgzip gzipped br '*;q=0' 'gzip;q=0, *' identity; do ae "" "$v"; done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $(hdr ETag "$tmp/hgz")" \
    -H 'Accept-Encoding: gzip' "$API/calendar.ics")
[ "$code" = 304 ] && ok "the gzip ETag revalidates: 304" || ko "gzip ETag: $code"
# One plan; one agency's events and deadlines.
# (Each at its own Last-Modified: a SEQUENCE sent meanwhile makes a new
# snapshot.)
curl -s -D "$tmp/hpl" -o "$tmp/plan.ics" "$API/calendar.ics?plan=129/KH-UBND"
"$LOA" -c "$d/loa.cfg" ics --plan 129/KH-UBND --now "$(feed_time "$tmp/hpl")" >"$tmp/plan-cli.ics"
cmp -s "$tmp/plan.ics" "$tmp/plan-cli.ics" && ok "?plan=129/KH-UBND is loa ics --plan" ||
    ko "?plan= and ics --plan differ"
code=$(curl -s -o "$tmp/noplan" -w '%{http_code}' "$API/calendar.ics?plan=nope")
[ "$code" = 404 ] && grep -q '"error"' "$tmp/noplan" && ok "?plan=nope: 404" || ko "?plan=nope: $code"
curl -s -D "$tmp/hag" -o "$tmp/vhxh.ics" "$API/calendar/vhxh.ics"
"$LOA" -c "$d/loa.cfg" ics --agency vhxh --now "$(feed_time "$tmp/hag")" >"$tmp/vhxh-cli.ics"
if cmp -s "$tmp/vhxh.ics" "$tmp/vhxh-cli.ics" && $PY - "$tmp/vhxh.ics" "$tmp/feed.ics" "$d/plans/129-KH-UBND.cfg" <<'PY'
import sys, icalendar, re
ag = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
al = icalendar.Calendar.from_ical(open(sys.argv[2], "rb").read())
todo = lambda c: {str(x["UID"]) for x in c.walk("VTODO")}
a, b = todo(ag), todo(al)
# The plan's tasks owned by vhxh or done with it.
plan = open(sys.argv[3], encoding="utf-8").read()
want = set()
for m in re.finditer(r'\{ id = "([^"]+)";[^}]*?owner = \[([^\]]*)\];\s*(?:with = \[([^\]]*)\])?', plan, re.S):
    if "vhxh" in m.group(2) + (m.group(3) or ""):
        want.add(m.group(1))
# (UIDs are hashes: the count says it, and that they are the feed's.)
ok = a < b and len(a) == len(want)
print(len(a), "of", len(b), "tasks; expected at least", sorted(want))
sys.exit(0 if ok else 1)
PY
then ok "/calendar/vhxh.ics is loa ics --agency vhxh: that office's tasks, fewer than the feed's"
else ko "/calendar/vhxh.ics"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/calendar/nope.ics")
[ "$code" = 404 ] && ok "/calendar/nope.ics: 404" || ko "unknown agency: $code"

# --- /outbox: keyset pages of 37 cover every job exactly once
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/outbox.json"
if $PY - "$API" "$tmp/outbox.json" <<'PY'
from loatest import load
import json, sys, urllib.request
api, ref = sys.argv[1], load(sys.argv[2])
seen, after, pages = [], "", 0
while True:
    u = api + "/outbox?limit=37" + ("&after=" + after if after else "")
    p = json.load(urllib.request.urlopen(u))
    pages += 1
    seen += p["jobs"]
    if p["next"] is None:
        break
    after = p["next"]
ids = [j["id"] for j in seen]
bad = []
if len(ids) != len(set(ids)):
    bad.append("a job on two pages")
if sorted(ids) != sorted(j["id"] for j in ref):
    bad.append("%d jobs paged, outbox --json has %d" % (len(ids), len(ref)))
byid = {j["id"]: j for j in ref}
diff = [j["id"] for j in seen if byid.get(j["id"]) != j]
if diff:
    bad.append("objects differ from outbox --json: %s" % diff[:3])
# Without limit, a page of 100 (the default), next its last id.
p = json.load(urllib.request.urlopen(api + "/outbox"))
want = sorted(j["id"] for j in ref)[:100]
if len(ref) <= 100:
    bad.append("only %d jobs: the default page of 100 is not tried" % len(ref))
elif [j["id"] for j in p["jobs"]] != want or p["next"] != want[-1]:
    bad.append("default page: %d jobs, next %r" % (len(p["jobs"]), p["next"]))
# Filters.
p = json.load(urllib.request.urlopen(api + "/outbox?state=sent&channel=sms&limit=1000"))
want = [j["id"] for j in ref if j["state"] == "sent" and j["channel"] == "sms"]
if sorted(j["id"] for j in p["jobs"]) != sorted(want) or not want:
    bad.append("state=sent&channel=sms: %d, expected %d" % (len(p["jobs"]), len(want)))
r = [j for j in ref if j["recipient"]][0]
p = json.load(urllib.request.urlopen(api + "/outbox?recipient=%s&kind=%s&object=%s&limit=1000"
                                     % (r["recipient"], r["kind"], r["object"])))
want = [j["id"] for j in ref if (j["recipient"], j["kind"], j["object"]) == (r["recipient"], r["kind"], r["object"])]
if sorted(j["id"] for j in p["jobs"]) != sorted(want):
    bad.append("recipient/kind/object filter")
print("%d jobs in %d pages" % (len(ids), pages))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "/outbox: pages of 37 by id give every job of outbox --json once, the same objects; a default page of 100; filters"
else ko "/outbox paging"
fi
for q in "limit=0" "limit=1001" "limit=x" "state=nope" "kind=nope" "channel=fax" "colour=red"; do
	code=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$API/outbox?$q")
	[ "$code" = 400 ] && grep -q '"error"' "$tmp/bad" || ko "/outbox?$q: $code"
done
ok "/outbox with a bad limit, state, kind, channel or parameter: 400 with a JSON error"

# --- /jobs/ID with its attempts
jid=$($PY -c 'from loatest import load; import json,sys; print([j["id"] for j in load(sys.argv[1]) if j["state"] == "sent"][0])' "$tmp/outbox.json")
code=$(curl -s -o "$tmp/job.json" -w '%{http_code}' "$API/jobs/$jid")
if [ "$code" = 200 ] && $PY - "$tmp/job.json" "$tmp/outbox.json" <<'PY'
from loatest import load
import json, sys
j = load(sys.argv[1])
ref = {x["id"]: x for x in load(sys.argv[2])}[j["id"]]
log = j.pop("attempt_log")
ok = j == ref and [a["outcome"] for a in log] == ["sent"] and log[0]["at"] == ref["sent_at"]
print(log)
sys.exit(0 if ok else 1)
PY
then ok "/jobs/$jid: its outbox --json object and its attempt (sent, at sent_at)"
else ko "/jobs/$jid ($code)" "$(head -c 300 "$tmp/job.json")"
fi
# A delivery report on an SMS sent through the file gateway: 8 (taken by
# the SMSC) is noted, 1 makes it delivered (api_dlr.sh has the real Kannel).
sid=$($PY -c 'from loatest import load; import json,sys; print([j["id"] for j in load(sys.argv[1]) if j["state"] == "sent" and j["channel"] == "sms"][0])' "$tmp/outbox.json")
curl -s -o /dev/null "$API/dlr?id=$sid&status=8&dlr_token=$API_DLR_TOKEN"
s8=$(curl -s "$API/jobs/$sid" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], j["attempt_log"][-1]["outcome"])')
curl -s -o /dev/null "$API/dlr?id=$sid&status=1&dlr_token=$API_DLR_TOKEN"
s1=$(curl -s "$API/jobs/$sid" | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], j["attempt_log"][-1]["outcome"])')
[ "$s8" = "sent accepted" ] && [ "$s1" = "delivered delivered" ] &&
    ok "/dlr: status 8 keeps SMS $sid sent (noted), status 1 makes it delivered" ||
    ko "/dlr mapping: after 8: $s8; after 1: $s1"
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/outbox.json"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/jobs/0000000000000000")
[ "$code" = 404 ] && ok "/jobs/UNKNOWN: 404" || ko "/jobs/UNKNOWN: $code"

# --- SIGHUP with nothing changed: the same ETag (subscribers download
# nothing); a plan edit and SIGHUP: a new one
n0=$(grep -c 'reloaded:' "$d/run.err")
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
reloaded() { [ "$(grep -c 'reloaded:' "$d/run.err")" -gt "$n0" ]; }
poll_until 300 reloaded
curl -s -D "$tmp/h15" -o /dev/null "$API/calendar.ics"
etag=$(hdr ETag "$tmp/h1")
[ "$(hdr ETag "$tmp/h15")" = "$etag" ] && [ "$(hdr Last-Modified "$tmp/h15")" = "$(hdr Last-Modified "$tmp/h1")" ] &&
    ok "SIGHUP with the plans unchanged: the same ETag and Last-Modified" ||
    ko "an unchanged reload changed the ETag ($etag -> $(hdr ETag "$tmp/h15"))"
# (Two letters swapped: the feed keeps its length, so only a hash of its
# bytes tells the versions apart.)
sed -i 's|title = "Tham mưu Giấy mời Hội nghị"|title = "Thma mưu Giấy mời Hội nghị"|' \
    "$d/plans/129-KH-UBND.cfg"
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
retitled() {
	curl -s -D "$tmp/h2" -o "$tmp/feed2.ics" "$API/calendar.ics"
	grep -q 'Thma mưu' "$tmp/feed2.ics"
}
poll_until 300 retitled
if [ "$(hdr ETag "$tmp/h2")" != "$etag" ] && grep -q 'Thma mưu' "$tmp/feed2.ics" &&
    [ "$(wc -c <"$tmp/feed2.ics")" = "$(wc -c <"$tmp/feed.ics")" ]; then
	ok "a plan edit and SIGHUP: a new ETag, the new title in the feed"
else
	ko "the ETag did not change after the plan edit and SIGHUP"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$API/calendar.ics")
[ "$code" = 200 ] && ok "the old ETag: 200 with the new feed" || ko "old ETag after reload: $code"

# --- POST /tasks/ID/done: the reminders go, none is sent after the reload
task=bao-cao
code=$(curl -s -o "$tmp/done.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $API_TOKEN" "$API/tasks/129%2FKH-UBND:$task/done")
if [ "$code" = 200 ] && grep -q '"done":true' "$tmp/done.json"; then
	ok "POST /tasks/129%2FKH-UBND:$task/done: 200 $(cat "$tmp/done.json")"
else
	ko "task done over HTTP: $code" "$(cat "$tmp/done.json")"
fi
completed() {
	curl -s -o "$tmp/feed3.ics" "$API/calendar.ics"
	grep -q 'STATUS:COMPLETED' "$tmp/feed3.ics"
}
poll_until 300 completed
grep -c 'STATUS:COMPLETED' "$tmp/feed3.ics" | grep -qx 1 &&
    ok "the feed shows the task COMPLETED after the reload" || ko "no COMPLETED task in the feed"
# Every reminder of the task, even those due long after, is cancelled; the
# service is run on at the time of the next ones: nothing goes.
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/after.json"
api_stop
"$LOA" -c "$d/loa.cfg" run --once --now "2026-01-31 08:00" >/dev/null 2>&1
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/later.json"
if $PY - "$tmp/after.json" "$tmp/later.json" "$task" <<'PY'
from loatest import load
import json, sys
a, l, t = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
rem = [j for j in a if j["object"] == t and j["kind"] in ("task-reminder", "overdue")]
unsent = [j for j in rem if j["state"] not in ("sent", "delivered", "expired", "cancelled")]
sent_later = [j for j in l if j["object"] == t and j["kind"] in ("task-reminder", "overdue")
              and j["state"] == "sent" and {x["id"]: x for x in a}[j["id"]]["state"] != "sent"]
canc = [j for j in rem if j["state"] == "cancelled" and j["reason"] == "task done"]
others = [j for j in l if j["object"] != t and j["state"] == "sent"]
print("%d reminders, %d cancelled (task done), %d sent later; %d other jobs sent" %
      (len(rem), len(canc), len(sent_later), len(others)))
sys.exit(0 if rem and canc and not unsent and not sent_later and others else 1)
PY
then ok "the task's reminders are cancelled (task done) and none is sent after; others are"
else ko "reminders of a task done over HTTP"
fi

grep -q "$API_TOKEN" "$d/run.err" "$d/run.out" && ko "the token in loa's output"

# The 16-byte minimum holds for the first line, whatever follows it.
(umask 077 && printf '%s\n%s\n' "short-15-bytes!" "$API_TOKEN" >"$d/token")
"$LOA" -c "$d/loa.cfg" run --now "2025-12-19 08:00" >/dev/null 2>"$tmp/short.err" &
pid=$!
gone() { ! alive "$1"; }
if poll_until 120 gone "$pid"; then
	wait "$pid"
	rc=$?
else
	kill "$pid"
	wait "$pid"
	rc="none: it started"
fi
[ "$rc" = 1 ] && grep -q "token_file .*token: its first line is shorter than 16 bytes" "$tmp/short.err" &&
    ok "a token file whose first line is 15 bytes: run exits 1 naming it" ||
    ko "a 15-byte first line: exit $rc" "$(cat "$tmp/short.err")"
finish
