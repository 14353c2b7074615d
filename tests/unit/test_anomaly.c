/*
 * test_anomaly: the sketches (error bounds, merging), the EWMA baseline,
 * Threshold Random Walk, the DNS question reader, episodes with
 * hysteresis, and each detector driven through anomaly_feed() with
 * synthetic events (no threads): what alerts, naming whom, and what must
 * stay quiet; plus bounded memory under a spoofed-source flood.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/anomaly.h"
#include "mamori/eve.h"

#define T0 1700000000000000ull

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- sketches ---- */

static void test_hll_error(void)
{
	static const unsigned ns[] = { 5, 50, 500, 5000, 50000 };

	for (unsigned k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		double sq = 0;
		for (unsigned trial = 0; trial < 40; trial++) {
			struct hll h;
			hll_clear(&h);
			for (unsigned i = 0; i < ns[k]; i++) {
				uint64_t v = (uint64_t)trial << 32 | i;
				hll_add(&h, anomaly_hash(&v, sizeof(v), 1));
				hll_add(&h, anomaly_hash(&v, sizeof(v), 1)); /* duplicates */
			}
			double e = (hll_estimate(&h) - ns[k]) / ns[k];
			sq += e * e;
		}
		double rmse = sqrt(sq / 40);
		/* theory: 1.04 / sqrt(64) = 13%; allow sampling slack */
		if (rmse > 0.2)
			fprintf(stderr, "n=%u rmse=%.3f\n", ns[k], rmse);
		CU_ASSERT(rmse <= 0.2);
	}
}

static void test_hll_merge(void)
{
	struct hll a, b, u;

	hll_clear(&a);
	hll_clear(&b);
	hll_clear(&u);
	for (uint64_t i = 0; i < 3000; i++) {
		uint64_t h = anomaly_hash(&i, sizeof(i), 7);
		if (i % 2)
			hll_add(&a, h);
		else
			hll_add(&b, h);
		hll_add(&u, h);
	}
	hll_merge(&a, &b);
	/* the merge is exactly the sketch of the union */
	CU_ASSERT(memcmp(a.r, u.r, sizeof(a.r)) == 0);
	CU_ASSERT(fabs(hll_estimate(&a) - 3000) < 3000 * 0.4);
	hll_clear(&b);
	CU_ASSERT(hll_estimate(&b) == 0);
}

static void test_cms_bounds(void)
{
	struct cms s, t;
	uint32_t truth[2000];
	uint64_t total = 0;
	unsigned over = 0;

	CU_ASSERT(cms_init(&s, 4, 1000) < 0);   /* not a power of two */
	CU_ASSERT_FATAL(cms_init(&s, 4, 1024) == 0);
	CU_ASSERT_FATAL(cms_init(&t, 4, 1024) == 0);
	for (unsigned i = 0; i < 2000; i++) {
		truth[i] = (uint32_t)(rnd() % 50) + (i < 10 ? 5000 : 0);
		cms_add(&s, anomaly_hash(&i, sizeof(i), 3), truth[i]);
		cms_add(&t, anomaly_hash(&i, sizeof(i), 3), 1);
		total += truth[i];
	}
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t e = cms_estimate(&s, anomaly_hash(&i, sizeof(i), 3));
		CU_ASSERT(e >= truth[i]);                  /* never under */
		if (e - truth[i] > 2.718 / 1024 * total)
			over++;
	}
	/* over by more than e/w * N with probability <= exp(-depth) = 1.8% */
	CU_ASSERT(over <= 2000 / 20);
	CU_ASSERT(cms_merge(&s, &t) == 0);
	unsigned k = 3;
	CU_ASSERT(cms_estimate(&s, anomaly_hash(&k, sizeof(k), 3)) >= truth[3] + 1);
	cms_halve(&s);
	CU_ASSERT(cms_estimate(&s, anomaly_hash(&k, sizeof(k), 3)) < truth[3] + 1);
	cms_free(&s);
	cms_free(&t);
}

/* ---- baseline, TRW ---- */

