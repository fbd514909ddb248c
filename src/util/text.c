/*
 * text.c: UTF-8 helpers over utf8proc.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"

long
text_utf8_check(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	size_t			i = 0;
	utf8proc_int32_t	cp;
	utf8proc_ssize_t	len;

	while (i < n) {
		if (p[i] < 0x80) {
			if (p[i] == 0)
				return (long)i;
			i++;
			continue;
		}
		len = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (len <= 0)
			return (long)i;
		i += (size_t)len;
	}
	return -1;
}

int
text_line_of(const char *s, size_t off)
{
	int    line = 1;
	size_t i;

	for (i = 0; i < off && s[i] != '\0'; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

char *
text_nfc(const char *s)
{
	utf8proc_uint8_t *out;
	char		 *r;

	/* Pure ASCII is already NFC: skip the library call. */
	const unsigned char *p;
	for (p = (const unsigned char *)s; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0')
		return xstrdup(s);
	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE) < 0)
		return NULL;
	r = xstrdup((char *)out);
	free(out);
	return r;
}

char *
text_fold(const char *s)
{
	utf8proc_uint8_t *out;
	struct buf	  b = { 0 };
	const char	 *p;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &out,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
		    UTF8PROC_STRIPMARK) < 0)
		return NULL;
	/* U+0111 đ and U+0110 Đ have no decomposition: map them here. */
	for (p = (char *)out; *p != '\0'; p++) {
		if ((unsigned char)p[0] == 0xc4 &&
		    ((unsigned char)p[1] == 0x91 ||
			(unsigned char)p[1] == 0x90)) {
			buf_addc(&b, (unsigned char)p[1] == 0x91 ? 'd' : 'D');
			p++;
		} else
			buf_addc(&b, *p);
	}
	free(out);
	return buf_take(&b);
}

size_t
text_codepoints(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * How the character at p (n bytes left) is escaped for a terminal: 0 as
 * is, 'x' as \xNN (a C0 control, DEL, a byte of no valid UTF-8
 * sequence), 'u' as \uNNNN (a C1 control, U+2028, U+2029), '\\' doubled;
 * *len its length, *cp its code point.
 */
static int
esc_kind(const unsigned char *p, size_t n, size_t *len, utf8proc_int32_t *cp)
{
	utf8proc_ssize_t k;

	*len = 1;
	*cp = *p;
	if (*p < 0x80)
		return *p < 0x20 || *p == 0x7f ? 'x' : *p == '\\' ? '\\' : 0;
	k = utf8proc_iterate(p, (utf8proc_ssize_t)n, cp);
	if (k < 1) {
		*cp = *p;
		return 'x';
	}
	*len = (size_t)k;
	return *cp <= 0x9f || *cp == 0x2028 || *cp == 0x2029 ? 'u' : 0;
}

char *
text_escape(const char *s)
{
	struct buf	     b = { 0 };
	const unsigned char *p;
	size_t		     n, len;
	utf8proc_int32_t     cp;

	if (s == NULL)
		return NULL;
	p = (const unsigned char *)s;
	for (n = strlen(s); n > 0; p += len, n -= len) {
		switch (esc_kind(p, n, &len, &cp)) {
		case 'x':
			buf_printf(&b, "\\x%02x", *p);
			break;
		case 'u':
			buf_printf(&b, "\\u%04x", (unsigned)cp);
			break;
		case '\\':
			buf_adds(&b, "\\\\");
			break;
		default:
			buf_add(&b, p, len);
		}
	}
	if (b.s == NULL)
		return xstrdup("");
	return buf_take(&b);
}

const char *
text_safe(const char *s, char **owned)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		     n, len;
	utf8proc_int32_t     cp;

	*owned = NULL;
	for (n = strlen(s); n > 0; p += len, n -= len)
		if (esc_kind(p, n, &len, &cp) != 0)
			return *owned = text_escape(s);
	return s;
}

/* Whether code point c breaks a line or is a control, for text_peer. */
static int
peer_breaks(utf8proc_int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);

	return c == 0 || k == UTF8PROC_CATEGORY_CC ||
	    k == UTF8PROC_CATEGORY_ZL || k == UTF8PROC_CATEGORY_ZP;
}

