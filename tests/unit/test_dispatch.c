/*
 * test_dispatch: picking a worker (dispatch_pick), the worker pipeline
 * (worker_process_batch, housekeeping, flow records, worker_collect) and
 * the capture thread loop (dispatch_run) over a test-only capture backend.
 *
 * Packets are built byte by byte here. dispatch_pick must send both
 * directions of a flow to one worker whatever the link layer (Ethernet,
 * 802.1Q, QinQ, SLL, SLL2, raw, null/loop), must ignore IPv6 extension
 * headers in front of the ports, must hash IP fragments (and only them) on
 * addresses so every fragment of a datagram meets on one worker, and must
 * spread flows over the workers. Every expected value below is written out
 * from the packets built, never computed by the code under test; Community
 * IDs are the spec's baseline vectors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#include "harness.h"
#include "mamori/capture.h"
#include "mamori/config.h"
#include "mamori/dispatch.h"
#include "mamori/eve.h"
#include "mamori/output.h"
#include "mamori/reload.h"
#include "mamori/worker.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

/* ---- packet building ------------------------------------------------------ */

struct tuple {
	int ver;
	uint8_t src[16], dst[16];
	uint8_t proto;
	uint16_t sport, dport;   /* ICMP: unused */
	uint8_t tcp_flags;
};

/* How the IP layer is built. */
struct ipspec {
	uint16_t v4_frag;        /* IPv4 flags + fragment offset field, as on the wire */
	bool no_l4;              /* a later fragment: bytes instead of an L4 header */
	const uint8_t *ext6;     /* IPv6 extension headers before L4 (0, 43, 44, 51, 60) */
	size_t next6;
	uint16_t frag6_off;      /* IPv6 fragment header: offset in 8-byte units */
	bool frag6_more;
	size_t payload;          /* bytes after the L4 header */
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static struct tuple tup(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			uint8_t proto)
{
	struct tuple t;
	int af;

	memset(&t, 0, sizeof(t));
	t.ver = strchr(src, ':') ? 6 : 4;
	af = t.ver == 4 ? AF_INET : AF_INET6;
	if (inet_pton(af, src, t.src) != 1 || inet_pton(af, dst, t.dst) != 1)
		abort();
	t.proto = proto;
	t.sport = sp;
	t.dport = dp;
	return t;
}

static struct tuple reversed(const struct tuple *t, uint8_t tcp_flags)
{
	struct tuple r = *t;

