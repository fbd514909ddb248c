/*
 * cap.h: the CAP 1.2 alert (OASIS Common Alerting Protocol) of an
 * emergency broadcast job, for alerting systems beside the loudspeakers.
 * Pure: text in, text out.
 *
 * One alert a job: its identifier is "loa-" and the job id, its sent the
 * job's first attempt (first_at: set when its first claim commits, so
 * known when the alert is rendered and when the send is recorded) with
 * the zone's numeric offset, so a job handed twice (a crash and a resend)
 * is the same alert byte for byte, and a later Update or Cancel can name
 * it in <references> from the outbox alone (cap_reference).
 */
#ifndef LOA_CAP_H
#define LOA_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "loa.h"

enum cap_msgtype {
	CAP_ALERT,
	CAP_UPDATE,
	CAP_CANCEL,
	CAP__N
};

/* "Alert", "Update", "Cancel". */
extern const char *const cap_msgtype_names[CAP__N];

/* The defaults of an item without its own values (README, CAP). */
#define CAP_DEF_STATUS	  "Actual"
#define CAP_DEF_SENDER	  "loa"
#define CAP_DEF_CATEGORY  "Safety"
#define CAP_DEF_URGENCY	  "Immediate"
#define CAP_DEF_SEVERITY  "Severe"
#define CAP_DEF_CERTAINTY "Observed"

/*
 * A broadcast job's payload as the CAP message it asks for: "cap Update
 * REFS" or "cap Cancel REFS" into *type and *refs (pointing into
 * payload). 0, or -1 when the payload is none of these (an Alert).
 */
int cap_payload(const char *payload, enum cap_msgtype *type, const char **refs);

/*
 * One entry of a <references> value, "sender,identifier,sent", for the
 * alert job id first attempted at `sent` of plan p under service svc.
 * Caller frees.
 */
char *cap_reference(const struct service *svc, const struct plan *p,
    const char *id, int64_t sent);

/*
 * The alert of job id (first attempted at `sent`) of broadcast b (NULL: gone from the
 * plan; its Cancel then carries no <info>) of plan p: msgType type, with
 * <references>refs</references> for an Update or Cancel (refs as given).
 * Every text XML-escaped, characters XML 1.0 forbids dropped. Caller
 * frees. Can't fail.
 */
char *cap_render(const struct service *svc, const struct plan *p,
    const struct broadcast *b, const char *id, int64_t due,
    enum cap_msgtype type, const char *refs);

/*
 * The broadcast record json (render/broadcast.h) with the alert said in
 * it: "cap": {"file", "identifier", "msg_type", "references"}; for a
 * Cancel also "cancels" (the item's id). Frees json; caller frees the
 * result. Can't fail.
 */
char *cap_record(char *json, const char *id, const char *object,
    enum cap_msgtype type, const char *refs);

#endif
