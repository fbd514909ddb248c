/*
 * timeline.c: jobs in time order, and the timeline table. (Its JSON is
 * written by the one JSON writer of jobs, view/out.c.)
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"
#include "util/sms.h"
#include "jobs/timeline.h"
#include "util/mem.h"

static int
cmp_job(const void *a, const void *b)
{
	const struct job *x = a, *y = b;
	int		  c;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	if ((c = strcmp(x->plan->id, y->plan->id)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if ((c = strcmp(x->object, y->object)) != 0)
		return c;
	if (x->ordinal != y->ordinal)
		return x->ordinal - y->ordinal;
	if (x->to != y->to && x->to != NULL && y->to != NULL &&
	    (c = strcmp(x->to->id, y->to->id)) != 0)
		return c;
	return x->channel - y->channel;
}

void
timeline_sort(struct jobs *js)
{
	if (js->n > 1)
		qsort(js->v, js->n, sizeof(*js->v), cmp_job);
}

int
timeline_in_range(const struct job *j, int64_t from, int64_t to)
{
	return (from == TIMEX_NONE || j->due >= from) &&
	    (to == TIMEX_NONE || j->due < to);
}

int
timeline_print_text(FILE *f, const struct jobs *js, int64_t from, int64_t to)
{
	size_t i;

	/* The heading: the columns of the rows below. */
	fprintf(f, "%-16s  %-14s %-16s %-14s %-9s %-30s %-9s %s\n", "DUE",
	    "KIND", "OBJECT", "TO", "CHANNEL", "ADDRESS", "STATE",
	    "DETAIL  REASON");
	for (i = 0; i < js->n; i++) {
		const struct job *j = &js->v[i];
		char		  due[40], extra[64] = "";
		const char	 *obj, *rcpt, *addr, *why;
		char		 *own[6] = { NULL };
		int		  k;

		if (!timeline_in_range(j, from, to))
			continue;
		/* The tables of names.c are indexed by them. */
		assert(
		    j->kind < JK__N && j->channel < CH__N && j->state < JS__N);
		tz_rfc3339(j->plan->tz, j->due, due, sizeof(due));
		due[16] = '\0';
		due[10] = ' ';
		if (j->channel == CH_SMS && j->sms_parts > 0)
			snprintf(extra, sizeof(extra), "%s/%d",
			    sms_encoding_name(
				(enum sms_encoding)j->sms_encoding),
			    j->sms_parts);
		else if (j->channel == CH_BROADCAST)
			/* The slot's name is config text: no fixed room. */
			own[0] = xasprintf("%s %ds",
			    text_safe(j->slot ? j->slot : "-", &own[1]),
			    j->duration);
		/* Texts from a config reach a terminal escaped. */
		obj = text_safe(j->object, &own[2]);
		rcpt = text_safe(j->to ? j->to->id : "-", &own[3]);
		addr = text_safe(j->address ? j->address : "-", &own[4]);
		why = text_safe(j->reason ? j->reason : "", &own[5]);
		fprintf(f, "%s  %-14s %-16s %-14s %-9s %-30s %-9s %s%s%s\n",
		    due, job_kind_names[j->kind], obj, rcpt,
		    channel_names[j->channel], addr, job_state_names[j->state],
		    own[0] != NULL ? own[0] : extra, *why ? "  " : "", why);
		for (k = 0; k < 6; k++)
			free(own[k]);
	}
	return ferror(f) ? -1 : 0;
}
