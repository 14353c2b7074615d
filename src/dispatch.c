/*
 * dispatch: the capture thread of the libpcap path (see dispatch.h).
 *
 * Picking a worker runs the decoder on the packet (with one worker there is
 * nothing to pick and it is skipped): only the decoder knows where the
 * inner flow of a VXLAN, GRE, ERSPAN, MPLS or PPPoE packet is, and hashing
 * outer headers would split a tunnelled flow's directions across workers
 * (each VTEP picks its own outer UDP source port). The decode costs the
 * capture thread some 15-45 ns a packet; the worker decodes again, since
 * the packet is copied into a batch first. packet_flow_hash() is symmetric
 * so a flow's two directions meet on one worker. IP fragments hash on
 * addresses only, since later fragments carry no ports, so all fragments of
 * a datagram meet on one worker, which is often not the worker of the
 * datagram's 5-tuple: that worker hands the reassembled datagram to the
 * owner (fwd.h). Reading a file with several workers, each fragment gets a
 * number and every other worker a barrier with it at the same place in its
 * batch stream, so the owner inspects a forwarded datagram exactly where in
 * the capture it belongs; a batch with a fragment or a barrier takes every
 * other such batch along when handed over (flush_batch), so a worker never
 * waits at a barrier for a fragment still held here.
 *
 * Batches fill until BATCH_PKTS packets or BATCH_BYTES bytes, and are also
 * flushed when the source goes idle, so live traffic never waits in a
 * half-full batch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mamori/clock.h"
#include "mamori/decode.h"
#include "mamori/dispatch.h"
#include "mamori/log.h"

unsigned dispatch_pick(struct dispatch_scratch *sc, const uint8_t *data, uint32_t caplen,
		       int linktype, unsigned n)
{
	struct packet *p = &sc->pkt;

	if (n <= 1)
		return 0;
	p->data = data;
	p->caplen = caplen;
	p->wirelen = caplen;
	p->ts_us = 0;
	p->linktype = (uint16_t)linktype;
	/* not IP (or broken before IP): worker 0, which counts it */
	if (decode_packet(&sc->cfg, p, &sc->stats) < 0 && p->ip_ver == 0)
		return 0;
	return packet_flow_hash(p) % n;
}

static void idle_wait(void)
{
	struct timespec ts = { 0, 50000 };
	nanosleep(&ts, NULL);
}

/* Hand w's current batch over; it always fits, since the in ring holds
 * every batch the worker owns. */
static void push_batch(struct dispatch *d, struct batch **cur, unsigned w)
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

/*
 * Hand w's batch over. A batch holding a numbered fragment or a barrier
 * takes every other such batch along: a fragment and its barriers are
 * placed together and so always leave together, and a worker waiting at a
 * barrier never waits for a fragment still held here (the dispatcher may
 * itself be waiting for that worker's free batch).
 */
static void flush_batch(struct dispatch *d, struct batch **cur, unsigned w)
{
	bool ordered = cur[w] && cur[w]->n && cur[w]->ordered;

	push_batch(d, cur, w);
	if (ordered)
		for (unsigned u = 0; u < d->nworkers; u++)
			if (cur[u] && cur[u]->ordered)
				push_batch(d, cur, u);
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
		b->ordered = false;
	}
	return b;
}

/* w's current batch with room for a packet of caplen bytes (0: a barrier),
 * flushing a full one and taking a fresh one; *flushed says whether it
 * flushed. NULL: none free (live) or stopping. */
static struct batch *batch_with_room(struct dispatch *d, struct batch **cur, unsigned w,
				     uint32_t caplen, int linktype, bool *flushed)
{
	struct batch *b = cur[w];

	if (b && (b->n == BATCH_PKTS || b->used + caplen > BATCH_BYTES)) {
		flush_batch(d, cur, w);
		*flushed = true;
		b = NULL;
	}
	if (!b) {
		b = cur[w] = get_batch(d, w);
		if (!b)
			return NULL;
		b->linktype = (uint16_t)linktype;
		/* once per batch (vDSO, no syscall): the capture time alerts
		 * carry, for delivery latency */
		b->capture_us = clock_wall_us();
	}
	return b;
}

