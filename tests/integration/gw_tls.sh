#!/bin/sh
# gw_tls.sh: the gateways check the server's certificate and name
# (conf/REFERENCE.md §3 ca_file and insecure; README "SMS over HTTP":
# certificate errors are the gateway's config; "The smtp gateway": a
# certificate loa does not trust is the gateway's config), against real
# TLS servers with self-signed certificates made by openssl:
#
#   http, a self-signed certificate     nothing sent, the job failed (not
#                                       dead), logged once as the config's
#   http, insecure = true               sent
#   smtp, ca_file trusting a certificate
#     for another name (mail.other.example) at localhost
#                                       nothing sent, failed, "not trusted"
#   smtp, insecure = true (no ca_file)  sent over TLS
#   smtp, a self-signed certificate of the right name, no ca_file
#                                       nothing sent, failed, "not trusted"
#   smtp, the same with it as ca_file   sent over TLS
. "$LOA_SRC/tests/tools/prologue.sh"
. "$TOOLS/faultgw.sh"
. "$TOOLS/smtpd.sh"
at_exit faultgw_stop
at_exit smtpd_stop_all

# cert NAME SAN: a self-signed certificate (its own CA) for SAN.
cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -addext "subjectAltName=$2" -keyout "$tmp/$1.key" \
	    -out "$tmp/$1.pem" 2>>"$tmp/openssl.err" ||
	    ko "openssl req" "$(cat "$tmp/openssl.err")"
}
cert localhost "DNS:localhost,IP:127.0.0.1"
cert mail.other.example "DNS:mail.other.example"

# --- http: a self-signed certificate, then insecure = true.
printf '{"tls": {"cert": "%s", "key": "%s"}, "rules": []}\n' \
    "$tmp/localhost.pem" "$tmp/localhost.key" >"$tmp/rules.json"
faultgw_start "$tmp" "$tmp/rules.json" || ko "faultgw does not start"
u="https://127.0.0.1:$FAULTGW_PORT"

# hconf NAME KEYS: three SMS at 09:00 through the webhook preset at u.
hconf() {
	mkdir -p "$tmp/$1"
	cat >"$tmp/$1/plan.cfg" <<PLAN
plan = { id = "TLS/$1"; issued = "2026-03-02"; title = "Thử"; };
people = ( { id = "p0"; name = "Đào Văn Đức"; phone = "0912 345 600"; },
           { id = "p1"; name = "Lê Thị Bình"; phone = "0912 345 601"; },
           { id = "p2"; name = "Đỗ Kim Chi"; phone = "0912 345 602"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "p0", "p1", "p2" ]; channels = [ "sms" ]; };
PLAN
	cat >"$tmp/$1/loa.cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "var/loa.db"; plans = [ "plan.cfg" ]; };
gateways = ( { id = "sms"; kind = "http"; preset = "webhook"; url = "$u/$1"; $2 } );
channels = { sms = "sms"; };
CFG
	"$LOA" -c "$tmp/$1/loa.cfg" run --once --now "2026-03-02 09:00" \
	    >"$tmp/$1/out" 2>"$tmp/$1/err"
	"$LOA" -c "$tmp/$1/loa.cfg" outbox --json >"$tmp/$1/outbox.json"
}
hconf selfsigned ""
hconf insecure "insecure = true;"
if $PY - "$tmp/selfsigned/outbox.json" "$tmp/gw.log" <<'PY'
from loatest import load
import sys
v = load(sys.argv[1])
assert len(v) == 3 and all(j["state"] == "failed" and
    "certificate" in (j["last_error"] or "") for j in v), v
assert "/selfsigned" not in open(sys.argv[2]).read()
PY
then ok "http: a self-signed certificate is refused, nothing sent, the jobs failed"
else ko "http: a self-signed certificate" "$(cat "$tmp/selfsigned/outbox.json" "$tmp/selfsigned/err")"
fi
n=$(grep -c "mend the gateway's config" "$tmp/selfsigned/err")
[ "$n" = 1 ] && ok "http: the untrusted certificate is the gateway's config, logged once" ||
    ko "http: the certificate logged $n times as the config's" "$(cat "$tmp/selfsigned/err")"
if $PY - "$tmp/insecure/outbox.json" "$tmp/gw.log" <<'PY'
from loatest import load, jsonl
import sys
v = load(sys.argv[1])
assert len(v) == 3 and all(j["state"] == "sent" for j in v), v
assert len([r for r in jsonl(sys.argv[2]) if r["path"] == "/insecure"]) == 3
PY
then ok "http: insecure = true sends to it"
else ko "http: insecure = true" "$(cat "$tmp/insecure/outbox.json" "$tmp/insecure/err")"
fi

