# Mutations of what the fuzz harnesses (tests/fuzz/) found and was fixed.
MUTATIONS = [
    ("fuzz-ical-bare-cr",
     "a bare CR inside a value ends no iCalendar line",
     "src/render/ical.c",
     "size_t n = strcspn(s, \"\\n\");",
     "size_t n = strcspn(s, \"\\r\\n\");"),
    ("fuzz-ical-no-empty-line",
     "ical_finish writes no empty content line for a line of controls",
     "src/render/ical.c",
     "\t\t\tif (k > 0)\n\t\t\t\tical_fold_line(",
     "\t\t\tif (n > 0)\n\t\t\t\tical_fold_line("),
    ("fuzz-diag-empty",
     "a message with no place, key or words is an empty line",
     "src/util/diag.c",
     "char\t  *own = NULL;",
     "char\t  *own;"),
]
