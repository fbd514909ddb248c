#!/bin/sh
# api_metrics.sh: GET /metrics of a running `loa run` parsed by the real
# Prometheus text parser (python3-prometheus-client's): every family typed
# and named as Prometheus wants, loa_jobs per (state, kind, channel) equal
# to `outbox --json`'s counts, loa_sends_total and the send duration
# histogram counting the sends the outbox has, loa_due_lag_seconds one
# observation a hand-over, loa_reloads_total counting a SIGHUP and a
# refused one and a good one again, loa_build_info 1 with the version. A refused reload (a plan
# with an impossible date) shows in /healthz (503, its FILE:LINE) and in
# loa_config_reload_failed until a good reload lands.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/api.sh"
at_exit api_stop
d=$tmp/c

api_conf "$d"
api_up "$d" "2025-12-19 08:00"
# The sends of 08:00 done: the outbox is still.
api_settle "$d"
# until PATTERN: wait for it in the service's log.
until_log() { poll_until 300 grep -q "$1" "$d/run.err"; }
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
until_log 'reloaded:'
plan=$d/plans/129-KH-UBND.cfg
cp "$plan" "$tmp/good.cfg"
sed -i 's/issued = "2025-11-28";/issued = "2025-11-31";/' "$plan"
line=$(grep -n 'issued = "2025-11-31"' "$plan" | cut -d: -f1)
[ -n "$line" ] || ko "the plan broken"
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
until_log 'reload refused'
# reload STATE [ERROR]: /healthz's reload member says STATE (and its error
# holds ERROR), the status and code agree, loa_config_reload_failed too.
reload() {
	curl -s -o "$tmp/h.json" -w '%{http_code}' "$API/healthz" >"$tmp/code"
	curl -s "$API/metrics" >"$tmp/m"
	$PY - "$tmp/h.json" "$(cat "$tmp/code")" "$tmp/m" "$1" "${2:-}" <<'PY'
from loatest import load
import sys
h, code, m, state, err = load(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
r = h.get("reload") or {}
g = [l for l in open(m, encoding="utf-8") if l.startswith("loa_config_reload_failed ")]
if state == "refused":
    good = (r.get("state") == "refused" and err in (r.get("error") or "") and r.get("at")
            and h["status"] == "failing" and code == "503" and g == ["loa_config_reload_failed 1\n"])
else:
    good = (r == {"state": "ok"} and h["status"] == "ok" and code == "200"
            and g == ["loa_config_reload_failed 0\n"])
sys.exit(0 if good else 1)
PY
}
poll_until 60 reload refused "129-KH-UBND.cfg:$line: " &&
    ok "a refused reload: /healthz 503 naming the plan's line, the gauge 1" ||
    ko "refused reload in /healthz" "$(cat "$tmp/code") $(cat "$tmp/h.json")"
grep -q "reload refused: .*129-KH-UBND.cfg:$line: " "$d/run.err" &&
    ok "the log names the line" || ko "log" "$(grep refused "$d/run.err")"
# Still so after another request and a while later: until a good reload.
reload refused "impossible" && ok "still refused" || ko "still refused" "$(cat "$tmp/h.json")"
cp "$tmp/good.cfg" "$plan"
poll_until 120 catches "$API_PID" 1
kill -HUP "$API_PID"
poll_until 60 reload ok &&
    ok "a good reload: /healthz ok again, the gauge 0" ||
    ko "good reload in /healthz" "$(cat "$tmp/code") $(cat "$tmp/h.json")"
# The outbox still again after the reload.
api_settle "$d"

code=$(curl -s -D "$tmp/h" -o "$tmp/metrics" -w '%{http_code}' "$API/metrics")
"$LOA" -c "$d/loa.cfg" outbox --json >"$tmp/outbox.json"
[ "$code" = 200 ] && ok "/metrics: 200" || ko "/metrics: $code"
grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$tmp/h" &&
    ok "Content-Type: text/plain; version=0.0.4; charset=utf-8" || ko "content type"
if $PY - "$tmp/metrics" "$tmp/outbox.json" <<'PY'
from loatest import load
import collections, json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], encoding="utf-8").read()
jobs = load(sys.argv[2])
fams = {f.name: f for f in text_string_to_metric_families(text)}
bad = []
want = {"loa_build_info": "gauge", "loa_jobs": "gauge", "loa_sends": "counter",
        "loa_send_duration_seconds": "histogram", "loa_due_lag_seconds": "histogram",
        "loa_oldest_due_seconds": "gauge", "loa_reloads": "counter",
        "loa_config_reload_failed": "gauge"}
