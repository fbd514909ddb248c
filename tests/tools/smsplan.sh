# smsplan.sh: sourced by the integration tests that need many jobs.
#
#   sms_plan FILE N ID    write a plan with id ID to FILE: N people with
#                         phones, one group of all, and a distribution by
#                         SMS to it at 09:00 on 2026-03-02 (N jobs)
#   mail_plan FILE N ID   the same with e-mail addresses (pN@daison.example)
#                         and the distribution on its default channel
#   sms_people N [more]   the N people p0..pN-1 with phones, a line each,
#                         for a people list (a comma after the last: more)
#   sms_ids N             "p0", "p1", ... "pN-1" on one line, no newline

sms_people() {
	awk -v n="$1" -v more="${2:-}" 'BEGIN { for (i = 0; i < n; i++)
	    printf "  { id = \"p%d\"; name = \"Người %d\"; phone = \"09%08d\"; }%s\n",
	    i, i, i, i < n - 1 || more != "" ? "," : "" }'
}

sms_ids() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
	    printf "\"p%d\"%s", i, i < n - 1 ? ", " : "" }'
}

sms_plan() {
	people_plan "$1" "$2" "$3" 'phone = \"09%08d\";' \
	    '                 channels = [ "sms" ]; };'
}

mail_plan() {
	people_plan "$1" "$2" "$3" 'email = \"p%d@daison.example\";' '};'
}

# people_plan FILE N ID CONTACT TAIL: CONTACT is the printf format of each
# person's address (of i), TAIL what closes the distribution.
people_plan() {
	{
		echo "plan = { id = \"$3\"; issued = \"2026-03-02\"; title = \"Thử\"; };"
		echo 'people = ('
		awk -v n="$2" -v contact="$4" 'BEGIN { for (i = 0; i < n; i++)
		    printf "  { id = \"p%d\"; name = \"Người %d\"; " contact " }%s\n",
		    i, i, i, i < n - 1 ? "," : "" }'
		echo ');'
		echo 'groups = ( { id = "all"; name = "Tất cả"; members = ['
		sms_ids "$2"
		echo ' ]; } );'
		echo 'distribution = { at = "plan.issued at 09:00"; to = [ "all" ];'
		echo "$5"
	} >"$1"
}
