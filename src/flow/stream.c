/*
 * stream: TCP reassembly per flow direction, from a per-worker block pool.
 *
 * A direction keeps its next expected sequence number (next_seq) and a
 * sorted list of held blocks: non-overlapping byte ranges, all after
 * next_seq, each a fixed-size block from the pool that remembers the
 * bounds of the segment that first wrote it. A segment is handled in two
 * passes over its range (after cutting what was delivered already, what
 * lies past the FIN and what lies past the depth):
 *
 *   1. where it overlaps held bytes, the policy decides per held block
 *      whether the new bytes replace the held ones (in place: a held range
 *      never changes its bounds, so nothing is allocated here);
 *   2. the holes it fills: a hole at next_seq is delivered straight from
 *      the packet (the common in-order case copies nothing), followed by
 *      every held block that has become contiguous; a hole further on is
 *      copied into new blocks.
 *
 * Bytes once delivered never change and are never delivered again, so a
 * retransmission or an overlap with delivered bytes is cut whatever the
 * policy (as Suricata does in IDS mode). When a hole cannot be held (the
 * direction's max-ooo-bytes, or no free block), the direction gives up
 * waiting for the missing bytes: it skips to the first byte it has, held
 * or in hand, flags the next delivery STREAM_GAP, and delivering frees
 * blocks; this always makes progress, so one segment never loops.
 *
 * Sequence numbers compare in serial number arithmetic (RFC 1982): a
 * segment starting 1 GiB or more ahead of next_seq is refused as out of
 * window, so every held range is unambiguous. Stream offsets (depth,
 * bytes delivered) are 64-bit and do not wrap.
 *
 * Overlap policies, as measured by Novak and Sturges, "Target-Based TCP
 * Stream Reassembly" (2007), and as Suricata 1.x-3.x applied them per
 * host-os-policy. Against a held segment [os, oe) a new segment [ns, ne)
 * replaces the overlapping bytes when:
 *
 *   policy     ns < os          ns == os         ns > os
 *   first      never            never            never
 *   last       always           always           always
 *   bsd        always           never            never
 *   linux      always           ne > oe          never
 *   old-linux  always           ne >= oe         never
 *   solaris    ne >= oe         ne >= oe         ne > oe
 *
 * windows, windows2k3, hpux10, irix and macos behave as bsd in that
 * table, vista as first and hpux11 as solaris.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mamori/log.h"
#include "mamori/stream.h"

#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)

/* A segment this far ahead of next_seq, or this long, is not believed. */
#define MAX_AHEAD (1u << 30)

/* 2 KiB per block: one full-size Ethernet segment fits in one. */
#define BLOCK_BYTES 2048
#define BLOCK_HDR 18
#define BLOCK_DATA (BLOCK_BYTES - BLOCK_HDR)

struct block {
	uint32_t next;                  /* index + 1; 0 ends the list */
	uint32_t seq;                   /* of data[0] */
	uint32_t seg_seq, seg_end;      /* the segment that first wrote it */
	uint16_t len;
	uint8_t data[BLOCK_DATA];
};

_Static_assert(sizeof(struct block) == BLOCK_BYTES, "block layout");
_Static_assert(sizeof(struct stream_dir) == 40, "stream_dir grew");

struct stream_pool {
	struct stream_config cfg;
	struct block *blocks;
	uint32_t nblocks, nfree;
	uint32_t free_head;             /* index + 1 */
	struct stream_stats st;
};

/* ---- names ---------------------------------------------------------------- */

static const struct {
	const char *name;
	enum stream_policy p;
} policy_alias[] = {
	{ "bsd", STREAM_POLICY_BSD },
	{ "first", STREAM_POLICY_FIRST },
	{ "last", STREAM_POLICY_LAST },
	{ "linux", STREAM_POLICY_LINUX },
	{ "old-linux", STREAM_POLICY_OLD_LINUX },
	{ "solaris", STREAM_POLICY_SOLARIS },
	{ "windows", STREAM_POLICY_BSD },
	{ "windows2k3", STREAM_POLICY_BSD },
	{ "vista", STREAM_POLICY_FIRST },
	{ "hpux10", STREAM_POLICY_BSD },
	{ "hpux11", STREAM_POLICY_SOLARIS },
	{ "irix", STREAM_POLICY_BSD },
	{ "macos", STREAM_POLICY_BSD },
};

