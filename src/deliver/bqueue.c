/*
 * bqueue.c: the loudspeaker's queue over one outbox (bqueue.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "deliver/bqueue.h"
#include "deliver/policy.h"
#include "jobs/expand.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/strmap.h"

/* The longest title and text an ad-hoc item may have, in bytes. */
#define BQ_TITLE_MAX 500
#define BQ_TEXT_MAX  20000

void
bq_state_free(struct bq_state *st)
{
	if (st == NULL)
		return;
	ob_adhoc_free(st->rows, st->nrows);
	free(st->items);
	ob_bcancel_free(st->cancels, st->ncancels);
	free(st->wc);
	ob_airings_free(st->airings, st->nairings);
	free(st->fixed);
	strmap_free(&st->byid);
	memset(st, 0, sizeof(*st));
}

/*
 * Whether an airing's place is settled, and how: handed (sending, sent),
 * aired (delivered) or due (its planned start passed) keeps its place and
 * room; one that ended unaired (expired, dead) keeps its time and takes
 * no room. A cancelled or skipped one is placed again, as new.
 */
static int
settled(const struct ob_job *j, int64_t now, int *keep)
{
	switch (j->state) {
	case JS_SENDING:
	case JS_SENT:
	case JS_DELIVERED:
		*keep = 1;
		return 1;
	case JS_PENDING:
	case JS_FAILED:
		*keep = 1;
		return j->slot != NULL && j->due <= now;
	case JS_EXPIRED:
	case JS_DEAD:
		*keep = 0;
		return 1;
	default:
		return 0;
	}
}

int
bqueue_apply(struct outbox *ob, struct world *w, int64_t now,
    struct bq_state *keep, char *err, size_t errlen)
{
	struct bq_state	   st = { 0 };
	struct world_queue q = { 0 };
	struct diag	   d = { 0 };
	size_t		   i;

	if (ob != NULL &&
	    (outbox_adhoc_list(ob, &st.rows, &st.nrows) == -1 ||
		outbox_bcancelled(ob, &st.cancels, &st.ncancels) == -1 ||
		outbox_airings(ob, &st.airings, &st.nairings) == -1)) {
		snprintf(err, errlen, "%s", outbox_error(ob));
		bq_state_free(&st);
		return -1;
	}
	st.items = xcalloc(st.nrows ? st.nrows : 1, sizeof(*st.items));
	for (i = 0; i < st.nrows; i++) {
		st.items[i].id = st.rows[i].id;
		st.items[i].title = st.rows[i].title;
		st.items[i].text = st.rows[i].text;
		st.items[i].priority = st.rows[i].priority;
		st.items[i].air = st.rows[i].air;
		st.items[i].expires = st.rows[i].expires;
	}
	st.wc = xcalloc(st.ncancels ? st.ncancels : 1, sizeof(*st.wc));
	for (i = 0; i < st.ncancels; i++) {
		st.wc[i].plan = st.cancels[i].plan;
		st.wc[i].item = st.cancels[i].item;
	}
	st.fixed = xcalloc(st.nairings ? st.nairings : 1, sizeof(*st.fixed));
	for (i = 0; i < st.nairings; i++) {
		const struct ob_job *j = &st.airings[i].job;
		struct slots_fixed  *f = &st.fixed[st.nfixed];

		strmap_put(&st.byid, st.airings[i].job.id, &st.airings[i]);
		if (!settled(j, now, &f->keep))
			continue;
		memcpy(f->id, j->id, sizeof(f->id));
		f->due = j->due;
		f->slot = j->slot;
		f->duration = j->duration;
		st.nfixed++;
	}
	q.adhoc = st.items;
	q.nadhoc = st.nrows;
	q.cancelled = st.wc;
	q.ncancelled = st.ncancels;
	q.fixed = st.fixed;
	q.nfixed = st.nfixed;
	/* What did not fit is in the jobs' reasons; load printed the rest. */
	d.out = fopen("/dev/null", "w");
	world_queue(w, &q, &d);
	if (d.out != NULL)
		fclose(d.out);
	if (keep != NULL)
		*keep = st;
	else
		bq_state_free(&st);
	return 0;
}

