/*
 * mimefx.c: the mail suites' mail and readers (see mimefx.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "render/mime.h"
#include "util/mem.h"
#include "util/buf.h"
#include "testutil.h"
#include "mimefx.h"

char *msg; /* freed by teardown */
char *tmpfile_path;

void
mfx_setup(void)
{
	msg = NULL;
	tmpfile_path = NULL;
}

void
mfx_teardown(void)
{
	free(msg);
	msg = NULL;
	if (tmpfile_path != NULL)
		unlink(tmpfile_path);
	free(tmpfile_path);
	tmpfile_path = NULL;
}

struct mime_mail
mail(void)
{
	struct mime_mail m;

	memset(&m, 0, sizeof(m));
	m.from_name = "UBND xã Đại Sơn";
	m.from_addr = "ubnd@daison.example";
	m.to_name = "Trần Văn An";
	m.to = "an@daison.example";
	m.subject = "Giấy mời: Hội nghị tổng kết";
	m.body = "Kính gửi anh An,\n\nTrân trọng kính mời.\n";
	m.html = "<!DOCTYPE html>\n<html><body><p>Kính gửi anh An,</p>"
		 "</body></html>\n";
	m.id = "0123456789abcdef";
	m.date = 1766710800; /* 2025-12-26 01:00:00 UTC, a Friday */
	m.tzoff = 7 * 3600;
	return m;
}

const char *
build(const struct mime_mail *m)
{
	free(msg);
	msg = mime_build(m);
	ck_assert_ptr_nonnull(msg);
	return msg;
}

/* Base64 to bytes, skipping CRLF; *n gets the length. Caller frees. */
char *
unb64(const char *s, size_t len, size_t *n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char		 *out = xmalloc(len + 1);
	unsigned	  acc = 0;
	int		  bits = 0;
	size_t		  i;
	const char	 *p;

	*n = 0;
	for (i = 0; i < len && s[i] != '='; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		p = strchr(al, s[i]);
		ck_assert_msg(p != NULL && s[i] != '\0', "not base64: '%c'",
		    s[i]);
		acc = (acc << 6) | (unsigned)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[(*n)++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[*n] = '\0';
	return out;
}

/* The header block (up to the first empty line), unfolded into one line
 * per field: CRLF before white space is removed, the space stays (RFC 5322
 * §2.2.3). Caller frees. */
char *
headers(const char *m)
{
	const char *end = strstr(m, "\r\n\r\n");
	char	   *h, *p, *q;

	ck_assert_ptr_nonnull(end);
	h = xstrndup(m, (size_t)(end - m) + 2);
	for (p = q = h; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' &&
		    (p[2] == ' ' || p[2] == '\t')) {
			p += 1;
			continue;
		}
		*q++ = *p;
	}
	*q = '\0';
	return h;
}

/* The value of header name in the unfolded block h, or NULL. Caller frees. */
char *
header(const char *h, const char *name)
{
	size_t	    n = strlen(name);
	const char *p = h;

	for (;;) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			return xstrndup(v, (size_t)(e - v));
		}
		if ((p = strstr(p, "\r\n")) == NULL || p[2] == '\0')
			return NULL;
		p += 2;
	}
}

/*
 * The MIME tree of the entity at [s, end) into out, types only, a
 * multipart's parts in parentheses: "multipart/mixed(text/plain,...)".
 * Every part must lie inside its parent and each multipart must close.
 */
void
tree_of(const char *s, const char *end, struct buf *out)
{
	char	   *h = headers(s), *ct = header(h, "Content-Type"), *delim;
	const char *body = strstr(s, "\r\n\r\n") + 2, *p, *next, *b;
	size_t	    n;

	ck_assert_ptr_nonnull(ct);
	ck_assert_msg(body < end, "headers run past the part");
	buf_add(out, ct, strcspn(ct, ";"));
	if (strncmp(ct, "multipart/", 10) == 0) {
		b = strstr(ct, "boundary=\"");
		ck_assert_ptr_nonnull(b);
		b += 10;
		n = strcspn(b, "\"");
		delim = xasprintf("\r\n--%.*s", (int)n, b);
		p = strstr(body, delim);
		ck_assert_msg(p != NULL && p < end, "no first boundary");
		buf_add(out, "(", 1);
		for (;;) {
			p += strlen(delim);
			if (strncmp(p, "--\r\n", 4) == 0)
				break;
			ck_assert_msg(strncmp(p, "\r\n", 2) == 0,
			    "a boundary not alone on its line");
			p += 2;
			next = strstr(p, delim);
			ck_assert_msg(next != NULL && next < end,
			    "a part runs past its parent");
			if (out->s[out->len - 1] != '(')
				buf_add(out, ",", 1);
			tree_of(p, next, out);
			p = next;
		}
		buf_add(out, ")", 1);
		free(delim);
	}
	free(ct);
	free(h);
}

