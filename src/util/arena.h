/*
 * arena.h: an arena for strings and records that live as long as a plan
 * or a set of jobs: many small allocations freed at once.
 */
#ifndef LOA_ARENA_H
#define LOA_ARENA_H

#include <stddef.h>

#include "util/log.h"

/* arena_free(NULL) is safe. */
struct arena;
struct arena *arena_new(void);
void	     *arena_alloc(struct arena *, size_t);
char	     *arena_strdup(struct arena *, const char *);
char	     *arena_printf(struct arena *, const char *, ...) LOA_PRINTF(2, 3);
void	      arena_free(struct arena *);

#endif
