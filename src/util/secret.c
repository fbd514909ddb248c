/*
 * secret.c: a secret's file read as its first line (secret.h).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/secret.h"

char *
secret_file_line(const char *path, size_t max, char *err, size_t errlen)
{
	char  *data;
	size_t len, n;

	assert(path != NULL && max > 0);
	if (fs_slurp(path, max, &data, &len, err, errlen) == -1)
		return NULL;
	n = strcspn(data, "\r\n");
	if (n == 0 || (n < len && data[n] == '\0')) {
		snprintf(err, errlen, "%s: %s", path,
		    n == 0 ? "its first line is empty" :
			     "its first line holds a NUL byte");
		explicit_bzero(data, len);
		free(data);
		return NULL;
	}
	/* The lines after it (a comment, a second secret) are not kept. */
	explicit_bzero(data + n, len - n);
	return data;
}
