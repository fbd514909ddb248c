/*
 * api_int.h: what the files of src/api/ share, and no one else includes.
 *
 *   server.c     libmicrohttpd: start, stop, a request's life, its body
 *                and its limits
 *   reply.c      answers: JSON, text, errors; query and body helpers
 *   router.c     the route table, its one matcher, the token check
 *   health.c     GET /healthz, and the outbox's counts /metrics shares
 *   metrics.c    GET /metrics
 *   feeds.c      GET /calendar.ics, /calendar/{AGENCY}.ics
 *   jobs.c       GET /outbox, /jobs/{ID}
 *   tasks.c      POST /tasks/{ID}/done
 *   dlr.c        GET /dlr
 *   broadcasts.c /broadcasts: the queue's load, add, rundown, aired, cancel
 *   airings.c    GET /broadcasts/next, /broadcasts/{ID}/audio
 *
 * Every route handler runs on libmicrohttpd's one thread (server.c), so
 * struct api's outbox connection and counts are touched by it alone.
 */
#ifndef LOA_API_INT_H
#define LOA_API_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>

#include "deliver/bqueue.h"
#include "deliver/engine.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "util/log.h"
#include "util/timex.h"
#include "util/buf.h"
#include "util/mem.h"

#define API_ID_MAX   512 /* the longest id looked at */
#define API_PAGE     100 /* /outbox's default limit */
#define API_PAGE_MAX 1000

/* A connection whose request has not arrived whole yet (server.c). */
struct api_conn {
	struct api_conn *prev, *next; /* a->pend, by deadline */
	int		 fd;
	int		 pending; /* in a->pend */
	double		 deadline;
};

struct api {
	struct MHD_Daemon *d;
	/* The thread that runs d (server.c), woken to stop by wake[1]. */
	pthread_t	   thr;
	int		   running;
	int		   wake[2];
	double		   request_timeout;
	struct api_conn	  *pend_head, *pend_tail;
	/* libmicrohttpd's last message, when, and its repeats since. */
	char		   log_last[256];
	double		   log_at;
	long		   log_again;
	struct outbox	  *ob;
	struct live	  *live;
	char		  *config; /* the broadcast routes load it */
	char		  *token;  /* never NULL once started */
	char		  *dlr_token;
	int64_t		   offset;
	int64_t		   unhealthy_after; /* s: /healthz says 503 */
	/* The outbox's counts, made anew when another connection wrote to
	 * it and the last ones are a second old (api_counts()). */
	int		   have;
	int64_t		   version;
	double		   counted_at;
	int64_t		   cnt[JS__N][JK__N][CH__N];
	int64_t		   oldest;
};

/* One request's state, freed when it completes (server.c). */
struct req {
	struct buf	  body;
	int		  too_big;
	size_t		  seen; /* body bytes read, kept or not */
	struct live_snap *snap; /* the feed served comes from it */
	/* The {id} of the route matched (router.c), NUL-terminated and
	 * never empty; NULL for a route without one. */
	char		 *id;
};

/* router.c */
enum MHD_Result api_route(struct api *, struct MHD_Connection *, struct req *,
    const char *url, const char *method);

/* reply.c: each queues its answer and returns MHD_YES or MHD_NO. */
enum MHD_Result api_reply(struct MHD_Connection *, unsigned int status,
    const char *type, char *body, size_t len);
enum MHD_Result
api_reply_json(struct MHD_Connection *, unsigned int status, json_t *);
enum MHD_Result api_error(struct MHD_Connection *, unsigned int status,
    const char *fmt, ...) LOA_PRINTF(3, 4);
/* An error with one more header (name: value), e.g. 405's Allow. */
enum MHD_Result api_error_hdr(struct MHD_Connection *, unsigned int status,
    const char *name, const char *value, const char *fmt, ...) LOA_PRINTF(5, 6);
int64_t		api_now(const struct api *);
int		api_id_ok(const char *, int slash);
int		api_ref_ok(const char *);
json_t	       *api_json_time(const struct tz *, int64_t);
int		api_q_known(struct MHD_Connection *, const char *const *names,
		const char **bad);
const char     *api_q_get(struct MHD_Connection *, const char *name);
int		api_body_object(struct MHD_Connection *, const struct req *,
		const char *const *names, json_t **out, enum MHD_Result *rc);
const char     *api_member(json_t *, const char *name);
int api_body_time(struct MHD_Connection *, json_t *, const char *name,
    const struct tz *, int64_t *t, enum MHD_Result *rc);

/* health.c */
int api_counts(struct api *, int64_t now);
int api_gw_failing(const struct api *, const struct live_gw *, int64_t now);

/*
 * The loudspeaker's queue (deliver/bqueue.h), as `loa broadcast` has it:
 * each request loads the config on this thread, reads the queue from the
 * outbox, and calls the one function the CLI calls; a change tells the
 * engine to plan again (as SIGHUP does). broadcasts.c.
 */
struct bqreq {
	struct world	w;
	int		loaded;
	struct bq_state st;
	int64_t		now;
};

int  api_bq_load(struct api *, struct MHD_Connection *, struct bqreq *,
     enum MHD_Result *rc);
void api_bq_done(struct bqreq *);
enum MHD_Result api_bq_error(struct MHD_Connection *, int rc, const char *what,
    const char *err);

/*
 * The handlers of the route table (router.c), by file: each queues its
 * answer; r->id is the route's {id}, or NULL when its path has none.
 */
/* health.c */
enum MHD_Result
api_healthz(struct api *, struct MHD_Connection *, struct req *);
/* metrics.c */
enum MHD_Result
api_metrics(struct api *, struct MHD_Connection *, struct req *);
/* feeds.c */
enum MHD_Result
api_calendar(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result api_agency(struct api *, struct MHD_Connection *, struct req *);
/* jobs.c */
enum MHD_Result api_outbox(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result api_job(struct api *, struct MHD_Connection *, struct req *);
/* tasks.c */
enum MHD_Result
api_task_done(struct api *, struct MHD_Connection *, struct req *);
/* dlr.c */
enum MHD_Result api_dlr(struct api *, struct MHD_Connection *, struct req *);
/* broadcasts.c */
enum MHD_Result api_bq_add(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result
api_bq_rundown(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result
api_bq_aired(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result
api_bq_cancel(struct api *, struct MHD_Connection *, struct req *);
/* airings.c */
enum MHD_Result
api_bq_next(struct api *, struct MHD_Connection *, struct req *);
enum MHD_Result
api_bq_audio(struct api *, struct MHD_Connection *, struct req *);

#endif
