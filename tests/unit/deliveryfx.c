/*
 * deliveryfx.c: the delivery suites' plan and outbox (see deliveryfx.h).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/fault.h"
#include "util/mem.h"
#include "deliveryfx.h"

/* The last job_get, freed by the next and by the teardown. */
static struct ob_job job;

void
dfx_setup(void)
{
	fault_reset();
	efx_setup("check_delivery");
}

void
dfx_teardown(void)
{
	fault_reset();
	ob_job_clear(&job);
	efx_teardown();
}

/*
 * The plan: one event, a month after its invitations, whose attendees
 * the test names. soai organises it (and is not invited); giang has only
 * a phone.
 */
static void
write_plan(const char *attendees)
{
	char *text =
	    xasprintf("plan = {\n"
		      "  id = \"8/KH-UBND\"; issued = \"2026-03-01\";\n"
		      "  timezone = \"Asia/Ho_Chi_Minh\";\n"
		      "  title = \"Kế hoạch họp giao ban tháng 4\";\n"
		      "  issuer = \"Ủy ban nhân dân xã Đại Sơn\";\n"
		      "};\n"
		      "people = (\n"
		      "  { id = \"soai\"; name = \"Đào Văn Soái\"; "
		      "email = \"soai@daison.example\"; },\n"
		      "  { id = \"an\"; name = \"Trần Văn An\"; "
		      "email = \"an@daison.example\"; },\n"
		      "  { id = \"binh\"; name = \"Lê Thị Bình\"; "
		      "email = \"binh@daison.example\"; },\n"
		      "  { id = \"chau\"; name = \"Phạm Minh Châu\"; "
		      "email = \"chau@daison.example\"; },\n"
		      "  { id = \"dung\"; name = \"Võ Văn Dũng\"; "
		      "email = \"dung@daison.example\"; },\n"
		      "  { id = \"em\"; name = \"Ngô Thị Em\"; "
		      "email = \"em@daison.example\"; },\n"
		      "  { id = \"giang\"; name = \"Hà Văn Giang\"; "
		      "phone = \"0912 000 006\"; },\n"
		      "  { id = \"huong\"; name = \"Lý Thị Hương\"; "
		      "phone = \"0912 000 007\"; }\n"
		      ");\n"
		      "events = ( {\n"
		      "  id = \"hop\"; title = \"Họp giao ban\";\n"
		      "  start = \"2026-04-20 08:00\"; duration = \"3h\";\n"
		      "  location = \"Phòng họp gác 3\";\n"
		      "  organizer = \"soai\"; attendees = [ %s ];\n"
		      "  invite = \"" T_INV "\";\n"
		      "} );\n",
		attendees);

	tu_write(efx.plan, text);
	free(text);
}

void
dfx_open(const char *attendees, int files)
{
	struct reconcile_stats rs;

	write_plan(attendees);
	efx_open(LOCAL_TIME(NOW0), files);
	ck_assert_int_eq(engine_reconcile(efx.e, LOCAL_TIME(NOW0), &rs), 0);
}

void
use_script(int n, const struct nullgw_answer *v)
{
	nullgw_install(efx.e, CH_EMAIL, 0);
	nullgw_script(CH_EMAIL, n, v);
}

const char *
ob_state(const struct ob_job *j)
{
	return job_state_names[j->state];
}

const struct ob_job *
job_get(const char *id)
{
	int found;

	ob_job_clear(&job);
	ck_assert_msg(outbox_get(engine_outbox(efx.e), id, &job, &found) == 0,
	    "%s", outbox_error(engine_outbox(efx.e)));
	ck_assert_msg(found, "no job %s", id);
	return &job;
}

const char *
state_of(const char *id)
{
	static char s[32];

	snprintf(s, sizeof(s), "%s", ob_state(job_get(id)));
	return s;
}

/* The id of the invitation to rcpt on channel ch. */
const char *
invitation_id(const char *rcpt, const char *ch)
{
	static char    ids[8][17];
	static int     k;
	struct ob_job *v;
	size_t	       n, i;
	int	       found = 0;

	k = (k + 1) % 8;
	ck_assert_int_eq(outbox_list(engine_outbox(efx.e), JS__N, &v, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(job_kind_names[v[i].kind], "invitation") == 0 &&
		    v[i].recipient != NULL &&
		    strcmp(v[i].recipient, rcpt) == 0 &&
		    strcmp(channel_names[v[i].channel], ch) == 0) {
			snprintf(ids[k], sizeof(ids[k]), "%s", v[i].id);
			found++;
		}
		ob_job_clear(&v[i]);
	}
	free(v);
	ck_assert_msg(found == 1, "%d invitations to %s by %s", found, rcpt,
	    ch);
	return ids[k];
}

/* How many jobs are in state. */
int
count_in(const char *state)
{
	struct ob_job *v;
	size_t	       n, i;
	int	       c = 0;

	ck_assert_int_eq(outbox_list(engine_outbox(efx.e), JS__N, &v, &n), 0);
	for (i = 0; i < n; i++) {
		c += strcmp(ob_state(&v[i]), state) == 0;
		ob_job_clear(&v[i]);
	}
	free(v);
	return c;
}

int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The ceiling of the backoff after attempt a (README: 30 s × 2^(a−1),
 * at most one hour). */
int64_t
backoff_ceiling(int a)
{
	int64_t c = 30;

	while (--a > 0 && c < 3600)
		c *= 2;
	return c < 3600 ? c : 3600;
}
