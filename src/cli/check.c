/*
 * check.c: `loa check` (validate, print a summary) and `loa timeline`
 * (every job in time order, as a table or the JSON of conf/REFERENCE.md §7).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/text.h"
#include "util/strmap.h"
#include "cli/cli.h"
#include "deliver/policy.h"
#include "view/out.h"
#include "jobs/timeline.h"
#include "render/speech.h"
#include "util/log.h"
#include "util/mem.h"

static const char check_usage[] =
    "usage: loa [-c FILE] check [--now T]\n"
    "\n"
    "Validate the service config and every plan it names. Prints FILE:LINE:\n"
    "errors and warnings on stderr, a summary on stdout; exits 1 on errors.\n"
    "--now sets the moment that `now` in a time expression means. With\n"
    "broadcast.tts the voice and chime are checked, but nothing is\n"
    "synthesised: each item's length is the words_per_minute estimate.\n";

static const char timeline_usage[] =
    "usage: loa [-c FILE] timeline [--json] [--from T] [--to T] [--now T]\n"
    "                              [--no-speech]\n"
    "\n"
    "Print every job of every plan in time order: as a table, or with --json\n"
    "as one JSON array (conf/REFERENCE.md, Outputs). --from and --to keep\n"
    "the jobs due in [from, to). With broadcast.tts each item is placed\n"
    "with its WAV's length, synthesised into the cache when it is not\n"
    "there; --no-speech synthesises nothing and places it by the\n"
    "words_per_minute estimate.\n";

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static void
count_plan(const struct plan *p)
{
	char *id = text_escape(p->id), *file = text_escape(p->file);

	printf("plan %s (%s): %zu %s, %zu group%s, %zu agenc%s, %zu event%s, "
	       "%zu task%s, %zu broadcast%s\n",
	    id, file, p->npeople, p->npeople == 1 ? "person" : "people",
	    p->ngroups, plural(p->ngroups), p->nagencies,
	    p->nagencies == 1 ? "y" : "ies", p->nevents, plural(p->nevents),
	    p->ntasks, plural(p->ntasks), p->nbroadcasts,
	    plural(p->nbroadcasts));
	free(id);
	free(file);
}

static void
summary(const struct world *w)
{
	size_t kinds[JK__N] = { 0 }, states[JS__N] = { 0 };
	size_t chans[CH__N] = { 0 }, enc[2] = { 0 }, i;
	int    maxparts = 0, first;

	for (i = 0; i < w->nplans; i++)
		count_plan(w->plans[i]);
	for (i = 0; i < w->jobs.n; i++) {
		const struct job *j = &w->jobs.v[i];

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
		       "(max_parts %d)\n",
		    enc[0], enc[1], maxparts,
		    w->svc->channel_gw[CH_SMS] ?
			w->svc->channel_gw[CH_SMS]->max_parts :
			w->svc->max_parts);
}

/* Where the plan says when group g goes: its line, and the key into *key. */
static const struct loc *
late_loc(const struct world *w, const struct late_group *g, char *key,
    size_t keylen)
{
	static const char  *sect[] = { [N_EVENT] = "events",
		 [N_TASK] = "tasks",
		 [N_BROADCAST] = "broadcasts" };
	struct plan	   *p = world_plan(w, g->plan);
	const struct named *n;

	assert(p != NULL);
	snprintf(key, keylen, "distribution.at");
	if (g->kind == JK_DISTRIBUTION)
		return &p->distribution.loc;
	n = strmap_get(p->names, g->object);
	if (n == NULL || n->kind < N_EVENT)
		return NULL;
	snprintf(key, keylen, "%s.%s", sect[n->kind], g->object);
	return &n->loc;
}

/* Reminders of one thing to one recipient on one channel sort together. */
static int
cmp_reminded(const void *a, const void *b)
{
	const struct job *x = *(const struct job *const *)a;
	const struct job *y = *(const struct job *const *)b;
	int		  c;

	if ((c = strcmp(x->plan->id, y->plan->id)) != 0 ||
	    (c = strcmp(x->object, y->object)) != 0 ||
	    (c = strcmp(x->to->id, y->to->id)) != 0)
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->channel != y->channel)
		return x->channel < y->channel ? -1 : 1;
	return 0;
}

/*
 * The pending reminders the service would collapse (policy_collapses_into):
 * of v[0..n), one thing's to one recipient on one channel, each one a rival
 * due by when it goes (its time, or now) outranks.
 */
static void
tally_collapsed(struct late_tally *t, const struct job **v, size_t n,
    int64_t now)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		int64_t at = v[i]->due > now ? v[i]->due : now;

		for (k = 0; k < n; k++)
			if (k != i && v[k]->due <= at &&
			    policy_collapses_into(v[i]->due, v[i]->ordinal,
				v[k]->due, v[k]->ordinal))
				break;
		if (k < n)
			late_tally_add(t, v[i]->plan->id,
			    (enum job_kind)v[i]->kind, v[i]->object,
			    (enum channel)v[i]->channel, v[i]->to->id,
			    POLICY_COLLAPSED, v[i]->due, v[i]->refers);
	}
}

