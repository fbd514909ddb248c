/*
 * outbox_reconcile.c: reconciliation's side of the outbox
 * (deliver/reconcile.c): every stored job read in one pass, the plans'
 * jobs matched against it (new ones inserted in id order at the end), and
 * the unsent jobs no plan derives any more cancelled. All of it inside
 * one transaction the caller holds.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"
#include "deliver/policy.h"
#include "util/sms.h"
#include "util/mem.h"
#include "util/arena.h"

/* A stored job as reconciliation compares it. */
struct known {
	char	      id[17];
	unsigned char state; /* enum job_state */
	unsigned char kind;  /* enum job_kind */
	unsigned char seen;
	unsigned char made; /* a CAP Update/Cancel: reconciliation's own */
	unsigned char prio; /* enum priority: a broadcast's */
	int64_t	      rowid;
	int64_t	      due;
	const char   *address; /* karena */
	const char   *reason;  /* karena */
};

int
outbox_insert(struct outbox *ob, const struct ob_job *j)
{
	sqlite3_stmt *st;

	if (ob_prepare(ob, &ob->insert,
		"INSERT OR IGNORE INTO jobs (" JOB_COLS
		", updated, expires_at, urgent) VALUES (?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, "
		"?8, "
		"?9, ?10, ?11, ?12, NULL, NULL, ?13, ?14, 0, ?15, ?16, NULL, "
		"?17, "
		"?18, ?19, ?20, ?21, ?12, ?22, ?23)") == -1)
		return -1;
	assert(j->kind < JK__N && j->channel < CH__N && j->state < JS__N);
	/* A job's id: 16 characters, the whole of ob_job.id. */
	assert(j->id[0] != '\0' && j->id[sizeof(j->id) - 1] == '\0');
	st = ob->insert;
	bind_text(st, 1, j->id);
	bind_text(st, 2, j->plan);
	bind_text(st, 3, job_kind_names[j->kind]);
	bind_text(st, 4, j->object);
	sqlite3_bind_int(st, 5, j->ordinal);
	bind_text(st, 6, j->recipient);
	bind_text(st, 7, j->name);
	bind_text(st, 8, channel_names[j->channel]);
	bind_text(st, 9, j->address);
	sqlite3_bind_int64(st, 10, j->due);
	bind_time(st, 11, j->refers);
	sqlite3_bind_int64(st, 12, j->next_at);
	bind_text(st, 13, job_state_names[j->state]);
	bind_text(st, 14, j->reason);
	sqlite3_bind_int(st, 15, j->seq);
	bind_text(st, 16, j->payload);
	sqlite3_bind_int(st, 17, j->sms_parts);
	bind_text(st, 18,
	    j->channel == CH_SMS ?
		sms_encoding_name((enum sms_encoding)j->sms_encoding) :
		NULL);
	bind_text(st, 19, j->slot);
	bind_text(st, 20,
	    j->kind == JK_BROADCAST ? priority_names[j->priority] : NULL);
	sqlite3_bind_int(st, 21, j->duration);
	bind_time(st, 22,
	    policy_expires(j->kind, j->channel, j->due, j->refers));
	sqlite3_bind_int(st, 23, job_urgent(j->kind, j->priority));
	return ob_step_done(ob, st, "inserting a job");
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Take the plan's new values for stored job j (the row at rowid). */
static int
upsert_update(struct outbox *ob, const struct job *j, int64_t rowid)
{
	sqlite3_stmt *st;

	assert(rowid > 0);
	if (ob_prepare(ob, &ob->update_unsent,
		"UPDATE jobs SET due = "
		"?2, next_at = ?2, refers = ?3, address = ?4, state = "
		"?5, "
		"reason = ?6, sms_parts = ?7, slot = ?8, duration = "
		"?9, "
		"expires_at = ?10, sms_encoding = ?11, priority = ?12, "
		"urgent = ?13 WHERE rowid = ?1") == -1)
		return -1;
	st = ob->update_unsent;
	sqlite3_bind_int64(st, 1, rowid);
	sqlite3_bind_int64(st, 2, j->due);
	bind_time(st, 3, j->refers);
	bind_text(st, 4, j->address);
	bind_text(st, 5, job_state_names[j->state]);
	bind_text(st, 6, j->reason);
	sqlite3_bind_int(st, 7, j->sms_parts);
	bind_text(st, 8, j->slot);
	sqlite3_bind_int(st, 9, j->duration);
	bind_time(st, 10,
	    policy_expires((enum job_kind)j->kind, (enum channel)j->channel,
		j->due, j->refers));
	bind_text(st, 11,
	    j->channel == CH_SMS ?
		sms_encoding_name((enum sms_encoding)j->sms_encoding) :
		NULL);
	bind_text(st, 12,
	    j->kind == JK_BROADCAST ? priority_names[j->priority] : NULL);
	sqlite3_bind_int(st, 13,
	    job_urgent((enum job_kind)j->kind, (enum priority)j->priority));
	return ob_step_done(ob, st, "rescheduling a job");
}

static int
known_cmp(const void *a, const void *b)
{
	return strcmp(((const struct known *)a)->id,
	    ((const struct known *)b)->id);
}

int
outbox_upsert(struct outbox *ob, const struct job *j, int *changed)
{
	struct known key, *k;
	int	     same;

	*changed = 0;
	assert(j->state < JS__N && j->kind < JK__N);
	if (!ob->kloaded) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: upsert before outbox_seen_reset");
		return -1;
	}
	memcpy(key.id, j->id, sizeof(key.id));
	k = ob->nknown > 0 ? bsearch(&key, ob->known, ob->nknown,
				 sizeof(*ob->known), known_cmp) :
			     NULL;
	if (k != NULL) {
		k->seen = 1;
		/* A broadcast made an emergency (or no longer one) takes
		 * its new priority, and its claim order, at the same time. */
		same = k->due == j->due && k->state == j->state &&
		    same_str(k->address, j->address) &&
		    same_str(k->reason, j->reason) &&
		    (j->kind != JK_BROADCAST || k->prio == j->priority);
		if (same ||
		    !policy_rederive((enum job_state)k->state, k->due,
			(enum job_state)j->state, j->due))
			return 0;
		*changed = 2;
		return upsert_update(ob, j, k->rowid);
	}
	/* New: inserted by outbox_upsert_flush, in id order (the B-trees
	 * keyed by id are then appended to, not split all over). */
	xgrow(&ob->fresh, &ob->capfresh, ob->nfresh + 1, sizeof(*ob->fresh));
	ob->fresh[ob->nfresh++] = *j;
	*changed = 1;
	return 0;
}

