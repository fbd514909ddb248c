/*
 * resolve.c: resolving a plan's times (resolve.h), and who its ids stand
 * for: recipients through groups and agencies, contacts, organizers.
 *
 * Resolution walks time references depth first with a stack, so a cycle
 * is reported with its whole chain.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/resolve.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"
#include "util/strmap.h"

#define RESOLVE_DEPTH 256

/* What "start", "end" and "due" mean where an expression is written. */
struct owner {
	enum named_kind kind;
	void	       *p;
};

struct rctx {
	struct plan	     *p;
	const struct service *svc;
	int64_t		      now;
	struct diag	     *d;
	struct when	     *stack[RESOLVE_DEPTH];
	int		      depth;
};

static int
resolve(struct rctx *, struct when *, const struct owner *, int is_due);

static const char *
fmt_local(const struct plan *p, int64_t t, char *buf, size_t len)
{
	int64_t local = tz_to_local(p->tz, t), day = civil_day_of(local);
	int	y, m, d, min = (int)((local - day * 86400) / 60);

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", y, m, d, min / 60,
	    min % 60);
	return buf;
}

/*
 * A resolved time w outside the years loa accepts is an error at loc, key
 * (written as src), and w becomes TIMEX_NONE: a typo such as 3025 never
 * reaches a calendar.
 */
static void
year_check(struct rctx *r, struct when *w, struct loc loc, const char *key,
    const char *src)
{
	int64_t local;
	int	y, m, d;

	if (w->t == TIMEX_NONE)
		return;
	local = tz_to_local(r->p->tz, w->t);
	civil_from_days(civil_day_of(local), &y, &m, &d);
	if (y >= LOA_YEAR_MIN && y <= LOA_YEAR_MAX)
		return;
	diag_error(r->d, &loc, key,
	    "the year %d is outside %d to %d (\"%s\"); "
	    "expected a year from %d to %d",
	    y, LOA_YEAR_MIN, LOA_YEAR_MAX, src != NULL ? src : "", LOA_YEAR_MIN,
	    LOA_YEAR_MAX);
	w->t = TIMEX_NONE;
}

static int
resolve_event_start(struct rctx *r, struct event *ev)
{
	struct owner o = { N_EVENT, ev };

	if (resolve(r, &ev->start, &o, 0) == -1)
		return -1;
	if (ev->status == EV_TENTATIVE && ev->start.tentative == NULL)
		ev->start.tentative = arena_printf(r->p->arena,
		    "event %s is tentative", ev->id);
	return 0;
}

static int
resolve_event_end(struct rctx *r, struct event *ev)
{
	struct owner o = { N_EVENT, ev };

	if (ev->end.src != NULL) {
		if (resolve(r, &ev->end, &o, 0) == -1)
			return -1;
		if (ev->end.tentative == NULL)
			ev->end.tentative = ev->start.tentative;
		return 0;
	}
	if (ev->end.state == 2)
		return ev->end.t == TIMEX_NONE ? -1 : 0;
	if (ev->end.state == 1) /* start refers to its own end */
		return resolve(r, &ev->end, &o, 0);
	ev->end.state = 1;
	r->stack[r->depth++] = &ev->end;
	if (resolve_event_start(r, ev) == 0) {
		ev->end.t = ev->start.t +
		    (ev->duration >= 0 ? ev->duration : 3600);
		ev->end.tentative = ev->start.tentative;
		/* A start late on 31 December 2100 may end in 2101. */
		year_check(r, &ev->end, ev->start.loc,
		    arena_printf(r->p->arena, "events.%s.end", ev->id),
		    ev->start.src);
	}
	r->depth--;
	ev->end.state = 2;
	return ev->end.t == TIMEX_NONE ? -1 : 0;
}

static void
resolve_cycle(struct rctx *r, struct when *w)
{
	struct buf b = { 0 };
	int	   i;

	for (i = 0; i < r->depth && r->stack[i] != w; i++)
		;
	for (; i < r->depth; i++)
		buf_printf(&b, "%s -> ", r->stack[i]->key);
	buf_adds(&b, w->key);
	diag_error(r->d, &w->loc, w->key, "reference cycle: %s", b.s);
	buf_free(&b);
}