static int
invalid(char *err, size_t errlen, const char *fmt, ...) LOA_PRINTF(3, 4);

static int
invalid(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BQ_INVALID;
}

/* A title or text checked and in NFC into *out; BQ_INVALID or 0. */
static int
check_text(const char *what, const char *s, size_t max, int one_line,
    char **out, char *err, size_t errlen)
{
	*out = NULL;
	if (s == NULL || text_blank(s))
		return invalid(err, errlen, "%s: empty; expected %s", what,
		    one_line ? "a title" : "the text to read on air");
	if (strlen(s) > max)
		return invalid(err, errlen,
		    "%s: %zu bytes; at most %zu are taken", what, strlen(s),
		    max);
	if (one_line && strpbrk(s, "\r\n") != NULL)
		return invalid(err, errlen, "%s: more than one line", what);
	if ((*out = text_nfc(s)) == NULL)
		return invalid(err, errlen, "%s: not valid UTF-8", what);
	return 0;
}

/* The local year of t (a plan's years are LOA_YEAR_MIN to MAX), or 0. */
static int
year_of(const struct service *svc, int64_t t)
{
	int y, m, d;

	if (t == TIMEX_NONE)
		return 0;
	civil_from_days(civil_day_of(tz_to_local(svc->tz, t)), &y, &m, &d);
	return y >= LOA_YEAR_MIN && y <= LOA_YEAR_MAX ? 0 : y;
}

int
bqueue_add(struct outbox *ob, const struct service *svc,
    const struct bq_new *in, int64_t now, char **id, char *err, size_t errlen)
{
	enum priority prio = PRIO_NORMAL;
	int64_t	      air = in->air;
	char	     *title = NULL, *text = NULL, a[40], x[40];
	int	      rc, y;

	*id = NULL;
	if (in->priority != NULL && priority_from_name(in->priority, &prio))
		return invalid(err, errlen,
		    "priority \"%s\": expected normal, high or emergency",
		    in->priority);
	if ((y = year_of(svc, in->air)) != 0 ||
	    (y = year_of(svc, in->expires)) != 0)
		return invalid(err, errlen,
		    "%s: the year %d is outside %d to %d; expected a year "
		    "from %d to %d",
		    year_of(svc, in->air) != 0 ? "--air" : "--expires", y,
		    LOA_YEAR_MIN, LOA_YEAR_MAX, LOA_YEAR_MIN, LOA_YEAR_MAX);
	if ((rc = check_text("title", in->title, BQ_TITLE_MAX, 1, &title, err,
		 errlen)) != 0 ||
	    (rc = check_text("text", in->text, BQ_TEXT_MAX, 0, &text, err,
		 errlen)) != 0) {
		free(title);
		return rc;
	}
	/* It airs from now at the earliest: the past is gone. */
	if (air == TIMEX_NONE || air < now)
		air = now;
	if (in->expires != TIMEX_NONE && in->expires <= air) {
		tz_rfc3339(svc->tz, in->expires, x, sizeof(x));
		tz_rfc3339(svc->tz, air, a, sizeof(a));
		free(title);
		free(text);
		return invalid(err, errlen,
		    "expires %s is not after its air time %s", x, a);
	}
	if (outbox_begin(ob) == -1 ||
	    outbox_adhoc_add(ob, title, text, prio, air, in->expires, now,
		id) == -1 ||
	    outbox_commit(ob) == -1) {
		snprintf(err, errlen, "%s", outbox_error(ob));
		outbox_rollback(ob);
		free(*id);
		*id = NULL;
		free(title);
		free(text);
		return -1;
	}
	free(title);
	free(text);
	return 0;
}

