/*
 * engine_int.h: the engine's state and its core's internal functions,
 * shared by the files of deliver/ that make up the engine. The core
 * (engine_core.c, engine_facts.c, engine_sig.c) owns it; the send path
 * (sched.c) and reconciliation (reconcile.c) build on the core, the
 * service loop (daemon.c) on both: calls go that way only (scripts/lint
 * checks the includes). Nothing outside deliver/ includes it.
 */
#ifndef LOA_ENGINE_INT_H
#define LOA_ENGINE_INT_H

#include "deliver/engine_core.h"
#include "deliver/engine_sig.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "deliver/policy.h"
#include "gw/gw.h"
#include "util/strmap.h"

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
 * Start the gateway of channel ch as world w configures it into *gw, with
 * its rate into *b and its concurrency into *lim (0: none). base is the
 * store's folder (the embedded default's). 0, or -1 with the reason and
 * *gw empty. On 0, gw->backend is set.
 */
int  engine_gw_open(const struct world *w, const struct engine_opts *o,
     const char *base, int ch, struct gw *gw, struct bucket *b, int *lim,
     char *err, size_t errlen);
/* Tell the HTTP API's view which gateway each channel has now. */
void engine_live_gateways(struct engine *);
/* Append a copy of c to f (the job moves with it); free f's jobs and
 * vector, leaving it empty. */
void engine_flight_push(struct flight *f, const struct sendctx *c);
void engine_flight_free(struct flight *f);
/* Print one send to the trace, when there is one. */
void engine_trace(struct engine *, const struct ob_job *, const char *what,
    const char *detail);
/*
 * Tell the jobs of t that will not go, a line a group (late_group_text):
 * to f as "would expire: ..." (the dry run), or when f is NULL to the log
 * as "expired: ..." (the service: warnings, so that a plan loaded too late
 * is never silent).
 */
void engine_late_report(struct engine *, const struct late_tally *t, FILE *f);
/* The same for one job expired for reason. */
void engine_late_job(struct engine *, const struct ob_job *, const char *reason,
    FILE *f);

#endif
