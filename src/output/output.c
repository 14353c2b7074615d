/*
 * output: the output thread, the only thread that writes files at runtime.
 *
 * It polls every worker's event ring (SPSC, so no lock: it is the one
 * consumer of each), formats each record in place in the ring slot to one
 * EVE JSON line in a private line buffer, and hands whole lines to stdio,
 * whose 1 MiB buffer turns many small lines into few large writes. The slot
 * goes back to its worker only after the line is out, so no record is copied.
 * Rings are drained round-robin, a bounded number of records each per pass,
 * so one busy worker cannot starve the others' alerts.
 *
 * Latency beats batching for alerts (the SOC wants them within
 * milliseconds): the stdio buffer is flushed whenever a pass finds the rings
 * empty, and at least every FLUSH_US while records keep coming. An idle
 * thread sleeps with a short backoff (SLEEP_MIN_NS doubling to SLEEP_MAX_NS)
 * rather than spinning on a core the workers could use, or waiting on a
 * condition variable that workers would have to signal (a syscall per
 * alert on the packet path).
 *
 * A line that does not format (no room, unknown record type) or cannot be
 * written is counted in write_errors and skipped; no broken line is
 * written. Counters are written only by the thread that drains and read with
 * relaxed loads (stats_read_u64), so output_get_stats may be called any time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mamori/clock.h"
#include "mamori/output.h"

#define EVE_STDIO_BUF (1u << 20)
#define LINE_MAX_BYTES (64u * 1024)  /* largest record is ~6 KiB, stats ~4 KiB */
#define DRAIN_BUDGET 256             /* records per ring per pass */
#define FLUSH_US 10000               /* flush at least this often while busy */
#define SLEEP_MIN_NS 50000L
#define SLEEP_MAX_NS 1000000L

struct output {
	struct output_config cfg;
	char *eve_path;                  /* owned copies of cfg's strings */
	char *sensor_name;
	struct spsc_ring **rings;
	unsigned nrings;
	struct kafka_sink **kafka;
	unsigned nkafka;
	unsigned kafka_stats_sinks;      /* sinks that carry stats */
	stats_collect_fn collect;
	void *collect_arg;

	FILE *eve;
	char *eve_buf;                   /* stdio buffer of eve */
	char *line;                      /* one formatted line */
	bool eve_dirty, console_dirty;   /* written since the last flush */
	uint64_t last_flush_us;          /* monotonic */
	uint64_t next_stats_us;          /* monotonic; 0 = no periodic stats */
	uint64_t created_us;             /* wall clock, for uptime fallback */

	struct output_stats st;          /* written by the draining thread only */

	pthread_t thread;
	bool started;
	bool stopped;
	int stop;                        /* atomic: set by output_stop */
};

/* monotonic microseconds, for flush and stats deadlines */
static inline uint64_t mono_us(void)
{
	return clock_mono_ns() / 1000u;
}

