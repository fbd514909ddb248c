/*
 * buf.h: a growing, always NUL-terminated byte buffer.
 */
#ifndef LOA_BUF_H
#define LOA_BUF_H

#include <stddef.h>

#include "util/log.h"

struct buf {
	char  *s;
	size_t len;
	size_t cap;
};

void  buf_add(struct buf *, const void *, size_t);
void  buf_adds(struct buf *, const char *);
void  buf_addc(struct buf *, char);
void  buf_printf(struct buf *, const char *, ...) LOA_PRINTF(2, 3);
void  buf_reset(struct buf *);
/* Take the string out of the buffer; the caller owns it, buf is emptied. */
char *buf_take(struct buf *);
void  buf_free(struct buf *);
/* The n bytes at p appended as base64 (RFC 4648), without line breaks. */
void  buf_base64(struct buf *, const void *p, size_t n);

#endif
