/*
 * service.c: the service config file -> struct service (service.h). The
 * svc_* readers each read one top-level section; templates are kept as
 * written, checked later by tmpl_install (render/tmpl.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "plan/capvals.h"
#include "plan/cfg.h"
#include "plan/gwhttp.h"
#include "plan/service.h"
#include "plan/svcbroadcast.h"
#include "util/subst.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/arena.h"

static const char *const svc_top_keys[] = {
	"loa",
	"gateways",
	"channels",
	"broadcast",
	"templates",
	NULL,
};
static const char *const svc_loa_keys[] = {
	"timezone",
	"store",
	"plans",
	"quiet_hours",
	"holidays",
	"defaults",
	"http",
	"max_parts",
	NULL,
};
static const char *const svc_gw_keys[] = {
	"id",
	"kind",
	"url",
	"preset",
	"from",
	"sender",
	"reply_to",
	"dir",
	"tls",
	"user",
	"user_env",
	"password_env",
	"password_file",
	"ca_file",
	"method",
	"headers",
	"form",
	"json",
	"fold",
	"insecure",
	"concurrency",
	"rate",
	"timeout",
	"max_parts",
	"token_env",
	"token_file",
	"query",
	"success",
	"auth",
	"auth_header",
	"dlr_url",
	NULL,
};

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * An email gateway's From: "addr" or "Name <addr>", addr a valid
 * address, no control characters. 0 or -1.
 */
static int
svc_from_ok(const char *s)
{
	const char *lt = strchr(s, '<'), *gt, *p;
	char	   *addr;
	int	    rc;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return -1;
	if (lt == NULL)
		return cfg_email_ok(s);
	if ((gt = strchr(lt, '>')) == NULL || strchr(gt + 1, '<') != NULL ||
	    strchr(s, '>') != gt || gt[1 + strspn(gt + 1, " ")] != '\0' ||
	    lt == s)
		return -1;
	addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	rc = cfg_email_ok(addr);
	free(addr);
	return rc;
}

/* Does URL s carry credentials ("scheme://user:pass@host")? */
static int
svc_url_creds(const char *s)
{
	const char *p = s, *end;

	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return 0;
	p += 3;
	end = p + strcspn(p, "/?#");
	return memchr(p, '@', (size_t)(end - p)) != NULL;
}

static const char svc_secret_where
    [] = "secrets are never read from the config text; expected the name of "
	 "its file or environment variable instead (password_file or "
	 "password_env in a gateway, token_file under loa.http)";

/* Whether URL v carries a secret in its query: a parameter named as a
 * secret (?password=, ?api_key=, ?token= ...). */
static int
svc_url_query_secret(struct cfg *c, const char *v)
{
	const char *q, *p, *e;

	if (strstr(v, "://") == NULL || (q = strchr(v, '?')) == NULL)
		return 0;
	for (p = q + 1; *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = p + strcspn(p, "&;#");
		if (cfg_secret_name(
			arena_printf(c->a, "%.*s", (int)strcspn(p, "=&;#"), p)))
			return 1;
		if (*e == '#')
			break;
	}
	return 0;
}

/*
 * Whether string setting s of a gateway names where a secret comes from
 * rather than holding one: an http gateway's placeholders ({password}, also after
 * "Bearer "), its auth scheme and the name of its auth header.
 */
static int
svc_names_secret(const char *name, const char *v)
{
	static const char *const schemes[] = { "Bearer ", "Basic ", "Token ",
		NULL };
	int			 i;

	if (name != NULL && strcmp(name, "auth") == 0)
		return strcmp(v, "none") == 0 || strcmp(v, "basic") == 0 ||
		    strcmp(v, "bearer") == 0 || strcmp(v, "header") == 0;
	if (name != NULL && strcmp(name, "auth_header") == 0)
		return v[strcspn(v, " \t:\r\n")] == '\0';
	for (i = 0; schemes[i] != NULL; i++)
		if (strncasecmp(v, schemes[i], strlen(schemes[i])) == 0)
			v += strlen(schemes[i]);
	return subst_only(v);
}

/*
 * Every setting of the service config (s, at path): a secret-looking name
 * or value is an error. Never quotes the secret.
 */
