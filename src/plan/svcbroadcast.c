/*
 * svcbroadcast.c: the broadcast group of the service config
 * (conf/REFERENCE.md §3): the air slots, words_per_minute and the gap,
 * speech (tts), CAP and the spoken rewriting of abbreviations (say), into
 * struct service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "plan/capvals.h"
#include "plan/cfg.h"
#include "plan/service.h"
#include "plan/svcbroadcast.h"
#include "util/subst.h"
#include "util/text.h"
#include "util/arena.h"

static const char *const svc_slot_keys[] = {
	"name",
	"days",
	"start",
	"end",
	NULL,
};

/* "mon-fri", "mon,wed,fri", "mon-sun", "daily" into a mask. */
static int
svc_days(const char *s, unsigned *mask)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu", "fri",
		"sat", "sun" };
	unsigned		 m = 0;
	int			 a, b, i;

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

/* broadcast.cap = { sender; area; status; }: the CAP alerts' (cap.h). */
static void
svc_cap(struct cfg *c, config_setting_t *g, struct service *svc)
{
	static const char *const keys[] = { "sender", "area", "status", NULL };
	config_setting_t	*cap = cfg_group(c, g, "broadcast", "cap");

	if (cap == NULL)
		return;
	cfg_keys(c, cap, "broadcast.cap", keys);
	svc->cap_sender = cfg_str(c, cap, "broadcast.cap", "sender", 0);
	if (svc->cap_sender != NULL && cap_sender_ok(svc->cap_sender) == -1) {
		cfg_error(c, config_setting_get_member(cap, "sender"),
		    "broadcast.cap", "sender",
		    "\"%s\" cannot be a CAP sender; expected one word "
		    "without spaces, commas, '<' or '&', as "
		    "\"ubnd@daison.example\"",
		    svc->cap_sender);
		svc->cap_sender = NULL;
	}
	svc->cap_area = cfg_str(c, cap, "broadcast.cap", "area", 0);
	if (svc->cap_area != NULL && *svc->cap_area == '\0')
		svc->cap_area = NULL;
	if (config_setting_get_member(cap, "status") != NULL)
		svc->cap_status = (char *)
		    cap_statuses[cfg_enum(c, cap, "broadcast.cap", "status",
			cap_statuses, cap_count(cap_statuses), 0)];
}

/*
 * One word of broadcast.say, read aloud as `as` (both checked here): a key
 * with no white space, a value that is not blank.
 */
static void
svc_say_one(struct cfg *c, struct service *svc, const config_setting_t *at,
    const char *path, const char *word, const config_setting_t *val)
{
	const char *p;
	char	   *w, *as;
	struct say *e;
	size_t	    i;

	if (val == NULL || config_setting_type(val) != CONFIG_TYPE_STRING) {
		cfg_error(c, val != NULL ? val : at, path, NULL,
		    "expected a string (how \"%s\" is read aloud), found %s",
		    word, val != NULL ? cfg_type_name(val) : "nothing");
		return;
	}
	if (text_utf8_check(word, strlen(word)) >= 0) {
		cfg_error(c, at, path, NULL,
		    "invalid UTF-8 in a word; the text must be UTF-8");
		return;
	}
	if ((w = cfg_nfc(c, word)) == NULL ||
	    (as = cfg_text(c, val, path, NULL)) == NULL)
		return;
	if (*w == '\0') {
		cfg_error(c, at, path, NULL,
		    "an empty word; expected e.g. \"ĐS\" = \"Đại Sơn\"");
		return;
	}
	for (p = w; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			cfg_error(c, at, path, NULL,
			    "\"%s\" holds white space; a word of say is one "
			    "word, as written in the text",
			    w);
			return;
		}
	if (text_blank(as)) {
		cfg_error(c, val, path, NULL,
		    "how \"%s\" is read aloud is empty; expected words", w);
		return;
	}
	for (i = 0; i < svc->nsay; i++)
		if (strcmp(svc->say[i].word, w) == 0) {
			cfg_error(c, at, path, NULL,
			    "\"%s\" is said twice (first at line %d)", w,
			    svc->say[i].loc.line);
			return;
		}
	e = &svc->say[svc->nsay++];
	e->word = w;
	e->as = as;
	e->loc = cfg_loc(c, at);
}

/* The longest slot name: DAY-NAME.m3u (its temporary .NAME.tmp) in 255. */
#define SLOT_NAME_MAX 100

