/*
 * gwhttp.h: an http gateway's request template, answer rule and preset
 * (conf/REFERENCE.md §3), read from its group of the service config.
 */
#ifndef LOA_GWHTTP_H
#define LOA_GWHTTP_H

#include <libconfig.h>

#include "loa.h"
#include "plan/cfg.h"

/*
 * Fill gw->http from gateway group g (at path) over its preset; root is
 * the config's root (loa.http.listen is where Kannel's delivery reports
 * go). Errors (an unknown placeholder, missing credentials) are reported
 * through c at their line.
 */
void svc_gw_http(struct cfg *c, config_setting_t *root, config_setting_t *g,
    const char *path, struct gateway *gw);

#endif
