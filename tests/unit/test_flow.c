/*
 * test_flow: the flow table, TCP states, timeouts, eviction, flow ids,
 * Community ID and SHA-1. Packets are built by filling the decoded fields
 * of struct packet directly, so these tests do not depend on the decoder.
 *
 * Community ID vectors come from the spec repository's baseline data
 * (corelight/community-id-spec, baseline/README.md and baseline_*.json) and
 * from tshark 4.0 (--enable-protocol communityid) on captures of the shared
 * corpus; SHA-1 vectors from FIPS 180 examples.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/flow.h"
#include "harness.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

/* ---- helpers ---- */

static union ip_addr addr(const char *s)
{
	union ip_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.b) != 1 && inet_pton(AF_INET6, s, a.b) != 1)
		abort();
	return a;
}

static struct packet mkpkt(uint8_t proto, const char *src, uint16_t sp,
			   const char *dst, uint16_t dp, uint8_t tcpfl, uint64_t ts)
{
	struct packet p;

	memset(&p, 0, sizeof(p));
	p.ip_ver = strchr(src, ':') ? 6 : 4;
	p.flags = p.ip_ver == 4 ? PKT_IPV4 : PKT_IPV6;
	p.proto = proto;
	p.src = addr(src);
	p.dst = addr(dst);
	switch (proto) {
	case IPPROTO_TCP:
		p.flags |= PKT_TCP;
		p.sport = sp;
		p.dport = dp;
		p.tcp_flags = tcpfl;
		break;
	case IPPROTO_UDP:
		p.flags |= PKT_UDP;
		p.sport = sp;
		p.dport = dp;
		break;
	case IPPROTO_ICMP:
		p.flags |= PKT_ICMPV4;
		break;
	case IPPROTO_ICMPV6:
		p.flags |= PKT_ICMPV6;
		break;
	default:
		p.sport = sp;
		p.dport = dp;
		break;
	}
	p.wirelen = 60;
	p.caplen = 60;
	p.ts_us = ts;
	return p;
}

static struct packet tcp(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			 uint8_t fl, uint64_t ts)
{
	return mkpkt(IPPROTO_TCP, src, sp, dst, dp, fl, ts);
}

static struct packet udp(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			 uint64_t ts)
{
	return mkpkt(IPPROTO_UDP, src, sp, dst, dp, 0, ts);
}

static struct packet icmp(const char *src, const char *dst, uint8_t type,
			  uint8_t code, uint16_t id, uint64_t ts)
{
	struct packet p = mkpkt(strchr(src, ':') ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
				src, 0, dst, 0, 0, ts);

	p.icmp_type = type;
	p.icmp_code = code;
	p.icmp_id = id;
	return p;
}

/* Records every on_end call. */
struct end_rec {
	uint64_t id;
	enum flow_end_reason why;
	uint8_t tcp_state;
	uint64_t pkts0, pkts1;
};

struct end_log {
	unsigned n;
	struct end_rec r[64];
};

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct end_log *log = arg;

	if (log->n < 64)
		log->r[log->n] = (struct end_rec){ f->flow_id, why, f->tcp_state,
						   f->pkts[0], f->pkts[1] };
	log->n++;
}

static struct flow_table *mktable(uint32_t max_flows, struct end_log *log)
{
	struct flow_config cfg;

	flow_config_default(&cfg);
	cfg.max_flows = max_flows;
	cfg.hash_size = 64;
	if (log)
		memset(log, 0, sizeof(*log));
	return flow_table_create(&cfg, log ? on_end : NULL, log);
}

static struct flow *feed(struct flow_table *ft, struct packet p, enum flow_dir *dir)
{
	enum flow_dir d = (enum flow_dir)-1;
	struct flow *f = flow_packet(ft, &p, &d);

	if (dir)
		*dir = d;
	return f;
}

/* A full handshake from client c:cp to server s:sp, at ts. */
static struct flow *handshake(struct flow_table *ft, const char *c, uint16_t cp,
			      const char *s, uint16_t sp, uint64_t ts)
{
	feed(ft, tcp(c, cp, s, sp, TCP_SYN, ts), NULL);
	feed(ft, tcp(s, sp, c, cp, TCP_SYN | TCP_ACK, ts), NULL);
	return feed(ft, tcp(c, cp, s, sp, TCP_ACK, ts), NULL);
}

/* ---- table basics ---- */

static void test_config_default(void)
{
	struct flow_config cfg;

	flow_config_default(&cfg);
	CU_ASSERT_EQUAL(cfg.hash_size, 65536);
	CU_ASSERT_EQUAL(cfg.max_flows, 65536);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_DEFAULT][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_DEFAULT][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_DEFAULT][FLOW_TS_CLOSED], 0);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_TCP][FLOW_TS_NEW], 60);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_TCP][FLOW_TS_ESTABLISHED], 600);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_TCP][FLOW_TS_CLOSED], 60);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_UDP][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_UDP][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_ICMP][FLOW_TS_NEW], 30);
	CU_ASSERT_EQUAL(cfg.timeout[FLOW_PC_ICMP][FLOW_TS_ESTABLISHED], 300);
	CU_ASSERT_EQUAL(cfg.community_id_seed, 0);
	CU_ASSERT_EQUAL(cfg.worker_id, 0);
}

static void test_create_invalid(void)
{
	struct flow_config cfg;
	struct flow_table *ft;

	flow_config_default(&cfg);
	cfg.max_flows = 0;
	CU_ASSERT_PTR_NULL(flow_table_create(&cfg, NULL, NULL));

	/* a zero or odd hash size is rounded up, not refused */
	cfg.max_flows = 8;
	cfg.hash_size = 0;
	ft = flow_table_create(&cfg, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);
	CU_ASSERT_PTR_NOT_NULL(feed(ft, udp("10.0.0.1", 1, "10.0.0.2", 2, T0), NULL));
	flow_table_destroy(ft);
	flow_table_destroy(NULL);
}

