/*
 * outbox.c: `loa outbox` (the jobs of an outbox, as a table or JSON) and
 * `loa task done` (stop a task's reminders, recorded in the outbox).
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/text.h"
#include "cli/cli.h"
#include "view/out.h"
#include "deliver/outbox.h"
#include "util/log.h"
#include "util/mem.h"

static const char outbox_usage[] =
    "usage: loa [-c FILE] outbox [--state S] [--json] [--store DB]\n"
    "\n"
    "List the jobs in the outbox in time order, with their state, attempts,\n"
    "sending time and last error. --json prints the objects of `timeline\n"
    "--json` (conf/REFERENCE.md, Outputs) with attempts, sent_at and\n"
    "last_error added. --store reads another outbox than the config's\n"
    "loa.store, such as a simulation's (var/simulate/loa.db).\n";

/* Report a failed write of stdout; the exit code of a runtime failure. */
static int
write_failed(void)
{
	log_warn("writing the output");
	return EXIT_RUNTIME;
}

/* The heading of the `loa outbox` table: print_row's columns. */
static void
print_heading(void)
{
	printf("%-16s  %-10s %-14s %-16s %-14s %-9s %-30s %-16s %8s  %s\n",
	    "DUE", "STATE", "KIND", "OBJECT", "TO", "CHANNEL", "ADDRESS",
	    "SENT", "ATTEMPTS", "ERROR");
}

/* A time of the table in zone z, to the minute ("-" for none). */
static void
table_time(const struct tz *z, int64_t t, char *s, size_t len)
{
	assert(len >= 17);
	if (t == TIMEX_NONE) {
		snprintf(s, len, "-");
		return;
	}
	tz_rfc3339(z, t, s, len);
	s[16] = '\0';
	s[10] = ' ';
}

/* One row of the `loa outbox` table; due and sent_at in zone z. */
static void
print_row(const struct ob_job *j, const struct tz *z)
{
	char	    due[40], sent[40], *own[4];
	const char *obj, *to, *addr, *why;
	int	    k;

	table_time(z, j->due, due, sizeof(due));
	table_time(z, j->sent_at, sent, sizeof(sent));
	/* What the outbox holds reaches a terminal escaped. */
	obj = text_safe(j->object, &own[0]);
	to = text_safe(j->recipient ? j->recipient : "-", &own[1]);
	addr = text_safe(j->address ? j->address : "-", &own[2]);
	why = text_safe(j->reason ? j->reason :
		j->last_error	  ? j->last_error :
				    "",
	    &own[3]);
	/* The last column (why) is apart from the attempts, always. */
	printf("%-16s  %-10s %-14s %-16s %-14s %-9s %-30s %-16s %8d%s%s\n", due,
	    job_state_names[j->state], job_kind_names[j->kind], obj, to,
	    channel_names[j->channel], addr, sent, j->attempts,
	    *why ? "  " : "", why);
	for (k = 0; k < 4; k++)
		free(own[k]);
}

int
cmd_outbox(const char *cfg, int argc, char **argv)
{
	struct world	 w;
	struct outbox	*ob;
	struct ob_job	*v;
	const char	*state = NULL, *store = NULL;
	struct out_json *jw = NULL;
	enum job_state	 only = JS__N;
	size_t		 n, i;
	int		 json = 0, k, rc;
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
			fprintf(stderr,
			    "loa: outbox: unknown or incomplete "
			    "option \"%s\"\n%s",
			    argv[k], outbox_usage);
			return EXIT_USAGE;
		}
	}
	if (state != NULL && job_state_from_name(state, &only) == -1) {
		fprintf(stderr, "loa: outbox: unknown state \"%s\"\n", state);
		return EXIT_USAGE;
	}
	if (load_quiet(&w, cfg, (int64_t)time(NULL), LOAD_NOTE_SEND) == -1)
		return EXIT_INVALID;
	if (store == NULL)
		store = w.svc->store;
	if (stat(store, &st) == -1 && errno != ENOENT) {
		/* There may be one, out of reach: never "nothing to list". */
		log_warn("outbox: %s", store);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	if (stat(store, &st) == -1) {
		/* Nothing has run yet: say so, and make no empty outbox. */
		log_warnx("outbox: no outbox at %s yet (loa run has not run "
			  "there); nothing to list",
		    store);
		rc = json ? out_json_end(out_json_begin(stdout)) : 0;
		world_free(&w);
		return rc == 0 ? 0 : write_failed();
	}
	if ((ob = outbox_open(store, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	if (outbox_list(ob, only, &v, &n) == -1) {
		log_warnx("%s", outbox_error(ob));
		outbox_close(ob);
		world_free(&w);
		return EXIT_RUNTIME;
	}
	if (json)
		jw = out_json_begin(stdout);
	else
		print_heading();
	for (i = 0; i < n; i++) {
		struct plan	*p = world_plan(&w, v[i].plan);
		const struct tz *z = p ? p->tz : w.svc->tz;

		if (jw != NULL) {
			struct out_job o;

			out_job_from_ob(&o, &v[i], z);
			out_json_job(jw, &o);
		} else
			print_row(&v[i], z);
		ob_job_clear(&v[i]);
	}
	rc = jw != NULL ? out_json_end(jw) : ferror(stdout) ? -1 : 0;
	free(v);
	outbox_close(ob);
	world_free(&w);
	return rc == 0 ? 0 : write_failed();
}

int
cmd_task(const char *cfg, int argc, char **argv)
{
	struct world   w;
	struct outbox *ob;
	const char    *arg, *colon;
	struct plan   *found = NULL;
	size_t	       i, k;
	int	       cancelled = 0, matches = 0;
	char	       err[512], *plan_id = NULL, *task_id;

	umask(077); /* it may make the outbox: names and phones */
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
	if (load_quiet(&w, cfg, (int64_t)time(NULL), LOAD_NOTE_SEND) == -1) {
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
	    outbox_begin(ob) == -1 ||
	    outbox_task_done(ob, found->id, task_id, (int64_t)time(NULL),
		&cancelled) == -1 ||
	    outbox_commit(ob) == -1) {
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
