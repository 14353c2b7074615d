/*
 * flow: the per-worker flow table.
 *
 * Everything is allocated in flow_table_create(): one array of max_flows
 * flows and one array of bucket heads. A flow lives on exactly one of three
 * kinds of list: the free list (threaded through hnext), or a hash chain
 * (hnext) plus one of FLOW_PC_MAX x FLOW_TS_MAX doubly-linked LRU lists, one
 * per timeout class. Every packet moves its flow to the tail of its class
 * list, so each list is ordered by last activity and all of its members share
 * one timeout: the sweep only ever looks at list heads and stops at the first
 * live one, which makes it O(expired) and lets it run between bursts with a
 * budget, the way Redis expires keys a little at a time. (Packet time decides;
 * a capture whose timestamps go backwards leaves a list slightly out of order,
 * which only delays a sweep, never ends a live flow early, because last_us
 * only moves forward.) When the table is full the flow to sacrifice is the
 * head of a list too: closed flows first (they are done), then new ones
 * (scans and floods), then established ones, the least recently active of the
 * tier across protocol classes.
 *
 * Keys are canonical (lower address:port first), so both directions of a
 * flow hash and compare alike without a second probe. The bucket is taken
 * from the high bits of a multiplicative remix of the hash: dispatch picks the
 * worker from the low bits of the same symmetric hash, so within one worker
 * those bits are nearly constant and masking them would leave most buckets
 * empty. A nonzero p->hash is trusted as that symmetric hash; it must then be
 * set on every packet (a flow created under one hash is not found under
 * another). Without it the table hashes the canonical key itself.
 *
 * The table belongs to one worker and takes no lock. on_end is called from
 * flow_packet (eviction, reuse), flow_sweep and flow_table_flush, and must
 * not call back into the table.
 */
#include <endian.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/flow.h"
#include "mamori/log.h"

#define NLISTS (FLOW_PC_MAX * FLOW_TS_MAX)

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/*
 * flow_id layout. A 51-bit preimage (35-bit per-table counter, 16-bit
 * worker id) goes through a keyed bijection of [0, 2^51): distinct
 * preimages give distinct ids, so ids are unique across all workers of a run
 * by construction, not by luck, for the first 2^35 (34 billion) flows of
 * each worker. The key is the run seed, changed for each further 2^35 flows,
 * so ids stay scrambled after that, unique with high probability. The start
 * time or the flow hash would add entropy, but any such input makes
 * collisions possible, so run_seed carries the per-run variation instead.
 * 51 bits keep the id exact in a JavaScript double (2^53).
 */
#define FLOW_ID_BITS 51
#define FLOW_ID_MASK ((UINT64_C(1) << FLOW_ID_BITS) - 1)
#define FLOW_ID_CTR_BITS (FLOW_ID_BITS - 16)
#define FLOW_ID_CTR_MASK ((UINT64_C(1) << FLOW_ID_CTR_BITS) - 1)

struct flow_list {
	struct flow *head, *tail;
};

struct flow_table {
	struct flow **buckets;
	unsigned hash_shift;            /* 64 - log2(buckets) */
	struct flow *flows;
	struct flow *free;
	struct flow_list lists[NLISTS];
	uint64_t timeout_us[NLISTS];
	flow_end_fn on_end;
	void *arg;
	uint64_t id_ctr;
	uint64_t run_seed;
	uint32_t nbuckets;
	uint32_t max_flows;
	uint16_t worker_id;
	bool midstream;                 /* stream.midstream */
	unsigned sweep_pos;             /* list the next sweep starts at */
	struct flow_stats stats;
};

_Static_assert(sizeof(struct flow_key) == 40, "flow_key must have no padding");

void flow_config_default(struct flow_config *cfg)
{
	/* suricata.yaml's flow and flow-timeouts defaults */
	static const uint32_t to[FLOW_PC_MAX][FLOW_TS_MAX] = {
		[FLOW_PC_DEFAULT] = { 30, 300, 0 },
		[FLOW_PC_TCP] = { 60, 600, 60 },
		[FLOW_PC_UDP] = { 30, 300, 0 },
		[FLOW_PC_ICMP] = { 30, 300, 0 },
	};

	memset(cfg, 0, sizeof(*cfg));
	cfg->hash_size = 65536;
	cfg->max_flows = 65536;
	memcpy(cfg->timeout, to, sizeof(to));
}

