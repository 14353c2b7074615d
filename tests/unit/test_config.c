/*
 * test_config: the configuration module. The built-in default must load,
 * validate and apply to the documented values; files and --set merge over
 * it; every error names file, line and dotted key; the dump reads back to
 * itself; and doc/mamori.yaml is the built-in default, byte for byte.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/config.h"

/* The same text src/config.c parses, for the byte-for-byte check. */
static const char builtin_yaml[] =
#include "../../src/default-config.h"
	;

/* ---- helpers ------------------------------------------------------------ */

static char *dump_str(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	config_dump(c, f);
	fclose(f);
	return buf;
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static const char *fmt_err(const struct config_error *e)
{
	static char buf[1024];

	config_error_format(e, buf, sizeof(buf));
	return buf;
}

/* Load yaml over the default and validate; returns the config either way
 * (NULL only when the default failed) and sets *rc. */
static struct config *load_validate(const char *yaml, struct config_error *e, int *rc)
{
	struct config *c = config_new_default();

	memset(e, 0, sizeof(*e));
	if (!c)
		return NULL;
	*rc = config_load_string(c, yaml, "t.yaml", e);
	if (*rc == 0)
		*rc = config_validate(c, e);
	return c;
}

/* Expect a validation (or load) error at t.yaml:line for key. */
static void expect_error(const char *yaml, int line, const char *key, const char *msg_part)
{
	struct config_error e;
	int rc = 0;
	struct config *c = load_validate(yaml, &e, &rc);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_STRING_EQUAL(e.file, "t.yaml");
	CU_ASSERT_EQUAL(e.line, line);
	CU_ASSERT_STRING_EQUAL(e.key, key);
	if (!strstr(e.msg, msg_part))
		fprintf(stderr, "\n  unexpected message: %s\n", fmt_err(&e));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, msg_part));
	config_free(c);
}

/* ---- default ------------------------------------------------------------- */

static void test_default_valid(void)
{
	struct config *c = config_new_default();
	struct config_error e;
	int64_t i;
	bool b;
	uint64_t sz;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "sensor-name"), "");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "default-log-dir"), ".");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "default-rule-path"), "rules");
	CU_ASSERT_EQUAL(config_count(c, "rule-files"), 0);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.HOME_NET"),
			       "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.EXTERNAL_NET"),
			       "!$HOME_NET");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.AIM_SERVERS"),
			       "$EXTERNAL_NET");
	CU_ASSERT_EQUAL(config_count(c, "vars.address-groups"), 16);
	CU_ASSERT_EQUAL(config_count(c, "vars.port-groups"), 12);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.port-groups.HTTP_PORTS"), "80");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.port-groups.FILE_DATA_PORTS"),
			       "[$HTTP_PORTS,110,143]");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.port-groups.SHELLCODE_PORTS"), "!80");
	CU_ASSERT_EQUAL(config_get_int(c, "vars.port-groups.TEREDO_PORTS", &i), 0);
	CU_ASSERT_EQUAL(i, 3544);
	CU_ASSERT_EQUAL(config_get_bool(c, "pcap.promisc", &b), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(config_get_size(c, "flow.memcap", &sz), 0);
	CU_ASSERT_EQUAL(sz, 128u << 20);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "capture.checksum-validation"), "none");
	CU_ASSERT_EQUAL(config_count(c, "outputs.kafka"), 0);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "outputs.eve-log.filename"), "eve.json");
	config_free(c);
}

