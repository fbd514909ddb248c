/*
 * mem.h: allocation that cannot fail (running out of memory is fatal),
 * and arrays that grow.
 */
#ifndef LOA_MEM_H
#define LOA_MEM_H

#include <stddef.h>

#include "util/log.h"

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) LOA_PRINTF(1, 2);

/*
 * Grow the array *vp of *cap elements of size sz so that it holds at least
 * n elements. Can't fail.
 */
void xgrow(void *vp, size_t *cap, size_t n, size_t sz);

#endif
