/*
 * engine_sig.h: the signals the engine answers (SIGHUP, SIGTERM, SIGINT)
 * and the flags their handler sets, which the whole engine reads: the
 * service loop (daemon.c) sleeps on their pipe and reloads or stops,
 * reconciliation gives way to SIGTERM, a step claims no more after
 * either. Part of the engine's core: it calls nothing of the engine.
 */
#ifndef LOA_ENGINE_SIG_H
#define LOA_ENGINE_SIG_H

/*
 * Install the handlers of SIGHUP, SIGTERM and SIGINT (once; `loa run`
 * does it first thing). While loading (nothing touched yet) SIGTERM and
 * SIGINT exit 0 at once; engine_signals(0) ends that. engine_run calls it
 * too. 0, or -1 (logged).
 */
int  engine_signals(int loading);
/* Ask the service loop to reload as SIGHUP does (the HTTP API, after a
 * task is marked done): safe from any thread. */
void engine_request_reload(void);
/* Whether SIGTERM or SIGINT came: reconciliation rolls back, a step
 * claims no more. */
int  engine_stopping(void);
/* The same, or a SIGHUP the service loop will act on: a step returns
 * after the batch in hand. */
int  engine_interrupted(void);

/* For the service loop (daemon.c). */

/* The descriptor that is readable once a signal came (-1 before
 * engine_signals), and emptying it. */
int  engine_sig_fd(void);
void engine_sig_drain(void);
/* Take the reload asked for: 0 none, 1 a SIGHUP, 2 the HTTP API's. */
int  engine_sig_reload(void);
/* While on, SIGTERM and SIGINT exit 0 at once (nothing to lose). */
void engine_sig_loading(int on);
/* While on, a SIGHUP interrupts a step (the loop will reload). */
void engine_sig_serving(int on);

#endif
