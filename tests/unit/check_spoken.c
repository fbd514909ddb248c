/*
 * check_spoken.c: unit tests of the text for the ear (render/spoken.h,
 * conf/REFERENCE.md §7, README "Text for the ear"): Vietnamese numbers with the
 * mốt, tư, lăm and linh rules, thousands dots and decimal commas, ordinals,
 * dates, times, percentages, ranges, phone and document numbers, Roman
 * numerals, units, abbreviations, spelling, the service's broadcast.say
 * table (loaded from a config, both of its forms, and its errors), and
 * hostile input: no crash, valid UTF-8 out, time linear in the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "util/diag.h"
#include "plan/service.h"
#include "render/spoken.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"
#include "testutil.h"


struct scase {
	const char *in, *want;
};

/* What a Vietnamese speaker would check, with the built-in table only. */
static const struct scase cases[] = {
	/* Numbers: units, tens, hundreds. */
	{ "0", "không" },
	{ "5", "năm" },
	{ "10", "mười" },
	{ "11", "mười một" },
	{ "14", "mười bốn" },
	{ "15", "mười lăm" },
	{ "20", "hai mươi" },
	{ "21", "hai mươi mốt" },
	{ "24", "hai mươi tư" },
	{ "25", "hai mươi lăm" },
	{ "31", "ba mươi mốt" },
	{ "44", "bốn mươi tư" },
	{ "55", "năm mươi lăm" },
	{ "99", "chín mươi chín" },
	{ "100", "một trăm" },
	{ "101", "một trăm linh một" },
	{ "104", "một trăm linh bốn" },
	{ "105", "một trăm linh năm" },
	{ "110", "một trăm mười" },
	{ "111", "một trăm mười một" },
	{ "115", "một trăm mười lăm" },
	{ "121", "một trăm hai mươi mốt" },
	{ "129", "một trăm hai mươi chín" },
	{ "999", "chín trăm chín mươi chín" },
	/* Thousands, millions, billions; the dot between thousands. */
	{ "1.000", "một nghìn" },
	{ "1.001", "một nghìn không trăm linh một" },
	{ "1.005", "một nghìn không trăm linh năm" },
	{ "1.015", "một nghìn không trăm mười lăm" },
	{ "2025", "hai nghìn không trăm hai mươi lăm" },
	{ "2.024", "hai nghìn không trăm hai mươi tư" },
	{ "10.000", "mười nghìn" },
	{ "21.000", "hai mươi mốt nghìn" },
	{ "100.500", "một trăm nghìn năm trăm" },
	{ "1.000.000", "một triệu" },
	{ "1.000.005", "một triệu không trăm linh năm" },
	{ "2.050.000", "hai triệu không trăm năm mươi nghìn" },
	{ "1.000.000.000", "một tỷ" },
	{ "1.234.567.890",
	    "một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn "
	    "tám trăm chín mươi" },
	{ "999.999.999.999",
	    "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu "
	    "chín trăm chín mươi chín nghìn chín trăm chín mươi chín" },
	{ "1000000", "một triệu" },
	/* Too long to be an amount, or with a leading zero: digits. */
	{ "1234567890123",
	    "một hai ba bốn năm sáu bảy tám chín không một hai ba" },
	{ "1.000.000.000.000",
	    "một không không không không không không không không không không "
	    "không không" },
	{ "mã 007", "mã không không bảy" },
	/* The decimal comma. */
	{ "2,5", "hai phẩy năm" },
	{ "0,5", "không phẩy năm" },
	{ "2,05", "hai phẩy không năm" },
	{ "1,25 triệu", "một phẩy hai mươi lăm triệu" },
	{ "năm 2025, triển khai",
	    "năm hai nghìn không trăm hai mươi lăm, "
	    "triển khai" },
	/* Percentages. */
	{ "15%", "mười lăm phần trăm" },
	{ "2,5%", "hai phẩy năm phần trăm" },
	{ "100 %", "một trăm phần trăm" },
	/* Ranges. */
	{ "25-30", "hai mươi lăm đến ba mươi" },
	{ "25 - 30", "hai mươi lăm đến ba mươi" },
	{ "25–30%", "hai mươi lăm đến ba mươi phần trăm" },
	{ "10-12 người", "mười đến mười hai người" },
	{ "2020-2025",
	    "hai nghìn không trăm hai mươi đến hai nghìn không trăm hai mươi "
	    "lăm" },
	/* Ordinals and months. */
	{ "thứ 2", "thứ hai" },
	{ "thứ 4", "thứ tư" },
	{ "Thứ 7", "Thứ bảy" },
	{ "lần thứ 1", "lần thứ nhất" },
	{ "giải 4", "giải tư" },
	{ "thứ 14", "thứ mười bốn" },
	{ "tháng 4", "tháng tư" },
	{ "tháng 1", "tháng một" },
	/* Dates. */
	{ "26/12/2025",
	    "ngày hai mươi sáu tháng mười hai năm hai nghìn không trăm hai "
	    "mươi lăm" },
	{ "ngày 26/12/2025",
	    "ngày hai mươi sáu tháng mười hai năm hai nghìn không trăm hai "
	    "mươi lăm" },
	{ "Sáng 26/12/2025, Ủy ban",
	    "Sáng ngày hai mươi sáu tháng mười hai năm hai nghìn không trăm "
	    "hai mươi lăm, Ủy ban" },
	{ "26-12", "ngày hai mươi sáu tháng mười hai" },
	{ "26/12", "ngày hai mươi sáu tháng mười hai" },
	{ "ngày 10-12", "ngày mười tháng mười hai" },
	{ "mùng 4/5", "mùng bốn tháng năm" },
	{ "01/04/2026",
	    "ngày một tháng tư năm hai nghìn không trăm hai mươi sáu" },
	{ "tháng 12/2025",
	    "tháng mười hai năm hai nghìn không trăm hai mươi lăm" },
	{ "trong 4/2026",
	    "trong tháng tư năm hai nghìn không trăm hai mươi "
	    "sáu" },
	{ "năm 2025", "năm hai nghìn không trăm hai mươi lăm" },
	{ "32/12/2025 ",
	    "ba mươi hai tháng mười hai năm hai nghìn không trăm hai mươi "
	    "lăm" },
	/* Days a month has not: no date (31 February, 31 April, 29 February
	 * of a common year); 29/2 of a leap year, or with no year, is one. */
	{ "31/2/2025",
	    "ba mươi mốt tháng hai năm hai nghìn không trăm hai mươi lăm" },
	{ "29/2/2025",
	    "hai mươi chín tháng hai năm hai nghìn không trăm hai mươi lăm" },
	{ "31/4", "ba mươi mốt bốn" },
	{ "29/2/2024",
	    "ngày hai mươi chín tháng hai năm hai nghìn không trăm hai mươi "
	    "tư" },
	{ "29/2", "ngày hai mươi chín tháng hai" },
	{ "30/4/1975",
	    "ngày ba mươi tháng tư năm một nghìn chín trăm bảy mươi lăm" },
	/* Times of day. */
	{ "8h30", "tám giờ ba mươi phút" },
	{ "08:30", "tám giờ ba mươi phút" },
	{ "8 giờ 30", "tám giờ ba mươi phút" },
	{ "8 giờ 30 phút", "tám giờ ba mươi phút" },
	{ "8h", "tám giờ" },
	{ "17 giờ", "mười bảy giờ" },
	{ "8h05", "tám giờ năm phút" },
	{ "14h15", "mười bốn giờ mười lăm phút" },
	{ "7h00 sáng", "bảy giờ sáng" },
	{ "7h30-11h", "bảy giờ ba mươi phút đến mười một giờ" },
	/* Phone numbers, digit by digit, a pause between groups. */
	{ "0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám" },
	{ "0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám" },
	{ "0912345678", "không chín một hai, ba bốn năm, sáu bảy tám" },
	{ "+84 912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám" },
	{ "+84912345678", "không chín một hai, ba bốn năm, sáu bảy tám" },
	{ "024 3825 1234", "không hai bốn, ba tám hai năm, một hai ba bốn" },
	{ "1900 1234", "một chín không không, một hai ba bốn" },
	{ "19001234", "một chín không không một hai ba bốn" },
	{ "gọi 113", "gọi một một ba" },
	{ "gọi số 115", "gọi số một một năm" },
	{ "đường dây nóng 114", "đường dây nóng một một bốn" },
	{ "khoảng 115 người", "khoảng một trăm mười lăm người" },
	/* Document numbers, as an announcer says them. */
	{ "Kế hoạch số 129/KH-UBND",
	    "Kế hoạch số một trăm hai mươi chín của Ủy ban nhân dân" },
	{ "theo 39/2020/TT-BTTTT",
	    "theo thông tư số ba mươi chín năm hai nghìn không trăm hai mươi "
	    "của Bộ Thông tin và Truyền thông" },
	/* Roman numerals. */
	{ "Quý IV", "Quý bốn" },
	{ "Quý I", "Quý một" },
	{ "quý IV/2025", "quý bốn năm hai nghìn không trăm hai mươi lăm" },
	{ "Khóa XV", "Khóa mười lăm" },
	{ "Đại hội XIII", "Đại hội mười ba" },
	{ "lần thứ IV", "lần thứ tư" },
	{ "Chương IX", "Chương chín" },
	{ "thế kỷ XXI", "thế kỷ hai mươi mốt" },
	{ "Phần MC", "Phần em mờ xê" },
	{ "ΑΒΓ và UBND", "ΑΒΓ và Ủy ban nhân dân" },
	/* Units and money. */
	{ "500.000đ", "năm trăm nghìn đồng" },
	{ "500.000 đ", "năm trăm nghìn đồng" },
	{ "1.500.000 VNĐ", "một triệu năm trăm nghìn đồng" },
	{ "5 ha", "năm héc ta" },
	{ "3km", "ba ki lô mét" },
	{ "120 m²", "một trăm hai mươi mét vuông" },
	{ "2 kg", "hai ki lô gam" },
	{ "2 tấn", "hai tấn" },
	{ "5 mét", "năm mét" },
	/* Abbreviations. */
	{ "UBND xã", "Ủy ban nhân dân xã" },
	{ "HĐND", "Hội đồng nhân dân" },
	{ "CCHC", "cải cách hành chính" },
	{ "MTTQ", "Mặt trận Tổ quốc" },
	{ "UBMTTQ", "Ủy ban Mặt trận Tổ quốc" },
	{ "CAND", "Công an nhân dân" },
	{ "PCCC", "phòng cháy chữa cháy" },
	{ "TP.HCM", "thành phố Hồ Chí Minh" },
	{ "BCH", "Ban chấp hành" },
	{ "THCS", "trung học cơ sở" },
	{ "THPT", "trung học phổ thông" },
	{ "BHYT", "bảo hiểm y tế" },
	{ "BHXH", "bảo hiểm xã hội" },
	{ "KT-XH", "kinh tế xã hội" },
	{ "ubnd", "ubnd" },
	/* Unknown capitals: spelled, unless a Vietnamese syllable. */
	{ "ABC", "a bê xê" },
	{ "PAR", "pê a e rờ" },
	{ "ĐS", "đê ét xì" },
	{ "ẤP BẮC VỪA XONG", "ấp bắc vừa xong" },
	{ "ẤBƯỢ", "ớ bê ư ơ" },
	{ "THÔNG BÁO KHẨN", "thông báo khẩn" },
	{ "khu A", "khu A" },
	/* Punctuation, spaces, dashes. */
	{ "gác 3 - Ủy ban", "gác ba, Ủy ban" },
	{ "  Kính   thưa\n\tbà con !  ", "Kính thưa bà con!" },
	{ "-5 độ", "âm năm độ" },
	{ "Hội Nông dân & Đoàn Thanh niên", "Hội Nông dân và Đoàn Thanh niên" },
	/* Rules of README "Text for the ear" no case above held. */
	{ "8g30", "tám giờ ba mươi phút" },
	{ "8h30p", "tám giờ ba mươi phút" },
	{ "8h00", "tám giờ" },
	{ "24h", "hai mươi tư giờ" },
	{ "25h30", "hai mươi lăm h ba mươi" },
	{ "8h60", "tám h sáu mươi" },
	{ "26-12-2025",
	    "ngày hai mươi sáu tháng mười hai năm hai nghìn không trăm hai "
	    "mươi lăm" },
	{ "26.12.2025",
	    "ngày hai mươi sáu tháng mười hai năm hai nghìn không trăm hai "
	    "mươi lăm" },
	{ "mồng 4/5", "mồng bốn tháng năm" },
	{ "hạng 1", "hạng nhất" },
	{ "2.5", "hai chấm năm" },
	{ "3,14159", "ba phẩy một bốn một năm chín" },
	{ "1800 1234", "một tám không không, một hai ba bốn" },
	{ "hotline 114", "hotline một một bốn" },
	{ "Điều IX", "Điều chín" },
	{ "Đợt II", "Đợt hai" },
	{ "30°C", "ba mươi độ C" },
	{ "60 km/h", "sáu mươi ki lô mét một giờ" },
	{ "5 USD", "năm đô la Mỹ" },
	{ "100 VND", "một trăm đồng" },
	{ "HTX", "hợp tác xã" },
	{ "ATGT", "an toàn giao thông" },
	{ "COVID", "cô vít" },
	{ "a@b #c_d", "a b c d" },
	{ "ba\u200bn", "ban" },
	{ "Hoa\u0300", "Hoà" },
	{ "", "" },
};

