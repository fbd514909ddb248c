/*
 * mimefx.h: what the mail suites (check_mime*.c) share: a mail of the
 * tests (mail), built into msg (build, freed by the fixture), and readers
 * of its parts, headers and MIME tree of their own, so that a bug of
 * loa's cannot hide itself.
 */
#ifndef LOA_MIMEFX_H
#define LOA_MIMEFX_H

#include <stddef.h>

#include "render/mime.h"
#include "util/text.h"
#include "testutil.h"

#define ICS \
	"BEGIN:VCALENDAR\r\nPRODID:-//loa//test//VI\r\nVERSION:2.0\r\n" \
	"METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:x@loa\r\n" \
	"SUMMARY:Hội nghị tổng kết\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

/* The last mail built, and a file a test wrote; the teardown frees them. */
extern char *msg;
extern char *tmpfile_path;

void		 mfx_setup(void);
void		 mfx_teardown(void);
struct mime_mail mail(void);
const char	*build(const struct mime_mail *m);
char		*unb64(const char *s, size_t len, size_t *n);
char		*headers(const char *m);
char		*header(const char *h, const char *name);
void		 tree_of(const char *s, const char *end, struct buf *out);
void		 assert_tree(const char *m, const char *want);
char		*decode_words(const char *v);
int		 utf8_whole(const char *s, size_t n);
void		 assert_crlf(const char *m);
void		 assert_header_lines(const char *m, size_t max);
char		*part(const char *m, const char *type, size_t *n);

#endif
