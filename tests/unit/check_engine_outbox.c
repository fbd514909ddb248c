/*
 * check_engine_outbox.c: the engine and its outbox: sends in flight on a
 * gateway that answers later (the concurrency limit, answers, a stop with
 * sends unanswered), and an outbox of an older schema opened.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <sqlite3.h>

#include "nullgw.h"
#include "enginestory.h"

/* How many of the event's invitations on channel are in state. */
static int
invitations_on(const char *channel, const char *state)
{
	struct jobv	   jv;
	const struct tjob *j;
	int		   n = 0;
	size_t		   i;

	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "invitation", RCPT[i], channel, 0);
		n += strcmp(j->state, state) == 0;
	}
	jobs_put(&jv);
	return n;
}

static int
invitations_in(const char *state)
{
	return invitations_on("email", state);
}

/*
 * An outbox written by an older loa (schema 2: attendees without phones,
 * SMS-only invitees not on record) opens as schema 3 with what it held, and
 * the invitee whose invitation went by SMS is on record with that phone.
 */
static const char *const OUTBOX_V2 =
    "CREATE TABLE jobs (id TEXT PRIMARY KEY, plan TEXT NOT NULL,"
    " kind TEXT NOT NULL, object TEXT NOT NULL, ordinal INTEGER NOT NULL,"
    " recipient TEXT, name TEXT, channel TEXT NOT NULL, address TEXT,"
    " due INTEGER NOT NULL, refers INTEGER, next_at INTEGER NOT NULL,"
    " first_at INTEGER, sent_at INTEGER, state TEXT NOT NULL, reason TEXT,"
    " attempts INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL DEFAULT 0,"
    " payload TEXT, last_error TEXT, sms_parts INTEGER NOT NULL DEFAULT 0,"
    " updated INTEGER);"
    "CREATE INDEX jobs_ready ON jobs(state, next_at, id);"
    "CREATE INDEX jobs_due ON jobs(due);"
    "CREATE TABLE attempts (job TEXT NOT NULL, at INTEGER NOT NULL,"
    " outcome TEXT NOT NULL, answer TEXT);"
    "CREATE TABLE events (plan TEXT NOT NULL, event TEXT NOT NULL,"
    " seq INTEGER NOT NULL, fingerprint TEXT NOT NULL, summary TEXT,"
    " PRIMARY KEY (plan, event));"
    "CREATE TABLE attendees (plan TEXT NOT NULL, event TEXT NOT NULL,"
    " recipient TEXT NOT NULL, name TEXT, email TEXT,"
    " PRIMARY KEY (plan, event, recipient));"
    "CREATE TABLE tasks_done (plan TEXT NOT NULL, task TEXT NOT NULL,"
    " at INTEGER NOT NULL, PRIMARY KEY (plan, task));"
    "INSERT INTO jobs (id, plan, kind, object, ordinal, recipient, name,"
    " channel, address, due, next_at, state) VALUES"
    " ('a1', 'P', 'invitation', 'hop', 0, 'an', 'An', 'email',"
    "  'an@x.example', 1, 1, 'sent'),"
    " ('a2', 'P', 'invitation', 'hop', 0, 'an', 'An', 'sms',"
    "  '+84912000001', 1, 1, 'sent'),"
    " ('d1', 'P', 'invitation', 'hop', 0, 'dung', 'Dũng', 'sms',"
    "  '+84912000004', 1, 1, 'sent'),"
    " ('e1', 'P', 'invitation', 'hop', 0, 'em', 'Em', 'sms',"
    "  '+84912000005', 1, 1, 'pending');"
    "INSERT INTO events VALUES ('P', 'hop', 0, 'x', NULL);"
    "INSERT INTO attendees VALUES ('P', 'hop', 'an', 'An', 'an@x.example');"
    "PRAGMA user_version = 2;";

