/*
 * metrics.c: GET /metrics, Prometheus' text format 0.0.4: the outbox's
 * counts (health.c) and the engine's counters and histograms (live.h).
 */
#include <assert.h>
#include <string.h>

#include <microhttpd.h>

#include "api/api_int.h"
#include "util/buf.h"

/* A Prometheus label value: \, " and newline escaped. */
static void
label(struct buf *b, const char *s)
{
	assert(s != NULL);
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

static void
hist_out(struct buf *b, const char *name, const char *lname, const char *lvalue,
    const struct live_hist *h, const double *le, int nb)
{
	int i;

	assert(le != NULL && nb > 0);
	for (i = 0; i < nb; i++) {
		buf_printf(b, "%s_bucket{", name);
		if (lname != NULL) {
			buf_printf(b, "%s=\"", lname);
			label(b, lvalue);
			buf_adds(b, "\",");
		}
		buf_printf(b, "le=\"%g\"} %llu\n", le[i],
		    (unsigned long long)h->b[i]);
	}
	buf_printf(b, "%s_bucket{", name);
	if (lname != NULL) {
		buf_printf(b, "%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\",");
	}
	buf_printf(b, "le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
	buf_printf(b, "%s_sum", name);
	if (lname != NULL) {
		buf_printf(b, "{%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\"}");
	}
	buf_printf(b, " %.6f\n%s_count", h->sum, name);
	if (lname != NULL) {
		buf_printf(b, "{%s=\"", lname);
		label(b, lvalue);
		buf_adds(b, "\"}");
	}
	buf_printf(b, " %llu\n", (unsigned long long)h->count);
}

/* The gateways by id: a gateway on two channels is one series. */
static void
gw_merge(const struct live_view *v, struct live_gw *out, int *n)
{
	int ch, i, k;

	*n = 0;
	for (ch = 0; ch < CH__N; ch++) {
		const struct live_gw *g = &v->gw[ch];

		if (!g->used)
			continue;
		for (i = 0; i < *n; i++)
			if (strcmp(out[i].id, g->id) == 0)
				break;
		if (i == *n) {
			assert(*n < CH__N);
			out[(*n)++] = *g;
			continue;
		}
		for (k = 0; k < LO__N; k++)
			out[i].sends[k] += g->sends[k];
		for (k = 0; k < LIVE_DUR_NB; k++)
			out[i].dur.b[k] += g->dur.b[k];
		out[i].dur.count += g->dur.count;
		out[i].dur.sum += g->dur.sum;
	}
}

enum MHD_Result
api_metrics(struct api *a, struct MHD_Connection *c, struct req *r)
{
	struct live_view v;
	struct live_gw	 g[CH__N];
	struct buf	 b = { 0 };
	int64_t		 now = api_now(a), oldest;
	int		 st, k, ch, n, i;

	if (api_counts(a, now) == -1) {
		log_warnx("api: /metrics: %s", outbox_error(a->ob));
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "the outbox cannot be read");
	}
	oldest = a->oldest != TIMEX_NONE && a->oldest <= now ? a->oldest :
							       TIMEX_NONE;
	live_view(a->live, &v);
	gw_merge(&v, g, &n);
	buf_adds(&b,
	    "# HELP loa_build_info The loa version serving, as a label.\n"
	    "# TYPE loa_build_info gauge\n");
	buf_printf(&b, "loa_build_info{version=\"%s\"} 1\n", LOA_VERSION);
	buf_adds(&b,
	    "# HELP loa_jobs Jobs in the outbox by state, kind and channel.\n"
	    "# TYPE loa_jobs gauge\n");
	for (st = 0; st < JS__N; st++)
		for (k = 0; k < JK__N; k++)
			for (ch = 0; ch < CH__N; ch++)
				if (a->cnt[st][k][ch] > 0)
					buf_printf(&b,
					    "loa_jobs{state=\"%s\",kind=\"%s\","
					    "channel=\"%s\"} %lld\n",
					    job_state_names[st],
					    job_kind_names[k],
					    channel_names[ch],
					    (long long)a->cnt[st][k][ch]);
	buf_adds(&b,
	    "# HELP loa_sends_total Answers of the gateways to sends, by "
	    "outcome.\n# TYPE loa_sends_total counter\n");
	for (i = 0; i < n; i++)
		for (k = 0; k < LO__N; k++) {
			buf_adds(&b, "loa_sends_total{gateway=\"");
			label(&b, g[i].id);
			buf_printf(&b, "\",outcome=\"%s\"} %llu\n",
			    live_outcome_names[k],
			    (unsigned long long)g[i].sends[k]);
		}
	buf_adds(&b,
	    "# HELP loa_send_duration_seconds From a send's submit to its "
	    "gateway's answer.\n"
	    "# TYPE loa_send_duration_seconds histogram\n");
	for (i = 0; i < n; i++)
		hist_out(&b, "loa_send_duration_seconds", "gateway", g[i].id,
		    &g[i].dur, live_dur_le, LIVE_DUR_NB);
	buf_adds(&b,
	    "# HELP loa_due_lag_seconds From a job's due time to its hand-over "
	    "to a gateway.\n# TYPE loa_due_lag_seconds histogram\n");
	hist_out(&b, "loa_due_lag_seconds", NULL, NULL, &v.lag, live_lag_le,
	    LIVE_LAG_NB);
	buf_adds(&b,
	    "# HELP loa_oldest_due_seconds Age of the job waiting longest to "
	    "be sent (0: none).\n# TYPE loa_oldest_due_seconds gauge\n");
	buf_printf(&b, "loa_oldest_due_seconds %lld\n",
	    oldest == TIMEX_NONE ? 0LL : (long long)(now - oldest));
	buf_adds(&b,
	    "# HELP loa_reloads_total Reloads of the config (SIGHUP, a task "
	    "done), by result.\n# TYPE loa_reloads_total counter\n");
	buf_printf(&b,
	    "loa_reloads_total{result=\"ok\"} %llu\n"
	    "loa_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)v.reloads_ok,
	    (unsigned long long)v.reloads_failed);
	buf_adds(&b,
	    "# HELP loa_config_reload_failed 1 while the last reload was "
	    "refused (no good one since), else 0.\n"
	    "# TYPE loa_config_reload_failed gauge\n");
	buf_printf(&b, "loa_config_reload_failed %d\n",
	    v.reload_refused_at != TIMEX_NONE);
	buf_adds(&b,
	    "# HELP loa_start_time_seconds When the service started, in Unix "
	    "time.\n# TYPE loa_start_time_seconds gauge\n");
	buf_printf(&b, "loa_start_time_seconds %lld\n", (long long)v.started);
	n = (int)b.len;
	return api_reply(c, MHD_HTTP_OK,
	    "text/plain; version=0.0.4; charset=utf-8", buf_take(&b),
	    (size_t)n);
}
