/*
 * planfile.c: one plan file -> struct plan (planfile.h). The plan_*
 * readers each read one top-level section; plan_check_refs then checks
 * that every id written names something of the right kind.
 */
#include <assert.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "plan/capvals.h"
#include "plan/cfg.h"
#include "plan/phone.h"
#include "plan/planfile.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/arena.h"
#include "util/strmap.h"

static const char *const plan_top_keys[] = {
	"plan",
	"people",
	"groups",
	"agencies",
	"distribution",
	"events",
	"tasks",
	"broadcasts",
	NULL,
};
static const char *const plan_keys[] = {
	"id",
	"issued",
	"timezone",
	"title",
	"issuer",
	"signed_by",
	NULL,
};
static const char *const person_keys[] = {
	"id",
	"name",
	"title",
	"email",
	"phone",
	"channels",
	NULL,
};
static const char *const group_keys[] = { "id", "name", "members", NULL };
static const char *const agency_keys[] = {
	"id",
	"name",
	"head",
	"members",
	"email",
	"phone",
	"channels",
	NULL,
};
static const char *const dist_keys[] = {
	"at",
	"to",
	"attachments",
	"channels",
	NULL,
};
static const char *const event_keys[] = {
	"id",
	"title",
	"description",
	"start",
	"end",
	"duration",
	"location",
	"organizer",
	"attendees",
	"optional",
	"agenda",
	"invite",
	"reminders",
	"reminder_channels",
	"status",
	NULL,
};
static const char *const task_keys[] = {
	"id",
	"title",
	"description",
	"owner",
	"with",
	"due",
	"remind",
	"overdue",
	"channels",
	NULL,
};
static const char *const bc_keys[] = {
	"id",
	"title",
	"text",
	"air",
	"priority",
	"expires",
	"cap",
	"sms_to",
	NULL,
};

/* Register id; an error if it is taken. */
static int
plan_name(struct cfg *c, struct plan *p, const char *id, enum named_kind k,
    void *obj, const config_setting_t *s, const char *path)
{
	struct named *n = arena_alloc(c->a, sizeof(*n)), *old;

	n->kind = k;
	n->p = obj;
	n->loc = cfg_loc(c, s);
	if ((old = strmap_put(p->names, id, n)) != NULL) {
		cfg_error(c, config_setting_get_member(s, "id"), path, "id",
		    "duplicate id \"%s\" (first defined at %s:%d)", id,
		    old->loc.file, old->loc.line);
		return -1;
	}
	return 0;
}

static int
plan_email(const char *s)
{
	const char *at = strchr(s, '@'), *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL || at[1] == '.' ||
	    s[strlen(s) - 1] == '.')
		return -1;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>,;:\"()[]\\", *p))
			return -1;
	return 0;
}

/* A required text that must say something: a title. */
static char *
plan_title(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, const char *expected)
{
	char *s = cfg_str(c, g, path, key, 1);

	if (s != NULL && text_blank(s)) {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "empty; expected %s", expected);
		return NULL;
	}
	return s;
}

/* Email and phone of a contact from group g. */
static void
plan_addresses(struct cfg *c, const config_setting_t *g, const char *path,
    struct contact *ct)
{
	char *phone;
	char  out[32], err[256];

	ct->email = cfg_str(c, g, path, "email", 0);
	if (ct->email != NULL && plan_email(ct->email) == -1) {
		cfg_error(c, config_setting_get_member(g, "email"), path,
		    "email",
		    "\"%s\" is not an email address; expected "
		    "name@domain",
		    ct->email);
		ct->email = NULL;
	}
	if ((phone = cfg_str(c, g, path, "phone", 0)) != NULL) {
		if (phone_e164(phone, out, sizeof(out), err, sizeof(err)) == -1)
			cfg_error(c, config_setting_get_member(g, "phone"),
			    path, "phone", "invalid phone number \"%s\": %s",
			    phone, err);
		else
			ct->phone = arena_strdup(c->a, out);
	}
	ct->channels = (ct->email ? CHM(CH_EMAIL) : 0) |
	    (ct->phone ? CHM(CH_SMS) : 0);
	ct->channels = cfg_channels(c, g, path, "channels", ct->channels,
	    CHM(CH_EMAIL) | CHM(CH_SMS), NULL);
}

