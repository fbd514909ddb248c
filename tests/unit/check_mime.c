/*
 * check_mime.c: unit tests of the mail loa builds (SPEC §7 "MIME", README
 * "Delivery"): the headers, CRLF line ends, header lines within 78
 * characters, RFC 2047 encoded Vietnamese, the iTIP structure
 * (multipart/mixed > multipart/alternative { text/plain, text/calendar;
 * method=M } + application/ics), base64 attachments, Message-ID <ID@loa>.
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

#define ICS \
	"BEGIN:VCALENDAR\r\nPRODID:-//loa//test//VI\r\nVERSION:2.0\r\n" \
	"METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x@loa\r\n" \
	"SUMMARY:Hội nghị tổng kết\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

static char *msg; /* freed by teardown */
static char *tmpfile_path;

static void
setup(void)
{
	msg = NULL;
	tmpfile_path = NULL;
}

static void
teardown(void)
{
	free(msg);
	msg = NULL;
	if (tmpfile_path != NULL)
		unlink(tmpfile_path);
	free(tmpfile_path);
	tmpfile_path = NULL;
}

static struct mime_mail
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

static const char *
build(const struct mime_mail *m)
{
	free(msg);
	msg = mime_build(m);
	ck_assert_ptr_nonnull(msg);
	return msg;
}

/* Base64 to bytes, skipping CRLF; *n gets the length. Caller frees. */
static char *
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
static char *
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
static char *
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
static void
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

static void
assert_tree(const char *m, const char *want)
{
	struct buf b = { 0 };

	tree_of(m, m + strlen(m), &b);
	ck_assert_str_eq(b.s, want);
	buf_free(&b);
}

/* Decode a header value of RFC 2047 B words (and plain text). */
static char *
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
static int
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
static void
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
static void
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
static char *
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

START_TEST(test_headers_plain)
{
	struct mime_mail m = mail();
	char		*h, *v;
	size_t		 n;

	build(&m);
	assert_crlf(msg);
	assert_header_lines(msg, 78);
	h = headers(msg);
	/* The job id at the host of the From address. */
	v = header(h, "Message-ID");
	ck_assert_str_eq(v, "<0123456789abcdef@daison.example>");
	free(v);
	v = header(h, "MIME-Version");
	ck_assert_str_eq(v, "1.0");
	free(v);
	v = header(h, "Auto-Submitted");
	ck_assert_str_eq(v, "auto-generated");
	free(v);
	ck_assert_ptr_null(header(h, "List-Unsubscribe"));
	ck_assert_ptr_null(header(h, "Sender"));
	ck_assert_ptr_null(header(h, "Reply-To"));
	/* Date: in the service's zone, its offset written. */
	v = header(h, "Date");
	ck_assert_str_eq(v, "Fri, 26 Dec 2025 08:00:00 +0700");
	free(v);
	v = header(h, "To");
	ck_assert_msg(strstr(v, " <an@daison.example>") != NULL, "%s", v);
	free(v);
	v = header(h, "From");
	ck_assert_msg(strstr(v, "<ubnd@daison.example>") != NULL, "%s", v);
	free(v);
	free(h);
	/* No iCalendar, no attachment: SPEC §7's shape without the
	 * calendar parts, mixed > alternative { plain, html }. */
	assert_tree(msg,
	    "multipart/mixed(multipart/alternative(text/plain,"
	    "text/html))");
	v = part(msg, "text/plain; charset=UTF-8", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, m.body);
	free(v);
	v = part(msg, "text/html; charset=UTF-8", &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, m.html);
	free(v);
	/* West of UTC, the day before; no From host: loa's own. */
	m.tzoff = -(3 * 3600 + 30 * 60);
	m.date = 1766710800 - 2 * 3600;
	m.from_addr = "nobody";
	build(&m);
	h = headers(msg);
	v = header(h, "Date");
	ck_assert_str_eq(v, "Thu, 25 Dec 2025 19:30:00 -0330");
	free(v);
	v = header(h, "Message-ID");
	ck_assert_str_eq(v, "<0123456789abcdef@loa>");
	free(v);
	free(h);
}
END_TEST

