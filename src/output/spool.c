/*
 * spool: Kafka's on-disk overflow, append-only segments with a checksum per
 * record (see include/mamori/spool.h for the contract).
 *
 * Record: u32 len (bytes after the first 8), u32 CRC32C of those bytes,
 * u64 ts_us, u32 key_len, u8 type, 3 bytes zero, key, value. Native byte
 * order: a spool is read back by the sensor that wrote it.
 *
 * The segment list lives in memory (number, bytes, records, records
 * acknowledged); at open it is rebuilt by scanning every segment, which
 * validates every record once and finds a torn tail: the file is cut at the
 * first record whose length runs past the end or whose CRC does not match,
 * and what was cut is counted. Appends are one write() each on an O_APPEND
 * descriptor, so a record is in the page cache (safe from a SIGKILL) when
 * spool_append returns; fdatasync per the fsync policy decides what a power
 * loss may take. The head lives in the `cursor` file, rewritten in place
 * (32 bytes with their own CRC) on every commit: a torn cursor only means
 * replaying from the oldest segment again.
 *
 * Only the output thread calls this, after startup; it never runs on the
 * packet path.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mamori/clock.h"
#include "mamori/log.h"
#include "mamori/spool.h"

#define HDR 24u
#define CURSOR_MAGIC UINT64_C(0x4d414d4f52494355)  /* "MAMORICU" */
#define MIN_SEGMENT (64u * 1024)

struct seg {
	uint64_t num;
	uint64_t bytes;
	uint64_t records;
	uint64_t consumed;      /* records acknowledged (from the start) */
};

struct spool {
	struct spool_config cfg;
	char *dir;
	struct seg *segs;       /* sorted by num; the last is the tail */
	unsigned nsegs, cap;
	int wfd;                /* the tail segment, O_APPEND */
	int rfd;                /* segment being read */
	uint64_t rfd_num;
	int cfd;                /* cursor file */
	struct spool_pos head, rd;
	uint64_t total_bytes;
	uint64_t last_sync_ms;
	bool dirty;             /* written since the last fsync */
	struct spool_stats st;
};

/* ---- CRC32C ---------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t spool_crc32c(uint32_t crc, const void *data, size_t len)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const uint8_t *p = data;

	pthread_once(&once, crc_init);
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- helpers --------------------------------------------------------------- */

static void seg_path(const struct spool *sp, uint64_t num, char *buf, size_t len)
{
	snprintf(buf, len, "%s/seg-%016" PRIu64, sp->dir, num);
}

static int pos_cmp(struct spool_pos a, struct spool_pos b)
{
	if (a.seg != b.seg)
		return a.seg < b.seg ? -1 : 1;
	return a.off < b.off ? -1 : a.off > b.off;
}

static struct seg *seg_find(struct spool *sp, uint64_t num)
{
	for (unsigned i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].num == num)
			return &sp->segs[i];
	return NULL;
}

static int full_read(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		got += (size_t)n;
	}
	return 0;
}

static void write_cursor(struct spool *sp)
{
	uint64_t c[4];
	uint32_t crc;

	c[0] = CURSOR_MAGIC;
	c[1] = sp->head.seg;
	c[2] = sp->head.off;
	crc = spool_crc32c(0, c, 24);
	c[3] = crc;
	if (pwrite(sp->cfd, c, sizeof(c), 0) != (ssize_t)sizeof(c))
		sp->st.write_errors++;
	sp->dirty = true;
}

static int read_cursor(int fd, struct spool_pos *pos)
{
	uint64_t c[4];

	if (full_read(fd, c, sizeof(c), 0) < 0 || c[0] != CURSOR_MAGIC ||
	    (uint32_t)c[3] != spool_crc32c(0, c, 24))
		return -1;
	pos->seg = c[1];
	pos->off = c[2];
	return 0;
}

int spool_sync(struct spool *sp)
{
	int rc = 0;

	if (!sp->dirty)
		return 0;
	if (sp->wfd >= 0 && fdatasync(sp->wfd) < 0)
		rc = -errno;
	if (sp->cfd >= 0 && fdatasync(sp->cfd) < 0)
		rc = -errno;
	sp->dirty = false;
	sp->st.fsyncs++;
	if (rc)
		sp->st.write_errors++;
	return rc;
}

