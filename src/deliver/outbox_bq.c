/*
 * outbox_bq.c: the loudspeaker's queue in the outbox (deliver/bqueue.c,
 * `loa broadcast`): ad-hoc items, the items cancelled for good, every
 * airing with the time it was recorded aired, and the record of one.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"

/* An ad-hoc item's row. */
#define ADHOC_COLUMNS(C) \
	C(AD_ID, "id") \
	C(AD_TITLE, ", title") \
	C(AD_TEXT, ", text") \
	C(AD_PRIORITY, ", priority") \
	C(AD_AIR, ", air") \
	C(AD_EXPIRES, ", expires") \
	C(AD_CREATED, ", created")
enum adhoc_col {
	ADHOC_COLUMNS(OB_COL_ENUM)
};

static int
adhoc_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_adhoc *a = dst;

	a->id = col_text(st, AD_ID);
	a->title = col_text(st, AD_TITLE);
	a->text = col_text(st, AD_TEXT);
	a->air = sqlite3_column_int64(st, AD_AIR);
	a->expires = col_time(st, AD_EXPIRES);
	a->created = sqlite3_column_int64(st, AD_CREATED);
	if (a->id == NULL || a->title == NULL || a->text == NULL ||
	    priority_from_name(col_name(st, AD_PRIORITY), &a->priority) == -1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: ad-hoc item %s: unknown priority \"%s\"",
		    a->id ? a->id : "?", col_name(st, AD_PRIORITY));
		return -1;
	}
	return 0;
}

static void
adhoc_clear(void *p)
{
	struct ob_adhoc *a = p;

	free(a->id);
	free(a->title);
	free(a->text);
}

static const struct ob_rowtype adhoc_rows = { sizeof(struct ob_adhoc),
	adhoc_read, adhoc_clear };

void
ob_adhoc_free(struct ob_adhoc *v, size_t n)
{
	ob_vec_free(&adhoc_rows, v, n);
}

/* The new item's id (outbox_adhoc_add). */
enum added_col {
	ADDED_ID
};

static int
added_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	(void)ob;
	*(char **)dst = col_text(st, ADDED_ID);
	return 0;
}

static void
added_clear(void *p)
{
	free(*(char **)p);
}

static const struct ob_rowtype added_rows = { sizeof(char *), added_read,
	added_clear };

int
outbox_adhoc_add(struct outbox *ob, const char *title, const char *text,
    enum priority prio, int64_t air, int64_t expires, int64_t now, char **id)
{
	int found;

	*id = NULL;
	assert(prio < PRIO__N && title != NULL && text != NULL);
	if (ob_write(ob, "adding an item", NULL,
		"INSERT INTO bqueue (n, id, title, text, priority, air, "
		"expires, created) SELECT coalesce(max(n), 0) + 1, 'tin-' || "
		"(coalesce(max(n), 0) + 1), ?1, ?2, ?3, ?4, ?5, ?6 FROM bqueue",
		"sssItI", title, text, priority_names[prio], air, expires,
		now) == -1)
		return -1;
	if (ob_one(ob, "reading the new item", &added_rows, id, &found,
		"SELECT id FROM bqueue WHERE rowid = last_insert_rowid()",
		"") == -1)
		return -1;
	return *id != NULL ? 0 : ob_fail(ob, "outbox: reading the new item");
}

int
outbox_adhoc_list(struct outbox *ob, struct ob_adhoc **v, size_t *n)
{
	void *p;
	int   rc;

	rc = ob_collect(ob, "reading the ad-hoc items", &adhoc_rows, &p, n,
	    "SELECT " ADHOC_COLUMNS(OB_COL_SQL) " FROM bqueue ORDER BY n", "");
	*v = p;
	return rc;
}

int
outbox_bcancel(struct outbox *ob, const char *plan, const char *item,
    int64_t now, int *jobs)
{
	assert(plan != NULL && item != NULL);
	if (ob_write(ob, "cancelling an item", NULL,
		"INSERT OR IGNORE INTO bcancelled (plan, item, at) "
		"VALUES (?1, ?2, ?3)",
		"ssI", plan, item, now) == -1)
		return -1;
	return ob_write(ob, "cancelling its airings", jobs,
	    "UPDATE jobs SET state = 'cancelled', reason = 'cancelled "
	    "(loa broadcast cancel)', updated = ?3 WHERE plan = ?1 AND "
	    "object = ?2 AND kind = 'broadcast' AND state IN " SQL_UNSENT,
	    "ssI", plan, item, now);
}