static void test_lookup_both_directions(void)
{
	struct flow_table *ft = mktable(16, NULL);
	struct packet fwd = tcp("10.0.0.1", 1234, "10.0.0.2", 80, TCP_SYN, T0);
	struct packet rev = tcp("10.0.0.2", 80, "10.0.0.1", 1234, TCP_SYN | TCP_ACK, T0 + 1);
	struct flow_key k1, k2;
	bool sw1 = true, sw2 = false;
	enum flow_dir d;
	struct flow *f;

	CU_ASSERT_PTR_NULL(flow_lookup(ft, &fwd));
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &rev));
	f = flow_packet(ft, &fwd, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_PTR_EQUAL(flow_lookup(ft, &fwd), f);
	CU_ASSERT_PTR_EQUAL(flow_lookup(ft, &rev), f);
	CU_ASSERT_PTR_EQUAL(flow_packet(ft, &rev, &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);

	/* canonical key: lower address first, whichever way the packet goes */
	CU_ASSERT_TRUE(flow_key_from_packet(&fwd, &k1, &sw1));
	CU_ASSERT_TRUE(flow_key_from_packet(&rev, &k2, &sw2));
	CU_ASSERT_FALSE(sw1);
	CU_ASSERT_TRUE(sw2);
	CU_ASSERT_EQUAL(memcmp(&k1, &k2, sizeof(k1)), 0);
	CU_ASSERT_EQUAL(memcmp(&f->key, &k1, sizeof(k1)), 0);
	CU_ASSERT_EQUAL(k1.addr[0].b[3], 1);
	CU_ASSERT_EQUAL(k1.addr[1].b[3], 2);
	CU_ASSERT_EQUAL(k1.port[0], 1234);
	CU_ASSERT_EQUAL(k1.port[1], 80);
	CU_ASSERT_EQUAL(k1.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(k1.ip_ver, 4);
	CU_ASSERT_EQUAL(k1.vlan, 0);

	/* equal addresses: the lower port decides */
	fwd = udp("10.0.0.1", 5000, "10.0.0.1", 53, T0);
	CU_ASSERT_TRUE(flow_key_from_packet(&fwd, &k1, &sw1));
	CU_ASSERT_TRUE(sw1);
	CU_ASSERT_EQUAL(k1.port[0], 53);
	CU_ASSERT_EQUAL(k1.port[1], 5000);

	/* IPv4 bytes 4..15 are ignored even when the caller left junk there */
	fwd = udp("10.0.0.1", 5000, "10.0.0.3", 53, T0);
	rev = udp("10.0.0.3", 53, "10.0.0.1", 5000, T0);
	rev.src.b[9] = 0xaa;
	rev.dst.b[15] = 0x55;
	f = feed(ft, fwd, NULL);
	CU_ASSERT_PTR_EQUAL(feed(ft, rev, &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);

	CU_ASSERT_EQUAL(flow_table_stats(ft)->total, 2);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 2);
	flow_table_destroy(ft);
}

static void test_direction_client(void)
{
	struct flow_table *ft = mktable(16, NULL);
	struct packet q = udp("10.0.0.9", 5555, "10.0.0.1", 53, T0 + 100);
	struct packet r = udp("10.0.0.1", 53, "10.0.0.9", 5555, T0 + 200);
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;
	enum flow_dir d;
	struct flow *f;

	/* the initiator is the higher address: key side 1 */
	f = feed(ft, q, &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->client, 1);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(f->start_us, T0 + 100);

	r.wirelen = 300;
	CU_ASSERT_PTR_EQUAL(feed(ft, r, &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_ESTABLISHED));

	q.ts_us = T0 + 300;
	q.wirelen = 70;
	CU_ASSERT_PTR_EQUAL(feed(ft, q, &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->pkts[FLOW_TOSERVER], 2);
	CU_ASSERT_EQUAL(f->pkts[FLOW_TOCLIENT], 1);
	CU_ASSERT_EQUAL(f->bytes[FLOW_TOSERVER], 60 + 70);
	CU_ASSERT_EQUAL(f->bytes[FLOW_TOCLIENT], 300);
	CU_ASSERT_EQUAL(f->last_us, T0 + 300);

	/* a late packet (reordered capture) does not move last_us back */
	r.ts_us = T0 + 150;
	feed(ft, r, NULL);
	CU_ASSERT_EQUAL(f->last_us, T0 + 300);
	CU_ASSERT_EQUAL(f->start_us, T0 + 100);
	CU_ASSERT_EQUAL(f->pkts[FLOW_TOCLIENT], 2);

	flow_endpoints(f, &cs, &cp, &sd, &sp);
	CU_ASSERT_TRUE(ip_addr_eq(cs, &q.src));
	CU_ASSERT_TRUE(ip_addr_eq(sd, &q.dst));
	CU_ASSERT_EQUAL(cp, 5555);
	CU_ASSERT_EQUAL(sp, 53);
	flow_table_destroy(ft);
}

static void test_packet_hash(void)
{
	struct flow_table *ft = mktable(256, NULL);
	struct packet a = udp("10.1.0.1", 1000, "10.2.0.1", 2000, T0);
	struct packet b = udp("10.2.0.1", 2000, "10.1.0.1", 1000, T0);
	struct flow *fl[200];
	enum flow_dir d;
	struct flow *f;

	/* a dispatch hash, when present, is used as is */
	a.hash = b.hash = 0xdeadbeef;
	f = feed(ft, a, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->hash, 0xdeadbeef);
	CU_ASSERT_PTR_EQUAL(feed(ft, b, &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);

	/* hashes whose low bits are all equal (one worker's share of a
	 * dispatch hash) still find their own flows */
	for (unsigned i = 0; i < 200; i++) {
		struct packet p = udp("10.3.0.1", (uint16_t)(3000 + i), "10.4.0.1", 53, T0);

		p.hash = (i + 1) << 8;
		fl[i] = feed(ft, p, NULL);
	}
	for (unsigned i = 0; i < 200; i++) {
		struct packet p = udp("10.4.0.1", 53, "10.3.0.1", (uint16_t)(3000 + i), T0);

		p.hash = (i + 1) << 8;
		CU_ASSERT_PTR_EQUAL(flow_lookup(ft, &p), fl[i]);
	}
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 201);
	flow_table_destroy(ft);
}

/* ---- TCP ---- */

static void test_tcp_handshake(void)
{
	struct flow_table *ft = mktable(16, NULL);
	const char *c = "192.168.1.20", *s = "192.168.1.10";
	enum flow_dir d;
	struct flow *f;

	f = feed(ft, tcp(c, 40000, s, 22, TCP_SYN, T0), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_SYN_SENT);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);

	/* a retransmitted SYN changes nothing */
	feed(ft, tcp(c, 40000, s, 22, TCP_SYN, T0 + 1), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_SYN_SENT);

	feed(ft, tcp(s, 22, c, 40000, TCP_SYN | TCP_ACK, T0 + 2), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_SYN_RECV);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_NEW));

	/* an ACK from the server side does not complete the handshake */
	feed(ft, tcp(s, 22, c, 40000, TCP_ACK, T0 + 3), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_SYN_RECV);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 0);
	CU_ASSERT_FALSE(f->flags & FLOW_F_ESTABLISHED);

	feed(ft, tcp(c, 40000, s, 22, TCP_ACK, T0 + 4), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_TRUE(f->flags & FLOW_F_ESTABLISHED);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 1);

	/* data keeps it established and is not counted again */
	feed(ft, tcp(c, 40000, s, 22, TCP_ACK | TCP_PSH, T0 + 5), NULL);
	feed(ft, tcp(s, 22, c, 40000, TCP_ACK | TCP_PSH, T0 + 6), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 1);
	CU_ASSERT_EQUAL(f->tcp_flags[FLOW_TOSERVER], TCP_SYN | TCP_ACK | TCP_PSH);
	CU_ASSERT_EQUAL(f->tcp_flags[FLOW_TOCLIENT], TCP_SYN | TCP_ACK | TCP_PSH);
	CU_ASSERT_EQUAL(f->pkts[FLOW_TOSERVER], 4);
	CU_ASSERT_EQUAL(f->pkts[FLOW_TOCLIENT], 3);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->total, 1);
	flow_table_destroy(ft);
}

static struct flow_table *mktable_midstream(bool midstream)
{
	struct flow_config cfg;

	flow_config_default(&cfg);
	CU_ASSERT_FALSE(cfg.midstream); /* Suricata's default */
	cfg.max_flows = 16;
	cfg.hash_size = 64;
	cfg.midstream = midstream;
	return flow_table_create(&cfg, NULL, NULL);
}

