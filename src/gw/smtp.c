/*
 * smtp.c: the smtp gateway (SPEC §4, §6): each email job is one SMTP
 * transaction through libcurl's multi interface (gw/curlm), so nothing
 * blocks the engine's loop. smtp:// with STARTTLS as `tls` says, or
 * smtps://; AUTH with a user and a password read once at init from the
 * environment or a file; the multi's connection cache keeps connections
 * open between messages.
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
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/curlm.h"
#include "gw/gw.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* A password file is a line, not a document. */
#define SMTP_MAX_SECRET 4096

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

struct smtp {
	struct curlm *m;
	char	     *id;   /* the gateway's id, for messages */
	char	     *url;  /* no credentials: config check refuses them */
	char	     *from; /* "<addr>" */
	char	     *user;
	char	     *password;
	char	     *ca_file;
	long	      use_ssl;
	long	      timeout;
	int	      insecure;
	int	      conf_logged; /* a GW_CONFFAIL was logged */
	struct xfer  *live;	   /* transfers started, not finished */
};

struct xfer {
	struct smtp	  *s;
	struct xfer	  *next, *prev;
	CURL		  *h;
	char		  *id;
	char		  *data;
	size_t		   len, off;
	struct curl_slist *rcpt;
	enum smtp_verb	   verb;       /* of our last command */
	int		   quit;       /* QUIT was sent */
	int		   reply_done; /* the kept reply is complete */
	char		   reply[sizeof(((struct gw_answer *)0)->text)];
	char		   errbuf[CURL_ERROR_SIZE];
};

/* The bare address of "addr" or "Name <addr>", in angle brackets. */
static char *
smtp_envelope(const char *from)
{
	const char *lt = strrchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		return xasprintf("<%.*s>", (int)(gt - lt - 1), lt + 1);
	while (isspace((unsigned char)*from))
		from++;
	return xasprintf("<%.*s>", (int)strcspn(from, " \t"), from);
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
	char  *data = NULL, why[512];
	size_t len;

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
		return 0;
	}
	if (file == NULL)
		return 0;
	if (fs_slurp(file, SMTP_MAX_SECRET, &data, &len, why, sizeof(why)) ==
	    -1) {
		snprintf(err, errlen, "gateway %s: %s_file: %s", gw, what, why);
		return -1;
	}
	/* One line: what follows the first line end is not the secret. */
	data[strcspn(data, "\r\n")] = '\0';
	if (*data == '\0') {
		snprintf(err, errlen, "gateway %s: %s_file: %s is empty", gw,
		    what, file);
		secret_free(data);
		return -1;
	}
	*out = data;
	return 0;
}

static void smtp_shutdown(struct gw *);

static int
smtp_init(struct gw *g, char *err, size_t errlen)
{
	const struct gateway *c = g->cfg;
	struct smtp	     *s;
	const char	     *tls;

	if (c == NULL || c->url == NULL || c->from == NULL) {
		snprintf(err, errlen,
		    "gateway %s: an smtp gateway needs url "
		    "and from",
		    c != NULL ? c->id : "?");
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	g->priv = s;
	/* Copies: a reload frees the config this gateway was made from. */
	s->id = xstrdup(c->id);
	s->url = xstrdup(c->url);
	s->from = smtp_envelope(c->from);
	s->ca_file = c->ca_file != NULL ? xstrdup(c->ca_file) : NULL;
	s->insecure = c->insecure;
	s->timeout = c->timeout > 0 ? (long)c->timeout : 30;
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
	/*
	 * STARTTLS: "try" unless said; a password on smtp:// is never sent
	 * in clear unless tls = "try" or "off" says so.
	 */
	tls = c->tls != NULL ? c->tls : s->password != NULL ? "require" : "try";
	s->use_ssl = strcmp(tls, "require") == 0 ? (long)CURLUSESSL_ALL :
	    strcmp(tls, "off") == 0		 ? (long)CURLUSESSL_NONE :
						   (long)CURLUSESSL_TRY;
	if ((s->m = curlm_new(c->concurrency, err, errlen)) == NULL)
		goto fail;
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

static enum gw_result
smtp_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	struct smtp *s = g->priv;
	struct xfer *x;
	char	     err[256], *rcpt;
	CURL	    *h;

	a->retry_after = 0;
	if (m->to == NULL || m->data == NULL) {
		snprintf(a->text, sizeof(a->text), "no address or no message");
		return a->result = GW_PERMFAIL;
	}
	x = xcalloc(1, sizeof(*x));
	x->s = s;
	x->id = xstrdup(m->id);
	x->len = strlen(m->data);
	x->data = xstrndup(m->data, x->len);
	rcpt = xasprintf("<%s>", m->to);
	x->rcpt = curl_slist_append(NULL, rcpt);
	free(rcpt);
	if (x->rcpt == NULL)
		fatalx("libcurl: out of memory");
	x->h = h = curlm_easy(s->m);
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, s->from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, x->rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, x);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->len);
	curl_easy_setopt(h, CURLOPT_USE_SSL, s->use_ssl);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, s->insecure ? 0L : 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, s->insecure ? 0L : 2L);
	if (s->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->user != NULL)
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
	if (s->password != NULL)
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	/* The debug callback is called only with VERBOSE on; it prints
	 * nothing itself. */
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, x);
	if (curlm_start(s->m, h, x, err, sizeof(err)) == -1) {
		snprintf(a->text, sizeof(a->text), "%s", err);
		curl_slist_free_all(x->rcpt);
		free(x->data);
		free(x->id);
		free(x);
		return a->result = GW_TEMPFAIL;
	}
	x->next = s->live;
	if (s->live != NULL)
		s->live->prev = x;
	s->live = x;
	return a->result = GW_INFLIGHT;
}

