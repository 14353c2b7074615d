/*
 * worker: one thread per worker core, owning everything its packets touch.
 *
 * The capture side fills `struct batch`es (up to BATCH_PKTS packets copied
 * into one contiguous buffer) and hands them to a worker through the
 * worker's `in` ring; the worker decodes each packet in place, updates its
 * flow table, and gives the batch back through its `free` ring. Both rings
 * are single-producer single-consumer, and a worker's batches are owned by
 * that worker's pair of rings only, so no batch is ever shared. Records for
 * the output thread (flow ends now, alerts later) go into the worker's
 * `events` ring; live, a full ring is counted and the record dropped (the
 * worker never waits on output); reading a file it waits, so back
 * pressure reaches the reader and nothing is lost.
 *
 * Everything a worker writes per packet lives in its own cache-aligned
 * `struct worker`; other threads only read its counters. The exception is
 * a reassembled IP datagram whose flow is another worker's: it is handed
 * to that worker through the hub of fwd.h, and inspected there.
 */
#ifndef MAMORI_WORKER_H
#define MAMORI_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "mamori/applayer.h"
#include "mamori/capture.h"
#include "mamori/config.h"
#include "mamori/defrag.h"
#include "mamori/decode.h"
#include "mamori/detect.h"
#include "mamori/flow.h"
#include "mamori/fwd.h"
#include "mamori/ring.h"
#include "mamori/stats.h"

#define BATCH_PKTS 64
#define BATCH_BYTES (256u * 1024u)
/* Packets a polling worker asks its queue for at once. */
#define WORKER_BURST 32

struct pkt_desc {
	uint64_t ts_us;
	uint32_t off;       /* into batch.data */
	uint32_t caplen;
	uint32_t wirelen;
	/* reading a file with several workers (fwd.h): a fragment's number
	 * (0: not a fragment), or a barrier: no packet, wait for fragment
	 * `seq` of worker `from` and take what it completed for us */
	uint32_t seq;
	uint16_t from;
	uint8_t barrier;
};

struct batch {
	uint32_t n;         /* packets */
	uint32_t used;      /* bytes of data used */
	uint16_t linktype;
	bool ordered;       /* holds a numbered fragment or a barrier */
	uint64_t capture_us;  /* wall clock when its first packet was read */
	struct pkt_desc d[BATCH_PKTS];
	_Alignas(MAMORI_CACHELINE) uint8_t data[BATCH_BYTES];
};

/* Counters of one worker beyond decode and flow. All uint64_t so that
 * STATS_COPY can read them. */
struct worker_counters {
	uint64_t batches;
	uint64_t event_drops;      /* records lost: events ring full */
	uint64_t events;           /* records handed to output */
	uint64_t alerts;
	uint64_t busy_ns;          /* time spent processing batches */
	uint64_t cpu_ns;           /* thread CPU time, set at exit */
	struct fwd_stats fwd;      /* reassembled datagrams handed over */
};

struct worker {
	_Alignas(MAMORI_CACHELINE) unsigned id;
	pthread_t thread;
	bool started;
	bool live;                 /* time moves with the wall clock */
	bool flow_records;         /* emit EVENT_FLOW at flow end */
	bool community_id;
	uint16_t community_id_seed;

	struct spsc_ring in;       /* capture -> worker: struct batch * */
	struct spsc_ring free;     /* worker -> capture: struct batch * */
	struct spsc_ring events;   /* worker -> output: struct event_record */
	struct batch *batches;     /* all batches of this worker */
	uint32_t nbatches;
	int in_done;               /* capture will push no more (atomic) */

