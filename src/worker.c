/*
 * worker: the per-core pipeline (see worker.h). The loop takes a batch,
 * runs decode and flow tracking for each packet in place (the batch buffer
 * is the packet buffer: no copy), returns the batch, and between batches
 * does bounded housekeeping: a flow-timeout sweep of at most
 * SWEEP_BUDGET flows.
 *
 * Time: reading a file, "now" is the latest packet timestamp, so timeouts
 * replay as they happened on the wire however fast we read; live, it is the
 * wall clock, so flows still expire on a silent link.
 *
 * When the ring is empty the worker spins briefly, then sleeps in growing
 * steps (20 us up to 500 us); the time spent processing batches is accounted separately from the
 * thread's CPU time so benchmarks can report the cost per packet honestly.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mamori/anomaly.h"
#include "mamori/clock.h"
#include "mamori/detect.h"
#include "mamori/eve.h"
#include "mamori/log.h"
#include "mamori/worker.h"

#define SWEEP_BUDGET 64

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/*
 * A slot in the events ring. Live, a full ring drops the record and counts
 * it: the worker must keep up with the wire. Reading a file, or ending
 * every flow at shutdown, the worker waits for the output thread instead:
 * time is ours there, and back pressure reaches the reader through the
 * batch rings, so nothing is lost.
 */
static struct event_record *reserve_event(struct worker *w)
{
	struct event_record *ev = spsc_ring_reserve(&w->events);

	while (!ev && (w->finishing || !w->live)) {
		struct timespec ts = { 0, 50000 };
		nanosleep(&ts, NULL);
		ev = spsc_ring_reserve(&w->events);
	}
	if (!ev)
		w->ctr.event_drops++;
	return ev;
}

/* What a record carries of its flow, alert and flow records alike. */
static void event_set_flow(const struct worker *w, struct event_record *ev,
			   const struct flow *f)
{
	ev->flow_id = f->flow_id;
	if (w->community_id)
		flow_community_id(f, w->community_id_seed, ev->community_id,
				  sizeof(ev->community_id));
	ev->flow.pkts_toserver = f->pkts[FLOW_TOSERVER];
	ev->flow.pkts_toclient = f->pkts[FLOW_TOCLIENT];
	ev->flow.bytes_toserver = f->bytes[FLOW_TOSERVER];
	ev->flow.bytes_toclient = f->bytes[FLOW_TOCLIENT];
	ev->flow.start_us = f->start_us;
	ev->flow.end_us = f->last_us;
	ev->flow.tcp_state = f->tcp_state;
}

/* Payload-less packets of f, to server and to client, for inspections at
 * flow end. */
static void flow_pseudo_packets(const struct flow *f, struct packet *ts, struct packet *tc)
{
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;

	flow_endpoints(f, &cs, &cp, &sd, &sp);
	memset(ts, 0, sizeof(*ts));
	ts->ip_ver = f->key.ip_ver;
	ts->proto = f->key.proto;
	ts->flags = f->key.ip_ver == 4 ? PKT_IPV4 : PKT_IPV6;
	ts->ts_us = f->last_us;
	ts->ttl = 64;
	ts->src = *cs;
	ts->dst = *sd;
	ts->sport = cp;
	ts->dport = sp;
	if (f->key.vlan) {
		ts->vlan_count = 1;
		ts->vlan[0] = f->key.vlan;
	}
	*tc = *ts;
	tc->src = *sd;
	tc->dst = *cs;
	tc->sport = sp;
	tc->dport = cp;
}

static void on_app_inspect(void *arg, const struct packet *p, struct flow *f,
			   const struct app_inspect *in);
static void on_stream(void *arg, const struct packet *p, struct flow *f, enum flow_dir dir,
		      const uint8_t *data, uint32_t len, unsigned flags);

/* The app layer's hooks: parsers' inspection points, and stream bytes
 * when the rules match streams. */
static const struct applayer_hooks hooks_app = { on_app_inspect, NULL };
static const struct applayer_hooks hooks_stream = { on_app_inspect, on_stream };

_Static_assert(APPLAYER_COVERED == DETECT_STREAM_COVERED &&
	       APPLAYER_RETRANS == DETECT_STREAM_RETRANS, "stream flags differ");

