/*
 * enginestory.c: the engine suites' plan and outbox (see enginestory.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "util/mem.h"
#include "util/buf.h"
#include "enginestory.h"
#include "icalfx.h"

const struct version V1 = { "2026-03-20 08:00", "Phòng họp gác 3",
	"\"an\", \"binh\", \"chau\"", "confirmed", "hop.start - 2d at 17:00",
	NULL };
const char *const    RCPT[3] = { "an", "binh", "chau" };

static void
tjob_of(struct tjob *t, const struct ob_job *j)
{
	memset(t, 0, sizeof(*t));
	t->row = *j;
	memcpy(t->id, j->id, sizeof(t->id));
	t->plan = j->plan;
	t->kind = job_kind_names[j->kind];
	t->object = j->object;
	t->ordinal = j->ordinal;
	t->recipient = j->recipient;
	t->name = j->name;
	t->channel = channel_names[j->channel];
	t->address = j->address;
	t->due = j->due;
	t->refers = j->refers;
	t->next_at = j->next_at;
	t->first_at = j->first_at;
	t->sent_at = j->sent_at;
	t->state = job_state_names[j->state];
	t->reason = j->reason;
	t->attempts = j->attempts;
	t->seq = j->seq;
	t->payload = j->payload;
	t->last_error = j->last_error;
	t->sms_parts = j->sms_parts;
}

/*
 * The lists a test holds, so that the teardown can free those a failed
 * assertion left behind (CK_FORK=no: a failure leaves the test at once,
 * and its stack with it: the lists are kept here by value).
 */
static struct jobv live[8];

static void
jobv_free(struct jobv *jv)
{
	size_t i;

	for (i = 0; i < jv->n; i++)
		ob_job_clear(&jv->v[i].row);
	free(jv->v);
	jv->v = NULL;
	jv->n = 0;
}

void
jobs_get(struct jobv *jv)
{
	size_t i;

	struct ob_job *rows;

	ck_assert_int_eq(outbox_list(engine_outbox(efx.e), JS__N, &rows,
			     &jv->n),
	    0);
	jv->v = xcalloc(jv->n ? jv->n : 1, sizeof(*jv->v));
	for (i = 0; i < jv->n; i++)
		tjob_of(&jv->v[i], &rows[i]);
	free(rows);
	for (i = 0; i < 8 && live[i].v != NULL; i++)
		;
	if (i == 8)
		jobv_free(jv);
	ck_assert_uint_lt(i, 8);
	live[i] = *jv;
}

void
jobs_put(struct jobv *jv)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (jv->v != NULL && live[i].v == jv->v)
			memset(&live[i], 0, sizeof(live[i]));
	jobv_free(jv);
}

void
story_setup(void)
{
	efx_setup("check_engine");
}

void
story_teardown(void)
{
	size_t i;

	for (i = 0; i < 8; i++)
		jobv_free(&live[i]);
	efx_teardown();
}

/*
 * Write version v of the plan: event hop, organised by the agency vhxh
 * (which has a mailbox, so nobody of it is invited through it), three
 * attendees with email and phone, one SMS reminder; task bao-cao owned by
 * vhxh (its mailbox, head hung and member khanh), one reminder and an
 * overdue notice. dung, who has only a phone, is invited by some tests.
 */
