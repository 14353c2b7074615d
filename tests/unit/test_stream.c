/*
 * test_stream: TCP reassembly (src/flow/stream.c). Segments are fed to one
 * direction and a sink records what comes out: the bytes, where a GAP was
 * flagged, how many EOFs, and whether anything came after EOF. Covered:
 * in order (zero blocks used), every order of four segments (with and
 * without duplicates), overlaps under each policy in the cases where they
 * differ, retransmissions, gaps when max-ooo-bytes is hit, midstream on
 * and off, sequence wraparound, depth, pool exhaustion and the blocks'
 * return, FIN ordering and data after FIN, SYN games and RST.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/stream.h"

#define SYN STREAM_TH_SYN
#define FIN STREAM_TH_FIN
#define RST STREAM_TH_RST

struct sink {
	uint8_t buf[1 << 17];
	uint32_t len;
	unsigned calls, eofs, gaps;
	uint32_t gap_at[8];             /* len when each GAP delivery started */
	bool after_eof;                 /* a delivery after EOF */
};

static void sink_cb(void *arg, const uint8_t *data, uint32_t n, unsigned fl)
{
	struct sink *k = arg;

	if (k->eofs)
		k->after_eof = true;
	k->calls++;
	if (fl & STREAM_GAP) {
		if (k->gaps < 8)
			k->gap_at[k->gaps] = k->len;
		k->gaps++;
	}
	if (fl & STREAM_EOF) {
		CU_ASSERT_EQUAL(n, 0);
		k->eofs++;
		return;
	}
	CU_ASSERT_FATAL(k->len + n <= sizeof(k->buf));
	memcpy(k->buf + k->len, data, n);
	k->len += n;
}

struct env {
	struct stream_config cfg;
	struct stream_pool *sp;
	struct stream_dir d;
	struct sink k;
};

static struct env *env_new(void (*tweak)(struct stream_config *))
{
	struct env *v = calloc(1, sizeof(*v));

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	stream_config_default(&v->cfg);
	v->cfg.memcap = 4u << 20;
	if (tweak)
		tweak(&v->cfg);
	v->sp = stream_pool_create(&v->cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->sp);
	return v;
}

static void env_free(struct env *v)
{
	stream_dir_release(v->sp, &v->d);
	/* every block is back once the direction is released */
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), stream_pool_blocks(v->sp));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->memuse, 0);
	stream_pool_destroy(v->sp);
	free(v);
}

static void seg(struct env *v, uint32_t seq, const char *s, uint8_t flags)
{
	stream_segment(v->sp, &v->d, seq, (const uint8_t *)s, (uint32_t)strlen(s),
		       flags, sink_cb, &v->k);
}

static void segn(struct env *v, uint32_t seq, const uint8_t *p, uint32_t n, uint8_t flags)
{
	stream_segment(v->sp, &v->d, seq, p, n, flags, sink_cb, &v->k);
}

static bool got(const struct env *v, const char *want)
{
	size_t n = strlen(want);

	if (v->k.len != n || memcmp(v->k.buf, want, n) != 0) {
		fprintf(stderr, "\n  got '%.*s', want '%s'\n", (int)v->k.len, v->k.buf, want);
		return false;
	}
	return true;
}

/* ---- in order ------------------------------------------------------------ */

static void test_in_order(void)
{
	struct env *v = env_new(NULL);

	seg(v, 1000, "", SYN);
	seg(v, 1001, "hello ", 0);
	seg(v, 1007, "world", 0);
	CU_ASSERT_TRUE(got(v, "hello world"));
	CU_ASSERT_EQUAL(v->k.calls, 2);
	CU_ASSERT_EQUAL(v->k.gaps, 0);
	/* in-order data is never copied into blocks */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->memuse_max, 0);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->bytes_delivered, 11);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->segments, 2);
	CU_ASSERT_EQUAL(v->d.offset, 11);
	env_free(v);
}

/* ---- out of order: every permutation -------------------------------------------- */

static const char *const parts[4] = { "abc", "defgh", "ijklmno", "pq" };

