/*
 * defrag: IPv4/IPv6 reassembly with bounded memory (see defrag.h).
 *
 * A tracker holds one datagram, keyed as the target keys it: IPv4 by
 * (source, destination, identification, protocol) (RFC 791), IPv6 by
 * (source, destination, identification) (RFC 8200 4.5: the next header
 * may not take part), both plus the VLAN id as the flow table does.
 * Trackers sit in a hash of index chains and on one list in order of last
 * activity, so the timeout sweep pops expired ones from its head.
 *
 * Each fragment is stored whole, as it arrived: a descriptor (offset,
 * length, arrival number) on the tracker's list sorted by offset, its bytes
 * in a chain of fixed-size chunks (the offset-0 fragment's IP header and,
 * for IPv6, its unfragmentable extension headers first). Nothing is trimmed
 * on arrival; the overlap policy is applied once, when the datagram is
 * complete: the fragments paint an owner map of the datagram in arrival
 * order, a fragment taking a byte from its current owner when the policy
 * says the newer copy wins (defrag.h has the rule per policy). Deciding by
 * whole extents in arrival order is what the targets do one insert at a
 * time, and it reproduces the published results of Novak's test pattern
 * for every policy (test_defrag). Painting costs the bytes held, which
 * max-frags-per-datagram and memcap bound.
 *
 * Trackers, descriptors and chunks come from free lists, refilled from a
 * high-water mark, so memory the traffic never needed is never touched
 * (prealloc touches the tracker and descriptor tables, as Suricata
 * preallocates its trackers). A full pool drops the new fragment and
 * counts it rather than evicting a datagram another host is sending.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/defrag.h"

#include "decode-private.h"     /* rd16, rd32 */

#define NIL UINT32_MAX
#define CHUNK 256               /* data bytes per chunk */
#define OWNER_NONE 0xffffu
#define MAX_EXTHDRS 16          /* as the decoder's chain limit */

enum { P_HOPOPTS = 0, P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_ROUTING = 43,
       P_FRAGMENT = 44, P_AH = 51, P_ICMPV6 = 58, P_DSTOPTS = 60 };

/* 40 bytes, no padding: compared with memcmp. */
struct dg_key {
	union ip_addr src, dst;
	uint32_t id;
	uint16_t vlan;
	uint8_t proto;          /* IPv4 only; 0 for IPv6 */
	uint8_t ver;
};
_Static_assert(sizeof(struct dg_key) == 40, "dg_key is hashed and compared as 5 words");

struct tracker {
	struct dg_key key;
	uint64_t last_us;       /* time of the last fragment */
	uint32_t hash;
	uint32_t hnext;         /* hash chain; free list */
	uint32_t lprev, lnext;  /* activity list */
	uint32_t frags;         /* fragments sorted by offset */
	uint32_t total;         /* datagram data length, once seen_last */
	uint16_t nfrags;
	uint8_t seen_last;
	uint8_t dead;           /* dropped (too many fragments): ignore the rest */
	uint8_t overlapped;     /* some fragments overlap: the policy decides */
};

struct frag {
	uint32_t next;          /* tracker list; free list */
	uint32_t chunk;         /* first data chunk */
	uint32_t off, len;      /* data offset in the datagram, data length */
	uint16_t hdr_len;       /* header bytes stored before the data */
	uint16_t nh_off;        /* IPv6: byte of hdr that names the frag header */
	uint16_t seq;           /* arrival number within the datagram */
	uint8_t nh;             /* IPv6: the fragment header's next header */
	uint8_t mf;
};

struct defrag {
	uint64_t timeout_us;
	enum defrag_policy policy;
	uint32_t max_per_dg;
	uint32_t min_frag_size;
	uint32_t seed;

	uint32_t *buckets;
	uint32_t bucket_mask;

	struct tracker *trk;
	uint32_t ntrk, trk_hwm, trk_free;
	uint32_t lru_head, lru_tail;

	struct frag *frg;
	uint32_t nfrg, frg_hwm, frg_free;

	uint8_t (*chunk)[CHUNK];
	uint32_t *chunk_next;
	uint32_t nchunk, chunk_hwm, chunk_free, chunks_avail;

	uint16_t *owner;        /* reassembly scratch: one entry per byte */
	uint32_t *order;        /* fragments by arrival number */

	uint64_t mem;
	unsigned nev;
	enum decode_event ev[4];
	struct defrag_stats st;
};

