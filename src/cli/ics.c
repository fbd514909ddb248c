/*
 * ics.c: `loa ics`, the iCalendar of one event, of the tasks or the whole
 * feed on stdout, with the SEQUENCE and tasks done the outbox knows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "render/ical.h"
#include "util/log.h"

static const char ics_usage[] =
    "usage: loa [-c FILE] ics [--event ID | --tasks | --all | --plan ID |\n"
    "       --agency ID] [--method M] [--now T]\n"
    "\n"
    "Print iCalendar (RFC 5545) on stdout: with --event, the invitation of "
    "one\n"
    "event (--method REQUEST, the default), its cancellation (CANCEL) or the\n"
    "event alone as published (PUBLISH); with --tasks, every task as a VTODO\n"
    "and a VEVENT at its due time; with --all (the default), the feed of "
    "every\n"
    "event and task; with --plan, one plan's feed; with --agency, the events\n"
    "and deadlines of one agency (as GET /calendar.ics?plan=ID and\n"
    "/calendar/AGENCY.ics serve them). --now sets DTSTAMP (default: the\n"
    "clock).\n";


/*
 * The object `loa ics --event ID` prints for event id of w: the request,
 * the cancellation, or (PUBLISH) a feed of that event alone; with no
 * method, a cancelled event is announced as cancelled. NULL (reported)
 * when no plan has that event.
 */
static char *
event_object(struct world *w, const char *cfg, const char *id,
    const char *method, const struct ical_facts *fp, int64_t now)
{
	struct event *ev = NULL;
	struct plan  *pl = NULL, one, *pp = &one;
	size_t	      p, e;
	int	      seq;

	for (p = 0; p < w->nplans && ev == NULL; p++)
		for (e = 0; e < w->plans[p]->nevents && ev == NULL; e++)
			if (strcmp(w->plans[p]->events[e].id, id) == 0) {
				pl = w->plans[p];
				ev = &pl->events[e];
			}
	if (ev == NULL) {
		fprintf(stderr, "loa: ics: no event \"%s\" in %s\n", id, cfg);
		return NULL;
	}
	if (method == NULL && ev->status == EV_CANCELLED)
		method = "CANCEL";
	seq = fp != NULL ? fp->seq(fp->arg, pl, ev) : 0;
	if (method == NULL || strcmp(method, "REQUEST") == 0)
		return ical_request(pl, ev, seq, now);
	if (strcmp(method, "CANCEL") == 0)
		/* The cancellation sent, or the next one. */
		return ical_cancel(pl, ev,
		    ev->status == EV_CANCELLED && seq > 0 ? seq : seq + 1, now,
		    NULL);
	/* The feed of a plan that holds this event alone. */
	one = *pl;
	one.events = ev;
	one.nevents = 1;
	one.ntasks = 0;
	return ical_feed(&pp, 1, 0, fp, now);
}

/* Check the combination of options; 0, or EXIT_USAGE (reported). */
static int
check_ics_opts(const char *event, const char *method, int tasks, int all)
{
	if ((event != NULL) + tasks + all > 1) {
		fprintf(stderr,
		    "loa: ics: give one of --event, --tasks, "
		    "--all, --plan, --agency\n");
		return EXIT_USAGE;
	}
	if (method != NULL && strcmp(method, "REQUEST") != 0 &&
	    strcmp(method, "CANCEL") != 0 && strcmp(method, "PUBLISH") != 0) {
		fprintf(stderr,
		    "loa: ics: unknown method \"%s\"; expected "
		    "REQUEST, CANCEL or PUBLISH\n",
		    method);
		return EXIT_USAGE;
	}
	if (method != NULL && event == NULL && strcmp(method, "PUBLISH") != 0) {
		fprintf(stderr,
		    "loa: ics: --tasks and --all are published "
		    "(PUBLISH); %s needs --event\n",
		    method);
		return EXIT_USAGE;
	}
	return 0;
}

int
cmd_ics(const char *cfg, int argc, char **argv)
{
	struct ical_facts  facts;
	struct ical_facts *fp = NULL;
	struct outbox	  *ob = NULL;
	const char	  *plan = NULL, *agency = NULL;
	struct world	   w;
	const char	  *event = NULL, *method = NULL, *nowarg = NULL;
	int64_t		   now = (int64_t)time(NULL);
	int		   tasks = 0, all = 0, i, found;
	char		  *out = NULL;

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
		else if (strcmp(argv[i], "--plan") == 0 && i + 1 < argc)
			plan = argv[++i];
		else if (strcmp(argv[i], "--agency") == 0 && i + 1 < argc)
			agency = argv[++i];
		else if (strcmp(argv[i], "--tasks") == 0)
			tasks = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else {
			fprintf(stderr,
			    "loa: unknown or incomplete option "
			    "\"%s\"\n%s",
			    argv[i], ics_usage);
			return EXIT_USAGE;
		}
	}
	if (check_ics_opts(event, method, tasks,
		all + (plan != NULL) + (agency != NULL)) != 0)
		return EXIT_USAGE;
	if (nowarg != NULL &&
	    arg_time("--now", nowarg, cli_zone(cfg), &now) == -1)
		return EXIT_USAGE;
	/* Warnings belong to `check`; here only errors are shown. */
	if (load_quiet(&w, cfg, now, "") == -1)
		return EXIT_INVALID;
	/* SEQUENCE is what the outbox has announced; 0 before any send. */
	if (access(w.svc->store, F_OK) == 0) {
		char err[512];

		if ((ob = outbox_open(w.svc->store, err, sizeof(err))) ==
		    NULL) {
			log_warnx("%s", err);
			world_free(&w);
			return EXIT_RUNTIME;
		}
		feed_facts(&facts, ob);
		fp = &facts;
	}
	if (event != NULL)
		out = event_object(&w, cfg, event, method, fp, now);
	else if (plan != NULL) {
		struct plan *p = world_plan(&w, plan);

		if (p == NULL)
			fprintf(stderr, "loa: ics: no plan \"%s\" in %s\n",
			    plan, cfg);
		else
			out = feed_ics(&p, 1, 0, ob, now);
	} else if (agency != NULL) {
		out = feed_agency(w.plans, w.nplans, agency, ob, now, &found);
		if (!found)
			fprintf(stderr, "loa: ics: no agency \"%s\" in %s\n",
			    agency, cfg);
	} else
		out = feed_ics(w.plans, w.nplans, tasks, ob, now);
	found = out != NULL;
	if (found)
		fputs(out, stdout);
	free(out);
	outbox_close(ob);
	world_free(&w);
	if (!found)
		return EXIT_INVALID;
	if (fflush(stdout) != 0) {
		log_warn("writing the output");
		return EXIT_RUNTIME;
	}
	return 0;
}
