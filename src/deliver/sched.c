/*
 * sched.c: the send path of the engine.
 *
 * The order of every send is: claim (the job becomes `sending`, committed
 * and synced), render, hand to the gateway, make the gateway's output
 * durable, record the outcome (committed). A crash anywhere leaves the job
 * `sending` or finished; on restart `sending` goes back to `pending` and
 * is sent again with the same id, so delivery is at least once and a
 * duplicate carries the same idempotency key. The record of one batch
 * and the claim of the next share a commit (engine_step_at), so a batch
 * costs one sync of the outbox and one of each gateway.
 *
 * What happens after an answer, how long a retry waits and when a job is
 * too late are policy.c's pure functions; this file only applies them.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/engine_facts.h"
#include "deliver/sched.h"
#include "plan/resolve.h"
#include "render/broadcast.h"
#include "render/cap.h"
#include "render/compose.h"
#include "render/mail.h"
#include "render/speech.h"
#include "util/fs.h"
#include "util/sms.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/strmap.h"

/*
 * A step claims in turns: the first turn a few jobs, so that the first of
 * a due instant is handed after a small commit; each turn after four
 * times as many, up to CLAIM_BATCH (one commit and one gateway flush a
 * turn, so large turns are what makes many sends cheap).
 */
#define CLAIM_FIRST 4
#define CLAIM_BATCH 256
/* The longest a Retry-After holds a whole gateway, seconds. */
#define PAUSE_MAX 900

/* A monotonic clock, for how long a send took. */
static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
engine_regateway(struct engine *e, const struct world *nw, int64_t now,
    char *err, size_t errlen)
{
	struct gw     ng[CH__N];
	struct bucket nb[CH__N];
	int	      nl[CH__N], ch, k;

	for (ch = 0; ch < CH__N; ch++)
		if (engine_gw_open(nw, &e->o, e->base, ch, &ng[ch], &nb[ch],
			&nl[ch], err, errlen) == -1) {
			for (k = 0; k < ch; k++) {
				ng[k].backend->shutdown(&ng[k]);
				free(ng[k].dir);
			}
			return -1;
		}
	/* What the running gateways hold is answered, or put back to go
	 * again, with the same id, through the new ones. */
	if (engine_land(e, now, 10000) == -1) {
		for (k = 0; k < CH__N; k++) {
			ng[k].backend->shutdown(&ng[k]);
			free(ng[k].dir);
		}
		snprintf(err, errlen, "%s", outbox_error(e->ob));
		return -1;
	}
	/* Landed: nothing is left in the old gateways' hands. */
	assert(engine_inflight(e) == 0);
	for (ch = 0; ch < CH__N; ch++) {
		if (e->gw[ch].backend != NULL)
			e->gw[ch].backend->shutdown(&e->gw[ch]);
		free(e->gw[ch].dir);
		e->gw[ch] = ng[ch];
		e->bucket[ch] = nb[ch];
		e->limit[ch] = nl[ch];
		e->pause[ch] = 0;
		live_pause(e->o.live, (enum channel)ch, 0);
	}
	engine_live_gateways(e);
	return 0;
}

/* The recipient as the plan knows them now: a person, or an agency's
 * mailbox. NULL when the id names nobody now. */
static const struct contact *
recipient_of(const struct plan *p, const char *id)
{
	const struct named *n;

	if (id == NULL || (n = strmap_get(p->names, id)) == NULL)
		return NULL;
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind == N_AGENCY)
		return ((struct agency *)n->p)->mailbox;
	return NULL;
}

/* Record the answer to claimed job c, inside the caller's transaction. */
static int
record(struct engine *e, struct sendctx *c, int64_t now)
{
	struct ob_job *j = &c->job;
	struct plan   *p = world_plan(e->w, j->plan);
	char	      *why;
	int	       rc;

	/* record_all hands only what was answered: not skipped, not
	 * released, and no longer in a gateway's hands. */
	assert(!c->skip && !c->release && c->ans.result != GW_INFLIGHT);

	enum policy_outcome o = policy_outcome(c->ans.result == GW_OK,
	    c->ans.result == GW_TEMPFAIL, j->attempts, j->first_at, now);

