/*
 * cfg.c: the internal API of the config loaders (cfg.h): messages, reading
 * a libconfig file, and checked readers of typed settings.
 *
 * Every value is checked for its type and form here, where its file and
 * line are known; what needs the whole plan (time references, cycles) is
 * checked in resolve.c. Strings are normalised to NFC on the way in.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "plan/cfg.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"

struct loc
cfg_loc(const struct cfg *c, const config_setting_t *s)
{
	struct loc  l = { c->file, 0 };
	const char *raw;

	if (s == NULL)
		return l;
	l.line = config_setting_source_line(s);
	/* A setting from an @included file is shown at its own file. */
	if ((raw = config_setting_source_file(s)) != NULL) {
		struct cfg *m = (struct cfg *)c;

		if (m->inc_raw == NULL || strcmp(m->inc_raw, raw) != 0) {
			char *shown = cfg_shown(NULL, c->file, raw);

			m->inc_raw = arena_strdup(c->a, raw);
			m->inc_file = arena_strdup(c->a, shown);
			free(shown);
		}
		l.file = m->inc_file;
	}
	return l;
}

const char *
cfg_path(const struct cfg *c, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		return key;
	if (key == NULL)
		return path;
	return arena_printf(c->a, "%s.%s", path, key);
}

const char *
cfg_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "a number";
	case CONFIG_TYPE_FLOAT:
		return "a decimal number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	default:
		return "nothing";
	}
}

/* A message of any length (it quotes what the user wrote). */
static char *cfg_vfmt(const char *, va_list) LOA_PRINTF(1, 0);

static char *
cfg_vfmt(const char *fmt, va_list ap)
{
	va_list aq;
	int	n;
	char   *s;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return xstrdup(fmt);
	s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

void
cfg_error(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key, const char *fmt, ...)
{
	struct loc l = cfg_loc(c, s);
	char	  *msg;
	va_list	   ap;

	va_start(ap, fmt);
	msg = cfg_vfmt(fmt, ap);
	va_end(ap);
	diag_error(c->d, &l, cfg_path(c, path, key), "%s", msg);
	free(msg);
}

void
cfg_warn(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key, const char *fmt, ...)
{
	struct loc l = cfg_loc(c, s);
	char	  *msg;
	va_list	   ap;

	va_start(ap, fmt);
	msg = cfg_vfmt(fmt, ap);
	va_end(ap);
	diag_warn(c->d, &l, cfg_path(c, path, key), "%s", msg);
	free(msg);
}

int
cfg_email_ok(const char *s)
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

/* Warn about members of group g not in the NULL-terminated allowed list. */
void
cfg_keys(struct cfg *c, const config_setting_t *g, const char *path,
    const char *const *allowed)
{
	int i, n = config_setting_length(g);

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t  *m = config_setting_get_elem(g, i);
		const char	  *name = cfg_name(c, m);
		const char *const *a;
		struct buf	   b = { 0 };

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, name) == 0)
				break;
		/* A key of loa's quoted ("gap" = ...) is not read as one. */
		if (*a != NULL && name != config_setting_name(m)) {
			cfg_error(c, m, path, name,
			    "a quoted key; write it bare (%s = ...): only "
			    "broadcast.say's words and http template names "
			    "may be quoted",
			    name);
			continue;
		}
		if (*a != NULL || (c->skip_secrets && cfg_secret_name(name)))
			continue;
		for (a = allowed; *a != NULL; a++)
			buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
		cfg_warn(c, m, path, name,
		    "unknown key, ignored; known "
		    "keys here: %s",
		    b.s);
		buf_free(&b);
	}
}

/* A string from the arena, NFC, without white space at either end
 * (except in templates); or NULL. */
char *
cfg_nfc(struct cfg *c, const char *s)
{
	char  *n = text_nfc(s), *r, *p;
	size_t len;

	if (n == NULL) /* the file was checked: cannot happen */
		n = xstrdup(s);
	p = n;
	if (!c->keep_space) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		len = strlen(p);
		while (len > 0 &&
		    (p[len - 1] == ' ' || p[len - 1] == '\t' ||
			p[len - 1] == '\n' || p[len - 1] == '\r'))
			p[--len] = '\0';
	}
	r = arena_strdup(c->a, p);
	free(n);
	return r;
}

/*
 * The text of string setting s, NFC, or NULL with an error: the file is
 * UTF-8, but a \x escape can still spell bytes that are not.
 */
char *
cfg_text(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key)
{
	const char *v = config_setting_get_string(s);

	if (text_utf8_check(v, strlen(v)) >= 0) {
		cfg_error(c, s, path, key,
		    "invalid UTF-8 (written with an "
		    "escape); the text must be UTF-8");
		return NULL;
	}
	return cfg_nfc(c, v);
}

/*
 * The string member key of group g. Missing: NULL, and an error when
 * required. Wrong type: NULL and an error.
 */