static void test_apply_defaults(void)
{
	struct config *c = config_new_default();
	struct mamori_config m;
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memset(&m, 0xa5, sizeof(m));
	CU_ASSERT_EQUAL_FATAL(config_apply(c, &m, &e), 0);
	CU_ASSERT_STRING_EQUAL(m.sensor_name, "");
	CU_ASSERT_EQUAL(m.sensor_id, 0);
	CU_ASSERT_STRING_EQUAL(m.log_dir, ".");
	CU_ASSERT_EQUAL(m.workers, 0);
	CU_ASSERT_EQUAL(m.dispatch_ring_size, 64);
	CU_ASSERT_EQUAL(m.event_ring_size, 4096);
	CU_ASSERT_STRING_EQUAL(m.pcap_interface, "");
	CU_ASSERT_EQUAL(m.snaplen, 262144);
	CU_ASSERT_TRUE(m.promisc);
	CU_ASSERT_EQUAL(m.pcap_buffer_size, 64u << 20);
	CU_ASSERT_STRING_EQUAL(m.rule_path, "rules");
	CU_ASSERT_STRING_EQUAL(m.classification_file, "");
	CU_ASSERT_STRING_EQUAL(m.hs_cache_dir, "/var/lib/mamori/hs-cache");
	CU_ASSERT_EQUAL(m.pcap_file_loop, 1);
	CU_ASSERT_STRING_EQUAL(m.bpf_filter, "");

	CU_ASSERT_EQUAL(m.decode.max_layers, 16);
	CU_ASSERT_TRUE(m.decode.vxlan_enabled);
	CU_ASSERT_EQUAL(m.decode.vxlan_port, 4789);
	CU_ASSERT_TRUE(m.decode.gre_enabled);
	CU_ASSERT_TRUE(m.decode.erspan_enabled);
	CU_ASSERT_FALSE(m.decode.checksum_validate);

	/* Suricata's defrag defaults, and mamori's own two */
	CU_ASSERT_EQUAL(m.defrag.memcap, UINT64_C(32) << 20);
	CU_ASSERT_EQUAL(m.defrag.hash_size, 65536);
	CU_ASSERT_EQUAL(m.defrag.trackers, 65535);
	CU_ASSERT_EQUAL(m.defrag.max_frags, 65535);
	CU_ASSERT_TRUE(m.defrag.prealloc);
	CU_ASSERT_EQUAL(m.defrag.timeout, 60);
	CU_ASSERT_EQUAL(m.defrag.policy, DEFRAG_POLICY_BSD);
	CU_ASSERT_EQUAL(m.defrag.max_frags_per_datagram, 256);
	CU_ASSERT_EQUAL(m.defrag.min_frag_size, 0);
	{
		struct defrag_config dc;

		/* the shipped file and the module agree on the defaults */
		defrag_config_default(&dc);
		CU_ASSERT_EQUAL(dc.memcap, m.defrag.memcap);
		CU_ASSERT_EQUAL(dc.hash_size, m.defrag.hash_size);
		CU_ASSERT_EQUAL(dc.trackers, m.defrag.trackers);
		CU_ASSERT_EQUAL(dc.max_frags, m.defrag.max_frags);
		CU_ASSERT_EQUAL(dc.prealloc, m.defrag.prealloc);
		CU_ASSERT_EQUAL(dc.timeout, m.defrag.timeout);
		CU_ASSERT_EQUAL(dc.policy, m.defrag.policy);
		CU_ASSERT_EQUAL(dc.max_frags_per_datagram, m.defrag.max_frags_per_datagram);
		CU_ASSERT_EQUAL(dc.min_frag_size, m.defrag.min_frag_size);
	}

	CU_ASSERT_EQUAL(m.flow_memcap, UINT64_C(128) << 20);
	CU_ASSERT_EQUAL(m.flow_hash_size, 65536);
	CU_ASSERT_EQUAL(m.flow.hash_size, 65536);
	CU_ASSERT_EQUAL(m.flow.max_flows, 0);
	CU_ASSERT_EQUAL(m.flow.worker_id, 0);
	CU_ASSERT_EQUAL(m.flow.community_id_seed, 0);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_CLOSED], 0);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_TCP][FLOW_TS_NEW], 60);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_TCP][FLOW_TS_ESTABLISHED], 600);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_TCP][FLOW_TS_CLOSED], 60);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_UDP][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_UDP][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_UDP][FLOW_TS_CLOSED], 0);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_ICMP][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_ICMP][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_ICMP][FLOW_TS_CLOSED], 0);

	CU_ASSERT_TRUE(m.stats_enabled);
	CU_ASSERT_EQUAL(m.stats_interval, 8);
	/* Suricata's defaults */
	CU_ASSERT_TRUE(m.stats_decoder_events);
	CU_ASSERT_FALSE(m.flow.midstream);
	CU_ASSERT_FALSE(m.stream.midstream);
	CU_ASSERT_EQUAL(m.stream.memcap, UINT64_C(64) << 20);
	CU_ASSERT_EQUAL(m.stream.depth, UINT64_C(1) << 20);
	CU_ASSERT_EQUAL(m.stream.max_ooo_bytes, UINT64_C(256) << 10);
	CU_ASSERT_EQUAL(m.stream.policy, STREAM_POLICY_BSD);
	CU_ASSERT_TRUE(m.eve_enabled);
	CU_ASSERT_STRING_EQUAL(m.eve_filename, "eve.json");
	CU_ASSERT_TRUE(m.eve_alert);
	CU_ASSERT_FALSE(m.eve_flow);
	CU_ASSERT_TRUE(m.eve_stats);
	CU_ASSERT_TRUE(m.eve_payload);
	CU_ASSERT_TRUE(m.eve_payload_printable);
	CU_ASSERT_TRUE(m.community_id);
	CU_ASSERT_TRUE(m.console_alerts);
	config_free(c);
}

static void test_apply_values(void)
{
	static const char yaml[] =
		"sensor-name: tap-3\n"
		"sensor-id: 42\n"
		"detect: {hs-cache-dir: \"\"}\n"
		"threading: {workers: 6}\n"
		"pcap: {snaplen: 1518, promisc: off, buffer-size: 32mb, bpf-filter: \"not port 22\"}\n"
		"capture: {checksum-validation: ALL}\n"
		"decoder: {vxlan: {enabled: no, ports: 8472}}\n"
		"flow: {memcap: 1gb, hash-size: 5000}\n"
		"defrag: {memcap: 64mb, trackers: 1000, max-frags: 3000, timeout: 30,\n"
		"         policy: bsd-right, prealloc: no, max-frags-per-datagram: 16,\n"
		"         min-frag-size: 128, hash-size: 4096}\n"
		"flow-timeouts: {tcp: {established: 3600}, icmp: {new: 5}}\n"
		"stream: {midstream: true, reassembly: {memcap: 8mb, depth: 0,\n"
		"         max-ooo-bytes: 64kb, policy: Linux}}\n"
		"stats: {decoder-events: no}\n"
		"outputs:\n"
		"  eve-log: {community-id-seed: 7, flow: {enabled: yes}, alert: {payload: no}}\n"
		"  console: {enabled: false}\n";
	struct config_error e;
	struct mamori_config m;
	int rc = -1;
	struct config *c = load_validate(yaml, &e, &rc);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(config_apply(c, &m, &e), 0);
	CU_ASSERT_STRING_EQUAL(m.sensor_name, "tap-3");
	CU_ASSERT_EQUAL(m.sensor_id, 42);
	CU_ASSERT_STRING_EQUAL(m.hs_cache_dir, "");
	CU_ASSERT_EQUAL(m.workers, 6);
	CU_ASSERT_EQUAL(m.snaplen, 1518);
	CU_ASSERT_FALSE(m.promisc);
	CU_ASSERT_EQUAL(m.pcap_buffer_size, 32u << 20);
	CU_ASSERT_STRING_EQUAL(m.bpf_filter, "not port 22");
	CU_ASSERT_TRUE(m.decode.checksum_validate);
	CU_ASSERT_FALSE(m.decode.vxlan_enabled);
	CU_ASSERT_EQUAL(m.decode.vxlan_port, 8472);
	CU_ASSERT_TRUE(m.decode.gre_enabled);
	CU_ASSERT_EQUAL(m.flow_memcap, UINT64_C(1) << 30);
	/* rounded up to a power of two */
	CU_ASSERT_EQUAL(m.flow_hash_size, 8192);
	CU_ASSERT_EQUAL(m.flow.hash_size, 8192);
	CU_ASSERT_TRUE(m.flow.midstream);
	CU_ASSERT_TRUE(m.stream.midstream);
	CU_ASSERT_EQUAL(m.stream.memcap, UINT64_C(8) << 20);
	CU_ASSERT_EQUAL(m.stream.depth, 0);
	CU_ASSERT_EQUAL(m.stream.max_ooo_bytes, UINT64_C(64) << 10);
	CU_ASSERT_EQUAL(m.stream.policy, STREAM_POLICY_LINUX);
	CU_ASSERT_EQUAL(m.defrag.memcap, UINT64_C(64) << 20);
	CU_ASSERT_EQUAL(m.defrag.trackers, 1000);
	CU_ASSERT_EQUAL(m.defrag.max_frags, 3000);
	CU_ASSERT_EQUAL(m.defrag.timeout, 30);
	CU_ASSERT_EQUAL(m.defrag.policy, DEFRAG_POLICY_BSD_RIGHT);
	CU_ASSERT_FALSE(m.defrag.prealloc);
	CU_ASSERT_EQUAL(m.defrag.max_frags_per_datagram, 16);
	CU_ASSERT_EQUAL(m.defrag.min_frag_size, 128);
	CU_ASSERT_EQUAL(m.defrag.hash_size, 4096);
	CU_ASSERT_FALSE(m.stats_decoder_events);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_TCP][FLOW_TS_ESTABLISHED], 3600);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_TCP][FLOW_TS_NEW], 60);
	CU_ASSERT_EQUAL(m.flow.timeout[FLOW_PC_ICMP][FLOW_TS_NEW], 5);
	CU_ASSERT_EQUAL(m.flow.community_id_seed, 7);
	CU_ASSERT_TRUE(m.eve_flow);
	CU_ASSERT_FALSE(m.eve_payload);
	CU_ASSERT_TRUE(m.eve_payload_printable);
	CU_ASSERT_FALSE(m.console_alerts);
	config_free(c);
}

