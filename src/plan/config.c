/*
 * config.c: libconfig files -> struct service and struct plan.
 *
 * Every value is checked for its type and form here, where its file and
 * line are known; what needs the whole plan (time references, cycles) is
 * checked in plan.c. Strings are normalised to NFC on the way in.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "plan/config.h"
#include "plan/phone.h"
#include "util/text.h"
#include "render/tmpl.h"
#include "util/xmalloc.h"

static void diag_v(struct diag *, const char *, const struct loc *,
    const char *, const char *, va_list) LOA_PRINTF(5, 0);

static void
diag_v(struct diag *d, const char *what, const struct loc *l, const char *key,
    const char *fmt, va_list ap)
{
	FILE	*f = d->out != NULL ? d->out : stderr;

	if (l != NULL && l->file != NULL && l->line > 0)
		fprintf(f, "%s:%d: ", l->file, l->line);
	else if (l != NULL && l->file != NULL)
		fprintf(f, "%s: ", l->file);
	if (what != NULL)
		fprintf(f, "%s: ", what);
	if (key != NULL)
		fprintf(f, "%s: ", key);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void
diag_error(struct diag *d, const struct loc *l, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag_v(d, NULL, l, key, fmt, ap);
	va_end(ap);
	d->errors++;
}

void
diag_warn(struct diag *d, const struct loc *l, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	diag_v(d, "warning", l, key, fmt, ap);
	va_end(ap);
	d->warnings++;
}

/* The reading context of one file. */
struct cfg {
	const char	*file;
	struct diag	*d;
	struct arena	*a;
	int		 keep_space;	/* templates: white space is theirs */
};

static struct loc
cfg_loc(const struct cfg *c, const config_setting_t *s)
{
	struct loc	 l = { c->file, 0 };

	if (s != NULL)
		l.line = config_setting_source_line(s);
	return l;
}

static const char *
cfg_path(const struct cfg *c, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		return key;
	if (key == NULL)
		return path;
	return arena_printf(c->a, "%s.%s", path, key);
}

static const char *
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

static void cfg_error(struct cfg *, const config_setting_t *, const char *,
    const char *, const char *, ...) LOA_PRINTF(5, 6);
static void cfg_warn(struct cfg *, const config_setting_t *, const char *,
    const char *, const char *, ...) LOA_PRINTF(5, 6);

static void
cfg_error(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key, const char *fmt, ...)
{
	struct loc	 l = cfg_loc(c, s);
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(c->d, &l, cfg_path(c, path, key), "%s", msg);
}

static void
cfg_warn(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key, const char *fmt, ...)
{
	struct loc	 l = cfg_loc(c, s);
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_warn(c->d, &l, cfg_path(c, path, key), "%s", msg);
}

/* Warn about members of group g not in the NULL-terminated allowed list. */
static void
cfg_keys(struct cfg *c, const config_setting_t *g, const char *path,
    const char *const *allowed)
{
	int	 i, n = config_setting_length(g);

	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t	*m = config_setting_get_elem(g, i);
		const char		*name = config_setting_name(m);
		const char *const	*a;
		struct buf		 b = { 0 };

		for (a = allowed; *a != NULL; a++)
			if (strcmp(*a, name) == 0)
				break;
		if (*a != NULL)
			continue;
		for (a = allowed; *a != NULL; a++)
			buf_printf(&b, "%s%s", a == allowed ? "" : ", ", *a);
		cfg_warn(c, m, path, name, "unknown key, ignored; known "
		    "keys here: %s", b.s);
		buf_free(&b);
	}
}

/* A string from the arena, NFC, without white space at either end
 * (except in templates); or NULL. */
