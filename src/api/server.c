/*
 * server.c: the HTTP API of `loa run` (api.h, conf/REFERENCE.md §9): its
 * libmicrohttpd daemon, a request's life (its body read up to a limit, then
 * routed: router.c), the tokens read at start.
 *
 * One libmicrohttpd daemon with its own polling thread (epoll), which runs
 * every request: so the API's outbox connection and the gzip of a feed
 * are touched by that thread alone. Reads come from the outbox (WAL: they
 * never wait for the engine) and from the engine's snapshot; the two
 * writes (a task done, a delivery report) are short transactions of their
 * own, never held across network I/O.
 */
#include <assert.h>
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

#include <microhttpd.h>

#include "api/api.h"
#include "api/api_int.h"
#include "util/secret.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/buf.h"

#define API_BODY_MAX  (64 * 1024)	 /* a request's body */
#define API_DRAIN_MAX (16 * 1024 * 1024) /* read and dropped past it */
#define API_CONN_MAX  2000		 /* connections at once */
#define API_TIMEOUT   10		 /* seconds a connection may idle */
#define API_CONN_MEM  (64 * 1024)	 /* per connection: headers, buffers */

static enum MHD_Result
too_large(struct MHD_Connection *c)
{
	return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
	    "the body is larger than %d bytes", API_BODY_MAX);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct req *r = *con_cls;

	assert(a != NULL && url != NULL && method != NULL);
	assert(*upload_size == 0 || upload != NULL);
	if (r == NULL) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    "Content-Length");
		char	   *end;

		r = xcalloc(1, sizeof(*r));
		*con_cls = r;
		/* Refused before a byte of it is read. */
		if (cl != NULL &&
		    (strtoull(cl, &end, 10) > API_BODY_MAX || *end != '\0'))
			return too_large(c);
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
			return too_large(c);
		return MHD_YES;
	}
	if (r->too_big)
		return too_large(c);
	return api_route(a, c, r, url, method);
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
	free(r->id);
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
	char	   *data, why[512];
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
	/* Its first line, as the gateways' secret files. */
	if ((data = secret_file_line(path, 4096, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "loa.http.%s %s", what, why);
		return NULL;
	}
	if ((len = strlen(data)) < 16) {
		snprintf(err, errlen,
		    "loa.http.%s %s: its first line is shorter than 16 bytes",
		    what, path);
		explicit_bzero(data, len);
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
	/* Blotted from whatever loa keeps or logs (util/secret). */
	secret_keep(a->token);
	secret_keep(a->dlr_token);
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
