/*
 * reconcile.c: the plans against the outbox (conf/REFERENCE.md §6), at start
 * and on every reload, inside one transaction: the jobs the plans derive now
 * are stored (new ones added, unsent ones moved, as policy_rederive says), the
 * unsent jobs no plan derives are cancelled, and for every event whose
 * invitation went out, what changed since is announced: updates with a new
 * SEQUENCE, cancellations to attendees removed, to everybody when the
 * event is cancelled or deleted.
 *
 * What the outbox knows and the plan does not (events deleted from their
 * plan, tasks marked done) is kept in the engine's own maps, never written
 * into struct plan.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/bqueue.h"
#include "deliver/engine_facts.h"
#include "deliver/reconcile.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "render/cap.h"
#include "render/compose.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"
#include "util/strmap.h"

/* How many jobs reconciliation stores between looks at SIGTERM. */
#define RECONCILE_CHECK 2000

/* Append piece n of the change words, rendered against ev, to out. */
static void
change_add(struct engine *e, const struct plan *p, const struct event *ev,
    enum tmpl_name n, struct buf *out)
{
	const struct named obj = { N_EVENT, (void *)ev, { NULL, 0 } };
	char		  *s;

	if (out->len > 0) {
		s = compose_text(p, e->w->svc, T_CHANGE_SEPARATOR, NULL, NULL,
		    0, NULL);
		buf_adds(out, s);
		free(s);
	}
	s = compose_text(p, e->w->svc, n, &obj, NULL, 0, NULL);
	buf_adds(out, s);
	free(s);
}

/*
 * The words (templates change_*) for what changed between fingerprints.
 * Only the new values are named: a recipient whose last update was
 * superseded unsent never saw the old ones.
 */
static char *
event_changes(struct engine *e, struct plan *p, const char *old,
    const char *new)
{
	struct fprint o = { 0 }, n = { 0 };
	struct event  now;
	struct buf    out = { 0 };

	if (fprint_parse(old, &o) == 0 && fprint_parse(new, &n) == 0) {
		memset(&now, 0, sizeof(now));
		now.start.t = n.start;
		now.end.t = n.end;
		now.location = n.loc;
		now.title = n.title;
		if (o.start != n.start || o.end != n.end)
			change_add(e, p, &now, T_CHANGE_TIME, &out);
		if (strcmp(o.loc, n.loc) != 0)
			change_add(e, p, &now, T_CHANGE_LOCATION, &out);
		if (strcmp(o.title, n.title) != 0)
			change_add(e, p, &now, T_CHANGE_TITLE, &out);
	}
	if (out.len == 0)
		change_add(e, p, NULL, T_CHANGE_OTHER, &out);
	fprint_clear(&o);
	fprint_clear(&n);
	return buf_take(&out);
}

/*
 * Insert the update or cancel job of kind k to one recipient; what older
 * sequence of the event the recipient has not yet been sent on that
 * channel is superseded by it.
 */
static int
add_itip_job(struct engine *e, struct plan *p, const struct event *ev,
    enum job_kind k, int seq, const char *rid, const char *name,
    const char *addr, enum channel ch, const char *payload, int64_t now)
{
	struct ob_job j;

	/* iTIP after the invitation: an update or a cancellation, by email
	 * or SMS, with a SEQUENCE past the invitation's 0. */
	assert(k == JK_UPDATE || k == JK_CANCEL);
	assert((ch == CH_EMAIL || ch == CH_SMS) && seq > 0);
	if (outbox_supersede(e->ob, p->id, ev->id, rid, ch, seq, now) == -1)
		return -1;
	memset(&j, 0, sizeof(j));
	plan_job_id(p, k, ev->id, seq, rid, ch, j.id);
	j.plan = p->id;
	j.kind = k;
	j.object = ev->id;
	j.ordinal = seq;
	j.recipient = (char *)rid;
	j.name = (char *)name;
	j.channel = ch;
	j.address = (char *)addr;
	j.due = j.next_at = now;
	j.refers = k == JK_UPDATE ? ev->start.t : ev->end.t;
	j.state = JS_PENDING;
	j.seq = seq;
	j.payload = (char *)payload;
	return outbox_insert(e->ob, &j);
}

