/*
 * tmpl.c: templates: their Vietnamese defaults, installing the service
 * config's overrides over them, validation and rendering.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render/tmpl.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"

/* How officials write a time: "08 giờ 00, thứ Sáu, ngày 26/12/2025". */
#define TIME_FMT "%H giờ %M, %A, ngày %d/%m/%Y"

static const char *const tmpl_keys[T__N] = {
	"distribution_subject",
	"distribution_body",
	"distribution_sms",
	"invitation_subject",
	"invitation_body",
	"invitation_sms",
	"update_subject",
	"update_body",
	"update_sms",
	"cancel_subject",
	"cancel_body",
	"cancel_sms",
	"event_reminder_subject",
	"event_reminder_body",
	"event_reminder_sms",
	"task_reminder_subject",
	"task_reminder_body",
	"task_reminder_sms",
	"overdue_subject",
	"overdue_body",
	"overdue_sms",
	"change_time",
	"change_location",
	"change_title",
	"change_other",
	"change_separator",
	"change_back",
	"change_back_on_list",
	"ical_agenda",
	"ical_task_due",
	"ical_alarm",
	"html_time",
	"html_location",
	"html_agenda",
	"html_task",
	"html_due",
	"html_plan",
	"html_files",
	"broadcast_sms",
	"emergency_sms",
};

static const char *const tmpl_builtin[T__N] = {
	/* distribution */
	"{plan.id}: {plan.title}",
	"Kính gửi {person.name},\n\n{plan.issuer} gửi Kế hoạch số {plan.id}: "
	"{plan.title}.\n\nTrân trọng.\n{plan.issuer}",
	"{plan.issuer} đã gửi Kế hoạch số {plan.id} tới hộp thư của "
	"Quý cơ quan.",
	/* invitation */
	"Giấy mời: {event.title}",
	"Kính gửi {person.name},\n\n{plan.issuer} trân trọng kính mời tham dự "
	"{event.title}.\n\nThời gian: {event.start}.\n"
	"Địa điểm: {event.location}.\n\nTrân trọng.\n{plan.issuer}",
	"Giấy mời: {event.title}. {event.start}, "
	"{event.location}.",
	/* update */
	"Thay đổi: {event.title}",
	"Kính gửi {person.name},\n\n{event.title} có thay đổi: {changes}.\n\n"
	"Thời gian: {event.start}.\nĐịa điểm: {event.location}."
	"\n\nTrân trọng.\n{plan.issuer}",
	"Thay đổi: {event.title}: {changes}.",
	/* cancel */
	"Hủy: {event.title}",
	"Kính gửi {person.name},\n\n{event.title} dự kiến "
	"{event.start} không còn mời Quý vị hoặc đã bị hủy.\n\n"
	"Trân trọng.\n{plan.issuer}",
	"Thông báo hủy: {event.title}, {event.start}.",
	/* event reminder */
	"Nhắc lịch: {event.title}",
	"Kính gửi {person.name},\n\nXin nhắc: {event.title} diễn ra lúc "
	"{event.start} tại {event.location}.\n\nTrân trọng.\n"
	"{plan.issuer}",
	"Nhắc lịch: {event.title}, {event.start}, "
	"{event.location}.",
	/* task reminder */
	"Nhắc việc: {task.title} (hạn {task.due:%d/%m/%Y})",
	"Kính gửi {person.name},\n\nTheo Kế hoạch số {plan.id}, {agency.name} "
	"có nhiệm vụ: {task.title}.\nHạn hoàn thành: {task.due}"
	" (còn {days_left} ngày).\n\nTrân trọng.\n{plan.issuer}",
	"Nhắc việc KH {plan.id}: {task.title}. Hạn {task.due}"
	", còn {days_left} ngày.",
	/* overdue */
	"Quá hạn: {task.title}",
	"Kính gửi {person.name},\n\nNhiệm vụ \"{task.title}\" theo Kế hoạch "
	"số {plan.id} đã quá hạn ({task.due}) mà chưa báo "
	"hoàn thành.\n\nTrân trọng.\n{plan.issuer}",
	"Quá hạn KH {plan.id}: {task.title} (hạn {task.due}).",
	/* the words of {changes} */
	"thời gian mới {event.start} đến {event.end}",
	"địa điểm mới {event.location}",
	"tên mới: {event.title}",
	"nội dung thay đổi",
	"; ",
	"sự kiện được tổ chức trở lại",
	"anh/chị lại có tên trong danh sách mời",
	/* inside iCalendar objects */
	"Chương trình:",
	"Hạn: {task.title}",
	"Nhắc lịch: {event.title}",
	/* the table of the HTML part */
	"Thời gian",
	"Địa điểm",
	"Chương trình",
	"Nhiệm vụ",
	"Hạn hoàn thành",
	"Kế hoạch",
	"Tệp đính kèm",
	/* a broadcast's text by SMS (sms_to) */
	"{plan.issuer} thông báo: {broadcast.title}. {broadcast.text}",
	"KHẨN CẤP - {plan.issuer}: {broadcast.title}. {broadcast.text}",
};

