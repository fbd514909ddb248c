/*
 * jobs.c: GET /outbox (a page of jobs, filtered) and /jobs/{ID} (one job
 * with its attempts), as `loa outbox --json` writes them.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"
#include "view/out.h"

/* The zone a job of plan is shown in: its plan's, else the service's. */
static const struct tz *
zone_of(const struct live_snap *s, const char *plan)
{
	size_t i;

	for (i = 0; s != NULL && i < s->nplans; i++)
		if (strcmp(s->plans[i].id, plan) == 0)
			return s->plans[i].tz;
	return s != NULL ? s->svc_tz : tz_get("UTC");
}

enum MHD_Result
api_outbox(struct api *a, struct MHD_Connection *c, struct req *r)
{
	struct ob_filter  f = { JS__N, JK__N, CH__N, NULL, NULL };
	const char	 *s, *after = api_q_get(c, "after");
	struct ob_job	 *v;
	struct live_snap *snap;
	size_t		  n, i;
	long		  limit = API_PAGE;
	json_t		 *o, *jobs;
	char		 *end;

	if ((s = api_q_get(c, "state")) != NULL &&
	    job_state_from_name(s, &f.state) == -1)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "unknown state");
	if ((s = api_q_get(c, "kind")) != NULL &&
	    job_kind_from_name(s, &f.kind) == -1)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "unknown kind");
	if ((s = api_q_get(c, "channel")) != NULL &&
	    channel_from_name(s, &f.channel) == -1)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "unknown channel");
	f.recipient = api_q_get(c, "recipient");
	f.object = api_q_get(c, "object");
	if ((f.recipient != NULL && !api_id_ok(f.recipient, 1)) ||
	    (f.object != NULL && !api_id_ok(f.object, 1)) ||
	    (after != NULL && *after != '\0' && !api_id_ok(after, 0)))
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "bad recipient, object or after");
	if ((s = api_q_get(c, "limit")) != NULL) {
		errno = 0;
		limit = strtol(s, &end, 10);
		if (errno != 0 || end == s || *end != '\0' || limit < 1 ||
		    limit > API_PAGE_MAX)
			return api_error(c, MHD_HTTP_BAD_REQUEST,
			    "limit must be 1 to %d", API_PAGE_MAX);
	}
	if (outbox_page(a->ob, &f, after, (int)limit, &v, &n) == -1) {
		log_warnx("api: /outbox: %s", outbox_error(a->ob));
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be read");
	}
	snap = live_snap_get(a->live);
	jobs = json_array();
	for (i = 0; i < n; i++) {
		struct out_job oj;

		out_job_from_ob(&oj, &v[i], zone_of(snap, v[i].plan));
		json_array_append_new(jobs, out_job_json(&oj));
	}
	o = json_object();
	json_object_set_new(o, "jobs", jobs);
	json_object_set_new(o, "next",
	    n == (size_t)limit ? json_string(v[n - 1].id) : json_null());
	for (i = 0; i < n; i++)
		ob_job_clear(&v[i]);
	free(v);
	live_snap_put(a->live, snap);
	return api_reply_json(c, MHD_HTTP_OK, o);
}

enum MHD_Result
api_job(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char	  *id = r->id;
	struct ob_job	   j;
	struct ob_attempt *at;
	struct out_job	   oj;
	struct live_snap  *snap;
	const struct tz	  *z;
	size_t		   n, i;
	int		   found;
	json_t		  *o, *arr;

	assert(id != NULL);
	if (!api_id_ok(id, 0))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad job id");
	if (outbox_get(a->ob, id, &j, &found) == -1 ||
	    (found && outbox_attempts(a->ob, id, &at, &n) == -1)) {
		log_warnx("api: /jobs: %s", outbox_error(a->ob));
		if (found)
			ob_job_clear(&j);
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be read");
	}
	if (!found)
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such job");
	snap = live_snap_get(a->live);
	z = zone_of(snap, j.plan);
	out_job_from_ob(&oj, &j, z);
	o = out_job_json(&oj);
	arr = json_array();
	for (i = 0; i < n; i++) {
		json_t *e = json_object();

		json_object_set_new(e, "at", api_json_time(z, at[i].at));
		json_object_set_new(e, "outcome", json_string(at[i].outcome));
		json_object_set_new(e, "answer", out_str(at[i].answer));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "attempt_log", arr);
	ob_attempts_free(at, n);
	ob_job_clear(&j);
	live_snap_put(a->live, snap);
	return api_reply_json(c, MHD_HTTP_OK, o);
}
