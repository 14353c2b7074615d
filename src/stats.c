/*
 * stats: reading counter blocks that other threads write.
 *
 * Workers bump their own counters with plain increments (no atomics on the
 * packet path). The output thread sums them into a snapshot; each 64-bit
 * counter is read with a relaxed atomic load, which on every target we run
 * on is a single untorn load and tells the compiler the value may change
 * under it. No ordering between counters is promised: a snapshot may be a
 * few packets behind, which is all a stats record needs.
 */
#include <stddef.h>
#include <stdint.h>

#include "mamori/stats.h"

void stats_read_u64(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