	int64_t next = TIMEX_NONE;

	/* The gateway's config is at fault, not the message: mending it
	 * must be enough, so the job is never given up on. */
	if (c->ans.result == GW_CONFFAIL)
		o = PO_RETRY;
	if (o == PO_RETRY)
		next = now +
		    retry_delay(j->attempts,
			(double)rand_r(&e->seed) / ((double)RAND_MAX + 1),
			c->ans.retry_after);
	if (!c->skip)
		live_send(e->o.live, j->channel, c->ans.result,
		    mono() - c->t_submit, now,
		    next != TIMEX_NONE ? (double)next : 0, c->ans.text);
	switch (o) {
	case PO_SENT:
		if (outbox_sent(e->ob, j->id, j->rowid, now, c->ans.text) == -1)
			return -1;
		if (p != NULL &&
		    (j->channel == CH_EMAIL || j->channel == CH_SMS) &&
		    (j->kind == JK_INVITATION || j->kind == JK_UPDATE) &&
		    facts_note_invited(e, p, j) == -1)
			return -1;
		/* An emergency's CAP alert, for its Update and Cancel. */
		if (p != NULL && j->kind == JK_BROADCAST &&
		    j->channel == CH_BROADCAST &&
		    j->priority == PRIO_EMERGENCY &&
		    facts_note_alert(e, p, j) == -1)
			return -1;
		e->st.sent[j->kind][j->channel]++;
		engine_trace(e, j, "sent", c->ans.text);
		return 0;
	case PO_RETRY:
		/* A new due time: lateness is looked at again. */
		e->expired_at = TIMEX_NONE;
		e->st.failed++;
		engine_trace(e, j, "retry", c->ans.text);
		return outbox_retry(e->ob, j->id, now, next, c->ans.text);
	case PO_DEAD:
	default:
		e->st.dead++;
		if (c->ans.result != GW_TEMPFAIL) {
			engine_trace(e, j, "dead", c->ans.text);
			return outbox_finish(e->ob, j->id, now, JS_DEAD,
			    c->ans.text);
		}
		why = xasprintf("gave up after %d attempts: %s", j->attempts,
		    c->ans.text);
		engine_trace(e, j, "dead", why);
		rc = outbox_finish(e->ob, j->id, now, JS_DEAD, why);
		free(why);
		return rc;
	}
}

/* Answer for the gateway: result r, with why on one line of valid UTF-8,
 * cut on a character boundary to the answer's room (a path, a peer's
 * words may be in it). */
static void
answer(struct sendctx *c, enum gw_result r, const char *why)
{
	char *t = text_peer(why, strlen(why), sizeof(c->ans.text) - 1);

	c->ans.result = r;
	snprintf(c->ans.text, sizeof(c->ans.text), "%s", t);
	free(t);
}

/*
 * The email of claimed job j: the engine fetches what the renderer needs
 * (the SEQUENCE announced, the attachments' bytes) and renders. NULL with
 * the reason in c's answer (a permanent failure: it would fail again).
 */
static char *
email_of(struct engine *e, struct plan *p, struct sendctx *c,
    const struct named *n, int64_t now)
{
	const struct ob_job *j = &c->job;
	struct mail_job	     m;
	struct mime_file    *files = NULL;
	char		     why[512], *out = NULL;
	size_t		     i, nfiles = 0;

	memset(&m, 0, sizeof(m));
	m.id = j->id;
	m.kind = j->kind;
	m.object = n;
	m.to = recipient_of(p, j->recipient);
	m.recipient = j->recipient;
	m.name = j->name;
	m.address = j->address;
	m.seq = j->seq;
	m.payload = j->payload;
	m.now = now;
	if (j->kind == JK_INVITATION) {
		struct ob_event oe;
		int		found;

		/* An invitation carries the sequence already announced. */
		if (outbox_event_get(e->ob, p->id, j->object, &oe, &found) ==
		    -1) {
			answer(c, GW_TEMPFAIL, outbox_error(e->ob));
			return NULL;
		}
		m.seq = found ? oe.seq : 0;
		ob_event_clear(&oe);
	}
	if (j->kind == JK_DISTRIBUTION) {
		nfiles = p->distribution.nattachments;
		files = xcalloc(nfiles ? nfiles : 1, sizeof(*files));
		for (i = 0; i < nfiles; i++) {
			const char *path = p->distribution.attachments[i];
			const char *base = strrchr(path, '/');
			size_t	    len;

			files[i].name = base ? base + 1 : path;
			/* Checked again as it is read: the file may have been
			 * swapped for a link since `check` saw it. */
			if (fs_slurp_within(p->dir, path, FS_MAX_FILE,
				(char **)&files[i].data, &len, why,
				sizeof(why)) == -1) {
				answer(c, GW_PERMFAIL, why);
				goto out;
			}
			files[i].len = len;
		}
		m.attach = files;
		m.nattach = nfiles;
	}
	if ((out = mail_render(p, e->w->svc, &m, why, sizeof(why))) == NULL)
		answer(c, GW_PERMFAIL, why);
out:
	for (i = 0; i < nfiles; i++)
		free((char *)files[i].data);
	free(files);
	return out;
}