/* Tell one attendee the event is off for them, on every channel that
 * reached them with the invitation. */
static int
cancel_attendee(struct engine *e, struct plan *p, const struct event *ev,
    int seq, const struct ob_attendee *a, const char *why, int64_t now)
{
	if (a->email != NULL &&
	    add_itip_job(e, p, ev, JK_CANCEL, seq, a->id, a->name, a->email,
		CH_EMAIL, why, now) == -1)
		return -1;
	if (a->phone != NULL &&
	    add_itip_job(e, p, ev, JK_CANCEL, seq, a->id, a->name, a->phone,
		CH_SMS, why, now) == -1)
		return -1;
	return 0;
}

/* Send one current attendee the event as it now stands. */
static int
update_attendee(struct engine *e, struct plan *p, const struct event *ev,
    int seq, const struct contact *c, const char *changes, int64_t now)
{
	if (c->email != NULL && (c->channels & CHM(CH_EMAIL)) &&
	    add_itip_job(e, p, ev, JK_UPDATE, seq, c->id, c->name, c->email,
		CH_EMAIL, changes, now) == -1)
		return -1;
	if (c->phone != NULL && (c->channels & CHM(CH_SMS)) &&
	    add_itip_job(e, p, ev, JK_UPDATE, seq, c->id, c->name, c->phone,
		CH_SMS, changes, now) == -1)
		return -1;
	return 0;
}

/* Did the first invitation reach c (who is not among the attendees on
 * record, so was taken off the list since)? 1 or 0 in *sent; 0, or -1
 * when the outbox fails. */
static int
invitation_sent(struct engine *e, struct plan *p, const struct event *ev,
    const struct contact *c, int *sent)
{
	enum channel  chs[] = { CH_EMAIL, CH_SMS };
	struct ob_job j;
	char	      id[17];
	size_t	      i;
	int	      found;

	*sent = 0;
	for (i = 0; i < sizeof(chs) / sizeof(chs[0]) && !*sent; i++) {
		plan_job_id(p, JK_INVITATION, ev->id, 0, c->id, chs[i], id);
		if (outbox_get(e->ob, id, &j, &found) == -1)
			return -1;
		*sent = found && j.state == JS_SENT;
		ob_job_clear(&j);
	}
	return 0;
}

/* One event's reconciliation: what the outbox announced, who it reached,
 * and who the plan invites now. */
struct evrec {
	struct engine	       *e;
	struct plan	       *p;
	struct event	       *ev;
	int64_t			now;
	struct reconcile_stats *rs;
	struct ob_event		oe;   /* as last announced */
	int			seq;  /* the new SEQUENCE */
	struct ob_attendee     *sent; /* who the announcements reached */
	size_t			nsent;
	const struct contact  **rc; /* invited now, optional ones too */
	size_t			nrc;
	int			bumped; /* a message went out with seq */
};

/* Who ev invites now: attendees, then optional ones, each once, without
 * the organizer. */
static void
invitees(struct evrec *r)
{
	const struct contact  *skip = plan_organizer(r->p, r->ev);
	const struct contact **opt = NULL;
	size_t		       cap = 0, nopt = 0, capopt = 0, i, k;

	plan_recipients(r->p, &r->ev->attendees, skip, &r->rc, &r->nrc, &cap);
	plan_recipients(r->p, &r->ev->optional, skip, &opt, &nopt, &capopt);
	for (i = 0; i < nopt; i++) {
		for (k = 0; k < r->nrc && r->rc[k] != opt[i]; k++)
			;
		if (k == r->nrc) {
			xgrow(&r->rc, &cap, r->nrc + 1, sizeof(*r->rc));
			r->rc[r->nrc++] = opt[i];
		}
	}
	free(opt);
}

