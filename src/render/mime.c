/*
 * mime.c: building MIME messages (base64 by util/buf's buf_base64).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render/mime.h"
#include "util/text.h"
#include "util/timex.h"
#include "util/mem.h"
#include "util/buf.h"

void
mime_base64(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t		     i;

	/* 57 input bytes make one 76-character line. */
	for (i = 0; i < n; i += 57) {
		buf_base64(b, s + i, n - i < 57 ? n - i : 57);
		buf_add(b, "\r\n", 2);
	}
}

/*
 * Header fields are written through a struct hdr that knows the column, so
 * that every line is folded within HDR_MAX octets (RFC 5322 §2.1.1: 78
 * should, 998 must): a fold is CRLF put before the white space between two
 * tokens, so unfolding gives the same text back.
 */
#define HDR_MAX 78
/* The longest ASCII word written as it is (longer ones are encoded): with
 * "Subject: " and two quotes it still fits the first line. */
#define HDR_WORD 64

struct hdr {
	struct buf *b;
	size_t	    col;   /* octets on the current line */
	size_t	    start; /* col after "Name:" */
};

static void
hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	h->b = b;
	buf_adds(b, name);
	buf_add(b, ":", 1);
	h->col = h->start = strlen(name) + 1;
}

/* White space sep (sepn octets) then token t: folded before sep when they
 * do not fit on the line and something is on it already. */
static void
hdr_put(struct hdr *h, const char *sep, size_t sepn, const char *t, size_t n)
{
	/* hdr_begin came first: the current line is in the buffer. */
	assert(h->b != NULL && h->col <= h->b->len);
	if (h->col + sepn + n > HDR_MAX && h->col > h->start && sepn > 0) {
		buf_add(h->b, "\r\n", 2);
		h->col = 0;
	}
	if (sepn > 0)
		buf_add(h->b, sep, sepn);
	if (n > 0)
		buf_add(h->b, t, n);
	h->col += sepn + n;
}

/* Is byte c a control (or DEL), which never goes into a header raw? */
static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * s as RFC 2047 B words separated by single spaces (which decoders drop),
 * each as long as the line has room for (75 octets at most, RFC 2047 §2),
 * never splitting a UTF-8 sequence; controls become spaces.
 */
static void
hdr_words(struct hdr *h, const char *s)
{
	size_t	   len = strlen(s), i = 0;
	char	   chunk[45];
	struct buf w = { 0 };

	while (i < len) {
		size_t room, max, n, k;

		room = h->col + 1 < HDR_MAX ? HDR_MAX - h->col - 1 : 0;
		if (room > 75)
			room = 75;
		max = room >= 12 ? (room - 12) / 4 * 3 : 0;
		if (max > sizeof(chunk))
			max = sizeof(chunk);
		n = len - i < max ? len - i : max;
		while (n > 0 && i + n < len &&
		    ((unsigned char)s[i + n] & 0xc0) == 0x80)
			n--;
		if (n == 0 && h->col > h->start) {
			/* Not even one character fits: the next line. */
			buf_add(h->b, "\r\n", 2);
			h->col = 0;
			continue;
		}
		if (n == 0)
			n = 1; /* a header name of over 60 octets */
		for (k = 0; k < n; k++)
			chunk[k] = is_ctl((unsigned char)s[i + k]) ? ' ' :
								     s[i + k];
		w.len = 0;
		buf_adds(&w, "=?UTF-8?B?");
		buf_base64(&w, chunk, n);
		buf_adds(&w, "?=");
		hdr_put(h, " ", 1, w.s, w.len);
		i += n;
	}
	buf_free(&w);
}

/*
 * Whether s can go as it is, folded at its spaces: printable ASCII only,
 * no word longer than HDR_WORD (a quote or backslash counting twice, as
 * it is escaped in a quoted string), nothing a decoder would take for an
 * encoded word.
 */
static int
hdr_plain(const char *s)
{
	const unsigned char *p;
	size_t		     run = 0;

	if (strstr(s, "=?") != NULL)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (is_ctl(*p) || *p >= 0x80)
			return 0;
		run = *p == ' ' ? 0 : run + (*p == '"' || *p == '\\' ? 2 : 1);
		if (run > HDR_WORD)
			return 0;
	}
	return 1;
}

/*
 * Plain s (hdr_plain) as tokens, each a run of spaces and the word after
 * it, so that a fold goes before a space of s; one space separates the
 * first from the colon. quoted: s as one quoted string (RFC 5322 §3.2.4),
 * '"' and '\' escaped.
 */
