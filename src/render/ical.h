/*
 * ical.h: the iCalendar objects loa sends and serves (conf/REFERENCE.md §7),
 * built with libical: invitations and updates (METHOD:REQUEST), cancellations
 * (METHOD:CANCEL), task deadlines (VTODO and VEVENT, METHOD:PUBLISH) and the
 * feed. Every function returns CRLF text folded at 75 octets, never inside
 * a UTF-8 sequence, with non-ASCII CN parameters double-quoted; the caller
 * frees it. They are pure functions of their arguments.
 */
#ifndef LOA_ICAL_H
#define LOA_ICAL_H

#include <stddef.h>
#include <stdint.h>

#include "loa.h"

struct buf;

/*
 * 1 when ev can be sent as iTIP (RFC 5546 §3.2: an ORGANIZER with an
 * address, and an ATTENDEE with one: only, or one of the invitees).
 * Otherwise ical_request and ical_cancel fall back to METHOD:PUBLISH
 * (without ORGANIZER and ATTENDEEs; a cancellation as STATUS:CANCELLED),
 * which calendars import without offering a reply.
 */
int ical_can_invite(struct plan *p, const struct event *ev,
    const struct contact *only);

/*
 * The invitation, or with seq > 0 the update, of event ev of plan p: one
 * VEVENT listing every invitee that has an email address, stamped now.
 */
char *
ical_request(struct plan *p, const struct event *ev, int seq, int64_t now);
/* The same for the mail to one invitee: it lists only them (RFC 6047
 * §3: each mail's ATTENDEE is the address it is sent to), so a mail does
 * not grow with the list nor show every invitee's address to all. */
char *ical_request_to(struct plan *p, const struct event *ev, int seq,
    int64_t now, const struct contact *to);

/*
 * The cancellation of event ev: of the whole event (only == NULL), or for
 * one removed attendee, who is listed alone (only need not be on the
 * event's list any more: pass a contact with their name and address).
 */
char *ical_cancel(struct plan *p, const struct event *ev, int seq, int64_t now,
    const struct contact *only);

/* Task t as a VTODO (COMPLETED when done) and a VEVENT at its due time,
 * METHOD:PUBLISH. */
char *ical_task(struct plan *p, const struct task *t, int done, int64_t now);

/* The deadline VEVENT alone, METHOD:PUBLISH: what a reminder carries. */
char *ical_task_event(struct plan *p, const struct task *t, int64_t now);

/*
 * What the outbox knows of a plan's objects, which the feed shows: the
 * SEQUENCE an event was last announced with, and whether a task is done.
 */
struct ical_facts {
	int (*seq)(void *arg, const struct plan *, const struct event *);
	int (*done)(void *arg, const struct plan *, const struct task *);
	void *arg;
};

/*
 * The feed: every event and task of the plans, METHOD:PUBLISH, with a
 * calendar name and refresh interval, no ORGANIZER and no RSVP. With
 * tasks_only, the tasks alone. f (NULL: nothing sent yet) gives each
 * event's SEQUENCE and each task's state.
 */
char *ical_feed(struct plan **plans, size_t nplans, int tasks_only,
    const struct ical_facts *f, int64_t now);

/* The UID of an event or task (kind "event", "todo", "due"). Stable. */
void ical_uid(const struct plan *p, const char *kind, const char *id, char *out,
    size_t len);

/*
 * Fold one content line (no CRLF) into b: at most 75 octets a line,
 * continuation lines start with a space, no UTF-8 sequence is split.
 */
void ical_fold_line(struct buf *b, const char *line, size_t len);

/* Remove folding (CRLF or LF followed by a space or tab). Caller frees. */
char *ical_unfold(const char *);

/*
 * Rewrite libical's serialisation: unfold, double-quote non-ASCII CN
 * parameter values, refold. Caller frees.
 */
char *ical_finish(const char *);

#endif
