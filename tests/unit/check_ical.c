/*
 * check_ical.c: unit tests of ical.c, the iCalendar loa sends and serves
 * (SPEC §7, research/imip.md).
 *
 * The seed plan ($LOA_SRC/conf/loa.cfg) and every test config under
 * $LOA_TESTDATA that validates are loaded the way main.c's world_load does
 * (service_load, plan_load, plan_resolve, then plan_expand for the jobs;
 * world.c's world_load since), and every object ical_request, ical_cancel,
 * ical_task, ical_task_event and ical_feed make of them is checked three
 * ways:
 *
 *   - as bytes: every physical line ends in CRLF, holds at most 75 octets
 *     and is valid UTF-8 on its own, so no fold splits a UTF-8 sequence;
 *   - by libical: icalparser_parse_string gives 0 X-LIC-ERRORs, and an
 *     invitation or cancellation passes icalrestriction_check (iTIP);
 *   - field by field against SPEC §7, on the unfolded text (so that the
 *     quoting of a parameter is seen as written) and through libical.
 *
 * ical_fold_line, ical_unfold and ical_finish are tested directly, and a
 * property test puts 1,000 random Vietnamese titles and descriptions (NFC
 * and NFD) through a real ical_request.
 *
 * The text checks here use their own unfolding and UTF-8 validation, not
 * loa's, so that a bug in those cannot hide itself.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <libical/ical.h>
#include <utf8proc.h>

#include "util/diag.h"
#include "render/ical.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "util/text.h"
#include "jobs/world.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/strmap.h"
#include "testutil.h"

/* A local time of the tests' zone. */
#define LOCAL_TIME(s) tu_time(ZONE, (s))

#define ZONE	    "Asia/Ho_Chi_Minh"
#define LOAD_NOW    "2025-11-01 00:00" /* `now` of plan_resolve */
#define STAMP_NOW   "2025-11-28 09:00" /* DTSTAMP */
#define STAMP_UTC   "20251128T020000Z"
#define NELEM(a)    (sizeof(a) / sizeof((a)[0]))
#define PROP_SEED   0x6c6f612d6963616cULL /* "loa-ical" */
#define PROP_RUNS   1000
#define PROP_MAXLEN 2000

/*
 * Everything a test allocates goes into the pool, freed by the teardown:
 * a failed assertion leaves its test at once (CK_FORK=no).
 */
enum pool_kind {
	POOL_FREE,
	POOL_ICAL,
	POOL_LOADED,
};

struct pool_item {
	enum pool_kind kind;
	void	      *p;
};

static struct pool_item *pool;
static size_t		 npool, cappool;

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

static void loaded_free(struct loaded *);

static void *
keep(enum pool_kind kind, void *p)
{
	if (npool == cappool) {
		cappool = cappool ? cappool * 2 : 64;
		pool = realloc(pool, cappool * sizeof(*pool));
		ck_assert_ptr_nonnull(pool);
	}
	pool[npool].kind = kind;
	pool[npool].p = p;
	npool++;
	return p;
}

/* Free the pool back to mark entries. */
static void
release_to(size_t mark)
{
	while (npool > mark) {
		struct pool_item *it = &pool[--npool];

		switch (it->kind) {
		case POOL_FREE:
			free(it->p);
			break;
		case POOL_ICAL:
			icalcomponent_free(it->p);
			break;
		case POOL_LOADED:
			loaded_free(it->p);
			break;
		}
	}
}

static void
teardown(void)
{
	release_to(0);
	free(pool);
	pool = NULL;
	cappool = 0;
}

static char *
kstr(char *s)
{
	ck_assert_ptr_nonnull(s);
	return keep(POOL_FREE, s);
}

static char *kprintf(const char *fmt, ...) LOA_PRINTF(1, 2);

static char *
kprintf(const char *fmt, ...)
{
	va_list ap;
	char   *s;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return kstr(s);
}

/* "YYYYMMDDTHHMMSS" of instant t on the wall clock of zone z. */
static char *
local_stamp(const struct tz *z, int64_t t)
{
	int64_t local = tz_to_local(z, t), days = civil_day_of(local);
	int64_t rem = local - days * 86400;
	int	y, m, d;

	civil_from_days(days, &y, &m, &d);
	return kprintf("%04d%02d%02dT%02d%02d%02d", y, m, d, (int)(rem / 3600),
	    (int)(rem % 3600 / 60), (int)(rem % 60));
}

/* Worlds. */

static void
loaded_free(struct loaded *w)
{
	world_free(&w->w);
	if (w->d.out != NULL)
		fclose(w->d.out);
	free(w->log);
	free(w->path);
	free(w);
}

/*
 * Load the service config at path as main.c's world_load does. Returns it,
 * or with may_fail NULL when the config does not validate (what
 * `loa check` rejects); otherwise an error fails the test.
 */
static struct loaded *
loaded_try(const char *path, int may_fail)
{
	struct loaded *w;
	int	       rc;

	w = calloc(1, sizeof(*w));
	ck_assert_ptr_nonnull(w);
	keep(POOL_LOADED, w);
	w->path = strdup(path);
	w->d.out = open_memstream(&w->log, &w->loglen);
	ck_assert_ptr_nonnull(w->d.out);
	rc = world_load(&w->w, path, LOCAL_TIME(LOAD_NOW), &w->d);
	fflush(w->d.out);
	if (rc == -1) {
		ck_assert_msg(may_fail, "%s: %s", path, w->log);
		return NULL;
	}
	return w;
}

/* $env/rel, which must exist. */
static char *
data_path(const char *env, const char *rel)
{
	const char *dir = getenv(env);

	ck_assert_msg(dir != NULL, "%s is not set", env);
	return kprintf("%s/%s", dir, rel);
}

static struct loaded *
seed_loaded(void)
{
	return loaded_try(data_path("LOA_SRC", "conf/loa.cfg"), 0);
}

static struct event *
event_get(struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nevents; i++)
		if (strcmp(p->events[i].id, id) == 0)
			return &p->events[i];
	ck_abort_msg("no event %s in plan %s", id, p->id);
	return NULL;
}

static const struct contact *
person_get(struct plan *p, const char *id)
{
	const struct named *n = strmap_get(p->names, id);

	ck_assert_msg(n != NULL && n->kind == N_PERSON, "no person %s", id);
	return n->p;
}

/* Text checks of our own. */

/* 1 when the n bytes at s are valid UTF-8. */
static int
utf8_ok(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	cp;
	utf8proc_ssize_t	k;
	size_t			i = 0;

	while (i < n) {
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0 || cp < 0)
			return 0;
		i += (size_t)k;
	}
	return 1;
}

/*
 * The folding rules of SPEC §7 on text ics: every physical line ends in
 * CRLF and has no other CR or LF, holds at most 75 octets and is valid
 * UTF-8 by itself (so a continuation line never starts with a 10xxxxxx
 * byte and no line ends inside a sequence). For a whole object (whole),
 * also: no empty line, and the first line is not a continuation line.
 */
static void
check_lines(const char *ics, const char *what, int whole)
{
	const char *p = ics, *e;
	int	    lineno = 1;

	ck_assert_msg(*p != '\0', "%s: empty", what);
	while (*p != '\0') {
		size_t len;

		e = strstr(p, "\r\n");
		ck_assert_msg(e != NULL, "%s: line %d does not end in CRLF",
		    what, lineno);
		len = (size_t)(e - p);
		ck_assert_msg(memchr(p, '\n', len) == NULL &&
			memchr(p, '\r', len) == NULL,
		    "%s: line %d holds a bare CR or LF", what, lineno);
		ck_assert_msg(len >= 1 || !whole, "%s: line %d is empty", what,
		    lineno);
		ck_assert_msg(len <= 75,
		    "%s: line %d has %zu octets (> 75): "
		    "%.*s",
		    what, lineno, len, (int)len, p);
		if (lineno > 1 || whole)
			ck_assert_msg(((unsigned char)p[0] & 0xc0) != 0x80,
			    "%s: line %d starts inside a UTF-8 sequence", what,
			    lineno);
		if (p[0] == ' ' || p[0] == '\t') {
			ck_assert_msg(lineno > 1 || !whole,
			    "%s: starts with "
			    "a continuation line",
			    what);
			ck_assert_msg(len < 2 ||
				((unsigned char)p[1] & 0xc0) != 0x80,
			    "%s: continuation line %d starts with a 10xxxxxx "
			    "byte",
			    what, lineno);
		}
		ck_assert_msg(utf8_ok(p, len),
		    "%s: line %d splits a UTF-8 "
		    "sequence or is not UTF-8: %.*s",
		    what, lineno, (int)len, p);
		p = e + 2;
		lineno++;
	}
}

static void
check_physical(const char *ics, const char *what)
{
	check_lines(ics, what, 1);
}