/* stream.midstream off: a TCP flow without its SYN is not picked up */
static void test_tcp_midstream_off(void)
{
	struct flow_table *ft = mktable_midstream(false);
	const char *c = "10.0.0.1", *s = "10.0.0.2";
	enum flow_dir d;
	struct flow *f;

	/* SYN-ACK first: its sender stays the client, nothing establishes */
	f = feed(ft, tcp(s, 80, c, 1234, TCP_SYN | TCP_ACK, T0), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->client, 1);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_NONE);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);
	feed(ft, tcp(c, 1234, s, 80, TCP_ACK, T0 + 1), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	feed(ft, tcp(s, 80, c, 1234, TCP_ACK | TCP_PSH, T0 + 2), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_NONE);
	CU_ASSERT_EQUAL(f->flags & (FLOW_F_ESTABLISHED | FLOW_F_PKT_ESTABLISHED), 0);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 0);

	/* no SYN at all: state NONE, established class once both sides spoke,
	 * but never established for detection */
	f = feed(ft, tcp(s, 443, c, 5555, TCP_ACK | TCP_PSH, T0), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->client, 1);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_NONE);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_NEW));
	feed(ft, tcp(s, 443, c, 5555, TCP_ACK, T0 + 1), NULL);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_NEW));
	feed(ft, tcp(c, 5555, s, 443, TCP_ACK, T0 + 2), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_NONE);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(f->flags & (FLOW_F_ESTABLISHED | FLOW_F_PKT_ESTABLISHED), 0);

	/* a FIN still closes it for the timeout class */
	feed(ft, tcp(c, 5555, s, 443, TCP_ACK | TCP_FIN, T0 + 3), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSING);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 0);
	flow_table_destroy(ft);
}

/* stream.midstream on: picked up as Suricata's stream engine does */
static void test_tcp_midstream_on(void)
{
	struct flow_table *ft = mktable_midstream(true);
	const char *c = "10.0.0.1", *s = "10.0.0.2";
	enum flow_dir d;
	struct flow *f;

	/* SYN-ACK first: its destination is the client; the client's ACK
	 * completes the handshake, established from the next packet on */
	f = feed(ft, tcp(s, 80, c, 1234, TCP_SYN | TCP_ACK, T0), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->client, 0);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_SYN_RECV);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);
	feed(ft, tcp(c, 1234, s, 80, TCP_ACK, T0 + 1), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 1);
	feed(ft, tcp(s, 80, c, 1234, TCP_ACK | TCP_PSH, T0 + 2), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);

	/* an ACK first: its sender is the client, the session established
	 * at once for the timeout class and from the next packet on for
	 * detection, whichever side sends it */
	f = feed(ft, tcp(s, 443, c, 5555, TCP_ACK | TCP_PSH, T0), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->client, 1);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_ESTABLISHED));
	feed(ft, tcp(c, 5555, s, 443, TCP_ACK, T0 + 1), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);
	/* a pickup is not a handshake */
	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 1);

	/* a FIN first is picked up too, closing */
	f = feed(ft, tcp(c, 6000, s, 25, TCP_ACK | TCP_FIN, T0), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSING);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);

	/* a RST first never starts a session */
	f = feed(ft, tcp(c, 6001, s, 25, TCP_ACK | TCP_RST, T0), &d);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_RESET);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);

	/* a full handshake is unchanged by the setting: the completing ACK
	 * itself is not yet established */
	f = feed(ft, tcp(c, 7000, s, 22, TCP_SYN, T0), NULL);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_MIDSTREAM, 0);
	f = feed(ft, tcp(s, 22, c, 7000, TCP_SYN | TCP_ACK, T0), NULL);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_ESTABLISHED, 0);
	f = feed(ft, tcp(c, 7000, s, 22, TCP_ACK, T0), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);
	f = feed(ft, tcp(c, 7000, s, 22, TCP_ACK | TCP_PSH, T0), NULL);
	CU_ASSERT_NOT_EQUAL(f->flags & FLOW_F_PKT_ESTABLISHED, 0);
	flow_table_destroy(ft);
}

static void test_tcp_fin_rst(void)
{
	struct flow_table *ft = mktable(16, NULL);
	const char *c = "10.0.0.1", *s = "10.0.0.2";
	struct flow *f;

	f = handshake(ft, c, 1000, s, 80, T0);
	CU_ASSERT_EQUAL_FATAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	feed(ft, tcp(c, 1000, s, 80, TCP_FIN | TCP_ACK, T0 + 1), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSING);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_CLOSED));
	feed(ft, tcp(s, 80, c, 1000, TCP_ACK, T0 + 2), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSING);
	feed(ft, tcp(s, 80, c, 1000, TCP_FIN | TCP_ACK, T0 + 3), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSED);
	feed(ft, tcp(c, 1000, s, 80, TCP_ACK, T0 + 4), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSED);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_CLOSED));

	/* RST from the server of an established flow */
	f = handshake(ft, c, 1001, s, 80, T0);
	feed(ft, tcp(s, 80, c, 1001, TCP_RST | TCP_ACK, T0 + 1), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_RESET);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_CLOSED));
	/* nothing but reuse leaves RESET */
	feed(ft, tcp(c, 1001, s, 80, TCP_ACK, T0 + 2), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_RESET);

	/* SYN answered by RST (closed port) */
	f = feed(ft, tcp(c, 1002, s, 81, TCP_SYN, T0), NULL);
	feed(ft, tcp(s, 81, c, 1002, TCP_RST | TCP_ACK, T0), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_RESET);

	/* a RST or FIN as first packet (scans) */
	f = feed(ft, tcp(c, 1003, s, 82, TCP_RST, T0), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_RESET);
	f = feed(ft, tcp(c, 1004, s, 83, TCP_FIN | TCP_PSH | TCP_URG, T0), NULL);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_CLOSING);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_CLOSED));

	CU_ASSERT_EQUAL(flow_table_stats(ft)->tcp_established, 2);
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_NONE), "none");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_SYN_SENT), "syn_sent");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_SYN_RECV), "syn_recv");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_ESTABLISHED), "established");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_CLOSING), "closing");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_CLOSED), "closed");
	CU_ASSERT_STRING_EQUAL(tcp_state_name(TCP_STATE_RESET), "reset");
	CU_ASSERT_STRING_EQUAL(tcp_state_name((enum tcp_state)42), "unknown");
	flow_table_destroy(ft);
}