static char *
cfg_nfc(struct cfg *c, const char *s)
{
	char	*n = text_nfc(s), *r, *p;
	size_t	 len;

	if (n == NULL)		/* the file was checked: cannot happen */
		n = xstrdup(s);
	p = n;
	if (!c->keep_space) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		len = strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
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
static char *
cfg_text(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key)
{
	const char	*v = config_setting_get_string(s);

	if (text_utf8_check(v, strlen(v)) >= 0) {
		cfg_error(c, s, path, key, "invalid UTF-8 (written with an "
		    "escape); the text must be UTF-8");
		return NULL;
	}
	return cfg_nfc(c, v);
}

/*
 * The string member key of group g. Missing: NULL, and an error when
 * required. Wrong type: NULL and an error.
 */
static char *
cfg_str(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int required)
{
	config_setting_t	*s = config_setting_get_member(g, key);

	if (s == NULL) {
		if (required)
			cfg_error(c, g, path, key, "missing; expected a "
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
static char *
cfg_id(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key)
{
	char		*id = cfg_str(c, g, path, key, 1);
	const char	*p;

	if (id == NULL)
		return NULL;
	if (*id == '\0') {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "empty; expected an id");
		return NULL;
	}
	for (p = id; *p != '\0'; p++) {
		unsigned char	 u = (unsigned char)*p;

		if (u >= 0x80 || (u >= 'a' && u <= 'z') ||
		    (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
		    u == '-' || u == '_')
			continue;
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "'%s' is not a valid id; expected letters, digits, '-' "
		    "or '_' (no spaces or dots)", id);
		return NULL;
	}
	return id;
}

/*
 * A list of strings: a string alone, or an array or list of strings.
 * Returns the count; fills *out (arena) and, if locs, their lines.
 */
static size_t
cfg_strlist(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, char ***out, struct loc **locs)
{
	config_setting_t	*s = config_setting_get_member(g, key);
	size_t			 n, i, k = 0;

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
		cfg_error(c, s, path, key, "expected a list of strings "
		    "[ \"...\", ... ], found %s", cfg_type_name(s));
		return 0;
	}
	n = (size_t)config_setting_length(s);
	*out = arena_alloc(c->a, (n ? n : 1) * sizeof(char *));
	if (locs != NULL)
		*locs = arena_alloc(c->a, (n ? n : 1) * sizeof(struct loc));
	for (i = 0; i < n; i++) {
		config_setting_t	*e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(c, e, path, arena_printf(c->a, "%s[%zu]",
			    key, i), "expected a string, found %s",
			    cfg_type_name(e));
			continue;
		}
		if (((*out)[k] = cfg_text(c, e, path, arena_printf(c->a,
		    "%s[%zu]", key, i))) == NULL)
			continue;
		if (locs != NULL)
			(*locs)[k] = cfg_loc(c, e);
		k++;
	}
	return k;
}

static void
cfg_idlist(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct idlist *l)
{
	char		**v;
	struct loc	 *locs;
	size_t		  i;

	l->n = cfg_strlist(c, g, path, key, &v, &locs);
	l->v = arena_alloc(c->a, (l->n ? l->n : 1) * sizeof(*l->v));
	for (i = 0; i < l->n; i++) {
		l->v[i].id = v[i];
		l->v[i].loc = locs[i];
	}
}

/* Parse a time expression string into w. Returns 0, or -1 on error. */
static int
cfg_when_str(struct cfg *c, const char *src, struct loc l, const char *path,
    const char *key, struct when *w)
{
	struct texpr	 x;
	char		 err[256];

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

static int
cfg_when(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct when *w, int required)
{
	config_setting_t	*s = config_setting_get_member(g, key);

	memset(w, 0, sizeof(*w));
	w->t = TIMEX_NONE;
	if (s == NULL) {
		if (required)
			cfg_error(c, g, path, key, "missing; expected a time "
			    "such as \"2025-12-26 08:00\" or \"start - 1d\"");
		return required ? -1 : 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cfg_error(c, s, path, key, "expected a time as a string, "
		    "found %s", cfg_type_name(s));
		return -1;
	}
	return cfg_when_str(c, config_setting_get_string(s), cfg_loc(c, s),
	    path, key, w);
}

/* A list of time expressions. */
static size_t
cfg_whens(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, struct when **out)
{
	char		**v;
	struct loc	 *locs;
	size_t		  n, i, k = 0;

	n = cfg_strlist(c, g, path, key, &v, &locs);
	*out = arena_alloc(c->a, (n ? n : 1) * sizeof(struct when));
	for (i = 0; i < n; i++)
		if (cfg_when_str(c, v[i], locs[i], path,
		    arena_printf(c->a, "%s[%zu]", key, i), &(*out)[k]) == 0)
			k++;
	return k;
}

static int
cfg_int(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out, int min, int max)
{
	config_setting_t	*s = config_setting_get_member(g, key);
	long long		 v;

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
		cfg_error(c, s, path, key, "%lld is out of range; expected "
		    "%d to %d", v, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
cfg_bool(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out)
{
	config_setting_t	*s = config_setting_get_member(g, key);

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
static int
cfg_enum(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, const char *const *names, int n, int def)
{
	config_setting_t	*s = config_setting_get_member(g, key);
	const char		*v;
	struct buf		 b = { 0 };
	int			 i;

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
		buf_printf(&b, "%s\"%s\"", i == 0 ? "" : i == n - 1 ?
		    " or " : ", ", names[i]);
	cfg_error(c, s, path, key, "unknown value \"%s\"; expected %s", v,
	    b.s);
	buf_free(&b);
	return def;
}

/* A list of channel names into a mask; def when the key is absent. */
static unsigned
cfg_channels(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, unsigned def, unsigned allowed, int *given)
{
	char		**v;
	struct loc	 *locs;
	size_t		  n, i;
	unsigned	  m = 0;
	enum channel	  ch;

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
static config_setting_t *
cfg_group(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key)
{
	config_setting_t	*s = config_setting_get_member(g, key);

	if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
		cfg_error(c, s, path, key, "expected a group { ... }, found "
		    "%s", cfg_type_name(s));
		return NULL;
	}
	return s;
}

/* A member that must be a list ( { ... }, ... ) of groups. */
static config_setting_t *
cfg_list(struct cfg *c, const config_setting_t *g, const char *key)
{
	config_setting_t	*s = config_setting_get_member(g, key);
	int			 i;

	if (s == NULL)
		return NULL;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		cfg_error(c, s, NULL, key, "expected a list ( { ... }, ... ), "
		    "found %s", cfg_type_name(s));
		return NULL;
	}
	for (i = 0; i < config_setting_length(s); i++) {
		config_setting_t	*e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_error(c, e, NULL, arena_printf(c->a, "%s[%d]", key,
			    i), "expected a group { ... }, found %s",
			    cfg_type_name(e));
			return NULL;
		}
	}
	return s;
}

/* The path of a list element: "events.ID", or "events[N]" without id. */
static const char *
cfg_elem_path(struct cfg *c, const char *list, config_setting_t *e, int i)
{
	const char	*id = NULL;

	if (config_setting_lookup_string(e, "id", &id) && *id != '\0')
		return arena_printf(c->a, "%s.%s", list, id);
	return arena_printf(c->a, "%s[%d]", list, i);
}

/*
 * libconfig says little ("syntax error"): show the line it stopped at, and
 * what a setting looks like.
 */
static void
syntax_error(struct diag *d, const struct loc *l, const char *what)
{
	FILE	*f;
	char	*line = NULL, *s, *e;
	size_t	 cap = 0;
	int	 n = 0, past_end;

	if (l->line > 0 && (f = fopen(l->file, "r")) != NULL) {
		while (getline(&line, &cap, f) != -1 && ++n < l->line)
			;
		fclose(f);
	}
	past_end = n < l->line;
	if (line == NULL || past_end) {
		free(line);
		line = xstrdup("");
	}
	if (strlen(line) > 200) {
		size_t	 k = 195;

		/* Enough to find it; cut between UTF-8 sequences. */
		while (k > 0 && ((unsigned char)line[k] & 0xc0) == 0x80)
			k--;
		memcpy(line + k, " ...", 5);
	}
	for (s = line; *s == ' ' || *s == '\t'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == '\n' || e[-1] == '\r' ||
	    e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	*e = '\0';
	if (what != NULL && strcmp(what, "syntax error") == 0)
		what = NULL;
	if (*s != '\0' && what == NULL)
		diag_error(d, l, NULL, "syntax error at \"%s\": expected name "
		    "= value; with groups { }, lists ( ), arrays [ ] and "
		    "strings in double quotes", s);
	else if (*s != '\0')
		diag_error(d, l, NULL, "syntax error at \"%s\": %s", s, what);
	else if (l->line > 0 && past_end && what == NULL)
		diag_error(d, l, NULL, "syntax error at the end of the file: a "
		    "group { }, list ( ) or array [ ] is not closed");
	else
		diag_error(d, l, NULL, "syntax error: %s", what ? what : "");
	free(line);
}

/*
 * Read a whole file, check it is UTF-8, and parse it with libconfig.
 * Returns 0, or -1 with the error reported.
 */
static int
cfg_read(config_t *cf, const char *path, const struct loc *from,
    const char *what, struct diag *d)
{
	FILE	*f;
	char	*data;
	long	 len, bad;
	struct loc l = { path, 0 };

	if ((f = fopen(path, "rb")) == NULL) {
		if (from != NULL)
			diag_error(d, from, what, "cannot read \"%s\": %s",
			    path, strerror(errno));
		else
			diag_error(d, &l, NULL, "cannot read %s: %s", what,
			    strerror(errno));
		return -1;
	}
	{
		struct stat	 st;

		if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
			if (from != NULL)
				diag_error(d, from, what, "cannot read \"%s\": "
				    "not a file", path);
			else
				diag_error(d, &l, NULL, "cannot read %s: not a "
				    "file", what);
			fclose(f);
			return -1;
		}
	}
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1) {
		diag_error(d, &l, NULL, "cannot read: %s", strerror(errno));
		fclose(f);
		return -1;
	}
	data = xmalloc((size_t)len + 1);
	if (fread(data, 1, (size_t)len, f) != (size_t)len) {
		diag_error(d, &l, NULL, "cannot read: %s", strerror(errno));
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	data[len] = '\0';
	if ((bad = text_utf8_check(data, (size_t)len)) >= 0) {
		l.line = text_line_of(data, (size_t)bad);
		diag_error(d, &l, NULL, "invalid UTF-8 (byte 0x%02x); the file "
		    "must be UTF-8 text", (unsigned char)data[bad]);
		free(data);
		return -1;
	}
	free(data);
	/* Initialised only now: every earlier return has nothing to free. */
	config_init(cf);
	if (config_read_file(cf, path) != CONFIG_TRUE) {
		l.file = config_error_file(cf) ? config_error_file(cf) : path;
		l.line = config_error_line(cf);
		syntax_error(d, &l, config_error_text(cf));
		config_destroy(cf);
		return -1;
	}
	return 0;
}

static char *
cfg_resolve_path(struct arena *a, const char *dir, const char *p)
{
	if (p[0] == '/' || dir[0] == '\0' || strcmp(dir, ".") == 0)
		return arena_strdup(a, p);
	return arena_printf(a, "%s/%s", dir, p);
}

static char *
cfg_dirname(struct arena *a, const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return arena_strdup(a, ".");
	if (slash == path)
		return arena_strdup(a, "/");
	return arena_printf(a, "%.*s", (int)(slash - path), path);
}

/* Service config. */

static const char *const svc_top_keys[] = {
	"loa", "gateways", "channels", "broadcast", "templates", NULL,
};
static const char *const svc_loa_keys[] = {
	"timezone", "store", "plans", "quiet_hours", "holidays", "defaults",
	"http", "max_parts", NULL,
};
static const char *const svc_gw_keys[] = {
	"id", "kind", "url", "preset", "from", "sender", "dir", "tls", "user",
	"user_env", "password_env", "password_file", "method", "headers",
	"form", "json", "fold", "insecure", "concurrency", "rate", "timeout",
	"max_parts", "token_env", "token_file", NULL,
};
static const char *const svc_slot_keys[] = {
	"name", "days", "start", "end", NULL,
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int
cfg_hhmm(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int *out, int required)
{
	char	*s = cfg_str(c, g, path, key, required);

	if (s == NULL)
		return -1;
	if (timex_parse_hhmm(s, out) == -1) {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "\"%s\" is not a time of day; expected HH:MM (00:00 to "
		    "23:59)", s);
		return -1;
	}
	return 0;
}

static int
cfg_duration(struct cfg *c, const config_setting_t *g, const char *path,
    const char *key, int64_t *out)
{
	char	*s = cfg_str(c, g, path, key, 0);
	char	 err[128];

	if (s == NULL)
		return 0;
	if (timex_parse_duration(s, out, err, sizeof(err)) == -1) {
		cfg_error(c, config_setting_get_member(g, key), path, key,
		    "\"%s\": %s", s, err);
		return -1;
	}
	return 0;
}

/* "mon-fri", "mon,wed,fri", "mon-sun", "daily" into a mask. */
static int
svc_days(const char *s, unsigned *mask)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu",
	    "fri", "sat", "sun" };
	unsigned	 m = 0;
	int		 a, b, i;

	if (strcmp(s, "daily") == 0 || strcmp(s, "*") == 0) {
		*mask = 0x7f;
		return 0;
	}
	while (*s != '\0') {
		for (a = 0; a < 7 && strncmp(s, names[a], 3) != 0; a++)
			;
		if (a == 7)
			return -1;
		s += 3;
		b = a;
		if (*s == '-') {
			s++;
			for (b = 0; b < 7 && strncmp(s, names[b], 3) != 0; b++)
				;
			if (b == 7)
				return -1;
			s += 3;
		}
		for (i = a;; i = (i + 1) % 7) {
			m |= 1u << i;
			if (i == b)
				break;
		}
		while (*s == ',' || *s == ' ')
			s++;
	}
	if (m == 0)
		return -1;
	*mask = m;
	return 0;
}

static void
svc_gateways(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "gateways");
	int			 i, j, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	svc->gateways = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct gateway));
	memset(svc->gateways, 0, (size_t)(n ? n : 1) * sizeof(struct gateway));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		struct gateway		*gw = &svc->gateways[svc->ngateways];
		const char		*path = cfg_elem_path(c, "gateways", g,
					    i);
		char			*rate;

		cfg_keys(c, g, path, svc_gw_keys);
		gw->loc = cfg_loc(c, g);
		if ((gw->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		for (j = 0; j < (int)svc->ngateways; j++)
			if (strcmp(svc->gateways[j].id, gw->id) == 0)
				cfg_error(c, g, path, "id", "duplicate id "
				    "\"%s\" (first at line %d)", gw->id,
				    svc->gateways[j].loc.line);
		if (config_setting_get_member(g, "kind") == NULL) {
			cfg_error(c, g, path, "kind", "missing; expected "
			    "\"smtp\", \"http\", \"file\" or \"spool\"");
			continue;
		}
		gw->kind = (enum gw_kind)cfg_enum(c, g, path, "kind",
		    gw_kind_names, GW__N, GW_FILE);
		gw->url = cfg_str(c, g, path, "url",
		    gw->kind == GW_SMTP || gw->kind == GW_HTTP);
		gw->preset = cfg_str(c, g, path, "preset", 0);
		gw->from = cfg_str(c, g, path, "from", gw->kind == GW_SMTP);
		gw->sender = cfg_str(c, g, path, "sender", 0);
		gw->dir = cfg_str(c, g, path, "dir", gw->kind == GW_SPOOL ||
		    gw->kind == GW_FILE);
		if (gw->dir != NULL)
			gw->dir = cfg_resolve_path(c->a, svc->dir, gw->dir);
		gw->tls = cfg_str(c, g, path, "tls", 0);
		if (gw->tls != NULL && strcmp(gw->tls, "try") != 0 &&
		    strcmp(gw->tls, "require") != 0 &&
		    strcmp(gw->tls, "off") != 0)
			cfg_error(c, config_setting_get_member(g, "tls"), path,
			    "tls", "unknown value \"%s\"; expected \"try\", "
			    "\"require\" or \"off\"", gw->tls);
		if (gw->preset != NULL && strcmp(gw->preset, "kannel") != 0 &&
		    strcmp(gw->preset, "twilio") != 0 &&
		    strcmp(gw->preset, "webhook") != 0)
			cfg_error(c, config_setting_get_member(g, "preset"),
			    path, "preset", "unknown value \"%s\"; expected "
			    "\"kannel\", \"twilio\" or \"webhook\"",
			    gw->preset);
		gw->user = cfg_str(c, g, path, "user", 0);
		gw->user_env = cfg_str(c, g, path, "user_env", 0);
		gw->password_env = cfg_str(c, g, path, "password_env", 0);
		gw->password_file = cfg_str(c, g, path, "password_file", 0);
		if (gw->password_file != NULL)
			gw->password_file = cfg_resolve_path(c->a, svc->dir,
			    gw->password_file);
		if (config_setting_get_member(g, "password") != NULL ||
		    config_setting_get_member(g, "token") != NULL)
			cfg_error(c, g, path, "password", "secrets are never "
			    "read from the config text; use password_env or "
			    "password_file");
		gw->method = cfg_str(c, g, path, "method", 0);
		gw->concurrency = gw->kind == GW_SMTP ? 4 : 8;
		gw->max_parts = svc->max_parts;
		gw->timeout = 30;
		cfg_bool(c, g, path, "fold", &gw->fold);
		cfg_bool(c, g, path, "insecure", &gw->insecure);
		cfg_int(c, g, path, "concurrency", &gw->concurrency, 1, 1000);
		cfg_int(c, g, path, "max_parts", &gw->max_parts, 1, 255);
		cfg_duration(c, g, path, "timeout", &gw->timeout);
		if ((rate = cfg_str(c, g, path, "rate", 0)) != NULL) {
			double	 r;
			char	 unit = 0, extra = 0;

			if (sscanf(rate, "%lf/%c%c", &r, &unit, &extra) != 2 ||
			    r <= 0 || (unit != 's' && unit != 'm' &&
			    unit != 'h'))
				cfg_error(c, config_setting_get_member(g,
				    "rate"), path, "rate", "\"%s\" is not a "
				    "rate; expected N/s, N/m or N/h", rate);
			else
				gw->rate = r / (unit == 's' ? 1 : unit == 'm' ?
				    60 : 3600);
		}
		svc->ngateways++;
	}
}

