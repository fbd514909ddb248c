/*
 * check_engine_cancel.c: reconciliation of what is called off
 * (conf/REFERENCE.md §6): an attendee taken off the list, an event cancelled or
 * taken out of the plan; each person invited hears it once, on the channels
 * they were invited by, with the time they were told.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/mem.h"
#include "enginestory.h"

START_TEST(test_reconcile_attendee_removed)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"cancel chau email 1 1 pending", "cancel chau sms 1 1 pending",
		"event-reminder an sms 0 0 pending",
		"event-reminder binh sms 0 0 pending",
		"event-reminder chau sms 0 0 cancelled", TASK_JOBS("pending"),
		NULL };
	struct version		 v2 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;
	char			*ics, *e;

	invite_v1();
	v2.attendees = "\"an\", \"binh\"";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 1);
	ck_assert_int_eq(rs.updates, 0);
	ck_assert_int_eq(rs.cancelled, 1);
	expect_jobs(want);
	jobs_get(&jv);
	j = job_need(&jv, "cancel", "chau", "email", 1);
	ck_assert_str_eq(j->address, "chau@daison.example");
	ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
	j = job_need(&jv, "event-reminder", "chau", "sms", 0);
	ck_assert_ptr_nonnull(j->reason);
	ck_assert_str_eq(j->reason, "no longer in the plan");
	jobs_put(&jv);

	/* The CANCEL lists the removed attendee alone. */
	step(NOW1);
	jobs_get(&jv);
	j = job_in(&jv, "cancel", "chau", "email", 1, "sent");
	ics = ics_of(j->id);
	ck_assert_msg(ics_has(ics, "METHOD:CANCEL"), "%s", ics);
	ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
	ck_assert_msg(strstr(ics, "mailto:chau@daison.example") != NULL, "%s",
	    ics);
	ck_assert_msg(strstr(ics, "mailto:an@daison.example") == NULL, "%s",
	    ics);
	free(ics);
	e = eml_of(j->id);
	ck_assert_msg(strstr(e, "text/calendar; method=CANCEL") != NULL, "%s",
	    e);
	free(e);
	jobs_put(&jv);
	/* Still nobody else hears anything. */
	close_engine();
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.updates, 0);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_uint_eq(jobs_count(), 21);
}
END_TEST

START_TEST(test_reconcile_attendee_back)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *req = NULL;
	char		      *ics;
	size_t		       i;

	/*
	 * chau is taken off the list (and gets a CANCEL), then put back:
	 * her calendar holds the event as cancelled, so she must get a
	 * REQUEST again, with a SEQUENCE above the CANCEL's.
	 */
	invite_v1();
	v2.attendees = "\"an\", \"binh\"";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 1);
	step(NOW1);
	close_engine();

	load(&V1, "2026-03-15 09:00", &rs);
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if ((strcmp(jv.v[i].kind, "invitation") == 0 ||
			strcmp(jv.v[i].kind, "update") == 0) &&
		    strcmp(jv.v[i].recipient, "chau") == 0 &&
		    strcmp(jv.v[i].channel, "email") == 0 &&
		    strcmp(jv.v[i].state, "pending") == 0)
			req = &jv.v[i];
	ck_assert_msg(req != NULL,
	    "chau, back on the list, is not invited "
	    "again: no pending invitation or update to her");
	jobs_put(&jv);
	step("2026-03-15 09:00");
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if ((strcmp(jv.v[i].kind, "invitation") == 0 ||
			strcmp(jv.v[i].kind, "update") == 0) &&
		    strcmp(jv.v[i].recipient, "chau") == 0 &&
		    strcmp(jv.v[i].channel, "email") == 0 &&
		    jv.v[i].sent_at == LOCAL_TIME("2026-03-15 09:00")) {
			ics = ics_of(jv.v[i].id);
			ck_assert_msg(ics_has(ics, "METHOD:REQUEST"), "%s",
			    ics);
			ck_assert_msg(!ics_has(ics, "SEQUENCE:0") &&
				!ics_has(ics, "SEQUENCE:1"),
			    "%s", ics);
			free(ics);
		}
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_event_cancelled)
{
	static const char *const want[] = { INVITATIONS("sent"),
		"cancel an email 1 1 pending", "cancel an sms 1 1 pending",
		"cancel binh email 1 1 pending", "cancel binh sms 1 1 pending",
		"cancel chau email 1 1 pending", "cancel chau sms 1 1 pending",
		"event-reminder an sms 0 0 cancelled",
		"event-reminder binh sms 0 0 cancelled",
		"event-reminder chau sms 0 0 cancelled", TASK_JOBS("pending"),
		NULL };
	struct version		 v2 = V1;
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	const struct tjob	*j;
	char			*e;
	size_t			 i;

	invite_v1();
	v2.status = "cancelled";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 0);
	expect_jobs(want);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "cancel", RCPT[i], "email", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		j = job_need(&jv, "event-reminder", RCPT[i], "sms", 0);
		ck_assert_ptr_nonnull(j->reason);
	}
	jobs_put(&jv);

	step(NOW1);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "cancel", RCPT[i], "email", 1, "sent");
		expect_ics(j->id, "METHOD:CANCEL", "STATUS:CANCELLED",
		    "SEQUENCE:1", NULL);
		e = eml_of(j->id);
		ck_assert_msg(strstr(e, "text/calendar; method=CANCEL") != NULL,
		    "%s", e);
		free(e);
		j = job_in(&jv, "cancel", RCPT[i], "sms", 1, "sent");
		free(sms_of(j->id));
	}
	jobs_put(&jv);
	/* Cancelled once is enough. */
	close_engine();
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_uint_eq(jobs_count(), 25);
}
END_TEST

