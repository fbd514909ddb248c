/*
 * mime.c: building MIME messages. Base64 is written here because none of
 * loa's libraries exports an encoder (libcurl's is internal).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/mime.h"
#include "util/timex.h"
#include "util/xmalloc.h"

static const char
    b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 without line breaks. */
static void
b64_raw(struct buf *b, const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		char q[4] = { b64[s[i] >> 2],
			b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			b64[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)],
			b64[s[i + 2] & 63] };

		buf_add(b, q, 4);
	}
	if (n - i == 1) {
		char q[4] = { b64[s[i] >> 2], b64[(s[i] & 3) << 4], '=', '=' };

		buf_add(b, q, 4);
	} else if (n - i == 2) {
		char q[4] = { b64[s[i] >> 2],
			b64[((s[i] & 3) << 4) | (s[i + 1] >> 4)],
			b64[(s[i + 1] & 15) << 2], '=' };

		buf_add(b, q, 4);
	}
}

void
mime_base64(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t		     i;

	/* 57 input bytes make one 76-character line. */
	for (i = 0; i < n; i += 57) {
		b64_raw(b, s + i, n - i < 57 ? n - i : 57);
		buf_add(b, "\r\n", 2);
	}
}

void
mime_header_value(struct buf *b, const char *s)
{
	const unsigned char *p;
	int		     plain = 1;
	size_t		     len = strlen(s), i = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p >= 0x7f)
			plain = 0;
	if (plain && len < 900) {
		buf_adds(b, s);
		return;
	}
	/* Encoded words of at most 45 bytes, never splitting a character;
	 * CR, LF and other controls become spaces first. */
	while (i < len) {
		size_t n = len - i < 45 ? len - i : 45;
		char   chunk[48];
		size_t k;

		while (i + n < len && ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		for (k = 0; k < n; k++)
			chunk[k] = (unsigned char)s[i + k] < 0x20 ? ' ' :
								    s[i + k];
		if (i > 0)
			buf_add(b, "\r\n ", 3);
		buf_adds(b, "=?UTF-8?B?");
		b64_raw(b, (unsigned char *)chunk, n);
		buf_adds(b, "?=");
		i += n;
	}
}

/* "Name <addr>" with the name encoded. */
static void
mime_address(struct buf *b, const char *name, const char *addr)
{
	if (name != NULL && *name != '\0') {
		const char *p;
		int	    plain = 1;

		for (p = name; *p != '\0'; p++)
			if ((unsigned char)*p >= 0x7f ||
			    strchr("\"\\()<>@,;:"
				   "[]",
				*p) != NULL ||
			    (unsigned char)*p < 0x20)
				plain = 0;
		if (plain)
			buf_adds(b, name);
		else
			mime_header_value(b, name);
		buf_printf(b, " <%s>", addr);
	} else
		buf_adds(b, addr);
}

static void
mime_from(struct buf *b, const char *from)
{
	const char *lt = strchr(from, '<');

	if (lt == NULL) {
		buf_adds(b, from);
		return;
	}
	{
		char  *name = xstrndup(from, (size_t)(lt - from));
		char  *addr = xstrdup(lt + 1);
		size_t n = strlen(name);

		while (n > 0 && name[n - 1] == ' ')
			name[--n] = '\0';
		addr[strcspn(addr, ">")] = '\0';
		mime_address(b, name, addr);
		free(name);
		free(addr);
	}
}

static void
mime_date(struct buf *b, int64_t t)
{
	static const char *const wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
		"Sat", "Sun" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t			 days = civil_day_of(t), rem = t - days * 86400;
	int			 y, m, d;

	civil_from_days(days, &y, &m, &d);
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wd[civil_weekday(days)], d, mon[m - 1], y, (int)(rem / 3600),
	    (int)(rem % 3600 / 60), (int)(rem % 60));
}

static void
mime_part_text(struct buf *b, const char *type, const char *text)
{
	buf_printf(b,
	    "Content-Type: %s\r\nContent-Transfer-Encoding: "
	    "base64\r\n\r\n",
	    type);
	mime_base64(b, text, strlen(text));
}

static void
mime_attach(struct buf *b, const char *boundary, const struct mime_file *f)
{
	const char *ext = strrchr(f->name, '.'), *type;

	if (ext != NULL && strcmp(ext, ".pdf") == 0)
		type = "application/pdf";
	else if (ext != NULL &&
	    (strcmp(ext, ".txt") == 0 || strcmp(ext, ".md") == 0))
		type = "text/plain; charset=UTF-8";
	else
		type = "application/octet-stream";
	buf_printf(b,
	    "--%s\r\nContent-Type: %s\r\nContent-Disposition: "
	    "attachment; filename=\"",
	    boundary, type);
	mime_header_value(b, f->name);
	buf_adds(b, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	mime_base64(b, f->data != NULL ? f->data : "", f->len);
}

char *
mime_build(const struct mime_mail *m)
{
	struct buf b = { 0 };
	char	   outer[64], inner[64];
	size_t	   i;

	snprintf(outer, sizeof(outer), "loa-mixed-%s", m->id);
	snprintf(inner, sizeof(inner), "loa-alt-%s", m->id);
	buf_adds(&b, "From: ");
	mime_from(&b, m->from);
	buf_adds(&b, "\r\nTo: ");
	mime_address(&b, m->to_name, m->to);
	buf_adds(&b, "\r\nSubject: ");
	mime_header_value(&b, m->subject);
	buf_adds(&b, "\r\nDate: ");
	mime_date(&b, m->date);
	buf_printf(&b, "\r\nMessage-ID: <%s@loa>\r\nMIME-Version: 1.0\r\n",
	    m->id);
	if (m->ics == NULL && m->nattach == 0) {
		mime_part_text(&b, "text/plain; charset=UTF-8", m->body);
		return buf_take(&b);
	}
	buf_printf(&b,
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "This is a MIME message.\r\n",
	    outer);
	if (m->ics != NULL) {
		char *ct = xasprintf("text/calendar; method=%s; "
				     "charset=UTF-8",
		    m->method);

		buf_printf(&b,
		    "--%s\r\nContent-Type: multipart/alternative; "
		    "boundary=\"%s\"\r\n\r\n",
		    outer, inner);
		buf_printf(&b, "--%s\r\n", inner);
		mime_part_text(&b, "text/plain; charset=UTF-8", m->body);
		buf_printf(&b, "--%s\r\n", inner);
		mime_part_text(&b, ct, m->ics);
		buf_printf(&b, "--%s--\r\n", inner);
		free(ct);
		buf_printf(&b,
		    "--%s\r\nContent-Type: application/ics; "
		    "name=\"invite.ics\"\r\nContent-Disposition: attachment; "
		    "filename=\"invite.ics\"\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\n",
		    outer);
		mime_base64(&b, m->ics, strlen(m->ics));
	} else {
		buf_printf(&b, "--%s\r\n", outer);
		mime_part_text(&b, "text/plain; charset=UTF-8", m->body);
	}
	for (i = 0; i < m->nattach; i++)
		mime_attach(&b, outer, &m->attach[i]);
	buf_printf(&b, "--%s--\r\n", outer);
	return buf_take(&b);
}
