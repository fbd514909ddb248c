/*
 * strmap.c: FNV-1a and the string-keyed hash map (see strmap.h).
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "util/strmap.h"

unsigned long long
hash_bytes(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t		     i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i;

	i = (size_t)hash_bytes(HASH_INIT, key, strlen(key)) & (m->cap - 1);
	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	size_t i;

	assert(key != NULL && val != NULL);
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap big = { 0 };
		size_t	      j;

		big.cap = m->cap ? m->cap * 2 : 64;
		big.keys = xcalloc(big.cap, sizeof(*big.keys));
		big.vals = xcalloc(big.cap, sizeof(*big.vals));
		for (j = 0; j < m->cap; j++) {
			if (m->keys[j] == NULL)
				continue;
			i = strmap_slot(&big, m->keys[j]);
			big.keys[i] = m->keys[j];
			big.vals[i] = m->vals[j];
		}
		big.n = m->n;
		strmap_free(m);
		*m = big;
	}
	i = strmap_slot(m, key);
	if (m->keys[i] != NULL)
		return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return NULL;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = strmap_slot(m, key);
	return m->keys[i] != NULL ? m->vals[i] : NULL;
}

void
strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}
