/*
 * check_timex.c: unit tests for timex.h: civil date arithmetic, the time
 * expressions of conf/REFERENCE.md §2 (absolute, month, relative with
 * m/h/d/w/bd and "at HH:MM"), business days over weekends and holidays, quiet
 * hours, parse errors, and the duration, HH:MM, date and instant parsers.
 *
 * Every instant is compared as an RFC 3339 local time in Asia/Ho_Chi_Minh
 * (UTC+7, no daylight time) so that a failure reads like a wall clock.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/timex.h"
#include "testutil.h"


static const struct tz *vn;
static int64_t		holidays[6];
static struct calendar	cal;

/* Build the calendar: New Year 2026 and the Tết week 2026-02-16..20. */
static void
calendar_setup(void)
{
	size_t i;

	vn = tz_get(ZONE);
	if (vn == NULL) {
		fprintf(stderr, "check_timex: no time zone %s\n", ZONE);
		exit(1);
	}
	holidays[0] = civil_days(2026, 1, 1);
	for (i = 0; i < 5; i++)
		holidays[1 + i] = civil_days(2026, 2, 16 + (int)i);
	cal.tz = vn;
	cal.holidays = holidays;
	cal.nholidays = NELEM(holidays);
}

/* A local wall-clock time "YYYY-MM-DD HH:MM" in the zone, as UTC. */
static int64_t
local(const char *s)
{
	int64_t t = 0;

	ck_assert_msg(timex_parse_instant(vn, s, &t) == 0,
	    "test setup: bad local time \"%s\"", s);
	return t;
}

/* Format utc as RFC 3339 local time into a static buffer. */
static const char *
fmt(int64_t utc)
{
	static char buf[4][40];
	static int  k;

	k = (k + 1) % 4;
	tz_rfc3339(vn, utc, buf[k], sizeof(buf[k]));
	return buf[k];
}

/* Civil calendar. */

START_TEST(test_civil_known)
{
	ck_assert_int_eq(civil_days(1970, 1, 1), 0);
	ck_assert_int_eq(civil_days(1969, 12, 31), -1);
	ck_assert_int_eq(civil_days(1970, 1, 2), 1);
	ck_assert_int_eq(civil_days(2000, 1, 1), 10957);
	ck_assert_int_eq(civil_days(1900, 1, 1), -25567);
	ck_assert_int_eq(civil_days(2000, 3, 1) - civil_days(2000, 2, 28), 2);
	ck_assert_int_eq(civil_days(1900, 3, 1) - civil_days(1900, 2, 28), 1);
	ck_assert_int_eq(civil_days(2025, 12, 26), 20448);
}
END_TEST

static int
month_len(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int		 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return mdays[m - 1] + (m == 2 && leap);
}

/*
 * Walk every day from 1600-01-01 to 2400-12-31 with a naive counter and
 * check both directions of the conversion, and that weekdays advance.
 */
