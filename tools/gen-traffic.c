/*
 * gen-traffic: a deterministic synthetic capture for tests and benchmarks.
 *
 * It writes a classic pcap file (microsecond timestamps, Ethernet) of TCP
 * flows (handshake, HTTP-, TLS- or raw request/response exchanges, FIN or
 * RST teardown) and DNS transactions, with valid IPv4 header and TCP/UDP
 * checksums, so that a checksum-validating sensor takes every packet. The
 * same options and seed give a byte-identical file: everything random comes
 * from one xoshiro256** stream seeded with --seed, consumed in one fixed
 * order, and nothing depends on the clock, the host or the byte order.
 *
 * Shape. Every unit of traffic is a "job" (one TCP flow, one DNS
 * transaction) run as a small state machine that emits one frame per step.
 * Up to --concurrency jobs are active at once; each step picks one of them
 * at random (big flows more often, so flows of all sizes last about as
 * long and the capture does not end in a lone elephant), so their frames
 * interleave the way a tap sees them. A finished job frees its slot for the
 * next one, whose kind is drawn in proportion to what is left of each kind.
 * A traffic kind is one entry of the table kinds[] (how many jobs, a cost
 * estimate, a start and a step function): adding one (a scan, a flood) is
 * those functions, their option and one table line.
 *
 * Realism. Handshakes carry MSS, window scale, SACK-permitted and (for
 * non-Windows clients) timestamps in the client OS's option order; the
 * server accepts timestamps only when the frame mix leaves room for them
 * (smallest frame >= 128 bytes), so the "64" mix keeps 64-byte frames with
 * 10 bytes of payload. Receivers ACK every second segment; a response's
 * first segment acks the request. Frames under 60 bytes are zero-padded as
 * on the wire. Clients sit in 10/8 and 192.168/16 (fd42::/16 for IPv6)
 * behind one router MAC; servers in public ranges with generated names
 * that DNS, Host: and SNI share.
 *
 * Volume. --size (frame bytes) or --packets (frames) is a budget shared by
 * the jobs: a TCP flow takes a random share of what is left when it starts
 * (most flows small, a few elephants), sizes its exchanges to fit, and gives
 * back or borrows the difference when it ends, so the total lands close to
 * the budget. --flows wins over the budget: every flow makes at least one
 * exchange.
 *
 * Speed. Frames are built in place in a large output buffer (no per-packet
 * copy or system call); payload bytes come from pools of random bytes and
 * text made once at startup. One gigabyte takes about a second.
 *
 * Ground truth. --plant overwrites bytes of a flow's client->server stream
 * at a given offset; segment boundaries avoid splitting a planted pattern
 * that fits in one segment, and --truth writes one JSON line per pattern
 * with the frame numbers that carry it.
 *
 * Standalone on purpose (libc only): it must not share a bug with the
 * sensor it tests.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROG "gen-traffic"

#define MAX_FRAME     9216u           /* largest frame we build (jumbo) */
#define MIN_FRAME     60u             /* Ethernet minimum without FCS */
#define MIN_SEG       6u              /* least payload of a data segment */
#define OUTBUF_SIZE   (8u << 20)
#define POOL_SIZE     (1u << 20)      /* power of two */
#define POOL_MASK     (POOL_SIZE - 1)
#define HDRBUF_SIZE   1536u           /* inline head of one message */
#define MAX_MIX       16
#define TLS_REC_MAX   16401u          /* 16384 + AEAD tag */
#define TLS_REC_SPAN  (TLS_REC_MAX + 5u)

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

/* ---- random numbers: xoshiro256**, seeded through splitmix64 ---------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return res;
}

/* uniform in [0, n); the bias of the multiply-shift is below 2^-32 */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static inline bool rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

static void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	while (n) {
		uint64_t v = rng_next(r);
		size_t k = n < 8 ? n : 8;

		for (size_t i = 0; i < k; i++, v >>= 8)
			*p++ = (uint8_t)v;
		n -= k;
	}
}

/* log-uniform-ish size in [lo, hi]: a random power of two, then uniform */
static uint32_t rng_logsize(struct rng *r, uint32_t lo, uint32_t hi)
{
	unsigned elo = 0, ehi = 0;
	uint32_t base, v;

	while ((2u << elo) <= lo)
		elo++;
	while ((2u << ehi) <= hi)
		ehi++;
	base = 1u << rng_range(r, elo, ehi);
	v = base + rng_below(r, base);
	return v < lo ? lo : v > hi ? hi : v;
}

/* ---- byte order and checksums -------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * One's-complement sum in native byte order (RFC 1071): the folded result,
 * stored back with memcpy, is right on either endianness. Data must start
 * at an even offset of the checksummed block; an odd tail counts as if
 * followed by a zero byte.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	uint32_t w;
	uint16_t h;

	while (n >= 16) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		sum += (uint64_t)a + b + c + d;
		p += 16;
		n -= 16;
	}
	while (n >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		n -= 2;
	}
	if (n) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffull) + (sum >> 32);
	sum = (sum & 0xffffffffull) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- options ------------------------------------------------------------ */

struct mix_entry {
	uint32_t size;
	uint32_t weight;
};

struct plant {
	const char *spec;        /* as given on the command line */
	uint8_t *bytes;
	uint32_t len;
	uint64_t flow;           /* index among TCP flows, 0-based */
	uint64_t offset;         /* in the client->server stream */
	unsigned order;          /* position on the command line */
	/* filled while generating */
	uint64_t frame_first, frame_last, ts_ns;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	uint16_t sport, dport;
	uint16_t vlan;
	const char *app;
};

struct opts {
	const char *out_path;
	const char *truth_path;
	uint64_t seed;
	uint64_t flows;
	uint64_t size;
	uint64_t packets;        /* 0: the budget is --size */
	struct mix_entry mix[MAX_MIX];
	unsigned nmix;
	uint32_t mix_total;
	const char *mix_spec;
	unsigned dns_per100;
	unsigned concurrency;
	uint64_t start_s;
	double rate;
	unsigned ipv6_pct;
	unsigned vlan_pct;
	struct plant *plants;
	unsigned nplants;
};

/* ---- hosts ------------------------------------------------------------ */

struct client {
	uint8_t v4[4];
	uint8_t v6[16];
	uint8_t mac[6];
	uint8_t ttl;             /* initial TTL of its OS: 64 or 128 */
	uint8_t os;              /* 0 linux, 1 windows, 2 macos */
	uint16_t vlan;
	uint16_t next_port;
};

struct server {
	uint8_t v4[4];
	uint8_t v6[16];
	uint8_t ttl;             /* as seen at the tap, after some hops */
	uint16_t mss;
	char name[64];
};

/* ---- a connection's addressing, shared by every kind ------------------ */

struct conn {
	bool v6;
	uint8_t proto;
	uint16_t vlan;           /* 0: untagged */
	const uint8_t *mac[2];   /* source MAC of each direction */
	uint8_t ip[2][16];       /* [0] client, [1] server */
	uint16_t port[2];
	uint8_t ttl[2];
	uint16_t ipid[2];
	uint32_t flowlabel[2];
};

/* ---- TCP flow state ----------------------------------------------------- */

enum app { APP_HTTP, APP_TLS, APP_RAW, APP_N };
static const char *const app_name[APP_N] = { "http", "tls", "raw" };

enum body { BODY_NONE, BODY_RANDOM, BODY_TEXT, BODY_TLS };

/* one direction's message: an inline head, then a generated body */
struct msg {
	uint64_t len;
	uint64_t off;            /* bytes sent */
	uint32_t hlen;
	uint8_t body;
	uint32_t seed;           /* pool offset of the body */
	uint8_t hdr[HDRBUF_SIZE];
};

enum tcp_state {
	T_SYN, T_SYNACK, T_ACK3, T_SEND, T_DACK, T_FIN1, T_FIN2, T_FIN3,
	T_RST,
};

struct tcpflow {
	uint64_t idx;            /* 0-based among TCP flows */
	enum app app;
	enum tcp_state state;
	uint8_t dir;             /* sender of the current message */
	uint8_t unacked;         /* segments the receiver has not acked */
	uint8_t os;              /* the client's: 0 linux, 1 windows, 2 macos */
	bool ts_offer;           /* the client's SYN offers timestamps */
	bool ts;                 /* timestamps negotiated */
	bool sack;
	uint8_t closer;          /* side that ends the flow */
	bool rst;
	uint8_t wscale[2];
	uint16_t mss[2];
	uint16_t win[2];         /* window field after the handshake */
	uint32_t isn[2], nxt[2];
	uint32_t tsbase[2], tslast[2];
	uint64_t sent[2];        /* stream bytes sent per direction */
	uint64_t need_c;         /* client bytes the plants need */
	uint32_t xchg;
	uint32_t plant_lo, plant_hi; /* this flow's plants in g->sorted */
	uint16_t host;           /* server index */
	uint32_t resp_hint;      /* response size decided with the request */
	uint16_t http_status;
	struct msg m;
};

struct dnsjob {
	uint8_t step;
	uint16_t id;
	uint16_t qtype;
	bool edns;
	uint8_t rcode;
	uint16_t host;
	uint32_t qlen;
	uint8_t q[300];          /* the query message */
};

struct gen;
struct job;

struct traffic_kind {
	const char *name;
	/* how many jobs of this kind the options ask for */
	uint64_t (*count)(const struct opts *o);
	/* budget cost of one job, reserved up front; 0: shares what is left */
	uint64_t (*est_cost)(const struct gen *g);
	void (*start)(struct gen *g, struct job *j);
	/* emit one frame; true when the job is over */
	bool (*step)(struct gen *g, struct job *j);
};

struct job {
	const struct traffic_kind *kind;
	int64_t alloc;           /* budget share, cost units */
	int64_t used;
	uint32_t weight;         /* 1..64: how often the scheduler picks it */
	struct conn c;
	union {
		struct tcpflow tcp;
		struct dnsjob dns;
	} u;
};

struct gen {
	const struct opts *o;
	struct rng r;

	/* output */
	int fd;
	uint8_t *buf;
	size_t blen;
	uint64_t file_bytes;

	/* current frame being built */
	uint8_t *fr;             /* start of the frame (after the record header) */
	uint8_t *l3, *l4;
	struct job *cur;

	uint64_t frames, wire_bytes;
	uint64_t t0_ps, now_ps, iv_ps;

	/* budget, in frame bytes or frames */
	bool cost_frames;
	int64_t unallocated;
	int64_t mean_alloc;      /* of a TCP flow, at the start */
	double payload_per_cost; /* estimate, for sizing exchanges */

	uint64_t tcp_started, app_count[APP_N], dns_started;

	struct client *clients;
	uint32_t nclients;
	struct server *servers;
	uint32_t nservers;

	uint8_t *rand_pool;
	uint8_t *text_pool;

	struct plant **sorted;   /* plants by (flow, offset) */
};

static const uint8_t router_mac[6] = { 0x00, 0x00, 0x0c, 0x9f, 0xf0, 0x01 };

/* --attack (below): probes due before a background frame go first */
static unsigned nattacks;
static void atk_pump(struct gen *g, uint64_t now_ps);
static void parse_attack(const char *arg);

/* ---- output -------------------------------------------------------------- */

static void out_flush(struct gen *g)
{
	size_t off = 0;

	while (off < g->blen) {
		ssize_t n = write(g->fd, g->buf + off, g->blen - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write %s: %s", g->o->out_path, strerror(errno));
		}
		off += (size_t)n;
	}
	g->file_bytes += g->blen;
	g->blen = 0;
}

