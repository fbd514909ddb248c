/*
 * engine_facts.h: what the outbox records of the iTIP messages and CAP
 * alerts that went out, and how the engine reads it back: the fingerprint
 * of an event as announced, the fingerprint of an emergency item as
 * alerted, and the notes the send path writes when an invitation, an
 * update or an alert went out. Part of the engine's core: the send path
 * (sched.c) writes these facts and reconciliation (reconcile.c) reads
 * them, and neither calls the other.
 */
#ifndef LOA_ENGINE_FACTS_H
#define LOA_ENGINE_FACTS_H

#include "deliver/engine_int.h"

/* A fingerprint split: start|end|location|title|status. */
struct fprint {
	long long start, end;
	char	 *loc, *title; /* in buf */
	char	 *buf;	       /* freed by fprint_clear */
};

/* Split fingerprint s into *f; 0, or -1 when s is not one (f's buf may
 * be set either way: fprint_clear frees it). */
int   fprint_parse(const char *s, struct fprint *f);
void  fprint_clear(struct fprint *f);
/* What an invitation says of event ev: its fingerprint (to free). */
char *facts_event_fingerprint(const struct event *ev);
/*
 * What an emergency item says, for its CAP alerts: a hash of its title,
 * text and cap fields (to free); "cancelled" when b is NULL (the item no
 * longer airs as an emergency).
 */
char *facts_alert_fingerprint(const struct broadcast *b);
/*
 * The event of a cancellation as announced to its recipient: when payload
 * (the cancel job's: why, a newline, the fingerprint announced before) has
 * a fingerprint, *ev is n's event with that time, place and title and *out
 * names it; 1, with *mem for the caller to free. Else 0.
 */
int   facts_announced(const struct named *n, const char *payload,
      struct event *ev, struct named *out, char **mem);
/* Record an invitation or update j of plan p that went out, for later
 * updates; inside the caller's transaction. 0 or -1. */
int facts_note_invited(struct engine *, struct plan *p, const struct ob_job *j);
/* Record an emergency's CAP alert that went out (the broadcast job j):
 * its reference, and what its item said when it was the first; inside
 * the caller's transaction. 0 or -1. */
int facts_note_alert(struct engine *, struct plan *p, const struct ob_job *j);

#endif
