/*
 * loa.h: the types shared by loa's modules: the service config, the plan
 * and the jobs a plan expands into.
 *
 * Data flows one way: config text -> struct service and struct plan
 * (plan/service.c, plan/planfile.c) -> resolved times (plan/resolve.c) ->
 * jobs (jobs/expand.c, jobs/slots.c) -> output (jobs/timeline.c). Every
 * string here is UTF-8 in NFC, owned by the struct's arena unless said
 * otherwise. The names of the enumerations are in names.c.
 */
#ifndef LOA_H
#define LOA_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/timex.h"

struct arena;
struct tmpl;

/* The years a time may fall in: outside them it is a typo, not a plan. */
#define LOA_YEAR_MIN 2000
#define LOA_YEAR_MAX 2100

enum channel {
	CH_EMAIL,
	CH_SMS,
	CH_BROADCAST,
	CH__N
};
#define CHM(c) (1u << (c))

enum job_kind {
	JK_DISTRIBUTION,
	JK_INVITATION,
	JK_UPDATE,
	JK_CANCEL,
	JK_EVENT_REMINDER,
	JK_TASK_REMINDER,
	JK_OVERDUE,
	JK_BROADCAST,
	JK__N
};

enum job_state {
	JS_HELD,
	JS_PENDING,
	JS_SENDING,
	JS_SENT,
	JS_DELIVERED,
	JS_FAILED,
	JS_DEAD,
	JS_EXPIRED,
	JS_CANCELLED,
	JS_SKIPPED,
	JS__N
};

enum priority {
	PRIO_NORMAL,
	PRIO_HIGH,
	PRIO_EMERGENCY,
	PRIO__N
};

enum ev_status {
	EV_CONFIRMED,
	EV_TENTATIVE,
	EV_CANCELLED,
	EV__N
};


/* A time expression as written, parsed, and once resolved, its value. */
struct when {
	char	    *src; /* NULL: not given */
	struct loc   loc;
	const char  *key; /* "start", "due", "remind[1]" ... */
	struct texpr x;
	int64_t	     t;		/* UTC; TIMEX_NONE until resolved */
	char	    *tentative; /* why it is not exact, or NULL */
	int	     state;	/* resolution: 0 new, 1 busy, 2 done */
};

/* A reference to an id, where it was written. */
struct idref {
	char	  *id;
	struct loc loc;
};

struct idlist {
	struct idref *v;
	size_t	      n;
};

/*
 * Somebody loa can send to: a person of the directory, or an agency's
 * shared mailbox.
 */
struct contact {
	char		    *id;
	char		    *name;
	char		    *title;
	char		    *email;    /* NULL: none */
	char		    *phone;    /* E.164, NULL: none */
	unsigned	     channels; /* accepted: CHM(CH_EMAIL) ... */
	int		     mailbox;  /* an agency's mailbox */
	const struct agency *agency;   /* the mailbox's agency */
	struct loc	     loc;
	size_t		     index; /* in its plan's contacts */
};

struct group {
	char	     *id;
	char	     *name;
	struct idlist members;
	struct loc    loc;
	int	      visiting; /* expansion scratch */
};

struct agency {
	char	       *id;
	char	       *name;
	struct idref	head; /* head.id NULL: none */
	struct idlist	members;
	struct contact *mailbox; /* NULL: none */
	struct loc	loc;
	int		visiting;
};

struct distribution {
	int	      present;
	struct when   at;
	struct idlist to;
	char	    **attachments;
	size_t	      nattachments;
	unsigned      channels;
	struct loc    loc;
};

struct event {
	char	      *id;
	char	      *title;
	char	      *description;
	char	      *location;
	struct when    start;
	struct when    end;
	int64_t	       duration; /* seconds, or -1 */
	struct idref   organizer;
	struct idlist  attendees;
	struct idlist  optional;
	char	     **agenda;
	size_t	       nagenda;
	struct when    invite;
	struct when   *reminders;
	size_t	       nreminders;
	unsigned       reminder_channels;
	enum ev_status status;
	struct loc     loc;
};

struct task {
	char	     *id;
	char	     *title;
	char	     *description;
	struct idlist owner;
	struct idlist with;
	struct when   due;
	struct when  *remind;
	size_t	      nremind;
	struct when   overdue;
	unsigned      channels;
	struct loc    loc;
};

/* A broadcast's CAP 1.2 <info> values (render/cap.h); NULL members take
 * the defaults. */
struct cap_item {
	char	  *category;
	char	  *event;
	char	  *urgency;
	char	  *severity;
	char	  *certainty;
	char	  *instruction;
	struct loc loc;
};

struct broadcast {
	char		*id;
	char		*title;
	char		*text;
	struct cap_item *cap; /* NULL: not given, the defaults */
	struct when	*air;
	size_t		 nair;
	struct when	 expires;
	enum priority	 priority;
	struct idlist	 sms_to;    /* its text also goes by SMS to these */
	int		 cancelled; /* `loa broadcast cancel`: not expanded */
	struct loc	 loc;
};