/* RFC 5545 §3.1 unfolding: drop every CRLF followed by a space or tab. */
static char *
unfold(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	while (*s != '\0') {
		if (s[0] == '\r' && s[1] == '\n' &&
		    (s[2] == ' ' || s[2] == '\t')) {
			s += 3;
			continue;
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* Content lines. */

/* 1 when line is property name (case-insensitive). */
static int
prop_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 &&
	    (line[n] == ';' || line[n] == ':');
}

/* The value of a content line: after the first ':' outside quotes. */
static const char *
prop_value(const char *line)
{
	int inq = 0;

	for (; *line != '\0'; line++) {
		if (*line == '"')
			inq = !inq;
		else if (*line == ':' && !inq)
			return line + 1;
	}
	ck_abort_msg("content line without a value");
	return NULL;
}

/*
 * The value of parameter key of a content line as written (quotes kept),
 * or NULL.
 */
static char *
prop_param(const char *line, const char *key)
{
	const char *p = line, *end = prop_value(line) - 1;
	size_t	    klen = strlen(key);

	while (p < end && *p != ';')
		p++;
	while (p < end && *p == ';') {
		const char *v, *ve;
		int	    inq = 0;

		p++;
		v = memchr(p, '=', (size_t)(end - p));
		ck_assert_msg(v != NULL, "parameter without '=': %s", line);
		v++;
		for (ve = v; ve < end; ve++) {
			if (*ve == '"')
				inq = !inq;
			else if (!inq && *ve == ';')
				break;
		}
		if ((size_t)(v - 1 - p) == klen &&
		    strncasecmp(p, key, klen) == 0)
			return kstr(strndup(v, (size_t)(ve - v)));
		p = ve;
	}
	return NULL;
}

/* 1 when s holds a byte >= 0x80. */
static int
non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/*
 * Check, unfold and parse an iCalendar object that must hold no errors.
 * The doc and ics go into the pool.
 */
static struct doc *
doc_open(char *ics, const char *what)
{
	struct doc *d;
	const char *stack[16];
	size_t	    depth = 0, cap = 0;
	char	   *s, *e, *mine;

	ck_assert_msg(ics != NULL, "%s: NULL", what);
	kstr(ics);
	check_physical(ics, what);

	d = keep(POOL_FREE, calloc(1, sizeof(*d)));
	ck_assert_ptr_nonnull(d);
	d->what = what;
	d->raw = ics;
	d->unfolded = kstr(unfold(ics));

	/* loa's unfolding agrees with RFC 5545's. */
	mine = ical_unfold(ics);
	ck_assert_str_eq(mine, d->unfolded);
	free(mine);

	for (s = d->unfolded; *s != '\0'; s = e + 2) {
		e = strstr(s, "\r\n");
		ck_assert_ptr_nonnull(e);
		*e = '\0';
		if (d->n == cap) {
			cap = cap ? cap * 2 : 64;
			d->line = realloc(d->line, cap * sizeof(*d->line));
			d->comp = realloc(d->comp, cap * sizeof(*d->comp));
			ck_assert_ptr_nonnull(d->line);
			ck_assert_ptr_nonnull(d->comp);
		}
		d->line[d->n] = s;
		d->comp[d->n] = depth ? stack[depth - 1] : "";
		d->n++;
		if (strncmp(s, "BEGIN:", 6) == 0) {
			ck_assert_uint_lt(depth, NELEM(stack));
			stack[depth++] = s + 6;
		} else if (strncmp(s, "END:", 4) == 0) {
			ck_assert_msg(depth > 0 &&
				strcmp(stack[depth - 1], s + 4) == 0,
			    "%s: %s does not close BEGIN:%s", what, s,
			    depth ? stack[depth - 1] : "");
			depth--;
		}
	}
	keep(POOL_FREE, d->line);
	keep(POOL_FREE, d->comp);
	ck_assert_msg(depth == 0, "%s: unclosed BEGIN:%s", what,
	    stack[depth - 1]);
	ck_assert_msg(d->n >= 2 && strcmp(d->line[0], "BEGIN:VCALENDAR") == 0 &&
		strcmp(d->line[d->n - 1], "END:VCALENDAR") == 0,
	    "%s: not one VCALENDAR", what);

	d->cal = icalparser_parse_string(ics);
	ck_assert_msg(d->cal != NULL, "%s: libical cannot parse it", what);
	keep(POOL_ICAL, d->cal);
	ck_assert_msg(icalcomponent_isa(d->cal) == ICAL_VCALENDAR_COMPONENT,
	    "%s: libical did not find a VCALENDAR", what);
	ck_assert_msg(icalcomponent_count_errors(d->cal) == 0,
	    "%s: libical reports %d errors:\n%s", what,
	    icalcomponent_count_errors(d->cal),
	    icalcomponent_as_ical_string(d->cal));
	return d;
}

/* An invitation or cancellation must also pass libical's iTIP rules. */
static void
doc_itip(const struct doc *d)
{
	icalcomponent *c = icalcomponent_new_clone(d->cal);
	int	       ok;

	keep(POOL_ICAL, c);
	ok = icalrestriction_check(c);
	ck_assert_msg(ok == 1 && icalcomponent_count_errors(c) == 0,
	    "%s: fails libical's iTIP restrictions:\n%s", d->what,
	    icalcomponent_as_ical_string(c));
}

/* Lines of component comp ("" for none, NULL for any) that are prop. */
static size_t
doc_count(const struct doc *d, const char *comp, const char *prop)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if ((comp == NULL || strcmp(d->comp[i], comp) == 0) &&
		    prop_is(d->line[i], prop))
			n++;
	return n;
}

/* The nth line of comp that is prop, or NULL. */
static const char *
doc_line(const struct doc *d, const char *comp, const char *prop, size_t nth)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if ((comp == NULL || strcmp(d->comp[i], comp) == 0) &&
		    prop_is(d->line[i], prop) && nth-- == 0)
			return d->line[i];
	return NULL;
}

/* The one line of comp that is prop; fails unless there is exactly one. */
static const char *
doc_one(const struct doc *d, const char *comp, const char *prop)
{
	size_t n = doc_count(d, comp, prop);

	ck_assert_msg(n == 1, "%s: %zu %s in %s; expected one", d->what, n,
	    prop, comp ? comp : "any component");
	return doc_line(d, comp, prop, 0);
}

/* How many BEGIN:comp lines. */
static size_t
doc_ncomp(const struct doc *d, const char *comp)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if (strncmp(d->line[i], "BEGIN:", 6) == 0 &&
		    strcmp(d->line[i] + 6, comp) == 0)
			n++;
	return n;
}

/* 1 when some unfolded line contains s. */
static int
doc_has(const struct doc *d, const char *s)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->line[i], s) != NULL)
			return 1;
	return 0;
}

/* The calendar-level checks every object shares. */
static void
check_vcalendar(const struct doc *d, const char *method)
{
	const char *l;

	l = doc_one(d, "VCALENDAR", "METHOD");
	ck_assert_msg(strcmp(prop_value(l), method) == 0,
	    "%s: %s; expected "
	    "METHOD:%s",
	    d->what, l, method);
	ck_assert_int_eq(icalcomponent_get_method(d->cal),
	    icalenum_string_to_method(method));
	l = doc_one(d, "VCALENDAR", "PRODID");
	ck_assert_msg(strlen(prop_value(l)) > 0, "%s: empty PRODID", d->what);
	ck_assert_str_eq(doc_one(d, "VCALENDAR", "VERSION"), "VERSION:2.0");
	ck_assert_uint_eq(doc_ncomp(d, "VCALENDAR"), 1);
	ck_assert_msg(doc_count(d, NULL, "METHOD") == 1,
	    "%s: METHOD inside "
	    "a component",
	    d->what);
}

/*
 * The VTIMEZONE of Vietnam: TZID without a vendor prefix, one STANDARD,
 * +0700 both ways, no RRULE and no DAYLIGHT.
 */
static void
check_vtimezone(const struct doc *d)
{
	icalcomponent *vtz, *std;

	ck_assert_msg(doc_ncomp(d, "VTIMEZONE") == 1, "%s: %zu VTIMEZONEs",
	    d->what, doc_ncomp(d, "VTIMEZONE"));
	ck_assert_str_eq(doc_one(d, "VTIMEZONE", "TZID"), "TZID:" ZONE);
	ck_assert_msg(!doc_has(d, "/" ZONE) && !doc_has(d, "freeassociation"),
	    "%s: TZID with a vendor prefix", d->what);
	ck_assert_uint_eq(doc_ncomp(d, "STANDARD"), 1);
	ck_assert_uint_eq(doc_ncomp(d, "DAYLIGHT"), 0);
	ck_assert_str_eq(doc_one(d, "STANDARD", "TZOFFSETFROM"),
	    "TZOFFSETFROM:+0700");
	ck_assert_str_eq(doc_one(d, "STANDARD", "TZOFFSETTO"),
	    "TZOFFSETTO:+0700");
	ck_assert_uint_eq(doc_count(d, "STANDARD", "DTSTART"), 1);
	ck_assert_uint_eq(doc_count(d, "STANDARD", "RRULE"), 0);
	ck_assert_uint_eq(doc_count(d, "VTIMEZONE", "RRULE"), 0);
	ck_assert_uint_eq(doc_count(d, "DAYLIGHT", "RRULE"), 0);

	/* And as libical reads it. */
	vtz = icalcomponent_get_first_component(d->cal,
	    ICAL_VTIMEZONE_COMPONENT);
	ck_assert_ptr_nonnull(vtz);
	std = icalcomponent_get_first_component(vtz, ICAL_XSTANDARD_COMPONENT);
	ck_assert_ptr_nonnull(std);
	ck_assert_int_eq(icalproperty_get_tzoffsetfrom(
			     icalcomponent_get_first_property(std,
				 ICAL_TZOFFSETFROM_PROPERTY)),
	    7 * 3600);
	ck_assert_int_eq(icalproperty_get_tzoffsetto(
			     icalcomponent_get_first_property(std,
				 ICAL_TZOFFSETTO_PROPERTY)),
	    7 * 3600);
	ck_assert_ptr_null(
	    icalcomponent_get_first_property(std, ICAL_RRULE_PROPERTY));
	ck_assert_ptr_null(
	    icalcomponent_get_next_component(vtz, ICAL_XSTANDARD_COMPONENT));
	ck_assert_ptr_null(
	    icalcomponent_get_first_component(vtz, ICAL_XDAYLIGHT_COMPONENT));
}

/* A date-time property line "NAME;TZID=zone:stamp", stamp local to zone. */
static void
check_local_time(const struct doc *d, const char *line, const char *name,
    const char *stamp)
{
	char *want = kprintf("%s;TZID=%s:%s", name, ZONE, stamp);

	ck_assert_msg(line != NULL, "%s: no %s", d->what, name);
	ck_assert_msg(strcmp(line, want) == 0, "%s: %s; expected %s", d->what,
	    line, want);
}