static int
job_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct job *)a)->id, ((const struct job *)b)->id);
}

/*
 * The jobs table's secondary indexes as the latest schema has them (the
 * migrations made them so): a large first load drops them, inserts, and
 * builds them again in one sort each, inside its transaction.
 */
#define SQL_DROP_INDEXES \
	"DROP INDEX jobs_ready; DROP INDEX jobs_due; DROP INDEX " \
	"jobs_recipient; DROP INDEX jobs_urgent;"
#define SQL_MAKE_INDEXES \
	"CREATE INDEX jobs_ready ON jobs(state, channel, next_at, id);" \
	"CREATE INDEX jobs_due ON jobs(due);" \
	"CREATE INDEX jobs_recipient ON jobs(plan, object, recipient);" \
	"CREATE INDEX jobs_urgent ON jobs(state, channel, next_at, id) " \
	"WHERE urgent = 1;"

/* The stored form of a plan's new job j (o borrows j's strings). */
static void
fresh_row(const struct job *j, struct ob_job *o)
{
	memset(o, 0, sizeof(*o));
	memcpy(o->id, j->id, sizeof(o->id));
	o->plan = j->plan->id;
	o->kind = (enum job_kind)j->kind;
	o->object = (char *)j->object;
	o->ordinal = j->ordinal;
	o->recipient = j->to ? j->to->id : NULL;
	o->name = j->to ? j->to->name : NULL;
	o->channel = (enum channel)j->channel;
	o->address = (char *)j->address;
	o->due = o->next_at = j->due;
	o->refers = j->refers;
	o->state = (enum job_state)j->state;
	o->reason = (char *)j->reason;
	o->sms_parts = j->sms_parts;
	o->sms_encoding = j->sms_encoding;
	o->slot = (char *)j->slot;
	o->priority = (enum priority)j->priority;
	o->duration = j->duration;
}

int
outbox_upsert_flush(struct outbox *ob, int (*stop)(void))
{
	size_t i;
	int    rc = 0, bulk;

	assert(ob->nfresh <= ob->capfresh);
	if (ob->nfresh > 1)
		qsort(ob->fresh, ob->nfresh, sizeof(*ob->fresh), job_id_cmp);
	bulk = ob->nfresh >= 10000 && ob->nfresh > ob->nknown;
	if (bulk && ob_exec(ob, SQL_DROP_INDEXES) == -1)
		return -1;
	for (i = 0; i < ob->nfresh && rc == 0; i++) {
		struct ob_job o;

		if (i % 2000 == 0 && stop != NULL && stop()) {
			snprintf(ob->err, sizeof(ob->err), "outbox: stopped");
			ob->nfresh = 0;
			return -1;
		}
		fresh_row(&ob->fresh[i], &o);
		rc = outbox_insert(ob, &o);
	}
	ob->nfresh = 0;
	if (bulk && rc == 0 && stop != NULL && stop()) {
		snprintf(ob->err, sizeof(ob->err), "outbox: stopped");
		return -1;
	}
	if (bulk && rc == 0)
		rc = ob_exec(ob, SQL_MAKE_INDEXES);
	return rc;
}

