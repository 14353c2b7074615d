/*
 * detect: the signature-matching engine. A read-only `struct detect_engine`
 * is built once from a parsed ruleset at startup (it may allocate freely);
 * each worker owns a `struct detect_thread` (Hyperscan scratch, PCRE2
 * match data, candidate array, counters) and calls detect_packet() for
 * every decoded packet. The packet path allocates nothing, takes no lock
 * and makes no system call.
 *
 * Rules are grouped by protocol class (TCP, UDP, ICMP v4+v6, other IP);
 * `ip` rules sit in every group. Each group has one Hyperscan block-mode
 * database of its rules' fast patterns, and a list of rules without one
 * (header-only, negated-only, pcre-only) that are checked on every packet
 * of the group. Candidates then get the header check and full option
 * verification (verify.c).
 */
#ifndef MAMORI_DETECT_H
#define MAMORI_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "mamori/app.h"
#include "mamori/decode.h"
#include "mamori/eve.h"
#include "mamori/flow.h"
#include "mamori/rule.h"

struct detect_engine;
struct detect_thread;

struct detect_engine_stats {
	uint64_t rules_total;           /* rules in the ruleset */
	uint64_t rules_active;          /* rules the engine runs */
	uint64_t rules_prefiltered;     /* of those, with a Hyperscan fast pattern */
	uint64_t rules_pcre_prefiltered;/* of the others, prefiltered by their pcre */
	uint64_t rules_app;             /* active rules on application-layer buffers */
	uint64_t rules_skipped_app_layer;
	/* Skipped because they use something the engine cannot do yet; the
	 * sum of the four reasons below. */
	uint64_t rules_skipped_unsupported;
	uint64_t skipped_flowbits;      /* xbits, flowint, flowbit id >= FLOW_BITS_MAX */
	uint64_t skipped_threshold;     /* a threshold the engine cannot run */
	uint64_t skipped_pcre;          /* a pcre PCRE2 does not compile */
	uint64_t skipped_keyword;       /* base64, fragbits, ipopts, stream_size, ... */
	uint64_t build_us;              /* time detect_engine_build took */
	uint64_t hs_bytes;              /* Hyperscan databases, all groups */
	uint64_t cache_hits, cache_misses, cache_load_errors, cache_store_errors;
};

struct detect_thread_stats {
	uint64_t packets;               /* packets inspected */
	uint64_t candidates;            /* rules the prefilter proposed */
	uint64_t checked;               /* rules that went to full verification */
	uint64_t alerts;                /* alerts raised */
	uint64_t passed;                /* packets a pass rule matched */
	uint64_t scan_errors;           /* hs_scan failures (never expected) */
	uint64_t thresholded;           /* matches threshold/detection_filter held back */
	uint64_t thresh_evicted;        /* live threshold entries dropped, table full */
	uint64_t app_inspections;       /* application-layer inspection points */
	uint64_t stream_bytes;          /* new stream bytes inspected */
	uint64_t stream_alerts;         /* alerts raised on stream windows */
};

/* How to build an engine; a NULL config means the defaults (no cache). */
struct detect_engine_config {
	const char *hs_cache_dir;       /* compiled databases; NULL or "": none */
};

/* Build the engine; NULL with a reason in err when Hyperscan or memory
 * fails. Rules the engine cannot run are counted, not errors; so are
 * cache failures (see hs_cache below; the caller logs them). */
struct detect_engine *detect_engine_build(const struct ruleset *rs,
					  const struct detect_engine_config *cfg,
					  char *err, size_t errlen);
void detect_engine_free(struct detect_engine *e);
void detect_engine_info(const struct detect_engine *e, struct detect_engine_stats *st);
/* The skipped rules by the keyword at fault, most first: the i-th entry's
 * keyword and rule count; false past the end. */
bool detect_engine_skipped(const struct detect_engine *e, unsigned i, const char **kw,
			   uint32_t *n);

/* One per worker; NULL when memory runs out. Counters go to st when given
 * (a worker keeps one block across rule reloads), else to the thread's
 * own. */
struct detect_thread *detect_thread_new(const struct detect_engine *e,
					struct detect_thread_stats *st);
void detect_thread_free(struct detect_thread *t);
const struct detect_thread_stats *detect_thread_stats(const struct detect_thread *t);

/* app: the application-layer metadata of the match (NULL for a packet
 * rule); valid during the call. */
