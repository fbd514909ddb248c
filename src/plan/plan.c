/*
 * plan.c: resolving a plan's times and expanding it into jobs.
 *
 * Resolution walks time references depth first with a stack, so a cycle
 * is reported with its whole chain. Expansion is a pure function of the
 * resolved plan: the same plan gives the same jobs with the same ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "util/sms.h"
#include "util/text.h"
#include "render/tmpl.h"
#include "util/xmalloc.h"

#define RESOLVE_DEPTH	256

/* What "start", "end" and "due" mean where an expression is written. */
struct owner {
	enum named_kind	 kind;
	void		*p;
};

struct rctx {
	struct plan		*p;
	const struct service	*svc;
	int64_t			 now;
	struct diag		*d;
	struct when		*stack[RESOLVE_DEPTH];
	int			 depth;
};

static int	resolve(struct rctx *, struct when *, const struct owner *,
		    int is_due);

static const char *
fmt_local(const struct plan *p, int64_t t, char *buf, size_t len)
{
	int64_t	 local = tz_to_local(p->tz, t), day = civil_day_of(local);
	int	 y, m, d, min = (int)((local - day * 86400) / 60);

	civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", y, m, d, min / 60,
	    min % 60);
	return buf;
}

static int
resolve_event_start(struct rctx *r, struct event *ev)
{
	struct owner	 o = { N_EVENT, ev };

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
	struct owner	 o = { N_EVENT, ev };

	if (ev->end.src != NULL) {
		if (resolve(r, &ev->end, &o, 0) == -1)
			return -1;
		if (ev->end.tentative == NULL)
			ev->end.tentative = ev->start.tentative;
		return 0;
	}
	if (ev->end.state == 2)
		return ev->end.t == TIMEX_NONE ? -1 : 0;
	if (ev->end.state == 1)		/* start refers to its own end */
		return resolve(r, &ev->end, &o, 0);
	ev->end.state = 1;
	r->stack[r->depth++] = &ev->end;
	if (resolve_event_start(r, ev) == 0) {
		ev->end.t = ev->start.t + (ev->duration >= 0 ? ev->duration :
		    3600);
		ev->end.tentative = ev->start.tentative;
	}
	r->depth--;
	ev->end.state = 2;
	return ev->end.t == TIMEX_NONE ? -1 : 0;
}

