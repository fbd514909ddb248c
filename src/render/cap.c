/*
 * cap.c: the CAP 1.2 alert of an emergency broadcast (see cap.h). The
 * elements are written in the order the OASIS schema's sequences want
 * them; tests/integration/cap.sh validates every alert against it.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plan/capvals.h"
#include "render/cap.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/buf.h"

const char *const cap_msgtype_names[CAP__N] = { "Alert", "Update", "Cancel" };

int
cap_payload(const char *payload, enum cap_msgtype *type, const char **refs)
{
	size_t n;

	if (payload == NULL || strncmp(payload, "cap ", 4) != 0)
		return -1;
	payload += 4;
	if (strncmp(payload, "Update", 6) == 0)
		*type = CAP_UPDATE, n = 6;
	else if (strncmp(payload, "Cancel", 6) == 0)
		*type = CAP_CANCEL, n = 6;
	else
		return -1;
	if (payload[n] != ' ' && payload[n] != '\0')
		return -1;
	payload += n;
	*refs = payload + strspn(payload, " ");
	return 0;
}

static const char *
cap_sender(const struct service *svc)
{
	return svc != NULL && svc->cap_sender != NULL ? svc->cap_sender :
							CAP_DEF_SENDER;
}

char *
cap_reference(const struct service *svc, const struct plan *p, const char *id,
    int64_t at)
{
	char sent[40];

	tz_rfc3339(p->tz, at, sent, sizeof(sent));
	return xasprintf("%s,loa-%s,%s", cap_sender(svc), id, sent);
}

/*
 * s as XML character data into b: & < > " ' escaped, CR as a reference
 * (a parser would make it a LF), and what XML 1.0 forbids dropped: C0
 * controls but TAB, LF and CR; U+FFFE and U+FFFF (s is valid UTF-8, so
 * no surrogates).
 */
static void
xml_text(struct buf *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_adds(b, "&amp;");
			continue;
		case '<':
			buf_adds(b, "&lt;");
			continue;
		case '>':
			buf_adds(b, "&gt;");
			continue;
		case '"':
			buf_adds(b, "&quot;");
			continue;
		case '\'':
			buf_adds(b, "&apos;");
			continue;
		case '\r':
			buf_adds(b, "&#13;");
			continue;
		case '\t':
		case '\n':
			buf_addc(b, (char)*p);
			continue;
		default:
			break;
		}
		if (*p < 0x20)
			continue;
		if (p[0] == 0xef && p[1] == 0xbf &&
		    (p[2] == 0xbe || p[2] == 0xbf)) {
			p += 2;
			continue;
		}
		buf_addc(b, (char)*p);
	}
}

static void
xml_elem(struct buf *b, const char *indent, const char *name, const char *v)
{
	buf_printf(b, "%s<%s>", indent, name);
	xml_text(b, v);
	buf_printf(b, "</%s>\n", name);
}

char *
cap_render(const struct service *svc, const struct plan *p,
    const struct broadcast *b, const char *id, int64_t at,
    enum cap_msgtype type, const char *refs)
{
	const struct cap_item *c = b != NULL ? b->cap : NULL;
	struct buf	       x = { 0 };
	char		       sent[40], *ident;

	tz_rfc3339(p->tz, at, sent, sizeof(sent));
	ident = xasprintf("loa-%s", id);
	buf_adds(&x,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n");
	xml_elem(&x, "  ", "identifier", ident);
	xml_elem(&x, "  ", "sender", cap_sender(svc));
	xml_elem(&x, "  ", "sent", sent);
	xml_elem(&x, "  ", "status",
	    svc != NULL && svc->cap_status != NULL ? svc->cap_status :
						     CAP_DEF_STATUS);
	xml_elem(&x, "  ", "msgType", cap_msgtype_names[type]);
	xml_elem(&x, "  ", "scope", "Public");
	if (type != CAP_ALERT && refs != NULL && *refs != '\0')
		xml_elem(&x, "  ", "references", refs);
	if (b != NULL) {
		const char *area = svc != NULL && svc->cap_area != NULL ?
		    svc->cap_area :
		    p->issuer != NULL ? p->issuer :
					p->id;

		buf_adds(&x, "  <info>\n");
		xml_elem(&x, "    ", "language", "vi-VN");
		xml_elem(&x, "    ", "category",
		    c && c->category ? c->category : CAP_DEF_CATEGORY);
		xml_elem(&x, "    ", "event",
		    c && c->event ? c->event : b->title);
		xml_elem(&x, "    ", "urgency",
		    c && c->urgency ? c->urgency : CAP_DEF_URGENCY);
		xml_elem(&x, "    ", "severity",
		    c && c->severity ? c->severity : CAP_DEF_SEVERITY);
		xml_elem(&x, "    ", "certainty",
		    c && c->certainty ? c->certainty : CAP_DEF_CERTAINTY);
		if (b->expires.t != TIMEX_NONE && b->expires.t > at) {
			char exp[40];

			tz_rfc3339(p->tz, b->expires.t, exp, sizeof(exp));
			xml_elem(&x, "    ", "expires", exp);
		}
		if (p->issuer != NULL)
			xml_elem(&x, "    ", "senderName", p->issuer);
		xml_elem(&x, "    ", "headline", b->title);
		xml_elem(&x, "    ", "description", b->text);
		if (c && c->instruction)
			xml_elem(&x, "    ", "instruction", c->instruction);
		buf_adds(&x, "    <area>\n");
		xml_elem(&x, "      ", "areaDesc", area);
		buf_adds(&x, "    </area>\n  </info>\n");
	}
	buf_adds(&x, "</alert>\n");
	free(ident);
	return buf_take(&x);
}

char *
cap_record(char *json, const char *id, const char *object,
    enum cap_msgtype type, const char *refs)
{
	json_t *o = json_loads(json, 0, NULL), *c;
	char   *file = xasprintf("%s.cap.xml", id);
	char   *ident = xasprintf("loa-%s", id);
	char   *s;

	if (o == NULL || !json_is_object(o))
		fatalx("broadcast %s: its record is not a JSON object", id);
	c = json_pack("{s:s, s:s, s:s, s:s?}", "file", file, "identifier",
	    ident, "msg_type", cap_msgtype_names[type], "references",
	    type != CAP_ALERT && refs != NULL ? refs : NULL);
	if (c == NULL || json_object_set_new(o, "cap", c) == -1 ||
	    (type == CAP_CANCEL &&
		json_object_set_new(o, "cancels", json_string(object)) == -1))
		fatalx("broadcast %s: out of memory", id);
	/* A Cancel is nothing to air: a player reading ID.json's keys alone
	 * finds no text and no audio, never the emergency again. */
	if (type == CAP_CANCEL &&
	    (json_object_set_new(o, "text", json_string("")) == -1 ||
		json_object_set_new(o, "spoken", json_string("")) == -1 ||
		json_object_set_new(o, "duration_s", json_integer(0)) == -1 ||
		json_object_set_new(o, "audio", json_null()) == -1))
		fatalx("broadcast %s: out of memory", id);
	if ((s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2))) == NULL)
		fatalx("broadcast %s: out of memory", id);
	json_decref(o);
	free(json);
	free(file);
	free(ident);
	return s;
}
