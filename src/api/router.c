/*
 * router.c: the API's routes as one table, and the one matcher that reads
 * it: a path is a literal or holds one {id} (one byte or more, '/' too:
 * a plan's id may hold one); the id matched is copied into the request
 * (struct req's id) for the handler. A path matched with a method no row
 * of it takes is 405 with Allow; a path no row matches is 404. Writes
 * need the bearer token, checked here and nowhere else (/dlr carries its
 * own, in its query: dlr.c). Each row lists the query parameters its
 * route takes; any other is 400, named, here and nowhere else.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "api/api.h"
#include "api/api_int.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/text.h"

#define ROUTE_GET  0x1 /* GET, and HEAD (libmicrohttpd sends no body) */
#define ROUTE_POST 0x2

enum route_auth {
	ROUTE_OPEN,  /* anyone may ask */
	ROUTE_TOKEN, /* Authorization: Bearer TOKEN (loa.http.token_file) */
};

struct route {
	unsigned int	   methods;
	const char	  *path;
	enum route_auth	   auth;
	const char *const *params; /* the query parameters it takes */
	enum MHD_Result (
	    *fn)(struct api *, struct MHD_Connection *, struct req *);
};

static const char *const p_none[] = { NULL };
static const char *const p_feed[] = { "plan", NULL };
static const char *const p_outbox[] = { "state", "kind", "channel", "recipient",
	"object", "limit", "after", NULL };
static const char *const p_dlr[] = { "id", "status", "dlr_token", "answer",
	NULL };
static const char *const p_rundown[] = { "date", NULL };

/* README's table of endpoints, in its order. */
static const struct route routes[] = {
	{ ROUTE_GET, "/healthz", ROUTE_OPEN, p_none, api_healthz },
	{ ROUTE_GET, "/metrics", ROUTE_OPEN, p_none, api_metrics },
	{ ROUTE_GET, "/calendar.ics", ROUTE_OPEN, p_feed, api_calendar },
	{ ROUTE_GET, "/calendar/{AGENCY}.ics", ROUTE_OPEN, p_none, api_agency },
	{ ROUTE_GET, "/outbox", ROUTE_OPEN, p_outbox, api_outbox },
	{ ROUTE_GET, "/jobs/{ID}", ROUTE_OPEN, p_none, api_job },
	{ ROUTE_POST, "/tasks/{ID}/done", ROUTE_TOKEN, p_none, api_task_done },
	{ ROUTE_GET, "/dlr", ROUTE_OPEN, p_dlr, api_dlr },
	{ ROUTE_POST, "/broadcasts", ROUTE_TOKEN, p_none, api_bq_add },
	{ ROUTE_GET, "/broadcasts", ROUTE_OPEN, p_rundown, api_bq_rundown },
	{ ROUTE_GET, "/broadcasts/next", ROUTE_OPEN, p_none, api_bq_next },
	{ ROUTE_GET, "/broadcasts/{ID}/audio", ROUTE_OPEN, p_none,
	    api_bq_audio },
	{ ROUTE_POST, "/broadcasts/{ID}/aired", ROUTE_TOKEN, p_none,
	    api_bq_aired },
	{ ROUTE_POST, "/broadcasts/{ID}/cancel", ROUTE_TOKEN, p_none,
	    api_bq_cancel },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

int
api_secret_eq(const char *a, const char *b)
{
	size_t	      la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < lb; i++)
		d |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
	return d == 0;
}

/* Authorization: Bearer TOKEN; 0 when it is right, else the status. */
static unsigned int
auth_status(const struct api *a, struct MHD_Connection *c)
{
	static const char scheme[] = "Bearer ";
	const char	 *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		  "Authorization");

	assert(a->token != NULL); /* api_start() refuses to run without */
	if (h == NULL || strncasecmp(h, scheme, strlen(scheme)) != 0)
		return MHD_HTTP_UNAUTHORIZED;
	if (!api_secret_eq(h + strlen(scheme), a->token))
		return MHD_HTTP_FORBIDDEN;
	return 0;
}

/* The one refusal of a write: 401 with its challenge (RFC 6750), 403. */
static enum MHD_Result
refuse_auth(struct MHD_Connection *c, unsigned int status)
{
	if (status == MHD_HTTP_UNAUTHORIZED)
		return api_error_hdr(c, status, "WWW-Authenticate", "Bearer",
		    "writes need Authorization: Bearer TOKEN");
	assert(status == MHD_HTTP_FORBIDDEN);
	return api_error(c, status, "wrong token");
}