/* Of jobs v[0..n) (pending, not too late), the reminders that collapse. */
static void
warn_collapsed(struct late_tally *t, const struct job **v, size_t n,
    int64_t now)
{
	size_t start, i;

	qsort(v, n, sizeof(*v), cmp_reminded);
	for (start = 0, i = 1; i <= n; i++)
		if (i == n || cmp_reminded(&v[start], &v[i]) != 0) {
			if (i - start > 1)
				tally_collapsed(t, v + start, i - start, now);
			start = i;
		}
}

/*
 * The jobs the service would expire as soon as it runs at now (loaded
 * after their time: conf/REFERENCE.md §6 lateness; reminders that collapse
 * into a later one, or one quiet hours moved onto their minute), as
 * warnings a group
 * (plan, kind, object) with a count, the first few, the rule and what to
 * change to send them anyway.
 */
static void
warn_late(const struct world *w, int64_t now, struct diag *d)
{
	struct late_tally  t = { 0 };
	const struct job **rem = xcalloc(w->jobs.n + 1, sizeof(*rem));
	size_t		   i, nrem = 0;

	for (i = 0; i < w->jobs.n; i++) {
		const struct job *j = &w->jobs.v[i];
		int64_t		  exp;

		if (j->state != JS_PENDING)
			continue;
		exp = policy_expires((enum job_kind)j->kind,
		    (enum channel)j->channel, j->due, j->refers);
		if (exp == TIMEX_NONE || exp > now) {
			if (policy_collapses((enum job_kind)j->kind) &&
			    j->to != NULL)
				rem[nrem++] = j;
			continue;
		}
		late_tally_add(&t, j->plan->id, (enum job_kind)j->kind,
		    j->object, (enum channel)j->channel,
		    j->to != NULL ? j->to->id : NULL,
		    policy_expired_reason((enum job_kind)j->kind, j->refers,
			now),
		    j->due, j->refers);
	}
	warn_collapsed(&t, rem, nrem, now);
	free(rem);
	for (i = 0; i < t.n; i++) {
		char		   key[300];
		const struct loc  *l = late_loc(w, &t.v[i], key, sizeof(key));
		const struct plan *p = world_plan(w, t.v[i].plan);
		char		  *s = late_group_text(&t.v[i], p->tz);

		diag_warn(d, l, key,
		    "will expire unsent: "
		    "%s",
		    s);
		free(s);
	}
	late_tally_free(&t);
}

/* `timeline --json`: the jobs due in [from, to). Returns 0 or -1. */
static int
print_json(const struct jobs *js, int64_t from, int64_t to)
{
	struct out_json *w = out_json_begin(stdout);
	struct out_job	 o;
	size_t		 i;

	for (i = 0; i < js->n; i++)
		if (timeline_in_range(&js->v[i], from, to)) {
			out_job_from_job(&o, &js->v[i]);
			out_json_job(w, &o);
		}
	return out_json_end(w);
}

int
cmd_check_timeline(const char *cfg, int argc, char **argv, int timeline)
{
	struct world		  w;
	struct diag		  d = { 0 };
	struct opts		  o;
	int64_t			  now = (int64_t)time(NULL);
	int64_t			  from = TIMEX_NONE, to = TIMEX_NONE;
	const struct tz		 *z;
	int			  rc;
	const struct speech_hook *sp;

	if ((rc = parse_opts(argc, argv, timeline, &o)) != 0) {
		fputs(timeline ? timeline_usage : check_usage,
		    rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : EXIT_USAGE;
	}
	/* Times on the command line are read in the service's zone. */
	z = cli_zone(cfg);
	if (o.now != NULL && arg_time("--now", o.now, z, &now) == -1)
		return EXIT_USAGE;
	/* check synthesises nothing (it checks the speech settings);
	 * timeline places the items with their real lengths unless told. */
	sp = !timeline ? &speech_settings : o.no_speech ? NULL : &speech_synth;
	if (world_load_speech(&w, cfg, now, sp, &d) == -1) {
		char *own;

		fprintf(stderr, "%s: %d error%s\n", text_safe(cfg, &own),
		    d.errors, d.errors == 1 ? "" : "s");
		free(own);
		world_free(&w);
		return EXIT_INVALID;
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
		warn_late(&w, now, &d);
		printf("%s: OK%s\n", cfg, d.warnings ? "" : ", no warnings");
		if (d.warnings)
			printf("%d warning%s (on stderr)\n", d.warnings,
			    d.warnings == 1 ? "" : "s");
		summary(&w);
		rc = 0;
	} else if (o.json)
		rc = print_json(&w.jobs, from, to);
	else
		rc = timeline_print_text(stdout, &w.jobs, from, to);
	world_free(&w);
	if (fflush(stdout) != 0 || rc != 0) {
		log_warn("writing the output");
		return EXIT_RUNTIME;
	}
	return 0;
}
