/*
 * test_ring: the SPSC ring (include/mamori/ring.h, src/util/ring.c).
 *
 * Single-threaded cases pin down the contract: capacity rounding, full and
 * empty, FIFO order, in-place slots, and index arithmetic across the 2^32
 * wrap (indices run freely, so a long run wraps; the tests start them just
 * below UINT32_MAX by setting both sides' indices and cached copies, which
 * is the state a ring reaches after 2^32 - k records). Threaded cases run a
 * real producer against a real consumer and check every item's order and
 * the sum, with small rings to force many full/empty transitions, and
 * multi-word records to catch a slot read before its commit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/ring.h"

/* Put both sides of an empty ring at index `at`, as if 'at' records had
 * already gone through it. */
static void ring_set_index(struct spsc_ring *r, uint32_t at)
{
	r->head = r->tail = at;
	r->head_cache = r->tail_cache = at;
}

static void test_init_errors(void)
{
	struct spsc_ring r;

	CU_ASSERT_EQUAL(spsc_ring_init(&r, 0, 8), -EINVAL);
	CU_ASSERT_EQUAL(spsc_ring_init(&r, 8, 0), -EINVAL);
	CU_ASSERT_EQUAL(spsc_ring_init(&r, (1u << 30) + 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(spsc_ring_init(&r, UINT32_MAX, 1), -EINVAL);
}

static void test_capacity_rounding(void)
{
	static const struct { uint32_t ask, cap; } cases[] = {
		{ 1, 2 }, { 2, 2 }, { 3, 4 }, { 4, 4 }, { 5, 8 }, { 7, 8 },
		{ 1000, 1024 }, { 1024, 1024 }, { 1025, 2048 },
		{ (1u << 20) - 1, 1u << 20 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spsc_ring r;

		CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, cases[i].ask, 4), 0);
		CU_ASSERT_EQUAL(spsc_ring_capacity(&r), cases[i].cap);
		CU_ASSERT_EQUAL(r.mask, cases[i].cap - 1);
		CU_ASSERT_EQUAL(r.elem_size, 4);
		CU_ASSERT_PTR_NOT_NULL(r.slots);
		CU_ASSERT_EQUAL((uintptr_t)r.slots % MAMORI_CACHELINE, 0);
		CU_ASSERT_EQUAL(spsc_ring_count(&r), 0);
		spsc_ring_destroy(&r);
		CU_ASSERT_PTR_NULL(r.slots);
	}
}

static void test_empty(void)
{
	struct spsc_ring r;

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 4, 8), 0);
	CU_ASSERT_PTR_NULL(spsc_ring_peek(&r));
	CU_ASSERT_PTR_NULL(spsc_ring_pop_ptr(&r));
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 0);
	/* a reserve that is not committed publishes nothing */
	CU_ASSERT_PTR_NOT_NULL(spsc_ring_reserve(&r));
	CU_ASSERT_PTR_NULL(spsc_ring_peek(&r));
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 0);
	spsc_ring_destroy(&r);
}

static void test_full(void)
{
	struct spsc_ring r;
	uint32_t cap;
	void *first;

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 5, 16), 0);
	cap = spsc_ring_capacity(&r);
	CU_ASSERT_EQUAL(cap, 8);
	for (uint32_t i = 0; i < cap; i++) {
		uint32_t *slot = spsc_ring_reserve(&r);

		CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
		/* slots are distinct, in order, inside the slot array */
		CU_ASSERT_PTR_EQUAL(slot, r.slots + (size_t)i * 16);
		*slot = i;
		spsc_ring_commit(&r);
		CU_ASSERT_EQUAL(spsc_ring_count(&r), i + 1);
	}
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));   /* stays full */
	CU_ASSERT_EQUAL(spsc_ring_count(&r), cap);

	/* peek without release returns the same slot */
	first = spsc_ring_peek(&r);
	CU_ASSERT_PTR_EQUAL(spsc_ring_peek(&r), first);
	CU_ASSERT_EQUAL(*(uint32_t *)first, 0);
	spsc_ring_release(&r);
	/* one slot free: the producer gets exactly the slot just released */
	CU_ASSERT_PTR_EQUAL(spsc_ring_reserve(&r), first);
	spsc_ring_commit(&r);
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));
	spsc_ring_destroy(&r);
}

