/*
 * applayer: stream reassembly, protocol detection and parsing per worker
 * (see applayer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/applayer.h"
#include "mamori/dns.h"
#include "mamori/log.h"
#include "mamori/tls.h"

_Static_assert(HTTP_EV_MAX <= sizeof(((struct applayer_stats *)0)->http_events) / sizeof(uint64_t),
	       "http_events too small");
_Static_assert(TLS_EV_MAX <= sizeof(((struct applayer_stats *)0)->tls_events) / sizeof(uint64_t),
	       "tls_events too small");
_Static_assert(DNS_EV_MAX <= sizeof(((struct applayer_stats *)0)->dns_events) / sizeof(uint64_t),
	       "dns_events too small");

/* The kinds of parser state, each with its own size and free list. */
enum state_kind { SK_HTTP, SK_TLS, SK_DNS_TCP, SK_DNS_UDP, SK_MAX };

/* A freed parser state, kept for the next flow of its kind. */
struct free_state {
	struct free_state *next;
};

struct state_pool {
	size_t size;
	struct free_state *free;
};

struct applayer {
	struct applayer_config cfg;
	struct stream_pool *sp;
	struct state_pool pool[SK_MAX];
	struct applayer_stats st;
};

/* What a delivery callback needs: the packet being processed (NULL at
 * flow end: no inspection) and where its inspections go. */
struct deliver_ctx {
	struct applayer *al;
	const struct packet *p;
	struct flow *f;
	enum flow_dir dir;
	const struct applayer_hooks *h;
	void *arg;
};

void applayer_config_default(struct applayer_config *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->memcap = 256ull << 20;
	http_config_default(&c->http);
	stream_config_default(&c->stream);
}

struct applayer *applayer_new(const struct applayer_config *c)
{
	struct applayer *al = calloc(1, sizeof(*al));

	if (!al)
		return NULL;
	al->cfg = *c;
	al->pool[SK_HTTP].size = http_state_size(&c->http);
	al->pool[SK_TLS].size = tls_state_size();
	al->pool[SK_DNS_TCP].size = dns_state_size(true);
	al->pool[SK_DNS_UDP].size = dns_state_size(false);
	for (int k = 0; k < SK_MAX; k++)
		if (al->pool[k].size < sizeof(struct free_state))
			al->pool[k].size = sizeof(struct free_state);
	al->sp = stream_pool_create(&c->stream);
	if (!al->sp || !http_state_size(&c->http)) {
		applayer_free(al);
		return NULL;
	}
	return al;
}

void applayer_free(struct applayer *al)
{
	if (!al)
		return;
	for (int k = 0; k < SK_MAX; k++) {
		struct free_state *s, *n;

		for (s = al->pool[k].free; s; s = n) {
			n = s->next;
			free(s);
		}
	}
	stream_pool_destroy(al->sp);
	free(al);
}

