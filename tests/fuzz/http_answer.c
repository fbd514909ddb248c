/*
 * http_answer.c: fuzz the http gateway's reading of an answer
 * (gw/http_answer.c): the input is "STATUS\nPOINTER\nRETRY-AFTER\nBODY";
 * the answer is judged by three rules (any 2xx; the JSON value at
 * POINTER against ok, retry and already_sent lists; the body's start
 * against them), Retry-After read. A verdict is one of four, a success
 * never from a status that refuses the credentials, and Retry-After a
 * day at most.
 */
#include <stdlib.h>
#include <string.h>

#include "gw/http_answer.h"
#include "util/mem.h"
#include "fuzz.h"

static char *ok[] = { "0", "OK", "true", "ACCEPTD" };
static char *retry[] = { "RETRY", "429", "THROTTLED" };
static char *already[] = { "DUP", "already" };
static int   status[] = { 200, 202 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

/* The next line of [*p, end) as a string (caller frees); *p past it. */
static char *
line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char	   *s;

	if (nl == NULL)
		nl = end;
	s = xstrndup(*p, (size_t)(nl - *p));
	*p = nl < end ? nl + 1 : end;
	return s;
}

static void
judge(const struct http_tmpl *t, long st, const char *body, size_t len)
{
	const char    *why = "unset";
	enum gw_result r = http_judge(t, st, body, len, &why);

	FZ_CHECK(r == GW_OK || r == GW_TEMPFAIL || r == GW_PERMFAIL ||
	    r == GW_CONFFAIL);
	FZ_CHECK(why == NULL || why[0] != '\0');
	FZ_CHECK(!(st == 401 || st == 403) || r == GW_CONFFAIL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *end = p + size;
	char		*st = line(&p, end), *ptr = line(&p, end);
	char		*ra = line(&p, end), *body;
	size_t		 len = (size_t)(end - p);
	struct http_tmpl any, lists, prefix;
	long		 code = strtol(st, NULL, 10);
	int64_t		 wait;

	if (len > HTTP_BODY_MAX)
		len = HTTP_BODY_MAX;
	body = xmalloc(len + 1);
	memcpy(body, p, len);
	body[len] = '\0';
	memset(&any, 0, sizeof(any));
	lists = any;
	lists.pointer = ptr;
	lists.ok = ok;
	lists.nok = 4;
	lists.retry = retry;
	lists.nretry = 3;
	lists.already_sent = already;
	lists.nalready = 2;
	lists.status = status;
	lists.nstatus = 2;
	prefix = lists;
	prefix.pointer = NULL;
	prefix.nstatus = 0;
	judge(&any, code, body, len);
	judge(&lists, code, body, len);
	judge(&prefix, code, body, len);
	(void)http_judge_curl((CURLcode)(code & 0x7f));
	wait = http_retry_after(ra, 1765000000);
	FZ_CHECK(wait >= 0 && wait <= 86400);
	free(body);
	free(st);
	free(ptr);
	free(ra);
	return 0;
}
