/*
 * policy.h: the delivery rules of conf/REFERENCE.md §6 as pure functions: what
 * happens to a job after a gateway's answer, how long a retry waits, when an
 * unsent job is too late, which changes reconciliation may make to a stored
 * job, and the token bucket of a gateway's rate. Nothing here reads a clock,
 * the outbox or a file: the time is an argument.
 */
#ifndef LOA_POLICY_H
#define LOA_POLICY_H

#include <stdint.h>

#include "loa.h"

/* Give up after this many attempts or this long since the first. */
#define RETRY_MAX_ATTEMPTS 12
#define RETRY_MAX_AGE	   (24 * 3600)

/* What an answer does to a claimed job. */
enum policy_outcome {
	PO_SENT,  /* recorded sent */
	PO_RETRY, /* failed: tried again at a later time */
	PO_DEAD	  /* dead: no more tries */
};

/*
 * The outcome of an answer to attempt number attempts (counting this one)
 * of a job first tried at first_at, answered at now. ok: the gateway took
 * it; temporary: a temporary failure (else permanent). Pure, can't fail.
 */
enum policy_outcome policy_outcome(int ok, int temporary, int attempts,
    int64_t first_at, int64_t now);

/*
 * The delay before retry number attempt (1 for the first retry): full
 * jitter over an exponential backoff from 30 s, capped at 1 h; r is a
 * uniform random number in [0, 1). A Retry-After the gateway gave is a
 * floor. Pure.
 */
int64_t retry_delay(int attempt, double r, int64_t retry_after);

/*
 * When an unsent job of kind k, due at due about a moment refers
 * (TIMEX_NONE: none), stops being worth sending (conf/REFERENCE.md §6
 * lateness): invitations, updates and reminders at their moment; distribution,
 * overdue notices and cancellations a day after due; broadcasts at their
 * expiry, else an hour after their planned time (a broadcast's SMS, on
 * channel ch sms, a day after). TIMEX_NONE: never. Pure.
 */
int64_t
policy_expires(enum job_kind k, enum channel ch, int64_t due, int64_t refers);
/* Why a job of kind k expired, in the words `loa outbox` shows. */
const char *policy_expired_reason(enum job_kind k, int64_t refers, int64_t now);
/* Whether of several reminders of kind k due at once only the latest
 * goes (the earlier are expired). */
int	    policy_collapses(enum job_kind k);

/*
 * Reconciliation of one stored job with what the plan now derives.
 * Unsent states (held, pending, failed) take the plan's new time, address
 * and state; a finished job stays finished, except an expired one the
 * plan moves to a new time, and a cancelled or skipped one (a broadcast
 * that found no slot, an address missing) the plan derives again; a
 * failed job whose time did not move keeps its own retry schedule.
 * Returns 1 when the stored job is to take the new values. Pure.
 */
int policy_rederive(enum job_state stored, int64_t stored_due,
    enum job_state derived, int64_t derived_due);

/* A state a job can still be sent from (held waits for its date). */
int policy_unsent(enum job_state s);

/* A token bucket: rate tokens a second, at most burst saved. */
struct bucket {
	double rate; /* 0: unlimited */
	double burst;
	double tokens;
	double last; /* seconds */
};

void   bucket_init(struct bucket *, double rate, double burst);
/* Take a token at now: 0, or the seconds to wait for one. Pure. */
double bucket_take(struct bucket *, double now);
/* How many tokens could be taken at now, at most max (max when the rate
 * is unlimited); nothing is taken. Pure. */
int    bucket_room(const struct bucket *, double now, int max);
/* The seconds from now until a token is there (0: one is). Pure. */
double bucket_wait(const struct bucket *, double now);

#endif