/*
 * The n bytes at s with each invalid UTF-8 sequence as U+FFFD and, when
 * oneline, every control and line break as a space; cut to max bytes as
 * text_peer says. Never NULL.
 */
static char *
clean(const char *s, size_t n, size_t max, int oneline)
{
	static const char	ell[] = "\xe2\x80\xa6"; /* U+2026 */
	static const char	rep[] = "\xef\xbf\xbd"; /* U+FFFD */
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	struct buf		b = { 0 };
	size_t			i = 0, cut;

	assert(max >= sizeof(ell) - 1);
	/* Clean until the text is known to hold more than max bytes. */
	while (s != NULL && i < n && b.len <= max) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k;

		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
		if (k < 1) {
			buf_add(&b, rep, sizeof(rep) - 1);
			k = 1;
		} else if (oneline && peer_breaks(c))
			buf_addc(&b, ' ');
		else
			buf_add(&b, p + i, (size_t)k);
		i += (size_t)k;
	}
	if (b.s == NULL)
		return xstrdup("");
	if (b.len <= max)
		return buf_take(&b);
	/* Cut back to the start of a character, leaving room for "...". */
	cut = max - (sizeof(ell) - 1);
	while (cut > 0 && ((unsigned char)b.s[cut] & 0xc0) == 0x80)
		cut--;
	b.len = cut;
	buf_add(&b, ell, sizeof(ell) - 1);
	return buf_take(&b);
}

char *
text_peer(const char *s, size_t n, size_t max)
{
	return clean(s, n, max, 1);
}

char *
text_oneline(const char *s)
{
	return clean(s, s != NULL ? strlen(s) : 0, (size_t)-1, 1);
}

char *
text_valid(const char *s)
{
	return s != NULL ? clean(s, strlen(s), (size_t)-1, 0) : NULL;
}

char *
text_json_breaks(const char *s)
{
	struct buf b = { 0 };
	size_t	   i;

	assert(s != NULL);
	/* JSON's structure is ASCII: these bytes are inside strings. */
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\xc2' && s[i + 1] == '\x85') {
			buf_adds(&b, "\\u0085");
			i++;
		} else if (s[i] == '\xe2' && s[i + 1] == '\x80' &&
		    (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
			buf_adds(&b,
			    s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029");
			i += 2;
		} else
			buf_addc(&b, s[i]);
	}
	return b.s != NULL ? buf_take(&b) : xstrdup("");
}

int
text_blank(const char *s)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	cp;
	utf8proc_ssize_t	n;
	utf8proc_category_t	cat;

	if (s == NULL)
		return 1;
	while (*p != '\0') {
		if ((n = utf8proc_iterate(p, -1, &cp)) <= 0)
			return 0;
		cat = utf8proc_category(cp);
		if (cat != UTF8PROC_CATEGORY_ZS &&
		    cat != UTF8PROC_CATEGORY_ZL &&
		    cat != UTF8PROC_CATEGORY_ZP &&
		    cat != UTF8PROC_CATEGORY_CC && cat != UTF8PROC_CATEGORY_CF)
			return 0;
		p += n;
	}
	return 1;
}

/* A copy of the n bytes at s without the spaces around them. */
static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

void
text_addr_split(const char *spec, char **name, char **addr)
{
	const char *lt, *gt;
	size_t	    n;

	if ((lt = strrchr(spec, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL) {
		*name = NULL;
		*addr = trimmed(spec, strlen(spec));
		return;
	}
	*addr = trimmed(lt + 1, (size_t)(gt - lt - 1));
	*name = trimmed(spec, (size_t)(lt - spec));
	n = strlen(*name);
	if (n >= 2 && (*name)[0] == '"' && (*name)[n - 1] == '"') {
		char  *q = *name, *w = q;
		size_t i;

		for (i = 1; i + 1 < n; i++) {
			if (q[i] == '\\' && i + 2 < n)
				i++;
			*w++ = q[i];
		}
		*w = '\0';
	}
	if (**name == '\0') {
		free(*name);
		*name = NULL;
	}
}
