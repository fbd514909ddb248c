/*
 * cfg.h: what the two loaders (service.c, planfile.c) share: reading a
 * libconfig file, and typed readers of its settings that check type and
 * form where file and line are known, with their messages in a struct
 * diag (util/diag.h).
 *
 * Every cfg_* reader reports its own errors through the struct cfg and
 * allocates what it returns from the cfg's arena: nothing to free.
 * KEY in a message is path.key ("events.hop.start"); path or key may be
 * NULL.
 */
#ifndef LOA_CFG_H
#define LOA_CFG_H

#include <stdint.h>
#include <stdio.h>

#include <libconfig.h>

#include "loa.h"
#include "util/diag.h"
#include "util/log.h"

/* The reading context of one file. */
struct cfg {
	const char   *file;
	struct diag  *d;
	struct arena *a;
	int	      keep_space; /* templates: white space is theirs */
	/* The last @included file a setting came from: its name as
	 * libconfig has it, and as messages show it (cfg_loc's cache). */
	int	      skip_secrets; /* cfg_keys: not for secret-looking keys */
	const char   *inc_raw;
	const char   *inc_file;
};

/*
 * Read the whole file at path, check it is UTF-8 and parse it into *cf.
 * Returns 0 with *cf to be freed by config_destroy, or -1 with the error
 * reported to d (and nothing to free). When from is not NULL the file was
 * named at from under key what ("cannot read ..." is reported there);
 * else what says what the file is ("the service config").
 */
int  cfg_read(config_t *cf, const char *path, const struct loc *from,
     const char *what, struct diag *d);
/*
 * Report libconfig's parse error what at l, quoting the line it stopped
 * at and what a setting looks like. Counts one error in d.
 */
void syntax_error(struct diag *d, const struct loc *l, const char *what);

/*
 * How a file libconfig names by its @include text raw is shown: beside
 * top (the file read) unless absolute. The caller frees.
 */
char *cfg_shown(const config_t *cf, const char *top, const char *raw);

/* Is s an email address, name@domain? 0 or -1. */
int cfg_email_ok(const char *s);
/*
 * Does the name of a setting say it holds a secret (password, token,
 * secret, api_key, auth ...)? Not the names of where one is found
 * instead (NAME_env, NAME_file).
 */
int cfg_secret_name(const char *name);

/* p resolved against folder dir unless absolute; from arena a. */
char *cfg_resolve_path(struct arena *a, const char *dir, const char *p);
/* The folder of path ("." when it has none); from arena a. */
char *cfg_dirname(struct arena *a, const char *path);

/* Where setting s is (line 0 when s is NULL). */
struct loc  cfg_loc(const struct cfg *, const config_setting_t *s);
/* "path.key", or whichever of the two is given. */
const char *cfg_path(const struct cfg *, const char *path, const char *key);
/* How a setting's type is said in messages: "a string", "a number" ... */
const char *cfg_type_name(const config_setting_t *s);

/* An error or a warning at setting s (or its file) under path.key. */
void cfg_error(struct cfg *, const config_setting_t *s, const char *path,
    const char *key, const char *, ...) LOA_PRINTF(5, 6);
void cfg_warn(struct cfg *, const config_setting_t *s, const char *path,
    const char *key, const char *, ...) LOA_PRINTF(5, 6);

/*
 * Warn about each member of group g whose name is not in the NULL
 * terminated list allowed. Does nothing when g is not a group.
 */
/*
 * The name of setting s as written. libconfig 1.5 takes only bare names
 * ([A-Za-z*][-A-Za-z0-9_*]*); cfg_read rewrites a quoted one ("ĐS" = ...,
 * as conf/REFERENCE.md §3 writes broadcast.say) into a bare one this decodes.
 * NULL for an element of a list.
 */
const char *cfg_name(const struct cfg *, const config_setting_t *s);

void cfg_keys(struct cfg *, const config_setting_t *g, const char *path,
    const char *const *allowed);

/*
 * s in NFC, from the arena; white space at either end is cut unless
 * keep_space is set. s must be valid UTF-8. Can't fail.
 */
char  *cfg_nfc(struct cfg *, const char *s);
/*
 * The text of string setting s in NFC (see cfg_nfc), or NULL with an
 * error when it is not UTF-8 (a \x escape can spell such bytes).
 */
