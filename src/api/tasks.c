/*
 * tasks.c: POST /tasks/{ID}/done, `loa task done` over HTTP: the task's
 * unsent reminders cancelled in one short transaction, then the engine
 * reloads (as on SIGHUP) so the feed shows it completed.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"
#include "util/mem.h"

enum MHD_Result
api_task_done(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char	 *ref = r->id, *colon, *task;
	struct live_snap *s;
	char		 *plan = NULL;
	size_t		  i, matches = 0, hit = 0;
	int		  cancelled = 0;
	json_error_t	  je;
	json_t		 *body;
	enum MHD_Result	  rc;

	if (r->body.len > 0) {
		if ((body = json_loadb(r->body.s, r->body.len, 0, &je)) ==
			NULL ||
		    !json_is_object(body)) {
			json_decref(body);
			return api_error(c, MHD_HTTP_BAD_REQUEST,
			    "the body is not a JSON object");
		}
		json_decref(body);
	}
	assert(ref != NULL);
	colon = strrchr(ref, ':');
	task = colon != NULL ? colon + 1 : ref;
	if (!api_ref_ok(ref))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad task id");
	if (colon != NULL)
		plan = xstrndup(ref, (size_t)(colon - ref));
	if ((s = live_snap_get(a->live)) == NULL) {
		free(plan);
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the plans are not loaded yet");
	}
	for (i = 0; i < s->ntasks; i++)
		if (strcmp(s->tasks[i].id, task) == 0 &&
		    (plan == NULL || strcmp(s->tasks[i].plan, plan) == 0)) {
			matches++;
			hit = i;
		}
	free(plan);
	if (matches != 1) {
		live_snap_put(a->live, s);
		return matches == 0 ?
		    api_error(c, MHD_HTTP_NOT_FOUND, "no such task") :
		    api_error(c, MHD_HTTP_CONFLICT,
			"more than one plan has this task; name it as "
			"PLAN:ID");
	}
	assert(hit < s->ntasks);
	if (outbox_begin(a->ob) == -1 ||
	    outbox_task_done(a->ob, s->tasks[hit].plan, s->tasks[hit].id,
		api_now(a), &cancelled) == -1 ||
	    outbox_commit(a->ob) == -1) {
		log_warnx("api: task done: %s", outbox_error(a->ob));
		outbox_rollback(a->ob);
		live_snap_put(a->live, s);
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be written");
	}
	log_info("api: %s %s: done; %d reminder%s cancelled",
	    s->tasks[hit].plan, s->tasks[hit].id, cancelled,
	    cancelled == 1 ? "" : "s");
	/* The feed shows it done: the engine reloads, as on SIGHUP. */
	engine_request_reload();
	rc = api_reply_json(c, MHD_HTTP_OK,
	    json_pack("{sssssbsi}", "plan", s->tasks[hit].plan, "task",
		s->tasks[hit].id, "done", 1, "cancelled", cancelled));
	live_snap_put(a->live, s);
	return rc;
}
