/*
 * mime.h: the email messages loa sends (conf/REFERENCE.md §7): RFC 5322 headers
 * with RFC 2047 encoded words, base64 bodies, and one structure for every mail,
 * the one that shows Accept/Decline in the common clients:
 *
 *   multipart/mixed
 *     multipart/alternative
 *       text/plain; charset=UTF-8
 *       text/html; charset=UTF-8
 *       text/calendar; method=M; charset=UTF-8   (iTIP mails only)
 *     application/ics; name="invite.ics"          (the same object, attached)
 *     the attachments, with RFC 2231 file names
 */
#ifndef LOA_MIME_H
#define LOA_MIME_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* An attachment: its file name and bytes (the caller read them). */
struct mime_file {
	const char *name; /* base name, UTF-8 */
	const char *data;
	size_t	    len;
};

struct mime_mail {
	const char *from_name;	 /* display name, any text, or NULL */
	const char *from_addr;	 /* address, validated by the caller */
	const char *sender_name; /* Sender: (none when from_addr), or NULL */
	const char *sender_addr;
	const char *reply_name; /* Reply-To:, or both NULL */
	const char *reply_addr;
	const char *to_name; /* display name, any text, or NULL */
	const char *to;	     /* address, validated by the caller */
	const char *subject;
	const char *body;   /* text/plain, UTF-8 */
	const char *html;   /* text/html, UTF-8, or NULL: none */
	const char *ics;    /* iCalendar object, or NULL */
	const char *method; /* its METHOD */
	const char *id;	    /* job id: Message-ID <id@host of from_addr> */
	int64_t	    date;   /* UTC seconds */
	int	    tzoff;  /* Date:'s offset, seconds east of UTC */
	const struct mime_file *attach;
	size_t			nattach;
};

/* The whole message with CRLF line ends; caller frees. A pure function of
 * m. Can't fail. */
char *mime_build(const struct mime_mail *m);

/* The Content-Type of a file name by its extension (case aside):
 * application/octet-stream for one not in loa's table. */
const char *mime_type_of(const char *name);

/* Text s for HTML: & < > " ' as references, controls but LF and TAB
 * dropped. */
void mime_html_text(struct buf *, const char *s);

/* Base64 of n bytes in lines of 76, CRLF after each line. */
void mime_base64(struct buf *, const void *, size_t n);

/*
 * The header field "name: value" (no CRLF after it) with value as
 * unstructured text (RFC 5322 §3.2.5): printable ASCII as it is, folded at
 * its spaces; anything else (non-ASCII, controls, a word too long for a
 * line, text that looks like an encoded word) as RFC 2047 B words. Lines
 * are folded with CRLF + space within 78 octets; CR and LF never pass.
 */
void mime_header(struct buf *, const char *name, const char *value);

/*
 * The header field "name: display <addr>" (no CRLF after it): the display
 * name (any text; NULL or empty: the bare address) as atoms, as a quoted
 * string when it holds specials (RFC 5322 §3.2.3), or as RFC 2047 B words
 * when it holds non-ASCII or controls; folded within 78 octets. The
 * address is written as given: the caller validated it.
 */
void mime_address_header(struct buf *, const char *name, const char *display,
    const char *addr);

#endif
