/*
 * api.h: the HTTP API of `loa run` (conf/REFERENCE.md §9), served by
 * libmicrohttpd on a thread of its own: a thin face over the outbox (a second
 * SQLite connection of its own) and the engine's live state (deliver/live.h).
 * It never touches the engine's world, and never waits for a send.
 */
#ifndef LOA_API_H
#define LOA_API_H

#include <stddef.h>
#include <stdint.h>

struct live;

struct api_opts {
	const char  *listen;	     /* "host:port", "[v6]:port" */
	const char  *config;	     /* the service config (the queue's) */
	const char  *store;	     /* the outbox */
	const char  *token_file;     /* writes' bearer token */
	const char  *dlr_token_file; /* /dlr's; NULL: /dlr refuses */
	int64_t	     offset;	     /* the service's clock: real + offset */
	/* A gateway that failed every attempt this long (s): 503. */
	int64_t	     unhealthy_after;
	/* Connections one client address may hold at once (0: 512). */
	int	     client_conns;
	/* Seconds from a connection's accept (or its last answer) to a
	 * whole request (head and body): then it is closed (0: 10). */
	int64_t	     request_timeout;
	struct live *live;
};

struct api;

/*
 * Read the tokens (each file must exist and be readable by its owner
 * alone), open the outbox and start listening. NULL with err set.
 */
struct api *api_start(const struct api_opts *, char *err, size_t errlen);
/* Stop listening, finish no more requests, free. api_stop(NULL) is safe. */
void	    api_stop(struct api *);

/* Whether a and b are the same secret, in time that depends only on the
 * length of b. */
int api_secret_eq(const char *a, const char *b);

#endif
