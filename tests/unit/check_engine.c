/*
 * check_engine.c: unit tests of engine.c and outbox.c (SPEC §2 quiet hours,
 * §6 jobs, outbox states, reconciliation, retries and lateness, §10 task
 * done).
 *
 * retry_delay and the token bucket are pure and tested directly. The rest
 * runs a real engine over a real outbox: each test gets a temporary folder
 * (mkdtemp) holding a small service config, a plan written from a struct
 * version, the SQLite outbox and the file gateways' output (outbox/mail/
 * ID.eml, outbox/sms.jsonl). Version 1 of the plan is reconciled and its
 * invitations sent; a changed version 2 is then loaded into a new engine on
 * the same outbox and reconciled, and the outbox is compared, job by job,
 * with what SPEC §6 asks for.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <sqlite3.h>

#include "util/diag.h"
#include "deliver/engine.h"
#include "gw/gw.h"
#include "deliver/outbox.h"
#include "jobs/world.h"
#include "util/mem.h"
#include "util/buf.h"
#include "testutil.h"

/* A local time of the tests' zone. */
#define LOCAL_TIME(s) tu_time(ZONE, (s))

#define ZONE	"Asia/Ho_Chi_Minh"
#define PLAN_ID "7/KH-UBND"

/* The moments of the story (local time). */
#define NOW0  "2026-03-01 09:00" /* version 1 is loaded */
#define T_INV "2026-03-13 08:00" /* invitations: start - 7d at 08:00 */
#define NOW1  "2026-03-14 10:00" /* version 2 is loaded */

/* One version of the plan: what the tests change between versions. */
struct version {
	const char *start;
	const char *location;
	const char *attendees;
	const char *status;
	const char *task_due;
	const char *remind; /* the task's, NULL: one a day ahead */
};

static const struct version V1 = { "2026-03-20 08:00", "Phòng họp gác 3",
	"\"an\", \"binh\", \"chau\"", "confirmed", "hop.start - 2d at 17:00",
	NULL };

/* The test's folder and engine, closed by the teardown even on failure. */
static struct {
	char	       dir[PATH_MAX - 32];
	char	       cfg[PATH_MAX];
	char	       plan[PATH_MAX];
	char	       store[PATH_MAX];
	struct engine *e;
} fx;

/* The outbox's jobs. */
/*
 * A job as the tests read it: the outbox's row with kind, channel and
 * state as their names, so that assertions read like SPEC.
 */
struct tjob {
	char	      id[17];
	const char   *plan;
	const char   *kind;
	const char   *object;
	int	      ordinal;
	const char   *recipient;
	const char   *name;
	const char   *channel;
	const char   *address;
	int64_t	      due;
	int64_t	      refers;
	int64_t	      next_at;
	int64_t	      first_at;
	int64_t	      sent_at;
	const char   *state;
	const char   *reason;
	int	      attempts;
	int	      seq;
	const char   *payload;
	const char   *last_error;
	int	      sms_parts;
	struct ob_job row; /* owns the strings */
};

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

struct jobv {
	struct tjob *v;
	size_t	     n;
};

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