/* The event is cancelled: everybody who was invited hears it is off, in
 * the words of what they were sent. */
static int
cancel_everybody(struct evrec *r)
{
	char  *why = xasprintf("cancelled\n%s", r->oe.fingerprint);
	size_t i;
	int    rc = 0;

	for (i = 0; i < r->nsent && rc == 0; i++) {
		rc = cancel_attendee(r->e, r->p, r->ev, r->seq, &r->sent[i],
		    why, r->now);
		r->rs->cancels++;
	}
	free(why);
	return rc;
}

/*
 * Attendees invited before and no longer on the list get a cancellation
 * that quotes what was announced (reconcile_announced): they never saw
 * what changed now.
 */
static int
cancel_removed(struct evrec *r)
{
	char  *why = xasprintf("removed\n%s", r->oe.fingerprint);
	size_t i, k;
	int    rc = 0;

	for (i = 0; i < r->nsent && rc == 0; i++) {
		for (k = 0;
		     k < r->nrc && strcmp(r->rc[k]->id, r->sent[i].id) != 0;
		     k++)
			;
		if (k < r->nrc)
			continue;
		if ((rc = cancel_attendee(r->e, r->p, r->ev, r->seq,
			 &r->sent[i], why, r->now)) == 0)
			rc = outbox_attendee_drop(r->e->ob, r->p->id, r->ev->id,
			    r->sent[i].id);
		r->rs->cancels++;
		r->bumped = 1;
	}
	free(why);
	return rc;
}

/*
 * Everybody invited now hears what changed; when nothing did, only
 * somebody taken off the list and put back (their calendar holds the
 * event cancelled) hears again.
 */
static int
update_current(struct evrec *r, const char *changes)
{
	size_t i, k;
	char  *back;
	int    again, rc;

	for (i = 0; i < r->nrc; i++) {
		const struct contact *c = r->rc[i];

		back = NULL;
		if (changes == NULL) {
			for (k = 0;
			     k < r->nsent && strcmp(r->sent[k].id, c->id) != 0;
			     k++)
				;
			if (k < r->nsent)
				continue;
			if (invitation_sent(r->e, r->p, r->ev, c, &again) == -1)
				return -1;
			if (!again)
				continue; /* new: the invitation goes */
			back = compose_text(r->p, r->e->w->svc,
			    T_CHANGE_BACK_ON_LIST, NULL, NULL, 0, NULL);
		}
		rc = update_attendee(r->e, r->p, r->ev, r->seq, c,
		    back != NULL ? back : changes, r->now);
		free(back);
		if (rc == -1)
			return -1;
		r->rs->updates++;
		r->bumped = 1;
	}
	return 0;
}

/*
 * Reconcile event ev of plan p with what its invitations announced: a
 * cancellation for everybody when it is cancelled, for attendees taken
 * off the list, and an update with a new SEQUENCE for the rest when
 * anything changed. Inside the caller's transaction; 0 or -1.
 */
static int
reconcile_event(struct engine *e, struct plan *p, struct event *ev, int64_t now,
    struct reconcile_stats *rs)
{
	struct evrec r;
	int	     found, rc = -1;
	char	    *fp = NULL, *changes = NULL;

