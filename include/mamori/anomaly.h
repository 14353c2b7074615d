/*
 * anomaly: behavioural detectors (scans, floods, brute force, DNS
 * tunnels) over per-source and per-victim features.
 *
 * Split in two halves so the packet path stays cheap:
 *
 *  - the worker side (`struct anomaly_tap`, one per worker) looks at each
 *    packet after flow tracking and, only for the few packets that matter
 *    (a flow's first packet, the responder's first answer, an ICMP error,
 *    a DNS query or NXDOMAIN, every 64th packet of a flow, a flow's end),
 *    writes one compact `struct anomaly_ev` into the tap's own SPSC ring;
 *  - one scorer thread (`struct anomaly`) owns every table: it drains the
 *    rings, keys events by source and by victim, keeps sketches and
 *    baselines, scores each detector, and hands alerts to the output
 *    thread through its own ring.
 *
 * So one source's flows may land on any worker and still meet in one
 * place, with no lock and no shared write; the reasoning and the
 * measurements are in doc/architecture.md.
 *
 * The sketches, baselines, TRW and the detector scoring are exposed for
 * the unit tests.
 */
#ifndef MAMORI_ANOMALY_H
#define MAMORI_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/decode.h"
#include "mamori/flow.h"
#include "mamori/ring.h"

/* ---- configuration (anomaly.* keys) ---------------------------------------- */

#define ANOMALY_MAX_ALLOW 64

struct anomaly_cidr {
	uint8_t ver, plen;
	union ip_addr net;
};

struct anomaly_config {
	bool enabled;                 /* anomaly.enabled */
	uint64_t memcap;              /* anomaly.memcap: all scorer tables */
	uint32_t ring_size;           /* anomaly.event-ring-size (per worker) */
	uint32_t deviations;          /* anomaly.deviations: k of mean + k*dev */
	uint32_t nallow;
	struct anomaly_cidr allow[ANOMALY_MAX_ALLOW]; /* anomaly.allowlist */

	bool scan;                    /* anomaly.scan.enabled */
	uint32_t scan_window;         /* s */
	uint32_t scan_slow_window;    /* s */
	uint32_t scan_min_ports;      /* distinct ports per host: vertical */
	uint32_t scan_min_hosts;      /* distinct hosts: horizontal */
	uint32_t scan_slow_min;       /* distinct targets over the slow window */
	uint32_t trw_benign;          /* % P(success | benign), theta0 */
	uint32_t trw_scanner;         /* % P(success | scanner), theta1 */
	uint32_t trw_detect;          /* % wanted detection probability */
	uint32_t trw_false;           /* per mille wanted false-alarm probability */

	bool syn_flood;               /* anomaly.syn-flood.enabled */
	uint32_t syn_flood_rate;      /* SYN/s floor per victim */
	bool udp_flood;
	uint32_t udp_flood_rate;      /* packets/s */
	bool icmp_flood;
	uint32_t icmp_flood_rate;     /* echo requests/s */

	bool brute_force;             /* anomaly.brute-force.enabled */
	uint32_t bf_min_sessions;
	uint32_t bf_window;           /* s */
	uint32_t bf_max_session;      /* s: longer sessions are not attempts */

	bool dns_tunnel;              /* anomaly.dns-tunnel.enabled */
	uint32_t dns_window;          /* s */
	uint32_t dns_min_names;       /* unique names under one domain */
	uint32_t dns_min_length;      /* mean query-name length */
	bool dga;                     /* anomaly.dga.enabled */
	uint32_t dga_min_nxdomain;    /* distinct NXDOMAIN domains */
};

void anomaly_config_default(struct anomaly_config *c);
/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.7": 0 or -1. */
int anomaly_parse_cidr(const char *s, struct anomaly_cidr *out);
bool anomaly_allowed(const struct anomaly_config *c, int ver, const union ip_addr *a);

/* ---- sketches (sketch.c) ---------------------------------------------------- */

/* HyperLogLog over 64-bit hashes with 2^HLL_P one-byte registers:
 * standard error 1.04 / sqrt(64) = 13%; merging is a register max. */
#define HLL_P 6
#define HLL_M (1u << HLL_P)

struct hll {
	uint8_t r[HLL_M];
};

void hll_clear(struct hll *h);
void hll_add(struct hll *h, uint64_t hash);
double hll_estimate(const struct hll *h);
void hll_merge(struct hll *dst, const struct hll *src);

/* Count-min: depth rows of width counters (width a power of two);
 * estimates never undercount, and overcount by at most e/width * total
 * with probability 1 - exp(-depth). Mergeable by addition. */
struct cms {
	uint32_t depth, width;
	uint32_t *c;
};

int cms_init(struct cms *s, uint32_t depth, uint32_t width);
void cms_free(struct cms *s);
uint32_t cms_add(struct cms *s, uint64_t hash, uint32_t n);  /* new estimate */
uint32_t cms_estimate(const struct cms *s, uint64_t hash);
int cms_merge(struct cms *dst, const struct cms *src);
void cms_halve(struct cms *s);   /* ageing: old counts fade */

