/*
 * api.c: the HTTP API of `loa run` (api.h, SPEC §11).
 *
 * One libmicrohttpd daemon with its own polling thread (epoll), which runs
 * every request: so the API's outbox connection and the gzip of a feed
 * are touched by that thread alone. Reads come from the outbox (WAL: they
 * never wait for the engine) and from the engine's snapshot; the two
 * writes (a task done, a delivery report) are short transactions of their
 * own, never held across network I/O.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <zlib.h>

#include "api/api.h"
#include "cli/out.h"
#include "deliver/bqueue.h"
#include "deliver/engine.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "plan/adhoc.h"
#include "util/diag.h"
#include "render/speech.h"
#include "render/spoken.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/timex.h"
#include "util/mem.h"
#include "util/buf.h"

#define API_BODY_MAX  (64 * 1024)	 /* a request's body */
#define API_DRAIN_MAX (16 * 1024 * 1024) /* read and dropped past it */
#define API_CONN_MAX  2000		 /* connections at once */
#define API_TIMEOUT   10		 /* seconds a connection may idle */
#define API_CONN_MEM  (64 * 1024)	 /* per connection: headers, buffers */
#define API_ID_MAX    512		 /* the longest id looked at */
#define API_PAGE      100		 /* /outbox's default limit */
#define API_PAGE_MAX  1000

struct api {
	struct MHD_Daemon *d;
	struct outbox	  *ob;
	struct live	  *live;
	char		  *config; /* the broadcast routes load it */
	char		  *token;
	char		  *dlr_token;
	int64_t		   offset;
	int64_t		   unhealthy_after; /* s: /healthz says 503 */
	/* The outbox's counts, made anew when another connection wrote to
	 * it and the last ones are a second old (counts()). */
	int		   have;
	int64_t		   version;
	double		   counted_at;
	int64_t		   cnt[JS__N][JK__N][CH__N];
	int64_t		   oldest;
};

/* One request's state, freed when it completes. */
struct req {
	struct buf	  body;
	int		  too_big;
	size_t		  seen; /* body bytes read, kept or not */
	struct live_snap *snap; /* the feed served comes from it */
};

int
api_secret_eq(const char *a, const char *b)
{
	size_t	      la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < lb; i++)
		d |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return d == 0;
}

static int64_t
api_now(const struct api *a)
{
	return (int64_t)time(NULL) + a->offset;
}

/* Queue body (taken) with status and content type; MHD_YES or MHD_NO. */
static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *type,
    char *body, size_t len, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result	     rc;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	/* 405's Allow; 401's challenge (RFC 6750) */
	if (allow != NULL && strcmp(allow, "Bearer") == 0)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	else if (allow != NULL)
		MHD_add_response_header(r, "Allow", allow);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Queue the JSON value v (a reference taken). */
static enum MHD_Result
reply_json(struct MHD_Connection *c, unsigned int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	char *body;

	json_decref(v);
	if (s == NULL)
		fatalx("api: out of memory writing JSON");
	body = xasprintf("%s\n", s);
	free(s);
	return reply(c, status, "application/json", body, strlen(body), NULL);
}

static enum MHD_Result
reply_error(struct MHD_Connection *c, unsigned int status, const char *allow,
    const char *fmt, ...) LOA_PRINTF(4, 5);

static enum MHD_Result
reply_error(struct MHD_Connection *c, unsigned int status, const char *allow,
    const char *fmt, ...)
{
	va_list ap;
	char   *msg, *s, *body;
	json_t *v;
	int	n;

	/* The words may quote the request: sized to them. */
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	v = json_pack("{ss}", "error", msg);
	free(msg);
	if (v == NULL) /* not UTF-8: said without it */
		v = json_pack("{ss}", "error", "bad request");
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	body = xasprintf("%s\n", s);
	free(s);
	return reply(c, status, "application/json", body, strlen(body), allow);
}

/* An id the API looks up: printable ASCII or UTF-8, no "..", no '/'
 * (unless slash), not too long. */
static int
id_ok(const char *s, int slash)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > API_ID_MAX || strstr(s, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    (s[i] == '/' && !slash) || s[i] == '\\')
			return 0;
	return 1;
}

static void
iso_time(const struct tz *z, int64_t t, char *out, size_t len)
{
	if (t == TIMEX_NONE)
		snprintf(out, len, "-");
	else
		tz_rfc3339(z, t, out, len);
}

static json_t *
json_time(const struct tz *z, int64_t t)
{
	char s[64];

	if (t == TIMEX_NONE)
		return json_null();
	iso_time(z, t, s, sizeof(s));
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

static int
q_known(struct MHD_Connection *c, const char *const *names, const char **bad)
{
	struct qcheck q = { names, NULL };

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, q_iter, &q);
	*bad = q.bad;
	return q.bad == NULL;
}

