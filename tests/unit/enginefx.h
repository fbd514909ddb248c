/*
 * enginefx.h: a real engine over a real outbox in a temporary folder, for
 * the suites that drive one (check_engine_*.c, check_delivery*.c).
 *
 * efx_setup makes the folder (the fixture of a test case), with the
 * service config loa.cfg, which names the plan plan.cfg (the test writes
 * it, at efx.plan) and the outbox loa.db; efx_open loads them into an
 * engine, efx.e, which efx_teardown frees even when a test failed.
 */
#ifndef LOA_ENGINEFX_H
#define LOA_ENGINEFX_H

#include <limits.h>
#include <stdint.h>

#include "deliver/engine.h"

struct efx {
	char	       dir[PATH_MAX - 64];
	char	       cfg[PATH_MAX];
	char	       plan[PATH_MAX];
	char	       store[PATH_MAX];
	struct engine *e;
};

extern struct efx efx;

/* The fixture: the folder, named after the suite, and the service config
 * with quiet hours 21:00-06:30 and no gateways (efx_service). */
void	       efx_setup(const char *suite);
void	       efx_teardown(void);
/*
 * Write the service config: the zone, the store, the plan, quiet hours
 * 21:00-06:30 when quiet, then extra (gateways, templates) if not NULL.
 */
void	       efx_service(int quiet, const char *extra);
/*
 * Load the config and the plan at now into a new engine, efx.e (there must
 * be none). files: every gateway is a file gateway under the folder (as
 * `simulate` has it); else the config's gateways.
 */
struct engine *efx_open(int64_t now, int files);
void	       efx_close(void);
/* Step the engine at t; the step must succeed. */
void	       efx_step(int64_t t);

#endif
