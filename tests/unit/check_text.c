/*
 * check_text.c: unit tests for text.h (UTF-8 validation, line numbers,
 * NFC, diacritic folding, code point counts), phone.h (Vietnamese and
 * foreign numbers to E.164) and sms.h (GSM-7 / UCS-2 encoding and part
 * counts, conf/REFERENCE.md §6 and 3GPP TS 23.038).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/phone.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/sms.h"
#include "util/text.h"
#include "testutil.h"


/* Byte strings with their length, NUL bytes included. */
#define BYTES(s) s, sizeof(s) - 1

/* n copies of unit, newly allocated. */
static char *
rep(const char *unit, size_t n)
{
	size_t ul = strlen(unit), i;
	char  *s;

	s = malloc(ul * n + 1);
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* UTF-8 validation. */

struct utf8_case {
	const char *label;
	const char *s;
	size_t	    n;
	long	    want;
};

static const struct utf8_case utf8_cases[] = {
	{ "valid Vietnamese", BYTES("Kính gửi ông Đào Văn Soái"), -1 },
	{ "valid, every tone", BYTES("à á ả ã ạ ằ ắ ẳ ẵ ặ ề ế ể ễ ệ ừ ứ ử ữ ự"),
	    -1 },
	{ "empty", BYTES(""), -1 },
	{ "valid emoji", BYTES("ok \xf0\x9f\x98\x80"), -1 },
	{ "truncated 3-byte sequence", BYTES("ab\xe1\xba"), 2 },
	{ "truncated at the start", BYTES("\xe1"), 0 },
	{ "truncated 4-byte sequence", BYTES("x\xf0\x9f\x98"), 1 },
	{ "n cuts a sequence", "abc\xe1\xba\xbf", 5, 3 },
	{ "overlong 2-byte '/'", BYTES("a\xc0\xaf"), 1 },
	{ "overlong 3-byte '/'", BYTES("ab\xe0\x80\xaf"), 2 },
	{ "lone continuation byte", BYTES("Hu\x80"), 2 },
	{ "continuation byte first", BYTES("\xbf"), 0 },
	{ "0xff", BYTES("Hu\xff"), 2 },
	{ "surrogate", BYTES("x\xed\xa0\x80"), 1 },
	{ "beyond U+10FFFF", BYTES("\xf4\x90\x80\x80"), 0 },
	{ "NUL byte", BYTES("ab\0cd"), 2 },
	{ "NUL after a multibyte letter", BYTES("\xe1\xba\xbf\0"), 3 },
	{ "bad byte on a later line", BYTES("Đại Sơn\nxã\xff"), 15 },
};

START_TEST(test_utf8_check)
{
	const struct utf8_case *c = &utf8_cases[_i];
	long			got;

	got = text_utf8_check(c->s, c->n);
	ck_assert_msg(got == c->want, "%s: text_utf8_check = %ld, want %ld",
	    c->label, got, c->want);
}
END_TEST

START_TEST(test_line_of)
{
	const char *s = "a\nb\nc";
	const char *t = "Đại Sơn\nxã\xff";

	ck_assert_int_eq(text_line_of(s, 0), 1);
	ck_assert_int_eq(text_line_of(s, 1), 1); /* the '\n' itself */
	ck_assert_int_eq(text_line_of(s, 2), 2);
	ck_assert_int_eq(text_line_of(s, 4), 3);
	ck_assert_int_eq(text_line_of(s, 100), 3); /* stops at NUL */
	ck_assert_int_eq(text_line_of("", 0), 1);
	ck_assert_int_eq(text_line_of("\n\n\n", 3), 4);
	/* With text_utf8_check: where the bad byte is. */
	ck_assert_int_eq(text_line_of(t, (size_t)text_utf8_check(t, strlen(t))),
	    2);
}
END_TEST

/* NFC and folding. */

struct map_case {
	const char *label;
	const char *in;
	const char *want; /* NULL: must fail */
};

static const struct map_case nfc_cases[] = {
	{ "ê + combining tilde", "Nguy\xc3\xaa\xcc\x83n", "Nguyễn" },
	{ "fully decomposed", "Nguye\xcc\x82\xcc\x83n", "Nguyễn" },
	{ "o + grave",
	    "Ho\xcc\x80"
	    "a",
	    "Hòa" },
	{ "d + horn + grave: ườ", "\xc4\x91u\xcc\x9bo\xcc\x9b\xcc\x80ng",
	    "đường" },
	{ "already NFC", "Ủy ban nhân dân xã Đại Sơn",
	    "Ủy ban nhân dân xã Đại Sơn" },
	{ "ASCII unchanged", "UBND xa Dai Son 129/KH-UBND",
	    "UBND xa Dai Son 129/KH-UBND" },
	{ "empty", "", "" },
	{ "invalid UTF-8", "Hu\xff", NULL },
};

START_TEST(test_nfc)
{
	const struct map_case *c = &nfc_cases[_i];
	char		      *got;

	got = text_nfc(c->in);
	if (c->want == NULL)
		ck_assert_msg(got == NULL,
		    "%s: text_nfc gave \"%s\", want "
		    "NULL",
		    c->label, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, c->want) == 0,
		    "%s: text_nfc gave \"%s\", want \"%s\"", c->label,
		    got != NULL ? got : "(null)", c->want);
	free(got);
}
END_TEST

