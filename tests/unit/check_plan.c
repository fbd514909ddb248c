/*
 * check_plan.c: unit tests of plan expansion (conf/REFERENCE.md §4, §6): who
 * each job goes to, on which channels, and the jobs' ids (planfx.h loads the
 * fixtures).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "plan/planfile.h"
#include "plan/service.h"
#include "render/tmpl.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "render/compose.h"
#include "util/strmap.h"
#include "jobs/slots.h"
#include "util/sms.h"
#include "jobs/timeline.h"
#include "view/out.h"
#include "testutil.h"
#include "planfx.h"

/* Recipients (conf/REFERENCE.md §4). */

START_TEST(test_distribution_recipients)
{
	static const struct want_rcpt want[] = {
		/* to-ct */
		{ "an", E },
		{ "binh", E },
		/* vhxh: its mailbox, head and members (an again) */
		{ "vhxh", E },
		{ "hung", E },
		{ "khanh", E },
	};
	struct world *w;

	w = world_open("plans/expand/loa.cfg");
	check_recipients(w, JK_DISTRIBUTION, "12/KH-UBND", 0, want,
	    sizeof(want) / sizeof(want[0]));
	world_close(w);
}
END_TEST

START_TEST(test_event_recipients)
{
	static const struct want_rcpt invited[] = {
		/* to-ngoai > to-trong */
		{ "giang", E | S },
		{ "ha", E | S },
		/* to-ngoai > vhxh */
		{ "vhxh", E },
		{ "hung", E | S },
		{ "khanh", E | S },
		{ "an", E | S },
		/* to-ngoai */
		{ "chau", E },
		/* vp, the organizer: its mailbox is left out */
		{ "lam", E | S },
		{ "minh", E | S },
		/* directly; em has no phone: a skipped SMS */
		{ "dung", S },
		{ "em", E | S },
		/* optional */
		{ "oanh", E | S },
	};
	static const struct want_rcpt reminded[] = {
		/* reminder_channels default to sms */
		{ "giang", S },
		{ "ha", S },
		{ "hung", S },
		{ "khanh", S },
		{ "an", S },
		{ "lam", S },
		{ "minh", S },
		{ "dung", S },
		{ "em", S },
		{ "oanh", S },
	};
	struct world *w;

	w = world_open("plans/expand/loa.cfg");
	check_recipients(w, JK_INVITATION, "hop", 0, invited,
	    sizeof(invited) / sizeof(invited[0]));
	check_recipients(w, JK_EVENT_REMINDER, "hop", 0, reminded,
	    sizeof(reminded) / sizeof(reminded[0]));
	world_close(w);
}
END_TEST

START_TEST(test_task_recipients)
{
	static const struct want_rcpt want[] = {
		/* owner vhxh: mailbox (email only), head, members */
		{ "vhxh", E },
		{ "hung", E | S },
		{ "khanh", E | S },
		{ "an", E | S },
		/* with: to-ct (an again) and hung again */
		{ "binh", E | S },
	};
	struct world *w;

	w = world_open("plans/expand/loa.cfg");
	check_recipients(w, JK_TASK_REMINDER, "bao-cao", 0, want,
	    sizeof(want) / sizeof(want[0]));
	world_close(w);
}
END_TEST

START_TEST(test_organizer_not_invited)
{
	struct world *w;

	w = world_open("plans/expand/loa.cfg");
	/* vp is in the attendees, and organizes: no invitation. */
	ck_assert_int_eq(job_count(w, JK_INVITATION, "hop", ANY, "vp", ANY), 0);
	ck_assert_int_eq(job_count(w, JK_EVENT_REMINDER, "hop", ANY, "vp", ANY),
	    0);
	/* Its head and member are. */
	job_one(w, JK_INVITATION, "hop", 0, "lam", CH_EMAIL);
	job_one(w, JK_INVITATION, "hop", 0, "minh", CH_EMAIL);
	world_close(w);
}
END_TEST

