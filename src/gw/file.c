/*
 * gw_file.c: the file gateway (email as DIR/mail/ID.eml, SMS as one JSON
 * line in DIR/sms.jsonl) and the spool gateway (a broadcast as DIR/ID.json
 * and DIR/ID.txt). Files are written atomically and named by job id.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gw/gw.h"
#include "util/fault.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/text.h"
#include "util/mem.h"
#include "util/buf.h"

/* What file_flush must sync: bits of struct gw's dirty. */
#define DIRTY_SMS  0x1 /* sms.jsonl was appended to */
#define DIRTY_MAIL 0x2 /* names were renamed into DIR/mail */
#define DIRTY_DIR  0x4 /* names were renamed into DIR */
#define TORN	   0x8 /* sms.jsonl may end in a part of a record */

static int
file_init(struct gw *g, char *err, size_t errlen)
{
	struct stat st;

	/* The engine gives every file and spool gateway its folder. */
	assert(g->dir != NULL);
	g->fd = -1;
	mkdirs(g->dir);
	/* Why not, in words: "Permission denied" is not "not a folder". */
	if (stat(g->dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", g->dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a folder loa can use", g->dir);
		return -1;
	}
	if (access(g->dir, W_OK | X_OK) == -1) {
		snprintf(err, errlen, "%s: %s", g->dir, strerror(errno));
		return -1;
	}
	return 0;
}

static enum gw_result
file_fail(struct gw_answer *a, const char *what)
{
	assert(a != NULL && what != NULL);
	snprintf(a->text, sizeof(a->text), "%s: %s", what, strerror(errno));
	/* A full disk or a lost mount may heal: try again later. */
	a->result = GW_TEMPFAIL;
	return a->result;
}

/*
 * Cut sms.jsonl back to its last whole record: what follows the last
 * newline is a record a full disk or a crash cut short, never one the
 * outbox recorded as sent. 0, or -1 with errno set.
 */
static int
sms_repair(int fd, const char *path)
{
	char  buf[4096];
	off_t end, at;

	if ((end = lseek(fd, 0, SEEK_END)) == -1)
		return -1;
	for (at = end; at > 0;) {
		size_t	n = at < (off_t)sizeof(buf) ? (size_t)at : sizeof(buf);
		off_t	from = at - (off_t)n;
		ssize_t r = pread(fd, buf, n, from);

		if (r != (ssize_t)n) {
			if (r >= 0)
				errno = EIO;
			return -1;
		}
		while (n > 0 && buf[n - 1] != '\n')
			n--;
		at = from + (off_t)n;
		if (n > 0)
			break;
	}
	if (at == end)
		return 0;
	if (ftruncate(fd, at) == -1)
		return -1;
	log_warnx("%s: cut off a torn record of %lld bytes at its end (never "
		  "recorded as sent; it goes again)",
	    path, (long long)(end - at));
	return 0;
}

/* One file of a broadcast's set, DIR/ID.ext; 0 or -1 with a->text. */
static int
spool_file(struct gw *g, const char *id, const char *ext, const void *data,
    size_t len, struct gw_answer *a)
{
	char  err[256];
	char *name = xasprintf("%s.%s", id, ext);
	int   rc = fs_write_atomic(g->dir, name, data, len, err, sizeof(err));

	if (rc == -1) {
		snprintf(a->text, sizeof(a->text), "%s", err);
		a->result = GW_TEMPFAIL;
	}
	free(name);
	return rc;
}

char *
gw_record(const struct gw_msg *m)
{
	json_t *o = json_loads(m->data, 0, NULL), *au;
	char   *s;

	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return xstrdup(m->data);
	}
	au = m->audio != NULL ? json_sprintf("%s.wav", m->id) : json_null();
	if (au == NULL || json_object_set_new(o, "audio", au) == -1)
		fatalx("broadcast %s: out of memory", m->id);
	if ((s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_INDENT(2))) == NULL)
		fatalx("broadcast %s: out of memory", m->id);
	json_decref(o);
	return s;
}

/*
 * The file name of the playlist of slot on day: DAY-SLOT.m3u, the slot's
 * name folded to ASCII (diacritics dropped), lower case, every run of
 * other characters one '-'.
 */