/* DTSTAMP: UTC, ending in Z, equal to stamp. */
static void
check_dtstamp(const struct doc *d, const char *line, const char *stamp)
{
	const char *v;

	ck_assert_msg(line != NULL, "%s: no DTSTAMP", d->what);
	v = prop_value(line);
	ck_assert_msg(strchr(line, ';') == NULL || strchr(line, ';') > v,
	    "%s: DTSTAMP with parameters: %s", d->what, line);
	ck_assert_msg(strlen(v) == 16 && v[15] == 'Z', "%s: %s is not UTC",
	    d->what, line);
	ck_assert_str_eq(v, stamp);
}

/* The component of kind k whose UID is uid, or NULL. */
static icalcomponent *
doc_by_uid(const struct doc *d, icalcomponent_kind k, const char *uid)
{
	icalcomponent *c;

	for (c = icalcomponent_get_first_component(d->cal, k); c != NULL;
	     c = icalcomponent_get_next_component(d->cal, k))
		if (strcmp(icalcomponent_get_uid(c), uid) == 0)
			return c;
	return NULL;
}

/* The UIDs of every VEVENT and VTODO are distinct. */
static void
check_uids_unique(const struct doc *d)
{
	size_t i, j;

	for (i = 0; i < d->n; i++) {
		if (!prop_is(d->line[i], "UID"))
			continue;
		ck_assert_msg(!non_ascii(d->line[i]) &&
			strchr(d->line[i], ' ') == NULL,
		    "%s: odd %s", d->what, d->line[i]);
		for (j = i + 1; j < d->n; j++)
			ck_assert_msg(!prop_is(d->line[j], "UID") ||
				strcmp(d->line[i], d->line[j]) != 0,
			    "%s: %s twice", d->what, d->line[i]);
	}
}

/*
 * The CN parameter of a property line: present, double-quoted when it is
 * not ASCII (quote_all: always), equal to name unquoted, and read back by
 * libical as name.
 */
static void
check_cn(const struct doc *d, const char *line, icalproperty *prop,
    const char *name, int quote_all)
{
	char	      *cn = prop_param(line, "CN");
	size_t	       n;
	icalparameter *par;

	ck_assert_msg(cn != NULL, "%s: no CN in %s", d->what, line);
	n = strlen(cn);
	if (quote_all || non_ascii(cn))
		ck_assert_msg(n >= 2 && cn[0] == '"' && cn[n - 1] == '"',
		    "%s: CN not double-quoted: %s", d->what, line);
	if (cn[0] == '"') {
		ck_assert_msg(n >= 2 && cn[n - 1] == '"' &&
			memchr(cn + 1, '"', n - 2) == NULL,
		    "%s: stray quote in CN: %s", d->what, line);
		ck_assert_msg(strlen(name) == n - 2 &&
			strncmp(cn + 1, name, n - 2) == 0,
		    "%s: CN %s; expected \"%s\"", d->what, cn, name);
	} else
		ck_assert_str_eq(cn, name);
	if (prop != NULL) {
		par = icalproperty_get_first_parameter(prop, ICAL_CN_PARAMETER);
		ck_assert_ptr_nonnull(par);
		ck_assert_str_eq(icalparameter_get_cn(par), name);
	}
}

/* A non-ASCII CN, if any, is double-quoted (SPEC §7). */
static void
check_cn_quoted(const struct doc *d, const char *line)
{
	char *cn = prop_param(line, "CN");

	if (cn != NULL && non_ascii(cn))
		ck_assert_msg(strlen(cn) >= 2 && cn[0] == '"' &&
			cn[strlen(cn) - 1] == '"',
		    "%s: CN not double-quoted: %s", d->what, line);
}

/* The libical property of kind k in c whose value is value, or NULL. */
static icalproperty *
prop_by_value(icalcomponent *c, icalproperty_kind k, const char *value)
{
	icalproperty *p;

	for (p = icalcomponent_get_first_property(c, k); p != NULL;
	     p = icalcomponent_get_next_property(c, k))
		if (strcmp(icalproperty_get_value_as_string(p), value) == 0)
			return p;
	return NULL;
}

/* The first VEVENT of a doc, as libical has it. */
static icalcomponent *
doc_vevent(const struct doc *d)
{
	icalcomponent *ve = icalcomponent_get_first_component(d->cal,
	    ICAL_VEVENT_COMPONENT);

	ck_assert_msg(ve != NULL, "%s: no VEVENT", d->what);
	return ve;
}

/* An invitee's expected ATTENDEE, found by address. */
struct invitee {
	const struct contact *c;
	int		      optional;
};

/*
 * The invitees of ev that have an email address: attendees, then optional
 * ones not already attendees, without the organizer; into a pool array.
 */
static struct invitee *
invitees(struct plan *p, const struct event *ev, size_t *n)
{
	const struct contact **req = NULL, **opt = NULL;
	const struct contact  *org = plan_organizer(p, ev);
	size_t		       nreq = 0, creq = 0, nopt = 0, copt = 0, i, j;
	struct invitee	      *v;

	plan_recipients(p, &ev->attendees, org, &req, &nreq, &creq);
	plan_recipients(p, &ev->optional, org, &opt, &nopt, &copt);
	v = calloc(nreq + nopt + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	keep(POOL_FREE, v);
	*n = 0;
	for (i = 0; i < nreq; i++)
		if (req[i]->email != NULL)
			v[(*n)++].c = req[i];
	for (i = 0; i < nopt; i++) {
		if (opt[i]->email == NULL)
			continue;
		for (j = 0; j < nreq && req[j] != opt[i]; j++)
			;
		if (j < nreq)
			continue;
		v[*n].c = opt[i];
		v[(*n)++].optional = 1;
	}
	free(req);
	free(opt);
	return v;
}

/* The organizer's contact as SPEC §3 reads it: organizer, else signer. */
static const struct contact *
organizer_of(struct plan *p, const struct event *ev)
{
	const struct contact *c = plan_organizer(p, ev);

	if (c != NULL && c->email != NULL)
		return c;
	if (p->signed_by.id != NULL)
		return person_get(p, p->signed_by.id);
	return NULL;
}

/*
 * ATTENDEEs of an invitation (rsvp) or of a VTODO: exactly one for each
 * contact in v (by address), each with CUTYPE, ROLE, CN and, with rsvp,
 * PARTSTAT=NEEDS-ACTION and RSVP=TRUE; none for anybody else.
 */
static void
check_attendees(const struct doc *d, const char *comp, icalcomponent *c,
    const struct invitee *v, size_t n, int rsvp, int quote_all)
{
	size_t i, k, found;

	ck_assert_msg(doc_count(d, comp, "ATTENDEE") == n,
	    "%s: %zu ATTENDEEs in %s; expected %zu", d->what,
	    doc_count(d, comp, "ATTENDEE"), comp, n);
	for (i = 0; i < n; i++) {
		char	   *to = kprintf("mailto:%s", v[i].c->email);
		const char *line = NULL, *l;
		char	   *par;

		for (k = 0, found = 0;
		     (l = doc_line(d, comp, "ATTENDEE", k)) != NULL; k++) {
			if (strcmp(prop_value(l), to) == 0) {
				line = l;
				found++;
			}
		}
		ck_assert_msg(found == 1, "%s: %zu ATTENDEEs %s; expected one",
		    d->what, found, to);
		par = prop_param(line, "CUTYPE");
		ck_assert_msg(par != NULL, "%s: no CUTYPE: %s", d->what, line);
		/* SPEC §7's form, for an agency's mailbox too. */
		ck_assert_str_eq(par, "INDIVIDUAL");
		par = prop_param(line, "ROLE");
		ck_assert_msg(par != NULL, "%s: no ROLE: %s", d->what, line);
		ck_assert_str_eq(par,
		    v[i].optional ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT");
		if (rsvp) {
			par = prop_param(line, "PARTSTAT");
			ck_assert_msg(par != NULL &&
				strcmp(par, "NEEDS-ACTION") == 0,
			    "%s: PARTSTAT: %s", d->what, line);
			par = prop_param(line, "RSVP");
			ck_assert_msg(par != NULL && strcmp(par, "TRUE") == 0,
			    "%s: RSVP: %s", d->what, line);
		} else
			ck_assert_msg(prop_param(line, "RSVP") == NULL,
			    "%s: RSVP in a published object: %s", d->what,
			    line);
		check_cn(d, line,
		    c ? prop_by_value(c, ICAL_ATTENDEE_PROPERTY, to) : NULL,
		    v[i].c->name, quote_all);
	}
}

/* ORGANIZER;CN="name":mailto:email, exactly one, in the VEVENT. */
static void
check_organizer(const struct doc *d, icalcomponent *ve,
    const struct contact *org)
{
	const char *l = doc_one(d, "VEVENT", "ORGANIZER");
	char	   *to = kprintf("mailto:%s", org->email);

	ck_assert_msg(strcmp(prop_value(l), to) == 0, "%s: %s; expected %s",
	    d->what, l, to);
	check_cn(d, l,
	    icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY),
	    org->name, 1);
}

/* No ATTENDEE holds the organizer's address. */
static void
check_organizer_not_invited(const struct doc *d, const struct contact *org)
{
	char  *to = kprintf("mailto:%s", org->email);
	size_t k;

	for (k = 0; k < doc_count(d, NULL, "ATTENDEE"); k++)
		ck_assert_msg(strcmp(prop_value(
					 doc_line(d, NULL, "ATTENDEE", k)),
				  to) != 0,
		    "%s: the organizer %s is an attendee", d->what, to);
}

/*
 * Every email invitation job of ev goes to an address that is an ATTENDEE
 * of the invitation (SPEC §7: the ATTENDEE address is the address the mail
 * goes to).
 */
static void
check_jobs_are_attendees(const struct doc *d, const struct loaded *w,
    const struct plan *p, const struct event *ev)
{
	size_t i, k, found;

	for (i = 0; i < w->w.jobs.n; i++) {
		const struct job *j = &w->w.jobs.v[i];
		char		 *to;

		if (j->plan != p || j->kind != JK_INVITATION ||
		    j->channel != CH_EMAIL || j->address == NULL ||
		    strcmp(j->object, ev->id) != 0)
			continue;
		to = kprintf("mailto:%s", j->address);
		for (k = 0, found = 0; k < doc_count(d, "VEVENT", "ATTENDEE");
		     k++)
			if (strcmp(prop_value(
				       doc_line(d, "VEVENT", "ATTENDEE", k)),
				to) == 0)
				found++;
		ck_assert_msg(found == 1,
		    "%s: the invitation to %s (%s) has "
		    "%zu ATTENDEEs of that address; expected one",
		    d->what, j->to ? j->to->id : "?", j->address, found);
	}
}

/*
 * The VEVENT of an invitation, cancellation or feed of event ev: UID,
 * DTSTAMP, SEQUENCE, times with TZID, text, STATUS.
 */
static void
check_vevent_common(const struct doc *d, struct plan *p, const struct event *ev,
    int seq, const char *status)
{
	icalcomponent *ve;
	char	       uid[80];
	const char    *l;

	ical_uid(p, "event", ev->id, uid, sizeof(uid));
	ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid);
	ck_assert_msg(ve != NULL, "%s: no VEVENT with UID %s", d->what, uid);
	ck_assert_int_eq(icalcomponent_get_sequence(ve), seq);
	ck_assert_str_eq(icalcomponent_get_summary(ve),
	    ev->title ? ev->title : ev->id);
	if (ev->location != NULL)
		ck_assert_str_eq(icalcomponent_get_location(ve), ev->location);
	if (ev->description != NULL)
		ck_assert_msg(strncmp(icalcomponent_get_description(ve),
				  ev->description,
				  strlen(ev->description)) == 0,
		    "%s: DESCRIPTION does not start with the description",
		    d->what);
	ck_assert_str_eq(icalproperty_status_to_string(
			     icalcomponent_get_status(ve)),
	    status);

	/* Textual form, when the doc has this one event. */
	if (doc_ncomp(d, "VEVENT") == 1) {
		ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "UID")), uid);
		check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
		l = doc_one(d, "VEVENT", "SEQUENCE");
		ck_assert_int_eq(strtol(prop_value(l), NULL, 10), seq);
		check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
		    local_stamp(p->tz, ev->start.t));
		check_local_time(d, doc_one(d, "VEVENT", "DTEND"), "DTEND",
		    local_stamp(p->tz, ev->end.t));
		ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
		    status);
		doc_one(d, "VEVENT", "SUMMARY");
	}
}

