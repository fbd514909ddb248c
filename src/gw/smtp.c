/*
 * smtp.c: the smtp gateway (conf/REFERENCE.md §3 and §6): each email job is one
 * SMTP transaction, sent by a pool of worker threads, so nothing blocks the
 * engine's loop. libcurl's multi interface would: it waits for the reply
 * to the end of DATA (curl/curl#8555) and for QUIT's (curl/curl#4015)
 * inside its calls. smtp:// with STARTTLS as `tls` says, or smtps://;
 * AUTH with a user and a password read once at init from the environment
 * or a file.
 *
 * The pool: up to `concurrency` workers, each started when a message
 * finds none idle, each owning one easy handle it reuses for every message
 * (its connection cache keeps its connection open between them) and a
 * blocking curl_easy_perform per message. submit() copies the message
 * into the queue (the engine limits what is in flight to concurrency, so
 * the queue holds no more) and wakes a worker; the worker sends it,
 * classifies the answer, puts it on the done list and writes a byte to a
 * pipe, whose read end is the gateway's one descriptor for the engine's
 * poll(2); poll() reports the answers, and logs, on the engine's thread.
 * Workers block every signal: the engine's thread gets them.
 *
 * libcurl says only which code ended a transfer. The server's words come
 * from its debug callback: every reply line the server sent (never a line
 * of ours, which for AUTH hold the credentials), the last reply kept,
 * bounded. The verb of our last command says what a 5xx refused.
 *
 * Answers: 2xx GW_OK; 4xx, a connection refused, dropped or timed out,
 * a TLS handshake that failed GW_TEMPFAIL; 5xx to MAIL, RCPT or DATA
 * GW_PERMFAIL; a refused login (530, 535), tls = "require" without
 * STARTTLS, a certificate not trusted and a 5xx before MAIL GW_CONFFAIL:
 * every mail would fail so, until the config is mended (logged once).
 *
 * shutdown() stops the workers: a transfer under way is aborted at its
 * next progress call (libcurl makes one at least once a second, waiting
 * for a reply included), and the workers are joined. One still not done
 * after SMTP_STOP_WAIT seconds (a QUIT to a server that does not answer)
 * is detached with the gateway's memory, which it still uses: the process
 * exits next.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>

#include <curl/curl.h>

#include "gw/gw.h"
#include "gw/smtp.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/text.h"
#include "util/mem.h"

/* A password file is a line, not a document. */
#define SMTP_MAX_SECRET 4096
/* How long shutdown waits for the workers before it lets them go. */
#define SMTP_STOP_WAIT 5

enum smtp_verb {
	V_NONE, /* nothing sent yet: the greeting */
	V_HELO, /* EHLO, HELO, STARTTLS */
	V_AUTH,
	V_MAIL,
	V_RCPT,
	V_DATA,
	V_QUIT, /* the goodbye of a connection closed after an error */
	V_OTHER,
};

/* A message handed to the gateway: the gateway's own copy. */
struct mail {
	struct mail	*next;
	char		*id;
	char		*to;
	char		*data;
	size_t		 len;
	struct gw_answer ans; /* the worker's answer */
};

/*
 * A worker: its thread, its easy handle, and the state of the transfer
 * under way, which the handle's callbacks point to (so it lives as long
 * as the handle).
 */
struct xfer {
	struct smtp   *s;
	pthread_t      tid;
	int	       ended;	/* the thread is done (under s->mu) */
	int	       joined;	/* shutdown joins it (else detaches) */
	int	       aborted; /* its last transfer was stopped midway */
	CURL	      *h;
	const char    *data;
	size_t	       len, off;
	enum smtp_verb verb;	   /* of our last command */
	int	       quit;	   /* QUIT was sent */
	int	       reply_done; /* the kept reply is complete */
	char	       reply[sizeof(((struct gw_answer *)0)->text)];
	char	       errbuf[CURL_ERROR_SIZE];
};

