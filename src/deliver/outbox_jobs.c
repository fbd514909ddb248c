/*
 * outbox_jobs.c: the send path's side of the outbox (deliver/sched.c):
 * claiming due jobs, recording how each send landed (sent, retried,
 * finished, released), the next due time, lateness, and the jobs a crash
 * left `sending`. Its statements are cached for the service's life.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"
#include "deliver/policy.h"
#include "util/mem.h"

int
outbox_requeue_sending(struct outbox *ob, int *n)
{
	assert(ob != NULL && n != NULL);
	if (ob_exec(ob,
		"UPDATE jobs SET state = 'pending' WHERE state = "
		"'sending'") == -1)
		return -1;
	*n = sqlite3_changes(ob->db);
	return 0;
}

/* The claim's SELECT: a job's columns, then its row. */
enum claim_col {
	CLAIM_ROWID = JC__N
};

/*
 * The claim of one channel's due jobs, the urgent ones (level 0) or the
 * rest (1), in next_at order: one statement a channel and level, each
 * walking its part of its index (jobs_urgent, jobs_ready).
 */
static int
claim_open(struct outbox *ob, int level, int ch, int64_t now, const char *state,
    int max)
{
	sqlite3_stmt *st;

	assert(level == 0 || level == 1);
	if (ob_prepare(ob, &ob->claim_sel[level][ch],
		level == 0 ? "SELECT " JOB_COLS ", rowid FROM jobs WHERE "
			     "urgent = 1 AND state = ?4 AND channel = ?2 AND "
			     "next_at <= ?1 ORDER BY next_at, id LIMIT ?3" :
			     "SELECT " JOB_COLS ", rowid FROM jobs WHERE "
			     "state = ?4 AND channel = ?2 AND next_at <= ?1 "
			     "AND urgent = 0 ORDER BY next_at, id LIMIT "
			     "?3") == -1)
		return -1;
	st = ob->claim_sel[level][ch];
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, channel_names[ch]);
	sqlite3_bind_int(st, 3, max);
	bind_text(st, 4, state);
	return 0;
}

/* Whether the row a holds comes before b's: by next_at, then id. */
static int
row_before(sqlite3_stmt *a, sqlite3_stmt *b)
{
	int64_t ta = sqlite3_column_int64(a, JC_NEXT_AT),
		tb = sqlite3_column_int64(b, JC_NEXT_AT);

	if (ta != tb)
		return ta < tb;
	return strcmp((const char *)sqlite3_column_text(a, JC_ID),
		   (const char *)sqlite3_column_text(b, JC_ID)) < 0;
}

/*
 * One round of a claim: the due jobs of level lv in state, each channel's
 * rows merged by (next_at, id), at most left[ch] of a channel and max in
 * all, appended to *v. On 0 the statements are reset; on -1 the caller
 * resets them and clears the jobs this round appended to *v.
 */
static int
claim_round(struct outbox *ob, int lv, const char *state, int64_t now,
    int left[CH__N], int max, struct ob_job **v, size_t *n, size_t *cap)
{
	sqlite3_stmt *const *sel = ob->claim_sel[lv];
	int		     rc[CH__N], ch, best, got = 0, ret = 0;
	struct ob_job	    *j;

	for (ch = 0; ch < CH__N; ch++) {
		rc[ch] = SQLITE_DONE;
		if (left[ch] <= 0)
			continue;
		if (claim_open(ob, lv, ch, now, state, left[ch]) == -1)
			return -1;
		rc[ch] = sqlite3_step(sel[ch]);
	}
	while (got < max) {
		best = -1;
		for (ch = 0; ch < CH__N; ch++)
			if (rc[ch] == SQLITE_ROW &&
			    (best == -1 || row_before(sel[ch], sel[best])))
				best = ch;
		if (best == -1)
			break;
		xgrow(v, cap, *n + 1, sizeof(**v));
		j = &(*v)[(*n)++];
		if (ob_row(ob, sel[best], j) == -1)
			return -1;
		/* What the SELECT asked for, and a row of the table. */
		assert((j->state == JS_PENDING || j->state == JS_FAILED) &&
		    (int)j->channel == best && left[best] > 0);
		j->rowid = sqlite3_column_int64(sel[best], CLAIM_ROWID);
		assert(j->rowid > 0);
		j->attempts++;
		if (j->first_at == TIMEX_NONE)
			j->first_at = now;
		got++;
		left[best]--;
		rc[best] = sqlite3_step(sel[best]);
	}
	for (ch = 0; ch < CH__N; ch++) {
		if (rc[ch] != SQLITE_DONE && rc[ch] != SQLITE_ROW && ret == 0)
			ret = ob_fail(ob, "outbox: claiming jobs");
		if (sel[ch] != NULL)
			sqlite3_reset(sel[ch]);
	}
	return ret;
}

