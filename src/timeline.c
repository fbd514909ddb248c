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
	if (js->n > 1)
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
	/* Everything here is UTF-8 checked on load: skip jansson's check. */
	return s != NULL ? json_string_nocheck(s) : json_null();
}

/*
 * Set the members of o from job j. o may hold the members of an earlier
 * job: fixed members are replaced in place (keeping their order), the
 * optional ones are removed first.
 */
static void
job_json_fill(json_t *o, const struct job *j)
{
	char	 due[40];

	json_object_del(o, "sms_parts");
	json_object_del(o, "sms_encoding");
	json_object_del(o, "slot");
	json_object_del(o, "priority");
	json_object_del(o, "duration_s");
	tz_rfc3339(j->plan->tz, j->due, due, sizeof(due));
	json_object_set_new_nocheck(o, "id", json_string_nocheck(j->id));
	json_object_set_new_nocheck(o, "plan", json_str_or_null(j->plan->id));
	json_object_set_new_nocheck(o, "kind",
	    json_string_nocheck(job_kind_names[j->kind]));
	json_object_set_new_nocheck(o, "object", json_str_or_null(j->object));
	json_object_set_new_nocheck(o, "recipient",
	    json_str_or_null(j->to ? j->to->id : NULL));
	json_object_set_new_nocheck(o, "channel",
	    json_string_nocheck(channel_names[j->channel]));
	json_object_set_new_nocheck(o, "address", json_str_or_null(j->address));
	json_object_set_new_nocheck(o, "due", json_string_nocheck(due));
	json_object_set_new_nocheck(o, "state",
	    json_string_nocheck(job_state_names[j->state]));
	json_object_set_new_nocheck(o, "reason", json_str_or_null(j->reason));
	if (j->channel == CH_SMS && j->sms_parts > 0) {
		json_object_set_new_nocheck(o, "sms_parts",
		    json_integer(j->sms_parts));
		json_object_set_new_nocheck(o, "sms_encoding",
		    json_string_nocheck(sms_encoding_name(
		    (enum sms_encoding)j->sms_encoding)));
	}
	if (j->kind == JK_BROADCAST) {
		json_object_set_new_nocheck(o, "slot",
		    json_str_or_null(j->slot));
		json_object_set_new_nocheck(o, "priority",
		    json_string_nocheck(priority_names[j->priority]));
		json_object_set_new_nocheck(o, "duration_s",
		    json_integer(j->duration));
	}
}

json_t *
timeline_job_json(const struct job *j)
{
	json_t	*o = json_object();

	job_json_fill(o, j);
	return o;
}

/* jansson's dump callback: collect into a struct buf. */
static int
dump_to_buf(const char *s, size_t n, void *arg)
{
	buf_add(arg, s, n);
	return 0;
}

int
timeline_print_json(FILE *f, const struct jobs *js, int64_t from, int64_t to)
{
	struct buf	 b = { 0 };
	json_t		*o = json_object();
	char		 scratch[4096];
	size_t		 i, n;
	int		 first = 1;

	/* jansson writes a FILE token by token: batch into a buffer. */
	buf_addc(&b, '[');
	for (i = 0; i < js->n; i++) {
		if (!in_range(&js->v[i], from, to))
			continue;
		/* One object, refilled: no hash table built per job. */
		job_json_fill(o, &js->v[i]);
		buf_adds(&b, first ? "\n" : ",\n");
		first = 0;
		n = json_dumpb(o, scratch, sizeof(scratch),
		    JSON_PRESERVE_ORDER);
		if (n <= sizeof(scratch))
			buf_add(&b, scratch, n);
		else
			json_dump_callback(o, dump_to_buf, &b,
			    JSON_PRESERVE_ORDER);
		if (b.len > 60000) {
			fwrite(b.s, 1, b.len, f);
			buf_reset(&b);
		}
	}
	json_decref(o);
	buf_adds(&b, first ? "]\n" : "\n]\n");
	fwrite(b.s, 1, b.len, f);
	buf_free(&b);
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
