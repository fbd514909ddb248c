/*
 * outbox_sql.c: the helpers every file of the outbox runs its SQL
 * through (outbox_int.h): errors, binding by a type string, one stepping
 * loop for every select, rows read into vectors with one error contract,
 * and a job's row read by its columns' names.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/outbox_int.h"
#include "util/secret.h"
#include "util/sms.h"
#include "util/text.h"
#include "util/mem.h"

int
ob_fail(struct outbox *ob, const char *fmt, ...)
{
	va_list ap;
	size_t	n;

	assert(ob != NULL);
	va_start(ap, fmt);
	vsnprintf(ob->err, sizeof(ob->err), fmt, ap);
	va_end(ap);
	n = strlen(ob->err);
	if (ob->db != NULL && sqlite3_errcode(ob->db) != SQLITE_OK)
		snprintf(ob->err + n, sizeof(ob->err) - n, ": %s",
		    sqlite3_errmsg(ob->db));
	return -1;
}

int
ob_exec(struct outbox *ob, const char *sql)
{
	char *msg = NULL;

	assert(ob != NULL && ob->db != NULL);
	if (sqlite3_exec(ob->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(ob->err, sizeof(ob->err), "outbox: %s",
		    msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* A statement cached in *st: prepared once, reset for each later use. */
int
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

int
ob_step_done(struct outbox *ob, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ob_fail(ob, "outbox: %s", what);
	return 0;
}

void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	/* Every string bound outlives the step that reads it: no copy. */
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

void
bind_peer(sqlite3_stmt *st, int i, const char *s)
{
	char *clean;

	if (s == NULL) {
		sqlite3_bind_null(st, i);
		return;
	}
	/* Valid UTF-8 on one line, bounded, every secret blotted: no
	 * reader of the outbox can be crashed or shown a secret by what a
	 * peer sent. */
	clean = text_peer(s, strlen(s), OB_PEER_MAX);
	secret_blot(clean);
	sqlite3_bind_text(st, i, clean, -1, SQLITE_TRANSIENT);
	free(clean);
}

void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == TIMEX_NONE)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

int64_t
col_time(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return TIMEX_NONE;
	return sqlite3_column_int64(st, i);
}

/* Column i of st as text, "" for NULL: for the names table's lookups,
 * which refuse "" like any name they do not know. */