static void test_ewma(void)
{
	struct ewma e = { 0 };

	CU_ASSERT(ewma_threshold(&e, 100, 6) == 100);   /* new: the floor */
	for (int i = 0; i < 200; i++)
		ewma_update(&e, i % 2 ? 40 : 60, 0.1f);
	CU_ASSERT(fabsf(e.mean - 50) < 2);
	CU_ASSERT(fabsf(e.dev - 10) < 2);
	CU_ASSERT(fabsf(ewma_threshold(&e, 10, 6) - (e.mean + 6 * e.dev)) < 0.01f);
	CU_ASSERT(ewma_threshold(&e, 500, 6) == 500);   /* floor wins */
	for (int i = 0; i < 200; i++)
		ewma_update(&e, 50, 0.1f);
	CU_ASSERT(e.dev < 0.1f);
}

static void test_trw(void)
{
	struct trw_params t;
	float llr = 0;

	CU_ASSERT(trw_init(&t, 0.2, 0.8, 0.99, 0.01) < 0);
	CU_ASSERT(trw_init(&t, 0.8, 0.2, 0.01, 0.99) < 0);
	CU_ASSERT_FATAL(trw_init(&t, 0.8, 0.2, 0.99, 0.01) == 0);
	CU_ASSERT(fabsf(t.upper - logf(99)) < 1e-4f);
	/* three failures are not enough, the fourth decides */
	for (int i = 0; i < 3; i++)
		CU_ASSERT(trw_step(&t, &llr, false) == TRW_PENDING);
	CU_ASSERT(trw_step(&t, &llr, false) == TRW_SCANNER);
	/* a client whose attempts mostly succeed never walks up */
	llr = 0;
	int benign = 0;
	for (int i = 0; i < 1000; i++) {
		enum trw_decision d = trw_step(&t, &llr, i % 5 != 4);
		CU_ASSERT(d != TRW_SCANNER);
		benign += d == TRW_BENIGN;
	}
	CU_ASSERT(benign > 0);
	CU_ASSERT(llr > t.lower && llr < t.upper);
}

/* ---- DNS question reader ---- */

static size_t dns_msg(uint8_t *m, const char *name, uint16_t qtype, bool resp, uint8_t rcode)
{
	size_t o = 12;

	memset(m, 0, 12);
	m[0] = 0x12;
	m[2] = resp ? 0x81 : 0x01;
	m[3] = rcode;
	m[5] = 1;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		m[o++] = (uint8_t)l;
		memcpy(m + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	m[o++] = 0;
	m[o++] = (uint8_t)(qtype >> 8);
	m[o++] = (uint8_t)qtype;
	m[o++] = 0;
	m[o++] = 1;
	return o;
}

static void test_dnsq(void)
{
	uint8_t m[600];
	struct dnsq q, r;
	size_t n = dns_msg(m, "WWW.Example.COM", 16, false, 0);

	CU_ASSERT_FATAL(dnsq_parse(m, n, &q) == 0);
	CU_ASSERT_STRING_EQUAL(q.name, "www.example.com");
	CU_ASSERT(q.qtype == 16 && q.labels == 3 && !q.response);
	CU_ASSERT(q.sub_len == 3);
	n = dns_msg(m, "mail.example.com", 1, true, 3);
	CU_ASSERT_FATAL(dnsq_parse(m, n, &r) == 0);
	CU_ASSERT(r.response && r.rcode == 3);
	CU_ASSERT(r.base_hash == q.base_hash && r.name_hash != q.name_hash);
	/* random base32 data has high entropy, words do not */
	n = dns_msg(m, "mfzwizltoqqgc3tfmvzcaylonqqhi5dfom.t.example.org", 10, false, 0);
	CU_ASSERT_FATAL(dnsq_parse(m, n, &q) == 0);
	CU_ASSERT(q.sub_entropy > 3.5f);
	/* truncated, compression pointer, empty question section */
	CU_ASSERT(dnsq_parse(m, n - 3, &q) < 0);
	CU_ASSERT(dnsq_parse(m, 13, &q) < 0);
	m[12] = 0xc0;
	CU_ASSERT(dnsq_parse(m, n, &q) < 0);
	n = dns_msg(m, "a.b", 1, false, 0);
	m[5] = 0;
	CU_ASSERT(dnsq_parse(m, n, &q) < 0);
	/* a label running past the end */
	n = dns_msg(m, "abc.de", 1, false, 0);
	m[12] = 60;
	CU_ASSERT(dnsq_parse(m, n, &q) < 0);
}

static void test_cidr(void)
{
	struct anomaly_config c;
	union ip_addr a;

	anomaly_config_default(&c);
	CU_ASSERT(anomaly_parse_cidr("10.1.0.0/16", &c.allow[0]) == 0);
	CU_ASSERT(anomaly_parse_cidr("2001:db8::/32", &c.allow[1]) == 0);
	c.nallow = 2;
	CU_ASSERT(anomaly_parse_cidr("10.1.0.0/33", &c.allow[2]) < 0);
	CU_ASSERT(anomaly_parse_cidr("10.1.0.x", &c.allow[2]) < 0);
	CU_ASSERT(anomaly_parse_cidr("", &c.allow[2]) < 0);
	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, "10.1.200.3", a.b);
	CU_ASSERT(anomaly_allowed(&c, 4, &a));
	inet_pton(AF_INET, "10.2.0.1", a.b);
	CU_ASSERT(!anomaly_allowed(&c, 4, &a));
	inet_pton(AF_INET6, "2001:db8:1::5", a.b);
	CU_ASSERT(anomaly_allowed(&c, 6, &a));
}

