/*
 * check_slots.c: unit tests of slots.c (conf/REFERENCE.md §3 and §4): broadcast
 * items placed into the station's air slots.
 *
 * The fixtures under $LOA_TESTDATA/plans/slots/ share one broadcast
 * config: Sáng every day 06:00-06:30 (1800 s), Chiều on weekdays
 * 17:00-17:10 (600 s), 60 words a minute (an item of N words lasts N
 * seconds) and a 10 s gap. Each is loaded the way `loa timeline` does
 * (service_load, plan_load, plan_resolve at a fixed now, plan_expand,
 * slots_place, timeline_sort), with the diagnostics in a memory stream.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "plan/planfile.h"
#include "plan/service.h"
#include "render/tmpl.h"
#include "jobs/expand.h"
#include "plan/resolve.h"
#include "jobs/slots.h"
#include "jobs/timeline.h"
#include "plan/adhoc.h"
#include "testutil.h"
#include "planfx.h"


#define NOW   "2026-02-01 00:00" /* before every fixture's air times */
#define GAP   10
#define BASIC "plans/slots/basic/loa.cfg" /* the fixture of most */

/* The world of cfg, loaded at NOW, its broadcasts placed. */
static struct world *
slots_open(const char *cfg)
{
	return world_open_at(cfg, LOCAL_TIME(NOW));
}

/* The job of broadcast object's air time ordinal; exactly one. */
static const struct job *
item(const struct world *w, const char *object, int ordinal)
{
	const struct job *found = NULL;
	size_t		  i;
	int		  n = 0;

	for (i = 0; i < w->jobs.n; i++) {
		const struct job *j = &w->jobs.v[i];

		if (j->kind == JK_BROADCAST && j->ordinal == ordinal &&
		    strcmp(j->object, object) == 0) {
			found = j;
			n++;
		}
	}
	ck_assert_msg(n == 1, "%d broadcast jobs %s #%d; expected one", n,
	    object, ordinal);
	return found;
}

static const struct broadcast *
broadcast_of(const struct world *w, const char *id)
{
	size_t i, k;

	for (k = 0; k < w->nplans; k++)
		for (i = 0; i < w->plans[k]->nbroadcasts; i++)
			if (strcmp(w->plans[k]->broadcasts[i].id, id) == 0)
				return &w->plans[k]->broadcasts[i];
	ck_abort_msg("no broadcast %s", id);
	return NULL;
}

/*
 * Each item placed as want says, one line an item: "object ordinal slot
 * YYYY-MM-DD HH:MM:SS duration state", the slot "-" for none, the time
 * local, the duration in seconds.
 */
static void
check_placed(const struct world *w, const char *const *want, size_t n)
{
	char	       obj[64], slot[64], day[16], hms[16], state[16], at[40];
	char	       got[40], exp[40];
	int	       ord, dur;
	enum job_state st;
	size_t	       i;

	for (i = 0; i < n; i++) {
		const struct job *j;

		ck_assert_msg(sscanf(want[i], "%63s %d %63s %15s %15s %d %15s",
				  obj, &ord, slot, day, hms, &dur, state) == 7,
		    "bad want \"%s\"", want[i]);
		ck_assert_int_eq(job_state_from_name(state, &st), 0);
		snprintf(at, sizeof(at), "%s %s", day, hms);
		j = item(w, obj, ord);
		tz_rfc3339(j->plan->tz, j->due, got, sizeof(got));
		tz_rfc3339(j->plan->tz, LOCAL_TIME(at), exp, sizeof(exp));
		ck_assert_msg(strcmp(got, exp) == 0,
		    "%s #%d planned %s, expected %s", obj, ord, got, exp);
		if (strcmp(slot, "-") == 0)
			ck_assert_msg(j->slot == NULL,
			    "%s #%d: slot %s, expected none", obj, ord,
			    j->slot);
		else
			ck_assert_msg(j->slot != NULL &&
				strcmp(j->slot, slot) == 0,
			    "%s #%d: slot %s, expected %s", obj, ord,
			    j->slot ? j->slot : "(none)", slot);
		ck_assert_msg(j->duration == dur, "%s: %d s, expected %d", obj,
		    j->duration, dur);
		ck_assert_msg(j->state == st, "%s #%d: state %s, expected %s",
		    obj, ord, job_state_names[j->state], state);
	}
}

/*
 * What holds for any placement: an item airs inside its slot on a day the
 * slot runs, not before its air time nor at or after its expiry, and the
 * items of one slot instance do not overlap and keep the gap.
 */
