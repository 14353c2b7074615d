/*
 * test_defrag: IPv4/IPv6 reassembly, overlap policies, anomalies and bounds.
 *
 * Fragments are built byte by byte, run through decode_packet() (as the
 * worker will) and offered to defrag_packet(); a reassembled datagram is
 * compared with the unfragmented datagram built directly, and decoded again
 * with checksum validation, so the UDP checksum (computed by the sender
 * over the whole datagram) vouches for the bytes.
 *
 * The overlap cases are the test pattern of Novak, "Target-Based
 * Fragmentation Reassembly" (2005): nine original fragments, then eight
 * overlapping ones; the expected datagram per policy is the paper's, as
 * Suricata's defrag unit tests also use it (first, last, bsd, linux,
 * windows, solaris). bsd-right's line follows Snort frag3's rule (new data
 * wins on a left overlap that ends past the old fragment, or a full
 * cover; the old data wins when the new one ends inside it).
 *
 * The real capture: frames 3658 and 3659 of ../shared/corpus
 * flood/synack-reflection.pcap, an SNMP response (UDP 161 -> 51767) in two
 * fragments. tshark 4.0 reassembles it to 1638 bytes of UDP whose checksum
 * 0xd768 is correct, ending 02020106a08080000406000000000000. A nested
 * IPv6 fragment from suricata-verify's ipv6-evasion cases is the other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/decode.h"
#include "mamori/defrag.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)
/* per-worker reassembly scratch, outside defrag.memcap */
#define SCRATCH (DEFRAG_OUT_MAX * 2 + 8192 * 4 + 4096)

static uint8_t out[DEFRAG_OUT_MAX];
static uint32_t out_len;

static const uint8_t v4src[4] = { 192, 0, 2, 1 }, v4dst[4] = { 198, 51, 100, 2 };
static const uint8_t v6src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

static struct defrag *mk(const struct defrag_config *c)
{
	char err[256];
	struct defrag *d = defrag_create(c, 1, err, sizeof(err));

	if (!d)
		fprintf(stderr, "defrag_create: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static struct defrag *mk_default(enum defrag_policy pol)
{
	struct defrag_config c;

	defrag_config_default(&c);
	c.memcap = 8u << 20;
	c.trackers = 1024;
	c.max_frags = 4096;
	c.policy = pol;
	return mk(&c);
}

/* An IPv4 packet: header (checksummed), then data. off in bytes. */
static uint32_t v4pkt(uint8_t *b, uint16_t id, uint32_t off, bool mf, uint8_t proto,
		      const uint8_t *data, uint32_t len)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	wr16(b + 2, 20 + len);
	wr16(b + 4, id);
	wr16(b + 6, (mf ? 0x2000 : 0) | off / 8);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, v4src, 4);
	memcpy(b + 16, v4dst, 4);
	wr16(b + 10, inet_csum(b, 20, 0));
	memcpy(b + 20, data, len);
	return 20 + len;
}

/*
 * An IPv6 packet. ext (extlen bytes) are unfragmentable headers put before
 * the fragment header, the first of type ext_type, the last naming 44.
 * frag false: no fragment header (the datagram itself), nh follows ext.
 */
static uint32_t v6pkt(uint8_t *b, bool frag, uint32_t id, uint32_t off, bool mf, uint8_t nh,
		      const uint8_t *ext, uint32_t extlen, uint8_t ext_type,
		      const uint8_t *data, uint32_t len)
{
	uint32_t pos = 40;

	memset(b, 0, 40);
	b[0] = 0x60;
	wr16(b + 4, extlen + (frag ? 8 : 0) + len);
	b[6] = extlen ? ext_type : (frag ? 44 : nh);
	b[7] = 64;
	memcpy(b + 8, v6src, 16);
	memcpy(b + 24, v6dst, 16);
	if (extlen)
		memcpy(b + pos, ext, extlen);
	pos += extlen;
	if (frag) {
		b[pos] = nh;
		b[pos + 1] = 0;
		wr16(b + pos + 2, off | (mf ? 1 : 0));
		wr32(b + pos + 4, id);
		pos += 8;
	}
	memcpy(b + pos, data, len);
	return pos + len;
}

/* Decode a raw IP packet into p (buf must stay alive while p is used). */
static int decode_raw(struct packet *p, const uint8_t *buf, uint32_t len, bool csum)
{
	struct decode_config cfg;
	struct decode_stats st;

	decode_config_default(&cfg);
	cfg.checksum_validate = csum;
	memset(&st, 0, sizeof(st));
	memset(p, 0, sizeof(*p));
	p->data = buf;
	p->caplen = p->wirelen = len;
	p->linktype = LINKTYPE_RAW;
	return decode_packet(&cfg, p, &st);
}

/* Decode a raw fragment and offer it. */
static int feed(struct defrag *d, const uint8_t *buf, uint32_t len, uint64_t ts)
{
	struct packet p;

	decode_raw(&p, buf, len, false);
	CU_ASSERT(p.flags & PKT_FRAGMENT);
	p.ts_us = ts;
	out_len = sizeof(out);
	return defrag_packet(d, &p, ts, out, &out_len);
}

static bool has_event(const struct defrag *d, enum decode_event want)
{
	enum decode_event ev[4];
	unsigned n = defrag_events(d, ev, 4);

	for (unsigned i = 0; i < n && i < 4; i++)
		if (ev[i] == want)
			return true;
	return false;
}