static void run_order(const int *order, int n, bool dup)
{
	struct env *v = env_new(NULL);
	uint32_t off[4] = { 0 };

	for (int i = 1; i < 4; i++)
		off[i] = off[i - 1] + (uint32_t)strlen(parts[i - 1]);
	seg(v, 500, "", SYN);
	for (int i = 0; i < n; i++) {
		int p = order[i];

		seg(v, 501 + off[p], parts[p], 0);
		if (dup)
			seg(v, 501 + off[p], parts[p], 0);
	}
	CU_ASSERT_TRUE(got(v, "abcdefghijklmnopq"));
	CU_ASSERT_EQUAL(v->k.gaps, 0);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), stream_pool_blocks(v->sp));
	if (dup)
		CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->retransmissions, 4);
	env_free(v);
}

static void permute(int *a, int k, int n, bool dup, unsigned *count)
{
	if (k == n) {
		run_order(a, n, dup);
		(*count)++;
		return;
	}
	for (int i = k; i < n; i++) {
		int t = a[k]; a[k] = a[i]; a[i] = t;
		permute(a, k + 1, n, dup, count);
		t = a[k]; a[k] = a[i]; a[i] = t;
	}
}

static void test_permutations(void)
{
	int a[4] = { 0, 1, 2, 3 };
	unsigned count = 0;

	permute(a, 0, 4, false, &count);
	permute(a, 0, 4, true, &count);
	CU_ASSERT_EQUAL(count, 48);
}

/* Out-of-order delivery of a segment larger than a block. */
static void test_large_ooo(void)
{
	struct env *v = env_new(NULL);
	static uint8_t big[9000], want[9010];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	seg(v, 0, "", SYN);
	segn(v, 11, big, sizeof(big), 0);
	CU_ASSERT_EQUAL(v->k.len, 0);
	CU_ASSERT(stream_pool_blocks(v->sp) - stream_pool_free_blocks(v->sp) >=
		  sizeof(big) / stream_block_size());
	seg(v, 1, "0123456789", 0);
	memcpy(want, "0123456789", 10);
	memcpy(want + 10, big, sizeof(big));
	CU_ASSERT_EQUAL(v->k.len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(v->k.buf, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->ooo_segments, 1);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), stream_pool_blocks(v->sp));
	env_free(v);
}

/* ---- overlaps ------------------------------------------------------------------ */

/*
 * Held segment A at [20, 30) ("AAAAAAAAAA"), then new segment B, both
 * after a hole [1, 20) filled last with dots. want[] is the expected
 * stream from byte 20 on, per policy, worked out from the table in
 * stream.c's opening comment.
 */
struct ocase {
	const char *what;
	uint32_t bseq;
	const char *b;
	const char *want[STREAM_POLICY_MAX];  /* bsd first last linux old-linux solaris */
};

static const struct ocase ocases[] = {
	{ "B starts before, ends inside", 15, "bbbbbbbbbb",
	  { "bbbbbAAAAA", "AAAAAAAAAA", "bbbbbAAAAA", "bbbbbAAAAA", "bbbbbAAAAA",
	    "AAAAAAAAAA" } },
	{ "B starts before, ends at A's end", 15, "bbbbbbbbbbbbbbb",
	  { "bbbbbbbbbb", "AAAAAAAAAA", "bbbbbbbbbb", "bbbbbbbbbb", "bbbbbbbbbb",
	    "bbbbbbbbbb" } },
	{ "B starts with A, longer", 20, "bbbbbbbbbbbbbbb",
	  { "AAAAAAAAAAbbbbb", "AAAAAAAAAAbbbbb", "bbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbb",
	    "bbbbbbbbbbbbbbb", "bbbbbbbbbbbbbbb" } },
	{ "B same as A", 20, "bbbbbbbbbb",
	  { "AAAAAAAAAA", "AAAAAAAAAA", "bbbbbbbbbb", "AAAAAAAAAA", "bbbbbbbbbb",
	    "bbbbbbbbbb" } },
	{ "B starts with A, shorter", 20, "bbbbb",
	  { "AAAAAAAAAA", "AAAAAAAAAA", "bbbbbAAAAA", "AAAAAAAAAA", "AAAAAAAAAA",
	    "AAAAAAAAAA" } },
	{ "B inside A", 22, "bbbbbb",
	  { "AAAAAAAAAA", "AAAAAAAAAA", "AAbbbbbbAA", "AAAAAAAAAA", "AAAAAAAAAA",
	    "AAAAAAAAAA" } },
	{ "B starts inside A, ends after", 25, "bbbbbbbbbb",
	  { "AAAAAAAAAAbbbbb", "AAAAAAAAAAbbbbb", "AAAAAbbbbbbbbbb", "AAAAAAAAAAbbbbb",
	    "AAAAAAAAAAbbbbb", "AAAAAbbbbbbbbbb" } },
	{ "B starts inside A, ends with A", 25, "bbbbb",
	  { "AAAAAAAAAA", "AAAAAAAAAA", "AAAAAbbbbb", "AAAAAAAAAA", "AAAAAAAAAA",
	    "AAAAAAAAAA" } },
};