static void
jobs_get(struct jobv *jv)
{
	size_t i;

	struct ob_job *rows;

	ck_assert_int_eq(outbox_list(engine_outbox(fx.e), JS__N, &rows, &jv->n),
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

static void
jobs_put(struct jobv *jv)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (jv->v != NULL && live[i].v == jv->v)
			memset(&live[i], 0, sizeof(live[i]));
	jobv_free(jv);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	memset(&fx, 0, sizeof(fx));
	snprintf(fx.dir, sizeof(fx.dir), "%s/check_engine.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(fx.dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(fx.cfg, sizeof(fx.cfg), "%s/loa.cfg", fx.dir);
	snprintf(fx.plan, sizeof(fx.plan), "%s/plan.cfg", fx.dir);
	snprintf(fx.store, sizeof(fx.store), "%s/loa.db", fx.dir);
	tu_write(fx.cfg,
	    "# check_engine: the service of the test plan.\n"
	    "loa = {\n"
	    "  timezone = \"Asia/Ho_Chi_Minh\";\n"
	    "  store = \"loa.db\";\n"
	    "  plans = [ \"plan.cfg\" ];\n"
	    "  quiet_hours = { start = \"21:00\"; end = \"06:30\"; };\n"
	    "};\n");
}

static void
teardown(void)
{
	size_t i;

	for (i = 0; i < 8; i++)
		jobv_free(&live[i]);
	engine_free(fx.e);
	fx.e = NULL;
	if (fx.dir[0] != '\0')
		tu_rm_tree(fx.dir);
	fx.dir[0] = '\0';
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
	tu_write(fx.plan, text);
	free(text);
}

/* A new engine over version v, loaded at now, on the test's outbox. */
static struct engine *
open_engine(const struct version *v, const char *now)
{
	struct world	  *w = xcalloc(1, sizeof(*w));
	struct engine_opts o;
	struct diag	   d;
	char		  *log = NULL, err[512];
	size_t		   loglen = 0;
	int		   rc;

	ck_assert_ptr_null(fx.e);
	write_plan(v);
	memset(&d, 0, sizeof(d));
	d.out = open_memstream(&log, &loglen);
	ck_assert_ptr_nonnull(d.out);
	rc = world_load(w, fx.cfg, LOCAL_TIME(now), &d);
	fclose(d.out);
	if (rc != 0) {
		world_free(w);
		free(w);
	}
	ck_assert_msg(rc == 0, "world_load: %s", log);
	free(log);
	memset(&o, 0, sizeof(o));
	o.config = fx.cfg;
	o.files = fx.dir;
	o.trace = NULL;
	fx.e = engine_new(w, fx.store, &o, err, sizeof(err));
	ck_assert_msg(fx.e != NULL, "engine_new: %s", err);
	return fx.e;
}

static void
close_engine(void)
{
	engine_free(fx.e);
	fx.e = NULL;
}

static void
reconcile(const char *now, struct reconcile_stats *rs)
{
	struct reconcile_stats mine;

	ck_assert_int_eq(engine_reconcile(fx.e, LOCAL_TIME(now),
			     rs != NULL ? rs : &mine),
	    0);
}

static void
step(const char *now)
{
	ck_assert_int_eq(engine_step(fx.e, LOCAL_TIME(now)), 0);
}

/* The job (kind, recipient, channel, ordinal): exactly one, or NULL. */
static const struct tjob *
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

static const struct tjob *
job_need(const struct jobv *jv, const char *kind, const char *rcpt,
    const char *ch, int ordinal)
{
	const struct tjob *j = job_find(jv, kind, rcpt, ch, ordinal);

	ck_assert_msg(j != NULL, "no %s job %d to %s by %s", kind, ordinal,
	    rcpt, ch);
	return j;
}

/*
 * The outbox holds exactly these jobs, each given as "kind recipient
 * channel ordinal seq state" (NULL-terminated list, any order).
 */
static void
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
static size_t
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
static char *
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
static char *
eml_of(const char *id)
{
	char *path = xasprintf("%s/outbox/mail/%s.eml", fx.dir, id);
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
static char *
ics_of(const char *id)
{
	char *eml = eml_of(id), *cal, *att, *p, *q;

	cal = mime_part(eml, "text/calendar");
	att = mime_part(eml, "application/ics");
	ck_assert_msg(cal != NULL, "mail %s has no text/calendar part", id);
	ck_assert_msg(att != NULL, "mail %s has no application/ics part", id);
	ck_assert_str_eq(cal, att);
	free(att);
	free(eml);
	/* Unfold: CRLF followed by a space continues the line. */
	for (p = q = cal; *p != '\0'; p++) {
		if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
			p += 2;
			continue;
		}
		*q++ = *p;
	}
	*q = '\0';
	return cal;
}

/* Does the iCalendar text hold this exact content line? */
static int
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
static char *
sms_of(const char *id)
{
	char *path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
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

/* The lines of version 1 before anything is sent. */
#define REMINDERS_PENDING \
	"event-reminder an sms 0 0 pending", \
	    "event-reminder binh sms 0 0 pending", \
	    "event-reminder chau sms 0 0 pending"
#define TASK_JOBS(state) \
	"task-reminder vhxh email 0 0 " state, \
	    "task-reminder hung email 0 0 " state, \
	    "task-reminder hung sms 0 0 " state, \
	    "task-reminder khanh email 0 0 " state, \
	    "task-reminder khanh sms 0 0 " state, \
	    "overdue vhxh email 0 0 " state, "overdue hung email 0 0 " state, \
	    "overdue hung sms 0 0 " state, "overdue khanh email 0 0 " state, \
	    "overdue khanh sms 0 0 " state
#define INVITATIONS(state) \
	"invitation an email 0 0 " state, "invitation an sms 0 0 " state, \
	    "invitation binh email 0 0 " state, \
	    "invitation binh sms 0 0 " state, \
	    "invitation chau email 0 0 " state, \
	    "invitation chau sms 0 0 " state

/*
 * Version 1: reconciled at NOW0, invitations sent at T_INV; then the engine
 * is closed, as a process would be before a restart with version 2.
 */
static void
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
static char *
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

/* Retries (SPEC §6). */

START_TEST(test_retry_delay_zero)
{
	int a;

	for (a = 1; a <= 15; a++)
		ck_assert_int_eq(retry_delay(a, 0.0, 0), 1);
}
END_TEST

START_TEST(test_retry_delay_ceiling)
{
	int a;

	for (a = 1; a <= 15; a++) {
		int64_t ceiling = 30LL << (a - 1), d;

		if (ceiling > 3600)
			ceiling = 3600;
		d = retry_delay(a, 0.999999, 0);
		ck_assert_msg(d >= ceiling - 1 && d <= ceiling + 1,
		    "attempt %d: %lld, wanted about %lld", a, (long long)d,
		    (long long)ceiling);
	}
	/* Far past the cap, and without overflow. */
	ck_assert_int_le(retry_delay(1000, 0.999999, 0), 3601);
	ck_assert_int_ge(retry_delay(1000, 0.999999, 0), 3599);
	ck_assert_int_le(retry_delay(INT_MAX, 0.999999, 0), 3601);
}
END_TEST

START_TEST(test_retry_delay_bounds)
{
	static const double rs[] = { 0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999999 };
	int64_t		    prev = 0;
	int		    a;
	size_t		    i;

	for (a = 1; a <= 30; a++) {
		int64_t bound = retry_delay(a, 0.999999, 0);

		/* The upper bound never shrinks as attempts grow. */
		ck_assert_int_ge(bound, prev);
		prev = bound;
		for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
			int64_t d = retry_delay(a, rs[i], 0);

			ck_assert_int_ge(d, 1);
			ck_assert_int_le(d, bound);
			ck_assert_int_le(d, 3601);
			/* More r, more delay. */
			if (i > 0)
				ck_assert_int_ge(d,
				    retry_delay(a, rs[i - 1], 0));
		}
	}
}
END_TEST

START_TEST(test_retry_delay_retry_after)
{
	int a;

	for (a = 1; a <= 15; a++) {
		/* A Retry-After larger than the backoff is the delay. */
		ck_assert_int_eq(retry_delay(a, 0.999999, 7200), 7200);
		ck_assert_int_eq(retry_delay(a, 0.0, 5000), 5000);
		ck_assert_int_eq(retry_delay(a, 0.5, 3602), 3602);
		/* A smaller one is only a floor. */
		ck_assert_int_ge(retry_delay(a, 0.0, 20), 20);
		ck_assert_int_le(retry_delay(a, 0.0, 20), 20);
		ck_assert_int_eq(retry_delay(a, 0.999999, 2),
		    retry_delay(a, 0.999999, 0));
	}
	ck_assert_int_eq(retry_delay(5, 0.5, 10), retry_delay(5, 0.5, 0));
}
END_TEST

START_TEST(test_retry_delay_attempt_zero)
{
	static const double rs[] = { 0.0, 0.3, 0.999999 };
	size_t		    i;

	for (i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		ck_assert_int_eq(retry_delay(0, rs[i], 0),
		    retry_delay(1, rs[i], 0));
		ck_assert_int_eq(retry_delay(-1, rs[i], 0),
		    retry_delay(1, rs[i], 0));
		ck_assert_int_eq(retry_delay(INT_MIN, rs[i], 0),
		    retry_delay(1, rs[i], 0));
	}
	ck_assert_int_le(retry_delay(0, 0.999999, 0), 31);
}
END_TEST

/* Rate limits. */

START_TEST(test_bucket_unlimited)
{
	struct bucket b;
	int	      i;

	bucket_init(&b, 0, 0);
	for (i = 0; i < 1000; i++)
		ck_assert(bucket_take(&b, 0) == 0);
	for (i = 0; i < 10; i++)
		ck_assert(bucket_take(&b, 5 + i) == 0);
}
END_TEST

START_TEST(test_bucket_rate)
{
	struct bucket b;
	double	      w;

	bucket_init(&b, 2, 2);
	ck_assert(bucket_take(&b, 0) == 0);
	ck_assert(bucket_take(&b, 0) == 0);
	w = bucket_take(&b, 0);
	ck_assert_msg(w > 0.499 && w < 0.501, "waits %g, wanted 0.5", w);
	/* Asking again does not take what is not there. */
	w = bucket_take(&b, 0);
	ck_assert_msg(w > 0.499 && w < 0.501, "waits %g, wanted 0.5", w);
	/* A second later there are two again. */
	ck_assert(bucket_take(&b, 1) == 0);
	ck_assert(bucket_take(&b, 1) == 0);
	w = bucket_take(&b, 1);
	ck_assert_msg(w > 0.499 && w < 0.501, "waits %g, wanted 0.5", w);
	/* After the wait one is there. */
	ck_assert(bucket_take(&b, 1.5) == 0);
	ck_assert(bucket_take(&b, 1.5) > 0);
}
END_TEST

START_TEST(test_bucket_idle)
{
	struct bucket b;
	double	      w;

	bucket_init(&b, 2, 2);
	ck_assert(bucket_take(&b, 0) == 0);
	/* A long idle saves no more than burst. */
	ck_assert(bucket_take(&b, 100000) == 0);
	ck_assert(b.tokens <= b.burst);
	ck_assert(bucket_take(&b, 100000) == 0);
	w = bucket_take(&b, 100000);
	ck_assert_msg(w > 0.499 && w < 0.501, "waits %g after the burst", w);
	ck_assert(b.tokens <= b.burst && b.tokens >= 0);
	bucket_init(&b, 10, 3);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(b.tokens <= 3);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(bucket_take(&b, 1e6) == 0);
	ck_assert(bucket_take(&b, 1e6) > 0);
}
END_TEST

/* Reconciliation (SPEC §6), against a real outbox. */

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

	tu_write(fx.cfg,
	    "loa = {\n"
	    "  timezone = \"Asia/Ho_Chi_Minh\";\n"
	    "  store = \"loa.db\";\n"
	    "  plans = [ \"plan.cfg\" ];\n"
	    "};\n"
	    "templates = {\n"
	    "  invitation_sms = \"{event.location}\";\n"
	    "  invitation_subject = \" {event.location} \";\n"
	    "};\n");
	v.location = "";
	open_engine(&v, NOW0);
	reconcile(NOW0, NULL);
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
	path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
	sms = tu_slurp(path);
	ck_assert_msg(sms == NULL || *sms == '\0', "%s", sms);
	free(sms);
	free(path);
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
	char		      *t, *eml, *body, *ics;

	invite_v1();
	v2.start = "2026-03-21 14:00";
	v2.attendees = "\"an\", \"binh\"";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 1);
	step(NOW1);
	jobs_get(&jv);
	j = job_need(&jv, "cancel", "chau", "sms", 1);
	ck_assert_str_eq(j->state, "sent");
	t = sms_of(j->id);
	ck_assert_msg(strstr(t, "08 giờ 00, thứ Sáu, ngày 20/03/2026") != NULL,
	    "%s", t);
	ck_assert_msg(strstr(t, "21/03/2026") == NULL, "%s", t);
	free(t);
	j = job_need(&jv, "cancel", "chau", "email", 1);
	eml = eml_of(j->id);
	body = mime_part(eml, "text/plain");
	ck_assert_msg(strstr(body, "08 giờ 00, thứ Sáu, ngày 20/03/2026") !=
		NULL,
	    "%s", body);
	ck_assert_msg(strstr(body, "21/03/2026") == NULL, "%s", body);
	free(body);
	free(eml);
	ics = ics_of(j->id);
	ck_assert_msg(ics_has(ics, "METHOD:CANCEL"), "%s", ics);
	ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
	free(ics);
	j = job_need(&jv, "update", "an", "sms", 1);
	t = sms_of(j->id);
	ck_assert_msg(strstr(t, "14 giờ 00, thứ Bảy, ngày 21/03/2026") != NULL,
	    "%s", t);
	free(t);
	j = job_need(&jv, "update", "an", "email", 1);
	eml = eml_of(j->id);
	body = mime_part(eml, "text/plain");
	ck_assert_msg(strstr(body, "14 giờ 00, thứ Bảy, ngày 21/03/2026") !=
		NULL,
	    "%s", body);
	free(body);
	free(eml);
	jobs_put(&jv);
	close_engine();

	/* Moved and cancelled at once: everybody hears the time they had. */
	v2.start = "2026-03-22 09:00";
	v2.status = "cancelled";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	step(NOW1);
	jobs_get(&jv);
	j = job_need(&jv, "cancel", "an", "sms", 2);
	t = sms_of(j->id);
	ck_assert_msg(strstr(t, "14 giờ 00, thứ Bảy, ngày 21/03/2026") != NULL,
	    "%s", t);
	free(t);
	jobs_put(&jv);
}
END_TEST

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
	char			*before, *after, *ics, *inv, *sms;
	const char		*rcpt[] = { "an", "binh", "chau" };
	size_t			 i;

	invite_v1();
	open_engine(&V1, NOW1);
	before = ids_of("event-reminder");
	close_engine();

	v2.start = "2026-03-27 08:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.updates, 3);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.cancelled, 0);
	expect_jobs(want);

	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "update", rcpt[i], "email", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		ck_assert_int_eq(j->next_at, LOCAL_TIME(NOW1));
		ck_assert_int_eq(j->seq, 1);
		j = job_need(&jv, "update", rcpt[i], "sms", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		ck_assert_str_eq(j->address,
		    i == 0     ? "+84912000001" :
			i == 1 ? "+84912000002" :
				 "+84912000003");
		/* Unsent reminders follow the event: same id, new time. */
		j = job_need(&jv, "event-reminder", rcpt[i], "sms", 0);
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

		j = job_need(&jv, "update", rcpt[i], "email", 1);
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

		j = job_need(&jv, "update", rcpt[i], "sms", 1);
		sms = sms_of(j->id);
		ck_assert_msg(strstr(sms, "27/03/2026") != NULL, "%s", sms);
		free(sms);
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
	char			*sms, *ics;
	const char		*rcpt[] = { "an", "binh", "chau" };
	size_t			 i;

	invite_v1();
	v2.location = "Hội trường Ủy ban nhân dân xã";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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
		j = job_need(&jv, "update", rcpt[i], "sms", 1);
		ck_assert_str_eq(j->state, "sent");
		sms = sms_of(j->id);
		ck_assert_msg(strstr(sms, "địa điểm") != NULL, "%s", sms);
		ck_assert_msg(strstr(sms, "Hội trường Ủy ban nhân dân xã") !=
			NULL,
		    "%s", sms);
		free(sms);
		j = job_need(&jv, "update", rcpt[i], "email", 1);
		ck_assert_str_eq(j->state, "sent");
		ics = ics_of(j->id);
		ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
		ck_assert_msg(ics_has(ics,
				  "LOCATION:Hội trường Ủy ban nhân dân xã"),
		    "%s", ics);
		free(ics);
	}
	jobs_put(&jv);
}
END_TEST