char *
cfg_str(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int required)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL) {
		if (required)
			cfg_error(c, g, path, key,
			    "missing; expected a "
			    "string");
		return NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(c, s, path, key, "expected a string, found %s",
		    cfg_type_name(s));
		return NULL;
	}
	return cfg_text(c, s, path, key);
}

/* A string that must not be empty: an id. */
char *
cfg_id(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key)
{
	char	   *id = cfg_str(c, g, path, key, 1);
	const char *p;

	if (id == NULL)
		return NULL;
	if (*id == '\0') {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "empty; expected an id");
		return NULL;
	}
	for (p = id; *p != '\0'; p++) {
		unsigned char u = (unsigned char)*p;

		if (u >= 0x80 || (u >= 'a' && u <= 'z') ||
		    (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		    u == '-' || u == '_')
			continue;
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "'%s' is not a valid id; expected letters, digits, '-' "
		    "or '_' (no spaces or dots)",
		    id);
		return NULL;
	}
	return id;
}

/*
 * A list of strings: a string alone, or an array or list of strings.
 * Returns the count; fills *out (arena) and, if locs, their lines.
 */
size_t
cfg_strlist(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, char ***out, struct loc **locs)
{
	config_setting_t *s = config_setting_get_member(g, key);
	size_t		  n, i, k = 0;

	*out = NULL;
	if (locs != NULL)
		*locs = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		if (((*out) = arena_alloc(c->a, sizeof(char *)),
			(*out)[0] = cfg_text(c, s, path, key)) == NULL)
			return 0;
		if (locs != NULL) {
			*locs = arena_alloc(c->a, sizeof(struct loc));
			(*locs)[0] = cfg_loc(c, s);
		}
		return 1;
	}
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(c, s, path, key,
		    "expected a list of strings "
		    "[ \"...\", ... ], found %s",
		    cfg_type_name(s));
		return 0;
	}
	n = (size_t)config_setting_length(s);
	*out = arena_alloc(c->a, (n ? n : 1) * sizeof(char *));
	if (locs != NULL)
		*locs = arena_alloc(c->a, (n ? n : 1) * sizeof(struct loc));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(c, e, path,
			    arena_printf(c->a, "%s[%zu]", key, i),
			    "expected a string, found %s", cfg_type_name(e));
			continue;
		}
		if (((*out)[k] = cfg_text(c, e, path,
			 arena_printf(c->a, "%s[%zu]", key, i))) == NULL)
			continue;
		if (locs != NULL)
			(*locs)[k] = cfg_loc(c, e);
		k++;
	}
	return k;
}

void
cfg_idlist(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct idlist *l)
{
	char	  **v;
	struct loc *locs;
	size_t	    i;

	l->n = cfg_strlist(c, g, path, key, &v, &locs);
	l->v = arena_alloc(c->a, (l->n ? l->n : 1) * sizeof(*l->v));
	for (i = 0; i < l->n; i++) {
		l->v[i].id = v[i];
		l->v[i].loc = locs[i];
	}
}

/* Parse a time expression string into w. Returns 0, or -1 on error. */
int
cfg_when_str(struct cfg *c, const char *src, struct loc l, const char *path,
    const char *key, struct when *w)
{
	struct texpr x;
	char	     err[256];

	memset(w, 0, sizeof(*w));
	w->t = TIMEX_NONE;
	w->loc = l;
	w->key = cfg_path(c, path, key);
	w->src = arena_strdup(c->a, src);
	if (timex_parse(src, &x, err, sizeof(err)) == -1) {
		diag_error(c->d, &l, w->key, "%s in \"%s\"", err, src);
		w->src = NULL;
		return -1;
	}
	/* Move the parse into the arena so plans free in one go. */
	w->x = x;
	w->x.obj = x.obj ? arena_strdup(c->a, x.obj) : NULL;
	if (x.noff > 0) {
		w->x.off = arena_alloc(c->a, x.noff * sizeof(*x.off));
		memcpy(w->x.off, x.off, x.noff * sizeof(*x.off));
	}
	timex_free(&x);
	return 0;
}

int
cfg_when(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct when *w, int required)
{
	config_setting_t *s = config_setting_get_member(g, key);

	memset(w, 0, sizeof(*w));
	w->t = TIMEX_NONE;
	if (s == NULL) {
		if (required)
			cfg_error(c, g, path, key,
			    "missing; expected a time "
			    "such as \"2025-12-26 08:00\" or \"start - 1d\"");
		return required ? -1 : 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(c, s, path, key,
		    "expected a time as a string, "
		    "found %s",
		    cfg_type_name(s));
		return -1;
	}
	return cfg_when_str(c, config_setting_get_string(s), cfg_loc(c, s),
	    path, key, w);
}

/* A list of time expressions. */
size_t
cfg_whens(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct when **out)
{
	char	  **v;
	struct loc *locs;
	size_t	    n, i, k = 0;

	n = cfg_strlist(c, g, path, key, &v, &locs);
	*out = arena_alloc(c->a, (n ? n : 1) * sizeof(struct when));
	for (i = 0; i < n; i++)
		if (cfg_when_str(c, v[i], locs[i], path,
			arena_printf(c->a, "%s[%zu]", key, i), &(*out)[k]) == 0)
			k++;
	return k;
}

