/*
 * ical.c: iCalendar objects with libical, and the finishing touches libical
 * does not do by itself: a STANDARD-only VTIMEZONE with a plain TZID,
 * double-quoted non-ASCII parameter values, folding that never splits a
 * UTF-8 sequence.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "render/ical.h"
#include "render/tmpl.h"
#include "plan/resolve.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/strmap.h"

#define ICAL_PRODID "-//loa//loa " LOA_VERSION "//VI"

void
ical_uid(const struct plan *p, const char *kind, const char *id, char *out,
    size_t len)
{
	unsigned long long h = HASH_INIT;

	/* The issuer too: two communes may both have a plan 1/KH-UBND. */
	h = hash_bytes(h, p->issuer, strlen(p->issuer) + 1);
	h = hash_bytes(h, p->id, strlen(p->id) + 1);
	h = hash_bytes(h, kind, strlen(kind) + 1);
	h = hash_bytes(h, id, strlen(id) + 1);
	snprintf(out, len, "%016llx-%s@loa", h, kind);
}

/* A local date-time of plan p's zone, floating: the TZID goes on the
 * property. */
static struct icaltimetype
ical_local(const struct plan *p, int64_t t)
{
	struct icaltimetype it = icaltime_null_time();
	int64_t		    local = tz_to_local(p->tz, t);
	int64_t		    days = civil_day_of(local);
	int64_t		    rem = local - days * 86400;

	civil_from_days(days, &it.year, &it.month, &it.day);
	it.hour = (int)(rem / 3600);
	it.minute = (int)(rem % 3600 / 60);
	it.second = (int)(rem % 60);
	it.is_date = 0;
	return it;
}

static icalproperty *
ical_with_tzid(const struct plan *p, icalproperty *prop)
{
	icalproperty_add_parameter(prop,
	    icalparameter_new_tzid(tz_name(p->tz)));
	return prop;
}

static struct icaltimetype
ical_utc(int64_t t)
{
	return icaltime_from_timet_with_zone((time_t)t, 0,
	    icaltimezone_get_utc_timezone());
}

