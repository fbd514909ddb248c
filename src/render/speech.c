/*
 * speech.c: a broadcast read aloud by libespeak-ng, and the cache of its
 * WAVs (see speech.h).
 */
#include <assert.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <espeak-ng/speak_lib.h>
#include <jansson.h>

#include "render/speech.h"
#include "render/spoken.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/buf.h"
#include "util/arena.h"
#include "util/strmap.h"

/* Silence between the chime, the opening line and the item, in ms. */
#define PAUSE_MS 500
/* The largest WAV loa reads back from its cache: hours of speech. */
#define WAV_MAX (512u * 1024 * 1024)
/* What the cache key says of how loa puts the parts together. */
#define FORMAT_TAG "loa-tts 1"

/* The library, once a process. */
static int		   sp_state; /* 0 not tried, 1 up, -1 failed */
static int		   sp_rate;  /* samples a second */
static const char	  *sp_version;
static struct speech_stats sp_stats;
/* espeak-ng and the counters are one process's: the engine and the HTTP
 * API (which loads worlds on its own thread) take turns. */
static pthread_mutex_t	   sp_mu = PTHREAD_MUTEX_INITIALIZER;

/* Samples as the synth callback appends them. */
struct pcm {
	unsigned char *v; /* little-endian 16-bit */
	size_t	       n; /* bytes */
	size_t	       cap;
};

static struct pcm *sp_out;

static void
speech_end(void)
{
	if (sp_state == 1)
		espeak_Terminate();
	sp_state = 0;
}

static int
synth_cb(short *wav, int nsamples, espeak_EVENT *ev)
{
	int i;

	(void)ev;
	if (wav == NULL || nsamples <= 0 || sp_out == NULL)
		return 0;
	xgrow(&sp_out->v, &sp_out->cap, sp_out->n + (size_t)nsamples * 2, 1);
	for (i = 0; i < nsamples; i++) {
		uint16_t s = (uint16_t)wav[i];

		sp_out->v[sp_out->n++] = (unsigned char)(s & 0xff);
		sp_out->v[sp_out->n++] = (unsigned char)(s >> 8);
	}
	return 0;
}

/* Start the library once. 0, or -1 (said once in err). */
static int
speech_init(char *err, size_t errlen)
{
	if (sp_state == 1)
		return 0;
	if (sp_state == -1) {
		snprintf(err, errlen, "espeak-ng could not start");
		return -1;
	}
	sp_rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
	    espeakINITIALIZE_DONT_EXIT);
	if (sp_rate <= 0) {
		sp_state = -1;
		snprintf(err, errlen,
		    "espeak-ng could not start (its data, "
		    "espeak-ng-data, missing?)");
		return -1;
	}
	sp_version = espeak_Info(NULL);
	if (sp_version == NULL)
		sp_version = "?";
	espeak_SetSynthCallback(synth_cb);
	/* Up: sp_rate and sp_version stay as they are from here on, and
	 * the cached path reads them without sp_mu (speech_up()). */
	__atomic_store_n(&sp_state, 1, __ATOMIC_RELEASE);
	atexit(speech_end);
	return 0;
}

/* Whether the library is up: then sp_rate and sp_version are set for
 * good, and may be read without sp_mu. */