/* ---- episodes, scores ---- */

static void test_episode(void)
{
	struct episode e = { 0 };
	uint64_t t = T0;

	CU_ASSERT(episode_step(&e, 0.9f, t) == EP_NONE);
	CU_ASSERT(episode_step(&e, 1.2f, t) == EP_ALERT);
	CU_ASSERT(episode_step(&e, 2.0f, t += 1000000) == EP_NONE);  /* < 2x */
	CU_ASSERT(episode_step(&e, 0.8f, t += 1000000) == EP_NONE);  /* hovering */
	CU_ASSERT(episode_step(&e, 1.1f, t += 1000000) == EP_NONE);  /* same episode */
	CU_ASSERT(episode_step(&e, 2.5f, t += 1000000) == EP_UPDATE);
	CU_ASSERT(e.updates == 1);
	CU_ASSERT(episode_step(&e, 0.1f, t += 10000000) == EP_NONE); /* not quiet long */
	CU_ASSERT(episode_step(&e, 0.1f, t += 60000000) == EP_END);
	CU_ASSERT(episode_step(&e, 1.0f, t += 1000000) == EP_ALERT);
}

static void test_scores(void)
{
	struct scan_features f = { .targets = 100, .hosts = 1, .probes = 100, .ok = 3,
				   .min_ports = 20, .min_hosts = 16 };
	CU_ASSERT(score_scan_vertical(&f) >= 4.9f);
	CU_ASSERT(score_scan_horizontal(&f) == 0);
	f.ok = 80;   /* answered: a busy client */
	CU_ASSERT(score_scan_vertical(&f) == 0);
	struct scan_features h = { .targets = 40, .hosts = 40, .probes = 40, .ok = 5,
				   .min_ports = 20, .min_hosts = 16 };
	CU_ASSERT(score_scan_horizontal(&h) >= 2.4f);
	CU_ASSERT(score_scan_vertical(&h) < 1);
	struct flood_features fl = { .rate = 1000, .threshold = 100, .ports = 1 };
	CU_ASSERT(score_syn_flood(&fl) >= 9.9f);
	fl.ports = 900;  /* a port scan of the victim, not a flood */
	CU_ASSERT(score_syn_flood(&fl) == 0);
	struct dns_features d = { .queries = 100, .names = 90, .mean_len = 60,
				  .min_names = 30, .min_length = 40, .min_nx = 20 };
	CU_ASSERT(score_dns_tunnel(&d) >= 1.4f);
	d.mean_len = 20;  /* many short names: a CDN, not a tunnel */
	CU_ASSERT(score_dns_tunnel(&d) < 1);
	d.nx = 60;
	d.nx_domains = 50;
	CU_ASSERT(score_dga(&d) >= 2.4f);
	d.nx = 10;
	CU_ASSERT(score_dga(&d) == 0);
}

