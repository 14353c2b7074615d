/*
 * kafka: Kafka sinks, driven by the output thread (see include/mamori/kafka.h).
 *
 * States. DIRECT: the spool is empty and the broker answers; each record
 * goes to rd_kafka_producev (copied: the line buffer is reused). SPOOLING:
 * anything else; new records are appended to the spool (one write each, in
 * the page cache when this returns), and poll replays the spool's head in
 * batches of at most REPLAY_BATCH records; a batch's records stay in the
 * spool until all of them are acknowledged, then the head moves past them
 * (spool_commit); one failure rewinds to the head and the batch is sent
 * again after a pause (at-least-once). When the spool is empty and no batch
 * is out, the sink goes back to DIRECT. New records never wait for replay,
 * and a flow's records keep their order: while anything is spooled, new
 * records queue behind it.
 *
 * Going to SPOOLING: librdkafka reports all brokers down (error callback):
 * what sits in its queue is purged, and the purged records' delivery
 * reports put them in the spool, in order; a delivery report with an error
 * (message timeout, a refused produce) spools that record; a full producer
 * queue spools the record that did not fit. So during an outage records
 * are on disk within milliseconds, and a SIGKILL loses none of them.
 *
 * Delivery reports carry a 64-bit opaque instead of a pointer, so nothing
 * is allocated per record: bit 63 says the record came from the spool,
 * bits 56..59 its event type, bits 0..55 its capture time (µs), from which
 * the latency to the acknowledgement goes into a fixed log-linear
 * histogram (8 sub-buckets per power of two) that the stats record reads
 * as p50/p99/max and resets every interval.
 *
 * Shutdown: poll (replaying too) until everything is acknowledged or
 * flush_timeout_ms passes (a broker down at exit costs that long), then purge
 * librdkafka's queue into the spool and fsync it; the next start replays.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "mamori/clock.h"
#include "mamori/kafka.h"
#include "mamori/log.h"
#include "mamori/privacy.h"

#define LINE_MAX_BYTES (64u * 1024)
#define REPLAY_BATCH 4096u
#define REPLAY_PAUSE_US 500000u      /* after a failed replay batch */
#define OPQ_SPOOL (UINT64_C(1) << 63)
#define OPQ_TYPE_SHIFT 56
#define OPQ_TS_MASK ((UINT64_C(1) << 56) - 1)

/* Latency histogram: values < 16 µs exact, then 8 buckets per power of 2. */
#define LAT_SUB 8
#define LAT_BUCKETS (16 + 44 * LAT_SUB)

enum rec_type { REC_ALERT = 1, REC_FLOW, REC_STATS, REC_ANOMALY };

static const char *const rec_type_name[] = {
	[REC_ALERT] = "alert", [REC_FLOW] = "flow", [REC_STATS] = "stats",
	[REC_ANOMALY] = "anomaly",
};

struct kafka_sink {
	struct kafka_sink_config cfg;
	char *topic, *brokers;
	struct eve_ctx eve;          /* the sensor's, with the profile applied */
	char sensor_id[16];
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct spool *spool;
	char *line;                  /* records formatted for this sink */
	char *rbuf;                  /* spool record buffer */
	struct event_record *copy;   /* privacy: the record as it leaves */

	bool spooling;
	bool broker_down;
	bool acked;                  /* the broker has acknowledged something */
	bool purge;                  /* all brokers down: purge the queue */
	bool fatal;
	/* replay batch */
	uint64_t batch_n, batch_out;
	bool batch_failed;
	struct spool_pos batch_end;
	uint64_t replay_after_us;
	uint64_t last_log_us;
	uint64_t refused;            /* spooled records librdkafka refused for good */
	uint64_t dropped_seen;       /* the spool's dropped count last logged */

	struct kafka_sink_stats st;
	uint32_t lat[LAT_BUCKETS];
	uint64_t lat_max, lat_count;
};

/* ---- latency ------------------------------------------------------------- */

static unsigned lat_bucket(uint64_t v)
{
	unsigned e;

	if (v < 16)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);       /* >= 4 */
	if (e > 4 + 43)
		return LAT_BUCKETS - 1;
	return 16 + (e - 4) * LAT_SUB + (unsigned)((v >> (e - 3)) & (LAT_SUB - 1));
}

