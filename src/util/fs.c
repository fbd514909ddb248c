/*
 * fs.c: reading whole files (see fs.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/xmalloc.h"

int
fs_slurp(const char *path, size_t max, char **data, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	char	   *s;
	size_t	    n = 0;
	ssize_t	    r;
	int	    fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((size_t)st.st_size > max) {
		snprintf(err, errlen,
		    "%s: %lld bytes, more than the %zu loa "
		    "reads",
		    path, (long long)st.st_size, max);
		close(fd);
		return -1;
	}
	s = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size &&
	    (r = read(fd, s + n, (size_t)st.st_size - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(s);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	s[n] = '\0';
	*data = s;
	*len = n;
	return 0;
}
