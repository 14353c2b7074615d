/*
 * udp: the UDP header, then VXLAN on its configured port and the other
 * UDP tunnels on theirs (tunnel.c).
 *
 * Like TCP, four bytes (the ports) count the layer, eight make it valid. A
 * UDP length that disagrees with the IP layer is an event, not a stop: the
 * payload is taken as the smaller of the two, which is what the receiving
 * host would use (and what Wireshark dissects). The comparison is skipped
 * for fragments, whose IP layer holds only part of the datagram.
 */
#include "decode-private.h"

int decode_udp(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, ulen, pend = end;
	bool len_ok = true;

	if (__builtin_expect(avail < 4, 0))
		return decode_event(d, DECODE_EV_UDP_PKT_TOO_SMALL);
	d->saw_udp = true;
	p->l4_off = (uint16_t)off;
	p->sport = rd16(h);
	p->dport = rd16(h + 2);
	if (__builtin_expect(avail < 8, 0))
		return decode_event(d, DECODE_EV_UDP_PKT_TOO_SMALL);
	p->flags |= PKT_UDP;

	ulen = rd16(h + 4);
	if (ulen < 8) {
		len_ok = false;
	} else if (!(p->flags & PKT_FRAGMENT)) {
		/* avail is what the IP layer claims, unless the capture
		 * cut it: then the UDP length can only be checked to cover
		 * what is there */
		if (!d->ip_trunc)
			len_ok = ulen == avail;
		else
			len_ok = ulen >= avail;
		if (ulen < avail)
			pend = off + ulen;
	}
	if (!len_ok)
		decode_event(d, DECODE_EV_UDP_HLEN_INVALID);
	p->payload_off = (uint16_t)(off + 8);
	p->payload_len = (uint16_t)(pend - off - 8);

	if (d->cfg->checksum_validate && len_ok && !d->ip_trunc &&
	    !(p->flags & PKT_FRAGMENT) && (p->ip_ver == 6 || rd16(h + 6) != 0) &&
	    !decode_l4_csum_ok(p, IPP_UDP, h, ulen)) {
		p->flags |= PKT_CSUM_BAD;
		decode_event(d, DECODE_EV_UDP_CSUM_INVALID);
	}

	if (d->cfg->vxlan_enabled && p->dport == d->cfg->vxlan_port)
		return decode_vxlan(d, off + 8, pend);
	return decode_udp_tunnel(d, p->sport, p->dport, off + 8, pend);
}
