/*
 * testutil.c: helpers of the unit suites (see testutil.h).
 */
#include <sys/stat.h>

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
