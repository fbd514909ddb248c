/*
 * check_tmpl.c: unit tests of the templates (conf/REFERENCE.md §5, README
 * "Templates"): a Vietnamese default for every key, placeholders rendered from
 * a plan, strftime formats on times, {{ and }} as braces, and the validation
 * errors `check` reports (their FILE:LINE is checked by the fixture
 * tests/data/bad/unknown-placeholder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "render/tmpl.h"
#include "util/mem.h"
#include "util/buf.h"
#include "testutil.h"


/* A plan with one event, one task, one person and one agency. */
static struct {
	struct plan	plan;
	struct event	event;
	struct task	task;
	struct contact	person;
	struct agency	agency;
	struct tmpl_ctx ctx;
	char	       *out;
} w;

static void
setup(void)
{
	memset(&w, 0, sizeof(w));
	w.plan.id = "129/KH-UBND";
	w.plan.title = "Kế hoạch tổ chức Hội nghị";
	w.plan.issuer = "Ủy ban nhân dân xã Đại Sơn";
	w.plan.tz = tz_get(ZONE);
	ck_assert_ptr_nonnull(w.plan.tz);
	w.event.id = "hoi-nghi";
	w.event.title = "Hội nghị tổng kết";
	w.event.location = "Phòng họp gác 3";
	w.event.start.t = LOCAL_TIME("2025-12-26 08:00");
	w.event.end.t = LOCAL_TIME("2025-12-26 11:30");
	w.task.id = "giay-moi";
	w.task.title = "Tham mưu Giấy mời";
	w.task.due.t = LOCAL_TIME("2025-12-16 17:00");
	w.person.id = "soai";
	w.person.name = "Đào Văn Soái";
	w.person.title = "Chủ tịch UBND xã";
	w.agency.id = "vhxh";
	w.agency.name = "Phòng Văn hóa - Xã hội";
	w.ctx.plan = &w.plan;
	w.ctx.event = &w.event;
	w.ctx.task = &w.task;
	w.ctx.person = &w.person;
	w.ctx.agency = &w.agency;
	w.ctx.at = LOCAL_TIME("2025-12-13 08:00");
	w.ctx.changes = "địa điểm mới Hội trường";
}

static void
teardown(void)
{
	free(w.out);
	w.out = NULL;
}

/* Template s rendered against w.ctx. */
static const char *
render(const char *s)
{
	struct buf b = { 0 };

	free(w.out);
	tmpl_render(s, &w.ctx, &b);
	w.out = b.s != NULL ? buf_take(&b) : xstrdup("");
	return w.out;
}

START_TEST(test_defaults_every_key)
{
	struct tmpl t;
	char	    err[512];
	int	    i;

	tmpl_defaults(&t);
	for (i = 0; i < T__N; i++) {
		const char *key = tmpl_key((enum tmpl_name)i);

		ck_assert_ptr_nonnull(key);
		ck_assert_int_eq(tmpl_lookup(key), i);
		ck_assert_msg(t.text[i] != NULL && *t.text[i] != '\0',
		    "%s: no default", key);
		ck_assert_msg(tmpl_validate(t.text[i], err, sizeof(err)) == 0,
		    "%s: the default does not validate: %s", key, err);
		ck_assert_ptr_null(t.loc[i].file);
		/* Each renders to something, in Vietnamese. */
		ck_assert_msg(strlen(render(t.text[i])) > 0, "%s", key);
		ck_assert_msg(strchr(render(t.text[i]), '{') == NULL,
		    "%s: a placeholder left: %s", key, w.out);
	}
	ck_assert_int_eq(tmpl_lookup("invitation_subject"),
	    T_INVITATION_SUBJECT);
	ck_assert_int_eq(tmpl_lookup("overdue_sms"), T_OVERDUE_SMS);
	ck_assert_int_eq(tmpl_lookup("invitation_subjects"), -1);
	ck_assert_int_eq(tmpl_lookup(""), -1);
	ck_assert_str_eq(render(t.text[T_INVITATION_SUBJECT]),
	    "Giấy mời: Hội nghị tổng kết");
}
END_TEST

