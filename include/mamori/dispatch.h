/*
 * dispatch: the capture thread of the libpcap path. It reads packets from a
 * capture backend, picks a worker by a symmetric flow hash (both directions
 * of a flow land on one worker), copies each packet into that worker's
 * current batch and hands full batches over. Reading a file applies back
 * pressure (it waits for a free batch: nothing is lost); live capture never
 * waits: when a worker has no free batch the packet is dropped and counted
 * in dispatch.ring_full, as a sensor on a tap must keep up or say so.
 */
#ifndef MAMORI_DISPATCH_H
#define MAMORI_DISPATCH_H

#include <stdbool.h>

#include "mamori/capture.h"
#include "mamori/stats.h"
#include "mamori/worker.h"

#define DISPATCH_MAX_WORKERS 256

struct dispatch {
	const struct capture_ops *ops;
	struct capture *cap;
	struct worker *workers;
	unsigned nworkers;
	bool live;
	unsigned exit_idle_s;          /* stop after this long without packets */
	volatile int *stop;            /* set by signals */
	struct dispatch_scratch scratch; /* cfg set by the caller */
	struct fwd_hub *fwd;           /* several workers: the workers' hub;
					* ordered: number fragments, add barriers */
	uint32_t frag_seq;             /* last fragment number given */

	/* written by the dispatch thread, read (relaxed) by stats */
	struct dispatch_stats stats;
	struct capture_stats cap_stats;
	char errbuf[256];
};

/* Run until end of file, a stop request or an error. Every worker gets
 * in_done set on return. Returns 0, or -1 on a capture error (errbuf). */
int dispatch_run(struct dispatch *d);

/* The main thread's loop when every worker polls its own queue (DPDK):
 * no packets pass through it; it snapshots the capture counters, watches
 * for --exit-idle and stop, and then sets every worker's in_done. Returns
 * 0, or -1 when a worker's queue failed (errbuf). */
int dispatch_watch(struct dispatch *d);
/* Take the capture counters into cap_stats now (after the workers stop). */
void dispatch_snapshot(struct dispatch *d);

#endif
