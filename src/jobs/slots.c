/*
 * slots.c: greedy placement of broadcast items into air slots.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/slots.h"
#include "util/xmalloc.h"

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

void
slots_replan(const struct service *svc, struct jobs *js,
    const struct slots_fixed *fixed, size_t nfixed, struct diag *d)
{
	size_t			  *todo = NULL, ntodo = 0, captodo = 0, i, k;
	struct inst		  *inst = NULL;
	size_t			   ninst = 0, capinst = 0;
	struct placed		  *pl = NULL;
	size_t			   npl = 0, cappl = 0;
	int64_t			   maxlen = 0;
	int			  *order = slot_order(svc);
	int64_t			   at = 0;
	const struct slots_fixed **fx = NULL;

	if (js->arena == NULL)
		js->arena = arena_new();
	if (nfixed > 0) {
		fx = xcalloc(nfixed, sizeof(*fx));
		for (i = 0; i < nfixed; i++)
			fx[i] = &fixed[i];
		qsort(fx, nfixed, sizeof(*fx), fixed_cmp);
	}
	for (i = 0; i < svc->nslots; i++)
		if ((int64_t)(svc->slots[i].end - svc->slots[i].start) * 60 >
		    maxlen)
			maxlen = (int64_t)(svc->slots[i].end -
				     svc->slots[i].start) *
			    60;
	for (i = 0; i < js->n; i++) {
		struct job		 *j = &js->v[i];
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
			const struct slots_fixed *f = *hit;
			int			  s = slot_index(svc, f->slot);
			int64_t			  day, end;
			struct inst		 *in;

			/* Settled: its time, slot and length as handed. */
			j->due = f->due;
			j->duration = f->duration;
			j->slot = s >= 0    ? svc->slots[s].name :
			    f->slot != NULL ? arena_strdup(js->arena, f->slot) :
					      NULL;
			j->placed = 1;
			if (s < 0 || !f->keep)
				continue; /* ended unaired: no room */
			day = civil_day_of(tz_to_local(svc->tz, f->due));
			in = inst_get(&inst, &ninst, &capinst, day, s);
			end = f->due + f->duration -
			    slots_start(svc, &svc->slots[s], day);
			if (end > in->used)
				in->used = end;
			in->base = in->used;
			in->count++;
			in->nfixed++;
			continue;
		}
		xgrow(&todo, &captodo, ntodo + 1, sizeof(*todo));
		todo[ntodo++] = i;
	}
	free(fx);
	sort_js = js;
	if (ntodo > 1)
		qsort(todo, ntodo, sizeof(*todo), cmp_air);

	for (k = 0; k < ntodo; k++) {
		struct job *j = &js->v[todo[k]];
		int64_t	    day, last;
		int	    placed = 0;

		j->placed = 1;
		if (j->duration > maxlen) {
			j->state = JS_SKIPPED;
			j->reason = arena_printf(js->arena,
			    "longer (%d s) than "
			    "any slot (%lld s)",
			    j->duration, (long long)maxlen);
			diag_warn(d, job_loc(j), j->object, "broadcast is %s",
			    j->reason);
			continue;
		}
		day = civil_day_of(tz_to_local(svc->tz, j->due));
		last = j->refers != TIMEX_NONE ?
		    civil_day_of(tz_to_local(svc->tz, j->refers)) :
		    day + 366;
		for (; day <= last && !placed; day++) {
			size_t s;

			for (s = 0; s < svc->nslots; s++) {
				const struct slot *sl = &svc->slots[order[s]];
				int64_t		   st, need;
				struct inst	  *in;

				if (!(sl->days & (1u << civil_weekday(day))))
					continue;
				int64_t len = (int64_t)(sl->end - sl->start) *
				    60;

				st = slots_start(svc, sl, day);
				/* A high item that comes while a slot is on
				 * air goes next in it (Thông tư 39's ưu
				 * tiên: aired ahead inside the programme),
				 * after what is on air or handed there. */
				if (st < j->due &&
				    !(j->priority == PRIO_HIGH &&
					j->due < st + len))
					continue;
				if (j->refers != TIMEX_NONE && st >= j->refers)
					break;
				in = inst_get(&inst, &ninst, &capinst, day,
				    order[s]);
				need = in->used +
				    (in->count > 0 ? svc->gap : 0);
				if (need < j->due - st)
					need = j->due - st;
				need += j->duration;
				if (need > len)
					continue;
				in->used = need;
				in->count++;
				xgrow(&pl, &cappl, npl + 1, sizeof(*pl));
				pl[npl].job = todo[k];
				pl[npl].day = day;
				pl[npl].slot = order[s];
				pl[npl].inst = (size_t)(in - inst);
				npl++;
				placed = 1;
				break;
			}
		}
		if (!placed) {
			j->state = JS_SKIPPED;
			j->reason = j->refers != TIMEX_NONE ?
			    "no slot with room before it expires" :
			    "no slot with room within a year";
			diag_warn(d, job_loc(j), j->object, "air[%d]: %s",
			    j->ordinal, j->reason);
		}
	}

	/* Running order inside each slot instance. */
	if (npl > 1)
		qsort(pl, npl, sizeof(*pl), cmp_placed);
	for (k = 0; k < npl; k++) {
		struct job	  *j = &js->v[pl[k].job];
		const struct slot *sl = &svc->slots[pl[k].slot];

		if (k == 0 || pl[k].day != pl[k - 1].day ||
		    pl[k].slot != pl[k - 1].slot) {
			/* After what is settled there, if anything. */
			const struct inst *in = &inst[pl[k].inst];

			at = slots_start(svc, sl, pl[k].day) + in->base +
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
	free(order);
	free(todo);
	free(inst);
	free(pl);
}
