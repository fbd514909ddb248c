/*
 * cli.h: what the files of the loa command line share: exit codes, option
 * and time-argument helpers, the quiet config load, and the commands that
 * main.c dispatches to.
 */
#ifndef LOA_CLI_H
#define LOA_CLI_H

#include <stdint.h>

#include "jobs/world.h"
#include "util/timex.h"

#define EXIT_INVALID 1
#define EXIT_USAGE   2
#define EXIT_RUNTIME 3

/*
 * Parse the time argument arg of option opt in zone z into *out. A NULL
 * arg (the option came last) or a bad time is reported on stderr. Returns
 * 0 or -1.
 */
int
arg_time(const char *opt, const char *arg, const struct tz *z, int64_t *out);

/*
 * The time zone of the service config cfg (`loa.timezone`), in which times
 * on the command line are read: known before the plans are loaded, so that
 * `now` in their time expressions is the moment the user meant. The
 * default zone when cfg cannot be read (loading it reports why).
 */
const struct tz *cli_zone(const char *cfg);

/* The options of check and timeline. */
struct opts {
	int	    json;
	int	    no_speech; /* timeline --no-speech */
	const char *from, *to, *now;
};

/*
 * Parse argv into *o: --now, and with allow_json_range also --json, --from,
 * --to and --no-speech. Returns 0, 1 for --help, or -1 (reported on stderr).
 */
int parse_opts(int argc, char **argv, int allow_json_range, struct opts *o);

/*
 * The argument of the option at argv[*i], advancing *i past it, or NULL
 * when it is the last word.
 */
const char *opt_arg(int argc, char **argv, int *i);

/*
 * Load the config cfg into *w with warnings silenced (they are for
 * `check`). On errors, load it again with them shown, print the count of
 * errors followed by note (LOAD_NOTE_SEND or ""), free *w and return -1;
 * else 0, and the caller frees *w.
 */
#define LOAD_NOTE_SEND "; nothing is sent from a config that does not validate"
int load_quiet(struct world *w, const char *cfg, int64_t now, const char *note);

/*
 * The commands: each takes the config path and the words after the
 * command's name, and returns the exit code.
 */
int cmd_check_timeline(const char *cfg, int argc, char **argv, int timeline);
int cmd_ics(const char *cfg, int argc, char **argv);
int cmd_run(const char *cfg, int argc, char **argv);
int cmd_simulate(const char *cfg, int argc, char **argv);
int cmd_outbox(const char *cfg, int argc, char **argv);
int cmd_task(const char *cfg, int argc, char **argv);
int cmd_sendtest(const char *cfg, int argc, char **argv);
int cmd_broadcast(const char *cfg, int argc, char **argv);

#endif