START_TEST(test_civil_roundtrip)
{
	int64_t z, first, last;
	int	y = 1600, m = 1, d = 1, yy, mm, dd, wd;

	first = civil_days(1600, 1, 1);
	last = civil_days(2400, 12, 31);
	wd = civil_weekday(first);
	for (z = first; z <= last; z++) {
		civil_from_days(z, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d)
			ck_abort_msg("civil_from_days(%lld) = %04d-%02d-%02d, "
				     "want %04d-%02d-%02d",
			    (long long)z, yy, mm, dd, y, m, d);
		if (civil_days(y, m, d) != z)
			ck_abort_msg("civil_days(%04d-%02d-%02d) = %lld, "
				     "want %lld",
			    y, m, d, (long long)civil_days(y, m, d),
			    (long long)z);
		if (civil_weekday(z) != wd)
			ck_abort_msg("civil_weekday(%lld) = %d, want %d",
			    (long long)z, civil_weekday(z), wd);
		if (y >= 1900 && !civil_valid(y, m, d))
			ck_abort_msg("civil_valid(%04d-%02d-%02d) = 0", y, m,
			    d);
		wd = (wd + 1) % 7;
		if (++d > month_len(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	ck_assert_int_eq(y, 2401);
}
END_TEST

START_TEST(test_civil_weekday)
{
	ck_assert_int_eq(civil_weekday(civil_days(2025, 12, 26)), 4); /* Fri */
	ck_assert_int_eq(civil_weekday(civil_days(2025, 12, 27)), 5); /* Sat */
	ck_assert_int_eq(civil_weekday(civil_days(2025, 12, 28)), 6); /* Sun */
	ck_assert_int_eq(civil_weekday(civil_days(2025, 12, 29)), 0); /* Mon */
	ck_assert_int_eq(civil_weekday(civil_days(2026, 2, 16)), 0);  /* Mon */
	ck_assert_int_eq(civil_weekday(0), 3);	/* 1970-01-01 Thu */
	ck_assert_int_eq(civil_weekday(-1), 2); /* 1969-12-31 Wed */
	ck_assert_int_eq(civil_weekday(civil_days(1945, 9, 2)), 6); /* Sun */
}
END_TEST

START_TEST(test_civil_valid)
{
	ck_assert(civil_valid(2024, 2, 29));
	ck_assert(civil_valid(2000, 2, 29));
	ck_assert(!civil_valid(2025, 2, 29));
	ck_assert(!civil_valid(1900, 2, 29));
	ck_assert(!civil_valid(2025, 2, 30));
	ck_assert(!civil_valid(2025, 4, 31));
	ck_assert(civil_valid(2025, 12, 31));
	ck_assert(!civil_valid(2025, 13, 1));
	ck_assert(!civil_valid(2025, 0, 1));
	ck_assert(!civil_valid(2025, 1, 0));
}
END_TEST

START_TEST(test_day_of)
{
	ck_assert_int_eq(civil_day_of(0), 0);
	ck_assert_int_eq(civil_day_of(86399), 0);
	ck_assert_int_eq(civil_day_of(86400), 1);
	ck_assert_int_eq(civil_day_of(-1), -1);
	ck_assert_int_eq(civil_day_of(-86400), -1);
	ck_assert_int_eq(civil_day_of(-86401), -2);
}
END_TEST

/* Zone. */

START_TEST(test_zone)
{
	int64_t t = civil_days(2025, 12, 26) * 86400 + 3600; /* 01:00Z */
	char	buf[40];

	ck_assert_ptr_nonnull(vn);
	ck_assert_ptr_eq(tz_get(ZONE), vn); /* cached */
	ck_assert_str_eq(tz_name(vn), ZONE);
	ck_assert_ptr_null(tz_get("Asia/Nowhere"));
	ck_assert_int_eq(tz_offset(vn, t), 7 * 3600);
	ck_assert_int_eq(tz_to_local(vn, t), t + 7 * 3600);
	ck_assert_int_eq(tz_to_utc(vn, t + 7 * 3600), t);
	tz_rfc3339(vn, t, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2025-12-26T08:00:00+07:00");
}
END_TEST

START_TEST(test_business_day)
{
	ck_assert(calendar_is_business_day(&cal, civil_days(2025, 12, 26)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2025, 12, 27)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2025, 12, 28)));
	ck_assert(calendar_is_business_day(&cal, civil_days(2025, 12, 31)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2026, 1, 1)));
	ck_assert(calendar_is_business_day(&cal, civil_days(2026, 1, 2)));
	ck_assert(calendar_is_business_day(&cal, civil_days(2026, 2, 13)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2026, 2, 16)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2026, 2, 18)));
	ck_assert(!calendar_is_business_day(&cal, civil_days(2026, 2, 20)));
	ck_assert(calendar_is_business_day(&cal, civil_days(2026, 2, 23)));
}
END_TEST

/*
 * Time expressions: one row per case. base is the local time the
 * reference stands for (NULL for absolute and month expressions), due
 * asks for a date alone to mean 23:59, want is the local result.
 */
struct expr_case {
	const char *label;
	const char *expr;
	const char *base;
	int	    due;
	const char *want;
};

