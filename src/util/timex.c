/*
 * timex.c: civil calendar arithmetic, time zones through libical, and the
 * parser and evaluator of conf/REFERENCE.md §2 time expressions.
 */
#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "util/timex.h"
#include "util/mem.h"

int64_t
civil_days(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	assert(m >= 1 && m <= 12); /* the day-of-year formula's months */

	return era * 146097 + doe - 719468;
}

void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
	assert(*m >= 1 && *m <= 12 && *d >= 1 && *d <= 31);
}

int
civil_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int		 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

int
civil_weekday(int64_t days)
{
	int64_t w = (days + 3) % 7; /* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w);
}

int64_t
civil_day_of(int64_t secs)
{
	return secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
}

/* Time zones. */

struct tz {
	icaltimezone *zone;
	char	     *name;
	int	      fixed; /* offset never changes after 1976 */
	int	      fixed_offset;
};

static struct tz     **tz_cache;
static size_t	       tz_ncache, tz_capcache;
/* The HTTP API loads a world on its thread beside the engine. */
static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;

static struct icaltimetype
tz_icaltime(int64_t secs)
{
	struct icaltimetype t = ICALTIMETYPE_INITIALIZER;
	int64_t		    days = civil_day_of(secs);
	int64_t		    rem = secs - days * 86400;

	civil_from_days(days, &t.year, &t.month, &t.day);
	t.hour = (int)(rem / 3600);
	t.minute = (int)(rem % 3600 / 60);
	t.second = (int)(rem % 60);
	return t;
}

static int
tz_offset_raw(const struct tz *z, int64_t utc)
{
	struct icaltimetype t = tz_icaltime(utc);
	int		    dst = 0;

	return icaltimezone_get_utc_offset_of_utc_time(z->zone, &t, &dst);
}

static const struct tz *
tz_get_locked(const char *name)
{
	struct tz    *z;
	icaltimezone *iz;
	size_t	      i;
	int64_t	      t;

	for (i = 0; i < tz_ncache; i++)
		if (strcmp(tz_cache[i]->name, name) == 0)
			return tz_cache[i];
	if (strcmp(name, "UTC") == 0)
		iz = icaltimezone_get_utc_timezone();
	else
		iz = icaltimezone_get_builtin_timezone(name);
	if (iz == NULL)
		return NULL;
	z = xcalloc(1, sizeof(*z));
	z->zone = iz;
	z->name = xstrdup(name);
	/*
	 * Most zones loa serves (Asia/Ho_Chi_Minh) have kept one offset for
	 * decades: probe one instant a month from 1976 to 2100 once, and skip
	 * libical on every later conversion when nothing changes.
	 */
	z->fixed = 1;
	z->fixed_offset = tz_offset_raw(z, civil_days(1976, 1, 1) * 86400);
	for (t = civil_days(1976, 1, 1); t < civil_days(2100, 1, 1); t += 15)
		if (tz_offset_raw(z, t * 86400) != z->fixed_offset) {
			z->fixed = 0;
			break;
		}
	xgrow(&tz_cache, &tz_capcache, tz_ncache + 1, sizeof(*tz_cache));
	tz_cache[tz_ncache++] = z;
	return z;
}

const struct tz *
tz_get(const char *name)
{
	const struct tz *z;

	pthread_mutex_lock(&tz_mu);
	z = tz_get_locked(name);
	pthread_mutex_unlock(&tz_mu);
	return z;
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

int
tz_offset(const struct tz *z, int64_t utc)
{
	assert(z != NULL && (z->fixed || z->zone != NULL));
	if (z->fixed && utc >= civil_days(1976, 1, 1) * 86400)
		return z->fixed_offset;
	return tz_offset_raw(z, utc);
}

int64_t
tz_to_local(const struct tz *z, int64_t utc)
{
	return utc + tz_offset(z, utc);
}

int64_t
tz_to_utc(const struct tz *z, int64_t local)
{
	struct icaltimetype t;
	int		    dst = 0;

	if (z->fixed && local >= civil_days(1976, 1, 2) * 86400)
		return local - z->fixed_offset;
	t = tz_icaltime(local);
	return local - icaltimezone_get_utc_offset(z->zone, &t, &dst);
}

int
tz_fixed(const struct tz *z, int *offset)
{
	*offset = z->fixed_offset;
	return z->fixed;
}

void *
tz_libical(const struct tz *z)
{
	return z->zone;
}

void
tz_cleanup(void)
{
	size_t i;

	for (i = 0; i < tz_ncache; i++) {
		free(tz_cache[i]->name);
		free(tz_cache[i]);
	}
	free(tz_cache);
	tz_cache = NULL;
	tz_ncache = tz_capcache = 0;
	icaltimezone_free_builtin_timezones();
}

void
tz_rfc3339(const struct tz *z, int64_t utc, char *out, size_t len)
{
	int	off = tz_offset(z, utc);
	int64_t local = utc + off, days = civil_day_of(local);
	int64_t rem = local - days * 86400;
	int	y, m, d, a = off < 0 ? -off : off;

	civil_from_days(days, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
	    (int)(rem / 3600), (int)(rem % 3600 / 60), (int)(rem % 60),
	    off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

/* Business days. */

int
calendar_is_business_day(const struct calendar *c, int64_t days)
{
	size_t lo = 0, hi = c->nholidays;

	if (civil_weekday(days) >= 5)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->holidays[mid] == days)
			return 0;
		if (c->holidays[mid] < days)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1;
}

/* Parsing. */

static int
timex_digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int	    i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* Parse "HH:MM" at *sp; advance past it. */
static int
timex_hhmm_at(const char **sp, int *minute, char *err, size_t errlen)
{
	const char *s = *sp;
	int	    h, m;

	if (!isdigit((unsigned char)s[0]) ||
	    timex_digits(&s, isdigit((unsigned char)s[1]) ? 2 : 1, &h) == -1 ||
	    *s++ != ':' || timex_digits(&s, 2, &m) == -1) {
		snprintf(err, errlen, "expected a time of day HH:MM");
		return -1;
	}
	if (h > 23 || m > 59) {
		snprintf(err, errlen, "impossible time %02d:%02d", h, m);
		return -1;
	}
	*minute = h * 60 + m;
	*sp = s;
	return 0;
}

int
timex_parse_hhmm(const char *s, int *minute)
{
	char err[64];

	if (timex_hhmm_at(&s, minute, err, sizeof(err)) == -1 || *s != '\0')
		return -1;
	return 0;
}

int
timex_parse_date(const char *s, int64_t *days, char *err, size_t errlen)
{
	int y, m, d;

	if (timex_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    timex_digits(&s, 2, &m) == -1 || *s++ != '-' ||
	    timex_digits(&s, 2, &d) == -1 || *s != '\0') {
		snprintf(err, errlen, "expected a date YYYY-MM-DD");
		return -1;
	}
	if (!civil_valid(y, m, d)) {
		snprintf(err, errlen, "impossible date %04d-%02d-%02d", y, m,
		    d);
		return -1;
	}
	*days = civil_days(y, m, d);
	return 0;
}

static void
timex_skip_space(const char **sp)
{
	while (**sp == ' ' || **sp == '\t')
		(*sp)++;
}

/* Parse one unit name at *sp. */
static int
timex_unit(const char **sp, enum timex_unit *u, char *err, size_t errlen)
{
	const char *s = *sp;
	size_t	    n = 0;

	while (isalpha((unsigned char)s[n]))
		n++;
	if (n == 1 && s[0] == 'm')
		*u = TUNIT_MIN;
	else if (n == 1 && s[0] == 'h')
		*u = TUNIT_HOUR;
	else if (n == 1 && s[0] == 'd')
		*u = TUNIT_DAY;
	else if (n == 1 && s[0] == 'w')
		*u = TUNIT_WEEK;
	else if (n == 2 && s[0] == 'b' && s[1] == 'd')
		*u = TUNIT_BDAY;
	else {
		if (n == 0)
			snprintf(err, errlen,
			    "missing time unit after the "
			    "number; expected m, h, d, w or bd");
		else
			snprintf(err, errlen,
			    "bad time unit '%.*s'; expected "
			    "m, h, d, w or bd",
			    (int)n, s);
		return -1;
	}
	*sp = s + n;
	return 0;
}

static const char *const timex_ref_names[] = {
	"issued",
	"now",
	"start",
	"end",
	"due",
};

/*
 * Find the reference at the head of s: "plan.issued", "now", "start",
 * "end", "due" or "ID.start|end|due". Ids may hold '-', so the reference
 * ends where a keyword is followed by the end, a blank, '+', or '-' and a
 * digit.
 */
static int
timex_ref(const char **sp, struct texpr *x, char *err, size_t errlen)
{
	const char *s = *sp, *p;
	size_t	    run = 0, i, kl;

	while (
	    s[run] != '\0' && s[run] != ' ' && s[run] != '\t' && s[run] != '+')
		run++;
	for (p = s; p < s + run; p++) {
		if (p != s && p[-1] != '.')
			continue;
		for (i = 0;
		     i < sizeof(timex_ref_names) / sizeof(timex_ref_names[0]);
		     i++) {
			const char *e;

			kl = strlen(timex_ref_names[i]);
			if (strncmp(p, timex_ref_names[i], kl) != 0)
				continue;
			e = p + kl;
			if (e != s + run &&
			    !(e[0] == '-' && isdigit((unsigned char)e[1])))
				continue;
			if (p == s) {
				if (i == TREF_ISSUED)
					continue; /* needs "plan." */
				x->obj = NULL;
			} else {
				size_t il = (size_t)(p - 1 - s);

				if (i == TREF_NOW)
					continue;
				if (i == TREF_ISSUED &&
				    (il != 4 || strncmp(s, "plan", 4) != 0))
					continue;
				if (il == 0)
					continue;
				x->obj = i == TREF_ISSUED ? NULL :
							    xstrndup(s, il);
			}
			x->ref = (enum timex_ref)i;
			*sp = e;
			return 0;
		}
	}
	snprintf(err, errlen,
	    "unknown reference '%.*s'; expected plan.issued, "
	    "now, start, end, due, or ID.start, ID.end, ID.due",
	    (int)run, s);
	return -1;
}

int
timex_parse(const char *s0, struct texpr *x, char *err, size_t errlen)
{
	const char *s = s0;
	size_t	    cap = 0;

	memset(x, 0, sizeof(*x));
	x->minute = -1;
	x->at = -1;
	timex_skip_space(&s);
	if (isdigit((unsigned char)s[0])) {
		if (timex_digits(&s, 4, &x->y) == -1 || *s++ != '-' ||
		    timex_digits(&s, 2, &x->mo) == -1)
			goto syntax;
		if (*s == '-') {
			s++;
			if (timex_digits(&s, 2, &x->d) == -1)
				goto syntax;
			x->kind = TIMEX_ABS;
			if (!civil_valid(x->y, x->mo, x->d)) {
				snprintf(err, errlen,
				    "impossible date "
				    "%04d-%02d-%02d",
				    x->y, x->mo, x->d);
				return -1;
			}
			if (*s == 'T' ||
			    (*s == ' ' &&
				isdigit((unsigned char)s[strspn(s, " ")]))) {
				s++;
				timex_skip_space(&s);
				if (timex_hhmm_at(&s, &x->minute, err,
					errlen) == -1)
					return -1;
			}
		} else {
			x->kind = TIMEX_MONTH;
			x->d = 1;
			if (x->mo < 1 || x->mo > 12 || x->y < 1900) {
				snprintf(err, errlen,
				    "impossible month "
				    "%04d-%02d",
				    x->y, x->mo);
				return -1;
			}
		}
		timex_skip_space(&s);
		if (*s != '\0')
			goto syntax;
		return 0;
	}

	x->kind = TIMEX_REL;
	if (timex_ref(&s, x, err, errlen) == -1)
		return -1;
	for (;;) {
		int sign, n;

		timex_skip_space(&s);
		if (*s != '+' && *s != '-')
			break;
		sign = *s++ == '+' ? 1 : -1;
		timex_skip_space(&s);
		if (!isdigit((unsigned char)*s)) {
			snprintf(err, errlen, "expected a number after '%c'",
			    sign > 0 ? '+' : '-');
			goto fail;
		}
		/* "+ 3h30m": several number-unit pairs share one sign. */
		while (isdigit((unsigned char)*s)) {
			struct timex_offset *o;

			n = 0;
			while (isdigit((unsigned char)*s)) {
				if (n > 9999) {
					snprintf(err, errlen,
					    "offset too "
					    "large (at most 99999)");
					goto fail;
				}
				n = n * 10 + (*s++ - '0');
			}
			xgrow(&x->off, &cap, x->noff + 1, sizeof(*x->off));
			o = &x->off[x->noff++];
			o->n = sign * n;
			if (timex_unit(&s, &o->unit, err, errlen) == -1)
				goto fail;
			timex_skip_space(&s);
		}
	}
	if (strncmp(s, "at", 2) == 0 && (s[2] == ' ' || s[2] == '\t')) {
		s += 2;
		timex_skip_space(&s);
		if (timex_hhmm_at(&s, &x->at, err, errlen) == -1)
			goto fail;
		timex_skip_space(&s);
	}
	if (*s != '\0') {
		snprintf(err, errlen,
		    "unexpected '%s'; expected '+ N UNIT', "
		    "'- N UNIT' or 'at HH:MM'",
		    s);
		goto fail;
	}
	return 0;

syntax:
	snprintf(err, errlen,
	    "expected YYYY-MM-DD [HH:MM], YYYY-MM, or "
	    "REF [+|- N UNIT]... [at HH:MM]");
fail:
	timex_free(x);
	return -1;
}

void
timex_free(struct texpr *x)
{
	free(x->obj);
	free(x->off);
	x->obj = NULL;
	x->off = NULL;
	x->noff = 0;
}

/* Evaluation. */

static int64_t
timex_step_bdays(const struct calendar *c, int64_t day, int n)
{
	int step = n < 0 ? -1 : 1;

	while (n != 0) {
		day += step;
		if (calendar_is_business_day(c, day))
			n -= step;
	}
	return day;
}

int64_t
timex_apply(const struct calendar *c, const struct texpr *x, int64_t t)
{
	size_t i;

	for (i = 0; i < x->noff; i++) {
		const struct timex_offset *o = &x->off[i];
		int64_t			   local, day, tod;

		switch (o->unit) {
		case TUNIT_MIN:
			t += (int64_t)o->n * 60;
			continue;
		case TUNIT_HOUR:
			t += (int64_t)o->n * 3600;
			continue;
		default:
			break;
		}
		local = tz_to_local(c->tz, t);
		day = civil_day_of(local);
		tod = local - day * 86400;
		if (o->unit == TUNIT_DAY)
			day += o->n;
		else if (o->unit == TUNIT_WEEK)
			day += (int64_t)o->n * 7;
		else
			day = timex_step_bdays(c, day, o->n);
		t = tz_to_utc(c->tz, day * 86400 + tod);
	}
	if (x->at >= 0) {
		int64_t day = civil_day_of(tz_to_local(c->tz, t));

		t = tz_to_utc(c->tz, day * 86400 + (int64_t)x->at * 60);
	}
	return t;
}

int64_t
timex_absolute(const struct calendar *c, const struct texpr *x,
    int date_is_end_of_day)
{
	int64_t day = civil_days(x->y, x->mo, x->d);
	int	minute = x->minute;

	if (minute < 0)
		minute = (x->kind == TIMEX_ABS && date_is_end_of_day) ?
		    23 * 60 + 59 :
		    0;
	return tz_to_utc(c->tz, day * 86400 + (int64_t)minute * 60);
}

int
timex_parse_duration(const char *s, int64_t *secs, char *err, size_t errlen)
{
	int64_t total = 0;
	int	any = 0;

	timex_skip_space(&s);
	while (*s != '\0') {
		int64_t n = 0, mul;

		if (!isdigit((unsigned char)*s))
			goto bad;
		while (isdigit((unsigned char)*s)) {
			if (n > 100000000)
				goto bad;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s++) {
		case 's':
			mul = 1;
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		case 'w':
			mul = 7 * 86400;
			break;
		default:
			goto bad;
		}
		total += n * mul;
		any = 1;
		timex_skip_space(&s);
	}
	if (!any)
		goto bad;
	*secs = total;
	return 0;
bad:
	snprintf(err, errlen,
	    "expected a duration such as \"30s\", \"5m\" "
	    "or \"3h30m\" (units s, m, h, d, w)");
	return -1;
}

int
timex_parse_instant(const struct tz *z, const char *s, int64_t *out)
{
	int	y, mo, d, h = 0, mi = 0, sec = 0, oh, om, leap;
	int64_t local, utc;

	if (timex_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    timex_digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    timex_digits(&s, 2, &d) == -1 || !civil_valid(y, mo, d))
		return -1;
	if (*s == ' ' || *s == 'T') {
		s++;
		if (timex_digits(&s, 2, &h) == -1 || *s++ != ':' ||
		    timex_digits(&s, 2, &mi) == -1)
			return -1;
		if (*s == ':') {
			s++;
			if (timex_digits(&s, 2, &sec) == -1)
				return -1;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	/* A leap second (:60) is read as :59 and one second on. */
	leap = sec == 60;
	local = civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - leap;
	if (*s == '\0')
		utc = tz_to_utc(z, local);
	else if (*s == 'Z' && s[1] == '\0')
		utc = local;
	else if ((*s == '+' || *s == '-') && s[1] != '\0') {
		int sign = *s++ == '+' ? 1 : -1;

		/* RFC 3339's time-numoffset: hours 00-23, minutes 00-59. */
		if (timex_digits(&s, 2, &oh) == -1 || *s++ != ':' ||
		    timex_digits(&s, 2, &om) == -1 || *s != '\0' || oh > 23 ||
		    om > 59)
			return -1;
		utc = local - sign * (oh * 3600 + om * 60);
	} else
		return -1;
	/* Leap seconds are inserted at the end of a UTC day alone: there it
	 * is the next day's 00:00:00, as POSIX time counts it. */
	if (leap && (utc + 1) % 86400 != 0)
		return -1;
	*out = utc + leap;
	return 0;
}

int64_t
quiet_adjust(const struct calendar *c, const struct quiet *q, int64_t utc,
    int64_t refers)
{
	int64_t local, day, began, ended, moved;
	int	m;

	if (q->start == q->end)
		return utc;
	local = tz_to_local(c->tz, utc);
	day = civil_day_of(local);
	m = (int)((local - day * 86400) / 60);
	if (q->start < q->end) {
		if (m < q->start || m >= q->end)
			return utc;
		began = day * 86400 + (int64_t)q->start * 60;
		ended = day * 86400 + (int64_t)q->end * 60;
	} else if (m >= q->start) { /* evening part */
		began = day * 86400 + (int64_t)q->start * 60;
		ended = (day + 1) * 86400 + (int64_t)q->end * 60;
	} else if (m < q->end) { /* morning part */
		began = (day - 1) * 86400 + (int64_t)q->start * 60;
		ended = day * 86400 + (int64_t)q->end * 60;
	} else
		return utc;
	moved = tz_to_utc(c->tz, ended);
	if (refers != TIMEX_NONE && moved > refers)
		moved = tz_to_utc(c->tz, began - 60);
	return moved;
}