START_TEST(test_dedup_direct_group_agency)
{
	static const struct {
		enum job_kind kind;
		const char   *object;
		enum channel  ch;
	} where[] = {
		/* an: directly, through to-ct and through vhxh */
		{ JK_DISTRIBUTION, "12/KH-UBND", CH_EMAIL },
		/* an: through to-ngoai > vhxh, directly, and in optional */
		{ JK_INVITATION, "hop", CH_EMAIL },
		{ JK_INVITATION, "hop", CH_SMS },
		{ JK_EVENT_REMINDER, "hop", CH_SMS },
		/* an: through vhxh (owner) and to-ct (with) */
		{ JK_TASK_REMINDER, "bao-cao", CH_EMAIL },
		{ JK_TASK_REMINDER, "bao-cao", CH_SMS },
	};
	struct world *w;
	size_t	      i;

	w = world_open("plans/expand/loa.cfg");
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		const struct job *j = job_one(w, where[i].kind, where[i].object,
		    0, "an", where[i].ch);

		ck_assert_str_eq(j->address,
		    where[i].ch == CH_EMAIL ? "an@daison.example" :
					      "+84912000001");
	}
	/* hung is owner (vhxh's head) and with: one of each. */
	ck_assert_int_eq(job_count(w, JK_TASK_REMINDER, "bao-cao", ANY, "hung",
			     ANY),
	    2);
	world_close(w);
}
END_TEST

START_TEST(test_agency_mailbox)
{
	struct world	 *w;
	const struct job *j;

	w = world_open("plans/expand/loa.cfg");
	j = job_one(w, JK_DISTRIBUTION, "12/KH-UBND", 0, "vhxh", CH_EMAIL);
	ck_assert_ptr_nonnull(j->to);
	ck_assert_int_eq(j->to->mailbox, 1);
	ck_assert_ptr_nonnull(j->to->agency);
	ck_assert_str_eq(j->to->agency->id, "vhxh");
	ck_assert_str_eq(j->address, "vhxh@daison.example");
	ck_assert_int_eq(j->state, JS_PENDING);
	/* The head is a recipient of their own, not the mailbox. */
	j = job_one(w, JK_DISTRIBUTION, "12/KH-UBND", 0, "hung", CH_EMAIL);
	ck_assert_int_eq(j->to->mailbox, 0);
	ck_assert_str_eq(j->address, "hung@daison.example");
	world_close(w);
}
END_TEST

/* Channels (conf/REFERENCE.md §4). */

