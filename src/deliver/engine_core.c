/*
 * engine_core.c: the engine itself: its creation over a world and an
 * outbox, its gateways, the facts a reconciliation rebuilds, and the
 * trace of its sends (engine_core.h, engine_int.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/engine_int.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/text.h"
#include "util/arena.h"
#include "util/strmap.h"

static char *
dir_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s == NULL ? xstrdup(".") : xstrndup(path, (size_t)(s - path));
}

int
engine_gw_open(const struct world *w, const struct engine_opts *o,
    const char *base, int ch, struct gw *gw, struct bucket *b, int *lim,
    char *err, size_t errlen)
{
	const char *const    *kinds = gw_kind_names;
	const struct gateway *g;

	assert(ch >= 0 && ch < CH__N);
	g = w->svc->channel_gw[ch];
	memset(gw, 0, sizeof(*gw));
	memset(b, 0, sizeof(*b));
	*lim = 0;
	gw->fd = -1;
	if (o->files != NULL || g == NULL) {
		/* The embedded default, and every simulation. */
		const char *root = o->files ? o->files : base;

		gw->dir = ch == CH_BROADCAST ? xasprintf("%s/broadcast", root) :
					       xasprintf("%s/outbox", root);
		gw->backend = gw_lookup("file");
	} else {
		if ((gw->backend = gw_lookup(kinds[g->kind])) == NULL) {
			snprintf(err, errlen,
			    "gateway %s: kind %s is not available in this "
			    "build; use file or spool",
			    g->id, kinds[g->kind]);
			return -1;
		}
		gw->dir = g->dir != NULL ? xstrdup(g->dir) : NULL;
		gw->cfg = g;
		bucket_init(b, g->rate, 0);
		/* The file gateways answer at once: no limit. */
		*lim = g->kind == GW_SMTP || g->kind == GW_HTTP ?
		    g->concurrency :
		    0;
	}
	assert(gw->backend != NULL);
	if (gw->backend->init(gw, err, errlen) == -1) {
		free(gw->dir);
		memset(gw, 0, sizeof(*gw));
		return -1;
	}
	return 0;
}

void
engine_live_gateways(struct engine *e)
{
	int ch;

	for (ch = 0; ch < CH__N; ch++) {
		/* Every channel has a gateway once the engine is made. */
		assert(e->gw[ch].backend != NULL);
		live_gateway(e->o.live, (enum channel)ch,
		    e->gw[ch].cfg != NULL ? e->gw[ch].cfg->id : "default",
		    e->gw[ch].backend->name);
	}
}

struct engine *
engine_new(struct world *w, const char *store, const struct engine_opts *o,
    char *err, size_t errlen)
{
	struct engine *e;
	int	       ch;

	assert(w != NULL && w->svc != NULL && store != NULL && o != NULL);
	e = xcalloc(1, sizeof(*e));
	e->w = w;
	e->o = *o;
	e->base = dir_of(store);
	e->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	/* The store first: a file that is not loa's gets no gateway folders
	 * made beside it either. */
	if ((e->ob = outbox_open(store, err, errlen)) == NULL) {
		engine_free(e);
		return NULL;
	}
	for (ch = 0; ch < CH__N; ch++)
		if (engine_gw_open(w, o, e->base, ch, &e->gw[ch],
			&e->bucket[ch], &e->limit[ch], err, errlen) == -1) {
			engine_free(e);
			return NULL;
		}
	e->facts = arena_new();
	e->expired_at = TIMEX_NONE;
	engine_live_gateways(e);
	return e;
}

void
engine_facts_reset(struct engine *e)
{
	strmap_free(&e->ghosts);
	strmap_free(&e->done);
	memset(&e->ghosts, 0, sizeof(e->ghosts));
	memset(&e->done, 0, sizeof(e->done));
	arena_free(e->facts);
	e->facts = arena_new();
}

void
engine_flight_push(struct flight *f, const struct sendctx *c)
{
	xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = *c;
}