/* The base instant of relative expression w, into *t and *tentative. */
static int
resolve_ref(struct rctx *r, struct when *w, const struct owner *o, int64_t *t,
    const char **tentative)
{
	const struct texpr	*x = &w->x;
	const struct named	*n;
	static const char *const refname[] = { "plan.issued", "now", "start",
		"end", "due" };

	*tentative = NULL;
	switch (x->ref) {
	case TREF_ISSUED:
		if (resolve(r, &r->p->issued, NULL, 0) == -1)
			return -1;
		*t = r->p->issued.t;
		return 0;
	case TREF_NOW:
		*t = r->now;
		return 0;
	default:
		break;
	}
	if (x->obj == NULL) {
		if (o == NULL || (x->ref == TREF_DUE && o->kind != N_TASK) ||
		    (x->ref != TREF_DUE && o->kind != N_EVENT)) {
			diag_error(r->d, &w->loc, w->key,
			    "unknown reference "
			    "\"%s\" in \"%s\": only %s; elsewhere name it, as "
			    "in ID.%s",
			    refname[x->ref], w->src,
			    x->ref == TREF_DUE ?
				"a task has its own due" :
				"an event has its own start and end",
			    refname[x->ref]);
			return -1;
		}
		n = NULL;
	} else if ((n = strmap_get(r->p->names, x->obj)) == NULL ||
	    (x->ref == TREF_DUE && n->kind != N_TASK) ||
	    (x->ref != TREF_DUE && n->kind != N_EVENT)) {
		diag_error(r->d, &w->loc, w->key,
		    "unknown reference \"%s.%s\" "
		    "in \"%s\": no %s \"%s\" in this plan",
		    x->obj, refname[x->ref], w->src,
		    x->ref == TREF_DUE ? "task" : "event", x->obj);
		return -1;
	}
	if (x->ref == TREF_DUE) {
		struct task *tk = n ? n->p : o->p;
		struct owner to = { N_TASK, tk };

		if (resolve(r, &tk->due, &to, 1) == -1)
			return -1;
		*t = tk->due.t;
		*tentative = tk->due.tentative;
		return 0;
	}
	{
		struct event *ev = n ? n->p : o->p;

		if ((x->ref == TREF_START ? resolve_event_start(r, ev) :
					    resolve_event_end(r, ev)) == -1)
			return -1;
		*t = x->ref == TREF_START ? ev->start.t : ev->end.t;
		*tentative = x->ref == TREF_START ? ev->start.tentative :
						    ev->end.tentative;
	}
	return 0;
}

/*
 * Resolve w (written inside owner o, NULL for none). is_due: a date alone
 * means 23:59. Returns 0, or -1 with the error reported (once).
 */
static int
resolve(struct rctx *r, struct when *w, const struct owner *o, int is_due)
{
	int64_t	    base;
	const char *tent;
	char	    buf[32];

	if (w->state == 2)
		return w->t == TIMEX_NONE ? -1 : 0;
	if (w->state == 1) {
		resolve_cycle(r, w);
		return -1;
	}
	if (w->src == NULL) { /* a parse error, already reported */
		w->state = 2;
		return -1;
	}
	if (r->depth == RESOLVE_DEPTH) {
		diag_error(r->d, &w->loc, w->key,
		    "references nest deeper than "
		    "%d",
		    RESOLVE_DEPTH);
		return -1;
	}
	w->state = 1;
	r->stack[r->depth++] = w;
	switch (w->x.kind) {
	case TIMEX_ABS:
		w->t = timex_absolute(&r->p->cal, &w->x, is_due);
		break;
	case TIMEX_MONTH:
		w->t = timex_absolute(&r->p->cal, &w->x, is_due);
		fmt_local(r->p, w->t, buf, sizeof(buf));
		w->tentative = arena_printf(r->p->arena,
		    "%s is tentative "
		    "(%.7s)",
		    w->key, buf);
		break;
	case TIMEX_REL:
		if (resolve_ref(r, w, o, &base, &tent) == 0) {
			w->t = timex_apply(&r->p->cal, &w->x, base);
			w->tentative = (char *)tent;
		}
		break;
	}
	r->depth--;
	w->state = 2;
	year_check(r, w, w->loc, w->key, w->src);
	return w->t == TIMEX_NONE ? -1 : 0;
}

