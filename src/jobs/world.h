/*
 * world.h: everything loaded from one service config: the service, its
 * plans, resolved, and their jobs, expanded, placed and sorted.
 */
#ifndef LOA_WORLD_H
#define LOA_WORLD_H

#include "jobs/slots.h"
#include "plan/adhoc.h"
#include "plan/service.h"
#include "util/diag.h"
#include "loa.h"

struct world {
	const struct speech_hook *speech; /* as loaded with, or NULL */
	struct service		 *svc;
	struct plan		**plans;
	size_t			  nplans;
	struct jobs		  jobs;
};

/*
 * Load the service config at path and its plans, resolve them at now,
 * expand and place them. Returns 0, or -1 when anything failed to validate
 * (all of it reported to d); w must be freed with world_free either way.
 * Nothing is written: without speech (sp NULL) each broadcast's length is
 * the words_per_minute estimate; with sp (plan/service.h) the speech
 * settings are checked by sp->install and the lengths measured by
 * sp->durations, when they are not NULL. world_queue speaks through the
 * same sp.
 */
int  world_load_speech(struct world *w, const char *path, int64_t now,
     const struct speech_hook *sp, struct diag *d);
/* world_load_speech without speech. */
int  world_load(struct world *w, const char *path, int64_t now, struct diag *d);
void world_free(struct world *w);

/*
 * What the outbox knows of the loudspeaker and the plans do not, read by
 * world_load's callers (jobs/ reads no outbox): the ad-hoc items, the
 * items cancelled (plan and item id), and the airings whose place is
 * settled (slots.h).
 */
struct world_cancel {
	const char *plan;
	const char *item;
};

struct world_queue {
	const struct adhoc_item	  *adhoc;
	size_t			   nadhoc;
	const struct world_cancel *cancelled;
	size_t			   ncancelled;
	const struct slots_fixed  *fixed;
	size_t			   nfixed;
};

/*
 * Bring the queue q into loaded world w: the ad-hoc items become the
 * broadcasts of plan ADHOC_PLAN (adhoc.h; the one of an earlier call is
 * replaced), the cancelled items no longer expand, and the broadcasts are
 * placed again around the settled airings (slots_replan) and the jobs
 * sorted. Warnings go to d. Can't fail.
 */
void world_queue(struct world *w, const struct world_queue *q, struct diag *d);

/* The plan with id, or NULL. */
struct plan *world_plan(const struct world *w, const char *id);

/* How many of w's plans are plan files (the ad-hoc plan is not one). */
size_t world_plan_files(const struct world *w);

#endif