void
engine_flight_free(struct flight *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		ob_job_clear(&f->v[i].job);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void
engine_free(struct engine *e)
{
	int ch;

	if (e == NULL)
		return;
	for (ch = 0; ch < CH__N; ch++) {
		if (e->gw[ch].backend != NULL)
			e->gw[ch].backend->shutdown(&e->gw[ch]);
		free(e->gw[ch].dir);
		engine_flight_free(&e->fly[ch]);
	}
	engine_flight_free(&e->landed);
	engine_flight_free(&e->batch);
	free(e->claimv);
	free(e->base);
	outbox_close(e->ob);
	strmap_free(&e->ghosts);
	strmap_free(&e->done);
	arena_free(e->facts);
	if (e->w != NULL) {
		world_free(e->w);
		free(e->w);
	}
	free(e);
}

int
engine_set_gateway(struct engine *e, enum channel ch,
    const struct gw_backend *b, int concurrency, char *err, size_t errlen)
{
	struct gw *gw;

	assert(e != NULL && b != NULL && (int)ch >= 0 && ch < CH__N);
	assert(concurrency >= 0);
	gw = &e->gw[ch];
	if (e->fly[ch].n > 0) {
		snprintf(err, errlen, "sends are in flight on %s",
		    channel_names[ch]);
		return -1;
	}
	if (gw->backend != NULL)
		gw->backend->shutdown(gw);
	gw->backend = b;
	gw->fd = -1;
	gw->dirty = 0;
	gw->priv = NULL;
	e->limit[ch] = concurrency;
	return b->init(gw, err, errlen);
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->st;
}

struct outbox *
engine_outbox(struct engine *e)
{
	return e->ob;
}

const char *
engine_key(struct engine *e, const struct plan *p, const char *id)
{
	return arena_printf(e->facts, "%s\x1f%s", p->id, id);
}

const struct named *
engine_object(struct engine *e, const struct plan *p, const char *id)
{
	const struct named *n = strmap_get(p->names, id);
	char		   *key;

	if (n != NULL)
		return n;
	key = xasprintf("%s\x1f%s", p->id, id);
	n = strmap_get(&e->ghosts, key);
	free(key);
	return n;
}

void
engine_trace(struct engine *e, const struct ob_job *j, const char *what,
    const char *detail)
{
	char	     due[40], *own = NULL;
	struct plan *p = world_plan(e->w, j->plan);

	if (e->o.trace == NULL)
		return;
	if (p != NULL)
		tz_rfc3339(p->tz, j->due, due, sizeof(due));
	else
		snprintf(due, sizeof(due), "%lld", (long long)j->due);
	due[16] = '\0';
	due[10] = ' ';
	/* A table: what a peer answered (detail) escaped to one line. */
	detail = detail != NULL ? text_safe(detail, &own) : NULL;
	fprintf(e->o.trace, "%s  %-8s %-14s %-16s %-14s %-9s %s%s%s\n", due,
	    what, job_kind_names[j->kind], j->object,
	    j->recipient ? j->recipient : "-", channel_names[j->channel],
	    j->address ? j->address : "-", detail ? "  " : "",
	    detail ? detail : "");
	free(own);
}

void
engine_late_report(struct engine *e, const struct late_tally *t, FILE *f)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct plan *p = world_plan(e->w, t->v[i].plan);
		char	    *s = late_group_text(&t->v[i],
			   p != NULL ? p->tz : e->w->svc->tz);

		if (f != NULL)
			fprintf(f, "would expire: %s\n", s);
		else
			log_warnx("expired: %s", s);
		free(s);
	}
}

void
engine_late_job(struct engine *e, const struct ob_job *j, const char *reason,
    FILE *f)
{
	struct late_tally t = { 0 };

	late_tally_add(&t, j->plan, j->kind, j->object, j->channel,
	    j->recipient, reason, j->due, j->refers);
	engine_late_report(e, &t, f);
	late_tally_free(&t);
}