static icalcomponent *
ical_vcalendar(icalproperty_method m)
{
	icalcomponent *cal = icalcomponent_new_vcalendar();

	icalcomponent_add_property(cal, icalproperty_new_prodid(ICAL_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_method(m));
	return cal;
}

/*
 * The zone's VTIMEZONE: for a zone that has kept one offset (Vietnam), one
 * STANDARD block and no RRULE; otherwise libical's rules with the vendor
 * prefix taken off the TZID.
 */
static void
ical_add_vtimezone(icalcomponent *cal, const struct tz *z)
{
	icalcomponent *vtz, *std;
	icalproperty  *tzid;
	int	       off;
	char	       name[16];

	if (!tz_fixed(z, &off)) {
		icalcomponent *builtin = icaltimezone_get_component(
		    tz_libical(z));

		if (builtin != NULL) {
			vtz = icalcomponent_new_clone(builtin);
			tzid = icalcomponent_get_first_property(vtz,
			    ICAL_TZID_PROPERTY);
			if (tzid != NULL)
				icalproperty_set_tzid(tzid, tz_name(z));
			icalcomponent_add_component(cal, vtz);
			return;
		}
	}
	vtz = icalcomponent_new_vtimezone();
	icalcomponent_add_property(vtz, icalproperty_new_tzid(tz_name(z)));
	std = icalcomponent_new_xstandard();
	{
		struct icaltimetype t = icaltime_null_time();

		t.year = 1970;
		t.month = 1;
		t.day = 1;
		icalcomponent_add_property(std, icalproperty_new_dtstart(t));
	}
	icalcomponent_add_property(std, icalproperty_new_tzoffsetfrom(off));
	icalcomponent_add_property(std, icalproperty_new_tzoffsetto(off));
	snprintf(name, sizeof(name), "%c%02d%s", off < 0 ? '-' : '+',
	    abs(off) / 3600, abs(off) % 3600 ? "30" : "");
	icalcomponent_add_property(std, icalproperty_new_tzname(name));
	icalcomponent_add_component(vtz, std);
	icalcomponent_add_component(cal, vtz);
}

static char *
ical_mailto(const char *email)
{
	return xasprintf("mailto:%s", email);
}

/*
 * ATTENDEE for contact c; rsvp 0 for published objects. CUTYPE is
 * INDIVIDUAL for an agency's mailbox too (conf/REFERENCE.md §7's form): a
 * person reads it and answers, and GROUP makes some clients treat the address
 * as a list to expand.
 */
static icalproperty *
ical_attendee(const struct contact *c, icalparameter_role role, int rsvp)
{
	char	     *to = ical_mailto(c->email);
	icalproperty *a = icalproperty_new_attendee(to);

	free(to);
	icalproperty_add_parameter(a,
	    icalparameter_new_cutype(ICAL_CUTYPE_INDIVIDUAL));
	icalproperty_add_parameter(a, icalparameter_new_role(role));
	if (rsvp) {
		icalproperty_add_parameter(a,
		    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		icalproperty_add_parameter(a,
		    icalparameter_new_rsvp(ICAL_RSVP_TRUE));
	}
	icalproperty_add_parameter(a, icalparameter_new_cn(c->name));
	return a;
}

/* The organizer's address: the organizer, else the signer. */
static const struct contact *
ical_organizer(struct plan *p, const struct event *ev)
{
	const struct contact *c = plan_organizer(p, ev);
	const struct named   *n;

	if (c != NULL && c->email != NULL)
		return c;
	if (p->signed_by.id != NULL &&
	    (n = strmap_get(p->names, p->signed_by.id)) != NULL &&
	    n->kind == N_PERSON && ((struct contact *)n->p)->email != NULL)
		return n->p;
	return NULL;
}

static char *
ical_description(const struct plan *p, const struct event *ev)
{
	struct buf b = { 0 };
	size_t	   i;

	if (ev->description != NULL)
		buf_adds(&b, ev->description);
	if (ev->nagenda > 0) {
		if (b.len)
			buf_adds(&b, "\n\n");
		buf_adds(&b, tmpl_text(p->templates, T_ICAL_AGENDA));
		for (i = 0; i < ev->nagenda; i++)
			buf_printf(&b, "\n- %s", ev->agenda[i]);
	}
	return buf_take(&b);
}

/* Whether c's id is among v's (c may be a copy, as the outbox has it). */
static int
ical_has_id(const struct contact **v, size_t n, const struct contact *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c->id != NULL && v[i]->id != NULL &&
		    strcmp(v[i]->id, c->id) == 0)
			return 1;
	return 0;
}

static int
ical_is_member(const struct contact **v, size_t n, const struct contact *c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == c)
			return 1;
	return 0;
}

enum ical_use {
	USE_REQUEST,
	USE_CANCEL,
	USE_FEED,
	USE_FEED_CANCEL, /* published as cancelled: no iTIP possible */
};

static icalcomponent *
ical_vevent(struct plan *p, const struct event *ev, int seq, int64_t now,
    enum ical_use use, const struct contact *only)
{
	icalcomponent	      *ve = icalcomponent_new_vevent();
	const struct contact  *org = ical_organizer(p, ev);
	const struct contact **req = NULL, **opt = NULL;
	size_t		       nreq = 0, capreq = 0, nopt = 0, capopt = 0, i;
	char		       uid[80], *desc;
	icalproperty_status    st;

