/*
 * kafka: Kafka sinks (outputs.kafka). Each sink is one librdkafka producer
 * with its own topic, event types, privacy profile, properties and on-disk
 * spool. Only the output thread calls these functions (kafka_config_read
 * and kafka_sink_create run at startup); workers never touch librdkafka.
 *
 * Delivery: records go straight to librdkafka while the broker answers and
 * nothing is spooled; otherwise (all brokers down, a failed delivery, a full
 * producer queue, records left from an earlier run) they are appended to
 * the spool, which is replayed in order in bounded batches, each batch
 * acknowledged before the spool's head moves, until it is empty again.
 */
#ifndef MAMORI_KAFKA_H
#define MAMORI_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/config.h"
#include "mamori/eve.h"
#include "mamori/spool.h"
#include "mamori/stats.h"

/* Event types a sink carries (outputs.kafka.N.types). */
enum {
	KAFKA_T_ALERT = 1u << 0,
	KAFKA_T_ANOMALY = 1u << 1,
	KAFKA_T_STATS = 1u << 2,
	KAFKA_T_FLOW = 1u << 3,
};

struct privacy;  /* privacy.h */

struct kafka_sink_config {
	unsigned index;              /* N in outputs.kafka.N, for messages */
	const char *brokers;         /* strings point into the config tree */
	const char *topic;
	unsigned types;              /* KAFKA_T_* */
	const char *profile;         /* privacy profile name, NULL: none */
	const struct privacy *privacy;
	const char **props;          /* name, value, name, value, ... */
	unsigned nprops;
	char spool_dir[4096];
	struct spool_config spool;
	unsigned flush_timeout_ms;   /* at shutdown, before spooling the rest */
};

struct kafka_config {
	unsigned nsinks;
	struct kafka_sink_config sinks[KAFKA_MAX_SINKS];
};

/*
 * Read outputs.kafka from a validated config, or one sink from --kafka
 * BROKERS / --kafka-topic TOPIC (cli_brokers non-NULL: it replaces the
 * configured list). Checks broker lists, types and every librdkafka
 * property (on a throwaway librdkafka config, so -T catches a bad one).
 * Returns 0 or -1 with *err naming the key.
 */
int kafka_config_read(const struct config *c, const char *log_dir,
		      const char *cli_brokers, const char *cli_topic,
		      struct kafka_config *out, struct config_error *err);
void kafka_config_free(struct kafka_config *kc);
/* Load each sink's privacy profile (privacy-profiles.NAME). 0 or -1. */
int kafka_privacy_load(const struct config *c, struct kafka_config *kc,
		       struct config_error *err);
void kafka_privacy_free(struct kafka_config *kc);

/* Check one broker list: host:port[,host:port...], optionally with a
 * scheme (SSL://) and IPv6 hosts in brackets. Returns 0 or -1 with why. */
int kafka_check_brokers(const char *list, char *why, size_t len);

struct kafka_sink;

/* Create the producer and open the spool. eve: the sensor's EVE settings
 * (the sink copies them and applies its privacy profile). Returns NULL
 * with errbuf filled; *config_fault says whether the cause is the
 * configuration (exit 2) rather than the system. */
struct kafka_sink *kafka_sink_create(const struct kafka_sink_config *sc,
				     const struct eve_ctx *eve, char *errbuf,
				     size_t errlen, bool *config_fault);

/* Publish one record. eve_line: the record as eve.json has it (NULL when
 * eve.json did not format it); the sink formats its own when its privacy
 * profile changes the record. Records of types the sink does not carry are
 * ignored. */
void kafka_sink_event(struct kafka_sink *s, const struct event_record *ev,
		      const char *eve_line, size_t eve_len);
/* Whether the sink carries stats records. */
bool kafka_sink_wants_stats(const struct kafka_sink *s);
/* Publish a stats line (when the sink carries stats). */
void kafka_sink_stats_line(struct kafka_sink *s, const char *line, size_t len);

/* Serve delivery reports, replay the spool, fsync by policy. Never blocks. */
void kafka_sink_poll(struct kafka_sink *s);
/* Shutdown: deliver for up to flush_timeout_ms, then spool what is left. */
void kafka_sink_close(struct kafka_sink *s);
void kafka_sink_destroy(struct kafka_sink *s);

/* Counters; reset_latency starts a new latency interval. */
void kafka_sink_get_stats(struct kafka_sink *s, struct kafka_sink_stats *out,
			  bool reset_latency);
const char *kafka_sink_topic(const struct kafka_sink *s);
/* A librdkafka property as the producer holds it (tests). 0 or -1. */
int kafka_sink_conf_get(const struct kafka_sink *s, const char *name,
			char *buf, size_t len);

#endif