static void
plan_people(struct cfg *c, config_t *cf, struct plan *p, size_t room)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf), "people");
	int		  i, n;

	p->contacts = arena_alloc(c->a,
	    (room ? room : 1) * sizeof(struct contact *));
	if (list == NULL)
		return;
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "people", g, i);
		struct contact	 *ct = arena_alloc(c->a, sizeof(*ct));

		memset(ct, 0, sizeof(*ct));
		cfg_keys(c, g, path, person_keys);
		ct->loc = cfg_loc(c, g);
		if ((ct->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		ct->name = cfg_str(c, g, path, "name", 1);
		if (ct->name == NULL)
			ct->name = ct->id;
		ct->title = cfg_str(c, g, path, "title", 0);
		plan_addresses(c, g, path, ct);
		if (plan_name(c, p, ct->id, N_PERSON, ct, g, path) == -1)
			continue;
		assert(p->ncontacts < room); /* room counts every person */
		ct->index = p->ncontacts;
		p->contacts[p->ncontacts++] = ct;
	}
	p->npeople = p->ncontacts;
}

static void
plan_groups(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf), "groups");
	int		  i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->groups = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct group));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "groups", g, i);
		struct group	 *gr = &p->groups[p->ngroups];

		memset(gr, 0, sizeof(*gr));
		cfg_keys(c, g, path, group_keys);
		gr->loc = cfg_loc(c, g);
		if ((gr->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		gr->name = cfg_str(c, g, path, "name", 0);
		if (gr->name == NULL)
			gr->name = gr->id;
		cfg_idlist(c, g, path, "members", &gr->members);
		if (plan_name(c, p, gr->id, N_GROUP, gr, g, path) == 0)
			p->ngroups++;
	}
}

static void
plan_agencies(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf),
	    "agencies");
	int		  i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->agencies = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct agency));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "agencies", g, i);
		struct agency	 *ag = &p->agencies[p->nagencies];
		struct contact	 *mb;
		config_setting_t *h;

		memset(ag, 0, sizeof(*ag));
		cfg_keys(c, g, path, agency_keys);
		ag->loc = cfg_loc(c, g);
		if ((ag->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		ag->name = cfg_str(c, g, path, "name", 1);
		if (ag->name == NULL)
			ag->name = ag->id;
		if ((ag->head.id = cfg_str(c, g, path, "head", 0)) != NULL) {
			h = config_setting_get_member(g, "head");
			ag->head.loc = cfg_loc(c, h);
		}
		cfg_idlist(c, g, path, "members", &ag->members);

		/* The shared mailbox, if any, is a contact of its own. */
		mb = arena_alloc(c->a, sizeof(*mb));
		memset(mb, 0, sizeof(*mb));
		mb->id = ag->id;
		mb->name = ag->name;
		mb->mailbox = 1;
		mb->agency = ag;
		mb->loc = ag->loc;
		plan_addresses(c, g, path, mb);
		if (plan_name(c, p, ag->id, N_AGENCY, ag, g, path) == -1)
			continue;
		if (mb->email != NULL || mb->phone != NULL) {
			ag->mailbox = mb;
			mb->index = p->ncontacts;
			p->contacts[p->ncontacts++] = mb;
		}
		p->nagencies++;
	}
}

/*
 * Is attachment a (written at l under key) a regular file of at most
 * FS_MAX_FILE inside the plan file's folder, symlinks resolved? Its
 * path (arena), or NULL with an error. Opened without blocking: a FIFO
 * or a device is refused, never read.
 */
