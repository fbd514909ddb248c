/*
 * ical.c: fuzz iCalendar reading. loa reads no iCalendar from outside yet
 * (iTIP replies will come in by mail): what it has is libical's parser,
 * which that reader will use, and its own text steps over iCalendar
 * (render/ical.c: unfold, finish, fold). The input is parsed by libical;
 * a component is written again and finished as loa finishes what it
 * sends, and libical must read that back. The raw input is unfolded and
 * finished too: every line finished is at most 75 octets with no control
 * but HTAB, and unfolding a folded line gives it back.
 */
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "render/ical.h"
#include "util/buf.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* libical's errors are its own: not fatal, not printed. */
	icalerror_set_errors_are_fatal(0);
	return 0;
}

/* Lines of CRLF, each at most 75 octets, no control but HTAB. */
static void
check_folded(const char *s)
{
	while (*s != '\0') {
		const char *crlf = strstr(s, "\r\n");
		const char *p;

		FZ_CHECK(crlf != NULL && crlf - s <= 75);
		for (p = s; p < crlf; p++)
			FZ_CHECK(((unsigned char)*p >= 0x20 && *p != 0x7f) ||
			    *p == '\t');
		s = crlf + 2;
	}
}

/* Folding one line and unfolding it gives it back. */
static void
fold_back(const char *s)
{
	size_t	   n = strcspn(s, "\r\n");
	struct buf b = { 0 };
	char	  *un;

	ical_fold_line(&b, s, n);
	un = ical_unfold(b.s);
	FZ_CHECK(strlen(un) == n + 2 && memcmp(un, s, n) == 0);
	free(un);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	      *s = fz_str(data, size), *fin, *un, *text;
	icalcomponent *c, *back;

	un = ical_unfold(s);
	free(un);
	fin = ical_finish(s);
	check_folded(fin);
	free(fin);
	fold_back(s);
	if ((c = icalparser_parse_string(s)) != NULL) {
		/* NULL for a component libical does not write. */
		if ((text = icalcomponent_as_ical_string_r(c)) != NULL) {
			fin = ical_finish(text);
			check_folded(fin);
			back = icalparser_parse_string(fin);
			FZ_CHECK(back != NULL);
			icalcomponent_free(back);
			free(fin);
			free(text);
		}
		icalcomponent_free(c);
	}
	free(s);
	return 0;
}