static unsigned policy_now;

static void set_policy(struct stream_config *c)
{
	c->policy = (uint8_t)policy_now;
}

static void run_overlap(const struct ocase *oc, unsigned policy, const char *want)
{
	struct env *v;
	char expect[128], dots[32];
	uint32_t hole, bend = oc->bseq + (uint32_t)strlen(oc->b);
	unsigned diff = 0;

	policy_now = policy;
	v = env_new(set_policy);
	seg(v, 0, "", SYN);
	seg(v, 20, "AAAAAAAAAA", 0);
	seg(v, oc->bseq, oc->b, 0);
	CU_ASSERT_EQUAL(v->k.len, 0);
	/* fill the hole up to B or A, whichever starts first; B's bytes
	 * before A come next, then A's range as the policy left it */
	hole = (oc->bseq < 20 ? oc->bseq : 20) - 1;
	memset(dots, '.', hole);
	dots[hole] = '\0';
	seg(v, 1, dots, 0);
	snprintf(expect, sizeof(expect), "%s%.*s%s", dots,
		 oc->bseq < 20 ? (int)(20 - oc->bseq) : 0, oc->b, want);
	if (!got(v, expect))
		fprintf(stderr, "  case '%s', policy %s\n", oc->what,
			stream_policy_name((enum stream_policy)policy));
	CU_ASSERT_EQUAL(v->k.gaps, 0);
	/* every overlapping byte differs ('b' against 'A') */
	for (uint32_t q = oc->bseq; q < bend; q++)
		diff += q >= 20 && q < 30;
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->overlap_diff, diff);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->overlaps, 1);
	env_free(v);
}

static void test_overlap_policies(void)
{
	for (size_t i = 0; i < sizeof(ocases) / sizeof(ocases[0]); i++)
		for (unsigned p = 0; p < STREAM_POLICY_MAX; p++)
			run_overlap(&ocases[i], p, ocases[i].want[p]);
}

static void test_policy_names(void)
{
	CU_ASSERT_EQUAL(stream_policy_from_name("bsd"), STREAM_POLICY_BSD);
	CU_ASSERT_EQUAL(stream_policy_from_name("Windows"), STREAM_POLICY_BSD);
	CU_ASSERT_EQUAL(stream_policy_from_name("vista"), STREAM_POLICY_FIRST);
	CU_ASSERT_EQUAL(stream_policy_from_name("hpux11"), STREAM_POLICY_SOLARIS);
	CU_ASSERT_EQUAL(stream_policy_from_name("linux"), STREAM_POLICY_LINUX);
	CU_ASSERT_EQUAL(stream_policy_from_name("old-linux"), STREAM_POLICY_OLD_LINUX);
	CU_ASSERT_EQUAL(stream_policy_from_name("last"), STREAM_POLICY_LAST);
	CU_ASSERT_EQUAL(stream_policy_from_name("first"), STREAM_POLICY_FIRST);
	CU_ASSERT_EQUAL(stream_policy_from_name("beos"), -1);
	CU_ASSERT_EQUAL(stream_policy_from_name(""), -1);
	for (int i = 0; stream_policy_names[i]; i++)
		CU_ASSERT(stream_policy_from_name(stream_policy_names[i]) >= 0);
	for (unsigned p = 0; p < STREAM_POLICY_MAX; p++)
		CU_ASSERT_EQUAL(stream_policy_from_name(
					stream_policy_name((enum stream_policy)p)), (int)p);
}

