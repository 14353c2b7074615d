/*
 * fwd: the hub through which workers hand reassembled datagrams to the
 * worker owning their flow (see fwd.h; the sending and taking is in
 * worker.c, next to the pipeline it feeds).
 *
 * Everything is allocated here, once: the slots (only their headers are
 * written now, so the datagram buffers cost address space until a
 * datagram is forwarded through them) and n * n rings, of which the n on
 * the diagonal stay unused so that indexing needs no special case.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/fwd.h"

struct fwd_hub *fwd_hub_create(unsigned n, bool ordered, bool live)
{
	struct fwd_hub *h;
	size_t nslots = (size_t)n * FWD_SLOTS;

	if (n < 2)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->n = n;
	h->ordered = ordered;
	h->live = live;
	h->active = (int)n;
	if (posix_memalign((void **)&h->slots, MAMORI_CACHELINE,
			   nslots * sizeof(struct fwd_slot)) != 0) {
		h->slots = NULL;
		goto fail;
	}
	for (size_t i = 0; i < nslots; i++) {
		h->slots[i].busy = 0;
		h->slots[i].seq = 0;
	}
	if (posix_memalign((void **)&h->lanes, MAMORI_CACHELINE,
			   (size_t)n * sizeof(struct fwd_lane)) != 0) {
		h->lanes = NULL;
		goto fail;
	}
	memset(h->lanes, 0, (size_t)n * sizeof(struct fwd_lane));
	if (posix_memalign((void **)&h->rings, MAMORI_CACHELINE,
			   (size_t)n * n * sizeof(struct spsc_ring)) != 0) {
		h->rings = NULL;
		goto fail;
	}
	memset(h->rings, 0, (size_t)n * n * sizeof(struct spsc_ring));
	for (unsigned from = 0; from < n; from++)
		for (unsigned to = 0; to < n; to++)
			if (from != to &&
			    spsc_ring_init(fwd_ring(h, from, to), FWD_SLOTS, sizeof(void *)) < 0)
				goto fail;
	return h;
fail:
	fwd_hub_destroy(h);
	return NULL;
}

void fwd_hub_destroy(struct fwd_hub *h)
{
	if (!h)
		return;
	if (h->rings)
		for (size_t i = 0; i < (size_t)h->n * h->n; i++)
			spsc_ring_destroy(&h->rings[i]);
	free(h->rings);
	free(h->lanes);
	free(h->slots);
	free(h);
}

void fwd_stats_add(struct fwd_stats *dst, const struct fwd_stats *src)
{
	dst->forwarded += src->forwarded;
	dst->drops += src->drops;
	dst->unknown += src->unknown;
	dst->received += src->received;
	dst->waits_abandoned += src->waits_abandoned;
}
