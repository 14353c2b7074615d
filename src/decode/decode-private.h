/*
 * decode-private: what the decoder files share and nobody else sees.
 *
 * Every layer decoder has the same shape: int decode_x(d, off, end), where
 * [off, end) is the part of p->data that belongs to this layer and what it
 * carries. end never exceeds the capture (decode_packet() starts with
 * end = caplen) and only ever shrinks going inwards (an IP header trims it
 * to the length it claims), so a decoder that checks its own header against
 * end can never read past caplen. A decoder returns 0, or -EINVAL after a
 * fatal event (decode_event() sets PKT_INVALID then).
 */
#ifndef MAMORI_DECODE_PRIVATE_H
#define MAMORI_DECODE_PRIVATE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mamori/decode.h"

/* IP protocol numbers and ethertypes the decoders dispatch on */
enum {
	IPP_HOPOPTS = 0,
	IPP_ICMP = 1,
	IPP_IPIP = 4,
	IPP_TCP = 6,
	IPP_UDP = 17,
	IPP_IPV6 = 41,
	IPP_ROUTING = 43,
	IPP_FRAGMENT = 44,
	IPP_GRE = 47,
	IPP_ESP = 50,
	IPP_AH = 51,
	IPP_ICMPV6 = 58,
	IPP_NONE = 59,
	IPP_DSTOPTS = 60,
};

enum {
	ETH_P_IPV4 = 0x0800,
	ETH_P_ARP = 0x0806,
	ETH_P_TEB = 0x6558,      /* transparent Ethernet bridging (GRE) */
	ETH_P_8021Q = 0x8100,
	ETH_P_IPV6 = 0x86dd,
	ETH_P_PPP = 0x880b,
	ETH_P_MPLS_UC = 0x8847,
	ETH_P_MPLS_MC = 0x8848,
	ETH_P_8021AD = 0x88a8,
	ETH_P_ERSPAN2 = 0x88be,  /* also type I when GRE has no sequence */
	ETH_P_ERSPAN3 = 0x22eb,
	ETH_P_QINQ1 = 0x9100,    /* pre-standard QinQ */
	ETH_P_QINQ2 = 0x9200,
	ETH_P_PPPOE_SESS = 0x8864,
	ETH_P_FABRICPATH = 0x8903,  /* Cisco FabricPath */
};

/* UDP ports of the tunnels decoded without configuration */
enum {
	UDP_PORT_GTPU = 2152,
	UDP_PORT_TEREDO = 3544,
	UDP_PORT_CAPWAP_DATA = 5247,
};

#define DECODE_MAX_VLANS 3       /* Suricata's limit too */
#define DECODE_MAX_MPLS 16       /* labels in one stack */
#define DECODE_MAX_EXTHDRS 8     /* IPv6 extension headers per packet */
#define DECODE_MAX_LEN 0xffffu   /* struct packet offsets are 16-bit */

struct decode_ctx {
	const struct decode_config *cfg;
	struct packet *p;
	struct decode_stats *st;
	unsigned max_layers;
	/* the innermost IP layer claims more than was captured: its L4
	 * checksum cannot be verified */
	bool ip_trunc;
	/* frame-level tcp/udp counting, settled at the end of decode_packet()
	 * (see decode.h) */
	bool saw_tcp, saw_udp, saw_icmp;
	/* a tunnel header was decoded; it is recorded when its inner IP
	 * layer starts (see decode_tunnel_push()) */
	uint8_t pending_tunnel;
};

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return __builtin_bswap32(v);
}

/* Record an event: always counted, the first few kept on the packet. */
int decode_event(struct decode_ctx *d, enum decode_event ev);

/* One more layer (link, VLAN, MPLS stack, IP, tunnel header): enforces
 * decoder.max-layers, which also bounds the decoder's recursion. */
static inline int decode_layer(struct decode_ctx *d)
{
	if (__builtin_expect(++d->p->layers > d->max_layers, 0))
		return decode_event(d, DECODE_EV_TOO_MANY_LAYERS);
	return 0;
}

/*
 * Entering a tunnel. The outer IP layer moves to p->tunnel[] and its L3/L4
 * fields are forgotten only once the inner packet turns out to be IP
 * (decode_tunnel_commit(), from the IP decoders): a tunnel carrying ARP or
 * an encrypted 802.11 frame leaves the packet described by its outer
 * layers, which the flow stage can still track. The nesting limit is
 * checked here, where the tunnel header is.
 */
int decode_tunnel_push(struct decode_ctx *d, enum tunnel_kind kind);
void decode_tunnel_commit(struct decode_ctx *d);

int decode_ethernet(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_ethertype(struct decode_ctx *d, uint16_t type, uint32_t off, uint32_t end);
int decode_ipv4(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_ipv6(struct decode_ctx *d, uint32_t off, uint32_t end);
/* what an IP layer carries (after IPv6 extension headers) */
int decode_ip_payload(struct decode_ctx *d, uint8_t proto, uint32_t off, uint32_t end);
int decode_tcp(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_udp(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_icmpv4(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_icmpv6(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_gre(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_vxlan(struct decode_ctx *d, uint32_t off, uint32_t end);
int decode_ipip(struct decode_ctx *d, int inner_ver, uint32_t off, uint32_t end);
int decode_ppp(struct decode_ctx *d, uint32_t off, uint32_t end, bool tunnel);
/* UDP payloads on well-known tunnel ports; 1 when it was not that tunnel */
int decode_udp_tunnel(struct decode_ctx *d, uint16_t sport, uint16_t dport,
		      uint32_t off, uint32_t end);


/* Verify the checksum of an L4 segment [l4, l4 + len) of p's innermost IP
 * layer, pseudo header included; true when it is right. */
bool decode_l4_csum_ok(const struct packet *p, uint8_t proto, const uint8_t *l4,
		       uint32_t len);

#endif