static char *
playlist_name(const char *day, const char *slot)
{
	struct buf  b = { 0 };
	char	   *f = text_fold(slot);
	const char *p;
	int	    dash = 0;

	buf_printf(&b, "%.10s-", day);
	for (p = f != NULL ? f : ""; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    (ch >= 'A' && ch <= 'Z')) {
			if (dash && b.s[b.len - 1] != '-')
				buf_addc(&b, '-');
			dash = 0;
			buf_addc(&b,
			    (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' :
							    ch));
		} else
			dash = 1;
	}
	if (b.s[b.len - 1] == '-')
		buf_adds(&b, "slot");
	buf_adds(&b, ".m3u");
	free(f);
	return buf_take(&b);
}

/* The playlists to rewrite at the next flush, by file name. */
struct spool {
	char **dirty;
	size_t n, cap;
};

/* Remember that the playlist of the slot and day of record data changed. */
static void
spool_mark(struct gw *g, const char *data)
{
	struct spool *sp = g->priv;
	json_t	     *o = json_loads(data, 0, NULL);
	const char   *slot, *planned = NULL;
	json_t	     *sl = NULL;
	char	     *k;
	size_t	      i;

	if (o != NULL)
		json_unpack(o, "{s?o, s?s}", "slot", &sl, "planned", &planned);
	slot = json_string_value(sl);
	/* Emergencies (no slot) have no playlist. */
	if (slot == NULL || planned == NULL || strlen(planned) < 10) {
		json_decref(o);
		return;
	}
	if (sp == NULL)
		g->priv = sp = xcalloc(1, sizeof(*sp));
	k = playlist_name(planned, slot);
	json_decref(o);
	for (i = 0; i < sp->n; i++)
		if (strcmp(sp->dirty[i], k) == 0) {
			free(k);
			return;
		}
	xgrow(&sp->dirty, &sp->cap, sp->n + 1, sizeof(*sp->dirty));
	sp->dirty[sp->n++] = k;
}

/*
 * A broadcast's set: ID.txt, ID.wav (with audio), ID.cap.xml (with a CAP
 * alert), each written atomically, and ID.json last, so whoever sees
 * ID.json finds the rest whole. The folder is synced and the playlist
 * rewritten at the flush. 0, or -1 with the answer in a.
 */
static int
spool_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	char *rec;

	/* A broadcast: its audio has its length, and the spool its folder. */
	assert(g->dir != NULL && m->id != NULL);
	assert(m->audio == NULL || m->audio_len > 0);
	if (access(g->dir, F_OK) == -1)
		mkdirs(g->dir);
	if (m->text != NULL &&
	    spool_file(g, m->id, "txt", m->text, strlen(m->text), a) == -1)
		return -1;
	if (m->audio != NULL &&
	    spool_file(g, m->id, "wav", m->audio, m->audio_len, a) == -1)
		return -1;
	if (m->cap != NULL &&
	    spool_file(g, m->id, "cap.xml", m->cap, strlen(m->cap), a) == -1)
		return -1;
	rec = gw_record(m);
	if (spool_file(g, m->id, "json", rec, strlen(rec), a) == -1) {
		free(rec);
		return -1;
	}
	g->dirty |= DIRTY_DIR;
	spool_mark(g, rec);
	free(rec);
	snprintf(a->text, sizeof(a->text), "%s/%s.json", g->dir, m->id);
	return 0;
}

/* One entry of a playlist. */
struct pl_item {
	char  *planned;
	char  *id;
	char  *title;
	char  *file;
	double secs;
};

static int
pl_cmp(const void *x, const void *y)
{
	const struct pl_item *a = x, *b = y;
	int		      c = strcmp(a->planned, b->planned);

	return c != 0 ? c : strcmp(a->id, b->id);
}

/*
 * Rewrite each playlist marked since the last flush from the records in
 * the spool (so it is right after a restart, with items handed one at a
 * time, and with a job handed twice listed once): #EXTM3U, then per item
 * of that slot and day in running order #EXTINF:SECONDS,TITLE and its
 * WAV (its text, ID.txt, when it has no audio). 0, or -1 with err.
 */
