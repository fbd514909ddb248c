/*
 * policy.c: the delivery rules as pure functions (see policy.h). The
 * outbox stores what these decide; the scheduler asks them.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/policy.h"
#include "util/buf.h"
#include "util/mem.h"
#include "util/text.h"

enum policy_outcome
policy_outcome(int ok, int temporary, int attempts, int64_t first_at,
    int64_t now)
{
	assert(attempts >= 1);
	if (ok)
		return PO_SENT;
	if (!temporary)
		return PO_DEAD;
	if (attempts >= RETRY_MAX_ATTEMPTS ||
	    (first_at != TIMEX_NONE && now - first_at >= RETRY_MAX_AGE))
		return PO_DEAD;
	return PO_RETRY;
}

int64_t
retry_delay(int attempt, double r, int64_t retry_after)
{
	double	cap = 3600, base = 30, ceiling;
	int64_t d;

	if (attempt < 1)
		attempt = 1;
	ceiling = attempt > 20 ? cap : fmin(cap, base * ldexp(1, attempt - 1));
	d = (int64_t)(r * ceiling) + 1;
	if (retry_after > d)
		d = retry_after;
	return d;
}

/* Kinds worthless once what they are about has begun or fallen due. */
static int
ends_at_moment(enum job_kind k)
{
	return k == JK_INVITATION || k == JK_UPDATE || k == JK_EVENT_REMINDER ||
	    k == JK_TASK_REMINDER;
}

int64_t
policy_expires(enum job_kind k, enum channel ch, int64_t due, int64_t refers)
{
	if (ends_at_moment(k))
		return refers;
	/* A broadcast's SMS is news until the item expires, else a day. */
	if (k == JK_BROADCAST && ch == CH_SMS)
		return refers != TIMEX_NONE ? refers : due + 86400;
	if (k == JK_BROADCAST)
		return refers != TIMEX_NONE ? refers : due + 3600;
	if (k == JK_DISTRIBUTION || k == JK_OVERDUE || k == JK_CANCEL)
		return due + 86400;
	return TIMEX_NONE;
}

const char *
policy_expired_reason(enum job_kind k, int64_t refers, int64_t now)
{
	if (ends_at_moment(k) && refers != TIMEX_NONE && refers <= now)
		return "its moment passed before it could be sent";
	return "too late to send";
}

int
policy_collapses(enum job_kind k)
{
	return k == JK_EVENT_REMINDER || k == JK_TASK_REMINDER;
}

int
policy_collapses_into(int64_t due, int ordinal, int64_t rival_due,
    int rival_ordinal)
{
	return rival_due > due || (rival_due == due && rival_ordinal > ordinal);
}

int64_t
policy_quiet(const struct calendar *c, const struct quiet *q, enum job_kind k,
    enum channel ch, int priority, int64_t now, int64_t refers)
{
	/* An emergency's SMS goes at any hour; quiet hours hold SMS only. */
	if (ch != CH_SMS || (k == JK_BROADCAST && priority == PRIO_EMERGENCY))
		return now;
	return quiet_adjust(c, q, now, refers);
}

int
policy_unsent(enum job_state s)
{
	return s == JS_HELD || s == JS_PENDING || s == JS_FAILED;
}

int
policy_rederive(enum job_state stored, int64_t stored_due,
    enum job_state derived, int64_t derived_due)
{
	int live = derived == JS_PENDING || derived == JS_HELD;

	if (!policy_unsent(stored))
		return (stored == JS_EXPIRED && stored_due != derived_due &&
			   live) ||
		    (stored == JS_CANCELLED && live) ||
		    (stored == JS_SKIPPED && live);
	/* A failed job keeps retrying on its own schedule. */
	if (stored == JS_FAILED && derived == JS_PENDING &&
	    stored_due == derived_due)
		return 0;
	return 1;
}

void
bucket_init(struct bucket *b, double rate, double burst)
{
	b->rate = rate;
	b->burst = burst > 0 ? burst : (rate > 1 ? rate : 1);
	b->tokens = b->burst;
	b->last = 0;
}

