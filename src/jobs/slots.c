/*
 * slots.c: greedy placement of broadcast items into air slots.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/slots.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/strmap.h"

/* One slot on one day, as filled so far. */
struct inst {
	int64_t day;
	int	slot;
	int64_t used; /* seconds, gaps included */
	int	count;
	int64_t base;	/* seconds the fixed airings hold, from the start */
	int	nfixed; /* fixed airings in it */
};

struct placed {
	size_t	job; /* index into js->v */
	int64_t day;
	int	slot;
	size_t	inst;
};

/* The jobs the comparators sort (qsort has no argument for them): one
 * per thread, since the API thread loads worlds beside the engine. */
static _Thread_local const struct jobs *sort_js;

static int
cmp_air(const void *a, const void *b)
{
	const struct job *x = &sort_js->v[*(const size_t *)a];
	const struct job *y = &sort_js->v[*(const size_t *)b];
	int		  c;

	if (x->priority != y->priority)
		return y->priority - x->priority;
	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	if ((c = strcmp(x->object, y->object)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

static int
cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot - y->slot;
	return cmp_air(&x->job, &y->job);
}

static const struct loc *
job_loc(const struct job *j)
{
	const struct named *n = strmap_get(j->plan->names, j->object);

	return n != NULL ? &n->loc : NULL;
}

int64_t
slots_start(const struct service *svc, const struct slot *s, int64_t day)
{
	return tz_to_utc(svc->tz, day * 86400 + (int64_t)s->start * 60);
}

static struct inst *
inst_get(struct inst **v, size_t *n, size_t *cap, int64_t day, int slot)
{
	size_t i;

	/* Newest first: placements cluster around recent instances. */
	for (i = *n; i-- > 0;)
		if ((*v)[i].day == day && (*v)[i].slot == slot)
			return &(*v)[i];
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[*n].day = day;
	(*v)[*n].slot = slot;
	(*v)[*n].used = 0;
	(*v)[*n].count = 0;
	(*v)[*n].base = 0;
	(*v)[*n].nfixed = 0;
	return &(*v)[(*n)++];
}

/* Slot indexes in order of start time. */
static int *
slot_order(const struct service *svc)
{
	int   *o = xcalloc(svc->nslots ? svc->nslots : 1, sizeof(int));
	size_t i, j;

	for (i = 0; i < svc->nslots; i++)
		o[i] = (int)i;
	for (i = 1; i < svc->nslots; i++)
		for (j = i; j > 0 &&
		     svc->slots[o[j - 1]].start > svc->slots[o[j]].start;
		     j--) {
			int t = o[j];

			o[j] = o[j - 1];
			o[j - 1] = t;
		}
	return o;
}

static int
fixed_cmp(const void *a, const void *b)
{
	const struct slots_fixed *x = *(const struct slots_fixed *const *)a;
	const struct slots_fixed *y = *(const struct slots_fixed *const *)b;

	return strcmp(x->id, y->id);
}

static int
slot_index(const struct service *svc, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < svc->nslots; i++)
		if (strcmp(svc->slots[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* A job slots_place placed or skipped before: back to its air time. */
static void
unplace(struct job *j)
{
	const struct named *n = strmap_get(j->plan->names, j->object);

	if (n != NULL && n->kind == N_BROADCAST &&
	    (size_t)j->ordinal < ((const struct broadcast *)n->p)->nair)
		j->due = ((const struct broadcast *)n->p)->air[j->ordinal].t;
	j->slot = NULL;
	j->state = JS_PENDING;
	j->reason = NULL;
	j->placed = 0;
}

void
slots_place(const struct service *svc, struct jobs *js, struct diag *d)
{
	slots_replan(svc, js, NULL, 0, d);
}

/* What one re-planning holds while it places. */
struct replan {
	const struct service *svc;
	struct jobs	     *js;
	struct diag	     *d;
	int		     *order;  /* slot_order */
	int64_t		      maxlen; /* the longest slot, seconds */
	size_t		     *todo;   /* indexes of the jobs to place */
	size_t		      ntodo, captodo;
	struct inst	     *inst;
	size_t		      ninst, capinst;
	struct placed	     *pl;
	size_t		      npl, cappl;
};

/* Settled airing f of job j: its time, slot and length as handed, and
 * the room it holds in its slot instance when it keeps one. */
static void
settle(struct replan *r, struct job *j, const struct slots_fixed *f)
{
	const struct service *svc = r->svc;
	int		      s = slot_index(svc, f->slot);
	int64_t		      day, end;
	struct inst	     *in;

	assert(f->duration >= 0 && j->kind == JK_BROADCAST);
	j->due = f->due;
	j->duration = f->duration;
	j->slot = s >= 0    ? svc->slots[s].name :
	    f->slot != NULL ? arena_strdup(r->js->arena, f->slot) :
			      NULL;
	j->placed = 1;
	if (s < 0 || !f->keep)
		return; /* ended unaired: no room */
	day = civil_day_of(tz_to_local(svc->tz, f->due));
	in = inst_get(&r->inst, &r->ninst, &r->capinst, day, s);
	end = f->due + f->duration - slots_start(svc, &svc->slots[s], day);
	if (end > in->used)
		in->used = end;
	in->base = in->used;
	in->count++;
	in->nfixed++;
}

/* Each slotted broadcast of r->js back to its air time: settled by fixed
 * (n of them, any order), or one to place (r->todo). */
static void
collect(struct replan *r, const struct slots_fixed *fixed, size_t nfixed)
{
	const struct slots_fixed **fx = NULL;
	size_t			   i;

	if (nfixed > 0) {
		fx = xcalloc(nfixed, sizeof(*fx));
		for (i = 0; i < nfixed; i++)
			fx[i] = &fixed[i];
		qsort(fx, nfixed, sizeof(*fx), fixed_cmp);
	}
	for (i = 0; i < r->js->n; i++) {
		struct job		 *j = &r->js->v[i];
		struct slots_fixed	  key;
		const struct slots_fixed *kp = &key, *const *hit = NULL;

		if (j->kind != JK_BROADCAST || j->channel != CH_BROADCAST ||
		    j->priority == PRIO_EMERGENCY)
			continue;
		if (j->placed)
			unplace(j);
		if (j->state != JS_PENDING)
			continue;
		if (nfixed > 0) {
			memcpy(key.id, j->id, sizeof(key.id));
			hit = bsearch(&kp, fx, nfixed, sizeof(*fx), fixed_cmp);
		}
		if (hit != NULL) {
			settle(r, j, *hit);
			continue;
		}
		xgrow(&r->todo, &r->captodo, r->ntodo + 1, sizeof(*r->todo));
		r->todo[r->ntodo++] = i;
	}
	free(fx);
}

/* Job todo into the first instance of slot sl on day with room for it:
 * 1 when it went in, 0 when not (-1: no later slot that day will do). */
static int
fit(struct replan *r, size_t todo, const struct slot *sl, int slot, int64_t day)
{
	const struct service *svc = r->svc;
	struct job	     *j = &r->js->v[todo];
	int64_t		      len = (int64_t)(sl->end - sl->start) * 60;
	int64_t		      st = slots_start(svc, sl, day), need;
	struct inst	     *in;

	assert(sl->end > sl->start); /* service_load refuses empty slots */

	if (!(sl->days & (1u << civil_weekday(day))))
		return 0;
	/* A high item that comes while a slot is on air goes next in it
	 * (Thông tư 39's ưu tiên: aired ahead inside the programme), after
	 * what is on air or handed there. */
	if (st < j->due && !(j->priority == PRIO_HIGH && j->due < st + len))
		return 0;
	if (j->refers != TIMEX_NONE && st >= j->refers)
		return -1;
	in = inst_get(&r->inst, &r->ninst, &r->capinst, day, slot);
	need = in->used + (in->count > 0 ? svc->gap : 0);
	if (need < j->due - st)
		need = j->due - st;
	need += j->duration;
	if (need > len)
		return 0;
	in->used = need;
	in->count++;
	xgrow(&r->pl, &r->cappl, r->npl + 1, sizeof(*r->pl));
	r->pl[r->npl].job = todo;
	r->pl[r->npl].day = day;
	r->pl[r->npl].slot = slot;
	r->pl[r->npl].inst = (size_t)(in - r->inst);
	r->npl++;
	return 1;
}

/* Job todo into the first slot with room from its air time on, or
 * skipped with the reason. */
static void
place(struct replan *r, size_t todo)
{
	const struct service *svc = r->svc;
	struct job	     *j = &r->js->v[todo];
	int64_t		      day, last;
	int		      placed = 0;

	/* collect: only the pending broadcasts of the loudspeaker. */
	assert(j->kind == JK_BROADCAST && j->channel == CH_BROADCAST &&
	    j->state == JS_PENDING && j->priority != PRIO_EMERGENCY);
	j->placed = 1;
	if (j->duration > r->maxlen) {
		j->state = JS_SKIPPED;
		j->reason = arena_printf(r->js->arena,
		    "longer (%d s) than "
		    "any slot (%lld s)",
		    j->duration, (long long)r->maxlen);
		diag_warn(r->d, job_loc(j), j->object, "broadcast is %s",
		    j->reason);
		return;
	}
	day = civil_day_of(tz_to_local(svc->tz, j->due));
	last = j->refers != TIMEX_NONE ?
	    civil_day_of(tz_to_local(svc->tz, j->refers)) :
	    day + 366;
	for (; day <= last && !placed; day++) {
		size_t s;
		int    rc = 0;

		for (s = 0; s < svc->nslots && rc == 0; s++)
			rc = fit(r, todo, &svc->slots[r->order[s]], r->order[s],
			    day);
		placed = rc == 1;
	}
	if (!placed) {
		j->state = JS_SKIPPED;
		j->reason = j->refers != TIMEX_NONE ?
		    "no slot with room before it expires" :
		    "no slot with room within a year";
		diag_warn(r->d, job_loc(j), j->object, "air[%d]: %s",
		    j->ordinal, j->reason);
	}
}

/* The running order inside each slot instance: each placed job's due its
 * start, after what is settled there, a gap between items. */
static void
run_in_order(struct replan *r)
{
	const struct service *svc = r->svc;
	int64_t		      at = 0;
	size_t		      k;

	if (r->npl > 1)
		qsort(r->pl, r->npl, sizeof(*r->pl), cmp_placed);
	for (k = 0; k < r->npl; k++) {
		const struct placed *p = &r->pl[k];
		struct job	    *j = &r->js->v[p->job];
		const struct slot   *sl = &svc->slots[p->slot];

		if (k == 0 || p->day != p[-1].day || p->slot != p[-1].slot) {
			/* After what is settled there, if anything. */
			const struct inst *in = &r->inst[p->inst];

			assert(p->inst < r->ninst && in->day == p->day &&
			    in->slot == p->slot);

			at = slots_start(svc, sl, p->day) + in->base +
			    (in->nfixed > 0 ? svc->gap : 0);
		} else
			at += svc->gap;
		/* Never before its air time (a high item in a slot on air;
		 * the room was counted so). */
		if (at < j->due)
			at = j->due;
		j->due = at;
		j->slot = sl->name;
		at += j->duration;
	}
}

void
slots_replan(const struct service *svc, struct jobs *js,
    const struct slots_fixed *fixed, size_t nfixed, struct diag *d)
{
	struct replan r = { .svc = svc, .js = js, .d = d };
	size_t	      i;

	assert(nfixed == 0 || fixed != NULL);

	if (js->arena == NULL)
		js->arena = arena_new();
	r.order = slot_order(svc);
	for (i = 0; i < svc->nslots; i++)
		if ((int64_t)(svc->slots[i].end - svc->slots[i].start) * 60 >
		    r.maxlen)
			r.maxlen = (int64_t)(svc->slots[i].end -
				       svc->slots[i].start) *
			    60;
	collect(&r, fixed, nfixed);
	sort_js = js;
	if (r.ntodo > 1)
		qsort(r.todo, r.ntodo, sizeof(*r.todo), cmp_air);
	for (i = 0; i < r.ntodo; i++)
		place(&r, r.todo[i]);
	run_in_order(&r);
	free(r.order);
	free(r.todo);
	free(r.inst);
	free(r.pl);
}
