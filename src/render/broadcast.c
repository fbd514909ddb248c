/*
 * broadcast.c: the JSON record of a broadcast job (see broadcast.h).
 */
#include <jansson.h>

#include "render/broadcast.h"
#include "render/spoken.h"
#include "util/log.h"

char *
broadcast_render(const struct plan *p, const struct broadcast *b,
    const char *id, const char *object, int64_t planned, const char *slot,
    int duration, const struct service *svc)
{
	json_t *o;
	char	when[40], *s, *said;

	tz_rfc3339(p->tz, planned, when, sizeof(when));
	said = spoken_text(b && b->text ? b->text : "", svc);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:i, "
		      "s:n}",
	    "id", id, "plan", p->id, "object", object, "title",
	    b && b->title ? b->title : "", "text", b && b->text ? b->text : "",
	    "spoken", said, "priority",
	    priority_names[b ? b->priority : PRIO_NORMAL], "slot",
	    slot ? json_string(slot) : json_null(), "planned", when,
	    "duration_s", duration, "audio");
	free(said);
	if (o == NULL)
		fatalx("broadcast %s: cannot build its record", id);
	s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(o);
	if (s == NULL)
		fatalx("broadcast %s: out of memory", id);
	return s;
}