static const struct applayer_hooks *worker_hooks(const struct worker *w)
{
	return w->det && detect_has_stream(w->det) ? &hooks_stream : &hooks_app;
}

/* Flow end: a flow record for the output thread, when configured. */
static void on_flow_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	struct worker *w = arg;
	struct event_record *ev;
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;

	/* stream blocks and parser state go back before the flow is reused;
	 * what the parsers still produce is inspected against payload-less
	 * packets of the flow, one per direction, as Suricata does */
	if (w->al) {
		const struct packet *pseudo[2] = { &w->fpkt[0], &w->fpkt[1] };
		const struct applayer_hooks *h = worker_hooks(w);

		/* held stream bytes matter to the stream rules whatever the
		 * protocol; to the parsers only when one was found */
		if ((f->key.proto == 6 && h->raw) ||
		    (f->app.proto != APP_PROTO_UNKNOWN && f->app.proto != APP_PROTO_FAILED)) {
			flow_pseudo_packets(f, &w->fpkt[0], &w->fpkt[1]);
			applayer_flow_end(w->al, f, pseudo, h, w);
		} else {
			applayer_flow_end(w->al, f, NULL, NULL, NULL);
		}
	}
	anomaly_flow_end(w->anom, f);
	if (!w->flow_records)
		return;
	ev = reserve_event(w);
	if (!ev)
		return;
	/* clear the header fields; payload stays as is (payload_len = 0) */
	memset(ev, 0, offsetof(struct event_record, payload));
	ev->type = EVENT_FLOW;
	ev->ip_ver = f->key.ip_ver;
	ev->proto = f->key.proto;
	flow_endpoints(f, &cs, &cp, &sd, &sp);
	ev->src = *cs;
	ev->dst = *sd;
	ev->sport = cp;
	ev->dport = sp;
	ev->icmp_type = f->icmp_type;
	ev->icmp_code = f->icmp_code;
	if (f->key.vlan) {
		ev->vlan_count = 1;
		ev->vlan[0] = f->key.vlan;
	}
	ev->worker = (uint16_t)w->id;
	ev->ts_us = f->last_us;
	event_set_flow(w, ev, f);
	ev->flow.end_reason = (uint8_t)why;
	ev->flow.alerted = f->alerted;
	ev->flow.tcp_flags_ts = f->tcp_flags[FLOW_TOSERVER];
	ev->flow.tcp_flags_tc = f->tcp_flags[FLOW_TOCLIENT];
	spsc_ring_commit(&w->events);
	w->ctr.events++;
}

/* An application-layer inspection point: the app rules run on it. */
static void on_app_inspect(void *arg, const struct packet *p, struct flow *f,
			   const struct app_inspect *in);

/* detect_packet's callback: the alert goes to the output thread. */
static void on_alert(void *arg, const struct packet *p, const struct flow *f,
		     const struct event_alert *a, const struct app_meta *app)
{
	worker_alert_app(arg, p, f, a, app);
}

static void on_app_inspect(void *arg, const struct packet *p, struct flow *f,
			   const struct app_inspect *in)
{
	struct worker *w = arg;

	if (w->det)
		detect_app(w->det, p, f, (enum flow_dir)in->dir, in, on_alert, w);
}

/* An in-order stream delivery: the stream rules see it. */
static void on_stream(void *arg, const struct packet *p, struct flow *f, enum flow_dir dir,
		      const uint8_t *data, uint32_t len, unsigned flags)
{
	struct worker *w = arg;

	if (w->det)
		detect_stream_data(w->det, p, f, dir, data, len, flags, on_alert, w);
}