/* UDP header + payload with a correct checksum over the IPv4/IPv6 pseudo header. */
static uint32_t udp_build(uint8_t *u, int ver, uint32_t plen, uint8_t seed)
{
	uint32_t len = 8 + plen, sum;
	uint8_t ph[40];

	wr16(u, 40000);
	wr16(u + 2, 53);
	wr16(u + 4, len);
	wr16(u + 6, 0);
	for (uint32_t i = 0; i < plen; i++)
		u[8 + i] = (uint8_t)(seed + i * 7);
	if (ver == 4) {
		memcpy(ph, v4src, 4);
		memcpy(ph + 4, v4dst, 4);
		ph[8] = 0;
		ph[9] = 17;
		wr16(ph + 10, len);
		sum = inet_csum_partial(ph, 12, 0);
	} else {
		memcpy(ph, v6src, 16);
		memcpy(ph + 16, v6dst, 16);
		wr32(ph + 32, len);
		memset(ph + 36, 0, 3);
		ph[39] = 17;
		sum = inet_csum_partial(ph, 40, 0);
	}
	sum = inet_csum_partial(u, len, sum);
	wr16(u + 6, inet_csum_fold(sum));
	return len;
}

/* ---- in order, reverse, every permutation ---- */

struct split {
	uint32_t off[4], len[4];
};

/* Fragments of a 8+300-byte UDP datagram: 4 pieces, the last odd-sized. */
static const struct split four = { { 0, 80, 160, 240 }, { 80, 80, 80, 68 } };

static uint8_t udp4[400], dgram4[512], udp6[400], dgram6[512];
static uint32_t udp4_len, dgram4_len, udp6_len, dgram6_len;

static void build_datagrams(void)
{
	udp4_len = udp_build(udp4, 4, 300, 3);
	dgram4_len = v4pkt(dgram4, 0x1234, 0, false, 17, udp4, udp4_len);
	udp6_len = udp_build(udp6, 6, 300, 5);
	dgram6_len = v6pkt(dgram6, false, 0, 0, false, 17, NULL, 0, 0, udp6, udp6_len);
}

static int send_v4(struct defrag *d, int i, uint64_t ts)
{
	uint8_t b[200];
	uint32_t n = v4pkt(b, 0x1234, four.off[i], i != 3, 17, udp4 + four.off[i], four.len[i]);

	return feed(d, b, n, ts);
}

static int send_v6(struct defrag *d, int i, uint64_t ts)
{
	uint8_t b[200];
	uint32_t n = v6pkt(b, true, 0xabcdef01, four.off[i], i != 3, 17, NULL, 0, 0,
			   udp6 + four.off[i], four.len[i]);

	return feed(d, b, n, ts);
}

/* Send the 4 fragments in the given order; the datagram must appear on
 * the last and be exactly the unfragmented one. */
static void check_order(int ver, const int ord[4])
{
	struct defrag *d = mk_default(DEFRAG_POLICY_BSD);
	const struct defrag_stats *st = defrag_stats(d);
	struct packet p;

	for (int k = 0; k < 4; k++) {
		int rc = ver == 4 ? send_v4(d, ord[k], T0 + k) : send_v6(d, ord[k], T0 + k);

		CU_ASSERT_EQUAL(rc, k == 3 ? 1 : 0);
	}
	if (ver == 4) {
		CU_ASSERT_EQUAL(out_len, dgram4_len);
		CU_ASSERT(memcmp(out, dgram4, dgram4_len) == 0);
		CU_ASSERT_EQUAL(st->ipv4_reassembled, 1);
	} else {
		CU_ASSERT_EQUAL(out_len, dgram6_len);
		CU_ASSERT(memcmp(out, dgram6, dgram6_len) == 0);
		CU_ASSERT_EQUAL(st->ipv6_reassembled, 1);
	}
	CU_ASSERT_EQUAL(st->overlaps, 0);
	CU_ASSERT_EQUAL(st->dropped, 0);
	CU_ASSERT_EQUAL(st->trackers_active, 0);
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	/* what the worker does next: decode it, checksums checked */
	CU_ASSERT_EQUAL(decode_raw(&p, out, out_len, true), 0);
	CU_ASSERT(!(p.flags & (PKT_FRAGMENT | PKT_CSUM_BAD | PKT_INVALID)));
	CU_ASSERT(p.flags & PKT_UDP);
	CU_ASSERT_EQUAL(p.sport, 40000);
	CU_ASSERT_EQUAL(p.dport, 53);
	CU_ASSERT_EQUAL(p.payload_len, 300);
	defrag_destroy(d);
}

static void test_in_order(void)
{
	static const int ord[4] = { 0, 1, 2, 3 };

	build_datagrams();
	check_order(4, ord);
	check_order(6, ord);
}

static void test_reverse(void)
{
	static const int ord[4] = { 3, 2, 1, 0 };

	build_datagrams();
	check_order(4, ord);
	check_order(6, ord);
}

static void test_permutations(void)
{
	int n = 0;

	build_datagrams();
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			for (int c = 0; c < 4; c++)
				for (int e = 0; e < 4; e++) {
					int ord[4] = { a, b, c, e };

					if (a == b || a == c || a == e || b == c ||
					    b == e || c == e)
						continue;
					check_order(4, ord);
					check_order(6, ord);
					n++;
				}
	CU_ASSERT_EQUAL(n, 24);
}

/* ---- overlaps: Novak's pattern under every policy ---- */

struct nfrag {
	char c;
	uint32_t unit, units;   /* offset and length in 8-byte units */
};

static const struct nfrag novak[17] = {
	/* originals */
	{ 'A', 0, 3 }, { 'B', 4, 2 }, { 'C', 6, 3 }, { 'D', 10, 1 }, { 'E', 13, 2 },
	{ 'F', 15, 3 }, { 'G', 18, 2 }, { 'H', 20, 2 }, { 'I', 22, 1 },
	/* overlapping ones; Q is the last fragment */
	{ 'J', 1, 4 }, { 'K', 6, 3 }, { 'L', 9, 3 }, { 'M', 12, 3 }, { 'N', 16, 1 },
	{ 'O', 19, 1 }, { 'P', 20, 1 }, { 'Q', 22, 2 },
};

