/*
 * check_delivery_retry.c: delivery through the engine as a user sees it
 * (conf/REFERENCE.md §6, README "Delivery"): retries and giving up, permanent
 * failures, Retry-After, the rate limit and fairness between channels.
 *
 * Quiet hours at send time are covered through engine_step by
 * check_engine_send.c (test_quiet_release, test_quiet_expire), not here.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/mem.h"
#include "util/text.h"
#include "deliveryfx.h"

/* The email gateway of the tests that script it. */
static const struct nullgw *const script = &nullgw[CH_EMAIL];

/* Email through a file gateway (folder mailout) at this rate. */
static void
file_gateway(const char *rate)
{
	char *gw = xasprintf("gateways = (\n"
			     "  { id = \"mail\"; kind = \"file\"; "
			     "dir = \"mailout\"; rate = \"%s\"; }\n"
			     ");\n"
			     "channels = { email = \"mail\"; };\n",
	    rate);

	efx_service(1, gw);
	free(gw);
}

START_TEST(test_tempfail_dead_after_12)
{
	static const struct nullgw_answer tf[] = { { GW_TEMPFAIL, 0 } };
	const struct ob_job		 *j;
	const char			 *id;
	int64_t				  t = LOCAL_TIME(T_INV), first = t;
	char				  want[64];
	int				  a;

	dfx_open(ONE, 1);
	use_script(1, tf);
	id = invitation_id("an", "email");
	for (a = 1; a <= RETRY_MAX_ATTEMPTS; a++) {
		/* Not a second early. */
		efx_step(t - 1);
		ck_assert_int_eq(script->submits, a - 1);
		efx_step(t);
		ck_assert_int_eq(script->submits, a);
		ck_assert_str_eq(script->last_id, id);
		j = job_get(id);
		ck_assert_int_eq(j->attempts, a);
		ck_assert_int_eq(j->first_at, first);
		snprintf(want, sizeof(want), "(answer %d)", a);
		ck_assert_ptr_nonnull(j->last_error);
		ck_assert_msg(strstr(j->last_error, want) != NULL,
		    "attempt %d: last_error \"%s\"", a, j->last_error);
		if (a == RETRY_MAX_ATTEMPTS)
			break;
		ck_assert_msg(strcmp(ob_state(j), "failed") == 0,
		    "attempt %d: %s", a, ob_state(j));
		ck_assert_int_gt(j->next_at, t);
		ck_assert_msg(j->next_at - t <= backoff_ceiling(a),
		    "attempt %d: next in %lld s, more than %lld", a,
		    (long long)(j->next_at - t), (long long)backoff_ceiling(a));
		ck_assert_int_eq(engine_next(efx.e), j->next_at);
		t = j->next_at;
	}
	ck_assert_str_eq(state_of(id), "dead");
	j = job_get(id);
	ck_assert_int_eq(j->attempts, 12);
	ck_assert(j->sent_at == TIMEX_NONE);
	ck_assert_msg(strstr(j->last_error, "451 4.3.0") != NULL, "%s",
	    j->last_error);
	/* Nothing more goes, ever. */
	ck_assert(engine_next(efx.e) == TIMEX_NONE);
	efx_step(t + 7 * 86400);
	ck_assert_int_eq(script->submits, 12);
	ck_assert_str_eq(state_of(id), "dead");
}
END_TEST

START_TEST(test_tempfail_dead_after_24h)
{
	/* The gateway asks for 13 h each time: the third try is 26 h after
	 * the first. */
	static const struct nullgw_answer tf[] = { { GW_TEMPFAIL, 13 * 3600 } };
	const struct ob_job		 *j;
	const char			 *id;
	int64_t				  t = LOCAL_TIME(T_INV);

	dfx_open(ONE, 1);
	use_script(1, tf);
	id = invitation_id("an", "email");
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 13 * 3600);
	/* 13 h after the first try: still trying. */
	efx_step(t + 13 * 3600);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->attempts, 2);
	ck_assert_int_eq(j->next_at, t + 26 * 3600);
	/* 26 h: given up, with 3 attempts of 12. */
	efx_step(t + 26 * 3600);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "dead");
	ck_assert_int_eq(j->attempts, 3);
	ck_assert_int_lt(j->attempts, RETRY_MAX_ATTEMPTS);
	ck_assert_msg(strstr(j->last_error, "(answer 3)") != NULL, "%s",
	    j->last_error);
	ck_assert_int_eq(script->submits, 3);
	ck_assert(engine_next(efx.e) == TIMEX_NONE);
}
END_TEST