/*
 * The broadcast ref ("[PLAN:]ID") names in w: exactly one, else
 * BQ_INVALID with the reason. Plan ids hold '/' but never ':'.
 */
static int
find_item(const struct world *w, const char *ref, const struct plan **pp,
    const struct broadcast **bp, char *err, size_t errlen)
{
	const char *colon = strrchr(ref, ':'), *id = ref;
	size_t	    plen = 0, i;
	int	    n = 0;

	if (colon != NULL) {
		plen = (size_t)(colon - ref);
		id = colon + 1;
	}
	for (i = 0; i < w->nplans; i++) {
		const struct plan  *p = w->plans[i];
		const struct named *nm;

		if (colon != NULL &&
		    (strlen(p->id) != plen || strncmp(p->id, ref, plen) != 0))
			continue;
		if ((nm = strmap_get(p->names, id)) == NULL ||
		    nm->kind != N_BROADCAST)
			continue;
		*pp = p;
		*bp = nm->p;
		n++;
	}
	if (n == 1)
		return 0;
	if (n == 0) {
		(void)invalid(err, errlen,
		    "no broadcast item \"%s\" in the plans nor among the "
		    "ad-hoc items",
		    ref);
		return BQ_NOTFOUND;
	}
	return invalid(err, errlen,
	    "more than one broadcast item \"%s\"; name it as PLAN:ID", ref);
}

int
bqueue_cancel(struct outbox *ob, struct world *w, const char *ref, int64_t now,
    const char **plan, int *njobs, char *err, size_t errlen)
{
	const struct plan      *p;
	const struct broadcast *b;
	int			rc;

	*njobs = 0;
	if ((rc = find_item(w, ref, &p, &b, err, errlen)) != 0)
		return rc;
	*plan = p->id;
	if (b->cancelled)
		return invalid(err, errlen,
		    "%s:%s is cancelled already; nothing changed", p->id,
		    b->id);
	if (outbox_begin(ob) == -1 ||
	    outbox_bcancel(ob, p->id, b->id, now, njobs) == -1 ||
	    outbox_commit(ob) == -1) {
		snprintf(err, errlen, "%s", outbox_error(ob));
		outbox_rollback(ob);
		return -1;
	}
	return 0;
}

static int
is_job_id(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[16] == '\0';
}

/* The airing of st with job id, or NULL. */
static const struct ob_airing *
airing_of(const struct bq_state *st, const char *id)
{
	return strmap_get(&st->byid, id);
}