START_TEST(test_channel_without_address)
{
	static const struct {
		enum job_kind kind;
		const char   *object;
	} sms[] = {
		{ JK_INVITATION, "hop" },
		{ JK_EVENT_REMINDER, "hop" },
	};
	struct world	 *w;
	const struct job *j;
	size_t		  i;

	w = world_open("plans/expand/loa.cfg");
	for (i = 0; i < sizeof(sms) / sizeof(sms[0]); i++) {
		j = job_one(w, sms[i].kind, sms[i].object, 0, "em", CH_SMS);
		ck_assert_int_eq(j->state, JS_SKIPPED);
		ck_assert_ptr_nonnull(j->reason);
		ck_assert_str_eq(j->reason, "no phone number");
		ck_assert_ptr_null(j->address);
	}
	/* Her email still goes. */
	j = job_one(w, JK_INVITATION, "hop", 0, "em", CH_EMAIL);
	ck_assert_int_eq(j->state, JS_PENDING);
	ck_assert_str_eq(j->address, "em@daison.example");
	/* One warning naming her, however many jobs are skipped. */
	ck_assert_msg(tu_lines(w->log, "warning", "em:") == 1, "%s", w->log);
	ck_assert_msg(tu_lines(w->log, "em:", "no phone number") == 1, "%s",
	    w->log);
	/* And one for each who gets a kind on none of its channels. */
	ck_assert_msg(w->d.warnings ==
		1 + tu_lines(w->log, "warning", ": gets no "),
	    "%s", w->log);
	ck_assert_msg(tu_lines(w->log,
			  "chau: gets no event-reminder (hop), "
			  "which goes by sms only: they have no "
			  "phone",
			  "add \"email\" to events.hop.reminder_channels") == 1,
	    "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_channel_defaults)
{
	struct world *w;

	w = world_open("plans/expand/loa.cfg");
	/* A person accepts the channels they have an address for. */
	ck_assert_int_eq(job_count(w, JK_INVITATION, "hop", ANY, "chau",
			     CH_SMS),
	    0);
	ck_assert_int_eq(job_count(w, JK_INVITATION, "hop", ANY, "dung",
			     CH_EMAIL),
	    0);
	/* Event reminders: sms only. */
	ck_assert_int_eq(job_count(w, JK_EVENT_REMINDER, NULL, ANY, NULL,
			     CH_EMAIL),
	    0);
	ck_assert_int_eq(job_count(w, JK_EVENT_REMINDER, NULL, ANY, NULL,
			     CH_SMS),
	    10);
	/* Distribution: email only. */
	ck_assert_int_eq(job_count(w, JK_DISTRIBUTION, NULL, ANY, NULL, CH_SMS),
	    0);
	ck_assert_int_eq(job_count(w, JK_DISTRIBUTION, NULL, ANY, NULL,
			     CH_EMAIL),
	    5);
	/* Tasks: both. */
	job_one(w, JK_TASK_REMINDER, "bao-cao", 0, "hung", CH_EMAIL);
	job_one(w, JK_TASK_REMINDER, "bao-cao", 0, "hung", CH_SMS);
	/* Nothing on the broadcast channel but broadcasts. */
	ck_assert_int_eq(job_count(w, JK_BROADCAST, NULL, ANY, NULL, ANY), 1);
	world_close(w);
}
END_TEST

/* Job ids (conf/REFERENCE.md §6). */

START_TEST(test_job_ids_form_and_unique)
{
	struct world *w;
	size_t	      i, k;

	w = world_open("plans/expand/loa.cfg");
	ck_assert_uint_eq(w->jobs.n, 46);
	for (i = 0; i < w->jobs.n; i++) {
		const char *id = w->jobs.v[i].id;

		ck_assert_uint_eq(strlen(id), 16);
		ck_assert_msg(strspn(id, "0123456789abcdef") == 16,
		    "job id \"%s\" is not 16 hex digits", id);
		for (k = 0; k < i; k++)
			ck_assert_msg(strcmp(w->jobs.v[k].id, id) != 0,
			    "job id %s twice", id);
	}
	world_close(w);
}
END_TEST

START_TEST(test_job_ids_stable)
{
	struct world *a, *b;
	size_t	      i;

	a = world_open("plans/expand/loa.cfg");
	b = world_open("plans/expand/loa.cfg");
	ck_assert_uint_eq(a->jobs.n, b->jobs.n);
	for (i = 0; i < a->jobs.n; i++) {
		const struct job *j = &a->jobs.v[i];
		const struct job *o = job_same(b, j);

		ck_assert_msg(o != NULL, "job %s %s lost on reload", j->id,
		    j->object);
		ck_assert_str_eq(o->id, j->id);
		ck_assert_int_eq(o->due, j->due);
	}
	world_close(a);
	world_close(b);
}
END_TEST

START_TEST(test_job_ids_keep_when_moved)
{
	static const struct want_time moved[] = {
		{ JK_INVITATION, "hop", 0, "an", CH_EMAIL,
		    "2025-12-22T08:00:00+07:00" },
		{ JK_EVENT_REMINDER, "hop", 0, "an", CH_SMS,
		    "2025-12-28T16:00:00+07:00" },
		{ JK_TASK_REMINDER, "bao-cao", 0, "an", CH_EMAIL,
		    "2025-12-16T08:00:00+07:00" },
		{ JK_BROADCAST, "tin-hop", 0, NULL, CH_BROADCAST,
		    "2025-12-30T17:00:00+07:00" },
	};
	struct world *a, *b;
	size_t	      i, nmoved = 0;

	a = world_open("plans/expand/loa.cfg");
	b = world_open("plans/expand/loa-moved.cfg");
	/* The fixture did move the event. */
	check_times(b, moved, sizeof(moved) / sizeof(moved[0]));
	ck_assert_uint_eq(a->jobs.n, b->jobs.n);
	for (i = 0; i < a->jobs.n; i++) {
		const struct job *j = &a->jobs.v[i];
		const struct job *o = job_same(b, j);

		ck_assert_msg(o != NULL, "job %s %s lost when moved", j->id,
		    j->object);
		ck_assert_msg(strcmp(o->id, j->id) == 0,
		    "%s %s to %s by %s: "
		    "id %s became %s when only its time moved",
		    job_kind_names[j->kind], j->object, j->to ? j->to->id : "-",
		    channel_names[j->channel], j->id, o->id);
		if (o->due != j->due)
			nmoved++;
	}
	/* All but the distribution's 5 moved. */
	ck_assert_uint_eq(nmoved, a->jobs.n - 5);
	world_close(a);
	world_close(b);
}
END_TEST

int
main(void)
{
	TU_CASE("recipients", NULL, pfx_teardown, 0,
	    test_distribution_recipients, test_event_recipients,
	    test_task_recipients, test_organizer_not_invited,
	    test_dedup_direct_group_agency, test_agency_mailbox);
	TU_CASE("channels", NULL, pfx_teardown, 0, test_channel_without_address,
	    test_channel_defaults);
	TU_CASE("ids", NULL, pfx_teardown, 0, test_job_ids_form_and_unique,
	    test_job_ids_stable, test_job_ids_keep_when_moved);
	return tu_run("plan");
}
