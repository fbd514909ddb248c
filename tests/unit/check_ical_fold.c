/*
 * check_ical_fold.c: ical_fold_line, ical_unfold and ical_finish, tested
 * directly (conf/REFERENCE.md §7): lines of at most 75 octets that never split
 * a UTF-8 sequence, and unfolding gives the text back.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <utf8proc.h>

#include "render/ical.h"
#include "util/text.h"
#include "util/buf.h"
#include "icalfx.h"

/* Folding, unfolding and finishing, directly. */

/* Fold s with ical_fold_line; check it and that unfolding gives s back. */
static void
fold_roundtrip(const char *s, size_t len, const char *what)
{
	struct buf b = { 0 };
	char	  *un, *un2;

	ical_fold_line(&b, s, len);
	ck_assert_ptr_nonnull(b.s);
	check_lines(b.s, what, 0);
	ck_assert_msg(b.len >= 2 && memcmp(b.s + b.len - 2, "\r\n", 2) == 0,
	    "%s: no final CRLF", what);
	un = unfold(b.s);
	un2 = ical_unfold(b.s);
	ck_assert_msg(strlen(un) == len + 2 && memcmp(un, s, len) == 0 &&
		strcmp(un + len, "\r\n") == 0,
	    "%s: unfolding does not give the "
	    "line back",
	    what);
	ck_assert_str_eq(un2, un);
	free(un);
	free(un2);
	buf_free(&b);
}

/* Physical lines of a folded text. */
static size_t
nlines(const char *s)
{
	size_t n = 0;

	for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
		n++;
	return n;
}

START_TEST(test_fold_lengths)
{
	char	   s[200];
	struct buf b = { 0 };

	memset(s, 'x', sizeof(s));
	/* Up to 75 octets: one line; 76: two, the second " x". */
	ical_fold_line(&b, s, 75);
	ck_assert_uint_eq(b.len, 77);
	ck_assert_uint_eq(nlines(b.s), 1);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, s, 76);
	ck_assert_uint_eq(nlines(b.s), 2);
	ck_assert_str_eq(b.s + 77, " x\r\n");
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	/* 75 + 74 fill two lines exactly; one more makes three. */
	ical_fold_line(&b, s, 149);
	ck_assert_uint_eq(nlines(b.s), 2);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, s, 150);
	ck_assert_uint_eq(nlines(b.s), 3);
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	ical_fold_line(&b, "", 0);
	ck_assert_str_eq(b.s, "\r\n");
	buf_free(&b);
	fold_roundtrip(s, 0, "empty");
	fold_roundtrip(s, 1, "1 octet");
	fold_roundtrip(s, 200, "200 octets");
}
END_TEST

START_TEST(test_fold_utf8_boundaries)
{
	/* A 2-, 3- and 4-byte character at every offset around the cut. */
	static const char *chars[] = { "đ", "ệ", "\xf0\x9f\x98\x80", "Ự", "̣" };
	size_t		   c, k, rep;

	for (c = 0; c < NELEM(chars); c++)
		for (k = 68; k <= 78; k++)
			for (rep = 1; rep <= 60; rep += 59) {
				char   s[1024], what[64];
				size_t len = k, r;

				memset(s, 'a', k);
				for (r = 0; r < rep; r++) {
					memcpy(s + len, chars[c],
					    strlen(chars[c]));
					len += strlen(chars[c]);
				}
				snprintf(what, sizeof(what), "%s at %zu x%zu",
				    chars[c], k, rep);
				fold_roundtrip(s, len, what);
			}
}
END_TEST

/* xorshift64*: the property tests' PRNG, seeded, reproducible. */
/* Append code point cp as UTF-8. */
static void
put_cp(struct buf *b, unsigned cp)
{
	utf8proc_uint8_t u[4];
	utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, u);

	buf_add(b, u, (size_t)n);
}