	ical_uid(p, "event", ev->id, uid, sizeof(uid));
	icalcomponent_add_property(ve, icalproperty_new_uid(uid));
	icalcomponent_add_property(ve, icalproperty_new_dtstamp(ical_utc(now)));
	icalcomponent_add_property(ve, icalproperty_new_sequence(seq));
	icalcomponent_add_property(ve,
	    ical_with_tzid(p,
		icalproperty_new_dtstart(ical_local(p, ev->start.t))));
	icalcomponent_add_property(ve,
	    ical_with_tzid(p,
		icalproperty_new_dtend(ical_local(p, ev->end.t))));
	icalcomponent_add_property(ve,
	    icalproperty_new_summary(ev->title ? ev->title : ev->id));
	if (ev->location != NULL)
		icalcomponent_add_property(ve,
		    icalproperty_new_location(ev->location));
	desc = ical_description(p, ev);
	if (*desc != '\0')
		icalcomponent_add_property(ve,
		    icalproperty_new_description(desc));
	free(desc);
	if (use == USE_CANCEL || use == USE_FEED_CANCEL ||
	    ev->status == EV_CANCELLED)
		st = ICAL_STATUS_CANCELLED;
	else if (ev->start.tentative != NULL)
		st = ICAL_STATUS_TENTATIVE;
	else
		st = ICAL_STATUS_CONFIRMED;
	icalcomponent_add_property(ve, icalproperty_new_status(st));

	if ((use == USE_REQUEST || use == USE_CANCEL) && org != NULL) {
		char	     *to = ical_mailto(org->email);
		icalproperty *o = icalproperty_new_organizer(to);

		free(to);
		icalproperty_add_parameter(o, icalparameter_new_cn(org->name));
		icalcomponent_add_property(ve, o);
	}
	if (only != NULL) {
		/* The mail's one recipient (an invitation lists only whom it
		 * goes to), or a removed attendee: listed alone, in the role
		 * the plan gives them now. */
		icalparameter_role role = ICAL_ROLE_REQPARTICIPANT;

		if (use == USE_REQUEST) {
			const struct contact *skip = plan_organizer(p, ev);

			plan_recipients(p, &ev->attendees, skip, &req, &nreq,
			    &capreq);
			plan_recipients(p, &ev->optional, skip, &opt, &nopt,
			    &capopt);
			if (!ical_has_id(req, nreq, only) &&
			    ical_has_id(opt, nopt, only))
				role = ICAL_ROLE_OPTPARTICIPANT;
			free(req);
			free(opt);
		}
		if (only->email != NULL)
			icalcomponent_add_property(ve,
			    ical_attendee(only, role, 1));
	} else if (use == USE_REQUEST || use == USE_CANCEL) {
		const struct contact *skip = plan_organizer(p, ev);

		plan_recipients(p, &ev->attendees, skip, &req, &nreq, &capreq);
		plan_recipients(p, &ev->optional, skip, &opt, &nopt, &capopt);
		for (i = 0; i < nreq; i++)
			if (req[i]->email != NULL)
				icalcomponent_add_property(ve,
				    ical_attendee(req[i],
					ICAL_ROLE_REQPARTICIPANT, 1));
		for (i = 0; i < nopt; i++)
			if (opt[i]->email != NULL &&
			    !ical_is_member(req, nreq, opt[i]))
				icalcomponent_add_property(ve,
				    ical_attendee(opt[i],
					ICAL_ROLE_OPTPARTICIPANT, 1));
		free(req);
		free(opt);
	}

	if (use != USE_CANCEL && st != ICAL_STATUS_CANCELLED) {
		icalcomponent *al = icalcomponent_new_valarm();
		int	       before = -3600;
		char	      *what;

		/* The event's first reminder, else an hour ahead. */
		if (ev->nreminders > 0 && ev->reminders[0].t != TIMEX_NONE &&
		    ev->reminders[0].t < ev->start.t)
			before = (int)(ev->reminders[0].t - ev->start.t);
		icalcomponent_add_property(al,
		    icalproperty_new_action(ICAL_ACTION_DISPLAY));
		icalcomponent_add_property(al,
		    icalproperty_new_trigger(icaltriggertype_from_int(before)));
		{
			struct tmpl_ctx c = { 0 };
			struct event	named = *ev;

			/* An untitled event is known by its id. */
			if (named.title == NULL)
				named.title = named.id;
			c.plan = p;
			c.event = &named;
			what = tmpl_string(p->templates, T_ICAL_ALARM, &c);
		}
		icalcomponent_add_property(al,
		    icalproperty_new_description(what));
		free(what);
		icalcomponent_add_component(ve, al);
	}
	return ve;
}

