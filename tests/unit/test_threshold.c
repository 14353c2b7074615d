/*
 * test_threshold: threshold and detection_filter (src/detect/threshold.c).
 * Rules are parsed from strings; packets are struct packet fields with a
 * capture time, flows are struct flow with an id. Most tests drive
 * detect_thresh_allow() directly and compare the allow/deny answer of each
 * match in a sequence ("1" alert, "0" held back); one goes through
 * detect_packet() to check the engine hands its flow over. Covered: each
 * type (limit, threshold, both, detection_filter, backoff), each tracker
 * (by_src, by_dst, by_rule, by_both, by_flow, and by_flow without a flow),
 * window expiry, the backoff sequence, unique_on counting distinct ports,
 * and evictions from a full table and a full bitmap pool.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/detect.h"
#include "mamori/rule.h"

#define T0 1700000000000000ull  /* a capture time, microseconds */
#define R "alert tcp any any -> any any "

struct tenv {
	struct ruleset *rs;
	const struct rule *r;
	struct detect_thresh *x;
	struct detect_thread_stats st;
};

static void tenv_open(struct tenv *v, const char *rule)
{
	memset(v, 0, sizeof(*v));
	v->rs = ruleset_new(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->rs);
	ruleset_load_string(v->rs, rule, "t.rules");
	for (size_t i = 0; i < ruleset_error_count(v->rs); i++)
		fprintf(stderr, "%s\n", ruleset_error(v->rs, i)->message);
	CU_ASSERT_EQUAL_FATAL(ruleset_count(v->rs), 1);
	v->r = ruleset_rule(v->rs, 0);
	CU_ASSERT_TRUE(detect_thresh_supported(&v->r->threshold));
	CU_ASSERT_TRUE(detect_thresh_supported(&v->r->detection_filter));
	v->x = detect_thresh_new(v->r->detection_filter.unique_on != 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->x);
}

static void tenv_close(struct tenv *v)
{
	detect_thresh_free(v->x);
	ruleset_free(v->rs);
}

static void addr(const char *s, uint8_t *ver, union ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	*ver = strchr(s, ':') ? 6 : 4;
	CU_ASSERT_EQUAL(inet_pton(*ver == 6 ? AF_INET6 : AF_INET, s, a->b), 1);
}

/* One match: who, which ports, when (ms after T0), in which flow (0: none). */
struct ev {
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint32_t ms;
	uint32_t flow;
};

static void mkpkt(struct packet *p, const struct ev *e)
{
	memset(p, 0, sizeof(*p));
	addr(e->src, &p->ip_ver, &p->src);
	addr(e->dst, &p->ip_ver, &p->dst);
	p->proto = 6;
	p->sport = e->sport;
	p->dport = e->dport;
	p->ts_us = T0 + (uint64_t)e->ms * 1000;
}

/* The answer for each match, as a string of 1 (alert) and 0. */
static const char *seq(struct tenv *v, const struct ev *ev, size_t n)
{
	static char out[256];
	struct flow flows[8];

	memset(flows, 0, sizeof(flows));
	for (uint32_t i = 0; i < 8; i++)
		flows[i].flow_id = 1000 + i;
	CU_ASSERT_FATAL(n < sizeof(out));
	for (size_t i = 0; i < n; i++) {
		struct packet p;

		CU_ASSERT_FATAL(ev[i].flow < 8);
		mkpkt(&p, &ev[i]);
		out[i] = detect_thresh_allow(v->x, &v->st, v->r, &p,
					     ev[i].flow ? &flows[ev[i].flow] : NULL) ? '1' : '0';
	}
	out[n] = 0;
	return out;
}

#define NEV(a) (sizeof(a) / sizeof((a)[0]))
#define A "10.0.0.1"
#define B "10.0.0.2"
#define C "10.0.0.3"
#define EXPECT(got, want) do {                                          \
		const char *g_ = (got), *w_ = (want);                   \
		if (strcmp(g_, w_))                                     \
			fprintf(stderr, "\n  got %s want %s\n", g_, w_);  \
		CU_ASSERT_STRING_EQUAL(g_, w_);                         \
	} while (0)