START_TEST(test_fold_random_utf8)
{
	size_t run;

	rng_state = PROP_SEED ^ 0x1;
	for (run = 0; run < 2000; run++) {
		struct buf b = { 0 };
		size_t	   n = rng(300), i;
		char	   what[64];

		for (i = 0; i < n; i++) {
			switch (rng(4)) {
			case 0:
				put_cp(&b, 0x20 + rng(0x5f));
				break;
			case 1:
				put_cp(&b, 0xa0 + rng(0x700));
				break;
			case 2:
				put_cp(&b, 0x1e00 + rng(0x100));
				break;
			default:
				put_cp(&b, 0x1f300 + rng(0x300));
				break;
			}
		}
		snprintf(what, sizeof(what), "random line %zu", run);
		fold_roundtrip(b.s ? b.s : "", b.len, what);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_unfold)
{
	char *s;

	s = ical_unfold("SUMMARY:Hội\r\n nghị\r\n\t tổng\n kết\r\nX:1\r\n");
	ck_assert_str_eq(s, "SUMMARY:Hộinghị tổngkết\r\nX:1\r\n");
	free(s);
	/* A CRLF not followed by white space stays. */
	s = ical_unfold("A:1\r\nB:2\r\n");
	ck_assert_str_eq(s, "A:1\r\nB:2\r\n");
	free(s);
	s = ical_unfold("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

/* ical_finish(in) must be exactly want. */
static void
finish_is(const char *in, const char *want)
{
	char *out = ical_finish(in);

	ck_assert_ptr_nonnull(out);
	check_physical(out, in);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(test_finish_quotes)
{
	/* A non-ASCII CN gets quotes; an ASCII one keeps none. */
	finish_is("ORGANIZER;CN=Đào Văn Soái:mailto:soai@x.example\r\n",
	    "ORGANIZER;CN=\"Đào Văn Soái\":mailto:soai@x.example\r\n");
	finish_is("ATTENDEE;CN=Mai Kim Oanh;ROLE=CHAIR:mailto:o@x\r\n",
	    "ATTENDEE;CN=Mai Kim Oanh;ROLE=CHAIR:mailto:o@x\r\n");
	/* In the middle of the parameters. */
	finish_is("ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Lê Lan;RSVP=TRUE:mailto:l@x"
		  "\r\n",
	    "ATTENDEE;ROLE=REQ-PARTICIPANT;CN=\"Lê Lan\";RSVP=TRUE:"
	    "mailto:l@x\r\n");
	/* Already quoted: left alone, ':' and ';' inside included. */
	finish_is("ATTENDEE;CN=\"Lê: Lan; Hà\":mailto:l@x\r\n",
	    "ATTENDEE;CN=\"Lê: Lan; Hà\":mailto:l@x\r\n");
	/* A value with ';' and non-ASCII is not a parameter. */
	finish_is("SUMMARY:Hội nghị\\;CN=Lê\r\n",
	    "SUMMARY:Hội nghị\\;CN=Lê\r\n");
	finish_is("X-WR-CALNAME:Ủy ban;x=ý\r\n", "X-WR-CALNAME:Ủy ban;x=ý\r\n");
	/* Folded input is unfolded first; LF-only input gets CRLF. */
	finish_is("ATTENDEE;CN=Nguy\r\n ễn Lan:mailto:\r\n l@x\r\n",
	    "ATTENDEE;CN=\"Nguyễn Lan\":mailto:l@x\r\n");
	finish_is("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n",
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
	/* A bare CR inside a value (libical writes it as it is) ends no
	 * line: it is dropped as a control, never a line of its own. */
	finish_is("ATTENDEE;CN=Lan:mailto:l@x\rBEGIN:VALARM\r\nEND:VEVENT\r\n",
	    "ATTENDEE;CN=Lan:mailto:l@xBEGIN:VALARM\r\nEND:VEVENT\r\n");
	/* A line of nothing but controls is no empty content line. */
	finish_is("BEGIN:VTODO\r\n\x01\x1b\r\n\r\rEND:VTODO\r\n",
	    "BEGIN:VTODO\r\nEND:VTODO\r\n");
}
END_TEST

START_TEST(test_finish_refolds)
{
	struct buf in = { 0 };
	char	  *out, *un;
	size_t	   i;

	/* A long line, folded the way libical folds (inside a sequence is
	 * what we must never do), comes out folded at 75 octets. */
	buf_adds(&in, "DESCRIPTION:");
	for (i = 0; i < 80; i++)
		buf_adds(&in, "Tổng kết\\, đánh giá ");
	buf_adds(&in, "\r\n");
	out = ical_finish(in.s);
	check_physical(out, "refolded DESCRIPTION");
	un = unfold(out);
	ck_assert_str_eq(un, in.s);
	free(un);
	free(out);
	buf_free(&in);
}
END_TEST

int
main(void)
{
	TU_CASE("fold", NULL, ifx_teardown, 0, test_fold_lengths,
	    test_fold_utf8_boundaries, test_fold_random_utf8, test_unfold,
	    test_finish_quotes, test_finish_refolds);
	atexit(icalmemory_free_ring);
	return tu_run("ical-fold");
}