#define N_ALIAS (sizeof(policy_alias) / sizeof(policy_alias[0]))

const char *const stream_policy_names[] = {
	"bsd", "first", "last", "linux", "old-linux", "solaris", "windows",
	"windows2k3", "vista", "hpux10", "hpux11", "irix", "macos", NULL
};

_Static_assert(sizeof(stream_policy_names) / sizeof(stream_policy_names[0]) == N_ALIAS + 1,
	       "policy names and aliases agree");

int stream_policy_from_name(const char *name)
{
	for (size_t i = 0; i < N_ALIAS; i++)
		if (strcasecmp(name, policy_alias[i].name) == 0)
			return (int)policy_alias[i].p;
	return -1;
}

const char *stream_policy_name(enum stream_policy p)
{
	/* the first alias of each policy is its own name */
	return p < STREAM_POLICY_MAX ? policy_alias[p].name : "?";
}

const char *stream_event_name(enum stream_event ev)
{
	static const char *const names[STREAM_EV_MAX] = {
		[STREAM_EV_SYN_WITH_DATA] = "syn_with_data",
		[STREAM_EV_SYN_ISN_CHANGED] = "syn_isn_changed",
		[STREAM_EV_NO_SYN] = "no_syn",
		[STREAM_EV_DATA_AFTER_FIN] = "data_after_fin",
		[STREAM_EV_FIN_CHANGED] = "fin_changed",
		[STREAM_EV_FIN_INVALID] = "fin_invalid",
		[STREAM_EV_DATA_AFTER_CLOSE] = "data_after_close",
		[STREAM_EV_RST_INVALID] = "rst_invalid",
		[STREAM_EV_RST_WITH_DATA] = "rst_with_data",
		[STREAM_EV_OUT_OF_WINDOW] = "out_of_window",
	};

	return ev < STREAM_EV_MAX ? names[ev] : "?";
}

void stream_config_default(struct stream_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 64u << 20;
	cfg->depth = 1u << 20;
	cfg->max_ooo_bytes = 256u << 10;
	cfg->policy = STREAM_POLICY_BSD;
	cfg->midstream = false;
}

/* ---- pool ------------------------------------------------------------------- */

struct stream_pool *stream_pool_create(const struct stream_config *cfg)
{
	struct stream_pool *sp;
	uint64_t n = cfg->memcap / sizeof(struct block);

	if (n < 1)
		n = 1;
	if (n > UINT32_MAX - 1)
		n = UINT32_MAX - 1;
	sp = calloc(1, sizeof(*sp));
	if (sp)
		sp->blocks = malloc(n * sizeof(struct block));
	if (!sp || !sp->blocks) {
		log_error("stream: cannot allocate %llu reassembly blocks (%llu MiB); "
			  "lower stream.reassembly.memcap",
			  (unsigned long long)n,
			  (unsigned long long)(n * sizeof(struct block) >> 20));
		free(sp);
		return NULL;
	}
	sp->cfg = *cfg;
	if (sp->cfg.policy >= STREAM_POLICY_MAX)
		sp->cfg.policy = STREAM_POLICY_BSD;
	sp->nblocks = sp->nfree = (uint32_t)n;
	/* Linking every block writes each one, so the pages are faulted in
	 * now and not on the packet path. */
	for (uint32_t i = 0; i < sp->nblocks; i++)
		sp->blocks[i].next = i + 1 < sp->nblocks ? i + 2 : 0;
	sp->free_head = 1;
	return sp;
}

void stream_pool_destroy(struct stream_pool *sp)
{
	if (!sp)
		return;
	free(sp->blocks);
	free(sp);
}

const struct stream_stats *stream_pool_stats(const struct stream_pool *sp)
{
	return &sp->st;
}

uint32_t stream_pool_blocks(const struct stream_pool *sp)
{
	return sp->nblocks;
}

uint32_t stream_pool_free_blocks(const struct stream_pool *sp)
{
	return sp->nfree;
}

uint32_t stream_block_size(void)
{
	return BLOCK_DATA;
}

