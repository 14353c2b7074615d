/*
 * main: the command line (Suricata's flags where they exist), the
 * configuration, and the life of a run: open the capture, start the output
 * thread and one thread per worker, run the capture/dispatch loop in the
 * main thread (with DPDK and a queue per worker: the workers poll their
 * queues on their EAL lcores and the main thread only watches) until end
 * of file, --exit-idle or SIGINT/SIGTERM, then drain:
 * workers finish their queues and end their flows, the output thread
 * writes what remains and a final stats record.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 bad usage, config or rules.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mamori/anomaly.h"
#include "mamori/capture.h"
#include "mamori/clock.h"
#include "mamori/config.h"
#include "mamori/detect.h"
#include "mamori/dispatch.h"
#include "mamori/fwd.h"
#include "mamori/kafka.h"
#include "mamori/log.h"
#include "mamori/output.h"
#include "mamori/privacy.h"
#include "mamori/reload.h"
#include "mamori/rule.h"
#include "mamori/worker.h"

#define EXIT_USAGE 2

static volatile int stop_requested;
static struct dispatch *signal_dispatch;
static struct reloader *signal_reloader;

/* SIGHUP, SIGUSR2: reload the rules (a write to the reloader's pipe) */
static void on_reload_signal(int sig)
{
	int saved = errno;

	(void)sig;
	reloader_request(signal_reloader);
	errno = saved;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (signal_dispatch && signal_dispatch->cap)
		signal_dispatch->ops->interrupt(signal_dispatch->cap);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: mamori -r FILE [options]       read a pcap/pcapng file and exit\n"
"       mamori -i IFACE [options]      capture live through libpcap\n"
"       mamori --dpdk [options] [-- EAL_ARGS...]\n"
"                                      capture through DPDK (dpdk.* in the config)\n"
"       mamori -T [options]            check the configuration and exit\n"
"       mamori --dump-config [options] print the effective configuration\n"
"\n"
"options:\n"
"  -c FILE             YAML configuration (a built-in default serves when absent)\n"
"  -l DIR              log directory for eve.json (default-log-dir)\n"
"  -S FILE             signature rules (repeatable; with -T: check them)\n"
"  -f FILTER           BPF filter (pcap.bpf-filter)\n"
"  -k none|all         checksum validation (capture.checksum-validation)\n"
"  --set KEY=VALUE     override any configuration key (repeatable)\n"
"  --workers N         worker threads (threading.workers; 0 = cores - 1)\n"
"  --exit-idle SECS    live or DPDK capture: stop after SECS without packets\n"
"  --kafka BROKERS     publish alerts to Kafka (host:port,...), replacing outputs.kafka\n"
"  --kafka-topic NAME  the topic for --kafka (default mamori)\n"
"  --dpdk              capture through DPDK; arguments after -- go to the EAL\n"
"                      (they replace dpdk.eal-args); see doc/dpdk.md\n"
"  -q                  quiet: no summary, no console alerts\n"
"  -v                  more log output (repeatable)\n"
"  -V, --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"exit status: 0 ok, 1 runtime failure, 2 bad usage, configuration or rules\n"
"see mamori(8)\n");
}

struct cli {
	const char *pcap_file;
	const char *iface;
	const char *config_file;
	const char *log_dir;
	const char *bpf;
	const char *checksum;
	const char *workers;
	const char *kafka_brokers;
	const char *kafka_topic;
	unsigned exit_idle;
	bool dpdk;
	char **eal_args;          /* after --, NULL when none */
	int neal_args;
	bool test_mode;
	bool dump_config;
	bool quiet;
	const char **sets;
	int nsets;
	const char **rules;
	int nrules;
};