static char *
plan_attachment(struct cfg *c, const struct plan *p, const char *a,
    const struct loc *l, const char *key)
{
	char	   *path, *real = NULL, *dir = NULL, *rc = NULL;
	struct stat st;
	size_t	    n;
	int	    fd;

	if (*a == '\0') {
		diag_error(c->d, l, key,
		    "empty; expected the name of a file in the plan "
		    "file's folder");
		return NULL;
	}
	path = cfg_resolve_path(c->a, p->dir, a);
	if ((real = realpath(path, NULL)) == NULL) {
		diag_error(c->d, l, key, "cannot read \"%s\": %s", a,
		    strerror(errno));
		return NULL;
	}
	if ((dir = realpath(p->dir, NULL)) == NULL) {
		diag_error(c->d, l, key,
		    "cannot read the plan file's folder: %s", strerror(errno));
		goto out;
	}
	n = strlen(dir);
	if (strcmp(dir, "/") != 0 && strcmp(real, dir) != 0 &&
	    (strncmp(real, dir, n) != 0 || real[n] != '/')) {
		diag_error(c->d, l, key,
		    "\"%s\" is outside the plan file's folder (it is %s); "
		    "expected a file in the plan file's folder or below it",
		    a, real);
		goto out;
	}
	if ((fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		diag_error(c->d, l, key, "cannot read \"%s\": %s", a,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diag_error(c->d, l, key,
		    "\"%s\" is not a regular file; expected a file in the "
		    "plan file's folder",
		    a);
		close(fd);
		goto out;
	}
	close(fd);
	if ((unsigned long long)st.st_size > FS_MAX_FILE) {
		diag_error(c->d, l, key,
		    "\"%s\" is %lld bytes; expected at most %u", a,
		    (long long)st.st_size, FS_MAX_FILE);
		goto out;
	}
	rc = arena_strdup(c->a, real);
out:
	free(real);
	free(dir);
	return rc;
}

/* Attachments are files beside the plan: they must be there, and be
 * files of its own folder. */
static void
plan_attachments(struct cfg *c, config_setting_t *g, struct plan *p)
{
	struct distribution *d = &p->distribution;
	struct loc	    *locs;
	char		   **v;
	size_t		     i, n;

	n = cfg_strlist(c, g, "distribution", "attachments", &v, &locs);
	d->attachments = v;
	d->nattachments = 0;
	for (i = 0; i < n; i++) {
		char *path = plan_attachment(c, p, v[i], &locs[i],
		    arena_printf(c->a, "distribution.attachments[%zu]", i));

		if (path != NULL)
			d->attachments[d->nattachments++] = path;
	}
}

static void
plan_distribution(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t    *g = cfg_group(c, config_root_setting(cf), NULL,
	       "distribution");
	struct distribution *d = &p->distribution;

	if (g == NULL)
		return;
	cfg_keys(c, g, "distribution", dist_keys);
	d->present = 1;
	d->loc = cfg_loc(c, g);
	cfg_when(c, g, "distribution", "at", &d->at, 0);
	cfg_idlist(c, g, "distribution", "to", &d->to);
	if (config_setting_get_member(g, "to") == NULL)
		cfg_error(c, g, "distribution", "to",
		    "missing; expected the "
		    "list of recipients [ \"id\", ... ]");
	plan_attachments(c, g, p);
	d->channels = cfg_channels(c, g, "distribution", "channels",
	    CHM(CH_EMAIL), CHM(CH_EMAIL) | CHM(CH_SMS), NULL);
}

static void
plan_events(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf), "events");
	int		  i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->events = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct event));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "events", g, i);
		struct event	 *ev = &p->events[p->nevents];
		config_setting_t *o;

		memset(ev, 0, sizeof(*ev));
		cfg_keys(c, g, path, event_keys);
		ev->loc = cfg_loc(c, g);
		if ((ev->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		ev->title = plan_title(c, g, path, "title", "a title");
		ev->description = cfg_str(c, g, path, "description", 0);
		ev->location = cfg_str(c, g, path, "location", 0);
		cfg_when(c, g, path, "start", &ev->start, 1);
		cfg_when(c, g, path, "end", &ev->end, 0);
		ev->end.key = cfg_path(c, path, "end");
		ev->duration = -1;
		if (cfg_duration(c, g, path, "duration", &ev->duration) == 0 &&
		    ev->duration == 0)
			cfg_error(c, config_setting_get_member(g, "duration"),
			    path, "duration",
			    "zero; expected a positive "
			    "duration such as \"3h30m\"");
		if (ev->end.src != NULL && ev->duration >= 0)
			cfg_error(c, config_setting_get_member(g, "duration"),
			    path, "duration", "give end or duration, not both");
		if ((ev->organizer.id = cfg_str(c, g, path, "organizer", 0)) !=
		    NULL) {
			o = config_setting_get_member(g, "organizer");
			ev->organizer.loc = cfg_loc(c, o);
		}
		cfg_idlist(c, g, path, "attendees", &ev->attendees);
		cfg_idlist(c, g, path, "optional", &ev->optional);
		ev->nagenda = cfg_strlist(c, g, path, "agenda", &ev->agenda,
		    NULL);
		cfg_when(c, g, path, "invite", &ev->invite, 0);
		ev->nreminders = cfg_whens(c, g, path, "reminders",
		    &ev->reminders);
		ev->reminder_channels = cfg_channels(c, g, path,
		    "reminder_channels", CHM(CH_SMS),
		    CHM(CH_EMAIL) | CHM(CH_SMS), NULL);
		ev->status = (enum ev_status)cfg_enum(c, g, path, "status",
		    ev_status_names, EV__N, EV_CONFIRMED);
		if (plan_name(c, p, ev->id, N_EVENT, ev, g, path) == 0)
			p->nevents++;
	}
}

