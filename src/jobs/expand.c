/*
 * expand.c: a resolved plan -> its jobs (expand.h). Jobs are built in
 * batches: the same message at the same time to every recipient and
 * channel. Expansion is a pure function of the resolved plan: the same
 * plan gives the same jobs with the same ids.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/expand.h"
#include "plan/resolve.h"
#include "render/compose.h"
#include "render/tmpl.h"
#include "util/sms.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/strmap.h"

void
plan_job_id(const struct plan *p, enum job_kind kind, const char *object,
    int ordinal, const char *recipient, enum channel ch, char out[17])
{
	static const char  hex[] = "0123456789abcdef";
	unsigned long long h = HASH_INIT;
	char		   ord[16];
	int		   i;

	/* Content only, never the time: a moved job keeps its id. */
	h = hash_bytes(h, p->id, strlen(p->id) + 1);
	h = hash_bytes(h, job_kind_names[kind],
	    strlen(job_kind_names[kind]) + 1);
	h = hash_bytes(h, object, strlen(object) + 1);
	snprintf(ord, sizeof(ord), "%d", ordinal);
	h = hash_bytes(h, ord, strlen(ord) + 1);
	if (recipient != NULL)
		h = hash_bytes(h, recipient, strlen(recipient) + 1);
	h = hash_bytes(h, channel_names[ch], strlen(channel_names[ch]) + 1);
	for (i = 15; i >= 0; i--) {
		out[i] = hex[h & 15];
		h >>= 4;
	}
	out[16] = '\0';
}

static void
job_id(struct job *j)
{
	plan_job_id(j->plan, (enum job_kind)j->kind, j->object, j->ordinal,
	    j->to ? j->to->id : NULL, (enum channel)j->channel, j->id);
}

static struct job *
job_new(struct jobs *js, const struct plan *p, enum job_kind k,
    const char *object, int ordinal, const struct contact *to, enum channel ch)
{
	struct job *j;

	assert(k < JK__N && ch < CH__N && object != NULL);
	xgrow(&js->v, &js->cap, js->n + 1, sizeof(*js->v));
	j = &js->v[js->n++];
	memset(j, 0, sizeof(*j));
	j->plan = p;
	j->kind = (unsigned char)k;
	j->object = object;
	j->ordinal = ordinal;
	j->to = to;
	j->channel = (unsigned char)ch;
	j->state = JS_PENDING;
	j->refers = TIMEX_NONE;
	job_id(j);
	return j;
}

/* What one group of jobs shares: the same message at the same time. */
struct batch {
	const struct plan    *p;
	const struct service *svc;
	struct jobs	     *js;
	struct diag	     *d;
	enum job_kind	      kind;
	const char	     *object;
	int		      ordinal;
	const struct when    *when; /* when it goes */
	int64_t		      refers;
	const char	     *held; /* tentative: why */
	const char	     *cancelled;
	unsigned	      channels;
	const struct loc     *loc; /* for warnings */
	const char	     *key;
	int		      warned_parts;
	int		      warned_late;
	struct sms_info	      sms;	  /* cached when the text is */
	int		      sms_cached; /* the same for everybody */
	unsigned	     *warned; /* by contact index: channels warned of */
	unsigned	     *unreached; /* by contact index: kinds warned of */
};

static const struct gateway *
sms_gateway(const struct service *svc)
{
	return svc->channel_gw[CH_SMS];
}