static void
resolve_cycle(struct rctx *r, struct when *w)
{
	struct buf	 b = { 0 };
	int		 i;

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
resolve_ref(struct rctx *r, struct when *w, const struct owner *o,
    int64_t *t, const char **tentative)
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
			diag_error(r->d, &w->loc, w->key, "unknown reference "
			    "\"%s\" in \"%s\": only %s; elsewhere name it, as "
			    "in ID.%s", refname[x->ref], w->src,
			    x->ref == TREF_DUE ? "a task has its own due" :
			    "an event has its own start and end",
			    refname[x->ref]);
			return -1;
		}
		n = NULL;
	} else if ((n = strmap_get(r->p->names, x->obj)) == NULL ||
	    (x->ref == TREF_DUE && n->kind != N_TASK) ||
	    (x->ref != TREF_DUE && n->kind != N_EVENT)) {
		diag_error(r->d, &w->loc, w->key, "unknown reference \"%s.%s\" "
		    "in \"%s\": no %s \"%s\" in this plan", x->obj,
		    refname[x->ref], w->src, x->ref == TREF_DUE ? "task" :
		    "event", x->obj);
		return -1;
	}
	if (x->ref == TREF_DUE) {
		struct task	*tk = n ? n->p : o->p;
		struct owner	 to = { N_TASK, tk };

		if (resolve(r, &tk->due, &to, 1) == -1)
			return -1;
		*t = tk->due.t;
		*tentative = tk->due.tentative;
		return 0;
	}
	{
		struct event	*ev = n ? n->p : o->p;

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
	int64_t		 base;
	const char	*tent;
	char		 buf[32];

	if (w->state == 2)
		return w->t == TIMEX_NONE ? -1 : 0;
	if (w->state == 1) {
		resolve_cycle(r, w);
		return -1;
	}
	if (w->src == NULL) {		/* a parse error, already reported */
		w->state = 2;
		return -1;
	}
	if (r->depth == RESOLVE_DEPTH) {
		diag_error(r->d, &w->loc, w->key, "references nest deeper than "
		    "%d", RESOLVE_DEPTH);
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
		w->tentative = arena_printf(r->p->arena, "%s is tentative "
		    "(%.7s)", w->key, buf);
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
	return w->t == TIMEX_NONE ? -1 : 0;
}

/* Depth-first check that groups and agencies do not contain themselves. */
static int
member_cycles(struct rctx *r, const struct idlist *l, const char *path)
{
	size_t	 i;
	int	 rc = 0;

	for (i = 0; i < l->n; i++) {
		const struct named	*n = strmap_get(r->p->names,
					    l->v[i].id);
		int			*visiting;
		const struct idlist	*sub;

		if (n == NULL || (n->kind != N_GROUP && n->kind != N_AGENCY))
			continue;
		if (n->kind == N_GROUP) {
			visiting = &((struct group *)n->p)->visiting;
			sub = &((struct group *)n->p)->members;
		} else {
			visiting = &((struct agency *)n->p)->visiting;
			sub = &((struct agency *)n->p)->members;
		}
		if (*visiting == 2)
			continue;
		if (*visiting == 1) {
			diag_error(r->d, &l->v[i].loc, path, "\"%s\" contains "
			    "itself through its members", l->v[i].id);
			return -1;
		}
		*visiting = 1;
		if (member_cycles(r, sub, arena_printf(r->p->arena,
		    "%s.%s.members", n->kind == N_GROUP ? "groups" :
		    "agencies", l->v[i].id)) == -1)
			rc = -1;
		*visiting = 2;
		if (rc == -1)
			return -1;
	}
	return 0;
}

static void
copy_defaults(struct plan *p, const struct service *svc, struct task *t)
{
	size_t	 i;

	t->nremind = svc->ndefault_remind;
	t->remind = arena_alloc(p->arena, (t->nremind ? t->nremind : 1) *
	    sizeof(struct when));
	for (i = 0; i < t->nremind; i++) {
		t->remind[i] = svc->default_remind[i];
		t->remind[i].key = arena_printf(p->arena, "tasks.%s.remind[%zu] "
		    "(from loa.defaults)", t->id, i);
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
	struct rctx	 r = { .p = p, .svc = svc, .now = now, .d = d };
	int		 errors = d->errors;
	size_t		 i, j;
	char		 b1[32], b2[32];

	for (i = 0; i < p->ngroups; i++) {
		struct idlist	 one = { &(struct idref){ p->groups[i].id,
				    p->groups[i].loc }, 1 };

		if (member_cycles(&r, &one, "groups") == -1)
			break;
	}
	for (i = 0; i < p->nagencies; i++) {
		struct idlist	 one = { &(struct idref){ p->agencies[i].id,
				    p->agencies[i].loc }, 1 };

		if (member_cycles(&r, &one, "agencies") == -1)
			break;
	}

	resolve(&r, &p->issued, NULL, 0);
	for (i = 0; i < p->nevents; i++) {
		struct event	*ev = &p->events[i];
		struct owner	 o = { N_EVENT, ev };

		if (resolve_event_start(&r, ev) == 0 &&
		    resolve_event_end(&r, ev) == 0 &&
		    ev->end.t <= ev->start.t)
			diag_error(d, ev->end.src ? &ev->end.loc :
			    &ev->start.loc, ev->end.key, "the event ends (%s) "
			    "before or when it starts (%s); expected a later "
			    "end", fmt_local(p, ev->end.t, b1, sizeof(b1)),
			    fmt_local(p, ev->start.t, b2, sizeof(b2)));
		if (ev->invite.src != NULL)
			resolve(&r, &ev->invite, &o, 0);
		for (j = 0; j < ev->nreminders; j++)
			resolve(&r, &ev->reminders[j], &o, 0);
	}
	for (i = 0; i < p->ntasks; i++) {
		struct task	*t = &p->tasks[i];
		struct owner	 o = { N_TASK, t };

		if (t->nremind == (size_t)-1)
			copy_defaults(p, svc, t);
		resolve(&r, &t->due, &o, 1);
		for (j = 0; j < t->nremind; j++)
			resolve(&r, &t->remind[j], &o, 0);
		if (t->overdue.src != NULL)
			resolve(&r, &t->overdue, &o, 0);
	}
	for (i = 0; i < p->nbroadcasts; i++) {
		struct broadcast	*b = &p->broadcasts[i];

		for (j = 0; j < b->nair; j++)
			resolve(&r, &b->air[j], NULL, 0);
		if (b->expires.src != NULL)
			resolve(&r, &b->expires, NULL, 0);
	}
	if (p->distribution.present && p->distribution.at.src != NULL)
		resolve(&r, &p->distribution.at, NULL, 0);
	return d->errors > errors ? -1 : 0;
}

/* Expansion. */

static void
add_contact(const struct contact *c, unsigned gen, const struct contact *skip,
    const struct contact ***v, size_t *n, size_t *cap)
{
	struct contact	*m = (struct contact *)c;

	if (c == skip || m->mark == gen)
		return;
	m->mark = gen;
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = c;
}

static void
expand_id(struct plan *p, const char *id, unsigned gen,
    const struct contact *skip, const struct contact ***v, size_t *n,
    size_t *cap, int depth)
{
	const struct named	*nm = strmap_get(p->names, id);
	size_t			 i;

	if (nm == NULL || depth > 64)
		return;
	switch (nm->kind) {
	case N_PERSON:
		add_contact(nm->p, gen, skip, v, n, cap);
		break;
	case N_GROUP: {
		const struct group	*g = nm->p;

		for (i = 0; i < g->members.n; i++)
			expand_id(p, g->members.v[i].id, gen, skip, v, n, cap,
			    depth + 1);
		break;
	}
	case N_AGENCY: {
		const struct agency	*a = nm->p;

		if (a->mailbox != NULL)
			add_contact(a->mailbox, gen, skip, v, n, cap);
		if (a->head.id != NULL)
			expand_id(p, a->head.id, gen, skip, v, n, cap,
			    depth + 1);
		for (i = 0; i < a->members.n; i++)
			expand_id(p, a->members.v[i].id, gen, skip, v, n, cap,
			    depth + 1);
		break;
	}
	default:
		break;
	}
}

void
plan_recipients(struct plan *p, const struct idlist *l,
    const struct contact *skip, const struct contact ***v, size_t *n,
    size_t *cap)
{
	static unsigned	 gen;
	size_t		 i;

	/* A new generation: every contact's mark is stale at once. */
	if (++gen == 0) {
		for (i = 0; i < p->ncontacts; i++)
			p->contacts[i]->mark = 0;
		gen = 1;
	}
	for (i = 0; i < l->n; i++)
		expand_id(p, l->v[i].id, gen, skip, v, n, cap, 0);
}

void
plan_job_id(const struct plan *p, enum job_kind kind, const char *object,
    int ordinal, const char *recipient, enum channel ch, char out[17])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned long long	 h = HASH_INIT;
	char			 ord[16];
	int			 i;

	/* Content only, never the time: a moved job keeps its id. */
	h = hash_bytes(h, p->id, strlen(p->id) + 1);
	h = hash_bytes(h, job_kind_names[kind], strlen(job_kind_names[kind]) +
	    1);
	h = hash_bytes(h, object, strlen(object) + 1);
	snprintf(ord, sizeof(ord), "%d", ordinal);
	h = hash_bytes(h, ord, strlen(ord) + 1);
	if (recipient != NULL)
		h = hash_bytes(h, recipient, strlen(recipient) + 1);
	h = hash_bytes(h, channel_names[ch], strlen(channel_names[ch]) + 1);
	for (i = 15; i >= 0; i--) {
		out[i] = hex[h & 15];
		h >>= 4;
	}
	out[16] = '\0';
}

static void
job_id(struct job *j)
{
	plan_job_id(j->plan, (enum job_kind)j->kind, j->object, j->ordinal,
	    j->to ? j->to->id : NULL, (enum channel)j->channel, j->id);
}

static struct job *
job_new(struct jobs *js, struct plan *p, enum job_kind k, const char *object,
    int ordinal, const struct contact *to, enum channel ch)
{
	struct job	*j;

	xgrow(&js->v, &js->cap, js->n + 1, sizeof(*js->v));
	j = &js->v[js->n++];
	memset(j, 0, sizeof(*j));
	j->plan = p;
	j->kind = (unsigned char)k;
	j->object = object;
	j->ordinal = ordinal;
	j->to = to;
	j->channel = (unsigned char)ch;
	j->state = JS_PENDING;
	j->refers = TIMEX_NONE;
	job_id(j);
	return j;
}

/* What one group of jobs shares: the same message at the same time. */
struct batch {
	struct plan		*p;
	const struct service	*svc;
	struct jobs		*js;
	struct diag		*d;
	enum job_kind		 kind;
	const char		*object;
	int			 ordinal;
	const struct when	*when;		/* when it goes */
	int64_t			 refers;
	const char		*held;		/* tentative: why */
	const char		*cancelled;
	unsigned		 channels;
	const struct loc	*loc;		/* for warnings */
	const char		*key;
	int			 warned_parts;
	int			 warned_late;
	struct sms_info		 sms;		/* cached when the text is */
	int			 sms_cached;	/* the same for everybody */
};

static const struct gateway *
sms_gateway(const struct service *svc)
{
	return svc->channel_gw[CH_SMS];
}

char *
plan_render(const struct plan *p, const struct service *svc, int which,
    const char *object, const struct contact *to, int64_t at,
    const char *changes)
{
	struct tmpl_ctx		 c = { 0 };
	const struct named	*n = strmap_get(p->names, object);
	struct buf		 b = { 0 };

	c.plan = p;
	c.person = to;
	c.at = at;
	c.changes = changes;
	if (n != NULL && n->kind == N_EVENT)
		c.event = n->p;
	if (n != NULL && n->kind == N_TASK) {
		const struct named	*o;

		c.task = n->p;
		if (c.task->owner.n > 0 && (o = strmap_get(p->names,
		    c.task->owner.v[0].id)) != NULL && o->kind == N_AGENCY)
			c.agency = o->p;
	}
	if (to != NULL && to->mailbox)
		c.agency = to->agency;
	tmpl_render(svc->templates->text[which], &c, &b);
	return buf_take(&b);
}

char *
plan_sms_text(const struct plan *p, const struct service *svc,
    enum job_kind kind, const char *object, const struct contact *to,
    int64_t at, const char *changes)
{
	const struct gateway	*gw = sms_gateway(svc);
	char			*text, *folded;

	text = plan_render(p, svc, tmpl_sms_of(kind), object, to, at, changes);
	if (gw != NULL && gw->fold && (folded = text_fold(text)) != NULL) {
		free(text);
		return folded;
	}
	return text;
}

static void
batch_job(struct batch *bt, const struct contact *to, enum channel ch,
    int64_t due)
{
	struct job	*j;
	const char	*addr = ch == CH_EMAIL ? to->email : to->phone;
	struct contact	*mto = (struct contact *)to;
	int		 max_parts;

	j = job_new(bt->js, bt->p, bt->kind, bt->object, bt->ordinal, to, ch);
	j->due = due;
	j->refers = bt->refers;
	j->address = addr;
	if (addr == NULL) {
		j->state = JS_SKIPPED;
		j->reason = ch == CH_EMAIL ? "no email address" :
		    "no phone number";
		if (!(to->warned & CHM(ch))) {
			mto->warned |= CHM(ch);
			diag_warn(bt->d, &to->loc, to->id, "accepts %s but has "
			    "%s; its %s jobs are skipped", channel_names[ch],
			    j->reason, channel_names[ch]);
		}
		return;
	}
	if (bt->cancelled != NULL) {
		j->state = JS_CANCELLED;
		j->reason = bt->cancelled;
	} else if (bt->held != NULL) {
		j->state = JS_HELD;
		j->reason = bt->held;
	} else if (bt->refers != TIMEX_NONE && due >= bt->refers &&
	    (bt->kind == JK_INVITATION || bt->kind == JK_EVENT_REMINDER ||
	    bt->kind == JK_TASK_REMINDER)) {
		j->state = JS_EXPIRED;
		j->reason = bt->kind == JK_INVITATION ? "due after the event "
		    "starts" : "due after what it reminds of";
		if (!bt->warned_late) {
			bt->warned_late = 1;
			diag_warn(bt->d, bt->loc, bt->key, "%s falls at or after "
			    "the moment it is about; it will never be sent",
			    job_kind_names[bt->kind]);
		}
	}
	if (ch == CH_SMS) {
		struct sms_info	 si;

		if (bt->sms_cached)
			si = bt->sms;
		else {
			char	*text = plan_sms_text(bt->p, bt->svc,
				    (enum job_kind)j->kind, j->object, j->to,
				    j->due, NULL);

			sms_analyse(text, &si);
			free(text);
			/*
			 * Without {person.*} or {agency.*} (which follows a
			 * mailbox) the text is the same for every recipient.
			 */
			const char	*t = bt->svc->templates->text[
					    tmpl_sms_of(bt->kind)];

			if (strstr(t, "{person.") == NULL &&
			    strstr(t, "{agency.") == NULL) {
				bt->sms = si;
				bt->sms_cached = 1;
			}
		}
		j->sms_parts = si.parts;
		j->sms_encoding = (unsigned char)si.encoding;
		max_parts = sms_gateway(bt->svc) ?
		    sms_gateway(bt->svc)->max_parts : bt->svc->max_parts;
		if (si.parts > max_parts && !bt->warned_parts) {
			bt->warned_parts = 1;
			diag_warn(bt->d, bt->loc, bt->key, "the %s SMS is %d "
			    "parts (%s, %zu units), more than max_parts %d",
			    job_kind_names[bt->kind], si.parts,
			    sms_encoding_name(si.encoding), si.units,
			    max_parts);
		}
	}
}

/* One job per recipient and channel of the batch. */
static void
batch_run(struct batch *bt, const struct contact **rcpt, size_t n)
{
	int64_t		 due = bt->when->t, due_sms;
	size_t		 i;
	int		 ch;

	if (due == TIMEX_NONE)
		return;
	due_sms = quiet_adjust(&bt->p->cal, &bt->svc->quiet, due, bt->refers);
	bt->sms_cached = 0;
	for (i = 0; i < n; i++)
		for (ch = CH_EMAIL; ch <= CH_SMS; ch++)
			if ((bt->channels & CHM(ch)) &&
			    (rcpt[i]->channels & CHM(ch)))
				batch_job(bt, rcpt[i], (enum channel)ch,
				    ch == CH_SMS ? due_sms : due);
}

/* The recipients of two lists, deduplicated across both. */
static void
recipients2(struct plan *p, const struct idlist *a, const struct idlist *b,
    const struct contact *skip, const struct contact ***v, size_t *n,
    size_t *cap)
{
	struct idlist	 all;

	all.n = a->n + b->n;
	all.v = xcalloc(all.n ? all.n : 1, sizeof(*all.v));
	memcpy(all.v, a->v, a->n * sizeof(*all.v));
	memcpy(all.v + a->n, b->v, b->n * sizeof(*all.v));
	plan_recipients(p, &all, skip, v, n, cap);
	free(all.v);
}

const struct contact *
plan_contact(const struct plan *p, const char *id)
{
	const struct named	*n, *h;
	const struct agency	*a;

	if (id == NULL || (n = strmap_get(p->names, id)) == NULL)
		return NULL;
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind != N_AGENCY)
		return NULL;
	a = n->p;
	if (a->mailbox != NULL && a->mailbox->email != NULL)
		return a->mailbox;
	if (a->head.id != NULL && (h = strmap_get(p->names, a->head.id)) !=
	    NULL && h->kind == N_PERSON)
		return h->p;
	return a->mailbox;
}