static void
plan_tasks(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf), "tasks");
	int		  i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->tasks = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof(struct task));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "tasks", g, i);
		struct task	 *t = &p->tasks[p->ntasks];

		memset(t, 0, sizeof(*t));
		cfg_keys(c, g, path, task_keys);
		t->loc = cfg_loc(c, g);
		if ((t->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		t->title = plan_title(c, g, path, "title", "a title");
		t->description = cfg_str(c, g, path, "description", 0);
		cfg_idlist(c, g, path, "owner", &t->owner);
		if (t->owner.n == 0)
			cfg_error(c, g, path, "owner",
			    "missing; expected the "
			    "agencies or people responsible [ \"id\", ... ]");
		cfg_idlist(c, g, path, "with", &t->with);
		cfg_when(c, g, path, "due", &t->due, 1);
		if (config_setting_get_member(g, "remind") != NULL)
			t->nremind = cfg_whens(c, g, path, "remind",
			    &t->remind);
		else
			t->nremind = (size_t)-1; /* the defaults */
		cfg_when(c, g, path, "overdue", &t->overdue, 0);
		t->channels = cfg_channels(c, g, path, "channels",
		    CHM(CH_EMAIL) | CHM(CH_SMS), CHM(CH_EMAIL) | CHM(CH_SMS),
		    NULL);
		if (plan_name(c, p, t->id, N_TASK, t, g, path) == 0)
			p->ntasks++;
	}
}

/* A CAP value of group g: one of the names of table v, or an error. */
static char *
plan_cap_enum(struct cfg *c, config_setting_t *g, const char *path,
    const char *key, const char *const *v)
{
	int i;

	if (config_setting_get_member(g, key) == NULL)
		return NULL;
	if ((i = cfg_enum(c, g, path, key, v, cap_count(v), -1)) < 0)
		return NULL;
	return (char *)v[i];
}

/* A broadcast's cap = { category; event; urgency; severity; certainty;
 * instruction; }: its CAP alert's <info> (render/cap.h). */
static struct cap_item *
plan_cap(struct cfg *c, config_setting_t *g, const char *path)
{
	static const char *const keys[] = { "category", "event", "urgency",
		"severity", "certainty", "instruction", NULL };
	config_setting_t	*s = cfg_group(c, g, path, "cap");
	const char		*p = cfg_path(c, path, "cap");
	struct cap_item		*ci;

	if (s == NULL)
		return NULL;
	cfg_keys(c, s, p, keys);
	ci = arena_alloc(c->a, sizeof(*ci));
	memset(ci, 0, sizeof(*ci));
	ci->loc = cfg_loc(c, s);
	ci->category = plan_cap_enum(c, s, p, "category", cap_categories);
	ci->urgency = plan_cap_enum(c, s, p, "urgency", cap_urgencies);
	ci->severity = plan_cap_enum(c, s, p, "severity", cap_severities);
	ci->certainty = plan_cap_enum(c, s, p, "certainty", cap_certainties);
	ci->event = cfg_str(c, s, p, "event", 0);
	ci->instruction = cfg_str(c, s, p, "instruction", 0);
	if (ci->event != NULL && *ci->event == '\0')
		ci->event = NULL;
	if (ci->instruction != NULL && *ci->instruction == '\0')
		ci->instruction = NULL;
	return ci;
}

