/*
 * sketch: the bounded summaries the anomaly scorer keeps per entity.
 *
 * HyperLogLog (Flajolet et al. 2007) counts distinct ports, hosts and DNS
 * names in 64 bytes each: register j = top HLL_P bits of the hash keeps
 * the longest run of leading zeros + 1 of the rest; the estimate is the
 * bias-corrected harmonic mean, with linear counting while registers are
 * still empty (small sets, where most scans are decided). Two sketches
 * merge by register max, so windows and shards combine without loss.
 *
 * Count-min (Cormode and Muthukrishnan 2005) estimates per-key rates in
 * fixed memory: the scorer uses it to admit a new source into a full
 * table only when its count beats the lightest resident's, so a
 * spoofed-source flood of singletons cannot push out the heavy hitters.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/anomaly.h"

/* splitmix64 finaliser over 8-byte words: fast, well mixed, seeded */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t anomaly_hash(const void *p, size_t n, uint64_t seed)
{
	const uint8_t *b = p;
	uint64_t h = mix64(seed ^ (0x9e3779b97f4a7c15ULL * (n + 1)));

	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		b += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, b, n);
		h = mix64(h ^ w ^ ((uint64_t)n << 56));
	}
	return mix64(h);
}

void hll_clear(struct hll *h)
{
	memset(h->r, 0, sizeof(h->r));
}

void hll_add(struct hll *h, uint64_t hash)
{
	uint32_t j = (uint32_t)(hash >> (64 - HLL_P));
	uint64_t rest = hash << HLL_P;
	uint8_t rho = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - HLL_P + 1);

	if (rho > h->r[j])
		h->r[j] = rho;
}

double hll_estimate(const struct hll *h)
{
	const double m = HLL_M;
	/* alpha_m for m = 64 (Flajolet et al.) */
	const double alpha = 0.709;
	double sum = 0;
	unsigned zeros = 0;

	for (unsigned j = 0; j < HLL_M; j++) {
		sum += ldexp(1.0, -(int)h->r[j]);
		zeros += h->r[j] == 0;
	}
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros)
		e = m * log(m / zeros);   /* linear counting */
	return e;
}

void hll_merge(struct hll *dst, const struct hll *src)
{
	for (unsigned j = 0; j < HLL_M; j++)
		if (src->r[j] > dst->r[j])
			dst->r[j] = src->r[j];
}

int cms_init(struct cms *s, uint32_t depth, uint32_t width)
{
	if (!depth || !width || (width & (width - 1)))
		return -EINVAL;
	s->depth = depth;
	s->width = width;
	s->c = calloc((size_t)depth * width, sizeof(uint32_t));
	return s->c ? 0 : -ENOMEM;
}

void cms_free(struct cms *s)
{
	free(s->c);
	s->c = NULL;
}

/* Row i's column: a different 32-bit slice of a rehash per row. */
static inline uint32_t cms_col(const struct cms *s, uint64_t hash, uint32_t i)
{
	return (uint32_t)mix64(hash + 0x9e3779b97f4a7c15ULL * (i + 1)) & (s->width - 1);
}

uint32_t cms_add(struct cms *s, uint64_t hash, uint32_t n)
{
	uint32_t est = UINT32_MAX;

	for (uint32_t i = 0; i < s->depth; i++) {
		uint32_t *c = &s->c[(size_t)i * s->width + cms_col(s, hash, i)];
		*c = *c > UINT32_MAX - n ? UINT32_MAX : *c + n;
		if (*c < est)
			est = *c;
	}
	return est;
}

uint32_t cms_estimate(const struct cms *s, uint64_t hash)
{
	uint32_t est = UINT32_MAX;

	for (uint32_t i = 0; i < s->depth; i++) {
		uint32_t c = s->c[(size_t)i * s->width + cms_col(s, hash, i)];
		if (c < est)
			est = c;
	}
	return est;
}

int cms_merge(struct cms *dst, const struct cms *src)
{
	size_t n = (size_t)dst->depth * dst->width;

	if (dst->depth != src->depth || dst->width != src->width)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		dst->c[i] = dst->c[i] > UINT32_MAX - src->c[i] ? UINT32_MAX
							  : dst->c[i] + src->c[i];
	return 0;
}

void cms_halve(struct cms *s)
{
	size_t n = (size_t)s->depth * s->width;

	for (size_t i = 0; i < n; i++)
		s->c[i] >>= 1;
}
