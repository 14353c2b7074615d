/*
 * output: the output thread. It drains every worker's event ring, writes
 * EVE JSON lines to LOGDIR/eve.json (and alerts to the console when asked),
 * and writes a stats record every stats.interval seconds and once at exit.
 * It is the only thread that does file I/O after startup, and the only
 * one that calls librdkafka: Kafka sinks (and their spools) are driven
 * from here, never from workers.
 */
#ifndef MAMORI_OUTPUT_H
#define MAMORI_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "mamori/eve.h"
#include "mamori/kafka.h"
#include "mamori/ring.h"
#include "mamori/stats.h"

struct output_config {
	const char *eve_path;      /* NULL: EVE disabled */
	bool eve_alert, eve_flow, eve_stats;
	bool console_alerts;       /* print alerts fast.log style on stdout */
	unsigned stats_interval_s; /* 0: only the final record */
	struct eve_ctx eve;
	/* Kafka sinks this thread publishes to (not owned: the caller
	 * creates them before and destroys them after the output) */
	struct kafka_sink *const *kafka;
	unsigned nkafka;
};

/* Fills a snapshot with the current totals (called from the output thread).
 * The snapshot comes zeroed; ts_us and uptime_s are filled in by the output
 * when left 0. Of the output block only ring_drops is taken from collect
 * (workers count those); the other output counters are the thread's own. */
typedef void (*stats_collect_fn)(void *arg, struct stats_snapshot *out);

struct output;

struct output *output_create(const struct output_config *cfg,
			     struct spsc_ring **rings, unsigned nrings,
			     stats_collect_fn collect, void *collect_arg,
			     char *errbuf, size_t errlen);
int output_start(struct output *o);
/* Drain what the rings hold; called after workers stopped. Writes the final
 * stats record, flushes and joins the thread. */
void output_stop(struct output *o);
void output_destroy(struct output *o);

/* Drain rings once from the calling thread (tests, single-threaded use). */
unsigned output_poll(struct output *o);
void output_write_stats(struct output *o);
/* Counters are written by the draining thread with relaxed stores: while it
 * runs, read them with STATS_COPY. */
const struct output_stats *output_get_stats(const struct output *o);

#endif