/* A cancelled item's row. */
#define BCANCEL_COLUMNS(C) \
	C(BC_PLAN, "plan") \
	C(BC_ITEM, ", item") \
	C(BC_AT, ", at")
enum bcancel_col {
	BCANCEL_COLUMNS(OB_COL_ENUM)
};

static int
bcancel_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_bcancel *c = dst;

	(void)ob;
	c->plan = col_text(st, BC_PLAN);
	c->item = col_text(st, BC_ITEM);
	c->at = sqlite3_column_int64(st, BC_AT);
	return 0;
}

static void
bcancel_clear(void *p)
{
	struct ob_bcancel *c = p;

	free(c->plan);
	free(c->item);
}

static const struct ob_rowtype bcancel_rows = { sizeof(struct ob_bcancel),
	bcancel_read, bcancel_clear };

void
ob_bcancel_free(struct ob_bcancel *v, size_t n)
{
	ob_vec_free(&bcancel_rows, v, n);
}

int
outbox_bcancelled(struct outbox *ob, struct ob_bcancel **v, size_t *n)
{
	void *p;
	int   rc;

	rc = ob_collect(ob, "reading the cancelled items", &bcancel_rows, &p, n,
	    "SELECT " BCANCEL_COLUMNS(OB_COL_SQL) " FROM bcancelled ORDER BY "
						  "plan, item",
	    "");
	*v = p;
	return rc;
}

/* An airing's SELECT: a job's columns, then when it was aired. */
enum airing_col {
	AIRING_AIRED_AT = JC__N
};

static int
airing_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_airing *a = dst;

	if (ob_row(ob, st, &a->job) == -1)
		return -1;
	/* What the SELECT asked for. */
	assert(a->job.kind == JK_BROADCAST && a->job.channel == CH_BROADCAST);
	a->aired_at = col_time(st, AIRING_AIRED_AT);
	return 0;
}

static void
airing_clear(void *p)
{
	ob_job_clear(&((struct ob_airing *)p)->job);
}

static const struct ob_rowtype airing_rows = { sizeof(struct ob_airing),
	airing_read, airing_clear };

void
ob_airings_free(struct ob_airing *v, size_t n)
{
	ob_vec_free(&airing_rows, v, n);
}

int
outbox_airings(struct outbox *ob, struct ob_airing **v, size_t *n)
{
	void *p;
	int   rc;

	/* Every state named: the claims' index (state, channel, ...) finds
	 * the broadcast channel's rows without a scan of the table. */
	rc = ob_collect(ob, "reading the airings", &airing_rows, &p, n,
	    "SELECT " JOB_COLS ", (SELECT max(at) FROM attempts a WHERE "
	    "a.job = jobs.id AND a.outcome = 'aired') FROM jobs WHERE "
	    "state IN ('held', 'pending', 'sending', 'sent', 'delivered', "
	    "'failed', 'dead', 'expired', 'cancelled', 'skipped') AND "
	    "channel = 'broadcast' AND kind = 'broadcast' ORDER BY due, id",
	    "");
	*v = p;
	return rc;
}

int
outbox_aired(struct outbox *ob, const char *id, int64_t at, int *changed)
{
	assert(id != NULL && changed != NULL);
	/* Handed, or not yet (read live at the station): never one a
	 * running service holds in flight (sending). */
	if (ob_write(ob, "recording an airing", changed,
		"UPDATE jobs SET state = 'delivered', reason = NULL, updated = "
		"?2 WHERE id = ?1 AND channel = 'broadcast' AND state IN "
		"('sent', 'pending', 'failed')",
		"sI", id, at) == -1)
		return -1;
	/* An id names one job. */
	assert(*changed == 0 || *changed == 1);
	if (*changed == 0)
		return 0;
	return ob_attempt(ob, id, at, "aired", NULL);
}