/*
 * The words of an update are templates too (SPEC §5: every text is
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

	tu_write(fx.cfg,
	    "loa = {\n"
	    "  timezone = \"Asia/Ho_Chi_Minh\";\n"
	    "  store = \"loa.db\";\n"
	    "  plans = [ \"plan.cfg\" ];\n"
	    "};\n"
	    "templates = {\n"
	    "  update_sms = \"{changes}.\";\n"
	    "  change_location = \"Doi phong: {event.location}\";\n"
	    "  change_title = \"Ten: {event.title}\";\n"
	    "  change_separator = \" / \";\n"
	    "};\n");
	invite_v1();
	v2.location = "Hội trường";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	step(NOW1);
	jobs_get(&jv);
	j = job_need(&jv, "update", "an", "sms", 1);
	ck_assert_str_eq(j->state, "sent");
	sms = sms_of(j->id);
	ck_assert_msg(strcmp(sms, "Doi phong: Hội trường.") == 0, "%s", sms);
	free(sms);
	jobs_put(&jv);
}
END_TEST

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
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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
	j = job_need(&jv, "cancel", "chau", "email", 1);
	ck_assert_str_eq(j->state, "sent");
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
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 1);
	step(NOW1);
	close_engine();

	open_engine(&V1, "2026-03-15 09:00");
	reconcile("2026-03-15 09:00", &rs);
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
	char			*ics;

	invite_v1();
	v2.start = "2026-03-27 08:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	step(NOW1);
	close_engine();

	v3.start = "2026-03-27 14:00";
	open_engine(&v3, "2026-03-15 09:00");
	reconcile("2026-03-15 09:00", &rs);
	ck_assert_int_eq(rs.updates, 3);
	expect_jobs(want);
	step("2026-03-15 09:00");
	jobs_get(&jv);
	j = job_need(&jv, "update", "an", "email", 2);
	ck_assert_str_eq(j->state, "sent");
	ics = ics_of(j->id);
	ck_assert_msg(ics_has(ics, "SEQUENCE:2"), "%s", ics);
	ck_assert_msg(ics_has(ics,
			  "DTSTART;TZID=Asia/Ho_Chi_Minh:20260327T140000"),
	    "%s", ics);
	free(ics);
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
	char			*sms;

	/*
	 * Moved, and moved again before the first updates went out: only the
	 * newest goes; the older one is cancelled, with the reason.
	 */
	invite_v1();
	v2.start = "2026-03-27 08:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	close_engine();

	v3.start = "2026-03-27 14:00";
	open_engine(&v3, NOW1);
	reconcile(NOW1, &rs);
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
	j = job_need(&jv, "update", "binh", "sms", 2);
	ck_assert_str_eq(j->state, "sent");
	sms = sms_of(j->id);
	ck_assert_msg(strstr(sms,
			  "thời gian mới 14 giờ 00, thứ Sáu, ngày "
			  "27/03/2026") != NULL,
	    "%s", sms);
	ck_assert_msg(strstr(sms, "08 giờ 00, thứ Sáu, ngày 27/03") == NULL,
	    "%s", sms);
	free(sms);
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
	char			*ics, *e;
	const char		*rcpt[] = { "an", "binh", "chau" };
	size_t			 i;

	invite_v1();
	v2.status = "cancelled";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.updates, 0);
	expect_jobs(want);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "cancel", rcpt[i], "email", 1);
		ck_assert_int_eq(j->due, LOCAL_TIME(NOW1));
		j = job_need(&jv, "event-reminder", rcpt[i], "sms", 0);
		ck_assert_ptr_nonnull(j->reason);
	}
	jobs_put(&jv);

	step(NOW1);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "cancel", rcpt[i], "email", 1);
		ck_assert_str_eq(j->state, "sent");
		ics = ics_of(j->id);
		ck_assert_msg(ics_has(ics, "METHOD:CANCEL"), "%s", ics);
		ck_assert_msg(ics_has(ics, "STATUS:CANCELLED"), "%s", ics);
		ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
		free(ics);
		e = eml_of(j->id);
		ck_assert_msg(strstr(e, "text/calendar; method=CANCEL") != NULL,
		    "%s", e);
		free(e);
		j = job_need(&jv, "cancel", rcpt[i], "sms", 1);
		ck_assert_str_eq(j->state, "sent");
		free(sms_of(j->id));
	}
	jobs_put(&jv);
	/* Cancelled once is enough. */
	close_engine();
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_uint_eq(jobs_count(), 25);
}
END_TEST