const char *
col_name(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

/* Prepare sql and bind ap by types (outbox_int.h); -1 leaves *st NULL. */
static int
ob_vquery(struct outbox *ob, sqlite3_stmt **st, const char *what,
    const char *sql, const char *types, va_list ap)
{
	int i;

	assert(ob != NULL && ob->db != NULL && what != NULL && types != NULL);
	*st = NULL;
	if (sqlite3_prepare_v2(ob->db, sql, -1, st, NULL) != SQLITE_OK) {
		ob_fail(ob, "outbox: prepare (%s)", what);
		sqlite3_finalize(*st);
		*st = NULL;
		return -1;
	}
	/* One type a parameter: none left unbound (NULL), none too many. */
	assert(sqlite3_bind_parameter_count(*st) == (int)strlen(types));
	for (i = 0; types[i] != '\0'; i++) {
		switch (types[i]) {
		case 's':
			bind_text(*st, i + 1, va_arg(ap, const char *));
			break;
		case 'p':
			bind_peer(*st, i + 1, va_arg(ap, const char *));
			break;
		case 'i':
			sqlite3_bind_int(*st, i + 1, va_arg(ap, int));
			break;
		case 'I':
			sqlite3_bind_int64(*st, i + 1, va_arg(ap, int64_t));
			break;
		default:
			assert(types[i] == 't');
			bind_time(*st, i + 1, va_arg(ap, int64_t));
			break;
		}
	}
	return 0;
}

int
ob_write(struct outbox *ob, const char *what, int *changes, const char *sql,
    const char *types, ...)
{
	sqlite3_stmt *st;
	va_list	      ap;
	int	      rc;

	va_start(ap, types);
	rc = ob_vquery(ob, &st, what, sql, types, ap);
	va_end(ap);
	if (rc == -1)
		return -1;
	/* A statement that writes returns no row. */
	assert(sqlite3_column_count(st) == 0);
	if (sqlite3_step(st) != SQLITE_DONE) {
		ob_fail(ob, "outbox: %s", what);
		sqlite3_finalize(st);
		return -1;
	}
	if (changes != NULL)
		*changes = sqlite3_changes(ob->db);
	sqlite3_finalize(st);
	return 0;
}

/* The stepping loop: the one every select of the outbox goes through. */
static int
ob_veach(struct outbox *ob, const char *what, ob_read_fn *row, void *arg,
    const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st;
	int	      rc;

	if (ob_vquery(ob, &st, what, sql, types, ap) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (row(ob, st, arg) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	if (rc != SQLITE_DONE)
		ob_fail(ob, "outbox: %s", what);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
ob_each(struct outbox *ob, const char *what, ob_read_fn *row, void *arg,
    const char *sql, const char *types, ...)
{
	va_list ap;
	int	rc;

	va_start(ap, types);
	rc = ob_veach(ob, what, row, arg, sql, types, ap);
	va_end(ap);
	return rc;
}

/* A vector being collected: n elements of t's, cap allocated. */
struct collect {
	const struct ob_rowtype *t;
	char			*v;
	size_t			 n, cap;
};

static int
collect_row(struct outbox *ob, sqlite3_stmt *st, void *arg)
{
	struct collect *c = arg;
	char	       *dst;

	assert(c->n <= c->cap);
	xgrow(&c->v, &c->cap, c->n + 1, c->t->size);
	dst = c->v + c->n * c->t->size;
	memset(dst, 0, c->t->size);
	/* Counted before it is read: a half-read one is freed too. */
	c->n++;
	return c->t->read(ob, st, dst);
}

void
ob_vec_free(const struct ob_rowtype *t, void *v, size_t n)
{
	size_t i;

	assert(v != NULL || n == 0);
	if (t->clear != NULL)
		for (i = 0; i < n; i++)
			t->clear((char *)v + i * t->size);
	free(v);
}

int
ob_collect(struct outbox *ob, const char *what, const struct ob_rowtype *t,
    void **v, size_t *n, const char *sql, const char *types, ...)
{
	struct collect c = { t, NULL, 0, 0 };
	va_list	       ap;
	int	       rc;

	assert(t->size > 0 && t->read != NULL);
	va_start(ap, types);
	rc = ob_veach(ob, what, collect_row, &c, sql, types, ap);
	va_end(ap);
	if (rc == -1) {
		ob_vec_free(t, c.v, c.n);
		c.v = NULL;
		c.n = 0;
	}
	*v = c.v;
	*n = c.n;
	return rc;
}

/* The row of a select of at most one, read into dst. */
struct one {
	const struct ob_rowtype *t;
	void			*dst;
	int			 found;
};

static int
one_row(struct outbox *ob, sqlite3_stmt *st, void *arg)
{
	struct one *o = arg;

	/* A key's select or an aggregate's: a second row is a bug. */
	assert(!o->found);
	o->found = 1;
	return o->t->read(ob, st, o->dst);
}

int
ob_one(struct outbox *ob, const char *what, const struct ob_rowtype *t,
    void *dst, int *found, const char *sql, const char *types, ...)
{
	struct one o = { t, dst, 0 };
	va_list	   ap;
	int	   rc;

	assert(t->size > 0 && t->read != NULL && dst != NULL);
	memset(dst, 0, t->size);
	*found = 0;
	va_start(ap, types);
	rc = ob_veach(ob, what, one_row, &o, sql, types, ap);
	va_end(ap);
	if (rc == -1) {
		if (t->clear != NULL)
			t->clear(dst);
		memset(dst, 0, t->size);
		return -1;
	}
	*found = o.found;
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

/*
 * Read the row st into j. Returns 0, or -1 (the outbox's error says which
 * job and which name) when a kind, channel, state or priority is not one
 * this loa knows: a newer loa's row, or a hand-edited one.
 */
int
ob_row(struct outbox *ob, sqlite3_stmt *st, struct ob_job *j)
{
	const unsigned char *id = sqlite3_column_text(st, JC_ID);
	const unsigned char *enc = sqlite3_column_text(st, JC_SMS_ENCODING);
	int		     bad;

	assert(sqlite3_column_count(st) >= JC__N);
	memset(j, 0, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id ? (const char *)id : "");
	j->priority = PRIO_NORMAL;
	bad = job_kind_from_name(col_name(st, JC_KIND), &j->kind) == -1 ?
	    JC_KIND :
	    channel_from_name(col_name(st, JC_CHANNEL), &j->channel) == -1 ?
	    JC_CHANNEL :
	    job_state_from_name(col_name(st, JC_STATE), &j->state) == -1 ?
	    JC_STATE :
	    sqlite3_column_type(st, JC_PRIORITY) != SQLITE_NULL &&
		priority_from_name(col_name(st, JC_PRIORITY), &j->priority) ==
		    -1 ?
	    JC_PRIORITY :
	    -1;
	if (bad != -1) {
		snprintf(ob->err, sizeof(ob->err),
		    "outbox: job %s: unknown %s \"%s\"", j->id,
		    bad == JC_KIND	  ? "kind" :
			bad == JC_CHANNEL ? "channel" :
			bad == JC_STATE	  ? "state" :
					    "priority",
		    col_name(st, bad));
		return -1;
	}
	j->sms_encoding = enc != NULL &&
		strcmp((const char *)enc, "ucs2") == 0 ?
	    SMS_UCS2 :
	    SMS_GSM7;
	j->slot = col_text(st, JC_SLOT);
	j->duration = sqlite3_column_int(st, JC_DURATION);
	j->plan = col_text(st, JC_PLAN);
	j->object = col_text(st, JC_OBJECT);
	j->ordinal = sqlite3_column_int(st, JC_ORDINAL);
	j->recipient = col_text(st, JC_RECIPIENT);
	j->name = col_text(st, JC_NAME);
	j->address = col_text(st, JC_ADDRESS);
	j->due = sqlite3_column_int64(st, JC_DUE);
	j->refers = col_time(st, JC_REFERS);
	j->next_at = sqlite3_column_int64(st, JC_NEXT_AT);
	j->first_at = col_time(st, JC_FIRST_AT);
	j->sent_at = col_time(st, JC_SENT_AT);
	j->reason = col_text(st, JC_REASON);
	j->attempts = sqlite3_column_int(st, JC_ATTEMPTS);
	j->seq = sqlite3_column_int(st, JC_SEQ);
	j->payload = col_text(st, JC_PAYLOAD);
	j->last_error = col_text(st, JC_LAST_ERROR);
	j->sms_parts = sqlite3_column_int(st, JC_SMS_PARTS);
	return 0;
}

static int
job_read(struct outbox *ob, sqlite3_stmt *st, void *dst)
{
	return ob_row(ob, st, dst);
}

static void
job_clear(void *j)
{
	ob_job_clear(j);
}

const struct ob_rowtype ob_job_rows = { sizeof(struct ob_job), job_read,
	job_clear };

int
job_urgent(enum job_kind k, enum priority prio)
{
	return k == JK_BROADCAST && prio == PRIO_EMERGENCY;
}