static void
batch_job(struct batch *bt, const struct contact *to, enum channel ch,
    int64_t due)
{
	struct job *j;
	const char *addr = ch == CH_EMAIL ? to->email : to->phone;
	int	    max_parts;

	j = job_new(bt->js, bt->p, bt->kind, bt->object, bt->ordinal, to, ch);
	j->due = due;
	j->refers = bt->refers;
	j->address = addr;
	if (addr == NULL) {
		j->state = JS_SKIPPED;
		j->reason = ch == CH_EMAIL ? "no email address" :
					     "no phone number";
		assert(to->index < bt->p->ncontacts);
		if (!(bt->warned[to->index] & CHM(ch))) {
			bt->warned[to->index] |= CHM(ch);
			diag_warn(bt->d, &to->loc, to->id,
			    "accepts %s but has "
			    "%s; its %s jobs are skipped",
			    channel_names[ch], j->reason, channel_names[ch]);
		}
		return;
	}
	if (bt->cancelled != NULL) {
		j->state = JS_CANCELLED;
		j->reason = bt->cancelled;
	} else if (bt->held != NULL) {
		j->state = JS_HELD;
		j->reason = bt->held;
	} else if (bt->refers != TIMEX_NONE && due >= bt->refers &&
	    (bt->kind == JK_INVITATION || bt->kind == JK_EVENT_REMINDER ||
		bt->kind == JK_TASK_REMINDER)) {
		j->state = JS_EXPIRED;
		j->reason = bt->kind == JK_INVITATION ?
		    "due after the event "
		    "starts" :
		    "due after what it reminds of";
		if (!bt->warned_late) {
			bt->warned_late = 1;
			diag_warn(bt->d, bt->loc, bt->key,
			    "%s falls at or after "
			    "the moment it is about; it will never be sent",
			    job_kind_names[bt->kind]);
		}
	}
	if (ch == CH_SMS) {
		struct sms_info si;

		if (bt->sms_cached)
			si = bt->sms;
		else {
			char *text = compose_sms(bt->p, bt->svc,
			    (enum job_kind)j->kind,
			    strmap_get(bt->p->names, j->object), j->to, j->due,
			    NULL);

			sms_analyse(text, &si);
			free(text);
			/*
			 * Without {person.*} or {agency.*} (which follows a
			 * mailbox) the text is the same for every recipient.
			 */
			const char
			    *t = bt->svc->templates
				     ->text[compose_sms_tmpl(bt->kind,
					 strmap_get(bt->p->names, j->object))];

			if (strstr(t, "{person.") == NULL &&
			    strstr(t, "{agency.") == NULL) {
				bt->sms = si;
				bt->sms_cached = 1;
			}
		}
		j->sms_parts = si.parts;
		j->sms_encoding = (unsigned char)si.encoding;
		max_parts = sms_gateway(bt->svc) ?
		    sms_gateway(bt->svc)->max_parts :
		    bt->svc->max_parts;
		if (si.parts > max_parts && !bt->warned_parts) {
			bt->warned_parts = 1;
			diag_warn(bt->d, bt->loc, bt->key,
			    "the %s SMS is %d "
			    "parts (%s, %zu units), more than max_parts %d",
			    job_kind_names[bt->kind], si.parts,
			    sms_encoding_name(si.encoding), si.units,
			    max_parts);
		}
	}
}

/* The plan's key that lists the channels of the batch's kind. */
static const char *
channels_key(struct batch *bt)
{
	switch (bt->kind) {
	case JK_DISTRIBUTION:
		return "distribution.channels";
	case JK_EVENT_REMINDER:
		return arena_printf(bt->js->arena,
		    "events.%s.reminder_channels", bt->object);
	case JK_TASK_REMINDER:
	case JK_OVERDUE:
		return arena_printf(bt->js->arena, "tasks.%s.channels",
		    bt->object);
	default:
		return NULL;
	}
}

/*
 * Recipient c can be reached on none of the batch's channels: no job is
 * made, so say it, once a person and kind, with what would reach them.
 */
