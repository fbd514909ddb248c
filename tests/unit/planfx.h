/*
 * planfx.h: what the plan suites (check_plan*.c) share: a fixture under
 * $LOA_TESTDATA/plans/ loaded the way `loa timeline` does (service_load,
 * plan_load, plan_resolve at a fixed now, plan_expand, slots_place,
 * timeline_sort), with the diagnostics written to a memory stream so that
 * warnings can be asserted, and its jobs looked up by kind, object,
 * ordinal, recipient and channel.
 */
#ifndef LOA_PLANFX_H
#define LOA_PLANFX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loa.h"
#include "util/diag.h"
#include "testutil.h"

#define PLAN_NOW "2025-11-01 00:00" /* before every plan fixture's jobs */
#define ANY	 (-1)		    /* ordinal or channel: any */
#define E	 CHM(CH_EMAIL)
#define S	 CHM(CH_SMS)

/* A service config, its plans and their jobs, as `loa timeline` has them. */
struct world {
	struct service *svc;
	struct plan    *plans[4];
	size_t		nplans;
	struct jobs	jobs;
	struct diag	d;
	char	       *log; /* what went to d.out */
	size_t		loglen;
};

struct want_rcpt {
	const char *to;
	unsigned    channels;
};

struct want_time {
	enum job_kind kind;
	const char   *object;
	int	      ordinal;
	const char   *to;
	enum channel  ch;
	const char   *due;
};

/*
 * Load $LOA_TESTDATA/cfg into w at now (the broadcasts placed when place is
 * set): 0, or -1 with the reason in w->log. It does not assert, so that it
 * can run in a child process; pfx_clear frees what it loaded.
 */
int  pfx_load(struct world *w, const char *cfg, int64_t now, int place);
void pfx_clear(struct world *w);
/*
 * A world loaded at now, or at PLAN_NOW (no errors allowed), closed by
 * world_close or else by the fixture's teardown.
 */
struct world *world_open_at(const char *cfg, int64_t now);
struct world *world_open(const char *cfg);
void	      world_close(struct world *w);
void	      pfx_teardown(void);
/*
 * The jobs of kind k, object, ordinal, recipient to and channel ch (ANY:
 * any ordinal or channel): does j match, how many, the one (there must be
 * exactly one), and j's job in w (the same id).
 */
int	      job_is(const struct job *j, enum job_kind k, const char *object,
	      int ordinal, const char *to, int ch);
int job_count(const struct world *w, enum job_kind k, const char *object,
    int ordinal, const char *to, int ch);
const struct job *job_one(const struct world *w, enum job_kind k,
    const char *object, int ordinal, const char *to, int ch);
const struct job *job_same(const struct world *w, const struct job *j);
/* Times as RFC 3339 and local text, into buf. */
const char	 *rfc3339(const struct job *j, char *buf, size_t len);
/* The jobs go to exactly the recipients want, on these channels; the
 * jobs are due as want says. */
void		  check_recipients(const struct world *w, enum job_kind k,
		 const char *object, int ordinal, const struct want_rcpt *want, size_t n);
void check_times(const struct world *w, const struct want_time *want, size_t n);
const struct task *task_of(const struct plan *p, const char *id);
const char *local_str(const struct plan *p, int64_t t, char *buf, size_t len);

#endif