START_TEST(test_gateway_concurrency)
{
	const struct nullgw *g = &nullgw[CH_EMAIL];
	int64_t		     t = LOCAL_TIME(T_INV);

	load(&V1, NOW0, NULL);
	/* A gateway that answers later (as the libcurl multi ones do). */
	nullgw_install(efx.e, CH_EMAIL, 2);

	/* Three invitations are due; the gateway takes two at a time. */
	step(T_INV);
	ck_assert_int_eq(g->nheld, 2);
	ck_assert_uint_eq(engine_inflight(efx.e), 2);
	ck_assert_int_eq(invitations_in("sending"), 2);
	ck_assert_int_eq(invitations_in("pending"), 1);
	/* The SMS gateway is not held up by the email one. */
	ck_assert_int_eq(invitations_on("sms", "sent"), 3);
	/* Nothing more goes while both are unanswered. */
	step(T_INV);
	ck_assert_int_eq(g->nheld, 2);

	/* One answer makes room for the third. */
	nullgw_release(CH_EMAIL, 1, GW_OK, 0);
	step(T_INV);
	ck_assert_int_eq(invitations_in("sent"), 1);
	ck_assert_int_eq(invitations_in("sending"), 2);
	ck_assert_int_eq(g->most, 2);

	/* A temporary failure is retried later, not lost. */
	nullgw_release(CH_EMAIL, 1, GW_TEMPFAIL, 600);
	step(T_INV);
	ck_assert_int_eq(invitations_in("failed"), 1);
	ck_assert_int_eq(invitations_in("sending"), 1);
	{
		int64_t next = engine_next(efx.e);

		ck_assert_int_ge(next, t + 600);
	}

	/* A stop with a send unanswered puts it back, to go again. */
	ck_assert_int_eq(engine_land(efx.e, t, 0), 0);
	ck_assert_uint_eq(engine_inflight(efx.e), 0);
	ck_assert_int_eq(invitations_in("sending"), 0);
	ck_assert_int_eq(invitations_in("pending"), 1);
	ck_assert_int_eq(g->most, 2);
}
END_TEST

START_TEST(test_outbox_migrates)
{
	char		    path[PATH_MAX];
	char		    err[512], *msg = NULL;
	sqlite3		   *db;
	struct outbox	   *ob;
	struct ob_attendee *a;
	struct ob_job	    j;
	int		    found;
	size_t		    n;

	/* In the fixture's folder, which the teardown removes. */
	snprintf(path, sizeof(path), "%s/outbox.db", efx.dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, OUTBOX_V2, NULL, NULL, &msg) ==
		SQLITE_OK,
	    "%s", msg ? msg : "");
	sqlite3_close(db);

	ob = outbox_open(path, err, sizeof(err));
	ck_assert_msg(ob != NULL, "%s", err);
	ck_assert_int_eq(outbox_attendees(ob, "P", "hop", &a, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(a[0].id, "an");
	ck_assert_str_eq(a[0].email, "an@x.example");
	ck_assert_str_eq(a[0].phone, "+84912000001");
	ck_assert_str_eq(a[1].id, "dung");
	ck_assert_ptr_null(a[1].email);
	ck_assert_str_eq(a[1].phone, "+84912000004");
	ob_attendees_free(a, n);
	memset(&j, 0, sizeof(j));
	ck_assert_int_eq(outbox_get(ob, "e1", &j, &found), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(j.state, JS_PENDING);
	ob_job_clear(&j);
	outbox_close(ob);

	/* Opened again: nothing runs twice. */
	ob = outbox_open(path, err, sizeof(err));
	ck_assert_msg(ob != NULL, "%s", err);
	ck_assert_int_eq(outbox_attendees(ob, "P", "hop", &a, &n), 0);
	ck_assert_uint_eq(n, 2);
	ob_attendees_free(a, n);
	outbox_close(ob);

	/* A newer schema than this loa knows is refused, untouched. */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
			     NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(outbox_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "schema version 99 is newer") != NULL, "%s",
	    err);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_close(db);
}
END_TEST

int
main(void)
{
	TU_CASE("outbox", story_setup, story_teardown, 0,
	    test_gateway_concurrency, test_outbox_migrates);
	return tu_run("engine-outbox");
}
