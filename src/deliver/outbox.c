/*
 * outbox.c: the outbox in SQLite. WAL journal, synchronous=FULL: a commit
 * is on disk when outbox_commit returns. The schema is versioned with
 * PRAGMA user_version and migrated forward on open.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "deliver/outbox.h"
#include "deliver/policy.h"
#include "util/sms.h"
#include "util/fault.h"
#include "util/xmalloc.h"

/*
 * The states a job can still be sent from, and those a claim takes: the
 * one place the SQL names them (policy_unsent says the same in C).
 */
#define SQL_UNSENT "('held', 'pending', 'failed')"
#define SQL_READY  "('pending', 'failed')"

#define LOA_STR_(x) #x
#define LOA_STR(x)  LOA_STR_(x)

struct outbox {
	sqlite3	     *db;
	char	      err[512];
	sqlite3_stmt *upsert_get;
	sqlite3_stmt *insert;
	sqlite3_stmt *update_unsent;
	sqlite3_stmt *seen;
	sqlite3_stmt *sent;
	sqlite3_stmt *retry;
	sqlite3_stmt *finish;
	sqlite3_stmt *attempt;
};

/* Forward migrations: migrations[i] takes user_version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE jobs ("
	"  id TEXT PRIMARY KEY,"
	"  plan TEXT NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL,"
	"  ordinal INTEGER NOT NULL, recipient TEXT, name TEXT,"
	"  channel TEXT NOT NULL, address TEXT,"
	"  due INTEGER NOT NULL, refers INTEGER, next_at INTEGER NOT NULL,"
	"  first_at INTEGER, sent_at INTEGER,"
	"  state TEXT NOT NULL, reason TEXT,"
	"  attempts INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL DEFAULT 0,"
	"  payload TEXT, last_error TEXT, sms_parts INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER);"
	"CREATE INDEX jobs_ready ON jobs(state, next_at);"
	"CREATE INDEX jobs_due ON jobs(due);"
	"CREATE TABLE attempts ("
	"  job TEXT NOT NULL, at INTEGER NOT NULL, outcome TEXT NOT NULL,"
	"  answer TEXT);"
	"CREATE INDEX attempts_job ON attempts(job);"
	"CREATE TABLE events ("
	"  plan TEXT NOT NULL, event TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  fingerprint TEXT NOT NULL, summary TEXT,"
	"  PRIMARY KEY (plan, event));"
	"CREATE TABLE attendees ("
	"  plan TEXT NOT NULL, event TEXT NOT NULL, recipient TEXT NOT NULL,"
	"  name TEXT, email TEXT, PRIMARY KEY (plan, event, recipient));"
	"CREATE TABLE tasks_done ("
	"  plan TEXT NOT NULL, task TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (plan, task));",
	/* 1 -> 2: claims walk the index in order instead of sorting. */
	"DROP INDEX jobs_ready;"
	"CREATE INDEX jobs_ready ON jobs(state, next_at, id);",
	/* 2 -> 3: attendees keep the phone their SMS went to; an event's
	 * jobs for one recipient are found without a scan. */
	"ALTER TABLE attendees ADD COLUMN phone TEXT;"
	"ALTER TABLE events ADD COLUMN organizer TEXT;"
	"INSERT INTO attendees (plan, event, recipient, name, phone) "
	"  SELECT plan, object, recipient, max(name), max(address) FROM jobs"
	"  WHERE kind IN ('invitation', 'update') AND channel = 'sms' AND"
	"  state = 'sent' GROUP BY plan, object, recipient"
	"  ON CONFLICT (plan, event, recipient) DO UPDATE SET"
	"  phone = excluded.phone;"
	"CREATE INDEX jobs_recipient ON jobs(plan, object, recipient);",
	/* 3 -> 4: a job keeps what `loa outbox --json` shows of it as
	 * `timeline --json` does, and the moment it expires (policy.c),
	 * backfilled here with the rule of schema 3. */
	"ALTER TABLE jobs ADD COLUMN sms_encoding TEXT;"
	"ALTER TABLE jobs ADD COLUMN slot TEXT;"
	"ALTER TABLE jobs ADD COLUMN priority TEXT;"
	"ALTER TABLE jobs ADD COLUMN duration INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE jobs ADD COLUMN expires_at INTEGER;"
	"UPDATE jobs SET expires_at = CASE"
	"  WHEN kind IN ('invitation', 'update', 'event-reminder',"
	"  'task-reminder') THEN refers"
	"  WHEN kind = 'broadcast' THEN coalesce(refers, due + 3600)"
	"  WHEN kind IN ('distribution', 'overdue', 'cancel') THEN due + 86400"
	"  END;",
};