static const char *const policy_names[DEFRAG_POLICY_MAX] = {
	[DEFRAG_POLICY_FIRST] = "first",
	[DEFRAG_POLICY_LAST] = "last",
	[DEFRAG_POLICY_BSD] = "bsd",
	[DEFRAG_POLICY_BSD_RIGHT] = "bsd-right",
	[DEFRAG_POLICY_LINUX] = "linux",
	[DEFRAG_POLICY_WINDOWS] = "windows",
	[DEFRAG_POLICY_SOLARIS] = "solaris",
};

const char *defrag_policy_name(enum defrag_policy pol)
{
	return (unsigned)pol < DEFRAG_POLICY_MAX ? policy_names[pol] : NULL;
}

/* host-os-policy's operating system names, mapped as Suricata maps them to
 * its defrag policies (defrag.c, DefragGetOsPolicy). */
static const struct {
	const char *name;
	enum defrag_policy pol;
} policy_aliases[] = {
	{ "hpux10", DEFRAG_POLICY_BSD },
	{ "irix", DEFRAG_POLICY_BSD },
	{ "old-linux", DEFRAG_POLICY_LINUX },
	{ "old-solaris", DEFRAG_POLICY_FIRST },
	{ "hpux11", DEFRAG_POLICY_FIRST },
	{ "macos", DEFRAG_POLICY_FIRST },
	{ "vista", DEFRAG_POLICY_WINDOWS },
	{ "windows2k3", DEFRAG_POLICY_WINDOWS },
};

int defrag_policy_parse(const char *name, enum defrag_policy *out)
{
	for (unsigned i = 0; i < DEFRAG_POLICY_MAX; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum defrag_policy)i;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(policy_aliases) / sizeof(policy_aliases[0]); i++) {
		if (strcmp(name, policy_aliases[i].name) == 0) {
			*out = policy_aliases[i].pol;
			return 0;
		}
	}
	return -1;
}

void defrag_config_default(struct defrag_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memcap = 32u << 20;
	cfg->hash_size = 65536;
	cfg->trackers = 65535;
	cfg->max_frags = 65535;
	cfg->prealloc = true;
	cfg->timeout = 60;
	cfg->policy = DEFRAG_POLICY_BSD;
	cfg->max_frags_per_datagram = 256;
	cfg->min_frag_size = 0;
}

void defrag_stats_add(struct defrag_stats *dst, const struct defrag_stats *src)
{
	uint64_t *d = (uint64_t *)dst;
	const uint64_t *s = (const uint64_t *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
		d[i] += s[i];
}

static uint32_t round_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 31))
		p <<= 1;
	return p;
}

/* ---- creation ------------------------------------------------------------ */