static struct gateway *
svc_find_gw(struct service *svc, const char *id)
{
	size_t	 i;

	for (i = 0; i < svc->ngateways; i++)
		if (strcmp(svc->gateways[i].id, id) == 0)
			return &svc->gateways[i];
	return NULL;
}

static void
svc_channels(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t	*g = cfg_group(c, config_root_setting(cf), NULL,
				    "channels");
	static const char *const keys[] = { "email", "sms", "broadcast",
	    NULL };
	int			 ch;

	if (g != NULL)
		cfg_keys(c, g, "channels", keys);
	for (ch = 0; ch < CH__N; ch++) {
		char		*id = g ? cfg_str(c, g, "channels",
				    channel_names[ch], 0) : NULL;
		struct gateway	*gw;

		if (id != NULL) {
			if ((gw = svc_find_gw(svc, id)) == NULL)
				cfg_error(c, config_setting_get_member(g,
				    channel_names[ch]), "channels",
				    channel_names[ch], "unknown gateway \"%s\"",
				    id);
			svc->channel_gw[ch] = gw;
		} else if (svc->ngateways > 0)
			svc->channel_gw[ch] = svc_find_gw(svc,
			    channel_names[ch]);
	}
}

static void
svc_broadcast(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t	*g, *slots, *tts;
	static const char *const keys[] = { "slots", "words_per_minute",
	    "gap", "tts", NULL };
	static const char *const tts_keys[] = { "engine", "voice", NULL };
	int			 i, n;

	svc->words_per_minute = 130;
	svc->gap = 5;
	g = cfg_group(c, config_root_setting(cf), NULL, "broadcast");
	if (g == NULL) {
		/* Morning and late afternoon: the common practice. */
		svc->nslots = 2;
		svc->slots = arena_alloc(c->a, 2 * sizeof(struct slot));
		memset(svc->slots, 0, 2 * sizeof(struct slot));
		svc->slots[0].name = arena_strdup(c->a, "Sáng");
		svc->slots[0].days = 0x7f;
		svc->slots[0].start = 6 * 60;
		svc->slots[0].end = 6 * 60 + 30;
		svc->slots[1].name = arena_strdup(c->a, "Chiều");
		svc->slots[1].days = 0x7f;
		svc->slots[1].start = 17 * 60;
		svc->slots[1].end = 17 * 60 + 30;
		return;
	}
	cfg_keys(c, g, "broadcast", keys);
	cfg_int(c, g, "broadcast", "words_per_minute", &svc->words_per_minute,
	    20, 1000);
	cfg_duration(c, g, "broadcast", "gap", &svc->gap);
	if ((tts = cfg_group(c, g, "broadcast", "tts")) != NULL) {
		cfg_keys(c, tts, "broadcast.tts", tts_keys);
		svc->tts_engine = cfg_str(c, tts, "broadcast.tts", "engine", 0);
		svc->tts_voice = cfg_str(c, tts, "broadcast.tts", "voice", 0);
		if (svc->tts_engine != NULL &&
		    strcmp(svc->tts_engine, "espeak-ng") != 0)
			cfg_error(c, config_setting_get_member(tts, "engine"),
			    "broadcast.tts", "engine", "unknown value \"%s\"; "
			    "expected \"espeak-ng\"", svc->tts_engine);
	}
	slots = config_setting_get_member(g, "slots");
	if (slots == NULL)
		return;
	if (config_setting_type(slots) != CONFIG_TYPE_LIST) {
		cfg_error(c, slots, "broadcast", "slots", "expected a list "
		    "( { ... }, ... ), found %s", cfg_type_name(slots));
		return;
	}
	n = config_setting_length(slots);
	svc->slots = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct slot));
	for (i = 0; i < n; i++) {
		config_setting_t	*e = config_setting_get_elem(slots, i);
		struct slot		*s = &svc->slots[svc->nslots];
		const char		*path = arena_printf(c->a,
					    "broadcast.slots[%d]", i);
		char			*days;

		memset(s, 0, sizeof(*s));
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_error(c, e, path, NULL, "expected a group { ... }, "
			    "found %s", cfg_type_name(e));
			continue;
		}
		cfg_keys(c, e, path, svc_slot_keys);
		s->loc = cfg_loc(c, e);
		s->name = cfg_str(c, e, path, "name", 1);
		s->days = 0x7f;
		if ((days = cfg_str(c, e, path, "days", 0)) != NULL &&
		    svc_days(days, &s->days) == -1)
			cfg_error(c, config_setting_get_member(e, "days"), path,
			    "days", "\"%s\" is not a set of days; expected "
			    "e.g. \"mon-sun\", \"mon-fri\" or \"mon,wed,fri\"",
			    days);
		if (cfg_hhmm(c, e, path, "start", &s->start, 1) == -1 ||
		    cfg_hhmm(c, e, path, "end", &s->end, 1) == -1 ||
		    s->name == NULL)
			continue;
		if (s->end <= s->start) {
			cfg_error(c, config_setting_get_member(e, "end"), path,
			    "end", "the slot ends (%02d:%02d) before it starts "
			    "(%02d:%02d); expected an end later the same day",
			    s->end / 60, s->end % 60, s->start / 60,
			    s->start % 60);
			continue;
		}
		svc->nslots++;
	}
}

