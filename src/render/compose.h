/*
 * compose.h: the words of a message: a template (tmpl.h) rendered for one
 * object of a plan, one recipient and one moment. Pure: the object is
 * given, not looked up, so an event that is gone from its plan (rebuilt
 * by the engine from what the outbox recorded) renders like any other.
 */
#ifndef LOA_COMPOSE_H
#define LOA_COMPOSE_H

#include <stdint.h>

#include "loa.h"
#include "render/tmpl.h"

/*
 * Template which (enum tmpl_name) of svc, rendered about obj (an event,
 * a task, a broadcast, or NULL for the plan itself) for contact to (NULL:
 * nobody in particular) at `at`; changes fills {changes}. Caller frees.
 * Can't fail.
 */
char *compose_text(const struct plan *, const struct service *,
    enum tmpl_name which, const struct named *obj, const struct contact *to,
    int64_t at, const char *changes);

/* Template text tmpl (already valid) rendered as compose_text does, for
 * the words loa writes itself (the values of the HTML part). Caller frees.
 * Can't fail. */
char *compose_string(const struct plan *, const char *tmpl,
    const struct named *obj, const struct contact *to, int64_t at);

/* The template of an SMS of job kind k about obj: tmpl_sms_of(k), and
 * for a broadcast emergency_sms when it is one. */
enum tmpl_name compose_sms_tmpl(enum job_kind k, const struct named *obj);

/* The text of an SMS of job kind k, rendered as compose_text and folded to
 * ASCII when the SMS gateway asks for it (`fold`). Caller frees. */
char *compose_sms(const struct plan *, const struct service *, enum job_kind k,
    const struct named *obj, const struct contact *to, int64_t at,
    const char *changes);

/*
 * Count the SMS *text into *si and, when it needs more parts than the SMS
 * gateway's max_parts (else the service's), cut it to fit (sms_fit): *text
 * is replaced, and note says so ("cut to 3 parts (was 5)"); else note is
 * "". Can't fail.
 */
struct sms_info;
void compose_sms_fit(char **text, const struct service *, struct sms_info *si,
    char *note, size_t notelen);

#endif