START_TEST(test_permfail_dead_at_once)
{
	static const struct nullgw_answer pf[] = { { GW_PERMFAIL, 0 },
		{ GW_OK, 0 } };
	const struct ob_job		 *j;
	const char			 *id;
	int64_t				  t = LOCAL_TIME(T_INV);

	dfx_open(ONE, 1);
	use_script(2, pf);
	id = invitation_id("an", "email");
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "dead");
	ck_assert_int_eq(j->attempts, 1);
	ck_assert(j->sent_at == TIMEX_NONE);
	/* The gateway's answer is kept. */
	ck_assert_ptr_nonnull(j->last_error);
	ck_assert_msg(strstr(j->last_error, "550 5.1.1 no such mailbox") !=
		NULL,
	    "%s", j->last_error);
	/* No retry: the OK the script holds next is never asked for. */
	ck_assert(engine_next(efx.e) == TIMEX_NONE);
	efx_step(t + 3600);
	efx_step(t + 86400);
	ck_assert_int_eq(script->submits, 1);
	ck_assert_str_eq(state_of(id), "dead");
}
END_TEST

/* What a peer says is kept as valid UTF-8 on one line, whatever the
 * gateway passed on: the outbox makes it so itself. */
START_TEST(test_permfail_peer_bytes)
{
	static const struct nullgw_answer pf[] = { { GW_PERMFAIL, 0 } };
	const struct ob_job		 *j;
	const char			 *id;

	dfx_open(ONE, 1);
	use_script(1, pf);
	nullgw[CH_EMAIL].say = "550 \xe9"
			       "chec\r\nX-Injected: 1\xe2\x80\xa8"
			       "end";
	id = invitation_id("an", "email");
	efx_step(LOCAL_TIME(T_INV));
	nullgw[CH_EMAIL].say = NULL;
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "dead");
	ck_assert_ptr_nonnull(j->last_error);
	ck_assert_msg(text_utf8_check(j->last_error, strlen(j->last_error)) ==
		-1,
	    "not UTF-8: %s", j->last_error);
	ck_assert_msg(strpbrk(j->last_error, "\r\n") == NULL &&
		strstr(j->last_error, "\xe2\x80\xa8") == NULL,
	    "more than one line: %s", j->last_error);
	ck_assert_msg(strstr(j->last_error,
			  "550 \xef\xbf\xbd"
			  "chec  X-Injected: 1 end") != NULL,
	    "%s", j->last_error);
}
END_TEST

START_TEST(test_tempfail_then_ok)
{
	static const struct nullgw_answer v[] = { { GW_TEMPFAIL, 0 },
		{ GW_TEMPFAIL, 0 }, { GW_OK, 0 } };
	const struct ob_job		 *j;
	const char			 *id;
	int64_t				  t = LOCAL_TIME(T_INV);
	int				  a;

	dfx_open(ONE, 1);
	use_script(3, v);
	id = invitation_id("an", "email");
	for (a = 1; a <= 2; a++) {
		efx_step(t);
		j = job_get(id);
		ck_assert_str_eq(ob_state(j), "failed");
		t = j->next_at;
	}
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "sent");
	ck_assert_int_eq(j->attempts, 3);
	ck_assert_int_eq(j->sent_at, t);
	ck_assert_int_eq(script->submits, 3);
}
END_TEST

START_TEST(test_retry_after_floor)
{
	/* Longer than the backoff would be, then longer than its cap. */
	static const struct nullgw_answer v[] = { { GW_TEMPFAIL, 600 },
		{ GW_TEMPFAIL, 7200 }, { GW_TEMPFAIL, 2 }, { GW_OK, 0 } };
	const struct ob_job		 *j;
	const char			 *id;
	int64_t				  t = LOCAL_TIME(T_INV);

	dfx_open(ONE, 1);
	use_script(4, v);
	id = invitation_id("an", "email");
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 600);
	efx_step(t + 599);
	ck_assert_int_eq(script->submits, 1);
	t += 600;
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 7200);
	efx_step(t + 3601);
	ck_assert_int_eq(script->submits, 2);
	t += 7200;
	/* A Retry-After shorter than the backoff does not shorten it. */
	efx_step(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_ge(j->next_at, t + 2);
	ck_assert_int_le(j->next_at, t + backoff_ceiling(3));
	efx_step(j->next_at);
	ck_assert_str_eq(state_of(id), "sent");
	ck_assert_int_eq(script->submits, 4);
}
END_TEST