static const char *
event_status(const struct event *ev)
{
	if (ev->status == EV_CANCELLED)
		return "CANCELLED";
	if (ev->status == EV_TENTATIVE || ev->start.tentative != NULL)
		return "TENTATIVE";
	return "CONFIRMED";
}

/* iTIP needs an ORGANIZER address and an ATTENDEE address. */
static int
itip_possible(const struct contact *org, const struct invitee *v, size_t n)
{
	size_t i;

	if (org == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].c->email != NULL)
			return 1;
	return 0;
}

/* Every check of an invitation of ev. */
static struct doc *
check_request(const struct loaded *w, struct plan *p, const struct event *ev,
    int seq, int quote_all)
{
	char *what = kprintf("%s: ical_request(%s, %d)", w->path, ev->id, seq);
	struct doc	     *d = doc_open(ical_request(p, ev, seq,
					       LOCAL_TIME(STAMP_NOW)),
		      what);
	struct invitee	     *v;
	size_t		      n;
	const struct contact *org = organizer_of(p, ev);

	v = invitees(p, ev, &n);
	if (!itip_possible(org, v, n)) {
		/* No ORGANIZER or no ATTENDEE address: iTIP cannot be
		 * (RFC 5546 §3.2), so the object is published. */
		check_vcalendar(d, "PUBLISH");
		check_vtimezone(d);
		ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
		check_vevent_common(d, p, ev, seq, event_status(ev));
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ORGANIZER"), 0);
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ATTENDEE"), 0);
		return d;
	}
	check_vcalendar(d, "REQUEST");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	check_vevent_common(d, p, ev, seq, event_status(ev));
	if (org != NULL) {
		check_organizer(d, doc_vevent(d), org);
		check_organizer_not_invited(d, org);
		doc_itip(d);
	}
	check_attendees(d, "VEVENT", doc_vevent(d), v, n, 1, quote_all);
	check_jobs_are_attendees(d, w, p, ev);
	return d;
}

/* Every check of the cancellation of the whole event ev. */
static struct doc *
check_cancel(const struct loaded *w, struct plan *p, const struct event *ev,
    int seq, int quote_all)
{
	char *what = kprintf("%s: ical_cancel(%s, %d)", w->path, ev->id, seq);
	struct doc *d = doc_open(ical_cancel(p, ev, seq, LOCAL_TIME(STAMP_NOW),
				     NULL),
	    what);
	struct invitee	     *v;
	size_t		      n;
	const struct contact *org = organizer_of(p, ev);

	v = invitees(p, ev, &n);
	if (!itip_possible(org, v, n)) {
		/* No ORGANIZER or no ATTENDEE address: iTIP cannot be
		 * (RFC 5546 §3.2), so the object is published. */
		check_vcalendar(d, "PUBLISH");
		check_vtimezone(d);
		ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
		check_vevent_common(d, p, ev, seq, "CANCELLED");
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ORGANIZER"), 0);
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ATTENDEE"), 0);
		return d;
	}
	check_vcalendar(d, "CANCEL");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	check_vevent_common(d, p, ev, seq, "CANCELLED");
	if (org != NULL) {
		check_organizer(d, doc_vevent(d), org);
		check_organizer_not_invited(d, org);
		doc_itip(d);
	}
	check_attendees(d, "VEVENT", doc_vevent(d), v, n, 1, quote_all);
	return d;
}

/* The contact that stands for owner id in a VTODO (SPEC §7). */
static const struct contact *
owner_contact(struct plan *p, const char *id)
{
	const struct named *n = strmap_get(p->names, id);

	ck_assert_ptr_nonnull(n);
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind == N_AGENCY) {
		const struct agency *a = n->p;

		if (a->mailbox != NULL && a->mailbox->email != NULL)
			return a->mailbox;
		if (a->head.id != NULL)
			return person_get(p, a->head.id);
	}
	return NULL;
}

/*
 * The VTODO and the VEVENT of task t in d: UIDs, DTSTAMP, DUE and DTSTART
 * with TZID at the due time, owner as ATTENDEE, no RSVP, no ORGANIZER.
 */
static void
check_task_in(const struct doc *d, struct plan *p, const struct task *t)
{
	char		uid_todo[80], uid_due[80];
	icalcomponent  *todo, *ve;
	icalproperty   *prop;
	const char     *stamp = local_stamp(p->tz, t->due.t);
	struct invitee *v;
	size_t		i, n = 0;

	ical_uid(p, "todo", t->id, uid_todo, sizeof(uid_todo));
	ical_uid(p, "due", t->id, uid_due, sizeof(uid_due));
	ck_assert_str_ne(uid_todo, uid_due);
	todo = doc_by_uid(d, ICAL_VTODO_COMPONENT, uid_todo);
	ck_assert_msg(todo != NULL, "%s: no VTODO for task %s", d->what, t->id);
	ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid_due);
	ck_assert_msg(ve != NULL, "%s: no VEVENT for task %s", d->what, t->id);

	ck_assert_str_eq(icalcomponent_get_summary(todo),
	    t->title ? t->title : t->id);
	prop = icalcomponent_get_first_property(todo, ICAL_DUE_PROPERTY);
	ck_assert_msg(prop != NULL, "%s: VTODO %s without DUE", d->what, t->id);
	ck_assert_str_eq(icalparameter_get_tzid(
			     icalproperty_get_first_parameter(prop,
				 ICAL_TZID_PARAMETER)),
	    ZONE);
	ck_assert_str_eq(icalproperty_get_value_as_string(prop), stamp);
	ck_assert_msg(strstr(icaltime_as_ical_string(
				 icalcomponent_get_dtstamp(todo)),
			  "Z") != NULL,
	    "%s: VTODO DTSTAMP not UTC", d->what);
	ck_assert_ptr_null(
	    icalcomponent_get_first_property(todo, ICAL_ORGANIZER_PROPERTY));

	prop = icalcomponent_get_first_property(ve, ICAL_DTSTART_PROPERTY);
	ck_assert_msg(prop != NULL, "%s: due VEVENT %s without DTSTART",
	    d->what, t->id);
	ck_assert_str_eq(icalparameter_get_tzid(
			     icalproperty_get_first_parameter(prop,
				 ICAL_TZID_PARAMETER)),
	    ZONE);
	ck_assert_str_eq(icalproperty_get_value_as_string(prop), stamp);
	ck_assert_msg(strstr(icalcomponent_get_summary(ve),
			  t->title ? t->title : t->id) != NULL,
	    "%s: due VEVENT %s summary \"%s\"", d->what, t->id,
	    icalcomponent_get_summary(ve));
	ck_assert_ptr_null(
	    icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY));

	/* The owners, each once by address, as ATTENDEEs of the VTODO. */
	v = calloc(t->owner.n + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	keep(POOL_FREE, v);
	for (i = 0; i < t->owner.n; i++) {
		const struct contact *c = owner_contact(p, t->owner.v[i].id);
		size_t		      k;

		if (c == NULL || c->email == NULL)
			continue;
		for (k = 0; k < n && strcmp(v[k].c->email, c->email) != 0; k++)
			;
		if (k == n)
			v[n++].c = c;
	}
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++) {
		char *to = kprintf("mailto:%s", v[i].c->email);

		prop = prop_by_value(todo, ICAL_ATTENDEE_PROPERTY, to);
		ck_assert_msg(prop != NULL, "%s: VTODO %s lacks ATTENDEE %s",
		    d->what, t->id, to);
		ck_assert_str_eq(icalparameter_get_cn(
				     icalproperty_get_first_parameter(prop,
					 ICAL_CN_PARAMETER)),
		    v[i].c->name);
		ck_assert_ptr_null(icalproperty_get_first_parameter(prop,
		    ICAL_RSVP_PARAMETER));
	}
	ck_assert_int_eq(icalcomponent_count_properties(todo,
			     ICAL_ATTENDEE_PROPERTY),
	    (int)n);
}

