/*
 * tcp: the TCP header and the options the stream and detection stages use
 * (MSS, window scale, SACK-permitted, SACK, timestamps).
 *
 * Counting follows tshark, which calls a frame TCP once its two ports are
 * there: four bytes count the frame (see decode.h) and set the ports, a
 * header cut after them is still an invalid packet. A header length beyond the segment is
 * invalid too (the options would be read from payload). A bad option is an
 * event and ends the option walk, but the segment itself is fine: we keep
 * what was parsed before it.
 */
#include "decode-private.h"

enum {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MSS = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACKOK = 4,
	TCPOPT_SACK = 5,
	TCPOPT_TS = 8,
};

static void tcp_options(struct decode_ctx *d, const uint8_t *o, uint32_t len)
{
	struct tcp_opts *t = &d->p->tcp_opt;
	uint32_t i = 0, olen;

	while (i < len) {
		uint8_t type = o[i];

		if (type == TCPOPT_EOL)
			return;
		if (type == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2 || (olen = o[i + 1]) < 2 || olen > len - i) {
			decode_event(d, DECODE_EV_TCP_OPT_INVALID_LEN);
			return;
		}
		switch (type) {
		case TCPOPT_MSS:
			if (olen != 4)
				goto bad;
			t->mss = rd16(o + i + 2);
			t->has_mss = 1;
			break;
		case TCPOPT_WSCALE:
			if (olen != 3)
				goto bad;
			t->wscale = o[i + 2];
			t->has_wscale = 1;
			break;
		case TCPOPT_SACKOK:
			if (olen != 2)
				goto bad;
			t->has_sackok = 1;
			break;
		case TCPOPT_SACK:
			if (olen < 10 || (olen - 2) % 8)
				goto bad;
			t->sack_blocks = (uint8_t)((olen - 2) / 8);
			t->has_sack = 1;
			break;
		case TCPOPT_TS:
			if (olen != 10)
				goto bad;
			t->ts_val = rd32(o + i + 2);
			t->ts_ecr = rd32(o + i + 6);
			t->has_ts = 1;
			break;
		}
		i += olen;
	}
	return;
bad:
	decode_event(d, DECODE_EV_TCP_OPT_INVALID_LEN);
}

int decode_tcp(struct decode_ctx *d, uint32_t off, uint32_t end)
{
	struct packet *p = d->p;
	const uint8_t *h = p->data + off;
	uint32_t avail = end - off, hlen;

	if (__builtin_expect(avail < 4, 0))
		return decode_event(d, DECODE_EV_TCP_PKT_TOO_SMALL);
	d->saw_tcp = true;
	p->l4_off = (uint16_t)off;
	p->sport = rd16(h);
	p->dport = rd16(h + 2);
	if (__builtin_expect(avail < 20, 0))
		return decode_event(d, DECODE_EV_TCP_PKT_TOO_SMALL);
	hlen = (uint32_t)(h[12] >> 4) * 4;
	if (__builtin_expect(hlen < 20, 0))
		return decode_event(d, DECODE_EV_TCP_HLEN_TOO_SMALL);
	if (__builtin_expect(hlen > avail, 0)) {
		/* The options do not fit. When the IP length says they should
		 * (the capture's snaplen cut the packet), the fixed header is
		 * still good: keep flags and sequence numbers so flows see
		 * their handshakes, parse the options that are there, and
		 * mark the packet truncated, not invalid. Otherwise the
		 * header lies about its length. */
		if (!d->ip_trunc)
			return decode_event(d, DECODE_EV_TCP_INVALID_OPTLEN);
		p->flags |= PKT_TRUNCATED;
		hlen = avail;
	}

	p->flags |= PKT_TCP;
	p->tcp_seq = rd32(h + 4);
	p->tcp_ack = rd32(h + 8);
	p->tcp_flags = h[13];
	p->tcp_win = rd16(h + 14);
	if (hlen > 20)
		tcp_options(d, h + 20, hlen - 20);
	p->payload_off = (uint16_t)(off + hlen);
	p->payload_len = (uint16_t)(avail - hlen);

	/* only a whole segment can be summed */
	if (d->cfg->checksum_validate && !d->ip_trunc && !(p->flags & PKT_FRAGMENT) &&
	    !decode_l4_csum_ok(p, IPP_TCP, h, avail)) {
		p->flags |= PKT_CSUM_BAD;
		decode_event(d, DECODE_EV_TCP_CSUM_INVALID);
	}
	return 0;
}