/*
 * Groups and agencies nest at most MEMBER_DEPTH deep: recipient expansion
 * walks them that far, and no further.
 */
#define MEMBER_DEPTH 64

/* What the member walk knows of one group or agency. */
struct mnode {
	int	    state;  /* 1: on the chain, 2: done */
	int	    height; /* it and the levels below it */
	const char *next;   /* its member on the deepest path down */
};

struct mwalk {
	struct rctx  *r;
	struct strmap nodes; /* id -> struct mnode */
	const char   *chain[MEMBER_DEPTH];
	int	      nchain;
};

/* The members of group or agency n. */
static const struct idlist *
members_of(const struct named *n)
{
	return n->kind == N_GROUP ? &((struct group *)n->p)->members :
				    &((struct agency *)n->p)->members;
}

/* "too deep" at l under path: the chain so far, id and what is below. */
static void
member_too_deep(struct mwalk *m, const struct idref *ref, const char *path)
{
	struct buf	    b = { 0 };
	const struct mnode *mn;
	const char	   *id = ref->id;
	int		    i, k = m->nchain;

	for (i = 0; i < m->nchain; i++)
		buf_printf(&b, "%s -> ", m->chain[i]);
	buf_adds(&b, id);
	while (k++ <= MEMBER_DEPTH &&
	    (mn = strmap_get(&m->nodes, id)) != NULL && mn->next != NULL) {
		id = mn->next;
		buf_printf(&b, " -> %s", id);
	}
	diag_error(m->r->d, &ref->loc, path,
	    "groups nest deeper than %d: %s; expected at most %d levels of "
	    "groups and agencies",
	    MEMBER_DEPTH, b.s, MEMBER_DEPTH);
	buf_free(&b);
}

/*
 * The height of the group or agency ref names (0 for anything else),
 * checking that it does not contain itself and that, below the chain
 * walked so far, it nests no deeper than MEMBER_DEPTH. -1 with the error
 * reported. Recursion is bounded by MEMBER_DEPTH.
 */
static int
member_walk(struct mwalk *m, const struct idref *ref, const char *path)
{
	const struct named  *n = strmap_get(m->r->p->names, ref->id);
	const struct idlist *sub;
	struct mnode	    *mn;
	const char	    *subpath;
	size_t		     i;
	int		     h;

	if (n == NULL || (n->kind != N_GROUP && n->kind != N_AGENCY))
		return 0;
	if ((mn = strmap_get(&m->nodes, ref->id)) != NULL) {
		if (mn->state == 1) {
			diag_error(m->r->d, &ref->loc, path,
			    "\"%s\" contains itself through its members",
			    ref->id);
			return -1;
		}
		if (m->nchain + mn->height > MEMBER_DEPTH) {
			member_too_deep(m, ref, path);
			return -1;
		}
		return mn->height;
	}
	if (m->nchain == MEMBER_DEPTH) {
		member_too_deep(m, ref, path);
		return -1;
	}
	mn = arena_alloc(m->r->p->arena, sizeof(*mn));
	memset(mn, 0, sizeof(*mn));
	mn->state = 1;
	mn->height = 1;
	strmap_put(&m->nodes, ref->id, mn);
	m->chain[m->nchain++] = ref->id;
	sub = members_of(n);
	subpath = arena_printf(m->r->p->arena, "%s.%s.members",
	    n->kind == N_GROUP ? "groups" : "agencies", ref->id);
	for (i = 0; i < sub->n; i++) {
		if ((h = member_walk(m, &sub->v[i], subpath)) == -1) {
			m->nchain--;
			return -1;
		}
		if (h + 1 > mn->height) {
			mn->height = h + 1;
			mn->next = sub->v[i].id;
		}
	}
	m->nchain--;
	mn->state = 2;
	return mn->height;
}