/* ---- detectors through anomaly_feed ---- */

struct got {
	unsigned n[DET_MAX];
	char src[DET_MAX][64], dst[DET_MAX][64];
	uint64_t probes[DET_MAX];
	uint64_t ts[DET_MAX];
	unsigned others[DET_MAX];   /* alerts naming another source */
};

static void collect(struct anomaly *a, struct got *g)
{
	struct spsc_ring *r = anomaly_out_ring(a);
	struct event_record *ev;

	while ((ev = spsc_ring_peek(r))) {
		for (unsigned d = 0; d < DET_MAX; d++) {
			if (strcmp(ev->anomaly.detector, anomaly_detector_name(d)) != 0)
				continue;
			if (!g->n[d]++) {
				ip_addr_str(ev->ip_ver, &ev->src, g->src[d], sizeof(g->src[d]));
				ip_addr_str(ev->ip_ver, &ev->dst, g->dst[d], sizeof(g->dst[d]));
				g->probes[d] = ev->anomaly.probes;
				g->ts[d] = ev->ts_us;
			} else {
				char b[64];
				ip_addr_str(ev->ip_ver, &ev->src, b, sizeof(b));
				g->others[d] += d < DET_SRC_MAX && strcmp(b, g->src[d]) != 0;
			}
			CU_ASSERT_STRING_EQUAL(ev->alert.category, "Anomaly");
		}
		spsc_ring_release(r);
	}
}

static struct anomaly *mk(struct anomaly_config *c)
{
	char err[256];
	struct anomaly *a = anomaly_create(c, 1, 4096, false, err, sizeof(err));

	if (!a)
		fprintf(stderr, "%s\n", err);
	return a;
}

static union ip_addr ip4(const char *s)
{
	union ip_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, s, a.b);
	return a;
}

static union ip_addr ip4n(uint32_t v)
{
	union ip_addr a;

	memset(&a, 0, sizeof(a));
	v = htonl(v);
	memcpy(a.b, &v, 4);
	return a;
}

static void ev(struct anomaly *a, uint8_t kind, uint64_t ts, union ip_addr s, union ip_addr d,
	       uint8_t proto, uint16_t port)
{
	struct anomaly_ev e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.ts_us = ts;
	e.src = s;
	e.dst = d;
	e.ip_ver = 4;
	e.proto = proto;
	e.dport = port;
	e.n = 1;
	anomaly_feed(a, &e);
}

static void test_vertical_scan(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr atk = ip4("198.51.100.7"), vic = ip4("10.0.0.5");
	uint64_t t = T0;

	anomaly_config_default(&c);
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	for (uint16_t p = 1; p <= 200; p++) {
		ev(a, AEV_SYN, t, atk, vic, 6, p);
		ev(a, p % 50 == 0 ? AEV_OK : AEV_FAIL, t + 300, atk, vic, 6, p);
		t += 2000;
	}
	anomaly_tick(a, t + 2000000);
	collect(a, &g);
	CU_ASSERT(g.n[DET_SCAN_VERTICAL] >= 1);
	CU_ASSERT_STRING_EQUAL(g.src[DET_SCAN_VERTICAL], "198.51.100.7");
	CU_ASSERT(g.probes[DET_SCAN_VERTICAL] <= 32);
	/* one episode: escalations are updates, far fewer than probes */
	CU_ASSERT(g.n[DET_SCAN_VERTICAL] <= 10);
	CU_ASSERT(g.n[DET_SCAN_HORIZONTAL] == 0);
	CU_ASSERT(g.n[DET_SYN_FLOOD] == 0);   /* many ports: not a flood */
	anomaly_destroy(a);
}

/* A slow scan's last outcomes arrive when its windows have moved on: they
 * escalate the episode they fed, not another detector. */
