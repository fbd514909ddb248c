/*
 * check_ical_invite.c: the invitations and cancellations of the seed plan
 * (conf/REFERENCE.md §7, RFC 6047), made by ical_request and ical_cancel and
 * checked as bytes, by libical and field by field (icalfx.h).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "render/ical.h"
#include "util/text.h"
#include "util/mem.h"
#include "icalfx.h"

/* The seed plan (in *w, *p) and its event hoi-nghi. */
static struct event *
hoi_nghi(struct loaded **w, struct plan **p)
{
	*w = seed_loaded();
	*p = (*w)->w.plans[0];
	return event_get(*p, "hoi-nghi");
}

/* The seed plan: invitations. */

START_TEST(test_request_calendar)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d;

	d = check_request(w, p, event_get(p, "hoi-nghi"), 0, 1);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "PRODID")),
	    "-//loa//loa " LOA_VERSION "//VI");
	/* Hội nghị: 26/12/2025 08:00–11:30 Hà Nội time. */
	check_local_time(d, doc_one(d, "VEVENT", "DTSTART"), "DTSTART",
	    "20251226T080000");
	check_local_time(d, doc_one(d, "VEVENT", "DTEND"), "DTEND",
	    "20251226T113000");
	ck_assert_str_eq(prop_value(doc_one(d, "VEVENT", "STATUS")),
	    "CONFIRMED");
	doc_one(d, "VEVENT", "LOCATION");
	doc_one(d, "VEVENT", "DESCRIPTION");
	ck_assert_msg(strstr(icalcomponent_get_description(doc_vevent(d)),
			  "Báo cáo tham luận tại Hội nghị") != NULL,
	    "the agenda is not in the DESCRIPTION");
}
END_TEST

START_TEST(test_request_uid_sequence_dtstamp)
{
	struct loaded *w;
	struct plan   *p;
	struct event  *ev = hoi_nghi(&w, &p);
	struct doc    *a, *b, *c;
	char	       uid[80];

	a = doc_open(ical_request(p, ev, 0, LOCAL_TIME(STAMP_NOW)), "req 0");
	b = doc_open(ical_request(p, ev, 3, LOCAL_TIME("2025-12-20 17:45")),
	    "req 3");
	c = doc_open(ical_cancel(p, ev, 4, LOCAL_TIME(STAMP_NOW), NULL),
	    "cancel 4");
	ical_uid(p, "event", ev->id, uid, sizeof(uid));
	ck_assert_str_eq(prop_value(doc_one(a, "VEVENT", "UID")), uid);
	ck_assert_str_eq(prop_value(doc_one(b, "VEVENT", "UID")), uid);
	ck_assert_str_eq(prop_value(doc_one(c, "VEVENT", "UID")), uid);
	ck_assert_str_eq(doc_one(a, "VEVENT", "SEQUENCE"), "SEQUENCE:0");
	ck_assert_str_eq(doc_one(b, "VEVENT", "SEQUENCE"), "SEQUENCE:3");
	ck_assert_str_eq(doc_one(c, "VEVENT", "SEQUENCE"), "SEQUENCE:4");
	check_dtstamp(a, doc_one(a, "VEVENT", "DTSTAMP"), STAMP_UTC);
	check_dtstamp(b, doc_one(b, "VEVENT", "DTSTAMP"), "20251220T104500Z");
	/* Another event of another plan gets another UID. */
	{
		char other[80];

		ical_uid(p, "event", "hoi-nghi-2", other, sizeof(other));
		ck_assert_str_ne(uid, other);
		ical_uid(p, "todo", ev->id, other, sizeof(other));
		ck_assert_str_ne(uid, other);
	}
}
END_TEST

