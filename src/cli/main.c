/*
 * main.c: the loa command (SPEC §10): parses the command line and calls
 * the modules. Exit codes: 0 ok, 1 invalid input or config, 2 usage,
 * 3 runtime failure.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>

#include "plan/cfg.h"
#include "deliver/engine.h"
#include "deliver/outbox.h"
#include "render/ical.h"
#include "util/log.h"
#include "jobs/slots.h"
#include "jobs/timeline.h"
#include "jobs/world.h"
#include "util/xmalloc.h"

#define EXIT_INVALID	1
#define EXIT_USAGE	2
#define EXIT_RUNTIME	3

static const char usage_text[] =
"usage: loa [-c FILE] [-v] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  check [--now T]                      validate the config and its plans\n"
"  timeline [--json] [--from T] [--to T] [--now T]\n"
"                                       every job in time order\n"
"  ics [--event ID | --tasks | --all] [--method M] [--now T]\n"
"                                       iCalendar to stdout\n"
"  run [--once] [--now T] [--dry-run]   the service; --once: what is due,\n"
"                                       then exit\n"
"  simulate [--from T] [--to T] [--out DIR]\n"
"                                       the whole timeline on a virtual clock\n"
"                                       into files under DIR (var/simulate)\n"
"  outbox [--state S] [--json]          the jobs in the outbox\n"
"  task done [PLAN:]ID                  stop a task's reminders\n"
"\n"
"Options:\n"
"  -c FILE     the service config (default $LOA_CONFIG, else conf/loa.cfg)\n"
"  -v          more messages on stderr\n"
"  --version   print the version\n"
"  --help      this text; COMMAND --help for one command\n"
"\n"
"T is a local time \"YYYY-MM-DD[ HH:MM[:SS]]\" in the service's time zone,\n"
"or RFC 3339 with an offset (\"2025-12-26T08:00:00+07:00\").\n"
"Exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime failure.\n";

static const char check_usage[] =
"usage: loa [-c FILE] check [--now T]\n"
"\n"
"Validate the service config and every plan it names. Prints FILE:LINE:\n"
"errors and warnings on stderr, a summary on stdout; exits 1 on errors.\n"
"--now sets the moment that `now` in a time expression means.\n";

static const char timeline_usage[] =
"usage: loa [-c FILE] timeline [--json] [--from T] [--to T] [--now T]\n"
"\n"
"Print every job of every plan in time order: as a table, or with --json\n"
"as one JSON array (SPEC §10). --from and --to keep the jobs due in\n"
"[from, to).\n";

static const char ics_usage[] =
"usage: loa [-c FILE] ics [--event ID | --tasks | --all] [--method M] "
"[--now T]\n"
"\n"
"Print iCalendar (RFC 5545) on stdout: with --event, the invitation of one\n"
"event (--method REQUEST, the default), its cancellation (CANCEL) or the\n"
"event alone as published (PUBLISH); with --tasks, every task as a VTODO\n"
"and a VEVENT at its due time; with --all (the default), the feed of every\n"
"event and task. --now sets DTSTAMP (default: the clock).\n";

/* Remove the files of a folder tree (a simulation's old output). */
/* 1 when dir/name exists. */
static int
dir_has(const char *dir, const char *name)
{
	char		*p = xasprintf("%s/%s", dir, name);
	struct stat	 st;
	int		 rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

static void
remove_tree(const char *path)
{
	DIR		*d = opendir(path);
	struct dirent	*de;

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		char	*sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		remove_tree(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

/* Parse a time argument; NULL arg keeps *out. Returns 0 or -1. */
static int
arg_time(const char *opt, const char *arg, const struct tz *z, int64_t *out)
{
	if (arg == NULL) {
		fprintf(stderr, "loa: %s needs a time\n", opt);
		return -1;
	}
	if (timex_parse_instant(z, arg, out) == -1) {
		fprintf(stderr, "loa: %s \"%s\": expected YYYY-MM-DD[ HH:MM[:SS]] "
		    "or RFC 3339\n", opt, arg);
		return -1;
	}
	return 0;
}

struct opts {
	int		 json;
	const char	*from, *to, *now;
};

/* Parse the options of check and timeline. Returns 0, 1 for --help, -1. */
static int
parse_opts(int argc, char **argv, int allow_json_range, struct opts *o)
{
	int	 i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char	*a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--now") == 0 && i + 1 < argc)
			o->now = argv[++i];
		else if (allow_json_range && strcmp(a, "--json") == 0)
			o->json = 1;
		else if (allow_json_range && strcmp(a, "--from") == 0 &&
		    i + 1 < argc)
			o->from = argv[++i];
		else if (allow_json_range && strcmp(a, "--to") == 0 &&
		    i + 1 < argc)
			o->to = argv[++i];
		else {
			fprintf(stderr, "loa: unknown or incomplete option "
			    "\"%s\"\n", a);
			return -1;
		}
	}
	return 0;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void
count_plan(const struct plan *p)
{
	printf("plan %s (%s): %zu %s, %zu group%s, %zu agenc%s, %zu event%s, "
	    "%zu task%s, %zu broadcast%s\n", p->id, p->file, p->npeople,
	    p->npeople == 1 ? "person" : "people", p->ngroups,
	    plural(p->ngroups), p->nagencies, p->nagencies == 1 ? "y" : "ies",
	    p->nevents, plural(p->nevents), p->ntasks, plural(p->ntasks),
	    p->nbroadcasts, plural(p->nbroadcasts));
}

static void
summary(const struct world *w)
{
	size_t	 kinds[JK__N] = { 0 }, states[JS__N] = { 0 };
	size_t	 chans[CH__N] = { 0 }, enc[2] = { 0 }, i;
	int	 maxparts = 0, first;

	for (i = 0; i < w->nplans; i++)
		count_plan(w->plans[i]);
	for (i = 0; i < w->jobs.n; i++) {
		const struct job	*j = &w->jobs.v[i];

		kinds[j->kind]++;
		states[j->state]++;
		chans[j->channel]++;
		if (j->channel == CH_SMS && j->sms_parts > 0) {
			enc[j->sms_encoding]++;
			if (j->sms_parts > maxparts)
				maxparts = j->sms_parts;
		}
	}
	printf("jobs: %zu (email %zu, sms %zu, broadcast %zu)\n", w->jobs.n,
	    chans[CH_EMAIL], chans[CH_SMS], chans[CH_BROADCAST]);
	printf("  by kind:");
	for (i = 0, first = 1; i < JK__N; i++)
		if (kinds[i] > 0) {
			printf("%s %s %zu", first ? "" : ",", job_kind_names[i],
			    kinds[i]);
			first = 0;
		}
	printf("\n  by state:");
	for (i = 0, first = 1; i < JS__N; i++)
		if (states[i] > 0) {
			printf("%s %s %zu", first ? "" : ",",
			    job_state_names[i], states[i]);
			first = 0;
		}
	printf("\n");
	if (chans[CH_SMS] > 0)
		printf("sms: gsm7 %zu, ucs2 %zu, at most %d parts "
		    "(max_parts %d)\n", enc[0], enc[1], maxparts,
		    w->svc->channel_gw[CH_SMS] ?
		    w->svc->channel_gw[CH_SMS]->max_parts : w->svc->max_parts);
}

static int
cmd_check_timeline(const char *cfg, int argc, char **argv, int timeline)
{
	struct world	 w;
	struct diag	 d = { 0 };
	struct opts	 o;
	int64_t		 now = (int64_t)time(NULL);
	int64_t		 from = TIMEX_NONE, to = TIMEX_NONE;
	const struct tz	*z = tz_get("Asia/Ho_Chi_Minh");
	int		 rc;

	if ((rc = parse_opts(argc, argv, timeline, &o)) != 0) {
		fputs(timeline ? timeline_usage : check_usage,
		    rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : EXIT_USAGE;
	}
	/* Times on the command line are read in the service's zone; the
	 * zone is known only after loading, so parse twice if needed. */
	if (o.now != NULL && arg_time("--now", o.now, z, &now) == -1)
		return EXIT_USAGE;
	if (world_load(&w, cfg, now, &d) == -1) {
		fprintf(stderr, "%s: %d error%s\n", cfg, d.errors,
		    d.errors == 1 ? "" : "s");
		world_free(&w);
		return EXIT_INVALID;
	}
	if (w.svc->tz != z) {
		z = w.svc->tz;
		if (o.now != NULL)
			arg_time("--now", o.now, z, &now);
	}
	if ((o.from != NULL && arg_time("--from", o.from, z, &from) == -1) ||
	    (o.to != NULL && arg_time("--to", o.to, z, &to) == -1)) {
		world_free(&w);
		return EXIT_USAGE;
	}
	if (from != TIMEX_NONE && to != TIMEX_NONE && to < from) {
		log_warnx("--to %s is before --from %s", o.to, o.from);
		world_free(&w);
		return EXIT_USAGE;
	}
	if (!timeline) {
		printf("%s: OK%s\n", cfg, d.warnings ? "" : ", no warnings");
		if (d.warnings)
			printf("%d warning%s (on stderr)\n", d.warnings,
			    d.warnings == 1 ? "" : "s");
		summary(&w);
		rc = 0;
	} else if (o.json)
		rc = timeline_print_json(stdout, &w.jobs, from, to);
	else
		rc = timeline_print_text(stdout, &w.jobs, from, to);
	world_free(&w);
	if (fflush(stdout) != 0 || rc != 0) {
		log_warn("writing the output");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* What the outbox announced of ev: its SEQUENCE, 0 before any send. */
static int
fact_seq(void *arg, const struct plan *p, const struct event *ev)
{
	struct ob_event	 oe;
	int		 found, seq = 0;

	if (outbox_event_get(arg, p->id, ev->id, &oe, &found) == -1)
		log_warnx("%s", outbox_error(arg));
	else if (found)
		seq = oe.seq;
	ob_event_clear(&oe);
	return seq;
}

/* Whether the outbox has task t marked done. */
static int
fact_done(void *arg, const struct plan *p, const struct task *t)
{
	int	 done = 0;

	if (outbox_task_is_done(arg, p->id, t->id, &done) == -1)
		log_warnx("%s", outbox_error(arg));
	return done;
}

static int
cmd_ics(const char *cfg, int argc, char **argv)
{
	struct ical_facts	 facts = { fact_seq, fact_done, NULL };
	struct ical_facts	*fp = NULL;
	int			 seq;
	struct world	 w;
	struct diag	 d = { 0 };
	const char	*event = NULL, *method = NULL, *nowarg = NULL;
	int64_t		 now = (int64_t)time(NULL);
	int		 tasks = 0, all = 0, i;
	char		*out = NULL;
	FILE		*devnull;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(ics_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--event") == 0 && i + 1 < argc)
			event = argv[++i];
		else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc)
			method = argv[++i];
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			nowarg = argv[++i];
		else if (strcmp(argv[i], "--tasks") == 0)
			tasks = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else {
			fprintf(stderr, "loa: unknown or incomplete option "
			    "\"%s\"\n%s", argv[i], ics_usage);
			return EXIT_USAGE;
		}
	}
	if ((event != NULL) + tasks + all > 1) {
		fprintf(stderr, "loa: ics: give one of --event, --tasks, "
		    "--all\n");
		return EXIT_USAGE;
	}
	if (method != NULL && strcmp(method, "REQUEST") != 0 &&
	    strcmp(method, "CANCEL") != 0 && strcmp(method, "PUBLISH") != 0) {
		fprintf(stderr, "loa: ics: unknown method \"%s\"; expected "
		    "REQUEST, CANCEL or PUBLISH\n", method);
		return EXIT_USAGE;
	}
	if (method != NULL && event == NULL && strcmp(method, "PUBLISH") != 0) {
		fprintf(stderr, "loa: ics: --tasks and --all are published "
		    "(PUBLISH); %s needs --event\n", method);
		return EXIT_USAGE;
	}
	if (nowarg != NULL && arg_time("--now", nowarg,
	    tz_get("Asia/Ho_Chi_Minh"), &now) == -1)
		return EXIT_USAGE;
	/* Warnings belong to `check`; here only errors are shown. */
	devnull = fopen("/dev/null", "w");
	d.out = devnull;
	if (world_load(&w, cfg, now, &d) == -1) {
		d.out = NULL;
		fclose(devnull);
		/* Load again, loudly, to show what is wrong. */
		world_free(&w);
		memset(&d, 0, sizeof(d));
		world_load(&w, cfg, now, &d);
		fprintf(stderr, "%s: %d error%s\n", cfg, d.errors,
		    d.errors == 1 ? "" : "s");
		world_free(&w);
		return EXIT_INVALID;
	}
	fclose(devnull);
	if (nowarg != NULL && w.svc->tz != tz_get("Asia/Ho_Chi_Minh"))
		arg_time("--now", nowarg, w.svc->tz, &now);
	/* SEQUENCE is what the outbox has announced; 0 before any send. */
	if (access(w.svc->store, F_OK) == 0) {
		char	 err[512];

		if ((facts.arg = outbox_open(w.svc->store, err,
		    sizeof(err))) == NULL) {
			log_warnx("%s", err);
			world_free(&w);
			return EXIT_RUNTIME;
		}
		fp = &facts;
	}
	if (event != NULL) {
		size_t		 p, e;
		struct event	*ev = NULL;
		struct plan	*pl = NULL;

		for (p = 0; p < w.nplans && ev == NULL; p++)
			for (e = 0; e < w.plans[p]->nevents; e++)
				if (strcmp(w.plans[p]->events[e].id, event) ==
				    0) {
					pl = w.plans[p];
					ev = &pl->events[e];
					break;
				}
		if (ev == NULL) {
			fprintf(stderr, "loa: ics: no event \"%s\" in %s\n",
			    event, cfg);
			world_free(&w);
			return EXIT_INVALID;
		}
		/* A cancelled event is announced as cancelled. */
		if (method == NULL && ev->status == EV_CANCELLED)
			method = "CANCEL";
		seq = fp != NULL ? fact_seq(fp->arg, pl, ev) : 0;
		if (method == NULL || strcmp(method, "REQUEST") == 0)
			out = ical_request(pl, ev, seq, now);
		else if (strcmp(method, "CANCEL") == 0)
			/* The cancellation sent, or the next one. */
			out = ical_cancel(pl, ev, ev->status == EV_CANCELLED &&
			    seq > 0 ? seq : seq + 1, now, NULL);
		else {
			struct plan	 one = *pl;

			/* The feed of a plan that holds this event alone. */
			one.events = ev;
			one.nevents = 1;
			one.ntasks = 0;
			{
				struct plan	*pp = &one;

				out = ical_feed(&pp, 1, 0, fp, now);
			}
		}
	} else
		out = ical_feed(w.plans, w.nplans, tasks, fp, now);
	fputs(out, stdout);
	free(out);
	if (fp != NULL)
		outbox_close(fp->arg);
	world_free(&w);
	if (fflush(stdout) != 0) {
		log_warn("writing the output");
		return EXIT_RUNTIME;
	}
	return 0;
}

static const char run_usage[] =
"usage: loa [-c FILE] run [--once] [--now T] [--dry-run]\n"
"\n"
"Reconcile the plans with the outbox and send every job when it is due,\n"
"until SIGTERM or SIGINT; SIGHUP reloads the config (a config that fails\n"
"`check` is refused and the running one stays). --once sends what is due\n"
"and exits; --now pretends the clock reads T; --dry-run prints what is\n"
"due and changes nothing.\n";

static const char simulate_usage[] =
"usage: loa [-c FILE] simulate [--from T] [--to T] [--out DIR]\n"
"\n"
"Play the whole timeline on a virtual clock into file gateways under DIR\n"
"(default var/simulate, emptied first), never a real gateway, printing\n"
"each send, then a summary.\n";

static const char outbox_usage[] =
"usage: loa [-c FILE] outbox [--state S] [--json] [--store DB]\n"
"\n"
"List the jobs in the outbox in time order, with their state, attempts,\n"
"sending time and last error. --json prints SPEC §10's objects with\n"
"attempts, sent_at and last_error added. --store reads another outbox\n"
"than the config's loa.store, such as a simulation's\n"
"(var/simulate/loa.db).\n";

/* Load the config quietly (warnings are for `check`); on errors, load it
 * again loudly and return -1. */
static int
load_quiet(struct world *w, const char *cfg, int64_t now)
{
	struct diag	 d = { 0 };
	FILE		*devnull = fopen("/dev/null", "w");

	d.out = devnull;
	if (world_load(w, cfg, now, &d) == 0) {
		if (devnull != NULL)
			fclose(devnull);
		return 0;
	}
	if (devnull != NULL)
		fclose(devnull);
	world_free(w);
	memset(&d, 0, sizeof(d));
	world_load(w, cfg, now, &d);
	fprintf(stderr, "%s: %d error%s; nothing is sent from a config that "
	    "does not validate\n", cfg, d.errors, d.errors == 1 ? "" : "s");
	world_free(w);
	return -1;
}

static const char *
opt_arg(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int
cmd_run(const char *cfg, int argc, char **argv)
{
	struct world		*w = xcalloc(1, sizeof(*w));
	struct engine		*e;
	struct engine_opts	 o = { 0 };
	const char		*nowarg = NULL;
	int64_t			 now = (int64_t)time(NULL), offset = 0;
	int			 once = 0, dry = 0, i, rc;
	char			 err[512];

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(run_usage, stdout);
			free(w);
			return 0;
		} else if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry = 1;
		else if (strcmp(argv[i], "--now") == 0 &&
		    (nowarg = opt_arg(argc, argv, &i)) != NULL)
			;
		else {
			fprintf(stderr, "loa: run: unknown or incomplete "
			    "option \"%s\"\n%s", argv[i], run_usage);
			free(w);
			return EXIT_USAGE;
		}
	}
	if (nowarg != NULL && arg_time("--now", nowarg,
	    tz_get("Asia/Ho_Chi_Minh"), &now) == -1) {
		free(w);
		return EXIT_USAGE;
	}
	offset = now - (int64_t)time(NULL);
	if (load_quiet(w, cfg, now) == -1) {
		free(w);
		return EXIT_INVALID;
	}
	o.config = cfg;
	o.dry_run = dry;
	o.trace = log_verbose() > 0 || once || dry ? stdout : NULL;
	if ((e = engine_new(w, w->svc->store, &o, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	if (dry)
		rc = engine_dry_run(e, now, stdout) == -1 ? EXIT_RUNTIME : 0;
	else
		rc = engine_run(e, once, offset);
	engine_free(e);
	return rc;
}

static void
simulate_summary(struct engine *e, const char *out)
{
	const struct engine_stats	*st = engine_stats(e);
	struct ob_job			*v;
	size_t				 n, i;
	int				 k, c, states[JS__N] = { 0 };

	printf("\nsent:\n");
	for (k = 0; k < JK__N; k++)
		for (c = 0; c < CH__N; c++)
			if (st->sent[k][c] > 0)
				printf("  %-16s %-9s %d\n", job_kind_names[k],
				    channel_names[c], st->sent[k][c]);
	if (outbox_list(engine_outbox(e), JS__N, &v, &n) == 0) {
		for (i = 0; i < n; i++) {
			states[v[i].state]++;
			ob_job_clear(&v[i]);
		}
		free(v);
		printf("jobs: %zu; sent %d, held %d, expired %d, skipped %d, "
		    "cancelled %d, dead %d, still pending %d\n", n,
		    states[JS_SENT], states[JS_HELD], states[JS_EXPIRED],
		    states[JS_SKIPPED], states[JS_CANCELLED], states[JS_DEAD],
		    states[JS_PENDING] + states[JS_FAILED]);
	}
	printf("files: %s/outbox/mail/*.eml, %s/outbox/sms.jsonl, "
	    "%s/broadcast/*.json; outbox %s/loa.db\n", out, out, out, out);
}

static int
cmd_simulate(const char *cfg, int argc, char **argv)
{
	struct world		*w = xcalloc(1, sizeof(*w));
	struct engine		*e;
	struct engine_opts	 o = { 0 };
	struct reconcile_stats	 rs;
	const char		*fromarg = NULL, *toarg = NULL;
	const char		*out = "var/simulate";
	int64_t			 from = TIMEX_NONE, to = TIMEX_NONE, now;
	const struct tz		*z = tz_get("Asia/Ho_Chi_Minh");
	char			 err[512], *store;
	int			 i, rc = 0;
	size_t			 k;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(simulate_usage, stdout);
			free(w);
			return 0;
		} else if (strcmp(argv[i], "--from") == 0 &&
		    (fromarg = opt_arg(argc, argv, &i)) != NULL)
			;
		else if (strcmp(argv[i], "--to") == 0 &&
		    (toarg = opt_arg(argc, argv, &i)) != NULL)
			;
		else if (strcmp(argv[i], "--out") == 0 &&
		    (out = opt_arg(argc, argv, &i)) != NULL)
			;
		else {
			fprintf(stderr, "loa: simulate: unknown or incomplete "
			    "option \"%s\"\n%s", argv[i], simulate_usage);
			free(w);
			return EXIT_USAGE;
		}
	}
	if ((fromarg && arg_time("--from", fromarg, z, &from) == -1) ||
	    (toarg && arg_time("--to", toarg, z, &to) == -1)) {
		free(w);
		return EXIT_USAGE;
	}
	if (from != TIMEX_NONE && to != TIMEX_NONE && to < from) {
		log_warnx("--to %s is before --from %s", toarg, fromarg);
		free(w);
		return EXIT_USAGE;
	}
	now = from != TIMEX_NONE ? from : (int64_t)time(NULL);
	if (load_quiet(w, cfg, now) == -1) {
		free(w);
		return EXIT_INVALID;
	}
	/* The virtual clock starts at the first job unless told. */
	if (from == TIMEX_NONE) {
		from = INT64_MAX;
		for (k = 0; k < w->jobs.n; k++)
			if (w->jobs.v[k].due < from)
				from = w->jobs.v[k].due;
		if (from == INT64_MAX)
			from = now;
	}
	/*
	 * A fresh outbox every time: a simulation never resumes. Only a
	 * folder a simulation made (it holds the marker) is emptied: --out
	 * pointed at the live store's folder must not wipe its outbox.
	 */
	store = xasprintf("%s/loa.db", out);
	{
		char		*mark = xasprintf("%s/.loa-simulate", out);
		struct stat	 st;
		int		 ours = stat(mark, &st) == 0;

		if (!ours && (stat(store, &st) == 0 || dir_has(out,
		    "outbox") || dir_has(out, "broadcast"))) {
			log_warnx("simulate: %s holds an outbox or gateway "
			    "files simulate did not make; give --out a new "
			    "or empty folder", out);
			free(mark);
			free(store);
			world_free(w);
			free(w);
			return EXIT_USAGE;
		}
		mkdirs(out);
		if (!ours) {
			FILE	*f = fopen(mark, "w");

			if (f != NULL) {
				fputs("loa simulate output: emptied by the "
				    "next simulate\n", f);
				fclose(f);
			}
		}
		free(mark);
	}
	for (i = 0; i < 3; i++) {
		char	*f = xasprintf("%s%s", store, i == 0 ? "" : i == 1 ?
			    "-wal" : "-shm");

		unlink(f);
		free(f);
	}
	{
		char	*cmd = xasprintf("%s/outbox", out), *cmd2 =
			    xasprintf("%s/broadcast", out);

		/* Old files of an earlier run would read as sends. */
		remove_tree(cmd);
		remove_tree(cmd2);
		free(cmd);
		free(cmd2);
	}
	o.config = cfg;
	o.files = out;
	o.trace = stdout;
	e = engine_new(w, store, &o, err, sizeof(err));
	free(store);
	if (e == NULL) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	if (engine_reconcile(e, from, &rs) == -1) {
		engine_free(e);
		return EXIT_RUNTIME;
	}
	printf("simulating from %s: %d jobs\n", fromarg ? fromarg :
	    "the first job", rs.added);
	now = from;
	for (;;) {
		int64_t	 next = engine_next(e);

		if (next == TIMEX_NONE || (to != TIMEX_NONE && next >= to))
			break;
		if (next > now)
			now = next;
		if (engine_step(e, now) == -1) {
			rc = EXIT_RUNTIME;
			break;
		}
	}
	simulate_summary(e, out);
	engine_free(e);
	return rc;
}

static int
cmd_outbox(const char *cfg, int argc, char **argv)
{
	struct world	 w;
	struct outbox	*ob;
	struct ob_job	*v;
	const char	*state = NULL, *store = NULL;
	size_t		 n, i;
	int		 json = 0, k;
	char		 err[512];
	struct stat	 st;

	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--help") == 0) {
			fputs(outbox_usage, stdout);
			return 0;
		} else if (strcmp(argv[k], "--json") == 0)
			json = 1;
		else if (strcmp(argv[k], "--state") == 0 &&
		    (state = opt_arg(argc, argv, &k)) != NULL)
			;
		else if (strcmp(argv[k], "--store") == 0 &&
		    (store = opt_arg(argc, argv, &k)) != NULL)
			;
		else {
			fprintf(stderr, "loa: outbox: unknown or incomplete "
			    "option \"%s\"\n%s", argv[k], outbox_usage);
			return EXIT_USAGE;
		}
	}
	if (state != NULL) {
		for (k = 0; k < JS__N && strcmp(job_state_names[k], state);
		    k++)
			;
		if (k == JS__N) {
			fprintf(stderr, "loa: outbox: unknown state \"%s\"\n",
			    state);
			return EXIT_USAGE;
		}
	}
	if (load_quiet(&w, cfg, (int64_t)time(NULL)) == -1)
		return EXIT_INVALID;
	if (store == NULL)
		store = w.svc->store;
	if (stat(store, &st) == -1) {
		/* Nothing has run yet: say so, and make no empty outbox. */
		log_warnx("outbox: no outbox at %s yet (loa run has not run "
		    "there); nothing to list", store);
		if (json)
			puts("[]");
		world_free(&w);
		return 0;
	}
	if ((ob = outbox_open(store, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	if (outbox_list(ob, state ? (enum job_state)k : JS__N, &v, &n) == -1) {
		log_warnx("%s", outbox_error(ob));
		outbox_close(ob);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	if (json)
		fputs("[", stdout);
	for (i = 0; i < n; i++) {
		struct plan	*p = world_plan(&w, v[i].plan);
		const struct tz	*z = p ? p->tz : w.svc->tz;
		char		 due[40], sent[40] = "";

		tz_rfc3339(z, v[i].due, due, sizeof(due));
		if (v[i].sent_at != TIMEX_NONE)
			tz_rfc3339(z, v[i].sent_at, sent, sizeof(sent));
		if (json) {
			json_t	*o = json_object();
			char	*s;

			json_object_set_new(o, "id", json_string(v[i].id));
			json_object_set_new(o, "plan", json_string(v[i].plan));
			json_object_set_new(o, "kind", json_string(job_kind_names[v[i].kind]));
			json_object_set_new(o, "object",
			    json_string(v[i].object));
			json_object_set_new(o, "recipient", v[i].recipient ?
			    json_string(v[i].recipient) : json_null());
			json_object_set_new(o, "channel",
			    json_string(channel_names[v[i].channel]));
			json_object_set_new(o, "address", v[i].address ?
			    json_string(v[i].address) : json_null());
			json_object_set_new(o, "due", json_string(due));
			json_object_set_new(o, "state", json_string(job_state_names[v[i].state]));
			json_object_set_new(o, "reason", v[i].reason ?
			    json_string(v[i].reason) : json_null());
			if (v[i].channel == CH_SMS)
				json_object_set_new(o, "sms_parts",
				    json_integer(v[i].sms_parts));
			json_object_set_new(o, "attempts",
			    json_integer(v[i].attempts));
			json_object_set_new(o, "sent_at", *sent ?
			    json_string(sent) : json_null());
			json_object_set_new(o, "last_error", v[i].last_error ?
			    json_string(v[i].last_error) : json_null());
			s = json_dumps(o, JSON_PRESERVE_ORDER);
			printf("%s\n%s", i ? "," : "", s);
			free(s);
			json_decref(o);
		} else {
			due[16] = '\0';
			due[10] = ' ';
			printf("%s  %-10s %-14s %-16s %-14s %-6s %-30s %d%s%s\n",
			    due, job_state_names[v[i].state],
			    job_kind_names[v[i].kind], v[i].object,
			    v[i].recipient ? v[i].recipient : "-",
			    channel_names[v[i].channel], v[i].address ? v[i].address : "-",
			    v[i].attempts, v[i].reason ? "  " : "",
			    v[i].reason ? v[i].reason : (v[i].last_error ?
			    v[i].last_error : ""));
		}
		ob_job_clear(&v[i]);
	}
	if (json)
		fputs(n ? "\n]\n" : "]\n", stdout);
	free(v);
	outbox_close(ob);
	world_free(&w);
	return 0;
}

static int
cmd_task(const char *cfg, int argc, char **argv)
{
	struct world	 w;
	struct outbox	*ob;
	const char	*arg, *colon;
	struct plan	*found = NULL;
	size_t		 i, k;
	int		 cancelled = 0, matches = 0;
	char		 err[512], *plan_id = NULL, *task_id;

	if (argc != 2 || strcmp(argv[0], "done") != 0) {
		fprintf(stderr, "usage: loa [-c FILE] task done [PLAN:]ID\n");
		return argc == 1 && strcmp(argv[0], "--help") == 0 ? 0 :
		    EXIT_USAGE;
	}
	arg = argv[1];
	/* Plan ids hold '/' but never ':'; task ids hold neither. */
	if ((colon = strrchr(arg, ':')) != NULL) {
		plan_id = xstrndup(arg, (size_t)(colon - arg));
		task_id = xstrdup(colon + 1);
	} else
		task_id = xstrdup(arg);
	if (load_quiet(&w, cfg, (int64_t)time(NULL)) == -1) {
		free(plan_id);
		free(task_id);
		return EXIT_INVALID;
	}
	for (i = 0; i < w.nplans; i++) {
		if (plan_id != NULL && strcmp(w.plans[i]->id, plan_id) != 0)
			continue;
		for (k = 0; k < w.plans[i]->ntasks; k++)
			if (strcmp(w.plans[i]->tasks[k].id, task_id) == 0) {
				found = w.plans[i];
				matches++;
			}
	}
	if (matches != 1) {
		fprintf(stderr, "loa: task done: %s task \"%s\" in %s%s\n",
		    matches == 0 ? "no" : "more than one", arg, cfg,
		    matches == 0 ? "" : "; name it as PLAN:ID");
		free(plan_id);
		free(task_id);
		world_free(&w);
		return EXIT_INVALID;
	}
	if ((ob = outbox_open(w.svc->store, err, sizeof(err))) == NULL ||
	    outbox_begin(ob) == -1 || outbox_task_done(ob, found->id, task_id,
	    (int64_t)time(NULL), &cancelled) == -1 || outbox_commit(ob) == -1) {
		log_warnx("%s", ob ? outbox_error(ob) : err);
		outbox_close(ob);
		free(plan_id);
		free(task_id);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	printf("%s %s: done; %d reminder%s cancelled\n", found->id, task_id,
	    cancelled, cancelled == 1 ? "" : "s");
	outbox_close(ob);
	free(plan_id);
	free(task_id);
	world_free(&w);
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*cfg = getenv("LOA_CONFIG");
	int		 i = 1, verbose = 0, rc;

	if (cfg == NULL || *cfg == '\0')
		cfg = "conf/loa.cfg";
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cfg = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("loa %s\n", LOA_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			fprintf(stderr, "loa: unknown option \"%s\"\n%s",
			    argv[i], usage_text);
			return EXIT_USAGE;
		}
	}
	log_init(verbose);
	if (i == argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "check") == 0)
		rc = cmd_check_timeline(cfg, argc - i - 1, argv + i + 1, 0);
	else if (strcmp(argv[i], "timeline") == 0)
		rc = cmd_check_timeline(cfg, argc - i - 1, argv + i + 1, 1);
	else if (strcmp(argv[i], "ics") == 0)
		rc = cmd_ics(cfg, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "run") == 0)
		rc = cmd_run(cfg, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "simulate") == 0)
		rc = cmd_simulate(cfg, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "outbox") == 0)
		rc = cmd_outbox(cfg, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "task") == 0)
		rc = cmd_task(cfg, argc - i - 1, argv + i + 1);
	else {
		fprintf(stderr, "loa: unknown command \"%s\"\n%s", argv[i],
		    usage_text);
		rc = EXIT_USAGE;
	}
	tz_cleanup();
	return rc;
}
