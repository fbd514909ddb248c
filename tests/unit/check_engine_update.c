/*
 * check_engine_update.c: reconciliation of a changed plan (conf/REFERENCE.md
 * §6): an event moved or its room changed is announced by updates to everybody
 * invited (the same UID, a higher SEQUENCE), once, however often the plan
 * is reconciled; reminders follow the event.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/mem.h"
#include "enginestory.h"

START_TEST(test_reconcile_moved)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"update an email 1 1 pending", "update an sms 1 1 pending",
		"update binh email 1 1 pending", "update binh sms 1 1 pending",
		"update chau email 1 1 pending", "update chau sms 1 1 pending",
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	static const char *const sent[] = { INVITATIONS("sent"),
		"update an email 1 1 sent", "update an sms 1 1 sent",
		"update binh email 1 1 sent", "update binh sms 1 1 sent",
		"update chau email 1 1 sent", "update chau sms 1 1 sent",
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	struct version		 v2 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;
	char			*before, *after, *ics, *inv;
	size_t			 i;

	invite_v1();
	open_engine(&V1, NOW1);
	before = ids_of("event-reminder");
	close_engine();

	v2.start = "2026-03-27 08:00";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.updates, 3);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.cancelled, 0);
	expect_jobs(want);

	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "update", RCPT[i], "email", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		ck_assert_int_eq(j->next_at, LOCAL_TIME(NOW1));
		ck_assert_int_eq(j->seq, 1);
		j = job_need(&jv, "update", RCPT[i], "sms", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		ck_assert_str_eq(j->address,
		    i == 0     ? "+84912000001" :
			i == 1 ? "+84912000002" :
				 "+84912000003");
		/* Unsent reminders follow the event: same id, new time. */
		j = job_need(&jv, "event-reminder", RCPT[i], "sms", 0);
		ck_assert_int_eq(j->due, LOCAL_TIME("2026-03-26 16:00"));
		ck_assert_int_eq(j->next_at, LOCAL_TIME("2026-03-26 16:00"));
	}
	/* The task is due relative to the event: it moved too. */
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_int_eq(j->due, LOCAL_TIME("2026-03-24 08:00"));
	j = job_need(&jv, "overdue", "vhxh", "email", 0);
	ck_assert_int_eq(j->due, LOCAL_TIME("2026-03-26 08:00"));
	jobs_put(&jv);
	after = ids_of("event-reminder");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);

	/* Sent at once: SEQUENCE 1, the same UID, the new date. */
	step(NOW1);
	expect_jobs(sent);
	jobs_get(&jv);
	inv = ics_of(job_need(&jv, "invitation", "an", "email", 0)->id);
	for (i = 0; i < 3; i++) {
		char *uid, *e;

		j = job_need(&jv, "update", RCPT[i], "email", 1);
		ck_assert_int_eq(j->sent_at, LOCAL_TIME(NOW1));
		ck_assert_int_eq(j->attempts, 1);
		ics = ics_of(j->id);
		ck_assert_msg(ics_has(ics, "METHOD:REQUEST"), "%s", ics);
		ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
		ck_assert_msg(ics_has(ics,
				  "DTSTART;TZID=Asia/"
				  "Ho_Chi_Minh:20260327T080000"),
		    "%s", ics);
		ck_assert_msg(!ics_has(ics,
				  "DTSTART;TZID=Asia/"
				  "Ho_Chi_Minh:20260320T080000"),
		    "%s", ics);
		uid = strstr(inv, "\nUID:");
		ck_assert_ptr_nonnull(uid);
		uid = xstrndup(uid + 1, strcspn(uid + 1, "\r\n"));
		ck_assert_msg(ics_has(ics, uid), "not %s:\n%s", uid, ics);
		free(uid);
		free(ics);
		e = eml_of(j->id);
		ck_assert_msg(strstr(e, "text/calendar; method=REQUEST") !=
			NULL,
		    "%s", e);
		free(e);

		j = job_need(&jv, "update", RCPT[i], "sms", 1);
		expect_sms(j->id, "27/03/2026", NULL);
	}
	free(inv);
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_room)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"update an email 1 1 pending", "update an sms 1 1 pending",
		"update binh email 1 1 pending", "update binh sms 1 1 pending",
		"update chau email 1 1 pending", "update chau sms 1 1 pending",
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	struct version		 v2 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;
	char			*sms;
	size_t			 i;

	invite_v1();
	v2.location = "Hội trường Ủy ban nhân dân xã";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	expect_jobs(want);
	jobs_get(&jv);
	/* Only the room changed: the reminders keep their time. */
	j = job_need(&jv, "event-reminder", "an", "sms", 0);
	ck_assert_int_eq(j->due, LOCAL_TIME("2026-03-19 16:00"));
	jobs_put(&jv);

	step(NOW1);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "update", RCPT[i], "sms", 1, "sent");
		sms = sms_of(j->id);
		ck_assert_msg(strstr(sms, "địa điểm") != NULL, "%s", sms);
		ck_assert_msg(strstr(sms, "Hội trường Ủy ban nhân dân xã") !=
			NULL,
		    "%s", sms);
		free(sms);
		j = job_in(&jv, "update", RCPT[i], "email", 1, "sent");
		expect_ics(j->id, "SEQUENCE:1",
		    "LOCATION:Hội trường Ủy ban nhân dân xã", NULL);
	}
	jobs_put(&jv);
}
END_TEST

/*
 * The words of an update are templates too (conf/REFERENCE.md §5: every text is
 * overridable): with change_location and change_separator overridden in
 * the service config, the update SMS says what the config says.
 */
