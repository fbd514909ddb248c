/*
 * spoken.c: the text of a broadcast for the ear (see spoken.h).
 *
 * One pass over the text, left to right. At each place the first rule
 * that matches writes words and moves on: a word of the service's
 * broadcast.say table; a number in one of its forms (phone number,
 * document number, time, date, amount with its unit, range); a word
 * (an abbreviation of the built-in table, a Roman numeral after "Quý"
 * and its kind, an unknown all-caps word spelled); punctuation. What is
 * written is padded with spaces and tidied at the end (one space, none
 * before a comma or a full stop). Every rule looks a bounded way ahead
 * or moves past what it reads, so the pass is linear in the text.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "render/spoken.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Numbers up to this many digits are amounts; longer ones are digits. */
#define SPOKEN_MAXDIGITS 12

struct word {
	size_t start, end; /* in the text; end 0: none */
};

struct sp {
	const char	     *s; /* valid UTF-8, NFC */
	size_t		      n;
	size_t		      i;
	struct buf	      out;
	const struct service *svc;
	struct word	      w1; /* the last word read */
	struct word	      w0; /* the one before it */
};

static const char *const digit_names[10] = { "không", "một", "hai", "ba", "bốn",
	"năm", "sáu", "bảy", "tám", "chín" };

/*
 * Abbreviations read as words (what an announcer of a commune station
 * says). Matched whole-word and case-sensitively; broadcast.say wins.
 */
static const struct {
	const char *word, *as;
} abbrevs[] = {
	/* Bodies of the state and of the Party. */
	{ "UBND", "Ủy ban nhân dân" },
	{ "HĐND", "Hội đồng nhân dân" },
	{ "UBMTTQ", "Ủy ban Mặt trận Tổ quốc" },
	{ "MTTQ", "Mặt trận Tổ quốc" },
	{ "BCH", "Ban chấp hành" },
	{ "BTV", "Ban thường vụ" },
	{ "UBKT", "Ủy ban kiểm tra" },
	{ "ĐU", "Đảng ủy" },
	{ "HTX", "hợp tác xã" },
	{ "ĐBQH", "đại biểu Quốc hội" },
	{ "QH", "Quốc hội" },
	{ "CP", "Chính phủ" },
	{ "TTg", "Thủ tướng Chính phủ" },
	{ "TW", "Trung ương" },
	{ "TƯ", "Trung ương" },
	{ "BNV", "Bộ Nội vụ" },
	{ "BTC", "Bộ Tài chính" },
	{ "BYT", "Bộ Y tế" },
	{ "BCA", "Bộ Công an" },
	{ "BTTTT", "Bộ Thông tin và Truyền thông" },
	{ "CAND", "Công an nhân dân" },
	{ "ĐTN", "Đoàn Thanh niên" },
	{ "TNCS", "Thanh niên Cộng sản" },
	{ "HLHPN", "Hội Liên hiệp Phụ nữ" },
	{ "CCB", "Cựu chiến binh" },
	{ "TP", "thành phố" },
	{ "HCM", "Hồ Chí Minh" },
	/* Kinds of documents (also in document numbers). */
	{ "KH", "kế hoạch" },
	{ "QĐ", "quyết định" },
	{ "TB", "thông báo" },
	{ "NQ", "nghị quyết" },
	{ "NĐ", "nghị định" },
	{ "CV", "công văn" },
	{ "BC", "báo cáo" },
	{ "GM", "giấy mời" },
	{ "HD", "hướng dẫn" },
	{ "TTr", "tờ trình" },
	/* Work of a commune. */
	{ "CCHC", "cải cách hành chính" },
	{ "PCCC", "phòng cháy chữa cháy" },
	{ "THCS", "trung học cơ sở" },
	{ "THPT", "trung học phổ thông" },
	{ "BHYT", "bảo hiểm y tế" },
	{ "BHXH", "bảo hiểm xã hội" },
	{ "ATGT", "an toàn giao thông" },
	{ "ATTP", "an toàn thực phẩm" },
	{ "ANTT", "an ninh trật tự" },
	{ "NTM", "nông thôn mới" },
	{ "KT", "kinh tế" },
	{ "XH", "xã hội" },
	{ "CNTT", "công nghệ thông tin" },
	{ "TDTT", "thể dục thể thao" },
	{ "GPMB", "giải phóng mặt bằng" },
	{ "CCCD", "căn cước công dân" },
	{ "CMND", "chứng minh nhân dân" },
	{ "SĐT", "số điện thoại" },
	{ "VN", "Việt Nam" },
	{ "VNĐ", "đồng" },
	{ "COVID", "cô vít" },
};

/* Kinds of documents, said before "số" in a document number. */
static const struct {
	const char *word, *as;
} kinds[] = {
	{ "TT", "thông tư" },
	{ "CT", "chỉ thị" },
	{ "TTLT", "thông tư liên tịch" },
	{ "KL", "kết luận" },
	{ "QC", "quy chế" },
	{ "KH", "kế hoạch" },
	{ "QĐ", "quyết định" },
	{ "TB", "thông báo" },
	{ "NQ", "nghị quyết" },
	{ "NĐ", "nghị định" },
	{ "CV", "công văn" },
	{ "BC", "báo cáo" },
	{ "GM", "giấy mời" },
	{ "HD", "hướng dẫn" },
	{ "TTr", "tờ trình" },
};

/* Units after a number, longest first; a unit ends where a word would. */
static const struct {
	const char *unit, *as;
} units[] = {
	{ "km²", "ki lô mét vuông" },
	{ "km2", "ki lô mét vuông" },
	{ "km/h", "ki lô mét một giờ" },
	{ "kWh", "ki lô oát giờ" },
	{ "km", "ki lô mét" },
	{ "kW", "ki lô oát" },
	{ "kg", "ki lô gam" },
	{ "cm", "xăng ti mét" },
	{ "mm", "mi li mét" },
	{ "ml", "mi li lít" },
	{ "m²", "mét vuông" },
	{ "m2", "mét vuông" },
	{ "m³", "mét khối" },
	{ "m3", "mét khối" },
	{ "ha", "héc ta" },
	{ "VNĐ", "đồng" },
	{ "VND", "đồng" },
	{ "vnđ", "đồng" },
	{ "USD", "đô la Mỹ" },
	{ "°C", "độ C" },
	{ "m", "mét" },
	{ "đ", "đồng" },
};

