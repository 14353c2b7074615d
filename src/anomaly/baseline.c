/*
 * baseline: EWMA of a feature's mean and of its mean absolute deviation
 * (the TCP RTO estimator's form, Jacobson 1988). The deviation is robust
 * enough for traffic features and costs two floats; the threshold is
 * mean + k * deviation but never below an absolute floor, so a quiet
 * host does not alarm on its first handful of packets.
 */
#include <math.h>

#include "mamori/anomaly.h"

void ewma_update(struct ewma *e, float x, float alpha)
{
	if (e->n++ == 0) {
		e->mean = x;
		e->dev = 0;
		return;
	}
	float d = x - e->mean;
	e->mean += alpha * d;
	e->dev += alpha * (fabsf(d) - e->dev);
}

float ewma_threshold(const struct ewma *e, float floor, float k)
{
	float t;

	if (e->n == 0)
		return floor;
	t = e->mean + k * e->dev;
	return t > floor ? t : floor;
}
