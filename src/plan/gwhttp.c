/*
 * gwhttp.c: an http gateway's request template and answer rule
 * (conf/REFERENCE.md §3) from the service config, with its preset filled in
 * under the config's own keys. Presets are written in libconfig, read by the
 * same reader as the config, so a preset is nothing but a config the user did
 * not write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "plan/gwhttp.h"
#include "util/subst.h"
#include "util/buf.h"
#include "util/arena.h"

/* The placeholders of a request template (gw/http.c fills them in). */
static const char *const gwh_names[] = { "to", "to_national", "to_digits",
	"text", "id", "sender", "coding", "dlr_url", "parts", "user",
	"password", "token", "encoding", "unicode", "dlr_token", NULL };

static const struct {
	const char *name;
	const char *text;
} gwh_presets[] = {
	/* Kannel's sendsms (its user guide): GET only, UTF-8 in, UCS-2
	 * out with coding 2; 202 with "0: Accepted" or "3: Queued". */
	{ "kannel",
	    "method = \"GET\"; auth = \"none\";\n"
	    "query = { username = \"{user}\"; password = \"{password}\";\n"
	    "  to = \"{to_digits}\"; text = \"{text}\"; from = \"{sender}\";\n"
	    "  charset = \"UTF-8\"; coding = \"{coding}\"; };\n"
	    "success = { status = [ 202 ]; ok = [ \"0:\", \"3:\" ]; };\n" },
	/* Twilio's Messages resource: a form, Basic AccountSid:AuthToken,
	 * 201 with the message's JSON. */
	{ "twilio",
	    "method = \"POST\"; auth = \"basic\";\n"
	    "url = \"https://api.twilio.com/2010-04-01/Accounts/{user}/"
	    "Messages.json\";\n"
	    "form = { To = \"{to}\"; From = \"{sender}\"; Body = \"{text}\"; "
	    "};\n" },
	/* eSMS.vn: JSON with the keys in the body; CodeResult 100 ok, 124
	 * a RequestId already seen (sent before), 103 no balance (later). */
	{ "esms",
	    "method = \"POST\"; auth = \"none\";\n"
	    "url = \"https://rest.esms.vn/MainService.svc/json/"
	    "SendMultipleMessage_V4_post_json/\";\n"
	    "json = { ApiKey = \"{user}\"; SecretKey = \"{password}\";\n"
	    "  Phone = \"{to_national}\"; Content = \"{text}\";\n"
	    "  Brandname = \"{sender}\"; SmsType = \"2\";\n"
	    "  IsUnicode = \"{unicode}\"; RequestId = \"{id}\";\n"
	    "  CallbackUrl = \"{dlr_url}\"; };\n"
	    "success = { pointer = \"/CodeResult\"; ok = [ \"100\" ];\n"
	    "  already_sent = [ \"124\" ]; retry = [ \"103\" ]; };\n" },
	/* SpeedSMS: JSON, Basic token:x. */
	{ "speedsms",
	    "method = \"POST\"; auth = \"basic\";\n"
	    "url = \"https://api.speedsms.vn/index.php/sms/send\";\n"
	    "json = { to = [ \"{to_digits}\" ]; content = \"{text}\";\n"
	    "  sms_type = 2; sender = \"{sender}\"; };\n"
	    "success = { pointer = \"/status\"; ok = [ \"success\" ]; };\n" },
	/* A loudspeaker controller (the broadcast channel): a POST of the
	 * item as multipart (gw/http.c), any 2xx. */
	{ "controller", "method = \"POST\";\n" },
	/* conf/REFERENCE.md §3's message record, with its idempotency key. */
	{ "webhook",
	    "method = \"POST\";\n"
	    "json = { id = \"{id}\"; to = \"{to}\"; text = \"{text}\";\n"
	    "  encoding = \"{encoding}\"; parts = \"{parts}\"; };\n"
	    "headers = { Idempotency-Key = \"{id}\"; };\n" },
};

static const char *
gwh_known(void *arg, const char *name, size_t len)
{
	const char *const *n;
	const char	  *except = arg;

	for (n = gwh_names; *n != NULL; n++)
		if (strlen(*n) == len && strncmp(*n, name, len) == 0)
			return except != NULL && strcmp(except, *n) == 0 ?
			    NULL :
			    "";
	return NULL;
}

