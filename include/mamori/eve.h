/*
 * eve: the alert/flow record that workers hand to the output thread, and
 * its EVE JSON form (Suricata's field names, one object per line).
 *
 * Workers fill a fixed-size `struct event_record` in place in their event
 * ring (no pointers into packet buffers or rules survive the hand-off: a
 * ruleset may be reloaded and a batch recycled while the record waits).
 * Formatting to JSON happens only in the output thread.
 */
#ifndef MAMORI_EVE_H
#define MAMORI_EVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/app.h"
#include "mamori/decode.h"
#include "mamori/stats.h"

#define EVENT_PAYLOAD_MAX 1024
#define EVENT_SIG_MAX 256
#define EVENT_CATEGORY_MAX 96
#define EVENT_METADATA_MAX 256

enum event_type { EVENT_ALERT = 1, EVENT_FLOW = 2 };

enum alert_action { ALERT_ACTION_ALLOWED = 0, ALERT_ACTION_BLOCKED };

struct event_alert {
	uint32_t gid, sid, rev;
	uint8_t severity;          /* 1 (high) .. 4 */
	uint8_t action;            /* enum alert_action */
	uint8_t stream;            /* matched on reassembled stream bytes (the
				    * record's payload then holds those) */
	char signature[EVENT_SIG_MAX];
	char category[EVENT_CATEGORY_MAX];
	/* metadata as a ready JSON object body, e.g. "\"k\":[\"v\"]"; "" = none */
	char metadata[EVENT_METADATA_MAX];
};

/* An anomaly alert (DESIGN.md: alert.category "Anomaly" and this object);
 * detector "" on every other alert. */
struct event_anomaly {
	char detector[24];
	float score;               /* >= 1 alarms */
	float threshold;           /* what the driving feature had to reach */
	uint32_t window_s;
	uint32_t update;           /* 0: the episode's first alert, then 1, 2.. */
	uint64_t first_us;         /* episode start */
	uint64_t probes;           /* attempts, packets or queries so far */
	uint8_t victim;            /* keyed by destination (floods) */
	char features[320];        /* JSON object body, e.g. "\"syn_rate\":1500" */
};

struct event_flow {
	uint64_t pkts_toserver, pkts_toclient;
	uint64_t bytes_toserver, bytes_toclient;
	uint64_t start_us, end_us;
	uint8_t tcp_state;         /* enum tcp_state */
	uint8_t end_reason;        /* enum flow_end_reason */
	uint8_t alerted;
	uint8_t tcp_flags_ts, tcp_flags_tc;
};

struct event_record {
	uint8_t type;              /* enum event_type */
	uint8_t ip_ver;
	uint8_t proto;
	uint8_t icmp_type, icmp_code;
	uint8_t vlan_count;
	uint16_t vlan[2];
	uint16_t sport, dport;
	uint16_t worker;
	union ip_addr src, dst;
	uint64_t ts_us;            /* packet time (alert) or flow end (flow) */
	uint64_t capture_us;       /* wall clock when the packet was received */
	uint64_t flow_id;
	char community_id[32];
	struct event_flow flow;
	struct event_alert alert;
	struct app_meta app;       /* alert on an app-layer match; proto 0: none */
	struct event_anomaly anomaly;
	uint16_t payload_len;
	uint8_t payload[EVENT_PAYLOAD_MAX];
};

/* A bounded output buffer; overflow sets `truncated` and stops appending.
 * The text stays NUL-terminated, so at most cap - 1 bytes are used; a token
 * or escape that does not fit is not written in part. */
struct json_buf {
	char *buf;
	size_t len, cap;
	bool truncated;
};

void json_init(struct json_buf *j, char *buf, size_t cap);
void json_raw(struct json_buf *j, const char *s, size_t n);
void json_str(struct json_buf *j, const char *s, size_t n);  /* quoted, escaped */
void json_cstr(struct json_buf *j, const char *s);          /* quoted, escaped */
void json_u64(struct json_buf *j, uint64_t v);
void json_i64(struct json_buf *j, int64_t v);
void json_base64(struct json_buf *j, const uint8_t *d, size_t n);  /* quoted */
/* "key": prefixed by a comma unless first */
void json_key(struct json_buf *j, const char *key, bool *first);

/* ISO 8601, microseconds and offset: 2026-11-23T05:46:28.123456+0000 (UTC).
 * Returns the length (31 for years 1000..9999), or 0 with buf = "" when
 * len is too small. */
size_t eve_timestamp(uint64_t ts_us, char *buf, size_t len);

/* Protocol name as EVE writes it: "TCP", "UDP", "ICMP", "IPv6-ICMP", or number */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

struct eve_ctx {
	const char *sensor_name;
	uint32_t sensor_id;
	bool log_payload;          /* outputs.eve-log.types.alert.payload */
	bool log_payload_printable;
	bool stats_decoder_events; /* stats.decoder-events: decoder.event in stats */
};

/* Append one EVE JSON object (no newline) for ev. Returns 0 or -ENOSPC
 * (-EINVAL for an unknown ev->type); on error nothing is appended. */
int eve_format_event(struct json_buf *j, const struct eve_ctx *ctx,
		     const struct event_record *ev);

/* Append the stats record for s. Returns 0 or -ENOSPC (nothing appended). */
int eve_format_stats(struct json_buf *j, const struct eve_ctx *ctx,
		     const struct stats_snapshot *s);

/* One line like Suricata's fast.log for the console, UTC, no newline.
 * Returns its length (truncated to len - 1 when buf is short). */
size_t eve_format_fast(char *buf, size_t len, const struct event_record *ev);

#endif