	memcpy(r.src, t->dst, 16);
	memcpy(r.dst, t->src, 16);
	r.sport = t->dport;
	r.dport = t->sport;
	r.tcp_flags = tcp_flags;
	return r;
}

static size_t build_l4(const struct tuple *t, const struct ipspec *s, uint8_t *b)
{
	size_t n = 0;

	if (s->no_l4) {
		memset(b, 0xee, 24);
		return 24;
	}
	switch (t->proto) {
	case 6:
		memset(b, 0, 20);
		put16(b, t->sport);
		put16(b + 2, t->dport);
		b[7] = 1;                 /* seq 1 */
		b[12] = 0x50;             /* data offset 5 */
		b[13] = t->tcp_flags;
		put16(b + 14, 65535);
		n = 20;
		break;
	case 17:
		put16(b, t->sport);
		put16(b + 2, t->dport);
		put16(b + 4, 8 + s->payload);
		put16(b + 6, 0);          /* no checksum */
		n = 8;
		break;
	case 132:
		memset(b, 0, 12);
		put16(b, t->sport);
		put16(b + 2, t->dport);
		n = 12;
		break;
	case 1:
	case 58:
		memset(b, 0, 8);
		b[0] = t->proto == 1 ? 8 : 128;   /* echo request */
		put16(b + 4, 0x1234);
		n = 8;
		break;
	default:
		break;
	}
	memset(b + n, 'x', s->payload);
	return n + s->payload;
}

/* The IP packet of t into b; returns its length. */
static size_t build_ip(const struct tuple *t, const struct ipspec *s, uint8_t *b)
{
	static const struct ipspec plain;
	size_t n, l4;

	if (!s)
		s = &plain;
	if (t->ver == 4) {
		memset(b, 0, 20);
		b[0] = 0x45;
		put16(b + 4, 0x4321);
		put16(b + 6, s->v4_frag);
		b[8] = 64;
		b[9] = t->proto;
		memcpy(b + 12, t->src, 4);
		memcpy(b + 16, t->dst, 4);
		l4 = build_l4(t, s, b + 20);
		put16(b + 2, 20 + l4);
		put16(b + 10, inet_csum(b, 20, 0));
		return 20 + l4;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	b[7] = 64;
	memcpy(b + 8, t->src, 16);
	memcpy(b + 24, t->dst, 16);
	n = 40;
	{
		uint8_t *next = b + 6;   /* where the next header number goes */

		for (size_t i = 0; i < s->next6; i++) {
			uint8_t *h = b + n;

			*next = s->ext6[i];
			next = h;
			switch (s->ext6[i]) {
			case 0:
			case 60:          /* one PadN option */
				memset(h, 0, 8);
				h[2] = 1;
				h[3] = 4;
				n += 8;
				break;
			case 43:          /* type 0, no segments left, one address */
				memset(h, 0, 24);
				h[1] = 2;
				memcpy(h + 8, t->dst, 16);
				n += 24;
				break;
			case 44:
				memset(h, 0, 8);
				put16(h + 2, (uint32_t)s->frag6_off << 3 | s->frag6_more);
				h[7] = 0x77;      /* id */
				n += 8;
				break;
			case 51:          /* AH, 12 bytes of ICV */
				memset(h, 0, 24);
				h[1] = 4;
				h[7] = 1;
				n += 24;
				break;
			default:
				abort();
			}
		}
		*next = t->proto;
	}
	l4 = build_l4(t, s, b + n);
	put16(b + 4, n - 40 + l4);
	return n + l4;
}

enum wrap { W_RAW, W_IPVX, W_DLT_RAW, W_ETH, W_VLAN, W_QINQ, W_9100, W_SLL, W_SLL2,
	    W_NULL, W_LOOP, W_MAX };

static const char *const wrap_names[W_MAX] = {
	"raw", "ipv4/ipv6", "dlt_raw", "ethernet", "802.1q", "qinq 88a8", "qinq 9100",
	"sll", "sll2", "null", "loop",
};

/* IP packet ip[0..n) behind the link header of kind w into out; returns
 * the frame length and the link type in *lt. */
static size_t wrap(enum wrap w, const uint8_t *ip, size_t n, uint8_t *out, int *lt)
{
	int ver = ip[0] >> 4;
	uint16_t et = ver == 6 ? 0x86dd : 0x0800;
	size_t h = 0;

	switch (w) {
	case W_RAW:
		*lt = LINKTYPE_RAW;
		break;
	case W_IPVX:
		*lt = ver == 6 ? LINKTYPE_IPV6 : LINKTYPE_IPV4;
		break;
	case W_DLT_RAW:
		*lt = LINKTYPE_DLT_RAW;
		break;
	case W_ETH:
	case W_VLAN:
	case W_QINQ:
	case W_9100:
		*lt = LINKTYPE_ETHERNET;
		memset(out, 0x02, 12);
		out[11] = 0x01;
		h = 12;
		if (w == W_QINQ || w == W_9100) {
			put16(out + h, w == W_QINQ ? 0x88a8 : 0x9100);
			put16(out + h + 2, 200);
			h += 4;
		}
		if (w != W_ETH) {
			put16(out + h, 0x8100);
			put16(out + h + 2, 100);
			h += 4;
		}
		put16(out + h, et);
		h += 2;
		break;
	case W_SLL:
		*lt = LINKTYPE_LINUX_SLL;
		memset(out, 0, 16);
		put16(out + 2, 1);        /* ARPHRD_ETHER */
		put16(out + 4, 6);
		put16(out + 14, et);
		h = 16;
		break;
	case W_SLL2:
		*lt = LINKTYPE_LINUX_SLL2;
		memset(out, 0, 20);
		put16(out, et);
		out[7] = 2;               /* ifindex */
		put16(out + 8, 1);
		out[11] = 6;
		h = 20;
		break;
	case W_NULL:                      /* host order (little endian here) */
		*lt = LINKTYPE_NULL_BSD;
		memset(out, 0, 4);
		out[0] = ver == 6 ? 24 : 2;
		h = 4;
		break;
	case W_LOOP:                      /* network order */
		*lt = LINKTYPE_LOOP;
		memset(out, 0, 4);
		out[3] = ver == 6 ? 24 : 2;
		h = 4;
		break;
	default:
		abort();
	}
	memcpy(out + h, ip, n);
	return h + n;
}

/* dispatch_pick on a copy of exactly len bytes, so ASan sees overreads */
static unsigned pick(const uint8_t *frame, size_t len, int lt, unsigned n)
{
	uint8_t *c = malloc(len ? len : 1);
	unsigned w;

	static struct dispatch_scratch sc;
	static bool sc_ready;

	if (!sc_ready) {
		decode_config_default(&sc.cfg);
		sc_ready = true;
	}
	CU_ASSERT_FATAL(c != NULL);
	memcpy(c, frame, len);
	w = dispatch_pick(&sc, c, (uint32_t)len, lt, n);
	free(c);
	return w;
}

static unsigned pick_tuple(const struct tuple *t, const struct ipspec *s, enum wrap wk,
			   unsigned n)
{
	uint8_t ip[512], fr[600];
	size_t len;
	int lt;

	len = build_ip(t, s, ip);
	len = wrap(wk, ip, len, fr, &lt);
	return pick(fr, len, lt, n);
}

static uint32_t rng_state = 0x1234567;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static struct tuple random_tuple(void)
{
	static const uint8_t protos[] = { 6, 17, 132 };
	struct tuple t;

	memset(&t, 0, sizeof(t));
	t.ver = rng() & 1 ? 6 : 4;
	for (int i = 0; i < (t.ver == 4 ? 4 : 16); i++) {
		t.src[i] = (uint8_t)rng();
		t.dst[i] = (uint8_t)rng();
	}
	if (t.ver == 4) {
		t.src[0] = 10;
		t.dst[0] = 172;
	} else {
		t.src[0] = t.dst[0] = 0x20;
	}
	if (rng() % 8 == 0)              /* same host pair: the ports decide */
		memcpy(t.dst, t.src, 16);
	t.proto = protos[rng() % 3];
	t.sport = (uint16_t)rng();
	t.dport = (uint16_t)rng();
	t.tcp_flags = TCP_SYN;
	return t;
}

/* ---- dispatch_pick ------------------------------------------------------- */

static void test_pick_one_worker(void)
{
	struct tuple t = tup("10.0.0.1", 1, "10.0.0.2", 2, 6);

	for (int w = 0; w < W_MAX; w++) {
		CU_ASSERT_EQUAL(pick_tuple(&t, NULL, (enum wrap)w, 1), 0);
		CU_ASSERT_EQUAL(pick_tuple(&t, NULL, (enum wrap)w, 0), 0);
	}
}

static const unsigned worker_counts[] = { 2, 3, 4, 5, 7, 8, 16, 64 };
#define NCOUNTS (sizeof(worker_counts) / sizeof(worker_counts[0]))

/* Both directions of a flow on one worker, every link type, many worker
 * counts; and the same worker whatever the link layer around the packet. */
static void test_pick_symmetric(void)
{
	unsigned asym = 0, linkdiff = 0;

	for (int i = 0; i < 1500; i++) {
		struct tuple a = random_tuple(), b = reversed(&a, TCP_SYN | TCP_ACK);

		for (size_t k = 0; k < NCOUNTS; k++) {
			unsigned n = worker_counts[k];
			unsigned base = pick_tuple(&a, NULL, W_RAW, n);

			CU_ASSERT_FATAL(base < n);
			for (int w = 0; w < W_MAX; w++) {
				unsigned fa = pick_tuple(&a, NULL, (enum wrap)w, n);
				unsigned fb = pick_tuple(&b, NULL, (enum wrap)w, n);

				if (fa != fb && asym++ < 5)
					fprintf(stderr, "\n  %s, %u workers: %u one way, %u back",
						wrap_names[w], n, fa, fb);
				if (fa != base && linkdiff++ < 5)
					fprintf(stderr, "\n  %s, %u workers: %u, raw IP %u",
						wrap_names[w], n, fa, base);
			}
		}
	}
	CU_ASSERT_EQUAL(asym, 0);
	CU_ASSERT_EQUAL(linkdiff, 0);
}

/* ICMP has no ports: symmetric on addresses, every echo on one worker. */
static void test_pick_icmp(void)
{
	for (int i = 0; i < 300; i++) {
		struct tuple a = random_tuple(), b;

		a.proto = a.ver == 4 ? 1 : 58;
		b = reversed(&a, 0);
		for (size_t k = 0; k < NCOUNTS; k++) {
			unsigned n = worker_counts[k];

			CU_ASSERT_EQUAL(pick_tuple(&a, NULL, W_ETH, n), pick_tuple(&b, NULL, W_ETH, n));
			CU_ASSERT_EQUAL(pick_tuple(&a, NULL, W_VLAN, n), pick_tuple(&a, NULL, W_SLL, n));
		}
	}
}

/* Flows spread evenly: random flows, and flows between one host pair that
 * differ only in the client port. */
static void test_pick_spread(void)
{
	for (size_t k = 0; k < NCOUNTS; k++) {
		unsigned n = worker_counts[k], cnt[64] = { 0 }, cnt2[64] = { 0 };
		const unsigned per = 400;

		for (unsigned i = 0; i < per * n; i++) {
			struct tuple t = random_tuple();
			struct tuple u = tup("192.168.1.10", (uint16_t)(1024 + i), "192.168.1.1",
					     443, 6);

			cnt[pick_tuple(&t, NULL, i & 1 ? W_VLAN : W_ETH, n)]++;
			cnt2[pick_tuple(&u, NULL, W_ETH, n)]++;
		}
		/* expected 400 each; 6 standard deviations is about 120 */
		for (unsigned w = 0; w < n; w++) {
			if (cnt[w] < per - 130 || cnt[w] > per + 130 ||
			    cnt2[w] < per - 130 || cnt2[w] > per + 130)
				fprintf(stderr, "\n  %u workers: worker %u got %u and %u of %u",
					n, w, cnt[w], cnt2[w], per * n);
			CU_ASSERT(cnt[w] >= per - 130 && cnt[w] <= per + 130);
			CU_ASSERT(cnt2[w] >= per - 130 && cnt2[w] <= per + 130);
		}
	}
}

/* Every fragment of an IPv4 datagram on one worker, both directions; the
 * DF bit alone is not a fragment and does not move a flow. */
static void test_pick_ipv4_fragments(void)
{
	unsigned moved_by_df = 0, ports_used = 0;

	for (int i = 0; i < 400; i++) {
		struct tuple a = random_tuple(), b;
		struct ipspec first = { .v4_frag = 0x2000, .payload = 16 };
		struct ipspec middle = { .v4_frag = 0x2000 | 3, .no_l4 = true };
		struct ipspec last = { .v4_frag = 6, .no_l4 = true };
		struct ipspec df = { .v4_frag = 0x4000 };

		a.ver = 4;
		a.proto = i & 1 ? 17 : 6;
		b = reversed(&a, TCP_ACK);
		for (size_t k = 0; k < NCOUNTS; k++) {
			unsigned n = worker_counts[k];
			unsigned w1 = pick_tuple(&a, &first, W_ETH, n);

			CU_ASSERT_EQUAL(pick_tuple(&a, &middle, W_ETH, n), w1);
			CU_ASSERT_EQUAL(pick_tuple(&a, &last, W_VLAN, n), w1);
			CU_ASSERT_EQUAL(pick_tuple(&b, &first, W_ETH, n), w1);
			CU_ASSERT_EQUAL(pick_tuple(&b, &last, W_SLL, n), w1);
			/* DF only: ports count as for any packet */
			if (pick_tuple(&a, &df, W_ETH, n) != pick_tuple(&a, NULL, W_ETH, n))
				moved_by_df++;
			CU_ASSERT_EQUAL(pick_tuple(&b, &df, W_ETH, n), pick_tuple(&a, &df, W_ETH, n));
			/* and the ports do count for unfragmented packets: the
			 * fragment (address-only) worker differs for many flows */
			if (pick_tuple(&a, NULL, W_ETH, n) != w1)
				ports_used++;
		}
	}
	CU_ASSERT_EQUAL(moved_by_df, 0);
	/* 400 flows x 8 worker counts; an address-only hash would give 0 */
	CU_ASSERT(ports_used > 1000);
}

/* IPv6: extension headers in front of the ports change nothing; fragments
 * (fragment header alone or after hop-by-hop) meet on one worker. */
static void test_pick_ipv6_exthdrs_and_fragments(void)
{
	static const uint8_t hbh[] = { 0 }, chain[] = { 0, 60, 43, 60 }, ah[] = { 51 };
	static const uint8_t frag[] = { 44 }, hbh_frag[] = { 0, 44 };
	unsigned ports_used = 0;

	for (int i = 0; i < 300; i++) {
		struct tuple a = random_tuple(), b;
		struct ipspec s_hbh = { .ext6 = hbh, .next6 = 1 };
		struct ipspec s_chain = { .ext6 = chain, .next6 = 4 };
		struct ipspec s_ah = { .ext6 = ah, .next6 = 1 };
		struct ipspec f1 = { .ext6 = frag, .next6 = 1, .frag6_more = true, .payload = 8 };
		struct ipspec f2 = { .ext6 = frag, .next6 = 1, .frag6_off = 3, .no_l4 = true };
		struct ipspec hf1 = { .ext6 = hbh_frag, .next6 = 2, .frag6_more = true };
		struct ipspec hf2 = { .ext6 = hbh_frag, .next6 = 2, .frag6_off = 3, .no_l4 = true };

		a.ver = 6;
		memcpy(a.src, "\x20\x01\x0d\xb8", 4);
		b = reversed(&a, TCP_ACK);
		for (size_t k = 0; k < NCOUNTS; k++) {
			unsigned n = worker_counts[k];
			unsigned w = pick_tuple(&a, NULL, W_ETH, n);
			unsigned wf = pick_tuple(&a, &f1, W_ETH, n);

			CU_ASSERT_EQUAL(pick_tuple(&a, &s_hbh, W_ETH, n), w);
			CU_ASSERT_EQUAL(pick_tuple(&b, &s_hbh, W_VLAN, n), w);
			CU_ASSERT_EQUAL(pick_tuple(&a, &s_chain, W_ETH, n), w);
			CU_ASSERT_EQUAL(pick_tuple(&b, &s_chain, W_SLL2, n), w);
			/* AH: whatever it picks, both directions agree */
			CU_ASSERT_EQUAL(pick_tuple(&a, &s_ah, W_ETH, n),
					pick_tuple(&b, &s_ah, W_ETH, n));
			/* fragments */
			CU_ASSERT_EQUAL(pick_tuple(&a, &f2, W_ETH, n), wf);
			CU_ASSERT_EQUAL(pick_tuple(&b, &f1, W_ETH, n), wf);
			CU_ASSERT_EQUAL(pick_tuple(&b, &f2, W_RAW, n), wf);
			CU_ASSERT_EQUAL(pick_tuple(&a, &hf1, W_ETH, n), wf);
			CU_ASSERT_EQUAL(pick_tuple(&b, &hf2, W_ETH, n), wf);
			if (w != wf)
				ports_used++;
		}
	}
	CU_ASSERT(ports_used > 800);
}

/* Cut anywhere, or noise: always a worker in range, never a read past the
 * capture (ASan); the same bytes always give the same worker. */
static void test_pick_truncated_and_noise(void)
{
	static const int lts[] = {
		LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
		LINKTYPE_NULL_BSD, LINKTYPE_LOOP, LINKTYPE_IPV4, LINKTYPE_IPV6,
		LINKTYPE_DLT_RAW, LINKTYPE_C_HDLC, 9999,
	};
	static const uint8_t chain[] = { 0, 60, 43, 44 };
	uint8_t ip[512], fr[600];

	for (int i = 0; i < 200; i++) {
		struct tuple t = random_tuple();
		struct ipspec s = { .ext6 = chain, .next6 = t.ver == 6 ? 4 : 0,
				    .frag6_more = true, .payload = 4 };
		size_t n = build_ip(&t, &s, ip), len;
		int lt;

		len = wrap((enum wrap)(i % W_MAX), ip, n, fr, &lt);
		for (size_t cut = 0; cut <= len; cut++) {
			unsigned w = pick(fr, cut, lt, 5);

			CU_ASSERT_FATAL(w < 5);
			CU_ASSERT_EQUAL(pick(fr, cut, lt, 5), w);
		}
	}
	for (int i = 0; i < 20000; i++) {
		size_t len = rng() % 120;

		for (size_t k = 0; k < len; k++)
			fr[k] = (uint8_t)rng();
		if (len > 14 && rng() % 2) {
			fr[12] = 0x81;   /* a tag, then IPv4 or IPv6 */
			fr[13] = 0;
			fr[16] = rng() % 2 ? 0x08 : 0x86;
			fr[17] = fr[16] == 0x08 ? 0x00 : 0xdd;
		}
		CU_ASSERT_FATAL(pick(fr, len, lts[rng() % (sizeof(lts) / sizeof(lts[0]))], 7) < 7);
	}
}

/* ---- worker --------------------------------------------------------------- */

static struct config *g_cfg;
static struct mamori_config g_rc;

static int worker_suite_init(void)
{
	struct config_error e;

	g_cfg = config_new_default();
	if (!g_cfg || config_apply(g_cfg, &g_rc, &e) < 0)
		return -1;
	return 0;
}

static int worker_suite_cleanup(void)
{
	config_free(g_cfg);
	g_cfg = NULL;
	return 0;
}

/* the default configuration with flow records on */
static struct mamori_config test_rc(void)
{
	struct mamori_config rc = g_rc;

	rc.eve_enabled = true;
	rc.eve_flow = true;
	rc.community_id = true;
	return rc;
}

static struct batch *batch_new(int linktype)
{
	void *p = NULL;
	struct batch *b;

	CU_ASSERT_FATAL(posix_memalign(&p, MAMORI_CACHELINE, sizeof(struct batch)) == 0);
	b = p;
	b->n = 0;
	b->used = 0;
	b->linktype = (uint16_t)linktype;
	return b;
}

/* as dispatch does: packets 8-byte aligned, one after the other */
static void batch_add(struct batch *b, const uint8_t *data, size_t len, uint32_t wirelen,
		      uint64_t ts)
{
	struct pkt_desc *d;

	CU_ASSERT_FATAL(b->n < BATCH_PKTS && b->used + len <= BATCH_BYTES);
	d = &b->d[b->n++];
	d->ts_us = ts;
	d->off = b->used;
	d->caplen = (uint32_t)len;
	d->wirelen = wirelen;
	d->seq = 0;
	d->from = 0;
	d->barrier = 0;
	memcpy(b->data + b->used, data, len);
	b->used += ((uint32_t)len + 7u) & ~7u;
}

/* An Ethernet frame of t (optionally 802.1Q tagged) into out */
static size_t eth_frame(const struct tuple *t, const struct ipspec *s, bool vlan, uint8_t *out)
{
	uint8_t ip[512];
	size_t n = build_ip(t, s, ip);
	int lt;

	return wrap(vlan ? W_VLAN : W_ETH, ip, n, out, &lt);
}

static unsigned drain_events(struct worker *w, struct event_record *out, unsigned max)
{
	struct event_record *ev;
	unsigned n = 0;

	while ((ev = spsc_ring_peek(&w->events))) {
		if (n < max)
			out[n] = *ev;
		n++;
		spsc_ring_release(&w->events);
	}
	return n;
}

static const struct event_record *find_rec(const struct event_record *r, unsigned n,
					   uint16_t sport)
{
	for (unsigned i = 0; i < n; i++)
		if (r[i].sport == sport)
			return &r[i];
	return NULL;
}

/* The packets of the worker tests. Flow A is the spec's Community ID
 * example (client 128.232.110.120 is the higher address: key side 1). */
static struct tuple fa, fb, fc, fd, ffrag;
static uint32_t sum_wire, wire_a_ts, wire_a_tc, wire_b;

static struct batch *standard_batch(void)
{
	struct batch *b = batch_new(LINKTYPE_ETHERNET);
	uint8_t fr[600];
	struct tuple r;
	struct ipspec later = { .v4_frag = 6, .no_l4 = true };
	struct ipspec df = { .v4_frag = 0x4000 };
	size_t n;

	fa = tup("128.232.110.120", 34855, "66.35.250.204", 80, 6);
	fb = tup("192.168.1.52", 54585, "8.8.8.8", 53, 17);
	fc = tup("2001:db8::1", 1000, "2001:db8::2", 2000, 17);
	fd = tup("10.0.0.1", 1111, "10.0.0.2", 22, 6);
	ffrag = tup("10.9.0.1", 5000, "10.9.0.2", 5001, 17);
	sum_wire = wire_a_ts = wire_a_tc = wire_b = 0;

#define ADD(tu, spec, vl, wextra, ts) do {                              \
		n = eth_frame(&(tu), (spec), (vl), fr);                 \
		batch_add(b, fr, n, (uint32_t)(n + (wextra)), (ts));     \
		sum_wire += (uint32_t)(n + (wextra));                    \
	} while (0)

	/* flow A sets DF, as most TCP does: not a fragment */
	fa.tcp_flags = TCP_SYN;
	ADD(fa, &df, false, 0, T0 + 1 * SEC);                      /* 1 */
	wire_a_ts += (uint32_t)n;
	r = reversed(&fa, TCP_SYN | TCP_ACK);
	ADD(r, &df, false, 0, T0 + 2 * SEC);                       /* 2 */
	wire_a_tc += (uint32_t)n;
	fa.tcp_flags = TCP_ACK;
	ADD(fa, &df, false, 0, T0 + 3 * SEC);                      /* 3 */
	wire_a_ts += (uint32_t)n;
	fa.tcp_flags = TCP_ACK | TCP_PSH;
	ADD(fa, &df, false, 1000, T0 + 4 * SEC);                   /* 4: data, cut by snaplen */
	wire_a_ts += (uint32_t)n + 1000;
	ADD(fb, NULL, false, 0, T0 + 5 * SEC);                     /* 5 */
	wire_b += (uint32_t)n;
	r = reversed(&fb, 0);
	ADD(r, NULL, false, 0, T0 + 6 * SEC);                      /* 6 */
	ADD(fc, NULL, false, 0, T0 + 50 * SEC);                    /* 7: the latest */
	fd.tcp_flags = TCP_SYN;
	ADD(fd, NULL, true, 0, T0 + 7 * SEC);                      /* 8: VLAN 100 */
	{                                                          /* 9: ARP */
		static const char arp[] =
			"ffffffffffff 020000000001 0806 0001 0800 0604 0001"
			"020000000001 c0a8010a 000000000000 0a000001";
		uint8_t a[64];
		int an = test_hex(arp, a, sizeof(a));

		CU_ASSERT_FATAL(an == 42);
		batch_add(b, a, 42, 60, T0 + 8 * SEC);
		sum_wire += 60;
	}
	n = eth_frame(&fb, NULL, false, fr);                       /* 10: IPv4 cut at 10 bytes */
	batch_add(b, fr, 14 + 10, (uint32_t)n, T0 + 9 * SEC);
	sum_wire += (uint32_t)n;
	ADD(ffrag, &later, false, 0, T0 + 2 * SEC);                /* 11: a later fragment */
#undef ADD
	return b;
}

static void init_worker(struct worker *w, unsigned id, struct mamori_config *rc)
{
	CU_ASSERT_EQUAL_FATAL(worker_init(w, id, rc, 1024, false, NULL), 0);
}

/* ---- rule reload ---------------------------------------------------------- */

static const char *g_reload_text;

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static struct ruleset *reload_load(void *arg, const struct ruleset *prev, char *err,
				   size_t errlen)
{
	struct ruleset *rs = ruleset_new(g_cfg, NULL);

	(void)arg;
	if (!rs || (prev && ruleset_inherit_bits(rs, prev) < 0) ||
	    ruleset_load_string(rs, g_reload_text, "reload.rules") < 0) {
		snprintf(err, errlen, "cannot load");
		ruleset_free(rs);
		return NULL;
	}
	return rs;
}

/* The sids of the alerts in w's event ring, in order ("1,2"). */
static void alert_sids(struct worker *w, char *buf, size_t len)
{
	struct event_record *ev;
	size_t at = 0;

	buf[0] = 0;
	while ((ev = spsc_ring_peek(&w->events))) {
		if (ev->type == EVENT_ALERT && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%u", at ? "," : "",
					       ev->alert.sid);
		spsc_ring_release(&w->events);
	}
}

/* Poll the worker as its loop does until the reloader reaches generation
 * gen or failures refused reloads (5 s at most); whether it swapped. */
static bool reload_wait(struct reloader *r, struct worker *w, uint64_t gen, uint64_t failures)
{
	struct ruleset_stats st;
	bool swapped = false;

	for (int i = 0; i < 5000; i++) {
		swapped |= worker_poll_detect(w);
		reloader_info(r, &st);
		if (st.generation >= gen && st.reload_failures >= failures)
			break;
		sleep_ms(1);
	}
	return swapped;
}

static void test_worker_reload(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct ruleset *rs = ruleset_new(g_cfg, NULL);
	struct detect_engine *e;
	struct reloader *r;
	struct ruleset_stats st;
	struct detect_thread *first;
	char err[256], sids[64];

	rc.eve_flow = false;
	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_EQUAL_FATAL(ruleset_load_string(rs, "alert udp any any -> any 53 (sid:1;)\n",
						  "a.rules"), 0);
	e = detect_engine_build(rs, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(e != NULL);
	CU_ASSERT_EQUAL_FATAL(worker_init(&w, 0, &rc, 1024, false, e), 0);
	r = reloader_start(&w, 1, rs, e, 0, NULL, reload_load, NULL);
	CU_ASSERT_FATAL(r != NULL);
	reloader_info(r, &st);
	CU_ASSERT_EQUAL(st.generation, 1);
	CU_ASSERT_EQUAL(st.rules_loaded, 1);

	worker_process_batch(&w, b);
	alert_sids(&w, sids, sizeof(sids));
	CU_ASSERT_STRING_EQUAL(sids, "1");

	/* a good reload: swapped between batches, only the new rules run */
	g_reload_text = "alert udp any 53 -> any any (sid:2;)\n"
			"alert udp any any -> any 53 (flowbits:isset,x; sid:3;)\n";
	first = w.det;
	reloader_request(r);
	CU_ASSERT_TRUE(reload_wait(r, &w, 2, 0));
	CU_ASSERT_PTR_NOT_EQUAL(w.det, first);
	reloader_info(r, &st);
	CU_ASSERT_EQUAL(st.generation, 2);
	CU_ASSERT_EQUAL(st.reloads, 1);
	CU_ASSERT_EQUAL(st.rules_loaded, 2);
#ifndef __SANITIZE_ADDRESS__
	/* glibc's mallinfo2() sees nothing of ASan's allocator */
	CU_ASSERT(st.memory_bytes > 0);
#endif
	worker_process_batch(&w, b);
	alert_sids(&w, sids, sizeof(sids));
	CU_ASSERT_STRING_EQUAL(sids, "2");
	/* the counters carry on across the swap: two batches' worth */
	CU_ASSERT_EQUAL(w.dtstats.alerts, 2);

	/* a broken rule: refused, counted, the running ruleset stays */
	g_reload_text = "alert udp any any -> any 53 (sid:4; nosuchkeyword;)\n";
	first = w.det;
	reloader_request(r);
	CU_ASSERT_FALSE(reload_wait(r, &w, 2, 1));
	CU_ASSERT_PTR_EQUAL(w.det, first);
	reloader_info(r, &st);
	CU_ASSERT_EQUAL(st.generation, 2);
	CU_ASSERT_EQUAL(st.reload_failures, 1);
	CU_ASSERT(strstr(st.last_error, "1 rule failed") != NULL);
	worker_process_batch(&w, b);
	alert_sids(&w, sids, sizeof(sids));
	CU_ASSERT_STRING_EQUAL(sids, "2");

	/* a reload the worker never takes (it has exited) is taken back */
	g_reload_text = "alert udp any any -> any any (sid:5;)\n";
	__atomic_store_n(&w.exited, 1, __ATOMIC_RELEASE);
	reloader_request(r);
	for (int i = 0; i < 5000; i++) {
		reloader_info(r, &st);
		if (st.generation == 3)
			break;
		sleep_ms(1);
	}
	CU_ASSERT_EQUAL(st.generation, 3);
	CU_ASSERT_PTR_EQUAL(w.det, first);
	CU_ASSERT_PTR_NULL(w.det_next);

	reloader_stop(r, &rs, &e);
	worker_destroy(&w);
	detect_engine_free(e);
	ruleset_free(rs);
	free(b);
}

static void test_worker_batch_counters(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct stats_snapshot s;

	init_worker(&w, 3, &rc);
	worker_process_batch(&w, b);
	CU_ASSERT_EQUAL(w.ctr.batches, 1);
	CU_ASSERT_EQUAL(w.now_us, T0 + 50 * SEC);

	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, 11);
	CU_ASSERT_EQUAL(s.decoder.bytes, sum_wire);
	CU_ASSERT_EQUAL(s.decoder.ethernet, 11);
	CU_ASSERT_EQUAL(s.decoder.tcp, 5);
	CU_ASSERT_EQUAL(s.decoder.udp, 3);
	CU_ASSERT_EQUAL(s.decoder.ipv6, 1);
	CU_ASSERT_EQUAL(s.decoder.vlan, 1);
	CU_ASSERT_EQUAL(s.decoder.other_l3, 1);
	CU_ASSERT_EQUAL(s.decoder.invalid, 1);
	CU_ASSERT_EQUAL(s.decoder.ipv4_frag, 1);      /* the later fragment, not DF */
	CU_ASSERT_EQUAL(s.decoder.events[DECODE_EV_IPV4_PKT_TOO_SMALL], 1);
	CU_ASSERT_EQUAL(s.flow.total, 4);
	CU_ASSERT_EQUAL(s.flow.active, 4);
	CU_ASSERT_EQUAL(s.flow.tcp, 2);
	CU_ASSERT_EQUAL(s.flow.udp, 2);
	CU_ASSERT_EQUAL(s.flow.tcp_established, 1);
	CU_ASSERT_EQUAL(s.flow.no_flow, 1);
	CU_ASSERT_EQUAL(s.output.ring_drops, 0);
	CU_ASSERT_EQUAL(s.detect.alert, 0);
	/* nothing is emitted before a flow ends */
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	CU_ASSERT_EQUAL(w.ctr.events, 0);

	/* a second batch adds to the same counters and flows */
	worker_process_batch(&w, b);
	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(w.ctr.batches, 2);
	CU_ASSERT_EQUAL(s.decoder.pkts, 22);
	CU_ASSERT_EQUAL(s.decoder.bytes, 2 * (uint64_t)sum_wire);
	CU_ASSERT_EQUAL(s.flow.total, 4);

	/* worker_collect adds into what the snapshot holds */
	memset(&s, 0, sizeof(s));
	s.decoder.pkts = 1000;
	s.decoder.max_pkt_size = 9000;
	s.flow.total = 7;
	s.output.ring_drops = 3;
	s.detect.alert = 2;
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, 1022);
	CU_ASSERT_EQUAL(s.decoder.max_pkt_size, 9000);
	CU_ASSERT_EQUAL(s.flow.total, 11);
	CU_ASSERT_EQUAL(s.output.ring_drops, 3);
	CU_ASSERT_EQUAL(s.detect.alert, 2);
	worker_destroy(&w);
	free(b);
}