int
cfg_int(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out, int min, int max)
{
	config_setting_t *s = config_setting_get_member(g, key);
	long long	  v;

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		cfg_error(c, s, path, key, "expected a whole number, found %s",
		    cfg_type_name(s));
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		cfg_error(c, s, path, key,
		    "%lld is out of range; expected "
		    "%d to %d",
		    v, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
cfg_bool(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_error(c, s, path, key, "expected true or false, found %s",
		    cfg_type_name(s));
		return -1;
	}
	*out = config_setting_get_bool(s);
	return 0;
}

/* An enumerated string value: its index into names, or def. */
int
cfg_enum(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, const char *const *names, int n, int def)
{
	config_setting_t *s = config_setting_get_member(g, key);
	const char	 *v;
	struct buf	  b = { 0 };
	int		  i;

	if (s == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(c, s, path, key, "expected a string, found %s",
		    cfg_type_name(s));
		return def;
	}
	v = config_setting_get_string(s);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\"%s\"",
		    i == 0	   ? "" :
			i == n - 1 ? " or " :
				     ", ",
		    names[i]);
	cfg_error(c, s, path, key, "unknown value \"%s\"; expected %s", v, b.s);
	buf_free(&b);
	return def;
}

/* A list of channel names into a mask; def when the key is absent. */
unsigned
cfg_channels(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, unsigned def, unsigned allowed, int *given)
{
	char	   **v;
	struct loc  *locs;
	size_t	     n, i;
	unsigned     m = 0;
	enum channel ch;

	if (given != NULL)
		*given = 0;
	if (config_setting_get_member(g, key) == NULL)
		return def;
	if (given != NULL)
		*given = 1;
	n = cfg_strlist(c, g, path, key, &v, &locs);
	for (i = 0; i < n; i++) {
		if (channel_from_name(v[i], &ch) == -1 ||
		    !(allowed & CHM(ch))) {
			diag_error(c->d, &locs[i], cfg_path(c, path, key),
			    "unknown channel \"%s\"; expected %s", v[i],
			    allowed & CHM(CH_BROADCAST) ?
				"\"email\", \"sms\" or \"broadcast\"" :
				"\"email\" or \"sms\"");
			continue;
		}
		m |= CHM(ch);
	}
	return m;
}

/* A group member of g that must be a group { } if present. */
config_setting_t *
cfg_group(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_error(c, s, path, key,
		    "expected a group { ... }, found "
		    "%s",
		    cfg_type_name(s));
		return NULL;
	}
	return s;
}

/* A member that must be a list ( { ... }, ... ) of groups. */
config_setting_t *
cfg_list(struct cfg *c, const config_setting_t *g, const char *key)
{
	config_setting_t *s = config_setting_get_member(g, key);
	int		  i;

	if (s == NULL)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(c, s, NULL, key,
		    "expected a list ( { ... }, ... ), "
		    "found %s",
		    cfg_type_name(s));
		return NULL;
	}
	for (i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_error(c, e, NULL,
			    arena_printf(c->a, "%s[%d]", key, i),
			    "expected a group { ... }, found %s",
			    cfg_type_name(e));
			return NULL;
		}
	}
	return s;
}

/* The path of a list element: "events.ID", or "events[N]" without id. */
const char *
cfg_elem_path(struct cfg *c, const char *list, config_setting_t *e, int i)
{
	const char *id = NULL;

	if (config_setting_lookup_string(e, "id", &id) && *id != '\0')
		return arena_printf(c->a, "%s.%s", list, id);
	return arena_printf(c->a, "%s[%d]", list, i);
}

char *
cfg_resolve_path(struct arena *a, const char *dir, const char *p)
{
	if (p[0] == '/' || dir[0] == '\0' || strcmp(dir, ".") == 0)
		return arena_strdup(a, p);
	return arena_printf(a, "%s/%s", dir, p);
}

char *
cfg_dirname(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return arena_strdup(a, ".");
	if (slash == path)
		return arena_strdup(a, "/");
	return arena_printf(a, "%.*s", (int)(slash - path), path);
}

int
cfg_hhmm(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out, int required)
{
	char *s = cfg_str(c, g, path, key, required);

	if (s == NULL)
		return -1;
	if (timex_parse_hhmm(s, out) == -1) {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "\"%s\" is not a time of day; expected HH:MM (00:00 to "
		    "23:59)",
		    s);
		return -1;
	}
	return 0;
}

int
cfg_duration(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int64_t *out)
{
	char *s = cfg_str(c, g, path, key, 0);
	char  err[128];

	if (s == NULL)
		return 0;
	if (timex_parse_duration(s, out, err, sizeof(err)) == -1) {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "\"%s\": %s", s, err);
		return -1;
	}
	return 0;
}
