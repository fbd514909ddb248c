/*
 * check_engine_policy.c: the engine's pure policies (conf/REFERENCE.md §6): the
 * retry delay after each attempt, with Retry-After, the token bucket of a
 * gateway's rate, the reminders' collapse and the grouping of what will not
 * go.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "deliver/engine.h"
#include "deliver/policy.h"
#include "testutil.h"

/* Retries (conf/REFERENCE.md §6). */

START_TEST(test_retry_delay_zero)
{
	int a;

	for (a = 1; a <= 15; a++)
		ck_assert_int_eq(retry_delay(a, 0.0, 0), 1);
}
END_TEST

START_TEST(test_retry_delay_ceiling)
{
	int a;

	for (a = 1; a <= 15; a++) {
		int64_t ceiling = 30LL << (a - 1), d;

		if (ceiling > 3600)
			ceiling = 3600;
		d = retry_delay(a, 0.999999, 0);
		ck_assert_msg(d >= ceiling - 1 && d <= ceiling + 1,
		    "attempt %d: %lld, wanted about %lld", a, (long long)d,
		    (long long)ceiling);
	}
	/* Far past the cap, and without overflow. */
	ck_assert_int_le(retry_delay(1000, 0.999999, 0), 3601);
	ck_assert_int_ge(retry_delay(1000, 0.999999, 0), 3599);
	ck_assert_int_le(retry_delay(INT_MAX, 0.999999, 0), 3601);
}
END_TEST

START_TEST(test_retry_delay_bounds)
{
	static const double rs[] = { 0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999 };
	int64_t		    prev = 0;
	int		    a;
	size_t		    i;

	for (a = 1; a <= 30; a++) {
		int64_t bound = retry_delay(a, 0.999999, 0);

		/* The upper bound never shrinks as attempts grow. */
		ck_assert_int_ge(bound, prev);
		prev = bound;
		for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
			int64_t d = retry_delay(a, rs[i], 0);

			ck_assert_int_ge(d, 1);
			ck_assert_int_le(d, bound);
			ck_assert_int_le(d, 3601);
			/* More r, more delay. */
			if (i > 0)
				ck_assert_int_ge(d,
				    retry_delay(a, rs[i - 1], 0));
		}
	}
}
END_TEST

START_TEST(test_retry_delay_retry_after)
{
	int a;

	for (a = 1; a <= 15; a++) {
		/* A Retry-After larger than the backoff is the delay. */
		ck_assert_int_eq(retry_delay(a, 0.999999, 7200), 7200);
		ck_assert_int_eq(retry_delay(a, 0.0, 5000), 5000);
		ck_assert_int_eq(retry_delay(a, 0.5, 3602), 3602);
		/* A smaller one is only a floor. */
		ck_assert_int_ge(retry_delay(a, 0.0, 20), 20);
		ck_assert_int_le(retry_delay(a, 0.0, 20), 20);
		ck_assert_int_eq(retry_delay(a, 0.999999, 2),
		    retry_delay(a, 0.999999, 0));
	}
	ck_assert_int_eq(retry_delay(5, 0.5, 10), retry_delay(5, 0.5, 0));
}
END_TEST

START_TEST(test_retry_delay_attempt_zero)
{
	static const double rs[] = { 0.0, 0.3, 0.999999 };
	size_t		    i;

	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		ck_assert_int_eq(retry_delay(0, rs[i], 0),
		    retry_delay(1, rs[i], 0));
		ck_assert_int_eq(retry_delay(-1, rs[i], 0),
		    retry_delay(1, rs[i], 0));
		ck_assert_int_eq(retry_delay(INT_MIN, rs[i], 0),
		    retry_delay(1, rs[i], 0));
	}
	ck_assert_int_le(retry_delay(0, 0.999999, 0), 31);
}
END_TEST

/* Taking from b at t waits half a second: 2/s, none left. */
static void
check_waits_half(struct bucket *b, double t)
{
	double w = bucket_take(b, t);

	ck_assert_msg(w > 0.499 && w < 0.501, "waits %g at %g, wanted 0.5", w,
	    t);
}

START_TEST(test_bucket_unlimited)
{
	struct bucket b;
	int	      i;

	bucket_init(&b, 0, 0);
	for (i = 0; i < 1000; i++)
		ck_assert(bucket_take(&b, 0) == 0);
	for (i = 0; i < 10; i++)
		ck_assert(bucket_take(&b, 5 + i) == 0);
}
END_TEST