START_TEST(test_request_organizer_attendees)
{
	struct loaded *w;
	struct plan   *p;
	struct event  *ev = hoi_nghi(&w, &p);
	struct doc    *d = check_request(w, p, ev, 0, 1);
	size_t	       i, n;

	ck_assert_str_eq(doc_one(d, "VEVENT", "ORGANIZER"),
	    "ORGANIZER;CN=\"Phòng Văn hóa - Xã hội\":"
	    "mailto:vhxh@daison.example");
	ck_assert_msg(!doc_has(d,
			  "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
			  "PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=\"Phòng Văn hóa "
			  "- Xã hội\""),
	    "the organizer's mailbox is an attendee");
	/* Exactly conf/REFERENCE.md §7's form for a person. */
	ck_assert_msg(
	    doc_has(d,
		"ATTENDEE;CUTYPE=INDIVIDUAL;"
		"ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;"
		"CN=\"Nguyễn Thị Thu Hà\":mailto:hantt@daison.example"),
	    "no ATTENDEE line of conf/REFERENCE.md §7's form for hantt");
	/* Lan heads the organizing agency: she is invited, the mailbox not. */
	ck_assert_msg(doc_has(d,
			  "CN=\"Nguyễn Thị Lan\":"
			  "mailto:lannt@daison.example"),
	    "lan-nt is not invited");
	/* No address, no ATTENDEE: manh-bd has only a phone. */
	ck_assert_msg(!doc_has(d, "Bùi Đức Mạnh"), "manh-bd is an attendee");
	(void)invitees(p, ev, &n);
	ck_assert_uint_ge(n, 30);
	for (i = 0; i < doc_count(d, "VEVENT", "ATTENDEE"); i++)
		ck_assert_msg(strncmp(prop_value(
					  doc_line(d, "VEVENT", "ATTENDEE", i)),
				  "mailto:", 7) == 0,
		    "not mailto: %s", doc_line(d, "VEVENT", "ATTENDEE", i));
}
END_TEST

START_TEST(test_request_valarm)
{
	struct loaded *w;
	struct plan   *p;
	struct event  *ev = hoi_nghi(&w, &p);
	struct doc    *d = check_request(w, p, ev, 0, 1);
	icalcomponent *al;
	icalproperty  *tr;

	ck_assert_uint_eq(doc_ncomp(d, "VALARM"), 1);
	ck_assert_str_eq(doc_one(d, "VALARM", "ACTION"), "ACTION:DISPLAY");
	doc_one(d, "VALARM", "DESCRIPTION");
	doc_one(d, "VALARM", "TRIGGER");
	al = icalcomponent_get_first_component(doc_vevent(d),
	    ICAL_VALARM_COMPONENT);
	ck_assert_ptr_nonnull(al);
	tr = icalcomponent_get_first_property(al, ICAL_TRIGGER_PROPERTY);
	ck_assert_ptr_nonnull(tr);
	/* The first reminder, "start - 1d at 16:00": 16 hours ahead. */
	ck_assert_int_eq(icaldurationtype_as_int(
			     icalproperty_get_trigger(tr).duration),
	    (int)(ev->reminders[0].t - ev->start.t));
	ck_assert_int_eq(icaldurationtype_as_int(
			     icalproperty_get_trigger(tr).duration),
	    -16 * 3600);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancellations. */

START_TEST(test_cancel_whole)
{
	struct loaded *w;
	struct plan   *p;
	struct event  *ev = hoi_nghi(&w, &p);
	struct doc    *r, *c;

	r = check_request(w, p, ev, 0, 1);
	c = check_cancel(w, p, ev, 1, 1);
	ck_assert_str_eq(doc_one(c, "VCALENDAR", "METHOD"), "METHOD:CANCEL");
	ck_assert_str_eq(doc_one(c, "VEVENT", "STATUS"), "STATUS:CANCELLED");
	ck_assert_str_eq(doc_one(c, "VEVENT", "UID"),
	    doc_one(r, "VEVENT", "UID"));
	ck_assert_uint_eq(doc_count(c, "VEVENT", "ATTENDEE"),
	    doc_count(r, "VEVENT", "ATTENDEE"));
}
END_TEST

/* A cancel for one attendee lists that attendee alone. */
static void
check_cancel_one(const struct doc *d, const struct contact *who)
{
	const char *l;
	char	   *to = kprintf("mailto:%s", who->email);

	check_vcalendar(d, "CANCEL");
	check_vtimezone(d);
	ck_assert_str_eq(doc_one(d, "VEVENT", "STATUS"), "STATUS:CANCELLED");
	ck_assert_msg(doc_count(d, "VEVENT", "ATTENDEE") == 1,
	    "%s: %zu ATTENDEEs; expected only %s", d->what,
	    doc_count(d, "VEVENT", "ATTENDEE"), to);
	l = doc_one(d, "VEVENT", "ATTENDEE");
	ck_assert_str_eq(prop_value(l), to);
	check_cn(d, l,
	    icalcomponent_get_first_property(doc_vevent(d),
		ICAL_ATTENDEE_PROPERTY),
	    who->name, 1);
	doc_one(d, "VEVENT", "ORGANIZER");
	doc_itip(d);
}

START_TEST(test_cancel_one_listed)
{
	struct loaded	     *w = seed_loaded();
	struct plan	     *p = w->w.plans[0];
	struct event	     *ev = event_get(p, "hoi-nghi");
	const struct contact *ha = person_get(p, "ha-ntt");
	struct doc	     *r, *d;

	r = check_request(w, p, ev, 0, 1);
	d = doc_open(ical_cancel(p, ev, 1, LOCAL_TIME(STAMP_NOW), ha),
	    "ical_cancel(hoi-nghi, only ha-ntt)");
	check_cancel_one(d, ha);
	ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
	    doc_one(r, "VEVENT", "UID"));
	ck_assert_str_eq(doc_one(d, "VEVENT", "SEQUENCE"), "SEQUENCE:1");
}
END_TEST

