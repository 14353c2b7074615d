/*
 * threshold and detection_filter: whether a rule's match may alert.
 *
 * State lives in a per-thread open-addressing table allocated with the
 * thread: keyed by (gid, sid, which filter, what is tracked: address(es),
 * the flow id, or nothing for by_rule), probed over a short window; a
 * missing key takes the first empty slot, else one whose window is over,
 * else the entry of the window that ends first (counted as an eviction).
 * The table never grows and never empties a slot, so a lookup may stop at
 * the first empty slot. Time is the packet's capture time; a window is
 * [start, start + seconds).
 *
 * track by_flow keys on the flow id (unique per run), so a flow's entry
 * simply goes stale when the flow ends and is reused like any dead one.
 * Without a flow a by_flow filter never lets the match alert (Suricata's
 * answer too). type backoff has no window: its entry lives while the flow
 * keeps matching, FLOW_IDLE past the last match (longer than any default
 * flow timeout, so by then the flow is gone and a new one has a new id).
 *
 * detection_filter unique_on counts distinct ports, not matches. Suricata
 * gives each such entry a 65536-bit bitmap; an 8 KiB bitmap in every slot
 * would be 512 MiB a thread, so instead the thread owns a fixed pool of
 * PORTSETS bitmaps (2 MiB, only when a rule uses unique_on), lent to a slot
 * for one window. A bitmap belongs to the slot whose entry names it and
 * whose window is still open; anything else is free, so nothing has to be
 * released when a slot is overwritten. With every bitmap in use, the one of
 * the window that ends first is taken and its entry's window closed early
 * (counted as an eviction): exact counting for up to PORTSETS concurrent
 * windows, bounded memory and a bounded scan beyond that.
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/detect.h"

/* 64 bytes */
struct thresh_ent {
	union ip_addr a, b;             /* tracked address(es); by_flow: a.q[0]
					 * is the flow id; zero when unused */
	uint32_t gid, sid;
	uint64_t end_us;                /* window end; 0: empty slot */
	uint32_t count;                 /* matches (unique_on: distinct ports) */
	uint32_t aux;                   /* backoff: the match that alerts next,
					 * 0 none; unique_on: bitmap index + 1 */
	uint8_t kind;                   /* 0 threshold, 1 detection_filter */
	uint8_t ver;
	uint8_t flags;                  /* ENT_PORTSET: aux names a bitmap */
};

#define ENT_PORTSET 1

#define THRESH_SLOTS (1u << 16)         /* per thread: 4 MiB */
#define THRESH_PROBE 16
#define PORTSETS 256                    /* per thread, 8 KiB each */
#define PORTSET_WORDS (65536 / 64)
#define FLOW_IDLE_US (3600ull * 1000000u)

struct detect_thresh {
	struct thresh_ent *slot;        /* THRESH_SLOTS */
	uint64_t (*ps)[PORTSET_WORDS];  /* PORTSETS bitmaps, or NULL */
	uint32_t *ps_owner;             /* slot index + 1 that took it; 0 never */
	uint32_t ps_next;               /* where the next search starts */
};

bool detect_thresh_supported(const struct rule_threshold *t)
{
	switch (t->type) {
	case RULE_THRESH_NONE:
		return true;
	case RULE_THRESH_BACKOFF:
		/* Suricata allows backoff with by_flow only */
		return t->track == RULE_TRACK_BY_FLOW && t->count && t->multiplier >= 2;
	case RULE_THRESH_LIMIT:
	case RULE_THRESH_THRESHOLD:
	case RULE_THRESH_BOTH:
	case RULE_THRESH_DETECTION_FILTER:
		return t->seconds && t->track <= RULE_TRACK_BY_FLOW && t->unique_on <= 2 &&
		       (!t->unique_on || t->type == RULE_THRESH_DETECTION_FILTER);
	default:
		return false;
	}
}

struct detect_thresh *detect_thresh_new(bool port_sets)
{
	struct detect_thresh *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->slot = calloc(THRESH_SLOTS, sizeof(*x->slot));
	if (!x->slot)
		goto fail;
	if (port_sets) {
		x->ps = calloc(PORTSETS, sizeof(*x->ps));
		x->ps_owner = calloc(PORTSETS, sizeof(*x->ps_owner));
		if (!x->ps || !x->ps_owner)
			goto fail;
	}
	return x;
fail:
	detect_thresh_free(x);
	return NULL;
}