/* ---- keys and hashing ---- */

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* splitmix64's finaliser: a bijection with full avalanche */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* Addresses compare as big-endian byte strings, like Community ID. */
static inline int addr_cmp(const union ip_addr *a, const union ip_addr *b)
{
	uint64_t x = be64toh(a->q[0]), y = be64toh(b->q[0]);

	if (x == y) {
		x = be64toh(a->q[1]);
		y = be64toh(b->q[1]);
	}
	return x < y ? -1 : x > y;
}

/* ICMP messages that come in request/reply pairs carrying an identifier */
static inline bool icmp_has_id(int ver, uint8_t type)
{
	if (ver == 4)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return type == 128 || type == 129;
}

/* Builds the canonical key, stored as five 64-bit words (see key_word()). */
static inline bool key_build(const struct packet *p, struct flow_key *k, bool *swapped)
{
	union ip_addr src, dst;
	struct {
		uint16_t port[2];
		uint16_t vlan;
		uint8_t proto, ip_ver;
	} tail;
	uint16_t sp = 0, dp = 0;
	int ver = p->ip_ver;
	bool sw;
	int c;

	_Static_assert(sizeof(tail) == 8 && offsetof(struct flow_key, port) == 32,
		       "flow_key tail must be one 64-bit word");
	if (ver != 4 && ver != 6)
		ver = (p->flags & PKT_IPV4) ? 4 : (p->flags & PKT_IPV6) ? 6 : 0;
	if (!ver)
		return false;
	/* later fragments carry no L4 header: they cannot be keyed until
	 * reassembly exists */
	if ((p->flags & (PKT_FRAGMENT | PKT_FRAG_FIRST)) == PKT_FRAGMENT)
		return false;

	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
		sp = p->sport;
		dp = p->dport;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* the id pairs a ping with its reply and keeps two pings of the
		 * same hosts apart; errors and the rest share port 0 */
		if ((p->proto == IPPROTO_ICMP) == (ver == 4) &&
		    icmp_has_id(ver, p->icmp_type))
			sp = dp = p->icmp_id;
		break;
	default:
		break;
	}

	if (ver == 4) {
		/* do not trust bytes 4..15 of an IPv4 address to be zero */
		src.q[0] = src.q[1] = dst.q[0] = dst.q[1] = 0;
		src.w[0] = p->src.w[0];
		dst.w[0] = p->dst.w[0];
	} else {
		src = p->src;
		dst = p->dst;
	}

	c = addr_cmp(&src, &dst);
	sw = c > 0 || (c == 0 && sp > dp);
	k->addr[0].q[0] = sw ? dst.q[0] : src.q[0];
	k->addr[0].q[1] = sw ? dst.q[1] : src.q[1];
	k->addr[1].q[0] = sw ? src.q[0] : dst.q[0];
	k->addr[1].q[1] = sw ? src.q[1] : dst.q[1];
	tail.port[0] = sw ? dp : sp;
	tail.port[1] = sw ? sp : dp;
	tail.vlan = p->vlan_count ? (p->vlan[0] & 0x0fff) : 0;
	tail.proto = p->proto;
	tail.ip_ver = (uint8_t)ver;
	memcpy(&k->port[0], &tail, sizeof(tail));
	*swapped = sw;
	return true;
}

bool flow_key_from_packet(const struct packet *p, struct flow_key *k, bool *swapped)
{
	bool sw;

	if (!key_build(p, k, &sw))
		return false;
	if (swapped)
		*swapped = sw;
	return true;
}

/*
 * The key is read back as the same five 64-bit words key_build() stored.
 * Copying it through a wider or differently split access (GCC turns a
 * memcpy of the whole key into 16-byte moves) cannot be forwarded from those
 * stores, so the load waits until they retire, behind the previous packet's
 * cache misses, and consecutive lookups no longer overlap: measured 2.5-3x
 * slower per packet on a table larger than the cache.
 */
static inline uint64_t key_word(const struct flow_key *k, unsigned i)
{
	uint64_t w;

	if (i < 4)
		return k->addr[i >> 1].q[i & 1];
	memcpy(&w, &k->port[0], sizeof(w));
	return w;
}

/* Creation only. GCC may still pair these into 16-byte moves; forcing it
 * apart made no measurable difference under a SYN flood, where eviction
 * dominates. */