struct smtp {
	char	       *id;   /* the gateway's id, for messages */
	char	       *url;  /* no credentials: config check refuses them */
	char	       *from; /* "<addr>" */
	char	       *user;
	char	       *password;
	char	       *ca_file;
	long		use_ssl;
	long		timeout;
	int		insecure;
	int		conf_logged; /* a GW_CONFFAIL was logged (engine's) */
	int		wake[2];     /* a byte a done job: read end for poll */
	int		locks;	     /* mu, work and gone were made */
	atomic_int	stop;	     /* shutdown: end the transfers */
	pthread_mutex_t mu;	     /* guards what follows */
	pthread_cond_t	work;	     /* a job was queued, or stop */
	pthread_cond_t	gone;	     /* a worker ended */
	struct mail    *todo, **todo_tail;
	struct mail    *done, **done_tail;
	int		ntodo;
	int		idle;	 /* workers waiting for a job */
	int		nworker; /* started */
	int		max;	 /* workers at most: concurrency */
	struct xfer    *worker;	 /* [max] */
};

/*
 * Gateways whose workers outlived shutdown: kept reachable (they use
 * them until the process exits), not freed.
 */
struct abandoned {
	struct abandoned *next;
	struct smtp	 *s;
};
static struct abandoned *abandoned;
static pthread_mutex_t	 abandoned_mu = PTHREAD_MUTEX_INITIALIZER;

/* The bare address of "addr" or "Name <addr>", in angle brackets. */
static char *
smtp_envelope(const char *from)
{
	char *name, *addr, *env;

	text_addr_split(from, &name, &addr);
	env = xasprintf("<%s>", addr);
	free(name);
	free(addr);
	return env;
}

static void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/*
 * The secret named by the config, NULL when it names none. -1 with the
 * reason in err, which names the variable or the file, never the value.
 */
static int
smtp_secret(const char *gw, const char *what, const char *env, const char *file,
    char **out, char *err, size_t errlen)
{
	char *data = NULL, why[512];

	*out = NULL;
	if (env != NULL) {
		const char *v = getenv(env);

		if (v == NULL || *v == '\0') {
			snprintf(err, errlen,
			    "gateway %s: %s_env: the environment variable %s "
			    "is %s",
			    gw, what, env, v == NULL ? "not set" : "empty");
			return -1;
		}
		*out = xstrdup(v);
		secret_keep(*out);
		return 0;
	}
	if (file == NULL)
		return 0;
	/* One line: what follows the first line end is not the secret. */
	if ((data = secret_file_line(file, SMTP_MAX_SECRET, why,
		 sizeof(why))) == NULL) {
		snprintf(err, errlen, "gateway %s: %s_file: %s", gw, what, why);
		return -1;
	}
	*out = data;
	secret_keep(*out);
	return 0;
}

static void smtp_shutdown(struct gw *);

