/*
 * server.c: the HTTP API of `loa run` (api.h, conf/REFERENCE.md §9): its
 * libmicrohttpd daemon, a request's life (its body read up to a limit, then
 * routed: router.c), the tokens read at start.
 *
 * One libmicrohttpd daemon run by a thread of ours (epoll), which runs
 * every request: so the API's outbox connection and the gzip of a feed
 * are touched by that thread alone. Between its rounds that thread closes
 * each connection whose request has not arrived whole within
 * loa.http.request_timeout of its accept (or of its last answer): a
 * client trickling a header line a second defeats an idle timeout, not
 * this one. libmicrohttpd bounds the connections of one address. Reads
 * come from the outbox (WAL: they never wait for the engine) and from the
 * engine's snapshot; the two writes (a task done, a delivery report) are
 * short transactions of their own, never held across network I/O.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
#define API_PER_ADDR  512		 /* connections of one address */
#define API_LOG_QUIET 10		 /* s: a repeated message is counted */
#define API_CONN_MEM  (64 * 1024)	 /* per connection: headers, buffers */

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* n waits for a whole request from now on: last in a->pend. */
static void
pend(struct api *a, struct api_conn *n)
{
	assert(!n->pending);
	n->deadline = mono() + a->request_timeout;
	n->pending = 1;
	n->next = NULL;
	n->prev = a->pend_tail;
	if (a->pend_tail != NULL)
		a->pend_tail->next = n;
	else
		a->pend_head = n;
	a->pend_tail = n;
}

/* n's request arrived whole (or n is gone): out of a->pend. */
static void
unpend(struct api *a, struct api_conn *n)
{
	if (n == NULL || !n->pending)
		return;
	if (n->prev != NULL)
		n->prev->next = n->next;
	else
		a->pend_head = n->next;
	if (n->next != NULL)
		n->next->prev = n->prev;
	else
		a->pend_tail = n->prev;
	n->prev = n->next = NULL;
	n->pending = 0;
}

/* The request on c arrived whole: its connection's deadline is off. */
static void
arrived(struct api *a, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci != NULL)
		unpend(a, ci->socket_context);
}

/* Connections coming and going: each waits for its first request. */
static void
notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct api		       *a = cls;
	struct api_conn		       *n = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		n = xcalloc(1, sizeof(*n));
		n->fd = ci != NULL ? ci->connect_fd : -1;
		pend(a, n);
		*socket_context = n;
	} else if (n != NULL) {
		unpend(a, n);
		free(n);
		*socket_context = NULL;
	}
}

/*
 * Close each connection past its deadline: shut down, libmicrohttpd sees
 * the end of it in its next round and frees it. The thread of d only.
 */
static void
sweep(struct api *a)
{
	double now = mono();
	int    cut = 0;

	while (a->pend_head != NULL && a->pend_head->deadline <= now) {
		struct api_conn *n = a->pend_head;

		unpend(a, n);
		if (n->fd != -1)
			shutdown(n->fd, SHUT_RDWR);
		cut++;
	}
	if (cut > 0)
		log_warnx("api: %d connection%s closed: no whole request in "
			  "%g s",
		    cut, cut == 1 ? "" : "s", a->request_timeout);
}

/* The count of a message repeated (mhd_log), said once it is quiet. */
static void
log_again(struct api *a, int force)
{
	if (a->log_again > 0 &&
	    (force || mono() - a->log_at >= API_LOG_QUIET)) {
		log_warnx("api: %ld more in %d s: %s", a->log_again,
		    API_LOG_QUIET, a->log_last);
		a->log_again = 0;
		a->log_at = mono();
	}
}