static inline void key_copy(struct flow_key *dst, const struct flow_key *src)
{
	for (unsigned i = 0; i < 4; i++)
		dst->addr[i >> 1].q[i & 1] = src->addr[i >> 1].q[i & 1];
	memcpy(&dst->port[0], &src->port[0], sizeof(uint64_t));
}

/* Used when dispatch left p->hash at 0. Any function of the canonical key
 * is symmetric; seeded so that colliding keys cannot be precomputed. */
static inline uint32_t key_hash(const struct flow_key *k, uint64_t seed)
{
	uint64_t h = seed;

	for (unsigned i = 0; i < 5; i++)
		h = rotl64((h ^ key_word(k, i)) * UINT64_C(0x9e3779b97f4a7c15), 29);
	return (uint32_t)mix64(h);
}

static inline bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t d = 0;

	for (unsigned i = 0; i < 5; i++)
		d |= key_word(a, i) ^ key_word(b, i);
	return d == 0;
}

static inline uint32_t bucket_of(const struct flow_table *ft, uint32_t h)
{
	return (uint32_t)(((uint64_t)h * UINT64_C(0x9e3779b97f4a7c15)) >> ft->hash_shift);
}

/* ---- flow ids ---- */

/* A keyed bijection of [0, 2^51): xor-shifts and odd multiplies mod 2^51
 * are each invertible. */
static uint64_t perm51(uint64_t x, uint64_t key)
{
	x = (x ^ key) & FLOW_ID_MASK;
	x ^= x >> 25;
	x = (x * UINT64_C(0xbf58476d1ce4e5b9)) & FLOW_ID_MASK;
	x ^= x >> 23;
	x = (x * UINT64_C(0x94d049bb133111eb)) & FLOW_ID_MASK;
	x ^= x >> 26;
	x = (x + (key >> 13)) & FLOW_ID_MASK;
	return x;
}

static uint64_t flow_id_next(struct flow_table *ft)
{
	uint64_t id;

	do {
		uint64_t ctr = ft->id_ctr++;
		uint64_t key = ft->run_seed ^
			mix64((ctr >> FLOW_ID_CTR_BITS) + UINT64_C(0x6d616d6f7269));

		id = perm51(((ctr & FLOW_ID_CTR_MASK) << 16) | ft->worker_id, key);
	} while (id == 0); /* exactly one preimage per key maps to 0 */
	return id;
}

/* ---- timeout classes and lists ---- */

static inline unsigned proto_class(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return FLOW_PC_TCP;
	case IPPROTO_UDP:
		return FLOW_PC_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return FLOW_PC_ICMP;
	default:
		return FLOW_PC_DEFAULT;
	}
}

/*
 * The timeout state of a flow. TCP follows its state machine; a TCP flow
 * picked up midstream (state NONE) counts as established once both sides
 * have spoken, as Suricata does with stream.midstream. Other protocols are
 * new until a packet is seen in each direction.
 */
static inline unsigned flow_tstate(const struct flow *f)
{
	bool both = f->pkts[0] && f->pkts[1];

	if (f->key.proto == IPPROTO_TCP) {
		switch (f->tcp_state) {
		case TCP_STATE_ESTABLISHED:
			return FLOW_TS_ESTABLISHED;
		case TCP_STATE_CLOSING:
		case TCP_STATE_CLOSED:
		case TCP_STATE_RESET:
			return FLOW_TS_CLOSED;
		case TCP_STATE_NONE:
			return both ? FLOW_TS_ESTABLISHED : FLOW_TS_NEW;
		default:
			return FLOW_TS_NEW;
		}
	}
	return both ? FLOW_TS_ESTABLISHED : FLOW_TS_NEW;
}

static inline void list_unlink(struct flow_table *ft, struct flow *f)
{
	struct flow_list *l = &ft->lists[f->list];

	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
	f->list = FLOW_LIST_NONE;
}

static inline void list_append(struct flow_table *ft, struct flow *f, unsigned li)
{
	struct flow_list *l = &ft->lists[li];

	f->list = (uint8_t)li;
	f->lnext = NULL;
	f->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = f;
	else
		l->head = f;
	l->tail = f;
}

/* ---- life cycle ---- */

