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
#include "mamori/tls.h"

/* Snort's default pcre match limits; rules with the O flag go unlimited. */
#define PCRE_MATCH_LIMIT 3500
#define PCRE_DEPTH_LIMIT 500
/* Backtracking steps one rule may take on one packet. */
#define VERIFY_BUDGET 3000

static bool is_packet_buffer(uint8_t b)
{
	return b == RULE_BUF_PAYLOAD || b == RULE_BUF_RAW;
}

/* The application-layer buffers the parsers fill (app.h), and the
 * protocol each belongs to. */
static uint8_t app_buffer_proto(uint8_t b)
{
	switch (b) {
	case RULE_BUF_HTTP_URI: case RULE_BUF_HTTP_URI_RAW: case RULE_BUF_HTTP_METHOD:
	case RULE_BUF_HTTP_REQUEST_LINE: case RULE_BUF_HTTP_REQUEST_BODY:
	case RULE_BUF_HTTP_HEADER: case RULE_BUF_HTTP_HEADER_RAW: case RULE_BUF_HTTP_COOKIE:
	case RULE_BUF_HTTP_USER_AGENT: case RULE_BUF_HTTP_HOST: case RULE_BUF_HTTP_HOST_RAW:
	case RULE_BUF_HTTP_ACCEPT: case RULE_BUF_HTTP_ACCEPT_LANG: case RULE_BUF_HTTP_ACCEPT_ENC:
	case RULE_BUF_HTTP_REFERER: case RULE_BUF_HTTP_CONNECTION: case RULE_BUF_HTTP_CONTENT_TYPE:
	case RULE_BUF_HTTP_CONTENT_LEN: case RULE_BUF_HTTP_START: case RULE_BUF_HTTP_PROTOCOL:
	case RULE_BUF_HTTP_HEADER_NAMES: case RULE_BUF_HTTP_REQUEST_HEADER:
	case RULE_BUF_HTTP_RESPONSE_HEADER: case RULE_BUF_HTTP_STAT_CODE:
	case RULE_BUF_HTTP_STAT_MSG: case RULE_BUF_HTTP_RESPONSE_LINE:
	case RULE_BUF_HTTP_RESPONSE_BODY: case RULE_BUF_HTTP_SERVER: case RULE_BUF_HTTP_LOCATION:
	case RULE_BUF_FILE_DATA:
		return APP_PROTO_HTTP;
	case RULE_BUF_DNS_QUERY: case RULE_BUF_DNS_QUERY_NAME: case RULE_BUF_DNS_ANSWER_NAME:
		return APP_PROTO_DNS;
	case RULE_BUF_TLS_SNI: case RULE_BUF_TLS_CERT_SUBJECT: case RULE_BUF_TLS_CERT_ISSUER:
	case RULE_BUF_TLS_CERT_SERIAL: case RULE_BUF_TLS_CERTS: case RULE_BUF_JA3_HASH:
	case RULE_BUF_JA3_STRING: case RULE_BUF_JA3S_HASH: case RULE_BUF_JA3S_STRING:
		return APP_PROTO_TLS;
	default:
		return APP_PROTO_UNKNOWN;
	}
}

bool detect_buffer_is_body(uint8_t b)
{
	return b == RULE_BUF_HTTP_REQUEST_BODY || b == RULE_BUF_HTTP_RESPONSE_BODY ||
	       b == RULE_BUF_FILE_DATA;
}

uint8_t detect_http_buffer_side(uint8_t b)
{
	switch (b) {
	case RULE_BUF_HTTP_URI: case RULE_BUF_HTTP_URI_RAW: case RULE_BUF_HTTP_METHOD:
	case RULE_BUF_HTTP_REQUEST_LINE: case RULE_BUF_HTTP_REQUEST_BODY:
	case RULE_BUF_HTTP_USER_AGENT: case RULE_BUF_HTTP_HOST: case RULE_BUF_HTTP_HOST_RAW:
	case RULE_BUF_HTTP_ACCEPT: case RULE_BUF_HTTP_ACCEPT_LANG: case RULE_BUF_HTTP_ACCEPT_ENC:
	case RULE_BUF_HTTP_REFERER: case RULE_BUF_HTTP_REQUEST_HEADER:
		return DETECT_HTTP_REQ;
	case RULE_BUF_HTTP_STAT_CODE: case RULE_BUF_HTTP_STAT_MSG:
	case RULE_BUF_HTTP_RESPONSE_LINE: case RULE_BUF_HTTP_RESPONSE_BODY:
	case RULE_BUF_HTTP_SERVER: case RULE_BUF_HTTP_LOCATION:
	case RULE_BUF_HTTP_RESPONSE_HEADER: case RULE_BUF_FILE_DATA:
		return DETECT_HTTP_RESP;
	default:
		return 0;
	}
}

/* A body of the point's own direction: a response point may also carry
 * its request's body, which does not make it the response's body point. */
static bool is_side_body(uint8_t b, enum flow_dir dir)
{
	if (dir == FLOW_TOSERVER)
		return detect_buffer_is_body(b) && b != RULE_BUF_HTTP_RESPONSE_BODY &&
		       b != RULE_BUF_FILE_DATA;
	return b == RULE_BUF_HTTP_RESPONSE_BODY || b == RULE_BUF_FILE_DATA;
}