/*
 * Whether claimed job j may go now: quiet hours for SMS (checked again at
 * send time). When not, the job is released to a later time or expired,
 * and 0 is returned. (The gateway's rate was taken at the claim: no job is
 * claimed without a token.)
 */
static int
may_go(struct engine *e, struct plan *p, struct sendctx *c, int64_t now)
{
	struct ob_job *j = &c->job;
	int	       rc = 0;
	int64_t	       t;

	t = policy_quiet(&p->cal, &e->w->svc->quiet, j->kind, j->channel,
	    (int)j->priority, now, j->refers);
	if (t == now)
		return 1;
	c->skip = 1;
	if (t < now) {
		rc = outbox_finish(e->ob, j->id, now, JS_EXPIRED,
		    POLICY_QUIET_EXPIRED);
		e->st.expired++;
		engine_late_job(e, j, POLICY_QUIET_EXPIRED, NULL);
	} else
		rc = outbox_release(e->ob, j->id, t);
	if (rc == -1)
		log_warnx("%s", outbox_error(e->ob));
	return 0;
}

/* Render and submit one claimed job. */
static void
send_one(struct engine *e, struct sendctx *c, int64_t now)
{
	struct ob_job	   *j = &c->job;
	struct plan	   *p = world_plan(e->w, j->plan);
	const struct named *n;
	struct gw_msg	    m;
	char		   *data = NULL, *text = NULL, *mem = NULL;
	char		   *cap = NULL;
	void		   *wav = NULL;
	struct sms_info	    si;
	struct event	    announced;
	struct named	    announced_n;

	/* A claimed job: the outbox's kinds and channels only. */
	assert(j->kind < JK__N && j->channel < CH__N);
	memset(&c->ans, 0, sizeof(c->ans));
	c->ans.id = j->id;
	c->t_submit = mono();
	if (p == NULL) {
		c->ans.result = GW_PERMFAIL;
		snprintf(c->ans.text, sizeof(c->ans.text),
		    "plan %s is no "
		    "longer loaded",
		    j->plan);
		return;
	}
	if (!may_go(e, p, c, now))
		return;
	n = engine_object(e, p, j->object);
	if (j->kind == JK_CANCEL && j->payload != NULL) {
		/* A cancellation quotes what its recipient was sent; the
		 * payload keeps only its why for the renderers. */
		if (facts_announced(n, j->payload, &announced, &announced_n,
			&mem))
			n = &announced_n;
		j->payload[strcspn(j->payload, "\n")] = '\0';
	}
	memset(&m, 0, sizeof(m));
	m.id = j->id;
	m.channel = channel_names[j->channel];
	m.to = j->address;
	switch (j->channel) {
	case CH_EMAIL:
		if ((data = email_of(e, p, c, n, now)) == NULL)
			goto out;
		m.data = data;
		break;
	case CH_SMS:
		text = compose_sms(p, e->w->svc, j->kind, n,
		    recipient_of(p, j->recipient), now, j->payload);
		if (tmpl_blank(text)) {
			/* An empty SMS is never sent: a permanent failure. */
			char *why = xasprintf("the SMS is empty: template %s "
					      "rendered nothing",
			    tmpl_key(tmpl_sms_of(j->kind)));

			answer(c, GW_PERMFAIL, why);
			free(why);
			goto out;
		}
		compose_sms_fit(&text, e->w->svc, &si, m.note, sizeof(m.note));
		m.data = text;
		m.encoding = sms_encoding_name(si.encoding);
		m.parts = si.parts;
		break;
	case CH_BROADCAST:
	default:
		assert(j->channel == CH_BROADCAST);
		{
			const struct broadcast *b = n != NULL &&
				n->kind == N_BROADCAST ?
			    n->p :
			    NULL;

			enum cap_msgtype ct = CAP_ALERT;
			const char	*refs = NULL;

			int capjob = cap_payload(j->payload, &ct, &refs) == 0;

			data = broadcast_render(p, b, j->id, j->object, j->due,
			    j->slot, j->duration, e->w->svc);
			/* A Cancel is the alert alone: nothing to air. */
			if (b != NULL && e->w->svc->tts_engine != NULL &&
			    ct != CAP_CANCEL) {
				/* The WAV is in the cache since the load,
				 * unless it was removed: made again. */
				char   why[200];
				double secs;
				char  *rec;

				if (speech_wav(e->w->svc, b->text, &wav,
					&m.audio_len, &secs, why,
					sizeof(why)) == -1) {
					answer(c, GW_TEMPFAIL, why);
					goto out;
				}
				m.audio = wav;
				rec = speech_record(data, j->id, secs);
				free(data);
				data = rec;
			}
			m.data = data;
			m.text = b != NULL ? b->text : NULL;
			/* An emergency's CAP alert; an Update or Cancel
			 * when the payload asks for one (reconcile.c). */
			if (capjob || j->priority == PRIO_EMERGENCY ||
			    (b != NULL && b->priority == PRIO_EMERGENCY)) {
				cap = cap_render(e->w->svc, p, b, j->id,
				    j->first_at, ct, refs);
				m.cap = cap;
				m.data = data = cap_record(data, j->id,
				    j->object, ct, refs);
			}
			if (ct == CAP_CANCEL)
				m.text = NULL, m.audio = NULL, m.audio_len = 0;
		}
		break;
	}
	live_lag(e->o.live, e->fnow - (double)j->due);
	c->t_submit = mono();
	e->gw[j->channel].backend->submit(&e->gw[j->channel], &m, &c->ans);
out:
	free(data);
	free(text);
	free(wav);
	free(mem);
	free(cap);
}

