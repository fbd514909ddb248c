/*
 * dlr.c: GET /dlr, Kannel's delivery reports: its own secret in the query
 * (Kannel sends no headers), the report kept in the job's attempts. A
 * report is of an SMS: the SMS gateway's dlr-url is the one that names
 * /dlr (one SMS channel, one gateway on it); a report naming any other
 * job (an email, an airing) is refused and changes nothing. What Kannel
 * sends is kept as one line of valid UTF-8 (text_peer).
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

#define DLR_ANSWER_MAX 200 /* bytes of `answer` kept */
#define DLR_ID_SHOWN   64  /* bytes of an id a log line shows */

static enum MHD_Result
refused_token(struct api *a, struct MHD_Connection *c, const char *tok)
{
	log_warnx("api: a delivery report with %s dlr_token refused",
	    tok == NULL ? "no" : "a wrong");
	return api_error(c, MHD_HTTP_FORBIDDEN,
	    a->dlr_token == NULL ? "no loa.http.dlr_token_file: delivery "
				   "reports are refused" :
				   "wrong dlr_token");
}

/* The report of job id, an SMS, kept: 200 {"ok", "known"}. */
static enum MHD_Result
keep(struct api *a, struct MHD_Connection *c, const char *id, long status,
    const char *ans)
{
	char *report, *shown;
	int   found, rc;

	if (ans != NULL && *ans != '\0') {
		shown = text_peer(ans, strlen(ans), DLR_ANSWER_MAX);
		report = xasprintf("dlr %ld: %s", status, shown);
		free(shown);
	} else
		report = xasprintf("dlr %ld", status);
	rc = outbox_dlr(a->ob, id, (int)status, report, api_now(a), &found);
	free(report);
	if (rc == -1) {
		log_warnx("api: /dlr: %s", outbox_error(a->ob));
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be written");
	}
	if (found)
		log_info("api: job %s: delivery report %ld", id, status);
	else
		log_warnx("api: a delivery report (status %ld) for job %s, "
			  "which has not gone out",
		    status, id);
	return api_reply_json(c, MHD_HTTP_OK,
	    json_pack("{sbsb}", "ok", 1, "known", found));
}

enum MHD_Result
api_dlr(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char *id = api_q_get(c, "id"), *st = api_q_get(c, "status");
	const char *tok = api_q_get(c, "dlr_token"),
		   *ans = api_q_get(c, "answer");
	char	       *end, *shown;
	long		status;
	int		found = 0;
	struct ob_job	j;
	enum MHD_Result rc;

	if (a->dlr_token == NULL || tok == NULL ||
	    !api_secret_eq(tok, a->dlr_token))
		return refused_token(a, c, tok);
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
	if (outbox_get(a->ob, id, &j, &found) == -1) {
		log_warnx("api: /dlr: %s", outbox_error(a->ob));
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be read");
	}
	shown = text_peer(id, strlen(id), DLR_ID_SHOWN);
	if (!found) {
		log_warnx("api: a delivery report (status %ld) for job %s, "
			  "which is not in the outbox",
		    status, shown);
		rc = api_reply_json(c, MHD_HTTP_OK,
		    json_pack("{sbsb}", "ok", 1, "known", 0));
	} else if (j.channel != CH_SMS) {
		/* A job's channel never changes: no race with the engine. */
		log_warnx("api: a delivery report (status %ld) for job %s "
			  "(%s) refused: reports are of SMS alone",
		    status, shown, channel_names[j.channel]);
		rc = api_error(c, MHD_HTTP_CONFLICT,
		    "job %s is %s, not SMS: a delivery report is of an SMS",
		    shown, channel_names[j.channel]);
	} else
		rc = keep(a, c, j.id, status, ans);
	if (found)
		ob_job_clear(&j);
	free(shown);
	return rc;
}
