/*
 * testutil.h: what the unit suites share: times in a zone, files written
 * and read whole, a temporary tree removed. Every function fails the
 * running test (Check's ck_assert) rather than return an error.
 */
#ifndef LOA_TESTUTIL_H
#define LOA_TESTUTIL_H

#include <stdint.h>

/* The instant local time s (YYYY-MM-DD[ HH:MM]) names in zone. */
int64_t tu_time(const char *zone, const char *s);
/* Write text to path, replacing it. */
void	tu_write(const char *path, const char *text);
/* The whole file, NUL-terminated (caller frees), or NULL when it cannot be
 * read. */
char   *tu_slurp(const char *path);
/* Remove path and, for a folder, everything in it; silent when absent. */
void	tu_rm_tree(const char *path);

#endif
