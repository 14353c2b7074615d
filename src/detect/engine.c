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
 * most once per scan. Rules without a literal whose pcre Hyperscan can
 * prefilter go into a second database (build_group_pcre); the rest
 * (header-only, negated-only) are filed in the group's address and port
 * indexes (below), and what no index can hold goes on the group's
 * always-check list.
 *
 * Per packet: one hs_scan() of the payload whose callback only marks rule
 * ids in the thread's candidate bitmap; the index lookups and the
 * always-check list mark theirs; walking the bitmap's words then yields
 * each candidate once, in rule order, without a sort (a qsort of the
 * candidates was a quarter of the time with ET Open). Each gets the cheap
 * header check (protocol, addresses, ports, <>) before full verification. Everything the packet path touches was allocated by
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

#include "mamori/clock.h"
#include "mamori/detect.h"
#include "mamori/stream.h"

enum group_id { GROUP_TCP, GROUP_UDP, GROUP_ICMP, GROUP_OTHER, GROUP_MAX };

/*
 * Indexes of the rules without a fast pattern. Checking each in turn on
 * every packet was the main cost with ET Open: its reputation rules
 * (hundreds of single addresses each) and its scan and service rules (one
 * port, header options only). Such a rule is instead filed under the one
 * key of the packet that it needs to see: its source or destination IPv4
 * set, its source or destination port set, or a port on either side (`<>`
 * and application-protocol port lists); whichever covers the smallest
 * share of its space. The boundaries of all filed ranges cut the key space
 * into segments; each segment lists the rules whose set covers it. A packet
 * then costs one binary search per non-empty index, and only rules whose
 * set holds its key become candidates (header and options are still
 * checked in full, so the index only has to hold a necessary condition).
 */
enum idx_kind {
	IDX_SRC_IP4, IDX_DST_IP4, IDX_SRC_PORT, IDX_DST_PORT, IDX_EITHER_PORT,
	/* of the rules IPv6 packets must check (group.v6only): keyed on the
	 * top 32 bits of the address, a necessary condition */
	IDX_SRC_IP6, IDX_DST_IP6,
	IDX_MAX,
	IDX_V6_ONLY = IDX_MAX           /* not an index: a list for IPv6 packets only */
};

struct ridx {
	uint32_t *lo;                   /* segment i is [lo[i], lo[i+1]) */
	uint32_t *off;                  /* its rules: ids[off[i] .. off[i+1]) */
	uint32_t *ids;
	uint32_t nseg;
};

/* One range of one rule's key set, while an index is built. */
struct ridx_ent {
	uint32_t lo, hi, id;
};

struct group {
	hs_database_t *db;              /* NULL when no rule has a fast pattern */
	/* the pcre of rules without a literal fast pattern, compiled with
	 * HS_FLAG_PREFILTER (a superset of PCRE's matches: PCRE2 confirms) */
	hs_database_t *redb;
	/* TCP with stream rules: db's literals reporting every match, for
	 * the seam of a stream window (see scan_window) */
	hs_database_t *seamdb;
	uint32_t *nofp;                 /* always-check rules, ascending */
	uint32_t nnofp;
	struct ridx idx[IDX_MAX];       /* indexed rules are not in nofp */
	uint32_t *v6only;               /* rules only IPv6 packets can match */
	uint32_t nv6only;
};

/* The app rules of one application protocol: a literal database per
 * buffer of their fast patterns, and those without one. */
struct app_group {
	hs_database_t *db[RULE_BUF_MAX];
	uint32_t *nofp;
	uint32_t nnofp;
	/* HTTP: a request buffer at a response point is scanned only when a
	 * response rule has its fast pattern there */
	bool resp_scan[RULE_BUF_MAX];
};

#define SKIP_KW_MAX 48

struct detect_engine {
	struct detect_rule *rules;      /* active rules, in rule order */
	uint32_t nrules;
	struct group groups[GROUP_MAX];
	struct app_group app[APP_PROTO_MAX];
	hs_scratch_t *scratch;          /* prototype, cloned per thread */
	uint32_t max_ovec;
	bool has_thresh;                /* some active rule has a threshold */
	bool has_unique;                /* ... a detection_filter unique_on */
	bool has_stream;                /* some TCP rule matches streams */
	/* skipped rules by keyword (detect_engine_skipped), most first */
	struct skip_kw {
		char kw[40];
		uint32_t n;
	} skip[SKIP_KW_MAX];
	unsigned nskip;
	uint32_t carry;                 /* stream bytes rescanned (<= FLOW_CARRY_MAX) */
	struct detect_engine_stats st;
};

/* A stream window: the carry and up to 64 KiB of new bytes. */
#define WIN_NEW_MAX 65536
#define WIN_CAP (FLOW_CARRY_MAX + WIN_NEW_MAX)

/* What a payload buffer is while candidates run (see run_rule). */
enum wmode {
	WM_NONE,        /* a packet without a stream: the payload */
	WM_PACKET,      /* a packet the stream took: stream rules see the window */
	WM_ALONE,       /* a window on its own: stream rules (and pass rules) only */
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
	/* the current packet's candidates, one bit per rule: marking
	 * dedups, and walking the words gives rule order without a sort */
	uint64_t *cand;
	uint32_t cand_lo, cand_hi;      /* words marked: [lo, hi], empty when lo > hi */
	uint32_t ncand;
	struct detect_vctx v;
	struct detect_thread_stats *st; /* own_st, or the caller's */
	struct detect_thread_stats own_st;
	struct event_alert alert;       /* filled per alert; too big for the stack */
	/* stream inspection (detect_stream_begin): the window gathered for
	 * packet wp of flow wf, direction wdir */
	uint8_t *win;                   /* WIN_CAP */
	uint8_t *win2;                  /* WIN_CAP: deliveries outside a window */
	uint32_t wlen, wcarry;          /* bytes in win; the first wcarry carried */
	const struct packet *wp;
	struct flow *wf;
	uint8_t wdir;
	bool wactive;
	bool wdirect;                   /* the new bytes start with wp's payload */
	bool wloaded;                   /* the carry is in win (first delivery) */
	uint32_t wndeliv;               /* deliveries into this window */
	uint8_t wmode;                  /* enum wmode, while candidates run */
	bool wretrans;                  /* WM_PACKET: the payload was old bytes */
	const uint8_t *wbuf;            /* the window candidates see */
	uint32_t wblen, wbcarry;
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

static bool in_group(const struct detect_rule *dr, int g)
{
	const struct rule *r = dr->r;

	/* app rules run at the parsers' inspection points (detect_app) */
	if (dr->app)
		return false;
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

/* An app rule's fast pattern: its fast_pattern content, else the longest
 * positive content of an application buffer; false when it has none. */
static bool app_fast_pattern(const struct rule *r, const uint8_t **pat, uint32_t *len,
			     bool *nocase, uint8_t *buffer)
{
	const struct rule_opt *best = NULL;

	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		if (o->type != RULE_OPT_CONTENT || o->u.content.negated || !o->u.content.len ||
		    !rule_buffer_is_app(o->buffer))
			continue;
		if (o->u.content.fast_pattern) {
			best = o;
			break;
		}
		if (!best || o->u.content.len > best->u.content.len)
			best = o;
	}
	if (!best)
		return false;
	*pat = best->u.content.pat;
	*len = best->u.content.len;
	if (best->u.content.fast_pattern && best->u.content.fp_chop && best->u.content.fp_len &&
	    (uint64_t)best->u.content.fp_off + best->u.content.fp_len <= best->u.content.len) {
		*pat = best->u.content.pat + best->u.content.fp_off;
		*len = best->u.content.fp_len;
	}
	*nocase = best->u.content.nocase;
	*buffer = best->buffer;
	/* The databases scan buffers as the parser gave them; a transform
	 * changes the bytes, so the literal must be one the untransformed
	 * buffer holds whenever the transformed one matches: without the
	 * dot dotprefix adds, caseless after to_lowercase. */
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		if (o->type != RULE_OPT_TRANSFORM || o->buffer != best->buffer)
			continue;
		switch (detect_xform_of(o->u.transform.name)) {
		case DETECT_XF_DOTPREFIX:
			if (*len && (*pat)[0] == '.') {
				if (*len == 1)
					return false;
				(*pat)++;
				(*len)--;
			}
			break;
		case DETECT_XF_LOWER:
			*nocase = true;
			break;
		default:
			break;
		}
	}
	return true;
}