static void
check_invariants(const struct world *w)
{
	size_t i, k, s;

	for (i = 0; i < w->jobs.n; i++) {
		const struct job       *j = &w->jobs.v[i];
		const struct broadcast *b;
		const struct slot      *sl = NULL;
		int64_t			local, day, start;

		if (j->kind != JK_BROADCAST || j->slot == NULL)
			continue;
		b = broadcast_of(w, j->object);
		ck_assert_int_ge(j->due, b->air[j->ordinal].t);
		if (b->expires.src != NULL)
			ck_assert_int_lt(j->due, b->expires.t);
		for (s = 0; s < w->svc->nslots; s++)
			if (strcmp(w->svc->slots[s].name, j->slot) == 0)
				sl = &w->svc->slots[s];
		ck_assert_ptr_nonnull(sl);
		local = tz_to_local(w->svc->tz, j->due);
		day = civil_day_of(local);
		ck_assert_msg(sl->days & (1u << civil_weekday(day)),
		    "%s airs in %s on a day it does not run", j->object,
		    j->slot);
		start = slots_start(w->svc, sl, day);
		ck_assert_int_ge(j->due, start);
		ck_assert_int_le(j->due + j->duration,
		    start + (int64_t)(sl->end - sl->start) * 60);
		for (k = 0; k < w->jobs.n; k++) {
			const struct job *o = &w->jobs.v[k];

			if (k == i || o->kind != JK_BROADCAST ||
			    o->slot == NULL || o->due < j->due ||
			    o->due >=
				start + (int64_t)(sl->end - sl->start) * 60)
				continue;
			ck_assert_msg(o->due >= j->due + j->duration + GAP,
			    "%s overlaps %s, or leaves no gap", o->object,
			    j->object);
		}
	}
}

