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
#include "util/mem.h"
#include "util/arena.h"
#include "util/fs.h"

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
	sqlite3_stmt *insert;
	sqlite3_stmt *update_unsent;
	sqlite3_stmt *sent;
	sqlite3_stmt *retry;
	sqlite3_stmt *finish;
	sqlite3_stmt *attempt;
	/* The send path's, held for the service's life. */
	sqlite3_stmt *claim_sel[2][CH__N]; /* urgent, then the rest */
	sqlite3_stmt *claim_up;
	sqlite3_stmt *release;
	sqlite3_stmt *next;
	sqlite3_stmt *expire_sel;
	sqlite3_stmt *expire_up;
	sqlite3_stmt *cancel_row;
	/*
	 * Reconciliation: every job the outbox held when it began, by id
	 * (read in one pass, looked up in memory), marked as the plans
	 * derive them; and the new jobs, inserted at the end in id order.
	 */
	struct known *known;
	size_t	      nknown;
	int	      kloaded;
	struct arena *karena;
	struct job   *fresh;
	size_t	      nfresh, capfresh;
};

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
	/* 4 -> 5: claims and the next due time are asked a channel at a
	 * time (a channel at its limit or paused never holds up another). */
	"DROP INDEX jobs_ready;"
	"CREATE INDEX jobs_ready ON jobs(state, channel, next_at, id);",
	/* 5 -> 6: the loudspeaker's queue: ad-hoc items (`loa broadcast
	 * add`; n is never reused: rows are never deleted) and the items
	 * cancelled (`loa broadcast cancel`), of any plan. */
	"CREATE TABLE bqueue ("
	"  n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL, text TEXT NOT NULL, priority TEXT NOT NULL,"
	"  air INTEGER NOT NULL, expires INTEGER, created INTEGER NOT NULL);"
	"CREATE TABLE bcancelled ("
	"  plan TEXT NOT NULL, item TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY (plan, item));",
	/* 6 -> 7: emergencies first. An emergency's jobs (its broadcast,
	 * its SMS) are urgent: claimed ahead of the rest of their channel
	 * through an index of their own, partial, so that no other job is
	 * ever written into it. And what each emergency item's CAP alerts
	 * said (a fingerprint) and which alerts were sent (CAP references),
	 * for its Update and Cancel. */
	"ALTER TABLE jobs ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;"
	"UPDATE jobs SET urgent = 1 WHERE kind = 'broadcast' AND"
	"  priority = 'emergency';"
	"CREATE INDEX jobs_urgent ON jobs(state, channel, next_at, id)"
	"  WHERE urgent = 1;"
	"CREATE TABLE alerts ("
	"  plan TEXT NOT NULL, item TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  fingerprint TEXT NOT NULL, refs TEXT NOT NULL,"
	"  PRIMARY KEY (plan, item));",
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
		/* The send path's pages stay in memory (16 MiB), and the WAL
		 * is folded back less often than the default 1,000 pages. */
		"PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=4000;"
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
	return ob;
fail:
	snprintf(err, errlen, "%s: %s", path, ob->err);
	outbox_close(ob);
	return NULL;
}