struct flow_table *flow_table_create(const struct flow_config *cfg,
				     flow_end_fn on_end, void *arg)
{
	struct flow_table *ft;
	uint32_t nb = 16;
	unsigned bits = 4;

	if (!cfg->max_flows) {
		log_error("flow: max_flows is 0; set flow.memcap or flow.max-flows");
		return NULL;
	}
	while (nb < cfg->hash_size && bits < 31) {
		nb <<= 1;
		bits++;
	}

	ft = calloc(1, sizeof(*ft));
	if (!ft)
		goto nomem;
	ft->flows = calloc(cfg->max_flows, sizeof(struct flow));
	ft->buckets = calloc(nb, sizeof(struct flow *));
	if (!ft->flows || !ft->buckets)
		goto nomem;
	/* touch the bucket array now: calloc'd pages would otherwise fault
	 * in on the packet path (the flow array is touched below) */
	memset(ft->buckets, 0, (size_t)nb * sizeof(struct flow *));

	ft->nbuckets = nb;
	ft->hash_shift = 64 - bits;
	ft->max_flows = cfg->max_flows;
	ft->worker_id = cfg->worker_id;
	ft->run_seed = cfg->run_seed;
	ft->midstream = cfg->midstream;
	ft->on_end = on_end;
	ft->arg = arg;
	for (unsigned pc = 0; pc < FLOW_PC_MAX; pc++)
		for (unsigned ts = 0; ts < FLOW_TS_MAX; ts++)
			ft->timeout_us[FLOW_LIST(pc, ts)] =
				(uint64_t)cfg->timeout[pc][ts] * 1000000u;

	/* free list in array order, so a fresh table fills memory in order */
	for (uint32_t i = cfg->max_flows; i-- > 0;) {
		ft->flows[i].list = FLOW_LIST_NONE;
		ft->flows[i].hnext = ft->free;
		ft->free = &ft->flows[i];
	}
	return ft;

nomem:
	log_error("flow: cannot allocate %u flows (%zu MiB) and %u buckets; "
		  "lower flow.memcap", cfg->max_flows,
		  (size_t)cfg->max_flows * sizeof(struct flow) >> 20, nb);
	if (ft) {
		free(ft->flows);
		free(ft->buckets);
		free(ft);
	}
	return NULL;
}

/* Frees without ending flows: call flow_table_flush first to report them. */
void flow_table_destroy(struct flow_table *ft)
{
	if (!ft)
		return;
	free(ft->buckets);
	free(ft->flows);
	free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
	return &ft->stats;
}

/* The one release path: report, unlink from chain and list, recycle. */
static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
	struct flow **pp = &ft->buckets[bucket_of(ft, f->hash)];

	if (ft->on_end)
		ft->on_end(ft->arg, f, why);
	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	list_unlink(ft, f);
	f->hnext = ft->free;
	ft->free = f;
	ft->stats.active--;
}

/* Table full: end the least recently active flow of the cheapest tier. */
static void flow_evict_one(struct flow_table *ft)
{
	static const uint8_t tiers[] = { FLOW_TS_CLOSED, FLOW_TS_NEW, FLOW_TS_ESTABLISHED };

	for (unsigned t = 0; t < sizeof(tiers); t++) {
		struct flow *victim = NULL;

		for (unsigned pc = 0; pc < FLOW_PC_MAX; pc++) {
			struct flow *h = ft->lists[FLOW_LIST(pc, tiers[t])].head;

			if (h && (!victim || h->last_us < victim->last_us))
				victim = h;
		}
		if (victim) {
			flow_end(ft, victim, FLOW_END_EVICTED);
			ft->stats.evicted++;
			return;
		}
	}
}

static struct flow *flow_new(struct flow_table *ft, const struct flow_key *k,
			     uint32_t h, const struct packet *p, bool swapped)
{
	struct flow **bucket;
	struct flow *f;

	if (!ft->free)
		flow_evict_one(ft);
	f = ft->free;
	ft->free = f->hnext;

	memset(f, 0, sizeof(*f));
	key_copy(&f->key, k);
	f->hash = h;
	f->flow_id = flow_id_next(ft);
	f->start_us = f->last_us = p->ts_us;
	f->list = FLOW_LIST_NONE;
	f->client = swapped;
	if (k->proto == IPPROTO_TCP) {
		uint8_t fl = p->tcp_flags & (TCP_SYN | TCP_ACK);

		/* a SYN-ACK first means we missed the SYN: its destination
		 * opened the connection. Suricata turns the flow around only
		 * when it picks the session up (stream.midstream); otherwise
		 * the first packet's sender stays the client. */
		if (fl == (TCP_SYN | TCP_ACK) && ft->midstream &&
		    !(p->tcp_flags & (TCP_RST | TCP_FIN)))
			f->client = !swapped;
		if (fl != TCP_SYN)
			f->flags |= FLOW_F_MIDSTREAM;
	} else if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
	}

	bucket = &ft->buckets[bucket_of(ft, h)];
	f->hnext = *bucket;
	*bucket = f;

	ft->stats.total++;
	ft->stats.active++;
	switch (k->proto) {
	case IPPROTO_TCP:
		ft->stats.tcp++;
		break;
	case IPPROTO_UDP:
		ft->stats.udp++;
		break;
	case IPPROTO_ICMP:
		if (k->ip_ver == 4)
			ft->stats.icmpv4++;
		else
			ft->stats.other++;
		break;
	case IPPROTO_ICMPV6:
		if (k->ip_ver == 6)
			ft->stats.icmpv6++;
		else
			ft->stats.other++;
		break;
	default:
		ft->stats.other++;
		break;
	}
	return f;
}