enum { OPT_SET = 256, OPT_WORKERS, OPT_EXIT_IDLE, OPT_DUMP_CONFIG, OPT_DPDK, OPT_KAFKA,
       OPT_KAFKA_TOPIC };

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || *s == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
		{ "set", required_argument, NULL, OPT_SET },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "exit-idle", required_argument, NULL, OPT_EXIT_IDLE },
		{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
		{ "dpdk", no_argument, NULL, OPT_DPDK },
		{ "kafka", required_argument, NULL, OPT_KAFKA },
		{ "kafka-topic", required_argument, NULL, OPT_KAFKA_TOPIC },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i;

	/* everything after the first -- is for the EAL (with --dpdk) */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			cli->eal_args = argv + i + 1;
			cli->neal_args = argc - i - 1;
			argc = i;
			break;
		}
	}
	cli->sets = calloc((size_t)argc, sizeof(*cli->sets));
	cli->rules = calloc((size_t)argc, sizeof(*cli->rules));
	if (!cli->sets || !cli->rules)
		return -1;
	while ((c = getopt_long(argc, argv, "r:i:c:l:S:f:k:TqvVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': cli->pcap_file = optarg; break;
		case 'i': cli->iface = optarg; break;
		case 'c': cli->config_file = optarg; break;
		case 'l': cli->log_dir = optarg; break;
		case 'f': cli->bpf = optarg; break;
		case 'k':
			if (strcmp(optarg, "none") && strcmp(optarg, "all")) {
				fprintf(stderr, "mamori: -k takes none or all, not '%s'\n", optarg);
				return -1;
			}
			cli->checksum = optarg;
			break;
		case 'S': cli->rules[cli->nrules++] = optarg; break;
		case 'T': cli->test_mode = true; break;
		case 'q': cli->quiet = true; break;
		case 'v': mamori_log_level++; break;
		case 'V':
			printf("mamori %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_SET: cli->sets[cli->nsets++] = optarg; break;
		case OPT_WORKERS:
			cli->workers = optarg;
			break;
		case OPT_EXIT_IDLE:
			if (parse_uint(optarg, 86400 * 365, &cli->exit_idle) < 0) {
				fprintf(stderr, "mamori: --exit-idle takes seconds, not '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_DUMP_CONFIG: cli->dump_config = true; break;
		case OPT_KAFKA: cli->kafka_brokers = optarg; break;
		case OPT_KAFKA_TOPIC:
			if (!*optarg) {
				fprintf(stderr, "mamori: --kafka-topic needs a name\n");
				return -1;
			}
			cli->kafka_topic = optarg;
			break;
		case OPT_DPDK:
#ifdef HAVE_DPDK
			cli->dpdk = true;
			break;
#else
			fprintf(stderr, "mamori: --dpdk: this build has no DPDK support; "
				"install libdpdk-dev and rebuild with ../configure "
				"--enable-dpdk, or capture with -i IFACE (libpcap)\n");
			return -1;
#endif
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mamori: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if ((cli->pcap_file != NULL) + (cli->iface != NULL) + cli->dpdk > 1) {
		fprintf(stderr, "mamori: give one of -r, -i and --dpdk\n");
		return -1;
	}
	if (cli->eal_args && !cli->dpdk) {
		fprintf(stderr, "mamori: arguments after -- are EAL arguments: "
			"only with --dpdk\n");
		return -1;
	}
	if (cli->kafka_topic && !cli->kafka_brokers) {
		fprintf(stderr, "mamori: --kafka-topic needs --kafka BROKERS\n");
		return -1;
	}
	return 0;
}

static int config_error_exit(const struct config_error *e)
{
	char msg[1024];
	config_error_format(e, msg, sizeof(msg));
	fprintf(stderr, "mamori: config: %s\n", msg);
	return EXIT_USAGE;
}

/* Command-line options are --set assignments of their config keys, so
 * validation and error messages treat both the same way. */
static int cli_set(struct config *cfg, const char *key, const char *value,
		   struct config_error *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s=%s", key, value);
	return config_set(cfg, buf, err);
}

static int build_config(const struct cli *cli, struct config **out,
			struct mamori_config *rc, struct kafka_config *kc)
{
	struct config_error err;
	struct config *cfg = config_new_default();
	int i;

	memset(&err, 0, sizeof(err));
	if (!cfg) {
		/* config_new_default() has logged why (memory, or a broken
		 * built-in default) */
		return 1;
	}
	if (cli->config_file && config_load_file(cfg, cli->config_file, &err) < 0)
		goto bad;
	for (i = 0; i < cli->nsets; i++)
		if (config_set(cfg, cli->sets[i], &err) < 0)
			goto bad;
	if ((cli->log_dir && cli_set(cfg, "default-log-dir", cli->log_dir, &err) < 0) ||
	    (cli->bpf && cli_set(cfg, "pcap.bpf-filter", cli->bpf, &err) < 0) ||
	    (cli->iface && cli_set(cfg, "pcap.interface", cli->iface, &err) < 0) ||
	    (cli->checksum && cli_set(cfg, "capture.checksum-validation", cli->checksum, &err) < 0) ||
	    (cli->workers && cli_set(cfg, "threading.workers", cli->workers, &err) < 0))
		goto bad;
	if (config_validate(cfg, &err) < 0 || config_apply(cfg, rc, &err) < 0 ||
	    kafka_config_read(cfg, rc->log_dir, cli->kafka_brokers, cli->kafka_topic, kc,
			      &err) < 0 ||
	    kafka_privacy_load(cfg, kc, &err) < 0)
		goto bad;
	*out = cfg;
	return 0;
bad:
	config_free(cfg);
	return config_error_exit(&err);
}

struct run {
	struct worker *workers;
	unsigned nworkers;
	struct dispatch disp;
	uint64_t start_us;
	struct reloader *reloader;      /* NULL: no rules */
	struct anomaly *anomaly;        /* NULL: anomaly.enabled off */
	struct fwd_hub *fwd;            /* NULL: one worker */
};

static void collect_stats(void *arg, struct stats_snapshot *s)
{
	struct run *r = arg;

	memset(s, 0, sizeof(*s));
	s->ts_us = clock_wall_us();
	s->uptime_s = (s->ts_us - r->start_us) / 1000000u;
	s->workers = r->nworkers;
	STATS_COPY(&s->capture, &r->disp.cap_stats);
	STATS_COPY(&s->dispatch, &r->disp.stats);
	for (unsigned i = 0; i < r->nworkers; i++)
		worker_collect(&r->workers[i], s);
	if (r->anomaly) {
		s->has_anomaly = true;
		anomaly_get_stats(r->anomaly, &s->anomaly);
	}
	if (r->reloader) {
		s->detect.has_ruleset = true;
		reloader_info(r->reloader, &s->detect.ruleset);
	}
}

static unsigned default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n > DISPATCH_MAX_WORKERS + 1)
		n = DISPATCH_MAX_WORKERS + 1;
	return n > 1 ? (unsigned)(n - 1) : 1;
}

static int make_log_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static void print_summary(const struct run *r, const struct stats_snapshot *s,
			  const struct output_stats *os, const char *eve_path,
			  double secs)
{
	fprintf(stderr,
		"mamori: %llu packets, %llu bytes in %.2f s; decoded ipv4 %llu ipv6 %llu "
		"tcp %llu udp %llu icmp %llu; invalid %llu\n",
		(unsigned long long)s->decoder.pkts, (unsigned long long)s->decoder.bytes,
		secs, (unsigned long long)s->decoder.ipv4, (unsigned long long)s->decoder.ipv6,
		(unsigned long long)s->decoder.tcp, (unsigned long long)s->decoder.udp,
		(unsigned long long)(s->decoder.icmpv4 + s->decoder.icmpv6),
		(unsigned long long)s->decoder.invalid);
	fprintf(stderr,
		"mamori: flows %llu (tcp %llu udp %llu), timed out %llu, evicted %llu; "
		"alerts %llu; drops: capture %llu dispatch %llu events %llu\n",
		(unsigned long long)s->flow.total, (unsigned long long)s->flow.tcp,
		(unsigned long long)s->flow.udp, (unsigned long long)s->flow.timeout,
		(unsigned long long)s->flow.evicted, (unsigned long long)s->detect.alert,
		(unsigned long long)(s->capture.kernel_drops + s->capture.kernel_ifdrops +
				     s->capture.imissed + s->capture.rx_nombuf),
		(unsigned long long)s->dispatch.ring_full,
		(unsigned long long)s->output.ring_drops);
	if (s->has_anomaly)
		fprintf(stderr,
			"mamori: anomaly: %llu events, %llu alerts, %llu sources, %llu victims, "
			"%llu evicted, %llu refused, %llu event drops, %llu MiB\n",
			(unsigned long long)s->anomaly.events, (unsigned long long)s->anomaly.alerts,
			(unsigned long long)s->anomaly.sources, (unsigned long long)s->anomaly.victims,
			(unsigned long long)s->anomaly.evictions,
			(unsigned long long)s->anomaly.rejected,
			(unsigned long long)s->anomaly.ring_drops,
			(unsigned long long)(s->anomaly.memory >> 20));
	for (unsigned i = 0; i < r->nworkers; i++) {
		const struct worker *w = &r->workers[i];
		fprintf(stderr, "mamori: worker %u: cpu_s=%.3f busy_s=%.3f pkts=%llu bytes=%llu\n",
			i, w->ctr.cpu_ns / 1e9, w->ctr.busy_ns / 1e9,
			(unsigned long long)w->dstats.pkts,
			(unsigned long long)w->dstats.bytes);
	}
	if (eve_path)
		fprintf(stderr, "mamori: %llu events written to %s\n",
			(unsigned long long)os->events_written, eve_path);
}

/* A per-run value for flow_id scrambling: runs on one sensor number
 * their flows differently, so ids from two runs do not collide in a SIEM. */
static uint64_t run_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 16);
}

/* A rule file name from the config is relative to default-rule-path. */
static void rule_file_path(const struct mamori_config *rc, const char *name,
			   char *buf, size_t len)
{
	if (name[0] == '/' || !rc->rule_path || !*rc->rule_path)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s/%s", rc->rule_path, name);
}

/*
 * Load the rules of -S and rule-files. Every error is reported as
 * FILE:LINE:COL: keyword: reason, then "N rules loaded, M rules failed".
 * Returns the ruleset (NULL when no rules were asked for) or sets *status
 * (2 when a file is unreadable, or under -T when a rule failed).
 */
static struct ruleset *load_rules(const struct cli *cli, const struct config *cfg,
				  const struct mamori_config *rc, const struct ruleset *prev,
				  int *status)
{
	char path[PATH_MAX], cls[PATH_MAX];
	const char *name, *value;
	struct ruleset *rs;
	int nfiles = config_count(cfg, "rule-files"), i, err;
	size_t n;

	*status = 0;
	if (cli->nrules == 0 && nfiles == 0)
		return NULL;
	if (rc->classification_file && *rc->classification_file)
		snprintf(cls, sizeof(cls), "%s", rc->classification_file);
	else
		rule_file_path(rc, "classification.config", cls, sizeof(cls));
	if (access(cls, R_OK) != 0) {
		if (rc->classification_file && *rc->classification_file) {
			fprintf(stderr, "mamori: config: classification-file: %s: %s\n",
				cls, strerror(errno));
			*status = EXIT_USAGE;
			return NULL;
		}
		log_warn("no %s: classtypes get no description, severity 3", cls);
		cls[0] = '\0';
	}
	rs = ruleset_new(cfg, cls[0] ? cls : NULL);
	if (!rs || (prev && ruleset_inherit_bits(rs, prev) < 0)) {
		fprintf(stderr, "mamori: cannot set up the ruleset: %s\n", strerror(ENOMEM));
		ruleset_free(rs);
		*status = 1;
		return NULL;
	}
	for (i = 0; i < nfiles + cli->nrules && *status == 0; i++) {
		if (i < nfiles) {
			if (config_child(cfg, "rule-files", i, &name, &value) < 0 || !value)
				continue;
			rule_file_path(rc, value, path, sizeof(path));
		} else {
			snprintf(path, sizeof(path), "%s", cli->rules[i - nfiles]);
		}
		err = ruleset_load_file(rs, path);
		if (err < 0) {
			fprintf(stderr, "mamori: %s: %s\n", path, strerror(-err));
			*status = err == -ENOMEM ? 1 : EXIT_USAGE;
		}
	}
	for (n = 0; n < ruleset_error_count(rs); n++)
		fprintf(stderr, "%s\n", ruleset_error(rs, n)->message);
	if (cli->test_mode || mamori_log_level >= LOG_LVL_INFO)
		for (n = 0; n < ruleset_warning_count(rs); n++)
			fprintf(stderr, "warning: %s\n", ruleset_warning(rs, n)->message);
	if (ruleset_unsupported_count(rs)) {
		/* coverage at a glance for rule authors */
		fprintf(stderr, "unsupported keywords (rules):");
		for (n = 0; n < ruleset_unsupported_count(rs); n++) {
			size_t nr = 0;
			const char *kw;
			if (ruleset_unsupported(rs, n, &kw, &nr) == 0)
				fprintf(stderr, " %s (%zu)", kw, nr);
		}
		fprintf(stderr, "\n");
	}
	if (ruleset_disabled(rs) || ruleset_app_layer(rs))
		fprintf(stderr, "%zu rules commented out; %zu loaded rules need the "
			"application layer\n", ruleset_disabled(rs), ruleset_app_layer(rs));
	if (prev)
		log_notice("%zu rules loaded, %zu rules failed", ruleset_count(rs),
			   ruleset_failed(rs));
	else
		printf("%zu rules loaded, %zu rules failed\n", ruleset_count(rs),
		       ruleset_failed(rs));
	fflush(stdout);
	if (cli->test_mode && ruleset_failed(rs) > 0 && *status == 0)
		*status = EXIT_USAGE;
	return rs;
}

/* What a reload needs to load the rules as at startup. The configuration is
 * not read again: rule files (-S, rule-files) are. */
struct reload_arg {
	const struct cli *cli;
	const struct config *cfg;
	const struct mamori_config *rc;
};

static struct ruleset *reload_rules(void *arg, const struct ruleset *prev, char *err,
				    size_t errlen)
{
	struct reload_arg *ra = arg;
	int status = 0;
	struct ruleset *rs = load_rules(ra->cli, ra->cfg, ra->rc, prev, &status);

	if (status && rs) {
		/* an unreadable rule file */
		snprintf(err, errlen, "a rule file could not be read (see above)");
		ruleset_free(rs);
		return NULL;
	}
	if (!rs)
		snprintf(err, errlen, "no rules (see above)");
	return rs;
}

/* Compile a BPF filter against Ethernet once, so -T catches a bad one and
 * a run fails before it opens the capture. */
static int check_bpf(const char *filter)
{
	struct bpf_program prog;
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	int rc = -1;

	if (!dead)
		return 0;
	if (pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) == 0) {
		pcap_freecode(&prog);
		rc = 0;
	} else {
		fprintf(stderr, "mamori: config: pcap.bpf-filter: bad BPF filter '%s': %s\n",
			filter, pcap_geterr(dead));
	}
	pcap_close(dead);
	return rc;
}

