/*
 * verify: full option verification of one rule against one packet, after
 * the prefilter and the address/port check.
 *
 * A rule is prepared once at build time: its payload options (content,
 * pcre, isdataat, bsize on pkt_data / raw_data) become a "chain" in rule
 * order, each pcre is compiled with PCRE2 (JIT when available), and for
 * each chain op we record whether the op after it is relative, because
 * only then can a later failure be fixed by moving this op to its next
 * occurrence. Verification runs the cheap header options first (dsize,
 * flags, ttl, ...), then walks the chain keeping the end of the previous
 * match, Snort/Suricata style: distance/within and pcre R count from it,
 * and when a relative op fails the walk backtracks into the previous op's
 * next occurrence. Backtracking is bounded by a per-rule step budget (as
 * Suricata's inspection recursion limit) so a hostile payload cannot make
 * a rule cost more than a fixed amount of work. flowbits isset/isnotset
 * are tested with the header options (every option is an AND, so the
 * order does not change the answer); set/unset/toggle are applied by
 * detect_rule_bits_apply() only once the whole rule has matched. Rules with options the
 * engine cannot run yet are reported by reason and left out; nothing here
 * allocates at packet time (PCRE2's JIT runs on its default machine-stack
 * area; the interpreter fallback may use its heap frames, bounded by the
 * match limits set below).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/detect.h"

/* Snort's default pcre match limits; rules with the O flag go unlimited. */
#define PCRE_MATCH_LIMIT 3500
#define PCRE_DEPTH_LIMIT 500
/* Backtracking steps one rule may take on one packet. */
#define VERIFY_BUDGET 3000

static bool is_chain_buffer(uint8_t b)
{
	return b == RULE_BUF_PAYLOAD || b == RULE_BUF_RAW;
}

static bool op_relative(const struct rule_opt *o)
{
	switch (o->type) {
	case RULE_OPT_CONTENT:
		return o->u.content.has_distance || o->u.content.has_within;
	case RULE_OPT_PCRE:
		return o->u.pcre.flags & RULE_PCRE_RELATIVE;
	case RULE_OPT_ISDATAAT:
		return o->u.isdataat.relative;
	default:
		return false;
	}
}

static uint32_t pcre_options(uint32_t f)
{
	uint32_t o = 0;

	if (f & RULE_PCRE_CASELESS)
		o |= PCRE2_CASELESS;
	if (f & RULE_PCRE_DOTALL)
		o |= PCRE2_DOTALL;
	if (f & RULE_PCRE_MULTILINE)
		o |= PCRE2_MULTILINE;
	if (f & RULE_PCRE_EXTENDED)
		o |= PCRE2_EXTENDED;
	if (f & RULE_PCRE_ANCHORED)
		o |= PCRE2_ANCHORED;
	if (f & RULE_PCRE_DOLLAR_END)
		o |= PCRE2_DOLLAR_ENDONLY;
	if (f & RULE_PCRE_UNGREEDY)
		o |= PCRE2_UNGREEDY;
	return o;
}

/* Flow storage holds FLOW_BITS_MAX bits; a rule naming a later id could
 * never be evaluated faithfully, so it is not run at all. */
static bool bits_supported(const struct rule_bits *b)
{
	if (b->track != RULE_TRACK_FLOW)
		return false;
	for (uint8_t i = 0; i < b->n; i++)
		if (b->ids[i] >= FLOW_BITS_MAX)
			return false;
	return true;
}