/* upper bound of a bucket, for reporting */
static uint64_t lat_bucket_value(unsigned b)
{
	unsigned e, sub;

	if (b < 16)
		return b;
	e = (b - 16) / LAT_SUB + 4;
	sub = (b - 16) % LAT_SUB;
	return ((uint64_t)(LAT_SUB + sub + 1) << (e - 3)) - 1;
}

static void lat_add(struct kafka_sink *s, uint64_t ts_us)
{
	uint64_t now = clock_wall_us(), v;

	if (!ts_us)
		return;
	v = now > ts_us ? now - ts_us : 0;
	s->lat[lat_bucket(v)]++;
	s->lat_count++;
	if (v > s->lat_max)
		s->lat_max = v;
}

static uint64_t lat_quantile(const struct kafka_sink *s, double q)
{
	uint64_t want = (uint64_t)(q * (double)s->lat_count + 0.5), seen = 0;

	if (!want)
		want = 1;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += s->lat[b];
		if (seen >= want) {
			uint64_t v = lat_bucket_value(b);
			return v > s->lat_max ? s->lat_max : v;
		}
	}
	return s->lat_max;
}

/* ---- configuration --------------------------------------------------------- */

int kafka_check_brokers(const char *list, char *why, size_t len)
{
	const char *p = list;

	if (!list || !*list) {
		snprintf(why, len, "empty broker list");
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		char one[512], *host, *colon, *end;
		unsigned long port;

		if (n == 0 || n >= sizeof(one)) {
			snprintf(why, len, "expected host:port[,host:port...], got '%s'", list);
			return -1;
		}
		memcpy(one, p, n);
		one[n] = '\0';
		host = strstr(one, "://");
		host = host ? host + 3 : one;
		while (*host == ' ')
			host++;
		if (*host == '[') {
			char *rb = strchr(host, ']');
			colon = rb && rb[1] == ':' ? rb + 1 : NULL;
			if (rb == host + 1)
				colon = NULL;
		} else {
			colon = strrchr(host, ':');
			if (colon && memchr(host, ':', (size_t)(colon - host)))
				colon = NULL;  /* bare IPv6 needs brackets */
		}
		if (!colon || colon == host) {
			snprintf(why, len, "'%s' is not host:port", one);
			return -1;
		}
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		while (*end == ' ')
			end++;
		if (errno || end == colon + 1 || *end || port == 0 || port > 65535) {
			snprintf(why, len, "'%s': bad port", one);
			return -1;
		}
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(why, len, "expected host:port after the last ',' in '%s'", list);
			return -1;
		}
	}
	return 0;
}

static int type_bit(const char *name)
{
	if (!strcmp(name, "alert"))
		return KAFKA_T_ALERT;
	if (!strcmp(name, "anomaly"))
		return KAFKA_T_ANOMALY;
	if (!strcmp(name, "stats"))
		return KAFKA_T_STATS;
	if (!strcmp(name, "flow"))
		return KAFKA_T_FLOW;
	return -1;
}

/* The defaults a sink's properties override. */
static const char *const default_props[] = {
	"enable.idempotence", "true",
	"acks", "all",
	"compression.type", "lz4",
	"linger.ms", "5",
	/* a lost broker is noticed and a returning one found within a
	 * second or so, not librdkafka's 10 s backoff */
	"reconnect.backoff.max.ms", "1000",
	/* a record stuck this long is spooled instead */
	"message.timeout.ms", "30000",
	NULL,
};