static int
speech_up(void)
{
	return __atomic_load_n(&sp_state, __ATOMIC_ACQUIRE) == 1;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

void
speech_wav_header(unsigned char h[44], size_t n, int rate)
{
	/* RIFF sizes are 32 bits; WAV_MAX keeps loa's far below. */
	assert(n <= UINT32_MAX - 36 && rate > 0);
	memcpy(h, "RIFF", 4);
	put32(h + 4, (uint32_t)(36 + n));
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	h[20] = 1; /* PCM */
	h[21] = 0;
	h[22] = 1; /* mono */
	h[23] = 0;
	put32(h + 24, (uint32_t)rate);
	put32(h + 28, (uint32_t)rate * 2); /* bytes a second */
	h[32] = 2;			   /* bytes a frame */
	h[33] = 0;
	h[34] = 16; /* bits a sample */
	h[35] = 0;
	memcpy(h + 36, "data", 4);
	put32(h + 40, (uint32_t)n);
}

/*
 * Read the WAV in b (n bytes): its format into *fmt, *channels, *rate,
 * *bits and where its samples are. 0, or -1 with what it is in err.
 */
static int
wav_parse(const unsigned char *b, size_t n, unsigned *fmt, unsigned *channels,
    unsigned *rate, unsigned *bits, size_t *data, size_t *datalen, char *err,
    size_t errlen)
{
	size_t at = 12;
	int    have_fmt = 0;

	if (n < 12 || memcmp(b, "RIFF", 4) != 0 ||
	    memcmp(b + 8, "WAVE", 4) != 0) {
		snprintf(err, errlen, "not a WAV file (no RIFF/WAVE header)");
		return -1;
	}
	while (at + 8 <= n) {
		uint32_t len = le32(b + at + 4);

		if (memcmp(b + at, "fmt ", 4) == 0 && len >= 16 &&
		    at + 8 + len <= n) {
			*fmt = le16(b + at + 8);
			*channels = le16(b + at + 10);
			*rate = le32(b + at + 12);
			*bits = le16(b + at + 22);
			/* WAVE_FORMAT_EXTENSIBLE: the sub-format's tag. */
			if (*fmt == 0xfffe && len >= 26)
				*fmt = le16(b + at + 32);
			have_fmt = 1;
		} else if (memcmp(b + at, "data", 4) == 0) {
			if (!have_fmt)
				break;
			*data = at + 8;
			*datalen = len <= n - at - 8 ? len : n - at - 8;
			return 0;
		}
		if (len > n - at - 8)
			break;
		at += 8 + len + (len & 1);
	}
	snprintf(err, errlen, "a WAV file without %s",
	    have_fmt ? "its data chunk" : "a format (fmt) chunk");
	return -1;
}

/* Is voice v (NAME or NAME+VARIANT) one of espeak-ng's Vietnamese? */
static int
voice_ok(const char *v)
{
	const espeak_VOICE **vs = espeak_ListVoices(NULL);
	const char	    *plus = strchr(v, '+');
	size_t		     blen = plus ? (size_t)(plus - v) : strlen(v);
	espeak_VOICE	     spec;
	int		     ok = 0;
	size_t		     i;

	for (i = 0; vs != NULL && vs[i] != NULL; i++) {
		const char *lang = vs[i]->languages + 1; /* after priority */

		if (strncmp(lang, "vi", 2) == 0 && strlen(lang) == blen &&
		    strncasecmp(lang, v, blen) == 0)
			ok = 1;
	}
	if (!ok || plus == NULL)
		return ok;
	memset(&spec, 0, sizeof(spec));
	spec.languages = "variant";
	vs = espeak_ListVoices(&spec);
	for (i = 0; vs != NULL && vs[i] != NULL; i++) {
		const char *id = strrchr(vs[i]->identifier, '/');

		id = id ? id + 1 : vs[i]->identifier;
		if (strcasecmp(id, plus + 1) == 0)
			return 1;
	}
	return 0;
}

/* The Vietnamese voices espeak-ng has, for messages: "vi, ...". */
static char *
voice_list(void)
{
	const espeak_VOICE **vs = espeak_ListVoices(NULL);
	struct buf	     b = { 0 };
	size_t		     i;

	for (i = 0; vs != NULL && vs[i] != NULL; i++) {
		const char *lang = vs[i]->languages + 1;

		if (strncmp(lang, "vi", 2) != 0)
			continue;
		if (b.len > 0)
			buf_adds(&b, ", ");
		buf_adds(&b, lang);
	}
	if (b.len == 0)
		buf_adds(&b, "none");
	return buf_take(&b);
}

/* The chime (broadcast.tts.chime) read into svc: PCM 16-bit mono at the
 * library's rate, which is up. */
static void
chime_load(struct service *svc, struct diag *d)
{
	char	 err[256];
	char	*data = NULL;
	size_t	 len, at, n;
	unsigned fmt = 0, ch = 0, rate = 0, bits = 0;

	assert(speech_up() && svc->tts_chime != NULL);
	if (fs_slurp(svc->tts_chime, FS_MAX_FILE, &data, &len, err,
		sizeof(err)) == -1) {
		diag_error(d, &svc->tts_chime_loc, "broadcast.tts.chime", "%s",
		    err);
		return;
	}
	if (wav_parse((unsigned char *)data, len, &fmt, &ch, &rate, &bits, &at,
		&n, err, sizeof(err)) == -1) {
		diag_error(d, &svc->tts_chime_loc, "broadcast.tts.chime",
		    "%s: %s; expected a WAV of PCM 16-bit mono at %d Hz",
		    svc->tts_chime, err, sp_rate);
	} else if (fmt != 1 || ch != 1 || bits != 16 ||
	    rate != (unsigned)sp_rate) {
		diag_error(d, &svc->tts_chime_loc, "broadcast.tts.chime",
		    "%s: a WAV of %s%s, %u channel%s, %u-bit at %u Hz; "
		    "expected "
		    "PCM 16-bit mono at %d Hz (sox IN -r %d -c 1 -b 16 "
		    "OUT.wav)",
		    svc->tts_chime, fmt == 1 ? "PCM" : "format ",
		    fmt == 1 ? "" : (fmt == 3 ? "3 (float)" : "other than PCM"),
		    ch, ch == 1 ? "" : "s", bits, rate, sp_rate, sp_rate);
	} else {
		svc->tts_chime_len = n & ~(size_t)1;
		svc->tts_chime_pcm = arena_alloc(svc->arena,
		    svc->tts_chime_len ? svc->tts_chime_len : 1);
		memcpy(svc->tts_chime_pcm, data + at, svc->tts_chime_len);
	}
	free(data);
}

static void
speech_install_locked(struct service *svc, struct diag *d)
{
	char		  err[256];
	const struct loc *vl;

	if (svc->tts_engine == NULL)
		return;
	vl = svc->tts_voice_loc.line > 0 ? &svc->tts_voice_loc : &svc->tts_loc;
	if (speech_init(err, sizeof(err)) == -1) {
		diag_error(d, &svc->tts_loc, "broadcast.tts", "%s", err);
		return;
	}
	if (!voice_ok(svc->tts_voice)) {
		char *l = voice_list();

		diag_error(d, vl, "broadcast.tts.voice",
		    "espeak-ng has no Vietnamese voice \"%s\"; it has: %s "
		    "(a variant may follow, as in vi+f3)",
		    svc->tts_voice, l);
		free(l);
	}
	if (svc->tts_chime != NULL)
		chime_load(svc, d);
}

/* The cache's folder: tts/ beside the store. From the heap. */
static char *
cache_dir(const struct service *svc)
{
	const char *slash = strrchr(svc->store, '/');

	if (slash == NULL)
		return xstrdup("tts");
	return xasprintf("%.*s/tts", (int)(slash - svc->store), svc->store);
}

/* The cache key of text as svc reads it: 32 hex digits. */
static void
cache_key(const struct service *svc, const char *opening, const char *spoken,
    char key[33])
{
	unsigned long long h = HASH_INIT, g;
	char		   rate[16];
	const char *const  parts[] = { FORMAT_TAG, "espeak-ng", sp_version,
		 svc->tts_voice, rate, opening ? opening : "", spoken };
	size_t		   i;

	/* service_load defaults the voice ("vi") when tts is on. */
	assert(svc->tts_voice != NULL && spoken != NULL);
	snprintf(rate, sizeof(rate), "%d", svc->tts_rate);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		h = hash_bytes(h, parts[i], strlen(parts[i]) + 1);
	h = hash_bytes(h, &svc->tts_chime_len, sizeof(svc->tts_chime_len));
	if (svc->tts_chime_len > 0)
		h = hash_bytes(h, svc->tts_chime_pcm, svc->tts_chime_len);
	/* A second 64 bits: the same bytes again, from the first's end. */
	g = h;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		g = hash_bytes(g ^ (i + 1), parts[i], strlen(parts[i]) + 1);
	if (svc->tts_chime_len > 0)
		g = hash_bytes(g, svc->tts_chime_pcm, svc->tts_chime_len);
	snprintf(key, 33, "%016llx%016llx", h, g);
}

/* Append ms of silence. */
static void
pcm_silence(struct pcm *p, int ms)
{
	size_t n = (size_t)sp_rate * (size_t)ms / 1000 * 2;

	xgrow(&p->v, &p->cap, p->n + n, 1);
	memset(p->v + p->n, 0, n);
	p->n += n;
}

/* Append text read aloud. 0, or -1 with err. */
static int
pcm_say(const struct service *svc, struct pcm *p, const char *text, char *err,
    size_t errlen)
{
	espeak_ERROR rc;

	if (espeak_SetVoiceByName(svc->tts_voice) != EE_OK) {
		snprintf(err, errlen, "espeak-ng has no voice \"%s\"",
		    svc->tts_voice);
		return -1;
	}
	espeak_SetParameter(espeakRATE, svc->tts_rate, 0);
	sp_out = p;
	rc = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
	    espeakCHARS_UTF8, NULL, NULL);
	sp_out = NULL;
	if (rc != EE_OK) {
		snprintf(err, errlen, "espeak-ng could not read it (error %d)",
		    (int)rc);
		return -1;
	}
	return 0;
}

