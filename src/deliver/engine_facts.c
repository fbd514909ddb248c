/*
 * engine_facts.c: the iTIP and CAP facts the outbox keeps (events
 * announced, who they reached, the alerts of emergency items), written as
 * sends go out and read back by reconciliation (engine_facts.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/engine_facts.h"
#include "render/cap.h"
#include "util/mem.h"
#include "util/strmap.h"

char *
facts_event_fingerprint(const struct event *ev)
{
	assert(ev != NULL);
	return xasprintf("%lld|%lld|%s|%s|%s", (long long)ev->start.t,
	    (long long)ev->end.t, ev->location ? ev->location : "",
	    ev->title ? ev->title : "",
	    ev->status == EV_CANCELLED ? "cancelled" : "live");
}

void
fprint_clear(struct fprint *f)
{
	free(f->buf);
	f->buf = NULL;
}

int
fprint_parse(const char *s, struct fprint *f)
{
	char *p, *q, *last;

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

int
facts_announced(const struct named *n, const char *payload, struct event *ev,
    struct named *out, char **mem)
{
	const char   *nl;
	struct fprint f;

	*mem = NULL;
	if (n == NULL || n->kind != N_EVENT || payload == NULL ||
	    (nl = strchr(payload, '\n')) == NULL)
		return 0;
	if (fprint_parse(nl + 1, &f) == -1) {
		fprint_clear(&f);
		return 0;
	}
	*ev = *(const struct event *)n->p;
	ev->start.t = f.start;
	ev->end.t = f.end;
	ev->duration = f.end - f.start;
	ev->location = *f.loc != '\0' ? f.loc : NULL;
	ev->title = f.title;
	*out = *n;
	out->p = ev;
	*mem = f.buf;
	return 1;
}

int
facts_note_invited(struct engine *e, struct plan *p, const struct ob_job *j)
{
	const struct named *n = strmap_get(p->names, j->object);
	struct ob_event	    oe;
	int		    found, rc;
	char		   *fp;

	/* Only an invitation or an update announces the event. */
	assert(j->kind == JK_INVITATION || j->kind == JK_UPDATE);
	e->feed_dirty = 1; /* the feed shows the SEQUENCE sent */

	if (n == NULL || n->kind != N_EVENT)
		return 0;
	if (outbox_event_get(e->ob, p->id, j->object, &oe, &found) == -1)
		return -1;
	ob_event_clear(&oe);
	if (!found) {
		fp = facts_event_fingerprint(n->p);
		rc = outbox_event_put(e->ob, p->id, j->object, 0, fp, NULL,
		    ((struct event *)n->p)->organizer.id);
		free(fp);
		if (rc == -1)
			return -1;
	}
	return outbox_attendee_put(e->ob, p->id, j->object, j->recipient,
	    j->name, j->channel == CH_EMAIL ? j->address : NULL,
	    j->channel == CH_SMS ? j->address : NULL);
}

/*
 * What an emergency item says, for its CAP alerts: a hash of its title
 * and text (and of its cap = { } fields, once plans have them). An item
 * that no longer airs as an emergency (removed from its plan, cancelled,
 * or made normal) says "cancelled".
 */
char *
facts_alert_fingerprint(const struct broadcast *b)
{
	unsigned long long h = HASH_INIT;

	if (b == NULL)
		return xstrdup("cancelled");
	h = hash_bytes(h, b->title ? b->title : "",
	    strlen(b->title ? b->title : "") + 1);
	h = hash_bytes(h, b->text ? b->text : "",
	    strlen(b->text ? b->text : "") + 1);
	if (b->cap != NULL) {
		const char *const f[] = { b->cap->category, b->cap->event,
			b->cap->urgency, b->cap->severity, b->cap->certainty,
			b->cap->instruction };
		size_t		  i;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			h = hash_bytes(h, f[i] ? f[i] : "",
			    strlen(f[i] ? f[i] : "") + 1);
	}
	return xasprintf("%016llx", h);
}

/* Whether refs (space-separated) holds ref. */
static int
refs_have(const char *refs, const char *ref)
{
	size_t	    n = strlen(ref);
	const char *s;

	for (s = refs; (s = strstr(s, ref)) != NULL; s++)
		if ((s == refs || s[-1] == ' ') &&
		    (s[n] == ' ' || s[n] == '\0'))
			return 1;
	return 0;
}

int
facts_note_alert(struct engine *e, struct plan *p, const struct ob_job *j)
{
	const struct named *n;
	struct ob_alert	    a;
	char		   *ref, *fp, *refs;
	int		    found, rc = 0;

	/* Only a broadcast's alert is noted. */
	assert(j->kind == JK_BROADCAST && j->channel == CH_BROADCAST);
	if (outbox_alert_get(e->ob, p->id, j->object, &a, &found) == -1)
		return -1;
	ref = cap_reference(e->w->svc, p, j->id, j->first_at);
	if (!found) {
		/* The first alert of the item: what it said. */
		n = strmap_get(p->names, j->object);
		if (n != NULL && n->kind == N_BROADCAST) {
			fp = facts_alert_fingerprint(n->p);
			rc = outbox_alert_put(e->ob, p->id, j->object, 0, fp,
			    ref);
			free(fp);
		}
	} else if (!refs_have(a.refs, ref)) {
		refs = xasprintf("%s %s", a.refs, ref);
		rc = outbox_alert_put(e->ob, p->id, j->object, a.seq,
		    a.fingerprint, refs);
		free(refs);
	}
	free(ref);
	ob_alert_clear(&a);
	return rc;
}
