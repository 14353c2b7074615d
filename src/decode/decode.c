/*
 * decode: the entry point. decode_packet() resets the decoded part of the
 * packet, counts it, and hands the bytes to the decoder of its link type
 * (Ethernet, Linux cooked v1/v2, raw IP, BSD null and OpenBSD loop, Cisco
 * HDLC); the layer decoders (ethernet.c, ipv4.c, ...) call each other
 * inwards.
 *
 * Resetting is the only per-packet cost here that grows with struct packet,
 * so it is two memsets over the fields that may hold an old value, and
 * skips tunnel[] (an entry below ntunnels is always written whole).
 *
 * Events are counted in decode_stats and the first few kept on the packet;
 * whether an event stops decoding is a property of the event, listed in one
 * table below so that "invalid" means the same thing everywhere.
 *
 * Also here: the symmetric flow hash used to pick a worker, the address
 * formatter and the stats helpers.
 */
#include <stddef.h>
#include <stdio.h>

#include "decode-private.h"

static const char *const event_names[DECODE_EV_MAX] = {
#define X(name, str) [DECODE_EV_##name] = str,
	DECODE_EVENTS(X)
#undef X
};

/* The events that stop decoding: a header is missing or cut, or cannot be
 * what it claims. The others leave a packet whose headers were all read. */
static const bool event_fatal[DECODE_EV_MAX] = {
	[DECODE_EV_ETH_PKT_TOO_SMALL] = true,
	[DECODE_EV_VLAN_HEADER_TOO_SMALL] = true,
	[DECODE_EV_VLAN_TOO_MANY_LAYERS] = true,
	[DECODE_EV_MPLS_HEADER_TOO_SMALL] = true,
	[DECODE_EV_MPLS_TOO_MANY_LABELS] = true,
	[DECODE_EV_SLL_PKT_TOO_SMALL] = true,
	[DECODE_EV_NULL_PKT_TOO_SMALL] = true,
	[DECODE_EV_IPRAW_INVALID_IPV] = true,
	[DECODE_EV_IPV4_PKT_TOO_SMALL] = true,
	[DECODE_EV_IPV4_HLEN_TOO_SMALL] = true,
	[DECODE_EV_IPV4_IPLEN_SMALLER_THAN_HLEN] = true,
	[DECODE_EV_IPV4_WRONG_IP_VER] = true,
	[DECODE_EV_IPV6_PKT_TOO_SMALL] = true,
	[DECODE_EV_IPV6_TRUNC_EXTHDR] = true,
	[DECODE_EV_IPV6_WRONG_IP_VER] = true,
	[DECODE_EV_IPV6_TOO_MANY_EXTHDRS] = true,
	[DECODE_EV_TCP_PKT_TOO_SMALL] = true,
	[DECODE_EV_TCP_HLEN_TOO_SMALL] = true,
	[DECODE_EV_TCP_INVALID_OPTLEN] = true,
	[DECODE_EV_UDP_PKT_TOO_SMALL] = true,
	[DECODE_EV_ICMPV4_PKT_TOO_SMALL] = true,
	[DECODE_EV_ICMPV6_PKT_TOO_SMALL] = true,
	[DECODE_EV_GRE_PKT_TOO_SMALL] = true,
	[DECODE_EV_GRE_WRONG_VERSION] = true,
	[DECODE_EV_GRE_VERSION1_MALFORMED] = true,
	[DECODE_EV_ERSPAN_HEADER_TOO_SMALL] = true,
	[DECODE_EV_ERSPAN_UNSUPPORTED_VERSION] = true,
	[DECODE_EV_VXLAN_HEADER_TOO_SMALL] = true,
	[DECODE_EV_PPP_PKT_TOO_SMALL] = true,
	[DECODE_EV_PPPOE_PKT_TOO_SMALL] = true,
	[DECODE_EV_CHDLC_PKT_TOO_SMALL] = true,
	[DECODE_EV_TOO_MANY_LAYERS] = true,
	[DECODE_EV_UNSUPPORTED_LINKTYPE] = true,
};