/* ---- trackers ----------------------------------------------------------- */

/* The same six matches under each tracker, limit 1 per key: each tracker
 * splits them differently. */
static const struct ev track_ev[] = {
	{ A, 1, B, 80, 0, 1 },          /* flow 1 */
	{ B, 80, A, 1, 10, 1 },         /* its reply */
	{ A, 2, C, 80, 20, 2 },
	{ C, 3, B, 80, 30, 3 },
	{ A, 1, B, 80, 40, 1 },
	{ A, 5, B, 80, 50, 4 },         /* a new flow between A and B */
};

static void track_case(const char *track, const char *want)
{
	struct tenv v;
	char rule[256];

	snprintf(rule, sizeof(rule), R "(threshold:type limit, track %s, count 1, seconds 60; sid:1;)",
		 track);
	tenv_open(&v, rule);
	EXPECT(seq(&v, track_ev, NEV(track_ev)), want);
	tenv_close(&v);
}

static void test_trackers(void)
{
	track_case("by_src", "110100");
	track_case("by_dst", "111000");
	track_case("by_rule", "100000");
	track_case("by_both", "101100");       /* A-B either way, A-C, B-C */
	track_case("by_flow", "101101");       /* flows 1, 2, 3, 4 */
}

static void test_by_flow_no_flow(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { A, 1, B, 80, 1, 0 }, { A, 1, B, 80, 2, 1 },
		{ A, 1, B, 80, 3, 0 }, { A, 1, B, 80, 4, 1 },
	};

	/* no flow: held back (Suricata's answer); the flow's count is its own */
	tenv_open(&v, R "(threshold:type limit, track by_flow, count 1, seconds 60; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "00100");
	CU_ASSERT_EQUAL(v.st.thresholded, 4);
	tenv_close(&v);

	tenv_open(&v, R "(detection_filter:track by_flow, count 1, seconds 60; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "00001");
	tenv_close(&v);
}

/* ---- types -------------------------------------------------------------- */

static void test_limit_expiry(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { A, 1, B, 80, 1000, 0 }, { C, 1, B, 80, 1500, 0 },
		{ A, 1, B, 80, 2000, 0 }, { A, 1, B, 80, 9999, 0 },
		/* the window [0, 10 s) of A is over: a new one */
		{ A, 1, B, 80, 10000, 0 }, { A, 1, B, 80, 11000, 0 }, { A, 1, B, 80, 12000, 0 },
	};

	tenv_open(&v, R "(threshold:type limit, track by_src, count 2, seconds 10; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "11100110");
	CU_ASSERT_EQUAL(v.st.thresholded, 3);
	tenv_close(&v);
}

static void test_threshold_type(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { C, 1, B, 80, 100, 0 }, { A, 1, B, 80, 200, 0 },
		{ A, 1, C, 80, 300, 0 }, { A, 1, B, 80, 400, 0 }, { A, 1, B, 80, 500, 0 },
		{ A, 1, B, 80, 600, 0 },
		/* new window: the count starts again */
		{ A, 1, B, 80, 5000, 0 }, { A, 1, B, 80, 5100, 0 }, { A, 1, B, 80, 5200, 0 },
	};

	/* every third match per destination */
	tenv_open(&v, R "(threshold:type threshold, track by_dst, count 3, seconds 5; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "0010001001");
	tenv_close(&v);
}

static void test_both_type(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { C, 1, A, 80, 100, 0 }, { B, 1, C, 80, 200, 0 },
		{ A, 1, B, 80, 300, 0 }, { A, 1, B, 80, 3000, 0 }, { A, 1, B, 80, 3100, 0 },
	};

	/* once per window, at the second match, whoever sends it */
	tenv_open(&v, R "(threshold:type both, track by_rule, count 2, seconds 3; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "010001");
	tenv_close(&v);
}

static void test_detection_filter(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { A, 1, B, 80, 100, 0 }, { A, 1, B, 80, 200, 0 },
		{ A, 1, B, 80, 300, 0 }, { C, 1, B, 80, 300, 0 },
		{ A, 1, B, 80, 2000, 0 }, { A, 1, B, 80, 2100, 0 }, { A, 1, B, 80, 2200, 0 },
	};

	/* every match after the first two of a source pair in the window */
	tenv_open(&v, R "(detection_filter:track by_both, count 2, seconds 2; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "00110001");
	tenv_close(&v);
}

/* The matches of one flow that alert under backoff count c, multiplier m. */
static void backoff_case(uint32_t c, uint32_t m, uint32_t n, const char *want)
{
	struct tenv v;
	char rule[256], got[512] = "";
	struct flow f;
	size_t len = 0;
	uint64_t alerts = 0;

	memset(&f, 0, sizeof(f));
	f.flow_id = 77;
	snprintf(rule, sizeof(rule),
		 R "(threshold:type backoff, track by_flow, count %u, multiplier %u; sid:1;)", c, m);
	tenv_open(&v, rule);
	for (uint32_t i = 1; i <= n; i++) {
		struct packet p;
		struct ev e = { A, 1, B, 80, i * 10, 0 };

		mkpkt(&p, &e);
		if (detect_thresh_allow(v.x, &v.st, v.r, &p, &f) && ++alerts)
			len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%u", len ? "," : "", i);
	}
	EXPECT(got, want);
	CU_ASSERT_EQUAL(v.st.thresholded, n - alerts);
	tenv_close(&v);
}

static void test_backoff(void)
{
	/* the docs' sequences: count, count*m, count*m*m, ... */
	backoff_case(1, 2, 100, "1,2,4,8,16,32,64");
	backoff_case(3, 2, 100, "3,6,12,24,48,96");
	backoff_case(5, 5, 700, "5,25,125,625");
	backoff_case(1, 10, 1000, "1,10,100,1000");
}

static void test_backoff_flows(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 1 }, { A, 1, B, 80, 1, 2 }, { A, 1, B, 80, 2, 1 },
		{ A, 1, B, 80, 3, 0 }, { A, 1, B, 80, 4, 1 },
		/* ten minutes later: backoff has no window, flow 1 goes on */
		{ A, 1, B, 80, 600000, 1 }, { A, 1, B, 80, 600001, 2 },
		{ A, 1, B, 80, 600002, 1 }, { A, 1, B, 80, 600003, 1 },
		{ A, 1, B, 80, 600004, 1 }, { A, 1, B, 80, 600005, 1 },
	};

	/* flow 1 alerts at its matches 2, 4, 8; flow 2 at 2; no flow never */
	tenv_open(&v, R "(threshold:type backoff, track by_flow, count 2, multiplier 2; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "00100110001");
	tenv_close(&v);
}

