/*
 * check_gw_file.c: unit tests of the file and spool gateways (conf/REFERENCE.md
 * §3 and §7, README "Delivery"): an email is DIR/mail/ID.eml,
 * written atomically and named by its id; an SMS is one JSON line of
 * DIR/sms.jsonl with id, to, text, encoding and parts; a broadcast is
 * DIR/ID.json and DIR/ID.txt; flush makes them durable; a failing write,
 * fsync or rename (through the fault points of util/fault.h) is a
 * temporary failure that leaves no half-written file behind.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "gw/gw.h"
#include "util/fs.h"
#include "util/fault.h"
#include "util/mem.h"
#include "util/buf.h"
#include "testutil.h"

#define ID1 "0123456789abcdef"
#define ID2 "fedcba9876543210"
#define EML \
	"From: a@b\r\nTo: c@d\r\nSubject: x\r\nMessage-ID: <" ID1 \
	"@loa>\r\n\r\nbody\r\n"

static struct {
	char	  dir[PATH_MAX - 64];
	struct gw g;
	int	  up;
} fx;

/* The names in folder dir, sorted, space separated ("" when empty). */
static char *
names_in(const char *dir)
{
	struct dirent **v;
	struct buf	b = { 0 };
	int		n, i;

	n = scandir(dir, &v, NULL, alphasort);
	if (n < 0)
		return xstrdup("(none)");
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 &&
		    strcmp(v[i]->d_name, "..") != 0)
			buf_printf(&b, "%s%s", b.len ? " " : "", v[i]->d_name);
		free(v[i]);
	}
	free(v);
	return b.s != NULL ? buf_take(&b) : xstrdup("");
}

static void
assert_names(const char *dir, const char *want)
{
	char *have = names_in(dir);
	int   same = strcmp(have, want) == 0;

	ck_assert_msg(same, "%s holds \"%s\", wanted \"%s\"", dir, have, want);
	free(have);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char	    err[256];

	memset(&fx, 0, sizeof(fx));
	fault_reset();
	snprintf(fx.dir, sizeof(fx.dir), "%s/check_gw_file.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	fx.g.backend = gw_lookup("file");
	ck_assert_ptr_nonnull(fx.g.backend);
	fx.g.dir = xasprintf("%s/outbox", fx.dir);
	fx.g.fd = -1;
	ck_assert_msg(fx.g.backend->init(&fx.g, err, sizeof(err)) == 0, "%s",
	    err);
	fx.up = 1;
}

static void
teardown(void)
{
	fault_reset();
	if (fx.up)
		fx.g.backend->shutdown(&fx.g);
	free(fx.g.dir);
	if (fx.dir[0] != '\0')
		tu_rm_tree(fx.dir);
	memset(&fx, 0, sizeof(fx));
}

static struct gw_msg
email(const char *id, const char *data)
{
	struct gw_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.channel = "email";
	m.to = "an@daison.example";
	m.data = data;
	return m;
}

static struct gw_msg
sms(const char *id, const char *text, const char *enc, int parts)
{
	struct gw_msg m = email(id, text);

	m.channel = "sms";
	m.to = "+84912000001";
	m.encoding = enc;
	m.parts = parts;
	return m;
}

static enum gw_result
submit(const struct gw_msg *m, struct gw_answer *a)
{
	memset(a, 0, sizeof(*a));
	return fx.g.backend->submit(&fx.g, m, a);
}

static int
flush(char *err, size_t len)
{
	err[0] = '\0';
	return fx.g.backend->flush(&fx.g, err, len);
}

START_TEST(test_lookup)
{
	ck_assert_ptr_nonnull(gw_lookup("file"));
	ck_assert_ptr_nonnull(gw_lookup("spool"));
	ck_assert_ptr_null(gw_lookup("smtp-not-here"));
	ck_assert_ptr_null(gw_lookup(""));
}
END_TEST

START_TEST(test_init_not_a_folder)
{
	struct gw g;
	char	  err[256] = "", *path;
	FILE	 *f;

	path = xasprintf("%s/plain-file", fx.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	memset(&g, 0, sizeof(g));
	g.backend = gw_lookup("file");
	g.dir = path;
	g.fd = -1;
	ck_assert_int_eq(g.backend->init(&g, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL &&
		strstr(err, "not a folder") != NULL,
	    "%s", err);
	free(path);
}
END_TEST

START_TEST(test_email_file)
{
	struct gw_msg	 m = email(ID1, EML);
	struct gw_answer a;
	char		*path, *mail, *s, err[256];

	ck_assert_int_eq(submit(&m, &a), GW_OK);
	ck_assert_int_eq(a.result, GW_OK);
	ck_assert_str_eq(a.id, ID1);
	ck_assert_int_eq(a.retry_after, 0);
	path = xasprintf("%s/outbox/mail/" ID1 ".eml", fx.dir);
	mail = xasprintf("%s/outbox/mail", fx.dir);
	ck_assert_str_eq(a.text, path);
	/* Exactly the bytes, under the id, nothing temporary left. */
	s = tu_slurp(path);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, EML);
	free(s);
	assert_names(mail, ID1 ".eml");
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(fx.g.dirty, 0);
	/* The same id again (a retry): the file is replaced whole. */
	m.data = "second\r\n";
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	s = tu_slurp(path);
	ck_assert_str_eq(s, "second\r\n");
	free(s);
	assert_names(mail, ID1 ".eml");
	free(mail);
	free(path);
}
END_TEST

/* The file and its folder are synced: the write's fsync, then the
 * folder's at flush. */
START_TEST(test_email_synced)
{
	struct gw_msg	 m = email(ID1, EML);
	struct gw_answer a;
	char		 err[256];

	fault_arm(FAULT_FSYNC, 0, 0);
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 1);
	ck_assert_int_ne(fx.g.dirty, 0);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	/* DIR/mail, and DIR, where mail/ is new. */
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 3);
	ck_assert_int_eq(fx.g.dirty, 0);
	ck_assert_int_eq(fault_calls(FAULT_RENAME), 1);
}
END_TEST