static void
warn_unreached(struct batch *bt, const struct contact *c)
{
	struct buf  why = { 0 }, fix = { 0 };
	const char *key = channels_key(bt);
	int	    ch;

	assert(c->index < bt->p->ncontacts && bt->kind < 32);
	if (bt->unreached[c->index] & (1u << bt->kind))
		return;
	bt->unreached[c->index] |= 1u << bt->kind;
	for (ch = CH_EMAIL; ch <= CH_SMS; ch++) {
		const char *addr = ch == CH_EMAIL ? c->email : c->phone;
		const char *what = ch == CH_EMAIL ? "an email" : "a phone";

		if (bt->channels & CHM(ch)) {
			if (addr == NULL)
				buf_printf(&why, "%shave no %s",
				    why.len ? " and " : "",
				    ch == CH_EMAIL ? "email" : "phone");
			else
				buf_printf(&why, "%sdo not accept %s",
				    why.len ? " and " : "", channel_names[ch]);
			if (addr == NULL)
				buf_printf(&fix, "%sadd %s to %s",
				    fix.len ? ", or " : "", what, c->id);
			else
				buf_printf(&fix,
				    "%sadd \"%s\" to %s's "
				    "channels",
				    fix.len ? ", or " : "", channel_names[ch],
				    c->id);
		} else if (addr != NULL && (c->channels & CHM(ch)) &&
		    key != NULL)
			buf_printf(&fix,
			    "%sadd \"%s\" to %s (%s would reach "
			    "them)",
			    fix.len ? ", or " : "", channel_names[ch], key,
			    channel_names[ch]);
	}
	/* The batch has a channel: each of its channels said something. */
	assert(why.s != NULL && fix.s != NULL);
	diag_warn(bt->d, &c->loc, c->id,
	    "gets no %s (%s), which goes by %s only: they %s; %s",
	    job_kind_names[bt->kind], bt->object,
	    (bt->channels & CHM(CH_SMS)) == 0	    ? "email" :
		(bt->channels & CHM(CH_EMAIL)) == 0 ? "sms" :
						      "email and sms",
	    why.s, fix.s);
	buf_free(&why);
	buf_free(&fix);
}

/* One job per recipient and channel of the batch. */
static void
batch_run(struct batch *bt, const struct contact **rcpt, size_t n)
{
	int64_t due = bt->when->t, due_sms;
	size_t	i;
	int	ch;

	if (due == TIMEX_NONE)
		return;
	due_sms = quiet_adjust(&bt->p->cal, &bt->svc->quiet, due, bt->refers);
	bt->sms_cached = 0;
	for (i = 0; i < n; i++) {
		/* An agency's shared mailbox is a recipient beside its
		 * people: one without a phone is not told of SMS. */
		if (!(bt->channels & rcpt[i]->channels) && bt->channels != 0 &&
		    bt->cancelled == NULL && !rcpt[i]->mailbox)
			warn_unreached(bt, rcpt[i]);
		for (ch = CH_EMAIL; ch <= CH_SMS; ch++)
			if ((bt->channels & CHM(ch)) &&
			    (rcpt[i]->channels & CHM(ch)))
				batch_job(bt, rcpt[i], (enum channel)ch,
				    ch == CH_SMS ? due_sms : due);
	}
}

/* The recipients of two lists, deduplicated across both. */
static void
recipients2(const struct plan *p, const struct idlist *a,
    const struct idlist *b, const struct contact *skip,
    const struct contact ***v, size_t *n, size_t *cap)
{
	struct idlist all;

	all.n = a->n + b->n;
	all.v = xcalloc(all.n ? all.n : 1, sizeof(*all.v));
	memcpy(all.v, a->v, a->n * sizeof(*all.v));
	memcpy(all.v + a->n, b->v, b->n * sizeof(*all.v));
	plan_recipients(p, &all, skip, v, n, cap);
	free(all.v);
}

