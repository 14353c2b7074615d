/*
 * tunnel: GRE (RFC 1701/2784/2890, and PPTP's enhanced GRE, RFC 2637),
 * ERSPAN types I, II and III over GRE, VXLAN (RFC 7348), IP-in-IP, and the
 * UDP tunnels Wireshark decodes on their well-known ports: GTP-U (mobile
 * core), Teredo (RFC 4380) and CAPWAP data (RFC 5415, wireless LAN
 * controllers, with its 802.11 frames).
 *
 * Decoding goes through a tunnel: decode_tunnel_push() moves the outer IP
 * addresses into p->tunnel[] and the inner packet's layers overwrite the
 * packet's fields, so everything after decode sees the innermost IP packet
 * (a non-IP inner frame leaves the outer one in place).
 * Nesting is bounded twice: DECODE_MAX_TUNNELS entries in p->tunnel[] and
 * decoder.max-layers over all layers, each one an event that stops decoding.
 *
 * The tunnel header is counted (gre, erspan, vxlan) once it is there, like
 * the other layers; an unknown GRE payload type is counted as GRE and not
 * decoded further, which is not an error. The UDP tunnels are recognised by
 * port and content, and a payload that does not look like the tunnel is
 * left as plain UDP without an event: those ports are also ephemeral ports
 * of unrelated traffic.
 */
#include "decode-private.h"

#define GRE_CSUM 0x8000
#define GRE_ROUTING 0x4000
#define GRE_KEY 0x2000
#define GRE_SEQ 0x1000
#define GRE_ACK 0x0080      /* version 1 only */
#define GRE_VERSION 0x0007

#define GRE_MAX_SRE 16      /* RFC 1701 source route entries walked */

/* ERSPAN II: ver(4) vlan(12) cos(3) en(2) t(1) session(10) reserved(12)
 * index(20), then the mirrored Ethernet frame. */
