/*
 * adhoc.h: the plan of the loudspeaker's ad-hoc items (`loa broadcast
 * add`), built from the rows the outbox keeps of them: a plan like one
 * read from a file, of broadcasts only, whose id is reserved.
 */
#ifndef LOA_ADHOC_H
#define LOA_ADHOC_H

#include <stdint.h>

#include "loa.h"

/* The id of the ad-hoc items' plan; a plan file using it is an error. */
#define ADHOC_PLAN "ad-hoc"

/* An ad-hoc item as stored. */
struct adhoc_item {
	const char   *id;
	const char   *title;
	const char   *text;
	enum priority priority;
	int64_t	      air;     /* UTC */
	int64_t	      expires; /* UTC, or TIMEX_NONE */
};

/*
 * The plan of the n items of v, in svc's zone, its times resolved, issued
 * by issuer (NULL: nobody), its places named after file (the store).
 * Strings are copied. Free with plan_free. Can't fail.
 */
struct plan *plan_adhoc(const struct service *svc, const struct adhoc_item *v,
    size_t n, const char *issuer, const char *file);

#endif
