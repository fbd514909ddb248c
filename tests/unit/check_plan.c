/*
 * check_plan.c: unit tests of plan.c (SPEC §2, §3, §6, §8, §10): a plan's
 * times resolved and the plan expanded into jobs, checked job by job.
 *
 * Each test loads a fixture under $LOA_TESTDATA/plans/ the way `loa
 * timeline` does (service_load, plan_load, plan_resolve at a fixed now,
 * plan_expand, slots_place, timeline_sort), with the diagnostics written
 * to a memory stream so that warnings can be asserted, and then looks jobs
 * up by kind, object, ordinal, recipient and channel.
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
#include "cli/out.h"
#include "testutil.h"

/* A local time of the tests' zone. */
#define LOCAL_TIME(s) tu_time(ZONE, (s))

#define ZONE "Asia/Ho_Chi_Minh"
#define NOW  "2025-11-01 00:00" /* before every fixture's jobs */
#define ANY  (-1)		/* ordinal or channel: any */
#define E    CHM(CH_EMAIL)
#define S    CHM(CH_SMS)

/* A service config, its plans and their jobs, as `loa timeline` has them. */
struct world {
	struct service *svc;
	struct plan    *plans[4];
	size_t		nplans;
	struct jobs	jobs;
	struct diag	d;
	char	       *log; /* what went to d.out */
	size_t		loglen;
};

/*
 * The worlds a test has open. A failed assertion leaves its test at once
 * (CK_FORK=no), so the teardown closes what the test could not.
 */
static struct world *open_worlds[4];

/* Load $LOA_TESTDATA/cfg with everything it names; no errors allowed. */
static struct world *
world_open(const char *cfg)
{
	const char   *dir = getenv("LOA_TESTDATA");
	char	      path[PATH_MAX];
	struct world *w;
	size_t	      i, slot;
	int	      rc;

	ck_assert_msg(dir != NULL, "LOA_TESTDATA is not set");
	snprintf(path, sizeof(path), "%s/%s", dir, cfg);
	for (slot = 0; slot < 4 && open_worlds[slot] != NULL; slot++)
		;
	ck_assert_uint_lt(slot, 4);
	w = open_worlds[slot] = calloc(1, sizeof(*w));
	ck_assert_ptr_nonnull(w);
	w->d.out = open_memstream(&w->log, &w->loglen);
	ck_assert_ptr_nonnull(w->d.out);
	w->svc = service_load(path, &w->d);
	fflush(w->d.out);
	ck_assert_msg(w->svc != NULL, "%s: %s", cfg, w->log);
	rc = tmpl_install(w->svc, &w->d);
	fflush(w->d.out);
	ck_assert_msg(rc == 0, "%s: %s", cfg, w->log);
	ck_assert_uint_le(w->svc->nplans, 4);
	for (i = 0; i < w->svc->nplans; i++) {
		struct plan *p;

		p = plan_load(w->svc, w->svc->plans[i], &w->svc->plan_locs[i],
		    &w->d);
		fflush(w->d.out);
		ck_assert_msg(p != NULL, "%s: %s", w->svc->plans[i], w->log);
		w->plans[w->nplans++] = p;
		rc = plan_resolve(p, w->svc, LOCAL_TIME(NOW), &w->d);
		fflush(w->d.out);
		ck_assert_msg(rc == 0, "%s: %s", w->svc->plans[i], w->log);
	}
	for (i = 0; i < w->nplans; i++)
		plan_expand(w->plans[i], w->svc, &w->jobs, &w->d);
	slots_place(w->svc, &w->jobs, &w->d);
	timeline_sort(&w->jobs);
	fflush(w->d.out);
	ck_assert_msg(w->d.errors == 0, "%s: %s", cfg, w->log);
	return w;
}

static void
world_close(struct world *w)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (open_worlds[i] == w)
			open_worlds[i] = NULL;
	for (i = 0; i < w->nplans; i++)
		plan_free(w->plans[i]);
	jobs_free(&w->jobs);
	service_free(w->svc);
	if (w->d.out != NULL)
		fclose(w->d.out);
	free(w->log);
	free(w);
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (open_worlds[i] != NULL)
			world_close(open_worlds[i]);
}