static const char *
q_get(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The jobs by state, kind and channel, and the earliest next_at of a job
 * waiting to be sent (due or not), into a->cnt and a->oldest: counted anew when the outbox changed since,
 * at most once a second while it keeps changing (a scan of every job;
 * /healthz and /metrics stay cheap while the engine sends). So they are
 * exact once the outbox has been still for a second. 0, or -1.
 */
static int
counts(struct api *a, int64_t now)
{
	int64_t v;
	double	t = mono_now();

	if (outbox_data_version(a->ob, &v) == -1)
		return -1;
	if (a->have && (v == a->version || t - a->counted_at < 1.0))
		return 0;
	a->have = 0;
	if (outbox_counts(a->ob, a->cnt) == -1 ||
	    outbox_oldest_due(a->ob, INT64_MAX, &a->oldest) == -1)
		return -1;
	a->have = 1;
	a->version = v;
	a->counted_at = t;
	return 0;
}

/* The gateways that failed every attempt for loa.http.unhealthy_after. */
static int
gw_failing(const struct api *a, const struct live_gw *g, int64_t now)
{
	return g->used && g->fail_since != TIMEX_NONE &&
	    now - g->fail_since >= a->unhealthy_after;
}

static enum MHD_Result
get_healthz(struct api *a, struct MHD_Connection *c)
{
	struct live_view  v;
	struct live_snap *s = live_snap_get(a->live);
	const struct tz	 *z = s != NULL ? s->svc_tz : tz_get("UTC");
	int64_t		  now = api_now(a), oldest;
	int64_t		  bystate[JS__N];
	json_t		 *o = json_object(), *plans = json_array(), *ob, *gws;
	size_t		  i;
	int		  st, k, ch, ok = 1;

	live_view(a->live, &v);
	json_object_set_new(o, "version", json_string(LOA_VERSION));
	json_object_set_new(o, "now", json_time(z, now));
	json_object_set_new(o, "uptime_s", json_integer(now - v.started));
	for (i = 0; s != NULL && i < s->nplans; i++)
		json_array_append_new(plans,
		    json_pack("{sssosI}", "id", s->plans[i].id, "file",
			s->plans[i].file != NULL ?
			    json_string(s->plans[i].file) :
			    json_null(),
			"jobs", (json_int_t)s->plans[i].jobs));
	json_object_set_new(o, "plans", plans);
	if (counts(a, now) == -1) {
		json_object_set_new(o, "outbox",
		    json_pack("{ss}", "error", outbox_error(a->ob)));
		ok = 0;
	} else {
		ob = json_object();
		oldest = a->oldest != TIMEX_NONE && a->oldest <= now ?
		    a->oldest :
		    TIMEX_NONE;
		memset(bystate, 0, sizeof(bystate));
		for (st = 0; st < JS__N; st++)
			for (k = 0; k < JK__N; k++)
				for (ch = 0; ch < CH__N; ch++)
					bystate[st] += a->cnt[st][k][ch];
		for (st = 0; st < JS__N; st++)
			json_object_set_new(ob, job_state_names[st],
			    json_integer(bystate[st]));
		json_object_set_new(o, "outbox", ob);
		json_object_set_new(o, "oldest_due_s",
		    oldest == TIMEX_NONE ? json_null() :
					   json_integer(now - oldest));
	}
	gws = json_array();
	for (ch = 0; ch < CH__N; ch++) {
		const struct live_gw *g = &v.gw[ch];
		const char	     *state = "ok";
		json_t		     *go;
		double		      until = 0;

		if (!g->used)
			continue;
		if (g->paused_until > (double)now) {
			state = "paused";
			until = g->paused_until;
		} else if (gw_failing(a, g, now))
			state = "failing";
		else if (g->fail_since != TIMEX_NONE)
			state = "backing_off", until = g->backoff_until;
		if (gw_failing(a, g, now))
			ok = 0;
		go = json_pack("{ssssss}", "channel", channel_names[ch], "id",
		    g->id, "kind", g->kind);
		json_object_set_new(go, "state", json_string(state));
		json_object_set_new(go, "until",
		    until > 0 ? json_time(z, (int64_t)until) : json_null());
		json_object_set_new(go, "last_success_at",
		    json_time(z, g->last_ok));
		json_object_set_new(go, "failing_since",
		    json_time(z, g->fail_since));
		json_object_set_new(go, "last_error_at",
		    json_time(z, g->last_error_at));
		json_object_set_new(go, "last_error",
		    g->last_error_at != TIMEX_NONE ?
			json_string(g->last_error) :
			json_null());
		if (json_object_get(go, "last_error") == NULL)
			json_object_set_new(go, "last_error",
			    json_string("(not UTF-8)"));
		json_array_append_new(gws, go);
	}
	json_object_set_new(o, "gateways", gws);
	json_object_set_new(o, "status", json_string(ok ? "ok" : "failing"));
	live_snap_put(a->live, s);
	return reply_json(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
	    o);
}

/* A Prometheus label value: \, " and newline escaped. */
static void
label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

static void
hist_out(struct buf *b, const char *name, const char *lname, const char *lvalue,
    const struct live_hist *h, const double *le, int nb)
{
	int i;

	for (i = 0; i < nb; i++) {
		buf_printf(b, "%s_bucket{", name);
		if (lname != NULL) {
			buf_printf(b, "%s=\"", lname);
			label(b, lvalue);
			buf_adds(b, "\",");
		}
		buf_printf(b, "le=\"%g\"} %llu\n", le[i],
		    (unsigned long long)h->b[i]);
	}
	buf_printf(b, "%s_bucket{", name);
	if (lname != NULL) {
		buf_printf(b, "%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\",");
	}
	buf_printf(b, "le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
	buf_printf(b, "%s_sum", name);
	if (lname != NULL) {
		buf_printf(b, "{%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\"}");
	}
	buf_printf(b, " %.6f\n%s_count", h->sum, name);
	if (lname != NULL) {
		buf_printf(b, "{%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\"}");
	}
	buf_printf(b, " %llu\n", (unsigned long long)h->count);
}

/* The gateways by id: a gateway on two channels is one series. */
static void
gw_merge(const struct live_view *v, struct live_gw *out, int *n)
{
	int ch, i, k;

	*n = 0;
	for (ch = 0; ch < CH__N; ch++) {
		const struct live_gw *g = &v->gw[ch];

		if (!g->used)
			continue;
		for (i = 0; i < *n; i++)
			if (strcmp(out[i].id, g->id) == 0)
				break;
		if (i == *n) {
			out[(*n)++] = *g;
			continue;
		}
		for (k = 0; k < LO__N; k++)
			out[i].sends[k] += g->sends[k];
		for (k = 0; k < LIVE_DUR_NB; k++)
			out[i].dur.b[k] += g->dur.b[k];
		out[i].dur.count += g->dur.count;
		out[i].dur.sum += g->dur.sum;
	}
}

static enum MHD_Result
get_metrics(struct api *a, struct MHD_Connection *c)
{
	struct live_view v;
	struct live_gw	 g[CH__N];
	struct buf	 b = { 0 };
	int64_t		 now = api_now(a), oldest;
	int		 st, k, ch, n, i;

	if (counts(a, now) == -1) {
		log_warnx("api: /metrics: %s", outbox_error(a->ob));
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be read");
	}
	oldest = a->oldest != TIMEX_NONE && a->oldest <= now ? a->oldest :
							       TIMEX_NONE;
	live_view(a->live, &v);
	gw_merge(&v, g, &n);
	buf_adds(&b,
	    "# HELP loa_build_info The loa version serving, as a label.\n"
	    "# TYPE loa_build_info gauge\n");
	buf_printf(&b, "loa_build_info{version=\"%s\"} 1\n", LOA_VERSION);
	buf_adds(&b,
	    "# HELP loa_jobs Jobs in the outbox by state, kind and channel.\n"
	    "# TYPE loa_jobs gauge\n");
	for (st = 0; st < JS__N; st++)
		for (k = 0; k < JK__N; k++)
			for (ch = 0; ch < CH__N; ch++)
				if (a->cnt[st][k][ch] > 0)
					buf_printf(&b,
					    "loa_jobs{state=\"%s\",kind=\"%s\","
					    "channel=\"%s\"} %lld\n",
					    job_state_names[st],
					    job_kind_names[k],
					    channel_names[ch],
					    (long long)a->cnt[st][k][ch]);
	buf_adds(&b,
	    "# HELP loa_sends_total Answers of the gateways to sends, by "
	    "outcome.\n# TYPE loa_sends_total counter\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < LO__N; k++) {
			buf_adds(&b, "loa_sends_total{gateway=\"");
			label(&b, g[i].id);
			buf_printf(&b, "\",outcome=\"%s\"} %llu\n",
			    live_outcome_names[k],
			    (unsigned long long)g[i].sends[k]);
		}
	buf_adds(&b,
	    "# HELP loa_send_duration_seconds From a send's submit to its "
	    "gateway's answer.\n"
	    "# TYPE loa_send_duration_seconds histogram\n");
	for (i = 0; i < n; i++)
		hist_out(&b, "loa_send_duration_seconds", "gateway", g[i].id,
		    &g[i].dur, live_dur_le, LIVE_DUR_NB);
	buf_adds(&b,
	    "# HELP loa_due_lag_seconds From a job's due time to its hand-over "
	    "to a gateway.\n# TYPE loa_due_lag_seconds histogram\n");
	hist_out(&b, "loa_due_lag_seconds", NULL, NULL, &v.lag, live_lag_le,
	    LIVE_LAG_NB);
	buf_adds(&b,
	    "# HELP loa_oldest_due_seconds Age of the job waiting longest to "
	    "be sent (0: none).\n# TYPE loa_oldest_due_seconds gauge\n");
	buf_printf(&b, "loa_oldest_due_seconds %lld\n",
	    oldest == TIMEX_NONE ? 0LL : (long long)(now - oldest));
	buf_adds(&b,
	    "# HELP loa_reloads_total Reloads of the config (SIGHUP, a task "
	    "done), by result.\n# TYPE loa_reloads_total counter\n");
	buf_printf(&b,
	    "loa_reloads_total{result=\"ok\"} %llu\n"
	    "loa_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)v.reloads_ok,
	    (unsigned long long)v.reloads_failed);
	buf_adds(&b,
	    "# HELP loa_start_time_seconds When the service started, in Unix "
	    "time.\n# TYPE loa_start_time_seconds gauge\n");
	buf_printf(&b, "loa_start_time_seconds %lld\n", (long long)v.started);
	n = (int)b.len;
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	    buf_take(&b), (size_t)n, NULL);
}

/* Whether the client takes gzip (Accept-Encoding, q not 0). */
static int
takes_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Accept-Encoding");
	const char *p;

	if (ae == NULL || (p = strstr(ae, "gzip")) == NULL)
		return 0;
	p += 4;
	while (*p == ' ')
		p++;
	if (strncmp(p, ";q=0", 4) == 0) {
		p += 4;
		if (*p == '.')
			p += 1 + strspn(p + 1, "0");
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == ',')
			return 0;
	}
	return 1;
}

