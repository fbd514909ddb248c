/*
 * daemon.c: `loa run`, the service loop: reconcile, then sleep in one
 * poll(2) until the next due job, a gateway's descriptor or a signal, and
 * send what is due. SIGHUP reloads the config (a config that fails check
 * is refused and the running one stays); SIGTERM and SIGINT finish the
 * batch in hand, wait a little for the gateways' answers and put what is
 * unanswered back.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/engine_int.h"
#include "render/speech.h"
#include "util/mem.h"

static int		     sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t got_hup, got_term, exit_now;
static volatile sig_atomic_t api_hup; /* the reload is the API's */
static int		     serving; /* the loop handles SIGHUP */

static void
on_signal(int sig)
{
	int  saved = errno;
	char c = (char)sig;

	if (sig != SIGHUP && exit_now)
		_exit(0); /* loading: nothing is touched yet */
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (write(sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the flags say it all. */
	}
	errno = saved;
}

int
engine_signals(int loading)
{
	struct sigaction sa;

	exit_now = loading;
	if (sigpipe[0] != -1)
		return 0;
	if (pipe(sigpipe) == -1) {
		log_warn("pipe");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (fcntl(sigpipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sigpipe[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sigpipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(sigpipe[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		log_warn("signals");
		return -1;
	}
	return 0;
}

void
engine_request_reload(void)
{
	char c = (char)SIGHUP;

	api_hup = 1;
	got_hup = 1;
	if (sigpipe[1] != -1 && write(sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the flag says it. */
	}
}

int
engine_stopping(void)
{
	return got_term != 0;
}

int
engine_interrupted(void)
{
	return got_term || (serving && got_hup);
}

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

/* SIGHUP: load the config again; keep the old one when the new fails. */
static void
reload(struct engine *e, int64_t now)
{
	struct world	      *nw = xcalloc(1, sizeof(*nw));
	struct diag	       d = { 0 };
	struct reconcile_stats rs;
	char		       err[512];
	int		       rc;

	if (api_hup) {
		api_hup = 0;
		log_info("a task marked done over HTTP: reloading %s",
		    e->o.config);
	} else
		log_warnx("SIGHUP: reloading %s", e->o.config);
	/* Between batches with nothing in flight, a SIGTERM while the new
	 * config loads exits at once: every outcome is committed. */
	exit_now = engine_inflight(e) == 0;
	if (got_term)
		exit_now = 0;
	rc = world_load_speech(nw, e->o.config, now, &speech_synth, &d);
	exit_now = 0;
	if (rc == -1 || got_term) {
		if (got_term) {
			world_free(nw);
			free(nw);
			return;
		}
		log_warnx("reload refused: %s has %d error%s; the running "
			  "config stays",
		    e->o.config, d.errors, d.errors == 1 ? "" : "s");
		live_reload(e->o.live, 0);
		world_free(nw);
		free(nw);
		return;
	}
	/* The gateways as the new config has them (a new password, URL or
	 * rate): started first, so one that cannot start refuses the reload
	 * and the running ones go on. */
	if (engine_regateway(e, nw, now, err, sizeof(err)) == -1) {
		log_warnx("reload refused: %s; the running config stays", err);
		live_reload(e->o.live, 0);
		world_free(nw);
		free(nw);
		return;
	}
	world_free(e->w);
	free(e->w);
	e->w = nw;
	if (engine_reconcile(e, now, &rs) == 0)
		log_warnx("reloaded: %d added, %d moved, %d cancelled, "
			  "%d updates, %d cancellations",
		    rs.added, rs.moved, rs.cancelled, rs.updates, rs.cancels);
	live_reload(e->o.live, 1);
	publish(e, now);
}

int
engine_run(struct engine *e, int once, int64_t offset)
{
	struct reconcile_stats rs;
	int64_t		       now = clock_now(offset);
	int		       n, rc = 0;

	if (engine_signals(0) == -1)
		return 3;
	if (got_term) {
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

	serving = 1;
	publish(e, now);
	log_info("running: %zu plan%s", e->w->nplans,
	    e->w->nplans == 1 ? "" : "s");
	while (!got_term) {
		struct pollfd pfd[ENGINE_MAXFDS];
		double	      fnow, wake;
		int	      timeout, nfd;
		char	      drain[64];

		fnow = clock_fnow(offset);
		if (got_hup) {
			got_hup = 0;
			reload(e, (int64_t)floor(fnow));
			if (got_term)
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
		if (got_term)
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
		pfd[0].fd = sigpipe[0];
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
			while (read(sigpipe[0], drain, sizeof(drain)) > 0)
				;
	}
	/* Finish what the gateways hold, or put it back. */
	if (engine_land(e, clock_now(offset), 10000) == -1)
		rc = 3;
	log_info("stopping: nothing is in flight");
	serving = 0;
	return rc;
}