/* Sender: and Reply-To: when given, addresses like From's. */
START_TEST(test_sender_reply_to)
{
	struct mime_mail m = mail();
	char		*h, *v, *d;

	m.sender_addr = "vanthu@daison.example";
	m.reply_name = "Văn phòng, UBND xã";
	m.reply_addr = "vanphong@daison.example";
	build(&m);
	assert_header_lines(msg, 78);
	h = headers(msg);
	v = header(h, "Sender");
	ck_assert_str_eq(v, "vanthu@daison.example");
	free(v);
	v = header(h, "Reply-To");
	d = decode_words(v);
	ck_assert_str_eq(d, "Văn phòng, UBND xã <vanphong@daison.example>");
	free(d);
	free(v);
	free(h);
	/* Order: From, Sender, Reply-To, To. */
	ck_assert(strstr(msg, "\r\nSender:") > strstr(msg, "From:") &&
	    strstr(msg, "\r\nReply-To:") > strstr(msg, "\r\nSender:") &&
	    strstr(msg, "\r\nTo:") > strstr(msg, "\r\nReply-To:"));
	m.sender_name = "Văn thư \"UBND\"";
	m.reply_name = "Phong, Van";
	m.reply_addr = "vp@daison.example";
	build(&m);
	h = headers(msg);
	v = header(h, "Sender");
	d = decode_words(v);
	ck_assert_str_eq(d, "Văn thư \"UBND\" <vanthu@daison.example>");
	free(d);
	free(v);
	v = header(h, "Reply-To");
	ck_assert_str_eq(v, "\"Phong, Van\" <vp@daison.example>");
	free(v);
	free(h);
	/* The sender is the author: no Sender (RFC 5322 §3.6.2). */
	m.sender_addr = "UBND@daison.example";
	build(&m);
	h = headers(msg);
	ck_assert_ptr_null(header(h, "Sender"));
	free(h);
}
END_TEST

START_TEST(test_headers_encoded)
{
	struct mime_mail m = mail();
	char		*h, *v, *d;

	build(&m);
	h = headers(msg);
	v = header(h, "Subject");
	ck_assert_msg(strncmp(v, "=?UTF-8?B?", 10) == 0, "%s", v);
	d = decode_words(v);
	ck_assert_str_eq(d, "Giấy mời: Hội nghị tổng kết");
	free(d);
	free(v);
	v = header(h, "To");
	d = decode_words(v);
	ck_assert_str_eq(d, "Trần Văn An <an@daison.example>");
	free(d);
	free(v);
	v = header(h, "From");
	d = decode_words(v);
	ck_assert_str_eq(d, "UBND xã Đại Sơn <ubnd@daison.example>");
	free(d);
	free(v);
	free(h);
	/* ASCII stays as it is. */
	m.subject = "Plan 129/KH-UBND";
	m.to_name = "An Tran";
	build(&m);
	h = headers(msg);
	v = header(h, "Subject");
	ck_assert_str_eq(v, "Plan 129/KH-UBND");
	free(v);
	v = header(h, "To");
	ck_assert_str_eq(v, "An Tran <an@daison.example>");
	free(v);
	free(h);
}
END_TEST

/* A long Vietnamese subject is folded into several encoded words, never
 * splitting a character, and decodes back whole. */
START_TEST(test_subject_folded)
{
	struct mime_mail m = mail();
	char		*h, *v, *d;
	const char	*p;
	int		 words = 0;

	static const char *const subjects[] = {
		"Kế hoạch tổ chức Hội nghị tổng kết công tác cải cách hành "
		"chính năm 2025 và triển khai nhiệm vụ năm 2026 của Ủy ban "
		"nhân dân xã Đại Sơn",
		/* 2-byte characters only: 45 bytes would split one. */
		"đơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơđơ",
		/* After one ASCII byte, 3-byte characters. */
		"Xếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếếế",
	};
	size_t k;

	for (k = 0; k < sizeof(subjects) / sizeof(subjects[0]); k++) {
		m.subject = subjects[k];
		words = 0;
		build(&m);
		assert_crlf(msg);
		/* Every line within 78, the first one too. */
		assert_header_lines(msg, 78);
		h = headers(msg);
		v = header(h, "Subject");
		for (p = v; (p = strstr(p, "=?UTF-8?B?")) != NULL; p += 10) {
			const char *e = strstr(p + 10, "?=");
			size_t	    n;
			char	   *w;

			words++;
			/* Each word decodes to whole UTF-8 characters. */
			w = unb64(p + 10, (size_t)(e - p - 10), &n);
			ck_assert_msg(n > 0 && utf8_whole(w, n),
			    "word %d splits a "
			    "character: %.*s",
			    words, (int)(e - p + 2), p);
			free(w);
		}
		ck_assert_int_gt(words, 1);
		d = decode_words(v);
		ck_assert_str_eq(d, m.subject);
		free(d);
		free(v);
		free(h);
	}
}
END_TEST

