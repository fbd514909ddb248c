/*
 * sms.c: GSM 03.38 and UCS-2 part counting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/sms.h"
#include "util/mem.h"

/* The GSM 03.38 basic character set beyond printable ASCII. */
static const int sms_gsm_basic_extra[] = {
	0x00a3,
	0x00a5,
	0x00e8,
	0x00e9,
	0x00f9,
	0x00ec,
	0x00f2,
	0x00c7,
	0x00d8,
	0x00f8,
	0x00c5,
	0x00e5,
	0x0394,
	0x03a6,
	0x0393,
	0x039b,
	0x03a9,
	0x03a0,
	0x03a8,
	0x03a3,
	0x0398,
	0x039e,
	0x00c6,
	0x00e6,
	0x00df,
	0x00c9,
	0x00a4,
	0x00a1,
	0x00c4,
	0x00d6,
	0x00d1,
	0x00dc,
	0x00a7,
	0x00bf,
	0x00e4,
	0x00f6,
	0x00f1,
	0x00fc,
	0x00e0,
};

/* Septets for code point c in GSM-7: 1, 2 (extension table) or 0 (none). */
static int
sms_gsm_septets(int c)
{
	size_t i;

	if (c == '\n' || c == '\r')
		return 1;
	if (c == '\f' || c == '^' || c == '{' || c == '}' || c == '\\' ||
	    c == '[' || c == '~' || c == ']' || c == '|' || c == 0x20ac)
		return 2;
	if (c >= 0x20 && c < 0x7f)
		return c == '`' ? 0 : 1;
	for (i = 0;
	     i < sizeof(sms_gsm_basic_extra) / sizeof(sms_gsm_basic_extra[0]);
	     i++)
		if (sms_gsm_basic_extra[i] == c)
			return 1;
	return 0;
}

/* Count parts of a sequence of character widths w[0..n). */
static int
sms_count_parts(const unsigned char *w, size_t n, size_t total, size_t single,
    size_t per)
{
	size_t i, used = 0;
	int    parts = 1;

	if (total <= single)
		return 1;
	for (i = 0; i < n; i++) {
		if (used + w[i] > per) {
			parts++;
			used = 0;
		}
		used += w[i];
	}
	return parts;
}

void
sms_analyse(const char *text, struct sms_info *si)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_ssize_t	len = (utf8proc_ssize_t)strlen(text), i = 0, k;
	unsigned char		wg[1024], wu[1024];
	unsigned char	       *g = wg, *u = wu;
	size_t			n = 0, septets = 0, units = 0;
	int			gsm = 1;
	utf8proc_int32_t	c;

	/* One width per code point: at most len of them. */
	if ((size_t)len > sizeof(wg)) {
		g = xmalloc((size_t)len);
		u = xmalloc((size_t)len);
	}
	while (i < len) {
		k = utf8proc_iterate(p + i, len - i, &c);
		if (k <= 0) {
			k = 1;
			c = 0xfffd;
		}
		i += k;
		g[n] = (unsigned char)sms_gsm_septets(c);
		if (g[n] == 0)
			gsm = 0;
		u[n] = c > 0xffff ? 2 : 1;
		septets += g[n];
		units += u[n];
		n++;
	}
	if (gsm) {
		si->encoding = SMS_GSM7;
		si->units = septets;
		si->parts = sms_count_parts(g, n, septets, 160, 153);
	} else {
		si->encoding = SMS_UCS2;
		si->units = units;
		si->parts = sms_count_parts(u, n, units, 70, 67);
	}
	if (g != wg) {
		free(g);
		free(u);
	}
}

/* text[0..n) without the spaces and joining punctuation at its end, plus
 * the ellipsis its encoding can carry, into *out; its count into *si. */
static void
sms_cut_at(const char *text, size_t n, char **out, struct sms_info *si)
{
	struct sms_info pre;
	char	       *s;

	while (n > 0 && strchr(" \t\n\r,;:-", text[n - 1]) != NULL)
		n--;
	s = xstrndup(text, n);
	sms_analyse(s, &pre);
	free(*out);
	*out = xasprintf("%s%s", s, pre.encoding == SMS_GSM7 ? "..." : "…");
	free(s);
	sms_analyse(*out, si);
}

char *
sms_fit(const char *text, int max_parts, struct sms_info *si)
{
	size_t len = strlen(text), n, budget;
	char  *out = NULL;
	int    words;

	sms_analyse(text, si);
	if (si->parts <= max_parts || max_parts < 1)
		return NULL;
	/* A start that fits has at most 153 septets a part of at most two
	 * bytes, or 67 units of at most three: begin there, not at the end. */
	budget = (size_t)max_parts * 320;
	n = len < budget ? len : budget;
	/* Word boundaries first, from the longest; then any character. */
	for (words = 1; words >= 0; words--) {
		size_t i;

		for (i = n; i > 0; i--) {
			if (words ? text[i] != ' ' :
				    ((unsigned char)text[i] & 0xc0) == 0x80)
				continue;
			sms_cut_at(text, i, &out, si);
			if (si->parts <= max_parts)
				return out;
		}
	}
	/* Not even one character and the ellipsis: the ellipsis alone. */
	sms_cut_at(text, 0, &out, si);
	return out;
}

const char *
sms_encoding_name(enum sms_encoding e)
{
	return e == SMS_GSM7 ? "gsm7" : "ucs2";
}