#ifdef HAVE_DPDK
/* The EAL from the arguments after -- or, when there are none, from
 * dpdk.eal-args. Returns 0 or EXIT_USAGE. */
static int start_eal(const struct cli *cli, const struct config *cfg)
{
	static char prog[] = "mamori";
	char *argv[258], errbuf[512];
	const char *name, *value;
	int argc = 0, n, i;

	n = cli->neal_args > 0 ? cli->neal_args : config_count(cfg, "dpdk.eal-args");
	if (n > 256) {
		fprintf(stderr, "mamori: dpdk: more than 256 EAL arguments\n");
		return EXIT_USAGE;
	}
	argv[argc++] = prog;
	for (i = 0; i < n; i++) {
		if (cli->neal_args > 0)
			argv[argc++] = cli->eal_args[i];
		else if (config_child(cfg, "dpdk.eal-args", i, &name, &value) == 0 && value)
			argv[argc++] = (char *)(uintptr_t)value;
	}
	argv[argc] = NULL;
	if (capture_dpdk_eal_init(argc, argv, errbuf, sizeof(errbuf)) < 0) {
		fprintf(stderr, "mamori: dpdk: %s; check the EAL arguments (after -- or "
			"dpdk.eal-args; see doc/dpdk.md)\n", errbuf);
		return EXIT_USAGE;
	}
	return 0;
}
#endif