START_TEST(test_reconcile_event_deleted)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct jobv	       jv;
	const struct tjob     *j;
	char		      *ics, *sms;
	const char	      *rcpt[] = { "an", "binh", "chau" };
	size_t		       i;

	/*
	 * The event is taken out of the plan after its invitations went
	 * out: it is in three calendars, so each gets a CANCEL (and an SMS)
	 * for the event as they knew it.
	 */
	invite_v1();
	v2.status = "deleted";
	v2.task_due = "2026-03-18 17:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 3);
	ck_assert_int_eq(rs.updates, 0);
	step(NOW1);
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "event-reminder", rcpt[i], "sms", 0);
		ck_assert_str_eq(j->state, "cancelled");
		j = job_need(&jv, "cancel", rcpt[i], "email", 1);
		ck_assert_str_eq(j->state, "sent");
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
		j = job_need(&jv, "cancel", rcpt[i], "sms", 1);
		ck_assert_str_eq(j->state, "sent");
		sms = sms_of(j->id);
		ck_assert_msg(strstr(sms, "Họp giao ban") != NULL, "%s", sms);
		free(sms);
	}
	jobs_put(&jv);
	/* Told once. */
	close_engine();
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_int_eq(rs.added, 0);
	close_engine();

	/* Back in the plan: everybody is invited again, SEQUENCE 2. */
	v2 = V1;
	v2.task_due = "2026-03-18 17:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
	ck_assert_int_eq(rs.updates, 3);
	step(NOW1);
	jobs_get(&jv);
	j = job_need(&jv, "update", "binh", "email", 2);
	ck_assert_str_eq(j->state, "sent");
	ics = ics_of(j->id);
	ck_assert_msg(ics_has(ics, "METHOD:REQUEST"), "%s", ics);
	ck_assert_msg(ics_has(ics, "SEQUENCE:2"), "%s", ics);
	ck_assert_msg(ics_has(ics, "STATUS:CONFIRMED"), "%s", ics);
	free(ics);
	jobs_put(&jv);
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
	open_engine(&v1, NOW0);
	reconcile(NOW0, NULL);
	step(T_INV);
	jobs_get(&jv);
	j = job_need(&jv, "invitation", "dung", "sms", 0);
	ck_assert_str_eq(j->state, "sent");
	ck_assert_ptr_null(job_find(&jv, "invitation", "dung", "email", 0));
	jobs_put(&jv);
	close_engine();

	v2 = v1;
	v2.status = "cancelled";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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

