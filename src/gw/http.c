/*
 * http.c: the http SMS gateway (conf/REFERENCE.md §3 and §6). Each message
 * fills in the gateway's request template (plan/gwhttp.c: its preset under the
 * config's own keys) and goes out on libcurl multi (gw/curlm), many at
 * once, connections kept alive between them. submit answers GW_INFLIGHT;
 * poll reports each answer once read by the gateway's success rule
 * (http_answer.c):
 *
 *	401, 403			GW_CONFFAIL (the credentials are wrong;
 *					logged once)
 *	a body value in already_sent	GW_OK (sent before: the same id)
 *	a body value in retry		GW_TEMPFAIL
 *	a success status		GW_OK when the body value is in ok (or
 *					no ok is given), else GW_PERMFAIL
 *	408, 429, 5xx, timeouts,	GW_TEMPFAIL, with Retry-After
 *	connection errors
 *	any other status		GW_PERMFAIL, the answer kept
 *
 * The secrets live in memory only, known to util/secret (with a user taken
 * from the environment): every answer text has them blotted out before it
 * leaves this file.
 */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "gw/curlm.h"
#include "gw/gw.h"
#include "gw/http_answer.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/subst.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"

struct hgw;

/* One request in flight. */
struct hx {
	struct hgw	  *g;
	char		  *id;
	char		  *url;
	char		  *body;
	struct curl_slist *headers;
	curl_mime	  *mime; /* a broadcast's multipart body */
	struct buf	   resp;
	int64_t		   retry_after;
	char		   note[64]; /* the message's (gw_msg.note) */
	char		   err[CURL_ERROR_SIZE]; /* libcurl's words */
	CURL		  *h;
	struct hx	  *prev, *next;
};

/*
 * The gateway. Everything it uses of its config is its own copy (in a):
 * a SIGHUP frees the service the engine was started with.
 */
struct hgw {
	struct curlm	 *m;
	struct arena	 *a;
	const char	 *gwid;
	struct http_tmpl *t;
	const char	 *sender;
	long		  timeout;
	int		  insecure;
	char		 *user;
	char		 *secret;
	char		 *dlr_secret;  /* {dlr_token}: the API's /dlr */
	int		  user_secret; /* the user came from the environment */
	int		  conflogged;
	struct hx	 *fly; /* in flight */
	void (*done)(void *, const struct gw_answer *);
	void *done_arg;
};

/* What a message's placeholders stand for. */
struct hvals {
	const struct hgw    *g;
	const struct gw_msg *m;
	const char	    *sender;
	char		     parts[16];
	const char	    *national;
	char		    *dlr;    /* the delivery report URL, filled in */
	int		     escape; /* percent-encode each value (in a URL) */
	struct buf	     tmp;
};

static void
pct(struct buf *b, const char *s, int form)
{
	static const char    hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	assert(b != NULL && s != NULL);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~')
			buf_addc(b, (char)*p);
		else if (form && *p == ' ')
			buf_addc(b, '+');
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[*p >> 4]);
			buf_addc(b, hex[*p & 15]);
		}
	}
}

static const char *
hval_raw(struct hvals *v, const char *n, size_t len)
{
	const struct gw_msg *m = v->m;
	int ucs2 = m->encoding == NULL || strcmp(m->encoding, "ucs2") == 0;

#define IS(s) (len == sizeof(s) - 1 && strncmp(n, s, len) == 0)
	if (m->to == NULL && (IS("to") || IS("to_digits")))
		return ""; /* a broadcast */
	if (IS("to"))
		return m->to;
	if (IS("to_digits"))
		return m->to[0] == '+' ? m->to + 1 : m->to;
	if (IS("to_national"))
		return v->national;
	if (IS("text"))
		return m->text != NULL ? m->text : m->data;
	if (IS("id"))
		return m->id;
	if (IS("sender"))
		return v->sender;
	if (IS("coding"))
		return ucs2 ? "2" : "0";
	if (IS("unicode"))
		return ucs2 ? "1" : "0";
	if (IS("encoding"))
		return ucs2 ? "ucs2" : "gsm7";
	if (IS("parts"))
		return v->parts;
	if (IS("dlr_url"))
		return v->dlr != NULL ? v->dlr : "";
	if (IS("user"))
		return v->g->user != NULL ? v->g->user : "";
	if (IS("dlr_token"))
		return v->g->dlr_secret != NULL ? v->g->dlr_secret : "";
	if (IS("password") || IS("token"))
		return v->g->secret != NULL ? v->g->secret : "";
#undef IS
	return NULL;
}