static void check_novak(int ver, enum defrag_policy pol, const char *want)
{
	struct defrag *d = mk_default(pol);
	const struct defrag_stats *st = defrag_stats(d);
	uint32_t hdr = ver == 4 ? 20 : 40;
	int rc = 0;

	for (int i = 0; i < 17; i++) {
		uint8_t data[64], b[200];
		uint32_t n, len = novak[i].units * 8;

		memset(data, novak[i].c, len);
		if (ver == 4)
			n = v4pkt(b, 77, novak[i].unit * 8, i != 16, 1, data, len);
		else
			n = v6pkt(b, true, 77, novak[i].unit * 8, i != 16, 58, NULL, 0, 0,
				  data, len);
		rc = feed(d, b, n, T0 + (uint64_t)i);
		if (i < 16)
			CU_ASSERT_EQUAL(rc, 0);
		/* the originals do not overlap; every later one does */
		if (i > 0 && i < 9)
			CU_ASSERT(!has_event(d, ver == 4 ? DECODE_EV_IPV4_FRAG_OVERLAP :
					     DECODE_EV_IPV6_FRAG_OVERLAP));
		if (i >= 9)
			CU_ASSERT(has_event(d, ver == 4 ? DECODE_EV_IPV4_FRAG_OVERLAP :
					    DECODE_EV_IPV6_FRAG_OVERLAP));
	}
	CU_ASSERT_EQUAL_FATAL(rc, 1);
	CU_ASSERT_EQUAL_FATAL(out_len, hdr + 192);
	for (int u = 0; u < 24; u++) {
		bool ok = true;

		for (int k = 0; k < 8; k++)
			ok &= out[hdr + u * 8 + k] == (uint8_t)want[u];
		if (!ok)
			fprintf(stderr, "IPv%d %s: unit %d is '%c', want '%c'\n", ver,
				defrag_policy_name(pol), u, out[hdr + u * 8], want[u]);
		CU_ASSERT(ok);
	}
	CU_ASSERT_EQUAL(st->overlaps, 8);
	CU_ASSERT_EQUAL(st->overlaps_diff, 8);
	CU_ASSERT_EQUAL(st->after_last, 0);
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	if (ver == 4) {
		CU_ASSERT_EQUAL(out[2] << 8 | out[3], 212);
		CU_ASSERT_EQUAL(out[6] & 0x3f, 0);      /* MF and offset cleared */
		CU_ASSERT_EQUAL(out[7], 0);
		CU_ASSERT_EQUAL(inet_csum(out, 20, 0), 0);
	} else {
		CU_ASSERT_EQUAL(out[4] << 8 | out[5], 192);
		CU_ASSERT_EQUAL(out[6], 58);           /* fragment header gone */
	}
	defrag_destroy(d);
}

static const struct {
	enum defrag_policy pol;
	const char *want;
} novak_want[] = {
	{ DEFRAG_POLICY_BSD,       "AAAJJBCCCLLLMMMFFFGGHHIQ" },
	{ DEFRAG_POLICY_LINUX,     "AAAJJBKKKLLLMMMFFFGGPHQQ" },
	{ DEFRAG_POLICY_WINDOWS,   "AAAJBBCCCLLLMEEFFFGGHHIQ" },
	{ DEFRAG_POLICY_SOLARIS,   "AAAJBBCCCLLLMMMFFFGGHHIQ" },
	{ DEFRAG_POLICY_FIRST,     "AAAJBBCCCLDLMEEFFFGGHHIQ" },
	{ DEFRAG_POLICY_LAST,      "AJJJJBKKKLLLMMMFNFGOPHQQ" },
	{ DEFRAG_POLICY_BSD_RIGHT, "AJJJBBKKKLLLMMMFFFGGHHQQ" },
};

static void test_policies(void)
{
	for (size_t i = 0; i < sizeof(novak_want) / sizeof(novak_want[0]); i++) {
		check_novak(4, novak_want[i].pol, novak_want[i].want);
		check_novak(6, novak_want[i].pol, novak_want[i].want);
	}
}

/* Default policy is Suricata's; names parse both ways. */
static void test_policy_names(void)
{
	struct defrag_config c;
	enum defrag_policy pol;

	defrag_config_default(&c);
	CU_ASSERT_EQUAL(c.policy, DEFRAG_POLICY_BSD);
	CU_ASSERT_EQUAL(c.timeout, 60);
	for (unsigned i = 0; i < DEFRAG_POLICY_MAX; i++) {
		CU_ASSERT_EQUAL(defrag_policy_parse(defrag_policy_name(i), &pol), 0);
		CU_ASSERT_EQUAL(pol, i);
	}
	/* host-os-policy's names, as Suricata maps them */
	CU_ASSERT_EQUAL(defrag_policy_parse("macos", &pol), 0);
	CU_ASSERT_EQUAL(pol, DEFRAG_POLICY_FIRST);
	CU_ASSERT_EQUAL(defrag_policy_parse("old-linux", &pol), 0);
	CU_ASSERT_EQUAL(pol, DEFRAG_POLICY_LINUX);
	CU_ASSERT_EQUAL(defrag_policy_parse("vista", &pol), 0);
	CU_ASSERT_EQUAL(pol, DEFRAG_POLICY_WINDOWS);
	CU_ASSERT_EQUAL(defrag_policy_parse("irix", &pol), 0);
	CU_ASSERT_EQUAL(pol, DEFRAG_POLICY_BSD);
	CU_ASSERT_EQUAL(defrag_policy_parse("freebsd", &pol), -1);
	CU_ASSERT_PTR_NULL(defrag_policy_name(DEFRAG_POLICY_MAX));
}

/* ---- IPv6 extension headers before the fragment header ---- */

