/*
 * ring: allocation for the SPSC ring in include/mamori/ring.h. The hot
 * operations are inline in the header; only setup and teardown live here,
 * since they run once per ring at startup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/ring.h"

int spsc_ring_init(struct spsc_ring *r, uint32_t count, uint32_t elem_size)
{
	uint32_t cap = 2;

	if (count == 0 || elem_size == 0 || count > (1u << 30))
		return -EINVAL;
	while (cap < count)
		cap <<= 1;
	memset(r, 0, sizeof(*r));
	/* cache-line aligned so adjacent slots of small records do not share
	 * a line with the ring header of another structure */
	if (posix_memalign((void **)&r->slots, MAMORI_CACHELINE,
			   (size_t)cap * elem_size) != 0) {
		r->slots = NULL;
		return -ENOMEM;
	}
	memset(r->slots, 0, (size_t)cap * elem_size);
	r->mask = cap - 1;
	r->elem_size = elem_size;
	return 0;
}

void spsc_ring_destroy(struct spsc_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}
