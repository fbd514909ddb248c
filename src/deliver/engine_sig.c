/*
 * engine_sig.c: the handler of SIGHUP, SIGTERM and SIGINT, its flags and
 * the pipe the service loop sleeps on (engine_sig.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "deliver/engine_sig.h"
#include "util/log.h"

static int		     sigpipe[2] = { -1, -1 };
static volatile sig_atomic_t got_hup, got_term, exit_now;
static volatile sig_atomic_t api_hup; /* the reload is the API's */
static int		     serving; /* the loop handles SIGHUP */

static void
on_signal(int sig)
{
	int  saved = errno;
	char c = (char)sig;

	if (sig != SIGHUP && exit_now)
		_exit(0); /* loading: nothing is touched yet */
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (write(sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the flags say it all. */
	}
	errno = saved;
}

int
engine_signals(int loading)
{
	struct sigaction sa;

	exit_now = loading;
	if (sigpipe[0] != -1)
		return 0;
	if (pipe(sigpipe) == -1) {
		log_warn("pipe");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (fcntl(sigpipe[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sigpipe[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(sigpipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(sigpipe[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		log_warn("signals");
		return -1;
	}
	return 0;
}

void
engine_request_reload(void)
{
	char c = (char)SIGHUP;

	api_hup = 1;
	got_hup = 1;
	if (sigpipe[1] != -1 && write(sigpipe[1], &c, 1) == -1) {
		/* The pipe is full: the flag says it. */
	}
}

int
engine_stopping(void)
{
	return got_term != 0;
}

int
engine_interrupted(void)
{
	return got_term || (serving && got_hup);
}

int
engine_sig_fd(void)
{
	return sigpipe[0];
}

void
engine_sig_drain(void)
{
	char drain[64];

	while (read(sigpipe[0], drain, sizeof(drain)) > 0)
		;
}

int
engine_sig_reload(void)
{
	int api;

	if (!got_hup)
		return 0;
	got_hup = 0;
	api = api_hup != 0;
	api_hup = 0;
	return api ? 2 : 1;
}

void
engine_sig_loading(int on)
{
	exit_now = on;
}

void
engine_sig_serving(int on)
{
	serving = on;
}
