/*
 * apifx.c: the HTTP API without a socket (apifx.h): the libmicrohttpd
 * functions the handlers of src/api/ call, defined here so that the
 * harness's executable uses these instead of the library's; the
 * fixture's api; a request's life as server.c gives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api.h"
#include "api/api_int.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "jobs/world.h"
#include "util/diag.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/timex.h"
#include "apifx.h"
#include "fuzz.h"

struct pair {
	char *key;
	char *value; /* NULL: a query key without "=" */
};

struct MHD_Connection {
	struct pair	    *args, *hdrs;
	size_t		     nargs, nhdrs;
	int		     queued;
	struct apifx_answer *ans;
};

struct MHD_Response {
	char  *body;
	size_t len;
	char  *type;
};

const char *
MHD_lookup_connection_value(struct MHD_Connection *c, enum MHD_ValueKind kind,
    const char *key)
{
	size_t i;

	if (kind == MHD_GET_ARGUMENT_KIND) {
		for (i = 0; i < c->nargs; i++)
			if (strcmp(c->args[i].key, key) == 0)
				return c->args[i].value;
	} else if (kind == MHD_HEADER_KIND) {
		for (i = 0; i < c->nhdrs; i++)
			if (strcasecmp(c->hdrs[i].key, key) == 0)
				return c->hdrs[i].value;
	}
	return NULL;
}

int
MHD_get_connection_values(struct MHD_Connection *c, enum MHD_ValueKind kind,
    MHD_KeyValueIterator it, void *cls)
{
	struct pair *v = kind == MHD_GET_ARGUMENT_KIND ? c->args : c->hdrs;
	size_t	     n = kind == MHD_GET_ARGUMENT_KIND ? c->nargs : c->nhdrs;
	size_t	     i;

	FZ_CHECK(kind == MHD_GET_ARGUMENT_KIND || kind == MHD_HEADER_KIND);
	for (i = 0; i < n; i++)
		if (it != NULL &&
		    it(cls, kind, v[i].key, v[i].value) != MHD_YES)
			return (int)i + 1;
	return (int)n;
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = xcalloc(1, sizeof(*r));

	FZ_CHECK(size == 0 || buffer != NULL);
	r->len = size;
	r->body = xmalloc(size + 1);
	if (size > 0)
		memcpy(r->body, buffer, size);
	r->body[size] = '\0';
	if (mode == MHD_RESPMEM_MUST_FREE)
		free(buffer);
	return r;
}

enum MHD_Result
MHD_add_response_header(struct MHD_Response *r, const char *name,
    const char *value)
{
	/* libmicrohttpd refuses these: the header would be lost. */
	FZ_CHECK(name != NULL && value != NULL && name[0] != '\0');
	FZ_CHECK(strpbrk(name, "\r\n\t :") == NULL);
	FZ_CHECK(strpbrk(value, "\r\n") == NULL);
	if (strcasecmp(name, "Content-Type") == 0) {
		free(r->type);
		r->type = xstrdup(value);
	}
	return MHD_YES;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *c, unsigned int status,
    struct MHD_Response *r)
{
	FZ_CHECK(!c->queued);
	FZ_CHECK(status >= 100 && status <= 599);
	c->queued = 1;
	c->ans->status = status;
	c->ans->type = r->type != NULL ? xstrdup(r->type) : NULL;
	c->ans->body = xmalloc(r->len + 1);
	memcpy(c->ans->body, r->body, r->len + 1);
	c->ans->len = r->len;
	return MHD_YES;
}

void
MHD_destroy_response(struct MHD_Response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->type);
	free(r);
}

static struct api   a;
static struct world w;
static int64_t	    now;
static char	    store[512];
static int	    dirty;

static void
unlink_store(void)
{
	char path[600];

	unlink(store);
	snprintf(path, sizeof(path), "%s-wal", store);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", store);
	unlink(path);
}