/* The rate limit: a file gateway with rate = "2/s" (a burst of 2). */
START_TEST(test_rate_limit)
{
	static const char *const rcpt[] = { "an", "binh", "chau", "dung",
		"em" };
	int64_t			 t = LOCAL_TIME(T_INV);
	const char		*ids[5];
	char			*path;
	int			 i, sent, waiting;

	file_gateway("2/s");
	dfx_open(FIVE, 0);
	for (i = 0; i < 5; i++)
		ids[i] = invitation_id(rcpt[i], "email");
	ck_assert_int_eq(count_in("pending"), 5);

	efx_step(t);
	sent = waiting = 0;
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(ids[i]);

		if (strcmp(ob_state(j), "sent") == 0) {
			sent++;
			path = xasprintf("%s/mailout/mail/%s.eml", efx.dir,
			    ids[i]);
			ck_assert_msg(file_exists(path), "%s", path);
			free(path);
			continue;
		}
		/* No token: never claimed, so not tried, not failed, and
		 * not rewritten either (no release to a later time). */
		ck_assert_str_eq(ob_state(j), "pending");
		ck_assert_int_eq(j->next_at, t);
		ck_assert_int_eq(j->attempts, 0);
		ck_assert_ptr_null(j->last_error);
		waiting++;
	}
	ck_assert_int_eq(sent, 2);
	ck_assert_int_eq(waiting, 3);
	/* The same moment again: no new tokens. */
	efx_step(t);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_next(efx.e), t + 1);

	efx_step(t + 1);
	ck_assert_int_eq(count_in("sent"), 4);
	efx_step(t + 2);
	ck_assert_int_eq(count_in("sent"), 5);
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(ids[i]);

		ck_assert_int_eq(j->attempts, 1);
		ck_assert_int_ge(j->sent_at, t);
		ck_assert_int_le(j->sent_at, t + 2);
	}
}
END_TEST

/* The bucket counts fractions of a second: with rate = "2/s", a token
 * comes every half second, and the wake is when it does. */
START_TEST(test_rate_subsecond)
{
	int64_t t = LOCAL_TIME(T_INV);

	file_gateway("2/s");
	dfx_open(FIVE, 0);
	ck_assert_int_eq(engine_step_at(efx.e, (double)t), 0);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert(engine_wake(efx.e) == (double)t + 0.5);
	ck_assert_int_eq(engine_step_at(efx.e, (double)t + 0.25), 0);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_step_at(efx.e, (double)t + 0.5), 0);
	ck_assert_int_eq(count_in("sent"), 3);
	ck_assert_int_eq(engine_step_at(efx.e, (double)t + 0.5), 0);
	ck_assert_int_eq(count_in("sent"), 3);
	ck_assert(engine_wake(efx.e) == (double)t + 1);
	ck_assert_int_eq(engine_step_at(efx.e, (double)t + 1.5), 0);
	ck_assert_int_eq(count_in("sent"), 5);
	/* Never claimed without a token: one try each. */
	ck_assert_int_eq(count_in("pending"), 0);
}
END_TEST

/* "N/min" is a rate a minute, as "N/m" is. */
START_TEST(test_rate_per_minute)
{
	int64_t t = LOCAL_TIME(T_INV);

	file_gateway("120/min");
	dfx_open(FIVE, 0);
	efx_step(t);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_next(efx.e), t + 1);
	efx_step(t + 1);
	ck_assert_int_eq(count_in("sent"), 4);
}
END_TEST

/*
 * A channel at its limit never delays another: with the SMS gateway
 * holding its one send and another SMS due, the email that comes due later
 * (a retry) is what the loop wakes for, and it goes while the SMS gateway
 * still holds its send.
 */