/*
 * The whole WAV: chime, pause, opening line, pause, the item. Into p,
 * header first. 0, or -1 with err.
 */
static int
synthesise(const struct service *svc, const char *opening, const char *spoken,
    struct pcm *p, char *err, size_t errlen)
{
	/* cache_path started the library. */
	assert(sp_state == 1 && sp_rate > 0 && p->n == 0);
	xgrow(&p->v, &p->cap, 44, 1);
	p->n = 44;
	if (svc->tts_chime_len > 0) {
		xgrow(&p->v, &p->cap, p->n + svc->tts_chime_len, 1);
		memcpy(p->v + p->n, svc->tts_chime_pcm, svc->tts_chime_len);
		p->n += svc->tts_chime_len;
		pcm_silence(p, PAUSE_MS);
	}
	if (opening != NULL) {
		if (pcm_say(svc, p, opening, err, errlen) == -1)
			return -1;
		pcm_silence(p, PAUSE_MS);
	}
	if (pcm_say(svc, p, spoken, err, errlen) == -1)
		return -1;
	speech_wav_header(p->v, p->n - 44, sp_rate);
	sp_stats.made++;
	return 0;
}

/*
 * Write data into dir/name once, atomically: a temporary name of this
 * process's own (two loa may write the same entry at once), fsync,
 * rename. 0, or -1 with err.
 */
