/*
 * xmalloc.h: allocation that cannot fail (running out of memory is fatal),
 * a growing byte buffer, an arena for strings that live as long as a plan,
 * a string-keyed hash map, and making a folder with its parents.
 */
#ifndef LOA_XMALLOC_H
#define LOA_XMALLOC_H

#include <stdarg.h>
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

/* A growing, always NUL-terminated byte buffer. */
struct buf {
	char  *s;
	size_t len;
	size_t cap;
};

void  buf_add(struct buf *, const void *, size_t);
void  buf_adds(struct buf *, const char *);
void  buf_addc(struct buf *, char);
void  buf_printf(struct buf *, const char *, ...) LOA_PRINTF(2, 3);
void  buf_reset(struct buf *);
/* Take the string out of the buffer; the caller owns it, buf is emptied. */
char *buf_take(struct buf *);
void  buf_free(struct buf *);

/*
 * An arena: many small allocations freed at once. arena_free(NULL) is safe.
 */
struct arena;
struct arena *arena_new(void);
void	     *arena_alloc(struct arena *, size_t);
char	     *arena_strdup(struct arena *, const char *);
char	     *arena_printf(struct arena *, const char *, ...) LOA_PRINTF(2, 3);
void	      arena_free(struct arena *);

/*
 * A map from NUL-terminated string keys to pointers. Keys are not copied:
 * they must outlive the map.
 */
struct strmap {
	const char **keys;
	void	   **vals;
	size_t	     cap;
	size_t	     n;
};

/* Insert key; returns the value already there (and changes nothing), or
 * NULL after inserting. */
void *strmap_put(struct strmap *, const char *, void *);
void *strmap_get(const struct strmap *, const char *);
void  strmap_free(struct strmap *);

/* FNV-1a, 64 bits, continued from h (start with HASH_INIT). */
#define HASH_INIT 0xcbf29ce484222325ULL
unsigned long long hash_bytes(unsigned long long h, const void *, size_t);

/* Create dir and its missing parents (errors are left to the first use). */
void mkdirs(const char *dir);

#endif