void applayer_stats_add(struct applayer_stats *dst, const struct applayer_stats *src)
{
	uint64_t *d = (uint64_t *)(void *)dst;
	const uint64_t *s = (const uint64_t *)(const void *)src;

	/* every field is a uint64_t counter (memuse too: a sum of shares) */
	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

const struct applayer_stats *applayer_stats(const struct applayer *al)
{
	return &al->st;
}

const struct stream_stats *applayer_stream_stats(const struct applayer *al)
{
	return stream_pool_stats(al->sp);
}

/* ---- parser states --------------------------------------------------------- */

static int state_kind(const struct flow *f)
{
	switch (f->app.proto) {
	case APP_PROTO_HTTP: return SK_HTTP;
	case APP_PROTO_TLS: return SK_TLS;
	case APP_PROTO_DNS: return f->key.proto == 6 ? SK_DNS_TCP : SK_DNS_UDP;
	default: return -1;
	}
}

static void *state_get(struct applayer *al, int kind)
{
	struct state_pool *sp = &al->pool[kind];
	struct free_state *s = sp->free;

	if (s) {
		sp->free = s->next;
		return s;
	}
	if (al->st.memuse + sp->size > al->cfg.memcap) {
		al->st.memcap_refused++;
		return NULL;
	}
	/* once per flow while under the cap, never per packet */
	s = malloc(sp->size);
	if (!s) {
		al->st.memcap_refused++;
		return NULL;
	}
	al->st.memuse += sp->size;
	return s;
}

static void state_put(struct applayer *al, struct flow *f)
{
	struct free_state *s = f->app.state;
	int kind = state_kind(f);

	if (!s || kind < 0)
		return;
	if (kind == SK_HTTP)
		http_state_fini(f->app.state);
	s->next = al->pool[kind].free;
	al->pool[kind].free = s;
	f->app.state = NULL;
}

/* Direction d's protocol is decided now (d < 0: both, the flow failed). */
static void pd_done(struct flow *f, int d)
{
	uint8_t m = d < 0 ? 3 : (uint8_t)(1u << d);

	m &= (uint8_t)~f->app.pd;
	f->app.pd |= m;
	f->app.pkt |= m;        /* FLOW_APP_PKT_PD(0) and (1) are bits 0, 1 */
}

static void mark_failed(struct applayer *al, struct flow *f)
{
	f->app.proto = APP_PROTO_FAILED;
	al->st.flows[APP_PROTO_FAILED]++;
	pd_done(f, -1);
}

/* Give f parser state for proto and mark it detected; false (the flow
 * marked failed) when the memcap refuses. */
static bool start_proto(struct applayer *al, struct flow *f, uint8_t proto)
{
	int kind;

	f->app.proto = proto;
	kind = state_kind(f);
	f->app.state = state_get(al, kind);
	if (!f->app.state) {
		f->app.proto = APP_PROTO_FAILED;
		pd_done(f, -1);
		return false;
	}
	switch (kind) {
	case SK_HTTP: http_state_init(f->app.state, &al->cfg.http); break;
	case SK_TLS: tls_state_init(f->app.state); break;
	case SK_DNS_TCP: dns_state_init(f->app.state, true); break;
	default: dns_state_init(f->app.state, false); break;
	}
	al->st.flows[proto]++;
	return true;
}

/* ---- parsing --------------------------------------------------------------- */

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct deliver_ctx *c = arg;

	if (in->proto < APP_PROTO_MAX)
		c->al->st.tx[in->proto]++;
	/* at flow end there is no packet to report the match on */
	if (c->p && c->h && c->h->inspect)
		c->h->inspect(c->arg, c->p, c->f, in);
}

static void on_event(void *arg, unsigned ev)
{
	struct deliver_ctx *c = arg;
	uint64_t *ctr;
	size_t n;

	switch (c->f->app.proto) {
	case APP_PROTO_HTTP:
		ctr = c->al->st.http_events;
		n = sizeof(c->al->st.http_events) / sizeof(*ctr);
		break;
	case APP_PROTO_TLS:
		ctr = c->al->st.tls_events;
		n = sizeof(c->al->st.tls_events) / sizeof(*ctr);
		break;
	case APP_PROTO_DNS:
		ctr = c->al->st.dns_events;
		n = sizeof(c->al->st.dns_events) / sizeof(*ctr);
		break;
	default:
		return;
	}
	if (ev < n)
		ctr[ev]++;
}

static bool port_is(const struct flow *f, uint16_t port)
{
	return f->key.port[0] == port || f->key.port[1] == port;
}

static void parse(struct deliver_ctx *c, int d, const uint8_t *data, uint32_t len,
		  unsigned flags);

/* Pick a TCP flow's protocol from the first bytes of a direction: the
 * probes see the direction's first bytes gathered across deliveries. When
 * one matches, the bytes gathered before this delivery are parsed first
 * (the caller then parses this delivery). */