/* The feed's gzip, made once (the API thread's). 0, or -1. */
static int
feed_gzip(struct live_feed *f)
{
	z_stream z;
	size_t	 cap;
	int	 rc;

	if (f->gz_done)
		return f->gz != NULL ? 0 : -1;
	f->gz_done = 1;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -1;
	cap = deflateBound(&z, (uLong)f->len);
	f->gz = xmalloc(cap);
	z.next_in = (Bytef *)f->data;
	z.avail_in = (uInt)f->len;
	z.next_out = (Bytef *)f->gz;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	f->gzlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(f->gz);
		f->gz = NULL;
		return -1;
	}
	return 0;
}

/* Whether If-None-Match names etag (or its gzip form, or "*"). */
static int
etag_match(const char *inm, const char *etag)
{
	char   gz[32];
	size_t n = strlen(etag);

	if (inm == NULL)
		return 0;
	if (strchr(inm, '*') != NULL)
		return 1;
	snprintf(gz, sizeof(gz), "%.*s-gz\"", (int)(n - 1), etag);
	return strstr(inm, etag) != NULL || strstr(inm, gz) != NULL;
}

static void
http_date(int64_t t, char *out, size_t len)
{
	time_t	  tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static enum MHD_Result
serve_feed(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *key, const char *what)
{
	static const char *const names[] = { "plan", NULL };
	struct MHD_Response	*resp;
	struct live_feed	*f;
	const char		*bad, *plan = q_get(c, "plan");
	char			*k = NULL, etag[32], date[64];
	int			 gz;
	enum MHD_Result		 rc;
	unsigned int		 status = MHD_HTTP_OK;

	if (!q_known(c, names, &bad))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown parameter \"%s\"", bad);
	if (r->snap == NULL)
		r->snap = live_snap_get(a->live);
	if (r->snap == NULL)
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the plans are not loaded yet");
	if (plan != NULL && *key == '\0') {
		if (!id_ok(plan, 1))
			return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
			    "bad plan id");
		k = xasprintf("plan:%s", plan);
		what = "plan";
	} else if (plan != NULL)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "?plan= is for /calendar.ics");
	f = live_feed(r->snap, k != NULL ? k : key);
	free(k);
	if (f == NULL)
		return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such %s",
		    what);
	gz = takes_gzip(c) && feed_gzip(f) == 0;
	if (gz)
		snprintf(etag, sizeof(etag), "%.*s-gz\"",
		    (int)strlen(f->etag) - 1, f->etag);
	else
		snprintf(etag, sizeof(etag), "%s", f->etag);
	http_date(r->snap->built, date, sizeof(date));
	if (etag_match(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			   "If-None-Match"),
		f->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		resp = MHD_create_response_from_buffer(0, NULL,
		    MHD_RESPMEM_PERSISTENT);
	} else
		/* The bytes live in the snapshot, held until the request
		 * completes (completed()). */
		resp = MHD_create_response_from_buffer(gz ? f->gzlen : f->len,
		    gz ? f->gz : f->data, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	    "text/calendar; charset=utf-8");
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Last-Modified", date);
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (gz && status == MHD_HTTP_OK)
		MHD_add_response_header(resp, "Content-Encoding", "gzip");
	rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static const struct tz *
zone_of(const struct live_snap *s, const char *plan)
{
	size_t i;

	for (i = 0; s != NULL && i < s->nplans; i++)
		if (strcmp(s->plans[i].id, plan) == 0)
			return s->plans[i].tz;
	return s != NULL ? s->svc_tz : tz_get("UTC");
}

