/*
 * main.c: the loa command (conf/REFERENCE.md §8): the global options, the usage
 * text and the dispatch to the commands (check.c, ics.c, run.c, sim.c,
 * outbox.c, sendtest.c, broadcast.c). Exit codes: 0 ok, 1 invalid input or config, 2 usage,
 * 3 runtime failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/log.h"
#include "util/timex.h"

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
    "                                       the whole timeline on a virtual "
    "clock\n"
    "                                       into files under DIR "
    "(var/simulate)\n"
    "  outbox [--state S] [--json]          the jobs in the outbox\n"
    "  task done [PLAN:]ID                  stop a task's reminders\n"
    "  broadcast add|list|rundown|aired|cancel ...\n"
    "                                       the loudspeaker's queue\n"
    "  send-test --channel email --to ADDRESS\n"
    "                                       one test message through the\n"
    "                                       channel's gateway\n"
    "\n"
    "Options:\n"
    "  -c FILE     the service config (default $LOA_CONFIG, else "
    "conf/loa.cfg)\n"
    "  -v          more messages on stderr (run: a line a send on stdout)\n"
    "  --version   print the version\n"
    "  --help      this text; COMMAND --help for one command\n"
    "\n"
    "T is a local time \"YYYY-MM-DD[ HH:MM[:SS]]\" in the service's time "
    "zone,\n"
    "or RFC 3339 with an offset (\"2025-12-26T08:00:00+07:00\").\n"
    "Exit codes: 0 ok, 1 invalid input or config, 2 usage, 3 runtime "
    "failure.\n";

/*
 * Close stdout: what a command printed is out only once that worked. A
 * failure turns exit code 0 into a runtime failure; an exit code a command
 * already chose stays.
 */
static int
close_stdout(int rc)
{
	int bad = ferror(stdout);

	if (fclose(stdout) == EOF)
		bad = 1;
	if (bad && rc == 0) {
		log_warn("writing the output");
		rc = EXIT_RUNTIME;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cfg = getenv("LOA_CONFIG");
	int	    i = 1, verbose = 0, rc;

	if (cfg == NULL || *cfg == '\0')
		cfg = "conf/loa.cfg";
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0) {
			if (i + 1 == argc) {
				fprintf(stderr,
				    "loa: -c needs the config "
				    "file's path\n%s",
				    usage_text);
				return EXIT_USAGE;
			}
			cfg = argv[++i];
		} else if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "--version") == 0) {
			printf("loa %s\n", LOA_VERSION);
			return close_stdout(0);
		} else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(usage_text, stdout);
			return close_stdout(0);
		} else {
			fprintf(stderr, "loa: unknown option \"%s\"\n%s",
			    argv[i], usage_text);
			return EXIT_USAGE;
		}
	}
	log_init(verbose);
	/* -v lines (a line a send) go out as they are made, even to a pipe. */
	if (verbose > 0)
		setvbuf(stdout, NULL, _IOLBF, 0);
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
	else if (strcmp(argv[i], "broadcast") == 0)
		rc = cmd_broadcast(cfg, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "send-test") == 0)
		rc = cmd_sendtest(cfg, argc - i - 1, argv + i + 1);
	else {
		fprintf(stderr, "loa: unknown command \"%s\"\n%s", argv[i],
		    usage_text);
		rc = EXIT_USAGE;
	}
	tz_cleanup();
	return close_stdout(rc);
}
