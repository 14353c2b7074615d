/*
 * applayer: the worker's application layer. Per TCP flow direction the
 * stream is reassembled (stream.h); its in-order bytes, and each UDP
 * datagram, go to protocol detection and then to the flow's parser (HTTP,
 * DNS, TLS), whose inspection points go to detection (detect_app).
 *
 * Protocol detection looks at the first bytes each direction delivers:
 * a parser's probe (an HTTP method or status line, a TLS handshake record,
 * a DNS message on port 53), never the port alone. A flow that matches no
 * probe within its first APP_PROBE_BYTES per direction is marked failed
 * and costs nothing more.
 *
 * The worker runs it only when rules are loaded: mamori writes no protocol
 * logs, so without rules nothing would consume what the parsers produce.
 *
 * Parser states come from a per-worker pool: freed states are kept for the
 * next flow, new ones are allocated (once per flow, never per packet) while
 * the pool's memory stays under app-layer memcap; past it the flow is not
 * parsed and the refusal is counted.
 */
#ifndef MAMORI_APPLAYER_H
#define MAMORI_APPLAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori/app.h"
#include "mamori/decode.h"
#include "mamori/flow.h"
#include "mamori/http.h"
#include "mamori/stream.h"

#define APP_PROBE_BYTES 2048

struct applayer_config {
	bool enabled;                   /* app-layer.enabled */
	uint64_t memcap;                /* parser states, bytes per worker */
	struct http_config http;
	struct stream_config stream;    /* memcap: this worker's share */
};

void applayer_config_default(struct applayer_config *c);

/* Per-worker counters (stats record "app_layer"). */
struct applayer_stats {
	uint64_t flows[APP_PROTO_MAX];  /* flows detected per protocol (FAILED: none) */
	uint64_t tx[APP_PROTO_MAX];     /* inspection points per protocol */
	uint64_t memcap_refused;        /* flows not parsed: parser memory full */
	uint64_t gaps;                  /* directions a stream gap ended the parsing of */
	uint64_t memuse;                /* parser state bytes allocated now */
	uint64_t http_events[64];       /* by http_event_name() index */
	uint64_t tls_events[32];        /* by tls_event_name() index */
	uint64_t dns_events[32];        /* by dns_event_name() index */
};

void applayer_stats_add(struct applayer_stats *dst, const struct applayer_stats *src);

struct applayer;

/* NULL when memory is short (logged). */
struct applayer *applayer_new(const struct applayer_config *c);
void applayer_free(struct applayer *al);
const struct applayer_stats *applayer_stats(const struct applayer *al);
const struct stream_stats *applayer_stream_stats(const struct applayer *al);

/*
 * The worker's hooks: inspect gets the parsers' inspection points, with p
 * the packet that completed them (detection may run there); raw, when set,
 * gets every in-order stream delivery of every TCP flow (stream rules),
 * and keeps reassembly going where no parser needs it. Either may be NULL.
 */
typedef void (*applayer_inspect_fn)(void *arg, const struct packet *p, struct flow *f,
				    const struct app_inspect *in);
typedef void (*applayer_raw_fn)(void *arg, const struct packet *p, struct flow *f,
				enum flow_dir dir, const uint8_t *data, uint32_t len,
				unsigned flags);
struct applayer_hooks {
	applayer_inspect_fn inspect;
	applayer_raw_fn raw;
};

/*
 * One decoded packet of flow f (direction dir). Nothing is allocated per
 * packet. Returns APPLAYER_* flags: COVERED when the TCP stream took p's
 * payload (delivered it, held it for later, or had delivered those bytes
 * already), so whoever inspects the stream has p's bytes (never for UDP, a
 * payload-less packet, a direction not tracked, past the depth or after
 * the close); RETRANS when, besides, every byte of it had been delivered
 * before (a retransmission, or an overlap bringing nothing new).
 */
#define APPLAYER_COVERED 0x1
#define APPLAYER_RETRANS 0x2
unsigned applayer_packet(struct applayer *al, const struct packet *p, struct flow *f,
			 enum flow_dir dir, const struct applayer_hooks *h, void *arg);

/* The flow ends: parse what the streams still hold, inspected against
 * pseudo[dir], a payload-less packet of the flow in that direction (NULL:
 * not inspected), and give the stream blocks and the parser state back. */
void applayer_flow_end(struct applayer *al, struct flow *f, const struct packet *const pseudo[2],
		       const struct applayer_hooks *h, void *arg);

#endif
