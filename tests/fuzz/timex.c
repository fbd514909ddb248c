/*
 * timex.c: fuzz the time expressions and instants (util/timex.c): the
 * input is one expression, parsed as a plan's time, an HH:MM, a date, a
 * duration and an instant (RFC 3339 or local, as --now and the API take
 * it). What parses is applied; an instant is printed as RFC 3339 and
 * must parse back to itself.
 */
#include <stdlib.h>
#include <string.h>

#include "util/timex.h"
#include "fuzz.h"

static const char *const zones[] = { "Asia/Ho_Chi_Minh", "UTC",
	"America/New_York", "Europe/Berlin" };
static int64_t		 holidays[3];
static struct calendar	 cal[4];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	holidays[0] = civil_days(2026, 1, 1);
	holidays[1] = civil_days(2026, 2, 16);
	holidays[2] = civil_days(2026, 2, 17);
	for (i = 0; i < 4; i++) {
		cal[i].tz = tz_get(zones[i]);
		if (cal[i].tz == NULL)
			abort();
		cal[i].holidays = holidays;
		cal[i].nholidays = 3;
	}
	return 0;
}

/* An instant printed as RFC 3339 in z reads back as itself. */
static void
round_trip(const struct tz *z, int64_t t)
{
	char	out[64];
	int64_t back;

	tz_rfc3339(z, t, out, sizeof(out));
	FZ_CHECK(timex_parse_instant(z, out, &back) == 0);
	FZ_CHECK(back == t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		      *s = fz_str(data, size), err[256];
	const struct calendar *c = &cal[size % 4];
	struct texpr	       e;
	int64_t		       t, base;
	int		       m;

	if (timex_parse(s, &e, err, sizeof(err)) == 0) {
		if (e.kind == TIMEX_REL) {
			base = civil_days(2026, 2, 13) * 86400 + 8 * 3600;
			t = timex_apply(c, &e, base);
			(void)quiet_adjust(c, &(struct quiet){ 21 * 60, 390 },
			    t, base);
		} else {
			t = timex_absolute(c, &e, 0);
			t = timex_absolute(c, &e, 1);
		}
		timex_free(&e);
	} else
		FZ_CHECK(err[0] != '\0');
	if (timex_parse_hhmm(s, &m) == 0)
		FZ_CHECK(m >= 0 && m < 24 * 60);
	err[0] = '\0';
	if (timex_parse_date(s, &t, err, sizeof(err)) != 0)
		FZ_CHECK(err[0] != '\0');
	err[0] = '\0';
	if (timex_parse_duration(s, &t, err, sizeof(err)) != 0)
		FZ_CHECK(err[0] != '\0');
	if (timex_parse_instant(c->tz, s, &t) == 0)
		round_trip(c->tz, t);
	free(s);
	return 0;
}