/* Lines of the diagnostics that contain every one of a, b (b may be NULL). */
static int
log_lines(const struct world *w, const char *a, const char *b)
{
	const char *p = w->log, *nl;
	int	    n = 0;

	while (p != NULL && *p != '\0') {
		char *line;

		nl = strchr(p, '\n');
		line = strndup(p, nl ? (size_t)(nl - p) : strlen(p));
		if (strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL))
			n++;
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

static int
job_is(const struct job *j, enum job_kind k, const char *object, int ordinal,
    const char *to, int ch)
{
	return j->kind == k &&
	    (object == NULL || strcmp(j->object, object) == 0) &&
	    (ordinal == ANY || j->ordinal == ordinal) &&
	    (to == NULL || (j->to != NULL && strcmp(j->to->id, to) == 0)) &&
	    (ch == ANY || j->channel == ch);
}

/* How many jobs match; NULL and ANY match anything. */
static int
job_count(const struct world *w, enum job_kind k, const char *object,
    int ordinal, const char *to, int ch)
{
	size_t i;
	int    n = 0;

	for (i = 0; i < w->jobs.n; i++)
		if (job_is(&w->jobs.v[i], k, object, ordinal, to, ch))
			n++;
	return n;
}

/* The one job that matches; fails the test unless there is exactly one. */
static const struct job *
job_get(const struct world *w, enum job_kind k, const char *object, int ordinal,
    const char *to, int ch)
{
	const struct job *found = NULL;
	size_t		  i;
	int		  n = 0;

	for (i = 0; i < w->jobs.n; i++)
		if (job_is(&w->jobs.v[i], k, object, ordinal, to, ch)) {
			found = &w->jobs.v[i];
			n++;
		}
	ck_assert_msg(n == 1, "%d jobs %s %s #%d to %s by %s; expected one", n,
	    job_kind_names[k], object, ordinal, to ? to : "-",
	    ch == ANY ? "any" : channel_names[ch]);
	return found;
}

/* The job of world w with the same content (not time) as j, or NULL. */
static const struct job *
job_same(const struct world *w, const struct job *j)
{
	size_t i;

	for (i = 0; i < w->jobs.n; i++) {
		const struct job *o = &w->jobs.v[i];

		if (o->kind == j->kind && o->ordinal == j->ordinal &&
		    o->channel == j->channel &&
		    strcmp(o->object, j->object) == 0 &&
		    strcmp(o->plan->id, j->plan->id) == 0 &&
		    (o->to == NULL ?
			    j->to == NULL :
			    j->to != NULL && strcmp(o->to->id, j->to->id) == 0))
			return o;
	}
	return NULL;
}

static const char *
rfc3339(const struct job *j, char *buf, size_t len)
{
	tz_rfc3339(j->plan->tz, j->due, buf, len);
	return buf;
}

/* Who gets a kind of job about an object, on which channels. */
struct want_rcpt {
	const char *to;
	unsigned    channels;
};

static void
check_recipients(const struct world *w, enum job_kind k, const char *object,
    int ordinal, const struct want_rcpt *want, size_t n)
{
	size_t i;
	int    ch, total = 0;

	for (i = 0; i < n; i++)
		for (ch = CH_EMAIL; ch <= CH_SMS; ch++) {
			int got = job_count(w, k, object, ordinal, want[i].to,
			    ch);
			int exp = (want[i].channels & CHM(ch)) ? 1 : 0;

			ck_assert_msg(got == exp,
			    "%s %s: %d %s jobs to %s; "
			    "expected %d",
			    job_kind_names[k], object, got, channel_names[ch],
			    want[i].to, exp);
			total += exp;
		}
	/* Nobody else. */
	ck_assert_int_eq(job_count(w, k, object, ordinal, NULL, ANY), total);
}

/* A job and the local time (RFC 3339) it is due. */
struct want_time {
	enum job_kind kind;
	const char   *object;
	int	      ordinal;
	const char   *to;
	enum channel  ch;
	const char   *due;
};

static void
check_times(const struct world *w, const struct want_time *want, size_t n)
{
	char   buf[40];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct job *j = job_get(w, want[i].kind, want[i].object,
		    want[i].ordinal, want[i].to, want[i].ch);

		ck_assert_msg(strcmp(rfc3339(j, buf, sizeof(buf)),
				  want[i].due) == 0,
		    "%s %s #%d %s: due %s, expected %s",
		    job_kind_names[want[i].kind], want[i].object,
		    want[i].ordinal, channel_names[want[i].ch], buf,
		    want[i].due);
		ck_assert_msg(j->state == JS_PENDING, "%s %s: state %s",
		    job_kind_names[want[i].kind], want[i].object,
		    job_state_names[j->state]);
	}
}