static void
copy_defaults(struct plan *p, const struct service *svc, struct task *t)
{
	size_t i;

	t->nremind = svc->ndefault_remind;
	t->remind = arena_alloc(p->arena,
	    (t->nremind ? t->nremind : 1) * sizeof(struct when));
	for (i = 0; i < t->nremind; i++) {
		t->remind[i] = svc->default_remind[i];
		t->remind[i].key = arena_printf(p->arena,
		    "tasks.%s.remind[%zu] "
		    "(from loa.defaults)",
		    t->id, i);
		if (t->remind[i].x.noff > 0) {
			t->remind[i].x.off = arena_alloc(p->arena,
			    t->remind[i].x.noff * sizeof(struct timex_offset));
			memcpy(t->remind[i].x.off, svc->default_remind[i].x.off,
			    t->remind[i].x.noff * sizeof(struct timex_offset));
		}
	}
}

int
plan_resolve(struct plan *p, const struct service *svc, int64_t now,
    struct diag *d)
{
	struct rctx r = { .p = p, .svc = svc, .now = now, .d = d };
	int	    errors = d->errors;
	size_t	    i, j;
	char	    b1[32], b2[32];

	{
		struct mwalk m;

		memset(&m, 0, sizeof(m));
		m.r = &r;
		for (i = 0; i < p->ngroups; i++) {
			struct idref one = { p->groups[i].id,
				p->groups[i].loc };

			if (member_walk(&m, &one, "groups") == -1)
				break;
		}
		for (i = 0; i < p->nagencies; i++) {
			struct idref one = { p->agencies[i].id,
				p->agencies[i].loc };

			if (d->errors > errors ||
			    member_walk(&m, &one, "agencies") == -1)
				break;
		}
		strmap_free(&m.nodes);
	}

	resolve(&r, &p->issued, NULL, 0);
	for (i = 0; i < p->nevents; i++) {
		struct event *ev = &p->events[i];
		struct owner  o = { N_EVENT, ev };

		if (resolve_event_start(&r, ev) == 0 &&
		    resolve_event_end(&r, ev) == 0 && ev->end.t <= ev->start.t)
			diag_error(d,
			    ev->end.src ? &ev->end.loc : &ev->start.loc,
			    ev->end.key,
			    "the event ends (%s) "
			    "before or when it starts (%s); expected a later "
			    "end",
			    fmt_local(p, ev->end.t, b1, sizeof(b1)),
			    fmt_local(p, ev->start.t, b2, sizeof(b2)));
		if (ev->invite.src != NULL)
			resolve(&r, &ev->invite, &o, 0);
		for (j = 0; j < ev->nreminders; j++)
			resolve(&r, &ev->reminders[j], &o, 0);
	}
	for (i = 0; i < p->ntasks; i++) {
		struct task *t = &p->tasks[i];
		struct owner o = { N_TASK, t };

		if (t->nremind == (size_t)-1)
			copy_defaults(p, svc, t);
		resolve(&r, &t->due, &o, 1);
		for (j = 0; j < t->nremind; j++)
			resolve(&r, &t->remind[j], &o, 0);
		if (t->overdue.src != NULL)
			resolve(&r, &t->overdue, &o, 0);
	}
	for (i = 0; i < p->nbroadcasts; i++) {
		struct broadcast *b = &p->broadcasts[i];

		for (j = 0; j < b->nair; j++)
			resolve(&r, &b->air[j], NULL, 0);
		if (b->expires.src != NULL &&
		    resolve(&r, &b->expires, NULL, 0) == 0)
			for (j = 0; j < b->nair; j++)
				if (b->air[j].t != TIMEX_NONE &&
				    b->air[j].t >= b->expires.t)
					diag_warn(d, &b->air[j].loc,
					    b->air[j].key,
					    "\"%s\" is after the broadcast "
					    "expires (%s): it never airs then; "
					    "expected an air time before "
					    "expires",
					    b->air[j].src,
					    fmt_local(p, b->expires.t, b1,
						sizeof(b1)));
	}
	if (p->distribution.present && p->distribution.at.src != NULL)
		resolve(&r, &p->distribution.at, NULL, 0);
	return d->errors > errors ? -1 : 0;
}