START_TEST(test_fair_limit)
{
	static const struct nullgw_answer v[] = { { GW_TEMPFAIL, 0 },
		{ GW_OK, 0 } };
	int64_t				  t = LOCAL_TIME(T_INV), retry;
	const char			 *mail, *sms[2];

	dfx_open("\"an\", \"giang\", \"huong\"", 1);
	use_script(2, v);
	nullgw_install(efx.e, CH_SMS, 1);
	mail = invitation_id("an", "email");
	sms[0] = invitation_id("giang", "sms");
	sms[1] = invitation_id("huong", "sms");
	efx_step(t);
	ck_assert_int_eq(nullgw[CH_SMS].nheld, 1);
	ck_assert_uint_eq(engine_inflight(efx.e), 1);
	ck_assert_int_eq(strcmp(state_of(sms[0]), "sending") == 0 ?
		strcmp(state_of(sms[1]), "pending") :
		strcmp(state_of(sms[1]), "sending"),
	    0);
	ck_assert_str_eq(state_of(mail), "failed");
	retry = job_get(mail)->next_at;
	ck_assert_int_gt(retry, t);
	/* The due SMS waits for its gateway's answer, not for a timer: the
	 * next wake is the email's retry. */
	ck_assert_int_eq(engine_next(efx.e), retry);
	ck_assert(engine_wake(efx.e) == (double)retry);
	efx_step(retry);
	ck_assert_str_eq(state_of(mail), "sent");
	ck_assert_int_eq(script->submits, 2);
	/* ... while the SMS gateway still holds its send, and the other
	 * SMS still waits for room. */
	ck_assert_int_eq(nullgw[CH_SMS].nheld, 1);
	ck_assert_uint_eq(engine_inflight(efx.e), 1);
	ck_assert_int_eq(count_in("sending"), 1);
	ck_assert_int_eq(count_in("pending"), 1);
	/* Nothing else is due: the loop waits for the SMS gateway. */
	ck_assert(engine_next(efx.e) == TIMEX_NONE);
}
END_TEST

/*
 * A Retry-After pauses the whole gateway: the jobs of its channel claimed
 * with the one that got it go back untried, none is claimed before the
 * pause ends, and the other channels are not held up.
 */
START_TEST(test_retry_after_pauses_gateway)
{
	static const struct nullgw_answer v[] = { { GW_TEMPFAIL, 600 },
		{ GW_OK, 0 } };
	static const char *const rcpt[] = { "an", "binh", "chau", "dung",
		"em" };
	int64_t			 t = LOCAL_TIME(T_INV);
	const char		*sms;
	int			 i, failed = 0, pending = 0;

	dfx_open(FIVE ", \"giang\"", 1);
	use_script(2, v);
	sms = invitation_id("giang", "sms");
	efx_step(t);
	ck_assert_int_eq(script->submits, 1);
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(
		    invitation_id(rcpt[i], "email"));

		if (strcmp(ob_state(j), "failed") == 0) {
			failed++;
			ck_assert_int_eq(j->next_at, t + 600);
			ck_assert_int_eq(j->attempts, 1);
			continue;
		}
		/* Untried, as it was, not failed. */
		ck_assert_str_eq(ob_state(j), "pending");
		ck_assert_int_eq(j->attempts, 0);
		ck_assert_int_eq(j->next_at, t);
		ck_assert_ptr_null(j->last_error);
		pending++;
	}
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(pending, 4);
	/* The SMS gateway is not the one that asked. */
	ck_assert_str_eq(state_of(sms), "sent");
	/* Due emails, and the gateway paused: the next wake is its end. */
	ck_assert_int_eq(engine_next(efx.e), t + 600);
	efx_step(t + 1);
	efx_step(t + 599);
	ck_assert_int_eq(script->submits, 1);
	ck_assert_int_eq(count_in("pending"), 4);
	efx_step(t + 600);
	ck_assert_int_eq(script->submits, 6);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(state_of(invitation_id(rcpt[i], "email")),
		    "sent");
}
END_TEST

/* A Retry-After of a day holds that job a day, but the gateway as a
 * whole only 15 minutes: the other jobs go then. */
START_TEST(test_retry_after_pause_capped)
{
	static const struct nullgw_answer v[] = { { GW_TEMPFAIL, 86400 },
		{ GW_OK, 0 } };
	int64_t				  t = LOCAL_TIME(T_INV);

	dfx_open(FIVE ", \"giang\"", 1);
	use_script(2, v);
	efx_step(t);
	ck_assert_int_eq(script->submits, 1);
	ck_assert_int_eq(count_in("failed"), 1);
	ck_assert_int_eq(engine_next(efx.e), t + 900);
	efx_step(t + 899);
	ck_assert_int_eq(script->submits, 1);
	efx_step(t + 900);
	ck_assert_int_eq(script->submits, 5);
	ck_assert_int_eq(count_in("failed"), 1);
}
END_TEST

int
main(void)
{
	TU_CASE("retry", dfx_setup, dfx_teardown, 60,
	    test_tempfail_dead_after_12, test_tempfail_dead_after_24h,
	    test_permfail_dead_at_once, test_permfail_peer_bytes,
	    test_tempfail_then_ok, test_retry_after_floor);
	TU_CASE("rate", dfx_setup, dfx_teardown, 60, test_rate_limit,
	    test_rate_subsecond, test_rate_per_minute, test_fair_limit,
	    test_retry_after_pauses_gateway, test_retry_after_pause_capped);
	return tu_run("delivery-retry");
}
