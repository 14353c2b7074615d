/*
 * ring: a single-producer single-consumer ring of fixed-size slots.
 *
 * Workers hand alert and flow records to the output thread through one ring
 * each, and the capture thread hands packet batches to each worker the same
 * way, so every ring has exactly one writer and one reader and needs no lock:
 * the producer owns `head`, the consumer owns `tail`, and each side keeps a
 * cached copy of the other's index so that it touches the shared cache line
 * only when its cached view says the ring is full (or empty). Slots are
 * written in place (reserve, fill, commit) so records are copied once.
 *
 * Capacity is a power of two; indices run freely and are masked on use.
 */
#ifndef MAMORI_RING_H
#define MAMORI_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAMORI_CACHELINE 64

struct spsc_ring {
	/* read-mostly */
	uint8_t *slots;
	uint32_t mask;
	uint32_t elem_size;

	/* producer side */
	_Alignas(MAMORI_CACHELINE) uint32_t head;   /* next slot to write */
	uint32_t tail_cache;

	/* consumer side */
	_Alignas(MAMORI_CACHELINE) uint32_t tail;   /* next slot to read */
	uint32_t head_cache;
};

/* count is rounded up to a power of two (>= 2). Returns 0 or -ENOMEM/-EINVAL. */
int spsc_ring_init(struct spsc_ring *r, uint32_t count, uint32_t elem_size);
void spsc_ring_destroy(struct spsc_ring *r);

static inline uint32_t spsc_ring_capacity(const struct spsc_ring *r)
{
	return r->mask + 1;
}

/* Producer: a slot to fill, or NULL when the ring is full. */
static inline void *spsc_ring_reserve(struct spsc_ring *r)
{
	uint32_t head = r->head;
	if (head - r->tail_cache > r->mask) {
		r->tail_cache = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		if (head - r->tail_cache > r->mask)
			return NULL;
	}
	return r->slots + (size_t)(head & r->mask) * r->elem_size;
}

/* Producer: publish the slot returned by the last reserve. */
static inline void spsc_ring_commit(struct spsc_ring *r)
{
	__atomic_store_n(&r->head, r->head + 1, __ATOMIC_RELEASE);
}

/* Consumer: the oldest slot, or NULL when the ring is empty. */
static inline void *spsc_ring_peek(struct spsc_ring *r)
{
	uint32_t tail = r->tail;
	if (tail == r->head_cache) {
		r->head_cache = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		if (tail == r->head_cache)
			return NULL;
	}
	return r->slots + (size_t)(tail & r->mask) * r->elem_size;
}

/* Consumer: give the slot returned by the last peek back to the producer. */
static inline void spsc_ring_release(struct spsc_ring *r)
{
	__atomic_store_n(&r->tail, r->tail + 1, __ATOMIC_RELEASE);
}

/* Either side: records waiting (a snapshot). */
static inline uint32_t spsc_ring_count(const struct spsc_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
}

/* Convenience for rings of pointers. */
static inline bool spsc_ring_push_ptr(struct spsc_ring *r, void *p)
{
	void **slot = (void **)spsc_ring_reserve(r);
	if (!slot)
		return false;
	*slot = p;
	spsc_ring_commit(r);
	return true;
}

static inline void *spsc_ring_pop_ptr(struct spsc_ring *r)
{
	void **slot = (void **)spsc_ring_peek(r);
	void *p;
	if (!slot)
		return NULL;
	p = *slot;
	spsc_ring_release(r);
	return p;
}

#endif