static int
smtp_init(struct gw *g, char *err, size_t errlen)
{
	static int	      inited;
	const struct gateway *c = g->cfg;
	struct smtp	     *s;
	pthread_condattr_t    ca;
	const char	     *tls;

	if (c == NULL || c->url == NULL || c->from == NULL) {
		snprintf(err, errlen,
		    "gateway %s: an smtp gateway needs url "
		    "and from",
		    c != NULL ? c->id : "?");
		return -1;
	}
	/* Once, on this thread, before any worker. */
	if (!inited) {
		CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

		if (rc != CURLE_OK) {
			snprintf(err, errlen, "libcurl: %s",
			    curl_easy_strerror(rc));
			return -1;
		}
		inited = 1;
	}
	s = xcalloc(1, sizeof(*s));
	g->priv = s;
	s->wake[0] = s->wake[1] = -1;
	/* Copies: a reload frees the config this gateway was made from. */
	s->id = xstrdup(c->id);
	s->url = xstrdup(c->url);
	s->from = smtp_envelope(c->from);
	s->ca_file = c->ca_file != NULL ? xstrdup(c->ca_file) : NULL;
	s->insecure = c->insecure;
	s->timeout = c->timeout > 0 ? (long)c->timeout : 30;
	s->max = c->concurrency > 0 ? c->concurrency : 4;
	if (c->user_env != NULL) {
		if (smtp_secret(c->id, "user", c->user_env, NULL, &s->user, err,
			errlen) == -1)
			goto fail;
	} else if (c->user != NULL)
		s->user = xstrdup(c->user);
	if (smtp_secret(c->id, "password", c->password_env, c->password_file,
		&s->password, err, errlen) == -1)
		goto fail;
	if (s->password != NULL && s->user == NULL) {
		snprintf(err, errlen,
		    "gateway %s: a password without a user; "
		    "expected user or user_env too",
		    c->id);
		goto fail;
	}
	/* AUTH PLAIN sends the login whole, in base64. */
	secret_keep_login(s->user, s->password);
	/*
	 * STARTTLS: "try" unless said; a password on smtp:// is never sent
	 * in clear unless tls = "try" or "off" says so.
	 */
	tls = c->tls != NULL ? c->tls : s->password != NULL ? "require" : "try";
	s->use_ssl = strcmp(tls, "require") == 0 ? (long)CURLUSESSL_ALL :
	    strcmp(tls, "off") == 0		 ? (long)CURLUSESSL_NONE :
						   (long)CURLUSESSL_TRY;
	if (pipe(s->wake) == -1 ||
	    fcntl(s->wake[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(s->wake[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(s->wake[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(s->wake[1], F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "gateway %s: pipe: %s", c->id,
		    strerror(errno));
		goto fail;
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0)
		fatalx("pthread: cannot make a lock");
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->work, &ca) != 0 ||
	    pthread_cond_init(&s->gone, &ca) != 0)
		fatalx("pthread: cannot make a condition variable");
	pthread_condattr_destroy(&ca);
	s->locks = 1;
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
	s->worker = xcalloc((size_t)s->max, sizeof(*s->worker));
	return 0;
fail:
	smtp_shutdown(g);
	return -1;
}

/* libcurl reads the message from here; it escapes leading dots itself. */
static size_t
on_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t	     n = size * nmemb;

	if (n > x->len - x->off)
		n = x->len - x->off;
	memcpy(ptr, x->data + x->off, n);
	x->off += n;
	return n;
}

static enum smtp_verb
verb_of(const char *p, size_t n)
{
	static const struct {
		const char    *word;
		enum smtp_verb verb;
	} verbs[] = {
		{ "EHLO", V_HELO },
		{ "HELO", V_HELO },
		{ "STARTTLS", V_HELO },
		{ "AUTH", V_AUTH },
		{ "MAIL", V_MAIL },
		{ "RCPT", V_RCPT },
		{ "DATA", V_DATA },
		{ "QUIT", V_QUIT },
	};
	size_t i, w;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		w = strlen(verbs[i].word);
		if (n >= w && strncasecmp(p, verbs[i].word, w) == 0)
			return verbs[i].verb;
	}
	return V_OTHER;
}

/*
 * The server's reply lines (CURLINFO_HEADER_IN): the last reply is kept,
 * its lines joined by a space, bounded. Our own lines (HEADER_OUT) give
 * only their verb: those of AUTH hold the credentials.
 */
static int
on_debug(CURL *h, curl_infotype type, char *p, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t	     have, room;

	if (type == CURLINFO_HEADER_OUT) {
		enum smtp_verb v = verb_of(p, n);

		/* After QUIT: the reply and the verb that ended the
		 * transaction are kept. */
		if (v == V_QUIT)
			x->quit = 1;
		/* The base64 lines after AUTH answer its 334s: not verbs. */
		else if (!x->quit && (x->verb != V_AUTH || v != V_OTHER))
			x->verb = v;
		return 0;
	}
	if (type != CURLINFO_HEADER_IN || x->quit)
		return 0;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if (x->reply_done) {
		x->reply[0] = '\0';
		x->reply_done = 0;
	}
	/* "250-..." goes on; "250 ..." (or a bare code) ends a reply. */
	if (n < 4 || p[3] != '-')
		x->reply_done = 1;
	have = strlen(x->reply);
	if (have > 0 && have + 1 < sizeof(x->reply))
		x->reply[have++] = ' ';
	room = sizeof(x->reply) - 1 - have;
	if (n > room)
		n = room;
	/* Controls in a reply become spaces: it lands in logs and JSON. */
	for (; n > 0; n--, p++)
		x->reply[have++] = (unsigned char)*p < 0x20 || *p == 0x7f ?
		    ' ' :
		    *p;
	x->reply[have] = '\0';
	return 0;
}

/* libcurl calls this at least once a second: a shutdown aborts. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct smtp *s = arg;

	return atomic_load(&s->stop) ? 1 : 0;
}

/* The reply's code, 0 when the reply is not one. */
static int
reply_code(const char *r)
{
	if (!isdigit((unsigned char)r[0]) || !isdigit((unsigned char)r[1]) ||
	    !isdigit((unsigned char)r[2]) || (r[3] != ' ' && r[3] != '\0'))
		return 0;
	return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
}

/*
 * Answer r with the text made of fmt, which holds what the server said: a
 * peer's text (text_peer: valid UTF-8 on one line), every secret blotted,
 * cut to the answer's room.
 */
static void LOA_PRINTF(3, 4)
    say(struct gw_answer *a, enum gw_result r, const char *fmt, ...)
{
	va_list ap;
	char	raw[2 * sizeof(a->text)], *clean;

	assert(r != GW_INFLIGHT); /* an answer is a verdict */
	a->result = r;
	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	secret_blot(raw);
	clean = text_peer(raw, strlen(raw), sizeof(a->text) - 1);
	snprintf(a->text, sizeof(a->text), "%s", clean);
	free(clean);
}

/* Set a's result and text for transfer x that ended with rc. */
static void
classify(struct xfer *x, CURLcode rc, struct gw_answer *a)
{
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
	int	    code = reply_code(x->reply);

	if (rc == CURLE_OK) {
		say(a, GW_OK, "%s", x->reply[0] ? x->reply : "250 accepted");
		return;
	}
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		say(a, GW_CONFFAIL, "%s",
		    code >= 500 ? x->reply : "the server refused the login");
		return;
	case CURLE_USE_SSL_FAILED:
		say(a, GW_CONFFAIL,
		    "the server offers no STARTTLS and tls is \"require\": "
		    "nothing was sent (%s)",
		    why);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		say(a, GW_CONFFAIL,
		    "the server's certificate is not trusted "
		    "(ca_file, or insecure = true): %s",
		    why);
		return;
	default:
		break;
	}
	if (code == 530 || code == 535 || code == 534 || code == 538 ||
	    (code >= 500 && code < 600 && x->verb == V_AUTH)) {
		say(a, GW_CONFFAIL, "%s", x->reply);
	} else if (code >= 500 && code < 600) {
		/* To MAIL, RCPT or DATA: this message. Before: all of them
		 * (a greeting or an EHLO refused). */
		say(a,
		    x->verb == V_MAIL || x->verb == V_RCPT ||
			    x->verb == V_DATA ?
			GW_PERMFAIL :
			GW_CONFFAIL,
		    "%s", x->reply);
	} else if (code >= 400 && code < 500) {
		say(a, GW_TEMPFAIL, "%s", x->reply);
	} else {
		/* Refused, reset, dropped mid-DATA, timed out, a TLS
		 * handshake that failed: the next try may get through. */
		say(a, GW_TEMPFAIL, "%s", why);
	}
}

/*
 * The worker's easy handle, with what is the same for every message; its
 * callbacks point to x. Can't fail (fatal on OOM).
 */
static CURL *
xfer_handle(struct xfer *x)
{
	struct smtp *s = x->s;
	CURL	    *h;

	if ((h = curl_easy_init()) == NULL)
		fatalx("libcurl: out of memory");
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, s->from);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_USE_SSL, s->use_ssl);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
	if (s->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
	if (s->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	/* Each message, and each reply (QUIT's at the end included). */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	/* The debug callback is called only with VERBOSE on; it prints
	 * nothing itself. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, s);
	return h;
}

/* Send job j on x's handle (its connection, if still open) and answer. */
static void
xfer_send(struct xfer *x, struct mail *j)
{
	struct curl_slist *rcpt;
	char		  *to;
	CURLcode	   rc;

	to = xasprintf("<%s>", j->to);
	rcpt = curl_slist_append(NULL, to);
	free(to);
	if (rcpt == NULL)
		fatalx("libcurl: out of memory");
	x->data = j->data;
	x->len = j->len;
	x->off = 0;
	x->verb = V_NONE;
	x->quit = 0;
	x->reply_done = 0;
	x->reply[0] = '\0';
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->len);
	rc = curl_easy_perform(x->h);
	x->aborted = rc == CURLE_ABORTED_BY_CALLBACK;
	curl_easy_setopt(x->h, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	x->data = NULL;
	x->len = x->off = 0;
	classify(x, rc, &j->ans);
}

static void
job_free(struct mail *j)
{
	free(j->id);
	free(j->to);
	free(j->data);
	free(j);
}

/* A worker: take a job, send it, put the answer on the done list. */
static void *
worker_main(void *arg)
{
	struct xfer *x = arg;
	struct smtp *s = x->s;
	struct mail *j;
	char	     c = 1;

	x->h = xfer_handle(x);
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->todo == NULL && !atomic_load(&s->stop)) {
			s->idle++;
			pthread_cond_wait(&s->work, &s->mu);
			s->idle--;
		}
		if (atomic_load(&s->stop))
			break;
		j = s->todo;
		if ((s->todo = j->next) == NULL)
			s->todo_tail = &s->todo;
		s->ntodo--;
		pthread_mutex_unlock(&s->mu);
		xfer_send(x, j);
		pthread_mutex_lock(&s->mu);
		j->next = NULL;
		*s->done_tail = j;
		s->done_tail = &j->next;
		/* The pipe full: the bytes in it wake the engine already. */
		if (write(s->wake[1], &c, 1) == -1) {
		}
	}
	pthread_mutex_unlock(&s->mu);
	/*
	 * A connection stopped in the middle of a transaction is closed
	 * without QUIT, whose reply would come after the one the server
	 * still holds; an idle one gets its QUIT, the wait bounded by the
	 * reply timeout.
	 */
	if (x->aborted) {
		curl_socket_t fd;

		if (curl_easy_getinfo(x->h, CURLINFO_ACTIVESOCKET, &fd) ==
			CURLE_OK &&
		    fd != CURL_SOCKET_BAD)
			(void)shutdown(fd, SHUT_RDWR);
	}
	curl_easy_cleanup(x->h);
	pthread_mutex_lock(&s->mu);
	x->ended = 1;
	pthread_cond_broadcast(&s->gone);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* One more worker, under s->mu. 0, or -1 with the reason in err. */
static int
worker_start(struct smtp *s, char *err, size_t errlen)
{
	struct xfer *x = &s->worker[s->nworker];
	sigset_t     all, old;
	int	     rc;

	memset(x, 0, sizeof(*x));
	x->s = s;
	/* Signals are the engine thread's: the worker inherits a mask
	 * that blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&x->tid, NULL, worker_main, x);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "gateway %s: cannot start a thread: %s",
		    s->id, strerror(rc));
		return -1;
	}
	s->nworker++;
	return 0;
}

static enum gw_result
smtp_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	struct smtp *s = g->priv;
	struct mail *j;
	char	     err[256];

	/* Made by smtp_init: the submit of a gateway that started. */
	assert(s != NULL && m->id != NULL);
	a->retry_after = 0;
	if (m->to == NULL || m->data == NULL) {
		snprintf(a->text, sizeof(a->text), "no address or no message");
		return a->result = GW_PERMFAIL;
	}
	j = xcalloc(1, sizeof(*j));
	j->id = xstrdup(m->id);
	j->to = xstrdup(m->to);
	j->len = strlen(m->data);
	j->data = xstrndup(m->data, j->len);
	pthread_mutex_lock(&s->mu);
	/* A worker for each message waiting, up to concurrency. */
	if (s->ntodo + 1 > s->idle && s->nworker < s->max &&
	    worker_start(s, err, sizeof(err)) == -1) {
		if (s->nworker == 0) {
			pthread_mutex_unlock(&s->mu);
			job_free(j);
			snprintf(a->text, sizeof(a->text), "%s", err);
			return a->result = GW_TEMPFAIL;
		}
		/* The workers there are take it in turn. */
		log_warnx("%s", err);
	}
	*s->todo_tail = j;
	s->todo_tail = &j->next;
	s->ntodo++;
	pthread_cond_signal(&s->work);
	pthread_mutex_unlock(&s->mu);
	return a->result = GW_INFLIGHT;
}

/*
 * The wake pipe: readable when a worker has an answer. Nothing to poll
 * for meanwhile: the timeout only bounds the wait past the longest a
 * message may take.
 */
static int
smtp_pollfds(struct gw *g, struct pollfd *pfd, int max, int *timeout)
{
	struct smtp *s = g->priv;
	int	     t = (int)(s->timeout + SMTP_STOP_WAIT) * 1000;

	assert(s != NULL && timeout != NULL);
	if (*timeout < 0 || *timeout > t)
		*timeout = t;
	if (max < 1)
		return 0;
	pfd[0].fd = s->wake[0];
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	return 1;
}

/* Report every answer the workers have, on the engine's thread. */
static void
smtp_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	    *arg)
{
	struct smtp *s = g->priv;
	struct mail *list, *j;
	char	     buf[256];

	/* The bytes first: an answer that comes after has its own. */
	while (read(s->wake[0], buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&s->mu);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	pthread_mutex_unlock(&s->mu);
	while ((j = list) != NULL) {
		list = j->next;
		j->ans.id = j->id;
		if (j->ans.result == GW_CONFFAIL) {
			if (!s->conf_logged)
				log_warnx("gateway %s: %s; mails wait until "
					  "its config is mended",
				    s->id, j->ans.text);
			s->conf_logged = 1;
		} else if (j->ans.result == GW_OK)
			s->conf_logged = 0;
		log_debug("gateway %s: %s: %s", s->id, j->id, j->ans.text);
		done(arg, &j->ans);
		job_free(j);
	}
}

/* The server answered 250 to the end of DATA: it holds the message. */
static int
smtp_flush(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

/*
 * Stop the workers and wait for them, SMTP_STOP_WAIT seconds at most.
 * 0 when they all ended, else how many still run (detached).
 */
static int
workers_stop(struct smtp *s)
{
	struct timespec until;
	int		i, ended, left;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += SMTP_STOP_WAIT;
	pthread_mutex_lock(&s->mu);
	atomic_store(&s->stop, 1);
	pthread_cond_broadcast(&s->work);
	for (;;) {
		for (i = ended = 0; i < s->nworker; i++)
			ended += s->worker[i].ended;
		if (ended == s->nworker ||
		    pthread_cond_timedwait(&s->gone, &s->mu, &until) ==
			ETIMEDOUT)
			break;
	}
	left = 0;
	for (i = 0; i < s->nworker; i++)
		if (!(s->worker[i].joined = s->worker[i].ended))
			left++;
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < s->nworker; i++) {
		if (s->worker[i].joined)
			pthread_join(s->worker[i].tid, NULL);
		else
			pthread_detach(s->worker[i].tid);
	}
	return left;
}

static void
smtp_shutdown(struct gw *g)
{
	struct smtp	 *s = g->priv;
	struct abandoned *ab;
	struct mail	 *j;
	int		  left;

	if (s == NULL)
		return;
	g->priv = NULL;
	if (s->locks && s->nworker > 0 && (left = workers_stop(s)) > 0) {
		log_warnx("gateway %s: %d send%s still at the server after "
			  "%d s; left to end with the process",
		    s->id, left, left == 1 ? "" : "s", SMTP_STOP_WAIT);
		ab = xcalloc(1, sizeof(*ab));
		ab->s = s;
		pthread_mutex_lock(&abandoned_mu);
		ab->next = abandoned;
		abandoned = ab;
		pthread_mutex_unlock(&abandoned_mu);
		return;
	}
	while ((j = s->todo) != NULL) {
		s->todo = j->next;
		job_free(j);
	}
	while ((j = s->done) != NULL) {
		s->done = j->next;
		job_free(j);
	}
	if (s->locks) {
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->work);
		pthread_cond_destroy(&s->gone);
	}
	if (s->wake[0] != -1)
		close(s->wake[0]);
	if (s->wake[1] != -1)
		close(s->wake[1]);
	free(s->worker);
	free(s->id);
	free(s->url);
	free(s->from);
	free(s->ca_file);
	secret_free(s->user);
	secret_free(s->password);
	free(s);
}

void
smtp_judge(const struct smtp_line *lines, size_t n, CURLcode rc,
    const char *errbuf, struct gw_answer *a)
{
	struct xfer x;
	size_t	    i;

	assert(lines != NULL || n == 0);
	assert(errbuf != NULL && a != NULL);
	memset(&x, 0, sizeof(x));
	snprintf(x.errbuf, sizeof(x.errbuf), "%s", errbuf);
	for (i = 0; i < n; i++)
		on_debug(NULL,
		    lines[i].out ? CURLINFO_HEADER_OUT : CURLINFO_HEADER_IN,
		    (char *)lines[i].p, lines[i].n, &x);
	classify(&x, rc, a);
}

const struct gw_backend gw_backend_smtp = {
	"smtp",
	smtp_init,
	smtp_submit,
	smtp_pollfds,
	smtp_poll,
	smtp_flush,
	smtp_shutdown,
};