typedef void (*detect_alert_fn)(void *arg, const struct packet *p, const struct flow *f,
				const struct event_alert *a, const struct app_meta *app);

/*
 * Match one decoded packet. f may be NULL (no flow: flow-dependent options
 * then fail, except flow:stateless); dir is the packet's direction in f.
 * Calls cb once per alert, in rule order (pass rules first, then drop,
 * reject, alert; file order within an action), and sets f->alerted.
 * Returns the number of alerts raised.
 */
unsigned detect_packet(struct detect_thread *t, const struct packet *p, struct flow *f,
		       enum flow_dir dir, detect_alert_fn cb, void *arg);

/*
 * TCP stream inspection. A payload rule on TCP is matched against the
 * reassembled bytes of its flow direction (stream.h), so content split
 * across segments, sent out of order or overlapped is seen as the host
 * sees it, and each stream match alerts once:
 *
 *   detect_stream_begin(t, p, f, dir);        before the app layer runs p
 *   detect_stream_data(t, p, f, dir, ...);    each in-order delivery
 *   detect_packet_stream(t, p, f, dir, how, ...);
 *
 * The bytes a packet delivers (its own, and held ones it releases) are
 * scanned in block mode behind a carry of the last few bytes delivered
 * before (kept in f->app.carry): a fast-pattern match must end in the new
 * bytes, so nothing alerts twice, and the rule is verified on carry + new
 * bytes. `how` DETECT_STREAM_COVERED: the stream took this packet's
 * payload (delivered it, held it for later or had it already); stream
 * rules then skip the packet itself. Otherwise (no stream for the
 * direction, depth reached, data after the close) they match the packet's
 * payload as packet rules do. DETECT_STREAM_RETRANS: the payload brought
 * no new byte; no payload rule runs on it, so a retransmission never
 * alerts twice.
 * Rules whose payload options are anchored to the packet (offset/depth or
 * startswith on the first content, absolute byte_test/isdataat, dsize,
 * ^-anchored pcre) and flow:no_stream rules stay packet rules;
 * flow:only_stream rules match the stream only. A delivery outside
 * begin/packet (flow end, the other direction flushed by a RST) is
 * inspected at once against p.
 */
bool detect_has_stream(const struct detect_thread *t);
/* During an alert callback for a stream match (event_alert.stream): the
 * window the rule matched, carry first. */
void detect_alert_window(const struct detect_thread *t, const uint8_t **buf, uint32_t *len);
void detect_stream_begin(struct detect_thread *t, const struct packet *p, struct flow *f,
			 enum flow_dir dir);
/* flags: stream.h STREAM_GAP (bytes were lost before data: the carry is
 * dropped) and STREAM_EOF. */
void detect_stream_data(struct detect_thread *t, const struct packet *p, struct flow *f,
			enum flow_dir dir, const uint8_t *data, uint32_t len, unsigned flags,
			detect_alert_fn cb, void *arg);
#define DETECT_STREAM_COVERED 0x1
#define DETECT_STREAM_RETRANS 0x2
unsigned detect_packet_stream(struct detect_thread *t, const struct packet *p, struct flow *f,
			      enum flow_dir dir, unsigned how, detect_alert_fn cb, void *arg);

/*
 * Match the app rules of in->proto at one inspection point of a parser
 * (app.h): p is the packet that completed it (addresses, ports, header
 * options), dir its direction. A rule runs at the point of its last stage:
 * rules on an HTTP body buffer where the point has a body, the others where
 * it has none, so a rule is evaluated once per transaction and direction;
 * an HTTP rule with request buffers only at the request, one with response
 * buffers (or request buffers and flow:to_client) at the response, whose
 * points carry the request's buffers; a TLS rule without buffers
 * (tls.version, ssl_state alone) at the hellos, and with ssl_state at the
 * key exchanges.
 * Calls cb per alert in rule order; returns the number of alerts.
 */
unsigned detect_app(struct detect_thread *t, const struct packet *p, struct flow *f,
		    enum flow_dir dir, const struct app_inspect *in, detect_alert_fn cb, void *arg);

/*
 * The raw Hyperscan ceiling, for benchmarks: scan p's payload with the
 * database detect_packet() would use, with a callback that only counts,
 * and nothing else (no candidates, no verification). Returns the matches.
 */
uint64_t detect_packet_scan_only(struct detect_thread *t, const struct packet *p);

