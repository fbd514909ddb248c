/*
 * out.c: the one JSON writer of jobs (out.h), for `timeline --json`,
 * `outbox --json` and the HTTP API.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "view/out.h"
#include "deliver/bqueue.h"
#include "util/log.h"
#include "util/sms.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"
#include "util/strmap.h"
#include "util/text.h"

void
out_job_from_job(struct out_job *o, const struct job *j)
{
	memset(o, 0, sizeof(*o));
	o->id = j->id;
	o->plan = j->plan->id;
	o->kind = (enum job_kind)j->kind;
	o->object = j->object;
	o->recipient = j->to ? j->to->id : NULL;
	o->channel = (enum channel)j->channel;
	o->address = j->address;
	o->due = j->due;
	o->tz = j->plan->tz;
	o->state = (enum job_state)j->state;
	o->reason = j->reason;
	o->sms_parts = j->sms_parts;
	o->sms_encoding = j->sms_encoding;
	o->slot = j->slot;
	o->priority = (enum priority)j->priority;
	o->duration_s = j->duration;
	o->sent_at = TIMEX_NONE;
}

void
out_job_from_ob(struct out_job *o, const struct ob_job *j, const struct tz *z)
{
	memset(o, 0, sizeof(*o));
	o->id = j->id;
	o->plan = j->plan;
	o->kind = j->kind;
	o->object = j->object;
	o->recipient = j->recipient;
	o->channel = j->channel;
	o->address = j->address;
	o->due = j->due;
	o->tz = z;
	o->state = j->state;
	o->reason = j->reason;
	o->sms_parts = j->sms_parts;
	o->sms_encoding = j->sms_encoding;
	o->slot = j->slot;
	o->priority = j->priority;
	o->duration_s = j->duration;
	o->outbox = 1;
	o->attempts = j->attempts;
	o->sent_at = j->sent_at;
	o->last_error = j->last_error;
	o->payload = j->payload;
}

struct out_json {
	FILE	     *f;
	struct buf    b;
	int	      n;
	/*
	 * The JSON text of strings, each encoded by jansson once: most
	 * strings of a timeline (plan, objects, recipients, addresses)
	 * repeat on every line.
	 */
	struct strmap cache;
	struct arena *a;
};

static const char *
jstr(struct out_json *w, const char *s)
{
	const char *v;
	json_t	   *j;
	char	   *enc, *one;

	if (s == NULL)
		return "null";
	if ((v = strmap_get(&w->cache, s)) != NULL)
		return v;
	/* What is not UTF-8 (a peer's bytes kept by an older loa) is
	 * written with U+FFFD in place of each bad byte: a reader of the
	 * outbox is never stopped by what is in it. */
	if ((j = json_string(s)) == NULL) {
		char *ok = text_valid(s);

		j = json_string(ok);
		free(ok);
	}
	enc = j != NULL ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	if (enc == NULL)
		fatalx("out: out of memory encoding a JSON string");
	/* One job a line, for any reader: NEL, U+2028, U+2029 escaped. */
	one = text_json_breaks(enc);
	free(enc);
	v = arena_strdup(w->a, one);
	free(one);
	strmap_put(&w->cache, arena_strdup(w->a, s), (void *)v);
	return v;
}

/* One job as its JSON line, the same text json_dumps would give. */
static void
job_line(struct out_json *w, const struct out_job *o)
{
	struct buf *b = &w->b;
	char	    t[40];

	tz_rfc3339(o->tz, o->due, t, sizeof(t));
	/* Ids are 16 hex digits: nothing to escape, nothing to cache. */
	buf_printf(b,
	    "{\"id\": \"%s\", \"plan\": %s, \"kind\": \"%s\", "
	    "\"object\": %s, \"recipient\": %s, \"channel\": \"%s\", "
	    "\"address\": %s, \"due\": \"%s\", \"state\": \"%s\", "
	    "\"reason\": %s",
	    o->id, jstr(w, o->plan), job_kind_names[o->kind],
	    jstr(w, o->object), jstr(w, o->recipient),
	    channel_names[o->channel], jstr(w, o->address), t,
	    job_state_names[o->state], jstr(w, o->reason));
	if (o->channel == CH_SMS && o->sms_parts > 0)
		buf_printf(b, ", \"sms_parts\": %d, \"sms_encoding\": \"%s\"",
		    o->sms_parts,
		    sms_encoding_name((enum sms_encoding)o->sms_encoding));
	if (o->kind == JK_BROADCAST && o->channel == CH_BROADCAST)
		buf_printf(b,
		    ", \"slot\": %s, \"priority\": \"%s\", "
		    "\"duration_s\": %d",
		    jstr(w, o->slot), priority_names[o->priority],
		    o->duration_s);
	else if (o->kind == JK_BROADCAST)
		/* A broadcast's SMS (sms_to): no slot, no air time. */
		buf_printf(b, ", \"priority\": \"%s\"",
		    priority_names[o->priority]);
	/* A CAP Update or Cancel says so ("cap Update REFS"). */
	if (o->kind == JK_BROADCAST && o->payload != NULL)
		buf_printf(b, ", \"payload\": %s", jstr(w, o->payload));
	if (o->outbox) {
		buf_printf(b, ", \"attempts\": %d, \"sent_at\": ", o->attempts);
		if (o->sent_at != TIMEX_NONE) {
			tz_rfc3339(o->tz, o->sent_at, t, sizeof(t));
			buf_printf(b, "\"%s\"", t);
		} else
			buf_adds(b, "null");
		buf_printf(b, ", \"last_error\": %s", jstr(w, o->last_error));
	}
	buf_addc(b, '}');
}

