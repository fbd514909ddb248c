/*
 * api.c: fuzz the HTTP API's handling of a request (src/api/: the route
 * table, the token check, the handlers, their query and JSON body), with
 * no socket (apifx.h). The input is a request as it travels:
 *
 *   METHOD TARGET [HTTP/1.1]
 *   Name: value
 *   ...
 *   (empty line)
 *   body
 *
 * Any answer is fine but a crash, a hang, a sanitizer report or one that
 * breaks apifx's checks (JSON that does not parse, a header libmicrohttpd
 * would refuse).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"
#include "apifx.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	apifx_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	   *p = (const char *)data, *end = p + size;
	const char	   *nl, *head, *body;
	char		   *line, *method, *target, *hdrs, *rest;
	struct apifx_answer ans;

	if ((nl = memchr(p, '\n', size)) == NULL)
		return 0;
	line = xstrndup(p, (size_t)(nl - p));
	rest = line;
	method = strsep(&rest, " ");
	target = rest != NULL ? strsep(&rest, " ") : NULL;
	head = nl + 1;
	/* The head ends at the first empty line. */
	for (body = head; body < end; body++)
		if (*body == '\n' && (body == head || body[-1] == '\n'))
			break;
	hdrs = xstrndup(head, (size_t)(body - head));
	body = body < end ? body + 1 : end;
	if (target != NULL && target[0] == '/' && method[0] != '\0') {
		apifx_request(method, target, hdrs, body, (size_t)(end - body),
		    &ans);
		/* For whoever writes the corpus: what each request got. */
		if (getenv("APIFX_SHOW") != NULL)
			printf("%s %s: %u %.*s\n", method, target, ans.status,
			    (int)(ans.len > 160 ? 160 : ans.len),
			    ans.body != NULL ? ans.body : "");
		apifx_free(&ans);
	}
	free(hdrs);
	free(line);
	return 0;
}
