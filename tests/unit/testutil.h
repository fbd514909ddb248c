/*
 * testutil.h: what the unit suites share: times in a zone, files written
 * and read whole, a temporary tree removed, a test case built from a list
 * and a suite run. Every function fails the running test (Check's
 * ck_assert) rather than return an error.
 */
#ifndef LOA_TESTUTIL_H
#define LOA_TESTUTIL_H

#include <stdint.h>

#include <check.h>

/* The zone of every suite's plans, and a local time of it. */
#define ZONE	      "Asia/Ho_Chi_Minh"
#define LOCAL_TIME(s) tu_time(ZONE, (s))
#define NELEM(a)      (sizeof(a) / sizeof((a)[0]))

/* The instant local time s (YYYY-MM-DD[ HH:MM]) names in zone. */
int64_t tu_time(const char *zone, const char *s);
/* Write text to path, replacing it. */
void	tu_write(const char *path, const char *text);
/* The whole file, NUL-terminated (caller frees), or NULL when it cannot be
 * read. */
char   *tu_slurp(const char *path);
/* How many lines of text hold a and, if not NULL, b. */
int	tu_lines(const char *text, const char *a, const char *b);
/* Remove path and, for a folder, everything in it; silent when absent. */
void	tu_rm_tree(const char *path);
/* A new folder TMPDIR/name.XXXXXX (or under /tmp) in dir, of size len. */
void	tu_mkdtemp(char *dir, size_t len, const char *name);

/*
 * Add the test case name to the suite tu_run runs: its fixture (setup and
 * teardown may each be NULL), a timeout in seconds (0: Check's), and its
 * tests (Check's START_TEST names). tu_case takes them as a NULL-ended
 * list and returns the case, for loop tests to be added to it.
 */
#define TU_CASE(name, setup, teardown, timeout, ...) \
	tu_case((name), (setup), (teardown), (timeout), \
	    (const TTest *const[]){ __VA_ARGS__, NULL })
TCase *tu_case(const char *name, void (*setup)(void), void (*teardown)(void),
    int timeout, const TTest *const *tests);
/*
 * Run the cases added, as the suite name, then free the zones: the exit
 * status, EXIT_SUCCESS when no test failed.
 */
int    tu_run(const char *name);

#endif
