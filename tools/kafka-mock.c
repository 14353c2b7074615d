/*
 * mamori-kafka-mock: librdkafka's mock cluster (a real Kafka protocol
 * endpoint, rdkafka_mock.h) on a loopback port, for development and tests.
 *
 *   mamori-kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]...
 *
 * The first line on stdout is "bootstrap=HOST:PORT[,...]"; then it reads
 * commands from stdin, one per line, and answers each with "ok" or
 * "error: ..." so a test can wait for the command to have taken effect:
 *
 *   down N | up N                    broker N (1..brokers, -1 all) down/up
 *   err TOPIC|* APIKEY ERRCODE COUNT  the next COUNT requests of APIKEY
 *                                    (0 Produce, 3 Metadata, ...) fail
 *                                    with ERRCODE (librdkafka's numbering)
 *   clear APIKEY                     drop queued errors of APIKEY
 *   rtt N MS                         broker N answers MS later
 *   quit                             exit (so does end of input)
 *
 * The cluster lives inside this process: it stops when the process does.
 * TOPIC in `err` is accepted for readability; the mock queues request
 * errors per cluster, not per topic.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 64

static void usage(FILE *out)
{
	fprintf(out, "usage: mamori-kafka-mock [--brokers N] [--topic NAME[:PARTITIONS]]...\n"
		"stdin: down N | up N | err TOPIC|* APIKEY ERRCODE COUNT | clear APIKEY |\n"
		"       rtt N MS | quit\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void reply(rd_kafka_resp_err_t e)
{
	if (e)
		printf("error: %s\n", rd_kafka_err2str(e));
	else
		printf("ok\n");
	fflush(stdout);
}

static void command(rd_kafka_mock_cluster_t *mc, char *line, long nbrokers, int *quit)
{
	char *argv[6], *save = NULL;
	int argc = 0;
	long a, b, c;

	for (char *t = strtok_r(line, " \t\r\n", &save); t && argc < 6;
	     t = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = t;
	if (!argc)
		return;
	if (!strcmp(argv[0], "quit")) {
		*quit = 1;
		printf("ok\n");
	} else if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2 &&
		   parse_long(argv[1], -1, nbrokers, &a) == 0 && a != 0) {
		reply(argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mc, (int32_t)a)
					: rd_kafka_mock_broker_set_up(mc, (int32_t)a));
	} else if (!strcmp(argv[0], "err") && argc == 5 &&
		   parse_long(argv[2], 0, 32767, &a) == 0 &&
		   parse_long(argv[3], -200, 32767, &b) == 0 &&
		   parse_long(argv[4], 1, 100000, &c) == 0) {
		rd_kafka_resp_err_t *errs = calloc((size_t)c, sizeof(*errs));

		if (!errs) {
			printf("error: out of memory\n");
		} else {
			for (long i = 0; i < c; i++)
				errs[i] = (rd_kafka_resp_err_t)b;
			rd_kafka_mock_push_request_errors_array(mc, (int16_t)a, (size_t)c, errs);
			free(errs);
			printf("ok\n");
		}
	} else if (!strcmp(argv[0], "clear") && argc == 2 &&
		   parse_long(argv[1], 0, 32767, &a) == 0) {
		rd_kafka_mock_clear_request_errors(mc, (int16_t)a);
		printf("ok\n");
	} else if (!strcmp(argv[0], "rtt") && argc == 3 &&
		   parse_long(argv[1], -1, nbrokers, &a) == 0 && a != 0 &&
		   parse_long(argv[2], 0, 600000, &b) == 0) {
		reply(rd_kafka_mock_broker_set_rtt(mc, (int32_t)a, (int)b));
	} else {
		printf("error: bad command '%s' (down N | up N | err TOPIC APIKEY ERRCODE "
		       "COUNT | clear APIKEY | rtt N MS | quit)\n", argv[0]);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *topics[MAX_TOPICS];
	long parts[MAX_TOPICS], nbrokers = 1;
	int ntopics = 0, quit = 0;
	char errstr[512], line[1024];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--brokers") && i + 1 < argc) {
			if (parse_long(argv[++i], 1, 16, &nbrokers) < 0) {
				fprintf(stderr, "mamori-kafka-mock: --brokers takes 1..16\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--topic") && i + 1 < argc) {
			char *name = argv[++i], *colon = strrchr(name, ':');

			if (ntopics == MAX_TOPICS) {
				fprintf(stderr, "mamori-kafka-mock: at most %d topics\n", MAX_TOPICS);
				return 2;
			}
			parts[ntopics] = 1;
			if (colon) {
				*colon = '\0';
				if (parse_long(colon + 1, 1, 1000, &parts[ntopics]) < 0) {
					fprintf(stderr, "mamori-kafka-mock: --topic %s: partitions "
						"must be 1..1000\n", name);
					return 2;
				}
			}
			if (!*name) {
				fprintf(stderr, "mamori-kafka-mock: --topic needs a name\n");
				return 2;
			}
			topics[ntopics++] = name;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	/* a test that kills the reader of our answers must not kill us mid-write */
	signal(SIGPIPE, SIG_IGN);

	/* The cluster needs an rd_kafka_t for its bookkeeping; a producer that
	 * never produces does. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "mamori-kafka-mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, (int)nbrokers);
	if (!mc) {
		fprintf(stderr, "mamori-kafka-mock: cannot start the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (int i = 0; i < ntopics; i++) {
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i],
								   (int)parts[i],
								   (int)nbrokers);
		if (e) {
			fprintf(stderr, "mamori-kafka-mock: topic %s: %s\n", topics[i],
				rd_kafka_err2str(e));
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return 1;
		}
	}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (!quit && fgets(line, sizeof(line), stdin))
		command(mc, line, nbrokers, &quit);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