/* Apply defaults and a sink's properties to conf; on failure name the key. */
static int apply_props(rd_kafka_conf_t *conf, const struct kafka_sink_config *sc,
		       char *key, size_t keylen, char *why, size_t whylen)
{
	char errstr[512];

	for (const char *const *d = default_props; *d; d += 2)
		if (rd_kafka_conf_set(conf, d[0], d[1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
			snprintf(key, keylen, "outputs.kafka.%u", sc->index);
			snprintf(why, whylen, "librdkafka refuses default %s=%s: %.300s", d[0],
				 d[1], errstr);
			return -1;
		}
	for (unsigned i = 0; i < sc->nprops; i++) {
		rd_kafka_conf_res_t r = rd_kafka_conf_set(conf, sc->props[2 * i],
							  sc->props[2 * i + 1],
							  errstr, sizeof(errstr));
		if (r != RD_KAFKA_CONF_OK) {
			snprintf(key, keylen, "outputs.kafka.%u.properties.%s", sc->index,
				 sc->props[2 * i]);
			snprintf(why, whylen, "%s", r == RD_KAFKA_CONF_UNKNOWN ?
				 "unknown librdkafka property" : errstr);
			return -1;
		}
	}
	return 0;
}

static void topic_dir_name(const char *topic, char *buf, size_t len)
{
	size_t i;

	for (i = 0; topic[i] && i + 1 < len; i++) {
		char ch = topic[i];
		buf[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ?
			 ch : '_';
	}
	buf[i] = '\0';
	if (!strcmp(buf, ".") || !strcmp(buf, ".."))
		buf[0] = '_';
}

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

__attribute__((format(printf, 4, 5)))
static int cfg_err(const struct config *c, struct config_error *err, const char *key,
		   const char *fmt, ...)
{
	va_list ap;
	char parent[256];

	/* a missing key has no line: point at the nearest one that exists */
	copy_str(parent, sizeof(parent), key);
	config_where(c, parent, err);
	while (err->line <= 0 && strrchr(parent, '.')) {
		*strrchr(parent, '.') = '\0';
		config_where(c, parent, err);
	}
	copy_str(err->key, sizeof(err->key), key);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int read_sink(const struct config *c, unsigned i, const char *log_dir,
		     struct kafka_sink_config *sc, struct config_error *err)
{
	char key[256], why[512], dir[256];
	const char *v, *name, *val;
	int64_t n;
	uint64_t sz;
	int cnt;

	sc->index = i;
	snprintf(key, sizeof(key), "outputs.kafka.%u.brokers", i);
	v = config_get_str(c, key);
	if (!v || !*v)
		return cfg_err(c, err, key, "%s", "missing: every sink needs brokers");
	if (kafka_check_brokers(v, why, sizeof(why)) < 0)
		return cfg_err(c, err, key, "%s", why);
	sc->brokers = v;
	snprintf(key, sizeof(key), "outputs.kafka.%u.topic", i);
	v = config_get_str(c, key);
	if (!v || !*v)
		return cfg_err(c, err, key, "%s", "missing: every sink needs a topic");
	sc->topic = v;

	snprintf(key, sizeof(key), "outputs.kafka.%u.types", i);
	cnt = config_count(c, key);
	sc->types = 0;
	for (int k = 0; k < cnt; k++) {
		int bit;

		if (config_child(c, key, k, &name, &val) < 0 || !val)
			continue;
		bit = type_bit(val);
		if (bit < 0) {
			char k2[300];
			snprintf(k2, sizeof(k2), "%s.%d", key, k);
			return cfg_err(c, err, k2, "expected alert, anomaly, stats or flow, got '%s'",
				       val);
		}
		sc->types |= (unsigned)bit;
	}
	if (!cnt)
		sc->types = KAFKA_T_ALERT;

	snprintf(key, sizeof(key), "outputs.kafka.%u.profile", i);
	v = config_get_str(c, key);
	sc->profile = v && *v ? v : NULL;

	snprintf(key, sizeof(key), "outputs.kafka.%u.properties", i);
	cnt = config_count(c, key);
	if (cnt > 0) {
		sc->props = calloc((size_t)cnt * 2, sizeof(*sc->props));
		if (!sc->props)
			return cfg_err(c, err, key, "%s", "out of memory");
		for (int k = 0; k < cnt; k++) {
			if (config_child(c, key, k, &name, &val) < 0 || !name)
				continue;
			sc->props[2 * sc->nprops] = name;
			sc->props[2 * sc->nprops + 1] = val ? val : "";
			sc->nprops++;
		}
	}
	{
		/* every property checked now, so -T and a bad --set fail early */
		rd_kafka_conf_t *conf = rd_kafka_conf_new();
		char k2[300];
		int rc;

		if (!conf)
			return cfg_err(c, err, key, "%s", "out of memory");
		rc = apply_props(conf, sc, k2, sizeof(k2), why, sizeof(why));
		rd_kafka_conf_destroy(conf);
		if (rc < 0)
			return cfg_err(c, err, k2, "%s", why);
	}

	/* spool */
	sc->spool.max_bytes = 256u << 20;
	sc->spool.fsync = SPOOL_FSYNC_INTERVAL;
	sc->spool.fsync_interval_ms = 1000;
	sc->spool.full = SPOOL_DROP_OLDEST;
	sc->flush_timeout_ms = 5000;
	snprintf(key, sizeof(key), "outputs.kafka.%u.spool.max-size", i);
	if (config_get_size(c, key, &sz) == 0)
		sc->spool.max_bytes = sz;
	snprintf(key, sizeof(key), "outputs.kafka.%u.spool.fsync", i);
	v = config_get_str(c, key);
	if (v && *v)
		sc->spool.fsync = !strcasecmp(v, "always") ? SPOOL_FSYNC_ALWAYS :
				  !strcasecmp(v, "never") ? SPOOL_FSYNC_NEVER :
				  SPOOL_FSYNC_INTERVAL;
	snprintf(key, sizeof(key), "outputs.kafka.%u.spool.fsync-interval", i);
	if (config_get_int(c, key, &n) == 0)
		sc->spool.fsync_interval_ms = (unsigned)n;
	snprintf(key, sizeof(key), "outputs.kafka.%u.spool.full", i);
	v = config_get_str(c, key);
	if (v && !strcasecmp(v, "drop-newest"))
		sc->spool.full = SPOOL_DROP_NEWEST;
	snprintf(key, sizeof(key), "outputs.kafka.%u.flush-timeout", i);
	if (config_get_int(c, key, &n) == 0)
		sc->flush_timeout_ms = (unsigned)n;
	topic_dir_name(sc->topic, dir, sizeof(dir));
	snprintf(sc->spool_dir, sizeof(sc->spool_dir), "%s/kafka-spool/%s", log_dir, dir);
	return 0;
}

int kafka_config_read(const struct config *c, const char *log_dir,
		      const char *cli_brokers, const char *cli_topic,
		      struct kafka_config *out, struct config_error *err)
{
	int n = cli_brokers ? 0 : config_count(c, "outputs.kafka");

	memset(out, 0, sizeof(*out));
	if (cli_brokers) {
		struct kafka_sink_config *sc = &out->sinks[0];
		char why[512];

		if (kafka_check_brokers(cli_brokers, why, sizeof(why)) < 0) {
			snprintf(err->file, sizeof(err->file), "command line");
			err->line = 0;
			snprintf(err->key, sizeof(err->key), "--kafka");
			copy_str(err->msg, sizeof(err->msg), why);
			return -1;
		}
		sc->brokers = cli_brokers;
		sc->topic = cli_topic && *cli_topic ? cli_topic : "mamori";
		sc->types = KAFKA_T_ALERT;
		sc->spool.max_bytes = 256u << 20;
		sc->spool.fsync = SPOOL_FSYNC_INTERVAL;
		sc->spool.fsync_interval_ms = 1000;
		sc->spool.full = SPOOL_DROP_OLDEST;
		sc->flush_timeout_ms = 5000;
		{
			char dir[256];
			topic_dir_name(sc->topic, dir, sizeof(dir));
			snprintf(sc->spool_dir, sizeof(sc->spool_dir), "%s/kafka-spool/%s",
				 log_dir, dir);
		}
		out->nsinks = 1;
		return 0;
	}
	if (n > KAFKA_MAX_SINKS) {
		config_where(c, "outputs.kafka", err);
		snprintf(err->key, sizeof(err->key), "outputs.kafka");
		snprintf(err->msg, sizeof(err->msg), "at most %d sinks", KAFKA_MAX_SINKS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (read_sink(c, (unsigned)i, log_dir, &out->sinks[i], err) < 0) {
			out->nsinks = (unsigned)i + 1;
			kafka_config_free(out);
			return -1;
		}
		out->nsinks = (unsigned)i + 1;
		/* two sinks on one topic name get separate spools */
		for (int k = 0; k < i; k++)
			if (!strcmp(out->sinks[k].spool_dir, out->sinks[i].spool_dir)) {
				size_t l = strlen(out->sinks[i].spool_dir);
				snprintf(out->sinks[i].spool_dir + l,
					 sizeof(out->sinks[i].spool_dir) - l, ".%d", i);
			}
	}
	return 0;
}

int kafka_privacy_load(const struct config *c, struct kafka_config *kc,
		       struct config_error *err)
{
	for (unsigned i = 0; i < kc->nsinks; i++) {
		struct kafka_sink_config *sc = &kc->sinks[i];
		char key[64];

		if (!sc->profile)
			continue;
		snprintf(key, sizeof(key), "outputs.kafka.%u.profile", sc->index);
		sc->privacy = privacy_load(c, sc->profile, key, err);
		if (!sc->privacy)
			return -1;
	}
	return 0;
}

void kafka_privacy_free(struct kafka_config *kc)
{
	for (unsigned i = 0; i < kc->nsinks; i++) {
		privacy_free((struct privacy *)kc->sinks[i].privacy);
		kc->sinks[i].privacy = NULL;
	}
}

void kafka_config_free(struct kafka_config *kc)
{
	for (unsigned i = 0; i < kc->nsinks; i++) {
		free(kc->sinks[i].props);
		kc->sinks[i].props = NULL;
	}
	kc->nsinks = 0;
}

/* ---- delivery ---------------------------------------------------------------- */

static void spool_one(struct kafka_sink *s, unsigned type, uint64_t ts_us,
		      const void *key, size_t key_len, const void *val, size_t val_len)
{
	int rc = spool_append(s->spool, (uint8_t)type, ts_us, key, key_len, val, val_len);
	struct spool_stats ss;
	uint64_t now;

	if (rc == 0)
		s->st.spooled++;
	/* the spool counts what it lost: this record (drop-newest, a failed
	 * write) or older ones (drop-oldest) */
	spool_get_stats(s->spool, &ss);
	if (ss.dropped == s->dropped_seen)
		return;
	s->dropped_seen = ss.dropped;
	s->st.dropped = ss.dropped + s->refused;
	now = clock_mono_ns() / 1000u;
	/* loudly, but not a line per record */
	if (now - s->last_log_us > 1000000u || !s->last_log_us) {
		log_error("kafka %s: spool %s %s: record%s dropped (%" PRIu64 " dropped so "
			  "far, %" PRIu64 " bytes spooled, policy %s)", s->topic,
			  s->cfg.spool_dir, rc == 0 || rc == -ENOSPC ? "full" : strerror(-rc),
			  rc == 0 ? "s of the oldest segment" : "", ss.dropped, ss.bytes,
			  s->cfg.spool.full == SPOOL_DROP_OLDEST ? "drop-oldest" : "drop-newest");
		s->last_log_us = now;
	}
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;
	uint64_t opq = (uint64_t)(uintptr_t)m->_private;
	unsigned type = (unsigned)((opq >> OPQ_TYPE_SHIFT) & 0xf);
	uint64_t ts = opq & OPQ_TS_MASK;
	bool from_spool = opq & OPQ_SPOOL;

	(void)rk;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		s->st.delivered++;
		s->broker_down = false;
		s->acked = true;
		lat_add(s, ts);
		if (from_spool) {
			s->st.replayed++;
			s->batch_out--;
		}
		return;
	}
	s->st.failed++;
	if (from_spool) {
		/* still in the spool: the batch goes again */
		s->batch_failed = true;
		s->batch_out--;
		return;
	}
	spool_one(s, type, ts, m->key, m->key_len, m->payload, m->len);
	s->spooling = true;
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *s = opaque;
	char buf[512];

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (!s->broker_down)
			log_warn("kafka %s: all brokers down (%s): spooling to %s", s->topic,
				 reason, s->cfg.spool_dir);
		s->broker_down = true;
		s->purge = true;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, buf, sizeof(buf));
		log_error("kafka %s: fatal producer error: %s; spooling from now on",
			  s->topic, buf);
		s->fatal = true;
		s->purge = true;
		return;
	}
	log_info("kafka %s: %s", s->topic, reason);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		log_warn("librdkafka %s: %s", fac, buf);
	else if (level <= 5)
		log_info("librdkafka %s: %s", fac, buf);
}

/* librdkafka's queue back into the spool (DRs with purge errors). */
static void purge_to_spool(struct kafka_sink *s)
{
	s->purge = false;
	s->spooling = true;
	rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(s->rk, 0);
}

/* 0, or -1 when librdkafka's queue is full (the record is not taken). */
static int produce(struct kafka_sink *s, unsigned type, uint64_t ts, bool from_spool,
		   const char *key, size_t key_len, const char *val, size_t val_len)
{
	uint64_t opq = (ts & OPQ_TS_MASK) | ((uint64_t)type << OPQ_TYPE_SHIFT) |
		       (from_spool ? OPQ_SPOOL : 0);
	const char *tname = type < sizeof(rec_type_name) / sizeof(rec_type_name[0]) &&
			    rec_type_name[type] ? rec_type_name[type] : "unknown";
	rd_kafka_resp_err_t e;

	e = rd_kafka_producev(s->rk,
			      RD_KAFKA_V_RKT(s->rkt),
			      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			      RD_KAFKA_V_KEY(key_len ? key : NULL, key_len),
			      RD_KAFKA_V_VALUE((void *)val, val_len),
			      RD_KAFKA_V_HEADER("sensor-id", s->sensor_id, -1),
			      RD_KAFKA_V_HEADER("sensor-name", s->eve.sensor_name ?
						s->eve.sensor_name : "", -1),
			      RD_KAFKA_V_HEADER("event-type", tname, -1),
			      RD_KAFKA_V_OPAQUE((void *)(uintptr_t)opq),
			      RD_KAFKA_V_END);
	if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
		s->st.queue_full++;
		return -1;
	}
	if (e) {
		/* not retriable here (e.g. a message over message.max.bytes) */
		s->st.failed++;
		if (!from_spool)
			spool_one(s, type, ts, key, key_len, val, val_len);
		return -2;
	}
	s->st.produced++;
	return 0;
}

static void publish(struct kafka_sink *s, unsigned type, uint64_t ts,
		    const char *key, size_t key_len, const char *val, size_t val_len)
{
	if (s->purge)
		purge_to_spool(s);
	if (!s->spooling && !s->fatal) {
		int rc = produce(s, type, ts, false, key, key_len, val, val_len);

		if (rc != -1)
			return;
		/* queue full: this record and the ones after it wait on disk */
	}
	s->spooling = true;
	spool_one(s, type, ts, key, key_len, val, val_len);
}

/* One replay step: settle the finished batch, send the next. */
static void replay(struct kafka_sink *s)
{
	uint64_t now = clock_mono_ns() / 1000u;
	struct spool_rec r;

	if (!s->spooling || s->batch_out)
		return;
	if (s->batch_n) {
		if (s->batch_failed) {
			spool_rewind(s->spool);
			s->replay_after_us = now + REPLAY_PAUSE_US;
		} else {
			spool_commit(s->spool, s->batch_end);
		}
		s->batch_n = 0;
		s->batch_failed = false;
	}
	if (!spool_unread(s->spool) && !spool_pending(s->spool)) {
		/* drained; direct again unless the brokers are known down
		 * (then new records go on disk and replay finds out when the
		 * broker is back) */
		if (s->acked && !s->broker_down && !s->fatal)
			s->spooling = false;
		return;
	}
	if (now < s->replay_after_us || s->fatal)
		return;
	while (s->batch_n < REPLAY_BATCH) {
		struct spool_pos before = spool_tell(s->spool);
		int rc = spool_read(s->spool, &r, s->rbuf, SPOOL_REC_MAX);

		if (rc <= 0)
			break;
		rc = produce(s, r.type, r.ts_us, true, r.key, r.key_len, r.value, r.value_len);
		if (rc == -1) {
			/* queue full: this one is read again next batch */
			spool_seek(s->spool, before);
			break;
		}
		if (rc == -2) {
			/* refused for good (too large): counted as failed, skipped */
			s->refused++;
		} else {
			s->batch_out++;
		}
		s->batch_n++;
	}
	s->batch_end = spool_tell(s->spool);
}

void kafka_sink_poll(struct kafka_sink *s)
{
	rd_kafka_poll(s->rk, 0);
	if (s->purge)
		purge_to_spool(s);
	replay(s);
	spool_tick(s->spool, clock_mono_ns() / 1000000u);
}

/* ---- records --------------------------------------------------------------- */

void kafka_sink_event(struct kafka_sink *s, const struct event_record *ev,
		      const char *eve_line, size_t eve_len)
{
	unsigned bit, type;
	const struct event_record *out = ev;
	struct json_buf j;

	if (ev->type == EVENT_ALERT) {
		bit = KAFKA_T_ALERT;
		type = REC_ALERT;
	} else if (ev->type == EVENT_FLOW) {
		bit = KAFKA_T_FLOW;
		type = REC_FLOW;
	} else {
		return;
	}
	if (!(s->cfg.types & bit))
		return;
	if (s->cfg.privacy || !eve_line) {
		if (s->cfg.privacy) {
			memcpy(s->copy, ev, sizeof(*ev));
			privacy_apply(s->cfg.privacy, s->copy);
			out = s->copy;
		}
		json_init(&j, s->line, LINE_MAX_BYTES);
		if (eve_format_event(&j, &s->eve, out) < 0) {
			s->st.failed++;
			return;
		}
		eve_line = s->line;
		eve_len = j.len;
	}
	publish(s, type, ev->capture_us, ev->community_id,
		strnlen(ev->community_id, sizeof(ev->community_id)), eve_line, eve_len);
}

bool kafka_sink_wants_stats(const struct kafka_sink *s)
{
	return s->cfg.types & KAFKA_T_STATS;
}

void kafka_sink_stats_line(struct kafka_sink *s, const char *line, size_t len)
{
	if (s->cfg.types & KAFKA_T_STATS)
		publish(s, REC_STATS, 0, NULL, 0, line, len);
}

/* ---- life ------------------------------------------------------------------ */

struct kafka_sink *kafka_sink_create(const struct kafka_sink_config *sc,
				     const struct eve_ctx *eve, char *errbuf,
				     size_t errlen, bool *config_fault)
{
	struct kafka_sink *s = calloc(1, sizeof(*s));
	rd_kafka_conf_t *conf = NULL;
	char key[300], why[512];
	struct spool_config spc;

	*config_fault = false;
	if (!s)
		goto nomem;
	s->cfg = *sc;
	s->cfg.props = NULL;
	s->cfg.nprops = 0;
	s->topic = strdup(sc->topic);
	s->brokers = strdup(sc->brokers);
	s->line = malloc(LINE_MAX_BYTES);
	s->rbuf = malloc(SPOOL_REC_MAX);
	s->copy = malloc(sizeof(*s->copy));
	if (!s->topic || !s->brokers || !s->line || !s->rbuf || !s->copy)
		goto nomem;
	s->cfg.topic = s->topic;
	s->cfg.brokers = s->brokers;
	s->eve = *eve;
	if (s->cfg.privacy)
		privacy_eve_ctx(s->cfg.privacy, &s->eve);
	snprintf(s->sensor_id, sizeof(s->sensor_id), "%" PRIu32, eve->sensor_id);

	spc = sc->spool;
	spc.dir = s->cfg.spool_dir;
	s->spool = spool_open(&spc, errbuf, errlen);
	if (!s->spool)
		goto fail;
	if (spool_pending(s->spool)) {
		struct spool_stats ss;

		spool_get_stats(s->spool, &ss);
		log_notice("kafka %s: %" PRIu64 " records in %s from an earlier run: replaying "
			   "them first", s->topic, ss.pending, s->cfg.spool_dir);
	}
	/* Until a first acknowledgement shows the broker is there, records
	 * go through the spool: a broker down at start, then a SIGKILL,
	 * loses nothing that was only in librdkafka's memory. */
	s->spooling = true;

	conf = rd_kafka_conf_new();
	if (!conf)
		goto nomem;
	if (rd_kafka_conf_set(conf, "bootstrap.servers", sc->brokers, why, sizeof(why)) ||
	    apply_props(conf, sc, key, sizeof(key), why, sizeof(why)) < 0) {
		snprintf(errbuf, errlen, "%.300s: %.400s", key, why);
		*config_fault = true;
		goto fail;
	}
	rd_kafka_conf_set_opaque(conf, s);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
	if (!s->rk) {
		/* e.g. an unreadable ssl.ca.location */
		snprintf(errbuf, errlen, "outputs.kafka.%u.properties: %s", sc->index, why);
		*config_fault = true;
		goto fail;
	}
	conf = NULL;
	s->rkt = rd_kafka_topic_new(s->rk, s->topic, NULL);
	if (!s->rkt) {
		snprintf(errbuf, errlen, "outputs.kafka.%u.topic: %s", sc->index,
			 rd_kafka_err2str(rd_kafka_last_error()));
		*config_fault = true;
		goto fail;
	}
	return s;
nomem:
	snprintf(errbuf, errlen, "out of memory");
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	kafka_sink_destroy(s);
	return NULL;
}

void kafka_sink_close(struct kafka_sink *s)
{
	uint64_t deadline = clock_mono_ns() / 1000u + (uint64_t)s->cfg.flush_timeout_ms * 1000u;
	struct timespec ts = { 0, 1000000 };

	if (!s->rk)
		return;
	/* deliver what can be delivered, spool included, while time allows */
	while (clock_mono_ns() / 1000u < deadline && !s->fatal) {
		kafka_sink_poll(s);
		if (rd_kafka_outq_len(s->rk) == 0 && !s->spooling)
			break;
		if (s->spooling && !spool_pending(s->spool) && !s->batch_out)
			break;
		nanosleep(&ts, NULL);
	}
	/* the rest waits on disk for the next start */
	rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (int i = 0; i < 1000 && rd_kafka_outq_len(s->rk) > 0; i++) {
		rd_kafka_poll(s->rk, 1);
	}
	rd_kafka_poll(s->rk, 0);
	if (s->batch_n && !s->batch_failed && !s->batch_out)
		spool_commit(s->spool, s->batch_end);
	s->batch_n = 0;
	spool_sync(s->spool);
	if (spool_pending(s->spool))
		log_warn("kafka %s: %" PRIu64 " records left in %s for the next start",
			 s->topic, spool_pending(s->spool), s->cfg.spool_dir);
}

void kafka_sink_destroy(struct kafka_sink *s)
{
	if (!s)
		return;
	if (s->rkt)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk)
		rd_kafka_destroy(s->rk);
	spool_close(s->spool);
	free(s->topic);
	free(s->brokers);
	free(s->line);
	free(s->rbuf);
	free(s->copy);
	free(s);
}

