/*
 * detect-bench: detection throughput of one worker core against the raw
 * Hyperscan ceiling of the same databases over the same payload bytes.
 *
 * It reads a capture into memory once and decodes every packet once into
 * an array, so what is timed is only what a worker does after decoding.
 * Then, in the calling thread, each pass over all packets R times:
 *
 *   ceiling  detect_packet_scan_only(): hs_scan of each payload with the
 *            database detect_packet() would pick and a callback that only
 *            counts (no candidates, no header check, no verification);
 *   flow     flow_packet() alone (with the worker's timeout sweep every
 *            64 packets), the share of the full path that is not detection;
 *   full     flow_packet() + detect_packet(), as a worker runs them.
 *
 * Every pass starts with an empty flow table (flushed after the previous
 * pass; untimed warm-up passes fault its memory in first, as a sensor's
 * steady state has it) and a fresh detection thread (made outside the
 * timed region), so each sees the capture as a sensor would and all passes
 * count the same alerts. Times
 * are thread CPU time (CLOCK_THREAD_CPUTIME_ID), so the rates are per
 * worker core even on a busy machine; the median pass is reported. Rates
 * are given over wire bytes (the frames, as a capture card counts) and
 * over payload bytes (what Hyperscan scans); the ratio full/ceiling is
 * the same for both.
 *
 * Output is one `key=value` per line (tools/bench.sh reads it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "mamori/clock.h"
#include "mamori/config.h"
#include "mamori/decode.h"
#include "mamori/detect.h"
#include "mamori/flow.h"
#include "mamori/log.h"
#include "mamori/rule.h"

#define PROG "detect-bench"
#define MAX_FILES 256
#define MAX_SETS 64
#define MAX_REPEAT 100
#define SWEEP_EVERY 64          /* packets between timeout sweeps (a batch) */
#define SWEEP_BUDGET 64

struct opts {
	const char *rules[MAX_FILES];
	int nrules;
	const char *sets[MAX_SETS];
	int nsets;
	const char *pcap;
	const char *config;
	const char *classification;
	unsigned repeat;
	int only;                       /* -1 all passes, else one mode (profiling) */
};