/* Why a rule cannot run, before anything is compiled. */
static enum detect_skip rule_support(const struct rule *r)
{
	if (r->flags & RULE_NEEDS_APP_LAYER)
		return DETECT_SKIP_APP_LAYER;
	if (!detect_thresh_supported(&r->threshold) ||
	    !detect_thresh_supported(&r->detection_filter))
		return DETECT_SKIP_THRESHOLD;
	/* Packets are not reassembled yet, so only_stream and only_frag
	 * could never match; the other flow bits are handled. */
	if (r->flow & (RULE_FLOW_ONLY_STREAM | RULE_FLOW_ONLY_FRAG))
		return DETECT_SKIP_KEYWORD;
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		switch (o->type) {
		case RULE_OPT_CONTENT:
		case RULE_OPT_PCRE:
		case RULE_OPT_ISDATAAT:
		case RULE_OPT_BSIZE:
			if (!is_chain_buffer(o->buffer))
				return rule_buffer_is_app(o->buffer) ? DETECT_SKIP_APP_LAYER
								     : DETECT_SKIP_KEYWORD;
			if (o->type == RULE_OPT_CONTENT &&
			    (o->u.content.offset.var >= 0 || o->u.content.depth.var >= 0 ||
			     o->u.content.distance.var >= 0 || o->u.content.within.var >= 0))
				return DETECT_SKIP_KEYWORD;
			if (o->type == RULE_OPT_ISDATAAT && o->u.isdataat.n.var >= 0)
				return DETECT_SKIP_KEYWORD;
			break;
		case RULE_OPT_DSIZE:
		case RULE_OPT_FLAGS:
		case RULE_OPT_TTL:
		case RULE_OPT_TOS:
		case RULE_OPT_IP_ID:
		case RULE_OPT_IP_PROTO:
		case RULE_OPT_SAMEIP:
		case RULE_OPT_TCP_SEQ:
		case RULE_OPT_TCP_ACK:
		case RULE_OPT_TCP_WINDOW:
		case RULE_OPT_ITYPE:
		case RULE_OPT_ICODE:
		case RULE_OPT_ICMP_ID:
		case RULE_OPT_ICMP_SEQ:
			break;
		case RULE_OPT_FLOWBITS:
			if (!bits_supported(&o->u.bits))
				return DETECT_SKIP_FLOWBITS;
			break;
		case RULE_OPT_XBITS:
		case RULE_OPT_FLOWINT:
			/* no host / ip-pair / integer storage yet */
			return DETECT_SKIP_FLOWBITS;
		case RULE_OPT_APP:
			return DETECT_SKIP_APP_LAYER;
		default:
			/* byte_test/jump/extract, base64, transforms,
			 * fragbits, fragoffset, ipopts, stream_size */
			return DETECT_SKIP_KEYWORD;
		}
	}
	return DETECT_OK;
}

enum detect_skip detect_rule_prepare(struct detect_rule *dr, const struct rule *r,
				     uint32_t *max_ovec)
{
	enum detect_skip why = rule_support(r);
	uint16_t *chain = NULL;
	bool *retry = NULL;
	void **re = NULL;
	uint16_t n = 0;

	memset(dr, 0, sizeof(*dr));
	if (why != DETECT_OK)
		return why;
	if (r->nopts) {
		chain = calloc(r->nopts, sizeof(*chain));
		retry = calloc(r->nopts, sizeof(*retry));
		re = calloc(r->nopts, sizeof(*re));
		if (!chain || !retry || !re)
			goto nomem;
	}
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		switch (o->type) {
		case RULE_OPT_CONTENT:
		case RULE_OPT_PCRE:
		case RULE_OPT_ISDATAAT:
		case RULE_OPT_BSIZE:
			break;
		case RULE_OPT_FLOWBITS:
			if (o->u.bits.cmd == RULE_BITS_ISSET || o->u.bits.cmd == RULE_BITS_ISNOTSET) {
				dr->has_bit_checks = true;
				if (o->u.bits.cmd == RULE_BITS_ISSET && !o->u.bits.any)
					for (uint8_t k = 0; k < o->u.bits.n; k++)
						if (o->u.bits.ids[k] < FLOW_BITS_MAX)
							dr->need_bits[o->u.bits.ids[k] >> 6] |=
								1ull << (o->u.bits.ids[k] & 63);
			} else
				dr->has_bit_actions = true;
			continue;
		default:
			dr->has_hdr_opts = true;
			continue;
		}
		if (o->type == RULE_OPT_PCRE) {
			int ec;
			PCRE2_SIZE eo;
			uint32_t caps = 0;
			pcre2_code *code = pcre2_compile((PCRE2_SPTR)o->u.pcre.re,
							 PCRE2_ZERO_TERMINATED,
							 pcre_options(o->u.pcre.flags),
							 &ec, &eo, NULL);

			if (!code) {
				why = DETECT_SKIP_PCRE;
				goto fail;
			}
			/* no JIT (unsupported CPU, SELinux): the
			 * interpreter still works */
			(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
			pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &caps);
			if (caps + 1 > *max_ovec)
				*max_ovec = caps + 1;
			re[n] = code;
		}
		chain[n++] = (uint16_t)i;
	}
	for (uint16_t i = 0; i + 1 < n; i++)
		retry[i] = op_relative(&r->opts[chain[i + 1]]);
	dr->r = r;
	dr->chain = chain;
	dr->retry = retry;
	dr->re = re;
	dr->nchain = n;
	return DETECT_OK;
