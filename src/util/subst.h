/*
 * subst.h: {name} placeholders in a template string, as an http gateway's
 * request is written ("{to}", "{text}"). "{{" and "}}" are literal
 * braces. Used to check a template (plan/) and to fill it in (gw/).
 */
#ifndef LOA_SUBST_H
#define LOA_SUBST_H

#include <stddef.h>

#include "util/buf.h"

/*
 * The value of placeholder name (len bytes, not NUL-terminated), or NULL
 * when there is no such placeholder.
 */
typedef const char *(*subst_fn)(void *arg, const char *name, size_t len);

/*
 * Append template t to out with each placeholder replaced by what fn
 * says. 0, or -1 with the reason in err (an unknown placeholder, a lone
 * brace); out then holds what was done so far.
 */
int subst(const char *t, subst_fn fn, void *arg, struct buf *out, char *err,
    size_t errlen);
/*
 * Whether t is only placeholders (at least one, nothing else): such a
 * value names where something comes from, it does not hold it.
 */
int subst_only(const char *t);
/* Whether t holds placeholder name. */
int subst_uses(const char *t, const char *name);

#endif
