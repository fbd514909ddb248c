/*
 * feeds.c: GET /calendar.ics (?plan=ID) and /calendar/{AGENCY}.ics, the
 * iCalendar feeds of the engine's snapshot (deliver/live.h), gzipped once
 * on demand, with ETag, If-None-Match and Last-Modified.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>
#include <zlib.h>

#include "api/api_int.h"
#include "util/mem.h"

/*
 * The qvalue of one Accept-Encoding element's parameters at p (";q=0.5"),
 * RFC 9110 12.4.2: 1 when none, -1 when malformed.
 */
static double
coding_q(const char *p, const char *end)
{
	char  *e;
	double q;

	p += strspn(p, " \t");
	if (p == end)
		return 1;
	if (*p++ != ';')
		return -1;
	p += strspn(p, " \t");
	if ((*p != 'q' && *p != 'Q') || p[1] != '=')
		return -1;
	p += 2;
	if (*p != '0' && *p != '1')
		return -1;
	q = strtod(p, &e);
	if (e > end || q > 1 || e[strspn(e, " \t")] != *end)
		return -1;
	return q;
}

/*
 * Whether the client takes gzip (Accept-Encoding, RFC 9110 12.5.3): gzip
 * or x-gzip named with q above 0, or "*" so when gzip is not named. A
 * malformed element is left out.
 */
static int
takes_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Accept-Encoding");
	const char *p = ae, *end, *name;
	double	    gz = -1, star = -1, q;
	size_t	    n;

	for (; p != NULL && *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		name = p + strspn(p, " \t");
		n = strcspn(name, " \t;,");
		if (n == 0 || (q = coding_q(name + n, end)) < 0)
			continue;
		if ((n == 4 && strncasecmp(name, "gzip", 4) == 0) ||
		    (n == 6 && strncasecmp(name, "x-gzip", 6) == 0))
			gz = q;
		else if (n == 1 && *name == '*')
			star = q;
	}
	return gz >= 0 ? gz > 0 : star > 0;
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

/* RFC 9110 8.8.3's etagc: a byte an opaque tag may hold. */
static int
etagc(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch != 0x7f);
}

/* Whether the opaque tag t (len bytes, quotes included) is etag or its
 * gzip form "...-gz". */
static int
etag_is(const char *t, size_t len, const char *etag)
{
	static const char gz[] = "-gz\"";
	size_t		  n = strlen(etag);

	if (len == n)
		return memcmp(t, etag, n) == 0;
	return len == n - 1 + strlen(gz) && memcmp(t, etag, n - 1) == 0 &&
	    memcmp(t + n - 1, gz, strlen(gz)) == 0;
}

/*
 * Whether If-None-Match (RFC 9110 13.1.2) names etag, or its gzip form:
 * "*" alone, or a list of entity-tags, each [W/]"opaque", compared weakly
 * and whole. A header that is neither names nothing.
 */
static int
etag_match(const char *inm, const char *etag)
{
	const char *p = inm, *q;
	int	    hit = 0;

	/* A strong ETag: a quoted string. */
	assert(strlen(etag) >= 2 && etag[0] == '"' &&
	    etag[strlen(etag) - 1] == '"');
	if (inm == NULL)
		return 0;
	p += strspn(p, " \t");
	if (*p == '*')
		return p[1 + strspn(p + 1, " \t")] == '\0';
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return hit;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return 0;
		for (q = p + 1; etagc((unsigned char)*q); q++)
			;
		if (*q != '"')
			return 0;
		hit |= etag_is(p, (size_t)(q + 1 - p), etag);
		p = q + 1 + strspn(q + 1, " \t");
		if (*p != ',' && *p != '\0')
			return 0;
	}
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
	struct MHD_Response *resp;
	struct live_feed    *f;
	const char	    *plan = api_q_get(c, "plan");
	char		    *k = NULL, etag[32], date[64];
	int		     gz;
	enum MHD_Result	     rc;
	unsigned int	     status = MHD_HTTP_OK;

	assert(key != NULL && what != NULL);
	if (r->snap == NULL)
		r->snap = live_snap_get(a->live);
	if (r->snap == NULL)
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the plans are not loaded yet");
	/* ?plan= is /calendar.ics's alone (router.c). */
	assert(plan == NULL || *key == '\0');
	if (plan != NULL) {
		if (!api_id_ok(plan, 1))
			return api_error(c, MHD_HTTP_BAD_REQUEST,
			    "bad plan id");
		k = xasprintf("plan:%s", plan);
		what = "plan";
	}
	f = live_feed(r->snap, k != NULL ? k : key);
	free(k);
	if (f == NULL)
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such %s", what);
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

enum MHD_Result
api_calendar(struct api *a, struct MHD_Connection *c, struct req *r)
{
	return serve_feed(a, c, r, "", "feed");
}

enum MHD_Result
api_agency(struct api *a, struct MHD_Connection *c, struct req *r)
{
	enum MHD_Result rc;
	char	       *key;

	assert(r->id != NULL);
	if (!api_id_ok(r->id, 0))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad agency id");
	key = xasprintf("agency:%s", r->id);
	rc = serve_feed(a, c, r, key, "agency");
	free(key);
	return rc;
}
