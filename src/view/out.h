/*
 * out.h: the one JSON writer of jobs (conf/REFERENCE.md §7). `timeline --json`,
 * `outbox --json` and the HTTP API describe a job the same way: a struct
 * out_job filled from a planned job (struct job) or an outbox row (struct
 * ob_job), written by out_json_job.
 *
 * The members, in this order: id, plan, kind, object, recipient, channel,
 * address, due, state, reason (always); sms_parts, sms_encoding (an SMS
 * job with its parts counted); slot, priority, duration_s (a broadcast);
 * attempts, sent_at, last_error (an outbox row).
 */
#ifndef LOA_OUT_H
#define LOA_OUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "deliver/outbox.h"
#include "loa.h"
#include "util/timex.h"

/*
 * A job as JSON shows it. The strings are borrowed from what it was
 * filled from, and live as long as that; NULL strings are written null.
 */
struct out_job {
	const char	*id;
	const char	*plan;
	enum job_kind	 kind;
	const char	*object;
	const char	*recipient;
	enum channel	 channel;
	const char	*address;
	int64_t		 due;
	const struct tz *tz; /* the zone due and sent_at are in */
	enum job_state	 state;
	const char	*reason;
	int		 sms_parts;    /* 0: not counted, no SMS members */
	int		 sms_encoding; /* enum sms_encoding */
	const char	*slot;
	enum priority	 priority;
	int		 duration_s;
	int		 outbox; /* 1: the outbox members follow */
	int		 attempts;
	int64_t		 sent_at; /* TIMEX_NONE: null */
	const char	*last_error;
	const char	*payload; /* a broadcast's CAP Update/Cancel */
};

/* Fill *o from a planned job; due is in its plan's zone. */
void out_job_from_job(struct out_job *o, const struct job *j);

/*
 * Fill *o from an outbox row, with the outbox members; due and sent_at
 * are in zone z (the plan's, or the service's for a plan gone).
 */
void
out_job_from_ob(struct out_job *o, const struct ob_job *j, const struct tz *z);

/*
 * A JSON array of jobs written to a stream, an object a line: "[", then
 * each object on a line of its own after "\n" or ",\n", then "\n]\n" ("]\n"
 * when empty). Strings are encoded by jansson once each and the lines
 * assembled from them, so a large timeline is quick to write.
 */
struct out_json;

/* Start an array on f. Never NULL. */
struct out_json *out_json_begin(FILE *f);
/* Add one job to the array. */
void		 out_json_job(struct out_json *, const struct out_job *);
/*
 * Close the array and free the writer. Returns 0, or -1 when writing to
 * the stream failed (errno is the stream's).
 */
int		 out_json_end(struct out_json *);

/*
 * The same object as out_json_job writes, as a jansson value with its
 * members in order; the caller owns the reference.
 */
json_t *out_job_json(const struct out_job *);

/*
 * s as a JSON string, null for NULL; bytes that are not UTF-8 (kept by an
 * older loa) as U+FFFD: never a field lost. Can't fail.
 */
json_t *out_str(const char *s);

/*
 * The loudspeaker's queue as `loa broadcast list|rundown --json` and the
 * HTTP API show it (deliver/bqueue.h), times in zone z: one airing; one
 * item with its airings (a member of list's array); a day's running
 * order ({"date", "slots", "emergencies", "unplaced"}). The caller owns
 * the reference. Written with out_json_text, the bytes are the same
 * wherever they are printed.
 */
struct bq_entry;
struct bq_item;
struct bq_rundown;
json_t *out_bq_entry(const struct tz *z, const struct bq_entry *);
json_t *out_bq_item(const struct tz *z, const struct bq_item *);
json_t *out_bq_rundown(const struct tz *z, const struct bq_rundown *);

/* v (a reference taken) as the CLI's --json prints it: indented by 2,
 * with a newline after. Caller frees. */
char *out_json_text(json_t *v);

#endif