/* Who ids stand for. */

/* Who plan_recipients has met so far: a mark per contact of the plan. */
struct met {
	const struct plan    *p;
	unsigned char	     *seen; /* by contact index */
	const struct contact *skip;
};

static void
add_contact(struct met *m, const struct contact *c, const struct contact ***v,
    size_t *n, size_t *cap)
{
	/* Every contact a name reaches is one of its plan's. */
	assert(c->index < m->p->ncontacts && m->p->contacts[c->index] == c);
	if (c == m->skip || m->seen[c->index])
		return;
	m->seen[c->index] = 1;
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = c;
}

static void
expand_id(struct met *m, const char *id, const struct contact ***v, size_t *n,
    size_t *cap, int depth)
{
	const struct named *nm = strmap_get(m->p->names, id);
	size_t		    i;

	/* plan_resolve refused groups nested deeper than MEMBER_DEPTH:
	 * this bound is never reached from a plan that resolved. */
	if (nm == NULL || depth > MEMBER_DEPTH)
		return;
	switch (nm->kind) {
	case N_PERSON:
		add_contact(m, nm->p, v, n, cap);
		break;
	case N_GROUP: {
		const struct group *g = nm->p;

		for (i = 0; i < g->members.n; i++)
			expand_id(m, g->members.v[i].id, v, n, cap, depth + 1);
		break;
	}
	case N_AGENCY: {
		const struct agency *a = nm->p;

		if (a->mailbox != NULL)
			add_contact(m, a->mailbox, v, n, cap);
		if (a->head.id != NULL)
			expand_id(m, a->head.id, v, n, cap, depth + 1);
		for (i = 0; i < a->members.n; i++)
			expand_id(m, a->members.v[i].id, v, n, cap, depth + 1);
		break;
	}
	default:
		break;
	}
}

void
plan_recipients(const struct plan *p, const struct idlist *l,
    const struct contact *skip, const struct contact ***v, size_t *n,
    size_t *cap)
{
	struct met m = { p, NULL, skip };
	size_t	   i;

	assert(l != NULL && v != NULL && n != NULL && cap != NULL);
	m.seen = xcalloc(p->ncontacts ? p->ncontacts : 1, 1);
	for (i = 0; i < l->n; i++)
		expand_id(&m, l->v[i].id, v, n, cap, 0);
	free(m.seen);
}

const struct contact *
plan_contact(const struct plan *p, const char *id)
{
	const struct named  *n, *h;
	const struct agency *a;

	if (id == NULL || (n = strmap_get(p->names, id)) == NULL)
		return NULL;
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind != N_AGENCY)
		return NULL;
	a = n->p;
	if (a->mailbox != NULL && a->mailbox->email != NULL)
		return a->mailbox;
	if (a->head.id != NULL &&
	    (h = strmap_get(p->names, a->head.id)) != NULL &&
	    h->kind == N_PERSON)
		return h->p;
	return a->mailbox;
}

const struct contact *
plan_organizer(const struct plan *p, const struct event *ev)
{
	const struct named *n;

	/* An agency's mailbox organises even without an email address:
	 * its head is still invited. */
	if (ev->organizer.id != NULL &&
	    (n = strmap_get(p->names, ev->organizer.id)) != NULL &&
	    n->kind == N_AGENCY && ((struct agency *)n->p)->mailbox != NULL)
		return ((struct agency *)n->p)->mailbox;
	return plan_contact(p, ev->organizer.id);
}
