#!/bin/sh
# attach.sh: an attachment is checked again when the mail is built. `check`
# accepts a file inside the plan's folder; swapped afterwards for a link to
# a file outside it (/etc/passwd here), the mail must not carry that file:
# the distribution is dead with the reason, and nothing of the file is
# sent; a reason longer than a gateway's answer holds is cut between
# characters. Needs LOA and LOA_SRC.
. "$LOA_SRC/tests/tools/prologue.sh"

# swapped NAME FILE: the plan in $tmp/NAME attaches FILE (a path inside
# its folder); the service loads it, FILE becomes a link to /etc/passwd,
# the distribution settles. $tmp/NAME.ob then holds "state|reason".
swapped() {
	c=$tmp/$1 f=$2 var=$tmp/$1-var
	mkdir -p "$c/$(dirname "$f")"
	echo "Kế hoạch số 9" >"$c/$f"
	printf 'loa = { store = "../%s-var/loa.db"; plans = [ "plan.cfg" ]; };\n' \
	    "$1" >"$c/loa.cfg"
	cat >"$c/plan.cfg" <<PLAN
plan = { id = "9/KH"; issued = "2026-05-01"; title = "Thử"; issuer = "UBND xã"; };
people = ( { id = "an"; name = "An"; email = "an@x.example"; } );
distribution = { at = "plan.issued at 09:00"; to = [ "an" ];
  attachments = [ "$f" ]; };
PLAN
	if "$LOA" -c "$c/loa.cfg" check >/dev/null 2>&1; then
		ok "$1: check accepts the attachment inside the plan's folder"
	else
		ko "$1: check refuses a good attachment"
	fi
	# The service loads the plan 3 s before the distribution is due;
	# the file becomes a link out of the folder while it waits. States,
	# not times: the plan loaded (the store's lock names the service),
	# then the file swapped; the service stopped once the job settled.
	"$LOA" -c "$c/loa.cfg" run --now "2026-05-01 08:59:57" \
	    >"$tmp/$1.out" 2>&1 &
	pid=$!
	locked() { [ "$(cat "$var/loa.db.lock" 2>/dev/null)" = "$pid" ]; }
	poll_until 300 locked || ko "$1: the service did not load the plan"
	rm "$c/$f"
	ln -s /etc/passwd "$c/$f"
	settled() {
		sqlite3 "$var/loa.db" "SELECT state FROM jobs WHERE kind =
		    'distribution'" 2>/dev/null |
		    grep -q -e dead -e sent -e failed
	}
	poll_until 300 settled || ko "$1: the distribution has no outcome"
	kill -TERM $pid 2>/dev/null
	wait $pid
	if grep -rqs 'cm9vd' "$var/outbox/mail" ||
	    grep -rqs 'root:' "$var/outbox/mail"; then
		ko "$1: the mail carries /etc/passwd"
	else
		ok "$1: nothing of the file outside the folder is mailed"
	fi
	# The plan no longer checks (the link leads out): read the store.
	sqlite3 "$var/loa.db" "SELECT state, reason FROM jobs WHERE kind =
	    'distribution'" >"$tmp/$1.ob" 2>&1
}

swapped conf files/ke-hoach.txt
if grep -q '^dead|.*link leads out' "$tmp/conf.ob"; then
	ok "the distribution is dead, saying a link leads out"
else
	ko "the distribution: $(cat "$tmp/conf.ob")"
fi

# Deep in folders of long Vietnamese names, the reason (which names the
# file) is longer than a gateway's answer holds (255 bytes): it is cut
# between characters, with an ellipsis, never inside one.
swapped deep "files/$($PY -c 'print("/".join(["ệ" * 60] * 2))')/ke-hoach.txt"
if $PY -c 'import sys
r = open(sys.argv[1], "rb").read().decode("utf-8").rstrip("\n")
sys.exit(0 if r.startswith("dead|") and "\ufffd" not in r and
         r.endswith("\u2026") else 1)' "$tmp/deep.ob"; then
	ok "a long reason is cut between characters, with an ellipsis"
else
	ko "the long reason's end" "$(tail -c 40 "$tmp/deep.ob" | od -c | head -3)"
fi

finish