int
outbox_claim_in(struct outbox *ob, int64_t now, const int room[CH__N], int max,
    struct ob_job **v, size_t *n, size_t *cap)
{
	static const char *const states[] = { "pending", "failed" };
	int			 ch, k, lv, left[CH__N];
	size_t			 n0 = *n;

	assert(ob != NULL && max >= 0 && *n <= *cap);
	if (ob_prepare(ob, &ob->claim_up,
		"UPDATE jobs SET state = 'sending', "
		"attempts = attempts + 1, first_at = coalesce(first_at, ?2), "
		"updated = ?2 WHERE rowid = ?1") == -1)
		return -1;
	for (ch = 0; ch < CH__N; ch++)
		left[ch] = room[ch];
	/*
	 * The urgent jobs (an emergency's) first, then the rest; in each,
	 * one state at a time, and within it the channels' rows merged by
	 * (next_at, id): the order of the outbox, whichever channels have
	 * room.
	 */
	for (k = 0; k < 4 && (int)(*n - n0) < max; k++) {
		lv = k / 2;
		if (claim_round(ob, lv, states[k % 2], now, left,
			max - (int)(*n - n0), v, n, cap) == -1)
			goto fail;
	}
	for (size_t i = n0; i < *n; i++) {
		sqlite3_bind_int64(ob->claim_up, 1, (*v)[i].rowid);
		sqlite3_bind_int64(ob->claim_up, 2, now);
		if (ob_step_done(ob, ob->claim_up, "claiming a job") == -1)
			goto fail;
	}
	return 0;
fail:
	for (lv = 0; lv < 2; lv++)
		for (ch = 0; ch < CH__N; ch++)
			if (ob->claim_sel[lv][ch] != NULL)
				sqlite3_reset(ob->claim_sel[lv][ch]);
	while (*n > n0)
		ob_job_clear(&(*v)[--*n]);
	return -1;
}

int
outbox_claim(struct outbox *ob, int64_t now, enum channel ch, int max,
    struct ob_job **v, size_t *n)
{
	int    room[CH__N], c;
	size_t cap = 0;

