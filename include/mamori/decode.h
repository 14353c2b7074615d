/*
 * decode: link layer to transport layer, zero copy.
 *
 * A `struct packet` points into the capture buffer (a libpcap buffer, a
 * dispatch batch or a DPDK mbuf) and records where each layer starts. The
 * decoder never copies packet bytes, never allocates and never logs: what is
 * wrong with a packet becomes a decoder event on the packet and a counter in
 * the worker's `struct decode_stats` (Suricata's decode-events model).
 *
 * Tunnels (GRE, ERSPAN type II, VXLAN, IP-in-IP) are decoded through: the
 * fields of `struct packet` describe the innermost packet, the outer layers
 * are kept in `tunnel[]`. ICMP errors quote the offending IP header; it is
 * parsed into `icmp_inner` for later detectors but never counted as traffic.
 */
#ifndef MAMORI_DECODE_H
#define MAMORI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types we decode (values are libpcap's DLT_/LINKTYPE_ numbers). */
enum linktype {
	LINKTYPE_NULL_BSD = 0,    /* BSD loopback: 4-byte host-order family */
	LINKTYPE_ETHERNET = 1,
	LINKTYPE_RAW = 101,       /* raw IPv4/IPv6, version from first nibble */
	LINKTYPE_LOOP = 108,      /* OpenBSD loopback: 4-byte network order */
	LINKTYPE_LINUX_SLL = 113,
	LINKTYPE_LINUX_SLL2 = 276,
	LINKTYPE_IPV4 = 228,
	LINKTYPE_IPV6 = 229,
	LINKTYPE_DLT_RAW = 12,    /* DLT_RAW on some platforms */
	LINKTYPE_C_HDLC = 104,    /* Cisco HDLC: address, control, ethertype */
};

/*
 * Decoder events: one per reason a packet (or one of its layers) is
 * malformed or suspicious. Names follow Suricata's decoder event names where
 * one exists. Each event is either fatal or not, always (see
 * decode_event_fatal()): a fatal event stops decoding and makes the packet
 * invalid (PKT_INVALID, decoder.invalid), a non-fatal one (a bad option, a
 * payload cut by the snap length, a bad checksum) is recorded and decoding
 * goes on. New events are appended, so existing values never change. The
 * *_FRAG_* events are raised by defragmentation (defrag.h), not by the
 * decoder; none is fatal.
 */