/* CR and LF never reach a header: no header can be injected. */
START_TEST(test_header_injection)
{
	struct mime_mail m = mail();
	char		*h;

	m.subject = "Giấy mời\r\nBcc: spy@evil.example";
	m.to_name = "An\r\nX-Evil: 1";
	build(&m);
	assert_crlf(msg);
	assert_header_lines(msg, 998);
	h = headers(msg);
	ck_assert_msg(strstr(h, "\r\nBcc:") == NULL, "%s", h);
	ck_assert_msg(strstr(h, "\r\nX-Evil:") == NULL, "%s", h);
	{
		/* Nor do they come back out of the encoded words. */
		char *v = header(h, "Subject"), *d = decode_words(v);

		ck_assert_msg(strpbrk(d, "\r\n") == NULL, "%s", d);
		free(d);
		free(v);
	}
	free(h);
	/* Every other header path: From, Sender and Reply-To names, an
	 * attachment's file name (both its forms). */
	{
		struct mime_file f = { "a\r\nBcc: spy@evil.example\r\n.pdf",
			"x", 1 };
		struct mime_file g = { "Tệp\nX-Evil: 1\r\n.txt", "y", 1 };
		struct mime_file fs[2];

		fs[0] = f;
		fs[1] = g;
		m.from_name = "UBND\r\nBcc: spy@evil.example";
		m.sender_name = "Văn thư\r\nX-Evil: 1";
		m.sender_addr = "vt@daison.example";
		m.reply_name = "VP\nX-Evil: 1";
		m.reply_addr = "vp@daison.example";
		m.attach = fs;
		m.nattach = 2;
		build(&m);
		assert_crlf(msg);
		assert_header_lines(msg, 78);
		ck_assert_msg(strstr(msg, "\r\nBcc:") == NULL, "%s", msg);
		ck_assert_msg(strstr(msg, "\r\nX-Evil:") == NULL, "%s", msg);
		ck_assert_ptr_nonnull(strstr(msg,
		    "filename*=UTF-8''a%0D%0ABcc%3A%20spy%40evil.example%0D%0A."
		    "pdf;"));
		ck_assert_ptr_nonnull(
		    strstr(msg, "filename=\"a__Bcc: spy@evil.example__.pdf\""));
		ck_assert_ptr_nonnull(
		    strstr(msg, "filename=\"Tep_X-Evil: 1__.txt\""));
		m.attach = NULL;
		m.nattach = 0;
		m.sender_addr = m.reply_addr = NULL;
		m.from_name = "UBND xã Đại Sơn";
	}
	/* The same in plain ASCII. */
	m.subject = "Plan 129\r\nBcc: spy@evil.example";
	m.to_name = "An\nX-Evil: 1";
	build(&m);
	assert_crlf(msg);
	h = headers(msg);
	ck_assert_msg(strstr(h, "\r\nBcc:") == NULL, "%s", h);
	ck_assert_msg(strstr(h, "\r\nX-Evil:") == NULL, "%s", h);
	free(h);
	{
		struct buf b = { 0 };

		mime_header(&b, "Subject", "a\r\nb");
		ck_assert_ptr_nonnull(b.s);
		ck_assert_ptr_null(strchr(b.s, '\n'));
		ck_assert_ptr_null(strchr(b.s, '\r'));
		buf_free(&b);
		mime_address_header(&b, "To", "a\r\nb", "x@y.example");
		ck_assert_ptr_nonnull(b.s);
		ck_assert_ptr_null(strchr(b.s, '\n'));
		ck_assert_ptr_null(strchr(b.s, '\r'));
		buf_free(&b);
	}
}
END_TEST

/*
 * Display names with specials are quoted strings, '"' and '\\' escaped;
 * with non-ASCII, B words only; the address is the one given, apart.
 */
