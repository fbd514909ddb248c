/*
 * check_delivery.c: delivery through the engine as a user sees it (SPEC
 * §6, README "Delivery"): retries and giving up, permanent failures,
 * Retry-After, the rate limit, and what a failing disk does to a send.
 *
 * Each test writes a small service config and plan to a temporary folder,
 * runs a real engine over a real outbox and drives engine_step at chosen
 * moments. Gateways are either the real file gateway or `script`, a test
 * gateway whose answer to each submit is written down by the test (OK,
 * TEMPFAIL or PERMFAIL, with an optional Retry-After), installed with
 * engine_set_gateway. Job state is read back with outbox_get.
 *
 * Quiet hours at send time are covered through engine_step by
 * check_engine.c (test_quiet_release, test_quiet_expire), not here.
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

#include "deliver/engine.h"
#include "deliver/outbox.h"
#include "gw/gw.h"
#include "jobs/world.h"
#include "util/fault.h"
#include "util/mem.h"
#include "testutil.h"

/* A local time of the tests' zone. */
#define LOCAL_TIME(s) tu_time(ZONE, (s))

#define ZONE  "Asia/Ho_Chi_Minh"
#define NOW0  "2026-03-01 09:00" /* the plan is loaded */
#define T_INV "2026-03-13 08:00" /* the invitations are due */

/* Everybody here has email only, unless a test asks for an SMS. */
#define ONE  "\"an\""
#define FIVE "\"an\", \"binh\", \"chau\", \"dung\", \"em\""

static struct {
	char	       dir[PATH_MAX - 64];
	char	       cfg[PATH_MAX];
	char	       plan[PATH_MAX];
	char	       store[PATH_MAX];
	struct engine *e;
	struct ob_job  job; /* the last outbox_get, for teardown */
} fx;

/* A job's state, kind and channel by their names, as SPEC writes them. */
static const char *
ob_state(const struct ob_job *j)
{
	return job_state_names[j->state];
}

static const char *
ob_kind(const struct ob_job *j)
{
	return job_kind_names[j->kind];
}

static const char *
ob_channel(const struct ob_job *j)
{
	return channel_names[j->channel];
}