static void
svc_secrets(struct cfg *c, config_setting_t *s, const char *path,
    int in_headers)
{
	const char *name = config_setting_name(s);
	int	    i, n;

	if (path != NULL && strncmp(path, "gateways", 8) == 0 &&
	    config_setting_type(s) == CONFIG_TYPE_STRING &&
	    svc_names_secret(name, config_setting_get_string(s)))
		return;
	if (name != NULL && cfg_secret_name(name)) {
		cfg_error(c, s, path, NULL,
		    "a secret written in the config "
		    "text; %s",
		    svc_secret_where);
		return;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		const char *colon = strchr(v, ':');

		if (svc_url_creds(v)) {
			cfg_error(c, s, path, NULL,
			    "the URL holds credentials "
			    "(user:password@); expected the URL without them, "
			    "the user in user and the password in "
			    "password_env or password_file: secrets are never "
			    "read from the config text");
			return;
		}
		if (svc_url_query_secret(c, v)) {
			cfg_error(c, s, path, NULL,
			    "the URL's query holds a secret (as "
			    "?password=...); %s",
			    svc_secret_where);
			return;
		}
		if (in_headers &&
		    (strncasecmp(v, "Bearer ", 7) == 0 ||
			strncasecmp(v, "Basic ", 6) == 0 ||
			strncasecmp(v, "Token ", 6) == 0 ||
			(colon != NULL &&
			    cfg_secret_name(arena_printf(c->a, "%.*s",
				(int)(colon - v), v)))))
			cfg_error(c, s, path, NULL,
			    "a secret written in the "
			    "config text; %s",
			    svc_secret_where);
		return;
	}
	if (config_setting_is_aggregate(s) != CONFIG_TRUE)
		return;
	n = config_setting_length(s);
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		const char	 *en = config_setting_name(e);
		const char	 *sub;

		if (en != NULL)
			sub = cfg_path(c, path, en);
		else if (config_setting_type(e) == CONFIG_TYPE_GROUP)
			sub = cfg_elem_path(c, path, e, i);
		else
			sub = arena_printf(c->a, "%s[%d]", path, i);
		svc_secrets(c, e, sub,
		    in_headers ||
			(name != NULL && strcmp(name, "headers") == 0));
	}
}

/* Key `key` of gateway g, an address like `from` when `check`: an error
 * (and *v NULL) when it is not. */
static void
svc_addr_key(struct cfg *c, config_setting_t *g, const char *path,
    const char *key, int check, char **v)
{
	if (!check || *v == NULL || svc_from_ok(*v) == 0)
		return;
	cfg_error(c, config_setting_get_member(g, key), path, key,
	    "\"%s\" is not an address; expected \"name@domain\" or "
	    "\"Name <name@domain>\"",
	    *v);
	*v = NULL;
}

/* Which presets there are: gwhttp.c has them. */
static int
svc_preset_ok(const char *p)
{
	return strcmp(p, "kannel") == 0 || strcmp(p, "twilio") == 0 ||
	    strcmp(p, "esms") == 0 || strcmp(p, "speedsms") == 0 ||
	    strcmp(p, "webhook") == 0 || strcmp(p, "controller") == 0;
}

