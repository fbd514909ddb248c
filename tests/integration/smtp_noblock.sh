#!/bin/sh
# smtp_noblock.sh: a slow mail server blocks neither the engine's loop nor
# the smtp gateway's other connections (issue 10). aiosmtpd
# (tests/tools/smtpd.py --slow) holds its reply to the end of each DATA
# for SLOW seconds; 4 mails are due at 09:00 through the smtp gateway
# (concurrency 4), 6 SMS at 09:01 through the file gateway, and `loa run`
# starts on the real clock at 09:00:59, so the SMS fall due while the
# mails wait for their replies. Checked on orders, not on a clock:
#
#   every SMS sent_at (outbox) is before every mail's sent_at, and
#   sms.jsonl was last written before the server sent its first reply
#   (both times of this machine's clock): the SMS went while the mails
#   were still waiting;
#   the server had all 4 messages before it answered the first: the 4
#   connections are in flight at once, not one end of DATA at a time;
#   the mails were sent, once each, over 4 connections at most;
#   run records the answers as they come (it is not woken by anything
#   else), and exits 0 on a SIGTERM after.
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/smtpd.sh"
. "$TOOLS/smsplan.sh"
pid=
at_exit '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; smtpd_stop_all'
SLOW=4
NMAIL=4
NSMS=6

port=$(free_port)
mkdir -p "$tmp/conf"
cfg="$tmp/conf/loa.cfg"
cat >"$cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "mail.cfg", "sms.cfg" ]; };
gateways = (
  { id = "mail"; kind = "smtp"; url = "smtp://127.0.0.1:$port";
    from = "UBND xã Đại Sơn <ubnd@daison.example>"; tls = "off";
    concurrency = $NMAIL; timeout = "30s"; },
  { id = "sms"; kind = "file"; dir = "../var/sms"; }
);
channels = { email = "mail"; sms = "sms"; };
CFG
cat >"$tmp/conf/mail.cfg" <<'PLAN'
plan = { id = "THU/KH"; issued = "2026-03-02"; title = "Thư"; };
people = (
  { id = "a"; name = "An"; email = "a@daison.example"; },
  { id = "b"; name = "Bình"; email = "b@daison.example"; },
  { id = "c"; name = "Châu"; email = "c@daison.example"; },
  { id = "d"; name = "Dũng"; email = "d@daison.example"; }
);
distribution = { at = "plan.issued at 09:00"; to = [ "a", "b", "c", "d" ]; };
PLAN
{
	echo 'plan = { id = "TIN/KH"; issued = "2026-03-02"; title = "Tin"; };'
	echo 'people = ('
	sms_people "$NSMS"
	echo ');'
	printf 'distribution = { at = "plan.issued at 09:01"; to = ['
	sms_ids "$NSMS"
	echo ' ]; channels = [ "sms" ]; };'
} >"$tmp/conf/sms.cfg"
sms="$tmp/var/sms/sms.jsonl"
"$LOA" -c "$cfg" check >"$tmp/check" 2>&1 && ok "the config checks" ||
    ko "the config does not check" "$(cat "$tmp/check")"

smtpd_start srv --port "$port" --out "$tmp/srv" --slow "$SLOW" ||
    ko "aiosmtpd did not start" "$(cat "$tmp/srv.log")"
# The outbox's sent jobs, read beside the running loa.
sent() { "$LOA" -c "$cfg" outbox --state sent 2>/dev/null | grep -c distribution; }

"$LOA" -v -c "$cfg" run --now "2026-03-02 09:00:59" >/dev/null \
    2>"$tmp/err" &
pid=$!
# Until run recorded every job sent (at most 20 s): the answers wake the
# engine, which then records them.
all_sent() { [ "$(sent)" -ge $((NMAIL + NSMS)) ] || ! kill -0 "$pid" 2>/dev/null; }
poll_until 120 all_sent
[ "$(sent)" -eq $((NMAIL + NSMS)) ] &&
    ok "run recorded the answers as they came, before any SIGTERM" ||
    ko "run recorded the answers as they came, before any SIGTERM" \
	"$(sent) sent of $((NMAIL + NSMS))"
# stop WHAT ERR: SIGTERM to run, which exits 0 (else ERR's end).
stop() {
	poll_until 120 catches "$pid" 15
	kill -TERM "$pid" 2>/dev/null
	if wait "$pid"; then
		ok "$1"
	else
		ko "$1" "$(tail -5 "$2")"
	fi
	pid=
}
stop "run exits 0 on SIGTERM" "$tmp/err"
"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>>"$tmp/err" ||
    ko "outbox --json"