static void
ical_add_task(icalcomponent *cal, struct plan *p, const struct task *t,
    int64_t now, int with_todo, int done)
{
	icalcomponent *ve, *todo;
	char	       uid[80];
	size_t	       i;

	if (with_todo) {
		todo = icalcomponent_new_vtodo();
		ical_uid(p, "todo", t->id, uid, sizeof(uid));
		icalcomponent_add_property(todo, icalproperty_new_uid(uid));
		icalcomponent_add_property(todo,
		    icalproperty_new_dtstamp(ical_utc(now)));
		icalcomponent_add_property(todo,
		    icalproperty_new_summary(t->title ? t->title : t->id));
		if (t->description != NULL)
			icalcomponent_add_property(todo,
			    icalproperty_new_description(t->description));
		icalcomponent_add_property(todo,
		    ical_with_tzid(p,
			icalproperty_new_due(ical_local(p, t->due.t))));
		icalcomponent_add_property(todo,
		    icalproperty_new_status(done ? ICAL_STATUS_COMPLETED :
						   ICAL_STATUS_NEEDSACTION));
		for (i = 0; i < t->owner.n; i++) {
			const struct contact *c = plan_contact(p,
			    t->owner.v[i].id);

			if (c != NULL && c->email != NULL)
				icalcomponent_add_property(todo,
				    ical_attendee(c, ICAL_ROLE_REQPARTICIPANT,
					0));
		}
		icalcomponent_add_component(cal, todo);
	}

	/* The deadline as an event, for calendars that ignore VTODO. */
	ve = icalcomponent_new_vevent();
	ical_uid(p, "due", t->id, uid, sizeof(uid));
	icalcomponent_add_property(ve, icalproperty_new_uid(uid));
	icalcomponent_add_property(ve, icalproperty_new_dtstamp(ical_utc(now)));
	icalcomponent_add_property(ve,
	    ical_with_tzid(p,
		icalproperty_new_dtstart(ical_local(p, t->due.t))));
	{
		struct tmpl_ctx c = { 0 };
		struct task	named = *t;
		char	       *sum;

		/* An untitled task is known by its id. */
		if (named.title == NULL)
			named.title = named.id;
		c.plan = p;
		c.task = &named;
		sum = tmpl_string(p->templates, T_ICAL_TASK_DUE, &c);

		icalcomponent_add_property(ve, icalproperty_new_summary(sum));
		free(sum);
	}
	if (t->description != NULL)
		icalcomponent_add_property(ve,
		    icalproperty_new_description(t->description));
	icalcomponent_add_property(ve,
	    icalproperty_new_status(t->due.tentative ? ICAL_STATUS_TENTATIVE :
						       ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ve,
	    icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT));
	icalcomponent_add_component(cal, ve);
}

/* Serialise, finish, free the component. */
static char *
ical_text(icalcomponent *cal)
{
	char *raw = icalcomponent_as_ical_string_r(cal), *out;

	icalcomponent_free(cal);
	out = ical_finish(raw);
	free(raw);
	return out;
}

int
ical_can_invite(struct plan *p, const struct event *ev,
    const struct contact *only)
{
	const struct contact **v = NULL, *skip;
	size_t		       n = 0, cap = 0, i;
	int		       any = 0;

	if (ical_organizer(p, ev) == NULL)
		return 0;
	if (only != NULL)
		return only->email != NULL;
	skip = plan_organizer(p, ev);
	plan_recipients(p, &ev->attendees, skip, &v, &n, &cap);
	plan_recipients(p, &ev->optional, skip, &v, &n, &cap);
	for (i = 0; i < n && !any; i++)
		any = v[i]->email != NULL;
	free(v);
	return any;
}

