/*
 * expand.h: from a resolved plan to its jobs (conf/REFERENCE.md §2 and §6), and
 * the ids of jobs. Pure: nothing is read or written.
 */
#ifndef LOA_EXPAND_H
#define LOA_EXPAND_H

#include "util/diag.h"
#include "loa.h"

/*
 * Append the jobs of resolved plan p to js: distribution, invitations,
 * event and task reminders, overdue notices and broadcasts (placed later
 * by slots_place). svc->templates must be installed (tmpl_install): SMS
 * are rendered to count their parts. Warnings (a channel without an
 * address, an SMS longer than max_parts, a reminder after its deadline)
 * go to d, once each. The jobs point into p and svc, which must outlive
 * them. Can't fail.
 */
void plan_expand(const struct plan *p, const struct service *svc,
    struct jobs *js, struct diag *d);

/*
 * The id of a job with this content into out, 16 hex digits and a NUL:
 * a hash of plan, kind, object, ordinal, recipient (may be NULL) and
 * channel, never the time (README), so a moved job keeps its id.
 */
void plan_job_id(const struct plan *, enum job_kind, const char *object,
    int ordinal, const char *recipient, enum channel, char out[17]);

/* Free the jobs of js and its arena, and empty it. */
void jobs_free(struct jobs *js);

#endif