static void test_tcp_reuse(void)
{
	struct end_log log;
	struct flow_table *ft = mktable(16, &log);
	const char *c = "10.0.0.1", *s = "10.0.0.2";
	const struct flow_stats *st = flow_table_stats(ft);
	uint64_t old_id;
	enum flow_dir d;
	struct flow *f, *g;

	f = handshake(ft, c, 1000, s, 80, T0);
	feed(ft, tcp(c, 1000, s, 80, TCP_FIN | TCP_ACK, T0 + 1), NULL);
	feed(ft, tcp(s, 80, c, 1000, TCP_FIN | TCP_ACK, T0 + 2), NULL);
	CU_ASSERT_EQUAL_FATAL(f->tcp_state, TCP_STATE_CLOSED);
	old_id = f->flow_id;

	/* neither a SYN-ACK nor an ACK reuses a closed flow */
	CU_ASSERT_PTR_EQUAL(feed(ft, tcp(s, 80, c, 1000, TCP_SYN | TCP_ACK, T0 + 3), NULL), f);
	CU_ASSERT_EQUAL(log.n, 0);

	g = feed(ft, tcp(c, 1000, s, 80, TCP_SYN, 10 * SEC + T0), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL_FATAL(log.n, 1);
	CU_ASSERT_EQUAL(log.r[0].why, FLOW_END_REUSED);
	CU_ASSERT_EQUAL(log.r[0].id, old_id);
	CU_ASSERT_EQUAL(log.r[0].tcp_state, TCP_STATE_CLOSED);
	CU_ASSERT_EQUAL(log.r[0].pkts0 + log.r[0].pkts1, 6);
	CU_ASSERT_NOT_EQUAL(g->flow_id, old_id);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(g->tcp_state, TCP_STATE_SYN_SENT);
	CU_ASSERT_EQUAL(g->pkts[0], 1);
	CU_ASSERT_EQUAL(g->pkts[1], 0);
	CU_ASSERT_EQUAL(g->start_us, 10 * SEC + T0);
	CU_ASSERT_EQUAL(st->reused, 1);
	CU_ASSERT_EQUAL(st->total, 2);
	CU_ASSERT_EQUAL(st->tcp, 2);
	CU_ASSERT_EQUAL(st->active, 1);

	/* after RST, and the new flow's client is the new SYN's sender even
	 * when the old flow ran the other way */
	feed(ft, tcp(s, 80, c, 1000, TCP_RST, 11 * SEC + T0), NULL);
	CU_ASSERT_EQUAL(g->tcp_state, TCP_STATE_RESET);
	f = feed(ft, tcp(s, 80, c, 1000, TCP_SYN, 12 * SEC + T0), &d);
	CU_ASSERT_EQUAL(log.n, 2);
	CU_ASSERT_EQUAL(log.r[1].why, FLOW_END_REUSED);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->client, 1);
	CU_ASSERT_EQUAL(st->reused, 2);
	CU_ASSERT_EQUAL(st->active, 1);

	/* a SYN on an established flow is not reuse */
	f = handshake(ft, c, 2000, s, 80, T0);
	g = feed(ft, tcp(c, 2000, s, 80, TCP_SYN, T0 + 5), NULL);
	CU_ASSERT_PTR_EQUAL(g, f);
	CU_ASSERT_EQUAL(f->tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_EQUAL(st->reused, 2);
	CU_ASSERT_EQUAL(log.n, 2);
	flow_table_destroy(ft);
}

/* ---- protocols ---- */

static void test_proto_counters(void)
{
	struct flow_table *ft = mktable(64, NULL);
	const struct flow_stats *st = flow_table_stats(ft);
	struct flow_stats sum;

	feed(ft, tcp("10.0.0.1", 1, "10.0.0.2", 2, TCP_SYN, T0), NULL);
	feed(ft, tcp("2001:db8::1", 1, "2001:db8::2", 2, TCP_SYN, T0), NULL);
	feed(ft, udp("10.0.0.1", 1, "10.0.0.2", 2, T0), NULL);
	feed(ft, udp("2001:db8::1", 1, "2001:db8::2", 2, T0), NULL);
	feed(ft, icmp("10.0.0.1", "10.0.0.2", 8, 0, 1, T0), NULL);
	feed(ft, icmp("2001:db8::1", "2001:db8::2", 128, 0, 1, T0), NULL);
	feed(ft, mkpkt(47, "10.0.0.1", 0, "10.0.0.2", 0, 0, T0), NULL);   /* GRE */
	feed(ft, mkpkt(132, "10.0.0.1", 7, "10.0.0.2", 7, 0, T0), NULL);  /* SCTP */
	feed(ft, mkpkt(46, "2001:db8::1", 0, "2001:db8::2", 0, 0, T0), NULL); /* RSVP */

	CU_ASSERT_EQUAL(st->total, 9);
	CU_ASSERT_EQUAL(st->active, 9);
	CU_ASSERT_EQUAL(st->tcp, 2);
	CU_ASSERT_EQUAL(st->udp, 2);
	CU_ASSERT_EQUAL(st->icmpv4, 1);
	CU_ASSERT_EQUAL(st->icmpv6, 1);
	CU_ASSERT_EQUAL(st->other, 3);

	/* the same tuple over IPv4 and IPv6 are different flows, as are
	 * protocols: nothing above hit an existing flow */
	memset(&sum, 0, sizeof(sum));
	flow_stats_add(&sum, st);
	flow_stats_add(&sum, st);
	CU_ASSERT_EQUAL(sum.total, 18);
	CU_ASSERT_EQUAL(sum.active, 18);
	CU_ASSERT_EQUAL(sum.tcp, 4);
	CU_ASSERT_EQUAL(sum.udp, 4);
	CU_ASSERT_EQUAL(sum.icmpv4, 2);
	CU_ASSERT_EQUAL(sum.icmpv6, 2);
	CU_ASSERT_EQUAL(sum.other, 6);

	sum = (struct flow_stats){ 0 };
	flow_stats_add(&sum, &(struct flow_stats){ .timeout = 1, .evicted = 2, .reused = 3,
		.shutdown = 4, .tcp_established = 5, .no_flow = 6 });
	CU_ASSERT_EQUAL(sum.timeout, 1);
	CU_ASSERT_EQUAL(sum.evicted, 2);
	CU_ASSERT_EQUAL(sum.reused, 3);
	CU_ASSERT_EQUAL(sum.shutdown, 4);
	CU_ASSERT_EQUAL(sum.tcp_established, 5);
	CU_ASSERT_EQUAL(sum.no_flow, 6);
	flow_table_destroy(ft);
}

static void test_icmp_echo(void)
{
	struct flow_table *ft = mktable(16, NULL);
	const struct flow_stats *st = flow_table_stats(ft);
	enum flow_dir d;
	struct flow *f, *g, *h;

	f = feed(ft, icmp("192.168.0.89", "192.168.0.1", 8, 0, 0x1234, T0), &d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_EQUAL(f->key.port[0], 0x1234);
	CU_ASSERT_EQUAL(f->key.port[1], 0x1234);
	CU_ASSERT_EQUAL(f->icmp_type, 8);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_ICMP, FLOW_TS_NEW));
	CU_ASSERT_PTR_EQUAL(feed(ft, icmp("192.168.0.1", "192.168.0.89", 0, 0, 0x1234, T0 + 1), &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_ICMP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(f->icmp_type, 8);    /* the first packet's */

	/* another ping id is another flow */
	g = feed(ft, icmp("192.168.0.89", "192.168.0.1", 8, 0, 0x9999, T0), NULL);
	CU_ASSERT_PTR_NOT_EQUAL(g, f);

	/* errors carry no id: port 0, a flow of their own */
	h = feed(ft, icmp("192.168.0.1", "192.168.0.89", 3, 3, 0x1234, T0), &d);
	CU_ASSERT_PTR_NOT_EQUAL(h, f);
	CU_ASSERT_PTR_NOT_EQUAL(h, g);
	CU_ASSERT_EQUAL(h->key.port[0], 0);
	CU_ASSERT_EQUAL(h->key.port[1], 0);
	CU_ASSERT_EQUAL(h->icmp_type, 3);
	CU_ASSERT_EQUAL(h->icmp_code, 3);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);

	/* timestamp request/reply pair up too */
	g = feed(ft, icmp("192.168.0.89", "192.168.0.1", 13, 0, 7, T0), NULL);
	CU_ASSERT_PTR_EQUAL(feed(ft, icmp("192.168.0.1", "192.168.0.89", 14, 0, 7, T0), NULL), g);

	/* ICMPv6 echo */
	f = feed(ft, icmp("2001:db8::9", "2001:db8::1", 128, 0, 42, T0), &d);
	CU_ASSERT_EQUAL(d, FLOW_TOSERVER);
	CU_ASSERT_PTR_EQUAL(feed(ft, icmp("2001:db8::1", "2001:db8::9", 129, 0, 42, T0), &d), f);
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);
	CU_ASSERT_EQUAL(f->key.port[0], 42);
	/* a neighbour solicitation has no id */
	g = feed(ft, icmp("2001:db8::1", "2001:db8::9", 135, 0, 42, T0), NULL);
	CU_ASSERT_PTR_NOT_EQUAL(g, f);
	CU_ASSERT_EQUAL(g->key.port[0], 0);

	CU_ASSERT_EQUAL(st->icmpv4, 4);
	CU_ASSERT_EQUAL(st->icmpv6, 2);
	CU_ASSERT_EQUAL(st->total, 6);
	flow_table_destroy(ft);
}

