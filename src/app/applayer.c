/*
 * applayer: stream reassembly, protocol detection and parsing per worker
 * (see applayer.h).
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/applayer.h"
#include "mamori/log.h"

/* A freed parser state, kept for the next flow of its protocol. */
struct free_state {
	struct free_state *next;
};

struct applayer {
	struct applayer_config cfg;
	struct stream_pool *sp;
	size_t http_size;               /* bytes of one HTTP state */
	struct free_state *free_http;
	struct applayer_stats st;
};

/* What a delivery callback needs: the packet being processed (NULL at
 * flow end: no inspection) and where its inspections go. */
struct deliver_ctx {
	struct applayer *al;
	const struct packet *p;
	struct flow *f;
	enum flow_dir dir;
	applayer_inspect_fn cb;
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
	al->http_size = http_state_size(&c->http);
	al->sp = stream_pool_create(&c->stream);
	if (!al->sp || !al->http_size) {
		applayer_free(al);
		return NULL;
	}
	return al;
}

void applayer_free(struct applayer *al)
{
	struct free_state *s, *n;

	if (!al)
		return;
	for (s = al->free_http; s; s = n) {
		n = s->next;
		free(s);
	}
	stream_pool_destroy(al->sp);
	free(al);
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

static void *state_get(struct applayer *al)
{
	struct free_state *s = al->free_http;

	if (s) {
		al->free_http = s->next;
		return s;
	}
	if (al->st.memuse + al->http_size > al->cfg.memcap) {
		al->st.memcap_refused++;
		return NULL;
	}
	/* once per flow while under the cap, never per packet */
	s = malloc(al->http_size);
	if (!s) {
		al->st.memcap_refused++;
		return NULL;
	}
	al->st.memuse += al->http_size;
	return s;
}

static void state_put(struct applayer *al, struct flow *f)
{
	struct free_state *s = f->app.state;

	if (!s)
		return;
	if (f->app.proto == APP_PROTO_HTTP)
		http_state_fini(f->app.state);
	s->next = al->free_http;
	al->free_http = s;
	f->app.state = NULL;
}

/* ---- parsing --------------------------------------------------------------- */

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct deliver_ctx *c = arg;

	if (in->proto < APP_PROTO_MAX)
		c->al->st.tx[in->proto]++;
	/* at flow end there is no packet to report the match on */
	if (c->p && c->cb)
		c->cb(c->arg, c->p, c->f, in);
}

static void on_event(void *arg, unsigned ev)
{
	struct deliver_ctx *c = arg;

	if (c->f->app.proto == APP_PROTO_HTTP &&
	    ev < sizeof(c->al->st.http_events) / sizeof(c->al->st.http_events[0]))
		c->al->st.http_events[ev]++;
}

/* Pick the flow's protocol from the first bytes of a direction. */
static void detect_proto(struct deliver_ctx *c, const uint8_t *data, uint32_t len)
{
	struct flow *f = c->f;
	uint8_t proto = APP_PROTO_UNKNOWN;

	if (http_probe(data, len, c->dir == FLOW_TOSERVER))
		proto = APP_PROTO_HTTP;
	if (proto == APP_PROTO_UNKNOWN) {
		uint64_t seen = f->app.stream[0].offset + f->app.stream[1].offset;

		if (seen >= APP_PROBE_BYTES) {
			f->app.proto = APP_PROTO_FAILED;
			c->al->st.flows[APP_PROTO_FAILED]++;
		}
		return;
	}
	f->app.state = state_get(c->al);
	if (!f->app.state) {
		f->app.proto = APP_PROTO_FAILED;
		return;
	}
	http_state_init(f->app.state, &c->al->cfg.http);
	f->app.proto = proto;
	c->al->st.flows[proto]++;
}

static void deliver(void *arg, const uint8_t *data, uint32_t len, unsigned flags)
{
	struct deliver_ctx *c = arg;
	struct flow *f = c->f;
	int d = c->dir;

	if (f->app.proto == APP_PROTO_UNKNOWN && len && !(flags & STREAM_GAP))
		detect_proto(c, data, len);
	if (f->app.proto != APP_PROTO_HTTP || (f->app.done & (1u << d)))
		return;
	if (flags & STREAM_GAP) {
		/* HTTP cannot resynchronise inside a message: this direction
		 * is done (Suricata stops the parser on a gap as well) */
		c->al->st.gaps++;
		f->app.done |= (uint8_t)(1u << d);
		return;
	}
	if (len)
		http_parse(f->app.state, d, data, len, on_inspect, on_event, c);
	if (flags & STREAM_EOF) {
		http_close(f->app.state, d, on_inspect, on_event, c);
		f->app.done |= (uint8_t)(1u << d);
	}
}

void applayer_packet(struct applayer *al, const struct packet *p, struct flow *f,
		     enum flow_dir dir, applayer_inspect_fn cb, void *arg)
{
	struct deliver_ctx c = { al, p, f, dir, cb, arg };

	if (!f || p->proto != 6 || f->app.proto == APP_PROTO_FAILED)
		return;
	stream_segment(al->sp, &f->app.stream[dir], p->tcp_seq,
		       p->payload_off ? p->data + p->payload_off : NULL,
		       p->payload_off ? p->payload_len : 0, p->tcp_flags, deliver, &c);
	/* a RST ends both directions */
	if ((p->tcp_flags & STREAM_TH_RST) && f->app.proto != APP_PROTO_FAILED) {
		struct deliver_ctx o = { al, p, f, (enum flow_dir)!dir, cb, arg };

		stream_dir_flush(al->sp, &f->app.stream[!dir], deliver, &o);
	}
	/* nothing to parse: hand the held blocks back at once */
	if (f->app.proto == APP_PROTO_FAILED) {
		stream_dir_release(al->sp, &f->app.stream[0]);
		stream_dir_release(al->sp, &f->app.stream[1]);
	}
}

void applayer_flow_end(struct applayer *al, struct flow *f)
{
	for (int d = 0; d < 2; d++) {
		struct deliver_ctx c = { al, NULL, f, (enum flow_dir)d, NULL, NULL };

		if (f->app.proto == APP_PROTO_FAILED)
			stream_dir_release(al->sp, &f->app.stream[d]);
		else
			stream_dir_flush(al->sp, &f->app.stream[d], deliver, &c);
	}
	state_put(al, f);
	memset(&f->app, 0, sizeof(f->app));
}
