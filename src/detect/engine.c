/*
 * engine: rule groups, the Hyperscan prefilter and the per-packet entry.
 *
 * At build time every rule the engine can run (verify.c decides) is
 * prepared and placed in rule order: pass rules first, then drop, reject
 * and alert, file order within an action (Suricata's action order), so a
 * matching pass rule is found before anything it must suppress. Rules are
 * then grouped by protocol class (TCP, UDP, ICMP v4+v6, other IP; an `ip`
 * rule lands in every group). Each group compiles one Hyperscan block-mode
 * database with one literal per rule, its fast pattern (the content marked
 * fast_pattern, else the longest positive content of the payload), with
 * the rule's index as pattern id and SINGLEMATCH so a rule is reported at
 * most once per scan; rules without a usable fast pattern (header-only,
 * negated-only, pcre-only) go on the group's always-check list.
 *
 * Per packet: one hs_scan() of the payload whose callback only appends
 * rule ids to the thread's candidate array; the candidates are sorted and
 * merged with the always-check list, so rules are evaluated in rule order,
 * each with the cheap header check (protocol, addresses, ports, <>) before
 * full verification. Everything the packet path touches was allocated by
 * detect_thread_new(); a passive sensor does not block, so drop and reject
 * rules alert with action "allowed", as Suricata does in IDS mode.
 *
 * A rule that matched first applies its flowbits set/unset/toggle (even a
 * noalert or pass rule), so a later rule on the same packet sees the new
 * bits, as in Suricata. Its alert then goes through threshold and
 * detection_filter (threshold.c, per-thread state).
 */
#include <errno.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/detect.h"

enum group_id { GROUP_TCP, GROUP_UDP, GROUP_ICMP, GROUP_OTHER, GROUP_MAX };

/*
 * IPv4 index of rules without a fast pattern by one address set: ET
 * Open's reputation rules (hundreds of single addresses each, ~1,000
 * rules) cost a range search each per packet when checked in turn. The
 * boundaries of all indexed ranges cut the IPv4 space into segments; each
 * segment lists the rules whose set covers it. A packet then costs one
 * binary search per side, and only rules whose set holds the address
 * become candidates (header and options are still checked in full).
 */
struct ipidx {
	uint32_t *lo;                   /* segment i is [lo[i], lo[i+1]) */
	uint32_t *off;                  /* its rules: ids[off[i] .. off[i+1]) */
	uint32_t *ids;
	uint32_t nseg;
};

struct group {
	hs_database_t *db;              /* NULL when no rule has a fast pattern */
	uint32_t *nofp;                 /* always-check rules, ascending */
	uint32_t nnofp;
	struct ipidx by_src, by_dst;    /* indexed rules are not in nofp */
};

struct detect_engine {
	struct detect_rule *rules;      /* active rules, in rule order */
	uint32_t nrules;
	struct group groups[GROUP_MAX];
	hs_scratch_t *scratch;          /* prototype, cloned per thread */
	uint32_t max_ovec;
	bool has_thresh;                /* some active rule has a threshold */
	bool has_unique;                /* ... a detection_filter unique_on */
	struct detect_engine_stats st;
};


/*
 * Address-set answers for the current packet. Rules share compiled sets
 * ($HOME_NET, $EXTERNAL_NET, ...), and a packet meets the same few sets
 * hundreds of times across header-only rules; a small direct-mapped cache
 * keyed by (set, which endpoint), invalidated per packet by a generation
 * number, answers those repeats without a range search.
 */
#define ADDR_CACHE 128

struct addr_cache_ent {
	const struct addr_set *set;
	const union ip_addr *addr;      /* &p->src or &p->dst */
	uint32_t gen;
	bool hit;
};

struct detect_thread {
	const struct detect_engine *e;
	struct addr_cache_ent acache[ADDR_CACHE];
	uint32_t agen;
	struct detect_thresh *thresh;   /* NULL: no rule uses one */
	hs_scratch_t *scratch;
	uint32_t *cand;                 /* prefilter hits of the current packet */
	uint32_t ncand;
	struct detect_vctx v;
	struct detect_thread_stats st;
	struct event_alert alert;       /* filled per alert; too big for the stack */
};

/* ---- build --------------------------------------------------------------- */

static int action_rank(uint8_t a)
{
	switch (a) {
	case RULE_ACTION_PASS: return 0;
	case RULE_ACTION_DROP: return 1;
	case RULE_ACTION_ALERT: return 3;
	default: return 2;      /* the rejects */
	}
}