const struct contact *
plan_organizer(struct plan *p, const struct event *ev)
{
	const struct named	*n;

	/* An agency's mailbox organises even without an email address:
	 * its head is still invited. */
	if (ev->organizer.id != NULL &&
	    (n = strmap_get(p->names, ev->organizer.id)) != NULL &&
	    n->kind == N_AGENCY && ((struct agency *)n->p)->mailbox != NULL)
		return ((struct agency *)n->p)->mailbox;
	return plan_contact(p, ev->organizer.id);
}

static void
expand_event(struct batch *bt, struct event *ev)
{
	const struct contact	**rcpt = NULL;
	size_t			  n = 0, cap = 0, i;
	struct when		  invite;

	/* Attendees and optional attendees, deduplicated together. */
	recipients2(bt->p, &ev->attendees, &ev->optional,
	    plan_organizer(bt->p, ev), &rcpt, &n, &cap);

	/* iTIP needs an ORGANIZER address (RFC 5546 §3.2): say so when
	 * invitations by email will be published instead. */
	{
		const struct contact	*org = plan_organizer(bt->p, ev);
		const struct named	*sn = bt->p->signed_by.id == NULL ?
					    NULL : strmap_get(bt->p->names,
					    bt->p->signed_by.id);
		const struct contact	*sig = sn != NULL &&
					    sn->kind == N_PERSON ? sn->p :
					    NULL;
		int			 mail = 0;

		for (i = 0; i < n && !mail; i++)
			mail = rcpt[i]->email != NULL;
		if (mail && (org == NULL || org->email == NULL) &&
		    (sig == NULL || sig->email == NULL))
			diag_warn(bt->d, &ev->loc, arena_printf(bt->p->arena,
			    "events.%s.organizer", ev->id), "no email address "
			    "for an ORGANIZER (neither the organizer nor "
			    "plan.signed_by has one): invitations are "
			    "published, without Accept/Decline");
	}
	bt->object = ev->id;
	bt->refers = ev->start.t;
	bt->loc = &ev->loc;
	bt->cancelled = ev->status == EV_CANCELLED ? "event cancelled" : NULL;

	/* The invitation: by default as soon as the plan gives the date. */
	invite = ev->invite.src != NULL ? ev->invite : bt->p->issued;
	bt->kind = JK_INVITATION;
	bt->ordinal = 0;
	bt->when = &invite;
	bt->held = invite.tentative ? invite.tentative : ev->start.tentative;
	bt->channels = CHM(CH_EMAIL) | CHM(CH_SMS);
	bt->key = arena_printf(bt->p->arena, "events.%s.invite", ev->id);
	bt->warned_parts = bt->warned_late = 0;
	batch_run(bt, rcpt, n);

	bt->kind = JK_EVENT_REMINDER;
	bt->channels = ev->reminder_channels;
	for (i = 0; i < ev->nreminders; i++) {
		bt->ordinal = (int)i;
		bt->when = &ev->reminders[i];
		bt->held = ev->reminders[i].tentative ?
		    ev->reminders[i].tentative : ev->start.tentative;
		bt->key = ev->reminders[i].key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	free(rcpt);
}

static void
expand_task(struct batch *bt, struct task *t)
{
	const struct contact	**rcpt = NULL;
	size_t			  n = 0, cap = 0, i;

	/* Owners, then the cooperating units, who are copied. */
	recipients2(bt->p, &t->owner, &t->with, NULL, &rcpt, &n, &cap);
	bt->object = t->id;
	bt->refers = t->due.t;
	bt->loc = &t->loc;
	bt->cancelled = NULL;
	bt->channels = t->channels;

	bt->kind = JK_TASK_REMINDER;
	for (i = 0; i < t->nremind; i++) {
		bt->ordinal = (int)i;
		bt->when = &t->remind[i];
		bt->held = t->remind[i].tentative;
		bt->key = t->remind[i].key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	if (t->overdue.src != NULL) {
		bt->kind = JK_OVERDUE;
		bt->ordinal = 0;
		bt->when = &t->overdue;
		bt->refers = TIMEX_NONE;
		bt->held = t->overdue.tentative;
		bt->key = t->overdue.key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	free(rcpt);
}

static int
word_count(const char *s)
{
	int	 n = 0, in = 0;

	for (; *s != '\0'; s++) {
		int	 sp = *s == ' ' || *s == '\n' || *s == '\t' ||
			    *s == '\r';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static void
expand_broadcast(struct batch *bt, struct broadcast *b)
{
	size_t	 i;
	int	 words = word_count(b->text ? b->text : "");
	int	 wpm = bt->svc->words_per_minute > 0 ?
		    bt->svc->words_per_minute : 130;

	for (i = 0; i < b->nair; i++) {
		struct job	*j;

		if (b->air[i].t == TIMEX_NONE)
			continue;
		j = job_new(bt->js, bt->p, JK_BROADCAST, b->id, (int)i, NULL,
		    CH_BROADCAST);
		j->due = b->air[i].t;
		j->refers = b->expires.src != NULL ? b->expires.t : TIMEX_NONE;
		j->priority = (unsigned char)b->priority;
		j->duration = (words * 60 + wpm - 1) / wpm;
		if (b->air[i].tentative != NULL) {
			j->state = JS_HELD;
			j->reason = b->air[i].tentative;
		}
	}
}

void
plan_expand(struct plan *p, const struct service *svc, struct jobs *js,
    struct diag *d)
{
	struct batch	 bt = { .p = p, .svc = svc, .js = js, .d = d };
	size_t		 i;

	if (p->distribution.present) {
		const struct contact	**rcpt = NULL;
		size_t			  n = 0, cap = 0;

		plan_recipients(p, &p->distribution.to, NULL, &rcpt, &n, &cap);
		bt.kind = JK_DISTRIBUTION;
		bt.object = p->id;
		bt.when = p->distribution.at.src != NULL ?
		    &p->distribution.at : &p->issued;
		bt.refers = TIMEX_NONE;
		bt.held = bt.when->tentative;
		bt.channels = p->distribution.channels;
		bt.loc = &p->distribution.loc;
		bt.key = "distribution";
		batch_run(&bt, rcpt, n);
		free(rcpt);
	}
	for (i = 0; i < p->nevents; i++)
		expand_event(&bt, &p->events[i]);
	for (i = 0; i < p->ntasks; i++)
		expand_task(&bt, &p->tasks[i]);
	for (i = 0; i < p->nbroadcasts; i++)
		expand_broadcast(&bt, &p->broadcasts[i]);
}

void
jobs_free(struct jobs *js)
{
	free(js->v);
	arena_free(js->arena);
	memset(js, 0, sizeof(*js));
}
