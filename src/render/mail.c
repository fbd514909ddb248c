/*
 * mail.c: the email of a job (see mail.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/compose.h"
#include "render/ical.h"
#include "render/mail.h"
#include "util/xmalloc.h"

/* The subject template of a kind; its body template is the next one. */
static enum tmpl_name
subject_of(enum job_kind k)
{
	switch (k) {
	case JK_DISTRIBUTION:
		return T_DISTRIBUTION_SUBJECT;
	case JK_INVITATION:
		return T_INVITATION_SUBJECT;
	case JK_UPDATE:
		return T_UPDATE_SUBJECT;
	case JK_CANCEL:
		return T_CANCEL_SUBJECT;
	case JK_EVENT_REMINDER:
		return T_EVENT_REMINDER_SUBJECT;
	case JK_TASK_REMINDER:
		return T_TASK_REMINDER_SUBJECT;
	case JK_OVERDUE:
		return T_OVERDUE_SUBJECT;
	default:
		return T__N;
	}
}

/* The person who signed plan p, or NULL. */
static const struct contact *
signer(const struct plan *p)
{
	const struct named *n;

	if (p->signed_by.id == NULL ||
	    (n = strmap_get(p->names, p->signed_by.id)) == NULL ||
	    n->kind != N_PERSON)
		return NULL;
	return n->p;
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
mail_from(const struct plan *p, const struct service *svc, char **name,
    char **addr)
{
	const struct gateway *g = svc->channel_gw[CH_EMAIL];
	const struct contact *s = signer(p);
	const char	     *lt, *gt;

	if (g == NULL || g->from == NULL) {
		*name = xstrdup(*p->issuer ? p->issuer : "loa");
		*addr = xstrdup(
		    s != NULL && s->email != NULL ? s->email : "loa@localhost");
		return;
	}
	/* "Name <addr>": the name is what comes before the last '<' (an
	 * address holds none), without the quotes it may be written in. */
	if ((lt = strrchr(g->from, '<')) == NULL ||
	    (gt = strchr(lt, '>')) == NULL) {
		*name = NULL;
		*addr = trimmed(g->from, strlen(g->from));
		return;
	}
	*addr = trimmed(lt + 1, (size_t)(gt - lt - 1));
	*name = trimmed(g->from, (size_t)(lt - g->from));
	{
		size_t n = strlen(*name);

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
	}
}

char *
mail_render(struct plan *p, const struct service *svc, const struct mail_job *j,
    char *why, size_t whylen)
{
	const struct named *n = j->object;
	struct mime_mail    m;
	enum tmpl_name	    subj = subject_of(j->kind);
	char *subject, *text, *ics = NULL, *from, *from_addr, *out;

	assert(j->kind < JK__N && j->address != NULL);
	if (subj == T__N) {
		snprintf(why, whylen, "a %s is not sent by email",
		    job_kind_names[j->kind]);
		return NULL;
	}
	if (j->kind != JK_DISTRIBUTION && n == NULL) {
		snprintf(why, whylen,
		    "what it is about is no longer in the "
		    "plan");
		return NULL;
	}
	memset(&m, 0, sizeof(m));
	subject = compose_text(p, svc, subj, n, j->to, j->now, j->payload);
	text = compose_text(p, svc, subj + 1, n, j->to, j->now, j->payload);
	if (tmpl_blank(subject) || tmpl_blank(text)) {
		/* No mail without a subject or words: a permanent failure. */
		snprintf(why, whylen,
		    "the %s is empty: template %s rendered nothing",
		    tmpl_blank(subject) ? "subject" : "body",
		    tmpl_key(tmpl_blank(subject) ? subj : subj + 1));
		free(subject);
		free(text);
		return NULL;
	}
	if ((j->kind == JK_INVITATION || j->kind == JK_UPDATE) &&
	    n->kind == N_EVENT) {
		ics = ical_request(p, n->p, j->seq, j->now);
		m.method = "REQUEST";
	} else if (j->kind == JK_CANCEL && n->kind == N_EVENT) {
		struct contact gone;
		const char    *why_sent = j->payload ? j->payload : "";

		/* The removed attendee as the outbox remembers them (an
		 * event deleted from the plan lists nobody else either). */
		memset(&gone, 0, sizeof(gone));
		gone.id = (char *)j->recipient;
		gone.name = (char *)(j->name ? j->name : j->recipient);
		gone.email = (char *)j->address;
		ics = ical_cancel(p, n->p, j->seq, j->now,
		    strcmp(why_sent, "removed") == 0 ||
			    strcmp(why_sent, "deleted") == 0 ?
			&gone :
			NULL);
		m.method = "CANCEL";
	} else if ((j->kind == JK_TASK_REMINDER || j->kind == JK_OVERDUE) &&
	    n->kind == N_TASK) {
		ics = ical_task_event(p, n->p, j->now);
		m.method = "PUBLISH";
	}
	/* The MIME method follows the object's (a PUBLISH fallback). */
	if (ics != NULL && strstr(ics, "\r\nMETHOD:PUBLISH\r\n") != NULL)
		m.method = "PUBLISH";
	mail_from(p, svc, &from, &from_addr);
	m.from_name = from;
	m.from_addr = from_addr;
	m.to_name = j->to ? j->to->name : j->name;
	m.to = j->address;
	m.subject = subject;
	m.body = text;
	m.ics = ics;
	m.id = j->id;
	m.date = j->now;
	m.attach = j->attach;
	m.nattach = j->nattach;
	out = mime_build(&m);
	free(from);
	free(from_addr);
	free(subject);
	free(text);
	free(ics);
	return out;
}