/* The names of the letters, for spelling an unknown all-caps word. */
static const struct {
	utf8proc_int32_t cp;
	const char	*as;
} letters[] = {
	{ 'A', "a" },
	{ 0x102, "á" }, /* Ă */
	{ 0xc2, "ớ" },	/* Â */
	{ 'B', "bê" },
	{ 'C', "xê" },
	{ 'D', "dê" },
	{ 0x110, "đê" }, /* Đ */
	{ 'E', "e" },
	{ 0xca, "ê" }, /* Ê */
	{ 'F', "ép" },
	{ 'G', "giê" },
	{ 'H', "hát" },
	{ 'I', "i" },
	{ 'J', "gi" },
	{ 'K', "ca" },
	{ 'L', "e lờ" },
	{ 'M', "em mờ" },
	{ 'N', "en nờ" },
	{ 'O', "o" },
	{ 0xd4, "ô" },	/* Ô */
	{ 0x1a0, "ơ" }, /* Ơ */
	{ 'P', "pê" },
	{ 'Q', "quy" },
	{ 'R', "e rờ" },
	{ 'S', "ét xì" },
	{ 'T', "tê" },
	{ 'U', "u" },
	{ 0x1af, "ư" }, /* Ư */
	{ 'V', "vê" },
	{ 'W', "vê kép" },
	{ 'X', "ích xì" },
	{ 'Y', "i dài" },
	{ 'Z', "dét" },
};

/* Words after which a number is an ordinal: 1 nhất, 4 tư. */
static const char *const ordinal_words[] = { "thứ", "hạng", "giải", NULL };
/* Words after which a Roman numeral is a number (Quý IV, Khóa XV ...). */
static const char *const roman_words[] = { "quý", "khóa", "khoá", "chương",
	"phần", "mục", "điều", "đợt", "kỳ", "kì", "lần", "thứ", "hội", "kỷ",
	"tập", "phiên", NULL };
/* Words that already say a day (no second "ngày" before a date). */
static const char *const day_words[] = { "ngày", "mùng", "mồng", NULL };
/* Words after which 111..115 are hotlines, read digit by digit. */
static const char *const phone_words[] = { "gọi", "nóng", "hotline", "thoại",
	"đài", "ngay", NULL };

/* Code points. */

static utf8proc_int32_t
cp_at(const struct sp *sp, size_t i, size_t *len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k;

	if (i >= sp->n) {
		*len = 0;
		return -1;
	}
	k = utf8proc_iterate((const utf8proc_uint8_t *)sp->s + i,
	    (utf8proc_ssize_t)(sp->n - i), &cp);
	if (k <= 0) { /* cannot happen: the text was cleaned */
		*len = 1;
		return 0xfffd;
	}
	*len = (size_t)k;
	return cp;
}

static int
cp_letter(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME:
		return 1;
	default:
		return 0;
	}
}

static int
cp_space(utf8proc_int32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f' || c == 0x85 ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_ZS ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_ZL ||
	    utf8proc_category(c) == UTF8PROC_CATEGORY_ZP;
}

static int
is_digit(const struct sp *sp, size_t i)
{
	return i < sp->n && sp->s[i] >= '0' && sp->s[i] <= '9';
}

/* Does a word or number go on at i (a letter or a digit)? */
static int
word_char_at(const struct sp *sp, size_t i)
{
	size_t len;

	if (i >= sp->n)
		return 0;
	if (is_digit(sp, i))
		return 1;
	return cp_letter(cp_at(sp, i, &len));
}

/* Does a word or number end before i (i is 0, or what ends there is not a
 * letter or digit)? */
static int
word_ends_before(const struct sp *sp, size_t i)
{
	size_t j = i, len;

	if (i == 0)
		return 1;
	while (j > 0 && ((unsigned char)sp->s[j - 1] & 0xc0) == 0x80)
		j--;
	if (j > 0)
		j--;
	if (is_digit(sp, j))
		return 0;
	return !cp_letter(cp_at(sp, j, &len));
}

/* End of the run of ASCII digits at i. */
static size_t
digits_end(const struct sp *sp, size_t i)
{
	while (is_digit(sp, i))
		i++;
	return i;
}

/* The value of the digits [a, b) (at most SPOKEN_MAXDIGITS of them). */
static uint64_t
value_of(const struct sp *sp, size_t a, size_t b)
{
	uint64_t v = 0;

	for (; a < b; a++)
		v = v * 10 + (uint64_t)(sp->s[a] - '0');
	return v;
}

/* Is i past only spaces from `from` (i may equal from)? */
static int
only_space(const struct sp *sp, size_t from, size_t i)
{
	/* Backwards: what is scanned is the spaces right before i. */
	while (i > from && sp->s[i - 1] == ' ')
		i--;
	return i == from;
}

/* Is the word [a, b) one of the lower-case words of set (any case)? */
static int
word_in(const struct sp *sp, size_t a, size_t b, const char *const *set)
{
	const utf8proc_uint8_t *w;
	utf8proc_int32_t	c, d;
	utf8proc_ssize_t	k, l;
	size_t			i, j;

	for (; *set != NULL; set++) {
		w = (const utf8proc_uint8_t *)*set;
		for (i = a, j = 0;; i += (size_t)k, j += (size_t)l) {
			if (i >= b || w[j] == '\0')
				break;
			k = utf8proc_iterate((const utf8proc_uint8_t *)sp->s +
				i,
			    (utf8proc_ssize_t)(b - i), &c);
			l = utf8proc_iterate(w + j, -1, &d);
			if (k <= 0 || l <= 0 || utf8proc_tolower(c) != d)
				break;
		}
		if (i >= b && w[j] == '\0')
			return 1;
	}
	return 0;
}

