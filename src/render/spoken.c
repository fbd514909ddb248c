/*
 * spoken.c: the text of a broadcast for the ear (see spoken.h).
 */
#include "render/spoken.h"
#include "util/xmalloc.h"

char *
spoken_text(const char *text, const struct service *svc)
{
	(void)svc;
	return xstrdup(text != NULL ? text : "");
}