/* What outbox_seen_reset reads of every job. */
#define KNOWN_COLUMNS(C) \
	C(KN_ID, "id") \
	C(KN_STATE, ", state") \
	C(KN_KIND, ", kind") \
	C(KN_DUE, ", due") \
	C(KN_ADDRESS, ", address") \
	C(KN_REASON, ", reason") \
	C(KN_ROWID, ", rowid") \
	C(KN_MADE, ", payload LIKE 'cap %'") \
	C(KN_PRIORITY, ", priority")
enum known_col {
	KNOWN_COLUMNS(OB_COL_ENUM)
};

static int
known_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct known  *k = dst;
	enum job_state state;
	enum job_kind  kind;
	enum priority  prio = PRIO_NORMAL;
	const char    *a = (const char *)sqlite3_column_text(st, KN_ADDRESS);
	const char    *r = (const char *)sqlite3_column_text(st, KN_REASON);

	if (job_state_from_name(col_name(st, KN_STATE), &state) == -1 ||
	    job_kind_from_name(col_name(st, KN_KIND), &kind) == -1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: job %s: unknown state \"%s\" or kind \"%s\"",
		    col_name(st, KN_ID), col_name(st, KN_STATE),
		    col_name(st, KN_KIND));
		return -1;
	}
	snprintf(k->id, sizeof(k->id), "%s", col_name(st, KN_ID));
	k->state = (unsigned char)state;
	k->kind = (unsigned char)kind;
	k->due = sqlite3_column_int64(st, KN_DUE);
	k->address = a != NULL ? arena_strdup(ob->karena, a) : NULL;
	k->reason = r != NULL ? arena_strdup(ob->karena, r) : NULL;
	k->rowid = sqlite3_column_int64(st, KN_ROWID);
	k->made = kind == JK_BROADCAST && sqlite3_column_int(st, KN_MADE);
	if (sqlite3_column_type(st, KN_PRIORITY) != SQLITE_NULL &&
	    priority_from_name(col_name(st, KN_PRIORITY), &prio) == 0)
		k->prio = (unsigned char)prio;
	return 0;
}

/* The known jobs' strings are in the arena: nothing of theirs to free. */
static const struct ob_rowtype known_rows = { sizeof(struct known), known_read,
	NULL };

int
outbox_seen_reset(struct outbox *ob)
{
	void *v;

	assert(ob != NULL);
	free(ob->known);
	ob->known = NULL;
	ob->nknown = 0;
	ob->nfresh = 0;
	arena_free(ob->karena);
	ob->karena = arena_new();
	ob->kloaded = 0;
	/* One pass, in id order (the primary key's index). */
	if (ob_collect(ob, "reading the jobs", &known_rows, &v, &ob->nknown,
		"SELECT " KNOWN_COLUMNS(OB_COL_SQL) " FROM jobs ORDER BY id",
		"") == -1)
		return -1;
	ob->known = v;
	ob->kloaded = 1;
	return 0;
}

int
outbox_cancel_unseen(struct outbox *ob, int64_t now, int *n)
{
	size_t i;

	*n = 0;
	if (!ob->kloaded)
		return 0;
	if (ob_prepare(ob, &ob->cancel_row,
		"UPDATE jobs SET "
		"state = 'cancelled', reason = 'no longer in the plan', "
		"updated = ?2 WHERE rowid = ?1 AND state IN " SQL_UNSENT) == -1)
		return -1;
	for (i = 0; i < ob->nknown; i++) {
		const struct known *k = &ob->known[i];

		/* Updates and cancellations are made by reconciliation
		 * itself. */
		if (k->seen || !policy_unsent((enum job_state)k->state) ||
		    k->kind == JK_UPDATE || k->kind == JK_CANCEL || k->made)
			continue;
		sqlite3_bind_int64(ob->cancel_row, 1, k->rowid);
		sqlite3_bind_int64(ob->cancel_row, 2, now);
		if (ob_step_done(ob, ob->cancel_row,
			"cancelling vanished jobs") == -1)
			return -1;
		*n += sqlite3_changes(ob->db);
	}
	return 0;
}