/* Every check of ical_task(t). */
static struct doc *
check_task(const struct loaded *w, struct plan *p, const struct task *t)
{
	char	   *what = kprintf("%s: ical_task(%s)", w->path, t->id);
	struct doc *d = doc_open(ical_task(p, t, 0, LOCAL_TIME(STAMP_NOW)),
	    what);
	size_t	    i;

	check_vcalendar(d, "PUBLISH");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 1);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	check_task_in(d, p, t);
	check_local_time(d, doc_one(d, "VTODO", "DUE"), "DUE",
	    local_stamp(p->tz, t->due.t));
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    local_stamp(p->tz, t->due.t));
	check_dtstamp(d, doc_one(d, "VTODO", "DTSTAMP"), STAMP_UTC);
	check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP", what);
	ck_assert_uint_eq(doc_count(d, NULL, "ORGANIZER"), 0);
	for (i = 0; i < doc_count(d, NULL, "ATTENDEE"); i++)
		check_cn_quoted(d, doc_line(d, NULL, "ATTENDEE", i));
	check_uids_unique(d);
	return d;
}

/*
 * Every check of ical_task_event(t): the deadline VEVENT alone, PUBLISH,
 * what a task reminder to an agency carries (SPEC §7).
 */
static struct doc *
check_task_event(const struct loaded *w, struct plan *p, const struct task *t)
{
	char	   *what = kprintf("%s: ical_task_event(%s)", w->path, t->id);
	struct doc *d = doc_open(ical_task_event(p, t, LOCAL_TIME(STAMP_NOW)),
	    what);
	char	    uid[80];

	check_vcalendar(d, "PUBLISH");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 0);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	ical_uid(p, "due", t->id, uid, sizeof(uid));
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "UID")), uid);
	check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    local_stamp(p->tz, t->due.t));
	ck_assert_msg(strstr(icalcomponent_get_summary(doc_vevent(d)),
			  t->title ? t->title : t->id) != NULL,
	    "%s: SUMMARY \"%s\"", what,
	    icalcomponent_get_summary(doc_vevent(d)));
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
	    t->due.tentative ? "TENTATIVE" : "CONFIRMED");
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP", what);
	ck_assert_uint_eq(doc_count(d, NULL, "ORGANIZER"), 0);
	return d;
}

/*
 * Every check of a feed of plans: the calendar properties of SPEC §7, one
 * VEVENT an event (unless tasks_only), a VTODO and a VEVENT a task, no
 * ORGANIZER and no RSVP.
 */
static struct doc *
check_feed(const struct loaded *w, struct plan **plans, size_t nplans,
    int tasks_only)
{
	char	   *what = kprintf("%s: ical_feed(%s)", w->path,
		  tasks_only ? "tasks" : "all");
	struct doc *d = doc_open(ical_feed(plans, nplans, tasks_only, NULL,
				     LOCAL_TIME(STAMP_NOW)),
	    what);
	size_t	    i, j, nev = 0, ntask = 0;
	const char *l;

	check_vcalendar(d, "PUBLISH");
	l = doc_one(d, "VCALENDAR", "X-WR-CALNAME");
	ck_assert_msg(strlen(prop_value(l)) > 0, "%s: empty X-WR-CALNAME",
	    what);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "NAME")),
	    prop_value(l));
	ck_assert_str_eq(doc_one(d, "VCALENDAR", "REFRESH-INTERVAL"),
	    "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
	ck_assert_str_eq(doc_one(d, "VCALENDAR", "X-PUBLISHED-TTL"),
	    "X-PUBLISHED-TTL:PT1H");
	ck_assert_msg(doc_count(d, NULL, "ORGANIZER") == 0,
	    "%s: ORGANIZER in a feed", what);
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP in a feed", what);
	check_vtimezone(d);
	check_uids_unique(d);
	for (i = 0; i < nplans; i++) {
		struct plan *p = plans[i];

		if (!tasks_only)
			for (j = 0; j < p->nevents; j++) {
				check_vevent_common(d, p, &p->events[j], 0,
				    event_status(&p->events[j]));
				nev++;
			}
		for (j = 0; j < p->ntasks; j++) {
			check_task_in(d, p, &p->tasks[j]);
			ntask++;
		}
	}
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), nev + ntask);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), ntask);
	for (i = 0; i < doc_count(d, "VEVENT", "DTSTART"); i++)
		ck_assert_msg(strncmp(doc_line(d, "VEVENT", "DTSTART", i),
				  "DTSTART;TZID=" ZONE ":",
				  strlen("DTSTART;TZID=" ZONE ":")) == 0,
		    "%s: %s", what, doc_line(d, "VEVENT", "DTSTART", i));
	for (i = 0; i < doc_count(d, NULL, "DTSTAMP"); i++)
		check_dtstamp(d, doc_line(d, NULL, "DTSTAMP", i), STAMP_UTC);
	return d;
}

/* ------------------------------------------------------------------ */
/* Folding, unfolding and finishing, directly. */

/* Fold s with ical_fold_line; check it and that unfolding gives s back. */
static void
fold_roundtrip(const char *s, size_t len, const char *what)
{
	struct buf b = { 0 };
	char	  *un, *un2;

	ical_fold_line(&b, s, len);
	ck_assert_ptr_nonnull(b.s);
	check_lines(b.s, what, 0);
	ck_assert_msg(b.len >= 2 && memcmp(b.s + b.len - 2, "\r\n", 2) == 0,
	    "%s: no final CRLF", what);
	un = unfold(b.s);
	un2 = ical_unfold(b.s);
	ck_assert_msg(strlen(un) == len + 2 && memcmp(un, s, len) == 0 &&
		strcmp(un + len, "\r\n") == 0,
	    "%s: unfolding does not give the "
	    "line back",
	    what);
	ck_assert_str_eq(un2, un);
	free(un);
	free(un2);
	buf_free(&b);
}

/* Physical lines of a folded text. */
static size_t
nlines(const char *s)
{
	size_t n = 0;

	for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
		n++;
	return n;
}

START_TEST(test_fold_lengths)
{
	char	   s[200];
	struct buf b = { 0 };

	memset(s, 'x', sizeof(s));
	/* Up to 75 octets: one line; 76: two, the second " x". */
	ical_fold_line(&b, s, 75);
	ck_assert_uint_eq(b.len, 77);
	ck_assert_uint_eq(nlines(b.s), 1);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, s, 76);
	ck_assert_uint_eq(nlines(b.s), 2);
	ck_assert_str_eq(b.s + 77, " x\r\n");
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	/* 75 + 74 fill two lines exactly; one more makes three. */
	ical_fold_line(&b, s, 149);
	ck_assert_uint_eq(nlines(b.s), 2);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, s, 150);
	ck_assert_uint_eq(nlines(b.s), 3);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, "", 0);
	ck_assert_str_eq(b.s, "\r\n");
	buf_free(&b);
	fold_roundtrip(s, 0, "empty");
	fold_roundtrip(s, 1, "1 octet");
	fold_roundtrip(s, 200, "200 octets");
}
END_TEST

START_TEST(test_fold_utf8_boundaries)
{
	/* A 2-, 3- and 4-byte character at every offset around the cut. */
	static const char *chars[] = { "đ", "ệ", "\xf0\x9f\x98\x80", "Ự", "̣" };
	size_t		   c, k, rep;

	for (c = 0; c < NELEM(chars); c++)
		for (k = 68; k <= 78; k++)
			for (rep = 1; rep <= 60; rep += 59) {
				char   s[1024], what[64];
				size_t len = k, r;

				memset(s, 'a', k);
				for (r = 0; r < rep; r++) {
					memcpy(s + len, chars[c],
					    strlen(chars[c]));
					len += strlen(chars[c]);
				}
				snprintf(what, sizeof(what), "%s at %zu x%zu",
				    chars[c], k, rep);
				fold_roundtrip(s, len, what);
			}
}
END_TEST

/* xorshift64*: the property tests' PRNG, seeded, reproducible. */
static unsigned long long rng_state;

