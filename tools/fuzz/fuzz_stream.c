/*
 * fuzz_stream: libFuzzer target for TCP reassembly (src/flow/stream.c).
 *
 * The input picks a configuration (policy, pool and out-of-order bounds,
 * depth, midstream) and an initial sequence number near anything,
 * including the 2^32 wrap, then a train of segments (stream offset,
 * length, FIN/RST, fill). Against a reference model it checks:
 *
 *   - deliveries come in stream order, each byte at most once, and a jump
 *     forward is always flagged STREAM_GAP;
 *   - every delivered byte is the byte of the first segment that carried
 *     that offset (segments agree on the content, except in "conflict"
 *     mode under the first policy, where first-writer-wins is exactly the
 *     policy); nothing at or past the depth or the FIN;
 *   - with room for everything held and no RST, the bytes delivered are
 *     all of the contiguous prefix the segments cover, without a gap;
 *   - nothing after EOF, at most one EOF, every block back in the pool.
 *
 * A "chaos" bit sends arbitrary sequence numbers and flags (SYN included)
 * and checks only the structural properties and the pool.
 *
 * Build and run (clang):
 *   tools/fuzz/build.sh && build-fuzz/fuzz_stream -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/stream.h"

#define SPACE 65536u

struct model {
	struct stream_dir *d;
	uint64_t last_end;              /* stream offset after the last delivery */
	uint8_t ref[SPACE];             /* first writer's byte per offset */
	uint8_t have[SPACE];            /* ref[] is set */
	uint64_t depth;
	uint64_t fin_off;               /* first FIN's offset; UINT64_MAX none */
	bool check_bytes;
	unsigned eofs, gaps;
	uint64_t delivered;
};

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "check failed: %s (line %d)\n", \
					  #c, __LINE__); abort(); } } while (0)

static void sink(void *arg, const uint8_t *data, uint32_t n, unsigned fl)
{
	struct model *m = arg;
	uint64_t pos;

	CHECK(m->eofs == 0);
	if (fl & STREAM_EOF) {
		CHECK(n == 0);
		m->eofs++;
		return;
	}
	CHECK(n > 0);
	/* the direction advanced its offset before calling */
	pos = m->d->offset - n;
	CHECK(pos >= m->last_end);
	CHECK(pos == m->last_end || (fl & STREAM_GAP));
	if (fl & STREAM_GAP)
		m->gaps++;
	if (m->depth)
		CHECK(pos + n <= m->depth);
	if (m->check_bytes) {
		CHECK(pos + n <= m->fin_off);
		for (uint32_t i = 0; i < n; i++) {
			CHECK(pos + i < SPACE);
			CHECK(m->have[pos + i]);
			CHECK(data[i] == m->ref[pos + i]);
		}
	}
	m->last_end = pos + n;
	m->delivered += n;
}

static uint8_t truth(uint32_t off)
{
	return (uint8_t)((off * 2654435761u) >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static struct model m;
	static uint8_t buf[8192];
	struct stream_config cfg;
	struct stream_pool *sp;
	struct stream_dir d;
	uint8_t mode;
	uint32_t isn;
	bool conflict, chaos, rst = false, roomy;
	uint64_t covered_max = 0;

	if (size < 6)
		return 0;
	stream_config_default(&cfg);
	cfg.policy = (uint8_t)(in[0] % STREAM_POLICY_MAX);
	mode = in[1];
	conflict = mode & 0x01;
	chaos = mode & 0x02;
	cfg.memcap = (mode & 0x04) ? 8 * 2048 : 512u << 10;
	cfg.max_ooo_bytes = (mode & 0x08) ? 3 * 2048 : 512u << 10;
	cfg.depth = (mode & 0x10) ? 1000 + in[2] * 37u : 0;
	cfg.midstream = mode & 0x20;
	roomy = !(mode & 0x0c);
	if (conflict)
		cfg.policy = STREAM_POLICY_FIRST;
	memcpy(&isn, in + 2, 4);
	in += 6;
	size -= 6;

	sp = stream_pool_create(&cfg);
	if (!sp)
		abort();
	memset(&d, 0, sizeof(d));
	memset(&m, 0, sizeof(m));
	m.d = &d;
	m.depth = cfg.depth;
	m.fin_off = UINT64_MAX;
	m.check_bytes = !chaos;

	if (!chaos || (mode & 0x40))
		stream_segment(sp, &d, isn, NULL, 0, STREAM_TH_SYN, sink, &m);

	/* records: offset (2), length (1, x16 with flag bit 0x80), flags, fill */
	for (; size >= 5; in += 5, size -= 5) {
		uint32_t off = (uint32_t)in[0] | (uint32_t)in[1] << 8;
		uint32_t len = in[2];
		uint8_t fl = in[3], fill = in[4], tcp = 0;

		if (fl & 0x80)
			len *= 16;
		if (off + len > SPACE)
			len = SPACE - off;
		if (chaos) {
			uint32_t seq = isn + off * ((fl & 0x40) ? 65537u : 1u);

			for (uint32_t i = 0; i < len; i++)
				buf[i] = (uint8_t)(fill + i);
			stream_segment(sp, &d, seq, buf, len, fl & 0x3f, sink, &m);
			continue;
		}
		if (fl & 0x01)
			tcp |= STREAM_TH_FIN;
		if ((fl & 0x06) == 0x06) {
			tcp |= STREAM_TH_RST;
			rst = true;
		}
		for (uint32_t i = 0; i < len; i++) {
			uint8_t b = conflict && (fill & 1) ? (uint8_t)(fill + i) : truth(off + i);

			buf[i] = b;
			/* the model: the first accepted writer of an offset wins
			 * (RST payload is never taken, nor anything after close) */
			if (!(tcp & STREAM_TH_RST) && !(d.flags & STREAM_DIR_CLOSED) &&
			    !m.have[off + i]) {
				m.have[off + i] = 1;
				m.ref[off + i] = b;
			}
		}
		if ((tcp & STREAM_TH_FIN) && m.fin_off == UINT64_MAX &&
		    !(tcp & STREAM_TH_RST) && !(d.flags & STREAM_DIR_CLOSED) &&
		    off + len >= d.offset)
			m.fin_off = off + len;
		stream_segment(sp, &d, isn + 1 + off, buf, len, tcp, sink, &m);
	}

	/* With room for everything held (no bound hit) and no RST, all of
	 * the covered prefix (up to the FIN and the depth) came out, without
	 * a gap. */
	if (!chaos && roomy && !rst && !stream_pool_stats(sp)->pool_exhausted) {
		while (covered_max < SPACE && m.have[covered_max])
			covered_max++;
		if (covered_max > m.fin_off)
			covered_max = m.fin_off;
		if (m.depth && covered_max > m.depth)
			covered_max = m.depth;
		CHECK(m.gaps == 0);
		CHECK(m.delivered == covered_max);
		if (m.fin_off != UINT64_MAX && covered_max == m.fin_off)
			CHECK(m.eofs == 1);
	}
	stream_dir_flush(sp, &d, sink, &m);
	CHECK(m.eofs <= 1);
	CHECK(stream_pool_free_blocks(sp) == stream_pool_blocks(sp));
	CHECK(stream_pool_stats(sp)->memuse == 0);
	stream_pool_destroy(sp);
	return 0;
}