enum tmpl_var {
	V_PLAN_ID,
	V_PLAN_TITLE,
	V_PLAN_ISSUER,
	V_EVENT_TITLE,
	V_EVENT_START,
	V_EVENT_END,
	V_EVENT_LOCATION,
	V_TASK_TITLE,
	V_TASK_DUE,
	V_PERSON_NAME,
	V_PERSON_TITLE,
	V_AGENCY_NAME,
	V_DAYS_LEFT,
	V_CHANGES,
	V_BROADCAST_TITLE,
	V_BROADCAST_TEXT,
	V__N
};

static const char *const tmpl_vars[V__N] = {
	"plan.id",
	"plan.title",
	"plan.issuer",
	"event.title",
	"event.start",
	"event.end",
	"event.location",
	"task.title",
	"task.due",
	"person.name",
	"person.title",
	"agency.name",
	"days_left",
	"changes",
	"broadcast.title",
	"broadcast.text",
};

void
tmpl_defaults(struct tmpl *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < T__N; i++)
		t->text[i] = tmpl_builtin[i];
}

const char *
tmpl_text(const struct tmpl *t, enum tmpl_name n)
{
	assert(n < T__N);
	return t != NULL && t->text[n] != NULL ? t->text[n] : tmpl_builtin[n];
}

char *
tmpl_string(const struct tmpl *t, enum tmpl_name n, const struct tmpl_ctx *c)
{
	struct buf b = { 0 };

	tmpl_render(tmpl_text(t, n), c, &b);
	return buf_take(&b);
}

int
tmpl_lookup(const char *key)
{
	int i;

	for (i = 0; i < T__N; i++)
		if (strcmp(tmpl_keys[i], key) == 0)
			return i;
	return -1;
}

const char *
tmpl_key(enum tmpl_name n)
{
	return tmpl_keys[n];
}

enum tmpl_name
tmpl_sms_of(enum job_kind k)
{
	switch (k) {
	case JK_DISTRIBUTION:
		return T_DISTRIBUTION_SMS;
	case JK_INVITATION:
		return T_INVITATION_SMS;
	case JK_UPDATE:
		return T_UPDATE_SMS;
	case JK_CANCEL:
		return T_CANCEL_SMS;
	case JK_EVENT_REMINDER:
		return T_EVENT_REMINDER_SMS;
	case JK_TASK_REMINDER:
		return T_TASK_REMINDER_SMS;
	case JK_BROADCAST:
		return T_BROADCAST_SMS;
	default:
		return T_OVERDUE_SMS;
	}
}

static int
tmpl_var(const char *name, size_t len)
{
	int i;

	for (i = 0; i < V__N; i++)
		if (strlen(tmpl_vars[i]) == len &&
		    strncmp(tmpl_vars[i], name, len) == 0)
			return i;
	return -1;
}

static int
tmpl_is_time(int v)
{
	return v == V_EVENT_START || v == V_EVENT_END || v == V_TASK_DUE;
}

/*
 * Walk template s. For each literal run call lit, for each placeholder
 * var; stop at the first error. Shared by validation and rendering.
 */