START_TEST(test_sms_of_kind)
{
	static const struct {
		enum job_kind  k;
		enum tmpl_name t;
	} v[] = {
		{ JK_DISTRIBUTION, T_DISTRIBUTION_SMS },
		{ JK_INVITATION, T_INVITATION_SMS },
		{ JK_UPDATE, T_UPDATE_SMS },
		{ JK_CANCEL, T_CANCEL_SMS },
		{ JK_EVENT_REMINDER, T_EVENT_REMINDER_SMS },
		{ JK_TASK_REMINDER, T_TASK_REMINDER_SMS },
		{ JK_OVERDUE, T_OVERDUE_SMS },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_int_eq(tmpl_sms_of(v[i].k), v[i].t);
}
END_TEST

START_TEST(test_render_placeholders)
{
	ck_assert_str_eq(render("{plan.id}"), "129/KH-UBND");
	ck_assert_str_eq(render("{plan.title} / {plan.issuer}"),
	    "Kế hoạch tổ chức Hội nghị / Ủy ban nhân dân xã Đại Sơn");
	ck_assert_str_eq(render("{event.title} tại {event.location}"),
	    "Hội nghị tổng kết tại Phòng họp gác 3");
	ck_assert_str_eq(render("{task.title}"), "Tham mưu Giấy mời");
	ck_assert_str_eq(render("Kính gửi {person.title} {person.name}"),
	    "Kính gửi Chủ tịch UBND xã Đào Văn Soái");
	ck_assert_str_eq(render("{agency.name}"), "Phòng Văn hóa - Xã hội");
	ck_assert_str_eq(render("Thay đổi: {changes}."),
	    "Thay đổi: địa điểm mới Hội trường.");
	/* days_left counts calendar days to the task's deadline. */
	ck_assert_str_eq(render("còn {days_left} ngày"), "còn 3 ngày");
	w.ctx.task = NULL;
	ck_assert_str_eq(render("còn {days_left} ngày"), "còn 13 ngày");
	/* What the context lacks renders empty, never "(null)". */
	w.ctx.event = NULL;
	w.ctx.person = NULL;
	ck_assert_str_eq(render("[{event.title}|{event.start}|{person.name}]"),
	    "[||]");
	ck_assert_str_eq(render("không có gì"), "không có gì");
	ck_assert_str_eq(render(""), "");
}
END_TEST

START_TEST(test_render_time_formats)
{
	ck_assert_str_eq(render("{event.start:%H:%M}"), "08:00");
	ck_assert_str_eq(render("{event.end:%H:%M}"), "11:30");
	ck_assert_str_eq(render("{event.start:%d/%m/%Y}"), "26/12/2025");
	ck_assert_str_eq(render("{task.due:%H:%M ngày %d/%m/%Y}"),
	    "17:00 ngày 16/12/2025");
	/* The default format, as officials write a time (conf/REFERENCE.md §5),
	 * in the plan's zone whatever the machine's. */
	ck_assert_str_eq(render("{event.start}"),
	    "08 giờ 00, thứ Sáu, ngày 26/12/2025");
	ck_assert_str_eq(render("{event.end}"),
	    "11 giờ 30, thứ Sáu, ngày 26/12/2025");
	ck_assert_str_eq(render("Hạn {task.due}."),
	    "Hạn 17 giờ 00, thứ Ba, ngày 16/12/2025.");
	/* Around midnight local time (17:00 UTC): the local date. */
	w.event.start.t = LOCAL_TIME("2025-12-31 06:30");
	ck_assert_str_eq(render("{event.start:%Y-%m-%d %H:%M}"),
	    "2025-12-31 06:30");
	w.event.start.t = LOCAL_TIME("2026-01-01 00:15");
	ck_assert_str_eq(render("{event.start:%Y-%m-%d %H:%M}"),
	    "2026-01-01 00:15");
	/* Unresolved: empty. */
	w.event.start.t = TIMEX_NONE;
	ck_assert_str_eq(render("<{event.start:%H:%M}>"), "<>");
}
END_TEST

/*
 * %s is the instant's epoch, %z and %Z the plan zone's offset and name,
 * whatever zone the machine is in; a format or a result of any length is
 * rendered whole.
 */
START_TEST(test_render_time_zone_formats)
{
	struct buf f = { 0 }, want = { 0 };
	int	   i;

	/* The machine in another zone than the plan's. */
	setenv("TZ", "America/New_York", 1);
	tzset();
	ck_assert_str_eq(render("{event.start:%s}"), "1766710800");
	ck_assert_str_eq(render("{event.start:%H:%M %z %Z}"),
	    "08:00 +0700 Asia/Ho_Chi_Minh");
	ck_assert_str_eq(render("{event.start:%%s=%s %d/%m}"),
	    "%s=1766710800 26/12");
	setenv("TZ", "UTC", 1);
	tzset();
	ck_assert_str_eq(render("{event.start:%s}"), "1766710800");
	unsetenv("TZ");
	tzset();
	buf_adds(&f, "{event.start:");
	for (i = 0; i < 100; i++) {
		buf_adds(&f, "ngày %d/%m/%Y, ");
		buf_adds(&want, "ngày 26/12/2025, ");
	}
	buf_adds(&f, "}");
	ck_assert_str_eq(render(f.s), want.s);
	buf_free(&f);
	buf_free(&want);
}
END_TEST

/*
 * The weekday is Vietnamese, in the default and wherever a format asks
 * for %A (or %a, short), whatever the machine's zone and locale; every
 * other conversion is strftime's.
 */
START_TEST(test_render_weekdays)
{
	static const struct {
		const char *day, *a, *wd;
	} v[] = {
		{ "21", "CN", "Chủ nhật" },
		{ "22", "T2", "thứ Hai" },
		{ "23", "T3", "thứ Ba" },
		{ "24", "T4", "thứ Tư" },
		{ "25", "T5", "thứ Năm" },
		{ "26", "T6", "thứ Sáu" },
		{ "27", "T7", "thứ Bảy" },
	};
	size_t i;
	char   when[32], want[128];

	/* The machine in a zone where it is another day already. */
	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(when, sizeof(when), "2025-12-%s 07:30", v[i].day);
		w.event.start.t = LOCAL_TIME(when);
		snprintf(want, sizeof(want), "07 giờ 30, %s, ngày %s/12/2025",
		    v[i].wd, v[i].day);
		ck_assert_str_eq(render("{event.start}"), want);
		ck_assert_str_eq(render("{event.start:%A}"), v[i].wd);
		ck_assert_str_eq(render("{event.start:%a}"), v[i].a);
	}
	/* 2025-12-21 23:30 local is 16:30 UTC the same day, 06:30 of the
	 * 22nd in Kiritimati: the plan's Sunday. */
	w.event.start.t = LOCAL_TIME("2025-12-21 23:30");
	ck_assert_str_eq(render("{event.start:%A %d/%m %H:%M}"),
	    "Chủ nhật 21/12 23:30");
	unsetenv("TZ");
	tzset();
	/* In any format, beside strftime's own conversions. */
	w.event.start.t = LOCAL_TIME("2025-12-26 08:00");
	ck_assert_str_eq(render("{event.start:%H:%M, %A (%a), ngày %d/%m/%Y}"),
	    "08:00, thứ Sáu (T6), ngày 26/12/2025");
	ck_assert_str_eq(render("{task.due:%A %j %u}"), "thứ Ba 350 2");
	ck_assert_str_eq(render("{event.start:%%A}"), "%A");
	/* The SMS and mail templates use the default, weekday and all. */
	ck_assert_str_eq(render(tmpl_text(NULL, T_INVITATION_SMS)),
	    "Giấy mời: Hội nghị tổng kết. 08 giờ 00, thứ Sáu, ngày "
	    "26/12/2025, Phòng họp gác 3.");
	ck_assert_ptr_nonnull(strstr(render(
					 tmpl_text(NULL, T_TASK_REMINDER_BODY)),
	    "Hạn hoàn thành: 17 giờ 00, thứ Ba, ngày 16/12/2025 (còn 3 ngày)"));
	ck_assert_str_eq(render(tmpl_text(NULL, T_CHANGE_TIME)),
	    "thời gian mới 08 giờ 00, thứ Sáu, ngày 26/12/2025 đến 11 giờ 30, "
	    "thứ Sáu, ngày 26/12/2025");
}
END_TEST