int
bqueue_aired(struct outbox *ob, struct world *w, const struct bq_state *st,
    const char *ref, int64_t at, int64_t now, char job[17], char *err,
    size_t errlen)
{
	const struct ob_airing *ha = NULL;
	const struct ob_job    *hit;
	size_t			i;
	int			n = 0, changed, rc, y;
	char			t[40];

	job[0] = '\0';
	if (at > now)
		return invalid(err, errlen,
		    "--at is in the future; expected when it aired");
	if ((y = year_of(w->svc, at)) != 0)
		return invalid(err, errlen,
		    "--at: the year %d is outside %d to %d; expected when it "
		    "aired",
		    y, LOA_YEAR_MIN, LOA_YEAR_MAX);
	if (is_job_id(ref)) {
		if ((ha = airing_of(st, ref)) == NULL) {
			(void)invalid(err, errlen,
			    "no airing %s in the outbox (loa broadcast list "
			    "shows them once the service has them)",
			    ref);
			return BQ_NOTFOUND;
		}
	} else {
		const struct plan      *p;
		const struct broadcast *b;

		if ((rc = find_item(w, ref, &p, &b, err, errlen)) != 0)
			return rc;
		for (i = 0; i < st->nairings; i++) {
			const struct ob_job *j = &st->airings[i].job;

			if (strcmp(j->plan, p->id) == 0 &&
			    strcmp(j->object, b->id) == 0 &&
			    j->state == JS_SENT) {
				ha = &st->airings[i];
				n++;
			}
		}
		if (n != 1)
			return invalid(err, errlen,
			    "%s:%s has %s airing handed and not yet aired; "
			    "name the airing by its id (loa broadcast list)",
			    p->id, b->id, n == 0 ? "no" : "more than one");
	}
	hit = &ha->job;
	if (hit->state == JS_DELIVERED) {
		tz_rfc3339(w->svc->tz,
		    ha->aired_at != TIMEX_NONE ? ha->aired_at : hit->sent_at, t,
		    sizeof(t));
		return invalid(err, errlen, "airing %s aired already (%s)",
		    hit->id, t);
	}
	if (hit->state == JS_SENDING)
		return invalid(err, errlen,
		    "airing %s is being handed to the station right now; "
		    "try again in a moment",
		    hit->id);
	if (hit->state != JS_SENT && hit->state != JS_PENDING &&
	    hit->state != JS_FAILED)
		return invalid(err, errlen,
		    "airing %s is %s; only one handed (sent) or still to "
		    "hand (pending, failed) can have aired",
		    hit->id, job_state_names[hit->state]);
	if (outbox_begin(ob) == -1 ||
	    outbox_aired(ob, hit->id, at, &changed) == -1 ||
	    outbox_commit(ob) == -1) {
		snprintf(err, errlen, "%s", outbox_error(ob));
		outbox_rollback(ob);
		return -1;
	}
	if (!changed)
		return invalid(err, errlen,
		    "airing %s changed meanwhile; nothing recorded", hit->id);
	memcpy(job, hit->id, 17);
	return 0;
}

static const char *
state_word(enum job_state s)
{
	return s == JS_DELIVERED ? "aired" : job_state_names[s];
}

static int64_t
air_of(const struct plan *p, const char *object, int ordinal)
{
	const struct named     *n = strmap_get(p->names, object);
	const struct broadcast *b;

	if (n == NULL || n->kind != N_BROADCAST)
		return TIMEX_NONE;
	b = n->p;
	return (size_t)ordinal < b->nair ? b->air[ordinal].t : TIMEX_NONE;
}

/*
 * The entry of the airing with the world's job j (NULL: none) and the
 * outbox's row a (NULL: none). What the outbox settled (handed, aired,
 * ended) is the outbox's; an airing not yet handed is as the plans now
 * place it.
 */
static void
entry_make(struct bq_entry *e, const struct world *w, const struct job *j,
    const struct ob_airing *a, int64_t now)
{
	const struct plan  *p;
	const struct named *n;

	memset(e, 0, sizeof(*e));
	e->sent_at = e->aired_at = TIMEX_NONE;
	if (j != NULL) {
		e->job = j->id;
		p = j->plan;
		e->item = j->object;
		e->priority = (enum priority)j->priority;
		e->planned = j->due;
		e->duration = j->duration;
		e->slot = j->slot;
		e->state = job_state_names[j->state];
		e->reason = j->reason;
		e->air = air_of(p, j->object, j->ordinal);
	} else {
		e->job = a->job.id;
		p = world_plan(w, a->job.plan);
		e->item = a->job.object;
		e->priority = a->job.priority;
		e->planned = a->job.due;
		e->duration = a->job.duration;
		e->slot = a->job.slot;
		e->air = p != NULL ? air_of(p, a->job.object, a->job.ordinal) :
				     TIMEX_NONE;
	}
	e->plan = p != NULL ? p->id : a->job.plan;
	if (a != NULL) {
		e->sent_at = a->job.sent_at;
		e->aired_at = a->aired_at;
		if (j == NULL || !policy_unsent(a->job.state)) {
			e->state = state_word(a->job.state);
			e->reason = a->job.reason != NULL ? a->job.reason :
							    a->job.last_error;
		}
		e->on_air = (a->job.state == JS_SENT ||
				a->job.state == JS_SENDING ||
				a->job.state == JS_DELIVERED) &&
		    e->planned <= now && now < e->planned + e->duration;
	}
	if (p != NULL && (n = strmap_get(p->names, e->item)) != NULL &&
	    n->kind == N_BROADCAST)
		e->title = ((const struct broadcast *)n->p)->title;
}

