/*
 * icalcheck.c: the iCalendar suites' checks of each kind of object
 * against its plan (see icalfx.h).
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <libical/ical.h>

#include "util/diag.h"
#include "render/ical.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "util/text.h"
#include "jobs/world.h"
#include "util/strmap.h"
#include "icalfx.h"


/*
 * The invitees of ev that have an email address: attendees, then optional
 * ones not already attendees, without the organizer; into a pool array.
 */
struct invitee *
invitees(struct plan *p, const struct event *ev, size_t *n)
{
	const struct contact **req = NULL, **opt = NULL;
	const struct contact  *org = plan_organizer(p, ev);
	size_t		       nreq = 0, creq = 0, nopt = 0, copt = 0, i, j;
	struct invitee	      *v;

	plan_recipients(p, &ev->attendees, org, &req, &nreq, &creq);
	plan_recipients(p, &ev->optional, org, &opt, &nopt, &copt);
	v = calloc(nreq + nopt + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	keep(POOL_FREE, v);
	*n = 0;
	for (i = 0; i < nreq; i++)
		if (req[i]->email != NULL)
			v[(*n)++].c = req[i];
	for (i = 0; i < nopt; i++) {
		if (opt[i]->email == NULL)
			continue;
		for (j = 0; j < nreq && req[j] != opt[i]; j++)
			;
		if (j < nreq)
			continue;
		v[*n].c = opt[i];
		v[(*n)++].optional = 1;
	}
	free(req);
	free(opt);
	return v;
}

/* The organizer's contact as conf/REFERENCE.md §4 reads it: organizer, else signer. */
const struct contact *
organizer_of(struct plan *p, const struct event *ev)
{
	const struct contact *c = plan_organizer(p, ev);

	if (c != NULL && c->email != NULL)
		return c;
	if (p->signed_by.id != NULL)
		return person_get(p, p->signed_by.id);
	return NULL;
}

/*
 * ATTENDEEs of an invitation (rsvp) or of a VTODO: exactly one for each
 * contact in v (by address), each with CUTYPE, ROLE, CN and, with rsvp,
 * PARTSTAT=NEEDS-ACTION and RSVP=TRUE; none for anybody else.
 */
void
check_attendees(const struct doc *d, const char *comp, icalcomponent *c,
    const struct invitee *v, size_t n, int rsvp, int quote_all)
{
	size_t i, k, found;

	ck_assert_msg(doc_count(d, comp, "ATTENDEE") == n,
	    "%s: %zu ATTENDEEs in %s; expected %zu", d->what,
	    doc_count(d, comp, "ATTENDEE"), comp, n);
	for (i = 0; i < n; i++) {
		char	   *to = kprintf("mailto:%s", v[i].c->email);
		const char *line = NULL, *l;
		char	   *par;

		for (k = 0, found = 0;
		     (l = doc_line(d, comp, "ATTENDEE", k)) != NULL; k++) {
			if (strcmp(prop_value(l), to) == 0) {
				line = l;
				found++;
			}
		}
		ck_assert_msg(found == 1, "%s: %zu ATTENDEEs %s; expected one",
		    d->what, found, to);
		par = prop_param(line, "CUTYPE");
		ck_assert_msg(par != NULL, "%s: no CUTYPE: %s", d->what, line);
		/* conf/REFERENCE.md §7's form, for an agency's mailbox too. */
		ck_assert_str_eq(par, "INDIVIDUAL");
		par = prop_param(line, "ROLE");
		ck_assert_msg(par != NULL, "%s: no ROLE: %s", d->what, line);
		ck_assert_str_eq(par,
		    v[i].optional ? "OPT-PARTICIPANT" : "REQ-PARTICIPANT");
		if (rsvp) {
			par = prop_param(line, "PARTSTAT");
			ck_assert_msg(par != NULL &&
				strcmp(par, "NEEDS-ACTION") == 0,
			    "%s: PARTSTAT: %s", d->what, line);
			par = prop_param(line, "RSVP");
			ck_assert_msg(par != NULL && strcmp(par, "TRUE") == 0,
			    "%s: RSVP: %s", d->what, line);
		} else
			ck_assert_msg(prop_param(line, "RSVP") == NULL,
			    "%s: RSVP in a published object: %s", d->what,
			    line);
		check_cn(d, line,
		    c ? prop_by_value(c, ICAL_ATTENDEE_PROPERTY, to) : NULL,
		    v[i].c->name, quote_all);
	}
}

/* ORGANIZER;CN="name":mailto:email, exactly one, in the VEVENT. */
void
check_organizer(const struct doc *d, icalcomponent *ve,
    const struct contact *org)
{
	const char *l = doc_one(d, "VEVENT", "ORGANIZER");
	char	   *to = kprintf("mailto:%s", org->email);

	ck_assert_msg(strcmp(prop_value(l), to) == 0, "%s: %s; expected %s",
	    d->what, l, to);
	check_cn(d, l,
	    icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY),
	    org->name, 1);
}

