/*
 * ipv4: the IPv4 header, its options, fragments, and the dispatch of what an
 * IP layer carries (shared with ipv6.c).
 *
 * The header is checked in the order that tells the most specific story
 * (too short, wrong version, header length, total length). The total length
 * then bounds the layer: Ethernet padding after it is not payload, and when
 * the capture holds less than it claims (a snap length, a cut frame) the
 * packet is marked truncated but decoded as far as its bytes go, so a
 * sensor running with a short snap length still sees ports and flags. A
 * total length of 0 is what a TSO/GSO sender leaves in the capture for the
 * NIC to fill in; like Wireshark, we take the captured length instead.
 *
 * Options are validated (events, not fatal: Wireshark dissects through bad
 * options and so do we). A fragment with a nonzero offset carries no L4
 * header: proto is set, ports are not.
 */
#include "decode-private.h"

enum {
	IPOPT_EOL = 0,
	IPOPT_NOP = 1,
	IPOPT_RR = 7,
	IPOPT_TS = 68,
	IPOPT_LSRR = 131,
	IPOPT_SID = 136,
	IPOPT_SSRR = 137,
	IPOPT_RTRALT = 148,
};

/* Walk the options: every option but EOL/NOP is type, length (>= 2, within
 * the header), data. The first bad one ends the walk with an event. */
static void ipv4_options(struct decode_ctx *d, const uint8_t *o, uint32_t len)
{
	uint32_t i = 0, olen;

	while (i < len) {
		uint8_t type = o[i];

		if (type == IPOPT_EOL)
			return;
		if (type == IPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2) {
			decode_event(d, DECODE_EV_IPV4_OPT_MALFORMED);
			return;
		}
		olen = o[i + 1];
		if (olen < 2) {
			decode_event(d, DECODE_EV_IPV4_OPT_INVALID);
			return;
		}
		if (olen > len - i) {
			decode_event(d, DECODE_EV_IPV4_OPT_MALFORMED);
			return;
		}
		switch (type) {
		case IPOPT_RR:
		case IPOPT_LSRR:
		case IPOPT_SSRR:
			/* pointer byte, then whole addresses */
			if (olen < 3 || (olen - 3) % 4 || o[i + 2] < 4) {
				decode_event(d, DECODE_EV_IPV4_OPT_INVALID);
				return;
			}
			break;
		case IPOPT_TS:
			if (olen < 4 || o[i + 2] < 5) {
				decode_event(d, DECODE_EV_IPV4_OPT_INVALID);
				return;
			}
			break;
		case IPOPT_SID:
		case IPOPT_RTRALT:
			if (olen != 4) {
				decode_event(d, DECODE_EV_IPV4_OPT_INVALID);
				return;
			}
			break;
		}
		i += olen;
	}
}

int decode_ipv4(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, hlen, iplen;
	uint16_t fo;

	d->st->ipv4++;
	if (d->pending_tunnel)
		decode_tunnel_commit(d);
	if (decode_layer(d))
		return -EINVAL;
	if (__builtin_expect(avail < 20, 0))
		return decode_event(d, DECODE_EV_IPV4_PKT_TOO_SMALL);
	if (__builtin_expect((h[0] >> 4) != 4, 0))
		return decode_event(d, DECODE_EV_IPV4_WRONG_IP_VER);
	hlen = (h[0] & 0x0fu) * 4;
	if (__builtin_expect(hlen < 20, 0))
		return decode_event(d, DECODE_EV_IPV4_HLEN_TOO_SMALL);
	if (__builtin_expect(hlen > avail, 0))
		return decode_event(d, DECODE_EV_IPV4_PKT_TOO_SMALL);
	iplen = rd16(h + 2);
	if (iplen == 0)                 /* TSO: see the top of this file */
		iplen = avail;
	if (__builtin_expect(iplen < hlen, 0))
		return decode_event(d, DECODE_EV_IPV4_IPLEN_SMALLER_THAN_HLEN);
	d->ip_trunc = iplen > avail;
	if (__builtin_expect(d->ip_trunc, 0)) {
		p->flags |= PKT_TRUNCATED;
		decode_event(d, DECODE_EV_IPV4_TRUNC_PKT);
	} else {
		end = off + iplen;
	}

	p->flags |= PKT_IPV4;
	p->ip_ver = 4;
	p->l3_off = (uint16_t)off;
	p->tos = h[1];
	p->ip_len = rd16(h + 2);
	p->ip_id = rd16(h + 4);
	p->ttl = h[8];
	p->proto = h[9];
	/* only the first word of an IPv4 address is set; the rest is zero,
	 * including after an IPv6 outer layer */
	p->src.q[0] = p->src.q[1] = p->dst.q[0] = p->dst.q[1] = 0;
	memcpy(&p->src.w[0], h + 12, 4);
	memcpy(&p->dst.w[0], h + 16, 4);

	if (hlen > 20)
		ipv4_options(d, h + 20, hlen - 20);
	if (d->cfg->checksum_validate && inet_csum(h, hlen, 0) != 0) {
		p->flags |= PKT_CSUM_BAD;
		decode_event(d, DECODE_EV_IPV4_CSUM_INVALID);
	}

	fo = rd16(h + 6);
	if (__builtin_expect(fo & 0x3fff, 0)) {   /* MF or an offset: a fragment */
		p->flags |= PKT_FRAGMENT;
		p->frag_off = (uint16_t)((fo & 0x1fff) * 8);
		p->frag_mf = (fo & 0x2000) != 0;
		d->st->ipv4_frag++;
		if (p->frag_off) {
			/* no L4 header: the fragment's data is payload */
			p->payload_off = (uint16_t)(off + hlen);
			p->payload_len = (uint16_t)(end - off - hlen);
			return 0;
		}
		p->flags |= PKT_FRAG_FIRST;
	}
	return decode_ip_payload(d, p->proto, off + hlen, end);
}

int decode_ip_payload(struct decode_ctx *d, uint8_t proto, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;

	switch (proto) {
	case IPP_TCP:
		return decode_tcp(d, off, end);
	case IPP_UDP:
		return decode_udp(d, off, end);
	case IPP_ICMP:
		return decode_icmpv4(d, off, end);
	case IPP_ICMPV6:
		return decode_icmpv6(d, off, end);
	case IPP_GRE:
		if (d->cfg->gre_enabled)
			return decode_gre(d, off, end);
		break;
	case IPP_IPIP:
		return decode_ipip(d, 4, off, end);
	case IPP_IPV6:
		return decode_ipip(d, 6, off, end);
	}
	d->st->other_l4++;
	p->l4_off = (uint16_t)off;
	p->payload_off = (uint16_t)off;
	p->payload_len = (uint16_t)(end - off);
	return 0;
}