int worker_init(struct worker *w, unsigned id, const struct mamori_config *rc,
		uint32_t max_flows, bool live, const struct detect_engine *engine)
{
	struct flow_config fc = rc->flow;
	int err;

	memset(w, 0, sizeof(*w));
	w->id = id;
	w->live = live;
	w->dcfg = rc->decode;
	w->flow_records = rc->eve_enabled && rc->eve_flow;
	w->community_id = rc->community_id;
	w->community_id_seed = rc->flow.community_id_seed;
	w->nbatches = rc->dispatch_ring_size;

	fc.max_flows = max_flows;
	fc.hash_size = rc->flow_hash_size;
	fc.worker_id = (uint16_t)id;
	/* Without rules no inspection point has a consumer (mamori writes no
	 * protocol logs): reassembly and parsing would be pure cost. */
	if (rc->applayer.enabled && engine) {
		/* rc's memcaps are this worker's share (the caller divides) */
		struct applayer_config ac = rc->applayer;

		ac.stream = rc->stream;
		w->al = applayer_new(&ac);
		if (!w->al)
			return -ENOMEM;
	}
	/* from here a failure leaves the rest to worker_destroy, which takes
	 * a worker as far as it got (the memset above zeroed the rest) */
	err = -ENOMEM;
	{
		char derr[256];

		/* defrag_create takes this worker's share of the limits */
		w->defrag = defrag_create(&rc->defrag, rc->run_workers ? rc->run_workers : 1,
					  derr, sizeof(derr));
		w->defrag_buf = malloc(DEFRAG_OUT_MAX);
		if (!w->defrag || !w->defrag_buf) {
			if (!w->defrag)
				log_error("worker %u: %s", id, derr);
			goto fail;
		}
	}
	w->flows = flow_table_create(&fc, on_flow_end, w);
	if (!w->flows)
		goto fail;
	if (engine) {
		w->det = detect_thread_new(engine, &w->dtstats);
		if (!w->det)
			goto fail;
	}
	if ((err = spsc_ring_init(&w->in, w->nbatches, sizeof(void *))) < 0 ||
	    (err = spsc_ring_init(&w->free, w->nbatches, sizeof(void *))) < 0 ||
	    (err = spsc_ring_init(&w->events, rc->event_ring_size,
				  sizeof(struct event_record))) < 0)
		goto fail;
	if (posix_memalign((void **)&w->batches, MAMORI_CACHELINE,
			   (size_t)w->nbatches * sizeof(struct batch)) != 0) {
		w->batches = NULL;
		err = -ENOMEM;
		goto fail;
	}
	/* before any thread starts: every batch begins on the free ring */
	for (uint32_t i = 0; i < w->nbatches; i++) {
		w->batches[i].n = 0;
		spsc_ring_push_ptr(&w->free, &w->batches[i]);
	}
	return 0;
fail:
	worker_destroy(w);
	return err;
}

void worker_destroy(struct worker *w)
{
	if (w->flows)
		flow_table_destroy(w->flows);
	w->flows = NULL;
	/* after the flows: their end gives stream blocks back to it */
	applayer_free(w->al);
	w->al = NULL;
	defrag_destroy(w->defrag);
	w->defrag = NULL;
	free(w->defrag_buf);
	w->defrag_buf = NULL;
	detect_thread_free(w->det);
	w->det = NULL;
	/* a reload that never got swapped in or collected */
	detect_thread_free(__atomic_exchange_n(&w->det_next, NULL, __ATOMIC_ACQ_REL));
	detect_thread_free(__atomic_exchange_n(&w->det_retired, NULL, __ATOMIC_ACQ_REL));
	spsc_ring_destroy(&w->in);
	spsc_ring_destroy(&w->free);
	spsc_ring_destroy(&w->events);
	free(w->batches);
	w->batches = NULL;
}

bool worker_poll_detect(struct worker *w)
{
	struct detect_thread *nd = __atomic_load_n(&w->det_next, __ATOMIC_ACQUIRE);

	if (!nd)
		return false;
	/* the old thread is parked before det_next reads empty, so the
	 * reloader, seeing it empty, always finds the old one to free */
	__atomic_store_n(&w->det_retired, w->det, __ATOMIC_RELEASE);
	w->det = nd;
	__atomic_store_n(&w->det_next, NULL, __ATOMIC_RELEASE);
	return true;
}

/* The pipeline for one packet: decode, flow, detect. Batches (dispatch)
 * and polled queues (capture_ops in the worker) share it. */