static const struct expr_case expr_cases[] = {
	/* Absolute. */
	{ "date and time", "2025-12-26 08:00", NULL, 0,
	    "2025-12-26T08:00:00+07:00" },
	{ "date alone is 00:00", "2025-12-26", NULL, 0,
	    "2025-12-26T00:00:00+07:00" },
	{ "date alone as a due is 23:59", "2025-12-26", NULL, 1,
	    "2025-12-26T23:59:00+07:00" },
	{ "date and time as a due keeps the time", "2025-12-26 17:00", NULL, 1,
	    "2025-12-26T17:00:00+07:00" },
	{ "T separator", "2025-12-26T08:00", NULL, 0,
	    "2025-12-26T08:00:00+07:00" },
	{ "last minute of the year", "2025-12-31 23:59", NULL, 0,
	    "2025-12-31T23:59:00+07:00" },
	{ "leap day", "2024-02-29 12:00", NULL, 0,
	    "2024-02-29T12:00:00+07:00" },
	{ "plan issued date", "2025-11-28", NULL, 0,
	    "2025-11-28T00:00:00+07:00" },
	{ "month only is the 1st at 00:00", "2025-12", NULL, 0,
	    "2025-12-01T00:00:00+07:00" },
	{ "month only ignores due", "2025-12", NULL, 1,
	    "2025-12-01T00:00:00+07:00" },
	{ "month only, January", "2026-01", NULL, 0,
	    "2026-01-01T00:00:00+07:00" },

	/* Bare references: the base itself. */
	{ "bare start", "start", "2025-12-26 08:00", 0,
	    "2025-12-26T08:00:00+07:00" },
	{ "bare end", "end", "2025-12-26 11:30", 0,
	    "2025-12-26T11:30:00+07:00" },
	{ "bare due", "due", "2025-12-16 17:00", 0,
	    "2025-12-16T17:00:00+07:00" },
	{ "now", "now", "2025-12-20 09:15", 0, "2025-12-20T09:15:00+07:00" },
	{ "plan.issued", "plan.issued", "2025-11-28 00:00", 0,
	    "2025-11-28T00:00:00+07:00" },

	/* Minutes and hours move the instant. */
	{ "start + 30m", "start + 30m", "2025-12-26 08:00", 0,
	    "2025-12-26T08:30:00+07:00" },
	{ "start - 90m", "start - 90m", "2025-12-26 08:00", 0,
	    "2025-12-26T06:30:00+07:00" },
	{ "start - 2h (seed reminder)", "start - 2h", "2025-12-26 08:00", 0,
	    "2025-12-26T06:00:00+07:00" },
	{ "hours past midnight", "start + 20h", "2025-12-26 08:00", 0,
	    "2025-12-27T04:00:00+07:00" },
	{ "hours back over midnight", "start - 9h", "2025-12-26 08:00", 0,
	    "2025-12-25T23:00:00+07:00" },

	/* Days and weeks move the date and keep the time of day. */
	{ "end + 1d", "hoi-nghi.end + 1d", "2025-12-26 11:30", 0,
	    "2025-12-27T11:30:00+07:00" },
	{ "end + 7d over the new year", "hoi-nghi.end + 7d", "2025-12-26 11:30",
	    0, "2026-01-02T11:30:00+07:00" },
	{ "due - 1d", "giay-moi.due - 1d", "2025-12-16 17:00", 0,
	    "2025-12-15T17:00:00+07:00" },
	{ "start + 1w", "start + 1w", "2025-12-26 08:00", 0,
	    "2026-01-02T08:00:00+07:00" },
	{ "start - 2w", "start - 2w", "2025-12-26 08:00", 0,
	    "2025-12-12T08:00:00+07:00" },
	{ "days over a leap day", "start + 1d", "2024-02-28 10:00", 0,
	    "2024-02-29T10:00:00+07:00" },

	/* Chains. */
	{ "start + 1d - 2h", "start + 1d - 2h", "2025-12-26 08:00", 0,
	    "2025-12-27T06:00:00+07:00" },
	{ "one sign, two pairs: + 3h30m", "start + 3h30m", "2025-12-26 08:00",
	    0, "2025-12-26T11:30:00+07:00" },
	{ "one sign, two pairs: - 1h30m", "start - 1h30m", "2025-12-26 08:00",
	    0, "2025-12-26T06:30:00+07:00" },
	{ "one sign, spaced pairs: + 1d 12h", "start + 1d 12h",
	    "2025-12-26 08:00", 0, "2025-12-27T20:00:00+07:00" },
	{ "no blanks: start+1d-30m", "start+1d-30m", "2025-12-26 08:00", 0,
	    "2025-12-27T07:30:00+07:00" },
	{ "week then business day", "start + 1w - 1bd", "2025-12-26 08:00", 0,
	    "2025-12-31T08:00:00+07:00" },

	/* at HH:MM. */
	{ "start at 17:00", "start at 17:00", "2025-12-26 08:00", 0,
	    "2025-12-26T17:00:00+07:00" },
	{ "invite: start - 7d at 08:00", "start - 7d at 08:00",
	    "2025-12-26 08:00", 0, "2025-12-19T08:00:00+07:00" },
	{ "reminder: start - 1d at 16:00", "start - 1d at 16:00",
	    "2025-12-26 08:00", 0, "2025-12-25T16:00:00+07:00" },
	{ "task due: hoi-nghi.start - 10d at 17:00",
	    "hoi-nghi.start - 10d at 17:00", "2025-12-26 08:00", 0,
	    "2025-12-16T17:00:00+07:00" },
	{ "at midnight", "start + 1d at 00:00", "2025-12-26 08:00", 0,
	    "2025-12-27T00:00:00+07:00" },
	{ "hours then at: the date after the hours", "start + 20h at 07:00",
	    "2025-12-26 08:00", 0, "2025-12-27T07:00:00+07:00" },

	/* Business days over weekends. */
	{ "Friday + 1bd = Monday", "start + 1bd", "2025-12-26 08:00", 0,
	    "2025-12-29T08:00:00+07:00" },
	{ "Monday - 1bd = Friday", "start - 1bd", "2025-12-29 08:00", 0,
	    "2025-12-26T08:00:00+07:00" },
	{ "Saturday - 1bd = Friday", "start - 1bd", "2025-12-27 10:00", 0,
	    "2025-12-26T10:00:00+07:00" },
	{ "Saturday + 1bd = Monday", "start + 1bd", "2025-12-27 10:00", 0,
	    "2025-12-29T10:00:00+07:00" },
	{ "Sunday + 1bd = Monday", "start + 1bd", "2025-12-28 10:00", 0,
	    "2025-12-29T10:00:00+07:00" },
	{ "Sunday - 1bd = Friday", "start - 1bd", "2025-12-28 10:00", 0,
	    "2025-12-26T10:00:00+07:00" },
	{ "+ 0bd on a Friday", "start + 0bd", "2025-12-26 08:00", 0,
	    "2025-12-26T08:00:00+07:00" },
	{ "Tuesday - 3bd = Thursday before", "start - 3bd", "2025-12-23 09:00",
	    0, "2025-12-18T09:00:00+07:00" },

	/* Business days over holidays. */
	{ "Wednesday + 1bd over New Year = Friday", "start + 1bd",
	    "2025-12-31 08:00", 0, "2026-01-02T08:00:00+07:00" },
	{ "Friday - 1bd over New Year = Wednesday", "start - 1bd",
	    "2026-01-02 08:00", 0, "2025-12-31T08:00:00+07:00" },
	{ "Friday + 5bd over New Year", "start + 5bd", "2025-12-26 08:00", 0,
	    "2026-01-05T08:00:00+07:00" },
	{ "negative: Friday - 6bd over New Year", "start - 6bd",
	    "2026-01-09 08:00", 0, "2025-12-31T08:00:00+07:00" },
	{ "Friday + 1bd over the Tết week", "start + 1bd", "2026-02-13 08:00",
	    0, "2026-02-23T08:00:00+07:00" },
	{ "Monday - 1bd over the Tết week", "start - 1bd", "2026-02-23 08:00",
	    0, "2026-02-13T08:00:00+07:00" },
	{ "inside Tết + 1bd", "start + 1bd", "2026-02-18 10:00", 0,
	    "2026-02-23T10:00:00+07:00" },
	{ "inside Tết - 1bd", "start - 1bd", "2026-02-18 10:00", 0,
	    "2026-02-13T10:00:00+07:00" },
	{ "Thursday + 3bd over Tết", "start + 3bd", "2026-02-12 08:00", 0,
	    "2026-02-24T08:00:00+07:00" },
	{ "remind: due - 3bd at 08:00 over Tết", "due - 3bd at 08:00",
	    "2026-02-24 17:00", 0, "2026-02-12T08:00:00+07:00" },
	{ "remind: due - 1bd at 08:00", "due - 1bd at 08:00",
	    "2025-12-16 17:00", 0, "2025-12-15T08:00:00+07:00" },
	{ "overdue: due + 1bd at 08:00", "due + 1bd at 08:00",
	    "2025-12-16 17:00", 0, "2025-12-17T08:00:00+07:00" },

	/* Ids holding '-'. */
	{ "hoi-nghi.start-3bd", "hoi-nghi.start-3bd", "2025-12-26 08:00", 0,
	    "2025-12-23T08:00:00+07:00" },
	{ "hoi-nghi.start - 3bd at 08:00", "hoi-nghi.start - 3bd at 08:00",
	    "2025-12-26 14:00", 0, "2025-12-23T08:00:00+07:00" },
	{ "tin-hoi-nghi.end + 2d", "tin-hoi-nghi.end + 2d", "2025-12-26 11:30",
	    0, "2025-12-28T11:30:00+07:00" },
};