/* ---- between engine.c and verify.c; not for other callers --------------- */

enum detect_skip {
	DETECT_OK = 0,
	DETECT_SKIP_APP_LAYER,
	DETECT_SKIP_FLOWBITS,
	DETECT_SKIP_THRESHOLD,
	DETECT_SKIP_PCRE,
	DETECT_SKIP_KEYWORD,
};

/* Buffer transforms mamori runs (dotprefix, to_lowercase), in order. */
enum detect_xform { DETECT_XF_NONE, DETECT_XF_DOTPREFIX, DETECT_XF_LOWER };
#define DETECT_MAX_XFORMS 4

/* The chain ops of one buffer: chain[start .. start + n), run on the
 * buffer after its transforms. */
struct detect_seg {
	uint8_t buffer;                 /* enum rule_buffer */
	uint8_t nxforms;
	uint8_t xforms[DETECT_MAX_XFORMS];  /* enum detect_xform */
	uint16_t start, n;
};

/* A transform name mamori runs, or DETECT_XF_NONE. */
enum detect_xform detect_xform_of(const char *name);

/* A rule as the engine runs it. */
struct detect_rule {
	const struct rule *r;
	const uint16_t *chain;          /* indexes into r->opts of the payload ops */
	const bool *retry;              /* chain[i]: backtrack (next op is relative) */
	void *const *re;                /* pcre2_code * per chain op, or NULL */
	const struct detect_seg *segs;  /* per buffer */
	uint16_t nchain;
	uint8_t nsegs;
	uint8_t app;                    /* enum app_proto: 0 for a packet rule */
	bool needs_body;                /* inspects the body of the side it runs on */
	uint8_t http_side;              /* DETECT_HTTP_REQ / _RESP buffers it uses */
	bool has_app_opts;              /* tls.version, ssl_*, app-layer-protocol */
	/* a TLS rule without buffers (tls.version, ssl_state alone): it runs
	 * at the hello points, and with ssl_state at the key exchanges too */
	bool tls_state_only;
	bool tls_kx;
	/* only app-layer-protocol inspects anything: as Suricata's
	 * "protocol detection only" rules it is checked on the packets that
	 * decide a direction's protocol, not on every packet */
	bool pd_only;
	bool has_hdr_opts;              /* dsize, flags, ttl, ... present */
	bool has_bit_checks;            /* flowbits isset / isnotset */
	bool has_bit_actions;           /* flowbits set / unset / toggle */
	uint8_t smode;                  /* enum detect_smode */
	/* bits an `isset` (not `a|b`) requires: a rule whose flow lacks one
	 * cannot match, which detect_packet tests in a few word operations
	 * before anything else (most flowbits rules carry no fast pattern) */
	uint64_t need_bits[FLOW_BITS_WORDS];
};

/* How a packet rule meets TCP streams (see detect_stream_begin). */
enum detect_smode {
	DETECT_SM_PACKET = 0,   /* packets only: no payload options, anchored, no_stream */
	DETECT_SM_STREAM,       /* the stream where there is one, else the packet */
	DETECT_SM_STREAM_ONLY,  /* flow:only_stream */
};

/* Per-thread verification state (PCRE2 match data and contexts). */
struct detect_vctx {
	void *md;                       /* pcre2_match_data * */
	void *mctx;                     /* pcre2_match_context * with limits */
	int budget;                     /* backtracking steps left for a rule */
	uint8_t *xbuf;                  /* a transformed buffer (DETECT_XBUF_MAX) */
	/* when set, the payload buffers read these bytes (a stream window)
	 * instead of the packet's payload */
	const uint8_t *raw;
	uint32_t raw_len;
};

/* Largest buffer a transform is run on; a longer one fails the rule. */
#define DETECT_XBUF_MAX 65536

/* Check support and compile a rule; allocates dr's arrays. Returns
 * DETECT_OK, or why the rule is skipped (dr then holds nothing) with
 * *skip_kw (when given) naming the keyword at fault. */
enum detect_skip detect_rule_prepare(struct detect_rule *dr, const struct rule *r,
				     uint32_t *max_ovec, const char **skip_kw);
void detect_rule_release(struct detect_rule *dr);

int detect_vctx_init(struct detect_vctx *v, uint32_t max_ovec);
void detect_vctx_fini(struct detect_vctx *v);