static void
plan_broadcasts(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf),
	    "broadcasts");
	int		  i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->broadcasts = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct broadcast));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		const char	 *path = cfg_elem_path(c, "broadcasts", g, i);
		struct broadcast *b = &p->broadcasts[p->nbroadcasts];

		memset(b, 0, sizeof(*b));
		cfg_keys(c, g, path, bc_keys);
		b->loc = cfg_loc(c, g);
		if ((b->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		b->title = plan_title(c, g, path, "title", "a title");
		b->text = plan_title(c, g, path, "text",
		    "the text to read on air");
		b->nair = cfg_whens(c, g, path, "air", &b->air);
		if (config_setting_get_member(g, "air") == NULL)
			cfg_error(c, g, path, "air",
			    "missing; expected the "
			    "times to air it from [ \"...\", ... ]");
		else if (b->nair == 0 &&
		    config_setting_length(
			config_setting_get_member(g, "air")) == 0 &&
		    config_setting_type(config_setting_get_member(g, "air")) !=
			CONFIG_TYPE_STRING)
			cfg_warn(c, config_setting_get_member(g, "air"), path,
			    "air",
			    "empty: the broadcast never airs; expected "
			    "the times to air it from [ \"...\", ... ]");
		cfg_when(c, g, path, "expires", &b->expires, 0);
		b->priority = (enum priority)cfg_enum(c, g, path, "priority",
		    priority_names, PRIO__N, PRIO_NORMAL);
		b->cap = plan_cap(c, g, path);
		if (b->cap != NULL && b->priority != PRIO_EMERGENCY)
			cfg_warn(c, config_setting_get_member(g, "cap"), path,
			    "cap",
			    "only an emergency item has a CAP alert; expected "
			    "priority = \"emergency\" with it");
		cfg_idlist(c, g, path, "sms_to", &b->sms_to);
		if (plan_name(c, p, b->id, N_BROADCAST, b, g, path) == 0)
			p->nbroadcasts++;
	}
}

/* Check that ref names something of a kind in mask (1 << named_kind). */
static const struct named *
plan_ref(struct plan *p, struct diag *d, const struct idref *r, const char *key,
    unsigned mask, const char *expected)
{
	const struct named *n = strmap_get(p->names, r->id);

	if (n == NULL) {
		diag_error(d, &r->loc, key,
		    "unknown id \"%s\"; expected %s "
		    "defined in this plan",
		    r->id, expected);
		return NULL;
	}
	if (!(mask & (1u << n->kind))) {
		diag_error(d, &r->loc, key, "\"%s\" is not %s", r->id,
		    expected);
		return NULL;
	}
	return n;
}

#define RECIPIENTS ((1u << N_PERSON) | (1u << N_GROUP) | (1u << N_AGENCY))

static void
plan_refs(struct cfg *c, struct plan *p, const struct idlist *l,
    const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		plan_ref(p, c->d, &l->v[i], path, RECIPIENTS,
		    "a person, group or agency");
}

static void
plan_check_refs(struct cfg *c, struct plan *p)
{
	size_t i;

	if (p->signed_by.id != NULL)
		plan_ref(p, c->d, &p->signed_by, "plan.signed_by",
		    1u << N_PERSON, "a person");
	for (i = 0; i < p->ngroups; i++)
		plan_refs(c, p, &p->groups[i].members,
		    arena_printf(c->a, "groups.%s.members", p->groups[i].id));
	for (i = 0; i < p->nagencies; i++) {
		struct agency *ag = &p->agencies[i];

		if (ag->head.id != NULL)
			plan_ref(p, c->d, &ag->head,
			    arena_printf(c->a, "agencies.%s.head", ag->id),
			    1u << N_PERSON, "a person");
		plan_refs(c, p, &ag->members,
		    arena_printf(c->a, "agencies.%s.members", ag->id));
	}
	if (p->distribution.present)
		plan_refs(c, p, &p->distribution.to, "distribution.to");
	for (i = 0; i < p->nevents; i++) {
		struct event *ev = &p->events[i];

		if (ev->organizer.id != NULL)
			plan_ref(p, c->d, &ev->organizer,
			    arena_printf(c->a, "events.%s.organizer", ev->id),
			    (1u << N_PERSON) | (1u << N_AGENCY),
			    "a person or agency");
		plan_refs(c, p, &ev->attendees,
		    arena_printf(c->a, "events.%s.attendees", ev->id));
		plan_refs(c, p, &ev->optional,
		    arena_printf(c->a, "events.%s.optional", ev->id));
	}
	for (i = 0; i < p->nbroadcasts; i++)
		plan_refs(c, p, &p->broadcasts[i].sms_to,
		    arena_printf(c->a, "broadcasts.%s.sms_to",
			p->broadcasts[i].id));
	for (i = 0; i < p->ntasks; i++) {
		plan_refs(c, p, &p->tasks[i].owner,
		    arena_printf(c->a, "tasks.%s.owner", p->tasks[i].id));
		plan_refs(c, p, &p->tasks[i].with,
		    arena_printf(c->a, "tasks.%s.with", p->tasks[i].id));
	}
}

