/*
 * ethernet: Ethernet II, VLAN tags (802.1Q, 802.1ad and the pre-standard
 * 0x9100/0x9200 QinQ types), MPLS label stacks, PPPoE sessions, Cisco
 * FabricPath, and the ethertype dispatch that Linux cooked captures and
 * tunnels share.
 *
 * The common frame (Ethernet, IPv4) goes through decode_ethernet() straight
 * into decode_ipv4(); tags are peeled in a loop, not by recursion, and both
 * tag and label stacks have fixed limits so a frame made of nothing but tags
 * costs a bounded amount of work. Anything that is not IP is counted as
 * other_l3 and, when its ethertype is not a common one, gets an event.
 */
#include "decode-private.h"

/* Ethertypes seen on ordinary networks that we count but do not decode;
 * anything else is reported as unknown. */
static bool ethertype_known(uint16_t type)
{
	if (type < 0x0600)      /* an 802.3 length: LLC/SNAP, STP, CDP, ... */
		return true;
	switch (type) {
	case ETH_P_ARP:
	case 0x0842:            /* Wake-on-LAN */
	case 0x22f0:            /* AVTP */
	case 0x22f3:            /* TRILL */
	case 0x8035:            /* RARP */
	case 0x809b:            /* AppleTalk */
	case 0x80f3:            /* AARP */
	case 0x8137:            /* IPX */
	case 0x8808:            /* Ethernet flow control */
	case 0x8809:            /* slow protocols (LACP) */
	case 0x8863:            /* PPPoE discovery */
	case 0x886d:            /* Intel ANS */
	case 0x887b:            /* HomePlug */
	case 0x888e:            /* EAPOL */
	case 0x8892:            /* PROFINET */
	case 0x889a:            /* HyperSCSI */
	case 0x88a2:            /* ATA over Ethernet */
	case 0x88a4:            /* EtherCAT */
	case 0x88b8:            /* GOOSE */
	case 0x88cc:            /* LLDP */
	case 0x88e1:            /* HomePlug AV */
	case 0x88e5:            /* MACsec */
	case 0x88f7:            /* PTP */
	case 0x8902:            /* CFM */
	case 0x8906:            /* FCoE */
	case 0x8914:            /* FCoE init */
	case 0x893a:            /* IEEE 1905.1 */
	case 0x9000:            /* loopback */
		return true;
	}
	return false;
}

static int decode_other_l3(struct decode_ctx *d, uint16_t type)
{
	d->st->other_l3++;
	if (!ethertype_known(type))
		return decode_event(d, DECODE_EV_UNKNOWN_ETHERTYPE);
	return 0;
}

static inline bool is_vlan_type(uint16_t type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1 ||
	       type == ETH_P_QINQ2;
}

/*
 * Tags: 2 bytes TCI, 2 bytes next type. The first tag of a packet counts as
 * vlan, later ones as vlan_qinq (Suricata's counters); p->vlan[] keeps the
 * outermost two ids, for the flow key.
 */
static int decode_vlan(struct decode_ctx *d, uint16_t type, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;

	do {
		if (p->vlan_count >= DECODE_MAX_VLANS)
			return decode_event(d, DECODE_EV_VLAN_TOO_MANY_LAYERS);
		if (decode_layer(d))
			return -EINVAL;
		if (p->vlan_count == 0)
			d->st->vlan++;
		else
			d->st->vlan_qinq++;
		if (end - off < 4)
			return decode_event(d, DECODE_EV_VLAN_HEADER_TOO_SMALL);
		if (p->vlan_count < 2)
			p->vlan[p->vlan_count] = rd16(p->data + off) & 0x0fff;
		p->vlan_count++;
		type = rd16(p->data + off + 2);
		off += 4;
	} while (is_vlan_type(type));
	return decode_ethertype(d, type, off, end);
}

