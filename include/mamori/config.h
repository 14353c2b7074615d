/*
 * config: YAML configuration (suricata.yaml key names where the concept
 * exists), the built-in default, --set overrides, validation against a
 * schema, and the typed runtime view the rest of mamori reads.
 *
 * The file is parsed with libyaml into a small tree of maps, lists and
 * scalars that remembers the file and line of every node, so an unknown key
 * or a bad value is reported as "FILE:LINE: KEY: reason". Validation walks the
 * tree against a schema table of key patterns; `*` matches any map key (the
 * names under vars.address-groups) and `#` any list index.
 */
#ifndef MAMORI_CONFIG_H
#define MAMORI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mamori/applayer.h"
#include "mamori/anomaly.h"
#include "mamori/decode.h"
#include "mamori/defrag.h"
#include "mamori/flow.h"
#include "mamori/stream.h"

struct config_error {
	char file[256];        /* "<default>", "--set", or the YAML path */
	int line;              /* 1-based; 0 when unknown */
	char key[256];         /* dotted key path, e.g. flow.hash-size */
	char msg[256];
};

/* "FILE:LINE: KEY: msg" */
void config_error_format(const struct config_error *e, char *buf, size_t len);

struct config;

/* The built-in default configuration (always valid). */
struct config *config_new_default(void);
void config_free(struct config *c);

/* Merge a YAML file over what c holds (maps merge key by key; scalars and
 * lists replace). Returns 0 or -1 with *err filled. */
int config_load_file(struct config *c, const char *path, struct config_error *err);
/* Same from a string (tests). name is used as the file name in errors. */
int config_load_string(struct config *c, const char *yaml, const char *name,
		       struct config_error *err);

/* --set KEY=VALUE: set one scalar (creating maps on the path). */
int config_set(struct config *c, const char *assignment, struct config_error *err);

/* Check every key against the schema and every value against its type.
 * Returns 0 or -1 with the first error in *err. */
int config_validate(const struct config *c, struct config_error *err);

/* Print the effective configuration as YAML. */
void config_dump(const struct config *c, FILE *out);

/* Lookups by dotted path; NULL/-1 when absent or of another type. */
const char *config_get_str(const struct config *c, const char *key);
int config_get_bool(const struct config *c, const char *key, bool *out);
int config_get_int(const struct config *c, const char *key, int64_t *out);
/* Sizes accept a number with an optional kb/mb/gb (or k/m/g, KiB...) suffix. */
int config_get_size(const struct config *c, const char *key, uint64_t *out);
/* Number of children of a map or list at key (0 when absent). */
int config_count(const struct config *c, const char *key);
/* i-th child of a map or list: its key name (maps; NULL for lists) and its
 * scalar value (NULL when not a scalar). Returns 0 or -1. */
int config_child(const struct config *c, const char *key, int i,
		 const char **name, const char **value);

/* Where a key came from, for errors raised after validation. */
void config_where(const struct config *c, const char *key, struct config_error *err);

/* Parse helpers (also used for command-line values). */
int config_parse_bool(const char *s, bool *out);
int config_parse_size(const char *s, uint64_t *out);

/* The typed runtime view. Strings point into the config tree. */
struct mamori_config {
	const char *sensor_name;
	uint32_t sensor_id;
	const char *log_dir;           /* default-log-dir */
	const char *rule_path;         /* default-rule-path */
	const char *classification_file; /* classification-file ("" = default) */
	const char *hs_cache_dir;      /* detect.hs-cache-dir ("" = no cache) */
	unsigned workers;              /* threading.workers, 0 = auto */
	uint32_t dispatch_ring_size;   /* threading.dispatch-ring-size (batches) */
	uint32_t event_ring_size;      /* threading.event-ring-size (records) */

	const char *pcap_interface;    /* pcap.interface */
	int snaplen;                   /* pcap.snaplen */
	bool promisc;                  /* pcap.promisc */
	uint64_t pcap_buffer_size;     /* pcap.buffer-size */
	const char *bpf_filter;        /* pcap.bpf-filter */
	unsigned pcap_file_loop;       /* pcap-file.loop: read -r FILE this often */

	const char *dpdk_port;         /* dpdk.port ("" = the only port) */
	unsigned dpdk_rx_desc;         /* dpdk.rx-descriptors */
	unsigned dpdk_mtu;             /* dpdk.mtu (0 = port default) */
	bool dpdk_promisc;             /* dpdk.promisc */
	unsigned dpdk_link_wait;       /* dpdk.link-wait (s) */
	unsigned dpdk_mempool_size;    /* dpdk.mempool-size (0 = auto) */
	bool dpdk_assume_rss;          /* dpdk.assume-rss */
	/* dpdk.eal-args is a list: config_count/config_child */

	struct decode_config decode;   /* decoder.*, capture.checksum-validation */

	struct defrag_config defrag;   /* defrag.*: totals over all workers;
					* seed is set at runtime */

	uint64_t flow_memcap;          /* flow.memcap (all workers together) */
	uint32_t flow_hash_size;       /* flow.hash-size (per worker) */
	struct flow_config flow;       /* flow-timeouts.*, community-id-seed,
					* stream.midstream */
	struct stream_config stream;   /* stream.reassembly.*: memcap for all
					* workers together (the runtime divides
					* it), depth, max-ooo-bytes, policy;
					* midstream copies stream.midstream */

	/* app-layer.*: memcap for all workers together (the runtime
	 * divides it); stream is copied in by the runtime */
	struct applayer_config applayer;
	/* set by the runtime, not the file: the workers that share the
	 * memcaps above (0 in tests: one) */
	unsigned run_workers;
	uint64_t http_request_body_limit;      /* copied into applayer.http */
	uint64_t http_response_body_limit;
	uint32_t http_decompress_layers;

	bool stats_enabled;            /* stats.enabled */
	unsigned stats_interval;       /* stats.interval (s) */
	bool stats_decoder_events;     /* stats.decoder-events */

	bool eve_enabled;              /* outputs.eve-log.enabled */
	const char *eve_filename;      /* outputs.eve-log.filename */
	bool eve_alert, eve_flow, eve_stats;
	bool eve_payload, eve_payload_printable;
	bool community_id;             /* outputs.eve-log.community-id */
	bool console_alerts;           /* outputs.console.enabled */

	struct anomaly_config anomaly; /* anomaly.* */
};

/* Fill *rc from a validated config. Returns 0 or -1 with *err naming the
 * key whose value cannot be used. */
int config_apply(const struct config *c, struct mamori_config *rc,
		 struct config_error *err);

#endif