/* No ATTENDEE holds the organizer's address. */
void
check_organizer_not_invited(const struct doc *d, const struct contact *org)
{
	char  *to = kprintf("mailto:%s", org->email);
	size_t k;

	for (k = 0; k < doc_count(d, NULL, "ATTENDEE"); k++)
		ck_assert_msg(strcmp(prop_value(
					 doc_line(d, NULL, "ATTENDEE", k)),
				  to) != 0,
		    "%s: the organizer %s is an attendee", d->what, to);
}

/*
 * Every email invitation job of ev goes to an address that is an ATTENDEE
 * of the invitation (conf/REFERENCE.md §7: the ATTENDEE address is the address
 * the mail goes to).
 */
void
check_jobs_are_attendees(const struct doc *d, const struct loaded *w,
    const struct plan *p, const struct event *ev)
{
	size_t i, k, found;

	for (i = 0; i < w->w.jobs.n; i++) {
		const struct job *j = &w->w.jobs.v[i];
		char		 *to;

		if (j->plan != p || j->kind != JK_INVITATION ||
		    j->channel != CH_EMAIL || j->address == NULL ||
		    strcmp(j->object, ev->id) != 0)
			continue;
		to = kprintf("mailto:%s", j->address);
		for (k = 0, found = 0; k < doc_count(d, "VEVENT", "ATTENDEE");
		     k++)
			if (strcmp(prop_value(
				       doc_line(d, "VEVENT", "ATTENDEE", k)),
				to) == 0)
				found++;
		ck_assert_msg(found == 1,
		    "%s: the invitation to %s (%s) has "
		    "%zu ATTENDEEs of that address; expected one",
		    d->what, j->to ? j->to->id : "?", j->address, found);
	}
}

/*
 * The VEVENT of an invitation, cancellation or feed of event ev: UID,
 * DTSTAMP, SEQUENCE, times with TZID, text, STATUS.
 */
void
check_vevent_common(const struct doc *d, struct plan *p, const struct event *ev,
    int seq, const char *status)
{
	icalcomponent *ve;
	char	       uid[80];
	const char    *l;

	ical_uid(p, "event", ev->id, uid, sizeof(uid));
	ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid);
	ck_assert_msg(ve != NULL, "%s: no VEVENT with UID %s", d->what, uid);
	ck_assert_int_eq(icalcomponent_get_sequence(ve), seq);
	ck_assert_str_eq(icalcomponent_get_summary(ve),
	    ev->title ? ev->title : ev->id);
	if (ev->location != NULL)
		ck_assert_str_eq(icalcomponent_get_location(ve), ev->location);
	if (ev->description != NULL)
		ck_assert_msg(strncmp(icalcomponent_get_description(ve),
				  ev->description,
				  strlen(ev->description)) == 0,
		    "%s: DESCRIPTION does not start with the description",
		    d->what);
	ck_assert_str_eq(icalproperty_status_to_string(
			     icalcomponent_get_status(ve)),
	    status);

	/* Textual form, when the doc has this one event. */
	if (doc_ncomp(d, "VEVENT") == 1) {
		ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "UID")), uid);
		check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
		l = doc_one(d, "VEVENT", "SEQUENCE");
		ck_assert_int_eq(strtol(prop_value(l), NULL, 10), seq);
		check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
		    local_stamp(p->tz, ev->start.t));
		check_local_time(d, doc_one(d, "VEVENT", "DTEND"), "DTEND",
		    local_stamp(p->tz, ev->end.t));
		ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
		    status);
		doc_one(d, "VEVENT", "SUMMARY");
	}
}