static void out_open(struct gen *g)
{
	uint8_t *h;

	if (strcmp(g->o->out_path, "-") == 0) {
		g->fd = STDOUT_FILENO;
	} else {
		g->fd = open(g->o->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (g->fd < 0)
			die("cannot create %s: %s", g->o->out_path, strerror(errno));
	}
	g->buf = malloc(OUTBUF_SIZE);
	if (!g->buf)
		die("out of memory");
	/* pcap global header, little-endian, microseconds, DLT_EN10MB */
	h = g->buf;
	le32(h, 0xa1b2c3d4);
	le16(h + 4, 2);
	le16(h + 6, 4);
	le32(h + 8, 0);
	le32(h + 12, 0);
	le32(h + 16, 65535);
	le32(h + 20, 1);
	g->blen = 24;
}

static void out_close(struct gen *g)
{
	out_flush(g);
	if (g->fd != STDOUT_FILENO && close(g->fd) < 0)
		die("close %s: %s", g->o->out_path, strerror(errno));
	free(g->buf);
}

/* ---- frame building -------------------------------------------------- */

static inline unsigned l2_len(const struct conn *c)
{
	return c->vlan ? 18 : 14;
}

static inline unsigned l3_len(const struct conn *c)
{
	return c->v6 ? 40 : 20;
}

/*
 * Start a frame of job j in direction dir with an L4 part of l4len bytes
 * (header + payload). Writes the L2 and L3 headers; returns the L4 start,
 * which the caller fills before frame_end().
 */
static uint8_t *frame_begin(struct gen *g, struct job *j, int dir, unsigned l4len)
{
	struct conn *c = &j->c;
	unsigned flen = l2_len(c) + l3_len(c) + l4len;
	uint8_t *p;

	if (flen > MAX_FRAME)
		die("internal error: frame of %u bytes", flen);
	if (nattacks)
		atk_pump(g, g->now_ps);
	if (g->blen + 16 + MAX_FRAME > OUTBUF_SIZE)
		out_flush(g);
	g->cur = j;
	g->fr = p = g->buf + g->blen + 16;
	memcpy(p, c->mac[!dir], 6);
	memcpy(p + 6, c->mac[dir], 6);
	p += 12;
	if (c->vlan) {
		put16(p, 0x8100);
		put16(p + 2, c->vlan & 0x0fff);
		p += 4;
	}
	put16(p, c->v6 ? 0x86dd : 0x0800);
	p += 2;
	g->l3 = p;
	if (c->v6) {
		put32(p, 0x60000000u | (c->flowlabel[dir] & 0xfffff));
		put16(p + 4, (uint16_t)l4len);
		p[6] = c->proto;
		p[7] = c->ttl[dir];
		memcpy(p + 8, c->ip[dir], 16);
		memcpy(p + 24, c->ip[!dir], 16);
		p += 40;
	} else {
		uint16_t sum;

		p[0] = 0x45;
		p[1] = 0;
		put16(p + 2, (uint16_t)(20 + l4len));
		put16(p + 4, c->ipid[dir]++);
		put16(p + 6, 0x4000); /* DF */
		p[8] = c->ttl[dir];
		p[9] = c->proto;
		p[10] = p[11] = 0;
		memcpy(p + 12, c->ip[dir], 4);
		memcpy(p + 16, c->ip[!dir], 4);
		sum = csum_fold(csum_add(0, p, 20));
		memcpy(p + 10, &sum, 2);
		p += 20;
	}
	g->l4 = p;
	return p;
}

/* Finish the frame whose L4 part (of l4len bytes) is filled: the L4
 * checksum at csum_off, padding, the pcap record header, accounting. */
static void frame_end(struct gen *g, int dir, unsigned l4len, unsigned csum_off)
{
	struct job *j = g->cur;
	struct conn *c = &j->c;
	unsigned flen = (unsigned)(g->l4 - g->fr) + l4len;
	uint8_t pseudo[40];
	uint64_t sum;
	uint16_t ck;
	uint8_t *rec = g->fr - 16;
	uint64_t us;

	if (c->v6) {
		memcpy(pseudo, c->ip[dir], 16);
		memcpy(pseudo + 16, c->ip[!dir], 16);
		put32(pseudo + 32, l4len);
		put32(pseudo + 36, c->proto);
		sum = csum_add(0, pseudo, 40);
	} else {
		memcpy(pseudo, c->ip[dir], 4);
		memcpy(pseudo + 4, c->ip[!dir], 4);
		pseudo[8] = 0;
		pseudo[9] = c->proto;
		put16(pseudo + 10, (uint16_t)l4len);
		sum = csum_add(0, pseudo, 12);
	}
	g->l4[csum_off] = g->l4[csum_off + 1] = 0;
	ck = csum_fold(csum_add(sum, g->l4, l4len));
	if (c->proto == 17 && ck == 0)
		ck = 0xffff;
	memcpy(g->l4 + csum_off, &ck, 2);

	if (flen < MIN_FRAME) {
		memset(g->fr + flen, 0, MIN_FRAME - flen);
		flen = MIN_FRAME;
	}
	us = g->now_ps / 1000000u;
	le32(rec, (uint32_t)(g->o->start_s + us / 1000000u));
	le32(rec + 4, (uint32_t)(us % 1000000u));
	le32(rec + 8, flen);
	le32(rec + 12, flen);
	g->blen += 16 + flen;

	g->frames++;
	g->wire_bytes += flen;
	j->used += g->cost_frames ? 1 : (int64_t)flen;
	/* next timestamp: the mean spacing of --rate, jittered by +-50% */
	g->now_ps += g->iv_ps / 2 + (rng_next(&g->r) % (g->iv_ps + 1));
}

static uint64_t frame_ts_ns(const struct gen *g)
{
	return g->o->start_s * 1000000000ull + g->now_ps / 1000u;
}

/* ---- message bodies ------------------------------------------------------ */

static void msg_fill(const struct gen *g, const struct msg *m, uint64_t off,
		     uint8_t *dst, size_t n)
{
	uint64_t boff;

	if (off < m->hlen) {
		size_t k = m->hlen - off < n ? (size_t)(m->hlen - off) : n;

		memcpy(dst, m->hdr + off, k);
		dst += k;
		off += k;
		n -= k;
	}
	if (!n)
		return;
	boff = off - m->hlen;
	switch (m->body) {
	case BODY_TEXT:
		memcpy(dst, g->text_pool + ((m->seed + boff) & POOL_MASK), n);
		break;
	case BODY_TLS: {
		/* records of TLS_REC_MAX content, each behind a 5-byte header */
		uint64_t blen = m->len - m->hlen;

		while (n) {
			uint64_t rec = boff / TLS_REC_SPAN, in = boff % TLS_REC_SPAN;

			if (in < 5) {
				uint64_t left = blen - rec * TLS_REC_SPAN - 5;
				uint8_t h[5] = { 0x17, 0x03, 0x03, 0, 0 };

				if (left > TLS_REC_MAX)
					left = TLS_REC_MAX;
				put16(h + 3, (uint16_t)left);
				*dst++ = h[in];
				boff++;
				n--;
			} else {
				size_t k = TLS_REC_SPAN - in < n ? (size_t)(TLS_REC_SPAN - in) : n;

				memcpy(dst, g->rand_pool + ((m->seed + boff) & POOL_MASK), k);
				dst += k;
				boff += k;
				n -= k;
			}
		}
		break;
	}
	default:
		memcpy(dst, g->rand_pool + ((m->seed + boff) & POOL_MASK), n);
		break;
	}
}

/* a TLS application-data body of about n bytes whose last record is not
 * empty */
static uint64_t tls_body_len(uint64_t n)
{
	uint64_t rem;

	if (n < 6 + 17)
		n = 6 + 17;
	rem = n % TLS_REC_SPAN;
	if (rem && rem <= 5)
		n += 6 - rem;
	return n;
}

/* ---- name and address pools -------------------------------------------- */

static const char *const words[] = {
	"north", "blue", "river", "cloud", "pixel", "orbit", "maple", "delta",
	"quantum", "harbor", "silver", "fox", "stone", "bright", "nova", "lumen",
	"cedar", "swift", "atlas", "echo", "ember", "frost", "giga", "hyper",
	"iron", "jade", "kite", "lotus", "metro", "nimbus", "ocean", "prime",
	"radar", "sonic", "terra", "ultra", "vector", "willow", "zen", "beacon",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const host_prefix[] = {
	"www", "api", "cdn", "static", "img", "login", "mail", "update",
	"assets", "m", "app", "auth", "edge", "media", "files", "ws", "data",
	"shop", "news", "portal",
};
static const char *const tlds[] = {
	"com", "net", "org", "io", "de", "jp", "co.uk", "fr", "info", "app",
};

static const uint8_t server_v4_prefix[][2] = {
	{ 23, 45 }, { 34, 102 }, { 52, 84 }, { 104, 16 }, { 142, 250 },
	{ 151, 101 }, { 172, 217 }, { 185, 199 }, { 93, 184 }, { 45, 60 },
	{ 66, 102 }, { 91, 198 }, { 140, 82 }, { 157, 240 }, { 199, 232 },
	{ 13, 107 }, { 20, 190 }, { 31, 13 }, { 216, 58 }, { 64, 233 },
};
static const uint8_t server_v6_prefix[][6] = {
	{ 0x2a, 0x00, 0x14, 0x50, 0x40, 0x01 },
	{ 0x26, 0x06, 0x47, 0x00, 0x00, 0x10 },
	{ 0x26, 0x20, 0x01, 0xec, 0x00, 0x0c },
	{ 0x2a, 0x03, 0x28, 0x80, 0xf0, 0x3f },
	{ 0x20, 0x01, 0x48, 0x60, 0x48, 0x02 },
	{ 0x2a, 0x04, 0x4e, 0x42, 0x00, 0x02 },
};
static const uint8_t client_oui[][3] = {
	{ 0x00, 0x1b, 0x21 }, { 0x3c, 0x22, 0xfb }, { 0xf4, 0x8c, 0x50 },
	{ 0xdc, 0xa6, 0x32 }, { 0x00, 0x50, 0x56 }, { 0xa4, 0x83, 0xe7 },
	{ 0x8c, 0x85, 0x90 }, { 0x70, 0x85, 0xc2 },
};

struct resolver {
	uint8_t v4[4];
	uint8_t v6[16];
	uint8_t ttl;
};
static const struct resolver resolvers[] = {
	{ { 192, 168, 1, 1 }, { 0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 }, 64 },
	{ { 10, 0, 0, 2 }, { 0xfd, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 }, 64 },
	{ { 8, 8, 8, 8 }, { 0x20, 0x01, 0x48, 0x60, 0x48, 0x60, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x88 }, 117 },
	{ { 1, 1, 1, 1 }, { 0x26, 0x06, 0x47, 0x00, 0x47, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11 }, 57 },
	{ { 9, 9, 9, 9 }, { 0x26, 0x20, 0x00, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe }, 53 },
};
#define NRESOLVERS (sizeof(resolvers) / sizeof(resolvers[0]))

/*
 * A random element. Never use two random draws in one expression or
 * argument list: C leaves their order open, and gcc and clang differ, which
 * would make the output depend on the compiler.
 */
#define PICK(r, arr) ((arr)[rng_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

static const char *word(struct rng *r)
{
	return words[rng_below(r, NWORDS)];
}

static void make_hosts(struct gen *g)
{
	struct rng *r = &g->r;
	uint64_t n;

	n = g->o->flows / 4;
	g->nclients = (uint32_t)(n < 8 ? 8 : n > 65536 ? 65536 : n);
	n = g->o->flows / 10;
	g->nservers = (uint32_t)(n < 4 ? 4 : n > 8192 ? 8192 : n);
	g->clients = xcalloc(g->nclients, sizeof(*g->clients));
	g->servers = xcalloc(g->nservers, sizeof(*g->servers));

	for (uint32_t i = 0; i < g->nclients; i++) {
		struct client *c = &g->clients[i];
		unsigned subnet;

		if (rng_pct(r, 70)) {
			subnet = rng_range(r, 1, 40);
			c->v4[0] = 10;
			c->v4[1] = (uint8_t)subnet;
			c->v4[2] = (uint8_t)rng_below(r, 256);
			c->v4[3] = (uint8_t)rng_range(r, 2, 254);
		} else {
			subnet = 100 + rng_below(r, 10);
			c->v4[0] = 192;
			c->v4[1] = 168;
			c->v4[2] = (uint8_t)(subnet - 100);
			c->v4[3] = (uint8_t)rng_range(r, 2, 254);
		}
		c->vlan = (uint16_t)(100 + subnet);
		c->v6[0] = 0xfd;
		c->v6[1] = 0x42;
		c->v6[6] = (uint8_t)(subnet >> 8);
		c->v6[7] = (uint8_t)subnet;
		rng_bytes(r, c->v6 + 8, 8);
		memcpy(c->mac, PICK(r, client_oui), 3);
		rng_bytes(r, c->mac + 3, 3);
		c->os = (uint8_t)rng_below(r, 3);
		c->ttl = c->os == 1 ? 128 : 64;
		c->next_port = (uint16_t)rng_range(r, 32768, 60999);
	}
	for (uint32_t i = 0; i < g->nservers; i++) {
		struct server *s = &g->servers[i];
		const uint8_t *p4 = PICK(r, server_v4_prefix);
		const uint8_t *p6 = PICK(r, server_v6_prefix);
		static const uint8_t init_ttl[] = { 64, 64, 128, 255 };
		static const uint16_t mss[] = { 1460, 1460, 1460, 1400, 1380, 1440 };

		s->v4[0] = p4[0];
		s->v4[1] = p4[1];
		s->v4[2] = (uint8_t)rng_below(r, 256);
		s->v4[3] = (uint8_t)rng_range(r, 1, 254);
		memcpy(s->v6, p6, 6);
		rng_bytes(r, s->v6 + 6, 10);
		const char *pre, *w1, *w2, *tld;
		uint8_t ttl0 = PICK(r, init_ttl);

		s->ttl = (uint8_t)(ttl0 - rng_range(r, 6, 22));
		s->mss = PICK(r, mss);
		pre = PICK(r, host_prefix);
		w1 = word(r);
		w2 = word(r);
		tld = PICK(r, tlds);
		snprintf(s->name, sizeof(s->name), "%s.%s%s.%s", pre, w1, w2, tld);
	}
}

static void make_pools(struct gen *g)
{
	size_t n = POOL_SIZE + MAX_FRAME, i = 0;

	g->rand_pool = xcalloc(1, n);
	g->text_pool = xcalloc(1, n);
	rng_bytes(&g->r, g->rand_pool, n);
	/* HTML-ish text: tags, words, line breaks */
	while (i < n) {
		char tmp[96];
		int k;
		unsigned what = rng_below(&g->r, 16);
		const char *w1 = word(&g->r), *w2 = word(&g->r);
		unsigned num = rng_below(&g->r, 10000);

		if (what == 0)
			k = snprintf(tmp, sizeof(tmp), "<div class=\"%s-%s\">", w1, w2);
		else if (what == 1)
			k = snprintf(tmp, sizeof(tmp), "</div>\n");
		else if (what == 2)
			k = snprintf(tmp, sizeof(tmp), "<a href=\"/%s/%u\">", w1, num);
		else if (what == 3)
			k = snprintf(tmp, sizeof(tmp), "</a> ");
		else
			k = snprintf(tmp, sizeof(tmp), "%s ", w1);
		for (int c = 0; c < k && i < n; c++)
			g->text_pool[i++] = (uint8_t)tmp[c];
	}
}

/* ---- the budget -------------------------------------------------------- */

static uint32_t mix_draw(struct gen *g)
{
	const struct opts *o = g->o;
	uint32_t x;

	if (o->nmix == 1)
		return o->mix[0].size;
	x = rng_below(&g->r, o->mix_total);
	for (unsigned i = 0; i < o->nmix; i++) {
		if (x < o->mix[i].weight)
			return o->mix[i].size;
		x -= o->mix[i].weight;
	}
	return o->mix[o->nmix - 1].size;
}

/* payload bytes that cost units of budget buy, roughly */
static uint64_t cost_to_payload(const struct gen *g, int64_t cost)
{
	return cost <= 0 ? 0 : (uint64_t)((double)cost * g->payload_per_cost);
}

static void budget_init(struct gen *g)
{
	const struct opts *o = g->o;
	double frame = 0, pay = 0, extra;
	double p6 = o->ipv6_pct / 100.0, vl = 4.0 * o->vlan_pct / 100;

	/* mean frame and payload of a full data segment */
	for (unsigned i = 0; i < o->nmix; i++) {
		double w = (double)o->mix[i].weight / o->mix_total;

		for (int v6 = 0; v6 < 2; v6++) {
			double hdr = (v6 ? 74 : 54) + vl, share = v6 ? p6 : 1 - p6;
			double p = o->mix[i].size - hdr;

			if (p < MIN_SEG)
				p = MIN_SEG;
			if (p > 1440)
				p = 1440;
			pay += w * share * p;
			frame += w * share * (hdr + p);
		}
	}
	/* half a pure ACK (delayed ACKs) per data segment */
	extra = 0.5;
	g->cost_frames = o->packets != 0;
	if (g->cost_frames)
		g->payload_per_cost = pay / (1 + extra);
	else
		g->payload_per_cost = pay / (frame + extra * 60);
	/* partly filled last segments of messages: a rough correction */
	g->payload_per_cost *= 0.9;
	g->unallocated = (int64_t)(g->cost_frames ? o->packets : o->size);
}

/* ---- TCP flows ------------------------------------------------------------ */

static void conn_addresses(struct gen *g, struct conn *c, const struct client *cl,
			   const uint8_t *sv4, const uint8_t *sv6, uint8_t sttl)
{
	c->v6 = rng_pct(&g->r, g->o->ipv6_pct);
	c->vlan = rng_pct(&g->r, g->o->vlan_pct) ? cl->vlan : 0;
	c->mac[0] = cl->mac;
	c->mac[1] = router_mac;
	if (c->v6) {
		memcpy(c->ip[0], cl->v6, 16);
		memcpy(c->ip[1], sv6, 16);
	} else {
		memcpy(c->ip[0], cl->v4, 4);
		memcpy(c->ip[1], sv4, 4);
	}
	c->ttl[0] = cl->ttl;
	c->ttl[1] = sttl;
	c->ipid[0] = (uint16_t)rng_next(&g->r);
	c->ipid[1] = (uint16_t)rng_next(&g->r);
	c->flowlabel[0] = (uint32_t)rng_next(&g->r) & 0xfffff;
	c->flowlabel[1] = (uint32_t)rng_next(&g->r) & 0xfffff;
}

/* ephemeral ports that Wireshark maps to a protocol: a raw flow from one
 * would be dissected as that protocol and show up as malformed */
static bool port_claimed(unsigned p)
{
	return p == 34980 || p == 44321 || p == 44322 || p == 44818 ||
	       p == 48049 || p == 48898 || p == 57000;
}

static uint16_t client_port(struct gen *g, struct client *cl)
{
	uint16_t p;

	do {
		unsigned next;

		p = cl->next_port;
		next = p + (cl->os == 1 ? 1 : rng_range(&g->r, 1, 24));
		cl->next_port = (uint16_t)(next > 60999 ? 32768 + (next - 61000) : next);
	} while (port_claimed(p));
	return p;
}

static uint64_t tcp_count(const struct opts *o)
{
	return o->flows;
}

static uint64_t tcp_est_cost(const struct gen *g)
{
	(void)g;
	return 0;
}

static struct client *pick_client(struct gen *g)
{
	/* a few busy clients, many quiet ones */
	uint32_t n = g->nclients;

	if (rng_pct(&g->r, 30))
		n = n / 16 ? n / 16 : 1;
	return &g->clients[rng_below(&g->r, n)];
}

static uint16_t pick_server(struct gen *g)
{
	uint32_t n = g->nservers;

	if (rng_pct(&g->r, 50))
		n = n / 8 ? n / 8 : 1;
	return (uint16_t)rng_below(&g->r, n);
}

/*
 * Big flows send faster: flows of every size then last about as long, and
 * the capture does not end in one elephant. The weight follows the flow's
 * expected cost, which can exceed its budget share (a TLS handshake in
 * 64-byte frames).
 */
static void set_weight(const struct gen *g, struct job *j, int64_t cost)
{
	int64_t w = g->mean_alloc > 0 ? 8 * cost / g->mean_alloc : 8;

	j->weight = (uint32_t)(w < 1 ? 1 : w > 64 ? 64 : w);
}

static int plant_cmp(const void *a, const void *b)
{
	const struct plant *x = *(const struct plant *const *)a;
	const struct plant *y = *(const struct plant *const *)b;

	if (x->flow != y->flow)
		return x->flow < y->flow ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void tcp_start(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	struct rng *r = &g->r;
	struct client *cl = pick_client(g);
	struct server *sv;
	/* no dissector in Wireshark claims these, so random bytes stay "data" */
	static const uint16_t raw_ports[] = { 4433, 7777, 8181, 9443, 12000, 15000, 25565, 31337 };
	static const uint8_t ws[3] = { 7, 8, 6 };
	unsigned maxf = 0;
	uint64_t lo, hi;

	f->idx = g->tcp_started++;
	f->host = pick_server(g);
	sv = &g->servers[f->host];
	j->c.proto = 6;
	conn_addresses(g, &j->c, cl, sv->v4, sv->v6, sv->ttl);
	j->c.port[0] = client_port(g, cl);
	f->app = (enum app)(rng_pct(r, 45) ? APP_HTTP : rng_pct(r, 75) ? APP_TLS : APP_RAW);
	g->app_count[f->app]++;
	switch (f->app) {
	case APP_HTTP:
		j->c.port[1] = rng_pct(r, 90) ? 80 : 8080;
		break;
	case APP_TLS:
		j->c.port[1] = rng_pct(r, 95) ? 443 : 8443;
		break;
	default:
		j->c.port[1] = PICK(r, raw_ports);
		break;
	}

	/* handshake parameters; timestamps cost 12 bytes a segment, which
	 * small-frame mixes cannot spare */
	for (unsigned i = 0; i < g->o->nmix; i++)
		if (g->o->mix[i].size > maxf)
			maxf = g->o->mix[i].size;
	f->os = cl->os;
	f->ts_offer = cl->os != 1;
	f->ts = f->ts_offer && g->o->mix[0].size >= 128 && rng_pct(r, 85);
	f->sack = rng_pct(r, 95);
	f->wscale[0] = ws[cl->os];
	f->wscale[1] = (uint8_t)rng_range(r, 7, 10);
	f->mss[0] = (uint16_t)(j->c.v6 ? 1440 : 1460);
	f->mss[1] = (uint16_t)(j->c.v6 ? sv->mss - 20 : sv->mss);
	if (maxf > 1514) { /* jumbo frames: both ends configured for them */
		unsigned m = maxf - 14 - l3_len(&j->c) - 20;

		f->mss[0] = f->mss[1] = (uint16_t)m;
	}
	f->win[0] = (uint16_t)rng_range(r, 256, 2048);
	f->win[1] = (uint16_t)rng_range(r, 256, 1024);
	for (int d = 0; d < 2; d++) {
		f->isn[d] = (uint32_t)rng_next(r);
		f->tsbase[d] = (uint32_t)rng_next(r);
	}
	f->nxt[0] = f->isn[0];
	f->nxt[1] = f->isn[1];
	f->closer = rng_pct(r, 70) ? 0 : 1;
	f->rst = rng_pct(r, 10);
	f->state = T_SYN;

	/* plants of this flow */
	for (lo = 0; lo < g->o->nplants && g->sorted[lo]->flow < f->idx; lo++)
		;
	for (hi = lo; hi < g->o->nplants && g->sorted[hi]->flow == f->idx; hi++) {
		struct plant *p = g->sorted[hi];

		if (p->offset + p->len > f->need_c)
			f->need_c = p->offset + p->len;
	}
	f->plant_lo = (uint32_t)lo;
	f->plant_hi = (uint32_t)hi;

	/* budget share: most flows small, one in five an elephant */
	{
		uint64_t left = g->o->flows - f->idx;
		int64_t share = g->unallocated > 0 ? g->unallocated / (int64_t)left : 0;
		uint32_t pm = rng_pct(r, 80) ? rng_below(r, 500) : rng_range(r, 2000, 6000);

		if (left == 1)
			j->alloc = g->unallocated > 0 ? g->unallocated : 0;
		else
			j->alloc = share * (int64_t)pm / 1000;
		g->unallocated -= j->alloc;
		set_weight(g, j, j->alloc);
	}
}

/* TCP options of a SYN or SYN-ACK, in the order the client's OS uses */
static unsigned syn_options(const struct job *j, int dir, uint8_t *p, uint32_t tsv, uint32_t tse)
{
	const struct tcpflow *f = &j->u.tcp;
	uint8_t *s = p;

	*p++ = 2;
	*p++ = 4;
	put16(p, f->mss[dir]);
	p += 2;
	if (dir == 0 ? f->ts_offer : f->ts) {
		if (f->sack) {
			*p++ = 4;
			*p++ = 2;
		} else {
			*p++ = 1;
			*p++ = 1;
		}
		*p++ = 8;
		*p++ = 10;
		put32(p, tsv);
		put32(p + 4, tse);
		p += 8;
		*p++ = 1;
		*p++ = 3;
		*p++ = 3;
		*p++ = f->wscale[dir];
	} else {
		*p++ = 1;
		*p++ = 3;
		*p++ = 3;
		*p++ = f->wscale[dir];
		*p++ = 1;
		*p++ = 1;
		if (f->sack) {
			*p++ = 4;
			*p++ = 2;
		} else {
			*p++ = 1;
			*p++ = 1;
		}
	}
	return (unsigned)(p - s);
}

static inline unsigned tcp_hdr_len(const struct tcpflow *f, uint8_t flags)
{
	if (flags & TH_SYN)
		return (flags & TH_ACK ? f->ts : f->ts_offer) ? 40 : 32;
	return f->ts ? 32 : 20;
}

/* record and overlay the plants that fall into client bytes [off, off+n) */
static void plant_overlay(struct gen *g, struct job *j, uint8_t *pay, uint64_t off, uint32_t n)
{
	struct tcpflow *f = &j->u.tcp;

	for (uint32_t i = f->plant_lo; i < f->plant_hi; i++) {
		struct plant *p = g->sorted[i];
		uint64_t a = p->offset, b = p->offset + p->len;
		uint64_t lo = a > off ? a : off, hi = b < off + n ? b : off + n;

		if (lo >= hi)
			continue;
		memcpy(pay + (lo - off), p->bytes + (lo - a), (size_t)(hi - lo));
		if (lo == a) {
			const struct conn *c = &j->c;
			int af = c->v6 ? AF_INET6 : AF_INET;

			p->frame_first = g->frames + 1;
			p->ts_ns = frame_ts_ns(g);
			inet_ntop(af, c->ip[0], p->src, sizeof(p->src));
			inet_ntop(af, c->ip[1], p->dst, sizeof(p->dst));
			p->sport = c->port[0];
			p->dport = c->port[1];
			p->vlan = c->vlan;
			p->app = app_name[f->app];
		}
		if (hi == b)
			p->frame_last = g->frames + 1;
	}
}

/* emit one TCP segment from dir; payload (n bytes) comes from f->m */
static void tcp_emit(struct gen *g, struct job *j, int dir, uint8_t flags, uint32_t n)
{
	struct tcpflow *f = &j->u.tcp;
	unsigned hl = tcp_hdr_len(f, flags);
	uint8_t *t = frame_begin(g, j, dir, hl + n);
	uint32_t tsv = f->tsbase[dir] + (uint32_t)(g->now_ps / 1000000000u);
	uint32_t tse = (flags & TH_ACK) ? f->tslast[!dir] : 0;
	uint16_t win;

	put16(t, j->c.port[dir]);
	put16(t + 2, j->c.port[!dir]);
	put32(t + 4, f->nxt[dir]);
	put32(t + 8, (flags & TH_ACK) ? f->nxt[!dir] : 0);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	if (flags & TH_SYN)
		win = dir ? 65160 : f->os == 2 ? 65535 : 64240;
	else
		win = f->win[dir];
	if (flags & TH_RST)
		win = 0;
	put16(t + 14, win);
	put16(t + 18, 0);
	if (flags & TH_SYN) {
		syn_options(j, dir, t + 20, tsv, tse);
	} else if (f->ts) {
		t[20] = 1;
		t[21] = 1;
		t[22] = 8;
		t[23] = 10;
		put32(t + 24, tsv);
		put32(t + 28, tse);
	}
	f->tslast[dir] = tsv;
	if (n) {
		msg_fill(g, &f->m, f->m.off, t + hl, n);
		if (dir == 0 && f->plant_lo < f->plant_hi)
			plant_overlay(g, j, t + hl, f->sent[0], n);
		f->m.off += n;
		f->sent[dir] += n;
	}
	frame_end(g, dir, hl + n, 16);
	f->nxt[dir] += n + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);
}

static size_t putstr(uint8_t *p, size_t room, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static size_t putstr(uint8_t *p, size_t room, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf((char *)p, room, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= room)
		die("internal error: message head too long");
	return (size_t)k;
}

static const char *const user_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"curl/8.4.0",
	"python-requests/2.31.0",
	"Wget/1.21.4",
};

static void http_request(struct gen *g, struct job *j, uint64_t need)
{
	struct tcpflow *f = &j->u.tcp;
	struct msg *m = &f->m;
	struct rng *r = &g->r;
	const char *host = g->servers[f->host].name;
	const char *ua = PICK(r, user_agents);
	bool post = need > 200 || rng_pct(r, 15);
	size_t k = 0;

	memset(m, 0, offsetof(struct msg, hdr));
	if (post) {
		uint64_t body = need > 200 ? need + rng_below(r, 256) : rng_logsize(r, 16, 8192);
		unsigned ver = rng_range(r, 1, 3);
		const char *w1 = word(r), *w2 = word(r);

		k = putstr(m->hdr, HDRBUF_SIZE,
			   "POST /api/v%u/%s/%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
			   "Accept: */*\r\nContent-Type: application/octet-stream\r\n"
			   "Content-Length: %" PRIu64 "\r\nConnection: keep-alive\r\n\r\n",
			   ver, w1, w2, host, ua, body);
		m->body = BODY_RANDOM;
		m->len = k + body;
	} else {
		static const char *const ext[] = { "html", "js", "css", "png", "json", "php", "" };
		const char *e = PICK(r, ext);
		const char *w1 = word(r), *w2 = word(r), *w3 = word(r);
		unsigned id = rng_below(r, 100000);

		k = putstr(m->hdr, HDRBUF_SIZE,
			   "GET /%s/%s%s%s%s?id=%u HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
			   "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
			   "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: identity\r\n"
			   "Connection: keep-alive\r\n\r\n",
			   w1, w2, w3, *e ? "." : "", e, id, host, ua);
		m->body = BODY_NONE;
		m->len = k;
	}
	m->hlen = (uint32_t)k;
	m->seed = (uint32_t)rng_next(r);
	f->http_status = rng_pct(r, 90) ? 200 : rng_pct(r, 50) ? 404 : 301;
}

static void http_response(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	struct msg *m = &f->m;
	struct rng *r = &g->r;
	char date[64];
	time_t t = (time_t)(frame_ts_ns(g) / 1000000000u);
	struct tm tm;
	bool text = rng_pct(r, 60);
	uint64_t body = f->resp_hint;
	size_t k;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	memset(m, 0, offsetof(struct msg, hdr));
	if (f->http_status != 200) {
		body = rng_range(r, 100, 400);
		text = true;
	}
	k = putstr(m->hdr, HDRBUF_SIZE,
		   "HTTP/1.1 %u %s\r\nServer: %s\r\nDate: %s\r\nContent-Type: %s\r\n"
		   "Content-Length: %" PRIu64 "\r\n%s%s%sConnection: keep-alive\r\n\r\n",
		   f->http_status,
		   f->http_status == 200 ? "OK" : f->http_status == 404 ? "Not Found" : "Moved Permanently",
		   rng_pct(r, 50) ? "nginx/1.24.0" : "Apache/2.4.57 (Debian)", date,
		   text ? "text/html; charset=utf-8" : "application/octet-stream", body,
		   f->http_status == 301 ? "Location: https://" : "",
		   f->http_status == 301 ? g->servers[f->host].name : "",
		   f->http_status == 301 ? "/\r\n" : "");
	m->hlen = (uint32_t)k;
	m->len = k + body;
	m->body = text ? BODY_TEXT : BODY_RANDOM;
	m->seed = (uint32_t)rng_next(r);
}

static size_t tls_client_hello(struct gen *g, struct job *j, uint8_t *p)
{
	static const uint16_t suites[] = {
		0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
		0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035,
	};
	static const uint8_t sigalgs[] = {
		0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01,
		0x08, 0x06, 0x06, 0x01,
	};
	const char *name = g->servers[j->u.tcp.host].name;
	size_t nl = strlen(name);
	uint8_t *s = p, *hs, *ext;

	p[0] = 0x16;
	p[1] = 3;
	p[2] = 1;
	p += 5;
	hs = p;
	p[0] = 1;
	p += 4;
	*p++ = 3;
	*p++ = 3;
	rng_bytes(&g->r, p, 32);
	p += 32;
	*p++ = 32;
	rng_bytes(&g->r, p, 32);
	p += 32;
	put16(p, sizeof(suites));
	p += 2;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++, p += 2)
		put16(p, suites[i]);
	*p++ = 1;
	*p++ = 0;
	ext = p;
	p += 2;
	/* server_name */
	put16(p, 0);
	put16(p + 2, (uint16_t)(nl + 5));
	put16(p + 4, (uint16_t)(nl + 3));
	p[6] = 0;
	put16(p + 7, (uint16_t)nl);
	memcpy(p + 9, name, nl);
	p += 9 + nl;
	/* extended_master_secret, renegotiation_info */
	put16(p, 0x0017);
	put16(p + 2, 0);
	p += 4;
	put16(p, 0xff01);
	put16(p + 2, 1);
	p[4] = 0;
	p += 5;
	/* supported_groups: x25519, secp256r1, secp384r1 */
	put16(p, 0x000a);
	put16(p + 2, 8);
	put16(p + 4, 6);
	put16(p + 6, 0x001d);
	put16(p + 8, 0x0017);
	put16(p + 10, 0x0018);
	p += 12;
	/* ec_point_formats */
	put16(p, 0x000b);
	put16(p + 2, 2);
	p[4] = 1;
	p[5] = 0;
	p += 6;
	/* session_ticket */
	put16(p, 0x0023);
	put16(p + 2, 0);
	p += 4;
	/* ALPN: h2, http/1.1 */
	put16(p, 0x0010);
	put16(p + 2, 14);
	put16(p + 4, 12);
	p[6] = 2;
	memcpy(p + 7, "h2", 2);
	p[9] = 8;
	memcpy(p + 10, "http/1.1", 8);
	p += 18;
	/* signature_algorithms */
	put16(p, 0x000d);
	put16(p + 2, sizeof(sigalgs) + 2);
	put16(p + 4, sizeof(sigalgs));
	memcpy(p + 6, sigalgs, sizeof(sigalgs));
	p += 6 + sizeof(sigalgs);
	/* key_share: x25519 */
	put16(p, 0x0033);
	put16(p + 2, 38);
	put16(p + 4, 36);
	put16(p + 6, 0x001d);
	put16(p + 8, 32);
	rng_bytes(&g->r, p + 10, 32);
	p += 42;
	/* psk_key_exchange_modes */
	put16(p, 0x002d);
	put16(p + 2, 2);
	p[4] = 1;
	p[5] = 1;
	p += 6;
	/* supported_versions: 1.3, 1.2 */
	put16(p, 0x002b);
	put16(p + 2, 5);
	p[4] = 4;
	put16(p + 5, 0x0304);
	put16(p + 7, 0x0303);
	p += 9;
	put16(ext, (uint16_t)(p - ext - 2));
	hs[1] = 0;
	put16(hs + 2, (uint16_t)(p - hs - 4));
	put16(s + 3, (uint16_t)(p - hs));
	return (size_t)(p - s);
}

static size_t tls_server_hello(struct gen *g, uint8_t *p, const uint8_t *session_id)
{
	uint8_t *s = p, *hs, *ext;

	p[0] = 0x16;
	p[1] = 3;
	p[2] = 3;
	p += 5;
	hs = p;
	p[0] = 2;
	p += 4;
	*p++ = 3;
	*p++ = 3;
	rng_bytes(&g->r, p, 32);
	p += 32;
	*p++ = 32;
	memcpy(p, session_id, 32);
	p += 32;
	put16(p, 0x1301);
	p += 2;
	*p++ = 0;
	ext = p;
	p += 2;
	put16(p, 0x0033);
	put16(p + 2, 36);
	put16(p + 4, 0x001d);
	put16(p + 6, 32);
	rng_bytes(&g->r, p + 8, 32);
	p += 40;
	put16(p, 0x002b);
	put16(p + 2, 2);
	put16(p + 4, 0x0304);
	p += 6;
	put16(ext, (uint16_t)(p - ext - 2));
	hs[1] = 0;
	put16(hs + 2, (uint16_t)(p - hs - 4));
	put16(s + 3, (uint16_t)(p - hs));
	/* change_cipher_spec (middlebox compatibility) */
	memcpy(p, "\x14\x03\x03\x00\x01\x01", 6);
	return (size_t)(p + 6 - s);
}

static void tls_request(struct gen *g, struct job *j, uint64_t need)
{
	struct tcpflow *f = &j->u.tcp;
	struct msg *m = &f->m;
	struct rng *r = &g->r;
	uint64_t body;

	memset(m, 0, offsetof(struct msg, hdr));
	m->seed = (uint32_t)rng_next(r);
	if (f->xchg == 0) {
		m->hlen = (uint32_t)tls_client_hello(g, j, m->hdr);
		m->len = m->hlen;
		m->body = BODY_NONE;
		return;
	}
	if (f->xchg == 1) {
		/* change_cipher_spec and the encrypted Finished */
		memcpy(m->hdr, "\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x35", 11);
		rng_bytes(r, m->hdr + 11, 0x35);
		m->hlen = 11 + 0x35;
	}
	body = need > 0 ? need : rng_logsize(r, 40, 2048);
	if (body > (1u << 20))
		body = 1u << 20;
	m->body = BODY_TLS;
	m->len = m->hlen + tls_body_len(body);
}

static void tls_response(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	struct msg *m = &f->m;
	uint8_t sid[32];

	if (f->xchg == 0) {
		/* the ClientHello's session id, still in the message head */
		memcpy(sid, m->hdr + 5 + 4 + 2 + 32 + 1, 32);
		memset(m, 0, offsetof(struct msg, hdr));
		m->hlen = (uint32_t)tls_server_hello(g, m->hdr, sid);
		/* encrypted extensions, certificate, verify, finished */
		m->len = m->hlen + tls_body_len(rng_range(&g->r, 2500, 5000));
	} else {
		memset(m, 0, offsetof(struct msg, hdr));
		m->len = tls_body_len(f->resp_hint);
	}
	m->body = BODY_TLS;
	m->seed = (uint32_t)rng_next(&g->r);
}

static void raw_request(struct gen *g, struct job *j, uint64_t need)
{
	struct msg *m = &j->u.tcp.m;

	memset(m, 0, offsetof(struct msg, hdr));
	m->len = need > 0 ? need : rng_logsize(&g->r, 8, 1500);
	if (m->len > (1u << 20))
		m->len = 1u << 20;
	m->body = BODY_RANDOM;
	m->seed = (uint32_t)rng_next(&g->r);
}

static void raw_response(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	struct msg *m = &f->m;

	memset(m, 0, offsetof(struct msg, hdr));
	m->len = f->resp_hint ? f->resp_hint : 1;
	m->body = BODY_RANDOM;
	m->seed = (uint32_t)rng_next(&g->r);
}

/* start the next exchange, or the teardown; the request goes first */
static void tcp_exchange(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	int64_t left = j->alloc - j->used;
	uint64_t need = f->need_c > f->sent[0] ? f->need_c - f->sent[0] : 0;
	uint64_t pay, reqlen;

	if (f->xchg > 0 && need == 0 && left <= 0) {
		f->state = f->rst ? T_RST : T_FIN1;
		return;
	}
	if (need > (1u << 20))
		need = 1u << 20;
	switch (f->app) {
	case APP_HTTP:
		http_request(g, j, need);
		break;
	case APP_TLS:
		tls_request(g, j, need);
		break;
	default:
		raw_request(g, j, need);
		break;
	}
	reqlen = f->m.len;
	/* the response gets what the budget leaves, if the draw wants it */
	pay = cost_to_payload(g, left);
	pay = pay > reqlen + 400 ? pay - reqlen - 400 : 0;
	f->resp_hint = rng_logsize(&g->r, 64, 1u << 20);
	if (f->resp_hint > pay)
		f->resp_hint = (uint32_t)(pay > 1 ? pay : 1);
	f->dir = 0;
	f->unacked = 0;
	f->state = T_SEND;
	{
		int64_t cost = j->used + (int64_t)((reqlen + f->resp_hint + 600) / g->payload_per_cost);

		set_weight(g, j, cost > j->alloc ? cost : j->alloc);
	}
}

/* bytes of the next data segment from f->dir */
static uint32_t tcp_seg_len(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	unsigned hdr = l2_len(&j->c) + l3_len(&j->c) + tcp_hdr_len(f, TH_ACK);
	unsigned frame = mix_draw(g);
	/* a frame too small for the headers still carries a few bytes: an
	 * IPv6 segment of the "64" mix is 80 bytes */
	uint64_t cap = frame >= hdr + MIN_SEG ? frame - hdr : MIN_SEG;
	uint64_t mss = f->mss[0] < f->mss[1] ? f->mss[0] : f->mss[1];
	uint64_t left = f->m.len - f->m.off;

	if (f->ts)
		mss -= 12;
	if (cap > mss)
		cap = mss;
	if (cap > left)
		cap = left;
	/* do not split a planted pattern that fits in one segment */
	if (f->dir == 0) {
		uint64_t off = f->sent[0];

		for (uint32_t i = f->plant_lo; i < f->plant_hi; i++) {
			const struct plant *p = g->sorted[i];

			if (p->offset > off && p->offset < off + cap &&
			    p->offset + p->len > off + cap && p->len <= cap)
				cap = p->offset - off;
		}
	}
	return (uint32_t)cap;
}

static bool tcp_step(struct gen *g, struct job *j)
{
	struct tcpflow *f = &j->u.tcp;
	uint32_t n;

	switch (f->state) {
	case T_SYN:
		tcp_emit(g, j, 0, TH_SYN, 0);
		f->state = T_SYNACK;
		return false;
	case T_SYNACK:
		tcp_emit(g, j, 1, TH_SYN | TH_ACK, 0);
		f->state = T_ACK3;
		return false;
	case T_ACK3:
		tcp_emit(g, j, 0, TH_ACK, 0);
		tcp_exchange(g, j);
		return false;
	case T_SEND:
		if (f->unacked >= 2) {
			tcp_emit(g, j, !f->dir, TH_ACK, 0);
			f->unacked = 0;
			return false;
		}
		n = tcp_seg_len(g, j);
		tcp_emit(g, j, f->dir, TH_ACK | (f->m.off + n == f->m.len ? TH_PSH : 0), n);
		f->unacked++;
		if (f->m.off < f->m.len)
			return false;
		if (f->dir == 0) {
			/* the response's first segment acks the request */
			switch (f->app) {
			case APP_HTTP:
				http_response(g, j);
				break;
			case APP_TLS:
				tls_response(g, j);
				break;
			default:
				raw_response(g, j);
				break;
			}
			f->dir = 1;
			f->unacked = 0;
		} else {
			f->xchg++;
			f->state = T_DACK;
		}
		return false;
	case T_DACK:
		tcp_emit(g, j, 0, TH_ACK, 0);
		f->unacked = 0;
		tcp_exchange(g, j);
		return false;
	case T_FIN1:
		tcp_emit(g, j, f->closer, TH_FIN | TH_ACK, 0);
		f->state = T_FIN2;
		return false;
	case T_FIN2:
		tcp_emit(g, j, !f->closer, TH_FIN | TH_ACK, 0);
		f->state = T_FIN3;
		return false;
	case T_FIN3:
		tcp_emit(g, j, f->closer, TH_ACK, 0);
		return true;
	case T_RST:
		tcp_emit(g, j, f->closer, TH_RST | TH_ACK, 0);
		return true;
	}
	return true;
}

/* ---- DNS ---------------------------------------------------------------- */

static uint64_t dns_count(const struct opts *o)
{
	return (o->flows * o->dns_per100 + 50) / 100;
}

static uint64_t dns_est_cost(const struct gen *g)
{
	return g->cost_frames ? 2 : 220;
}

static size_t dns_name(uint8_t *p, const char *name)
{
	uint8_t *s = p;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		*p++ = (uint8_t)l;
		memcpy(p, name, l);
		p += l;
		name += l + (dot ? 1 : 0);
	}
	*p++ = 0;
	return (size_t)(p - s);
}