static const struct task *
task_of(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->ntasks; i++)
		if (strcmp(p->tasks[i].id, id) == 0)
			return &p->tasks[i];
	ck_abort_msg("no task %s", id);
	return NULL;
}

static const char *
local_str(const struct plan *p, int64_t t, char *buf, size_t len)
{
	tz_rfc3339(p->tz, t, buf, len);
	return buf;
}

/* Recipients (SPEC §3). */

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
	job_get(w, JK_INVITATION, "hop", 0, "lam", CH_EMAIL);
	job_get(w, JK_INVITATION, "hop", 0, "minh", CH_EMAIL);
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
		const struct job *j = job_get(w, where[i].kind, where[i].object,
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
	j = job_get(w, JK_DISTRIBUTION, "12/KH-UBND", 0, "vhxh", CH_EMAIL);
	ck_assert_ptr_nonnull(j->to);
	ck_assert_int_eq(j->to->mailbox, 1);
	ck_assert_ptr_nonnull(j->to->agency);
	ck_assert_str_eq(j->to->agency->id, "vhxh");
	ck_assert_str_eq(j->address, "vhxh@daison.example");
	ck_assert_int_eq(j->state, JS_PENDING);
	/* The head is a recipient of their own, not the mailbox. */
	j = job_get(w, JK_DISTRIBUTION, "12/KH-UBND", 0, "hung", CH_EMAIL);
	ck_assert_int_eq(j->to->mailbox, 0);
	ck_assert_str_eq(j->address, "hung@daison.example");
	world_close(w);
}
END_TEST

/* Channels (SPEC §3). */

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
		j = job_get(w, sms[i].kind, sms[i].object, 0, "em", CH_SMS);
		ck_assert_int_eq(j->state, JS_SKIPPED);
		ck_assert_ptr_nonnull(j->reason);
		ck_assert_str_eq(j->reason, "no phone number");
		ck_assert_ptr_null(j->address);
	}
	/* Her email still goes. */
	j = job_get(w, JK_INVITATION, "hop", 0, "em", CH_EMAIL);
	ck_assert_int_eq(j->state, JS_PENDING);
	ck_assert_str_eq(j->address, "em@daison.example");
	/* One warning naming her, however many jobs are skipped. */
	ck_assert_msg(log_lines(w, "warning", "em:") == 1, "%s", w->log);
	ck_assert_msg(log_lines(w, "em:", "no phone number") == 1, "%s",
	    w->log);
	ck_assert_int_eq(w->d.warnings, 1);
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
	job_get(w, JK_TASK_REMINDER, "bao-cao", 0, "hung", CH_EMAIL);
	job_get(w, JK_TASK_REMINDER, "bao-cao", 0, "hung", CH_SMS);
	/* Nothing on the broadcast channel but broadcasts. */
	ck_assert_int_eq(job_count(w, JK_BROADCAST, NULL, ANY, NULL, ANY), 1);
	world_close(w);
}
END_TEST

/* Job ids (SPEC §6). */

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

/* Times (SPEC §2). */

