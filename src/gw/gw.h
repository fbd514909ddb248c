/*
 * gw.h: gateways carry rendered messages; they know nothing of plans or
 * SQLite. A backend is a struct of function pointers (as OpenSMTPD's
 * scheduler backends), looked up by kind.
 *
 * submit either finishes at once (GW_OK, GW_TEMPFAIL, GW_PERMFAIL) or
 * returns GW_INFLIGHT and reports later through poll: the interface the
 * libcurl multi gateways (SMTP, HTTP) use, where nothing blocks on one send.
 */
#ifndef LOA_GW_H
#define LOA_GW_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "loa.h"

enum gw_result {
	GW_OK,
	GW_TEMPFAIL, /* retry with backoff */
	GW_PERMFAIL, /* dead, with the answer kept */
	GW_INFLIGHT, /* taken; the answer comes through poll */
	/*
	 * The gateway's own configuration is wrong (a refused password, a
	 * certificate not trusted): every message would fail the same way.
	 * Retried with backoff and never dead, so mending the config is
	 * enough; the gateway logs it once.
	 */
	GW_CONFFAIL,
};

/* A message ready to go: only bytes and addresses. */
struct gw_msg {
	const char *id;	      /* the job id: the idempotency key */
	const char *channel;  /* "email", "sms", "broadcast" */
	const char *to;	      /* address; NULL for a broadcast */
	const char *data;     /* email: the whole MIME message;
					   sms: the text; broadcast: JSON */
	const char *text;     /* broadcast: the plain text */
	const char *encoding; /* sms: "gsm7" or "ucs2" */
	int	    parts;    /* sms */
	const char *title;    /* broadcast */
	/* broadcast: the item read aloud as a WAV (16-bit PCM mono), NULL
	 * without speech; and its CAP 1.2 alert (emergencies), or NULL. */
	const void *audio;
	size_t	    audio_len;
	const char *cap;
	/* sms: how the text differs from the plan's ("cut to 3 parts (was
	 * 5)"), "" when it does not; the gateway's answer starts with it. */
	char	    note[64];
};

/* What a gateway answered. */
struct gw_answer {
	const char    *id;
	enum gw_result result;
	/* Seconds the gateway asked for (Retry-After), 0: none said. The
	 * engine holds the whole gateway that long, not one message. */
	int64_t	       retry_after;
	char	       text[256]; /* the gateway's words, or the file */
};

struct gw;

struct gw_backend {
	const char *name;
	int (*init)(struct gw *, char *err, size_t errlen);
	enum gw_result (
	    *submit)(struct gw *, const struct gw_msg *, struct gw_answer *);
	/* Descriptors to wait on, and a timeout in ms (-1: none). */
	int (*pollfds)(struct gw *, struct pollfd *, int max, int *timeout);
	/* Drive in-flight sends; report finished ones through done. */
	void (*poll)(struct gw *,
	    void (*done)(void *, const struct gw_answer *), void *arg);
	/* Make what was accepted durable (before the outbox records it as
	 * sent); 0 or -1. */
	int (*flush)(struct gw *, char *err, size_t errlen);
	void (*shutdown)(struct gw *);
};

struct gw {
	const struct gw_backend *backend;
	/* The gateway as configured; NULL for the embedded file default. */
	const struct gateway	*cfg;
	char			*dir;	/* file, spool */
	int			 fd;	/* file: sms.jsonl */
	int			 dirty; /* written, not synced */
	void			*priv;
};

/* The backends (gw.c looks them up by kind). */
extern const struct gw_backend gw_backend_file; /* file and spool */
extern const struct gw_backend gw_backend_smtp;
extern const struct gw_backend gw_backend_http; /* http (SMS) */

const struct gw_backend *gw_lookup(const char *kind);

/*
 * A broadcast's record (m->data, conf/REFERENCE.md §7's JSON) as the station
 * gets it: "audio" is "ID.wav" when m has audio, else null. Caller frees.
 */
char *gw_record(const struct gw_msg *m);

#endif