static void
svc_templates(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t	*g = cfg_group(c, config_root_setting(cf), NULL,
				    "templates");
	int			 i, n, k;
	char			 err[512];

	svc->templates = arena_alloc(c->a, sizeof(struct tmpl));
	tmpl_defaults(svc->templates);
	if (g == NULL)
		return;
	c->keep_space = 1;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		config_setting_t	*e = config_setting_get_elem(g, i);
		const char		*name = config_setting_name(e);
		char			*text;

		if ((k = tmpl_lookup(name)) < 0) {
			cfg_warn(c, e, "templates", name, "unknown template, "
			    "ignored; see the README for the template names");
			continue;
		}
		if ((text = cfg_str(c, g, "templates", name, 1)) == NULL)
			continue;
		if (tmpl_validate(text, err, sizeof(err)) == -1) {
			cfg_error(c, e, "templates", name, "%s", err);
			continue;
		}
		svc->templates->text[k] = text;
		svc->templates->loc[k] = cfg_loc(c, e);
	}
	c->keep_space = 0;
}

struct service *
service_load(const char *path, struct diag *d)
{
	config_t		 cf;
	struct service		*svc;
	struct cfg		 c;
	config_setting_t	*root, *loa, *g, *e;
	char			*tzname, **v;
	struct loc		*locs;
	size_t			 i, n;
	int			 errors = d->errors;

	if (cfg_read(&cf, path, NULL, "the service config", d) == -1)
		return NULL;
	svc = xcalloc(1, sizeof(*svc));
	svc->arena = arena_new();
	svc->file = arena_strdup(svc->arena, path);
	svc->dir = cfg_dirname(svc->arena, path);
	c.file = svc->file;
	c.d = d;
	c.a = svc->arena;
	c.keep_space = 0;
	root = config_root_setting(&cf);
	cfg_keys(&c, root, NULL, svc_top_keys);
	svc->max_parts = 3;

	loa = cfg_group(&c, root, NULL, "loa");
	if (loa == NULL) {
		struct loc	 l = { svc->file, 0 };

		if (config_setting_get_member(root, "loa") == NULL)
			diag_error(d, &l, "loa", "missing; expected a group "
			    "loa = { plans = [ ... ]; ... };");
		config_destroy(&cf);
		service_free(svc);
		return NULL;
	}
	cfg_keys(&c, loa, "loa", svc_loa_keys);
	tzname = cfg_str(&c, loa, "loa", "timezone", 0);
	if (tzname == NULL)
		tzname = "Asia/Ho_Chi_Minh";
	if ((svc->tz = tz_get(tzname)) == NULL) {
		cfg_error(&c, config_setting_get_member(loa, "timezone"), "loa",
		    "timezone", "unknown time zone \"%s\"; expected a name "
		    "such as \"Asia/Ho_Chi_Minh\"", tzname);
		svc->tz = tz_get("UTC");
	}
	svc->store = cfg_str(&c, loa, "loa", "store", 0);
	svc->store = cfg_resolve_path(svc->arena, svc->dir,
	    svc->store ? svc->store : "var/loa.db");
	cfg_int(&c, loa, "loa", "max_parts", &svc->max_parts, 1, 255);

	n = cfg_strlist(&c, loa, "loa", "plans", &v, &locs);
	if (config_setting_get_member(loa, "plans") == NULL)
		cfg_error(&c, loa, "loa", "plans", "missing; expected a list "
		    "of plan files [ \"plans/NAME.cfg\", ... ]");
	svc->plans = arena_alloc(svc->arena, (n ? n : 1) * sizeof(char *));
	svc->plan_locs = locs;
	for (i = 0; i < n; i++)
		svc->plans[i] = cfg_resolve_path(svc->arena, svc->dir, v[i]);
	svc->nplans = n;

	if ((g = cfg_group(&c, loa, "loa", "quiet_hours")) != NULL) {
		static const char *const keys[] = { "start", "end", NULL };

		cfg_keys(&c, g, "loa.quiet_hours", keys);
		if (cfg_hhmm(&c, g, "loa.quiet_hours", "start",
		    &svc->quiet.start, 1) == -1 ||
		    cfg_hhmm(&c, g, "loa.quiet_hours", "end", &svc->quiet.end,
		    1) == -1)
			svc->quiet.start = svc->quiet.end = 0;
	}

	n = cfg_strlist(&c, loa, "loa", "holidays", &v, &locs);
	svc->holidays = arena_alloc(svc->arena, (n ? n : 1) * sizeof(int64_t));
	for (i = 0; i < n; i++) {
		char	 err[128];

		if (timex_parse_date(v[i], &svc->holidays[svc->nholidays], err,
		    sizeof(err)) == -1) {
			diag_error(d, &locs[i], "loa.holidays", "bad holiday "
			    "\"%s\": %s", v[i], err);
			continue;
		}
		svc->nholidays++;
	}
	qsort(svc->holidays, svc->nholidays, sizeof(int64_t), cmp_i64);

	if ((g = cfg_group(&c, loa, "loa", "defaults")) != NULL) {
		static const char *const keys[] = { "remind", NULL };

		cfg_keys(&c, g, "loa.defaults", keys);
		svc->ndefault_remind = cfg_whens(&c, g, "loa.defaults",
		    "remind", &svc->default_remind);
	} else {
		/* Three and one business days ahead, at the start of work. */
		svc->ndefault_remind = 2;
		svc->default_remind = arena_alloc(svc->arena,
		    2 * sizeof(struct when));
		cfg_when_str(&c, "due - 3bd at 08:00", (struct loc){ 0 },
		    "loa.defaults", "remind[0]", &svc->default_remind[0]);
		cfg_when_str(&c, "due - 1bd at 08:00", (struct loc){ 0 },
		    "loa.defaults", "remind[1]", &svc->default_remind[1]);
	}
	for (i = 0; i < svc->ndefault_remind; i++) {
		struct when	*w = &svc->default_remind[i];

		if (w->x.kind != TIMEX_REL || w->x.obj != NULL ||
		    w->x.ref != TREF_DUE)
			diag_error(d, &w->loc, w->key, "a default reminder must "
			    "be relative to the task's own due, as in "
			    "\"due - 1bd at 08:00\"");
	}

	if ((g = cfg_group(&c, loa, "loa", "http")) != NULL) {
		static const char *const keys[] = { "listen", "token_file",
		    "token_env", NULL };

		cfg_keys(&c, g, "loa.http", keys);
		svc->http_listen = cfg_str(&c, g, "loa.http", "listen", 0);
		svc->http_token_file = cfg_str(&c, g, "loa.http", "token_file",
		    0);
		if (svc->http_token_file != NULL)
			svc->http_token_file = cfg_resolve_path(svc->arena,
			    svc->dir, svc->http_token_file);
	}
	if (svc->http_listen == NULL)
		svc->http_listen = arena_strdup(svc->arena, "127.0.0.1:8787");

	svc_gateways(&c, &cf, svc);
	svc_channels(&c, &cf, svc);
	svc_broadcast(&c, &cf, svc);
	svc_templates(&c, &cf, svc);
	(void)e;

	config_destroy(&cf);
	if (d->errors > errors) {
		service_free(svc);
		return NULL;
	}
	return svc;
}

