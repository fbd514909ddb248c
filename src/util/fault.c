/*
 * fault.c: countdown fault points (see fault.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fault.h"
#include "util/log.h"

static const char *const fault_names[FAULT__N] = {
	"write",
	"fsync",
	"rename",
	"sqlite",
	"short",
};

static struct {
	int nth; /* 0: disarmed */
	int sticky;
	int calls;
} points[FAULT__N];

static int env_read;

/* "name:N" or "name:N+", comma separated. A bad item is reported once
 * and ignored: a test that misspells a point must notice. */
static void
fault_env(void)
{
	const char *s = getenv("LOA_FAULT");
	char	   *copy, *item, *save = NULL;

	env_read = 1;
	if (s == NULL || *s == '\0')
		return;
	copy = strdup(s);
	if (copy == NULL)
		return;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(item, ':'), *end;
		long  n;
		int   p;

		if (colon == NULL) {
			log_warnx("LOA_FAULT: \"%s\": expected NAME:N[+]",
			    item);
			continue;
		}
		*colon = '\0';
		for (p = 0; p < FAULT__N && strcmp(fault_names[p], item) != 0;
		     p++)
			;
		n = strtol(colon + 1, &end, 10);
		if (p == FAULT__N || n < 1 || n > 1000000 || end == colon + 1 ||
		    (*end != '\0' && strcmp(end, "+") != 0)) {
			log_warnx("LOA_FAULT: \"%s:%s\": expected write, "
				  "fsync, "
				  "rename, sqlite or short, then :N or :N+",
			    item, colon + 1);
			continue;
		}
		points[p].nth = (int)n;
		points[p].sticky = *end == '+';
		points[p].calls = 0;
	}
	free(copy);
}

int
fault_hit(enum fault_point p)
{
	if (!env_read)
		fault_env();
	if ((unsigned)p >= FAULT__N)
		return 0;
	points[p].calls++;
	if (points[p].nth == 0 || points[p].calls < points[p].nth ||
	    (points[p].calls > points[p].nth && !points[p].sticky))
		return 0;
	errno = p == FAULT_WRITE || p == FAULT_SHORT ? ENOSPC : EIO;
	return 1;
}

void
fault_arm(enum fault_point p, int nth, int sticky)
{
	env_read = 1; /* what a test arms is not overridden later */
	if ((unsigned)p >= FAULT__N)
		return;
	points[p].nth = nth > 0 ? nth : 0;
	points[p].sticky = sticky;
	points[p].calls = 0;
}

void
fault_reset(void)
{
	env_read = 1;
	memset(points, 0, sizeof(points));
}

int
fault_calls(enum fault_point p)
{
	return (unsigned)p < FAULT__N ? points[p].calls : 0;
}

ssize_t
fault_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t	    done = 0;
	ssize_t	    n;

	if (fault_hit(FAULT_WRITE))
		return -1;
	if (fault_hit(FAULT_SHORT)) {
		/* Half of it reaches the file, then the disk is full. */
		if (len / 2 > 0 && write(fd, p, len / 2) == -1)
			return -1;
		errno = ENOSPC;
		return -1;
	}
	while (done < len) {
		if ((n = write(fd, p + done, len - done)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)len;
}

int
fault_fsync(int fd)
{
	if (fault_hit(FAULT_FSYNC))
		return -1;
	return fsync(fd);
}