START_TEST(test_cases)
{
	const struct scase *c = &cases[_i];
	char		   *got = spoken_text(c->in, NULL);

	ck_assert_msg(strcmp(got, c->want) == 0,
	    "\"%s\": got \"%s\", want \"%s\"", c->in, got, c->want);
	free(got);
}
END_TEST

/* A seed announcement: no digit is left, and the ear hears Vietnamese. */
START_TEST(test_seed_text)
{
	const char *in =
	    "Kính thưa bà con nhân dân! Thực hiện Kế hoạch số 129/KH-UBND "
	    "ngày 28/11/2025, Ủy ban nhân dân xã Đại Sơn tổ chức Hội nghị "
	    "tổng kết công tác CCHC năm 2025, lúc 8 giờ sáng thứ Sáu, ngày "
	    "26/12/2025, tại Phòng họp gác 3 - UBND xã.";
	const char *want =
	    "Kính thưa bà con nhân dân! Thực hiện Kế hoạch số một trăm hai "
	    "mươi chín của Ủy ban nhân dân ngày hai mươi tám tháng mười một "
	    "năm hai nghìn không trăm hai mươi lăm, Ủy ban nhân dân xã Đại "
	    "Sơn tổ chức Hội nghị tổng kết công tác cải cách hành chính năm "
	    "hai nghìn không trăm hai mươi lăm, lúc tám giờ sáng thứ Sáu, ngày "
	    "hai mươi sáu tháng mười hai năm hai nghìn không trăm hai mươi "
	    "lăm, tại Phòng họp gác ba, Ủy ban nhân dân xã.";
	char *got = spoken_text(in, NULL);

	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* A service config with a say table, loaded as `loa check` does. */
static struct service *
load_say(const char *say, char **log)
{
	char		tmp[] = "/tmp/loa-spoken-XXXXXX", *path, *text;
	struct service *svc;
	struct diag	d;
	size_t		loglen;

	ck_assert_ptr_nonnull(mkdtemp(tmp));
	path = xasprintf("%s/loa.cfg", tmp);
	text = xasprintf("loa = { timezone = \"Asia/Ho_Chi_Minh\"; plans = [ "
			 "]; };\n"
			 "broadcast = {\n  say = %s;\n};\n",
	    say);
	tu_write(path, text);
	memset(&d, 0, sizeof(d));
	d.out = open_memstream(log, &loglen);
	svc = service_load(path, &d);
	fclose(d.out);
	tu_rm_tree(tmp);
	free(path);
	free(text);
	return svc;
}

/* Each case of cs read with svc. */
static void
check_with(const struct service *svc, const struct scase *cs, size_t n)
{
	size_t k;
	char  *got;

	for (k = 0; k < n; k++) {
		got = spoken_text(cs[k].in, svc);
		ck_assert_msg(strcmp(got, cs[k].want) == 0,
		    "\"%s\": got \"%s\", want \"%s\"", cs[k].in, got,
		    cs[k].want);
		free(got);
	}
}

/* With say (load_say's table) of nsay entries, the cases read so. */
static void
check_say(const char *say, size_t nsay, const struct scase *c, size_t n)
{
	char	       *log = NULL;
	struct service *svc = load_say(say, &log);

	ck_assert_msg(svc != NULL, "%s", log);
	free(log);
	ck_assert_uint_eq(svc->nsay, nsay);
	check_with(svc, c, n);
	service_free(svc);
}

/* The say table, as pairs: extends the built-in one, wins over it, whole
 * words only, all-caps words in their case only, others in any case. */
START_TEST(test_say_pairs)
{
	static const struct scase say_cases[] = {
		{ "xã ĐS", "xã Đại Sơn" },
		{ "ĐSX và đs", "đê ét xì ích xì và đs" },
		{ "UBND xã", "Ủy ban xã" },
		{ "HĐND", "Hội đồng nhân dân" },
		{ "Covid, COVID và covid", "cô vi, cô vi và cô vi" },
		{ "ĐS-2", "Đại Sơn hai" },
		{ "H5N1", "hát năm en một" },
		{ "H5N1x", "H năm N một x" },
		{ "Kế hoạch số 12/KH-ĐS", "Kế hoạch số mười hai của Đại Sơn" },
	};

	check_say("( ( \"ĐS\", \"Đại Sơn\" ), [ \"UBND\", \"Ủy ban\" ], "
		  "( \"covid\", \"cô vi\" ), ( \"H5N1\", \"hát năm en "
		  "một\" ) )",
	    4, say_cases, NELEM(say_cases));
}
END_TEST

/* The say table as a group, for the words libconfig's names allow. */
START_TEST(test_say_group)
{
	static const struct scase say_cases[] = {
		{ "PAR và par", "pa và par" },
		{ "PARA", "pê a e rờ a" },
		{ "ABC", "a bê xê" },
	};

	check_say("{ PAR = \"pa\"; }", 1, say_cases, NELEM(say_cases));
}
END_TEST

/* A bad say entry: an error naming the file, the line and what is wrong. */
static const struct scase say_errors[] = {
	{ "{ PAR = 1; }", "loa.cfg:3: broadcast.say: expected a string" },
	{ "( ( \"ĐS\", 2 ) )",
	    "loa.cfg:3: broadcast.say[0]: expected a string" },
	{ "( ( \"\", \"x\" ) )", "loa.cfg:3: broadcast.say[0]: an empty word" },
	{ "( ( \"Đại Sơn\", \"x\" ) )",
	    "loa.cfg:3: broadcast.say[0]: \"Đại Sơn\" holds white space" },
	{ "( ( \"ĐS\", \" \" ) )",
	    "loa.cfg:3: broadcast.say[0]: how \"ĐS\" is read aloud is empty" },
	{ "( ( \"ĐS\" ) )", "loa.cfg:3: broadcast.say[0]: expected a pair" },
	{ "( ( 1, \"x\" ) )",
	    "loa.cfg:3: broadcast.say[0]: expected the word as a string" },
	{ "\"ĐS\"", "loa.cfg:3: broadcast.say: expected a group" },
	{ "( ( \"ĐS\", \"a\" ), ( \"ĐS\", \"b\" ) )",
	    "\"ĐS\" is said twice (first at line 3)" },
};

START_TEST(test_say_errors)
{
	const struct scase *c = &say_errors[_i];
	char		   *log = NULL;
	struct service	   *svc = load_say(c->in, &log);

	ck_assert_msg(svc == NULL, "%s: loaded", c->in);
	ck_assert_msg(log != NULL && strstr(log, c->want) != NULL,
	    "%s: want \"%s\" in \"%s\"", c->in, c->want, log);
	free(log);
}
END_TEST

/* The output is valid UTF-8 in NFC, whatever comes in. */
static void
check_clean(const char *in, const char *what)
{
	char *got = spoken_text(in, NULL), *nfc;

	ck_assert_msg(text_utf8_check(got, strlen(got)) < 0,
	    "%s: invalid UTF-8", what);
	nfc = text_nfc(got);
	ck_assert_msg(nfc != NULL && strcmp(nfc, got) == 0, "%s: not NFC",
	    what);
	free(nfc);
	free(got);
}

/* Hostile input: random bytes, separators alone, huge runs, NULL. */
START_TEST(test_hostile)
{
	static const char *const odd[] = { ".", ",", "/", "-", "%", "+", ":",
		"h", "1.", "1,", "1/", "1-", "-1", "+84", "+8", "0", "00", "1h",
		"1:", "1:2", "99:99", "1/1/", "1/1/1", "//", "1..1", "1,,1",
		"1.000.", ".000", "thứ", "Quý", "Quý MMMMCMXCIX", "Quý IIII",
		"12/KH-", "12/K", "5 %", "1 - - 2", "\xe1\xba", "\xff\xfe 12",
		"a\xc0\xaf"
		"b",
		"\xed\xa0\x80", "ĐS\xcc\x81",
		"\xef\xbb\xbf"
		"UBND",
		"x\x01\x1b[31m y", "1–", "1—2", "ngày", "ngày 1/",
		"tháng 13/2025", NULL };
	char			 buf[257], *big, *got;
	size_t			 k, j;
	unsigned		 seed = 12;

	for (k = 0; odd[k] != NULL; k++)
		check_clean(odd[k], odd[k]);
	ck_assert_str_eq((got = spoken_text(NULL, NULL)), "");
	free(got);
	/* Random bytes, and random picks of the characters the rules read. */
	for (k = 0; k < 1000; k++) {
		static const char
		    pick[] = "0123456789.,/-:%h gQuýIVXthứngàyUBND+84";

		for (j = 0; j < sizeof(buf) - 1; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = k % 2 ?
			    (char)(seed >> 16 & 0xff) ?
			    (char)(seed >> 16 & 0xff) :
			    'x' :
			    pick[(seed >> 16) % (sizeof(pick) - 1)];
		}
		buf[(seed >> 8) % sizeof(buf)] = '\0';
		buf[sizeof(buf) - 1] = '\0';
		check_clean(buf, "random");
	}
	/* 100 KB of digits, of digits and dots, of dashes: linear, no crash. */
	big = malloc(100001);
	ck_assert_ptr_nonnull(big);
	memset(big, '7', 100000);
	big[100000] = '\0';
	check_clean(big, "digits");
	for (j = 1; j < 100000; j += 4)
		big[j] = '.';
	check_clean(big, "dots");
	memset(big, '-', 100000);
	for (j = 0; j < 100000; j += 2)
		big[j] = '1';
	check_clean(big, "ranges");
	memset(big, ' ', 100000);
	big[0] = 't', big[1] = 'h', big[2] = 'u';
	big[99999] = '4';
	check_clean(big, "spaces");
	for (j = 0; j + 5 <= 100000; j += 5)
		memcpy(big + j, "UBND ", 5);
	check_clean(big, "words");
	free(big);
}
END_TEST

/* How long spoken_text takes on head, then n copies of unit. */
static double
time_of(const char *head, const char *unit, size_t n)
{
	struct buf b = { 0 };
	clock_t	   t0;
	size_t	   k;
	char	  *got;

	buf_adds(&b, head);
	for (k = 0; k < n; k++)
		buf_adds(&b, unit);
	t0 = clock();
	got = spoken_text(b.s, NULL);
	t0 = clock() - t0;
	ck_assert_ptr_nonnull(got);
	free(got);
	buf_free(&b);
	return (double)t0;
}

/*
 * Linear-ish: ten times the text takes well under a hundred times as
 * long (a quadratic pass takes a hundred), for a plain announcement and
 * for texts that make a rule look back or ahead far.
 */
START_TEST(test_linear)
{
	static const struct {
		const char *head, *unit;
	} t[] = {
		{ "",
		    "Ngày 26/12/2025 lúc 8h30, UBND xã họp 1.500 người, gọi "
		    "0912 345 678. " },
		{ "thứ", "          " }, /* a word, far from the numbers */
		{ "thứ", "1 " },
		{ "gọi số", "113 " },
		{ "", "1-" },
		{ "", "ABC " },
		{ "", "1.000." },
	};
	size_t k;

	for (k = 0; k < NELEM(t); k++) {
		double small, large;
		char  *head = xasprintf("%s%s", t[k].head,
		     k == 2 ? "                                        " : "");

		small = time_of(head, t[k].unit, 1000);
		large = time_of(head, t[k].unit, 10000);
		ck_assert_msg(large < 30.0 * small + 0.05 * CLOCKS_PER_SEC,
		    "\"%s\" x10000 took %.0f clocks, x1000 %.0f", t[k].unit,
		    large, small);
		free(head);
	}
	/* Far spaces, then many numbers after them. */
	{
		struct buf b = { 0 };
		size_t	   j;
		double	   small, large;

		buf_adds(&b, "thứ");
		for (j = 0; j < 5000; j++)
			buf_addc(&b, ' ');
		small = time_of(b.s, "4 ", 3000);
		for (j = 0; j < 45000; j++)
			buf_addc(&b, ' ');
		large = time_of(b.s, "4 ", 30000);
		ck_assert_msg(large < 30.0 * small + 0.05 * CLOCKS_PER_SEC,
		    "far word: %.0f vs %.0f clocks", large, small);
		buf_free(&b);
	}
}
END_TEST

int
main(void)
{
	TCase *tc = TU_CASE("spoken", NULL, NULL, 60, test_seed_text,
	    test_say_pairs, test_say_group, test_hostile, test_linear);

	tcase_add_loop_test(tc, test_cases, 0, NELEM(cases));
	tcase_add_loop_test(tc, test_say_errors, 0, NELEM(say_errors));
	return tu_run("spoken");
}
