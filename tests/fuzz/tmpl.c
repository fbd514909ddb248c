/*
 * tmpl.c: fuzz the templates (render/tmpl.c): the input is a template,
 * validated as tmpl_install does; one that passes is rendered against
 * the seed plan of conf/ (an event, a task, a person, an agency and a
 * broadcast), as every message is. What it renders is valid UTF-8 when
 * the template is.
 */
#include <stdlib.h>
#include <string.h>

#include "jobs/world.h"
#include "render/tmpl.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/text.h"
#include "util/timex.h"
#include "fuzz.h"

static struct world    w;
static struct tmpl_ctx ctx[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct diag  d = { stderr, 0, 0 };
	struct plan *p;
	int64_t	     now;

	if (timex_parse_instant(tz_get("Asia/Ho_Chi_Minh"), "2025-12-01 00:00",
		&now) != 0 ||
	    world_load(&w, fz_seed_config(), now, &d) != 0 || w.nplans == 0)
		abort();
	p = w.plans[0];
	if (p->nevents == 0 || p->ntasks == 0 || p->npeople == 0 ||
	    p->nagencies == 0 || p->nbroadcasts == 0)
		abort();
	ctx[0] = (struct tmpl_ctx){ .plan = p,
		.event = &p->events[0],
		.task = &p->tasks[0],
		.person = p->contacts[0],
		.agency = &p->agencies[0],
		.broadcast = &p->broadcasts[0],
		.at = now,
		.changes = "giờ họp" };
	/* Nothing but the plan: the placeholders of the others are empty. */
	ctx[1] = (struct tmpl_ctx){ .plan = p, .at = now };
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	  *s = fz_str(data, size), err[256];
	struct buf out = { 0 };
	int	   i;

	err[0] = '\0';
	if (tmpl_validate(s, err, sizeof(err)) != 0) {
		FZ_CHECK(err[0] != '\0');
		free(s);
		return 0;
	}
	(void)tmpl_blank(s);
	for (i = 0; i < 2; i++) {
		tmpl_render(s, &ctx[i], &out);
		if (text_utf8_check(s, strlen(s)) == -1 && out.len > 0)
			FZ_CHECK(text_utf8_check(out.s, out.len) == -1);
		buf_free(&out);
	}
	free(s);
	return 0;
}
