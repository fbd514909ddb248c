/*
 * curlm.h: the libcurl multi driver the network gateways (smtp, http)
 * share. One driver per gateway: it holds the multi handle (whose
 * connection cache keeps connections open between messages), a pool of
 * easy handles to reuse, and the sockets and timer libcurl asks to be
 * woken for, given to the engine's one poll(2) through pollfds. Nothing
 * here blocks.
 *
 * A backend takes an easy handle (curlm_easy), sets its options, and
 * starts it with curlm_start and a tag of its own. curlm_drive runs every
 * transfer that can make progress and calls fin for each finished one,
 * with libcurl's result; the handle goes back to the pool after fin.
 */
#ifndef LOA_CURLM_H
#define LOA_CURLM_H

#include <poll.h>
#include <stddef.h>

#include <curl/curl.h>

struct curlm;

/* A driver for up to max transfers at once (and as many connections).
 * NULL with the reason in err. */
struct curlm *curlm_new(int max, char *err, size_t errlen);
void	      curlm_free(struct curlm *);

/* An easy handle to set up: reset (no options left from its last use,
 * connections kept in the multi's cache). Can't fail (fatal on OOM). */
CURL *curlm_easy(struct curlm *);
/* Start transfer h, which fin will report with tag. 0, or -1 with the
 * reason in err (the handle is back in the pool). */
int   curlm_start(struct curlm *, CURL *h, void *tag, char *err, size_t errlen);
/* Give back a handle taken with curlm_easy that was never started. */
void  curlm_put(struct curlm *, CURL *h);
/* Stop started transfer h unfinished (a shutdown); it is not reported. */
void  curlm_abort(struct curlm *, CURL *h);

/* Transfers running. */
int curlm_running(const struct curlm *);

/* The sockets libcurl waits on, into pfd (at most max), and *timeout
 * lowered to libcurl's timer (ms; -1: none). Returns the count. */
int curlm_pollfds(struct curlm *, struct pollfd *pfd, int max, int *timeout);

/* Run what can run and report each finished transfer: fin(arg, h, rc,
 * tag). h is valid during fin only (it goes back to the pool after). */
void curlm_drive(struct curlm *,
    void (*fin)(void *arg, CURL *h, CURLcode rc, void *tag), void *arg);

#endif
