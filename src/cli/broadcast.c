/*
 * broadcast.c: `loa broadcast add|list|rundown|aired|cancel`, the
 * loudspeaker's queue (conf/REFERENCE.md §7 and §8): a thin face on
 * deliver/bqueue.h, which holds the rules. A command that changes the queue
 * tells the service holding the store (SIGHUP) to plan again at once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "view/out.h"
#include "deliver/bqueue.h"
#include "util/log.h"
#include "util/text.h"
#include "util/mem.h"

static const char broadcast_usage[] =
    "usage: loa [-c FILE] broadcast add --title T --text X\n"
    "           [--priority normal|high|emergency] [--air T] [--expires T]\n"
    "       loa [-c FILE] broadcast list [--json]\n"
    "       loa [-c FILE] broadcast rundown --date YYYY-MM-DD [--json]\n"
    "       loa [-c FILE] broadcast aired ID [--at T]\n"
    "       loa [-c FILE] broadcast cancel [PLAN:]ID\n"
    "\n"
    "The loudspeaker's queue. add: an ad-hoc item (its id is printed),\n"
    "airing from --air (default now; an emergency is handed at once, in no\n"
    "slot). list: every item, of the plans and ad-hoc, with its airings.\n"
    "rundown: the running order of a day, slot by slot, its emergencies,\n"
    "and what did not fit and why. aired: record an airing aired (by its\n"
    "id, or by its item's when that has one airing handed and not aired).\n"
    "cancel: an item's airings not yet handed are cancelled for good.\n"
    "--now T pretends the clock reads T. A running `loa run` on the store\n"
    "plans again at once after add, aired and cancel.\n";

static int usage(const char *fmt, ...) LOA_PRINTF(1, 2);

static int
usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "loa: broadcast: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", broadcast_usage);
	return EXIT_USAGE;
}

/* The same bytes as the HTTP API serves (out_json_text). */
static int
json_out(json_t *v)
{
	char *s = out_json_text(v);

	fputs(s, stdout);
	free(s);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : EXIT_RUNTIME;
}

/* Local "HH:MM:SS" (or the date too when long) of t in z. */
static void
clock_of(const struct tz *z, int64_t t, int with_date, char *out, size_t len)
{
	char s[40];

	tz_rfc3339(z, t, s, sizeof(s));
	s[19] = '\0';
	snprintf(out, len, "%s", with_date ? s : s + 11);
	if (with_date && strlen(out) > 10)
		out[10] = ' ';
}

static void
entry_print(const struct tz *z, const struct bq_entry *e, int with_date)
{
	char	    at[40], *own[3] = { NULL, NULL, NULL };
	const char *title, *why, *item;

	clock_of(z, e->planned, with_date, at, sizeof(at));
	title = text_safe(e->title ? e->title : "(gone from its plan)",
	    &own[0]);
	item = text_safe(e->item, &own[1]);
	why = e->why ? e->why : e->reason;
	why = why ? text_safe(why, &own[2]) : NULL;
	printf("  %s  %4ds  %-9s %-9s%s %s  %s:%s  %s%s%s\n", at, e->duration,
	    priority_names[e->priority], e->state, e->on_air ? " on-air" : "",
	    e->job, e->plan, item, title, why ? "  — " : "", why ? why : "");
	free(own[0]);
	free(own[1]);
	free(own[2]);
}

struct ctx {
	const char	*cfg;
	struct world	 w;
	int		 loaded;
	struct outbox	*ob;
	struct bq_state	 st;
	int64_t		 now;
	const struct tz *z;
};

static void
ctx_free(struct ctx *c)
{
	bq_state_free(&c->st);
	outbox_close(c->ob);
	if (c->loaded)
		world_free(&c->w);
}

/*
 * Load the config and the queue. write: open (making) the outbox; else
 * only one that is there. An exit code, or 0.
 */
