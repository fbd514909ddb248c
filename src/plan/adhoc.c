/*
 * adhoc.c: the plan of the ad-hoc items (adhoc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "plan/adhoc.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/strmap.h"

/* A resolved time, as a plan file's would be once resolved. */
static void
when_at(struct arena *a, struct when *w, const char *key, int64_t t,
    const struct loc *loc)
{
	memset(w, 0, sizeof(*w));
	w->src = arena_strdup(a, ADHOC_PLAN);
	w->key = key;
	w->loc = *loc;
	w->t = t;
	w->state = 2;
}

struct plan *
plan_adhoc(const struct service *svc, const struct adhoc_item *v, size_t n,
    const char *issuer, const char *file)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	size_t	     i;

	p->arena = arena_new();
	p->names = xcalloc(1, sizeof(*p->names));
	p->file = arena_strdup(p->arena, file != NULL ? file : ADHOC_PLAN);
	p->dir = arena_strdup(p->arena, ".");
	p->id = arena_strdup(p->arena, ADHOC_PLAN);
	p->id_loc.file = p->file;
	p->title = arena_strdup(p->arena, "Tin đột xuất");
	p->issuer = arena_strdup(p->arena, issuer != NULL ? issuer : "");
	p->tz = svc->tz;
	p->cal.tz = p->tz;
	p->cal.holidays = svc->holidays;
	p->cal.nholidays = svc->nholidays;
	p->issued.t = TIMEX_NONE;
	p->broadcasts = arena_alloc(p->arena,
	    (n ? n : 1) * sizeof(*p->broadcasts));
	for (i = 0; i < n; i++) {
		struct broadcast *b = &p->broadcasts[p->nbroadcasts];
		struct named	 *nm = arena_alloc(p->arena, sizeof(*nm));

		memset(b, 0, sizeof(*b));
		b->loc.file = p->file;
		b->id = arena_strdup(p->arena, v[i].id);
		b->title = arena_strdup(p->arena, v[i].title);
		b->text = arena_strdup(p->arena, v[i].text);
		b->priority = v[i].priority;
		b->air = arena_alloc(p->arena, sizeof(*b->air));
		b->nair = 1;
		when_at(p->arena, &b->air[0], "air[0]", v[i].air, &b->loc);
		if (v[i].expires != TIMEX_NONE)
			when_at(p->arena, &b->expires, "expires", v[i].expires,
			    &b->loc);
		else
			b->expires.t = TIMEX_NONE;
		nm->kind = N_BROADCAST;
		nm->p = b;
		nm->loc = b->loc;
		/* Ids are the outbox's primary key: never twice. */
		if (strmap_put(p->names, b->id, nm) == NULL)
			p->nbroadcasts++;
	}
	return p;
}
