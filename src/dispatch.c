/*
 * dispatch: the capture thread of the libpcap path (see dispatch.h).
 *
 * Picking a worker needs only addresses and ports, so dispatch_pick() peeks
 * at the headers without a full decode: the worker decodes each packet
 * once, where the rest of its pipeline runs. The hash is symmetric (the two
 * endpoints are combined in an order-independent way) so a flow's two
 * directions meet on one worker. IP fragments hash on addresses only, since
 * later fragments carry no ports; a fragmented datagram's first fragment
 * may therefore land on another worker than the unfragmented packets of the
 * same 5-tuple. Defragmentation (a later stage) must re-dispatch reassembled
 * datagrams; this is written down in doc/architecture.md.
 *
 * Batches fill until BATCH_PKTS packets or BATCH_BYTES bytes, and are also
 * flushed when the source goes idle, so live traffic never waits in a
 * half-full batch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mamori/decode.h"
#include "mamori/dispatch.h"
#include "mamori/log.h"

static inline uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

/* Order-independent combination of two endpoints. */
static uint32_t sym_hash(const uint8_t *a, const uint8_t *b, size_t alen,
			 uint32_t pa, uint32_t pb)
{
	uint32_t ha = 0x9e3779b9U, hb = 0x9e3779b9U;
	size_t i;

	for (i = 0; i + 4 <= alen; i += 4) {
		ha = mix32(ha ^ ((uint32_t)a[i] << 24 | (uint32_t)a[i + 1] << 16 |
				 (uint32_t)a[i + 2] << 8 | a[i + 3]));
		hb = mix32(hb ^ ((uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 |
				 (uint32_t)b[i + 2] << 8 | b[i + 3]));
	}
	ha = mix32(ha ^ pa);
	hb = mix32(hb ^ pb);
	return mix32((ha + hb) ^ (ha ^ hb) * 0x85ebca6bU);
}

static uint32_t ip_hash(const uint8_t *ip, uint32_t len)
{
	uint32_t hlen, off, plen;
	uint8_t proto;
	bool frag;

	if (len < 1)
		return 0;
	if ((ip[0] >> 4) == 4) {
		if (len < 20)
			return 0;
		hlen = (uint32_t)(ip[0] & 0x0f) * 4;
		proto = ip[9];
		frag = (rd16(ip + 6) & 0x3fff) != 0;
		if (frag || hlen < 20 || len < hlen + 4 ||
		    (proto != 6 && proto != 17 && proto != 132))
			return sym_hash(ip + 12, ip + 16, 4, 0, 0);
		return sym_hash(ip + 12, ip + 16, 4, rd16(ip + hlen),
				rd16(ip + hlen + 2));
	}
	if ((ip[0] >> 4) == 6) {
		if (len < 40)
			return 0;
		proto = ip[6];
		off = 40;
		/* skip the common extension headers; a fragment header makes
		 * it address-only like IPv4 fragments */
		for (int n = 0; n < 8; n++) {
			if (proto == 0 || proto == 43 || proto == 60) {
				if (len < off + 2)
					break;
				plen = ((uint32_t)ip[off + 1] + 1) * 8;
				proto = ip[off];
				off += plen;
				continue;
			}
			if (proto == 44)
				return sym_hash(ip + 8, ip + 24, 16, 0, 0);
			break;
		}
		if ((proto != 6 && proto != 17 && proto != 132) || len < off + 4)
			return sym_hash(ip + 8, ip + 24, 16, 0, 0);
		return sym_hash(ip + 8, ip + 24, 16, rd16(ip + off), rd16(ip + off + 2));
	}
	return 0;
}

unsigned dispatch_pick(const uint8_t *d, uint32_t len, int linktype, unsigned n)
{
	uint32_t off = 0, type = 0;

	if (n <= 1)
		return 0;
	switch (linktype) {
	case LINKTYPE_ETHERNET:
		if (len < 14)
			return 0;
		type = rd16(d + 12);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) &&
		       len >= off + 4) {
			type = rd16(d + off + 2);
			off += 4;
		}
		if (type != 0x0800 && type != 0x86dd)
			return 0;
		break;
	case LINKTYPE_LINUX_SLL:
		if (len < 16)
			return 0;
		off = 16;
		break;
	case LINKTYPE_LINUX_SLL2:
		if (len < 20)
			return 0;
		off = 20;
		break;
	case LINKTYPE_NULL_BSD:
	case LINKTYPE_LOOP:
		off = 4;
		break;
	case LINKTYPE_RAW:
	case LINKTYPE_DLT_RAW:
	case LINKTYPE_IPV4:
	case LINKTYPE_IPV6:
		off = 0;
		break;
	default:
		return 0;
	}
	if (len <= off)
		return 0;
	return ip_hash(d + off, len - off) % n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void idle_wait(void)
{
	struct timespec ts = { 0, 50000 };
	nanosleep(&ts, NULL);
}