static inline struct block *B(struct stream_pool *sp, uint32_t idx)
{
	return &sp->blocks[idx - 1];
}

static uint32_t block_get(struct stream_pool *sp)
{
	uint32_t idx = sp->free_head;

	if (!idx)
		return 0;
	sp->free_head = B(sp, idx)->next;
	sp->nfree--;
	sp->st.memuse += sizeof(struct block);
	if (sp->st.memuse > sp->st.memuse_max)
		sp->st.memuse_max = sp->st.memuse;
	return idx;
}

static void block_put(struct stream_pool *sp, struct stream_dir *d, uint32_t idx)
{
	B(sp, idx)->next = sp->free_head;
	sp->free_head = idx;
	sp->nfree++;
	sp->st.memuse -= sizeof(struct block);
	d->held -= sizeof(struct block);
}

/* ---- delivery ------------------------------------------------------------------ */

static void event(struct stream_pool *sp, enum stream_event ev)
{
	sp->st.event[ev]++;
	sp->st.events++;
}

static void deliver(struct stream_pool *sp, struct stream_dir *d, const uint8_t *p,
		    uint32_t n, stream_deliver_fn cb, void *arg)
{
	unsigned fl = (d->flags & STREAM_DIR_GAP) ? STREAM_GAP : 0;

	d->flags = (uint16_t)((d->flags & ~STREAM_DIR_GAP) | STREAM_DIR_DATA);
	d->next_seq += n;
	d->offset += n;
	sp->st.bytes_delivered += n;
	if (cb)
		cb(arg, p, n, fl);
}

/* Deliver held blocks while the first one starts at next_seq. */
static void flush_contiguous(struct stream_pool *sp, struct stream_dir *d,
			     stream_deliver_fn cb, void *arg)
{
	while (d->head && B(sp, d->head)->seq == d->next_seq) {
		uint32_t idx = d->head;
		struct block *b = B(sp, idx);

		d->head = b->next;
		if (!d->head)
			d->tail = 0;
		deliver(sp, d, b->data, b->len, cb, arg);
		block_put(sp, d, idx);
	}
}

/* Give up the bytes before target (next_seq < target): the next delivery
 * says STREAM_GAP. */
static void skip_to(struct stream_pool *sp, struct stream_dir *d, uint32_t target)
{
	d->offset += (uint32_t)(target - d->next_seq);
	d->next_seq = target;
	d->flags |= STREAM_DIR_GAP | STREAM_DIR_DATA;
	sp->st.gaps++;
}

static void close_dir(struct stream_pool *sp, struct stream_dir *d,
		      stream_deliver_fn cb, void *arg)
{
	(void)sp;
	d->flags |= STREAM_DIR_CLOSED;
	if (cb)
		cb(arg, NULL, 0, STREAM_EOF);
}

static void free_list(struct stream_pool *sp, struct stream_dir *d)
{
	while (d->head) {
		uint32_t idx = d->head;

		d->head = B(sp, idx)->next;
		block_put(sp, d, idx);
	}
	d->tail = 0;
}

void stream_dir_flush(struct stream_pool *sp, struct stream_dir *d,
		      stream_deliver_fn cb, void *arg)
{
	if (!(d->flags & STREAM_DIR_CLOSED) && (d->flags & STREAM_DIR_INIT)) {
		while (d->head) {
			struct block *b = B(sp, d->head);

			if (b->seq != d->next_seq)
				skip_to(sp, d, b->seq);
			flush_contiguous(sp, d, cb, arg);
		}
		close_dir(sp, d, cb, arg);
	}
	free_list(sp, d);
}

void stream_dir_release(struct stream_pool *sp, struct stream_dir *d)
{
	free_list(sp, d);
	memset(d, 0, sizeof(*d));
}

/* ---- overlaps -------------------------------------------------------------------- */

/* Does new segment [ns, ne) replace the bytes it shares with held segment
 * [os, oe)? The table in the opening comment. */