/* sms.jsonl is synced at flush, and so is its folder when the file is new;
 * nothing is synced twice. */
START_TEST(test_sms_synced)
{
	struct gw_msg	 m = sms(ID1, "Nhắc việc", "ucs2", 1);
	struct gw_answer a;
	char		 err[256];

	fault_arm(FAULT_FSYNC, 0, 0);
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	/* One write a message; the sync waits for the batch. */
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 0);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 2);
	ck_assert_int_eq(fx.g.dirty, 0);
	m = sms(ID2, "Nhắc lần hai", "ucs2", 1);
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	/* The file again; its name is already durable. */
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 3);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 3);
}
END_TEST

START_TEST(test_sms_lines)
{
	struct gw_msg m1 = sms(ID1, "Giấy mời: Họp giao ban", "ucs2", 1);
	struct gw_msg m2 = sms(ID2, "Giay moi \"hop\"\nmai", "gsm7", 2);
	struct gw_answer a;
	char		*path, *all, *line, *save = NULL, err[256];
	int		 n = 0;

	ck_assert_int_eq(submit(&m1, &a), GW_OK);
	ck_assert_int_eq(submit(&m2, &a), GW_OK);
	path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
	ck_assert_str_eq(a.text, path);
	fault_arm(FAULT_FSYNC, 0, 0);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_ge(fault_calls(FAULT_FSYNC), 1);
	all = tu_slurp(path);
	ck_assert_ptr_nonnull(all);
	ck_assert_msg(all[strlen(all) - 1] == '\n', "%s", all);
	for (line = strtok_r(all, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		const struct gw_msg	*m = n == 0 ? &m1 : &m2;
		json_error_t		 je;
		json_t			*o = json_loads(line, 0, &je);
		const char		*key;
		json_t			*val;
		int			 k = 0;
		static const char *const keys[] = { "id", "to", "text",
			"encoding", "parts" };

		ck_assert_msg(o != NULL, "%s: %s", je.text, line);
		/* One object per line, exactly these keys, in this order. */
		json_object_foreach(o, key, val)
		{
			ck_assert_int_lt(k, 5);
			ck_assert_str_eq(key, keys[k]);
			k++;
		}
		ck_assert_int_eq(k, 5);
		ck_assert_str_eq(json_string_value(json_object_get(o, "id")),
		    m->id);
		ck_assert_str_eq(json_string_value(json_object_get(o, "to")),
		    m->to);
		ck_assert_str_eq(json_string_value(json_object_get(o, "text")),
		    m->data);
		ck_assert_str_eq(json_string_value(
				     json_object_get(o, "encoding")),
		    m->encoding);
		ck_assert_int_eq(json_integer_value(
				     json_object_get(o, "parts")),
		    m->parts);
		json_decref(o);
	}
	ck_assert_int_eq(n, 2);
	free(all);
	free(path);
}
END_TEST

START_TEST(test_broadcast_spool)
{
	struct gw_msg	 m;
	struct gw_answer a;
	char		*s, *path;
	const char	*json = "{\"id\": \"" ID1 "\"}";

	memset(&m, 0, sizeof(m));
	m.id = ID1;
	m.channel = "broadcast";
	m.data = json;
	m.text = "Tin hội nghị";
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	assert_names(fx.g.dir, ID1 ".json " ID1 ".txt");
	path = xasprintf("%s/" ID1 ".json", fx.g.dir);
	s = tu_slurp(path);
	/* The record as given, its audio said (none here). */
	{
		json_t *o = json_loads(s, 0, NULL);

		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(json_string_value(json_object_get(o, "id")),
		    ID1);
		ck_assert(json_is_null(json_object_get(o, "audio")));
		ck_assert_int_eq(json_object_size(o), 2);
		json_decref(o);
	}
	free(s);
	free(path);
	path = xasprintf("%s/" ID1 ".txt", fx.g.dir);
	s = tu_slurp(path);
	ck_assert_str_eq(s, "Tin hội nghị");
	free(s);
	free(path);
}
END_TEST

START_TEST(test_write_atomic)
{
	char err[256] = "", *path, *s;

	ck_assert_int_eq(fs_write_atomic(fx.dir, "a.json", "{}", 2, err,
			     sizeof(err)),
	    0);
	path = xasprintf("%s/a.json", fx.dir);
	s = tu_slurp(path);
	ck_assert_str_eq(s, "{}");
	free(s);
	/* The rename fails: the old file stays whole, no temporary left. */
	fault_arm(FAULT_RENAME, 1, 0);
	ck_assert_int_eq(fs_write_atomic(fx.dir, "a.json", "[1, 2]", 6, err,
			     sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, strerror(EIO)) != NULL, "%s", err);
	s = tu_slurp(path);
	ck_assert_str_eq(s, "{}");
	free(s);
	assert_names(fx.dir, "a.json outbox");
	/* The write fails: the same. */
	fault_arm(FAULT_WRITE, 1, 0);
	ck_assert_int_eq(fs_write_atomic(fx.dir, "a.json", "[1, 2]", 6, err,
			     sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, strerror(ENOSPC)) != NULL, "%s", err);
	assert_names(fx.dir, "a.json outbox");
	s = tu_slurp(path);
	ck_assert_str_eq(s, "{}");
	free(s);
	/* A folder that is not there. */
	ck_assert_int_eq(fs_write_atomic("/nonexistent/dir", "x", "x", 1, err,
			     sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "/nonexistent/dir") != NULL, "%s", err);
	free(path);
}
END_TEST

/* Each failing call is a temporary failure naming the error, with no
 * .eml and no temporary file left behind. */
START_TEST(test_email_faults)
{
	static const struct {
		enum fault_point p;
		int		 err;
	} v[] = {
		{ FAULT_WRITE, ENOSPC },
		{ FAULT_FSYNC, EIO },
		{ FAULT_RENAME, EIO },
	};
	struct gw_msg	 m = email(ID1, EML);
	struct gw_answer a;
	char		*mail = xasprintf("%s/outbox/mail", fx.dir);
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		fault_reset();
		fault_arm(v[i].p, 1, 0);
		ck_assert_int_eq(submit(&m, &a), GW_TEMPFAIL);
		ck_assert_int_eq(a.result, GW_TEMPFAIL);
		ck_assert_msg(strstr(a.text, strerror(v[i].err)) != NULL,
		    "fault %d: \"%s\"", (int)v[i].p, a.text);
		assert_names(mail, "");
	}
	/* Healed: it goes. */
	fault_reset();
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	assert_names(mail, ID1 ".eml");
	free(mail);
}
END_TEST