/* The path as README names it: "/tasks/ID/done". */
static void
path_words(struct buf *b, const char *path)
{
	for (; *path != '\0'; path++)
		if (*path != '{' && *path != '}')
			buf_addc(b, *path);
}

/* 400: a query parameter the route r does not take, named (one line of
 * valid UTF-8, cut), with those it takes. */
static enum MHD_Result
refuse_param(struct MHD_Connection *c, const struct route *r, const char *name)
{
	enum MHD_Result rc;
	struct buf	b = { 0 };
	char	       *shown = text_peer(name, strlen(name), 64);
	size_t		i;

	path_words(&b, r->path);
	buf_adds(&b, r->params[0] == NULL ? " takes none" : " takes ");
	for (i = 0; r->params[i] != NULL; i++) {
		if (i > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, r->params[i]);
	}
	rc = api_error(c, MHD_HTTP_BAD_REQUEST, "unknown parameter \"%s\": %s",
	    shown, b.s);
	free(shown);
	buf_free(&b);
	return rc;
}

/*
 * 405: the methods the rows of path take, in Allow (RFC 9110 15.5.6); the
 * words name the path as README does ("/tasks/ID/done").
 */
static enum MHD_Result
refuse_method(struct MHD_Connection *c, const char *path, unsigned int allow)
{
	enum MHD_Result rc;
	struct buf	b = { 0 };

	assert(allow != 0);
	path_words(&b, path);
	if (allow == ROUTE_GET)
		rc = api_error_hdr(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow",
		    "GET, HEAD", "%s takes GET", b.s);
	else if (allow == ROUTE_POST)
		rc = api_error_hdr(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow",
		    "POST", "%s takes POST", b.s);
	else
		rc = api_error_hdr(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Allow",
		    "GET, HEAD, POST", "%s takes GET or POST", b.s);
	buf_free(&b);
	return rc;
}

static unsigned int
method_bit(const char *method)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return ROUTE_GET;
	if (strcmp(method, "POST") == 0)
		return ROUTE_POST;
	return 0;
}

/*
 * Whether url is path: equal to it, or, when path holds "{name}", its
 * text before and after that with one byte or more between, which *id
 * and *idlen then give (else NULL and 0).
 */
static int
path_match(const char *path, const char *url, const char **id, size_t *idlen)
{
	const char *open = strchr(path, '{'), *close, *suffix;
	size_t	    n = strlen(url), pre, suf;

	*id = NULL;
	*idlen = 0;
	if (open == NULL)
		return strcmp(path, url) == 0;
	close = strchr(open, '}');
	assert(close != NULL && strchr(close, '{') == NULL);
	suffix = close + 1;
	pre = (size_t)(open - path);
	suf = strlen(suffix);
	if (n <= pre + suf || strncmp(url, path, pre) != 0 ||
	    strcmp(url + n - suf, suffix) != 0)
		return 0;
	*id = url + pre;
	*idlen = n - pre - suf;
	return 1;
}

enum MHD_Result
api_route(struct api *a, struct MHD_Connection *c, struct req *r,
    const char *url, const char *method)
{
	const struct route *hit = NULL, *seen = NULL;
	const char	   *id, *hid = NULL, *bad;
	size_t		    i, idlen, hlen = 0;
	unsigned int	    m, allow = 0, au;
	enum MHD_Result	    rc;

	assert(a != NULL && c != NULL && r != NULL);
	assert(url != NULL && method != NULL);
	m = method_bit(method);
	for (i = 0; i < NROUTES; i++) {
		if (!path_match(routes[i].path, url, &id, &idlen))
			continue;
		if (seen == NULL)
			seen = &routes[i];
		allow |= routes[i].methods;
		if (hit == NULL && (routes[i].methods & m) != 0) {
			hit = &routes[i];
			hid = id;
			hlen = idlen;
		}
	}
	if (seen == NULL)
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
	if (hit == NULL)
		return refuse_method(c, seen->path, allow);
	if (hit->auth == ROUTE_TOKEN && (au = auth_status(a, c)) != 0)
		return refuse_auth(c, au);
	if (!api_q_known(c, hit->params, &bad))
		return refuse_param(c, hit, bad);
	/* The route's {id}, for its handler alone. */
	assert(r->id == NULL);
	assert((strchr(hit->path, '{') != NULL) == (hid != NULL && hlen > 0));
	r->id = hid != NULL ? xstrndup(hid, hlen) : NULL;
	rc = hit->fn(a, c, r);
	free(r->id);
	r->id = NULL;
	return rc;
}