/*
 * Whether the time format f (n bytes) uses only conversions strftime and
 * loa know (%s, %z and %Z are loa's own): a %Q or a lone % would be sent
 * as written. 0, or -1 with err set.
 */
static int
tmpl_format_ok(const char *f, size_t n, char *err, size_t errlen)
{
	static const char known[] = "aAbBcCdDeFgGhHIjmMnprRsStTuUVwWxXyYzZ%";
	size_t		  i;

	for (i = 0; i < n; i++) {
		if (f[i] != '%')
			continue;
		if (i + 1 < n && (f[i + 1] == 'E' || f[i + 1] == 'O'))
			i++;
		if (i + 1 >= n || strchr(known, f[i + 1]) == NULL) {
			snprintf(err, errlen,
			    "unknown time conversion \"%%%.*s\" in {...:%.*s}; "
			    "expected one of strftime's, such as %%H:%%M ngày "
			    "%%d/%%m/%%Y (%%%% for a percent sign)",
			    i + 1 < n ? 1 : 0, f + i + 1, (int)n, f);
			return -1;
		}
		i++;
	}
	return 0;
}

static int
tmpl_walk(const char *s, char *err, size_t errlen,
    void (*lit)(void *, const char *, size_t),
    void (*var)(void *, int, const char *, size_t), void *arg)
{
	const char *p = s, *start = s;

	while (*p != '\0') {
		const char *close, *colon;
		int	    v;

		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			lit(arg, start, (size_t)(p - start) + 1);
			p += 2;
			start = p;
			continue;
		}
		if (*p == '}') {
			snprintf(err, errlen,
			    "unmatched '}' (write '}}' for "
			    "a brace)");
			return -1;
		}
		if (*p != '{') {
			p++;
			continue;
		}
		lit(arg, start, (size_t)(p - start));
		if ((close = strchr(p, '}')) == NULL) {
			snprintf(err, errlen,
			    "unclosed '{' (write '{{' for a "
			    "brace)");
			return -1;
		}
		colon = memchr(p, ':', (size_t)(close - p));
		v = tmpl_var(p + 1, (size_t)((colon ? colon : close) - p - 1));
		if (v < 0) {
			snprintf(err, errlen,
			    "unknown placeholder {%.*s}; "
			    "known: {plan.id}, {plan.title}, {plan.issuer}, "
			    "{event.title}, {event.start}, {event.end}, "
			    "{event.location}, {task.title}, {task.due}, "
			    "{person.name}, {person.title}, {agency.name}, "
			    "{days_left}, {changes}, {broadcast.title}, "
			    "{broadcast.text}",
			    (int)((colon ? colon : close) - p - 1), p + 1);
			return -1;
		}
		if (colon != NULL && !tmpl_is_time(v)) {
			snprintf(err, errlen,
			    "{%s} takes no format: only "
			    "{event.start}, {event.end} and {task.due} do",
			    tmpl_vars[v]);
			return -1;
		}
		if (colon != NULL &&
		    tmpl_format_ok(colon + 1, (size_t)(close - colon - 1), err,
			errlen) == -1)
			return -1;
		if (colon != NULL)
			var(arg, v, colon + 1, (size_t)(close - colon - 1));
		else
			var(arg, v, NULL, 0);
		p = close + 1;
		start = p;
	}
	lit(arg, start, (size_t)(p - start));
	return 0;
}

static void
tmpl_nolit(void *arg, const char *s, size_t n)
{
}

static void
tmpl_novar(void *arg, int v, const char *fmt, size_t n)
{
}

int
tmpl_validate(const char *s, char *err, size_t errlen)
{
	return tmpl_walk(s, err, errlen, tmpl_nolit, tmpl_novar, NULL);
}

struct tmpl_out {
	const struct tmpl_ctx *c;
	struct buf	      *b;
};

static void
tmpl_lit(void *arg, const char *s, size_t n)
{
	buf_add(((struct tmpl_out *)arg)->b, s, n);
}

/* One strftime conversion spec (NUL-terminated) of tm, appended to b:
 * tried in a buffer that grows, so that no result is cut. */