struct plan *
plan_load(const struct service *svc, const char *path, const struct loc *from,
    struct diag *d)
{
	config_t	  cf;
	struct plan	 *p;
	struct cfg	  c;
	config_setting_t *root, *g, *l;
	char		 *tzname;
	size_t		  room = 0;
	int		  errors = d->errors;

	if (cfg_read(&cf, path, from, "loa.plans", d) == -1)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->arena = arena_new();
	p->names = xcalloc(1, sizeof(*p->names));
	p->file = arena_strdup(p->arena, path);
	p->dir = cfg_dirname(p->arena, path);
	c.file = p->file;
	c.d = d;
	c.a = p->arena;
	c.keep_space = 0;
	c.inc_raw = c.inc_file = NULL;
	c.skip_secrets = 0;
	root = config_root_setting(&cf);
	cfg_keys(&c, root, NULL, plan_top_keys);

	g = cfg_group(&c, root, NULL, "plan");
	if (g == NULL) {
		struct loc lc = { p->file, 0 };

		if (config_setting_get_member(root, "plan") == NULL)
			diag_error(d, &lc, "plan",
			    "missing; expected a group "
			    "plan = { id = \"...\"; issued = \"YYYY-MM-DD\"; "
			    "... };");
		config_destroy(&cf);
		plan_free(p);
		return NULL;
	}
	cfg_keys(&c, g, "plan", plan_keys);
	p->id = cfg_str(&c, g, "plan", "id", 1);
	p->id_loc = cfg_loc(&c,
	    g != NULL ? config_setting_get_member(g, "id") : NULL);
	if (p->id != NULL && *p->id == '\0')
		cfg_error(&c, g, "plan", "id",
		    "empty; expected the plan's "
		    "number, e.g. \"129/KH-UBND\"");
	p->title = plan_title(&c, g, "plan", "title", "a title");
	p->issuer = cfg_str(&c, g, "plan", "issuer", 0);
	if (p->issuer == NULL)
		p->issuer = arena_strdup(p->arena, "");
	/* A date, or a date and time: an emergency plan is issued at an
	 * hour. A date alone means its first minute, as it always has. */
	if (cfg_when(&c, g, "plan", "issued", &p->issued, 1) == 0 &&
	    p->issued.src != NULL && p->issued.x.kind != TIMEX_ABS)
		cfg_error(&c, config_setting_get_member(g, "issued"), "plan",
		    "issued",
		    "\"%s\" is not a date; expected YYYY-MM-DD or "
		    "YYYY-MM-DD HH:MM",
		    p->issued.src);
	if ((p->signed_by.id = cfg_str(&c, g, "plan", "signed_by", 0)) != NULL)
		p->signed_by.loc = cfg_loc(&c,
		    config_setting_get_member(g, "signed_by"));
	tzname = cfg_str(&c, g, "plan", "timezone", 0);
	p->tz = svc->tz;
	if (tzname != NULL && (p->tz = tz_get(tzname)) == NULL) {
		cfg_error(&c, config_setting_get_member(g, "timezone"), "plan",
		    "timezone",
		    "unknown time zone \"%s\"; expected a name "
		    "such as \"Asia/Ho_Chi_Minh\"",
		    tzname);
		p->tz = svc->tz;
	}
	p->cal.tz = p->tz;
	p->cal.holidays = svc->holidays;
	p->cal.nholidays = svc->nholidays;

	if ((l = config_setting_get_member(root, "people")) != NULL &&
	    config_setting_type(l) == CONFIG_TYPE_LIST)
		room += (size_t)config_setting_length(l);
	if ((l = config_setting_get_member(root, "agencies")) != NULL &&
	    config_setting_type(l) == CONFIG_TYPE_LIST)
		room += (size_t)config_setting_length(l);
	plan_people(&c, &cf, p, room);
	plan_groups(&c, &cf, p);
	plan_agencies(&c, &cf, p);
	plan_events(&c, &cf, p);
	plan_tasks(&c, &cf, p);
	plan_broadcasts(&c, &cf, p);
	plan_distribution(&c, &cf, p);
	plan_check_refs(&c, p);

	config_destroy(&cf);
	if (d->errors > errors) {
		plan_free(p);
		return NULL;
	}
	return p;
}

void
plan_free(struct plan *p)
{
	if (p == NULL)
		return;
	if (p->names != NULL)
		strmap_free(p->names);
	free(p->names);
	arena_free(p->arena);
	free(p);
}