void spool_tick(struct spool *sp, uint64_t now_ms)
{
	if (sp->cfg.fsync != SPOOL_FSYNC_INTERVAL || !sp->dirty)
		return;
	if (now_ms - sp->last_sync_ms >= sp->cfg.fsync_interval_ms) {
		spool_sync(sp);
		sp->last_sync_ms = now_ms;
	}
}

/* ---- open: scan and repair --------------------------------------------------- */

static int num_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Walk one segment's records; cut the file at the first bad one. consumed
 * counts the records that start before `upto` (the cursor's offset when
 * this is the head segment, else 0).
 */
static int scan_segment(struct spool *sp, struct seg *s, uint64_t upto, uint64_t *head_off,
			char *buf)
{
	char path[4096];
	struct stat st;
	uint64_t off = 0;
	int fd, rc = 0;

	seg_path(sp, s->num, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	s->records = s->consumed = 0;
	*head_off = 0;
	while (off < (uint64_t)st.st_size) {
		uint8_t h[HDR];
		uint32_t len, crc;

		if ((uint64_t)st.st_size - off < HDR || full_read(fd, h, HDR, off) < 0)
			break;
		memcpy(&len, h, 4);
		memcpy(&crc, h + 4, 4);
		if (len < HDR - 8 || len - (HDR - 8) > SPOOL_REC_MAX ||
		    off + 8 + len > (uint64_t)st.st_size)
			break;
		if (full_read(fd, buf, len - (HDR - 8), off + HDR) < 0)
			break;
		if (spool_crc32c(spool_crc32c(0, h + 8, HDR - 8), buf, len - (HDR - 8)) != crc)
			break;
		if (off < upto) {
			s->consumed++;
			*head_off = off + 8 + len;
		}
		s->records++;
		off += 8 + (uint64_t)len;
	}
	if (off < (uint64_t)st.st_size) {
		/* a torn or corrupt tail: never replay it */
		sp->st.torn_records++;
		sp->st.torn_bytes += (uint64_t)st.st_size - off;
		log_warn("spool %s: cut %" PRIu64 " bytes of a torn record at offset %" PRIu64,
			 path, (uint64_t)st.st_size - off, off);
		if (ftruncate(fd, (off_t)off) < 0)
			rc = -errno;
	}
	s->bytes = off;
	close(fd);
	return rc;
}

static int mkdir_p(const char *dir)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int open_tail(struct spool *sp)
{
	char path[4096];

	if (sp->wfd >= 0)
		close(sp->wfd);
	seg_path(sp, sp->segs[sp->nsegs - 1].num, path, sizeof(path));
	sp->wfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return sp->wfd < 0 ? -errno : 0;
}

static void remove_seg(struct spool *sp, unsigned i)
{
	char path[4096];

	seg_path(sp, sp->segs[i].num, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		sp->st.write_errors++;
	if (sp->rfd >= 0 && sp->rfd_num == sp->segs[i].num) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	sp->total_bytes -= sp->segs[i].bytes;
	memmove(&sp->segs[i], &sp->segs[i + 1], (sp->nsegs - i - 1) * sizeof(*sp->segs));
	sp->nsegs--;
}

struct spool *spool_open(const struct spool_config *cfg, char *errbuf, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	struct spool_pos cur = { 0, 0, 0 };
	uint64_t *nums = NULL, head_off = 0;
	size_t nnums = 0, capn = 0;
	bool have_cursor;
	char path[4096], *buf = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int rc;

	if (!sp)
		goto nomem;
	sp->wfd = sp->rfd = sp->cfd = -1;
	sp->cfg = *cfg;
	if (!sp->cfg.segment_bytes)
		sp->cfg.segment_bytes = cfg->max_bytes / 8;
	if (sp->cfg.segment_bytes < MIN_SEGMENT)
		sp->cfg.segment_bytes = MIN_SEGMENT;
	sp->dir = strdup(cfg->dir);
	buf = malloc(SPOOL_REC_MAX + HDR);
	if (!sp->dir || !buf)
		goto nomem;
	sp->cfg.dir = sp->dir;
	rc = mkdir_p(sp->dir);
	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot create %s: %s", sp->dir, strerror(-rc));
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/cursor", sp->dir);
	sp->cfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->cfd < 0) {
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	have_cursor = read_cursor(sp->cfd, &cur) == 0;

	d = opendir(sp->dir);
	if (!d) {
		snprintf(errbuf, errlen, "cannot read %s: %s", sp->dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		uint64_t num;
		char *end;

		if (strncmp(de->d_name, "seg-", 4) != 0)
			continue;
		errno = 0;
		num = strtoull(de->d_name + 4, &end, 10);
		if (errno || *end || end == de->d_name + 4)
			continue;
		if (nnums == capn) {
			uint64_t *n2 = realloc(nums, (capn ? capn * 2 : 16) * sizeof(*nums));
			if (!n2)
				goto nomem;
			nums = n2;
			capn = capn ? capn * 2 : 16;
		}
		nums[nnums++] = num;
	}
	closedir(d);
	d = NULL;
	if (nnums)
		qsort(nums, nnums, sizeof(*nums), num_cmp);

	sp->cap = (unsigned)(nnums + 64);
	sp->segs = calloc(sp->cap, sizeof(*sp->segs));
	if (!sp->segs)
		goto nomem;
	for (size_t i = 0; i < nnums; i++) {
		struct seg *s = &sp->segs[sp->nsegs];

		if (have_cursor && nums[i] < cur.seg) {
			/* acknowledged before the crash, not yet deleted */
			s->num = nums[i];
			sp->nsegs++;
			remove_seg(sp, sp->nsegs - 1);
			continue;
		}
		s->num = nums[i];
		rc = scan_segment(sp, s, have_cursor && nums[i] == cur.seg ? cur.off : 0,
				  &head_off, buf);
		if (rc < 0) {
			snprintf(errbuf, errlen, "spool segment %016" PRIu64 " in %s: %s",
				 nums[i], sp->dir, strerror(-rc));
			goto fail;
		}
		sp->nsegs++;
		sp->total_bytes += s->bytes;
		sp->st.pending += s->records - s->consumed;
		if (have_cursor && nums[i] == cur.seg) {
			sp->head.seg = s->num;
			sp->head.off = head_off;
			sp->head.idx = s->consumed;
		}
	}
	/* the head: the cursor's record, else the oldest segment's start */
	if (sp->nsegs && (!have_cursor || !seg_find(sp, cur.seg))) {
		sp->head = (struct spool_pos){ sp->segs[0].num, 0, 0 };
		sp->st.pending = 0;
		for (unsigned i = 0; i < sp->nsegs; i++) {
			sp->segs[i].consumed = 0;
			sp->st.pending += sp->segs[i].records;
		}
	}
	/* fully acknowledged segments before the tail go */
	while (sp->nsegs > 1 && sp->segs[0].consumed == sp->segs[0].records) {
		remove_seg(sp, 0);
		sp->head = (struct spool_pos){ sp->segs[0].num, 0, 0 };
		sp->segs[0].consumed = 0;
	}
	if (!sp->nsegs) {
		sp->segs[0].num = have_cursor && cur.seg ? cur.seg : 1;
		sp->nsegs = 1;
		sp->head = (struct spool_pos){ sp->segs[0].num, 0, 0 };
	}
	sp->rd = sp->head;
	if (open_tail(sp) < 0) {
		seg_path(sp, sp->segs[sp->nsegs - 1].num, path, sizeof(path));
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	write_cursor(sp);
	spool_sync(sp);
	sp->st.fsyncs = 0;
	sp->st.bytes = sp->total_bytes;
	sp->last_sync_ms = clock_mono_ns() / 1000000u;
	free(nums);
	free(buf);
	return sp;

nomem:
	snprintf(errbuf, errlen, "out of memory");
fail:
	if (d)
		closedir(d);
	free(nums);
	free(buf);
	spool_close(sp);
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->cfg.fsync != SPOOL_FSYNC_NEVER)
		spool_sync(sp);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	if (sp->cfd >= 0)
		close(sp->cfd);
	free(sp->segs);
	free(sp->dir);
	free(sp);
}

/* ---- append ------------------------------------------------------------------ */

/* Drop the oldest segment (drop-oldest policy); false when none can go. */
static bool drop_oldest(struct spool *sp)
{
	struct seg *s = &sp->segs[0];
	uint64_t lost;

	if (sp->nsegs < 2)
		return false;
	lost = s->records - s->consumed;
	sp->st.dropped += lost;
	sp->st.pending -= lost;
	remove_seg(sp, 0);
	sp->head = (struct spool_pos){ sp->segs[0].num, 0, 0 };
	if (pos_cmp(sp->rd, sp->head) < 0)
		sp->rd = sp->head;
	write_cursor(sp);
	return true;
}

static int rotate(struct spool *sp)
{
	struct seg *t = &sp->segs[sp->nsegs - 1];

	if (sp->nsegs == sp->cap)
		return -ENOSPC;
	sp->segs[sp->nsegs] = (struct seg){ .num = t->num + 1 };
	sp->nsegs++;
	if (sp->cfg.fsync != SPOOL_FSYNC_NEVER)
		spool_sync(sp);
	return open_tail(sp);
}

int spool_append(struct spool *sp, uint8_t type, uint64_t ts_us,
		 const char *key, size_t key_len, const char *value, size_t value_len)
{
	uint8_t h[HDR];
	uint32_t len, crc, kl = (uint32_t)key_len;
	uint64_t need = HDR + key_len + value_len;
	struct iovec iov[3];
	struct seg *t;
	ssize_t n;

	if (key_len + value_len > SPOOL_REC_MAX)
		return -E2BIG;
	/* full: the bound covers every segment together */
	while (sp->total_bytes + need > sp->cfg.max_bytes) {
		if (sp->cfg.full == SPOOL_DROP_NEWEST) {
			sp->st.dropped++;
			return -ENOSPC;
		}
		if (sp->nsegs == 1 && sp->segs[0].records && rotate(sp) < 0)
			break;
		if (!drop_oldest(sp))
			break;
	}
	if (sp->total_bytes + need > sp->cfg.max_bytes) {
		sp->st.dropped++;
		return -ENOSPC;
	}
	t = &sp->segs[sp->nsegs - 1];
	if (t->bytes && t->bytes + need > sp->cfg.segment_bytes) {
		int rc = rotate(sp);

		if (rc < 0) {
			sp->st.dropped++;
			return rc;
		}
		t = &sp->segs[sp->nsegs - 1];
	}
	len = (uint32_t)(need - 8);
	memset(h, 0, sizeof(h));
	memcpy(h + 8, &ts_us, 8);
	memcpy(h + 16, &kl, 4);
	h[20] = type;
	crc = spool_crc32c(0, h + 8, HDR - 8);
	crc = spool_crc32c(crc, key, key_len);
	crc = spool_crc32c(crc, value, value_len);
	memcpy(h, &len, 4);
	memcpy(h + 4, &crc, 4);
	iov[0] = (struct iovec){ h, HDR };
	iov[1] = (struct iovec){ (void *)key, key_len };
	iov[2] = (struct iovec){ (void *)value, value_len };
	do
		n = writev(sp->wfd, iov, 3);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)need) {
		int err = n < 0 ? errno : EIO;

		/* a short write leaves a torn record: cut it so the next
		 * append starts on a boundary */
		if (n > 0 && ftruncate(sp->wfd, (off_t)t->bytes) < 0)
			err = errno;
		sp->st.write_errors++;
		sp->st.dropped++;
		return -err;
	}
	t->bytes += need;
	t->records++;
	sp->total_bytes += need;
	sp->st.appended++;
	sp->st.pending++;
	sp->dirty = true;
	if (sp->cfg.fsync == SPOOL_FSYNC_ALWAYS)
		spool_sync(sp);
	return 0;
}

/* ---- read, commit ------------------------------------------------------------ */

int spool_read(struct spool *sp, struct spool_rec *r, char *buf, size_t buflen)
{
	for (;;) {
		struct seg *s = seg_find(sp, sp->rd.seg);
		uint8_t h[HDR];
		uint32_t len, crc, kl;
		size_t body;
		int rc;

		if (!s) {
			/* dropped under us: go on from the oldest left */
			sp->rd = (struct spool_pos){ sp->segs[0].num, 0, 0 };
			s = &sp->segs[0];
		}
		if (sp->rd.off >= s->bytes) {
			if (s == &sp->segs[sp->nsegs - 1])
				return 0;
			sp->rd = (struct spool_pos){ s[1].num, 0, 0 };
			continue;
		}
		if (sp->rfd < 0 || sp->rfd_num != s->num) {
			char path[4096];

			if (sp->rfd >= 0)
				close(sp->rfd);
			seg_path(sp, s->num, path, sizeof(path));
			sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
			if (sp->rfd < 0)
				return -errno;
			sp->rfd_num = s->num;
		}
		rc = full_read(sp->rfd, h, HDR, sp->rd.off);
		if (rc < 0)
			return rc;
		memcpy(&len, h, 4);
		memcpy(&crc, h + 4, 4);
		memcpy(&kl, h + 16, 4);
		body = len >= HDR - 8 ? len - (HDR - 8) : 0;
		if (len < HDR - 8 || body > buflen || kl > body ||
		    sp->rd.off + 8 + len > s->bytes ||
		    full_read(sp->rfd, buf, body, sp->rd.off + HDR) < 0 ||
		    spool_crc32c(spool_crc32c(0, h + 8, HDR - 8), buf, body) != crc) {
			/* changed on disk since open: skip the rest of the
			 * segment rather than send garbage */
			sp->st.torn_records++;
			sp->st.torn_bytes += s->bytes - sp->rd.off;
			sp->rd.off = s->bytes;
			sp->rd.idx = s->records;
			if (s == &sp->segs[sp->nsegs - 1])
				return 0;
			continue;
		}
		r->type = h[20];
		memcpy(&r->ts_us, h + 8, 8);
		r->key = buf;
		r->key_len = kl;
		r->value = buf + kl;
		r->value_len = body - kl;
		sp->rd.off += 8 + (uint64_t)len;
		sp->rd.idx++;
		return 1;
	}
}

struct spool_pos spool_tell(const struct spool *sp)
{
	return sp->rd;
}

void spool_seek(struct spool *sp, struct spool_pos pos)
{
	sp->rd = pos_cmp(pos, sp->head) < 0 ? sp->head : pos;
}

void spool_rewind(struct spool *sp)
{
	sp->rd = sp->head;
}

void spool_commit(struct spool *sp, struct spool_pos pos)
{
	if (pos_cmp(pos, sp->head) <= 0)
		return;
	/* segments before pos's are acknowledged whole, pos's up to pos.idx
	 * (exact even when drop-oldest took segments meanwhile) */
	for (unsigned i = 0; i < sp->nsegs; i++) {
		struct seg *s = &sp->segs[i];
		uint64_t upto;

		if (s->num > pos.seg)
			break;
		upto = s->num < pos.seg ? s->records : pos.idx;
		if (upto > s->consumed) {
			sp->st.pending -= upto - s->consumed;
			s->consumed = upto;
		}
	}
	sp->head = pos;
	/* segments wholly before the head go; the tail stays */
	while (sp->nsegs > 1 && sp->segs[0].num < sp->head.seg)
		remove_seg(sp, 0);
	if (sp->nsegs == 1 && sp->head.off >= sp->segs[0].bytes && sp->segs[0].bytes) {
		/* everything acknowledged: start the tail afresh so the
		 * spool does not grow while it is idle */
		struct seg *t = &sp->segs[0];

		if (ftruncate(sp->wfd, 0) == 0) {
			sp->total_bytes -= t->bytes;
			t->bytes = t->records = t->consumed = 0;
			sp->head.off = sp->rd.off = 0;
			sp->head.idx = sp->rd.idx = 0;
			if (sp->rfd >= 0) {
				close(sp->rfd);
				sp->rfd = -1;
			}
		}
	}
	if (pos_cmp(sp->rd, sp->head) < 0)
		sp->rd = sp->head;
	write_cursor(sp);
	if (sp->cfg.fsync == SPOOL_FSYNC_ALWAYS)
		spool_sync(sp);
}

uint64_t spool_pending(const struct spool *sp)
{
	return sp->st.pending;
}

bool spool_unread(const struct spool *sp)
{
	const struct seg *t = &sp->segs[sp->nsegs - 1];

	return sp->rd.seg != t->num || sp->rd.off < t->bytes;
}

void spool_get_stats(const struct spool *sp, struct spool_stats *out)
{
	*out = sp->st;
	out->bytes = sp->total_bytes;
}
