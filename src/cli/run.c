/*
 * run.c: `loa run`, the service: reconcile, then send what is due until a
 * signal (or, with --once, what is due now); --dry-run shows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/api.h"
#include "cli/cli.h"
#include "deliver/engine.h"
#include "deliver/live.h"
#include "deliver/outbox.h"
#include "util/log.h"
#include "util/mem.h"

static const char run_usage[] =
    "usage: loa [-c FILE] run [--once] [--now T] [--dry-run]\n"
    "\n"
    "Reconcile the plans with the outbox and send every job when it is due,\n"
    "until SIGTERM or SIGINT; SIGHUP reloads the config (a config that fails\n"
    "`check` is refused and the running one stays). --once sends what is due\n"
    "and exits; --now pretends the clock reads T; --dry-run changes nothing\n"
    "and says what a real run would send, expire (and why) or hold for\n"
    "quiet hours.\n";

int
cmd_run(const char *cfg, int argc, char **argv)
{
	struct world	  *w = xcalloc(1, sizeof(*w));
	struct engine	  *e;
	struct engine_opts o = { 0 };
	struct live	  *live = NULL;
	struct api	  *api = NULL;
	const char	  *nowarg = NULL;
	int64_t		   now = (int64_t)time(NULL), offset = 0;
	int		   once = 0, dry = 0, i, rc;
	char		   err[512];

	/* The outbox and the gateway files hold names and phones: 0600,
	 * folders 0700, whatever the umask of the shell. */
	umask(077);
	/*
	 * The handlers first: a SIGTERM or SIGHUP while the config loads
	 * must not kill the process (exit 143). Until the outbox is
	 * touched, SIGTERM exits 0 at once.
	 */
	if (engine_signals(1) == -1) {
		free(w);
		return EXIT_RUNTIME;
	}
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
			fprintf(stderr,
			    "loa: run: unknown or incomplete "
			    "option \"%s\"\n%s",
			    argv[i], run_usage);
			free(w);
			return EXIT_USAGE;
		}
	}
	if (nowarg != NULL &&
	    arg_time("--now", nowarg, cli_zone(cfg), &now) == -1) {
		free(w);
		return EXIT_USAGE;
	}
	offset = now - (int64_t)time(NULL);
	if (load_quiet(w, cfg, now, LOAD_NOTE_SEND) == -1) {
		free(w);
		return EXIT_INVALID;
	}
	if (engine_signals(0) == -1) {
		world_free(w);
		free(w);
		return EXIT_RUNTIME;
	}
	/* One service a store: before anything resets its jobs. A dry run
	 * changes nothing and goes beside a running service. */
	if (!dry && outbox_lock(w->svc->store, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		world_free(w);
		free(w);
		return EXIT_RUNTIME;
	}
	o.config = cfg;
	o.dry_run = dry;
	o.trace = log_verbose() > 0 || once || dry ? stdout : NULL;
	/* The HTTP API (conf/REFERENCE.md §9): served while the service runs. */
	if (!dry && !once && w->svc->http_on)
		o.live = live = live_new(now);
	if ((e = engine_new(w, w->svc->store, &o, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		live_free(live);
		return EXIT_RUNTIME;
	}
	if (live != NULL) {
		struct api_opts ao;

		memset(&ao, 0, sizeof(ao));
		ao.listen = w->svc->http_listen;
		ao.config = cfg;
		ao.store = w->svc->store;
		ao.token_file = w->svc->http_token_file;
		ao.dlr_token_file = w->svc->http_dlr_token_file;
		ao.offset = offset;
		ao.unhealthy_after = w->svc->http_unhealthy_after;
		ao.client_conns = w->svc->http_client_conns;
		ao.request_timeout = w->svc->http_request_timeout;
		ao.live = live;
		if ((api = api_start(&ao, err, sizeof(err))) == NULL) {
			log_warnx("%s; not started", err);
			engine_free(e);
			live_free(live);
			return 1;
		}
	}
	if (dry)
		rc = engine_dry_run(e, now, stdout) == -1 ? EXIT_RUNTIME : 0;
	else
		rc = engine_run(e, once, offset);
	api_stop(api);
	engine_free(e);
	live_free(live);
	return rc;
}