static unsigned
rng(unsigned n)
{
	unsigned long long x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (unsigned)((x * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* Append code point cp as UTF-8. */
static void
put_cp(struct buf *b, unsigned cp)
{
	utf8proc_uint8_t u[4];
	utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, u);

	buf_add(b, u, (size_t)n);
}

START_TEST(test_fold_random_utf8)
{
	size_t run;

	rng_state = PROP_SEED ^ 0x1;
	for (run = 0; run < 2000; run++) {
		struct buf b = { 0 };
		size_t	   n = rng(300), i;
		char	   what[64];

		for (i = 0; i < n; i++) {
			switch (rng(4)) {
			case 0:
				put_cp(&b, 0x20 + rng(0x5f));
				break;
			case 1:
				put_cp(&b, 0xa0 + rng(0x700));
				break;
			case 2:
				put_cp(&b, 0x1e00 + rng(0x100));
				break;
			default:
				put_cp(&b, 0x1f300 + rng(0x300));
				break;
			}
		}
		snprintf(what, sizeof(what), "random line %zu", run);
		fold_roundtrip(b.s ? b.s : "", b.len, what);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_unfold)
{
	char *s;

	s = ical_unfold("SUMMARY:Hội\r\n nghị\r\n\t tổng\n kết\r\nX:1\r\n");
	ck_assert_str_eq(s, "SUMMARY:Hộinghị tổngkết\r\nX:1\r\n");
	free(s);
	/* A CRLF not followed by white space stays. */
	s = ical_unfold("A:1\r\nB:2\r\n");
	ck_assert_str_eq(s, "A:1\r\nB:2\r\n");
	free(s);
	s = ical_unfold("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* ical_finish(in) must be exactly want. */
static void
finish_is(const char *in, const char *want)
{
	char *out = ical_finish(in);

	ck_assert_ptr_nonnull(out);
	check_physical(out, in);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_finish_quotes)
{
	/* A non-ASCII CN gets quotes; an ASCII one keeps none. */
	finish_is("ORGANIZER;CN=Đào Văn Soái:mailto:soai@x.example\r\n",
	    "ORGANIZER;CN=\"Đào Văn Soái\":mailto:soai@x.example\r\n");
	finish_is("ATTENDEE;CN=Mai Kim Oanh;ROLE=CHAIR:mailto:o@x\r\n",
	    "ATTENDEE;CN=Mai Kim Oanh;ROLE=CHAIR:mailto:o@x\r\n");
	/* In the middle of the parameters. */
	finish_is("ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Lê Lan;RSVP=TRUE:mailto:l@x"
		  "\r\n",
	    "ATTENDEE;ROLE=REQ-PARTICIPANT;CN=\"Lê Lan\";RSVP=TRUE:"
	    "mailto:l@x\r\n");
	/* Already quoted: left alone, ':' and ';' inside included. */
	finish_is("ATTENDEE;CN=\"Lê: Lan; Hà\":mailto:l@x\r\n",
	    "ATTENDEE;CN=\"Lê: Lan; Hà\":mailto:l@x\r\n");
	/* A value with ';' and non-ASCII is not a parameter. */
	finish_is("SUMMARY:Hội nghị\\;CN=Lê\r\n",
	    "SUMMARY:Hội nghị\\;CN=Lê\r\n");
	finish_is("X-WR-CALNAME:Ủy ban;x=ý\r\n", "X-WR-CALNAME:Ủy ban;x=ý\r\n");
	/* Folded input is unfolded first; LF-only input gets CRLF. */
	finish_is("ATTENDEE;CN=Nguy\r\n ễn Lan:mailto:\r\n l@x\r\n",
	    "ATTENDEE;CN=\"Nguyễn Lan\":mailto:l@x\r\n");
	finish_is("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
}
END_TEST

START_TEST(test_finish_refolds)
{
	struct buf in = { 0 };
	char	  *out, *un;
	size_t	   i;

	/* A long line, folded the way libical folds (inside a sequence is
	 * what we must never do), comes out folded at 75 octets. */
	buf_adds(&in, "DESCRIPTION:");
	for (i = 0; i < 80; i++)
		buf_adds(&in, "Tổng kết\\, đánh giá ");
	buf_adds(&in, "\r\n");
	out = ical_finish(in.s);
	check_physical(out, "refolded DESCRIPTION");
	un = unfold(out);
	ck_assert_str_eq(un, in.s);
	free(un);
	free(out);
	buf_free(&in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The seed plan: invitations. */

START_TEST(test_request_calendar)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d;

	d = check_request(w, p, event_get(p, "hoi-nghi"), 0, 1);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "PRODID")),
	    "-//loa//loa " LOA_VERSION "//VI");
	/* Hội nghị: 26/12/2025 08:00–11:30 Hà Nội time. */
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    "20251226T080000");
	check_local_time(d, doc_one(d, "VEVENT", "DTEND"), "DTEND",
	    "20251226T113000");
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
	    "CONFIRMED");
	doc_one(d, "VEVENT", "LOCATION");
	doc_one(d, "VEVENT", "DESCRIPTION");
	ck_assert_msg(strstr(icalcomponent_get_description(doc_vevent(d)),
			  "Báo cáo tham luận tại Hội nghị") != NULL,
	    "the agenda is not in the DESCRIPTION");
}
END_TEST

START_TEST(test_request_uid_sequence_dtstamp)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct event  *ev = event_get(p, "hoi-nghi");
	struct doc    *a, *b, *c;
	char	       uid[80];

	a = doc_open(ical_request(p, ev, 0, LOCAL_TIME(STAMP_NOW)), "req 0");
	b = doc_open(ical_request(p, ev, 3, LOCAL_TIME("2025-12-20 17:45")),
	    "req 3");
	c = doc_open(ical_cancel(p, ev, 4, LOCAL_TIME(STAMP_NOW), NULL),
	    "cancel 4");
	ical_uid(p, "event", ev->id, uid, sizeof(uid));
	ck_assert_str_eq(prop_value(doc_one(a, "VEVENT", "UID")), uid);
	ck_assert_str_eq(prop_value(doc_one(b, "VEVENT", "UID")), uid);
	ck_assert_str_eq(prop_value(doc_one(c, "VEVENT", "UID")), uid);
	ck_assert_str_eq(doc_one(a, "VEVENT", "SEQUENCE"), "SEQUENCE:0");
	ck_assert_str_eq(doc_one(b, "VEVENT", "SEQUENCE"), "SEQUENCE:3");
	ck_assert_str_eq(doc_one(c, "VEVENT", "SEQUENCE"), "SEQUENCE:4");
	check_dtstamp(a, doc_one(a, "VEVENT", "DTSTAMP"), STAMP_UTC);
	check_dtstamp(b, doc_one(b, "VEVENT", "DTSTAMP"), "20251220T104500Z");
	/* Another event of another plan gets another UID. */
	{
		char other[80];

		ical_uid(p, "event", "hoi-nghi-2", other, sizeof(other));
		ck_assert_str_ne(uid, other);
		ical_uid(p, "todo", ev->id, other, sizeof(other));
		ck_assert_str_ne(uid, other);
	}
}
END_TEST

START_TEST(test_request_organizer_attendees)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct event  *ev = event_get(p, "hoi-nghi");
	struct doc    *d = check_request(w, p, ev, 0, 1);
	size_t	       i, n;

	ck_assert_str_eq(doc_one(d, "VEVENT", "ORGANIZER"),
	    "ORGANIZER;CN=\"Phòng Văn hóa - Xã hội\":"
	    "mailto:vhxh@daison.example");
	ck_assert_msg(!doc_has(d,
			  "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
			  "PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=\"Phòng Văn hóa "
			  "- Xã hội\""),
	    "the organizer's mailbox is an attendee");
	/* Exactly the SPEC's form for a person. */
	ck_assert_msg(
	    doc_has(d,
		"ATTENDEE;CUTYPE=INDIVIDUAL;"
		"ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
		"CN=\"Nguyễn Thị Thu Hà\":mailto:hantt@daison.example"),
	    "no ATTENDEE line of SPEC §7's form for hantt");
	/* Lan heads the organizing agency: she is invited, the mailbox not. */
	ck_assert_msg(doc_has(d,
			  "CN=\"Nguyễn Thị Lan\":"
			  "mailto:lannt@daison.example"),
	    "lan-nt is not invited");
	/* No address, no ATTENDEE: manh-bd has only a phone. */
	ck_assert_msg(!doc_has(d, "Bùi Đức Mạnh"), "manh-bd is an attendee");
	(void)invitees(p, ev, &n);
	ck_assert_uint_ge(n, 30);
	for (i = 0; i < doc_count(d, "VEVENT", "ATTENDEE"); i++)
		ck_assert_msg(strncmp(prop_value(
					  doc_line(d, "VEVENT", "ATTENDEE", i)),
				  "mailto:", 7) == 0,
		    "not mailto: %s", doc_line(d, "VEVENT", "ATTENDEE", i));
}
END_TEST

START_TEST(test_request_valarm)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct event  *ev = event_get(p, "hoi-nghi");
	struct doc    *d = check_request(w, p, ev, 0, 1);
	icalcomponent *al;
	icalproperty  *tr;

	ck_assert_uint_eq(doc_ncomp(d, "VALARM"), 1);
	ck_assert_str_eq(doc_one(d, "VALARM", "ACTION"), "ACTION:DISPLAY");
	doc_one(d, "VALARM", "DESCRIPTION");
	doc_one(d, "VALARM", "TRIGGER");
	al = icalcomponent_get_first_component(doc_vevent(d),
	    ICAL_VALARM_COMPONENT);
	ck_assert_ptr_nonnull(al);
	tr = icalcomponent_get_first_property(al, ICAL_TRIGGER_PROPERTY);
	ck_assert_ptr_nonnull(tr);
	/* The first reminder, "start - 1d at 16:00": 16 hours ahead. */
	ck_assert_int_eq(icaldurationtype_as_int(
			     icalproperty_get_trigger(tr).duration),
	    (int)(ev->reminders[0].t - ev->start.t));
	ck_assert_int_eq(icaldurationtype_as_int(
			     icalproperty_get_trigger(tr).duration),
	    -16 * 3600);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancellations. */

START_TEST(test_cancel_whole)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct event  *ev = event_get(p, "hoi-nghi");
	struct doc    *r, *c;

	r = check_request(w, p, ev, 0, 1);
	c = check_cancel(w, p, ev, 1, 1);
	ck_assert_str_eq(doc_one(c, "VCALENDAR", "METHOD"), "METHOD:CANCEL");
	ck_assert_str_eq(doc_one(c, "VEVENT", "STATUS"), "STATUS:CANCELLED");
	ck_assert_str_eq(doc_one(c, "VEVENT", "UID"),
	    doc_one(r, "VEVENT", "UID"));
	ck_assert_uint_eq(doc_count(c, "VEVENT", "ATTENDEE"),
	    doc_count(r, "VEVENT", "ATTENDEE"));
}
END_TEST

/* A cancel for one attendee lists that attendee alone. */
static void
check_cancel_one(const struct doc *d, const struct contact *who)
{
	const char *l;
	char	   *to = kprintf("mailto:%s", who->email);

	check_vcalendar(d, "CANCEL");
	check_vtimezone(d);
	ck_assert_str_eq(doc_one(d, "VEVENT", "STATUS"), "STATUS:CANCELLED");
	ck_assert_msg(doc_count(d, "VEVENT", "ATTENDEE") == 1,
	    "%s: %zu ATTENDEEs; expected only %s", d->what,
	    doc_count(d, "VEVENT", "ATTENDEE"), to);
	l = doc_one(d, "VEVENT", "ATTENDEE");
	ck_assert_str_eq(prop_value(l), to);
	check_cn(d, l,
	    icalcomponent_get_first_property(doc_vevent(d),
		ICAL_ATTENDEE_PROPERTY),
	    who->name, 1);
	doc_one(d, "VEVENT", "ORGANIZER");
	doc_itip(d);
}