struct defrag *defrag_create(const struct defrag_config *cfg, unsigned nworkers,
			     char *err, size_t errlen)
{
	struct defrag *d;
	uint64_t share, fixed, nchunk;
	uint32_t ntrk, nfrg, nbuckets;

	if (nworkers == 0)
		nworkers = 1;
	if (cfg->timeout == 0 || cfg->max_frags_per_datagram < 2 ||
	    cfg->max_frags_per_datagram >= OWNER_NONE ||
	    (unsigned)cfg->policy >= DEFRAG_POLICY_MAX) {
		snprintf(err, errlen, "defrag: bad timeout, policy or "
			 "max-frags-per-datagram");
		return NULL;
	}
	share = cfg->memcap / nworkers;
	ntrk = cfg->trackers / nworkers;
	nfrg = cfg->max_frags / nworkers;
	if (ntrk < 1)
		ntrk = 1;
	if (nfrg < 2)
		nfrg = 2;
	nbuckets = round_pow2(cfg->hash_size / nworkers < 16 ? 16 :
			      cfg->hash_size / nworkers);

	/* the memcap holds what traffic fills; the reassembly scratch
	 * (128 KiB) is working memory like the worker's scratch packet */
	fixed = (uint64_t)ntrk * sizeof(struct tracker) +
		(uint64_t)nbuckets * sizeof(uint32_t) +
		(uint64_t)nfrg * sizeof(struct frag);
	/* at least one datagram of the largest size must fit */
	if (share < fixed + (DEFRAG_OUT_MAX / CHUNK + 2) * (uint64_t)(CHUNK + 4)) {
		snprintf(err, errlen, "defrag.memcap: %llu bytes per worker "
			 "do not hold %u trackers and %u fragments plus one "
			 "64 KiB datagram; raise defrag.memcap or lower "
			 "defrag.trackers / defrag.max-frags (needs %llu per worker)",
			 (unsigned long long)share, ntrk, nfrg,
			 (unsigned long long)(fixed + (DEFRAG_OUT_MAX / CHUNK + 2) *
					      (uint64_t)(CHUNK + 4)));
		return NULL;
	}
	nchunk = (share - fixed) / (CHUNK + 4);
	if (nchunk > UINT32_MAX / 2)
		nchunk = UINT32_MAX / 2;

	d = calloc(1, sizeof(*d));
	if (!d)
		goto oom;
	d->timeout_us = (uint64_t)cfg->timeout * 1000000u;
	d->policy = cfg->policy;
	d->max_per_dg = cfg->max_frags_per_datagram;
	d->min_frag_size = cfg->min_frag_size;
	d->seed = cfg->seed;
	d->ntrk = ntrk;
	d->nfrg = nfrg;
	d->nchunk = (uint32_t)nchunk;
	d->bucket_mask = nbuckets - 1;
	d->trk_free = d->frg_free = d->chunk_free = NIL;
	d->lru_head = d->lru_tail = NIL;
	d->chunks_avail = d->nchunk;

	d->buckets = malloc((size_t)nbuckets * sizeof(uint32_t));
	d->trk = calloc(ntrk, sizeof(*d->trk));
	d->frg = calloc(nfrg, sizeof(*d->frg));
	d->chunk = calloc(d->nchunk, CHUNK);
	d->chunk_next = calloc(d->nchunk, sizeof(uint32_t));
	d->owner = calloc(DEFRAG_OUT_MAX, sizeof(uint16_t));
	d->order = calloc(cfg->max_frags_per_datagram, sizeof(uint32_t));
	if (!d->buckets || !d->trk || !d->frg || !d->chunk || !d->chunk_next ||
	    !d->owner || !d->order)
		goto oom;
	memset(d->buckets, 0xff, (size_t)nbuckets * sizeof(uint32_t));
	if (cfg->prealloc) {
		/* fault the tables in now rather than on the packet path */
		memset(d->trk, 0, (size_t)ntrk * sizeof(*d->trk));
		memset(d->frg, 0, (size_t)nfrg * sizeof(*d->frg));
	}
	d->mem = sizeof(*d) + fixed + nchunk * (CHUNK + 4) +
		 (uint64_t)DEFRAG_OUT_MAX * sizeof(uint16_t) +
		 (uint64_t)cfg->max_frags_per_datagram * sizeof(uint32_t);
	return d;
oom:
	defrag_destroy(d);
	snprintf(err, errlen, "defrag: out of memory for %llu bytes",
		 (unsigned long long)share);
	return NULL;
}

void defrag_destroy(struct defrag *d)
{
	if (!d)
		return;
	free(d->buckets);
	free(d->trk);
	free(d->frg);
	free(d->chunk);
	free(d->chunk_next);
	free(d->owner);
	free(d->order);
	free(d);
}

uint64_t defrag_memory(const struct defrag *d)
{
	return d->mem;
}

const struct defrag_stats *defrag_stats(const struct defrag *d)
{
	return &d->st;
}

unsigned defrag_events(const struct defrag *d, enum decode_event *ev, unsigned max)
{
	for (unsigned i = 0; i < d->nev && i < max; i++)
		ev[i] = d->ev[i];
	return d->nev;
}

static void raise_event(struct defrag *d, enum decode_event ev)
{
	for (unsigned i = 0; i < d->nev; i++)
		if (d->ev[i] == ev)
			return;
	if (d->nev < 4)
		d->ev[d->nev++] = ev;
}

void defrag_restore_context(struct packet *rp, const struct packet *frag)
{
	rp->vlan[0] = frag->vlan[0];
	rp->vlan[1] = frag->vlan[1];
	rp->vlan_count = frag->vlan_count;
	rp->mpls_count = frag->mpls_count;
	rp->ts_us = frag->ts_us;
	rp->flags |= PKT_REASSEMBLED;
}

/* ---- pools ----------------------------------------------------------------- */

static uint32_t chunk_get(struct defrag *d)
{
	uint32_t c = d->chunk_free;

	if (c != NIL)
		d->chunk_free = d->chunk_next[c];
	else
		c = d->chunk_hwm++;
	d->chunk_next[c] = NIL;
	d->chunks_avail--;
	d->st.chunks_used++;
	return c;
}

static void frag_free(struct defrag *d, uint32_t fi)
{
	struct frag *f = &d->frg[fi];
	uint32_t c = f->chunk;

	while (c != NIL) {
		uint32_t n = d->chunk_next[c];

		d->chunk_next[c] = d->chunk_free;
		d->chunk_free = c;
		d->chunks_avail++;
		d->st.chunks_used--;
		c = n;
	}
	f->next = d->frg_free;
	d->frg_free = fi;
}

static uint32_t frag_get(struct defrag *d)
{
	uint32_t fi = d->frg_free;

	if (fi != NIL) {
		d->frg_free = d->frg[fi].next;
		return fi;
	}
	if (d->frg_hwm < d->nfrg)
		return d->frg_hwm++;
	return NIL;
}