	assert(ch <= CH__N);
	*v = NULL;
	*n = 0;
	for (c = 0; c < CH__N; c++)
		room[c] = ch == CH__N || c == (int)ch ? max : 0;
	if (outbox_begin(ob) == -1)
		return -1;
	if (outbox_claim_in(ob, now, room, max, v, n, &cap) == -1)
		goto fail;
	/* Committed (and synced) before anything is sent. */
	if (outbox_commit(ob) == -1)
		goto fail;
	return 0;
fail:
	outbox_rollback(ob);
	for (size_t i = 0; i < *n; i++)
		ob_job_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

int
ob_attempt(struct outbox *ob, const char *id, int64_t now, const char *outcome,
    const char *answer)
{
	assert(id != NULL && outcome != NULL);
	if (ob_prepare(ob, &ob->attempt,
		"INSERT INTO attempts (job, at, "
		"outcome, answer) VALUES (?1, ?2, ?3, ?4)") == -1)
		return -1;
	bind_text(ob->attempt, 1, id);
	sqlite3_bind_int64(ob->attempt, 2, now);
	bind_text(ob->attempt, 3, outcome);
	bind_peer(ob->attempt, 4, answer);
	return ob_step_done(ob, ob->attempt, "recording an attempt");
}

int
outbox_sent(struct outbox *ob, const char *id, int64_t rowid, int64_t now,
    const char *answer)
{
	/* The row a claim named (outbox_claim_in reads it). */
	assert(ob != NULL && id != NULL && rowid > 0);
	/* By the claim's rowid: the table itself, not the id's index. */
	if (ob_prepare(ob, &ob->sent,
		/* A delivery report may come (api/) before the send is
		 * recorded: then the job is delivered already. */
		"UPDATE jobs SET state = CASE WHEN EXISTS (SELECT 1 FROM "
		"attempts WHERE job = ?4 AND outcome = 'delivered') THEN "
		"'delivered' ELSE 'sent' END, sent_at = ?2, "
		/* A text cut to fit max_parts says so (gw_msg.note). */
		"reason = CASE WHEN ?3 LIKE 'cut to % part% (was %)%' "
		"THEN substr(?3, 1, instr(?3, ')')) END, "
		"updated = ?2 WHERE rowid = ?1 AND id = ?4") == -1)
		return -1;
	sqlite3_bind_int64(ob->sent, 1, rowid);
	bind_text(ob->sent, 4, id);
	sqlite3_bind_int64(ob->sent, 2, now);
	bind_peer(ob->sent, 3, answer);
	if (ob_step_done(ob, ob->sent, "recording a send") == -1)
		return -1;
	if (sqlite3_changes(ob->db) != 1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: job %s is not the row its claim named", id);
		return -1;
	}
	return ob_attempt(ob, id, now, "sent", answer);
}

int
outbox_retry(struct outbox *ob, const char *id, int64_t now, int64_t next_at,
    const char *answer)
{
	/* A retry is never due before the failure it follows. */
	assert(id != NULL && next_at >= now);
	if (ob_prepare(ob, &ob->retry,
		"UPDATE jobs SET state = 'failed', "
		"next_at = ?2, last_error = ?3, updated = ?4 WHERE id = ?1") ==
	    -1)
		return -1;
	bind_text(ob->retry, 1, id);
	sqlite3_bind_int64(ob->retry, 2, next_at);
	bind_peer(ob->retry, 3, answer);
	sqlite3_bind_int64(ob->retry, 4, now);
	if (ob_step_done(ob, ob->retry, "recording a failure") == -1)
		return -1;
	return ob_attempt(ob, id, now, "tempfail", answer);
}

int
outbox_finish(struct outbox *ob, const char *id, int64_t now,
    enum job_state state, const char *reason)
{
	/* Only the ends a claimed job can come to without being sent. */
	assert(id != NULL &&
	    (state == JS_DEAD || state == JS_EXPIRED || state == JS_CANCELLED));
	if (ob_prepare(ob, &ob->finish,
		"UPDATE jobs SET state = ?2, "
		"reason = ?3, last_error = coalesce(?3, last_error), updated = "
		"?4 "
		"WHERE id = ?1") == -1)
		return -1;
	bind_text(ob->finish, 1, id);
	bind_text(ob->finish, 2, job_state_names[state]);
	bind_peer(ob->finish, 3, reason);
	sqlite3_bind_int64(ob->finish, 4, now);
	if (ob_step_done(ob, ob->finish, "finishing a job") == -1)
		return -1;
	return state == JS_DEAD ? ob_attempt(ob, id, now, "permfail", reason) :
				  0;
}

int
outbox_release(struct outbox *ob, const char *id, int64_t next_at)
{
	assert(ob != NULL && id != NULL);
	if (ob_prepare(ob, &ob->release,
		"UPDATE jobs SET state = "
		"'pending', attempts = max(attempts - 1, 0), next_at = ?2 "
		"WHERE "
		"id = ?1") == -1)
		return -1;
	bind_text(ob->release, 1, id);
	sqlite3_bind_int64(ob->release, 2, next_at);
	return ob_step_done(ob, ob->release, "releasing a job");
}

/* The next due time's SELECT: one aggregate. */
enum next_col {
	NEXT_MIN
};

int
outbox_next_by_channel(struct outbox *ob, int64_t at[CH__N])
{
	static const char *const states[] = { "pending", "failed" };
	int			 ch, k, rc;

	/* A min() on the index's prefix: one probe a state and channel. */
	for (ch = 0; ch < CH__N; ch++) {
		at[ch] = TIMEX_NONE;
		for (k = 0; k < 2; k++) {
			if (ob_prepare(ob, &ob->next,
				"SELECT min(next_at) FROM jobs "
				"WHERE state = ?1 AND channel = ?2") == -1)
				return -1;
			bind_text(ob->next, 1, states[k]);
			bind_text(ob->next, 2, channel_names[ch]);
			rc = sqlite3_step(ob->next);
			if (rc == SQLITE_ROW &&
			    sqlite3_column_type(ob->next, NEXT_MIN) !=
				SQLITE_NULL &&
			    (at[ch] == TIMEX_NONE ||
				sqlite3_column_int64(ob->next, NEXT_MIN) <
				    at[ch]))
				at[ch] = sqlite3_column_int64(ob->next,
				    NEXT_MIN);
			sqlite3_reset(ob->next);
			if (rc != SQLITE_ROW)
				return ob_fail(ob, "outbox: next due job");
		}
	}
	return 0;
}

int
outbox_next(struct outbox *ob, int64_t *at)
{
	int64_t v[CH__N];
	int	ch;

	*at = TIMEX_NONE;
	if (outbox_next_by_channel(ob, v) == -1)
		return -1;
	for (ch = 0; ch < CH__N; ch++)
		if (v[ch] != TIMEX_NONE && (*at == TIMEX_NONE || v[ch] < *at))
			*at = v[ch];
	return 0;
}

/* The jobs past their moment (outbox_expire's SELECT). */
#define EXPIRE_COLUMNS(C) \
	C(EXP_ID, "id") \
	C(EXP_KIND, ", kind") \
	C(EXP_REFERS, ", refers") \
	C(EXP_PLAN, ", plan") \
	C(EXP_OBJECT, ", object") \
	C(EXP_RECIPIENT, ", recipient") \
	C(EXP_CHANNEL, ", channel") \
	C(EXP_DUE, ", due")
enum expire_col {
	EXPIRE_COLUMNS(OB_COL_ENUM)
};

/* Expire job id with reason, and count it in t (unless NULL). */
static int
expire_one(struct outbox *ob, const char *id, const char *reason, int64_t now)
{
	bind_text(ob->expire_up, 1, id);
	bind_text(ob->expire_up, 2, reason);
	sqlite3_bind_int64(ob->expire_up, 3, now);
	return ob_step_done(ob, ob->expire_up, "expiring a job");
}

/* Expire the job of the row st holds (its kind, its reason). */
static int
expire_row(struct outbox *ob, sqlite3_stmt *st, int64_t now,
    struct late_tally *t)
{
	enum job_kind k;
	enum channel  ch;
	const char   *reason;

