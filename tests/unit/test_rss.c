/*
 * test_rss: the software model of a port's RSS (include/mamori/rss.h).
 *
 * The Toeplitz hash against the verification values of Microsoft's RSS
 * specification (its 40-byte sample key, IPv4 and IPv6, with and without
 * ports); the symmetric key giving one hash for both directions; which
 * fields each kind of packet hashes under which hash types (TCP/UDP with
 * ports, fragments and other protocols on addresses, IPv6 after extension
 * headers); and the redirection table lookup.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/rss.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* src, dst, sport, dport in packet order */
static uint32_t tuple4(const char *s, const char *d, uint16_t sp, uint16_t dp, uint8_t *in)
{
	inet_pton(AF_INET, s, in);
	inet_pton(AF_INET, d, in + 4);
	in[8] = (uint8_t)(sp >> 8);
	in[9] = (uint8_t)sp;
	in[10] = (uint8_t)(dp >> 8);
	in[11] = (uint8_t)dp;
	return 12;
}

static void test_microsoft_vectors(void)
{
	uint8_t in[36];

	tuple4("66.9.149.187", "161.142.100.80", 2794, 1766, in);
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 8), 0x323e8fc2);
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 12), 0x51ccc178);
	tuple4("199.92.111.2", "65.69.140.83", 14230, 4739, in);
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 8), 0xd718262a);
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 12), 0xc626b0ea);

	inet_pton(AF_INET6, "3ffe:2501:200:1fff::7", in);
	inet_pton(AF_INET6, "3ffe:2501:200:3::1", in + 16);
	in[32] = 2794 >> 8;
	in[33] = 2794 & 255;
	in[34] = 1766 >> 8;
	in[35] = 1766 & 255;
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 32), 0x2cc18cd5);
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 40, in, 36), 0x40207d3d);
	/* bits past a short key count as zero: a 4-byte key hashes only
	 * the first bit's window */
	CU_ASSERT_EQUAL(rss_toeplitz(ms_key, 4, (const uint8_t *)"\x80", 1), 0x6d5a56da);
}

static void test_symmetric_key(void)
{
	uint8_t key[40], a[36], b[36];

	rss_symmetric_key(key, sizeof(key));
	CU_ASSERT_EQUAL(key[0], 0x6d);
	CU_ASSERT_EQUAL(key[1], 0x5a);
	CU_ASSERT_EQUAL(key[39], 0x5a);
	srand(7);
	for (int t = 0; t < 2000; t++) {
		unsigned alen = (t & 1) ? 16 : 4;

		for (unsigned i = 0; i < 2 * alen + 4; i++)
			a[i] = (uint8_t)rand();
		/* the reverse direction: addresses and ports swapped */
		memcpy(b, a + alen, alen);
		memcpy(b + alen, a, alen);
		memcpy(b + 2 * alen, a + 2 * alen + 2, 2);
		memcpy(b + 2 * alen + 2, a + 2 * alen, 2);
		CU_ASSERT_EQUAL(rss_toeplitz(key, 40, a, 2 * alen + 4),
				rss_toeplitz(key, 40, b, 2 * alen + 4));
		CU_ASSERT_EQUAL(rss_toeplitz(key, 40, a, 2 * alen),
				rss_toeplitz(key, 40, b, 2 * alen));
	}
	/* the Microsoft key is not symmetric: the check above can fail */
	tuple4("66.9.149.187", "161.142.100.80", 2794, 1766, a);
	tuple4("161.142.100.80", "66.9.149.187", 1766, 2794, b);
	CU_ASSERT_NOT_EQUAL(rss_toeplitz(ms_key, 40, a, 12), rss_toeplitz(ms_key, 40, b, 12));
}

/* An IPv4 header (20 bytes) and 4 bytes of ports after it. */
static uint32_t pkt4(uint8_t *p, uint8_t proto, uint16_t frag, const char *s, const char *d)
{
	memset(p, 0, 24);
	p[0] = 0x45;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[9] = proto;
	inet_pton(AF_INET, s, p + 12);
	inet_pton(AF_INET, d, p + 16);
	p[20] = 0x04;   /* sport 1025 */
	p[21] = 0x01;
	p[22] = 0x00;   /* dport 80 */
	p[23] = 0x50;
	return 24;
}

static void test_hash_types_ipv4(void)
{
	struct rss_model m;
	uint8_t p[64], in[12];
	uint32_t h, l3, l4;

	rss_model_default(&m, 40, RSS_ALL, 128, 4);
	tuple4("10.0.0.1", "10.0.0.2", 1025, 80, in);
	l3 = rss_toeplitz(m.key, 40, in, 8);
	l4 = rss_toeplitz(m.key, 40, in, 12);
	CU_ASSERT_NOT_EQUAL(l3, l4);

	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l4);
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 17, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l4);
	/* a first fragment (MF) and a later one: addresses only */
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 6, 0x2000, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 17, 0x0005, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	/* DF alone is no fragment */
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 6, 0x4000, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l4);
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 47, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	/* ports cut off: addresses */
	pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2");
	CU_ASSERT(rss_hash_ip(&m, p, 22, &h));
	CU_ASSERT_EQUAL(h, l3);
	/* options: the ports are after them */
	pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2");
	memmove(p + 24, p + 20, 4);
	memset(p + 20, 1, 4);
	p[0] = 0x46;
	CU_ASSERT(rss_hash_ip(&m, p, 28, &h));
	CU_ASSERT_EQUAL(h, l4);

	/* TCP type off, plain IPv4 on: addresses; neither: not hashed */
	m.types = RSS_IPV4 | RSS_IPV4_UDP;
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	m.types = RSS_IPV4_UDP;
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(rss_queue(&m, p, 24), -1);
	m.types = RSS_IPV4_FRAG;
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 6, 0x2000, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	m.types = RSS_IPV4_OTHER;
	CU_ASSERT(rss_hash_ip(&m, p, pkt4(p, 1, 0, "10.0.0.1", "10.0.0.2"), &h));
	CU_ASSERT_EQUAL(h, l3);
	m.types = RSS_ALL & ~(RSS_IPV4 | RSS_IPV4_FRAG | RSS_IPV4_TCP | RSS_IPV4_UDP |
			      RSS_IPV4_OTHER);
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, pkt4(p, 6, 0, "10.0.0.1", "10.0.0.2"), &h));

	/* not IP, or a header that does not fit */
	m.types = RSS_ALL;
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 19, &h));
	p[0] = 0x44;
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 24, &h));
	p[0] = 0x25;
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 24, &h));
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 0, &h));
}

