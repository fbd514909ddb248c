/*
 * outbox_itip.c: what the outbox remembers of what went out, for the
 * messages that follow (deliver/reconcile.c, deliver/sched.c,
 * deliver/live.c): each event's iTIP SEQUENCE and what it announced, the
 * attendees its invitation reached, each emergency item's CAP alerts, and
 * the tasks marked done; and the older unsent messages a newer one
 * supersedes.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"

/* An event's row. */
#define EVENT_COLUMNS(C) \
	C(EV_EVENT, "event") \
	C(EV_SEQ, ", seq") \
	C(EV_FINGERPRINT, ", fingerprint") \
	C(EV_SUMMARY, ", summary") \
	C(EV_ORGANIZER, ", organizer")
enum event_col {
	EVENT_COLUMNS(OB_COL_ENUM)
};

void
ob_event_clear(struct ob_event *e)
{
	free(e->event);
	free(e->fingerprint);
	free(e->summary);
	free(e->organizer);
	memset(e, 0, sizeof(*e));
}

static int
event_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_event *e = dst;

	(void)ob;
	e->event = col_text(st, EV_EVENT);
	e->seq = sqlite3_column_int(st, EV_SEQ);
	e->fingerprint = col_text(st, EV_FINGERPRINT);
	e->summary = col_text(st, EV_SUMMARY);
	e->organizer = col_text(st, EV_ORGANIZER);
	return 0;
}

static void
event_clear(void *e)
{
	ob_event_clear(e);
}

static const struct ob_rowtype event_rows = { sizeof(struct ob_event),
	event_read, event_clear };

int
outbox_event_get(struct outbox *ob, const char *plan, const char *event,
    struct ob_event *e, int *found)
{
	assert(plan != NULL && event != NULL);
	return ob_one(ob, "reading an event", &event_rows, e, found,
	    "SELECT " EVENT_COLUMNS(OB_COL_SQL) " FROM events WHERE plan = ?1 "
						"AND event = ?2",
	    "ss", plan, event);
}

int
outbox_event_put(struct outbox *ob, const char *plan, const char *event,
    int seq, const char *fingerprint, const char *summary,
    const char *organizer)
{
	assert(seq >= 0 && fingerprint != NULL);
	return ob_write(ob, "writing an event", NULL,
	    "INSERT OR REPLACE INTO "
	    "events (plan, event, seq, fingerprint, summary, organizer) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6)",
	    "ssisss", plan, event, seq, fingerprint, summary, organizer);
}

int
outbox_events(struct outbox *ob, const char *plan, struct ob_event **v,
    size_t *n)
{
	void *p;
	int   rc;

	rc = ob_collect(ob, "events", &event_rows, &p, n,
	    "SELECT " EVENT_COLUMNS(OB_COL_SQL) " FROM events WHERE plan = ?1 "
						"ORDER BY event",
	    "s", plan);
	*v = p;
	return rc;
}

int
outbox_attendee_put(struct outbox *ob, const char *plan, const char *event,
    const char *recipient, const char *name, const char *email,
    const char *phone)
{
	assert(recipient != NULL);
	/* One row a recipient, whichever channel reached them first. */
	return ob_write(ob, "writing an attendee", NULL,
	    "INSERT INTO "
	    "attendees (plan, event, recipient, name, email, phone) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (plan, event, recipient) DO "
	    "UPDATE SET name = excluded.name, email = coalesce(excluded.email, "
	    "email), phone = coalesce(excluded.phone, phone)",
	    "ssssss", plan, event, recipient, name, email, phone);
}

int
outbox_supersede(struct outbox *ob, const char *plan, const char *event,
    const char *recipient, enum channel ch, int seq, int64_t now)
{
	assert(ch < CH__N);
	return ob_write(ob, "superseding older messages", NULL,
	    "UPDATE jobs "
	    "SET state = 'cancelled', reason = 'superseded', updated = ?6 "
	    "WHERE plan = ?1 AND object = ?2 AND recipient = ?3 AND channel = "
	    "?4 AND kind IN ('update', 'cancel') AND seq < ?5 AND state "
	    "IN " SQL_UNSENT,
	    "ssssiI", plan, event, recipient, channel_names[ch], seq, now);
}

/* An attendee's row. */
#define ATTENDEE_COLUMNS(C) \
	C(AT_RECIPIENT, "recipient") \
	C(AT_NAME, ", name") \
	C(AT_EMAIL, ", email") \
	C(AT_PHONE, ", phone")
enum attendee_col {
	ATTENDEE_COLUMNS(OB_COL_ENUM)
};

static int
attendee_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_attendee *a = dst;

	(void)ob;
	a->id = col_text(st, AT_RECIPIENT);
	a->name = col_text(st, AT_NAME);
	a->email = col_text(st, AT_EMAIL);
	a->phone = col_text(st, AT_PHONE);
	return 0;
}

static void
attendee_clear(void *p)
{
	struct ob_attendee *a = p;

	free(a->id);
	free(a->name);
	free(a->email);
	free(a->phone);
}

static const struct ob_rowtype attendee_rows = { sizeof(struct ob_attendee),
	attendee_read, attendee_clear };