/*
 * One database from a set of expressions: literals (lens given) or
 * NUL-terminated regexes (lens NULL). An expression Hyperscan refuses is
 * left out and the rest compiled again, as often as it takes; dropped[k]
 * marks those (its rule is then checked without this prefilter). *db is
 * NULL when nothing is left. Returns 0, or -1 with err set when Hyperscan
 * fails for a reason no single expression explains, or memory runs out.
 */
struct hs_set {
	const char *const *exprs;
	const size_t *lens;
	const unsigned *flags, *ids;
	unsigned n;
};

static int compile_dropping(const struct hs_set *set, const char *cache_dir, bool *dropped,
			    hs_database_t **db, struct hs_cache_stats *cst, char *err,
			    size_t errlen)
{
	const char **ex = calloc(set->n + 1, sizeof(*ex));
	size_t *ln = calloc(set->n + 1, sizeof(*ln));
	unsigned *fl = calloc(set->n + 1, sizeof(*fl));
	unsigned *id = calloc(set->n + 1, sizeof(*id));
	unsigned *pos = calloc(set->n + 1, sizeof(*pos));
	int rc = -1;

	*db = NULL;
	if (!ex || !ln || !fl || !id || !pos) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		hs_compile_error_t *cerr = NULL;
		unsigned m = 0;
		hs_error_t hr;

		/* the survivors, in their order */
		for (unsigned k = 0; k < set->n; k++) {
			if (dropped[k])
				continue;
			ex[m] = set->exprs[k];
			ln[m] = set->lens ? set->lens[k] : 0;
			fl[m] = set->flags[k];
			id[m] = set->ids[k];
			pos[m++] = k;
		}
		if (!m)
			break;
		hr = set->lens ? hs_cache_compile_lit(cache_dir, ex, fl, id, ln, m, db, &cerr, cst)
			       : hs_cache_compile_multi(cache_dir, ex, fl, id, m, db, &cerr, cst);
		if (hr == HS_SUCCESS)
			break;
		if (!cerr || cerr->expression < 0 || (unsigned)cerr->expression >= m) {
			snprintf(err, errlen, "hyperscan: %s", cerr ? cerr->message : "compile failed");
			hs_free_compile_error(cerr);
			goto out;
		}
		dropped[pos[cerr->expression]] = true;
		hs_free_compile_error(cerr);
	}
	rc = 0;
out:
	free(ex);
	free(ln);
	free(fl);
	free(id);
	free(pos);
	return rc;
}

/* The app group of protocol a: per buffer, one literal database of the
 * fast patterns there; a literal Hyperscan refuses, or a rule with no
 * content, goes on the group's always-check list. */
static int build_app_group(struct detect_engine *e, int a, const char *cache_dir,
			   struct hs_cache_stats *cst, char *err, size_t errlen)
{
	struct app_group *ag = &e->app[a];
	const char **exprs = calloc(e->nrules + 1, sizeof(*exprs));
	unsigned *flags = calloc(e->nrules + 1, sizeof(*flags));
	unsigned *ids = calloc(e->nrules + 1, sizeof(*ids));
	size_t *lens = calloc(e->nrules + 1, sizeof(*lens));
	bool *dropped = calloc(e->nrules + 1, sizeof(*dropped));
	bool *nofp = calloc(e->nrules + 1, sizeof(*nofp));
	int rc = -1;

	ag->nofp = calloc(e->nrules + 1, sizeof(*ag->nofp));
	if (!exprs || !flags || !ids || !lens || !dropped || !nofp || !ag->nofp) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		struct hs_set set = { exprs, lens, flags, ids, 0 };

		for (uint32_t i = 0; i < e->nrules; i++) {
			const uint8_t *pat;
			uint32_t len;
			bool nc;
			uint8_t fb;

			if (e->rules[i].app != a ||
			    !app_fast_pattern(e->rules[i].r, &pat, &len, &nc, &fb) || fb != b)
				continue;
			exprs[set.n] = (const char *)pat;
			lens[set.n] = len;
			flags[set.n] = HS_FLAG_SINGLEMATCH | (nc ? HS_FLAG_CASELESS : 0);
			dropped[set.n] = false;
			ids[set.n++] = i;
			if (e->rules[i].http_side & DETECT_HTTP_RESP)
				ag->resp_scan[b] = true;
		}
		if (!set.n)
			continue;
		if (compile_dropping(&set, cache_dir, dropped, &ag->db[b], cst, err, errlen))
			goto out;
		for (unsigned k = 0; k < set.n; k++)
			nofp[ids[k]] |= dropped[k];
		if (ag->db[b] && hs_alloc_scratch(ag->db[b], &e->scratch) != HS_SUCCESS) {
			snprintf(err, errlen, "hyperscan: cannot allocate scratch");
			goto out;
		}
	}
	for (uint32_t i = 0; i < e->nrules; i++) {
		const uint8_t *pat;
		uint32_t len;
		bool nc;
		uint8_t fb;

		if (e->rules[i].app == a &&
		    (nofp[i] || !app_fast_pattern(e->rules[i].r, &pat, &len, &nc, &fb)))
			ag->nofp[ag->nnofp++] = i;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	free(lens);
	free(dropped);
	free(nofp);
	return rc;
}

/* The pcre a rule without a literal fast pattern can be prefiltered by:
 * positive, on the packet payload, matched from the buffer's start (not
 * relative, whose ^ anchors elsewhere); NULL when none. */
static const struct rule_pcre *prefilter_pcre(const struct rule *r)
{
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		if (o->type == RULE_OPT_PCRE && !o->u.pcre.negated &&
		    !(o->u.pcre.flags & RULE_PCRE_RELATIVE) &&
		    (o->buffer == RULE_BUF_PAYLOAD || o->buffer == RULE_BUF_RAW))
			return &o->u.pcre;
	}
	return NULL;
}

/* The share of its space a set covers (what an index on it filters). */
static double share_ip4(const struct addr_set *s)
{
	double c = 0;

	for (uint32_t k = 0; k < s->n4; k++)
		c += (double)s->v4[k].hi - s->v4[k].lo + 1;
	return c / 4294967296.0;
}