/* Flow, application layer and detection for one decoded packet. */
static inline void inspect_packet(struct worker *w, struct packet *p)
{
	enum flow_dir dir;
	struct flow *f;
	unsigned how = 0;

	f = flow_packet(w->flows, p, &dir);
	/* parsing first: a packet rule on an app protocol sees the
	 * protocol its own bytes revealed, as in Suricata; the stream
	 * bytes this packet delivers are gathered for detect_packet_stream */
	if (w->al && f) {
		const struct applayer_hooks *h = worker_hooks(w);

		if (h->raw && p->proto == 6)
			detect_stream_begin(w->det, p, f, dir);
		how = applayer_packet(w->al, p, f, dir, h, w);
	}
	anomaly_packet(w->anom, p, f, dir);
	if (w->det)
		detect_packet_stream(w->det, p, f, dir, how, on_alert, w);
}

/* ---- reassembled datagrams of other workers' flows (fwd.h) ---------------- */

/* Past this, a wait for another worker is a bug, not load: give up on it
 * (counted) rather than hang the sensor. */
#define FWD_WAIT_MAX_NS (10ull * 1000000000ull)

static void fwd_nap(unsigned *spins)
{
	struct timespec ts = { 0, 20000 };

	if (++*spins < 64) {
		cpu_relax();
		return;
	}
	/* the worker waited on is most often runnable beside us on a shared
	 * core: let it run before sleeping outright */
	if (*spins < 64 + 32) {
		sched_yield();
		return;
	}
	nanosleep(&ts, NULL);
}

static inline bool fwd_pending(const struct worker *w)
{
	return __atomic_load_n(&w->fwd->lanes[w->id].posted, __ATOMIC_ACQUIRE) != w->fwd_taken;
}

/* Inspect a datagram another worker reassembled for one of our flows, then
 * give its slot back. */
static void fwd_take(struct worker *w, struct fwd_slot *s)
{
	uint64_t cap = w->batch_capture_us;

	s->pkt.data = s->data;
	if (s->pkt.ts_us > w->now_us)
		w->now_us = s->pkt.ts_us;
	w->batch_capture_us = s->capture_us;
	inspect_packet(w, &s->pkt);
	w->batch_capture_us = cap;
	w->fwd_taken++;
	w->ctr.fwd.received++;
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
}

/* Take what `from` posted to us, oldest first: up to its fragment number
 * seq (ordered), else what is not newer than now_us, or everything. */
static void fwd_take_from(struct worker *w, unsigned from, bool ordered, uint32_t seq,
			  uint64_t now_us, bool all)
{
	struct spsc_ring *r = fwd_ring(w->fwd, from, w->id);
	void **e;

	while ((e = spsc_ring_peek(r)) != NULL) {
		struct fwd_slot *s = *e;

		if (!all && (ordered ? !fwd_seq_ge(seq, s->seq) : s->pkt.ts_us > now_us))
			break;
		spsc_ring_release(r);
		fwd_take(w, s);
	}
}

/* Unordered: what every other worker posted that is due at now_us. */
static void fwd_drain(struct worker *w, uint64_t now_us, bool all)
{
	for (unsigned from = 0; from < w->fwd->n; from++)
		if (from != w->id)
			fwd_take_from(w, from, false, 0, now_us, all);
}


/* One step of waiting for another worker: nap (spinning first); false,
 * counted, once FWD_WAIT_MAX_NS have passed since the naps began (the
 * clock is read only then). */
static bool fwd_wait(struct worker *w, unsigned *spins, uint64_t *t0)
{
	if (*spins >= 64) {
		uint64_t now = clock_mono_ns();

		if (!*t0) {
			*t0 = now;
		} else if (now - *t0 > FWD_WAIT_MAX_NS) {
			w->ctr.fwd.waits_abandoned++;
			return false;
		}
	}
	fwd_nap(spins);
	return true;
}

/* Ordered: a barrier for fragment seq of worker from. Once that worker has
 * processed it, whatever it completed for us is in our ring from it, and
 * this is its place in the capture. */
static void fwd_barrier(struct worker *w, unsigned from, uint32_t seq)
{
	const uint32_t *done;
	unsigned spins = 0;
	uint64_t t0 = 0;

	if (!w->fwd || from >= w->fwd->n || from == w->id)
		return;
	done = &w->fwd->lanes[from].done_seq;
	/* past the limit, what it posts later is taken at a later barrier
	 * or at the end, not lost */
	while (!fwd_seq_ge(__atomic_load_n(done, __ATOMIC_ACQUIRE), seq) &&
	       fwd_wait(w, &spins, &t0))
		;
	fwd_take_from(w, from, true, seq, 0, false);
}