size_t
engine_inflight(const struct engine *e)
{
	size_t n = 0;
	int    ch;

	for (ch = 0; ch < CH__N; ch++)
		n += e->fly[ch].n;
	return n;
}

/*
 * A gateway's Retry-After holds the whole gateway: no job is claimed on
 * its channel before then (the job itself retries no sooner, as
 * retry_delay takes it as a floor). The other channels go on.
 */
static void
note_answer(struct engine *e, enum channel ch, const struct gw_answer *a)
{
	double until;

	assert((int)ch >= 0 && ch < CH__N);
	if (a->result != GW_TEMPFAIL || a->retry_after <= 0)
		return;
	/* The job waits all it was told (up to a day); the gateway as a
	 * whole at most PAUSE_MAX, so one answer cannot hold a channel (an
	 * emergency's SMS among it) for a day. */
	until = e->fnow +
	    (double)(a->retry_after > PAUSE_MAX ? PAUSE_MAX : a->retry_after);
	if (until <= e->pause[ch])
		return;
	if (e->pause[ch] <= e->fnow)
		log_info("the %s gateway asked for %lld s: nothing more goes "
			 "to it until then",
		    channel_names[ch], (long long)a->retry_after);
	e->pause[ch] = until;
	live_pause(e->o.live, ch, until);
}