char *
ical_request_to(struct plan *p, const struct event *ev, int seq, int64_t now,
    const struct contact *to)
{
	int	       itip = ical_can_invite(p, ev, to);
	icalcomponent *cal = ical_vcalendar(
	    itip ? ICAL_METHOD_REQUEST : ICAL_METHOD_PUBLISH);

	ical_add_vtimezone(cal, p->tz);
	icalcomponent_add_component(cal,
	    ical_vevent(p, ev, seq, now, itip ? USE_REQUEST : USE_FEED, to));
	return ical_text(cal);
}

char *
ical_request(struct plan *p, const struct event *ev, int seq, int64_t now)
{
	return ical_request_to(p, ev, seq, now, NULL);
}

char *
ical_cancel(struct plan *p, const struct event *ev, int seq, int64_t now,
    const struct contact *only)
{
	int	       itip = ical_can_invite(p, ev, only);
	icalcomponent *cal = ical_vcalendar(
	    itip ? ICAL_METHOD_CANCEL : ICAL_METHOD_PUBLISH);

	ical_add_vtimezone(cal, p->tz);
	icalcomponent_add_component(cal,
	    ical_vevent(p, ev, seq, now, itip ? USE_CANCEL : USE_FEED_CANCEL,
		only));
	return ical_text(cal);
}

char *
ical_task(struct plan *p, const struct task *t, int done, int64_t now)
{
	icalcomponent *cal = ical_vcalendar(ICAL_METHOD_PUBLISH);

	ical_add_vtimezone(cal, p->tz);
	ical_add_task(cal, p, t, now, 1, done);
	return ical_text(cal);
}

char *
ical_task_event(struct plan *p, const struct task *t, int64_t now)
{
	icalcomponent *cal = ical_vcalendar(ICAL_METHOD_PUBLISH);

	ical_add_vtimezone(cal, p->tz);
	ical_add_task(cal, p, t, now, 0, 0);
	return ical_text(cal);
}

char *
ical_feed(struct plan **plans, size_t nplans, int tasks_only,
    const struct ical_facts *f, int64_t now)
{
	icalcomponent *cal = ical_vcalendar(ICAL_METHOD_PUBLISH);
	icalproperty  *prop;
	char	      *name;
	size_t	       i, j, k;

	if (nplans == 1 && *plans[0]->issuer != '\0')
		name = xasprintf("%s %s", plans[0]->issuer, plans[0]->id);
	else if (nplans == 1)
		name = xstrdup(plans[0]->id);
	else
		name = xasprintf("%s",
		    nplans > 0 && *plans[0]->issuer ? plans[0]->issuer : "loa");
	prop = icalproperty_new_x(name);
	icalproperty_set_x_name(prop, "X-WR-CALNAME");
	icalcomponent_add_property(cal, prop);
	icalcomponent_add_property(cal, icalproperty_new_name(name));
	free(name);
	prop = icalproperty_new_refreshinterval(
	    icaldurationtype_from_int(3600));
	icalproperty_add_parameter(prop,
	    icalparameter_new_value(ICAL_VALUE_DURATION));
	icalcomponent_add_property(cal, prop);
	prop = icalproperty_new_x("PT1H");
	icalproperty_set_x_name(prop, "X-PUBLISHED-TTL");
	icalcomponent_add_property(cal, prop);

	/* One VTIMEZONE a zone. */
	for (i = 0; i < nplans; i++) {
		for (k = 0; k < i && plans[k]->tz != plans[i]->tz; k++)
			;
		if (k == i)
			ical_add_vtimezone(cal, plans[i]->tz);
	}
	for (i = 0; i < nplans; i++) {
		struct plan *p = plans[i];

		if (!tasks_only)
			for (j = 0; j < p->nevents; j++)
				icalcomponent_add_component(cal,
				    ical_vevent(p, &p->events[j],
					f != NULL ?
					    f->seq(f->arg, p, &p->events[j]) :
					    0,
					now, USE_FEED, NULL));
		for (j = 0; j < p->ntasks; j++)
			ical_add_task(cal, p, &p->tasks[j], now, 1,
			    f != NULL && f->done(f->arg, p, &p->tasks[j]));
	}
	return ical_text(cal);
}