START_TEST(test_expr)
{
	const struct expr_case *c = &expr_cases[_i];
	struct texpr		x;
	char			err[256] = "";
	int64_t			got;

	ck_assert_msg(timex_parse(c->expr, &x, err, sizeof(err)) == 0,
	    "%s: timex_parse(\"%s\") failed: %s", c->label, c->expr, err);
	if (c->base == NULL) {
		ck_assert_msg(x.kind == TIMEX_ABS || x.kind == TIMEX_MONTH,
		    "%s: \"%s\" is not absolute (kind %d)", c->label, c->expr,
		    x.kind);
		got = timex_absolute(&cal, &x, c->due);
	} else {
		ck_assert_msg(x.kind == TIMEX_REL,
		    "%s: \"%s\" is not relative (kind %d)", c->label, c->expr,
		    x.kind);
		got = timex_apply(&cal, &x, local(c->base));
	}
	timex_free(&x);
	ck_assert_msg(strcmp(fmt(got), c->want) == 0,
	    "%s: \"%s\" from %s gave %s, want %s", c->label, c->expr,
	    c->base != NULL ? c->base : "(absolute)", fmt(got), c->want);
}
END_TEST

/* What the parser makes of an expression. */
struct shape_case {
	const char     *expr;
	enum timex_kind kind;
	enum timex_ref	ref; /* TIMEX_REL only */
	const char     *obj; /* NULL: own reference */
	size_t		noff;
	int		n[3];
	enum timex_unit unit[3];
	int		at;
	int		y, mo, d, minute; /* absolute and month only */
};

static const struct shape_case shape_cases[] = {
	{ "hoi-nghi.start-3bd", TIMEX_REL, TREF_START, "hoi-nghi", 1, { -3 },
	    { TUNIT_BDAY }, -1, 0, 0, 0, 0 },
	{ "hoi-nghi.start - 3bd at 08:00", TIMEX_REL, TREF_START, "hoi-nghi", 1,
	    { -3 }, { TUNIT_BDAY }, 8 * 60, 0, 0, 0, 0 },
	{ "giay-moi.due - 1d", TIMEX_REL, TREF_DUE, "giay-moi", 1, { -1 },
	    { TUNIT_DAY }, -1, 0, 0, 0, 0 },
	{ "tin-hoi-nghi.end", TIMEX_REL, TREF_END, "tin-hoi-nghi", 0, { 0 },
	    { 0 }, -1, 0, 0, 0, 0 },
	{ "plan.issued", TIMEX_REL, TREF_ISSUED, NULL, 0, { 0 }, { 0 }, -1, 0,
	    0, 0, 0 },
	{ "now", TIMEX_REL, TREF_NOW, NULL, 0, { 0 }, { 0 }, -1, 0, 0, 0, 0 },
	{ "start", TIMEX_REL, TREF_START, NULL, 0, { 0 }, { 0 }, -1, 0, 0, 0,
	    0 },
	{ "end", TIMEX_REL, TREF_END, NULL, 0, { 0 }, { 0 }, -1, 0, 0, 0, 0 },
	{ "due", TIMEX_REL, TREF_DUE, NULL, 0, { 0 }, { 0 }, -1, 0, 0, 0, 0 },
	{ "start + 1d - 2h", TIMEX_REL, TREF_START, NULL, 2, { 1, -2 },
	    { TUNIT_DAY, TUNIT_HOUR }, -1, 0, 0, 0, 0 },
	{ "start - 1w 3h30m", TIMEX_REL, TREF_START, NULL, 3, { -1, -3, -30 },
	    { TUNIT_WEEK, TUNIT_HOUR, TUNIT_MIN }, -1, 0, 0, 0, 0 },
	{ "due + 1bd at 08:00", TIMEX_REL, TREF_DUE, NULL, 1, { 1 },
	    { TUNIT_BDAY }, 480, 0, 0, 0, 0 },
	{ "2025-12-26 08:00", TIMEX_ABS, 0, NULL, 0, { 0 }, { 0 }, -1, 2025, 12,
	    26, 480 },
	{ "2025-12-26", TIMEX_ABS, 0, NULL, 0, { 0 }, { 0 }, -1, 2025, 12, 26,
	    -1 },
	{ "2025-12", TIMEX_MONTH, 0, NULL, 0, { 0 }, { 0 }, -1, 2025, 12, 1,
	    -1 },
};

