/*
 * check_mime_parts.c: unit tests of the parts of the mail loa builds
 * (conf/REFERENCE.md §7; README "Mail"): the iTIP structure (multipart/mixed >
 * multipart/alternative { text/plain, text/calendar; method=M } +
 * application/ics), base64 attachments and their types, the HTML text.
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
	/* conf/REFERENCE.md §7: mixed > alternative { plain, html, calendar },
	 * then the same object attached. */
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

int
main(void)
{
	TU_CASE("parts", mfx_setup, mfx_teardown, 0, test_itip_structure,
	    test_attachments, test_attachment_types, test_html_text,
	    test_base64);
	return tu_run("mime-parts");
}