static void
flush_buf(struct out_json *w)
{
	if (w->b.len > 0)
		fwrite(w->b.s, 1, w->b.len, w->f);
	buf_reset(&w->b);
}

struct out_json *
out_json_begin(FILE *f)
{
	struct out_json *w = xcalloc(1, sizeof(*w));

	w->f = f;
	w->a = arena_new();
	buf_addc(&w->b, '[');
	return w;
}

void
out_json_job(struct out_json *w, const struct out_job *o)
{
	buf_adds(&w->b, w->n++ == 0 ? "\n" : ",\n");
	job_line(w, o);
	if (w->b.len > 60000)
		flush_buf(w);
}

int
out_json_end(struct out_json *w)
{
	int rc;

	buf_adds(&w->b, w->n == 0 ? "]\n" : "\n]\n");
	flush_buf(w);
	rc = ferror(w->f) ? -1 : 0;
	buf_free(&w->b);
	strmap_free(&w->cache);
	arena_free(w->a);
	free(w);
	return rc;
}

json_t *
out_job_json(const struct out_job *o)
{
	struct out_json w;
	json_t	       *v;

	memset(&w, 0, sizeof(w));
	w.a = arena_new();
	/* The same text as the writer's: one definition of the shape. */
	job_line(&w, o);
	v = json_loads(w.b.s, 0, NULL);
	if (v == NULL)
		fatalx("out: the JSON of job %s does not parse", o->id);
	buf_free(&w.b);
	strmap_free(&w.cache);
	arena_free(w.a);
	return v;
}

/* A time as JSON: RFC 3339 in zone z, or null. */
static json_t *
bq_time(const struct tz *z, int64_t t)
{
	char s[40];

	if (t == TIMEX_NONE)
		return json_null();
	tz_rfc3339(z, t, s, sizeof(s));
	return json_string(s);
}

json_t *
out_str(const char *s)
{
	json_t *j;
	char   *ok;

	if (s == NULL)
		return json_null();
	if ((j = json_string(s)) != NULL)
		return j;
	/* Not UTF-8: U+FFFD for each bad byte, never a field lost. */
	ok = text_valid(s);
	j = json_string(ok);
	free(ok);
	return j;
}

json_t *
out_bq_entry(const struct tz *z, const struct bq_entry *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(e->job));
	json_object_set_new(o, "plan", out_str(e->plan));
	json_object_set_new(o, "item", out_str(e->item));
	json_object_set_new(o, "title", out_str(e->title));
	json_object_set_new(o, "priority",
	    json_string(priority_names[e->priority]));
	json_object_set_new(o, "air", bq_time(z, e->air));
	json_object_set_new(o, "planned", bq_time(z, e->planned));
	json_object_set_new(o, "duration_s", json_integer(e->duration));
	json_object_set_new(o, "slot", out_str(e->slot));
	json_object_set_new(o, "state", out_str(e->state));
	json_object_set_new(o, "on_air", json_boolean(e->on_air));
	json_object_set_new(o, "sent_at", bq_time(z, e->sent_at));
	json_object_set_new(o, "aired_at", bq_time(z, e->aired_at));
	json_object_set_new(o, "reason", out_str(e->why ? e->why : e->reason));
	return o;
}

json_t *
out_bq_item(const struct tz *z, const struct bq_item *it)
{
	json_t *o = json_object(), *a = json_array();
	size_t	k;

	json_object_set_new(o, "plan", json_string(it->plan->id));
	json_object_set_new(o, "id", json_string(it->b->id));
	json_object_set_new(o, "title", out_str(it->b->title));
	json_object_set_new(o, "priority",
	    json_string(priority_names[it->b->priority]));
	json_object_set_new(o, "cancelled", json_boolean(it->b->cancelled));
	for (k = 0; k < it->n; k++)
		json_array_append_new(a, out_bq_entry(z, &it->v[k]));
	json_object_set_new(o, "airings", a);
	return o;
}

json_t *
out_bq_rundown(const struct tz *z, const struct bq_rundown *r)
{
	json_t *o = json_object(), *sl = json_array(), *e, *u;
	size_t	i, k;
	int	y, m, d;
	char	day[16];

	civil_from_days(r->day, &y, &m, &d);
	snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, d);
	json_object_set_new(o, "date", json_string(day));
	for (i = 0; i < r->nslots; i++) {
		json_t *s = json_object(), *items = json_array();

		json_object_set_new(s, "slot", json_string(r->slots[i].name));
		json_object_set_new(s, "start", bq_time(z, r->slots[i].start));
		json_object_set_new(s, "end", bq_time(z, r->slots[i].end));
		for (k = 0; k < r->slots[i].n; k++)
			json_array_append_new(items,
			    out_bq_entry(z, &r->slots[i].v[k]));
		json_object_set_new(s, "items", items);
		json_array_append_new(sl, s);
	}
	json_object_set_new(o, "slots", sl);
	e = json_array();
	for (k = 0; k < r->nemergencies; k++)
		json_array_append_new(e, out_bq_entry(z, &r->emergencies[k]));
	json_object_set_new(o, "emergencies", e);
	u = json_array();
	for (k = 0; k < r->nunplaced; k++)
		json_array_append_new(u, out_bq_entry(z, &r->unplaced[k]));
	json_object_set_new(o, "unplaced", u);
	return o;
}

char *
out_json_text(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2)), *t;

	json_decref(v);
	if (s == NULL)
		fatalx("out of memory writing JSON");
	t = xasprintf("%s\n", s);
	free(s);
	return t;
}
