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
#include "util/xmalloc.h"

/*
 * How a file libconfig names by its @include text raw is shown: beside
 * top (the file read) unless absolute. The caller frees.
 */
static char *
cfg_shown(const config_t *cf, const char *top, const char *raw)
{
	const char *slash = strrchr(top, '/');

	(void)cf;
	if (raw[0] == '/' || slash == NULL)
		return xstrdup(raw);
	return xasprintf("%.*s/%s", (int)(slash - top), top, raw);
}

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

/*
 * Does the name of a setting say it holds a secret? Where a secret is
 * found instead (password_env, token_file ...) it does not.
 */
int
cfg_secret_name(const char *name)
{
	static const char *const words[] = { "password", "passwd", "secret",
		"token", "api_key", "apikey", "api-key", "credential",
		"private_key", "authoriz", "cookie", NULL };
	char			*l = xstrdup(name), *q;
	size_t			 n;
	int			 rc = 0, i;

	for (q = l; *q != '\0'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	n = strlen(l);
	if ((n > 4 && strcmp(l + n - 4, "_env") == 0) ||
	    (n > 5 && strcmp(l + n - 5, "_file") == 0)) {
		free(l);
		return 0;
	}
	for (i = 0; words[i] != NULL && rc == 0; i++)
		rc = strstr(l, words[i]) != NULL;
	/* Short names that say password only when alone. */
	if (strcmp(l, "pass") == 0 || strcmp(l, "pwd") == 0 ||
	    strcmp(l, "key") == 0)
		rc = 1;
	/* "auth", "auth_user", "x-auth": but not "author". */
	for (q = l; rc == 0 && (q = strstr(q, "auth")) != NULL; q++)
		rc = strncmp(q, "author", 6) != 0;
	free(l);
	return rc;
}

/* Whether a config line names a secret or carries credentials. */
static int
line_may_hold_secret(const char *s)
{
	const char *u = strstr(s, "://");

	return cfg_secret_name(s) || strstr(s, "Bearer") != NULL ||
	    strstr(s, "Basic") != NULL || (u != NULL && strchr(u, '@') != NULL);
}

/* Replace the inside of every double-quoted string of s by "***" (s only
 * shrinks). */
static void
hide_strings(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (*r != '"') {
			*w++ = *r++;
			continue;
		}
		*w++ = *r++;
		while (*r != '\0' && *r != '"') {
			if (*r == '\\' && r[1] != '\0')
				r++;
			r++;
		}
		if (w + 3 <= r) {
			memcpy(w, "***", 3);
			w += 3;
		}
		if (*r == '"')
			*w++ = *r++;
	}
	*w = '\0';
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

/*
 * libconfig says little ("syntax error"): show the line it stopped at, and
 * what a setting looks like.
 */
void
syntax_error(struct diag *d, const struct loc *l, const char *what)
{
	char  *line = NULL, *s, *e, *data = NULL, err[PATH_MAX + 256];
	size_t len;
	int    n = 0, past_end;

	/* The file was read before: never block on what replaced it. */
	if (l->line > 0 &&
	    fs_slurp(l->file, FS_MAX_FILE, &data, &len, err, sizeof(err)) ==
		0) {
		const char *p = data;

		while (*p != '\0') {
			size_t k = strcspn(p, "\n");

			if (++n == l->line) {
				line = xstrndup(p, k);
				break;
			}
			p += k;
			if (*p == '\n')
				p++;
		}
	}
	free(data);
	past_end = n < l->line;
	if (line == NULL || past_end) {
		free(line);
		line = xstrdup("");
	}
	if (strlen(line) > 200) {
		size_t k = 195;

		/* Enough to find it; cut between UTF-8 sequences. */
		while (k > 0 && ((unsigned char)line[k] & 0xc0) == 0x80)
			k--;
		memcpy(line + k, " ...", 5);
	}
	for (s = line; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s &&
	     (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t');
	     e--)
		;
	*e = '\0';
	if (what != NULL && strcmp(what, "syntax error") == 0)
		what = NULL;
	/* A line that may hold a secret is quoted with its strings hidden:
	 * messages reach logs, and a secret never does. */
	if (line_may_hold_secret(s))
		hide_strings(s);
	if (*s != '\0' && what == NULL)
		diag_error(d, l, NULL,
		    "syntax error at \"%s\": expected name "
		    "= value; with groups { }, lists ( ), arrays [ ] and "
		    "strings in double quotes",
		    s);
	else if (*s != '\0')
		diag_error(d, l, NULL, "syntax error at \"%s\": %s", s, what);
	else if (l->line > 0 && past_end && what == NULL)
		diag_error(d, l, NULL,
		    "syntax error at the end of the file: a "
		    "group { }, list ( ) or array [ ] is not closed");
	else
		diag_error(d, l, NULL, "syntax error: %s", what ? what : "");
	free(line);
}

/* An @include nests no deeper than libconfig's own limit. */
#define CFG_INCLUDE_DEPTH 10

/* The files being read, outermost first: for cycles and their chain. */
struct incscan {
	struct diag *d;
	const char  *dir; /* where libconfig resolves a relative @include */
	char	    *real[CFG_INCLUDE_DEPTH + 1];
	char	    *shown[CFG_INCLUDE_DEPTH + 1];
	int	     depth;
};

/* The reason in fs_slurp's "PATH: reason". */
static const char *
slurp_reason(const char *err, const char *path)
{
	size_t n = strlen(path);

	if (strncmp(err, path, n) == 0 && err[n] == ':' && err[n + 1] == ' ')
		return err + n + 2;
	return err;
}

/*
 * Check the bytes of a config file (shown as file): no NUL byte, UTF-8.
 * A UTF-8 byte order mark at the start is allowed when bom_ok, else an
 * error. Returns 0, or -1 with the error reported.
 */
static int
cfg_check_bytes(struct diag *d, const char *file, const char *data, size_t len,
    int bom_ok)
{
	struct loc  l = { file, 0 };
	const char *nul = memchr(data, '\0', len);
	long	    bad;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 && !bom_ok) {
		l.line = 1;
		diag_error(d, &l, NULL,
		    "a UTF-8 byte order mark at the start of an included "
		    "file; expected the file saved as UTF-8 without one");
		return -1;
	}
	if (nul != NULL) {
		l.line = text_line_of(data, (size_t)(nul - data));
		diag_error(d, &l, NULL, "a NUL byte; the file must be text");
		return -1;
	}
	if ((bad = text_utf8_check(data, len)) >= 0) {
		l.line = text_line_of(data, (size_t)bad);
		diag_error(d, &l, NULL,
		    "invalid UTF-8 (byte 0x%02x); the file must be UTF-8 text",
		    (unsigned char)data[bad]);
		return -1;
	}
	return 0;
}

static int inc_scan(struct incscan *, const char *shown, const char *data);

/*
 * The file an @include on line `line` of `from` names (raw, as written):
 * read it, check it, and scan it in turn. Returns 0 or -1 (reported).
 */
static int
inc_file(struct incscan *s, const char *from, int line, const char *raw)
{
	struct loc l = { from, line };
	char	  *path, *real, *shown, *data, err[PATH_MAX + 256];
	size_t	   len;
	int	   i, rc;

	if (*raw == '\0') {
		diag_error(s->d, &l, "@include",
		    "empty; expected the name of a file");
		return -1;
	}
	path = raw[0] == '/' ? xstrdup(raw) : xasprintf("%s/%s", s->dir, raw);
	shown = raw[0] == '/' || strcmp(s->dir, ".") == 0 ? xstrdup(raw) :
							    xstrdup(path);
	if (s->depth == CFG_INCLUDE_DEPTH) {
		diag_error(s->d, &l, "@include",
		    "includes nest deeper than %d; expected at most %d files "
		    "each included by the one before",
		    CFG_INCLUDE_DEPTH, CFG_INCLUDE_DEPTH);
		free(path);
		free(shown);
		return -1;
	}
	if (fs_slurp(path, FS_MAX_FILE, &data, &len, err, sizeof(err)) == -1) {
		diag_error(s->d, &l, "@include", "cannot read \"%s\": %s", raw,
		    slurp_reason(err, path));
		free(path);
		free(shown);
		return -1;
	}
	if (raw[0] == '/') {
		/* libconfig 1.5 puts its include folder before every path,
		 * an absolute one too: it would not find this file. */
		diag_error(s->d, &l, "@include",
		    "\"%s\" is an absolute path; expected a path relative "
		    "to the config file's folder",
		    raw);
		free(data);
		free(path);
		free(shown);
		return -1;
	}
	real = realpath(path, NULL);
	for (i = 0; real != NULL && i <= s->depth; i++)
		if (s->real[i] != NULL && strcmp(s->real[i], real) == 0)
			break;
	if (real != NULL && i <= s->depth) {
		struct buf b = { 0 };
		int	   k;

		for (k = i; k <= s->depth; k++)
			buf_printf(&b, "%s -> ", s->shown[k]);
		buf_adds(&b, shown);
		diag_error(s->d, &l, "@include", "\"%s\" includes itself: %s",
		    s->shown[i], b.s);
		buf_free(&b);
		rc = -1;
	} else if (cfg_check_bytes(s->d, shown, data, len, 0) == -1) {
		rc = -1;
	} else {
		s->depth++;
		s->real[s->depth] = real;
		s->shown[s->depth] = shown;
		rc = inc_scan(s, shown, data);
		s->real[s->depth] = NULL;
		s->shown[s->depth] = NULL;
		s->depth--;
	}
	free(real);
	free(shown);
	free(path);
	free(data);
	return rc;
}

/*
 * Every @include "path" directive of data (the text of file shown), as
 * libconfig sees them: at the start of a line, after blanks. Returns 0,
 * or -1 when one was bad (reported).
 */
static int
inc_scan(struct incscan *s, const char *shown, const char *data)
{
	const char *p = data;
	int	    line = 1, rc = 0;

	for (; *p != '\0'; line++) {
		const char *e = strchr(p, '\n');
		const char *q = p;

		if (e == NULL)
			e = p + strlen(p);
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(e - q) > 8 && strncmp(q, "@include", 8) == 0 &&
		    (q[8] == ' ' || q[8] == '\t')) {
			struct buf raw = { 0 };

			for (q += 8; q < e && (*q == ' ' || *q == '\t'); q++)
				;
			if (q < e && *q == '"') {
				for (q++; q < e && *q != '"'; q++) {
					if (*q == '\\' && q + 1 < e)
						q++;
					buf_addc(&raw, *q);
				}
				if (q < e &&
				    inc_file(s, shown, line,
					raw.s != NULL ? raw.s : "") == -1)
					rc = -1;
			}
			buf_free(&raw);
		}
		p = *e == '\n' ? e + 1 : e;
	}
	return rc;
}