	memset(&r, 0, sizeof(r));
	r.e = e;
	r.p = p;
	r.ev = ev;
	r.now = now;
	r.rs = rs;
	if (outbox_event_get(e->ob, p->id, ev->id, &r.oe, &found) == -1)
		return -1;
	if (!found)
		return 0; /* no invitation has gone out yet */
	fp = facts_event_fingerprint(ev);
	if (outbox_attendees(e->ob, p->id, ev->id, &r.sent, &r.nsent) == -1)
		goto out;
	invitees(&r);
	/* One new SEQUENCE for whatever this version changed. */
	r.seq = r.oe.seq + 1;
	if (ev->status == EV_CANCELLED) {
		rc = 0;
		/* Told already, or told now. */
		if (strstr(r.oe.fingerprint, "|cancelled") == NULL &&
		    (rc = cancel_everybody(&r)) == 0)
			rc = outbox_event_put(e->ob, p->id, ev->id, r.seq, fp,
			    NULL, ev->organizer.id);
		goto out;
	}
	if (strcmp(r.oe.fingerprint, fp) != 0)
		/* Called off, then on again: everybody gets it back. */
		changes = strstr(r.oe.fingerprint, "|cancelled") != NULL ?
		    compose_text(p, e->w->svc, T_CHANGE_BACK, NULL, NULL, 0,
			NULL) :
		    event_changes(e, p, r.oe.fingerprint, fp);
	if (cancel_removed(&r) == -1 || update_current(&r, changes) == -1)
		goto out;
	rc = r.bumped ? outbox_event_put(e->ob, p->id, ev->id, r.seq, fp,
			    changes, ev->organizer.id) :
			0;
out:
	ob_attendees_free(r.sent, r.nsent);
	free(r.rc);
	free(fp);
	free(changes);
	ob_event_clear(&r.oe);
	return rc;
}

/*
 * An event whose invitation went out and which is no longer in the plan
 * comes back as a ghost: rebuilt from what the outbox recorded of it
 * (time, place, title, organizer), cancelled, and kept in the engine's
 * map so that its cancellations render like any other. Returns the
 * plan's own event when it is still there, NULL when its id now names
 * something else.
 */
static struct event *
ghost_event(struct engine *e, struct plan *p, const struct ob_event *r)
{
	const struct named *n = strmap_get(p->names, r->event);
	struct named	   *nm;
	struct event	   *ev;
	struct fprint	    f;
	const char	   *key;

	if (n != NULL)
		return n->kind == N_EVENT ? n->p : NULL;
	key = engine_key(e, p, r->event);
	if ((nm = strmap_get(&e->ghosts, key)) != NULL)
		return nm->p;
	ev = arena_alloc(e->facts, sizeof(*ev));
	memset(ev, 0, sizeof(*ev));
	ev->id = arena_strdup(e->facts, r->event);
	if (fprint_parse(r->fingerprint, &f) == 0) {
		ev->start.t = f.start;
		ev->end.t = f.end;
		ev->title = arena_strdup(e->facts, f.title);
		if (*f.loc != '\0')
			ev->location = arena_strdup(e->facts, f.loc);
	} else {
		ev->start.t = ev->end.t = TIMEX_NONE;
		ev->title = ev->id;
	}
	fprint_clear(&f);
	ev->duration = ev->end.t - ev->start.t;
	ev->invite.t = TIMEX_NONE;
	if (r->organizer != NULL)
		ev->organizer.id = arena_strdup(e->facts, r->organizer);
	ev->status = EV_CANCELLED;
	nm = arena_alloc(e->facts, sizeof(*nm));
	memset(nm, 0, sizeof(*nm));
	nm->kind = N_EVENT;
	nm->p = ev;
	strmap_put(&e->ghosts, key, nm);
	return ev;
}

/* Cancel, for everybody invited, the events gone from plan p. */
static int
reconcile_vanished(struct engine *e, struct plan *p, int64_t now,
    struct reconcile_stats *rs)
{
	struct ob_event	   *v = NULL;
	struct ob_attendee *a = NULL;
	size_t		    n = 0, na = 0, i, k;
	struct event	   *ev;
	char		   *fp;
	int		    rc = -1;

