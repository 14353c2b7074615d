/*
 * sha1: SHA-1 as specified in FIPS 180-4, section 6.1, for Community ID.
 *
 * Community ID hashes at most 40 bytes, so a one-shot function is all that
 * is needed: whole 64-byte blocks are compressed straight from the input,
 * and the tail plus padding (0x80, zeros, the 64-bit big-endian bit length)
 * takes one or two more blocks in a stack buffer. The message schedule is
 * kept as a 16-word ring (W[t] computed in place from W[t-3], W[t-8],
 * W[t-14], W[t-16]) rather than 80 words. SHA-1 is not used for anything
 * that needs collision resistance here: the spec fixes the algorithm.
 */
#include <string.h>

#include "mamori/flow.h"

static inline uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sha1_block(uint32_t h[5], const uint8_t *blk)
{
	uint32_t w[16], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (unsigned t = 0; t < 16; t++)
		w[t] = load_be32(blk + 4 * t);

	for (unsigned t = 0; t < 80; t++) {
		uint32_t f, k, tmp;

		if (t >= 16)
			w[t & 15] = rol32(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^
					  w[(t - 14) & 15] ^ w[t & 15], 1);
		if (t < 20) {
			f = (b & c) | (~b & d);           /* Ch */
			k = 0x5a827999;
		} else if (t < 40) {
			f = b ^ c ^ d;                    /* Parity */
			k = 0x6ed9eba1;
		} else if (t < 60) {
			f = (b & c) | (b & d) | (c & d);  /* Maj */
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		tmp = rol32(a, 5) + f + e + k + w[t & 15];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void mamori_sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest = len % 64, tlen;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha1_block(h, p + i);

	/* 0x80 then zeros up to 56 mod 64, then the length: one block when
	 * the tail leaves room for 9 bytes, else two */
	tlen = rest < 56 ? 64 : 128;
	memset(tail, 0, tlen);
	if (rest)
		memcpy(tail, p + (len - rest), rest);
	tail[rest] = 0x80;
	for (unsigned i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, tail);
	if (tlen == 128)
		sha1_block(h, tail + 64);

	for (unsigned i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}
