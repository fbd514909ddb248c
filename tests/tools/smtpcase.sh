# smtpcase.sh: the cases of an SMTP test (smtp_fail.sh, gw_smtp.sh), sourced
# after prologue.sh. Three mails at 09:00 to an, binh and chi through one
# smtp gateway, the server's records in $tmp/srv (tests/tools/smtpd.py).
#
#   smtp_setup URL KEYS [PLAN-ID]  a fresh config (the gateway at URL with
#                                  KEYS), outbox and plan
#   smtp_run T                     run --once at T, stderr appended to
#                                  $tmp/run.err; its exit code
#   smtp_expect WHAT CONDITION     ok/ko on a Python condition over the
#                                  outbox's email jobs (`jobs`; state,
#                                  last_error and attempts by recipient id
#                                  as `st`, `err`, `att`), the server's
#                                  messages (`log`, their ids `mids`) and
#                                  MAIL FROM lines (`mails`)

cfg="$tmp/conf/loa.cfg"
ALL='["an", "binh", "chi"]'

smtp_setup() {
	rm -rf "$tmp/conf" "$tmp/var" "$tmp/srv"
	mkdir -p "$tmp/conf"
	cat >"$cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = (
  { id = "mail"; kind = "smtp"; url = "$1";
    from = "UBND xã Đại Sơn <ubnd@daison.example>"; timeout = "5s"; $2 }
);
channels = { email = "mail"; };
CFG
	cat >"$tmp/conf/plan.cfg" <<PLAN
plan = { id = "${3:-7/KH-UBND}"; issued = "2026-03-02"; title = "Thử thư";
         issuer = "Ủy ban nhân dân xã Đại Sơn"; };
people = (
  { id = "an"; name = "Trần Văn An"; email = "an@daison.example"; },
  { id = "binh"; name = "Lê Thị Bình"; email = "binh@daison.example"; },
  { id = "chi"; name = "Đỗ Kim Chi"; email = "chi@daison.example"; }
);
distribution = { at = "plan.issued at 09:00"; to = [ "an", "binh", "chi" ]; };
PLAN
}

smtp_run() {
	"$LOA" -c "$cfg" run --once --now "$1" >>"$tmp/run.out" 2>>"$tmp/run.err"
}

smtp_expect() {
	"$LOA" -c "$cfg" outbox --json >"$tmp/outbox.json" 2>"$tmp/outbox.err"
	if $PY - "$tmp/outbox.json" "$tmp/srv" "$2" <<'PY'; then
import os, sys
from loatest import jobs, jsonl
jobs = jobs(sys.argv[1], "email")
st = {j["recipient"]: j["state"] for j in jobs}
err = {j["recipient"]: j["last_error"] or "" for j in jobs}
att = {j["recipient"]: j["attempts"] for j in jobs}
def lines(name):
    try:
        return open(os.path.join(sys.argv[2], name)).read().splitlines()
    except FileNotFoundError:
        return []
p = os.path.join(sys.argv[2], "log.jsonl")
log = jsonl(p) if os.path.exists(p) else []
mails = lines("mail.log")
mids = [e["mid"] for e in log]
ok = eval(sys.argv[3])
if not ok:
    print("   states %r\n   errors %r\n   attempts %r\n   server %r, %d MAIL"
          % (st, err, att, [(e["rcpt"], e["mid"]) for e in log], len(mails)))
sys.exit(0 if ok else 1)
PY
		ok "$1"
	else
		ko "$1" "$(cat "$tmp/run.err")"
	fi
}