START_TEST(test_cancel_one_listed)
{
	struct loaded	     *w = seed_loaded();
	struct plan	     *p = w->w.plans[0];
	struct event	     *ev = event_get(p, "hoi-nghi");
	const struct contact *ha = person_get(p, "ha-ntt");
	struct doc	     *r, *d;

	r = check_request(w, p, ev, 0, 1);
	d = doc_open(ical_cancel(p, ev, 1, LOCAL_TIME(STAMP_NOW), ha),
	    "ical_cancel(hoi-nghi, only ha-ntt)");
	check_cancel_one(d, ha);
	ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
	    doc_one(r, "VEVENT", "UID"));
	ck_assert_str_eq(doc_one(d, "VEVENT", "SEQUENCE"), "SEQUENCE:1");
}
END_TEST

/*
 * The plan changed: tt-dang-uy (vinh-lq, ha-ntt, duc-pv, tuan-tm) is no
 * longer invited. ha-ntt is a removed attendee; her CANCEL must list her,
 * even though the event as it now stands does not.
 */
START_TEST(test_cancel_one_removed)
{
	struct loaded	     *w = seed_loaded();
	struct plan	     *p = w->w.plans[0];
	struct event	     *ev = event_get(p, "hoi-nghi");
	struct event	      changed = *ev;
	struct idref	     *kept;
	const struct contact *ha = person_get(p, "ha-ntt");
	struct doc	     *d;
	size_t		      i, n = 0;
	char		     *ics;

	kept = calloc(ev->attendees.n, sizeof(*kept));
	ck_assert_ptr_nonnull(kept);
	keep(POOL_FREE, kept);
	for (i = 0; i < ev->attendees.n; i++)
		if (strcmp(ev->attendees.v[i].id, "tt-dang-uy") != 0)
			kept[n++] = ev->attendees.v[i];
	ck_assert_uint_eq(n, ev->attendees.n - 1);
	changed.attendees.v = kept;
	changed.attendees.n = n;

	/* The update goes to everyone left, and not to her. */
	d = doc_open(ical_request(p, &changed, 1, LOCAL_TIME(STAMP_NOW)),
	    "ical_request(hoi-nghi without tt-dang-uy)");
	ck_assert_msg(!doc_has(d, "mailto:hantt@daison.example"),
	    "ha-ntt is still invited");

	ics = ical_cancel(p, &changed, 1, LOCAL_TIME(STAMP_NOW), ha);
	d = doc_open(ics,
	    "ical_cancel(hoi-nghi without tt-dang-uy, only "
	    "the removed ha-ntt)");
	check_cancel_one(d, ha);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Tasks and the feed. */

START_TEST(test_tasks)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *again;
	size_t	       i;

	ck_assert_uint_eq(p->ntasks, 12);
	for (i = 0; i < p->ntasks; i++) {
		d = check_task(w, p, &p->tasks[i]);
		/* Stable UIDs. */
		again = doc_open(ical_task(p, &p->tasks[i], 0,
				     LOCAL_TIME("2025-12-01 08:00")),
		    "ical_task again");
		ck_assert_str_eq(doc_one(d, "VTODO", "UID"),
		    doc_one(again, "VTODO", "UID"));
		ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
		    doc_one(again, "VEVENT", "UID"));
	}
	/* giay-moi: owner vhxh, its mailbox; due 16/12/2025 17:00. */
	d = check_task(w, p, &p->tasks[0]);
	ck_assert_str_eq(doc_one(d, "VTODO", "DUE"),
	    "DUE;TZID=" ZONE ":20251216T170000");
	ck_assert_str_eq(doc_one(d, "VTODO", "ATTENDEE"),
	    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
	    "CN=\"Phòng Văn hóa - Xã hội\":mailto:vhxh@daison.example");
	ck_assert_str_eq(doc_one(d, "VEVENT", "DTSTART"),
	    "DTSTART;TZID=" ZONE ":20251216T170000");
}
END_TEST

START_TEST(test_task_events)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *full;
	size_t	       i;

	for (i = 0; i < p->ntasks; i++) {
		d = check_task_event(w, p, &p->tasks[i]);
		/* The same VEVENT as in ical_task and the feed. */
		full = check_task(w, p, &p->tasks[i]);
		ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
		    doc_one(full, "VEVENT", "UID"));
		ck_assert_str_eq(doc_one(d, "VEVENT", "DTSTART"),
		    doc_one(full, "VEVENT", "DTSTART"));
	}
}
END_TEST

START_TEST(test_feed_seed)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *r;

	d = check_feed(w, w->w.plans, w->w.nplans, 0);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1 + 12);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 12);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "X-WR-CALNAME")),
	    "Ủy ban nhân dân xã Đại Sơn 129/KH-UBND");
	/* The feed's event has the invitation's UID. */
	r = check_request(w, p, event_get(p, "hoi-nghi"), 0, 1);
	ck_assert_ptr_nonnull(doc_by_uid(d, ICAL_VEVENT_COMPONENT,
	    prop_value(doc_one(r, "VEVENT", "UID"))));
	d = check_feed(w, w->w.plans, w->w.nplans, 1);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 12);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 12);
}
END_TEST

START_TEST(test_feed_tentative)
{
	struct loaded *w = loaded_try(data_path("LOA_TESTDATA",
					  "plans/tentative/loa.cfg"),
	    0);
	struct plan   *p = w->w.plans[0];
	struct doc    *d = check_feed(w, w->w.plans, w->w.nplans, 0);
	static const struct {
		const char *id, *status;
	} want[] = {
		{ "hn", "TENTATIVE" },	  /* start = "2025-12" */
		{ "hn-tt", "TENTATIVE" }, /* status = "tentative" */
		{ "hn-huy", "CANCELLED" },
		{ "hn-ok", "CONFIRMED" },
	};
	size_t i;

	for (i = 0; i < NELEM(want); i++) {
		char	       uid[80];
		icalcomponent *ve;

		ical_uid(p, "event", want[i].id, uid, sizeof(uid));
		ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid);
		ck_assert_msg(ve != NULL, "no VEVENT for %s", want[i].id);
		ck_assert_msg(strcmp(icalproperty_status_to_string(
					 icalcomponent_get_status(ve)),
				  want[i].status) == 0,
		    "%s: STATUS:%s; expected %s", want[i].id,
		    icalproperty_status_to_string(icalcomponent_get_status(ve)),
		    want[i].status);
	}
	ck_assert_msg(doc_has(d, "STATUS:TENTATIVE"), "no STATUS:TENTATIVE");
}
END_TEST

/*
 * A plan without an issuer: the calendar's name must still be a name, not
 * one with a stray leading space.
 */
START_TEST(test_feed_name_trimmed)
{
	struct loaded *w = loaded_try(data_path("LOA_TESTDATA",
					  "plans/tentative/loa.cfg"),
	    0);
	struct doc    *d = check_feed(w, w->w.plans, w->w.nplans, 0);
	const char    *v = prop_value(doc_one(d, "VCALENDAR", "X-WR-CALNAME"));

	ck_assert_msg(*v != ' ' && v[strlen(v) - 1] != ' ',
	    "X-WR-CALNAME:\"%s\" has stray white space", v);
	ck_assert_str_eq(v, "9/KH-UBND");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Every valid test config. */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append every loa*.cfg under dir (recursively) to *v. */
static void
find_configs(const char *dir, char ***v, size_t *n, size_t *cap)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char	   *path;
		struct stat st;
		size_t	    len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			find_configs(path, v, n, cap);
			free(path);
		} else if (strncmp(de->d_name, "loa", 3) == 0 && len > 4 &&
		    strcmp(de->d_name + len - 4, ".cfg") == 0) {
			xgrow(v, cap, *n + 1, sizeof(**v));
			(*v)[(*n)++] = path;
		} else
			free(path);
	}
	closedir(d);
}

START_TEST(test_every_config)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i, valid = 0;

	xgrow(&v, &cap, 1, sizeof(*v));
	v[n++] = xstrdup(data_path("LOA_SRC", "conf/loa.cfg"));
	find_configs(data_path("LOA_TESTDATA", "plans"), &v, &n, &cap);
	find_configs(data_path("LOA_TESTDATA", "ok"), &v, &n, &cap);
	for (i = 0; i < n; i++)
		keep(POOL_FREE, v[i]);
	keep(POOL_FREE, v);
	qsort(v + 1, n - 1, sizeof(*v), cmp_str);

	for (i = 0; i < n; i++) {
		size_t	       mark = npool, k, e;
		struct loaded *w = loaded_try(v[i], 1);

		if (w == NULL) {
			release_to(mark);
			continue;
		}
		valid++;
		for (k = 0; k < w->w.nplans; k++) {
			struct plan *p = w->w.plans[k];

			for (e = 0; e < p->nevents; e++) {
				struct event *ev = &p->events[e];
				struct doc   *a, *b;
				struct plan   one = *p, *pp = &one;

				a = check_request(w, p, ev, 0, 0);
				b = doc_open(ical_request(p, ev, 2,
						 LOCAL_TIME(
						     "2025-12-01 00:00")),
				    "again");
				ck_assert_str_eq(doc_one(a, "VEVENT", "UID"),
				    doc_one(b, "VEVENT", "UID"));
				b = check_cancel(w, p, ev, 1, 0);
				ck_assert_str_eq(doc_one(a, "VEVENT", "UID"),
				    doc_one(b, "VEVENT", "UID"));
				/* `loa ics --event E --method PUBLISH`. */
				one.events = ev;
				one.nevents = 1;
				one.ntasks = 0;
				check_feed(w, &pp, 1, 0);
			}
			for (e = 0; e < p->ntasks; e++) {
				check_task(w, p, &p->tasks[e]);
				check_task_event(w, p, &p->tasks[e]);
			}
		}
		check_feed(w, w->w.plans, w->w.nplans, 0);
		check_feed(w, w->w.plans, w->w.nplans, 1);
		release_to(mark);
	}
	ck_assert_msg(valid >= 10, "only %zu valid configs", valid);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The property test: random Vietnamese through a real ical_request. */

