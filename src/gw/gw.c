/*
 * gw.c: the gateway backends, looked up by kind (as OpenSMTPD looks up
 * its scheduler backends by name).
 */
#include <assert.h>
#include <string.h>

#include "gw/gw.h"

static const struct {
	const char		*kind;
	const struct gw_backend *backend;
} backends[] = {
	{ "file", &gw_backend_file },
	{ "spool", &gw_backend_file },
	{ "smtp", &gw_backend_smtp },
	{ "http", &gw_backend_http },
};

const struct gw_backend *
gw_lookup(const char *kind)
{
	size_t i;

	assert(kind != NULL);
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i].kind, kind) == 0)
			return backends[i].backend;
	return NULL;
}
