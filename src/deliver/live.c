/*
 * live.c: the running service's state for the HTTP API, and the feeds it
 * serves (live.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/live.h"
#include "plan/adhoc.h"
#include "deliver/outbox.h"
#include "gw/gw.h"
#include "plan/resolve.h"
#include "render/ical.h"
#include "util/log.h"
#include "util/text.h"
#include "util/timex.h"
#include "util/mem.h"

const char *const live_outcome_names[LO__N] = { "ok", "tempfail", "permfail",
	"conffail" };
const double live_dur_le[LIVE_DUR_NB] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 30 };
const double live_lag_le[LIVE_LAG_NB] = { 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300,
	900, 3600 };

struct live {
	pthread_mutex_t	  mu;
	struct live_view  v;
	struct live_snap *snap;
};

struct live *
live_new(int64_t started)
{
	struct live *l = xcalloc(1, sizeof(*l));
	int	     ch;

	pthread_mutex_init(&l->mu, NULL);
	l->v.started = started;
	l->v.reload_refused_at = TIMEX_NONE;
	for (ch = 0; ch < CH__N; ch++) {
		l->v.gw[ch].last_ok = TIMEX_NONE;
		l->v.gw[ch].fail_since = TIMEX_NONE;
		l->v.gw[ch].last_error_at = TIMEX_NONE;
	}
	return l;
}

static void
snap_free(struct live_snap *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nplans; i++) {
		free(s->plans[i].id);
		free(s->plans[i].file);
	}
	for (i = 0; i < s->ntasks; i++) {
		free(s->tasks[i].plan);
		free(s->tasks[i].id);
	}
	for (i = 0; i < s->nfeeds; i++) {
		free(s->feeds[i].key);
		free(s->feeds[i].data);
		free(s->feeds[i].gz);
	}
	free(s->plans);
	free(s->tasks);
	free(s->feeds);
	free(s);
}

void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	snap_free(l->snap);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

void
live_gateway(struct live *l, enum channel ch, const char *id, const char *kind)
{
	struct live_gw *g;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	g = &l->v.gw[ch];
	g->used = 1;
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->kind, sizeof(g->kind), "%s", kind);
	pthread_mutex_unlock(&l->mu);
}

static void
hist_add(struct live_hist *h, const double *le, int nb, double v)
{
	int i;

	for (i = 0; i < nb; i++)
		if (v <= le[i])
			h->b[i]++;
	h->count++;
	h->sum += v;
}

void
live_send(struct live *l, enum channel ch, int result, double secs, int64_t now,
    double retry_at, const char *text)
{
	struct live_gw *g;
	int		o;

	if (l == NULL)
		return;
	o = result == GW_OK	  ? LO_OK :
	    result == GW_PERMFAIL ? LO_PERMFAIL :
	    result == GW_CONFFAIL ? LO_CONFFAIL :
				    LO_TEMPFAIL;
	if (secs < 0)
		secs = 0;
	pthread_mutex_lock(&l->mu);
	g = &l->v.gw[ch];
	g->sends[o]++;
	hist_add(&g->dur, live_dur_le, LIVE_DUR_NB, secs);
	if (o == LO_OK) {
		g->last_ok = now;
		g->fail_since = TIMEX_NONE;
		g->backoff_until = 0;
	} else {
		if (g->fail_since == TIMEX_NONE)
			g->fail_since = now;
		g->last_error_at = now;
		g->backoff_until = o == LO_PERMFAIL ? 0 : retry_at;
		snprintf(g->last_error, sizeof(g->last_error), "%s",
		    text != NULL ? text : "");
	}
	pthread_mutex_unlock(&l->mu);
}

void
live_lag(struct live *l, double secs)
{
	if (l == NULL)
		return;
	if (secs < 0)
		secs = 0;
	pthread_mutex_lock(&l->mu);
	hist_add(&l->v.lag, live_lag_le, LIVE_LAG_NB, secs);
	pthread_mutex_unlock(&l->mu);
}

void
live_pause(struct live *l, enum channel ch, double until)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->v.gw[ch].paused_until = until;
	pthread_mutex_unlock(&l->mu);
}

void
live_reload(struct live *l, int64_t now, const char *why)
{
	char *line;

	if (l == NULL)
		return;
	/* Valid UTF-8 on one line, cut on a character: /healthz's JSON. */
	line = text_peer(why, why != NULL ? strlen(why) : 0,
	    sizeof(l->v.reload_error) - 1);
	pthread_mutex_lock(&l->mu);
	if (why == NULL) {
		l->v.reloads_ok++;
		l->v.reload_refused_at = TIMEX_NONE;
		l->v.reload_error[0] = '\0';
	} else {
		l->v.reloads_failed++;
		l->v.reload_refused_at = now;
		snprintf(l->v.reload_error, sizeof(l->v.reload_error), "%s",
		    line);
	}
	pthread_mutex_unlock(&l->mu);
	free(line);
}

void
live_view(struct live *l, struct live_view *v)
{
	pthread_mutex_lock(&l->mu);
	*v = l->v;
	pthread_mutex_unlock(&l->mu);
}