static enum MHD_Result
get_outbox(struct api *a, struct MHD_Connection *c)
{
	static const char *const names[] = { "state", "kind", "channel",
		"recipient", "object", "limit", "after", NULL };
	struct ob_filter	 f = { JS__N, JK__N, CH__N, NULL, NULL };
	const char		*bad, *s, *after = q_get(c, "after");
	struct ob_job		*v;
	struct live_snap	*snap;
	size_t			 n, i;
	long			 limit = API_PAGE;
	json_t			*o, *jobs;
	char			*end;

	if (!q_known(c, names, &bad))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown parameter \"%s\"", bad);
	if ((s = q_get(c, "state")) != NULL &&
	    job_state_from_name(s, &f.state) == -1)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown state");
	if ((s = q_get(c, "kind")) != NULL &&
	    job_kind_from_name(s, &f.kind) == -1)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown kind");
	if ((s = q_get(c, "channel")) != NULL &&
	    channel_from_name(s, &f.channel) == -1)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown channel");
	f.recipient = q_get(c, "recipient");
	f.object = q_get(c, "object");
	if ((f.recipient != NULL && !id_ok(f.recipient, 1)) ||
	    (f.object != NULL && !id_ok(f.object, 1)) ||
	    (after != NULL && *after != '\0' && !id_ok(after, 0)))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "bad recipient, object or after");
	if ((s = q_get(c, "limit")) != NULL) {
		errno = 0;
		limit = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || limit < 1 ||
		    limit > API_PAGE_MAX)
			return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
			    "limit must be 1 to %d", API_PAGE_MAX);
	}
	if (outbox_page(a->ob, &f, after, (int)limit, &v, &n) == -1) {
		log_warnx("api: /outbox: %s", outbox_error(a->ob));
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be read");
	}
	snap = live_snap_get(a->live);
	jobs = json_array();
	for (i = 0; i < n; i++) {
		struct out_job oj;

		out_job_from_ob(&oj, &v[i], zone_of(snap, v[i].plan));
		json_array_append_new(jobs, out_job_json(&oj));
	}
	o = json_object();
	json_object_set_new(o, "jobs", jobs);
	json_object_set_new(o, "next",
	    n == (size_t)limit ? json_string(v[n - 1].id) : json_null());
	for (i = 0; i < n; i++)
		ob_job_clear(&v[i]);
	free(v);
	live_snap_put(a->live, snap);
	return reply_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result
get_job(struct api *a, struct MHD_Connection *c, const char *id)
{
	struct ob_job	   j;
	struct ob_attempt *at;
	struct out_job	   oj;
	struct live_snap  *snap;
	const struct tz	  *z;
	size_t		   n, i;
	int		   found;
	json_t		  *o, *arr;

	if (!id_ok(id, 0))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL, "bad job id");
	if (outbox_get(a->ob, id, &j, &found) == -1 ||
	    (found && outbox_attempts(a->ob, id, &at, &n) == -1)) {
		log_warnx("api: /jobs: %s", outbox_error(a->ob));
		if (found)
			ob_job_clear(&j);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be read");
	}
	if (!found)
		return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such job");
	snap = live_snap_get(a->live);
	z = zone_of(snap, j.plan);
	out_job_from_ob(&oj, &j, z);
	o = out_job_json(&oj);
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "at", json_time(z, at[i].at));
		json_object_set_new(e, "outcome", json_string(at[i].outcome));
		json_object_set_new(e, "answer",
		    at[i].answer != NULL ? json_string(at[i].answer) :
					   json_null());
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "attempt_log", arr);
	ob_attempts_free(at, n);
	ob_job_clear(&j);
	live_snap_put(a->live, snap);
	return reply_json(c, MHD_HTTP_OK, o);
}

/* Authorization: Bearer TOKEN; NULL when it is right, else the status. */
static unsigned int
auth_status(struct api *a, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return MHD_HTTP_UNAUTHORIZED;
	return api_secret_eq(h + 7, a->token) ? 0 : MHD_HTTP_FORBIDDEN;
}

static enum MHD_Result
post_task_done(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *ref)
{
	struct live_snap *s;
	const char	 *colon = strrchr(ref, ':'), *task;
	char		 *plan = NULL;
	size_t		  i, matches = 0, hit = 0;
	int		  cancelled = 0;
	json_error_t	  je;
	json_t		 *body;
	enum MHD_Result	  rc;

	if (r->body.len > 0) {
		if ((body = json_loadb(r->body.s, r->body.len, 0, &je)) ==
			NULL ||
		    !json_is_object(body)) {
			json_decref(body);
			return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
			    "the body is not a JSON object");
		}
		json_decref(body);
	}
	task = colon != NULL ? colon + 1 : ref;
	if (!id_ok(ref, colon != NULL) || !id_ok(task, 0))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "bad task id");
	if (colon != NULL)
		plan = xstrndup(ref, (size_t)(colon - ref));
	if ((s = live_snap_get(a->live)) == NULL) {
		free(plan);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the plans are not loaded yet");
	}
	for (i = 0; i < s->ntasks; i++)
		if (strcmp(s->tasks[i].id, task) == 0 &&
		    (plan == NULL || strcmp(s->tasks[i].plan, plan) == 0)) {
			matches++;
			hit = i;
		}
	free(plan);
	if (matches != 1) {
		live_snap_put(a->live, s);
		return matches == 0 ?
		    reply_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such task") :
		    reply_error(c, MHD_HTTP_CONFLICT, NULL,
			"more than one plan has this task; name it as "
			"PLAN:ID");
	}
	if (outbox_begin(a->ob) == -1 ||
	    outbox_task_done(a->ob, s->tasks[hit].plan, s->tasks[hit].id,
		api_now(a), &cancelled) == -1 ||
	    outbox_commit(a->ob) == -1) {
		log_warnx("api: task done: %s", outbox_error(a->ob));
		outbox_rollback(a->ob);
		live_snap_put(a->live, s);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be written");
	}
	log_info("api: %s %s: done; %d reminder%s cancelled",
	    s->tasks[hit].plan, s->tasks[hit].id, cancelled,
	    cancelled == 1 ? "" : "s");
	/* The feed shows it done: the engine reloads, as on SIGHUP. */
	engine_request_reload();
	rc = reply_json(c, MHD_HTTP_OK,
	    json_pack("{sssssbsi}", "plan", s->tasks[hit].plan, "task",
		s->tasks[hit].id, "done", 1, "cancelled", cancelled));
	live_snap_put(a->live, s);
	return rc;
}

static enum MHD_Result
get_dlr(struct api *a, struct MHD_Connection *c)
{
	const char *id = q_get(c, "id"), *st = q_get(c, "status");
	const char *tok = q_get(c, "dlr_token"), *ans = q_get(c, "answer");
	char	   *end, *report;
	long	    status;
	int	    found, rc;

	if (a->dlr_token == NULL || tok == NULL ||
	    !api_secret_eq(tok, a->dlr_token)) {
		log_warnx("api: a delivery report with %s dlr_token refused",
		    tok == NULL ? "no" : "a wrong");
		return reply_error(c, MHD_HTTP_FORBIDDEN, NULL,
		    a->dlr_token == NULL ?
			"no loa.http.dlr_token_file: delivery reports are "
			"refused" :
			"wrong dlr_token");
	}
	if (id == NULL || st == NULL)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "id and status are needed");
	errno = 0;
	status = strtol(st, &end, 10);
	if (errno != 0 || end == st || *end != '\0' || status < 0 ||
	    status > 255)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "status must be a number");
	if (!id_ok(id, 0)) {
		log_warnx("api: a delivery report for a malformed id");
		return reply_json(c, MHD_HTTP_OK,
		    json_pack("{sbsb}", "ok", 1, "known", 0));
	}
	report = ans != NULL && *ans != '\0' ?
	    xasprintf("dlr %ld: %.200s", status, ans) :
	    xasprintf("dlr %ld", status);
	rc = outbox_dlr(a->ob, id, (int)status, report, api_now(a), &found);
	free(report);
	if (rc == -1) {
		log_warnx("api: /dlr: %s", outbox_error(a->ob));
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be written");
	}
	if (!found) {
		struct ob_job j;
		int	      known = 0;

		if (outbox_get(a->ob, id, &j, &known) == -1)
			known = 0;
		log_warnx("api: a delivery report (status %ld) for job %s, "
			  "which is %s",
		    status, id,
		    known ? job_state_names[j.state] : "not in the outbox");
		if (known)
			ob_job_clear(&j);
	} else
		log_info("api: job %s: delivery report %ld", id, status);
	return reply_json(c, MHD_HTTP_OK,
	    json_pack("{sbsb}", "ok", 1, "known", found));
}

