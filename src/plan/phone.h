/*
 * phone.h: phone numbers to E.164, with the Vietnamese numbering rules.
 */
#ifndef LOA_PHONE_H
#define LOA_PHONE_H

#include <stddef.h>

/*
 * Normalise the phone number in as to E.164 ("+84912345678") into out.
 * Accepted: spaces, dots, dashes and parentheses anywhere; "+84", "0084",
 * "84" or "0" before a Vietnamese national number; the pre-2018 11-digit
 * mobile prefixes (0162 -> 032 and so on) are mapped to today's. Numbers
 * of other countries are accepted in "+CC..." form (8 to 15 digits).
 * Returns 0, or -1 with a reason in err.
 */
int
phone_e164(const char *in, char *out, size_t outlen, char *err, size_t errlen);

#endif
