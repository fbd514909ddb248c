/*
 * fault.h: fault injection at the calls loa's durability rests on, after
 * SQLite's sqlite3FaultSim. Each point counts its calls; an armed point
 * fails its Nth call and, when sticky, every later one.
 *
 * The tests arm points with fault_arm; the binary reads the environment
 * variable LOA_FAULT once, at the first fault_hit:
 *
 *   LOA_FAULT=fsync:1           the first fsync fails
 *   LOA_FAULT=write:3+          the third write and every later one
 *   LOA_FAULT=write:2,sqlite:1  several points, comma separated
 *
 * Names: write, fsync, rename, sqlite, short. A caller that is hit behaves
 * as if the call had failed (errno set to what fault_hit says) and takes
 * its usual error path. "short" is a full disk met halfway: the write
 * (through fault_write) stores the first half of its bytes, then fails
 * with ENOSPC, as write(2) does when the space runs out mid-buffer.
 */
#ifndef LOA_FAULT_H
#define LOA_FAULT_H

#include <stddef.h>
#include <sys/types.h>

enum fault_point {
	FAULT_WRITE,
	FAULT_FSYNC,
	FAULT_RENAME,
	FAULT_SQLITE,
	FAULT_SHORT,
	FAULT__N
};

/*
 * Count a call at point p: nonzero when it must fail now, with errno set
 * (EIO; ENOSPC for a write).
 */
int	fault_hit(enum fault_point p);
/* Fail the nth call from now (1: the next) and, if sticky, every later
 * one; nth 0 disarms. */
void	fault_arm(enum fault_point p, int nth, int sticky);
/*
 * write(2) of all len bytes to fd, through the write and short points:
 * len on success, else -1 with errno set. A short write of the disk is
 * continued; one that stops (as a "short" fault does) returns -1 with
 * ENOSPC, whatever part of buf reached the file.
 */
ssize_t fault_write(int fd, const void *buf, size_t len);
/*
 * fsync(2) of fd through the fsync point: 0, or -1 with errno set. Every
 * sync loa's durability rests on goes through here, so fault_calls
 * (FAULT_FSYNC) tells a test how many were made.
 */
int	fault_fsync(int fd);
/* Disarm every point (LOA_FAULT is not read again). */
void	fault_reset(void);
/* How many calls point p has counted since it was last armed or reset. */
int	fault_calls(enum fault_point p);

#endif