static void dns_start(struct gen *g, struct job *j)
{
	struct dnsjob *d = &j->u.dns;
	struct rng *r = &g->r;
	struct client *cl = pick_client(g);
	const struct resolver *res = &resolvers[rng_below(r, NRESOLVERS)];
	uint8_t *q = d->q;

	g->dns_started++;
	d->host = pick_server(g);
	j->c.proto = 17;
	conn_addresses(g, &j->c, cl, res->v4, res->v6, res->ttl);
	j->c.port[0] = client_port(g, cl);
	j->c.port[1] = 53;
	d->id = (uint16_t)rng_next(r);
	d->qtype = rng_pct(r, 70) ? 1 : 28;
	d->edns = rng_pct(r, 50);
	d->rcode = rng_pct(r, 4) ? 3 : 0;
	put16(q, d->id);
	put16(q + 2, 0x0100);
	put16(q + 4, 1);
	put16(q + 6, 0);
	put16(q + 8, 0);
	put16(q + 10, d->edns);
	q += 12;
	q += dns_name(q, g->servers[d->host].name);
	put16(q, d->qtype);
	put16(q + 2, 1);
	q += 4;
	d->qlen = (uint32_t)(q - d->q);
	d->step = 0;
}

static size_t dns_opt_rr(uint8_t *p)
{
	memcpy(p, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
	return 11;
}

static uint8_t *udp_begin(struct gen *g, struct job *j, int dir, unsigned paylen)
{
	uint8_t *u = frame_begin(g, j, dir, 8 + paylen);

	put16(u, j->c.port[dir]);
	put16(u + 2, j->c.port[!dir]);
	put16(u + 4, (uint16_t)(8 + paylen));
	return u + 8;
}

static bool dns_step(struct gen *g, struct job *j)
{
	struct dnsjob *d = &j->u.dns;
	struct rng *r = &g->r;
	uint8_t msg[600], *p;
	size_t len;

	if (d->step == 0) {
		len = d->qlen;
		memcpy(msg, d->q, len);
		if (d->edns)
			len += dns_opt_rr(msg + len);
		p = udp_begin(g, j, 0, (unsigned)len);
		memcpy(p, msg, len);
		frame_end(g, 0, 8 + (unsigned)len, 6);
		d->step = 1;
		return false;
	}
	/* the response: question echoed, then answers */
	memcpy(msg, d->q, d->qlen);
	put16(msg + 2, (uint16_t)(0x8180 | d->rcode));
	p = msg + d->qlen;
	if (d->rcode == 0) {
		unsigned nans = 0, ptr = 12;

		if (rng_pct(r, 25)) {
			/* CNAME to a CDN name, then addresses of that */
			char cname[80];
			uint8_t *rd;
			size_t nl;
			const char *w1 = word(r);
			unsigned num = rng_below(r, 1000);
			const char *w2 = word(r);

			snprintf(cname, sizeof(cname), "%s-%u.edge%s.net", w1, num, w2);
			put16(p, 0xc00c);
			put16(p + 2, 5);
			put16(p + 4, 1);
			put32(p + 6, rng_range(r, 30, 3600));
			rd = p + 10;
			nl = dns_name(rd + 2, cname);
			put16(rd, (uint16_t)nl);
			ptr = (unsigned)(rd + 2 - msg);
			p = rd + 2 + nl;
			nans++;
		}
		for (unsigned i = 0, n = rng_range(r, 1, 3); i < n; i++) {
			put16(p, (uint16_t)(0xc000 | ptr));
			put16(p + 2, d->qtype);
			put16(p + 4, 1);
			put32(p + 6, rng_range(r, 20, 300));
			if (d->qtype == 1) {
				const uint8_t *pre = PICK(r, server_v4_prefix);

				put16(p + 10, 4);
				p[12] = pre[0];
				p[13] = pre[1];
				rng_bytes(r, p + 14, 2);
				p += 16;
			} else {
				const uint8_t *pre = PICK(r, server_v6_prefix);

				put16(p + 10, 16);
				memcpy(p + 12, pre, 6);
				rng_bytes(r, p + 18, 10);
				p += 28;
			}
			nans++;
		}
		put16(msg + 6, (uint16_t)nans);
	}
	if (d->edns)
		p += dns_opt_rr(p);
	len = (size_t)(p - msg);
	p = udp_begin(g, j, 1, (unsigned)len);
	memcpy(p, msg, len);
	frame_end(g, 1, 8 + (unsigned)len, 6);
	return true;
}

/* ---- the traffic kinds ------------------------------------------------ */

static const struct traffic_kind kinds[] = {
	{ .name = "tcp", .count = tcp_count, .est_cost = tcp_est_cost,
	  .start = tcp_start, .step = tcp_step },
	{ .name = "dns", .count = dns_count, .est_cost = dns_est_cost,
	  .start = dns_start, .step = dns_step },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* ---- the scheduler ----------------------------------------------------- */

struct sched {
	uint64_t left[NKINDS];
	uint64_t left_total;
	uint64_t started[NKINDS];
};

/* start a job of a kind drawn in proportion to what is left of each */
static void job_start(struct gen *g, struct sched *s, struct job *j)
{
	uint64_t x = rng_next(&g->r) % s->left_total;
	size_t k = 0;

	while (k + 1 < NKINDS && x >= s->left[k]) {
		x -= s->left[k];
		k++;
	}
	s->left[k]--;
	s->left_total--;
	s->started[k]++;
	memset(j, 0, sizeof(*j));
	j->kind = &kinds[k];
	if (j->kind->est_cost(g))
		j->alloc = (int64_t)j->kind->est_cost(g);
	j->weight = 8;
	j->kind->start(g, j);
}

static void generate(struct gen *g)
{
	const struct opts *o = g->o;
	struct sched s;
	struct job *slots;
	unsigned nactive = 0, conc = o->concurrency;

	memset(&s, 0, sizeof(s));
	for (size_t k = 0; k < NKINDS; k++) {
		s.left[k] = kinds[k].count(o);
		s.left_total += s.left[k];
		g->unallocated -= (int64_t)(s.left[k] * kinds[k].est_cost(g));
	}
	g->mean_alloc = g->unallocated / (int64_t)o->flows;
	if (conc > s.left_total)
		conc = (unsigned)s.left_total;
	slots = xcalloc(conc ? conc : 1, sizeof(*slots));
	while (nactive < conc)
		job_start(g, &s, &slots[nactive++]);
	while (nactive) {
		unsigned i;
		struct job *j;

		/* a random active job, taken with probability weight/64 */
		do {
			i = rng_below(&g->r, nactive);
			j = &slots[i];
		} while (rng_below(&g->r, 64) >= j->weight);

		if (!j->kind->step(g, j))
			continue;
		g->unallocated += j->alloc - j->used;
		if (s.left_total) {
			job_start(g, &s, j);
		} else if (i != --nactive) {
			memcpy(j, &slots[nactive], sizeof(*j));
		}
	}
	free(slots);
}

/* ---- option parsing ----------------------------------------------------- */

static uint64_t parse_u64(const char *opt, const char *s, bool suffix)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		die("%s: not a number: '%s'", opt, s);
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K': mul = 1000; break;
		case 'm': case 'M': mul = 1000000; break;
		case 'g': case 'G': mul = 1000000000; break;
		default: die("%s: bad suffix in '%s' (k, M, G, with i for binary)", opt, s);
		}
		end++;
		if (*end == 'i') {
			mul = mul == 1000 ? 1024 : mul == 1000000 ? 1u << 20 : 1u << 30;
			end++;
		}
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		die("%s: trailing garbage in '%s'", opt, s);
	if (mul > 1 && v > UINT64_MAX / mul)
		die("%s: too large: '%s'", opt, s);
	return (uint64_t)v * mul;
}