static void test_v6_exthdrs(void)
{
	/* hop-by-hop (next: destination options), destination options
	 * (next: fragment); both 8 bytes with a PadN */
	static const uint8_t ext[16] = { 60, 0, 1, 4, 0, 0, 0, 0,
					 44, 0, 1, 4, 0, 0, 0, 0 };
	struct defrag *d = mk_default(DEFRAG_POLICY_BSD);
	uint8_t udp[200], b[300], want[300];
	uint32_t ulen = udp_build(udp, 6, 100, 9), n, wn;
	struct packet p;

	/* the datagram as sent: the same chain, the last header naming UDP */
	memcpy(b, ext, 16);
	b[8] = 17;
	wn = v6pkt(want, false, 0, 0, false, 17, b, 16, 0, udp, ulen);

	n = v6pkt(b, true, 9, 56, true, 17, ext, 16, 0, udp + 56, 48);
	CU_ASSERT_EQUAL(feed(d, b, n, T0), 0);
	n = v6pkt(b, true, 9, 104, false, 17, ext, 16, 0, udp + 104, ulen - 104);
	CU_ASSERT_EQUAL(feed(d, b, n, T0 + 1), 0);
	n = v6pkt(b, true, 9, 0, true, 17, ext, 16, 0, udp, 56);
	CU_ASSERT_EQUAL(feed(d, b, n, T0 + 2), 1);
	CU_ASSERT_EQUAL(out_len, wn);
	CU_ASSERT(memcmp(out, want, wn) == 0);
	CU_ASSERT_EQUAL(decode_raw(&p, out, out_len, true), 0);
	CU_ASSERT(p.flags & PKT_UDP);
	CU_ASSERT(!(p.flags & (PKT_FRAGMENT | PKT_CSUM_BAD)));
	CU_ASSERT_EQUAL(p.sport, 40000);
	CU_ASSERT_EQUAL(p.payload_len, 100);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 0);
	defrag_destroy(d);
}

/* ---- anomalies ---- */

static void test_tiny(void)
{
	struct defrag_config c;
	struct defrag *d;
	uint8_t tcp[64], b[128];
	struct packet p;

	/* RFC 1858: a first fragment of 8 bytes of a 20-byte TCP header */
	memset(tcp, 0, sizeof(tcp));
	wr16(tcp, 1234);
	wr16(tcp + 2, 80);
	tcp[12] = 0x50;
	tcp[13] = 0x02;
	d = mk_default(DEFRAG_POLICY_BSD);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 5, 0, true, 6, tcp, 8), T0), 0);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 1);
	/* still reassembled: the target would, and detection must see it */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 5, 8, false, 6, tcp + 8, 32), T0), 1);
	CU_ASSERT_EQUAL(out_len, 60);
	CU_ASSERT_EQUAL(decode_raw(&p, out, out_len, false), 0);
	CU_ASSERT(p.flags & PKT_TCP);
	CU_ASSERT_EQUAL(p.tcp_flags, 0x02);
	CU_ASSERT_EQUAL(p.dport, 80);
	/* a whole header in the first fragment is not tiny */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 6, 0, true, 6, tcp, 24), T0), 0);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 1);
	defrag_destroy(d);

	/* min-frag-size: a non-last fragment under it */
	defrag_config_default(&c);
	c.memcap = 4u << 20;
	c.trackers = 64;
	c.max_frags = 256;
	c.min_frag_size = 64;
	d = mk(&c);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 7, 0, true, 17, tcp, 64), T0), 0);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 7, 64, true, 17, tcp, 16), T0), 0);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 1);
	/* the last one may be short */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 7, 80, false, 17, tcp, 8), T0), 1);
	CU_ASSERT_EQUAL(defrag_stats(d)->tiny, 1);
	defrag_destroy(d);
}

static void test_too_many(void)
{
	struct defrag_config c;
	struct defrag *d;
	const struct defrag_stats *st;
	uint8_t data[8] = { 0 }, b[64];

	defrag_config_default(&c);
	c.memcap = 4u << 20;
	c.trackers = 64;
	c.max_frags = 256;
	c.max_frags_per_datagram = 4;
	d = mk(&c);
	st = defrag_stats(d);
	for (uint32_t i = 1; i <= 4; i++)
		CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 9, i * 8, true, 17, data, 8), T0), 0);
	CU_ASSERT(st->chunks_used > 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 9, 40, true, 17, data, 8), T0), -ENOBUFS);
	CU_ASSERT(has_event(d, DECODE_EV_IPV4_FRAG_IGNORED));
	CU_ASSERT_EQUAL(st->too_many_frags, 1);
	/* the datagram is gone; its memory with it; the rest is ignored */
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 9, 0, true, 17, data, 8), T0), -ENOBUFS);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 9, 48, false, 17, data, 8), T0), -ENOBUFS);
	CU_ASSERT_EQUAL(st->too_many_frags, 1);
	CU_ASSERT_EQUAL(st->dropped, 3);
	CU_ASSERT_EQUAL(st->ipv4_reassembled, 0);
	/* the dead tracker goes at its timeout, not counted as one */
	CU_ASSERT_EQUAL(defrag_sweep(d, T0 + 61 * SEC, 100), 1);
	CU_ASSERT_EQUAL(st->trackers_active, 0);
	CU_ASSERT_EQUAL(st->ipv4_timeouts, 0);
	defrag_destroy(d);
}