int
outbox_lock(const char *path, char *err, size_t errlen)
{
	char	    *lock = xasprintf("%s.lock", path), pid[32];
	char	    *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int	     fd, locked, tries = 0;
	struct flock fl;

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
	/* `loa broadcast` looks whether the lock is held by taking it
	 * shared for an instant: a few tries before giving up. */
	while ((locked = flock(fd, LOCK_EX | LOCK_NB)) == -1 &&
	    errno == EWOULDBLOCK && tries++ < 5)
		usleep(20000);
	if (locked == -1) {
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
	/* Then a POSIX lock on it, which names its holder (F_GETLK): whom
	 * `loa broadcast` signals, never a pid read from the file, which
	 * names an earlier holder until the write below. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, pid, strlen(pid), 0) != (ssize_t)strlen(pid) ||
	    fcntl(fd, F_SETLK, &fl) == -1) {
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
	sqlite3_finalize(ob->insert);
	sqlite3_finalize(ob->update_unsent);
	sqlite3_finalize(ob->sent);
	sqlite3_finalize(ob->retry);
	sqlite3_finalize(ob->finish);
	sqlite3_finalize(ob->attempt);
	for (int ch = 0; ch < CH__N; ch++) {
		sqlite3_finalize(ob->claim_sel[0][ch]);
		sqlite3_finalize(ob->claim_sel[1][ch]);
	}
	sqlite3_finalize(ob->claim_up);
	sqlite3_finalize(ob->release);
	sqlite3_finalize(ob->next);
	sqlite3_finalize(ob->expire_sel);
	sqlite3_finalize(ob->expire_up);
	sqlite3_finalize(ob->cancel_row);
	free(ob->known);
	free(ob->fresh);
	arena_free(ob->karena);
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
	/* Every string bound outlives the step that reads it: no copy. */
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
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

/* Whether a job is claimed ahead of the rest: an emergency's. */
static int
job_urgent(enum job_kind k, enum priority prio)
{
	return k == JK_BROADCAST && prio == PRIO_EMERGENCY;
}

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

int
outbox_upsert_flush(struct outbox *ob, int (*stop)(void))
{
	size_t i;
	int    rc = 0, bulk;

	if (ob->nfresh > 1)
		qsort(ob->fresh, ob->nfresh, sizeof(*ob->fresh), job_id_cmp);
	bulk = ob->nfresh >= 10000 && ob->nfresh > ob->nknown;
	if (bulk && ob_exec(ob, SQL_DROP_INDEXES) == -1)
		return -1;
	for (i = 0; i < ob->nfresh && rc == 0; i++) {
		const struct job *j = &ob->fresh[i];
		struct ob_job	  o;

		if (i % 2000 == 0 && stop != NULL && stop()) {
			snprintf(ob->err, sizeof(ob->err), "outbox: stopped");
			ob->nfresh = 0;
			return -1;
		}

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

int
outbox_seen_reset(struct outbox *ob)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	free(ob->known);
	ob->known = NULL;
	ob->nknown = 0;
	ob->nfresh = 0;
	arena_free(ob->karena);
	ob->karena = arena_new();
	ob->kloaded = 0;
	/* One pass, in id order (the primary key's index). */
	if (sqlite3_prepare_v2(ob->db,
		"SELECT id, state, kind, due, address, reason, rowid, "
		"payload LIKE 'cap %', priority FROM jobs ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct known  *k;
		enum job_state state;
		enum job_kind  kind;
		enum priority  prio = PRIO_NORMAL;
		const char    *a = (const char *)sqlite3_column_text(st, 4);
		const char    *r = (const char *)sqlite3_column_text(st, 5);

		if (job_state_from_name(col_name(st, 1), &state) == -1 ||
		    job_kind_from_name(col_name(st, 2), &kind) == -1) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: job %s: unknown state \"%s\" or kind "
			    "\"%s\"",
			    col_name(st, 0), col_name(st, 1), col_name(st, 2));
			sqlite3_finalize(st);
			return -1;
		}
		xgrow(&ob->known, &cap, ob->nknown + 1, sizeof(*ob->known));
		k = &ob->known[ob->nknown++];
		memset(k, 0, sizeof(*k));
		snprintf(k->id, sizeof(k->id), "%s", col_name(st, 0));
		k->state = (unsigned char)state;
		k->kind = (unsigned char)kind;
		k->due = sqlite3_column_int64(st, 3);
		k->address = a != NULL ? arena_strdup(ob->karena, a) : NULL;
		k->reason = r != NULL ? arena_strdup(ob->karena, r) : NULL;
		k->rowid = sqlite3_column_int64(st, 6);
		k->made = kind == JK_BROADCAST && sqlite3_column_int(st, 7);
		if (sqlite3_column_type(st, 8) != SQLITE_NULL &&
		    priority_from_name(col_name(st, 8), &prio) == 0)
			k->prio = (unsigned char)prio;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: reading the jobs");
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
	int64_t ta = sqlite3_column_int64(a, 11),
		tb = sqlite3_column_int64(b, 11);

	if (ta != tb)
		return ta < tb;
	return strcmp((const char *)sqlite3_column_text(a, 0),
		   (const char *)sqlite3_column_text(b, 0)) < 0;
}

int
outbox_claim_in(struct outbox *ob, int64_t now, const int room[CH__N], int max,
    struct ob_job **v, size_t *n, size_t *cap)
{
	static const char *const states[] = { "pending", "failed" };
	int			 rc[CH__N], ch, k, lv, best, left[CH__N];
	size_t			 n0 = *n;
	sqlite3_stmt *const	*sel;

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
		sel = ob->claim_sel[lv];
		for (ch = 0; ch < CH__N; ch++) {
			rc[ch] = SQLITE_DONE;
			if (left[ch] <= 0)
				continue;
			if (claim_open(ob, lv, ch, now, states[k % 2],
				left[ch]) == -1)
				goto fail;
			rc[ch] = sqlite3_step(sel[ch]);
		}
		while ((int)(*n - n0) < max) {
			best = -1;
			for (ch = 0; ch < CH__N; ch++)
				if (rc[ch] == SQLITE_ROW &&
				    (best == -1 ||
					row_before(sel[ch], sel[best])))
					best = ch;
			if (best == -1)
				break;
			xgrow(v, cap, *n + 1, sizeof(**v));
			if (ob_row(ob, sel[best], &(*v)[*n]) == -1) {
				ob_job_clear(&(*v)[*n]);
				goto fail;
			}
			(*v)[*n].rowid = sqlite3_column_int64(sel[best], 25);
			(*v)[*n].attempts++;
			if ((*v)[*n].first_at == TIMEX_NONE)
				(*v)[*n].first_at = now;
			(*n)++;
			left[best]--;
			rc[best] = sqlite3_step(sel[best]);
		}
		for (ch = 0; ch < CH__N; ch++) {
			if (rc[ch] != SQLITE_DONE && rc[ch] != SQLITE_ROW) {
				ob_fail(ob, "outbox: claiming jobs");
				goto fail;
			}
			if (sel[ch] != NULL)
				sqlite3_reset(sel[ch]);
		}
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
outbox_sent(struct outbox *ob, const char *id, int64_t rowid, int64_t now,
    const char *answer)
{
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
	bind_text(ob->sent, 3, answer);
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
			    sqlite3_column_type(ob->next, 0) != SQLITE_NULL &&
			    (at[ch] == TIMEX_NONE ||
				sqlite3_column_int64(ob->next, 0) < at[ch]))
				at[ch] = sqlite3_column_int64(ob->next, 0);
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
	/* The channels named, so that the claims' index (state, channel,
	 * next_at) bounds next_at too. */
	if (ob_prepare(ob, &ob->expire_sel,
		"SELECT id, kind, refers FROM jobs "
		"WHERE state IN " SQL_READY " AND channel IN ('email', 'sms', "
		"'broadcast') AND next_at <= ?1 AND expires_at <= ?1") == -1 ||
	    ob_prepare(ob, &ob->expire_up,
		"UPDATE jobs SET "
		"state = 'expired', reason = ?2, updated = ?3 WHERE id "
		"= ?1") == -1)
		return -1;
	st = ob->expire_sel;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum job_kind k;

		if (job_kind_from_name(col_name(st, 1), &k) == -1) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: job %s: "
			    "unknown kind",
			    sqlite3_column_text(st, 0));
			sqlite3_reset(st);
			return -1;
		}
		bind_text(ob->expire_up, 1,
		    (const char *)sqlite3_column_text(st, 0));
		bind_text(ob->expire_up, 2,
		    policy_expired_reason(k, col_time(st, 2), now));
		sqlite3_bind_int64(ob->expire_up, 3, now);
		if (ob_step_done(ob, ob->expire_up, "expiring a job") == -1) {
			sqlite3_reset(st);
			return -1;
		}
		(*n)++;
	}
	sqlite3_reset(st);
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

/* The loudspeaker's queue (bqueue.c). */

void
ob_adhoc_free(struct ob_adhoc *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].title);
		free(v[i].text);
	}
	free(v);
}