/* The service config; gateways: extra text after the loa group. */
static void
write_service(const char *gateways)
{
	char *text = xasprintf("loa = {\n"
			       "  timezone = \"Asia/Ho_Chi_Minh\";\n"
			       "  store = \"loa.db\";\n"
			       "  plans = [ \"plan.cfg\" ];\n"
			       "  quiet_hours = { start = \"21:00\"; end = "
			       "\"06:30\"; };\n"
			       "};\n%s",
	    gateways != NULL ? gateways : "");

	tu_write(fx.cfg, text);
	free(text);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	memset(&fx, 0, sizeof(fx));
	fault_reset();
	snprintf(fx.dir, sizeof(fx.dir), "%s/check_delivery.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_msg(mkdtemp(fx.dir) != NULL, "mkdtemp: %s", strerror(errno));
	snprintf(fx.cfg, sizeof(fx.cfg), "%s/loa.cfg", fx.dir);
	snprintf(fx.plan, sizeof(fx.plan), "%s/plan.cfg", fx.dir);
	snprintf(fx.store, sizeof(fx.store), "%s/loa.db", fx.dir);
	write_service(NULL);
}

static void
teardown(void)
{
	fault_reset();
	ob_job_clear(&fx.job);
	engine_free(fx.e);
	fx.e = NULL;
	if (fx.dir[0] != '\0')
		tu_rm_tree(fx.dir);
	fx.dir[0] = '\0';
}

/*
 * The plan: one event, a month after its invitations, whose attendees
 * the test names. soai organises it (and is not invited); giang has only
 * a phone.
 */
static void
write_plan(const char *attendees)
{
	char *text =
	    xasprintf("plan = {\n"
		      "  id = \"8/KH-UBND\"; issued = \"2026-03-01\";\n"
		      "  timezone = \"Asia/Ho_Chi_Minh\";\n"
		      "  title = \"Kế hoạch họp giao ban tháng 4\";\n"
		      "  issuer = \"Ủy ban nhân dân xã Đại Sơn\";\n"
		      "};\n"
		      "people = (\n"
		      "  { id = \"soai\"; name = \"Đào Văn Soái\"; "
		      "email = \"soai@daison.example\"; },\n"
		      "  { id = \"an\"; name = \"Trần Văn An\"; "
		      "email = \"an@daison.example\"; },\n"
		      "  { id = \"binh\"; name = \"Lê Thị Bình\"; "
		      "email = \"binh@daison.example\"; },\n"
		      "  { id = \"chau\"; name = \"Phạm Minh Châu\"; "
		      "email = \"chau@daison.example\"; },\n"
		      "  { id = \"dung\"; name = \"Võ Văn Dũng\"; "
		      "email = \"dung@daison.example\"; },\n"
		      "  { id = \"em\"; name = \"Ngô Thị Em\"; "
		      "email = \"em@daison.example\"; },\n"
		      "  { id = \"giang\"; name = \"Hà Văn Giang\"; "
		      "phone = \"0912 000 006\"; },\n"
		      "  { id = \"huong\"; name = \"Lý Thị Hương\"; "
		      "phone = \"0912 000 007\"; }\n"
		      ");\n"
		      "events = ( {\n"
		      "  id = \"hop\"; title = \"Họp giao ban\";\n"
		      "  start = \"2026-04-20 08:00\"; duration = \"3h\";\n"
		      "  location = \"Phòng họp gác 3\";\n"
		      "  organizer = \"soai\"; attendees = [ %s ];\n"
		      "  invite = \"" T_INV "\";\n"
		      "} );\n",
		attendees);

	tu_write(fx.plan, text);
	free(text);
}

/*
 * An engine over the plan with these attendees, reconciled at NOW0. files:
 * every gateway is a file gateway under the test's folder (as `simulate`
 * has it); else the service config's gateways are used.
 */
static void
open_engine(const char *attendees, int files)
{
	struct world	      *w = xcalloc(1, sizeof(*w));
	struct engine_opts     o;
	struct reconcile_stats rs;
	struct diag	       d;
	char		      *log = NULL, err[512];
	size_t		       loglen = 0;
	int		       rc;

	ck_assert_ptr_null(fx.e);
	write_plan(attendees);
	memset(&d, 0, sizeof(d));
	d.out = open_memstream(&log, &loglen);
	ck_assert_ptr_nonnull(d.out);
	rc = world_load(w, fx.cfg, LOCAL_TIME(NOW0), &d);
	fclose(d.out);
	if (rc != 0) {
		world_free(w);
		free(w);
	}
	ck_assert_msg(rc == 0, "world_load: %s", log);
	free(log);
	memset(&o, 0, sizeof(o));
	o.config = fx.cfg;
	o.files = files ? fx.dir : NULL;
	fx.e = engine_new(w, fx.store, &o, err, sizeof(err));
	ck_assert_msg(fx.e != NULL, "engine_new: %s", err);
	ck_assert_int_eq(engine_reconcile(fx.e, LOCAL_TIME(NOW0), &rs), 0);
}

static void
close_engine(void)
{
	engine_free(fx.e);
	fx.e = NULL;
}

static void
step_at(int64_t t)
{
	ck_assert_int_eq(engine_step(fx.e, t), 0);
}

/* The job as stored now, in fx.job. */
static const struct ob_job *
job_get(const char *id)
{
	int found;

	ob_job_clear(&fx.job);
	ck_assert_msg(outbox_get(engine_outbox(fx.e), id, &fx.job, &found) == 0,
	    "%s", outbox_error(engine_outbox(fx.e)));
	ck_assert_msg(found, "no job %s", id);
	return &fx.job;
}

static const char *
state_of(const char *id)
{
	static char s[32];

	snprintf(s, sizeof(s), "%s", ob_state(job_get(id)));
	return s;
}

/* The id of the invitation to rcpt on channel ch. */
static const char *
invitation_id(const char *rcpt, const char *ch)
{
	static char    ids[8][17];
	static int     k;
	struct ob_job *v;
	size_t	       n, i;
	int	       found = 0;

	k = (k + 1) % 8;
	ck_assert_int_eq(outbox_list(engine_outbox(fx.e), JS__N, &v, &n), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(ob_kind(&v[i]), "invitation") == 0 &&
		    v[i].recipient != NULL &&
		    strcmp(v[i].recipient, rcpt) == 0 &&
		    strcmp(ob_channel(&v[i]), ch) == 0) {
			snprintf(ids[k], sizeof(ids[k]), "%s", v[i].id);
			found++;
		}
		ob_job_clear(&v[i]);
	}
	free(v);
	ck_assert_msg(found == 1, "%d invitations to %s by %s", found, rcpt,
	    ch);
	return ids[k];
}

