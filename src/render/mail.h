/*
 * mail.h: the email of a job (conf/REFERENCE.md §5 and §7): subject and body
 * from the templates, the same body as HTML with a table of what it is about,
 * the iCalendar object its kind carries, the distribution's attachments, all
 * in one MIME message (mime.h). A pure function of what
 * it is given: the caller fetches the SEQUENCE to announce and the
 * attachments' bytes, and passes the object the job is about.
 */
#ifndef LOA_MAIL_H
#define LOA_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "loa.h"
#include "render/mime.h"

struct mail_job {
	const char	       *id; /* job id: Message-ID <id@host of From> */
	enum job_kind		kind;
	const struct named     *object;	   /* event or task; NULL for the
						   distribution */
	const struct contact   *to;	   /* the recipient as the plan
						   has them now, or NULL */
	const char	       *recipient; /* their id, as stored */
	const char	       *name;	   /* their name, as stored */
	const char	       *address;   /* the address to send to */
	int			seq;	   /* SEQUENCE to announce */
	const char	       *payload;   /* update: what changed;
						   cancel: why */
	const struct mime_file *attach;	   /* distribution's files */
	size_t			nattach;
	int64_t			now; /* Date:, DTSTAMP */
};

/*
 * The From: of plan p's mail, as its display name (*name, may be NULL) and
 * its address (*addr) apart: the email gateway's `from` when set ("addr"
 * or "Name <addr>", split here), else the issuer's name with the signer's
 * address. The name is any text; mime.c quotes or encodes it. Caller
 * frees both. Can't fail.
 */
void mail_from(const struct plan *p, const struct service *svc, char **name,
    char **addr);

/*
 * The whole message of job j of plan p, CRLF line ends; caller frees.
 * NULL with why set when the job cannot be rendered (it is about an
 * object that is not there).
 */
char *mail_render(struct plan *p, const struct service *svc,
    const struct mail_job *j, char *why, size_t whylen);

#endif
