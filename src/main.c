/*
 * main.c: the loa command (SPEC §10): parses the command line and calls
 * the modules. Exit codes: 0 ok, 1 invalid input or config, 2 usage,
 * 3 runtime failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ical.h"
#include "log.h"
#include "plan.h"
#include "slots.h"
#include "timeline.h"
#include "xmalloc.h"

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

/* Everything loaded from one config. */
struct world {
	struct service	 *svc;
	struct plan	**plans;
	size_t		  nplans;
	struct jobs	  jobs;
};

static void
world_free(struct world *w)
{
	size_t	 i;

	for (i = 0; i < w->nplans; i++)
		plan_free(w->plans[i]);
	free(w->plans);
	jobs_free(&w->jobs);
	service_free(w->svc);
	memset(w, 0, sizeof(*w));
}

/*
 * Load the service config, its plans, resolve and expand them. Returns 0,
 * or -1 when anything failed to validate (reported to d).
 */
static int
world_load(struct world *w, const char *path, int64_t now, struct diag *d)
{
	size_t	 i, k;

	memset(w, 0, sizeof(*w));
	if ((w->svc = service_load(path, d)) == NULL)
		return -1;
	w->plans = xcalloc(w->svc->nplans ? w->svc->nplans : 1,
	    sizeof(*w->plans));
	for (i = 0; i < w->svc->nplans; i++) {
		struct plan	*p;

		p = plan_load(w->svc, w->svc->plans[i], &w->svc->plan_locs[i],
		    d);
		if (p == NULL)
			continue;
		for (k = 0; k < w->nplans; k++)
			if (strcmp(w->plans[k]->id, p->id) == 0) {
				struct loc	 l = { p->file, 0 };

				diag_error(d, &l, "plan.id", "duplicate plan id "
				    "\"%s\" (also in %s)", p->id,
				    w->plans[k]->file);
			}
		w->plans[w->nplans++] = p;
		plan_resolve(p, w->svc, now, d);
	}
	if (d->errors > 0)
		return -1;
	for (i = 0; i < w->nplans; i++)
		plan_expand(w->plans[i], w->svc, &w->jobs, d);
	slots_place(w->svc, &w->jobs, d);
	timeline_sort(&w->jobs);
	return 0;
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

static int
cmd_ics(const char *cfg, int argc, char **argv)
{
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
		if (method == NULL || strcmp(method, "REQUEST") == 0)
			out = ical_request(pl, ev, 0, now);
		else if (strcmp(method, "CANCEL") == 0)
			out = ical_cancel(pl, ev, 1, now, NULL);
		else {
			struct plan	 one = *pl;

			/* The feed of a plan that holds this event alone. */
			one.events = ev;
			one.nevents = 1;
			one.ntasks = 0;
			{
				struct plan	*pp = &one;

				out = ical_feed(&pp, 1, 0, now);
			}
		}
	} else
		out = ical_feed(w.plans, w.nplans, tasks, now);
	fputs(out, stdout);
	free(out);
	world_free(&w);
	if (fflush(stdout) != 0) {
		log_warn("writing the output");
		return EXIT_RUNTIME;
	}
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
	else {
		fprintf(stderr, "loa: unknown command \"%s\"\n%s", argv[i],
		    usage_text);
		rc = EXIT_USAGE;
	}
	tz_cleanup();
	return rc;
}
