/*
 * daemon.h: `loa run`'s service loop (daemon.c), on top of the engine:
 * reconciliation, the send path and the signals.
 */
#ifndef LOA_DAEMON_H
#define LOA_DAEMON_H

#include <stdint.h>

#include "deliver/engine_core.h"

/* The service: until SIGTERM or SIGINT; with once, one step. The clock is
 * the real one plus offset seconds. Returns an exit code. */
int engine_run(struct engine *, int once, int64_t offset);

#endif
