/*
 * engine.h: the delivery engine (conf/REFERENCE.md §6) over one outbox, as the
 * rest of loa uses it: its core (engine_core.h: the engine, its gateways and
 * counters; engine_sig.h: the signals), reconciliation of the plans with
 * the outbox (reconcile.h), the send path that hands due jobs to gateways
 * and records their answers (sched.h), and the service loop (daemon.h).
 * The rules it follows (retries, lateness, rate limits) are the pure
 * functions of policy.h. No file of deliver/ includes this one.
 */
#ifndef LOA_ENGINE_H
#define LOA_ENGINE_H

#include "deliver/daemon.h"
#include "deliver/engine_core.h"
#include "deliver/engine_sig.h"
#include "deliver/policy.h"
#include "deliver/reconcile.h"
#include "deliver/sched.h"

#endif