/* The non-address part of a rule: flow keyword, header options, payload
 * chain. Addresses, ports and protocol are the caller's. An app rule's
 * buffers come from in (NULL at packet inspection: such a rule fails). */
bool detect_rule_verify(const struct detect_rule *dr, struct detect_vctx *v,
			const struct packet *p, const struct flow *f, enum flow_dir dir,
			const struct app_inspect *in);

/* HTTP request and response bodies (and file.data): inspected at their
 * own inspection points. */
bool detect_buffer_is_body(uint8_t b);

/* HTTP buffers only a request, or only a response, has (0: both, or not
 * HTTP). A rule with both kinds (or request buffers and flow:to_client)
 * runs at the response, whose points also carry their request's. */
#define DETECT_HTTP_REQ  1u
#define DETECT_HTTP_RESP 2u
uint8_t detect_http_buffer_side(uint8_t b);

/* Whether point in (direction dir) carries the body of its direction. */
bool detect_point_has_body(const struct app_inspect *in, enum flow_dir dir);

/* Whether app rule dr runs at inspection point in (direction dir, with a
 * body or not): each rule runs at one point per transaction and
 * direction, the one of its last stage. */
bool detect_app_stage(const struct detect_rule *dr, const struct app_inspect *in,
		      enum flow_dir dir, bool body);

/* Apply the rule's flowbits set / unset / toggle to f (NULL: nothing);
 * called once the whole rule has matched. */
void detect_rule_bits_apply(const struct detect_rule *dr, struct flow *f);

/* threshold / detection_filter (threshold.c): per-thread state. */
struct detect_thresh;

/* Whether the engine implements this filter (NONE: yes). */
bool detect_thresh_supported(const struct rule_threshold *t);
/* port_sets: some rule uses detection_filter unique_on (2 MiB more).
 * NULL: out of memory. */
struct detect_thresh *detect_thresh_new(bool port_sets);
void detect_thresh_free(struct detect_thresh *x);
/* Whether this match of r (on p, in flow f or NULL) may alert; counts
 * st->thresholded and st->thresh_evicted. NULL x: always. A track by_flow
 * filter without a flow: never. */
bool detect_thresh_allow(struct detect_thresh *x, struct detect_thread_stats *st,
			 const struct rule *r, const struct packet *p, const struct flow *f);

/* ---- Hyperscan database cache (hs_cache.c) ---------------------------------
 *
 * Compiled databases kept in a directory (config detect.hs-cache-dir), so a
 * restart or reload with an unchanged ruleset loads instead of compiling.
 * Files are DIR/<sha1 hex>.hsdb, written atomically (temp file, fsync,
 * rename); nothing is ever evicted, and any file there may be deleted at
 * any time. The directory must be writable only by trusted users: a
 * database loaded from it is run as it is. Startup code only.
 */

/* What the cache did, summed over calls; the caller logs failures. With a
 * cache directory every call counts one hit or one miss; load_errors (a
 * file there but unusable: truncated, corrupt, foreign, not loadable) are
 * also misses; stores and store_errors count the writes after a miss
 * that compiled. */
struct hs_cache_stats {
	uint64_t hits, misses, stores, store_errors, load_errors;
};

/*
 * hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL, db,
 * cerr), or the identical database loaded from dir. dir NULL or "": no
 * cache, just compile. dir is created (mode 0755) when missing. The key
 * hashes every expression's length and bytes, flags, ids, n, mode,
 * hs_version() and the host platform. Cache failures never fail the call:
 * they are counted in st (NULL: not counted). Returns the compile's result
 * (*cerr set as hs_compile_lit_multi sets it), or HS_SUCCESS on a hit.
 */
hs_error_t hs_cache_compile_lit(const char *dir, const char *const *exprs, const unsigned *flags,
				const unsigned *ids, const size_t *lens, unsigned n,
				hs_database_t **db, hs_compile_error_t **cerr,
				struct hs_cache_stats *st);

/* The same for regex databases: hs_compile_multi(exprs, flags, ids, n,
 * HS_MODE_BLOCK, NULL, db, cerr) with NUL-terminated expressions. */
hs_error_t hs_cache_compile_multi(const char *dir, const char *const *exprs,
				  const unsigned *flags, const unsigned *ids, unsigned n,
				  hs_database_t **db, hs_compile_error_t **cerr,
				  struct hs_cache_stats *st);

#endif