/* Check template t of setting s; except: a placeholder it may not use. */
static void
gwh_check(struct cfg *c, const config_setting_t *s, const char *path,
    const char *key, const char *t, const char *except)
{
	struct buf b = { 0 };
	char	   err[160];

	if (subst(t, gwh_known, (void *)except, &b, err, sizeof(err)) == -1) {
		struct buf	   l = { 0 };
		const char *const *p;

		for (p = gwh_names; *p != NULL; p++)
			if (except == NULL || strcmp(*p, except) != 0)
				buf_printf(&l, "%s{%s}",
				    p == gwh_names ? "" : ", ", *p);
		cfg_error(c, s, path, key, "%s; expected one of %s", err, l.s);
		buf_free(&l);
	}
	buf_free(&b);
}

/* Setting s as a template value into f; json: lists, groups, numbers. */
static void
gwh_field(struct cfg *c, config_setting_t *s, const char *path, int json,
    struct tfield *f)
{
	const char *name = cfg_name(c, s);
	int	    i, n;

	memset(f, 0, sizeof(*f));
	f->name = name != NULL ? arena_strdup(c->a, name) : NULL;
	f->loc = cfg_loc(c, s);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		f->type = TF_STR;
		if ((f->value = cfg_text(c, s, path, NULL)) == NULL)
			f->value = arena_strdup(c->a, "");
		gwh_check(c, s, path, NULL, f->value, NULL);
		return;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		f->type = TF_INT;
		f->ival = config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		f->type = TF_REAL;
		f->real = config_setting_get_float(s);
		break;
	case CONFIG_TYPE_BOOL:
		f->type = TF_BOOL;
		f->ival = config_setting_get_bool(s);
		break;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
	case CONFIG_TYPE_GROUP:
	default:
		f->type = config_setting_type(s) == CONFIG_TYPE_GROUP ?
		    TF_GROUP :
		    TF_ARRAY;
		if (!json) {
			cfg_error(c, s, path, NULL,
			    "expected a string template, found %s; lists and "
			    "groups are for a json body only",
			    cfg_type_name(s));
			f->type = TF_STR;
			f->value = arena_strdup(c->a, "");
			return;
		}
		n = config_setting_length(s);
		f->sub = arena_alloc(c->a,
		    (size_t)(n ? n : 1) * sizeof(*f->sub));
		for (i = 0; i < n; i++) {
			config_setting_t *e = config_setting_get_elem(s, i);
			const char	 *en = cfg_name(c, e);

			gwh_field(c, e,
			    en != NULL ? cfg_path(c, path, en) :
					 arena_printf(c->a, "%s[%d]", path, i),
			    json, &f->sub[f->nsub++]);
		}
		return;
	}
	if (!json) {
		/* A number in a query, a form or a header is its digits. */
		f->value = f->type == TF_REAL ?
		    arena_printf(c->a, "%g", f->real) :
		    f->type == TF_BOOL ?
		    arena_strdup(c->a, f->ival ? "true" : "false") :
		    arena_printf(c->a, "%lld", f->ival);
		f->type = TF_STR;
	}
}

/* Group key of g into *f (TF_GROUP); 1 when it was given. */
static int
gwh_group(struct cfg *c, config_setting_t *g, const char *path, const char *key,
    int json, struct tfield *f)
{
	config_setting_t *s = cfg_group(c, g, path, key);
	const char	 *p = cfg_path(c, path, key);
	int		  i, n;

	if (s == NULL)
		return 0;
	memset(f, 0, sizeof(*f));
	f->type = TF_GROUP;
	f->loc = cfg_loc(c, s);
	n = config_setting_length(s);
	f->sub = arena_alloc(c->a, (size_t)(n ? n : 1) * sizeof(*f->sub));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		gwh_field(c, e, cfg_path(c, p, cfg_name(c, e)), json,
		    &f->sub[f->nsub++]);
	}
	return 1;
}

/* Put the members of group over into group f: same name replaced. */
static void
gwh_merge(struct arena *a, struct tfield *f, const struct tfield *over)
{
	struct tfield *v;
	size_t	       i, j, n = f->nsub;

	v = arena_alloc(a, (f->nsub + over->nsub + 1) * sizeof(*v));
	if (f->nsub > 0)
		memcpy(v, f->sub, f->nsub * sizeof(*v));
	for (i = 0; i < over->nsub; i++) {
		for (j = 0; j < n; j++)
			if (v[j].name != NULL && over->sub[i].name != NULL &&
			    strcasecmp(v[j].name, over->sub[i].name) == 0)
				break;
		v[j] = over->sub[i];
		if (j == n)
			n++;
	}
	f->type = TF_GROUP;
	f->sub = v;
	f->nsub = n;
}