bool detect_point_has_body(const struct app_inspect *in, enum flow_dir dir)
{
	return (in->buf[RULE_BUF_HTTP_REQUEST_BODY].p && dir == FLOW_TOSERVER) ||
	       (dir == FLOW_TOCLIENT && (in->buf[RULE_BUF_HTTP_RESPONSE_BODY].p ||
					 in->buf[RULE_BUF_FILE_DATA].p));
}

static bool is_chain_buffer(uint8_t b)
{
	return is_packet_buffer(b) || app_buffer_proto(b) != APP_PROTO_UNKNOWN;
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
	case RULE_OPT_BYTE_TEST:
	case RULE_OPT_BYTE_JUMP:
	case RULE_OPT_BYTE_EXTRACT:
		return o->u.byte.relative;
	default:
		return false;
	}
}

static bool is_chain_op(uint8_t type);

/* Does a payload op fix a position in the packet (offset, depth, start,
 * end, absolute byte positions, a ^-anchored pcre)? Such a rule means the
 * packet's bytes, not a stream window's. */
static bool op_anchored(const struct rule_opt *o)
{
	switch (o->type) {
	case RULE_OPT_CONTENT:
		return o->u.content.has_offset || o->u.content.has_depth ||
		       o->u.content.startswith || o->u.content.endswith;
	case RULE_OPT_PCRE:
		return !(o->u.pcre.flags & RULE_PCRE_RELATIVE) &&
		       ((o->u.pcre.flags & RULE_PCRE_ANCHORED) || o->u.pcre.re[0] == '^');
	case RULE_OPT_ISDATAAT:
		return !o->u.isdataat.relative;
	case RULE_OPT_BYTE_TEST:
	case RULE_OPT_BYTE_JUMP:
	case RULE_OPT_BYTE_EXTRACT:
		return !o->u.byte.relative || o->u.byte.from_beginning;
	case RULE_OPT_BSIZE:
	case RULE_OPT_DSIZE:
		return true;
	default:
		return false;
	}
}

/* enum detect_smode of a packet rule (see detect.h). */
static uint8_t stream_mode(const struct rule *r)
{
	bool payload = false, anchored = false;

	if (r->flow & RULE_FLOW_NO_STREAM)
		return DETECT_SM_PACKET;
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		if (o->type == RULE_OPT_DSIZE) {
			anchored = true;
			continue;
		}
		if (!is_chain_op(o->type))
			continue;
		if (!is_packet_buffer(o->buffer))
			return DETECT_SM_PACKET;        /* an app rule */
		payload = true;
		anchored |= op_anchored(o);
	}
	/* only_stream without payload options: packets that delivered
	 * stream bytes */
	if (r->flow & RULE_FLOW_ONLY_STREAM)
		return DETECT_SM_STREAM_ONLY;
	if (!payload)
		return DETECT_SM_PACKET;
	return anchored ? DETECT_SM_PACKET : DETECT_SM_STREAM;
}

