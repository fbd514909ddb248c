/*
 * apifx.h: the HTTP API without a socket, for the API's fuzz harnesses.
 * apifx.c stands in for the part of libmicrohttpd the handlers of
 * src/api/ call (a request's values, a response and its headers): a
 * request is routed by api_route, as server.c routes one once its body is
 * read, against the seed config of conf/ with its jobs in an outbox of
 * its own and the engine's snapshot published.
 */
#ifndef LOA_APIFX_H
#define LOA_APIFX_H

#include <stddef.h>

/* The writes' token and /dlr's, as the fixture's API holds them. */
#define APIFX_TOKEN	"fuzz-token-0123456789abcdef"
#define APIFX_DLR_TOKEN "fuzz-dlr-0123456789abcdef"

struct apifx_answer {
	unsigned int status;
	char	    *type; /* Content-Type, or NULL */
	char	    *body;
	size_t	     len;
};

void apifx_init(void);
/*
 * Route one request: method, target (path, then ?query: each %XX
 * decoded, as libmicrohttpd does), header lines "Name: value" separated
 * by \n, body. The answer is checked (one response queued, a status
 * HTTP knows and no 5xx, header values without CR or LF, JSON that
 * parses when the type says JSON, no body with 204 or 304) and put in
 * *ans; the caller frees with apifx_free.
 */
void apifx_request(const char *method, const char *target, const char *headers,
    const char *body, size_t len, struct apifx_answer *ans);
void apifx_free(struct apifx_answer *);
/*
 * Whether the next request gets the seed's outbox anew (1), or the one
 * the last request left (0). Each request after a write (any method but
 * GET and HEAD, or /dlr) gets it anew unless told otherwise.
 */
void apifx_renew(int);

#endif