/* End of input: one flow record per flow, oriented from the client. */
static void test_worker_flow_records(void)
{
	static struct worker w;
	static struct event_record rec[16];
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	const struct event_record *a, *u, *v6, *vl;
	struct stats_snapshot s;
	char ip[64];
	unsigned n;

	init_worker(&w, 3, &rc);
	worker_process_batch(&w, b);
	worker_finish(&w);
	n = drain_events(&w, rec, 16);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(w.ctr.events, 4);
	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.flow.shutdown, 4);
	CU_ASSERT_EQUAL(s.flow.active, 0);
	CU_ASSERT_EQUAL(s.output.ring_drops, 0);

	a = find_rec(rec, n, 34855);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->type, EVENT_FLOW);
	CU_ASSERT_EQUAL(a->ip_ver, 4);
	CU_ASSERT_EQUAL(a->proto, 6);
	CU_ASSERT_STRING_EQUAL(ip_addr_str(4, &a->src, ip, sizeof(ip)), "128.232.110.120");
	CU_ASSERT_STRING_EQUAL(ip_addr_str(4, &a->dst, ip, sizeof(ip)), "66.35.250.204");
	CU_ASSERT_EQUAL(a->sport, 34855);
	CU_ASSERT_EQUAL(a->dport, 80);
	CU_ASSERT_EQUAL(a->worker, 3);
	CU_ASSERT_NOT_EQUAL(a->flow_id, 0);
	CU_ASSERT_STRING_EQUAL(a->community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	CU_ASSERT_EQUAL(a->flow.pkts_toserver, 3);
	CU_ASSERT_EQUAL(a->flow.pkts_toclient, 1);
	CU_ASSERT_EQUAL(a->flow.bytes_toserver, wire_a_ts);
	CU_ASSERT_EQUAL(a->flow.bytes_toclient, wire_a_tc);
	CU_ASSERT_EQUAL(a->flow.start_us, T0 + 1 * SEC);
	CU_ASSERT_EQUAL(a->flow.end_us, T0 + 4 * SEC);
	CU_ASSERT_EQUAL(a->ts_us, T0 + 4 * SEC);
	CU_ASSERT_EQUAL(a->flow.tcp_state, TCP_STATE_ESTABLISHED);
	CU_ASSERT_EQUAL(a->flow.end_reason, FLOW_END_SHUTDOWN);
	CU_ASSERT_EQUAL(a->vlan_count, 0);
	CU_ASSERT_EQUAL(a->payload_len, 0);

	u = find_rec(rec, n, 54585);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_EQUAL(u->proto, 17);
	CU_ASSERT_EQUAL(u->dport, 53);
	CU_ASSERT_STRING_EQUAL(u->community_id, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	CU_ASSERT_EQUAL(u->flow.pkts_toserver, 1);
	CU_ASSERT_EQUAL(u->flow.pkts_toclient, 1);
	CU_ASSERT_EQUAL(u->flow.bytes_toserver, wire_b);

	v6 = find_rec(rec, n, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v6);
	CU_ASSERT_EQUAL(v6->ip_ver, 6);
	CU_ASSERT_STRING_EQUAL(ip_addr_str(6, &v6->src, ip, sizeof(ip)), "2001:db8::1");
	CU_ASSERT_EQUAL(v6->flow.pkts_toserver, 1);
	CU_ASSERT_EQUAL(v6->flow.pkts_toclient, 0);

	vl = find_rec(rec, n, 1111);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vl);
	CU_ASSERT_EQUAL(vl->vlan_count, 1);
	CU_ASSERT_EQUAL(vl->vlan[0], 100);
	CU_ASSERT_EQUAL(vl->flow.tcp_state, TCP_STATE_SYN_SENT);
	CU_ASSERT_NOT_EQUAL(vl->flow_id, a->flow_id);

	/* flow ends are not repeated */
	worker_finish(&w);
	CU_ASSERT_EQUAL(drain_events(&w, rec, 16), 0);
	worker_destroy(&w);
	free(b);
}