/* How many jobs are in state. */
static int
count_in(const char *state)
{
	struct ob_job *v;
	size_t	       n, i;
	int	       c = 0;

	ck_assert_int_eq(outbox_list(engine_outbox(fx.e), JS__N, &v, &n), 0);
	for (i = 0; i < n; i++) {
		c += strcmp(ob_state(&v[i]), state) == 0;
		ob_job_clear(&v[i]);
	}
	free(v);
	return c;
}

static int
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * The scripted gateway. Each submit takes the next answer of the script;
 * past its end, the last answer again. The text says which submit it was,
 * so last_error shows which answer was kept.
 */
struct answer {
	enum gw_result result;
	int64_t	       retry_after;
};

static struct {
	struct answer v[16];
	int	      n;
	int	      submits;
	char	      last_id[17];
} script;

static void
script_set(int n, const struct answer *v)
{
	memset(&script, 0, sizeof(script));
	ck_assert_int_le(n, 16);
	memcpy(script.v, v, (size_t)n * sizeof(*v));
	script.n = n;
}

static int
script_init(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

static enum gw_result
script_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	const struct answer *s;

	ck_assert_int_gt(script.n, 0);
	s = &script
		 .v[script.submits < script.n ? script.submits : script.n - 1];
	script.submits++;
	snprintf(script.last_id, sizeof(script.last_id), "%s", m->id);
	a->id = m->id;
	a->result = s->result;
	a->retry_after = s->retry_after;
	snprintf(a->text, sizeof(a->text), "%s (answer %d)",
	    s->result == GW_OK		 ? "250 2.0.0 queued" :
		s->result == GW_TEMPFAIL ? "451 4.3.0 try again later" :
					   "550 5.1.1 no such mailbox",
	    script.submits);
	return a->result;
}

static int
script_pollfds(struct gw *g, struct pollfd *p, int max, int *timeout)
{
	return 0;
}

static void
script_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	      *arg)
{
}

static int
script_flush(struct gw *g, char *err, size_t errlen)
{
	return 0;
}

static void
script_shutdown(struct gw *g)
{
}

static const struct gw_backend script_backend = {
	"script",
	script_init,
	script_submit,
	script_pollfds,
	script_poll,
	script_flush,
	script_shutdown,
};

static void
use_script(void)
{
	char err[256];

	ck_assert_msg(engine_set_gateway(fx.e, CH_EMAIL, &script_backend, 0,
			  err, sizeof(err)) == 0,
	    "%s", err);
}

/* The ceiling of the backoff after attempt a (README: 30 s × 2^(a−1),
 * at most one hour). */
static int64_t
backoff_ceiling(int a)
{
	int64_t c = 30;

	while (--a > 0 && c < 3600)
		c *= 2;
	return c < 3600 ? c : 3600;
}

/* Retries and giving up. */

