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
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/strmap.h"

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

void
mail_from(const struct plan *p, const struct service *svc, char **name,
    char **addr)
{
	const struct gateway *g = svc->channel_gw[CH_EMAIL];
	const struct contact *s = signer(p);

	if (g == NULL || g->from == NULL) {
		*name = xstrdup(*p->issuer ? p->issuer : "loa");
		*addr = xstrdup(
		    s != NULL && s->email != NULL ? s->email : "loa@localhost");
		return;
	}
	text_addr_split(g->from, name, addr);
}

/* A row of the HTML part's table: heading template t, value v. */
static void
html_row(struct buf *b, const struct service *svc, enum tmpl_name t,
    const char *v)
{
	buf_adds(b,
	    "<tr><th style=\"text-align:left;vertical-align:top;"
	    "padding:2px 12px 2px 0\">");
	mime_html_text(b, svc->templates->text[t]);
	buf_adds(b, "</th><td>");
	mime_html_text(b, v);
	buf_adds(b, "</td></tr>\n");
}

/* A row whose value is a list. */
static void
html_list(struct buf *b, const struct service *svc, enum tmpl_name t,
    char *const *v, size_t n, const char *tag)
{
	size_t i;

	buf_adds(b,
	    "<tr><th style=\"text-align:left;vertical-align:top;"
	    "padding:2px 12px 2px 0\">");
	mime_html_text(b, svc->templates->text[t]);
	buf_printf(b, "</th><td><%s style=\"margin:0\">\n", tag);
	for (i = 0; i < n; i++) {
		const char *base = strrchr(v[i], '/');

		buf_adds(b, "<li>");
		/* A file by its name, not the path in the plan's folder. */
		mime_html_text(b,
		    strcmp(tag, "ul") == 0 && base != NULL ? base + 1 : v[i]);
		buf_adds(b, "</li>\n");
	}
	buf_printf(b, "</%s></td></tr>\n", tag);
}

/* The rows of an event: when, where, the agenda. */
static void
html_event(struct buf *b, const struct plan *p, const struct service *svc,
    const struct mail_job *j, const struct event *ev)
{
	char *start, *end, *v;

	if (ev->start.t != TIMEX_NONE) {
		start = compose_string(p, "{event.start}", j->object, j->to,
		    j->now);
		/* An end the same day is its hour only. */
		end = compose_string(p,
		    ev->end.t != TIMEX_NONE &&
			    civil_day_of(tz_to_local(p->tz, ev->end.t)) ==
				civil_day_of(tz_to_local(p->tz, ev->start.t)) ?
			"{event.end:%H giờ %M}" :
			"{event.end}",
		    j->object, j->to, j->now);
		v = xasprintf("%s%s%s", start, *end ? " – " : "", end);
		html_row(b, svc, T_HTML_TIME, v);
		free(v);
		free(start);
		free(end);
	}
	if (ev->location != NULL && *ev->location != '\0')
		html_row(b, svc, T_HTML_LOCATION, ev->location);
	if (ev->nagenda > 0)
		html_list(b, svc, T_HTML_AGENDA, ev->agenda, ev->nagenda, "ol");
}

/* The table of the HTML part: what the mail is about, at a glance. */
static void
html_table(struct buf *b, const struct plan *p, const struct service *svc,
    const struct mail_job *j)
{
	const struct named *n = j->object;
	struct buf	    rows = { 0 };
	char		   *v;

	if (n != NULL && n->kind == N_EVENT)
		html_event(&rows, p, svc, j, n->p);
	else if (n != NULL && n->kind == N_TASK) {
		const struct task *t = n->p;

		html_row(&rows, svc, T_HTML_TASK, t->title);
		if (t->due.t != TIMEX_NONE) {
			v = compose_string(p, "{task.due}", n, j->to, j->now);
			html_row(&rows, svc, T_HTML_DUE, v);
			free(v);
		}
	} else if (n == NULL) {
		v = xasprintf("%s: %s", p->id, p->title);
		html_row(&rows, svc, T_HTML_PLAN, v);
		free(v);
		if (p->distribution.nattachments > 0)
			html_list(&rows, svc, T_HTML_FILES,
			    p->distribution.attachments,
			    p->distribution.nattachments, "ul");
	}
	if (rows.len == 0)
		return;
	buf_adds(b,
	    "<table style=\"border-collapse:collapse;"
	    "margin:0 0 1em 0\">\n");
	buf_add(b, rows.s, rows.len);
	buf_adds(b, "</table>\n");
	buf_free(&rows);
}

/* Paragraph [s, e) of the plain text as <p>, its lines apart. */
static void
html_para(struct buf *b, const char *s, const char *e)
{
	char *para = xstrndup(s, (size_t)(e - s)), *line, *nl;

	buf_adds(b, "<p>");
	for (line = para; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		mime_html_text(b, line);
		if (nl != NULL)
			buf_adds(b, "<br>\n");
	}
	buf_adds(b, "</p>\n");
	free(para);
}

/*
 * The text/html part: the plain text's paragraphs, every value escaped,
 * with the table of html_table before the last (the closing words); no
 * image, script or style sheet from anywhere. Caller frees.
 */