const char *
event_status(const struct event *ev)
{
	if (ev->status == EV_CANCELLED)
		return "CANCELLED";
	if (ev->status == EV_TENTATIVE || ev->start.tentative != NULL)
		return "TENTATIVE";
	return "CONFIRMED";
}

/* iTIP needs an ORGANIZER address and an ATTENDEE address. */
int
itip_possible(const struct contact *org, const struct invitee *v, size_t n)
{
	size_t i;

	if (org == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i].c->email != NULL)
			return 1;
	return 0;
}

/*
 * The checks an invitation and a cancellation of ev share: METHOD method,
 * or PUBLISH without the addresses iTIP needs (RFC 5546 §3.2, then no
 * ORGANIZER and no ATTENDEE), one VEVENT of status, the organizer and the
 * invitees. 1 when the object is iTIP.
 */
static int
check_event_doc(const struct doc *d, struct plan *p, const struct event *ev,
    int seq, const char *method, const char *status, int quote_all)
{
	const struct contact *org = organizer_of(p, ev);
	size_t		      n;
	struct invitee	     *v = invitees(p, ev, &n);
	int		      itip = itip_possible(org, v, n);

	check_vcalendar(d, itip ? method : "PUBLISH");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	check_vevent_common(d, p, ev, seq, status);
	if (!itip) {
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ORGANIZER"), 0);
		ck_assert_uint_eq(doc_count(d, "VEVENT", "ATTENDEE"), 0);
		return 0;
	}
	if (org != NULL) {
		check_organizer(d, doc_vevent(d), org);
		check_organizer_not_invited(d, org);
		doc_itip(d);
	}
	check_attendees(d, "VEVENT", doc_vevent(d), v, n, 1, quote_all);
	return 1;
}

/* Every check of the invitation to ev, of SEQUENCE seq. */
struct doc *
check_request(const struct loaded *w, struct plan *p, const struct event *ev,
    int seq, int quote_all)
{
	char *what = kprintf("%s: ical_request(%s, %d)", w->path, ev->id, seq);
	struct doc *d = doc_open(ical_request(p, ev, seq,
				     LOCAL_TIME(STAMP_NOW)),
	    what);

	if (check_event_doc(d, p, ev, seq, "REQUEST", event_status(ev),
		quote_all))
		check_jobs_are_attendees(d, w, p, ev);
	return d;
}

/* Every check of the cancellation of the whole event ev. */
struct doc *
check_cancel(const struct loaded *w, struct plan *p, const struct event *ev,
    int seq, int quote_all)
{
	char *what = kprintf("%s: ical_cancel(%s, %d)", w->path, ev->id, seq);
	struct doc *d = doc_open(ical_cancel(p, ev, seq, LOCAL_TIME(STAMP_NOW),
				     NULL),
	    what);

	check_event_doc(d, p, ev, seq, "CANCEL", "CANCELLED", quote_all);
	return d;
}

/* The contact that stands for owner id in a VTODO (conf/REFERENCE.md §7). */
const struct contact *
owner_contact(struct plan *p, const char *id)
{
	const struct named *n = strmap_get(p->names, id);

	ck_assert_ptr_nonnull(n);
	if (n->kind == N_PERSON)
		return n->p;
	if (n->kind == N_AGENCY) {
		const struct agency *a = n->p;

		if (a->mailbox != NULL && a->mailbox->email != NULL)
			return a->mailbox;
		if (a->head.id != NULL)
			return person_get(p, a->head.id);
	}
	return NULL;
}

/*
 * The VTODO and the VEVENT of task t in d: UIDs, DTSTAMP, DUE and DTSTART
 * with TZID at the due time, owner as ATTENDEE, no RSVP, no ORGANIZER.
 */
