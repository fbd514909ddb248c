/*
 * ical_lint: parse iCalendar files with libical and count its complaints
 * (icalcomponent_count_errors; for an iTIP REQUEST or CANCEL after
 * icalrestriction_check too: a feed's PUBLISH has no ORGANIZER on
 * purpose, conf/REFERENCE.md §7), so the integration tests can run the fourth
 * parser on the exact bytes loa wrote.
 *
 * usage: ical_lint FILE...   prints "ok FILE" or "FAIL FILE: why" each;
 * exit 0 when every file parsed without an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

static char *
slurp(const char *path)
{
	FILE  *f = fopen(path, "rb");
	char  *s = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4097 > cap) {
			cap = (len + 4097) * 2;
			if ((s = realloc(s, cap)) == NULL)
				abort();
		}
		n = fread(s + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	s[len] = '\0';
	return s;
}

/* The first error property's text, for the message. */
static const char *
first_error(icalcomponent *c)
{
	icalproperty  *p;
	icalcomponent *sub;
	const char    *s;

	p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
	if (p != NULL)
		return icalproperty_get_xlicerror(p);
	for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT);
	     sub != NULL;
	     sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
		if ((s = first_error(sub)) != NULL)
			return s;
	return NULL;
}

int
main(int argc, char *argv[])
{
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		char	      *text = slurp(argv[i]);
		icalcomponent *c;
		int	       n;

		if (text == NULL) {
			printf("FAIL %s: cannot read\n", argv[i]);
			bad++;
			continue;
		}
		c = icalparser_parse_string(text);
		free(text);
		if (c == NULL ||
		    icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT) {
			printf("FAIL %s: not a VCALENDAR\n", argv[i]);
			bad++;
			if (c != NULL)
				icalcomponent_free(c);
			continue;
		}
		if (icalcomponent_get_method(c) == ICAL_METHOD_REQUEST ||
		    icalcomponent_get_method(c) == ICAL_METHOD_CANCEL)
			icalrestriction_check(c);
		if ((n = icalcomponent_count_errors(c)) != 0) {
			printf("FAIL %s: %d error%s: %s\n", argv[i], n,
			    n == 1 ? "" : "s", first_error(c));
			bad++;
		} else
			printf("ok %s\n", argv[i]);
		icalcomponent_free(c);
	}
	icalmemory_free_ring();
	return bad == 0 ? 0 : 1;
}
