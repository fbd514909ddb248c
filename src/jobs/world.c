/*
 * world.c: loading a whole config: service, plans, jobs.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/expand.h"
#include "plan/resolve.h"
#include "plan/planfile.h"
#include "plan/service.h"
#include "jobs/slots.h"
#include "jobs/timeline.h"
#include "jobs/world.h"
#include "render/tmpl.h"
#include "util/mem.h"
#include "util/strmap.h"

void
world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->nplans; i++)
		plan_free(w->plans[i]);
	free(w->plans);
	jobs_free(&w->jobs);
	service_free(w->svc);
	memset(w, 0, sizeof(*w));
}

int
world_load(struct world *w, const char *path, int64_t now, struct diag *d)
{
	return world_load_speech(w, path, now, NULL, d);
}

/* Each broadcast of js (of plan only, unless NULL) timed by w's speech. */
static void
world_durations(const struct world *w, struct jobs *js, const struct plan *plan,
    struct diag *d)
{
	if (w->speech != NULL && w->speech->durations != NULL)
		w->speech->durations(w->svc, js, plan, d);
}

/*
 * Load the service config, its plans, resolve and expand them. Returns 0,
 * or -1 when anything failed to validate (reported to d).
 */
int
world_load_speech(struct world *w, const char *path, int64_t now,
    const struct speech_hook *sp, struct diag *d)
{
	size_t i, k;
	int    errors = d->errors;

	memset(w, 0, sizeof(*w));
	w->speech = sp;
	/* The templates are checked with the rest of the service config:
	 * its errors and theirs are reported together. */
	if ((w->svc = service_read(path, d)) == NULL)
		return -1;
	tmpl_install(w->svc, d);
	if (sp != NULL && sp->install != NULL)
		sp->install(w->svc, d);
	if (d->errors > errors) {
		service_free(w->svc);
		w->svc = NULL;
		return -1;
	}
	w->plans = xcalloc(w->svc->nplans ? w->svc->nplans : 1,
	    sizeof(*w->plans));
	for (i = 0; i < w->svc->nplans; i++) {
		struct plan *p;

		p = plan_load(w->svc, w->svc->plans[i], &w->svc->plan_locs[i],
		    d);
		if (p == NULL)
			continue;
		for (k = 0; k < w->nplans; k++)
			if (strcmp(w->plans[k]->id, p->id) == 0) {
				diag_error(d, &p->id_loc, "plan.id",
				    "duplicate "
				    "plan id \"%s\" (also in %s)",
				    p->id, w->plans[k]->file);
			}
		if (strcmp(p->id, ADHOC_PLAN) == 0)
			diag_error(d, &p->id_loc, "plan.id",
			    "\"%s\" is reserved for the items of `loa "
			    "broadcast add`; expected another plan id",
			    p->id);
		w->plans[w->nplans++] = p;
		p->templates = w->svc->templates;
		plan_resolve(p, w->svc, now, d);
	}
	if (d->errors > 0)
		return -1;
	for (i = 0; i < w->nplans; i++)
		plan_expand(w->plans[i], w->svc, &w->jobs, d);
	/* With speech, placement takes each item's real length. */
	world_durations(w, &w->jobs, NULL, d);
	if (d->errors > errors)
		return -1;
	slots_place(w->svc, &w->jobs, d);
	timeline_sort(&w->jobs);
	return 0;
}

/* Drop the jobs of plan p (all of them when item is NULL, else those of
 * its object item) from js. */
static void
jobs_drop(struct jobs *js, const struct plan *p, const char *item)
{
	size_t i, k = 0;

	for (i = 0; i < js->n; i++) {
		const struct job *j = &js->v[i];

		if (j->plan == p &&
		    (item == NULL ||
			(j->kind == JK_BROADCAST &&
			    strcmp(j->object, item) == 0)))
			continue;
		js->v[k++] = *j;
	}
	js->n = k;
}

void
world_queue(struct world *w, const struct world_queue *q, struct diag *d)
{
	struct plan *ah;
	size_t	     i;

	/* Only a world that loaded: its service is there, its plans valid. */
	assert(w->svc != NULL && (w->nplans == 0 || w->plans != NULL));

	/* An earlier call's ad-hoc plan goes, with its jobs. */
	for (i = 0; i < w->nplans; i++)
		if (strcmp(w->plans[i]->id, ADHOC_PLAN) == 0) {
			jobs_drop(&w->jobs, w->plans[i], NULL);
			plan_free(w->plans[i]);
			memmove(&w->plans[i], &w->plans[i + 1],
			    (w->nplans - i - 1) * sizeof(*w->plans));
			w->nplans--;
			break;
		}
	ah = plan_adhoc(w->svc, q->adhoc, q->nadhoc,
	    w->nplans > 0 ? w->plans[0]->issuer : NULL, w->svc->store);
	ah->templates = w->svc->templates;
	w->plans = xreallocarray(w->plans, w->nplans + 1, sizeof(*w->plans));
	w->plans[w->nplans++] = ah;
	for (i = 0; i < q->ncancelled; i++) {
		struct plan	   *p = world_plan(w, q->cancelled[i].plan);
		const struct named *n;

		if (p == NULL ||
		    (n = strmap_get(p->names, q->cancelled[i].item)) == NULL ||
		    n->kind != N_BROADCAST)
			continue;
		if (!((struct broadcast *)n->p)->cancelled && p != ah)
			jobs_drop(&w->jobs, p, q->cancelled[i].item);
		((struct broadcast *)n->p)->cancelled = 1;
	}
	/* The ad-hoc plan's items, those not cancelled. */
	plan_expand(ah, w->svc, &w->jobs, d);
	world_durations(w, &w->jobs, ah, d);
	slots_replan(w->svc, &w->jobs, q->fixed, q->nfixed, d);
	timeline_sort(&w->jobs);
}

struct plan *
world_plan(const struct world *w, const char *id)
{
	size_t i;

	for (i = 0; i < w->nplans; i++)
		if (strcmp(w->plans[i]->id, id) == 0)
			return w->plans[i];
	return NULL;
}

size_t
world_plan_files(const struct world *w)
{
	size_t i, n = 0;

	for (i = 0; i < w->nplans; i++)
		if (strcmp(w->plans[i]->id, ADHOC_PLAN) != 0)
			n++;
	return n;
}
