/*
 * fs.h: files as loa reads them: whole, regular files only, with a size
 * limit, never blocking on a FIFO or a device; and files as loa writes
 * them under its folders: never through a symbolic link it did not make.
 */
#ifndef LOA_FS_H
#define LOA_FS_H

#include <sys/types.h>

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
 * As fs_slurp, but a symbolic link at path is refused (O_NOFOLLOW): for
 * a file of loa's own folders, which loa made and never made a link.
 */
int fs_slurp_own(const char *path, size_t max, char **data, size_t *len,
    char *err, size_t errlen);

/*
 * Open path (flags: O_RDONLY, O_WRONLY or O_RDWR, with O_CREAT, O_EXCL,
 * O_APPEND, O_TRUNC as wanted) as a file of loa's own: O_NOFOLLOW,
 * O_CLOEXEC and O_NONBLOCK are added, so a symbolic link planted at path
 * is refused, never followed, and a FIFO never blocks; what is opened
 * must be a regular file. A new file gets mode. Returns the descriptor,
 * or -1 with a message naming path in err (a link: said so in words).
 */
int
fs_open_own(const char *path, int flags, mode_t mode, char *err, size_t errlen);

/*
 * Write data into dir/name atomically: a temporary file beside it of a
 * random name (.NAME.XXXXXX, created with O_EXCL, so nothing planted is
 * followed, and two processes never share one), fsync, rename; mode
 * 0600. A symbolic link (or anything but a regular file) at dir/name is
 * refused, not replaced. The fault hook (fault.h) may fail the write,
 * the sync or the rename. Returns 0, or -1 with a message naming the file
 * in err, nothing left behind.
 */
int fs_write_atomic(const char *dir, const char *name, const void *data,
    size_t len, char *err, size_t errlen);

/* Create dir and its missing parents (errors are left to the first use). */
void mkdirs(const char *dir);

/*
 * Create dir as mkdirs does, for a folder loa makes inside one of its own
 * (a gateway's mail/, the speech cache): what is there must be a folder,
 * never a symbolic link planted at its name. 0, or -1 with err naming
 * dir.
 */
int fs_mkdir_own(const char *dir, char *err, size_t errlen);

#endif
