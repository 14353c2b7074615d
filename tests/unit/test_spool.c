/*
 * test_spool: the Kafka spool on its own: order, read/commit/rewind,
 * reopen after a crash (unacknowledged records replayed, acknowledged ones
 * not), torn and corrupt tails cut and counted, the size bound with both
 * policies, and CRC32C against its published check value.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "mamori/spool.h"

static char buf[SPOOL_REC_MAX];

static struct spool_config conf(const char *name, uint64_t max, uint64_t seg)
{
	static char dir[4][512];
	static int k;
	struct spool_config c = {
		.max_bytes = max, .segment_bytes = seg,
		.fsync = SPOOL_FSYNC_NEVER, .full = SPOOL_DROP_OLDEST,
	};
	char *d = dir[k++ & 3];

	snprintf(d, 512, "%s/%s", test_tmpdir(), name);
	c.dir = d;
	return c;
}

static struct spool *open_ok(const struct spool_config *c)
{
	char err[256] = "";
	struct spool *sp = spool_open(c, err, sizeof(err));

	CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
	CU_ASSERT_STRING_EQUAL(err, "");
	return sp;
}

static void append_n(struct spool *sp, int from, int n)
{
	char key[32], val[64];

	for (int i = from; i < from + n; i++) {
		snprintf(key, sizeof(key), "k%d", i % 7);
		snprintf(val, sizeof(val), "{\"n\":%d}", i);
		CU_ASSERT_EQUAL(spool_append(sp, 1, (uint64_t)i, key, strlen(key), val,
					     strlen(val)), 0);
	}
}

/* Read everything left; returns how many, checking they run from..  */
static int read_expect(struct spool *sp, int from)
{
	struct spool_rec r;
	char want[64];
	int n = 0;

	while (spool_read(sp, &r, buf, sizeof(buf)) == 1) {
		snprintf(want, sizeof(want), "{\"n\":%d}", from + n);
		if (r.value_len != strlen(want) || memcmp(r.value, want, r.value_len) != 0 ||
		    r.ts_us != (uint64_t)(from + n) || r.type != 1) {
			CU_FAIL("record out of order or damaged");
			return -1;
		}
		n++;
	}
	return n;
}