START_TEST(test_first_slot)
{
	static const char *const want[] = {
		/* a slot's start is "at or after" */
		"dung-gio 0 Sáng 2026-03-02 06:00:00 6 pending",
		/* Sáng has begun: Chiều */
		"tre 0 Chiều 2026-03-02 17:00:00 6 pending",
		/* Chiều has begun: Sáng the next day */
		"toi 0 Sáng 2026-03-03 06:00:00 6 pending",
		/* each air time on its own */
		"lap 0 Sáng 2026-03-05 06:00:00 6 pending",
		"lap 1 Chiều 2026-03-05 17:00:00 6 pending",
	};
	struct world *w;

	w = slots_open(BASIC);
	check_placed(w, want, NELEM(want));
	check_invariants(w);
	ck_assert_msg(w->d.warnings == 0, "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_order_priority_air)
{
	static const char *const want[] = {
		/* high first, though it airs from the latest */
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		/* then by air time: 40 + 10 */
		"n-som 0 Chiều 2026-03-04 17:00:50 30 pending",
		/* 50 + 30 + 10 */
		"n-muon 0 Chiều 2026-03-04 17:01:30 20 pending",
	};
	struct world *w;

	w = slots_open(BASIC);
	check_placed(w, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_order_id)
{
	/*
	 * Same priority, same air time: by id, the item's (items go by
	 * priority, then air time, then id). The job ids of these two
	 * sort the other way round.
	 */
	static const char *const want[] = {
		"cung-a 0 Chiều 2026-03-04 17:02:00 10 pending",
		"cung-b 0 Chiều 2026-03-04 17:02:20 10 pending",
	};
	struct world *w;

	w = slots_open(BASIC);
	check_placed(w, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_full_and_weekdays)
{
	static const char *const want[] = {
		"day-1 0 Chiều 2026-03-06 17:00:00 300 pending",
		/* 300 + 10 + 5 fits the 600 s of Chiều */
		"ngan 0 Chiều 2026-03-06 17:05:10 5 pending",
		/* 300 + 10 + 295 does not: the next slot, Saturday's Sáng */
		"day-2 0 Sáng 2026-03-07 06:00:00 295 pending",
		/* no Chiều on Saturday: Sunday's Sáng */
		"cuoi-tuan 0 Sáng 2026-03-08 06:00:00 5 pending",
		/* nor on Sunday: Monday's Sáng */
		"chu-nhat 0 Sáng 2026-03-09 06:00:00 5 pending",
	};
	struct world *w;

	w = slots_open("plans/slots/full/loa.cfg");
	check_placed(w, want, NELEM(want));
	check_invariants(w);
	ck_assert_msg(w->d.warnings == 0, "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_exact_fit)
{
	static const char *const want[] = {
		/* 1800 s: exactly Sáng */
		"vua 0 Sáng 2026-03-12 06:00:00 1800 pending",
		/* and nothing else fits there */
		"sau-vua 0 Chiều 2026-03-12 17:00:00 1 pending",
	};
	struct world *w;

	w = slots_open("plans/slots/edge/loa.cfg");
	check_placed(w, want, NELEM(want));
	check_invariants(w);
	world_close(w);
}
END_TEST

START_TEST(test_too_long)
{
	static const char *const want[] = {
		/* unplaced: it keeps its air time */
		"dai 0 - 2026-03-10 05:00:00 1801 skipped",
	};
	struct world	 *w;
	const struct job *j;

	w = slots_open("plans/slots/edge/loa.cfg");
	check_placed(w, want, NELEM(want));
	j = item(w, "dai", 0);
	ck_assert_msg(j->reason != NULL && strstr(j->reason, "longer") != NULL,
	    "reason \"%s\"", j->reason ? j->reason : "(null)");
	ck_assert_msg(tu_lines(w->log, "warning", "dai") == 1 &&
		tu_lines(w->log, "dai", "longer") == 1,
	    "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_expires)
{
	static const char *const want[] = {
		"het-han 0 - 2026-03-10 17:01:00 5 skipped",
	};
	struct world	 *w;
	const struct job *j;

	w = slots_open("plans/slots/edge/loa.cfg");
	check_placed(w, want, NELEM(want));
	j = item(w, "het-han", 0);
	ck_assert_msg(j->reason != NULL && strstr(j->reason, "expires") != NULL,
	    "reason \"%s\"", j->reason ? j->reason : "(null)");
	ck_assert_msg(tu_lines(w->log, "warning", "het-han") == 1 &&
		tu_lines(w->log, "het-han", "expires") == 1,
	    "%s", w->log);
	/* dai and het-han, nothing else. */
	ck_assert_msg(w->d.warnings == 2, "%s", w->log);
	world_close(w);
}
END_TEST

START_TEST(test_emergency)
{
	static const char *const want[] = {
		/* at its air time, at night, in no slot */
		"khan 0 - 2026-03-10 22:15:00 6 pending",
	};
	struct world *w;

	w = slots_open("plans/slots/edge/loa.cfg");
	check_placed(w, want, NELEM(want));
	ck_assert_int_eq(item(w, "khan", 0)->priority, PRIO_EMERGENCY);
	ck_assert_ptr_null(item(w, "khan", 0)->reason);
	world_close(w);
}
END_TEST

START_TEST(test_held)
{
	struct world	 *w;
	const struct job *j;

	w = slots_open("plans/slots/edge/loa.cfg");
	j = item(w, "cho", 0);
	ck_assert_int_eq(j->state, JS_HELD);
	ck_assert_ptr_null(j->slot);
	/* Not moved to a slot: still its (tentative) air time. */
	ck_assert_int_eq(j->due, broadcast_of(w, "cho")->air[0].t);
	ck_assert_msg(j->reason != NULL &&
		strstr(j->reason, "tentative") != NULL,
	    "reason \"%s\"", j->reason ? j->reason : "(null)");
	world_close(w);
}
END_TEST

/*
 * slots_place with nothing to place, or nothing that fits, must do
 * nothing (it once handed NULL to qsort). Run in a child: under the
 * sanitizers undefined behaviour ends the process, and it should not end
 * this test program with it.
 */
static void
child_place(const char *cfg, const char *keep)
{
	struct world w;
	size_t	     i;

	if (pfx_load(&w, cfg, LOCAL_TIME(NOW), 0) == -1)
		_exit(2);
	/* Hold back every broadcast but keep (NULL: all). */
	for (i = 0; i < w.jobs.n; i++)
		if (w.jobs.v[i].kind == JK_BROADCAST &&
		    (keep == NULL || strcmp(w.jobs.v[i].object, keep) != 0))
			w.jobs.v[i].state = JS_HELD;
	slots_place(w.svc, &w.jobs, &w.d);
	pfx_clear(&w);
	_exit(0);
}

START_TEST(test_nothing_to_place)
{
	static const struct {
		const char *cfg;
		const char *keep;
		const char *what;
	} cases[] = {
		{ "plans/times/loa.cfg", NULL, "a plan without broadcasts" },
		{ "plans/slots/edge/loa.cfg", "khan", "only an emergency" },
		{ "plans/slots/edge/loa.cfg", "dai",
		    "only an item longer than any slot" },
		{ "plans/slots/edge/loa.cfg", "het-han",
		    "only an item that expires first" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t pid;
		int   status;

		fflush(NULL);
		pid = fork();
		ck_assert_int_ne(pid, -1);
		if (pid == 0)
			child_place(cases[i].cfg, cases[i].keep);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "slots_place with %s: the process %s %d", cases[i].what,
		    WIFEXITED(status) ? "exited with" : "died of signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
}
END_TEST

/* Re-plan w with the nf settled items f; then each is placed as want says
 * (check_placed), and the placement holds (check_invariants). */
static void
replan(struct world *w, const struct slots_fixed *f, size_t nf,
    const char *const *want, size_t n)
{
	slots_replan(w->svc, &w->jobs, f, nf, &w->d);
	check_placed(w, want, n);
	check_invariants(w);
}

/* A settled airing of object's air time ordinal, at local time at. */
static struct slots_fixed
fixed_at(const struct world *w, const char *object, int ordinal,
    const char *slot, const char *at, int duration, int keep)
{
	struct slots_fixed f;

	memset(&f, 0, sizeof(f));
	memcpy(f.id, item(w, object, ordinal)->id, sizeof(f.id));
	f.due = LOCAL_TIME(at);
	f.slot = slot;
	f.duration = duration;
	f.keep = keep;
	return f;
}

static struct job *
item_rw(struct world *w, const char *object)
{
	return (struct job *)item(w, object, 0);
}

START_TEST(test_replan_high_ahead)
{
	/*
	 * h-muon aired and n-som was handed; then cung-b becomes high (an
	 * item that arrives later): it goes ahead of the normal ones not yet
	 * aired, and the two settled ones stay where they are.
	 */
	static const char *const want[] = {
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		"n-som 0 Chiều 2026-03-04 17:00:50 30 pending",
		/* 80 + 10 */
		"cung-b 0 Chiều 2026-03-04 17:01:30 10 pending",
		/* 100 + 10 */
		"n-muon 0 Chiều 2026-03-04 17:01:50 20 pending",
		"cung-a 0 Chiều 2026-03-04 17:02:20 10 pending",
	};
	struct slots_fixed f[2];
	struct world	  *w;
	int		   round;

	w = slots_open(BASIC);
	f[0] = fixed_at(w, "h-muon", 0, "Chiều", "2026-03-04 17:00:00", 40, 1);
	f[1] = fixed_at(w, "n-som", 0, "Chiều", "2026-03-04 17:00:50", 30, 1);
	item_rw(w, "cung-b")->priority = PRIO_HIGH;
	/* Twice: re-planning the same jobs again gives the same. */
	for (round = 0; round < 2; round++) {
		replan(w, f, 2, want, NELEM(want));
	}
	world_close(w);
}
END_TEST

START_TEST(test_replan_high_during_slot)
{
	/*
	 * h-muon is on air from 17:00:00 when cung-b becomes high, its air
	 * time 17:00:20 inside the running slot: it goes next in that slot,
	 * after what is on air, ahead of the normal ones not yet aired
	 * there (not to the next slot that starts after it).
	 */
	static const char *const want[] = {
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		/* 40 + 10 */
		"cung-b 0 Chiều 2026-03-04 17:00:50 10 pending",
		"n-som 0 Chiều 2026-03-04 17:01:10 30 pending",
		"n-muon 0 Chiều 2026-03-04 17:01:50 20 pending",
		"cung-a 0 Chiều 2026-03-04 17:02:20 10 pending",
	};
	struct slots_fixed f;
	struct world	  *w;

	w = slots_open(BASIC);
	f = fixed_at(w, "h-muon", 0, "Chiều", "2026-03-04 17:00:00", 40, 1);
	item_rw(w, "cung-b")->priority = PRIO_HIGH;
	((struct broadcast *)broadcast_of(w, "cung-b"))->air[0].t = LOCAL_TIME(
	    "2026-03-04 17:00:20");
	replan(w, &f, 1, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_replan_aired_not_moved)
{
	/*
	 * n-muon was read out at 17:04 (recorded aired there). It stays,
	 * with the length it aired with even when its item's length changes
	 * since; what is not yet aired goes after it, never over it.
	 */
	static const char *const want[] = {
		"n-muon 0 Chiều 2026-03-04 17:04:00 20 pending",
		/* 260 + 10 */
		"h-muon 0 Chiều 2026-03-04 17:04:30 40 pending",
		"n-som 0 Chiều 2026-03-04 17:05:20 30 pending",
		"cung-a 0 Chiều 2026-03-04 17:06:00 10 pending",
		"cung-b 0 Chiều 2026-03-04 17:06:20 10 pending",
	};
	struct slots_fixed f;
	struct world	  *w;

	w = slots_open(BASIC);
	f = fixed_at(w, "n-muon", 0, "Chiều", "2026-03-04 17:04:00", 20, 1);
	item_rw(w, "n-muon")->duration = 300;
	item_rw(w, "n-muon")->priority = PRIO_HIGH;
	replan(w, &f, 1, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_replan_duration)
{
	/*
	 * n-som's real length (as speech makes it) is 560 s: after h-muon's
	 * 40 + 10 it would end past Chiều's 600 s, so it is not cut there but
	 * moves whole to the next slot, Sáng on Thursday; the others close
	 * up behind h-muon.
	 */
	static const char *const want[] = {
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		"n-som 0 Sáng 2026-03-05 06:00:00 560 pending",
		"n-muon 0 Chiều 2026-03-04 17:00:50 20 pending",
		"cung-a 0 Chiều 2026-03-04 17:01:20 10 pending",
		"lap 0 Sáng 2026-03-05 06:09:30 6 pending",
	};
	struct world *w;

	w = slots_open(BASIC);
	item_rw(w, "n-som")->duration = 560;
	replan(w, NULL, 0, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_replan_adhoc)
{
	/*
	 * h-muon aired and n-som was handed when an ad-hoc high item comes
	 * (`loa broadcast add`, its plan built from the outbox's rows): it
	 * goes ahead of the normal items not yet aired, after the settled.
	 */
	static const struct adhoc_item rows[] = {
		{ "tin-1", "Khẩn", "một hai ba bốn năm sáu bảy tám chín mười",
		    PRIO_HIGH, 0, TIMEX_NONE },
	};
	static const char *const want[] = {
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		"n-som 0 Chiều 2026-03-04 17:00:50 30 pending",
		"tin-1 0 Chiều 2026-03-04 17:01:30 10 pending",
		"n-muon 0 Chiều 2026-03-04 17:01:50 20 pending",
	};
	struct adhoc_item  r = rows[0];
	struct slots_fixed f[2];
	struct world	  *w;
	struct plan	  *ah;

	w = slots_open(BASIC);
	f[0] = fixed_at(w, "h-muon", 0, "Chiều", "2026-03-04 17:00:00", 40, 1);
	f[1] = fixed_at(w, "n-som", 0, "Chiều", "2026-03-04 17:00:50", 30, 1);
	r.air = LOCAL_TIME("2026-03-04 16:00");
	ah = plan_adhoc(w->svc, &r, 1, "UBND xã", "var/loa.db");
	ck_assert_str_eq(ah->id, ADHOC_PLAN);
	ck_assert_ptr_eq(ah->tz, w->svc->tz);
	w->plans[w->nplans++] = ah;
	plan_expand(ah, w->svc, &w->jobs, &w->d);
	replan(w, f, 2, want, NELEM(want));
	world_close(w);
}
END_TEST

START_TEST(test_replan_ended_takes_no_room)
{
	/* h-muon expired unaired: it keeps its time, takes no room. */
	static const char *const want[] = {
		"h-muon 0 Chiều 2026-03-04 17:00:00 40 pending",
		"n-som 0 Chiều 2026-03-04 17:00:00 30 pending",
		"n-muon 0 Chiều 2026-03-04 17:00:40 20 pending",
	};
	struct slots_fixed f;
	struct world	  *w;

	w = slots_open(BASIC);
	f = fixed_at(w, "h-muon", 0, "Chiều", "2026-03-04 17:00:00", 40, 0);
	slots_replan(w->svc, &w->jobs, &f, 1, &w->d);
	check_placed(w, want, NELEM(want));
	world_close(w);
}
END_TEST

int
main(void)
{
	TU_CASE("placement", NULL, pfx_teardown, 0, test_first_slot,
	    test_order_priority_air, test_order_id, test_full_and_weekdays,
	    test_exact_fit);
	TU_CASE("unplaced", NULL, pfx_teardown, 0, test_too_long, test_expires,
	    test_emergency, test_held, test_nothing_to_place);
	TU_CASE("replanning", NULL, pfx_teardown, 0, test_replan_high_ahead,
	    test_replan_high_during_slot, test_replan_aired_not_moved,
	    test_replan_duration, test_replan_ended_takes_no_room,
	    test_replan_adhoc);
	return tu_run("slots");
}
