/*
 * compose.c: templates rendered against a plan's object (see compose.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/compose.h"
#include "util/sms.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/strmap.h"

/* The context of a message about n (NULL: the plan) to `to` at `at`. */
static void
compose_ctx(struct tmpl_ctx *c, const struct plan *p, const struct named *n,
    const struct contact *to, int64_t at, const char *changes)
{
	assert(n == NULL || n->kind == N_EVENT || n->kind == N_TASK ||
	    n->kind == N_BROADCAST);
	memset(c, 0, sizeof(*c));
	c->plan = p;
	c->person = to;
	c->at = at;
	c->changes = changes;
	if (n != NULL && n->kind == N_EVENT)
		c->event = n->p;
	if (n != NULL && n->kind == N_TASK) {
		const struct named *o;

		c->task = n->p;
		if (c->task->owner.n > 0 &&
		    (o = strmap_get(p->names, c->task->owner.v[0].id)) !=
			NULL &&
		    o->kind == N_AGENCY)
			c->agency = o->p;
	}
	if (n != NULL && n->kind == N_BROADCAST)
		c->broadcast = n->p;
	if (to != NULL && to->mailbox)
		c->agency = to->agency;
}

enum tmpl_name
compose_sms_tmpl(enum job_kind k, const struct named *n)
{
	if (k == JK_BROADCAST && n != NULL && n->kind == N_BROADCAST &&
	    ((const struct broadcast *)n->p)->priority == PRIO_EMERGENCY)
		return T_EMERGENCY_SMS;
	return tmpl_sms_of(k);
}

char *
compose_string(const struct plan *p, const char *tmpl, const struct named *n,
    const struct contact *to, int64_t at)
{
	struct tmpl_ctx c;
	struct buf	b = { 0 };

	compose_ctx(&c, p, n, to, at, NULL);
	tmpl_render(tmpl, &c, &b);
	return b.s != NULL ? buf_take(&b) : xstrdup("");
}

char *
compose_text(const struct plan *p, const struct service *svc,
    enum tmpl_name which, const struct named *n, const struct contact *to,
    int64_t at, const char *changes)
{
	struct tmpl_ctx c;
	struct buf	b = { 0 };

	assert(which < T__N);
	compose_ctx(&c, p, n, to, at, changes);
	tmpl_render(svc->templates->text[which], &c, &b);
	return buf_take(&b);
}

char *
compose_sms(const struct plan *p, const struct service *svc, enum job_kind k,
    const struct named *n, const struct contact *to, int64_t at,
    const char *changes)
{
	const struct gateway *gw = svc->channel_gw[CH_SMS];
	char		     *text, *folded;

	text = compose_text(p, svc, compose_sms_tmpl(k, n), n, to, at, changes);
	if (gw != NULL && gw->fold && (folded = text_fold(text)) != NULL) {
		free(text);
		return folded;
	}
	return text;
}

void
compose_sms_fit(char **text, const struct service *svc, struct sms_info *si,
    char *note, size_t notelen)
{
	const struct gateway *gw = svc->channel_gw[CH_SMS];
	int		      max = gw != NULL ? gw->max_parts : svc->max_parts;
	struct sms_info	      was;
	char		     *cut;

	note[0] = '\0';
	if ((cut = sms_fit(*text, max, si)) == NULL)
		return;
	sms_analyse(*text, &was);
	snprintf(note, notelen, "cut to %d part%s (was %d)", si->parts,
	    si->parts == 1 ? "" : "s", was.parts);
	free(*text);
	*text = cut;
}