	if (outbox_events(e->ob, p->id, &v, &n) == -1)
		goto out;
	assert(n == 0 || v != NULL);
	for (i = 0; i < n; i++) {
		ev = ghost_event(e, p, &v[i]);
		if (ev == NULL ||
		    (ev >= p->events && ev < p->events + p->nevents) ||
		    strstr(v[i].fingerprint, "|cancelled") != NULL)
			continue; /* still there, or told already */
		if (outbox_attendees(e->ob, p->id, ev->id, &a, &na) == -1)
			goto out;
		for (k = 0; k < na; k++) {
			if (cancel_attendee(e, p, ev, v[i].seq + 1, &a[k],
				"deleted", now) == -1)
				goto out;
			rs->cancels++;
		}
		ob_attendees_free(a, na);
		a = NULL;
		na = 0;
		fp = facts_event_fingerprint(ev);
		k = outbox_event_put(e->ob, p->id, ev->id, v[i].seq + 1, fp,
			NULL, ev->organizer.id) == -1;
		free(fp);
		if (k)
			goto out;
	}
	rc = 0;
out:
	ob_attendees_free(a, na);
	for (i = 0; i < n; i++)
		ob_event_clear(&v[i]);
	free(v);
	return rc;
}

/*
 * The emergency items of plan p that air now, by id: their broadcast
 * job (the first), from the world's jobs.
 */
static void
live_emergencies(const struct world *w, const struct plan *p, struct strmap *m)
{
	size_t i;

	for (i = 0; i < w->jobs.n; i++) {
		const struct job *j = &w->jobs.v[i];

		if (j->plan == p && j->kind == JK_BROADCAST &&
		    j->channel == CH_BROADCAST &&
		    j->priority == PRIO_EMERGENCY && j->state != JS_CANCELLED &&
		    strmap_get(m, j->object) == NULL)
			strmap_put(m, j->object, (void *)j);
	}
}

/*
 * Every emergency item of plan p whose alert went out and whose content
 * changed since gets a CAP Update, one that no longer airs as an
 * emergency a CAP Cancel: a broadcast job, due now, urgent, whose payload
 * is "cap Update REFS" or "cap Cancel REFS" (REFS: every alert sent for
 * it). Its id derives from the item and the new sequence, and the
 * sequence and fingerprint are stored with it, so that a reload makes
 * the same job, never a second one.
 */
static int
reconcile_alerts(struct engine *e, struct plan *p, int64_t now,
    struct reconcile_stats *rs)
{
	struct ob_alert *v = NULL;
	struct strmap	 live;
	size_t		 n = 0, i;
	int		 rc = -1;

	memset(&live, 0, sizeof(live));
	/* On -1 the outbox's listings leave nothing to free (and v NULL); the
	 * loop below frees what they leave either way. */
	if (outbox_alerts(e->ob, p->id, &v, &n) == -1)
		goto out;
	assert(n == 0 || v != NULL);
	if (n > 0)
		live_emergencies(e->w, p, &live);
	for (i = 0; i < n; i++) {
		const struct job       *lj = strmap_get(&live, v[i].item);
		const struct named     *nm = strmap_get(p->names, v[i].item);
		const struct broadcast *b = lj != NULL && nm != NULL &&
			nm->kind == N_BROADCAST ?
		    nm->p :
		    NULL;
		struct ob_job		j;
		char *fp = facts_alert_fingerprint(b), *payload;
		int   seq = v[i].seq + 1, k;

		if (strcmp(fp, v[i].fingerprint) == 0) {
			free(fp);
			continue;
		}
		payload = xasprintf("cap %s %s",
		    b != NULL ? "Update" : "Cancel", v[i].refs);
		memset(&j, 0, sizeof(j));
		plan_job_id(p, JK_BROADCAST, v[i].item, seq, "cap",
		    CH_BROADCAST, j.id);
		j.plan = p->id;
		j.kind = JK_BROADCAST;
		j.object = v[i].item;
		j.ordinal = seq;
		j.channel = CH_BROADCAST;
		j.due = j.next_at = now;
		j.refers = b != NULL && b->expires.src != NULL ? b->expires.t :
								 TIMEX_NONE;
		j.state = JS_PENDING;
		j.seq = seq;
		j.payload = payload;
		j.priority = PRIO_EMERGENCY;
		j.duration = lj != NULL ? lj->duration : 0;
		k = outbox_alert_supersede(e->ob, p->id, v[i].item, seq, now) ==
			-1 ||
		    outbox_insert(e->ob, &j) == -1 ||
		    outbox_alert_put(e->ob, p->id, v[i].item, seq, fp,
			v[i].refs) == -1;
		free(payload);
		free(fp);
		if (k)
			goto out;
		rs->alerts++;
	}
	rc = 0;
out:
	strmap_free(&live);
	for (i = 0; i < n; i++)
		ob_alert_clear(&v[i]);
	free(v);
	return rc;
}

