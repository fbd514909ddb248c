/*
 * check_delivery_fault.c: what a failing disk does to a send through the
 * real file gateway (util/fault.h arms the failures): never recorded sent
 * before the bytes are durable, and sent again after.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/fault.h"
#include "util/mem.h"
#include "deliveryfx.h"

/* A failing disk under the real file gateway. */

static char *
eml_path(const char *id)
{
	return xasprintf("%s/outbox/mail/%s.eml", efx.dir, id);
}

/* The job failed its try at t and waits: never recorded sent. */
static int64_t
expect_retried(const char *id, int64_t t, const char *why)
{
	const struct ob_job *j = job_get(id);

	ck_assert_msg(strcmp(ob_state(j), "failed") == 0, "%s: %s", ob_state(j),
	    j->last_error ? j->last_error : "");
	ck_assert(j->sent_at == TIMEX_NONE);
	ck_assert_int_eq(j->attempts, 1);
	ck_assert_int_gt(j->next_at, t);
	ck_assert_int_le(j->next_at, t + backoff_ceiling(1));
	ck_assert_ptr_nonnull(j->last_error);
	ck_assert_msg(strstr(j->last_error, why) != NULL,
	    "last_error \"%s\", "
	    "wanted \"%s\"",
	    j->last_error, why);
	return j->next_at;
}

/*
 * The invitation to rcpt on ch, in a plan of attendees: fault f armed
 * (fault_arm's nth and sticky) fails its first try at *t with why; *t
 * becomes its retry.
 */
static const char *
fail_first(const char *attendees, const char *rcpt, const char *ch,
    enum fault_point f, int nth, int sticky, const char *why, int64_t *t)
{
	const char *id;

	dfx_open(attendees, 1);
	id = invitation_id(rcpt, ch);
	fault_arm(f, nth, sticky);
	efx_step(*t);
	*t = expect_retried(id, *t, why);
	return id;
}

/* The disk mended, the job goes at t. */
static void
sent_at(const char *id, int64_t t)
{
	fault_reset();
	efx_step(t);
	ck_assert_str_eq(state_of(id), "sent");
}

START_TEST(test_fault_write)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path, *eml, want[64];

	id = fail_first(ONE, "an", "email", FAULT_WRITE, 1, 1, strerror(ENOSPC),
	    &t);
	path = eml_path(id);
	ck_assert_msg(!file_exists(path), "%s was written", path);
	/* The disk has room again. */
	sent_at(id, t);
	eml = tu_slurp(path);
	ck_assert_msg(eml != NULL, "%s: %s", path, strerror(errno));
	snprintf(want, sizeof(want), "Message-ID: <%s@", id);
	ck_assert_msg(strstr(eml, want) != NULL, "%.400s", eml);
	free(eml);
	free(path);
}
END_TEST

/* The .eml itself cannot be synced: the atomic write fails. */
START_TEST(test_fault_fsync_file)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path;

	id = fail_first(ONE, "an", "email", FAULT_FSYNC, 1, 0, strerror(EIO),
	    &t);
	path = eml_path(id);
	ck_assert_msg(!file_exists(path), "%s is there unsynced", path);
	sent_at(id, t);
	ck_assert(file_exists(path));
	free(path);
}
END_TEST

/* The folder the .eml was renamed into cannot be synced (file_flush):
 * written, but not durable, so not sent. */
START_TEST(test_fault_fsync_flush_mail)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;

	id = fail_first(ONE, "an", "email", FAULT_FSYNC, 2, 1, strerror(EIO),
	    &t);
	/* The file's own fsync happened; the folder's failed. */
	ck_assert_int_ge(fault_calls(FAULT_FSYNC), 2);
	sent_at(id, t);
}
END_TEST

/* An SMS line is appended to sms.jsonl and synced once a batch: when
 * that sync fails, the SMS is not sent. */
START_TEST(test_fault_fsync_flush_sms)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path, *all;

	id = fail_first("\"giang\"", "giang", "sms", FAULT_FSYNC, 1, 1,
	    "sms.jsonl", &t);
	sent_at(id, t);
	path = xasprintf("%s/outbox/sms.jsonl", efx.dir);
	all = tu_slurp(path);
	ck_assert_msg(all != NULL, "%s", path);
	ck_assert_msg(strstr(all, id) != NULL, "%s", all);
	free(all);
	free(path);
}
END_TEST