void detect_thresh_free(struct detect_thresh *x)
{
	if (!x)
		return;
	free(x->slot);
	free(x->ps);
	free(x->ps_owner);
	free(x);
}

static uint32_t thresh_hash(const struct thresh_ent *k)
{
	/* FNV-1a over the key fields; spread well enough for a probe window */
	const uint8_t *parts[2] = { k->a.b, k->b.b };
	uint32_t h = 2166136261u;

	h = (h ^ k->gid) * 16777619u;
	h = (h ^ k->sid) * 16777619u;
	h = (h ^ k->kind) * 16777619u;
	for (int j = 0; j < 2; j++)
		for (int i = 0; i < 16; i++)
			h = (h ^ parts[j][i]) * 16777619u;
	return h ^ (h >> 15);
}

static bool thresh_key_eq(const struct thresh_ent *x, const struct thresh_ent *k)
{
	return x->sid == k->sid && x->gid == k->gid && x->kind == k->kind &&
	       x->ver == k->ver && !memcmp(&x->a, &k->a, sizeof(x->a)) &&
	       !memcmp(&x->b, &k->b, sizeof(x->b));
}

/* Whether bitmap i is held by a slot whose window is still open at now. */
static bool portset_held(const struct detect_thresh *t, uint32_t i, uint64_t now)
{
	const struct thresh_ent *o;

	if (!t->ps_owner[i])
		return false;
	o = &t->slot[t->ps_owner[i] - 1];
	return (o->flags & ENT_PORTSET) && o->aux == i + 1 && now < o->end_us;
}

/* A cleared bitmap for the new window of slot s. */
static uint64_t *portset_take(struct detect_thresh *t, struct detect_thread_stats *st,
			      uint32_t s, uint64_t now)
{
	uint32_t i, pick = 0;
	uint64_t first_end = UINT64_MAX;

	for (uint32_t n = 0; n < PORTSETS; n++) {
		i = (t->ps_next + n) % PORTSETS;
		if (!portset_held(t, i, now)) {
			pick = i;
			first_end = 0;
			break;
		}
		if (t->slot[t->ps_owner[i] - 1].end_us < first_end) {
			first_end = t->slot[t->ps_owner[i] - 1].end_us;
			pick = i;
		}
	}
	if (first_end) {
		/* all in use: close the window that ends first */
		struct thresh_ent *o = &t->slot[t->ps_owner[pick] - 1];

		o->end_us = 1;          /* over, but not an empty slot */
		o->flags = 0;
		st->thresh_evicted++;
	}
	t->ps_next = (pick + 1) % PORTSETS;
	t->ps_owner[pick] = s + 1;
	t->slot[s].aux = pick + 1;
	t->slot[s].flags |= ENT_PORTSET;
	memset(t->ps[pick], 0, sizeof(t->ps[pick]));
	return t->ps[pick];
}