/* Whether method is GET (or HEAD, which MHD answers without the body). */
static int
is_get(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/*
 * The loudspeaker's queue (deliver/bqueue.h), as `loa broadcast` has it:
 * each request loads the config on this thread, reads the queue from the
 * outbox, and calls the one function the CLI calls; a change tells the
 * engine to plan again (as SIGHUP does).
 */
struct bqreq {
	struct world	w;
	int		loaded;
	struct bq_state st;
	int64_t		now;
};

static void
bq_done(struct bqreq *q)
{
	bq_state_free(&q->st);
	if (q->loaded)
		world_free(&q->w);
}

/* 0, or an error queued (*rc) and -1. */
static int
bq_load(struct api *a, struct MHD_Connection *c, struct bqreq *q,
    enum MHD_Result *rc)
{
	struct diag d = { 0 };
	char	    err[512];
	int	    lr;

	memset(q, 0, sizeof(*q));
	q->now = api_now(a);
	if ((d.out = fopen("/dev/null", "w")) == NULL) {
		*rc = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "/dev/null: %s", strerror(errno));
		return -1;
	}
	lr = world_load_speech(&q->w, a->config, q->now, &speech_synth, &d);
	fclose(d.out);
	if (lr == -1) {
		world_free(&q->w);
		log_warnx("api: %s: %d error%s (loa check shows them)",
		    a->config, d.errors, d.errors == 1 ? "" : "s");
		*rc = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the config does not validate now (loa check)");
		return -1;
	}
	q->loaded = 1;
	if (bqueue_apply(a->ob, &q->w, q->now, &q->st, err, sizeof(err)) ==
	    -1) {
		log_warnx("api: broadcasts: %s", err);
		*rc = reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the outbox cannot be read");
		return -1;
	}
	return 0;
}

/* What a bqueue function said: 400, 404 or 503. */
static enum MHD_Result
bq_error(struct api *a, struct MHD_Connection *c, int rc, const char *what,
    const char *err)
{
	if (rc == BQ_NOTFOUND)
		return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, "%s", err);
	if (rc == BQ_INVALID)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL, "%s", err);
	log_warnx("api: broadcast %s: %s", what, err);
	return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
	    "the outbox cannot be written");
}

/*
 * The body as a JSON object with members of names alone (NULL: no body is
 * {}), into *out. 0, or a 400 queued (*rc) and -1.
 */
static int
body_object(struct MHD_Connection *c, const struct req *r,
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
		*rc = reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "the body is not a JSON object");
		return -1;
	}
	json_object_foreach(o, k, v)
	{
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], k) == 0)
				break;
		if (names[i] == NULL) {
			*rc = reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
			    "unknown member \"%s\"", k);
			json_decref(o);
			return -1;
		}
		if (!json_is_string(v) && !json_is_null(v)) {
			*rc = reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
			    "\"%s\" must be a string", k);
			json_decref(o);
			return -1;
		}
	}
	*out = o;
	return 0;
}

/* Member name of o as a string, NULL when absent or null. */
static const char *
member(json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* A time member as the CLI reads --air: 0, or a 400 queued and -1. */
static int
body_time(struct MHD_Connection *c, json_t *o, const char *name,
    const struct tz *z, int64_t *t, enum MHD_Result *rc)
{
	const char *s = member(o, name);

	if (s == NULL)
		return 0;
	if (timex_parse_instant(z, s, t) == -1) {
		*rc = reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "%s \"%s\": expected YYYY-MM-DD[ HH:MM[:SS]] or RFC 3339",
		    name, s);
		return -1;
	}
	return 0;
}

/* The item plan:id of the queue as list shows it, or NULL. */
static json_t *
bq_item_json(const struct bqreq *q, const char *plan, const char *id)
{
	struct bq_item *v;
	size_t		n, i;
	json_t	       *o = NULL;

	bqueue_list(&q->w, &q->st, q->now, &v, &n);
	for (i = 0; i < n && o == NULL; i++)
		if (strcmp(v[i].plan->id, plan) == 0 &&
		    strcmp(v[i].b->id, id) == 0)
			o = out_bq_item(q->w.svc->tz, &v[i]);
	bq_items_free(v, n);
	return o;
}

static enum MHD_Result
post_broadcast(struct api *a, struct MHD_Connection *c, struct req *r)
{
	static const char *const names[] = { "title", "text", "priority", "air",
		"expires", NULL };
	struct bq_new	in = { NULL, NULL, NULL, TIMEX_NONE, TIMEX_NONE };
	struct bqreq	q;
	enum MHD_Result rc;
	json_t	       *o, *item;
	char		err[512], *id;
	int		brc;

	if (body_object(c, r, names, &o, &rc) == -1)
		return rc;
	in.title = member(o, "title");
	in.text = member(o, "text");
	in.priority = member(o, "priority");
	if (in.title == NULL || in.text == NULL) {
		json_decref(o);
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "title and text are needed");
	}
	if (bq_load(a, c, &q, &rc) == -1) {
		json_decref(o);
		bq_done(&q);
		return rc;
	}
	if (body_time(c, o, "air", q.w.svc->tz, &in.air, &rc) == -1 ||
	    body_time(c, o, "expires", q.w.svc->tz, &in.expires, &rc) == -1) {
		json_decref(o);
		bq_done(&q);
		return rc;
	}
	brc = bqueue_add(a->ob, q.w.svc, &in, q.now, &id, err, sizeof(err));
	json_decref(o);
	if (brc != 0) {
		bq_done(&q);
		return bq_error(a, c, brc, "add", err);
	}
	log_info("api: broadcast %s:%s added", ADHOC_PLAN, id);
	engine_request_reload();
	/* Where it landed: the queue read again, as `broadcast add` says. */
	bq_state_free(&q.st);
	if (bqueue_apply(a->ob, &q.w, q.now, &q.st, err, sizeof(err)) == -1 ||
	    (item = bq_item_json(&q, ADHOC_PLAN, id)) == NULL)
		item = json_pack("{sssssb}", "plan", ADHOC_PLAN, "id", id,
		    "cancelled", 0);
	free(id);
	bq_done(&q);
	return reply_json(c, MHD_HTTP_CREATED, item);
}