static void test_vlan(void)
{
	struct flow_table *ft = mktable(16, NULL);
	struct packet p = udp("10.0.0.1", 1000, "10.0.0.2", 53, T0);
	struct packet r = udp("10.0.0.2", 53, "10.0.0.1", 1000, T0);
	struct flow *untagged, *v10, *v20;

	untagged = feed(ft, p, NULL);
	p.vlan_count = r.vlan_count = 1;
	p.vlan[0] = r.vlan[0] = 10;
	v10 = feed(ft, p, NULL);
	p.vlan[0] = 20;
	v20 = feed(ft, p, NULL);
	CU_ASSERT_PTR_NOT_EQUAL(untagged, v10);
	CU_ASSERT_PTR_NOT_EQUAL(untagged, v20);
	CU_ASSERT_PTR_NOT_EQUAL(v10, v20);
	CU_ASSERT_EQUAL(untagged->key.vlan, 0);
	CU_ASSERT_EQUAL(v10->key.vlan, 10);
	CU_ASSERT_EQUAL(v20->key.vlan, 20);
	CU_ASSERT_PTR_EQUAL(feed(ft, r, NULL), v10);

	/* QinQ: the outermost tag decides */
	p.vlan_count = 2;
	p.vlan[0] = 10;
	p.vlan[1] = 30;
	CU_ASSERT_PTR_EQUAL(feed(ft, p, NULL), v10);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->total, 3);
	flow_table_destroy(ft);
}

static void test_fragments_no_flow(void)
{
	struct flow_table *ft = mktable(16, NULL);
	const struct flow_stats *st = flow_table_stats(ft);
	struct packet p = udp("10.0.0.1", 1000, "10.0.0.2", 53, T0);
	struct packet frag = p, first = p, arp;
	struct flow_key k;
	enum flow_dir d = FLOW_TOCLIENT;
	struct flow *f;
	bool sw;

	/* a later fragment: no ports, no flow */
	frag.flags |= PKT_FRAGMENT;
	frag.flags &= ~PKT_UDP;
	frag.sport = frag.dport = 0;
	frag.frag_off = 1480;
	CU_ASSERT_FALSE(flow_key_from_packet(&frag, &k, &sw));
	CU_ASSERT_PTR_NULL(flow_packet(ft, &frag, &d));
	CU_ASSERT_EQUAL(d, FLOW_TOCLIENT);   /* untouched */
	CU_ASSERT_EQUAL(st->no_flow, 1);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &frag));

	/* the first fragment carries the header: same flow as unfragmented */
	first.flags |= PKT_FRAGMENT | PKT_FRAG_FIRST;
	first.frag_mf = 1;
	f = feed(ft, first, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(f->key.port[0], 1000);
	CU_ASSERT_PTR_EQUAL(feed(ft, p, NULL), f);

	/* not IP */
	memset(&arp, 0, sizeof(arp));
	arp.wirelen = 42;
	CU_ASSERT_FALSE(flow_key_from_packet(&arp, &k, &sw));
	CU_ASSERT_PTR_NULL(flow_packet(ft, &arp, &d));
	CU_ASSERT_EQUAL(st->no_flow, 2);
	CU_ASSERT_EQUAL(st->total, 1);
	flow_table_destroy(ft);
}

/* ---- timeouts ---- */

static void test_timeouts_per_class(void)
{
	static const uint32_t to[FLOW_PC_MAX][FLOW_TS_MAX] = {
		[FLOW_PC_DEFAULT] = { 9, 50, 1 },
		[FLOW_PC_TCP] = { 10, 20, 5 },
		[FLOW_PC_UDP] = { 7, 30, 1 },
		[FLOW_PC_ICMP] = { 8, 40, 1 },
	};
	struct flow_config cfg;
	struct end_log log;
	struct flow_table *ft;
	struct { uint32_t secs; uint64_t id; uint8_t list; } exp[8];
	struct flow *f;
	unsigned n = 0;

	flow_config_default(&cfg);
	memcpy(cfg.timeout, to, sizeof(to));
	cfg.max_flows = 32;
	memset(&log, 0, sizeof(log));
	ft = flow_table_create(&cfg, on_end, &log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft);

#define EXPECT(secs_, f_) exp[n++] = (typeof(exp[0])){ secs_, (f_)->flow_id, (f_)->list }
	f = feed(ft, tcp("10.0.0.1", 1, "10.0.0.2", 80, TCP_SYN, T0), NULL);
	EXPECT(10, f);
	f = handshake(ft, "10.0.0.1", 2, "10.0.0.2", 80, T0);
	EXPECT(20, f);
	feed(ft, tcp("10.0.0.1", 3, "10.0.0.2", 80, TCP_SYN, T0), NULL);
	f = feed(ft, tcp("10.0.0.2", 80, "10.0.0.1", 3, TCP_RST | TCP_ACK, T0), NULL);
	EXPECT(5, f);
	f = feed(ft, udp("10.0.0.1", 4, "10.0.0.2", 53, T0), NULL);
	EXPECT(7, f);
	feed(ft, udp("10.0.0.1", 5, "10.0.0.2", 53, T0), NULL);
	f = feed(ft, udp("10.0.0.2", 53, "10.0.0.1", 5, T0), NULL);
	EXPECT(30, f);
	f = feed(ft, icmp("10.0.0.1", "10.0.0.2", 8, 0, 6, T0), NULL);
	EXPECT(8, f);
	feed(ft, icmp("10.0.0.1", "10.0.0.2", 8, 0, 7, T0), NULL);
	f = feed(ft, icmp("10.0.0.2", "10.0.0.1", 0, 0, 7, T0), NULL);
	EXPECT(40, f);
	f = feed(ft, mkpkt(47, "10.0.0.1", 0, "10.0.0.2", 0, 0, T0), NULL);
	EXPECT(9, f);
#undef EXPECT

	CU_ASSERT_EQUAL(exp[0].list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(exp[1].list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(exp[2].list, FLOW_LIST(FLOW_PC_TCP, FLOW_TS_CLOSED));
	CU_ASSERT_EQUAL(exp[3].list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(exp[4].list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(exp[5].list, FLOW_LIST(FLOW_PC_ICMP, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(exp[6].list, FLOW_LIST(FLOW_PC_ICMP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(exp[7].list, FLOW_LIST(FLOW_PC_DEFAULT, FLOW_TS_NEW));
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 8);

	/* in deadline order, each ends exactly at last_us + timeout */
	for (uint32_t secs = 1; secs <= 50; secs++) {
		unsigned want = 0, at = log.n;

		for (unsigned i = 0; i < n; i++)
			want += exp[i].secs == secs;
		CU_ASSERT_EQUAL(flow_sweep(ft, T0 + secs * SEC - 1, 100), 0);
		CU_ASSERT_EQUAL(flow_sweep(ft, T0 + secs * SEC, 100), want);
		for (unsigned i = 0; i < n; i++) {
			if (exp[i].secs != secs)
				continue;
			CU_ASSERT_EQUAL_FATAL(log.n, at + 1);
			CU_ASSERT_EQUAL(log.r[at].id, exp[i].id);
			CU_ASSERT_EQUAL(log.r[at].why, FLOW_END_TIMEOUT);
		}
	}
	CU_ASSERT_EQUAL(log.n, 8);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->timeout, 8);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 0);
	flow_table_destroy(ft);
}

static void test_timeout_refresh(void)
{
	struct end_log log;
	struct flow_table *ft = mktable(16, &log);
	struct packet p = udp("10.0.0.1", 1, "10.0.0.2", 2, T0);
	struct flow *f;

	f = feed(ft, p, NULL);
	p.ts_us = T0 + 20 * SEC;
	feed(ft, p, NULL);
	/* the UDP new timeout (30 s) counts from the last packet */
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 30 * SEC, 10), 0);
	CU_ASSERT_PTR_EQUAL(flow_lookup(ft, &p), f);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 50 * SEC - 1, 10), 0);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 50 * SEC, 10), 1);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &p));

	/* a class change restarts the clock at the new class's timeout:
	 * established UDP lives 300 s */
	f = feed(ft, p, NULL);
	p = udp("10.0.0.2", 2, "10.0.0.1", 1, T0 + 20 * SEC);
	feed(ft, p, NULL);
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 319 * SEC, 10), 0);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 320 * SEC, 10), 1);
	CU_ASSERT_EQUAL(log.n, 2);
	flow_table_destroy(ft);
}

