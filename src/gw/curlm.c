/*
 * curlm.c: the libcurl multi driver of the network gateways (curlm.h).
 *
 * libcurl says which sockets it waits on through its socket callback and
 * when it wants to be called through its timer callback; both are kept
 * here so the engine can sleep in its own poll(2) on them. curlm_drive
 * asks the kernel which of those sockets are ready (poll with a zero
 * timeout) and hands each to curl_multi_socket_action, so no transfer is
 * run that has nothing to do.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw/curlm.h"
#include "util/log.h"
#include "util/mem.h"

struct csock {
	curl_socket_t fd;
	int	      what; /* CURL_POLL_IN, _OUT, _INOUT */
};

struct curlm {
	CURLM	     *multi;
	struct csock *socks;
	size_t	      nsocks, capsocks;
	long long     deadline; /* monotonic ms of libcurl's timer; -1 none */
	CURL	    **pool;
	size_t	      npool, cappool;
	int	      running;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
on_socket(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlm *m = arg;
	size_t	      i;

	for (i = 0; i < m->nsocks && m->socks[i].fd != fd; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < m->nsocks)
			m->socks[i] = m->socks[--m->nsocks];
		return 0;
	}
	if (i == m->nsocks) {
		xgrow(&m->socks, &m->capsocks, m->nsocks + 1,
		    sizeof(*m->socks));
		m->socks[m->nsocks++].fd = fd;
	}
	m->socks[i].what = what;
	return 0;
}

static int
on_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlm *m = arg;

	m->deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	return 0;
}

struct curlm *
curlm_new(int max, char *err, size_t errlen)
{
	static int    inited;
	struct curlm *m;

	if (!inited) {
		CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

		if (rc != CURLE_OK) {
			snprintf(err, errlen, "libcurl: %s",
			    curl_easy_strerror(rc));
			return NULL;
		}
		inited = 1;
	}
	m = xcalloc(1, sizeof(*m));
	m->deadline = -1;
	if ((m->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "libcurl: cannot make a multi handle");
		free(m);
		return NULL;
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	/* HTTP/2 streams share a connection where the server offers it. */
	curl_multi_setopt(m->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX);
	if (max > 0) {
		curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
		    (long)max);
		curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)max);
	}
	return m;
}

void
curlm_free(struct curlm *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npool; i++)
		curl_easy_cleanup(m->pool[i]);
	free(m->pool);
	/* Handles still running belong to their backend, which removes
	 * them before this; the multi closes the cached connections. */
	curl_multi_cleanup(m->multi);
	free(m->socks);
	free(m);
}

CURL *
curlm_easy(struct curlm *m)
{
	CURL *h;

	assert(m->npool <= m->cappool);
	if (m->npool > 0)
		return m->pool[--m->npool];
	if ((h = curl_easy_init()) == NULL)
		fatalx("libcurl: cannot make an easy handle");
	return h;
}

void
curlm_put(struct curlm *m, CURL *h)
{
	/* A handle comes back once, after its transfer left the multi. */
	assert(h != NULL);
	curl_easy_reset(h);
	xgrow(&m->pool, &m->cappool, m->npool + 1, sizeof(*m->pool));
	m->pool[m->npool++] = h;
}

void
curlm_abort(struct curlm *m, CURL *h)
{
	/* Only a handle curlm_start added is aborted. */
	assert(m->running > 0);
	curl_multi_remove_handle(m->multi, h);
	m->running--;
	curlm_put(m, h);
}

int
curlm_start(struct curlm *m, CURL *h, void *tag, char *err, size_t errlen)
{
	CURLMcode rc;

	/* The tag is what fin gets back: the caller's transfer. */
	assert(h != NULL && tag != NULL);
	curl_easy_setopt(h, CURLOPT_PRIVATE, tag);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if ((rc = curl_multi_add_handle(m->multi, h)) != CURLM_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_multi_strerror(rc));
		curlm_put(m, h);
		return -1;
	}
	m->running++;
	return 0;
}

int
curlm_running(const struct curlm *m)
{
	return m->running;
}

int
curlm_pollfds(struct curlm *m, struct pollfd *pfd, int max, int *timeout)
{
	size_t i;
	int    n = 0;

	assert(pfd != NULL || max == 0);
	assert(timeout != NULL);
	for (i = 0; i < m->nsocks && n < max; i++) {
		pfd[n].fd = m->socks[i].fd;
		pfd[n].events = 0;
		if (m->socks[i].what & CURL_POLL_IN)
			pfd[n].events |= POLLIN;
		if (m->socks[i].what & CURL_POLL_OUT)
			pfd[n].events |= POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	if (m->deadline >= 0) {
		long long left = m->deadline - mono_ms();
		int t = left <= 0 ? 0 : left > 3600000 ? 3600000 : (int)left;

		if (*timeout < 0 || t < *timeout)
			*timeout = t;
	}
	return n;
}

void
curlm_drive(struct curlm *m,
    void (*fin)(void *arg, CURL *h, CURLcode rc, void *tag), void *arg)
{
	struct pollfd	stack[64], *pfd = stack;
	struct CURLMsg *msg;
	int		n, i, still, left;

	if (m->running == 0 && m->nsocks == 0)
		return;
	if (m->nsocks > sizeof(stack) / sizeof(stack[0]))
		pfd = xcalloc(m->nsocks, sizeof(*pfd));
	n = curlm_pollfds(m, pfd, (int)m->nsocks, &(int){ -1 });
	if (n > 0 && poll(pfd, (nfds_t)n, 0) == -1 && errno != EINTR)
		log_warn("poll");
	/* libcurl's callbacks may change m->socks: act on the copy. */
	for (i = 0; i < n; i++) {
		int bits = 0;

		if (pfd[i].revents & (POLLIN | POLLHUP))
			bits |= CURL_CSELECT_IN;
		if (pfd[i].revents & POLLOUT)
			bits |= CURL_CSELECT_OUT;
		if (pfd[i].revents & (POLLERR | POLLNVAL))
			bits |= CURL_CSELECT_ERR;
		if (bits != 0)
			curl_multi_socket_action(m->multi, pfd[i].fd, bits,
			    &still);
	}
	if (pfd != stack)
		free(pfd);
	if (m->deadline >= 0 && m->deadline <= mono_ms()) {
		m->deadline = -1;
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0,
		    &still);
	}
	while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
		CURL	*h = msg->easy_handle;
		CURLcode rc = msg->data.result;
		void	*tag = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&tag);
		curl_multi_remove_handle(m->multi, h);
		m->running--;
		fin(arg, h, rc, tag);
		curlm_put(m, h);
	}
}
