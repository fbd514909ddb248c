/*
 * capvals.h: the values CAP 1.2 allows (OASIS, cap12.xsd), for the
 * checks of the config and the plan files and for render/cap.c.
 */
#ifndef LOA_CAPVALS_H
#define LOA_CAPVALS_H

/* NULL-terminated tables of CAP's enumerations. */
extern const char *const cap_statuses[];   /* Actual, Exercise, ... */
extern const char *const cap_categories[]; /* Geo, Met, Safety, ... */
extern const char *const cap_urgencies[];
extern const char *const cap_severities[];
extern const char *const cap_certainties[];

/* How many names table v holds. */
int cap_count(const char *const *v);

/*
 * Whether s may be a CAP sender (or identifier): not empty, and no
 * white space, comma, '<' or '&' (CAP 1.2 §3.2.1). 0 or -1.
 */
int cap_sender_ok(const char *s);

#endif