/* Whether task id of plan p is marked done in the outbox. */
static int
is_done(struct engine *e, const struct plan *p, const char *id)
{
	char *key = xasprintf("%s\x1f%s", p->id, id);
	int   done = strmap_get(&e->done, key) != NULL;

	free(key);
	return done;
}

/*
 * Reconcile inside a transaction the caller holds: 0, or -1 (the outbox
 * failed, or a SIGTERM came: e->stopped is set).
 */
static int
reconcile_inner(struct engine *e, int64_t now, struct reconcile_stats *rs)
{
	struct world *w = e->w;
	size_t	      i, k;
	int	      changed, n;

	assert(e != NULL && e->w != NULL && rs != NULL);
	memset(rs, 0, sizeof(*rs));
	engine_facts_reset(e);
	/* The loudspeaker's queue: ad-hoc items, cancellations, and the
	 * broadcasts placed again around what is handed, aired or due. */
	if (bqueue_apply(e->ob, w, now, NULL, NULL, 0) == -1)
		goto fail;
	if (outbox_seen_reset(e->ob) == -1)
		goto fail;
	for (i = 0; i < w->nplans; i++)
		for (k = 0; k < w->plans[i]->ntasks; k++) {
			struct task *t = &w->plans[i]->tasks[k];
			int	     done;

			if (outbox_task_is_done(e->ob, w->plans[i]->id, t->id,
				&done) == -1)
				goto fail;
			if (done)
				strmap_put(&e->done,
				    engine_key(e, w->plans[i], t->id), t);
		}
	for (i = 0; i < w->jobs.n; i++) {
		struct job j = w->jobs.v[i];

		/* SIGTERM: give way (the caller rolls back; nothing is lost,
		 * the next start reconciles again). */
		if (i % RECONCILE_CHECK == 0 && engine_stopping())
			goto stop;

		/* The plan's job as derived; what the outbox knows of its
		 * task changes the copy stored, not the plan's. */
		if ((j.kind == JK_TASK_REMINDER || j.kind == JK_OVERDUE) &&
		    j.state != JS_SKIPPED && is_done(e, j.plan, j.object)) {
			j.state = JS_CANCELLED;
			j.reason = "task done";
		}
		if (outbox_upsert(e->ob, &j, &changed) == -1)
			goto fail;
		if (changed == 1)
			rs->added++;
		else if (changed == 2)
			rs->moved++;
	}
	if (outbox_upsert_flush(e->ob, engine_stopping) == -1) {
		if (engine_stopping())
			goto stop;
		goto fail;
	}
	for (i = 0; i < w->nplans; i++) {
		for (k = 0; k < w->plans[i]->nevents; k++)
			if ((k % 64 == 0 && engine_stopping()) ||
			    reconcile_event(e, w->plans[i],
				&w->plans[i]->events[k], now, rs) == -1)
				goto fail;
		if (reconcile_vanished(e, w->plans[i], now, rs) == -1 ||
		    reconcile_alerts(e, w->plans[i], now, rs) == -1)
			goto fail;
	}
	if (outbox_cancel_unseen(e->ob, now, &n) == -1)
		goto fail;
	rs->cancelled = n;
	if (engine_stopping())
		goto stop;
	return 0;
stop:
	e->stopped = 1;
fail:
	return -1;
}