static bool is_byte_op(uint8_t type)
{
	return type == RULE_OPT_BYTE_TEST || type == RULE_OPT_BYTE_JUMP ||
	       type == RULE_OPT_BYTE_EXTRACT;
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

/* The keyword an option was written with, for the skip report. */
static const char *opt_keyword(const struct rule_opt *o)
{
	switch (o->type) {
	case RULE_OPT_BASE64_DECODE: return "base64_decode";
	case RULE_OPT_TRANSFORM: return o->u.transform.name;
	case RULE_OPT_FLOWBITS: return "flowbits";
	case RULE_OPT_XBITS: return "xbits";
	case RULE_OPT_FLOWINT: return "flowint";
	case RULE_OPT_FRAGBITS: return "fragbits";
	case RULE_OPT_FRAGOFFSET: return "fragoffset";
	case RULE_OPT_IPOPTS: return "ipopts";
	case RULE_OPT_STREAM_SIZE: return "stream_size";
	case RULE_OPT_APP: return o->u.app.name;
	case RULE_OPT_TLS_VERSION: return "tls.version";
	case RULE_OPT_SSL_VERSION: return "ssl_version";
	case RULE_OPT_SSL_STATE: return "ssl_state";
	case RULE_OPT_APP_PROTO: return "app-layer-protocol";
	default: return rule_buffer_name((enum rule_buffer)o->buffer);
	}
}

/* Why a rule cannot run, before anything is compiled; *kw names the
 * keyword at fault. */
static enum detect_skip rule_support(const struct rule *r, const char **kw)
{
	uint8_t app = APP_PROTO_UNKNOWN;


	if (!detect_thresh_supported(&r->threshold) ||
	    !detect_thresh_supported(&r->detection_filter)) {
		*kw = "threshold";
		return DETECT_SKIP_THRESHOLD;
	}
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		*kw = opt_keyword(o);
		switch (o->type) {
		case RULE_OPT_CONTENT:
		case RULE_OPT_PCRE:
		case RULE_OPT_ISDATAAT:
		case RULE_OPT_BSIZE:
		case RULE_OPT_BYTE_TEST:
		case RULE_OPT_BYTE_JUMP:
		case RULE_OPT_BYTE_EXTRACT:
			if (!is_chain_buffer(o->buffer))
				return rule_buffer_is_app(o->buffer) ? DETECT_SKIP_APP_LAYER
								     : DETECT_SKIP_KEYWORD;
			/* one application protocol per rule */
			if (app_buffer_proto(o->buffer) != APP_PROTO_UNKNOWN) {
				if (app && app != app_buffer_proto(o->buffer))
					return DETECT_SKIP_APP_LAYER;
				app = app_buffer_proto(o->buffer);
			}
			/* dce reads the byte order of the DCE/RPC PDU, which
			 * needs the DCE/RPC parser */
			if (is_byte_op(o->type) && o->u.byte.endian == RULE_ENDIAN_DCE)
				return DETECT_SKIP_APP_LAYER;
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
		case RULE_OPT_STREAM_SIZE:
			break;
		case RULE_OPT_FLOWBITS:
			if (!bits_supported(&o->u.bits))
				return DETECT_SKIP_FLOWBITS;
			break;
		case RULE_OPT_XBITS:
		case RULE_OPT_FLOWINT:
			/* no host / ip-pair / integer storage yet */
			return DETECT_SKIP_FLOWBITS;
		case RULE_OPT_TRANSFORM:
			if (detect_xform_of(o->u.transform.name) == DETECT_XF_NONE)
				return DETECT_SKIP_KEYWORD;
			break;
		case RULE_OPT_SSL_VERSION:
			/* SSLv2 records are not parsed: the flow is not TLS */
			if (o->u.ssl_version.want & RULE_SSL_V2)
				return DETECT_SKIP_APP_LAYER;
			/* fall through */
		case RULE_OPT_TLS_VERSION:
		case RULE_OPT_SSL_STATE:
			/* one application protocol per rule, as buffers */
			if (app && app != APP_PROTO_TLS)
				return DETECT_SKIP_APP_LAYER;
			if (r->app != RULE_APP_NONE && r->app != RULE_APP_TLS)
				return DETECT_SKIP_APP_LAYER;
			app = APP_PROTO_TLS;
			break;
		case RULE_OPT_APP_PROTO:
			/* a protocol mamori does not detect (ssh, http2, ...)
			 * would be misjudged either way */
			if (o->u.app_proto.undetected)
				return DETECT_SKIP_APP_LAYER;
			break;
		case RULE_OPT_APP:
			return DETECT_SKIP_APP_LAYER;
		default:
			/* base64, transforms, fragbits, fragoffset, ipopts */
			return DETECT_SKIP_KEYWORD;
		}
	}
	*kw = NULL;
	return DETECT_OK;
}

static bool is_chain_op(uint8_t type)
{
	switch (type) {
	case RULE_OPT_CONTENT:
	case RULE_OPT_PCRE:
	case RULE_OPT_ISDATAAT:
	case RULE_OPT_BSIZE:
	case RULE_OPT_BYTE_TEST:
	case RULE_OPT_BYTE_JUMP:
	case RULE_OPT_BYTE_EXTRACT:
		return true;
	default:
		return false;
	}
}

enum detect_xform detect_xform_of(const char *name)
{
	if (!strcmp(name, "dotprefix"))
		return DETECT_XF_DOTPREFIX;
	if (!strcmp(name, "to_lowercase"))
		return DETECT_XF_LOWER;
	return DETECT_XF_NONE;
}

static bool val_ok(const struct rule_val *v, uint32_t defined)
{
	return v->var < 0 || (defined >> v->var) & 1;
}

/* Every variable the chain reads was set earlier in the chain. */
static bool vars_defined_in_order(const struct rule *r, const uint16_t *chain, uint16_t n)
{
	uint32_t defined = 0;

	for (uint16_t i = 0; i < n; i++) {
		const struct rule_opt *o = &r->opts[chain[i]];

		switch (o->type) {
		case RULE_OPT_CONTENT:
			if (!val_ok(&o->u.content.offset, defined) ||
			    !val_ok(&o->u.content.depth, defined) ||
			    !val_ok(&o->u.content.distance, defined) ||
			    !val_ok(&o->u.content.within, defined))
				return false;
			break;
		case RULE_OPT_ISDATAAT:
			if (!val_ok(&o->u.isdataat.n, defined))
				return false;
			break;
		case RULE_OPT_BYTE_TEST:
		case RULE_OPT_BYTE_JUMP:
		case RULE_OPT_BYTE_EXTRACT:
			if ((o->u.byte.nbytes_var >= 0 && !((defined >> o->u.byte.nbytes_var) & 1)) ||
			    !val_ok(&o->u.byte.value, defined) || !val_ok(&o->u.byte.offset, defined) ||
			    !val_ok(&o->u.byte.post_offset, defined))
				return false;
			if (o->type == RULE_OPT_BYTE_EXTRACT && o->u.byte.result >= 0)
				defined |= 1u << o->u.byte.result;
			break;
		default:
			break;
		}
	}
	return true;
}

/*
 * The chain holds the payload ops of every buffer the rule inspects,
 * grouped by buffer (in the order the buffers first appear, each group in
 * rule order): one segment per buffer. Relative matching and backtracking
 * stay within a segment, as in Suricata, where each sticky buffer starts
 * its own inspection.
 */
