/*
 * health.c: GET /healthz (the service's state in JSON, 503 when it is
 * failing), and the outbox's counts it shares with /metrics.
 */
#include <assert.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api/api_int.h"

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The jobs by state, kind and channel, and the earliest next_at of a job
 * waiting to be sent (due or not), into a->cnt and a->oldest: counted anew
 * when the outbox changed since, at most once a second while it keeps
 * changing (a scan of every job;
 * /healthz and /metrics stay cheap while the engine sends). So they are
 * exact once the outbox has been still for a second. 0, or -1.
 */
int
api_counts(struct api *a, int64_t now)
{
	int64_t v;
	double	t = mono_now();

	assert(a->ob != NULL);
	if (outbox_data_version(a->ob, &v) == -1)
		return -1;
	if (a->have && (v == a->version || t - a->counted_at < 1.0))
		return 0;
	a->have = 0;
	if (outbox_counts(a->ob, a->cnt) == -1 ||
	    outbox_oldest_due(a->ob, INT64_MAX, &a->oldest) == -1)
		return -1;
	a->have = 1;
	a->version = v;
	a->counted_at = t;
	return 0;
}

/* The gateways that failed every attempt for loa.http.unhealthy_after. */
int
api_gw_failing(const struct api *a, const struct live_gw *g, int64_t now)
{
	return g->used && g->fail_since != TIMEX_NONE &&
	    now - g->fail_since >= a->unhealthy_after;
}

enum MHD_Result
api_healthz(struct api *a, struct MHD_Connection *c, struct req *r)
{
	struct live_view  v;
	struct live_snap *s = live_snap_get(a->live);
	const struct tz	 *z = s != NULL ? s->svc_tz : tz_get("UTC");
	int64_t		  now = api_now(a), oldest;
	int64_t		  bystate[JS__N];
	json_t		 *o = json_object(), *plans = json_array(), *ob, *gws;
	size_t		  i;
	int		  st, k, ch, ok = 1;

	live_view(a->live, &v);
	json_object_set_new(o, "version", json_string(LOA_VERSION));
	json_object_set_new(o, "now", api_json_time(z, now));
	json_object_set_new(o, "uptime_s", json_integer(now - v.started));
	for (i = 0; s != NULL && i < s->nplans; i++)
		json_array_append_new(plans,
		    json_pack("{sssosI}", "id", s->plans[i].id, "file",
			s->plans[i].file != NULL ?
			    json_string(s->plans[i].file) :
			    json_null(),
			"jobs", (json_int_t)s->plans[i].jobs));
	json_object_set_new(o, "plans", plans);
	if (api_counts(a, now) == -1) {
		json_object_set_new(o, "outbox",
		    json_pack("{ss}", "error", outbox_error(a->ob)));
		ok = 0;
	} else {
		ob = json_object();
		oldest = a->oldest != TIMEX_NONE && a->oldest <= now ?
		    a->oldest :
		    TIMEX_NONE;
		memset(bystate, 0, sizeof(bystate));
		for (st = 0; st < JS__N; st++)
			for (k = 0; k < JK__N; k++)
				for (ch = 0; ch < CH__N; ch++)
					bystate[st] += a->cnt[st][k][ch];
		for (st = 0; st < JS__N; st++)
			json_object_set_new(ob, job_state_names[st],
			    json_integer(bystate[st]));
		json_object_set_new(o, "outbox", ob);
		json_object_set_new(o, "oldest_due_s",
		    oldest == TIMEX_NONE ? json_null() :
					   json_integer(now - oldest));
	}
	gws = json_array();
	for (ch = 0; ch < CH__N; ch++) {
		const struct live_gw *g = &v.gw[ch];
		const char	     *state = "ok";
		json_t		     *go;
		double		      until = 0;

		if (!g->used)
			continue;
		if (g->paused_until > (double)now) {
			state = "paused";
			until = g->paused_until;
		} else if (api_gw_failing(a, g, now))
			state = "failing";
		else if (g->fail_since != TIMEX_NONE)
			state = "backing_off", until = g->backoff_until;
		if (api_gw_failing(a, g, now))
			ok = 0;
		go = json_pack("{ssssss}", "channel", channel_names[ch], "id",
		    g->id, "kind", g->kind);
		json_object_set_new(go, "state", json_string(state));
		json_object_set_new(go, "until",
		    until > 0 ? api_json_time(z, (int64_t)until) : json_null());
		json_object_set_new(go, "last_success_at",
		    api_json_time(z, g->last_ok));
		json_object_set_new(go, "failing_since",
		    api_json_time(z, g->fail_since));
		json_object_set_new(go, "last_error_at",
		    api_json_time(z, g->last_error_at));
		json_object_set_new(go, "last_error",
		    g->last_error_at != TIMEX_NONE ?
			json_string(g->last_error) :
			json_null());
		if (json_object_get(go, "last_error") == NULL)
			json_object_set_new(go, "last_error",
			    json_string("(not UTF-8)"));
		json_array_append_new(gws, go);
	}
	json_object_set_new(o, "gateways", gws);
	/* A refused reload: the running config stays, but the one on disk
	 * is broken until a reload lands (live_reload). */
	if (v.reload_refused_at != TIMEX_NONE) {
		json_object_set_new(o, "reload",
		    json_pack("{sssoso}", "state", "refused", "at",
			api_json_time(z, v.reload_refused_at), "error",
			json_string(v.reload_error)));
		ok = 0;
	} else
		json_object_set_new(o, "reload",
		    json_pack("{ss}", "state", "ok"));
	json_object_set_new(o, "status", json_string(ok ? "ok" : "failing"));
	live_snap_put(a->live, s);
	return api_reply_json(c,
	    ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o);
}
