/*
 * http_answer.h: how the http gateway (http.c) reads an answer: the
 * status and body by the gateway's success rule (the table at the top of
 * http.c), libcurl's failures, and Retry-After. Pure: no request, no
 * clock but the now it is given.
 */
#ifndef LOA_HTTP_ANSWER_H
#define LOA_HTTP_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "gw/gw.h"
#include "loa.h"

/* The most of an answer's body kept (to read its JSON). */
#define HTTP_BODY_MAX (64 * 1024)

/*
 * What HTTP status st with body[0..len) (at most HTTP_BODY_MAX) means by
 * template t's rule; *why is the reason in words, or NULL when the status
 * says it.
 */
enum gw_result http_judge(const struct http_tmpl *t, long st, const char *body,
    size_t len, const char **why);
/* What libcurl's failure rc means: the gateway's config, or the net. */
enum gw_result http_judge_curl(CURLcode rc);
/*
 * Retry-After (RFC 9110 §10.2.3) value v: delay-seconds, or an HTTP date,
 * as the seconds to wait from now (a day at most); 0 when it says nothing
 * usable (or the date has passed).
 */
int64_t	       http_retry_after(const char *v, time_t now);

#endif
