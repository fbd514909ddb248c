/*
 * check_ical_publish.c: what loa publishes (conf/REFERENCE.md §7): tasks, their
 * events and the feed of the seed plan, then every object of every test
 * config under $LOA_TESTDATA that validates.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "render/ical.h"
#include "util/text.h"
#include "util/mem.h"
#include "icalfx.h"

/* Tasks and the feed. */

START_TEST(test_tasks)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *again;
	size_t	       i;

	ck_assert_uint_eq(p->ntasks, 12);
	for (i = 0; i < p->ntasks; i++) {
		d = check_task(w, p, &p->tasks[i]);
		/* Stable UIDs. */
		again = doc_open(ical_task(p, &p->tasks[i], 0,
				     LOCAL_TIME("2025-12-01 08:00")),
		    "ical_task again");
		ck_assert_str_eq(doc_one(d, "VTODO", "UID"),
		    doc_one(again, "VTODO", "UID"));
		ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
		    doc_one(again, "VEVENT", "UID"));
	}
	/* giay-moi: owner vhxh, its mailbox; due 16/12/2025 17:00. */
	d = check_task(w, p, &p->tasks[0]);
	ck_assert_str_eq(doc_one(d, "VTODO", "DUE"),
	    "DUE;TZID=" ZONE ":20251216T170000");
	ck_assert_str_eq(doc_one(d, "VTODO", "ATTENDEE"),
	    "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
	    "CN=\"Phòng Văn hóa - Xã hội\":mailto:vhxh@daison.example");
	ck_assert_str_eq(doc_one(d, "VEVENT", "DTSTART"),
	    "DTSTART;TZID=" ZONE ":20251216T170000");
}
END_TEST

START_TEST(test_task_events)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *full;
	size_t	       i;

	for (i = 0; i < p->ntasks; i++) {
		d = check_task_event(w, p, &p->tasks[i]);
		/* The same VEVENT as in ical_task and the feed. */
		full = check_task(w, p, &p->tasks[i]);
		ck_assert_str_eq(doc_one(d, "VEVENT", "UID"),
		    doc_one(full, "VEVENT", "UID"));
		ck_assert_str_eq(doc_one(d, "VEVENT", "DTSTART"),
		    doc_one(full, "VEVENT", "DTSTART"));
	}
}
END_TEST

START_TEST(test_feed_seed)
{
	struct loaded *w = seed_loaded();
	struct plan   *p = w->w.plans[0];
	struct doc    *d, *r;

	d = check_feed(w, w->w.plans, w->w.nplans, 0);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 1 + 12);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 12);
	ck_assert_str_eq(prop_value(doc_one(d, "VCALENDAR", "X-WR-CALNAME")),
	    "Ủy ban nhân dân xã Đại Sơn 129/KH-UBND");
	/* The feed's event has the invitation's UID. */
	r = check_request(w, p, event_get(p, "hoi-nghi"), 0, 1);
	ck_assert_ptr_nonnull(doc_by_uid(d, ICAL_VEVENT_COMPONENT,
	    prop_value(doc_one(r, "VEVENT", "UID"))));
	d = check_feed(w, w->w.plans, w->w.nplans, 1);
	ck_assert_uint_eq(doc_ncomp(d, "VEVENT"), 12);
	ck_assert_uint_eq(doc_ncomp(d, "VTODO"), 12);
}
END_TEST

START_TEST(test_feed_tentative)
{
	struct loaded *w = loaded_try(data_path("LOA_TESTDATA",
					  "plans/tentative/loa.cfg"),
	    0);
	struct plan   *p = w->w.plans[0];
	struct doc    *d = check_feed(w, w->w.plans, w->w.nplans, 0);
	static const struct {
		const char *id, *status;
	} want[] = {
		{ "hn", "TENTATIVE" },	  /* start = "2025-12" */
		{ "hn-tt", "TENTATIVE" }, /* status = "tentative" */
		{ "hn-huy", "CANCELLED" },
		{ "hn-ok", "CONFIRMED" },
	};
	size_t i;

	for (i = 0; i < NELEM(want); i++) {
		char	       uid[80];
		icalcomponent *ve;

		ical_uid(p, "event", want[i].id, uid, sizeof(uid));
		ve = doc_by_uid(d, ICAL_VEVENT_COMPONENT, uid);
		ck_assert_msg(ve != NULL, "no VEVENT for %s", want[i].id);
		ck_assert_msg(strcmp(icalproperty_status_to_string(
					 icalcomponent_get_status(ve)),
				  want[i].status) == 0,
		    "%s: STATUS:%s; expected %s", want[i].id,
		    icalproperty_status_to_string(icalcomponent_get_status(ve)),
		    want[i].status);
	}
	ck_assert_msg(doc_has(d, "STATUS:TENTATIVE"), "no STATUS:TENTATIVE");
}
END_TEST