int
outbox_adhoc_add(struct outbox *ob, const char *title, const char *text,
    enum priority prio, int64_t air, int64_t expires, int64_t now, char **id)
{
	sqlite3_stmt *st;
	int	      rc;

	*id = NULL;
	assert(prio < PRIO__N);
	if (ob_write(ob, "adding an item", NULL,
		"INSERT INTO bqueue (n, id, title, text, priority, air, "
		"expires, created) SELECT coalesce(max(n), 0) + 1, 'tin-' || "
		"(coalesce(max(n), 0) + 1), ?1, ?2, ?3, ?4, ?5, ?6 FROM bqueue",
		"sssItI", title, text, priority_names[prio], air, expires,
		now) == -1)
		return -1;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT id FROM bqueue WHERE rowid = last_insert_rowid()", -1,
		&st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*id = col_text(st, 0);
	sqlite3_finalize(st);
	return *id != NULL ? 0 : ob_fail(ob, "outbox: reading the new item");
}

int
outbox_adhoc_list(struct outbox *ob, struct ob_adhoc **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT id, title, text, priority, air, expires, created "
		"FROM bqueue ORDER BY n",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ob_adhoc *a;

		xgrow(v, &cap, *n + 1, sizeof(**v));
		a = &(*v)[(*n)++];
		memset(a, 0, sizeof(*a));
		a->id = col_text(st, 0);
		a->title = col_text(st, 1);
		a->text = col_text(st, 2);
		a->air = sqlite3_column_int64(st, 4);
		a->expires = col_time(st, 5);
		a->created = sqlite3_column_int64(st, 6);
		if (a->id == NULL || a->title == NULL || a->text == NULL ||
		    priority_from_name(col_name(st, 3), &a->priority) == -1) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: ad-hoc item %s: unknown priority \"%s\"",
			    a->id ? a->id : "?", col_name(st, 3));
			rc = -1;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	ob_adhoc_free(*v, *n);
	*v = NULL;
	*n = 0;
	return rc == -1 ? -1 : ob_fail(ob, "outbox: reading the ad-hoc items");
}