/*
 * MPLS: 4-byte entries (label 20 bits, TC, bottom-of-stack bit, TTL) until
 * the bottom-of-stack bit. The payload type is not on the wire: explicit
 * null labels name it, otherwise the first nibble tells IPv4 (4), IPv6 (6)
 * or a pseudowire control word (0) followed by an Ethernet frame.
 */
static int decode_mpls(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	uint32_t e, label;
	unsigned n = 0;

	d->st->mpls++;
	if (decode_layer(d))
		return -EINVAL;
	do {
		if (end - off < 4)
			return decode_event(d, DECODE_EV_MPLS_HEADER_TOO_SMALL);
		if (++n > DECODE_MAX_MPLS)
			return decode_event(d, DECODE_EV_MPLS_TOO_MANY_LABELS);
		e = rd32(p->data + off);
		off += 4;
		if (p->mpls_count < UINT8_MAX)
			p->mpls_count++;
	} while (!(e & 0x100));

	label = e >> 12;
	if (label == 0)          /* IPv4 explicit null */
		return decode_ipv4(d, off, end);
	if (label == 2)          /* IPv6 explicit null */
		return decode_ipv6(d, off, end);
	if (end - off < 1)
		return decode_event(d, DECODE_EV_MPLS_HEADER_TOO_SMALL);
	switch (p->data[off] >> 4) {
	case 4:
		return decode_ipv4(d, off, end);
	case 6:
		return decode_ipv6(d, off, end);
	case 0:
		if (end - off < 4)
			return decode_event(d, DECODE_EV_MPLS_HEADER_TOO_SMALL);
		return decode_ethernet(d, off + 4, end);
	}
	return decode_event(d, DECODE_EV_MPLS_UNKNOWN_PAYLOAD);
}

/*
 * PPPoE session (RFC 2516): version/type 0x11, code 0, session id, length,
 * then a PPP frame. The length bounds the frame (Ethernet pads short ones).
 */
static int decode_pppoe(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint32_t len;

	if (decode_layer(d))
		return -EINVAL;
	if (end - off < 6)
		return decode_event(d, DECODE_EV_PPPOE_PKT_TOO_SMALL);
	if (h[0] != 0x11 || h[1] != 0) {
		d->st->other_l3++;
		return 0;
	}
	len = rd16(h + 4);
	if (len < end - off - 6)
		end = off + 6 + len;
	return decode_ppp(d, off + 6, end, false);
}

/* Cisco FabricPath: outer addresses, 0x8903, 2 bytes FTag/TTL, then the
 * original frame. Not a tunnel: there is no outer IP. */
static int decode_fabricpath(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	if (end - off < 2)
		return decode_event(d, DECODE_EV_ETH_PKT_TOO_SMALL);
	return decode_ethernet(d, off + 2, end);
}

int decode_ethertype(struct decode_ctx *d, uint16_t type, uint32_t off, uint32_t end)
{
	switch (type) {
	case ETH_P_IPV4:
		return decode_ipv4(d, off, end);
	case ETH_P_IPV6:
		return decode_ipv6(d, off, end);
	case ETH_P_8021Q:
	case ETH_P_8021AD:
	case ETH_P_QINQ1:
	case ETH_P_QINQ2:
		return decode_vlan(d, type, off, end);
	case ETH_P_MPLS_UC:
	case ETH_P_MPLS_MC:
		return decode_mpls(d, off, end);
	case ETH_P_PPPOE_SESS:
		return decode_pppoe(d, off, end);
	case ETH_P_FABRICPATH:
		return decode_fabricpath(d, off, end);
	}
	return decode_other_l3(d, type);
}

int decode_ethernet(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	const uint8_t *h = d->p->data + off;
	uint16_t type;

	d->st->ethernet++;
	if (decode_layer(d))
		return -EINVAL;
	if (__builtin_expect(end - off < 14, 0))
		return decode_event(d, DECODE_EV_ETH_PKT_TOO_SMALL);
	type = rd16(h + 12);
	if (__builtin_expect(type == ETH_P_IPV4, 1))
		return decode_ipv4(d, off + 14, end);
	return decode_ethertype(d, type, off + 14, end);
}