const char *decode_event_name(enum decode_event ev)
{
	if ((unsigned)ev >= DECODE_EV_MAX)
		return "unknown";
	return event_names[ev];
}

bool decode_event_fatal(enum decode_event ev)
{
	return (unsigned)ev < DECODE_EV_MAX && event_fatal[ev];
}

int decode_event(struct decode_ctx *d, enum decode_event ev)
{
	struct packet *p = d->p;

	d->st->events[ev]++;
	if (p->nevents < sizeof(p->events))
		p->events[p->nevents++] = (uint8_t)ev;
	if (event_fatal[ev]) {
		p->flags |= PKT_INVALID;
		return -EINVAL;
	}
	return 0;
}

void decode_config_default(struct decode_config *cfg)
{
	cfg->max_layers = 16;
	cfg->vxlan_enabled = true;
	cfg->vxlan_port = 4789;
	cfg->gre_enabled = true;
	cfg->erspan_enabled = true;
	cfg->checksum_validate = false;
}

int decode_tunnel_push(struct decode_ctx *d, enum tunnel_kind kind)
{
	if (d->p->ntunnels >= DECODE_MAX_TUNNELS)
		return decode_event(d, DECODE_EV_TOO_MANY_LAYERS);
	d->pending_tunnel = (uint8_t)kind;
	return 0;
}

void decode_tunnel_commit(struct decode_ctx *d)
{
	struct packet *p = d->p;
	struct tunnel_layer *t;

	/* decode_tunnel_push() checked the limit, and no second tunnel
	 * header comes before this inner IP layer; this is for safety */
	if (p->ntunnels >= DECODE_MAX_TUNNELS)
		return;
	t = &p->tunnel[p->ntunnels++];
	t->kind = d->pending_tunnel;
	d->pending_tunnel = TUNNEL_NONE;
	t->ip_ver = p->ip_ver;
	t->l3_off = p->l3_off;
	t->src = p->src;
	t->dst = p->dst;

	p->flags = (p->flags & ~(PKT_IPV4 | PKT_IPV6 | PKT_TCP | PKT_UDP | PKT_ICMPV4 |
				 PKT_ICMPV6 | PKT_FRAGMENT | PKT_FRAG_FIRST)) |
		   PKT_TUNNELED;
	p->l3_off = p->l4_off = p->payload_off = p->payload_len = 0;
	/* ip_ver .. icmp_seq: nothing of the outer packet may leak into the
	 * inner one (an inner ARP frame has no addresses at all) */
	memset(&p->ip_ver, 0,
	       offsetof(struct packet, inner_ip_ver) - offsetof(struct packet, ip_ver));
}

/*
 * BSD loopback: a 4-byte address family in the capturing host's byte order,
 * which need not be ours; the family is a small number, so the byte order
 * that gives one is the right one. OpenBSD's loop is network order.
 */
static int decode_null(struct decode_ctx *d, bool host_order, uint32_t end)
{
	const uint8_t *b = d->p->data;
	uint32_t fam;

	d->st->null++;
	if (decode_layer(d))
		return -EINVAL;
	if (end < 4)
		return decode_event(d, DECODE_EV_NULL_PKT_TOO_SMALL);
	fam = rd32(b);
	if (host_order && fam > 0xffff)
		fam = __builtin_bswap32(fam);
	switch (fam) {
	case 2:
		return decode_ipv4(d, 4, end);
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return decode_ipv6(d, 4, end);
	}
	d->st->other_l3++;
	return decode_event(d, DECODE_EV_NULL_UNSUPPORTED_TYPE);
}