START_TEST(test_reconcile_cancelled_sms_only)
{
	struct version	       v1 = V1, v2;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *j;

	/*
	 * dung has no email: his invitation was an SMS. When the event is
	 * called off he must hear it too, by SMS.
	 */
	v1.attendees = "\"an\", \"binh\", \"chau\", \"dung\"";
	load(&v1, NOW0, NULL);
	step(T_INV);
	jobs_get(&jv);
	j = job_in(&jv, "invitation", "dung", "sms", 0, "sent");
	ck_assert_ptr_null(job_find(&jv, "invitation", "dung", "email", 0));
	jobs_put(&jv);
	close_engine();

	v2 = v1;
	v2.status = "cancelled";
	load(&v2, NOW1, &rs);
	jobs_get(&jv);
	ck_assert_ptr_nonnull(job_find(&jv, "cancel", "an", "sms", 1));
	j = job_find(&jv, "cancel", "dung", "sms", 1);
	ck_assert_msg(j != NULL,
	    "dung, invited by SMS only, gets no SMS "
	    "when the event is cancelled");
	ck_assert_str_eq(j->state, "pending");
	ck_assert_str_eq(j->address, "+84912000004");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_reconcile_event_deleted)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *j;
	char		      *ics;
	size_t		       i;

	/*
	 * The event is taken out of the plan after its invitations went
	 * out: it is in three calendars, so each gets a CANCEL (and an SMS)
	 * for the event as they knew it.
	 */
	invite_v1();
	v2.status = "deleted";
	v2.task_due = "2026-03-18 17:00";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 3);
	ck_assert_int_eq(rs.updates, 0);
	step(NOW1);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_in(&jv, "event-reminder", RCPT[i], "sms", 0,
		    "cancelled");
		j = job_in(&jv, "cancel", RCPT[i], "email", 1, "sent");
		ics = ics_of(j->id);
		ck_assert_msg(ics_has(ics, "METHOD:CANCEL"), "%s", ics);
		ck_assert_msg(ics_has(ics, "STATUS:CANCELLED"), "%s", ics);
		ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
		ck_assert_msg(ics_has(ics, "SUMMARY:Họp giao ban"), "%s", ics);
		ck_assert_msg(ics_has(ics,
				  "DTSTART;TZID=Asia/"
				  "Ho_Chi_Minh:20260320T080000"),
		    "%s", ics);
		ck_assert_msg(strstr(ics, "ORGANIZER;CN=") != NULL &&
			strstr(ics, ":mailto:vhxh@daison.example") != NULL,
		    "%s", ics);
		free(ics);
		j = job_in(&jv, "cancel", RCPT[i], "sms", 1, "sent");
		expect_sms(j->id, "Họp giao ban", NULL);
	}
	jobs_put(&jv);
	/* Told once. */
	close_engine();
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.added, 0);
	close_engine();

	/* Back in the plan: everybody is invited again, SEQUENCE 2. */
	v2 = V1;
	v2.task_due = "2026-03-18 17:00";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	step(NOW1);
	jobs_get(&jv);
	j = job_in(&jv, "update", "binh", "email", 2, "sent");
	expect_ics(j->id, "METHOD:REQUEST", "SEQUENCE:2", "STATUS:CONFIRMED",
	    NULL);
	jobs_put(&jv);
}
END_TEST

/*
 * Moved and an attendee removed in one version: the removed attendee's
 * cancellation quotes the time they were sent (their SMS and the words of
 * their mail; the CANCEL keeps the UID with a higher SEQUENCE), the
 * others' update the new one. The same when the event is moved and
 * cancelled at once.
 */
START_TEST(test_cancel_quotes_announced)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *j;

	invite_v1();
	v2.start = "2026-03-21 14:00";
	v2.attendees = "\"an\", \"binh\"";
	load(&v2, NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 1);
	step(NOW1);
	jobs_get(&jv);
	j = job_in(&jv, "cancel", "chau", "sms", 1, "sent");
	expect_sms(j->id, "08 giờ 00, thứ Sáu, ngày 20/03/2026", "21/03/2026");
	j = job_need(&jv, "cancel", "chau", "email", 1);
	expect_mail(j->id, "08 giờ 00, thứ Sáu, ngày 20/03/2026", "21/03/2026");
	expect_ics(j->id, "METHOD:CANCEL", "SEQUENCE:1", NULL);
	j = job_need(&jv, "update", "an", "sms", 1);
	expect_sms(j->id, "14 giờ 00, thứ Bảy, ngày 21/03/2026", NULL);
	j = job_need(&jv, "update", "an", "email", 1);
	expect_mail(j->id, "14 giờ 00, thứ Bảy, ngày 21/03/2026", NULL);
	jobs_put(&jv);
	close_engine();

	/* Moved and cancelled at once: everybody hears the time they had. */
	v2.start = "2026-03-22 09:00";
	v2.status = "cancelled";
	load(&v2, NOW1, &rs);
	step(NOW1);
	jobs_get(&jv);
	j = job_need(&jv, "cancel", "an", "sms", 2);
	expect_sms(j->id, "14 giờ 00, thứ Bảy, ngày 21/03/2026", NULL);
	jobs_put(&jv);
}
END_TEST

int
main(void)
{
	TU_CASE("cancel", story_setup, story_teardown, 60,
	    test_reconcile_attendee_removed, test_reconcile_attendee_back,
	    test_reconcile_event_cancelled, test_reconcile_cancelled_sms_only,
	    test_reconcile_event_deleted, test_cancel_quotes_announced);
	return tu_run("engine-cancel");
}