enum detect_skip detect_rule_prepare(struct detect_rule *dr, const struct rule *r,
				     uint32_t *max_ovec, const char **skip_kw)
{
	const char *kw = NULL;
	enum detect_skip why = rule_support(r, &kw);
	uint16_t *chain = NULL;
	bool *retry = NULL;
	void **re = NULL;
	struct detect_seg *segs = NULL;
	uint16_t n = 0, nsegs = 0;
	bool tls_kw = false, alp = false;

	memset(dr, 0, sizeof(*dr));
	if (skip_kw)
		*skip_kw = kw;
	if (why != DETECT_OK)
		return why;
	if (r->nopts) {
		chain = calloc(r->nopts, sizeof(*chain));
		retry = calloc(r->nopts, sizeof(*retry));
		re = calloc(r->nopts, sizeof(*re));
		segs = calloc(r->nopts, sizeof(*segs));
		if (!chain || !retry || !re || !segs)
			goto nomem;
	}
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		if (is_chain_op(o->type))
			continue;
		if (o->type == RULE_OPT_TLS_VERSION || o->type == RULE_OPT_SSL_VERSION ||
		    o->type == RULE_OPT_SSL_STATE) {
			dr->has_app_opts = true;
			tls_kw = true;
			dr->tls_kx |= o->type == RULE_OPT_SSL_STATE;
		} else if (o->type == RULE_OPT_APP_PROTO) {
			dr->has_app_opts = true;
			alp = true;
		} else if (o->type == RULE_OPT_FLOWBITS) {
			if (o->u.bits.cmd == RULE_BITS_ISSET || o->u.bits.cmd == RULE_BITS_ISNOTSET) {
				dr->has_bit_checks = true;
				if (o->u.bits.cmd == RULE_BITS_ISSET && !o->u.bits.any)
					for (uint8_t k = 0; k < o->u.bits.n; k++)
						if (o->u.bits.ids[k] < FLOW_BITS_MAX)
							dr->need_bits[o->u.bits.ids[k] >> 6] |=
								1ull << (o->u.bits.ids[k] & 63);
			} else
				dr->has_bit_actions = true;
		} else {
			dr->has_hdr_opts = true;
		}
	}
	/* one segment per buffer, in order of first appearance */
	for (uint32_t i = 0; i < r->nopts; i++) {
		uint8_t b = r->opts[i].buffer;
		bool seen = false;

		if (!is_chain_op(r->opts[i].type))
			continue;
		for (uint16_t k = 0; k < nsegs; k++)
			seen |= segs[k].buffer == b;
		if (seen)
			continue;
		segs[nsegs].buffer = b;
		segs[nsegs].start = n;
		for (uint32_t j = i; j < r->nopts; j++) {
			const struct rule_opt *o = &r->opts[j];

			if (!is_chain_op(o->type) || o->buffer != b)
				continue;
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
					kw = "pcre";
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
			chain[n++] = (uint16_t)j;
		}
		segs[nsegs].n = (uint16_t)(n - segs[nsegs].start);
		for (uint32_t j = 0; j < r->nopts; j++) {
			const struct rule_opt *o = &r->opts[j];

			if (o->type != RULE_OPT_TRANSFORM || o->buffer != b)
				continue;
			if (segs[nsegs].nxforms == DETECT_MAX_XFORMS) {
				why = DETECT_SKIP_KEYWORD;
				kw = "transforms (more than 4 on a buffer)";
				goto fail;
			}
			segs[nsegs].xforms[segs[nsegs].nxforms++] =
				(uint8_t)detect_xform_of(o->u.transform.name);
		}
		if (app_buffer_proto(b) != APP_PROTO_UNKNOWN)
			dr->app = app_buffer_proto(b);
		dr->http_side |= detect_http_buffer_side(b);
		nsegs++;
	}
	/* HTTP: request buffers with response ones, or with flow:to_client,
	 * make a rule of the response (whose points carry the request's);
	 * it runs at the point of its side's last stage */
	if ((dr->http_side & DETECT_HTTP_REQ) && (r->flow & RULE_FLOW_TO_CLIENT))
		dr->http_side |= DETECT_HTTP_RESP;
	for (uint16_t k = 0; k < nsegs; k++)
		if (is_side_body(segs[k].buffer, (dr->http_side & DETECT_HTTP_RESP)
						 ? FLOW_TOCLIENT : FLOW_TOSERVER))
			dr->needs_body = true;
	/* TLS keywords alone: a rule of the TLS inspection points; with a
	 * payload chain they are a condition on each packet, as Suricata
	 * matches payload and app state together */
	if (tls_kw && !nsegs) {
		dr->app = APP_PROTO_TLS;
		dr->tls_state_only = true;
	}
	/* Suricata's PD-only rule: app-layer-protocol with nothing else to
	 * inspect but flow direction and flowbits actions, on a header that
	 * names no app protocol */
	dr->pd_only = alp && !tls_kw && !nsegs && !dr->has_hdr_opts && !dr->has_bit_checks &&
		      r->app == RULE_APP_NONE &&
		      !(r->flow & ~(RULE_FLOW_TO_SERVER | RULE_FLOW_TO_CLIENT));
	for (uint16_t k = 0; k < nsegs; k++)
		for (uint16_t i = segs[k].start; i + 1 < segs[k].start + segs[k].n; i++)
			retry[i] = op_relative(&r->opts[chain[i + 1]]);
	/* Grouping by buffer may move a use of a byte_extract variable
	 * before its definition (buffers X, Y, X): such a rule would read a
	 * value not yet set, so it is not run. */
	if (!vars_defined_in_order(r, chain, n)) {
		why = DETECT_SKIP_KEYWORD;
		kw = "byte_extract";
		goto fail;
	}
	dr->r = r;
	dr->smode = stream_mode(r);
	dr->chain = chain;
	dr->retry = retry;
	dr->re = re;
	dr->nchain = n;
	dr->segs = segs;
	dr->nsegs = nsegs;
	return DETECT_OK;
