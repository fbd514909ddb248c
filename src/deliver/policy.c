/*
 * policy.c: the delivery rules as pure functions (see policy.h). The
 * outbox stores what these decide; the scheduler asks them.
 */
#include <assert.h>
#include <math.h>

#include "deliver/policy.h"

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