/* The bare name a quoted one becomes: this prefix, then its bytes in hex. */
#define QUOTED_NAME "loa_q_"

/*
 * The text with each quoted setting name ("ĐS" = "Đại Sơn";) as a bare
 * name libconfig accepts, or NULL when it has none. A string is a name
 * when it follows the start of a group or setting ('{', ';', ',' or the
 * start of the text) and is followed on its line by '=' or ':'. Comments
 * and other strings are copied as they are; lines keep their numbers.
 */
static char *
quoted_names(const char *text)
{
	struct buf  b = { 0 };
	const char *p = text, *copied = text;
	char	    prev = '{'; /* the last significant character */
	int	    found = 0;

	while (*p != '\0') {
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			p = e != NULL ? e + 2 : p + strlen(p);
			continue;
		}
		if (*p == '"') {
			const char *q = p + 1, *a;
			size_t	    n = strcspn(q, "\"\\\n");

			a = q + n;
			if (*a == '"' &&
			    (prev == '{' || prev == ';' || prev == ',')) {
				const char *t = a + 1 + strspn(a + 1, " \t");

				if (*t == '=' || *t == ':') {
					static const char
					       hex[] = "0123456789abcdef";
					size_t i;

					buf_add(&b, copied,
					    (size_t)(p - copied));
					buf_add(&b, QUOTED_NAME,
					    strlen(QUOTED_NAME));
					for (i = 0; i < n; i++) {
						unsigned char
						    ch = (unsigned char)q[i];

						buf_add(&b, &hex[ch >> 4], 1);
						buf_add(&b, &hex[ch & 15], 1);
					}
					copied = p = a + 1;
					found = 1;
					prev = 'n';
					continue;
				}
			}
			/* Another string: skip it, escapes and all. */
			for (q = p + 1; *q != '\0' && *q != '"' && *q != '\n';
			     q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			p = *q == '"' ? q + 1 : q;
			prev = '"';
			continue;
		}
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			prev = *p;
		p++;
	}
	if (!found)
		return NULL;
	buf_add(&b, copied, strlen(copied));
	return b.s;
}