static void
svc_gateways(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t *list = cfg_list(c, config_root_setting(cf),
	    "gateways");
	int		  i, j, n;

	if (list == NULL)
		return;
	n = config_setting_length(list);
	svc->gateways = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct gateway));
	memset(svc->gateways, 0, (size_t)(n ? n : 1) * sizeof(struct gateway));
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(list, i);
		struct gateway	 *gw = &svc->gateways[svc->ngateways];
		const char	 *path = cfg_elem_path(c, "gateways", g, i);
		char		 *rate;

		cfg_keys(c, g, path, svc_gw_keys);
		gw->loc = cfg_loc(c, g);
		if ((gw->id = cfg_id(c, g, path, "id")) == NULL)
			continue;
		for (j = 0; j < (int)svc->ngateways; j++)
			if (strcmp(svc->gateways[j].id, gw->id) == 0)
				cfg_error(c, g, path, "id",
				    "duplicate id "
				    "\"%s\" (first at line %d)",
				    gw->id, svc->gateways[j].loc.line);
		if (config_setting_get_member(g, "kind") == NULL) {
			cfg_error(c, g, path, "kind",
			    "missing; expected "
			    "\"smtp\", \"http\", \"file\" or \"spool\"");
			continue;
		}
		gw->kind = (enum gw_kind)cfg_enum(c, g, path, "kind",
		    gw_kind_names, GW__N, GW_FILE);
		gw->url = cfg_str(c, g, path, "url", gw->kind == GW_SMTP);
		gw->preset = cfg_str(c, g, path, "preset", 0);
		gw->from = cfg_str(c, g, path, "from", gw->kind == GW_SMTP);
		if (gw->from != NULL && svc_from_ok(gw->from) == -1) {
			cfg_error(c, config_setting_get_member(g, "from"), path,
			    "from",
			    "\"%s\" is not an address; expected "
			    "\"name@domain\" or \"Name <name@domain>\"",
			    gw->from);
			gw->from = NULL;
		}
		gw->sender = cfg_str(c, g, path, "sender", 0);
		svc_addr_key(c, g, path, "sender", gw->kind == GW_SMTP,
		    &gw->sender);
		gw->reply_to = cfg_str(c, g, path, "reply_to", 0);
		svc_addr_key(c, g, path, "reply_to", 1, &gw->reply_to);
		gw->dir = cfg_str(c, g, path, "dir",
		    gw->kind == GW_SPOOL || gw->kind == GW_FILE);
		if (gw->dir != NULL)
			gw->dir = cfg_resolve_path(c->a, svc->dir, gw->dir);
		gw->tls = cfg_str(c, g, path, "tls", 0);
		if (gw->tls != NULL && strcmp(gw->tls, "try") != 0 &&
		    strcmp(gw->tls, "require") != 0 &&
		    strcmp(gw->tls, "off") != 0)
			cfg_error(c, config_setting_get_member(g, "tls"), path,
			    "tls",
			    "unknown value \"%s\"; expected \"try\", "
			    "\"require\" or \"off\"",
			    gw->tls);
		if (gw->preset != NULL && !svc_preset_ok(gw->preset))
			cfg_error(c, config_setting_get_member(g, "preset"),
			    path, "preset",
			    "unknown value \"%s\"; expected \"kannel\", "
			    "\"twilio\", \"esms\", \"speedsms\", "
			    "\"webhook\" or \"controller\"",
			    gw->preset);
		gw->user = cfg_str(c, g, path, "user", 0);
		gw->user_env = cfg_str(c, g, path, "user_env", 0);
		gw->password_env = cfg_str(c, g, path, "password_env", 0);
		gw->password_file = cfg_str(c, g, path, "password_file", 0);
		if (gw->password_file != NULL)
			gw->password_file = cfg_resolve_path(c->a, svc->dir,
			    gw->password_file);
		gw->ca_file = cfg_str(c, g, path, "ca_file", 0);
		if (gw->ca_file != NULL)
			gw->ca_file = cfg_resolve_path(c->a, svc->dir,
			    gw->ca_file);
		gw->method = cfg_str(c, g, path, "method", 0);
		gw->token_env = cfg_str(c, g, path, "token_env", 0);
		gw->token_file = cfg_str(c, g, path, "token_file", 0);
		if (gw->token_file != NULL)
			gw->token_file = cfg_resolve_path(c->a, svc->dir,
			    gw->token_file);
		gw->concurrency = gw->kind == GW_SMTP ? 4 : 8;
		gw->max_parts = svc->max_parts;
		gw->timeout = 30;
		cfg_bool(c, g, path, "fold", &gw->fold);
		cfg_bool(c, g, path, "insecure", &gw->insecure);
		cfg_int(c, g, path, "concurrency", &gw->concurrency, 1, 1000);
		cfg_int(c, g, path, "max_parts", &gw->max_parts, 1, 255);
		if (cfg_duration(c, g, path, "timeout", &gw->timeout) == 0 &&
		    (gw->timeout < 1 || gw->timeout > 3600)) {
			/* 0 would be libcurl's "no limit": a gateway that
			 * never answers would hold its sends for good. */
			cfg_error(c, config_setting_get_member(g, "timeout"),
			    path, "timeout",
			    "%lld s; expected 1 s to 1 h (a send that no "
			    "answer ends would hold its place for good)",
			    (long long)gw->timeout);
			gw->timeout = 30;
		}
		if ((rate = cfg_str(c, g, path, "rate", 0)) != NULL) {
			double	    r, per = 0;
			char	   *end;
			const char *u;

			r = strtod(rate, &end);
			u = *end == '/' ? end + 1 : NULL;
			if (u != NULL &&
			    (strcmp(u, "s") == 0 || strcmp(u, "sec") == 0))
				per = 1;
			else if (u != NULL &&
			    (strcmp(u, "m") == 0 || strcmp(u, "min") == 0))
				per = 60;
			else if (u != NULL &&
			    (strcmp(u, "h") == 0 || strcmp(u, "hour") == 0))
				per = 3600;
			if (end == rate || !(r > 0) || r > 1e6 || per == 0)
				cfg_error(c,
				    config_setting_get_member(g, "rate"), path,
				    "rate",
				    "\"%s\" is not a "
				    "rate; expected N/s, N/min (or N/m) or N/h",
				    rate);
			else
				gw->rate = r / per;
		}
		if (gw->kind == GW_HTTP)
			svc_gw_http(c, config_root_setting(cf), g, path, gw);
		svc->ngateways++;
	}
}

