/*
 * secret.h: a secret read from a file (a gateway's password or token, the
 * API's tokens): its first line, as an editor leaves it.
 */
#ifndef LOA_UTIL_SECRET_H
#define LOA_UTIL_SECRET_H

#include <stddef.h>

/*
 * The first line of the regular file at path (at most max bytes read, as
 * fs_slurp): what follows its first CR or LF is not the secret, and is
 * wiped. Newly allocated (explicit_bzero and free it). NULL with a message
 * naming path, never the secret, in err: unreadable, an empty first line,
 * or a NUL byte in it.
 */
char *secret_file_line(const char *path, size_t max, char *err, size_t errlen);

#endif