static void test_backoff_long_flow(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 1 }, { A, 1, B, 80, 3000000, 1 },
		{ A, 1, B, 80, 6000000, 1 }, { A, 1, B, 80, 9000000, 1 },
		{ A, 1, B, 80, 12000000, 1 },
	};

	/* a match every 50 minutes keeps the sequence going for hours:
	 * matches 1, 2, 4 alert, not 3 or 5 */
	tenv_open(&v, R "(threshold:type backoff, track by_flow, count 1, multiplier 2; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "11010");
	tenv_close(&v);
}

/* ---- unique_on ---------------------------------------------------------- */

static void test_unique_dst_port(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 1, B, 80, 0, 0 }, { A, 1, B, 80, 10, 0 },     /* repeat: no count */
		{ A, 2, B, 81, 20, 0 }, { A, 3, B, 81, 30, 0 },
		{ C, 4, B, 82, 40, 0 },                             /* another source */
		{ A, 1, B, 0, 50, 0 },                              /* third distinct */
		{ A, 1, B, 80, 60, 0 },                             /* past count: alerts */
		{ A, 1, B, 65535, 70, 0 },
		/* new window: the ports seen before count again from zero */
		{ A, 1, B, 80, 60000, 0 }, { A, 1, B, 81, 60010, 0 }, { A, 1, B, 0, 60020, 0 },
	};

	tenv_open(&v, "alert tcp any any -> any any (detection_filter:track by_src, count 2, "
		  "seconds 60, unique_on dst_port; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "00000111001");
	tenv_close(&v);
}