static char *
mail_html(const struct plan *p, const struct service *svc,
    const struct mail_job *j, const char *subject, const char *text)
{
	struct buf  b = { 0 };
	const char *s = text, *e, *last;

	buf_adds(&b,
	    "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n"
	    "<meta charset=\"UTF-8\">\n<title>");
	mime_html_text(&b, subject);
	buf_adds(&b, "</title>\n</head>\n<body>\n");
	/* The last paragraph starts after the last blank line. */
	for (last = text, e = text; (e = strstr(e, "\n\n")) != NULL; e++)
		last = e + 2;
	while (s < last) {
		e = strstr(s, "\n\n");
		if (e > s)
			html_para(&b, s, e);
		for (s = e; *s == '\n'; s++)
			;
	}
	html_table(&b, p, svc, j);
	if (*s != '\0')
		html_para(&b, s, s + strlen(s));
	buf_adds(&b, "</body>\n</html>\n");
	return buf_take(&b);
}

/*
 * The iCalendar object job j carries (NULL: none), and in *method the
 * METHOD its MIME part must say.
 */
static char *
mail_ics(struct plan *p, const struct mail_job *j, const char **method)
{
	const struct named *n = j->object;
	char		   *ics = NULL;

	*method = NULL;
	if (n == NULL)
		return NULL;
	if ((j->kind == JK_INVITATION || j->kind == JK_UPDATE) &&
	    n->kind == N_EVENT) {
		struct contact me;

		/* The invitee as this mail addresses them: its ATTENDEE is
		 * exactly the address it goes to. */
		memset(&me, 0, sizeof(me));
		if (j->to != NULL)
			me = *j->to;
		me.id = (char *)j->recipient;
		me.name = (char *)(j->name ?
			j->name :
			(j->to && j->to->name ? j->to->name : j->recipient));
		me.email = (char *)j->address;
		ics = ical_request_to(p, n->p, j->seq, j->now, &me);
		*method = "REQUEST";
	} else if (j->kind == JK_CANCEL && n->kind == N_EVENT) {
		struct contact gone;

		/* The recipient as the outbox remembers them (a removed
		 * attendee, or an event deleted from the plan, is not in
		 * the plan's lists any more). */
		memset(&gone, 0, sizeof(gone));
		gone.id = (char *)j->recipient;
		gone.name = (char *)(j->name ? j->name : j->recipient);
		gone.email = (char *)j->address;
		/* Listed alone, as in every mail: the ATTENDEE is the
		 * address the mail goes to. */
		ics = ical_cancel(p, n->p, j->seq, j->now, &gone);
		*method = "CANCEL";
	} else if ((j->kind == JK_TASK_REMINDER || j->kind == JK_OVERDUE) &&
	    n->kind == N_TASK) {
		ics = ical_task_event(p, n->p, j->now);
		*method = "PUBLISH";
	}
	/* The MIME method follows the object's (a PUBLISH fallback). */
	if (ics != NULL && strstr(ics, "\r\nMETHOD:PUBLISH\r\n") != NULL)
		*method = "PUBLISH";
	return ics;
}

/* The addresses of a mail's From, Sender and Reply-To, owned. */
struct mail_addrs {
	char *from, *from_addr;
	char *sender, *sender_addr;
	char *reply, *reply_addr;
};

/* From (mail_from), Sender (an smtp gateway's `sender`) and Reply-To (the
 * gateway's `reply_to`) of plan p's mail, into a and m. */
static void
mail_addrs(const struct plan *p, const struct service *svc,
    struct mail_addrs *a, struct mime_mail *m)
{
	const struct gateway *g = svc->channel_gw[CH_EMAIL];

	memset(a, 0, sizeof(*a));
	mail_from(p, svc, &a->from, &a->from_addr);
	m->from_name = a->from;
	m->from_addr = a->from_addr;
	if (g != NULL && g->kind == GW_SMTP && g->sender != NULL) {
		text_addr_split(g->sender, &a->sender, &a->sender_addr);
		m->sender_name = a->sender;
		m->sender_addr = a->sender_addr;
	}
	if (g != NULL && g->reply_to != NULL) {
		text_addr_split(g->reply_to, &a->reply, &a->reply_addr);
		m->reply_name = a->reply;
		m->reply_addr = a->reply_addr;
	}
}

static void
mail_addrs_free(struct mail_addrs *a)
{
	free(a->from);
	free(a->from_addr);
	free(a->sender);
	free(a->sender_addr);
	free(a->reply);
	free(a->reply_addr);
}

char *
mail_render(struct plan *p, const struct service *svc, const struct mail_job *j,
    char *why, size_t whylen)
{
	const struct named *n = j->object;
	struct mime_mail    m;
	struct mail_addrs   a;
	enum tmpl_name	    subj = subject_of(j->kind);
	char		   *subject, *text, *ics, *out, *html;

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
	ics = mail_ics(p, j, &m.method);
	mail_addrs(p, svc, &a, &m);
	html = mail_html(p, svc, j, subject, text);
	m.html = html;
	m.tzoff = (int)(tz_to_local(svc->tz, j->now) - j->now);
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
	mail_addrs_free(&a);
	free(html);
	free(subject);
	free(text);
	free(ics);
	return out;
}
