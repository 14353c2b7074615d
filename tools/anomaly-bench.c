/*
 * anomaly-bench: what anomaly scoring costs, on one core.
 *
 *   anomaly-bench CAPTURE [SPOOFED_SOURCES]
 *
 * Reads CAPTURE into memory and decodes it once, then times (thread CPU
 * time, best of three passes over a fresh flow table):
 *   flow   decode + flow_packet() per packet, the worker's own work;
 *   hooks  the same plus the anomaly hooks (anomaly_packet() after each
 *          packet, anomaly_flow_end() at each flow end), the ring drained
 *          between batches outside the timed part;
 *   score  the scorer thread's cost per event (anomaly_feed()).
 * Then a spoofed-source SYN flood of SPOOFED_SOURCES (default 5,000,000)
 * one-packet sources against one victim at 1 Mpps with a scanner hidden in
 * it, through a scorer with the default 64 MiB cap: memory, evictions, and
 * whether the flood and the scanner are both reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mamori/anomaly.h"
#include "mamori/config.h"
#include "mamori/decode.h"
#include "mamori/eve.h"
#include "mamori/flow.h"

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "anomaly-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct pkt {
	uint64_t ts_us;
	uint32_t off, caplen, wirelen;
};

static uint8_t *data;
static struct pkt *pkts;
static size_t npkts;
static int linktype;

static void read_capture(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	size_t len = 0, cap = 0, ncap = 0;

	if (!pc)
		die("%s: %s", path, errbuf);
	linktype = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (len + h->caplen > cap) {
			cap = (cap + h->caplen) * 2;
			data = realloc(data, cap);
		}
		if (npkts == ncap) {
			ncap = ncap ? ncap * 2 : 65536;
			pkts = realloc(pkts, ncap * sizeof(*pkts));
		}
		if (!data || !pkts)
			die("out of memory");
		memcpy(data + len, d, h->caplen);
		pkts[npkts].ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		pkts[npkts].off = (uint32_t)len;
		pkts[npkts].caplen = h->caplen;
		pkts[npkts].wirelen = h->len;
		npkts++;
		len += h->caplen;
	}
	pcap_close(pc);
	if (!npkts)
		die("%s: no packets", path);
}

static struct anomaly_tap *cur_tap;

static void on_end(void *arg, struct flow *f, enum flow_end_reason why)
{
	(void)arg;
	(void)why;
	anomaly_flow_end(cur_tap, f);
}

/* One pass; returns CPU seconds of the timed part. */
static double pass(const struct mamori_config *rc, struct anomaly *a, bool hooks,
		   double *score_s, uint64_t *events)
{
	struct flow_config fc = rc->flow;
	struct decode_stats ds;
	struct packet p;
	struct flow_table *ft;
	struct anomaly_tap *t = hooks ? anomaly_tap(a, 0) : NULL;
	double spent = 0, t0, s0;
	uint64_t now = 0;

	fc.max_flows = 1u << 20;
	fc.hash_size = 1u << 20;
	fc.run_seed = 1;
	cur_tap = t;
	ft = flow_table_create(&fc, on_end, NULL);
	if (!ft)
		die("out of memory for the flow table");
	memset(&ds, 0, sizeof(ds));
	*score_s = 0;
	for (size_t i = 0; i < npkts;) {
		size_t end = i + 64 < npkts ? i + 64 : npkts;

		t0 = cpu_s();
		for (; i < end; i++) {
			enum flow_dir dir;
			struct flow *f;

			memset(&p, 0, sizeof(p));
			p.data = data + pkts[i].off;
			p.caplen = pkts[i].caplen;
			p.wirelen = pkts[i].wirelen;
			p.ts_us = pkts[i].ts_us;
			p.linktype = (uint16_t)linktype;
			if (decode_packet(&rc->decode, &p, &ds) < 0)
				continue;
			if (p.ts_us > now)
				now = p.ts_us;
			f = flow_packet(ft, &p, &dir);
			anomaly_packet(t, &p, f, dir);
		}
		flow_sweep(ft, now, 64);
		spent += cpu_s() - t0;
		if (t) {
			struct anomaly_ev *e;

			s0 = cpu_s();
			while ((e = spsc_ring_peek(&t->ring))) {
				anomaly_feed(a, e);
				spsc_ring_release(&t->ring);
				(*events)++;
			}
			*score_s += cpu_s() - s0;
			/* alerts: drop them, the output is not measured here */
			while (spsc_ring_peek(anomaly_out_ring(a)))
				spsc_ring_release(anomaly_out_ring(a));
		}
	}
	flow_table_destroy(ft);
	return spent;
}