static size_t
gwh_strs(struct cfg *c, config_setting_t *g, const char *path, const char *key,
    char ***out)
{
	return cfg_strlist(c, g, path, key, out, NULL);
}

/* success = { status; pointer; ok; retry; already_sent; } over h's. */
static void
gwh_success(struct cfg *c, config_setting_t *g, const char *path,
    struct http_tmpl *h)
{
	static const char *const keys[] = { "status", "pointer", "ok", "retry",
		"already_sent", NULL };
	config_setting_t	*s, *st;
	const char		*p = cfg_path(c, path, "success");
	char			*ptr;
	int			 i, n;

	if ((s = cfg_group(c, g, path, "success")) == NULL)
		return;
	cfg_keys(c, s, p, keys);
	if ((st = config_setting_get_member(s, "status")) != NULL) {
		n = config_setting_is_aggregate(st) ?
		    config_setting_length(st) :
		    1;
		h->status = arena_alloc(c->a,
		    (size_t)(n ? n : 1) * sizeof(int));
		h->nstatus = 0;
		for (i = 0; i < n; i++) {
			config_setting_t *e = config_setting_is_aggregate(st) ?
			    config_setting_get_elem(st, i) :
			    st;
			int		  v;

			if (config_setting_type(e) != CONFIG_TYPE_INT ||
			    (v = config_setting_get_int(e)) < 100 || v > 599) {
				cfg_error(c, e, p, "status",
				    "expected HTTP status codes (100 to 599), "
				    "as [ 200, 202 ]");
				continue;
			}
			h->status[h->nstatus++] = v;
		}
	}
	if ((ptr = cfg_str(c, s, p, "pointer", 0)) != NULL) {
		if (*ptr != '\0' && *ptr != '/')
			cfg_error(c, config_setting_get_member(s, "pointer"), p,
			    "pointer",
			    "\"%s\" is not a JSON pointer; expected "
			    "\"/Name\" or \"/a/0/b\" (RFC 6901)",
			    ptr);
		h->pointer = *ptr != '\0' ? ptr : NULL;
	}
	if (config_setting_get_member(s, "ok") != NULL)
		h->nok = gwh_strs(c, s, p, "ok", &h->ok);
	if (config_setting_get_member(s, "retry") != NULL)
		h->nretry = gwh_strs(c, s, p, "retry", &h->retry);
	if (config_setting_get_member(s, "already_sent") != NULL)
		h->nalready = gwh_strs(c, s, p, "already_sent",
		    &h->already_sent);
}

/* A header value of the config holding a control character (CR, LF
 * ...) is an error: it would end the header line or glue two. */
static void
gwh_header_ctl(struct cfg *c, config_setting_t *hs, const char *path)
{
	int i, n = hs != NULL ? config_setting_length(hs) : 0;

	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(hs, i);
		const char	 *v = config_setting_get_string(e), *q;

		if (v == NULL)
			continue;
		for (q = v; *q != '\0'; q++)
			if ((unsigned char)*q < ' ' || *q == 0x7f) {
				cfg_error(c, e, path, config_setting_name(e),
				    "a control character (U+%04X) in a header "
				    "value; expected one line of text",
				    (unsigned)(unsigned char)*q);
				break;
			}
	}
}

/* Read one layer (a preset, then the gateway's own keys) over h. */
static void
gwh_layer(struct cfg *c, config_setting_t *g, const char *path,
    struct http_tmpl *h)
{
	struct tfield f;
	char	     *s;
	int	      form = 0, json = 0;