static unsigned parse_pct(const char *opt, const char *s)
{
	uint64_t v = parse_u64(opt, s, false);

	if (v > 100)
		die("%s: a percentage, 0..100: '%s'", opt, s);
	return (unsigned)v;
}

static void parse_mix(struct opts *o, const char *spec)
{
	char *copy, *tok, *save = NULL;

	o->mix_spec = spec;
	if (strcmp(spec, "imix") == 0)
		spec = "64:7,576:4,1500:1";
	copy = strdup(spec);
	if (!copy)
		die("out of memory");
	o->nmix = 0;
	o->mix_total = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		uint64_t size, w = 1;

		if (o->nmix == MAX_MIX)
			die("--pkt-size: at most %d sizes", MAX_MIX);
		if (colon) {
			*colon = 0;
			w = parse_u64("--pkt-size weight", colon + 1, false);
			if (w < 1 || w > 1000000)
				die("--pkt-size: weight must be 1..1000000");
		}
		size = parse_u64("--pkt-size", tok, false);
		if (size < MIN_FRAME || size > MAX_FRAME)
			die("--pkt-size: frame sizes are %u..%u bytes", MIN_FRAME, MAX_FRAME);
		o->mix[o->nmix].size = (uint32_t)size;
		o->mix[o->nmix].weight = (uint32_t)w;
		o->mix_total += (uint32_t)w;
		o->nmix++;
	}
	free(copy);
	if (!o->nmix)
		die("--pkt-size: empty mix");
	/* smallest first: tcp_start looks at mix[0] */
	for (unsigned i = 1; i < o->nmix; i++)
		for (unsigned k = i; k > 0 && o->mix[k].size < o->mix[k - 1].size; k--) {
			struct mix_entry t = o->mix[k];

			o->mix[k] = o->mix[k - 1];
			o->mix[k - 1] = t;
		}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* PATTERN@FLOW:OFFSET, PATTERN in Snort content syntax ("|41 42|evil") */