/*
 * libmicrohttpd's messages into the log. The same message again within
 * API_LOG_QUIET s (a connection refused per client address, at each
 * connect of a flood) is counted, and the count logged once that long
 * has passed (serve()): a flood does not flood the log.
 */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct api *a = cls;
	va_list	    aq;
	char	   *m;
	int	    n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n <= 0)
		return;
	m = xmalloc((size_t)n + 1);
	vsnprintf(m, (size_t)n + 1, fmt, ap);
	m[strcspn(m, "\n")] = '\0';
	if (strncmp(m, a->log_last, sizeof(a->log_last) - 1) == 0 &&
	    mono() - a->log_at < API_LOG_QUIET) {
		a->log_again++;
		free(m);
		return;
	}
	log_again(a, 1);
	log_warnx("api: %s", m);
	snprintf(a->log_last, sizeof(a->log_last), "%s", m);
	a->log_at = mono();
	free(m);
}

/* The API's thread: libmicrohttpd's rounds (its epoll descriptor ready
 * or a timeout due), each followed by a sweep, until api_stop. */
static void *
serve(void *arg)
{
	struct api		   *a = arg;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->d,
	    MHD_DAEMON_INFO_EPOLL_FD);
	struct pollfd		    p[2];

	assert(di != NULL);
	p[0].fd = di->epoll_fd;
	p[1].fd = a->wake[0];
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		MHD_UNSIGNED_LONG_LONG to;
		int		       ms = -1;
		double		       w;

		if (MHD_get_timeout(a->d, &to) == MHD_YES)
			ms = to > INT_MAX ? INT_MAX : (int)to;
		if (a->log_again > 0 && (ms < 0 || ms > API_LOG_QUIET * 1000))
			ms = API_LOG_QUIET * 1000;
		if (a->pend_head != NULL) {
			w = ceil((a->pend_head->deadline - mono()) * 1000);
			w = w < 0 ? 0 : w;
			if (ms < 0 || w < ms)
				ms = (int)w;
		}
		if (poll(p, 2, ms) == -1 && errno != EINTR) {
			log_warn("api: poll");
			break;
		}
		if (p[1].revents != 0)
			break;
		MHD_run(a->d);
		sweep(a);
		log_again(a, 0);
	}
	log_again(a, 1);
	return NULL;
}

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
		    (strtoull(cl, &end, 10) > API_BODY_MAX || *end != '\0')) {
			arrived(a, c);
			return too_large(c);
		}
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
	arrived(a, c);
	if (r->too_big)
		return too_large(c);
	return api_route(a, c, r, url, method);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api		       *a = cls;
	struct req		       *r = *con_cls;
	const union MHD_ConnectionInfo *ci;

	/* Answered: the connection may carry another request, which has
	 * request_timeout to arrive whole from now. */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && ci != NULL &&
	    ci->socket_context != NULL) {
		unpend(a, ci->socket_context);
		pend(a, ci->socket_context);
	}
	if (r == NULL)
		return;
	buf_free(&r->body);
	free(r->id);
	live_snap_put(a->live, r->snap);
	free(r);
	*con_cls = NULL;
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
	a->request_timeout = o->request_timeout > 0 ?
	    (double)o->request_timeout :
	    API_TIMEOUT;
	a->wake[0] = a->wake[1] = -1;
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
	a->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
		(v6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handler, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)API_CONN_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)(o->client_conns > 0 ? o->client_conns :
						 API_PER_ADDR),
	    MHD_OPTION_NOTIFY_CONNECTION, notify_conn, a,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)API_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEM,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)1024,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, a, MHD_OPTION_END);
	if (a->d != NULL && pipe(a->wake) == 0 &&
	    fcntl(a->wake[0], F_SETFD, FD_CLOEXEC) == 0 &&
	    fcntl(a->wake[1], F_SETFD, FD_CLOEXEC) == 0 &&
	    pthread_create(&a->thr, NULL, serve, a) == 0)
		a->running = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (a->d == NULL) {
		snprintf(err, errlen, "loa.http.listen %s: cannot listen there",
		    o->listen);
		api_stop(a);
		return NULL;
	}
	if (!a->running) {
		snprintf(err, errlen, "loa.http: no thread to serve it: %s",
		    strerror(errno));
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
	if (a->running) {
		while (write(a->wake[1], "", 1) == -1 && errno == EINTR)
			;
		pthread_join(a->thr, NULL);
	}
	if (a->wake[0] != -1) {
		close(a->wake[0]);
		close(a->wake[1]);
	}
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