void kafka_sink_get_stats(struct kafka_sink *s, struct kafka_sink_stats *out,
			  bool reset_latency)
{
	struct spool_stats ss;

	spool_get_stats(s->spool, &ss);
	s->st.spool_pending = ss.pending;
	s->st.spool_bytes = ss.bytes;
	s->st.spool_torn = ss.torn_records;
	s->st.broker_down = s->broker_down;
	s->st.dropped = ss.dropped + s->refused;
	s->st.latency_count = s->lat_count;
	s->st.latency_p50_us = s->lat_count ? lat_quantile(s, 0.50) : 0;
	s->st.latency_p99_us = s->lat_count ? lat_quantile(s, 0.99) : 0;
	s->st.latency_max_us = s->lat_max;
	*out = s->st;
	if (reset_latency) {
		memset(s->lat, 0, sizeof(s->lat));
		s->lat_count = s->lat_max = 0;
	}
}

const char *kafka_sink_topic(const struct kafka_sink *s)
{
	return s->topic;
}

int kafka_sink_conf_get(const struct kafka_sink *s, const char *name, char *buf, size_t len)
{
	size_t n = len;

	return rd_kafka_conf_get(rd_kafka_conf(s->rk), name, buf, &n) == RD_KAFKA_CONF_OK ? 0 : -1;
}