static void test_timeout(void)
{
	struct defrag *d;
	const struct defrag_stats *st;

	build_datagrams();
	d = mk_default(DEFRAG_POLICY_BSD);
	st = defrag_stats(d);
	CU_ASSERT_EQUAL(send_v4(d, 0, T0), 0);
	CU_ASSERT_EQUAL(send_v4(d, 1, T0 + 30 * SEC), 0);
	/* idle 60 s counts from the last fragment */
	CU_ASSERT_EQUAL(defrag_sweep(d, T0 + 89 * SEC, 100), 0);
	CU_ASSERT_EQUAL(defrag_sweep(d, T0 + 91 * SEC, 100), 1);
	CU_ASSERT_EQUAL(st->ipv4_timeouts, 1);
	CU_ASSERT_EQUAL(st->trackers_active, 0);
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	/* the rest arrives late: the first two are gone, no datagram */
	CU_ASSERT_EQUAL(send_v4(d, 2, T0 + 92 * SEC), 0);
	CU_ASSERT_EQUAL(send_v4(d, 3, T0 + 92 * SEC), 0);
	CU_ASSERT_EQUAL(st->ipv4_reassembled, 0);

	/* without a sweep: the next fragment finds its datagram expired */
	CU_ASSERT_EQUAL(send_v6(d, 0, T0 + 100 * SEC), 0);
	CU_ASSERT_EQUAL(send_v6(d, 1, T0 + 200 * SEC), 0);
	CU_ASSERT_EQUAL(st->ipv4_timeouts, 1);
	CU_ASSERT_EQUAL(st->ipv6_timeouts, 1);
	CU_ASSERT_EQUAL(send_v6(d, 2, T0 + 201 * SEC), 0);
	CU_ASSERT_EQUAL(send_v6(d, 3, T0 + 201 * SEC), 0);
	CU_ASSERT_EQUAL(send_v6(d, 0, T0 + 202 * SEC), 1);
	CU_ASSERT_EQUAL(out_len, dgram6_len);
	CU_ASSERT(memcmp(out, dgram6, dgram6_len) == 0);
	defrag_destroy(d);
}

static void test_table_full(void)
{
	struct defrag_config c;
	struct defrag *d;
	const struct defrag_stats *st;
	uint8_t data[16] = { 0 }, b[64];

	defrag_config_default(&c);
	c.memcap = 4u << 20;
	c.trackers = 2;
	c.max_frags = 64;
	d = mk(&c);
	st = defrag_stats(d);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 1, 0, true, 17, data, 16), T0), 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 2, 0, true, 17, data, 16), T0 + SEC), 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 0, true, 17, data, 16), T0 + SEC), -ENOSPC);
	CU_ASSERT(has_event(d, DECODE_EV_IPV4_FRAG_IGNORED));
	CU_ASSERT_EQUAL(st->tracker_full, 1);
	CU_ASSERT_EQUAL(st->trackers_active, 2);
	/* the held datagrams are untouched: 1 completes */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 1, 16, false, 17, data, 8), T0 + 2 * SEC), 1);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 0, true, 17, data, 16), T0 + 2 * SEC), 0);
	/* full again; once datagram 2 times out, a new one takes its place */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 4, 0, true, 17, data, 16), T0 + 3 * SEC), -ENOSPC);
	CU_ASSERT_EQUAL(st->tracker_full, 2);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 4, 0, true, 17, data, 16), T0 + 62 * SEC), 0);
	CU_ASSERT_EQUAL(st->ipv4_timeouts, 1);
	CU_ASSERT_EQUAL(st->trackers_active, 2);
	defrag_destroy(d);
}

static void test_duplicates(void)
{
	static const int ord[7] = { 0, 0, 1, 1, 2, 2, 3 };

	build_datagrams();
	for (unsigned pol = 0; pol < DEFRAG_POLICY_MAX; pol++) {
		struct defrag *d = mk_default(pol);
		const struct defrag_stats *st = defrag_stats(d);

		for (int k = 0; k < 7; k++)
			CU_ASSERT_EQUAL(send_v4(d, ord[k], T0), k == 6 ? 1 : 0);
		CU_ASSERT_EQUAL(out_len, dgram4_len);
		CU_ASSERT(memcmp(out, dgram4, dgram4_len) == 0);
		CU_ASSERT_EQUAL(st->overlaps, 3);
		CU_ASSERT_EQUAL(st->overlaps_diff, 0);
		/* a late copy of the last one starts a datagram that never ends */
		CU_ASSERT_EQUAL(send_v4(d, 3, T0), 0);
		CU_ASSERT_EQUAL(st->trackers_active, 1);
		defrag_destroy(d);
	}
}

static void test_malformed(void)
{
	struct defrag *d = mk_default(DEFRAG_POLICY_BSD);
	const struct defrag_stats *st = defrag_stats(d);
	uint8_t data[64] = { 0 }, b[128];
	struct packet p;
	uint32_t n;

	/* a fragment before the last whose length is not a multiple of 8 */
	n = v6pkt(b, true, 1, 0, true, 17, NULL, 0, 0, data, 12);
	CU_ASSERT_EQUAL(feed(d, b, n, T0), -EINVAL);
	CU_ASSERT(has_event(d, DECODE_EV_IPV6_FRAG_INVALID_LENGTH));
	CU_ASSERT_EQUAL(st->invalid, 1);
	/* past 65535 bytes */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 2, 65528, false, 17, data, 16), T0), -EFBIG);
	CU_ASSERT(has_event(d, DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE));
	n = v6pkt(b, true, 2, 65528, false, 17, NULL, 0, 0, data, 16);
	CU_ASSERT_EQUAL(feed(d, b, n, T0), -EFBIG);
	CU_ASSERT(has_event(d, DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE));
	CU_ASSERT_EQUAL(st->too_large, 2);
	/* after the last: the datagram ends at 24 */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 16, false, 17, data, 8), T0), 0);
	CU_ASSERT(!has_event(d, DECODE_EV_IPV4_FRAG_OVERLAP));
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 24, true, 17, data, 8), T0), -EINVAL);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 8, false, 17, data, 8), T0), -EINVAL);
	CU_ASSERT_EQUAL(st->after_last, 2);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 3, 0, true, 17, data, 16), T0), 1);
	CU_ASSERT_EQUAL(out_len, 44);
	/* held data beyond a last fragment that comes later: counted, cut */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 8, 24, true, 17, data, 16), T0), 0);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 8, 16, false, 17, data, 8), T0), 0);
	CU_ASSERT_EQUAL(st->after_last, 3);
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 8, 0, true, 17, data, 16), T0), 1);
	CU_ASSERT_EQUAL(out_len, 44);
	CU_ASSERT_EQUAL(out[2] << 8 | out[3], 44);
	/* cut by the snap length: not held */
	n = v4pkt(b, 4, 0, true, 17, data, 64);
	decode_raw(&p, b, n - 10, false);
	CU_ASSERT(p.flags & PKT_FRAGMENT);
	out_len = sizeof(out);
	CU_ASSERT_EQUAL(defrag_packet(d, &p, T0, out, &out_len), -EINVAL);
	CU_ASSERT_EQUAL(st->truncated, 1);
	/* not a fragment at all */
	n = v4pkt(b, 5, 0, false, 17, data, 16);
	decode_raw(&p, b, n, false);
	CU_ASSERT_EQUAL(defrag_packet(d, &p, T0, out, &out_len), -EINVAL);
	/* an output buffer too small */
	CU_ASSERT_EQUAL(feed(d, b, v4pkt(b, 6, 0, true, 17, data, 16), T0), 0);
	n = v4pkt(b, 6, 16, false, 17, data, 8);
	decode_raw(&p, b, n, false);
	out_len = 40;
	CU_ASSERT_EQUAL(defrag_packet(d, &p, T0, out, &out_len), -EMSGSIZE);
	CU_ASSERT_EQUAL(st->dropped, 8);
	CU_ASSERT_EQUAL(st->trackers_active, 0);
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	defrag_destroy(d);
}