static void
hdr_text(struct hdr *h, const char *s, int quoted)
{
	const char *p = s;
	struct buf  sep = { 0 }, tok = { 0 };
	int	    first = 1;

	for (;;) {
		const char *sp = p, *w;

		while (*p == ' ')
			p++;
		w = p;
		while (*p != '\0' && *p != ' ')
			p++;
		sep.len = tok.len = 0;
		if (first)
			buf_add(&sep, " ", 1);
		buf_add(&sep, sp, (size_t)(w - sp));
		if (first && quoted)
			buf_add(&tok, "\"", 1);
		for (; w < p; w++) {
			if (quoted && (*w == '"' || *w == '\\'))
				buf_add(&tok, "\\", 1);
			buf_add(&tok, w, 1);
		}
		if (quoted && *p == '\0')
			buf_add(&tok, "\"", 1);
		hdr_put(h, sep.s, sep.len, tok.s, tok.len);
		first = 0;
		if (*p == '\0')
			break;
	}
	buf_free(&sep);
	buf_free(&tok);
}

void
mime_header(struct buf *b, const char *name, const char *value)
{
	struct hdr h;

	hdr_begin(&h, b, name);
	if (hdr_plain(value))
		hdr_text(&h, value, 0);
	else
		hdr_words(&h, value);
}

void
mime_address_header(struct buf *b, const char *name, const char *display,
    const char *addr)
{
	struct hdr  h;
	struct buf  a = { 0 };
	const char *p;
	size_t	    n;
	char	   *d;

	hdr_begin(&h, b, name);
	/* The address as given, less any control (it was validated). */
	for (p = addr != NULL ? addr : ""; *p != '\0'; p++)
		if (!is_ctl((unsigned char)*p))
			buf_add(&a, p, 1);
	if (display == NULL)
		display = "";
	while (*display == ' ')
		display++;
	n = strlen(display);
	while (n > 0 && display[n - 1] == ' ')
		n--;
	if (n == 0) {
		hdr_put(&h, " ", 1, a.s, a.len);
		buf_free(&a);
		return;
	}
	d = xstrndup(display, n);
	if (!hdr_plain(d))
		hdr_words(&h, d);
	else
		hdr_text(&h, d, strpbrk(d, "()<>[]:;@\\,.\"") != NULL);
	free(d);
	{
		char *angle = xasprintf("<%s>", a.s != NULL ? a.s : "");

		hdr_put(&h, " ", 1, angle, strlen(angle));
		free(angle);
	}
	buf_free(&a);
}

/* Date: as RFC 5322 §3.3 writes it, in the zone off seconds east of UTC. */
static void
mime_date(struct buf *b, int64_t t, int off)
{
	static const char *const wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
		"Sat", "Sun" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t			 local = t + off, days = civil_day_of(local);
	int64_t			 rem = local - days * 86400;
	int			 y, m, d, a = off < 0 ? -off : off;

	civil_from_days(days, &y, &m, &d);
	buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
	    wd[civil_weekday(days)], d, mon[m - 1], y, (int)(rem / 3600),
	    (int)(rem % 3600 / 60), (int)(rem % 60), off < 0 ? '-' : '+',
	    a / 3600, a % 3600 / 60);
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

const char *
mime_type_of(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "pdf", "application/pdf" },
		{ "doc", "application/msword" },
		{ "docx",
		    "application/"
		    "vnd.openxmlformats-officedocument.wordprocessingml."
		    "document" },
		{ "xls", "application/vnd.ms-excel" },
		{ "xlsx",
		    "application/"
		    "vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ "ppt", "application/vnd.ms-powerpoint" },
		{ "pptx",
		    "application/"
		    "vnd.openxmlformats-officedocument.presentationml."
		    "presentation" },
		{ "odt", "application/vnd.oasis.opendocument.text" },
		{ "ods", "application/vnd.oasis.opendocument.spreadsheet" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "png", "image/png" },
		{ "txt", "text/plain" },
		{ "csv", "text/csv" },
		{ "zip", "application/zip" },
	};
	const char *ext = strrchr(name, '.');
	size_t	    i;

	if (ext == NULL || ext == name)
		return "application/octet-stream";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(ext + 1, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

void
mime_html_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			if (!is_ctl((unsigned char)*s) || *s == '\n' ||
			    *s == '\t')
				buf_add(b, s, 1);
			break;
		}
	}
}

/* The longest ASCII fallback file name, its extension kept. */
#define NAME_MAX_FALLBACK 60

/*
 * The ASCII fallback of file name s (filename="..."): diacritics folded
 * (Kế hoạch -> Ke hoach), then what is still not printable ASCII, '"',
 * '\\' and '/' as '_'; at most NAME_MAX_FALLBACK octets, the extension
 * kept. Caller frees.
 */