nomem:
	/* startup only: a rule that cannot get memory is skipped, counted */
	why = DETECT_SKIP_KEYWORD;
fail:
	for (uint16_t i = 0; re && i < n; i++)
		pcre2_code_free(re[i]);
	free(chain);
	free(retry);
	free(re);
	memset(dr, 0, sizeof(*dr));
	return why;
}

void detect_rule_release(struct detect_rule *dr)
{
	for (uint16_t i = 0; dr->re && i < dr->nchain; i++)
		pcre2_code_free((pcre2_code *)dr->re[i]);
	free((void *)dr->chain);
	free((void *)dr->retry);
	free((void *)dr->re);
	memset(dr, 0, sizeof(*dr));
}

int detect_vctx_init(struct detect_vctx *v, uint32_t max_ovec)
{
	pcre2_match_context *mc;

	memset(v, 0, sizeof(*v));
	v->md = pcre2_match_data_create(max_ovec ? max_ovec : 1, NULL);
	mc = pcre2_match_context_create(NULL);
	v->mctx = mc;
	if (!v->md || !mc) {
		detect_vctx_fini(v);
		return -1;
	}
	pcre2_set_match_limit(mc, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, PCRE_DEPTH_LIMIT);
	return 0;
}

void detect_vctx_fini(struct detect_vctx *v)
{
	pcre2_match_data_free(v->md);
	pcre2_match_context_free(v->mctx);
	v->md = v->mctx = NULL;
}

/* ---- header options ------------------------------------------------------ */

static bool flags_match(const struct rule_flags *rf, uint8_t got)
{
	uint8_t f = got & (uint8_t)~rf->ignore;

	switch (rf->mode) {
	case RULE_FLAGS_EXACT: return f == (rf->bits & (uint8_t)~rf->ignore);
	case RULE_FLAGS_ALL: return (f & rf->bits) == rf->bits;
	case RULE_FLAGS_ANY: return (f & rf->bits) != 0;
	case RULE_FLAGS_NOT: return (f & rf->bits) == 0;
	}
	return false;
}

static bool is_icmp(const struct packet *p)
{
	return p->proto == 1 || p->proto == 58;
}

