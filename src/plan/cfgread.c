/*
 * cfgread.c: reading a config file for the loaders (cfg.h): its bytes
 * checked (UTF-8, no NUL), its @includes followed (cycles, nesting,
 * where each line came from), quoted setting names made bare for
 * libconfig, and libconfig's syntax errors shown with their line, any
 * secret on it hidden; which setting names say they hold a secret, and
 * how an included file's name is shown.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
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

char *
cfg_shown(const config_t *cf, const char *top, const char *raw)
{
	const char *slash = strrchr(top, '/');

	(void)cf;
	if (raw[0] == '/' || slash == NULL)
		return xstrdup(raw);
	return xasprintf("%.*s/%s", (int)(slash - top), top, raw);
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
