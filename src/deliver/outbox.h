/*
 * outbox.h: the durable outbox (conf/REFERENCE.md §6), in SQLite with WAL. It
 * is the only owner of job state: every change is committed (and fsynced:
 * synchronous=FULL) before the caller acts on it.
 *
 * Every function returns 0 on success or -1 with a message in the
 * outbox's error buffer (outbox_error); none of them aborts.
 */
#ifndef LOA_OUTBOX_H
#define LOA_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "loa.h"

#define OUTBOX_SCHEMA 7
/* PRAGMA application_id of a loa outbox: "LOA1" in ASCII, 0x4C4F4131. */
#define OUTBOX_APP_ID 1280262449

struct outbox;

/*
 * A job as stored. Strings are owned by the row (ob_job_clear frees);
 * kind, channel and state are read back through the one names table, and
 * a name it does not know is an error of the read, never a default.
 */
struct ob_job {
	char	       id[17];
	char	      *plan;
	enum job_kind  kind;
	char	      *object;
	int	       ordinal;
	char	      *recipient;
	char	      *name;
	enum channel   channel;
	char	      *address;
	int64_t	       due;
	int64_t	       refers; /* TIMEX_NONE: none */
	int64_t	       next_at;
	int64_t	       first_at; /* TIMEX_NONE: never tried */
	int64_t	       sent_at;	 /* TIMEX_NONE: not sent */
	enum job_state state;
	char	      *reason;
	int	       attempts;
	int	       seq;	/* iTIP SEQUENCE of an update/cancel */
	char	      *payload; /* update: what changed */
	char	      *last_error;
	int	       sms_parts;
	int	       sms_encoding; /* enum sms_encoding; SMS only */
	char	      *slot;	     /* broadcast: its air slot, or NULL */
	enum priority  priority;     /* broadcast */
	int	       duration;     /* broadcast: seconds */
	int64_t	       rowid;	     /* claims: the row, for its updates */
};

void ob_job_clear(struct ob_job *);

/*
 * Open (creating, migrating) the outbox at path; its folder is created.
 * Returns NULL with a message in err.
 */
struct outbox *outbox_open(const char *path, char *err, size_t errlen);
void	       outbox_close(struct outbox *);
const char    *outbox_error(const struct outbox *);
/*
 * Take the store's single-instance lock: flock(LOCK_EX|LOCK_NB) on
 * PATH.lock (created 0600, the holder's pid written in it), held until the
 * process exits. Every command that sends or resets jobs (run, simulate)
 * takes it before it touches the outbox; the read-only ones do not need
 * it. Returns the descriptor, or -1 with a message naming the lock file
 * (and the pid holding it) in err.
 */
int	       outbox_lock(const char *path, char *err, size_t errlen);

int  outbox_begin(struct outbox *);
int  outbox_commit(struct outbox *);
void outbox_rollback(struct outbox *);

/*
 * Reconciliation primitives, used inside one transaction. seen_reset
 * starts one: it reads every stored job (id, state, time, address) in one
 * pass. upsert: a job the plan derives now, marked seen. An unsent one
 * (held, pending, failed) takes the new time, address and state; a
 * finished one is left; a new one is kept to be inserted by upsert_flush
 * (in id order), which must follow the last upsert; it gives way (-1)
 * when stop, looked at every 2,000 jobs, says so. *changed tells
 * whether the row was added (1) or moved (2).
 */
int outbox_seen_reset(struct outbox *);
int outbox_upsert(struct outbox *, const struct job *, int *changed);
int outbox_upsert_flush(struct outbox *, int (*stop)(void));
/* Insert a job made by reconciliation (update, cancel) if new. */
int outbox_insert(struct outbox *, const struct ob_job *);
/* Cancel the unsent jobs that no upsert since seen_reset saw. */
int outbox_cancel_unseen(struct outbox *, int64_t now, int *n);

/* Jobs in state `sending` after a crash go back to pending. */
int outbox_requeue_sending(struct outbox *, int *n);

/*
 * Claim up to max jobs due at now (pending or failed, next_at <= now) of
 * the channel ch (CH__N for any): they become `sending`, committed before
 * this returns. *v is allocated.
 */