static void test_late_outcomes(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr atk = ip4("198.51.100.8"), vic = ip4("10.0.0.6");
	uint64_t t = T0;

	anomaly_config_default(&c);
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	for (uint16_t p = 1; p <= 40; p++) {
		ev(a, AEV_SYN, t, atk, vic, 6, p);
		if (p <= 8)
			ev(a, AEV_FAIL, t + 100, atk, vic, 6, p);
		t += 20000000;   /* one probe per 20 s */
	}
	for (int k = 0; k < 20; k++)
		anomaly_tick(a, t += 60000000);
	/* one more probe, then the unanswered ones time out */
	ev(a, AEV_SYN, t, atk, vic, 6, 999);
	for (uint16_t p = 9; p <= 40; p++)
		ev(a, AEV_NOREPLY, t + 1000, atk, vic, 6, p);
	anomaly_tick(a, t + 2000000);
	collect(a, &g);
	CU_ASSERT(g.n[DET_SCAN_VERTICAL] >= 2);   /* the alert and an update */
	CU_ASSERT(g.n[DET_SCAN_HORIZONTAL] == 0);
	anomaly_destroy(a);
}

static void test_horizontal_sweep_and_benign(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr atk = ip4("198.51.100.9"), cli = ip4("10.0.0.77");
	uint64_t t = T0;

	anomaly_config_default(&c);
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	for (uint32_t h = 1; h <= 60; h++) {
		union ip_addr d = ip4n(0x0a010000 + h);
		ev(a, AEV_ECHO, t, atk, d, 1, 0);
		if (h % 10 == 0)
			ev(a, AEV_OK, t + 500, atk, d, 1, 1);
		t += 20000;
	}
	/* the unanswered pings time out */
	for (uint32_t h = 1; h <= 60; h++)
		if (h % 10)
			ev(a, AEV_NOREPLY, t + 30000000, atk, ip4n(0x0a010000 + h), 1, 1);
	/* a browser: 40 connections to 20 servers, all answered */
	for (uint32_t h = 1; h <= 40; h++) {
		union ip_addr d = ip4n(0xc0000200 + h % 20);
		ev(a, AEV_SYN, t, cli, d, 6, 443);
		ev(a, AEV_OK, t + 1000, cli, d, 6, 443);
		ev(a, AEV_SESSION, t + 2000, cli, d, 6, 443);
		t += 1000;
	}
	anomaly_tick(a, t + 40000000);
	collect(a, &g);
	CU_ASSERT(g.n[DET_SCAN_HORIZONTAL] >= 1);
	CU_ASSERT_STRING_EQUAL(g.src[DET_SCAN_HORIZONTAL], "198.51.100.9");
	CU_ASSERT(g.n[DET_SCAN_VERTICAL] == 0);
	CU_ASSERT(g.n[DET_BRUTE_FORCE] == 0);
	anomaly_destroy(a);
}

static void test_syn_flood_spoofed(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr vic = ip4("10.9.9.9"), scanner = ip4("203.0.113.66");
	struct anomaly_stats st;
	uint64_t t = T0 + 300000;

	anomaly_config_default(&c);
	c.memcap = 2u << 20;   /* small: the flood must overflow the tables */
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	/* 300k spoofed sources, one SYN each, 20k SYN/s; a scanner hides in it */
	for (uint32_t i = 0; i < 300000; i++) {
		ev(a, AEV_SYN, t, ip4n((uint32_t)rnd()), vic, 6, 80);
		if (i % 1000 == 0) {
			uint16_t p = (uint16_t)(1000 + i / 1000);
			ev(a, AEV_SYN, t, scanner, ip4("10.9.9.10"), 6, p);
			ev(a, AEV_FAIL, t + 10, scanner, ip4("10.9.9.10"), 6, p);
		}
		t += 50;
	}
	anomaly_tick(a, t + 1000000);
	collect(a, &g);
	anomaly_get_stats(a, &st);
	CU_ASSERT(g.n[DET_SYN_FLOOD] >= 1);
	CU_ASSERT_STRING_EQUAL(g.dst[DET_SYN_FLOOD], "10.9.9.9");
	/* detected within the first second of the flood */
	CU_ASSERT(g.ts[DET_SYN_FLOOD] - (T0 + 300000) <= 1000000);
	/* the heavy hitter is still caught, and no spoofed source is */
	CU_ASSERT(g.n[DET_SCAN_VERTICAL] >= 1);
	CU_ASSERT(g.others[DET_SCAN_VERTICAL] == 0);
	CU_ASSERT_STRING_EQUAL(g.src[DET_SCAN_VERTICAL], "203.0.113.66");
	CU_ASSERT(g.n[DET_SCAN_HORIZONTAL] == 0);
	CU_ASSERT(st.memory <= c.memcap);
	CU_ASSERT(st.evictions + st.rejected > 0);
	anomaly_destroy(a);
}

