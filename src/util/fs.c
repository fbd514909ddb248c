/*
 * fs.c: reading whole files, and opening and writing loa's own files
 * without following a link (see fs.h).
 */
#include <sys/stat.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fault.h"
#include "util/fs.h"
#include "util/mem.h"

static int
slurp_fd(int, const char *, size_t, char **, size_t *, char *, size_t);

/*
 * Whether the file open on fd lies inside folder dir (after resolving
 * every link of both): what was opened, not what the name said a moment
 * before, so a link swapped in after a check cannot lead outside.
 */
static int
fd_within(int fd, const char *dir)
{
	char	link[64], *real, *base;
	ssize_t n;
	size_t	k;
	int	in;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	real = xmalloc(PATH_MAX + 1);
	if ((n = readlink(link, real, PATH_MAX)) <= 0 ||
	    (base = realpath(dir, NULL)) == NULL) {
		free(real);
		return 0;
	}
	real[n] = '\0';
	k = strlen(base);
	in = strcmp(base, "/") == 0 ||
	    (strncmp(real, base, k) == 0 && real[k] == '/');
	free(base);
	free(real);
	return in;
}

int
fs_slurp_within(const char *dir, const char *path, size_t max, char **data,
    size_t *len, char *err, size_t errlen)
{
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!fd_within(fd, dir)) {
		snprintf(err, errlen, "%s: not inside %s (a link leads out)",
		    path, dir);
		close(fd);
		return -1;
	}
	return slurp_fd(fd, path, max, data, len, err, errlen);
}

/* Read the regular file open on fd (named path, for messages) whole, at
 * most max bytes; fd is closed. 0, or -1 with err set. */
static int
slurp_fd(int fd, const char *path, size_t max, char **data, size_t *len,
    char *err, size_t errlen)
{
	struct stat st;
	char	   *s;
	size_t	    n = 0;
	ssize_t	    r;

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
		    "%s: %lld bytes, more than the %zu loa reads", path,
		    (long long)st.st_size, max);
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

int
fs_slurp(const char *path, size_t max, char **data, size_t *len, char *err,
    size_t errlen)
{
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return slurp_fd(fd, path, max, data, len, err, errlen);
}

/* Say in err why path could not be opened (errno e), a link in words. */
static void
own_error(const char *path, int e, char *err, size_t errlen)
{
	if (e == ELOOP)
		snprintf(err, errlen,
		    "%s: a symbolic link, which loa did not make: not "
		    "followed (remove it)",
		    path);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(e));
}

int
fs_slurp_own(const char *path, size_t max, char **data, size_t *len, char *err,
    size_t errlen)
{
	int fd;

	*data = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		own_error(path, errno, err, errlen);
		return -1;
	}
	return slurp_fd(fd, path, max, data, len, err, errlen);
}

int
fs_open_own(const char *path, int flags, mode_t mode, char *err, size_t errlen)
{
	struct stat st;
	int	    fd;

	assert(path != NULL && err != NULL && errlen > 0);
	if ((fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		 mode)) == -1) {
		int e = errno;

		/* O_EXCL meets a link: say it is one. */
		if (e == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
		own_error(path, e, err, errlen);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		own_error(path, errno, err, errlen);
		close(fd);
		return -1;
	}
	/* Not a FIFO or a device; and not a hard link to a file elsewhere,
	 * which O_NOFOLLOW does not see. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file; left as it is",
		    path);
		close(fd);
		return -1;
	}
	if (st.st_nlink > 1) {
		snprintf(err, errlen,
		    "%s: has %lu names (a hard link), which loa did not make: "
		    "not written (remove it)",
		    path, (unsigned long)st.st_nlink);
		close(fd);
		return -1;
	}
	return fd;
}

int
fs_write_atomic(const char *dir, const char *name, const void *data, size_t len,
    char *err, size_t errlen)
{
	char	   *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
	char	   *dst = xasprintf("%s/%s", dir, name);
	struct stat st;
	int	    fd, rc = -1;

	/* What is at the name must be a file of loa's own: a link planted
	 * there is refused and left, not replaced. */
	if (lstat(dst, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISLNK(st.st_mode))
			own_error(dst, ELOOP, err, errlen);
		else
			snprintf(err, errlen,
			    "%s: not a regular file; left as it is", dst);
		goto out;
	}
	/* A random name, made with O_EXCL: nothing planted is followed. */
	if ((fd = mkstemp(tmp)) == -1 || fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		int e = errno;

		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		snprintf(err, errlen, "%s: %s", tmp, strerror(e));
		goto out;
	}
	if (fault_write(fd, data, len) == -1 || fault_fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (fault_hit(FAULT_RENAME) || rename(tmp, dst) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(dst);
	return rc;
}

void
mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s;

	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	mkdir(p, 0700); /* the folders of the outbox: personal data */
	free(p);
}

int
fs_mkdir_own(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	mkdirs(dir);
	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		own_error(dir, ELOOP, err, errlen);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a folder; left as it is", dir);
		return -1;
	}
	return 0;
}