static void parse_plant(struct opts *o, const char *arg)
{
	const char *at = strrchr(arg, '@');
	struct plant *p;
	char *end;
	size_t plen;

	if (!at || at == arg)
		die("--plant: expected PATTERN@FLOW:OFFSET, got '%s'", arg);
	o->plants = realloc(o->plants, (o->nplants + 1) * sizeof(*o->plants));
	if (!o->plants)
		die("out of memory");
	p = &o->plants[o->nplants];
	memset(p, 0, sizeof(*p));
	p->order = o->nplants++;
	plen = (size_t)(at - arg);
	p->spec = strndup(arg, plen);
	p->bytes = xcalloc(1, plen + 1);
	for (size_t i = 0; i < plen;) {
		if (arg[i] == '|') {
			i++;
			while (i < plen && arg[i] != '|') {
				int hi, lo;

				if (arg[i] == ' ') {
					i++;
					continue;
				}
				hi = hexval(arg[i]);
				lo = i + 1 < plen ? hexval(arg[i + 1]) : -1;
				if (hi < 0 || lo < 0)
					die("--plant: bad hex in '%s'", arg);
				p->bytes[p->len++] = (uint8_t)(hi << 4 | lo);
				i += 2;
			}
			if (i >= plen)
				die("--plant: unterminated |hex| in '%s'", arg);
			i++;
		} else if (arg[i] == '\\' && i + 1 < plen) {
			p->bytes[p->len++] = (uint8_t)arg[i + 1];
			i += 2;
		} else {
			p->bytes[p->len++] = (uint8_t)arg[i++];
		}
	}
	if (!p->len)
		die("--plant: empty pattern in '%s'", arg);
	errno = 0;
	p->flow = strtoull(at + 1, &end, 10);
	if (errno || end == at + 1 || *end != ':')
		die("--plant: expected @FLOW:OFFSET in '%s'", arg);
	p->offset = parse_u64("--plant offset", end + 1, false);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " -o FILE [options]\n"
"Write a deterministic synthetic capture (classic pcap, Ethernet).\n"
"\n"
"  -o, --output FILE     capture to write ('-' for standard output)\n"
"      --seed N          random seed (default 1); same options and seed,\n"
"                        same bytes\n"
"      --flows N         TCP flows in total (default 1000)\n"
"      --size BYTES      stop at about this many frame bytes (default 10M;\n"
"                        suffixes k M G, Ki Mi Gi)\n"
"      --packets N       stop at about N frames instead (wins over --size)\n"
"      --pkt-size MIX    frame sizes of payload-carrying TCP segments:\n"
"                        64, 1500, imix (64:7,576:4,1500:1) or SIZE:WEIGHT,...\n"
"                        (Ethernet frame bytes without FCS; default imix)\n"
"      --dns N           DNS queries (with responses) per 100 flows (default 20)\n"
"      --concurrency N   jobs interleaved at once (default 100)\n"
"      --start SECONDS   epoch time of the first frame (default 1700000000)\n"
"      --rate PPS        mean frames per second of the timestamps (default 100000)\n"
"      --ipv6 PERCENT    share of flows over IPv6 (default 10)\n"
"      --vlan PERCENT    share of flows tagged 802.1Q (default 0)\n"
"      --plant PATTERN@FLOW:OFFSET\n"
"                        write PATTERN (Snort content syntax: text with |41 42|\n"
"                        hex) into TCP flow FLOW (0-based) at OFFSET of its\n"
"                        client->server stream; repeatable\n"
"      --attack KIND[:KEY=VALUE,...]\n"
"                        inject an attack for the anomaly detectors; KIND is\n"
"                        vscan, hscan, sweep, synflood, udpflood, icmpflood,\n"
"                        brute, dnstunnel or dga; KEYs: start (seconds after\n"
"                        the first frame), rate (probes/s), count (probes:\n"
"                        ports, hosts, packets, sessions or queries), port,\n"
"                        src, dst (IPv4); repeatable\n"
"      --truth FILE      ground truth: one JSON line per plant, then one per\n"
"                        attack (attack, detector, key, entity, start_us,\n"
"                        interval_us, probes, end_us, packet_index, packets)\n"
"  -h, --help            this text\n");
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	enum { O_SEED = 256, O_FLOWS, O_SIZE, O_PACKETS, O_PKTSIZE, O_DNS, O_CONC,
	       O_START, O_RATE, O_PLANT, O_TRUTH, O_IPV6, O_VLAN, O_ATTACK };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "flows", required_argument, NULL, O_FLOWS },
		{ "size", required_argument, NULL, O_SIZE },
		{ "packets", required_argument, NULL, O_PACKETS },
		{ "pkt-size", required_argument, NULL, O_PKTSIZE },
		{ "dns", required_argument, NULL, O_DNS },
		{ "concurrency", required_argument, NULL, O_CONC },
		{ "start", required_argument, NULL, O_START },
		{ "rate", required_argument, NULL, O_RATE },
		{ "plant", required_argument, NULL, O_PLANT },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "ipv6", required_argument, NULL, O_IPV6 },
		{ "vlan", required_argument, NULL, O_VLAN },
		{ "attack", required_argument, NULL, O_ATTACK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->flows = 1000;
	o->size = 10000000;
	o->dns_per100 = 20;
	o->concurrency = 100;
	o->start_s = 1700000000;
	o->rate = 100000;
	o->ipv6_pct = 10;
	parse_mix(o, "imix");

	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->out_path = optarg; break;
		case O_SEED: o->seed = parse_u64("--seed", optarg, false); break;
		case O_FLOWS: o->flows = parse_u64("--flows", optarg, true); break;
		case O_SIZE: o->size = parse_u64("--size", optarg, true); break;
		case O_PACKETS: o->packets = parse_u64("--packets", optarg, true); break;
		case O_PKTSIZE: parse_mix(o, optarg); break;
		case O_DNS: {
			uint64_t v = parse_u64("--dns", optarg, false);

			if (v > 10000)
				die("--dns: at most 10000 per 100 flows");
			o->dns_per100 = (unsigned)v;
			break;
		}
		case O_CONC: {
			uint64_t v = parse_u64("--concurrency", optarg, true);

			if (v < 1 || v > 1000000)
				die("--concurrency: 1..1000000");
			o->concurrency = (unsigned)v;
			break;
		}
		case O_START: o->start_s = parse_u64("--start", optarg, false); break;
		case O_RATE: {
			char *end;

			o->rate = strtod(optarg, &end);
			if (*end || end == optarg || !(o->rate >= 1 && o->rate <= 1e9))
				die("--rate: 1..1e9 frames per second");
			break;
		}
		case O_PLANT: parse_plant(o, optarg); break;
		case O_TRUTH: o->truth_path = optarg; break;
		case O_IPV6: o->ipv6_pct = parse_pct("--ipv6", optarg); break;
		case O_VLAN: o->vlan_pct = parse_pct("--vlan", optarg); break;
		case O_ATTACK: parse_attack(optarg); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!o->out_path) {
		usage(stderr);
		exit(2);
	}
	if (o->flows < 1 || o->flows > 100000000)
		die("--flows: 1..100000000");
	if (o->start_s > UINT32_MAX - 86400u * 365)
		die("--start: too late for classic pcap");
	for (unsigned i = 0; i < o->nplants; i++)
		if (o->plants[i].flow >= o->flows)
			die("--plant: flow %" PRIu64 " does not exist (--flows %" PRIu64 ")",
			    o->plants[i].flow, o->flows);
}

