/*
 * buf.c: the growing byte buffer (see buf.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

void
buf_add(struct buf *b, const void *p, size_t n)
{
	assert(b->len <= b->cap && (b->s != NULL || b->cap == 0));
	if (b->len + n + 1 > b->cap)
		xgrow(&b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("buf_printf: bad format");
	xgrow(&b->s, &b->cap, b->len + (size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

char *
buf_take(struct buf *b)
{
	char *s = b->s != NULL ? b->s : xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

static const char
    b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Written here because none of loa's libraries exports an encoder
 * (libcurl's is internal). */
void
buf_base64(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t		     i;

	for (i = 0; i + 2 < n; i += 3) {
		char q[4] = { b64[s[i] >> 2],
			b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
			b64[s[i + 2] & 63] };

		buf_add(b, q, 4);
	}
	if (n - i == 1) {
		char q[4] = { b64[s[i] >> 2], b64[(s[i] & 3) << 4], '=', '=' };

		buf_add(b, q, 4);
	} else if (n - i == 2) {
		char q[4] = { b64[s[i] >> 2],
			b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			b64[(s[i + 1] & 15) << 2], '=' };

		buf_add(b, q, 4);
	}
}
