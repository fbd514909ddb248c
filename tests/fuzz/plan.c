/*
 * plan.c: fuzz the plan loader (plan/planfile.c, cfg.c, cfgread.c,
 * resolve.c) through world_load, as `loa check` reads it: the input is
 * plan.cfg, named by the service config of tests/data/ok. Any outcome is
 * fine but a crash, a hang or a sanitizer report; errors must be counted.
 */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_load_init("loa.cfg");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_load("plan.cfg", data, size);
	return 0;
}