uint64_t anomaly_hash(const void *p, size_t n, uint64_t seed);

/* ---- baselines (baseline.c) ------------------------------------------------- */

/* EWMA of the mean and of the mean absolute deviation of one feature. */
struct ewma {
	float mean, dev;
	uint32_t n;       /* samples so far (the first sets the mean) */
};

void ewma_update(struct ewma *e, float x, float alpha);
/* max(floor, mean + k * dev): a new feature starts at its floor. */
float ewma_threshold(const struct ewma *e, float floor, float k);

/* ---- Threshold Random Walk (trw.c) ------------------------------------------ */

/* Jung, Paxson, Berger, Balakrishnan 2004: a sequential likelihood-ratio
 * test over first-contact outcomes. */
struct trw_params {
	float step_ok, step_fail;     /* log LR added per success / failure */
	float upper, lower;           /* log eta1, log eta0 */
};

enum trw_decision { TRW_PENDING = 0, TRW_SCANNER, TRW_BENIGN };

/* theta0 = P(success | benign), theta1 = P(success | scanner), pd and pf
 * the wanted detection and false-alarm probabilities. -1 when the
 * hypotheses do not separate (theta1 >= theta0) or pd <= pf. */
int trw_init(struct trw_params *t, double theta0, double theta1, double pd, double pf);
/* Add one outcome to *llr; on TRW_BENIGN the walk restarts at 0. */
enum trw_decision trw_step(const struct trw_params *t, float *llr, bool success);

/* ---- DNS query reading (dnsq.c) --------------------------------------------- */

#define DNSQ_NAME_MAX 256

struct dnsq {
	char name[DNSQ_NAME_MAX];     /* lower case, dotted, no trailing dot */
	uint16_t name_len;
	uint16_t qtype;
	uint8_t labels, longest_label;
	bool response;
	uint8_t rcode;
	uint16_t sub_len;             /* length of the name left of its base domain */
	float sub_entropy;            /* bits per character of that part */
	uint64_t base_hash;           /* last two labels */
	uint64_t name_hash;
};

/* Read the first question of a DNS message (UDP payload). Bounded, no
 * compression pointers in the question (none are legal there). 0 or -1. */
int dnsq_parse(const uint8_t *msg, size_t len, struct dnsq *q);

/* ---- events: worker -> scorer ----------------------------------------------- */

enum anomaly_ev_kind {
	AEV_SYN = 1,       /* a TCP flow opened by a SYN (client -> server) */
	AEV_PROBE,         /* a TCP flow opened without SYN (FIN/NULL/XMAS/ACK) */
	AEV_UDP,           /* a UDP flow's first packet */
	AEV_ECHO,          /* an ICMP/ICMPv6 echo request flow */
	AEV_OTHER,         /* another IP protocol's first packet (dport = proto) */
	AEV_OK,            /* the responder answered: success for the client */
	AEV_FAIL,          /* RST or ICMP unreachable back: failure */
	AEV_NOREPLY,       /* flow ended, the responder never sent anything */
	AEV_SYNACK,        /* a flow opened by a SYN-ACK (reflection victim = dst) */
	AEV_VOLUME,        /* 64 more packets of one direction of a flow */
	AEV_BANNER,        /* login-protocol greeting from the server (a8 kind) */
	AEV_SESSION,       /* an established TCP session ended */
	AEV_DNS_Q,         /* a DNS query */
	AEV_DNS_NX,        /* a NXDOMAIN answer (src = the client) */
	AEV_KIND_MAX
};

/* Fields by kind: dport the server port (AEV_OTHER: protocol), proto;
 * AEV_VOLUME: n packets, bytes in x; AEV_SESSION: x duration ms, y bytes
 * to the server, n packets; AEV_DNS_*: a8 qtype class, n name length,
 * b8 entropy * 32, x/y base-domain and name hash (low 32 bits). */
struct anomaly_ev {
	uint64_t ts_us;
	union ip_addr src, dst;
	uint16_t dport;
	uint8_t kind, ip_ver;
	uint8_t proto, a8, b8, pad;
	uint16_t n;
	uint32_t x, y;
};

enum { DNSQ_CLASS_OTHER = 0, DNSQ_CLASS_TUNNEL = 1 };  /* TXT NULL CNAME MX ... */
enum { BANNER_SSH = 1, BANNER_FTP, BANNER_TELNET, BANNER_MAIL };

/* ---- detectors -------------------------------------------------------------- */

enum anomaly_detector {
	DET_SCAN_VERTICAL = 0,
	DET_SCAN_HORIZONTAL,
	DET_BRUTE_FORCE,
	DET_DNS_TUNNEL,
	DET_DGA,
	DET_SRC_MAX,                  /* above: keyed by source */
	DET_SYN_FLOOD = DET_SRC_MAX,
	DET_SYNACK_FLOOD,
	DET_UDP_FLOOD,
	DET_ICMP_FLOOD,
	DET_MAX                       /* DET_SRC_MAX..: keyed by victim */
};

