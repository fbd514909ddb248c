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

#include "util/diag.h"
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

/*
 * Speech (broadcast.tts) as loading a world reaches it: a service beside
 * the gateways, with its library, its cache of WAVs and its lock, handed
 * down by the commands that may synthesise and write that cache
 * (render/speech.h has them). Loading with none synthesises nothing,
 * writes nothing and needs no library: each broadcast keeps the
 * words_per_minute estimate of its length.
 */
struct speech_hook {
	/*
	 * Check svc's speech settings (the voice, the chime), each error at
	 * its FILE:LINE in d; the chime's samples are kept in svc. Nothing
	 * with tts off. NULL: the settings are not checked.
	 */
	void (*install)(struct service *svc, struct diag *d);
	/*
	 * Each broadcast job's duration (seconds, rounded up) the real
	 * length of its WAV, from the cache or synthesised into it; only
	 * plan's jobs when plan is not NULL; a failure is an error at the
	 * broadcast's FILE:LINE. Nothing with tts off. NULL: the estimates
	 * stay.
	 */
	void (*durations)(const struct service *svc, struct jobs *js,
	    const struct plan *plan, struct diag *d);
};

#endif