static const char *
hval(void *arg, const char *n, size_t len)
{
	struct hvals *v = arg;
	const char   *s = hval_raw(v, n, len);

	if (s == NULL || !v->escape)
		return s;
	buf_reset(&v->tmp);
	pct(&v->tmp, s, 0);
	return v->tmp.s != NULL ? v->tmp.s : "";
}

/*
 * Template t filled in (raw) into a new string, or NULL when the field is
 * to be left out: only placeholders, and they stand for nothing (a
 * {sender} the gateway has none of).
 */
static char *
fill(struct hvals *v, const char *t)
{
	struct buf b = { 0 };
	char	   err[160];

	v->escape = 0;
	if (subst(t, hval, v, &b, err, sizeof(err)) == -1)
		log_warnx("gateway %s: %s", v->g->gwid, err); /* checked */
	if (b.len == 0 && subst_only(t)) {
		buf_free(&b);
		return NULL;
	}
	if (b.s == NULL)
		buf_adds(&b, "");
	return buf_take(&b);
}

/* name=value&... of group f, each percent-encoded, after sep. */
static void
pairs(struct hvals *v, const struct tfield *f, struct buf *b, char sep,
    int form)
{
	size_t i;

	for (i = 0; i < f->nsub; i++) {
		char *s = fill(v, f->sub[i].value);

		if (s == NULL)
			continue;
		if (sep != '\0')
			buf_addc(b, sep);
		pct(b, f->sub[i].name, form);
		buf_addc(b, '=');
		pct(b, s, form);
		free(s);
		sep = '&';
	}
}

/* The JSON of field f, or NULL to leave it out. */
static json_t *
jfield(struct hvals *v, const struct tfield *f)
{
	json_t *o;
	char   *s;
	size_t	i;

	switch (f->type) {
	case TF_STR:
		/* "{parts}" alone is the number. */
		if (strcmp(f->value, "{parts}") == 0)
			return json_integer(v->m->parts);
		if ((s = fill(v, f->value)) == NULL)
			return NULL;
		o = json_string(s);
		free(s);
		return o != NULL ? o : json_string("");
	case TF_INT:
		return json_integer(f->ival);
	case TF_REAL:
		return json_real(f->real);
	case TF_BOOL:
		return json_boolean(f->ival);
	case TF_ARRAY:
		o = json_array();
		for (i = 0; i < f->nsub; i++) {
			json_t *e = jfield(v, &f->sub[i]);

			if (e != NULL)
				json_array_append_new(o, e);
		}
		return o;
	case TF_GROUP:
	default:
		o = json_object();
		for (i = 0; i < f->nsub; i++) {
			json_t *e = jfield(v, &f->sub[i]);

			if (e != NULL)
				json_object_set_new(o, f->sub[i].name, e);
		}
		return o;
	}
}

/* A header line "Name: value", control characters dropped. */
static struct curl_slist *
header(struct curl_slist *l, const char *name, const char *value)
{
	struct buf	   b = { 0 };
	const char	  *p;
	struct curl_slist *r;

	buf_printf(&b, "%s: ", name);
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p >= ' ' && *p != 0x7f)
			buf_addc(&b, *p);
	if ((r = curl_slist_append(l, b.s)) == NULL)
		fatalx("libcurl: out of memory");
	buf_free(&b);
	return r;
}

