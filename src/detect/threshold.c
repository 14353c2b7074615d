/*
 * threshold and detection_filter: whether a rule's match may alert.
 *
 * State lives in a per-thread open-addressing table allocated with the
 * thread: keyed by (gid, sid, which filter, tracked address(es)), probed
 * over a short window; a missing key takes the first empty slot, else one
 * whose window is over, else the entry of the window that ends first
 * (counted as an eviction). The table never grows and never empties a
 * slot, so a lookup may stop at the first empty slot. Time is the packet's
 * capture time; a window is [start, start + seconds).
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/detect.h"

/* 64 bytes */
struct thresh_ent {
	union ip_addr a, b;             /* tracked address(es); zero when unused */
	uint32_t gid, sid;
	uint64_t start_us;              /* window start; 0: empty slot */
	uint64_t end_us;                /* start + seconds */
	uint32_t count;                 /* matches in the window */
	uint8_t kind;                   /* 0 threshold, 1 detection_filter */
	uint8_t ver;
};

#define THRESH_SLOTS (1u << 16)         /* per thread: 4 MiB */
#define THRESH_PROBE 16

struct detect_thresh {
	struct thresh_ent *slot;        /* THRESH_SLOTS */
};

bool detect_thresh_supported(const struct rule_threshold *t)
{
	if (t->type == RULE_THRESH_NONE)
		return true;
	if (t->type == RULE_THRESH_BACKOFF || t->unique_on || !t->seconds)
		return false;
	return t->track == RULE_TRACK_BY_SRC || t->track == RULE_TRACK_BY_DST ||
	       t->track == RULE_TRACK_BY_RULE || t->track == RULE_TRACK_BY_BOTH;
}

struct detect_thresh *detect_thresh_new(void)
{
	struct detect_thresh *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->slot = calloc(THRESH_SLOTS, sizeof(*x->slot));
	if (!x->slot) {
		free(x);
		return NULL;
	}
	return x;
}

void detect_thresh_free(struct detect_thresh *x)
{
	if (!x)
		return;
	free(x->slot);
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

/* Whether this match of r may alert under one of its filters. */
static bool thresh_pass(struct detect_thresh *t, struct detect_thread_stats *st, const struct rule *r,
			const struct rule_threshold *th, uint8_t kind, const struct packet *p)
{
	struct thresh_ent k, *slot = NULL, *oldest = NULL;
	uint64_t now = p->ts_us;
	uint64_t win = (uint64_t)th->seconds * 1000000u;
	uint32_t h, c;

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
	default:        /* by_rule: one counter for the rule */
		break;
	}
	h = thresh_hash(&k);
	for (uint32_t i = 0; i < THRESH_PROBE; i++) {
		struct thresh_ent *x = &t->slot[(h + i) & (THRESH_SLOTS - 1)];

		if (!x->start_us) {
			slot = x;
			break;
		}
		if (thresh_key_eq(x, &k)) {
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
		slot->start_us = 0;
	}
	if (!slot->start_us || now >= slot->end_us) {
		/* new key, or its window is over: a new window from now */
		k.start_us = now ? now : 1;     /* 0 marks an empty slot */
		k.end_us = k.start_us + win;
		k.count = 1;
		*slot = k;
	} else if (slot->count < UINT32_MAX) {
		slot->count++;
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

	(void)f;        /* track by_flow is not implemented yet */
	if (!t)
		return true;
	if (r->detection_filter.type != RULE_THRESH_NONE)
		ok = thresh_pass(t, st, r, &r->detection_filter, 1, p);
	if (ok && r->threshold.type != RULE_THRESH_NONE)
		ok = thresh_pass(t, st, r, &r->threshold, 0, p);
	if (!ok)
		st->thresholded++;
	return ok;
}