static int
spool_playlists(struct gw *g, char *err, size_t errlen)
{
	struct spool   *sp = g->priv;
	struct pl_item *v = NULL;
	size_t		n = 0, cap = 0, i, k;
	DIR	       *d;
	struct dirent  *de;
	int		rc = 0;

	if (sp == NULL || sp->n == 0)
		return 0;
	if ((d = opendir(g->dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", g->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t	    len = strlen(de->d_name);
		const char *slot, *planned, *title = "", *audio;
		const char *id;
		json_t	   *o, *dur = NULL, *au = NULL, *sl = NULL;
		char	   *path, *name, *data, serr[256];
		size_t	    dlen;

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		/* A regular file only, never blocking: a FIFO named
		 * x.json would hang the flush for good; never a link. */
		path = xasprintf("%s/%s", g->dir, de->d_name);
		o = NULL;
		if (fs_slurp_own(path, FS_MAX_FILE, &data, &dlen, serr,
			sizeof(serr)) == 0)
			o = json_loadb(data, dlen, 0, NULL);
		free(data);
		free(path);
		slot = planned = id = NULL;
		if (o == NULL ||
		    json_unpack(o, "{s:s, s?o, s?s, s?s, s?o, s?o}", "id", &id,
			"slot", &sl, "planned", &planned, "title", &title,
			"duration_s", &dur, "audio", &au) == -1 ||
		    (slot = json_string_value(sl)) == NULL || planned == NULL ||
		    strlen(planned) < 10) {
			json_decref(o);
			continue;
		}
		audio = json_string_value(au);
		name = playlist_name(planned, slot);
		for (k = 0; k < sp->n; k++)
			if (strcmp(sp->dirty[k], name) == 0)
				break;
		if (k < sp->n) {
			struct pl_item *it;
			char	       *q;

			xgrow(&v, &cap, n + 1, sizeof(*v));
			it = &v[n++];
			it->planned = name;
			it->id = xstrdup(id);
			/* One line: every control and Unicode line break
			 * (VT, FF, NEL, U+2028, U+2029) a space. */
			it->title = text_oneline(title);
			it->file = audio != NULL ? xstrdup(audio) :
						   xasprintf("%s.txt", id);
			it->secs = json_is_number(dur) ?
			    json_number_value(dur) :
			    0;
			/* Sorted by playlist, then by planned time. */
			q = it->planned;
			it->planned = xasprintf("%s\t%s", q, planned);
			free(q);
		} else
			free(name);
		json_decref(o);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), pl_cmp);
	for (i = 0; i < n && rc == 0;) {
		struct buf b = { 0 };
		size_t	   nl = strcspn(v[i].planned, "\t"), j;
		char	  *pl = xstrndup(v[i].planned, nl);

		buf_adds(&b, "#EXTM3U\n");
		for (j = i; j < n && strncmp(v[j].planned, pl, nl) == 0 &&
		     v[j].planned[nl] == '\t';
		     j++)
			buf_printf(&b, "#EXTINF:%lld,%s\n%s\n",
			    (long long)llround(v[j].secs), v[j].title,
			    v[j].file);
		if (fs_write_atomic(g->dir, pl, b.s, b.len, err, errlen) == -1)
			rc = -1;
		buf_free(&b);
		free(pl);
		i = j;
	}
	for (i = 0; i < n; i++) {
		free(v[i].planned);
		free(v[i].id);
		free(v[i].title);
		free(v[i].file);
	}
	free(v);
	if (rc == 0) {
		for (k = 0; k < sp->n; k++)
			free(sp->dirty[k]);
		sp->n = 0;
	}
	return rc;
}

static enum gw_result
file_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	char err[256];

	/* Every message has its job id and channel (gw.h). */
	assert(m->id != NULL && m->channel != NULL);
	a->id = m->id;
	a->retry_after = 0;
	if (strcmp(m->channel, "sms") == 0) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "id", m->id,
		    "to", m->to, "text", m->data, "encoding",
		    m->encoding ? m->encoding : "ucs2", "parts", m->parts);
		char   *line, *path;
		size_t	len;
		off_t	end = -1;

		line = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
		json_decref(o);
		/* NEL, U+2028, U+2029 escaped: one line to every reader. */
		path = text_json_breaks(line);
		free(line);
		line = path;
		len = strlen(line);
		line = xreallocarray(line, len + 2, 1);
		line[len++] = '\n';
		line[len] = '\0';
		path = xasprintf("%s/sms.jsonl", g->dir);
		/*
		 * One write with O_APPEND: lines never interleave. The file is
		 * synced once a batch, in file_flush, before the outbox
		 * records the batch as sent.
		 */
		if (g->fd == -1) {
			/* Never through a link planted at the name. */
			if ((g->fd = fs_open_own(path,
				 O_RDWR | O_CREAT | O_APPEND, 0600, a->text,
				 sizeof(a->text))) == -1) {
				a->result = GW_TEMPFAIL;
				free(path);
				free(line);
				return a->result;
			}
			g->dirty |= DIRTY_DIR |
			    TORN; /* it may be new, or torn */
		}
		/*
		 * A record is whole or not there: a write that fails or falls
		 * short (a full disk) is cut back off before the send is
		 * reported a temporary failure. When even that fails, the cut
		 * is made before the next append.
		 */
		if ((g->dirty & TORN) && sms_repair(g->fd, path) == -1) {
			file_fail(a, path);
			free(path);
			free(line);
			return a->result;
		}
		g->dirty &= ~TORN;
		if ((end = lseek(g->fd, 0, SEEK_END)) == -1 ||
		    fault_write(g->fd, line, len) == -1) {
			int saved = errno;

			if (end != -1 && ftruncate(g->fd, end) == -1)
				g->dirty |= TORN;
			errno = saved;
			file_fail(a, path);
			free(path);
			free(line);
			return a->result;
		}
		g->dirty |= DIRTY_SMS;
		snprintf(a->text, sizeof(a->text), "%s%s%s", m->note,
		    m->note[0] != '\0' ? "; " : "", path);
		free(path);
		free(line);
	} else if (strcmp(m->channel, "broadcast") == 0) {
		if (spool_submit(g, m, a) == -1)
			return a->result;
	} else {
		char *sub = xasprintf("%s/mail", g->dir);
		char *name = xasprintf("%s.eml", m->id);

		if (access(sub, F_OK) == -1)
			g->dirty |= DIRTY_DIR; /* a new name in DIR */
		if (fs_mkdir_own(sub, err, sizeof(err)) == -1 ||
		    fs_write_atomic(sub, name, m->data, strlen(m->data), err,
			sizeof(err)) == -1) {
			snprintf(a->text, sizeof(a->text), "%s", err);
			a->result = GW_TEMPFAIL;
			free(sub);
			free(name);
			return a->result;
		}
		g->dirty |= DIRTY_MAIL;
		snprintf(a->text, sizeof(a->text), "%s/%s", sub, name);
		free(sub);
		free(name);
	}
	a->result = GW_OK;
	return GW_OK;
}

