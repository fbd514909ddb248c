/*
 * cli.c: what the commands of the loa command line share: reading time
 * arguments and options, and loading the config quietly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "plan/service.h"
#include "render/speech.h"
#include "util/log.h"
#include "util/text.h"

int
arg_time(const char *opt, const char *arg, const struct tz *z, int64_t *out)
{
	if (arg == NULL) {
		fprintf(stderr, "loa: %s needs a time\n", opt);
		return -1;
	}
	if (timex_parse_instant(z, arg, out) == -1) {
		fprintf(stderr,
		    "loa: %s \"%s\": expected YYYY-MM-DD[ HH:MM[:SS]] "
		    "or RFC 3339\n",
		    opt, arg);
		return -1;
	}
	return 0;
}

int
parse_opts(int argc, char **argv, int allow_json_range, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--now") == 0 && i + 1 < argc)
			o->now = argv[++i];
		else if (allow_json_range && strcmp(a, "--json") == 0)
			o->json = 1;
		else if (allow_json_range && strcmp(a, "--no-speech") == 0)
			o->no_speech = 1;
		else if (allow_json_range && strcmp(a, "--from") == 0 &&
		    i + 1 < argc)
			o->from = argv[++i];
		else if (allow_json_range && strcmp(a, "--to") == 0 &&
		    i + 1 < argc)
			o->to = argv[++i];
		else {
			fprintf(stderr,
			    "loa: unknown or incomplete option "
			    "\"%s\"\n",
			    a);
			return -1;
		}
	}
	return 0;
}


int
load_quiet(struct world *w, const char *cfg, int64_t now, const char *note)
{
	struct diag d = { 0 };
	FILE	   *devnull = fopen("/dev/null", "w");

	d.out = devnull;
	if (world_load_speech(w, cfg, now, &speech_synth, &d) == 0) {
		if (devnull != NULL)
			fclose(devnull);
		return 0;
	}
	if (devnull != NULL)
		fclose(devnull);
	world_free(w);
	memset(&d, 0, sizeof(d));
	/* It fails again: this load is for its messages. */
	(void)world_load_speech(w, cfg, now, &speech_synth, &d);
	{
		char *own;

		/* The path as a terminal's one line (text_safe). */
		fprintf(stderr, "%s: %d error%s%s\n", text_safe(cfg, &own),
		    d.errors, d.errors == 1 ? "" : "s", note);
		free(own);
	}
	world_free(w);
	return -1;
}

const char *
opt_arg(int argc, char **argv, int *i)
{
	return *i + 1 < argc ? argv[++*i] : NULL;
}

const struct tz *
cli_zone(const char *cfg)
{
	struct diag	 d = { 0 };
	struct service	*svc;
	const struct tz *z = tz_get("Asia/Ho_Chi_Minh");

	if ((d.out = fopen("/dev/null", "w")) == NULL)
		return z;
	if ((svc = service_read(cfg, &d)) != NULL) {
		if (svc->tz != NULL)
			z = svc->tz;
		service_free(svc);
	}
	fclose(d.out);
	return z;
}
