/*
 * engine.c: reconciliation and the send loop.
 *
 * The order of every send is: claim (the job becomes `sending`, committed
 * and synced), render, hand to the gateway, record the outcome (committed).
 * A crash anywhere leaves the job `sending` or finished; on restart
 * `sending` goes back to `pending` and is sent again with the same id, so
 * delivery is at least once and a duplicate carries the same idempotency
 * key.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "deliver/engine.h"
#include "gw/gw.h"
#include "render/ical.h"
#include "render/mime.h"
#include "deliver/outbox.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "render/message.h"
#include "util/sms.h"
#include "render/tmpl.h"
#include "util/xmalloc.h"

#define CLAIM_BATCH	32

struct sendctx;

/* Sends a gateway took (GW_INFLIGHT) and has not answered yet. */
struct flight {
	struct sendctx	*v;
	size_t		 n, cap;
};

struct engine {
	struct world		*w;
	struct outbox		*ob;
	struct engine_opts	 o;
	struct gw		 gw[CH__N];
	struct bucket		 bucket[CH__N];
	int			 limit[CH__N];	/* concurrency; 0: none */
	struct flight		 fly[CH__N];
	struct flight		 landed;	/* answered, not recorded */
	int			 blocked;	/* a channel is at its limit */
	struct engine_stats	 st;
	unsigned int		 seed;
};

int64_t
retry_delay(int attempt, double r, int64_t retry_after)
{
	double	 cap = 3600, base = 30, ceiling;
	int64_t	 d;

	if (attempt < 1)
		attempt = 1;
	ceiling = attempt > 20 ? cap : fmin(cap, base * ldexp(1, attempt - 1));
	d = (int64_t)(r * ceiling) + 1;
	if (retry_after > d)
		d = retry_after;
	return d;
}

void
bucket_init(struct bucket *b, double rate, double burst)
{
	b->rate = rate;
	b->burst = burst > 0 ? burst : (rate > 1 ? rate : 1);
	b->tokens = b->burst;
	b->last = 0;
}

