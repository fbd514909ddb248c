/*
 * broadcast.h: the record of a news item queued for the loudspeaker
 * (conf/REFERENCE.md §7): one JSON object a broadcast job, what the station's
 * player and a person at the station read. Pure.
 */
#ifndef LOA_BROADCAST_H
#define LOA_BROADCAST_H

#include <stdint.h>

#include "loa.h"

/*
 * The JSON record of broadcast b (NULL: gone from the plan, rendered with
 * empty texts) of plan p, job id, planned on air at `planned` in the slot
 * named slot (NULL: none) for duration seconds; its text for the ear
 * with svc's broadcast.say (render/spoken.h). Caller frees. Can't fail.
 */
char *broadcast_render(const struct plan *p, const struct broadcast *b,
    const char *id, const char *object, int64_t planned, const char *slot,
    int duration, const struct service *svc);

#endif
