/*
 * capvals.c: CAP 1.2's enumerations (see capvals.h).
 */
#include <stddef.h>

#include "plan/capvals.h"

const char *const cap_statuses[] = { "Actual", "Exercise", "System", "Test",
	"Draft", NULL };
const char *const cap_categories[] = { "Geo", "Met", "Safety", "Security",
	"Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE",
	"Other", NULL };
const char *const cap_urgencies[] = { "Immediate", "Expected", "Future", "Past",
	"Unknown", NULL };
const char *const cap_severities[] = { "Extreme", "Severe", "Moderate", "Minor",
	"Unknown", NULL };
const char *const cap_certainties[] = { "Observed", "Likely", "Possible",
	"Unlikely", "Unknown", NULL };

int
cap_count(const char *const *v)
{
	int n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

int
cap_sender_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == ',' || *s == '<' ||
		    *s == '&' || *s == 0x7f)
			return -1;
	return 0;
}