/*
 * Reading a file with several workers: room for fragment (of worker w) in
 * w's batch and for its barrier in every other worker's, before anything
 * is placed, so that no flush separates them. A flush takes every batch
 * with a fragment or barrier along, so go round again until a pass flushed
 * nothing (at most twice: fresh batches are not full). false: stopping.
 */
static bool room_for_fragment(struct dispatch *d, struct batch **cur, unsigned w,
			      uint32_t caplen, int linktype)
{
	bool flushed;

	do {
		flushed = false;
		for (unsigned v = 0; v < d->nworkers; v++)
			if (!batch_with_room(d, cur, v, v == w ? caplen : 0, linktype, &flushed))
				return false;
	} while (flushed);
	return true;
}

static void snapshot_capture(struct dispatch *d)
{
	struct capture_stats st;
	const uint64_t *src = (const uint64_t *)(const void *)&st;
	uint64_t *dst = (uint64_t *)(void *)&d->cap_stats;

	/* every field is a uint64_t (STATS_COPY reads them the same way) */
	if (d->ops->stats(d->cap, &st) == 0)
		for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
			__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

void dispatch_snapshot(struct dispatch *d)
{
	snapshot_capture(d);
}

int dispatch_watch(struct dispatch *d)
{
	uint64_t now, last_change = clock_mono_ns(), seen = 0, pkts;
	unsigned w, exited;

	while (!*d->stop) {
		/* 50 ms: stats and --exit-idle need no more; a signal cuts the
		 * nap short for a prompt stop */
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
		snapshot_capture(d);
		now = clock_mono_ns();
		pkts = __atomic_load_n(&d->cap_stats.packets, __ATOMIC_RELAXED);
		if (pkts != seen) {
			seen = pkts;
			last_change = now;
		} else if (d->exit_idle_s &&
			   now - last_change >= (uint64_t)d->exit_idle_s * 1000000000u) {
			log_notice("no packets for %u s, stopping (--exit-idle)",
				   d->exit_idle_s);
			break;
		}
		/* a worker ends on its own only when its queue fails (it says
		 * so first: with several workers it then waits for the others
		 * to finish before it exits) */
		for (w = 0, exited = 0; w < d->nworkers; w++)
			exited += __atomic_load_n(&d->workers[w].exited, __ATOMIC_ACQUIRE) != 0 ||
				  __atomic_load_n(&d->workers[w].queue_failed, __ATOMIC_ACQUIRE) != 0;
		if (exited) {
			snprintf(d->errbuf, sizeof(d->errbuf), "capture: a queue failed: %s",
				 d->ops->error(d->cap));
			for (w = 0; w < d->nworkers; w++)
				__atomic_store_n(&d->workers[w].in_done, 1, __ATOMIC_RELEASE);
			return -1;
		}
	}
	for (w = 0; w < d->nworkers; w++)
		__atomic_store_n(&d->workers[w].in_done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void finish(struct dispatch *d, struct batch **cur)
{
	for (unsigned w = 0; w < d->nworkers; w++) {
		flush_batch(d, cur, w);
		__atomic_store_n(&d->workers[w].in_done, 1, __ATOMIC_RELEASE);
	}
	snapshot_capture(d);
}

int dispatch_run(struct dispatch *d)
{
	struct batch *cur[DISPATCH_MAX_WORKERS] = { 0 };
	struct capture_pkt pk;
	int linktype = d->ops->linktype(d->cap);
	uint64_t now, last_pkt_ns = clock_mono_ns(), last_stats_ns = 0, last_flush_ns = 0;
	/* the clock is read every `check_every` packets, not per packet */
	const unsigned check_every = d->live ? 256 : 4096;
	/* reading a file with several workers: fragments are numbered and
	 * barriers keep forwarded datagrams in capture order (fwd.h) */
	const bool ordered = d->fwd && d->fwd->ordered && d->nworkers > 1;
	unsigned since_check = 0;
	bool seen = false;
	int rc = 0, n;

	if (d->nworkers == 0 || d->nworkers > DISPATCH_MAX_WORKERS) {
		/* a caller bug (main caps the count): the worker array's
		 * size is unknown, so nothing in it is touched */
		snprintf(d->errbuf, sizeof(d->errbuf), "between 1 and %d workers",
			 DISPATCH_MAX_WORKERS);
		return -1;
	}
	while (!*d->stop) {
		n = d->ops->rx_burst(d->cap, 0, &pk, 1);
		if (n == 1) {
			unsigned w = dispatch_pick(&d->scratch, pk.data, pk.caplen,
						   linktype, d->nworkers);
			struct batch *b;
			uint32_t caplen = pk.caplen, seq = 0;
			bool flushed = false;

			if (caplen > BATCH_BYTES) {
				d->stats.too_big++;
				caplen = BATCH_BYTES;
			}
			if (ordered && (d->scratch.pkt.flags & PKT_FRAGMENT)) {
				/* number it, and put a barrier with its number
				 * at this place in every other worker's stream */
				if (!room_for_fragment(d, cur, w, caplen, linktype))
					break;  /* stopping */
				if (++d->frag_seq == 0)
					++d->frag_seq;
				seq = d->frag_seq;
				for (unsigned v = 0; v < d->nworkers; v++) {
					struct pkt_desc *bd;

					if (v == w)
						continue;
					bd = &cur[v]->d[cur[v]->n++];
					memset(bd, 0, sizeof(*bd));
					bd->ts_us = pk.ts_us;
					bd->seq = seq;
					bd->from = (uint16_t)w;
					bd->barrier = 1;
					cur[v]->ordered = true;
				}
				cur[w]->ordered = true;
			}
			b = batch_with_room(d, cur, w, caplen, linktype, &flushed);
			if (!b) {
				if (*d->stop)
					break;  /* stopping, not a drop */
				d->stats.ring_full++;
				goto check;
			}
			b->d[b->n].ts_us = pk.ts_us;
			b->d[b->n].off = b->used;
			b->d[b->n].caplen = caplen;
			b->d[b->n].wirelen = pk.wirelen;
			b->d[b->n].seq = seq;
			b->d[b->n].from = 0;
			b->d[b->n].barrier = 0;
			memcpy(b->data + b->used, pk.data, caplen);
			/* keep every packet's start 8-byte aligned for the decoder */
			b->used += (caplen + 7u) & ~7u;
			if (b->used > BATCH_BYTES)
				b->used = BATCH_BYTES;
			b->n++;
			seen = true;
check:
			if (++since_check < check_every)
				continue;
		} else if (n == CAPTURE_EOF) {
			break;
		} else if (n < 0) {
			/* a read interrupted by SIGTERM/SIGINT (a capture file
			 * on a pipe) is the stop, not a failure */
			if (*d->stop)
				break;
			snprintf(d->errbuf, sizeof(d->errbuf), "capture: %s",
				 d->ops->error(d->cap));
			rc = -1;
			break;
		} else {
			/* nothing queued: hand over what we hold before
			 * waiting, so no packet waits in a half-full batch
			 * while the link is quiet */
			for (unsigned w = 0; w < d->nworkers; w++)
				flush_batch(d, cur, w);
			if (d->ops->wait)
				d->ops->wait(d->cap, 100);
		}
		/* every check_every packets, or after a wait */
		since_check = 0;
		now = clock_mono_ns();
		if (seen) {
			last_pkt_ns = now;
			seen = false;
		}
		if (d->live && now - last_flush_ns >= 1000000u) {
			/* a steady trickle to one worker while others are busy:
			 * its batch still leaves within about a millisecond */
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
	finish(d, cur);
	return rc;
}
