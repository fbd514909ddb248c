/*
 * dlr.c: GET /dlr, Kannel's delivery reports: its own secret in the query
 * (Kannel sends no headers), the report kept in the job's attempts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api.h"
#include "api/api_int.h"
#include "util/mem.h"
#include "util/text.h"

enum MHD_Result
api_dlr(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char *id = api_q_get(c, "id"), *st = api_q_get(c, "status");
	const char *tok = api_q_get(c, "dlr_token"),
		   *ans = api_q_get(c, "answer");
	char *end, *report;
	long  status;
	int   found, rc;

	if (a->dlr_token == NULL || tok == NULL ||
	    !api_secret_eq(tok, a->dlr_token)) {
		log_warnx("api: a delivery report with %s dlr_token refused",
		    tok == NULL ? "no" : "a wrong");
		return api_error(c, MHD_HTTP_FORBIDDEN,
		    a->dlr_token == NULL ?
			"no loa.http.dlr_token_file: delivery reports are "
			"refused" :
			"wrong dlr_token");
	}
	if (id == NULL || st == NULL)
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "id and status are needed");
	errno = 0;
	status = strtol(st, &end, 10);
	if (errno != 0 || end == st || *end != '\0' || status < 0 ||
	    status > 255)
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "status must be a number");
	if (!api_id_ok(id, 0)) {
		log_warnx("api: a delivery report for a malformed id");
		return api_reply_json(c, MHD_HTTP_OK,
		    json_pack("{sbsb}", "ok", 1, "known", 0));
	}
	if (ans != NULL && *ans != '\0') {
		/* Any bytes at all: valid UTF-8 on one line, cut on a
		 * character boundary, before the outbox keeps it. */
		char *words = text_peer(ans, strlen(ans), 200);

		report = xasprintf("dlr %ld: %s", status, words);
		free(words);
	} else
		report = xasprintf("dlr %ld", status);
	rc = outbox_dlr(a->ob, id, (int)status, report, api_now(a), &found);
	free(report);
	if (rc == -1) {
		log_warnx("api: /dlr: %s", outbox_error(a->ob));
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be written");
	}
	if (!found) {
		struct ob_job j;
		int	      known = 0;

		if (outbox_get(a->ob, id, &j, &known) == -1)
			known = 0;
		log_warnx("api: a delivery report (status %ld) for job %s, "
			  "which is %s",
		    status, id,
		    known ? job_state_names[j.state] : "not in the outbox");
		if (known)
			ob_job_clear(&j);
	} else
		log_info("api: job %s: delivery report %ld", id, status);
	return api_reply_json(c, MHD_HTTP_OK,
	    json_pack("{sbsb}", "ok", 1, "known", found));
}