START_TEST(test_sms_faults)
{
	struct gw_msg	 m = sms(ID1, "Nhắc lịch", "ucs2", 1);
	struct gw_answer a;
	char		 err[256], *path, *all;

	/* The append fails. */
	fault_arm(FAULT_WRITE, 1, 0);
	ck_assert_int_eq(submit(&m, &a), GW_TEMPFAIL);
	ck_assert_msg(strstr(a.text, "sms.jsonl") != NULL &&
		strstr(a.text, strerror(ENOSPC)) != NULL,
	    "%s", a.text);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
	all = tu_slurp(path);
	ck_assert_msg(all == NULL || strstr(all, ID1) == NULL, "%s", all);
	free(all);
	/* Appended, but the sync fails: flush says so, naming the file. */
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	fault_arm(FAULT_FSYNC, 1, 0);
	ck_assert_int_eq(flush(err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "sms.jsonl") != NULL &&
		strstr(err, strerror(EIO)) != NULL,
	    "%s", err);
	/* The folder of a mail that cannot be synced: flush fails. */
	{
		struct gw_msg e = email(ID2, EML);

		fault_reset();
		/* The sms.jsonl sync owed from above goes first. */
		ck_assert_int_eq(flush(err, sizeof(err)), 0);
		ck_assert_int_eq(submit(&e, &a), GW_OK);
		fault_arm(FAULT_FSYNC, 1, 1);
		ck_assert_int_eq(flush(err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "mail") != NULL, "%s", err);
	}
	free(path);
}
END_TEST

