/*
 * text.h: UTF-8 text: validation, NFC normalisation and diacritic folding,
 * all through utf8proc.
 */
#ifndef LOA_TEXT_H
#define LOA_TEXT_H

#include <stddef.h>

/*
 * Check that the n bytes at s are valid UTF-8 without NUL bytes. Returns
 * -1 when they are, else the offset of the first bad byte.
 */
long text_utf8_check(const char *s, size_t n);

/* The 1-based line of offset off in s. Can't fail. */
int text_line_of(const char *s, size_t off);

/*
 * Return s normalised to NFC, newly allocated (caller frees), or NULL when
 * s is not valid UTF-8.
 */
char *text_nfc(const char *s);

/*
 * Return s with Vietnamese diacritics removed (NFD, marks stripped, then
 * đ->d and Đ->D), newly allocated, or NULL when s is not valid UTF-8.
 */
char *text_fold(const char *s);

/*
 * s made safe for a terminal, one line: C0 controls (CR, LF, ESC, ...),
 * DEL and each byte of no valid UTF-8 sequence written as \xNN, the C1
 * controls U+0080..U+009F (NEL) and the line and paragraph separators
 * U+2028, U+2029 as \uNNNN, a backslash as \\; everything else as is. Newly allocated (caller frees); NULL gives
 * NULL. Can't fail.
 */
char *text_escape(const char *s);

/*
 * s itself when nothing in it needs escaping, else its escape (as
 * text_escape), which *owned then holds for the caller to free (*owned is
 * NULL otherwise). For output of many rows: no copy of clean text.
 */
const char *text_safe(const char *s, char **owned);

/*
 * What a peer sent (n bytes at s, any bytes at all: a gateway's answer, a
 * mail server's reply, a delivery report) made safe to keep and to show on
 * one line: each invalid UTF-8 sequence becomes U+FFFD, NUL, every control
 * (C0, DEL, C1 with NEL) and the Unicode line and paragraph separators
 * (U+2028, U+2029) a space; cut on a character boundary so that it holds
 * at most max bytes, "..." (U+2026) ending a cut text. Newly allocated
 * (caller frees); NULL s gives "". Can't fail.
 */
char *text_peer(const char *s, size_t n, size_t max);

/* text_peer of a C string with no bound: one line of valid UTF-8. */
char *text_oneline(const char *s);

/*
 * C string s with each invalid UTF-8 sequence replaced by U+FFFD, all else
 * as is (line breaks and controls too): for a writer of JSON or XML, which
 * escapes those but cannot carry invalid bytes. Newly allocated (caller
 * frees); NULL gives NULL. Can't fail.
 */
char *text_valid(const char *s);

/*
 * JSON text s (as jansson writes it, which leaves them raw) with NEL
 * (U+0085) and the line and paragraph separators (U+2028, U+2029) written
 * as \u escapes: the same value, one line to any reader that splits on
 * Unicode line breaks. Newly allocated (caller frees). Can't fail.
 */
char *text_json_breaks(const char *s);

/*
 * Whether s says nothing a reader would see: NULL, empty, or only white
 * space of any script (U+00A0, U+3000 ...), controls and invisible format
 * characters (U+200B, U+FEFF ...). Invalid UTF-8 is not blank.
 */
int text_blank(const char *s);

/* Number of code points in valid UTF-8 s. */
size_t text_codepoints(const char *s);

/*
 * "addr" or "Name <addr>" (a gateway's from, sender or reply_to, checked
 * by the service config) as the name (*name, NULL when none) and the
 * address apart; the name is what comes before the last '<' (an address
 * holds none), without the quotes it may be written in. Caller frees.
 */
void text_addr_split(const char *spec, char **name, char **addr);

#endif