static int
has_header(const struct tfield *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->nsub; i++)
		if (strcasecmp(f->sub[i].name, name) == 0)
			return 1;
	return 0;
}

/*
 * The answer's text: the message's note, what, then the body's first
 * bytes as a peer's text (text_peer: valid UTF-8 on one line, a run of
 * spaces one), every secret blotted before the cut: a secret across the
 * cut is still found.
 */
static void
say(struct gw_answer *a, const char *note, const char *what, const char *body,
    size_t len)
{
	struct buf b = { 0 };
	char	  *clean, *cut;
	size_t	   i;

	if (note != NULL && *note != '\0')
		buf_printf(&b, "%s; ", note);
	buf_adds(&b, what);
	if (body != NULL && len > 0) {
		buf_adds(&b, ": ");
		buf_add(&b, body, len);
	}
	clean = text_peer(b.s, b.len, 3 * b.len + 3);
	/* Before spaces are squeezed: a secret may hold two. */
	secret_blot(clean);
	buf_reset(&b);
	for (i = 0; clean[i] != '\0'; i++)
		if (clean[i] != ' ' || (b.len > 0 && b.s[b.len - 1] != ' '))
			buf_addc(&b, clean[i]);
	while (b.len > 0 && b.s[b.len - 1] == ' ')
		b.s[--b.len] = '\0';
	free(clean);
	cut = text_peer(b.s, b.len, sizeof(a->text) - 1);
	snprintf(a->text, sizeof(a->text), "%s", cut);
	free(cut);
	buf_free(&b);
}

static void
hx_free(struct hx *x)
{
	if (x == NULL)
		return;
	free(x->id);
	free(x->url);
	free(x->body);
	curl_mime_free(x->mime);
	curl_slist_free_all(x->headers);
	buf_free(&x->resp);
	free(x);
}

static void
hx_unlink(struct hgw *g, struct hx *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		g->fly = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct hx *x = arg;
	size_t	   len = sz * n;

	if (x->resp.len < HTTP_BODY_MAX)
		buf_add(&x->resp, p,
		    len < HTTP_BODY_MAX - x->resp.len ?
			len :
			HTTP_BODY_MAX - x->resp.len);
	return len;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct hx *x = arg;
	size_t	   len = sz * n;
	char	  *v;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		v = xstrndup(p + 12, len - 12);
		v[strcspn(v, "\r\n")] = '\0';
		x->retry_after = http_retry_after(v, time(NULL));
		free(v);
	}
	return len;
}

/* A transfer finished: read its answer and report it. */
static void
fin(void *arg, CURL *h, CURLcode rc, void *tag)
{
	struct hgw	*g = arg;
	struct hx	*x = tag;
	struct gw_answer a;
	const char	*why;
	long		 st = 0;
	char		 what[CURL_ERROR_SIZE];

	memset(&a, 0, sizeof(a));
	a.id = x->id;
	hx_unlink(g, x);
	what[0] = '\0';
	if (rc != CURLE_OK) {
		a.result = http_judge_curl(rc);
		snprintf(what, sizeof(what), "%s",
		    x->err[0] != '\0' ? x->err : curl_easy_strerror(rc));
		say(&a, x->note, what, NULL, 0);
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		a.result = http_judge(g->t, st, x->resp.s ? x->resp.s : "",
		    x->resp.len, &why);
		if (why != NULL)
			snprintf(what, sizeof(what), "HTTP %ld (%s)", st, why);
		else
			snprintf(what, sizeof(what), "HTTP %ld", st);
		say(&a, x->note, what, x->resp.s, x->resp.len);
		if (a.result == GW_TEMPFAIL)
			a.retry_after = x->retry_after;
	}
	if (a.result == GW_CONFFAIL && !g->conflogged) {
		log_warnx("gateway %s: %s; every message would fail the same "
			  "way: mend the gateway's config (its sends wait "
			  "and are tried again)",
		    g->gwid, a.text);
		g->conflogged = 1;
	} else if (a.result == GW_OK)
		g->conflogged = 0;
	if (g->done != NULL)
		g->done(g->done_arg, &a);
	hx_free(x);
}