static double share_port(const struct port_set *s)
{
	double c = 0;

	for (uint32_t k = 0; k < s->n; k++)
		c += (double)s->r[k].hi - s->r[k].lo + 1;
	return c / 65536.0;
}

/* The index a rule without a fast pattern is filed under, or -1 (a set
 * is any, holds IPv6, ...); g decides whether the packets have ports.
 * For IDX_EITHER_PORT, *either is the port set it is filed with. */
static int idx_choose(const struct rule *r, int g, const struct port_set **either)
{
	const struct addr_set *sa = r->src_addr, *da = r->dst_addr;
	const struct port_set *sp = r->src_port, *dp = r->dst_port;
	double best = 1.0, f;
	int kind = -1;
	bool bidir = r->flags & RULE_BIDIRECTIONAL;
	bool ports = (g == GROUP_TCP || g == GROUP_UDP) && !(r->flags & RULE_PROTO_ANY);

	*either = NULL;
	if (!bidir && r->ip_version != 6) {
		/* the IPv4 part; IPv6 packets check the rule in v6only */
		if (sa && !sa->any && sa->n4 && (f = share_ip4(sa)) < best) {
			best = f;
			kind = IDX_SRC_IP4;
		}
		if (da && !da->any && da->n4 && (f = share_ip4(da)) < best) {
			best = f;
			kind = IDX_DST_IP4;
		}
	}
	if (ports) {
		bool s_any = !sp || sp->any, d_any = !dp || dp->any;

		if (!bidir) {
			if (!s_any && (f = share_port(sp)) < best) {
				best = f;
				kind = IDX_SRC_PORT;
			}
			if (!d_any && (f = share_port(dp)) < best) {
				best = f;
				kind = IDX_DST_PORT;
			}
		} else if (s_any != d_any && (f = share_port(s_any ? dp : sp)) < best) {
			best = f;
			kind = IDX_EITHER_PORT;
			*either = s_any ? dp : sp;
		}
		/* an app-protocol rule needs one of its ports on either side */
		if (r->app_ports && !r->app_ports->any && (f = share_port(r->app_ports)) < best) {
			best = f;
			kind = IDX_EITHER_PORT;
			*either = r->app_ports;
		}
	}
	/* an IPv6-only address set (IPv6 reputation lists): such a rule
	 * cannot match an IPv4 packet, which is most of them */
	if ((sa && !sa->any && !sa->n4 && sa->n6) || (da && !da->any && !da->n4 && da->n6))
		return IDX_V6_ONLY;
	/* a set covering half its space or more is no filter worth a lookup */
	return best < 0.5 ? kind : -1;
}