static void test_fifo_laps(void)
{
	struct spsc_ring r;
	uint32_t next_in = 0, next_out = 0;
	unsigned seed = 12345;

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 16, sizeof(uint32_t)), 0);
	/* random bursts in and out over many laps */
	for (int round = 0; round < 2000; round++) {
		unsigned in = (unsigned)rand_r(&seed) % 20, out = (unsigned)rand_r(&seed) % 20;
		uint32_t *slot;

		for (unsigned i = 0; i < in; i++) {
			slot = spsc_ring_reserve(&r);
			if (!slot) {
				CU_ASSERT_EQUAL(next_in - next_out, 16);
				break;
			}
			*slot = next_in++;
			spsc_ring_commit(&r);
		}
		for (unsigned i = 0; i < out; i++) {
			slot = spsc_ring_peek(&r);
			if (!slot) {
				CU_ASSERT_EQUAL(next_in, next_out);
				break;
			}
			CU_ASSERT_EQUAL_FATAL(*slot, next_out);
			next_out++;
			spsc_ring_release(&r);
		}
		CU_ASSERT_EQUAL(spsc_ring_count(&r), next_in - next_out);
	}
	CU_ASSERT(next_out > 10000);
	spsc_ring_destroy(&r);
}

static void test_ptr_helpers(void)
{
	struct spsc_ring r;
	int v[3];

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 2, sizeof(void *)), 0);
	CU_ASSERT(spsc_ring_push_ptr(&r, &v[0]));
	CU_ASSERT(spsc_ring_push_ptr(&r, &v[1]));
	CU_ASSERT_FALSE(spsc_ring_push_ptr(&r, &v[2]));
	CU_ASSERT_PTR_EQUAL(spsc_ring_pop_ptr(&r), &v[0]);
	CU_ASSERT(spsc_ring_push_ptr(&r, &v[2]));
	CU_ASSERT_PTR_EQUAL(spsc_ring_pop_ptr(&r), &v[1]);
	CU_ASSERT_PTR_EQUAL(spsc_ring_pop_ptr(&r), &v[2]);
	CU_ASSERT_PTR_NULL(spsc_ring_pop_ptr(&r));
	/* NULL is a legal item, but indistinguishable from empty: document
	 * by test that it goes through */
	CU_ASSERT(spsc_ring_push_ptr(&r, NULL));
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 1);
	spsc_ring_destroy(&r);
}

static void test_wrap_u32(void)
{
	struct spsc_ring r;
	uint32_t next_in = 0, next_out = 0;

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 8, sizeof(uint32_t)), 0);
	ring_set_index(&r, UINT32_MAX - 3);
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 0);
	CU_ASSERT_PTR_NULL(spsc_ring_peek(&r));

	/* fill to full across the wrap: head goes UINT32_MAX-3 .. 4 */
	for (int i = 0; i < 8; i++) {
		uint32_t *slot = spsc_ring_reserve(&r);

		CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
		/* slot index is the free-running index masked */
		CU_ASSERT_PTR_EQUAL(slot, (uint32_t *)(void *)r.slots +
				    ((UINT32_MAX - 3 + (uint32_t)i) & r.mask));
		*slot = next_in++;
		spsc_ring_commit(&r);
	}
	CU_ASSERT_EQUAL(r.head, 4);
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 8);
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));

	/* drain half, refill, drain all: tail crosses the wrap too */
	for (int i = 0; i < 4; i++) {
		uint32_t *slot = spsc_ring_peek(&r);
		CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
		CU_ASSERT_EQUAL(*slot, next_out++);
		spsc_ring_release(&r);
	}
	CU_ASSERT_EQUAL(r.tail, 0);
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 4);
	for (int i = 0; i < 4; i++) {
		uint32_t *slot = spsc_ring_reserve(&r);
		CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
		*slot = next_in++;
		spsc_ring_commit(&r);
	}
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 8);
	for (;;) {
		uint32_t *slot = spsc_ring_peek(&r);
		if (!slot)
			break;
		CU_ASSERT_EQUAL(*slot, next_out++);
		spsc_ring_release(&r);
	}
	CU_ASSERT_EQUAL(next_out, next_in);
	CU_ASSERT_EQUAL(next_out, 12);
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 0);

	/* the wrap point at every offset within a lap, one item at a time */
	for (uint32_t off = 0; off < 8; off++) {
		ring_set_index(&r, UINT32_MAX - off);
		for (uint32_t i = 0; i < 20; i++) {
			uint32_t *slot = spsc_ring_reserve(&r);
			CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
			*slot = i;
			spsc_ring_commit(&r);
			slot = spsc_ring_peek(&r);
			CU_ASSERT_PTR_NOT_NULL_FATAL(slot);
			CU_ASSERT_EQUAL(*slot, i);
			spsc_ring_release(&r);
			CU_ASSERT_PTR_NULL(spsc_ring_peek(&r));
		}
	}
	spsc_ring_destroy(&r);
}

/* the count snapshot is right whichever side wrapped */
static void test_count_wrap(void)
{
	struct spsc_ring r;

	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&r, 8, 1), 0);
	r.tail = r.tail_cache = UINT32_MAX - 1;
	r.head = r.head_cache = 2;
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 4);
	CU_ASSERT_PTR_NOT_NULL(spsc_ring_reserve(&r));
	r.head = 6;
	CU_ASSERT_EQUAL(spsc_ring_count(&r), 8);
	CU_ASSERT_PTR_NULL(spsc_ring_reserve(&r));
	spsc_ring_destroy(&r);
}

