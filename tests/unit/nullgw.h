/*
 * nullgw.h: the unit suites' gateway, which carries nothing. The test
 * writes down what it answers and reads back what it was given.
 *
 * Each submit takes the next answer of the channel's script (past its
 * end, the last again). A script of none, or an answer GW_INFLIGHT, takes
 * the send in flight and holds it; nullgw_release lets held sends out at
 * the next poll, answered as the test says (the way the libcurl multi
 * gateways answer later). Every answer's text names the gateway's words
 * for its result and which answer it was: "451 4.3.0 try again later
 * (answer 2)".
 */
#ifndef LOA_NULLGW_H
#define LOA_NULLGW_H

#include <stdint.h>

#include "deliver/engine.h"
#include "gw/gw.h"

#define NULLGW_MAX 16

struct nullgw_answer {
	enum gw_result result;
	int64_t	       retry_after;
};

/* One channel's gateway: its script and what it saw. */
struct nullgw {
	struct nullgw_answer script[NULLGW_MAX];
	const char	    *say; /* every answer's words (any bytes, as a
				   * peer's); NULL: the usual ones */
	int		     nscript;
	int		     submits; /* how many sends it was given */
	int		     answers; /* how many it answered */
	char		     last_id[17];
	char		     held[NULLGW_MAX][17]; /* in flight, oldest first */
	int		     nheld;
	int		     most;    /* most held at once */
	int		     release; /* held sends the next poll answers */
	struct nullgw_answer later;   /* and how */
};

extern struct nullgw nullgw[CH__N];

/* Make a fresh nullgw[ch] the gateway of ch in e, with at most
 * concurrency sends in flight (0: no limit). */
void nullgw_install(struct engine *e, enum channel ch, int concurrency);
/* Give nullgw[ch] the script v of n answers, from its next submit on. */
void nullgw_script(enum channel ch, int n, const struct nullgw_answer *v);
/* Let n held sends of ch out at the next poll, with this answer. */
void nullgw_release(enum channel ch, int n, enum gw_result result,
    int64_t retry_after);

#endif