void
ical_fold_line(struct buf *b, const char *s, size_t len)
{
	size_t room = 75;

	while (len > room) {
		size_t cut = room;

		/* Back off to the start of a UTF-8 sequence. */
		while (cut > 1 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		/* Each folded line makes progress within RFC 5545's 75. */
		assert(cut >= 1 && cut <= room);
		buf_add(b, s, cut);
		buf_add(b, "\r\n ", 3);
		s += cut;
		len -= cut;
		room = 74;
	}
	buf_add(b, s, len);
	buf_add(b, "\r\n", 2);
}

char *
ical_unfold(const char *s)
{
	struct buf b = { 0 };

	while (*s != '\0') {
		if (s[0] == '\r' && s[1] == '\n' &&
		    (s[2] == ' ' || s[2] == '\t')) {
			s += 3;
			continue;
		}
		if (s[0] == '\n' && (s[1] == ' ' || s[1] == '\t')) {
			s += 2;
			continue;
		}
		buf_addc(&b, *s++);
	}
	return buf_take(&b);
}

/*
 * Append one unfolded content line to b with every unquoted parameter
 * value that holds non-ASCII bytes put in double quotes.
 */
static void
ical_quote_params(struct buf *b, const char *line, size_t len)
{
	const char *p = line, *end = line + len;
	int	    inq = 0;

	/* The name, up to the first ';' or ':'. */
	while (p < end && *p != ';' && *p != ':')
		p++;
	buf_add(b, line, (size_t)(p - line));
	while (p < end && *p == ';') {
		const char *eq, *v, *ve;
		int	    high = 0;

		buf_addc(b, ';');
		p++;
		eq = p;
		while (eq < end && *eq != '=' && *eq != ';' && *eq != ':')
			eq++;
		if (eq == end || *eq != '=') {
			buf_add(b, p, (size_t)(eq - p));
			p = eq;
			continue;
		}
		buf_add(b, p, (size_t)(eq - p) + 1);
		v = eq + 1;
		for (ve = v; ve < end; ve++) {
			if (*ve == '"')
				inq = !inq;
			else if (!inq && (*ve == ';' || *ve == ':'))
				break;
			else if ((unsigned char)*ve >= 0x80)
				high = 1;
		}
		if (high && *v != '"') {
			buf_addc(b, '"');
			buf_add(b, v, (size_t)(ve - v));
			buf_addc(b, '"');
		} else
			buf_add(b, v, (size_t)(ve - v));
		p = ve;
	}
	buf_add(b, p, (size_t)(end - p));
}

char *
ical_finish(const char *raw)
{
	char	  *un = ical_unfold(raw), *s = un;
	struct buf b = { 0 }, line = { 0 };

	while (*s != '\0') {
		/* A line ends at LF (its CR is a control, dropped below): a
		 * bare CR inside a value breaks no line. */
		size_t n = strcspn(s, "\n");

		if (n > 0) {
			char  *clean = xstrndup(s, n);
			size_t i, k;

			/* RFC 5545 §3.1: no CONTROL but HTAB in a content line
			 * (an ESC in a title is dropped, never written). */
			for (i = k = 0; i < n; i++)
				if (((unsigned char)clean[i] >= 0x20 &&
					clean[i] != 0x7f) ||
				    clean[i] == '\t')
					clean[k++] = clean[i];
			buf_reset(&line);
			ical_quote_params(&line, clean, k);
			if (k > 0)
				ical_fold_line(&b, line.s, line.len);
			free(clean);
		}
		s += n;
		while (*s == '\r' || *s == '\n')
			s++;
	}
	buf_free(&line);
	free(un);
	return buf_take(&b);
}
