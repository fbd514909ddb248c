/*
 * check_config.c: unit tests of the config loaders (plan/service.c,
 * plan/planfile.c, render/tmpl.c's tmpl_install) and of resolve.c
 * (conf/REFERENCE.md §1-§5): every config under $LOA_TESTDATA/bad/ fails to
 * validate with the message its `expect` file names, and the base fixture
 * $LOA_TESTDATA/ok/ loads without a word, with its values read as
 * conf/REFERENCE.md §4 and §3 say.
 *
 * Each config is loaded as `loa check` loads it, with world_load (service,
 * plans, the duplicate plan id check, resolution and expansion), from
 * inside its folder, so that the messages name "loa.cfg" and "plan.cfg" as
 * the `expect` lines do. The diagnostics go to a memory stream.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "plan/planfile.h"
#include "plan/service.h"
#include "plan/resolve.h"
#include "jobs/world.h"
#include "util/diag.h"
#include "util/strmap.h"
#include "testutil.h"

#define NOW    "2027-01-01 00:00" /* what `now` means in expressions */
#define MAXBAD 256

/* One load of a service config and its plans, as `loa check` has it. */
struct run {
	struct world	w;
	struct service *svc; /* w's, for short */
	struct plan   **plans;
	size_t		nplans;
	struct diag	d;
	char	       *log; /* what went to d.out */
	size_t		loglen;
	char	       *want; /* the expect line */
};

static const char *testdata;
static char	  *bad[MAXBAD]; /* folder names under bad/ */
static int	   nbad;
static char	   home[PATH_MAX]; /* the cwd to come back to */
static struct run  run;		   /* the test's; freed by teardown */

static void
setup(void)
{
	memset(&run, 0, sizeof(run));
}

/* A failed assertion leaves its test at once (CK_FORK=no): clean up here. */
static void
teardown(void)
{
	world_free(&run.w);
	if (run.d.out != NULL)
		fclose(run.d.out);
	free(run.log);
	free(run.want);
	memset(&run, 0, sizeof(run));
	if (chdir(home) == -1)
		perror(home);
}

/* Load loa.cfg in the current folder into run with world_load. Every
 * message ends up in run.log. */
static void
load(void)
{
	int64_t now;

	ck_assert_int_eq(timex_parse_instant(tz_get(ZONE), NOW, &now), 0);
	run.d.out = open_memstream(&run.log, &run.loglen);
	ck_assert_ptr_nonnull(run.d.out);
	world_load(&run.w, "loa.cfg", now, &run.d);
	run.svc = run.w.svc;
	run.plans = run.w.plans;
	run.nplans = run.w.nplans;
	ck_assert_int_eq(fflush(run.d.out), 0);
	ck_assert_ptr_nonnull(run.log);
}

