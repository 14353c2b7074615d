/*
 * fwd: handing reassembled datagrams to the worker that owns their flow.
 *
 * Fragments reach workers by their addresses only (later fragments carry no
 * ports: dispatch_pick, a NIC's RSS), so the worker that reassembles a
 * datagram is often not the one whose flow table holds the datagram's
 * 5-tuple. That worker gives the decoded datagram to the owner through the
 * hub, and the owner inspects it as one of its own packets.
 *
 * Memory: each sender owns FWD_SLOTS slots of a whole datagram (1 MiB), and
 * every (sender, receiver) pair has a single-producer single-consumer ring
 * of slot pointers as deep as the sender's pool, so a ring is never full:
 * what runs out is the sender's pool, and then it drops and counts (live)
 * or waits for a slot (reading a file). The receiver frees a slot with one
 * store once it has inspected the datagram. Nothing is allocated, locked
 * or called into the kernel per datagram; a post costs one atomic add on
 * the receiver's counter.
 *
 * Order. Reading a file through the dispatcher (`ordered`), every fragment
 * gets a sequence number and every other worker a barrier with it in its
 * batch stream, at the fragment's place in the capture; at a barrier the
 * worker waits until the fragment's worker has processed that fragment
 * (done_seq) and inspects what that fragment completed for it. A forwarded
 * datagram is therefore inspected exactly where a single worker would have
 * inspected it, between the same packets of its flow, whatever the thread
 * timing. Otherwise (live, or DPDK queues polled by their workers) there
 * is no common order to keep; a worker inspects a forwarded datagram before
 * its first own packet that is newer than the datagram, or when it is
 * idle, so a datagram is not inspected ahead of its flow's earlier packets
 * when they are already in hand.
 *
 * End of input: a worker that has no more input retires from the hub and
 * keeps taking datagrams until every worker has retired; only then are its
 * flows ended, so nothing forwarded is lost at shutdown.
 */
#ifndef MAMORI_FWD_H
#define MAMORI_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori/decode.h"
#include "mamori/defrag.h"
#include "mamori/ring.h"

/* Datagrams one worker may have handed over and not yet seen inspected. */
#define FWD_SLOTS 16

struct fwd_slot {
	int busy;                  /* atomic: set by the sender, cleared by the receiver */
	uint32_t seq;              /* ordered: number of the completing fragment */
	uint64_t capture_us;       /* capture time of the sender's batch */
	struct packet pkt;         /* decoded; pkt.data points at data */
	_Alignas(MAMORI_CACHELINE) uint8_t data[DEFRAG_OUT_MAX];
};

/* One worker's side of the hub that other workers read or write. */
struct fwd_lane {
	_Alignas(MAMORI_CACHELINE) uint32_t done_seq; /* last numbered fragment processed */
	_Alignas(MAMORI_CACHELINE) uint64_t posted;   /* datagrams posted to this worker */
};

struct fwd_hub {
	unsigned n;                /* workers */
	bool ordered;              /* barriers in the batches (file through dispatch) */
	bool live;                 /* no slot: drop, never wait */
	int active;                /* workers not yet retired (atomic) */
	struct fwd_slot *slots;    /* n * FWD_SLOTS, by sender */
	struct spsc_ring *rings;   /* n * n: [from * n + to], of struct fwd_slot * */
	struct fwd_lane *lanes;    /* n */
};

/* Counters a worker keeps of its part (struct worker_counters holds them;
 * summed into the stats record under defrag). */
struct fwd_stats {
	uint64_t forwarded;        /* datagrams handed to the owner's worker */
	uint64_t drops;            /* not handed over: no free slot (live), or the
				    * wait for one gave up */
	uint64_t unknown;          /* owner unknown (DPDK port without a known RSS
				    * table, a fragment in a tunnel or MPLS):
				    * inspected where reassembled */
	uint64_t received;         /* datagrams taken from other workers */
	uint64_t waits_abandoned;  /* a wait for another worker gave up after
				    * 10 s (a stuck worker: never expected) */
};

/* NULL when out of memory (or n < 2: nothing to hand over). */
struct fwd_hub *fwd_hub_create(unsigned n, bool ordered, bool live);
void fwd_hub_destroy(struct fwd_hub *h);

static inline struct spsc_ring *fwd_ring(struct fwd_hub *h, unsigned from, unsigned to)
{
	return &h->rings[(size_t)from * h->n + to];
}

static inline struct fwd_slot *fwd_slots_of(struct fwd_hub *h, unsigned w)
{
	return &h->slots[(size_t)w * FWD_SLOTS];
}

/* A worker (or, for one never started, the main thread) has no more input. */
static inline void fwd_retire(struct fwd_hub *h)
{
	__atomic_sub_fetch(&h->active, 1, __ATOMIC_ACQ_REL);
}

static inline bool fwd_all_retired(struct fwd_hub *h)
{
	return __atomic_load_n(&h->active, __ATOMIC_ACQUIRE) <= 0;
}

/* Sequence numbers wrap: a is at or after b. */
static inline bool fwd_seq_ge(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

void fwd_stats_add(struct fwd_stats *dst, const struct fwd_stats *src);

#endif