static const struct map_case fold_cases[] = {
	{ "city and province", "ĐÀ NẴNG, Thừa Thiên Huế",
	    "DA NANG, Thua Thien Hue" },
	{ "đ", "đ", "d" },
	{ "Đ", "Đ", "D" },
	{ "đường", "đường", "duong" },
	{ "horn letters", "ơ ư Ơ Ư", "o u O U" },
	{ "greeting", "Kính gửi ông Đào Văn Soái",
	    "Kinh gui ong Dao Van Soai" },
	{ "issuer", "Ủy ban nhân dân xã Đại Sơn",
	    "Uy ban nhan dan xa Dai Son" },
	{ "NFD input", "Nguye\xcc\x82\xcc\x83n", "Nguyen" },
	{ "ASCII unchanged", "Hoi nghi 08:00 {ok}", "Hoi nghi 08:00 {ok}" },
	{ "empty", "", "" },
	{ "invalid UTF-8", "\xff", NULL },
};

START_TEST(test_fold)
{
	const struct map_case *c = &fold_cases[_i];
	char		      *got;

	got = text_fold(c->in);
	if (c->want == NULL)
		ck_assert_msg(got == NULL,
		    "%s: text_fold gave \"%s\", want "
		    "NULL",
		    c->label, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, c->want) == 0,
		    "%s: text_fold gave \"%s\", want \"%s\"", c->label,
		    got != NULL ? got : "(null)", c->want);
	free(got);
}
END_TEST

START_TEST(test_codepoints)
{
	char *n;

	ck_assert_uint_eq(text_codepoints(""), 0);
	ck_assert_uint_eq(text_codepoints("abc"), 3);
	ck_assert_uint_eq(text_codepoints("Nguyễn"), 6);
	ck_assert_uint_eq(text_codepoints("Nguye\xcc\x82\xcc\x83n"), 8);
	ck_assert_uint_eq(text_codepoints("Đà Nẵng"), 7);
	ck_assert_uint_eq(text_codepoints("\xf0\x9f\x98\x80"), 1);
	/* NFC first, then count: NFD "Nguyễn" is 6 after normalising. */
	n = text_nfc("Nguye\xcc\x82\xcc\x83n");
	ck_assert_ptr_nonnull(n);
	ck_assert_uint_eq(text_codepoints(n), 6);
	free(n);
}
END_TEST

/* Phone numbers. */

struct phone_case {
	const char *in;
	const char *want; /* NULL: invalid */
};