static void test_unique_src_port(void)
{
	struct tenv v;
	static const struct ev ev[] = {
		{ A, 2000, B, 80, 0, 0 }, { A, 2000, B, 81, 10, 0 }, { C, 2001, B, 82, 20, 0 },
		{ A, 2000, B, 83, 30, 0 }, { A, 2001, C, 80, 40, 0 }, { C, 2002, B, 80, 50, 0 },
	};

	/* by_dst, distinct source ports: B sees 2000, 2001 (from C), 2002 */
	tenv_open(&v, "alert udp any any -> any any (detection_filter:track by_dst, count 2, "
		  "seconds 60, unique_on src_port; sid:1;)");
	EXPECT(seq(&v, ev, NEV(ev)), "000001");
	tenv_close(&v);
}

/* ---- full tables ---------------------------------------------------------- */

static void test_table_full(void)
{
	struct tenv v;
	struct packet p;
	struct ev e = { A, 1, B, 80, 0, 0 };
	unsigned alerts = 0;

	/* more live sources than the table holds: the entries of the windows
	 * ending first go and are counted; every new source still alerts */
	tenv_open(&v, R "(threshold:type limit, track by_src, count 1, seconds 60; sid:1;)");
	for (uint32_t i = 0; i < 80000; i++) {
		mkpkt(&p, &e);
		p.src.w[0] = htonl(0x0a000000u + i);
		p.ts_us = T0 + i;
		alerts += detect_thresh_allow(v.x, &v.st, v.r, &p, NULL);
	}
	CU_ASSERT_EQUAL(alerts, 80000);
	CU_ASSERT(v.st.thresh_evicted >= 80000 - 65536);
	CU_ASSERT(v.st.thresh_evicted <= 80000);
	tenv_close(&v);

	/* as many sources, but windows of 1 s at 1 ms apart: at most 1000
	 * live at once, so slots are reused and nothing live is evicted */
	tenv_open(&v, R "(threshold:type limit, track by_src, count 1, seconds 1; sid:1;)");
	alerts = 0;
	for (uint32_t i = 0; i < 80000; i++) {
		mkpkt(&p, &e);
		p.src.w[0] = htonl(0x0a000000u + i);
		p.ts_us = T0 + (uint64_t)i * 1000;
		alerts += detect_thresh_allow(v.x, &v.st, v.r, &p, NULL);
	}
	CU_ASSERT_EQUAL(alerts, 80000);
	CU_ASSERT_EQUAL(v.st.thresh_evicted, 0);
	tenv_close(&v);
}

static void test_portsets_full(void)
{
	struct tenv v;
	struct packet p;
	struct ev e = { A, 1, B, 1, 0, 0 };

	tenv_open(&v, "alert tcp any any -> any any (detection_filter:track by_src, count 1, "
		  "seconds 60, unique_on dst_port; sid:1;)");
	/* 300 sources with a live window each, one port: the pool holds 256
	 * port bitmaps, so the 44 windows ending first are closed, counted */
	for (uint32_t i = 0; i < 300; i++) {
		mkpkt(&p, &e);
		p.src.w[0] = htonl(0x0a000000u + i);
		p.ts_us = T0 + (uint64_t)i * 1000;
		CU_ASSERT_FALSE(detect_thresh_allow(v.x, &v.st, v.r, &p, NULL));
	}
	CU_ASSERT_EQUAL(v.st.thresh_evicted, 44);
	/* a source that kept its bitmap alerts at its second distinct port */
	mkpkt(&p, &e);
	p.src.w[0] = htonl(0x0a000000u + 299);
	p.dport = 2;
	p.ts_us = T0 + 400000;
	CU_ASSERT_TRUE(detect_thresh_allow(v.x, &v.st, v.r, &p, NULL));
	CU_ASSERT_EQUAL(v.st.thresh_evicted, 44);
	/* source 0 lost its window: port 2 starts a new one (and takes the
	 * bitmap of the next window to end) */
	p.src.w[0] = htonl(0x0a000000u);
	p.ts_us = T0 + 401000;
	CU_ASSERT_FALSE(detect_thresh_allow(v.x, &v.st, v.r, &p, NULL));
	CU_ASSERT_EQUAL(v.st.thresh_evicted, 45);
	p.dport = 3;
	CU_ASSERT_TRUE(detect_thresh_allow(v.x, &v.st, v.r, &p, NULL));
	tenv_close(&v);
}