	if ((s = cfg_str(c, g, path, "method", 0)) != NULL) {
		if (strcmp(s, "GET") != 0 && strcmp(s, "POST") != 0 &&
		    strcmp(s, "PUT") != 0)
			cfg_error(c, config_setting_get_member(g, "method"),
			    path, "method",
			    "unknown method \"%s\"; expected \"GET\", "
			    "\"POST\" or \"PUT\"",
			    s);
		h->method = s;
	}
	if ((s = cfg_str(c, g, path, "url", 0)) != NULL) {
		gwh_check(c, config_setting_get_member(g, "url"), path, "url",
		    s, NULL);
		h->url = s;
	}
	if (gwh_group(c, g, path, "headers", 0, &f)) {
		gwh_header_ctl(c, config_setting_get_member(g, "headers"),
		    cfg_path(c, path, "headers"));
		gwh_merge(c->a, &h->headers, &f);
	}
	if (gwh_group(c, g, path, "query", 0, &f))
		gwh_merge(c->a, &h->query, &f);
	if ((form = gwh_group(c, g, path, "form", 0, &f))) {
		if (h->body != HB_FORM)
			memset(&h->form, 0, sizeof(h->form));
		gwh_merge(c->a, &h->form, &f);
	}
	if ((json = gwh_group(c, g, path, "json", 1, &f))) {
		if (h->body != HB_JSON)
			memset(&h->json, 0, sizeof(h->json));
		gwh_merge(c->a, &h->json, &f);
	}
	if (form && json)
		cfg_error(c, config_setting_get_member(g, "json"), path, "json",
		    "a request has one body; expected form or json, not both");
	else if (form)
		h->body = HB_FORM;
	else if (json)
		h->body = HB_JSON;
	if ((s = cfg_str(c, g, path, "auth", 0)) != NULL) {
		if (strcmp(s, "none") == 0)
			h->auth = HA_NONE;
		else if (strcmp(s, "basic") == 0)
			h->auth = HA_BASIC;
		else if (strcmp(s, "bearer") == 0)
			h->auth = HA_BEARER;
		else if (strcmp(s, "header") == 0)
			h->auth = HA_HEADER;
		else
			cfg_error(c, config_setting_get_member(g, "auth"), path,
			    "auth",
			    "unknown value \"%s\"; expected \"none\", "
			    "\"basic\", \"bearer\" or \"header\"",
			    s);
		h->auth_header = NULL;
	}
	if ((s = cfg_str(c, g, path, "auth_header", 0)) != NULL) {
		if (*s == '\0' || s[strcspn(s, " \t:\r\n")] != '\0')
			cfg_error(c,
			    config_setting_get_member(g, "auth_header"), path,
			    "auth_header",
			    "\"%s\" is not a header name; expected a name "
			    "such as \"X-Api-Key\"",
			    s);
		h->auth_header = s;
		h->auth = HA_HEADER;
	}
	if ((s = cfg_str(c, g, path, "dlr_url", 0)) != NULL) {
		gwh_check(c, config_setting_get_member(g, "dlr_url"), path,
		    "dlr_url", s, "dlr_url");
		h->dlr_url = *s != '\0' ? s : NULL;
	}
	gwh_success(c, g, path, h);
}

/* Whether a template of f (recursively) uses placeholder name. */
static int
gwh_uses(const struct tfield *f, const char *name)
{
	size_t i;

	if (f->type == TF_STR)
		return f->value != NULL && subst_uses(f->value, name);
	for (i = 0; i < f->nsub; i++)
		if (gwh_uses(&f->sub[i], name))
			return 1;
	return 0;
}

static int
gwh_uses_any(const struct http_tmpl *h, const char *name)
{
	return gwh_uses(&h->headers, name) || gwh_uses(&h->query, name) ||
	    (h->body == HB_FORM && gwh_uses(&h->form, name)) ||
	    (h->body == HB_JSON && gwh_uses(&h->json, name)) ||
	    (h->url != NULL && subst_uses(h->url, name));
}

/* A Kannel delivery report comes back to loa's own listener. */
static void
gwh_kannel_dlr(struct cfg *c, struct http_tmpl *h, const char *listen,
    const char *dlr_token_file)
{
	struct tfield f;

	memset(&f, 0, sizeof(f));
	f.type = TF_GROUP;
	f.nsub = 2;
	f.sub = arena_alloc(c->a, 2 * sizeof(*f.sub));
	memset(f.sub, 0, 2 * sizeof(*f.sub));
	f.sub[0].name = "dlr-mask";
	f.sub[0].value = "31";
	f.sub[1].name = "dlr-url";
	f.sub[1].value = "{dlr_url}";
	/* The report's own secret rides in its URL (Kannel sends no
	 * headers): /dlr checks it. */
	if (h->dlr_url == NULL && dlr_token_file != NULL)
		h->dlr_url = arena_printf(c->a,
		    "http://%s/dlr?id={id}&status=%%d&dlr_token={dlr_token}",
		    listen);
	else if (h->dlr_url == NULL)
		h->dlr_url = arena_printf(c->a,
		    "http://%s/dlr?id={id}&status=%%d", listen);
	h->dlr_token_file = (char *)dlr_token_file;
	gwh_merge(c->a, &h->query, &f);
}