static bool in_group(const struct rule *r, int g)
{
	switch (g) {
	case GROUP_TCP: return rule_has_proto(r, 6);
	case GROUP_UDP: return rule_has_proto(r, 17);
	case GROUP_ICMP: return rule_has_proto(r, 1) || rule_has_proto(r, 58);
	default:
		for (unsigned pr = 0; pr < 256; pr++)
			if (pr != 6 && pr != 17 && pr != 1 && pr != 58 &&
			    rule_has_proto(r, (uint8_t)pr))
				return true;
		return false;
	}
}

/* The rule's fast pattern: the fast_pattern content (its chopped part),
 * else the longest positive payload content; false when there is none. */
static bool fast_pattern(const struct rule *r, const uint8_t **pat, uint32_t *len, bool *nocase)
{
	const struct rule_content *best = NULL;

	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];
		const struct rule_content *ct = &o->u.content;

		if (o->type != RULE_OPT_CONTENT || ct->negated || !ct->len ||
		    (o->buffer != RULE_BUF_PAYLOAD && o->buffer != RULE_BUF_RAW))
			continue;
		if (ct->fast_pattern) {
			best = ct;
			break;
		}
		if (!best || ct->len > best->len)
			best = ct;
	}
	if (!best)
		return false;
	*pat = best->pat;
	*len = best->len;
	if (best->fast_pattern && best->fp_chop && best->fp_len &&
	    (uint64_t)best->fp_off + best->fp_len <= best->len) {
		*pat = best->pat + best->fp_off;
		*len = best->fp_len;
	}
	*nocase = best->nocase;
	return true;
}

/* Which set a rule without a fast pattern can be indexed by: 1 source,
 * 2 destination, 0 none (either side any, IPv6 in the set, or <>). */
static int ipidx_side(const struct rule *r)
{
	const struct addr_set *s = r->src_addr, *d = r->dst_addr;

	if (r->flags & RULE_BIDIRECTIONAL || r->ip_version == 6)
		return 0;
	if (s && !s->any && s->n4 && !s->n6)
		return 1;
	if (d && !d->any && d->n4 && !d->n6)
		return 2;
	return 0;
}

static int cmp_u32v(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The segment holding addr, or -1 (below the first boundary). */
static int64_t ipidx_find(const struct ipidx *x, uint32_t addr)
{
	uint32_t lo = 0, hi = x->nseg;

	if (!x->nseg || addr < x->lo[0])
		return -1;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->lo[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

#define IPIDX_MAX_ENTRIES (8u << 20)

/* Build x over rules[ids[0..n)] by side; 0, or -1 when it would be too big
 * (then the caller keeps those rules on the always-check list). */
static int ipidx_build(struct ipidx *x, const struct detect_engine *e,
		       const uint32_t *ids, uint32_t n, int side)
{
	uint64_t nb = 0, total = 0;
	uint32_t *b = NULL, *cnt = NULL, nu = 0;

	memset(x, 0, sizeof(*x));
	if (!n)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct rule *r = e->rules[ids[i]].r;
		nb += 2u * (side == 1 ? r->src_addr : r->dst_addr)->n4;
	}
	if (nb > IPIDX_MAX_ENTRIES || !(b = malloc(nb * sizeof(*b))))
		return -1;
	nb = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct addr_set *s = side == 1 ? e->rules[ids[i]].r->src_addr
						     : e->rules[ids[i]].r->dst_addr;
		for (uint32_t k = 0; k < s->n4; k++) {
			b[nb++] = s->v4[k].lo;
			if (s->v4[k].hi != UINT32_MAX)
				b[nb++] = s->v4[k].hi + 1;
		}
	}
	qsort(b, nb, sizeof(*b), cmp_u32v);
	for (uint64_t i = 0; i < nb; i++)
		if (!nu || b[nu - 1] != b[i])
			b[nu++] = b[i];
	x->lo = b;
	x->nseg = nu;
	/* count, then fill, the rules of each segment */
	cnt = calloc((size_t)nu + 1, sizeof(*cnt));
	if (!cnt)
		goto fail;
	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < n; i++) {
			const struct addr_set *s = side == 1 ? e->rules[ids[i]].r->src_addr
							     : e->rules[ids[i]].r->dst_addr;
			for (uint32_t k = 0; k < s->n4; k++) {
				uint32_t a = (uint32_t)ipidx_find(x, s->v4[k].lo);
				for (; a < nu && x->lo[a] <= s->v4[k].hi; a++) {
					if (pass == 0)
						cnt[a]++;
					else
						x->ids[cnt[a]++] = ids[i];
				}
			}
		}
		if (pass == 0) {
			x->off = malloc(((size_t)nu + 1) * sizeof(*x->off));
			if (!x->off)
				goto fail;
			total = 0;
			for (uint32_t a = 0; a < nu; a++) {
				x->off[a] = (uint32_t)total;
				total += cnt[a];
				if (total > IPIDX_MAX_ENTRIES)
					goto fail;
			}
			x->off[nu] = (uint32_t)total;
			x->ids = malloc((total ? total : 1) * sizeof(*x->ids));
			if (!x->ids)
				goto fail;
			for (uint32_t a = 0; a < nu; a++)
				cnt[a] = x->off[a];
		}
	}
	free(cnt);
	return 0;