/* An overlap with several held blocks and holes between them. */
static void test_overlap_spanning(void)
{
	struct env *v = env_new(NULL);      /* bsd */

	seg(v, 0, "", SYN);
	seg(v, 5, "BB", 0);                 /* [5, 7) */
	seg(v, 9, "DD", 0);                 /* [9, 11) */
	seg(v, 3, "xxxxxxxxxxxx", 0);       /* [3, 15): before both: bsd takes it */
	CU_ASSERT_EQUAL(v->k.len, 0);
	seg(v, 1, "..", 0);
	CU_ASSERT_TRUE(got(v, "..xxxxxxxxxxxx"));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->overlap_diff, 4);
	env_free(v);
}

/* An in-order segment over held blocks: the bytes it shares with them are
 * resolved by the policy, then everything comes out once, in order. */
static void test_overlap_in_order(void)
{
	struct env *v = env_new(NULL);      /* bsd */

	seg(v, 0, "", SYN);
	seg(v, 5, "BB", 0);                 /* [5, 7) */
	seg(v, 12, "CCCCC", 0);             /* [12, 17) */
	seg(v, 1, "xxxxxxxxxxxx", 0);       /* [1, 13): before both, bsd takes it */
	CU_ASSERT_TRUE(got(v, "xxxxxxxxxxxxCCCC"));
	CU_ASSERT_EQUAL(v->d.next_seq, 17);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->overlap_diff, 3);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->ooo_segments, 2);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), stream_pool_blocks(v->sp));
	seg(v, 17, "!", 0);
	CU_ASSERT_TRUE(got(v, "xxxxxxxxxxxxCCCC!"));
	env_free(v);

	policy_now = STREAM_POLICY_FIRST;
	v = env_new(set_policy);
	seg(v, 0, "", SYN);
	seg(v, 5, "BB", 0);
	seg(v, 1, "xxxxxxxxx", 0);          /* [1, 10): first keeps BB */
	CU_ASSERT_TRUE(got(v, "xxxxBBxxx"));
	CU_ASSERT_EQUAL(v->d.next_seq, 10);
	env_free(v);
}

/* ---- retransmissions -------------------------------------------------------------- */

static void test_retransmissions(void)
{
	struct env *v = env_new(NULL);

	seg(v, 100, "", SYN);
	seg(v, 101, "GET /a", 0);
	seg(v, 101, "GET /a", 0);          /* exact */
	seg(v, 101, "XXX", 0);             /* inside delivered, other bytes */
	seg(v, 104, "XXX HTTP", 0);        /* overlaps delivered: front cut */
	CU_ASSERT_TRUE(got(v, "GET /a HTTP"));
	seg(v, 120, "later", 0);           /* held */
	seg(v, 120, "later", 0);           /* retransmission of held bytes */
	seg(v, 120, "LATER", 0);           /* same range, other bytes: bsd keeps */
	seg(v, 112, "........", 0);
	CU_ASSERT_TRUE(got(v, "GET /a HTTP........later"));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->retransmissions, 4);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->overlap_diff, 5);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->bytes_delivered, 24);
	env_free(v);
}

/* ---- gaps ------------------------------------------------------------------------- */

static void two_blocks(struct stream_config *c)
{
	c->max_ooo_bytes = 2 * 2048;
}

static void test_gap_ooo_bound(void)
{
	struct env *v = env_new(two_blocks);

	seg(v, 0, "", SYN);
	seg(v, 1, "ab", 0);
	/* bytes 3..9 never come */
	seg(v, 10, "one", 0);
	seg(v, 20, "two", 0);
	CU_ASSERT_EQUAL(v->k.len, 2);
	/* a third held block would pass max-ooo-bytes: give up 3..9 */
	seg(v, 30, "three", 0);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->gaps, 1);
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_EQUAL(v->k.gap_at[0], 2);
	CU_ASSERT_TRUE(got(v, "abone"));
	/* "two" and "three" are held now; the bytes given up stay given up */
	seg(v, 3, "-------", 0);
	CU_ASSERT_TRUE(got(v, "abone"));
	seg(v, 13, "-------", 0);
	CU_ASSERT_TRUE(got(v, "abone-------two"));
	seg(v, 23, "-------", 0);
	CU_ASSERT_TRUE(got(v, "abone-------two-------three"));
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->gaps, 1);
	env_free(v);
}