START_TEST(test_display_names)
{
	static const struct {
		const char *name, *want;
	} v[] = {
		{ "Victim, Mallory <mallory@attacker.example>",
		    "\"Victim, Mallory <mallory@attacker.example>\" "
		    "<an@daison.example>" },
		{ "Lê \"Bé\" <x@y>", NULL },
		{ "A \"B\" \\ C.",
		    "\"A \\\"B\\\" \\\\ C.\" <an@daison.example>" },
		{ "An Tran", "An Tran <an@daison.example>" },
		{ "  An  ", "An <an@daison.example>" },
		{ "", "an@daison.example" },
		{ "=?UTF-8?B?QUFB?=", NULL },
	};
	struct mime_mail m = mail();
	char		*h, *to, *from, *d;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		m.to_name = v[i].name;
		m.from_name = "UBND <evil@attacker.example>";
		build(&m);
		assert_header_lines(msg, 78);
		h = headers(msg);
		to = header(h, "To");
		from = header(h, "From");
		ck_assert_str_eq(from,
		    "\"UBND <evil@attacker.example>\" "
		    "<ubnd@daison.example>");
		if (v[i].want != NULL)
			ck_assert_str_eq(to, v[i].want);
		else {
			/* Encoded: one '<', the address's, after the words. */
			ck_assert_msg(strncmp(to, "=?UTF-8?B?", 10) == 0, "%s",
			    to);
			ck_assert_ptr_eq(strchr(to, '<'),
			    strstr(to, " <an@daison.example>") + 1);
			ck_assert_ptr_null(strchr(to, '"'));
			d = decode_words(to);
			ck_assert_str_eq(d,
			    v[i].name[0] == '=' ?
				"=?UTF-8?B?QUFB?= <an@daison.example>" :
				"Lê \"Bé\" <x@y> <an@daison.example>");
			free(d);
		}
		free(to);
		free(from);
		free(h);
	}
}
END_TEST

/* Long values: every header line within 78, and they read back. */
START_TEST(test_long_headers)
{
	struct mime_mail m = mail();
	struct buf	 name = { 0 }, issuer = { 0 }, subj = { 0 };
	char		*h, *v, *d, *want;
	int		 i;

	buf_adds(&name, "Nguyễn Văn ");
	for (i = 0; i < 2600; i++)
		buf_adds(&name, "A");
	for (i = 0; i < 20; i++)
		buf_adds(&issuer,
		    i ? ", Ủy ban nhân dân xã Đại Sơn" :
			"Ủy ban nhân dân xã Đại Sơn");
	for (i = 0; i < 4; i++)
		buf_adds(&subj,
		    i ? " Conference on the administrative reform" :
			"Conference on the administrative reform");
	m.to_name = name.s;
	m.from_name = issuer.s;
	m.subject = subj.s;
	build(&m);
	assert_crlf(msg);
	assert_header_lines(msg, 78);
	h = headers(msg);
	v = header(h, "Subject");
	ck_assert_str_eq(v, subj.s); /* folded at its spaces */
	free(v);
	v = header(h, "To");
	d = decode_words(v);
	want = xasprintf("%s <an@daison.example>", name.s);
	ck_assert_str_eq(d, want);
	free(want);
	free(d);
	free(v);
	v = header(h, "From");
	d = decode_words(v);
	want = xasprintf("%s <ubnd@daison.example>", issuer.s);
	ck_assert_str_eq(d, want);
	free(want);
	free(d);
	free(v);
	free(h);
	/* An ASCII word too long for a line is encoded, not left whole. */
	buf_free(&subj);
	for (i = 0; i < 200; i++)
		buf_adds(&subj, "x");
	m.subject = subj.s;
	build(&m);
	assert_header_lines(msg, 78);
	h = headers(msg);
	v = header(h, "Subject");
	d = decode_words(v);
	ck_assert_str_eq(d, subj.s);
	free(d);
	free(v);
	free(h);
	buf_free(&name);
	buf_free(&issuer);
	buf_free(&subj);
}
END_TEST

