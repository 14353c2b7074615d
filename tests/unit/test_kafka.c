/*
 * test_kafka: the Kafka sink's configuration side without a broker:
 * broker lists, outputs.kafka read from YAML (types, defaults, spool
 * settings, errors naming the key), and librdkafka properties (TLS and SASL
 * included) reaching the producer as written. A sink pointed at a port
 * nobody listens on must still be created at once: a broker down at start
 * never holds up the sensor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/clock.h"
#include "mamori/kafka.h"

static void test_brokers(void)
{
	char why[256];
	static const char *const good[] = {
		"k1:9092", "k1:9092,k2:9093", "127.0.0.1:1", "[::1]:9092",
		"SSL://kafka.example:9093", "a:1, b:2", NULL,
	};
	static const char *const bad[] = {
		"", "k1", "k1:", ":9092", "k1:0", "k1:65536", "k1:12x", "k1:9092,,k2:9092",
		"::1:9092", "[]:9092", "k1:9092,", NULL,
	};

	for (const char *const *g = good; *g; g++) {
		if (kafka_check_brokers(*g, why, sizeof(why)) != 0) {
			fprintf(stderr, "\n  refused '%s': %s\n", *g, why);
			CU_FAIL("good broker list refused");
		}
	}
	for (const char *const *b = bad; *b; b++) {
		why[0] = '\0';
		if (kafka_check_brokers(*b, why, sizeof(why)) == 0) {
			fprintf(stderr, "\n  accepted '%s'\n", *b);
			CU_FAIL("bad broker list accepted");
		}
		CU_ASSERT(why[0] != '\0');
	}
}

static struct config *load(const char *yaml)
{
	struct config *c = config_new_default();
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	if (config_load_string(c, yaml, "t.yaml", &e) < 0 || config_validate(c, &e) < 0) {
		fprintf(stderr, "\n  %s: %s\n", e.key, e.msg);
		CU_FAIL("config did not load");
	}
	return c;
}

static void test_config_read(void)
{
	struct config *c = load(
		"outputs:\n"
		"  kafka:\n"
		"    - brokers: \"k1:9092,k2:9092\"\n"
		"      topic: soc/alerts\n"
		"      types: [alert, stats, flow]\n"
		"      flush-timeout: 250\n"
		"      spool:\n"
		"        max-size: 8mb\n"
		"        fsync: always\n"
		"        full: drop-newest\n"
		"      properties:\n"
		"        linger.ms: 1\n"
		"    - brokers: \"k3:9092\"\n"
		"      topic: soc/alerts\n");
	struct kafka_config kc;
	struct config_error e;

	CU_ASSERT_EQUAL_FATAL(kafka_config_read(c, "/var/log/m", NULL, NULL, &kc, &e), 0);
	CU_ASSERT_EQUAL(kc.nsinks, 2);
	CU_ASSERT_STRING_EQUAL(kc.sinks[0].brokers, "k1:9092,k2:9092");
	CU_ASSERT_EQUAL(kc.sinks[0].types, KAFKA_T_ALERT | KAFKA_T_STATS | KAFKA_T_FLOW);
	CU_ASSERT_EQUAL(kc.sinks[0].flush_timeout_ms, 250);
	CU_ASSERT_EQUAL(kc.sinks[0].spool.max_bytes, 8u << 20);
	CU_ASSERT_EQUAL(kc.sinks[0].spool.fsync, SPOOL_FSYNC_ALWAYS);
	CU_ASSERT_EQUAL(kc.sinks[0].spool.full, SPOOL_DROP_NEWEST);
	CU_ASSERT_EQUAL(kc.sinks[0].nprops, 1);
	/* the topic's '/' cannot make a path: two sinks, two spools */
	CU_ASSERT_STRING_EQUAL(kc.sinks[0].spool_dir, "/var/log/m/kafka-spool/soc_alerts");
	CU_ASSERT_STRING_EQUAL(kc.sinks[1].spool_dir, "/var/log/m/kafka-spool/soc_alerts.1");
	/* defaults */
	CU_ASSERT_EQUAL(kc.sinks[1].types, KAFKA_T_ALERT);
	CU_ASSERT_EQUAL(kc.sinks[1].spool.max_bytes, 256u << 20);
	CU_ASSERT_EQUAL(kc.sinks[1].spool.fsync, SPOOL_FSYNC_INTERVAL);
	CU_ASSERT_EQUAL(kc.sinks[1].spool.full, SPOOL_DROP_OLDEST);
	CU_ASSERT_EQUAL(kc.sinks[1].flush_timeout_ms, 5000);
	kafka_config_free(&kc);

	/* --kafka replaces the list */
	CU_ASSERT_EQUAL(kafka_config_read(c, "/l", "b:1", NULL, &kc, &e), 0);
	CU_ASSERT_EQUAL(kc.nsinks, 1);
	CU_ASSERT_STRING_EQUAL(kc.sinks[0].topic, "mamori");
	CU_ASSERT_STRING_EQUAL(kc.sinks[0].brokers, "b:1");
	kafka_config_free(&kc);
	CU_ASSERT_EQUAL(kafka_config_read(c, "/l", "nope", "t", &kc, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "--kafka");
	config_free(c);
}