/* Run until the input ends or a signal stops it. *rules and *engine are
 * the live ruleset and engine (NULL: no rules); a reload replaces them, so
 * they are handed back for the caller to free. */
static int run_sensor(const struct cli *cli, const struct config *cfg,
		      const struct mamori_config *rc_in, const struct kafka_config *kc,
		      struct ruleset **rules, struct detect_engine **engine,
		      uint64_t rules_mem)
{
	struct kafka_sink *sinks[KAFKA_MAX_SINKS] = { NULL };
	unsigned nsinks = 0;
	struct reload_arg ra = { cli, cfg, rc_in };
	struct detect_engine_config dc = { .hs_cache_dir = rc_in->hs_cache_dir };
	struct mamori_config rcv = *rc_in, *rc = &rcv;
	struct run r;
	struct capture_config cc;
	struct output_config oc;
	struct output *out = NULL;
	struct spsc_ring **rings = NULL;
	struct stats_snapshot final;
	char errbuf[512] = "", eve_path[PATH_MAX], hostname[256] = "";
	uint64_t per_worker, max_flows;
	struct sigaction sa;
	int rc_exit = 1, err;
	unsigned i, started = 0;
	bool live = cli->pcap_file == NULL;
	/* each worker polls its own queue (DPDK with a queue per worker) */
	bool poll_mode = false;
	const char *src_name;

	memset(&r, 0, sizeof(r));
	r.start_us = clock_wall_us();
	rc->flow.run_seed = run_seed();
	r.nworkers = rc->workers ? rc->workers : default_workers();

	memset(&cc, 0, sizeof(cc));
	cc.file = cli->pcap_file;
	cc.iface = live ? rc->pcap_interface : NULL;  /* -i or pcap.interface */
	cc.bpf = rc->bpf_filter && *rc->bpf_filter ? rc->bpf_filter : NULL;
	cc.snaplen = rc->snaplen;
	cc.promisc = rc->promisc;
	cc.buffer_size = rc->pcap_buffer_size > INT_MAX ? INT_MAX : (int)rc->pcap_buffer_size;
	cc.timeout_ms = 100;
	cc.loops = rc->pcap_file_loop;

	r.disp.ops = &capture_pcap_ops;
	src_name = live ? cc.iface : cc.file;
#ifdef HAVE_DPDK
	if (cli->dpdk) {
		unsigned lc = capture_dpdk_worker_lcores();

		/* by default a worker per EAL worker lcore */
		if (!rc->workers)
			r.nworkers = lc ? lc : 1;
		cc.iface = NULL;
		cc.promisc = rc->dpdk_promisc;
		cc.dpdk_port = rc->dpdk_port;
		cc.dpdk_queues = r.nworkers;
		cc.dpdk_rx_desc = rc->dpdk_rx_desc;
		cc.dpdk_mtu = rc->dpdk_mtu;
		cc.dpdk_link_wait_s = rc->dpdk_link_wait;
		cc.dpdk_mbufs = rc->dpdk_mempool_size;
		cc.dpdk_assume_rss = rc->dpdk_assume_rss;
		r.disp.ops = &capture_dpdk_ops;
	}
#endif
	r.disp.exit_idle_s = cli->exit_idle;
	r.disp.stop = &stop_requested;
	err = r.disp.ops->open(&cc, &r.disp.cap, errbuf, sizeof(errbuf));
	if (err < 0) {
		log_error("cannot open capture: %s", errbuf);
		/* a bad BPF filter, a missing DPDK port: bad configuration */
		return err == -EINVAL ? EXIT_USAGE : 1;
	}
#ifdef HAVE_DPDK
	if (cli->dpdk) {
		/* a queue per worker, a worker lcore per queue */
		poll_mode = capture_dpdk_queues(r.disp.cap) == r.nworkers &&
			    capture_dpdk_worker_lcores() >= r.nworkers;
		/* net_pcap replaying a file: packet time, nothing dropped */
		live = !capture_dpdk_packet_time(r.disp.cap);
		src_name = rc->dpdk_port && *rc->dpdk_port ? rc->dpdk_port : "the DPDK port";
	}
#endif
	r.disp.live = live;
	if (!decode_linktype_supported(r.disp.ops->linktype(r.disp.cap)))
		log_warn("%s: link type %d is not decoded: its packets will be counted "
			 "as decoder.event.decoder.unsupported_linktype",
			 src_name, r.disp.ops->linktype(r.disp.cap));
	r.disp.scratch.cfg = rc->decode;

	/* flows per worker from the memory cap */
	per_worker = rc->flow_memcap / r.nworkers;
	max_flows = per_worker / (sizeof(struct flow) + sizeof(void *));
	if (max_flows < 1024)
		max_flows = 1024;
	if (max_flows > UINT32_MAX / 2)
		max_flows = UINT32_MAX / 2;

	/* the stream and parser memcaps are for all workers together */
	rc->stream.memcap /= r.nworkers;
	rc->applayer.memcap /= r.nworkers;
	rc->run_workers = r.nworkers;

	r.workers = aligned_alloc(MAMORI_CACHELINE,
				  ((sizeof(struct worker) * r.nworkers + MAMORI_CACHELINE - 1) /
				   MAMORI_CACHELINE) * MAMORI_CACHELINE);
	/* one more ring: the anomaly scorer's alerts */
	rings = calloc(r.nworkers + 1, sizeof(*rings));
	if (!r.workers || !rings) {
		log_error("out of memory");
		goto done;
	}
	memset(r.workers, 0, sizeof(struct worker) * r.nworkers);
	for (i = 0; i < r.nworkers; i++) {
		err = worker_init(&r.workers[i], i, rc, (uint32_t)max_flows, live, *engine);
		if (err < 0) {
			log_error("worker %u: cannot allocate its tables (%s); lower "
				  "flow.memcap, threading.dispatch-ring-size (256 KiB a batch) "
				  "or threading.event-ring-size",
				  i, strerror(-err));
			r.nworkers = i;
			goto done;
		}
		rings[i] = &r.workers[i].events;
	}
	r.disp.workers = r.workers;
	r.disp.nworkers = r.nworkers;
	if (r.nworkers > 1) {
		/* reassembled datagrams go to the worker of their flow; in
		 * capture order when the dispatcher reads a file */
		r.fwd = fwd_hub_create(r.nworkers, !poll_mode && !live, live);
		if (!r.fwd) {
			log_error("out of memory for the workers' datagram slots");
			goto done;
		}
		for (i = 0; i < r.nworkers; i++) {
			r.workers[i].fwd = r.fwd;
			r.workers[i].fwd_ordered = r.fwd->ordered;
		}
		r.disp.fwd = r.fwd;
	}
	if (rc->anomaly.enabled) {
		r.anomaly = anomaly_create(&rc->anomaly, r.nworkers, rc->event_ring_size, live,
					   errbuf, sizeof(errbuf));
		if (!r.anomaly) {
			log_error("%s", errbuf);
			goto done;
		}
		for (i = 0; i < r.nworkers; i++)
			r.workers[i].anom = anomaly_tap(r.anomaly, i);
		rings[r.nworkers] = anomaly_out_ring(r.anomaly);
	}

	memset(&oc, 0, sizeof(oc));
	if (rc->eve_enabled) {
		err = make_log_dir(rc->log_dir);
		if (err < 0) {
			log_error("log directory %s: %s", rc->log_dir, strerror(-err));
			goto done;
		}
		snprintf(eve_path, sizeof(eve_path), "%s/%s", rc->log_dir, rc->eve_filename);
		oc.eve_path = eve_path;
	}
	oc.eve_alert = rc->eve_alert;
	oc.eve_flow = rc->eve_flow;
	oc.eve_stats = rc->stats_enabled && rc->eve_stats;
	oc.console_alerts = rc->console_alerts && !cli->quiet;
	oc.stats_interval_s = rc->stats_interval;
	if (rc->sensor_name && *rc->sensor_name)
		oc.eve.sensor_name = rc->sensor_name;
	else {
		gethostname(hostname, sizeof(hostname) - 1);
		oc.eve.sensor_name = hostname;
	}
	oc.eve.sensor_id = rc->sensor_id;
	oc.eve.log_payload = rc->eve_payload;
	oc.eve.log_payload_printable = rc->eve_payload_printable;
	oc.eve.stats_decoder_events = rc->stats_decoder_events;
	if (kc->nsinks) {
		err = make_log_dir(rc->log_dir);
		if (err < 0) {
			log_error("log directory %s (for the Kafka spool): %s", rc->log_dir,
				  strerror(-err));
			goto done;
		}
	}
	for (i = 0; i < kc->nsinks; i++) {
		bool config_fault;

		/* never waits for a broker: one that is down at start only
		 * means the records go to the spool */
		sinks[i] = kafka_sink_create(&kc->sinks[i], &oc.eve, errbuf, sizeof(errbuf),
					     &config_fault);
		if (!sinks[i]) {
			if (config_fault) {
				fprintf(stderr, "mamori: config: %s\n", errbuf);
				rc_exit = EXIT_USAGE;
			} else {
				log_error("kafka sink %u (%s): %s", i, kc->sinks[i].topic, errbuf);
			}
			goto done;
		}
		nsinks++;
		log_info("kafka: publishing to %s on %s", kc->sinks[i].topic,
			 kc->sinks[i].brokers);
	}
	oc.kafka = sinks;
	oc.nkafka = nsinks;
	out = output_create(&oc, rings, r.nworkers + (r.anomaly ? 1 : 0), collect_stats, &r,
			    errbuf, sizeof(errbuf));
	if (!out) {
		log_error("output: %s", errbuf);
		goto done;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* a second Ctrl-C kills at once, should the drain ever hang */
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	signal_dispatch = &r.disp;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (*engine) {
		r.reloader = reloader_start(r.workers, r.nworkers, *rules, *engine, rules_mem,
					    &dc, reload_rules, &ra);
		if (!r.reloader) {
			log_error("cannot start the rule reloader");
			goto done;
		}
		/* the reloader owns them now; reloader_stop hands them back */
		*rules = NULL;
		*engine = NULL;
		signal_reloader = r.reloader;
		sa.sa_handler = on_reload_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
	}

	if (output_start(out) < 0) {
		log_error("cannot start the output thread");
		goto done;
	}
	if (r.anomaly && anomaly_start(r.anomaly) < 0) {
		log_error("cannot start the anomaly scorer thread");
		goto done;
	}
	for (i = 0; i < r.nworkers; i++) {
		err = -1;
#ifdef HAVE_DPDK
		if (poll_mode) {
			worker_set_source(&r.workers[i], r.disp.ops, r.disp.cap, i);
			err = capture_dpdk_launch(r.disp.cap, i, worker_poll_main,
						  &r.workers[i]);
		}
#endif
		if (!poll_mode)
			err = worker_start(&r.workers[i]);
		if (err < 0) {
			log_error("cannot start worker %u", i);
			break;
		}
		started++;
	}
	/* a worker that never started has no input: the others must not
	 * wait for it before they end their flows */
	if (r.fwd)
		for (i = started; i < r.nworkers; i++)
			fwd_retire(r.fwd);
	if (started == r.nworkers) {
		log_info("%s %s: %u worker%s%s", live ? "capturing on" : "reading",
			 src_name, r.nworkers, r.nworkers == 1 ? "" : "s",
			 poll_mode ? ", a queue each" : "");
		if ((poll_mode ? dispatch_watch(&r.disp) : dispatch_run(&r.disp)) < 0)
			log_error("%s", r.disp.errbuf);
		else
			rc_exit = 0;
	} else {
		for (i = 0; i < r.nworkers; i++)
			__atomic_store_n(&r.workers[i].in_done, 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < started; i++) {
#ifdef HAVE_DPDK
		if (poll_mode) {
			capture_dpdk_wait(r.disp.cap, i);
			continue;
		}
#endif
		worker_join(&r.workers[i]);
	}
	/* the final stats record counts every packet the queues gave */
	dispatch_snapshot(&r.disp);
	/* after the workers (their last flow ends are events), before output */
	anomaly_stop(r.anomaly);
	output_stop(out);
	if (!cli->quiet) {
		collect_stats(&r, &final);
		print_summary(&r, &final, output_get_stats(out),
			      oc.eve_path, (clock_wall_us() - r.start_us) / 1e6);
	}
done:
	signal_dispatch = NULL;
	if (r.reloader) {
		/* a late SIGHUP is ignored from here on */
		sa.sa_handler = SIG_IGN;
		sa.sa_flags = 0;
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		signal_reloader = NULL;
		/* workers that never started count as exited for a swap */
		for (i = started; i < r.nworkers; i++)
			__atomic_store_n(&r.workers[i].exited, 1, __ATOMIC_RELEASE);
		reloader_stop(r.reloader, rules, engine);
	}
	anomaly_stop(r.anomaly);
	if (out)
		output_destroy(out);
	anomaly_destroy(r.anomaly);
	for (i = 0; i < nsinks; i++)
		kafka_sink_destroy(sinks[i]);
	if (r.workers)
		for (i = 0; i < r.nworkers; i++)
			worker_destroy(&r.workers[i]);
	free(r.workers);
	fwd_hub_destroy(r.fwd);
	free(rings);
	r.disp.ops->close(r.disp.cap);
	return rc_exit;
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct config *cfg = NULL;
	struct mamori_config rc;
	struct kafka_config kc;
	struct ruleset *rules = NULL;
	struct detect_engine *engine = NULL;
	struct detect_engine_stats es;
	char err[512];
	uint64_t mem0;
	int status;

	/* A reload request before the reloader runs, or on a sensor without
	 * rules, must not end it (SIGHUP's default): ignored until then. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	memset(&cli, 0, sizeof(cli));
	memset(&rc, 0, sizeof(rc));
	memset(&kc, 0, sizeof(kc));
	if (parse_cli(argc, argv, &cli) < 0) {
		free(cli.sets);
		free(cli.rules);
		return EXIT_USAGE;
	}
	status = build_config(&cli, &cfg, &rc, &kc);
	if (status != 0)
		goto out;
	if (cli.dump_config) {
		config_dump(cfg, stdout);
		goto out;
	}
	if (!cli.pcap_file && !(rc.pcap_interface && *rc.pcap_interface) &&
	    !cli.dpdk && !cli.test_mode) {
		fprintf(stderr, "mamori: nothing to read: give -r FILE, -i IFACE, "
			"--dpdk or pcap.interface in the configuration\n");
		usage(stderr);
		status = EXIT_USAGE;
		goto out;
	}
	if (rc.bpf_filter && *rc.bpf_filter && check_bpf(rc.bpf_filter) < 0) {
		status = EXIT_USAGE;
		goto out;
	}
	mem0 = reload_heap_in_use();
	rules = load_rules(&cli, cfg, &rc, NULL, &status);
	if (status != 0)
		goto out;
	if (cli.test_mode) {
		printf("configuration OK\n");
		goto out;
	}
	if (rules) {
		struct detect_engine_config dc = { .hs_cache_dir = rc.hs_cache_dir };

		engine = detect_engine_build(rules, &dc, err, sizeof(err));
		if (!engine) {
			log_error("cannot build the detection engine: %s", err);
			status = 1;
			goto out;
		}
		detect_engine_info(engine, &es);
		/* say plainly what does not run yet, so nobody trusts a
		 * silent rule */
		log_notice("%llu of %llu rules active (%llu prefiltered by content, %llu by pcre); skipped: "
			   "%llu need the application layer, %llu flowbits, %llu "
			   "threshold/detection_filter, %llu pcre, %llu other keywords",
			   (unsigned long long)es.rules_active,
			   (unsigned long long)es.rules_total,
			   (unsigned long long)es.rules_prefiltered,
			   (unsigned long long)es.rules_pcre_prefiltered,
			   (unsigned long long)es.rules_skipped_app_layer,
			   (unsigned long long)es.skipped_flowbits,
			   (unsigned long long)es.skipped_threshold,
			   (unsigned long long)es.skipped_pcre,
			   (unsigned long long)es.skipped_keyword);
		{
			char line[1024];
			size_t used = 0;
			const char *kw;
			uint32_t cnt;

			for (unsigned i = 0; detect_engine_skipped(engine, i, &kw, &cnt) &&
					     used < sizeof(line) - 64; i++)
				used += (size_t)snprintf(line + used, sizeof(line) - used, "%s%s (%u)",
							 i ? ", " : "", kw, cnt);
			if (used)
				log_notice("skipped rules by keyword: %s", line);
		}
		log_info("detection engine built in %.3f s (%.1f MiB of Hyperscan databases; "
			 "cache %s: %llu loaded, %llu compiled)",
			 es.build_us / 1e6, es.hs_bytes / 1048576.0,
			 rc.hs_cache_dir && *rc.hs_cache_dir ? rc.hs_cache_dir : "off",
			 (unsigned long long)es.cache_hits, (unsigned long long)es.cache_misses);
		if (es.cache_load_errors || es.cache_store_errors)
			log_warn("Hyperscan cache %s: %llu unusable files (recompiled), %llu "
				    "failed writes", rc.hs_cache_dir,
				    (unsigned long long)es.cache_load_errors,
				    (unsigned long long)es.cache_store_errors);
	}
#ifdef HAVE_DPDK
	if (cli.dpdk) {
		status = start_eal(&cli, cfg);
		if (status != 0)
			goto out;
	}
#endif
	status = run_sensor(&cli, cfg, &rc, &kc, &rules, &engine, reload_heap_in_use() - mem0);
out:
#ifdef HAVE_DPDK
	capture_dpdk_eal_cleanup();
#endif
	/* the engine points into the ruleset: free it first */
	detect_engine_free(engine);
	ruleset_free(rules);
	kafka_privacy_free(&kc);
	kafka_config_free(&kc);
	config_free(cfg);
	free(cli.sets);
	free(cli.rules);
	return status;
}
