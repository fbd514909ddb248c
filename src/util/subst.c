/*
 * subst.c: {name} placeholders (subst.h).
 */
#include <stdio.h>
#include <string.h>

#include "util/subst.h"
#include "util/buf.h"

int
subst(const char *t, subst_fn fn, void *arg, struct buf *out, char *err,
    size_t errlen)
{
	const char *p = t, *e, *v;

	while (*p != '\0') {
		size_t n = strcspn(p, "{}");

		buf_add(out, p, n);
		p += n;
		if (*p == '\0')
			break;
		if (p[0] == p[1]) {
			buf_addc(out, *p);
			p += 2;
			continue;
		}
		if (*p == '}') {
			snprintf(err, errlen,
			    "a lone '}' at character %d; "
			    "expected {name}, or }} for a brace",
			    (int)(p - t) + 1);
			return -1;
		}
		if ((e = strchr(p + 1, '}')) == NULL ||
		    memchr(p + 1, '{', (size_t)(e - p - 1)) != NULL) {
			snprintf(err, errlen,
			    "a '{' without its '}' at character %d; "
			    "expected {name}, or {{ for a brace",
			    (int)(p - t) + 1);
			return -1;
		}
		if ((v = fn(arg, p + 1, (size_t)(e - p - 1))) == NULL) {
			snprintf(err, errlen, "unknown placeholder {%.*s}",
			    (int)(e - p - 1), p + 1);
			return -1;
		}
		buf_adds(out, v);
		p = e + 1;
	}
	return 0;
}

int
subst_only(const char *t)
{
	const char *p = t, *e;

	if (*p == '\0')
		return 0;
	while (*p != '\0') {
		if (*p != '{' || p[1] == '{' || (e = strchr(p, '}')) == NULL ||
		    e == p + 1 || memchr(p + 1, '{', (size_t)(e - p - 1)))
			return 0;
		p = e + 1;
	}
	return 1;
}

int
subst_uses(const char *t, const char *name)
{
	size_t	    n = strlen(name);
	const char *p;

	for (p = t; (p = strchr(p, '{')) != NULL; p++) {
		if (p[1] == '{') {
			p++;
			continue;
		}
		if (strncmp(p + 1, name, n) == 0 && p[1 + n] == '}')
			return 1;
	}
	return 0;
}