const char *anomaly_detector_name(enum anomaly_detector d);

/* An episode: one alert when the score first reaches 1, an update each
 * time it doubles, over when it stays below ANOMALY_LOW for quiet_s. */
#define ANOMALY_LOW 0.5f
#define ANOMALY_QUIET_S 60

struct episode {
	float reported;               /* score last alerted; 0: no episode */
	uint32_t updates;
	uint64_t first_us, high_us;   /* start; last time score >= 1 */
};

enum episode_action { EP_NONE = 0, EP_ALERT, EP_UPDATE, EP_END };

enum episode_action episode_step(struct episode *e, float score, uint64_t now_us);

/* Scores (>= 1 alarms), pure functions of features, for the unit tests and
 * the scorer alike. */
struct scan_features {
	float targets, hosts, ports;  /* distinct (host,port), hosts, ports */
	uint32_t probes, ok;          /* in the window */
	float min_ports, min_hosts;   /* effective thresholds */
};
float score_scan_vertical(const struct scan_features *f);
float score_scan_horizontal(const struct scan_features *f);

struct flood_features {
	float rate;                   /* per second, this tick */
	float threshold;              /* ewma_threshold of the victim's rate */
	float ports;                  /* distinct destination ports (SYN) */
};
float score_syn_flood(const struct flood_features *f);
float score_rate(const struct flood_features *f);

float score_brute_force(float sessions, float min_sessions);

struct dns_features {
	float queries, names;         /* queries; unique names under the top domain */
	float mean_len;               /* mean query-name length */
	float long_share, tunnel_share, entropy_share;
	float nx, nx_domains;
	float min_names, min_length, min_nx;
};
float score_dns_tunnel(const struct dns_features *f);
float score_dga(const struct dns_features *f);

/* ---- runtime ---------------------------------------------------------------- */

struct anomaly_stats {
	uint64_t events;              /* events scored */
	uint64_t ring_drops;          /* events lost: a tap's ring was full */
	uint64_t alerts;              /* alerts and updates handed to output */
	uint64_t alert_drops;         /* lost: the output ring was full */
	uint64_t evictions;           /* table entries replaced (memcap) */
	uint64_t rejected;            /* new entries refused: table full of heavier ones */
	uint64_t sources, victims;    /* entries in use now */
	uint64_t memory;              /* bytes of scorer tables (<= memcap) */
	uint64_t ticks;
};

struct anomaly_tap {
	_Alignas(MAMORI_CACHELINE) struct spsc_ring ring;  /* struct anomaly_ev */
	bool live;                    /* full ring: drop (live) or wait (file) */
	uint64_t drops;               /* written by the worker only */
	uint64_t sent;
};

struct anomaly;

/* ntaps = workers. NULL with errbuf set on failure. */
struct anomaly *anomaly_create(const struct anomaly_config *cfg, unsigned ntaps,
			       uint32_t out_ring_size, bool live,
			       char *errbuf, size_t errlen);
struct anomaly_tap *anomaly_tap(struct anomaly *a, unsigned i);
/* The ring of struct event_record the output thread drains. */
struct spsc_ring *anomaly_out_ring(struct anomaly *a);
int anomaly_start(struct anomaly *a);
/* After the workers stopped: drain, score what is left, stop the thread. */
void anomaly_stop(struct anomaly *a);
void anomaly_destroy(struct anomaly *a);
void anomaly_get_stats(const struct anomaly *a, struct anomaly_stats *s);

/* Single-threaded use (tests, tools): score one event / run the tick. */
void anomaly_feed(struct anomaly *a, const struct anomaly_ev *ev);
void anomaly_tick(struct anomaly *a, uint64_t now_us);

/* The worker hooks: after flow_packet() and when a flow ends. Both are a
 * NULL test when anomaly scoring is off. */
void anomaly_packet_(struct anomaly_tap *t, const struct packet *p,
		     const struct flow *f, int dir);
void anomaly_flow_end_(struct anomaly_tap *t, const struct flow *f);

static inline void anomaly_packet(struct anomaly_tap *t, const struct packet *p,
				  const struct flow *f, int dir)
{
	if (!t)
		return;
	/* the common case, inline: the middle of a flow, no FIN, not DNS,
	 * not a 64th packet (tap.c's anomaly_packet_ says what counts) */
	if (f && !(p->flags & PKT_HAS_ICMP_INNER)) {
		uint64_t n = f->pkts[dir];

		if (n > 3 && (n & 63) && !(p->tcp_flags & TCP_FIN) &&
		    p->sport != 53 && p->dport != 53)
			return;
	}
	anomaly_packet_(t, p, f, dir);
}

static inline void anomaly_flow_end(struct anomaly_tap *t, const struct flow *f)
{
	if (t)
		anomaly_flow_end_(t, f);
}

#endif