static int
file_pollfds(struct gw *g, struct pollfd *p, int max, int *timeout)
{
	return 0;
}

static void
file_poll(struct gw *g, void (*done)(void *, const struct gw_answer *),
    void	    *arg)
{
}

/* Sync a folder, so the names renamed into it survive a power cut. */
static int
sync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd == -1 || fault_fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * Sync what was written since the last flush. A flag is cleared only once
 * its sync succeeded: what failed is synced again at the next flush.
 */
static int
file_flush(struct gw *g, char *err, size_t errlen)
{
	char *mail;
	int   rc;

	if (g->dirty & DIRTY_SMS) {
		if (fault_fsync(g->fd) == -1) {
			snprintf(err, errlen, "%s/sms.jsonl: %s", g->dir,
			    strerror(errno));
			return -1;
		}
		g->dirty &= ~DIRTY_SMS;
	}
	if (g->dirty & DIRTY_MAIL) {
		mail = xasprintf("%s/mail", g->dir);
		rc = sync_dir(mail, err, errlen);
		free(mail);
		if (rc == -1)
			return -1;
		g->dirty &= ~DIRTY_MAIL;
	}
	if (spool_playlists(g, err, errlen) == -1)
		return -1;
	if (g->dirty & DIRTY_DIR) {
		if (sync_dir(g->dir, err, errlen) == -1)
			return -1;
		g->dirty &= ~DIRTY_DIR;
	}
	return 0;
}

static void
file_shutdown(struct gw *g)
{
	struct spool *sp = g->priv;
	size_t	      i;

	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
	if (sp != NULL) {
		for (i = 0; i < sp->n; i++)
			free(sp->dirty[i]);
		free(sp->dirty);
		free(sp);
		g->priv = NULL;
	}
}

const struct gw_backend gw_backend_file = {
	"file",
	file_init,
	file_submit,
	file_pollfds,
	file_poll,
	file_flush,
	file_shutdown,
};