/* The flags each side sent: the client sent SYN, ACK and PSH, the server
 * SYN and ACK. Flow A's client has the higher address (key side 1). */
static void test_worker_flow_record_tcp_flags(void)
{
	static struct worker w;
	static struct event_record rec[16];
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	const struct event_record *a;
	unsigned n;

	init_worker(&w, 0, &rc);
	worker_process_batch(&w, b);
	worker_finish(&w);
	n = drain_events(&w, rec, 16);
	a = find_rec(rec, n, 34855);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(a->flow.tcp_flags_ts, TCP_SYN | TCP_ACK | TCP_PSH);
	CU_ASSERT_EQUAL(a->flow.tcp_flags_tc, TCP_SYN | TCP_ACK);
	worker_destroy(&w);
	free(b);
}

/* Flow records off: nothing in the ring, flows still end and count. */
static void test_worker_no_flow_records(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct stats_snapshot s;

	rc.eve_flow = false;
	init_worker(&w, 0, &rc);
	worker_process_batch(&w, b);
	worker_finish(&w);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	CU_ASSERT_EQUAL(w.ctr.events, 0);
	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.flow.shutdown, 4);
	CU_ASSERT_EQUAL(s.output.ring_drops, 0);
	worker_destroy(&w);

	/* community-id off: records without one */
	rc = test_rc();
	rc.community_id = false;
	init_worker(&w, 0, &rc);
	worker_process_batch(&w, b);
	worker_finish(&w);
	{
		static struct event_record rec[16];
		unsigned n = drain_events(&w, rec, 16);

		CU_ASSERT_EQUAL_FATAL(n, 4);
		for (unsigned i = 0; i < n; i++)
			CU_ASSERT_EQUAL(rec[i].community_id[0], '\0');
	}
	worker_destroy(&w);
	free(b);
}