/*
 * A slot's name: seen (the rundown, the playlist's file name) and what an
 * airing names its slot by, so not blank, not too long for a file name,
 * and the slot's own. 0, or -1 with the error reported.
 */
static int
svc_slot_name(struct cfg *c, const struct service *svc,
    const config_setting_t *e, const char *path, const char *name)
{
	const config_setting_t *at = config_setting_get_member(e, "name");
	size_t			i;

	if (text_blank(name)) {
		cfg_error(c, at, path, "name",
		    "blank; expected the slot's name, as \"Sáng\"");
		return -1;
	}
	if (strlen(name) > SLOT_NAME_MAX) {
		cfg_error(c, at, path, "name",
		    "%zu bytes; at most %d (it names the slot's playlist "
		    "file)",
		    strlen(name), SLOT_NAME_MAX);
		return -1;
	}
	for (i = 0; i < svc->nslots; i++)
		if (strcmp(svc->slots[i].name, name) == 0) {
			cfg_error(c, at, path, "name",
			    "\"%s\" names the slot at line %d too; expected "
			    "a name of its own (\"%s sớm\", \"%s cuối tuần\")",
			    name, svc->slots[i].loc.line, name, name);
			return -1;
		}
	return 0;
}

/*
 * broadcast.say: words read aloud otherwise (render/spoken.h). Either a
 * group of names libconfig allows ({ PAR = "pa"; }) or, for any word, a
 * list of pairs (( "ĐS", "Đại Sơn" ), ...): libconfig 1.5 quotes no names.
 */
static void
svc_say(struct cfg *c, const config_setting_t *g, struct service *svc)
{
	config_setting_t *say = config_setting_get_member(g, "say"), *e;
	int		  i, n;

	if (say == NULL)
		return;
	n = config_setting_length(say);
	svc->say = arena_alloc(c->a,
	    (size_t)(n > 0 ? n : 1) * sizeof(*svc->say));
	if (config_setting_type(say) == CONFIG_TYPE_GROUP) {
		for (i = 0; i < n; i++) {
			e = config_setting_get_elem(say, i);
			svc_say_one(c, svc, e, "broadcast.say", cfg_name(c, e),
			    e);
		}
		return;
	}
	if (config_setting_type(say) != CONFIG_TYPE_LIST &&
	    config_setting_type(say) != CONFIG_TYPE_ARRAY) {
		cfg_error(c, say, "broadcast", "say",
		    "expected a group { WORD = \"words\"; } or a list of "
		    "pairs ( (\"WORD\", \"words\"), ... ), found %s",
		    cfg_type_name(say));
		return;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *w;
		const char *path = arena_printf(c->a, "broadcast.say[%d]", i);

		e = config_setting_get_elem(say, i);
		if ((config_setting_type(e) != CONFIG_TYPE_LIST &&
			config_setting_type(e) != CONFIG_TYPE_ARRAY) ||
		    config_setting_length(e) != 2) {
			cfg_error(c, e, path, NULL,
			    "expected a pair (\"WORD\", \"words\"), found %s",
			    cfg_type_name(e));
			continue;
		}
		w = config_setting_get_elem(e, 0);
		if (config_setting_type(w) != CONFIG_TYPE_STRING) {
			cfg_error(c, w, path, NULL,
			    "expected the word as a string, found %s",
			    cfg_type_name(w));
			continue;
		}
		svc_say_one(c, svc, e, path, config_setting_get_string(w),
		    config_setting_get_elem(e, 1));
	}
}