static bool hdr_match(const struct rule *r, const struct packet *p)
{
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];
		const struct rule_cmp *c = &o->u.cmp;
		bool tcp = p->proto == 6;

		switch (o->type) {
		case RULE_OPT_DSIZE:
			if (!rule_cmp_eval(c, p->payload_len))
				return false;
			break;
		case RULE_OPT_FLAGS:
			if (!tcp || !flags_match(&o->u.flags, p->tcp_flags))
				return false;
			break;
		case RULE_OPT_TTL:
			if (!rule_cmp_eval(c, p->ttl))
				return false;
			break;
		case RULE_OPT_TOS:
			if (p->ip_ver != 4 || !rule_cmp_eval(c, p->tos))
				return false;
			break;
		case RULE_OPT_IP_ID:
			if (p->ip_ver != 4 || !rule_cmp_eval(c, p->ip_id))
				return false;
			break;
		case RULE_OPT_IP_PROTO:
			if (!rule_cmp_eval(c, p->proto))
				return false;
			break;
		case RULE_OPT_SAMEIP:
			if (!ip_addr_eq(&p->src, &p->dst))
				return false;
			break;
		case RULE_OPT_TCP_SEQ:
			if (!tcp || !rule_cmp_eval(c, p->tcp_seq))
				return false;
			break;
		case RULE_OPT_TCP_ACK:
			if (!tcp || !rule_cmp_eval(c, p->tcp_ack))
				return false;
			break;
		case RULE_OPT_TCP_WINDOW:
			if (!tcp || !rule_cmp_eval(c, p->tcp_win))
				return false;
			break;
		case RULE_OPT_ITYPE:
			if (!is_icmp(p) || !rule_cmp_eval(c, p->icmp_type))
				return false;
			break;
		case RULE_OPT_ICODE:
			if (!is_icmp(p) || !rule_cmp_eval(c, p->icmp_code))
				return false;
			break;
		case RULE_OPT_ICMP_ID:
			if (!is_icmp(p) || !rule_cmp_eval(c, p->icmp_id))
				return false;
			break;
		case RULE_OPT_ICMP_SEQ:
			if (!is_icmp(p) || !rule_cmp_eval(c, p->icmp_seq))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

/* Suricata's flow:established: TCP from the packet after the handshake's
 * completion (or after a midstream pickup, stream.midstream) on, closing
 * and reset flows included; a FIN or RST before the handshake completed
 * never makes a flow established. Other protocols once both directions
 * have been seen, this packet included. */
static bool flow_established(const struct flow *f)
{
	if (f->key.proto == 6)
		return (f->flags & FLOW_F_PKT_ESTABLISHED) != 0;
	return f->pkts[0] && f->pkts[1];
}

static bool flow_match(uint32_t want, const struct flow *f, enum flow_dir dir)
{
	if (!want)
		return true;
	if (!f)
		/* no flow: only the keywords that need none can hold */
		return !(want & (RULE_FLOW_TO_SERVER | RULE_FLOW_TO_CLIENT |
				 RULE_FLOW_ESTABLISHED | RULE_FLOW_NOT_ESTABLISHED));
	if ((want & RULE_FLOW_TO_SERVER) && dir != FLOW_TOSERVER)
		return false;
	if ((want & RULE_FLOW_TO_CLIENT) && dir != FLOW_TOCLIENT)
		return false;
	if ((want & RULE_FLOW_ESTABLISHED) && !flow_established(f))
		return false;
	if ((want & RULE_FLOW_NOT_ESTABLISHED) && flow_established(f))
		return false;
	return true;
}

/* ---- flowbits ------------------------------------------------------------ */

static bool bit_get(const struct flow *f, uint16_t id)
{
	return (f->bits[id >> 6] >> (id & 63)) & 1;
}

/* isset / isnotset: a&b needs every name to hold, a|b any one. Without a
 * flow there are no bits to test and the check fails either way, as in
 * Suricata. */
static bool bits_match(const struct rule *r, const struct flow *f)
{
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_bits *b = &r->opts[i].u.bits;
		bool want, ok;

		if (r->opts[i].type != RULE_OPT_FLOWBITS ||
		    (b->cmd != RULE_BITS_ISSET && b->cmd != RULE_BITS_ISNOTSET))
			continue;
		if (!f)
			return false;
		want = b->cmd == RULE_BITS_ISSET;
		ok = !b->any;
		for (uint8_t k = 0; k < b->n; k++) {
			if (bit_get(f, b->ids[k]) != want) {
				if (!b->any) {
					ok = false;
					break;
				}
			} else if (b->any) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return false;
	}
	return true;
}

void detect_rule_bits_apply(const struct detect_rule *dr, struct flow *f)
{
	const struct rule *r = dr->r;

	if (!f || !dr->has_bit_actions)
		return;
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_bits *b = &r->opts[i].u.bits;

		if (r->opts[i].type != RULE_OPT_FLOWBITS)
			continue;
		for (uint8_t k = 0; k < b->n; k++) {
			uint64_t m = 1ull << (b->ids[k] & 63);
			uint64_t *w = &f->bits[b->ids[k] >> 6];

			switch (b->cmd) {
			case RULE_BITS_SET: *w |= m; break;
			case RULE_BITS_UNSET: *w &= ~m; break;
			case RULE_BITS_TOGGLE: *w ^= m; break;
			default: break;
			}
		}
	}
}

