/*
 * message.h: the text of a message about a plan's object to one contact,
 * rendered from the service's templates (tmpl.h).
 */
#ifndef LOA_MESSAGE_H
#define LOA_MESSAGE_H

#include <stdint.h>

#include "loa.h"

/*
 * Render template `which` (enum tmpl_name) of svc (installed with
 * tmpl_install) for a message about object (an id of p: event, task or
 * the plan) to contact to (may be NULL), sent at `at`; changes (may be
 * NULL) fills {changes}. Returns a new string the caller frees. Can't
 * fail.
 */
char	*plan_render(const struct plan *, const struct service *, int which,
	    const char *object, const struct contact *to, int64_t at,
	    const char *changes);

/*
 * The text of an SMS of a job of kind about object to contact to: its
 * template rendered as plan_render does, then folded to ASCII when the
 * SMS gateway says fold. Returns a new string the caller frees.
 */
char	*plan_sms_text(const struct plan *, const struct service *,
	    enum job_kind kind, const char *object, const struct contact *to,
	    int64_t at, const char *changes);

#endif