void
assert_tree(const char *m, const char *want)
{
	struct buf b = { 0 };

	tree_of(m, m + strlen(m), &b);
	ck_assert_str_eq(b.s, want);
	buf_free(&b);
}

/* Decode a header value of RFC 2047 B words (and plain text). */
char *
decode_words(const char *v)
{
	struct buf  b = { 0 };
	const char *p = v;

	while (*p != '\0') {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(p + 10, "?=");
			size_t	    n;
			char	   *d;

			ck_assert_ptr_nonnull(e);
			d = unb64(p + 10, (size_t)(e - p - 10), &n);
			buf_add(&b, d, n);
			free(d);
			p = e + 2;
			/* White space between encoded words is dropped. */
			while (*p == ' ' && strncmp(p + 1, "=?", 2) == 0)
				p++;
			continue;
		}
		buf_add(&b, p, 1);
		p++;
	}
	return b.s != NULL ? buf_take(&b) : xstrdup("");
}

/* Do the n bytes at s hold whole UTF-8 characters only? */
int
utf8_whole(const char *s, size_t n)
{
	size_t i = 0, k, len;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		len = c < 0x80	       ? 1 :
		    (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 :
		    (c & 0xf8) == 0xf0 ? 4 :
					 0;
		if (len == 0 || i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* Every line ends CRLF: no bare LF, no bare CR. */
void
assert_crlf(const char *m)
{
	const char *p;

	for (p = m; *p != '\0'; p++) {
		if (*p == '\n')
			ck_assert_msg(p > m && p[-1] == '\r', "bare LF at %td",
			    p - m);
		if (*p == '\r')
			ck_assert_msg(p[1] == '\n', "bare CR at %td", p - m);
	}
	ck_assert_msg(strlen(m) >= 2 && strcmp(m + strlen(m) - 2, "\r\n") == 0,
	    "the message does not end with CRLF");
}

/* Each line of the header block is at most max octets, and only ASCII. */
void
assert_header_lines(const char *m, size_t max)
{
	const char *p = m, *e, *end = strstr(m, "\r\n\r\n");

	while (p < end) {
		e = strstr(p, "\r\n");
		ck_assert_msg((size_t)(e - p) <= max,
		    "a header line of %td "
		    "octets: %.*s",
		    e - p, (int)(e - p), p);
		for (; p < e; p++)
			ck_assert_msg((unsigned char)*p >= 0x20 &&
				(unsigned char)*p < 0x7f,
			    "a raw byte 0x%02x in "
			    "the headers",
			    (unsigned char)*p);
		p = e + 2;
	}
}

/* The body of the part whose Content-Type starts with type, decoded. */
char *
part(const char *m, const char *type, size_t *n)
{
	char	    hdr[160];
	const char *h, *body, *end;

	snprintf(hdr, sizeof(hdr), "\r\nContent-Type: %s", type);
	if ((h = strstr(m, hdr)) == NULL)
		return NULL;
	body = strstr(h, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_msg(strstr(h, "Content-Transfer-Encoding: base64\r\n") <
		    body &&
		strstr(h, "Content-Transfer-Encoding: base64\r\n") != NULL,
	    "part %s is not base64", type);
	body += 4;
	/* To the next boundary, or the end of a single-part message. */
	if ((end = strstr(body, "\r\n--")) == NULL)
		end = body + strlen(body) - 2;
	/* Lines of at most 76. */
	{
		const char *p = body, *e;

		while (p < end) {
			e = strstr(p, "\r\n");
			ck_assert_int_le(e - p, 76);
			p = e + 2;
		}
	}
	return unb64(body, (size_t)(end - body), n);
}