/* max-ooo-bytes 0: nothing is ever held, every hole is a gap at once. */
static void no_ooo(struct stream_config *c)
{
	c->max_ooo_bytes = 0;
}

static void test_gap_no_ooo(void)
{
	struct env *v = env_new(no_ooo);

	seg(v, 0, "", SYN);
	seg(v, 1, "ab", 0);
	seg(v, 5, "ef", 0);
	seg(v, 3, "cd", 0);               /* too late */
	seg(v, 7, "gh", 0);
	CU_ASSERT_TRUE(got(v, "abefgh"));
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_EQUAL(v->k.gap_at[0], 2);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->memuse_max, 0);
	CU_ASSERT_EQUAL(v->d.offset, 8);
	env_free(v);
}

/* ---- midstream ------------------------------------------------------------------------ */

static void midstream_on(struct stream_config *c)
{
	c->midstream = true;
}

static void test_midstream(void)
{
	struct env *v = env_new(NULL);

	seg(v, 5000, "no syn seen", 0);
	CU_ASSERT_EQUAL(v->k.len, 0);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_NO_SYN], 1);
	CU_ASSERT_FALSE(v->d.flags & STREAM_DIR_INIT);
	env_free(v);

	v = env_new(midstream_on);
	seg(v, 5000, "picked ", 0);
	seg(v, 5012, "later", 0);
	seg(v, 5007, "up + ", 0);
	CU_ASSERT_TRUE(got(v, "picked up + later"));
	CU_ASSERT_TRUE(v->d.flags & STREAM_DIR_MIDSTREAM);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_NO_SYN], 0);
	env_free(v);

	/* picked up on a bare ACK, then the real SYN: follow the SYN */
	v = env_new(midstream_on);
	seg(v, 7000, "", 0);
	seg(v, 100, "", SYN);
	seg(v, 101, "after syn", 0);
	CU_ASSERT_TRUE(got(v, "after syn"));
	CU_ASSERT_FALSE(v->d.flags & STREAM_DIR_MIDSTREAM);
	env_free(v);
}

/* ---- wraparound ------------------------------------------------------------------------ */

static void test_wraparound(void)
{
	struct env *v = env_new(NULL);
	uint32_t isn = 0xfffffff0u;

	seg(v, isn, "", SYN);
	/* bytes at isn+1 .. : 15 before 2^32, then past it */
	seg(v, isn + 1 + 20, "UVWXYZ", 0);          /* past the wrap, held */
	seg(v, isn + 1 + 10, "klmnopqrst", 0);     /* straddles 2^32, held */
	seg(v, isn + 1, "abcdefghij", 0);
	CU_ASSERT_TRUE(got(v, "abcdefghijklmnopqrstUVWXYZ"));
	CU_ASSERT_EQUAL(v->d.next_seq, isn + 1 + 26);
	CU_ASSERT(v->d.next_seq < 100);
	seg(v, isn + 1 + 5, "fghijklmnop", 0);     /* old, across the wrap */
	CU_ASSERT_EQUAL(v->k.len, 26);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->retransmissions, 1);
	seg(v, isn + 1 + 26, "!", FIN);
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	CU_ASSERT_EQUAL(v->d.offset, 27);
	env_free(v);
}

/* ---- depth ----------------------------------------------------------------------------- */

static void depth_100(struct stream_config *c)
{
	c->depth = 100;
}

static void test_depth(void)
{
	struct env *v = env_new(depth_100);
	uint8_t buf[60];

	memset(buf, 'x', sizeof(buf));
	seg(v, 0, "", SYN);
	segn(v, 1, buf, 60, 0);
	segn(v, 121, buf, 60, 0);           /* past the depth: never held */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->memuse_max, 0);
	segn(v, 61, buf, 60, 0);            /* crosses it: cut at 100 */
	CU_ASSERT_EQUAL(v->k.len, 100);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->depth_reached, 1);
	CU_ASSERT_TRUE(v->d.flags & STREAM_DIR_DEPTH);
	segn(v, 101, buf, 60, 0);
	CU_ASSERT_EQUAL(v->k.len, 100);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->depth_reached, 1);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->bytes_delivered, 100);
	env_free(v);
}