/* One part of a multipart body. */
static void
mime_part(curl_mime *mm, const char *name, const char *type,
    const char *filename, const void *data, size_t len)
{
	curl_mimepart *p = curl_mime_addpart(mm);

	if (p == NULL || curl_mime_name(p, name) != CURLE_OK ||
	    curl_mime_type(p, type) != CURLE_OK ||
	    (filename != NULL && curl_mime_filename(p, filename) != CURLE_OK) ||
	    curl_mime_data(p, data, len) != CURLE_OK)
		fatalx("libcurl: out of memory");
}

/*
 * A broadcast for a loudspeaker controller: multipart/form-data with
 * "item" (application/json, the spool's ID.json record), "audio"
 * (audio/wav, ID.wav) with speech and "cap" (application/cap+xml,
 * ID.cap.xml) with a CAP alert.
 */
static curl_mime *
controller_body(CURL *h, const struct gw_msg *m)
{
	curl_mime *mm = curl_mime_init(h);
	char	  *rec = gw_record(m), *f;

	if (mm == NULL)
		fatalx("libcurl: out of memory");
	f = xasprintf("%s.json", m->id);
	mime_part(mm, "item", "application/json", f, rec, strlen(rec));
	free(f);
	free(rec);
	if (m->audio != NULL) {
		f = xasprintf("%s.wav", m->id);
		mime_part(mm, "audio", "audio/wav", f, m->audio, m->audio_len);
		free(f);
	}
	if (m->cap != NULL) {
		f = xasprintf("%s.cap.xml", m->id);
		mime_part(mm, "cap", "application/cap+xml", f, m->cap,
		    strlen(m->cap));
		free(f);
	}
	return mm;
}