static enum MHD_Result
get_rundown(struct api *a, struct MHD_Connection *c)
{
	static const char *const names[] = { "date", NULL };
	struct bq_rundown	 rd;
	struct bqreq		 q;
	const char		*bad, *date = q_get(c, "date");
	enum MHD_Result		 rc;
	int64_t			 t;
	char			*s;

	if (!q_known(c, names, &bad))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "unknown parameter \"%s\"", bad);
	if (date == NULL)
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "?date=YYYY-MM-DD is needed");
	if (bq_load(a, c, &q, &rc) == -1) {
		bq_done(&q);
		return rc;
	}
	if (strlen(date) != 10 ||
	    timex_parse_instant(q.w.svc->tz, date, &t) == -1) {
		bq_done(&q);
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "date \"%s\": expected YYYY-MM-DD", date);
	}
	bqueue_rundown(&q.w, &q.st, civil_day_of(tz_to_local(q.w.svc->tz, t)),
	    q.now, &rd);
	/* The bytes of `loa broadcast rundown --json`. */
	s = out_json_text(out_bq_rundown(q.w.svc->tz, &rd));
	bq_rundown_free(&rd);
	bq_done(&q);
	return reply(c, MHD_HTTP_OK, "application/json", s, strlen(s), NULL);
}

/*
 * Whether airing e of item it is for a controller to play now: handed
 * (sent), or due and still to hand (pending, failed), the states
 * `broadcast aired` takes; one recorded aired is delivered.
 */
static int
playable(const struct bq_item *it, const struct bq_entry *e, int64_t now)
{
	if (it->b->cancelled || e->title == NULL)
		return 0;
	if (strcmp(e->state, "sent") == 0)
		return 1;
	return (strcmp(e->state, "pending") == 0 ||
		   strcmp(e->state, "failed") == 0) &&
	    e->planned != TIMEX_NONE && e->planned <= now;
}

/* Emergencies first, then by planned time, priority, id. */
static int
before(const struct bq_entry *x, const struct bq_entry *y)
{
	int ex = x->priority == PRIO_EMERGENCY,
	    ey = y->priority == PRIO_EMERGENCY;

	if (ex != ey)
		return ex;
	if (x->planned != y->planned)
		return x->planned < y->planned;
	if (x->priority != y->priority)
		return x->priority > y->priority;
	return strcmp(x->job, y->job) < 0;
}

/* The playable airing that goes first (by job id: its id, else any). */
static int
pick(const struct bqreq *q, struct bq_item *v, size_t n, const char *job,
    const struct bq_item **pit, const struct bq_entry **pe)
{
	size_t i, k;

	*pit = NULL;
	*pe = NULL;
	for (i = 0; i < n; i++)
		for (k = 0; k < v[i].n; k++) {
			const struct bq_entry *e = &v[i].v[k];

			if (job != NULL ? strcmp(e->job, job) != 0 :
					  !playable(&v[i], e, q->now))
				continue;
			if (*pe == NULL || before(e, *pe)) {
				*pit = &v[i];
				*pe = e;
			}
		}
	return *pe != NULL;
}

static enum MHD_Result
get_next(struct api *a, struct MHD_Connection *c)
{
	const struct bq_item  *it;
	const struct bq_entry *e;
	struct bq_item	      *v;
	struct bqreq	       q;
	enum MHD_Result	       rc;
	size_t		       n;
	json_t		      *o;
	char		      *spoken, *audio;
	const struct tz	      *z;

	if (bq_load(a, c, &q, &rc) == -1) {
		bq_done(&q);
		return rc;
	}
	bqueue_list(&q.w, &q.st, q.now, &v, &n);
	if (!pick(&q, v, n, NULL, &it, &e)) {
		bq_items_free(v, n);
		bq_done(&q);
		rc = reply(c, MHD_HTTP_NO_CONTENT, "application/json",
		    xstrdup(""), 0, NULL);
		return rc;
	}
	z = q.w.svc->tz;
	/* SPEC §9's ID.json keys, then where it stands. */
	spoken = spoken_text(it->b->text, q.w.svc);
	audio = q.w.svc->tts_engine != NULL ?
	    xasprintf("/broadcasts/%s/audio", e->job) :
	    NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(e->job));
	json_object_set_new(o, "plan", json_string(e->plan));
	json_object_set_new(o, "object", json_string(e->item));
	json_object_set_new(o, "title", json_string(it->b->title));
	json_object_set_new(o, "text", json_string(it->b->text));
	json_object_set_new(o, "spoken",
	    spoken != NULL ? json_string(spoken) : json_null());
	json_object_set_new(o, "priority",
	    json_string(priority_names[e->priority]));
	json_object_set_new(o, "slot",
	    e->slot != NULL ? json_string(e->slot) : json_null());
	json_object_set_new(o, "planned", json_time(z, e->planned));
	json_object_set_new(o, "duration_s", json_integer(e->duration));
	json_object_set_new(o, "audio",
	    audio != NULL ? json_string(audio) : json_null());
	json_object_set_new(o, "state", json_string(e->state));
	json_object_set_new(o, "sent_at", json_time(z, e->sent_at));
	free(spoken);
	free(audio);
	bq_items_free(v, n);
	bq_done(&q);
	return reply_json(c, MHD_HTTP_OK, o);
}

static enum MHD_Result
get_audio(struct api *a, struct MHD_Connection *c, const char *job)
{
	const struct bq_item  *it;
	const struct bq_entry *e;
	struct bq_item	      *v;
	struct bqreq	       q;
	enum MHD_Result	       rc;
	size_t		       n, len;
	double		       secs;
	void		      *wav;
	char		       err[256];

	if (!id_ok(job, 0))
		return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
		    "bad airing id");
	if (bq_load(a, c, &q, &rc) == -1) {
		bq_done(&q);
		return rc;
	}
	if (q.w.svc->tts_engine == NULL) {
		bq_done(&q);
		return reply_error(c, MHD_HTTP_NOT_FOUND, NULL,
		    "no speech: broadcast.tts is not set");
	}
	bqueue_list(&q.w, &q.st, q.now, &v, &n);
	if (!pick(&q, v, n, job, &it, &e) || e->title == NULL) {
		bq_items_free(v, n);
		bq_done(&q);
		return reply_error(c, MHD_HTTP_NOT_FOUND, NULL,
		    "no such airing");
	}
	if (speech_wav(q.w.svc, it->b->text, &wav, &len, &secs, err,
		sizeof(err)) == -1) {
		log_warnx("api: %s: speech: %s", job, err);
		bq_items_free(v, n);
		bq_done(&q);
		return reply_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    "the speech cannot be made now");
	}
	bq_items_free(v, n);
	bq_done(&q);
	return reply(c, MHD_HTTP_OK, "audio/wav", wav, len, NULL);
}