static void
copy_file(const char *from, const char *to)
{
	char  *data;
	size_t len;
	char   err[256];

	if (fs_slurp(from, 64 * 1024 * 1024, &data, &len, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	fz_write(to, data, len);
	free(data);
}

static void
open_store(void)
{
	char err[256];

	if ((a.ob = outbox_open(store, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
}

/*
 * Some jobs handed to their gateway, as the engine records a send: a
 * delivery report finds them, /jobs shows their attempts; one SMS
 * failed with its gateway's answer kept.
 */
static void
sent_some(void)
{
	struct ob_job *v;
	size_t	       n, i;
	int64_t	       t = now + 60 * 86400;

	if (outbox_claim(a.ob, t, CH_SMS, 24, &v, &n) == -1 ||
	    outbox_begin(a.ob) == -1)
		abort();
	for (i = 0; i < n; i++) {
		if (i == 0 ? outbox_retry(a.ob, v[i].id, t, t + 600,
				 "400: number not reachable") == -1 :
			     outbox_sent(a.ob, v[i].id, v[i].rowid, t,
				 "0: Accepted for delivery") == -1)
			abort();
		ob_job_clear(&v[i]);
	}
	free(v);
	if (outbox_commit(a.ob) == -1)
		abort();
}

/*
 * The outbox anew: the seed's jobs, as the engine puts them, the first
 * time; a copy of that file (closed, so whole) after.
 */
static void
fresh_outbox(void)
{
	static char pristine[600];
	size_t	    i;
	int	    changed;

	outbox_close(a.ob);
	a.ob = NULL;
	unlink_store();
	if (pristine[0] != '\0') {
		copy_file(pristine, store);
		open_store();
		a.have = 0;
		dirty = 0;
		return;
	}
	open_store();
	if (outbox_begin(a.ob) == -1 || outbox_seen_reset(a.ob) == -1)
		abort();
	for (i = 0; i < w.jobs.n; i++)
		if (outbox_upsert(a.ob, &w.jobs.v[i], &changed) == -1)
			abort();
	if (outbox_upsert_flush(a.ob, NULL) == -1 || outbox_commit(a.ob) == -1)
		abort();
	sent_some();
	outbox_close(a.ob);
	snprintf(pristine, sizeof(pristine), "%s.seed", store);
	copy_file(store, pristine);
	open_store();
	a.have = 0;
	dirty = 0;
}

void
apifx_init(void)
{
	struct diag d = { stderr, 0, 0 };
	const char *cfg = fz_seed_config();

	log_init(-1);
	if (timex_parse_instant(tz_get("Asia/Ho_Chi_Minh"), "2025-12-01 00:00",
		&now) != 0 ||
	    world_load(&w, cfg, now, &d) != 0)
		abort();
	snprintf(store, sizeof(store), "%s", cfg);
	snprintf(strrchr(store, '/') + 1, 16, "loa.db");
	a.config = xstrdup(cfg);
	a.token = xstrdup(APIFX_TOKEN);
	a.dlr_token = xstrdup(APIFX_DLR_TOKEN);
	a.offset = now - (int64_t)time(NULL);
	a.unhealthy_after = 600;
	a.live = live_new(now);
	fresh_outbox();
	live_publish(a.live, &w, a.ob, now);
}

/* %XX decoded in place, as libmicrohttpd's unescaping does. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		unsigned int v;

		if (s[0] == '%' && s[1] != '\0' && s[2] != '\0' &&
		    sscanf(s + 1, "%2x", &v) == 1 &&
		    strspn(s + 1, "0123456789abcdefABCDEF") >= 2) {
			*o++ = (char)v;
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static void
add(struct pair **v, size_t *n, char *key, char *value)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].key = key;
	(*v)[*n].value = value;
	(*n)++;
}

static void
parse_query(struct MHD_Connection *c, char *q)
{
	char *part;

	while ((part = strsep(&q, "&")) != NULL) {
		char *eq = strchr(part, '=');

		if (eq != NULL)
			*eq = '\0';
		unescape(part);
		if (eq != NULL)
			unescape(eq + 1);
		add(&c->args, &c->nargs, xstrdup(part),
		    eq != NULL ? xstrdup(eq + 1) : NULL);
	}
}

static void
parse_headers(struct MHD_Connection *c, char *h)
{
	char *line;

	while ((line = strsep(&h, "\n")) != NULL) {
		char *colon = strchr(line, ':'), *v;

		line[strcspn(line, "\r")] = '\0';
		if (colon == NULL || colon == line)
			continue;
		*colon = '\0';
		v = colon + 1 + strspn(colon + 1, " \t");
		add(&c->hdrs, &c->nhdrs, xstrdup(line), xstrdup(v));
	}
}

static void
free_pairs(struct pair *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* What a client may rely on in any answer. */
static void
check_answer(const struct apifx_answer *ans)
{
	json_error_t je;
	json_t	    *j;

	/* The fixture's outbox and config are sound: no request, however
	 * made, is a failure of the server's own. */
	if (ans->status >= 500)
		fprintf(stderr, "fuzz: %u %.*s\n", ans->status,
		    (int)(ans->len > 200 ? 200 : ans->len), ans->body);
	FZ_CHECK(ans->status < 500);
	/* 204 and 304 have no body (RFC 9110 15.3.5, 15.4.5). */
	if (ans->status == 204 || ans->status == 304) {
		FZ_CHECK(ans->len == 0);
		return;
	}
	if (ans->type == NULL ||
	    strncmp(ans->type, "application/json", 16) != 0)
		return;
	j = json_loadb(ans->body, ans->len, 0, &je);
	if (j == NULL)
		fprintf(stderr, "fuzz: not JSON (%s): %.*s\n", je.text,
		    (int)(ans->len > 200 ? 200 : ans->len), ans->body);
	FZ_CHECK(j != NULL);
	json_decref(j);
}

void
apifx_request(const char *method, const char *target, const char *headers,
    const char *body, size_t len, struct apifx_answer *ans)
{
	struct MHD_Connection c;
	struct req	      r;
	char		     *url = xstrdup(target), *q, *h = xstrdup(headers);
	enum MHD_Result	      rc;

	if (dirty)
		fresh_outbox();
	memset(&c, 0, sizeof(c));
	memset(&r, 0, sizeof(r));
	memset(ans, 0, sizeof(*ans));
	c.ans = ans;
	if ((q = strchr(url, '?')) != NULL) {
		*q++ = '\0';
		parse_query(&c, q);
	}
	unescape(url);
	parse_headers(&c, h);
	buf_add(&r.body, body, len);
	/* A write may change the outbox: the next request gets a new one. */
	dirty = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	dirty |= strcmp(url, "/dlr") == 0;
	rc = api_route(&a, &c, &r, url, method);
	FZ_CHECK(rc == MHD_YES ? c.queued : 1);
	if (rc == MHD_YES)
		check_answer(ans);
	buf_free(&r.body);
	free(r.id);
	live_snap_put(a.live, r.snap);
	free_pairs(c.args, c.nargs);
	free_pairs(c.hdrs, c.nhdrs);
	free(url);
	free(h);
}

void
apifx_renew(int renew)
{
	dirty = renew;
}

void
apifx_free(struct apifx_answer *ans)
{
	free(ans->type);
	free(ans->body);
	memset(ans, 0, sizeof(*ans));
}