void
service_free(struct service *svc)
{
	if (svc == NULL)
		return;
	arena_free(svc->arena);
	free(svc);
}

/* Plans. */

static const char *const plan_top_keys[] = {
	"plan", "people", "groups", "agencies", "distribution", "events",
	"tasks", "broadcasts", NULL,
};
static const char *const plan_keys[] = {
	"id", "issued", "timezone", "title", "issuer", "signed_by", NULL,
};
static const char *const person_keys[] = {
	"id", "name", "title", "email", "phone", "channels", NULL,
};
static const char *const group_keys[] = { "id", "name", "members", NULL };
static const char *const agency_keys[] = {
	"id", "name", "head", "members", "email", "phone", "channels", NULL,
};
static const char *const dist_keys[] = {
	"at", "to", "attachments", "channels", NULL,
};
static const char *const event_keys[] = {
	"id", "title", "description", "start", "end", "duration", "location",
	"organizer", "attendees", "optional", "agenda", "invite", "reminders",
	"reminder_channels", "status", NULL,
};
static const char *const task_keys[] = {
	"id", "title", "description", "owner", "with", "due", "remind",
	"overdue", "channels", NULL,
};
static const char *const bc_keys[] = {
	"id", "title", "text", "air", "priority", "expires", NULL,
};