struct plan {
	struct arena	*arena;
	const char	*file;
	char		*dir; /* folder of the plan file */
	char		*id;
	struct loc	 id_loc; /* where plan.id is written */
	char		*title;
	char		*issuer;
	struct idref	 signed_by;
	struct when	 issued;
	const struct tz *tz;
	struct calendar	 cal;

	struct contact	  **contacts; /* people, then agency mailboxes */
	size_t		    ncontacts;
	size_t		    npeople;
	struct group	   *groups;
	size_t		    ngroups;
	struct agency	   *agencies;
	size_t		    nagencies;
	struct distribution distribution;
	struct event	   *events;
	size_t		    nevents;
	struct task	   *tasks;
	size_t		    ntasks;
	struct broadcast   *broadcasts;
	size_t		    nbroadcasts;

	/* id -> struct contact / group / agency / event / task. */
	struct strmap *names;

	/* The words its messages and iCalendar objects use: the service's
	 * templates (tmpl.h), NULL for the built-in ones. */
	const struct tmpl *templates;
};

enum gw_kind {
	GW_SMTP,
	GW_HTTP,
	GW_FILE,
	GW_SPOOL,
	GW__N
};

/*
 * One value of an http gateway's request template (headers, query, form,
 * json): a string whose placeholders ({to}, {text}, {id} ...) are filled
 * in per message, a literal number or boolean (json only), or a list or
 * group of them (json only).
 */
enum tfield_type {
	TF_STR,
	TF_INT,
	TF_REAL,
	TF_BOOL,
	TF_ARRAY,
	TF_GROUP
};

struct tfield {
	char		*name; /* NULL in an array */
	enum tfield_type type;
	char		*value; /* TF_STR: the template */
	long long	 ival;	/* TF_INT, TF_BOOL */
	double		 real;	/* TF_REAL */
	struct tfield	*sub;	/* TF_ARRAY, TF_GROUP */
	size_t		 nsub;
	struct loc	 loc;
};

enum http_body {
	HB_NONE,
	HB_FORM,
	HB_JSON
};

enum http_auth {
	HA_NONE,
	HA_BASIC,  /* user:secret, or secret:x without a user */
	HA_BEARER, /* Authorization: Bearer secret */
	HA_HEADER  /* auth_header: secret */
};

/*
 * An http gateway's request and how its answer is read (preset filled in,
 * the config's own keys over it).
 */
struct http_tmpl {
	char	      *preset; /* NULL: none */
	char	      *method;
	char	      *url;			   /* a template too */
	struct tfield  headers, query, form, json; /* TF_GROUP each */
	enum http_body body;
	enum http_auth auth;
	char	      *auth_header;
	char	      *dlr_url;	       /* a template; NULL: none */
	char	      *dlr_token_file; /* {dlr_token}'s file; NULL: none */
	/* Success: one of status (none given: any 2xx); then, when ok is
	 * given, the value at pointer of the JSON body (no pointer: the
	 * body's start) must be one of ok, or of already_sent. A value in
	 * retry is a temporary failure. */
	int	      *status;
	size_t	       nstatus;
	char	      *pointer;
	char	     **ok, **retry, **already_sent;
	size_t	       nok, nretry, nalready;
};

struct gateway {
	char		 *id;
	enum gw_kind	  kind;
	char		 *url;
	char		 *preset;
	char		 *from;
	char		 *sender;   /* http: the SMS sender id; smtp: Sender: */
	char		 *reply_to; /* Reply-To: "addr" or "Name <addr>" */
	char		 *dir;
	char		 *tls;
	char		 *user;
	char		 *user_env;
	char		 *password_env;
	char		 *password_file;
	char		 *ca_file; /* smtp: a private CA's certificates */
	char		 *method;
	char		 *token_env;
	char		 *token_file;
	struct http_tmpl *http; /* kind http; NULL otherwise */
	int		  fold;
	int		  insecure;
	int		  concurrency;
	double		  rate;	   /* per second, 0: unlimited */
	int64_t		  timeout; /* seconds */
	int		  max_parts;
	int		  embedded; /* made up: no gateways configured */
	struct loc	  loc;
};

struct slot {
	char	  *name;
	unsigned   days;  /* bit 0 Monday .. bit 6 Sunday */
	int	   start; /* minute of the day */
	int	   end;
	struct loc loc;
};

/* A word of broadcast.say and how it is read aloud (render/spoken.h). */
struct say {
	char	  *word; /* NFC, no white space */
	char	  *as;	 /* NFC */
	struct loc loc;
};

/*
 * A template of the service config's templates section as written, not
 * yet checked: tmpl_install (render/tmpl.h) validates and installs it.
 */