fail:
	free(cnt);
	free(x->lo);
	free(x->off);
	free(x->ids);
	memset(x, 0, sizeof(*x));
	return -1;
}

static void ipidx_free(struct ipidx *x)
{
	free(x->lo);
	free(x->off);
	free(x->ids);
	memset(x, 0, sizeof(*x));
}

/* Move the indexable rules of grp->nofp into its two IPv4 indexes. */
static void group_index_ips(struct detect_engine *e, struct group *grp)
{
	uint32_t *side_ids[2], nside[2] = { 0, 0 }, keep = 0;

	side_ids[0] = malloc((grp->nnofp + 1) * sizeof(uint32_t));
	side_ids[1] = malloc((grp->nnofp + 1) * sizeof(uint32_t));
	if (!side_ids[0] || !side_ids[1])
		goto out;
	for (uint32_t i = 0; i < grp->nnofp; i++) {
		int s = ipidx_side(e->rules[grp->nofp[i]].r);
		if (s)
			side_ids[s - 1][nside[s - 1]++] = grp->nofp[i];
	}
	if (ipidx_build(&grp->by_src, e, side_ids[0], nside[0], 1) < 0)
		nside[0] = 0;
	if (ipidx_build(&grp->by_dst, e, side_ids[1], nside[1], 2) < 0)
		nside[1] = 0;
	/* keep the rest, in order */
	for (uint32_t i = 0; i < grp->nnofp; i++) {
		int s = ipidx_side(e->rules[grp->nofp[i]].r);
		if (!s || !nside[s - 1])
			grp->nofp[keep++] = grp->nofp[i];
	}
	grp->nnofp = keep;
out:
	free(side_ids[0]);
	free(side_ids[1]);
}