START_TEST(test_reconcile_idempotent)
{
	struct version	       v2 = V1;
	struct reconcile_stats rs;
	struct ob_event	       oe;
	struct jobv	       jv;
	char		      *ics;
	int		       found;
	size_t		       n;

	/* Version 1 twice: nothing new the second time. */
	open_engine(&V1, NOW0);
	reconcile(NOW0, &rs);
	ck_assert_int_eq(rs.added, 19);
	reconcile(NOW0, &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.moved, 0);
	ck_assert_int_eq(rs.cancelled, 0);
	ck_assert_uint_eq(jobs_count(), 19);
	close_engine();
	teardown();
	setup();

	invite_v1();
	v2.start = "2026-03-27 08:00";
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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
	open_engine(&v2, "2026-03-15 09:00");
	reconcile("2026-03-15 09:00", &rs);
	ck_assert_int_eq(rs.added, 0);
	ck_assert_int_eq(rs.moved, 0);
	ck_assert_int_eq(rs.updates, 0);
	ck_assert_int_eq(rs.cancels, 0);
	ck_assert_uint_eq(jobs_count(), n);
	ck_assert_int_eq(outbox_event_get(engine_outbox(fx.e), PLAN_ID, "hop",
			     &oe, &found),
	    0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(oe.seq, 1);
	ob_event_clear(&oe);
	step("2026-03-15 09:00");
	jobs_get(&jv);
	ics = ics_of(job_need(&jv, "update", "binh", "email", 1)->id);
	ck_assert_msg(ics_has(ics, "SEQUENCE:1"), "%s", ics);
	free(ics);
	jobs_put(&jv);
}
END_TEST

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
	open_engine(&V1, NOW1);
	reconcile(NOW1, &rs);
	ob = engine_outbox(fx.e);
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
	open_engine(&v2, NOW1);
	reconcile(NOW1, &rs);
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
	open_engine(&V1, NOW1);
	reconcile(NOW1, &rs);
	jobs_get(&jv);
	for (i = 0; i < jv.n; i++)
		if (strcmp(jv.v[i].kind, "task-reminder") == 0 ||
		    strcmp(jv.v[i].kind, "overdue") == 0)
			ck_assert_str_eq(jv.v[i].state, "cancelled");
	jobs_put(&jv);
}
END_TEST