START_TEST(test_bucket_rate)
{
	struct bucket b;

	bucket_init(&b, 2, 2);
	ck_assert(bucket_take(&b, 0) == 0);
	ck_assert(bucket_take(&b, 0) == 0);
	check_waits_half(&b, 0);
	/* Asking again does not take what is not there. */
	check_waits_half(&b, 0);
	/* A second later there are two again. */
	ck_assert(bucket_take(&b, 1) == 0);
	ck_assert(bucket_take(&b, 1) == 0);
	check_waits_half(&b, 1);
	/* After the wait one is there. */
	ck_assert(bucket_take(&b, 1.5) == 0);
	ck_assert(bucket_take(&b, 1.5) > 0);
}
END_TEST

START_TEST(test_bucket_idle)
{
	struct bucket b;

	bucket_init(&b, 2, 2);
	ck_assert(bucket_take(&b, 0) == 0);
	/* A long idle saves no more than burst. */
	ck_assert(bucket_take(&b, 100000) == 0);
	ck_assert(b.tokens <= b.burst);
	ck_assert(bucket_take(&b, 100000) == 0);
	check_waits_half(&b, 100000);
	ck_assert(b.tokens <= b.burst && b.tokens >= 0);
	bucket_init(&b, 10, 3);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(b.tokens <= 3);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(bucket_take(&b, 1e6) > 0);
}
END_TEST

/* Lateness told (conf/REFERENCE.md §6). */

START_TEST(test_collapse_into)
{
	/* The later goes; of two at one second, the later listed. */
	ck_assert(policy_collapses_into(100, 0, 200, 0));
	ck_assert(!policy_collapses_into(200, 0, 100, 0));
	ck_assert(policy_collapses_into(100, 0, 100, 1));
	ck_assert(!policy_collapses_into(100, 1, 100, 0));
	ck_assert(!policy_collapses_into(100, 1, 100, 1));
}
END_TEST

START_TEST(test_late_tally)
{
	struct late_tally t = { 0 };
	const struct tz	 *z = tz_get("Asia/Ho_Chi_Minh");
	char		 *s;
	int		  i;

	ck_assert_ptr_nonnull(z);
	/* Five people, email and sms each: one group, each name once. */
	for (i = 0; i < 5; i++) {
		char who[8];

		snprintf(who, sizeof(who), "p%d", i);
		late_tally_add(&t, "9/KH", JK_DISTRIBUTION, "9/KH", CH_EMAIL,
		    who, "too late to send", 1772416800 + i, TIMEX_NONE);
		late_tally_add(&t, "9/KH", JK_DISTRIBUTION, "9/KH", CH_SMS, who,
		    "too late to send", 1772416800 + i, TIMEX_NONE);
	}
	late_tally_add(&t, "9/KH", JK_OVERDUE, "bc", CH_EMAIL, "p0",
	    "too late to send", 1772416800, TIMEX_NONE);
	ck_assert_uint_eq(t.n, 2);
	ck_assert_uint_eq(t.v[0].n, 10);
	ck_assert_int_eq(t.v[0].nwho, LATE_NAMES);
	s = late_group_text(&t.v[0], z);
	/* 2026-03-02 09:00 in Hanoi's zone, the earliest. */
	ck_assert_str_eq(s,
	    "plan 9/KH: 10 distribution jobs by email and sms (to p0, p1, "
	    "p2 and others), due 2026-03-02 09:00: too late to send (it goes "
	    "up to a day after its due time); to send it anyway set "
	    "distribution.at = \"now\" in the plan");
	free(s);
	s = late_group_text(&t.v[1], z);
	ck_assert_msg(strstr(s, "1 overdue job of bc by email (to p0)") &&
		strstr(s, "tasks.bc.overdue = \"now\""),
	    "%s", s);
	free(s);
	late_tally_free(&t);
}
END_TEST

int
main(void)
{
	TU_CASE("retry", NULL, NULL, 0, test_retry_delay_zero,
	    test_retry_delay_ceiling, test_retry_delay_bounds,
	    test_retry_delay_retry_after, test_retry_delay_attempt_zero);
	TU_CASE("bucket", NULL, NULL, 0, test_bucket_unlimited,
	    test_bucket_rate, test_bucket_idle);
	TU_CASE("late", NULL, NULL, 0, test_collapse_into, test_late_tally);
	return tu_run("engine-policy");
}