int
outbox_bcancel(struct outbox *ob, const char *plan, const char *item,
    int64_t now, int *jobs)
{
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

void
ob_bcancel_free(struct ob_bcancel *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].plan);
		free(v[i].item);
	}
	free(v);
}

int
outbox_bcancelled(struct outbox *ob, struct ob_bcancel **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT plan, item, at FROM bcancelled ORDER BY plan, item", -1,
		&st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(v, &cap, *n + 1, sizeof(**v));
		(*v)[*n].plan = col_text(st, 0);
		(*v)[*n].item = col_text(st, 1);
		(*v)[*n].at = sqlite3_column_int64(st, 2);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	ob_bcancel_free(*v, *n);
	*v = NULL;
	*n = 0;
	return ob_fail(ob, "outbox: reading the cancelled items");
}

void
ob_airings_free(struct ob_airing *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ob_job_clear(&v[i].job);
	free(v);
}

int
outbox_airings(struct outbox *ob, struct ob_airing **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	/* Every state named: the claims' index (state, channel, ...) finds
	 * the broadcast channel's rows without a scan of the table. */
	if (sqlite3_prepare_v2(ob->db,
		"SELECT " JOB_COLS ", (SELECT max(at) FROM attempts a WHERE "
		"a.job = jobs.id AND a.outcome = 'aired') FROM jobs WHERE "
		"state IN ('held', 'pending', 'sending', 'sent', 'delivered', "
		"'failed', 'dead', 'expired', 'cancelled', 'skipped') AND "
		"channel = 'broadcast' AND kind = 'broadcast' ORDER BY due, id",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(v, &cap, *n + 1, sizeof(**v));
		if (ob_row(ob, st, &(*v)[*n].job) == -1) {
			ob_job_clear(&(*v)[*n].job);
			rc = -1;
			break;
		}
		(*v)[*n].aired_at = col_time(st, 25);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	ob_airings_free(*v, *n);
	*v = NULL;
	*n = 0;
	return rc == -1 ? -1 : ob_fail(ob, "outbox: reading the airings");
}

int
outbox_aired(struct outbox *ob, const char *id, int64_t at, int *changed)
{
	/* Handed, or not yet (read live at the station): never one a
	 * running service holds in flight (sending). */
	if (ob_write(ob, "recording an airing", changed,
		"UPDATE jobs SET state = 'delivered', reason = NULL, updated = "
		"?2 WHERE id = ?1 AND channel = 'broadcast' AND state IN "
		"('sent', 'pending', 'failed')",
		"sI", id, at) == -1)
		return -1;
	if (*changed == 0)
		return 0;
	return ob_attempt(ob, id, at, "aired", NULL);
}

void
ob_alert_clear(struct ob_alert *a)
{
	free(a->item);
	free(a->fingerprint);
	free(a->refs);
	memset(a, 0, sizeof(*a));
}

int
outbox_alert_get(struct outbox *ob, const char *plan, const char *item,
    struct ob_alert *a, int *found)
{
	sqlite3_stmt *st;
	int	      rc;

	memset(a, 0, sizeof(*a));
	*found = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT seq, fingerprint, refs FROM alerts WHERE plan = ?1 AND "
		"item = ?2",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	bind_text(st, 2, item);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		a->item = xstrdup(item);
		a->seq = sqlite3_column_int(st, 0);
		a->fingerprint = col_text(st, 1);
		a->refs = col_text(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ?
	    0 :
	    ob_fail(ob, "outbox: reading an alert");
}

int
outbox_alert_put(struct outbox *ob, const char *plan, const char *item, int seq,
    const char *fingerprint, const char *refs)
{
	return ob_write(ob, "writing an alert", NULL,
	    "INSERT OR REPLACE INTO alerts (plan, item, seq, fingerprint, "
	    "refs) VALUES (?1, ?2, ?3, ?4, ?5)",
	    "ssiss", plan, item, seq, fingerprint, refs);
}

int
outbox_alerts(struct outbox *ob, const char *plan, struct ob_alert **v,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT item, seq, fingerprint, refs FROM alerts WHERE plan = "
		"?1 ORDER BY item",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, plan);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ob_alert *a;

		xgrow(v, &cap, *n + 1, sizeof(**v));
		a = &(*v)[(*n)++];
		a->item = col_text(st, 0);
		a->seq = sqlite3_column_int(st, 1);
		a->fingerprint = col_text(st, 2);
		a->refs = col_text(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ob_fail(ob, "outbox: alerts");
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

/*
 * The HTTP API's reads and its two writes (api/api.c): paged listing,
 * attempts, counts, the oldest due job, and delivery reports.
 */
int
outbox_page(struct outbox *ob, const struct ob_filter *f, const char *after,
    int limit, struct ob_job **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT " JOB_COLS " FROM jobs WHERE id > ?1 AND "
		"(?2 IS NULL OR state = ?2) AND (?3 IS NULL OR kind = ?3) AND "
		"(?4 IS NULL OR channel = ?4) AND "
		"(?5 IS NULL OR recipient = ?5) AND "
		"(?6 IS NULL OR object = ?6) ORDER BY id LIMIT ?7",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, after != NULL ? after : "");
	bind_text(st, 2, f->state < JS__N ? job_state_names[f->state] : NULL);
	bind_text(st, 3, f->kind < JK__N ? job_kind_names[f->kind] : NULL);
	bind_text(st, 4, f->channel < CH__N ? channel_names[f->channel] : NULL);
	bind_text(st, 5, f->recipient);
	bind_text(st, 6, f->object);
	sqlite3_bind_int(st, 7, limit);
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

void
ob_attempts_free(struct ob_attempt *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].outcome);
		free(v[i].answer);
	}
	free(v);
}

int
outbox_attempts(struct outbox *ob, const char *id, struct ob_attempt **v,
    size_t *n)
{
	sqlite3_stmt *st;
	size_t	      cap = 0;
	int	      rc;

	*v = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT at, outcome, answer FROM attempts WHERE job = ?1 "
		"ORDER BY rowid",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	bind_text(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(v, &cap, *n + 1, sizeof(**v));
		(*v)[*n].at = sqlite3_column_int64(st, 0);
		(*v)[*n].outcome = col_text(st, 1);
		(*v)[*n].answer = col_text(st, 2);
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	ob_attempts_free(*v, *n);
	*v = NULL;
	*n = 0;
	return ob_fail(ob, "outbox: reading attempts of %s", id);
}

int
outbox_counts(struct outbox *ob, int64_t c[JS__N][JK__N][CH__N])
{
	sqlite3_stmt  *st;
	enum job_state s;
	enum job_kind  k;
	enum channel   ch;
	int	       rc;

	memset(c, 0, sizeof(int64_t) * JS__N * JK__N * CH__N);
	if (sqlite3_prepare_v2(ob->db,
		"SELECT state, kind, channel, count(*) FROM jobs "
		"GROUP BY state, kind, channel",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (job_state_from_name(col_name(st, 0), &s) == -1 ||
		    job_kind_from_name(col_name(st, 1), &k) == -1 ||
		    channel_from_name(col_name(st, 2), &ch) == -1) {
			snprintf(ob->err, sizeof(ob->err),
			    "outbox: a job of unknown state, kind or channel "
			    "(%s, %s, %s)",
			    col_name(st, 0), col_name(st, 1), col_name(st, 2));
			sqlite3_finalize(st);
			return -1;
		}
		c[s][k][ch] += sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ob_fail(ob, "outbox: counting jobs");
}

int
outbox_oldest_due(struct outbox *ob, int64_t now, int64_t *at)
{
	sqlite3_stmt *st;
	int	      rc;

	*at = TIMEX_NONE;
	if (sqlite3_prepare_v2(ob->db,
		"SELECT min(next_at) FROM jobs WHERE state IN " SQL_READY
		" AND next_at <= ?1",
		-1, &st, NULL) != SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ob_fail(ob, "outbox: the oldest due job");
}

int
outbox_dlr(struct outbox *ob, const char *id, int status, const char *report,
    int64_t now, int *found)
{
	const char *outcome;
	int	    n = 0;

	*found = 0;
	switch (status) {
	case 1:
		outcome = "delivered";
		break;
	case 2:
	case 16:
		outcome = "undelivered";
		break;
	case 4:
		outcome = "queued";
		break;
	case 8:
		outcome = "accepted";
		break;
	default:
		outcome = "report";
		break;
	}
	if (outbox_begin(ob) == -1)
		return -1;
	/* Only a job that went out takes a report; one still `sending`
	 * (the report came before the gateway's answer was recorded) is
	 * made delivered by outbox_sent. */
	if (ob_write(ob, "noting a delivery report", &n,
		"INSERT INTO attempts (job, at, outcome, answer) SELECT id, "
		"?2, ?3, ?4 FROM jobs WHERE id = ?1 AND state IN ('sending', "
		"'sent', 'delivered')",
		"sIss", id, now, outcome, report) == -1 ||
	    (n > 0 && status == 1 &&
		ob_write(ob, "marking a job delivered", NULL,
		    "UPDATE jobs SET state = 'delivered', updated = ?2 WHERE "
		    "id = ?1 AND state = 'sent'",
		    "sI", id, now) == -1) ||
	    (n > 0 && (status == 2 || status == 16) &&
		ob_write(ob, "noting an undelivered message", NULL,
		    "UPDATE jobs SET last_error = ?2 WHERE id = ?1", "ss", id,
		    report) == -1)) {
		outbox_rollback(ob);
		return -1;
	}
	if (outbox_commit(ob) == -1)
		return -1;
	*found = n > 0;
	return 0;
}

int
outbox_data_version(struct outbox *ob, int64_t *v)
{
	sqlite3_stmt *st;
	int	      rc;

	if (sqlite3_prepare_v2(ob->db, "PRAGMA data_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return ob_fail(ob, "outbox: prepare");
	rc = sqlite3_step(st);
	*v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ob_fail(ob, "outbox: data_version");
}