int outbox_claim(struct outbox *, int64_t now, enum channel ch, int max,
    struct ob_job **v, size_t *n);
/*
 * The same inside a transaction the caller holds (committed before
 * anything is sent): at most room[ch] jobs of each channel, max in all,
 * appended to *v (*n used of *cap) in the outbox's order.
 */
int outbox_claim_in(struct outbox *, int64_t now, const int room[CH__N],
    int max, struct ob_job **v, size_t *n, size_t *cap);
/* The outcome of a claimed job, inside a transaction the caller holds. */
int outbox_sent(struct outbox *, const char *id, int64_t rowid, int64_t now,
    const char *answer);
int outbox_retry(struct outbox *, const char *id, int64_t now, int64_t next_at,
    const char *answer);
int outbox_finish(struct outbox *, const char *id, int64_t now,
    enum job_state state, const char *reason);
/* Give a claimed job back, untried (shutdown, quiet hours). */
int outbox_release(struct outbox *, const char *id, int64_t next_at);

/* The earliest next_at of a job that can be sent, or TIMEX_NONE. */
int outbox_next(struct outbox *, int64_t *at);
/* The same for each channel. */
int outbox_next_by_channel(struct outbox *, int64_t at[CH__N]);

/* Unsent jobs whose moment has passed become expired (conf/REFERENCE.md §6),
 * *n of them, each counted in t unless it is NULL. */
struct late_tally;
int outbox_expire(struct outbox *, int64_t now, int *n, struct late_tally *t);

/* Rows for `loa outbox`, in due order; state JS__N for all. */
int outbox_list(struct outbox *, enum job_state state, struct ob_job **v,
    size_t *n);
/* One job: 0 with *found 1, 0 with *found 0 (no such job), or -1. */
int outbox_get(struct outbox *, const char *id, struct ob_job *, int *found);

/* Event sequence and what was sent (for updates and cancellations). */
struct ob_event {
	char *event; /* its id (outbox_events) */
	int   seq;
	char *fingerprint;
	char *summary;	 /* human words of the state sent */
	char *organizer; /* the organizer's id, or NULL */
};
int outbox_event_get(struct outbox *, const char *plan, const char *event,
    struct ob_event *, int *found);
int
outbox_event_put(struct outbox *, const char *plan, const char *event, int seq,
    const char *fingerprint, const char *summary, const char *organizer);
/* Every event of plan whose invitation went out. */
int
outbox_events(struct outbox *, const char *plan, struct ob_event **, size_t *n);
void ob_event_clear(struct ob_event *);
/*
 * Attendees an event's invitation reached, with the address each channel
 * used (NULL where that channel was not used): add one, or list them.
 */
struct ob_attendee {
	char *id;
	char *name;
	char *email;
	char *phone;
};

int  outbox_attendee_put(struct outbox *, const char *plan, const char *event,
     const char *recipient, const char *name, const char *email,
     const char *phone);
int  outbox_attendees(struct outbox *, const char *plan, const char *event,
     struct ob_attendee **, size_t *n);
void ob_attendees_free(struct ob_attendee *, size_t n);
/* Cancel a recipient's unsent updates and cancellations of an event older
 * than seq on one channel: a newer message says it all. */
int  outbox_supersede(struct outbox *, const char *plan, const char *event,
     const char *recipient, enum channel, int seq, int64_t now);
int  outbox_attendee_drop(struct outbox *, const char *plan, const char *event,
     const char *recipient);

/*
 * What an emergency item's CAP alerts said and which were sent: the
 * sequence of its last Update or Cancel (0: the first alert), a
 * fingerprint of its content as last announced, and the CAP
 * <references> of every alert sent for it ("sender,identifier,sent",
 * space-separated, in the order sent).
 */
struct ob_alert {
	char *item;
	int   seq;
	char *fingerprint;
	char *refs;
};
int outbox_alert_get(struct outbox *, const char *plan, const char *item,
    struct ob_alert *, int *found);
int outbox_alert_put(struct outbox *, const char *plan, const char *item,
    int seq, const char *fingerprint, const char *refs);