static void
entry_push(struct bq_entry **v, size_t *n, size_t *cap,
    const struct bq_entry *e)
{
	xgrow(v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = *e;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct bq_entry *x = a, *y = b;

	if (x->planned != y->planned)
		return x->planned < y->planned ? -1 : 1;
	return strcmp(x->job, y->job);
}

static int64_t
local_day(const struct service *svc, int64_t t)
{
	return civil_day_of(tz_to_local(svc->tz, t));
}

void
bqueue_rundown(const struct world *w, const struct bq_state *st, int64_t day,
    int64_t now, struct bq_rundown *r)
{
	const struct service *svc = w->svc;
	size_t		     *cap, ecap = 0, ucap = 0, i, k;
	struct strmap	      seen = { 0 };

	memset(r, 0, sizeof(*r));
	r->day = day;
	r->arena = arena_new();
	r->slots = xcalloc(svc->nslots ? svc->nslots : 1, sizeof(*r->slots));
	cap = xcalloc(svc->nslots ? svc->nslots : 1, sizeof(*cap));
	for (i = 0; i < svc->nslots; i++) {
		const struct slot *sl = &svc->slots[i];

		if (!(sl->days & (1u << civil_weekday(day))))
			continue;
		r->slots[r->nslots].name = sl->name;
		r->slots[r->nslots].start = slots_start(svc, sl, day);
		r->slots[r->nslots].end = r->slots[r->nslots].start +
		    (int64_t)(sl->end - sl->start) * 60;
		r->nslots++;
	}
	/* Slots in order of start. */
	for (i = 1; i < r->nslots; i++)
		for (k = i; k > 0 && r->slots[k - 1].start > r->slots[k].start;
		     k--) {
			struct bq_slot t = r->slots[k];

			r->slots[k] = r->slots[k - 1];
			r->slots[k - 1] = t;
		}
	/* The plans' airings, then what only the outbox still holds. */
	for (i = 0; i < w->jobs.n + st->nairings; i++) {
		const struct job       *j = NULL;
		const struct ob_airing *a;
		struct bq_entry		e;

		if (i < w->jobs.n) {
			j = &w->jobs.v[i];
			if (j->kind != JK_BROADCAST ||
			    j->channel != CH_BROADCAST)
				continue;
			a = airing_of(st, j->id);
			strmap_put(&seen, j->id, (void *)j);
		} else {
			a = &st->airings[i - w->jobs.n];
			if (strmap_get(&seen, a->job.id) != NULL)
				continue;
		}
		entry_make(&e, w, j, a, now);
		if (e.priority == PRIO_EMERGENCY) {
			if (local_day(svc, e.planned) == day)
				entry_push(&r->emergencies, &r->nemergencies,
				    &ecap, &e);
			continue;
		}
		if (e.slot != NULL && local_day(svc, e.planned) == day) {
			for (k = 0; k < r->nslots; k++)
				if (strcmp(r->slots[k].name, e.slot) == 0)
					break;
			if (k < r->nslots) {
				entry_push(&r->slots[k].v, &r->slots[k].n,
				    &cap[k], &e);
				continue;
			}
		}
		/* Asked for this day, and not aired on it. */
		if (e.air == TIMEX_NONE || local_day(svc, e.air) != day)
			continue;
		if (e.slot == NULL && strcmp(e.state, "skipped") == 0)
			e.why = e.reason;
		else if (e.slot != NULL && local_day(svc, e.planned) > day) {
			char t[40];

			tz_rfc3339(svc->tz, e.planned, t, sizeof(t));
			e.why = arena_printf(r->arena,
			    "no room left that day: planned in %s at %s",
			    e.slot, t);
		} else
			continue;
		entry_push(&r->unplaced, &r->nunplaced, &ucap, &e);
	}
	for (k = 0; k < r->nslots; k++)
		if (r->slots[k].n > 1)
			qsort(r->slots[k].v, r->slots[k].n,
			    sizeof(struct bq_entry), entry_cmp);
	if (r->nemergencies > 1)
		qsort(r->emergencies, r->nemergencies, sizeof(struct bq_entry),
		    entry_cmp);
	strmap_free(&seen);
	free(cap);
}

void
bq_rundown_free(struct bq_rundown *r)
{
	size_t i;

	for (i = 0; i < r->nslots; i++)
		free(r->slots[i].v);
	free(r->slots);
	free(r->emergencies);
	free(r->unplaced);
	arena_free(r->arena);
	memset(r, 0, sizeof(*r));
}

void
bqueue_list(const struct world *w, const struct bq_state *st, int64_t now,
    struct bq_item **v, size_t *n)
{
	struct strmap jobs = { 0 };
	size_t	      cap = 0, i, k, a;

	*v = NULL;
	*n = 0;
	for (i = 0; i < w->jobs.n; i++)
		if (w->jobs.v[i].kind == JK_BROADCAST &&
		    w->jobs.v[i].channel == CH_BROADCAST)
			strmap_put(&jobs, w->jobs.v[i].id, &w->jobs.v[i]);
	for (i = 0; i < w->nplans; i++) {
		const struct plan *p = w->plans[i];

		for (k = 0; k < p->nbroadcasts; k++) {
			const struct broadcast *b = &p->broadcasts[k];
			struct bq_item	       *it;
			size_t			ecap = 0;

			xgrow(v, &cap, *n + 1, sizeof(**v));
			it = &(*v)[(*n)++];
			memset(it, 0, sizeof(*it));
			it->plan = p;
			it->b = b;
			for (a = 0; a < b->nair; a++) {
				char			id[17];
				const struct job       *j;
				const struct ob_airing *ar;
				struct bq_entry		e;

				plan_job_id(p, JK_BROADCAST, b->id, (int)a,
				    NULL, CH_BROADCAST, id);
				j = strmap_get(&jobs, id);
				ar = airing_of(st, id);
				if (j == NULL && ar == NULL)
					continue; /* never expanded */
				entry_make(&e, w, j, ar, now);
				entry_push(&it->v, &it->n, &ecap, &e);
			}
		}
	}
	strmap_free(&jobs);
}

void
bq_items_free(struct bq_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].v);
	free(v);
}