/* ---- the payload chain --------------------------------------------------- */

static const uint8_t lower[256] = {
#define L(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 32 : (c))
#define R4(b) L(b), L(b + 1), L(b + 2), L(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
#define R64(b) R16(b), R16(b + 16), R16(b + 32), R16(b + 48)
	R64(0), R64(64), R64(128), R64(192)
#undef R64
#undef R16
#undef R4
#undef L
};

/* First position >= from where pat occurs ending at or before to; -1. */
static int64_t find(const uint8_t *buf, int64_t from, int64_t to,
		    const uint8_t *pat, uint32_t len, bool nocase)
{
	if (!len)
		return from <= to ? from : -1;
	for (int64_t i = from; i + len <= to; i++) {
		if (nocase) {
			uint32_t k = 0;

			while (k < len && lower[buf[i + k]] == lower[pat[k]])
				k++;
			if (k == len)
				return i;
		} else {
			const uint8_t *q = memchr(buf + i, pat[0], (size_t)(to - len - i + 1));

			if (!q)
				return -1;
			i = q - buf;
			if (!memcmp(buf + i, pat, len))
				return i;
		}
	}
	return -1;
}

struct chain_ctx {
	const struct detect_rule *dr;
	struct detect_vctx *v;
	const uint8_t *buf;
	int64_t len;
};

static bool chain_from(struct chain_ctx *c, uint16_t i, int64_t prev_end);

/* Where a content matches, at or after from_min (the backtracking point):
 * the position, or -1. */
static int64_t content_at(const struct rule_content *ct, const uint8_t *buf, int64_t len,
			  int64_t prev_end, int64_t from_min)
{
	int64_t start, end;

	if (ct->has_distance || ct->has_within) {
		int64_t dist = ct->has_distance ? ct->distance.value : 0;

		start = prev_end + dist;
		end = ct->has_within ? prev_end + dist + ct->within.value : len;
	} else {
		start = ct->has_offset ? ct->offset.value : 0;
		end = ct->has_depth ? start + ct->depth.value : len;
	}
	if (ct->startswith) {
		start = 0;
		if (end > ct->len)
			end = ct->len;
	}
	if (start < 0)
		start = 0;
	if (end > len)
		end = len;
	if (from_min > start)
		start = from_min;
	if (ct->endswith) {
		int64_t pos = len - ct->len;

		if (pos < start || pos + ct->len > end)
			return -1;
		if (ct->nocase)
			return find(buf, pos, len, ct->pat, ct->len, true);
		return memcmp(buf + pos, ct->pat, ct->len) ? -1 : pos;
	}
	return find(buf, start, end, ct->pat, ct->len, ct->nocase);
}

