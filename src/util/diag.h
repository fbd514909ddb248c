/*
 * diag.h: messages about what was read ("FILE:LINE: KEY: what was wrong;
 * what was expected"), where they came from (struct loc) and how many
 * there were (struct diag). The config loaders report through it, and so
 * do expansion and placement for what they find in a plan.
 */
#ifndef LOA_DIAG_H
#define LOA_DIAG_H

#include <stdio.h>

#include "util/log.h"

/* Where a value came from, for messages. */
struct loc {
	const char *file;
	int	    line;
};

/* Where messages go (NULL: stderr) and how many there were. */
struct diag {
	FILE *out;
	int   errors;
	int   warnings;
};

/*
 * Print "FILE:LINE: KEY: message" (the parts known of l and key) to d and
 * count an error. l and key may be NULL. Can't fail.
 */
void diag_error(struct diag *, const struct loc *, const char *key,
    const char *, ...) LOA_PRINTF(4, 5);
/* The same as a warning: "FILE:LINE: warning: KEY: message". */
void diag_warn(struct diag *, const struct loc *, const char *key, const char *,
    ...) LOA_PRINTF(4, 5);

#endif
