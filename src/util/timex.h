/*
 * timex.h: civil dates, time zones and the time expressions of
 * conf/REFERENCE.md §2.
 *
 * Instants are int64_t seconds since the Unix epoch, UTC. "Local seconds"
 * are the same count for the wall clock of a zone, as if it were UTC.
 * Nothing here reads the clock: `now` is always an argument.
 */
#ifndef LOA_TIMEX_H
#define LOA_TIMEX_H

#include <stddef.h>
#include <stdint.h>

#define TIMEX_NONE INT64_MIN

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t civil_days(int y, int m, int d);
void	civil_from_days(int64_t days, int *y, int *m, int *d);
/* 1 when y-m-d is a real date. */
int	civil_valid(int y, int m, int d);
/* Day of the week of a day number: 0 Monday .. 6 Sunday. */
int	civil_weekday(int64_t days);
/* Floor division of seconds into days. */
int64_t civil_day_of(int64_t secs);

/* A time zone (libical's, read from the system tzdata). */
struct tz;
/* Look a zone up by its Olson name; NULL when unknown. Zones are cached
 * for the life of the process: do not free them. */
const struct tz *tz_get(const char *name);
const char	*tz_name(const struct tz *);
int64_t		 tz_to_local(const struct tz *, int64_t utc);
int64_t		 tz_to_utc(const struct tz *, int64_t local);
/* Offset east of UTC in seconds at the instant utc. */
int		 tz_offset(const struct tz *, int64_t utc);
void		 tz_cleanup(void);
/* 1 and the offset when the zone has kept one offset since 1976. */
int		 tz_fixed(const struct tz *, int *offset);
/* The zone's libical icaltimezone (for its VTIMEZONE component). */
void		*tz_libical(const struct tz *);

/* Format utc as RFC 3339 local time with its offset into out (>= 26). */
void tz_rfc3339(const struct tz *, int64_t utc, char *out, size_t len);

/* The calendar a time expression is evaluated against. */
struct calendar {
	const struct tz *tz;
	const int64_t	*holidays; /* sorted day numbers */
	size_t		 nholidays;
};

int calendar_is_business_day(const struct calendar *, int64_t days);

enum timex_kind {
	TIMEX_ABS,   /* YYYY-MM-DD [HH:MM] */
	TIMEX_MONTH, /* YYYY-MM: tentative */
	TIMEX_REL,   /* REF {(+|-) N UNIT} [at HH:MM] */
};

enum timex_ref {
	TREF_ISSUED, /* plan.issued */
	TREF_NOW,    /* now */
	TREF_START,  /* [ID.]start */
	TREF_END,    /* [ID.]end */
	TREF_DUE,    /* [ID.]due */
};

enum timex_unit {
	TUNIT_MIN,
	TUNIT_HOUR,
	TUNIT_DAY,
	TUNIT_WEEK,
	TUNIT_BDAY,
};

struct timex_offset {
	int		n; /* signed count */
	enum timex_unit unit;
};

struct texpr {
	enum timex_kind	     kind;
	int		     y, mo, d; /* TIMEX_ABS, TIMEX_MONTH */
	int		     minute;   /* of the day; -1: date alone */
	enum timex_ref	     ref;      /* TIMEX_REL */
	char		    *obj;      /* ID before ".", NULL: own */
	struct timex_offset *off;
	size_t		     noff;
	int		     at; /* minute of the day, or -1 */
};

/*
 * Parse a time expression. Returns 0, or -1 with a message in err (what
 * was wrong and what was expected). On success the caller frees out with
 * timex_free.
 */
int  timex_parse(const char *s, struct texpr *out, char *err, size_t errlen);
void timex_free(struct texpr *);

/*
 * Apply the offsets and `at` of a relative expression to base (UTC).
 * m and h move the instant; d, w and bd move the local date and keep the
 * local time of day; bd steps over weekends and holidays. Can't fail.
 */
int64_t
timex_apply(const struct calendar *, const struct texpr *, int64_t base);

/*
 * The instant of an absolute or month expression. A date alone is 00:00,
 * or 23:59 when date_is_end_of_day is set (a `due`). A month is its first
 * day at 00:00. Can't fail.
 */
int64_t timex_absolute(const struct calendar *, const struct texpr *,
    int date_is_end_of_day);

/* "HH:MM" into minutes of the day. Returns 0 or -1. */
int timex_parse_hhmm(const char *, int *minute);
/* "YYYY-MM-DD" into a day number. Returns 0, or -1 with err set. */
int timex_parse_date(const char *, int64_t *days, char *err, size_t errlen);
/* A duration such as "3h30m", "5s", "2d". Returns 0 or -1 with err set. */
int timex_parse_duration(const char *, int64_t *secs, char *err, size_t errlen);
/* A time expression or an RFC 3339 instant for the CLI's --now/--from/--to:
 * "YYYY-MM-DD[ HH:MM[:SS]]" local to tz, or with "T" and an offset or Z.
 * Every field in RFC 3339's range (offset hours 00-23, minutes 00-59); a
 * second 60 only where a leap second can be, 23:59:60 UTC. */
int timex_parse_instant(const struct tz *, const char *, int64_t *out);

/* Quiet hours, as minutes of the day; start == end means none. */
struct quiet {
	int start;
	int end;
};

/*
 * Move an SMS due at utc out of the quiet hours (conf/REFERENCE.md §2): to the end of
 * the quiet period, or, when that is after refers (the deadline or start
 * the message is about; TIMEX_NONE for none), to one minute before the
 * quiet period began. Returns utc unchanged outside quiet hours.
 */
int64_t quiet_adjust(const struct calendar *, const struct quiet *, int64_t utc,
    int64_t refers);

#endif
