/*
 * secret.h: every secret loa holds (gateway passwords and tokens, the
 * API's tokens, the delivery-report token), known in one place so that
 * each is blotted from whatever loa keeps or logs: the outbox's answers
 * and errors, log lines; and a secret's file read as its first line.
 */
#ifndef LOA_SECRET_H
#define LOA_SECRET_H

#include <stddef.h>

/*
 * The first line of the regular file at path (at most max bytes read, as
 * fs_slurp): what follows its first CR or LF is not the secret, and is
 * wiped. Newly allocated (explicit_bzero and free it). NULL with a message
 * naming path, never the secret, in err: unreadable, an empty first line,
 * or a NUL byte in it. A gateway's password or token file, the API's
 * tokens: read as an editor leaves them.
 */
char *secret_file_line(const char *path, size_t max, char *err, size_t errlen);

/*
 * Know s as a secret from now on, with the forms a peer may echo it in:
 * as is, percent-encoded (as in a URL or a form, a space as %20 or +; and
 * twice, as in a URL inside a URL), as a JSON string escapes it and as
 * base64 (SMTP's AUTH LOGIN). NULL or "" is nothing. Safe from any
 * thread; a secret is known until the process ends (one replaced by a
 * reload is still blotted: an old answer may hold it).
 */
void secret_keep(const char *s);

/*
 * Know a login as a secret too, as the credentials go whole in base64:
 * HTTP Basic's "USER:PASS" and SMTP AUTH PLAIN's "\0USER\0PASS". Nothing
 * without a password.
 */
void secret_keep_login(const char *user, const char *pass);

/*
 * Every known secret in s replaced by "***" in place (one shorter than
 * three bytes by as many stars): s never grows. NULL is nothing. Safe from
 * any thread.
 */
void secret_blot(char *s);

/* Forget every secret, its bytes zeroed (at exit, and for tests). */
void secret_forget(void);

#endif