static int ob_fail(struct outbox *, const char *, ...) LOA_PRINTF(2, 3);

static int
ob_fail(struct outbox *ob, const char *fmt, ...)
{
	va_list ap;
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(ob->err, sizeof(ob->err), fmt, ap);
	va_end(ap);
	n = strlen(ob->err);
	if (ob->db != NULL && sqlite3_errcode(ob->db) != SQLITE_OK)
		snprintf(ob->err + n, sizeof(ob->err) - n, ": %s",
		    sqlite3_errmsg(ob->db));
	return -1;
}

const char *
outbox_error(const struct outbox *ob)
{
	return ob->err;
}

static int
ob_exec(struct outbox *ob, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(ob->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(ob->err, sizeof(ob->err), "outbox: %s",
		    msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
ob_prepare(struct outbox *ob, sqlite3_stmt **st, const char *sql)
{
	if (*st != NULL) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return 0;
	}
	if (sqlite3_prepare_v2(ob->db, sql, -1, st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	return 0;
}

/*
 * Whether the existing file at path is a loa outbox: one marked with
 * OUTBOX_APP_ID, or one an earlier loa made before the mark (no
 * application_id, a user_version loa knows, loa's jobs table with its
 * columns and claim index). Looked at
 * through a read-only connection, so a file refused is left as it was.
 * 0, or -1 with err set.
 */
static int
outbox_is_ours(const char *path, char *err, size_t errlen)
{
	sqlite3	     *db = NULL;
	sqlite3_stmt *st = NULL;
	int	      app = 0, v = 0, jobs = 0, rc = -1, e;

	if (sqlite3_open_v2(path, &db,
		SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
		"SELECT (SELECT application_id FROM pragma_application_id),"
		" (SELECT user_version FROM pragma_user_version),"
		" (SELECT count(*) FROM sqlite_master"
		"  WHERE type = 'table' AND name = 'jobs') +"
		" (SELECT count(*) FROM sqlite_master"
		"  WHERE type = 'index' AND name = 'jobs_ready') +"
		" (SELECT count(*) FROM pragma_table_info('jobs') WHERE name IN"
		"  ('id', 'plan', 'kind', 'object', 'channel', 'due', "
		"'next_at',"
		"  'state', 'attempts'))",
		-1, &st, NULL) != SQLITE_OK ||
	    (e = sqlite3_step(st)) != SQLITE_ROW) {
		e = db != NULL ? sqlite3_errcode(db) : SQLITE_CANTOPEN;
		if (e == SQLITE_NOTADB)
			snprintf(err, errlen,
			    "%s: not a loa outbox (not an SQLite database); "
			    "left as it is",
			    path);
		else
			snprintf(err, errlen, "%s: %s", path,
			    db != NULL ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	app = sqlite3_column_int(st, 0);
	v = sqlite3_column_int(st, 1);
	jobs = sqlite3_column_int(st, 2);
	if (app == OUTBOX_APP_ID ||
	    (app == 0 && v >= 1 && v <= OUTBOX_SCHEMA && jobs == 11))
		rc = 0;
	else
		snprintf(err, errlen,
		    "%s: an SQLite database that is not a loa outbox "
		    "(application_id %d, user_version %d%s); left as it is",
		    path, app, v, jobs == 11 ? "" : ", not loa's jobs table");
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

struct outbox *
outbox_open(const char *path, char *err, size_t errlen)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	sqlite3_stmt  *st;
	struct stat    sb;
	int	       v, app, create = 0;

	{
		/* The folder the database lives in. */
		char *dir = xstrdup(path), *slash = strrchr(dir, '/');

		if (slash != NULL && slash != dir) {
			*slash = '\0';
			mkdirs(dir);
		}
		free(dir);
	}
	/*
	 * Only a missing file makes a new outbox. An existing one must be a
	 * loa outbox: an empty file, or somebody else's database, is never
	 * taken for a new store (and written over).
	 */
	if (stat(path, &sb) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			outbox_close(ob);
			return NULL;
		}
		create = 1;
	} else if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a loa outbox (not a file)",
		    path);
		outbox_close(ob);
		return NULL;
	} else if (sb.st_size == 0) {
		snprintf(err, errlen,
		    "%s: not a loa outbox (an empty file); left as it is: "
		    "loa makes a new outbox only where there is no file",
		    path);
		outbox_close(ob);
		return NULL;
	} else if (outbox_is_ours(path, err, errlen) == -1) {
		outbox_close(ob);
		return NULL;
	}
	if (sqlite3_open_v2(path, &ob->db,
		SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    ob->db ? sqlite3_errmsg(ob->db) : "cannot open");
		outbox_close(ob);
		return NULL;
	}
	sqlite3_busy_timeout(ob->db, 5000);
	/* A new outbox holds names and phones: its owner's only (its -wal
	 * and -shm take its mode). */
	if (create && chmod(path, 0600) == -1) {
		snprintf(ob->err, sizeof(ob->err), "%s", strerror(errno));
		goto fail;
	}
	if (sqlite3_prepare_v2(ob->db,
		"SELECT (SELECT user_version FROM pragma_user_version),"
		" (SELECT application_id FROM pragma_application_id)",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		ob_fail(ob, "outbox: reading the schema version");
		sqlite3_finalize(st);
		goto fail;
	}
	v = sqlite3_column_int(st, 0);
	app = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (v > OUTBOX_SCHEMA) {
		snprintf(ob->err, sizeof(ob->err),
		    "schema version %d is newer "
		    "than this loa understands (%d)",
		    v, OUTBOX_SCHEMA);
		goto fail;
	}
	if (ob_exec(ob,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		"PRAGMA foreign_keys=ON;") == -1)
		goto fail;
	/* A new outbox, or one made before the mark, is marked as loa's. */
	if (app != OUTBOX_APP_ID &&
	    ob_exec(ob, "PRAGMA application_id=" LOA_STR(OUTBOX_APP_ID)) == -1)
		goto fail;
	for (; v < OUTBOX_SCHEMA; v++) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;", v + 1);
		if (ob_exec(ob, "BEGIN IMMEDIATE") == -1 ||
		    ob_exec(ob, migrations[v]) == -1 ||
		    ob_exec(ob, sql) == -1 || ob_exec(ob, "COMMIT") == -1) {
			ob_exec(ob, "ROLLBACK");
			goto fail;
		}
	}
	if (ob_exec(ob,
		"CREATE TEMP TABLE IF NOT EXISTS seen "
		"(id TEXT PRIMARY KEY, plan TEXT)") == -1)
		goto fail;
	return ob;
fail:
	snprintf(err, errlen, "%s: %s", path, ob->err);
	outbox_close(ob);
	return NULL;
}

int
outbox_lock(const char *path, char *err, size_t errlen)
{
	char *lock = xasprintf("%s.lock", path), pid[32];
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int   fd;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdirs(dir);
	}
	free(dir);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", lock, strerror(errno));
		free(lock);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);

			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen,
			    "%s: the store is in use by another loa (pid %s); "
			    "one service a store",
			    lock, pid[0] ? pid : "unknown");
		} else
			snprintf(err, errlen, "%s: %s", lock, strerror(errno));
		close(fd);
		free(lock);
		return -1;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid)) {
		snprintf(err, errlen, "%s: %s", lock, strerror(errno));
		close(fd);
		free(lock);
		return -1;
	}
	free(lock);
	return fd;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	sqlite3_finalize(ob->upsert_get);
	sqlite3_finalize(ob->insert);
	sqlite3_finalize(ob->update_unsent);
	sqlite3_finalize(ob->seen);
	sqlite3_finalize(ob->sent);
	sqlite3_finalize(ob->retry);
	sqlite3_finalize(ob->finish);
	sqlite3_finalize(ob->attempt);
	sqlite3_close(ob->db);
	free(ob);
}