#define DECODE_EVENTS(X)                                   \
	X(ETH_PKT_TOO_SMALL, "ethernet.pkt_too_small")     \
	X(VLAN_HEADER_TOO_SMALL, "vlan.header_too_small")  \
	X(VLAN_TOO_MANY_LAYERS, "vlan.too_many_layers")    \
	X(MPLS_HEADER_TOO_SMALL, "mpls.header_too_small")  \
	X(MPLS_UNKNOWN_PAYLOAD, "mpls.unknown_payload")    \
	X(SLL_PKT_TOO_SMALL, "sll.pkt_too_small")          \
	X(NULL_PKT_TOO_SMALL, "null.pkt_too_small")        \
	X(NULL_UNSUPPORTED_TYPE, "null.unsupported_type")  \
	X(IPV4_PKT_TOO_SMALL, "ipv4.pkt_too_small")        \
	X(IPV4_HLEN_TOO_SMALL, "ipv4.hlen_too_small")      \
	X(IPV4_IPLEN_SMALLER_THAN_HLEN, "ipv4.iplen_smaller_than_hlen") \
	X(IPV4_TRUNC_PKT, "ipv4.trunc_pkt")                \
	X(IPV4_OPT_INVALID, "ipv4.opt_invalid")            \
	X(IPV4_OPT_MALFORMED, "ipv4.opt_malformed")        \
	X(IPV4_WRONG_IP_VER, "ipv4.wrong_ip_version")      \
	X(IPV4_CSUM_INVALID, "ipv4.checksum_invalid")      \
	X(IPV6_PKT_TOO_SMALL, "ipv6.pkt_too_small")        \
	X(IPV6_TRUNC_PKT, "ipv6.trunc_pkt")                \
	X(IPV6_TRUNC_EXTHDR, "ipv6.trunc_exthdr")          \
	X(IPV6_WRONG_IP_VER, "ipv6.wrong_ip_version")      \
	X(IPV6_EXTHDR_DUPL_FH, "ipv6.exthdr_dupl_fh")      \
	X(IPV6_EXTHDR_DUPL_HH, "ipv6.exthdr_dupl_hh")      \
	X(IPV6_HOPOPTS_NOT_FIRST, "ipv6.hopopts_not_first") \
	X(IPV6_TOO_MANY_EXTHDRS, "ipv6.too_many_exthdrs")  \
	X(TCP_PKT_TOO_SMALL, "tcp.pkt_too_small")          \
	X(TCP_HLEN_TOO_SMALL, "tcp.hlen_too_small")        \
	X(TCP_INVALID_OPTLEN, "tcp.invalid_optlen")        \
	X(TCP_OPT_INVALID_LEN, "tcp.opt_invalid_len")      \
	X(TCP_CSUM_INVALID, "tcp.checksum_invalid")        \
	X(UDP_PKT_TOO_SMALL, "udp.pkt_too_small")          \
	X(UDP_HLEN_INVALID, "udp.hlen_invalid")            \
	X(UDP_CSUM_INVALID, "udp.checksum_invalid")        \
	X(ICMPV4_PKT_TOO_SMALL, "icmpv4.pkt_too_small")    \
	X(ICMPV4_UNKNOWN_TYPE, "icmpv4.unknown_type")      \
	X(ICMPV4_IPV4_TRUNC_PKT, "icmpv4.ipv4_trunc_pkt")  \
	X(ICMPV6_PKT_TOO_SMALL, "icmpv6.pkt_too_small")    \
	X(ICMPV6_UNKNOWN_TYPE, "icmpv6.unknown_type")      \
	X(ICMPV6_IPV6_TRUNC_PKT, "icmpv6.ipv6_trunc_pkt")  \
	X(GRE_PKT_TOO_SMALL, "gre.pkt_too_small")          \
	X(GRE_WRONG_VERSION, "gre.wrong_version")          \
	X(ERSPAN_HEADER_TOO_SMALL, "erspan.header_too_small") \
	X(VXLAN_HEADER_TOO_SMALL, "vxlan.header_too_small") \
	X(TOO_MANY_LAYERS, "decoder.too_many_layers")      \
	X(UNKNOWN_ETHERTYPE, "ethernet.unknown_ethertype") \
	X(UNSUPPORTED_LINKTYPE, "decoder.unsupported_linktype") \
	X(IPRAW_INVALID_IPV, "ipraw.invalid_ip_version")   \
	X(ICMPV4_IPV4_UNKNOWN_VER, "icmpv4.ipv4_unknown_ver") \
	X(ICMPV6_IPV6_UNKNOWN_VER, "icmpv6.ipv6_unknown_version") \
	X(GRE_VERSION1_MALFORMED, "gre.version1_malformed") \
	X(ERSPAN_UNSUPPORTED_VERSION, "erspan.unsupported_version") \
	X(MPLS_TOO_MANY_LABELS, "mpls.too_many_labels")    \
	X(ICMPV4_CSUM_INVALID, "icmpv4.checksum_invalid")  \
	X(ICMPV6_CSUM_INVALID, "icmpv6.checksum_invalid")  \
	X(PPP_PKT_TOO_SMALL, "ppp.pkt_too_small")          \
	X(PPPOE_PKT_TOO_SMALL, "pppoe.pkt_too_small")      \
	X(CHDLC_PKT_TOO_SMALL, "chdlc.pkt_too_small")      \
	X(IPV4_FRAG_PKT_TOO_LARGE, "ipv4.frag_pkt_too_large") \
	X(IPV6_FRAG_PKT_TOO_LARGE, "ipv6.frag_pkt_too_large") \
	X(IPV4_FRAG_OVERLAP, "ipv4.frag_overlap")          \
	X(IPV6_FRAG_OVERLAP, "ipv6.frag_overlap")          \
	X(IPV6_FRAG_INVALID_LENGTH, "ipv6.frag_invalid_length") \
	X(IPV4_FRAG_IGNORED, "ipv4.frag_ignored")          \
	X(IPV6_FRAG_IGNORED, "ipv6.frag_ignored")

enum decode_event {
#define X(name, str) DECODE_EV_##name,
	DECODE_EVENTS(X)
#undef X
	DECODE_EV_MAX
};

/* Suricata-style event name, e.g. "ipv4.trunc_pkt"; "unknown" when out of range. */
const char *decode_event_name(enum decode_event ev);

