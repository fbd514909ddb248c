/*
 * reply.c: the API's answers (JSON, text, errors with their headers) and
 * what every route reads of a request: its query, its JSON body, an id.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"
#include "util/mem.h"

int64_t
api_now(const struct api *a)
{
	return (int64_t)time(NULL) + a->offset;
}

/* Queue body (taken) with status, content type and one more header (name
 * NULL: none). */
static enum MHD_Result
reply_hdr(struct MHD_Connection *c, unsigned int status, const char *type,
    char *body, size_t len, const char *name, const char *value)
{
	struct MHD_Response *r;
	enum MHD_Result	     rc;

	assert(c != NULL && type != NULL);
	assert(status >= 100 && status <= 599);
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (name != NULL)
		MHD_add_response_header(r, name, value);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

enum MHD_Result
api_reply(struct MHD_Connection *c, unsigned int status, const char *type,
    char *body, size_t len)
{
	return reply_hdr(c, status, type, body, len, NULL, NULL);
}

/* Queue the JSON value v (a reference taken). */
enum MHD_Result
api_reply_json(struct MHD_Connection *c, unsigned int status, json_t *v)
{
	char *s, *body;

	assert(v != NULL);
	s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (s == NULL)
		fatalx("api: out of memory writing JSON");
	body = xasprintf("%s\n", s);
	free(s);
	return api_reply(c, status, "application/json", body, strlen(body));
}

/* {"error": the words of fmt} with status and the header name: value. */
static enum MHD_Result
verror(struct MHD_Connection *c, unsigned int status, const char *name,
    const char *value, const char *fmt, va_list ap)
{
	va_list aq;
	char   *msg, *s, *body;
	json_t *v;
	int	n;

	assert(status >= 400 && status <= 599);
	/* The words may quote the request: sized to them. */
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	msg = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	v = json_pack("{ss}", "error", msg);
	free(msg);
	if (v == NULL) /* not UTF-8: said without it */
		v = json_pack("{ss}", "error", "bad request");
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	body = xasprintf("%s\n", s);
	free(s);
	return reply_hdr(c, status, "application/json", body, strlen(body),
	    name, value);
}

enum MHD_Result
api_error(struct MHD_Connection *c, unsigned int status, const char *fmt, ...)
{
	va_list		ap;
	enum MHD_Result rc;

	va_start(ap, fmt);
	rc = verror(c, status, NULL, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

enum MHD_Result
api_error_hdr(struct MHD_Connection *c, unsigned int status, const char *name,
    const char *value, const char *fmt, ...)
{
	va_list		ap;
	enum MHD_Result rc;

	assert(name != NULL && value != NULL);
	va_start(ap, fmt);
	rc = verror(c, status, name, value, fmt, ap);
	va_end(ap);
	return rc;
}

/* An id the API looks up: printable ASCII or UTF-8, no "..", no '/'
 * (unless slash), not too long. */
int
api_id_ok(const char *s, int slash)
{
	size_t n, i;

	assert(s != NULL);
	n = strlen(s);
	if (n == 0 || n > API_ID_MAX || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == '/' && !slash) || s[i] == '\\')
			return 0;
	return 1;
}

/* An item's, task's or airing's reference in a path: "[PLAN:]ID", the
 * plan's id may hold a '/'. */
int
api_ref_ok(const char *ref)
{
	const char *colon = strrchr(ref, ':');

	return api_id_ok(ref, colon != NULL) &&
	    api_id_ok(colon ? colon + 1 : ref, 0);
}

json_t *
api_json_time(const struct tz *z, int64_t t)
{
	char s[64];

	if (t == TIMEX_NONE)
		return json_null();
	assert(z != NULL);
	tz_rfc3339(z, t, s, sizeof(s));
	return json_string(s);
}

/* Query parameters: each one of names, else 400 (the unknown one in
 * *bad). */
struct qcheck {
	const char *const *names;
	const char	  *bad;
};

static enum MHD_Result
q_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct qcheck *q = cls;
	size_t	       i;

	for (i = 0; q->names[i] != NULL; i++)
		if (strcmp(q->names[i], key) == 0)
			return MHD_YES;
	q->bad = key;
	return MHD_NO;
}

int
api_q_known(struct MHD_Connection *c, const char *const *names,
    const char **bad)
{
	struct qcheck q = { names, NULL };

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, q_iter, &q);
	*bad = q.bad;
	return q.bad == NULL;
}

const char *
api_q_get(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/*
 * The body as a JSON object with members of names alone (NULL: no body is
 * {}), into *out. 0, or a 400 queued (*rc) and -1.
 */
int
api_body_object(struct MHD_Connection *c, const struct req *r,
    const char *const *names, json_t **out, enum MHD_Result *rc)
{
	json_error_t je;
	const char  *k;
	json_t	    *v, *o;
	size_t	     i;

	if (r->body.len == 0) {
		*out = json_object();
		return 0;
	}
	if ((o = json_loadb(r->body.s, r->body.len, 0, &je)) == NULL ||
	    !json_is_object(o)) {
		json_decref(o);
		*rc = api_error(c, MHD_HTTP_BAD_REQUEST,
		    "the body is not a JSON object");
		return -1;
	}
	json_object_foreach(o, k, v)
	{
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], k) == 0)
				break;
		if (names[i] == NULL) {
			*rc = api_error(c, MHD_HTTP_BAD_REQUEST,
			    "unknown member \"%s\"", k);
			json_decref(o);
			return -1;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			*rc = api_error(c, MHD_HTTP_BAD_REQUEST,
			    "\"%s\" must be a string", k);
			json_decref(o);
			return -1;
		}
	}
	*out = o;
	return 0;
}

/* Member name of o as a string, NULL when absent or null. */
const char *
api_member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* A time member as the CLI reads --air: 0, or a 400 queued and -1. */
int
api_body_time(struct MHD_Connection *c, json_t *o, const char *name,
    const struct tz *z, int64_t *t, enum MHD_Result *rc)
{
	const char *s = api_member(o, name);

	if (s == NULL)
		return 0;
	if (timex_parse_instant(z, s, t) == -1) {
		*rc = api_error(c, MHD_HTTP_BAD_REQUEST,
		    "%s \"%s\": expected YYYY-MM-DD[ HH:MM[:SS]] or RFC 3339",
		    name, s);
		return -1;
	}
	return 0;
}
