/*
 * http_answer.c: the http gateway's reading of an answer
 * (http_answer.h): the success rule over the status and the body's value
 * (at a JSON pointer, or the whole body), libcurl's failures, Retry-After.
 */
#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gw/http_answer.h"
#include "util/mem.h"
#include "util/buf.h"

/* The value at JSON pointer ptr of body, as text; NULL when none. */
static char *
pointer_value(const char *body, size_t len, const char *ptr)
{
	json_t	   *root, *v;
	const char *p = ptr;
	char	   *out = NULL;

	if ((root = json_loadb(body, len, 0, NULL)) == NULL)
		return NULL;
	v = root;
	while (v != NULL && *p == '/') {
		struct buf  k = { 0 };
		const char *q;

		for (q = p + 1; *q != '\0' && *q != '/'; q++) {
			if (q[0] == '~' && q[1] == '1') {
				buf_addc(&k, '/');
				q++;
			} else if (q[0] == '~' && q[1] == '0') {
				buf_addc(&k, '~');
				q++;
			} else
				buf_addc(&k, *q);
		}
		if (k.s == NULL)
			buf_adds(&k, "");
		if (json_is_object(v))
			v = json_object_get(v, k.s);
		else if (json_is_array(v) && k.len > 0 &&
		    strspn(k.s, "0123456789") == k.len)
			v = json_array_get(v, strtoul(k.s, NULL, 10));
		else
			v = NULL;
		buf_free(&k);
		p = q;
	}
	if (v != NULL) {
		if (json_is_string(v))
			out = xstrdup(json_string_value(v));
		else if (json_is_integer(v))
			out = xasprintf("%lld",
			    (long long)json_integer_value(v));
		else if (json_is_real(v))
			out = xasprintf("%g", json_real_value(v));
		else if (json_is_true(v))
			out = xstrdup("true");
		else if (json_is_false(v))
			out = xstrdup("false");
		else if (json_is_null(v))
			out = xstrdup("null");
	}
	json_decref(root);
	return out;
}

/* Whether v is one of list (exactly, or as the start of v: prefix). */
static int
in_list(const char *v, char **list, size_t n, int prefix)
{
	size_t i;

	if (v == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (prefix ? strncmp(v, list[i], strlen(list[i])) == 0 :
			     strcmp(v, list[i]) == 0)
			return 1;
	return 0;
}

static int
ok_status(const struct http_tmpl *t, long st)
{
	size_t i;

	if (t->nstatus == 0)
		return st >= 200 && st <= 299;
	for (i = 0; i < t->nstatus; i++)
		if (t->status[i] == st)
			return 1;
	return 0;
}

enum gw_result
http_judge(const struct http_tmpl *t, long st, const char *body, size_t len,
    const char **why)
{
	char	      *v = NULL;
	int	       prefix = t->pointer == NULL;
	enum gw_result r;

	/* The body as read (on_body): never more than the most kept. */
	assert(t != NULL && body != NULL && len <= HTTP_BODY_MAX);
	*why = NULL;
	if (st == 401 || st == 403) {
		*why = "the gateway refused loa's credentials";
		return GW_CONFFAIL;
	}
	if (t->nok + t->nretry + t->nalready > 0) {
		if (t->pointer != NULL)
			v = pointer_value(body, len, t->pointer);
		else {
			size_t sk = 0;

			while (sk < len && isspace((unsigned char)body[sk]))
				sk++;
			v = xstrndup(body + sk, len - sk);
		}
	}
	if (in_list(v, t->already_sent, t->nalready, prefix)) {
		*why = "already sent (the same id)";
		r = GW_OK;
	} else if (in_list(v, t->retry, t->nretry, prefix)) {
		*why = "the gateway asks to try again later";
		r = GW_TEMPFAIL;
	} else if (ok_status(t, st)) {
		if (t->nok == 0 || in_list(v, t->ok, t->nok, prefix))
			r = GW_OK;
		else if (v == NULL && t->pointer != NULL &&
		    len >= HTTP_BODY_MAX) {
			/* Too long to read whole: the gateway took it (a 2xx
			 * of its rule); sending again would duplicate it. */
			*why = "a success status with an answer too long to "
			       "read (64 KB): taken as sent";
			r = GW_OK;
		} else if (v == NULL && t->pointer != NULL) {
			/* No verdict where one belongs: a proxy's page, a
			 * changed API. Tried again, never taken as sent. */
			*why = "the answer has no value at the success pointer";
			r = GW_TEMPFAIL;
		} else {
			*why = "the gateway's answer is not a success";
			r = GW_PERMFAIL;
		}
	} else if (st == 408 || st == 429 || (st >= 500 && st <= 599))
		r = GW_TEMPFAIL;
	else
		r = GW_PERMFAIL;
	free(v);
	return r;
}

enum gw_result
http_judge_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_LOGIN_DENIED:
		return GW_CONFFAIL;
	default:
		return GW_TEMPFAIL;
	}
}

int64_t
http_retry_after(const char *v, time_t now)
{
	time_t t;

	size_t d;

	v += strspn(v, " \t");
	d = strspn(v, "0123456789");
	/* RFC 9110 §5.5: whitespace around a field value is not part of
	 * it. */
	if (d > 0 && v[d + strspn(v + d, " \t")] == '\0') {
		long long s = strtoll(v, NULL, 10);

		/* A day at most: longer is a typo or an attack. */
		return s > 86400 ? 86400 : s;
	}
	if ((t = curl_getdate(v, NULL)) == -1 || t <= now)
		return 0;
	return t - now > 86400 ? 86400 : (int64_t)(t - now);
}
