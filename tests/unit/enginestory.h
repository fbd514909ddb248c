/*
 * enginestory.h: the story the engine suites tell (check_engine_*.c): plan
 * 7/KH-UBND, whose version 1 is reconciled and its invitations sent, then
 * a changed version 2 is loaded into a new engine on the same outbox and
 * reconciled; the outbox is compared, job by job, with what conf/REFERENCE.md
 * §6 asks for. Each test gets its folder from the fixture (story_setup,
 * story_teardown): a small service config, the plan written from a struct
 * version, the SQLite outbox and the file gateways' output (outbox/mail/
 * ID.eml, outbox/sms.jsonl).
 */
#ifndef LOA_ENGINESTORY_H
#define LOA_ENGINESTORY_H

#include <stddef.h>
#include <stdint.h>

#include "deliver/engine.h"
#include "deliver/outbox.h"
#include "enginefx.h"
#include "testutil.h"

#define PLAN_ID "7/KH-UBND"

/* The moments of the story (local time). */
#define NOW0  "2026-03-01 09:00" /* version 1 is loaded */
#define T_INV "2026-03-13 08:00" /* invitations: start - 7d at 08:00 */
#define NOW1  "2026-03-14 10:00" /* version 2 is loaded */

/* One version of the plan: what the tests change between versions. */
struct version {
	const char *start;
	const char *location;
	const char *attendees;
	const char *status;
	const char *task_due;
	const char *remind; /* the task's, NULL: one a day ahead */
};

extern const struct version V1;
/* The attendees of version 1. */
extern const char *const    RCPT[3];

/* The outbox's jobs. */
/*
 * A job as the tests read it: the outbox's row with kind, channel and
 * state as their names, so that assertions read like conf/REFERENCE.md §6.
 */
struct tjob {
	char	      id[17];
	const char   *plan;
	const char   *kind;
	const char   *object;
	int	      ordinal;
	const char   *recipient;
	const char   *name;
	const char   *channel;
	const char   *address;
	int64_t	      due;
	int64_t	      refers;
	int64_t	      next_at;
	int64_t	      first_at;
	int64_t	      sent_at;
	const char   *state;
	const char   *reason;
	int	      attempts;
	int	      seq;
	const char   *payload;
	const char   *last_error;
	int	      sms_parts;
	struct ob_job row; /* owns the strings */
};

struct jobv {
	struct tjob *v;
	size_t	     n;
};

/* The lines of version 1 before anything is sent. */
#define REMINDERS_PENDING \
	"event-reminder an sms 0 0 pending", \
	    "event-reminder binh sms 0 0 pending", \
	    "event-reminder chau sms 0 0 pending"
#define TASK_JOBS(state) \
	"task-reminder vhxh email 0 0 " state, \
	    "task-reminder hung email 0 0 " state, \
	    "task-reminder hung sms 0 0 " state, \
	    "task-reminder khanh email 0 0 " state, \
	    "task-reminder khanh sms 0 0 " state, \
	    "overdue vhxh email 0 0 " state, "overdue hung email 0 0 " state, \
	    "overdue hung sms 0 0 " state, "overdue khanh email 0 0 " state, \
	    "overdue khanh sms 0 0 " state
#define INVITATIONS(state) \
	"invitation an email 0 0 " state, "invitation an sms 0 0 " state, \
	    "invitation binh email 0 0 " state, \
	    "invitation binh sms 0 0 " state, \
	    "invitation chau email 0 0 " state, \
	    "invitation chau sms 0 0 " state

/* The fixture: the folder (efx) and the lists a failed test left. */
void story_setup(void);
void story_teardown(void);

/*
 * Write version v of the plan: event hop, organised by the agency vhxh
 * (which has a mailbox, so nobody of it is invited through it), three
 * attendees with email and phone, one SMS reminder; task bao-cao owned by
 * vhxh (its mailbox, head hung and member khanh), one reminder and an
 * overdue notice. dung, who has only a phone, is invited by some tests.
 * Then a new engine over it, loaded at now, on the test's outbox.
 */
struct engine *open_engine(const struct version *v, const char *now);
void	       close_engine(void);
/* open_engine, then reconcile at now (the stats in rs, when not NULL). */
void load(const struct version *v, const char *now, struct reconcile_stats *rs);
/* Reconcile (the stats in rs, when not NULL), step, at local time now. */
void reconcile(const char *now, struct reconcile_stats *rs);
void step(const char *now);

/* The outbox's jobs, into jv; jobs_put frees them. */
void		   jobs_get(struct jobv *jv);
void		   jobs_put(struct jobv *jv);
/* The job (kind, recipient, channel, ordinal): exactly one, or NULL;
 * job_need: there must be one; job_in: and it is in state. */
const struct tjob *job_find(const struct jobv *jv, const char *kind,
    const char *rcpt, const char *ch, int ordinal);
const struct tjob *job_need(const struct jobv *jv, const char *kind,
    const char *rcpt, const char *ch, int ordinal);
const struct tjob *job_in(const struct jobv *jv, const char *kind,
    const char *rcpt, const char *ch, int ordinal, const char *state);
/*
 * The outbox holds exactly these jobs, each given as "kind recipient
 * channel ordinal seq state" (NULL-terminated list, any order).
 */
void		   expect_jobs(const char *const *want);
/* How many jobs the outbox holds. */
size_t		   jobs_count(void);
/* The outbox's ids of kind, sorted into one string, to compare sets.
 * Caller frees. */
char		  *ids_of(const char *kind);

/* The body of the first part whose Content-Type starts with type, decoded
 * from base64; NULL when there is none. Caller frees. */
char *mime_part(const char *msg, const char *type);
/* The mail of job id, as the file gateway wrote it. Caller frees. */
char *eml_of(const char *id);
/*
 * The iCalendar object of the mail of job id: the text/calendar part, which
 * must be the same as the application/ics attachment, unfolded. Caller
 * frees.
 */
char *ics_of(const char *id);
/* Does the iCalendar text hold this exact content line? */
int   ics_has(const char *ics, const char *line);
/* The text of the SMS of job id in sms.jsonl, which must hold it exactly
 * once. Caller frees. */
char *sms_of(const char *id);

/*
 * The iCalendar object of the mail of job id holds each content line given
 * (a NULL-ended list), and none given with a leading '!'.
 */
void expect_ics(const char *id, ...);
/* The SMS of job id, or the text of its mail, holds has and, when hasnt is
 * not NULL, does not hold hasnt. */
void expect_sms(const char *id, const char *has, const char *hasnt);
void expect_mail(const char *id, const char *has, const char *hasnt);

/*
 * Version 1: reconciled at NOW0, invitations sent at T_INV; then the engine
 * is closed, as a process would be before a restart with version 2.
 */
void invite_v1(void);

#endif
