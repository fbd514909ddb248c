/*
 * outbox_read.c: what the CLI and the HTTP API read of the outbox
 * (`loa outbox`, api/): jobs listed, one job, a page of jobs, a job's
 * attempts, the counts, the oldest due job, the data version; and the
 * API's one write, a delivery report.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"

int
outbox_list(struct outbox *ob, enum job_state state, struct ob_job **v,
    size_t *n)
{
	void *p;
	int   rc;

	assert(state <= JS__N);
	rc = ob_collect(ob, "listing jobs", &ob_job_rows, &p, n,
	    "SELECT " JOB_COLS " FROM jobs WHERE "
	    "?1 IS NULL OR state = ?1 ORDER BY due, plan, kind, object, "
	    "ordinal, recipient, channel",
	    "s", state < JS__N ? job_state_names[state] : NULL);
	*v = p;
	return rc;
}

int
outbox_get(struct outbox *ob, const char *id, struct ob_job *j, int *found)
{
	assert(id != NULL);
	return ob_one(ob, "reading a job", &ob_job_rows, j, found,
	    "SELECT " JOB_COLS " FROM jobs WHERE id = ?1", "s", id);
}

int
outbox_page(struct outbox *ob, const struct ob_filter *f, const char *after,
    int limit, struct ob_job **v, size_t *n)
{
	void *p;
	int   rc;

	/* A page holds at least one job (api/ checks the limit asked). */
	assert(f != NULL && limit > 0);
	rc = ob_collect(ob, "listing jobs", &ob_job_rows, &p, n,
	    "SELECT " JOB_COLS " FROM jobs WHERE id > ?1 AND "
	    "(?2 IS NULL OR state = ?2) AND (?3 IS NULL OR kind = ?3) AND "
	    "(?4 IS NULL OR channel = ?4) AND "
	    "(?5 IS NULL OR recipient = ?5) AND "
	    "(?6 IS NULL OR object = ?6) ORDER BY id LIMIT ?7",
	    "ssssssi", after != NULL ? after : "",
	    f->state < JS__N ? job_state_names[f->state] : NULL,
	    f->kind < JK__N ? job_kind_names[f->kind] : NULL,
	    f->channel < CH__N ? channel_names[f->channel] : NULL, f->recipient,
	    f->object, limit);
	*v = p;
	/* LIMIT ?7 held. */
	assert(rc == -1 || *n <= (size_t)limit);
	return rc;
}

/* An attempt's row. */
#define ATTEMPT_COLUMNS(C) \
	C(TRY_AT, "at") \
	C(TRY_OUTCOME, ", outcome") \
	C(TRY_ANSWER, ", answer")
enum attempt_col {
	ATTEMPT_COLUMNS(OB_COL_ENUM)
};

static int
attempt_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_attempt *a = dst;

	(void)ob;
	a->at = sqlite3_column_int64(st, TRY_AT);
	a->outcome = col_text(st, TRY_OUTCOME);
	a->answer = col_text(st, TRY_ANSWER);
	return 0;
}

static void
attempt_clear(void *p)
{
	struct ob_attempt *a = p;

	free(a->outcome);
	free(a->answer);
}

static const struct ob_rowtype attempt_rows = { sizeof(struct ob_attempt),
	attempt_read, attempt_clear };

void
ob_attempts_free(struct ob_attempt *v, size_t n)
{
	ob_vec_free(&attempt_rows, v, n);
}

int
outbox_attempts(struct outbox *ob, const char *id, struct ob_attempt **v,
    size_t *n)
{
	void *p;
	int   rc;

	assert(id != NULL);
	rc = ob_collect(ob, "reading attempts", &attempt_rows, &p, n,
	    "SELECT " ATTEMPT_COLUMNS(OB_COL_SQL) " FROM attempts WHERE "
						  "job = ?1 ORDER BY rowid",
	    "s", id);
	*v = p;
	return rc;
}

/* A count's row. */
#define COUNT_COLUMNS(C) \
	C(CN_STATE, "state") \
	C(CN_KIND, ", kind") \
	C(CN_CHANNEL, ", channel") \
	C(CN_COUNT, ", count(*)")
enum count_col {
	COUNT_COLUMNS(OB_COL_ENUM)
};