static struct gateway *
svc_find_gw(struct service *svc, const char *id)
{
	size_t i;

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
	static const char *const keys[] = { "email", "sms", "broadcast", NULL };
	int			 ch;

	if (g != NULL)
		cfg_keys(c, g, "channels", keys);
	for (ch = 0; ch < CH__N; ch++) {
		char *id = g ? cfg_str(c, g, "channels", channel_names[ch], 0) :
			       NULL;
		struct gateway *gw;

		if (id != NULL) {
			if ((gw = svc_find_gw(svc, id)) == NULL)
				cfg_error(c,
				    config_setting_get_member(g,
					channel_names[ch]),
				    "channels", channel_names[ch],
				    "unknown gateway \"%s\"", id);
			svc->channel_gw[ch] = gw;
		} else if (svc->ngateways > 0)
			svc->channel_gw[ch] = svc_find_gw(svc,
			    channel_names[ch]);
	}
	/* A loudspeaker controller gets each item as a multipart body. */
	if (svc->channel_gw[CH_BROADCAST] != NULL &&
	    svc->channel_gw[CH_BROADCAST]->kind == GW_HTTP &&
	    svc->channel_gw[CH_BROADCAST]->method != NULL &&
	    strcmp(svc->channel_gw[CH_BROADCAST]->method, "GET") == 0)
		diag_error(c->d, &svc->channel_gw[CH_BROADCAST]->loc,
		    "channels.broadcast",
		    "gateway %s sends with GET; expected POST or PUT (a "
		    "broadcast goes to its controller as multipart/form-data)",
		    svc->channel_gw[CH_BROADCAST]->id);
}

/*
 * The templates section, kept as written: which names are templates and
 * whether a template is sound is for tmpl_install to say.
 */
static void
svc_templates(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t *g = cfg_group(c, config_root_setting(cf), NULL,
	    "templates");
	int		  i, n;

	if (g == NULL)
		return;
	n = config_setting_length(g);
	svc->tmpl_overrides = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(*svc->tmpl_overrides));
	c->keep_space = 1;
	for (i = 0; i < n; i++) {
		config_setting_t     *e = config_setting_get_elem(g, i);
		struct tmpl_override *o;
		const char	     *v;

		o = &svc->tmpl_overrides[svc->ntmpl_overrides++];
		memset(o, 0, sizeof(*o));
		o->key = arena_strdup(c->a, config_setting_name(e));
		o->loc = cfg_loc(c, e);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			o->problem = arena_printf(c->a,
			    "expected a string, "
			    "found %s",
			    cfg_type_name(e));
			continue;
		}
		v = config_setting_get_string(e);
		if (text_utf8_check(v, strlen(v)) >= 0) {
			o->problem = "invalid UTF-8 (written with an escape); "
				     "the text must be UTF-8";
			continue;
		}
		o->text = cfg_nfc(c, v);
	}
	c->keep_space = 0;
}

/* loa.plans: the plan files, resolved against the config's folder. */
static void
svc_plans(struct cfg *c, config_setting_t *loa, struct service *svc)
{
	char	  **v;
	struct loc *locs;
	size_t	    i, n;

	n = cfg_strlist(c, loa, "loa", "plans", &v, &locs);
	if (config_setting_get_member(loa, "plans") == NULL)
		cfg_error(c, loa, "loa", "plans",
		    "missing; expected a list "
		    "of plan files [ \"plans/NAME.cfg\", ... ]");
	svc->plans = arena_alloc(svc->arena, (n ? n : 1) * sizeof(char *));
	svc->plan_locs = locs;
	for (i = 0; i < n; i++)
		svc->plans[i] = cfg_resolve_path(svc->arena, svc->dir, v[i]);
	svc->nplans = n;
}

