/*
 * tmpl.h: message templates (conf/REFERENCE.md §5): Vietnamese defaults,
 * overrides from the service config (checked and installed here), validation
 * and rendering.
 *
 * A template is text with placeholders {name} or {name:strftime-format};
 * "{{" and "}}" stand for literal braces.
 */
#ifndef LOA_TMPL_H
#define LOA_TMPL_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "loa.h"

struct buf;

enum tmpl_name {
	T_DISTRIBUTION_SUBJECT,
	T_DISTRIBUTION_BODY,
	T_DISTRIBUTION_SMS,
	T_INVITATION_SUBJECT,
	T_INVITATION_BODY,
	T_INVITATION_SMS,
	T_UPDATE_SUBJECT,
	T_UPDATE_BODY,
	T_UPDATE_SMS,
	T_CANCEL_SUBJECT,
	T_CANCEL_BODY,
	T_CANCEL_SMS,
	T_EVENT_REMINDER_SUBJECT,
	T_EVENT_REMINDER_BODY,
	T_EVENT_REMINDER_SMS,
	T_TASK_REMINDER_SUBJECT,
	T_TASK_REMINDER_BODY,
	T_TASK_REMINDER_SMS,
	T_OVERDUE_SUBJECT,
	T_OVERDUE_BODY,
	T_OVERDUE_SMS,
	/*
	 * The words of {changes} in updates: each piece rendered against the
	 * event as it now stands, joined by change_separator.
	 */
	T_CHANGE_TIME,
	T_CHANGE_LOCATION,
	T_CHANGE_TITLE,
	T_CHANGE_OTHER,
	T_CHANGE_SEPARATOR,
	T_CHANGE_BACK,	       /* called off, then on again */
	T_CHANGE_BACK_ON_LIST, /* an attendee taken off and put back */
	/* Words inside the iCalendar objects. */
	T_ICAL_AGENDA,	 /* heads the agenda in DESCRIPTION */
	T_ICAL_TASK_DUE, /* SUMMARY of a task's deadline event */
	T_ICAL_ALARM,	 /* what an invitation's VALARM shows */
	/* The headings of the table in a mail's text/html part. */
	T_HTML_TIME,
	T_HTML_LOCATION,
	T_HTML_AGENDA,
	T_HTML_TASK,
	T_HTML_DUE,
	T_HTML_PLAN,
	T_HTML_FILES,
	/* The SMS of a broadcast's sms_to: any broadcast's, an emergency's. */
	T_BROADCAST_SMS,
	T_EMERGENCY_SMS,
	T__N
};

struct tmpl {
	const char *text[T__N];
	struct loc  loc[T__N]; /* file NULL: the built-in default */
};

/* Fill t with the built-in Vietnamese templates. Can't fail. */
void	    tmpl_defaults(struct tmpl *t);
/* Template n of t, or the built-in one when t is NULL. Can't fail. */
const char *tmpl_text(const struct tmpl *t, enum tmpl_name n);
/* Render template n of t (NULL: the built-in ones) against c. Caller
 * frees. Can't fail. */
struct tmpl_ctx;
char *
tmpl_string(const struct tmpl *t, enum tmpl_name n, const struct tmpl_ctx *c);
/* The index of a template key such as "invitation_subject", or -1. */
int	       tmpl_lookup(const char *key);
/* The key of template n, as written in the config ("invitation_sms"). */
const char    *tmpl_key(enum tmpl_name n);
/* The SMS template of a job kind (JK_OVERDUE's for any other kind). */
enum tmpl_name tmpl_sms_of(enum job_kind);

/*
 * Check a template: braces balanced, every placeholder known, a format only
 * on a time. Returns 0, or -1 with the first problem in err.
 */
int tmpl_validate(const char *s, char *err, size_t errlen);

/*
 * Set svc->templates (from svc's arena) to the built-in defaults, then
 * install over them the templates of the service config as read by
 * service_load (svc->tmpl_overrides), in the order written. A name that is
 * no template is a warning and ignored; a value that is not a usable
 * string or a template that does not validate is an error, and the
 * default stays. Everything is reported to d at the override's FILE:LINE
 * under "templates.NAME". Returns 0, or -1 when any override was an error.
 */
int tmpl_install(struct service *svc, struct diag *d);

/* What a template is rendered against; NULL members are left empty. */
struct tmpl_ctx {
	const struct plan      *plan;
	const struct event     *event;
	const struct task      *task;
	const struct contact   *person;
	const struct agency    *agency;
	const struct broadcast *broadcast;
	int64_t			at;	 /* when the message goes */
	const char	       *changes; /* update: what changed */
};

/* Whether s holds nothing but white space (an empty template or text). */
int tmpl_blank(const char *s);

/* Append the rendering of template s to out. Can't fail. */
void tmpl_render(const char *s, const struct tmpl_ctx *, struct buf *out);

#endif
