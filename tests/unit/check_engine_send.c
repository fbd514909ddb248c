/*
 * check_engine_send.c: what the engine does at send time: a task done
 * (conf/REFERENCE.md §6), a rendering that comes out empty, jobs too late to
 * matter (conf/REFERENCE.md §6 lateness) and SMS held by quiet hours
 * (conf/REFERENCE.md §2).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/mem.h"
#include "enginestory.h"

START_TEST(test_task_done)
{
	static const char *const want[] = { INVITATIONS("sent"),
		REMINDERS_PENDING, TASK_JOBS("cancelled"), NULL };
	struct version		 v2 = V1;
	struct reconcile_stats	 rs;
	struct outbox		*ob;
	struct jobv		 jv;
	size_t			 i;
	int			 n = -1, done = 0;

	invite_v1();
	load(&V1, NOW1, &rs);
	ob = engine_outbox(efx.e);
	ck_assert_int_eq(outbox_begin(ob), 0);
	ck_assert_int_eq(outbox_task_done(ob, PLAN_ID, "bao-cao",
			     LOCAL_TIME(NOW1), &n),
	    0);
	ck_assert_int_eq(outbox_commit(ob), 0);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(outbox_task_is_done(ob, PLAN_ID, "bao-cao", &done), 0);
	ck_assert_int_eq(done, 1);
	expect_jobs(want);
	close_engine();

	/* A later reconcile of a version that moves the task keeps them. */
	v2.start = "2026-03-27 08:00";
	load(&v2, NOW1, &rs);
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if (strcmp(jv.v[i].kind, "task-reminder") == 0 ||
		    strcmp(jv.v[i].kind, "overdue") == 0) {
			ck_assert_str_eq(jv.v[i].state, "cancelled");
			ck_assert_ptr_nonnull(jv.v[i].reason);
			ck_assert_str_eq(jv.v[i].reason, "task done");
		}
	jobs_put(&jv);
	/* And nothing of the task goes out, ever. */
	step("2026-03-30 09:00");
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if (strcmp(jv.v[i].kind, "task-reminder") == 0 ||
		    strcmp(jv.v[i].kind, "overdue") == 0)
			ck_assert_str_eq(jv.v[i].state, "cancelled");
	jobs_put(&jv);
	close_engine();
	load(&V1, NOW1, &rs);
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if (strcmp(jv.v[i].kind, "task-reminder") == 0 ||
		    strcmp(jv.v[i].kind, "overdue") == 0)
			ck_assert_str_eq(jv.v[i].state, "cancelled");
	jobs_put(&jv);
}
END_TEST

/*
 * A template that renders to nothing at send time (the event has no
 * location) sends no empty SMS and no mail without a subject: the jobs
 * are dead, with the reason.
 */
START_TEST(test_empty_rendering_dead)
{
	struct version v = V1;
	struct jobv    jv;
	size_t	       i;
	int	       dead = 0;
	char	      *path, *sms;

	efx_service(0,
	    "templates = {\n"
	    "  invitation_sms = \"{event.location}\";\n"
	    "  invitation_subject = \" {event.location} \";\n"
	    "};\n");
	v.location = "";
	load(&v, NOW0, NULL);
	step(T_INV);
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++) {
		const struct tjob *j = &jv.v[i];

		if (strcmp(j->kind, "invitation") != 0)
			continue;
		ck_assert_msg(strcmp(j->state, "dead") == 0, "%s %s %s is %s",
		    j->kind, j->recipient, j->channel, j->state);
		ck_assert_msg(j->reason != NULL &&
			strstr(j->reason, "empty") != NULL &&
			strstr(j->reason,
			    strcmp(j->channel, "sms") == 0 ?
				"invitation_sms" :
				"invitation_subject") != NULL,
		    "%s: %s", j->channel, j->reason ? j->reason : "(none)");
		dead++;
	}
	jobs_put(&jv);
	ck_assert_int_eq(dead, 6);
	path = xasprintf("%s/outbox/sms.jsonl", efx.dir);
	sms = tu_slurp(path);
	ck_assert_msg(sms == NULL || *sms == '\0', "%s", sms);
	free(sms);
	free(path);
}
END_TEST

START_TEST(test_late_expired)
{
	struct jobv	   jv;
	const struct tjob *j;
	const char	  *who[] = { "vhxh", "hung", "khanh" };
	size_t		   i;

	load(&V1, NOW0, NULL);
	/*
	 * Down until after the event started: the task was due 03-18 17:00,
	 * its overdue notice 03-19 08:00 is more than a day late.
	 */
	step("2026-03-20 09:00");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "task-reminder", who[i], "email", 0, "expired");
		ck_assert_ptr_nonnull(j->reason);
		j = job_in(&jv, "overdue", who[i], "email", 0, "expired");
		ck_assert_ptr_nonnull(j->reason);
	}
	j = job_in(&jv, "task-reminder", "hung", "sms", 0, "expired");
	j = job_in(&jv, "overdue", "khanh", "sms", 0, "expired");
	j = job_in(&jv, "event-reminder", "an", "sms", 0, "expired");
	j = job_in(&jv, "invitation", "binh", "email", 0, "expired");
	for (i = 0; i < jv.n; i++) {
		ck_assert_msg(strcmp(jv.v[i].state, "sent") != 0,
		    "%s %s %s sent late", jv.v[i].kind, jv.v[i].recipient,
		    jv.v[i].channel);
		ck_assert_int_eq(jv.v[i].attempts, 0);
	}
	jobs_put(&jv);
	ck_assert_int_eq(engine_stats(efx.e)->expired, 19);
}
END_TEST