/* loa.quiet_hours: no SMS between start and end. */
static void
svc_quiet(struct cfg *c, config_setting_t *loa, struct service *svc)
{
	static const char *const keys[] = { "start", "end", NULL };
	config_setting_t	*g;

	if ((g = cfg_group(c, loa, "loa", "quiet_hours")) == NULL)
		return;
	cfg_keys(c, g, "loa.quiet_hours", keys);
	if (cfg_hhmm(c, g, "loa.quiet_hours", "start", &svc->quiet.start, 1) ==
		-1 ||
	    cfg_hhmm(c, g, "loa.quiet_hours", "end", &svc->quiet.end, 1) == -1)
		svc->quiet.start = svc->quiet.end = 0;
	else if (svc->quiet.start == svc->quiet.end)
		cfg_warn(c, g, "loa", "quiet_hours",
		    "start and end are both %02d:%02d: no quiet hours; "
		    "expected an end other than the start",
		    svc->quiet.start / 60, svc->quiet.start % 60);
}

/* loa.holidays: days that are not business days, sorted. */
static void
svc_holidays(struct cfg *c, config_setting_t *loa, struct service *svc)
{
	char	  **v, err[128];
	struct loc *locs;
	size_t	    i, n;
	int	    y, m, dd;

	n = cfg_strlist(c, loa, "loa", "holidays", &v, &locs);
	svc->holidays = arena_alloc(svc->arena, (n ? n : 1) * sizeof(int64_t));
	for (i = 0; i < n; i++) {
		if (timex_parse_date(v[i], &svc->holidays[svc->nholidays], err,
			sizeof(err)) == -1) {
			diag_error(c->d, &locs[i], "loa.holidays",
			    "bad holiday \"%s\": %s", v[i], err);
			continue;
		}
		civil_from_days(svc->holidays[svc->nholidays], &y, &m, &dd);
		if (y < LOA_YEAR_MIN || y > LOA_YEAR_MAX) {
			diag_error(c->d, &locs[i], "loa.holidays",
			    "the year %d is outside %d to %d; "
			    "expected a year from %d to %d",
			    y, LOA_YEAR_MIN, LOA_YEAR_MAX, LOA_YEAR_MIN,
			    LOA_YEAR_MAX);
			continue;
		}
		svc->nholidays++;
	}
	qsort(svc->holidays, svc->nholidays, sizeof(int64_t), cmp_i64);
}

/* loa.defaults.remind: a task's reminders when it has none, each relative
 * to the task's own due. */
static void
svc_defaults(struct cfg *c, config_setting_t *loa, struct service *svc)
{
	static const char *const keys[] = { "remind", NULL };
	config_setting_t	*g;
	size_t			 i;

	if ((g = cfg_group(c, loa, "loa", "defaults")) != NULL) {
		cfg_keys(c, g, "loa.defaults", keys);
		svc->ndefault_remind = cfg_whens(c, g, "loa.defaults", "remind",
		    &svc->default_remind);
	} else {
		/* Three and one business days ahead, at the start of work. */
		svc->ndefault_remind = 2;
		svc->default_remind = arena_alloc(svc->arena,
		    2 * sizeof(struct when));
		cfg_when_str(c, "due - 3bd at 08:00", (struct loc){ 0 },
		    "loa.defaults", "remind[0]", &svc->default_remind[0]);
		cfg_when_str(c, "due - 1bd at 08:00", (struct loc){ 0 },
		    "loa.defaults", "remind[1]", &svc->default_remind[1]);
	}
	for (i = 0; i < svc->ndefault_remind; i++) {
		struct when *w = &svc->default_remind[i];

		if (w->x.kind != TIMEX_REL || w->x.obj != NULL ||
		    w->x.ref != TREF_DUE)
			diag_error(c->d, &w->loc, w->key,
			    "a default reminder must "
			    "be relative to the task's own due, as in "
			    "\"due - 1bd at 08:00\"");
	}
}

