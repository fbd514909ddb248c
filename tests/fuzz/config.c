/*
 * config.c: fuzz the service config loader (plan/service.c, cfg.c,
 * cfgread.c) through world_load, as `loa check` reads it: the input is
 * loa.cfg, beside the plan of tests/data/ok. Any outcome is fine but a
 * crash, a hang or a sanitizer report; errors must be counted.
 */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_load_init("plan.cfg");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_load("loa.cfg", data, size);
	return 0;
}