const char *
cfg_name(const struct cfg *c, const config_setting_t *s)
{
	const char *n = config_setting_name(s);
	size_t	    len, i;
	char	   *out;

	if (n == NULL || strncmp(n, QUOTED_NAME, strlen(QUOTED_NAME)) != 0)
		return n;
	n += strlen(QUOTED_NAME);
	len = strlen(n);
	if (len % 2 != 0 || strspn(n, "0123456789abcdef") != len)
		return n - strlen(QUOTED_NAME);
	out = arena_alloc(c->a, len / 2 + 1);
	for (i = 0; i < len / 2; i++) {
		int hi = n[2 * i] <= '9' ? n[2 * i] - '0' : n[2 * i] - 'a' + 10;
		int lo = n[2 * i + 1] <= '9' ? n[2 * i + 1] - '0' :
					       n[2 * i + 1] - 'a' + 10;

		out[i] = (char)(hi << 4 | lo);
	}
	out[len / 2] = '\0';
	return out;
}

/*
 * Read a whole file (never blocking, a regular file only, at most
 * FS_MAX_FILE), check it and the files it @includes (NUL bytes, UTF-8,
 * cycles, nesting), and parse it with libconfig. A UTF-8 byte order mark
 * at its start is dropped. Returns 0, or -1 with the error reported.
 */