static int decode_erspan2(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	d->st->erspan++;
	if (decode_layer(d))
		return -EINVAL;
	if (end - off < 8)
		return decode_event(d, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if ((d->p->data[off] >> 4) != 1)
		return decode_event(d, DECODE_EV_ERSPAN_UNSUPPORTED_VERSION);
	if (decode_tunnel_push(d, TUNNEL_ERSPAN))
		return -EINVAL;
	return decode_ethernet(d, off + 8, end);
}

/* ERSPAN III: 12 bytes, then an 8-byte platform subheader when the O bit
 * (the last bit of the header) is set. */
static int decode_erspan3(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint32_t hlen = 12;

	d->st->erspan++;
	if (decode_layer(d))
		return -EINVAL;
	if (end - off < 12)
		return decode_event(d, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if ((h[0] >> 4) != 2)
		return decode_event(d, DECODE_EV_ERSPAN_UNSUPPORTED_VERSION);
	if (h[11] & 1)
		hlen += 8;
	if (end - off < hlen)
		return decode_event(d, DECODE_EV_ERSPAN_HEADER_TOO_SMALL);
	if (decode_tunnel_push(d, TUNNEL_ERSPAN))
		return -EINVAL;
	return decode_ethernet(d, off + hlen, end);
}

/* ERSPAN I: no header of its own (GRE without a sequence number). */
static int decode_erspan1(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	d->st->erspan++;
	if (decode_layer(d))
		return -EINVAL;
	if (decode_tunnel_push(d, TUNNEL_ERSPAN))
		return -EINVAL;
	return decode_ethernet(d, off, end);
}

/*
 * PPP as PPTP and PPPoE carry it: address/control (ff 03) may be omitted,
 * and the protocol field may be compressed to one byte (an odd first byte).
 * Only IP is decoded; LCP, compressed or encrypted frames (CCP, ECP) are
 * counted as other_l3. Inside GRE it is a tunnel, inside PPPoE it is not.
 */
int decode_ppp(struct decode_ctx *d, uint32_t off, uint32_t end, bool tunnel)
{
	const uint8_t *h = d->p->data + off;
	uint16_t proto;

	if (end - off >= 1 && h[0] == 0xff) {
		if (end - off < 2 || h[1] != 0x03)
			return decode_event(d, DECODE_EV_PPP_PKT_TOO_SMALL);
		off += 2;
		h += 2;
	}
	if (end - off >= 1 && (h[0] & 1)) {
		proto = h[0];
		off += 1;
	} else if (end - off >= 2) {
		proto = rd16(h);
		off += 2;
	} else {
		return decode_event(d, DECODE_EV_PPP_PKT_TOO_SMALL);
	}
	if (proto != 0x0021 && proto != 0x0057) {
		d->st->other_l3++;
		return 0;
	}
	if (tunnel && decode_tunnel_push(d, TUNNEL_GRE))
		return -EINVAL;
	if (proto == 0x0021)
		return decode_ipv4(d, off, end);
	return decode_ipv6(d, off, end);
}

int decode_gre(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, hlen = 4;
	uint16_t flags, type;

	if (avail < 4)
		return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
	d->st->gre++;
	p->l4_off = (uint16_t)off;
	if (decode_layer(d))
		return -EINVAL;
	flags = rd16(h);
	type = rd16(h + 2);

	switch (flags & GRE_VERSION) {
	case 0:
		if (flags & (GRE_CSUM | GRE_ROUTING))
			hlen += 4;
		if (flags & GRE_KEY)
			hlen += 4;
		if (flags & GRE_SEQ)
			hlen += 4;
		if (avail < hlen)
			return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
		if (flags & GRE_ROUTING) {
			/* SREs: family(2) offset(1) length(1) data; a zero
			 * family and length end the list */
			unsigned n;

			for (n = 0; n < GRE_MAX_SRE; n++) {
				uint8_t slen;

				if (avail - hlen < 4)
					return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
				slen = h[hlen + 3];
				if (rd16(h + hlen) == 0 && slen == 0) {
					hlen += 4;
					break;
				}
				hlen += 4;
				if (avail - hlen < slen)
					return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
				hlen += slen;
			}
			if (n == GRE_MAX_SRE)
				return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
		}
		break;
	case 1:
		/* enhanced GRE: key (payload length, call id) always, PPP,
		 * no checksum or routing */
		if (!(flags & GRE_KEY) || (flags & (GRE_CSUM | GRE_ROUTING)) ||
		    type != ETH_P_PPP)
			return decode_event(d, DECODE_EV_GRE_VERSION1_MALFORMED);
		hlen = 8;
		if (flags & GRE_SEQ)
			hlen += 4;
		if (flags & GRE_ACK)
			hlen += 4;
		if (avail < hlen)
			return decode_event(d, DECODE_EV_GRE_PKT_TOO_SMALL);
		p->payload_off = (uint16_t)(off + hlen);
		p->payload_len = (uint16_t)(avail - hlen);
		/* the key's upper half is the payload length: 0 for a packet
		 * that only acknowledges */
		if (rd16(h + 4) == 0)
			return 0;
		return decode_ppp(d, off + hlen, end, true);
	default:
		return decode_event(d, DECODE_EV_GRE_WRONG_VERSION);
	}

	p->payload_off = (uint16_t)(off + hlen);
	p->payload_len = (uint16_t)(avail - hlen);
	off += hlen;
	switch (type) {
	case ETH_P_IPV4:
	case ETH_P_IPV6:
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
		if (decode_tunnel_push(d, TUNNEL_GRE))
			return -EINVAL;
		return decode_ethertype(d, type, off, end);
	case ETH_P_TEB:
		if (decode_tunnel_push(d, TUNNEL_GRE))
			return -EINVAL;
		return decode_ethernet(d, off, end);
	case ETH_P_ERSPAN2:
		if (!d->cfg->erspan_enabled)
			return 0;
		if (flags & GRE_SEQ)
			return decode_erspan2(d, off, end);
		return decode_erspan1(d, off, end);
	case ETH_P_ERSPAN3:
		if (!d->cfg->erspan_enabled)
			return 0;
		return decode_erspan3(d, off, end);
	case ETH_P_PPP:
		return decode_ppp(d, off, end, true);
	}
	return 0;
}

/* VXLAN: flags (the I bit says the VNI is valid), 3 reserved, VNI (24),
 * 1 reserved; then Ethernet. Without the I bit it is not VXLAN but some
 * other use of the port, left as plain UDP. */
int decode_vxlan(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	if (end - off < 8)
		return decode_event(d, DECODE_EV_VXLAN_HEADER_TOO_SMALL);
	if (!(d->p->data[off] & 0x08))
		return 0;
	d->st->vxlan++;
	if (decode_layer(d) || decode_tunnel_push(d, TUNNEL_VXLAN))
		return -EINVAL;
	return decode_ethernet(d, off + 8, end);
}

int decode_ipip(struct decode_ctx *d, int inner_ver, uint32_t off, uint32_t end)
{
	if (inner_ver == 6 && d->p->ip_ver == 6)
		d->st->ipv6_in_ipv6++;
	else
		d->st->ipv4_in_ipv6++;   /* and 4in4, 6in4 (see decode.h) */
	if (decode_tunnel_push(d, TUNNEL_IPIP))
		return -EINVAL;
	if (inner_ver == 4)
		return decode_ipv4(d, off, end);
	return decode_ipv6(d, off, end);
}

/* ---- UDP tunnels ---- */

/*
 * GTP-U (3GPP TS 29.281): flags (version 1, PT 1, E/S/PN), type (255 is a
 * G-PDU, user data), length of what follows the first 8 bytes, TEID; E, S
 * or PN add 4 bytes, E a chain of extension headers (length in 4-byte
 * units, next type in the last byte). The user data is IPv4 or IPv6.
 */
static int decode_gtpu(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint32_t hlen = 8, len;
	uint8_t next;
	unsigned n = 0;

	if (end - off < 8 || (h[0] & 0xf0) != 0x30 || h[1] != 0xff)
		return 1;
	len = rd16(h + 2);
	if (len < end - off - 8)
		end = off + 8 + len;
	if (h[0] & 0x07) {
		if (end - off < 12)
			return 1;
		hlen = 12;
		next = (h[0] & 0x04) ? h[11] : 0;
		while (next) {
			uint32_t elen;

			if (end - off - hlen < 1 || ++n > 8)
				return 1;
			elen = (uint32_t)h[hlen] * 4;
			if (!elen || elen > end - off - hlen)
				return 1;
			hlen += elen;
			next = h[hlen - 1];
		}
	}
	if (end - off - hlen < 1)
		return 1;
	switch (h[hlen] >> 4) {
	case 4:
		if (decode_tunnel_push(d, TUNNEL_GTP))
			return -EINVAL;
		return decode_ipv4(d, off + hlen, end);
	case 6:
		if (decode_tunnel_push(d, TUNNEL_GTP))
			return -EINVAL;
		return decode_ipv6(d, off + hlen, end);
	}
	return 1;
}

/*
 * Teredo: an IPv6 packet, optionally after an authentication indicator
 * (00 01, id and auth lengths, id, auth, 8-byte nonce, confirmation) and an
 * origin indicator (00 00, port, address).
 */
static int decode_teredo(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *b = d->p->data;

	if (end - off >= 4 && b[off] == 0 && b[off + 1] == 1) {
		uint32_t alen = 4 + (uint32_t)b[off + 2] + b[off + 3] + 9;

		if (alen > end - off)
			return 1;
		off += alen;
	}
	if (end - off >= 8 && b[off] == 0 && b[off + 1] == 0)
		off += 8;
	if (end - off < 40 || (b[off] >> 4) != 6)
		return 1;
	if (decode_tunnel_push(d, TUNNEL_TEREDO))
		return -EINVAL;
	return decode_ipv6(d, off, end);
}

/*
 * An 802.11 data frame as a CAPWAP access point forwards it. Cisco
 * controllers put the two frame control bytes the other way round, and
 * Wireshark reads them so by default; so do we. Then the 24-byte header
 * (30 between two distribution systems), QoS control, HT control, and an
 * LLC/SNAP header naming the ethertype. Encrypted, null and A-MSDU frames
 * are not looked into.
 */
static int decode_ieee80211(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint8_t fc_type, fc_flags;
	uint32_t hlen = 24;
	bool qos;

	if (end - off < 24)
		return 0;
	fc_type = h[1];
	fc_flags = h[0];
	if (((fc_type >> 2) & 3) != 2 || (fc_type & 0x40) || (fc_flags & 0x40))
		return 0;   /* not data, a null subtype, or protected */
	qos = fc_type & 0x80;
	if ((fc_flags & 3) == 3)
		hlen += 6;
	if (qos)
		hlen += 2;
	if (qos && (fc_flags & 0x80))
		hlen += 4;
	if (end - off < hlen + 8)
		return 0;
	if (qos && (h[hlen - ((fc_flags & 0x80) ? 6 : 2)] & 0x80))
		return 0;   /* A-MSDU */
	h += hlen;
	if (h[0] != 0xaa || h[1] != 0xaa || h[2] != 0x03)
		return 0;
	return decode_ethertype(d, rd16(h + 6), off + hlen + 8, end);
}

/*
 * CAPWAP data channel: preamble (version 0, type 0; type 1 is DTLS),
 * header length in 4-byte words, radio id, wireless binding (1 = 802.11),
 * flags: T (frame in the binding's native format, else 802.3), F (a
 * fragment, left alone), K (keep-alive, no frame).
 */
static int decode_capwap(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint32_t w, hlen;

	if (end - off < 8 || h[0] != 0)
		return 1;
	w = rd32(h);
	hlen = ((w >> 19) & 0x1f) * 4;
	if (hlen < 8 || hlen > end - off)
		return 1;
	if (w & ((1u << 7) | (1u << 3)))   /* F, K */
		return 0;
	if (decode_layer(d) || decode_tunnel_push(d, TUNNEL_CAPWAP))
		return -EINVAL;
	if (!(w & (1u << 8)))
		return decode_ethernet(d, off + hlen, end);
	if (((w >> 9) & 0x1f) != 1)
		return 0;
	return decode_ieee80211(d, off + hlen, end);
}

int decode_udp_tunnel(struct decode_ctx *d, uint16_t sport, uint16_t dport,
		      uint32_t off, uint32_t end)
{
	int rc = 1;

	if (sport == UDP_PORT_GTPU || dport == UDP_PORT_GTPU)
		rc = decode_gtpu(d, off, end);
	else if (sport == UDP_PORT_TEREDO || dport == UDP_PORT_TEREDO)
		rc = decode_teredo(d, off, end);
	else if (sport == UDP_PORT_CAPWAP_DATA || dport == UDP_PORT_CAPWAP_DATA)
		rc = decode_capwap(d, off, end);
	return rc > 0 ? 0 : rc;
}
