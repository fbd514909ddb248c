/*
 * spoken.h: a broadcast's text rewritten for the ear (conf/REFERENCE.md §7):
 * numbers, dates, times, percentages, ranges, phone numbers, Roman numerals and
 * abbreviations as the Vietnamese words an announcer reads. Pure.
 */
#ifndef LOA_SPOKEN_H
#define LOA_SPOKEN_H

#include "loa.h"

/*
 * The text as read aloud, with the service's `broadcast.say` table (svc
 * NULL: the built-in table alone); README "Text for the ear" has the
 * rules. UTF-8 in (a byte that is not, and a control, is read as a
 * space; NULL as ""), NFC UTF-8 out, linear in the text. Caller frees.
 * Can't fail.
 */
char *spoken_text(const char *text, const struct service *svc);

#endif