/* The key of the IPv6 indexes: an address's top 32 bits. */
static inline uint32_t v6_key(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* Append rule id's ranges for index kind to *ents (grown as needed). */
static int ridx_collect(struct ridx_ent **ents, size_t *n, size_t *cap,
			const struct rule *r, int kind, const struct port_set *either, uint32_t id)
{
	bool v6 = kind == IDX_SRC_IP6 || kind == IDX_DST_IP6;
	const struct addr_set *as = kind == IDX_SRC_IP4 || kind == IDX_SRC_IP6 ? r->src_addr
										 : r->dst_addr;
	const struct port_set *ps = kind == IDX_SRC_PORT ? r->src_port
				    : kind == IDX_DST_PORT ? r->dst_port : either;
	bool ip = kind == IDX_SRC_IP4 || kind == IDX_DST_IP4;
	uint32_t cnt = v6 ? as->n6 : ip ? as->n4 : ps->n;

	if (*n + cnt > *cap) {
		size_t nc = (*n + cnt) * 2;
		struct ridx_ent *ne = realloc(*ents, nc * sizeof(**ents));

		if (!ne)
			return -1;
		*ents = ne;
		*cap = nc;
	}
	for (uint32_t k = 0; k < cnt; k++) {
		struct ridx_ent *x = &(*ents)[(*n)++];

		if (v6) {
			x->lo = v6_key(as->v6[k].lo);
			x->hi = v6_key(as->v6[k].hi);
		} else {
			x->lo = ip ? as->v4[k].lo : ps->r[k].lo;
			x->hi = ip ? as->v4[k].hi : ps->r[k].hi;
		}
		x->id = id;
	}
	return 0;
}

static int cmp_u32v(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The segment holding key, or -1 (below the first boundary). */
static int64_t ridx_find(const struct ridx *x, uint32_t key)
{
	uint32_t lo = 0, hi = x->nseg;

	if (!x->nseg || key < x->lo[0])
		return -1;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->lo[mid] <= key)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

#define RIDX_MAX_ENTRIES (8u << 20)

/* Build x over n ranges; 0, or -1 when it would be too big (the caller
 * then keeps those rules on the always-check list). */
static int ridx_build(struct ridx *x, const struct ridx_ent *ents, size_t n)
{
	uint64_t nb = 0, total = 0;
	uint32_t *b = NULL, *cnt = NULL, nu = 0;

	memset(x, 0, sizeof(*x));
	if (!n)
		return 0;
	if (2 * n > RIDX_MAX_ENTRIES || !(b = malloc(2 * n * sizeof(*b))))
		return -1;
	for (size_t i = 0; i < n; i++) {
		b[nb++] = ents[i].lo;
		if (ents[i].hi != UINT32_MAX)
			b[nb++] = ents[i].hi + 1;
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
		for (size_t i = 0; i < n; i++) {
			uint32_t a = (uint32_t)ridx_find(x, ents[i].lo);

			for (; a < nu && x->lo[a] <= ents[i].hi; a++) {
				if (pass == 0)
					cnt[a]++;
				else
					x->ids[cnt[a]++] = ents[i].id;
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
				if (total > RIDX_MAX_ENTRIES)
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

static void ridx_free(struct ridx *x)
{
	free(x->lo);
	free(x->off);
	free(x->ids);
	memset(x, 0, sizeof(*x));
}

/* Which IPv6 index a rule of v6only goes in (-1: none): the side whose
 * IPv6 part covers the smaller share of the top-32-bit key space. */
static int idx_choose_v6(const struct rule *r)
{
	const struct addr_set *set[2] = { r->src_addr, r->dst_addr };
	double best = 0.5;
	int kind = -1;

	if (r->flags & RULE_BIDIRECTIONAL)
		return -1;
	for (int side = 0; side < 2; side++) {
		const struct addr_set *s = set[side];
		double c = 0;

		if (!s || s->any || !s->n6)
			continue;
		for (uint32_t k = 0; k < s->n6; k++)
			c += (double)v6_key(s->v6[k].hi) - v6_key(s->v6[k].lo) + 1;
		if (c / 4294967296.0 < best) {
			best = c / 4294967296.0;
			kind = side ? IDX_DST_IP6 : IDX_SRC_IP6;
		}
	}
	return kind;
}

/* Index the v6only rules by IPv6 address where one side allows it. */
static void group_index_v6(struct detect_engine *e, struct group *grp)
{
	struct ridx_ent *ents = NULL;
	size_t n, cap = 0;
	bool built[2] = { false, false };
	uint32_t keep = 0;

	for (int kind = IDX_SRC_IP6; kind <= IDX_DST_IP6; kind++) {
		bool ok = true;

		n = 0;
		for (uint32_t i = 0; i < grp->nv6only && ok; i++) {
			const struct rule *r = e->rules[grp->v6only[i]].r;

			if (idx_choose_v6(r) == kind &&
			    ridx_collect(&ents, &n, &cap, r, kind, NULL, grp->v6only[i]) < 0)
				ok = false;
		}
		built[kind - IDX_SRC_IP6] = ok && n && ridx_build(&grp->idx[kind], ents, n) == 0;
	}
	free(ents);
	for (uint32_t i = 0; i < grp->nv6only; i++) {
		int kind = idx_choose_v6(e->rules[grp->v6only[i]].r);

		if (kind < 0 || !built[kind - IDX_SRC_IP6])
			grp->v6only[keep++] = grp->v6only[i];
	}
	grp->nv6only = keep;
}

/* Move the indexable rules of grp->nofp into the group's indexes. */
static void group_index(struct detect_engine *e, struct group *grp, int g)
{
	struct ridx_ent *ents = NULL;
	size_t n, cap = 0;
	bool built[IDX_MAX] = { false };
	uint32_t keep = 0;

	for (int kind = 0; kind < IDX_MAX; kind++) {
		bool ok = true;

		n = 0;
		for (uint32_t i = 0; i < grp->nnofp && ok; i++) {
			const struct rule *r = e->rules[grp->nofp[i]].r;
			const struct port_set *either;

			if (idx_choose(r, g, &either) == kind &&
			    ridx_collect(&ents, &n, &cap, r, kind, either, grp->nofp[i]) < 0)
				ok = false;
		}
		built[kind] = ok && n && ridx_build(&grp->idx[kind], ents, n) == 0;
	}
	free(ents);
	grp->v6only = malloc(((size_t)grp->nnofp + 1) * sizeof(*grp->v6only));
	/* keep the rest, in order */
	for (uint32_t i = 0; i < grp->nnofp; i++) {
		const struct rule *r = e->rules[grp->nofp[i]].r;
		const struct port_set *either;
		int kind = idx_choose(r, g, &either);
		const struct addr_set *as = kind == IDX_SRC_IP4 ? r->src_addr : r->dst_addr;
		bool ip4 = kind == IDX_SRC_IP4 || kind == IDX_DST_IP4;

		/* (without the v6only array everything not indexed stays on
		 * nofp, indexed or not: marking twice is harmless) */
		if (!grp->v6only || kind < 0 || (kind < IDX_MAX && !built[kind]))
			grp->nofp[keep++] = grp->nofp[i];
		else if (kind == IDX_V6_ONLY || (ip4 && as->n6))
			/* the IPv4 index holds it for IPv4 packets only */
			grp->v6only[grp->nv6only++] = grp->nofp[i];
	}
	grp->nnofp = keep;
	if (grp->v6only)
		group_index_v6(e, grp);
}

/*
 * The pcre prefilter database of a group: each rule of grp->nofp with a
 * usable pcre (prefilter_pcre) contributes it, with HS_FLAG_PREFILTER (so
 * Hyperscan accepts constructs it can only approximate, matching a
 * superset) and SINGLEMATCH; a pcre Hyperscan still refuses leaves its
 * rule on nofp. The rules it holds leave nofp: they become candidates only
 * when their regex may match, and verification runs the real PCRE2.
 */
static int build_group_pcre(struct detect_engine *e, struct group *grp, const char *cache_dir,
			    struct hs_cache_stats *cst, char *err, size_t errlen)
{
	char **exprs = calloc(grp->nnofp + 1, sizeof(*exprs));
	unsigned *flags = calloc(grp->nnofp + 1, sizeof(*flags));
	unsigned *ids = calloc(grp->nnofp + 1, sizeof(*ids));
	bool *in = calloc(e->nrules + 1, sizeof(*in));
	bool *dropped = calloc(grp->nnofp + 1, sizeof(*dropped));
	unsigned n = 0, keep = 0;
	int rc = -1;

	if (!exprs || !flags || !ids || !in || !dropped) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < grp->nnofp; k++) {
		const struct rule_pcre *pc = prefilter_pcre(e->rules[grp->nofp[k]].r);
		size_t len;

		if (!pc)
			continue;
		/* Hyperscan has no flag for x: the inline option does it */
		len = strlen(pc->re) + 5;
		exprs[n] = malloc(len);
		if (!exprs[n]) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		snprintf(exprs[n], len, "%s%s", pc->flags & RULE_PCRE_EXTENDED ? "(?x)" : "",
			 pc->re);
		flags[n] = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY |
			   (pc->flags & RULE_PCRE_CASELESS ? HS_FLAG_CASELESS : 0) |
			   (pc->flags & RULE_PCRE_DOTALL ? HS_FLAG_DOTALL : 0) |
			   (pc->flags & RULE_PCRE_MULTILINE ? HS_FLAG_MULTILINE : 0);
		ids[n] = grp->nofp[k];
		n++;
	}
	{
		const struct hs_set set = { (const char *const *)exprs, NULL, flags, ids, n };

		/* a refused one stays on nofp */
		if (compile_dropping(&set, cache_dir, dropped, &grp->redb, cst, err, errlen))
			goto out;
	}
	if (grp->redb && hs_alloc_scratch(grp->redb, &e->scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: cannot allocate scratch");
		goto out;
	}
	for (unsigned k = 0; grp->redb && k < n; k++)
		in[ids[k]] = !dropped[k];
	for (uint32_t k = 0; k < grp->nnofp; k++)
		if (!in[grp->nofp[k]])
			grp->nofp[keep++] = grp->nofp[k];
	e->st.rules_pcre_prefiltered += grp->nnofp - keep;
	grp->nnofp = keep;
	rc = 0;
out:
	for (unsigned k = 0; exprs && k < n; k++)
		free(exprs[k]);
	free(exprs);
	free(flags);
	free(ids);
	free(in);
	free(dropped);
	return rc;
}

static int build_group(struct detect_engine *e, int g, const char *cache_dir,
		       struct hs_cache_stats *cst, char *err, size_t errlen)
{
	struct group *grp = &e->groups[g];
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	size_t *lens = NULL;
	bool *nofp = NULL, *dropped = NULL;
	unsigned n = 0;
	int rc = -ENOMEM;

	exprs = calloc(e->nrules + 1, sizeof(*exprs));
	flags = calloc(e->nrules + 1, sizeof(*flags));
	ids = calloc(e->nrules + 1, sizeof(*ids));
	lens = calloc(e->nrules + 1, sizeof(*lens));
	nofp = calloc(e->nrules + 1, sizeof(*nofp));
	dropped = calloc(e->nrules + 1, sizeof(*dropped));
	grp->nofp = calloc(e->nrules + 1, sizeof(*grp->nofp));
	if (!exprs || !flags || !ids || !lens || !nofp || !dropped || !grp->nofp) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < e->nrules; i++) {
		const struct rule *r = e->rules[i].r;
		const uint8_t *pat;
		uint32_t len;
		bool nc;

		if (!in_group(&e->rules[i], g) || !fast_pattern(r, &pat, &len, &nc))
			continue;
		exprs[n] = (const char *)pat;
		lens[n] = len;
		flags[n] = HS_FLAG_SINGLEMATCH | (nc ? HS_FLAG_CASELESS : 0);
		ids[n] = i;
		n++;
	}
	{
		const struct hs_set set = { exprs, lens, flags, ids, n };

		if (compile_dropping(&set, cache_dir, dropped, &grp->db, cst, err, errlen)) {
			rc = -EINVAL;
			goto out;
		}
	}
	/* a literal Hyperscan refused cannot prefilter: its rule is checked
	 * the way rules without one are */
	for (unsigned k = 0; k < n; k++)
		nofp[ids[k]] |= dropped[k];
	if (g == GROUP_TCP && e->has_stream && n) {
		/* the same literals reporting every match, for stream windows
		 * (scan_window); without it a window falls back to db alone (a
		 * repeat hidden in the carry may then be missed) */
		const struct hs_set seam = { exprs, lens, flags, ids, n };
		char serr[256];

		for (unsigned k = 0; k < n; k++)
			flags[k] &= ~(unsigned)HS_FLAG_SINGLEMATCH;
		if (compile_dropping(&seam, cache_dir, dropped, &grp->seamdb, cst, serr,
				     sizeof(serr)))
			grp->seamdb = NULL;
		if (grp->seamdb && hs_alloc_scratch(grp->seamdb, &e->scratch) != HS_SUCCESS) {
			snprintf(err, errlen, "hyperscan: cannot allocate scratch");
			goto out;
		}
	}
	for (uint32_t i = 0; i < e->nrules; i++) {
		const uint8_t *pat;
		uint32_t len;
		bool nc;

		if (in_group(&e->rules[i], g) &&
		    (nofp[i] || !fast_pattern(e->rules[i].r, &pat, &len, &nc)))
			grp->nofp[grp->nnofp++] = i;
	}
	if (build_group_pcre(e, grp, cache_dir, cst, err, errlen) < 0)
		goto out;
	group_index(e, grp, g);
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
	free(dropped);
	return rc;
}

/* Count a skipped rule under its keyword (the last slot takes the rest). */
static void skip_count(struct detect_engine *e, const char *kw)
{
	unsigned i;

	if (!kw || !*kw)
		kw = "?";
	for (i = 0; i < e->nskip; i++)
		if (!strcmp(e->skip[i].kw, kw))
			break;
	if (i == e->nskip) {
		if (e->nskip == SKIP_KW_MAX)
			i = SKIP_KW_MAX - 1;
		else
			snprintf(e->skip[e->nskip++].kw, sizeof(e->skip[0].kw), "%s", kw);
	}
	e->skip[i].n++;
	/* keep it sorted, most first */
	while (i > 0 && e->skip[i].n > e->skip[i - 1].n) {
		struct skip_kw tmp = e->skip[i];

		e->skip[i] = e->skip[i - 1];
		e->skip[--i] = tmp;
	}
}

bool detect_engine_skipped(const struct detect_engine *e, unsigned i, const char **kw,
			   uint32_t *n)
{
	if (i >= e->nskip)
		return false;
	*kw = e->skip[i].kw;
	*n = e->skip[i].n;
	return true;
}

struct detect_engine *detect_engine_build(const struct ruleset *rs,
					  const struct detect_engine_config *cfg,
					  char *err, size_t errlen)
{
	struct detect_engine *e = calloc(1, sizeof(*e));
	struct hs_cache_stats cst = { 0 };
	uint64_t t0 = clock_mono_ns();
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
			const char *kw;

			if (action_rank(r->action) != rank)
				continue;
			why = detect_rule_prepare(&e->rules[n], r, &e->max_ovec, &kw);
			if (why != DETECT_OK)
				skip_count(e, kw);
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
		bool nc, fp;

		fp = !e->rules[i].app && fast_pattern(r, &pat, &len, &nc);
		if (e->rules[i].app)
			e->st.rules_app++;
		else if (fp)
			e->st.rules_prefiltered++;
		/* the carry must hold all but the last byte of a fast pattern
		 * that ends in new bytes; a pcre prefilter has no fixed width,
		 * it gets the most there is */
		if (e->rules[i].smode != DETECT_SM_PACKET && in_group(&e->rules[i], GROUP_TCP)) {
			uint32_t need = fp ? len - 1 : FLOW_CARRY_MAX;

			e->has_stream = true;
			if (need > e->carry)
				e->carry = need > FLOW_CARRY_MAX ? FLOW_CARRY_MAX : need;
		}
		if (r->threshold.type != RULE_THRESH_NONE ||
		    r->detection_filter.type != RULE_THRESH_NONE)
			e->has_thresh = true;
		if (r->detection_filter.unique_on)
			e->has_unique = true;
		/* stream_size reads the sequence numbers reassembly tracks:
		 * keep it going for every TCP flow */
		for (uint32_t k = 0; k < r->nopts; k++)
			if (r->opts[k].type == RULE_OPT_STREAM_SIZE)
				e->has_stream = true;
	}
	for (int g = 0; g < GROUP_MAX; g++) {
		size_t sz = 0;

		if (build_group(e, g, cfg ? cfg->hs_cache_dir : NULL, &cst, err, errlen))
			goto fail;
		if (e->groups[g].db && hs_database_size(e->groups[g].db, &sz) == HS_SUCCESS)
			e->st.hs_bytes += sz;
		if (e->groups[g].redb && hs_database_size(e->groups[g].redb, &sz) == HS_SUCCESS)
			e->st.hs_bytes += sz;
		if (e->groups[g].seamdb && hs_database_size(e->groups[g].seamdb, &sz) == HS_SUCCESS)
			e->st.hs_bytes += sz;
	}
	for (int a = APP_PROTO_HTTP; a < APP_PROTO_FAILED; a++) {
		if (build_app_group(e, a, cfg ? cfg->hs_cache_dir : NULL, &cst, err, errlen))
			goto fail;
		for (int b = 0; b < RULE_BUF_MAX; b++) {
			size_t sz = 0;

			if (e->app[a].db[b] && hs_database_size(e->app[a].db[b], &sz) == HS_SUCCESS)
				e->st.hs_bytes += sz;
		}
	}
	e->st.cache_hits = cst.hits;
	e->st.cache_misses = cst.misses;
	e->st.cache_load_errors = cst.load_errors;
	e->st.cache_store_errors = cst.store_errors;
	e->st.build_us = (clock_mono_ns() - t0) / 1000;
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
		hs_free_database(e->groups[g].redb);
		hs_free_database(e->groups[g].seamdb);
		free(e->groups[g].nofp);
		for (int k = 0; k < IDX_MAX; k++)
			ridx_free(&e->groups[g].idx[k]);
		free(e->groups[g].v6only);
	}
	for (int a = 0; a < APP_PROTO_MAX; a++) {
		for (int b = 0; b < RULE_BUF_MAX; b++)
			hs_free_database(e->app[a].db[b]);
		free(e->app[a].nofp);
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

struct detect_thread *detect_thread_new(const struct detect_engine *e,
				       struct detect_thread_stats *st)
{
	struct detect_thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->e = e;
	t->st = st ? st : &t->own_st;
	t->cand = calloc((size_t)e->nrules / 64 + 1, sizeof(*t->cand));
	if (!t->cand || detect_vctx_init(&t->v, e->max_ovec))
		goto fail;
	if (e->has_stream && (!(t->win = malloc(WIN_CAP)) || !(t->win2 = malloc(WIN_CAP))))
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
	free(t->win);
	free(t->win2);
	detect_thresh_free(t->thresh);
	free(t);
}

const struct detect_thread_stats *detect_thread_stats(const struct detect_thread *t)
{
	return t->st;
}

/* ---- the packet path ----------------------------------------------------- */

static inline void cand_mark(struct detect_thread *t, uint32_t id)
{
	uint32_t w = id >> 6;
	uint64_t bit = 1ull << (id & 63);

	if (!(t->cand[w] & bit)) {
		t->cand[w] |= bit;
		t->ncand++;
	}
	if (w < t->cand_lo)
		t->cand_lo = w;
	if (w > t->cand_hi)
		t->cand_hi = w;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	cand_mark(ctx, id);
	return 0;
}

/* Mark the rules of key's segment of x as candidates. */
static void ridx_add(struct detect_thread *t, const struct ridx *x, uint32_t key)
{
	int64_t s = ridx_find(x, key);

	if (s >= 0)
		for (uint32_t k = x->off[s]; k < x->off[s + 1]; k++)
			cand_mark(t, x->ids[k]);
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
			 const struct packet *p, bool app_rule)
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
	if (r->app_ports && ports && !app_rule && !port_has(r->app_ports, p->sport) &&
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
	if (!p->payload_off || !p->payload_len)
		return 0;
	if (g->db && hs_scan(g->db, (const char *)p->data + p->payload_off, p->payload_len, 0,
			     t->scratch, on_match_count, &n) != HS_SUCCESS)
		t->st->scan_errors++;
	if (g->redb && hs_scan(g->redb, (const char *)p->data + p->payload_off, p->payload_len,
			       0, t->scratch, on_match_count, &n) != HS_SUCCESS)
		t->st->scan_errors++;
	return n;
}

/* The app.h protocol of a rule header's protocol, when mamori parses it. */
static uint8_t rule_app_proto(uint8_t app)
{
	switch (app) {
	case RULE_APP_HTTP: return APP_PROTO_HTTP;
	case RULE_APP_TLS: return APP_PROTO_TLS;
	case RULE_APP_DNS: return APP_PROTO_DNS;
	default: return APP_PROTO_UNKNOWN;
	}
}

/* Check and, when it matches, act on one candidate rule; true when it is a
 * pass rule that matched. */
static bool run_rule(struct detect_thread *t, const struct detect_rule *dr,
		     const struct packet *p, struct flow *f, enum flow_dir dir,
		     const struct app_inspect *in, detect_alert_fn cb, void *arg,
		     unsigned *alerts)
{
	if (dr->has_bit_checks && !bits_possible(dr, f))
		return false;
	/* a packet rule naming an app protocol (alert http ... content:..):
	 * once the flow's protocol is known, it decides, not the port */
	if (!in && f && dr->r->app && f->app.proto != APP_PROTO_UNKNOWN &&
	    rule_app_proto(dr->r->app) != APP_PROTO_UNKNOWN &&
	    rule_app_proto(dr->r->app) != f->app.proto)
		return false;
	/* which bytes the payload options read (detect_stream_begin) */
	t->v.raw = NULL;
	if (!in) {
		switch (t->wmode) {
		case WM_NONE:
			if (dr->smode == DETECT_SM_STREAM_ONLY)
				return false;
			break;
		case WM_PACKET:
		case WM_ALONE:
			if (dr->smode == DETECT_SM_PACKET) {
				/* a window alone runs stream rules; pass rules
				 * too, so an address pass holds for streams */
				if (t->wmode == WM_ALONE && dr->r->action != RULE_ACTION_PASS)
					return false;
				/* a retransmission: its bytes were matched
				 * (no_stream asks for every packet as sent) */
				if (t->wmode == WM_PACKET && t->wretrans && dr->nsegs &&
				    !(dr->r->flow & RULE_FLOW_NO_STREAM))
					return false;
				break;
			}
			/* the stream took the packet: no new bytes, nothing
			 * for a stream rule (a retransmission never matches
			 * twice; held data is matched once delivered) */
			if (t->wblen <= t->wbcarry)
				return false;
			t->v.raw = t->wbuf;
			t->v.raw_len = t->wblen;
			break;
		}
	}
	if (!header_match(t, dr->r, p, in != NULL))
		return false;
	t->st->checked++;
	if (!detect_rule_verify(dr, &t->v, p, f, dir, in))
		return false;
	/* before anything else, so later rules on this packet see it */
	detect_rule_bits_apply(dr, f);
	if (dr->r->action == RULE_ACTION_PASS) {
		/* pass rules sort first: nothing has alerted yet */
		t->st->passed++;
		return true;
	}
	if (dr->r->flags & RULE_NOALERT)
		return false;
	if (!detect_thresh_allow(t->thresh, t->st, dr->r, p, f))
		return false;
	fill_alert(&t->alert, dr->r);
	t->alert.stream = t->v.raw != NULL;
	(*alerts)++;
	t->st->alerts++;
	if (t->v.raw)
		t->st->stream_alerts++;
	if (f)
		f->alerted = 1;
	if (cb)
		cb(arg, p, f, &t->alert, in ? in->meta : NULL);
	return false;
}

/* Walk the candidate bitmap in rule order; app rules are run only at the
 * inspection point of their last stage (body or not, see detect_app). */
static unsigned run_candidates(struct detect_thread *t, const struct packet *p, struct flow *f,
			       enum flow_dir dir, const struct app_inspect *in, bool body,
			       detect_alert_fn cb, void *arg)
{
	const struct detect_engine *e = t->e;
	unsigned alerts = 0;

	for (uint32_t w = t->cand_lo; w <= t->cand_hi; w++) {
		uint64_t bits = t->cand[w];

		t->cand[w] = 0;
		while (bits) {
			uint32_t id = w << 6 | (uint32_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (in && !detect_app_stage(&e->rules[id], in, dir, body))
				continue;
			if (run_rule(t, &e->rules[id], p, f, dir, in, cb, arg, &alerts)) {
				/* a pass rule: the packet is done */
				for (w++; w <= t->cand_hi; w++)
					t->cand[w] = 0;
				return 0;
			}
		}
	}
	return alerts;
}

static void cand_reset(struct detect_thread *t)
{
	t->ncand = 0;
	t->cand_lo = UINT32_MAX;
	t->cand_hi = 0;
	/* a new inspection: every cached address answer is stale (generation
	 * 0 is never current, so zeroed entries never hit) */
	if (++t->agen == 0)
		t->agen = 1;
}

unsigned detect_app(struct detect_thread *t, const struct packet *p, struct flow *f,
		    enum flow_dir dir, const struct app_inspect *in, detect_alert_fn cb, void *arg)
{
	const struct app_group *ag;
	bool body;

	if (in->proto <= APP_PROTO_UNKNOWN || in->proto >= APP_PROTO_FAILED ||
	    (p->ip_ver != 4 && p->ip_ver != 6))
		return 0;
	ag = &t->e->app[in->proto];
	t->st->app_inspections++;
	cand_reset(t);
	body = detect_point_has_body(in, dir);
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		const struct app_slice *s = &in->buf[b];

		if (!s->p)
			continue;
		/* a response point's request buffers: for response rules */
		if (dir == FLOW_TOCLIENT && !ag->resp_scan[b] &&
		    detect_http_buffer_side((uint8_t)b) == DETECT_HTTP_REQ)
			continue;
		if (ag->db[b] && s->len &&
		    hs_scan(ag->db[b], (const char *)s->p, s->len, 0, t->scratch, on_match, t) !=
			    HS_SUCCESS)
			t->st->scan_errors++;
	}
	t->st->candidates += t->ncand;
	for (uint32_t i = 0; i < ag->nnofp; i++)
		cand_mark(t, ag->nofp[i]);
	return run_candidates(t, p, f, dir, in, body, cb, arg);
}

/* Scan p's payload with the group's databases; fn marks candidates. */
static void scan_payload(struct detect_thread *t, const struct group *g, const struct packet *p,
			 match_event_handler fn, void *ctx)
{
	const char *pl = (const char *)p->data + p->payload_off;

	if (!p->payload_off || !p->payload_len)
		return;
	if (g->db && hs_scan(g->db, pl, p->payload_len, 0, t->scratch, fn, ctx) != HS_SUCCESS)
		t->st->scan_errors++;
	if (g->redb && hs_scan(g->redb, pl, p->payload_len, 0, t->scratch, fn, ctx) != HS_SUCCESS)
		t->st->scan_errors++;
}

/* Mark the rules p's header selects: the indexes, then (after counting
 * the prefilter's candidates) the rules every packet of g checks. */
static void mark_header(struct detect_thread *t, const struct group *g, const struct packet *p)
{
	if (p->ip_ver == 4) {
		for (int kind = IDX_SRC_IP4; kind <= IDX_DST_IP4; kind++) {
			const struct ridx *x = &g->idx[kind];
			const uint8_t *a = kind == IDX_DST_IP4 ? p->dst.b : p->src.b;

			if (x->nseg)
				ridx_add(t, x, (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
					       (uint32_t)a[2] << 8 | a[3]);
		}
	}
	if (has_ports(p)) {
		if (g->idx[IDX_SRC_PORT].nseg)
			ridx_add(t, &g->idx[IDX_SRC_PORT], p->sport);
		if (g->idx[IDX_DST_PORT].nseg)
			ridx_add(t, &g->idx[IDX_DST_PORT], p->dport);
		if (g->idx[IDX_EITHER_PORT].nseg) {
			/* marking twice is harmless: the bitmap dedups */
			ridx_add(t, &g->idx[IDX_EITHER_PORT], p->sport);
			ridx_add(t, &g->idx[IDX_EITHER_PORT], p->dport);
		}
	}
	if (p->ip_ver == 6) {
		if (g->idx[IDX_SRC_IP6].nseg)
			ridx_add(t, &g->idx[IDX_SRC_IP6], v6_key(p->src.b));
		if (g->idx[IDX_DST_IP6].nseg)
			ridx_add(t, &g->idx[IDX_DST_IP6], v6_key(p->dst.b));
		for (uint32_t i = 0; i < g->nv6only; i++)
			cand_mark(t, g->v6only[i]);
	}
	t->st->candidates += t->ncand;
	for (uint32_t i = 0; i < g->nnofp; i++)
		cand_mark(t, g->nofp[i]);
}

unsigned detect_packet(struct detect_thread *t, const struct packet *p, struct flow *f,
		       enum flow_dir dir, detect_alert_fn cb, void *arg)
{
	const struct group *g;

	if (p->ip_ver != 4 && p->ip_ver != 6)
		return 0;
	t->st->packets++;
	g = &t->e->groups[packet_group(p)];
	cand_reset(t);
	scan_payload(t, g, p, on_match, t);
	mark_header(t, g, p);
	/* rule order: pass rules first (see the top of this file) */
	return run_candidates(t, p, f, dir, NULL, false, cb, arg);
}

/* ---- TCP streams ------------------------------------------------------------ */

/* A window scan: a match ending in the carry was seen by the window before. */
struct wscan {
	struct detect_thread *t;
	uint32_t carry;
	bool stream_only;               /* mark stream rules only */
	uint32_t budget;                /* on_match_budget: matches left */
};

static int on_match_win(unsigned int id, unsigned long long from, unsigned long long to,
			unsigned int flags, void *ctx)
{
	struct wscan *w = ctx;

	(void)from;
	(void)flags;
	if (to > w->carry && (!w->stream_only || w->t->e->rules[id].smode != DETECT_SM_PACKET))
		cand_mark(w->t, id);
	return 0;
}

/* The packet's own payload when the stream took it: packet rules only. */
static int on_match_pkt(unsigned int id, unsigned long long from, unsigned long long to,
			unsigned int flags, void *ctx)
{
	struct detect_thread *t = ctx;

	(void)from;
	(void)to;
	(void)flags;
	if (t->e->rules[id].smode == DETECT_SM_PACKET)
		cand_mark(t, id);
	return 0;
}

/*
 * Scan a window; only matches ending past the carry count. The TCP
 * literals are scanned reporting every match (seamdb), so an occurrence
 * inside the carry cannot hide one that crosses into the new bytes (db
 * reports a literal's first match only). A payload that floods the scan
 * with matches (a run of zeros against ET's binary literals) stops it
 * after WIN_MATCH_BUDGET: the new bytes are then scanned with db and only
 * the seam, the carry and the bytes a crossing literal can reach, with
 * seamdb. The pcre prefilter runs over the whole window.
 */
#define WIN_MATCH_BUDGET 1024

static int on_match_budget(unsigned int id, unsigned long long from, unsigned long long to,
			   unsigned int flags, void *ctx)
{
	struct wscan *w = ctx;

	if (!w->budget--)
		return 1;               /* stop: the caller rescans */
	return on_match_win(id, from, to, flags, ctx);
}

static void scan_window(struct detect_thread *t, const uint8_t *buf, uint32_t len,
			uint32_t carry, bool stream_only)
{
	const struct group *g = &t->e->groups[GROUP_TCP];
	struct wscan w = { t, carry, stream_only, WIN_MATCH_BUDGET };
	struct wscan wn = { t, 0, stream_only, 0 };
	uint32_t seam = carry + (len - carry < t->e->carry ? len - carry : t->e->carry);
	hs_error_t hr;

	t->st->stream_bytes += len - carry;
	if (g->db && g->seamdb) {
		hr = hs_scan(g->seamdb, (const char *)buf, len, 0, t->scratch, on_match_budget, &w);
		if (hr == HS_SCAN_TERMINATED) {
			if (hs_scan(g->db, (const char *)buf + carry, len - carry, 0, t->scratch,
				    on_match_win, &wn) != HS_SUCCESS)
				t->st->scan_errors++;
			if (carry && hs_scan(g->seamdb, (const char *)buf, seam, 0, t->scratch,
					     on_match_win, &w) != HS_SUCCESS)
				t->st->scan_errors++;
		} else if (hr != HS_SUCCESS) {
			t->st->scan_errors++;
		}
	} else if (g->db && hs_scan(g->db, (const char *)buf, len, 0, t->scratch, on_match_win,
				    &w) != HS_SUCCESS) {
		t->st->scan_errors++;
	}
	if (g->redb && hs_scan(g->redb, (const char *)buf, len, 0, t->scratch, on_match_win, &w) !=
			       HS_SUCCESS)
		t->st->scan_errors++;
}

/* Run the stream rules on a window by itself, reported against p. */
static unsigned inspect_alone(struct detect_thread *t, const struct packet *p, struct flow *f,
			      enum flow_dir dir, const uint8_t *buf, uint32_t len, uint32_t carry,
			      detect_alert_fn cb, void *arg)
{
	unsigned n;

	if (len <= carry || (p->ip_ver != 4 && p->ip_ver != 6))
		return 0;
	cand_reset(t);
	scan_window(t, buf, len, carry, true);
	/* header candidates for the pass rules among them (run_rule) */
	mark_header(t, &t->e->groups[GROUP_TCP], p);
	t->wmode = WM_ALONE;
	t->wbuf = buf;
	t->wblen = len;
	t->wbcarry = carry;
	n = run_candidates(t, p, f, dir, NULL, false, cb, arg);
	t->wmode = WM_NONE;
	return n;
}

static void carry_save(const struct detect_engine *e, struct flow *f, int dir,
		       const uint8_t *buf, uint32_t len)
{
	uint32_t n = len < e->carry ? len : e->carry;

	memcpy(f->app.carry[dir], buf + len - n, n);
	f->app.carry_len[dir] = (uint8_t)n;
}

static uint32_t carry_load(const struct detect_engine *e, const struct flow *f, int dir,
			   uint8_t *buf)
{
	uint32_t have = f->app.carry_len[dir], n = have < e->carry ? have : e->carry;

	memcpy(buf, f->app.carry[dir] + have - n, n);
	return n;
}

/* Inspect buf (len bytes, carry first) alone, then move its tail to the
 * front as the next window's carry; returns that carry's length. */
static uint32_t inspect_shift(struct detect_thread *t, const struct packet *p, struct flow *f,
			      enum flow_dir dir, uint8_t *buf, uint32_t len, uint32_t carry,
			      detect_alert_fn cb, void *arg)
{
	uint32_t k = len < t->e->carry ? len : t->e->carry;

	inspect_alone(t, p, f, dir, buf, len, carry, cb, arg);
	memmove(buf, buf + len - k, k);
	return k;
}

/* Inspect the gathered window now (it is full, or a gap follows) and keep
 * its tail as the carry. */
static void window_flush(struct detect_thread *t, detect_alert_fn cb, void *arg)
{
	t->wlen = t->wcarry = inspect_shift(t, t->wp, t->wf, (enum flow_dir)t->wdir, t->win,
					     t->wlen, t->wcarry, cb, arg);
	t->wdirect = false;
}

/* Is the window being gathered the one of packet p (flow f, dir)? */
static bool window_of(const struct detect_thread *t, const struct packet *p,
		      const struct flow *f, enum flow_dir dir)
{
	return t->wactive && p == t->wp && f == t->wf && dir == t->wdir;
}

void detect_alert_window(const struct detect_thread *t, const uint8_t **buf, uint32_t *len)
{
	*buf = t->v.raw;
	*len = t->v.raw ? t->v.raw_len : 0;
}

bool detect_has_stream(const struct detect_thread *t)
{
	return t->e->has_stream;
}

void detect_stream_begin(struct detect_thread *t, const struct packet *p, struct flow *f,
			 enum flow_dir dir)
{
	if (!t->e->has_stream)
		return;
	t->wactive = true;
	t->wp = p;
	t->wf = f;
	t->wdir = (uint8_t)dir;
	t->wdirect = false;
	t->wndeliv = 0;
	t->wlen = t->wcarry = 0;
	t->wloaded = false;         /* most packets deliver nothing: load lazily */
}

void detect_stream_data(struct detect_thread *t, const struct packet *p, struct flow *f,
			enum flow_dir dir, const uint8_t *data, uint32_t len, unsigned flags,
			detect_alert_fn cb, void *arg)
{
	const struct detect_engine *e = t->e;

	if (!e->has_stream)
		return;
	if (!window_of(t, p, f, dir)) {
		/* flow end, or the other direction flushed by a RST:
		 * inspect at once, in pieces through the second buffer */
		uint32_t c;

		if (flags & STREAM_GAP)
			f->app.carry_len[dir] = 0;
		c = carry_load(e, f, dir, t->win2);
		while (len) {
			uint32_t n = len < WIN_NEW_MAX ? len : WIN_NEW_MAX;

			memcpy(t->win2 + c, data, n);
			c = inspect_shift(t, p, f, dir, t->win2, c + n, c, cb, arg);
			data += n;
			len -= n;
		}
		carry_save(e, f, dir, t->win2, c);
		return;
	}
	if (flags & STREAM_GAP) {
		/* what came before the gap is inspected without what follows */
		if (t->wlen > t->wcarry)
			window_flush(t, cb, arg);
		t->wlen = t->wcarry = 0;
		t->wdirect = false;
		t->wloaded = true;
		f->app.carry_len[dir] = 0;
	}
	if (!len)
		return;
	if (!t->wloaded) {
		t->wlen = t->wcarry = carry_load(e, f, dir, t->win);
		t->wloaded = true;
	}
	if (t->wndeliv++ == 0 && p->payload_off &&
	    data == p->data + p->payload_off && len == p->payload_len)
		t->wdirect = true;
	while (len) {
		uint32_t room = WIN_CAP - t->wlen, n;

		if (!room) {
			window_flush(t, cb, arg);
			continue;
		}
		n = len < room ? len : room;
		memcpy(t->win + t->wlen, data, n);
		t->wlen += n;
		data += n;
		len -= n;
	}
}

unsigned detect_packet_stream(struct detect_thread *t, const struct packet *p, struct flow *f,
			      enum flow_dir dir, unsigned how, detect_alert_fn cb, void *arg)
{
	const struct group *g;
	unsigned n;

	if (!window_of(t, p, f, dir))
		return detect_packet(t, p, f, dir, cb, arg);
	t->wactive = false;
	if (!(how & DETECT_STREAM_COVERED) || p->proto != 6 || (p->ip_ver != 4 && p->ip_ver != 6)) {
		/* the packet is not the stream's (no direction yet, depth,
		 * after the close): anything delivered still gets its look */
		n = 0;
		if (t->wlen > t->wcarry) {
			n = inspect_alone(t, p, f, dir, t->win, t->wlen, t->wcarry, cb, arg);
			carry_save(t->e, f, dir, t->win, t->wlen);
		}
		return n + detect_packet(t, p, f, dir, cb, arg);
	}
	t->st->packets++;
	g = &t->e->groups[GROUP_TCP];
	cand_reset(t);
	/* one scan when the new bytes begin with the packet's own payload:
	 * a packet rule's match in the payload ends past the carry too (a
	 * superset: the packet rules are verified on the packet) */
	if (t->wlen > t->wcarry)
		scan_window(t, t->win, t->wlen, t->wcarry, !t->wdirect);
	if (!t->wdirect)
		scan_payload(t, g, p, on_match_pkt, t);
	mark_header(t, g, p);
	t->wmode = WM_PACKET;
	t->wretrans = how & DETECT_STREAM_RETRANS;
	t->wbuf = t->win;
	t->wblen = t->wlen;
	t->wbcarry = t->wcarry;
	n = run_candidates(t, p, f, dir, NULL, false, cb, arg);
	t->wmode = WM_NONE;
	if (t->wlen > t->wcarry)
		carry_save(t->e, f, dir, t->win, t->wlen);
	return n;
}
