/*
 * fuzz.h: what the fuzz harnesses of tests/fuzz/ share. Each harness is
 * one libFuzzer target (LLVMFuzzerTestOneInput); with -DLOA_FUZZ=ON it is
 * linked with libFuzzer (scripts/fuzz), otherwise with replay.c, which
 * runs it once over each file of its seed corpus (ctest unit_fuzz_NAME).
 */
#ifndef LOA_FUZZ_H
#define LOA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (a NUL inside ends it). Caller
 * frees. */
char	   *fz_str(const uint8_t *data, size_t size);
/* A folder of this process's own, removed at exit. */
const char *fz_dir(void);
/* Write n bytes to path, replacing it. */
void	    fz_write(const char *path, const void *data, size_t n);
/* /dev/null, open for writing: where diagnostics go. */
FILE	   *fz_null(void);
/*
 * The seed config of conf/ (its plan and attachment) copied under
 * fz_dir()/conf, its store "loa.db" beside it and speech off: the path of
 * its loa.cfg. The same path on every call.
 */
const char *fz_seed_config(void);

/*
 * The loaders' harnesses (config, plan): fz_dir() holds loa.cfg and
 * plan.cfg, the one named fixed copied from tests/data/ok, the other
 * written from each input by fz_load, which loads the pair as `loa check`
 * does, at a fixed instant, and checks that a failure counted an error.
 */
void fz_load_init(const char *fixed);
void fz_load(const char *fuzzed, const uint8_t *data, size_t size);

/* The fuzzer's own checks: fail loudly (abort) when cond is false. */
#define FZ_CHECK(cond) ((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, #cond))
void
fz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