static void test_sweep_budget(void)
{
	struct end_log log;
	struct flow_table *ft = mktable(32, &log);
	uint64_t ids[10];

	for (unsigned i = 0; i < 10; i++) {
		struct flow *f = feed(ft, udp("10.0.0.1", (uint16_t)(100 + i), "10.0.0.2", 53,
					      T0 + i), NULL);

		ids[i] = f->flow_id;
	}
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 0), 0);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 3), 3);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 7);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 3), 3);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 3), 3);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 3), 1);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 40 * SEC, 3), 0);
	CU_ASSERT_EQUAL_FATAL(log.n, 10);
	/* oldest first */
	for (unsigned i = 0; i < 10; i++) {
		CU_ASSERT_EQUAL(log.r[i].id, ids[i]);
		CU_ASSERT_EQUAL(log.r[i].why, FLOW_END_TIMEOUT);
	}
	CU_ASSERT_EQUAL(flow_table_stats(ft)->timeout, 10);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 0);

	/* partial expiry: only the flows past their deadline */
	for (unsigned i = 0; i < 4; i++)
		feed(ft, udp("10.0.0.1", (uint16_t)(200 + i), "10.0.0.2", 53,
			     T0 + 100 * SEC + i * SEC), NULL);
	CU_ASSERT_EQUAL(flow_sweep(ft, T0 + 131 * SEC, 100), 2);
	CU_ASSERT_EQUAL(flow_table_stats(ft)->active, 2);
	flow_table_destroy(ft);
}

/* ---- eviction and flush ---- */

static void test_eviction(void)
{
	struct end_log log;
	struct flow_table *ft = mktable(4, &log);
	const struct flow_stats *st = flow_table_stats(ft);
	struct packet pa = udp("10.0.0.1", 1, "10.0.0.9", 53, T0 + 1 * SEC);
	struct packet pb = udp("10.0.0.2", 1, "10.0.0.9", 53, T0 + 2 * SEC);
	struct packet pc = tcp("10.0.0.3", 1, "10.0.0.9", 80, TCP_SYN, T0 + 3 * SEC);
	struct packet pd = tcp("10.0.0.4", 1, "10.0.0.9", 80, TCP_SYN, T0 + 4 * SEC);
	struct flow *a, *b, *c, *d, *e, *f, *g;
	uint64_t ida, idb, idc, idd;

	a = feed(ft, pa, NULL);     /* established, oldest */
	feed(ft, udp("10.0.0.9", 53, "10.0.0.1", 1, T0 + 1 * SEC), NULL);
	b = feed(ft, pb, NULL);     /* new */
	c = feed(ft, pc, NULL);     /* closed, after the RST */
	feed(ft, tcp("10.0.0.9", 80, "10.0.0.3", 1, TCP_RST | TCP_ACK, T0 + 3 * SEC), NULL);
	d = feed(ft, pd, NULL);     /* new */
	ida = a->flow_id;
	idb = b->flow_id;
	idc = c->flow_id;
	idd = d->flow_id;
	CU_ASSERT_EQUAL(st->active, 4);
	CU_ASSERT_EQUAL(log.n, 0);

	/* full: the closed flow goes first, though not the oldest */
	e = feed(ft, udp("10.0.0.5", 1, "10.0.0.9", 53, T0 + 5 * SEC), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL_FATAL(log.n, 1);
	CU_ASSERT_EQUAL(log.r[0].id, idc);
	CU_ASSERT_EQUAL(log.r[0].why, FLOW_END_EVICTED);
	CU_ASSERT_EQUAL(st->evicted, 1);
	CU_ASSERT_EQUAL(st->active, 4);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &pc));

	/* then the least recently active new flow, across protocols (UDP b
	 * at 2 s before TCP d at 4 s and UDP e at 5 s) */
	f = feed(ft, icmp("10.0.0.6", "10.0.0.9", 8, 0, 1, T0 + 6 * SEC), NULL);
	CU_ASSERT_EQUAL_FATAL(log.n, 2);
	CU_ASSERT_EQUAL(log.r[1].id, idb);
	CU_ASSERT_EQUAL(log.r[1].why, FLOW_END_EVICTED);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &pb));

	g = feed(ft, udp("10.0.0.7", 1, "10.0.0.9", 53, T0 + 7 * SEC), NULL);
	CU_ASSERT_EQUAL_FATAL(log.n, 3);
	CU_ASSERT_EQUAL(log.r[2].id, idd);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &pd));

	/* with only established flows left, the oldest of them */
	feed(ft, udp("10.0.0.9", 53, "10.0.0.5", 1, T0 + 8 * SEC), NULL);
	feed(ft, icmp("10.0.0.9", "10.0.0.6", 0, 0, 1, T0 + 9 * SEC), NULL);
	feed(ft, udp("10.0.0.9", 53, "10.0.0.7", 1, T0 + 10 * SEC), NULL);
	CU_ASSERT_EQUAL(e->list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(f->list, FLOW_LIST(FLOW_PC_ICMP, FLOW_TS_ESTABLISHED));
	CU_ASSERT_EQUAL(g->list, FLOW_LIST(FLOW_PC_UDP, FLOW_TS_ESTABLISHED));
	feed(ft, udp("10.0.0.8", 1, "10.0.0.9", 53, T0 + 11 * SEC), NULL);
	CU_ASSERT_EQUAL_FATAL(log.n, 4);
	CU_ASSERT_EQUAL(log.r[3].id, ida);
	CU_ASSERT_EQUAL(log.r[3].why, FLOW_END_EVICTED);
	CU_ASSERT_PTR_NULL(flow_lookup(ft, &pa));

	CU_ASSERT_EQUAL(st->evicted, 4);
	CU_ASSERT_EQUAL(st->total, 8);
	CU_ASSERT_EQUAL(st->active, 4);
	CU_ASSERT_EQUAL(st->timeout, 0);
	flow_table_destroy(ft);
}

