/*
 * live.h: what the running service knows of itself, for the HTTP API
 * (api/): each gateway's state, the send counters and histograms, the
 * reloads, and an immutable snapshot of the loaded plans with their
 * rendered feeds. The engine thread writes (live_* below, cheap, under one
 * mutex); the API thread copies a consistent view (live_view) and holds a
 * reference to the snapshot it serves (live_snap_get/put). The world is
 * replaced on reload: the API never touches it, only the snapshot the
 * engine built from it (live_publish).
 */
#ifndef LOA_LIVE_H
#define LOA_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/world.h"
#include "loa.h"

struct outbox;

/* The outcomes a send is counted by (loa_sends_total's label). */
enum live_outcome {
	LO_OK,
	LO_TEMPFAIL,
	LO_PERMFAIL,
	LO_CONFFAIL,
	LO__N
};
extern const char *const live_outcome_names[LO__N];

#define LIVE_DUR_NB 12 /* send duration buckets, seconds */
#define LIVE_LAG_NB 11 /* due -> handed buckets, seconds */
extern const double live_dur_le[LIVE_DUR_NB];
extern const double live_lag_le[LIVE_LAG_NB];

struct live_hist {
	uint64_t b[LIVE_DUR_NB > LIVE_LAG_NB ? LIVE_DUR_NB : LIVE_LAG_NB];
	uint64_t count;
	double	 sum;
};

/* One channel's gateway as the API shows it. */
struct live_gw {
	int		 used; /* a gateway is on this channel */
	char		 id[64];
	char		 kind[16];
	int64_t		 last_ok;    /* TIMEX_NONE: never */
	int64_t		 fail_since; /* first failure since the last
					success, TIMEX_NONE: none */
	int64_t		 last_error_at;
	double		 paused_until;	/* Retry-After; 0: none */
	double		 backoff_until; /* the next retry of a failure */
	char		 last_error[256];
	uint64_t	 sends[LO__N];
	struct live_hist dur;
};

/* A consistent copy of the counters. */
struct live_view {
	int64_t		 started;
	struct live_gw	 gw[CH__N];
	struct live_hist lag;
	uint64_t	 reloads_ok, reloads_failed;
	/* The last reload refused, while no good one landed since: when
	 * (TIMEX_NONE: none refused since), and its first error. */
	int64_t		 reload_refused_at;
	char		 reload_error[256];
};

/* One rendered feed of a snapshot: all, one plan's, one agency's. */
struct live_feed {
	char  *key; /* "" (all), "plan:ID", "agency:ID" */
	char  *data;
	size_t len;
	char   etag[20]; /* "\"" 16 hex digits "\"" */
	/* gzip, made on first ask by the API thread (its only thread). */
	int    gz_done;
	char  *gz;
	size_t gzlen;
};

struct live_plan {
	char		*id;
	char		*file;
	size_t		 jobs;
	const struct tz *tz; /* tz_get's: lives for the process */
};

struct live_task {
	char *plan;
	char *id;
};

/* Built by the engine thread after each load, reload and task done;
 * never changed once published; freed when its last reference goes. */
struct live_snap {
	int		  refs;	 /* under the live mutex */
	int64_t		  built; /* the feeds' DTSTAMP, Last-Modified */
	const struct tz	 *svc_tz;
	struct live_plan *plans;
	size_t		  nplans;
	struct live_task *tasks;
	size_t		  ntasks;
	struct live_feed *feeds;
	size_t		  nfeeds;
};

struct live;

struct live *live_new(int64_t started);
void	     live_free(struct live *);

/* The engine's side. */
void
live_gateway(struct live *, enum channel, const char *id, const char *kind);
/* A send's answer: result (gw_result: GW_OK ...), seconds from submit to
 * answer, its words, at now. */
void live_send(struct live *, enum channel, int result, double secs,
    int64_t now, double retry_at, const char *text);
/* Seconds from a job's due time to its hand-over to a gateway. */
void live_lag(struct live *, double secs);
void live_pause(struct live *, enum channel, double until);
/* A reload at now: landed (why NULL), or refused for why (its first
 * error, "FILE:LINE: ..."), which /healthz shows until one lands. */
void live_reload(struct live *, int64_t now, const char *why);
/* Build the snapshot of world w (facts from ob) at now, and put it in
 * place of the last one. */
void
live_publish(struct live *, struct world *w, struct outbox *ob, int64_t now);

/* The API's side. */
void		  live_view(struct live *, struct live_view *);
struct live_snap *live_snap_get(struct live *); /* NULL before the first */
void		  live_snap_put(struct live *, struct live_snap *);
/* The feed of key in s, or NULL. */
struct live_feed *live_feed(struct live_snap *, const char *key);

/*
 * The feed `loa ics` prints and GET /calendar.ics serves (conf/REFERENCE.md
 * §7), with each event's SEQUENCE and each task's state from ob (NULL: nothing
 * sent yet): every plan's, or one agency's events and deadlines (agency NULL:
 * all; *found 0 when no plan has that agency). Caller frees.
 */
struct ical_facts;
/* The facts of the outbox ob the iCalendar objects show (render/ical.h). */
void  feed_facts(struct ical_facts *, struct outbox *ob);
char *feed_ics(struct plan **plans, size_t nplans, int tasks_only,
    struct outbox *ob, int64_t now);
char *feed_agency(struct plan **plans, size_t nplans, const char *agency,
    struct outbox *ob, int64_t now, int *found);

#endif