static bool chain_content(struct chain_ctx *c, uint16_t i, int64_t prev_end)
{
	const struct rule_content *ct = &c->dr->r->opts[c->dr->chain[i]].u.content;
	int64_t pos = content_at(ct, c->buf, c->len, prev_end, 0);

	if (ct->negated)
		return pos < 0 && chain_from(c, i + 1, prev_end);
	while (pos >= 0) {
		if (chain_from(c, i + 1, pos + ct->len))
			return true;
		if (!c->dr->retry[i] || --c->v->budget <= 0)
			return false;
		pos = content_at(ct, c->buf, c->len, prev_end, pos + 1);
	}
	return false;
}

static bool chain_pcre(struct chain_ctx *c, uint16_t i, int64_t prev_end)
{
	const struct rule_pcre *pc = &c->dr->r->opts[c->dr->chain[i]].u.pcre;
	const pcre2_code *code = c->dr->re[i];
	int64_t base = (pc->flags & RULE_PCRE_RELATIVE) ? prev_end : 0;
	pcre2_match_context *mc = (pc->flags & RULE_PCRE_NO_LIMIT) ? NULL : c->v->mctx;
	PCRE2_SIZE start = 0;

	if (base > c->len)
		return false;
	for (;;) {
		/* Relative: the subject starts at the previous match end,
		 * so ^ anchors there (as Suricata does). */
		int rc = pcre2_match(code, c->buf + base, (PCRE2_SIZE)(c->len - base), start, 0,
				     c->v->md, mc);
		PCRE2_SIZE *ov;
		PCRE2_SIZE s, e;

		if (pc->negated)
			/* a limit error counts as no match, as in Suricata */
			return rc < 0 && chain_from(c, i + 1, prev_end);
		if (rc < 0)
			return false;
		ov = pcre2_get_ovector_pointer(c->v->md);
		s = ov[0];
		e = ov[1];
		if (chain_from(c, i + 1, base + (int64_t)e))
			return true;
		if (!c->dr->retry[i] || --c->v->budget <= 0)
			return false;
		start = s + 1;
		if (start > (PCRE2_SIZE)(c->len - base))
			return false;
	}
}

static bool chain_from(struct chain_ctx *c, uint16_t i, int64_t prev_end)
{
	for (; i < c->dr->nchain; i++) {
		const struct rule_opt *o = &c->dr->r->opts[c->dr->chain[i]];

		switch (o->type) {
		case RULE_OPT_CONTENT:
			/* recursion: the rest of the chain is tried per occurrence */
			return chain_content(c, i, prev_end);
		case RULE_OPT_PCRE:
			return chain_pcre(c, i, prev_end);
		case RULE_OPT_ISDATAAT: {
			const struct rule_isdataat *d = &o->u.isdataat;
			/* Suricata: relative asks for n bytes after the
			 * previous match, absolute for a byte at offset n */
			bool has = d->relative ? prev_end + d->n.value <= c->len
					       : d->n.value < c->len;

			if (has == d->negated)
				return false;
			break;
		}
		case RULE_OPT_BSIZE:
			if (!rule_cmp_eval(&o->u.cmp, (uint64_t)c->len))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

bool detect_rule_verify(const struct detect_rule *dr, struct detect_vctx *v,
			const struct packet *p, const struct flow *f, enum flow_dir dir)
{
	struct chain_ctx c;

	if (!flow_match(dr->r->flow, f, dir))
		return false;
	if (dr->has_hdr_opts && !hdr_match(dr->r, p))
		return false;
	/* every option is a plain AND, so testing the bits before the
	 * payload gives the same answer as rule order, only cheaper */
	if (dr->has_bit_checks && !bits_match(dr->r, f))
		return false;
	if (!dr->nchain)
		return true;
	/* Payload options never match an empty payload (Suricata). */
	if (!p->payload_off || !p->payload_len)
		return false;
	c.dr = dr;
	c.v = v;
	c.buf = p->data + p->payload_off;
	c.len = p->payload_len;
	v->budget = VERIFY_BUDGET;
	return chain_from(&c, 0, 0);
}