/* Whether this match of r may alert under one of its filters. */
static bool thresh_pass(struct detect_thresh *t, struct detect_thread_stats *st, const struct rule *r,
			const struct rule_threshold *th, uint8_t kind, const struct packet *p,
			const struct flow *f)
{
	struct thresh_ent k, *slot = NULL, *oldest = NULL;
	uint64_t now = p->ts_us ? p->ts_us : 1;         /* 0 marks an empty slot */
	uint64_t win = (uint64_t)th->seconds * 1000000u;
	bool backoff = th->type == RULE_THRESH_BACKOFF;
	bool unique = th->unique_on && t->ps;
	uint16_t port = th->unique_on == 1 ? p->sport : p->dport;
	uint64_t *bits = NULL;
	uint32_t h, c, s = 0;

	memset(&k, 0, sizeof(k));
	k.gid = r->gid;
	k.sid = r->sid;
	k.kind = kind;
	switch (th->track) {
	case RULE_TRACK_BY_SRC:
		k.ver = p->ip_ver;
		k.a = p->src;
		break;
	case RULE_TRACK_BY_DST:
		k.ver = p->ip_ver;
		k.a = p->dst;
		break;
	case RULE_TRACK_BY_BOTH:
		/* the address pair, either way round (Suricata's ippair) */
		k.ver = p->ip_ver;
		if (memcmp(&p->src, &p->dst, sizeof(p->src)) <= 0) {
			k.a = p->src;
			k.b = p->dst;
		} else {
			k.a = p->dst;
			k.b = p->src;
		}
		break;
	case RULE_TRACK_BY_FLOW:
		if (!f)
			return false;
		k.a.q[0] = f->flow_id;
		break;
	default:        /* by_rule: one counter for the rule */
		break;
	}
	h = thresh_hash(&k);
	for (uint32_t i = 0; i < THRESH_PROBE; i++) {
		struct thresh_ent *x = &t->slot[(h + i) & (THRESH_SLOTS - 1)];

		if (!x->end_us || thresh_key_eq(x, &k)) {
			slot = x;
			break;
		}
		if (!oldest || x->end_us < oldest->end_us)
			oldest = x;
	}
	if (!slot) {
		/* the entry ending first: a dead one if any, else the oldest */
		slot = oldest;
		if (oldest->end_us > now)
			st->thresh_evicted++;
		slot->end_us = 0;
	}
	s = (uint32_t)(slot - t->slot);
	if (!slot->end_us || now >= slot->end_us) {
		/* new key, or its window is over: a new window from now; a
		 * bitmap this slot held stays with it */
		uint32_t keep = (slot->flags & ENT_PORTSET) ? slot->aux : 0;

		k.end_us = backoff ? now + FLOW_IDLE_US : now + win;
		k.count = 1;
		k.aux = backoff ? th->count : 0;
		*slot = k;
		if (unique) {
			if (keep && t->ps_owner[keep - 1] == s + 1) {
				slot->aux = keep;
				slot->flags = ENT_PORTSET;
				bits = t->ps[keep - 1];
				memset(bits, 0, sizeof(t->ps[0]));
			} else {
				bits = portset_take(t, st, s, now);
			}
			bits[port >> 6] |= 1ull << (port & 63);
		}
	} else if (unique) {
		bits = t->ps[slot->aux - 1];
		if (!(bits[port >> 6] & (1ull << (port & 63)))) {
			bits[port >> 6] |= 1ull << (port & 63);
			slot->count++;
		}
	} else {
		if (slot->count < UINT32_MAX)
			slot->count++;
		if (backoff)
			slot->end_us = now + FLOW_IDLE_US;
	}
	c = slot->count;
	switch (th->type) {
	case RULE_THRESH_LIMIT:
		return c <= th->count;
	case RULE_THRESH_THRESHOLD:
		/* every count-th match of the window; the count restarts */
		if (c < th->count)
			return false;
		slot->count = 0;
		return true;
	case RULE_THRESH_BOTH:
		return c == th->count;
	case RULE_THRESH_DETECTION_FILTER:
		return c > th->count;
	case RULE_THRESH_BACKOFF:
		/* matches count, count*m, count*m*m, ... until that overflows */
		if (c != slot->aux)
			return false;
		slot->aux = slot->aux > UINT32_MAX / th->multiplier ? 0
			    : slot->aux * th->multiplier;
		return true;
	default:
		return true;
	}
}

/* Suricata takes one of threshold / detection_filter per rule; should a
 * rule carry both, detection_filter gates first and threshold counts only
 * what it let through. */
bool detect_thresh_allow(struct detect_thresh *t, struct detect_thread_stats *st,
			 const struct rule *r, const struct packet *p, const struct flow *f)
{
	bool ok = true;

	if (!t)
		return true;
	if (r->detection_filter.type != RULE_THRESH_NONE)
		ok = thresh_pass(t, st, r, &r->detection_filter, 1, p, f);
	if (ok && r->threshold.type != RULE_THRESH_NONE)
		ok = thresh_pass(t, st, r, &r->threshold, 0, p, f);
	if (!ok)
		st->thresholded++;
	return ok;
}