/* Single writer: a plain read and a relaxed store keep readers tear-free. */
static inline void ctr_inc(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

static void eve_flush(struct output *o)
{
	if (o->eve && o->eve_dirty) {
		if (fflush(o->eve) != 0) {
			/* the lines in the buffer are lost; count it and let
			 * later writes try again */
			ctr_inc(&o->st.write_errors);
			clearerr(o->eve);
		}
		o->eve_dirty = false;
	}
	if (o->console_dirty) {
		fflush(stdout);
		o->console_dirty = false;
	}
	o->last_flush_us = mono_us();
}

/* Write the line in o->line (len bytes, room for one more) plus a newline. */
static void eve_write_line(struct output *o, size_t len)
{
	o->line[len++] = '\n';
	if (fwrite(o->line, 1, len, o->eve) != len) {
		ctr_inc(&o->st.write_errors);
		clearerr(o->eve);
		return;
	}
	o->eve_dirty = true;
	ctr_inc(&o->st.events_written);
}

static void kafka_poll_all(struct output *o)
{
	for (unsigned i = 0; i < o->nkafka; i++)
		kafka_sink_poll(o->kafka[i]);
}

static void handle_record(struct output *o, const struct event_record *ev)
{
	struct json_buf j;
	bool to_eve;

	if (ev->type == EVENT_ALERT) {
		if (o->cfg.console_alerts) {
			char fast[1024];
			size_t n = eve_format_fast(fast, sizeof(fast) - 1, ev);

			fast[n++] = '\n';
			if (fwrite(fast, 1, n, stdout) == n) {
				ctr_inc(&o->st.alerts_printed);
				o->console_dirty = true;
			}
		}
		to_eve = o->eve && o->cfg.eve_alert;
	} else if (ev->type == EVENT_FLOW) {
		to_eve = o->eve && o->cfg.eve_flow;
	} else {
		/* a corrupt or unknown record: nothing sensible to write */
		ctr_inc(&o->st.write_errors);
		return;
	}
	if (!to_eve) {
		/* sinks format it themselves (they may not want it at all) */
		for (unsigned i = 0; i < o->nkafka; i++)
			kafka_sink_event(o->kafka[i], ev, NULL, 0);
		return;
	}
	/* one byte short of the buffer: room for the newline */
	json_init(&j, o->line, LINE_MAX_BYTES - 1);
	if (eve_format_event(&j, &o->cfg.eve, ev) < 0) {
		ctr_inc(&o->st.write_errors);
		return;
	}
	/* Kafka first: whatever eve.json holds has been handed to the sinks
	 * (in librdkafka or in the spool) */
	for (unsigned i = 0; i < o->nkafka; i++)
		kafka_sink_event(o->kafka[i], ev, o->line, j.len);
	eve_write_line(o, j.len);
}

/* Drain up to budget records from each ring; returns how many were handled. */
static unsigned drain(struct output *o, unsigned budget)
{
	unsigned total = 0;

	for (unsigned i = 0; i < o->nrings; i++) {
		struct spsc_ring *r = o->rings[i];
		const struct event_record *ev;
		unsigned n = 0;

		while (n < budget && (ev = spsc_ring_peek(r)) != NULL) {
			handle_record(o, ev);
			spsc_ring_release(r);
			n++;
		}
		total += n;
	}
	return total;
}

unsigned output_poll(struct output *o)
{
	unsigned total = 0, n;

	/* until every ring is empty; callers have no concurrent producer, or
	 * accept that records arriving meanwhile are taken too */
	do {
		n = drain(o, DRAIN_BUDGET);
		total += n;
		kafka_poll_all(o);
	} while (n);
	eve_flush(o);
	return total;
}

/* A stats record to eve.json and/or the Kafka sinks that carry stats. */
static void write_stats(struct output *o, bool to_eve, bool to_kafka)
{
	struct stats_snapshot snap;
	struct output_stats mine;
	struct json_buf j;
	uint64_t ring_drops;

	to_eve = to_eve && o->eve && o->cfg.eve_stats;
	to_kafka = to_kafka && o->kafka_stats_sinks;
	if (!to_eve && !to_kafka)
		return;
	memset(&snap, 0, sizeof(snap));
	if (o->collect)
		o->collect(o->collect_arg, &snap);
	if (!snap.ts_us)
		snap.ts_us = clock_wall_us();
	if (!snap.uptime_s && snap.ts_us > o->created_us)
		snap.uptime_s = (snap.ts_us - o->created_us) / 1000000u;
	/* ring drops are counted by the producers and reported by collect;
	 * the rest of the output block is this thread's own */
	ring_drops = snap.output.ring_drops;
	STATS_COPY(&mine, &o->st);
	snap.output = mine;
	snap.output.ring_drops += ring_drops;
	snap.nkafka = o->nkafka;
	for (unsigned i = 0; i < o->nkafka; i++) {
		/* the latency interval restarts with each eve.json record */
		kafka_sink_get_stats(o->kafka[i], &snap.kafka[i], to_eve);
		snprintf(snap.kafka_topic[i], sizeof(snap.kafka_topic[i]), "%s",
			 kafka_sink_topic(o->kafka[i]));
	}

	json_init(&j, o->line, LINE_MAX_BYTES - 1);
	if (eve_format_stats(&j, &o->cfg.eve, &snap) < 0) {
		ctr_inc(&o->st.write_errors);
		return;
	}
	if (to_kafka)
		for (unsigned i = 0; i < o->nkafka; i++)
			kafka_sink_stats_line(o->kafka[i], o->line, j.len);
	if (to_eve)
		eve_write_line(o, j.len);
}

void output_write_stats(struct output *o)
{
	write_stats(o, true, true);
}

const struct output_stats *output_get_stats(const struct output *o)
{
	return &o->st;
}

static void *output_main(void *arg)
{
	struct output *o = arg;
	long sleep_ns = SLEEP_MIN_NS;
	struct timespec ts;

	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE)) {
		unsigned n = drain(o, DRAIN_BUDGET);
		uint64_t now;

		kafka_poll_all(o);
		now = mono_us();
		if (o->next_stats_us && now >= o->next_stats_us) {
			output_write_stats(o);
			/* next slot on the grid, skipping any that were missed */
			do
				o->next_stats_us += (uint64_t)o->cfg.stats_interval_s * 1000000u;
			while (o->next_stats_us <= now);
		}
		if (n) {
			sleep_ns = SLEEP_MIN_NS;
			if (now - o->last_flush_us >= FLUSH_US)
				eve_flush(o);
			continue;
		}
		if (o->eve_dirty || o->console_dirty)
			eve_flush(o);
		ts.tv_sec = 0;
		ts.tv_nsec = sleep_ns;
		nanosleep(&ts, NULL);
		if (sleep_ns < SLEEP_MAX_NS)
			sleep_ns = sleep_ns * 2 > SLEEP_MAX_NS ? SLEEP_MAX_NS : sleep_ns * 2;
	}
	return NULL;
}

