/*
 * sms.h: SMS encoding (GSM 03.38 7-bit or UCS-2) and part counts.
 */
#ifndef LOA_SMS_H
#define LOA_SMS_H

#include <stddef.h>

enum sms_encoding {
	SMS_GSM7,
	SMS_UCS2,
};

struct sms_info {
	enum sms_encoding encoding;
	size_t		  units; /* septets (GSM-7) or UTF-16 units */
	int		  parts;
};

/*
 * Work out how valid UTF-8 text would be sent: GSM-7 when every character
 * is in the GSM 03.38 basic or extension table (extension characters take
 * two septets), else UCS-2. A single message holds 160 septets or 70 units;
 * a concatenated one 153 or 67 per part, and no character (escape pair or
 * surrogate pair) is split across parts. Empty text is one part. Can't fail.
 */
void	    sms_analyse(const char *text, struct sms_info *);
/*
 * Text cut to fit max_parts: the longest start of it that ends at a word
 * boundary (else at a character), with "…" after it ("..." when the rest
 * is GSM-7, which has no "…"), into a new string with *si its count.
 * NULL (and *si the count of text) when text fits as it is. Can't fail.
 */
char	   *sms_fit(const char *text, int max_parts, struct sms_info *si);
const char *sms_encoding_name(enum sms_encoding);

#endif