START_TEST(test_tempfail_dead_after_12)
{
	static const struct answer tf[] = { { GW_TEMPFAIL, 0 } };
	const struct ob_job	  *j;
	const char		  *id;
	int64_t			   t = LOCAL_TIME(T_INV), first = t;
	char			   want[64];
	int			   a;

	open_engine(ONE, 1);
	use_script();
	script_set(1, tf);
	id = invitation_id("an", "email");
	for (a = 1; a <= RETRY_MAX_ATTEMPTS; a++) {
		/* Not a second early. */
		step_at(t - 1);
		ck_assert_int_eq(script.submits, a - 1);
		step_at(t);
		ck_assert_int_eq(script.submits, a);
		ck_assert_str_eq(script.last_id, id);
		j = job_get(id);
		ck_assert_int_eq(j->attempts, a);
		ck_assert_int_eq(j->first_at, first);
		snprintf(want, sizeof(want), "(answer %d)", a);
		ck_assert_ptr_nonnull(j->last_error);
		ck_assert_msg(strstr(j->last_error, want) != NULL,
		    "attempt %d: last_error \"%s\"", a, j->last_error);
		if (a == RETRY_MAX_ATTEMPTS)
			break;
		ck_assert_msg(strcmp(ob_state(j), "failed") == 0,
		    "attempt %d: %s", a, ob_state(j));
		ck_assert_int_gt(j->next_at, t);
		ck_assert_msg(j->next_at - t <= backoff_ceiling(a),
		    "attempt %d: next in %lld s, more than %lld", a,
		    (long long)(j->next_at - t), (long long)backoff_ceiling(a));
		ck_assert_int_eq(engine_next(fx.e), j->next_at);
		t = j->next_at;
	}
	ck_assert_str_eq(state_of(id), "dead");
	j = job_get(id);
	ck_assert_int_eq(j->attempts, 12);
	ck_assert(j->sent_at == TIMEX_NONE);
	ck_assert_msg(strstr(j->last_error, "451 4.3.0") != NULL, "%s",
	    j->last_error);
	/* Nothing more goes, ever. */
	ck_assert(engine_next(fx.e) == TIMEX_NONE);
	step_at(t + 7 * 86400);
	ck_assert_int_eq(script.submits, 12);
	ck_assert_str_eq(state_of(id), "dead");
}
END_TEST

START_TEST(test_tempfail_dead_after_24h)
{
	/* The gateway asks for 13 h each time: the third try is 26 h after
	 * the first. */
	static const struct answer tf[] = { { GW_TEMPFAIL, 13 * 3600 } };
	const struct ob_job	  *j;
	const char		  *id;
	int64_t			   t = LOCAL_TIME(T_INV);

	open_engine(ONE, 1);
	use_script();
	script_set(1, tf);
	id = invitation_id("an", "email");
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 13 * 3600);
	/* 13 h after the first try: still trying. */
	step_at(t + 13 * 3600);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->attempts, 2);
	ck_assert_int_eq(j->next_at, t + 26 * 3600);
	/* 26 h: given up, with 3 attempts of 12. */
	step_at(t + 26 * 3600);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "dead");
	ck_assert_int_eq(j->attempts, 3);
	ck_assert_int_lt(j->attempts, RETRY_MAX_ATTEMPTS);
	ck_assert_msg(strstr(j->last_error, "(answer 3)") != NULL, "%s",
	    j->last_error);
	ck_assert_int_eq(script.submits, 3);
	ck_assert(engine_next(fx.e) == TIMEX_NONE);
}
END_TEST

START_TEST(test_permfail_dead_at_once)
{
	static const struct answer pf[] = { { GW_PERMFAIL, 0 }, { GW_OK, 0 } };
	const struct ob_job	  *j;
	const char		  *id;
	int64_t			   t = LOCAL_TIME(T_INV);

	open_engine(ONE, 1);
	use_script();
	script_set(2, pf);
	id = invitation_id("an", "email");
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "dead");
	ck_assert_int_eq(j->attempts, 1);
	ck_assert(j->sent_at == TIMEX_NONE);
	/* The gateway's answer is kept. */
	ck_assert_ptr_nonnull(j->last_error);
	ck_assert_msg(strstr(j->last_error, "550 5.1.1 no such mailbox") !=
		NULL,
	    "%s", j->last_error);
	/* No retry: the OK the script holds next is never asked for. */
	ck_assert(engine_next(fx.e) == TIMEX_NONE);
	step_at(t + 3600);
	step_at(t + 86400);
	ck_assert_int_eq(script.submits, 1);
	ck_assert_str_eq(state_of(id), "dead");
}
END_TEST

START_TEST(test_tempfail_then_ok)
{
	static const struct answer v[] = { { GW_TEMPFAIL, 0 },
		{ GW_TEMPFAIL, 0 }, { GW_OK, 0 } };
	const struct ob_job	  *j;
	const char		  *id;
	int64_t			   t = LOCAL_TIME(T_INV);
	int			   a;

	open_engine(ONE, 1);
	use_script();
	script_set(3, v);
	id = invitation_id("an", "email");
	for (a = 1; a <= 2; a++) {
		step_at(t);
		j = job_get(id);
		ck_assert_str_eq(ob_state(j), "failed");
		t = j->next_at;
	}
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "sent");
	ck_assert_int_eq(j->attempts, 3);
	ck_assert_int_eq(j->sent_at, t);
	ck_assert_int_eq(script.submits, 3);
}
END_TEST