/* Raw IP: the version nibble says which. */
static int decode_raw(struct decode_ctx *d, int ver, uint32_t end)
{
	d->st->raw++;
	if (!ver) {
		if (end < 1)
			return decode_event(d, DECODE_EV_IPRAW_INVALID_IPV);
		ver = d->p->data[0] >> 4;
	}
	if (ver == 4)
		return decode_ipv4(d, 0, end);
	if (ver == 6)
		return decode_ipv6(d, 0, end);
	return decode_event(d, DECODE_EV_IPRAW_INVALID_IPV);
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, then an
 * ethertype. No counter of its own in decode_stats. */
static int decode_chdlc(struct decode_ctx *d, uint32_t end)
{
	if (decode_layer(d))
		return -EINVAL;
	if (end < 4)
		return decode_event(d, DECODE_EV_CHDLC_PKT_TOO_SMALL);
	return decode_ethertype(d, rd16(d->p->data + 2), 4, end);
}

/* Linux cooked capture v1 (16 bytes) and v2 (20 bytes). */
static int decode_sll(struct decode_ctx *d, bool v2, uint32_t end)
{
	uint32_t hlen = v2 ? 20 : 16;

	d->st->sll++;
	if (decode_layer(d))
		return -EINVAL;
	if (end < hlen)
		return decode_event(d, DECODE_EV_SLL_PKT_TOO_SMALL);
	return decode_ethertype(d, rd16(d->p->data + (v2 ? 0 : 14)), hlen, end);
}

int decode_packet(const struct decode_config *cfg, struct packet *p,
		  struct decode_stats *st)
{
	struct decode_ctx d = {
		.cfg = cfg, .p = p, .st = st,
		.max_layers = cfg->max_layers ? cfg->max_layers : 16,
	};
	uint32_t end = p->caplen;

	/* flags .. ntunnels, then ip_ver .. hash: all decoded fields but
	 * tunnel[] (see the top of this file) */
	memset(&p->flags, 0,
	       offsetof(struct packet, tunnel) - offsetof(struct packet, flags));
	memset(&p->ip_ver, 0,
	       offsetof(struct packet, hash) + sizeof(p->hash) -
		       offsetof(struct packet, ip_ver));
	/* p->layers is 8 bits */
	if (d.max_layers > 255)
		d.max_layers = 255;
	if (end > DECODE_MAX_LEN)
		end = DECODE_MAX_LEN;

	st->pkts++;
	st->bytes += p->wirelen;
	if (p->wirelen > st->max_pkt_size)
		st->max_pkt_size = p->wirelen;

	/* a layer decoder's return value is also in p->flags (PKT_INVALID) */
	switch (p->linktype) {
	case LINKTYPE_ETHERNET:
		decode_ethernet(&d, 0, end);
		break;
	case LINKTYPE_LINUX_SLL:
		decode_sll(&d, false, end);
		break;
	case LINKTYPE_LINUX_SLL2:
		decode_sll(&d, true, end);
		break;
	case LINKTYPE_RAW:
	case LINKTYPE_DLT_RAW:
		decode_raw(&d, 0, end);
		break;
	case LINKTYPE_IPV4:
		decode_raw(&d, 4, end);
		break;
	case LINKTYPE_IPV6:
		decode_raw(&d, 6, end);
		break;
	case LINKTYPE_NULL_BSD:
		decode_null(&d, true, end);
		break;
	case LINKTYPE_LOOP:
		decode_null(&d, false, end);
		break;
	case LINKTYPE_C_HDLC:
		decode_chdlc(&d, end);
		break;
	default:
		decode_event(&d, DECODE_EV_UNSUPPORTED_LINKTYPE);
		break;
	}

	/* frame-level counts (see decode.h) */
	if (!d.saw_icmp) {
		st->tcp += d.saw_tcp;
		st->udp += d.saw_udp;
	}
	if (p->flags & PKT_INVALID) {
		st->invalid++;
		return -EINVAL;
	}
	return p->ip_ver ? 0 : -EPROTONOSUPPORT;
}

bool decode_linktype_supported(int linktype)
{
	switch (linktype) {
	case LINKTYPE_ETHERNET:
	case LINKTYPE_LINUX_SLL:
	case LINKTYPE_LINUX_SLL2:
	case LINKTYPE_RAW:
	case LINKTYPE_DLT_RAW:
	case LINKTYPE_IPV4:
	case LINKTYPE_IPV6:
	case LINKTYPE_NULL_BSD:
	case LINKTYPE_LOOP:
	case LINKTYPE_C_HDLC:
		return true;
	default:
		return false;
	}
}

void decode_stats_add(struct decode_stats *dst, const struct decode_stats *src)
{
	/* every member is a uint64_t counter, max_pkt_size is a maximum */
	_Static_assert(sizeof(struct decode_stats) % sizeof(uint64_t) == 0,
		       "decode_stats must hold only uint64_t");
	uint64_t *a = (uint64_t *)dst;
	const uint64_t *b = (const uint64_t *)src;
	const size_t n = sizeof(*dst) / sizeof(uint64_t);
	const size_t mx = offsetof(struct decode_stats, max_pkt_size) / sizeof(uint64_t);

	for (size_t i = 0; i < n; i++)
		a[i] = i == mx ? (a[i] > b[i] ? a[i] : b[i]) : a[i] + b[i];
}

/* ---- flow hash ---- */

static inline uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* 128 -> 64 bits; an IPv4 address is just its first word */
static inline uint64_t addr_fold(const union ip_addr *a)
{
	uint64_t q0, q1;

	memcpy(&q0, a->b, 8);
	memcpy(&q1, a->b + 8, 8);
	return q0 ^ (q1 * UINT64_C(0x9e3779b97f4a7c15));
}

/*
 * Symmetric by construction: the two endpoints (folded address, port) are
 * put in a canonical order first, then mixed as an ordered tuple, which
 * keeps the order-dependence out of the mixing (a ^ b would map every
 * a == b flow to one value). Equal folded addresses fall back to ports; if
 * those are equal too, both orders are the same tuple.
 */
uint32_t packet_flow_hash(const struct packet *p)
{
	uint64_t a, b, t, h;
	uint32_t pa = p->sport, pb = p->dport, tp;

	if (!p->ip_ver)
		return 0;
	a = addr_fold(&p->src);
	b = addr_fold(&p->dst);
	if (p->flags & PKT_FRAGMENT)
		pa = pb = 0;
	if (a > b || (a == b && pa > pb)) {
		t = a, a = b, b = t;
		tp = pa, pa = pb, pb = tp;
	}
	h = a * UINT64_C(0x9e3779b97f4a7c15);
	h = (h ^ (h >> 29) ^ b) * UINT64_C(0xbf58476d1ce4e5b9);
	h ^= (uint64_t)pa << 40 | (uint64_t)pb << 24 | (uint64_t)p->proto << 8 | p->ip_ver;
	h = mix64(h);
	return (uint32_t)(h ^ (h >> 32));
}

/* ---- address formatting ---- */

static size_t fmt_v4(const uint8_t *b, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);

	return n < 0 ? 0 : (size_t)n;
}