/* Live, on the packet path (timeouts), a full event ring drops records
 * and counts them; the worker never waits. */
static void test_worker_event_ring_full(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct stats_snapshot s;

	rc.event_ring_size = 2;
	init_worker(&w, 0, &rc);
	w.live = true;
	worker_process_batch(&w, b);
	/* a day later every flow has timed out, with room for two records */
	worker_housekeeping(&w, T0 + 86400 * SEC);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 2);
	CU_ASSERT_EQUAL(w.ctr.events, 2);
	CU_ASSERT_EQUAL(w.ctr.event_drops, 2);
	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.output.ring_drops, 2);
	CU_ASSERT_EQUAL(s.flow.timeout, 4);
	worker_destroy(&w);
	free(b);
}

static void no_stats(void *arg, struct stats_snapshot *s)
{
	(void)arg;
	memset(s, 0, sizeof(*s));
}

/* The alert path, with a test alert source standing in for detection:
 * worker_alert on a decoded packet of a tracked flow -> the worker's event
 * ring -> the output thread's EVE writer -> eve.json, with the packet's
 * tuple, the flow's id and counters, and the payload. */
static void test_worker_alert_to_eve(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct output_config oc;
	struct spsc_ring *rings[1];
	struct event_alert a;
	struct output *o;
	enum flow_dir dir;
	const struct flow *f = NULL;
	char path[512], err[256], want[128];
	char *text;

	init_worker(&w, 0, &rc);
	/* decode the batch's first packet and find its flow, as the worker
	 * loop does before detection runs */
	w.pkt.data = b->data + b->d[0].off;
	w.pkt.caplen = b->d[0].caplen;
	w.pkt.wirelen = b->d[0].wirelen;
	w.pkt.ts_us = b->d[0].ts_us;
	w.pkt.linktype = b->linktype;
	CU_ASSERT_FATAL(decode_packet(&w.dcfg, &w.pkt, &w.dstats) == 0);
	f = flow_packet(w.flows, &w.pkt, &dir);
	CU_ASSERT_FATAL(f != NULL);

	memset(&a, 0, sizeof(a));
	a.gid = 1;
	a.sid = 2100498;
	a.rev = 7;
	a.severity = 2;
	snprintf(a.signature, sizeof(a.signature), "TEST \"quoted\" alert");
	snprintf(a.category, sizeof(a.category), "Potentially Bad Traffic");
	CU_ASSERT_EQUAL(worker_alert(&w, &w.pkt, f, &a), 0);
	CU_ASSERT_EQUAL(w.ctr.alerts, 1);

	memset(&oc, 0, sizeof(oc));
	snprintf(path, sizeof(path), "%s/alert-eve.json", test_tmpdir());
	oc.eve_path = path;
	oc.eve_alert = true;
	oc.eve.sensor_name = "t";
	oc.eve.log_payload = true;
	rings[0] = &w.events;
	o = output_create(&oc, rings, 1, no_stats, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT_EQUAL(output_poll(o), 1);
	output_stop(o);
	output_destroy(o);

	text = test_read_file(path, NULL);
	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT(strstr(text, "\"event_type\":\"alert\"") != NULL);
	CU_ASSERT(strstr(text, "\"signature_id\":2100498") != NULL);
	CU_ASSERT(strstr(text, "\"signature\":\"TEST \\\"quoted\\\" alert\"") != NULL);
	snprintf(want, sizeof(want), "\"flow_id\":%llu", (unsigned long long)f->flow_id);
	CU_ASSERT(strstr(text, want) != NULL);
	snprintf(want, sizeof(want), "\"src_port\":%u", w.pkt.sport);
	CU_ASSERT(strstr(text, want) != NULL);
	CU_ASSERT(strstr(text, "\"pkts_toserver\":1") != NULL);
	CU_ASSERT(strstr(text, "\"community_id\":\"1:") != NULL);
	free(text);
	worker_destroy(&w);
	free(b);
}

struct drainer {
	struct worker *w;
	int stop;
	unsigned got;
};

static void *drain_thread(void *arg)
{
	struct drainer *dr = arg;

	for (;;) {
		if (spsc_ring_peek(&dr->w->events)) {
			spsc_ring_release(&dr->w->events);
			dr->got++;
			continue;
		}
		if (__atomic_load_n(&dr->stop, __ATOMIC_ACQUIRE) &&
		    spsc_ring_count(&dr->w->events) == 0)
			return NULL;
		sched_yield();
	}
}

/* At shutdown every flow ends at once; with a ring smaller than the flow
 * count the worker waits for the output thread instead of dropping: no
 * flow record is lost on a file read or a SIGTERM. */
static void test_worker_finish_waits(void)
{
	static struct worker w;
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct drainer dr = { .w = &w };
	pthread_t t;

	rc.event_ring_size = 2;
	init_worker(&w, 0, &rc);
	worker_process_batch(&w, b);
	CU_ASSERT_FATAL(pthread_create(&t, NULL, drain_thread, &dr) == 0);
	worker_finish(&w);
	__atomic_store_n(&dr.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(w.ctr.event_drops, 0);
	CU_ASSERT_EQUAL(w.ctr.events, 4);
	CU_ASSERT_EQUAL(dr.got, 4);
	worker_destroy(&w);
	free(b);
}

/* Housekeeping ends idle flows at the configured timeouts. */
static void test_worker_housekeeping(void)
{
	static struct worker w;
	static struct event_record rec[16];
	struct mamori_config rc = test_rc();
	struct batch *b = standard_batch();
	struct stats_snapshot s;
	unsigned n;

	init_worker(&w, 0, &rc);
	worker_process_batch(&w, b);
	/* each flow ends exactly at its last packet + its class's timeout:
	 * the SYN-only VLAN flow (7 s) is TCP new, 60 s */
	worker_housekeeping(&w, T0 + 67 * SEC - 1);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	worker_housekeeping(&w, T0 + 67 * SEC);
	n = drain_events(&w, rec, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rec[0].sport, 1111);
	CU_ASSERT_EQUAL(rec[0].flow.end_reason, FLOW_END_TIMEOUT);
	/* the one-way IPv6 UDP flow (50 s) is UDP new, 30 s */
	worker_housekeeping(&w, T0 + 80 * SEC - 1);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	worker_housekeeping(&w, T0 + 80 * SEC);
	n = drain_events(&w, rec, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rec[0].sport, 1000);
	/* established UDP (6 s + 300 s) and TCP (4 s + 600 s) */
	worker_housekeeping(&w, T0 + 306 * SEC - 1);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	worker_housekeeping(&w, T0 + 306 * SEC);
	n = drain_events(&w, rec, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rec[0].sport, 54585);
	worker_housekeeping(&w, T0 + 604 * SEC - 1);
	CU_ASSERT_EQUAL(spsc_ring_count(&w.events), 0);
	worker_housekeeping(&w, T0 + 604 * SEC);
	n = drain_events(&w, rec, 16);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(rec[0].sport, 34855);
	memset(&s, 0, sizeof(s));
	worker_collect(&w, &s);
	CU_ASSERT_EQUAL(s.flow.timeout, 4);
	CU_ASSERT_EQUAL(s.flow.active, 0);
	worker_destroy(&w);
	free(b);
}

/* ---- dispatch_run over a test-only capture backend ------------------------ */

struct fpkt {
	uint8_t *data;
	uint32_t len, wirelen;
	uint64_t ts;
};

/* The incomplete struct of capture.h, defined for this backend only. */
struct capture {
	struct fpkt *pkts;
	size_t n, cap, next;
	int linktype;
	size_t fail_at;          /* CAPTURE_ERROR once `next` reaches it (0: never) */
	size_t stop_at;          /* set *stop after this many packets (0: never) */
	volatile int *stop;
	uint64_t bytes;
};

static int fake_rx(struct capture *c, unsigned queue, struct capture_pkt *p, unsigned max)
{
	(void)queue;
	if (max == 0)
		return 0;
	if (c->fail_at && c->next == c->fail_at)
		return CAPTURE_ERROR;
	if (c->next >= c->n)
		return CAPTURE_EOF;
	p[0].data = c->pkts[c->next].data;
	p[0].caplen = c->pkts[c->next].len;
	p[0].wirelen = c->pkts[c->next].wirelen;
	p[0].ts_us = c->pkts[c->next].ts;
	c->bytes += p[0].wirelen;
	c->next++;
	if (c->stop_at && c->next == c->stop_at)
		*c->stop = 1;    /* as the SIGTERM handler does */
	return 1;
}

static int fake_stats(struct capture *c, struct capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->packets = c->next;
	st->bytes = c->bytes;
	return 0;
}

static int fake_linktype(const struct capture *c)
{
	return c->linktype;
}

static void fake_interrupt(struct capture *c)
{
	(void)c;
}

static const char *fake_error(const struct capture *c)
{
	(void)c;
	return "fake read error";
}

static void fake_close(struct capture *c)
{
	(void)c;
}

static const struct capture_ops fake_ops = {
	.name = "fake",
	.rx_burst = fake_rx,
	.stats = fake_stats,
	.linktype = fake_linktype,
	.interrupt = fake_interrupt,
	.error = fake_error,
	.close = fake_close,
};

static void cap_add(struct capture *c, const uint8_t *data, size_t len, uint32_t wirelen)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->pkts = realloc(c->pkts, c->cap * sizeof(*c->pkts));
		CU_ASSERT_FATAL(c->pkts != NULL);
	}
	c->pkts[c->n].data = malloc(len);
	CU_ASSERT_FATAL(c->pkts[c->n].data != NULL);
	memcpy(c->pkts[c->n].data, data, len);
	c->pkts[c->n].len = (uint32_t)len;
	c->pkts[c->n].wirelen = wirelen;
	c->pkts[c->n].ts = T0 + c->n * 1000;
	c->n++;
}