START_TEST(test_retry_after_floor)
{
	/* Longer than the backoff would be, then longer than its cap. */
	static const struct answer v[] = { { GW_TEMPFAIL, 600 },
		{ GW_TEMPFAIL, 7200 }, { GW_TEMPFAIL, 2 }, { GW_OK, 0 } };
	const struct ob_job	  *j;
	const char		  *id;
	int64_t			   t = LOCAL_TIME(T_INV);

	open_engine(ONE, 1);
	use_script();
	script_set(4, v);
	id = invitation_id("an", "email");
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 600);
	step_at(t + 599);
	ck_assert_int_eq(script.submits, 1);
	t += 600;
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_eq(j->next_at, t + 7200);
	step_at(t + 3601);
	ck_assert_int_eq(script.submits, 2);
	t += 7200;
	/* A Retry-After shorter than the backoff does not shorten it. */
	step_at(t);
	j = job_get(id);
	ck_assert_str_eq(ob_state(j), "failed");
	ck_assert_int_ge(j->next_at, t + 2);
	ck_assert_int_le(j->next_at, t + backoff_ceiling(3));
	step_at(j->next_at);
	ck_assert_str_eq(state_of(id), "sent");
	ck_assert_int_eq(script.submits, 4);
}
END_TEST

/* The rate limit: a file gateway with rate = "2/s" (a burst of 2). */
START_TEST(test_rate_limit)
{
	static const char *const rcpt[] = { "an", "binh", "chau", "dung",
		"em" };
	int64_t			 t = LOCAL_TIME(T_INV);
	const char		*ids[5];
	char			*path;
	int			 i, sent, waiting;

	write_service("gateways = (\n"
		      "  { id = \"mail\"; kind = \"file\"; dir = \"mailout\"; "
		      "rate = \"2/s\"; }\n"
		      ");\n"
		      "channels = { email = \"mail\"; };\n");
	open_engine(FIVE, 0);
	for (i = 0; i < 5; i++)
		ids[i] = invitation_id(rcpt[i], "email");
	ck_assert_int_eq(count_in("pending"), 5);

	step_at(t);
	sent = waiting = 0;
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(ids[i]);

		if (strcmp(ob_state(j), "sent") == 0) {
			sent++;
			path = xasprintf("%s/mailout/mail/%s.eml", fx.dir,
			    ids[i]);
			ck_assert_msg(file_exists(path), "%s", path);
			free(path);
			continue;
		}
		/* No token: never claimed, so not tried, not failed, and
		 * not rewritten either (no release to a later time). */
		ck_assert_str_eq(ob_state(j), "pending");
		ck_assert_int_eq(j->next_at, t);
		ck_assert_int_eq(j->attempts, 0);
		ck_assert_ptr_null(j->last_error);
		waiting++;
	}
	ck_assert_int_eq(sent, 2);
	ck_assert_int_eq(waiting, 3);
	/* The same moment again: no new tokens. */
	step_at(t);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_next(fx.e), t + 1);

	step_at(t + 1);
	ck_assert_int_eq(count_in("sent"), 4);
	step_at(t + 2);
	ck_assert_int_eq(count_in("sent"), 5);
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(ids[i]);

		ck_assert_int_eq(j->attempts, 1);
		ck_assert_int_ge(j->sent_at, t);
		ck_assert_int_le(j->sent_at, t + 2);
	}
}
END_TEST

/*
 * Fairness, Retry-After and the rate, through the engine. `hold` is a
 * gateway that takes every send (GW_INFLIGHT) and never answers: a slow
 * SMS gateway that has all the room it was given in use.
 */
static struct {
	int  n;
	char id[8][17];
} hold;

static enum gw_result
hold_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	ck_assert_int_lt(hold.n, 8);
	snprintf(hold.id[hold.n++], sizeof(hold.id[0]), "%s", m->id);
	a->result = GW_INFLIGHT;
	return GW_INFLIGHT;
}

static const struct gw_backend hold_backend = {
	"hold",
	script_init,
	hold_submit,
	script_pollfds,
	script_poll,
	script_flush,
	script_shutdown,
};

