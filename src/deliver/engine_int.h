/*
 * engine_int.h: the engine's state, shared by the files of deliver/ that
 * make up the engine (sched.c: the send path; reconcile.c: plans against
 * the outbox; daemon.c: the service loop). Nothing outside deliver/
 * includes it.
 */
#ifndef LOA_ENGINE_INT_H
#define LOA_ENGINE_INT_H

#include "deliver/engine.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "deliver/policy.h"
#include "gw/gw.h"
#include "util/strmap.h"

/* The most descriptors the loop waits on: the signal pipe and every
 * gateway's sockets (a gateway's concurrency is at most 1,000, and its
 * pollfds fills no more than it is given). */
#define ENGINE_MAXFDS 1024

/* A claimed job on its way through a gateway. */
struct sendctx {
	struct ob_job	 job;
	struct gw_answer ans;
	int		 skip;	   /* released or finished already */
	int		 release;  /* not handed: back to pending, untried */
	double		 t_submit; /* monotonic, for its duration */
};

/* Sends a gateway took (GW_INFLIGHT) and has not answered yet. */
struct flight {
	struct sendctx *v;
	size_t		n, cap;
};

struct engine {
	struct world	   *w;
	char		   *base; /* the store's folder */
	struct outbox	   *ob;
	struct engine_opts  o;
	struct gw	    gw[CH__N];
	struct bucket	    bucket[CH__N];
	int		    limit[CH__N]; /* concurrency; 0: none */
	struct flight	    fly[CH__N];
	struct flight	    landed; /* answered through poll, not recorded */
	struct flight	    batch; /* answered, to record with the next claim */
	struct ob_job	   *claimv; /* the last claim's jobs */
	size_t		    claimcap;
	double		    fnow; /* the step's now, with its fraction */
	double		    pause[CH__N]; /* Retry-After: no claims before */
	int64_t		    expired_at;	  /* the second expiry last ran */
	int		    stopped; /* a reconciliation gave way to SIGTERM */
	struct engine_stats st;
	unsigned int	    seed;

	/*
	 * What the outbox knows and the plan does not, kept here and not
	 * written into struct plan: events gone from their plan after their
	 * invitations went out (rebuilt from the outbox, for their
	 * cancellations), keyed "plan\x1fevent"; and tasks marked done, keyed
	 * the same way. Both are rebuilt by every reconciliation.
	 */
	struct arena *facts;
	struct strmap ghosts;	  /* -> struct named (N_EVENT) */
	struct strmap done;	  /* -> the task */
	int	      feed_dirty; /* an event's SEQUENCE went out */
	int64_t	      published;  /* when the API's snapshot was made */
};

/* The key of an object of plan p in the engine's maps (arena-owned). */
const char *engine_key(struct engine *, const struct plan *, const char *id);
/* The object id names in plan p: the plan's own, else a ghost event the
 * engine rebuilt from the outbox. NULL when there is neither. */
const struct named	*
engine_object(struct engine *, const struct plan *, const char *id);
/* Forget the facts of the last reconciliation. Can't fail. */
void engine_facts_reset(struct engine *);
/*
 * Start the gateways world nw configures, land what the running ones hold
 * (answered, or put back to go again through the new ones), and put the
 * new ones in their place: a reload's. 0, or -1 with the reason and the
 * running gateways kept (sched.c).
 */
int  engine_regateway(struct engine *, const struct world *nw, int64_t now,
     char *err, size_t errlen);
/* Reconcile inside a transaction the caller holds (reconcile.c). */
int  reconcile_inner(struct engine *, int64_t now, struct reconcile_stats *);
/*
 * The event of a cancellation as announced to its recipient: when payload
 * (the cancel job's: why, a newline, the fingerprint announced before) has
 * a fingerprint, *ev is n's event with that time, place and title and *out
 * names it; 1, with *mem for the caller to free. Else 0 (reconcile.c).
 */
int  reconcile_announced(const struct named *n, const char *payload,
     struct event *ev, struct named *out, char **mem);
/* Record an invitation or update that went out, for later updates
 * (reconcile.c); inside the caller's transaction. */
int
reconcile_note_invited(struct engine *, struct plan *, const struct ob_job *);
/* Record an emergency's CAP alert that went out (the broadcast job j):
 * its reference, and what its item said when it was the first
 * (reconcile.c); inside the caller's transaction. */
int reconcile_note_alert(struct engine *, struct plan *, const struct ob_job *);
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
int  engine_expire_ahead(struct engine *, int64_t at);
/* Print one send to the trace, when there is one. */
void engine_trace(struct engine *, const struct ob_job *, const char *what,
    const char *detail);

#endif