static void detect_proto(struct deliver_ctx *c, const uint8_t *data, uint32_t len)
{
	struct flow *f = c->f;
	int d = c->dir;
	uint8_t *pre = f->app.pre[d];
	uint32_t had = f->app.prelen[d], take = sizeof(f->app.pre[d]) - had;
	uint8_t proto = APP_PROTO_UNKNOWN;
	uint8_t old[sizeof(f->app.pre[d])];

	if (take > len)
		take = len;
	memcpy(pre + had, data, take);
	f->app.prelen[d] = (uint8_t)(had + take);
	if (http_probe(pre, f->app.prelen[d], d == FLOW_TOSERVER))
		proto = APP_PROTO_HTTP;
	else if (tls_probe(pre, f->app.prelen[d]))
		proto = APP_PROTO_TLS;
	else if (port_is(f, 53) && dns_probe(pre, f->app.prelen[d], true))
		proto = APP_PROTO_DNS;
	if (proto != APP_PROTO_UNKNOWN) {
		/* start_proto may not touch pre, but keep the bytes safe */
		memcpy(old, pre, had);
		if (start_proto(c->al, f, proto)) {
			pd_done(f, d);
			if (had)
				parse(c, d, old, had, 0);
		}
		return;
	}
	/* both prefixes full and nothing matched, or enough bytes seen */
	if ((f->app.prelen[0] == sizeof(f->app.pre[0]) &&
	     f->app.prelen[1] == sizeof(f->app.pre[1])) ||
	    f->app.stream[0].offset + f->app.stream[1].offset >= APP_PROBE_BYTES)
		mark_failed(c->al, f);
}

static void parse(struct deliver_ctx *c, int d, const uint8_t *data, uint32_t len,
		  unsigned flags)
{
	struct flow *f = c->f;

	if (len)
		f->app.pkt |= (uint8_t)FLOW_APP_PKT_DATA(d);
	switch (f->app.proto) {
	case APP_PROTO_HTTP:
		if (len)
			http_parse(f->app.state, d, data, len, on_inspect, on_event, c);
		if (flags & STREAM_EOF) {
			http_close(f->app.state, d, on_inspect, on_event, c);
			f->app.done |= (uint8_t)(1u << d);
		}
		break;
	case APP_PROTO_TLS:
		if (len)
			tls_parse(f->app.state, d, data, len, on_inspect, on_event, c);
		/* encrypted both ways or broken: nothing more to see */
		if (tls_done(f->app.state))
			f->app.done = 3;
		break;
	case APP_PROTO_DNS:
		if (len)
			dns_parse(f->app.state, d, data, len, on_inspect, on_event, c);
		break;
	default:
		break;
	}
}

static void deliver(void *arg, const uint8_t *data, uint32_t len, unsigned flags)
{
	struct deliver_ctx *c = arg;
	struct flow *f = c->f;
	int d = c->dir;

	/* the stream rules see every byte, whatever the parsers make of it */
	if (c->p && c->h && c->h->raw)
		c->h->raw(c->arg, c->p, f, c->dir, data, len, flags);
	if (f->app.proto == APP_PROTO_UNKNOWN && len && !(flags & STREAM_GAP))
		detect_proto(c, data, len);
	if (f->app.proto == APP_PROTO_UNKNOWN || f->app.proto == APP_PROTO_FAILED ||
	    (f->app.done & (1u << d)))
		return;
	/* the other side's first bytes: its protocol is the flow's */
	if (len && !(f->app.pd & (1u << d)))
		pd_done(f, d);
	if (flags & STREAM_GAP) {
		/* the parsers cannot resynchronise inside a message: this
		 * direction is done (Suricata stops its parser on a gap too) */
		c->al->st.gaps++;
		f->app.done |= (uint8_t)(1u << d);
		return;
	}
	parse(c, d, data, len, flags);
}

/* UDP: each datagram is one message (DNS). */
static void udp_packet(struct applayer *al, const struct packet *p, struct flow *f,
		       enum flow_dir dir, const struct applayer_hooks *h, void *arg)
{
	struct deliver_ctx c = { al, p, f, dir, h, arg };
	const uint8_t *data = p->data + p->payload_off;