/* True when the event stops decoding and makes the packet invalid. */
bool decode_event_fatal(enum decode_event ev);

/* Per-worker decoder counters; summed over workers for the stats record. */
struct decode_stats {
	uint64_t pkts;
	uint64_t bytes;      /* wire length */
	uint64_t invalid;    /* packets whose decoding stopped on an error */
	uint64_t ethernet;
	uint64_t sll;
	uint64_t null;       /* BSD/OpenBSD loopback */
	uint64_t raw;
	uint64_t vlan;
	uint64_t vlan_qinq;
	uint64_t mpls;
	uint64_t ipv4;
	uint64_t ipv6;
	uint64_t tcp;
	uint64_t udp;
	uint64_t icmpv4;
	uint64_t icmpv6;
	uint64_t gre;
	uint64_t erspan;
	uint64_t vxlan;
	uint64_t ipv4_in_ipv6;  /* and the other IP-in-IP combinations */
	uint64_t ipv6_in_ipv6;
	uint64_t ipv4_frag;  /* fragments seen (reassembly comes later) */
	uint64_t ipv6_frag;
	uint64_t other_l3;   /* ARP, LLDP, ...: counted, not decoded */
	uint64_t other_l4;
	uint64_t max_pkt_size;
	uint64_t events[DECODE_EV_MAX];
};

/* Packet flags (struct packet.flags). */
#define PKT_IPV4         (1u << 0)
#define PKT_IPV6         (1u << 1)
#define PKT_TCP          (1u << 2)
#define PKT_UDP          (1u << 3)
#define PKT_ICMPV4       (1u << 4)
#define PKT_ICMPV6       (1u << 5)
#define PKT_FRAGMENT     (1u << 6)  /* IP fragment (any) */
#define PKT_FRAG_FIRST   (1u << 7)  /* offset 0: carries the L4 header */
#define PKT_TUNNELED     (1u << 8)  /* fields describe an inner packet */
#define PKT_INVALID      (1u << 9)  /* decoding stopped on an error */
#define PKT_HAS_ICMP_INNER (1u << 10) /* ICMP error quoting an IP header */
#define PKT_TRUNCATED    (1u << 11) /* caplen < what the headers claim */
#define PKT_CSUM_BAD     (1u << 12) /* checksum validation failed (-k all) */
#define PKT_REASSEMBLED  (1u << 13) /* a datagram rebuilt from fragments */

/* TCP flag bits, as on the wire. */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* An IPv4 address is stored in the first 4 bytes, the rest zero. */
union ip_addr {
	uint8_t b[16];
	uint32_t w[4];
	uint64_t q[2];
};

#define DECODE_MAX_TUNNELS 4

struct tunnel_layer {
	uint8_t kind;        /* enum tunnel_kind */
	uint8_t ip_ver;      /* outer IP version */
	uint16_t l3_off;     /* outer IP header */
	union ip_addr src, dst;
};

enum tunnel_kind {
	TUNNEL_NONE, TUNNEL_GRE, TUNNEL_ERSPAN, TUNNEL_VXLAN, TUNNEL_IPIP,
	TUNNEL_TEREDO, TUNNEL_GTP, TUNNEL_CAPWAP,
};

struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	uint8_t sack_blocks;   /* number of SACK blocks in this segment */
	uint32_t ts_val, ts_ecr;
	uint8_t has_mss : 1, has_wscale : 1, has_sackok : 1, has_ts : 1,
		has_sack : 1;
};

struct packet {
	/* set by the capture side */
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;        /* capture time, microseconds since the epoch */
	uint16_t linktype;

	/* set by decode_packet(); offsets are from data, 0 = absent */
	uint32_t flags;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t payload_off;
	uint16_t payload_len;  /* bytes present in the capture */
	uint16_t vlan[2];      /* outermost two VLAN ids */
	uint8_t vlan_count;
	uint8_t mpls_count;
	uint8_t layers;        /* layers decoded (for decoder.max-layers) */
	uint8_t ntunnels;
	struct tunnel_layer tunnel[DECODE_MAX_TUNNELS];

	uint8_t ip_ver;        /* 4 or 6, 0 when not IP */
	uint8_t proto;         /* L4 protocol number (after IPv6 ext headers) */
	uint8_t ttl;           /* TTL / hop limit */
	uint8_t tos;
	uint16_t ip_len;       /* total length claimed by the IP header */
	uint16_t ip_id;
	uint32_t ipv6_flow;    /* IPv6 flow label / IPv6 fragment id */
	uint16_t frag_off;     /* fragment offset in bytes */
	uint8_t frag_mf;       /* more fragments */
	union ip_addr src, dst;