START_TEST(test_itip_structure)
{
	struct mime_mail m = mail();
	const char	*mixed, *alt, *plain, *cal, *att, *end;
	char		*v;
	size_t		 n;

	m.ics = ICS;
	m.method = "REQUEST";
	build(&m);
	assert_crlf(msg);
	assert_header_lines(msg, 78);
	mixed = strstr(msg, "\r\nContent-Type: multipart/mixed; boundary=");
	alt = strstr(msg,
	    "\r\nContent-Type: multipart/alternative; "
	    "boundary=");
	plain = strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8");
	cal = strstr(msg,
	    "\r\nContent-Type: text/calendar; method=REQUEST; "
	    "charset=UTF-8\r\n");
	att = strstr(msg,
	    "\r\nContent-Type: application/ics; "
	    "name=\"invite.ics\"");
	ck_assert_msg(mixed && alt && plain && cal && att, "%s", msg);
	/* SPEC §7: mixed > alternative { plain, html, calendar }, then the
	 * same object attached. */
	assert_tree(msg,
	    "multipart/mixed(multipart/alternative(text/plain,text/html,"
	    "text/calendar),application/ics)");
	ck_assert(mixed < alt && alt < plain && plain < cal && cal < att);
	end = strstr(cal, "--loa-alt-");
	ck_assert_msg(end != NULL && end < att,
	    "the alternative part does "
	    "not close before the attachment");
	ck_assert_msg(strstr(att,
			  "Content-Disposition: attachment; "
			  "filename=\"invite.ics\"") != NULL,
	    "%s", att);
	v = part(msg, "text/calendar; method=REQUEST", &n);
	ck_assert_str_eq(v, ICS);
	free(v);
	v = part(msg, "application/ics", &n);
	ck_assert_str_eq(v, ICS);
	free(v);
	v = part(msg, "text/plain", &n);
	ck_assert_str_eq(v, m.body);
	free(v);
	v = part(msg, "text/html; charset=UTF-8", &n);
	ck_assert_str_eq(v, m.html);
	free(v);
	/* Nothing non-ASCII is labelled 7bit; no raw 8-bit byte anywhere. */
	ck_assert_ptr_null(strstr(msg, "7bit"));
	for (n = 0; msg[n] != '\0'; n++)
		ck_assert_msg((unsigned char)msg[n] < 0x80, "a raw byte at %zu",
		    n);
	/* The closing boundary of the whole message is last. */
	ck_assert_msg(strlen(msg) > 20 && strstr(msg, "--loa-mixed-") != NULL &&
		strcmp(msg + strlen(msg) - 4, "--\r\n") == 0,
	    "%s", msg + strlen(msg) - 40);

	/* The MIME method follows what it is told: CANCEL. */
	m.method = "CANCEL";
	build(&m);
	ck_assert_ptr_nonnull(strstr(msg,
	    "Content-Type: text/calendar; "
	    "method=CANCEL; charset=UTF-8\r\n"));
	ck_assert_ptr_null(strstr(msg, "method=REQUEST"));
}
END_TEST

/* The value of parameter name (no '*') in the unfolded header value v:
 * RFC 2231 sections joined and percent-decoded, or the quoted string.
 * Caller frees; NULL when absent. */
static char *
param(const char *v, const char *name, int extended)
{
	struct buf  b = { 0 };
	char	    key[64];
	const char *p, *e;
	int	    sect;

	if (!extended) {
		snprintf(key, sizeof(key), " %s=\"", name);
		if ((p = strstr(v, key)) == NULL)
			return NULL;
		p += strlen(key);
		return xstrndup(p, strcspn(p, "\""));
	}
	for (sect = -1;; sect++) {
		if (sect < 0)
			snprintf(key, sizeof(key), " %s*=", name);
		else
			snprintf(key, sizeof(key), " %s*%d*=", name, sect);
		if ((p = strstr(v, key)) == NULL) {
			if (sect < 0)
				continue;
			break;
		}
		p += strlen(key);
		if (sect <= 0) {
			ck_assert_msg(strncmp(p, "UTF-8''", 7) == 0, "%s", p);
			p += 7;
		}
		for (e = p; *e != '\0' && *e != ';' && *e != ' '; e++) {
			if (*e == '%') {
				unsigned c;

				ck_assert(sscanf(e + 1, "%2x", &c) == 1);
				buf_addc(&b, (char)c);
				e += 2;
			} else {
				ck_assert_msg(strchr("\"'()<>@,;:\\/[]?={}*",
						  *e) == NULL,
				    "'%c' not percent-encoded", *e);
				buf_add(&b, e, 1);
			}
		}
		if (sect < 0)
			break;
	}
	return b.s != NULL ? buf_take(&b) : NULL;
}