static int
count_row(struct outbox *ob, sqlite3_stmt *st, void *arg)
{
	int64_t(*c)[JK__N][CH__N] = arg;
	enum job_state s;
	enum job_kind  k;
	enum channel   ch;

	if (job_state_from_name(col_name(st, CN_STATE), &s) == -1 ||
	    job_kind_from_name(col_name(st, CN_KIND), &k) == -1 ||
	    channel_from_name(col_name(st, CN_CHANNEL), &ch) == -1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: a job of unknown state, kind or channel "
		    "(%s, %s, %s)",
		    col_name(st, CN_STATE), col_name(st, CN_KIND),
		    col_name(st, CN_CHANNEL));
		return -1;
	}
	c[s][k][ch] += sqlite3_column_int64(st, CN_COUNT);
	return 0;
}

int
outbox_counts(struct outbox *ob, int64_t c[JS__N][JK__N][CH__N])
{
	memset(c, 0, sizeof(int64_t) * JS__N * JK__N * CH__N);
	return ob_each(ob, "counting jobs", count_row, c,
	    "SELECT " COUNT_COLUMNS(OB_COL_SQL) " FROM jobs "
						"GROUP BY state, kind, channel",
	    "");
}

/* An aggregate's one value, a time (NULL: TIMEX_NONE). */
enum value_col {
	VALUE
};

static int
time_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	(void)ob;
	*(int64_t *)dst = col_time(st, VALUE);
	return 0;
}

static const struct ob_rowtype time_rows = { sizeof(int64_t), time_read, NULL };

int
outbox_oldest_due(struct outbox *ob, int64_t now, int64_t *at)
{
	int found;

	if (ob_one(ob, "the oldest due job", &time_rows, at, &found,
		"SELECT min(next_at) FROM jobs WHERE state IN " SQL_READY
		" AND next_at <= ?1",
		"I", now) == -1) {
		*at = TIMEX_NONE;
		return -1;
	}
	/* An aggregate without GROUP BY: always one row. */
	assert(found);
	return 0;
}

int
outbox_data_version(struct outbox *ob, int64_t *v)
{
	int found;

	if (ob_one(ob, "data_version", &time_rows, v, &found,
		"PRAGMA data_version", "") == -1)
		return -1;
	/* The pragma's one row. */
	assert(found);
	return 0;
}

/* The outcome a delivery report's status (Kannel's) is kept as. */
static const char *
dlr_outcome(int status)
{
	switch (status) {
	case 1:
		return "delivered";
	case 2:
	case 16:
		return "undelivered";
	case 4:
		return "queued";
	case 8:
		return "accepted";
	default:
		return "report";
	}
}

int
outbox_dlr(struct outbox *ob, const char *id, int status, const char *report,
    int64_t now, int *found)
{
	int n = 0;

	assert(ob != NULL && id != NULL && found != NULL);
	*found = 0;
	if (outbox_begin(ob) == -1)
		return -1;
	/* Only an SMS that went out takes a report (the API refuses one of
	 * another channel first; this holds whoever calls); one still
	 * `sending` (the report came before the gateway's answer was
	 * recorded) is made delivered by outbox_sent. */
	if (ob_write(ob, "noting a delivery report", &n,
		"INSERT INTO attempts (job, at, outcome, answer) SELECT id, "
		"?2, ?3, ?4 FROM jobs WHERE id = ?1 AND channel = 'sms' AND "
		"state IN ('sending', 'sent', 'delivered')",
		"sIsp", id, now, dlr_outcome(status), report) == -1 ||
	    (n > 0 && status == 1 &&
		ob_write(ob, "marking a job delivered", NULL,
		    "UPDATE jobs SET state = 'delivered', updated = ?2 WHERE "
		    "id = ?1 AND state = 'sent'",
		    "sI", id, now) == -1) ||
	    (n > 0 && (status == 2 || status == 16) &&
		ob_write(ob, "noting an undelivered message", NULL,
		    "UPDATE jobs SET last_error = ?2 WHERE id = ?1", "sp", id,
		    report) == -1)) {
		outbox_rollback(ob);
		return -1;
	}
	if (outbox_commit(ob) == -1)
		return -1;
	*found = n > 0;
	return 0;
}
