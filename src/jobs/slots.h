/*
 * slots.h: placing broadcast items into the station's air slots (SPEC §9).
 */
#ifndef LOA_SLOTS_H
#define LOA_SLOTS_H

#include "plan/cfg.h"
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

/* The slot instance (slot start, UTC) of slot s on local day day. */
int64_t
slots_start(const struct service *svc, const struct slot *s, int64_t day);

#endif