/* Is the word just before i (only spaces between) one of set? */
static int
prev_is(const struct sp *sp, size_t i, const char *const *set)
{
	return sp->w1.end != 0 && only_space(sp, sp->w1.end, i) &&
	    word_in(sp, sp->w1.start, sp->w1.end, set);
}

/* Is the word before that one of set (the three in a row)? */
static int
prev2_is(const struct sp *sp, size_t i, const char *const *set)
{
	return sp->w1.end != 0 && sp->w0.end != 0 &&
	    only_space(sp, sp->w1.end, i) &&
	    only_space(sp, sp->w0.end, sp->w1.start) &&
	    word_in(sp, sp->w0.start, sp->w0.end, set);
}

/* Writing. */

/* Words, padded with spaces (tidied at the end). */
static void
put(struct sp *sp, const char *words)
{
	buf_addc(&sp->out, ' ');
	buf_adds(&sp->out, words);
	buf_addc(&sp->out, ' ');
}

/* Hundreds, tens and units of g (< 1000); full: a group after a higher
 * one, which says its hundreds and "linh" even when they are 0. */
static void
put_group(struct sp *sp, unsigned g, int full)
{
	unsigned h = g / 100, t = g / 10 % 10, u = g % 10;

	if (full || h != 0) {
		put(sp, digit_names[h]);
		put(sp, "trăm");
	}
	if (t == 0) {
		if (u != 0 && (full || h != 0))
			put(sp, "linh");
		if (u != 0)
			put(sp, digit_names[u]);
		return;
	}
	if (t == 1)
		put(sp, "mười");
	else {
		put(sp, digit_names[t]);
		put(sp, "mươi");
	}
	if (u == 5)
		put(sp, "lăm");
	else if (u == 1 && t > 1)
		put(sp, "mốt");
	else if (u == 4 && t > 1)
		put(sp, "tư");
	else if (u != 0)
		put(sp, digit_names[u]);
}

/* n (< 10^12) in words. */
static void
put_number(struct sp *sp, uint64_t n)
{
	static const char *const scale[] = { NULL, "nghìn", "triệu", "tỷ" };
	unsigned		 g[4];
	int			 k, said = 0;

	if (n == 0) {
		put(sp, digit_names[0]);
		return;
	}
	for (k = 0; k < 4; k++, n /= 1000)
		g[k] = (unsigned)(n % 1000);
	for (k = 3; k >= 0; k--) {
		if (g[k] == 0)
			continue;
		put_group(sp, g[k], said);
		if (scale[k] != NULL)
			put(sp, scale[k]);
		said = 1;
	}
}

/* The digits in [a, b) one by one (other bytes skipped). */
static void
put_digits(struct sp *sp, size_t a, size_t b)
{
	for (; a < b; a++)
		if (is_digit(sp, a))
			put(sp, digit_names[sp->s[a] - '0']);
}

/* The digits of [a, b) as a number, or one by one when too long. */
static void
put_digit_run(struct sp *sp, size_t a, size_t b)
{
	if (b - a > SPOKEN_MAXDIGITS)
		put_digits(sp, a, b);
	else
		put_number(sp, value_of(sp, a, b));
}

/* A month: "tư" for April, as Vietnamese says it. */
static void
put_month(struct sp *sp, uint64_t m)
{
	if (m == 4)
		put(sp, "tư");
	else
		put_number(sp, m);
}

/*
 * A whole number n read at i: an ordinal after "thứ" (1 nhất, 4 tư), a
 * month after "tháng" (4 tư), else the number.
 */
static void
put_int_at(struct sp *sp, size_t i, uint64_t n)
{
	if ((n == 1 || n == 4) && prev_is(sp, i, ordinal_words))
		put(sp, n == 1 ? "nhất" : "tư");
	else if (n == 4 &&
	    prev_is(sp, i, (const char *const[]){ "tháng", NULL }))
		put(sp, "tư");
	else
		put_number(sp, n);
}

/* Words of the text: the say table, abbreviations, caps, spelling. */

/* Is key all capitals (no lower-case letter, at least one upper)? */
static int
all_caps(const char *s, size_t n)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t	c;
	utf8proc_ssize_t	k;
	size_t			i;
	int			upper = 0;

	for (i = 0; i < n; i += (size_t)k) {
		if ((k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i),
			 &c)) <= 0)
			return 0;
		if (utf8proc_category(c) == UTF8PROC_CATEGORY_LL ||
		    utf8proc_category(c) == UTF8PROC_CATEGORY_LT)
			return 0;
		if (utf8proc_category(c) == UTF8PROC_CATEGORY_LU)
			upper = 1;
	}
	return upper;
}

/*
 * How many bytes of the text at i key matches (0: none): byte for byte
 * when ci is 0, else in any case. The text may not go on with a letter
 * or digit after a key that ends with one.
 */
static size_t
key_at(const struct sp *sp, size_t i, const char *key, int ci)
{
	const utf8proc_uint8_t *k = (const utf8proc_uint8_t *)key;
	utf8proc_int32_t	c, d = 0;
	utf8proc_ssize_t	a, b;
	size_t			j = i, m = 0, len;

	if (!ci) {
		m = strlen(key);
		if (m == 0 || m > sp->n - i || memcmp(sp->s + i, key, m) != 0)
			return 0;
		j = i + m;
		len = j - 1; /* the start of the key's last code point */
		while (len > i && ((unsigned char)sp->s[len] & 0xc0) == 0x80)
			len--;
		d = cp_at(sp, len, &m);
	} else {
		while (k[m] != '\0') {
			if (j >= sp->n)
				return 0;
			a = utf8proc_iterate((const utf8proc_uint8_t *)sp->s +
				j,
			    (utf8proc_ssize_t)(sp->n - j), &c);
			b = utf8proc_iterate(k + m, -1, &d);
			if (a <= 0 || b <= 0 ||
			    utf8proc_tolower(c) != utf8proc_tolower(d))
				return 0;
			j += (size_t)a;
			m += (size_t)b;
		}
		if (j == i)
			return 0;
	}
	if ((cp_letter(d) || (d >= '0' && d <= '9')) && word_char_at(sp, j))
		return 0;
	return j - i;
}

