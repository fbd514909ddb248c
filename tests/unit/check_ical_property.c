/*
 * check_ical_property.c: a property test: 1,000 random Vietnamese titles
 * and descriptions (NFC and NFD) through a real ical_request, each object
 * checked as bytes and by libical (icalfx.h).
 */
#include <utf8proc.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "render/ical.h"
#include "util/text.h"
#include "util/buf.h"
#include "icalfx.h"

#define PROP_RUNS   1000
#define PROP_MAXLEN 2000

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
		size_t	       mark = pool_mark(), i, nsum = 0;
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

int
main(void)
{
	TU_CASE("property", NULL, ifx_teardown, 600, test_property_vietnamese);
	atexit(icalmemory_free_ring);
	return tu_run("ical-property");
}