/*
 * A plan without an issuer: the calendar's name must still be a name, not
 * one with a stray leading space.
 */
START_TEST(test_feed_name_trimmed)
{
	struct loaded *w = loaded_try(data_path("LOA_TESTDATA",
					  "plans/tentative/loa.cfg"),
	    0);
	struct doc    *d = check_feed(w, w->w.plans, w->w.nplans, 0);
	const char    *v = prop_value(doc_one(d, "VCALENDAR", "X-WR-CALNAME"));

	ck_assert_msg(*v != ' ' && v[strlen(v) - 1] != ' ',
	    "X-WR-CALNAME:\"%s\" has stray white space", v);
	ck_assert_str_eq(v, "9/KH-UBND");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Every valid test config. */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append every loa*.cfg under dir (recursively) to *v. */
static void
find_configs(const char *dir, char ***v, size_t *n, size_t *cap)
{
	DIR	      *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char	   *path;
		struct stat st;
		size_t	    len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) == -1) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			find_configs(path, v, n, cap);
			free(path);
		} else if (strncmp(de->d_name, "loa", 3) == 0 && len > 4 &&
		    strcmp(de->d_name + len - 4, ".cfg") == 0) {
			xgrow(v, cap, *n + 1, sizeof(**v));
			(*v)[(*n)++] = path;
		} else
			free(path);
	}
	closedir(d);
}

START_TEST(test_every_config)
{
	char **v = NULL;
	size_t n = 0, cap = 0, i, valid = 0;

	xgrow(&v, &cap, 1, sizeof(*v));
	v[n++] = xstrdup(data_path("LOA_SRC", "conf/loa.cfg"));
	find_configs(data_path("LOA_TESTDATA", "plans"), &v, &n, &cap);
	find_configs(data_path("LOA_TESTDATA", "ok"), &v, &n, &cap);
	for (i = 0; i < n; i++)
		keep(POOL_FREE, v[i]);
	keep(POOL_FREE, v);
	qsort(v + 1, n - 1, sizeof(*v), cmp_str);

	for (i = 0; i < n; i++) {
		size_t	       mark = pool_mark(), k, e;
		struct loaded *w = loaded_try(v[i], 1);

		if (w == NULL) {
			release_to(mark);
			continue;
		}
		valid++;
		for (k = 0; k < w->w.nplans; k++) {
			struct plan *p = w->w.plans[k];

			for (e = 0; e < p->nevents; e++) {
				struct event *ev = &p->events[e];
				struct doc   *a, *b;
				struct plan   one = *p, *pp = &one;

				a = check_request(w, p, ev, 0, 0);
				b = doc_open(ical_request(p, ev, 2,
						 LOCAL_TIME(
						     "2025-12-01 00:00")),
				    "again");
				ck_assert_str_eq(doc_one(a, "VEVENT", "UID"),
				    doc_one(b, "VEVENT", "UID"));
				b = check_cancel(w, p, ev, 1, 0);
				ck_assert_str_eq(doc_one(a, "VEVENT", "UID"),
				    doc_one(b, "VEVENT", "UID"));
				/* `loa ics --event E --method PUBLISH`. */
				one.events = ev;
				one.nevents = 1;
				one.ntasks = 0;
				check_feed(w, &pp, 1, 0);
			}
			for (e = 0; e < p->ntasks; e++) {
				check_task(w, p, &p->tasks[e]);
				check_task_event(w, p, &p->tasks[e]);
			}
		}
		check_feed(w, w->w.plans, w->w.nplans, 0);
		check_feed(w, w->w.plans, w->w.nplans, 1);
		release_to(mark);
	}
	ck_assert_msg(valid >= 10, "only %zu valid configs", valid);
}
END_TEST

int
main(void)
{
	TU_CASE("publish", NULL, ifx_teardown, 0, test_tasks, test_task_events,
	    test_feed_seed, test_feed_tentative, test_feed_name_trimmed);
	TU_CASE("configs", NULL, ifx_teardown, 300, test_every_config);
	atexit(icalmemory_free_ring);
	return tu_run("ical-publish");
}