struct output *output_create(const struct output_config *cfg,
			     struct spsc_ring **rings, unsigned nrings,
			     stats_collect_fn collect, void *collect_arg,
			     char *errbuf, size_t errlen)
{
	struct output *o;

	for (unsigned i = 0; i < nrings; i++) {
		if (!rings[i] || rings[i]->elem_size != sizeof(struct event_record)) {
			snprintf(errbuf, errlen,
				 "event ring %u: slots of %u bytes, expected %zu", i,
				 rings[i] ? rings[i]->elem_size : 0,
				 sizeof(struct event_record));
			return NULL;
		}
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		goto nomem;
	o->cfg = *cfg;
	o->collect = collect;
	o->collect_arg = collect_arg;
	o->nrings = nrings;
	o->created_us = clock_wall_us();
	o->last_flush_us = mono_us();
	o->rings = calloc(nrings ? nrings : 1, sizeof(*o->rings));
	o->line = malloc(LINE_MAX_BYTES);
	o->kafka = calloc(cfg->nkafka ? cfg->nkafka : 1, sizeof(*o->kafka));
	if (!o->rings || !o->line || !o->kafka)
		goto nomem;
	o->nkafka = cfg->nkafka;
	for (unsigned i = 0; i < cfg->nkafka; i++) {
		o->kafka[i] = cfg->kafka[i];
		o->kafka_stats_sinks += kafka_sink_wants_stats(cfg->kafka[i]);
	}
	o->cfg.kafka = NULL;
	if (nrings)
		memcpy(o->rings, rings, nrings * sizeof(*rings));
	if (cfg->eve.sensor_name) {
		o->sensor_name = strdup(cfg->eve.sensor_name);
		if (!o->sensor_name)
			goto nomem;
		o->cfg.eve.sensor_name = o->sensor_name;
	}
	if (cfg->eve_path) {
		o->eve_path = strdup(cfg->eve_path);
		o->eve_buf = malloc(EVE_STDIO_BUF);
		if (!o->eve_path || !o->eve_buf)
			goto nomem;
		o->cfg.eve_path = o->eve_path;
		/* append (O_APPEND): a restart keeps what is there and a logrotate
		 * copytruncate does not leave a hole; "e": not inherited by children */
		o->eve = fopen(o->eve_path, "ae");
		if (!o->eve) {
			snprintf(errbuf, errlen, "cannot open %s: %s", o->eve_path,
				 strerror(errno));
			output_destroy(o);
			return NULL;
		}
		setvbuf(o->eve, o->eve_buf, _IOFBF, EVE_STDIO_BUF);
	}
	return o;

nomem:
	snprintf(errbuf, errlen, "out of memory");
	output_destroy(o);
	return NULL;
}

int output_start(struct output *o)
{
	int rc;

	if (o->started || o->stopped)
		return -EINVAL;
	if (o->cfg.stats_interval_s && ((o->cfg.eve_stats && o->eve) || o->kafka_stats_sinks))
		o->next_stats_us = mono_us() +
				   (uint64_t)o->cfg.stats_interval_s * 1000000u;
	rc = pthread_create(&o->thread, NULL, output_main, o);
	if (rc)
		return -rc;
	pthread_setname_np(o->thread, "mamori-output");
	o->started = true;
	return 0;
}

void output_stop(struct output *o)
{
	if (o->stopped)
		return;
	if (o->started) {
		__atomic_store_n(&o->stop, 1, __ATOMIC_RELEASE);
		pthread_join(o->thread, NULL);
		o->started = false;
	}
	/* workers have stopped: what the rings hold now is all there is */
	output_poll(o);
	/* the sinks' last stats record goes out with their flush; eve.json's
	 * comes after it, with the counters of the flush */
	write_stats(o, false, true);
	for (unsigned i = 0; i < o->nkafka; i++)
		kafka_sink_close(o->kafka[i]);
	write_stats(o, true, false);
	eve_flush(o);
	if (o->eve) {
		if (fclose(o->eve) != 0)
			ctr_inc(&o->st.write_errors);
		o->eve = NULL;
	}
	o->stopped = true;
}

void output_destroy(struct output *o)
{
	if (!o)
		return;
	if (o->started)
		output_stop(o);
	if (o->eve)
		fclose(o->eve);
	free(o->eve_buf);
	free(o->eve_path);
	free(o->sensor_name);
	free(o->line);
	free(o->rings);
	free(o->kafka);
	free(o);
}