/* ---- ground truth ------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void write_truth(const struct gen *g)
{
	const struct opts *o = g->o;
	FILE *f = fopen(o->truth_path, "w");

	if (!f)
		die("cannot create %s: %s", o->truth_path, strerror(errno));
	for (unsigned i = 0; i < o->nplants; i++) {
		const struct plant *p = &o->plants[i];
		time_t t = (time_t)(p->ts_ns / 1000000000u);
		struct tm tm;
		char ts[40];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(f, "{\"pattern\":");
		json_str(f, p->spec);
		fprintf(f, ",\"pattern_hex\":\"");
		for (uint32_t k = 0; k < p->len; k++)
			fprintf(f, "%02x", p->bytes[k]);
		fprintf(f, "\",\"flow\":%" PRIu64 ",\"app\":\"%s\",\"src_ip\":\"%s\","
			"\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":%u,"
			"\"proto\":\"TCP\",",
			p->flow, p->app, p->src, p->sport, p->dst, p->dport);
		if (p->vlan)
			fprintf(f, "\"vlan\":[%u],", p->vlan);
		fprintf(f, "\"stream_offset\":%" PRIu64 ",\"packet_index\":%" PRIu64
			",\"packet_index_last\":%" PRIu64 ",\"ts\":\"%s.%06u+0000\"}\n",
			p->offset, p->frame_first, p->frame_last, ts,
			(unsigned)(p->ts_ns / 1000u % 1000000u));
	}
	if (fclose(f) != 0)
		die("write %s: %s", o->truth_path, strerror(errno));
}

/* ---- attacks (--attack) ------------------------------------------------
 *
 * Behavioural attacks for the anomaly detectors, interleaved in time with
 * the background: before each background frame, every attack whose next
 * probe is due writes it (and the victim's answer) with the probe's own
 * timestamp, so the capture stays in time order. Probes are evenly
 * spaced (1/rate), which lets an evaluation turn a detection time into a
 * probe count. Attacks draw from their own random stream, so adding one
 * does not change the background bytes. Attackers live in 198.18.0.0/16
 * and flood bots in 198.19.0.0/16 (RFC 2544 benchmarking space), victims
 * in 10.200.0.0/16 and up (one /16 per attack), the resolver of the DNS
 * attacks is 10.250.255.53; the background uses none of them.
 */