struct capture {
	uint8_t *data;                  /* every frame, back to back */
	size_t len, cap;
	struct packet *pkts;            /* decoded; data points into .data */
	size_t n, ncap;
	uint64_t frames;                /* read, decoded or not */
	uint64_t wire_bytes;            /* of the decoded packets */
	uint64_t payload_bytes;         /* of the decoded packets */
	uint64_t payload_pkts;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " -S RULES [-S RULES...] -r CAPTURE [options]\n"
"Time detection on one core against the raw Hyperscan scan of the same\n"
"databases over the same payloads.\n"
"\n"
"  -S FILE               rules file (repeatable)\n"
"  -r FILE               capture (pcap or pcapng), read into memory once\n"
"  -c FILE               configuration (default: the built-in one)\n"
"      --set KEY=VALUE   override a configuration key (repeatable)\n"
"      --classification FILE  classification.config (default: none, any\n"
"                        classtype is accepted)\n"
"      --repeat N        timed passes of each kind (default 3; median shown)\n"
"      --only KIND       time only ceiling, flow or full passes (for a\n"
"                        profiler; the other kinds print 0)\n"
"  -h, --help            this text\n");
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_SET = 256, O_REPEAT, O_CLASS, O_ONLY };
	static const struct option longopts[] = {
		{ "set", required_argument, NULL, O_SET },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "classification", required_argument, NULL, O_CLASS },
		{ "only", required_argument, NULL, O_ONLY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->repeat = 3;
	o->only = -1;
	while ((c = getopt_long(argc, argv, "S:r:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'S':
			if (o->nrules == MAX_FILES)
				die("-S: at most %d files", MAX_FILES);
			o->rules[o->nrules++] = optarg;
			break;
		case 'r': o->pcap = optarg; break;
		case 'c': o->config = optarg; break;
		case O_CLASS: o->classification = optarg; break;
		case O_SET:
			if (o->nsets == MAX_SETS)
				die("--set: at most %d", MAX_SETS);
			o->sets[o->nsets++] = optarg;
			break;
		case O_REPEAT: {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || v < 1 || v > MAX_REPEAT)
				die("--repeat: expected 1..%d, got '%s'", MAX_REPEAT, optarg);
			o->repeat = (unsigned)v;
			break;
		}
		case O_ONLY:
			if (!strcmp(optarg, "ceiling"))
				o->only = 0;
			else if (!strcmp(optarg, "flow"))
				o->only = 1;
			else if (!strcmp(optarg, "full"))
				o->only = 2;
			else
				die("--only: expected ceiling, flow or full, got '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!o->nrules || !o->pcap) {
		usage(stderr);
		exit(2);
	}
}

static struct config *load_config(const struct opts *o, struct mamori_config *rc)
{
	struct config_error err;
	struct config *cfg = config_new_default();
	char buf[1024];

	memset(&err, 0, sizeof(err));
	if (!cfg)
		die("cannot set up the default configuration");
	if (o->config && config_load_file(cfg, o->config, &err) < 0)
		goto bad;
	for (int i = 0; i < o->nsets; i++)
		if (config_set(cfg, o->sets[i], &err) < 0)
			goto bad;
	if (config_validate(cfg, &err) < 0 || config_apply(cfg, rc, &err) < 0)
		goto bad;
	return cfg;
bad:
	config_error_format(&err, buf, sizeof(buf));
	die("config: %s", buf);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set now, in bytes (/proc/self/statm), 0 when unknown. */
static uint64_t rss_now(void)
{
	unsigned long size, res;
	FILE *f = fopen("/proc/self/statm", "r");
	int k;

	if (!f)
		return 0;
	k = fscanf(f, "%lu %lu", &size, &res);
	fclose(f);
	return k == 2 ? (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 1024;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	p = realloc(p, c * elem);
	if (!p)
		die("out of memory (%zu x %zu bytes)", c, elem);
	*cap = c;
	return p;
}

static void read_capture(const char *path, const struct decode_config *dcfg, struct capture *cap)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct decode_stats ds;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	size_t keep = 0;
	int rc, lt;

	if (!pc)
		die("%s: %s", path, errbuf);
	lt = pcap_datalink(pc);
	if (!decode_linktype_supported(lt))
		die("%s: link type %d is not decoded", path, lt);
	/* offsets first (in .data): the buffer moves while it grows */
	memset(&ds, 0, sizeof(ds));
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		struct packet *p;

		cap->frames++;
		cap->data = grow(cap->data, &cap->cap, cap->len + h->caplen, 1);
		memcpy(cap->data + cap->len, d, h->caplen);
		cap->pkts = grow(cap->pkts, &cap->ncap, cap->n + 1, sizeof(*cap->pkts));
		p = &cap->pkts[cap->n];
		memset(p, 0, sizeof(*p));
		p->data = (const uint8_t *)(uintptr_t)cap->len;
		p->caplen = h->caplen;
		p->wirelen = h->len;
		p->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		p->linktype = (uint16_t)lt;
		cap->len += h->caplen;
		cap->n++;
	}
	if (rc == -1)
		die("%s: %s", path, pcap_geterr(pc));
	pcap_close(pc);
	/* decode in place now that the buffer is final; keep the IP packets */
	for (size_t i = 0; i < cap->n; i++) {
		struct packet q = cap->pkts[i];

		q.data = cap->data + (uintptr_t)q.data;
		if (decode_packet(dcfg, &q, &ds) < 0)
			continue;
		cap->wire_bytes += q.wirelen;
		if (q.payload_off && q.payload_len) {
			cap->payload_bytes += q.payload_len;
			cap->payload_pkts++;
		}
		cap->pkts[keep++] = q;
	}
	cap->n = keep;
	if (!cap->n)
		die("%s: no IP packet decoded", path);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct pass {
	uint64_t alerts, candidates, checked, inspected, matches;
};

/* One timed pass; returns its CPU seconds. mode 0 ceiling, 1 flow, 2 full.
 * ft is flushed after the pass, so the next one starts empty but on flow
 * memory the warm-up pass already faulted in, as in a sensor's steady
 * state. */
static double run_pass(int mode, const struct capture *cap, const struct detect_engine *e,
		       struct flow_table *ft, struct pass *out)
{
	struct detect_thread *t = detect_thread_new(e, NULL);
	uint64_t now = 0, matches = 0;
	double t0, t1;

	if (!t)
		die("out of memory for a detection thread");
	t0 = cpu_s();
	for (size_t i = 0; i < cap->n; i++) {
		const struct packet *p = &cap->pkts[i];
		enum flow_dir dir;
		struct flow *f;

		if (mode == 0) {
			matches += detect_packet_scan_only(t, p);
			continue;
		}
		if (p->ts_us > now)
			now = p->ts_us;
		f = flow_packet(ft, p, &dir);
		if (mode == 2)
			detect_packet(t, p, f, dir, NULL, NULL);
		if ((i + 1) % SWEEP_EVERY == 0)
			flow_sweep(ft, now, SWEEP_BUDGET);
	}
	t1 = cpu_s();
	if (mode)
		flow_table_flush(ft);
	memset(out, 0, sizeof(*out));
	out->alerts = detect_thread_stats(t)->alerts;
	out->candidates = detect_thread_stats(t)->candidates;
	out->checked = detect_thread_stats(t)->checked;
	out->inspected = detect_thread_stats(t)->packets;
	out->matches = matches;
	if (detect_thread_stats(t)->scan_errors)
		die("hs_scan failed %" PRIu64 " times", detect_thread_stats(t)->scan_errors);
	detect_thread_free(t);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct mamori_config rc;
	struct config *cfg;
	struct capture cap;
	struct ruleset *rs;
	struct detect_engine *e;
	struct detect_engine_stats es;
	struct pass ps[3];
	struct flow_config fc;
	struct flow_table *ft;
	struct rusage ru;
	double secs[3][MAX_REPEAT], med[3];
	char err[512];
	uint64_t t0, t1, t2, rss0, rss1, max_flows;

	parse_args(&o, argc, argv);
	mamori_log_level = LOG_LVL_WARN;
	memset(&rc, 0, sizeof(rc));
	memset(&cap, 0, sizeof(cap));
	cfg = load_config(&o, &rc);

	read_capture(o.pcap, &rc.decode, &cap);

	rss0 = rss_now();
	t0 = clock_mono_ns();
	rs = ruleset_new(cfg, o.classification);
	if (!rs)
		die("cannot set up the ruleset: %s", strerror(errno));
	for (int i = 0; i < o.nrules; i++) {
		int rc2 = ruleset_load_file(rs, o.rules[i]);
		if (rc2 < 0)
			die("%s: %s", o.rules[i], strerror(-rc2));
	}
	t1 = clock_mono_ns();
	{
		struct detect_engine_config dc = { .hs_cache_dir = rc.hs_cache_dir };

		e = detect_engine_build(rs, &dc, err, sizeof(err));
	}
	if (!e)
		die("cannot build the detection engine: %s", err);
	t2 = clock_mono_ns();
	rss1 = rss_now();
	detect_engine_info(e, &es);

	/* the flow table of one worker, as the sensor sizes it */
	max_flows = rc.flow_memcap / (sizeof(struct flow) + sizeof(void *));
	if (max_flows < 1024)
		max_flows = 1024;
	if (max_flows > UINT32_MAX / 2)
		max_flows = UINT32_MAX / 2;
	fc = rc.flow;
	fc.max_flows = (uint32_t)max_flows;
	fc.hash_size = rc.flow_hash_size;
	fc.run_seed = 1;
	ft = flow_table_create(&fc, NULL, NULL);
	if (!ft)
		die("out of memory for %" PRIu64 " flows (flow.memcap)", max_flows);

	/* untimed warm-up passes: caches, page tables, flow memory */
	run_pass(0, &cap, e, ft, &ps[0]);
	run_pass(2, &cap, e, ft, &ps[2]);
	memset(secs, 0, sizeof(secs));
	memset(ps, 0, sizeof(ps));
	for (unsigned r = 0; r < o.repeat; r++)
		for (int m = 0; m < 3; m++)
			if (o.only < 0 || o.only == m)
				secs[m][r] = run_pass(m, &cap, e, ft, &ps[m]);
	for (int m = 0; m < 3; m++)
		med[m] = median(secs[m], o.repeat);
	getrusage(RUSAGE_SELF, &ru);

	printf("capture=%s\n", o.pcap);
	printf("frames=%" PRIu64 "\n", cap.frames);
	printf("packets=%zu\n", cap.n);
	printf("payload_packets=%" PRIu64 "\n", cap.payload_pkts);
	printf("wire_bytes=%" PRIu64 "\n", cap.wire_bytes);
	printf("payload_bytes=%" PRIu64 "\n", cap.payload_bytes);
	printf("rules_loaded=%zu\n", ruleset_count(rs));
	printf("rules_failed=%zu\n", ruleset_failed(rs));
	printf("rules_active=%" PRIu64 "\n", es.rules_active);
	printf("rules_prefiltered=%" PRIu64 "\n", es.rules_prefiltered);
	printf("rules_skipped_app_layer=%" PRIu64 "\n", es.rules_skipped_app_layer);
	printf("rules_skipped_unsupported=%" PRIu64 "\n", es.rules_skipped_unsupported);
	printf("parse_ms=%.1f\n", (double)(t1 - t0) / 1e6);
	printf("build_ms=%.1f\n", (double)(t2 - t1) / 1e6);
	printf("engine_rss_mib=%.1f\n", rss1 >= rss0 ? (double)(rss1 - rss0) / 1048576.0 : 0.0);
	printf("repeat=%u\n", o.repeat);
	static const char *const name[3] = { "ceiling", "flow", "full" };
	for (int m = 0; m < 3; m++) {
		double s = med[m] > 0 ? med[m] : 1e-9;

		printf("%s_cpu_s=%.4f\n", name[m], med[m]);
		printf("%s_mpps=%.3f\n", name[m], (double)cap.n / s / 1e6);
		printf("%s_gbps_wire=%.3f\n", name[m], (double)cap.wire_bytes * 8 / s / 1e9);
		printf("%s_gbps_payload=%.3f\n", name[m], (double)cap.payload_bytes * 8 / s / 1e9);
	}
	printf("ratio=%.3f\n", med[2] > 0 ? med[0] / med[2] : 0.0);
	/* detection alone: the full path less the flow path */
	printf("detect_cpu_s=%.4f\n", med[2] - med[1]);
	printf("hs_matches=%" PRIu64 "\n", ps[0].matches);
	printf("alerts=%" PRIu64 "\n", ps[2].alerts);
	printf("inspected=%" PRIu64 "\n", ps[2].inspected);
	printf("candidates_per_packet=%.3f\n",
	       ps[2].inspected ? (double)ps[2].candidates / (double)ps[2].inspected : 0.0);
	printf("checked_per_packet=%.3f\n",
	       ps[2].inspected ? (double)ps[2].checked / (double)ps[2].inspected : 0.0);
	printf("peak_rss_mib=%.1f\n", (double)ru.ru_maxrss / 1024.0);

	flow_table_destroy(ft);
	detect_engine_free(e);
	ruleset_free(rs);
	config_free(cfg);
	free(cap.pkts);
	free(cap.data);
	return 0;
}
