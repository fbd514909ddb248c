/*
 * icalfx.h: what the iCalendar suites (check_ical_*.c) share: the seed
 * plan ($LOA_SRC/conf/loa.cfg) and the test configs loaded the way
 * world_load does (service_load, plan_load, plan_resolve, then plan_expand
 * for the jobs), and the checks of every object ical_request, ical_cancel,
 * ical_task, ical_task_event and ical_feed make of them, three ways:
 *
 *   - as bytes: every physical line ends in CRLF, holds at most 75 octets
 *     and is valid UTF-8 on its own, so no fold splits a UTF-8 sequence;
 *   - by libical: icalparser_parse_string gives 0 X-LIC-ERRORs, and an
 *     invitation or cancellation passes icalrestriction_check (iTIP);
 *   - field by field against conf/REFERENCE.md §7, on the unfolded text (so that the
 *     quoting of a parameter is seen as written) and through libical.
 *
 * The text checks use their own unfolding and UTF-8 validation, not
 * loa's, so that a bug in those cannot hide itself. icaldoc.c holds the
 * pool, the loading and the checks of a document; icalcheck.c the checks
 * of each kind of object against its plan.
 */
#ifndef LOA_ICALFX_H
#define LOA_ICALFX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <check.h>
#include <libical/ical.h>

#include "loa.h"
#include "util/diag.h"
#include "jobs/world.h"
#include "util/timex.h"
#include "testutil.h"

#define LOAD_NOW  "2025-11-01 00:00" /* `now` of plan_resolve */
#define STAMP_NOW "2025-11-28 09:00" /* DTSTAMP */
#define STAMP_UTC "20251128T020000Z"
#define PROP_SEED 0x6c6f612d6963616cULL /* "loa-ical" */

/*
 * Everything a test allocates goes into the pool, freed by the teardown
 * (ifx_teardown): a failed assertion leaves its test at once (CK_FORK=no).
 */
enum pool_kind {
	POOL_FREE,
	POOL_ICAL,
	POOL_LOADED,
};

/* A service config, its plans and their jobs, as main.c loads them. */
struct loaded {
	char	    *path;
	struct world w;
	struct diag  d;
	char	    *log;
	size_t	     loglen;
};

/* An iCalendar object: the text, unfolded into lines, and parsed. */
struct doc {
	const char    *what;	 /* for messages */
	const char    *raw;	 /* as ical.c made it */
	char	      *unfolded; /* NULs where the CRLFs were */
	char	     **line;	 /* unfolded content lines */
	const char   **comp;	 /* the component each line is in */
	size_t	       n;
	icalcomponent *cal; /* libical's parse */
};

/* An invitee's expected ATTENDEE, found by address. */
struct invitee {
	const struct contact *c;
	int		      optional;
};

/* The fixture's teardown: the pool emptied. */
void ifx_teardown(void);

/* The pool: keep p (freed by its kind), and strings made into it. */
void  *keep(enum pool_kind kind, void *p);
/* How many entries the pool holds: a mark to release back to. */
size_t pool_mark(void);
void   release_to(size_t mark);
char  *kstr(char *s);
char  *kprintf(const char *fmt, ...) LOA_PRINTF(1, 2);

/* "YYYYMMDDTHHMMSS" of instant t on the wall clock of zone z. */
char *local_stamp(const struct tz *z, int64_t t);

/*
 * Worlds: a service config loaded as world_load does (into the pool;
 * with may_fail, NULL when it does not validate), the seed plan, and a
 * plan's event and person, which must be there.
 */
void		      loaded_free(struct loaded *w);
struct loaded	     *loaded_try(const char *path, int may_fail);
char		     *data_path(const char *env, const char *rel);
struct loaded	     *seed_loaded(void);
struct event	     *event_get(struct plan *p, const char *id);
const struct contact *person_get(struct plan *p, const char *id);

/*
 * Text checks of our own: the physical lines of an object, its unfolding,
 * a content line's name, value and parameter.
 */
int	    utf8_ok(const char *s, size_t n);
void	    check_lines(const char *ics, const char *what, int whole);
void	    check_physical(const char *ics, const char *what);
char	   *unfold(const char *s);
int	    prop_is(const char *line, const char *name);
const char *prop_value(const char *line);
char	   *prop_param(const char *line, const char *key);
int	    non_ascii(const char *s);

/*
 * A document: an object unfolded and parsed (doc_open), its lines by
 * component and property, and the checks every object gets.
 */
struct doc *doc_open(char *ics, const char *what);
void	    doc_itip(const struct doc *d);
size_t	    doc_count(const struct doc *d, const char *comp, const char *prop);
const char *
doc_line(const struct doc *d, const char *comp, const char *prop, size_t nth);
const char *doc_one(const struct doc *d, const char *comp, const char *prop);
size_t	    doc_ncomp(const struct doc *d, const char *comp);
int	    doc_has(const struct doc *d, const char *s);
void	    check_vcalendar(const struct doc *d, const char *method);
void	    check_vtimezone(const struct doc *d);
void check_local_time(const struct doc *d, const char *line, const char *name,
    const char *stamp);
void check_dtstamp(const struct doc *d, const char *line, const char *stamp);
icalcomponent	   *
doc_by_uid(const struct doc *d, icalcomponent_kind k, const char *uid);
void check_uids_unique(const struct doc *d);
void check_cn(const struct doc *d, const char *line, icalproperty *prop,
    const char *name, int quote_all);
void check_cn_quoted(const struct doc *d, const char *line);
icalproperty *
prop_by_value(icalcomponent *c, icalproperty_kind k, const char *value);
icalcomponent *doc_vevent(const struct doc *d);

/*
 * The objects against their plan (icalcheck.c): each check_* of a kind
 * makes the object, checks it every way and returns its document.
 */
struct invitee *invitees(struct plan *p, const struct event *ev, size_t *n);
const struct contact *organizer_of(struct plan *p, const struct event *ev);
void check_attendees(const struct doc *d, const char *comp, icalcomponent *c,
    const struct invitee *v, size_t n, int rsvp, int quote_all);
void check_organizer(const struct doc *d, icalcomponent *ve,
    const struct contact *org);
void
check_organizer_not_invited(const struct doc *d, const struct contact *org);
void check_jobs_are_attendees(const struct doc *d, const struct loaded *w,
    const struct plan *p, const struct event *ev);
void check_vevent_common(const struct doc *d, struct plan *p,
    const struct event *ev, int seq, const char *status);
const char *event_status(const struct event *ev);
int itip_possible(const struct contact *org, const struct invitee *v, size_t n);
struct doc	     *check_request(const struct loaded *w, struct plan *p,
	      const struct event *ev, int seq, int quote_all);
struct doc	     *check_cancel(const struct loaded *w, struct plan *p,
	      const struct event *ev, int seq, int quote_all);
const struct contact *owner_contact(struct plan *p, const char *id);
void check_task_in(const struct doc *d, struct plan *p, const struct task *t);
struct doc *
check_task(const struct loaded *w, struct plan *p, const struct task *t);
struct doc *
check_task_event(const struct loaded *w, struct plan *p, const struct task *t);
struct doc *check_feed(const struct loaded *w, struct plan **plans,
    size_t nplans, int tasks_only);


/* A random number below n, from the state (which a test seeds). */
extern unsigned long long rng_state;
unsigned		  rng(unsigned n);

#endif