/* The longest say entry at i: its length, and *as. 0 when none. */
static size_t
say_at(const struct sp *sp, size_t i, const char **as)
{
	size_t k, len, best = 0;

	if (sp->svc == NULL)
		return 0;
	for (k = 0; k < sp->svc->nsay; k++) {
		const struct say *e = &sp->svc->say[k];

		len = key_at(sp, i, e->word,
		    !all_caps(e->word, strlen(e->word)));
		if (len > best) {
			best = len;
			*as = e->as;
		}
	}
	return best;
}

/* The built-in reading of word [a, b), or NULL. */
static const char *
abbrev_of(const struct sp *sp, size_t a, size_t b)
{
	size_t k;

	for (k = 0; k < NELEM(abbrevs); k++)
		if (strlen(abbrevs[k].word) == b - a &&
		    memcmp(abbrevs[k].word, sp->s + a, b - a) == 0)
			return abbrevs[k].as;
	return NULL;
}

/*
 * Is ASCII lower-case s one Vietnamese syllable without its marks
 * (onset, one to three vowels, coda)? "thong" yes, "abc" and "par" no.
 */
static int
syllable(const char *s)
{
	static const char *const onsets[] = { "ngh", "ng", "nh", "ch", "gh",
		"gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "g", "h",
		"k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "" };
	static const char *const codas[] = { "", "c", "ch", "m", "n", "ng",
		"nh", "p", "t", NULL };
	size_t			 k, o, v, c;

	for (k = 0; k < NELEM(onsets); k++) {
		o = strlen(onsets[k]);
		if (strncmp(s, onsets[k], o) != 0)
			continue;
		for (v = 0; s[o + v] != '\0' && strchr("aeiouy", s[o + v]); v++)
			;
		if (v == 0 || v > 3)
			continue;
		for (c = 0; codas[c] != NULL; c++)
			if (strcmp(s + o + v, codas[c]) == 0)
				return 1;
	}
	return 0;
}

/* The word [a, b) in lower case. */
static void
put_lower(struct sp *sp, size_t a, size_t b)
{
	utf8proc_uint8_t enc[4];
	utf8proc_int32_t c;
	size_t		 len;

	buf_addc(&sp->out, ' ');
	while (a < b) {
		c = cp_at(sp, a, &len);
		buf_add(&sp->out, enc,
		    (size_t)utf8proc_encode_char(utf8proc_tolower(c), enc));
		a += len;
	}
	buf_addc(&sp->out, ' ');
}

/* Capital base with the mark that makes a letter of its own (Â Ă Ê Ô Ơ
 * Ư); a tone mark changes nothing. */
static utf8proc_int32_t
with_mark(utf8proc_int32_t base, utf8proc_int32_t mark)
{
	if (mark == 0x302 && base == 'A')
		return 0xc2;
	if (mark == 0x302 && base == 'E')
		return 0xca;
	if (mark == 0x302 && base == 'O')
		return 0xd4;
	if (mark == 0x306 && base == 'A')
		return 0x102;
	if (mark == 0x31b && base == 'O')
		return 0x1a0;
	if (mark == 0x31b && base == 'U')
		return 0x1af;
	return base;
}

/*
 * Spell all-caps word [a, b) letter by letter; 0 when a letter has no
 * Vietnamese name (another script), and nothing is written.
 */
static int
spell(struct sp *sp, size_t a, size_t b)
{
	size_t i, k, len, from = sp->out.len;

	for (i = a; i < b; i += len) {
		utf8proc_int32_t c = cp_at(sp, i, &len), base = c;

		if (utf8proc_category(c) != UTF8PROC_CATEGORY_LU)
			continue; /* a mark */
		for (k = 0; k < NELEM(letters); k++)
			if (letters[k].cp == c)
				break;
		if (k == NELEM(letters)) {
			/* A letter with a tone: its letter without it. */
			utf8proc_int32_t d[4];
			utf8proc_ssize_t m, j;
			int		 last;

			m = utf8proc_decompose_char(c, d, 4, UTF8PROC_DECOMPOSE,
			    &last);
			base = m > 0 && m <= 4 ? d[0] : -1;
			for (j = 1; j < m && j < 4; j++)
				base = with_mark(base, d[j]);
			for (k = 0; k < NELEM(letters); k++)
				if (letters[k].cp == base)
					break;
		}
		if (k == NELEM(letters)) {
			if (sp->out.s != NULL) {
				sp->out.len = from;
				sp->out.s[from] = '\0';
			}
			return 0;
		}
		put(sp, letters[k].as);
	}
	return 1;
}

/* How many capital letters [a, b) holds. */
static size_t
capitals(const struct sp *sp, size_t a, size_t b)
{
	size_t len, n = 0;

	for (; a < b; a += len)
		if (utf8proc_category(cp_at(sp, a, &len)) ==
		    UTF8PROC_CATEGORY_LU)
			n++;
	return n;
}

/* A word the text writes in capitals that no table knows: read as a
 * word when it is a Vietnamese syllable ("THÔNG BÁO"), else spelled. */
static void
put_caps(struct sp *sp, size_t a, size_t b)
{
	char *w = xstrndup(sp->s + a, b - a), *f, *p;
	int   ok;

	f = text_fold(w);
	for (p = f; p != NULL && *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	ok = f != NULL && syllable(f);
	free(f);
	free(w);
	if (ok)
		put_lower(sp, a, b);
	else if (!spell(sp, a, b))
		buf_add(&sp->out, sp->s + a, b - a);
}

/* The value of Roman numeral [a, b), or 0 when it is not one. */
static unsigned
roman_of(const struct sp *sp, size_t a, size_t b)
{
	static const struct {
		unsigned    v;
		const char *s;
	} r[] = { { 1000, "M" }, { 900, "CM" }, { 500, "D" }, { 400, "CD" },
		{ 100, "C" }, { 90, "XC" }, { 50, "L" }, { 40, "XL" },
		{ 10, "X" }, { 9, "IX" }, { 5, "V" }, { 4, "IV" }, { 1, "I" } };
	size_t	 i = a, k, l;
	unsigned v = 0, times;

	if (b - a > 15)
		return 0;
	/* Canonical form only: each symbol as often as it may stand. */
	for (k = 0; k < NELEM(r); k++) {
		l = strlen(r[k].s);
		times = 0;
		while (i + l <= b && memcmp(sp->s + i, r[k].s, l) == 0 &&
		    times < (l == 1 && r[k].v != 5 && r[k].v != 50 &&
					r[k].v != 500 ?
				    3u :
				    1u)) {
			v += r[k].v;
			i += l;
			times++;
		}
	}
	return i == b && v <= 100 ? v : 0; /* DC, MC: not numbers */
}

/* A word of the text, [a, b). */
static void
word(struct sp *sp, size_t a, size_t b)
{
	const char *as;
	unsigned    r;
	size_t	    len;

	if (say_at(sp, a, &as) == b - a)
		put(sp, as);
	else if (prev_is(sp, a, roman_words) && (r = roman_of(sp, a, b)) != 0) {
		put_int_at(sp, a, r);
		/* Quý IV/2025: the quarter of a year. */
		if (b < sp->n && sp->s[b] == '/' &&
		    digits_end(sp, b + 1) == b + 5 &&
		    !word_char_at(sp, b + 5)) {
			put(sp, "năm");
			put_number(sp, value_of(sp, b + 1, b + 5));
			b += 5;
		}
	} else if ((as = abbrev_of(sp, a, b)) != NULL)
		put(sp, as);
	else if (all_caps(sp->s + a, b - a) && capitals(sp, a, b) > 1)
		put_caps(sp, a, b);
	else {
		buf_add(&sp->out, sp->s + a, b - a);
		sp->w0 = sp->w1;
		sp->w1.start = a;
		sp->w1.end = b;
		sp->i = b;
		return;
	}
	sp->w0 = sp->w1;
	sp->w1.start = a;
	sp->w1.end = b;
	/* TP.HCM: no full stop inside. */
	if (b + 1 < sp->n && sp->s[b] == '.' &&
	    utf8proc_category(cp_at(sp, b + 1, &len)) == UTF8PROC_CATEGORY_LU)
		b++;
	sp->i = b;
}

/* Numbers. */

/* A separator of the groups of a phone number. */
static int
phone_sep(char c)
{
	return c == ' ' || c == '.' || c == '-';
}

/*
 * The groups of digits from i, separated by one phone_sep, until there
 * are want digits; their end, or 0 when they are more or fewer. A number
 * that goes on right after (a digit, a letter) is not a phone number.
 */
static size_t
phone_end(const struct sp *sp, size_t i, size_t want)
{
	size_t got = 0, e;

	for (;;) {
		e = digits_end(sp, i);
		got += e - i;
		if (got == want)
			return word_char_at(sp, e) ? 0 : e;
		if (got > want || e + 1 >= sp->n || !phone_sep(sp->s[e]) ||
		    !is_digit(sp, e + 1))
			return 0;
		i = e + 1;
	}
}

/*
 * The digits of a phone number [a, b) one by one, with a pause (a comma)
 * between the groups as written, or in 4-3-3 (mobile) and 3-4-4
 * (landline) when written in one piece; lead: the 0 said before it
 * (+84) counts in the groups.
 */
static void
put_phone(struct sp *sp, size_t a, size_t b, size_t lead)
{
	size_t i, n = lead, cut1 = 0, cut2 = 0, all = b - a + lead;

	if (digits_end(sp, a) == b && all >= 10) {
		cut1 = all == 10 ? 4 : 3;
		cut2 = cut1 + (all == 10 ? 3 : 4);
	}
	for (i = a; i < b; i++) {
		if (!is_digit(sp, i)) {
			buf_addc(&sp->out, ',');
			continue;
		}
		if (n != 0 && (n == cut1 || n == cut2))
			buf_addc(&sp->out, ',');
		put(sp, digit_names[sp->s[i] - '0']);
		n++;
	}
}

/* A phone number at i: Vietnamese mobile and landline numbers (0...,
 * +84 ...), 1900/1800 lines, and 111..115 after "gọi", "đường dây nóng". */
static int
phone(struct sp *sp)
{
	size_t i = sp->i, e, d = digits_end(sp, i);

	if (sp->s[i] == '+') {
		/* +84 912 345 678: read as dialled at home, 0912 ... */
		if (i + 3 >= sp->n || sp->s[i + 1] != '8' ||
		    sp->s[i + 2] != '4')
			return 0;
		e = i + 3;
		if (phone_sep(sp->s[e]))
			e++;
		if (!is_digit(sp, e) || sp->s[e] == '0')
			return 0;
		if ((d = phone_end(sp, e, sp->s[e] == '2' ? 10 : 9)) == 0)
			return 0;
		put(sp, digit_names[0]);
		put_phone(sp, e, d, 1);
		sp->i = d;
		return 1;
	}
	if (!word_ends_before(sp, i))
		return 0;
	if (sp->s[i] == '0' && d - i >= 2) {
		if ((e = phone_end(sp, i, sp->s[i + 1] == '2' ? 11 : 10)) == 0)
			return 0;
	} else if (d - i >= 4 &&
	    (strncmp(sp->s + i, "1900", 4) == 0 ||
		strncmp(sp->s + i, "1800", 4) == 0)) {
		if ((e = phone_end(sp, i, 10)) == 0 &&
		    (e = phone_end(sp, i, 8)) == 0)
			return 0;
	} else if (d - i == 3 && sp->s[i] == '1' && sp->s[i + 1] == '1' &&
	    sp->s[i + 2] >= '1' && sp->s[i + 2] <= '5' &&
	    !word_char_at(sp, d) &&
	    (prev_is(sp, i, phone_words) ||
		(prev_is(sp, i, (const char *const[]){ "số", NULL }) &&
		    prev2_is(sp, i, phone_words))))
		e = d;
	else
		return 0;
	put_phone(sp, i, e, 0);
	sp->i = e;
	return 1;
}

/*
 * A document number at i: 129/KH-UBND, 39/2020/TT-BTTTT. Read as an
 * announcer does: the number, its year, and whose it is ("của Ủy ban
 * nhân dân"); the kind (KH) is said before "số" in the text, so it is
 * said only when "số" is not there.
 */
static int
docnum(struct sp *sp)
{
	size_t i = sp->i, d = digits_end(sp, i), j, k, y = 0, kind, len;

	if (d - i > SPOKEN_MAXDIGITS || d >= sp->n || sp->s[d] != '/')
		return 0;
	j = d + 1;
	if (digits_end(sp, j) == j + 4 && j + 4 < sp->n &&
	    sp->s[j + 4] == '/') {
		y = j;
		j += 5;
	}
	if (utf8proc_category(cp_at(sp, j, &len)) != UTF8PROC_CATEGORY_LU)
		return 0;
	/* The codes: letters, digits and '-' (not at the end). */
	for (k = j; k < sp->n &&
	     (word_char_at(sp, k) ||
		 (sp->s[k] == '-' && word_char_at(sp, k + 1)));)
		k += sp->s[k] == '-' || is_digit(sp, k) ?
		    1 :
		    (cp_at(sp, k, &len), len);
	for (kind = j; kind < k && sp->s[kind] != '-';)
		kind++;
	if (!prev_is(sp, i, (const char *const[]){ "số", NULL }))
		for (len = 0; len < NELEM(kinds); len++)
			if (strlen(kinds[len].word) == kind - j &&
			    memcmp(kinds[len].word, sp->s + j, kind - j) == 0) {
				put(sp, kinds[len].as);
				put(sp, "số");
				break;
			}
	put_number(sp, value_of(sp, i, d));
	if (y != 0) {
		put(sp, "năm");
		put_number(sp, value_of(sp, y, y + 4));
	}
	if (kind < k) {
		put(sp, "của");
		for (j = kind + 1; j < k; j = kind + 1) {
			for (kind = j; kind < k && sp->s[kind] != '-';)
				kind++;
			sp->i = j;
			while (sp->i < kind) {
				size_t a = sp->i, b = a;

				while (b < kind && !is_digit(sp, b))
					b += (cp_at(sp, b, &len), len);
				if (b > a)
					word(sp, a, b);
				sp->i = b;
				if ((b = digits_end(sp, sp->i)) > sp->i) {
					put_digit_run(sp, sp->i, b);
					sp->i = b;
				}
			}
		}
	}
	sp->i = k;
	return 1;
}

/* Does the word w (lower case) follow at i, after spaces? Its end, or 0. */
static size_t
word_follows(const struct sp *sp, size_t i, const char *w)
{
	size_t b;

	while (i < sp->n && sp->s[i] == ' ')
		i++;
	b = i;
	while (b < sp->n && !is_digit(sp, b) && word_char_at(sp, b)) {
		size_t len;

		cp_at(sp, b, &len);
		b += len;
	}
	return b > i && word_in(sp, i, b, (const char *const[]){ w, NULL }) ?
	    b :
	    0;
}

/* After a number or a time at sp->i: a dash and another one, the end of
 * a range, read after "đến" (25-30, 25 - 30, 7h30–11h). */
static void
range(struct sp *sp)
{
	size_t k = sp->i;

	while (k < sp->n && sp->s[k] == ' ')
		k++;
	if (k < sp->n && sp->s[k] == '-')
		k++;
	else if (k + 3 <= sp->n &&
	    (memcmp(sp->s + k, "–", 3) == 0 || memcmp(sp->s + k, "—", 3) == 0))
		k += 3;
	else
		return;
	while (k < sp->n && sp->s[k] == ' ')
		k++;
	if (is_digit(sp, k)) {
		put(sp, "đến");
		sp->i = k;
	}
}

/* "8 giờ 30", "8h30", "8h", "08:30": a time of day at i. */
static int
timeofday(struct sp *sp)
{
	size_t	 i = sp->i, d = digits_end(sp, i), m = 0, me = 0, e, g;
	uint64_t h, min = 0;

	if (d - i > 2 || (h = value_of(sp, i, d)) > 24 || d >= sp->n)
		return 0;
	if (sp->s[d] == 'h' || sp->s[d] == 'g') {
		m = d + 1;
		me = digits_end(sp, m);
		if (me - m > 2)
			return 0;
		e = me;
		if (me > m && e < sp->n && sp->s[e] == 'p' &&
		    !word_char_at(sp, e + 1))
			e++; /* 8h30p */
		else if (me > m && e < sp->n && sp->s[e] == '\'')
			e++;
		if (word_char_at(sp, e))
			return 0;
	} else if (sp->s[d] == ':') {
		m = d + 1;
		me = digits_end(sp, m);
		if (me - m != 2)
			return 0;
		e = me;
		if (e < sp->n &&
		    (sp->s[e] == ':' || sp->s[e] == '.' || sp->s[e] == ',' ||
			sp->s[e] == '/') &&
		    is_digit(sp, e + 1))
			return 0;
		if (word_char_at(sp, e))
			return 0;
	} else if ((g = word_follows(sp, d, "giờ")) != 0) {
		m = g;
		while (m < sp->n && sp->s[m] == ' ')
			m++;
		me = digits_end(sp, m);
		if (me == m || me - m > 2 || word_char_at(sp, me))
			return 0;
		if (me < sp->n && strchr("./,:-", sp->s[me]) != NULL &&
		    is_digit(sp, me + 1))
			return 0;
		e = me;
	} else
		return 0;
	if (me > m && (min = value_of(sp, m, me)) > 59)
		return 0;
	put_number(sp, h);
	put(sp, "giờ");
	if (min != 0) {
		put_number(sp, min);
		if (word_follows(sp, e, "phút") == 0)
			put(sp, "phút");
	}
	sp->i = e;
	range(sp);
	return 1;
}

/* Whether month mon (1 to 12) of year y has a day day (1 to 31). */
static int
month_has(uint64_t y, uint64_t mon, uint64_t day)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
		30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	assert(mon >= 1 && mon <= 12 && day >= 1);
	return day <= (uint64_t)mdays[mon - 1] + (mon == 2 && leap);
}

/* "26/12/2025", "26-12", "26/12", "tháng 12/2025": a date at i. */
static int
date(struct sp *sp)
{
	size_t	 i = sp->i, d = digits_end(sp, i), m, me, y = 0, e;
	uint64_t day, mon;
	char	 sep;

	if (d - i > 2 || d + 1 >= sp->n || !is_digit(sp, d + 1))
		return 0;
	sep = sp->s[d];
	if (sep != '/' && sep != '-' && sep != '.')
		return 0;
	m = d + 1;
	me = digits_end(sp, m);
	day = value_of(sp, i, d);
	if (me - m == 4 && sep == '/' && !word_char_at(sp, me) &&
	    !(me + 1 < sp->n && sp->s[me] == '/' && is_digit(sp, me + 1))) {
		/* Month and year. */
		if (day < 1 || day > 12)
			return 0;
		if (prev_is(sp, i, (const char *const[]){ "quý", NULL }))
			put_number(sp, day);
		else {
			if (!prev_is(sp, i,
				(const char *const[]){ "tháng", NULL }))
				put(sp, "tháng");
			put_month(sp, day);
		}
		put(sp, "năm");
		put_number(sp, value_of(sp, m, me));
		sp->i = me;
		return 1;
	}
	if (me - m > 2)
		return 0;
	mon = value_of(sp, m, me);
	if (day < 1 || day > 31 || mon < 1 || mon > 12)
		return 0;
	e = me;
	if (e + 1 < sp->n && sp->s[e] == sep && is_digit(sp, e + 1)) {
		y = e + 1;
		e = digits_end(sp, y);
		if (e - y != 4 || word_char_at(sp, e))
			return 0;
	} else if (word_char_at(sp, e))
		return 0;
	else if (sep == '.' ||
	    (sep == '-' && day <= mon && !prev_is(sp, i, day_words)))
		return 0; /* 2.5 is a decimal, 10-12 a range */
	/* A day its month has (29/2 without a year: a leap year's). */
	if (!month_has(y != 0 ? value_of(sp, y, e) : 2024, mon, day))
		return 0;
	if (!prev_is(sp, i, day_words))
		put(sp, "ngày");
	put_number(sp, day);
	put(sp, "tháng");
	put_month(sp, mon);
	if (y != 0) {
		put(sp, "năm");
		put_number(sp, value_of(sp, y, e));
	}
	sp->i = e;
	return 1;
}

/* The digits after a decimal point [a, b): its zeros, then a number. */
static void
put_fraction(struct sp *sp, size_t a, size_t b)
{
	while (a < b && sp->s[a] == '0') {
		put(sp, digit_names[0]);
		a++;
	}
	if (a == b)
		return;
	if (b - a > 3)
		put_digits(sp, a, b);
	else
		put_number(sp, value_of(sp, a, b));
}

/* A unit right after a number at i (one space allowed): its end, or 0. */
static size_t
unit_at(struct sp *sp, size_t i)
{
	size_t k, len;

	if (i < sp->n && sp->s[i] == ' ')
		i++;
	for (k = 0; k < NELEM(units); k++) {
		len = strlen(units[k].unit);
		if (len <= sp->n - i &&
		    memcmp(sp->s + i, units[k].unit, len) == 0 &&
		    !word_char_at(sp, i + len)) {
			put(sp, units[k].as);
			return i + len;
		}
	}
	return 0;
}

/*
 * A number at i: 1.000.000 (dots between thousands), 2,5 (a decimal
 * comma), too long to be an amount or written with a leading zero (digit
 * by digit); then a percent sign or a unit, and "đến" before the second
 * number of a range (25-30, 25 - 30).
 */
static void
number(struct sp *sp)
{
	size_t i = sp->i, d = digits_end(sp, i), e = d, f, k;
	int    grouped = 0;

	/* Thousands: groups of three after a dot, after one to three digits. */
	if (d - i <= 3)
		while (e + 4 <= sp->n && sp->s[e] == '.' &&
		    digits_end(sp, e + 1) == e + 4) {
			e += 4;
			grouped = 1;
		}
	if (grouped) {
		size_t	 n = 0;
		uint64_t v = 0;

		for (k = i; k < e; k++)
			if (is_digit(sp, k)) {
				if (++n <= SPOKEN_MAXDIGITS)
					v = v * 10 + (uint64_t)(sp->s[k] - '0');
			}
		if (n > SPOKEN_MAXDIGITS)
			put_digits(sp, i, e);
		else
			put_number(sp, v);
	} else if (sp->s[i] == '0' && d - i >= 2) {
		put_digits(sp, i, d);
	} else if (d - i > SPOKEN_MAXDIGITS) {
		put_digits(sp, i, d);
	} else if (d < sp->n && (sp->s[d] == ',' || sp->s[d] == '.') &&
	    is_digit(sp, d + 1)) {
		put_number(sp, value_of(sp, i, d));
	} else
		put_int_at(sp, i, value_of(sp, i, d));
	/* The decimal part. */
	if (e < sp->n && (sp->s[e] == ',' || (sp->s[e] == '.' && !grouped)) &&
	    is_digit(sp, e + 1)) {
		put(sp, sp->s[e] == ',' ? "phẩy" : "chấm");
		f = digits_end(sp, e + 1);
		put_fraction(sp, e + 1, f);
		e = f;
	}
	if (e < sp->n && sp->s[e] == '%') {
		put(sp, "phần trăm");
		e++;
	} else if (e + 1 < sp->n && sp->s[e] == ' ' && sp->s[e + 1] == '%') {
		put(sp, "phần trăm");
		e += 2;
	} else if ((k = unit_at(sp, e)) != 0)
		e = k;
	sp->i = e;
	range(sp);
}

/* Punctuation and symbols: kept, or said, or made a pause. */
static void
symbol(struct sp *sp, utf8proc_int32_t c, size_t len)
{
	size_t i = sp->i;
	int    spaced = i > 0 && sp->s[i - 1] == ' ' && i + len < sp->n &&
	    sp->s[i + len] == ' ';

	sp->i += len;
	switch (c) {
	case '-':
	case 0x2013: /* – */
	case 0x2014: /* — */
		if (spaced)
			buf_adds(&sp->out, ", ");
		else if (c == '-' && is_digit(sp, i + 1) &&
		    (i == 0 || sp->s[i - 1] == ' ' || sp->s[i - 1] == '('))
			put(sp, "âm");
		else
			buf_addc(&sp->out, ' ');
		return;
	case '&':
		put(sp, "và");
		return;
	case '%':
		put(sp, "phần trăm");
		return;
	case '+':
		if (is_digit(sp, i + 1))
			put(sp, "cộng");
		else
			buf_addc(&sp->out, ' ');
		return;
	case '/':
	case '*':
	case '#':
	case '_':
	case '|':
	case '~':
	case '^':
	case '\\':
	case '`':
	case '<':
	case '>':
	case '=':
	case '@':
		buf_addc(&sp->out, ' ');
		return;
	default:
		buf_add(&sp->out, sp->s + i, len);
	}
}

/* Valid UTF-8 without controls (each bad byte and control a space), in
 * NFC. Caller frees. */
static char *
clean(const char *text)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)text;
	utf8proc_int32_t	c;
	utf8proc_ssize_t	k;
	struct buf		b = { 0 };
	size_t			i, n = strlen(text);
	char		       *s, *nfc;

	for (i = 0; i < n; i += (size_t)k) {
		k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &c);
		if (k <= 0) {
			buf_addc(&b, ' ');
			k = 1;
		} else if (utf8proc_category(c) == UTF8PROC_CATEGORY_CF)
			continue; /* invisible: U+200B, U+FEFF, U+00AD ... */
		else if (cp_space(c) ||
		    utf8proc_category(c) == UTF8PROC_CATEGORY_CC)
			buf_addc(&b, ' ');
		else
			buf_add(&b, p + i, (size_t)k);
	}
	s = buf_take(&b);
	nfc = text_nfc(s);
	if (nfc != NULL) {
		free(s);
		return nfc;
	}
	return s;
}