struct live_snap *
live_snap_get(struct live *l)
{
	struct live_snap *s;

	pthread_mutex_lock(&l->mu);
	if ((s = l->snap) != NULL)
		s->refs++;
	pthread_mutex_unlock(&l->mu);
	return s;
}

void
live_snap_put(struct live *l, struct live_snap *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (last)
		snap_free(s);
}

struct live_feed *
live_feed(struct live_snap *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nfeeds; i++)
		if (strcmp(s->feeds[i].key, key) == 0)
			return &s->feeds[i];
	return NULL;
}

/* What the outbox announced of ev: its SEQUENCE, 0 before any send. */
static int
fact_seq(void *arg, const struct plan *p, const struct event *ev)
{
	struct ob_event oe;
	int		found, seq = 0;

	if (outbox_event_get(arg, p->id, ev->id, &oe, &found) == -1)
		log_warnx("%s", outbox_error(arg));
	else if (found)
		seq = oe.seq;
	ob_event_clear(&oe);
	return seq;
}

/* Whether the outbox has task t marked done. */
static int
fact_done(void *arg, const struct plan *p, const struct task *t)
{
	int done = 0;

	if (outbox_task_is_done(arg, p->id, t->id, &done) == -1)
		log_warnx("%s", outbox_error(arg));
	return done;
}

void
feed_facts(struct ical_facts *f, struct outbox *ob)
{
	f->seq = fact_seq;
	f->done = fact_done;
	f->arg = ob;
}

char *
feed_ics(struct plan **plans, size_t nplans, int tasks_only, struct outbox *ob,
    int64_t now)
{
	struct ical_facts f = { fact_seq, fact_done, ob };

	return ical_feed(plans, nplans, tasks_only, ob != NULL ? &f : NULL,
	    now);
}

/* Whether contact c is agency a's: its mailbox, head or a member. */
static int
of_agency(const struct contact *c, const struct agency *a)
{
	size_t i;

	if (c->agency == a ||
	    (a->head.id != NULL && strcmp(a->head.id, c->id) == 0))
		return 1;
	for (i = 0; i < a->members.n; i++)
		if (strcmp(a->members.v[i].id, c->id) == 0)
			return 1;
	return 0;
}

/* Whether list l names agency a or reaches one of its people. */
static int
list_has(struct plan *p, const struct idlist *l, const struct agency *a)
{
	const struct contact **v = NULL;
	size_t		       n = 0, cap = 0, i;
	int		       yes = 0;

	for (i = 0; i < l->n && !yes; i++)
		yes = strcmp(l->v[i].id, a->id) == 0;
	if (!yes) {
		plan_recipients(p, l, NULL, &v, &n, &cap);
		for (i = 0; i < n && !yes; i++)
			yes = of_agency(v[i], a);
	}
	free(v);
	return yes;
}

char *
feed_agency(struct plan **plans, size_t nplans, const char *agency,
    struct outbox *ob, int64_t now, int *found)
{
	struct plan  *cut = xcalloc(nplans + 1, sizeof(*cut));
	struct plan **pp = xcalloc(nplans + 1, sizeof(*pp));
	size_t	      p, i, k, n = 0;
	char	     *out;

	*found = 0;
	for (p = 0; p < nplans; p++) {
		struct plan	    *pl = plans[p];
		const struct agency *a = NULL;

		for (i = 0; i < pl->nagencies && a == NULL; i++)
			if (strcmp(pl->agencies[i].id, agency) == 0)
				a = &pl->agencies[i];
		if (a == NULL)
			continue;
		*found = 1;
		cut[n] = *pl;
		cut[n].events = xcalloc(pl->nevents + 1, sizeof(struct event));
		cut[n].tasks = xcalloc(pl->ntasks + 1, sizeof(struct task));
		for (i = k = 0; i < pl->nevents; i++) {
			const struct event *ev = &pl->events[i];

			if ((ev->organizer.id != NULL &&
				strcmp(ev->organizer.id, agency) == 0) ||
			    list_has(pl, &ev->attendees, a) ||
			    list_has(pl, &ev->optional, a))
				cut[n].events[k++] = *ev;
		}
		cut[n].nevents = k;
		for (i = k = 0; i < pl->ntasks; i++)
			if (list_has(pl, &pl->tasks[i].owner, a) ||
			    list_has(pl, &pl->tasks[i].with, a))
				cut[n].tasks[k++] = pl->tasks[i];
		cut[n].ntasks = k;
		pp[n] = &cut[n];
		n++;
	}
	out = *found ? feed_ics(pp, n, 0, ob, now) : NULL;
	for (i = 0; i < n; i++) {
		free(cut[i].events);
		free(cut[i].tasks);
	}
	free(cut);
	free(pp);
	return out;
}

/* FNV-1a, 64 bits: the ETag of a feed's bytes. */
static void
feed_set(struct live_feed *f, char *key, char *data)
{
	uint64_t h = 14695981039346656037ULL;
	size_t	 i;

	f->key = key;
	f->data = data;
	f->len = strlen(data);
	for (i = 0; i < f->len; i++) {
		h ^= (unsigned char)data[i];
		h *= 1099511628211ULL;
	}
	snprintf(f->etag, sizeof(f->etag), "\"%016llx\"",
	    (unsigned long long)h);
}

