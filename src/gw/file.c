/*
 * gw_file.c: the file gateway (email as DIR/mail/ID.eml, SMS as one JSON
 * line in DIR/sms.jsonl) and the spool gateway (a broadcast as DIR/ID.json
 * and DIR/ID.txt). Files are written atomically and named by job id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gw/gw.h"
#include "util/fault.h"
#include "util/log.h"
#include "util/xmalloc.h"

/* What file_flush must sync: bits of struct gw's dirty. */
#define DIRTY_SMS  0x1 /* sms.jsonl was appended to */
#define DIRTY_MAIL 0x2 /* names were renamed into DIR/mail */
#define DIRTY_DIR  0x4 /* names were renamed into DIR */
#define TORN	   0x8 /* sms.jsonl may end in a part of a record */

int
gw_write_atomic(const char *dir, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	char *tmp = xasprintf("%s/.%s.tmp", dir, name);
	char *dst = xasprintf("%s/%s", dir, name);
	int   fd, rc = -1;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fault_write(fd, data, len) == -1 || fault_fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (fault_hit(FAULT_RENAME) || rename(tmp, dst) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(dst);
	return rc;
}

static int
file_init(struct gw *g, char *err, size_t errlen)
{
	struct stat st;

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
	snprintf(a->text, sizeof(a->text), "%s: %s", what, strerror(errno));
	/* A full disk or a lost mount may heal: try again later. */
	a->result = GW_TEMPFAIL;
	return a->result;
}

/* The broadcast's text beside its JSON, as ID.txt. */
static int
file_text(const char *dir, const char *id, const char *text, char *err,
    size_t errlen)
{
	char *name = xasprintf("%s.txt", id);
	int   rc = gw_write_atomic(dir, name, text, strlen(text), err, errlen);

	free(name);
	return rc;
}

/* The broadcast read aloud beside its JSON, as ID.wav. */
static int
file_audio(const char *dir, const struct gw_msg *m, char *err, size_t errlen)
{
	char *name = xasprintf("%s.wav", m->id);
	int   rc = gw_write_atomic(dir, name, (const char *)m->audio,
	      m->audio_len, err, errlen);

	free(name);
	return rc;
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

static enum gw_result
file_submit(struct gw *g, const struct gw_msg *m, struct gw_answer *a)
{
	char err[256];

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
			if ((g->fd = open(path,
				 O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
				 0600)) == -1) {
				file_fail(a, path);
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
	} else {
		char *sub = strcmp(m->channel, "email") == 0 ?
		    xasprintf("%s/mail", g->dir) :
		    xstrdup(g->dir);
		char *name = xasprintf("%s.%s", m->id,
		    strcmp(m->channel, "email") == 0 ? "eml" : "json");

		if (access(sub, F_OK) == -1) {
			mkdirs(sub);
			g->dirty |= DIRTY_DIR; /* a new name in DIR */
		}
		if (gw_write_atomic(sub, name, m->data, strlen(m->data), err,
			sizeof(err)) == -1 ||
		    (m->text != NULL && strcmp(m->channel, "broadcast") == 0 &&
			file_text(sub, m->id, m->text, err, sizeof(err)) ==
			    -1) ||
		    (m->audio != NULL &&
			file_audio(sub, m, err, sizeof(err)) == -1)) {
			snprintf(a->text, sizeof(a->text), "%s", err);
			a->result = GW_TEMPFAIL;
			free(sub);
			free(name);
			return a->result;
		}
		g->dirty |= strcmp(m->channel, "email") == 0 ? DIRTY_MAIL :
							       DIRTY_DIR;
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
	if (g->fd != -1)
		close(g->fd);
	g->fd = -1;
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
