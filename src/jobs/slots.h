/*
 * slots.h: placing broadcast items into the station's air slots
 * (conf/REFERENCE.md §3 and §4).
 */
#ifndef LOA_SLOTS_H
#define LOA_SLOTS_H

#include "util/diag.h"
#include "loa.h"

/*
 * Place every pending broadcast job of js that is not an emergency. Each
 * goes into the first slot instance that starts at or after its air time,
 * before it expires, and still has room for its duration (plus the gap
 * after the item before it). Items are placed by priority, then air time,
 * then id, and run in that order inside a slot; a job's due becomes its
 * planned time on air and its slot the slot's name. An item that fits no
 * slot is skipped with the reason, and a warning goes to d. Emergency
 * items keep their air time and no slot. Can't fail.
 */
void slots_place(const struct service *svc, struct jobs *js, struct diag *d);

/*
 * An airing whose place the outbox has settled: handed to the station
 * (sent, sending), aired (delivered), or due (its planned start passed).
 * keep 1: it keeps its planned time, slot and duration and occupies its
 * room; keep 0: it ended without airing (expired, dead, cancelled,
 * skipped) and takes no room, nor is it placed.
 */
struct slots_fixed {
	char	    id[17];
	int64_t	    due;      /* its planned start, UTC */
	const char *slot;     /* its slot's name, or NULL */
	int	    duration; /* seconds */
	int	    keep;
};

/*
 * Re-planning (conf/REFERENCE.md §4): slots_place with the airings of fixed (n of
 * them, any order) where the outbox has them, and every other item placed
 * around them: only airings not yet due move, a later high item goes
 * ahead of normal ones not yet aired, nothing is cut at a slot's end. It
 * may be called again on the same jobs (each placed job starts again
 * from its air time). Can't fail.
 */
void slots_replan(const struct service *svc, struct jobs *js,
    const struct slots_fixed *fixed, size_t n, struct diag *d);

/* The slot instance (slot start, UTC) of slot s on local day day. */
int64_t
slots_start(const struct service *svc, const struct slot *s, int64_t day);

#endif