static bool new_wins(unsigned policy, uint32_t ns, uint32_t ne, uint32_t os, uint32_t oe)
{
	bool before = SEQ_LT(ns, os), same = ns == os;

	switch (policy) {
	case STREAM_POLICY_FIRST:
		return false;
	case STREAM_POLICY_LAST:
		return true;
	case STREAM_POLICY_LINUX:
		return before || (same && SEQ_GT(ne, oe));
	case STREAM_POLICY_OLD_LINUX:
		return before || (same && SEQ_GEQ(ne, oe));
	case STREAM_POLICY_SOLARIS:
		return (before || same) ? SEQ_GEQ(ne, oe) : SEQ_GT(ne, oe);
	case STREAM_POLICY_BSD:
	default:
		return before;
	}
}

static uint32_t count_diff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint32_t diff = 0;

	if (memcmp(a, b, n) == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		diff += a[i] != b[i];
	return diff;
}

/* Pass 1: resolve [s, e) against the held blocks it overlaps. Returns the
 * bytes of [s, e) already held. */
static uint32_t resolve_overlaps(struct stream_pool *sp, struct stream_dir *d,
				 uint32_t s, uint32_t e, const uint8_t *data,
				 uint32_t seg_seq, uint32_t seg_end)
{
	uint32_t covered = 0;

	if (!d->tail || SEQ_LEQ(B(sp, d->tail)->seq + B(sp, d->tail)->len, s))
		return 0;
	for (uint32_t idx = d->head; idx; idx = B(sp, idx)->next) {
		struct block *b = B(sp, idx);
		uint32_t bs = b->seq, be = b->seq + b->len, os, oe, n, diff;

		if (SEQ_LEQ(be, s))
			continue;
		if (SEQ_GEQ(bs, e))
			break;
		os = SEQ_GT(bs, s) ? bs : s;
		oe = SEQ_LT(be, e) ? be : e;
		n = oe - os;
		covered += n;
		diff = count_diff(b->data + (os - bs), data + (os - s), n);
		sp->st.overlap_diff += diff;
		if (diff && new_wins(sp->cfg.policy, seg_seq, seg_end, b->seg_seq, b->seg_end))
			memcpy(b->data + (os - bs), data + (os - s), n);
	}
	return covered;
}

/* The first held block that ends after pos, or 0. */
static uint32_t first_after(struct stream_pool *sp, const struct stream_dir *d, uint32_t pos)
{
	uint32_t idx = d->head;

	while (idx && SEQ_LEQ(B(sp, idx)->seq + B(sp, idx)->len, pos))
		idx = B(sp, idx)->next;
	return idx;
}

/* Link block idx (starting at or after every block before it ends) in order. */
static void insert_block(struct stream_pool *sp, struct stream_dir *d, uint32_t idx)
{
	struct block *b = B(sp, idx);
	uint32_t prev = 0, cur = d->head;

	if (d->tail && SEQ_GEQ(b->seq, B(sp, d->tail)->seq)) {
		prev = d->tail;
		cur = 0;
	} else {
		while (cur && SEQ_LT(B(sp, cur)->seq, b->seq)) {
			prev = cur;
			cur = B(sp, cur)->next;
		}
	}
	b->next = cur;
	if (prev)
		B(sp, prev)->next = idx;
	else
		d->head = idx;
	if (!cur)
		d->tail = idx;
}

/* Cut held bytes at or past the FIN. */
static void trim_after_fin(struct stream_pool *sp, struct stream_dir *d)
{
	uint32_t prev = 0, idx = d->head;
	bool cut = false;

	while (idx) {
		struct block *b = B(sp, idx);
		uint32_t next = b->next;

		if (SEQ_GEQ(b->seq, d->fin_seq)) {
			if (prev)
				B(sp, prev)->next = next;
			else
				d->head = next;
			if (d->tail == idx)
				d->tail = prev;
			block_put(sp, d, idx);
			cut = true;
		} else {
			if (SEQ_GT(b->seq + b->len, d->fin_seq)) {
				b->len = (uint16_t)(d->fin_seq - b->seq);
				cut = true;
			}
			prev = idx;
		}
		idx = next;
	}
	if (cut)
		event(sp, STREAM_EV_DATA_AFTER_FIN);
}

/* ---- the segment path ----------------------------------------------------------------- */