static int build_group(struct detect_engine *e, int g, char *err, size_t errlen)
{
	struct group *grp = &e->groups[g];
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL;
	bool *nofp = NULL;
	unsigned n = 0;
	int rc = -ENOMEM;

	exprs = calloc(e->nrules + 1, sizeof(*exprs));
	flags = calloc(e->nrules + 1, sizeof(*flags));
	ids = calloc(e->nrules + 1, sizeof(*ids));
	lens = calloc(e->nrules + 1, sizeof(*lens));
	nofp = calloc(e->nrules + 1, sizeof(*nofp));
	grp->nofp = calloc(e->nrules + 1, sizeof(*grp->nofp));
	if (!exprs || !flags || !ids || !lens || !nofp || !grp->nofp) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		hs_compile_error_t *cerr = NULL;
		hs_error_t hr;

		n = 0;
		for (uint32_t i = 0; i < e->nrules; i++) {
			const struct rule *r = e->rules[i].r;
			const uint8_t *pat;
			uint32_t len;
			bool nc;

			if (!in_group(r, g) || nofp[i] || !fast_pattern(r, &pat, &len, &nc))
				continue;
			exprs[n] = (const char *)pat;
			lens[n] = len;
			flags[n] = HS_FLAG_SINGLEMATCH | (nc ? HS_FLAG_CASELESS : 0);
			ids[n] = i;
			n++;
		}
		if (!n)
			break;
		hr = hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL,
					  &grp->db, &cerr);
		if (hr == HS_SUCCESS)
			break;
		if (!cerr || cerr->expression < 0) {
			snprintf(err, errlen, "hyperscan: %s", cerr ? cerr->message : "compile failed");
			hs_free_compile_error(cerr);
			rc = -EINVAL;
			goto out;
		}
		/* That literal cannot be prefiltered: check its rule always. */
		nofp[ids[cerr->expression]] = true;
		hs_free_compile_error(cerr);
	}
	for (uint32_t i = 0; i < e->nrules; i++) {
		const uint8_t *pat;
		uint32_t len;
		bool nc;

		if (in_group(e->rules[i].r, g) &&
		    (nofp[i] || !fast_pattern(e->rules[i].r, &pat, &len, &nc)))
			grp->nofp[grp->nnofp++] = i;
	}
	group_index_ips(e, grp);
	if (grp->db && hs_alloc_scratch(grp->db, &e->scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: cannot allocate scratch");
		goto out;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	free(nofp);
	return rc;
}

struct detect_engine *detect_engine_build(const struct ruleset *rs, char *err, size_t errlen)
{
	struct detect_engine *e = calloc(1, sizeof(*e));
	size_t total = ruleset_count(rs);
	uint32_t n = 0;

	if (!e || !(e->rules = calloc(total + 1, sizeof(*e->rules)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	e->st.rules_total = total;
	/* four passes keep file order within each action */
	for (int rank = 0; rank < 4; rank++) {
		for (size_t i = 0; i < total; i++) {
			const struct rule *r = ruleset_rule(rs, i);
			enum detect_skip why;

			if (action_rank(r->action) != rank)
				continue;
			why = detect_rule_prepare(&e->rules[n], r, &e->max_ovec);
			switch (why) {
			case DETECT_OK:
				n++;
				continue;
			case DETECT_SKIP_APP_LAYER:
				e->st.rules_skipped_app_layer++;
				continue;
			case DETECT_SKIP_FLOWBITS:
				e->st.skipped_flowbits++;
				break;
			case DETECT_SKIP_THRESHOLD:
				e->st.skipped_threshold++;
				break;
			case DETECT_SKIP_PCRE:
				e->st.skipped_pcre++;
				break;
			case DETECT_SKIP_KEYWORD:
				e->st.skipped_keyword++;
				break;
			}
			e->st.rules_skipped_unsupported++;
		}
	}
	e->nrules = n;
	e->st.rules_active = n;
	for (uint32_t i = 0; i < n; i++) {
		const struct rule *r = e->rules[i].r;
		const uint8_t *pat;
		uint32_t len;
		bool nc;

		if (fast_pattern(r, &pat, &len, &nc))
			e->st.rules_prefiltered++;
		if (r->threshold.type != RULE_THRESH_NONE ||
		    r->detection_filter.type != RULE_THRESH_NONE)
			e->has_thresh = true;
		if (r->detection_filter.unique_on)
			e->has_unique = true;
	}
	for (int g = 0; g < GROUP_MAX; g++)
		if (build_group(e, g, err, errlen))
			goto fail;
	return e;
fail:
	detect_engine_free(e);
	return NULL;
}

void detect_engine_free(struct detect_engine *e)
{
	if (!e)
		return;
	for (int g = 0; g < GROUP_MAX; g++) {
		hs_free_database(e->groups[g].db);
		free(e->groups[g].nofp);
		ipidx_free(&e->groups[g].by_src);
		ipidx_free(&e->groups[g].by_dst);
	}
	hs_free_scratch(e->scratch);
	for (uint32_t i = 0; e->rules && i < e->nrules; i++)
		detect_rule_release(&e->rules[i]);
	free(e->rules);
	free(e);
}

void detect_engine_info(const struct detect_engine *e, struct detect_engine_stats *st)
{
	*st = e->st;
}

/* ---- threads ------------------------------------------------------------- */

struct detect_thread *detect_thread_new(const struct detect_engine *e)
{
	struct detect_thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->e = e;
	t->cand = calloc(e->nrules + 1, sizeof(*t->cand));
	if (!t->cand || detect_vctx_init(&t->v, e->max_ovec))
		goto fail;
	if (e->has_thresh && !(t->thresh = detect_thresh_new(e->has_unique)))
		goto fail;
	if (e->scratch && hs_clone_scratch(e->scratch, &t->scratch) != HS_SUCCESS)
		goto fail;
	return t;
fail:
	detect_thread_free(t);
	return NULL;
}

void detect_thread_free(struct detect_thread *t)
{
	if (!t)
		return;
	hs_free_scratch(t->scratch);
	detect_vctx_fini(&t->v);
	free(t->cand);
	detect_thresh_free(t->thresh);
	free(t);
}

const struct detect_thread_stats *detect_thread_stats(const struct detect_thread *t)
{
	return &t->st;
}

/* ---- the packet path ----------------------------------------------------- */

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct detect_thread *t = ctx;

	/* SINGLEMATCH: each id at most once, so nrules slots suffice */
	if (t->ncand <= t->e->nrules)
		t->cand[t->ncand++] = id;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool has_ports(const struct packet *p)
{
	if (p->proto != 6 && p->proto != 17 && p->proto != 132)
		return false;
	return !(p->flags & PKT_FRAGMENT) || (p->flags & PKT_FRAG_FIRST);
}

static bool set_has(struct detect_thread *t, const struct addr_set *s, int ver,
		    const union ip_addr *a)
{
	struct addr_cache_ent *c;
	uintptr_t h;

	if (!s || s->any)
		return true;
	h = ((uintptr_t)s >> 4) ^ ((uintptr_t)a >> 3);
	c = &t->acache[(h ^ (h >> 7)) & (ADDR_CACHE - 1)];
	if (c->gen == t->agen && c->set == s && c->addr == a)
		return c->hit;
	c->set = s;
	c->addr = a;
	c->gen = t->agen;
	c->hit = addr_set_match(s, ver, a);
	return c->hit;
}

static bool ports_any(const struct port_set *s)
{
	return !s || s->any;
}

static bool port_has(const struct port_set *s, uint16_t port)
{
	return !s || s->any || port_set_match(s, port);
}

static bool endpoints_match(struct detect_thread *t, const struct rule *r,
			    const struct packet *p, bool swap, bool ports)
{
	const union ip_addr *src = swap ? &p->dst : &p->src;
	const union ip_addr *dst = swap ? &p->src : &p->dst;
	uint16_t sp = swap ? p->dport : p->sport, dp = swap ? p->sport : p->dport;

	/* ports first: a few compares, and they reject most header-only rules
	 * (scan and service rules name one port); address sets are the
	 * costly part (a profile of ET Open had addr_set_match at 37%) */
	if (!ports) {
		/* no ports on the packet: only a portless rule applies */
		if (!ports_any(r->src_port) || !ports_any(r->dst_port))
			return false;
	} else if (!port_has(r->src_port, sp) || !port_has(r->dst_port, dp)) {
		return false;
	}
	return set_has(t, r->src_addr, p->ip_ver, src) && set_has(t, r->dst_addr, p->ip_ver, dst);
}

static bool header_match(struct detect_thread *t, const struct rule *r,
			 const struct packet *p)
{
	bool ports = has_ports(p);

	if (r->ip_version && r->ip_version != p->ip_ver)
		return false;
	if (!rule_has_proto(r, p->proto))
		return false;
	/* A later fragment carries no transport header: only ip rules. */
	if ((p->flags & PKT_FRAGMENT) && !(p->flags & PKT_FRAG_FIRST) &&
	    !(r->flags & RULE_PROTO_ANY))
		return false;
	/* An app-proto rule runs on the protocol's usual ports until the
	 * app layer can tell the protocol itself. */
	if (r->app_ports && ports && !port_has(r->app_ports, p->sport) &&
	    !port_has(r->app_ports, p->dport))
		return false;
	if (endpoints_match(t, r, p, false, ports))
		return true;
	return (r->flags & RULE_BIDIRECTIONAL) && endpoints_match(t, r, p, true, ports);
}

static void copy_str(char *dst, size_t cap, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s ? s : "", n);
	dst[n] = 0;
}

static void fill_alert(struct event_alert *a, const struct rule *r)
{
	size_t mlen = r->metadata_json ? strlen(r->metadata_json) : 0;

	a->gid = r->gid;
	a->sid = r->sid;
	a->rev = r->rev;
	a->severity = (uint8_t)(r->priority < 1 ? 1 : r->priority > 255 ? 255 : r->priority);
	a->action = ALERT_ACTION_ALLOWED;
	copy_str(a->signature, sizeof(a->signature), r->msg);
	copy_str(a->category, sizeof(a->category), r->category);
	/* The rule has "{...}", EVE wants the body; a body that does not
	 * fit is left out rather than cut into invalid JSON. */
	a->metadata[0] = 0;
	if (mlen >= 2 && mlen - 2 < sizeof(a->metadata)) {
		memcpy(a->metadata, r->metadata_json + 1, mlen - 2);
		a->metadata[mlen - 2] = 0;
	}
}

static int packet_group(const struct packet *p)
{
	switch (p->proto) {
	case 6: return GROUP_TCP;
	case 17: return GROUP_UDP;
	case 1:
	case 58: return GROUP_ICMP;
	default: return GROUP_OTHER;
	}
}

/* Cheap necessary condition for a rule's flowbits checks (see need_bits). */
static inline bool bits_possible(const struct detect_rule *dr, const struct flow *f)
{
	if (!f)
		return false;
	for (unsigned i = 0; i < FLOW_BITS_WORDS; i++)
		if ((f->bits[i] & dr->need_bits[i]) != dr->need_bits[i])
			return false;
	return true;
}

static int on_match_count(unsigned int id, unsigned long long from, unsigned long long to,
			  unsigned int flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(uint64_t *)ctx)++;
	return 0;
}

uint64_t detect_packet_scan_only(struct detect_thread *t, const struct packet *p)
{
	const struct group *g;
	uint64_t n = 0;

	if (p->ip_ver != 4 && p->ip_ver != 6)
		return 0;
	g = &t->e->groups[packet_group(p)];
	if (g->db && p->payload_off && p->payload_len &&
	    hs_scan(g->db, (const char *)p->data + p->payload_off, p->payload_len, 0,
		    t->scratch, on_match_count, &n) != HS_SUCCESS)
		t->st.scan_errors++;
	return n;
}

unsigned detect_packet(struct detect_thread *t, const struct packet *p, struct flow *f,
		       enum flow_dir dir, detect_alert_fn cb, void *arg)
{
	const struct detect_engine *e = t->e;
	const struct group *g;
	unsigned alerts = 0;
	uint32_t ci = 0, ni = 0;

	if (p->ip_ver != 4 && p->ip_ver != 6)
		return 0;
	t->st.packets++;
	/* a new packet: every cached address answer is stale (generation 0
	 * is never current, so zeroed entries never hit) */
	if (++t->agen == 0)
		t->agen = 1;
	g = &e->groups[packet_group(p)];
	t->ncand = 0;
	if (g->db && p->payload_off && p->payload_len) {
		if (hs_scan(g->db, (const char *)p->data + p->payload_off, p->payload_len, 0,
			    t->scratch, on_match, t) != HS_SUCCESS)
			t->st.scan_errors++;
	}
	if (p->ip_ver == 4 && (g->by_src.nseg || g->by_dst.nseg)) {
		/* indexed rules are disjoint from the prefiltered ones and each
		 * appears once per segment: cand (nrules long) cannot overflow */
		for (int side = 0; side < 2; side++) {
			const struct ipidx *x = side ? &g->by_dst : &g->by_src;
			const uint8_t *a = side ? p->dst.b : p->src.b;
			int64_t s = ipidx_find(x, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
						  (uint32_t)a[2] << 8 | a[3]);
			if (s < 0)
				continue;
			for (uint32_t k = x->off[s]; k < x->off[s + 1]; k++)
				t->cand[t->ncand++] = x->ids[k];
		}
	}
	if (t->ncand > 1)
		qsort(t->cand, t->ncand, sizeof(*t->cand), cmp_u32);
	t->st.candidates += t->ncand;
	/* merge two ascending lists: candidates and always-check rules */
	while (ci < t->ncand || ni < g->nnofp) {
		uint32_t id;
		const struct detect_rule *dr;

		if (ni >= g->nnofp || (ci < t->ncand && t->cand[ci] < g->nofp[ni]))
			id = t->cand[ci++];
		else
			id = g->nofp[ni++];
		dr = &e->rules[id];
		if (dr->has_bit_checks && !bits_possible(dr, f))
			continue;
		if (!header_match(t, dr->r, p))
			continue;
		t->st.checked++;
		if (!detect_rule_verify(dr, &t->v, p, f, dir))
			continue;
		/* before anything else, so later rules on this packet see it */
		detect_rule_bits_apply(dr, f);
		if (dr->r->action == RULE_ACTION_PASS) {
			/* pass rules sort first: nothing has alerted yet */
			t->st.passed++;
			return 0;
		}
		if (dr->r->flags & RULE_NOALERT)
			continue;
		if (!detect_thresh_allow(t->thresh, &t->st, dr->r, p, f))
			continue;
		fill_alert(&t->alert, dr->r);
		alerts++;
		t->st.alerts++;
		if (f)
			f->alerted = 1;
		if (cb)
			cb(arg, p, f, &t->alert);
	}
	return alerts;
}