enum atk_kind { ATK_VSCAN, ATK_HSCAN, ATK_SWEEP, ATK_SYNFLOOD, ATK_UDPFLOOD,
		ATK_ICMPFLOOD, ATK_BRUTE, ATK_DNSTUN, ATK_DGA, ATK_N };

static const struct {
	const char *name, *detector, *key;
	double rate;             /* default probes per second */
	uint64_t count;          /* default probes */
	uint16_t port;
} atk_info[ATK_N] = {
	[ATK_VSCAN] = { "vscan", "scan_vertical", "src_ip", 100, 1000, 0 },
	[ATK_HSCAN] = { "hscan", "scan_horizontal", "src_ip", 100, 500, 22 },
	[ATK_SWEEP] = { "sweep", "scan_horizontal", "src_ip", 50, 254, 0 },
	[ATK_SYNFLOOD] = { "synflood", "syn_flood", "dest_ip", 5000, 20000, 80 },
	[ATK_UDPFLOOD] = { "udpflood", "udp_flood", "dest_ip", 20000, 60000, 80 },
	[ATK_ICMPFLOOD] = { "icmpflood", "icmp_flood", "dest_ip", 5000, 20000, 0 },
	[ATK_BRUTE] = { "brute", "brute_force", "src_ip", 1, 40, 22 },
	[ATK_DNSTUN] = { "dnstunnel", "dns_tunnel", "src_ip", 5, 300, 53 },
	[ATK_DGA] = { "dga", "dga", "src_ip", 5, 200, 53 },
};

struct attack {
	char *spec;
	enum atk_kind kind;
	double start_s, rate;
	uint64_t count;
	uint16_t port;
	uint8_t src[4], dst[4];
	/* while generating */
	uint64_t done, start_ps, iv_ps, first_frame, frames;
	uint64_t last_ps;
};

static struct attack *attacks;
static unsigned nattacks;
static struct rng arng;

static void parse_ip4(const char *opt, const char *s, uint8_t out[4])
{
	if (inet_pton(AF_INET, s, out) != 1)
		die("%s: '%s' is not an IPv4 address", opt, s);
}

/* KIND[:key=value,...] with keys start (s after the first frame), rate
 * (probes/s), count, port, src, dst */
static void parse_attack(const char *arg)
{
	struct attack *a;
	char *dup = strdup(arg), *kv, *save = NULL, *colon;
	unsigned k;

	if (!dup)
		die("out of memory");
	colon = strchr(dup, ':');
	if (colon)
		*colon = '\0';
	for (k = 0; k < ATK_N; k++)
		if (strcmp(dup, atk_info[k].name) == 0)
			break;
	if (k == ATK_N)
		die("--attack: unknown kind '%s' (vscan, hscan, sweep, synflood, udpflood, "
		    "icmpflood, brute, dnstunnel, dga)", dup);
	attacks = realloc(attacks, (nattacks + 1) * sizeof(*attacks));
	if (!attacks)
		die("out of memory");
	a = &attacks[nattacks];
	memset(a, 0, sizeof(*a));
	a->spec = strdup(arg);
	a->kind = (enum atk_kind)k;
	a->rate = atk_info[k].rate;
	a->count = atk_info[k].count;
	a->port = atk_info[k].port;
	a->src[0] = 198;
	a->src[1] = 18;
	a->src[2] = (uint8_t)(nattacks / 250);
	a->src[3] = (uint8_t)(1 + nattacks % 250);
	/* each attack its own victim /16, so sweeps never cross */
	a->dst[0] = 10;
	a->dst[1] = (uint8_t)(200 + nattacks % 50);
	a->dst[2] = 0;
	a->dst[3] = 1;
	a->start_s = 1.0 + nattacks;
	for (kv = colon ? strtok_r(colon + 1, ",", &save) : NULL; kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '='), *end;
		double v;

		if (!eq)
			die("--attack %s: '%s' is not key=value", arg, kv);
		*eq++ = '\0';
		if (strcmp(kv, "src") == 0) {
			parse_ip4("--attack src", eq, a->src);
			continue;
		}
		if (strcmp(kv, "dst") == 0) {
			parse_ip4("--attack dst", eq, a->dst);
			continue;
		}
		v = strtod(eq, &end);
		if (*end || end == eq || v < 0)
			die("--attack %s: bad value '%s' for %s", arg, eq, kv);
		if (strcmp(kv, "start") == 0)
			a->start_s = v;
		else if (strcmp(kv, "rate") == 0 && v > 0 && v <= 1e7)
			a->rate = v;
		else if (strcmp(kv, "count") == 0 && v >= 1 && v <= 1e8)
			a->count = (uint64_t)v;
		else if (strcmp(kv, "port") == 0 && v >= 1 && v <= 65535)
			a->port = (uint16_t)v;
		else
			die("--attack %s: unknown key or value out of range: %s=%s "
			    "(start>=0, 0<rate<=1e7, 1<=count<=1e8, 1<=port<=65535, src, dst)",
			    arg, kv, eq);
	}
	if (a->kind == ATK_VSCAN && a->count > 65535)
		die("--attack %s: a vertical scan has at most 65535 ports", arg);
	if ((a->kind == ATK_HSCAN || a->kind == ATK_SWEEP) && a->count > 65534)
		die("--attack %s: a horizontal scan covers at most a /16", arg);
	nattacks++;
	free(dup);
}

/* One IPv4 frame at ts_ps: Ethernet, IP, l4 (checksum filled here). */
static void atk_frame(struct gen *g, struct attack *a, const uint8_t src[4],
		      const uint8_t dst[4], uint8_t proto, uint8_t *l4, unsigned l4len)
{
	static const uint8_t mac_a[6] = { 0x02, 0xa7, 0x7a, 0xc0, 0x00, 0x01 };
	uint8_t *rec, *p, pseudo[12];
	unsigned flen = 14 + 20 + l4len, coff;
	uint16_t ck;
	uint64_t us = a->last_ps / 1000000u;

	if (g->blen + 16 + MAX_FRAME > OUTBUF_SIZE)
		out_flush(g);
	rec = g->buf + g->blen;
	p = rec + 16;
	memcpy(p, router_mac, 6);
	memcpy(p + 6, mac_a, 6);
	put16(p + 12, 0x0800);
	p += 14;
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint16_t)(20 + l4len));
	put16(p + 4, (uint16_t)rng_next(&arng));
	put16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = proto;
	p[10] = p[11] = 0;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	ck = csum_fold(csum_add(0, p, 20));
	memcpy(p + 10, &ck, 2);
	p += 20;
	coff = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	l4[coff] = l4[coff + 1] = 0;
	if (proto == 1) {
		ck = csum_fold(csum_add(0, l4, l4len));
	} else {
		memcpy(pseudo, src, 4);
		memcpy(pseudo + 4, dst, 4);
		pseudo[8] = 0;
		pseudo[9] = proto;
		put16(pseudo + 10, (uint16_t)l4len);
		ck = csum_fold(csum_add(csum_add(0, pseudo, 12), l4, l4len));
		if (proto == 17 && ck == 0)
			ck = 0xffff;
	}
	memcpy(l4 + coff, &ck, 2);
	memcpy(p, l4, l4len);
	if (flen < MIN_FRAME) {
		memset(rec + 16 + flen, 0, MIN_FRAME - flen);
		flen = MIN_FRAME;
	}
	le32(rec, (uint32_t)(g->o->start_s + us / 1000000u));
	le32(rec + 4, (uint32_t)(us % 1000000u));
	le32(rec + 8, flen);
	le32(rec + 12, flen);
	g->blen += 16 + flen;
	g->frames++;
	g->wire_bytes += flen;
	if (!a->frames++)
		a->first_frame = g->frames;
}

static void atk_tcp(struct gen *g, struct attack *a, const uint8_t s[4], uint16_t sp,
		    const uint8_t d[4], uint16_t dp, uint32_t seq, uint32_t ack,
		    uint8_t flags, const void *pay, unsigned n)
{
	uint8_t l4[20 + 1500];

	if (n > 1500)
		n = 1500;
	memset(l4, 0, 20);
	put16(l4, sp);
	put16(l4 + 2, dp);
	put32(l4 + 4, seq);
	put32(l4 + 8, ack);
	l4[12] = 5 << 4;
	l4[13] = flags;
	put16(l4 + 14, 29200);
	if (n)
		memcpy(l4 + 20, pay, n);
	atk_frame(g, a, s, d, 6, l4, 20 + n);
}

static void atk_udp(struct gen *g, struct attack *a, const uint8_t s[4], uint16_t sp,
		    const uint8_t d[4], uint16_t dp, const void *pay, unsigned n)
{
	uint8_t l4[8 + 1500];

	put16(l4, sp);
	put16(l4 + 2, dp);
	put16(l4 + 4, (uint16_t)(8 + n));
	memcpy(l4 + 8, pay, n);
	atk_frame(g, a, s, d, 17, l4, 8 + n);
}

static void atk_icmp(struct gen *g, struct attack *a, const uint8_t s[4],
		     const uint8_t d[4], uint8_t type, uint16_t id, uint16_t seq, unsigned n)
{
	uint8_t l4[8 + 1472];

	l4[0] = type;
	l4[1] = 0;
	put16(l4 + 4, id);
	put16(l4 + 6, seq);
	memset(l4 + 8, 0x61, n);
	atk_frame(g, a, s, d, 1, l4, 8 + n);
}

static void rand_label(char *out, unsigned n, const char *alphabet)
{
	size_t m = strlen(alphabet);

	for (unsigned i = 0; i < n; i++)
		out[i] = alphabet[rng_next(&arng) % m];
	out[n] = '\0';
}