static void dir_init(struct stream_dir *d, uint32_t isn, uint16_t flags)
{
	d->isn = isn;
	d->next_seq = isn + 1;
	d->offset = 0;
	d->flags = (uint16_t)(STREAM_DIR_INIT | flags);
}

static void depth_reached(struct stream_pool *sp, struct stream_dir *d)
{
	if (!(d->flags & STREAM_DIR_DEPTH)) {
		d->flags |= STREAM_DIR_DEPTH;
		sp->st.depth_reached++;
	}
}

/* Pass 2: fill the holes of [s, e) (data is s's byte) in order. */
static bool fill_holes(struct stream_pool *sp, struct stream_dir *d, uint32_t s,
		       uint32_t e, const uint8_t *data, uint32_t seg_seq,
		       uint32_t seg_end, stream_deliver_fn cb, void *arg)
{
	uint32_t pos = s;
	bool held = false;

	while (SEQ_LT(pos, e)) {
		uint32_t idx, hole_end;
		struct block *b;

		/* a delivery may have flushed held blocks past pos */
		if (SEQ_LT(pos, d->next_seq)) {
			pos = d->next_seq;
			continue;
		}
		idx = first_after(sp, d, pos);
		b = idx ? B(sp, idx) : NULL;
		if (b && SEQ_LEQ(b->seq, pos)) {
			pos = b->seq + b->len;          /* held: resolved in pass 1 */
			continue;
		}
		hole_end = b && SEQ_LT(b->seq, e) ? b->seq : e;
		if (pos == d->next_seq) {
			deliver(sp, d, data + (pos - s), hole_end - pos, cb, arg);
			flush_contiguous(sp, d, cb, arg);
			pos = d->next_seq;
			continue;
		}
		while (SEQ_LT(pos, hole_end)) {
			uint32_t n = hole_end - pos, nidx;
			struct block *nb;

			if (n > BLOCK_DATA)
				n = BLOCK_DATA;
			if (d->held + sizeof(struct block) > sp->cfg.max_ooo_bytes ||
			    !(nidx = block_get(sp))) {
				/* Cannot hold it: stop waiting for what is
				 * missing before the first byte we have. */
				if (sp->nfree == 0)
					sp->st.pool_exhausted++;
				skip_to(sp, d, d->head && SEQ_LT(B(sp, d->head)->seq, pos) ?
					B(sp, d->head)->seq : pos);
				flush_contiguous(sp, d, cb, arg);
				break;
			}
			nb = B(sp, nidx);
			nb->seq = pos;
			nb->len = (uint16_t)n;
			nb->seg_seq = seg_seq;
			nb->seg_end = seg_end;
			memcpy(nb->data, data + (pos - s), n);
			d->held += sizeof(struct block);
			insert_block(sp, d, nidx);
			held = true;
			pos += n;
		}
	}
	return held;
}

