/*
 * tap: the worker half of anomaly scoring (see anomaly.h). Called for
 * every decoded packet after flow tracking, it only reads the packet and
 * its flow and, for the packets that carry a feature, writes one 56-byte
 * event into the worker's own ring: no allocation, lock or syscall.
 *
 * Which packets: a flow's first packet (a probe: SYN, bare FIN/NULL/XMAS/
 * ACK, UDP, ICMP echo, other protocols), the responder's first packet
 * (success, or failure when it is a RST), an ICMP unreachable (failure
 * of the quoted attempt), every 64th packet of a direction (volume), a
 * login greeting in the server's first payloads, a DNS query or NXDOMAIN
 * answer, and a flow's end (no reply ever, or a finished session).
 * Everything else costs a few compares.
 */
#include <string.h>
#include <time.h>

#include "mamori/anomaly.h"
#include "mamori/flow.h"

#define VOLUME_EVERY 64

static struct anomaly_ev *ev_reserve(struct anomaly_tap *t)
{
	struct anomaly_ev *e = spsc_ring_reserve(&t->ring);

	/* reading a file the scorer will catch up: wait (nothing lost);
	 * live, a worker never waits on scoring */
	while (!e && !t->live) {
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
		e = spsc_ring_reserve(&t->ring);
	}
	if (!e)
		t->drops++;
	return e;
}

static void ev_send(struct anomaly_tap *t, uint8_t kind, uint64_t ts, int ver,
		    const union ip_addr *src, const union ip_addr *dst,
		    uint8_t proto, uint16_t dport, uint16_t n, uint32_t x, uint32_t y,
		    uint8_t a8, uint8_t b8)
{
	struct anomaly_ev *e = ev_reserve(t);

	if (!e)
		return;
	e->ts_us = ts;
	e->src = *src;
	e->dst = *dst;
	e->dport = dport;
	e->kind = kind;
	e->ip_ver = (uint8_t)ver;
	e->proto = proto;
	e->a8 = a8;
	e->b8 = b8;
	e->pad = 0;
	e->n = n;
	e->x = x;
	e->y = y;
	spsc_ring_commit(&t->ring);
	t->sent++;
}

static bool tunnel_qtype(uint16_t t)
{
	/* CNAME, NULL, MX, TXT, and the rarely legitimate ANY-ish extras */
	return t == 5 || t == 10 || t == 15 || t == 16;
}

static void dns_packet(struct anomaly_tap *t, const struct packet *p)
{
	struct dnsq q;
	const uint8_t *msg = p->data + p->payload_off;
	uint8_t ent;

	if (dnsq_parse(msg, p->payload_len, &q) < 0 || q.labels == 0)
		return;
	ent = (uint8_t)(q.sub_entropy * 32 > 255 ? 255 : q.sub_entropy * 32);
	if (!q.response && p->dport == 53)
		ev_send(t, AEV_DNS_Q, p->ts_us, p->ip_ver, &p->src, &p->dst, p->proto, 53,
			q.name_len, (uint32_t)q.base_hash, (uint32_t)q.name_hash,
			tunnel_qtype(q.qtype) ? DNSQ_CLASS_TUNNEL : DNSQ_CLASS_OTHER, ent);
	else if (q.response && p->sport == 53 && q.rcode == 3)
		ev_send(t, AEV_DNS_NX, p->ts_us, p->ip_ver, &p->dst, &p->src, p->proto, 53,
			q.name_len, (uint32_t)q.base_hash, (uint32_t)q.name_hash, 0, ent);
}

/* The server's first payloads: a login service's greeting, whatever the
 * port (SSH on 902 is still SSH). */
static uint8_t banner_kind(const uint8_t *d, uint16_t n)
{
	if (n >= 4 && memcmp(d, "SSH-", 4) == 0)
		return BANNER_SSH;
	if (n >= 4 && (memcmp(d, "220 ", 4) == 0 || memcmp(d, "220-", 4) == 0))
		return BANNER_FTP;  /* FTP and SMTP greet alike; both take passwords */
	if (n >= 3 && d[0] == 0xff && d[1] >= 0xfb && d[1] <= 0xfe)
		return BANNER_TELNET;  /* IAC WILL/WONT/DO/DONT */
	if (n >= 3 && (memcmp(d, "+OK", 3) == 0 || memcmp(d, "* OK", 4 <= n ? 4 : n) == 0))
		return BANNER_MAIL;
	return 0;
}

static void session_event(struct anomaly_tap *t, const struct flow *f, uint64_t ts)
{
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;
	uint64_t ms = (ts - f->start_us) / 1000;
	uint64_t b = f->bytes[FLOW_TOSERVER];
	uint64_t np = f->pkts[FLOW_TOSERVER] + f->pkts[FLOW_TOCLIENT];

	flow_endpoints(f, &cs, &cp, &sd, &sp);
	ev_send(t, AEV_SESSION, ts, f->key.ip_ver, cs, sd, 6, sp,
		(uint16_t)(np > 65535 ? 65535 : np),
		(uint32_t)(ms > UINT32_MAX ? UINT32_MAX : ms),
		(uint32_t)(b > UINT32_MAX ? UINT32_MAX : b), 0, 0);
}

