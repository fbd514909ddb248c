/*
 * check_mime.c: unit tests of the headers of the mail loa builds
 * (conf/REFERENCE.md §7, README "Delivery"): CRLF line ends, header
 * lines within 78 characters, RFC 2047 encoded Vietnamese, names, Sender and
 * Reply-To, nothing injected, Message-ID <ID@loa>.
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
	/* No iCalendar, no attachment: conf/REFERENCE.md §7's shape without the
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

int
main(void)
{
	TU_CASE("headers", mfx_setup, mfx_teardown, 0, test_headers_plain,
	    test_sender_reply_to, test_headers_encoded, test_subject_folded,
	    test_header_injection, test_display_names, test_long_headers);
	return tu_run("mime");
}