smtpd_stop srv

$PY - "$tmp/outbox.json" "$tmp/srv/log.jsonl" "$sms" "$NMAIL" "$NSMS" <<'PY'
import os, sys
from datetime import datetime
from loatest import Checks, jobs, jsonl
obx, log, sms, nmail, nsms = sys.argv[1], sys.argv[2], sys.argv[3], \
    int(sys.argv[4]), int(sys.argv[5])
check = Checks(say_ok=True)
mails = jobs(obx, "email")
texts = jobs(obx, "sms")
check(len(mails) == nmail and all(j["state"] == "sent" for j in mails),
      "the %d mails sent: %r" % (nmail, [j["state"] for j in mails]))
check(len(texts) == nsms and all(j["state"] == "sent" for j in texts),
      "the %d SMS sent: %r" % (nsms, [j["state"] for j in texts]))
at = lambda j: datetime.fromisoformat(j["sent_at"])
if check.fails == 0:
    last_sms = max(at(j) for j in texts)
    first_mail = min(at(j) for j in mails)
    check(last_sms < first_mail,
          "every SMS sent before any mail's answer: last SMS %s, first "
          "mail %s" % (last_sms.time(), first_mail.time()))
srv = jsonl(log)
check(len(srv) == nmail and
      len({e["mid"] for e in srv}) == nmail,
      "the server got %d messages, %d Message-IDs" %
      (len(srv), len({e["mid"] for e in srv})))
if srv:
    first_reply = min(e["t_out"] for e in srv)
    check(max(e["t_in"] for e in srv) < first_reply,
          "the server had every message before its first reply "
          "(received over %.2f s, first reply %.2f s after the first)" %
          (max(e["t_in"] for e in srv) - min(e["t_in"] for e in srv),
           first_reply - min(e["t_in"] for e in srv)))
    check(os.path.exists(sms) and os.stat(sms).st_mtime < first_reply,
          "sms.jsonl was written before the server's first reply "
          "(%.2f s before)" % (first_reply - os.stat(sms).st_mtime
                               if os.path.exists(sms) else 0))
    peers = {e["peer"] for e in srv}
    check(len(peers) <= nmail, "%d connections for %d mails" %
          (len(peers), len(srv)))
lines = open(sms).read().splitlines() if os.path.exists(sms) else []
check(len(lines) == nsms, "sms.jsonl has %d lines" % len(lines))
check.done()
PY
[ $? -eq 0 ] && ok "the slow server blocked nothing" ||
    ko "the slow server blocked nothing"

# 2. SIGTERM while the server holds every reply (longer than run waits for
# answers at a stop): the workers' transfers are aborted, run exits 0
# with the mails requeued (pending, to go again with the same id), and
# no worker was left behind.
rm -rf "$tmp/var" "$tmp/srv"
smtpd_start srv2 --port "$port" --out "$tmp/srv" --slow 25 ||
    ko "aiosmtpd did not start" "$(cat "$tmp/srv2.log")"
"$LOA" -c "$cfg" run --now "2026-03-02 09:00:59" >/dev/null 2>"$tmp/err2" &
pid=$!
# Until the server holds every message, its reply held.
held() { [ "$(cat "$tmp/srv/data.log" 2>/dev/null | wc -l)" -ge "$NMAIL" ]; }
poll_until 60 held || ko "the server got the $NMAIL messages" "$(cat "$tmp/srv/data.log")"
stop "run exits 0 on SIGTERM with the replies held" "$tmp/err2"
grep -q "$NMAIL sends unanswered at the stop; requeued" "$tmp/err2" &&
    ok "the held mails requeued" || ko "the held mails requeued" "$(cat "$tmp/err2")"
grep -q "left to end with the process" "$tmp/err2" &&
    ko "a worker was left behind" "$(cat "$tmp/err2")" ||
    ok "every worker ended"
n=$("$LOA" -c "$cfg" outbox --state pending 2>>"$tmp/err" | grep -c '@')
[ "$n" -eq "$NMAIL" ] && ok "the $NMAIL mails pending" ||
    ko "the $NMAIL mails pending" "$n"
smtpd_stop srv2

finish
