/*
 * cap_render: the CAP alert cap_render (render/cap.h) makes of one
 * broadcast, for cap.sh to validate: the Update and Cancel alerts whose
 * jobs reconciliation makes, rendered from their payload contract.
 *
 *	cap_render CONFIG PLAN ITEM JOB_ID DUE PAYLOAD
 *
 * DUE is seconds since the epoch; PAYLOAD "cap Update REFS", "cap Cancel
 * REFS" or anything else (an Alert). ITEM "-" renders a broadcast gone
 * from the plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/world.h"
#include "render/cap.h"

int
main(int argc, char **argv)
{
	struct world		w;
	struct diag		d = { 0 };
	const struct plan      *p;
	const struct broadcast *b = NULL;
	enum cap_msgtype	t = CAP_ALERT;
	const char	       *refs = NULL;
	char		       *x;
	size_t			i;

	if (argc != 7) {
		fprintf(stderr,
		    "usage: cap_render CONFIG PLAN ITEM JOB_ID "
		    "DUE PAYLOAD\n");
		return 2;
	}
	memset(&w, 0, sizeof(w));
	if (world_load(&w, argv[1], 0, &d) == -1 ||
	    (p = world_plan(&w, argv[2])) == NULL) {
		fprintf(stderr, "cap_render: %s: cannot load plan %s\n",
		    argv[1], argv[2]);
		return 1;
	}
	for (i = 0; i < p->nbroadcasts; i++)
		if (strcmp(p->broadcasts[i].id, argv[3]) == 0)
			b = &p->broadcasts[i];
	if (b == NULL && strcmp(argv[3], "-") != 0) {
		fprintf(stderr, "cap_render: no broadcast %s\n", argv[3]);
		return 1;
	}
	if (cap_payload(argv[6], &t, &refs) == -1)
		refs = NULL;
	x = cap_render(w.svc, p, b, argv[4], strtoll(argv[5], NULL, 10), t,
	    refs);
	fputs(x, stdout);
	free(x);
	world_free(&w);
	return 0;
}