START_TEST(test_shape)
{
	const struct shape_case *c = &shape_cases[_i];
	struct texpr		 x;
	char			 err[256] = "";
	size_t			 i;

	ck_assert_msg(timex_parse(c->expr, &x, err, sizeof(err)) == 0,
	    "timex_parse(\"%s\") failed: %s", c->expr, err);
	ck_assert_msg(x.kind == c->kind, "\"%s\": kind %d, want %d", c->expr,
	    x.kind, c->kind);
	if (c->kind == TIMEX_REL) {
		ck_assert_msg(x.ref == c->ref, "\"%s\": ref %d, want %d",
		    c->expr, x.ref, c->ref);
		if (c->obj == NULL)
			ck_assert_msg(x.obj == NULL,
			    "\"%s\": obj \"%s\", "
			    "want none",
			    c->expr, x.obj);
		else
			ck_assert_msg(x.obj != NULL &&
				strcmp(x.obj, c->obj) == 0,
			    "\"%s\": obj \"%s\", "
			    "want \"%s\"",
			    c->expr, x.obj != NULL ? x.obj : "(null)", c->obj);
		ck_assert_msg(x.noff == c->noff,
		    "\"%s\": %zu offsets, "
		    "want %zu",
		    c->expr, x.noff, c->noff);
		for (i = 0; i < c->noff; i++) {
			ck_assert_int_eq(x.off[i].n, c->n[i]);
			ck_assert_int_eq(x.off[i].unit, c->unit[i]);
		}
		ck_assert_int_eq(x.at, c->at);
	} else {
		ck_assert_int_eq(x.y, c->y);
		ck_assert_int_eq(x.mo, c->mo);
		ck_assert_int_eq(x.d, c->d);
		ck_assert_int_eq(x.minute, c->minute);
	}
	timex_free(&x);
}
END_TEST

/* Quiet hours. */
struct quiet_case {
	const char *label;
	int	    start, end; /* minutes of the day */
	const char *at;		/* local */
	const char *refers;	/* local, or NULL for none */
	const char *want;
};

#define NIGHT 21 * 60, 6 * 60 + 30

