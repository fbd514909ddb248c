/*
 * config.c: fuzz the service config loader (plan/service.c, cfg.c,
 * cfgread.c) through world_load, as `loa check` reads it: the input is
 * loa.cfg, beside the plan of tests/data/ok. Any outcome is fine but a
 * crash, a hang or a sanitizer report; errors must be counted.
 */
#include <stdlib.h>
#include <string.h>

#include "jobs/world.h"
#include "util/diag.h"
#include "util/timex.h"
#include "fuzz.h"

static char    cfg[512];
static int64_t now;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char   src[512], plan[512];
	char  *data;
	size_t len;
	FILE  *f;

	snprintf(cfg, sizeof(cfg), "%s/loa.cfg", fz_dir());
	snprintf(plan, sizeof(plan), "%s/plan.cfg", fz_dir());
	snprintf(src, sizeof(src), "%s/tests/data/ok/plan.cfg", LOA_FUZZ_SRC);
	if ((f = fopen(src, "rb")) == NULL) {
		perror(src);
		abort();
	}
	data = malloc(1 << 16);
	len = fread(data, 1, 1 << 16, f);
	fclose(f);
	fz_write(plan, data, len);
	free(data);
	if (timex_parse_instant(tz_get("Asia/Ho_Chi_Minh"), "2027-01-01 00:00",
		&now) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag  d = { fz_null(), 0, 0 };
	struct world w;
	int	     rc;

	fz_write(cfg, data, size);
	memset(&w, 0, sizeof(w));
	rc = world_load(&w, cfg, now, &d);
	FZ_CHECK(rc == 0 || d.errors > 0);
	world_free(&w);
	return 0;
}