/* ---- pool exhaustion ------------------------------------------------------------------- */

static void four_blocks(struct stream_config *c)
{
	c->memcap = 4 * 2048;
}

static void test_pool_exhaustion(void)
{
	struct env *v = env_new(four_blocks);
	struct stream_dir other;
	struct sink ko;

	CU_ASSERT_EQUAL(stream_pool_blocks(v->sp), 4);
	memset(&other, 0, sizeof(other));
	memset(&ko, 0, sizeof(ko));
	/* another flow holds three blocks */
	stream_segment(v->sp, &other, 0, NULL, 0, SYN, sink_cb, &ko);
	for (uint32_t i = 0; i < 3; i++)
		stream_segment(v->sp, &other, 10 + 10 * i, (const uint8_t *)"zz", 2, 0,
			       sink_cb, &ko);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 1);

	seg(v, 0, "", SYN);
	seg(v, 1, "a", 0);
	seg(v, 10, "held", 0);             /* takes the last block */
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 0);
	seg(v, 20, "none", 0);             /* no block: gap to "held" */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->pool_exhausted, 1);
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_TRUE(got(v, "aheld"));
	/* the block came back on delivery and took "none" */
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 0);
	seg(v, 14, "......", 0);
	CU_ASSERT_TRUE(got(v, "aheld......none"));
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 1);

	/* the other flow ends: its blocks go back */
	stream_dir_release(v->sp, &other);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 4);
	CU_ASSERT_EQUAL(ko.len, 0);
	/* and out-of-order data is held again */
	seg(v, 40, "x", 0);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), 3);
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->memuse_max, 4 * 2048);
	env_free(v);
}

/* ---- FIN, SYN, RST ---------------------------------------------------------------------- */

static void test_fin_order(void)
{
	struct env *v = env_new(NULL);

	seg(v, 0, "", SYN);
	seg(v, 7, "end", FIN);             /* FIN at 10, before 1..6 arrived */
	CU_ASSERT_EQUAL(v->k.eofs, 0);
	seg(v, 4, "def", 0);
	CU_ASSERT_EQUAL(v->k.eofs, 0);
	seg(v, 1, "abc", 0);
	CU_ASSERT_TRUE(got(v, "abcdefend"));
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	CU_ASSERT_TRUE(v->d.flags & STREAM_DIR_CLOSED);
	seg(v, 10, "more", 0);
	seg(v, 7, "end", FIN);
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	CU_ASSERT_FALSE(v->k.after_eof);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_DATA_AFTER_CLOSE], 2);
	env_free(v);

	/* data past a FIN that is not reached yet, and held data past it */
	v = env_new(NULL);
	seg(v, 0, "", SYN);
	seg(v, 8, "XYZ", 0);               /* held [8, 11) */
	seg(v, 4, "d", FIN);               /* FIN at 5: cuts the held bytes */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_DATA_AFTER_FIN], 1);
	seg(v, 4, "dEFG", 0);              /* past the FIN */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_DATA_AFTER_FIN], 2);
	seg(v, 1, "abc", 0);
	CU_ASSERT_TRUE(got(v, "abcd"));
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	env_free(v);

	/* FIN with no data, in order */
	v = env_new(NULL);
	seg(v, 0, "", SYN);
	seg(v, 1, "x", 0);
	seg(v, 2, "", FIN);
	CU_ASSERT_TRUE(got(v, "x"));
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	env_free(v);
}