double
bucket_take(struct bucket *b, double now)
{
	if (b->rate <= 0)
		return 0;
	if (now > b->last) {
		b->tokens = fmin(b->burst, b->tokens + (now - b->last) *
		    b->rate);
		b->last = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	return (1 - b->tokens) / b->rate;
}

static char *
dir_of(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s == NULL ? xstrdup(".") : xstrndup(path, (size_t)(s - path));
}

struct engine *
engine_new(struct world *w, const char *store, const struct engine_opts *o,
    char *err, size_t errlen)
{
	struct engine	*e = xcalloc(1, sizeof(*e));
	char		*base = dir_of(store);
	int		 ch;

	e->w = w;
	e->o = *o;
	e->seed = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	for (ch = 0; ch < CH__N; ch++) {
		const struct gateway	*g = w->svc->channel_gw[ch];
		struct gw		*gw = &e->gw[ch];

		gw->fd = -1;
		if (o->files != NULL || g == NULL) {
			/* The embedded default, and every simulation. */
			const char	*root = o->files ? o->files : base;

			gw->dir = ch == CH_BROADCAST ?
			    xasprintf("%s/broadcast", root) :
			    xasprintf("%s/outbox", root);
			gw->backend = gw_lookup("file");
		} else {
			static const char *const kinds[] = { "smtp", "http",
			    "file", "spool" };

			gw->backend = gw_lookup(kinds[g->kind]);
			if (gw->backend == NULL) {
				snprintf(err, errlen, "gateway %s: kind %s is "
				    "not available in this build; use file or "
				    "spool", g->id, kinds[g->kind]);
				free(base);
				engine_free(e);
				return NULL;
			}
			gw->dir = xstrdup(g->dir);
			bucket_init(&e->bucket[ch], g->rate, 0);
			/* The file gateways answer at once: no limit. */
			e->limit[ch] = g->kind == GW_SMTP || g->kind == GW_HTTP ?
			    g->concurrency : 0;
		}
		if (gw->backend->init(gw, err, errlen) == -1) {
			free(base);
			engine_free(e);
			return NULL;
		}
	}
	free(base);
	if ((e->ob = outbox_open(store, err, errlen)) == NULL) {
		engine_free(e);
		return NULL;
	}
	return e;
}

static void	flight_free(struct flight *);

void
engine_free(struct engine *e)
{
	int	 ch;

	if (e == NULL)
		return;
	for (ch = 0; ch < CH__N; ch++) {
		if (e->gw[ch].backend != NULL)
			e->gw[ch].backend->shutdown(&e->gw[ch]);
		free(e->gw[ch].dir);
		flight_free(&e->fly[ch]);
	}
	flight_free(&e->landed);
	outbox_close(e->ob);
	if (e->w != NULL) {
		world_free(e->w);
		free(e->w);
	}
	free(e);
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->st;
}

struct outbox *
engine_outbox(struct engine *e)
{
	return e->ob;
}

/* Reconciliation. */

/* What an invitation said: its fingerprint, and the same in words. */
static char *
event_fingerprint(struct plan *p, const struct event *ev)
{
	return xasprintf("%lld|%lld|%s|%s|%s", (long long)ev->start.t,
	    (long long)ev->end.t, ev->location ? ev->location : "",
	    ev->title ? ev->title : "", ev->status == EV_CANCELLED ?
	    "cancelled" : "live");
}

static void
fmt_when(const struct plan *p, int64_t t, char *out, size_t len)
{
	int64_t	 local = tz_to_local(p->tz, t), day = civil_day_of(local);
	int	 y, m, d, min = (int)((local - day * 86400) / 60);

	civil_from_days(day, &y, &m, &d);
	snprintf(out, len, "%02d:%02d ngày %02d/%02d/%04d", min / 60, min % 60,
	    d, m, y);
}

/*
 * Vietnamese words for what changed between fingerprints. Only the new
 * values are named: a recipient whose last update was superseded unsent
 * never saw the old ones.
 */
/* Split a fingerprint: start|end|location|title|status. */
struct fprint {
	long long	 start, end;
	char		*loc, *title;	/* in buf */
	char		*buf;		/* freed by fprint_clear */
};

static void
fprint_clear(struct fprint *f)
{
	free(f->buf);
	f->buf = NULL;
}

static int
fprint_parse(const char *s, struct fprint *f)
{
	char	*p, *q, *last;

	f->buf = NULL;
	if (sscanf(s, "%lld|%lld|", &f->start, &f->end) != 2)
		return -1;
	f->buf = xstrdup(s);
	if ((p = strchr(f->buf, '|')) == NULL ||
	    (p = strchr(p + 1, '|')) == NULL ||
	    (last = strrchr(p + 1, '|')) == NULL)
		return -1;
	*last = '\0';
	f->loc = p + 1;
	if ((q = strchr(f->loc, '|')) == NULL)
		return -1;
	*q = '\0';
	f->title = q + 1;
	return 0;
}

static char *
event_changes(struct plan *p, const char *old, const char *new)
{
	struct fprint	 o = { 0 }, n = { 0 };
	char		 a[64], b[64];
	struct buf	 out = { 0 };

	if (fprint_parse(old, &o) == -1 || fprint_parse(new, &n) == -1) {
		fprint_clear(&o);
		fprint_clear(&n);
		return xstrdup("nội dung thay đổi");
	}
	if (o.start != n.start || o.end != n.end) {
		fmt_when(p, n.start, a, sizeof(a));
		fmt_when(p, n.end, b, sizeof(b));
		buf_printf(&out, "thời gian mới %s đến %s", a, b);
	}
	if (strcmp(o.loc, n.loc) != 0)
		buf_printf(&out, "%sđịa điểm mới %s", out.len ? "; " : "",
		    n.loc);
	if (strcmp(o.title, n.title) != 0)
		buf_printf(&out, "%stên mới: %s", out.len ? "; " : "",
		    n.title);
	if (out.len == 0)
		buf_adds(&out, "nội dung thay đổi");
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
	struct ob_job	 j;

	if (outbox_supersede(e->ob, p->id, ev->id, rid, channel_names[ch],
	    seq, now) == -1)
		return -1;
	memset(&j, 0, sizeof(j));
	plan_job_id(p, k, ev->id, seq, rid, ch, j.id);
	j.plan = p->id;
	j.kind = (char *)job_kind_names[k];
	j.object = ev->id;
	j.ordinal = seq;
	j.recipient = (char *)rid;
	j.name = (char *)name;
	j.channel = (char *)channel_names[ch];
	j.address = (char *)addr;
	j.due = j.next_at = now;
	j.refers = k == JK_UPDATE ? ev->start.t : ev->end.t;
	j.state = "pending";
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
	if (a->email != NULL && add_itip_job(e, p, ev, JK_CANCEL, seq, a->id,
	    a->name, a->email, CH_EMAIL, why, now) == -1)
		return -1;
	if (a->phone != NULL && add_itip_job(e, p, ev, JK_CANCEL, seq, a->id,
	    a->name, a->phone, CH_SMS, why, now) == -1)
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
 * record, so was taken off the list since)? */
static int
invitation_sent(struct engine *e, struct plan *p, const struct event *ev,
    const struct contact *c)
{
	enum channel	 chs[] = { CH_EMAIL, CH_SMS };
	struct ob_job	 j;
	char		 id[17];
	size_t		 i;
	int		 sent = 0;

	for (i = 0; i < sizeof(chs) / sizeof(chs[0]) && !sent; i++) {
		plan_job_id(p, JK_INVITATION, ev->id, 0, c->id, chs[i], id);
		memset(&j, 0, sizeof(j));
		if (outbox_get(e->ob, id, &j) == -1)
			continue;	/* never made */
		sent = strcmp(j.state, "sent") == 0;
		ob_job_clear(&j);
	}
	return sent;
}

/* "You are on the list again", said to an attendee taken off and put back. */
#define T_BACK_ON_LIST	"anh/chị lại có tên trong danh sách mời"

static int
reconcile_event(struct engine *e, struct plan *p, struct event *ev,
    int64_t now, struct reconcile_stats *rs)
{
	struct ob_event		 oe;
	struct ob_attendee	*sent = NULL;
	const struct contact	**rc = NULL, **opt = NULL;
	size_t			 nrc = 0, caprc = 0, nopt = 0, capopt = 0;
	size_t			 nsent = 0, i, k;
	int			 found, seq, rcode = -1, bumped = 0;
	char			*fp = NULL, *changes = NULL;

	if (outbox_event_get(e->ob, p->id, ev->id, &oe, &found) == -1)
		return -1;
	if (!found)
		return 0;	/* no invitation has gone out yet */
	fp = event_fingerprint(p, ev);
	if (outbox_attendees(e->ob, p->id, ev->id, &sent, &nsent) == -1)
		goto out;
	{
		const struct contact	*skip = plan_organizer(p, ev);

		plan_recipients(p, &ev->attendees, skip, &rc, &nrc, &caprc);
		plan_recipients(p, &ev->optional, skip, &opt, &nopt, &capopt);
		for (i = 0; i < nopt; i++) {
			for (k = 0; k < nrc && rc[k] != opt[i]; k++)
				;
			if (k == nrc) {
				xgrow(&rc, &caprc, nrc + 1, sizeof(*rc));
				rc[nrc++] = opt[i];
			}
		}
	}
	/* One new SEQUENCE for whatever this version changed. */
	seq = oe.seq + 1;
	if (ev->status == EV_CANCELLED) {
		if (strstr(oe.fingerprint, "|cancelled") != NULL) {
			rcode = 0;
			goto out;
		}
		/* Everybody who was invited hears it is off. */
		for (i = 0; i < nsent; i++) {
			if (cancel_attendee(e, p, ev, seq, &sent[i],
			    "cancelled", now) == -1)
				goto out;
			rs->cancels++;
		}
		rcode = outbox_event_put(e->ob, p->id, ev->id, seq, fp, NULL,
		    ev->organizer.id);
		goto out;
	}
	changes = strcmp(oe.fingerprint, fp) != 0 ? event_changes(p,
	    oe.fingerprint, fp) : NULL;
	if (changes != NULL && strstr(oe.fingerprint, "|cancelled") != NULL) {
		/* Called off, then on again: everybody gets it back. */
		free(changes);
		changes = xstrdup("sự kiện được tổ chức trở lại");
	}
	/* Attendees invited before and no longer on the list. */
	for (i = 0; i < nsent; i++) {
		for (k = 0; k < nrc && strcmp(rc[k]->id, sent[i].id) != 0; k++)
			;
		if (k < nrc)
			continue;
		if (cancel_attendee(e, p, ev, seq, &sent[i], "removed",
		    now) == -1 ||
		    outbox_attendee_drop(e->ob, p->id, ev->id, sent[i].id) ==
		    -1)
			goto out;
		rs->cancels++;
		bumped = 1;
	}
	for (i = 0; i < nrc; i++) {
		const struct contact	*c = rc[i];
		const char		*what = changes;

		if (changes == NULL) {
			/* Unchanged event: only someone put back on the list
			 * (their calendar holds it cancelled) hears again. */
			for (k = 0; k < nsent &&
			    strcmp(sent[k].id, c->id) != 0; k++)
				;
			if (k < nsent)
				continue;
			if (!invitation_sent(e, p, ev, c))
				continue;	/* new: the invitation goes */
			what = T_BACK_ON_LIST;
		}
		if (update_attendee(e, p, ev, seq, c, what, now) == -1)
			goto out;
		rs->updates++;
		bumped = 1;
	}
	rcode = bumped ? outbox_event_put(e->ob, p->id, ev->id, seq, fp,
	    changes, ev->organizer.id) : 0;
out:
	ob_attendees_free(sent, nsent);
	free(rc);
	free(opt);
	free(fp);
	free(changes);
	ob_event_clear(&oe);
	return rcode;
}

/*
 * An event whose invitation went out and which is no longer in the plan
 * comes back as a ghost: rebuilt from what the outbox recorded of it
 * (time, place, title, organizer), cancelled, and put in the plan's names
 * so that its cancellations render like any other. NULL when its id now
 * names something else.
 */
static struct event *
ghost_event(struct plan *p, const struct ob_event *r)
{
	const struct named	*n = strmap_get(p->names, r->event);
	struct named		*nm;
	struct event		*ev;
	struct fprint		 f;

	if (n != NULL)
		return n->kind == N_EVENT ? n->p : NULL;
	ev = arena_alloc(p->arena, sizeof(*ev));
	memset(ev, 0, sizeof(*ev));
	ev->id = arena_strdup(p->arena, r->event);
	if (fprint_parse(r->fingerprint, &f) == 0) {
		ev->start.t = f.start;
		ev->end.t = f.end;
		ev->title = arena_strdup(p->arena, f.title);
		if (*f.loc != '\0')
			ev->location = arena_strdup(p->arena, f.loc);
	} else {
		ev->start.t = ev->end.t = TIMEX_NONE;
		ev->title = ev->id;
	}
	fprint_clear(&f);
	ev->duration = ev->end.t - ev->start.t;
	ev->invite.t = TIMEX_NONE;
	if (r->organizer != NULL)
		ev->organizer.id = arena_strdup(p->arena, r->organizer);
	ev->status = EV_CANCELLED;
	ev->seq = r->seq;
	nm = arena_alloc(p->arena, sizeof(*nm));
	memset(nm, 0, sizeof(*nm));
	nm->kind = N_EVENT;
	nm->p = ev;
	strmap_put(p->names, ev->id, nm);
	return ev;
}

/* Cancel, for everybody invited, the events gone from plan p. */
static int
reconcile_vanished(struct engine *e, struct plan *p, int64_t now,
    struct reconcile_stats *rs)
{
	struct ob_event		*v = NULL;
	struct ob_attendee	*a = NULL;
	size_t			 n = 0, na = 0, i, k;
	struct event		*ev;
	char			*fp;
	int			 rc = -1;

	if (outbox_events(e->ob, p->id, &v, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		ev = ghost_event(p, &v[i]);
		if (ev == NULL || (ev >= p->events && ev < p->events +
		    p->nevents) || strstr(v[i].fingerprint, "|cancelled") !=
		    NULL)
			continue;	/* still there, or told already */
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
		fp = event_fingerprint(p, ev);
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

/* Reconcile inside the caller's transaction. */
static int
reconcile_inner(struct engine *e, int64_t now, struct reconcile_stats *rs)
{
	struct world	*w = e->w;
	size_t		 i, k;
	int		 changed, n;

	memset(rs, 0, sizeof(*rs));
	if (outbox_seen_reset(e->ob) == -1)
		goto fail;
	for (i = 0; i < w->nplans; i++)
		for (k = 0; k < w->plans[i]->ntasks; k++) {
			struct task	*t = &w->plans[i]->tasks[k];

			if (outbox_task_is_done(e->ob, w->plans[i]->id, t->id,
			    &t->done) == -1)
				goto fail;
		}
	for (i = 0; i < w->jobs.n; i++) {
		struct job		*j = &w->jobs.v[i];
		const struct named	*nm;

		if ((j->kind == JK_TASK_REMINDER || j->kind == JK_OVERDUE) &&
		    (nm = strmap_get(j->plan->names, j->object)) != NULL &&
		    ((struct task *)nm->p)->done && j->state != JS_SKIPPED) {
			j->state = JS_CANCELLED;
			j->reason = "task done";
		}
		if (outbox_upsert(e->ob, j, &changed) == -1 ||
		    outbox_seen(e->ob, j->id) == -1)
			goto fail;
		if (changed == 1)
			rs->added++;
		else if (changed == 2)
			rs->moved++;
	}
	for (i = 0; i < w->nplans; i++) {
		for (k = 0; k < w->plans[i]->nevents; k++)
			if (reconcile_event(e, w->plans[i],
			    &w->plans[i]->events[k], now, rs) == -1)
				goto fail;
		if (reconcile_vanished(e, w->plans[i], now, rs) == -1)
			goto fail;
	}
	if (outbox_cancel_unseen(e->ob, now, &n) == -1)
		goto fail;
	rs->cancelled = n;
	return 0;
fail:
	return -1;
}

int
engine_reconcile(struct engine *e, int64_t now, struct reconcile_stats *rs)
{
	if (outbox_begin(e->ob) == -1 || reconcile_inner(e, now, rs) == -1 ||
	    outbox_commit(e->ob) == -1) {
		log_warnx("reconcile: %s", outbox_error(e->ob));
		outbox_rollback(e->ob);
		return -1;
	}
	return 0;
}

/* Rendering. */

static enum job_kind
kind_of(const char *name)
{
	int	 k;

	for (k = 0; k < JK__N; k++)
		if (strcmp(job_kind_names[k], name) == 0)
			return (enum job_kind)k;
	return JK_DISTRIBUTION;
}

static enum channel
channel_of(const char *name)
{
	int	 c;

	for (c = 0; c < CH__N; c++)
		if (strcmp(channel_names[c], name) == 0)
			return (enum channel)c;
	return CH_EMAIL;
}

/* The recipient as the plan knows them now, or NULL. */
static const struct contact *
contact_of(const struct plan *p, const char *id)
{
	const struct named	*n;

	if (id == NULL || (n = strmap_get(p->names, id)) == NULL)
		return NULL;
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind == N_AGENCY)
		return ((struct agency *)n->p)->mailbox;
	return NULL;
}

static const char *
mail_from(const struct engine *e, const struct plan *p, char *buf,
    size_t len)
{
	const struct gateway	*g = e->w->svc->channel_gw[CH_EMAIL];
	const struct contact	*s = contact_of(p, p->signed_by.id);

	if (g != NULL && g->from != NULL)
		return g->from;
	snprintf(buf, len, "%s <%s>", *p->issuer ? p->issuer : "loa",
	    s != NULL && s->email != NULL ? s->email : "loa@localhost");
	return buf;
}

/* Render the email of job j into *out. Returns 0, or -1 with why. */
static int
render_email(struct engine *e, struct plan *p, const struct ob_job *j,
    enum job_kind k, int64_t now, char **out, char *why, size_t whylen)
{
	const struct named	*n = strmap_get(p->names, j->object);
	const struct contact	*to = contact_of(p, j->recipient);
	struct mime_mail	 m;
	int			 subj, body;
	char			*subject, *text, *ics = NULL, from[512];

	memset(&m, 0, sizeof(m));
	switch (k) {
	case JK_DISTRIBUTION:
		subj = T_DISTRIBUTION_SUBJECT;
		break;
	case JK_INVITATION:
		subj = T_INVITATION_SUBJECT;
		break;
	case JK_UPDATE:
		subj = T_UPDATE_SUBJECT;
		break;
	case JK_CANCEL:
		subj = T_CANCEL_SUBJECT;
		break;
	case JK_EVENT_REMINDER:
		subj = T_EVENT_REMINDER_SUBJECT;
		break;
	case JK_TASK_REMINDER:
		subj = T_TASK_REMINDER_SUBJECT;
		break;
	default:
		subj = T_OVERDUE_SUBJECT;
		break;
	}
	body = subj + 1;
	if (k != JK_DISTRIBUTION && n == NULL) {
		snprintf(why, whylen, "%s is no longer in the plan", j->object);
		return -1;
	}
	subject = plan_render(p, e->w->svc, subj, j->object, to, now,
	    j->payload);
	text = plan_render(p, e->w->svc, body, j->object, to, now, j->payload);
	if (k == JK_INVITATION || k == JK_UPDATE) {
		int	 found = 0;
		struct ob_event oe;

		/* An invitation carries the sequence already announced. */
		memset(&oe, 0, sizeof(oe));
		if (outbox_event_get(e->ob, p->id, j->object, &oe, &found) ==
		    -1)
			found = 0;
		ics = ical_request(p, n->p, k == JK_UPDATE ? j->seq :
		    (found ? oe.seq : 0), now);
		ob_event_clear(&oe);
		m.method = "REQUEST";
	} else if (k == JK_CANCEL) {
		struct contact	 gone;

		/* The removed attendee as the outbox remembers them (an
		 * event deleted from the plan lists nobody else either). */
		memset(&gone, 0, sizeof(gone));
		gone.id = j->recipient;
		gone.name = j->name ? j->name : j->recipient;
		gone.email = j->address;
		ics = ical_cancel(p, n->p, j->seq, now,
		    strcmp(j->payload ? j->payload : "", "removed") == 0 ||
		    strcmp(j->payload ? j->payload : "", "deleted") == 0 ?
		    &gone : NULL);
		m.method = "CANCEL";
	} else if ((k == JK_TASK_REMINDER || k == JK_OVERDUE) &&
	    n->kind == N_TASK) {
		ics = ical_task_event(p, n->p, now);
		m.method = "PUBLISH";
	}
	/* The MIME method follows the object's (a PUBLISH fallback). */
	if (ics != NULL && strstr(ics, "\r\nMETHOD:PUBLISH\r\n") != NULL)
		m.method = "PUBLISH";
	m.from = mail_from(e, p, from, sizeof(from));
	m.to_name = to ? to->name : j->name;
	m.to = j->address;
	m.subject = subject;
	m.body = text;
	m.ics = ics;
	m.id = j->id;
	m.date = now;
	if (k == JK_DISTRIBUTION) {
		m.attach = p->distribution.attachments;
		m.nattach = p->distribution.nattachments;
	}
	*out = mime_build(&m, why, whylen);
	free(subject);
	free(text);
	free(ics);
	return *out != NULL ? 0 : -1;
}

static char *
render_broadcast(struct engine *e, struct plan *p, const struct ob_job *j)
{
	const struct named	*n = strmap_get(p->names, j->object);
	const struct broadcast	*b = n ? n->p : NULL;
	json_t			*o;
	char			 planned[40], *s;
	size_t			 i;
	const char		*slot = NULL;
	int			 dur = 0;

	for (i = 0; i < e->w->jobs.n; i++)
		if (strcmp(e->w->jobs.v[i].id, j->id) == 0) {
			slot = e->w->jobs.v[i].slot;
			dur = e->w->jobs.v[i].duration;
			break;
		}
	tz_rfc3339(p->tz, j->due, planned, sizeof(planned));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:i, "
	    "s:n}", "id", j->id, "plan", p->id, "object", j->object, "title",
	    b && b->title ? b->title : "", "text", b && b->text ? b->text : "",
	    "spoken", b && b->text ? b->text : "", "priority",
	    priority_names[b ? b->priority : 0], "slot",
	    slot ? json_string(slot) : json_null(), "planned", planned,
	    "duration_s", dur, "audio");
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(o);
	return s;
}

/* Sending. */

struct sendctx {
	struct ob_job		 job;
	struct gw_answer	 ans;
	enum channel		 ch;
	enum job_kind		 kind;
	int			 skip;	/* released or finished already */
	char			*file;
};

static void
trace_send(struct engine *e, const struct ob_job *j, const char *what,
    const char *detail)
{
	char		 due[40];
	struct plan	*p = world_plan(e->w, j->plan);

	if (e->o.trace == NULL)
		return;
	if (p != NULL)
		tz_rfc3339(p->tz, j->due, due, sizeof(due));
	else
		snprintf(due, sizeof(due), "%lld", (long long)j->due);
	due[16] = '\0';
	due[10] = ' ';
	fprintf(e->o.trace, "%s  %-8s %-14s %-16s %-14s %-9s %s%s%s\n", due,
	    what, j->kind, j->object, j->recipient ? j->recipient : "-",
	    j->channel, j->address ? j->address : "-", detail ? "  " : "",
	    detail ? detail : "");
}

/* Record an invitation or update that went out, for later updates. */
static int
note_invited(struct engine *e, struct plan *p, const struct ob_job *j)
{
	const struct named	*n = strmap_get(p->names, j->object);
	struct ob_event		 oe;
	int			 found;
	char			*fp;
	const char		*email, *phone;

	if (n == NULL || n->kind != N_EVENT)
		return 0;
	email = strcmp(j->channel, "email") == 0 ? j->address : NULL;
	phone = strcmp(j->channel, "sms") == 0 ? j->address : NULL;
	if (outbox_event_get(e->ob, p->id, j->object, &oe, &found) == -1)
		return -1;
	ob_event_clear(&oe);
	if (!found) {
		fp = event_fingerprint(p, n->p);
		if (outbox_event_put(e->ob, p->id, j->object, 0, fp, NULL,
		    ((struct event *)n->p)->organizer.id) == -1) {
			free(fp);
			return -1;
		}
		free(fp);
	}
	return outbox_attendee_put(e->ob, p->id, j->object, j->recipient,
	    j->name, email, phone);
}

static int
record(struct engine *e, struct sendctx *c, int64_t now)
{
	struct ob_job	*j = &c->job;
	struct plan	*p = world_plan(e->w, j->plan);
	char		 why[300];

	switch (c->ans.result) {
	case GW_OK:
		if (outbox_sent(e->ob, j->id, now, c->ans.text) == -1)
			return -1;
		if (p != NULL && (c->ch == CH_EMAIL || c->ch == CH_SMS) &&
		    (c->kind == JK_INVITATION || c->kind == JK_UPDATE) &&
		    note_invited(e, p, j) == -1)
			return -1;
		e->st.sent[c->kind][c->ch]++;
		trace_send(e, j, "sent", c->ans.text);
		return 0;
	case GW_TEMPFAIL:
		if (j->attempts >= RETRY_MAX_ATTEMPTS ||
		    now - j->first_at >= RETRY_MAX_AGE) {
			snprintf(why, sizeof(why), "gave up after %d attempts: "
			    "%s", j->attempts, c->ans.text);
			e->st.dead++;
			trace_send(e, j, "dead", why);
			return outbox_finish(e->ob, j->id, now, "dead", why);
		}
		e->st.failed++;
		trace_send(e, j, "retry", c->ans.text);
		return outbox_retry(e->ob, j->id, now, now + retry_delay(
		    j->attempts, (double)rand_r(&e->seed) / ((double)RAND_MAX +
		    1), c->ans.retry_after), c->ans.text);
	default:
		e->st.dead++;
		trace_send(e, j, "dead", c->ans.text);
		return outbox_finish(e->ob, j->id, now, "dead", c->ans.text);
	}
}

/* Prepare and submit one claimed job. */
static void
send_one(struct engine *e, struct sendctx *c, int64_t now)
{
	struct ob_job	*j = &c->job;
	struct plan	*p = world_plan(e->w, j->plan);
	struct gw_msg	 m;
	char		*data = NULL, *text = NULL;
	struct sms_info	 si;
	struct calendar	 cal;

	c->ch = channel_of(j->channel);
	c->kind = kind_of(j->kind);
	memset(&c->ans, 0, sizeof(c->ans));
	c->ans.id = j->id;
	if (p == NULL) {
		c->ans.result = GW_PERMFAIL;
		snprintf(c->ans.text, sizeof(c->ans.text), "plan %s is no "
		    "longer loaded", j->plan);
		return;
	}
	cal = p->cal;
	if (c->ch == CH_SMS) {
		int64_t	 t = quiet_adjust(&cal, &e->w->svc->quiet, now,
			    j->refers);

		if (t != now) {
			c->skip = 1;
			if (t < now) {
				outbox_finish(e->ob, j->id, now, "expired",
				    "quiet hours until its moment passed");
				e->st.expired++;
			} else
				outbox_release(e->ob, j->id, t);
			return;
		}
	}
	{
		double	 wait = bucket_take(&e->bucket[c->ch], (double)now);

		if (wait > 0) {
			c->skip = 1;
			outbox_release(e->ob, j->id, now + (int64_t)ceil(wait));
			return;
		}
	}
	memset(&m, 0, sizeof(m));
	m.id = j->id;
	m.channel = j->channel;
	m.to = j->address;
	switch (c->ch) {
	case CH_EMAIL:
		if (render_email(e, p, j, c->kind, now, &data, c->ans.text,
		    sizeof(c->ans.text)) == -1) {
			c->ans.result = GW_PERMFAIL;
			return;
		}
		m.data = data;
		break;
	case CH_SMS:
		text = plan_sms_text(p, e->w->svc, c->kind, j->object,
		    contact_of(p, j->recipient), now, j->payload);
		sms_analyse(text, &si);
		m.data = text;
		m.encoding = sms_encoding_name(si.encoding);
		m.parts = si.parts;
		break;
	default:
		data = render_broadcast(e, p, j);
		m.data = data;
		{
			const struct named	*n = strmap_get(p->names,
						    j->object);

			m.text = n ? ((struct broadcast *)n->p)->text : NULL;
		}
		break;
	}
	e->gw[c->ch].backend->submit(&e->gw[c->ch], &m, &c->ans);
	free(data);
	free(text);
}

static void
flight_push(struct flight *f, struct sendctx *c)
{
	xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = *c;
}

static void
flight_free(struct flight *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		ob_job_clear(&f->v[i].job);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

size_t
engine_inflight(const struct engine *e)
{
	size_t	 n = 0;
	int	 ch;

	for (ch = 0; ch < CH__N; ch++)
		n += e->fly[ch].n;
	return n;
}

/* A gateway answered for a send it had taken: move it to landed. */
static void
on_answer(void *arg, const struct gw_answer *a)
{
	struct engine	*e = arg;
	size_t		 i;
	int		 ch;

	for (ch = 0; ch < CH__N; ch++)
		for (i = 0; i < e->fly[ch].n; i++) {
			struct sendctx	*c = &e->fly[ch].v[i];

			if (strcmp(c->job.id, a->id) != 0)
				continue;
			c->ans = *a;
			c->ans.id = NULL;
			if (c->ans.result == GW_INFLIGHT)
				c->ans.result = GW_TEMPFAIL;
			flight_push(&e->landed, c);
			*c = e->fly[ch].v[--e->fly[ch].n];
			return;
		}
	log_warnx("a gateway answered for job %s, which it was not sending",
	    a->id);
}

/*
 * Record the outcomes of n sends in one transaction, after the gateways
 * made what they took durable; the jobs are cleared. A send still in
 * flight must have been taken out (skip set) before.
 */
static int
record_batch(struct engine *e, struct sendctx *c, size_t n, int64_t now)
{
	size_t	 i;
	int	 ch, rc = -1;

	for (ch = 0; ch < CH__N; ch++) {
		char	 err[256];

		if (e->gw[ch].backend->flush(&e->gw[ch], err,
		    sizeof(err)) == 0)
			continue;
		for (i = 0; i < n; i++)
			if (c[i].ch == (enum channel)ch &&
			    c[i].ans.result == GW_OK) {
				c[i].ans.result = GW_TEMPFAIL;
				snprintf(c[i].ans.text, sizeof(c[i].ans.text),
				    "%s", err);
			}
	}
	if (outbox_begin(e->ob) == -1)
		goto out;
	for (i = 0; i < n; i++)
		if (!c[i].skip && record(e, &c[i], now) == -1) {
			outbox_rollback(e->ob);
			goto out;
		}
	if (outbox_commit(e->ob) == -1) {
		outbox_rollback(e->ob);
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		log_warnx("%s", outbox_error(e->ob));
	for (i = 0; i < n; i++)
		ob_job_clear(&c[i].job);
	return rc;
}

/* Drive the gateways' in-flight sends and record what they answered. */
static int
collect(struct engine *e, int64_t now)
{
	int	 ch, rc;

	for (ch = 0; ch < CH__N; ch++)
		if (e->fly[ch].n > 0)
			e->gw[ch].backend->poll(&e->gw[ch], on_answer, e);
	if (e->landed.n == 0)
		return 0;
	rc = record_batch(e, e->landed.v, e->landed.n, now);
	e->landed.n = 0;
	return rc;
}

/*
 * Claim what is due, at most CLAIM_BATCH, and no more on a channel than
 * its gateway has room for. One claim across channels while all have
 * room keeps the outbox's order; a channel at its limit is left out.
 */
static int
claim(struct engine *e, int64_t now, struct ob_job **v, size_t *n)
{
	int	 room[CH__N], ch, all = 1;

	e->blocked = 0;
	for (ch = 0; ch < CH__N; ch++) {
		room[ch] = e->limit[ch] == 0 ? CLAIM_BATCH :
		    e->limit[ch] - (int)e->fly[ch].n;
		if (room[ch] > CLAIM_BATCH)
			room[ch] = CLAIM_BATCH;
		if (room[ch] < CLAIM_BATCH)
			all = 0;
		if (room[ch] <= 0)
			e->blocked = 1;
	}
	if (all)
		return outbox_claim(e->ob, now, NULL, CLAIM_BATCH, v, n);
	*v = NULL;
	*n = 0;
	for (ch = 0; ch < CH__N; ch++) {
		struct ob_job	*w;
		size_t		 nw, i;

		if (room[ch] <= 0)
			continue;
		if (outbox_claim(e->ob, now, channel_names[ch], room[ch], &w,
		    &nw) == -1) {
			for (i = 0; i < *n; i++)
				ob_job_clear(&(*v)[i]);
			free(*v);
			return -1;
		}
		if (nw > 0) {
			*v = xreallocarray(*v, *n + nw, sizeof(**v));
			memcpy(*v + *n, w, nw * sizeof(*w));
			*n += nw;
		}
		free(w);
	}
	return 0;
}

int
engine_step(struct engine *e, int64_t now)
{
	int	 n;

	if (outbox_expire(e->ob, now, &n) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		return -1;
	}
	e->st.expired += n;
	if (collect(e, now) == -1)
		return -1;
	for (;;) {
		struct ob_job	*v;
		struct sendctx	*c;
		size_t		 nv, i;
		int		 rc;

		if (claim(e, now, &v, &nv) == -1) {
			log_warnx("%s", outbox_error(e->ob));
			return -1;
		}
		if (nv == 0) {
			free(v);
			return 0;
		}
		c = xcalloc(nv, sizeof(*c));
		for (i = 0; i < nv; i++) {
			c[i].job = v[i];
			send_one(e, &c[i], now);
			if (!c[i].skip && c[i].ans.result == GW_INFLIGHT) {
				/* The gateway answers later, through poll. */
				flight_push(&e->fly[c[i].ch], &c[i]);
				memset(&c[i].job, 0, sizeof(c[i].job));
				c[i].skip = 1;
			}
		}
		free(v);
		rc = record_batch(e, c, nv, now);
		free(c);
		if (rc == -1)
			return -1;
	}
}

/* The descriptors and timeout the gateways wait on, after pfd[0..n). */
static int
gateway_fds(struct engine *e, struct pollfd *pfd, int n, int max,
    int *timeout)
{
	int	 ch, t;

	for (ch = 0; ch < CH__N; ch++) {
		if (e->fly[ch].n == 0)
			continue;
		t = -1;
		n += e->gw[ch].backend->pollfds(&e->gw[ch], pfd + n, max - n,
		    &t);
		if (t >= 0 && (*timeout < 0 || t < *timeout))
			*timeout = t;
	}
	return n;
}

int
engine_land(struct engine *e, int64_t now, int wait_ms)
{
	struct pollfd	 pfd[64];
	struct timespec	 t0, t1;
	int		 n, timeout, left = wait_ms, ch;
	size_t		 i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (engine_inflight(e) > 0 && left > 0) {
		timeout = left;
		n = gateway_fds(e, pfd, 0, 64, &timeout);
		if (timeout > left)
			timeout = left;
		if (n > 0 || timeout > 0)
			poll(pfd, (nfds_t)n, timeout > 100 || timeout < 0 ?
			    100 : timeout);
		if (collect(e, now) == -1)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = wait_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	n = 0;
	for (ch = 0; ch < CH__N; ch++) {
		for (i = 0; i < e->fly[ch].n; i++) {
			/* Not answered in time: sent again, same id. */
			if (outbox_release(e->ob, e->fly[ch].v[i].job.id,
			    now) == -1) {
				log_warnx("%s", outbox_error(e->ob));
				return -1;
			}
			n++;
		}
		flight_free(&e->fly[ch]);
	}
	if (n > 0)
		log_warnx("%d send%s unanswered at the stop; requeued, to go "
		    "again with the same id", n, n == 1 ? "" : "s");
	return 0;
}

int
engine_set_gateway(struct engine *e, enum channel ch,
    const struct gw_backend *b, int concurrency, char *err, size_t errlen)
{
	struct gw	*gw = &e->gw[ch];

	if (e->fly[ch].n > 0) {
		snprintf(err, errlen, "sends are in flight on %s",
		    channel_names[ch]);
		return -1;
	}
	if (gw->backend != NULL)
		gw->backend->shutdown(gw);
	gw->backend = b;
	gw->fd = -1;
	gw->dirty = 0;
	gw->priv = NULL;
	e->limit[ch] = concurrency;
	return b->init(gw, err, errlen);
}

int64_t
engine_next(struct engine *e)
{
	int64_t	 at;

	if (outbox_next(e->ob, &at) == -1)
		return TIMEX_NONE;
	return at;
}

int
engine_dry_run(struct engine *e, int64_t now, FILE *f)
{
	struct reconcile_stats	 rs;
	struct ob_job		*v;
	size_t			 n, i;
	int			 due = 0;

	/* Reconcile inside a transaction that is rolled back. */
	if (outbox_begin(e->ob) == -1 || reconcile_inner(e, now, &rs) == -1 ||
	    outbox_list(e->ob, NULL, &v, &n) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		outbox_rollback(e->ob);
		return -1;
	}
	outbox_rollback(e->ob);
	for (i = 0; i < n; i++) {
		if ((strcmp(v[i].state, "pending") == 0 ||
		    strcmp(v[i].state, "failed") == 0) && v[i].next_at <= now) {
			trace_send(e, &v[i], "would", NULL);
			if (e->o.trace == NULL)
				fprintf(f, "%s %s %s %s\n", v[i].id, v[i].kind,
				    v[i].channel, v[i].address ?
				    v[i].address : "-");
			due++;
		}
		ob_job_clear(&v[i]);
	}
	free(v);
	fprintf(f, "dry run: %d job%s due, nothing sent\n", due,
	    due == 1 ? "" : "s");
	return 0;
}

/* The service loop. */

static int	sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t got_hup, got_term;

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = (char)sig;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (write(sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the flags say it all. */
	}
	errno = saved;
}

static int64_t
clock_now(int64_t offset)
{
	return (int64_t)time(NULL) + offset;
}

/* SIGHUP: load the config again; keep the old one when the new fails. */
static void
reload(struct engine *e, int64_t now)
{
	struct world		*nw = xcalloc(1, sizeof(*nw));
	struct diag		 d = { 0 };
	struct reconcile_stats	 rs;

	log_warnx("SIGHUP: reloading %s", e->o.config);
	if (world_load(nw, e->o.config, now, &d) == -1) {
		log_warnx("reload refused: %s has %d error%s; the running "
		    "config stays", e->o.config, d.errors,
		    d.errors == 1 ? "" : "s");
		world_free(nw);
		free(nw);
		return;
	}
	world_free(e->w);
	free(e->w);
	e->w = nw;
	if (engine_reconcile(e, now, &rs) == 0)
		log_warnx("reloaded: %d added, %d moved, %d cancelled, "
		    "%d updates, %d cancellations", rs.added, rs.moved,
		    rs.cancelled, rs.updates, rs.cancels);
}

int
engine_run(struct engine *e, int once, int64_t offset)
{
	struct reconcile_stats	 rs;
	struct sigaction	 sa;
	int64_t			 now = clock_now(offset);
	int			 n, rc = 0;

	if (outbox_requeue_sending(e->ob, &n) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		return 3;
	}
	if (n > 0)
		log_warnx("%d job%s in flight at the last stop will be sent "
		    "again with the same id", n, n == 1 ? "" : "s");
	if (engine_reconcile(e, now, &rs) == -1)
		return 3;
	log_info("reconciled: %d added, %d moved, %d cancelled, %d updates, "
	    "%d cancellations", rs.added, rs.moved, rs.cancelled, rs.updates,
	    rs.cancels);
	if (once)
		return engine_step(e, now) == -1 ||
		    engine_land(e, now, 60000) == -1 ? 3 : 0;

	if (pipe(sigpipe) == -1) {
		log_warn("pipe");
		return 3;
	}
	fcntl(sigpipe[0], F_SETFL, O_NONBLOCK);
	fcntl(sigpipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_info("running: %zu plan%s", e->w->nplans,
	    e->w->nplans == 1 ? "" : "s");
	while (!got_term) {
		struct pollfd	 pfd[64];
		int64_t		 next;
		int		 timeout, nfd;
		char		 drain[64];

		now = clock_now(offset);
		if (got_hup) {
			got_hup = 0;
			reload(e, now);
		}
		if (engine_step(e, now) == -1) {
			rc = 3;
			break;
		}
		if (got_term)
			break;
		/*
		 * Sleep until the next due job, a gateway's descriptor or
		 * timeout, or a signal; no polling. Jobs due on a channel at
		 * its limit wait for that gateway's answers.
		 */
		next = engine_next(e);
		now = clock_now(offset);
		if (next == TIMEX_NONE || (next <= now && e->blocked))
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else
			timeout = next - now > 3600 ? 3600 * 1000 :
			    (int)(next - now) * 1000;
		pfd[0].fd = sigpipe[0];
		pfd[0].events = POLLIN;
		nfd = gateway_fds(e, pfd, 1, 64, &timeout);
		if (timeout < 0 && engine_inflight(e) > 0)
			timeout = 1000;	/* a gateway that said nothing */
		if (poll(pfd, (nfds_t)nfd, timeout) > 0 &&
		    (pfd[0].revents & POLLIN))
			while (read(sigpipe[0], drain, sizeof(drain)) > 0)
				;
	}
	/* Finish what the gateways hold, or put it back. */
	if (engine_land(e, clock_now(offset), 10000) == -1)
		rc = 3;
	log_info("stopping: nothing is in flight");
	close(sigpipe[0]);
	close(sigpipe[1]);
	sigpipe[0] = sigpipe[1] = -1;
	return rc;
}
