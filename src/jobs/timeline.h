/*
 * timeline.h: jobs in time order, as text or as the JSON of SPEC §10.
 */
#ifndef LOA_TIMELINE_H
#define LOA_TIMELINE_H

#include <stdio.h>

#include <jansson.h>

#include "loa.h"

/* Sort by due time, then plan, kind, object, ordinal, recipient, channel. */
void	 timeline_sort(struct jobs *);

/* A job as SPEC §10's JSON object; the caller owns the reference. */
json_t	*timeline_job_json(const struct job *);

/*
 * Print the jobs due in [from, to) (TIMEX_NONE: open) as one JSON array,
 * an object a line, or as an aligned text table. Returns 0, or -1 when
 * the stream fails.
 */
int	 timeline_print_json(FILE *, const struct jobs *, int64_t from,
	    int64_t to);
int	 timeline_print_text(FILE *, const struct jobs *, int64_t from,
	    int64_t to);

#endif