/* Set up x's handle for its request as template t has it. */
static void
hx_setopts(const struct hgw *g, const struct http_tmpl *t, struct hx *x)
{
	CURL *h = x->h;

	assert(h != NULL && x->url != NULL);
	curl_easy_setopt(h, CURLOPT_URL, x->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "loa/" LOA_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, g->timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, g->timeout);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->err);
	if (g->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (x->mime != NULL) {
		curl_easy_setopt(h, CURLOPT_MIMEPOST, x->mime);
		if (strcmp(t->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, t->method);
	} else if (strcmp(t->method, "GET") == 0)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else {
		if (strcmp(t->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, t->method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		    x->body != NULL ? x->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
		    (long)(x->body != NULL ? strlen(x->body) : 0));
	}
	if (t->auth == HA_BASIC) {
		int token = g->user == NULL || *g->user == '\0';

		/* A token and no user (SpeedSMS): TOKEN:x. */
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME,
		    token ? g->secret : g->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, token ? "x" : g->secret);
	}
}

static enum gw_result
http_submit(struct gw *gw, const struct gw_msg *m, struct gw_answer *a)
{
	struct hgw	       *g = gw->priv;
	const struct http_tmpl *t = g->t;
	struct hvals		v;
	struct buf		url = { 0 }, body = { 0 }, nat = { 0 };
	struct hx	       *x;
	CURL		       *h;
	char			err[256];
	size_t			i;

	/* Made by http_init, with its template (gw.h, gwhttp.h). */
	assert(t != NULL && m->id != NULL && m->channel != NULL);
	memset(&v, 0, sizeof(v));
	v.g = g;
	v.m = m;
	v.sender = g->sender;
	snprintf(v.parts, sizeof(v.parts), "%d", m->parts);
	/* The national form: 0 and the number, for Vietnamese numbers. */
	if (m->to != NULL && strncmp(m->to, "+84", 3) == 0)
		buf_printf(&nat, "0%s", m->to + 3);
	else
		buf_adds(&nat, m->to != NULL ? m->to : "");
	v.national = nat.s;
	if (t->dlr_url != NULL)
		v.dlr = fill(&v, t->dlr_url);

	/* The URL: each value percent-encoded, then the query. */
	v.escape = 1;
	if (subst(t->url, hval, &v, &url, err, sizeof(err)) == -1)
		log_warnx("gateway %s: url: %s", g->gwid, err);
	pairs(&v, &t->query, &url, strchr(url.s, '?') != NULL ? '&' : '?', 0);
	if (url.s[url.len - 1] == '?')
		url.s[--url.len] = '\0';

	x = xcalloc(1, sizeof(*x));
	x->g = g;
	x->id = xstrdup(m->id);
	x->url = buf_take(&url);
	snprintf(x->note, sizeof(x->note), "%s", m->note);
	h = curlm_easy(g->m);
	x->h = h;
	if (strcmp(m->channel, "broadcast") == 0) {
		/* A loudspeaker controller: the item as multipart/form-data,
		 * the broadcast's own body whatever the template says. */
		x->mime = controller_body(h, m);
		if (!has_header(&t->headers, "Idempotency-Key")) {
			char *k = xasprintf("Idempotency-Key: %s", m->id);

			if ((x->headers = curl_slist_append(x->headers, k)) ==
			    NULL)
				fatalx("libcurl: out of memory");
			free(k);
		}
	} else if (t->body == HB_FORM) {
		pairs(&v, &t->form, &body, '\0', 1);
		x->body = body.s != NULL ? buf_take(&body) : xstrdup("");
		if (!has_header(&t->headers, "Content-Type"))
			x->headers = header(x->headers, "Content-Type",
			    "application/x-www-form-urlencoded");
	} else if (t->body == HB_JSON) {
		json_t *o = jfield(&v, &t->json);

		x->body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (x->body == NULL)
			fatalx("jansson: out of memory");
		if (!has_header(&t->headers, "Content-Type"))
			x->headers = header(x->headers, "Content-Type",
			    "application/json");
	}
	for (i = 0; i < t->headers.nsub; i++) {
		char *s = fill(&v, t->headers.sub[i].value);

		if (s != NULL)
			x->headers = header(x->headers, t->headers.sub[i].name,
			    s);
		free(s);
	}
	if (t->auth == HA_BEARER || t->auth == HA_HEADER) {
		char *s = t->auth == HA_BEARER ?
		    xasprintf("Bearer %s", g->secret) :
		    xstrdup(g->secret);

		x->headers = header(x->headers,
		    t->auth == HA_BEARER ? "Authorization" : t->auth_header, s);
		explicit_bzero(s, strlen(s));
		free(s);
	}
	/* No "Expect: 100-continue" round trip before a body. */
	x->headers = header(x->headers, "Expect", "");
	free(v.dlr);
	buf_free(&v.tmp);
	buf_free(&nat);

	hx_setopts(g, t, x);

	a->id = m->id;
	a->retry_after = 0;
	if (curlm_start(g->m, h, x, err, sizeof(err)) == -1) {
		a->result = GW_TEMPFAIL;
		say(a, m->note, err, NULL, 0);
		hx_free(x);
		return GW_TEMPFAIL;
	}
	x->next = g->fly;
	if (g->fly != NULL)
		g->fly->prev = x;
	g->fly = x;
	a->result = GW_INFLIGHT;
	return GW_INFLIGHT;
}

static int
http_pollfds(struct gw *gw, struct pollfd *p, int max, int *timeout)
{
	struct hgw *g = gw->priv;

	return curlm_pollfds(g->m, p, max, timeout);
}

static void
http_poll(struct gw *gw, void (*done)(void *, const struct gw_answer *),
    void	    *arg)
{
	struct hgw *g = gw->priv;

	/* poll is not re-entered: fin reports through this one done. */
	assert(g->done == NULL && done != NULL);
	g->done = done;
	g->done_arg = arg;
	curlm_drive(g->m, fin, g);
	g->done = NULL;
}

/* The answers are the gateway's to keep: nothing to make durable here. */
static int
http_flush(struct gw *gw, char *err, size_t errlen)
{
	return 0;
}

static char *
astr(struct arena *a, const char *s)
{
	return s != NULL ? arena_strdup(a, s) : NULL;
}

static void
field_copy(struct arena *a, struct tfield *to, const struct tfield *f)
{
	size_t i;

	*to = *f;
	to->name = astr(a, f->name);
	to->value = astr(a, f->value);
	to->loc.file = NULL;
	if (f->nsub == 0) {
		to->sub = NULL;
		return;
	}
	to->sub = arena_alloc(a, f->nsub * sizeof(*to->sub));
	for (i = 0; i < f->nsub; i++)
		field_copy(a, &to->sub[i], &f->sub[i]);
}

static char **
strs_copy(struct arena *a, char **v, size_t n)
{
	char **r;
	size_t i;

	if (n == 0)
		return NULL;
	r = arena_alloc(a, n * sizeof(*r));
	for (i = 0; i < n; i++)
		r[i] = arena_strdup(a, v[i]);
	return r;
}

/* A deep copy of template t, from arena a. */
static struct http_tmpl *
tmpl_copy(struct arena *a, const struct http_tmpl *t)
{
	struct http_tmpl *c = arena_alloc(a, sizeof(*c));

	*c = *t;
	c->preset = astr(a, t->preset);
	c->method = astr(a, t->method);
	c->url = astr(a, t->url);
	c->auth_header = astr(a, t->auth_header);
	c->dlr_url = astr(a, t->dlr_url);
	c->dlr_token_file = astr(a, t->dlr_token_file);
	c->pointer = astr(a, t->pointer);
	field_copy(a, &c->headers, &t->headers);
	field_copy(a, &c->query, &t->query);
	field_copy(a, &c->form, &t->form);
	field_copy(a, &c->json, &t->json);
	if (t->nstatus > 0) {
		c->status = arena_alloc(a, t->nstatus * sizeof(*c->status));
		memcpy(c->status, t->status, t->nstatus * sizeof(*c->status));
	}
	c->ok = strs_copy(a, t->ok, t->nok);
	c->retry = strs_copy(a, t->retry, t->nretry);
	c->already_sent = strs_copy(a, t->already_sent, t->nalready);
	return c;
}

/* A secret from the variable env or the file path, into *out. */
static int
secret_from(const char *gwid, const char *what, const char *env,
    const char *path, char **out, char *err, size_t errlen)
{
	char *data, why[512];

	if (env != NULL) {
		const char *s = getenv(env);

		if (s == NULL || *s == '\0') {
			snprintf(err, errlen,
			    "gateway %s: the environment variable %s (its "
			    "%s) is not set",
			    gwid, env, what);
			return -1;
		}
		*out = xstrdup(s);
		secret_keep(*out);
		return 0;
	}
	if (path != NULL) {
		/* Its first line, as every secret file's. */
		if ((data = secret_file_line(path, 4096, why, sizeof(why))) ==
		    NULL) {
			snprintf(err, errlen, "gateway %s: its %s: %s", gwid,
			    what, why);
			return -1;
		}
		*out = data;
		secret_keep(*out);
	}
	return 0;
}

static int
http_init(struct gw *gw, char *err, size_t errlen)
{
	const struct gateway *cfg = gw->cfg;
	struct hgw	     *g;

	if (cfg == NULL || cfg->http == NULL) {
		snprintf(err, errlen, "http gateway without its config");
		return -1;
	}
	g = xcalloc(1, sizeof(*g));
	g->a = arena_new();
	g->gwid = arena_strdup(g->a, cfg->id);
	g->t = tmpl_copy(g->a, cfg->http);
	g->sender = arena_strdup(g->a, cfg->sender != NULL ? cfg->sender : "");
	g->timeout = (long)cfg->timeout;
	g->insecure = cfg->insecure;
	if (cfg->user != NULL)
		g->user = xstrdup(cfg->user);
	else if (cfg->user_env != NULL) {
		if (secret_from(cfg->id, "user", cfg->user_env, NULL, &g->user,
			err, errlen) == -1)
			goto fail;
		g->user_secret = 1;
	}
	if (secret_from(cfg->id, "password", cfg->password_env,
		cfg->password_file, &g->secret, err, errlen) == -1 ||
	    secret_from(cfg->id, "token", cfg->token_env, cfg->token_file,
		&g->secret, err, errlen) == -1 ||
	    (cfg->http->dlr_token_file != NULL &&
		secret_from(cfg->id, "dlr token", NULL,
		    cfg->http->dlr_token_file, &g->dlr_secret, err,
		    errlen) == -1))
		goto fail;
	/* A JSON body cannot carry what is not UTF-8 (jansson would make
	 * it ""): said now, not at every send. */
	if ((g->secret != NULL &&
		text_utf8_check(g->secret, strlen(g->secret)) != -1) ||
	    (g->user != NULL &&
		text_utf8_check(g->user, strlen(g->user)) != -1)) {
		snprintf(err, errlen,
		    "gateway %s: its %s is not UTF-8 text (from %s)", cfg->id,
		    g->user != NULL &&
			    text_utf8_check(g->user, strlen(g->user)) != -1 ?
			"user" :
			"secret",
		    cfg->password_env	   ? cfg->password_env :
			cfg->token_env	   ? cfg->token_env :
			cfg->password_file ? cfg->password_file :
			cfg->token_file	   ? cfg->token_file :
			cfg->user_env	   ? cfg->user_env :
					     "the config");
		goto fail;
	}
	/* Basic sends the login whole, in base64 (TOKEN:x without a user,
	 * as http_req does): blotted as such too. */
	if (g->t->auth == HA_BASIC && g->secret != NULL) {
		int token = g->user == NULL || *g->user == '\0';

		secret_keep_login(token ? g->secret : g->user,
		    token ? "x" : g->secret);
	}
	if ((g->m = curlm_new(cfg->concurrency, err, errlen)) == NULL)
		goto fail;
	gw->priv = g;
	return 0;
fail:
	arena_free(g->a);
	free(g->user);
	if (g->secret != NULL)
		explicit_bzero(g->secret, strlen(g->secret));
	free(g->secret);
	if (g->dlr_secret != NULL)
		explicit_bzero(g->dlr_secret, strlen(g->dlr_secret));
	free(g->dlr_secret);
	free(g);
	return -1;
}

static void
http_shutdown(struct gw *gw)
{
	struct hgw *g = gw->priv;
	struct hx  *x;

	if (g == NULL)
		return;
	while ((x = g->fly) != NULL) {
		hx_unlink(g, x);
		curlm_abort(g->m, x->h);
		hx_free(x);
	}
	curlm_free(g->m);
	arena_free(g->a);
	free(g->user);
	if (g->secret != NULL)
		explicit_bzero(g->secret, strlen(g->secret));
	free(g->secret);
	if (g->dlr_secret != NULL)
		explicit_bzero(g->dlr_secret, strlen(g->dlr_secret));
	free(g->dlr_secret);
	free(g);
	gw->priv = NULL;
}

const struct gw_backend gw_backend_http = {
	"http",
	http_init,
	http_submit,
	http_pollfds,
	http_poll,
	http_flush,
	http_shutdown,
};