static int
ctx_open(struct ctx *c, int write)
{
	struct stat sb;
	char	    err[512];

	if (load_quiet(&c->w, c->cfg, c->now, LOAD_NOTE_SEND) == -1)
		return EXIT_INVALID;
	c->loaded = 1;
	if (!write && stat(c->w.svc->store, &sb) == -1 && errno == ENOENT)
		c->ob = NULL; /* nothing has run: the plans alone */
	else if ((c->ob = outbox_open(c->w.svc->store, err, sizeof(err))) ==
	    NULL) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	if (bqueue_apply(c->ob, &c->w, c->now, &c->st, err, sizeof(err)) ==
	    -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* Tell a running service; what was committed stays either way. */
static void
notify(struct ctx *c)
{
	char err[512];
	long pid;

	if (bqueue_notify(c->w.svc->store, &pid, err, sizeof(err)) == -1)
		log_warnx("%s; the service plans it at its next reload", err);
	else if (pid > 0)
		log_info("told the service (pid %ld) to plan again", pid);
}

static int
bq_fail(int rc, const char *what, const char *err)
{
	if (rc == BQ_INVALID || rc == BQ_NOTFOUND) {
		fprintf(stderr, "loa: broadcast %s: %s\n", what, err);
		return EXIT_INVALID;
	}
	log_warnx("broadcast %s: %s", what, err);
	return EXIT_RUNTIME;
}

/* Say on stderr where the new item id lands (the queue read again). */
static void
where(struct ctx *c, const char *id)
{
	char   err[512], t[40];
	size_t i;

	bq_state_free(&c->st);
	if (bqueue_apply(c->ob, &c->w, c->now, &c->st, err, sizeof(err)) == -1)
		return;
	for (i = 0; i < c->w.jobs.n; i++) {
		const struct job *j = &c->w.jobs.v[i];

		if (j->kind != JK_BROADCAST || j->channel != CH_BROADCAST ||
		    strcmp(j->plan->id, ADHOC_PLAN) != 0 ||
		    strcmp(j->object, id) != 0)
			continue;
		tz_rfc3339(c->w.svc->tz, j->due, t, sizeof(t));
		if (j->state == JS_SKIPPED)
			log_warnx("%s: not placed: %s", id, j->reason);
		else if (j->slot == NULL)
			log_warnx("%s: %s, handed at %s, in no slot", id,
			    priority_names[j->priority], t);
		else
			log_warnx("%s: planned at %s in %s (%d s)", id, t,
			    j->slot, j->duration);
	}
}

static int
do_add(struct ctx *c, int argc, char **argv)
{
	struct bq_new in = { NULL, NULL, NULL, TIMEX_NONE, TIMEX_NONE };
	const char   *air = NULL, *exp = NULL;
	char	      err[512], *id;
	int	      i, rc;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--title") == 0 && i + 1 < argc)
			in.title = argv[++i];
		else if (strcmp(a, "--text") == 0 && i + 1 < argc)
			in.text = argv[++i];
		else if (strcmp(a, "--priority") == 0 && i + 1 < argc)
			in.priority = argv[++i];
		else if (strcmp(a, "--air") == 0 && i + 1 < argc)
			air = argv[++i];
		else if (strcmp(a, "--expires") == 0 && i + 1 < argc)
			exp = argv[++i];
		else
			return usage("add: unknown or incomplete option \"%s\"",
			    a);
	}
	if (in.title == NULL || in.text == NULL)
		return usage("add: %s", "--title and --text are needed");
	if ((air != NULL && arg_time("--air", air, c->z, &in.air) == -1) ||
	    (exp != NULL &&
		arg_time("--expires", exp, c->z, &in.expires) == -1))
		return EXIT_USAGE;
	if ((rc = ctx_open(c, 1)) != 0)
		return rc;
	if ((rc = bqueue_add(c->ob, c->w.svc, &in, c->now, &id, err,
		 sizeof(err))) != 0)
		return bq_fail(rc, "add", err);
	printf("%s\n", id);
	where(c, id);
	free(id);
	notify(c);
	return 0;
}

static int
do_cancel(struct ctx *c, int argc, char **argv)
{
	const char *plan;
	char	    err[512];
	int	    rc, n;

	if (argc != 1 || argv[0][0] == '-')
		return usage("cancel: %s", "expected one [PLAN:]ID");
	if ((rc = ctx_open(c, 1)) != 0)
		return rc;
	if ((rc = bqueue_cancel(c->ob, &c->w, argv[0], c->now, &plan, &n, err,
		 sizeof(err))) != 0)
		return bq_fail(rc, "cancel", err);
	printf("%s: cancelled; %d airing%s cancelled\n", argv[0], n,
	    n == 1 ? "" : "s");
	notify(c);
	return 0;
}

static int
do_aired(struct ctx *c, int argc, char **argv)
{
	const char *ref = NULL, *atarg = NULL;
	int64_t	    at;
	char	    err[512], job[17], t[40];
	int	    i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--at") == 0 && i + 1 < argc)
			atarg = argv[++i];
		else if (argv[i][0] != '-' && ref == NULL)
			ref = argv[i];
		else
			return usage("aired: unknown or extra argument \"%s\"",
			    argv[i]);
	}
	if (ref == NULL)
		return usage("aired: %s", "expected an airing's or item's id");
	at = c->now;
	if (atarg != NULL && arg_time("--at", atarg, c->z, &at) == -1)
		return EXIT_USAGE;
	if ((rc = ctx_open(c, 1)) != 0)
		return rc;
	if ((rc = bqueue_aired(c->ob, &c->w, &c->st, ref, at, c->now, job, err,
		 sizeof(err))) != 0)
		return bq_fail(rc, "aired", err);
	tz_rfc3339(c->w.svc->tz, at, t, sizeof(t));
	printf("%s: aired at %s\n", job, t);
	notify(c);
	return 0;
}

