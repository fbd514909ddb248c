/*
 * capref.h: how a CAP 1.2 alert of loa is named, the one rule both its
 * renderer and the CAP Update/Cancel jobs that reference it follow: an
 * alert is the broadcast job that carries it; its identifier is "loa-"
 * and the job's id, its sent time the job's first attempt (first_at, the
 * moment its claim committed: known when the alert is rendered and when
 * the send is recorded, and the same on every retry, so a resent alert
 * is the same alert), in RFC 3339 with the service zone's numeric offset.
 * Pure.
 */
#ifndef LOA_CAPREF_H
#define LOA_CAPREF_H

#include <stdint.h>

#include "loa.h"

/* The sender of loa's alerts. */
const char *cap_sender(const struct service *);
/* The identifier of the alert job job_id carries. Caller frees. */
char	   *cap_identifier(const char *job_id);
/* Its sent time into out (at least 32 bytes). */
void cap_sent(const struct service *, int64_t first_at, char *out, size_t len);
/* Its entry in a <references>: "sender,identifier,sent". Caller frees. */
char *
cap_reference(const struct service *, const char *job_id, int64_t first_at);

#endif