static void
write_plan(const struct version *v)
{
	char *text;
	int   gone = strcmp(v->status, "deleted") == 0;

	text = xasprintf(
	    "plan = {\n"
	    "  id = \"" PLAN_ID "\"; issued = \"2026-03-01\";\n"
	    "  timezone = \"Asia/Ho_Chi_Minh\";\n"
	    "  title = \"Kế hoạch họp giao ban tháng 3\";\n"
	    "  issuer = \"Ủy ban nhân dân xã Đại Sơn\";\n"
	    "};\n"
	    "people = (\n"
	    "  { id = \"an\"; name = \"Trần Văn An\"; "
	    "email = \"an@daison.example\"; phone = \"0912 000 001\"; },\n"
	    "  { id = \"binh\"; name = \"Lê Thị Bình\"; "
	    "email = \"binh@daison.example\"; phone = \"0912 000 002\"; },\n"
	    "  { id = \"chau\"; name = \"Phạm Minh Châu\"; "
	    "email = \"chau@daison.example\"; phone = \"0912 000 003\"; },\n"
	    "  { id = \"hung\"; name = \"Đinh Văn Hùng\"; "
	    "email = \"hung@daison.example\"; phone = \"0912 000 008\"; },\n"
	    "  { id = \"khanh\"; name = \"Lý Quốc Khánh\"; "
	    "email = \"khanh@daison.example\"; phone = \"0912 000 009\"; },\n"
	    "  { id = \"dung\"; name = \"Võ Văn Dũng\"; "
	    "phone = \"0912 000 004\"; }\n"
	    ");\n"
	    "agencies = (\n"
	    "  { id = \"vhxh\"; name = \"Phòng Văn hóa - Xã hội\"; "
	    "head = \"hung\"; members = [ \"khanh\" ];\n"
	    "    email = \"vhxh@daison.example\"; }\n"
	    ");\n"
	    "%s"
	    "  id = \"hop\"; title = \"Họp giao ban\";\n"
	    "  start = \"%s\"; duration = \"3h\";\n"
	    "  location = \"%s\";\n"
	    "  organizer = \"vhxh\"; attendees = [ %s ];\n"
	    "  invite = \"start - 7d at 08:00\";\n"
	    "  reminders = [ \"start - 1d at 16:00\" ];\n"
	    "  status = \"%s\";\n"
	    "%s"
	    "tasks = ( {\n"
	    "  id = \"bao-cao\"; title = \"Báo cáo kết quả\";\n"
	    "  owner = [ \"vhxh\" ];\n"
	    "  due = \"%s\";\n"
	    "  remind = [ %s ];\n"
	    "  overdue = \"due + 1d at 08:00\";\n"
	    "} );\n",
	    gone ? "events = ();\n/* {\n" : "events = ( {\n", v->start,
	    v->location, v->attendees, v->status, gone ? "} */\n" : "} );\n",
	    v->task_due, v->remind ? v->remind : "\"due - 1d at 08:00\"");
	tu_write(efx.plan, text);
	free(text);
}

struct engine *
open_engine(const struct version *v, const char *now)
{
	write_plan(v);
	return efx_open(LOCAL_TIME(now), 1);
}

void
load(const struct version *v, const char *now, struct reconcile_stats *rs)
{
	open_engine(v, now);
	reconcile(now, rs);
}

void
close_engine(void)
{
	efx_close();
}

void
reconcile(const char *now, struct reconcile_stats *rs)
{
	struct reconcile_stats mine;

	ck_assert_int_eq(engine_reconcile(efx.e, LOCAL_TIME(now),
			     rs != NULL ? rs : &mine),
	    0);
}

void
step(const char *now)
{
	ck_assert_int_eq(engine_step(efx.e, LOCAL_TIME(now)), 0);
}

/* The job (kind, recipient, channel, ordinal): exactly one, or NULL. */
const struct tjob *
job_find(const struct jobv *jv, const char *kind, const char *rcpt,
    const char *ch, int ordinal)
{
	const struct tjob *found = NULL;
	size_t		   i;

	for (i = 0; i < jv->n; i++) {
		const struct tjob *j = &jv->v[i];

		if (strcmp(j->kind, kind) == 0 && j->recipient != NULL &&
		    strcmp(j->recipient, rcpt) == 0 &&
		    strcmp(j->channel, ch) == 0 && j->ordinal == ordinal) {
			ck_assert_msg(found == NULL, "two %s jobs to %s by %s",
			    kind, rcpt, ch);
			found = j;
		}
	}
	return found;
}

const struct tjob *
job_need(const struct jobv *jv, const char *kind, const char *rcpt,
    const char *ch, int ordinal)
{
	const struct tjob *j = job_find(jv, kind, rcpt, ch, ordinal);

	ck_assert_msg(j != NULL, "no %s job %d to %s by %s", kind, ordinal,
	    rcpt, ch);
	return j;
}

const struct tjob *
job_in(const struct jobv *jv, const char *kind, const char *rcpt,
    const char *ch, int ordinal, const char *state)
{
	const struct tjob *j = job_need(jv, kind, rcpt, ch, ordinal);

	ck_assert_msg(strcmp(j->state, state) == 0, "%s %d to %s by %s is %s",
	    kind, ordinal, rcpt, ch, j->state);
	return j;
}

/*
 * The outbox holds exactly these jobs, each given as "kind recipient
 * channel ordinal seq state" (NULL-terminated list, any order).
 */
