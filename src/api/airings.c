/*
 * airings.c: what a pulling controller asks: GET /broadcasts/next, the
 * airing to play now (emergencies first), and /broadcasts/{ID}/audio,
 * an airing's WAV from the speech cache.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"
#include "render/speech.h"
#include "render/spoken.h"
#include "util/mem.h"

/*
 * Whether airing e of item it is for a controller to play now: handed
 * (sent), or due and still to hand (pending, failed), the states
 * `broadcast aired` takes; one recorded aired is delivered.
 */
static int
playable(const struct bq_item *it, const struct bq_entry *e, int64_t now)
{
	if (it->b->cancelled || e->title == NULL)
		return 0;
	if (strcmp(e->state, "sent") == 0)
		return 1;
	return (strcmp(e->state, "pending") == 0 ||
		   strcmp(e->state, "failed") == 0) &&
	    e->planned != TIMEX_NONE && e->planned <= now;
}

/* Emergencies first, then by planned time, priority, id. */
static int
before(const struct bq_entry *x, const struct bq_entry *y)
{
	int ex = x->priority == PRIO_EMERGENCY,
	    ey = y->priority == PRIO_EMERGENCY;

	if (ex != ey)
		return ex;
	if (x->planned != y->planned)
		return x->planned < y->planned;
	if (x->priority != y->priority)
		return x->priority > y->priority;
	return strcmp(x->job, y->job) < 0;
}

/* The playable airing that goes first (by job id: its id, else any). */
static int
pick(const struct bqreq *q, struct bq_item *v, size_t n, const char *job,
    const struct bq_item **pit, const struct bq_entry **pe)
{
	size_t i, k;

	*pit = NULL;
	*pe = NULL;
	for (i = 0; i < n; i++)
		for (k = 0; k < v[i].n; k++) {
			const struct bq_entry *e = &v[i].v[k];

			if (job != NULL ? strcmp(e->job, job) != 0 :
					  !playable(&v[i], e, q->now))
				continue;
			if (*pe == NULL || before(e, *pe)) {
				*pit = &v[i];
				*pe = e;
			}
		}
	assert((*pit == NULL) == (*pe == NULL));
	return *pe != NULL;
}

enum MHD_Result
api_bq_next(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const struct bq_item  *it;
	const struct bq_entry *e;
	struct bq_item	      *v;
	struct bqreq	       q;
	enum MHD_Result	       rc;
	size_t		       n;
	json_t		      *o;
	char		      *spoken, *audio;
	const struct tz	      *z;

	if (api_bq_load(a, c, &q, &rc) == -1) {
		api_bq_done(&q);
		return rc;
	}
	bqueue_list(&q.w, &q.st, q.now, &v, &n);
	if (!pick(&q, v, n, NULL, &it, &e)) {
		bq_items_free(v, n);
		api_bq_done(&q);
		rc = api_reply(c, MHD_HTTP_NO_CONTENT, "application/json",
		    xstrdup(""), 0);
		return rc;
	}
	z = q.w.svc->tz;
	/* conf/REFERENCE.md §7's ID.json keys, then where it stands. */
	spoken = spoken_text(it->b->text, q.w.svc);
	audio = q.w.svc->tts_engine != NULL ?
	    xasprintf("/broadcasts/%s/audio", e->job) :
	    NULL;
	o = json_object();
	json_object_set_new(o, "id", json_string(e->job));
	json_object_set_new(o, "plan", json_string(e->plan));
	json_object_set_new(o, "object", json_string(e->item));
	json_object_set_new(o, "title", json_string(it->b->title));
	json_object_set_new(o, "text", json_string(it->b->text));
	json_object_set_new(o, "spoken",
	    spoken != NULL ? json_string(spoken) : json_null());
	json_object_set_new(o, "priority",
	    json_string(priority_names[e->priority]));
	json_object_set_new(o, "slot",
	    e->slot != NULL ? json_string(e->slot) : json_null());
	json_object_set_new(o, "planned", api_json_time(z, e->planned));
	json_object_set_new(o, "duration_s", json_integer(e->duration));
	json_object_set_new(o, "audio",
	    audio != NULL ? json_string(audio) : json_null());
	json_object_set_new(o, "state", json_string(e->state));
	json_object_set_new(o, "sent_at", api_json_time(z, e->sent_at));
	free(spoken);
	free(audio);
	bq_items_free(v, n);
	api_bq_done(&q);
	return api_reply_json(c, MHD_HTTP_OK, o);
}

enum MHD_Result
api_bq_audio(struct api *a, struct MHD_Connection *c, struct req *r)
{
	const char	      *job = r->id;
	const struct bq_item  *it;
	const struct bq_entry *e;
	struct bq_item	      *v;
	struct bqreq	       q;
	enum MHD_Result	       rc;
	size_t		       n, len;
	void		      *wav;

	assert(job != NULL);
	if (!api_ref_ok(job))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad id");
	if (!api_id_ok(job, 0))
		return api_error(c, MHD_HTTP_BAD_REQUEST, "bad airing id");
	if (api_bq_load(a, c, &q, &rc) == -1) {
		api_bq_done(&q);
		return rc;
	}
	if (q.w.svc->tts_engine == NULL) {
		api_bq_done(&q);
		return api_error(c, MHD_HTTP_NOT_FOUND,
		    "no speech: broadcast.tts is not set");
	}
	bqueue_list(&q.w, &q.st, q.now, &v, &n);
	if (!pick(&q, v, n, job, &it, &e) || e->title == NULL) {
		bq_items_free(v, n);
		api_bq_done(&q);
		return api_error(c, MHD_HTTP_NOT_FOUND, "no such airing");
	}
	/* From the cache: the service's loop synthesises, never the API's
	 * one thread. */
	if (speech_wav_cached(q.w.svc, it->b->text, &wav, &len) == -1) {
		bq_items_free(v, n);
		api_bq_done(&q);
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the speech of %s is being prepared; try again", job);
	}
	bq_items_free(v, n);
	api_bq_done(&q);
	return api_reply(c, MHD_HTTP_OK, "audio/wav", wav, len);
}
