/*
 * smtp.h: how the smtp gateway (smtp.c) reads a dialogue, apart from any
 * connection (for tests and the fuzz harness): the lines libcurl showed,
 * ours and the server's, then how the transfer ended.
 */
#ifndef LOA_SMTP_H
#define LOA_SMTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "gw/gw.h"

struct smtp_line {
	int	    out; /* ours (a command), else the server's */
	const char *p;	 /* as libcurl gives it: CRLF at the end, no NUL */
	size_t	    n;
};

/*
 * The answer for a transfer that showed lines[0..n) and ended with rc
 * (errbuf: libcurl's words, "" for none): what a worker sets for it.
 */
void smtp_judge(const struct smtp_line *lines, size_t n, CURLcode rc,
    const char *errbuf, struct gw_answer *a);

#endif