/* Every alert of plan, by item. */
int
outbox_alerts(struct outbox *, const char *plan, struct ob_alert **, size_t *n);
void ob_alert_clear(struct ob_alert *);
/* Cancel an item's unsent CAP Updates and Cancels older than seq. */
int  outbox_alert_supersede(struct outbox *, const char *plan, const char *item,
     int seq, int64_t now);

/* Tasks marked done. */
int outbox_task_done(struct outbox *, const char *plan, const char *task,
    int64_t now, int *cancelled);
int outbox_task_is_done(struct outbox *, const char *plan, const char *task,
    int *done);

/*
 * The loudspeaker's queue (deliver/bqueue.h). Ad-hoc items: add one (its
 * new id, "tin-N", into *id for the caller to free), or list them all in
 * the order they were added.
 */
struct ob_adhoc {
	char	     *id;
	char	     *title;
	char	     *text;
	enum priority priority;
	int64_t	      air;
	int64_t	      expires; /* TIMEX_NONE: none */
	int64_t	      created;
};

int  outbox_adhoc_add(struct outbox *, const char *title, const char *text,
     enum priority, int64_t air, int64_t expires, int64_t now, char **id);
int  outbox_adhoc_list(struct outbox *, struct ob_adhoc **, size_t *n);
void ob_adhoc_free(struct ob_adhoc *, size_t n);
/* Cancel item of plan, for good: its unsent airings (*jobs of them)
 * cancelled, and the item recorded so that it no longer expands. */
struct ob_bcancel {
	char   *plan;
	char   *item;
	int64_t at;
};

int  outbox_bcancel(struct outbox *, const char *plan, const char *item,
     int64_t now, int *jobs);
int  outbox_bcancelled(struct outbox *, struct ob_bcancel **, size_t *n);
void ob_bcancel_free(struct ob_bcancel *, size_t n);
/* Every airing (broadcast job on the broadcast channel), in due order,
 * with the time it was recorded aired. */
struct ob_airing {
	struct ob_job job;
	int64_t	      aired_at; /* TIMEX_NONE: not recorded */
};

int  outbox_airings(struct outbox *, struct ob_airing **, size_t *n);
void ob_airings_free(struct ob_airing *, size_t n);
/* Record airing id aired at at (state delivered, an attempt "aired"),
 * when it is sent, pending or failed: *changed 1, else 0. */
int  outbox_aired(struct outbox *, const char *id, int64_t at, int *changed);
/*
 * The HTTP API's (api/api.c). A page of jobs in id order after after (""
 * or NULL: from the first), at most limit, matching every filter given
 * (JS__N, JK__N, CH__N, NULL: any).
 */
struct ob_filter {
	enum job_state state;
	enum job_kind  kind;
	enum channel   channel;
	const char    *recipient;
	const char    *object;
};
int outbox_page(struct outbox *, const struct ob_filter *, const char *after,
    int limit, struct ob_job **v, size_t *n);
/* A job's attempts, oldest first. */
struct ob_attempt {
	int64_t at;
	char   *outcome; /* sent, tempfail, permfail, delivered, ... */
	char   *answer;
};
int  outbox_attempts(struct outbox *, const char *id, struct ob_attempt **v,
     size_t *n);
void ob_attempts_free(struct ob_attempt *, size_t n);
/* How many jobs there are of each state, kind and channel. */
int  outbox_counts(struct outbox *, int64_t c[JS__N][JK__N][CH__N]);
/* The next_at of the job waiting longest to be sent (due by now), or
 * TIMEX_NONE. */
int  outbox_oldest_due(struct outbox *, int64_t now, int64_t *at);
/* A number that changes when another connection commits to the outbox
 * (PRAGMA data_version): what the API caches is stale. */
int  outbox_data_version(struct outbox *, int64_t *v);
/*
 * A delivery report (Kannel's status: 1 delivered, 2 undelivered, 4
 * queued, 8 accepted by the SMSC, 16 rejected by it) for job id, kept in
 * its attempts with report; 1 makes a sent job delivered, 2 and 16 keep
 * it sent with the report as its last error. A job still `sending` (the
 * report came first) takes it too: outbox_sent makes it delivered. *found
 * is 0 when no job that went out has that id (nothing changed). Its own
 * transaction.
 */
int  outbox_dlr(struct outbox *, const char *id, int status, const char *report,
     int64_t now, int *found);

#endif
