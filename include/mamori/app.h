/*
 * app: the contract between application-layer parsers and detection.
 *
 * A parser (HTTP/1, DNS, TLS, ...) is fed the bytes of one flow direction
 * in order (a UDP datagram, or reassembled TCP stream data) and calls back
 * with inspection points: the buffers of a transaction, or of a part of
 * one, that are complete now (request line and headers; a body chunk; a
 * response; a DNS message; a ClientHello). Buffers are keyed by the rule
 * language's buffer ids (enum rule_buffer: RULE_BUF_HTTP_URI, ...), so a
 * rule's `http.uri; content:...` runs on exactly what the parser put in
 * buf[RULE_BUF_HTTP_URI]. Slices point into the parser's own state and are
 * valid only during the callback.
 *
 * Parsers allocate nothing while parsing: their per-flow state has fixed
 * bounds (header and body limits are configuration), and whatever exceeds
 * a bound is cut and counted as a parser event, never a crash. The same
 * for malformed input: an event, and the parser either resynchronises or
 * stops parsing that flow (app_proto becomes failed).
 */
#ifndef MAMORI_APP_H
#define MAMORI_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori/rule.h"

enum app_proto {
	APP_PROTO_UNKNOWN = 0,
	APP_PROTO_HTTP,
	APP_PROTO_DNS,
	APP_PROTO_TLS,
	APP_PROTO_FAILED,               /* detection gave up on this flow */
	APP_PROTO_MAX
};

/* "http", "dns", "tls", "failed", or NULL for unknown (EVE app_proto). */
const char *app_proto_name(enum app_proto p);

struct app_slice {
	const uint8_t *p;
	uint32_t len;
};

/*
 * What an alert on an application-layer match reports (EVE's http, dns and
 * tls objects). Strings are NUL-terminated, cut to their array, empty when
 * absent; numbers 0 when absent.
 */
struct app_meta_http {
	char hostname[128];
	char url[256];
	char http_user_agent[160];
	char http_method[16];
	char protocol[16];
	char http_content_type[64];
	uint16_t status;
	uint64_t length;                /* response body bytes seen */
};

struct app_meta_dns {
	char rrname[256];
	uint16_t rrtype;
	uint16_t id;
	uint16_t rcode;
	bool response;
};

struct app_meta_tls {
	char sni[256];
	char version[16];               /* "TLS 1.2", "TLSv1.3" as Suricata: "TLS 1.3" */
	char ja3_hash[33];
	char ja3s_hash[33];
	char subject[256];
	char issuerdn[256];
};

struct app_meta {
	uint8_t proto;                  /* enum app_proto */
	union {
		struct app_meta_http http;
		struct app_meta_dns dns;
		struct app_meta_tls tls;
	} u;
};

/* One inspection point. */
struct app_inspect {
	uint8_t proto;                  /* enum app_proto */
	uint8_t dir;                    /* enum flow_dir: 0 to server, 1 to client */
	/* TLS: the handshake message the point completes (1 ClientHello,
	 * 2 ServerHello, 11 Certificate, 12 ServerKeyExchange, 16
	 * ClientKeyExchange; the last two carry no buffer, they are there for
	 * ssl_state); 0 for other protocols */
	uint8_t tls_hs;
	uint64_t tx_id;                 /* per flow, from 0 */
	/* buf[b].p == NULL: buffer b is absent at this point */
	struct app_slice buf[RULE_BUF_MAX];
	const struct app_meta *meta;    /* for the alert record */
};

typedef void (*app_inspect_fn)(void *arg, const struct app_inspect *in);

/* Parser events (anomalies), counted per worker and named in the stats
 * record as app_layer.event.<proto>.<name>. */
typedef void (*app_event_fn)(void *arg, unsigned event);

#endif
