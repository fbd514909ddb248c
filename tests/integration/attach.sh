#!/bin/sh
# attach.sh: an attachment is checked again when the mail is built. `check`
# accepts a file inside the plan's folder; swapped afterwards for a link to
# a file outside it (/etc/passwd here), the mail must not carry that file:
# the distribution is dead with the reason, and nothing of the file is
# sent. Needs LOA and LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

mkdir -p "$tmp/conf/files"
echo "Kế hoạch số 9" >"$tmp/conf/files/ke-hoach.txt"
cat >"$tmp/conf/loa.cfg" <<'EOF'
loa = { store = "../var/loa.db"; plans = [ "plan.cfg" ]; };
EOF
cat >"$tmp/conf/plan.cfg" <<'EOF'
plan = { id = "9/KH"; issued = "2026-05-01"; title = "Thử"; issuer = "UBND xã"; };
people = ( { id = "an"; name = "An"; email = "an@x.example"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "an" ];
  attachments = [ "files/ke-hoach.txt" ]; };
EOF
cfg="$tmp/conf/loa.cfg"

if "$LOA" -c "$cfg" check >/dev/null 2>&1; then
	ok "check accepts the attachment inside the plan's folder"
else
	ko "check refuses a good attachment"
fi
# The service loads the plan 3 s before the distribution is due; the file
# becomes a link out of the folder while it waits.
"$LOA" -c "$cfg" run --now "2026-05-01 08:59:57" >"$tmp/out" 2>&1 &
pid=$!
# States, not times: the plan loaded (the store's lock names the service),
# then the file swapped; the service stopped once the distribution's job
# has its outcome.
locked() { [ "$(cat "$tmp/var/loa.db.lock" 2>/dev/null)" = "$pid" ]; }
poll_until 300 locked || ko "the service did not load the plan"
rm "$tmp/conf/files/ke-hoach.txt"
ln -s /etc/passwd "$tmp/conf/files/ke-hoach.txt"
settled() {
	sqlite3 "$tmp/var/loa.db" "SELECT state FROM jobs WHERE kind =
	    'distribution'" 2>/dev/null | grep -q -e dead -e sent -e failed
}
poll_until 300 settled || ko "the distribution has no outcome"
kill -TERM $pid 2>/dev/null
wait $pid
if grep -rqs 'cm9vd' "$tmp/var/outbox/mail" ||
    grep -rqs 'root:' "$tmp/var/outbox/mail"; then
	ko "the mail carries /etc/passwd"
else
	ok "nothing of the file outside the folder is mailed"
fi
# The plan no longer checks (the link leads out), so read the store.
sqlite3 "$tmp/var/loa.db" "SELECT state, reason FROM jobs WHERE kind =
    'distribution'" >"$tmp/ob" 2>&1
if grep -q '^dead|.*link leads out' "$tmp/ob"; then
	ok "the distribution is dead, saying a link leads out"
else
	ko "the distribution: $(cat "$tmp/ob")"
fi

finish