/* Register id; an error if it is taken. */
static int
plan_name(struct cfg *c, struct plan *p, const char *id, enum named_kind k,
    void *obj, const config_setting_t *s, const char *path)
{
	struct named	*n = arena_alloc(c->a, sizeof(*n)), *old;

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
	const char	*at = strchr(s, '@'), *p;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL || at[1] == '.' ||
	    s[strlen(s) - 1] == '.')
		return -1;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>,;:\"()[]\\", *p))
			return -1;
	return 0;
}

/* Email and phone of a contact from group g. */
static void
plan_addresses(struct cfg *c, const config_setting_t *g, const char *path,
    struct contact *ct)
{
	char	*phone;
	char	 out[32], err[256];

	ct->email = cfg_str(c, g, path, "email", 0);
	if (ct->email != NULL && plan_email(ct->email) == -1) {
		cfg_error(c, config_setting_get_member(g, "email"), path,
		    "email", "\"%s\" is not an email address; expected "
		    "name@domain", ct->email);
		ct->email = NULL;
	}
	if ((phone = cfg_str(c, g, path, "phone", 0)) != NULL) {
		if (phone_e164(phone, out, sizeof(out), err, sizeof(err)) ==
		    -1)
			cfg_error(c, config_setting_get_member(g, "phone"), path,
			    "phone", "invalid phone number \"%s\": %s", phone,
			    err);
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
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "people");
	int			 i, n;

