/*
 * planfx.c: the plan suites' worlds and job look-ups (see planfx.h).
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
#include "util/mem.h"
#include "jobs/slots.h"
#include "util/sms.h"
#include "jobs/timeline.h"
#include "view/out.h"
#include "testutil.h"
#include "planfx.h"

/*
 * The worlds a test has open. A failed assertion leaves its test at once
 * (CK_FORK=no), so the teardown closes what the test could not.
 */
static struct world *open_worlds[4];

/*
 * Load $LOA_TESTDATA/cfg and expand its plans; place the broadcasts when
 * place is set. Returns 0, or -1 with the reason in w->log. Does not
 * assert, so that it can run in a child process.
 */
int
pfx_load(struct world *w, const char *cfg, int64_t now, int place)
{
	const char *dir = getenv("LOA_TESTDATA");
	char	    path[PATH_MAX];
	size_t	    i;

	memset(w, 0, sizeof(*w));
	w->d.out = open_memstream(&w->log, &w->loglen);
	if (w->d.out == NULL)
		return -1;
	if (dir == NULL) {
		fprintf(w->d.out, "LOA_TESTDATA is not set\n");
		fflush(w->d.out);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, cfg);
	if ((w->svc = service_load(path, &w->d)) == NULL ||
	    tmpl_install(w->svc, &w->d) == -1 || w->svc->nplans > 4) {
		fflush(w->d.out);
		return -1;
	}
	for (i = 0; i < w->svc->nplans; i++) {
		struct plan *p;

		p = plan_load(w->svc, w->svc->plans[i], &w->svc->plan_locs[i],
		    &w->d);
		if (p == NULL)
			break;
		w->plans[w->nplans++] = p;
		plan_resolve(p, w->svc, now, &w->d);
	}
	if (w->d.errors == 0)
		for (i = 0; i < w->nplans; i++)
			plan_expand(w->plans[i], w->svc, &w->jobs, &w->d);
	if (w->d.errors == 0 && place) {
		slots_place(w->svc, &w->jobs, &w->d);
		timeline_sort(&w->jobs);
	}
	fflush(w->d.out);
	return w->d.errors == 0 ? 0 : -1;
}

void
pfx_clear(struct world *w)
{
	size_t i;

	for (i = 0; i < w->nplans; i++)
		plan_free(w->plans[i]);
	jobs_free(&w->jobs);
	service_free(w->svc);
	if (w->d.out != NULL)
		fclose(w->d.out);
	free(w->log);
	memset(w, 0, sizeof(*w));
}

struct world *
world_open_at(const char *cfg, int64_t now)
{
	struct world *w;
	size_t	      slot;

	for (slot = 0; slot < 4 && open_worlds[slot] != NULL; slot++)
		;
	ck_assert_uint_lt(slot, 4);
	w = open_worlds[slot] = calloc(1, sizeof(*w));
	ck_assert_ptr_nonnull(w);
	ck_assert_msg(pfx_load(w, cfg, now, 1) == 0, "%s: %s", cfg,
	    w->log != NULL ? w->log : "");
	return w;
}

struct world *
world_open(const char *cfg)
{
	return world_open_at(cfg, LOCAL_TIME(PLAN_NOW));
}

void
world_close(struct world *w)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (open_worlds[i] == w)
			open_worlds[i] = NULL;
	pfx_clear(w);
	free(w);
}

void
pfx_teardown(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (open_worlds[i] != NULL)
			world_close(open_worlds[i]);
}

int
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
int
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
const struct job *
job_one(const struct world *w, enum job_kind k, const char *object, int ordinal,
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
const struct job *
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

const char *
rfc3339(const struct job *j, char *buf, size_t len)
{
	tz_rfc3339(j->plan->tz, j->due, buf, len);
	return buf;
}

/* Who gets a kind of job about an object, on which channels. */

void
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

void
check_times(const struct world *w, const struct want_time *want, size_t n)
{
	char   buf[40];
	size_t i;

	for (i = 0; i < n; i++) {
		const struct job *j = job_one(w, want[i].kind, want[i].object,
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

const struct task *
task_of(const struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->ntasks; i++)
		if (strcmp(p->tasks[i].id, id) == 0)
			return &p->tasks[i];
	ck_abort_msg("no task %s", id);
	return NULL;
}

const char *
local_str(const struct plan *p, int64_t t, char *buf, size_t len)
{
	tz_rfc3339(p->tz, t, buf, len);
	return buf;
}
