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
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* Flow end: a flow record for the output thread, when configured. */
static void on_flow_end(void *arg, const struct flow *f, enum flow_end_reason why)
{
	struct worker *w = arg;
	struct event_record *ev;
	const union ip_addr *cs, *sd;
	uint16_t cp, sp;

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

/* detect_packet's callback: the alert goes to the output thread. */
static void on_alert(void *arg, const struct packet *p, const struct flow *f,
		     const struct event_alert *a)
{
	worker_alert(arg, p, f, a);
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
	w->flows = flow_table_create(&fc, on_flow_end, w);
	if (!w->flows)
		return -ENOMEM;
	if (engine) {
		w->det = detect_thread_new(engine, &w->dtstats);
		if (!w->det) {
			err = -ENOMEM;
			goto fail;
		}
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
	struct detect_thread *nd;

	if (!__atomic_load_n(&w->det_next, __ATOMIC_RELAXED))
		return false;
	nd = __atomic_exchange_n(&w->det_next, NULL, __ATOMIC_ACQ_REL);
	if (!nd)
		return false;
	__atomic_store_n(&w->det_retired, w->det, __ATOMIC_RELEASE);
	w->det = nd;
	return true;
}

void worker_process_batch(struct worker *w, const struct batch *b)
{
	struct packet *p = &w->pkt;
	enum flow_dir dir;
	struct flow *f;

	w->batch_capture_us = b->capture_us;
	for (uint32_t i = 0; i < b->n; i++) {
		const struct pkt_desc *d = &b->d[i];

		if (i + 1 < b->n)
			__builtin_prefetch(b->data + b->d[i + 1].off);
		p->data = b->data + d->off;
		p->caplen = d->caplen;
		p->wirelen = d->wirelen;
		p->ts_us = d->ts_us;
		p->linktype = b->linktype;
		if (decode_packet(&w->dcfg, p, &w->dstats) < 0)
			continue;
		if (p->ts_us > w->now_us)
			w->now_us = p->ts_us;
		f = flow_packet(w->flows, p, &dir);
		if (w->det)
			detect_packet(w->det, p, f, dir, on_alert, w);
	}
	w->ctr.batches++;
}

void worker_housekeeping(struct worker *w, uint64_t now_us)
{
	flow_sweep(w->flows, now_us, SWEEP_BUDGET);
}

void worker_finish(struct worker *w)
{
	w->finishing = true;
	flow_table_flush(w->flows);
}

int worker_alert(struct worker *w, const struct packet *p, const struct flow *f,
		 const struct event_alert *alert)
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
	if (f)
		event_set_flow(w, ev, f);
	n = p->payload_len < EVENT_PAYLOAD_MAX ? p->payload_len : EVENT_PAYLOAD_MAX;
	if (p->payload_off && (uint32_t)p->payload_off + n <= p->caplen)
		memcpy(ev->payload, p->data + p->payload_off, n);
	else
		n = 0;
	ev->payload_len = n;
	spsc_ring_commit(&w->events);
	w->ctr.events++;
	w->ctr.alerts++;
	return 0;
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
			if (w->live)
				worker_housekeeping(w, clock_wall_us());
			if (++idle < 64) {
				cpu_relax();
			} else {
				/* back off from 20 us to 500 us: an idle sensor
				 * should not burn a core, and a batch ring holds
				 * far more than 500 us of traffic at rates where
				 * the worker would ever get to sleep that long */
				struct timespec ts = { 0, 0 };
				nap_ns = nap_ns ? nap_ns * 2 : 20000;
				if (nap_ns > 500000)
					nap_ns = 500000;
				ts.tv_nsec = nap_ns;
				nanosleep(&ts, NULL);
			}
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
	/* all zero without rules */
	STATS_COPY(&dt, &w->dtstats);
	s->detect.packets += dt.packets;
	s->detect.candidates += dt.candidates;
	s->detect.checked += dt.checked;
	s->detect.passed += dt.passed;
	s->detect.scan_errors += dt.scan_errors;
	s->detect.thresholded += dt.thresholded;
	s->detect.thresh_evicted += dt.thresh_evicted;
	s->output.ring_drops += wc.event_drops;
}