/* The unfolded headers of the part holding "filename", by its name. */
static char *
attach_headers(const char *fb)
{
	char	    key[200];
	const char *p;

	snprintf(key, sizeof(key), "filename=\"%s\"", fb);
	ck_assert_msg((p = strstr(msg, key)) != NULL, "no %s", key);
	while (p > msg && strncmp(p, "\r\n--loa-mixed-", 14) != 0)
		p--;
	return headers(p + 2 + strcspn(p + 2, "\r") + 2);
}

START_TEST(test_attachments)
{
	static const unsigned char bytes[] = { '%', 'P', 'D', 'F', 0x00, 0xff,
		0x80, 0x0d, 0x0a, 0x7f, 'x' };
	struct mime_mail	   m = mail();
	struct mime_file	   files[3];
	struct buf		   longname = { 0 };
	char			  *v, *h, *d;
	size_t			   n;
	int			   i;

	files[0].name = "129-KH-UBND.pdf";
	files[0].data = (const char *)bytes;
	files[0].len = sizeof(bytes);
	files[1].name = "Ghi chú.txt";
	files[1].data = "chú ý";
	files[1].len = strlen("chú ý");
	/* Long enough to need RFC 2231 continuations. */
	for (i = 0; i < 6; i++)
		buf_adds(&longname, "Kế hoạch tổ chức Hội nghị ");
	buf_adds(&longname, "số 129.docx");
	files[2].name = longname.s;
	files[2].data = "PK";
	files[2].len = 2;
	m.attach = files;
	m.nattach = 3;
	build(&m);
	assert_crlf(msg);
	assert_header_lines(msg, 78);
	/* Every line, the parts' headers too, within 78 octets. */
	{
		const char *p = msg, *e;

		for (; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
			ck_assert_msg(e - p <= 78, "a line of %td: %.*s", e - p,
			    (int)(e - p), p);
	}
	assert_tree(msg,
	    "multipart/mixed(multipart/alternative(text/plain,"
	    "text/html),application/pdf,text/plain,"
	    "application/vnd.openxmlformats-officedocument."
	    "wordprocessingml.document)");
	ck_assert_ptr_nonnull(strstr(msg,
	    "\r\nContent-Type: application/pdf; name=\"129-KH-UBND.pdf\""
	    "\r\nContent-Disposition: attachment; filename=\"129-KH-UBND.pdf"
	    "\""));
	/* A non-ASCII file name is RFC 2231's, with an ASCII fallback;
	 * never raw bytes, never an encoded word. */
	ck_assert_ptr_null(strstr(msg, "Ghi chú"));
	ck_assert_ptr_null(strstr(msg, "=?UTF-8?B?R2hp"));
	h = attach_headers("Ghi chu.txt");
	v = header(h, "Content-Disposition");
	ck_assert_str_eq(v,
	    "attachment; filename*=UTF-8''Ghi%20ch%C3%BA.txt; "
	    "filename=\"Ghi chu.txt\"");
	free(v);
	v = header(h, "Content-Type");
	ck_assert_str_eq(v, "text/plain; charset=UTF-8; name=\"Ghi chu.txt\"");
	free(v);
	free(h);
	/* The fallback: 60 octets at most, the extension kept. */
	h = attach_headers("Ke hoach to chuc Hoi nghi Ke hoach to chuc Hoi "
			   "nghi Ke.docx");
	v = header(h, "Content-Disposition");
	ck_assert_msg(strstr(v, "filename*0*=UTF-8''K%E1%BA%BF") != NULL &&
		strstr(v, "filename*1*=") != NULL,
	    "%s", v);
	d = param(v, "filename", 1);
	ck_assert_str_eq(d, longname.s);
	free(d);
	free(v);
	free(h);
	v = part(msg, "application/pdf", &n);
	ck_assert_uint_eq(n, sizeof(bytes));
	ck_assert_int_eq(memcmp(v, bytes, n), 0);
	free(v);
	v = part(msg, "text/plain; charset=UTF-8; name", &n);
	ck_assert_uint_eq(n, strlen("chú ý"));
	ck_assert_int_eq(memcmp(v, "chú ý", n), 0);
	free(v);
	buf_free(&longname);
}
END_TEST

/* Content-Type by extension, case aside; unknown: octet-stream. */
START_TEST(test_attachment_types)
{
	static const struct {
		const char *name, *type;
	} v[] = {
		{ "a.pdf", "application/pdf" },
		{ "a.PDF", "application/pdf" },
		{ "a.doc", "application/msword" },
		{ "a.docx",
		    "application/vnd.openxmlformats-officedocument."
		    "wordprocessingml.document" },
		{ "a.xls", "application/vnd.ms-excel" },
		{ "a.xlsx",
		    "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet" },
		{ "a.ppt", "application/vnd.ms-powerpoint" },
		{ "a.pptx",
		    "application/vnd.openxmlformats-officedocument."
		    "presentationml.presentation" },
		{ "a.odt", "application/vnd.oasis.opendocument.text" },
		{ "a.ods", "application/vnd.oasis.opendocument.spreadsheet" },
		{ "ảnh.jpg", "image/jpeg" },
		{ "a.JPEG", "image/jpeg" },
		{ "a.png", "image/png" },
		{ "a.txt", "text/plain" },
		{ "a.csv", "text/csv" },
		{ "a.zip", "application/zip" },
		{ "a.tar.gz", "application/octet-stream" },
		{ "a.exe", "application/octet-stream" },
		{ "pdf", "application/octet-stream" },
		{ ".pdf", "application/octet-stream" },
		{ "a.", "application/octet-stream" },
	};
	struct mime_mail m = mail();
	struct mime_file f;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(strcmp(mime_type_of(v[i].name), v[i].type) == 0,
		    "%s: %s", v[i].name, mime_type_of(v[i].name));
	/* Text not in UTF-8 gets no charset it does not have. */
	f.name = "a.csv";
	f.data = "\xe0\xe1;\xe2\n";
	f.len = 5;
	m.attach = &f;
	m.nattach = 1;
	build(&m);
	ck_assert_ptr_nonnull(strstr(msg,
	    "\r\nContent-Type: text/csv; "
	    "name=\"a.csv\"\r\n"));
}
END_TEST

/* HTML text: the five specials as references, no control but LF/TAB. */
START_TEST(test_html_text)
{
	struct buf b = { 0 };

	mime_html_text(&b,
	    "<script>alert(\"x\")</script> & 'Đại Sơn'\x01\x7f\t\n");
	ck_assert_str_eq(b.s,
	    "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
	    "&#39;Đại Sơn&#39;\t\n");
	buf_free(&b);
}
END_TEST

START_TEST(test_base64)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==\r\n" },
		{ "fo", "Zm8=\r\n" },
		{ "foo", "Zm9v\r\n" },
		{ "foob", "Zm9vYg==\r\n" },
		{ "fooba", "Zm9vYmE=\r\n" },
		{ "foobar", "Zm9vYmFy\r\n" },
	};
	struct buf b;
	char	   big[200], *d;
	size_t	   i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&b, 0, sizeof(b));
		mime_base64(&b, v[i].in, strlen(v[i].in));
		ck_assert_str_eq(b.s != NULL ? b.s : "", v[i].out);
		buf_free(&b);
	}
	/* 57 bytes a line of 76. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	memset(&b, 0, sizeof(b));
	mime_base64(&b, big, sizeof(big));
	ck_assert_int_eq(strstr(b.s, "\r\n") - b.s, 76);
	d = unb64(b.s, b.len, &n);
	ck_assert_uint_eq(n, sizeof(big));
	ck_assert_int_eq(memcmp(d, big, n), 0);
	free(d);
	buf_free(&b);
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_headers_plain);
	tcase_add_test(tc, test_headers_encoded);
	tcase_add_test(tc, test_subject_folded);
	tcase_add_test(tc, test_header_injection);
	tcase_add_test(tc, test_display_names);
	tcase_add_test(tc, test_long_headers);
	tcase_add_test(tc, test_itip_structure);
	tcase_add_test(tc, test_attachments);
	tcase_add_test(tc, test_attachment_types);
	tcase_add_test(tc, test_html_text);
	tcase_add_test(tc, test_sender_reply_to);
	tcase_add_test(tc, test_base64);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mime_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