static uint32_t key_hash(const struct dg_key *k, uint32_t seed)
{
	uint64_t w[5], h = 0x9e3779b97f4a7c15ull ^ seed;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static void lru_unlink(struct defrag *d, uint32_t ti)
{
	struct tracker *t = &d->trk[ti];

	if (t->lprev != NIL)
		d->trk[t->lprev].lnext = t->lnext;
	else
		d->lru_head = t->lnext;
	if (t->lnext != NIL)
		d->trk[t->lnext].lprev = t->lprev;
	else
		d->lru_tail = t->lprev;
}

static void lru_append(struct defrag *d, uint32_t ti)
{
	struct tracker *t = &d->trk[ti];

	t->lnext = NIL;
	t->lprev = d->lru_tail;
	if (d->lru_tail != NIL)
		d->trk[d->lru_tail].lnext = ti;
	else
		d->lru_head = ti;
	d->lru_tail = ti;
}

static void tracker_drop_frags(struct defrag *d, struct tracker *t)
{
	uint32_t fi = t->frags;

	while (fi != NIL) {
		uint32_t n = d->frg[fi].next;

		frag_free(d, fi);
		fi = n;
	}
	t->frags = NIL;
	t->nfrags = 0;
}

static void tracker_release(struct defrag *d, uint32_t ti)
{
	struct tracker *t = &d->trk[ti];
	uint32_t *pp = &d->buckets[t->hash & d->bucket_mask];

	tracker_drop_frags(d, t);
	while (*pp != ti)
		pp = &d->trk[*pp].hnext;
	*pp = t->hnext;
	lru_unlink(d, ti);
	t->hnext = d->trk_free;
	d->trk_free = ti;
	d->st.trackers_active--;
}

static bool expired(const struct defrag *d, const struct tracker *t, uint64_t now)
{
	return now > t->last_us && now - t->last_us > d->timeout_us;
}

/* A dead datagram was counted when it died. */
static void count_timeout(struct defrag *d, const struct tracker *t)
{
	if (t->dead)
		return;
	if (t->key.ver == 4)
		d->st.ipv4_timeouts++;
	else
		d->st.ipv6_timeouts++;
}

/* Expire the oldest datagram if its time is up; 1 when one went. */
static int expire_head(struct defrag *d, uint64_t now)
{
	uint32_t ti = d->lru_head;

	if (ti == NIL || !expired(d, &d->trk[ti], now))
		return 0;
	count_timeout(d, &d->trk[ti]);
	tracker_release(d, ti);
	return 1;
}

unsigned defrag_sweep(struct defrag *d, uint64_t now_us, unsigned max)
{
	unsigned n = 0;

	while (n < max && expire_head(d, now_us))
		n++;
	return n;
}

/* ---- chunk chains ------------------------------------------------------------ */

/* Chunk holding byte pos of f's stored bytes, and pos within it. */
static uint32_t chain_seek(const struct defrag *d, const struct frag *f, uint32_t *pos)
{
	uint32_t c = f->chunk;

	while (*pos >= CHUNK) {
		c = d->chunk_next[c];
		*pos -= CHUNK;
	}
	return c;
}

static void chain_copy(const struct defrag *d, const struct frag *f, uint32_t pos,
		       uint8_t *dst, uint32_t n)
{
	uint32_t c = chain_seek(d, f, &pos);

	while (n) {
		uint32_t k = CHUNK - pos < n ? CHUNK - pos : n;

		memcpy(dst, d->chunk[c] + pos, k);
		dst += k;
		n -= k;
		pos = 0;
		c = d->chunk_next[c];
	}
}

static bool chain_differs(const struct defrag *d, const struct frag *f, uint32_t pos,
			  const uint8_t *src, uint32_t n)
{
	uint32_t c = chain_seek(d, f, &pos);

	while (n) {
		uint32_t k = CHUNK - pos < n ? CHUNK - pos : n;

		if (memcmp(src, d->chunk[c] + pos, k))
			return true;
		src += k;
		n -= k;
		pos = 0;
		c = d->chunk_next[c];
	}
	return false;
}

/* Store hdr then data in a new chain; NIL when the chunks ran out. */
static uint32_t chain_store(struct defrag *d, const uint8_t *hdr, uint32_t hlen,
			    const uint8_t *data, uint32_t len)
{
	uint32_t need = (hlen + len + CHUNK - 1) / CHUNK, head = NIL, prev = NIL;
	uint32_t pos = 0;

	if (need > d->chunks_avail)
		return NIL;
	for (uint32_t i = 0; i < need; i++) {
		uint32_t c = chunk_get(d);

		if (prev == NIL)
			head = c;
		else
			d->chunk_next[prev] = c;
		prev = c;
	}
	/* fill: the header, then the data */
	for (uint32_t c = head; c != NIL; c = d->chunk_next[c]) {
		uint32_t room = CHUNK, at = 0;

		while (room && pos < hlen + len) {
			const uint8_t *src = pos < hlen ? hdr + pos : data + (pos - hlen);
			uint32_t left = pos < hlen ? hlen - pos : hlen + len - pos;
			uint32_t k = left < room ? left : room;

			memcpy(d->chunk[c] + at, src, k);
			at += k;
			room -= k;
			pos += k;
		}
	}
	return head;
}

/* ---- parsing ------------------------------------------------------------------ */

struct fraginfo {
	const uint8_t *hdr;     /* IP header */
	uint32_t hdr_len;       /* IPv4 header, or IPv6 up to the fragment header */
	const uint8_t *data;
	uint32_t len, off;
	uint16_t nh_off;        /* IPv6 */
	uint8_t nh;             /* IPv4 protocol, IPv6 fragment header's next */
	uint8_t mf;
	uint32_t id;
};

/* 0, -EINVAL (unparsable) or -EIO (cut by the snap length). */
static int parse_frag(const struct packet *p, struct fraginfo *fi)
{
	const uint8_t *h;
	uint32_t avail;

	if (p->l3_off >= p->caplen)
		return -EINVAL;
	h = p->data + p->l3_off;
	avail = p->caplen - p->l3_off;
	fi->hdr = h;
	if (p->ip_ver == 4) {
		uint32_t hlen, iplen;
		uint16_t fo;

		if (avail < 20 || (h[0] >> 4) != 4)
			return -EINVAL;
		hlen = (h[0] & 0x0fu) * 4;
		iplen = rd16(h + 2);
		if (hlen < 20 || iplen < hlen)
			return -EINVAL;
		if (iplen > avail)
			return -EIO;
		fo = rd16(h + 6);
		fi->hdr_len = hlen;
		fi->data = h + hlen;
		fi->len = iplen - hlen;
		fi->off = (uint32_t)(fo & 0x1fff) * 8;
		fi->mf = (fo & 0x2000) != 0;
		fi->nh = h[9];
		fi->nh_off = 0;
		fi->id = rd16(h + 4);
		return 0;
	}
	if (p->ip_ver == 6) {
		uint32_t plen, pos = 40, nh_off = 6;
		uint8_t nh;

		if (avail < 40 || (h[0] >> 4) != 6)
			return -EINVAL;
		plen = rd16(h + 4);
		if (40 + plen > avail)
			return -EIO;
		nh = h[6];
		for (unsigned i = 0; nh != P_FRAGMENT; i++) {
			uint32_t elen;

			if (i == MAX_EXTHDRS || 40 + plen - pos < 8)
				return -EINVAL;
			switch (nh) {
			case P_HOPOPTS:
			case P_ROUTING:
			case P_DSTOPTS:
				elen = ((uint32_t)h[pos + 1] + 1) * 8;
				break;
			case P_AH:
				elen = ((uint32_t)h[pos + 1] + 2) * 4;
				break;
			default:
				return -EINVAL;  /* no fragment header */
			}
			if (elen > 40 + plen - pos)
				return -EINVAL;
			nh = h[pos];
			nh_off = (uint16_t)pos;
			pos += elen;
		}
		if (40 + plen - pos < 8)
			return -EINVAL;
		fi->hdr_len = pos;
		fi->nh_off = nh_off;
		fi->nh = h[pos];
		fi->off = rd16(h + pos + 2) & 0xfff8u;
		fi->mf = h[pos + 3] & 1;
		fi->id = rd32(h + pos + 4);
		fi->data = h + pos + 8;
		fi->len = 40 + plen - (pos + 8);
		return 0;
	}
	return -EINVAL;
}

/*
 * Whether the first fragment's data holds the whole upper-layer header
 * (RFC 1858's tiny fragment attack; RFC 7112 asks the same of the IPv6
 * header chain). Other protocols: anything is whole.
 */
static bool l4_whole(uint8_t proto, const uint8_t *b, uint32_t len, bool v6)
{
	uint32_t pos = 0;

	for (unsigned i = 0; v6 && i < MAX_EXTHDRS; i++) {
		uint32_t elen;

		if (proto != P_HOPOPTS && proto != P_ROUTING && proto != P_DSTOPTS &&
		    proto != P_AH)
			break;
		if (len - pos < 8)
			return false;
		elen = proto == P_AH ? ((uint32_t)b[pos + 1] + 2) * 4 :
				       ((uint32_t)b[pos + 1] + 1) * 8;
		if (elen > len - pos)
			return false;
		proto = b[pos];
		pos += elen;
	}
	switch (proto) {
	case P_TCP:
		return len - pos >= 20 && (uint32_t)(b[pos + 12] >> 4) * 4 <= len - pos;
	case P_UDP:
	case P_ICMP:
	case P_ICMPV6:
		return len - pos >= 8;
	default:
		return true;
	}
}

/* ---- policy and reassembly ------------------------------------------------------- */

/* Does newer fragment n take a byte from its current owner o? */
static bool newer_wins(enum defrag_policy pol, const struct frag *n, const struct frag *o)
{
	uint32_t ns = n->off, ne = n->off + n->len, os = o->off, oe = o->off + o->len;

	switch (pol) {
	case DEFRAG_POLICY_FIRST:
		return false;
	case DEFRAG_POLICY_LAST:
		return true;
	case DEFRAG_POLICY_BSD:
		return ns < os;
	case DEFRAG_POLICY_BSD_RIGHT:
		return ne > oe || (ne == oe && ns <= os);
	case DEFRAG_POLICY_LINUX:
		return ns <= os;
	case DEFRAG_POLICY_WINDOWS:
		return ns < os && ne > oe;
	case DEFRAG_POLICY_SOLARIS:
		return ns < os && ne >= oe;
	default:
		return false;
	}
}

/* Whether [0, total) is covered; the list is sorted by offset. */
static bool complete(const struct defrag *d, const struct tracker *t)
{
	uint32_t covered = 0;

	for (uint32_t fi = t->frags; fi != NIL; fi = d->frg[fi].next) {
		const struct frag *f = &d->frg[fi];

		if (f->off > covered)
			return false;
		if (f->off + f->len > covered)
			covered = f->off + f->len;
		if (covered >= t->total)
			return true;
	}
	return covered >= t->total;
}

/* Fix the IP header of the datagram in out (hlen header bytes). */
static void fix_header(const struct tracker *t, const struct frag *hf, uint8_t *out,
		       uint32_t size)
{
	if (t->key.ver == 4) {
		uint16_t csum;

		out[2] = (uint8_t)(size >> 8);
		out[3] = (uint8_t)size;
		out[6] &= 0xc0;         /* keep DF and the reserved bit */
		out[7] = 0;
		out[10] = out[11] = 0;
		csum = inet_csum(out, hf->hdr_len, 0);
		out[10] = (uint8_t)(csum >> 8);
		out[11] = (uint8_t)csum;
	} else {
		uint32_t plen = size - 40;

		out[4] = (uint8_t)(plen >> 8);
		out[5] = (uint8_t)plen;
		out[hf->nh_off] = hf->nh;
	}
}

static int check_size(struct defrag *d, const struct tracker *t, uint32_t size,
		      uint32_t cap)
{
	if ((t->key.ver == 4 && size > 65535) || (t->key.ver == 6 && size - 40 > 65535)) {
		d->st.too_large++;
		raise_event(d, t->key.ver == 4 ? DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE :
				DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE);
		return -EFBIG;
	}
	return size > cap ? -EMSGSIZE : 0;
}

/*
 * No fragment overlaps another (the usual case): no policy to apply, the
 * fragments are copied in offset order and the one at 0 brings the header.
 */
static int reassemble_disjoint(struct defrag *d, struct tracker *t, uint8_t *out,
			       uint32_t *out_len)
{
	const struct frag *hf = &d->frg[t->frags];
	uint32_t size = hf->hdr_len + t->total;
	int rc = check_size(d, t, size, *out_len);

	if (rc < 0)
		return rc;
	chain_copy(d, hf, 0, out, hf->hdr_len);
	for (uint32_t fi = t->frags; fi != NIL; fi = d->frg[fi].next) {
		const struct frag *f = &d->frg[fi];
		uint32_t hi = f->off + f->len < t->total ? f->off + f->len : t->total;

		if (f->off < hi)
			chain_copy(d, f, f->hdr_len, out + hf->hdr_len + f->off, hi - f->off);
	}
	fix_header(t, hf, out, size);
	*out_len = size;
	return 1;
}

static int reassemble(struct defrag *d, struct tracker *t, uint8_t *out, uint32_t *out_len)
{
	uint32_t total = t->total, n = 0, b, hlen, size;
	const struct frag *hf;
	uint16_t *own = d->owner;
	int rc;

	if (!t->overlapped)
		return reassemble_disjoint(d, t, out, out_len);
	for (uint32_t fi = t->frags; fi != NIL; fi = d->frg[fi].next)
		d->order[d->frg[fi].seq] = fi, n++;
	memset(own, 0xff, (size_t)total * sizeof(*own));

	/* paint in arrival order, a run of one owner at a time */
	for (uint32_t s = 0; s < n; s++) {
		const struct frag *f = &d->frg[d->order[s]];
		uint32_t hi = f->off + f->len < total ? f->off + f->len : total;

		for (b = f->off; b < hi;) {
			uint16_t cur = own[b];
			uint32_t e = b + 1;

			while (e < hi && own[e] == cur)
				e++;
			if (cur == OWNER_NONE ||
			    newer_wins(d->policy, f, &d->frg[d->order[cur]]))
				for (uint32_t i = b; i < e; i++)
					own[i] = (uint16_t)s;
			b = e;
		}
	}

	/* the header comes with the fragment that owns byte 0 */
	hf = &d->frg[d->order[own[0]]];
	hlen = hf->hdr_len;
	size = hlen + total;
	rc = check_size(d, t, size, *out_len);
	if (rc < 0)
		return rc;
	chain_copy(d, hf, 0, out, hlen);
	for (b = 0; b < total;) {
		uint16_t cur = own[b];
		const struct frag *f = &d->frg[d->order[cur]];
		uint32_t e = b + 1;

		while (e < total && own[e] == cur)
			e++;
		chain_copy(d, f, f->hdr_len + (b - f->off), out + hlen + b, e - b);
		b = e;
	}
	fix_header(t, hf, out, size);
	*out_len = size;
	return 1;
}

/* ---- the packet path -------------------------------------------------------------- */

static int drop(struct defrag *d, int err)
{
	d->st.dropped++;
	return err;
}

static uint32_t tracker_find(struct defrag *d, const struct dg_key *k, uint32_t h)
{
	for (uint32_t ti = d->buckets[h & d->bucket_mask]; ti != NIL; ti = d->trk[ti].hnext)
		if (d->trk[ti].hash == h && memcmp(&d->trk[ti].key, k, sizeof(*k)) == 0)
			return ti;
	return NIL;
}

static uint32_t tracker_new(struct defrag *d, const struct dg_key *k, uint32_t h,
			    uint64_t now)
{
	uint32_t ti = d->trk_free;
	struct tracker *t;

	if (ti != NIL) {
		d->trk_free = d->trk[ti].hnext;
	} else if (d->trk_hwm < d->ntrk) {
		ti = d->trk_hwm++;
	} else {
		if (!expire_head(d, now))
			return NIL;
		ti = d->trk_free;
		d->trk_free = d->trk[ti].hnext;
	}
	t = &d->trk[ti];
	memset(t, 0, sizeof(*t));
	t->key = *k;
	t->hash = h;
	t->frags = NIL;
	t->hnext = d->buckets[h & d->bucket_mask];
	d->buckets[h & d->bucket_mask] = ti;
	lru_append(d, ti);
	d->st.trackers_active++;
	return ti;
}

int defrag_packet(struct defrag *d, const struct packet *p, uint64_t now_us,
		  uint8_t *out, uint32_t *out_len)
{
	bool v4 = p->ip_ver == 4, overlap = false, differs = false;
	enum decode_event ev_ignored = v4 ? DECODE_EV_IPV4_FRAG_IGNORED :
				       DECODE_EV_IPV6_FRAG_IGNORED;
	struct fraginfo fi;
	struct dg_key key;
	struct tracker *t;
	struct frag *f;
	uint32_t h, ti, fidx, end, *pp;
	int rc;

	d->nev = 0;
	if (!(p->flags & PKT_FRAGMENT) || (p->ip_ver != 4 && p->ip_ver != 6)) {
		d->st.invalid++;
		return drop(d, -EINVAL);
	}
	if (v4)
		d->st.ipv4_fragments++;
	else
		d->st.ipv6_fragments++;
	rc = parse_frag(p, &fi);
	if (rc == -EIO) {
		d->st.truncated++;
		return drop(d, -EINVAL);
	}
	if (rc < 0 || fi.len == 0 || (fi.off == 0 && !fi.mf)) {
		d->st.invalid++;
		return drop(d, -EINVAL);
	}
	/* every fragment but the last carries a multiple of 8 bytes */
	if (fi.mf && (fi.len & 7)) {
		d->st.invalid++;
		if (!v4)
			raise_event(d, DECODE_EV_IPV6_FRAG_INVALID_LENGTH);
		return drop(d, -EINVAL);
	}
	end = fi.off + fi.len;
	if ((v4 && fi.hdr_len + end > 65535) || (!v4 && end > 65535)) {
		d->st.too_large++;
		raise_event(d, v4 ? DECODE_EV_IPV4_FRAG_PKT_TOO_LARGE :
			    DECODE_EV_IPV6_FRAG_PKT_TOO_LARGE);
		return drop(d, -EFBIG);
	}
	if ((fi.off == 0 && !l4_whole(fi.nh, fi.data, fi.len, !v4)) ||
	    (fi.mf && fi.len < d->min_frag_size))
		d->st.tiny++;

	memset(&key, 0, sizeof(key));
	key.src = p->src;
	key.dst = p->dst;
	key.id = fi.id;
	key.vlan = p->vlan_count ? (p->vlan[0] & 0x0fff) : 0;
	key.proto = v4 ? fi.nh : 0;
	key.ver = p->ip_ver;
	h = key_hash(&key, d->seed);
	ti = tracker_find(d, &key, h);
	if (ti != NIL && expired(d, &d->trk[ti], now_us)) {
		/* the old attempt is over: start again with this one */
		count_timeout(d, &d->trk[ti]);
		tracker_release(d, ti);
		ti = NIL;
	}
	if (ti == NIL) {
		ti = tracker_new(d, &key, h, now_us);
		if (ti == NIL) {
			d->st.tracker_full++;
			raise_event(d, ev_ignored);
			return drop(d, -ENOSPC);
		}
	} else {
		lru_unlink(d, ti);
		lru_append(d, ti);
	}
	t = &d->trk[ti];
	t->last_us = now_us;

	if (t->dead) {
		raise_event(d, ev_ignored);
		return drop(d, -ENOBUFS);
	}
	if (t->seen_last && (end > t->total || (!fi.mf && end != t->total))) {
		d->st.after_last++;
		return drop(d, -EINVAL);
	}
	if (t->nfrags >= d->max_per_dg) {
		/* an absurd train: let the datagram go, ignore the rest of it */
		d->st.too_many_frags++;
		raise_event(d, ev_ignored);
		tracker_drop_frags(d, t);
		t->dead = 1;
		return drop(d, -ENOBUFS);
	}

	/* overlaps, and whether the bytes differ (the evasion) */
	pp = &t->frags;
	for (uint32_t x = t->frags; x != NIL; x = d->frg[x].next) {
		const struct frag *o = &d->frg[x];
		uint32_t lo, hi;

		if (o->off <= fi.off)
			pp = &d->frg[x].next;   /* insert after equal offsets */
		if (!fi.mf && o->off + o->len > end)
			d->st.after_last++;     /* held data past the new end */
		if (o->off >= end || o->off + o->len <= fi.off)
			continue;
		overlap = true;
		if (differs)
			continue;
		lo = fi.off > o->off ? fi.off : o->off;
		hi = end < o->off + o->len ? end : o->off + o->len;
		differs = chain_differs(d, o, o->hdr_len + (lo - o->off),
					fi.data + (lo - fi.off), hi - lo);
	}

	fidx = frag_get(d);
	if (fidx == NIL && expire_head(d, now_us))
		fidx = frag_get(d);
	if (fidx == NIL) {
		d->st.memcap++;
		goto nomem;
	}
	f = &d->frg[fidx];
	memset(f, 0, sizeof(*f));
	f->off = fi.off;
	f->len = fi.len;
	f->mf = fi.mf;
	f->seq = t->nfrags;
	if (fi.off == 0) {
		f->hdr_len = (uint16_t)fi.hdr_len;
		f->nh_off = fi.nh_off;
		f->nh = fi.nh;
	}
	f->chunk = chain_store(d, fi.hdr, f->hdr_len, fi.data, fi.len);
	if (f->chunk == NIL) {
		f->next = d->frg_free;
		d->frg_free = fidx;
		d->st.memcap++;
		goto nomem;
	}
	if (overlap) {
		t->overlapped = 1;
		d->st.overlaps++;
		d->st.overlaps_diff += differs;
		raise_event(d, v4 ? DECODE_EV_IPV4_FRAG_OVERLAP : DECODE_EV_IPV6_FRAG_OVERLAP);
	}
	f->next = *pp;
	*pp = fidx;
	t->nfrags++;
	if (!fi.mf) {
		t->seen_last = 1;
		t->total = end;
	}
	if (!t->seen_last || !complete(d, t))
		return 0;

	rc = reassemble(d, t, out, out_len);
	tracker_release(d, ti);
	if (rc < 0)
		return drop(d, rc);
	if (v4)
		d->st.ipv4_reassembled++;
	else
		d->st.ipv6_reassembled++;
	return 1;

nomem:
	raise_event(d, ev_ignored);
	if (t->nfrags == 0)
		tracker_release(d, ti);
	return drop(d, -ENOSPC);
}