START_TEST(test_render_braces)
{
	ck_assert_str_eq(render("{{plan.id}}"), "{plan.id}");
	ck_assert_str_eq(render("{{{plan.id}}}"), "{129/KH-UBND}");
	ck_assert_str_eq(render("a {{ b }} c"), "a { b } c");
	ck_assert_str_eq(render("{{}}"), "{}");
}
END_TEST

START_TEST(test_validate_ok)
{
	static const char *const good[] = {
		"",
		"plain text",
		"{plan.id}",
		"{{literal}}",
		"{event.start:%H:%M ngày %d/%m/%Y}",
		"{event.end:%H}",
		"{task.due:%d/%m}",
		"{days_left} {changes} {agency.name}",
		"{person.name}{person.title}{event.location}{plan.issuer}",
	};
	char   err[512];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(tmpl_validate(good[i], err, sizeof(err)) == 0,
		    "\"%s\": %s", good[i], err);
}
END_TEST

/* Each bad template fails with a message that says what is wrong. */
START_TEST(test_validate_errors)
{
	static const struct {
		const char *s;
		const char *want;
	} bad[] = {
		{ "{event.titel}", "unknown placeholder {event.titel}" },
		{ "Kính gửi {name}", "unknown placeholder {name}" },
		{ "{}", "unknown placeholder {}" },
		{ "{plan.id", "unclosed '{'" },
		{ "abc {", "unclosed '{'" },
		{ "abc }", "unmatched '}'" },
		{ "} {plan.id}", "unmatched '}'" },
		{ "{plan.id:%H:%M}", "{plan.id} takes no format" },
		{ "{person.name:%Y}", "{person.name} takes no format" },
		{ "{event.start:%H} {bogus:%H}",
		    "unknown placeholder {bogus}" },
	};
	char   err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(tmpl_validate(bad[i].s, err, sizeof(err)) == -1,
		    "\"%s\" validated", bad[i].s);
		ck_assert_msg(strstr(err, bad[i].want) != NULL,
		    "\"%s\": \"%s\", wanted \"%s\"", bad[i].s, err,
		    bad[i].want);
	}
	/* The unknown one's message lists what is known. */
	ck_assert_int_eq(tmpl_validate("{x}", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "{event.start}") != NULL, "%s", err);
}
END_TEST

int
main(void)
{
	TU_CASE("tmpl", setup, teardown, 0, test_defaults_every_key,
	    test_sms_of_kind, test_render_placeholders,
	    test_render_time_formats, test_render_time_zone_formats,
	    test_render_weekdays, test_render_braces, test_validate_ok,
	    test_validate_errors);
	return tu_run("tmpl");
}