static void
use_hold_sms(int concurrency)
{
	char err[256];

	memset(&hold, 0, sizeof(hold));
	ck_assert_msg(engine_set_gateway(fx.e, CH_SMS, &hold_backend,
			  concurrency, err, sizeof(err)) == 0,
	    "%s", err);
}

/*
 * A channel at its limit never delays another: with the SMS gateway
 * holding its one send and another SMS due, the email that comes due later
 * (a retry) is what the loop wakes for, and it goes while the SMS gateway
 * still holds its send.
 */
START_TEST(test_fair_limit)
{
	static const struct answer v[] = { { GW_TEMPFAIL, 0 }, { GW_OK, 0 } };
	int64_t			   t = LOCAL_TIME(T_INV), retry;
	const char		  *mail, *sms[2];

	open_engine("\"an\", \"giang\", \"huong\"", 1);
	use_script();
	script_set(2, v);
	use_hold_sms(1);
	mail = invitation_id("an", "email");
	sms[0] = invitation_id("giang", "sms");
	sms[1] = invitation_id("huong", "sms");
	step_at(t);
	ck_assert_int_eq(hold.n, 1);
	ck_assert_uint_eq(engine_inflight(fx.e), 1);
	ck_assert_int_eq(strcmp(state_of(sms[0]), "sending") == 0 ?
		strcmp(state_of(sms[1]), "pending") :
		strcmp(state_of(sms[1]), "sending"),
	    0);
	ck_assert_str_eq(state_of(mail), "failed");
	retry = job_get(mail)->next_at;
	ck_assert_int_gt(retry, t);
	/* The due SMS waits for its gateway's answer, not for a timer: the
	 * next wake is the email's retry. */
	ck_assert_int_eq(engine_next(fx.e), retry);
	ck_assert(engine_wake(fx.e) == (double)retry);
	step_at(retry);
	ck_assert_str_eq(state_of(mail), "sent");
	ck_assert_int_eq(script.submits, 2);
	/* ... while the SMS gateway still holds its send, and the other
	 * SMS still waits for room. */
	ck_assert_int_eq(hold.n, 1);
	ck_assert_uint_eq(engine_inflight(fx.e), 1);
	ck_assert_int_eq(count_in("sending"), 1);
	ck_assert_int_eq(count_in("pending"), 1);
	/* Nothing else is due: the loop waits for the SMS gateway. */
	ck_assert(engine_next(fx.e) == TIMEX_NONE);
}
END_TEST

/*
 * A Retry-After pauses the whole gateway: the jobs of its channel claimed
 * with the one that got it go back untried, none is claimed before the
 * pause ends, and the other channels are not held up.
 */
START_TEST(test_retry_after_pauses_gateway)
{
	static const struct answer v[] = { { GW_TEMPFAIL, 600 }, { GW_OK, 0 } };
	static const char *const   rcpt[] = { "an", "binh", "chau", "dung",
		  "em" };
	int64_t			   t = LOCAL_TIME(T_INV);
	const char		  *sms;
	int			   i, failed = 0, pending = 0;

	open_engine(FIVE ", \"giang\"", 1);
	use_script();
	script_set(2, v);
	sms = invitation_id("giang", "sms");
	step_at(t);
	ck_assert_int_eq(script.submits, 1);
	for (i = 0; i < 5; i++) {
		const struct ob_job *j = job_get(
		    invitation_id(rcpt[i], "email"));

		if (strcmp(ob_state(j), "failed") == 0) {
			failed++;
			ck_assert_int_eq(j->next_at, t + 600);
			ck_assert_int_eq(j->attempts, 1);
			continue;
		}
		/* Untried, as it was, not failed. */
		ck_assert_str_eq(ob_state(j), "pending");
		ck_assert_int_eq(j->attempts, 0);
		ck_assert_int_eq(j->next_at, t);
		ck_assert_ptr_null(j->last_error);
		pending++;
	}
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(pending, 4);
	/* The SMS gateway is not the one that asked. */
	ck_assert_str_eq(state_of(sms), "sent");
	/* Due emails, and the gateway paused: the next wake is its end. */
	ck_assert_int_eq(engine_next(fx.e), t + 600);
	step_at(t + 1);
	step_at(t + 599);
	ck_assert_int_eq(script.submits, 1);
	ck_assert_int_eq(count_in("pending"), 4);
	step_at(t + 600);
	ck_assert_int_eq(script.submits, 6);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(state_of(invitation_id(rcpt[i], "email")),
		    "sent");
}
END_TEST