static void cap_free(struct capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->pkts[i].data);
	free(c->pkts);
	memset(c, 0, sizeof(*c));
}

#define NFLOWS 120
#define BIG_LEN 300000u

/*
 * 120 flows, their packets interleaved: IPv4 TCP (handshake and a data
 * segment), IPv6 TCP behind 802.1Q or QinQ tags, IPv4 UDP query and
 * answer, fragmented IPv4 UDP (first and last fragment); then one frame
 * longer than a batch. Returns the packet count.
 */
static size_t traffic(struct capture *c, uint64_t *wire)
{
	uint8_t fr[600];
	size_t n;

	memset(c, 0, sizeof(*c));
	c->linktype = LINKTYPE_ETHERNET;
	*wire = 0;
	for (int step = 0; step < 4; step++) {
		for (int i = 0; i < NFLOWS; i++) {
			char s[64], d[64];
			struct tuple t, r;
			struct ipspec first = { .v4_frag = 0x2000, .payload = 16 };
			struct ipspec last = { .v4_frag = 3, .no_l4 = true };
			enum wrap wk = W_ETH;
			uint8_t ip[512];
			int lt;

			switch (i % 4) {
			case 0:
				snprintf(s, sizeof(s), "10.1.%d.%d", i, 200 - i);
				snprintf(d, sizeof(d), "10.2.%d.1", i);
				t = tup(s, (uint16_t)(20000 + i), d, 80, 6);
				break;
			case 1:
				snprintf(s, sizeof(s), "2001:db8:%x::%x", i, 300 - i);
				snprintf(d, sizeof(d), "2001:db8:1::%x", i);
				t = tup(s, (uint16_t)(30000 + i), d, 443, 6);
				wk = i % 8 == 1 ? W_VLAN : W_QINQ;
				break;
			case 2:
				snprintf(s, sizeof(s), "172.16.%d.9", i);
				snprintf(d, sizeof(d), "172.17.%d.53", 255 - i);
				t = tup(s, (uint16_t)(40000 + i), d, 53, 17);
				break;
			default:
				snprintf(s, sizeof(s), "192.168.%d.7", i);
				snprintf(d, sizeof(d), "192.168.%d.8", i);
				t = tup(s, (uint16_t)(50000 + i), d, 7000, 17);
				break;
			}
			n = 0;
			if (i % 4 <= 1) {             /* TCP */
				if (step == 0) {
					t.tcp_flags = TCP_SYN;
					n = build_ip(&t, NULL, ip);
				} else if (step == 1) {
					r = reversed(&t, TCP_SYN | TCP_ACK);
					n = build_ip(&r, NULL, ip);
				} else {
					t.tcp_flags = step == 2 ? TCP_ACK : TCP_ACK | TCP_PSH;
					n = build_ip(&t, NULL, ip);
				}
			} else if (i % 4 == 2 && step < 2) {
				r = reversed(&t, 0);
				n = build_ip(step ? &r : &t, NULL, ip);
			} else if (i % 4 == 3 && step < 2) {
				n = build_ip(&t, step ? &last : &first, ip);
			}
			if (!n)
				continue;
			n = wrap(wk, ip, n, fr, &lt);
			cap_add(c, fr, n, (uint32_t)n);
			*wire += n;
		}
	}
	{
		/* IPv4 UDP, total length 65535, in a frame longer than a batch */
		uint8_t *big = calloc(1, BIG_LEN);
		struct tuple t = tup("10.200.0.1", 1, "10.200.0.2", 2, 17);
		struct ipspec s = { .payload = 65535 - 28 };
		uint8_t *ip = malloc(70000);
		int lt;

		CU_ASSERT_FATAL(big && ip);
		n = build_ip(&t, &s, ip);
		CU_ASSERT_FATAL(n == 65535);
		n = wrap(W_ETH, ip, n, big, &lt);
		cap_add(c, big, BIG_LEN, BIG_LEN);
		*wire += BIG_LEN;
		free(ip);
		free(big);
	}
	return c->n;
}

struct pipeline {
	struct worker *w;
	unsigned nw;
	struct dispatch d;
	volatile int stop;
};

static void pipeline_init(struct pipeline *pl, unsigned nw, struct capture *c,
			  struct mamori_config *rc, bool live, bool start)
{
	void *p = NULL;

	memset(pl, 0, sizeof(*pl));
	CU_ASSERT_FATAL(posix_memalign(&p, MAMORI_CACHELINE, nw * sizeof(struct worker)) == 0);
	pl->w = p;
	pl->nw = nw;
	for (unsigned i = 0; i < nw; i++)
		CU_ASSERT_EQUAL_FATAL(worker_init(&pl->w[i], i, rc, 4096, live, NULL), 0);
	if (start)
		for (unsigned i = 0; i < nw; i++)
			CU_ASSERT_EQUAL_FATAL(worker_start(&pl->w[i]), 0);
	pl->d.ops = &fake_ops;
	pl->d.cap = c;
	pl->d.workers = pl->w;
	pl->d.nworkers = nw;
	pl->d.live = live;
	pl->d.stop = &pl->stop;
	decode_config_default(&pl->d.scratch.cfg);
	c->stop = &pl->stop;
}

static void pipeline_join(struct pipeline *pl, struct stats_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < pl->nw; i++) {
		CU_ASSERT_EQUAL(__atomic_load_n(&pl->w[i].in_done, __ATOMIC_ACQUIRE), 1);
		worker_join(&pl->w[i]);
		worker_collect(&pl->w[i], s);
	}
}

static void pipeline_destroy(struct pipeline *pl)
{
	for (unsigned i = 0; i < pl->nw; i++)
		worker_destroy(&pl->w[i]);
	free(pl->w);
}

/* A file through three workers with two batches each (back pressure):
 * nothing lost, every flow on exactly one worker, both directions. */
static void test_dispatch_run_file(void)
{
	static struct event_record rec[256];
	static struct capture c;
	struct mamori_config rc = test_rc();
	struct pipeline pl;
	struct stats_snapshot s;
	uint64_t wire, batches = 0;
	size_t npk = traffic(&c, &wire), nrec = 0;
	unsigned tcp_ok = 0, udp_ok = 0;

	rc.dispatch_ring_size = 2;
	pipeline_init(&pl, 3, &c, &rc, false, true);
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), 0);
	CU_ASSERT_EQUAL(c.next, npk);
	pipeline_join(&pl, &s);

	CU_ASSERT_EQUAL(s.decoder.pkts, npk);
	CU_ASSERT_EQUAL(s.decoder.bytes, wire);
	CU_ASSERT_EQUAL(s.decoder.invalid, 0);
	CU_ASSERT_EQUAL(s.decoder.tcp, 60 * 4);
	CU_ASSERT_EQUAL(s.decoder.udp, 30 * 2 + 30 + 1);
	CU_ASSERT_EQUAL(s.decoder.ipv4_frag, 60);
	CU_ASSERT_EQUAL(s.decoder.vlan, 30 * 4);
	CU_ASSERT_EQUAL(s.decoder.vlan_qinq, 15 * 4);
	CU_ASSERT_EQUAL(s.flow.total, NFLOWS + 1);
	CU_ASSERT_EQUAL(s.flow.tcp, 60);
	CU_ASSERT_EQUAL(s.flow.udp, 61);
	CU_ASSERT_EQUAL(s.flow.tcp_established, 60);
	/* every fragment, first ones too: the reassembled datagram (its own
	 * packet) makes the flow, counted in flow.udp above */
	CU_ASSERT_EQUAL(s.flow.no_flow, 60);
	CU_ASSERT_EQUAL(s.defrag.ipv4_reassembled, 30);
	CU_ASSERT_EQUAL(s.flow.shutdown, NFLOWS + 1);
	CU_ASSERT_EQUAL(pl.d.stats.ring_full, 0);
	CU_ASSERT_EQUAL(pl.d.stats.too_big, 1);
	/* the capture counters are read once more at the end */
	CU_ASSERT_EQUAL(pl.d.cap_stats.packets, npk);
	CU_ASSERT_EQUAL(pl.d.cap_stats.bytes, wire);

	for (unsigned i = 0; i < pl.nw; i++) {
		struct stats_snapshot one;

		memset(&one, 0, sizeof(one));
		worker_collect(&pl.w[i], &one);
		/* the flows spread over the workers */
		CU_ASSERT(one.flow.total >= 15);
		batches += pl.w[i].ctr.batches;
		/* every batch came back */
		CU_ASSERT_EQUAL(spsc_ring_count(&pl.w[i].free), pl.w[i].nbatches);
		nrec += drain_events(&pl.w[i], rec + nrec, (unsigned)(256 - nrec));
	}
	CU_ASSERT_EQUAL(batches, pl.d.stats.batches);
	CU_ASSERT(pl.d.stats.batches >= (npk + BATCH_PKTS - 1) / BATCH_PKTS);
	CU_ASSERT_EQUAL_FATAL(nrec, NFLOWS + 1);
	for (size_t i = 0; i < nrec; i++) {
		const struct event_record *r = &rec[i];

		if (r->proto == 6 && r->flow.pkts_toserver == 3 && r->flow.pkts_toclient == 1 &&
		    r->flow.tcp_state == TCP_STATE_ESTABLISHED && r->dport == (r->ip_ver == 4 ? 80 : 443))
			tcp_ok++;
		if (r->proto == 17 && r->dport == 53 && r->flow.pkts_toserver == 1 &&
		    r->flow.pkts_toclient == 1)
			udp_ok++;
	}
	CU_ASSERT_EQUAL(tcp_ok, 60);
	CU_ASSERT_EQUAL(udp_ok, 30);
	pipeline_destroy(&pl);
	cap_free(&c);
}

