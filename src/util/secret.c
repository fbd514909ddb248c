/*
 * secret.c: the secrets loa holds, and blotting them (see secret.h).
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "util/secret.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

/* Recursive: running out of memory under it logs, and logging blots. */
static pthread_mutex_t mu;
static pthread_once_t  mu_once = PTHREAD_ONCE_INIT;
static char	     **forms;
static size_t	       nforms, capforms;

/* s percent-encoded as in a URL (libcurl's escape: all but A-Z a-z 0-9
 * - . _ ~), or as in a form (a space as + then). */
static char *
pct(const char *s, int form)
{
	char	  *e = curl_easy_escape(NULL, s, 0), *p;
	struct buf b = { 0 };

	if (e == NULL)
		fatalx("libcurl: out of memory");
	for (p = e; *p != '\0'; p++)
		if (form && strncmp(p, "%20", 3) == 0) {
			buf_addc(&b, '+');
			p += 2;
		} else
			buf_addc(&b, *p);
	curl_free(e);
	return buf_take(&b);
}

/* s as a JSON string holds it, without the quotes; NULL when jansson
 * will not encode it (not UTF-8). */
static char *
json_form(const char *s)
{
	json_t *j = json_string(s);
	char   *js, *r = NULL;
	size_t	n;

	if (j == NULL)
		return NULL;
	js = json_dumps(j, JSON_ENCODE_ANY);
	json_decref(j);
	if (js != NULL && (n = strlen(js)) >= 2)
		r = xstrndup(js + 1, n - 2);
	free(js);
	return r;
}

static void
mu_init(void)
{
	pthread_mutexattr_t at;

	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&mu, &at);
	pthread_mutexattr_destroy(&at);
}

static void
lock(void)
{
	pthread_once(&mu_once, mu_init);
	pthread_mutex_lock(&mu);
}

/* The n bytes at p as base64. */
static char *
b64(const void *p, size_t n)
{
	struct buf b = { 0 };

	buf_base64(&b, p, n);
	return b.s != NULL ? buf_take(&b) : NULL;
}

static void
zfree(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* Add form f (taken) unless known or useless; under mu. */
static void
add_form(char *f)
{
	size_t i;

	if (f == NULL || *f == '\0' || strcmp(f, "***") == 0) {
		zfree(f);
		return;
	}
	for (i = 0; i < nforms; i++)
		if (strcmp(forms[i], f) == 0) {
			zfree(f);
			return;
		}
	xgrow(&forms, &capforms, nforms + 1, sizeof(*forms));
	/* Kept longest first. */
	for (i = nforms; i > 0 && strlen(forms[i - 1]) < strlen(f); i--)
		forms[i] = forms[i - 1];
	forms[i] = f;
	nforms++;
}

void
secret_keep(const char *s)
{
	char *f[6];
	int   i;

	if (s == NULL || *s == '\0')
		return;
	f[0] = xstrdup(s);
	f[1] = pct(s, 0);
	f[2] = pct(s, 1);
	f[3] = json_form(s);
	/* A URL quoted in a URL (a link that carries the request): encoded
	 * twice. */
	f[4] = pct(f[1], 0);
	/* SMTP's AUTH LOGIN sends it as base64. */
	f[5] = b64(s, strlen(s));
	lock();
	for (i = 0; i < 6; i++)
		add_form(f[i]);
	pthread_mutex_unlock(&mu);
}

void
secret_keep_login(const char *user, const char *pass)
{
	struct buf b = { 0 };
	char	  *f[2];

	if (user == NULL || pass == NULL || *pass == '\0')
		return;
	/* HTTP Basic: USER:PASS. */
	buf_printf(&b, "%s:%s", user, pass);
	f[0] = b64(b.s, b.len);
	/* SMTP's AUTH PLAIN: NUL USER NUL PASS. */
	buf_reset(&b);
	buf_addc(&b, '\0');
	buf_adds(&b, user);
	buf_addc(&b, '\0');
	buf_adds(&b, pass);
	f[1] = b64(b.s, b.len);
	explicit_bzero(b.s, b.cap);
	buf_free(&b);
	lock();
	add_form(f[0]);
	add_form(f[1]);
	pthread_mutex_unlock(&mu);
}

static void
blot_one(char *s, const char *w)
{
	size_t n = strlen(w);
	char  *p;

	assert(n > 0);
	for (p = s; (p = strstr(p, w)) != NULL;) {
		if (n < 3) {
			memset(p, '*', n);
			p += n;
			continue;
		}
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
		p += 3;
	}
}

void
secret_blot(char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return;
	lock();
	/* Longest first (add_form keeps them so): a form holding another
	 * is blotted whole. */
	for (i = 0; i < nforms; i++)
		blot_one(s, forms[i]);
	pthread_mutex_unlock(&mu);
}

void
secret_forget(void)
{
	size_t i;

	lock();
	for (i = 0; i < nforms; i++)
		zfree(forms[i]);
	free(forms);
	forms = NULL;
	nforms = capforms = 0;
	pthread_mutex_unlock(&mu);
}

char *
secret_file_line(const char *path, size_t max, char *err, size_t errlen)
{
	char  *data;
	size_t len, n;

	assert(path != NULL && max > 0);
	if (fs_slurp(path, max, &data, &len, err, errlen) == -1)
		return NULL;
	n = strcspn(data, "\r\n");
	if (n == 0 || (n < len && data[n] == '\0')) {
		snprintf(err, errlen, "%s: %s", path,
		    n == 0 ? "its first line is empty" :
			     "its first line holds a NUL byte");
		explicit_bzero(data, len);
		free(data);
		return NULL;
	}
	/* The lines after it (a comment, a second secret) are not kept. */
	explicit_bzero(data + n, len - n);
	return data;
}
