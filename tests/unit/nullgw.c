/*
 * nullgw.c: the unit suites' scripted gateway (see nullgw.h).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "nullgw.h"

struct nullgw nullgw[CH__N];

/* The gateway nullgw_install is making, for init to bind. */
static struct nullgw *installing;

static void
answer(struct nullgw *n, const char *id, const struct nullgw_answer *s,
    struct gw_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->id = id;
	a->result = s->result;
	a->retry_after = s->retry_after;
	if (n->say != NULL) {
		/* Any bytes at all, as a peer may send them. */
		snprintf(a->text, sizeof(a->text), "%s", n->say);
		++n->answers;
		return;
	}
	snprintf(a->text, sizeof(a->text), "%s (answer %d)",
	    s->result == GW_OK		 ? "250 2.0.0 queued" :
		s->result == GW_TEMPFAIL ? "451 4.3.0 try again later" :
					   "550 5.1.1 no such mailbox",
	    ++n->answers);
}

static int
nullgw_init(struct gw *g, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	ck_assert_ptr_nonnull(installing);
	g->priv = installing;
	installing = NULL;
	return 0;
}

static enum gw_result
nullgw_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	struct nullgw		   *n = g->priv;
	const struct nullgw_answer *s = NULL;

	if (n->nscript > 0)
		s = &n->script[n->submits < n->nscript ? n->submits :
							 n->nscript - 1];
	n->submits++;
	snprintf(n->last_id, sizeof(n->last_id), "%s", m->id);
	if (s != NULL && s->result != GW_INFLIGHT) {
		answer(n, m->id, s, a);
		return a->result;
	}
	ck_assert_int_lt(n->nheld, NULLGW_MAX);
	snprintf(n->held[n->nheld++], sizeof(n->held[0]), "%s", m->id);
	if (n->nheld > n->most)
		n->most = n->nheld;
	a->result = GW_INFLIGHT;
	return GW_INFLIGHT;
}

static int
nullgw_pollfds(struct gw *g, struct pollfd *p, int max, int *timeout)
{
	struct nullgw *n = g->priv;

	(void)p;
	(void)max;
	*timeout = n->release > 0 && n->nheld > 0 ? 0 : -1;
	return 0;
}

static void
nullgw_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	      *arg)
{
	struct nullgw	*n = g->priv;
	struct gw_answer a;

	while (n->release > 0 && n->nheld > 0) {
		answer(n, n->held[0], &n->later, &a);
		done(arg, &a);
		memmove(n->held[0], n->held[1],
		    (size_t)(n->nheld - 1) * sizeof(n->held[0]));
		n->nheld--;
		n->release--;
	}
}

static int
nullgw_flush(struct gw *g, char *err, size_t errlen)
{
	(void)g;
	(void)err;
	(void)errlen;
	return 0;
}

static void
nullgw_shutdown(struct gw *g)
{
	g->priv = NULL;
}

static const struct gw_backend nullgw_backend = {
	"null",
	nullgw_init,
	nullgw_submit,
	nullgw_pollfds,
	nullgw_poll,
	nullgw_flush,
	nullgw_shutdown,
};

void
nullgw_install(struct engine *e, enum channel ch, int concurrency)
{
	char err[256];

	memset(&nullgw[ch], 0, sizeof(nullgw[ch]));
	installing = &nullgw[ch];
	ck_assert_msg(engine_set_gateway(e, ch, &nullgw_backend, concurrency,
			  err, sizeof(err)) == 0,
	    "%s", err);
}

void
nullgw_script(enum channel ch, int n, const struct nullgw_answer *v)
{
	ck_assert_int_le(n, NULLGW_MAX);
	memcpy(nullgw[ch].script, v, (size_t)n * sizeof(*v));
	nullgw[ch].nscript = n;
}

void
nullgw_release(enum channel ch, int n, enum gw_result result,
    int64_t retry_after)
{
	nullgw[ch].release = n;
	nullgw[ch].later.result = result;
	nullgw[ch].later.retry_after = retry_after;
}