static void test_syn_games(void)
{
	struct env *v = env_new(NULL);

	/* SYN with data: delivered, counted */
	seg(v, 50, "early", SYN);
	CU_ASSERT_TRUE(got(v, "early"));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_SYN_WITH_DATA], 1);
	seg(v, 50, "early", SYN);          /* retransmitted SYN */
	CU_ASSERT_TRUE(got(v, "early"));
	/* a SYN with another ISN after data: ignored, counted */
	seg(v, 9000, "", SYN);
	seg(v, 9001, "evil", 0);
	seg(v, 56, "!", 0);
	CU_ASSERT_TRUE(got(v, "early!"));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_SYN_ISN_CHANGED], 1);
	env_free(v);

	/* a new ISN before any data: the client retried, follow it */
	v = env_new(NULL);
	seg(v, 10, "", SYN);
	seg(v, 300, "", SYN);
	seg(v, 11, "old", 0);
	seg(v, 301, "new", 0);
	CU_ASSERT_TRUE(got(v, "new"));
	CU_ASSERT_EQUAL(v->d.isn, 300);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_SYN_ISN_CHANGED], 1);
	env_free(v);
}

static void test_rst(void)
{
	struct env *v = env_new(NULL);

	seg(v, 0, "", SYN);
	seg(v, 1, "ab", 0);
	seg(v, 6, "fg", 0);                /* held */
	seg(v, 2, "", RST);                /* before next_seq (3): not believed */
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_RST_INVALID], 1);
	CU_ASSERT_EQUAL(v->k.eofs, 0);
	seg(v, 3, "", RST);
	/* the held bytes come out after a gap, then EOF */
	CU_ASSERT_TRUE(got(v, "abfg"));
	CU_ASSERT_EQUAL(v->k.gaps, 1);
	CU_ASSERT_EQUAL(v->k.gap_at[0], 2);
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	CU_ASSERT_TRUE(v->d.flags & STREAM_DIR_RST);
	CU_ASSERT_EQUAL(stream_pool_free_blocks(v->sp), stream_pool_blocks(v->sp));
	seg(v, 3, "cde", 0);
	CU_ASSERT_TRUE(got(v, "abfg"));
	CU_ASSERT_FALSE(v->k.after_eof);
	env_free(v);
}

/* Flow end: flush delivers what is held, then EOF, once. */
static void test_flush(void)
{
	struct env *v = env_new(NULL);

	seg(v, 0, "", SYN);
	seg(v, 1, "a", 0);
	seg(v, 5, "e", 0);
	seg(v, 3, "c", 0);
	stream_dir_flush(v->sp, &v->d, sink_cb, &v->k);
	CU_ASSERT_TRUE(got(v, "ace"));
	CU_ASSERT_EQUAL(v->k.gaps, 2);
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	stream_dir_flush(v->sp, &v->d, sink_cb, &v->k);
	CU_ASSERT_EQUAL(v->k.eofs, 1);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->gaps, 2);
	env_free(v);
}

static void test_out_of_window(void)
{
	struct env *v = env_new(NULL);

	seg(v, 0, "", SYN);
	seg(v, 1 + (1u << 30), "far", 0);
	seg(v, 1, "ok", 0);
	CU_ASSERT_TRUE(got(v, "ok"));
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->event[STREAM_EV_OUT_OF_WINDOW], 1);
	CU_ASSERT_EQUAL(stream_pool_stats(v->sp)->gaps, 0);
	env_free(v);
}

static const struct test_case stream_cases[] = {
	{ "in order, nothing copied", test_in_order },
	{ "every order of four segments", test_permutations },
	{ "out of order, larger than a block", test_large_ooo },
	{ "overlaps under each policy", test_overlap_policies },
	{ "policy names", test_policy_names },
	{ "overlap across several held blocks", test_overlap_spanning },
	{ "in-order segment over held blocks", test_overlap_in_order },
	{ "retransmissions delivered once", test_retransmissions },
	{ "gap when max-ooo-bytes is hit", test_gap_ooo_bound },
	{ "gap with nothing held", test_gap_no_ooo },
	{ "midstream", test_midstream },
	{ "sequence wraparound", test_wraparound },
	{ "depth", test_depth },
	{ "pool exhaustion and recovery", test_pool_exhaustion },
	{ "FIN ordering", test_fin_order },
	{ "SYN games", test_syn_games },
	{ "RST", test_rst },
	{ "flush at flow end", test_flush },
	{ "out of window", test_out_of_window },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "stream", NULL, NULL, stream_cases },
	{ NULL, NULL, NULL, NULL }
};