void anomaly_packet_(struct anomaly_tap *t, const struct packet *p,
		     const struct flow *f, int dir)
{
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;
	uint64_t n;

	/* an ICMP error: the quoted attempt failed (its sender is the prober) */
	if (p->flags & PKT_HAS_ICMP_INNER) {
		bool unreach = (p->proto == 1 && p->icmp_type == 3) ||
			       (p->proto == 58 && p->icmp_type == 1);
		if (unreach)
			ev_send(t, AEV_FAIL, p->ts_us, p->inner_ip_ver, &p->inner_src,
				&p->inner_dst, p->inner_proto,
				p->inner_proto == 6 || p->inner_proto == 17 ? p->inner_dport
									   : p->inner_proto,
				1, 0, 0, 0, 0);
		return;
	}
	if (p->proto == 17 && p->payload_len >= 17 && (p->dport == 53 || p->sport == 53))
		dns_packet(t, p);
	if (!f)
		return;
	n = f->pkts[dir];
	if (n == 1) {
		flow_endpoints(f, &cs, &cp, &sd, &sp);
		if (dir == FLOW_TOSERVER) {
			uint8_t kind;
			uint16_t port = sp;

			switch (p->proto) {
			case 6:
				if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
					kind = AEV_SYN;
				else if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
					kind = AEV_SYNACK;
				else if ((p->tcp_flags & TCP_RST) || p->payload_len)
					kind = 0;   /* a stray RST, or data picked up
						     * midstream: not a probe */
				else
					kind = AEV_PROBE;
				break;
			case 17:
				kind = AEV_UDP;
				break;
			case 1:
			case 58:
				kind = (p->proto == 1 && p->icmp_type == 8) ||
				       (p->proto == 58 && p->icmp_type == 128) ? AEV_ECHO : 0;
				port = 0;
				break;
			default:
				kind = AEV_OTHER;
				port = p->proto;
				break;
			}
			if (kind)
				ev_send(t, kind, p->ts_us, p->ip_ver, cs, sd, p->proto, port,
					1, p->wirelen, 0, p->tcp_flags, 0);
		} else {
			/* the responder's first word decides the attempt */
			bool fail = p->proto == 6 && (p->tcp_flags & TCP_RST);
			ev_send(t, fail ? AEV_FAIL : AEV_OK, p->ts_us, p->ip_ver, cs, sd,
				p->proto, p->proto == 6 || p->proto == 17 ? sp : p->proto,
				1, 0, 0, 0, 0);
		}
	} else if ((n & (VOLUME_EVERY - 1)) == 0) {
		ev_send(t, AEV_VOLUME, p->ts_us, p->ip_ver, &p->src, &p->dst, p->proto,
			p->dport, VOLUME_EVERY, 0, 0,
			p->proto == 1 ? p->icmp_type : p->proto == 58 ? p->icmp_type : 0, 0);
	}
	/* the second FIN closes a session: report it now, not a closed
	 * timeout later (brute force is judged per finished session) */
	if (p->proto == 6 && (p->tcp_flags & TCP_FIN) && (f->flags & FLOW_F_ESTABLISHED) &&
	    (f->tcp_flags[!dir] & TCP_FIN))
		session_event(t, f, p->ts_us);
	if (p->proto == 6 && dir == FLOW_TOCLIENT && p->payload_len && n <= 3) {
		uint8_t k = banner_kind(p->data + p->payload_off, p->payload_len);
		if (k) {
			flow_endpoints(f, &cs, &cp, &sd, &sp);
			ev_send(t, AEV_BANNER, p->ts_us, p->ip_ver, cs, sd, 6, sp, 1, 0, 0, k, 0);
		}
	}
}

void anomaly_flow_end_(struct anomaly_tap *t, const struct flow *f)
{
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;
	uint8_t proto = f->key.proto;

	flow_endpoints(f, &cs, &cp, &sd, &sp);
	if (f->pkts[FLOW_TOCLIENT] == 0) {
		/* nobody answered: a failed attempt, unless it was not one */
		uint8_t fl = f->tcp_flags[FLOW_TOSERVER];
		/* TCP: a SYN, or bare probes (headers only, ~40-60 bytes
		 * each); not a one-sided session picked up midstream */
		bool attempt = proto != 6 ||
			       (fl & (TCP_SYN | TCP_ACK)) == TCP_SYN ||
			       (!(fl & TCP_SYN) && f->bytes[FLOW_TOSERVER] <= 80 * f->pkts[FLOW_TOSERVER]);
		if (proto == 1 || proto == 58)
			attempt = f->icmp_type == 8 || f->icmp_type == 128;
		if (attempt)
			ev_send(t, AEV_NOREPLY, f->last_us, f->key.ip_ver, cs, sd, proto,
				proto == 6 || proto == 17 ? sp : proto == 1 || proto == 58 ? 0 : proto,
				1, 0, 0, 0, 0);
		return;
	}
	/* sessions closed by FIN both ways were reported at the second FIN */
	if (proto == 6 && (f->flags & FLOW_F_ESTABLISHED) &&
	    !((f->tcp_flags[0] & TCP_FIN) && (f->tcp_flags[1] & TCP_FIN)))
		session_event(t, f, f->last_us);
}
