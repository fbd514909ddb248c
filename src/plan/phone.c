/*
 * phone.c: Vietnamese phone number validation and normalisation.
 *
 * Rules (see README): a national significant number (NSN) is 9 digits for
 * a mobile, ^(3[2-9]|5[2-9]|7[06-9]|8[1-9]|9[0-9])[0-9]{7}$, or 10 digits
 * for a landline, ^2[0-9]{9}$.
 */
#include <stdio.h>
#include <string.h>

#include "plan/phone.h"

/* The 2018 conversion of 11-digit mobile numbers: old prefix, new prefix. */
static const struct {
	const char *old;
	const char *new;
} phone_old_prefixes[] = {
	{ "162", "32" },
	{ "163", "33" },
	{ "164", "34" },
	{ "165", "35" },
	{ "166", "36" },
	{ "167", "37" },
	{ "168", "38" },
	{ "169", "39" },
	{ "120", "70" },
	{ "121", "79" },
	{ "122", "77" },
	{ "126", "76" },
	{ "128", "78" },
	{ "123", "83" },
	{ "124", "84" },
	{ "125", "85" },
	{ "127", "81" },
	{ "129", "82" },
	{ "186", "56" },
	{ "188", "58" },
	{ "199", "59" },
};

static int
phone_vn_mobile(const char *nsn)
{
	char a = nsn[0], b = nsn[1];

	if (strlen(nsn) != 9)
		return 0;
	switch (a) {
	case '3':
		return b >= '2' && b <= '9';
	case '5':
		return b >= '2' && b <= '9';
	case '7':
		return b == '0' || (b >= '6' && b <= '9');
	case '8':
		return b >= '1' && b <= '9';
	case '9':
		return 1;
	default:
		return 0;
	}
}

int
phone_e164(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	char	    d[32], nsn[32];
	const char *p;
	size_t	    n = 0, i;
	int	    plus = 0;

	for (p = in; *p != '\0'; p++) {
		if (*p == ' ' || *p == '.' || *p == '-' || *p == '(' ||
		    *p == ')' || *p == '\t')
			continue;
		if (*p == '+' && n == 0 && !plus) {
			plus = 1;
			continue;
		}
		if (*p < '0' || *p > '9') {
			snprintf(err, errlen, "unexpected character '%c'", *p);
			return -1;
		}
		if (n + 1 >= sizeof(d)) {
			snprintf(err, errlen, "too many digits");
			return -1;
		}
		d[n++] = *p;
	}
	d[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "no digits");
		return -1;
	}

	if (!plus && strncmp(d, "00", 2) == 0) {
		plus = 1;
		memmove(d, d + 2, n - 1);
		n -= 2;
	}
	if (plus) {
		if (strncmp(d, "84", 2) != 0) {
			if (n < 8 || n > 15 || d[0] == '0') {
				snprintf(err, errlen,
				    "not an E.164 number "
				    "(country code and 8 to 15 digits)");
				return -1;
			}
			snprintf(out, outlen, "+%s", d);
			return 0;
		}
		snprintf(nsn, sizeof(nsn), "%s", d + 2);
		/* "+84 0912..." is a common mistake: drop the trunk 0. */
		if (nsn[0] == '0')
			memmove(nsn, nsn + 1, strlen(nsn));
	} else if (d[0] == '0') {
		snprintf(nsn, sizeof(nsn), "%s", d + 1);
	} else if (strncmp(d, "84", 2) == 0 && (n == 11 || n == 12)) {
		snprintf(nsn, sizeof(nsn), "%s", d + 2);
	} else {
		snprintf(err, errlen,
		    "expected a Vietnamese number starting "
		    "with 0, 84 or +84, or +COUNTRY for another country");
		return -1;
	}

	/* Old 10-digit mobile NSNs (11 digits with the 0). */
	if (strlen(nsn) == 10 && nsn[0] == '1') {
		for (i = 0; i <
		     sizeof(phone_old_prefixes) / sizeof(phone_old_prefixes[0]);
		     i++) {
			if (strncmp(nsn, phone_old_prefixes[i].old, 3) == 0) {
				char tmp[32];

				snprintf(tmp, sizeof(tmp), "%s%s",
				    phone_old_prefixes[i].new, nsn + 3);
				memcpy(nsn, tmp, strlen(tmp) + 1);
				break;
			}
		}
	}
	if (phone_vn_mobile(nsn) || (strlen(nsn) == 10 && nsn[0] == '2')) {
		snprintf(out, outlen, "+84%s", nsn);
		return 0;
	}
	snprintf(err, errlen,
	    "not a Vietnamese mobile (9 digits after 0, "
	    "prefix 03x, 05x, 07x, 08x or 09x) or landline (10 digits "
	    "after 0, prefix 02x) number");
	return -1;
}