/* A DNS query (resp: its answer with rcode) for name, type qtype. */
static void atk_dns(struct gen *g, struct attack *a, const char *name, uint16_t qtype,
		    uint16_t sport, bool resp, uint8_t rcode)
{
	uint8_t m[512];
	size_t o = 12;
	const char *s = name;
	static const uint8_t resolver[4] = { 10, 250, 255, 53 };

	memset(m, 0, 12);
	put16(m, (uint16_t)(sport * 31u));
	m[2] = resp ? 0x81 : 0x01;
	m[3] = resp ? (uint8_t)(0x80 | rcode) : 0;
	m[5] = 1;
	while (*s && o < 400) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);
		m[o++] = (uint8_t)l;
		memcpy(m + o, s, l);
		o += l;
		s += l + (dot ? 1 : 0);
	}
	m[o++] = 0;
	put16(m + o, qtype);
	put16(m + o + 2, 1);
	o += 4;
	if (resp)
		atk_udp(g, a, resolver, 53, a->src, sport, m, (unsigned)o);
	else
		atk_udp(g, a, a->src, sport, resolver, 53, m, (unsigned)o);
}

static void atk_probe(struct gen *g, struct attack *a)
{
	uint64_t i = a->done;
	uint8_t d[4], s[4];
	uint16_t sp = (uint16_t)(32768 + rng_next(&arng) % 28000);
	uint32_t seq = (uint32_t)rng_next(&arng), sseq = (uint32_t)rng_next(&arng);
	unsigned r100 = (unsigned)(rng_next(&arng) % 100);
	char name[256], lab[64];

	memcpy(d, a->dst, 4);
	switch (a->kind) {
	case ATK_VSCAN: {
		/* every port once, in a scrambled order */
		uint16_t port = (uint16_t)(1 + (i * 40503u) % 65535u);
		bool open = port == 22 || port == 80 || port == 443 || r100 < 2;
		atk_tcp(g, a, a->src, sp, d, port, seq, 0, TH_SYN, NULL, 0);
		if (open) {
			atk_tcp(g, a, d, port, a->src, sp, sseq, seq + 1, TH_SYN | TH_ACK, NULL, 0);
			atk_tcp(g, a, a->src, sp, d, port, seq + 1, 0, TH_RST, NULL, 0);
		} else {
			atk_tcp(g, a, d, port, a->src, sp, 0, seq + 1, TH_RST | TH_ACK, NULL, 0);
		}
		break;
	}
	case ATK_HSCAN:
	case ATK_SWEEP:
		d[2] = (uint8_t)((i + 1) >> 8);
		d[3] = (uint8_t)(i + 1);
		if (a->kind == ATK_SWEEP) {
			atk_icmp(g, a, a->src, d, 8, (uint16_t)(a - attacks), (uint16_t)i, 32);
			if (r100 < 20)
				atk_icmp(g, a, d, a->src, 0, (uint16_t)(a - attacks), (uint16_t)i, 32);
			break;
		}
		atk_tcp(g, a, a->src, sp, d, a->port, seq, 0, TH_SYN, NULL, 0);
		if (r100 < 10) {
			atk_tcp(g, a, d, a->port, a->src, sp, sseq, seq + 1, TH_SYN | TH_ACK, NULL, 0);
			atk_tcp(g, a, a->src, sp, d, a->port, seq + 1, 0, TH_RST, NULL, 0);
		} else if (r100 < 30) {
			atk_tcp(g, a, d, a->port, a->src, sp, 0, seq + 1, TH_RST | TH_ACK, NULL, 0);
		}
		break;
	case ATK_SYNFLOOD:
		/* spoofed sources: one SYN each; the victim answers into the void */
		put32(s, (uint32_t)rng_next(&arng) | 0x01000000u);
		if (s[0] == 10 || s[0] >= 224 || s[0] == 127 || s[0] == 198)
			s[0] = 45;
		atk_tcp(g, a, s, sp, d, a->port, seq, 0, TH_SYN, NULL, 0);
		atk_tcp(g, a, d, a->port, s, sp, sseq, seq + 1, TH_SYN | TH_ACK, NULL, 0);
		break;
	case ATK_UDPFLOOD: {
		uint8_t pay[512];
		memset(pay, 0x5a, sizeof(pay));
		/* fifty bots (198.19.K.1-50) at one service port */
		s[0] = 198;
		s[1] = 19;
		s[2] = (uint8_t)(a - attacks);
		s[3] = (uint8_t)(1 + r100 % 50);
		atk_udp(g, a, s, sp, d, a->port, pay, 512);
		break;
	}
	case ATK_ICMPFLOOD:
		s[0] = 198;
		s[1] = 19;
		s[2] = (uint8_t)(a - attacks);
		s[3] = (uint8_t)(1 + r100 % 50);
		atk_icmp(g, a, s, d, 8, (uint16_t)r100, (uint16_t)i, 56);
		break;
	case ATK_BRUTE: {
		/* one failed login: handshake, banners, key exchange and a
		 * password try, then the server closes */
		static const char sb[] = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n";
		static const char cb[] = "SSH-2.0-libssh_0.9.6\r\n";
		uint8_t blob[600];
		uint32_t c = seq + 1, v = sseq + 1;
		uint16_t port = a->port;

		rng_bytes(&arng, blob, sizeof(blob));
		atk_tcp(g, a, a->src, sp, d, port, seq, 0, TH_SYN, NULL, 0);
		atk_tcp(g, a, d, port, a->src, sp, sseq, c, TH_SYN | TH_ACK, NULL, 0);
		atk_tcp(g, a, a->src, sp, d, port, c, v, TH_ACK, NULL, 0);
		atk_tcp(g, a, d, port, a->src, sp, v, c, TH_PSH | TH_ACK, sb, sizeof(sb) - 1);
		v += sizeof(sb) - 1;
		atk_tcp(g, a, a->src, sp, d, port, c, v, TH_PSH | TH_ACK, cb, sizeof(cb) - 1);
		c += sizeof(cb) - 1;
		for (int k = 0; k < 3; k++) {
			unsigned n1 = 100 + (unsigned)(rng_next(&arng) % 400);
			unsigned n2 = 100 + (unsigned)(rng_next(&arng) % 400);
			atk_tcp(g, a, a->src, sp, d, port, c, v, TH_PSH | TH_ACK, blob, n1);
			c += n1;
			atk_tcp(g, a, d, port, a->src, sp, v, c, TH_PSH | TH_ACK, blob, n2);
			v += n2;
		}
		atk_tcp(g, a, d, port, a->src, sp, v, c, TH_FIN | TH_ACK, NULL, 0);
		atk_tcp(g, a, a->src, sp, d, port, c, v + 1, TH_FIN | TH_ACK, NULL, 0);
		atk_tcp(g, a, d, port, a->src, sp, v + 1, c + 1, TH_ACK, NULL, 0);
		break;
	}
	case ATK_DNSTUN:
		rand_label(lab, 52, "abcdefghijklmnopqrstuvwxyz234567");
		snprintf(name, sizeof(name), "%s.%04x.t.exfil-%u.example", lab,
			 (unsigned)(i & 0xffff), (unsigned)(a - attacks));
		atk_dns(g, a, name, 16, sp, false, 0);
		atk_dns(g, a, name, 16, sp, true, 0);
		break;
	case ATK_DGA:
		rand_label(lab, 10 + (unsigned)(rng_next(&arng) % 6), "abcdefghijklmnopqrstuvwxyz");
		snprintf(name, sizeof(name), "%s.%s", lab, i % 3 == 0 ? "com" : i % 3 == 1 ? "net" : "info");
		atk_dns(g, a, name, 1, sp, false, 0);
		atk_dns(g, a, name, 1, sp, true, 3);
		break;
	default:
		break;
	}
}

/* Write every probe due by now_ps (UINT64_MAX: all that are left). */
static void atk_pump(struct gen *g, uint64_t now_ps)
{
	for (;;) {
		struct attack *best = NULL;
		uint64_t bt = UINT64_MAX;

		/* the earliest due probe of all attacks first: time order */
		for (unsigned k = 0; k < nattacks; k++) {
			struct attack *a = &attacks[k];
			uint64_t t;

			if (!a->iv_ps) {
				a->start_ps = (uint64_t)(a->start_s * 1e12);
				a->iv_ps = (uint64_t)(1e12 / a->rate);
				if (!a->iv_ps)
					a->iv_ps = 1;
			}
			if (a->done >= a->count)
				continue;
			t = a->start_ps + a->done * a->iv_ps;
			if (t <= now_ps && t < bt) {
				bt = t;
				best = a;
			}
		}
		if (!best)
			return;
		best->last_ps = bt;
		atk_probe(g, best);
		best->done++;
	}
}

static void write_attack_truth(const struct gen *g, FILE *f)
{
	for (unsigned k = 0; k < nattacks; k++) {
		const struct attack *a = &attacks[k];
		uint64_t t0 = g->o->start_s * 1000000ull + a->start_ps / 1000000u;
		char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, a->src, s, sizeof(s));
		inet_ntop(AF_INET, a->dst, d, sizeof(d));
		fprintf(f, "{\"attack\":");
		json_str(f, atk_info[a->kind].name);
		fprintf(f, ",\"spec\":");
		json_str(f, a->spec);
		fprintf(f, ",\"detector\":\"%s\",\"key\":\"%s\",\"entity\":\"%s\","
			"\"src_ip\":\"%s\",\"dest_ip\":\"%s\",\"dest_port\":%u,"
			"\"start_us\":%" PRIu64 ",\"interval_us\":%.3f,\"probes\":%" PRIu64
			",\"end_us\":%" PRIu64 ",\"packet_index\":%" PRIu64 ",\"packets\":%" PRIu64 "}\n",
			atk_info[a->kind].detector, atk_info[a->kind].key,
			strcmp(atk_info[a->kind].key, "src_ip") == 0 ? s : d, s, d, a->port,
			t0, a->iv_ps / 1e6, a->done,
			t0 + (a->done ? (a->done - 1) * a->iv_ps / 1000000u : 0),
			a->first_frame, a->frames);
	}
}

/* ---- main -------------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct gen g;
	double t0 = mono_s(), dt;

	parse_args(&o, argc, argv);
	memset(&g, 0, sizeof(g));
	g.o = &o;
	rng_seed(&g.r, o.seed);
	rng_seed(&arng, o.seed ^ 0xa77ac4ULL);
	g.iv_ps = (uint64_t)(1e12 / o.rate);
	if (g.iv_ps < 1)
		g.iv_ps = 1;

	g.sorted = xcalloc(o.nplants, sizeof(*g.sorted));
	for (unsigned i = 0; i < o.nplants; i++)
		g.sorted[i] = &o.plants[i];
	qsort(g.sorted, o.nplants, sizeof(*g.sorted), plant_cmp);

	make_hosts(&g);
	make_pools(&g);
	budget_init(&g);
	out_open(&g);
	generate(&g);
	/* attacks outlasting the background */
	atk_pump(&g, UINT64_MAX);
	out_close(&g);
	free(g.clients);
	free(g.servers);
	free(g.rand_pool);
	free(g.text_pool);

	for (unsigned i = 0; i < o.nplants; i++)
		if (!o.plants[i].frame_first || !o.plants[i].frame_last)
			die("internal error: plant '%s' was not written", o.plants[i].spec);
	if (o.truth_path) {
		FILE *f;

		write_truth(&g);
		if (nattacks) {
			f = fopen(o.truth_path, "a");
			if (!f)
				die("cannot append to %s: %s", o.truth_path, strerror(errno));
			write_attack_truth(&g, f);
			if (fclose(f) != 0)
				die("write %s: %s", o.truth_path, strerror(errno));
		}
	}
	for (unsigned k = 0; k < nattacks; k++)
		free(attacks[k].spec);
	free(attacks);
	for (unsigned i = 0; i < o.nplants; i++) {
		free((void *)o.plants[i].spec);
		free(o.plants[i].bytes);
	}
	free(o.plants);
	free(g.sorted);

	dt = mono_s() - t0;
	fprintf(stderr,
		PROG ": frames=%" PRIu64 " bytes=%" PRIu64 " file_bytes=%" PRIu64
		" tcp_flows=%" PRIu64 " (http %" PRIu64 ", tls %" PRIu64 ", raw %" PRIu64 ")"
		" dns_queries=%" PRIu64 " planted=%u attacks=%u in %.2f s (%.0f MB/s)\n",
		g.frames, g.wire_bytes, g.file_bytes, g.tcp_started,
		g.app_count[APP_HTTP], g.app_count[APP_TLS], g.app_count[APP_RAW],
		g.dns_started, o.nplants, nattacks, dt, dt > 0 ? g.file_bytes / dt / 1e6 : 0.0);
	return 0;
}
