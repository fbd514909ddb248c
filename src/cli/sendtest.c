/*
 * sendtest.c: `loa send-test --channel C --to ADDR` (conf/REFERENCE.md §8): one
 * test message through the gateway the config gives channel C, synchronously,
 * to see that the gateway works before a plan depends on it. Exit 0 and
 * the gateway's answer when it took the message; 3 and its words when it
 * did not; 1 for a config that does not validate or a gateway that cannot
 * start; 2 for usage. One function per channel.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "gw/gw.h"
#include "plan/phone.h"
#include "render/mime.h"
#include "util/log.h"
#include "util/sms.h"
#include "util/text.h"
#include "util/mem.h"

static const char sendtest_usage[] =
    "usage: loa [-c FILE] send-test --channel email|sms --to ADDRESS\n"
    "\n"
    "Send one test message through the gateway the config gives the channel\n"
    "(channels = { email = ...; sms = ...; }), and print what it answered.\n"
    "ADDRESS: an email address, or a phone number (0912 345 678, +84...).\n"
    "Exit 0 when the gateway took it, 3 with its words when it did not.\n";

struct sendtest {
	const struct service *svc;
	const char	     *to;
};

/* The answer of the send test; the gateway's answer goes to stdout. */
static void
on_done(void *arg, const struct gw_answer *a)
{
	*(struct gw_answer *)arg = *a;
}

/*
 * Hand m to gateway g and wait for its answer (the gateway's own timeout
 * bounds the wait; a minute more is a gateway that lost it).
 */
static void
send_wait(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	time_t end = time(NULL) + (g->cfg != NULL ? g->cfg->timeout : 30) + 60;
	char   err[256];

	memset(a, 0, sizeof(*a));
	a->id = m->id;
	if (g->backend->submit(g, m, a) == GW_INFLIGHT) {
		a->result = GW_INFLIGHT;
		while (a->result == GW_INFLIGHT && time(NULL) < end) {
			struct pollfd pfd[16];
			int	      timeout = 1000, n;

			n = g->backend->pollfds(g, pfd, 16, &timeout);
			if (timeout < 0 || timeout > 1000)
				timeout = 1000;
			if (poll(pfd, (nfds_t)n, timeout) == -1 &&
			    errno != EINTR)
				log_warn("poll");
			g->backend->poll(g, on_done, a);
		}
		if (a->result == GW_INFLIGHT) {
			a->result = GW_TEMPFAIL;
			snprintf(a->text, sizeof(a->text), "no answer in time");
		}
	}
	if (a->result == GW_OK &&
	    g->backend->flush(g, err, sizeof(err)) == -1) {
		a->result = GW_TEMPFAIL;
		snprintf(a->text, sizeof(a->text), "%s", err);
	}
}

/* A fresh random id, 16 hex digits: the test mail's Message-ID. */
static void
random_id(char *id, size_t len)
{
	unsigned char b[8];
	size_t	      i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		unsigned long long t = (unsigned long long)time(NULL) ^
		    (unsigned long long)clock();

		memcpy(b, &t, sizeof(b));
	}
	for (i = 0; i < sizeof(b) && 2 * i + 2 < len; i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
}

/*
 * The gateway the config gives channel ch, started: the configured one,
 * else the embedded file gateway beside the store. 0, or an exit code
 * with the reason printed.
 */
static int
open_gw(const struct service *svc, enum channel ch, struct gw *g)
{
	const char *const    *kinds = gw_kind_names;
	const struct gateway *cfg = svc->channel_gw[ch];
	char		      err[512];

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	g->cfg = cfg;
	if (cfg == NULL) {
		const char *s = strrchr(svc->store, '/');

		g->backend = gw_lookup("file");
		g->dir = s == NULL ?
		    xstrdup("outbox") :
		    xasprintf("%.*s/outbox", (int)(s - svc->store), svc->store);
	} else {
		/* email goes through smtp or file; SMS through http or file */
		int carries = cfg->kind == GW_FILE ||
		    (ch == CH_EMAIL && cfg->kind == GW_SMTP) ||
		    (ch == CH_SMS && cfg->kind == GW_HTTP);

		g->backend = gw_lookup(kinds[cfg->kind]);
		g->dir = cfg->dir != NULL ? xstrdup(cfg->dir) : NULL;
		if (g->backend == NULL || !carries) {
			fprintf(stderr,
			    "loa: send-test: gateway %s (kind %s) does not "
			    "carry %s\n",
			    cfg->id, kinds[cfg->kind],
			    ch == CH_EMAIL ? "email" : "SMS");
			free(g->dir);
			return EXIT_INVALID;
		}
	}
	umask(077);
	if (g->backend->init(g, err, sizeof(err)) == -1) {
		fprintf(stderr, "loa: send-test: %s\n", err);
		free(g->dir);
		return EXIT_INVALID;
	}
	return 0;
}

/* Print the answer a of gateway cfg for to; the exit code. */
static int
report(const struct gateway *cfg, const char *to, const struct gw_answer *a)
{
	if (a->result != GW_OK) {
		fprintf(stderr, "loa: send-test: gateway %s: %s\n",
		    cfg != NULL ? cfg->id : "(embedded file)", a->text);
		return EXIT_RUNTIME;
	}
	printf("sent to %s through gateway %s: %s\n", to,
	    cfg != NULL ? cfg->id : "(embedded file)", a->text);
	return 0;
}

