/*
 * outbox.c: the outbox in SQLite. WAL journal, synchronous=FULL: a commit
 * is on disk when outbox_commit returns. The schema is versioned with
 * PRAGMA user_version and migrated forward on open. This file opens,
 * migrates, locks and closes the store and holds its transactions; the
 * rest of the outbox is split by who asks (outbox_int.h).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver/outbox_int.h"
#include "util/fault.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/fs.h"

#define LOA_STR_(x) #x
#define LOA_STR(x)  LOA_STR_(x)

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

/* One migration a schema version, each taking it one step. */
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == OUTBOX_SCHEMA,
    "one migration a schema version");

const char *
outbox_error(const struct outbox *ob)
{
	assert(ob != NULL);
	return ob->err;
}

/* What outbox_is_ours reads of a file. */
#define OURS_COLUMNS(C) \
	C(OURS_APP, "(SELECT application_id FROM pragma_application_id)") \
	C(OURS_VERSION, ", (SELECT user_version FROM pragma_user_version)") \
	C(OURS_JOBS, \
	    ", (SELECT count(*) FROM sqlite_master" \
	    "  WHERE type = 'table' AND name = 'jobs') +" \
	    " (SELECT count(*) FROM sqlite_master" \
	    "  WHERE type = 'index' AND name = 'jobs_ready') +" \
	    " (SELECT count(*) FROM pragma_table_info('jobs') WHERE name IN" \
	    "  ('id', 'plan', 'kind', 'object', 'channel', 'due', " \
	    "'next_at', 'state', 'attempts'))")
enum ours_col {
	OURS_COLUMNS(OB_COL_ENUM)
};

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
		SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
		    SQLITE_OPEN_NOFOLLOW,
		NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT " OURS_COLUMNS(OB_COL_SQL), -1, &st,
		NULL) != SQLITE_OK ||
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
	app = sqlite3_column_int(st, OURS_APP);
	v = sqlite3_column_int(st, OURS_VERSION);
	jobs = sqlite3_column_int(st, OURS_JOBS);
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

/* Make the folder the file at path lives in. Can't fail (mkdirs). */
static void
outbox_mkdir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		mkdirs(dir);
	}
	free(dir);
}

/*
 * Whether path may be opened as an outbox: *create 1 when there is no
 * file (only a missing file makes a new outbox), 0 when the file there is
 * a loa outbox. An empty file, or somebody else's database, is never
 * taken for a new store (and written over): -1 with err set.
 */
static int
outbox_may_open(const char *path, int *create, char *err, size_t errlen)
{
	struct stat sb;

	*create = 0;
	if (lstat(path, &sb) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		*create = 1;
		return 0;
	}
	/* A link planted at the store's name is not followed: loa.store
	 * names the file itself (SQLite keeps -wal and -shm beside it). */
	if (S_ISLNK(sb.st_mode)) {
		snprintf(err, errlen,
		    "%s: a symbolic link; loa opens its store only by its own "
		    "name (set loa.store to the file the link names)",
		    path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a loa outbox (not a file)",
		    path);
		return -1;
	}
	if (sb.st_size == 0) {
		snprintf(err, errlen,
		    "%s: not a loa outbox (an empty file); left as it is: "
		    "loa makes a new outbox only where there is no file",
		    path);
		return -1;
	}
	return outbox_is_ours(path, err, errlen);
}

/* What outbox_migrate reads of the store it opened. */
#define MARK_COLUMNS(C) \
	C(MARK_VERSION, "(SELECT user_version FROM pragma_user_version)") \
	C(MARK_APP, ", (SELECT application_id FROM pragma_application_id)")
enum mark_col {
	MARK_COLUMNS(OB_COL_ENUM)
};

struct mark {
	int version; /* PRAGMA user_version */
	int app;     /* PRAGMA application_id */
};

static int
mark_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	struct mark *m = dst;

	(void)ob;
	m->version = sqlite3_column_int(st, MARK_VERSION);
	m->app = sqlite3_column_int(st, MARK_APP);
	return 0;
}

static const struct ob_rowtype mark_rows = { sizeof(struct mark), mark_read,
	NULL };

/*
 * Set the connection's pragmas, mark the store as loa's and migrate its
 * schema forward, one transaction a version. 0, or -1 with the outbox's
 * error set.
 */
static int
outbox_migrate(struct outbox *ob)
{
	struct mark m;
	int	    v, found;

	if (ob_one(ob, "reading the schema version", &mark_rows, &m, &found,
		"SELECT " MARK_COLUMNS(OB_COL_SQL), "") == -1)
		return -1;
	/* A SELECT without FROM: one row. */
	assert(found);
	v = m.version;
	if (v > OUTBOX_SCHEMA) {
		snprintf(ob->err, sizeof(ob->err),
		    "schema version %d is newer "
		    "than this loa understands (%d)",
		    v, OUTBOX_SCHEMA);
		return -1;
	}
	if (ob_exec(ob,
		"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		/* The send path's pages stay in memory (16 MiB), and the WAL
		 * is folded back less often than the default 1,000 pages. */
		"PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=4000;"
		"PRAGMA foreign_keys=ON;") == -1)
		return -1;
	/* A new outbox, or one made before the mark, is marked as loa's. */
	if (m.app != OUTBOX_APP_ID &&
	    ob_exec(ob, "PRAGMA application_id=" LOA_STR(OUTBOX_APP_ID)) == -1)
		return -1;
	for (; v < OUTBOX_SCHEMA; v++) {
		char sql[64];

		assert(v >= 0 && migrations[v] != NULL);
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;", v + 1);
		if (ob_exec(ob, "BEGIN IMMEDIATE") == -1 ||
		    ob_exec(ob, migrations[v]) == -1 ||
		    ob_exec(ob, sql) == -1 || ob_exec(ob, "COMMIT") == -1) {
			ob_exec(ob, "ROLLBACK");
			return -1;
		}
	}
	return 0;
}

struct outbox *
outbox_open(const char *path, char *err, size_t errlen)
{
	struct outbox *ob;
	int	       create;

	assert(path != NULL && err != NULL && errlen > 0);
	outbox_mkdir(path);
	if (outbox_may_open(path, &create, err, errlen) == -1)
		return NULL;
	ob = xcalloc(1, sizeof(*ob));
	if (sqlite3_open_v2(path, &ob->db,
		SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
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
	if (outbox_migrate(ob) == -1)
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
	char	    *lock, pid[32];
	int	     fd, locked, tries = 0;
	struct flock fl;

	assert(path != NULL && err != NULL && errlen > 0);
	lock = xasprintf("%s.lock", path);
	outbox_mkdir(path);
	/* Never through a link planted at its name (fs.h). */
	if ((fd = fs_open_own(lock, O_RDWR | O_CREAT, 0600, err, errlen)) ==
	    -1) {
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

	assert(ob != NULL);
	sqlite3_exec(ob->db, "ROLLBACK", NULL, NULL, &msg);
	sqlite3_free(msg);
}