/*
 * The plan changed: tt-dang-uy (vinh-lq, ha-ntt, duc-pv, tuan-tm) is no
 * longer invited. ha-ntt is a removed attendee; her CANCEL must list her,
 * even though the event as it now stands does not.
 */
START_TEST(test_cancel_one_removed)
{
	struct loaded	     *w = seed_loaded();
	struct plan	     *p = w->w.plans[0];
	struct event	     *ev = event_get(p, "hoi-nghi");
	struct event	      changed = *ev;
	struct idref	     *kept;
	const struct contact *ha = person_get(p, "ha-ntt");
	struct doc	     *d;
	size_t		      i, n = 0;
	char		     *ics;

	kept = calloc(ev->attendees.n, sizeof(*kept));
	ck_assert_ptr_nonnull(kept);
	keep(POOL_FREE, kept);
	for (i = 0; i < ev->attendees.n; i++)
		if (strcmp(ev->attendees.v[i].id, "tt-dang-uy") != 0)
			kept[n++] = ev->attendees.v[i];
	ck_assert_uint_eq(n, ev->attendees.n - 1);
	changed.attendees.v = kept;
	changed.attendees.n = n;

	/* The update goes to everyone left, and not to her. */
	d = doc_open(ical_request(p, &changed, 1, LOCAL_TIME(STAMP_NOW)),
	    "ical_request(hoi-nghi without tt-dang-uy)");
	ck_assert_msg(!doc_has(d, "mailto:hantt@daison.example"),
	    "ha-ntt is still invited");

	ics = ical_cancel(p, &changed, 1, LOCAL_TIME(STAMP_NOW), ha);
	d = doc_open(ics,
	    "ical_cancel(hoi-nghi without tt-dang-uy, only "
	    "the removed ha-ntt)");
	check_cancel_one(d, ha);
}
END_TEST

int
main(void)
{
	TU_CASE("request", NULL, ifx_teardown, 0, test_request_calendar,
	    test_request_uid_sequence_dtstamp, test_request_organizer_attendees,
	    test_request_valarm);
	TU_CASE("cancel", NULL, ifx_teardown, 0, test_cancel_whole,
	    test_cancel_one_listed, test_cancel_one_removed);
	atexit(icalmemory_free_ring);
	return tu_run("ical-invite");
}
