/*
 * config.h: reading the service config and its plan files (SPEC §1, §3,
 * §4) into struct service and struct plan, with every error reported as
 * "FILE:LINE: KEY: what was wrong; what was expected".
 *
 * Loading has no side effects beyond reading files: nothing is created,
 * nothing is sent.
 */
#ifndef LOA_CONFIG_H
#define LOA_CONFIG_H

#include <stdio.h>

#include "loa.h"
#include "util/log.h"

/* Where messages go and how many there were. */
struct diag {
	FILE	*out;
	int	 errors;
	int	 warnings;
};

void	diag_error(struct diag *, const struct loc *, const char *key,
	    const char *, ...) LOA_PRINTF(4, 5);
void	diag_warn(struct diag *, const struct loc *, const char *key,
	    const char *, ...) LOA_PRINTF(4, 5);

/*
 * Load the service config at path and every plan it names. Returns the
 * service, or NULL when the service config itself could not be used;
 * plans that fail are left out of *plans and counted in d->errors. The
 * caller frees with service_free and plan_free.
 */
struct service	*service_load(const char *path, struct diag *d);
void		 service_free(struct service *);

/* Load one plan file for svc. Returns NULL on errors (reported to d). */
struct plan	*plan_load(const struct service *, const char *path,
		    const struct loc *from, struct diag *d);
void		 plan_free(struct plan *);

#endif
