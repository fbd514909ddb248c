/*
 * fs.h: files as loa reads them: whole, regular files only, with a size
 * limit, never blocking on a FIFO or a device.
 */
#ifndef LOA_FS_H
#define LOA_FS_H

#include <stddef.h>

/* The most loa reads of one file it was given (an attachment). */
#define FS_MAX_FILE (25u * 1024 * 1024)

/*
 * Read the regular file at path, at most max bytes, into *data (NUL
 * terminated; the caller frees) and *len. Opens with O_NONBLOCK, so a FIFO
 * never blocks, and refuses anything but a regular file. Returns 0, or -1
 * with a message naming path in err.
 */
int fs_slurp(const char *path, size_t max, char **data, size_t *len, char *err,
    size_t errlen);

/*
 * As fs_slurp, and the file opened must lie inside folder dir after every
 * link is resolved (checked on the open descriptor, so a link swapped in
 * after an earlier check cannot lead out). Linux: through /proc/self/fd.
 */
int fs_slurp_within(const char *dir, const char *path, size_t max, char **data,
    size_t *len, char *err, size_t errlen);

/*
 * Write data into dir/name atomically: a temporary file beside it (named
 * .NAME.tmp, or with unique set one of this process's own, for a folder
 * two processes write at once), fsync, rename; mode 0600. The fault hook
 * (fault.h) may fail the write, the sync or the rename. Returns 0, or -1
 * with a message naming the file in err, nothing left behind.
 */
int fs_write_atomic(const char *dir, const char *name, const void *data,
    size_t len, int unique, char *err, size_t errlen);

/* Create dir and its missing parents (errors are left to the first use). */
void mkdirs(const char *dir);

#endif