static const struct phone_case phone_cases[] = {
	{ "0912 345 678", "+84912345678" },
	{ "0912345678", "+84912345678" },
	{ "0983.456.789", "+84983456789" },
	{ "+84 35 123 4567", "+84351234567" },
	{ "0702-123-456", "+84702123456" },
	{ "(+84) 912345678", "+84912345678" },
	{ "0084912345678", "+84912345678" },
	{ "84912345678", "+84912345678" },
	{ "+84912345678", "+84912345678" },
	{ "+84 0912345678", "+84912345678" },
	{ "0869 123 456", "+84869123456" },
	{ "0599 123 456", "+84599123456" },
	/* Pre-2018 11-digit mobiles. */
	{ "01629 123 456", "+84329123456" },
	{ "0169 123 4567", "+84391234567" },
	{ "0123 456 7890", "+84834567890" },
	{ "0120 123 4567", "+84701234567" },
	{ "0121 123 4567", "+84791234567" },
	{ "0127 123 4567", "+84811234567" },
	{ "0186 123 4567", "+84561234567" },
	{ "0199 123 4567", "+84591234567" },
	{ "+84 1629 123 456", "+84329123456" },
	/* Landlines, 02xx area codes. */
	{ "024 3825 1234", "+842438251234" },
	{ "(028) 3829 1234", "+842838291234" },
	{ "+84 24 3825 1234", "+842438251234" },
	/* Other countries. */
	{ "+1 202 555 0143", "+12025550143" },
	{ "+44 20 7946 0958", "+442079460958" },
	{ "001 202 555 0143", "+12025550143" },
	/* Invalid. */
	{ "0912abc678", NULL },
	{ "so-dien-thoai", NULL },
	{ "0123", NULL },
	{ "0912 345 67", NULL },
	{ "0912 345 6789", NULL },
	{ "+84 12 345 678", NULL },
	{ "0412345678", NULL },
	{ "0112 345 678", NULL },
	{ "0130 123 4567", NULL },
	{ "912345678", NULL },
	{ "", NULL },
	{ "+", NULL },
	{ "0912+345678", NULL },
	{ "+1 234", NULL },
};

START_TEST(test_phone)
{
	const struct phone_case *c = &phone_cases[_i];
	char			 out[64] = "", err[256] = "";
	int			 r;

	r = phone_e164(c->in, out, sizeof(out), err, sizeof(err));
	if (c->want != NULL) {
		ck_assert_msg(r == 0, "phone_e164(\"%s\") failed: %s", c->in,
		    err);
		ck_assert_msg(strcmp(out, c->want) == 0,
		    "phone_e164(\"%s\") = \"%s\", want \"%s\"", c->in, out,
		    c->want);
	} else {
		ck_assert_msg(r == -1, "phone_e164(\"%s\") accepted as \"%s\"",
		    c->in, out);
		ck_assert_msg(err[0] != '\0', "phone_e164(\"%s\"): no reason",
		    c->in);
	}
}
END_TEST

/* SMS encoding and parts. */

struct sms_case {
	const char	 *label;
	const char	 *unit; /* repeated count times */
	size_t		  count;
	const char	 *tail; /* appended, then unit2 */
	const char	 *unit2;
	size_t		  count2;
	enum sms_encoding enc;
	size_t		  units;
	int		  parts;
};

#define VN    "\xe1\xbb\xaf"	 /* ữ, one UCS-2 unit */
#define EMOJI "\xf0\x9f\x98\x80" /* two UCS-2 units */
#define SEED142 \
	"UBND xã Đại Sơn kính mời đồng chí dự Hội nghị tổng kết " \
	"công tác cải cách hành chính năm 2025 lúc 08 giờ 00 ngày " \
	"26/12/2025 tại Phòng họp gác 3"