	if (!p->payload_off || !p->payload_len)
		return;
	if (f->app.proto == APP_PROTO_UNKNOWN) {
		if (port_is(f, 53) && dns_probe(data, p->payload_len, false)) {
			if (!start_proto(al, f, APP_PROTO_DNS))
				return;
		} else {
			/* a few datagrams decide */
			if (f->pkts[0] + f->pkts[1] >= 4)
				mark_failed(al, f);
			return;
		}
	}
	if (f->app.proto == APP_PROTO_DNS) {
		if (!(f->app.pd & (1u << dir)))
			pd_done(f, dir);
		f->app.pkt |= (uint8_t)FLOW_APP_PKT_DATA(dir);
		dns_parse(f->app.state, dir, data, p->payload_len, on_inspect, on_event, &c);
	}
}

unsigned applayer_packet(struct applayer *al, const struct packet *p, struct flow *f,
			 enum flow_dir dir, const struct applayer_hooks *h, void *arg)
{
	struct deliver_ctx c = { al, p, f, dir, h, arg };
	bool raw = h && h->raw;
	uint16_t before;
	uint32_t next;
	struct stream_dir *sd;
	unsigned how = 0;

	if (!f)
		return 0;
	f->app.pkt = 0;
	if (f->app.proto == APP_PROTO_FAILED && !raw)
		return 0;
	if (p->proto == 17) {
		if (f->app.proto != APP_PROTO_FAILED)
			udp_packet(al, p, f, dir, h, arg);
		return 0;
	}
	if (p->proto != 6 || (f->app.done == 3 && !raw))
		return 0;
	sd = &f->app.stream[dir];
	before = sd->flags;
	next = sd->next_seq;
	stream_segment(al->sp, sd, p->tcp_seq,
		       p->payload_off ? p->data + p->payload_off : NULL,
		       p->payload_off ? p->payload_len : 0, p->tcp_flags, deliver, &c);
	/* a RST the stream accepted ends both directions; what the other
	 * direction still held is inspected against the RST seen from that
	 * side (endpoints swapped), so address and port checks hold */
	if ((p->tcp_flags & STREAM_TH_RST) && (sd->flags & STREAM_DIR_RST) &&
	    (f->app.stream[!dir].flags & STREAM_DIR_INIT) &&
	    !(f->app.stream[!dir].flags & STREAM_DIR_CLOSED) &&
	    (f->app.proto != APP_PROTO_FAILED || raw)) {
		struct packet sw = *p;
		struct deliver_ctx o = { al, &sw, f, (enum flow_dir)!dir, h, arg };

		sw.src = p->dst;
		sw.dst = p->src;
		sw.sport = p->dport;
		sw.dport = p->sport;
		sw.payload_off = 0;
		sw.payload_len = 0;
		stream_dir_flush(al->sp, &f->app.stream[!dir], deliver, &o);
	}
	/* nothing more to parse or match: hand the held blocks back at once */
	if (!raw && (f->app.proto == APP_PROTO_FAILED || f->app.done == 3)) {
		stream_dir_release(al->sp, &f->app.stream[0]);
		stream_dir_release(al->sp, &f->app.stream[1]);
	}
	if (p->payload_off && p->payload_len && (sd->flags & STREAM_DIR_INIT) &&
	    !(before & (STREAM_DIR_DEPTH | STREAM_DIR_CLOSED))) {
		how = APPLAYER_COVERED;
		/* sequence arithmetic: the payload ends at or before the next
		 * byte the direction expected before this packet */
		if ((before & STREAM_DIR_INIT) && !(p->tcp_flags & STREAM_TH_SYN) &&
		    (int32_t)(p->tcp_seq + p->payload_len - next) <= 0)
			how |= APPLAYER_RETRANS;
	}
	return how;
}

void applayer_flow_end(struct applayer *al, struct flow *f, const struct packet *const pseudo[2],
		       const struct applayer_hooks *h, void *arg)
{
	bool raw = h && h->raw && pseudo;

	for (int d = 0; d < 2; d++) {
		struct deliver_ctx c = { al, pseudo ? pseudo[d] : NULL, f, (enum flow_dir)d, h, arg };

		if (f->key.proto != 6 || (f->app.proto == APP_PROTO_FAILED && !raw))
			stream_dir_release(al->sp, &f->app.stream[d]);
		else
			stream_dir_flush(al->sp, &f->app.stream[d], deliver, &c);
	}
	state_put(al, f);
	memset(&f->app, 0, sizeof(f->app));
}