/* A gateway answered for a send it had taken: move it to landed. */
static void
on_answer(void *arg, const struct gw_answer *a)
{
	struct engine *e = arg;
	size_t	       i;
	int	       ch;

	/* A gateway answers with the id it was given (gw.h). */
	assert(a != NULL && a->id != NULL);
	for (ch = 0; ch < CH__N; ch++)
		for (i = 0; i < e->fly[ch].n; i++) {
			struct sendctx *c = &e->fly[ch].v[i];

			if (strcmp(c->job.id, a->id) != 0)
				continue;
			c->ans = *a;
			c->ans.id = NULL;
			if (c->ans.result == GW_INFLIGHT)
				c->ans.result = GW_TEMPFAIL;
			note_answer(e, (enum channel)ch, &c->ans);
			engine_flight_push(&e->landed, c);
			*c = e->fly[ch].v[--e->fly[ch].n];
			return;
		}
	log_warnx("a gateway answered for job %s, which it was not sending",
	    a->id);
}

/*
 * Make what the gateways took durable before any of c[0..n) is recorded
 * sent: a gateway whose flush fails turns its OK answers into temporary
 * failures (tried again).
 */
static void
flush_gateways(struct engine *e, struct sendctx *c, size_t n)
{
	size_t i;
	int    ch;

	for (ch = 0; ch < CH__N; ch++) {
		char err[256];

		if (e->gw[ch].backend->flush(&e->gw[ch], err, sizeof(err)) == 0)
			continue;
		for (i = 0; i < n; i++)
			if (c[i].job.channel == (enum channel)ch &&
			    c[i].ans.result == GW_OK) {
				c[i].ans.result = GW_TEMPFAIL;
				snprintf(c[i].ans.text, sizeof(c[i].ans.text),
				    "%s", err);
			}
	}
}

/* Record the outcomes of c[0..n) inside the caller's transaction. */
static int
record_all(struct engine *e, struct sendctx *c, size_t n, int64_t now)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].skip)
			continue;
		if (c[i].release) {
			if (outbox_release(e->ob, c[i].job.id,
				c[i].job.next_at) == -1)
				return -1;
			continue;
		}
		if (record(e, &c[i], now) == -1)
			return -1;
	}
	return 0;
}

static void
clear_all(struct sendctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ob_job_clear(&c[i].job);
}

/*
 * Record the outcomes of n sends in one transaction, after the gateways
 * made what they took durable; the jobs are cleared. A send still in
 * flight must have been taken out (skip set) before.
 */