double
bucket_take(struct bucket *b, double now)
{
	if (b->rate <= 0)
		return 0;
	if (now > b->last) {
		b->tokens = fmin(b->burst,
		    b->tokens + (now - b->last) * b->rate);
		b->last = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (1 - b->tokens) / b->rate;
}

/* The tokens b holds at now, refilled since b->last. */
static double
bucket_level(const struct bucket *b, double now)
{
	if (now <= b->last)
		return b->tokens;
	return fmin(b->burst, b->tokens + (now - b->last) * b->rate);
}

int
bucket_room(const struct bucket *b, double now, int max)
{
	double t;

	if (b->rate <= 0)
		return max;
	t = floor(bucket_level(b, now));
	return t < max ? (int)t : max;
}

double
bucket_wait(const struct bucket *b, double now)
{
	double t;

	if (b->rate <= 0 || (t = bucket_level(b, now)) >= 1)
		return 0;
	return (1 - t) / b->rate;
}

void
late_tally_add(struct late_tally *t, const char *plan, enum job_kind k,
    const char *object, enum channel ch, const char *who, const char *reason,
    int64_t due, int64_t refers)
{
	struct late_group *g = NULL;
	size_t		   i;

	assert(plan != NULL && object != NULL && reason != NULL);
	for (i = t->n; i > 0 && g == NULL; i--)
		if (t->v[i - 1].kind == k &&
		    strcmp(t->v[i - 1].plan, plan) == 0 &&
		    strcmp(t->v[i - 1].object, object) == 0 &&
		    strcmp(t->v[i - 1].reason, reason) == 0)
			g = &t->v[i - 1];
	if (g == NULL) {
		xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
		g = &t->v[t->n++];
		memset(g, 0, sizeof(*g));
		g->plan = xstrdup(plan);
		g->object = xstrdup(object);
		g->reason = xstrdup(reason);
		g->kind = k;
		g->due = due;
		g->refers = refers;
	}
	who = who != NULL ? who : "-";
	for (i = 0; i < (size_t)g->nwho && strcmp(g->who[i], who) != 0; i++)
		;
	if (i == (size_t)g->nwho && g->nwho < LATE_NAMES)
		g->who[g->nwho++] = xstrdup(who);
	else if (i == (size_t)g->nwho)
		g->more = 1;
	g->n++;
	g->channels |= CHM(ch);
	if (due < g->due)
		g->due = due;
}

/* The lateness rule of conf/REFERENCE.md §6 for group g, in words. */
static const char *
late_rule(const struct late_group *g)
{
	switch (g->kind) {
	case JK_INVITATION:
	case JK_UPDATE:
	case JK_EVENT_REMINDER:
		return "it goes only before the event starts";
	case JK_TASK_REMINDER:
		return "it goes only before the task's deadline";
	case JK_BROADCAST:
		if (g->channels & CHM(CH_BROADCAST))
			return g->refers != TIMEX_NONE ?
			    "an airing goes only before the item's expires" :
			    "an airing goes up to an hour after its planned "
			    "time";
		return g->refers != TIMEX_NONE ?
		    "its SMS goes only before the item's expires" :
		    "its SMS goes up to a day after the first air time";
	default:
		return "it goes up to a day after its due time";
	}
}

/* What to change in the plan so that group g goes after all. */
static void
late_remedy(struct buf *b, const struct late_group *g)
{
	switch (g->kind) {
	case JK_DISTRIBUTION:
		buf_adds(b,
		    "to send it anyway set distribution.at = \"now\" "
		    "in the plan");
		break;
	case JK_OVERDUE:
		buf_printf(b,
		    "to send it anyway set tasks.%s.overdue = \"now\" "
		    "in the plan",
		    g->object);
		break;
	case JK_BROADCAST:
		buf_printf(b,
		    "to send it anyway give broadcasts.%s a later air time "
		    "(and expires)",
		    g->object);
		break;
	case JK_TASK_REMINDER:
		buf_adds(b, "nothing sends it now: the deadline has passed");
		break;
	case JK_CANCEL:
		buf_adds(b, "nothing sends it now");
		break;
	default:
		buf_adds(b, "nothing sends it now: the event has begun");
		break;
	}
}

char *
late_group_text(const struct late_group *g, const struct tz *z)
{
	struct buf b = { 0 };
	char	   due[40], *plan;
	size_t	   i;
	int	   ch, first = 1;

	assert(g->n > 0);
	tz_rfc3339(z, g->due, due, sizeof(due));
	due[16] = '\0';
	due[10] = ' ';
	/* A plan's id is free text: escaped onto the one line. */
	plan = text_escape(g->plan);
	buf_printf(&b, "plan %s: %zu %s job%s", plan, g->n,
	    job_kind_names[g->kind], g->n == 1 ? "" : "s");
	free(plan);
	if (g->kind != JK_DISTRIBUTION)
		buf_printf(&b, " of %s", g->object);
	for (ch = 0; ch < CH__N; ch++)
		if (g->channels & CHM(ch)) {
			buf_printf(&b, "%s%s", first ? " by " : " and ",
			    channel_names[ch]);
			first = 0;
		}
	buf_adds(&b, " (to ");
	for (i = 0; i < (size_t)g->nwho; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", g->who[i]);
	if (g->more)
		buf_adds(&b, " and others");
	buf_printf(&b, "), due %s: %s", due, g->reason);
	if (strcmp(g->reason, POLICY_COLLAPSED) == 0)
		buf_adds(&b,
		    " (of several reminders due at once only the "
		    "latest goes)");
	else if (strcmp(g->reason, POLICY_QUIET_EXPIRED) == 0)
		buf_adds(&b,
		    " (SMS wait for the end of quiet hours; move the "
		    "reminder out of them)");
	else {
		buf_printf(&b, " (%s); ", late_rule(g));
		late_remedy(&b, g);
	}
	return buf_take(&b);
}

void
late_tally_free(struct late_tally *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].plan);
		free(t->v[i].object);
		free(t->v[i].reason);
		for (k = 0; k < (size_t)t->v[i].nwho; k++)
			free(t->v[i].who[k]);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}