static void
expand_event(struct batch *bt, const struct event *ev)
{
	const struct contact **rcpt = NULL;
	size_t		       n = 0, cap = 0, i;
	struct when	       invite;

	/* Attendees and optional attendees, deduplicated together. */
	recipients2(bt->p, &ev->attendees, &ev->optional,
	    plan_organizer(bt->p, ev), &rcpt, &n, &cap);

	/* iTIP needs an ORGANIZER address (RFC 5546 §3.2): say so when
	 * invitations by email will be published instead. */
	{
		const struct contact *org = plan_organizer(bt->p, ev);
		const struct named   *sn = bt->p->signed_by.id == NULL ?
		      NULL :
		      strmap_get(bt->p->names, bt->p->signed_by.id);
		const struct contact *sig = sn != NULL && sn->kind == N_PERSON ?
		    sn->p :
		    NULL;
		int		      mail = 0;

		for (i = 0; i < n && !mail; i++)
			mail = rcpt[i]->email != NULL;
		if (mail && (org == NULL || org->email == NULL) &&
		    (sig == NULL || sig->email == NULL))
			diag_warn(bt->d, &ev->loc,
			    arena_printf(bt->js->arena, "events.%s.organizer",
				ev->id),
			    "no email address "
			    "for an ORGANIZER (neither the organizer nor "
			    "plan.signed_by has one): invitations are "
			    "published, without Accept/Decline");
	}
	bt->object = ev->id;
	bt->refers = ev->start.t;
	bt->loc = &ev->loc;
	bt->cancelled = ev->status == EV_CANCELLED ? "event cancelled" : NULL;

	/* The invitation: by default as soon as the plan gives the date. */
	invite = ev->invite.src != NULL ? ev->invite : bt->p->issued;
	bt->kind = JK_INVITATION;
	bt->ordinal = 0;
	bt->when = &invite;
	bt->held = invite.tentative ? invite.tentative : ev->start.tentative;
	bt->channels = CHM(CH_EMAIL) | CHM(CH_SMS);
	bt->key = arena_printf(bt->js->arena, "events.%s.invite", ev->id);
	bt->warned_parts = bt->warned_late = 0;
	batch_run(bt, rcpt, n);

	bt->kind = JK_EVENT_REMINDER;
	bt->channels = ev->reminder_channels;
	for (i = 0; i < ev->nreminders; i++) {
		bt->ordinal = (int)i;
		bt->when = &ev->reminders[i];
		bt->held = ev->reminders[i].tentative ?
		    ev->reminders[i].tentative :
		    ev->start.tentative;
		bt->key = ev->reminders[i].key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	free(rcpt);
}

static void
expand_task(struct batch *bt, const struct task *t)
{
	const struct contact **rcpt = NULL;
	size_t		       n = 0, cap = 0, i;

	/* Owners, then the cooperating units, who are copied. */
	recipients2(bt->p, &t->owner, &t->with, NULL, &rcpt, &n, &cap);
	bt->object = t->id;
	bt->refers = t->due.t;
	bt->loc = &t->loc;
	bt->cancelled = NULL;
	bt->channels = t->channels;

	bt->kind = JK_TASK_REMINDER;
	for (i = 0; i < t->nremind; i++) {
		bt->ordinal = (int)i;
		bt->when = &t->remind[i];
		bt->held = t->remind[i].tentative;
		bt->key = t->remind[i].key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	if (t->overdue.src != NULL) {
		bt->kind = JK_OVERDUE;
		bt->ordinal = 0;
		bt->when = &t->overdue;
		bt->refers = TIMEX_NONE;
		bt->held = t->overdue.tentative;
		bt->key = t->overdue.key;
		bt->warned_parts = bt->warned_late = 0;
		batch_run(bt, rcpt, n);
	}
	free(rcpt);
}

static int
word_count(const char *s)
{
	int n = 0, in = 0;

	for (; *s != '\0'; s++) {
		int sp = *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r';

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

/*
 * The SMS of broadcast b to the people of its sms_to: one a recipient
 * (an agency's shared mailbox has no phone: it is left out), due at the
 * item's first air time, out of quiet hours like a reminder, except an
 * emergency's: at its air time, whatever the hour.
 */
static void
expand_broadcast_sms(struct batch *bt, const struct broadcast *b)
{
	const struct contact **rcpt = NULL;
	const struct when     *first = NULL;
	size_t		       n = 0, cap = 0, i;
	int64_t		       due;

	if (b->sms_to.n == 0)
		return;
	for (i = 0; i < b->nair; i++)
		if (b->air[i].t != TIMEX_NONE &&
		    (first == NULL || b->air[i].t < first->t))
			first = &b->air[i];
	if (first == NULL)
		return;
	plan_recipients(bt->p, &b->sms_to, NULL, &rcpt, &n, &cap);
	bt->kind = JK_BROADCAST;
	bt->object = b->id;
	bt->ordinal = 0;
	bt->when = first;
	bt->refers = b->expires.src != NULL ? b->expires.t : TIMEX_NONE;
	bt->held = first->tentative;
	bt->cancelled = NULL;
	bt->loc = &b->loc;
	bt->key = arena_printf(bt->js->arena, "broadcasts.%s.sms_to", b->id);
	bt->warned_parts = bt->warned_late = 0;
	bt->sms_cached = 0;
	due = b->priority == PRIO_EMERGENCY ?
	    first->t :
	    quiet_adjust(&bt->p->cal, &bt->svc->quiet, first->t, bt->refers);
	for (i = 0; i < n; i++) {
		const struct contact *c = rcpt[i];
		size_t		      at = bt->js->n;

		if (c->mailbox && c->phone == NULL)
			continue;
		if (c->phone == NULL) {
			/* Named for SMS, without a phone: said, not dropped. */
			struct job *j = job_new(bt->js, bt->p, JK_BROADCAST,
			    b->id, 0, c, CH_SMS);

			j->due = due;
			j->refers = bt->refers;
			j->priority = (unsigned char)b->priority;
			j->state = JS_SKIPPED;
			j->reason = "no phone number";
			diag_warn(bt->d, &b->loc, bt->key,
			    "%s has no phone number; its SMS is skipped",
			    c->id);
			continue;
		}
		batch_job(bt, c, CH_SMS, due);
		bt->js->v[at].priority = (unsigned char)b->priority;
		if (c->phone != NULL && !(c->channels & CHM(CH_SMS))) {
			bt->js->v[at].state = JS_SKIPPED;
			bt->js->v[at].reason = "does not accept sms";
		}
	}
	free(rcpt);
}

static void
expand_broadcast(struct batch *bt, const struct broadcast *b)
{
	size_t i;
	int    words = word_count(b->text ? b->text : "");
	int    wpm = bt->svc->words_per_minute > 0 ? bt->svc->words_per_minute :
						     130;

	/* Cancelled (`loa broadcast cancel`): as if gone from its plan. */
	if (b->cancelled)
		return;
	for (i = 0; i < b->nair; i++) {
		struct job *j;

		if (b->air[i].t == TIMEX_NONE)
			continue;
		j = job_new(bt->js, bt->p, JK_BROADCAST, b->id, (int)i, NULL,
		    CH_BROADCAST);
		j->due = b->air[i].t;
		j->refers = b->expires.src != NULL ? b->expires.t : TIMEX_NONE;
		j->priority = (unsigned char)b->priority;
		j->duration = (words * 60 + wpm - 1) / wpm;
		if (b->air[i].tentative != NULL) {
			j->state = JS_HELD;
			j->reason = b->air[i].tentative;
		}
	}
	expand_broadcast_sms(bt, b);
}

void
plan_expand(const struct plan *p, const struct service *svc, struct jobs *js,
    struct diag *d)
{
	struct batch bt = { .p = p, .svc = svc, .js = js, .d = d };
	size_t	     i;

	assert(svc->templates != NULL); /* tmpl_install: SMS are rendered */
	if (js->arena == NULL)
		js->arena = arena_new();
	bt.warned = xcalloc(p->ncontacts ? p->ncontacts : 1,
	    sizeof(*bt.warned));
	bt.unreached = xcalloc(p->ncontacts ? p->ncontacts : 1,
	    sizeof(*bt.unreached));

	if (p->distribution.present) {
		const struct contact **rcpt = NULL;
		size_t		       n = 0, cap = 0;

		plan_recipients(p, &p->distribution.to, NULL, &rcpt, &n, &cap);
		bt.kind = JK_DISTRIBUTION;
		bt.object = p->id;
		bt.when = p->distribution.at.src != NULL ? &p->distribution.at :
							   &p->issued;
		bt.refers = TIMEX_NONE;
		bt.held = bt.when->tentative;
		bt.channels = p->distribution.channels;
		bt.loc = &p->distribution.loc;
		bt.key = "distribution";
		batch_run(&bt, rcpt, n);
		free(rcpt);
	}
	for (i = 0; i < p->nevents; i++)
		expand_event(&bt, &p->events[i]);
	for (i = 0; i < p->ntasks; i++)
		expand_task(&bt, &p->tasks[i]);
	for (i = 0; i < p->nbroadcasts; i++)
		expand_broadcast(&bt, &p->broadcasts[i]);
	free(bt.warned);
	free(bt.unreached);
}

void
jobs_free(struct jobs *js)
{
	free(js->v);
	arena_free(js->arena);
	memset(js, 0, sizeof(*js));
}