static void test_brute_force(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr atk = ip4("192.0.2.50"), srv = ip4("10.0.0.22"), cli = ip4("10.0.0.30");
	uint64_t t = T0;
	struct anomaly_ev e;

	anomaly_config_default(&c);
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	memset(&e, 0, sizeof(e));
	e.ip_ver = 4;
	e.proto = 6;
	for (int i = 0; i < 15; i++) {
		/* SSH on a non-standard port, known by its greeting */
		e.src = atk;
		e.dst = srv;
		e.dport = 2222;
		e.kind = AEV_BANNER;
		e.a8 = BANNER_SSH;
		e.ts_us = t;
		anomaly_feed(a, &e);
		e.kind = AEV_SESSION;
		e.x = 3000;   /* 3 s */
		e.y = 2000;
		e.ts_us = t + 3000000;
		anomaly_feed(a, &e);
		/* short sessions to a web port, no greeting: not logins */
		e.src = cli;
		e.dport = 8080;
		anomaly_feed(a, &e);
		t += 20000000;
	}
	anomaly_tick(a, t);
	collect(a, &g);
	CU_ASSERT(g.n[DET_BRUTE_FORCE] >= 1);
	CU_ASSERT_STRING_EQUAL(g.src[DET_BRUTE_FORCE], "192.0.2.50");
	CU_ASSERT_STRING_EQUAL(g.dst[DET_BRUTE_FORCE], "10.0.0.22");
	CU_ASSERT(g.n[DET_BRUTE_FORCE] <= 2);
	anomaly_destroy(a);
}

static void dns_ev(struct anomaly *a, uint8_t kind, uint64_t ts, union ip_addr cli,
		   const char *name, uint16_t qtype)
{
	uint8_t m[600];
	struct dnsq q;
	struct anomaly_ev e;
	size_t n = dns_msg(m, name, qtype, kind == AEV_DNS_NX, kind == AEV_DNS_NX ? 3 : 0);

	CU_ASSERT_FATAL(dnsq_parse(m, n, &q) == 0);
	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.ts_us = ts;
	e.src = cli;
	e.dst = ip4("10.0.0.53");
	e.ip_ver = 4;
	e.proto = 17;
	e.dport = 53;
	e.n = q.name_len;
	e.x = (uint32_t)q.base_hash;
	e.y = (uint32_t)q.name_hash;
	e.a8 = qtype == 16 || qtype == 10 || qtype == 5 || qtype == 15;
	e.b8 = (uint8_t)(q.sub_entropy * 32);
	anomaly_feed(a, &e);
}