/* Hand w's current batch over; it always fits, since the in ring holds
 * every batch the worker owns. */
static void flush_batch(struct dispatch *d, struct batch **cur, unsigned w)
{
	if (!cur[w])
		return;
	if (cur[w]->n == 0)
		return;
	while (!spsc_ring_push_ptr(&d->workers[w].in, cur[w]))
		idle_wait();
	d->stats.batches++;
	cur[w] = NULL;
}

static struct batch *get_batch(struct dispatch *d, unsigned w)
{
	struct batch *b;

	for (;;) {
		b = spsc_ring_pop_ptr(&d->workers[w].free);
		if (b || d->live || *d->stop)
			break;
		/* a file: wait for the worker, nothing may be lost */
		idle_wait();
	}
	if (b) {
		b->n = 0;
		b->used = 0;
	}
	return b;
}

static void snapshot_capture(struct dispatch *d)
{
	struct capture_stats st;

	if (d->ops->stats(d->cap, &st) == 0) {
		__atomic_store_n(&d->cap_stats.packets, st.packets, __ATOMIC_RELAXED);
		__atomic_store_n(&d->cap_stats.bytes, st.bytes, __ATOMIC_RELAXED);
		__atomic_store_n(&d->cap_stats.kernel_packets, st.kernel_packets, __ATOMIC_RELAXED);
		__atomic_store_n(&d->cap_stats.kernel_drops, st.kernel_drops, __ATOMIC_RELAXED);
		__atomic_store_n(&d->cap_stats.kernel_ifdrops, st.kernel_ifdrops, __ATOMIC_RELAXED);
	}
}

int dispatch_run(struct dispatch *d)
{
	struct batch *cur[256] = { 0 };
	struct capture_pkt pk;
	int linktype = d->ops->linktype(d->cap);
	uint64_t now, last_pkt_ns = mono_ns(), last_stats_ns = 0, last_flush_ns = 0;
	unsigned since_check = 0;
	bool seen = false;
	int rc = 0, n;

	if (d->nworkers > 256) {
		snprintf(d->errbuf, sizeof(d->errbuf), "at most 256 workers");
		return -1;
	}
	while (!*d->stop) {
		n = d->ops->rx_burst(d->cap, 0, &pk, 1);
		if (n == 1) {
			unsigned w = dispatch_pick(pk.data, pk.caplen, linktype, d->nworkers);
			struct batch *b = cur[w];
			uint32_t caplen = pk.caplen;

			if (caplen > BATCH_BYTES) {
				d->stats.too_big++;
				caplen = BATCH_BYTES;
			}
			if (b && (b->n == BATCH_PKTS || b->used + caplen > BATCH_BYTES)) {
				flush_batch(d, cur, w);
				b = NULL;
			}
			if (!b) {
				b = cur[w] = get_batch(d, w);
				if (!b) {
					d->stats.ring_full++;
					continue;
				}
				b->linktype = (uint16_t)linktype;
			}
			b->d[b->n].ts_us = pk.ts_us;
			b->d[b->n].off = b->used;
			b->d[b->n].caplen = caplen;
			b->d[b->n].wirelen = pk.wirelen;
			memcpy(b->data + b->used, pk.data, caplen);
			/* keep every packet's start 8-byte aligned for the decoder */
			b->used += (caplen + 7u) & ~7u;
			if (b->used > BATCH_BYTES)
				b->used = BATCH_BYTES;
			b->n++;
			seen = true;
			/* a file needs no clock; live traffic checks it every
			 * 256 packets, not per packet */
			if (!d->live || ++since_check < 256)
				continue;
		} else if (n == CAPTURE_EOF) {
			break;
		} else if (n < 0) {
			snprintf(d->errbuf, sizeof(d->errbuf), "capture: %s",
				 d->ops->error(d->cap));
			rc = -1;
			break;
		}
		/* live: a read timeout (n == 0) or the periodic check */
		since_check = 0;
		now = mono_ns();
		if (seen) {
			last_pkt_ns = now;
			seen = false;
		}
		if (now - last_flush_ns >= 1000000u) {
			/* packets never wait in a half-full batch for more
			 * than about a millisecond */
			for (unsigned w = 0; w < d->nworkers; w++)
				flush_batch(d, cur, w);
			last_flush_ns = now;
		}
		if (now - last_stats_ns >= 1000000000u) {
			snapshot_capture(d);
			last_stats_ns = now;
		}
		if (n == 0 && d->exit_idle_s &&
		    now - last_pkt_ns >= (uint64_t)d->exit_idle_s * 1000000000u) {
			log_notice("no packets for %u s, stopping (--exit-idle)",
				   d->exit_idle_s);
			break;
		}
	}
	for (unsigned w = 0; w < d->nworkers; w++) {
		flush_batch(d, cur, w);
		__atomic_store_n(&d->workers[w].in_done, 1, __ATOMIC_RELEASE);
	}
	snapshot_capture(d);
	return rc;
}