void
check_task_in(const struct doc *d, struct plan *p, const struct task *t)
{
	char		uid_todo[80], uid_due[80];
	icalcomponent  *todo, *ve;
	icalproperty   *prop;
	const char     *stamp = local_stamp(p->tz, t->due.t);
	struct invitee *v;
	size_t		i, n = 0;

	ical_uid(p, "todo", t->id, uid_todo, sizeof(uid_todo));
	ical_uid(p, "due", t->id, uid_due, sizeof(uid_due));
	ck_assert_str_ne(uid_todo, uid_due);
	todo = doc_by_uid(d, ICAL_VTODO_COMPONENT, uid_todo);
	ck_assert_msg(todo != NULL, "%s: no VTODO for task %s", d->what, t->id);
	ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid_due);
	ck_assert_msg(ve != NULL, "%s: no VEVENT for task %s", d->what, t->id);

	ck_assert_str_eq(icalcomponent_get_summary(todo),
	    t->title ? t->title : t->id);
	prop = icalcomponent_get_first_property(todo, ICAL_DUE_PROPERTY);
	ck_assert_msg(prop != NULL, "%s: VTODO %s without DUE", d->what, t->id);
	ck_assert_str_eq(icalparameter_get_tzid(
			     icalproperty_get_first_parameter(prop,
				 ICAL_TZID_PARAMETER)),
	    ZONE);
	ck_assert_str_eq(icalproperty_get_value_as_string(prop), stamp);
	ck_assert_msg(strstr(icaltime_as_ical_string(
				 icalcomponent_get_dtstamp(todo)),
			  "Z") != NULL,
	    "%s: VTODO DTSTAMP not UTC", d->what);
	ck_assert_ptr_null(
	    icalcomponent_get_first_property(todo, ICAL_ORGANIZER_PROPERTY));

	prop = icalcomponent_get_first_property(ve, ICAL_DTSTART_PROPERTY);
	ck_assert_msg(prop != NULL, "%s: due VEVENT %s without DTSTART",
	    d->what, t->id);
	ck_assert_str_eq(icalparameter_get_tzid(
			     icalproperty_get_first_parameter(prop,
				 ICAL_TZID_PARAMETER)),
	    ZONE);
	ck_assert_str_eq(icalproperty_get_value_as_string(prop), stamp);
	ck_assert_msg(strstr(icalcomponent_get_summary(ve),
			  t->title ? t->title : t->id) != NULL,
	    "%s: due VEVENT %s summary \"%s\"", d->what, t->id,
	    icalcomponent_get_summary(ve));
	ck_assert_ptr_null(
	    icalcomponent_get_first_property(ve, ICAL_ORGANIZER_PROPERTY));

	/* The owners, each once by address, as ATTENDEEs of the VTODO. */
	v = calloc(t->owner.n + 1, sizeof(*v));
	ck_assert_ptr_nonnull(v);
	keep(POOL_FREE, v);
	for (i = 0; i < t->owner.n; i++) {
		const struct contact *c = owner_contact(p, t->owner.v[i].id);
		size_t		      k;

		if (c == NULL || c->email == NULL)
			continue;
		for (k = 0; k < n && strcmp(v[k].c->email, c->email) != 0; k++)
			;
		if (k == n)
			v[n++].c = c;
	}
	ck_assert_uint_ge(n, 1);
	for (i = 0; i < n; i++) {
		char *to = kprintf("mailto:%s", v[i].c->email);

		prop = prop_by_value(todo, ICAL_ATTENDEE_PROPERTY, to);
		ck_assert_msg(prop != NULL, "%s: VTODO %s lacks ATTENDEE %s",
		    d->what, t->id, to);
		ck_assert_str_eq(icalparameter_get_cn(
				     icalproperty_get_first_parameter(prop,
					 ICAL_CN_PARAMETER)),
		    v[i].c->name);
		ck_assert_ptr_null(icalproperty_get_first_parameter(prop,
		    ICAL_RSVP_PARAMETER));
	}
	ck_assert_int_eq(icalcomponent_count_properties(todo,
			     ICAL_ATTENDEE_PROPERTY),
	    (int)n);
}

/* Every check of ical_task(t). */
struct doc *
check_task(const struct loaded *w, struct plan *p, const struct task *t)
{
	char	   *what = kprintf("%s: ical_task(%s)", w->path, t->id);
	struct doc *d = doc_open(ical_task(p, t, 0, LOCAL_TIME(STAMP_NOW)),
	    what);
	size_t	    i;

	check_vcalendar(d, "PUBLISH");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 1);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	check_task_in(d, p, t);
	check_local_time(d, doc_one(d, "VTODO", "DUE"), "DUE",
	    local_stamp(p->tz, t->due.t));
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    local_stamp(p->tz, t->due.t));
	check_dtstamp(d, doc_one(d, "VTODO", "DTSTAMP"), STAMP_UTC);
	check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP", what);
	ck_assert_uint_eq(doc_count(d, NULL, "ORGANIZER"), 0);
	for (i = 0; i < doc_count(d, NULL, "ATTENDEE"); i++)
		check_cn_quoted(d, doc_line(d, NULL, "ATTENDEE", i));
	check_uids_unique(d);
	return d;
}

