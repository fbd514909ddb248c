/*
 * sim.c: `loa simulate`, the whole timeline played on a virtual clock into
 * file gateways under a folder of its own, with its own outbox.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "deliver/engine.h"
#include "deliver/outbox.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/fs.h"

static const char simulate_usage[] =
    "usage: loa [-c FILE] simulate [--from T] [--to T] [--out DIR]\n"
    "\n"
    "Play the whole timeline on a virtual clock into file gateways under DIR\n"
    "(relative to the current folder; default: simulate/ beside the store,\n"
    "var/simulate with the default loa.store; emptied first), never a real\n"
    "gateway, printing each send, then a summary.\n";

/* 1 when dir/name exists. */
static int
dir_has(const char *dir, const char *name)
{
	char	   *p = xasprintf("%s/%s", dir, name);
	struct stat st;
	int	    rc = stat(p, &st) == 0;

	free(p);
	return rc;
}

/*
 * Remove the files of a folder tree (a simulation's old output). Returns
 * 0 (also when path is not there), or -1 with the failure logged.
 */
static int
remove_tree(const char *path)
{
	struct stat    st;
	DIR	      *d = NULL;
	struct dirent *de;
	int	       rc = 0;

	/* A link is removed, never followed into another folder. */
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		d = opendir(path);
	if (d == NULL) {
		if (unlink(path) == -1 && errno != ENOENT) {
			log_warn("simulate: removing %s", path);
			return -1;
		}
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (remove_tree(sub) == -1)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) == -1 && errno != ENOENT) {
		log_warn("simulate: removing %s", path);
		rc = -1;
	}
	return rc;
}

/* Write the marker of a simulation's folder. Returns 0, or -1 logged. */
static int
write_mark(const char *mark)
{
	static const char
	     text[] = "loa simulate output: emptied by the next simulate\n";
	char err[512];
	int  fd, bad;

	/* A new file, never through a link planted at its name. */
	if ((fd = fs_open_own(mark, O_WRONLY | O_CREAT | O_EXCL, 0600, err,
		 sizeof(err))) == -1) {
		log_warnx("simulate: %s", err);
		return -1;
	}
	bad = write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1);
	if (close(fd) == -1)
		bad = 1;
	if (bad) {
		log_warn("simulate: writing %s", mark);
		return -1;
	}
	return 0;
}

static void
simulate_summary(struct engine *e, const char *out)
{
	const struct engine_stats *st = engine_stats(e);
	struct ob_job		  *v;
	size_t			   n, i;
	int			   k, c, states[JS__N] = { 0 };

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
		       "cancelled %d, dead %d, still pending %d\n",
		    n, states[JS_SENT], states[JS_HELD], states[JS_EXPIRED],
		    states[JS_SKIPPED], states[JS_CANCELLED], states[JS_DEAD],
		    states[JS_PENDING] + states[JS_FAILED]);
	}
	printf("files: %s/outbox/mail/*.eml, %s/outbox/sms.jsonl, "
	       "%s/broadcast/*.json; outbox %s/loa.db\n",
	    out, out, out, out);
}

/*
 * Make out ready for a fresh simulation into store (out/loa.db): only a
 * folder a simulation made (it holds the marker) is emptied, so --out
 * pointed at the live store's folder never wipes its outbox; an old outbox
 * or old gateway files would make this run resume it, or read as sends.
 * Returns 0 or an exit code (reported).
 */