/* The rename that publishes the .eml fails. */
START_TEST(test_fault_rename)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path;

	id = fail_first(ONE, "an", "email", FAULT_RENAME, 1, 0, strerror(EIO),
	    &t);
	path = eml_path(id);
	ck_assert(!file_exists(path));
	efx_step(t);
	ck_assert_str_eq(state_of(id), "sent");
	ck_assert(file_exists(path));
	free(path);
}
END_TEST

/*
 * The outbox cannot commit the outcome (the claim is commit 1 of the
 * step, the outcome commit 2): the job stays `sending`, never `sent`, and
 * after a restart it goes again with the same id.
 */
START_TEST(test_fault_sqlite_commit)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path, *eml, want[64];
	int	    n;

	dfx_open(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_SQLITE, 2, 0);
	ck_assert_int_eq(engine_step(efx.e, t), -1);
	ck_assert_str_eq(state_of(id), "sending");
	ck_assert(job_get(id)->sent_at == TIMEX_NONE);
	/* The bytes were made durable before the commit was tried. */
	path = eml_path(id);
	ck_assert(file_exists(path));
	fault_reset();
	/* The process dies here; the next one starts. */
	efx_close();
	dfx_open(ONE, 1);
	ck_assert_str_eq(state_of(id), "sending");
	ck_assert_int_eq(outbox_requeue_sending(engine_outbox(efx.e), &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(state_of(id), "pending");
	efx_step(t + 60);
	ck_assert_str_eq(state_of(id), "sent");
	eml = tu_slurp(path);
	snprintf(want, sizeof(want), "Message-ID: <%s@", id);
	ck_assert_msg(eml != NULL && strstr(eml, want) != NULL, "%s",
	    eml ? eml : path);
	free(eml);
	free(path);
}
END_TEST

/* A failed claim commit sends nothing. */
START_TEST(test_fault_sqlite_claim)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path;

	dfx_open(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_SQLITE, 1, 0);
	ck_assert_int_eq(engine_step(efx.e, t), -1);
	ck_assert_str_eq(state_of(id), "pending");
	ck_assert_int_eq(job_get(id)->attempts, 0);
	path = eml_path(id);
	ck_assert(!file_exists(path));
	efx_step(t);
	ck_assert_str_eq(state_of(id), "sent");
	ck_assert(file_exists(path));
	free(path);
}
END_TEST

/*
 * Group commit: a step records each turn's outcomes in the same commit as
 * the next turn's claim, and the first turn is small (4 jobs) so that the
 * first job is handed after a small commit. Five due emails: commit 1
 * claims 4, commit 2 records them and claims the fifth, commit 3 records
 * it. A failed commit 2 leaves the 4 `sending` (sent again at the next
 * start) and the fifth pending.
 */
START_TEST(test_group_commit)
{
	int64_t t = LOCAL_TIME(T_INV);

	dfx_open(FIVE, 1);
	fault_arm(FAULT_SQLITE, 0, 0);
	efx_step(t);
	ck_assert_int_eq(count_in("sent"), 5);
	ck_assert_int_eq(fault_calls(FAULT_SQLITE), 3);
	efx_close();
	tu_rm_tree(efx.dir);
	ck_assert_int_eq(mkdir(efx.dir, 0700), 0);
	efx_service(1, NULL);
	dfx_open(FIVE, 1);
	fault_arm(FAULT_SQLITE, 2, 0);
	ck_assert_int_eq(engine_step(efx.e, t), -1);
	ck_assert_int_eq(count_in("sending"), 4);
	ck_assert_int_eq(count_in("pending"), 1);
	ck_assert_int_eq(count_in("sent"), 0);
}
END_TEST

int
main(void)
{
	TU_CASE("commit", dfx_setup, dfx_teardown, 60, test_group_commit);
	TU_CASE("fault", dfx_setup, dfx_teardown, 60, test_fault_write,
	    test_fault_fsync_file, test_fault_fsync_flush_mail,
	    test_fault_fsync_flush_sms, test_fault_rename,
	    test_fault_sqlite_commit, test_fault_sqlite_claim);
	return tu_run("delivery-fault");
}