START_TEST(test_late_reminder_task_expired)
{
	struct jobv	   jv;
	const struct tjob *j;

	load(&V1, NOW0, NULL);
	/* The task reminder (03-17 08:00) after the task's due (03-18 17:00). */
	step("2026-03-18 20:00");
	jobs_get(&jv);
	j = job_in(&jv, "task-reminder", "khanh", "sms", 0, "expired");
	j = job_in(&jv, "task-reminder", "vhxh", "email", 0, "expired");
	ck_assert_int_eq(j->attempts, 0);
	/* The invitations are late too, but the event is ahead: sent. */
	j = job_in(&jv, "invitation", "an", "email", 0, "sent");
	j = job_in(&jv, "invitation", "an", "sms", 0, "sent");
	/* The overdue notice is not due yet. */
	j = job_in(&jv, "overdue", "hung", "sms", 0, "pending");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_late_but_in_time)
{
	struct jobv	   jv;
	const struct tjob *j;

	load(&V1, NOW0, NULL);
	/* 26 hours late, 7 hours before the task is due. */
	step("2026-03-18 10:00");
	jobs_get(&jv);
	j = job_in(&jv, "task-reminder", "hung", "email", 0, "sent");
	j = job_in(&jv, "task-reminder", "hung", "sms", 0, "sent");
	free(sms_of(j->id));
	jobs_put(&jv);
	/*
	 * The event reminder (03-19 16:00) 15 hours late, before the start
	 * (03-20 08:00); the overdue notice (03-19 08:00) 23 hours late.
	 */
	step("2026-03-20 07:00");
	jobs_get(&jv);
	j = job_in(&jv, "event-reminder", "chau", "sms", 0, "sent");
	j = job_in(&jv, "overdue", "vhxh", "email", 0, "sent");
	j = job_in(&jv, "overdue", "khanh", "sms", 0, "sent");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_late_reminders_collapse)
{
	struct version	   v = V1;
	struct jobv	   jv;
	const struct tjob *j;

	/*
	 * Down from before the first of three reminders until after the
	 * third: one reminder goes, the latest, not three in a row.
	 */
	v.remind = "\"due - 3d at 08:00\", \"due - 2d at 08:00\", "
		   "\"due - 1d at 08:00\"";
	load(&v, NOW0, NULL);
	step("2026-03-17 09:00");
	jobs_get(&jv);
	j = job_in(&jv, "task-reminder", "hung", "sms", 0, "expired");
	ck_assert_str_eq(j->reason, "a later reminder of it is due too");
	j = job_in(&jv, "task-reminder", "hung", "sms", 1, "expired");
	j = job_in(&jv, "task-reminder", "hung", "sms", 2, "sent");
	j = job_in(&jv, "task-reminder", "vhxh", "email", 2, "sent");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_quiet_release)
{
	struct jobv	   jv;
	const struct tjob *j;
	size_t		   i;

	load(&V1, NOW0, NULL);
	/* Down all day; back at 22:00, inside 21:00-06:30. */
	step("2026-03-13 22:00");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "invitation", RCPT[i], "email", 0, "sent");
		j = job_in(&jv, "invitation", RCPT[i], "sms", 0, "pending");
		ck_assert_int_eq(j->next_at, LOCAL_TIME("2026-03-14 06:30"));
		ck_assert_int_eq(j->attempts, 0);
	}
	jobs_put(&jv);
	ck_assert_int_eq(engine_next(efx.e), LOCAL_TIME("2026-03-14 06:30"));
	/* Nothing goes in the night. */
	step("2026-03-14 03:00");
	jobs_get(&jv);
	j = job_in(&jv, "invitation", "an", "sms", 0, "pending");
	jobs_put(&jv);
	step("2026-03-14 06:30");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "invitation", RCPT[i], "sms", 0, "sent");
		ck_assert_int_eq(j->sent_at, LOCAL_TIME("2026-03-14 06:30"));
		ck_assert_int_eq(j->attempts, 1);
		free(sms_of(j->id));
	}
	jobs_put(&jv);
}
END_TEST

START_TEST(test_quiet_expire)
{
	struct version	   v = V1;
	struct jobv	   jv;
	const struct tjob *j;

	/* Due at 06:00: the end of the quiet period is too late. */
	v.task_due = "2026-03-18 06:00";
	load(&v, NOW0, NULL);
	step("2026-03-17 22:00");
	jobs_get(&jv);
	j = job_in(&jv, "task-reminder", "hung", "sms", 0, "expired");
	ck_assert_ptr_nonnull(j->reason);
	j = job_in(&jv, "task-reminder", "khanh", "sms", 0, "expired");
	/* Email is not held by quiet hours. */
	j = job_in(&jv, "task-reminder", "hung", "email", 0, "sent");
	/* The invitation SMS refers to the event, days ahead: released. */
	j = job_in(&jv, "invitation", "an", "sms", 0, "pending");
	ck_assert_int_eq(j->next_at, LOCAL_TIME("2026-03-18 06:30"));
	jobs_put(&jv);
	/* And the expired SMS never goes. */
	step("2026-03-18 06:30");
	jobs_get(&jv);
	j = job_in(&jv, "task-reminder", "hung", "sms", 0, "expired");
	ck_assert(j->sent_at == TIMEX_NONE);
	jobs_put(&jv);
}
END_TEST

int
main(void)
{
	TU_CASE("task", story_setup, story_teardown, 60, test_task_done,
	    test_empty_rendering_dead);
	TU_CASE("lateness", story_setup, story_teardown, 60, test_late_expired,
	    test_late_reminder_task_expired, test_late_but_in_time,
	    test_late_reminders_collapse);
	TU_CASE("quiet", story_setup, story_teardown, 60, test_quiet_release,
	    test_quiet_expire);
	return tu_run("engine-send");
}