/* A stop request (what SIGTERM sets) ends the run; the packets read so
 * far still reach the workers. */
static void test_dispatch_run_stop(void)
{
	static struct capture c;
	struct mamori_config rc = test_rc();
	struct pipeline pl;
	struct stats_snapshot s;
	uint64_t wire;

	traffic(&c, &wire);
	c.stop_at = 50;
	pipeline_init(&pl, 2, &c, &rc, false, true);
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), 0);
	CU_ASSERT_EQUAL(c.next, 50);
	pipeline_join(&pl, &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, 50);
	pipeline_destroy(&pl);
	cap_free(&c);

	/* stopped before it started: nothing read, workers released */
	traffic(&c, &wire);
	pipeline_init(&pl, 2, &c, &rc, false, true);
	pl.stop = 1;
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), 0);
	CU_ASSERT_EQUAL(c.next, 0);
	pipeline_join(&pl, &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, 0);
	CU_ASSERT_EQUAL(pl.d.stats.batches, 0);
	pipeline_destroy(&pl);
	cap_free(&c);
}

/* A read error: -1 with the backend's message; what was read is processed. */
static void test_dispatch_run_error(void)
{
	static struct capture c;
	struct mamori_config rc = test_rc();
	struct pipeline pl;
	struct stats_snapshot s;
	uint64_t wire;

	traffic(&c, &wire);
	c.fail_at = 10;
	pipeline_init(&pl, 2, &c, &rc, false, true);
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), -1);
	CU_ASSERT_STRING_EQUAL(pl.d.errbuf, "capture: fake read error");
	pipeline_join(&pl, &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, 10);
	pipeline_destroy(&pl);

	pl.d.nworkers = 257;
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pl.d.errbuf, "256"));
	cap_free(&c);
}

/* Live capture never waits: with its only batch handed over and not
 * returned, the rest is dropped and counted. */