/* config_apply re-checks what it reads, so an unvalidated --set value
 * cannot slip through. */
static void test_apply_rejects(void)
{
	struct config *c = config_new_default();
	struct mamori_config m;
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	memset(&m, 0, sizeof(m));
	m.snaplen = 1234;
	CU_ASSERT_EQUAL(config_set(c, "pcap.snaplen=32", &e), 0);
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "pcap.snaplen");
	CU_ASSERT_STRING_EQUAL(e.file, "--set");
	CU_ASSERT_EQUAL(e.line, 0);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e),
			       "--set: pcap.snaplen: expected an integer from 64 to 262144, got '32'");
	/* *rc untouched on failure */
	CU_ASSERT_EQUAL(m.snaplen, 1234);

	CU_ASSERT_EQUAL(config_set(c, "pcap.snaplen=64", &e), 0);
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), 0);
	CU_ASSERT_EQUAL(m.snaplen, 64);
	CU_ASSERT_EQUAL(config_set(c, "capture.checksum-validation=auto", &e), 0);
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "capture.checksum-validation");
	config_free(c);
}

/* anomaly.*: values land in rc->anomaly; a bad allowlist entry or TRW
 * parameters that do not separate the hypotheses are refused by line */
static void test_apply_anomaly(void)
{
	struct config *c = config_new_default();
	struct mamori_config m;
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(config_apply(c, &m, &e), 0);
	CU_ASSERT(m.anomaly.enabled);
	CU_ASSERT_EQUAL(m.anomaly.memcap, 64u << 20);
	CU_ASSERT_EQUAL(m.anomaly.nallow, 0);
	CU_ASSERT_EQUAL(config_load_string(c,
		"anomaly:\n  memcap: 8mb\n  allowlist: [192.0.2.0/24, \"2001:db8::1\"]\n"
		"  syn-flood:\n    min-rate: 250\n  dga:\n    enabled: no\n", "a.yaml", &e), 0);
	CU_ASSERT_EQUAL_FATAL(config_validate(c, &e), 0);
	CU_ASSERT_EQUAL_FATAL(config_apply(c, &m, &e), 0);
	CU_ASSERT_EQUAL(m.anomaly.memcap, 8u << 20);
	CU_ASSERT_EQUAL(m.anomaly.nallow, 2);
	CU_ASSERT_EQUAL(m.anomaly.allow[0].plen, 24);
	CU_ASSERT_EQUAL(m.anomaly.allow[1].ver, 6);
	CU_ASSERT_EQUAL(m.anomaly.syn_flood_rate, 250);
	CU_ASSERT(!m.anomaly.dga);
	CU_ASSERT(m.anomaly.dns_tunnel);
	CU_ASSERT_EQUAL(config_load_string(c,
		"anomaly:\n  allowlist:\n    - 10.0.0.0/8\n    - 10.0.0.300/8\n", "b.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "anomaly.allowlist");
	CU_ASSERT_STRING_EQUAL(e.file, "b.yaml");
	CU_ASSERT(strstr(e.msg, "10.0.0.300/8") != NULL);
	CU_ASSERT_EQUAL(config_load_string(c,
		"anomaly:\n  allowlist: []\n  scan:\n    trw-scanner-success: 90\n", "c.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "anomaly.scan.trw-scanner-success");
	config_free(c);
}

/* ---- files and --set ------------------------------------------------------- */

static void test_load_file_merges(void)
{
	struct config *c = config_new_default();
	struct config_error e;
	const char *path;
	int64_t i;
	bool b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	path = write_tmp("site.yaml",
			 "%YAML 1.1\n"
			 "---\n"
			 "vars:\n"
			 "  address-groups:\n"
			 "    HOME_NET: \"[10.1.0.0/16]\"\n"
			 "    CORP_NET: 10.2.0.0/16\n"
			 "pcap:\n"
			 "  snaplen: 1500\n"
			 "rule-files:\n"
			 "  - a.rules\n"
			 "  - b.rules\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL_FATAL(config_load_file(c, path, &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	/* replaced, added, and kept beside them */
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.HOME_NET"), "[10.1.0.0/16]");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.CORP_NET"), "10.2.0.0/16");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.EXTERNAL_NET"), "!$HOME_NET");
	CU_ASSERT_EQUAL(config_count(c, "vars.address-groups"), 17);
	CU_ASSERT_EQUAL(config_count(c, "vars.port-groups"), 12);
	CU_ASSERT_EQUAL(config_get_int(c, "pcap.snaplen", &i), 0);
	CU_ASSERT_EQUAL(i, 1500);
	CU_ASSERT_EQUAL(config_get_bool(c, "pcap.promisc", &b), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(config_count(c, "rule-files"), 2);

	/* where a value came from */
	config_where(c, "pcap.snaplen", &e);
	CU_ASSERT_STRING_EQUAL(e.file, path);
	CU_ASSERT_EQUAL(e.line, 8);
	CU_ASSERT_STRING_EQUAL(e.key, "pcap.snaplen");
	CU_ASSERT_STRING_EQUAL(e.msg, "");
	config_where(c, "pcap.promisc", &e);
	CU_ASSERT_STRING_EQUAL(e.file, "<default>");
	CU_ASSERT(e.line > 0);
	config_where(c, "no.such.key", &e);
	CU_ASSERT_STRING_EQUAL(e.file, "");
	CU_ASSERT_EQUAL(e.line, 0);

	/* A second file: lists replace, empty values keep or empty. */
	path = write_tmp("more.yaml",
			 "rule-files: [c.rules]\n"
			 "pcap:\n"
			 "  snaplen:\n"
			 "decoder:\n");
	CU_ASSERT_EQUAL_FATAL(config_load_file(c, path, &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_EQUAL(config_count(c, "rule-files"), 1);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "rule-files.0"), "c.rules");
	CU_ASSERT_EQUAL(config_get_int(c, "pcap.snaplen", &i), 0);
	CU_ASSERT_EQUAL(i, 1500);
	CU_ASSERT_EQUAL(config_get_int(c, "decoder.max-layers", &i), 0);
	CU_ASSERT_EQUAL(i, 16);
	path = write_tmp("none.yaml", "rule-files:\n");
	CU_ASSERT_EQUAL_FATAL(config_load_file(c, path, &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_EQUAL(config_count(c, "rule-files"), 0);
	CU_ASSERT_EQUAL(config_child(c, "rule-files", 0, NULL, NULL), -1);

	/* an empty file changes nothing */
	path = write_tmp("empty.yaml", "# nothing\n");
	CU_ASSERT_EQUAL(config_load_file(c, path, &e), 0);
	CU_ASSERT_EQUAL(config_get_int(c, "pcap.snaplen", &i), 0);
	CU_ASSERT_EQUAL(i, 1500);

	/* a missing file names itself */
	CU_ASSERT_EQUAL(config_load_file(c, "/nonexistent/mamori.yaml", &e), -1);
	CU_ASSERT_STRING_EQUAL(e.file, "/nonexistent/mamori.yaml");
	CU_ASSERT_EQUAL(e.line, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "No such file"));
	config_free(c);
}

/* A failed load leaves the configuration as it was. */
static void test_load_error_keeps_config(void)
{
	struct config *c = config_new_default();
	struct config_error e;
	int64_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(config_load_string(c, "pcap:\n  snaplen: 100\nflow: [\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(config_get_int(c, "pcap.snaplen", &i), 0);
	CU_ASSERT_EQUAL(i, 262144);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	config_free(c);
}

static void test_set(void)
{
	struct config *c = config_new_default();
	struct config_error e;
	struct mamori_config m;
	uint64_t sz;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(config_set(c, "flow.memcap=256mb", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "vars.address-groups.CORP_NET=[10.1.0.0/16,!10.1.2.0/24]", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "sensor-name=a=b", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "pcap.bpf-filter=", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_EQUAL(config_get_size(c, "flow.memcap", &sz), 0);
	CU_ASSERT_EQUAL(sz, UINT64_C(256) << 20);
	CU_ASSERT_EQUAL(config_count(c, "vars.address-groups"), 17);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.CORP_NET"),
			       "[10.1.0.0/16,!10.1.2.0/24]");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "sensor-name"), "a=b");
	CU_ASSERT_EQUAL(config_apply(c, &m, &e), 0);
	CU_ASSERT_EQUAL(m.flow_memcap, UINT64_C(256) << 20);
	CU_ASSERT_STRING_EQUAL(m.sensor_name, "a=b");
	config_where(c, "flow.memcap", &e);
	CU_ASSERT_STRING_EQUAL(e.file, "--set");
	CU_ASSERT_EQUAL(e.line, 0);

	/* bad assignments */
	CU_ASSERT_EQUAL(config_set(c, "flow.memcap", &e), -1);
	CU_ASSERT_STRING_EQUAL(e.file, "--set");
	CU_ASSERT_STRING_EQUAL(e.key, "flow.memcap");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "KEY=VALUE"));
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "--set: flow.memcap: expected KEY=VALUE");
	CU_ASSERT_EQUAL(config_set(c, "=5", &e), -1);
	CU_ASSERT_EQUAL(config_set(c, "flow..memcap=5", &e), -1);
	CU_ASSERT_EQUAL(config_set(c, "flow.=5", &e), -1);
	CU_ASSERT_EQUAL(config_set(c, "flow=5", &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "flow");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "map"));
	CU_ASSERT_EQUAL(config_set(c, "pcap.snaplen.x=5", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "'pcap.snaplen'"));
	/* the tree is unchanged by the failures */
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);

	/* --set values are checked like file values, located at --set */
	CU_ASSERT_EQUAL(config_set(c, "stats.interval=0", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e),
			       "--set: stats.interval: expected an integer from 1 to 86400, got '0'");
	CU_ASSERT_EQUAL(config_set(c, "stats.interval=10", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "stats.intervall=10", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "--set: stats.intervall: unknown key");
	config_free(c);
}

/* --set reaches into list elements by number and into empty values. */
static void test_set_lists(void)
{
	struct config *c = config_new_default();
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(config_load_string(c,
		"outputs:\n"
		"  kafka:\n"
		"    - brokers: k1:9092\n"
		"      topic: alerts\n"
		"      properties:\n", "k.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "outputs.kafka.0.topic=soc", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "outputs.kafka.0.properties.compression.type=zstd", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "outputs.kafka.0.topic"), "soc");
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "outputs.kafka.0.properties.compression.type"),
			       "zstd");
	CU_ASSERT_EQUAL(config_count(c, "outputs.kafka.0.properties"), 1);
	CU_ASSERT_EQUAL(config_set(c, "outputs.kafka.1.topic=x", &e), -1);
	CU_ASSERT_STRING_EQUAL(e.key, "outputs.kafka.1.topic");
	CU_ASSERT_EQUAL(config_set(c, "outputs.kafka=x", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "list"));
	config_free(c);
}

/* ---- errors ---------------------------------------------------------------- */

static void test_unknown_key(void)
{
	expect_error("flow:\n"
		     "  memcap: 64mb\n"
		     "  hash-sise: 4096\n",
		     3, "flow.hash-sise", "unknown key");
	expect_error("# comment\n"
		     "sensor-nmae: x\n",
		     2, "sensor-nmae", "unknown key");
	expect_error("outputs:\n"
		     "  kafka:\n"
		     "    - brokers: k1:9092\n"
		     "      topic: alerts\n"
		     "      tpoic: x\n",
		     5, "outputs.kafka.0.tpoic", "unknown key");
	expect_error("flow-timeouts:\n"
		     "  udp:\n"
		     "    closed: 5\n",
		     3, "flow-timeouts.udp.closed", "unknown key");

	{
		struct config_error e;
		int rc = 0;
		struct config *c = load_validate("flow:\n  memcap: 64mb\n  hash-sise: 4096\n",
						 &e, &rc);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		CU_ASSERT_STRING_EQUAL(fmt_err(&e), "t.yaml:3: flow.hash-sise: unknown key");
		config_free(c);
	}
}

static void test_wrong_types(void)
{
	expect_error("pcap:\n  promisc: maybe\n", 2, "pcap.promisc",
		     "expected yes or no, got 'maybe'");
	expect_error("\n\npcap:\n  snaplen: 63\n", 4, "pcap.snaplen",
		     "expected an integer from 64 to 262144, got '63'");
	expect_error("pcap:\n  snaplen: 262145\n", 2, "pcap.snaplen", "from 64 to 262144");
	expect_error("pcap:\n  snaplen: 1.5k\n", 2, "pcap.snaplen",
		     "expected an integer, got '1.5k'");
	expect_error("threading:\n  workers: 257\n", 2, "threading.workers", "from 0 to 256");
	expect_error("stream:\n  reassembly:\n    policy: beos\n", 3,
		     "stream.reassembly.policy",
		     "expected bsd, first, last, linux, old-linux, solaris, windows");
	expect_error("stream:\n  reassembly:\n    policy: beos\n", 3,
		     "stream.reassembly.policy", "got 'beos'");
	expect_error("stream:\n  reassembly:\n    memcap: 512kb\n", 3,
		     "stream.reassembly.memcap", "at least 1mb");
	expect_error("stream:\n  reassembly:\n    max-ooo-bytes: 2gb\n", 3,
		     "stream.reassembly.max-ooo-bytes", "at most 1gb");
	expect_error("flow:\n  hash-sise: 1\n  memcap: abc\n", 2, "flow.hash-sise",
		     "unknown key");
	expect_error("flow:\n  memcap: abc\n", 2, "flow.memcap",
		     "expected a size like 64mb, got 'abc'");
	expect_error("flow:\n  memcap: 64tb\n", 2, "flow.memcap", "size like 64mb");
	expect_error("flow:\n  memcap: 512kb\n", 2, "flow.memcap",
		     "expected a size of at least 1mb, got '512kb'");
	expect_error("capture:\n  checksum-validation: some\n", 2,
		     "capture.checksum-validation", "expected none or all, got 'some'");
	expect_error("defrag:\n  policy: freebsd\n", 2, "defrag.policy",
		     "expected first, last, bsd, bsd-right, linux, windows, solaris, "
		     "old-linux, old-solaris, hpux10, hpux11, irix, macos, vista or "
		     "windows2k3, got 'freebsd'");
	expect_error("defrag:\n  timeout: 0\n", 2, "defrag.timeout", "from 1 to 86400");
	expect_error("defrag:\n  host-config: []\n", 2, "defrag.host-config",
		     "unknown key");
	expect_error("decoder:\n  vxlan:\n    enabled: yes\n    ports: 0\n", 4,
		     "decoder.vxlan.ports", "from 1 to 65535");
	expect_error("sensor-name:\n  a: b\n", 1, "sensor-name", "expected a string, got a map");
	expect_error("rule-files: a.rules\n", 1, "rule-files",
		     "expected a list, got 'a.rules'");
	expect_error("rule-files:\n  - a.rules\n  - [x]\n", 3, "rule-files.1",
		     "expected a string, got a list");
	expect_error("vars:\n  address-groups: [a]\n", 2, "vars.address-groups",
		     "expected a map of keys, got a list");
	expect_error("outputs:\n  kafka:\n    - brokers: b\n      types: alert\n", 4,
		     "outputs.kafka.0.types", "expected a list");
}

/* The error reported is the one met first reading the sources in load
 * order, not the first in the default's key order. */
static void test_error_order(void)
{
	struct config *c = config_new_default();
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(config_load_string(c,
		"outputs:\n"
		"  console:\n"
		"    enabled: perhaps\n"
		"pcap:\n"
		"  snaplen: 1\n", "one.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_load_string(c, "sensor-id: -1\n", "two.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "decoder.max-layers=0", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e),
			       "one.yaml:3: outputs.console.enabled: expected yes or no, got 'perhaps'");
	CU_ASSERT_EQUAL(config_set(c, "outputs.console.enabled=no", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.file, "one.yaml");
	CU_ASSERT_EQUAL(e.line, 5);
	CU_ASSERT_EQUAL(config_set(c, "pcap.snaplen=1500", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e),
			       "two.yaml:1: sensor-id: expected an integer from 0 to 4294967295, got '-1'");
	CU_ASSERT_EQUAL(config_set(c, "sensor-id=1", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), -1);
	CU_ASSERT_STRING_EQUAL(fmt_err(&e),
			       "--set: decoder.max-layers: expected an integer from 1 to 64, got '0'");
	CU_ASSERT_EQUAL(config_set(c, "decoder.max-layers=64", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	config_free(c);
}

static void test_load_errors(void)
{
	struct config *c = config_new_default();
	struct config_error e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* YAML syntax: line from libyaml, no key */
	memset(&e, 0, sizeof(e));
	CU_ASSERT_EQUAL(config_load_string(c, "pcap:\n  snaplen: 1500\n bad: [\n", "t.yaml", &e), -1);
	CU_ASSERT_STRING_EQUAL(e.file, "t.yaml");
	CU_ASSERT_EQUAL(e.line, 3);
	CU_ASSERT_STRING_EQUAL(e.key, "");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "did not find expected key"));
	CU_ASSERT_EQUAL(strncmp(fmt_err(&e), "t.yaml:3: did not find", 22), 0);

	CU_ASSERT_EQUAL(config_load_string(c, "a: 1\nb: \"open\nc: 2\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 4);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "quoted scalar"));

	CU_ASSERT_EQUAL(config_load_string(c, "a: 1\n\tb: 2\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 2);

	/* bad encoding: the line is counted from libyaml's byte offset */
	CU_ASSERT_EQUAL(config_load_string(c, "a: 1\nb: 2\nc: \"\xff\"\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 3);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "UTF-8"));

	/* structure */
	CU_ASSERT_EQUAL(config_load_string(c, "- a\n- b\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "top level"));
	CU_ASSERT_EQUAL(config_load_string(c, "pcap:\n  snaplen: 1\n  snaplen: 2\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 3);
	CU_ASSERT_STRING_EQUAL(e.key, "pcap.snaplen");
	CU_ASSERT_STRING_EQUAL(e.msg, "duplicate key");
	CU_ASSERT_EQUAL(config_load_string(c, "a: 1\n---\nb: 2\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "one YAML document"));
	CU_ASSERT_EQUAL(config_load_string(c, "pcap:\n  [a]: 1\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(e.line, 2);
	CU_ASSERT_STRING_EQUAL(e.key, "pcap");
	/* an alias that contains itself must not recurse forever */
	CU_ASSERT_EQUAL(config_load_string(c, "a: &x [*x]\n", "t.yaml", &e), -1);
	CU_ASSERT_EQUAL(config_load_string(c, "a: \"x\\0y\"\n", "t.yaml", &e), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "NUL"));

	/* none of it changed the configuration */
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	config_free(c);
}

/* Aliases are plain YAML and simply copy their value. */
static void test_aliases(void)
{
	struct config_error e;
	int rc = -1;
	struct config *c = load_validate("vars:\n"
					 "  address-groups:\n"
					 "    HOME_NET: &home \"[10.0.0.0/8]\"\n"
					 "    DMZ_NET: *home\n", &e, &rc);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "vars.address-groups.DMZ_NET"), "[10.0.0.0/8]");
	config_free(c);
}

static void test_error_format(void)
{
	struct config_error e = { .file = "f.yaml", .line = 7, .key = "a.b", .msg = "bad" };
	char small[8];

	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "f.yaml:7: a.b: bad");
	e.line = 0;
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "f.yaml: a.b: bad");
	e.key[0] = '\0';
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "f.yaml: bad");
	e.line = 3;
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "f.yaml:3: bad");
	e.file[0] = '\0';
	strcpy(e.key, "a.b");
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "a.b: bad");
	e.msg[0] = '\0';
	CU_ASSERT_STRING_EQUAL(fmt_err(&e), "a.b");
	config_error_format(&(struct config_error){ .file = "long-name.yaml", .line = 1,
						    .msg = "x" }, small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "long-na");
}

/* ---- dump ------------------------------------------------------------------- */

static void roundtrip(struct config *c)
{
	struct config_error e;
	char *one = dump_str(c), *two;
	struct config *r = config_new_default();

	CU_ASSERT_PTR_NOT_NULL_FATAL(one);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	if (config_load_string(r, one, "dump", &e) < 0)
		fprintf(stderr, "\n  dump does not load: %s\n%s", fmt_err(&e), one);
	CU_ASSERT_EQUAL(config_validate(r, &e), 0);
	two = dump_str(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(two);
	CU_ASSERT_STRING_EQUAL(one, two);
	free(one);
	free(two);
	config_free(r);
}

static void test_dump_roundtrip(void)
{
	struct config *c = config_new_default();
	struct config_error e;
	char *d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	roundtrip(c);

	/* Values that need quoting, lists of maps, nested lists. */
	CU_ASSERT_EQUAL_FATAL(config_load_string(c,
		"sensor-name: \"it's a: \\\"test\\\" # not a comment\"\n"
		"default-log-dir: \"  spaced  \"\n"
		"default-rule-path: \"yes\"\n"
		"rule-files: [\"- dash.rules\", \"null\", \"~\", \"multi\\nline\\ttab\",\n"
		"             \"#x\", '[y]', \"@z\", \"...\"]\n"
		"vars:\n"
		"  address-groups:\n"
		"    \"key: with colon\": \"!x\"\n"
		"    plain-key: -1\n"
		"outputs:\n"
		"  kafka:\n"
		"    - brokers: \"k1:9092,k2:9092\"\n"
		"      topic: alerts\n"
		"      types: [alert, stats]\n"
		"      profile: national\n"
		"      properties:\n"
		"        compression.type: zstd\n"
		"        linger.ms: 5\n"
		"    - brokers: k3:9092\n"
		"      types: []\n"
		"      properties: {}\n", "x.yaml", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	CU_ASSERT_EQUAL(config_set(c, "vars.port-groups.WEIRD=\x01\\", &e), 0);
	CU_ASSERT_EQUAL(config_validate(c, &e), 0);
	roundtrip(c);

	/* and the values themselves survive */
	{
		struct config *r = config_new_default();

		d = dump_str(c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r);
		CU_ASSERT_EQUAL_FATAL(config_load_string(r, d, "dump", &e), 0);
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "sensor-name"),
				       "it's a: \"test\" # not a comment");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "default-log-dir"), "  spaced  ");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "rule-files.0"), "- dash.rules");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "rule-files.1"), "null");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "rule-files.2"), "~");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "rule-files.3"), "multi\nline\ttab");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "rule-files.7"), "...");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "vars.address-groups.key: with colon"), "!x");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "vars.port-groups.WEIRD"), "\x01\\");
		CU_ASSERT_STRING_EQUAL(config_get_str(r, "outputs.kafka.0.properties.linger.ms"), "5");
		CU_ASSERT_EQUAL(config_count(r, "outputs.kafka"), 2);
		CU_ASSERT_EQUAL(config_count(r, "outputs.kafka.0.types"), 2);
		CU_ASSERT_EQUAL(config_count(r, "outputs.kafka.1.properties"), 0);
		/* a few lines as written */
		CU_ASSERT_PTR_NOT_NULL(strstr(d, "\nflow:\n  memcap: 128mb\n  hash-size: 65536\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(d, "\n  kafka:\n    - brokers: k1:9092,k2:9092\n"
						 "      topic: alerts\n      types:\n        - alert\n"));
		CU_ASSERT_EQUAL(strncmp(d, "%YAML 1.1\n---\n", 14), 0);
		free(d);
		config_free(r);
	}
	config_free(c);
}