static const struct quiet_case quiet_cases[] = {
	{ "evening part moves to next morning", NIGHT, "2025-12-25 22:00", NULL,
	    "2025-12-26T06:30:00+07:00" },
	{ "21:00 exactly is quiet", NIGHT, "2025-12-25 21:00", NULL,
	    "2025-12-26T06:30:00+07:00" },
	{ "23:59 moves over the new year", NIGHT, "2025-12-31 23:59", NULL,
	    "2026-01-01T06:30:00+07:00" },
	{ "morning part 05:00 moves to 06:30 the same day", NIGHT,
	    "2025-12-26 05:00", NULL, "2025-12-26T06:30:00+07:00" },
	{ "midnight is quiet", NIGHT, "2025-12-26 00:00", NULL,
	    "2025-12-26T06:30:00+07:00" },
	{ "06:29 is quiet", NIGHT, "2025-12-26 06:29", NULL,
	    "2025-12-26T06:30:00+07:00" },
	{ "06:30 exactly is not quiet", NIGHT, "2025-12-26 06:30", NULL,
	    "2025-12-26T06:30:00+07:00" },
	{ "20:59 is not quiet", NIGHT, "2025-12-25 20:59", NULL,
	    "2025-12-25T20:59:00+07:00" },
	{ "daytime unchanged", NIGHT, "2025-12-26 12:00", NULL,
	    "2025-12-26T12:00:00+07:00" },
	{ "evening, deadline 06:00: back to 20:59", NIGHT, "2025-12-25 22:00",
	    "2025-12-26 06:00", "2025-12-25T20:59:00+07:00" },
	{ "morning, deadline 06:00: back to 20:59 the evening before", NIGHT,
	    "2025-12-26 05:00", "2025-12-26 06:00",
	    "2025-12-25T20:59:00+07:00" },
	{ "deadline exactly at 06:30 is not passed", NIGHT, "2025-12-25 22:00",
	    "2025-12-26 06:30", "2025-12-26T06:30:00+07:00" },
	{ "event at 08:00: forward to 06:30", NIGHT, "2025-12-25 23:00",
	    "2025-12-26 08:00", "2025-12-26T06:30:00+07:00" },
	{ "refers does not move a job outside quiet hours", NIGHT,
	    "2025-12-25 20:00", "2025-12-25 20:30",
	    "2025-12-25T20:00:00+07:00" },
	{ "daytime window: inside moves to its end", 12 * 60, 13 * 60 + 30,
	    "2025-12-26 12:15", NULL, "2025-12-26T13:30:00+07:00" },
	{ "daytime window: start is quiet", 12 * 60, 13 * 60 + 30,
	    "2025-12-26 12:00", NULL, "2025-12-26T13:30:00+07:00" },
	{ "daytime window: before unchanged", 12 * 60, 13 * 60 + 30,
	    "2025-12-26 11:59", NULL, "2025-12-26T11:59:00+07:00" },
	{ "daytime window: end is not quiet", 12 * 60, 13 * 60 + 30,
	    "2025-12-26 13:30", NULL, "2025-12-26T13:30:00+07:00" },
	{ "daytime window: deadline inside, back to 11:59", 12 * 60,
	    13 * 60 + 30, "2025-12-26 12:15", "2025-12-26 13:00",
	    "2025-12-26T11:59:00+07:00" },
	{ "window from midnight", 0, 6 * 60, "2025-12-26 03:00", NULL,
	    "2025-12-26T06:00:00+07:00" },
	{ "start == end means none", 21 * 60, 21 * 60, "2025-12-25 22:00", NULL,
	    "2025-12-25T22:00:00+07:00" },
	{ "none at 00:00 either", 0, 0, "2025-12-26 00:00", NULL,
	    "2025-12-26T00:00:00+07:00" },
};

START_TEST(test_quiet)
{
	const struct quiet_case *c = &quiet_cases[_i];
	struct quiet		 q;
	int64_t			 got, refers;

	q.start = c->start;
	q.end = c->end;
	refers = c->refers != NULL ? local(c->refers) : TIMEX_NONE;
	got = quiet_adjust(&cal, &q, local(c->at), refers);
	ck_assert_msg(strcmp(fmt(got), c->want) == 0,
	    "%s: %s (refers %s) gave %s, want %s", c->label, c->at,
	    c->refers != NULL ? c->refers : "none", fmt(got), c->want);
}
END_TEST

/* Parse errors: timex_parse fails and says why. */
struct error_case {
	const char *expr;
	const char *phrase;
};

static const struct error_case error_cases[] = {
	{ "start + 1x", "bad time unit 'x'" },
	{ "start - 2days", "bad time unit 'days'" },
	{ "due - 3bdx", "bad time unit 'bdx'" },
	{ "start + 1", "missing time unit" },
	{ "start - 3 bd", "missing time unit" },
	{ "2025-02-30", "impossible date 2025-02-30" },
	{ "2025-02-29 08:00", "impossible date 2025-02-29" },
	{ "2025-04-31", "impossible date" },
	{ "2025-12-26 25:00", "impossible time 25:00" },
	{ "2025-12-26 08:60", "impossible time 08:60" },
	{ "start at 24:00", "impossible time 24:00" },
	{ "2025-13", "impossible month 2025-13" },
	{ "2025-00", "impossible month" },
	{ "kickoff", "unknown reference" },
	{ "hoi-nghi.begin - 1d", "unknown reference" },
	{ "issued", "unknown reference" },
	{ "hoi-nghi.issued", "unknown reference" },
	{ "hoi-nghi.now", "unknown reference" },
	{ "starts + 1d", "unknown reference" },
	{ "", "unknown reference" },
	{ "start - 1d junk", "unexpected 'junk'" },
	{ "start + 1d at 08:00 x", "unexpected 'x'" },
	{ "start at08:00", "unexpected" },
	{ "2025-12-26 08:00 x", "expected YYYY-MM-DD" },
	{ "2025-12-26x", "expected YYYY-MM-DD" },
	{ "2025/12/26", "expected YYYY-MM-DD" },
	{ "start +", "expected a number after '+'" },
	{ "start - bd", "expected a number after '-'" },
	{ "start + 1d -", "expected a number after '-'" },
	{ "start at 8h", "expected a time of day HH:MM" },
	{ "start + 10000000d", "offset too large" },
};

START_TEST(test_error)
{
	const struct error_case *c = &error_cases[_i];
	struct texpr		 x;
	char			 err[256] = "";

	ck_assert_msg(timex_parse(c->expr, &x, err, sizeof(err)) == -1,
	    "timex_parse(\"%s\") succeeded, want an error with \"%s\"", c->expr,
	    c->phrase);
	ck_assert_msg(strstr(err, c->phrase) != NULL,
	    "timex_parse(\"%s\"): error \"%s\" lacks \"%s\"", c->expr, err,
	    c->phrase);
}
END_TEST

/*
 * Input that ends where a time of day is expected must be rejected
 * without reading past the terminating NUL. The parse runs in a child on
 * an exactly sized heap copy, so that under AddressSanitizer an overread
 * fails this test alone instead of ending the whole run.
 */