	uint16_t sport, dport; /* host order; ICMP: type/code in sport/dport is NOT used */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	struct tcp_opts tcp_opt;

	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	/* ICMP error: quoted inner header (not counted, not a flow) */
	uint8_t inner_ip_ver, inner_proto;
	uint16_t inner_sport, inner_dport;
	union ip_addr inner_src, inner_dst;

	uint8_t nevents;            /* events recorded on this packet */
	uint8_t events[4];          /* first few (enum decode_event) */

	/* set by dispatch/flow */
	uint32_t hash;              /* symmetric flow hash */
};

struct decode_config {
	unsigned max_layers;        /* decoder.max-layers (default 16) */
	bool vxlan_enabled;         /* decoder.vxlan.enabled */
	uint16_t vxlan_port;        /* decoder.vxlan.ports (default 4789) */
	bool gre_enabled;           /* decoder.gre.enabled */
	bool erspan_enabled;        /* decoder.erspan.enabled */
	bool checksum_validate;     /* -k all */
};

void decode_config_default(struct decode_config *cfg);

/*
 * Decode p->data[0..caplen) as link type p->linktype. Fills the decoded
 * fields of *p (clearing them first, p->hash included), bumps counters in
 * *st, and returns 0 when an L3 layer was decoded, or a negative value when
 * the packet is invalid (-EINVAL) or not IP (-EPROTONOSUPPORT); the packet is
 * counted in either case. Only the first 65535 bytes of a capture are
 * decoded (the offsets in struct packet are 16-bit).
 *
 * decoder.tcp and decoder.udp count frames the way tshark's display filter
 * `tcp && !icmp && !icmpv6` does, so the two can be compared on any
 * capture: a frame counts once however many TCP (UDP) layers it carries
 * (VXLAN with inner UDP is one UDP frame), not at all when it carries ICMP
 * (an error quoting a UDP header, ICMP inside a tunnel), and as soon as the
 * 4 bytes of ports are there, even when the rest of the header is cut (the
 * packet is then invalid). A fragmented datagram counts on its first
 * fragment, which carries the L4 header (Wireshark counts it on the
 * fragment that completes it: the same total unless a datagram is
 * incomplete). Every other counter counts layers (VXLAN: ipv4 twice).
 */
int decode_packet(const struct decode_config *cfg, struct packet *p,
		  struct decode_stats *st);

/*
 * Symmetric hash of (addresses, ports, proto) of the innermost packet: same
 * for both directions. Ports are mixed only when the packet is not an IP
 * fragment (first fragments included), so every fragment of a datagram gets
 * the same value; ICMP has no ports. 0 for non-IP packets. This picks a
 * worker; it is not the flow table's key hash (a first fragment and the
 * unfragmented packets of its 5-tuple hash differently).
 */
uint32_t packet_flow_hash(const struct packet *p);

/* Address helpers */
static inline bool ip_addr_eq(const union ip_addr *a, const union ip_addr *b)
{
	return a->q[0] == b->q[0] && a->q[1] == b->q[1];
}

/* Format an address (v4 dotted or v6 RFC 5952). buf >= 46 bytes. */
const char *ip_addr_str(int ver, const union ip_addr *a, char *buf, size_t len);

/*
 * Internet checksum helpers (RFC 1071), exposed for tests and tools. Sums are
 * of big-endian 16-bit words, so values are in host order: a header checksum
 * is put on the wire with a big-endian store of inet_csum(hdr, len, 0), and
 * a packet whose checksum is right gives inet_csum(...) == 0. The 32-bit
 * partial sum chains: every chunk but the last must have an even length;
 * fold() returns the complemented 16-bit checksum.
 */
uint16_t inet_csum(const void *data, size_t len, uint32_t initial);
uint32_t inet_csum_partial(const void *data, size_t len, uint32_t sum);
uint16_t inet_csum_fold(uint32_t sum);

void decode_stats_add(struct decode_stats *dst, const struct decode_stats *src);

/* Whether decode_packet() knows this link type (the others are counted
 * as decoder.event.decoder.unsupported_linktype, packet by packet). */
bool decode_linktype_supported(int linktype);

#endif