	if (job_kind_from_name(col_name(st, EXP_KIND), &k) == -1 ||
	    channel_from_name(col_name(st, EXP_CHANNEL), &ch) == -1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: job %s: unknown kind or channel",
		    sqlite3_column_text(st, EXP_ID));
		return -1;
	}
	reason = policy_expired_reason(k, col_time(st, EXP_REFERS), now);
	if (t != NULL)
		late_tally_add(t, col_name(st, EXP_PLAN), k,
		    col_name(st, EXP_OBJECT), ch,
		    (const char *)sqlite3_column_text(st, EXP_RECIPIENT),
		    reason, col_time(st, EXP_DUE), col_time(st, EXP_REFERS));
	return expire_one(ob, (const char *)sqlite3_column_text(st, EXP_ID),
	    reason, now);
}

/* Whether two reminders (ordered as the collapse's SELECT) are of one
 * thing to one recipient on one channel. */
static int
same_reminded(const struct ob_job *a, const struct ob_job *b)
{
	return a->kind == b->kind && a->channel == b->channel &&
	    strcmp(a->plan, b->plan) == 0 &&
	    strcmp(a->object, b->object) == 0 &&
	    strcmp(a->recipient ? a->recipient : "",
		b->recipient ? b->recipient : "") == 0;
}

