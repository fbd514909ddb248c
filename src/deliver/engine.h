/*
 * engine.h: the scheduler (SPEC §6): reconciliation of the plans with the
 * outbox, the loop that hands due jobs to gateways, retries, lateness,
 * quiet hours and rate limits.
 */
#ifndef LOA_ENGINE_H
#define LOA_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "loa.h"
#include "jobs/world.h"

struct engine;

struct engine_opts {
	const char	*config;	/* path, for reloads */
	const char	*files;		/* simulate: every gateway writes here */
	int		 dry_run;
	FILE		*trace;		/* each send is printed here, or NULL */
};

/* What reconciliation did. */
struct reconcile_stats {
	int	 added;
	int	 moved;
	int	 cancelled;
	int	 updates;	/* update jobs made */
	int	 cancels;	/* cancel jobs made */
};

/* Sends by kind and channel, and how jobs ended, for summaries. */
struct engine_stats {
	int	 sent[JK__N][CH__N];
	int	 failed;
	int	 dead;
	int	 expired;
};

/*
 * An engine over world w (taken: freed by engine_free) and the outbox at
 * store. Returns NULL with err set (a gateway loa cannot drive, an outbox
 * it cannot open).
 */
struct engine	*engine_new(struct world *w, const char *store,
		    const struct engine_opts *, char *err, size_t errlen);
void		 engine_free(struct engine *);

int	engine_reconcile(struct engine *, int64_t now,
	    struct reconcile_stats *);
/* Expire what is too late, send what is due at now, record the outcomes.
 * Returns 0, or -1 when the outbox fails (logged). */
int	engine_step(struct engine *, int64_t now);
/* Sends handed to gateways and not answered yet. */
size_t	engine_inflight(const struct engine *);
/* Wait up to wait_ms for the gateways' answers to what they hold, recording
 * them; what is still unanswered goes back to pending (sent again later
 * with the same id). 0, or -1 when the outbox fails. */
int	engine_land(struct engine *, int64_t now, int wait_ms);
/* Put backend b (with at most concurrency sends in flight, 0: no limit)
 * on channel ch: for tests and embedders. */
struct gw_backend;
int	engine_set_gateway(struct engine *, enum channel,
	    const struct gw_backend *, int concurrency, char *err,
	    size_t errlen);
/* The earliest time a job can go, or TIMEX_NONE. */
int64_t	engine_next(struct engine *);
/* The service: until SIGTERM or SIGINT; with once, one step. The clock is
 * the real one plus offset seconds. Returns an exit code. */
int	engine_run(struct engine *, int once, int64_t offset);
/* Print what is due at now and would be sent, changing nothing. */
int	engine_dry_run(struct engine *, int64_t now, FILE *);
const struct engine_stats *engine_stats(const struct engine *);
struct outbox	*engine_outbox(struct engine *);

/*
 * The delay before retry number attempt (1 for the first retry): full
 * jitter over an exponential backoff from 30 s, capped at 1 h; r is a
 * uniform random number in [0, 1). A Retry-After the gateway gave is a
 * floor. Pure.
 */
int64_t	retry_delay(int attempt, double r, int64_t retry_after);

/* Give up after this many attempts or this long since the first. */
#define RETRY_MAX_ATTEMPTS	12
#define RETRY_MAX_AGE		(24 * 3600)

/* A token bucket: rate tokens a second, at most burst saved. */
struct bucket {
	double	 rate;		/* 0: unlimited */
	double	 burst;
	double	 tokens;
	double	 last;		/* seconds */
};

void	bucket_init(struct bucket *, double rate, double burst);
/* Take a token at now: 0, or the seconds to wait for one. Pure. */
double	bucket_take(struct bucket *, double now);

#endif