static inline struct flow *chain_find(const struct flow_table *ft,
				      const struct flow_key *k, uint32_t h)
{
	struct flow *f = ft->buckets[bucket_of(ft, h)];

	while (f && (f->hash != h || !key_eq(&f->key, k)))
		f = f->hnext;
	return f;
}

struct flow *flow_lookup(struct flow_table *ft, const struct packet *p)
{
	struct flow_key k;
	bool sw;

	if (!key_build(p, &k, &sw))
		return NULL;
	return chain_find(ft, &k, p->hash ? p->hash : key_hash(&k, ft->run_seed));
}

/*
 * TCP states, deliberately simpler than a stream engine's: no sequence
 * checks, just enough to pick the timeout class, to count handshakes and
 * to say when a flow is established. RST wins from any state; a FIN moves
 * to CLOSING, and FINs from both sides to CLOSED; a closed or reset flow
 * changes only through reuse.
 *
 * A flow whose SYN was missed is taken up the way Suricata's stream engine
 * does with stream.midstream on (its checks in this order): a RST never
 * starts a session; a FIN or an ACK without SYN starts one as established
 * (a FIN then closing, like any FIN); a first SYN-ACK starts it half open,
 * turned around in flow_new(), and the client's ACK completes it. With midstream
 * off such a flow stays in state NONE and is never established, which is
 * also what a packet without ACK, FIN or RST leaves behind either way.
 */
static void tcp_update(struct flow_table *ft, struct flow *f, uint8_t fl,
		       enum flow_dir d, bool is_new)
{
	uint8_t s = f->tcp_state;

	f->tcp_flags[d] |= fl;
	if (fl & TCP_RST) {
		f->tcp_state = TCP_STATE_RESET;
		return;
	}
	if (s == TCP_STATE_CLOSED || s == TCP_STATE_RESET)
		return;

	if (s == TCP_STATE_NONE) {
		if ((fl & (TCP_SYN | TCP_ACK | TCP_FIN)) == TCP_SYN) {
			if (is_new)
				s = TCP_STATE_SYN_SENT;
		} else if (!ft->midstream) {
			/* not picked up: no session, never established */
		} else if ((fl & (TCP_SYN | TCP_FIN)) == TCP_SYN) {
			/* SYN-ACK: half open only on the first packet, which
			 * flow_new() turned around */
			if (is_new)
				s = TCP_STATE_SYN_RECV;
		} else if (fl & (TCP_FIN | TCP_ACK)) {
			s = TCP_STATE_ESTABLISHED;
			f->flags |= FLOW_F_ESTABLISHED;
		}
	} else if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
		if (s == TCP_STATE_SYN_SENT && d == FLOW_TOCLIENT)
			s = TCP_STATE_SYN_RECV;
	} else if ((fl & (TCP_SYN | TCP_ACK)) == TCP_ACK) {
		if (s == TCP_STATE_SYN_RECV && d == FLOW_TOSERVER) {
			s = TCP_STATE_ESTABLISHED;
			f->flags |= FLOW_F_ESTABLISHED;
			ft->stats.tcp_established++;
		}
	}
	if (fl & TCP_FIN)
		s = (f->tcp_flags[0] & f->tcp_flags[1] & TCP_FIN) ?
			TCP_STATE_CLOSED : TCP_STATE_CLOSING;
	f->tcp_state = s;
}

struct flow *flow_packet(struct flow_table *ft, const struct packet *p,
			 enum flow_dir *dir)
{
	struct flow_key k;
	struct flow *f;
	enum flow_dir d;
	bool sw, is_new = false;
	uint32_t h;
	unsigned li;

