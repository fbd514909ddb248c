/*
 * message.c: rendering a template against a plan for one job (message.h):
 * what the template's placeholders are filled from, and the folding of an
 * SMS its gateway asks for.
 */
#include <stdlib.h>

#include "render/message.h"
#include "render/tmpl.h"
#include "util/text.h"
#include "util/xmalloc.h"

static const struct gateway *
sms_gateway(const struct service *svc)
{
	return svc->channel_gw[CH_SMS];
}

char *
plan_render(const struct plan *p, const struct service *svc, int which,
    const char *object, const struct contact *to, int64_t at,
    const char *changes)
{
	struct tmpl_ctx		 c = { 0 };
	const struct named	*n = strmap_get(p->names, object);
	struct buf		 b = { 0 };

	c.plan = p;
	c.person = to;
	c.at = at;
	c.changes = changes;
	if (n != NULL && n->kind == N_EVENT)
		c.event = n->p;
	if (n != NULL && n->kind == N_TASK) {
		const struct named	*o;

		c.task = n->p;
		if (c.task->owner.n > 0 && (o = strmap_get(p->names,
		    c.task->owner.v[0].id)) != NULL && o->kind == N_AGENCY)
			c.agency = o->p;
	}
	if (to != NULL && to->mailbox)
		c.agency = to->agency;
	tmpl_render(svc->templates->text[which], &c, &b);
	return buf_take(&b);
}

char *
plan_sms_text(const struct plan *p, const struct service *svc,
    enum job_kind kind, const char *object, const struct contact *to,
    int64_t at, const char *changes)
{
	const struct gateway	*gw = sms_gateway(svc);
	char			*text, *folded;

	text = plan_render(p, svc, tmpl_sms_of(kind), object, to, at, changes);
	if (gw != NULL && gw->fold && (folded = text_fold(text)) != NULL) {
		free(text);
		return folded;
	}
	return text;
}