for n, t in want.items():
    if n not in fams:
        bad.append("no family %s (have %s)" % (n, sorted(fams)))
    elif fams[n].type != t:
        bad.append("%s is a %s, not a %s" % (n, fams[n].type, t))
    elif not fams[n].documentation:
        bad.append("%s has no HELP" % n)
if bad:
    print("\n".join(bad)); sys.exit(1)
bi = fams["loa_build_info"].samples
if len(bi) != 1 or bi[0].value != 1 or not bi[0].labels.get("version"):
    bad.append("build_info %r" % bi)
ref = collections.Counter((j["state"], j["kind"], j["channel"]) for j in jobs)
got = {(s.labels["state"], s.labels["kind"], s.labels["channel"]): s.value
       for s in fams["loa_jobs"].samples}
for k in set(ref) | set(got):
    if ref.get(k, 0) != got.get(k, 0):
        bad.append("loa_jobs%r = %s, outbox --json has %d" % (k, got.get(k), ref.get(k, 0)))
sent = sum(1 for j in jobs if j["state"] == "sent")
ok = sum(s.value for s in fams["loa_sends"].samples
         if s.name == "loa_sends_total" and s.labels["outcome"] == "ok")
if ok != sent or sent == 0:
    bad.append("loa_sends_total ok %s, %d jobs sent" % (ok, sent))
cnt = sum(s.value for s in fams["loa_send_duration_seconds"].samples
          if s.name == "loa_send_duration_seconds_count")
inf = sum(s.value for s in fams["loa_send_duration_seconds"].samples
          if s.name == "loa_send_duration_seconds_bucket" and s.labels["le"] == "+Inf")
if cnt != ok or inf != cnt:
    bad.append("send duration count %s, +Inf %s, sends %s" % (cnt, inf, ok))
lag = [s for s in fams["loa_due_lag_seconds"].samples if s.name == "loa_due_lag_seconds_count"]
if not lag or lag[0].value != sent:
    bad.append("due lag count %r, %d handed" % (lag, sent))
# Buckets grow with le.
for fam in ("loa_send_duration_seconds", "loa_due_lag_seconds"):
    series = collections.defaultdict(list)
    for s in fams[fam].samples:
        if s.name.endswith("_bucket"):
            k = tuple(sorted((a, b) for a, b in s.labels.items() if a != "le"))
            series[k].append((float(s.labels["le"]), s.value))
    for k, v in series.items():
        v.sort()
        if any(v[i][1] > v[i + 1][1] for i in range(len(v) - 1)):
            bad.append("%s%r buckets shrink" % (fam, k))
rl = {s.labels["result"]: s.value for s in fams["loa_reloads"].samples if s.name == "loa_reloads_total"}
if rl.get("ok") != 2 or rl.get("failed") != 1:
    bad.append("reloads %r, expected ok 2 and failed 1" % rl)
print("%d families, %d loa_jobs series, %d sent" % (len(fams), len(got), sent))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
then ok "parsed by prometheus_client: types, HELP, loa_jobs = outbox --json, sends, histograms, reloads"
else ko "/metrics against the parser and the outbox" "$(head -c 400 "$tmp/metrics")"
fi

finish
