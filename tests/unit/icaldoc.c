/*
 * icaldoc.c: the iCalendar suites' pool, worlds and document checks (see
 * icalfx.h).
 */
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
#include "util/strmap.h"
#include "icalfx.h"

/* The pool (icalfx.h). */
struct pool_item {
	enum pool_kind kind;
	void	      *p;
};

static struct pool_item *pool;
static size_t		 npool, cappool;

void *
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

size_t
pool_mark(void)
{
	return npool;
}

/* Free the pool back to mark entries. */
void
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

void
ifx_teardown(void)
{
	release_to(0);
	free(pool);
	pool = NULL;
	cappool = 0;
}

char *
kstr(char *s)
{
	ck_assert_ptr_nonnull(s);
	return keep(POOL_FREE, s);
}

char *
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
char *
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

void
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
struct loaded *
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
char *
data_path(const char *env, const char *rel)
{
	const char *dir = getenv(env);

	ck_assert_msg(dir != NULL, "%s is not set", env);
	return kprintf("%s/%s", dir, rel);
}

struct loaded *
seed_loaded(void)
{
	return loaded_try(data_path("LOA_SRC", "conf/loa.cfg"), 0);
}

struct event *
event_get(struct plan *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nevents; i++)
		if (strcmp(p->events[i].id, id) == 0)
			return &p->events[i];
	ck_abort_msg("no event %s in plan %s", id, p->id);
	return NULL;
}

const struct contact *
person_get(struct plan *p, const char *id)
{
	const struct named *n = strmap_get(p->names, id);

	ck_assert_msg(n != NULL && n->kind == N_PERSON, "no person %s", id);
	return n->p;
}

/* Text checks of our own. */

/* 1 when the n bytes at s are valid UTF-8. */
int
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
 * The folding rules of conf/REFERENCE.md §7 on text ics: every physical line
 * ends in CRLF and has no other CR or LF, holds at most 75 octets and is valid
 * UTF-8 by itself (so a continuation line never starts with a 10xxxxxx
 * byte and no line ends inside a sequence). For a whole object (whole),
 * also: no empty line, and the first line is not a continuation line.
 */
void
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

void
check_physical(const char *ics, const char *what)
{
	check_lines(ics, what, 1);
}

/* RFC 5545 §3.1 unfolding: drop every CRLF followed by a space or tab. */
char *
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
int
prop_is(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(line, name, n) == 0 &&
	    (line[n] == ';' || line[n] == ':');
}

/* The value of a content line: after the first ':' outside quotes. */
const char *
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
char *
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
int
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
struct doc *
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
void
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
size_t
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
const char *
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
const char *
doc_one(const struct doc *d, const char *comp, const char *prop)
{
	size_t n = doc_count(d, comp, prop);

	ck_assert_msg(n == 1, "%s: %zu %s in %s; expected one", d->what, n,
	    prop, comp ? comp : "any component");
	return doc_line(d, comp, prop, 0);
}

/* How many BEGIN:comp lines. */
size_t
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
int
doc_has(const struct doc *d, const char *s)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strstr(d->line[i], s) != NULL)
			return 1;
	return 0;
}

/* The calendar-level checks every object shares. */
void
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
void
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
void
check_local_time(const struct doc *d, const char *line, const char *name,
    const char *stamp)
{
	char *want = kprintf("%s;TZID=%s:%s", name, ZONE, stamp);

	ck_assert_msg(line != NULL, "%s: no %s", d->what, name);
	ck_assert_msg(strcmp(line, want) == 0, "%s: %s; expected %s", d->what,
	    line, want);
}

/* DTSTAMP: UTC, ending in Z, equal to stamp. */
void
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
icalcomponent *
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
void
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
void
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

/* A non-ASCII CN, if any, is double-quoted (conf/REFERENCE.md §7). */
void
check_cn_quoted(const struct doc *d, const char *line)
{
	char *cn = prop_param(line, "CN");

	if (cn != NULL && non_ascii(cn))
		ck_assert_msg(strlen(cn) >= 2 && cn[0] == '"' &&
			cn[strlen(cn) - 1] == '"',
		    "%s: CN not double-quoted: %s", d->what, line);
}

/* The libical property of kind k in c whose value is value, or NULL. */
icalproperty *
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
icalcomponent *
doc_vevent(const struct doc *d)
{
	icalcomponent *ve = icalcomponent_get_first_component(d->cal,
	    ICAL_VEVENT_COMPONENT);

	ck_assert_msg(ve != NULL, "%s: no VEVENT", d->what);
	return ve;
}

/* The random numbers of the tests (xorshift64*), from rng_state. */
unsigned long long rng_state;

unsigned
rng(unsigned n)
{
	unsigned long long x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return (unsigned)((x * 0x2545f4914f6cdd1dULL) >> 33) % n;
}
