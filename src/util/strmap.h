/*
 * strmap.h: a string-keyed hash map, and the FNV-1a hash it uses.
 */
#ifndef LOA_STRMAP_H
#define LOA_STRMAP_H

#include <stddef.h>

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

#endif