/* A free slot of ours, or NULL. */
static struct fwd_slot *fwd_slot_get(struct worker *w)
{
	struct fwd_slot *slots = fwd_slots_of(w->fwd, w->id);

	for (unsigned i = 0; i < FWD_SLOTS; i++) {
		unsigned k = (w->fwd_next + i) % FWD_SLOTS;

		if (!__atomic_load_n(&slots[k].busy, __ATOMIC_ACQUIRE)) {
			w->fwd_next = k + 1;
			return &slots[k];
		}
	}
	return NULL;
}

/*
 * Hand the decoded datagram rp (w->defrag_buf, len bytes) to worker `to`.
 * false: no slot, counted; the caller inspects it here instead, as without
 * forwarding (better a packet rule on a foreign flow than no inspection).
 * Live, a full pool never waits. Otherwise our slots come back as their
 * receivers inspect them: reading a file through the dispatcher, each at
 * the receiver's barrier for an earlier fragment of ours, which it can
 * always reach (it waits only for lower fragment numbers than ours); with
 * queues polled by their workers, we take the datagrams due to us while we
 * wait, so two workers waiting on each other both move.
 */
static bool fwd_send(struct worker *w, unsigned to, const struct packet *rp, uint32_t len)
{
	struct fwd_slot *s = fwd_slot_get(w);
	unsigned spins = 0;
	uint64_t t0 = 0;

	while (!s && !w->fwd->live) {
		if (!w->fwd_ordered && fwd_pending(w))
			fwd_drain(w, rp->ts_us, false);
		if (!fwd_wait(w, &spins, &t0))
			break;
		s = fwd_slot_get(w);
	}
	if (!s) {
		w->ctr.fwd.drops++;
		return false;
	}
	memcpy(s->data, w->defrag_buf, len);
	s->pkt = *rp;
	s->pkt.data = s->data;
	s->seq = w->cur_seq;
	s->capture_us = w->batch_capture_us;
	__atomic_store_n(&s->busy, 1, __ATOMIC_RELAXED);
	/* as deep as our pool: never full */
	if (!spsc_ring_push_ptr(fwd_ring(w->fwd, w->id, to), s)) {
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELAXED);
		w->ctr.fwd.drops++;
		return false;
	}
	__atomic_add_fetch(&w->fwd->lanes[to].posted, 1, __ATOMIC_RELEASE);
	w->ctr.fwd.forwarded++;
	return true;
}

/*
 * The worker whose flow table has rp's flow: the one the dispatcher picks
 * for its unfragmented packets (packet_flow_hash), or with queues polled
 * by their workers, the queue the port's RSS puts them on, computed from
 * the datagram's IP header (capture_ops.flow_queue). -1: not known (no
 * RSS model; a fragment inside a tunnel or MPLS, where the port hashed
 * outer headers this datagram no longer has).
 */
static int fwd_owner(struct worker *w, const struct packet *frag, const struct packet *rp,
		     uint32_t len)
{
	int q;

	if (!w->src_ops)
		return (int)(packet_flow_hash(rp) % w->fwd->n);
	if (frag->ntunnels || frag->mpls_count || !w->src_ops->flow_queue)
		return -1;
	q = w->src_ops->flow_queue(w->src, w->defrag_buf, len);
	return q >= 0 && (unsigned)q < w->fwd->n ? q : -1;
}

/* No more input: retire, and take datagrams until every worker has (the
 * flows they belong to end only after that). */
static void fwd_finish(struct worker *w)
{
	unsigned spins = 0;

	if (!w->fwd)
		return;
	fwd_retire(w->fwd);
	for (;;) {
		bool last = fwd_all_retired(w->fwd);

		worker_poll_detect(w);
		if (fwd_pending(w)) {
			fwd_drain(w, 0, true);
			spins = 0;
		}
		if (last)
			break;
		fwd_nap(&spins);
	}
}

/* A fragment (already inspected as itself, as Suricata does for IP-only
 * rules): hold it, and when it completes its datagram, decode and inspect
 * the reassembled datagram once. */