static void
snap_add_feed(struct live_snap *s, size_t *cap, char *key, char *data)
{
	if (data == NULL) {
		free(key);
		return;
	}
	xgrow(&s->feeds, cap, s->nfeeds + 1, sizeof(*s->feeds));
	memset(&s->feeds[s->nfeeds], 0, sizeof(*s->feeds));
	feed_set(&s->feeds[s->nfeeds++], key, data);
}

/* Every feed of w into s, stamped at. */
static void
snap_feeds(struct live_snap *s, struct world *w, struct outbox *ob, int64_t now)
{
	size_t	      p, i, fcap = 0, np = 0;
	int	      found;
	struct plan **pv = xcalloc(w->nplans + 1, sizeof(*pv));

	/* The plans' files, as `loa ics` has them: not the ad-hoc items,
	 * which hold no event or task. */
	for (p = 0; p < w->nplans; p++)
		if (strcmp(w->plans[p]->id, ADHOC_PLAN) != 0)
			pv[np++] = w->plans[p];
	snap_add_feed(s, &fcap, xstrdup(""), feed_ics(pv, np, 0, ob, now));
	for (p = 0; p < np; p++) {
		struct plan *pl = pv[p];

		snap_add_feed(s, &fcap, xasprintf("plan:%s", pl->id),
		    feed_ics(&pv[p], 1, 0, ob, now));
		for (i = 0; i < pl->nagencies; i++) {
			char *key = xasprintf("agency:%s", pl->agencies[i].id);

			if (live_feed(s, key) != NULL) {
				free(key);
				continue;
			}
			snap_add_feed(s, &fcap, key,
			    feed_agency(pv, np, pl->agencies[i].id, ob, now,
				&found));
		}
	}
	free(pv);
}

static void
snap_feeds_free(struct live_snap *s)
{
	size_t i;

	for (i = 0; i < s->nfeeds; i++) {
		free(s->feeds[i].key);
		free(s->feeds[i].data);
		free(s->feeds[i].gz);
	}
	free(s->feeds);
	s->feeds = NULL;
	s->nfeeds = 0;
}

/* Whether a and b hold the same feeds, byte for byte. */
static int
feeds_same(const struct live_snap *a, const struct live_snap *b)
{
	size_t i;

	if (a->nfeeds != b->nfeeds)
		return 0;
	for (i = 0; i < a->nfeeds; i++)
		if (strcmp(a->feeds[i].key, b->feeds[i].key) != 0 ||
		    a->feeds[i].len != b->feeds[i].len ||
		    memcmp(a->feeds[i].data, b->feeds[i].data,
			a->feeds[i].len) != 0)
			return 0;
	return 1;
}

void
live_publish(struct live *l, struct world *w, struct outbox *ob, int64_t now)
{
	struct live_snap *s, *old;
	size_t		  p, i, tcap = 0;

	if (l == NULL)
		return;
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->built = now;
	s->svc_tz = w->svc->tz;
	s->nplans = w->nplans;
	s->plans = xcalloc(w->nplans + 1, sizeof(*s->plans));
	for (p = 0; p < w->nplans; p++) {
		struct plan *pl = w->plans[p];

		s->plans[p].id = xstrdup(pl->id);
		/* The ad-hoc items are the store's, not a file's. */
		s->plans[p].file = strcmp(pl->id, ADHOC_PLAN) == 0 ?
		    NULL :
		    xstrdup(pl->file);
		s->plans[p].tz = pl->tz;
		for (i = 0; i < pl->ntasks; i++) {
			xgrow(&s->tasks, &tcap, s->ntasks + 1,
			    sizeof(*s->tasks));
			s->tasks[s->ntasks].plan = xstrdup(pl->id);
			s->tasks[s->ntasks++].id = xstrdup(pl->tasks[i].id);
		}
	}
	for (i = 0; i < w->jobs.n; i++)
		for (p = 0; p < w->nplans; p++)
			if (w->jobs.v[i].plan == w->plans[p]) {
				s->plans[p].jobs++;
				break;
			}
	/*
	 * The feeds as the last snapshot stamped them first: when nothing
	 * in them changed (a reload of the same plans, a send that changed
	 * no SEQUENCE), they keep their DTSTAMP, Last-Modified and ETag, and
	 * the subscribers' calendars download nothing. The engine thread
	 * alone writes l->snap: reading it here needs no lock.
	 */
	old = l->snap;
	snap_feeds(s, w, ob, old != NULL ? old->built : now);
	if (old != NULL && !feeds_same(s, old)) {
		snap_feeds_free(s);
		snap_feeds(s, w, ob, now);
	} else if (old != NULL)
		s->built = old->built;
	pthread_mutex_lock(&l->mu);
	l->snap = s;
	pthread_mutex_unlock(&l->mu);
	live_snap_put(l, old);
}