static const struct sms_case sms_cases[] = {
	{ "empty", "", 0, "", "", 0, SMS_GSM7, 0, 1 },
	{ "hello", "Hello", 1, "", "", 0, SMS_GSM7, 5, 1 },
	{ "160 ASCII", "a", 160, "", "", 0, SMS_GSM7, 160, 1 },
	{ "161 ASCII", "a", 161, "", "", 0, SMS_GSM7, 161, 2 },
	{ "200 ASCII = 153 + 47", "a", 200, "", "", 0, SMS_GSM7, 200, 2 },
	{ "306 ASCII", "a", 306, "", "", 0, SMS_GSM7, 306, 2 },
	{ "307 ASCII", "a", 307, "", "", 0, SMS_GSM7, 307, 3 },
	{ "80 '{' = 160 septets", "{", 80, "", "", 0, SMS_GSM7, 160, 1 },
	{ "81 '{' = 162 septets", "{", 81, "", "", 0, SMS_GSM7, 162, 2 },
	{ "escape pair not split: 152 a, {, 152 a", "a", 152, "{", "a", 152,
	    SMS_GSM7, 306, 3 },
	{ "extension table", "^{}\\[~]|\xe2\x82\xac", 1, "", "", 0, SMS_GSM7,
	    18, 1 },
	{ "GSM-7 accents", "à è é ì ò ù É", 1, "", "", 0, SMS_GSM7, 13, 1 },
	{ "GSM-7 symbols", "@£$¥ΔΩ_!?¿¡§", 1, "", "", 0, SMS_GSM7, 12, 1 },
	{ "newline", "a\nb\r\n", 1, "", "", 0, SMS_GSM7, 5, 1 },
	{ "backtick is not GSM-7", "`", 1, "", "", 0, SMS_UCS2, 1, 1 },
	{ "Vietnamese", "Kính gửi", 1, "", "", 0, SMS_UCS2, 8, 1 },
	{ "đ alone forces UCS-2", "Dai Son đ", 1, "", "", 0, SMS_UCS2, 9, 1 },
	{ "70 UCS-2", VN, 70, "", "", 0, SMS_UCS2, 70, 1 },
	{ "71 UCS-2", VN, 71, "", "", 0, SMS_UCS2, 71, 2 },
	{ "134 UCS-2", VN, 134, "", "", 0, SMS_UCS2, 134, 2 },
	{ "135 UCS-2", VN, 135, "", "", 0, SMS_UCS2, 135, 3 },
	{ "142-char Vietnamese = 67+67+8", SEED142, 1, "", "", 0, SMS_UCS2, 142,
	    3 },
	{ "emoji is two units", EMOJI, 1, "", "", 0, SMS_UCS2, 2, 1 },
	{ "35 emoji = 70 units", EMOJI, 35, "", "", 0, SMS_UCS2, 70, 1 },
	{ "emoji not split: 66 ữ, emoji, 66 ữ", VN, 66, EMOJI, VN, 66, SMS_UCS2,
	    134, 3 },
	{ "long ASCII over the stack buffer", "a", 2000, "", "", 0, SMS_GSM7,
	    2000, 14 },
	{ "long UCS-2 over the stack buffer", VN, 600, "", "", 0, SMS_UCS2, 600,
	    9 },
};

START_TEST(test_sms)
{
	const struct sms_case *c = &sms_cases[_i];
	struct sms_info	       si;
	char		      *a, *b, *s;
	size_t		       al, tl, bl;

	a = rep(c->unit, c->count);
	b = rep(c->unit2, c->count2);
	al = strlen(a);
	tl = strlen(c->tail);
	bl = strlen(b);
	s = malloc(al + tl + bl + 1);
	ck_assert_ptr_nonnull(s);
	memcpy(s, a, al);
	memcpy(s + al, c->tail, tl);
	memcpy(s + al + tl, b, bl + 1);
	free(a);
	free(b);

	memset(&si, 0xa5, sizeof(si));
	sms_analyse(s, &si);
	free(s);
	ck_assert_msg(si.encoding == c->enc, "%s: encoding %s, want %s",
	    c->label, sms_encoding_name(si.encoding),
	    sms_encoding_name(c->enc));
	ck_assert_msg(si.units == c->units, "%s: %zu units, want %zu", c->label,
	    si.units, c->units);
	ck_assert_msg(si.parts == c->parts, "%s: %d parts, want %d", c->label,
	    si.parts, c->parts);
}
END_TEST