static void test_hash_types_ipv6(void)
{
	struct rss_model m;
	uint8_t p[128], in[36];
	uint32_t h, l3, l4;

	rss_model_default(&m, 40, RSS_ALL, 128, 4);
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	inet_pton(AF_INET6, "2001:db8::1", p + 8);
	inet_pton(AF_INET6, "2001:db8::2", p + 24);
	memcpy(in, p + 8, 32);
	in[32] = 0x04;
	in[33] = 0x01;
	in[34] = 0x00;
	in[35] = 0x50;
	l3 = rss_toeplitz(m.key, 40, in, 32);
	l4 = rss_toeplitz(m.key, 40, in, 36);

	p[6] = 17;
	memcpy(p + 40, in + 32, 4);
	CU_ASSERT(rss_hash_ip(&m, p, 44, &h));
	CU_ASSERT_EQUAL(h, l4);
	/* behind hop-by-hop (8 bytes) and destination options (16) */
	p[6] = 0;
	p[40] = 60;
	p[41] = 0;
	p[48] = 6;
	p[49] = 1;
	memcpy(p + 64, in + 32, 4);
	CU_ASSERT(rss_hash_ip(&m, p, 68, &h));
	CU_ASSERT_EQUAL(h, l4);
	/* a fragment header: addresses */
	p[6] = 44;
	p[40] = 6;
	CU_ASSERT(rss_hash_ip(&m, p, 68, &h));
	CU_ASSERT_EQUAL(h, l3);
	m.types = RSS_IPV6_TCP;
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 68, &h));
	m.types = RSS_IPV6_FRAG;
	CU_ASSERT(rss_hash_ip(&m, p, 68, &h));
	CU_ASSERT_EQUAL(h, l3);
	/* ICMPv6: addresses */
	m.types = RSS_ALL;
	p[6] = 58;
	CU_ASSERT(rss_hash_ip(&m, p, 48, &h));
	CU_ASSERT_EQUAL(h, l3);
	CU_ASSERT_FALSE(rss_hash_ip(&m, p, 39, &h));
}

static void test_reta(void)
{
	struct rss_model m;
	uint8_t p[24];
	uint32_t h;
	int seen[3] = { 0, 0, 0 };

	rss_model_default(&m, 40, RSS_ALL, 128, 3);
	CU_ASSERT_EQUAL(m.reta_size, 128);
	for (uint32_t i = 0; i < 128; i++)
		CU_ASSERT_EQUAL(m.reta[i], i % 3);
	for (unsigned i = 0; i < 300; i++) {
		char src[32];
		int q;

		snprintf(src, sizeof(src), "10.0.%u.%u", i / 200, i % 200 + 1);
		pkt4(p, 6, 0, src, "192.0.2.1");
		q = rss_queue(&m, p, sizeof(p));
		CU_ASSERT(rss_hash_ip(&m, p, sizeof(p), &h));
		CU_ASSERT_EQUAL(q, (int)(h % 128) % 3);
		if (q >= 0 && q < 3)
			seen[q]++;
		/* the other direction: the same queue */
		pkt4(p, 6, 0, "192.0.2.1", src);
		p[20] = 0x00;
		p[21] = 0x50;
		p[22] = 0x04;
		p[23] = 0x01;
		CU_ASSERT_EQUAL(rss_queue(&m, p, sizeof(p)), q);
	}
	CU_ASSERT(seen[0] > 50 && seen[1] > 50 && seen[2] > 50);
	/* a table the port reports is used as it is */
	for (uint32_t i = 0; i < 128; i++)
		m.reta[i] = 2;
	CU_ASSERT_EQUAL(rss_queue(&m, p, sizeof(p)), 2);
	/* sizes are clamped */
	rss_model_default(&m, 100, RSS_ALL, 100000, 0);
	CU_ASSERT_EQUAL(m.key_len, RSS_KEY_MAX);
	CU_ASSERT_EQUAL(m.reta_size, RSS_RETA_MAX);
	CU_ASSERT_EQUAL(m.reta[RSS_RETA_MAX - 1], 0);
}

static const struct test_case rss_cases[] = {
	{ "Toeplitz: Microsoft's verification values", test_microsoft_vectors },
	{ "symmetric key: both directions hash alike", test_symmetric_key },
	{ "IPv4: fields hashed per hash type", test_hash_types_ipv4 },
	{ "IPv6: extension headers, fragments", test_hash_types_ipv6 },
	{ "redirection table", test_reta },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "rss", NULL, NULL, rss_cases },
	{ NULL, NULL, NULL, NULL }
};
