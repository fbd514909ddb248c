/*
 * diag.c: messages at FILE:LINE, counted (see diag.h).
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/diag.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"

static void diag_v(struct diag *, const char *, const struct loc *,
    const char *, const char *, va_list) LOA_PRINTF(5, 0);

static void
diag_v(struct diag *d, const char *what, const struct loc *l, const char *key,
    const char *fmt, va_list ap)
{
	FILE	  *f = d->out != NULL ? d->out : stderr;
	struct buf b = { 0 };
	char	  *own = NULL;
	va_list	   aq;
	int	   n;

	/* A location has a file, or is not given at all. */
	assert(fmt != NULL && (l == NULL || l->file != NULL || l->line == 0));

	if (l != NULL && l->file != NULL && l->line > 0)
		buf_printf(&b, "%s:%d: ", l->file, l->line);
	else if (l != NULL && l->file != NULL)
		buf_printf(&b, "%s: ", l->file);
	if (what != NULL)
		buf_printf(&b, "%s: ", what);
	if (key != NULL)
		buf_printf(&b, "%s: ", key);
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n > 0) {
		char *m = xmalloc((size_t)n + 1);

		vsnprintf(m, (size_t)n + 1, fmt, ap);
		buf_adds(&b, m);
		free(m);
	}
	/* What a config holds (an id, a file name) reaches a terminal or a
	 * log with its control characters escaped. */
	fprintf(f, "%s\n", b.s != NULL ? text_safe(b.s, &own) : "");
	free(own);
	buf_free(&b);
}

void
diag_error(struct diag *d, const struct loc *l, const char *key,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(d, NULL, l, key, fmt, ap);
	va_end(ap);
	d->errors++;
}

void
diag_warn(struct diag *d, const struct loc *l, const char *key, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_v(d, "warning", l, key, fmt, ap);
	va_end(ap);
	d->warnings++;
}