	p->contacts = arena_alloc(c->a, (room ? room : 1) *
	    sizeof(struct contact *));
	if (list == NULL)
		return;
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "people", g, i);
		struct contact		*ct = arena_alloc(c->a, sizeof(*ct));

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
		p->contacts[p->ncontacts++] = ct;
	}
	p->npeople = p->ncontacts;
}

static void
plan_groups(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "groups");
	int			 i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->groups = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct group));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "groups", g, i);
		struct group		*gr = &p->groups[p->ngroups];

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
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "agencies");
	int			 i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->agencies = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct agency));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "agencies", g,
					    i);
		struct agency		*ag = &p->agencies[p->nagencies];
		struct contact		*mb;
		config_setting_t	*h;

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
			p->contacts[p->ncontacts++] = mb;
		}
		p->nagencies++;
	}
}

static void
plan_distribution(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t	*g = cfg_group(c, config_root_setting(cf), NULL,
				    "distribution");
	struct distribution	*d = &p->distribution;

	if (g == NULL)
		return;
	cfg_keys(c, g, "distribution", dist_keys);
	d->present = 1;
	d->loc = cfg_loc(c, g);
	cfg_when(c, g, "distribution", "at", &d->at, 0);
	cfg_idlist(c, g, "distribution", "to", &d->to);
	if (config_setting_get_member(g, "to") == NULL)
		cfg_error(c, g, "distribution", "to", "missing; expected the "
		    "list of recipients [ \"id\", ... ]");
	{
		struct loc	*locs;
		size_t		 i;

		d->nattachments = cfg_strlist(c, g, "distribution",
		    "attachments", &d->attachments, &locs);
		/* Attachments are files beside the plan: they must exist. */
		for (i = 0; i < d->nattachments; i++) {
			char	*path = cfg_resolve_path(c->a, p->dir,
				    d->attachments[i]);

			if (access(path, R_OK) == -1)
				diag_error(c->d, &locs[i],
				    "distribution.attachments", "cannot read "
				    "\"%s\" (%s): %s", d->attachments[i], path,
				    strerror(errno));
			d->attachments[i] = path;
		}
	}
	d->channels = cfg_channels(c, g, "distribution", "channels",
	    CHM(CH_EMAIL), CHM(CH_EMAIL) | CHM(CH_SMS), NULL);
}

static void
plan_events(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "events");
	int			 i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->events = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct event));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "events", g, i);
		struct event		*ev = &p->events[p->nevents];
		config_setting_t	*o;

		memset(ev, 0, sizeof(*ev));
		cfg_keys(c, g, path, event_keys);
		ev->loc = cfg_loc(c, g);
		if ((ev->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		ev->title = cfg_str(c, g, path, "title", 1);
		ev->description = cfg_str(c, g, path, "description", 0);
		ev->location = cfg_str(c, g, path, "location", 0);
		cfg_when(c, g, path, "start", &ev->start, 1);
		cfg_when(c, g, path, "end", &ev->end, 0);
		ev->end.key = cfg_path(c, path, "end");
		ev->duration = -1;
		if (cfg_duration(c, g, path, "duration", &ev->duration) == 0 &&
		    ev->duration == 0)
			cfg_error(c, config_setting_get_member(g, "duration"),
			    path, "duration", "zero; expected a positive "
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
		    "reminder_channels", CHM(CH_SMS), CHM(CH_EMAIL) |
		    CHM(CH_SMS), NULL);
		ev->status = (enum ev_status)cfg_enum(c, g, path, "status",
		    ev_status_names, EV__N, EV_CONFIRMED);
		if (plan_name(c, p, ev->id, N_EVENT, ev, g, path) == 0)
			p->nevents++;
	}
}

static void
plan_tasks(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "tasks");
	int			 i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->tasks = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof(struct task));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "tasks", g, i);
		struct task		*t = &p->tasks[p->ntasks];

		memset(t, 0, sizeof(*t));
		cfg_keys(c, g, path, task_keys);
		t->loc = cfg_loc(c, g);
		if ((t->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		t->title = cfg_str(c, g, path, "title", 1);
		t->description = cfg_str(c, g, path, "description", 0);
		cfg_idlist(c, g, path, "owner", &t->owner);
		if (t->owner.n == 0)
			cfg_error(c, g, path, "owner", "missing; expected the "
			    "agencies or people responsible [ \"id\", ... ]");
		cfg_idlist(c, g, path, "with", &t->with);
		cfg_when(c, g, path, "due", &t->due, 1);
		if (config_setting_get_member(g, "remind") != NULL)
			t->nremind = cfg_whens(c, g, path, "remind",
			    &t->remind);
		else
			t->nremind = (size_t)-1;	/* the defaults */
		cfg_when(c, g, path, "overdue", &t->overdue, 0);
		t->channels = cfg_channels(c, g, path, "channels",
		    CHM(CH_EMAIL) | CHM(CH_SMS), CHM(CH_EMAIL) | CHM(CH_SMS),
		    NULL);
		if (plan_name(c, p, t->id, N_TASK, t, g, path) == 0)
			p->ntasks++;
	}
}