void
svc_gw_http(struct cfg *c, config_setting_t *root, config_setting_t *g,
    const char *path, struct gateway *gw)
{
	struct http_tmpl *h = arena_alloc(c->a, sizeof(*h));
	config_setting_t *listen = config_setting_lookup(root,
	    "loa.http.listen");
	config_setting_t *dtf = config_setting_lookup(root,
	    "loa.http.dlr_token_file");
	const char	 *dlr_token_file = NULL;
	int		  secret, user;
	size_t		  i;

	memset(h, 0, sizeof(*h));
	h->headers.type = h->query.type = TF_GROUP;
	h->form.type = h->json.type = TF_GROUP;
	h->auth = (enum http_auth) - 1; /* not said: from the credentials */
	h->method = "POST";
	gw->http = h;
	if (gw->preset != NULL) {
		for (i = 0; i < sizeof(gwh_presets) / sizeof(gwh_presets[0]);
		     i++)
			if (strcmp(gwh_presets[i].name, gw->preset) == 0)
				break;
		if (i == sizeof(gwh_presets) / sizeof(gwh_presets[0]))
			return; /* reported by the caller */
		{
			config_t   pc;
			struct cfg p = *c;

			config_init(&pc);
			if (config_read_string(&pc, gwh_presets[i].text) !=
			    CONFIG_TRUE)
				fatalx("preset %s: %s", gw->preset,
				    config_error_text(&pc));
			p.file = arena_printf(c->a, "(preset %s)", gw->preset);
			gwh_layer(&p, config_root_setting(&pc), path, h);
			config_destroy(&pc);
		}
		h->preset = gw->preset;
	}
	gwh_layer(c, g, path, h);
	if (gw->preset != NULL && strcmp(gw->preset, "kannel") == 0 &&
	    (listen != NULL || h->dlr_url != NULL)) {
		/* Its path is resolved with the service's (service.c). */
		if (dtf != NULL &&
		    config_setting_type(dtf) == CONFIG_TYPE_STRING)
			dlr_token_file = config_setting_get_string(dtf);
		gwh_kannel_dlr(c, h,
		    listen != NULL &&
			    config_setting_type(listen) == CONFIG_TYPE_STRING ?
			config_setting_get_string(listen) :
			"127.0.0.1:8787",
		    dlr_token_file);
	}
	if (h->url == NULL)
		cfg_error(c, g, path, "url",
		    "missing; expected the gateway's URL, as "
		    "\"http://127.0.0.1:13013/cgi-bin/sendsms\"");
	else if (strncmp(h->url, "http://", 7) != 0 &&
	    strncmp(h->url, "https://", 8) != 0)
		cfg_error(c, config_setting_get_member(g, "url"), path, "url",
		    "\"%s\" is not an http URL; expected http://... or "
		    "https://...",
		    h->url);
	gw->url = h->url;
	gw->method = h->method;

	/* The credentials the template and the auth need are configured. */
	secret = gw->password_env != NULL || gw->password_file != NULL ||
	    gw->token_env != NULL || gw->token_file != NULL;
	user = gw->user != NULL || gw->user_env != NULL;
	if ((gw->password_env != NULL || gw->password_file != NULL) &&
	    (gw->token_env != NULL || gw->token_file != NULL))
		cfg_error(c, g, path, "token_env",
		    "a gateway has one secret; expected password_env or "
		    "password_file, or token_env or token_file, not both");
	if (gw->user != NULL && gw->user_env != NULL)
		cfg_error(c, g, path, "user_env",
		    "the user is given twice; expected user or user_env");
	if ((int)h->auth == -1)
		h->auth = h->auth_header != NULL ? HA_HEADER :
		    !secret			 ? HA_NONE :
		    user			 ? HA_BASIC :
						   HA_BEARER;
	if (h->auth != HA_NONE && !secret)
		cfg_error(c, g, path, "password_env",
		    "the gateway's auth needs a secret; expected "
		    "password_env, password_file, token_env or token_file");
	if (h->auth == HA_HEADER && h->auth_header == NULL)
		cfg_error(c, g, path, "auth_header",
		    "missing; auth = \"header\" needs the header's name, as "
		    "\"X-Api-Key\"");
	if (!secret &&
	    (gwh_uses_any(h, "password") || gwh_uses_any(h, "token")))
		cfg_error(c, g, path, "password_env",
		    "the request uses {password}; expected password_env, "
		    "password_file, token_env or token_file to say where it "
		    "is");
	if (!user && gwh_uses_any(h, "user"))
		cfg_error(c, g, path, "user",
		    "the request uses {user}; expected user or user_env");
	if (strcmp(h->method, "GET") == 0 && h->body != HB_NONE)
		cfg_error(c, g, path, "method",
		    "a GET request has no body; expected query for its "
		    "parameters, or method = \"POST\"");
}