/* Lateness (SPEC §6). */

START_TEST(test_late_expired)
{
	struct jobv	   jv;
	const struct tjob *j;
	const char	  *who[] = { "vhxh", "hung", "khanh" };
	size_t		   i;

	open_engine(&V1, NOW0);
	reconcile(NOW0, NULL);
	/*
	 * Down until after the event started: the task was due 03-18 17:00,
	 * its overdue notice 03-19 08:00 is more than a day late.
	 */
	step("2026-03-20 09:00");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "task-reminder", who[i], "email", 0);
		ck_assert_str_eq(j->state, "expired");
		ck_assert_ptr_nonnull(j->reason);
		j = job_need(&jv, "overdue", who[i], "email", 0);
		ck_assert_str_eq(j->state, "expired");
		ck_assert_ptr_nonnull(j->reason);
	}
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	j = job_need(&jv, "overdue", "khanh", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	j = job_need(&jv, "event-reminder", "an", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	j = job_need(&jv, "invitation", "binh", "email", 0);
	ck_assert_str_eq(j->state, "expired");
	for (i = 0; i < jv.n; i++) {
		ck_assert_msg(strcmp(jv.v[i].state, "sent") != 0,
		    "%s %s %s sent late", jv.v[i].kind, jv.v[i].recipient,
		    jv.v[i].channel);
		ck_assert_int_eq(jv.v[i].attempts, 0);
	}
	jobs_put(&jv);
	ck_assert_int_eq(engine_stats(fx.e)->expired, 19);
}
END_TEST

START_TEST(test_late_reminder_task_expired)
{
	struct jobv	   jv;
	const struct tjob *j;

	open_engine(&V1, NOW0);
	reconcile(NOW0, NULL);
	/* The task reminder (03-17 08:00) after the task's due (03-18 17:00). */
	step("2026-03-18 20:00");
	jobs_get(&jv);
	j = job_need(&jv, "task-reminder", "khanh", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	j = job_need(&jv, "task-reminder", "vhxh", "email", 0);
	ck_assert_str_eq(j->state, "expired");
	ck_assert_int_eq(j->attempts, 0);
	/* The invitations are late too, but the event is ahead: sent. */
	j = job_need(&jv, "invitation", "an", "email", 0);
	ck_assert_str_eq(j->state, "sent");
	j = job_need(&jv, "invitation", "an", "sms", 0);
	ck_assert_str_eq(j->state, "sent");
	/* The overdue notice is not due yet. */
	j = job_need(&jv, "overdue", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "pending");
	jobs_put(&jv);
}
END_TEST

START_TEST(test_late_but_in_time)
{
	struct jobv	   jv;
	const struct tjob *j;

	open_engine(&V1, NOW0);
	reconcile(NOW0, NULL);
	/* 26 hours late, 7 hours before the task is due. */
	step("2026-03-18 10:00");
	jobs_get(&jv);
	j = job_need(&jv, "task-reminder", "hung", "email", 0);
	ck_assert_str_eq(j->state, "sent");
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "sent");
	free(sms_of(j->id));
	jobs_put(&jv);
	/*
	 * The event reminder (03-19 16:00) 15 hours late, before the start
	 * (03-20 08:00); the overdue notice (03-19 08:00) 23 hours late.
	 */
	step("2026-03-20 07:00");
	jobs_get(&jv);
	j = job_need(&jv, "event-reminder", "chau", "sms", 0);
	ck_assert_str_eq(j->state, "sent");
	j = job_need(&jv, "overdue", "vhxh", "email", 0);
	ck_assert_str_eq(j->state, "sent");
	j = job_need(&jv, "overdue", "khanh", "sms", 0);
	ck_assert_str_eq(j->state, "sent");
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
	open_engine(&v, NOW0);
	reconcile(NOW0, NULL);
	step("2026-03-17 09:00");
	jobs_get(&jv);
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	ck_assert_str_eq(j->reason, "a later reminder of it is due too");
	j = job_need(&jv, "task-reminder", "hung", "sms", 1);
	ck_assert_str_eq(j->state, "expired");
	j = job_need(&jv, "task-reminder", "hung", "sms", 2);
	ck_assert_str_eq(j->state, "sent");
	j = job_need(&jv, "task-reminder", "vhxh", "email", 2);
	ck_assert_str_eq(j->state, "sent");
	jobs_put(&jv);
}
END_TEST

/* Quiet hours at send time (SPEC §2). */

START_TEST(test_quiet_release)
{
	struct jobv	   jv;
	const struct tjob *j;
	const char	  *rcpt[] = { "an", "binh", "chau" };
	size_t		   i;

	open_engine(&V1, NOW0);
	reconcile(NOW0, NULL);
	/* Down all day; back at 22:00, inside 21:00-06:30. */
	step("2026-03-13 22:00");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "invitation", rcpt[i], "email", 0);
		ck_assert_str_eq(j->state, "sent");
		j = job_need(&jv, "invitation", rcpt[i], "sms", 0);
		ck_assert_str_eq(j->state, "pending");
		ck_assert_int_eq(j->next_at, LOCAL_TIME("2026-03-14 06:30"));
		ck_assert_int_eq(j->attempts, 0);
	}
	jobs_put(&jv);
	ck_assert_int_eq(engine_next(fx.e), LOCAL_TIME("2026-03-14 06:30"));
	/* Nothing goes in the night. */
	step("2026-03-14 03:00");
	jobs_get(&jv);
	j = job_need(&jv, "invitation", "an", "sms", 0);
	ck_assert_str_eq(j->state, "pending");
	jobs_put(&jv);
	step("2026-03-14 06:30");
	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "invitation", rcpt[i], "sms", 0);
		ck_assert_str_eq(j->state, "sent");
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
	open_engine(&v, NOW0);
	reconcile(NOW0, NULL);
	step("2026-03-17 22:00");
	jobs_get(&jv);
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	ck_assert_ptr_nonnull(j->reason);
	j = job_need(&jv, "task-reminder", "khanh", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	/* Email is not held by quiet hours. */
	j = job_need(&jv, "task-reminder", "hung", "email", 0);
	ck_assert_str_eq(j->state, "sent");
	/* The invitation SMS refers to the event, days ahead: released. */
	j = job_need(&jv, "invitation", "an", "sms", 0);
	ck_assert_str_eq(j->state, "pending");
	ck_assert_int_eq(j->next_at, LOCAL_TIME("2026-03-18 06:30"));
	jobs_put(&jv);
	/* And the expired SMS never goes. */
	step("2026-03-18 06:30");
	jobs_get(&jv);
	j = job_need(&jv, "task-reminder", "hung", "sms", 0);
	ck_assert_str_eq(j->state, "expired");
	ck_assert(j->sent_at == TIMEX_NONE);
	jobs_put(&jv);
}
END_TEST