void
svc_broadcast(struct cfg *c, config_t *cf, struct service *svc)
{
	config_setting_t	*g, *slots, *tts;
	static const char *const keys[] = { "slots", "words_per_minute", "gap",
		"tts", "say", "cap", NULL };
	static const char *const tts_keys[] = { "engine", "voice", "rate",
		"chime", "opening", NULL };
	int			 i, n;

	svc->words_per_minute = 130;
	svc->gap = 5;
	g = cfg_group(c, config_root_setting(cf), NULL, "broadcast");
	/* No slots said (no broadcast section, or one with only tts or
	 * cap): morning and late afternoon, the common practice. */
	if (g == NULL || config_setting_get_member(g, "slots") == NULL) {
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
		if (g == NULL)
			return;
	}
	cfg_keys(c, g, "broadcast", keys);
	cfg_int(c, g, "broadcast", "words_per_minute", &svc->words_per_minute,
	    20, 1000);
	cfg_duration(c, g, "broadcast", "gap", &svc->gap);
	svc_say(c, g, svc);
	svc_cap(c, g, svc);
	if ((tts = cfg_group(c, g, "broadcast", "tts")) != NULL) {
		cfg_keys(c, tts, "broadcast.tts", tts_keys);
		svc->tts_loc = cfg_loc(c, tts);
		svc->tts_engine = cfg_str(c, tts, "broadcast.tts", "engine", 0);
		if (svc->tts_engine != NULL &&
		    strcmp(svc->tts_engine, "espeak-ng") != 0)
			cfg_error(c, config_setting_get_member(tts, "engine"),
			    "broadcast.tts", "engine",
			    "unknown value \"%s\"; "
			    "expected \"espeak-ng\"",
			    svc->tts_engine);
		if (svc->tts_engine == NULL)
			svc->tts_engine = arena_strdup(c->a, "espeak-ng");
		/* The voice and the chime are checked against the library
		 * by speech_install (render/speech.c), at these lines. */
		svc->tts_voice = cfg_str(c, tts, "broadcast.tts", "voice", 0);
		if (svc->tts_voice == NULL)
			svc->tts_voice = arena_strdup(c->a, "vi");
		svc->tts_voice_loc = cfg_loc(c,
		    config_setting_get_member(tts, "voice"));
		/* Slower than espeak's 175: outdoor horns echo between
		 * houses, and 130 (about 177 syllables a minute) stays
		 * clear without dragging. */
		svc->tts_rate = 130;
		cfg_int(c, tts, "broadcast.tts", "rate", &svc->tts_rate, 80,
		    450);
		if ((svc->tts_chime = cfg_str(c, tts, "broadcast.tts", "chime",
			 0)) != NULL)
			svc->tts_chime = cfg_resolve_path(c->a, svc->dir,
			    svc->tts_chime);
		svc->tts_chime_loc = cfg_loc(c,
		    config_setting_get_member(tts, "chime"));
		svc->tts_opening = cfg_str(c, tts, "broadcast.tts", "opening",
		    0);
		if (svc->tts_opening != NULL && svc->tts_opening[0] == '\0')
			svc->tts_opening = NULL;
	}
	slots = config_setting_get_member(g, "slots");
	if (slots == NULL)
		return;
	if (config_setting_type(slots) != CONFIG_TYPE_LIST) {
		cfg_error(c, slots, "broadcast", "slots",
		    "expected a list "
		    "( { ... }, ... ), found %s",
		    cfg_type_name(slots));
		return;
	}
	n = config_setting_length(slots);
	svc->slots = arena_alloc(c->a,
	    (size_t)(n ? n : 1) * sizeof(struct slot));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(slots, i);
		struct slot	 *s = &svc->slots[svc->nslots];
		const char *path = arena_printf(c->a, "broadcast.slots[%d]", i);
		char	   *days;

		memset(s, 0, sizeof(*s));
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_error(c, e, path, NULL,
			    "expected a group { ... }, "
			    "found %s",
			    cfg_type_name(e));
			continue;
		}
		cfg_keys(c, e, path, svc_slot_keys);
		s->loc = cfg_loc(c, e);
		s->name = cfg_str(c, e, path, "name", 1);
		s->days = 0x7f;
		if ((days = cfg_str(c, e, path, "days", 0)) != NULL &&
		    svc_days(days, &s->days) == -1)
			cfg_error(c, config_setting_get_member(e, "days"), path,
			    "days",
			    "\"%s\" is not a set of days; expected "
			    "e.g. \"mon-sun\", \"mon-fri\" or \"mon,wed,fri\"",
			    days);
		if (cfg_hhmm(c, e, path, "start", &s->start, 1) == -1 ||
		    cfg_hhmm(c, e, path, "end", &s->end, 1) == -1 ||
		    s->name == NULL)
			continue;
		if (svc_slot_name(c, svc, e, path, s->name) == -1)
			continue;
		if (s->end <= s->start) {
			cfg_error(c, config_setting_get_member(e, "end"), path,
			    "end",
			    "the slot ends (%02d:%02d) before it starts "
			    "(%02d:%02d); expected an end later the same day",
			    s->end / 60, s->end % 60, s->start / 60,
			    s->start % 60);
			continue;
		}
		svc->nslots++;
	}
}