/* ---- through the engine -------------------------------------------------- */

static void test_engine_flow(void)
{
	struct ruleset *rs = ruleset_new(NULL, NULL);
	struct detect_engine *e;
	struct detect_thread *t;
	struct flow f1, f2;
	struct packet p;
	uint8_t buf[64] = { 0 };
	char err[256] = "";
	unsigned n[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	CU_ASSERT_EQUAL(ruleset_load_string(rs, R "(threshold:type limit, track by_flow, count 1, "
					    "seconds 60; sid:1;)\n", "t.rules"), 0);
	e = detect_engine_build(rs, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	t = detect_thread_new(e, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(&f1, 0, sizeof(f1));
	memset(&f2, 0, sizeof(f2));
	f1.flow_id = 11;
	f2.flow_id = 12;
	mkpkt(&p, &(struct ev){ A, 1, B, 80, 0, 0 });
	p.data = buf;
	p.caplen = p.wirelen = 40;
	p.flags = PKT_IPV4 | PKT_TCP;
	p.l3_off = 0;
	p.l4_off = 20;
	p.payload_off = 40;
	n[0] = detect_packet(t, &p, &f1, FLOW_TOSERVER, NULL, NULL);
	n[1] = detect_packet(t, &p, &f1, FLOW_TOSERVER, NULL, NULL);
	n[2] = detect_packet(t, &p, &f2, FLOW_TOSERVER, NULL, NULL);
	n[3] = detect_packet(t, &p, NULL, FLOW_TOSERVER, NULL, NULL);
	CU_ASSERT_EQUAL(n[0], 1);
	CU_ASSERT_EQUAL(n[1], 0);
	CU_ASSERT_EQUAL(n[2], 1);
	CU_ASSERT_EQUAL(n[3], 0);
	CU_ASSERT_EQUAL(detect_thread_stats(t)->thresholded, 2);
	detect_thread_free(t);
	detect_engine_free(e);
	ruleset_free(rs);
}

static const struct test_case track_cases[] = {
	{ "each tracker", test_trackers },
	{ "by_flow without a flow", test_by_flow_no_flow },
	{ NULL, NULL }
};

static const struct test_case type_cases[] = {
	{ "limit and window expiry", test_limit_expiry },
	{ "threshold", test_threshold_type },
	{ "both", test_both_type },
	{ "detection_filter", test_detection_filter },
	{ "backoff sequences", test_backoff },
	{ "backoff per flow, no window", test_backoff_flows },
	{ "backoff on a long flow", test_backoff_long_flow },
	{ NULL, NULL }
};

static const struct test_case unique_cases[] = {
	{ "distinct dst ports", test_unique_dst_port },
	{ "distinct src ports", test_unique_src_port },
	{ NULL, NULL }
};

static const struct test_case full_cases[] = {
	{ "table full: evictions counted", test_table_full },
	{ "port bitmaps full: evictions counted", test_portsets_full },
	{ "engine hands its flow over", test_engine_flow },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "trackers", NULL, NULL, track_cases },
	{ "types", NULL, NULL, type_cases },
	{ "unique_on", NULL, NULL, unique_cases },
	{ "limits", NULL, NULL, full_cases },
	{ NULL, NULL, NULL, NULL }
};