/* One space between words, none before , . ! ? ; : ) or after (, none at
 * either end. In place. */
static void
tidy(struct buf *b)
{
	size_t i, o = 0;

	for (i = 0; i < b->len; i++) {
		char c = b->s[i];

		if (c == ' ') {
			if (o == 0 || b->s[o - 1] == ' ' || b->s[o - 1] == '(')
				continue;
		} else if (strchr(",.!?;:)", c) != NULL) {
			while (o > 0 && b->s[o - 1] == ' ')
				o--;
			/* a pause after a pause: one is enough */
			if (c == ',' && o > 0 && strchr(",.!?;:", b->s[o - 1]))
				continue;
		}
		b->s[o++] = c;
	}
	while (o > 0 && b->s[o - 1] == ' ')
		o--;
	b->len = o;
	if (b->s != NULL)
		b->s[o] = '\0';
}

char *
spoken_text(const char *text, const struct service *svc)
{
	struct sp   sp;
	const char *as;
	size_t	    len, e;
	char	   *s, *out, *nfc;

	memset(&sp, 0, sizeof(sp));
	s = clean(text != NULL ? text : "");
	sp.s = s;
	sp.n = strlen(s);
	sp.svc = svc;
	while (sp.i < sp.n) {
		utf8proc_int32_t c = cp_at(&sp, sp.i, &len);

		if (c == ' ') {
			buf_addc(&sp.out, ' ');
			sp.i++;
			continue;
		}
		if (word_ends_before(&sp, sp.i) &&
		    (e = say_at(&sp, sp.i, &as)) != 0) {
			put(&sp, as);
			sp.w0 = sp.w1;
			sp.w1.start = sp.i;
			sp.w1.end = sp.i + e;
			sp.i += e;
			continue;
		}
		if (c == '+' && phone(&sp))
			continue;
		if (is_digit(&sp, sp.i)) {
			if (!phone(&sp) && !docnum(&sp) && !timeofday(&sp) &&
			    !date(&sp))
				number(&sp);
			continue;
		}
		if (cp_letter(c)) {
			for (e = sp.i; e < sp.n && !is_digit(&sp, e) &&
			     cp_letter(cp_at(&sp, e, &len));)
				e += len;
			word(&sp, sp.i, e);
			continue;
		}
		symbol(&sp, c, len);
	}
	free(s);
	tidy(&sp.out);
	out = buf_take(&sp.out);
	if ((nfc = text_nfc(out)) != NULL) {
		free(out);
		return nfc;
	}
	return out;
}