	struct decode_config dcfg;
	struct decode_stats dstats;
	struct flow_table *flows;
	struct applayer *al;          /* NULL: app layer off */
	struct defrag *defrag;        /* NULL: defragmentation off */
	uint8_t *defrag_buf;          /* DEFRAG_OUT_MAX: a reassembled datagram */
	struct decode_stats defrag_dstats; /* decoding reassembled datagrams */
	/* several workers: datagrams whose flow is another worker's go there
	 * (fwd.h); NULL with one worker */
	struct fwd_hub *fwd;
	bool fwd_ordered;          /* fwd->ordered: barriers say when to take */
	unsigned fwd_next;         /* where the search for a free slot starts */
	uint64_t fwd_taken;        /* datagrams taken (against lane.posted) */
	uint32_t cur_seq;          /* number of the fragment in hand (ordered) */
	struct detect_thread *det;    /* NULL: no rules */
	struct detect_thread_stats dtstats;  /* det's counters, across reloads */
	/* rule reload (reload.h): the reloader stores the next thread, the
	 * worker swaps it in between batches and leaves the old one in
	 * det_retired for the reloader to free; both atomic */
	struct detect_thread *det_next;
	struct detect_thread *det_retired;
	int exited;                /* worker loop over; no more swaps (atomic) */
	int queue_failed;          /* poll mode: its queue failed (atomic) */
	struct worker_counters ctr;
	struct anomaly_tap *anom;  /* anomaly.h hooks; NULL: scoring off */
	uint64_t now_us;           /* latest packet time seen */
	uint64_t batch_capture_us; /* capture time of the batch in hand */
	bool finishing;            /* shutdown: flow records wait for room */

	/* poll mode (worker_poll_main): the queue this worker reads */
	const struct capture_ops *src_ops;
	struct capture *src;
	unsigned src_queue;
	uint16_t src_linktype;

	struct packet pkt;         /* scratch packet being processed */
	struct packet rpkt;        /* a reassembled datagram being processed */
	struct packet fpkt[2];     /* flow end: pseudo packets per direction */
};

struct detect_engine;
/* engine may be NULL (no rules). */
int worker_init(struct worker *w, unsigned id, const struct mamori_config *rc,
		uint32_t max_flows, bool live, const struct detect_engine *engine);
void worker_destroy(struct worker *w);
int worker_start(struct worker *w);
/* Wait for the worker to finish (after in_done was set). */
void worker_join(struct worker *w);

/* Between batches: take a reload's detect thread if one waits; true when
 * it swapped. (The worker loop calls it; tests may too.) */
bool worker_poll_detect(struct worker *w);

/* Process one batch in the calling thread (the worker loop; tests). */
void worker_process_batch(struct worker *w, const struct batch *b);
/* Process one packet (the pipeline worker_process_batch runs per packet). */
void worker_process_packet(struct worker *w, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, uint64_t ts_us, int linktype);

/*
 * Poll mode: the worker reads queue `queue` of a capture itself (DPDK, a
 * queue per worker) instead of taking batches. worker_poll_main is the
 * thread body (launched on the queue's lcore); it runs until in_done is
 * set, then ends every flow like the batch loop.
 */
void worker_set_source(struct worker *w, const struct capture_ops *ops, struct capture *cap,
		       unsigned queue);
void *worker_poll_main(void *arg);
/* Between bursts: flow timeouts within a budget. */
void worker_housekeeping(struct worker *w, uint64_t now_us);
/* End of input: end every flow (flow records) . */
void worker_finish(struct worker *w);

/* Hand an alert on packet p (of flow f, may be NULL) to the output thread:
 * the record detection fills when a rule matches. Live, a full ring drops
 * it and counts it (output.ring_drops) and -ENOBUFS is returned; reading a
 * file the worker waits for room (nothing is lost). */
struct event_alert;
int worker_alert(struct worker *w, const struct packet *p, const struct flow *f,
		 const struct event_alert *alert);
/* The same with the application-layer metadata of the match (NULL: none). */
int worker_alert_app(struct worker *w, const struct packet *p, const struct flow *f,
		     const struct event_alert *alert, const struct app_meta *app);

/* Add this worker's counters (relaxed reads) into s. */
void worker_collect(const struct worker *w, struct stats_snapshot *s);

/* What dispatch_pick decodes into: owned by the capture thread. */
struct dispatch_scratch {
	struct decode_config cfg;
	struct packet pkt;
	struct decode_stats stats;   /* thrown away; workers count for real */
};

/* Pick a worker for raw packet bytes: the symmetric flow hash of the
 * innermost packet (packet_flow_hash). Returns 0 .. nworkers-1. */
unsigned dispatch_pick(struct dispatch_scratch *sc, const uint8_t *data, uint32_t caplen,
		       int linktype, unsigned nworkers);

#endif