/* Whether every line of path is a whole JSON object; the number of lines
 * holding id (-1 when a line is torn). */
static int
whole_lines(const char *path, const char *id)
{
	char  *all = tu_slurp(path), *line, *save = NULL;
	size_t len;
	int    n = 0;

	if (all == NULL)
		return 0;
	len = strlen(all);
	ck_assert_msg(len == 0 || all[len - 1] == '\n',
	    "%s does not end with a newline: \"%s\"", path, all);
	for (line = strtok_r(all, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		json_error_t e;
		json_t	    *o = json_loads(line, 0, &e);
		const char  *have;

		ck_assert_msg(o != NULL, "%s: torn line \"%s\"", path, line);
		have = json_string_value(json_object_get(o, "id"));
		if (have != NULL && strcmp(have, id) == 0)
			n++;
		json_decref(o);
	}
	free(all);
	return n;
}

/* A full disk met halfway through a record: the bytes that went are taken
 * back, the send is a temporary failure, and the next record starts on a
 * line of its own. */
START_TEST(test_sms_short_write)
{
	struct gw_msg m1 = sms(ID1, "Nhắc lịch họp", "ucs2", 1);
	struct gw_msg m2 = sms(ID2, "Nhắc lịch họp lần hai", "ucs2", 1);
	struct gw_answer a;
	char		 err[256];
	char		*path = xasprintf("%s/outbox/sms.jsonl", fx.dir);

	ck_assert_int_eq(submit(&m1, &a), GW_OK);
	fault_arm(FAULT_SHORT, 1, 0);
	ck_assert_int_eq(submit(&m2, &a), GW_TEMPFAIL);
	ck_assert_msg(strstr(a.text, "sms.jsonl") != NULL &&
		strstr(a.text, strerror(ENOSPC)) != NULL,
	    "%s", a.text);
	ck_assert_int_eq(whole_lines(path, ID1), 1);
	ck_assert_int_eq(whole_lines(path, ID2), 0);
	/* Space again: the retry goes on a line of its own. */
	fault_reset();
	ck_assert_int_eq(submit(&m2, &a), GW_OK);
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(whole_lines(path, ID1), 1);
	ck_assert_int_eq(whole_lines(path, ID2), 1);
	free(path);
}
END_TEST

/* A file torn by an earlier run (a crash, or a loa before this one) is cut
 * back to its last whole record before anything is appended. */
START_TEST(test_sms_torn_tail)
{
	struct gw_msg	 m = sms(ID2, "Nhắc lịch", "ucs2", 1);
	struct gw_answer a;
	char		*path = xasprintf("%s/outbox/sms.jsonl", fx.dir);
	FILE		*f;

	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"id\":\"" ID1 "\",\"to\":\"+84912000001\",\"text\":\"a\","
	      "\"encoding\":\"gsm7\",\"parts\":1}\n{\"id\":\"" ID1
	      "\",\"to\":\"+8491\",\"encodin",
	    f);
	fclose(f);
	ck_assert_int_eq(submit(&m, &a), GW_OK);
	ck_assert_int_eq(whole_lines(path, ID1), 1);
	ck_assert_int_eq(whole_lines(path, ID2), 1);
	free(path);
}
END_TEST

