/*
 * icmp: ICMPv4 and ICMPv6.
 *
 * Echo-like messages yield id/seq (the flow stage pairs a ping with its
 * reply by them). Error messages quote the IP header and the first 8 bytes
 * of the datagram that caused them; the quote is parsed into the inner_*
 * fields for detectors (which flow an error belongs to) but is not a packet
 * of its own: it bumps no counter and its flaws are the ICMP layer's events
 * (a quote is often cut short by the sender, so those are never fatal).
 * Unknown types are reported, not rejected.
 */
#include "decode-private.h"

static void icmp_inner_ports(struct packet *p, uint8_t proto, const uint8_t *l4, uint32_t left)
{
	p->inner_proto = proto;
	if ((proto == IPP_TCP || proto == IPP_UDP) && left >= 4) {
		p->inner_sport = rd16(l4);
		p->inner_dport = rd16(l4 + 2);
	}
}

/* The quoted IPv4 header of an ICMPv4 error at [off, end). */
static void icmpv4_inner(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, hlen;

	if (avail < 20) {
		decode_event(d, DECODE_EV_ICMPV4_IPV4_TRUNC_PKT);
		return;
	}
	if ((h[0] >> 4) != 4) {
		decode_event(d, DECODE_EV_ICMPV4_IPV4_UNKNOWN_VER);
		return;
	}
	hlen = (h[0] & 0x0fu) * 4;
	if (hlen < 20 || hlen > avail) {
		decode_event(d, DECODE_EV_ICMPV4_IPV4_TRUNC_PKT);
		return;
	}
	p->flags |= PKT_HAS_ICMP_INNER;
	p->inner_ip_ver = 4;
	memcpy(&p->inner_src.w[0], h + 12, 4);
	memcpy(&p->inner_dst.w[0], h + 16, 4);
	/* a later fragment quotes no L4 header */
	if (rd16(h + 6) & 0x1fff)
		p->inner_proto = h[9];
	else
		icmp_inner_ports(p, h[9], h + hlen, avail - hlen);
}

/* The quoted IPv6 header of an ICMPv6 error, extension headers skipped as
 * far as the quote goes. */
static void icmpv6_inner(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t pos, hlen;
	uint8_t nh;

	if (end - off < 40) {
		decode_event(d, DECODE_EV_ICMPV6_IPV6_TRUNC_PKT);
		return;
	}
	if ((h[0] >> 4) != 6) {
		decode_event(d, DECODE_EV_ICMPV6_IPV6_UNKNOWN_VER);
		return;
	}
	p->flags |= PKT_HAS_ICMP_INNER;
	p->inner_ip_ver = 6;
	memcpy(p->inner_src.b, h + 8, 16);
	memcpy(p->inner_dst.b, h + 24, 16);
	nh = h[6];
	pos = off + 40;
	for (unsigned n = 0; n < DECODE_MAX_EXTHDRS; n++) {
		const uint8_t *e = p->data + pos;

		if (nh != IPP_HOPOPTS && nh != IPP_ROUTING && nh != IPP_DSTOPTS &&
		    nh != IPP_FRAGMENT && nh != IPP_AH)
			break;
		if (end - pos < 8)
			break;
		if (nh == IPP_FRAGMENT) {
			if (rd16(e + 2) & 0xfff8) {  /* a later fragment */
				p->inner_proto = e[0];
				return;
			}
			hlen = 8;
		} else if (nh == IPP_AH) {
			hlen = ((uint32_t)e[1] + 2) * 4;
		} else {
			hlen = ((uint32_t)e[1] + 1) * 8;
		}
		nh = e[0];
		if (hlen > end - pos) {
			pos = end;
			break;
		}
		pos += hlen;
	}
	icmp_inner_ports(p, nh, p->data + pos, end - pos);
}

static bool icmpv4_type_known(uint8_t type)
{
	/* RFC 792, 950, 1256; Suricata's list */
	return type == 0 || (type >= 3 && type <= 5) || (type >= 8 && type <= 18);
}

int decode_icmpv4(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off;

	if (avail)
		d->saw_icmp = true;
	if (avail < 4)
		return decode_event(d, DECODE_EV_ICMPV4_PKT_TOO_SMALL);
	d->st->icmpv4++;
	p->l4_off = (uint16_t)off;
	p->icmp_type = h[0];
	p->icmp_code = h[1];
	if (avail < 8)
		return decode_event(d, DECODE_EV_ICMPV4_PKT_TOO_SMALL);
	p->flags |= PKT_ICMPV4;
	p->payload_off = (uint16_t)(off + 8);
	p->payload_len = (uint16_t)(avail - 8);

	switch (h[0]) {
	case 0:  /* echo reply */
	case 8:  /* echo */
	case 13: /* timestamp */
	case 14:
	case 15: /* information */
	case 16:
	case 17: /* address mask */
	case 18:
		p->icmp_id = rd16(h + 4);
		p->icmp_seq = rd16(h + 6);
		break;
	case 3:  /* destination unreachable */
	case 4:  /* source quench */
	case 5:  /* redirect */
	case 11: /* time exceeded */
	case 12: /* parameter problem */
		icmpv4_inner(d, off + 8, end);
		break;
	default:
		if (!icmpv4_type_known(h[0]))
			decode_event(d, DECODE_EV_ICMPV4_UNKNOWN_TYPE);
		break;
	}

	if (d->cfg->checksum_validate && !d->ip_trunc && !(p->flags & PKT_FRAGMENT) &&
	    inet_csum(h, avail, 0) != 0) {
		p->flags |= PKT_CSUM_BAD;
		decode_event(d, DECODE_EV_ICMPV4_CSUM_INVALID);
	}
	return 0;
}

static bool icmpv6_type_known(uint8_t type)
{
	return (type >= 1 && type <= 4) || type == 100 || type == 101 || type == 127 ||
	       (type >= 128 && type <= 161) || type == 200 || type == 201 || type == 255;
}

int decode_icmpv6(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off;

	if (avail)
		d->saw_icmp = true;
	if (avail < 4)
		return decode_event(d, DECODE_EV_ICMPV6_PKT_TOO_SMALL);
	d->st->icmpv6++;
	p->l4_off = (uint16_t)off;
	p->icmp_type = h[0];
	p->icmp_code = h[1];
	if (avail < 8)
		return decode_event(d, DECODE_EV_ICMPV6_PKT_TOO_SMALL);
	p->flags |= PKT_ICMPV6;
	p->payload_off = (uint16_t)(off + 8);
	p->payload_len = (uint16_t)(avail - 8);

	switch (h[0]) {
	case 128: /* echo request */
	case 129: /* echo reply */
		p->icmp_id = rd16(h + 4);
		p->icmp_seq = rd16(h + 6);
		break;
	case 1:   /* destination unreachable */
	case 2:   /* packet too big */
	case 3:   /* time exceeded */
	case 4:   /* parameter problem */
		icmpv6_inner(d, off + 8, end);
		break;
	default:
		if (!icmpv6_type_known(h[0]))
			decode_event(d, DECODE_EV_ICMPV6_UNKNOWN_TYPE);
		break;
	}

	/* the pseudo header needs IPv6 addresses; ICMPv6 over IPv4 is bogus
	 * anyway and is not summed */
	if (d->cfg->checksum_validate && p->ip_ver == 6 && !d->ip_trunc &&
	    !(p->flags & PKT_FRAGMENT) && !decode_l4_csum_ok(p, IPP_ICMPV6, h, avail)) {
		p->flags |= PKT_CSUM_BAD;
		decode_event(d, DECODE_EV_ICMPV6_CSUM_INVALID);
	}
	return 0;
}
