/*
 * capref.c: the names of loa's CAP alerts (capref.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "render/capref.h"
#include "util/xmalloc.h"

/* Without a configured sender: CAP's sender may hold no space, comma,
 * '<' or '&'. */
#define CAP_SENDER_DEFAULT "loa"

const char *
cap_sender(const struct service *svc)
{
	(void)svc;
	return CAP_SENDER_DEFAULT;
}

char *
cap_identifier(const char *job_id)
{
	return xasprintf("loa-%s", job_id);
}

void
cap_sent(const struct service *svc, int64_t first_at, char *out, size_t len)
{
	tz_rfc3339(svc->tz, first_at, out, len);
}

char *
cap_reference(const struct service *svc, const char *job_id, int64_t first_at)
{
	char  sent[40];
	char *id = cap_identifier(job_id), *ref;

	cap_sent(svc, first_at, sent, sizeof(sent));
	ref = xasprintf("%s,%s,%s", cap_sender(svc), id, sent);
	free(id);
	return ref;
}