static void test_dns_tunnel_and_dga(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr tun = ip4("10.0.0.101"), dga = ip4("10.0.0.102"), ok = ip4("10.0.0.103");
	uint64_t t = T0;
	char name[200];

	anomaly_config_default(&c);
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	for (int i = 0; i < 150; i++) {
		char lab[64];
		for (int k = 0; k < 50; k++)
			lab[k] = "abcdefghijklmnopqrstuvwxyz234567"[rnd() % 32];
		lab[50] = 0;
		snprintf(name, sizeof(name), "%s.t.pirate.example", lab);
		dns_ev(a, AEV_DNS_Q, t, tun, name, 10);
		/* DGA: random short domains, all NXDOMAIN */
		snprintf(name, sizeof(name), "%.12s.com", lab + 20);
		dns_ev(a, AEV_DNS_Q, t, dga, name, 1);
		dns_ev(a, AEV_DNS_NX, t + 100, dga, name, 1);
		/* ordinary browsing: popular names, some repeated */
		snprintf(name, sizeof(name), "www.site%d.example", i % 25);
		dns_ev(a, AEV_DNS_Q, t, ok, name, 1);
		t += 300000;
	}
	anomaly_tick(a, t);
	collect(a, &g);
	CU_ASSERT(g.n[DET_DNS_TUNNEL] >= 1);
	CU_ASSERT_STRING_EQUAL(g.src[DET_DNS_TUNNEL], "10.0.0.101");
	CU_ASSERT(g.n[DET_DGA] >= 1);
	CU_ASSERT_STRING_EQUAL(g.src[DET_DGA], "10.0.0.102");
	CU_ASSERT(g.n[DET_DNS_TUNNEL] + g.n[DET_DGA] <= 6);
	anomaly_destroy(a);
}

static void test_udp_icmp_flood_and_allowlist(void)
{
	struct anomaly_config c;
	struct anomaly *a;
	struct got g = { 0 };
	union ip_addr vic = ip4("10.7.0.1"), vic2 = ip4("10.7.0.2"), src = ip4("192.0.2.1");
	uint64_t t = T0;
	struct anomaly_ev e;

	anomaly_config_default(&c);
	CU_ASSERT(anomaly_parse_cidr("10.7.0.2/32", &c.allow[0]) == 0);
	c.nallow = 1;
	a = mk(&c);
	CU_ASSERT_FATAL(a != NULL);
	memset(&e, 0, sizeof(e));
	e.ip_ver = 4;
	e.kind = AEV_VOLUME;
	e.n = 64;
	for (int i = 0; i < 400; i++) {  /* 25600 pkts/s for 2 s */
		e.ts_us = t;
		e.src = src;
		e.dst = vic;
		e.proto = 17;
		anomaly_feed(a, &e);
		e.proto = 1;
		e.a8 = 8;
		e.dst = vic2;   /* allowlisted */
		anomaly_feed(a, &e);
		e.a8 = 0;
		t += 5000;
	}
	anomaly_tick(a, t);
	collect(a, &g);
	CU_ASSERT(g.n[DET_UDP_FLOOD] >= 1);
	CU_ASSERT_STRING_EQUAL(g.dst[DET_UDP_FLOOD], "10.7.0.1");
	CU_ASSERT(g.n[DET_ICMP_FLOOD] == 0);
	anomaly_destroy(a);
}

static const struct test_case sketch_cases[] = {
	{ "hll error", test_hll_error },
	{ "hll merge", test_hll_merge },
	{ "count-min bounds and merge", test_cms_bounds },
	{ NULL, NULL }
};

static const struct test_case model_cases[] = {
	{ "ewma baseline", test_ewma },
	{ "trw", test_trw },
	{ "dns question", test_dnsq },
	{ "cidr allowlist", test_cidr },
	{ "episode hysteresis", test_episode },
	{ "scores", test_scores },
	{ NULL, NULL }
};

static const struct test_case det_cases[] = {
	{ "vertical scan", test_vertical_scan },
	{ "late outcomes of a slow scan", test_late_outcomes },
	{ "horizontal sweep, benign client", test_horizontal_sweep_and_benign },
	{ "spoofed syn flood, bounded memory", test_syn_flood_spoofed },
	{ "brute force by banner", test_brute_force },
	{ "dns tunnel and dga", test_dns_tunnel_and_dga },
	{ "udp flood, allowlist", test_udp_icmp_flood_and_allowlist },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "sketch", NULL, NULL, sketch_cases },
	{ "model", NULL, NULL, model_cases },
	{ "detectors", NULL, NULL, det_cases },
	{ NULL, NULL, NULL, NULL }
};
