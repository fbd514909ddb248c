/*
 * bqueue.h: the loudspeaker's queue over one outbox (conf/REFERENCE.md §7):
 * ad-hoc items, cancellations, airings recorded aired, and the running order
 * and the list of items as data. `loa broadcast` is a thin face on it, and so
 * can another front end be (an HTTP API).
 *
 * Functions that take input return 0, BQ_INVALID with the reason in err
 * (bad input: nothing was changed), BQ_NOTFOUND (the same, for an item or
 * airing that is not there), or -1 when the outbox fails (its error in
 * err).
 */
#ifndef LOA_BQUEUE_H
#define LOA_BQUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "deliver/outbox.h"
#include "jobs/world.h"
#include "loa.h"
#include "util/strmap.h"

#define BQ_INVALID  1
#define BQ_NOTFOUND 2

/* What the outbox holds of the queue, as world_queue wants it. */
struct bq_state {
	struct ob_adhoc	    *rows;
	size_t		     nrows;
	struct adhoc_item   *items;
	struct ob_bcancel   *cancels;
	size_t		     ncancels;
	struct world_cancel *wc;
	struct ob_airing    *airings; /* by due, then id */
	size_t		     nairings;
	struct slots_fixed  *fixed;
	size_t		     nfixed;
	struct strmap	     byid; /* job id -> struct ob_airing */
};

/*
 * Read the queue from ob at now into *st and bring it into world w
 * (world_queue): the ad-hoc items, the cancelled items, and every airing
 * handed, aired or due placed where it is. st NULL: not kept; ob NULL:
 * no outbox yet (an empty queue). 0 or -1.
 */
int  bqueue_apply(struct outbox *ob, struct world *w, int64_t now,
     struct bq_state *st, char *err, size_t errlen);
void bq_state_free(struct bq_state *);

/* A new ad-hoc item. priority NULL: normal; air TIMEX_NONE (or past):
 * now; expires TIMEX_NONE: none. */
struct bq_new {
	const char *title;
	const char *text;
	const char *priority;
	int64_t	    air;
	int64_t	    expires;
};

/* Add one: its id into *id (caller frees). Inside no transaction: it
 * commits its own. */
int bqueue_add(struct outbox *ob, const struct service *svc,
    const struct bq_new *in, int64_t now, char **id, char *err, size_t errlen);

/*
 * Cancel item ref ("[PLAN:]ID", of a plan of w or the ad-hoc plan; w
 * brought up to date by bqueue_apply): its unsent airings (*njobs) are
 * cancelled and stay so. *plan gets its plan's id (w's). Commits.
 */
int bqueue_cancel(struct outbox *ob, struct world *w, const char *ref,
    int64_t now, const char **plan, int *njobs, char *err, size_t errlen);

/*
 * Record an airing aired at at (<= now): ref is its job id, or an item
 * ("[PLAN:]ID") with exactly one airing handed and not yet aired. Its id
 * into job. Commits.
 */
int bqueue_aired(struct outbox *ob, struct world *w, const struct bq_state *st,
    const char *ref, int64_t at, int64_t now, char job[17], char *err,
    size_t errlen);

/*
 * One airing as the announcer sees it. Strings are borrowed from the world
 * and the state it was made from. state: the outbox's names, with
 * "aired" for delivered; an airing the outbox does not hold yet has the
 * plan's (pending, held, skipped).
 */
struct bq_entry {
	const char   *job;
	const char   *plan;
	const char   *item;
	const char   *title; /* NULL: the item is gone from its plan */
	enum priority priority;
	int64_t	      air;     /* asked for, TIMEX_NONE: unknown */
	int64_t	      planned; /* its planned start (or air time) */
	int	      duration;
	const char   *slot;
	const char   *state;
	int	      on_air;
	int64_t	      sent_at;	/* TIMEX_NONE: not handed */
	int64_t	      aired_at; /* TIMEX_NONE: not recorded */
	const char   *reason;
	const char   *why; /* unplaced: why (arena of the rundown) */
};

struct bq_slot {
	const char	*name;
	int64_t		 start, end;
	struct bq_entry *v;
	size_t		 n;
};

/* The running order of one local day. */
struct bq_rundown {
	int64_t		 day; /* civil day number */
	struct bq_slot	*slots;
	size_t		 nslots;
	struct bq_entry *emergencies;
	size_t		 nemergencies;
	struct bq_entry *unplaced; /* skipped, or moved to a later day */
	size_t		 nunplaced;
	struct arena	*arena;
};

void bqueue_rundown(const struct world *w, const struct bq_state *st,
    int64_t day, int64_t now, struct bq_rundown *r);
void bq_rundown_free(struct bq_rundown *);

/* Every item, plan and ad-hoc, with its airings. */
struct bq_item {
	const struct plan      *plan;
	const struct broadcast *b;
	struct bq_entry	       *v;
	size_t			n;
};

void bqueue_list(const struct world *w, const struct bq_state *st, int64_t now,
    struct bq_item **v, size_t *n);
void bq_items_free(struct bq_item *, size_t n);

/*
 * A service holding the store's lock (outbox_lock) gets SIGHUP, so that it
 * plans again at once. Its pid into *pid (0: none running). 0, or -1
 * with the reason in err.
 */
int bqueue_notify(const char *store, long *pid, char *err, size_t errlen);

#endif
