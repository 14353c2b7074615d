/*
 * flow: per-worker bounded flow table, TCP state, timeouts, flow ids and
 * Community ID v1.
 *
 * Each worker owns one table; nothing in it is shared. All flows are
 * allocated up front (the count comes from flow.memcap or flow.max-flows) and
 * recycled through a free list, so the packet path never allocates. A flow
 * sits on one hash chain and on one LRU list per timeout class (protocol x
 * state); each list is ordered by last activity, so the timeout sweep pops
 * expired flows from list heads in O(expired), within a budget, between
 * bursts. A full table evicts the least recently active flow, preferring
 * closed, then new, then established flows, and counts it.
 */
#ifndef MAMORI_FLOW_H
#define MAMORI_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/decode.h"
#include "mamori/stream.h"

/* Direction of a packet within its flow. */
enum flow_dir { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

/*
 * Symmetric key: the endpoint pair is stored in a canonical order (lower
 * address, then lower port, first) so both directions find the same flow.
 */
struct flow_key {
	union ip_addr addr[2];
	uint16_t port[2];   /* ICMP: identifier for echo-like types, else 0 */
	uint16_t vlan;      /* outermost VLAN id, 0 when untagged */
	uint8_t proto;
	uint8_t ip_ver;
};

enum tcp_state {
	TCP_STATE_NONE = 0,     /* not TCP, or first packet not a SYN */
	TCP_STATE_SYN_SENT,
	TCP_STATE_SYN_RECV,     /* SYN-ACK seen */
	TCP_STATE_ESTABLISHED,
	TCP_STATE_CLOSING,      /* FIN seen */
	TCP_STATE_CLOSED,       /* FIN both ways, final ACK */
	TCP_STATE_RESET,
};

/* Timeout classes follow suricata.yaml's flow-timeouts: new, established, closed. */
enum flow_tstate { FLOW_TS_NEW = 0, FLOW_TS_ESTABLISHED, FLOW_TS_CLOSED, FLOW_TS_MAX };
enum flow_proto_class { FLOW_PC_DEFAULT = 0, FLOW_PC_TCP, FLOW_PC_UDP, FLOW_PC_ICMP, FLOW_PC_MAX };

/* struct flow.list: the timeout list a flow is on, one per (class, state). */
#define FLOW_LIST(pc, ts) ((pc) * FLOW_TS_MAX + (ts))
#define FLOW_LIST_NONE 0xff

/* struct flow.flags */
#define FLOW_F_MIDSTREAM 0x0001  /* TCP flow first seen without a bare SYN */
#define FLOW_F_ESTABLISHED 0x0002 /* TCP: handshake completed, or picked up
				   * midstream with stream.midstream on */
/* TCP: the flow was established before the current packet. Detection's
 * flow:established reads this, as Suricata judges a packet by the session
 * state it arrives in: the ACK completing a handshake (or the packet a
 * midstream session is picked up on) is not yet established. */
#define FLOW_F_PKT_ESTABLISHED 0x0004

enum flow_end_reason {
	FLOW_END_TIMEOUT = 0,
	FLOW_END_EVICTED,   /* table full */
	FLOW_END_SHUTDOWN,  /* still active at exit */
	FLOW_END_REUSED,    /* TCP port reuse: a new SYN on a closed flow */
};

/* flowbit storage per flow: FLOW_BITS_MAX bits */
#define FLOW_BITS_WORDS 4
#define FLOW_BITS_MAX (64 * FLOW_BITS_WORDS)

/* Stream bytes kept per direction for content spanning segments. */
#define FLOW_CARRY_MAX 64

struct flow {
	struct flow_key key;
	struct flow *hnext;              /* hash chain */
	struct flow *lprev, *lnext;      /* LRU list of its timeout class */
	uint64_t flow_id;                /* 51 bits, nonzero, unique per run */
	uint64_t start_us, last_us;
	uint64_t pkts[2], bytes[2];      /* indexed by enum flow_dir */
	uint32_t hash;
	uint8_t client;                  /* key index (0/1) of the initiator */
	uint8_t tcp_state;               /* enum tcp_state */
	uint8_t tcp_flags[2];            /* flags seen per direction */
	uint8_t list;                    /* timeout list it is on: FLOW_LIST(pc, ts) */
	uint8_t alerted;                 /* set by detection; for flow records */
	uint8_t icmp_type, icmp_code;    /* of the first packet (Community ID) */
	uint16_t flags;                  /* FLOW_F_* */
	/* flowbits set by detection, indexed by the ruleset's interned bit
	 * ids; a rule naming an id >= FLOW_BITS_MAX is not run. Zeroed with
	 * the rest of the flow when it is created or reused. */
	uint64_t bits[FLOW_BITS_WORDS];
	/* the application layer's per-flow part (applayer.h): TCP streams,
	 * the detected protocol and its parser's state; zeroed with the flow */
	struct flow_app {
		struct stream_dir stream[2];
		void *state;             /* parser state from the worker's pool */
		uint8_t proto;           /* enum app_proto */
		uint8_t done;            /* bit per direction: parser finished */
		/* bit per direction: its protocol is decided (detected from
		 * its bytes, or its first bytes came after the flow's was,
		 * or detection failed), as Suricata's per-direction alproto */
		uint8_t pd;
		uint8_t pkt;             /* FLOW_APP_PKT_*: the current packet's doing */
		/* the first bytes of each direction, probed together while the
		 * protocol is unknown (a request split as "GE" + "T /" still
		 * reads as HTTP) */
		uint8_t prelen[2];
		uint8_t pre[2][24];
		/* the last stream bytes each direction delivered, for matches
		 * across segment boundaries (detect_stream_begin) */
		uint8_t carry_len[2];
		uint8_t carry[2][FLOW_CARRY_MAX];
	} app;
};

/* flow_app.pkt, cleared for each packet the application layer sees: it
 * decided direction d's protocol (app-layer-protocol's "protocol
 * detection done" packet), it gave direction d's parser data (ssl_state). */
#define FLOW_APP_PKT_PD(d)   (1u << (d))
#define FLOW_APP_PKT_DATA(d) (4u << (d))

struct flow_config {
	uint32_t hash_size;      /* buckets, rounded up to a power of two */
	uint32_t max_flows;      /* preallocated flows */
	uint32_t timeout[FLOW_PC_MAX][FLOW_TS_MAX]; /* seconds */
	uint16_t community_id_seed;
	uint16_t worker_id;      /* mixed into flow_id */
	/* stream.midstream: take up TCP sessions whose SYN was not seen.
	 * Off (Suricata's default), such a flow is never established and its
	 * first packet's sender is the client; on, a first SYN-ACK makes its
	 * receiver the client and the client's ACK establishes the flow, and
	 * any other first packet but a RST establishes it from the next
	 * packet on. */
	bool midstream;
	/* Same value for every worker of a run (0 is fine): keys the flow_id
	 * permutation, so runs and sensors given different seeds number their
	 * flows differently, and the table's own hash against crafted keys. */
	uint64_t run_seed;
};

/* Per-worker counters (stats record "flow"). */
struct flow_stats {
	uint64_t total;          /* flows created */
	uint64_t active;         /* flows in the table now */
	uint64_t tcp, udp, icmpv4, icmpv6, other; /* created, by protocol */
	uint64_t timeout;        /* ended by timeout */
	uint64_t evicted;        /* ended because the table was full */
	uint64_t reused;         /* TCP port reuse */
	uint64_t shutdown;       /* still active at exit */
	uint64_t tcp_established;/* flows that completed a handshake */
	uint64_t no_flow;        /* packets without a flow (non-IP, fragments) */
};

void flow_config_default(struct flow_config *cfg);

/*
 * Called once for every flow that ends (timeout, eviction, reuse, flush),
 * before its memory is recycled. May be NULL.
 */
typedef void (*flow_end_fn)(void *arg, struct flow *f, enum flow_end_reason why);

struct flow_table;

struct flow_table *flow_table_create(const struct flow_config *cfg,
				     flow_end_fn on_end, void *arg);
void flow_table_destroy(struct flow_table *ft);
const struct flow_stats *flow_table_stats(const struct flow_table *ft);

/* Build the canonical key of a decoded packet; false when it has none
 * (not IP, or a non-first fragment). *swapped is set when the packet's
 * source is key side 1. */
bool flow_key_from_packet(const struct packet *p, struct flow_key *k, bool *swapped);

/* Look up without creating. */
struct flow *flow_lookup(struct flow_table *ft, const struct packet *p);

/*
 * The packet path: find or create the flow of p, update its counters and
 * TCP state, move it to the tail of its LRU list, and return it with *dir
 * set. NULL when the packet has no flow (counted as no_flow).
 */
struct flow *flow_packet(struct flow_table *ft, const struct packet *p,
			 enum flow_dir *dir);

/* Expire flows idle past their timeout at now_us, at most budget of them.
 * Returns how many ended. */
unsigned flow_sweep(struct flow_table *ft, uint64_t now_us, unsigned budget);

/* End every flow (shutdown). */
void flow_table_flush(struct flow_table *ft);

/*
 * Community ID v1 of a flow, oriented from its initiator:
 * "1:" + base64(SHA1(seed, addresses, proto, pad, ports)). buf >= 32 bytes.
 */
const char *flow_community_id(const struct flow *f, uint16_t seed, char *buf, size_t len);

/* Community ID v1 of an explicit tuple (src is the originator). For ICMP,
 * sport/dport carry type/code as the spec describes. */
const char *community_id_v1(uint16_t seed, int ip_ver, const union ip_addr *src,
			    const union ip_addr *dst, uint8_t proto,
			    uint16_t sport, uint16_t dport, char *buf, size_t len);

/* Endpoints of f as client/server. */
void flow_endpoints(const struct flow *f, const union ip_addr **csrc, uint16_t *cport,
		    const union ip_addr **sdst, uint16_t *sport);

const char *tcp_state_name(enum tcp_state s);

void flow_stats_add(struct flow_stats *dst, const struct flow_stats *src);

/* SHA-1 (FIPS 180-4), used by Community ID. */
void mamori_sha1(const void *data, size_t len, uint8_t out[20]);

#endif