/* A Retry-After of a day holds that job a day, but the gateway as a
 * whole only 15 minutes: the other jobs go then. */
START_TEST(test_retry_after_pause_capped)
{
	static const struct answer v[] = { { GW_TEMPFAIL, 86400 },
		{ GW_OK, 0 } };
	int64_t			   t = LOCAL_TIME(T_INV);

	open_engine(FIVE ", \"giang\"", 1);
	use_script();
	script_set(2, v);
	step_at(t);
	ck_assert_int_eq(script.submits, 1);
	ck_assert_int_eq(count_in("failed"), 1);
	ck_assert_int_eq(engine_next(fx.e), t + 900);
	step_at(t + 899);
	ck_assert_int_eq(script.submits, 1);
	step_at(t + 900);
	ck_assert_int_eq(script.submits, 5);
	ck_assert_int_eq(count_in("failed"), 1);
}
END_TEST

/* The bucket counts fractions of a second: with rate = "2/s", a token
 * comes every half second, and the wake is when it does. */
START_TEST(test_rate_subsecond)
{
	int64_t t = LOCAL_TIME(T_INV);

	write_service("gateways = (\n"
		      "  { id = \"mail\"; kind = \"file\"; dir = \"mailout\"; "
		      "rate = \"2/s\"; }\n"
		      ");\n"
		      "channels = { email = \"mail\"; };\n");
	open_engine(FIVE, 0);
	ck_assert_int_eq(engine_step_at(fx.e, (double)t), 0);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert(engine_wake(fx.e) == (double)t + 0.5);
	ck_assert_int_eq(engine_step_at(fx.e, (double)t + 0.25), 0);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_step_at(fx.e, (double)t + 0.5), 0);
	ck_assert_int_eq(count_in("sent"), 3);
	ck_assert_int_eq(engine_step_at(fx.e, (double)t + 0.5), 0);
	ck_assert_int_eq(count_in("sent"), 3);
	ck_assert(engine_wake(fx.e) == (double)t + 1);
	ck_assert_int_eq(engine_step_at(fx.e, (double)t + 1.5), 0);
	ck_assert_int_eq(count_in("sent"), 5);
	/* Never claimed without a token: one try each. */
	ck_assert_int_eq(count_in("pending"), 0);
}
END_TEST

/* "N/min" is a rate a minute, as "N/m" is. */
START_TEST(test_rate_per_minute)
{
	int64_t t = LOCAL_TIME(T_INV);

	write_service("gateways = (\n"
		      "  { id = \"mail\"; kind = \"file\"; dir = \"mailout\"; "
		      "rate = \"120/min\"; }\n"
		      ");\n"
		      "channels = { email = \"mail\"; };\n");
	open_engine(FIVE, 0);
	step_at(t);
	ck_assert_int_eq(count_in("sent"), 2);
	ck_assert_int_eq(engine_next(fx.e), t + 1);
	step_at(t + 1);
	ck_assert_int_eq(count_in("sent"), 4);
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

	open_engine(FIVE, 1);
	fault_arm(FAULT_SQLITE, 0, 0);
	step_at(t);
	ck_assert_int_eq(count_in("sent"), 5);
	ck_assert_int_eq(fault_calls(FAULT_SQLITE), 3);
	close_engine();
	tu_rm_tree(fx.dir);
	ck_assert_int_eq(mkdir(fx.dir, 0700), 0);
	write_service(NULL);
	open_engine(FIVE, 1);
	fault_arm(FAULT_SQLITE, 2, 0);
	ck_assert_int_eq(engine_step(fx.e, t), -1);
	ck_assert_int_eq(count_in("sending"), 4);
	ck_assert_int_eq(count_in("pending"), 1);
	ck_assert_int_eq(count_in("sent"), 0);
}
END_TEST

/* A failing disk under the real file gateway. */