void
expect_jobs(const char *const *want)
{
	static char msg[16384];
	struct jobv jv;
	struct buf  have = { 0 }, missing = { 0 };
	char	    line[256];
	char	   *used;
	size_t	    i, k, nwant;
	int	    ok;

	for (nwant = 0; want[nwant] != NULL; nwant++)
		;
	jobs_get(&jv);
	used = xcalloc(jv.n + 1, 1);
	for (i = 0; i < jv.n; i++) {
		const struct tjob *j = &jv.v[i];

		snprintf(line, sizeof(line), "%s %s %s %d %d %s", j->kind,
		    j->recipient ? j->recipient : "-", j->channel, j->ordinal,
		    j->seq, j->state);
		buf_printf(&have, "  %s%s%s\n", line, j->reason ? "  # " : "",
		    j->reason ? j->reason : "");
	}
	for (k = 0; k < nwant; k++) {
		for (i = 0; i < jv.n; i++) {
			const struct tjob *j = &jv.v[i];

			snprintf(line, sizeof(line), "%s %s %s %d %d %s",
			    j->kind, j->recipient ? j->recipient : "-",
			    j->channel, j->ordinal, j->seq, j->state);
			if (!used[i] && strcmp(line, want[k]) == 0) {
				used[i] = 1;
				break;
			}
		}
		if (i == jv.n)
			buf_printf(&missing, "  %s\n", want[k]);
	}
	ok = missing.len == 0 && jv.n == nwant;
	snprintf(msg, sizeof(msg),
	    "outbox has %zu jobs, wanted %zu; "
	    "missing:\n%sthe outbox:\n%s",
	    jv.n, nwant, missing.len ? missing.s : "", have.len ? have.s : "");
	/* Freed before the assertion, which leaves the test on failure. */
	buf_free(&have);
	buf_free(&missing);
	free(used);
	jobs_put(&jv);
	ck_assert_msg(ok, "%s", msg);
}

/* How many jobs the outbox holds. */
size_t
jobs_count(void)
{
	struct jobv jv;
	size_t	    n;

	jobs_get(&jv);
	n = jv.n;
	jobs_put(&jv);
	return n;
}

/* Base64 (RFC 4648) to bytes, skipping line breaks. Caller frees. */
static char *
b64_decode(const char *s, size_t len)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char		 *out = xmalloc(len + 1);
	size_t		  i, n = 0;
	unsigned	  acc = 0;
	int		  bits = 0;

	for (i = 0; i < len; i++) {
		const char *p;

		if (s[i] == '=')
			break;
		if (s[i] == '\0' || (p = strchr(al, s[i])) == NULL)
			continue;
		acc = (acc << 6) | (unsigned)(p - al);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return out;
}

/* The body of the first part whose Content-Type starts with type, decoded
 * from base64; NULL when there is none. Caller frees. */
char *
mime_part(const char *msg, const char *type)
{
	char	    hdr[128];
	const char *h, *body, *end;

	snprintf(hdr, sizeof(hdr), "Content-Type: %s", type);
	if ((h = strstr(msg, hdr)) == NULL)
		return NULL;
	if ((body = strstr(h, "\r\n\r\n")) == NULL)
		return NULL;
	body += 4;
	if ((end = strstr(body, "\r\n--")) == NULL)
		end = body + strlen(body);
	return b64_decode(body, (size_t)(end - body));
}

/* The mail of job id, as the file gateway wrote it. Caller frees. */
char *
eml_of(const char *id)
{
	char *path = xasprintf("%s/outbox/mail/%s.eml", efx.dir, id);
	char *s = tu_slurp(path);

	ck_assert_msg(s != NULL, "%s: %s", path, strerror(errno));
	free(path);
	return s;
}

/*
 * The iCalendar object of the mail of job id: the text/calendar part, which
 * must be the same as the application/ics attachment, unfolded. Caller
 * frees.
 */
char *
ics_of(const char *id)
{
	char *eml = eml_of(id), *cal, *att;

	cal = mime_part(eml, "text/calendar");
	att = mime_part(eml, "application/ics");
	ck_assert_msg(cal != NULL, "mail %s has no text/calendar part", id);
	ck_assert_msg(att != NULL, "mail %s has no application/ics part", id);
	ck_assert_str_eq(cal, att);
	free(att);
	free(eml);
	/* Unfolded by the iCalendar suites' own unfolding (icalfx.h). */
	att = unfold(cal);
	free(cal);
	return att;
}

/* Does the iCalendar text hold this exact content line? */
int
ics_has(const char *ics, const char *line)
{
	size_t	    len = strlen(line);
	const char *p = ics;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == ics || p[-1] == '\n') &&
		    (p[len] == '\r' || p[len] == '\n' || p[len] == '\0'))
			return 1;
		p += len;
	}
	return 0;
}