/* A short write of a mail or a broadcast leaves no file, temporary or
 * named. */
START_TEST(test_atomic_short_write)
{
	struct gw_msg	 m = email(ID1, EML);
	struct gw_answer a;
	char		*mail = xasprintf("%s/outbox/mail", fx.dir);
	char		 err[256];

	fault_arm(FAULT_SHORT, 1, 0);
	ck_assert_int_eq(submit(&m, &a), GW_TEMPFAIL);
	ck_assert_msg(strstr(a.text, strerror(ENOSPC)) != NULL, "%s", a.text);
	assert_names(mail, "");
	fault_arm(FAULT_SHORT, 1, 0);
	ck_assert_int_eq(fs_write_atomic(fx.g.dir, "x.json", "{}", 2, err,
			     sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, "x.json") != NULL, "%s", err);
	assert_names(fx.g.dir, "mail");
	free(mail);
}
END_TEST

/* With the nth fsync from now failing, a flush fails naming what. */
static void
flush_fails(int nth, const char *what)
{
	char err[256];

	fault_arm(FAULT_FSYNC, nth, 0);
	ck_assert_int_eq(flush(err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, what) != NULL, "%s", err);
}

/* A sync that failed is tried again at the next flush, not forgotten. */
START_TEST(test_flush_retries_sync)
{
	struct gw_msg	 s = sms(ID1, "Nhắc lịch", "ucs2", 1);
	struct gw_msg	 e = email(ID2, EML);
	struct gw_answer a;
	char		 err[256];

	ck_assert_int_eq(submit(&s, &a), GW_OK);
	ck_assert_int_eq(submit(&e, &a), GW_OK);
	flush_fails(1, "sms.jsonl");
	/* Still to sync: sms.jsonl, DIR/mail and DIR. */
	flush_fails(1, "sms.jsonl");
	flush_fails(2, "/mail");
	/* The sms.jsonl sync went; the folders are still owed. */
	flush_fails(1, "/mail");
	fault_reset();
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 2);
	/* All synced: nothing more to do. */
	fault_reset();
	ck_assert_int_eq(flush(err, sizeof(err)), 0);
	ck_assert_int_eq(fault_calls(FAULT_FSYNC), 0);
}
END_TEST

int
main(void)
{
	TU_CASE("file", setup, teardown, 0, test_lookup, test_init_not_a_folder,
	    test_email_file, test_email_synced, test_sms_lines, test_sms_synced,
	    test_broadcast_spool, test_write_atomic, test_email_faults,
	    test_sms_faults, test_sms_short_write, test_sms_torn_tail,
	    test_atomic_short_write, test_flush_retries_sync);
	return tu_run("gw_file");
}
