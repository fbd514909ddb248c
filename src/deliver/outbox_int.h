/*
 * outbox_int.h: the outbox's state and the helpers its files share. The
 * outbox is one SQLite store split by who asks: outbox.c (open, schema,
 * migrations, the lock, transactions), outbox_sql.c (the helpers below),
 * outbox_jobs.c (the send path: claim, land, retry, expire),
 * outbox_reconcile.c (plans against the stored jobs), outbox_itip.c (what
 * invitations and alerts announced), outbox_bq.c (the loudspeaker's queue)
 * and outbox_read.c (what the API and the CLI read). Nothing outside
 * these files includes it: every SQL statement stays behind outbox.h.
 */
#ifndef LOA_OUTBOX_INT_H
#define LOA_OUTBOX_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "deliver/outbox.h"
#include "util/log.h"

/*
 * The states a job can still be sent from, and those a claim takes: the
 * one place the SQL names them (policy_unsent says the same in C).
 */
#define SQL_UNSENT "('held', 'pending', 'failed')"
#define SQL_READY  "('pending', 'failed')"

/* A stored job as reconciliation compares it (outbox_reconcile.c). */
struct known;

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

/*
 * Named columns. A SELECT's columns are written once, as a list of
 * C(NAME, "sql") pairs (the first one's text bare, each later one's
 * starting with ", "): OB_COL_SQL makes the SQL text of the list and
 * OB_COL_ENUM an enum of the column indexes, so a row is read by name.
 */
#define OB_COL_ENUM(name, sql) name,
#define OB_COL_SQL(name, sql)  sql

/* A job's columns as struct ob_job has them (ob_row reads them). */
#define JOB_COLUMNS(C) \
	C(JC_ID, "id") \
	C(JC_PLAN, ", plan") \
	C(JC_KIND, ", kind") \
	C(JC_OBJECT, ", object") \
	C(JC_ORDINAL, ", ordinal") \
	C(JC_RECIPIENT, ", recipient") \
	C(JC_NAME, ", name") \
	C(JC_CHANNEL, ", channel") \
	C(JC_ADDRESS, ", address") \
	C(JC_DUE, ", due") \
	C(JC_REFERS, ", refers") \
	C(JC_NEXT_AT, ", next_at") \
	C(JC_FIRST_AT, ", first_at") \
	C(JC_SENT_AT, ", sent_at") \
	C(JC_STATE, ", state") \
	C(JC_REASON, ", reason") \
	C(JC_ATTEMPTS, ", attempts") \
	C(JC_SEQ, ", seq") \
	C(JC_PAYLOAD, ", payload") \
	C(JC_LAST_ERROR, ", last_error") \
	C(JC_SMS_PARTS, ", sms_parts") \
	C(JC_SMS_ENCODING, ", sms_encoding") \
	C(JC_SLOT, ", slot") \
	C(JC_PRIORITY, ", priority") \
	C(JC_DURATION, ", duration")

/* JC__N: a column a SELECT adds after the job's (claims: its rowid). */
enum job_col {
	JOB_COLUMNS(OB_COL_ENUM) JC__N
};
#define JOB_COLS JOB_COLUMNS(OB_COL_SQL)

/*
 * A row reader: reads the row st holds into dst (a zeroed element, or the
 * caller's context). 0, or -1 with the outbox's error set.
 */
typedef int ob_read_fn(struct outbox *, sqlite3_stmt *, void *dst);

/*
 * How a kind of row is read: its size, its reader (what it filled before
 * failing is the clear's to free), and a clear that frees what an element
 * holds (NULL: nothing) and is safe on a zeroed or half-read one.
 */
struct ob_rowtype {
	size_t	    size;
	ob_read_fn *read;
	void (*clear)(void *);
};

/* outbox_sql.c: errors and statements. */
/*
 * bind_peer: what a peer said (a gateway's answer, a delivery report, an
 * error holding either), bound as kept: text_peer (valid UTF-8 on one
 * line, at most OB_PEER_MAX bytes), every secret blotted (util/secret). A
 * copy is bound: s may go at once.
 */
#define OB_PEER_MAX 1024
int	    ob_fail(struct outbox *, const char *, ...) LOA_PRINTF(2, 3);
int	    ob_exec(struct outbox *, const char *sql);
int	    ob_prepare(struct outbox *, sqlite3_stmt **, const char *sql);
int	    ob_step_done(struct outbox *, sqlite3_stmt *, const char *what);
void	    bind_text(sqlite3_stmt *, int, const char *);
void	    bind_peer(sqlite3_stmt *, int, const char *);
void	    bind_time(sqlite3_stmt *, int, int64_t);
char	   *col_text(sqlite3_stmt *, int);
int64_t	    col_time(sqlite3_stmt *, int);
const char *col_name(sqlite3_stmt *, int);

/*
 * The one way a statement is run: prepared (ob_vquery, outbox_sql.c), its
 * parameters bound in order from the type string: 's' text (NULL binds
 * NULL), 'p' a peer's text (bind_peer), 'i' int, 'I' int64, 't' a time
 * (TIMEX_NONE binds NULL); one a parameter, every parameter bound. what names it in an error ("outbox:
 * WHAT"). Each returns 0, or -1 with the outbox's error set, and ON -1
 * THERE IS NOTHING TO FREE: whatever the call had collected is freed, its
 * outputs are empty.
 *
 * ob_write: a statement that writes; *changes (unless NULL), rows changed.
 * ob_each:  every row through row(ob, st, arg), until it returns -1.
 * ob_collect: every row into a vector of t's elements, *v (the caller's,
 *	     NULL when empty) of *n; -1 leaves *v NULL and *n 0.
 * ob_one:   the row of a select of at most one (a key's, an aggregate's)
 *	     into dst (zeroed first) with *found 1, or *found 0 when there
 *	     is none; -1 leaves dst zeroed and *found 0.
 */
int  ob_write(struct outbox *, const char *what, int *changes, const char *sql,
     const char *types, ...);
int  ob_each(struct outbox *, const char *what, ob_read_fn *row, void *arg,
     const char *sql, const char *types, ...);
int  ob_collect(struct outbox *, const char *what, const struct ob_rowtype *t,
     void **v, size_t *n, const char *sql, const char *types, ...);
int  ob_one(struct outbox *, const char *what, const struct ob_rowtype *t,
     void *dst, int *found, const char *sql, const char *types, ...);
/* Free a vector of n of t's elements (NULL is safe). */
void ob_vec_free(const struct ob_rowtype *t, void *v, size_t n);

/* A job read by name (JOB_COLS first in its SELECT) into a zeroed j. */
int ob_row(struct outbox *, sqlite3_stmt *, struct ob_job *j);
/* Jobs as rows: the reader and clear of struct ob_job. */
extern const struct ob_rowtype ob_job_rows;
/* Whether a job is claimed ahead of the rest: an emergency's. */
int			       job_urgent(enum job_kind, enum priority);

/* outbox_jobs.c: a line of a job's attempts (cached statement). */
int ob_attempt(struct outbox *, const char *id, int64_t now,
    const char *outcome, const char *answer);

#endif