/* ---- threaded ------------------------------------------------------------ */

struct rec {
	uint64_t seq;
	uint64_t sq;        /* seq * K: a slot read before its commit shows */
	uint64_t neg;       /* ~seq */
	uint32_t lo, hi;
	uint64_t pad;
};

#define K 0x9e3779b97f4a7c15ull

struct pc {
	struct spsc_ring r;
	uint64_t n;
	bool records;       /* struct rec slots instead of uint64_t */
	uint64_t sum;       /* consumer's result */
	uint64_t bad;       /* items out of order or torn */
	uint64_t full_spins, empty_spins;
};

static void *producer(void *arg)
{
	struct pc *pc = arg;

	for (uint64_t i = 0; i < pc->n; i++) {
		void *slot;

		while (!(slot = spsc_ring_reserve(&pc->r))) {
			pc->full_spins++;
			sched_yield();
		}
		if (pc->records) {
			struct rec *rc = slot;
			rc->seq = i;
			rc->sq = i * K;
			rc->neg = ~i;
			rc->lo = (uint32_t)i;
			rc->hi = (uint32_t)(i >> 32);
			rc->pad = i ^ K;
		} else {
			*(uint64_t *)slot = i;
		}
		spsc_ring_commit(&pc->r);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct pc *pc = arg;

	for (uint64_t i = 0; i < pc->n; i++) {
		void *slot;
		uint64_t v;

		while (!(slot = spsc_ring_peek(&pc->r))) {
			pc->empty_spins++;
			sched_yield();
		}
		if (pc->records) {
			const struct rec *rc = slot;
			v = rc->seq;
			if (rc->sq != v * K || rc->neg != ~v || rc->lo != (uint32_t)v ||
			    rc->hi != (uint32_t)(v >> 32) || rc->pad != (v ^ K))
				pc->bad++;
		} else {
			v = *(const uint64_t *)slot;
		}
		if (v != i)
			pc->bad++;
		pc->sum += v;
		spsc_ring_release(&pc->r);
	}
	return NULL;
}

static void run_pc(uint64_t n, uint32_t count, bool records, uint32_t start)
{
	struct pc pc;
	pthread_t tp, tc;

	memset(&pc, 0, sizeof(pc));
	pc.n = n;
	pc.records = records;
	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&pc.r, count,
					     records ? sizeof(struct rec) : sizeof(uint64_t)), 0);
	ring_set_index(&pc.r, start);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tc, NULL, consumer, &pc), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&tp, NULL, producer, &pc), 0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	CU_ASSERT_EQUAL(pc.bad, 0);
	/* n(n-1)/2 in 64 bits: n is far below 2^32 */
	CU_ASSERT_EQUAL(pc.sum, n * (n - 1) / 2);
	CU_ASSERT_EQUAL(spsc_ring_count(&pc.r), 0);
	CU_ASSERT_EQUAL(pc.r.head, (uint32_t)(start + n));
	CU_ASSERT_EQUAL(pc.r.tail, (uint32_t)(start + n));
	spsc_ring_destroy(&pc.r);
}

/* MAMORI_RING_ITEMS scales the threaded tests down (e.g. under valgrind) */
static uint64_t items(uint64_t dflt)
{
	const char *e = getenv("MAMORI_RING_ITEMS");
	uint64_t v = e ? strtoull(e, NULL, 10) : 0;

	return v ? (v < dflt ? v : dflt) : dflt;
}

static void test_threads_10m(void)
{
	run_pc(items(10000000), 1024, false, 0);
}

static void test_threads_wrap_records(void)
{
	/* crosses the 2^32 wrap early in the run, with 48-byte records */
	run_pc(items(2000000), 256, true, UINT32_MAX - 1000);
}

static void test_threads_tiny_ring(void)
{
	/* capacity 2: nearly every operation sees full or empty */
	run_pc(items(500000), 2, true, UINT32_MAX - 7);
}

static const struct test_case ring_cases[] = {
	{ "init rejects bad arguments", test_init_errors },
	{ "capacity rounds up to a power of two", test_capacity_rounding },
	{ "empty ring", test_empty },
	{ "full ring", test_full },
	{ "FIFO order over many laps", test_fifo_laps },
	{ "pointer helpers", test_ptr_helpers },
	{ "indices wrap past UINT32_MAX", test_wrap_u32 },
	{ "count across the wrap", test_count_wrap },
	{ NULL, NULL }
};

static const struct test_case ring_thread_cases[] = {
	{ "10M items, order and sum", test_threads_10m },
	{ "records across the wrap", test_threads_wrap_records },
	{ "capacity-2 ring", test_threads_tiny_ring },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "ring", NULL, NULL, ring_cases },
	{ "ring threads", NULL, NULL, ring_thread_cases },
	{ NULL, NULL, NULL, NULL }
};