/* ---- bounds ---- */

/* Fragments that never make a datagram, from a cheap deterministic PRNG:
 * memory stays within the configured pools, every fragment is either held
 * or counted as dropped, and the sweep empties the table. */
static void test_endless_train(void)
{
	struct defrag_config c;
	struct defrag *d;
	const struct defrag_stats *st;
	uint8_t data[1480], b[1600];
	uint64_t held = 0, dropped = 0, peak_chunks = 0;
	uint32_t x = 12345;
	char err[256];

	defrag_config_default(&c);
	c.memcap = 2u << 20;
	c.trackers = 500;
	c.max_frags = 1000;
	c.max_frags_per_datagram = 64;
	d = mk(&c);
	st = defrag_stats(d);
	/* the memcap, plus the reassembly scratch outside it */
	CU_ASSERT(defrag_memory(d) <= c.memcap + SCRATCH);
	CU_ASSERT(defrag_memory(d) > c.memcap - 64 * 1024);
	memset(data, 0x41, sizeof(data));
	for (int i = 0; i < 200000; i++) {
		uint32_t len, off;
		int rc;

		x = x * 1103515245u + 12345u;
		/* never offset 0, so nothing completes */
		off = 8 * (1 + (x >> 8) % 4000);
		len = 8 * (1 + (x >> 20) % 185);
		rc = feed(d, b, v4pkt(b, (uint16_t)(x >> 16) % 700, off, true, 17, data, len),
			  T0 + (uint64_t)i * 100);
		if (rc == 0)
			held++;
		else
			dropped++;
		CU_ASSERT(rc <= 0);
		CU_ASSERT(st->trackers_active <= 500);
		if (st->chunks_used > peak_chunks)
			peak_chunks = st->chunks_used;
		if (i % 5000 == 0)
			defrag_sweep(d, T0 + (uint64_t)i * 100, 64);
	}
	CU_ASSERT(peak_chunks * 256 <= c.memcap);
	CU_ASSERT_EQUAL(st->ipv4_fragments, 200000);
	CU_ASSERT_EQUAL(st->dropped, dropped);
	CU_ASSERT_EQUAL(held + dropped, 200000);
	CU_ASSERT(st->memcap + st->tracker_full + st->too_many_frags > 0);
	CU_ASSERT_EQUAL(st->ipv4_reassembled, 0);
	while (defrag_sweep(d, T0 + 1000 * SEC, 64))
		;
	CU_ASSERT_EQUAL(st->trackers_active, 0);
	CU_ASSERT_EQUAL(st->chunks_used, 0);
	defrag_destroy(d);

	/* a memcap that cannot hold the tables is refused with the key */
	c.memcap = 64u << 10;
	CU_ASSERT_PTR_NULL(defrag_create(&c, 1, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "defrag.memcap"));
	/* the counts are divided among workers */
	c.memcap = 8u << 20;
	c.trackers = 10000;
	c.max_frags = 20000;
	d = defrag_create(&c, 4, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT(defrag_memory(d) <= c.memcap / 4 + SCRATCH);
	defrag_destroy(d);
}

/* ---- a real capture ---- */

/* frame 3658: offset 0, MF, 1432 bytes of UDP */
static const char real_frag1[] =
	"00163e0d ecf2985d 82115449 08004520 05ac536c 20003111 e7bf7109 a3d80a0a"
	"0a0a00a1 ca370666 d7683082 065a0201 01040670 75626c69 63a28206 4b020101"
	"02010102 01003082 063e3060 06082b06 01020101 01000454 436f6e70 6c617420"
	"736f6674 77617265 2c205665 7273696f 6e205375 6e2c2031 37204a75 6e203230"
	"31322030 353a3435 3a323020 2b303830 302c2052 656c6561 73652031 31303234"
	"53503331 50415443 48313637 30170608 2b060102 01010200 060b2b06 01040181"
	"f72001d0 3f301006 082b0601 02010103 00430416 37157030 1206082b 06010201"
	"01040004 06534e4d 50763230 0c06082b 06010201 01050004 00301306 082b0601"
	"02010106 00040762 65696a69 6e67300d 06082b06 01020101 07000201 4e300d06"
	"082b0601 02010201 0002010d 3015060d 2b060102 01020201 01988080 01020403"
	"00000130 15060d2b 06010201 02020101 a0808000 02040400 00003015 060d2b06"
	"01020102 020101b0 80800002 04060000 00301506 0d2b0601 02010202 0101b080"
	"80010204 06000001 3015060d 2b060102 01020201 01b08080 02020406 00000230"
	"15060d2b 06010201 02020101 b0808003 02040600 00033015 060d2b06 01020102"
	"020101b0 80800402 04060000 04301506 0d2b0601 02010202 0101b080 80050204"
	"06000005 3015060d 2b060102 01020201 01b08080 06020406 00000630 15060d2b"
	"06010201 02020101 b0808007 02040600 00073015 060d2b06 01020102 020101d8"
	"80800102 040b0000 01301506 0d2b0601 02010202 0101e880 80010204 0d000001"
	"3019060d 2b060102 01020201 02988080 01040876 6c616e2d 69663130 1c060d2b"
	"06010201 02020102 a0808000 040b7475 6e6e656c 5f73736c 30301706 0d2b0601"
	"02010202 0102b080 80000406 65746830 5f303017 060d2b06 01020102 020102b0"
	"80800104 06657468 305f3130 17060d2b 06010201 02020102 b0808002 04066574"
	"68305f32 3017060d 2b060102 01020201 02b08080 03040665 7468305f 33301706"
	"0d2b0601 02010202 0102b080 80040406 65746830 5f343017 060d2b06 01020102"
	"020102b0 80800504 06657468 305f3530 17060d2b 06010201 02020102 b0808006"
	"04066574 68305f36 3017060d 2b060102 01020201 02b08080 07040665 7468305f"
	"37301a06 0d2b0601 02010202 0102d880 80010409 74656d70 6c617465 31301506"
	"0d2b0601 02010202 0102e880 80010404 70707031 3012060d 2b060102 01020201"
	"03988080 01020106 3012060d 2b060102 01020201 03a08080 00020100 3012060d"
	"2b060102 01020201 03b08080 00020106 3012060d 2b060102 01020201 03b08080"
	"01020106 3012060d 2b060102 01020201 03b08080 02020106 3012060d 2b060102"
	"01020201 03b08080 03020106 3012060d 2b060102 01020201 03b08080 04020106"
	"3012060d 2b060102 01020201 03b08080 05020106 3012060d 2b060102 01020201"
	"03b08080 06020106 3012060d 2b060102 01020201 03b08080 07020106 3012060d"
	"2b060102 01020201 03d88080 01020106 3012060d 2b060102 01020201 03e88080"
	"01020117 3013060d 2b060102 01020201 04988080 01020205 dc301306 0d2b0601"
	"02010202 0104a080 80000202 05dc3013 060d2b06 01020102 020104b0 80800002"
	"0205dc30 13060d2b 06010201 02020104 b0808001 020205dc 3013060d 2b060102"
	"01020201 04b08080 02020205 dc301306 0d2b0601 02010202 0104b080 80030202"
	"05dc3013 060d2b06 01020102 020104b0 80800402 0205dc30 13060d2b 06010201"
	"02020104 b0808005 020205dc 3013060d 2b060102 01020201 04b08080 06020205"
	"dc301306 0d2b0601 02010202 0104b080 80070202 05dc3013 060d2b06 01020102"
	"020104d8 80800102 02403430 13060d2b 06010201 02020104 e8808001 020205dc"
	"3012060d 2b060102 01020201 05988080 01420100 3012060d 2b060102 01020201"
	"05a08080 00420100 3015060d 2b060102 01020201 05b08080 00420405 f5e10030"
	"15060d2b 06010201 02020105 b0808001 42043b9a ca003012 060d";

/* frame 3659: offset 1432, the last 206 bytes */
static const char real_frag2[] =
	"00163e0d ecf2985d 82115449 08004520 00e2536c 00b33111 0bd77109 a3d80a0a"
	"0a0a2b06 01020102 020105b0 80800242 01003012 060d2b06 01020102 020105b0"
	"80800342 01003012 060d2b06 01020102 020105b0 80800442 01003012 060d2b06"
	"01020102 020105b0 80800542 01003012 060d2b06 01020102 020105b0 80800642"
	"01003012 060d2b06 01020102 020105b0 80800742 01003012 060d2b06 01020102"
	"020105d8 80800142 01003012 060d2b06 01020102 020105e8 80800142 01003017"
	"060d2b06 01020102 02010698 80800104 060024ac 2adef030 17060d2b 06010201"
	"02020106 a0808000 04060000 00000000";

static int feed_eth(struct defrag *d, const char *hex, uint64_t ts)
{
	static uint8_t buf[2048];
	struct decode_config cfg;
	struct decode_stats st;
	struct packet p;
	int n = test_hex(hex, buf, sizeof(buf));

	CU_ASSERT_FATAL(n > 0);
	decode_config_default(&cfg);
	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	p.data = buf;
	p.caplen = p.wirelen = (uint32_t)n;
	p.linktype = LINKTYPE_ETHERNET;
	CU_ASSERT_EQUAL(decode_packet(&cfg, &p, &st), 0);
	CU_ASSERT(p.flags & PKT_FRAGMENT);
	out_len = sizeof(out);
	return defrag_packet(d, &p, ts, out, &out_len);
}

static void check_real(const char *first, const char *second)
{
	static const uint8_t tail[16] = { 0x02, 0x02, 0x01, 0x06, 0xa0, 0x80, 0x80, 0x00,
					  0x04, 0x06, 0, 0, 0, 0, 0, 0 };
	struct defrag *d = mk_default(DEFRAG_POLICY_BSD);
	struct packet p;

	CU_ASSERT_EQUAL(feed_eth(d, first, T0), 0);
	CU_ASSERT_EQUAL(feed_eth(d, second, T0 + 1), 1);
	CU_ASSERT_EQUAL_FATAL(out_len, 20 + 1638);
	CU_ASSERT_EQUAL(inet_csum(out, 20, 0), 0);
	CU_ASSERT(memcmp(out + out_len - 16, tail, 16) == 0);
	CU_ASSERT_EQUAL(decode_raw(&p, out, out_len, true), 0);
	CU_ASSERT(p.flags & PKT_UDP);
	CU_ASSERT(!(p.flags & (PKT_CSUM_BAD | PKT_FRAGMENT | PKT_TRUNCATED)));
	CU_ASSERT_EQUAL(p.sport, 161);
	CU_ASSERT_EQUAL(p.dport, 51767);
	CU_ASSERT_EQUAL(p.payload_len, 1630);
	defrag_destroy(d);
}

static void test_real_capture(void)
{
	check_real(real_frag1, real_frag2);
	check_real(real_frag2, real_frag1);
}

/*
 * Nested fragmentation, frames 6 and 7 of suricata-verify's
 * ipv6-malformed-fragments-35 (../shared/corpus): datagram 0x0001aaaa in
 * two fragments whose first says its payload starts with a fragment header
 * (next header 44) and whose last says ICMPv6. tshark 4.0 reassembles 408
 * bytes starting 3a0000010001bbbb8000 (a fragment header of datagram
 * 0x0001bbbb, offset 0, M, then an echo request) but takes the last
 * fragment's next header; RFC 8200 4.5 takes the first's, and so do we: the
 * output is again a fragment. The victim in the capture answers the whole
 * thing with a Parameter Problem, so the worker must not reassemble the
 * inner fragment (see defrag.h).
 */
/* frame 6: offset 0, M, next header 44 (a fragment header inside) */
static const char nested_frag1[] =
	"64006a5b 8f4a0023 559c7326 86dd6000 002300d8 2c402001 0db80001 00000000"
	"00000000 00022001 0db80001 00000000 00000000 00012c00 00010001 aaaa3a00"
	"00010001 bbbb8000 7917face babe4141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 4141";

/* frame 7: offset 208, the last, next header 58 */
static const char nested_frag2[] =
	"64006a5b 8f4a0023 559c7326 86dd6000 002300d0 2c402001 0db80001 00000000"
	"00000000 00022001 0db80001 00000000 00000000 00013a00 00d00001 aaaa4141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 41414141 41414141 41414141 41414141 41414141 41414141 41414141"
	"41414141 4141";

static void test_nested_v6(void)
{
	static const uint8_t inner[10] = { 0x3a, 0, 0, 1, 0, 1, 0xbb, 0xbb, 0x80, 0 };
	struct defrag *d = mk_default(DEFRAG_POLICY_BSD);
	struct packet p;

	CU_ASSERT_EQUAL(feed_eth(d, nested_frag1, T0), 0);
	CU_ASSERT_EQUAL(feed_eth(d, nested_frag2, T0 + 1), 1);
	CU_ASSERT_EQUAL_FATAL(out_len, 40 + 408);
	CU_ASSERT_EQUAL(out[4] << 8 | out[5], 408);
	CU_ASSERT_EQUAL(out[6], 44);
	CU_ASSERT(memcmp(out + 40, inner, sizeof(inner)) == 0);
	CU_ASSERT_EQUAL(decode_raw(&p, out, out_len, false), 0);
	CU_ASSERT(p.flags & PKT_FRAGMENT);
	CU_ASSERT(p.flags & PKT_FRAG_FIRST);
	CU_ASSERT_EQUAL(p.ipv6_flow, 0x0001bbbb);
	defrag_destroy(d);
}

/* Context of the completing fragment carried onto the decoded datagram. */
static void test_restore_context(void)
{
	struct packet frag, rp;

	memset(&frag, 0, sizeof(frag));
	memset(&rp, 0, sizeof(rp));
	frag.vlan[0] = 100;
	frag.vlan[1] = 200;
	frag.vlan_count = 2;
	frag.mpls_count = 1;
	frag.ts_us = T0;
	defrag_restore_context(&rp, &frag);
	CU_ASSERT_EQUAL(rp.vlan[0], 100);
	CU_ASSERT_EQUAL(rp.vlan[1], 200);
	CU_ASSERT_EQUAL(rp.vlan_count, 2);
	CU_ASSERT_EQUAL(rp.mpls_count, 1);
	CU_ASSERT_EQUAL(rp.ts_us, T0);
}

static const struct test_case reasm_cases[] = {
	{ "in order", test_in_order },
	{ "reverse order", test_reverse },
	{ "every order of 4 fragments", test_permutations },
	{ "IPv6 extension headers before the fragment header", test_v6_exthdrs },
	{ "real capture, checked against tshark", test_real_capture },
	{ "IPv6 fragment inside a fragment (real capture)", test_nested_v6 },
	{ "link context restored", test_restore_context },
	{ NULL, NULL }
};

static const struct test_case policy_cases[] = {
	{ "Novak's pattern under each policy", test_policies },
	{ "names and default", test_policy_names },
	{ "duplicates under each policy", test_duplicates },
	{ NULL, NULL }
};

static const struct test_case anomaly_cases[] = {
	{ "tiny fragments", test_tiny },
	{ "too many fragments", test_too_many },
	{ "malformed, too large, after the last", test_malformed },
	{ NULL, NULL }
};

static const struct test_case bound_cases[] = {
	{ "timeouts", test_timeout },
	{ "table full", test_table_full },
	{ "an endless train stays bounded", test_endless_train },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "reassembly", NULL, NULL, reasm_cases },
	{ "policies", NULL, NULL, policy_cases },
	{ "anomalies", NULL, NULL, anomaly_cases },
	{ "bounds", NULL, NULL, bound_cases },
	{ NULL, NULL, NULL, NULL }
};
