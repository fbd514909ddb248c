/*
 * enginefx.c: a real engine in a temporary folder (see enginefx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "util/diag.h"
#include "jobs/world.h"
#include "util/mem.h"
#include "enginefx.h"
#include "testutil.h"

struct efx efx;

void
efx_setup(const char *suite)
{
	memset(&efx, 0, sizeof(efx));
	tu_mkdtemp(efx.dir, sizeof(efx.dir), suite);
	snprintf(efx.cfg, sizeof(efx.cfg), "%s/loa.cfg", efx.dir);
	snprintf(efx.plan, sizeof(efx.plan), "%s/plan.cfg", efx.dir);
	snprintf(efx.store, sizeof(efx.store), "%s/loa.db", efx.dir);
	efx_service(1, NULL);
}

void
efx_teardown(void)
{
	efx_close();
	if (efx.dir[0] != '\0')
		tu_rm_tree(efx.dir);
	efx.dir[0] = '\0';
}

void
efx_service(int quiet, const char *extra)
{
	char *text = xasprintf("loa = {\n"
			       "  timezone = \"" ZONE "\";\n"
			       "  store = \"loa.db\";\n"
			       "  plans = [ \"plan.cfg\" ];\n"
			       "%s"
			       "};\n%s",
	    quiet ?
		"  quiet_hours = { start = \"21:00\"; end = \"06:30\"; };\n" :
		"",
	    extra != NULL ? extra : "");

	tu_write(efx.cfg, text);
	free(text);
}

struct engine *
efx_open(int64_t now, int files)
{
	struct world	  *w = xcalloc(1, sizeof(*w));
	struct engine_opts o;
	struct diag	   d;
	char		  *log = NULL, err[512];
	size_t		   loglen = 0;
	int		   rc;

	ck_assert_ptr_null(efx.e);
	memset(&d, 0, sizeof(d));
	d.out = open_memstream(&log, &loglen);
	ck_assert_ptr_nonnull(d.out);
	rc = world_load(w, efx.cfg, now, &d);
	fclose(d.out);
	if (rc != 0) {
		world_free(w);
		free(w);
	}
	ck_assert_msg(rc == 0, "world_load: %s", log);
	free(log);
	memset(&o, 0, sizeof(o));
	o.config = efx.cfg;
	o.files = files ? efx.dir : NULL;
	efx.e = engine_new(w, efx.store, &o, err, sizeof(err));
	ck_assert_msg(efx.e != NULL, "engine_new: %s", err);
	return efx.e;
}

void
efx_close(void)
{
	engine_free(efx.e);
	efx.e = NULL;
}

void
efx_step(int64_t t)
{
	ck_assert_int_eq(engine_step(efx.e, t), 0);
}
