/*
 * daemon.c: `loa run`, the service loop: reconcile, then sleep in one
 * poll(2) until the next due job, a gateway's descriptor or a signal, and
 * send what is due. SIGHUP reloads the config (a config that fails check
 * is refused and the running one stays); SIGTERM and SIGINT finish the
 * batch in hand, wait a little for the gateways' answers and put what is
 * unanswered back.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver/daemon.h"
#include "deliver/engine_int.h"
#include "deliver/reconcile.h"
#include "deliver/sched.h"
#include "render/speech.h"
#include "util/mem.h"

static int64_t
clock_now(int64_t offset)
{
	return (int64_t)time(NULL) + offset;
}

/* The same with its fraction: the loop sleeps to the due instant. */
static double
clock_fnow(int64_t offset)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)(ts.tv_sec + offset) + (double)ts.tv_nsec / 1e9;
}

/* The API's snapshot of the plans and their feeds, anew. */
static void
publish(struct engine *e, int64_t now)
{
	if (e->o.live == NULL)
		return;
	e->feed_dirty = 0;
	e->published = now;
	live_publish(e->o.live, e->w, e->ob, now);
}

/*
 * The first error of a load's messages (m, one a line, as check prints
 * them): "FILE:LINE: ...". From the heap; NULL when none.
 */
static char *
first_error(const char *m)
{
	const char *p = m;
	size_t	    n;
	char	   *line;

	for (; *p != '\0'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		if (n == 0)
			continue;
		line = xstrndup(p, n);
		if (strstr(line, ": warning: ") == NULL)
			return line;
		free(line);
	}
	return NULL;
}

/* A reload refused for why: logged, and kept for /healthz and /metrics
 * until a good one lands. */
static void
refused(struct engine *e, int64_t now, const char *why)
{
	log_warnx("reload refused: %s; the running config stays", why);
	live_reload(e->o.live, now, why);
}

/* Load the config into nw, its messages to stderr as before; with rc -1,
 * *why the first error (caller frees). */
static int
load(struct engine *e, struct world *nw, int64_t now, char **why)
{
	struct diag d = { 0 };
	char	   *m = NULL;
	size_t	    n = 0;
	int	    rc;

	*why = NULL;
	d.out = open_memstream(&m, &n);
	rc = world_load_speech(nw, e->o.config, now, &speech_synth, &d);
	if (d.out != NULL) {
		fclose(d.out);
		fwrite(m, 1, n, stderr);
	}
	if (rc == -1) {
		*why = m != NULL ? first_error(m) : NULL;
		if (*why == NULL)
			*why = xasprintf("%s has %d error%s", e->o.config,
			    d.errors, d.errors == 1 ? "" : "s");
	}
	free(m);
	return rc;
}

/* SIGHUP: load the config again; keep the old one when the new fails. */
static void
reload(struct engine *e, int64_t now, int api)
{
	struct world	      *nw = xcalloc(1, sizeof(*nw));
	struct reconcile_stats rs;
	char		       err[512], *why;
	int		       rc;

	if (api) {
		log_warnx("a change over HTTP (a task done, a broadcast): "
			  "reloading %s",
		    e->o.config);
	} else
		log_warnx("SIGHUP: reloading %s", e->o.config);
	/* Between batches with nothing in flight, a SIGTERM while the new
	 * config loads exits at once: every outcome is committed. */
	engine_sig_loading(engine_inflight(e) == 0);
	if (engine_stopping())
		engine_sig_loading(0);
	rc = load(e, nw, now, &why);
	engine_sig_loading(0);
	if (rc == -1 || engine_stopping()) {
		if (!engine_stopping())
			refused(e, now, why);
		free(why);
		world_free(nw);
		free(nw);
		return;
	}
	/* The gateways as the new config has them (a new password, URL or
	 * rate): started first, so one that cannot start refuses the reload
	 * and the running ones go on. */
	if (engine_regateway(e, nw, now, err, sizeof(err)) == -1) {
		refused(e, now, err);
		world_free(nw);
		free(nw);
		return;
	}
	/* The new gateways are in place: no send of the old ones is left. */
	assert(engine_inflight(e) == 0);
	world_free(e->w);
	free(e->w);
	e->w = nw;
	if (engine_reconcile(e, now, &rs) == 0)
		log_warnx("reloaded: %d added, %d moved, %d cancelled, "
			  "%d updates, %d cancellations",
		    rs.added, rs.moved, rs.cancelled, rs.updates, rs.cancels);
	live_reload(e->o.live, now, NULL);
	publish(e, now);
}