static void defrag_fragment(struct worker *w, const struct packet *p)
{
	struct packet *rp = &w->rpkt;
	enum decode_event ev[8];
	uint32_t len = DEFRAG_OUT_MAX;
	unsigned nev;
	int rc = defrag_packet(w->defrag, p, p->ts_us, w->defrag_buf, &len);

	nev = defrag_events(w->defrag, ev, 8);
	for (unsigned i = 0; i < nev && i < 8; i++)
		w->dstats.events[ev[i]]++;
	if (rc != 1)
		return;
	memset(rp, 0, sizeof(*rp));
	rp->data = w->defrag_buf;
	rp->caplen = rp->wirelen = len;
	rp->ts_us = p->ts_us;
	rp->linktype = LINKTYPE_RAW;
	/* its own decode counters: the fragments were counted already */
	if (decode_packet(&w->dcfg, rp, &w->defrag_dstats) < 0)
		return;
	defrag_restore_context(rp, p);
	if (w->fwd) {
		int to = fwd_owner(w, p, rp, len);

		if (to < 0)
			w->ctr.fwd.unknown++;
		else if ((unsigned)to != w->id && fwd_send(w, (unsigned)to, rp, len))
			return;
	}
	/* a fragment inside a reassembled datagram is not reassembled again
	 * (hosts refuse nested fragmentation, and it would not end) */
	inspect_packet(w, rp);
}

static inline void process_packet(struct worker *w, const uint8_t *data, uint32_t caplen,
				  uint32_t wirelen, uint64_t ts_us, uint16_t linktype)
{
	struct packet *p = &w->pkt;

	/* datagrams other workers reassembled for our flows, due before this
	 * packet (ordered runs take them at barriers instead) */
	if (w->fwd && !w->fwd_ordered && fwd_pending(w))
		fwd_drain(w, ts_us, false);
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->ts_us = ts_us;
	p->linktype = linktype;
	if (decode_packet(&w->dcfg, p, &w->dstats) < 0)
		return;
	if (p->ts_us > w->now_us)
		w->now_us = p->ts_us;
	if (w->defrag && (p->flags & PKT_FRAGMENT)) {
		/* As Suricata: a fragment is inspected as an IP packet only
		 * (its transport header, even in the first fragment, is not
		 * trusted: the host may never complete the datagram); its
		 * transport belongs to the reassembled datagram alone, so
		 * no flow, stream or parser sees the fragment itself. */
		uint32_t flags = p->flags;
		enum flow_dir dir;

		p->flags &= ~(uint32_t)PKT_FRAG_FIRST;
		/* no flow: counted as such (flow.no_flow) */
		(void)flow_packet(w->flows, p, &dir);
		if (w->det)
			detect_packet(w->det, p, NULL, FLOW_TOSERVER, on_alert, w);
		p->flags = flags;
		defrag_fragment(w, p);
		return;
	}
	inspect_packet(w, p);
}

void worker_process_packet(struct worker *w, const uint8_t *data, uint32_t caplen,
			   uint32_t wirelen, uint64_t ts_us, int linktype)
{
	process_packet(w, data, caplen, wirelen, ts_us, (uint16_t)linktype);
}

void worker_process_batch(struct worker *w, const struct batch *b)
{
	w->batch_capture_us = b->capture_us;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct pkt_desc *d = &b->d[i];

		if (d->barrier && w->fwd_ordered) {
			fwd_barrier(w, d->from, d->seq);
			continue;
		}
		if (i + 1 < b->n)
			__builtin_prefetch(b->data + b->d[i + 1].off);
		w->cur_seq = d->seq;
		process_packet(w, b->data + d->off, d->caplen, d->wirelen, d->ts_us,
			       b->linktype);
		/* a numbered fragment is done: barriers waiting for it go on */
		if (d->seq && w->fwd)
			__atomic_store_n(&w->fwd->lanes[w->id].done_seq, d->seq,
					 __ATOMIC_RELEASE);
	}
	w->ctr.batches++;
}

void worker_housekeeping(struct worker *w, uint64_t now_us)
{
	flow_sweep(w->flows, now_us, SWEEP_BUDGET);
	if (w->defrag)
		defrag_sweep(w->defrag, now_us, SWEEP_BUDGET);
}

void worker_finish(struct worker *w)
{
	w->finishing = true;
	flow_table_flush(w->flows);
}

