/*
 * policy.h: the delivery rules of conf/REFERENCE.md §6 as pure functions: what
 * happens to a job after a gateway's answer, how long a retry waits, when an
 * unsent job is too late, which changes reconciliation may make to a stored
 * job, and the token bucket of a gateway's rate. Nothing here reads a clock,
 * the outbox or a file: the time is an argument.
 */
#ifndef LOA_POLICY_H
#define LOA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "loa.h"
#include "util/timex.h"

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

/* The reason a reminder gets when a later one of it is due too. */
#define POLICY_COLLAPSED "a later reminder of it is due too"
/* A reminder collapses into rival one (both due by now, same thing,
 * recipient and channel): the earlier, or of two due at the same
 * second (quiet hours moved both onto it), the one of the lower ordinal.
 * Pure. */
int policy_collapses_into(int64_t due, int ordinal, int64_t rival_due,
    int rival_ordinal);

/*
 * Quiet hours at send time for a job due by now: now when it may go
 * (email, a broadcast airing, an emergency's SMS, or an SMS outside
 * them), a later time it waits for, or an earlier one (its moment would
 * pass first: it expires). Pure.
 */
int64_t policy_quiet(const struct calendar *, const struct quiet *,
    enum job_kind, enum channel, int priority, int64_t now, int64_t refers);
/* The reason of a job expired so. */
#define POLICY_QUIET_EXPIRED "quiet hours until its moment passed"

/*
 * Jobs that will not go, told as one line a group (plan, kind, object,
 * reason) with a count and the first few recipients rather than a line a
 * job: for `check`, the service's log and the dry run.
 */
#define LATE_NAMES 3
struct late_group {
	char	     *plan, *object, *reason;
	enum job_kind kind;
	unsigned      channels; /* CHM() of each channel seen */
	int64_t	      due;	/* the earliest */
	int64_t	      refers;
	size_t	      n;
	char	     *who[LATE_NAMES]; /* the first few, each once */
	int	      nwho;
	int	      more; /* others than these */
};
struct late_tally {
	struct late_group *v;
	size_t		   n, cap;
};
/* Count one job (who: its recipient, NULL for an airing) in t. */
void  late_tally_add(struct late_tally *t, const char *plan, enum job_kind,
     const char *object, enum channel, const char *who, const char *reason,
     int64_t due, int64_t refers);
/*
 * Group g in words, due times in zone z: how many jobs, whose, why, the
 * lateness rule of its kind and what to change in the plan to send them
 * anyway (or that nothing can). A new string.
 */
char *late_group_text(const struct late_group *g, const struct tz *z);
void  late_tally_free(struct late_tally *t);

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
