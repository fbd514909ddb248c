/*
 * sched.h: the engine's send path (sched.c): expire what is too late,
 * claim what is due, hand it to the gateways and record their answers;
 * and when the next job can go. It builds on the engine's core
 * (engine_int.h) and calls neither reconciliation nor the service loop.
 */
#ifndef LOA_SCHED_H
#define LOA_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "deliver/engine_core.h"

/* The most descriptors the loop waits on: the signal pipe and every
 * gateway's sockets (a gateway's concurrency is at most 1,000, and its
 * pollfds fills no more than it is given). */
#define ENGINE_MAXFDS 1024

/* Expire what is too late, send what is due at now, record the outcomes.
 * Returns 0, or -1 when the outbox fails (logged). */
int	engine_step(struct engine *, int64_t now);
/* The same at fnow, a time with its fraction: the service's clock (the
 * rate's tokens and Retry-After pauses count fractions). */
int	engine_step_at(struct engine *, double fnow);
/* Sends handed to gateways and not answered yet. */
size_t	engine_inflight(const struct engine *);
/* Wait up to wait_ms for the gateways' answers to what they hold, recording
 * them; what is still unanswered goes back to pending (sent again later
 * with the same id). 0, or -1 when the outbox fails. */
int	engine_land(struct engine *, int64_t now, int wait_ms);
/* run --once: what is due at now, all of it, then land; 0 or -1. */
int	engine_once(struct engine *, int64_t now);
/* The earliest time a job can go (its time, its channel's Retry-After
 * pause and rate), rounded up to a second, or TIMEX_NONE. A channel at its
 * concurrency limit waits for its gateway's answers instead. */
int64_t engine_next(struct engine *);
/* The same with its fraction; INFINITY when none. */
double	engine_wake(struct engine *);
/* The descriptors and timeout (ms, -1: none) the gateways holding sends
 * wait on, written after pfd[0..n) up to max; returns the new count. */
struct pollfd;
int
engine_pollfds(struct engine *, struct pollfd *, int n, int max, int *timeout);
/*
 * Expire what is too late at the second at, ahead of it, when nothing is
 * in flight: the service does it before it sleeps to a due instant, so
 * that the step at that instant hands its first job at once. A job made
 * due since (a reload, a retry) has it looked at again. 0 or -1.
 */
int engine_expire_ahead(struct engine *, int64_t at);
/*
 * Start the gateways world nw configures, land what the running ones hold
 * (answered, or put back to go again through the new ones), and put the
 * new ones in their place: a reload's. 0, or -1 with the reason and the
 * running gateways kept.
 */
int engine_regateway(struct engine *, const struct world *nw, int64_t now,
    char *err, size_t errlen);

#endif