nomem:
	/* startup only: a rule that cannot get memory is skipped, counted */
	why = DETECT_SKIP_KEYWORD;
	kw = "out of memory";
fail:
	if (skip_kw)
		*skip_kw = kw;
	for (uint16_t i = 0; re && i < n; i++)
		pcre2_code_free(re[i]);
	free(chain);
	free(retry);
	free(re);
	free(segs);
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
	free((void *)dr->segs);
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
	v->xbuf = malloc(DETECT_XBUF_MAX);
	if (!v->xbuf) {
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
	free(v->xbuf);
	v->md = v->mctx = NULL;
	v->xbuf = NULL;
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

/*
 * stream_size: the bytes a side has sent by sequence numbers (next
 * expected sequence - ISN, so the SYN counts one, as in Suricata), after
 * the current packet; server is the responder's side. Without a tracked
 * TCP session (no stream has started either way) nothing matches.
 */
static bool stream_size_match(const struct rule_stream_size *ss, const struct flow *f)
{
	const struct stream_dir *cl, *sv;
	uint64_t c, s;

	if (!f || f->key.proto != 6)
		return false;
	cl = &f->app.stream[FLOW_TOSERVER];
	sv = &f->app.stream[FLOW_TOCLIENT];
	if (!((cl->flags | sv->flags) & STREAM_DIR_INIT))
		return false;
	c = (cl->flags & STREAM_DIR_INIT) ? (uint32_t)(cl->next_seq - cl->isn) : 0;
	s = (sv->flags & STREAM_DIR_INIT) ? (uint32_t)(sv->next_seq - sv->isn) : 0;
	switch (ss->side) {
	case RULE_STREAM_SERVER: return rule_cmp_eval(&ss->cmp, s);
	case RULE_STREAM_CLIENT: return rule_cmp_eval(&ss->cmp, c);
	case RULE_STREAM_BOTH: return rule_cmp_eval(&ss->cmp, s) && rule_cmp_eval(&ss->cmp, c);
	default: return rule_cmp_eval(&ss->cmp, s) || rule_cmp_eval(&ss->cmp, c);
	}
}

static bool hdr_match(const struct rule *r, const struct packet *p, const struct flow *f)
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
		case RULE_OPT_STREAM_SIZE:
			if (!stream_size_match(&o->u.stream_size, f))
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

/* ---- application-layer keywords ------------------------------------------ */

/* TLS 1.3 and its drafts (0x7fXX, Facebook's 0xfbXX) */
static bool version_is_13(uint16_t v)
{
	return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb;
}

/* The RULE_SSL_* bit of a protocol version; 0 when it has none. */
static uint8_t ssl_version_bit(uint16_t v)
{
	switch (v) {
	case 0x0002: return RULE_SSL_V2;
	case 0x0300: return RULE_SSL_V3;
	case 0x0301: return RULE_SSL_TLS10;
	case 0x0302: return RULE_SSL_TLS11;
	case 0x0303: return RULE_SSL_TLS12;
	default: return version_is_13(v) ? RULE_SSL_TLS13 : 0;
	}
}

static bool tls_version_match(const struct rule_tls_version *tv, uint16_t v)
{
	if (!v)
		return false;
	if (!tv->raw && version_is_13(v))
		v = 0x0304;
	return v == tv->ver;
}

static bool ssl_version_match(const struct rule_ssl_version *sv, uint16_t v)
{
	uint8_t bit = ssl_version_bit(v);

	if (!bit || (sv->deny & bit))
		return false;
	return !sv->want || (sv->want & bit);
}

/* The RULE_ALP_* bit of an enum app_proto. */
static uint8_t alp_bit(uint8_t proto)
{
	switch (proto) {
	case APP_PROTO_HTTP: return RULE_ALP_HTTP;
	case APP_PROTO_TLS: return RULE_ALP_TLS;
	case APP_PROTO_DNS: return RULE_ALP_DNS;
	case APP_PROTO_FAILED: return RULE_ALP_FAILED;
	default: return RULE_ALP_UNKNOWN;
	}
}

/* Direction d's protocol: the flow's once that direction's is decided. */
static uint8_t dir_proto(const struct flow *f, int d)
{
	return (f->app.pd >> d) & 1 ? f->app.proto : APP_PROTO_UNKNOWN;
}

/* app-layer-protocol as Suricata: a negation never matches a protocol
 * still unknown; no flow, no match. */
static bool app_proto_match(const struct rule_app_proto *ap, const struct flow *f,
			    enum flow_dir dir)
{
	uint8_t ts, tc, x;

	if (!f)
		return false;
	ts = dir_proto(f, FLOW_TOSERVER);
	tc = dir_proto(f, FLOW_TOCLIENT);
	switch (ap->mode) {
	case RULE_ALP_EITHER:
		if (!ap->negated)
			return (ap->protos & alp_bit(ts)) || (ap->protos & alp_bit(tc));
		if (ts == APP_PROTO_UNKNOWN && tc == APP_PROTO_UNKNOWN)
			return false;
		return !(ts != APP_PROTO_UNKNOWN && (ap->protos & alp_bit(ts))) &&
		       !(tc != APP_PROTO_UNKNOWN && (ap->protos & alp_bit(tc)));
	case RULE_ALP_FINAL: x = f->app.proto; break;
	case RULE_ALP_TO_SERVER: x = ts; break;
	case RULE_ALP_TO_CLIENT: x = tc; break;
	default: x = dir == FLOW_TOSERVER ? ts : tc; break;
	}
	if (ap->negated)
		return x != APP_PROTO_UNKNOWN && !(ap->protos & alp_bit(x));
	return (ap->protos & alp_bit(x)) != 0;
}

/* The handshake state ssl_state tests: at a point of a handshake message
 * that message alone, else (a packet, a certificate) the messages of the
 * current data. */
static uint8_t ssl_states(const struct tls_state *tls, enum flow_dir dir,
			  const struct app_inspect *in)
{
	switch (in ? in->tls_hs : 0) {
	case 1: return RULE_SSL_CLIENT_HELLO;
	case 2: return RULE_SSL_SERVER_HELLO;
	case 12: return RULE_SSL_SERVER_KEYX;
	case 16: return RULE_SSL_CLIENT_KEYX;
	default: return tls_cur_states(tls, dir);
	}
}

/* The application-layer keywords of a rule, against the flow's parser
 * state in direction dir (in: the inspection point, NULL on a packet). */
static bool app_opts_match(const struct rule *r, const struct flow *f, enum flow_dir dir,
			   const struct app_inspect *in)
{
	const struct tls_state *tls = NULL;
	uint8_t cur;

	if (f && f->app.proto == APP_PROTO_TLS)
		tls = f->app.state;
	for (uint32_t i = 0; i < r->nopts; i++) {
		const struct rule_opt *o = &r->opts[i];

		switch (o->type) {
		case RULE_OPT_TLS_VERSION:
			if (!tls || !tls_version_match(&o->u.tls_version, tls_dir_version(tls, dir)))
				return false;
			break;
		case RULE_OPT_SSL_VERSION:
			if (!tls || !ssl_version_match(&o->u.ssl_version, tls_dir_version(tls, dir)))
				return false;
			break;
		case RULE_OPT_APP_PROTO:
			if (!app_proto_match(&o->u.app_proto, f, dir))
				return false;
			break;
		case RULE_OPT_SSL_STATE:
			/* a packet that gave the parser nothing has no state
			 * to test (a retransmission, data after the handshake) */
			if (!tls || (!in && !(f->app.pkt & FLOW_APP_PKT_DATA(dir))))
				return false;
			cur = ssl_states(tls, dir, in);
			if (!((o->u.ssl_state.states & cur) ^ o->u.ssl_state.negated))
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

bool detect_app_stage(const struct detect_rule *dr, const struct app_inspect *in,
		      enum flow_dir dir, bool body)
{
	if (dr->needs_body != body)
		return false;
	/* a request rule ran at its request; a response rule (mixed ones
	 * included) runs at the response only */
	if (in->proto == APP_PROTO_HTTP &&
	    (dir == FLOW_TOSERVER ? (dr->http_side & DETECT_HTTP_RESP) != 0
				  : dr->http_side == DETECT_HTTP_REQ))
		return false;
	if (dr->tls_state_only) {
		/* once per direction at the hello; ssl_state also sees the
		 * key exchanges */
		switch (in->tls_hs) {
		case 1: case 2: return true;
		case 12: case 16: return dr->tls_kx;
		default: return false;
		}
	}
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
	uint16_t end;                   /* the current segment's end in the chain */
	int64_t vars[RULE_MAX_VARS];    /* byte_extract results so far */
};

/* A literal, or the value an earlier byte_extract stored. */
static inline int64_t rv(const struct chain_ctx *c, const struct rule_val *v)
{
	return v->var >= 0 ? c->vars[v->var] : v->value;
}

static bool chain_from(struct chain_ctx *c, uint16_t i, int64_t prev_end);

/* Where a content matches, at or after from_min (the backtracking point):
 * the position, or -1. */
static int64_t content_at(const struct chain_ctx *c, const struct rule_content *ct,
			  int64_t prev_end, int64_t from_min)
{
	const uint8_t *buf = c->buf;
	int64_t len = c->len, start, end;

	if (ct->has_distance || ct->has_within) {
		int64_t dist = ct->has_distance ? rv(c, &ct->distance) : 0;

		start = prev_end + dist;
		end = ct->has_within ? prev_end + dist + rv(c, &ct->within) : len;
	} else {
		start = ct->has_offset ? rv(c, &ct->offset) : 0;
		end = ct->has_depth ? start + rv(c, &ct->depth) : len;
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
	int64_t pos = content_at(c, ct, prev_end, 0);

	if (ct->negated)
		return pos < 0 && chain_from(c, i + 1, prev_end);
	while (pos >= 0) {
		if (chain_from(c, i + 1, pos + ct->len))
			return true;
		if (!c->dr->retry[i] || --c->v->budget <= 0)
			return false;
		pos = content_at(c, ct, prev_end, pos + 1);
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

/* ---- byte_test, byte_jump, byte_extract ------------------------------------ */

static int digit(uint8_t ch, unsigned base)
{
	unsigned d;

	if (ch >= '0' && ch <= '9')
		d = ch - '0';
	else if (ch >= 'a' && ch <= 'f')
		d = ch - 'a' + 10;
	else if (ch >= 'A' && ch <= 'F')
		d = ch - 'A' + 10;
	else
		return -1;
	return d < base ? (int)d : -1;
}

/*
 * The number b reads at pos..pos+n: binary in b's byte order, or with
 * `string` the digits of b's base at the start of those bytes (at least
 * one, as strtoull would take them; no overflow). Also where the read
 * ends (the digits used, for string). False when the bytes are not all
 * in the buffer or hold no number: the option then fails, negated or not.
 */
static bool byte_read(const struct chain_ctx *c, const struct rule_byte *b, int64_t pos,
		      int64_t n, uint64_t *out, int64_t *used)
{
	const uint8_t *q;
	uint64_t v = 0;
	int64_t i;

	if (pos < 0 || n < 0 || pos + n > c->len)
		return false;
	if (n == 0) {
		*out = 0;
		*used = 0;
		return true;
	}
	q = c->buf + pos;
	if (b->base == RULE_BASE_BINARY) {
		if (n > 8)
			return false;
		for (i = 0; i < n; i++)
			v |= (uint64_t)q[i] << (b->endian == RULE_ENDIAN_LITTLE ? 8 * i : 8 * (n - 1 - i));
	} else {
		unsigned base = b->base == RULE_BASE_HEX ? 16 : b->base == RULE_BASE_OCT ? 8 : 10;

		for (i = 0; i < n; i++) {
			int d = digit(q[i], base);

			if (d < 0)
				break;
			if (v > (UINT64_MAX - (uint64_t)d) / base)
				return false;
			v = v * base + (uint64_t)d;
		}
		if (i == 0)
			return false;
		n = i;
	}
	if (b->has_bitmask) {
		/* the masked bits, shifted down to bit 0 (Suricata) */
		v &= b->bitmask;
		if (v && b->bitmask)
			v >>= __builtin_ctzll(b->bitmask);
	}
	*out = v;
	*used = n;
	return true;
}

/* Where a byte op reads: from the previous match end when relative (and
 * then only while something is left after it), else from 0. */
static bool byte_pos(const struct chain_ctx *c, const struct rule_byte *b, int64_t prev_end,
		     int64_t *pos, int64_t *n)
{
	int64_t base = b->relative ? prev_end : 0;

	if (b->relative && base >= c->len)
		return false;
	*pos = base + rv(c, &b->offset);
	if (b->nbytes_var >= 0) {
		/* a count of 0 reads nothing and yields 0 (Suricata) */
		*n = c->vars[b->nbytes_var];
		return *n >= 0 && *n <= (b->base == RULE_BASE_BINARY ? 8 : 23);
	}
	*n = b->nbytes;
	if (*n == 0)            /* string over the rest of the buffer */
		*n = c->len - *pos;
	return *n > 0;
}

static bool byte_test(const struct chain_ctx *c, const struct rule_byte *b, int64_t prev_end)
{
	uint64_t v, want;
	int64_t pos, n, used;
	bool m;

	if (!byte_pos(c, b, prev_end, &pos, &n) || !byte_read(c, b, pos, n, &v, &used))
		return false;
	want = (uint64_t)rv(c, &b->value);
	switch (b->op) {
	case RULE_BYTE_LT: m = v < want; break;
	case RULE_BYTE_GT: m = v > want; break;
	case RULE_BYTE_LE: m = v <= want; break;
	case RULE_BYTE_GE: m = v >= want; break;
	case RULE_BYTE_AND: m = (v & want) != 0; break;
	case RULE_BYTE_OR: m = (v ^ want) != 0; break;  /* as Suricata */
	default: m = v == want; break;
	}
	return m != b->negated;
}

static uint64_t align_up(uint64_t v, unsigned a)
{
	return a && v % a ? v + (a - v % a) : v;
}

/* byte_jump: the new match end, or -1. A jump before the buffer lands on
 * its start; at or past its end fails (Suricata). */
static int64_t byte_jump(const struct chain_ctx *c, const struct rule_byte *b, int64_t prev_end)
{
	uint64_t v;
	int64_t pos, n, used, to;

	if (!byte_pos(c, b, prev_end, &pos, &n) || !byte_read(c, b, pos, n, &v, &used))
		return -1;
	if (v > (uint64_t)INT32_MAX)
		return -1;
	v = align_up(v * b->multiplier, b->align);
	if (v > (uint64_t)INT64_MAX / 2)
		return -1;
	to = (int64_t)v + rv(c, &b->post_offset);
	if (b->from_beginning)
		;
	else if (b->from_end)
		to += c->len;
	else
		to += pos + used;
	if (to < 0)
		to = 0;
	return to < c->len ? to : -1;
}

/* byte_extract: stores the value, returns the new match end (after the
 * bytes read), or -1. */
static int64_t byte_extract(struct chain_ctx *c, const struct rule_byte *b, int64_t prev_end)
{
	uint64_t v;
	int64_t pos, n, used;

	if (!byte_pos(c, b, prev_end, &pos, &n) || !byte_read(c, b, pos, n, &v, &used))
		return -1;
	if (v > (uint64_t)INT32_MAX)
		return -1;
	v = align_up(v * b->multiplier, b->align);
	if (b->result >= 0 && b->result < RULE_MAX_VARS)
		c->vars[b->result] = (int64_t)v;
	return pos + used;
}

static bool chain_from(struct chain_ctx *c, uint16_t i, int64_t prev_end)
{
	for (; i < c->end; i++) {
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
			int64_t n = rv(c, &d->n);
			bool has = d->relative ? prev_end + n <= c->len : n < c->len;

			if (has == d->negated)
				return false;
			break;
		}
		case RULE_OPT_BSIZE:
			if (!rule_cmp_eval(&o->u.cmp, (uint64_t)c->len))
				return false;
			break;
		case RULE_OPT_BYTE_TEST:
			/* a test: the match end stays where it was */
			if (!byte_test(c, &o->u.byte, prev_end))
				return false;
			break;
		case RULE_OPT_BYTE_JUMP:
			if ((prev_end = byte_jump(c, &o->u.byte, prev_end)) < 0)
				return false;
			break;
		case RULE_OPT_BYTE_EXTRACT:
			if ((prev_end = byte_extract(c, &o->u.byte, prev_end)) < 0)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

/* Run a segment's transforms on *buf into v->xbuf; false when the buffer
 * is too long for it. */
static bool apply_xforms(const struct detect_seg *sg, struct detect_vctx *v,
			 const uint8_t **buf, int64_t *len)
{
	uint8_t *x = v->xbuf;
	int64_t n = *len;

	if (!x || n + sg->nxforms > DETECT_XBUF_MAX)
		return false;
	memmove(x, *buf, (size_t)n);
	for (uint8_t k = 0; k < sg->nxforms; k++) {
		switch (sg->xforms[k]) {
		case DETECT_XF_DOTPREFIX:
			/* a "." before the name: content:".evil.com"; endswith
			 * then matches evil.com and its subdomains only */
			memmove(x + 1, x, (size_t)n);
			x[0] = '.';
			n++;
			break;
		case DETECT_XF_LOWER:
			for (int64_t i = 0; i < n; i++)
				x[i] = lower[x[i]];
			break;
		default:
			break;
		}
	}
	*buf = x;
	*len = n;
	return true;
}

bool detect_rule_verify(const struct detect_rule *dr, struct detect_vctx *v,
			const struct packet *p, const struct flow *f, enum flow_dir dir,
			const struct app_inspect *in)
{
	struct chain_ctx c;

	/* a PD-only rule looks at the packets that decide a protocol */
	if (dr->pd_only && !(f && (f->app.pkt & (FLOW_APP_PKT_PD(0) | FLOW_APP_PKT_PD(1)))))
		return false;
	if (!flow_match(dr->r->flow, f, dir))
		return false;
	/* only_frag / no_frag: a datagram defragmentation rebuilt, or not */
	if ((dr->r->flow & RULE_FLOW_ONLY_FRAG) && !(p->flags & PKT_REASSEMBLED))
		return false;
	if ((dr->r->flow & RULE_FLOW_NO_FRAG) && (p->flags & PKT_REASSEMBLED))
		return false;
	if (dr->has_hdr_opts && !hdr_match(dr->r, p, f))
		return false;
	/* every option is a plain AND, so testing the bits before the
	 * payload gives the same answer as rule order, only cheaper */
	if (dr->has_bit_checks && !bits_match(dr->r, f))
		return false;
	if (dr->has_app_opts && !app_opts_match(dr->r, f, dir, in))
		return false;
	c.dr = dr;
	c.v = v;
	/* prepare made sure every variable is set before it is read */
	memset(c.vars, 0, sizeof(c.vars));
	/* byte_extract variables carry across buffers (Suricata) */
	for (uint16_t k = 0; k < dr->nsegs; k++) {
		const struct detect_seg *sg = &dr->segs[k];

		if (is_packet_buffer(sg->buffer) && v->raw) {
			c.buf = v->raw;                 /* a stream window */
			c.len = v->raw_len;
		} else if (is_packet_buffer(sg->buffer)) {
			/* Payload options never match an empty payload (Suricata). */
			if (!p->payload_off || !p->payload_len)
				return false;
			c.buf = p->data + p->payload_off;
			c.len = p->payload_len;
		} else {
			if (!in || !in->buf[sg->buffer].p)
				return false;
			c.buf = in->buf[sg->buffer].p;
			c.len = in->buf[sg->buffer].len;
		}
		if (sg->nxforms && !apply_xforms(sg, v, &c.buf, &c.len))
			return false;
		c.end = (uint16_t)(sg->start + sg->n);
		v->budget = VERIFY_BUDGET;
		if (!chain_from(&c, sg->start, 0))
			return false;
	}
	return true;
}