START_TEST(test_sms_fold)
{
	struct sms_info si;
	char	       *f;

	sms_analyse("Kính gửi ông Đào Văn Soái, Chủ tịch UBND xã", &si);
	ck_assert_int_eq(si.encoding, SMS_UCS2);
	f = text_fold("Kính gửi ông Đào Văn Soái, Chủ tịch UBND xã");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f, "Kinh gui ong Dao Van Soai, Chu tich UBND xa");
	sms_analyse(f, &si);
	ck_assert_int_eq(si.encoding, SMS_GSM7);
	ck_assert_uint_eq(si.units, strlen(f));
	ck_assert_int_eq(si.parts, 1);
	free(f);

	/* The 142-character notice: 3 UCS-2 parts, 1 GSM-7 part folded. */
	f = text_fold(SEED142);
	ck_assert_ptr_nonnull(f);
	sms_analyse(f, &si);
	ck_assert_int_eq(si.encoding, SMS_GSM7);
	ck_assert_uint_eq(si.units, 142);
	ck_assert_int_eq(si.parts, 1);
	free(f);
}
END_TEST

/* What reaches a terminal: controls escaped, text as it is. */
START_TEST(test_escape)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "Đào Văn Soái", "Đào Văn Soái" },
		{ "a\x1b[31mb", "a\\x1b[31mb" },
		{ "x\r\ny\tz", "x\\x0d\\x0ay\\x09z" },
		{ "del\x7f", "del\\x7f" },
		{ "c1\xc2\x9b", "c1\\u009b" },
		{ "back\\slash", "back\\\\slash" },
		{ "\xc2\xa0nbsp", "\xc2\xa0nbsp" },
		/* Unicode line breaks: a table row stays one line. */
		{ "n\xc2\x85l\xe2\x80\xa8s\xe2\x80\xa9p",
		    "n\\u0085l\\u2028s\\u2029p" },
		/* Bytes of no UTF-8 sequence, each as \xNN. */
		{ "caf\xe9!\xe1\xbb", "caf\\xe9!\\xe1\\xbb" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *e = text_escape(v[i].in);

		ck_assert_str_eq(e, v[i].out);
		free(e);
	}
	ck_assert_ptr_null(text_escape(NULL));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char	   *own;
		const char *t = text_safe(v[i].in, &own);

		ck_assert_str_eq(t, v[i].out);
		ck_assert(own != NULL || t == v[i].in);
		free(own);
	}
}
END_TEST

/* What JSON can carry: bad bytes as U+FFFD, all else as is. */
START_TEST(test_valid)
{
	char *e = text_valid("a\xe9\n\xe2\x80\xa8\xc4\x91\xe1\xbb");

	ck_assert_str_eq(e,
	    "a\xef\xbf\xbd\n\xe2\x80\xa8\xc4\x91\xef\xbf\xbd"
	    "\xef\xbf\xbd");
	free(e);
	ck_assert_ptr_null(text_valid(NULL));
}
END_TEST

/* Every secret known is blotted, in every form a peer may echo. */
START_TEST(test_secret)
{
	char s[256];

	secret_keep("p@ss word\"x");
	secret_keep("tok");
	secret_keep("ab");
	secret_keep(NULL);
	secret_keep("");
	snprintf(s, sizeof(s),
	    "a=p@ss word\"x&b=p%%40ss%%20word%%22x&"
	    "c=p%%40ss+word%%22x&d=\"p@ss word\\\"x\" tok abc");
	secret_blot(s);
	ck_assert_str_eq(s, "a=***&b=***&c=***&d=\"***\" *** **c");
	secret_blot(NULL);
	/* AUTH LOGIN's base64 of one; Basic's USER:PASS; AUTH PLAIN's
	 * NUL USER NUL PASS ("tok" is dG9r, "u:pw" dTpwdw==, "\0u\0pw"
	 * AHUAcHc=). */
	secret_keep_login("u", "pw");
	secret_keep_login("u", NULL);
	snprintf(s, sizeof(s), "dG9r dTpwdw== AHUAcHc=");
	secret_blot(s);
	ck_assert_str_eq(s, "*** *** ***");
	secret_forget();
	snprintf(s, sizeof(s), "tok");
	secret_blot(s);
	ck_assert_str_eq(s, "tok");
}
END_TEST

