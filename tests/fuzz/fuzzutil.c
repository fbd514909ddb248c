/*
 * fuzzutil.c: the helpers of fuzz.h.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/world.h"
#include "util/diag.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timex.h"
#include "fuzz.h"

static char dir[256];

char *
fz_str(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static void
rm_dir(void)
{
	char cmd[512];

	/* Only the folder made below, by its exact name. */
	if (dir[0] == '\0' || strstr(dir, "/loa-fuzz.") == NULL ||
	    strchr(dir, '\'') != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

const char *
fz_dir(void)
{
	if (dir[0] != '\0')
		return dir;
	/* In memory when it can be: the outbox's commits wait for no disk. */
	snprintf(dir, sizeof(dir), "%s/loa-fuzz.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(rm_dir);
	return dir;
}

void
fz_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) ||
	    fclose(f) != 0) {
		perror(path);
		abort();
	}
}

FILE *
fz_null(void)
{
	static FILE *f;

	if (f == NULL && (f = fopen("/dev/null", "w")) == NULL)
		abort();
	return f;
}

void
fz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
	abort();
}

/* Copy src to dst, its lines that start with drop left out, those that
 * start with from replaced by to. */
static void
copy(const char *src, const char *dst, const char *drop, const char *from,
    const char *to)
{
	FILE  *in = fopen(src, "r"), *out = fopen(dst, "w");
	char  *line = NULL;
	size_t cap = 0;

	if (in == NULL || out == NULL) {
		perror(in == NULL ? src : dst);
		abort();
	}
	while (getline(&line, &cap, in) != -1) {
		const char *p = line + strspn(line, " \t");

		if (drop != NULL && strncmp(p, drop, strlen(drop)) == 0)
			continue;
		if (from != NULL && strncmp(p, from, strlen(from)) == 0)
			fputs(to, out);
		else
			fputs(line, out);
	}
	free(line);
	fclose(in);
	if (fclose(out) != 0)
		abort();
}

const char *
fz_seed_config(void)
{
	static char cfg[512];
	char	    d[400], src[512], dst[512];

	if (cfg[0] != '\0')
		return cfg;
	snprintf(d, sizeof(d), "%s/conf", fz_dir());
	snprintf(src, sizeof(src), "%s/plans", d);
	snprintf(dst, sizeof(dst), "%s/plans/files", d);
	if (mkdir(d, 0700) == -1 || mkdir(src, 0700) == -1 ||
	    mkdir(dst, 0700) == -1) {
		perror(d);
		abort();
	}
	snprintf(src, sizeof(src), "%s/conf/loa.cfg", LOA_FUZZ_SRC);
	snprintf(cfg, sizeof(cfg), "%s/loa.cfg", d);
	copy(src, cfg, "tts =", "store =", "  store = \"loa.db\";\n");
	snprintf(src, sizeof(src), "%s/conf/plans/129-KH-UBND.cfg",
	    LOA_FUZZ_SRC);
	snprintf(dst, sizeof(dst), "%s/plans/129-KH-UBND.cfg", d);
	copy(src, dst, NULL, NULL, NULL);
	snprintf(src, sizeof(src), "%s/conf/plans/files/129-KH-UBND.txt",
	    LOA_FUZZ_SRC);
	snprintf(dst, sizeof(dst), "%s/plans/files/129-KH-UBND.txt", d);
	copy(src, dst, NULL, NULL, NULL);
	return cfg;
}

static int64_t load_now;

void
fz_load_init(const char *fixed)
{
	char   src[512], dst[512];
	char  *data;
	size_t len;
	FILE  *f;

	snprintf(dst, sizeof(dst), "%s/%s", fz_dir(), fixed);
	snprintf(src, sizeof(src), "%s/tests/data/ok/%s", LOA_FUZZ_SRC, fixed);
	if ((f = fopen(src, "rb")) == NULL) {
		perror(src);
		abort();
	}
	data = xmalloc(1 << 16);
	len = fread(data, 1, 1 << 16, f);
	fclose(f);
	fz_write(dst, data, len);
	free(data);
	if (timex_parse_instant(tz_get("Asia/Ho_Chi_Minh"), "2027-01-01 00:00",
		&load_now) != 0)
		abort();
}

void
fz_load(const char *fuzzed, const uint8_t *data, size_t size)
{
	struct diag  d = { fz_null(), 0, 0 };
	struct world w;
	char	     path[512], cfg[512];
	int	     rc;

	snprintf(path, sizeof(path), "%s/%s", fz_dir(), fuzzed);
	snprintf(cfg, sizeof(cfg), "%s/loa.cfg", fz_dir());
	fz_write(path, data, size);
	memset(&w, 0, sizeof(w));
	rc = world_load(&w, cfg, load_now, &d);
	FZ_CHECK(rc == 0 || d.errors > 0);
	world_free(&w);
}