/* The first line of FILE, without its newline; NULL when there is none. */
static char *
first_line(const char *path)
{
	FILE   *f = fopen(path, "r");
	char   *line = NULL;
	size_t	cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

/* Every folder under bad/: one error class each. */
START_TEST(test_bad)
{
	const char *name = bad[_i];
	char	    dir[PATH_MAX], path[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/bad/%s", testdata, name);
	snprintf(path, sizeof(path), "%s/expect", dir);
	run.want = first_line(path);
	ck_assert_msg(run.want != NULL && *run.want != '\0',
	    "bad/%s: no expect line", name);
	ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
	load();
	ck_assert_msg(run.d.errors > 0,
	    "bad/%s: loaded without errors; "
	    "messages:\n%s",
	    name, run.log);
	ck_assert_msg(strstr(run.log, run.want) != NULL,
	    "bad/%s: expected "
	    "\"%s\" in the messages:\n%s",
	    name, run.want, run.log);
}
END_TEST

/*
 * Two plan files with one plan id (world.c's own check): world_load fails
 * with one error, on the second file, naming the first; each plan alone
 * is valid.
 */
START_TEST(test_duplicate_plan_id)
{
	char	dir[PATH_MAX];
	int	rc;
	int64_t now;

	snprintf(dir, sizeof(dir), "%s/bad/duplicate-plan-id", testdata);
	ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
	ck_assert_int_eq(timex_parse_instant(tz_get(ZONE), NOW, &now), 0);
	run.d.out = open_memstream(&run.log, &run.loglen);
	ck_assert_ptr_nonnull(run.d.out);
	rc = world_load(&run.w, "loa.cfg", now, &run.d);
	ck_assert_int_eq(fflush(run.d.out), 0);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(run.d.errors == 1, "%d errors:\n%s", run.d.errors,
	    run.log);
	ck_assert_msg(strncmp(run.log, "plan-b.cfg:", 11) == 0 &&
		strstr(run.log,
		    " plan.id: duplicate plan id \"1/KH-UBND\" "
		    "(also in plan-a.cfg)\n") != NULL,
	    "%s", run.log);
	/* Nothing was expanded from a config that does not validate. */
	ck_assert_uint_eq(run.w.jobs.n, 0);
}
END_TEST

/* The base fixture: no errors, no warnings. */
static struct plan *
load_ok(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/ok", testdata);
	ck_assert_msg(chdir(dir) == 0, "cannot enter %s", dir);
	load();
	ck_assert_msg(run.d.errors == 0 && run.d.warnings == 0,
	    "ok: %d errors, %d warnings:\n%s", run.d.errors, run.d.warnings,
	    run.log);
	ck_assert_str_eq(run.log, "");
	ck_assert_uint_eq(run.nplans, 1);
	return run.plans[0];
}

static void *
named(const struct plan *p, const char *id, enum named_kind kind)
{
	const struct named *n = strmap_get(p->names, id);

	ck_assert_msg(n != NULL, "no \"%s\" in the plan", id);
	ck_assert_msg(n->kind == kind, "\"%s\" is of kind %d, not %d", id,
	    (int)n->kind, (int)kind);
	return n->p;
}

static const char *
rfc3339(const struct plan *p, int64_t t)
{
	static char buf[4][40];
	static int  k;

	k = (k + 1) % 4;
	ck_assert_msg(t != TIMEX_NONE, "an unresolved time");
	tz_rfc3339(p->tz, t, buf[k], sizeof(buf[k]));
	return buf[k];
}

START_TEST(test_ok_loads)
{
	struct plan *p = load_ok();

	ck_assert_str_eq(p->id, "7/KH-UBND");
	ck_assert_str_eq(tz_name(p->tz), ZONE);
	ck_assert_uint_eq(p->npeople, 5);
	ck_assert_uint_eq(p->ngroups, 1);
	ck_assert_uint_eq(p->nagencies, 2);
	ck_assert_uint_eq(p->nevents, 1);
	ck_assert_uint_eq(p->ntasks, 2);
	ck_assert_uint_eq(p->nbroadcasts, 1);
	ck_assert_int_eq(p->distribution.present, 1);
	/* The service: three holidays, quiet hours, the default slots. */
	ck_assert_uint_eq(run.svc->nholidays, 3);
	ck_assert_int_eq(run.svc->quiet.start, 21 * 60);
	ck_assert_int_eq(run.svc->quiet.end, 6 * 60 + 30);
	ck_assert_uint_eq(run.svc->nslots, 2);
	ck_assert_uint_eq(run.svc->ndefault_remind, 2);
}
END_TEST

/* conf/REFERENCE.md §4: phone numbers are normalised to E.164. */
START_TEST(test_ok_phones)
{
	struct plan *p = load_ok();

	ck_assert_str_eq(((struct contact *)named(p, "soai", N_PERSON))->phone,
	    "+84912345678"); /* "0912 345 678" */
	ck_assert_str_eq(((struct contact *)named(p, "lan-nt", N_PERSON))
			     ->phone,
	    "+84904218356"); /* "0904.218.356" */
	ck_assert_str_eq(((struct contact *)named(p, "bao-tq", N_PERSON))
			     ->phone,
	    "+84357906142"); /* "+84 35 790 6142" */
	ck_assert_str_eq(((struct contact *)named(p, "duc-lm", N_PERSON))
			     ->phone,
	    "+84868391207"); /* "0868-391-207" */
	ck_assert_ptr_null(
	    ((struct contact *)named(p, "huong-pt", N_PERSON))->phone);
}
END_TEST

/* conf/REFERENCE.md §1: text is NFC after loading, whatever the file had. */
START_TEST(test_ok_nfc)
{
	struct plan	     *p = load_ok();
	const struct contact *bao = named(p, "bao-tq", N_PERSON);
	/* "Trần Quốc Bảo" in NFC; the file writes it in NFD. */
	static const char     nfc[] = "Tr\xe1\xba\xa7n Qu\xe1\xbb\x91"
				      "c B\xe1\xba\xa3o";

	ck_assert_str_eq(bao->name, nfc);
	ck_assert_str_eq(((struct contact *)named(p, "soai", N_PERSON))->name,
	    "\xc4\x90\xc3\xa0o V\xc4\x83n So\xc3\xa1i");
}
END_TEST

/* conf/REFERENCE.md §2: absolute times are local to the plan's zone; chains resolve. */
START_TEST(test_ok_times)
{
	struct plan	   *p = load_ok();
	const struct event *ev = named(p, "hoi-nghi", N_EVENT);
	const struct task  *gm = named(p, "giay-moi", N_TASK);
	const struct task  *gg = named(p, "gui-giay-moi", N_TASK);

	ck_assert_str_eq(rfc3339(p, p->issued.t), "2027-03-01T00:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, ev->start.t), "2027-03-26T08:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, ev->end.t), "2027-03-26T11:30:00+07:00");
	ck_assert_ptr_null(ev->start.tentative);
	ck_assert_uint_eq(ev->nreminders, 2);
	ck_assert_str_eq(rfc3339(p, ev->reminders[0].t),
	    "2027-03-25T16:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, ev->reminders[1].t),
	    "2027-03-26T06:00:00+07:00");
	/* hoi-nghi.start - 10d at 17:00, a Tuesday. */
	ck_assert_str_eq(rfc3339(p, gm->due.t), "2027-03-16T17:00:00+07:00");
	/* due - 3bd at 08:00 over a weekend; due + 1bd at 08:00. */
	ck_assert_uint_eq(gm->nremind, 2);
	ck_assert_str_eq(rfc3339(p, gm->remind[0].t),
	    "2027-03-11T08:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, gm->remind[1].t),
	    "2027-03-15T08:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, gm->overdue.t),
	    "2027-03-17T08:00:00+07:00");
	/* giay-moi.due + 2bd: a chain of three. */
	ck_assert_str_eq(rfc3339(p, gg->due.t), "2027-03-18T17:00:00+07:00");
	/* No remind of its own: the service's defaults, 3bd and 1bd ahead. */
	ck_assert_uint_eq(gg->nremind, 2);
	ck_assert_str_eq(rfc3339(p, gg->remind[0].t),
	    "2027-03-15T08:00:00+07:00");
	ck_assert_str_eq(rfc3339(p, gg->remind[1].t),
	    "2027-03-17T08:00:00+07:00");
}
END_TEST

/* conf/REFERENCE.md §4 and §3: the channels when the config says nothing. */
/* Leave the stack where diag_v's locals go full of non-NULL bytes. */
static void __attribute__((noinline)) stack_dirty(void)
{
	volatile char junk[4096];
	size_t	      i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (char)0xa5;
}

/* A message with no place, key or words is an empty line, counted. */
START_TEST(test_diag_empty)
{
	struct diag d = { NULL, 0, 0 };
	char	   *out = NULL;
	size_t	    len = 0;

	d.out = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(d.out);
	stack_dirty();
	diag_error(&d, NULL, NULL, "%s", "");
	stack_dirty();
	diag_warn(&d, NULL, NULL, "%s", "");
	fclose(d.out);
	ck_assert_str_eq(out, "\nwarning: \n");
	ck_assert_int_eq(d.errors, 1);
	ck_assert_int_eq(d.warnings, 1);
	free(out);
}
END_TEST

START_TEST(test_ok_channels)
{
	struct plan	       *p = load_ok();
	const struct event     *ev = named(p, "hoi-nghi", N_EVENT);
	const struct agency    *vhxh = named(p, "vhxh", N_AGENCY);
	const struct agency    *vp = named(p, "vp", N_AGENCY);
	const struct broadcast *b = named(p, "tin-hoi-nghi", N_BROADCAST);
	int			ch;

	/* A person accepts each channel they have an address for. */
	ck_assert_uint_eq(((struct contact *)named(p, "soai", N_PERSON))
			      ->channels,
	    CHM(CH_EMAIL) | CHM(CH_SMS));
	ck_assert_uint_eq(((struct contact *)named(p, "duc-lm", N_PERSON))
			      ->channels,
	    CHM(CH_SMS));
	/* ... unless they say. */
	ck_assert_uint_eq(((struct contact *)named(p, "huong-pt", N_PERSON))
			      ->channels,
	    CHM(CH_EMAIL));
	/* Distribution by both (as the fixture says), event reminders by
	 * SMS, tasks by both. */
	ck_assert_uint_eq(p->distribution.channels,
	    CHM(CH_EMAIL) | CHM(CH_SMS));
	ck_assert_uint_eq(ev->reminder_channels, CHM(CH_SMS));
	ck_assert_uint_eq(((struct task *)named(p, "giay-moi", N_TASK))
			      ->channels,
	    CHM(CH_EMAIL) | CHM(CH_SMS));
	ck_assert_uint_eq(((struct task *)named(p, "gui-giay-moi", N_TASK))
			      ->channels,
	    CHM(CH_EMAIL) | CHM(CH_SMS));
	ck_assert_int_eq(ev->status, EV_CONFIRMED);
	ck_assert_int_eq(b->priority, PRIO_NORMAL);
	/* A shared mailbox only where the agency has an address. */
	ck_assert_ptr_nonnull(vhxh->mailbox);
	ck_assert_str_eq(vhxh->mailbox->email, "vhxh@daison.example");
	ck_assert_uint_eq(vhxh->mailbox->channels, CHM(CH_EMAIL));
	ck_assert_ptr_null(vp->mailbox);
	/* No gateways configured: no channel is bound to one (the engine
	 * makes up the embedded file gateways). */
	ck_assert_uint_eq(run.svc->ngateways, 0);
	for (ch = 0; ch < CH__N; ch++)
		ck_assert_ptr_null(run.svc->channel_gw[ch]);
}
END_TEST

/* Collect the folders under $LOA_TESTDATA/bad/, sorted. */
static void
find_bad(void)
{
	char		dir[PATH_MAX];
	struct dirent **v;
	int		n, i;

	snprintf(dir, sizeof(dir), "%s/bad", testdata);
	if ((n = scandir(dir, &v, NULL, alphasort)) == -1) {
		perror(dir);
		exit(EXIT_FAILURE);
	}
	for (i = 0; i < n; i++) {
		char	    path[PATH_MAX + 256];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, v[i]->d_name);
		if (v[i]->d_name[0] != '.' && stat(path, &st) == 0 &&
		    S_ISDIR(st.st_mode) && nbad < MAXBAD)
			bad[nbad++] = strdup(v[i]->d_name);
		free(v[i]);
	}
	free(v);
}

int
main(void)
{
	int rc, i;

	if ((testdata = getenv("LOA_TESTDATA")) == NULL) {
		fprintf(stderr, "check_config: LOA_TESTDATA is not set\n");
		return EXIT_FAILURE;
	}
	if (getcwd(home, sizeof(home)) == NULL) {
		perror("getcwd");
		return EXIT_FAILURE;
	}
	find_bad();
	if (nbad == 0) {
		fprintf(stderr, "check_config: no folders under %s/bad\n",
		    testdata);
		return EXIT_FAILURE;
	}
	tcase_add_loop_test(TU_CASE("bad", setup, teardown, 0,
				test_duplicate_plan_id),
	    test_bad, 0, nbad);
	TU_CASE("ok", setup, teardown, 0, test_ok_loads, test_ok_phones,
	    test_ok_nfc, test_ok_times, test_ok_channels);
	TU_CASE("diag", NULL, NULL, 0, test_diag_empty);
	rc = tu_run("config");
	for (i = 0; i < nbad; i++)
		free(bad[i]);
	return rc;
}