int
outbox_begin(struct outbox *ob)
{
	return ob_exec(ob, "BEGIN IMMEDIATE");
}

int
outbox_commit(struct outbox *ob)
{
	if (fault_hit(FAULT_SQLITE)) /* tests: the disk failed here */
		return ob_fail(ob, "outbox: COMMIT: %s", strerror(errno));
	return ob_exec(ob, "COMMIT");
}

void
outbox_rollback(struct outbox *ob)
{
	char *msg = NULL;

	sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, &msg);
	sqlite3_free(msg);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == TIMEX_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

static int64_t
col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return TIMEX_NONE;
	return sqlite3_column_int64(st, i);
}

/*
 * Run one statement that writes, binding its parameters in order from the
 * type string: 's' text (NULL binds NULL), 'i' int, 'I' int64, 't' a time
 * (TIMEX_NONE binds NULL). *changes, unless NULL, gets the rows changed.
 */
static int
ob_write(struct outbox *ob, const char *what, int *changes, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *st;
	va_list	      ap;
	int	      i, rc;

	if (sqlite3_prepare_v2(ob->db, sql, -1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare (%s)", what);
	va_start(ap, types);
	for (i = 0; types[i] != '\0'; i++) {
		switch (types[i]) {
		case 's':
			bind_text(st, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			sqlite3_bind_int(st, i + 1, va_arg(ap, int));
			break;
		case 'I':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		default:
			bind_time(st, i + 1, va_arg(ap, int64_t));
			break;
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: %s", what);
	if (changes != NULL)
		*changes = sqlite3_changes(ob->db);
	return 0;
}

static int
ob_step_done(struct outbox *ob, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: %s", what);
	return 0;
}

void
ob_job_clear(struct ob_job *j)
{
	free(j->plan);
	free(j->object);
	free(j->recipient);
	free(j->name);
	free(j->address);
	free(j->reason);
	free(j->slot);
	free(j->payload);
	free(j->last_error);
	memset(j, 0, sizeof(*j));
}

#define JOB_COLS \
	"id, plan, kind, object, ordinal, recipient, name, " \
	"channel, address, due, refers, next_at, first_at, " \
	"sent_at, state, reason, attempts, seq, payload, " \
	"last_error, sms_parts, sms_encoding, slot, priority, " \
	"duration"

/* Column i of st as text, "" for NULL: for the names table's lookups,
 * which refuse "" like any name they do not know. */
static const char *
col_name(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

/*
 * Read the row st into j. Returns 0, or -1 (the outbox's error says which
 * job and which name) when a kind, channel, state or priority is not one
 * this loa knows: a newer loa's row, or a hand-edited one.
 */
static int
ob_row(struct outbox *ob, sqlite3_stmt *st, struct ob_job *j)
{
	const unsigned char *id = sqlite3_column_text(st, 0);
	const unsigned char *enc = sqlite3_column_text(st, 21);
	int		     bad;

	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id ? (const char *)id : "");
	j->priority = PRIO_NORMAL;
	bad = job_kind_from_name(col_name(st, 2), &j->kind) == -1  ? 2 :
	    channel_from_name(col_name(st, 7), &j->channel) == -1  ? 7 :
	    job_state_from_name(col_name(st, 14), &j->state) == -1 ? 14 :
	    sqlite3_column_type(st, 23) != SQLITE_NULL &&
		priority_from_name(col_name(st, 23), &j->priority) == -1 ?
								     23 :
								     0;
	if (bad != 0) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: job %s: unknown %s "
		    "\"%s\"",
		    j->id,
		    bad == 2	  ? "kind" :
			bad == 7  ? "channel" :
			bad == 14 ? "state" :
				    "priority",
		    col_name(st, bad));
		return -1;
	}
	j->sms_encoding = enc != NULL &&
		strcmp((const char *)enc, "ucs2") == 0 ?
	    SMS_UCS2 :
	    SMS_GSM7;
	j->slot = col_text(st, 22);
	j->duration = sqlite3_column_int(st, 24);
	j->plan = col_text(st, 1);
	j->object = col_text(st, 3);
	j->ordinal = sqlite3_column_int(st, 4);
	j->recipient = col_text(st, 5);
	j->name = col_text(st, 6);
	j->address = col_text(st, 8);
	j->due = sqlite3_column_int64(st, 9);
	j->refers = col_time(st, 10);
	j->next_at = sqlite3_column_int64(st, 11);
	j->first_at = col_time(st, 12);
	j->sent_at = col_time(st, 13);
	j->reason = col_text(st, 15);
	j->attempts = sqlite3_column_int(st, 16);
	j->seq = sqlite3_column_int(st, 17);
	j->payload = col_text(st, 18);
	j->last_error = col_text(st, 19);
	j->sms_parts = sqlite3_column_int(st, 20);
	return 0;
}

int
outbox_insert(struct outbox *ob, const struct ob_job *j)
{
	sqlite3_stmt *st;

	if (ob_prepare(ob, &ob->insert,
		"INSERT OR IGNORE INTO jobs (" JOB_COLS
		", updated, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, "
		"?9, ?10, ?11, ?12, NULL, NULL, ?13, ?14, 0, ?15, ?16, NULL, "
		"?17, "
		"?18, ?19, ?20, ?21, ?12, ?22)") == -1)
		return -1;
	assert(j->kind < JK__N && j->channel < CH__N && j->state < JS__N);
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
	bind_time(st, 22, policy_expires(j->kind, j->due, j->refers));
	return ob_step_done(ob, st, "inserting a job");
}

static int
same_text(const unsigned char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp((const char *)a, b) == 0);
}

int
outbox_upsert(struct outbox *ob, const struct job *j, int *changed)
{
	sqlite3_stmt *st;
	int	      rc;

	*changed = 0;
	assert(j->state < JS__N && j->kind < JK__N);
	if (ob_prepare(ob, &ob->upsert_get,
		"SELECT state, due, address, "
		"reason FROM jobs WHERE id = ?1") == -1)
		return -1;
	st = ob->upsert_get;
	bind_text(st, 1, j->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		enum job_state state;
		int known = job_state_from_name(col_name(st, 0), &state) == 0;
		int64_t due = sqlite3_column_int64(st, 1);
		int	same;

		if (!known) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: job %s: "
			    "unknown state \"%s\"",
			    j->id, (const char *)sqlite3_column_text(st, 0));
			sqlite3_reset(st);
			return -1;
		}
		same = due == j->due && state == (enum job_state)j->state &&
		    same_text(sqlite3_column_text(st, 2), j->address) &&
		    same_text(sqlite3_column_text(st, 3), j->reason);
		sqlite3_reset(st);
		if (same ||
		    !policy_rederive(state, due, (enum job_state)j->state,
			j->due))
			return 0;
		if (ob_prepare(ob, &ob->update_unsent,
			"UPDATE jobs SET due = "
			"?2, next_at = ?2, refers = ?3, address = ?4, state = "
			"?5, "
			"reason = ?6, sms_parts = ?7, slot = ?8, duration = "
			"?9, "
			"expires_at = ?10, sms_encoding = ?11, priority = ?12 "
			"WHERE id = ?1") == -1)
			return -1;
		st = ob->update_unsent;
		bind_text(st, 1, j->id);
		sqlite3_bind_int64(st, 2, j->due);
		bind_time(st, 3, j->refers);
		bind_text(st, 4, j->address);
		bind_text(st, 5, job_state_names[j->state]);
		bind_text(st, 6, j->reason);
		sqlite3_bind_int(st, 7, j->sms_parts);
		bind_text(st, 8, j->slot);
		sqlite3_bind_int(st, 9, j->duration);
		bind_time(st, 10,
		    policy_expires((enum job_kind)j->kind, j->due, j->refers));
		bind_text(st, 11,
		    j->channel == CH_SMS ?
			sms_encoding_name((enum sms_encoding)j->sms_encoding) :
			NULL);
		bind_text(st, 12,
		    j->kind == JK_BROADCAST ? priority_names[j->priority] :
					      NULL);
		*changed = 2;
		return ob_step_done(ob, st, "rescheduling a job");
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: reading a job");
	{
		struct ob_job o;

		memset(&o, 0, sizeof(o));
		memcpy(o.id, j->id, sizeof(o.id));
		o.plan = j->plan->id;
		o.kind = (enum job_kind)j->kind;
		o.object = (char *)j->object;
		o.ordinal = j->ordinal;
		o.recipient = j->to ? j->to->id : NULL;
		o.name = j->to ? j->to->name : NULL;
		o.channel = (enum channel)j->channel;
		o.address = (char *)j->address;
		o.due = o.next_at = j->due;
		o.refers = j->refers;
		o.state = (enum job_state)j->state;
		o.reason = (char *)j->reason;
		o.sms_parts = j->sms_parts;
		o.sms_encoding = j->sms_encoding;
		o.slot = (char *)j->slot;
		o.priority = (enum priority)j->priority;
		o.duration = j->duration;
		*changed = 1;
		return outbox_insert(ob, &o);
	}
}

int
outbox_seen_reset(struct outbox *ob)
{
	return ob_exec(ob, "DELETE FROM temp.seen");
}

int
outbox_seen(struct outbox *ob, const char *id)
{
	if (ob_prepare(ob, &ob->seen,
		"INSERT OR IGNORE INTO temp.seen (id) "
		"VALUES (?1)") == -1)
		return -1;
	bind_text(ob->seen, 1, id);
	return ob_step_done(ob, ob->seen, "marking a job seen");
}

int
outbox_cancel_unseen(struct outbox *ob, int64_t now, int *n)
{
	/* Updates and cancellations are made by reconciliation itself. */
	return ob_write(ob, "cancelling vanished jobs", n,
	    "UPDATE jobs SET "
	    "state = 'cancelled', reason = 'no longer in the plan', updated = "
	    "?1 WHERE state IN " SQL_UNSENT " AND kind NOT IN "
	    "('update', 'cancel') AND id NOT IN (SELECT id FROM temp.seen)",
	    "I", now);
}

int
outbox_requeue_sending(struct outbox *ob, int *n)
{
	if (ob_exec(ob,
		"UPDATE jobs SET state = 'pending' WHERE state = "
		"'sending'") == -1)
		return -1;
	*n = sqlite3_changes(ob->db);
	return 0;
}

int
outbox_claim(struct outbox *ob, int64_t now, enum channel ch, int max,
    struct ob_job **v, size_t *n)
{
	sqlite3_stmt *st = NULL, *up = NULL;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (outbox_begin(ob) == -1)
		return -1;
	/* One state at a time, so the index gives the order. */
	if (sqlite3_prepare_v2(ob->db,
		"SELECT " JOB_COLS " FROM jobs WHERE "
		"state = ?4 AND next_at <= ?1 AND (?2 IS NULL OR channel = ?2) "
		"ORDER BY next_at, id LIMIT ?3",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ob->db,
		"UPDATE jobs SET state = 'sending', "
		"attempts = attempts + 1, first_at = coalesce(first_at, ?2), "
		"updated = ?2 WHERE id = ?1",
		-1, &up, NULL) != SQLITE_OK) {
		ob_fail(ob, "outbox: prepare");
		goto fail;
	}
	for (int k = 0; k < 2 && (int)*n < max; k++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, now);
		bind_text(st, 2, ch < CH__N ? channel_names[ch] : NULL);
		sqlite3_bind_int(st, 3, max - (int)*n);
		bind_text(st, 4, k == 0 ? "pending" : "failed");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			xgrow(v, &cap, *n + 1, sizeof(**v));
			if (ob_row(ob, st, &(*v)[*n]) == -1) {
				ob_job_clear(&(*v)[*n]);
				goto fail;
			}
			(*v)[*n].attempts++;
			if ((*v)[*n].first_at == TIMEX_NONE)
				(*v)[*n].first_at = now;
			(*n)++;
		}
		if (rc != SQLITE_DONE) {
			ob_fail(ob, "outbox: claiming jobs");
			goto fail;
		}
	}
	for (size_t i = 0; i < *n; i++) {
		bind_text(up, 1, (*v)[i].id);
		sqlite3_bind_int64(up, 2, now);
		if (ob_step_done(ob, up, "claiming a job") == -1)
			goto fail;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	/* Committed (and synced) before anything is sent. */
	if (outbox_commit(ob) == -1)
		goto fail2;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
fail2:
	outbox_rollback(ob);
	for (size_t i = 0; i < *n; i++)
		ob_job_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

static int
ob_attempt(struct outbox *ob, const char *id, int64_t now, const char *outcome,
    const char *answer)
{
	if (ob_prepare(ob, &ob->attempt,
		"INSERT INTO attempts (job, at, "
		"outcome, answer) VALUES (?1, ?2, ?3, ?4)") == -1)
		return -1;
	bind_text(ob->attempt, 1, id);
	sqlite3_bind_int64(ob->attempt, 2, now);
	bind_text(ob->attempt, 3, outcome);
	bind_text(ob->attempt, 4, answer);
	return ob_step_done(ob, ob->attempt, "recording an attempt");
}

int
outbox_sent(struct outbox *ob, const char *id, int64_t now, const char *answer)
{
	if (ob_prepare(ob, &ob->sent,
		"UPDATE jobs SET state = 'sent', sent_at = ?2, "
		/* A text cut to fit max_parts says so (gw_msg.note). */
		"reason = CASE WHEN ?3 LIKE 'cut to % part% (was %)%' "
		"THEN substr(?3, 1, instr(?3, ')')) END, "
		"updated = ?2 WHERE id = ?1") == -1)
		return -1;
	bind_text(ob->sent, 1, id);
	sqlite3_bind_int64(ob->sent, 2, now);
	bind_text(ob->sent, 3, answer);
	if (ob_step_done(ob, ob->sent, "recording a send") == -1)
		return -1;
	return ob_attempt(ob, id, now, "sent", answer);
}

int
outbox_retry(struct outbox *ob, const char *id, int64_t now, int64_t next_at,
    const char *answer)
{
	if (ob_prepare(ob, &ob->retry,
		"UPDATE jobs SET state = 'failed', "
		"next_at = ?2, last_error = ?3, updated = ?4 WHERE id = ?1") ==
	    -1)
		return -1;
	bind_text(ob->retry, 1, id);
	sqlite3_bind_int64(ob->retry, 2, next_at);
	bind_text(ob->retry, 3, answer);
	sqlite3_bind_int64(ob->retry, 4, now);
	if (ob_step_done(ob, ob->retry, "recording a failure") == -1)
		return -1;
	return ob_attempt(ob, id, now, "tempfail", answer);
}

int
outbox_finish(struct outbox *ob, const char *id, int64_t now,
    enum job_state state, const char *reason)
{
	assert(
	    state == JS_DEAD || state == JS_EXPIRED || state == JS_CANCELLED);
	if (ob_prepare(ob, &ob->finish,
		"UPDATE jobs SET state = ?2, "
		"reason = ?3, last_error = coalesce(?3, last_error), updated = "
		"?4 "
		"WHERE id = ?1") == -1)
		return -1;
	bind_text(ob->finish, 1, id);
	bind_text(ob->finish, 2, job_state_names[state]);
	bind_text(ob->finish, 3, reason);
	sqlite3_bind_int64(ob->finish, 4, now);
	if (ob_step_done(ob, ob->finish, "finishing a job") == -1)
		return -1;
	return state == JS_DEAD ? ob_attempt(ob, id, now, "permfail", reason) :
				  0;
}

int
outbox_release(struct outbox *ob, const char *id, int64_t next_at)
{
	return ob_write(ob, "releasing a job", NULL,
	    "UPDATE jobs SET state = "
	    "'pending', attempts = max(attempts - 1, 0), next_at = ?2 WHERE "
	    "id = ?1",
	    "sI", id, next_at);
}

int
outbox_next(struct outbox *ob, int64_t *at)
{
	sqlite3_stmt *st;
	int	      rc;

	*at = TIMEX_NONE;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT min(next_at) FROM jobs WHERE "
		"state IN " SQL_READY,
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*at = col_time(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ob_fail(ob, "outbox: next due job");
}

int
outbox_expire(struct outbox *ob, int64_t now, int *n)
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
	int	      rc, more, kind;

	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT id, kind, refers FROM jobs "
		"WHERE state IN " SQL_READY " AND next_at <= ?1 AND "
		"expires_at <= ?1",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum job_kind k;

		if (job_kind_from_name(col_name(st, 1), &k) == -1) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: job %s: "
			    "unknown kind",
			    sqlite3_column_text(st, 0));
			sqlite3_finalize(st);
			return -1;
		}
		if (ob_write(ob, "expiring a job", NULL,
			"UPDATE jobs SET "
			"state = 'expired', reason = ?2, updated = ?3 WHERE id "
			"= ?1",
			"ssI", (const char *)sqlite3_column_text(st, 0),
			policy_expired_reason(k, col_time(st, 2), now),
			now) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: expiring jobs");
	/*
	 * After downtime several reminders of one thing to one recipient
	 * can be due at once: only the latest goes, the earlier say less.
	 */
	for (kind = 0; kind < JK__N; kind++) {
		/* The kinds policy_collapses names. */
		if (!policy_collapses((enum job_kind)kind))
			continue;
		if (ob_write(ob, "expiring reminders", &more,
			"UPDATE jobs SET state = 'expired', reason = 'a later "
			"reminder of it is due too', updated = ?1 WHERE state "
			"IN " SQL_READY " AND kind = ?2 AND due <= ?1 AND "
			"EXISTS (SELECT 1 FROM jobs l WHERE l.plan = jobs.plan "
			"AND l.object = jobs.object AND l.recipient = "
			"jobs.recipient AND l.kind = jobs.kind AND l.channel = "
			"jobs.channel AND l.state IN " SQL_READY " AND l.due > "
			"jobs.due AND l.due <= ?1)",
			"Is", now, job_kind_names[kind]) == -1)
			return -1;
		*n += more;
	}
	return 0;
}