int
bqueue_notify(const char *store, long *pid, char *err, size_t errlen)
{
	char	    *lock = xasprintf("%s.lock", store);
	struct flock fl;
	int	     fd;

	*pid = 0;
	/* Never a link planted at its name: the holder of a lock on the
	 * file it names would be sent the signal. */
	if ((fd = open(lock, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		if (errno == ENOENT) {
			free(lock);
			return 0; /* no service has run here */
		}
		snprintf(err, errlen, "%s: %s", lock,
		    errno == ELOOP ? "a symbolic link, which loa did not make: "
				     "not followed (remove it)" :
				     strerror(errno));
		free(lock);
		return -1;
	}
	/* The holder of the POSIX lock outbox_lock takes once it holds the
	 * store (the pid in the file may be an earlier holder's); none:
	 * nobody to tell, or one starting, which reconciles after. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1) {
		snprintf(err, errlen, "%s: %s", lock, strerror(errno));
		close(fd);
		free(lock);
		return -1;
	}
	close(fd);
	if (fl.l_type == F_UNLCK || fl.l_pid <= 0) {
		free(lock);
		return 0;
	}
	*pid = (long)fl.l_pid;
	if (kill((pid_t)*pid, SIGHUP) == -1) {
		snprintf(err, errlen, "%s: pid %ld: %s", lock, *pid,
		    strerror(errno));
		free(lock);
		return -1;
	}
	free(lock);
	return 0;
}