static int
cache_put(const char *dir, const char *name, const void *data, size_t len,
    char *err, size_t errlen)
{
	if (fs_mkdir_own(dir, err, errlen) == -1)
		return -1;
	return fs_write_atomic(dir, name, data, len, err, errlen);
}

/* Whether the cache's folder is loa's own (not a link planted at its
 * name): else the cache is neither read nor written. */
static int
cache_own(const struct service *svc)
{
	char *dir = cache_dir(svc), why[256];
	int   own = fs_mkdir_own(dir, why, sizeof(why)) == 0;

	free(dir);
	return own;
}

/* The seconds of a WAV of ours (n bytes from b), or -1 if it is not one. */
static double
wav_seconds(const unsigned char *b, size_t n, size_t total)
{
	if (n < 44 || memcmp(b, "RIFF", 4) != 0 ||
	    memcmp(b + 8, "WAVEfmt ", 8) != 0 || le16(b + 20) != 1 ||
	    le16(b + 22) != 1 || le16(b + 34) != 16 ||
	    le32(b + 24) != (uint32_t)sp_rate ||
	    memcmp(b + 36, "data", 4) != 0 || le32(b + 40) != total - 44)
		return -1;
	return (double)(total - 44) / 2 / sp_rate;
}

/* The cached WAV's path for text, the library up. From the heap. */
static char *
cache_path_up(const struct service *svc, const char *text, char **opening,
    char **spoken, char key[33])
{
	char *dir, *path;

	assert(speech_up() && svc->tts_engine != NULL);
	*opening = svc->tts_opening ? spoken_text(svc->tts_opening, svc) : NULL;
	*spoken = spoken_text(text ? text : "", svc);
	cache_key(svc, *opening, *spoken, key);
	dir = cache_dir(svc);
	path = xasprintf("%s/%s.wav", dir, key);
	free(dir);
	return path;
}

/* The cached WAV's path for text, or NULL on failure (err). */
static char *
cache_path(const struct service *svc, const char *text, char **opening,
    char **spoken, char key[33], char *err, size_t errlen)
{
	if (svc->tts_engine == NULL) {
		snprintf(err, errlen, "broadcast.tts is off");
		return NULL;
	}
	if (speech_init(err, errlen) == -1)
		return NULL;
	return cache_path_up(svc, text, opening, spoken, key);
}