static void test_flush(void)
{
	struct end_log log;
	struct flow_table *ft = mktable(8, &log);
	const struct flow_stats *st = flow_table_stats(ft);
	struct packet p[5] = {
		tcp("10.0.0.1", 1, "10.0.0.2", 80, TCP_SYN, T0),
		udp("10.0.0.1", 2, "10.0.0.2", 53, T0),
		icmp("10.0.0.1", "10.0.0.2", 8, 0, 3, T0),
		mkpkt(47, "10.0.0.1", 0, "10.0.0.2", 0, 0, T0),
		udp("2001:db8::1", 2, "2001:db8::2", 53, T0),
	};

	handshake(ft, "10.0.0.3", 1, "10.0.0.2", 80, T0);
	for (unsigned i = 0; i < 5; i++)
		feed(ft, p[i], NULL);
	CU_ASSERT_EQUAL(st->active, 6);
	flow_table_flush(ft);
	CU_ASSERT_EQUAL(log.n, 6);
	for (unsigned i = 0; i < log.n && i < 64; i++)
		CU_ASSERT_EQUAL(log.r[i].why, FLOW_END_SHUTDOWN);
	CU_ASSERT_EQUAL(st->shutdown, 6);
	CU_ASSERT_EQUAL(st->active, 0);
	for (unsigned i = 0; i < 5; i++)
		CU_ASSERT_PTR_NULL(flow_lookup(ft, &p[i]));
	CU_ASSERT_EQUAL(flow_sweep(ft, UINT64_MAX / 2, 100), 0);

	/* the table is usable again, with all its slots */
	for (unsigned i = 0; i < 8; i++)
		feed(ft, udp("10.0.1.1", (uint16_t)i, "10.0.1.2", 53, T0), NULL);
	CU_ASSERT_EQUAL(st->active, 8);
	CU_ASSERT_EQUAL(st->evicted, 0);
	flow_table_flush(ft);
	CU_ASSERT_EQUAL(st->shutdown, 14);
	flow_table_flush(ft);
	CU_ASSERT_EQUAL(st->shutdown, 14);
	flow_table_destroy(ft);
}

/* ---- flow ids ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_flow_ids(void)
{
	enum { N = 100000 };
	struct flow_config cfg;
	struct flow_table *ft[2];
	uint64_t *ids = malloc(2 * N * sizeof(*ids));
	unsigned dup = 0, bad = 0;
	uint64_t first_w1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
	flow_config_default(&cfg);
	cfg.max_flows = 1024;       /* ids must survive recycling */
	cfg.hash_size = 1024;
	cfg.run_seed = 0x1234567890abcdefull;
	for (unsigned w = 0; w < 2; w++) {
		cfg.worker_id = (uint16_t)(w + 1);
		ft[w] = flow_table_create(&cfg, NULL, NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ft[w]);
	}
	/* the same tuples at the same times on both workers */
	for (unsigned i = 0; i < N; i++) {
		struct packet p = udp("10.0.0.1", (uint16_t)i, "10.0.0.2",
				      (uint16_t)(i >> 16), T0);

		for (unsigned w = 0; w < 2; w++) {
			struct flow *f = flow_packet(ft[w], &p, NULL);

			ids[w * N + i] = f ? f->flow_id : 0;
		}
	}
	first_w1 = ids[0];
	for (unsigned i = 0; i < 2 * N; i++)
		bad += ids[i] == 0 || ids[i] >= (1ull << 51);
	qsort(ids, 2 * N, sizeof(*ids), cmp_u64);
	for (unsigned i = 1; i < 2 * N; i++)
		dup += ids[i] == ids[i - 1];
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(dup, 0);
	/* spread over the 51 bits, not a small counter */
	CU_ASSERT_TRUE(ids[2 * N - 1] > (1ull << 50));
	CU_ASSERT_EQUAL(flow_table_stats(ft[0])->evicted, N - 1024);

	/* another run seed numbers the same flows differently */
	flow_table_destroy(ft[0]);
	cfg.worker_id = 1;
	cfg.run_seed = 99;
	ft[0] = flow_table_create(&cfg, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ft[0]);
	{
		struct packet p = udp("10.0.0.1", 0, "10.0.0.2", 0, T0);
		struct flow *f = flow_packet(ft[0], &p, NULL);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_NOT_EQUAL(f->flow_id, first_w1);
		CU_ASSERT_NOT_EQUAL(f->flow_id, 0);
	}
	flow_table_destroy(ft[0]);
	flow_table_destroy(ft[1]);
	free(ids);
}

/* ---- Community ID ---- */

struct cid_vec {
	uint16_t seed;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;   /* ICMP: type, code */
	const char *want;
};

