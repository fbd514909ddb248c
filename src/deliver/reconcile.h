/*
 * reconcile.h: the plans against the outbox (reconcile.c), at start and
 * on every reload. It builds on the engine's core (engine_int.h) and
 * calls neither the send path nor the service loop.
 */
#ifndef LOA_RECONCILE_H
#define LOA_RECONCILE_H

#include <stdint.h>
#include <stdio.h>

#include "deliver/engine_core.h"

/* What reconciliation did. */
struct reconcile_stats {
	int added;
	int moved;
	int cancelled;
	int updates; /* update jobs made */
	int cancels; /* cancel jobs made */
	int alerts;  /* CAP Update and Cancel jobs made */
};

/* Reconcile in a transaction of its own; 0, or -1 (logged) with nothing
 * changed: the outbox failed, or a SIGTERM came (e's stopped is set). */
int engine_reconcile(struct engine *, int64_t now, struct reconcile_stats *);
/* Print what is due at now and would be sent, changing nothing. */
int engine_dry_run(struct engine *, int64_t now, FILE *);

#endif
