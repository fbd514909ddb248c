/*
 * timeline.c: printing jobs.
 */
#include <stdlib.h>
#include <string.h>

#include "sms.h"
#include "timeline.h"
#include "xmalloc.h"

static int
cmp_job(const void *a, const void *b)
{
	const struct job	*x = a, *y = b;
	int			 c;

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
	qsort(js->v, js->n, sizeof(*js->v), cmp_job);
}

static int
in_range(const struct job *j, int64_t from, int64_t to)
{
	return (from == TIMEX_NONE || j->due >= from) &&
	    (to == TIMEX_NONE || j->due < to);
}

static json_t *
json_str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
timeline_job_json(const struct job *j)
{
	json_t	*o = json_object();
	char	 due[40];

	tz_rfc3339(j->plan->tz, j->due, due, sizeof(due));
	json_object_set_new(o, "id", json_string(j->id));
	json_object_set_new(o, "plan", json_string(j->plan->id));
	json_object_set_new(o, "kind", json_string(job_kind_names[j->kind]));
	json_object_set_new(o, "object", json_string(j->object));
	json_object_set_new(o, "recipient",
	    json_str_or_null(j->to ? j->to->id : NULL));
	json_object_set_new(o, "channel",
	    json_string(channel_names[j->channel]));
	json_object_set_new(o, "address", json_str_or_null(j->address));
	json_object_set_new(o, "due", json_string(due));
	json_object_set_new(o, "state", json_string(job_state_names[j->state]));
	json_object_set_new(o, "reason", json_str_or_null(j->reason));
	if (j->channel == CH_SMS && j->sms_parts > 0) {
		json_object_set_new(o, "sms_parts", json_integer(j->sms_parts));
		json_object_set_new(o, "sms_encoding", json_string(
		    sms_encoding_name((enum sms_encoding)j->sms_encoding)));
	}
	if (j->kind == JK_BROADCAST) {
		json_object_set_new(o, "slot", json_str_or_null(j->slot));
		json_object_set_new(o, "priority",
		    json_string(priority_names[j->priority]));
		json_object_set_new(o, "duration_s", json_integer(j->duration));
	}
	return o;
}

int
timeline_print_json(FILE *f, const struct jobs *js, int64_t from, int64_t to)
{
	size_t	 i;
	int	 first = 1;

	fputs("[", f);
	for (i = 0; i < js->n; i++) {
		json_t	*o;

		if (!in_range(&js->v[i], from, to))
			continue;
		o = timeline_job_json(&js->v[i]);
		fputs(first ? "\n" : ",\n", f);
		first = 0;
		json_dumpf(o, f, JSON_PRESERVE_ORDER);
		json_decref(o);
	}
	fputs(first ? "]\n" : "\n]\n", f);
	return ferror(f) ? -1 : 0;
}

int
timeline_print_text(FILE *f, const struct jobs *js, int64_t from, int64_t to)
{
	size_t	 i;

	for (i = 0; i < js->n; i++) {
		const struct job	*j = &js->v[i];
		char			 due[40], extra[64] = "";

		if (!in_range(j, from, to))
			continue;
		tz_rfc3339(j->plan->tz, j->due, due, sizeof(due));
		due[16] = '\0';
		due[10] = ' ';
		if (j->channel == CH_SMS && j->sms_parts > 0)
			snprintf(extra, sizeof(extra), "%s/%d",
			    sms_encoding_name((enum sms_encoding)
			    j->sms_encoding), j->sms_parts);
		else if (j->kind == JK_BROADCAST)
			snprintf(extra, sizeof(extra), "%s %ds",
			    j->slot ? j->slot : "-", j->duration);
		fprintf(f, "%s  %-14s %-16s %-14s %-9s %-30s %-9s %s%s%s\n",
		    due, job_kind_names[j->kind], j->object,
		    j->to ? j->to->id : "-", channel_names[j->channel],
		    j->address ? j->address : "-", job_state_names[j->state],
		    extra, j->reason ? "  " : "", j->reason ? j->reason : "");
	}
	return ferror(f) ? -1 : 0;
}