/* doc/mamori.yaml is the built-in default: same text, same tree. */
static void test_doc_matches_default(void)
{
	const char *top = getenv("TOP_SRCDIR");
	struct config *c = config_new_default(), *d = config_new_default();
	struct config_error e;
	char path[4096], *text, *dc, *dd;
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	snprintf(path, sizeof(path), "%s/doc/mamori.yaml", top && *top ? top : ".");
	text = test_read_file(path, &len);
	if (!text)
		fprintf(stderr, "\n  cannot read %s (set TOP_SRCDIR)\n", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(len, strlen(builtin_yaml));
	CU_ASSERT_STRING_EQUAL(text, builtin_yaml);

	CU_ASSERT_EQUAL_FATAL(config_load_file(d, path, &e), 0);
	CU_ASSERT_EQUAL(config_validate(d, &e), 0);
	dc = dump_str(c);
	dd = dump_str(d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dd);
	CU_ASSERT_STRING_EQUAL(dc, dd);
	/* loaded over the default, every value now comes from the file */
	config_where(d, "flow.hash-size", &e);
	CU_ASSERT_STRING_EQUAL(e.file, path);
	config_where(c, "flow.hash-size", &e);
	CU_ASSERT_STRING_EQUAL(e.file, "<default>");
	free(text);
	free(dc);
	free(dd);
	config_free(c);
	config_free(d);
}

/* ---- lists and lookups -------------------------------------------------------- */

static void test_lists(void)
{
	struct config_error e;
	int rc = -1;
	struct config *c = load_validate("rule-files:\n"
					 "  - emerging.rules\n"
					 "  - local.rules\n", &e, &rc);
	const char *name, *value;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(config_count(c, "rule-files"), 2);
	name = "x";
	CU_ASSERT_EQUAL(config_child(c, "rule-files", 0, &name, &value), 0);
	CU_ASSERT_PTR_NULL(name);
	CU_ASSERT_STRING_EQUAL(value, "emerging.rules");
	CU_ASSERT_EQUAL(config_child(c, "rule-files", 1, &name, &value), 0);
	CU_ASSERT_STRING_EQUAL(value, "local.rules");
	CU_ASSERT_EQUAL(config_child(c, "rule-files", 2, &name, &value), -1);
	CU_ASSERT_EQUAL(config_child(c, "rule-files", -1, &name, &value), -1);
	CU_ASSERT_STRING_EQUAL(config_get_str(c, "rule-files.1"), "local.rules");
	CU_ASSERT_PTR_NULL(config_get_str(c, "rule-files.2"));
	CU_ASSERT_PTR_NULL(config_get_str(c, "rule-files"));
	config_where(c, "rule-files.1", &e);
	CU_ASSERT_EQUAL(e.line, 3);

	/* maps: children in file order, with names */
	CU_ASSERT_EQUAL(config_child(c, "vars.port-groups", 0, &name, &value), 0);
	CU_ASSERT_STRING_EQUAL(name, "HTTP_PORTS");
	CU_ASSERT_STRING_EQUAL(value, "80");
	CU_ASSERT_EQUAL(config_child(c, "decoder", 1, &name, &value), 0);
	CU_ASSERT_STRING_EQUAL(name, "vxlan");
	CU_ASSERT_PTR_NULL(value);
	CU_ASSERT_EQUAL(config_count(c, "decoder.vxlan"), 2);
	CU_ASSERT_EQUAL(config_count(c, "pcap.snaplen"), 0);
	CU_ASSERT_EQUAL(config_count(c, "no.such"), 0);
	CU_ASSERT_EQUAL(config_child(c, "pcap.snaplen", 0, &name, &value), -1);
	config_free(c);
}

static void test_lookups(void)
{
	struct config *c = config_new_default();
	int64_t i = 99;
	bool b;
	uint64_t sz;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NULL(config_get_str(c, "flow"));
	CU_ASSERT_PTR_NULL(config_get_str(c, "flow.nothing"));
	CU_ASSERT_PTR_NULL(config_get_str(c, "flow."));
	CU_ASSERT_PTR_NULL(config_get_str(c, ".flow"));
	CU_ASSERT_EQUAL(config_get_int(c, "sensor-name", &i), -1);
	CU_ASSERT_EQUAL(i, 99);
	CU_ASSERT_EQUAL(config_get_int(c, "flow.memcap", &i), -1);
	CU_ASSERT_EQUAL(config_get_size(c, "flow.hash-size", &sz), 0);
	CU_ASSERT_EQUAL(sz, 65536);
	CU_ASSERT_EQUAL(config_get_bool(c, "flow.hash-size", &b), -1);
	CU_ASSERT_EQUAL(config_get_bool(c, "outputs.eve-log.flow.enabled", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(config_get_int(c, "flow-timeouts.tcp.established", &i), 0);
	CU_ASSERT_EQUAL(i, 600);
	config_free(c);
}

/* ---- value parsers -------------------------------------------------------------- */

static void test_parse_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1kb", 1024 },
		{ "2k", 2048 },
		{ "3KiB", 3072 },
		{ "64mb", UINT64_C(64) << 20 },
		{ "64MB", UINT64_C(64) << 20 },
		{ "5m", UINT64_C(5) << 20 },
		{ "7MiB", UINT64_C(7) << 20 },
		{ "1gb", UINT64_C(1) << 30 },
		{ "2G", UINT64_C(2) << 30 },
		{ "3gib", UINT64_C(3) << 30 },
		{ "10 mb", UINT64_C(10) << 20 },
		{ "17179869183gb", UINT64_C(17179869183) << 30 },
		{ "18446744073709551615", UINT64_MAX },
	};
	static const char *const bad[] = {
		"", "mb", "abc", "-1", "+1", " 1", "1 ", "1.5mb", "1tb", "1 m b", "1kbb",
		"0x10", "1e3",
		"18446744073709551616",         /* > UINT64_MAX */
		"17179869184gb",                /* 2^64 */
		"18014398509481984k",           /* 2^64 */
		"99999999999999999999999mb",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		if (config_parse_size(good[i].s, &v) != 0 || v != good[i].v)
			fprintf(stderr, "\n  size '%s' -> %llu\n", good[i].s,
				(unsigned long long)v);
		CU_ASSERT_EQUAL(config_parse_size(good[i].s, &v), 0);
		CU_ASSERT_EQUAL(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_size(bad[i], &v) != -1)
			fprintf(stderr, "\n  size '%s' accepted\n", bad[i]);
		CU_ASSERT_EQUAL(config_parse_size(bad[i], &v), -1);
		CU_ASSERT_EQUAL(v, 12345);
	}
}

static void test_parse_bool(void)
{
	static const char *const yes[] = { "yes", "YES", "Yes", "true", "True", "on", "ON", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "Off", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yess", "enabled", " yes" };
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		CU_ASSERT_EQUAL(config_parse_bool(yes[i], &b), 0);
		CU_ASSERT_TRUE(b);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		b = true;
		CU_ASSERT_EQUAL(config_parse_bool(no[i], &b), 0);
		CU_ASSERT_FALSE(b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(config_parse_bool(bad[i], &b), -1);
}

static const struct test_case default_cases[] = {
	{ "default loads and validates", test_default_valid },
	{ "apply defaults", test_apply_defaults },
	{ "apply values", test_apply_values },
	{ "apply anomaly", test_apply_anomaly },
	{ "apply rejects unusable values", test_apply_rejects },
	{ "doc/mamori.yaml equals the default", test_doc_matches_default },
	{ NULL, NULL }
};

static const struct test_case load_cases[] = {
	{ "load file merges", test_load_file_merges },
	{ "failed load keeps config", test_load_error_keeps_config },
	{ "--set", test_set },
	{ "--set into lists", test_set_lists },
	{ "aliases", test_aliases },
	{ "lists", test_lists },
	{ "lookups", test_lookups },
	{ "dump roundtrip", test_dump_roundtrip },
	{ NULL, NULL }
};

static const struct test_case error_cases[] = {
	{ "unknown key", test_unknown_key },
	{ "wrong types", test_wrong_types },
	{ "earliest error first", test_error_order },
	{ "load errors", test_load_errors },
	{ "error format", test_error_format },
	{ NULL, NULL }
};

static const struct test_case parse_cases[] = {
	{ "sizes", test_parse_size },
	{ "booleans", test_parse_bool },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "config default", NULL, NULL, default_cases },
	{ "config load", NULL, NULL, load_cases },
	{ "config errors", NULL, NULL, error_cases },
	{ "config parse", NULL, NULL, parse_cases },
	{ NULL, NULL, NULL, NULL }
};