struct end_case {
	const char *what;
	const char *s;
	int	    want; /* -1, or 2 for "either 0 or -1" */
};

static const struct end_case end_cases[] = {
	{ "parse", "2025-12-26T", -1 },
	{ "parse", "start at ", -1 },
	{ "parse", "2025-12-26 ", 2 },
	{ "hhmm", "", -1 },
};

static int
end_case_run(const struct end_case *c)
{
	struct texpr x;
	char	     err[256];
	char	    *s;
	int	     r, m;

	if ((s = strdup(c->s)) == NULL)
		return 3;
	if (strcmp(c->what, "hhmm") == 0)
		r = timex_parse_hhmm(s, &m);
	else {
		r = timex_parse(s, &x, err, sizeof(err));
		if (r == 0)
			timex_free(&x);
	}
	free(s);
	if (c->want == 2)
		return r == 0 || r == -1 ? 0 : 4;
	return r == c->want ? 0 : 4;
}

START_TEST(test_error_at_end)
{
	const struct end_case *c = &end_cases[_i];
	pid_t		       pid;
	int		       status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_msg(pid != -1, "fork failed");
	if (pid == 0)
		_exit(end_case_run(c));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) != 4,
	    "%s(\"%s\") gave the wrong result", c->what, c->s);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "%s(\"%s\") crashed or read out of bounds (status %#x); see "
	    "the sanitizer report above",
	    c->what, c->s, status);
}
END_TEST

/* The small parsers. */