/*
 * Synthesise into the cache. With wav not NULL, the bytes are handed to
 * the caller. 0, or -1 with err.
 */
static int
make(const struct service *svc, const char *opening, const char *spoken,
    const char *key, void **wav, size_t *len, double *seconds, char *err,
    size_t errlen)
{
	struct pcm p = { 0 };
	char	   why[256], *dir, *name;

	if (synthesise(svc, opening, spoken, &p, err, errlen) == -1) {
		free(p.v);
		return -1;
	}
	/* A header and whole 16-bit samples. */
	assert(p.n >= 44 && (p.n - 44) % 2 == 0);
	dir = cache_dir(svc);
	name = xasprintf("%s.wav", key);
	/* No cache (a folder loa may not write): the WAV is made again
	 * when it is needed; said once a process. */
	if (cache_put(dir, name, p.v, p.n, why, sizeof(why)) == -1) {
		static int said;

		if (!said++)
			log_warnx("speech cache: %s; speaking without it", why);
	}
	free(dir);
	free(name);
	*seconds = (double)(p.n - 44) / 2 / sp_rate;
	if (wav != NULL) {
		*wav = p.v;
		*len = p.n;
	} else
		free(p.v);
	return 0;
}

/* The seconds of the cached WAV at path: 0, or -1 when it is not there
 * (or not one of ours, or the cache's folder is not loa's own). */
static int
cached_seconds(const struct service *svc, const char *path, double *seconds)
{
	unsigned char hdr[44];
	struct stat   st;
	int	      fd;
	ssize_t	      r = -1;

	if (!cache_own(svc))
		return -1;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
			r = pread(fd, hdr, sizeof(hdr), 0);
		close(fd);
		if (r == (ssize_t)sizeof(hdr) &&
		    (*seconds = wav_seconds(hdr, sizeof(hdr),
			 (size_t)st.st_size)) >= 0)
			return 0;
	}
	return -1;
}

static int
speech_seconds_locked(const struct service *svc, const char *text,
    double *seconds, char *err, size_t errlen)
{
	char key[33], *opening = NULL, *spoken = NULL, *path;
	int  rc;

	if ((path = cache_path(svc, text, &opening, &spoken, key, err,
		 errlen)) == NULL)
		return -1;
	if (cached_seconds(svc, path, seconds) == 0) {
		sp_stats.cached++;
		rc = 0;
	} else
		rc = make(svc, opening, spoken, key, NULL, NULL, seconds, err,
		    errlen);
	free(path);
	free(opening);
	free(spoken);
	return rc;
}

static int
speech_wav_locked(const struct service *svc, const char *text, void **wav,
    size_t *len, double *seconds, char *err, size_t errlen)
{
	char key[33], *opening = NULL, *spoken = NULL, *path, *data = NULL;
	char why[256];
	int  rc;

	if ((path = cache_path(svc, text, &opening, &spoken, key, err,
		 errlen)) == NULL)
		return -1;
	if (cache_own(svc) &&
	    fs_slurp_own(path, WAV_MAX, &data, len, why, sizeof(why)) == 0 &&
	    (*seconds = wav_seconds((unsigned char *)data, *len, *len)) >= 0) {
		sp_stats.cached++;
		*wav = data;
		rc = 0;
		goto out;
	}
	free(data);
	rc = make(svc, opening, spoken, key, wav, len, seconds, err, errlen);
out:
	free(path);
	free(opening);
	free(spoken);
	return rc;
}

/* Each broadcast job of js (plan's only, unless NULL) timed by its WAV:
 * synthesised when the cache has not got it (synth), else left as it is
 * when the cache has not got it. */
static void
durations(const struct service *svc, struct jobs *js, const struct plan *plan,
    struct diag *d, int synth)
{
	char   err[256];
	size_t i;

	for (i = 0; i < js->n; i++) {
		struct job	       *j = &js->v[i];
		const struct named     *n;
		const struct broadcast *b;
		double			s;

		if (j->kind != JK_BROADCAST || j->channel != CH_BROADCAST ||
		    (plan != NULL && j->plan != plan))
			continue;
		n = strmap_get(j->plan->names, j->object);
		if (n == NULL || n->kind != N_BROADCAST)
			continue;
		b = n->p;
		if (!synth) {
			if (speech_cached_seconds(svc, b->text, &s) == 0)
				j->duration = (int)ceil(s);
			continue;
		}
		if (speech_seconds(svc, b->text, &s, err, sizeof(err)) == -1) {
			diag_error(d, &b->loc, b->id, "speech: %s", err);
			continue;
		}
		j->duration = (int)ceil(s);
	}
}