/* What a peer sent, made safe to keep: text_peer. */
START_TEST(test_peer)
{
	static const struct {
		const char *in;
		size_t	    n, max;
		const char *out;
	} v[] = {
		{ "plain", 5, 100, "plain" },
		/* Latin-1 bytes and a lone continuation become U+FFFD. */
		{ "caf\xe9 \x80", 6, 100, "caf\xef\xbf\xbd \xef\xbf\xbd" },
		/* NUL, CR LF, VT, FF, NEL, U+2028, U+2029: spaces. */
		{ "a\0b\r\nc\vd\fe", 10, 100, "a b  c d e" },
		{ "x\xc2\x85y\xe2\x80\xa8z\xe2\x80\xa9", 11, 100, "x y z " },
		/* A text that fits exactly is not cut. */
		{ "abcdef", 6, 6, "abcdef" },
		/* Cut on a character boundary, the ellipsis within max. */
		{ "abcdefg", 7, 6, "abc\xe2\x80\xa6" },
		{ "\xc4\x91\xc4\x91\xc4\x91x", 7, 6, "\xc4\x91\xe2\x80\xa6" },
		/* A character cut by the sender at the end of its bytes. */
		{ "ok\xe1\xbb", 4, 100, "ok\xef\xbf\xbd\xef\xbf\xbd" },
	};
	size_t i;

	for (i = 0; i < NELEM(v); i++) {
		char *e = text_peer(v[i].in, v[i].n, v[i].max);

		ck_assert_msg(strcmp(e, v[i].out) == 0, "case %zu: %s", i, e);
		ck_assert_int_eq(text_utf8_check(e, strlen(e)), -1);
		ck_assert_uint_le(strlen(e), v[i].max);
		free(e);
	}
	{
		char *e = text_peer(NULL, 0, 10);

		ck_assert_str_eq(e, "");
		free(e);
		e = text_oneline("a\u2028b\n");
		ck_assert_str_eq(e, "a b ");
		free(e);
	}
}
END_TEST

/* A log line stays one line of valid UTF-8, every secret blotted. */
START_TEST(test_log)
{
	char   path[] = "/tmp/loa-logXXXXXX", got[512];
	int    fd = mkstemp(path), saved = dup(2);
	FILE  *f;
	size_t n;

	ck_assert_int_ge(fd, 0);
	secret_keep("s3cr3t-dlr");
	dup2(fd, 2);
	log_warnx("gateway: %s",
	    "a\xe9\nb\xc2\x85"
	    "c\xe2\x80\xa8"
	    "d s3cr3t-dlr");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	unlink(path);
	secret_forget();
	ck_assert_str_eq(got, "loa: gateway: a\xef\xbf\xbd b c d ***\n");
}
END_TEST

START_TEST(test_sms_names)
{
	ck_assert_str_eq(sms_encoding_name(SMS_GSM7), "gsm7");
	ck_assert_str_eq(sms_encoding_name(SMS_UCS2), "ucs2");
}
END_TEST

int
main(void)
{
	TCase *tc;

	tc = TU_CASE("utf8", NULL, NULL, 0, test_line_of, test_codepoints,
	    test_escape, test_peer, test_valid, test_secret, test_log);
	tcase_add_loop_test(tc, test_utf8_check, 0, (int)NELEM(utf8_cases));
	tcase_add_loop_test(tc, test_nfc, 0, (int)NELEM(nfc_cases));
	tcase_add_loop_test(tc, test_fold, 0, (int)NELEM(fold_cases));
	tc = TU_CASE("e164", NULL, NULL, 0, NULL);
	tcase_add_loop_test(tc, test_phone, 0, (int)NELEM(phone_cases));
	tc = TU_CASE("sms", NULL, NULL, 0, test_sms_fold, test_sms_names);
	tcase_add_loop_test(tc, test_sms, 0, (int)NELEM(sms_cases));
	return tu_run("text");
}