char  *cfg_text(struct cfg *, const config_setting_t *s, const char *path,
     const char *key);
/*
 * The string member key of group g, as cfg_text. NULL when missing (an
 * error if required) or not a string (an error).
 */
char  *cfg_str(struct cfg *, const config_setting_t *g, const char *path,
     const char *key, int required);
/*
 * A required, non-empty string of letters, digits, '-' and '_' (and any
 * non-ASCII letter): an id. NULL with an error otherwise.
 */
char  *cfg_id(struct cfg *, const config_setting_t *g, const char *path,
     const char *key);
/*
 * Member key of g as a list of strings: one string alone, or an array or
 * list of them. Returns how many were good, into *out and, when locs is
 * not NULL, their places into *locs; the bad ones are reported and left
 * out. 0 (and *out NULL) when the key is absent.
 */
size_t cfg_strlist(struct cfg *, const config_setting_t *g, const char *path,
    const char *key, char ***out, struct loc **locs);
/* Member key of g as a list of ids, as cfg_strlist, into l. */
void   cfg_idlist(struct cfg *, const config_setting_t *g, const char *path,
      const char *key, struct idlist *l);

/*
 * Parse time expression src, written at l under path.key, into w (which
 * is reset; w->t is TIMEX_NONE until resolved). Returns 0, or -1 with
 * the error reported and w->src NULL.
 */
int cfg_when_str(struct cfg *, const char *src, struct loc l, const char *path,
    const char *key, struct when *w);
/*
 * Member key of g as a time expression, into w. Absent: 0 with w->src
 * NULL, or -1 with an error if required. Returns -1 on any error.
 */
int cfg_when(struct cfg *, const config_setting_t *g, const char *path,
    const char *key, struct when *w, int required);
/* Member key of g as a list of time expressions; returns the good ones. */
size_t cfg_whens(struct cfg *, const config_setting_t *g, const char *path,
    const char *key, struct when **out);

/*
 * Member key of g as a whole number from min to max, into *out. Absent:
 * 0 and *out unchanged. Returns -1 with an error when it is not one.
 */
int	 cfg_int(struct cfg *, const config_setting_t *g, const char *path,
	 const char *key, int *out, int min, int max);
/* Member key of g as true or false, as cfg_int. */
int	 cfg_bool(struct cfg *, const config_setting_t *g, const char *path,
	 const char *key, int *out);
/*
 * Member key of g as one of the n strings of names (a table of names.c):
 * its index. def when absent, or (with an error listing the names) when
 * it is not a string or not one of them.
 */
int	 cfg_enum(struct cfg *, const config_setting_t *g, const char *path,
	 const char *key, const char *const *names, int n, int def);
/*
 * Member key of g as a list of channel names (names.c) into a mask of
 * CHM(); each name outside allowed is an error and left out. def when the
 * key is absent; *given (may be NULL) says whether it was there.
 */
unsigned cfg_channels(struct cfg *, const config_setting_t *g, const char *path,
    const char *key, unsigned def, unsigned allowed, int *given);
/*
 * Member key of g as a time of day "HH:MM" into *out, minutes. Returns 0,
 * or -1: absent (an error if required) or not a time (an error).
 */
int	 cfg_hhmm(struct cfg *, const config_setting_t *g, const char *path,
	 const char *key, int *out, int required);
/*
 * Member key of g as a duration ("3h30m") into *out, seconds. Absent: 0
 * and *out unchanged. Returns -1 with an error when it is not one.
 */
int	 cfg_duration(struct cfg *, const config_setting_t *g, const char *path,
	 const char *key, int64_t *out);

/*
 * Member key of g when it is a group { }; NULL when absent, or with an
 * error when it is something else.
 */
config_setting_t *cfg_group(struct cfg *, const config_setting_t *g,
    const char *path, const char *key);
/*
 * Member key of g when it is a list ( { ... }, ... ) of groups only; NULL
 * when absent, or with an error when it is anything else.
 */
config_setting_t *
cfg_list(struct cfg *, const config_setting_t *g, const char *key);
/* The path of element i of list: "list.ID", or "list[i]" without id. */
const char *
cfg_elem_path(struct cfg *, const char *list, config_setting_t *e, int i);

#endif