int
engine_reconcile(struct engine *e, int64_t now, struct reconcile_stats *rs)
{
	e->stopped = 0;
	/* New jobs: the next step looks at lateness whatever the second. */
	e->expired_at = TIMEX_NONE;
	if (outbox_begin(e->ob) == -1 || reconcile_inner(e, now, rs) == -1 ||
	    outbox_commit(e->ob) == -1) {
		outbox_rollback(e->ob);
		if (e->stopped)
			log_warnx("reconcile: stopped by a signal and rolled "
				  "back; it runs again at the next start");
		else
			log_warnx("reconcile: %s", outbox_error(e->ob));
		return -1;
	}
	if (rs->alerts > 0)
		log_info("reconciled: %d CAP alert%s updated or cancelled",
		    rs->alerts, rs->alerts == 1 ? "" : "s");
	return 0;
}

/*
 * What the dry run says of job j due by now: it would go (1), wait for
 * the end of quiet hours (0) or expire there (-1, counted in *expired);
 * the last two said to f. The send path's own rule (policy_quiet), asked
 * the same way.
 */
static int
dry_quiet(struct engine *e, const struct ob_job *j, int64_t now, FILE *f,
    int *expired)
{
	struct plan *p = world_plan(e->w, j->plan);
	int64_t	     t;
	char	     when[40];

	if (p == NULL)
		return 1;
	t = policy_quiet(&p->cal, &e->w->svc->quiet, j->kind, j->channel,
	    (int)j->priority, now, j->refers);
	if (t == now)
		return 1;
	if (t < now) {
		engine_late_job(e, j, POLICY_QUIET_EXPIRED, f);
		(*expired)++;
		return -1;
	}
	tz_rfc3339(p->tz, t, when, sizeof(when));
	when[16] = '\0';
	when[10] = ' ';
	fprintf(f, "would wait: %s %s of %s to %s until %s (quiet hours)\n",
	    j->id, job_kind_names[j->kind], j->object,
	    j->recipient ? j->recipient : "-", when);
	return 0;
}

int
engine_dry_run(struct engine *e, int64_t now, FILE *f)
{
	struct reconcile_stats rs;
	struct late_tally      late = { 0 };
	struct ob_job	      *v = NULL;
	size_t		       n = 0, i;
	int		       due = 0, expired = 0, waits = 0, go;

	/*
	 * Reconcile and expire what the send path would, inside a
	 * transaction that is rolled back: the same lateness and collapse
	 * (outbox_expire) as a real run at now.
	 */
	if (outbox_begin(e->ob) == -1 || reconcile_inner(e, now, &rs) == -1 ||
	    outbox_expire(e->ob, now, &expired, &late) == -1 ||
	    outbox_list(e->ob, JS__N, &v, &n) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		outbox_rollback(e->ob);
		late_tally_free(&late);
		return -1;
	}
	outbox_rollback(e->ob);
	engine_late_report(e, &late, f);
	late_tally_free(&late);
	for (i = 0; i < n; i++) {
		if ((v[i].state == JS_PENDING || v[i].state == JS_FAILED) &&
		    v[i].next_at <= now) {
			go = dry_quiet(e, &v[i], now, f, &expired);
			if (go == 0)
				waits++;
			else if (go == 1) {
				engine_trace(e, &v[i], "would", NULL);
				if (e->o.trace == NULL)
					fprintf(f, "%s %s %s %s\n", v[i].id,
					    job_kind_names[v[i].kind],
					    channel_names[v[i].channel],
					    v[i].address ? v[i].address : "-");
				due++;
			}
		}
		ob_job_clear(&v[i]);
	}
	free(v);
	fprintf(f,
	    "dry run: %d job%s due, %d would expire, %d would wait; nothing "
	    "sent\n",
	    due, due == 1 ? "" : "s", expired, waits);
	return 0;
}