/*
 * Expire v[0..n) but the one policy_collapses_into keeps: reminders of
 * one thing to one recipient on one channel, all due by now.
 */
static int
collapse_run(struct outbox *ob, struct ob_job *v, size_t n, int64_t now,
    int *count, struct late_tally *t)
{
	size_t keep = 0, i;

	for (i = 1; i < n; i++)
		if (policy_collapses_into(v[keep].due, v[keep].ordinal,
			v[i].due, v[i].ordinal))
			keep = i;
	for (i = 0; i < n; i++) {
		if (i == keep)
			continue;
		if (t != NULL)
			late_tally_add(t, v[i].plan, v[i].kind, v[i].object,
			    v[i].channel, v[i].recipient, POLICY_COLLAPSED,
			    v[i].due, v[i].refers);
		if (expire_one(ob, v[i].id, POLICY_COLLAPSED, now) == -1)
			return -1;
		(*count)++;
	}
	return 0;
}

/*
 * After downtime several reminders of one thing to one recipient can be
 * due at once, and quiet hours can move two onto the same minute: only
 * one goes (policy_collapses_into), the others say less. *n counts the
 * jobs expired.
 */
static int
expire_collapse(struct outbox *ob, int64_t now, int *n, struct late_tally *t)
{
	struct ob_job *v;
	size_t	       nv, i, start;
	int	       kind, rc = 0;

	for (kind = 0; kind < JK__N && rc == 0; kind++) {
		/* The kinds policy_collapses names. */
		if (!policy_collapses((enum job_kind)kind))
			continue;
		if (ob_collect(ob, "expiring reminders", &ob_job_rows,
			(void **)&v, &nv,
			"SELECT " JOB_COLS
			" FROM jobs WHERE state IN " SQL_READY
			" AND kind = ?2 AND due <= ?1 AND EXISTS (SELECT 1 "
			"FROM jobs l WHERE l.plan = jobs.plan AND l.object = "
			"jobs.object AND l.recipient IS jobs.recipient AND "
			"l.kind = jobs.kind AND l.channel = jobs.channel AND "
			"l.state IN " SQL_READY " AND l.id != jobs.id AND "
			"l.due <= ?1) ORDER BY plan, object, recipient, "
			"channel, id",
			"Is", now, job_kind_names[kind]) == -1)
			return -1;
		for (start = 0, i = 1; i <= nv && rc == 0; i++)
			if (i == nv || !same_reminded(&v[start], &v[i])) {
				rc = collapse_run(ob, v + start, i - start, now,
				    n, t);
				start = i;
			}
		ob_vec_free(&ob_job_rows, v, nv);
	}
	return rc;
}

int
outbox_expire(struct outbox *ob, int64_t now, int *n, struct late_tally *t)
{
	/*
	 * Each job carries the moment it stops being worth sending, set by
	 * policy_expires when it is stored (held jobs wait for their date:
	 * their time is only a guess, so they are not expired). Only jobs
	 * due by now are looked at, through the claims' own index: one that
	 * is not due cannot be sent yet, and it is looked at again, before
	 * any claim, in the step that finds it due. An index of its own
	 * would cost every claim and every send a write more.
	 */
	sqlite3_stmt *st;
	int	      rc;

	assert(ob != NULL && n != NULL);
	*n = 0;
	/* The channels named, so that the claims' index (state, channel,
	 * next_at) bounds next_at too. */
	if (ob_prepare(ob, &ob->expire_sel,
		"SELECT " EXPIRE_COLUMNS(
		    OB_COL_SQL) " FROM jobs "
				"WHERE state IN " SQL_READY
				" AND channel IN ('email', 'sms', "
				"'broadcast') AND next_at <= ?1 AND expires_at "
				"<= ?1") == -1 ||
	    ob_prepare(ob, &ob->expire_up,
		"UPDATE jobs SET "
		"state = 'expired', reason = ?2, updated = ?3 WHERE id "
		"= ?1") == -1)
		return -1;
	st = ob->expire_sel;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (expire_row(ob, st, now, t) == -1) {
			sqlite3_reset(st);
			return -1;
		}
		(*n)++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: expiring jobs");
	return expire_collapse(ob, now, n, t);
}