void
speech_durations(const struct service *svc, struct jobs *js,
    const struct plan *plan, struct diag *d)
{
	struct speech_stats before = speech_stats(), after;

	if (svc->tts_engine == NULL)
		return;
	durations(svc, js, plan, d, 1);
	after = speech_stats();
	if (after.made != before.made || after.cached != before.cached)
		log_info("speech: %u synthesised, %u from the cache",
		    after.made - before.made, after.cached - before.cached);
}

/* The cached hook's: from the cache only. */
static void
durations_cached(const struct service *svc, struct jobs *js,
    const struct plan *plan, struct diag *d)
{
	if (svc->tts_engine != NULL)
		durations(svc, js, plan, d, 0);
}

/* The cached hook's: the chime read, when the library is up (else the
 * cache is not looked at: every length an estimate). No voice check:
 * that would wait for a synthesis under way. */
static void
install_cached(struct service *svc, struct diag *d)
{
	if (svc->tts_engine != NULL && svc->tts_chime != NULL && speech_up())
		chime_load(svc, d);
}

int
speech_cached_seconds(const struct service *svc, const char *text,
    double *seconds)
{
	char *opening = NULL, *spoken = NULL, *path, key[33];
	int   rc;

	if (svc->tts_engine == NULL || !speech_up())
		return -1;
	path = cache_path_up(svc, text, &opening, &spoken, key);
	rc = cached_seconds(svc, path, seconds);
	free(path);
	free(opening);
	free(spoken);
	return rc;
}

int
speech_wav_cached(const struct service *svc, const char *text, void **wav,
    size_t *len)
{
	char key[33], *opening = NULL, *spoken = NULL, *path, *data = NULL;
	char why[256];
	int  rc = -1;

	if (svc->tts_engine == NULL || !speech_up())
		return -1;
	path = cache_path_up(svc, text, &opening, &spoken, key);
	if (cache_own(svc) &&
	    fs_slurp_own(path, WAV_MAX, &data, len, why, sizeof(why)) == 0 &&
	    wav_seconds((unsigned char *)data, *len, *len) >= 0) {
		*wav = data;
		data = NULL;
		rc = 0;
	}
	free(data);
	free(path);
	free(opening);
	free(spoken);
	return rc;
}

char *
speech_record(const char *json, const char *id, double seconds)
{
	json_t *o = json_loads(json, 0, NULL);
	char   *s, *audio;

	if (o == NULL)
		return xstrdup(json);
	audio = xasprintf("%s.wav", id);
	json_object_set_new(o, "duration_s",
	    json_real(round(seconds * 1000) / 1000));
	json_object_set_new(o, "audio", json_string(audio));
	free(audio);
	s = json_dumps(o,
	    JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(12));
	json_decref(o);
	if (s == NULL)
		fatalx("broadcast %s: out of memory", id);
	return s;
}

struct speech_stats
speech_stats(void)
{
	struct speech_stats st;

	pthread_mutex_lock(&sp_mu);
	st = sp_stats;
	pthread_mutex_unlock(&sp_mu);
	return st;
}

void
speech_install(struct service *svc, struct diag *d)
{
	pthread_mutex_lock(&sp_mu);
	speech_install_locked(svc, d);
	pthread_mutex_unlock(&sp_mu);
}

int
speech_seconds(const struct service *svc, const char *text, double *seconds,
    char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&sp_mu);
	rc = speech_seconds_locked(svc, text, seconds, err, errlen);
	pthread_mutex_unlock(&sp_mu);
	return rc;
}

int
speech_wav(const struct service *svc, const char *text, void **wav, size_t *len,
    double *seconds, char *err, size_t errlen)
{
	int rc;

	pthread_mutex_lock(&sp_mu);
	rc = speech_wav_locked(svc, text, wav, len, seconds, err, errlen);
	pthread_mutex_unlock(&sp_mu);
	return rc;
}

const struct speech_hook speech_synth = { speech_install, speech_durations };
const struct speech_hook speech_settings = { speech_install, NULL };
const struct speech_hook speech_cached = { install_cached, durations_cached };
