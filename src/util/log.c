/*
 * log.c: diagnostics to stderr, prefixed with "loa: ".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/mem.h"
#include "util/secret.h"
#include "util/text.h"

static int verbosity;

static void vlog(const char *, va_list, const char *) LOA_PRINTF(1, 0);

void
log_init(int verbose)
{
	verbosity = verbose;
}

int
log_verbose(void)
{
	return verbosity;
}

/*
 * Print one line: "loa: MESSAGE[: SUFFIX]", whatever a peer or a file put
 * in it: valid UTF-8, every line break a space (text_oneline), every
 * secret blotted.
 */
static void
vlog(const char *fmt, va_list ap, const char *suffix)
{
	static _Thread_local int nested;
	char			 line[1024];
	char			*joined, *one;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (nested) {
		/* Out of memory while cleaning a line: this one as is. */
		fprintf(stderr, "loa: %s\n", line);
		return;
	}
	nested = 1;
	joined = suffix != NULL ? xasprintf("%s: %s", line, suffix) :
				  xstrdup(line);
	one = text_oneline(joined);
	secret_blot(one);
	fprintf(stderr, "loa: %s\n", one);
	free(one);
	free(joined);
	nested = 0;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(fmt, ap, strerror(saved));
	va_end(ap);
	exit(3);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap, NULL);
	va_end(ap);
	exit(3);
}