/*
 * A gateway that answers later (as the libcurl multi gateways do): it
 * holds what it is given until the test lets answers out. Nothing real
 * answers asynchronously in this build yet, so this stands in for SMTP.
 */
static struct {
	char	       held[16][17];
	int	       n;      /* held now */
	int	       most;   /* most held at once */
	int	       ready;  /* answers to let out at the next poll */
	enum gw_result result; /* what they say */
	int64_t	       retry_after;
} fake;

static int
fake_init(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

static enum gw_result
fake_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	ck_assert_int_lt(fake.n, 16);
	snprintf(fake.held[fake.n++], sizeof(fake.held[0]), "%s", m->id);
	if (fake.n > fake.most)
		fake.most = fake.n;
	a->result = GW_INFLIGHT;
	return GW_INFLIGHT;
}

static int
fake_pollfds(struct gw *g, struct pollfd *p, int max, int *timeout)
{
	*timeout = fake.ready > 0 ? 0 : -1;
	return 0;
}

static void
fake_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	    *arg)
{
	struct gw_answer a;

	while (fake.ready > 0 && fake.n > 0) {
		memset(&a, 0, sizeof(a));
		a.id = fake.held[0];
		a.result = fake.result;
		a.retry_after = fake.retry_after;
		snprintf(a.text, sizeof(a.text), "%s",
		    fake.result == GW_OK ? "250 2.0.0 queued" :
					   "421 4.7.0 try again later");
		done(arg, &a);
		memmove(fake.held[0], fake.held[1],
		    (size_t)(fake.n - 1) * sizeof(fake.held[0]));
		fake.n--;
		fake.ready--;
	}
}

