/*
 * mem.c: allocation that cannot fail (see mem.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc(%zu)", n);
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL)
		fatal("calloc(%zu, %zu)", n, sz);
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t sz)
{
	void *p;

	if (sz != 0 && n > SIZE_MAX / sz)
		fatalx("reallocarray: %zu * %zu overflows", n, sz);
	if ((p = realloc(old, n * sz == 0 ? 1 : n * sz)) == NULL)
		fatal("realloc(%zu)", n * sz);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	char   *s;
	va_list ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("xasprintf: bad format");
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void
xgrow(void *vp, size_t *cap, size_t n, size_t sz)
{
	void **p = vp;
	size_t c = *cap;

	/* The array and its capacity go together: none means none. */
	assert(sz > 0 && (*p != NULL || c == 0));
	if (n <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < n)
		c *= 2;
	*p = xreallocarray(*p, c, sz);
	*cap = c;
}