int
engine_run(struct engine *e, int once, int64_t offset)
{
	struct reconcile_stats rs;
	int64_t		       now = clock_now(offset);
	int		       n, rc = 0;

	/* A made engine: its outbox open, its world loaded. */
	assert(e != NULL && e->ob != NULL && e->w != NULL);

	if (engine_signals(0) == -1)
		return 3;
	if (engine_stopping()) {
		log_info("stopping before the outbox was touched");
		return 0;
	}
	if (outbox_requeue_sending(e->ob, &n) == -1) {
		log_warnx("%s", outbox_error(e->ob));
		return 3;
	}
	if (n > 0)
		log_warnx("%d job%s in flight at the last stop will be sent "
			  "again with the same id",
		    n, n == 1 ? "" : "s");
	if (engine_reconcile(e, now, &rs) == -1)
		return e->stopped ? 0 : 3;
	log_info("reconciled: %d added, %d moved, %d cancelled, %d updates, "
		 "%d cancellations",
	    rs.added, rs.moved, rs.cancelled, rs.updates, rs.cancels);
	if (once)
		return engine_once(e, now) == -1 ? 3 : 0;

	engine_sig_serving(1);
	publish(e, now);
	log_info("running: %zu plan%s", world_plan_files(e->w),
	    world_plan_files(e->w) == 1 ? "" : "s");
	while (!engine_stopping()) {
		struct pollfd pfd[ENGINE_MAXFDS];
		double	      fnow, wake;
		int	      timeout, nfd, hup;

		fnow = clock_fnow(offset);
		if ((hup = engine_sig_reload()) != 0) {
			reload(e, (int64_t)floor(fnow), hup == 2);
			if (engine_stopping())
				break;
		}
		if (engine_step_at(e, fnow) == -1) {
			rc = 3;
			break;
		}
		/* A SEQUENCE went out: the feed shows it, at most once a
		 * second while invitations go. */
		if (e->feed_dirty && (int64_t)floor(fnow) > e->published)
			publish(e, (int64_t)floor(fnow));
		if (engine_stopping())
			break;
		/*
		 * Sleep until the instant the next job can go (its due time,
		 * its channel's pause or rate), a gateway's descriptor or
		 * timeout, or a signal; no polling. A channel at its limit
		 * waits for its gateway's answers and holds up no other.
		 */
		wake = engine_wake(e);
		fnow = clock_fnow(offset);
		/* Lateness at the coming second, looked at before the sleep
		 * (nothing can go before it): the step at the due instant
		 * then claims at once. */
		if (!isinf(wake) && floor(wake) > floor(fnow) &&
		    wake - fnow < 2 &&
		    engine_expire_ahead(e, (int64_t)floor(wake)) == -1) {
			rc = 3;
			break;
		}
		fnow = clock_fnow(offset);
		if (isinf(wake))
			timeout = -1;
		else if (wake <= fnow)
			timeout = 0;
		else if (wake - fnow > 3600)
			timeout = 3600 * 1000;
		else
			timeout = (int)ceil((wake - fnow) * 1000);
		pfd[0].fd = engine_sig_fd();
		pfd[0].events = POLLIN;
		nfd = engine_pollfds(e, pfd, 1, ENGINE_MAXFDS, &timeout);
		if (timeout < 0 && engine_inflight(e) > 0)
			timeout = 1000; /* a gateway that said nothing */
		if (e->feed_dirty && e->o.live != NULL &&
		    (timeout < 0 || timeout > 1000))
			timeout = 1000; /* the feed's SEQUENCEs, soon */
		if ((n = poll(pfd, (nfds_t)nfd, timeout)) == -1 &&
		    errno != EINTR) {
			log_warn("poll");
			rc = 3;
			break;
		}
		if (n > 0 && (pfd[0].revents & POLLIN))
			engine_sig_drain();
	}
	/* Finish what the gateways hold, or put it back. */
	if (engine_land(e, clock_now(offset), 10000) == -1)
		rc = 3;
	log_info("stopping: nothing is in flight");
	engine_sig_serving(0);
	return rc;
}