static enum MHD_Result
post_aired(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *ref)
{
	static const char *const names[] = { "at", NULL };
	struct bqreq		 q;
	enum MHD_Result		 rc;
	int64_t			 at;
	json_t			*o;
	char			 err[512], job[17], t[40];
	int			 brc;

	if (body_object(c, r, names, &o, &rc) == -1)
		return rc;
	if (bq_load(a, c, &q, &rc) == -1) {
		json_decref(o);
		bq_done(&q);
		return rc;
	}
	at = q.now;
	if (body_time(c, o, "at", q.w.svc->tz, &at, &rc) == -1) {
		json_decref(o);
		bq_done(&q);
		return rc;
	}
	json_decref(o);
	brc = bqueue_aired(a->ob, &q.w, &q.st, ref, at, q.now, job, err,
	    sizeof(err));
	if (brc != 0) {
		bq_done(&q);
		return bq_error(a, c, brc, "aired", err);
	}
	tz_rfc3339(q.w.svc->tz, at, t, sizeof(t));
	log_info("api: airing %s: aired at %s", job, t);
	engine_request_reload();
	bq_done(&q);
	return reply_json(c, MHD_HTTP_OK,
	    json_pack("{ssss}", "id", job, "aired_at", t));
}

static enum MHD_Result
post_cancel(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *ref)
{
	static const char *const names[] = { NULL };
	struct bqreq		 q;
	enum MHD_Result		 rc;
	const char		*plan;
	json_t			*o;
	char			 err[512];
	int			 brc, nj;

	if (body_object(c, r, names, &o, &rc) == -1)
		return rc;
	json_decref(o);
	if (bq_load(a, c, &q, &rc) == -1) {
		bq_done(&q);
		return rc;
	}
	brc = bqueue_cancel(a->ob, &q.w, ref, q.now, &plan, &nj, err,
	    sizeof(err));
	if (brc != 0) {
		bq_done(&q);
		return bq_error(a, c, brc, "cancel", err);
	}
	log_info("api: broadcast %s: cancelled; %d airing%s", ref, nj,
	    nj == 1 ? "" : "s");
	engine_request_reload();
	o = json_pack("{sssssbsi}", "plan", plan, "ref", ref, "cancelled", 1,
	    "airings", nj);
	bq_done(&q);
	return reply_json(c, MHD_HTTP_OK, o);
}

/* An item's or airing's reference in a path: "[PLAN:]ID", the plan's id
 * may hold a '/'. */
static int
ref_ok(const char *ref)
{
	const char *colon = strrchr(ref, ':');

	return id_ok(ref, colon != NULL) && id_ok(colon ? colon + 1 : ref, 0);
}

/* The routes under /broadcasts. */
static enum MHD_Result
route_broadcasts(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method)
{
	size_t		n = strlen(url);
	const char     *tail;
	char	       *ref;
	unsigned int	au;
	enum MHD_Result rc;
	int		post = strcmp(method, "POST") == 0;

	if (strcmp(url, "/broadcasts/next") == 0) {
		if (!is_get(method))
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "GET, HEAD", "%s takes GET", url);
		return get_next(a, c);
	}
	if (strcmp(url, "/broadcasts") != 0) {
		if ((tail = strrchr(url, '/')) == NULL || tail - url <= 12 ||
		    (strcmp(tail, "/aired") != 0 &&
			strcmp(tail, "/cancel") != 0 &&
			strcmp(tail, "/audio") != 0))
			return reply_error(c, MHD_HTTP_NOT_FOUND, NULL,
			    "no such endpoint");
		if (strcmp(tail, "/audio") == 0 ? !is_get(method) : !post)
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    strcmp(tail, "/audio") == 0 ? "GET, HEAD" : "POST",
			    "/broadcasts/ID%s takes %s", tail,
			    strcmp(tail, "/audio") == 0 ? "GET" : "POST");
	} else if (is_get(method))
		return get_rundown(a, c);
	else if (!post)
		return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "GET, HEAD, POST", "%s takes GET or POST", url);
	else
		tail = NULL;
	if (tail == NULL || strcmp(tail, "/audio") != 0) {
		if ((au = auth_status(a, c)) != 0)
			return reply_error(c, au,
			    au == MHD_HTTP_UNAUTHORIZED ? "Bearer" : NULL, "%s",
			    au == MHD_HTTP_UNAUTHORIZED ?
				"writes need Authorization: Bearer TOKEN" :
				"wrong token");
	}
	if (tail == NULL)
		return post_broadcast(a, c, r);
	ref = xstrndup(url + 12, (size_t)(tail - url) - 12);
	if (!ref_ok(ref))
		rc = reply_error(c, MHD_HTTP_BAD_REQUEST, NULL, "bad id");
	else if (strcmp(tail, "/audio") == 0)
		rc = get_audio(a, c, ref);
	else if (strcmp(tail, "/aired") == 0)
		rc = post_aired(a, c, r, ref);
	else
		rc = post_cancel(a, c, r, ref);
	free(ref);
	(void)n;
	return rc;
}