START_TEST(test_times)
{
	static const struct want_time want[] = {
		/* due - 3bd from Tue 01-06 over Sun, Sat and the holidays
		 * Fri 01-02 and Thu 01-01 */
		{ JK_TASK_REMINDER, "t-lich", 0, "thu", CH_EMAIL,
		    "2025-12-30T08:00:00+07:00" },
		{ JK_TASK_REMINDER, "t-lich", 0, "thu", CH_SMS,
		    "2025-12-30T08:00:00+07:00" },
		/* due + 1bd at 08:00 */
		{ JK_OVERDUE, "t-lich", 0, "thu", CH_EMAIL,
		    "2026-01-07T08:00:00+07:00" },
		/* the default from loa.defaults: due - 1bd at 10:00 */
		{ JK_TASK_REMINDER, "t-ngay", 0, "thu", CH_EMAIL,
		    "2026-01-08T10:00:00+07:00" },
		/* due + 1bd from Friday 23:59: Monday */
		{ JK_OVERDUE, "t-ngay", 0, "thu", CH_EMAIL,
		    "2026-01-12T08:00:00+07:00" },
		/* task -> task -> event */
		{ JK_TASK_REMINDER, "t-chuoi", 0, "thu", CH_EMAIL,
		    "2026-01-07T08:00:00+07:00" },
		/* no invite: as soon as the plan is issued */
		{ JK_INVITATION, "hn", 0, "thu", CH_EMAIL,
		    "2025-12-15T00:00:00+07:00" },
	};
	static const struct {
		const char *task;
		const char *due;
	} dues[] = {
		{ "t-lich", "2026-01-06T17:00:00+07:00" },
		{ "t-ngay", "2026-01-09T23:59:00+07:00" }, /* date alone */
		{ "t-chuoi", "2026-01-08T17:00:00+07:00" },
	};
	struct world	  *w;
	const struct plan *p;
	char		   buf[40];
	size_t		   i;

	w = world_open("plans/times/loa.cfg");
	p = w->plans[0];
	for (i = 0; i < sizeof(dues) / sizeof(dues[0]); i++)
		ck_assert_str_eq(local_str(p, task_of(p, dues[i].task)->due.t,
				     buf, sizeof(buf)),
		    dues[i].due);
	ck_assert_str_eq(local_str(p, p->events[0].end.t, buf, sizeof(buf)),
	    "2026-01-16T11:30:00+07:00");
	check_times(w, want, sizeof(want) / sizeof(want[0]));
	/* The default list has one reminder, and it replaces nothing else. */
	ck_assert_int_eq(job_count(w, JK_TASK_REMINDER, "t-ngay", ANY, NULL,
			     ANY),
	    2);
	/* A reminder refers to its task's deadline. */
	ck_assert_int_eq(job_get(w, JK_TASK_REMINDER, "t-lich", 0, "thu",
			     CH_SMS)
			     ->refers,
	    task_of(p, "t-lich")->due.t);
	/* One warning: the event has no address for an ORGANIZER. */
	ck_assert_int_eq(w->d.warnings, 1);
	fflush(w->d.out);
	ck_assert_msg(strstr(w->log,
			  "plan.cfg:23: warning: events.hn.organizer: "
			  "no email address for an ORGANIZER") != NULL,
	    "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_quiet_hours)
{
	static const struct want_time want[] = {
		/* 05:00 is quiet; 06:30 is still before the 07:00 start */
		{ JK_EVENT_REMINDER, "sang", 0, "tam", CH_SMS,
		    "2026-03-10T06:30:00+07:00" },
		{ JK_EVENT_REMINDER, "sang", 0, "tam", CH_EMAIL,
		    "2026-03-10T05:00:00+07:00" },
		/* 22:00 is quiet; 06:30 would be after the 06:00 deadline */
		{ JK_TASK_REMINDER, "han", 0, "tam", CH_SMS,
		    "2026-03-11T20:59:00+07:00" },
		{ JK_TASK_REMINDER, "han", 0, "tam", CH_EMAIL,
		    "2026-03-11T22:00:00+07:00" },
		/* the invitation at plan.issued, midnight */
		{ JK_INVITATION, "sang", 0, "tam", CH_SMS,
		    "2026-03-01T06:30:00+07:00" },
		{ JK_INVITATION, "sang", 0, "tam", CH_EMAIL,
		    "2026-03-01T00:00:00+07:00" },
		/* an overdue notice has nothing ahead to be late for */
		{ JK_OVERDUE, "muon", 0, "tam", CH_SMS,
		    "2026-03-14T06:30:00+07:00" },
		{ JK_OVERDUE, "muon", 0, "tam", CH_EMAIL,
		    "2026-03-13T23:00:00+07:00" },
	};
	struct world *w;

	w = world_open("plans/quiet/loa.cfg");
	check_times(w, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(w->jobs.n, sizeof(want) / sizeof(want[0]));
	world_close(w);
}
END_TEST

/* Tentative and cancelled events (SPEC §2, §3). */

START_TEST(test_tentative)
{
	static const struct {
		enum job_kind  kind;
		const char    *object;
		enum channel   ch;
		enum job_state state;
		const char    *reason; /* a part of it; NULL: none */
	} want[] = {
		/* start = "2025-12" */
		{ JK_INVITATION, "hn", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_INVITATION, "hn", CH_SMS, JS_HELD, "tentative" },
		{ JK_EVENT_REMINDER, "hn", CH_SMS, JS_HELD, "tentative" },
		/* due relative to hn */
		{ JK_TASK_REMINDER, "gm", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_TASK_REMINDER, "gm", CH_SMS, JS_HELD, "tentative" },
		{ JK_OVERDUE, "gm", CH_EMAIL, JS_HELD, "tentative" },
		/* status = "tentative", a full date */
		{ JK_INVITATION, "hn-tt", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_INVITATION, "hn-tt", CH_SMS, JS_HELD, "tentative" },
		{ JK_EVENT_REMINDER, "hn-tt", CH_SMS, JS_HELD, "tentative" },
		/* status = "cancelled" */
		{ JK_INVITATION, "hn-huy", CH_EMAIL, JS_CANCELLED, "cancel" },
		{ JK_INVITATION, "hn-huy", CH_SMS, JS_CANCELLED, "cancel" },
		{ JK_EVENT_REMINDER, "hn-huy", CH_SMS, JS_CANCELLED, "cancel" },
		/* confirmed, absolute */
		{ JK_INVITATION, "hn-ok", CH_EMAIL, JS_PENDING, NULL },
		{ JK_EVENT_REMINDER, "hn-ok", CH_SMS, JS_PENDING, NULL },
		{ JK_TASK_REMINDER, "gm-ok", CH_EMAIL, JS_PENDING, NULL },
	};
	struct world *w;
	size_t	      i;

	w = world_open("plans/tentative/loa.cfg");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct job *j = job_get(w, want[i].kind, want[i].object,
		    0, "lan", want[i].ch);

		ck_assert_msg(j->state == want[i].state,
		    "%s %s by %s: state "
		    "%s, expected %s",
		    job_kind_names[want[i].kind], want[i].object,
		    channel_names[want[i].ch], job_state_names[j->state],
		    job_state_names[want[i].state]);
		if (want[i].reason == NULL)
			ck_assert_ptr_null(j->reason);
		else
			ck_assert_msg(j->reason != NULL &&
				strstr(j->reason, want[i].reason) != NULL,
			    "%s %s: reason \"%s\", expected one mentioning "
			    "\"%s\"",
			    job_kind_names[want[i].kind], want[i].object,
			    j->reason ? j->reason : "(null)", want[i].reason);
	}
	ck_assert_int_eq(w->plans[0]->events[0].status, EV_CONFIRMED);
	ck_assert_ptr_nonnull(w->plans[0]->events[0].start.tentative);
	world_close(w);
}
END_TEST

/* SMS (SPEC §8). */

#define SMS_TITLE \
	"Tổng hợp báo cáo kết quả cải cách hành chính năm 2025 " \
	"của các phòng, ban, đơn vị"

START_TEST(test_sms_parts)
{
	static const struct {
		const char	 *cfg;
		const char	 *text; /* NULL: don't compare */
		enum sms_encoding enc;
		int		  parts;
		int		  warnings;
	} want[] = {
		/* 158 characters with diacritics: 67 + 67 + 24 */
		{ "plans/sms/loa.cfg",
		    "Nhắc việc KH 7/KH-UBND: " SMS_TITLE
		    ". Hạn 17 giờ 00, thứ Sáu, ngày 20/03/2026, còn 5 ngày.",
		    SMS_UCS2, 3, 0 },
		/* folded: the same 158 characters fit one GSM-7 message */
		{ "plans/sms-fold/loa.cfg",
		    "Nhac viec KH 7/KH-UBND: Tong hop "
		    "bao cao ket qua cai cach hanh chinh nam 2025 cua cac "
		    "phong, ban, don vi. Han 17 gio 00, thu Sau, ngay "
		    "20/03/2026, con 5 ngay.",
		    SMS_GSM7, 1, 0 },
		/* the template override: 256 characters, past max_parts 3 */
		{ "plans/sms-tmpl/loa.cfg",
		    "Nhắc việc: " SMS_TITLE ". " SMS_TITLE ". " SMS_TITLE ".",
		    SMS_UCS2, 4, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct world	 *w;
		const struct job *j;
		char		 *text;

		w = world_open(want[i].cfg);
		j = job_get(w, JK_TASK_REMINDER, "tong-hop", 0, "hoa", CH_SMS);
		text = compose_sms(w->plans[0], w->svc, (enum job_kind)j->kind,
		    strmap_get(w->plans[0]->names, j->object), j->to, j->due,
		    NULL);
		ck_assert_str_eq(text, want[i].text);
		free(text);
		ck_assert_msg(j->sms_encoding == want[i].enc, "%s: %s",
		    want[i].cfg,
		    sms_encoding_name((enum sms_encoding)j->sms_encoding));
		ck_assert_msg(j->sms_parts == want[i].parts,
		    "%s: %d parts, "
		    "expected %d",
		    want[i].cfg, j->sms_parts, want[i].parts);
		/* An email has no parts. */
		ck_assert_int_eq(job_get(w, JK_TASK_REMINDER, "tong-hop", 0,
				     "hoa", CH_EMAIL)
				     ->sms_parts,
		    0);
		ck_assert_msg(w->d.warnings == want[i].warnings, "%s: %s",
		    want[i].cfg, w->log);
		ck_assert_int_eq(log_lines(w, "warning", "max_parts 3"),
		    want[i].warnings);
		world_close(w);
	}
}
END_TEST

/* The timeline JSON (SPEC §10). */

/* Check that o's keys start with keys[0..n) in that order. */
/* A job as `timeline --json` writes it (cli/out.h). */
static json_t *
job_json(const struct job *j)
{
	struct out_job o;

	out_job_from_job(&o, j);
	return out_job_json(&o);
}

static void
check_keys(json_t *o, const char *const *keys, size_t n, size_t total)
{
	void  *it;
	size_t i = 0;

	for (it = json_object_iter(o); it != NULL;
	     it = json_object_iter_next(o, it), i++)
		if (i < n)
			ck_assert_msg(strcmp(json_object_iter_key(it),
					  keys[i]) == 0,
			    "key %zu is \"%s\", expected "
			    "\"%s\"",
			    i, json_object_iter_key(it), keys[i]);
	ck_assert_uint_eq(i, total);
}

static const char *const spec_keys[] = {
	"id",
	"plan",
	"kind",
	"object",
	"recipient",
	"channel",
	"address",
	"due",
	"state",
	"reason",
	"sms_parts",
};

START_TEST(test_json_sms)
{
	struct world	 *w;
	const struct job *j;
	json_t		 *o;

	w = world_open("plans/expand/loa.cfg");
	j = job_get(w, JK_TASK_REMINDER, "bao-cao", 0, "an", CH_SMS);
	o = job_json(j);
	/* SPEC's keys in its order, then sms_encoding. */
	check_keys(o, spec_keys, 11, 12);
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), j->id);
	ck_assert_str_eq(json_string_value(json_object_get(o, "plan")),
	    "12/KH-UBND");
	ck_assert_str_eq(json_string_value(json_object_get(o, "kind")),
	    "task-reminder");
	ck_assert_str_eq(json_string_value(json_object_get(o, "object")),
	    "bao-cao");
	ck_assert_str_eq(json_string_value(json_object_get(o, "recipient")),
	    "an");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")),
	    "sms");
	ck_assert_str_eq(json_string_value(json_object_get(o, "address")),
	    "+84912000001");
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-11T08:00:00+07:00");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "pending");
	ck_assert(json_is_null(json_object_get(o, "reason")));
	/* 80 characters with diacritics: two UCS-2 parts. */
	ck_assert(json_is_integer(json_object_get(o, "sms_parts")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "sms_parts")),
	    2);
	ck_assert_str_eq(json_string_value(json_object_get(o, "sms_encoding")),
	    "ucs2");
	ck_assert_ptr_null(json_object_get(o, "slot"));
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_json_email_and_skipped)
{
	struct world *w;
	json_t	     *o;

	w = world_open("plans/expand/loa.cfg");
	o = job_json(job_get(w, JK_INVITATION, "hop", 0, "chau", CH_EMAIL));
	check_keys(o, spec_keys, 10, 10);
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-19T08:00:00+07:00");
	ck_assert_ptr_null(json_object_get(o, "sms_parts"));
	json_decref(o);

	o = job_json(job_get(w, JK_INVITATION, "hop", 0, "em", CH_SMS));
	check_keys(o, spec_keys, 10, 10);
	ck_assert(json_is_null(json_object_get(o, "address")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "skipped");
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	    "no phone number");
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_json_broadcast)
{
	struct world *w;
	json_t	     *o, *slot;

	w = world_open("plans/expand/loa.cfg");
	o = job_json(
	    job_get(w, JK_BROADCAST, "tin-hop", 0, NULL, CH_BROADCAST));
	check_keys(o, spec_keys, 10, 13);
	ck_assert(json_is_null(json_object_get(o, "recipient")));
	ck_assert(json_is_null(json_object_get(o, "address")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")),
	    "broadcast");
	/* Saturday 11:30 + 1d: the default Chiều slot at 17:00. */
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-27T17:00:00+07:00");
	ck_assert_str_eq(json_string_value(json_object_get(o, "slot")),
	    "Chiều");
	ck_assert_ptr_null(json_object_get(o, "sms_parts"));
	json_decref(o);
	world_close(w);

	/* An emergency item has no slot: "slot" is there, and null. */
	w = world_open("plans/slots/edge/loa.cfg");
	o = job_json(job_get(w, JK_BROADCAST, "khan", 0, NULL, CH_BROADCAST));
	check_keys(o, spec_keys, 10, 13);
	ck_assert_ptr_nonnull(slot = json_object_get(o, "slot"));
	ck_assert(json_is_null(slot));
	ck_assert(json_is_null(json_object_get(o, "recipient")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2026-03-10T22:15:00+07:00");
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_timeline_order)
{
	struct world *w;
	size_t	      i;

	w = world_open("plans/expand/loa.cfg");
	for (i = 1; i < w->jobs.n; i++)
		ck_assert_int_le(w->jobs.v[i - 1].due, w->jobs.v[i].due);
	world_close(w);
}
END_TEST

static Suite *
plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc;

	tc = tcase_create("recipients");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_distribution_recipients);
	tcase_add_test(tc, test_event_recipients);
	tcase_add_test(tc, test_task_recipients);
	tcase_add_test(tc, test_organizer_not_invited);
	tcase_add_test(tc, test_dedup_direct_group_agency);
	tcase_add_test(tc, test_agency_mailbox);
	suite_add_tcase(s, tc);

	tc = tcase_create("channels");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_channel_without_address);
	tcase_add_test(tc, test_channel_defaults);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_job_ids_form_and_unique);
	tcase_add_test(tc, test_job_ids_stable);
	tcase_add_test(tc, test_job_ids_keep_when_moved);
	suite_add_tcase(s, tc);

	tc = tcase_create("times");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_quiet_hours);
	tcase_add_test(tc, test_tentative);
	suite_add_tcase(s, tc);

	tc = tcase_create("sms");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_sms_parts);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_json_sms);
	tcase_add_test(tc, test_json_email_and_skipped);
	tcase_add_test(tc, test_json_broadcast);
	tcase_add_test(tc, test_timeline_order);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(plan_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tz_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
