/*
 * speech.h: a broadcast read aloud in Vietnamese by libespeak-ng
 * (conf/REFERENCE.md §3, broadcast.tts): the optional chime, the announcer's
 * opening line and the item's spoken text (render/spoken.h), as one WAV in
 * memory (RIFF, PCM 16-bit mono at the synthesiser's rate, 22,050 Hz for
 * espeak-ng).
 *
 * Every WAV is kept in a content-addressed cache, the folder tts/ beside
 * the store (var/tts/ next to var/loa.db), so a reload or a second command
 * does not synthesise the same item again. The library is not thread-safe
 * and is initialised once a process: call these from one thread only.
 */
#ifndef LOA_SPEECH_H
#define LOA_SPEECH_H

#include <stddef.h>

#include "plan/service.h"
#include "util/diag.h"
#include "loa.h"

/* What one process synthesised and found in the cache so far. */
struct speech_stats {
	unsigned made;	 /* synthesised */
	unsigned cached; /* read from the cache */
};

/*
 * The hooks that loading a world is handed (plan/service.h): speech_synth
 * checks the settings and places each item with its WAV's real length
 * (synthesised into the cache when it is not there); speech_settings
 * only checks the settings (`loa check`: the library is started, nothing
 * is synthesised or written); speech_cached places each item whose WAV
 * the cache has with its real length and leaves the others' estimates,
 * never synthesising nor waiting for a synthesis under way in another
 * thread (the HTTP API's: the service synthesises).
 */
extern const struct speech_hook speech_synth;
extern const struct speech_hook speech_settings;
extern const struct speech_hook speech_cached;

/*
 * From the cache only, never waiting for the library (see speech_cached):
 * the length in seconds of text read aloud as svc says, or its WAV (caller
 * frees). 0, or -1 when the cache has not got it (or tts is off, or the
 * library is not up in this process).
 */
int speech_cached_seconds(const struct service *svc, const char *text,
    double *seconds);
int speech_wav_cached(const struct service *svc, const char *text, void **wav,
    size_t *len);

/*
 * With broadcast.tts on: start the library, check the voice against its
 * list and read the chime (PCM 16-bit mono at the synthesiser's rate),
 * each error at its FILE:LINE in d. Keeps the chime's samples in svc.
 * Does nothing with tts off.
 */
void speech_install(struct service *svc, struct diag *d);

/*
 * The length in seconds of text read aloud as svc says (the chime, the
 * opening line, text through spoken_text), from the cache or synthesised
 * into it. Returns 0, or -1 with why in err (the text could not be
 * synthesised).
 */
int speech_seconds(const struct service *svc, const char *text, double *seconds,
    char *err, size_t errlen);

/*
 * The WAV of text read aloud, as speech_seconds, into *wav (caller frees)
 * and *len, its length in seconds into *seconds. 0, or -1 with err.
 */
int speech_wav(const struct service *svc, const char *text, void **wav,
    size_t *len, double *seconds, char *err, size_t errlen);

/*
 * Each broadcast job's duration (seconds, rounded up) becomes the real
 * length of its WAV; a failure is an error at the broadcast's FILE:LINE
 * in d. Only plan's jobs when plan is not NULL. Does nothing with tts
 * off. Reached through speech_synth, before placement.
 */
void speech_durations(const struct service *svc, struct jobs *js,
    const struct plan *plan, struct diag *d);

/*
 * The broadcast record json (render/broadcast.h) with its duration_s the
 * WAV's exact length (to the millisecond) and audio "ID.wav". Caller
 * frees. Can't fail.
 */
char *speech_record(const char *json, const char *id, double seconds);

/* The WAV header of n bytes of PCM 16-bit mono at rate Hz, 44 bytes. */
void speech_wav_header(unsigned char hdr[44], size_t n, int rate);

/* The counts so far. */
struct speech_stats speech_stats(void);

#endif
