/*
 * clock: the two clocks mamori reads. Wall time (CLOCK_REALTIME, in
 * microseconds) stamps records and ages live flows; monotonic time (in
 * nanoseconds) measures intervals: flush deadlines, idleness, busy time.
 * clock_gettime goes through the vDSO, so these are no system calls, but
 * the packet path still reads them per batch or per N packets, never per
 * packet.
 */
#ifndef MAMORI_CLOCK_H
#define MAMORI_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