static enum MHD_Result
route(struct api *a, struct MHD_Connection *c, struct req *r, const char *url,
    const char *method)
{
	size_t	     n = strlen(url);
	unsigned int au;

	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0 ||
	    strcmp(url, "/calendar.ics") == 0 || strcmp(url, "/outbox") == 0 ||
	    strcmp(url, "/dlr") == 0 ||
	    (strncmp(url, "/calendar/", 10) == 0 && n > 14 &&
		strcmp(url + n - 4, ".ics") == 0) ||
	    strncmp(url, "/jobs/", 6) == 0) {
		if (!is_get(method))
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "GET, HEAD", "%s takes GET", url);
		if (strcmp(url, "/healthz") == 0)
			return get_healthz(a, c);
		if (strcmp(url, "/metrics") == 0)
			return get_metrics(a, c);
		if (strcmp(url, "/calendar.ics") == 0)
			return serve_feed(a, c, r, "", "feed");
		if (strcmp(url, "/outbox") == 0)
			return get_outbox(a, c);
		if (strcmp(url, "/dlr") == 0)
			return get_dlr(a, c);
		if (strncmp(url, "/jobs/", 6) == 0)
			return get_job(a, c, url + 6);
		{
			char	       *ag = xstrndup(url + 10, n - 14), *key;
			enum MHD_Result rc;

			if (!id_ok(ag, 0)) {
				free(ag);
				return reply_error(c, MHD_HTTP_BAD_REQUEST,
				    NULL, "bad agency id");
			}
			key = xasprintf("agency:%s", ag);
			free(ag);
			rc = serve_feed(a, c, r, key, "agency");
			free(key);
			return rc;
		}
	}
	if (strncmp(url, "/tasks/", 7) == 0 && n > 12 &&
	    strcmp(url + n - 5, "/done") == 0) {
		char	       *ref;
		enum MHD_Result rc;

		if (strcmp(method, "POST") != 0)
			return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "POST", "%s takes POST", "/tasks/ID/done");
		if ((au = auth_status(a, c)) != 0)
			return reply_error(c, au,
			    au == MHD_HTTP_UNAUTHORIZED ? "Bearer" : NULL, "%s",
			    au == MHD_HTTP_UNAUTHORIZED ?
				"writes need Authorization: Bearer TOKEN" :
				"wrong token");
		ref = xstrndup(url + 7, n - 12);
		rc = post_task_done(a, c, r, ref);
		free(ref);
		return rc;
	}
	if (strcmp(url, "/broadcasts") == 0 ||
	    strncmp(url, "/broadcasts/", 12) == 0)
		return route_broadcasts(a, c, r, url, method);
	return reply_error(c, MHD_HTTP_NOT_FOUND, NULL, "no such endpoint");
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (r == NULL) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		char	   *end;

		r = xcalloc(1, sizeof(*r));
		*con_cls = r;
		/* Refused before a byte of it is read. */
		if (cl != NULL &&
		    (strtoull(cl, &end, 10) > API_BODY_MAX || *end != '\0'))
			return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
			    "the body is larger than %d bytes", API_BODY_MAX);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/*
		 * Past the limit the rest is read and dropped, so that the
		 * 413 reaches a client still sending (closing on unread data
		 * would reset the connection before it reads the answer); a
		 * client that sends without end is cut off at API_DRAIN_MAX.
		 */
		if (r->too_big || r->body.len + *upload_size > API_BODY_MAX)
			r->too_big = 1;
		else
			buf_add(&r->body, upload, *upload_size);
		r->seen += *upload_size;
		*upload_size = 0;
		if (r->too_big && r->seen > API_DRAIN_MAX)
			return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
			    "the body is larger than %d bytes", API_BODY_MAX);
		return MHD_YES;
	}
	if (r->too_big)
		return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		    "the body is larger than %d bytes", API_BODY_MAX);
	return route(a, c, r, url, method);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	buf_free(&r->body);
	live_snap_put(a->live, r->snap);
	free(r);
	*con_cls = NULL;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	va_list aq;
	char   *m;
	int	n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return;
	m = xmalloc((size_t)n + 1);
	vsnprintf(m, (size_t)n + 1, fmt, ap);
	m[strcspn(m, "\n")] = '\0';
	log_warnx("api: %s", m);
	free(m);
}

/* A token from path: the file must be its owner's alone. */
static char *
token_read(const char *what, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	char	   *data;
	size_t	    len;

	if (path == NULL) {
		snprintf(err, errlen,
		    "loa.http.listen is set but loa.http.%s is not: writes "
		    "need a token",
		    what);
		return NULL;
	}
	if (stat(path, &sb) == -1) {
		snprintf(err, errlen, "loa.http.%s %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		    "loa.http.%s %s: readable by others (mode %03o); "
		    "chmod 600 it",
		    what, path, (unsigned)(sb.st_mode & 0777));
		return NULL;
	}
	if (fs_slurp(path, 4096, &data, &len, err, errlen) == -1)
		return NULL;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		data[--len] = '\0';
	if (len < 16 || strlen(data) != len) {
		snprintf(err, errlen,
		    "loa.http.%s %s: empty, shorter than 16 bytes or holding a "
		    "NUL byte",
		    what, path);
		free(data);
		return NULL;
	}
	return data;
}

/* "host:port" or "[v6]:port" into *ss. 0, or -1 with err set. */
static int
listen_addr(const char *listen, struct sockaddr_storage *ss, socklen_t *sl,
    int *v6, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	const char     *colon = strrchr(listen, ':');
	char	       *host;
	int		e;

	if (colon == NULL || colon[1] == '\0' || colon == listen) {
		snprintf(err, errlen,
		    "loa.http.listen \"%s\": expected HOST:PORT or "
		    "[IPv6]:PORT",
		    listen);
		return -1;
	}
	if (listen[0] == '[') {
		if (colon[-1] != ']') {
			snprintf(err, errlen,
			    "loa.http.listen \"%s\": expected [IPv6]:PORT",
			    listen);
			return -1;
		}
		host = xstrndup(listen + 1, (size_t)(colon - listen - 2));
	} else
		host = xstrndup(listen, (size_t)(colon - listen));
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	e = getaddrinfo(host, colon + 1, &hints, &res);
	free(host);
	if (e != 0) {
		snprintf(err, errlen, "loa.http.listen \"%s\": %s", listen,
		    gai_strerror(e));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	*v6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return 0;
}

struct api *
api_start(const struct api_opts *o, char *err, size_t errlen)
{
	struct api	       *a = xcalloc(1, sizeof(*a));
	struct sockaddr_storage ss;
	struct rlimit		rl;
	sigset_t		set, old;
	socklen_t		sl;
	int			v6;

	a->live = o->live;
	a->offset = o->offset;
	a->unhealthy_after = o->unhealthy_after > 0 ? o->unhealthy_after : 600;
	a->config = xstrdup(o->config);
	if (listen_addr(o->listen, &ss, &sl, &v6, err, errlen) == -1 ||
	    (a->token = token_read("token_file", o->token_file, err, errlen)) ==
		NULL ||
	    (o->dlr_token_file != NULL &&
		(a->dlr_token = token_read("dlr_token_file", o->dlr_token_file,
		     err, errlen)) == NULL)) {
		api_stop(a);
		return NULL;
	}
	if ((a->ob = outbox_open(o->store, err, errlen)) == NULL) {
		api_stop(a);
		return NULL;
	}
	/* Room for every connection: its descriptors beside the engine's. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 &&
	    rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* The signals are the service loop's: the API's thread never takes
	 * them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	a->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
		MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handler, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
	    NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEM,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, a, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->d == NULL) {
		snprintf(err, errlen, "loa.http.listen %s: cannot listen there",
		    o->listen);
		api_stop(a);
		return NULL;
	}
	log_info("api: listening on %s", o->listen);
	return a;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	if (a->d != NULL)
		MHD_stop_daemon(a->d);
	outbox_close(a->ob);
	if (a->token != NULL)
		explicit_bzero(a->token, strlen(a->token));
	if (a->dlr_token != NULL)
		explicit_bzero(a->dlr_token, strlen(a->dlr_token));
	free(a->token);
	free(a->dlr_token);
	free(a->config);
	free(a);
}