static const struct cid_vec cid_vectors[] = {
	/* community-id-spec baseline/README.md, default seed */
	{ 0, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ 0, "5.6.7.8", "1.2.3.4", 6, 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ 0, "1.2.3.4", "5.6.7.8", 17, 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ 0, "5.6.7.8", "1.2.3.4", 17, 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ 0, "1.2.3.4", "5.6.7.8", 132, 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ 0, "1.2.3.4", "5.6.7.8", 1, 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ 0, "5.6.7.8", "1.2.3.4", 1, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ 0, "1.2.3.4", "5.6.7.8", 1, 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=" },
	{ 0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  58, 128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ 0, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  58, 129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ 0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  58, 146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=" },
	{ 0, "1.2.3.4", "5.6.7.8", 46, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ 0, "5.6.7.8", "1.2.3.4", 46, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ 0, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  46, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
	/* baseline_deflt.json (pcaps/combined.pcap.gz) */
	{ 0, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 6, 63943, 25,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943,
	  "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 0, "128.232.110.120", "66.35.250.204", 6, 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 0, "192.168.1.52", "8.8.8.8", 17, 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 0, "192.168.170.8", "192.168.170.56", 132, 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 0, "192.168.0.89", "192.168.0.1", 1, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ 0, "10.0.0.1", "10.0.0.2", 1, 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
	{ 0, "10.1.12.1", "10.1.12.2", 46, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	/* neighbour solicitation, two-way, both address orders */
	{ 0, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 0, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 136, 0,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 0, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58, 135, 0,
	  "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ 0, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 58, 1, 4,
	  "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
	{ 0, "fe80::200:86ff:fe05:80da", "ff02::2", 58, 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
	/* seed 1: baseline/README.md and baseline_seed1.json */
	{ 1, "1.2.3.4", "5.6.7.8", 6, 1122, 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ 1, "5.6.7.8", "1.2.3.4", 17, 3344, 1122, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ 1, "1.2.3.4", "5.6.7.8", 132, 1122, 3344, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	{ 1, "5.6.7.8", "1.2.3.4", 1, 0, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ 1, "1.2.3.4", "5.6.7.8", 1, 11, 0, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=" },
	{ 1, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  58, 129, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	{ 1, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  46, 0, 0, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
	{ 1, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 6, 25, 63943,
	  "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	/* tshark 4.0.17 on ../shared/corpus/pcaps */
	{ 0, "2a01:cb01:2049:8b07:991d:ec85:28df:f629", "2a00:1450:4007:80a::200a", 6, 40028, 443,
	  "1:MYtGV2MmWsm9St1Zr2HTyDguuLQ=" },                  /* benign/reddit-ipv6.pcap */
	{ 0, "4.2.2.1", "172.16.16.170", 17, 53, 49905,
	  "1:93/CHQKmMposqFjpVTSJ5XxCq3o=" },                  /* benign/dns-lookups.pcapng */
	{ 0, "192.168.1.1", "192.168.1.109", 1, 0, 0,
	  "1:4hC28ZXiLNVQR1HXIONZN8Os4Y8=" },                  /* scan/icmp-ping-sweep.pcap */
	/* one-way ICMP from the higher address: not reordered */
	{ 0, "192.168.1.25", "192.168.1.10", 1, 3, 3,
	  "1:nvChn1Wlzetim/QNnfUF6ub5cgE=" },                  /* scan/nmap-udp-scan.pcap */
	{ 0, "172.99.233.20", "10.10.10.10", 1, 3, 3,
	  "1:q7zRkcrh/gs6ur/sv/SHiBIly5M=" },                  /* flood/synack-reflection.pcap */
};

static void test_community_id_vectors(void)
{
	char buf[64];

	for (size_t i = 0; i < sizeof(cid_vectors) / sizeof(cid_vectors[0]); i++) {
		const struct cid_vec *v = &cid_vectors[i];
		union ip_addr s = addr(v->src), d = addr(v->dst);
		int ver = strchr(v->src, ':') ? 6 : 4;
		const char *r = community_id_v1(v->seed, ver, &s, &d, v->proto,
						v->sport, v->dport, buf, sizeof(buf));

		CU_ASSERT_PTR_EQUAL(r, buf);
		if (!r || strcmp(r, v->want))
			fprintf(stderr, "\n  vector %zu: got %s want %s\n", i,
				r ? r : "(null)", v->want);
		CU_ASSERT_STRING_EQUAL(buf, v->want);
	}

	/* buffer too small, bad IP version */
	{
		union ip_addr s = addr("1.2.3.4"), d = addr("5.6.7.8");

		CU_ASSERT_PTR_NULL(community_id_v1(0, 4, &s, &d, 6, 1, 2, buf, 30));
		CU_ASSERT_EQUAL(buf[0], '\0');
		CU_ASSERT_PTR_NOT_NULL(community_id_v1(0, 4, &s, &d, 6, 1, 2, buf, 31));
		CU_ASSERT_EQUAL(strlen(buf), 30);
		CU_ASSERT_PTR_NULL(community_id_v1(0, 5, &s, &d, 6, 1, 2, buf, sizeof(buf)));
	}
}

static void test_flow_community_id(void)
{
	struct flow_table *ft = mktable(16, NULL);
	char buf[32];
	struct flow *f;

	/* oriented from the client, found from the SYN */
	f = feed(ft, tcp("128.232.110.120", 34855, "66.35.250.204", 80, TCP_SYN, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 1, buf, sizeof(buf)),
			       "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");

	/* IPv6 TCP seen midstream from the server's SYN-ACK */
	f = feed(ft, tcp("2607:f8b0:400c:c03::1a", 25, "2001:470:e5bf:dead:4957:2174:e82c:4887",
			 63943, TCP_SYN | TCP_ACK, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");

	/* UDP */
	f = feed(ft, udp("192.168.1.52", 54585, "8.8.8.8", 53, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");

	/* ICMP: the first packet's type/code, not the id in the key; a flow
	 * first seen as a reply gives the request's ID */
	f = feed(ft, icmp("192.168.0.89", "192.168.0.1", 8, 0, 0x77, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	f = feed(ft, icmp("192.168.0.1", "192.168.0.89", 0, 0, 0x78, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	f = feed(ft, icmp("192.168.1.25", "192.168.1.10", 3, 3, 0, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:nvChn1Wlzetim/QNnfUF6ub5cgE=");
	f = feed(ft, icmp("3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, 1, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=");

	/* a protocol without ports */
	f = feed(ft, mkpkt(46, "10.1.12.2", 0, "10.1.12.1", 0, 0, T0), NULL);
	CU_ASSERT_STRING_EQUAL(flow_community_id(f, 0, buf, sizeof(buf)),
			       "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
	CU_ASSERT_PTR_NULL(flow_community_id(f, 0, buf, 16));
	flow_table_destroy(ft);
}

/* ---- SHA-1 ---- */

static void check_sha1(const void *msg, size_t len, const char *hex)
{
	uint8_t d[20];
	char got[41];

	mamori_sha1(msg, len, d);
	for (int i = 0; i < 20; i++)
		snprintf(got + 2 * i, 3, "%02x", d[i]);
	CU_ASSERT_STRING_EQUAL(got, hex);
}

static void test_sha1_vectors(void)
{
	static const size_t lens[] = { 55, 56, 63, 64, 65 };
	static const char *const a_n[] = {
		"c1c8bbdc22796e28c0e15163d20899b65621d65a",
		"c2db330f6083854c99d4b5bfb6e8f29f201be699",
		"03f09f5b158a7a8cdad920bddc29b81c18a551f5",
		"0098ba824b5c16427bd7a1122a5a442a25ec644d",
		"11655326c708d70319be2610e8a57d9a5b959d3b",
	};
	char *million = malloc(1000000);

	/* FIPS 180 examples */
	check_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
	check_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	check_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		   "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(million);
	memset(million, 'a', 1000000);
	check_sha1(million, 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	/* padding boundaries (one or two final blocks), values from Python's
	 * hashlib */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		check_sha1(million, lens[i], a_n[i]);
	free(million);
}

static const struct test_case table_cases[] = {
	{ "config defaults", test_config_default },
	{ "create rejects max_flows 0", test_create_invalid },
	{ "insert and lookup, both directions", test_lookup_both_directions },
	{ "direction, client, counters", test_direction_client },
	{ "dispatch hash used as is", test_packet_hash },
	{ "per-protocol counters, stats_add", test_proto_counters },
	{ "ICMP echo and reply share a flow", test_icmp_echo },
	{ "VLAN distinguishes flows", test_vlan },
	{ "fragments and non-IP have no flow", test_fragments_no_flow },
	{ "flow ids unique across workers", test_flow_ids },
	{ NULL, NULL }
};

static const struct test_case tcp_cases[] = {
	{ "handshake", test_tcp_handshake },
	{ "midstream off", test_tcp_midstream_off },
	{ "midstream on", test_tcp_midstream_on },
	{ "FIN and RST", test_tcp_fin_rst },
	{ "port reuse after close", test_tcp_reuse },
	{ NULL, NULL }
};

static const struct test_case expiry_cases[] = {
	{ "timeouts per class, exact boundary", test_timeouts_per_class },
	{ "activity refreshes the timeout", test_timeout_refresh },
	{ "sweep budget", test_sweep_budget },
	{ "eviction when full", test_eviction },
	{ "flush at shutdown", test_flush },
	{ NULL, NULL }
};

static const struct test_case hash_cases[] = {
	{ "community id vectors", test_community_id_vectors },
	{ "community id of a flow", test_flow_community_id },
	{ "sha1 vectors", test_sha1_vectors },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "flow table", NULL, NULL, table_cases },
	{ "flow tcp", NULL, NULL, tcp_cases },
	{ "flow expiry", NULL, NULL, expiry_cases },
	{ "flow hashes", NULL, NULL, hash_cases },
	{ NULL, NULL, NULL, NULL }
};