struct tmpl_override {
	char	   *key;     /* the setting's name */
	char	   *text;    /* NFC; NULL: not a usable string */
	const char *problem; /* why text is NULL */
	struct loc  loc;
};

struct service {
	struct arena	*arena;
	char		*file;
	char		*dir;
	const struct tz *tz;
	char		*store; /* path, resolved against dir */
	char	       **plans; /* paths, resolved against dir */
	struct loc	*plan_locs;
	size_t		 nplans;
	struct quiet	 quiet;
	int64_t		*holidays; /* sorted day numbers */
	size_t		 nholidays;
	struct when	*default_remind;
	size_t		 ndefault_remind;
	char		*http_listen;
	char		*http_token_file;
	char		*http_dlr_token_file;  /* NULL: /dlr refuses all */
	int64_t		 http_unhealthy_after; /* a gateway failing this long:
						  /healthz says 503 */
	int		 http_client_conns;    /* connections an address
						  may hold at once */
	int64_t		 http_request_timeout; /* s from accept to a whole
						  request */
	int		 http_on; /* loa.http.listen given: run serves it */
	int		 max_parts;

	struct gateway *gateways;
	size_t		ngateways;
	struct gateway *channel_gw[CH__N];

	/* broadcast.cap: the CAP alerts' sender, areaDesc (NULL: the plan's
	 * issuer) and status ("Actual" unless a drill). */
	char *cap_sender;
	char *cap_area;
	char *cap_status;

	struct slot *slots;
	size_t	     nslots;
	int	     words_per_minute;
	int64_t	     gap; /* seconds */
	char	    *tts_engine;
	char	    *tts_voice;
	struct say  *say; /* broadcast.say, as written, in order */
	size_t	     nsay;
	/*
	 * broadcast.tts (tts_engine NULL: off): espeak's words a minute;
	 * the chime, a WAV resolved against dir, and its samples once
	 * speech_install has read it; the announcer's opening line or NULL.
	 */
	int	     tts_rate;
	char	    *tts_chime;
	char	    *tts_chime_pcm;
	size_t	     tts_chime_len;
	char	    *tts_opening;
	struct loc   tts_loc, tts_voice_loc, tts_chime_loc;

	struct tmpl_override *tmpl_overrides; /* as written, in order */
	size_t		      ntmpl_overrides;
	struct tmpl	     *templates; /* tmpl_install; NULL until then */
};

/* What a plan-wide id names. */
enum named_kind {
	N_PERSON,
	N_GROUP,
	N_AGENCY,
	N_EVENT,
	N_TASK,
	N_BROADCAST
};

struct named {
	enum named_kind kind;
	void	       *p;
	struct loc	loc;
};

/* A job: one message to one recipient on one channel at one time. */
struct job {
	char		      id[17];	    /* 16 hex digits */
	unsigned char	      kind;	    /* enum job_kind */
	unsigned char	      channel;	    /* enum channel */
	unsigned char	      state;	    /* enum job_state */
	unsigned char	      sms_encoding; /* enum sms_encoding */
	unsigned char	      priority;	    /* broadcast: enum priority */
	unsigned char	      placed;	 /* broadcast: due, slot and state are
					 slots_place's (slots.h) */
	int		      ordinal;	 /* which reminder, air time */
	int		      sms_parts; /* 0 unless SMS */
	const struct plan    *plan;
	const char	     *object; /* event, task, broadcast id */
	const struct contact *to;     /* NULL for a broadcast */
	const char	     *address;
	int64_t		      due;	/* UTC */
	int64_t		      refers;	/* deadline, start or (for a
						   broadcast) expiry, or NONE */
	const char	     *reason;	/* NULL, or why held/skipped */
	const char	     *slot;	/* broadcast: slot name */
	int		      duration; /* broadcast: seconds */
};

struct jobs {
	struct job   *v;
	size_t	      n;
	size_t	      cap;
	struct arena *arena; /* reasons */
};

/*
 * Names (names.c): how each value of these enumerations is written, in
 * config files, the outbox, the timeline and messages. The tables are
 * indexed by value; every name is a static string.
 */
extern const char *const channel_names[CH__N];
extern const char *const job_kind_names[JK__N];
extern const char *const job_state_names[JS__N];
extern const char *const priority_names[PRIO__N];
extern const char *const gw_kind_names[GW__N];
extern const char *const ev_status_names[EV__N];

/*
 * The value whose name is exactly name (case matters) into *out. Return 0,
 * or -1 when name is NULL or names no value, with *out left alone: there
 * is no default for an unknown name.
 */
int channel_from_name(const char *name, enum channel *out);
int job_kind_from_name(const char *name, enum job_kind *out);
int job_state_from_name(const char *name, enum job_state *out);
int priority_from_name(const char *name, enum priority *out);
int gw_kind_from_name(const char *name, enum gw_kind *out);
int ev_status_from_name(const char *name, enum ev_status *out);

#endif
