/*
 * world.h: everything loaded from one service config: the service, its
 * plans, resolved, and their jobs, expanded, placed and sorted.
 */
#ifndef LOA_WORLD_H
#define LOA_WORLD_H

#include "plan/cfg.h"
#include "loa.h"

struct world {
	struct service *svc;
	struct plan   **plans;
	size_t		nplans;
	struct jobs	jobs;
};

/*
 * Load the service config at path and its plans, resolve them at now and
 * expand them. Returns 0, or -1 when anything failed to validate (all of it
 * reported to d); w must be freed with world_free either way.
 */
int  world_load(struct world *w, const char *path, int64_t now, struct diag *d);
void world_free(struct world *w);

/* The plan with id, or NULL. */
struct plan *world_plan(const struct world *w, const char *id);

#endif