static int
sendtest_email(const struct sendtest *t)
{
	const struct gateway *cfg = t->svc->channel_gw[CH_EMAIL];
	struct gw	      g;
	struct gw_msg	      m;
	struct gw_answer      a;
	struct mime_mail      mm;
	char		      id[32] = "", *name = NULL, *addr;
	char		     *data;
	const char	     *p;
	int		      rc;

	if (strchr(t->to, '@') == NULL || t->to[0] == '@' ||
	    strchr(t->to, '@')[1] == '\0') {
		fprintf(stderr,
		    "loa: send-test: --to \"%s\" is not an address\n", t->to);
		return EXIT_USAGE;
	}
	for (p = t->to; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
		    *p == '"' || *p == ',' || *p == 0x7f) {
			fprintf(stderr,
			    "loa: send-test: --to \"%s\" is not an address\n",
			    t->to);
			return EXIT_USAGE;
		}
	if ((rc = open_gw(t->svc, CH_EMAIL, &g)) != 0)
		return rc;
	random_id(id, sizeof(id));
	text_addr_split(cfg != NULL && cfg->from != NULL ?
		cfg->from :
		"loa <loa@localhost>",
	    &name, &addr);
	memset(&mm, 0, sizeof(mm));
	mm.from_name = name;
	mm.from_addr = addr;
	mm.to = t->to;
	mm.subject = "Thư thử của loa";
	mm.body = "Đây là thư thử do loa gửi để kiểm tra cổng thư điện tử.\n"
		  "Nếu anh/chị nhận được thư này, loa đã gửi được thư qua cổng "
		  "đã cấu hình.\n"
		  "Không cần trả lời thư này.\n";
	mm.id = id;
	mm.date = (int64_t)time(NULL);
	data = mime_build(&mm);
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.channel = "email";
	m.to = t->to;
	m.data = data;
	send_wait(&g, &m, &a);
	g.backend->shutdown(&g);
	free(g.dir);
	free(data);
	free(name);
	free(addr);
	return report(cfg, t->to, &a);
}

static int
sendtest_sms(const struct sendtest *t)
{
	const struct gateway *cfg = t->svc->channel_gw[CH_SMS];
	struct gw	      g;
	struct gw_msg	      m;
	struct gw_answer      a;
	struct sms_info	      si;
	char		      id[32] = "", to[32], err[256], *text;
	int		      rc;

	if (phone_e164(t->to, to, sizeof(to), err, sizeof(err)) == -1) {
		fprintf(stderr, "loa: send-test: --to \"%s\": %s\n", t->to,
		    err);
		return EXIT_USAGE;
	}
	if ((rc = open_gw(t->svc, CH_SMS, &g)) != 0)
		return rc;
	random_id(id, sizeof(id));
	text = xstrdup("Tin nhắn thử của loa: cổng SMS đã gửi được tin này. "
		       "Không cần trả lời.");
	if (cfg != NULL && cfg->fold) {
		char *f = text_fold(text);

		if (f != NULL) {
			free(text);
			text = f;
		}
	}
	sms_analyse(text, &si);
	memset(&m, 0, sizeof(m));
	m.id = id;
	m.channel = "sms";
	m.to = to;
	m.data = text;
	m.encoding = sms_encoding_name(si.encoding);
	m.parts = si.parts;
	send_wait(&g, &m, &a);
	g.backend->shutdown(&g);
	free(g.dir);
	free(text);
	return report(cfg, to, &a);
}

static const struct {
	const char *channel;
	int (*send)(const struct sendtest *);
} sendtests[] = {
	{ "email", sendtest_email },
	{ "sms", sendtest_sms },
};

int
cmd_sendtest(const char *cfg, int argc, char **argv)
{
	struct world	w;
	struct sendtest t = { 0 };
	const char     *channel = NULL;
	size_t		k;
	int		i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(sendtest_usage, stdout);
			return 0;
		} else if (strcmp(argv[i], "--channel") == 0 &&
		    (channel = opt_arg(argc, argv, &i)) != NULL)
			;
		else if (strcmp(argv[i], "--to") == 0 &&
		    (t.to = opt_arg(argc, argv, &i)) != NULL)
			;
		else {
			fprintf(stderr,
			    "loa: send-test: unknown or incomplete option "
			    "\"%s\"\n%s",
			    argv[i], sendtest_usage);
			return EXIT_USAGE;
		}
	}
	if (channel == NULL || t.to == NULL) {
		fprintf(stderr, "loa: send-test: needs --channel and --to\n%s",
		    sendtest_usage);
		return EXIT_USAGE;
	}
	for (k = 0; k < sizeof(sendtests) / sizeof(sendtests[0]); k++)
		if (strcmp(sendtests[k].channel, channel) == 0)
			break;
	if (k == sizeof(sendtests) / sizeof(sendtests[0])) {
		fprintf(stderr,
		    "loa: send-test: unknown channel \"%s\"; expected "
		    "email or sms\n",
		    channel);
		return EXIT_USAGE;
	}
	memset(&w, 0, sizeof(w));
	if (load_quiet(&w, cfg, (int64_t)time(NULL), LOAD_NOTE_SEND) == -1)
		return EXIT_INVALID;
	t.svc = w.svc;
	rc = sendtests[k].send(&t);
	world_free(&w);
	return rc;
}