int
outbox_list(struct outbox *ob, enum job_state state, struct ob_job **v,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT " JOB_COLS " FROM jobs WHERE "
		"?1 IS NULL OR state = ?1 ORDER BY due, plan, kind, object, "
		"ordinal, recipient, channel",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, state < JS__N ? job_state_names[state] : NULL);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(v, &cap, *n + 1, sizeof(**v));
		if (ob_row(ob, st, &(*v)[*n]) == -1) {
			ob_job_clear(&(*v)[*n]);
			rc = -1;
			break;
		}
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	while (*n > 0)
		ob_job_clear(&(*v)[--*n]);
	free(*v);
	*v = NULL;
	return rc == -1 ? -1 : ob_fail(ob, "outbox: listing jobs");
}

int
outbox_get(struct outbox *ob, const char *id, struct ob_job *j, int *found)
{
	sqlite3_stmt *st;
	int	      rc;

	*found = 0;
	memset(j, 0, sizeof(*j));
	if (sqlite3_prepare_v2(ob->db,
		"SELECT " JOB_COLS " FROM jobs WHERE "
		"id = ?1",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ob_row(ob, st, j) == -1) {
			ob_job_clear(j);
			sqlite3_finalize(st);
			return -1;
		}
		*found = 1;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return 0;
	return ob_fail(ob, "outbox: reading job %s", id);
}

void
ob_event_clear(struct ob_event *e)
{
	free(e->event);
	free(e->fingerprint);
	free(e->summary);
	free(e->organizer);
	memset(e, 0, sizeof(*e));
}

int
outbox_event_get(struct outbox *ob, const char *plan, const char *event,
    struct ob_event *e, int *found)
{
	sqlite3_stmt *st;
	int	      rc;

	memset(e, 0, sizeof(*e));
	*found = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT seq, fingerprint, summary, "
		"organizer FROM events WHERE plan = ?1 AND event = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	bind_text(st, 2, event);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		e->seq = sqlite3_column_int(st, 0);
		e->fingerprint = col_text(st, 1);
		e->summary = col_text(st, 2);
		e->organizer = col_text(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ?
	    0 :
	    ob_fail(ob, "outbox: reading an event");
}

int
outbox_event_put(struct outbox *ob, const char *plan, const char *event,
    int seq, const char *fingerprint, const char *summary,
    const char *organizer)
{
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
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT event, seq, fingerprint, "
		"summary, organizer FROM events WHERE plan = ?1 ORDER BY event",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ob_event *e;

		xgrow(v, &cap, *n + 1, sizeof(**v));
		e = &(*v)[(*n)++];
		e->event = col_text(st, 0);
		e->seq = sqlite3_column_int(st, 1);
		e->fingerprint = col_text(st, 2);
		e->summary = col_text(st, 3);
		e->organizer = col_text(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ob_fail(ob, "outbox: events");
}

int
outbox_attendee_put(struct outbox *ob, const char *plan, const char *event,
    const char *recipient, const char *name, const char *email,
    const char *phone)
{
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
	return ob_write(ob, "superseding older messages", NULL,
	    "UPDATE jobs "
	    "SET state = 'cancelled', reason = 'superseded', updated = ?6 "
	    "WHERE plan = ?1 AND object = ?2 AND recipient = ?3 AND channel = "
	    "?4 AND kind IN ('update', 'cancel') AND seq < ?5 AND state "
	    "IN " SQL_UNSENT,
	    "ssssiI", plan, event, recipient, channel_names[ch], seq, now);
}

int
outbox_attendees(struct outbox *ob, const char *plan, const char *event,
    struct ob_attendee **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT recipient, name, email, phone FROM "
		"attendees WHERE plan = ?1 AND event = ?2 ORDER BY recipient",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	bind_text(st, 2, event);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ob_attendee *a;

		xgrow(v, &cap, *n + 1, sizeof(**v));
		a = &(*v)[(*n)++];
		a->id = col_text(st, 0);
		a->name = col_text(st, 1);
		a->email = col_text(st, 2);
		a->phone = col_text(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ob_fail(ob, "outbox: attendees");
}

void
ob_attendees_free(struct ob_attendee *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].email);
		free(v[i].phone);
	}
	free(v);
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

int
outbox_task_is_done(struct outbox *ob, const char *plan, const char *task,
    int *done)
{
	sqlite3_stmt *st;
	int	      rc;

	if (sqlite3_prepare_v2(ob->db,
		"SELECT 1 FROM tasks_done WHERE plan = "
		"?1 AND task = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	bind_text(st, 2, task);
	rc = sqlite3_step(st);
	*done = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ?
	    0 :
	    ob_fail(ob, "outbox: reading tasks done");
}
