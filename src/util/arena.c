/*
 * arena.c: many small allocations freed at once (see arena.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/mem.h"

#define ARENA_CHUNK 65536

struct arena_chunk {
	struct arena_chunk *next;
	size_t		    used;
	size_t		    size;
	_Alignas(max_align_t) unsigned char data[];
};

struct arena {
	struct arena_chunk *head;
};

struct arena *
arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t		    al = _Alignof(max_align_t);
	void		   *p;

	n = (n + al - 1) / al * al;
	if (c == NULL || c->size - c->used < n) {
		size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = xmalloc(sizeof(*c) + sz);
		c->size = sz;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	assert(c->size - c->used >= n && n % al == 0);
	p = c->data + c->used;
	c->used += n;
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(arena_alloc(a, n), s, n);
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char   *p;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("arena_printf: bad format");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}
