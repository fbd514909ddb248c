/*
 * plan.h: from a loaded plan to its jobs (SPEC §2, §3, §6). Pure: the
 * current time is an argument, nothing is read or written.
 */
#ifndef LOA_PLAN_H
#define LOA_PLAN_H

#include "plan/cfg.h"
#include "loa.h"

/*
 * Resolve every time of plan p against svc (holidays, defaults) and now:
 * references, chains, cycles, the ends of events. Also checks that groups
 * and agencies do not contain themselves. Returns 0, or -1 with the errors
 * reported to d.
 */
int	plan_resolve(struct plan *p, const struct service *svc, int64_t now,
	    struct diag *d);

/*
 * Append the jobs of resolved plan p to js: distribution, invitations,
 * event and task reminders, overdue notices and broadcasts (placed later
 * by slots_place). Warnings (a channel without an address, an SMS longer
 * than max_parts, a reminder after its deadline) go to d, once each.
 * Can't fail.
 */
void	plan_expand(struct plan *p, const struct service *svc, struct jobs *js,
	    struct diag *d);

/*
 * The recipients of the ids in l, through groups and agencies, each once,
 * in the order first met, leaving out skip (may be NULL). The array is
 * appended to *v (of *n, capacity *cap).
 */
void	plan_recipients(struct plan *p, const struct idlist *l,
	    const struct contact *skip, const struct contact ***v, size_t *n,
	    size_t *cap);

/*
 * The contact standing for id: a person; for an agency its mailbox when it
 * has an email address, else its head, else its mailbox. NULL when there
 * is none.
 */
const struct contact *plan_contact(const struct plan *p, const char *id);
/* The contact that organises ev, who gets no invitation: as plan_contact,
 * but an agency's mailbox even without an email address. */
const struct contact *plan_organizer(struct plan *p, const struct event *ev);

/*
 * Render template `which` (enum tmpl_name) for a message about object to
 * contact to, sent at `at`; changes fills {changes}. Caller frees.
 */
char	*plan_render(const struct plan *, const struct service *, int which,
	    const char *object, const struct contact *to, int64_t at,
	    const char *changes);

/* The text of an SMS, rendered and folded as its gateway wants. */
char	*plan_sms_text(const struct plan *, const struct service *,
	    enum job_kind kind, const char *object, const struct contact *to,
	    int64_t at, const char *changes);

/* The id of a job with this content (see README: never the time). */
void	plan_job_id(const struct plan *, enum job_kind, const char *object,
	    int ordinal, const char *recipient, enum channel, char out[17]);

void	jobs_free(struct jobs *);

#endif
