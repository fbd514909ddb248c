/*
 * resolve.h: from a loaded plan to its times (conf/REFERENCE.md §2 and §4), and
 * who its ids stand for. Pure: the current time is an argument, nothing is read
 * or written.
 */
#ifndef LOA_RESOLVE_H
#define LOA_RESOLVE_H

#include "util/diag.h"
#include "loa.h"

/*
 * Resolve every time of plan p against svc (holidays, defaults) and now:
 * references, chains, cycles, the ends of events; tasks without reminders
 * get copies of svc's defaults. Also checks that groups and agencies do
 * not contain themselves. Returns 0, or -1 with the errors reported to d;
 * what could be resolved is, the rest stays TIMEX_NONE.
 */
int plan_resolve(struct plan *p, const struct service *svc, int64_t now,
    struct diag *d);

/*
 * The recipients of the ids in l, through groups and agencies, each once,
 * in the order first met, leaving out skip (may be NULL). They are
 * appended to the array *v (of *n, capacity *cap, grown with xgrow; the
 * caller frees *v); the contacts belong to p. Can't fail.
 */
void plan_recipients(const struct plan *p, const struct idlist *l,
    const struct contact *skip, const struct contact ***v, size_t *n,
    size_t *cap);

/*
 * The contact standing for id: a person; for an agency its mailbox when it
 * has an email address, else its head, else its mailbox. NULL when there
 * is none (or id is NULL). The contact belongs to p.
 */
const struct contact *plan_contact(const struct plan *p, const char *id);
/*
 * The contact that organises ev, who gets no invitation: as plan_contact,
 * but an agency's mailbox even without an email address. NULL: none.
 */
const struct contact *
plan_organizer(const struct plan *p, const struct event *ev);

#endif