/* loa.http: where the API listens and its token's file. */
static void
svc_http(struct cfg *c, config_setting_t *loa, struct service *svc)
{
	static const char *const keys[] = { "listen", "token_file",
		"dlr_token_file", "unhealthy_after", "client_connections",
		"request_timeout", NULL };
	config_setting_t	*g;

	svc->http_unhealthy_after = 600;
	svc->http_client_conns = 512;
	svc->http_request_timeout = 10;
	if ((g = cfg_group(c, loa, "loa", "http")) != NULL) {
		cfg_keys(c, g, "loa.http", keys);
		svc->http_listen = cfg_str(c, g, "loa.http", "listen", 0);
		svc->http_token_file = cfg_str(c, g, "loa.http", "token_file",
		    0);
		if (svc->http_token_file != NULL)
			svc->http_token_file = cfg_resolve_path(svc->arena,
			    svc->dir, svc->http_token_file);
		svc->http_dlr_token_file = cfg_str(c, g, "loa.http",
		    "dlr_token_file", 0);
		if (svc->http_dlr_token_file != NULL)
			svc->http_dlr_token_file = cfg_resolve_path(svc->arena,
			    svc->dir, svc->http_dlr_token_file);
		svc->http_on = svc->http_listen != NULL;
		if (cfg_duration(c, g, "loa.http", "unhealthy_after",
			&svc->http_unhealthy_after) == 0 &&
		    (svc->http_unhealthy_after < 1 ||
			svc->http_unhealthy_after > 86400))
			cfg_error(c,
			    config_setting_get_member(g, "unhealthy_after"),
			    "loa.http", "unhealthy_after",
			    "%lld s; expected 1 s to 1 d",
			    (long long)svc->http_unhealthy_after);
		cfg_int(c, g, "loa.http", "client_connections",
		    &svc->http_client_conns, 1, 2000);
		if (cfg_duration(c, g, "loa.http", "request_timeout",
			&svc->http_request_timeout) == 0 &&
		    (svc->http_request_timeout < 1 ||
			svc->http_request_timeout > 600))
			cfg_error(c,
			    config_setting_get_member(g, "request_timeout"),
			    "loa.http", "request_timeout",
			    "%lld s; expected 1 s to 10 min",
			    (long long)svc->http_request_timeout);
	}
	if (svc->http_listen == NULL)
		svc->http_listen = arena_strdup(svc->arena, "127.0.0.1:8787");
}

struct service *
service_read(const char *path, struct diag *d)
{
	config_t	  cf;
	struct service	 *svc;
	struct cfg	  c;
	config_setting_t *root, *loa;
	char		 *tzname;

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
	c.inc_raw = c.inc_file = NULL;
	c.skip_secrets = 0;
	root = config_root_setting(&cf);
	c.skip_secrets = 1; /* svc_secrets says more than "unknown" */
	svc_secrets(&c, root, NULL, 0);
	cfg_keys(&c, root, NULL, svc_top_keys);
	svc->max_parts = 3;

	loa = cfg_group(&c, root, NULL, "loa");
	if (loa == NULL) {
		struct loc l = { svc->file, 0 };

		if (config_setting_get_member(root, "loa") == NULL)
			diag_error(d, &l, "loa",
			    "missing; expected a group "
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
		    "timezone",
		    "unknown time zone \"%s\"; expected a name "
		    "such as \"Asia/Ho_Chi_Minh\"",
		    tzname);
		svc->tz = tz_get("UTC");
	}
	svc->store = cfg_str(&c, loa, "loa", "store", 0);
	svc->store = cfg_resolve_path(svc->arena, svc->dir,
	    svc->store ? svc->store : "var/loa.db");
	cfg_int(&c, loa, "loa", "max_parts", &svc->max_parts, 1, 255);

	svc_plans(&c, loa, svc);
	svc_quiet(&c, loa, svc);
	svc_holidays(&c, loa, svc);
	svc_defaults(&c, loa, svc);
	svc_http(&c, loa, svc);

	svc_gateways(&c, &cf, svc);
	{
		size_t i;

		/* A Kannel report's secret: the file the API checks. */
		for (i = 0; i < svc->ngateways; i++)
			if (svc->gateways[i].http != NULL &&
			    svc->gateways[i].http->dlr_token_file != NULL)
				svc->gateways[i]
				    .http
				    ->dlr_token_file = svc->http_dlr_token_file;
	}
	svc_channels(&c, &cf, svc);
	svc_broadcast(&c, &cf, svc);
	svc_templates(&c, &cf, svc);

	config_destroy(&cf);
	return svc;
}

struct service *
service_load(const char *path, struct diag *d)
{
	struct service *svc;
	int		errors = d->errors;

	if ((svc = service_read(path, d)) == NULL)
		return NULL;
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