static int
record_batch(struct engine *e, struct sendctx *c, size_t n, int64_t now)
{
	int rc = -1;

	flush_gateways(e, c, n);
	if (outbox_begin(e->ob) == -1)
		goto out;
	if (record_all(e, c, n, now) == -1) {
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
	clear_all(c, n);
	return rc;
}

/* Drive the gateways' in-flight sends and record what they answered. */
static int
collect(struct engine *e, int64_t now)
{
	int ch, rc;

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
 * Claim what is due into e->claimv, at most max, inside the
 * caller's transaction: on each channel no more than its gateway has room
 * for, none while it is paused (Retry-After), and no more than its rate's
 * tokens (each claimed job takes one). Channels with room are never held
 * up by one without.
 */
static int
claim(struct engine *e, int64_t now, int max, size_t *nv)
{
	int    room[CH__N], ch;
	size_t i;

	assert(max > 0 && max <= CLAIM_BATCH);
	for (ch = 0; ch < CH__N; ch++) {
		room[ch] = max;
		if (e->limit[ch] > 0 &&
		    e->limit[ch] - (int)e->fly[ch].n < room[ch])
			room[ch] = e->limit[ch] - (int)e->fly[ch].n;
		if (e->fnow < e->pause[ch])
			room[ch] = 0;
		if (room[ch] > 0)
			room[ch] = bucket_room(&e->bucket[ch], e->fnow,
			    room[ch]);
	}
	*nv = 0;
	if (outbox_claim_in(e->ob, now, room, max, &e->claimv, nv,
		&e->claimcap) == -1)
		return -1;
	/* outbox_claim_in claims no more than max, and none past a
	 * channel's room. */
	assert(*nv <= (size_t)max);
	for (i = 0; i < *nv; i++)
		bucket_take(&e->bucket[e->claimv[i].channel], e->fnow);
	return 0;
}

/* Expire what is too late at at, and log it, a line a group. 0 or -1. */
static int
expire(struct engine *e, int64_t at)
{
	struct late_tally t = { 0 };
	int		  n;

	if (outbox_expire(e->ob, at, &n, &t) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		late_tally_free(&t);
		return -1;
	}
	engine_late_report(e, &t, NULL);
	late_tally_free(&t);
	e->st.expired += n;
	e->expired_at = at;
	return 0;
}

int
engine_expire_ahead(struct engine *e, int64_t at)
{
	if (at == e->expired_at || engine_inflight(e) > 0)
		return 0;
	return expire(e, at);
}

int
engine_step(struct engine *e, int64_t now)
{
	return engine_step_at(e, (double)now);
}

/*
 * One step: expire what is too late, then turn by turn record what the
 * gateways answered and claim the next batch in one transaction (one
 * commit, one sync, a turn), hand the batch to the gateways and flush
 * them. An outcome is recorded only after its answer and the gateway's
 * flush; a claim is committed before its job is handed.
 */
int
engine_step_at(struct engine *e, double fnow)
{
	int64_t	       now = (int64_t)floor(fnow);
	struct flight *b = &e->batch;
	size_t	       nv = 0, i;
	int	       ch, stop, turn = CLAIM_FIRST;

	/* Nothing waits to be recorded between steps. */
	assert(e != NULL && e->batch.n == 0);
	e->fnow = fnow;
	/* Lateness is counted in seconds: once a second is enough. */
	if (now != e->expired_at && expire(e, now) == -1)
		return -1;
	for (ch = 0; ch < CH__N; ch++)
		if (e->fly[ch].n > 0)
			e->gw[ch].backend->poll(&e->gw[ch], on_answer, e);
	for (;;) {
		for (i = 0; i < e->landed.n; i++)
			engine_flight_push(b, &e->landed.v[i]);
		e->landed.n = 0;
		/* A signal: no more claims; the rest stays pending. */
		stop = engine_interrupted();
		if (stop && b->n == 0)
			return 0;
		flush_gateways(e, b->v, b->n);
		nv = 0;
		if (outbox_begin(e->ob) == -1)
			goto fail;
		if (record_all(e, b->v, b->n, now) == -1 ||
		    (!stop && claim(e, now, turn, &nv) == -1) ||
		    outbox_commit(e->ob) == -1) {
			outbox_rollback(e->ob);
			goto fail;
		}
		clear_all(b->v, b->n);
		b->n = 0;
		if (nv == 0)
			return 0;
		turn = turn * 4 > CLAIM_BATCH ? CLAIM_BATCH : turn * 4;
		for (i = 0; i < nv; i++) {
			struct sendctx c;

			memset(&c, 0, sizeof(c));
			c.job = e->claimv[i];
			ch = (int)c.job.channel;
			if (e->fnow < e->pause[ch])
				/* The gateway asked for a pause meanwhile. */
				c.release = 1;
			else
				send_one(e, &c, now);
			if (c.skip)
				ob_job_clear(&c.job);
			else if (!c.release && c.ans.result == GW_INFLIGHT)
				/* The gateway answers later, through poll. */
				engine_flight_push(&e->fly[ch], &c);
			else {
				if (!c.release)
					note_answer(e, (enum channel)ch,
					    &c.ans);
				engine_flight_push(b, &c);
			}
		}
	}
fail:
	log_warnx("%s", outbox_error(e->ob));
	clear_all(b->v, b->n);
	b->n = 0;
	for (i = 0; i < nv; i++)
		ob_job_clear(&e->claimv[i]);
	return -1;
}

/*
 * The instant (on e's clock) a job due by now on a channel held only by
 * its rate gets a token; INFINITY when none is so held (a pause, or
 * nothing due). -1 when the outbox fails.
 */
static int
rate_wake(struct engine *e, int64_t now, double *wake)
{
	int64_t at[CH__N];
	double	w;
	int	ch;

	*wake = INFINITY;
	if (outbox_next_by_channel(e->ob, at) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		return -1;
	}
	for (ch = 0; ch < CH__N; ch++)
		if (at[ch] != TIMEX_NONE && at[ch] <= now &&
		    e->fnow >= e->pause[ch] &&
		    (w = bucket_wait(&e->bucket[ch], e->fnow)) > 0 &&
		    e->fnow + w < *wake)
			*wake = e->fnow + w;
	return 0;
}

/*
 * run --once: send what is due at now, all of it: a gateway at its
 * concurrency takes the rest as its answers land (each step records what
 * landed and claims into the room it left), and a gateway at its rate as
 * its tokens come, on the real clock from now on. What a Retry-After
 * pause holds stays for the next run. Then land what is in flight.
 */
int
engine_once(struct engine *e, int64_t now)
{
	struct pollfd	pfd[ENGINE_MAXFDS];
	struct timespec t0, t1;
	double		fnow = (double)now, wake;
	int		n, timeout;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (engine_step_at(e, fnow) == -1)
			return -1;
		if (engine_interrupted())
			break;
		if (engine_inflight(e) > 0) {
			timeout = 1000;
			n = engine_pollfds(e, pfd, 0, ENGINE_MAXFDS, &timeout);
			if (timeout < 0 || timeout > 1000)
				timeout = 1000;
		} else {
			if (rate_wake(e, now, &wake) == -1)
				return -1;
			if (isinf(wake))
				break;
			n = 0;
			timeout = (int)ceil((wake - fnow) * 1000);
			if (timeout > 1000)
				timeout = 1000;
			if (timeout < 0)
				timeout = 0;
		}
		if (poll(pfd, (nfds_t)n, timeout) == -1 && errno != EINTR)
			log_warn("poll");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		fnow = (double)now + (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	return engine_land(e, (int64_t)floor(fnow), 60000);
}

/* The descriptors and timeout the gateways wait on, after pfd[0..n). */
int
engine_pollfds(struct engine *e, struct pollfd *pfd, int n, int max,
    int *timeout)
{
	int ch, t;

	assert(n >= 0 && n <= max);
	for (ch = 0; ch < CH__N; ch++) {
		if (e->fly[ch].n == 0)
			continue;
		t = -1;
		n += e->gw[ch].backend->pollfds(&e->gw[ch], pfd + n, max - n,
		    &t);
		/* A backend fills no more than it is given. */
		assert(n <= max);
		if (t >= 0 && (*timeout < 0 || t < *timeout))
			*timeout = t;
	}
	return n;
}

int
engine_land(struct engine *e, int64_t now, int wait_ms)
{
	struct pollfd	pfd[ENGINE_MAXFDS];
	struct timespec t0, t1;
	int		n, timeout, left = wait_ms, ch;
	size_t		i;

	assert(wait_ms >= 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (engine_inflight(e) > 0 && left > 0) {
		timeout = left;
		n = engine_pollfds(e, pfd, 0, ENGINE_MAXFDS, &timeout);
		if (timeout > left)
			timeout = left;
		if ((n > 0 || timeout > 0) &&
		    poll(pfd, (nfds_t)n,
			timeout > 100 || timeout < 0 ? 100 : timeout) == -1 &&
		    errno != EINTR)
			log_warn("poll");
		if (collect(e, now) == -1)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = wait_ms -
		    (int)((t1.tv_sec - t0.tv_sec) * 1000 +
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
		engine_flight_free(&e->fly[ch]);
	}
	if (n > 0)
		log_warnx("%d send%s unanswered at the stop; requeued, to go "
			  "again with the same id",
		    n, n == 1 ? "" : "s");
	return 0;
}

double
engine_wake(struct engine *e)
{
	int64_t at[CH__N];
	double	best = INFINITY, t, w;
	int	ch;

	if (outbox_next_by_channel(e->ob, at) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		return INFINITY;
	}
	for (ch = 0; ch < CH__N; ch++) {
		if (at[ch] == TIMEX_NONE)
			continue;
		/* At its limit: its gateway's answers wake the loop. */
		if (e->limit[ch] > 0 && (int)e->fly[ch].n >= e->limit[ch])
			continue;
		t = (double)at[ch];
		if (t < e->pause[ch])
			t = e->pause[ch];
		if ((w = bucket_wait(&e->bucket[ch], e->fnow)) > 0 &&
		    t < e->fnow + w)
			t = e->fnow + w;
		if (t < best)
			best = t;
	}
	return best;
}

int64_t
engine_next(struct engine *e)
{
	double t = engine_wake(e);

	return isinf(t) ? TIMEX_NONE : (int64_t)ceil(t);
}