int
outbox_attendees(struct outbox *ob, const char *plan, const char *event,
    struct ob_attendee **v, size_t *n)
{
	void *p;
	int   rc;

	rc = ob_collect(ob, "attendees", &attendee_rows, &p, n,
	    "SELECT " ATTENDEE_COLUMNS(
		OB_COL_SQL) " FROM attendees WHERE "
			    "plan = ?1 AND event = ?2 ORDER BY recipient",
	    "ss", plan, event);
	*v = p;
	return rc;
}

void
ob_attendees_free(struct ob_attendee *v, size_t n)
{
	ob_vec_free(&attendee_rows, v, n);
}

int
outbox_attendee_drop(struct outbox *ob, const char *plan, const char *event,
    const char *recipient)
{
	return ob_write(ob, "dropping an attendee", NULL,
	    "DELETE FROM "
	    "attendees WHERE plan = ?1 AND event = ?2 AND recipient = ?3",
	    "sss", plan, event, recipient);
}

int
outbox_task_done(struct outbox *ob, const char *plan, const char *task,
    int64_t now, int *cancelled)
{
	if (ob_write(ob, "marking a task done", NULL,
		"INSERT OR IGNORE INTO "
		"tasks_done (plan, task, at) VALUES (?1, ?2, ?3)",
		"ssI", plan, task, now) == -1)
		return -1;
	return ob_write(ob, "cancelling reminders", cancelled,
	    "UPDATE jobs "
	    "SET state = 'cancelled', reason = 'task done', updated = ?3 WHERE "
	    "plan = ?1 AND object = ?2 AND kind IN ('task-reminder', "
	    "'overdue') AND state IN " SQL_UNSENT,
	    "ssI", plan, task, now);
}

/* A task's mark: its row's presence. */
static int
mark_row(struct outbox *ob, sqlite3_stmt *st, void *done)
{
	(void)ob;
	(void)st;
	*(int *)done = 1;
	return 0;
}

int
outbox_task_is_done(struct outbox *ob, const char *plan, const char *task,
    int *done)
{
	*done = 0;
	return ob_each(ob, "reading tasks done", mark_row, done,
	    "SELECT 1 FROM tasks_done WHERE plan = ?1 AND task = ?2", "ss",
	    plan, task);
}

/* An alert's row. */
#define ALERT_COLUMNS(C) \
	C(AL_ITEM, "item") \
	C(AL_SEQ, ", seq") \
	C(AL_FINGERPRINT, ", fingerprint") \
	C(AL_REFS, ", refs")
enum alert_col {
	ALERT_COLUMNS(OB_COL_ENUM)
};

void
ob_alert_clear(struct ob_alert *a)
{
	free(a->item);
	free(a->fingerprint);
	free(a->refs);
	memset(a, 0, sizeof(*a));
}

static int
alert_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct ob_alert *a = dst;

	(void)ob;
	a->item = col_text(st, AL_ITEM);
	a->seq = sqlite3_column_int(st, AL_SEQ);
	a->fingerprint = col_text(st, AL_FINGERPRINT);
	a->refs = col_text(st, AL_REFS);
	return 0;
}

static void
alert_clear(void *a)
{
	ob_alert_clear(a);
}

static const struct ob_rowtype alert_rows = { sizeof(struct ob_alert),
	alert_read, alert_clear };

int
outbox_alert_get(struct outbox *ob, const char *plan, const char *item,
    struct ob_alert *a, int *found)
{
	assert(plan != NULL && item != NULL);
	return ob_one(ob, "reading an alert", &alert_rows, a, found,
	    "SELECT " ALERT_COLUMNS(OB_COL_SQL) " FROM alerts WHERE plan = ?1 "
						"AND item = ?2",
	    "ss", plan, item);
}

int
outbox_alert_put(struct outbox *ob, const char *plan, const char *item, int seq,
    const char *fingerprint, const char *refs)
{
	assert(seq >= 0 && fingerprint != NULL && refs != NULL);
	return ob_write(ob, "writing an alert", NULL,
	    "INSERT OR REPLACE INTO alerts (plan, item, seq, fingerprint, "
	    "refs) VALUES (?1, ?2, ?3, ?4, ?5)",
	    "ssiss", plan, item, seq, fingerprint, refs);
}

int
outbox_alerts(struct outbox *ob, const char *plan, struct ob_alert **v,
    size_t *n)
{
	void *p;
	int   rc;

	rc = ob_collect(ob, "alerts", &alert_rows, &p, n,
	    "SELECT " ALERT_COLUMNS(OB_COL_SQL) " FROM alerts WHERE plan = ?1 "
						"ORDER BY item",
	    "s", plan);
	*v = p;
	return rc;
}

int
outbox_alert_supersede(struct outbox *ob, const char *plan, const char *item,
    int seq, int64_t now)
{
	return ob_write(ob, "superseding older alerts", NULL,
	    "UPDATE jobs SET state = 'cancelled', reason = 'superseded', "
	    "updated = ?4 WHERE plan = ?1 AND object = ?2 AND kind = "
	    "'broadcast' AND channel = 'broadcast' AND payload LIKE 'cap %' "
	    "AND seq < ?3 AND state IN " SQL_UNSENT,
	    "ssiI", plan, item, seq, now);
}
