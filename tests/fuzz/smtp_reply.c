/*
 * smtp_reply.c: fuzz the smtp gateway's reading of a server's replies
 * (gw/smtp.c, smtp_judge): the input's first byte picks how libcurl
 * ended the transfer; each following line is one libcurl showed, ours
 * when it starts with '>' (a command: "> RCPT TO:<x>"), else the
 * server's ("550 5.1.1 no such user"). The answer must be a verdict, on
 * one line of valid UTF-8, and a success only when libcurl said so.
 */
#include <stdlib.h>
#include <string.h>

#include "gw/smtp.h"
#include "util/mem.h"
#include "util/text.h"
#include "fuzz.h"

static const CURLcode codes[] = { CURLE_OK, CURLE_LOGIN_DENIED,
	CURLE_USE_SSL_FAILED, CURLE_PEER_FAILED_VERIFICATION, CURLE_SEND_ERROR,
	CURLE_RECV_ERROR, CURLE_OPERATION_TIMEDOUT, CURLE_COULDNT_CONNECT,
	CURLE_WEIRD_SERVER_REPLY, CURLE_QUOTE_ERROR, CURLE_UPLOAD_FAILED,
	CURLE_ABORTED_BY_CALLBACK };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_line *l;
	struct gw_answer  a;
	const char	 *p, *end, *nl;
	size_t		  n = 0, i;
	CURLcode	  rc;

	if (size == 0)
		return 0;
	rc = codes[data[0] % (sizeof(codes) / sizeof(codes[0]))];
	p = (const char *)data + 1;
	end = (const char *)data + size;
	l = xcalloc(size, sizeof(*l));
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		l[n].out = p < nl && *p == '>';
		l[n].p = l[n].out ? p + 1 : p;
		/* libcurl shows each line with its CRLF. */
		l[n].n = (size_t)(nl - l[n].p) + (nl < end ? 1 : 0);
		n++;
	}
	memset(&a, 0, sizeof(a));
	a.result = GW_INFLIGHT;
	smtp_judge(l, n, rc, "", &a);
	FZ_CHECK(a.result == GW_OK || a.result == GW_TEMPFAIL ||
	    a.result == GW_PERMFAIL || a.result == GW_CONFFAIL);
	FZ_CHECK(a.result != GW_OK || rc == CURLE_OK);
	FZ_CHECK(memchr(a.text, '\0', sizeof(a.text)) != NULL);
	for (i = 0; a.text[i] != '\0'; i++)
		FZ_CHECK((unsigned char)a.text[i] >= 0x20 && a.text[i] != 0x7f);
	/* Whatever the server sent, the answer is valid UTF-8. */
	FZ_CHECK(text_utf8_check(a.text, strlen(a.text)) == -1);
	free(l);
	return 0;
}
