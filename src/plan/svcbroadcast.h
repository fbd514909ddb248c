/*
 * svcbroadcast.h: reading the broadcast group of the service config
 * (conf/REFERENCE.md §3) for service.c.
 */
#ifndef LOA_SVCBROADCAST_H
#define LOA_SVCBROADCAST_H

#include <libconfig.h>

#include "plan/cfg.h"
#include "loa.h"

/*
 * The broadcast group of cf into svc: its slots (the defaults when it has
 * none), words_per_minute, gap, tts, cap and say; each error at its line
 * through c.
 */
void svc_broadcast(struct cfg *c, config_t *cf, struct service *svc);

#endif