START_TEST(test_duration)
{
	int64_t s = -1;
	char	err[256];

	ck_assert_int_eq(timex_parse_duration("3h30m", &s, err, sizeof(err)),
	    0);
	ck_assert_int_eq(s, 12600);
	ck_assert_int_eq(timex_parse_duration("5s", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s, 5);
	ck_assert_int_eq(timex_parse_duration("2d", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s, 2 * 86400);
	ck_assert_int_eq(timex_parse_duration("1w", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s, 7 * 86400);
	ck_assert_int_eq(timex_parse_duration("30s", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s, 30);
	ck_assert_int_eq(timex_parse_duration("1h 5m 10s", &s, err,
			     sizeof(err)),
	    0);
	ck_assert_int_eq(s, 3910);
	ck_assert_int_eq(timex_parse_duration(" 90m", &s, err, sizeof(err)), 0);
	ck_assert_int_eq(s, 5400);

	ck_assert_int_eq(timex_parse_duration("", &s, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a duration"));
	ck_assert_int_eq(timex_parse_duration("5", &s, err, sizeof(err)), -1);
	ck_assert_int_eq(timex_parse_duration("5x", &s, err, sizeof(err)), -1);
	ck_assert_int_eq(timex_parse_duration("h", &s, err, sizeof(err)), -1);
	ck_assert_int_eq(timex_parse_duration("3h30", &s, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(timex_parse_duration("-5m", &s, err, sizeof(err)), -1);
	ck_assert_int_eq(timex_parse_duration("1.5h", &s, err, sizeof(err)),
	    -1);
}
END_TEST

START_TEST(test_hhmm)
{
	int m = -1;

	ck_assert_int_eq(timex_parse_hhmm("08:00", &m), 0);
	ck_assert_int_eq(m, 480);
	ck_assert_int_eq(timex_parse_hhmm("00:00", &m), 0);
	ck_assert_int_eq(m, 0);
	ck_assert_int_eq(timex_parse_hhmm("23:59", &m), 0);
	ck_assert_int_eq(m, 1439);
	ck_assert_int_eq(timex_parse_hhmm("21:00", &m), 0);
	ck_assert_int_eq(m, 1260);
	ck_assert_int_eq(timex_parse_hhmm("06:30", &m), 0);
	ck_assert_int_eq(m, 390);
	ck_assert_int_eq(timex_parse_hhmm("24:00", &m), -1);
	ck_assert_int_eq(timex_parse_hhmm("08:60", &m), -1);
	ck_assert_int_eq(timex_parse_hhmm("0800", &m), -1);
	ck_assert_int_eq(timex_parse_hhmm("08:00 ", &m), -1);
	ck_assert_int_eq(timex_parse_hhmm("08:0", &m), -1);
	ck_assert_int_eq(timex_parse_hhmm("ab:cd", &m), -1);
}
END_TEST

START_TEST(test_date)
{
	int64_t d = 0;
	char	err[256] = "";

	ck_assert_int_eq(timex_parse_date("2024-02-29", &d, err, sizeof(err)),
	    0);
	ck_assert_int_eq(d, civil_days(2024, 2, 29));
	ck_assert_int_eq(timex_parse_date("2000-02-29", &d, err, sizeof(err)),
	    0);
	ck_assert_int_eq(d, civil_days(2000, 2, 29));
	ck_assert_int_eq(timex_parse_date("2026-01-01", &d, err, sizeof(err)),
	    0);
	ck_assert_int_eq(d, 20454);

	ck_assert_int_eq(timex_parse_date("2025-02-29", &d, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "impossible date 2025-02-29"));
	ck_assert_int_eq(timex_parse_date("1900-02-29", &d, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "impossible date"));
	ck_assert_int_eq(timex_parse_date("2025-2-28", &d, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a date YYYY-MM-DD"));
	ck_assert_int_eq(timex_parse_date("2025-12-26 08:00", &d, err,
			     sizeof(err)),
	    -1);
	ck_assert_int_eq(timex_parse_date("", &d, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_instant)
{
	int64_t t = 0;

	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26 08:00", &t), 0);
	ck_assert_str_eq(fmt(t), "2025-12-26T08:00:00+07:00");
	ck_assert_int_eq(t, civil_days(2025, 12, 26) * 86400 + 3600);
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26", &t), 0);
	ck_assert_str_eq(fmt(t), "2025-12-26T00:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:30", &t), 0);
	ck_assert_str_eq(fmt(t), "2025-12-26T08:00:30+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:00Z", &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-26T15:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:00+07:00",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-26T08:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00+05:30", &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-26T09:30:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T01:00:00-02:00",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-26T10:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "1970-01-01T00:00:00Z", &t),
	    0);
	ck_assert_int_eq(t, 0);

	ck_assert_int_eq(timex_parse_instant(vn, "2025-02-30", &t), -1);
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26 24:00", &t), -1);
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00+7", &t), -1);
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00X", &t), -1);
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00Z junk", &t),
	    -1);
	ck_assert_int_eq(timex_parse_instant(vn, "tomorrow", &t), -1);
}
END_TEST

/* RFC 3339's ranges, field by field (section 5.6, 5.7): one past each
 * end is refused, the end itself taken. */
static const char *const instant_bad[] = {
	"2025-12-26T08:00:00+99:00",
	"2025-12-26T08:00:00+07:99",
	"2025-12-26T08:00:00-99:59",
	"2025-12-26T08:00:00+24:00",
	"2025-12-26T08:00:00-00:60",
	"2025-12-26T08:00+23:60",
	"2025-13-01T08:00:00Z",
	"2025-00-10T08:00:00Z",
	"2025-12-32T08:00:00Z",
	"2025-12-00T08:00:00Z",
	"2025-02-29T08:00:00Z",
	"2024-02-30T08:00:00Z",
	"2025-04-31",
	"2025-12-26T24:00:00Z",
	"2025-12-26T08:60:00Z",
	"2025-12-26T08:00:61Z",
	"2025-12-26T08:00:60Z",
	"2025-12-26 08:00:60",
	"2016-12-31T23:59:60+07:00",
	"2025-12-26T08:00:00+07:00:00",
	"2025-12-26T08:00:00+0700",
};

START_TEST(test_instant_range)
{
	int64_t t = 42;

	ck_assert_msg(timex_parse_instant(vn, instant_bad[_i], &t) == -1,
	    "\"%s\" taken", instant_bad[_i]);
	ck_assert_int_eq(t, 42);
}
END_TEST

START_TEST(test_instant_ends)
{
	int64_t t = 0;

	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:00+23:59",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-25T15:01:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:00-23:59",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-27T14:59:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-26T08:00:00-00:00",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2025-12-26T15:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2025-12-31T23:59:59Z", &t),
	    0);
	ck_assert_str_eq(fmt(t), "2026-01-01T06:59:59+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2024-02-29T23:59:00Z", &t),
	    0);
	/* A leap second, in UTC or at its local time: the next second. */
	ck_assert_int_eq(timex_parse_instant(vn, "2016-12-31T23:59:60Z", &t),
	    0);
	ck_assert_str_eq(fmt(t), "2017-01-01T07:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2017-01-01T06:59:60+07:00",
			     &t),
	    0);
	ck_assert_str_eq(fmt(t), "2017-01-01T07:00:00+07:00");
	ck_assert_int_eq(timex_parse_instant(vn, "2017-01-01 06:59:60", &t), 0);
	ck_assert_str_eq(fmt(t), "2017-01-01T07:00:00+07:00");
}
END_TEST

int
main(void)
{
	TCase *tc;

	calendar_setup();
	TU_CASE("civil", NULL, NULL, 0, test_civil_known, test_civil_roundtrip,
	    test_civil_weekday, test_civil_valid, test_day_of);
	TU_CASE("zone", NULL, NULL, 0, test_zone, test_business_day);
	tc = TU_CASE("expressions", NULL, NULL, 0, NULL);
	tcase_add_loop_test(tc, test_expr, 0, (int)NELEM(expr_cases));
	tcase_add_loop_test(tc, test_shape, 0, (int)NELEM(shape_cases));
	tc = TU_CASE("quiet", NULL, NULL, 0, NULL);
	tcase_add_loop_test(tc, test_quiet, 0, (int)NELEM(quiet_cases));
	tc = TU_CASE("errors", NULL, NULL, 0, NULL);
	tcase_add_loop_test(tc, test_error, 0, (int)NELEM(error_cases));
	tcase_add_loop_test(tc, test_error_at_end, 0, (int)NELEM(end_cases));
	tc = TU_CASE("parsers", NULL, NULL, 0, test_duration, test_hhmm,
	    test_date, test_instant, test_instant_ends);
	tcase_add_loop_test(tc, test_instant_range, 0, (int)NELEM(instant_bad));
	return tu_run("timex");
}