static int
smtp_pollfds(struct gw *g, struct pollfd *pfd, int max, int *timeout)
{
	struct smtp *s = g->priv;

	return curlm_pollfds(s->m, pfd, max, timeout);
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

/* Answer r with the text made of fmt, cut to the answer's room. */
static void LOA_PRINTF(3, 4)
    say(struct gw_answer *a, enum gw_result r, const char *fmt, ...)
{
	va_list ap;

	a->result = r;
	va_start(ap, fmt);
	(void)vsnprintf(a->text, sizeof(a->text), fmt, ap);
	va_end(ap);
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
		a->result = x->verb == V_MAIL || x->verb == V_RCPT ||
			x->verb == V_DATA ?
		    GW_PERMFAIL :
		    GW_CONFFAIL;
		snprintf(a->text, sizeof(a->text), "%s", x->reply);
	} else if (code >= 400 && code < 500) {
		say(a, GW_TEMPFAIL, "%s", x->reply);
	} else {
		/* Refused, reset, dropped mid-DATA, timed out, a TLS
		 * handshake that failed: the next try may get through. */
		say(a, GW_TEMPFAIL, "%s", why);
	}
}

struct smtp_ctx {
	struct smtp *s;
	void (*done)(void *, const struct gw_answer *);
	void *arg;
};

static void
xfer_free(struct xfer *x)
{
	struct smtp *s = x->s;

	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		s->live = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	curl_slist_free_all(x->rcpt);
	free(x->data);
	free(x->id);
	free(x);
}

static void
on_fin(void *arg, CURL *h, CURLcode rc, void *tag)
{
	struct smtp_ctx *c = arg;
	struct xfer	*x = tag;
	struct gw_answer a;

	memset(&a, 0, sizeof(a));
	a.id = x->id;
	classify(x, rc, &a);
	if (a.result == GW_CONFFAIL) {
		if (!c->s->conf_logged)
			log_warnx("gateway %s: %s; mails wait until its config "
				  "is mended",
			    c->s->id, a.text);
		c->s->conf_logged = 1;
	} else if (a.result == GW_OK)
		c->s->conf_logged = 0;
	log_debug("gateway %s: %s: %s", c->s->id, x->id, a.text);
	c->done(c->arg, &a);
	xfer_free(x);
}

static void
smtp_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	    *arg)
{
	struct smtp_ctx c = { g->priv, done, arg };

	curlm_drive(c.s->m, on_fin, &c);
}

/* The server answered 250 to the end of DATA: it holds the message. */
static int
smtp_flush(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

static void
smtp_shutdown(struct gw *g)
{
	struct smtp *s = g->priv;
	struct xfer *x;

	if (s == NULL)
		return;
	/* Transfers still running: the multi lets go of them first. */
	curlm_free(s->m);
	while ((x = s->live) != NULL) {
		curl_easy_cleanup(x->h);
		xfer_free(x);
	}
	free(s->id);
	free(s->url);
	free(s->from);
	free(s->ca_file);
	secret_free(s->user);
	secret_free(s->password);
	free(s);
	g->priv = NULL;
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