int worker_alert(struct worker *w, const struct packet *p, const struct flow *f,
		 const struct event_alert *alert)
{
	return worker_alert_app(w, p, f, alert, NULL);
}

int worker_alert_app(struct worker *w, const struct packet *p, const struct flow *f,
		     const struct event_alert *alert, const struct app_meta *app)
{
	struct event_record *ev = reserve_event(w);
	uint16_t n;

	if (!ev)
		return -ENOBUFS;
	memset(ev, 0, offsetof(struct event_record, payload));
	ev->type = EVENT_ALERT;
	ev->ip_ver = p->ip_ver;
	ev->proto = p->proto;
	ev->src = p->src;
	ev->dst = p->dst;
	ev->sport = p->sport;
	ev->dport = p->dport;
	ev->icmp_type = p->icmp_type;
	ev->icmp_code = p->icmp_code;
	ev->vlan_count = p->vlan_count;
	ev->vlan[0] = p->vlan[0];
	ev->vlan[1] = p->vlan[1];
	ev->worker = (uint16_t)w->id;
	ev->ts_us = p->ts_us;
	ev->capture_us = w->batch_capture_us;
	ev->alert = *alert;
	if (app)
		ev->app = *app;
	if (f)
		event_set_flow(w, ev, f);
	n = p->payload_len < EVENT_PAYLOAD_MAX ? p->payload_len : EVENT_PAYLOAD_MAX;
	if (alert->stream && w->det) {
		/* a stream match: the reassembled bytes it matched, as
		 * Suricata logs the stream for one (from the window's start:
		 * a match across the boundary sits there) */
		const uint8_t *sb;
		uint32_t sl;

		detect_alert_window(w->det, &sb, &sl);
		n = (uint16_t)(sl < EVENT_PAYLOAD_MAX ? sl : EVENT_PAYLOAD_MAX);
		if (n)
			memcpy(ev->payload, sb, n);
	} else if (p->payload_off && (uint32_t)p->payload_off + n <= p->caplen) {
		memcpy(ev->payload, p->data + p->payload_off, n);
	} else {
		n = 0;
	}
	ev->payload_len = n;
	spsc_ring_commit(&w->events);
	w->ctr.events++;
	w->ctr.alerts++;
	return 0;
}

