/*
 * check_plan_times.c: unit tests of a plan's times resolved (conf/REFERENCE.md
 * §2, §8: absolute and relative times, quiet hours, tentative ones), SMS
 * parts, and the jobs as JSON and in timeline order (planfx.h loads the
 * fixtures).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "plan/planfile.h"
#include "plan/service.h"
#include "render/tmpl.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "render/compose.h"
#include "util/strmap.h"
#include "jobs/slots.h"
#include "util/sms.h"
#include "jobs/timeline.h"
#include "view/out.h"
#include "testutil.h"
#include "planfx.h"

/* Times (conf/REFERENCE.md §2). */

START_TEST(test_times)
{
	static const struct want_time want[] = {
		/* due - 3bd from Tue 01-06 over Sun, Sat and the holidays
		 * Fri 01-02 and Thu 01-01 */
		{ JK_TASK_REMINDER, "t-lich", 0, "thu", CH_EMAIL,
		    "2025-12-30T08:00:00+07:00" },
		{ JK_TASK_REMINDER, "t-lich", 0, "thu", CH_SMS,
		    "2025-12-30T08:00:00+07:00" },
		/* due + 1bd at 08:00 */
		{ JK_OVERDUE, "t-lich", 0, "thu", CH_EMAIL,
		    "2026-01-07T08:00:00+07:00" },
		/* the default from loa.defaults: due - 1bd at 10:00 */
		{ JK_TASK_REMINDER, "t-ngay", 0, "thu", CH_EMAIL,
		    "2026-01-08T10:00:00+07:00" },
		/* due + 1bd from Friday 23:59: Monday */
		{ JK_OVERDUE, "t-ngay", 0, "thu", CH_EMAIL,
		    "2026-01-12T08:00:00+07:00" },
		/* task -> task -> event */
		{ JK_TASK_REMINDER, "t-chuoi", 0, "thu", CH_EMAIL,
		    "2026-01-07T08:00:00+07:00" },
		/* no invite: as soon as the plan is issued */
		{ JK_INVITATION, "hn", 0, "thu", CH_EMAIL,
		    "2025-12-15T00:00:00+07:00" },
	};
	static const struct {
		const char *task;
		const char *due;
	} dues[] = {
		{ "t-lich", "2026-01-06T17:00:00+07:00" },
		{ "t-ngay", "2026-01-09T23:59:00+07:00" }, /* date alone */
		{ "t-chuoi", "2026-01-08T17:00:00+07:00" },
	};
	struct world	  *w;
	const struct plan *p;
	char		   buf[40];
	size_t		   i;

	w = world_open("plans/times/loa.cfg");
	p = w->plans[0];
	for (i = 0; i < sizeof(dues) / sizeof(dues[0]); i++)
		ck_assert_str_eq(local_str(p, task_of(p, dues[i].task)->due.t,
				     buf, sizeof(buf)),
		    dues[i].due);
	ck_assert_str_eq(local_str(p, p->events[0].end.t, buf, sizeof(buf)),
	    "2026-01-16T11:30:00+07:00");
	check_times(w, want, sizeof(want) / sizeof(want[0]));
	/* The default list has one reminder, and it replaces nothing else. */
	ck_assert_int_eq(job_count(w, JK_TASK_REMINDER, "t-ngay", ANY, NULL,
			     ANY),
	    2);
	/* A reminder refers to its task's deadline. */
	ck_assert_int_eq(job_one(w, JK_TASK_REMINDER, "t-lich", 0, "thu",
			     CH_SMS)
			     ->refers,
	    task_of(p, "t-lich")->due.t);
	/* One warning: the event has no address for an ORGANIZER. */
	ck_assert_int_eq(w->d.warnings, 1);
	fflush(w->d.out);
	ck_assert_msg(strstr(w->log,
			  "plan.cfg:23: warning: events.hn.organizer: "
			  "no email address for an ORGANIZER") != NULL,
	    "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_quiet_hours)
{
	static const struct want_time want[] = {
		/* 05:00 is quiet; 06:30 is still before the 07:00 start */
		{ JK_EVENT_REMINDER, "sang", 0, "tam", CH_SMS,
		    "2026-03-10T06:30:00+07:00" },
		{ JK_EVENT_REMINDER, "sang", 0, "tam", CH_EMAIL,
		    "2026-03-10T05:00:00+07:00" },
		/* 22:00 is quiet; 06:30 would be after the 06:00 deadline */
		{ JK_TASK_REMINDER, "han", 0, "tam", CH_SMS,
		    "2026-03-11T20:59:00+07:00" },
		{ JK_TASK_REMINDER, "han", 0, "tam", CH_EMAIL,
		    "2026-03-11T22:00:00+07:00" },
		/* the invitation at plan.issued, midnight */
		{ JK_INVITATION, "sang", 0, "tam", CH_SMS,
		    "2026-03-01T06:30:00+07:00" },
		{ JK_INVITATION, "sang", 0, "tam", CH_EMAIL,
		    "2026-03-01T00:00:00+07:00" },
		/* an overdue notice has nothing ahead to be late for */
		{ JK_OVERDUE, "muon", 0, "tam", CH_SMS,
		    "2026-03-14T06:30:00+07:00" },
		{ JK_OVERDUE, "muon", 0, "tam", CH_EMAIL,
		    "2026-03-13T23:00:00+07:00" },
	};
	struct world *w;

	w = world_open("plans/quiet/loa.cfg");
	check_times(w, want, sizeof(want) / sizeof(want[0]));
	ck_assert_int_eq(w->jobs.n, sizeof(want) / sizeof(want[0]));
	world_close(w);
}
END_TEST

/* Tentative and cancelled events (conf/REFERENCE.md §2 and §4). */

START_TEST(test_tentative)
{
	static const struct {
		enum job_kind  kind;
		const char    *object;
		enum channel   ch;
		enum job_state state;
		const char    *reason; /* a part of it; NULL: none */
	} want[] = {
		/* start = "2025-12" */
		{ JK_INVITATION, "hn", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_INVITATION, "hn", CH_SMS, JS_HELD, "tentative" },
		{ JK_EVENT_REMINDER, "hn", CH_SMS, JS_HELD, "tentative" },
		/* due relative to hn */
		{ JK_TASK_REMINDER, "gm", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_TASK_REMINDER, "gm", CH_SMS, JS_HELD, "tentative" },
		{ JK_OVERDUE, "gm", CH_EMAIL, JS_HELD, "tentative" },
		/* status = "tentative", a full date */
		{ JK_INVITATION, "hn-tt", CH_EMAIL, JS_HELD, "tentative" },
		{ JK_INVITATION, "hn-tt", CH_SMS, JS_HELD, "tentative" },
		{ JK_EVENT_REMINDER, "hn-tt", CH_SMS, JS_HELD, "tentative" },
		/* status = "cancelled" */
		{ JK_INVITATION, "hn-huy", CH_EMAIL, JS_CANCELLED, "cancel" },
		{ JK_INVITATION, "hn-huy", CH_SMS, JS_CANCELLED, "cancel" },
		{ JK_EVENT_REMINDER, "hn-huy", CH_SMS, JS_CANCELLED, "cancel" },
		/* confirmed, absolute */
		{ JK_INVITATION, "hn-ok", CH_EMAIL, JS_PENDING, NULL },
		{ JK_EVENT_REMINDER, "hn-ok", CH_SMS, JS_PENDING, NULL },
		{ JK_TASK_REMINDER, "gm-ok", CH_EMAIL, JS_PENDING, NULL },
	};
	struct world *w;
	size_t	      i;

	w = world_open("plans/tentative/loa.cfg");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct job *j = job_one(w, want[i].kind, want[i].object,
		    0, "lan", want[i].ch);

		ck_assert_msg(j->state == want[i].state,
		    "%s %s by %s: state "
		    "%s, expected %s",
		    job_kind_names[want[i].kind], want[i].object,
		    channel_names[want[i].ch], job_state_names[j->state],
		    job_state_names[want[i].state]);
		if (want[i].reason == NULL)
			ck_assert_ptr_null(j->reason);
		else
			ck_assert_msg(j->reason != NULL &&
				strstr(j->reason, want[i].reason) != NULL,
			    "%s %s: reason \"%s\", expected one mentioning "
			    "\"%s\"",
			    job_kind_names[want[i].kind], want[i].object,
			    j->reason ? j->reason : "(null)", want[i].reason);
	}
	ck_assert_int_eq(w->plans[0]->events[0].status, EV_CONFIRMED);
	ck_assert_ptr_nonnull(w->plans[0]->events[0].start.tentative);
	world_close(w);
}
END_TEST

/* SMS (conf/REFERENCE.md §6). */

#define SMS_TITLE \
	"Tổng hợp báo cáo kết quả cải cách hành chính năm 2025 " \
	"của các phòng, ban, đơn vị"

START_TEST(test_sms_parts)
{
	static const struct {
		const char	 *cfg;
		const char	 *text; /* NULL: don't compare */
		enum sms_encoding enc;
		int		  parts;
		int		  warnings;
	} want[] = {
		/* 158 characters with diacritics: 67 + 67 + 24 */
		{ "plans/sms/loa.cfg",
		    "Nhắc việc KH 7/KH-UBND: " SMS_TITLE
		    ". Hạn 17 giờ 00, thứ Sáu, ngày 20/03/2026, còn 5 ngày.",
		    SMS_UCS2, 3, 0 },
		/* folded: the same 158 characters fit one GSM-7 message */
		{ "plans/sms-fold/loa.cfg",
		    "Nhac viec KH 7/KH-UBND: Tong hop "
		    "bao cao ket qua cai cach hanh chinh nam 2025 cua cac "
		    "phong, ban, don vi. Han 17 gio 00, thu Sau, ngay "
		    "20/03/2026, con 5 ngay.",
		    SMS_GSM7, 1, 0 },
		/* the template override: 256 characters, past max_parts 3 */
		{ "plans/sms-tmpl/loa.cfg",
		    "Nhắc việc: " SMS_TITLE ". " SMS_TITLE ". " SMS_TITLE ".",
		    SMS_UCS2, 4, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct world	 *w;
		const struct job *j;
		char		 *text;

		w = world_open(want[i].cfg);
		j = job_one(w, JK_TASK_REMINDER, "tong-hop", 0, "hoa", CH_SMS);
		text = compose_sms(w->plans[0], w->svc, (enum job_kind)j->kind,
		    strmap_get(w->plans[0]->names, j->object), j->to, j->due,
		    NULL);
		ck_assert_str_eq(text, want[i].text);
		free(text);
		ck_assert_msg(j->sms_encoding == want[i].enc, "%s: %s",
		    want[i].cfg,
		    sms_encoding_name((enum sms_encoding)j->sms_encoding));
		ck_assert_msg(j->sms_parts == want[i].parts,
		    "%s: %d parts, "
		    "expected %d",
		    want[i].cfg, j->sms_parts, want[i].parts);
		/* An email has no parts. */
		ck_assert_int_eq(job_one(w, JK_TASK_REMINDER, "tong-hop", 0,
				     "hoa", CH_EMAIL)
				     ->sms_parts,
		    0);
		ck_assert_msg(w->d.warnings == want[i].warnings, "%s: %s",
		    want[i].cfg, w->log);
		ck_assert_int_eq(tu_lines(w->log, "warning", "max_parts 3"),
		    want[i].warnings);
		world_close(w);
	}
}
END_TEST

/* The timeline JSON (conf/REFERENCE.md §7). */

/* Check that o's keys start with keys[0..n) in that order. */
/* A job as `timeline --json` writes it (view/out.h). */
static json_t *
job_json(const struct job *j)
{
	struct out_job o;

	out_job_from_job(&o, j);
	return out_job_json(&o);
}

static void
check_keys(json_t *o, const char *const *keys, size_t n, size_t total)
{
	void  *it;
	size_t i = 0;

	for (it = json_object_iter(o); it != NULL;
	     it = json_object_iter_next(o, it), i++)
		if (i < n)
			ck_assert_msg(strcmp(json_object_iter_key(it),
					  keys[i]) == 0,
			    "key %zu is \"%s\", expected "
			    "\"%s\"",
			    i, json_object_iter_key(it), keys[i]);
	ck_assert_uint_eq(i, total);
}

static const char *const spec_keys[] = {
	"id",
	"plan",
	"kind",
	"object",
	"recipient",
	"channel",
	"address",
	"due",
	"state",
	"reason",
	"sms_parts",
};

START_TEST(test_json_sms)
{
	struct world	 *w;
	const struct job *j;
	json_t		 *o;

	w = world_open("plans/expand/loa.cfg");
	j = job_one(w, JK_TASK_REMINDER, "bao-cao", 0, "an", CH_SMS);
	o = job_json(j);
	/* conf/REFERENCE.md §7's keys in its order, then sms_encoding. */
	check_keys(o, spec_keys, 11, 12);
	ck_assert_str_eq(json_string_value(json_object_get(o, "id")), j->id);
	ck_assert_str_eq(json_string_value(json_object_get(o, "plan")),
	    "12/KH-UBND");
	ck_assert_str_eq(json_string_value(json_object_get(o, "kind")),
	    "task-reminder");
	ck_assert_str_eq(json_string_value(json_object_get(o, "object")),
	    "bao-cao");
	ck_assert_str_eq(json_string_value(json_object_get(o, "recipient")),
	    "an");
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")),
	    "sms");
	ck_assert_str_eq(json_string_value(json_object_get(o, "address")),
	    "+84912000001");
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-11T08:00:00+07:00");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "pending");
	ck_assert(json_is_null(json_object_get(o, "reason")));
	/* 80 characters with diacritics: two UCS-2 parts. */
	ck_assert(json_is_integer(json_object_get(o, "sms_parts")));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "sms_parts")),
	    2);
	ck_assert_str_eq(json_string_value(json_object_get(o, "sms_encoding")),
	    "ucs2");
	ck_assert_ptr_null(json_object_get(o, "slot"));
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_json_email_and_skipped)
{
	struct world *w;
	json_t	     *o;

	w = world_open("plans/expand/loa.cfg");
	o = job_json(job_one(w, JK_INVITATION, "hop", 0, "chau", CH_EMAIL));
	check_keys(o, spec_keys, 10, 10);
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-19T08:00:00+07:00");
	ck_assert_ptr_null(json_object_get(o, "sms_parts"));
	json_decref(o);

	o = job_json(job_one(w, JK_INVITATION, "hop", 0, "em", CH_SMS));
	check_keys(o, spec_keys, 10, 10);
	ck_assert(json_is_null(json_object_get(o, "address")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "skipped");
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	    "no phone number");
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_json_broadcast)
{
	struct world *w;
	json_t	     *o, *slot;

	w = world_open("plans/expand/loa.cfg");
	o = job_json(
	    job_one(w, JK_BROADCAST, "tin-hop", 0, NULL, CH_BROADCAST));
	check_keys(o, spec_keys, 10, 13);
	ck_assert(json_is_null(json_object_get(o, "recipient")));
	ck_assert(json_is_null(json_object_get(o, "address")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "channel")),
	    "broadcast");
	/* Saturday 11:30 + 1d: the default Chiều slot at 17:00. */
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2025-12-27T17:00:00+07:00");
	ck_assert_str_eq(json_string_value(json_object_get(o, "slot")),
	    "Chiều");
	ck_assert_ptr_null(json_object_get(o, "sms_parts"));
	json_decref(o);
	world_close(w);

	/* An emergency item has no slot: "slot" is there, and null. */
	w = world_open("plans/slots/edge/loa.cfg");
	o = job_json(job_one(w, JK_BROADCAST, "khan", 0, NULL, CH_BROADCAST));
	check_keys(o, spec_keys, 10, 13);
	ck_assert_ptr_nonnull(slot = json_object_get(o, "slot"));
	ck_assert(json_is_null(slot));
	ck_assert(json_is_null(json_object_get(o, "recipient")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "due")),
	    "2026-03-10T22:15:00+07:00");
	json_decref(o);
	world_close(w);
}
END_TEST

START_TEST(test_timeline_order)
{
	struct world *w;
	size_t	      i;

	w = world_open("plans/expand/loa.cfg");
	for (i = 1; i < w->jobs.n; i++)
		ck_assert_int_le(w->jobs.v[i - 1].due, w->jobs.v[i].due);
	world_close(w);
}
END_TEST

int
main(void)
{
	TU_CASE("times", NULL, pfx_teardown, 0, test_times, test_quiet_hours,
	    test_tentative);
	TU_CASE("sms", NULL, pfx_teardown, 0, test_sms_parts);
	TU_CASE("json", NULL, pfx_teardown, 0, test_json_sms,
	    test_json_email_and_skipped, test_json_broadcast,
	    test_timeline_order);
	return tu_run("plan-times");
}
