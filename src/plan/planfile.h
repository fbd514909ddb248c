/*
 * planfile.h: reading one plan file (conf/REFERENCE.md §4) into struct plan:
 * the plan itself, people, groups, agencies, the distribution, events, tasks
 * and broadcasts, with every id reference checked. Times are parsed, not yet
 * resolved (resolve.h).
 */
#ifndef LOA_PLANFILE_H
#define LOA_PLANFILE_H

#include "util/diag.h"
#include "loa.h"

/*
 * Load the plan file at path for svc (its zone, holidays), as named at
 * from (NULL: not named anywhere) in the service config. Returns the
 * plan, or NULL when it has errors (all of them reported to d). The caller
 * frees with plan_free; the plan must not outlive svc.
 */
struct plan *plan_load(const struct service *svc, const char *path,
    const struct loc *from, struct diag *d);
/* Free p and everything from its arena; NULL is allowed. */
void	     plan_free(struct plan *p);

#endif
