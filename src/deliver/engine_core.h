/*
 * engine_core.h: the delivery engine's core, as its users see it: the
 * engine over one outbox (its creation, its options and counters, its
 * gateways). The send path (sched.h), reconciliation (reconcile.h) and
 * the service loop (daemon.h) build on it; it calls none of them.
 */
#ifndef LOA_ENGINE_CORE_H
#define LOA_ENGINE_CORE_H

#include <stddef.h>
#include <stdio.h>

#include "jobs/world.h"
#include "loa.h"

struct engine;
struct gw_backend;
struct live;
struct outbox;

struct engine_opts {
	const char  *config; /* path, for reloads */
	const char  *files;  /* simulate: every gateway writes here */
	int	     dry_run;
	FILE	    *trace; /* each send is printed here, or NULL */
	/* The HTTP API's view of the service (live.h), or NULL. */
	struct live *live;
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
/* Put backend b (with at most concurrency sends in flight, 0: no limit)
 * on channel ch: for tests and embedders. Not while ch has sends in
 * flight; 0, or -1 with the reason. */
int engine_set_gateway(struct engine *, enum channel, const struct gw_backend *,
    int concurrency, char *err, size_t errlen);
const struct engine_stats *engine_stats(const struct engine *);
struct outbox		  *engine_outbox(struct engine *);

#endif
