/*
 * dlr.c: fuzz the delivery reports (src/api/dlr.c): the input is the
 * query of GET /dlr after its right dlr_token, as Kannel sends it
 * ("id=JOB&status=1&answer=..."); the report is read, kept in the job's
 * attempts when the job is known, and the job is read back by GET
 * /jobs/ID, which must still answer JSON that parses, as must the next
 * reports' reads (the outbox is made anew every 64 inputs).
 */
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "apifx.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	apifx_init();
	return 0;
}

/* The value of key in query q, still %-escaped (caller frees), or NULL. */
static char *
query_value(const char *q, const char *key)
{
	size_t	    n = strlen(key);
	const char *p = q;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return xstrndup(p + n + 1, strcspn(p + n + 1, "&"));
		p = strchr(p, '&');
		p = p != NULL ? p + 1 : NULL;
	}
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned	    runs;
	char		   *q = fz_str(data, size), *target, *id;
	struct apifx_answer ans;

	if (strpbrk(q, "\r\n#") != NULL) {
		free(q);
		return 0;
	}
	target = xasprintf("/dlr?dlr_token=%s&%s", APIFX_DLR_TOKEN, q);
	apifx_request("GET", target, "", "", 0, &ans);
	apifx_free(&ans);
	free(target);
	/* The job the report was for, read back from the outbox the report
	 * went to; the next input gets a new one. */
	if ((id = query_value(q, "id")) != NULL && id[0] != '\0') {
		target = xasprintf("/jobs/%s", id);
		apifx_renew(0);
		apifx_request("GET", target, "", "", 0, &ans);
		apifx_free(&ans);
		free(target);
	}
	/* The reports pile up in the outbox: a new one now and then. */
	apifx_renew(++runs % 64 == 0);
	free(id);
	free(q);
	return 0;
}
