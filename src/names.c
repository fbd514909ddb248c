/*
 * names.c: the one table of the names loa's enumerations are written as,
 * in config files, the outbox, the timeline and messages; and lookups
 * from a name back to its value.
 */
#include <string.h>

#include "loa.h"

const char *const channel_names[CH__N] = { "email", "sms", "broadcast" };
const char *const job_kind_names[JK__N] = {
	"distribution",
	"invitation",
	"update",
	"cancel",
	"event-reminder",
	"task-reminder",
	"overdue",
	"broadcast",
};
const char *const job_state_names[JS__N] = {
	"held",
	"pending",
	"sending",
	"sent",
	"delivered",
	"failed",
	"dead",
	"expired",
	"cancelled",
	"skipped",
};
const char *const priority_names[PRIO__N] = {
	"normal",
	"high",
	"emergency",
};
const char *const gw_kind_names[GW__N] = {
	"smtp",
	"http",
	"file",
	"spool",
};
const char *const ev_status_names[EV__N] = {
	"confirmed",
	"tentative",
	"cancelled",
};

/* The index of name in names[0 .. n-1], or -1. */
static int
name_index(const char *const *names, int n, const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int
channel_from_name(const char *name, enum channel *out)
{
	int i = name_index(channel_names, CH__N, name);

	if (i == -1)
		return -1;
	*out = (enum channel)i;
	return 0;
}

int
job_kind_from_name(const char *name, enum job_kind *out)
{
	int i = name_index(job_kind_names, JK__N, name);

	if (i == -1)
		return -1;
	*out = (enum job_kind)i;
	return 0;
}

int
job_state_from_name(const char *name, enum job_state *out)
{
	int i = name_index(job_state_names, JS__N, name);

	if (i == -1)
		return -1;
	*out = (enum job_state)i;
	return 0;
}

int
priority_from_name(const char *name, enum priority *out)
{
	int i = name_index(priority_names, PRIO__N, name);

	if (i == -1)
		return -1;
	*out = (enum priority)i;
	return 0;
}

int
gw_kind_from_name(const char *name, enum gw_kind *out)
{
	int i = name_index(gw_kind_names, GW__N, name);

	if (i == -1)
		return -1;
	*out = (enum gw_kind)i;
	return 0;
}

int
ev_status_from_name(const char *name, enum ev_status *out)
{
	int i = name_index(ev_status_names, EV__N, name);

	if (i == -1)
		return -1;
	*out = (enum ev_status)i;
	return 0;
}