static int
prepare_out(const char *out, const char *store)
{
	char	   *mark = xasprintf("%s/.loa-simulate", out), *f, err[512];
	struct stat st;
	int ours = lstat(mark, &st) == 0 && S_ISREG(st.st_mode), i, rc = 0;

	if (!ours &&
	    (stat(store, &st) == 0 || dir_has(out, "outbox") ||
		dir_has(out, "broadcast"))) {
		log_warnx("simulate: %s holds an outbox or gateway files "
			  "simulate did not make; give --out a new or empty "
			  "folder",
		    out);
		free(mark);
		return EXIT_USAGE;
	}
	mkdirs(out);
	/* Without the marker the next simulate would refuse. */
	if (!ours && write_mark(mark) == -1) {
		free(mark);
		return EXIT_RUNTIME;
	}
	free(mark);
	/* Its own store, locked before it is emptied: a simulate running
	 * into the same folder keeps its outbox. */
	if (outbox_lock(store, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < 3; i++) {
		f = xasprintf("%s%s", store,
		    i == 0     ? "" :
			i == 1 ? "-wal" :
				 "-shm");
		if (unlink(f) == -1 && errno != ENOENT) {
			log_warn("simulate: removing %s", f);
			rc = EXIT_RUNTIME;
		}
		free(f);
	}
	f = xasprintf("%s/outbox", out);
	if (remove_tree(f) == -1)
		rc = EXIT_RUNTIME;
	free(f);
	f = xasprintf("%s/broadcast", out);
	if (remove_tree(f) == -1)
		rc = EXIT_RUNTIME;
	free(f);
	return rc;
}

/* The default --out: simulate/ in the folder of the store (as the config
 * names it, relative to the config's folder). */
static char *
default_out(const char *store)
{
	const char *slash = strrchr(store, '/');

	if (slash == NULL)
		return xstrdup("simulate");
	return xasprintf("%.*s/simulate", (int)(slash - store), store);
}

/* Play the outbox of e on a virtual clock from `from` to `to` (TIMEX_NONE:
 * the end): each step at the next due time. Returns 0 or an exit code. */
static int
play(struct engine *e, int64_t from, int64_t to)
{
	int64_t now = from, next;

	for (;;) {
		next = engine_next(e);
		if (next == TIMEX_NONE || (to != TIMEX_NONE && next >= to))
			return 0;
		if (next > now)
			now = next;
		if (engine_step(e, now) == -1)
			return EXIT_RUNTIME;
	}
}

/* The earliest due time of w's jobs, or dflt when there are none. */
static int64_t
first_due(const struct world *w, int64_t dflt)
{
	int64_t from = INT64_MAX;
	size_t	k;

	for (k = 0; k < w->jobs.n; k++)
		if (w->jobs.v[k].due < from)
			from = w->jobs.v[k].due;
	return from == INT64_MAX ? dflt : from;
}

int
cmd_simulate(const char *cfg, int argc, char **argv)
{
	struct world	      *w;
	struct engine	      *e;
	struct engine_opts     o = { 0 };
	struct reconcile_stats rs;
	const char	      *fromarg = NULL, *toarg = NULL;
	const char	      *out = NULL;
	int64_t		       from = TIMEX_NONE, to = TIMEX_NONE, now;
	const struct tz	      *z;
	char		       err[512], *store, *outdir = NULL;
	int		       i, rc;

	umask(077); /* its outbox and files hold names and phones */
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(simulate_usage, stdout);
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
			fprintf(stderr,
			    "loa: simulate: unknown or incomplete "
			    "option \"%s\"\n%s",
			    argv[i], simulate_usage);
			return EXIT_USAGE;
		}
	}
	z = cli_zone(cfg);
	if ((fromarg && arg_time("--from", fromarg, z, &from) == -1) ||
	    (toarg && arg_time("--to", toarg, z, &to) == -1))
		return EXIT_USAGE;
	if (from != TIMEX_NONE && to != TIMEX_NONE && to < from) {
		log_warnx("--to %s is before --from %s", toarg, fromarg);
		return EXIT_USAGE;
	}
	now = from != TIMEX_NONE ? from : (int64_t)time(NULL);
	w = xcalloc(1, sizeof(*w));
	if (load_quiet(w, cfg, now, LOAD_NOTE_SEND) == -1) {
		free(w);
		return EXIT_INVALID;
	}
	/* The virtual clock starts at the first job unless told. */
	if (from == TIMEX_NONE)
		from = first_due(w, now);
	/* --out, a command-line path, is the current folder's; its
	 * default lies beside the store, as the config names it. */
	if (out == NULL)
		out = outdir = default_out(w->svc->store);
	/* A fresh outbox every time: a simulation never resumes. */
	store = xasprintf("%s/loa.db", out);
	if ((rc = prepare_out(out, store)) != 0) {
		free(store);
		free(outdir);
		world_free(w);
		free(w);
		return rc;
	}
	o.config = cfg;
	o.files = out;
	o.trace = stdout;
	e = engine_new(w, store, &o, err, sizeof(err));
	free(store);
	if (e == NULL) {
		log_warnx("%s", err);
		free(outdir);
		return EXIT_RUNTIME;
	}
	if (engine_reconcile(e, from, &rs) == -1) {
		engine_free(e);
		free(outdir);
		return EXIT_RUNTIME;
	}
	printf("simulating from %s: %d jobs\n",
	    fromarg ? fromarg : "the first job", rs.added);
	rc = play(e, from, to);
	simulate_summary(e, out);
	engine_free(e);
	free(outdir);
	return rc;
}