/*
 * RFC 5952: lower case, no leading zeros, the longest run of two or more
 * zero groups (the first of equal runs) becomes "::", and IPv4-mapped
 * addresses end in dotted quad (section 5).
 */
const char *ip_addr_str(int ver, const union ip_addr *a, char *buf, size_t len)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char tmp[48], *o = tmp;
	int best = -1, bestlen = 1, run = 0;
	uint16_t g[8];

	if (!buf || !len)
		return buf;
	if (ver == 4) {
		fmt_v4(a->b, buf, len);
		return buf;
	}
	if (ver != 6) {
		buf[0] = '\0';
		return buf;
	}
	for (int i = 0; i < 8; i++) {
		g[i] = rd16(a->b + 2 * i);
		run = g[i] ? 0 : run + 1;
		if (run > bestlen) {
			bestlen = run;
			best = i - run + 1;
		}
	}
	if (!memcmp(a->b, mapped, sizeof(mapped))) {
		o += sprintf(o, "::ffff:");
		fmt_v4(a->b + 12, o, sizeof(tmp) - (size_t)(o - tmp));
	} else {
		for (int i = 0; i < 8; i++) {
			if (i == best) {
				o += sprintf(o, "::");
				i += bestlen - 1;
				continue;
			}
			if (i && i != best + bestlen)
				*o++ = ':';
			o += sprintf(o, "%x", g[i]);
		}
		*o = '\0';
	}
	snprintf(buf, len, "%s", tmp);
	return buf;
}
