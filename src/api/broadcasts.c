/*
 * broadcasts.c: /broadcasts, the loudspeaker's queue (deliver/bqueue.h)
 * as `loa broadcast` has it: each request loads the config on the API's
 * thread, reads the queue from the outbox, and calls the one function the
 * CLI calls; a change tells the engine to plan again (as SIGHUP does).
 * POST /broadcasts adds, GET /broadcasts?date= is the running order, POST
 * /broadcasts/{ID}/aired and /cancel record and cancel. The airings a
 * controller pulls are airings.c's.
 *
 * Speech is never made here (a long text takes seconds, and the API has
 * one thread): the config is loaded with the cached hook, so an item
 * whose WAV the speech cache has not got yet is placed with its estimated
 * length, and the service's loop synthesises it on the reload an add
 * asks for ("speech": "preparing", then "ready").
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"
#include "view/out.h"
#include "plan/adhoc.h"
#include "render/speech.h"
#include "util/diag.h"

void
api_bq_done(struct bqreq *q)
{
	bq_state_free(&q->st);
	if (q->loaded)
		world_free(&q->w);
}

/* The config loaded and the queue read into *q, which api_bq_done() frees
 * either way. 0, or an error queued (*rc) and -1. */
int
api_bq_load(struct api *a, struct MHD_Connection *c, struct bqreq *q,
    enum MHD_Result *rc)
{
	struct diag d = { 0 };
	char	    err[512];
	int	    lr;

	memset(q, 0, sizeof(*q));
	q->now = api_now(a);
	if ((d.out = fopen("/dev/null", "w")) == NULL) {
		*rc = api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "/dev/null: %s", strerror(errno));
		return -1;
	}
	lr = world_load_speech(&q->w, a->config, q->now, &speech_cached, &d);
	fclose(d.out);
	if (lr == -1) {
		world_free(&q->w);
		log_warnx("api: %s: %d error%s (loa check shows them)",
		    a->config, d.errors, d.errors == 1 ? "" : "s");
		*rc = api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the config does not validate now (loa check)");
		return -1;
	}
	q->loaded = 1;
	if (bqueue_apply(a->ob, &q->w, q->now, &q->st, err, sizeof(err)) ==
	    -1) {
		log_warnx("api: broadcasts: %s", err);
		*rc = api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be read");
		return -1;
	}
	assert(q->w.svc != NULL && q->w.svc->tz != NULL);
	return 0;
}

/* What a bqueue function said: 400, 404 or 503. */
enum MHD_Result
api_bq_error(struct MHD_Connection *c, int rc, const char *what,
    const char *err)
{
	assert(rc != 0);
	if (rc == BQ_NOTFOUND)
		return api_error(c, MHD_HTTP_NOT_FOUND, "%s", err);
	if (rc == BQ_INVALID)
		return api_error(c, MHD_HTTP_BAD_REQUEST, "%s", err);
	log_warnx("api: broadcast %s: %s", what, err);
	return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "the outbox cannot be written");
}

/*
 * The item plan:id of the queue as list shows it, or NULL. With speech
 * on, "speech": "ready" when the cache has its WAV (its airings placed
 * with the real length), else "preparing" (the service synthesises it).
 */
static json_t *
bq_item_json(const struct bqreq *q, const char *plan, const char *id)
{
	struct bq_item *v;
	size_t		n, i;
	json_t	       *o = NULL;
	double		secs;

	bqueue_list(&q->w, &q->st, q->now, &v, &n);
	for (i = 0; i < n && o == NULL; i++)
		if (strcmp(v[i].plan->id, plan) == 0 &&
		    strcmp(v[i].b->id, id) == 0) {
			o = out_bq_item(q->w.svc->tz, &v[i]);
			if (q->w.svc->tts_engine != NULL)
				json_object_set_new(o, "speech",
				    json_string(speech_cached_seconds(q->w.svc,
						    v[i].b->text, &secs) == 0 ?
					    "ready" :
					    "preparing"));
		}
	bq_items_free(v, n);
	return o;
}