static char *
name_fallback(const char *s)
{
	char	  *f = text_fold(s), *p, *ext;
	struct buf b = { 0 };
	size_t	   n, e;

	if (f == NULL)
		f = xstrdup(s);
	for (p = f; *p != '\0'; p++)
		if (is_ctl((unsigned char)*p) || (unsigned char)*p >= 0x80 ||
		    *p == '"' || *p == '\\' || *p == '/')
			*p = '_';
	n = strlen(f);
	if (n > NAME_MAX_FALLBACK) {
		ext = strrchr(f, '.');
		e = ext != NULL && strlen(ext) <= 10 ? strlen(ext) : 0;
		n -= e;
		/* The stem cut, without the spaces the cut left at its end. */
		for (e = NAME_MAX_FALLBACK - e; e > 0 && f[e - 1] == ' '; e--)
			;
		buf_add(&b, f, e);
		buf_adds(&b, f + n);
		free(f);
		return buf_take(&b);
	}
	if (n == 0) {
		free(f);
		return xstrdup("attachment");
	}
	return f;
}

/* Whether a file name may go as it is in filename="...". */
static int
name_plain(const char *s)
{
	return hdr_plain(s) && strpbrk(s, "\"\\") == NULL &&
	    strlen(s) <= NAME_MAX_FALLBACK && *s != '\0';
}

/*
 * The parameter name*=UTF-8''VALUE of RFC 2231 §4 (§3's continuations
 * name*0*=, name*1*= ... when it does not fit a line), percent-encoded,
 * one section a line, a section never splitting a UTF-8 sequence (Python
 * and others decode each section alone). Ends with ";".
 */
static void
hdr_rfc2231(struct hdr *h, const char *param, const char *s)
{
	static const char attr[] = "!#$&+-.^_`|~";
	static const char hex[] = "0123456789ABCDEF";
	struct buf	  all = { 0 }, tok = { 0 };
	size_t		  i = 0, len = strlen(s), enc = 0;
	int		  sect = 0;

	/* Percent-encoded whole, with a NUL after each character. */
	while (i < len) {
		size_t	      k = 1;
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			while (i + k < len &&
			    ((unsigned char)s[i + k] & 0xc0) == 0x80)
				k++;
		for (; k > 0; k--, i++) {
			c = (unsigned char)s[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || strchr(attr, c) != NULL) {
				buf_add(&all, &s[i], 1);
				enc++;
			} else {
				char q[3] = { '%', hex[c >> 4], hex[c & 15] };

				buf_add(&all, q, 3);
				enc += 3;
			}
		}
		buf_add(&all, "", 1);
	}
	/* One section when " NAME*=UTF-8''VALUE;" fits a line. */
	if (1 + strlen(param) + 9 + enc + 1 <= HDR_MAX) {
		buf_printf(&tok, "%s*=UTF-8''", param);
		for (i = 0; i < all.len; i++)
			if (all.s[i] != '\0')
				buf_add(&tok, &all.s[i], 1);
		buf_add(&tok, ";", 1);
		hdr_put(h, " ", 1, tok.s, tok.len);
		buf_free(&tok);
		buf_free(&all);
		return;
	}
	for (i = 0; i < all.len;) {
		size_t start;

		tok.len = 0;
		buf_printf(&tok, "%s*%d*=%s", param, sect,
		    sect == 0 ? "UTF-8''" : "");
		start = tok.len;
		while (i < all.len) {
			size_t c = strlen(all.s + i);

			if (tok.len > start && tok.len + c + 2 > HDR_MAX)
				break;
			buf_add(&tok, all.s + i, c);
			i += c + 1;
		}
		buf_add(&tok, ";", 1);
		/* Each section on a line of its own. */
		buf_add(h->b, "\r\n", 2);
		h->col = 0;
		hdr_put(h, " ", 1, tok.s, tok.len);
		sect++;
	}
	buf_free(&tok);
	buf_free(&all);
}

/*
 * Content-Disposition of file name: filename="NAME" when plain ASCII;
 * else RFC 2231's filename*=UTF-8''... first (what a client that reads
 * RFC 2231 takes), then filename="ASCII fallback" for one that does not.
 */
static void
attach_disposition(struct buf *b, const char *name)
{
	struct hdr h;
	char	  *fb, *t;

	hdr_begin(&h, b, "Content-Disposition");
	if (name_plain(name)) {
		t = xasprintf("filename=\"%s\"", name);
		hdr_put(&h, " ", 1, "attachment;", 11);
		hdr_put(&h, " ", 1, t, strlen(t));
		free(t);
		return;
	}
	hdr_put(&h, " ", 1, "attachment;", 11);
	hdr_rfc2231(&h, "filename", name);
	fb = name_fallback(name);
	t = xasprintf("filename=\"%s\"", fb);
	hdr_put(&h, " ", 1, t, strlen(t));
	free(t);
	free(fb);
}

