/*
 * testutil.c: helpers of the unit suites (see testutil.h).
 */
#include <sys/stat.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "util/timex.h"
#include "util/mem.h"
#include "testutil.h"

int64_t
tu_time(const char *zone, const char *s)
{
	int64_t t;

	ck_assert_msg(timex_parse_instant(tz_get(zone), s, &t) == 0,
	    "bad time \"%s\" in the test", s);
	return t;
}

void
tu_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

char *
tu_slurp(const char *path)
{
	FILE  *f = fopen(path, "rb");
	char  *s = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			s = xreallocarray(s, cap, 1);
		}
		n = fread(s + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	s[len] = '\0';
	return s;
}

int
tu_lines(const char *text, const char *a, const char *b)
{
	const char *p = text, *nl;
	char	   *line;
	int	    n = 0;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
		if (strstr(line, a) != NULL &&
		    (b == NULL || strstr(line, b) != NULL))
			n++;
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	return n;
}

void
tu_rm_tree(const char *path)
{
	struct stat    st;
	DIR	      *d;
	struct dirent *de;
	char	      *sub;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		tu_rm_tree(sub);
		free(sub);
	}
	closedir(d);
	rmdir(path);
}

void
tu_mkdtemp(char *dir, size_t len, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/%s.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp", name);
	ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
}

/* The cases tu_case added, for tu_run. */
static TCase *cases[32];
static int    ncases;

TCase *
tu_case(const char *name, void (*setup)(void), void (*teardown)(void),
    int timeout, const TTest *const *tests)
{
	TCase *tc = tcase_create(name);

	assert(ncases < (int)NELEM(cases)); /* outside a test: no ck_assert */
	if (setup != NULL || teardown != NULL)
		tcase_add_checked_fixture(tc, setup, teardown);
	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	for (; *tests != NULL; tests++)
		tcase_add_test(tc, *tests);
	cases[ncases++] = tc;
	return tc;
}

int
tu_run(const char *name)
{
	Suite	*s = suite_create(name);
	SRunner *sr;
	int	 failed, i;

	for (i = 0; i < ncases; i++)
		suite_add_tcase(s, cases[i]);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tz_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