/*
 * Every check of ical_task_event(t): the deadline VEVENT alone, PUBLISH,
 * what a task reminder to an agency carries (conf/REFERENCE.md §7).
 */
struct doc *
check_task_event(const struct loaded *w, struct plan *p, const struct task *t)
{
	char	   *what = kprintf("%s: ical_task_event(%s)", w->path, t->id);
	struct doc *d = doc_open(ical_task_event(p, t, LOCAL_TIME(STAMP_NOW)),
	    what);
	char	    uid[80];

	check_vcalendar(d, "PUBLISH");
	check_vtimezone(d);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 0);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1);
	ical_uid(p, "due", t->id, uid, sizeof(uid));
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "UID")), uid);
	check_dtstamp(d, doc_one(d, "VEVENT", "DTSTAMP"), STAMP_UTC);
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    local_stamp(p->tz, t->due.t));
	ck_assert_msg(strstr(icalcomponent_get_summary(doc_vevent(d)),
			  t->title ? t->title : t->id) != NULL,
	    "%s: SUMMARY \"%s\"", what,
	    icalcomponent_get_summary(doc_vevent(d)));
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
	    t->due.tentative ? "TENTATIVE" : "CONFIRMED");
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP", what);
	ck_assert_uint_eq(doc_count(d, NULL, "ORGANIZER"), 0);
	return d;
}

/*
 * Every check of a feed of plans: the calendar properties of conf/REFERENCE.md
 * §7, one VEVENT an event (unless tasks_only), a VTODO and a VEVENT a task, no
 * ORGANIZER and no RSVP.
 */
struct doc *
check_feed(const struct loaded *w, struct plan **plans, size_t nplans,
    int tasks_only)
{
	char	   *what = kprintf("%s: ical_feed(%s)", w->path,
		  tasks_only ? "tasks" : "all");
	struct doc *d = doc_open(ical_feed(plans, nplans, tasks_only, NULL,
				     LOCAL_TIME(STAMP_NOW)),
	    what);
	size_t	    i, j, nev = 0, ntask = 0;
	const char *l;

	check_vcalendar(d, "PUBLISH");
	l = doc_one(d, "VCALENDAR", "X-WR-CALNAME");
	ck_assert_msg(strlen(prop_value(l)) > 0, "%s: empty X-WR-CALNAME",
	    what);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "NAME")),
	    prop_value(l));
	ck_assert_str_eq(doc_one(d, "VCALENDAR", "REFRESH-INTERVAL"),
	    "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
	ck_assert_str_eq(doc_one(d, "VCALENDAR", "X-PUBLISHED-TTL"),
	    "X-PUBLISHED-TTL:PT1H");
	ck_assert_msg(doc_count(d, NULL, "ORGANIZER") == 0,
	    "%s: ORGANIZER in a feed", what);
	ck_assert_msg(!doc_has(d, "RSVP"), "%s: RSVP in a feed", what);
	check_vtimezone(d);
	check_uids_unique(d);
	for (i = 0; i < nplans; i++) {
		struct plan *p = plans[i];

		if (!tasks_only)
			for (j = 0; j < p->nevents; j++) {
				check_vevent_common(d, p, &p->events[j], 0,
				    event_status(&p->events[j]));
				nev++;
			}
		for (j = 0; j < p->ntasks; j++) {
			check_task_in(d, p, &p->tasks[j]);
			ntask++;
		}
	}
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), nev + ntask);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), ntask);
	for (i = 0; i < doc_count(d, "VEVENT", "DTSTART"); i++)
		ck_assert_msg(strncmp(doc_line(d, "VEVENT", "DTSTART", i),
				  "DTSTART;TZID=" ZONE ":",
				  strlen("DTSTART;TZID=" ZONE ":")) == 0,
		    "%s: %s", what, doc_line(d, "VEVENT", "DTSTART", i));
	for (i = 0; i < doc_count(d, NULL, "DTSTAMP"); i++)
		check_dtstamp(d, doc_line(d, NULL, "DTSTAMP", i), STAMP_UTC);
	return d;
}