/* The text of the SMS of job id in sms.jsonl, which must hold it exactly
 * once. Caller frees. */
char *
sms_of(const char *id)
{
	char *path = xasprintf("%s/outbox/sms.jsonl", efx.dir);
	char *all = tu_slurp(path), *line, *save = NULL, *text = NULL;
	int   seen = 0;

	ck_assert_msg(all != NULL, "%s: %s", path, strerror(errno));
	for (line = strtok_r(all, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t	    *o = json_loads(line, 0, &je);
		const char  *jid, *jtext;

		ck_assert_msg(o != NULL, "sms.jsonl: %s: %s", je.text, line);
		jid = json_string_value(json_object_get(o, "id"));
		jtext = json_string_value(json_object_get(o, "text"));
		if (jid != NULL && strcmp(jid, id) == 0) {
			seen++;
			if (text == NULL && jtext != NULL)
				text = xstrdup(jtext);
		}
		json_decref(o);
	}
	free(all);
	free(path);
	ck_assert_msg(seen == 1, "SMS %s is %d times in sms.jsonl", id, seen);
	ck_assert_ptr_nonnull(text);
	return text;
}

void
expect_ics(const char *id, ...)
{
	char	   *ics = ics_of(id);
	const char *line;
	va_list	    ap;
	int	    ok = 1;

	va_start(ap, id);
	while (ok && (line = va_arg(ap, const char *)) != NULL)
		ok = line[0] == '!' ? !ics_has(ics, line + 1) :
				      ics_has(ics, line);
	va_end(ap);
	if (!ok) {
		char msg[8192];

		snprintf(msg, sizeof(msg), "%s", ics);
		free(ics);
		ck_abort_msg("%s: not %s in\n%s", id, line, msg);
	}
	free(ics);
}

/* text holds has and not hasnt; freed. */
static void
expect_in(char *text, const char *has, const char *hasnt)
{
	int ok = strstr(text, has) != NULL &&
	    (hasnt == NULL || strstr(text, hasnt) == NULL);
	char msg[4096];

	snprintf(msg, sizeof(msg), "%s", text);
	free(text);
	ck_assert_msg(ok, "wanted \"%s\"%s%s in:\n%s", has,
	    hasnt != NULL ? ", not " : "", hasnt != NULL ? hasnt : "", msg);
}

void
expect_sms(const char *id, const char *has, const char *hasnt)
{
	expect_in(sms_of(id), has, hasnt);
}

void
expect_mail(const char *id, const char *has, const char *hasnt)
{
	char *eml = eml_of(id), *body = mime_part(eml, "text/plain");

	free(eml);
	ck_assert_msg(body != NULL, "mail %s has no text/plain part", id);
	expect_in(body, has, hasnt);
}

/*
 * Version 1: reconciled at NOW0, invitations sent at T_INV; then the engine
 * is closed, as a process would be before a restart with version 2.
 */
void
invite_v1(void)
{
	static const char *const before[] = { INVITATIONS("pending"),
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	static const char *const after[] = { INVITATIONS("sent"),
		REMINDERS_PENDING, TASK_JOBS("pending"), NULL };
	struct reconcile_stats	 rs;
	struct jobv		 jv;
	char			*ics;

	open_engine(&V1, NOW0);
	reconcile(NOW0, &rs);
	ck_assert_int_eq(rs.added, 19);
	expect_jobs(before);
	step(T_INV);
	expect_jobs(after);
	jobs_get(&jv);
	ics = ics_of(job_need(&jv, "invitation", "an", "email", 0)->id);
	ck_assert_msg(ics_has(ics, "METHOD:REQUEST"), "%s", ics);
	ck_assert_msg(ics_has(ics, "SEQUENCE:0"), "%s", ics);
	ck_assert_msg(ics_has(ics,
			  "DTSTART;TZID=Asia/Ho_Chi_Minh:20260320T080000"),
	    "%s", ics);
	free(ics);
	jobs_put(&jv);
	close_engine();
}

/* The outbox's ids of kind, sorted into one string, to compare sets. */
char *
ids_of(const char *kind)
{
	struct jobv jv;
	struct buf  b = { 0 };
	size_t	    i;

	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if (strcmp(jv.v[i].kind, kind) == 0)
			buf_printf(&b, "%s %s %s %d\n", jv.v[i].id,
			    jv.v[i].recipient, jv.v[i].channel,
			    jv.v[i].ordinal);
	jobs_put(&jv);
	return b.s != NULL ? buf_take(&b) : xstrdup("");
}
