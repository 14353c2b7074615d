/*
 * ipv6: the fixed header and the extension header chain (hop-by-hop,
 * routing, fragment, destination options, AH) up to the upper-layer
 * protocol.
 *
 * Like IPv4, the payload length bounds the layer and a capture shorter than
 * it marks the packet truncated without stopping the decode. The chain is
 * walked with a fixed limit on its length (DECODE_MAX_EXTHDRS), so a chain
 * of thousands of empty options headers costs no more than eight. Each
 * header must fit in the layer; one that does not ends decoding (Wireshark
 * stops there too, so no L4 layer is counted). Oddities that still let us
 * find the upper layer (hop-by-hop not first, a repeated fragment header)
 * are events only. An atomic fragment (offset 0, no more fragments,
 * RFC 6946) is a whole datagram and is not flagged as a fragment.
 */
#include "decode-private.h"

int decode_ipv6(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, plen, pos, vtf, hlen;
	unsigned count = 0;
	bool seen_hh = false, seen_fh = false;
	uint8_t nh;

	d->st->ipv6++;
	if (d->pending_tunnel)
		decode_tunnel_commit(d);
	if (decode_layer(d))
		return -EINVAL;
	if (avail < 40)
		return decode_event(d, DECODE_EV_IPV6_PKT_TOO_SMALL);
	vtf = rd32(h);
	if ((vtf >> 28) != 6)
		return decode_event(d, DECODE_EV_IPV6_WRONG_IP_VER);
	plen = rd16(h + 4);
	d->ip_trunc = 40 + plen > avail;
	if (d->ip_trunc) {
		p->flags |= PKT_TRUNCATED;
		decode_event(d, DECODE_EV_IPV6_TRUNC_PKT);
	} else {
		end = off + 40 + plen;
	}

	p->flags |= PKT_IPV6;
	p->ip_ver = 6;
	p->l3_off = (uint16_t)off;
	p->tos = (uint8_t)(vtf >> 20);
	p->ipv6_flow = vtf & 0xfffff;
	p->ip_len = (uint16_t)(plen + 40 > 0xffff ? 0xffff : plen + 40);
	p->ttl = h[7];
	memcpy(p->src.b, h + 8, 16);
	memcpy(p->dst.b, h + 24, 16);

	nh = h[6];
	pos = off + 40;
	for (;;) {
		const uint8_t *e = p->data + pos;
		uint32_t left = end - pos;

		switch (nh) {
		case IPP_HOPOPTS:
		case IPP_ROUTING:
		case IPP_DSTOPTS:
		case IPP_AH:
		case IPP_FRAGMENT:
			break;
		default:
			/* upper layer, ESP or no next header */
			p->proto = nh;
			return decode_ip_payload(d, nh, pos, end);
		}
		if (++count > DECODE_MAX_EXTHDRS)
			return decode_event(d, DECODE_EV_IPV6_TOO_MANY_EXTHDRS);
		if (left < 8)   /* every extension header is at least 8 bytes */
			return decode_event(d, DECODE_EV_IPV6_TRUNC_EXTHDR);

		if (nh == IPP_FRAGMENT) {
			uint16_t fo = rd16(e + 2);

			if (seen_fh)
				decode_event(d, DECODE_EV_IPV6_EXTHDR_DUPL_FH);
			seen_fh = true;
			nh = e[0];
			pos += 8;
			if (!(fo & 0xfff9))  /* atomic fragment */
				continue;
			p->flags |= PKT_FRAGMENT;
			p->frag_off = fo & 0xfff8;
			p->frag_mf = fo & 1;
			p->ipv6_flow = rd32(e + 4);
			d->st->ipv6_frag++;
			if (p->frag_off) {
				/* what follows is the middle of a datagram */
				p->proto = nh;
				p->payload_off = (uint16_t)pos;
				p->payload_len = (uint16_t)(end - pos);
				return 0;
			}
			p->flags |= PKT_FRAG_FIRST;
			continue;
		}

		if (nh == IPP_HOPOPTS) {
			if (seen_hh)
				decode_event(d, DECODE_EV_IPV6_EXTHDR_DUPL_HH);
			else if (count > 1)
				decode_event(d, DECODE_EV_IPV6_HOPOPTS_NOT_FIRST);
			seen_hh = true;
		}
		if (nh == IPP_AH)
			hlen = ((uint32_t)e[1] + 2) * 4;
		else
			hlen = ((uint32_t)e[1] + 1) * 8;
		if (hlen > left)
			return decode_event(d, DECODE_EV_IPV6_TRUNC_EXTHDR);
		nh = e[0];
		pos += hlen;
	}
}