static void test_dispatch_run_live_drops(void)
{
	static struct capture c;
	struct mamori_config rc = test_rc();
	struct pipeline pl;
	struct stats_snapshot s;
	struct batch *b;
	uint8_t fr[600];

	memset(&c, 0, sizeof(c));
	c.linktype = LINKTYPE_ETHERNET;
	for (int i = 0; i < 200; i++) {
		struct tuple t = tup("10.0.0.1", (uint16_t)(1000 + i), "10.0.0.2", 53, 17);
		size_t n = eth_frame(&t, NULL, false, fr);

		cap_add(&c, fr, n, (uint32_t)n);
	}
	rc.dispatch_ring_size = 1;
	pipeline_init(&pl, 1, &c, &rc, true, false);   /* worker not started */
	CU_ASSERT_EQUAL(dispatch_run(&pl.d), 0);
	CU_ASSERT_EQUAL(c.next, 200);
	CU_ASSERT_EQUAL(pl.d.stats.batches, 1);
	CU_ASSERT_EQUAL(pl.d.stats.ring_full, 200 - BATCH_PKTS);
	b = spsc_ring_pop_ptr(&pl.w[0].in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(b->n, BATCH_PKTS);
	CU_ASSERT_EQUAL(b->linktype, LINKTYPE_ETHERNET);
	worker_process_batch(&pl.w[0], b);
	memset(&s, 0, sizeof(s));
	worker_collect(&pl.w[0], &s);
	CU_ASSERT_EQUAL(s.decoder.pkts, BATCH_PKTS);
	CU_ASSERT_EQUAL(s.decoder.udp, BATCH_PKTS);
	CU_ASSERT_EQUAL(s.flow.total, BATCH_PKTS);
	CU_ASSERT_EQUAL(s.decoder.invalid, 0);
	pipeline_destroy(&pl);
	cap_free(&c);
}

/* pcap-file.loop: each pass starts one second after the previous pass's
 * last packet, so time only moves forward (capture_pcap_ops on a file). */
static void test_pcap_file_loop(void)
{
	/* seconds.microseconds of the three packets in the file */
	static const struct { long s, us; } ts[3] = { { 100, 0 }, { 100, 500000 }, { 102, 0 } };
	/* the file spans 2 s: passes 2 and 3 start 3 s and 6 s later */
	static const uint64_t want[9] = {
		100000000, 100500000, 102000000,
		103000000, 103500000, 105000000,
		106000000, 106500000, 108000000,
	};
	struct tuple t = tup("10.0.0.1", 1000, "10.0.0.2", 53, 17);
	struct capture_config cc;
	struct capture_stats st;
	struct capture *cap = NULL;
	struct capture_pkt pk;
	char path[512], err[256] = "";
	uint8_t fr[600];
	size_t n = eth_frame(&t, NULL, false, fr);
	unsigned got = 0;
	pcap_t *dead;
	pcap_dumper_t *dump;

	snprintf(path, sizeof(path), "%s/loop.pcap", test_tmpdir());
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dead);
	dump = pcap_dump_open(dead, path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dump);
	for (int i = 0; i < 3; i++) {
		struct pcap_pkthdr h;

		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = ts[i].s;
		h.ts.tv_usec = ts[i].us;
		h.caplen = h.len = (bpf_u_int32)n;
		pcap_dump((u_char *)dump, &h, fr);
	}
	pcap_dump_close(dump);
	pcap_close(dead);

	memset(&cc, 0, sizeof(cc));
	cc.file = path;
	cc.snaplen = 262144;
	cc.timeout_ms = 100;
	cc.loops = 3;
	CU_ASSERT_EQUAL_FATAL(capture_pcap_ops.open(&cc, &cap, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(capture_pcap_ops.linktype(cap), LINKTYPE_ETHERNET);
	for (int spins = 0; spins < 100; spins++) {
		int rc = capture_pcap_ops.rx_burst(cap, 0, &pk, 1);

		if (rc == CAPTURE_EOF)
			break;
		CU_ASSERT_FATAL(rc == 0 || rc == 1);
		if (rc == 0)            /* between passes */
			continue;
		CU_ASSERT_FATAL(got < 9);
		CU_ASSERT_EQUAL(pk.ts_us, want[got]);
		CU_ASSERT_EQUAL(pk.caplen, n);
		CU_ASSERT_EQUAL(memcmp(pk.data, fr, n), 0);
		got++;
	}
	CU_ASSERT_EQUAL(got, 9);
	CU_ASSERT_EQUAL(capture_pcap_ops.stats(cap, &st), 0);
	CU_ASSERT_EQUAL(st.packets, 9);
	CU_ASSERT_EQUAL(st.bytes, 9 * n);
	capture_pcap_ops.close(cap);
}

/* ---- reassembled datagrams handed to the flow's worker (fwd.h) ----------- */

/* An Ethernet frame: IPv4 UDP fragment (or whole datagram) of t with raw
 * bytes as its payload (the UDP header included in the first piece). */
static size_t frag4_frame(const struct tuple *t, uint16_t ident, uint16_t off8, bool mf,
			  const uint8_t *bytes, size_t len, uint8_t *out)
{
	uint8_t *ip = out + 14;

	memset(out, 0x02, 12);
	out[12] = 0x08;
	out[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)(20 + len));
	put16(ip + 4, ident);
	put16(ip + 6, (mf ? 0x2000u : 0u) | off8);
	ip[8] = 64;
	ip[9] = t->proto;
	memcpy(ip + 12, t->src, 4);
	memcpy(ip + 16, t->dst, 4);
	put16(ip + 10, inet_csum(ip, 20, 0));
	memcpy(ip + 20, bytes, len);
	return 14 + 20 + len;
}

/* UDP header + data of t, into out; its length. */
static size_t udp_bytes(const struct tuple *t, const char *data, uint8_t *out)
{
	size_t n = strlen(data);

	put16(out, t->sport);
	put16(out + 2, t->dport);
	put16(out + 4, (uint32_t)(8 + n));
	put16(out + 6, 0);
	memcpy(out + 8, data, n);
	return 8 + n;
}

/* A UDP flow whose datagram's fragments go to another worker (of 2) than
 * its unfragmented packets, as dispatch_pick puts them. */
static struct tuple split_tuple(unsigned *frag_w, unsigned *flow_w)
{
	struct ipspec first = { .v4_frag = 0x2000, .payload = 16 };

	for (int i = 0; i < 1000; i++) {
		struct tuple t = random_tuple();

		t.ver = 4;
		t.proto = 17;
		*frag_w = pick_tuple(&t, &first, W_ETH, 2);
		*flow_w = pick_tuple(&t, NULL, W_ETH, 2);
		if (*frag_w != *flow_w)
			return t;
	}
	CU_FAIL_FATAL("no flow splits fragments from packets");
	return random_tuple();
}

/* batch_add and number the descriptor (a fragment), or add a barrier */
static void batch_seq(struct batch *b, uint32_t seq)
{
	b->d[b->n - 1].seq = seq;
}

static void batch_barrier(struct batch *b, unsigned from, uint32_t seq, uint64_t ts)
{
	struct pkt_desc *d = &b->d[b->n++];

	memset(d, 0, sizeof(*d));
	d->ts_us = ts;
	d->from = (uint16_t)from;
	d->seq = seq;
	d->barrier = 1;
}

static const char *fwd_rules =
	"alert udp any any -> any any (msg:\"hello\"; content:\"HELLO\"; flowbits:set,h; "
	"flowbits:noalert; sid:20;)\n"
	"alert udp any any -> any any (msg:\"after hello\"; flowbits:isset,h; "
	"content:\"FRAGCMD\"; sid:21;)\n"
	"alert udp any any -> any any (msg:\"any\"; content:\"FRAGCMD\"; sid:22;)\n";

/*
 * Two workers, one thread: worker F reassembles a datagram of worker O's
 * flow. Reading a file (ordered), O inspects it at the barrier for the
 * completing fragment, so where the barrier sits decides what the flow
 * knows then: after the packet setting the flowbit, both rules alert on O;
 * before it, only the one without the flowbit. F inspects nothing of it.
 */
static void test_worker_forward_ordered(void)
{
	struct mamori_config rc = test_rc();
	struct ruleset *rs = ruleset_new(g_cfg, NULL);
	struct detect_engine *e;
	struct worker w[2];
	struct fwd_hub *h;
	uint8_t dg[128], fr[256];
	char err[256], sids[64];
	unsigned fw, ow;
	size_t n, dl;
	struct tuple t;

	rc.eve_flow = false;
	rc.run_workers = 2;
	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_EQUAL_FATAL(ruleset_load_string(rs, fwd_rules, "f.rules"), 0);
	e = detect_engine_build(rs, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(e != NULL);
	t = split_tuple(&fw, &ow);
	dl = udp_bytes(&t, "0123456789abcdefFRAGCMD-here-and-more", dg);

	for (int barrier_after_hello = 1; barrier_after_hello >= 0; barrier_after_hello--) {
		struct batch *bf = batch_new(LINKTYPE_ETHERNET), *bo = batch_new(LINKTYPE_ETHERNET);

		h = fwd_hub_create(2, true, false);
		CU_ASSERT_FATAL(h != NULL);
		for (unsigned i = 0; i < 2; i++) {
			CU_ASSERT_EQUAL_FATAL(worker_init(&w[i], i, &rc, 1024, false, e), 0);
			w[i].fwd = h;
			w[i].fwd_ordered = true;
		}
		/* the datagram in two fragments (24 bytes, then the rest),
		 * the second one numbered 1 */
		n = frag4_frame(&t, 0x55, 0, true, dg, 24, fr);
		batch_add(bf, fr, n, (uint32_t)n, T0 + 2 * SEC);
		n = frag4_frame(&t, 0x55, 3, false, dg + 24, dl - 24, fr);
		batch_add(bf, fr, n, (uint32_t)n, T0 + 3 * SEC);
		batch_seq(bf, 1);
		if (!barrier_after_hello)
			batch_barrier(bo, fw, 1, T0 + 3 * SEC);
		{
			uint8_t u[64];
			size_t ul = udp_bytes(&t, "HELLO", u);

			n = frag4_frame(&t, 0x56, 0, false, u, ul, fr);
			batch_add(bo, fr, n, (uint32_t)n, T0 + 1 * SEC);
		}
		if (barrier_after_hello)
			batch_barrier(bo, fw, 1, T0 + 3 * SEC);

		/* F first: the datagram waits in O's ring */
		worker_process_batch(&w[fw], bf);
		CU_ASSERT_EQUAL(w[fw].ctr.fwd.forwarded, 1);
		CU_ASSERT_EQUAL(h->lanes[fw].done_seq, 1);
		alert_sids(&w[fw], sids, sizeof(sids));
		CU_ASSERT_STRING_EQUAL(sids, "");
		CU_ASSERT_EQUAL(spsc_ring_count(fwd_ring(h, fw, ow)), 1);
		worker_process_batch(&w[ow], bo);
		CU_ASSERT_EQUAL(w[ow].ctr.fwd.received, 1);
		CU_ASSERT_EQUAL(spsc_ring_count(fwd_ring(h, fw, ow)), 0);
		alert_sids(&w[ow], sids, sizeof(sids));
		CU_ASSERT_STRING_EQUAL(sids, barrier_after_hello ? "21,22" : "22");
		/* one flow, on O only */
		CU_ASSERT_EQUAL(flow_table_stats(w[fw].flows)->udp, 0);
		CU_ASSERT_EQUAL(flow_table_stats(w[ow].flows)->udp, 1);
		/* the slot came back */
		for (unsigned i = 0; i < FWD_SLOTS; i++)
			CU_ASSERT_EQUAL(fwd_slots_of(h, fw)[i].busy, 0);
		for (unsigned i = 0; i < 2; i++)
			worker_destroy(&w[i]);
		fwd_hub_destroy(h);
		free(bf);
		free(bo);
	}
	detect_engine_free(e);
	ruleset_free(rs);
}

/*
 * Live (unordered): O takes a datagram before its first own packet newer
 * than it, not before an older one. And a sender with every slot in use
 * does not wait: it counts the drop and inspects the datagram itself.
 */
static void test_worker_forward_live(void)
{
	struct mamori_config rc = test_rc();
	struct ruleset *rs = ruleset_new(g_cfg, NULL);
	struct detect_engine *e;
	struct worker w[2];
	struct fwd_hub *h;
	uint8_t dg[128], fr[256], u[64];
	char err[256], sids[64];
	unsigned fw, ow;
	size_t n, dl, ul;
	struct tuple t;

	rc.eve_flow = false;
	rc.run_workers = 2;
	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_EQUAL_FATAL(ruleset_load_string(rs, fwd_rules, "f.rules"), 0);
	e = detect_engine_build(rs, NULL, err, sizeof(err));
	CU_ASSERT_FATAL(e != NULL);
	t = split_tuple(&fw, &ow);
	dl = udp_bytes(&t, "0123456789abcdefFRAGCMD-here-and-more", dg);
	ul = udp_bytes(&t, "HELLO", u);
	h = fwd_hub_create(2, false, true);
	CU_ASSERT_FATAL(h != NULL);
	for (unsigned i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(worker_init(&w[i], i, &rc, 1024, true, e), 0);
		w[i].fwd = h;
	}
	/* FWD_SLOTS + 1 datagrams at t = 10 s .. */
	for (unsigned k = 0; k <= FWD_SLOTS; k++) {
		uint64_t ts = T0 + (10 + k) * SEC;

		n = frag4_frame(&t, (uint16_t)(0x100 + k), 0, true, dg, 24, fr);
		worker_process_packet(&w[fw], fr, (uint32_t)n, (uint32_t)n, ts, LINKTYPE_ETHERNET);
		n = frag4_frame(&t, (uint16_t)(0x100 + k), 3, false, dg + 24, dl - 24, fr);
		worker_process_packet(&w[fw], fr, (uint32_t)n, (uint32_t)n, ts, LINKTYPE_ETHERNET);
	}
	CU_ASSERT_EQUAL(w[fw].ctr.fwd.forwarded, FWD_SLOTS);
	CU_ASSERT_EQUAL(w[fw].ctr.fwd.drops, 1);
	/* the one not handed over was inspected by F, without the flow's
	 * state: the content rule alone */
	alert_sids(&w[fw], sids, sizeof(sids));
	CU_ASSERT_STRING_EQUAL(sids, "22");
	/* O's HELLO is older than every datagram: they wait behind it */
	n = frag4_frame(&t, 0x56, 0, false, u, ul, fr);
	worker_process_packet(&w[ow], fr, (uint32_t)n, (uint32_t)n, T0 + 1 * SEC,
			      LINKTYPE_ETHERNET);
	CU_ASSERT_EQUAL(w[ow].ctr.fwd.received, 0);
	/* a packet at 12.5 s: the three datagrams of 10..12 s go first */
	n = frag4_frame(&t, 0x57, 0, false, u, ul, fr);
	worker_process_packet(&w[ow], fr, (uint32_t)n, (uint32_t)n, T0 + 12 * SEC + SEC / 2,
			      LINKTYPE_ETHERNET);
	CU_ASSERT_EQUAL(w[ow].ctr.fwd.received, 3);
	alert_sids(&w[ow], sids, sizeof(sids));
	CU_ASSERT_STRING_EQUAL(sids, "21,22,21,22,21,22");
	/* a later packet takes the rest, and every slot is F's again */
	n = frag4_frame(&t, 0x58, 0, false, u, ul, fr);
	worker_process_packet(&w[ow], fr, (uint32_t)n, (uint32_t)n, T0 + 60 * SEC,
			      LINKTYPE_ETHERNET);
	CU_ASSERT_EQUAL(w[ow].ctr.fwd.received, FWD_SLOTS);
	for (unsigned i = 0; i < FWD_SLOTS; i++)
		CU_ASSERT_EQUAL(fwd_slots_of(h, fw)[i].busy, 0);
	CU_ASSERT_EQUAL(flow_table_stats(w[fw].flows)->udp, 1);  /* the dropped one's */
	CU_ASSERT_EQUAL(flow_table_stats(w[ow].flows)->udp, 1);
	for (unsigned i = 0; i < 2; i++)
		worker_destroy(&w[i]);
	fwd_hub_destroy(h);
	detect_engine_free(e);
	ruleset_free(rs);
}

static const struct test_case pick_cases[] = {
	{ "one worker", test_pick_one_worker },
	{ "symmetric, any link layer", test_pick_symmetric },
	{ "icmp", test_pick_icmp },
	{ "spread over workers", test_pick_spread },
	{ "ipv4 fragments and DF", test_pick_ipv4_fragments },
	{ "ipv6 extension headers and fragments", test_pick_ipv6_exthdrs_and_fragments },
	{ "truncated and noise", test_pick_truncated_and_noise },
	{ NULL, NULL }
};

static const struct test_case worker_cases[] = {
	{ "batch counters", test_worker_batch_counters },
	{ "flow records", test_worker_flow_records },
	{ "flow record tcp flags per side", test_worker_flow_record_tcp_flags },
	{ "flow records off", test_worker_no_flow_records },
	{ "event ring full", test_worker_event_ring_full },
	{ "finish waits for output", test_worker_finish_waits },
	{ "alert to eve.json", test_worker_alert_to_eve },
	{ "housekeeping timeouts", test_worker_housekeeping },
	{ "rule reload swap, refused reload", test_worker_reload },
	{ "datagram to the flow's worker, at its barrier", test_worker_forward_ordered },
	{ "datagram to the flow's worker, live", test_worker_forward_live },
	{ NULL, NULL }
};

static const struct test_case run_cases[] = {
	{ "file through three workers", test_dispatch_run_file },
	{ "stop request", test_dispatch_run_stop },
	{ "capture error", test_dispatch_run_error },
	{ "live drops when full", test_dispatch_run_live_drops },
	{ "pcap file loop moves time forward", test_pcap_file_loop },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "dispatch_pick", NULL, NULL, pick_cases },
	{ "worker", worker_suite_init, worker_suite_cleanup, worker_cases },
	{ "dispatch_run", worker_suite_init, worker_suite_cleanup, run_cases },
	{ NULL, NULL, NULL, NULL }
};