static const char *const vi_vowels[] = {
	"a",
	"ă",
	"â",
	"e",
	"ê",
	"i",
	"o",
	"ô",
	"ơ",
	"u",
	"ư",
	"y",
	"A",
	"Ă",
	"Â",
	"E",
	"Ê",
	"I",
	"O",
	"Ô",
	"Ơ",
	"U",
	"Ư",
	"Y",
};
/* No tone, huyền, sắc, hỏi, ngã, nặng: combining, composed by NFC. */
static const char *const vi_tones[] = {
	"",
	"\xcc\x80",
	"\xcc\x81",
	"\xcc\x89",
	"\xcc\x83",
	"\xcc\xa3",
};
static const char *const vi_consonants[] = {
	"b",
	"c",
	"d",
	"đ",
	"g",
	"h",
	"k",
	"l",
	"m",
	"n",
	"p",
	"q",
	"r",
	"s",
	"t",
	"v",
	"x",
	"Đ",
	"B",
	"C",
	"G",
	"H",
	"K",
	"L",
	"M",
	"N",
	"Q",
	"T",
	"ng",
	"nh",
	"ch",
	"tr",
	"gi",
	"kh",
	"ph",
	"th",
};
static const char *const punct[] = {
	",",
	";",
	":",
	"\\",
	"\n",
	".",
	"!",
	"?",
	"(",
	")",
	"-",
	"\"",
	"'",
	"/",
	"“",
	"”",
	"–",
	"…",
	"%",
	"^",
	"=",
	"\\n",
	"\\;",
	"\\,",
	"&",
	"\n\n",
	"<",
	">",
	"#",
	"@",
	"*",
	"…",
};

/* A random text of 1 to max units; NFC-normalised: caller frees. */
static char *
vi_random(size_t max)
{
	struct buf b = { 0 };
	size_t	   n = 1 + rng((unsigned)max), i;
	unsigned   heavy = rng(4); /* 0: punctuation-heavy */
	size_t	   start;
	char	  *nfc;

	for (i = 0; i < n; i++) {
		unsigned r = rng(100);

		if (heavy == 0 && r < 40)
			buf_adds(&b, punct[rng(NELEM(punct))]);
		else if (r < 50) {
			buf_adds(&b, vi_vowels[rng(NELEM(vi_vowels))]);
			buf_adds(&b, vi_tones[rng(NELEM(vi_tones))]);
		} else if (r < 70)
			buf_adds(&b, vi_consonants[rng(NELEM(vi_consonants))]);
		else if (r < 80)
			buf_addc(&b, (char)('!' + rng(94)));
		else if (r < 92)
			buf_addc(&b, ' ');
		else
			buf_adds(&b, punct[rng(NELEM(punct))]);
	}
	/*
	 * No white space at either end: libical's parser drops it from a
	 * value (RFC 5545 keeps it; python3-icalendar does too), so it could
	 * not be read back whatever loa wrote.
	 */
	while (b.len > 0 && b.s[b.len - 1] == ' ')
		b.s[--b.len] = '\0';
	start = strspn(b.s, " ");
	if (b.s[start] == '\0')
		buf_addc(&b, 'x');
	nfc = (char *)utf8proc_NFC((const utf8proc_uint8_t *)b.s + start);
	ck_assert_ptr_nonnull(nfc);
	buf_free(&b);
	return nfc;
}

/* Runs whose NFD form differs from the NFC one. */
static size_t nfd_differs;

/*
 * Put NFC text want through the form it arrives in (NFD when nfd) and
 * text_nfc, as config loading does. Caller frees.
 */
static char *
as_loaded(const char *want, int nfd, size_t run)
{
	char *in, *out;

	if (nfd) {
		in = (char *)utf8proc_NFD((const utf8proc_uint8_t *)want);
		ck_assert_ptr_nonnull(in);
		if (strcmp(in, want) != 0)
			nfd_differs++;
	} else
		in = strdup(want);
	out = text_nfc(in);
	ck_assert_msg(out != NULL, "run %zu: text_nfc failed", run);
	ck_assert_msg(strcmp(out, want) == 0,
	    "run %zu: text_nfc of the NFD "
	    "form is not the NFC form",
	    run);
	free(in);
	return out;
}

START_TEST(test_property_vietnamese)
{
	struct loaded	  *w = seed_loaded();
	struct plan	  *p = w->w.plans[0];
	struct event	  *ev = event_get(p, "hoi-nghi");
	const char	  *env = getenv("LOA_ICAL_SEED");
	unsigned long long seed = env ? strtoull(env, NULL, 0) : PROP_SEED;
	size_t		   run, nfd_runs = 0, folded = 0;

	rng_state = seed ? seed : PROP_SEED;
	nfd_differs = 0;
	for (run = 0; run < PROP_RUNS; run++) {
		size_t	       mark = npool, i, nsum = 0;
		char	      *title = kstr(vi_random(PROP_MAXLEN));
		char	      *desc = kstr(vi_random(PROP_MAXLEN));
		int	       nfd = run % 2;
		struct event   copy = *ev;
		char	      *what = kprintf("property run %zu (seed %#llx, "
						       "%s)",
			     run, seed, nfd ? "NFD" : "NFC");
		struct doc    *d;
		icalcomponent *ve, *cal2;
		const char    *sum = NULL;

		copy.title = kstr(as_loaded(title, nfd, run));
		copy.description = kstr(as_loaded(desc, nfd, run));
		copy.nagenda = 0;
		nfd_runs += nfd;

		/* Lines, UTF-8 and libical's 0 errors: doc_open. */
		d = doc_open(ical_request(p, &copy, 0, LOCAL_TIME(STAMP_NOW)),
		    what);

		/* libical reads the title and description back exactly. */
		ve = doc_vevent(d);
		ck_assert_msg(strcmp(icalcomponent_get_summary(ve), title) == 0,
		    "%s: SUMMARY read back as\n[%s]\nexpected\n[%s]", what,
		    icalcomponent_get_summary(ve), title);
		ck_assert_msg(strcmp(icalcomponent_get_description(ve), desc) ==
			0,
		    "%s: DESCRIPTION read back as\n[%s]\nexpected"
		    "\n[%s]",
		    what, icalcomponent_get_description(ve), desc);

		/* Unfolded: one SUMMARY line, and libical reads it the same. */
		for (i = 0; i < d->n; i++)
			if (prop_is(d->line[i], "SUMMARY") &&
			    strcmp(d->comp[i], "VEVENT") == 0) {
				sum = d->line[i];
				nsum++;
			}
		ck_assert_msg(nsum == 1, "%s: %zu SUMMARY lines", what, nsum);
		if (strlen(sum) > 75)
			folded++;
		{
			char *one = kprintf("BEGIN:VCALENDAR\r\n"
					    "VERSION:2.0\r\nPRODID:x\r\n"
					    "BEGIN:VEVENT\r\nUID:u\r\n"
					    "DTSTAMP:" STAMP_UTC "\r\n%s\r\n"
					    "END:VEVENT\r\nEND:VCALENDAR\r\n",
			    sum);

			cal2 = icalparser_parse_string(one);
			ck_assert_ptr_nonnull(cal2);
			keep(POOL_ICAL, cal2);
			ck_assert_int_eq(icalcomponent_count_errors(cal2), 0);
			ck_assert_msg(
			    strcmp(icalcomponent_get_summary(
				       icalcomponent_get_first_component(cal2,
					   ICAL_VEVENT_COMPONENT)),
				title) == 0,
			    "%s: the unfolded SUMMARY line reads back "
			    "differently",
			    what);
		}
		/* And the whole unfolded object parses the same. */
		cal2 = icalparser_parse_string(kstr(unfold(d->raw)));
		ck_assert_ptr_nonnull(cal2);
		keep(POOL_ICAL, cal2);
		ck_assert_int_eq(icalcomponent_count_errors(cal2), 0);
		ck_assert_str_eq(icalcomponent_get_summary(
				     icalcomponent_get_first_component(cal2,
					 ICAL_VEVENT_COMPONENT)),
		    title);
		release_to(mark);
	}
	/* The test tested what it says: NFD input, folded titles. */
	ck_assert_uint_eq(nfd_runs, PROP_RUNS / 2);
	ck_assert_uint_ge(nfd_differs, 2 * (PROP_RUNS / 2) * 9 / 10);
	ck_assert_uint_ge(folded, PROP_RUNS * 3 / 4);
}
END_TEST

static Suite *
ical_suite(void)
{
	Suite *s = suite_create("ical");
	TCase *tc;

	tc = tcase_create("fold");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_fold_lengths);
	tcase_add_test(tc, test_fold_utf8_boundaries);
	tcase_add_test(tc, test_fold_random_utf8);
	tcase_add_test(tc, test_unfold);
	tcase_add_test(tc, test_finish_quotes);
	tcase_add_test(tc, test_finish_refolds);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_request_calendar);
	tcase_add_test(tc, test_request_uid_sequence_dtstamp);
	tcase_add_test(tc, test_request_organizer_attendees);
	tcase_add_test(tc, test_request_valarm);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_cancel_whole);
	tcase_add_test(tc, test_cancel_one_listed);
	tcase_add_test(tc, test_cancel_one_removed);
	suite_add_tcase(s, tc);

	tc = tcase_create("publish");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_tasks);
	tcase_add_test(tc, test_task_events);
	tcase_add_test(tc, test_feed_seed);
	tcase_add_test(tc, test_feed_tentative);
	tcase_add_test(tc, test_feed_name_trimmed);
	suite_add_tcase(s, tc);

	tc = tcase_create("configs");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_every_config);
	suite_add_tcase(s, tc);

	tc = tcase_create("property");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_property_vietnamese);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ical_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tz_cleanup();
	icalmemory_free_ring();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
