/*
 * timeline.c: printing jobs.
 */
#include <stdlib.h>
#include <string.h>

#include "util/sms.h"
#include "jobs/timeline.h"
#include "util/xmalloc.h"

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

/*
 * JSON text of strings, each encoded by jansson once: most strings of a
 * timeline (plan, kinds, objects, recipients, addresses) repeat on every
 * line, so the lines are assembled from cached pieces.
 */
struct jcache {
	struct strmap	 map;
	struct arena	*a;
};

static const char *
jstr(struct jcache *c, const char *s)
{
	const char	*v;
	json_t		*j;
	char		*enc;

	if (s == NULL)
		return "null";
	if ((v = strmap_get(&c->map, s)) != NULL)
		return v;
	j = json_string_nocheck(s);
	enc = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	v = arena_strdup(c->a, enc);
	free(enc);
	strmap_put(&c->map, arena_strdup(c->a, s), (void *)v);
	return v;
}

/* One job as its JSON line, the same text json_dumps would give. */
static void
job_json_line(struct buf *b, struct jcache *c, const struct job *j)
{
	char	 due[40];

	tz_rfc3339(j->plan->tz, j->due, due, sizeof(due));
	buf_printf(b, "{\"id\": \"%s\", \"plan\": %s, \"kind\": \"%s\", "
	    "\"object\": %s, \"recipient\": %s, \"channel\": \"%s\", "
	    "\"address\": %s, \"due\": \"%s\", \"state\": \"%s\", "
	    "\"reason\": %s", j->id, jstr(c, j->plan->id),
	    job_kind_names[j->kind], jstr(c, j->object),
	    jstr(c, j->to ? j->to->id : NULL), channel_names[j->channel],
	    jstr(c, j->address), due, job_state_names[j->state],
	    jstr(c, j->reason));
	if (j->channel == CH_SMS && j->sms_parts > 0)
		buf_printf(b, ", \"sms_parts\": %d, \"sms_encoding\": \"%s\"",
		    j->sms_parts, sms_encoding_name((enum sms_encoding)
		    j->sms_encoding));
	if (j->kind == JK_BROADCAST)
		buf_printf(b, ", \"slot\": %s, \"priority\": \"%s\", "
		    "\"duration_s\": %d", jstr(c, j->slot),
		    priority_names[j->priority], j->duration);
	buf_addc(b, '}');
}

json_t *
timeline_job_json(const struct job *j)
{
	struct buf	 b = { 0 };
	struct jcache	 c = { { 0 }, arena_new() };
	json_t		*o;

	/* The same text as the timeline: one definition of the shape. */
	job_json_line(&b, &c, j);
	o = json_loads(b.s, 0, NULL);
	buf_free(&b);
	strmap_free(&c.map);
	arena_free(c.a);
	return o;
}

int
timeline_print_json(FILE *f, const struct jobs *js, int64_t from, int64_t to)
{
	struct buf	 b = { 0 };
	struct jcache	 c = { { 0 }, arena_new() };
	size_t		 i;
	int		 first = 1;

	buf_addc(&b, '[');
	for (i = 0; i < js->n; i++) {
		if (!in_range(&js->v[i], from, to))
			continue;
		buf_adds(&b, first ? "\n" : ",\n");
		first = 0;
		job_json_line(&b, &c, &js->v[i]);
		if (b.len > 60000) {
			fwrite(b.s, 1, b.len, f);
			buf_reset(&b);
		}
	}
	buf_adds(&b, first ? "]\n" : "\n]\n");
	fwrite(b.s, 1, b.len, f);
	buf_free(&b);
	strmap_free(&c.map);
	arena_free(c.a);
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