static int
fake_flush(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

static void
fake_shutdown(struct gw *g)
{
}

static const struct gw_backend fake_backend = {
	"fake",
	fake_init,
	fake_submit,
	fake_pollfds,
	fake_poll,
	fake_flush,
	fake_shutdown,
};

/* How many of the event's invitations on channel are in state. */
static int
invitations_on(const char *channel, const char *state)
{
	static const char *const rcpt[] = { "an", "binh", "chau" };
	struct jobv		 jv;
	const struct tjob	*j;
	int			 n = 0;
	size_t			 i;

	jobs_get(&jv);
	for (i = 0; i < 3; i++) {
		j = job_need(&jv, "invitation", rcpt[i], channel, 0);
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

START_TEST(test_gateway_concurrency)
{
	char	err[256];
	int64_t t = LOCAL_TIME(T_INV);

	memset(&fake, 0, sizeof(fake));
	open_engine(&V1, NOW0);
	reconcile(NOW0, NULL);
	ck_assert_msg(engine_set_gateway(fx.e, CH_EMAIL, &fake_backend, 2, err,
			  sizeof(err)) == 0,
	    "%s", err);

	/* Three invitations are due; the gateway takes two at a time. */
	step(T_INV);
	ck_assert_int_eq(fake.n, 2);
	ck_assert_uint_eq(engine_inflight(fx.e), 2);
	ck_assert_int_eq(invitations_in("sending"), 2);
	ck_assert_int_eq(invitations_in("pending"), 1);
	/* The SMS gateway is not held up by the email one. */
	ck_assert_int_eq(invitations_on("sms", "sent"), 3);
	/* Nothing more goes while both are unanswered. */
	step(T_INV);
	ck_assert_int_eq(fake.n, 2);

	/* One answer makes room for the third. */
	fake.ready = 1;
	fake.result = GW_OK;
	step(T_INV);
	ck_assert_int_eq(invitations_in("sent"), 1);
	ck_assert_int_eq(invitations_in("sending"), 2);
	ck_assert_int_eq(fake.most, 2);

	/* A temporary failure is retried later, not lost. */
	fake.ready = 1;
	fake.result = GW_TEMPFAIL;
	fake.retry_after = 600;
	step(T_INV);
	ck_assert_int_eq(invitations_in("failed"), 1);
	ck_assert_int_eq(invitations_in("sending"), 1);
	{
		int64_t next = engine_next(fx.e);

		ck_assert_int_ge(next, t + 600);
	}

	/* A stop with a send unanswered puts it back, to go again. */
	ck_assert_int_eq(engine_land(fx.e, t, 0), 0);
	ck_assert_uint_eq(engine_inflight(fx.e), 0);
	ck_assert_int_eq(invitations_in("sending"), 0);
	ck_assert_int_eq(invitations_in("pending"), 1);
	ck_assert_int_eq(fake.most, 2);
}
END_TEST

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

START_TEST(test_outbox_migrates)
{
	char		    dir[] = "/tmp/loa-migrate-XXXXXX", path[64];
	char		    err[512], *msg = NULL;
	sqlite3		   *db;
	struct outbox	   *ob;
	struct ob_attendee *a;
	struct ob_job	    j;
	int		    found;
	size_t		    n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/outbox.db", dir);
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
	unlink(path);
	snprintf(path, sizeof(path), "%s/outbox.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/outbox.db-shm", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST
static Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("retry");
	tcase_add_test(tc, test_retry_delay_zero);
	tcase_add_test(tc, test_retry_delay_ceiling);
	tcase_add_test(tc, test_retry_delay_bounds);
	tcase_add_test(tc, test_retry_delay_retry_after);
	tcase_add_test(tc, test_retry_delay_attempt_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("bucket");
	tcase_add_test(tc, test_bucket_unlimited);
	tcase_add_test(tc, test_bucket_rate);
	tcase_add_test(tc, test_bucket_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("outbox");
	tcase_add_test(tc, test_outbox_migrates);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gateway_concurrency);
	suite_add_tcase(s, tc);

	tc = tcase_create("reconcile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reconcile_moved);
	tcase_add_test(tc, test_reconcile_room);
	tcase_add_test(tc, test_reconcile_change_words);
	tcase_add_test(tc, test_reconcile_attendee_removed);
	tcase_add_test(tc, test_reconcile_attendee_back);
	tcase_add_test(tc, test_reconcile_moved_twice);
	tcase_add_test(tc, test_reconcile_superseded);
	tcase_add_test(tc, test_reconcile_event_cancelled);
	tcase_add_test(tc, test_reconcile_cancelled_sms_only);
	tcase_add_test(tc, test_reconcile_event_deleted);
	tcase_add_test(tc, test_reconcile_idempotent);
	tcase_add_test(tc, test_task_done);
	tcase_add_test(tc, test_empty_rendering_dead);
	tcase_add_test(tc, test_cancel_quotes_announced);
	suite_add_tcase(s, tc);

	tc = tcase_create("lateness");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_late_expired);
	tcase_add_test(tc, test_late_reminder_task_expired);
	tcase_add_test(tc, test_late_but_in_time);
	tcase_add_test(tc, test_late_reminders_collapse);
	suite_add_tcase(s, tc);

	tc = tcase_create("quiet");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_quiet_release);
	tcase_add_test(tc, test_quiet_expire);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tz_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