# --- smtp: a trusted certificate of another name; then insecure.
cfg="$tmp/conf/loa.cfg"
port=$(free_port)
sconf() {
	rm -rf "$tmp/conf" "$tmp/var"
	mkdir -p "$tmp/conf"
	cat >"$cfg" <<CFG
loa = { timezone = "Asia/Ho_Chi_Minh"; store = "../var/loa.db";
        plans = [ "plan.cfg" ]; };
gateways = (
  { id = "mail"; kind = "smtp"; url = "smtp://localhost:$port";
    from = "UBND xã Đại Sơn <ubnd@daison.example>"; timeout = "5s";
    tls = "require"; $1 }
);
channels = { email = "mail"; };
CFG
	cat >"$tmp/conf/plan.cfg" <<'PLAN'
plan = { id = "9/KH-UBND"; issued = "2026-03-02"; title = "Thử thư";
         issuer = "Ủy ban nhân dân xã Đại Sơn"; };
people = ( { id = "an"; name = "Trần Văn An"; email = "an@daison.example"; },
           { id = "binh"; name = "Lê Thị Bình"; email = "binh@daison.example"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "an", "binh" ]; };
PLAN
	"$LOA" -c "$cfg" run --once --now "2026-03-02 09:00" >"$tmp/s.out" 2>"$tmp/s.err"
	"$LOA" -c "$cfg" outbox --json >"$tmp/s.json"
}
smtpd_start srv --port "$port" --out "$tmp/srv" \
    --tls "$tmp/mail.other.example.pem" "$tmp/mail.other.example.key" ||
    ko "smtpd does not start"
sconf "ca_file = \"$tmp/mail.other.example.pem\";"
if $PY - "$tmp/s.json" "$tmp/srv" <<'PY'
from loatest import jobs
import os, sys
v = jobs(sys.argv[1], "email")
assert len(v) == 2 and all(j["state"] == "failed" and
    "not trusted" in (j["last_error"] or "") for j in v), v
assert not os.path.exists(os.path.join(sys.argv[2], "mail.log"))
PY
then ok "smtp: a trusted certificate for another host name is refused, nothing sent"
else ko "smtp: a certificate of another name" "$(cat "$tmp/s.json" "$tmp/s.err")"
fi
sconf "insecure = true;"
if $PY - "$tmp/s.json" "$tmp/srv" <<'PY'
from loatest import jobs, jsonl
import os, sys
v = jobs(sys.argv[1], "email")
assert len(v) == 2 and all(j["state"] == "sent" for j in v), v
log = jsonl(os.path.join(sys.argv[2], "log.jsonl"))
assert len(log) == 2 and all(e["tls"] for e in log), log
PY
then ok "smtp: insecure = true sends over TLS to a certificate it cannot trust"
else ko "smtp: insecure = true" "$(cat "$tmp/s.json" "$tmp/s.err")"
fi
smtpd_stop srv
rm -rf "$tmp/srv"
smtpd_start srv --port "$port" --out "$tmp/srv" \
    --tls "$tmp/localhost.pem" "$tmp/localhost.key" || ko "smtpd does not start"
sconf ""
if $PY - "$tmp/s.json" "$tmp/srv" <<'PY'
from loatest import jobs
import os, sys
v = jobs(sys.argv[1], "email")
assert len(v) == 2 and all(j["state"] == "failed" and
    "not trusted" in (j["last_error"] or "") for j in v), v
assert not os.path.exists(os.path.join(sys.argv[2], "mail.log"))
PY
then ok "smtp: a self-signed certificate (the right name) without ca_file is refused"
else ko "smtp: a self-signed certificate without ca_file" "$(cat "$tmp/s.json" "$tmp/s.err")"
fi
sconf "ca_file = \"$tmp/localhost.pem\";"
if $PY - "$tmp/s.json" "$tmp/srv" <<'PY'
from loatest import jobs, jsonl
import os, sys
v = jobs(sys.argv[1], "email")
assert len(v) == 2 and all(j["state"] == "sent" for j in v), v
assert all(e["tls"] for e in jsonl(os.path.join(sys.argv[2], "log.jsonl")))
PY
then ok "smtp: the same certificate trusted through ca_file: sent over TLS"
else ko "smtp: ca_file" "$(cat "$tmp/s.json" "$tmp/s.err")"
fi
smtpd_stop srv

finish
