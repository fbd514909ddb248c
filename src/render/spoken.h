/*
 * spoken.h: a broadcast's text rewritten for the ear (SPEC §9): numbers,
 * dates, times, percentages, ranges, phone numbers, Roman numerals and
 * abbreviations as the Vietnamese words an announcer reads. Pure.
 */
#ifndef LOA_SPOKEN_H
#define LOA_SPOKEN_H

#include "loa.h"

/*
 * The text as read aloud, with the service's `broadcast.say` table (svc
 * NULL: the built-in table alone). NFC UTF-8 in, NFC UTF-8 out. Caller
 * frees. Can't fail.
 */
char *spoken_text(const char *text, const struct service *svc);

#endif
