/*
 * engine.h: the delivery engine (SPEC §6) over one outbox: reconciliation
 * of the plans with the outbox (reconcile.c), the send path that hands due
 * jobs to gateways and records their answers (sched.c), and the service
 * loop with its signals (daemon.c). The rules it follows (retries,
 * lateness, rate limits) are the pure functions of policy.h.
 */
#ifndef LOA_ENGINE_H
#define LOA_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "deliver/policy.h"
#include "jobs/world.h"
#include "loa.h"

struct engine;

struct live;

struct engine_opts {
	const char  *config; /* path, for reloads */
	const char  *files;  /* simulate: every gateway writes here */
	int	     dry_run;
	FILE	    *trace; /* each send is printed here, or NULL */
	/* The HTTP API's view of the service (live.h), or NULL. */
	struct live *live;
};

/* What reconciliation did. */
struct reconcile_stats {
	int added;
	int moved;
	int cancelled;
	int updates; /* update jobs made */
	int cancels; /* cancel jobs made */
	int alerts;  /* CAP Update and Cancel jobs made */
};

/* Sends by kind and channel, and how jobs ended, for summaries. */
struct engine_stats {
	int sent[JK__N][CH__N];
	int failed;
	int dead;
	int expired;
};

/*
 * An engine over world w (taken: freed by engine_free) and the outbox at
 * store. Returns NULL with err set (a gateway loa cannot drive, an outbox
 * it cannot open).
 */
struct engine *engine_new(struct world *w, const char *store,
    const struct engine_opts *, char *err, size_t errlen);
void	       engine_free(struct engine *);

int    engine_reconcile(struct engine *, int64_t now, struct reconcile_stats *);
/* Expire what is too late, send what is due at now, record the outcomes.
 * Returns 0, or -1 when the outbox fails (logged). */
int    engine_step(struct engine *, int64_t now);
/* The same at fnow, a time with its fraction: the service's clock (the
 * rate's tokens and Retry-After pauses count fractions). */
int    engine_step_at(struct engine *, double fnow);
/* Sends handed to gateways and not answered yet. */
size_t engine_inflight(const struct engine *);
/* Wait up to wait_ms for the gateways' answers to what they hold, recording
 * them; what is still unanswered goes back to pending (sent again later
 * with the same id). 0, or -1 when the outbox fails. */
int    engine_land(struct engine *, int64_t now, int wait_ms);
/* run --once: what is due at now, all of it, then land; 0 or -1. */
int    engine_once(struct engine *, int64_t now);
/* Put backend b (with at most concurrency sends in flight, 0: no limit)
 * on channel ch: for tests and embedders. */
struct gw_backend;
int engine_set_gateway(struct engine *, enum channel, const struct gw_backend *,
    int concurrency, char *err, size_t errlen);
/* The earliest time a job can go (its time, its channel's Retry-After
 * pause and rate), rounded up to a second, or TIMEX_NONE. A channel at its
 * concurrency limit waits for its gateway's answers instead. */
int64_t engine_next(struct engine *);
/* The same with its fraction; INFINITY when none. */
double	engine_wake(struct engine *);
/* The service: until SIGTERM or SIGINT; with once, one step. The clock is
 * the real one plus offset seconds. Returns an exit code. */
int	engine_run(struct engine *, int once, int64_t offset);
/*
 * Install the handlers of SIGHUP, SIGTERM and SIGINT (once; `loa run`
 * does it first thing). While loading (nothing touched yet) SIGTERM and
 * SIGINT exit 0 at once; engine_signals(0) ends that. engine_run calls it
 * too. 0, or -1 (logged).
 */
int	engine_signals(int loading);
/* Ask the service loop to reload as SIGHUP does (the HTTP API, after a
 * task is marked done): safe from any thread. */
void	engine_request_reload(void);
/* Whether SIGTERM or SIGINT came: reconciliation rolls back, a step
 * claims no more. */
int	engine_stopping(void);
/* The same, or a SIGHUP the service loop will act on: a step returns
 * after the batch in hand. */
int	engine_interrupted(void);
/* Print what is due at now and would be sent, changing nothing. */
int	engine_dry_run(struct engine *, int64_t now, FILE *);
const struct engine_stats *engine_stats(const struct engine *);
struct outbox		  *engine_outbox(struct engine *);

#endif
