#!/bin/sh
# smtp_crash.sh: crash safety through the smtp gateway (conf/REFERENCE.md §6).
# 500 mails go to aiosmtpd (tests/tools/smtpd.py, answering each DATA after a
# pause, so that sends are in flight at any moment) while `loa run` is killed
# with SIGKILL three times, each after more messages reached the server;
# then `run --once` finishes. Every job must end `sent`, every Message-ID
# the outbox marks sent must be at the server, and a message the server
# got twice carries the same Message-ID (the job's) and the same bytes
# but for its Date.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
. "$TOOLS/smsplan.sh"
pid=
at_exit smtpd_stop_all
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null'
N=${SMTP_CRASH_JOBS:-500}

port=$(free_port)
mkdir -p "$tmp/conf"
cat >"$tmp/conf/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = ( { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$port";
               from = "UBND xã Đại Sơn <ubnd@daison.example>"; tls = "off";
               concurrency = 8; } );
channels = { email = "mail"; };
CFG
mail_plan "$tmp/conf/plan.cfg" "$N" "9/KH-UBND"
cfg="$tmp/conf/loa.cfg"
"$LOA" -c "$cfg" check >/dev/null 2>&1 && ok "generated plan checks" ||
    ko "generated plan does not check"

smtpd_start srv --port "$port" --out "$tmp/srv" --slow 0.02 ||
    ko "aiosmtpd did not start" "$(cat "$tmp/srv.log")"
got() { cat "$tmp/srv/log.jsonl" 2>/dev/null | wc -l; }

# Three rounds: start, wait until 60 more messages are at the server (a
# state, not a time), kill -9 at that instant, with sends in flight.
i=0
killed=0
while [ "$i" -lt 3 ]; do
	if kill_midway "$tmp/srv/log.jsonl" 60 "$N" \
	    "$LOA" -c "$cfg" run --now "2026-03-02 10:00"; then
		killed=$((killed + 1))
	else
		echo "round $i: not killed while sending ($(cat "$tmp/at") of $N)"
	fi
	i=$((i + 1))
done
[ "$killed" -eq 3 ] && ok "killed loa 3 times while it was sending" ||
    ko "killed loa while sending only $killed times of 3"
if "$LOA" -c "$cfg" run --once --now "2026-03-02 10:00" >/dev/null \
    2>>"$tmp/err"; then
	ok "run --once after the crashes"
else
	ko "run --once after the crashes" "$(tail -5 "$tmp/err")"
fi
"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>>"$tmp/err" ||
    ko "outbox --json"
smtpd_stop srv

$PY - "$tmp/outbox.json" "$tmp/srv" "$N" <<'PY'
import collections, os
from loatest import arg, jobs, jsonl
js = jobs(arg(1))
n = int(arg(3))
log = jsonl(os.path.join(arg(2), "log.jsonl"))
fails = 0
def check(cond, what):
    global fails
    print(("ok " if cond else "FAIL ") + what)
    fails += 0 if cond else 1
states = dict(collections.Counter(j["state"] for j in js))
check(len(js) == n and states.get("sent") == n,
      "all %d jobs sent: %r" % (n, states))
at = {}
for e in log:
    at.setdefault(e["mid"].strip("<>").split("@")[0], []).append(e)
missing = [j["id"] for j in js if j["state"] == "sent" and j["id"] not in at]
check(not missing, "every Message-ID marked sent is at the server (%d "
      "missing: %r)" % (len(missing), missing[:3]))
addr = {j["id"]: j["address"] for j in js}
check(all(e["rcpt"] == [addr.get(mid)] for mid, es in at.items() for e in es),
      "each message went to its job's address")
dups = {mid: es for mid, es in at.items() if len(es) > 1}
def undated(n):
    # The Date field says when it was sent: the one line that may differ.
    raw = open(os.path.join(arg(2), "%d.eml" % n), "rb").read()
    return b"\r\n".join(l for l in raw.split(b"\r\n")
                         if not l.startswith(b"Date: "))
same = all(len({undated(e["n"]) for e in es}) == 1 for es in dups.values())
check(same, "a message the server got twice is the same bytes both times "
      "(but its Date)")
print("   %d messages at the server, %d Message-IDs, %d twice" %
      (len(log), len(at), len(dups)))
raise SystemExit(1 if fails else 0)
PY
[ $? -eq 0 ] && ok "outbox and server agree" || ko "outbox and server agree"
finish