static void flood(uint64_t nsrc)
{
	struct anomaly_config c;
	struct anomaly_stats st;
	struct anomaly *a;
	struct anomaly_ev e;
	char err[256];
	uint64_t rng = 0x9e3779b97f4a7c15ULL, t = 1700000000000000ULL, t_start = t;
	uint64_t flood_at = 0, scan_at = 0, wrong = 0;
	double t0, secs;

	anomaly_config_default(&c);
	a = anomaly_create(&c, 1, 1 << 16, true, err, sizeof(err));
	if (!a)
		die("%s", err);
	memset(&e, 0, sizeof(e));
	e.ip_ver = 4;
	e.proto = 6;
	e.n = 1;
	t0 = cpu_s();
	for (uint64_t i = 0; i < nsrc; i++) {
		struct event_record *ev;
		uint32_t v;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		v = (uint32_t)rng;
		memset(&e.src, 0, sizeof(e.src));
		memcpy(e.src.b, &v, 4);
		memset(&e.dst, 0, sizeof(e.dst));
		e.dst.b[0] = 10;
		e.dst.b[3] = 1;
		e.kind = AEV_SYN;
		e.dport = 80;
		e.ts_us = t;
		anomaly_feed(a, &e);
		if (i % 2000 == 0) {
			/* the scanner: one refused probe every 2 ms */
			memset(&e.src, 0, sizeof(e.src));
			e.src.b[0] = 203;
			e.src.b[3] = 66;
			e.dst.b[3] = 2;
			e.dport = (uint16_t)(1 + i / 2000);
			anomaly_feed(a, &e);
			e.kind = AEV_FAIL;
			anomaly_feed(a, &e);
		}
		t += 1;   /* 1 Mpps */
		while ((ev = spsc_ring_peek(anomaly_out_ring(a)))) {
			if (ev->anomaly.detector[0] == 's' && ev->anomaly.victim && !flood_at)
				flood_at = ev->ts_us;
			else if (!ev->anomaly.victim) {
				if (ev->src.b[0] == 203 && ev->src.b[3] == 66) {
					if (!scan_at)
						scan_at = ev->ts_us;
				} else {
					wrong++;
				}
			}
			spsc_ring_release(anomaly_out_ring(a));
		}
	}
	secs = cpu_s() - t0;
	anomaly_get_stats(a, &st);
	printf("anomaly spoofed flood: %" PRIu64 " sources at 1 Mpps: scorer %.0f ns/event, "
	       "memory %.1f MiB (cap %.0f MiB), %" PRIu64 " sources kept, %" PRIu64
	       " evicted, %" PRIu64 " refused; syn_flood after %.3f s, scanner after %.3f s, "
	       "%" PRIu64 " alerts naming a spoofed source\n",
	       nsrc, secs * 1e9 / (double)st.events, st.memory / 1048576.0,
	       c.memcap / 1048576.0, st.sources, st.evictions, st.rejected,
	       flood_at ? (flood_at - t_start) / 1e6 : -1.0,
	       scan_at ? (scan_at - t_start) / 1e6 : -1.0, wrong);
	anomaly_destroy(a);
}

int main(int argc, char **argv)
{
	struct config *cfg;
	struct mamori_config rc;
	struct config_error err;
	struct anomaly *a;
	char ebuf[256];
	double base = 1e9, with = 1e9, score = 1e9;
	uint64_t events = 0;

	if (argc < 2 || argc > 3)
		die("usage: anomaly-bench CAPTURE [SPOOFED_SOURCES]");
	cfg = config_new_default();
	if (!cfg || config_apply(cfg, &rc, &err) < 0)
		die("default configuration");
	read_capture(argv[1]);
	a = anomaly_create(&rc.anomaly, 1, 1 << 16, true, ebuf, sizeof(ebuf));
	if (!a)
		die("%s", ebuf);
	for (int r = 0; r < 3; r++) {
		double s, x, y;
		uint64_t ev = 0;

		x = pass(&rc, a, false, &s, &ev);
		y = pass(&rc, a, true, &s, &ev);
		if (x < base)
			base = x;
		if (y < with)
			with = y;
		if (s < score) {
			score = s;
			events = ev;
		}
	}
	printf("anomaly hooks: %zu packets: worker decode+flow %.1f ns/pkt, with hooks %.1f "
	       "ns/pkt: hooks %.1f ns/pkt (%.1f%% of the worker); %.2f events/100 pkts, "
	       "scorer %.0f ns/event (another thread)\n",
	       npkts, base * 1e9 / npkts, with * 1e9 / npkts, (with - base) * 1e9 / npkts,
	       100.0 * (with - base) / base, 100.0 * events / npkts,
	       events ? score * 1e9 / events : 0.0);
	anomaly_destroy(a);
	config_free(cfg);
	flood(argc == 3 ? strtoull(argv[2], NULL, 10) : 5000000);
	free(data);
	free(pkts);
	return 0;
}
