/*
 * mime.h: the email messages loa sends (SPEC §7): RFC 5322 headers with
 * RFC 2047 encoded words, base64 bodies, and for iTIP the structure that
 * shows Accept/Decline in the common clients:
 *
 *   multipart/mixed
 *     multipart/alternative
 *       text/plain; charset=UTF-8
 *       text/calendar; method=M; charset=UTF-8
 *     application/ics; name="invite.ics"   (the same object, attached)
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
	const char	       *from;	 /* "Name <addr>" or "addr" */
	const char	       *to_name; /* may be NULL */
	const char	       *to;	 /* address */
	const char	       *subject;
	const char	       *body;	/* text/plain, UTF-8 */
	const char	       *ics;	/* iCalendar object, or NULL */
	const char	       *method; /* its METHOD */
	const char	       *id;	/* job id: Message-ID <id@loa> */
	int64_t			date;	/* UTC seconds */
	const struct mime_file *attach;
	size_t			nattach;
};

/* The whole message with CRLF line ends; caller frees. A pure function of
 * m. Can't fail. */
char *mime_build(const struct mime_mail *m);

/* Base64 of n bytes in lines of 76, CRLF after each line. */
void mime_base64(struct buf *, const void *, size_t n);

/* A header value: as is when printable ASCII, else RFC 2047 B words;
 * CR and LF never pass. */
void mime_header_value(struct buf *, const char *);

#endif