static void expect_error(const char *yaml, const char *key, const char *msg)
{
	struct config *c = load(yaml);
	struct kafka_config kc;
	struct config_error e;

	memset(&e, 0, sizeof(e));
	CU_ASSERT_EQUAL(kafka_config_read(c, "/l", NULL, NULL, &kc, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, key);
	if (!strstr(e.msg, msg)) {
		fprintf(stderr, "\n  %s: '%s' lacks '%s'\n", e.key, e.msg, msg);
		CU_FAIL("message");
	}
	CU_ASSERT_EQUAL(e.line > 0, true);
	config_free(c);
}

static void test_config_errors(void)
{
	expect_error("outputs:\n  kafka:\n    - topic: t\n", "outputs.kafka.0.brokers", "missing");
	expect_error("outputs:\n  kafka:\n    - brokers: a:1\n", "outputs.kafka.0.topic", "missing");
	expect_error("outputs:\n  kafka:\n    - brokers: a:1\n      topic: t\n"
		     "      properties:\n        bogus.prop: 1\n",
		     "outputs.kafka.0.properties.bogus.prop", "unknown librdkafka property");
	expect_error("outputs:\n  kafka:\n    - brokers: a:1\n      topic: t\n"
		     "      properties:\n        linger.ms: soon\n",
		     "outputs.kafka.0.properties.linger.ms", "Invalid value");
	expect_error("outputs:\n  kafka:\n    - brokers: a:1\n      topic: t\n"
		     "    - brokers: a\n      topic: t\n", "outputs.kafka.1.brokers", "host:port");
	expect_error("outputs:\n  kafka:\n    - brokers: a:1\n      topic: t\n"
		     "      types: [alert, pcap]\n", "outputs.kafka.0.types.1", "pcap");
}

static void test_properties_reach_librdkafka(void)
{
	static const char *props[] = {
		"security.protocol", "sasl_ssl",
		"sasl.mechanisms", "SCRAM-SHA-256",
		"sasl.username", "sensor-7",
		"sasl.password", "secret",
		"enable.ssl.certificate.verification", "false",
		"compression.type", "zstd",
	};
	struct kafka_sink_config sc;
	struct eve_ctx eve = { .sensor_name = "t", .sensor_id = 7 };
	struct kafka_sink *s;
	char err[512], v[256];
	bool fault;
	uint64_t t0;

	memset(&sc, 0, sizeof(sc));
	sc.brokers = "127.0.0.1:1";
	sc.topic = "t";
	sc.types = KAFKA_T_ALERT;
	sc.props = props;
	sc.nprops = sizeof(props) / sizeof(props[0]) / 2;
	snprintf(sc.spool_dir, sizeof(sc.spool_dir), "%s/sink", test_tmpdir());
	sc.spool.max_bytes = 1u << 20;
	sc.spool.fsync = SPOOL_FSYNC_NEVER;
	sc.flush_timeout_ms = 0;
	t0 = clock_mono_ns();
	s = kafka_sink_create(&sc, &eve, err, sizeof(err), &fault);
	if (!s)
		fprintf(stderr, "\n  %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* no broker there: creating the sink still takes no time */
	CU_ASSERT(clock_mono_ns() - t0 < 1000000000u);
#define HAS(k, want)                                                     \
	do {                                                             \
		CU_ASSERT_EQUAL(kafka_sink_conf_get(s, k, v, sizeof(v)), 0); \
		CU_ASSERT_STRING_EQUAL(v, want);                         \
	} while (0)
	HAS("security.protocol", "sasl_ssl");
	HAS("sasl.mechanisms", "SCRAM-SHA-256");
	HAS("sasl.username", "sensor-7");
	HAS("enable.ssl.certificate.verification", "false");
	HAS("compression.type", "zstd");     /* the sink's property wins */
	HAS("enable.idempotence", "true");   /* defaults */
	HAS("acks", "-1");
	HAS("linger.ms", "5");
#undef HAS
	kafka_sink_close(s);
	kafka_sink_destroy(s);
}

static const struct test_case kafka_cases[] = {
	{ "broker lists", test_brokers },
	{ "outputs.kafka read", test_config_read },
	{ "errors name the key", test_config_errors },
	{ "TLS/SASL properties reach librdkafka", test_properties_reach_librdkafka },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "kafka", NULL, NULL, kafka_cases },
	{ NULL, NULL, NULL, NULL }
};