START_TEST(test_reconcile_change_words)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *j;
	char		      *sms;

	efx_service(0,
	    "templates = {\n"
	    "  update_sms = \"{changes}.\";\n"
	    "  change_location = \"Doi phong: {event.location}\";\n"
	    "  change_title = \"Ten: {event.title}\";\n"
	    "  change_separator = \" / \";\n"
	    "};\n");
	invite_v1();
	v2.location = "Hội trường";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	step(NOW1);
	jobs_get(&jv);
	j = job_in(&jv, "update", "an", "sms", 1, "sent");
	sms = sms_of(j->id);
	ck_assert_msg(strcmp(sms, "Doi phong: Hội trường.") == 0, "%s", sms);
	free(sms);
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_moved_twice)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"update an email 1 1 sent", "update an sms 1 1 sent",
		"update binh email 1 1 sent", "update binh sms 1 1 sent",
		"update chau email 1 1 sent", "update chau sms 1 1 sent",
		"update an email 2 2 pending", "update an sms 2 2 pending",
		"update binh email 2 2 pending", "update binh sms 2 2 pending",
		"update chau email 2 2 pending", "update chau sms 2 2 pending",
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	struct version		 v2 = V1, v3 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;

	invite_v1();
	v2.start = "2026-03-27 08:00";
	load(&v2, NOW1, &rs);
	step(NOW1);
	close_engine();

	v3.start = "2026-03-27 14:00";
	load(&v3, "2026-03-15 09:00", &rs);
	ck_assert_int_eq(rs.updates, 3);
	expect_jobs(want);
	step("2026-03-15 09:00");
	jobs_get(&jv);
	j = job_in(&jv, "update", "an", "email", 2, "sent");
	expect_ics(j->id, "SEQUENCE:2",
	    "DTSTART;TZID=Asia/Ho_Chi_Minh:20260327T140000", NULL);
	j = job_need(&jv, "event-reminder", "an", "sms", 0);
	ck_assert_int_eq(j->due, LOCAL_TIME("2026-03-26 16:00"));
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_superseded)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"update an email 1 1 cancelled", "update an sms 1 1 cancelled",
		"update binh email 1 1 cancelled",
		"update binh sms 1 1 cancelled",
		"update chau email 1 1 cancelled",
		"update chau sms 1 1 cancelled", "update an email 2 2 pending",
		"update an sms 2 2 pending", "update binh email 2 2 pending",
		"update binh sms 2 2 pending", "update chau email 2 2 pending",
		"update chau sms 2 2 pending", REMINDERS_PENDING,
		TASK_JOBS("pending"), NULL };
	struct version		 v2 = V1, v3 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;

	/*
	 * Moved, and moved again before the first updates went out: only the
	 * newest goes; the older one is cancelled, with the reason.
	 */
	invite_v1();
	v2.start = "2026-03-27 08:00";
	load(&v2, NOW1, &rs);
	close_engine();

	v3.start = "2026-03-27 14:00";
	load(&v3, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	expect_jobs(want);
	jobs_get(&jv);
	j = job_need(&jv, "update", "binh", "sms", 1);
	ck_assert_ptr_nonnull(j->reason);
	ck_assert_str_eq(j->reason, "superseded");
	jobs_put(&jv);
	/* The SMS names the new time alone: binh never saw the first move. */
	step(NOW1);
	jobs_get(&jv);
	j = job_in(&jv, "update", "binh", "sms", 2, "sent");
	expect_sms(j->id, "thời gian mới 14 giờ 00, thứ Sáu, ngày 27/03/2026",
	    "08 giờ 00, thứ Sáu, ngày 27/03");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_idempotent)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct ob_event	       oe;
	struct jobv	       jv;
	int		       found;
	size_t		       n;

	/* Version 1 twice: nothing new the second time. */
	load(&V1, NOW0, &rs);
	ck_assert_int_eq(rs.added, 19);
	reconcile(NOW0, &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.moved, 0);
	ck_assert_int_eq(rs.cancelled, 0);
	ck_assert_uint_eq(jobs_count(), 19);
	close_engine();
	story_teardown();
	story_setup();

	invite_v1();
	v2.start = "2026-03-27 08:00";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	n = jobs_count();
	ck_assert_uint_eq(n, 25);
	/* Again in the same process, and before anything is sent. */
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.moved, 0);
	ck_assert_int_eq(rs.updates, 0);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.cancelled, 0);
	ck_assert_uint_eq(jobs_count(), n);
	step(NOW1);
	close_engine();

	/* After a restart, later. */
	load(&v2, "2026-03-15 09:00", &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.moved, 0);
	ck_assert_int_eq(rs.updates, 0);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_uint_eq(jobs_count(), n);
	ck_assert_int_eq(outbox_event_get(engine_outbox(efx.e), PLAN_ID, "hop",
			     &oe, &found),
	    0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(oe.seq, 1);
	ob_event_clear(&oe);
	step("2026-03-15 09:00");
	jobs_get(&jv);
	expect_ics(job_need(&jv, "update", "binh", "email", 1)->id,
	    "SEQUENCE:1", NULL);
	jobs_put(&jv);
}
END_TEST

int
main(void)
{
	TU_CASE("update", story_setup, story_teardown, 60, test_reconcile_moved,
	    test_reconcile_room, test_reconcile_change_words,
	    test_reconcile_moved_twice, test_reconcile_superseded,
	    test_reconcile_idempotent);
	return tu_run("engine-update");
}