enum MHD_Result
api_bq_add(struct api *a, struct MHD_Connection *c, struct req *r)
{
	static const char *const names[] = { "title", "text", "priority", "air",
		"expires", NULL };
	struct bq_new	in = { NULL, NULL, NULL, TIMEX_NONE, TIMEX_NONE };
	struct bqreq	q;
	enum MHD_Result rc;
	json_t	       *o, *item;
	char		err[512], *id;
	int		brc;

	if (api_body_object(c, r, names, &o, &rc) == -1)
		return rc;
	in.title = api_member(o, "title");
	in.text = api_member(o, "text");
	in.priority = api_member(o, "priority");
	if (in.title == NULL || in.text == NULL) {
		json_decref(o);
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "title and text are needed");
	}
	if (api_bq_load(a, c, &q, &rc) == -1) {
		json_decref(o);
		api_bq_done(&q);
		return rc;
	}
	if (api_body_time(c, o, "air", q.w.svc->tz, &in.air, &rc) == -1 ||
	    api_body_time(c, o, "expires", q.w.svc->tz, &in.expires, &rc) ==
		-1) {
		json_decref(o);
		api_bq_done(&q);
		return rc;
	}
	brc = bqueue_add(a->ob, q.w.svc, &in, q.now, &id, err, sizeof(err));
	json_decref(o);
	if (brc != 0) {
		api_bq_done(&q);
		return api_bq_error(c, brc, "add", err);
	}
	log_info("api: broadcast %s:%s added", ADHOC_PLAN, id);
	engine_request_reload();
	/* Where it landed: the queue read again, as `broadcast add` says. */
	bq_state_free(&q.st);
	if (bqueue_apply(a->ob, &q.w, q.now, &q.st, err, sizeof(err)) == -1 ||
	    (item = bq_item_json(&q, ADHOC_PLAN, id)) == NULL)
		item = json_pack("{sssssb}", "plan", ADHOC_PLAN, "id", id,
		    "cancelled", 0);
	free(id);
	api_bq_done(&q);
	return api_reply_json(c, MHD_HTTP_CREATED, item);
}

enum MHD_Result
api_bq_rundown(struct api *a, struct MHD_Connection *c, struct req *r)
{
	struct bq_rundown rd;
	struct bqreq	  q;
	const char	 *date = api_q_get(c, "date");
	enum MHD_Result	  rc;
	int64_t		  t;
	char		 *s;

	if (date == NULL)
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "?date=YYYY-MM-DD is needed");
	if (api_bq_load(a, c, &q, &rc) == -1) {
		api_bq_done(&q);
		return rc;
	}
	if (strlen(date) != strlen("YYYY-MM-DD") ||
	    timex_parse_instant(q.w.svc->tz, date, &t) == -1) {
		api_bq_done(&q);
		return api_error(c, MHD_HTTP_BAD_REQUEST,
		    "date \"%s\": expected YYYY-MM-DD", date);
	}
	bqueue_rundown(&q.w, &q.st, civil_day_of(tz_to_local(q.w.svc->tz, t)),
	    q.now, &rd);
	/* The bytes of `loa broadcast rundown --json`. */
	s = out_json_text(out_bq_rundown(q.w.svc->tz, &rd));
	bq_rundown_free(&rd);
	api_bq_done(&q);
	return api_reply(c, MHD_HTTP_OK, "application/json", s, strlen(s));
}

enum MHD_Result
api_bq_aired(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char		*ref = r->id;
	static const char *const names[] = { "at", NULL };
	struct bqreq		 q;
	enum MHD_Result		 rc;
	int64_t			 at;
	json_t			*o;
	char			 err[512], job[17], t[40];
	int			 brc;

	assert(ref != NULL);
	if (!api_ref_ok(ref))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad id");
	if (api_body_object(c, r, names, &o, &rc) == -1)
		return rc;
	if (api_bq_load(a, c, &q, &rc) == -1) {
		json_decref(o);
		api_bq_done(&q);
		return rc;
	}
	at = q.now;
	if (api_body_time(c, o, "at", q.w.svc->tz, &at, &rc) == -1) {
		json_decref(o);
		api_bq_done(&q);
		return rc;
	}
	json_decref(o);
	brc = bqueue_aired(a->ob, &q.w, &q.st, ref, at, q.now, job, err,
	    sizeof(err));
	if (brc != 0) {
		api_bq_done(&q);
		return api_bq_error(c, brc, "aired", err);
	}
	tz_rfc3339(q.w.svc->tz, at, t, sizeof(t));
	log_info("api: airing %s: aired at %s", job, t);
	engine_request_reload();
	api_bq_done(&q);
	return api_reply_json(c, MHD_HTTP_OK,
	    json_pack("{ssss}", "id", job, "aired_at", t));
}

enum MHD_Result
api_bq_cancel(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char		*ref = r->id;
	static const char *const names[] = { NULL };
	struct bqreq		 q;
	enum MHD_Result		 rc;
	const char		*plan;
	json_t			*o;
	char			 err[512];
	int			 brc, nj;

	assert(ref != NULL);
	if (!api_ref_ok(ref))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad id");
	if (api_body_object(c, r, names, &o, &rc) == -1)
		return rc;
	json_decref(o);
	if (api_bq_load(a, c, &q, &rc) == -1) {
		api_bq_done(&q);
		return rc;
	}
	brc = bqueue_cancel(a->ob, &q.w, ref, q.now, &plan, &nj, err,
	    sizeof(err));
	if (brc != 0) {
		api_bq_done(&q);
		return api_bq_error(c, brc, "cancel", err);
	}
	log_info("api: broadcast %s: cancelled; %d airing%s", ref, nj,
	    nj == 1 ? "" : "s");
	engine_request_reload();
	o = json_pack("{sssssbsi}", "plan", plan, "ref", ref, "cancelled", 1,
	    "airings", nj);
	api_bq_done(&q);
	return api_reply_json(c, MHD_HTTP_OK, o);
}