static void
tmpl_strftime(struct buf *b, const char *spec, const struct tm *tm)
{
	size_t cap = 64, n;
	char  *out;

	for (;;) {
		out = xmalloc(cap);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = strftime(out, cap, spec, tm);
#pragma GCC diagnostic pop
		/* 0 is an empty result, or one too long: grow, to a point. */
		if (n > 0 || cap >= 4096)
			break;
		free(out);
		cap *= 2;
	}
	buf_add(b, out, n);
	free(out);
}

/*
 * Vietnamese weekdays, Sunday first (tm_wday), as written inside a
 * sentence ("thứ Sáu, ngày 26/12/2025"), and the short forms of calendars
 * and timetables.
 */
static const char *const weekday_vi[7] = { "Chủ nhật", "thứ Hai", "thứ Ba",
	"thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy" };
static const char *const weekday_vi_short[7] = { "CN", "T2", "T3", "T4", "T5",
	"T6", "T7" };

/*
 * Time t in plan p's zone, in strftime format fmt (fmtlen bytes; none: the
 * default). The format is walked here: literal text is copied, %s is t's
 * epoch, %z and %Z the plan zone's offset (+0700) and name, %A and %a the
 * Vietnamese weekday ("thứ Sáu", "T6"; flags are ignored), and every
 * other conversion goes to strftime alone with a struct tm of the plan's
 * local time, so the machine's zone never shows.
 */
