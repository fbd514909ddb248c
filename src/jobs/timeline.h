/*
 * timeline.h: jobs in time order, and the timeline as a text table. The
 * JSON of `timeline --json` is view/out.h's, the one writer of jobs.
 */
#ifndef LOA_TIMELINE_H
#define LOA_TIMELINE_H

#include <stdio.h>

#include "loa.h"

/* Sort by due time, then plan, kind, object, ordinal, recipient, channel. */
void timeline_sort(struct jobs *);

/* 1 when j is due in [from, to) (TIMEX_NONE: open on that side). */
int timeline_in_range(const struct job *j, int64_t from, int64_t to);

/*
 * Print the jobs due in [from, to) as an aligned text table. Returns 0,
 * or -1 when the stream fails.
 */
int timeline_print_text(FILE *, const struct jobs *, int64_t from, int64_t to);

#endif