int
cfg_read(config_t *cf, const char *path, const struct loc *from,
    const char *what, struct diag *d)
{
	char	      *data, *text, *quoted, err[PATH_MAX + 256];
	size_t	       len;
	struct loc     l = { path, 0 };
	struct incscan s;
	char	      *dir;
	int	       rc;

	if (fs_slurp(path, FS_MAX_FILE, &data, &len, err, sizeof(err)) == -1) {
		if (from != NULL)
			diag_error(d, from, what, "cannot read \"%s\": %s",
			    path, slurp_reason(err, path));
		else
			diag_error(d, &l, NULL, "cannot read %s: %s", what,
			    slurp_reason(err, path));
		return -1;
	}
	if (cfg_check_bytes(d, path, data, len, 1) == -1) {
		free(data);
		return -1;
	}
	text = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? data + 3 :
								  data;
	dir = strrchr(path, '/') == NULL ?
	    xstrdup(".") :
	    strrchr(path, '/') == path ?
	    xstrdup("/") :
	    xstrndup(path, (size_t)(strrchr(path, '/') - path));
	memset(&s, 0, sizeof(s));
	s.d = d;
	s.dir = dir;
	s.real[0] = realpath(path, NULL);
	s.shown[0] = (char *)path;
	rc = inc_scan(&s, path, text);
	free(s.real[0]);
	if (rc == -1) {
		free(dir);
		free(data);
		return -1;
	}
	/* Initialised only now: every earlier return has nothing to free. */
	config_init(cf);
	config_set_include_dir(cf, dir);
	free(dir);
	quoted = quoted_names(text);
	rc = config_read_string(cf, quoted != NULL ? quoted : text);
	free(quoted);
	if (rc != CONFIG_TRUE) {
		const char *ef = config_error_file(cf);

		l.file = ef != NULL ? cfg_shown(cf, path, ef) : path;
		l.line = config_error_line(cf);
		syntax_error(d, &l, config_error_text(cf));
		free((char *)(ef != NULL ? l.file : NULL));
		config_destroy(cf);
		free(data);
		return -1;
	}
	free(data);
	return 0;
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
