/*
 * stats: the counters of one run, summed over workers, as written in the
 * "stats" EVE record (laid out like Suricata's stats event).
 *
 * Workers increment their own counters without atomics; the output thread
 * reads them with relaxed loads when it builds a snapshot. A snapshot may be
 * a few packets behind; it is never torn within one 64-bit counter.
 */
#ifndef MAMORI_STATS_H
#define MAMORI_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori/anomaly.h"
#include "mamori/applayer.h"
#include "mamori/capture.h"
#include "mamori/defrag.h"
#include "mamori/decode.h"
#include "mamori/flow.h"
#include "mamori/fwd.h"

struct dispatch_stats {
	uint64_t batches;        /* batches handed to workers */
	uint64_t ring_full;      /* packets dropped: a worker's ring was full */
	uint64_t too_big;        /* packets longer than a batch buffer: truncated */
};

struct output_stats {
	uint64_t events_written; /* EVE lines written */
	uint64_t write_errors;
	uint64_t ring_drops;     /* records lost: a worker's event ring was full */
	uint64_t alerts_printed;
};

/* One Kafka sink (outputs.kafka), written by the output thread. */
#define KAFKA_MAX_SINKS 8
struct kafka_sink_stats {
	uint64_t produced;       /* handed to librdkafka */
	uint64_t delivered;      /* acknowledged by the broker */
	uint64_t failed;         /* delivery attempts that failed (then spooled) */
	uint64_t spooled;        /* records written to the spool */
	uint64_t replayed;       /* spooled records delivered */
	uint64_t dropped;        /* lost: spool full or unwritable */
	uint64_t queue_full;     /* librdkafka's queue was full */
	uint64_t spool_pending;  /* in the spool, not acknowledged */
	uint64_t spool_bytes;
	uint64_t spool_torn;     /* torn records cut off at open */
	uint64_t broker_down;    /* 1 while all brokers are down */
	/* capture to acknowledgement over the last stats interval */
	uint64_t latency_count, latency_p50_us, latency_p99_us, latency_max_us;
};

/* The live ruleset (reload.h keeps it); in the stats record as
 * detect.ruleset. */
struct ruleset_stats {
	uint64_t generation;            /* 1: the ruleset the sensor started with */
	char hash[17];                  /* first 64 bits of SHA-1 over the rules, hex */
	uint64_t rules_loaded;
	uint64_t rules_active;
	uint64_t loaded_at_us;          /* wall clock */
	uint64_t build_us;              /* load and build time */
	uint64_t memory_bytes;          /* heap it took before the swap */
	uint64_t hs_bytes;              /* its Hyperscan databases */
	uint64_t reloads;               /* successful reloads */
	uint64_t reload_failures;       /* refused: the old ruleset kept running */
	char last_error[256];           /* why the last refused reload failed */
};

struct detect_stats {
	uint64_t alert;
	/* summed detect_thread_stats of the workers */
	uint64_t packets, candidates, checked, passed, scan_errors, thresholded,
		 thresh_evicted, stream_bytes, stream_alerts;
	bool has_ruleset;               /* rules in use: ruleset is set */
	struct ruleset_stats ruleset;
};

struct stats_snapshot {
	uint64_t ts_us;          /* when taken (wall clock) */
	uint64_t uptime_s;
	unsigned workers;
	struct capture_stats capture;
	struct dispatch_stats dispatch;
	struct decode_stats decoder;
	struct flow_stats flow;
	struct defrag_stats defrag;
	struct fwd_stats defrag_fwd;  /* in the record's defrag section */
	struct stream_stats stream;
	struct applayer_stats app;
	struct detect_stats detect;
	struct output_stats output;
	bool has_anomaly;        /* anomaly.enabled: anomaly is set */
	struct anomaly_stats anomaly;
	unsigned nkafka;
	struct kafka_sink_stats kafka[KAFKA_MAX_SINKS];
	char kafka_topic[KAFKA_MAX_SINKS][128];
};

/* Relaxed, tear-free copy of a counter block written by another thread:
 * src and dst are arrays of uint64_t of n elements. */
void stats_read_u64(uint64_t *dst, const uint64_t *src, size_t n);

#define STATS_COPY(dst, src)                                             \
	stats_read_u64((uint64_t *)(void *)(dst), (const uint64_t *)(const void *)(src), \
		       sizeof(*(src)) / sizeof(uint64_t))

#endif