static char *
eml_path(const char *id)
{
	return xasprintf("%s/outbox/mail/%s.eml", fx.dir, id);
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

START_TEST(test_fault_write)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path, *eml, want[64];

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_WRITE, 1, 1);
	step_at(t);
	t = expect_retried(id, t, strerror(ENOSPC));
	path = eml_path(id);
	ck_assert_msg(!file_exists(path), "%s was written", path);
	/* The disk has room again. */
	fault_reset();
	step_at(t);
	ck_assert_str_eq(state_of(id), "sent");
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

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_FSYNC, 1, 0);
	step_at(t);
	t = expect_retried(id, t, strerror(EIO));
	path = eml_path(id);
	ck_assert_msg(!file_exists(path), "%s is there unsynced", path);
	fault_reset();
	step_at(t);
	ck_assert_str_eq(state_of(id), "sent");
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

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_FSYNC, 2, 1);
	step_at(t);
	t = expect_retried(id, t, strerror(EIO));
	/* The file's own fsync happened; the folder's failed. */
	ck_assert_int_ge(fault_calls(FAULT_FSYNC), 2);
	fault_reset();
	step_at(t);
	ck_assert_str_eq(state_of(id), "sent");
}
END_TEST

/* An SMS line is appended to sms.jsonl and synced once a batch: when
 * that sync fails, the SMS is not sent. */
START_TEST(test_fault_fsync_flush_sms)
{
	int64_t	    t = LOCAL_TIME(T_INV);
	const char *id;
	char	   *path, *all;

	open_engine("\"giang\"", 1);
	id = invitation_id("giang", "sms");
	fault_arm(FAULT_FSYNC, 1, 1);
	step_at(t);
	t = expect_retried(id, t, "sms.jsonl");
	fault_reset();
	step_at(t);
	ck_assert_str_eq(state_of(id), "sent");
	path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
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

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_RENAME, 1, 0);
	step_at(t);
	t = expect_retried(id, t, strerror(EIO));
	path = eml_path(id);
	ck_assert(!file_exists(path));
	step_at(t);
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

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_SQLITE, 2, 0);
	ck_assert_int_eq(engine_step(fx.e, t), -1);
	ck_assert_str_eq(state_of(id), "sending");
	ck_assert(job_get(id)->sent_at == TIMEX_NONE);
	/* The bytes were made durable before the commit was tried. */
	path = eml_path(id);
	ck_assert(file_exists(path));
	fault_reset();
	/* The process dies here; the next one starts. */
	close_engine();
	open_engine(ONE, 1);
	ck_assert_str_eq(state_of(id), "sending");
	ck_assert_int_eq(outbox_requeue_sending(engine_outbox(fx.e), &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(state_of(id), "pending");
	step_at(t + 60);
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

	open_engine(ONE, 1);
	id = invitation_id("an", "email");
	fault_arm(FAULT_SQLITE, 1, 0);
	ck_assert_int_eq(engine_step(fx.e, t), -1);
	ck_assert_str_eq(state_of(id), "pending");
	ck_assert_int_eq(job_get(id)->attempts, 0);
	path = eml_path(id);
	ck_assert(!file_exists(path));
	step_at(t);
	ck_assert_str_eq(state_of(id), "sent");
	ck_assert(file_exists(path));
	free(path);
}
END_TEST

static Suite *
delivery_suite(void)
{
	Suite *s = suite_create("delivery");
	TCase *tc;

	tc = tcase_create("retry");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tempfail_dead_after_12);
	tcase_add_test(tc, test_tempfail_dead_after_24h);
	tcase_add_test(tc, test_permfail_dead_at_once);
	tcase_add_test(tc, test_tempfail_then_ok);
	tcase_add_test(tc, test_retry_after_floor);
	suite_add_tcase(s, tc);

	tc = tcase_create("rate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_rate_subsecond);
	tcase_add_test(tc, test_rate_per_minute);
	tcase_add_test(tc, test_fair_limit);
	tcase_add_test(tc, test_retry_after_pauses_gateway);
	tcase_add_test(tc, test_retry_after_pause_capped);
	tcase_add_test(tc, test_group_commit);
	suite_add_tcase(s, tc);

	tc = tcase_create("fault");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fault_write);
	tcase_add_test(tc, test_fault_fsync_file);
	tcase_add_test(tc, test_fault_fsync_flush_mail);
	tcase_add_test(tc, test_fault_fsync_flush_sms);
	tcase_add_test(tc, test_fault_rename);
	tcase_add_test(tc, test_fault_sqlite_commit);
	tcase_add_test(tc, test_fault_sqlite_claim);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(delivery_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tz_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