	if (!key_build(p, &k, &sw)) {
		ft->stats.no_flow++;
		return NULL;
	}
	h = p->hash ? p->hash : key_hash(&k, ft->run_seed);
	f = chain_find(ft, &k, h);

	/* port reuse: a bare SYN on a finished connection starts a new one */
	if (f && k.proto == IPPROTO_TCP &&
	    (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
	    (f->tcp_state == TCP_STATE_CLOSED || f->tcp_state == TCP_STATE_RESET)) {
		flow_end(ft, f, FLOW_END_REUSED);
		ft->stats.reused++;
		f = NULL;
	}
	if (!f) {
		f = flow_new(ft, &k, h, p, sw);
		is_new = true;
	}

	d = (uint8_t)sw == f->client ? FLOW_TOSERVER : FLOW_TOCLIENT;
	/* detection judges the packet by the state it arrived in */
	if (f->flags & FLOW_F_ESTABLISHED)
		f->flags |= FLOW_F_PKT_ESTABLISHED;
	f->pkts[d]++;
	f->bytes[d] += p->wirelen;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	if (k.proto == IPPROTO_TCP)
		tcp_update(ft, f, p->tcp_flags, d, is_new);

	/* to the tail of its class list; a flow already there (a burst of
	 * one flow) costs nothing */
	li = FLOW_LIST(proto_class(k.proto), flow_tstate(f));
	if (f->list != li || f->lnext) {
		if (f->list != FLOW_LIST_NONE)
			list_unlink(ft, f);
		list_append(ft, f, li);
	}

	if (dir)
		*dir = d;
	return f;
}

unsigned flow_sweep(struct flow_table *ft, uint64_t now_us, unsigned budget)
{
	unsigned n = 0;

	/* start at a different list each call, so a budget that runs out on
	 * one busy list does not starve the others */
	for (unsigned i = 0; i < NLISTS && n < budget; i++) {
		unsigned li = (ft->sweep_pos + i) % NLISTS;
		struct flow_list *l = &ft->lists[li];
		uint64_t to = ft->timeout_us[li];
		struct flow *f;

		while (n < budget && (f = l->head) && f->last_us + to <= now_us) {
			flow_end(ft, f, FLOW_END_TIMEOUT);
			ft->stats.timeout++;
			n++;
		}
	}
	ft->sweep_pos = (ft->sweep_pos + 1) % NLISTS;
	return n;
}

void flow_table_flush(struct flow_table *ft)
{
	for (unsigned li = 0; li < NLISTS; li++) {
		struct flow *f;

		while ((f = ft->lists[li].head)) {
			flow_end(ft, f, FLOW_END_SHUTDOWN);
			ft->stats.shutdown++;
		}
	}
}

void flow_endpoints(const struct flow *f, const union ip_addr **csrc, uint16_t *cport,
		    const union ip_addr **sdst, uint16_t *sport)
{
	unsigned c = f->client, s = !f->client;

	if (csrc)
		*csrc = &f->key.addr[c];
	if (cport)
		*cport = f->key.port[c];
	if (sdst)
		*sdst = &f->key.addr[s];
	if (sport)
		*sport = f->key.port[s];
}

const char *tcp_state_name(enum tcp_state s)
{
	/* Suricata's tcp.state names where they exist */
	static const char *const names[] = {
		[TCP_STATE_NONE] = "none",
		[TCP_STATE_SYN_SENT] = "syn_sent",
		[TCP_STATE_SYN_RECV] = "syn_recv",
		[TCP_STATE_ESTABLISHED] = "established",
		[TCP_STATE_CLOSING] = "closing",
		[TCP_STATE_CLOSED] = "closed",
		[TCP_STATE_RESET] = "reset",
	};

	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}

void flow_stats_add(struct flow_stats *dst, const struct flow_stats *src)
{
	dst->total += src->total;
	dst->active += src->active;
	dst->tcp += src->tcp;
	dst->udp += src->udp;
	dst->icmpv4 += src->icmpv4;
	dst->icmpv6 += src->icmpv6;
	dst->other += src->other;
	dst->timeout += src->timeout;
	dst->evicted += src->evicted;
	dst->reused += src->reused;
	dst->shutdown += src->shutdown;
	dst->tcp_established += src->tcp_established;
	dst->no_flow += src->no_flow;
}
