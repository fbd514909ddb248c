/*
 * service.h: reading the service config (conf/REFERENCE.md §1 and §3) into
 * struct service: the store, the plan files, quiet hours, holidays, default
 * reminders, gateways, channels, broadcast slots and template overrides.
 *
 * Loading has no side effects beyond reading files: nothing is created,
 * nothing is sent.
 */
#ifndef LOA_SERVICE_H
#define LOA_SERVICE_H

#include "plan/cfg.h"
#include "loa.h"

/*
 * Load the service config at path. Returns the service, or NULL when it
 * has errors (all of them reported to d). The plans it names are not
 * read: see plan_load. The templates are kept as written: the caller
 * installs them with tmpl_install before rendering anything. The caller
 * frees with service_free.
 */
struct service *service_load(const char *path, struct diag *d);
/*
 * As service_load, but the service is returned even when the config has
 * errors (counted in d), so that a later stage can check the parts it
 * owns (tmpl_install) and every error of the file is reported in one
 * run. NULL only when the file cannot be read or parsed, or has no loa
 * group. The caller looks at d->errors before using the service.
 */
struct service *service_read(const char *path, struct diag *d);
/* Free svc and everything from its arena; NULL is allowed. */
void		service_free(struct service *svc);

#endif