/* Idle: spin a little, then nap from 20 us up to max_ns. */
static void idle_backoff(unsigned *idle, long *nap_ns, long max_ns)
{
	struct timespec ts = { 0, 0 };

	if (++*idle < 64) {
		cpu_relax();
		return;
	}
	*nap_ns = *nap_ns ? *nap_ns * 2 : 20000;
	if (*nap_ns > max_ns)
		*nap_ns = max_ns;
	ts.tv_nsec = *nap_ns;
	nanosleep(&ts, NULL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct batch *b;
	unsigned idle = 0;
	long nap_ns = 0;
	uint64_t t0;
	struct timespec cpu;

	for (;;) {
		/* one relaxed load unless a reload is waiting */
		worker_poll_detect(w);
		b = spsc_ring_pop_ptr(&w->in);
		if (!b) {
			if (__atomic_load_n(&w->in_done, __ATOMIC_ACQUIRE) &&
			    spsc_ring_count(&w->in) == 0)
				break;
			if (w->fwd && !w->fwd_ordered && fwd_pending(w))
				fwd_drain(w, 0, true);
			if (w->live)
				worker_housekeeping(w, clock_wall_us());
			/* back off from 20 us to 500 us: an idle sensor
			 * should not burn a core, and a batch ring holds
			 * far more than 500 us of traffic at rates where
			 * the worker would ever get to sleep that long */
			idle_backoff(&idle, &nap_ns, 500000);
			continue;
		}
		idle = 0;
		nap_ns = 0;
		t0 = clock_mono_ns();
		worker_process_batch(w, b);
		/* the free ring holds every batch of this worker: never full */
		spsc_ring_push_ptr(&w->free, b);
		worker_housekeeping(w, w->live ? clock_wall_us() : w->now_us);
		w->ctr.busy_ns += clock_mono_ns() - t0;
	}
	fwd_finish(w);
	worker_finish(w);
	__atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		w->ctr.cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
	return NULL;
}

void worker_set_source(struct worker *w, const struct capture_ops *ops, struct capture *cap,
		       unsigned queue)
{
	w->src_ops = ops;
	w->src = cap;
	w->src_queue = queue;
	w->src_linktype = (uint16_t)ops->linktype(cap);
}

/*
 * Poll mode (DPDK with a queue per worker): the worker reads its own queue
 * and runs the pipeline on the backend's buffers, no batch and no copy in
 * between. in_done asks it to stop. When the queue is empty it naps, but
 * at most 50 us: a NIC ring of 1024 descriptors holds some 70 us of
 * 64-byte frames at 10 Gbps, and a busy queue never lets it nap at all.
 */
void *worker_poll_main(void *arg)
{
	struct worker *w = arg;
	struct capture_pkt pk[WORKER_BURST];
	unsigned idle = 0;
	long nap_ns = 0;
	uint64_t t0;
	struct timespec cpu;
	int n;

	while (!__atomic_load_n(&w->in_done, __ATOMIC_ACQUIRE)) {
		worker_poll_detect(w);
		n = w->src_ops->rx_burst(w->src, w->src_queue, pk, WORKER_BURST);
		if (n <= 0) {
			if (n < 0) {
				/* the main thread stops the others; we take
				 * their datagrams until they are done */
				__atomic_store_n(&w->queue_failed, 1, __ATOMIC_RELEASE);
				break;
			}
			if (w->fwd && fwd_pending(w))
				fwd_drain(w, 0, true);
			worker_housekeeping(w, w->live ? clock_wall_us() : w->now_us);
			idle_backoff(&idle, &nap_ns, 50000);
			continue;
		}
		idle = 0;
		nap_ns = 0;
		t0 = clock_mono_ns();
		for (int i = 0; i < n; i++)
			process_packet(w, pk[i].data, pk[i].caplen, pk[i].wirelen,
				       pk[i].ts_us, w->src_linktype);
		w->ctr.batches++;
		worker_housekeeping(w, w->live ? clock_wall_us() : w->now_us);
		w->ctr.busy_ns += clock_mono_ns() - t0;
	}
	fwd_finish(w);
	worker_finish(w);
	__atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) == 0)
		w->ctr.cpu_ns = (uint64_t)cpu.tv_sec * 1000000000u + (uint64_t)cpu.tv_nsec;
	return NULL;
}

int worker_start(struct worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	if (rc != 0)
		return -rc;
	w->started = true;
	return 0;
}

void worker_join(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

void worker_collect(const struct worker *w, struct stats_snapshot *s)
{
	struct decode_stats ds;
	struct flow_stats fs;
	struct worker_counters wc;
	struct detect_thread_stats dt;

	STATS_COPY(&ds, &w->dstats);
	STATS_COPY(&fs, flow_table_stats(w->flows));
	STATS_COPY(&wc, &w->ctr);
	decode_stats_add(&s->decoder, &ds);
	flow_stats_add(&s->flow, &fs);
	s->detect.alert += wc.alerts;
	fwd_stats_add(&s->defrag_fwd, &wc.fwd);
	if (w->defrag) {
		struct defrag_stats dfs;

		STATS_COPY(&dfs, defrag_stats(w->defrag));
		defrag_stats_add(&s->defrag, &dfs);
	}
	if (w->al) {
		struct applayer_stats as;
		struct stream_stats ss;

		STATS_COPY(&as, applayer_stats(w->al));
		STATS_COPY(&ss, applayer_stream_stats(w->al));
		applayer_stats_add(&s->app, &as);
		stream_stats_add(&s->stream, &ss);
	}
	/* all zero without rules */
	STATS_COPY(&dt, &w->dtstats);
	s->detect.packets += dt.packets;
	s->detect.candidates += dt.candidates;
	s->detect.checked += dt.checked;
	s->detect.passed += dt.passed;
	s->detect.scan_errors += dt.scan_errors;
	s->detect.thresholded += dt.thresholded;
	s->detect.thresh_evicted += dt.thresh_evicted;
	s->detect.stream_bytes += dt.stream_bytes;
	s->detect.stream_alerts += dt.stream_alerts;
	s->output.ring_drops += wc.event_drops;
}