static int
do_list(struct ctx *c, int json)
{
	struct bq_item *v;
	size_t		n, i, k;
	json_t	       *arr = json ? json_array() : NULL;
	int		rc;

	if ((rc = ctx_open(c, 0)) != 0) {
		json_decref(arr);
		return rc;
	}
	bqueue_list(&c->w, &c->st, c->now, &v, &n);
	for (i = 0; i < n; i++) {
		const struct bq_item *it = &v[i];

		if (arr != NULL)
			json_array_append_new(arr,
			    out_bq_item(c->w.svc->tz, it));
		else {
			char	   *own[2] = { NULL, NULL };
			const char *t = text_safe(it->b->title, &own[0]);

			printf("%s:%s  %s  %s%s\n", it->plan->id,
			    text_safe(it->b->id, &own[1]),
			    priority_names[it->b->priority], t,
			    it->b->cancelled ? "  (cancelled)" : "");
			for (k = 0; k < it->n; k++)
				entry_print(c->w.svc->tz, &it->v[k], 1);
			free(own[0]);
			free(own[1]);
		}
	}
	bq_items_free(v, n);
	return arr != NULL ? json_out(arr) : ferror(stdout) ? EXIT_RUNTIME : 0;
}

static int
do_rundown(struct ctx *c, int argc, char **argv)
{
	struct bq_rundown r;
	const char	 *date = NULL;
	int64_t		  t;
	size_t		  i, k;
	int		  json = 0, rc, y, m, d;
	char		  day[16], a[40], b[40];

	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--date") == 0 && i + 1 < (size_t)argc)
			date = argv[++i];
		else
			return usage("rundown: unknown or incomplete option "
				     "\"%s\"",
			    argv[i]);
	}
	if (date == NULL)
		return usage("rundown: %s", "--date YYYY-MM-DD is needed");
	if (strlen(date) != 10 || arg_time("--date", date, c->z, &t) == -1)
		return usage("rundown: --date \"%s\": expected YYYY-MM-DD",
		    date);
	if ((rc = ctx_open(c, 0)) != 0)
		return rc;
	bqueue_rundown(&c->w, &c->st,
	    civil_day_of(tz_to_local(c->w.svc->tz, t)), c->now, &r);
	civil_from_days(r.day, &y, &m, &d);
	snprintf(day, sizeof(day), "%04d-%02d-%02d", y, m, d);
	if (json) {
		json_t *o = out_bq_rundown(c->w.svc->tz, &r);

		bq_rundown_free(&r);
		return json_out(o);
	}
	printf("Rundown %s\n", day);
	for (i = 0; i < r.nslots; i++) {
		clock_of(c->w.svc->tz, r.slots[i].start, 0, a, sizeof(a));
		clock_of(c->w.svc->tz, r.slots[i].end, 0, b, sizeof(b));
		printf("\n%s  %s-%s  (%zu item%s)\n", r.slots[i].name, a, b,
		    r.slots[i].n, r.slots[i].n == 1 ? "" : "s");
		for (k = 0; k < r.slots[i].n; k++)
			entry_print(c->w.svc->tz, &r.slots[i].v[k], 0);
	}
	printf("\nEmergencies (%zu)\n", r.nemergencies);
	for (k = 0; k < r.nemergencies; k++)
		entry_print(c->w.svc->tz, &r.emergencies[k], 0);
	printf("\nNot fitted (%zu)\n", r.nunplaced);
	for (k = 0; k < r.nunplaced; k++)
		entry_print(c->w.svc->tz, &r.unplaced[k], 1);
	bq_rundown_free(&r);
	return ferror(stdout) ? EXIT_RUNTIME : 0;
}

int
cmd_broadcast(const char *cfg, int argc, char **argv)
{
	struct ctx  c;
	const char *sub, *nowarg = NULL;
	char	  **rest;
	int	    i, n = 0, rc, json = 0;

	umask(077); /* it may make the outbox */
	memset(&c, 0, sizeof(c));
	c.cfg = cfg;
	if (argc == 0)
		return usage("%s",
		    "expected add, list, rundown, aired or cancel");
	sub = argv[0];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(broadcast_usage, stdout);
		return 0;
	}
	/* --now and --help anywhere; the rest is the subcommand's. */
	rest = xcalloc((size_t)argc, sizeof(*rest));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(broadcast_usage, stdout);
			free(rest);
			return 0;
		}
		if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			nowarg = argv[++i];
		else
			rest[n++] = argv[i];
	}
	c.z = cli_zone(cfg);
	c.now = (int64_t)time(NULL);
	if (nowarg != NULL && arg_time("--now", nowarg, c.z, &c.now) == -1) {
		free(rest);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "add") == 0)
		rc = do_add(&c, n, rest);
	else if (strcmp(sub, "cancel") == 0)
		rc = do_cancel(&c, n, rest);
	else if (strcmp(sub, "aired") == 0)
		rc = do_aired(&c, n, rest);
	else if (strcmp(sub, "rundown") == 0)
		rc = do_rundown(&c, n, rest);
	else if (strcmp(sub, "list") == 0) {
		for (i = 0; i < n; i++)
			if (strcmp(rest[i], "--json") == 0)
				json = 1;
			else {
				rc = usage("list: unknown option \"%s\"",
				    rest[i]);
				free(rest);
				return rc;
			}
		rc = do_list(&c, json);
	} else
		rc = usage("unknown subcommand \"%s\"", sub);
	free(rest);
	ctx_free(&c);
	return rc;
}