void stream_segment(struct stream_pool *sp, struct stream_dir *d, uint32_t seq,
		    const uint8_t *data, uint32_t len, uint8_t tcp_flags,
		    stream_deliver_fn cb, void *arg)
{
	struct stream_stats *st = &sp->st;
	uint32_t s, e, seg_seq, seg_end, covered;

	if (len)
		st->segments++;
	if (d->flags & STREAM_DIR_CLOSED) {
		if (len)
			event(sp, STREAM_EV_DATA_AFTER_CLOSE);
		return;
	}
	if (len >= MAX_AHEAD) {
		event(sp, STREAM_EV_OUT_OF_WINDOW);
		return;
	}

	if (tcp_flags & STREAM_TH_RST) {
		if (!(d->flags & STREAM_DIR_INIT))
			return;
		if (SEQ_LT(seq, d->next_seq) || (uint32_t)(seq - d->next_seq) >= MAX_AHEAD) {
			event(sp, STREAM_EV_RST_INVALID);
			return;
		}
		if (len)
			event(sp, STREAM_EV_RST_WITH_DATA);
		d->flags |= STREAM_DIR_RST;
		stream_dir_flush(sp, d, cb, arg);
		return;
	}

	if (tcp_flags & STREAM_TH_SYN) {
		if (!(d->flags & STREAM_DIR_INIT)) {
			dir_init(d, seq, 0);
		} else if (seq != d->isn) {
			event(sp, STREAM_EV_SYN_ISN_CHANGED);
			/* Nothing taken from the old ISN yet (a client
			 * retrying, or a midstream pick-up on a bare ACK):
			 * follow the new one. Otherwise ignore the SYN. */
			if ((d->flags & STREAM_DIR_DATA) || d->head)
				return;
			dir_init(d, seq, 0);
		}
		if (len)
			event(sp, STREAM_EV_SYN_WITH_DATA);
		seq++;                          /* the SYN takes one number */
	} else if (!(d->flags & STREAM_DIR_INIT)) {
		if (!sp->cfg.midstream) {
			if (len)
				event(sp, STREAM_EV_NO_SYN);
			return;
		}
		dir_init(d, seq - 1, STREAM_DIR_MIDSTREAM);
	}

	if (tcp_flags & STREAM_TH_FIN) {
		uint32_t f = seq + len;

		if (d->flags & STREAM_DIR_FIN) {
			if (f != d->fin_seq)
				event(sp, STREAM_EV_FIN_CHANGED);
		} else if (SEQ_LT(f, d->next_seq)) {
			event(sp, STREAM_EV_FIN_INVALID);
		} else {
			d->fin_seq = f;
			d->flags |= STREAM_DIR_FIN;
			trim_after_fin(sp, d);
		}
	}

	if (!len)
		goto done;
	s = seg_seq = seq;
	e = seg_end = seq + len;
	if (SEQ_GT(s, d->next_seq) && (uint32_t)(s - d->next_seq) >= MAX_AHEAD) {
		event(sp, STREAM_EV_OUT_OF_WINDOW);
		goto done;
	}
	if ((d->flags & STREAM_DIR_FIN) && SEQ_GT(e, d->fin_seq)) {
		event(sp, STREAM_EV_DATA_AFTER_FIN);
		if (SEQ_GEQ(s, d->fin_seq))
			goto done;
		e = d->fin_seq;
	}
	if (SEQ_LEQ(e, d->next_seq)) {
		st->retransmissions++;
		goto done;
	}
	if (SEQ_LT(s, d->next_seq)) {
		/* the front was delivered already: those bytes stay as they were */
		data += d->next_seq - s;
		s = d->next_seq;
		st->overlaps++;
	}
	if (sp->cfg.depth) {
		uint64_t off = d->offset + (uint32_t)(s - d->next_seq);

		if (off >= sp->cfg.depth)
			goto done;      /* counted once the offset gets there */
		if (off + (uint32_t)(e - s) > sp->cfg.depth)
			e = s + (uint32_t)(sp->cfg.depth - off);
	}

	covered = resolve_overlaps(sp, d, s, e, data, seg_seq, seg_end);
	if (covered) {
		if (s == seq)                   /* not counted above */
			st->overlaps++;
		if (covered == e - s) {
			st->retransmissions++;
			goto done;
		}
	}
	if (fill_holes(sp, d, s, e, data, seg_seq, seg_end, cb, arg))
		st->ooo_segments++;

done:
	if (sp->cfg.depth && d->offset >= sp->cfg.depth) {
		depth_reached(sp, d);
		free_list(sp, d);
	}
	if ((d->flags & STREAM_DIR_FIN) && d->next_seq == d->fin_seq &&
	    !(d->flags & STREAM_DIR_CLOSED)) {
		free_list(sp, d);
		close_dir(sp, d, cb, arg);
	}
}

void stream_stats_add(struct stream_stats *dst, const struct stream_stats *src)
{
	dst->segments += src->segments;
	dst->bytes_delivered += src->bytes_delivered;
	dst->retransmissions += src->retransmissions;
	dst->overlaps += src->overlaps;
	dst->overlap_diff += src->overlap_diff;
	dst->ooo_segments += src->ooo_segments;
	dst->gaps += src->gaps;
	dst->depth_reached += src->depth_reached;
	dst->pool_exhausted += src->pool_exhausted;
	dst->memuse += src->memuse;
	/* the sum of per-worker peaks: an upper bound of the total's peak */
	dst->memuse_max += src->memuse_max;
	dst->events += src->events;
	for (int i = 0; i < STREAM_EV_MAX; i++)
		dst->event[i] += src->event[i];
}