static void test_crc32c(void)
{
	/* the check value of CRC-32C (Castagnoli) */
	CU_ASSERT_EQUAL(spool_crc32c(0, "123456789", 9), 0xe3069283u);
	CU_ASSERT_EQUAL(spool_crc32c(spool_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}

static void test_order_commit_rewind(void)
{
	struct spool_config c = conf("order", 64u << 20, 0);
	struct spool *sp = open_ok(&c);
	struct spool_pos p;

	CU_ASSERT_FALSE(spool_unread(sp));
	append_n(sp, 0, 100);
	CU_ASSERT_EQUAL(spool_pending(sp), 100);
	CU_ASSERT_EQUAL(read_expect(sp, 0), 100);
	/* nothing acknowledged: a rewind reads them all again */
	spool_rewind(sp);
	CU_ASSERT_EQUAL(read_expect(sp, 0), 100);
	spool_rewind(sp);
	{
		struct spool_rec r;
		for (int i = 0; i < 40; i++)
			CU_ASSERT_EQUAL(spool_read(sp, &r, buf, sizeof(buf)), 1);
	}
	p = spool_tell(sp);
	spool_commit(sp, p);
	CU_ASSERT_EQUAL(spool_pending(sp), 60);
	spool_rewind(sp);
	CU_ASSERT_EQUAL(read_expect(sp, 40), 60);
	/* new records while reading: they come after */
	append_n(sp, 100, 5);
	CU_ASSERT_EQUAL(read_expect(sp, 100), 5);
	spool_commit(sp, spool_tell(sp));
	CU_ASSERT_EQUAL(spool_pending(sp), 0);
	CU_ASSERT_FALSE(spool_unread(sp));
	spool_close(sp);
}

static void test_reopen_replays_unacked(void)
{
	struct spool_config c = conf("reopen", 64u << 20, 4096);
	struct spool *sp = open_ok(&c);
	struct spool_rec r;
	struct spool_stats st;

	append_n(sp, 0, 500);    /* many segments of 4 KiB... at least 64 KiB each */
	for (int i = 0; i < 123; i++)
		CU_ASSERT_EQUAL(spool_read(sp, &r, buf, sizeof(buf)), 1);
	spool_commit(sp, spool_tell(sp));
	/* read more but do not acknowledge: like a crash mid-replay */
	for (int i = 0; i < 50; i++)
		CU_ASSERT_EQUAL(spool_read(sp, &r, buf, sizeof(buf)), 1);
	spool_close(sp);

	sp = open_ok(&c);
	CU_ASSERT_EQUAL(spool_pending(sp), 500 - 123);
	CU_ASSERT_EQUAL(read_expect(sp, 123), 500 - 123);
	spool_get_stats(sp, &st);
	CU_ASSERT_EQUAL(st.torn_records, 0);
	spool_commit(sp, spool_tell(sp));
	spool_close(sp);
	sp = open_ok(&c);
	CU_ASSERT_EQUAL(spool_pending(sp), 0);
	CU_ASSERT_EQUAL(read_expect(sp, 0), 0);
	spool_close(sp);
}

/* the newest segment file in a spool directory */
static void last_segment(const char *dir, char *path, size_t len)
{
	char cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls %s/seg-* | tail -n 1", dir);
	f = popen(cmd, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(path, (int)len, f));
	path[strcspn(path, "\n")] = '\0';
	pclose(f);
}

static void test_torn_tail(void)
{
	struct spool_config c = conf("torn", 64u << 20, 0);
	struct spool *sp = open_ok(&c);
	struct spool_stats st;
	char path[1024];
	struct stat sb;
	int fd;

	append_n(sp, 0, 20);
	spool_close(sp);
	last_segment(c.dir, path, sizeof(path));
	/* a crash in the middle of the 21st record: half of it on disk */
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CU_ASSERT_FATAL(fd >= 0);
	{
		uint32_t len = 100, crc = 0x12345678;
		char junk[30];

		memset(junk, 'x', sizeof(junk));
		CU_ASSERT_EQUAL(write(fd, &len, 4), 4);
		CU_ASSERT_EQUAL(write(fd, &crc, 4), 4);
		CU_ASSERT_EQUAL(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	}
	close(fd);

	sp = open_ok(&c);
	spool_get_stats(sp, &st);
	CU_ASSERT_EQUAL(st.torn_records, 1);
	CU_ASSERT_EQUAL(st.torn_bytes, 38);
	CU_ASSERT_EQUAL(spool_pending(sp), 20);
	CU_ASSERT_EQUAL(read_expect(sp, 0), 20);
	/* cut on disk: the file is as long as before the crash */
	{
		struct stat s2;
		CU_ASSERT_EQUAL(stat(path, &s2), 0);
		CU_ASSERT_EQUAL(s2.st_size, sb.st_size);
	}
	/* appends go on after the cut, readable */
	append_n(sp, 20, 3);
	CU_ASSERT_EQUAL(read_expect(sp, 20), 3);
	spool_close(sp);
}

static void test_corrupt_record(void)
{
	struct spool_config c = conf("corrupt", 64u << 20, 0);
	struct spool *sp = open_ok(&c);
	struct spool_stats st;
	char path[1024];
	int fd;
	off_t size;

	append_n(sp, 0, 10);
	spool_close(sp);
	last_segment(c.dir, path, sizeof(path));
	/* flip a byte inside the last record's value: its CRC fails */
	fd = open(path, O_RDWR);
	CU_ASSERT_FATAL(fd >= 0);
	size = lseek(fd, 0, SEEK_END);
	CU_ASSERT_EQUAL(pwrite(fd, "#", 1, size - 2), 1);
	close(fd);

	sp = open_ok(&c);
	spool_get_stats(sp, &st);
	CU_ASSERT_EQUAL(st.torn_records, 1);
	CU_ASSERT_EQUAL(spool_pending(sp), 9);
	CU_ASSERT_EQUAL(read_expect(sp, 0), 9);
	spool_close(sp);
}

static void test_full_drop_newest(void)
{
	/* 1 MiB bound, 64 KiB segments */
	struct spool_config c = conf("newest", 1u << 20, 64u << 10);
	struct spool *sp;
	struct spool_stats st;
	static char val[1000];
	int ok = 0, full = 0;

	c.full = SPOOL_DROP_NEWEST;
	sp = open_ok(&c);
	memset(val, 'v', sizeof(val));
	for (int i = 0; i < 2000; i++) {
		int rc;

		snprintf(val, 16, "%015d", i);
		rc = spool_append(sp, 1, 0, "k", 1, val, sizeof(val));
		if (rc == 0)
			ok++;
		else if (rc == -ENOSPC)
			full++;
	}
	spool_get_stats(sp, &st);
	CU_ASSERT(ok > 900 && ok < 1050);
	CU_ASSERT_EQUAL(ok + full, 2000);
	CU_ASSERT_EQUAL(st.dropped, (uint64_t)full);
	CU_ASSERT(st.bytes <= (1u << 20));
	/* the oldest survive */
	{
		struct spool_rec r;
		CU_ASSERT_EQUAL(spool_read(sp, &r, buf, sizeof(buf)), 1);
		CU_ASSERT_NSTRING_EQUAL(r.value, "000000000000000", 15);
	}
	spool_close(sp);
}

static void test_full_drop_oldest(void)
{
	struct spool_config c = conf("oldest", 1u << 20, 64u << 10);
	struct spool *sp = open_ok(&c);
	struct spool_stats st;
	struct spool_rec r;
	static char val[1000];
	int last = -1, n = 0;

	memset(val, 'v', sizeof(val));
	for (int i = 0; i < 2000; i++) {
		snprintf(val, 16, "%015d", i);
		CU_ASSERT_EQUAL(spool_append(sp, 1, 0, "k", 1, val, sizeof(val)), 0);
	}
	spool_get_stats(sp, &st);
	CU_ASSERT(st.bytes <= (1u << 20));
	CU_ASSERT(st.dropped > 900);
	CU_ASSERT_EQUAL(st.pending + st.dropped, 2000);
	/* what is left is the newest, in order, ending with the last */
	while (spool_read(sp, &r, buf, sizeof(buf)) == 1) {
		int v = atoi(r.value);
		CU_ASSERT(v == last + 1 || last == -1);
		last = v;
		n++;
	}
	CU_ASSERT_EQUAL(last, 1999);
	CU_ASSERT_EQUAL((uint64_t)n, st.pending);
	spool_close(sp);
}

/* A replay batch is out while drop-oldest removes the segment it started
 * in: acknowledging it afterwards leaves pending exact. */
static void test_commit_after_drop(void)
{
	struct spool_config c = conf("dropcommit", 1u << 20, 64u << 10);
	struct spool *sp = open_ok(&c);
	struct spool_stats st;
	struct spool_rec r;
	static char val[1000];
	uint64_t left = 0;

	memset(val, 'v', sizeof(val));
	for (int i = 0; i < 900; i++)
		CU_ASSERT_EQUAL(spool_append(sp, 1, 0, "k", 1, val, sizeof(val)), 0);
	/* a batch of 100 read from the oldest segment */
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL(spool_read(sp, &r, buf, sizeof(buf)), 1);
	/* enough new records to push the oldest segments out */
	for (int i = 0; i < 300; i++)
		CU_ASSERT_EQUAL(spool_append(sp, 1, 0, "k", 1, val, sizeof(val)), 0);
	spool_get_stats(sp, &st);
	CU_ASSERT(st.dropped > 0);
	spool_commit(sp, spool_tell(sp));
	/* pending is what a full read from here returns */
	while (spool_read(sp, &r, buf, sizeof(buf)) == 1)
		left++;
	spool_get_stats(sp, &st);
	CU_ASSERT_EQUAL(st.pending, left);
	CU_ASSERT_EQUAL(st.dropped + st.pending + 100 >= 1200, true);
	spool_commit(sp, spool_tell(sp));
	spool_get_stats(sp, &st);
	CU_ASSERT_EQUAL(st.pending, 0);
	spool_close(sp);
}

static void test_bad_dir(void)
{
	struct spool_config c = conf("x", 1u << 20, 0);
	char err[256] = "";

	c.dir = "/proc/no/such/dir";
	CU_ASSERT_PTR_NULL(spool_open(&c, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/proc/no"));
}

static const struct test_case spool_cases[] = {
	{ "crc32c check value", test_crc32c },
	{ "order, commit, rewind", test_order_commit_rewind },
	{ "reopen replays what was not acknowledged", test_reopen_replays_unacked },
	{ "torn tail cut and counted", test_torn_tail },
	{ "corrupt record cut and counted", test_corrupt_record },
	{ "full: drop newest", test_full_drop_newest },
	{ "full: drop oldest", test_full_drop_oldest },
	{ "commit after drop-oldest", test_commit_after_drop },
	{ "unusable directory", test_bad_dir },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "spool", NULL, NULL, spool_cases },
	{ NULL, NULL, NULL, NULL }
};
