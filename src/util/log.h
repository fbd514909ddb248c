/*
 * log.h: diagnostics for loa, in the OpenSMTPD style.
 *
 * Everything goes to stderr. log_warn appends strerror(errno); log_warnx
 * does not. fatal and fatalx log and exit with status 3 (runtime failure).
 */
#ifndef LOA_LOG_H
#define LOA_LOG_H

#include <stdarg.h>

#define LOA_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Verbosity: 0 warnings and errors only, 1 info, 2 debug. */
void	       log_init(int verbose);
int	       log_verbose(void);
void	       log_warn(const char *, ...) LOA_PRINTF(1, 2);
void	       log_warnx(const char *, ...) LOA_PRINTF(1, 2);
void	       log_info(const char *, ...) LOA_PRINTF(1, 2);
void	       log_debug(const char *, ...) LOA_PRINTF(1, 2);
_Noreturn void fatal(const char *, ...) LOA_PRINTF(1, 2);
_Noreturn void fatalx(const char *, ...) LOA_PRINTF(1, 2);

#endif