static void
mime_attach(struct buf *b, const char *boundary, const struct mime_file *f)
{
	const char *type = mime_type_of(f->name);
	struct hdr  h;
	char	   *fb = name_fallback(f->name), *t;

	buf_printf(b, "--%s\r\n", boundary);
	hdr_begin(&h, b, "Content-Type");
	/* Text in UTF-8 says so; another charset is not guessed. */
	t = xasprintf("%s%s", type,
	    strncmp(type, "text/", 5) == 0 && f->data != NULL &&
		    text_utf8_check(f->data, f->len) == -1 ?
		"; charset=UTF-8;" :
		";");
	/* A type too long for the first line (the OOXML ones) goes to the
	 * next, folded right after the colon. */
	if (h.col + 1 + strlen(t) > HDR_MAX)
		h.start = 0;
	hdr_put(&h, " ", 1, t, strlen(t));
	free(t);
	t = xasprintf("name=\"%s\"", fb);
	hdr_put(&h, " ", 1, t, strlen(t));
	free(t);
	free(fb);
	buf_adds(b, "\r\n");
	attach_disposition(b, f->name);
	buf_adds(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	mime_base64(b, f->data != NULL ? f->data : "", f->len);
}

/* The host part of address a (what Message-ID takes), else "loa". */
static const char *
addr_host(const char *a)
{
	const char *at = a != NULL ? strrchr(a, '@') : NULL;

	if (at == NULL || at[1] == '\0' || strpbrk(at + 1, "<>\r\n \"") != NULL)
		return "loa";
	return at + 1;
}

/* The header block, down to MIME-Version. */
static void
mime_headers(struct buf *b, const struct mime_mail *m)
{
	mime_address_header(b, "From", m->from_name, m->from_addr);
	buf_adds(b, "\r\n");
	/* RFC 5322 §3.6.2: no Sender when it is the author. */
	if (m->sender_addr != NULL &&
	    (m->from_addr == NULL ||
		strcasecmp(m->sender_addr, m->from_addr) != 0)) {
		mime_address_header(b, "Sender", m->sender_name,
		    m->sender_addr);
		buf_adds(b, "\r\n");
	}
	if (m->reply_addr != NULL) {
		mime_address_header(b, "Reply-To", m->reply_name,
		    m->reply_addr);
		buf_adds(b, "\r\n");
	}
	mime_address_header(b, "To", m->to_name, m->to);
	buf_adds(b, "\r\n");
	mime_header(b, "Subject", m->subject);
	buf_adds(b, "\r\nDate: ");
	mime_date(b, m->date, m->tzoff);
	buf_printf(b,
	    "\r\nMessage-ID: <%s@%s>\r\nAuto-Submitted: auto-generated\r\n"
	    "MIME-Version: 1.0\r\n",
	    m->id, addr_host(m->from_addr));
}

char *
mime_build(const struct mime_mail *m)
{
	struct buf b = { 0 };
	char	   outer[64], inner[64];
	size_t	   i;

	snprintf(outer, sizeof(outer), "loa-mixed-%s", m->id);
	snprintf(inner, sizeof(inner), "loa-alt-%s", m->id);
	mime_headers(&b, m);
	buf_printf(&b,
	    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
	    "This is a MIME message.\r\n",
	    outer);
	buf_printf(&b,
	    "--%s\r\nContent-Type: multipart/alternative; "
	    "boundary=\"%s\"\r\n\r\n",
	    outer, inner);
	buf_printf(&b, "--%s\r\n", inner);
	mime_part_text(&b, "text/plain; charset=UTF-8", m->body);
	if (m->html != NULL) {
		buf_printf(&b, "--%s\r\n", inner);
		mime_part_text(&b, "text/html; charset=UTF-8", m->html);
	}
	if (m->ics != NULL) {
		char *ct = xasprintf("text/calendar; method=%s; "
				     "charset=UTF-8",
		    m->method);

		buf_printf(&b, "--%s\r\n", inner);
		mime_part_text(&b, ct, m->ics);
		free(ct);
	}
	buf_printf(&b, "--%s--\r\n", inner);
	if (m->ics != NULL) {
		buf_printf(&b,
		    "--%s\r\nContent-Type: application/ics; "
		    "name=\"invite.ics\"\r\nContent-Disposition: attachment; "
		    "filename=\"invite.ics\"\r\nContent-Transfer-Encoding: "
		    "base64\r\n\r\n",
		    outer);
		mime_base64(&b, m->ics, strlen(m->ics));
	}
	for (i = 0; i < m->nattach; i++)
		mime_attach(&b, outer, &m->attach[i]);
	buf_printf(&b, "--%s--\r\n", outer);
	return buf_take(&b);
}