static void
tmpl_time(struct buf *b, const struct plan *p, int64_t t, const char *fmt,
    size_t fmtlen)
{
	struct tm   tm;
	int64_t	    local, days, rem;
	const char *f, *end;
	char	   *spec;

	if (t == TIMEX_NONE)
		return;
	if (fmt == NULL || fmtlen == 0) {
		fmt = TIME_FMT;
		fmtlen = strlen(TIME_FMT);
	}
	local = tz_to_local(p->tz, t);
	days = civil_day_of(local);
	rem = local - days * 86400;
	memset(&tm, 0, sizeof(tm));
	civil_from_days(days, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = (int)(rem / 3600);
	tm.tm_min = (int)(rem % 3600 / 60);
	tm.tm_sec = (int)(rem % 60);
	tm.tm_wday = (civil_weekday(days) + 1) % 7;
	tm.tm_yday = (int)(days - civil_days(tm.tm_year + 1900, 1, 1));
	for (f = fmt, end = fmt + fmtlen; f < end;) {
		const char *c = f;

		if (*f != '%') {
			while (f < end && *f != '%')
				f++;
			buf_add(b, c, (size_t)(f - c));
			continue;
		}
		/* %, flags, width, an E or O modifier, the conversion. */
		for (f++; f < end && strchr("_-0^#", *f) != NULL; f++)
			;
		while (f < end && *f >= '0' && *f <= '9')
			f++;
		if (f < end && (*f == 'E' || *f == 'O'))
			f++;
		if (f >= end) {
			buf_add(b, c, (size_t)(end - c)); /* a lone '%' */
			break;
		}
		switch (*f++) {
		case 's':
			buf_printf(b, "%lld", (long long)t);
			break;
		case 'z': {
			int off = (int)(local - t), a = off < 0 ? -off : off;

			buf_printf(b, "%c%02d%02d", off < 0 ? '-' : '+',
			    a / 3600, a % 3600 / 60);
			break;
		}
		case 'Z':
			buf_adds(b, tz_name(p->tz));
			break;
		case 'A':
			buf_adds(b, weekday_vi[tm.tm_wday]);
			break;
		case 'a':
			buf_adds(b, weekday_vi_short[tm.tm_wday]);
			break;
		case '%':
			buf_add(b, "%", 1);
			break;
		default:
			spec = xstrndup(c, (size_t)(f - c));
			tmpl_strftime(b, spec, &tm);
			free(spec);
			break;
		}
	}
}

static void
tmpl_put(struct buf *b, const char *s)
{
	if (s != NULL)
		buf_adds(b, s);
}

static void
tmpl_var_out(void *arg, int v, const char *fmt, size_t fmtlen)
{
	const struct tmpl_ctx *c = ((struct tmpl_out *)arg)->c;
	struct buf	      *b = ((struct tmpl_out *)arg)->b;
	int64_t		       ref = TIMEX_NONE;

	switch (v) {
	case V_PLAN_ID:
		tmpl_put(b, c->plan->id);
		break;
	case V_PLAN_TITLE:
		tmpl_put(b, c->plan->title);
		break;
	case V_PLAN_ISSUER:
		tmpl_put(b, c->plan->issuer);
		break;
	case V_EVENT_TITLE:
		tmpl_put(b, c->event ? c->event->title : NULL);
		break;
	case V_EVENT_START:
		if (c->event)
			tmpl_time(b, c->plan, c->event->start.t, fmt, fmtlen);
		break;
	case V_EVENT_END:
		if (c->event)
			tmpl_time(b, c->plan, c->event->end.t, fmt, fmtlen);
		break;
	case V_EVENT_LOCATION:
		tmpl_put(b, c->event ? c->event->location : NULL);
		break;
	case V_TASK_TITLE:
		tmpl_put(b, c->task ? c->task->title : NULL);
		break;
	case V_TASK_DUE:
		if (c->task)
			tmpl_time(b, c->plan, c->task->due.t, fmt, fmtlen);
		break;
	case V_PERSON_NAME:
		tmpl_put(b, c->person ? c->person->name : NULL);
		break;
	case V_PERSON_TITLE:
		tmpl_put(b, c->person ? c->person->title : NULL);
		break;
	case V_AGENCY_NAME:
		tmpl_put(b, c->agency ? c->agency->name : NULL);
		break;
	case V_DAYS_LEFT:
		if (c->task)
			ref = c->task->due.t;
		else if (c->event)
			ref = c->event->start.t;
		if (ref != TIMEX_NONE)
			buf_printf(b, "%lld",
			    (long long)(civil_day_of(
					    tz_to_local(c->plan->tz, ref)) -
				civil_day_of(tz_to_local(c->plan->tz, c->at))));
		break;
	case V_CHANGES:
		tmpl_put(b, c->changes);
		break;
	case V_BROADCAST_TITLE:
		tmpl_put(b, c->broadcast ? c->broadcast->title : NULL);
		break;
	case V_BROADCAST_TEXT:
		tmpl_put(b, c->broadcast ? c->broadcast->text : NULL);
		break;
	}
}

int
tmpl_blank(const char *s)
{
	return text_blank(s);
}

void
tmpl_render(const char *s, const struct tmpl_ctx *c, struct buf *b)
{
	struct tmpl_out o = { c, b };

	/* Checked when loaded (tmpl_validate): no reason is wanted, so none
	 * is written (snprintf with no room). */
	(void)tmpl_walk(s, NULL, 0, tmpl_lit, tmpl_var_out, &o);
}

int
tmpl_install(struct service *svc, struct diag *d)
{
	struct tmpl *t;
	size_t	     i;
	int	     k, errors = d->errors;
	char	     err[512];

	t = svc->templates = arena_alloc(svc->arena, sizeof(*t));
	tmpl_defaults(t);
	for (i = 0; i < svc->ntmpl_overrides; i++) {
		const struct tmpl_override *o = &svc->tmpl_overrides[i];
		const char		   *key;

		key = arena_printf(svc->arena, "templates.%s", o->key);
		if ((k = tmpl_lookup(o->key)) < 0) {
			diag_warn(d, &o->loc, key,
			    "unknown template, ignored; "
			    "see the README for the template names");
			continue;
		}
		if (o->text == NULL) {
			diag_error(d, &o->loc, key, "%s", o->problem);
			continue;
		}
		if (k != T_CHANGE_SEPARATOR && tmpl_blank(o->text)) {
			diag_error(d, &o->loc, key,
			    "the template is empty; expected text (or no "
			    "key, for the built-in one)");
			continue;
		}
		if (tmpl_validate(o->text, err, sizeof(err)) == -1) {
			diag_error(d, &o->loc, key, "%s", err);
			continue;
		}
		t->text[k] = o->text;
		t->loc[k] = o->loc;
	}
	return d->errors > errors ? -1 : 0;
}