static void
plan_broadcasts(struct cfg *c, config_t *cf, struct plan *p)
{
	config_setting_t	*list = cfg_list(c, config_root_setting(cf),
				    "broadcasts");
	int			 i, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	p->broadcasts = arena_alloc(c->a, (size_t)(n ? n : 1) *
	    sizeof(struct broadcast));
	for (i = 0; i < n; i++) {
		config_setting_t	*g = config_setting_get_elem(list, i);
		const char		*path = cfg_elem_path(c, "broadcasts", g,
					    i);
		struct broadcast	*b = &p->broadcasts[p->nbroadcasts];

		memset(b, 0, sizeof(*b));
		cfg_keys(c, g, path, bc_keys);
		b->loc = cfg_loc(c, g);
		if ((b->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		b->title = cfg_str(c, g, path, "title", 1);
		b->text = cfg_str(c, g, path, "text", 1);
		b->nair = cfg_whens(c, g, path, "air", &b->air);
		if (config_setting_get_member(g, "air") == NULL)
			cfg_error(c, g, path, "air", "missing; expected the "
			    "times to air it from [ \"...\", ... ]");
		cfg_when(c, g, path, "expires", &b->expires, 0);
		b->priority = (enum priority)cfg_enum(c, g, path, "priority",
		    priority_names, PRIO__N, PRIO_NORMAL);
		if (plan_name(c, p, b->id, N_BROADCAST, b, g, path) == 0)
			p->nbroadcasts++;
	}
}

/* Check that ref names something of a kind in mask (1 << named_kind). */
static const struct named *
plan_ref(struct plan *p, struct diag *d, const struct idref *r,
    const char *key, unsigned mask, const char *expected)
{
	const struct named	*n = strmap_get(p->names, r->id);

	if (n == NULL) {
		diag_error(d, &r->loc, key, "unknown id \"%s\"; expected %s "
		    "defined in this plan", r->id, expected);
		return NULL;
	}
	if (!(mask & (1u << n->kind))) {
		diag_error(d, &r->loc, key, "\"%s\" is not %s", r->id,
		    expected);
		return NULL;
	}
	return n;
}

#define RECIPIENTS	((1u << N_PERSON) | (1u << N_GROUP) | (1u << N_AGENCY))

static void
plan_refs(struct cfg *c, struct plan *p, const struct idlist *l,
    const char *path)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		plan_ref(p, c->d, &l->v[i], path, RECIPIENTS,
		    "a person, group or agency");
}

static void
plan_check_refs(struct cfg *c, struct plan *p)
{
	size_t	 i;

	if (p->signed_by.id != NULL)
		plan_ref(p, c->d, &p->signed_by, "plan.signed_by",
		    1u << N_PERSON, "a person");
	for (i = 0; i < p->ngroups; i++)
		plan_refs(c, p, &p->groups[i].members,
		    arena_printf(c->a, "groups.%s.members", p->groups[i].id));
	for (i = 0; i < p->nagencies; i++) {
		struct agency	*ag = &p->agencies[i];

		if (ag->head.id != NULL)
			plan_ref(p, c->d, &ag->head, arena_printf(c->a,
			    "agencies.%s.head", ag->id), 1u << N_PERSON,
			    "a person");
		plan_refs(c, p, &ag->members, arena_printf(c->a,
		    "agencies.%s.members", ag->id));
	}
	if (p->distribution.present)
		plan_refs(c, p, &p->distribution.to, "distribution.to");
	for (i = 0; i < p->nevents; i++) {
		struct event	*ev = &p->events[i];

		if (ev->organizer.id != NULL)
			plan_ref(p, c->d, &ev->organizer, arena_printf(c->a,
			    "events.%s.organizer", ev->id), (1u << N_PERSON) |
			    (1u << N_AGENCY), "a person or agency");
		plan_refs(c, p, &ev->attendees, arena_printf(c->a,
		    "events.%s.attendees", ev->id));
		plan_refs(c, p, &ev->optional, arena_printf(c->a,
		    "events.%s.optional", ev->id));
	}
	for (i = 0; i < p->ntasks; i++) {
		plan_refs(c, p, &p->tasks[i].owner, arena_printf(c->a,
		    "tasks.%s.owner", p->tasks[i].id));
		plan_refs(c, p, &p->tasks[i].with, arena_printf(c->a,
		    "tasks.%s.with", p->tasks[i].id));
	}
}

struct plan *
plan_load(const struct service *svc, const char *path, const struct loc *from,
    struct diag *d)
{
	config_t		 cf;
	struct plan		*p;
	struct cfg		 c;
	config_setting_t	*root, *g, *l;
	char			*tzname;
	size_t			 room = 0;
	int			 errors = d->errors;

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
	root = config_root_setting(&cf);
	cfg_keys(&c, root, NULL, plan_top_keys);

	g = cfg_group(&c, root, NULL, "plan");
	if (g == NULL) {
		struct loc	 lc = { p->file, 0 };

		if (config_setting_get_member(root, "plan") == NULL)
			diag_error(d, &lc, "plan", "missing; expected a group "
			    "plan = { id = \"...\"; issued = \"YYYY-MM-DD\"; "
			    "... };");
		config_destroy(&cf);
		plan_free(p);
		return NULL;
	}
	cfg_keys(&c, g, "plan", plan_keys);
	p->id = cfg_str(&c, g, "plan", "id", 1);
	if (p->id != NULL && *p->id == '\0')
		cfg_error(&c, g, "plan", "id", "empty; expected the plan's "
		    "number, e.g. \"129/KH-UBND\"");
	p->title = cfg_str(&c, g, "plan", "title", 1);
	p->issuer = cfg_str(&c, g, "plan", "issuer", 0);
	if (p->issuer == NULL)
		p->issuer = arena_strdup(p->arena, "");
	if (cfg_when(&c, g, "plan", "issued", &p->issued, 1) == 0 &&
	    p->issued.src != NULL && (p->issued.x.kind != TIMEX_ABS ||
	    p->issued.x.minute >= 0))
		cfg_error(&c, config_setting_get_member(g, "issued"), "plan",
		    "issued", "\"%s\" is not a date; expected YYYY-MM-DD",
		    p->issued.src);
	if ((p->signed_by.id = cfg_str(&c, g, "plan", "signed_by", 0)) != NULL)
		p->signed_by.loc = cfg_loc(&c, config_setting_get_member(g,
		    "signed_by"));
	tzname = cfg_str(&c, g, "plan", "timezone", 0);
	p->tz = svc->tz;
	if (tzname != NULL && (p->tz = tz_get(tzname)) == NULL) {
		cfg_error(&c, config_setting_get_member(g, "timezone"), "plan",
		    "timezone", "unknown time zone \"%s\"; expected a name "
		    "such as \"Asia/Ho_Chi_Minh\"", tzname);
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
