/*
 * fuzz_defrag: libFuzzer target for the decoder + defragmentation path.
 *
 * The input is a script of records. Most build a well-formed IPv4 or IPv6
 * fragment from a few bytes (one of four ids, an offset and length in a
 * small window so fragments overlap often, more-fragments, a fill byte,
 * optionally unfragmentable IPv6 headers), because random bytes alone
 * rarely make two fragments of one datagram; others are raw bytes decoded
 * as an IP packet, or advance the clock and sweep. The first byte picks
 * the policy. Every reassembled datagram is checked (length fields, IPv4
 * checksum) and decoded again; at the end everything must expire and every
 * chunk come back, or the target aborts. One table per policy is made on
 * first use and reused (it is empty again after every input), so an input
 * costs what its packets cost.
 *
 *   tools/fuzz/build.sh && build-fuzz/fuzz_defrag -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/decode.h"
#include "mamori/defrag.h"

static uint8_t out[DEFRAG_OUT_MAX];

struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static void check_datagram(const uint8_t *o, uint32_t len)
{
	struct decode_config cfg;
	struct decode_stats st;
	struct packet p;

	if (len > DEFRAG_OUT_MAX)
		abort();
	if ((o[0] >> 4) == 4) {
		if ((uint32_t)(o[2] << 8 | o[3]) != len || (o[6] & 0x3f) || o[7] ||
		    inet_csum(o, (o[0] & 15u) * 4, 0) != 0)
			abort();
	} else if ((o[0] >> 4) == 6) {
		if ((uint32_t)(o[4] << 8 | o[5]) + 40 != len)
			abort();
	} else {
		abort();
	}
	decode_config_default(&cfg);
	cfg.checksum_validate = true;
	memset(&st, 0, sizeof(st));
	memset(&p, 0, sizeof(p));
	p.data = o;
	p.caplen = p.wirelen = len;
	p.linktype = LINKTYPE_RAW;
	decode_packet(&cfg, &p, &st);
}

static uint32_t build(struct reader *r, uint8_t op, uint8_t *b)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	bool v6 = op & 4, mf = op & 8;
	uint8_t a = take(r), c = take(r), fill = take(r);
	uint32_t id = a & 3, off = (uint32_t)((a >> 2) & 0x3f) * 8;
	uint32_t len = (c & 0x7f) + 1, pos;

	if (c & 0x80)
		len *= 8;
	if (op & 16)
		off += 65000;   /* near the end of the datagram space */
	if (!v6) {
		memset(b, 0, 20);
		b[0] = 0x45;
		b[2] = (uint8_t)((20 + len) >> 8);
		b[3] = (uint8_t)(20 + len);
		b[5] = (uint8_t)id;
		b[6] = (uint8_t)((mf ? 0x20 : 0) | (off / 8) >> 8);
		b[7] = (uint8_t)(off / 8);
		b[8] = 64;
		b[9] = (op & 32) ? 6 : 17;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		pos = 20;
	} else {
		uint32_t ext = (op & 32) ? 8 : 0;

		memset(b, 0, 48 + ext);
		b[0] = 0x60;
		b[4] = (uint8_t)((ext + 8 + len) >> 8);
		b[5] = (uint8_t)(ext + 8 + len);
		b[6] = ext ? 60 : 44;
		b[7] = 64;
		memcpy(b + 8, src, 16);
		memcpy(b + 24, dst, 16);
		pos = 40;
		if (ext) {
			b[pos] = 44;
			pos += 8;
		}
		b[pos] = (op & 64) ? 6 : 17;
		b[pos + 2] = (uint8_t)(off >> 8);
		b[pos + 3] = (uint8_t)((off & 0xf8) | mf);
		b[pos + 7] = (uint8_t)id;
		pos += 8;
	}
	for (uint32_t i = 0; i < len; i++)
		b[pos + i] = (uint8_t)(fill + (op & 128 ? i : 0));
	return pos + len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[2048];
	static struct defrag *tables[DEFRAG_POLICY_MAX];
	static uint64_t clock_us = 1000000000ull * 1000000ull;
	struct reader r = { data, size };
	struct defrag_config cfg;
	struct decode_config dcfg;
	struct decode_stats dst;
	struct defrag *d;
	uint64_t now;
	char err[256];
	unsigned pol = take(&r) % DEFRAG_POLICY_MAX;

	defrag_config_default(&cfg);
	cfg.memcap = 1u << 20;
	cfg.trackers = 8;
	cfg.max_frags = 48;
	cfg.max_frags_per_datagram = 20;
	cfg.min_frag_size = pol & 1 ? 24 : 0;
	cfg.policy = (enum defrag_policy)pol;
	if (!tables[pol]) {
		tables[pol] = defrag_create(&cfg, 1, err, sizeof(err));
		if (!tables[pol]) {
			fprintf(stderr, "%s\n", err);
			abort();
		}
	}
	d = tables[pol];
	/* time moves on between inputs: the last one's datagrams are gone */
	clock_us += 7200ull * 1000000u;
	now = clock_us;
	decode_config_default(&dcfg);
	memset(&dst, 0, sizeof(dst));

	while (r.n) {
		uint8_t op = take(&r);
		struct packet p;
		uint32_t n, out_len = sizeof(out);

		if ((op & 3) == 3) {
			now += (uint64_t)(op >> 2) * 2000000u;
			defrag_sweep(d, now, op >> 5);
			continue;
		}
		if ((op & 3) == 0) {
			n = take(&r) + 1;
			if (n > r.n)
				n = (uint32_t)r.n;
			memcpy(pkt, r.p, n);
			r.p += n;
			r.n -= n;
		} else {
			n = build(&r, op, pkt);
		}
		memset(&p, 0, sizeof(p));
		p.data = pkt;
		p.caplen = p.wirelen = n;
		p.linktype = LINKTYPE_RAW;
		if (decode_packet(&dcfg, &p, &dst) < 0 && !p.ip_ver)
			continue;
		if (!(p.flags & PKT_FRAGMENT))
			continue;
		if (defrag_packet(d, &p, now, out, &out_len) == 1)
			check_datagram(out, out_len);
		if (defrag_stats(d)->trackers_active > cfg.trackers)
			abort();
	}
	/* everything expires and gives its memory back */
	if (now > clock_us)
		clock_us = now;
	defrag_sweep(d, clock_us + 3600ull * 1000000u, 1000);
	if (defrag_stats(d)->trackers_active || defrag_stats(d)->chunks_used)
		abort();
	return 0;
}
