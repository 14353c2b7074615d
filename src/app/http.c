/*
 * http: HTTP/1.x request and response parser (see http.h for what it
 * delivers and app.h for the contract).
 *
 * Each direction is a small state machine fed in-order bytes: the start
 * line and headers are gathered into the direction's header buffer until
 * the empty line that ends them (or header_limit, past which the parser
 * only looks for that empty line); the block is then parsed once, in
 * place: a table of header lines (offsets into the buffer, repeated names
 * chained, folded lines kept as one range) from which every derived buffer
 * is written into the shared scratch area at inspection time. Bodies are
 * framed by Transfer-Encoding: chunked, Content-Length, or the end of the
 * stream, and copied (de-chunked, inflated) into the direction's body
 * buffer up to its limit. Decisions only ever look at bytes, never at where
 * a call's data ends, so the callbacks do not depend on segmentation.
 *
 * zlib: inflate gets its memory from a per-layer arena inside the state
 * (custom zalloc, bump pointer reset when a body starts, zfree a no-op), so
 * decompression allocates nothing either. Which of gzip, zlib or raw
 * deflate a body is gets decided from its first two bytes (1f 8b, or a
 * valid zlib header), whatever the header says, as servers mislabel
 * deflate both ways; a "deflate" body with neither is tried as raw
 * deflate, a "gzip" one is kept as sent (event).
 */
#include <string.h>
#include <zlib.h>

#include "mamori/http.h"

#define ZARENA_SIZE (48 * 1024)         /* inflate state (~7 KiB) + 32 KiB window */
#define ZHEAD 64                        /* first input bytes a layer keeps */
#define CHUNK_LINE_MAX 1024
#define CHUNK_PREFIX 32                 /* chunk-size line bytes kept for a fallback */
#define PEND_RING 8                     /* requests remembered for their responses */
#define MAX_FOLDS 128                   /* continuation lines per header (libhtp-rs) */
#define DEFORMED_RUN_MAX 64             /* CR/SP/HT run of a deformed line end */
#define HEAD_WINDOW 4096                /* head bytes taken into hdr per step */
#define HEAD_NEED 0xffffffffu
#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

enum hstate {
	HS_HDR = 0,
	HS_BODY_CL,
	HS_CHUNK_SIZE,
	HS_CHUNK_DATA,
	HS_CHUNK_END,
	HS_TRAILER,
	HS_BODY_CLOSE,
	HS_CONNECT_WAIT,
	HS_DONE,                        /* tunnel, closed or failed: ignore */
};

/* Where the head parser is (see head_scan). */
enum hphase {
	PH_LINE = 0,                    /* the start line */
	PH_AT,                          /* a header or the end of the block at hp */
	PH_NAME,                        /* the name, up to its colon */
	PH_SEP,                         /* spaces after the colon */
	PH_PIECE,                       /* a value line, up to its line end */
	PH_TERM,                        /* how that line ends (fold or not) */
	PH_PEEK,                        /* response fold: "token:" or a value? */
};

/* Chunk-size line phases. */
enum { CL_CTL = 0, CL_HEX, CL_TAIL };

enum zmode { ZM_NEW = 0, ZM_GZHDR, ZM_RUN, ZM_END, ZM_PASS };
enum zfmt { ZF_GZIP = 1, ZF_ZLIB, ZF_RAW };
enum coding { CODING_GZIP = 1, CODING_DEFLATE };
enum { GZ_FIXED = 0, GZ_XLEN, GZ_EXTRA, GZ_NAME, GZ_COMMENT, GZ_HCRC, GZ_DONE };

struct hdr_ent {
	uint32_t name_off, val_off, val_end;
	uint16_t name_len;
	int16_t next_dup;               /* next line with the same name, -1 */
	bool dup;                       /* a later line of a repeated name */
	bool folded;                    /* value spans continuation lines */
};

struct zlayer {
	z_stream z;
	uint8_t *arena;
	uint32_t used;
	uint64_t zin;                   /* bytes given to this layer */
	uint64_t zfed;                  /* ... of which it has dealt with */
	uint64_t zout;                  /* bytes it inflated */
	uint8_t head[ZHEAD];            /* its first input, replayed on an early failure */
	uint8_t mode;                   /* enum zmode */
	uint8_t fmt;                    /* enum zfmt */
	uint8_t gzflags, gzst;          /* gzip header parse */
	uint16_t gzxlen;
	uint32_t gzn;
};

struct http_dir {
	uint8_t state;                  /* enum hstate */
	bool resp;                      /* the response direction */
	bool overflow;                  /* header block cut: seeking its end */
	bool skip_blank;                /* overflow: current line blank so far */
	bool parsed;                    /* header block parsed and inspected */
	bool has_start;                 /* a start line was parsed */
	bool http09;
	bool ev_lf, ev_fold, ev_junk, ev_many, ev_deformed; /* per message: each counts once */
	bool body_full;                 /* body inspected; keep nothing more */
	bool body_done;                 /* body complete */
	bool zstop;                     /* decompression cap reached */
	bool chunk_junk;                /* this chunk-size line had junk */
	uint8_t cphase;                 /* chunk-size line phase */
	uint8_t nlpre;
	uint8_t lpre[CHUNK_PREFIX];     /* the chunk-size line so far */
	uint8_t nlayers;
	uint8_t layer_coding[HTTP_MAX_LAYERS]; /* [0] is undone first */

	uint8_t *hdr;
	uint32_t hdr_len, line_start;
	uint32_t line_len;              /* start line without its line end */
	uint32_t hdrs_off, raw_end;     /* header lines [hdrs_off, raw_end) */
	/* start line parts, offsets into hdr */
	uint32_t a_off, a_len, b_off, b_len, c_off, c_len;
	uint16_t status;
	uint16_t nents;
	struct hdr_ent ents[HTTP_MAX_HEADERS];
	/* head parser, kept across calls (see head_scan) */
	uint8_t hph, hterm;
	bool hfirst, hsans, hfolded, hpiece0;
	uint16_t hnf;
	uint32_t hp, hk, hcolon, hvs, hpiece, hpe, hrest, hvend;
	uint32_t replay_off, replay_len; /* head bytes found to follow the head */

	uint8_t *body;
	uint32_t body_len, body_limit;
	uint64_t remain;                /* Content-Length or chunk bytes left */
	uint64_t body_seen;             /* de-chunked body bytes on the wire */
	uint64_t dout;                  /* inflated bytes kept */
	uint64_t chunk_size;
	uint32_t chunk_line, chunks, tline;
	uint64_t tx;
	struct app_meta meta;
};

struct pend {
	struct app_meta_http m;
	bool head, connect;
};

struct http_state {
	struct http_config cfg;
	struct http_dir d[2];
	struct zlayer z[HTTP_MAX_LAYERS];
	struct pend pend[PEND_RING];
	uint8_t *scratch;
	uint32_t scratch_cap;
	uint32_t held;                  /* CONNECT: request bytes held in d[0].body */
	bool held_cut;                  /* ... and some were dropped */
	/* The request whose line and headers d[0] still holds (until the
	 * next request's first byte), and whose body d[0].body holds: a
	 * response point of that transaction carries them too. */
	bool req_held;
	uint64_t req_tx, req_body_tx;
	struct app_slice req_bufs[12];  /* its req_only[] buffers, as emitted */
	app_inspect_fn cb;
	app_event_fn ev;
	void *arg;
	/* then the buffers, see http_state_init() */
};

static const char *const event_names[HTTP_EV_MAX] = {
	[HTTP_EV_HEADER_TOO_LONG] = "header_too_long",
	[HTTP_EV_TOO_MANY_HEADERS] = "too_many_headers",
	[HTTP_EV_INVALID_REQUEST_LINE] = "invalid_request_line",
	[HTTP_EV_INVALID_RESPONSE_LINE] = "invalid_response_line",
	[HTTP_EV_HTTP09_REQUEST] = "http09_request",
	[HTTP_EV_MISSING_CR] = "missing_cr",
	[HTTP_EV_HEADER_FOLDING] = "header_folding",
	[HTTP_EV_INVALID_HEADER] = "invalid_header",
	[HTTP_EV_INVALID_CONTENT_LENGTH] = "invalid_content_length",
	[HTTP_EV_CONFLICTING_CONTENT_LENGTH] = "conflicting_content_length",
	[HTTP_EV_CL_AND_CHUNKED] = "content_length_and_chunked",
	[HTTP_EV_INVALID_CHUNK] = "invalid_chunk",
	[HTTP_EV_CHUNK_AFTER_DATA] = "chunk_missing_line_end",
	[HTTP_EV_MANY_CHUNKS] = "many_chunks",
	[HTTP_EV_REQUEST_BODY_LIMIT] = "request_body_limit",
	[HTTP_EV_RESPONSE_BODY_LIMIT] = "response_body_limit",
	[HTTP_EV_DECOMPRESS_FAILED] = "decompress_failed",
	[HTTP_EV_DECOMPRESS_LIMIT] = "decompress_limit",
	[HTTP_EV_DECOMPRESS_LAYERS] = "decompress_layers",
	[HTTP_EV_UNKNOWN_ENCODING] = "unknown_encoding",
	[HTTP_EV_URI_INVALID_ENCODING] = "uri_invalid_encoding",
	[HTTP_EV_HOST_MISSING] = "host_missing",
	[HTTP_EV_TRUNCATED] = "truncated",
	[HTTP_EV_TUNNEL_DATA_CUT] = "tunnel_data_cut",
	[HTTP_EV_JUNK_LINE] = "response_junk_line",
	[HTTP_EV_CHUNK_JUNK] = "chunk_size_junk",
	[HTTP_EV_DEFORMED_EOL] = "deformed_line_end",
};

const char *http_event_name(unsigned ev)
{
	return ev < HTTP_EV_MAX ? event_names[ev] : NULL;
}

void http_config_default(struct http_config *c)
{
	c->header_limit = 16 * 1024;
	c->request_body_limit = 100 * 1024;
	c->response_body_limit = 100 * 1024;
	c->decompress_limit = 1024 * 1024;
	c->decompress_layers = 2;
}

const char *http_config_check(const struct http_config *c)
{
	if (c->header_limit < 64 || c->header_limit > (64u << 20))
		return "http: header limit must be between 64 bytes and 64 MiB";
	if (c->request_body_limit > (1u << 30) || c->response_body_limit > (1u << 30))
		return "http: body limits must be at most 1 GiB";
	if (c->decompress_layers > HTTP_MAX_LAYERS)
		return "http: at most 4 decompression layers";
	return NULL;
}

/* Derived buffers, for a block of L bytes and n <= HTTP_MAX_HEADERS lines:
 * a normalised header line is at most 2 bytes longer than its raw line
 * (": " and CR), a name list entry and a joined value no longer than the
 * line, the URI no longer than the start line. A request writes into the
 * scratch's tail (tail_size: 4L + 2n + 16) its URI, joined values, host
 * and http.start (L + 2n + 4), under 3L + 2n + 4; into the head its
 * http.header without cookies (L + 2n), names (L + 4) and other joined
 * values (L). A response writes only into the head: http.start, http.header,
 * names, values, under 4L + 4n + 8, so the tail still holds its request's
 * buffers, which its points hand out again. With n <= 128 the head
 * (8L + 1024 - tail) holds either. */
static size_t scratch_size(const struct http_config *c)
{
	return ALIGN16((size_t)c->header_limit * 8 + 1024);
}

size_t http_state_size(const struct http_config *c)
{
	if (http_config_check(c))
		return 0;
	return ALIGN16(sizeof(struct http_state)) + 2 * ALIGN16(c->header_limit) +
	       ALIGN16(c->request_body_limit) + ALIGN16(c->response_body_limit) +
	       scratch_size(c) + (size_t)c->decompress_layers * ZARENA_SIZE;
}

void http_state_init(struct http_state *s, const struct http_config *c)
{
	uint8_t *m = (uint8_t *)s + ALIGN16(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->cfg = *c;
	for (int i = 0; i < 2; i++) {
		s->d[i].hdr = m;
		m += ALIGN16(c->header_limit);
	}
	s->d[1].resp = true;
	s->d[0].body = m;
	s->d[0].body_limit = c->request_body_limit;
	m += ALIGN16(c->request_body_limit);
	s->d[1].body = m;
	s->d[1].body_limit = c->response_body_limit;
	m += ALIGN16(c->response_body_limit);
	s->scratch = m;
	s->scratch_cap = (uint32_t)scratch_size(c);
	m += scratch_size(c);
	for (int i = 0; i < c->decompress_layers; i++) {
		s->z[i].arena = m;
		m += ZARENA_SIZE;
	}
}

static void zlayers_end(struct http_state *s)
{
	for (int i = 0; i < HTTP_MAX_LAYERS; i++) {
		struct zlayer *l = &s->z[i];

		if (l->mode == ZM_RUN || l->mode == ZM_END)
			inflateEnd(&l->z);
		l->mode = ZM_NEW;
		l->zin = l->zfed = l->zout = 0;
	}
}

void http_state_fini(struct http_state *s)
{
	zlayers_end(s);
}

bool http_done(const struct http_state *s, int dir)
{
	return s->d[dir & 1].state == HS_DONE;
}

/* ---- small helpers ------------------------------------------------------ */

static void event(struct http_state *s, unsigned e)
{
	if (s->ev)
		s->ev(s->arg, e);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool lws(int c)
{
	return c == ' ' || c == '\t';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool eq_nocase(const uint8_t *a, uint32_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen != blen)
		return false;
	for (uint32_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower((uint8_t)b[i]))
			return false;
	return true;
}

/* Whether b occurs in a, case and NULs in a ignored (libhtp-rs
 * index_of_nocase_nozero). */
static bool contains_nocase_nozero(const uint8_t *a, uint32_t alen, const char *b)
{
	size_t blen = strlen(b);

	for (uint32_t i = 0; i < alen; i++) {
		uint32_t j = i;
		size_t k = 0;

		if (a[i] == 0)
			continue;
		while (k < blen && j < alen) {
			if (a[j] == 0) {
				j++;
				continue;
			}
			if (lower(a[j]) != (uint8_t)b[k])
				break;
			j++;
			k++;
		}
		if (k == blen)
			return true;
	}
	return false;
}

/* a equals b, case and NULs in a ignored (libhtp-rs cmp_nocase_nozero). */
static bool eq_nocase_nozero(const uint8_t *a, uint32_t alen, const char *b)
{
	uint32_t i = 0;

	for (; *b; b++, i++) {
		while (i < alen && a[i] == 0)
			i++;
		if (i >= alen || lower(a[i]) != lower((uint8_t)*b))
			return false;
	}
	while (i < alen && a[i] == 0)
		i++;
	return i == alen;
}

/* libhtp's whitespace: SP HT LF VT FF CR. */
static bool is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* An RFC 7230 token character. */
static bool is_token(int c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

static void cstr(char *dst, size_t cap, const uint8_t *p, uint32_t n)
{
	if (n >= cap)
		n = (uint32_t)cap - 1;
	memcpy(dst, p, n);
	dst[n] = 0;
}

/* A bounded writer over the scratch area: what does not fit is cut. */
struct wbuf {
	uint8_t *p;
	uint32_t len, cap;
};

static void put(struct wbuf *w, const void *p, uint32_t n)
{
	if (n > w->cap - w->len)
		n = w->cap - w->len;
	memcpy(w->p + w->len, p, n);
	w->len += n;
}

static void putc_(struct wbuf *w, uint8_t c)
{
	if (w->len < w->cap)
		w->p[w->len++] = c;
}

/* ---- headers ------------------------------------------------------------ */

/* The regular line end at i (libhtp-rs): "\r\n" or "\n", in responses
 * also "\n\r" and a bare "\r". Its length, 0 for none, HEAD_NEED when
 * the next byte decides (fin: there is none). */
static uint32_t eol_at(const uint8_t *h, uint32_t i, uint32_t end, bool resp, bool fin)
{
	if (i >= end)
		return fin ? 0 : HEAD_NEED;
	if (h[i] == '\r') {
		if (i + 1 >= end)
			return fin ? (resp ? 1 : 0) : HEAD_NEED;
		return h[i + 1] == '\n' ? 2 : resp ? 1 : 0;
	}
	if (h[i] != '\n')
		return 0;
	if (!resp)
		return 1;
	if (i + 1 >= end)
		return fin ? 1 : HEAD_NEED;
	return h[i + 1] == '\r' ? 2 : 1;
}

/* Write the value of one header, unfolded as libhtp-rs joins it: the
 * line ends dropped, each continuation's fold character kept as the
 * joiner unless nothing came before it, then trimmed. */
static void put_value(struct wbuf *w, const struct http_dir *d, const struct hdr_ent *e)
{
	const uint8_t *h = d->hdr;
	uint32_t at = w->len, k;

	if (!e->folded) {
		put(w, h + e->val_off, e->val_end - e->val_off);
		return;
	}
	for (uint32_t i = e->val_off; i < e->val_end;) {
		uint32_t l = eol_at(h, i, e->val_end, d->resp, true);

		if (l) {
			i += l;
			if (i < e->val_end && w->len == at)
				i++;
			continue;
		}
		putc_(w, h[i++]);
	}
	while (w->len > at && is_space(w->p[w->len - 1]))
		w->len--;
	for (k = at; k < w->len && is_space(w->p[k]); k++)
		;
	memmove(w->p + at, w->p + k, w->len - k);
	w->len -= k - at;
}

/* All values of a name, joined with ", " as libhtp joins repeated headers. */
static void put_values(struct wbuf *w, const struct http_dir *d, int i)
{
	for (bool first = true; i >= 0; i = d->ents[i].next_dup, first = false) {
		if (!first)
			put(w, ", ", 2);
		put_value(w, d, &d->ents[i]);
	}
}

/* The first header of that name, NULs in names ignored (as libhtp-rs
 * looks headers up); -1 when absent. */
static int find_hdr(const struct http_dir *d, const char *name)
{
	uint32_t n = (uint32_t)strlen(name);

	for (int i = 0; i < d->nents; i++) {
		const struct hdr_ent *e = &d->ents[i];
		const uint8_t *p = d->hdr + e->name_off;

		if (e->dup || e->name_len < n)
			continue;
		if (e->name_len == n ? eq_nocase(p, n, name) :
		    memchr(p, 0, e->name_len) && eq_nocase_nozero(p, e->name_len, name))
			return i;
	}
	return -1;
}

/* The value of a header as a slice: straight into the header block when it
 * is one unfolded line, else written out. */
static struct app_slice hdr_slice(struct wbuf *w, const struct http_dir *d, const char *name)
{
	struct app_slice sl = { NULL, 0 };
	int i = find_hdr(d, name);

	if (i < 0)
		return sl;
	if (d->ents[i].next_dup < 0 && !d->ents[i].folded) {
		sl.p = d->hdr + d->ents[i].val_off;
		sl.len = d->ents[i].val_end - d->ents[i].val_off;
		return sl;
	}
	uint32_t at = w->len;

	put_values(w, d, i);
	sl.p = w->p + at;
	sl.len = w->len - at;
	return sl;
}

/* "Name: value\r\n" per distinct name; skip_cookie drops the cookie header. */
static void put_headers(struct wbuf *w, const struct http_dir *d, const char *skip_cookie)
{
	for (int i = 0; i < d->nents; i++) {
		const struct hdr_ent *e = &d->ents[i];

		if (e->dup)
			continue;
		if (skip_cookie && eq_nocase(d->hdr + e->name_off, e->name_len, skip_cookie))
			continue;
		put(w, d->hdr + e->name_off, e->name_len);
		put(w, ": ", 2);
		put_values(w, d, i);
		put(w, "\r\n", 2);
	}
}

/* ---- the head: start line and header block ----------------------------- */

/*
 * The header block is parsed as it arrives, the way libhtp-rs (Suricata
 * 8) reads it, so that framing headers mean to mamori what they mean to
 * Suricata:
 *  - line ends are eol_at()'s; a value line may also end in a deformed
 *    one (deformed_at());
 *  - a line end then a space, tab or NUL continues the value (a fold),
 *    except that in a response a continuation reading "token:" starts a
 *    new header;
 *  - a name runs to the first colon, across line ends followed by a
 *    space ("Name\r\n :value"); a line without one is an invalid header;
 *  - names and values are trimmed of SP HT CR LF VT FF;
 *  - the block ends at a line end right after a header's, or at a
 *    continuation line that is blank and ends in one byte.
 * Deciding a line end takes a look at the bytes after it; the parser
 * keeps where it stopped (d->hph and friends), so a call only looks again
 * at the bytes of the line being decided.
 */

/* A deformed line end at i ending a value (libhtp-rs): "\n\r\r\n" before
 * "\n" or "\r\n"; in responses also "\r\n\r", a run of CR/SP/HT, an
 * optional LF, not before a line end; in requests also "\n\r" before
 * "\r\n". Its length, 0, or HEAD_NEED. */
static uint32_t deformed_at(const uint8_t *h, uint32_t i, uint32_t end, bool resp, bool fin)
{
	const uint32_t more = fin ? 0 : HEAD_NEED;      /* a byte that is not there */
	uint32_t j;

	if (h[i] == '\n') {
		for (j = 1; j < 4; j++) {
			if (i + j >= end)
				return more;
			if (h[i + j] != "\n\r\r\n"[j])
				return 0;
		}
		if (i + 4 >= end)
			return fin && !resp ? 2 : more;
		if (h[i + 4] == '\n')
			return 4;
		if (h[i + 4] == '\r') {
			if (i + 5 >= end)
				return fin && !resp ? 2 : more;
			if (h[i + 5] == '\n')
				return 4;
		}
		return resp ? 0 : 2;    /* request: "\n\r" before "\r\n" */
	}
	if (!resp || h[i] != '\r')
		return 0;
	for (j = 1; j < 3; j++) {
		if (i + j >= end)
			return more;
		if (h[i + j] != "\r\n\r"[j])
			return 0;
	}
	for (j = i + 3; j < end && (h[j] == '\r' || h[j] == ' ' || h[j] == '\t'); j++)
		if (j - i > DEFORMED_RUN_MAX)
			return 0;
	if (j == end)
		return more;
	if (j == i + 3)
		return 0;
	if (h[j] == '\n')
		j++;
	if (j == end)
		return fin ? j - i : HEAD_NEED;
	if (h[j] == '\n')
		return 0;
	if (h[j] == '\r') {
		if (j + 1 == end)
			return fin ? j - i : HEAD_NEED;
		if (h[j + 1] == '\n')
			return 0;
	}
	return j - i;
}

static bool fold_char(int c)
{
	return c == ' ' || c == '\t' || c == 0;
}

/* Count a line end that is not "\r\n" (once a message). */
static void note_eol(struct http_state *s, struct http_dir *d, const uint8_t *p, uint32_t l)
{
	if (!d->ev_lf && !(l == 2 && p[0] == '\r' && p[1] == '\n')) {
		d->ev_lf = true;
		event(s, HTTP_EV_MISSING_CR);
	}
}

/* How the value line ending at e ends: *len the line end, *fold whether a
 * fold character follows. false: more bytes needed. */
static bool value_term(struct http_state *s, struct http_dir *d, uint32_t e, bool fin,
		       uint32_t *len, bool *fold)
{
	const uint8_t *h = d->hdr;
	uint32_t end = d->hdr_len, l, m = 0;

	*fold = false;
	if (!d->resp) {
		/* a request folds over any line end, deformed ones first */
		m = deformed_at(h, e, end, false, fin);
		if (m == HEAD_NEED)
			return false;
	}
	l = eol_at(h, e, end, d->resp, fin);
	if (l == HEAD_NEED)
		return false;
	if (!m) {
		if (e + l >= end) {
			if (!fin)
				return false;
		} else if (fold_char(h[e + l])) {
			*fold = true;
		} else if (d->resp) {
			m = deformed_at(h, e, end, true, fin);
			if (m == HEAD_NEED || (m && e + m >= end && !fin))
				return false;
			if (m && e + m < end && fold_char(h[e + m]))
				m = 0;
		}
	}
	if (m) {
		l = m;
		if (!d->ev_deformed) {
			d->ev_deformed = true;
			event(s, HTTP_EV_DEFORMED_EOL);
		}
	}
	*len = l;
	note_eol(s, d, h + e, l);
	return true;
}

/* The header just parsed, into d->ents. */
static void head_add(struct http_state *s, struct http_dir *d)
{
	const uint8_t *h = d->hdr;
	uint32_t ns = d->hp, ne = d->hcolon, vs = d->hvs, ve = d->hvend;
	struct hdr_ent *e;

	if (d->hfolded && !d->ev_fold) {
		d->ev_fold = true;
		event(s, HTTP_EV_HEADER_FOLDING);
	}
	if (d->hsans) {
		event(s, HTTP_EV_INVALID_HEADER);
		return;
	}
	while (ns < ne && is_space(h[ns]))
		ns++;
	while (ne > ns && is_space(h[ne - 1]))
		ne--;
	if (ne == ns || ne - ns > UINT16_MAX) {
		event(s, HTTP_EV_INVALID_HEADER);
		return;
	}
	if (d->nents >= HTTP_MAX_HEADERS) {
		if (!d->ev_many) {
			d->ev_many = true;
			event(s, HTTP_EV_TOO_MANY_HEADERS);
		}
		return;
	}
	if (!d->hfolded) {
		while (vs < ve && is_space(h[vs]))
			vs++;
		while (ve > vs && is_space(h[ve - 1]))
			ve--;
	}
	e = &d->ents[d->nents++];
	e->name_off = ns;
	e->name_len = (uint16_t)(ne - ns);
	e->val_off = vs;
	e->val_end = ve;
	e->next_dup = -1;
	e->dup = false;
	e->folded = d->hfolded;
}

/* Advance the header block parse over hdr[0, hdr_len). Returns the end of
 * the block (after its empty line), or HEAD_NEED. fin: no more bytes will come (look-aheads resolve, an
 * unfinished line is dropped). */
static uint32_t head_scan(struct http_state *s, struct http_dir *d, bool fin)
{
	const uint8_t *h = d->hdr;
	uint32_t end = d->hdr_len, l;
	bool resp = d->resp, fold;

	for (;;) {
		switch (d->hph) {
		case PH_AT:
			/* the empty line: an LF is one without waiting for a CR
			 * after it (a response ending in LF LF has no next byte) */
			if (d->hp < end && h[d->hp] == '\n')
				l = 1;
			else
				l = eol_at(h, d->hp, end, resp, fin);
			if (l == HEAD_NEED)
				goto need_any;
			/* a lone CR opening a response block is an empty header */
			if (l && !(d->hfirst && l == 1 && h[d->hp] == '\r')) {
				note_eol(s, d, h + d->hp, l);
				return d->hp + l;
			}
			if (d->hp >= end)
				return HEAD_NEED;
			d->hfirst = false;
			d->hk = d->hp;
			d->hterm = 0;
			d->hnf = 0;
			d->hsans = d->hfolded = false;
			d->hph = PH_NAME;
			/* fallthrough */
		case PH_NAME:
			for (; d->hk < end; d->hk++) {
				uint8_t c = h[d->hk];

				if (!d->hterm) {
					if (c == ':')
						break;
					if (c == '\n' || (resp && c == '\r'))
						d->hterm = c;
				} else if (c == ' ' && d->hnf < MAX_FOLDS) {
					d->hterm = 0;   /* the name goes on */
					d->hnf++;
				} else if (c == '\n' && d->hterm == '\r') {
					d->hterm = '\n';
				} else {
					d->hsans = true;
					break;
				}
			}
			if (d->hk >= end)
				return HEAD_NEED;
			d->hnf = 0;
			if (d->hsans) {
				/* no colon: the line is a value of its own */
				d->hk = d->hpiece = d->hvs = d->hp;
				d->hpiece0 = true;
				d->hph = PH_PIECE;
				continue;
			}
			d->hcolon = d->hk++;
			d->hph = PH_SEP;
			/* fallthrough */
		case PH_SEP:
			while (d->hk < end && (h[d->hk] == ' ' || h[d->hk] == '\t'))
				d->hk++;
			if (d->hk >= end)
				return HEAD_NEED;
			d->hvs = d->hpiece = d->hk;
			d->hpiece0 = true;
			d->hph = PH_PIECE;
			/* fallthrough */
		case PH_PIECE: {
			const uint8_t *lf = memchr(h + d->hk, '\n', end - d->hk);
			uint32_t e = lf ? (uint32_t)(lf - h) : end;

			if (resp && (lf = memchr(h + d->hk, '\r', e - d->hk)))
				e = (uint32_t)(lf - h);
			if (e >= end) {
				d->hk = end;
				return HEAD_NEED;
			}
			/* a request line keeps CRs but the one before its LF */
			if (!resp && e > d->hpiece && h[e - 1] == '\r')
				e--;
			d->hpe = e;
			d->hph = PH_TERM;
		}
			/* fallthrough */
		case PH_TERM: {
			uint32_t rest;

			if (!value_term(s, d, d->hpe, fin, &l, &fold))
				goto need_any;
			rest = d->hpe + l + fold;
			if (d->hpiece0) {
				d->hpiece0 = false;
				d->hvend = d->hpe;
				d->hrest = rest;
			} else {
				bool empty = d->hpe == d->hpiece;

				if (!empty || l > 1) {
					d->hrest = rest;
					d->hvend = d->hpe;
					d->hfolded = true;
				} else if (rest >= end && !fin) {
					goto need_any;
				} else if (rest < end && h[rest] == '\n') {
					d->hrest = rest;
				}
				/* else: a blank continuation ending in one byte; its
				 * line end may end the block */
				if (++d->hnf >= MAX_FOLDS)
					fold = false;
			}
			if (fold) {
				d->hk = d->hpiece = rest;
				d->hterm = 0;
				d->hph = resp ? PH_PEEK : PH_PIECE;
				continue;
			}
			head_add(s, d);
			d->hp = d->hrest;
			d->hph = PH_AT;
			continue;
		}
		case PH_PEEK: {
			/* libhtp-rs: a response continuation "  Name:" is a header.
			 * hterm: 0 blanks before the token, 1 in it, 2 blanks
			 * after it; it can decide before the line ends */
			uint32_t k = d->hk;

			for (; k < end; k++) {
				uint8_t c = h[k];

				if (c == ' ' || c == '\t') {
					if (d->hterm == 1)
						d->hterm = 2;
				} else if (d->hterm < 2 && is_token(c)) {
					d->hterm = 1;
				} else {
					break;
				}
			}
			if (k >= end && !fin) {
				d->hk = k;
				goto need_any;
			}
			if (k < end && d->hterm && h[k] == ':') {
				head_add(s, d);
				d->hp = d->hpiece;
				d->hph = PH_AT;
				continue;
			}
			d->hk = d->hpiece;
			d->hph = PH_PIECE;
			continue;
		}
		default:
			return HEAD_NEED;
		}
	}
need_any:
	return HEAD_NEED;
}

/* The block is complete (or cut): chain repeated names, as libhtp joins
 * them. */
static void head_finish(struct http_dir *d)
{
	const uint8_t *h = d->hdr;

	for (int i = 0; i < d->nents; i++) {
		struct hdr_ent *e = &d->ents[i];

		for (int j = 0; j < i; j++) {
			struct hdr_ent *f = &d->ents[j];

			if (f->dup || f->name_len != e->name_len)
				continue;
			uint32_t k;

			for (k = 0; k < e->name_len; k++)
				if (lower(h[f->name_off + k]) != lower(h[e->name_off + k]))
					break;
			if (k < e->name_len)
				continue;
			while (f->next_dup >= 0)
				f = &d->ents[f->next_dup];
			f->next_dup = (int16_t)i;
			e->dup = true;
			break;
		}
	}
}

/* ---- URI normalisation -------------------------------------------------- */

/* Remove "." and ".." segments in place (RFC 3986 5.2.4); returns the new
 * length. The output never overtakes the input. */
static uint32_t remove_dots(uint8_t *b, uint32_t n)
{
	uint32_t i = 0, o = 0;

#define AT(str) (n - i >= sizeof(str) - 1 && memcmp(b + i, str, sizeof(str) - 1) == 0)
	while (i < n) {
		if (AT("../")) {
			i += 3;
		} else if (AT("./")) {
			i += 2;
		} else if (AT("/./")) {
			i += 2;
		} else if (n - i == 2 && AT("/.")) {
			i += 1;
			b[i] = '/';
		} else if (AT("/../")) {
			i += 3;
			while (o > 0 && b[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n - i == 3 && AT("/..")) {
			i += 2;
			b[i] = '/';
			while (o > 0 && b[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if ((n - i == 1 && b[i] == '.') || (n - i == 2 && AT(".."))) {
			i = n;
		} else {
			do
				b[o++] = b[i++];
			while (i < n && b[i] != '/');
		}
	}
#undef AT
	return o;
}

/* Decode a path into w: %XX (separators too), %uHHHH (fullwidth forms
 * U+FF01-FF5E best-fit to ASCII, other code points above 0xff to '?', as
 * libhtp's best-fit replacement), backslash to slash, runs of slashes to
 * one; then remove dot segments. */
static void put_path(struct http_state *s, struct wbuf *w, const uint8_t *p, uint32_t n)
{
	uint32_t start = w->len;
	bool bad = false;

	for (uint32_t i = 0; i < n;) {
		uint8_t c = p[i];

		if (c == '%') {
			if (i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
				c = (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
				i += 3;
			} else if (i + 5 < n && lower(p[i + 1]) == 'u' &&
				   hexval(p[i + 2]) >= 0 && hexval(p[i + 3]) >= 0 &&
				   hexval(p[i + 4]) >= 0 && hexval(p[i + 5]) >= 0) {
				unsigned v = (unsigned)(hexval(p[i + 2]) << 12 | hexval(p[i + 3]) << 8 |
							hexval(p[i + 4]) << 4 | hexval(p[i + 5]));

				if (v < 0x100)
					c = (uint8_t)v;
				else if (v >= 0xff01 && v <= 0xff5e)
					c = (uint8_t)(v - 0xff01 + 0x21);
				else
					c = '?';
				i += 6;
			} else {
				bad = true;
				i++;
			}
		} else {
			i++;
		}
		if (c == '\\')
			c = '/';
		if (c == '/' && w->len > start && w->p[w->len - 1] == '/')
			continue;
		putc_(w, c);
	}
	if (bad)
		event(s, HTTP_EV_URI_INVALID_ENCODING);
	w->len = start + remove_dots(w->p + start, w->len - start);
}

static void put_uri(struct http_state *s, struct wbuf *w, const struct http_dir *d)
{
	const uint8_t *u = d->hdr + d->b_off;
	uint32_t n = d->b_len, i = 0;

	if (eq_nocase(d->hdr + d->a_off, d->a_len, "CONNECT") || (n == 1 && u[0] == '*')) {
		put(w, u, n);
		return;
	}
	/* absolute form: scheme "://" authority, the authority lowercased */
	for (uint32_t k = 0; k < n && u[k] != '/' && u[k] != '?' && u[k] != '#'; k++) {
		if (u[k] == ':' && n - k >= 3 && u[k + 1] == '/' && u[k + 2] == '/') {
			put(w, u, k + 3);
			for (i = k + 3; i < n && u[i] != '/' && u[i] != '?' && u[i] != '#'; i++)
				putc_(w, (uint8_t)lower(u[i]));
			break;
		}
	}
	uint32_t pe = i;

	while (pe < n && u[pe] != '?' && u[pe] != '#')
		pe++;
	put_path(s, w, u + i, pe - i);
	put(w, u + pe, n - pe);
}

/* Host: lowercase, port and trailing dots stripped. */
static void put_host(struct wbuf *w, const uint8_t *h, uint32_t n)
{
	uint32_t e = n;

	if (n > 0 && h[0] == '[') {
		const uint8_t *rb = memchr(h, ']', n);

		if (rb)
			e = (uint32_t)(rb - h) + 1;
	} else {
		const uint8_t *colon = memchr(h, ':', n);

		if (colon)
			e = (uint32_t)(colon - h);
	}
	while (e > 0 && h[e - 1] == '.')
		e--;
	for (uint32_t i = 0; i < e; i++)
		putc_(w, (uint8_t)lower(h[i]));
}

/* The authority of an absolute URI, or NULL. */
static const uint8_t *uri_authority(const struct http_dir *d, uint32_t *len)
{
	const uint8_t *u = d->hdr + d->b_off;
	uint32_t n = d->b_len;

	for (uint32_t k = 0; k + 2 < n && u[k] != '/' && u[k] != '?'; k++) {
		if (u[k] == ':' && u[k + 1] == '/' && u[k + 2] == '/') {
			uint32_t a = k + 3, e = a;

			while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#')
				e++;
			/* drop userinfo */
			for (uint32_t j = a; j < e; j++)
				if (u[j] == '@')
					a = j + 1;
			*len = e - a;
			return u + a;
		}
	}
	return NULL;
}

/* ---- inspection --------------------------------------------------------- */

static struct app_slice slice(const uint8_t *p, uint32_t n)
{
	return (struct app_slice){ p, n };
}

/* The buffers only a request has, which its response points carry too. */
static const uint8_t req_only[] = {
	RULE_BUF_HTTP_REQUEST_LINE, RULE_BUF_HTTP_METHOD, RULE_BUF_HTTP_URI_RAW,
	RULE_BUF_HTTP_URI, RULE_BUF_HTTP_USER_AGENT, RULE_BUF_HTTP_REFERER,
	RULE_BUF_HTTP_ACCEPT, RULE_BUF_HTTP_ACCEPT_LANG, RULE_BUF_HTTP_ACCEPT_ENC,
	RULE_BUF_HTTP_HOST_RAW, RULE_BUF_HTTP_HOST, RULE_BUF_HTTP_REQUEST_HEADER,
};
#define REQ_ONLY (sizeof(req_only) / sizeof(req_only[0]))
_Static_assert(REQ_ONLY == sizeof(((struct http_state *)0)->req_bufs) / sizeof(struct app_slice),
	       "req_bufs holds req_only");

/* The start line and headers: http.start (the header part is also
 * http.request_header / http.response_header), into w. */
static void start_bufs(struct wbuf *w, struct app_inspect *in, const struct http_dir *d,
		       int dir, uint32_t *hs, uint32_t *he)
{
	uint32_t at = w->len;

	put(w, d->hdr, d->line_len);
	put(w, "\r\n", 2);
	*hs = w->len;
	put_headers(w, d, NULL);
	*he = w->len;
	if (*he > *hs)
		in->buf[dir == 0 ? RULE_BUF_HTTP_REQUEST_HEADER : RULE_BUF_HTTP_RESPONSE_HEADER] =
			slice(w->p + *hs, *he - *hs);
	put(w, "\r\n", 2);
	in->buf[RULE_BUF_HTTP_START] = slice(w->p + at, w->len - at);
}

/* The request-only buffers but http.request_header, into w. */
static void request_only_bufs(struct http_state *s, struct wbuf *w, struct app_inspect *in,
			      const struct http_dir *d)
{
	const uint8_t *h = d->hdr;
	uint32_t at;

	in->buf[RULE_BUF_HTTP_REQUEST_LINE] = slice(h, d->line_len);
	in->buf[RULE_BUF_HTTP_METHOD] = slice(h + d->a_off, d->a_len);
	in->buf[RULE_BUF_HTTP_URI_RAW] = slice(h + d->b_off, d->b_len);
	at = w->len;
	put_uri(s, w, d);
	in->buf[RULE_BUF_HTTP_URI] = slice(w->p + at, w->len - at);
	if (d->http09)
		return;

	struct app_slice host = hdr_slice(w, d, "host");
	uint32_t alen = 0;
	const uint8_t *auth = uri_authority(d, &alen);

	in->buf[RULE_BUF_HTTP_USER_AGENT] = hdr_slice(w, d, "user-agent");
	in->buf[RULE_BUF_HTTP_REFERER] = hdr_slice(w, d, "referer");
	in->buf[RULE_BUF_HTTP_ACCEPT] = hdr_slice(w, d, "accept");
	in->buf[RULE_BUF_HTTP_ACCEPT_LANG] = hdr_slice(w, d, "accept-language");
	in->buf[RULE_BUF_HTTP_ACCEPT_ENC] = hdr_slice(w, d, "accept-encoding");
	if (!host.p && auth)
		host = slice(auth, alen);
	if (host.p) {
		in->buf[RULE_BUF_HTTP_HOST_RAW] = host;
		at = w->len;
		if (auth)
			put_host(w, auth, alen);
		else
			put_host(w, host.p, host.len);
		in->buf[RULE_BUF_HTTP_HOST] = slice(w->p + at, w->len - at);
	}
}

/* Where a request's derived buffers are written: the scratch's tail,
 * which response points leave alone, so they can hand them out again
 * without deriving them (see scratch_size). */
static uint32_t tail_size(const struct http_state *s)
{
	return (uint32_t)ALIGN16((size_t)s->cfg.header_limit * 4 + 2 * HTTP_MAX_HEADERS + 16);
}

static void emit(struct http_state *s, int dir, bool with_body)
{
	struct http_dir *d = &s->d[dir];
	struct app_inspect in;
	uint32_t tail = tail_size(s);
	struct wbuf w = { s->scratch, 0, s->scratch_cap - tail };
	struct wbuf wt = { s->scratch + s->scratch_cap - tail, 0, tail };
	const uint8_t *h = d->hdr;
	uint32_t at, hs = 0, he = 0;

	if (!s->cb)
		return;
	memset(&in, 0, sizeof(in));
	in.proto = APP_PROTO_HTTP;
	in.dir = (uint8_t)dir;
	in.tx_id = d->tx;
	/* bytes on the wire when the body is complete; bytes kept when a
	 * limit cut it (what was on the wire then depends on segmentation) */
	if (dir == 1)
		d->meta.u.http.length = !with_body ? 0 : d->body_done ? d->body_seen : d->body_len;
	in.meta = &d->meta;

	if (d->has_start) {
		if (dir == 0) {
			request_only_bufs(s, &wt, &in, d);
			if (d->c_len)
				in.buf[RULE_BUF_HTTP_PROTOCOL] = slice(h + d->c_off, d->c_len);
		} else {
			in.buf[RULE_BUF_HTTP_RESPONSE_LINE] = slice(h, d->line_len);
			in.buf[RULE_BUF_HTTP_PROTOCOL] = slice(h + d->a_off, d->a_len);
			in.buf[RULE_BUF_HTTP_STAT_CODE] = slice(h + d->b_off, d->b_len);
			in.buf[RULE_BUF_HTTP_STAT_MSG] = slice(h + d->c_off, d->c_len);
		}
	}
	if (d->has_start && !d->http09) {
		const char *cookie = dir == 0 ? "cookie" : "set-cookie";

		in.buf[RULE_BUF_HTTP_HEADER_RAW] = slice(h + d->hdrs_off, d->raw_end - d->hdrs_off);
		/* a request's start block goes to the tail with the rest of
		 * what its response points reuse */
		start_bufs(dir == 0 ? &wt : &w, &in, d, dir, &hs, &he);
		if (find_hdr(d, cookie) < 0) {
			if (he > hs)
				in.buf[RULE_BUF_HTTP_HEADER] =
					slice((dir == 0 ? wt.p : w.p) + hs, he - hs);
		} else {
			at = w.len;
			put_headers(&w, d, cookie);
			if (w.len > at)
				in.buf[RULE_BUF_HTTP_HEADER] = slice(w.p + at, w.len - at);
		}
		if (d->nents) {
			at = w.len;
			put(&w, "\r\n", 2);
			for (int i = 0; i < d->nents; i++) {
				if (d->ents[i].dup)
					continue;
				put(&w, h + d->ents[i].name_off, d->ents[i].name_len);
				put(&w, "\r\n", 2);
			}
			put(&w, "\r\n", 2);
			in.buf[RULE_BUF_HTTP_HEADER_NAMES] = slice(w.p + at, w.len - at);
		}
		in.buf[RULE_BUF_HTTP_COOKIE] = hdr_slice(&w, d, cookie);
		in.buf[RULE_BUF_HTTP_CONTENT_TYPE] = hdr_slice(&w, d, "content-type");
		in.buf[RULE_BUF_HTTP_CONTENT_LEN] = hdr_slice(&w, d, "content-length");
		in.buf[RULE_BUF_HTTP_CONNECTION] = hdr_slice(&w, d, "connection");
		if (dir == 1) {
			in.buf[RULE_BUF_HTTP_SERVER] = hdr_slice(&w, d, "server");
			in.buf[RULE_BUF_HTTP_LOCATION] = hdr_slice(&w, d, "location");
		}
	}
	if (dir == 0 && s->req_held && s->req_tx == d->tx) {
		/* kept for the response: slices into the header block and
		 * the tail, both unchanged until the next request starts (a
		 * body point of this one writes the same bytes again) */
		for (unsigned k = 0; k < REQ_ONLY; k++)
			s->req_bufs[k] = in.buf[req_only[k]];
	} else if (dir == 1 && s->req_held && s->req_tx == d->tx) {
		const struct http_dir *q = &s->d[0];

		for (unsigned k = 0; k < REQ_ONLY; k++)
			in.buf[req_only[k]] = s->req_bufs[k];
		/* its body, as far as it got (CONNECT_WAIT reuses the buffer) */
		if (s->req_body_tx == d->tx && q->body_len && q->state != HS_CONNECT_WAIT)
			in.buf[RULE_BUF_HTTP_REQUEST_BODY] = slice(q->body, q->body_len);
	}
	if (with_body) {
		struct app_slice b = slice(d->body, d->body_len);

		if (dir == 0) {
			in.buf[RULE_BUF_HTTP_REQUEST_BODY] = b;
		} else {
			in.buf[RULE_BUF_HTTP_RESPONSE_BODY] = b;
			in.buf[RULE_BUF_FILE_DATA] = b;
		}
	}
	s->cb(s->arg, &in);
}

/* ---- bodies ------------------------------------------------------------- */

static void store(struct http_state *s, int dir, const uint8_t *p, uint32_t n)
{
	struct http_dir *d = &s->d[dir];
	uint32_t room = d->body_limit - d->body_len;

	if (d->body_full || n == 0)
		return;
	if (n > room) {
		/* memmove: a CONNECT replay reads from this buffer */
		memmove(d->body + d->body_len, p, room);
		d->body_len += room;
		d->body_full = true;
		if (d->body_limit == 0)
			return;         /* limit 0: bodies are not inspected */
		event(s, dir == 0 ? HTTP_EV_REQUEST_BODY_LIMIT : HTTP_EV_RESPONSE_BODY_LIMIT);
		emit(s, dir, true);
		return;
	}
	memmove(d->body + d->body_len, p, n);
	d->body_len += n;
}

/* Inflated output (or the body itself when nothing is encoded). */
static void store_out(struct http_state *s, const uint8_t *p, uint32_t n)
{
	struct http_dir *d = &s->d[1];

	if (d->nlayers && d->dout + n > s->cfg.decompress_limit) {
		uint32_t keep = (uint32_t)(s->cfg.decompress_limit - d->dout);

		store(s, 1, p, keep);
		d->dout += keep;
		d->zstop = true;
		/* when the body limit cut first, that is the event (however
		 * the inflated bytes came, one piece or many) */
		if (!d->body_full) {
			event(s, HTTP_EV_DECOMPRESS_LIMIT);
			d->body_full = true;
			emit(s, 1, true);
		}
		return;
	}
	d->dout += n;
	store(s, 1, p, n);
}

static voidpf zarena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct zlayer *l = opaque;
	size_t n = ALIGN16((size_t)items * size);

	if (n > ZARENA_SIZE - l->used)
		return Z_NULL;
	l->used += (uint32_t)n;
	return l->arena + l->used - n;
}

static void zarena_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	(void)p;
}

static void layer_feed(struct http_state *s, int li, const uint8_t *p, uint32_t n);

/* Start inflating: zlib (RFC 1950) or raw deflate, the arena reset. */
static bool zstart(struct zlayer *l, int fmt)
{
	if (l->mode == ZM_RUN || l->mode == ZM_END)
		inflateEnd(&l->z);
	memset(&l->z, 0, sizeof(l->z));
	l->used = 0;
	l->z.zalloc = zarena_alloc;
	l->z.zfree = zarena_free;
	l->z.opaque = l;
	l->fmt = (uint8_t)fmt;
	if (inflateInit2(&l->z, fmt == ZF_ZLIB ? 15 : -15) != Z_OK) {
		l->mode = ZM_PASS;
		return false;
	}
	l->mode = ZM_RUN;
	return true;
}

/* The gzip member header (RFC 1952), read as libhtp-rs reads it: reserved
 * flags and the header CRC are not checked. Returns the bytes it took;
 * l->gzst is GZ_DONE once the deflate data starts. */
static uint32_t gzip_skip_header(struct zlayer *l, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0, take;

	while (l->gzst != GZ_DONE) {
		switch (l->gzst) {
		case GZ_FIXED:
			if (i >= n)
				return i;
			if (l->gzn == 3)
				l->gzflags = p[i];
			i++;
			if (++l->gzn == 10) {
				l->gzn = 0;
				l->gzst = GZ_XLEN;
			}
			break;
		case GZ_XLEN:
			if (!(l->gzflags & 4)) {
				l->gzst = GZ_NAME;
				break;
			}
			if (i >= n)
				return i;
			l->gzxlen |= (uint16_t)(p[i++] << (8 * l->gzn));
			if (++l->gzn == 2) {
				l->gzn = 0;
				l->gzst = GZ_EXTRA;
			}
			break;
		case GZ_EXTRA:
			take = l->gzxlen - l->gzn;
			if (take > n - i)
				take = n - i;
			i += take;
			l->gzn += take;
			if (l->gzn < l->gzxlen)
				return i;
			l->gzn = 0;
			l->gzst = GZ_NAME;
			break;
		case GZ_NAME:
		case GZ_COMMENT:
			if (!(l->gzflags & (l->gzst == GZ_NAME ? 8 : 16))) {
				l->gzst++;
				break;
			}
			if (i >= n)
				return i;
			if (p[i++] == 0)
				l->gzst++;
			break;
		default:                /* GZ_HCRC */
			if (!(l->gzflags & 2)) {
				l->gzst = GZ_DONE;
				break;
			}
			if (i >= n)
				return i;
			i++;
			if (++l->gzn == 2) {
				l->gzn = 0;
				l->gzst = GZ_DONE;
			}
			break;
		}
	}
	return i;
}

enum { ZR_MORE, ZR_END, ZR_STOP, ZR_FAIL };

/* Inflate p; *took: the bytes inflate consumed. */
static int zinflate(struct http_state *s, int li, const uint8_t *p, uint32_t n, uint32_t *took)
{
	struct http_dir *d = &s->d[1];
	struct zlayer *l = &s->z[li];
	uint8_t out[4096];

	l->z.next_in = (Bytef *)p;
	l->z.avail_in = n;
	for (;;) {
		l->z.next_out = out;
		l->z.avail_out = sizeof(out);
		int rc = inflate(&l->z, Z_NO_FLUSH);
		uint32_t got = (uint32_t)sizeof(out) - l->z.avail_out;

		*took = n - l->z.avail_in;
		if (got) {
			l->zout += got;
			layer_feed(s, li + 1, out, got);
		}
		if (d->body_full || d->zstop)
			return ZR_STOP;
		if (rc == Z_STREAM_END)
			return ZR_END;  /* trailing bytes are ignored */
		if (rc == Z_BUF_ERROR && l->z.avail_in == 0)
			return ZR_MORE;
		if (rc == Z_OK) {
			if (l->z.avail_in == 0 && l->z.avail_out != 0)
				return ZR_MORE;
			continue;
		}
		return ZR_FAIL;
	}
}

/* Work through layer li's input up to l->zin. The input at offsets from
 * base on is p[0, n); before base (a restart) it is l->head. fin: the
 * body ended. */
static void zprocess(struct http_state *s, int li, uint64_t base, const uint8_t *p, uint32_t n,
		     bool fin)
{
	struct http_dir *d = &s->d[1];
	struct zlayer *l = &s->z[li];

	while (l->zfed < l->zin && !d->body_full && !d->zstop) {
		const uint8_t *src;
		uint32_t len, took = 0;

		/* a restart only goes back into the first ZHEAD bytes, and
		 * base is within them then */
		if (l->zfed < base) {
			src = l->head + l->zfed;
			len = (uint32_t)(base - l->zfed);
		} else {
			src = p + (l->zfed - base);
			len = (uint32_t)(base + n - l->zfed);
		}
		switch (l->mode) {
		case ZM_NEW:
			/* which of gzip, zlib or raw deflate: from the first
			 * bytes, whatever the header says (servers mislabel) */
			if (l->zin < 3 && !fin)
				return;
			if (l->zin >= 3 && l->head[0] == 0x1f && l->head[1] == 0x8b &&
			    l->head[2] == 8) {
				l->fmt = ZF_GZIP;
				l->mode = ZM_GZHDR;
				l->gzst = GZ_FIXED;
				l->gzn = 0;
				l->gzflags = 0;
				l->gzxlen = 0;
			} else if (l->zin >= 3 && (l->head[0] & 0x0f) == 8 && (l->head[0] >> 4) <= 7 &&
				   ((l->head[0] << 8) | l->head[1]) % 31 == 0) {
				zstart(l, ZF_ZLIB);
			} else if (l->zin >= 3) {
				zstart(l, ZF_RAW);
			} else {
				event(s, HTTP_EV_DECOMPRESS_FAILED);
				l->mode = ZM_PASS;
			}
			break;
		case ZM_GZHDR:
			took = gzip_skip_header(l, src, len);
			l->zfed += took;
			if (l->gzst == GZ_DONE && zstart(l, ZF_RAW))
				l->fmt = ZF_GZIP;
			break;
		case ZM_RUN: {
			int r = zinflate(s, li, src, len, &took);

			l->zfed += took;
			if (r == ZR_END) {
				l->mode = ZM_END;
				return;
			}
			if (r == ZR_STOP)
				return;
			if (r == ZR_MORE && took == len)
				break;
			/* failed: early (nothing out yet, within the first
			 * bytes) it was no such stream -- zlib is tried as raw
			 * deflate, else the whole body is kept as sent; later
			 * the rest is kept as sent (as libhtp-rs) */
			if (l->zout == 0 && l->zfed <= ZHEAD) {
				l->zfed = 0;
				if (l->fmt == ZF_ZLIB && zstart(l, ZF_RAW))
					break;
			}
			event(s, HTTP_EV_DECOMPRESS_FAILED);
			inflateEnd(&l->z);
			l->mode = ZM_PASS;
			break;
		}
		case ZM_PASS:
			l->zfed += len;
			layer_feed(s, li + 1, src, len);
			break;
		default:                /* ZM_END: trailing bytes ignored */
			return;
		}
	}
}

static void layer_feed(struct http_state *s, int li, const uint8_t *p, uint32_t n)
{
	struct http_dir *d = &s->d[1];
	struct zlayer *l;
	uint64_t base;

	if (li >= d->nlayers) {
		store_out(s, p, n);
		return;
	}
	l = &s->z[li];
	if (d->body_full || d->zstop || n == 0 || l->mode == ZM_END)
		return;
	base = l->zin;
	if (base < ZHEAD)
		memcpy(l->head + base, p, n < ZHEAD - base ? n : ZHEAD - base);
	l->zin += n;
	zprocess(s, li, base, p, n, false);
}

static void body_data(struct http_state *s, int dir, const uint8_t *p, uint32_t n)
{
	struct http_dir *d = &s->d[dir];

	d->body_seen += n;
	if (dir == 1 && d->nlayers)
		layer_feed(s, 0, p, n);
	else
		store(s, dir, p, n);
}

/* The body is complete: inspect it unless the limit already did. */
static void body_finish(struct http_state *s, int dir)
{
	struct http_dir *d = &s->d[dir];

	/* a body shorter than a layer's sniff: kept as sent */
	for (int i = 0; dir == 1 && i < d->nlayers; i++)
		if (s->z[i].mode == ZM_NEW && s->z[i].zin)
			zprocess(s, i, s->z[i].zin, NULL, 0, true);
	d->body_done = true;
	if (!d->body_full && d->body_len > 0) {
		d->body_full = true;
		emit(s, dir, true);
	}
	d->body_full = true;
}

/* The message is over: the next one starts at the next byte. */
static void msg_end(struct http_state *s, int dir)
{
	struct http_dir *d = &s->d[dir];

	if (dir == 1)
		zlayers_end(s);
	d->tx++;
	d->state = HS_HDR;
	d->hdr_len = 0;
	d->line_start = 0;
	d->overflow = false;
	d->parsed = false;
	d->ev_lf = d->ev_fold = d->ev_junk = d->ev_many = d->ev_deformed = false;
	d->nlayers = 0;
	d->body_seen = 0;
	/* the parsed start line and headers stay until the next message's
	 * first byte (msg_begin): the request's for its response point */
}

/* A message's first byte is about to overwrite the header block. */
static void msg_begin(struct http_state *s, int dir)
{
	struct http_dir *d = &s->d[dir];

	d->has_start = false;
	d->http09 = false;
	d->nents = 0;
	d->hph = PH_LINE;
	d->hk = d->hp = 0;
	if (dir == 0)
		s->req_held = false;
}

static void body_begin(struct http_state *s, int dir, enum hstate st)
{
	struct http_dir *d = &s->d[dir];

	d->state = st;
	d->body_len = 0;
	if (dir == 0)
		s->req_body_tx = d->tx;
	d->body_full = false;
	d->body_done = false;
	d->zstop = false;
	d->body_seen = 0;
	d->dout = 0;
	d->chunks = 0;
	d->chunk_size = 0;
	d->chunk_line = 0;
	d->cphase = CL_CTL;
	d->nlpre = 0;
	d->chunk_junk = false;
}

/* ---- start lines and framing ------------------------------------------- */

/* Split "A B C" on runs of spaces/tabs, C the rest with trailing space
 * cut; a response line as libhtp-rs reads it: after any leading
 * whitespace or NULs, split on any whitespace. */
static void split_line(struct http_dir *d)
{
	const uint8_t *h = d->hdr;
	uint32_t n = d->line_len, i = 0;
	bool (*sp)(int) = d->resp ? is_space : lws;

	while (d->resp && i < n && (is_space(h[i]) || h[i] == 0))
		i++;
	d->a_off = i;
	while (i < n && !sp(h[i]))
		i++;
	d->a_len = i - d->a_off;
	while (i < n && sp(h[i]))
		i++;
	d->b_off = i;
	while (i < n && !sp(h[i]))
		i++;
	d->b_len = i - d->b_off;
	while (i < n && sp(h[i]))
		i++;
	d->c_off = i;
	while (n > i && sp(h[n - 1]))
		n--;
	d->c_len = n - i;
}

static bool parse_u64(const uint8_t *p, uint32_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 18)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return true;
}

/* The value of entry i unfolded: straight from the block when it is one
 * line, else written to the scratch's head (free outside a callback). */
static struct app_slice ent_value(struct http_state *s, const struct http_dir *d, int i)
{
	const struct hdr_ent *e = &d->ents[i];
	struct wbuf w = { s->scratch, 0, s->scratch_cap - tail_size(s) };

	if (!e->folded)
		return slice(d->hdr + e->val_off, e->val_end - e->val_off);
	put_value(&w, d, e);
	return slice(w.p, w.len);
}

/* A header's values joined and unfolded, as ent_value(); p NULL when
 * absent. */
static struct app_slice hdr_value(struct http_state *s, const struct http_dir *d,
				  const char *name)
{
	struct wbuf w = { s->scratch, 0, s->scratch_cap - tail_size(s) };

	return hdr_slice(&w, d, name);
}

/* Content-Length: -1 absent, -2 invalid, else the value. */
static int64_t content_length(struct http_state *s, const struct http_dir *d)
{
	int i = find_hdr(d, "content-length");
	uint64_t v = 0;

	if (i < 0)
		return -1;
	struct app_slice sl = ent_value(s, d, i);

	if (!parse_u64(sl.p, sl.len, &v)) {
		event(s, HTTP_EV_INVALID_CONTENT_LENGTH);
		return -2;
	}
	for (int j = d->ents[i].next_dup; j >= 0; j = d->ents[j].next_dup) {
		uint64_t w = 0;

		sl = ent_value(s, d, j);
		if (!parse_u64(sl.p, sl.len, &w) || w != v) {
			event(s, HTTP_EV_CONFLICTING_CONTENT_LENGTH);
			break;
		}
	}
	return (int64_t)v;
}

/* Transfer-Encoding says chunked: "chunked" anywhere in its values, NULs
 * ignored (libhtp-rs). */
static bool chunked(struct http_state *s, const struct http_dir *d)
{
	struct app_slice v = hdr_value(s, d, "transfer-encoding");

	return v.p && contains_nocase_nozero(v.p, v.len, "chunked");
}

static bool contains_nocase(const uint8_t *a, uint32_t alen, const char *b)
{
	size_t blen = strlen(b);

	for (uint32_t i = 0; i + blen <= alen; i++)
		if (eq_nocase(a + i, (uint32_t)blen, b))
			return true;
	return false;
}

/* Content-Encoding: the codings to undo, outermost (last listed) first.
 * As libhtp-rs: the whole value "gzip", "x-gzip", "deflate" or
 * "x-deflate" (NULs ignored), else each word between commas and spaces
 * that contains "gzip" or "deflate"; other words are skipped. */
static void encodings(struct http_state *s, struct http_dir *d)
{
	struct app_slice sl = hdr_value(s, d, "content-encoding");
	const uint8_t *v = sl.p;
	uint32_t len = sl.len;
	uint8_t list[16];
	unsigned n = 0;

	d->nlayers = 0;
	if (!v)
		return;
	if (eq_nocase_nozero(v, len, "gzip") || eq_nocase_nozero(v, len, "x-gzip")) {
		list[n++] = CODING_GZIP;
	} else if (eq_nocase_nozero(v, len, "deflate") || eq_nocase_nozero(v, len, "x-deflate")) {
		list[n++] = CODING_DEFLATE;
	} else {
		for (uint32_t k = 0; k < len;) {
			while (k < len && (v[k] == ' ' || v[k] == ','))
				k++;
			uint32_t t = k;

			while (k < len && v[k] != ' ' && v[k] != ',')
				k++;
			if (k == t)
				continue;
			if (contains_nocase(v + t, k - t, "gzip")) {
				if (n < sizeof(list))
					list[n++] = CODING_GZIP;
			} else if (contains_nocase(v + t, k - t, "deflate")) {
				if (n < sizeof(list))
					list[n++] = CODING_DEFLATE;
			} else if (!eq_nocase(v + t, k - t, "identity") &&
				   !eq_nocase(v + t, k - t, "none") &&
				   !eq_nocase(v + t, k - t, "inflate")) {
				/* br, compress, lzma, ...: that layer stays */
				event(s, HTTP_EV_UNKNOWN_ENCODING);
			}
		}
	}
	if (n > s->cfg.decompress_layers)
		event(s, HTTP_EV_DECOMPRESS_LAYERS);
	for (unsigned i = 0; i < n && i < s->cfg.decompress_layers; i++)
		d->layer_coding[d->nlayers++] = list[n - 1 - i];
}

static struct pend *pend_for(struct http_state *s, uint64_t resp_tx)
{
	uint64_t reqs = s->d[0].tx;

	if (resp_tx < reqs && reqs - resp_tx <= PEND_RING)
		return &s->pend[resp_tx % PEND_RING];
	return NULL;
}

static void request_meta(struct http_state *s, struct http_dir *d)
{
	struct app_meta_http *m = &d->meta.u.http;
	struct wbuf w = { s->scratch, 0, s->scratch_cap };
	struct app_slice sl;
	uint32_t alen = 0;
	const uint8_t *auth = uri_authority(d, &alen);

	memset(&d->meta, 0, sizeof(d->meta));
	d->meta.proto = APP_PROTO_HTTP;
	cstr(m->http_method, sizeof(m->http_method), d->hdr + d->a_off, d->a_len);
	cstr(m->url, sizeof(m->url), d->hdr + d->b_off, d->b_len);
	cstr(m->protocol, sizeof(m->protocol), d->hdr + d->c_off, d->c_len);
	sl = hdr_slice(&w, d, "user-agent");
	if (sl.p)
		cstr(m->http_user_agent, sizeof(m->http_user_agent), sl.p, sl.len);
	sl = hdr_slice(&w, d, "host");
	if (auth || sl.p) {
		uint32_t at = w.len;

		if (auth)
			put_host(&w, auth, alen);
		else
			put_host(&w, sl.p, sl.len);
		cstr(m->hostname, sizeof(m->hostname), w.p + at, w.len - at);
	}
	struct pend *pd = &s->pend[d->tx % PEND_RING];

	pd->m = *m;
	pd->head = eq_nocase(d->hdr + d->a_off, d->a_len, "HEAD");
	pd->connect = eq_nocase(d->hdr + d->a_off, d->a_len, "CONNECT");
}

static void tunnel(struct http_state *s)
{
	s->d[0].state = HS_DONE;
	s->d[1].state = HS_DONE;
}

static void http_parse_dir(struct http_state *s, int dir, const uint8_t *p, uint32_t len);

/* Request headers parsed: inspect, then frame the body. */
static void request_headers(struct http_state *s, struct http_dir *d, bool frame)
{
	if (!d->parsed) {
		d->parsed = true;
		/* no stale metadata for a response to an unparsable request */
		memset(&s->pend[d->tx % PEND_RING], 0, sizeof(s->pend[0]));
		if (!d->has_start) {
			event(s, HTTP_EV_INVALID_REQUEST_LINE);
		} else {
			request_meta(s, d);
			if (!d->http09 && d->c_len >= 8 &&
			    memcmp(d->hdr + d->c_off, "HTTP/1.1", 8) == 0 && find_hdr(d, "host") < 0)
				event(s, HTTP_EV_HOST_MISSING);
			s->req_held = true;
			s->req_tx = d->tx;
			emit(s, 0, false);
		}
	}
	if (!frame)
		return;
	if (!d->has_start) {
		msg_end(s, 0);
		return;
	}
	if (eq_nocase(d->hdr + d->a_off, d->a_len, "CONNECT")) {
		/* what follows waits for the response (tunnel or not) */
		d->tx++;
		d->state = HS_CONNECT_WAIT;
		s->held = 0;
		s->held_cut = false;
		return;
	}
	int64_t cl = content_length(s, d);

	if (chunked(s, d)) {
		if (cl >= 0)
			event(s, HTTP_EV_CL_AND_CHUNKED);
		body_begin(s, 0, HS_CHUNK_SIZE);
	} else if (cl > 0) {
		body_begin(s, 0, HS_BODY_CL);
		d->remain = (uint64_t)cl;
	} else {
		msg_end(s, 0);
	}
}

/* A 1xx response that is no transaction of its own: not 101, and without
 * Transfer-Encoding or Content-Length (a 100 may have a zero one), as
 * libhtp-rs tells them. */
static bool interim_response(const struct http_dir *d)
{
	int i;
	uint64_t v = 0;

	if (d->status < 100 || d->status >= 200 || d->status == 101 ||
	    find_hdr(d, "transfer-encoding") >= 0)
		return false;
	if ((i = find_hdr(d, "content-length")) < 0)
		return true;
	return d->status == 100 && !d->ents[i].folded &&
	       (!parse_u64(d->hdr + d->ents[i].val_off, d->ents[i].val_end - d->ents[i].val_off, &v) ||
		v == 0);
}

static void response_headers(struct http_state *s, struct http_dir *d, bool frame)
{
	struct pend *pd = pend_for(s, d->tx);

	if (!d->parsed) {
		struct app_meta_http *m = &d->meta.u.http;
		struct wbuf w = { s->scratch, 0, s->scratch_cap };
		struct app_slice ct;

		d->parsed = true;
		memset(&d->meta, 0, sizeof(d->meta));
		d->meta.proto = APP_PROTO_HTTP;
		if (pd)
			*m = pd->m;
		if (!d->has_start) {
			/* status line over the header limit */
			event(s, HTTP_EV_INVALID_RESPONSE_LINE);
			d->status = 0;
		}
		m->status = d->status;
		ct = hdr_slice(&w, d, "content-type");
		if (ct.p)
			cstr(m->http_content_type, sizeof(m->http_content_type), ct.p, ct.len);
		/* interim responses (100-continue) are no transaction of their own */
		if (d->has_start && !interim_response(d))
			emit(s, 1, false);
	}
	if (!frame)
		return;
	/* libhtp-rs: 101 and 1xx with a length or chunking have a body like
	 * any response (http-evader 448). 204 and 304 never do, whatever
	 * they say (RFC 9110): servers send a 304 with the Content-Length of
	 * the full response, and reading it as a body would swallow the next
	 * responses of the connection. */
	bool framed = find_hdr(d, "transfer-encoding") >= 0 || find_hdr(d, "content-length") >= 0;

	if ((d->status == 101 && !framed) ||
	    (pd && pd->connect && d->status >= 200 && d->status < 300)) {
		tunnel(s);
		return;
	}
	if (pd && pd->connect && s->d[0].state == HS_CONNECT_WAIT) {
		/* refused CONNECT: the held request bytes are HTTP again */
		struct http_dir *q = &s->d[0];
		uint32_t held = s->held;

		s->held = 0;
		q->tx--;
		msg_end(s, 0);
		http_parse_dir(s, 0, q->body, held);
	}
	if (interim_response(d)) {
		d->tx--;                /* msg_end counts it back */
		msg_end(s, 1);
		return;
	}
	int64_t cl = content_length(s, d);

	if ((pd && pd->head) || d->status == 204 || d->status == 304 ||
	    (d->status >= 100 && d->status < 200 && !framed)) {
		msg_end(s, 1);
		return;
	}
	encodings(s, d);
	if (chunked(s, d)) {
		if (cl >= 0)
			event(s, HTTP_EV_CL_AND_CHUNKED);
		body_begin(s, 1, HS_CHUNK_SIZE);
	} else if (cl >= 0) {
		if (cl == 0) {
			msg_end(s, 1);
			return;
		}
		body_begin(s, 1, HS_BODY_CL);
		d->remain = (uint64_t)cl;
	} else {
		body_begin(s, 1, HS_BODY_CLOSE);
	}
}

/* Parse the start line (complete in hdr[0, line_start)). */
static void start_line(struct http_state *s, int dir)
{
	struct http_dir *d = &s->d[dir];
	uint32_t n = d->line_start;

	if (n > 0 && d->hdr[n - 1] == '\n')
		n--;
	if (n > 0 && d->hdr[n - 1] == '\r')
		n--;
	d->line_len = n;
	split_line(d);
	d->hdrs_off = d->line_start;
	if (dir == 0) {
		d->has_start = d->a_len > 0 && d->b_len > 0;
		if (d->has_start && d->c_len == 0) {
			d->http09 = true;
			event(s, HTTP_EV_HTTP09_REQUEST);
		}
	} else {
		uint64_t code = 0;

		d->has_start = true;
		if (d->b_len != 3 || !parse_u64(d->hdr + d->b_off, 3, &code)) {
			event(s, HTTP_EV_INVALID_RESPONSE_LINE);
			code = 0;
		}
		d->status = (uint16_t)code;
	}
}

/* The header block ended (or was cut: frame == false until its end). */
static void headers_done(struct http_state *s, int dir, bool frame)
{
	struct http_dir *d = &s->d[dir];

	if (!d->parsed && d->has_start && !d->http09)
		head_finish(d);
	if (dir == 0)
		request_headers(s, d, frame);
	else
		response_headers(s, d, frame);
}

/* A response without a status line: HTTP/0.9, a body until the end of the
 * stream. */
static void response_09(struct http_state *s, struct http_dir *d)
{
	uint32_t n = d->hdr_len;

	event(s, HTTP_EV_INVALID_RESPONSE_LINE);
	memset(&d->meta, 0, sizeof(d->meta));
	d->meta.proto = APP_PROTO_HTTP;
	struct pend *pd = pend_for(s, d->tx);

	if (pd)
		d->meta.u.http = pd->m;
	d->parsed = true;
	d->has_start = false;
	d->nents = 0;
	d->nlayers = 0;
	body_begin(s, 1, HS_BODY_CLOSE);
	body_data(s, 1, d->hdr, n);
}

/* A line libhtp-rs takes for a status line: whitespace or NULs, then
 * "http" in any case. */
static bool http_like(const uint8_t *h, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && (is_space(h[i]) || h[i] == 0))
		i++;
	return n - i >= 4 && lower(h[i]) == 'h' && lower(h[i + 1]) == 't' &&
	       lower(h[i + 2]) == 't' && lower(h[i + 3]) == 'p';
}

#define HEAD_GONE (HEAD_NEED - 1)       /* the bytes became an HTTP/0.9 body */

/* Drop the first n bytes of hdr (junk lines before a status line). */
static void head_drop(struct http_dir *d, uint32_t n)
{
	memmove(d->hdr, d->hdr + n, d->hdr_len - n);
	d->hdr_len -= n;
	d->hk -= n;
	d->hp = 0;
}

/* The start line, from d->hp (where junk lines before a status line
 * end). 0: more bytes needed; 1: the header block follows; 2: the
 * response is HTTP/0.9 (its bytes went to the body); 3: an HTTP/0.9
 * request, whose head is this line. */
static int head_line(struct http_state *s, int dir, bool fin)
{
	struct http_dir *d = &s->d[dir];
	uint8_t *h = d->hdr;

	for (;;) {
		uint32_t end = d->hdr_len, q, le, c;
		const uint8_t *lf = memchr(h + d->hk, '\n', end - d->hk);

		q = lf ? (uint32_t)(lf - h) : end;
		if (d->resp && (lf = memchr(h + d->hk, '\r', q - d->hk)))
			q = (uint32_t)(lf - h);
		if (q >= end) {
			d->hk = end;
			if (fin && d->resp && end > d->hp && !http_like(h + d->hp, end - d->hp)) {
				head_drop(d, d->hp);
				response_09(s, d);
				return 2;
			}
			return 0;
		}
		/* a response line may end in a bare CR (libhtp-rs) */
		le = q + 1;
		if (h[q] == '\r') {
			if (le >= end && !fin) {
				d->hk = q;
				return 0;
			}
			if (le < end && h[le] == '\n')
				le++;
		}
		if (d->resp && !http_like(h + d->hp, q - d->hp)) {
			/* junk before the status line: libhtp-rs skips it when
			 * the next line starts with 'H' or it has at most two
			 * bytes; else the response is HTTP/0.9 */
			if (end - le < 2 && !fin) {
				d->hk = q;
				return 0;
			}
			for (c = le; c > d->hp && (h[c - 1] == '\r' || h[c - 1] == '\n'); c--)
				;
			if ((le < end && h[le] == 'H') || c - d->hp <= 2) {
				if (!d->ev_junk) {
					d->ev_junk = true;
					event(s, HTTP_EV_JUNK_LINE);
				}
				d->hp = d->hk = le;
				continue;
			}
			head_drop(d, d->hp);
			response_09(s, d);
			return 2;
		}
		if (d->hp) {
			q -= d->hp;
			le -= d->hp;
			head_drop(d, d->hp);
		}
		if (!d->resp && q > 0 && h[q - 1] == '\r')
			note_eol(s, d, h + q - 1, 2);
		else
			note_eol(s, d, h + q, le - q);
		d->line_start = le;
		start_line(s, dir);
		if (d->http09)
			return 3;
		d->hp = le;
		d->hfirst = true;
		d->hph = PH_AT;
		return 1;
	}
}

/* Advance the head parse: the end of the head, HEAD_NEED, or HEAD_GONE. */
static uint32_t head_step(struct http_state *s, int dir, bool fin)
{
	struct http_dir *d = &s->d[dir];

	if (d->hph == PH_LINE) {
		switch (head_line(s, dir, fin)) {
		case 0:
			return HEAD_NEED;
		case 2:
			return HEAD_GONE;
		case 3:
			return d->line_start;
		default:
			break;
		}
	}
	return head_scan(s, d, fin);
}

/* The head ends at e, copy bytes of this call were taken: the bytes after
 * e were read ahead and go back to the stream (from hdr when older than
 * this call). Returns the bytes of this call consumed. */
static uint32_t head_end(struct http_state *s, int dir, uint32_t e, uint32_t copy)
{
	struct http_dir *d = &s->d[dir];
	uint32_t extra = d->hdr_len - e, used = 0;

	if (extra <= copy) {
		used = copy - extra;
	} else {
		d->replay_off = e;
		d->replay_len = extra - copy;
	}
	d->hdr_len = e;
	d->raw_end = e;
	headers_done(s, dir, true);
	return used;
}

/* Gather the start line and headers. Returns the bytes consumed. */
static uint32_t hdr_feed(struct http_state *s, int dir, const uint8_t *p, uint32_t len)
{
	struct http_dir *d = &s->d[dir];
	uint32_t room, copy, e, i;

	if (d->overflow) {
		for (i = 0; i < len; i++) {
			if (p[i] == '\n') {
				if (d->skip_blank) {
					headers_done(s, dir, true);
					return i + 1;
				}
				d->skip_blank = true;
			} else if (p[i] != '\r') {
				d->skip_blank = false;
			}
		}
		return len;
	}
	if (d->hdr_len == 0) {
		i = 0;
		while (i < len && (p[i] == '\r' || p[i] == '\n'))
			i++;            /* empty lines before a message */
		if (i)
			return i;
		msg_begin(s, dir);
	}
	/* a window of bytes; what follows the head goes back (head_end) */
	room = s->cfg.header_limit - d->hdr_len;
	copy = len < room ? len : room;
	if (copy > HEAD_WINDOW)
		copy = HEAD_WINDOW;
	/* memmove: bytes given back after a head are parsed from hdr */
	memmove(d->hdr + d->hdr_len, p, copy);
	d->hdr_len += copy;
	e = head_step(s, dir, false);
	if (e == HEAD_GONE)
		return copy;
	if (e != HEAD_NEED)
		return head_end(s, dir, e, copy);
	if (d->hdr_len < s->cfg.header_limit)
		return copy;
	/* over the limit: inspect what is complete, then seek the end */
	event(s, HTTP_EV_HEADER_TOO_LONG);
	if (d->hph == PH_LINE) {
		if (d->resp && !http_like(d->hdr + d->hp, d->hdr_len - d->hp)) {
			head_drop(d, d->hp);
			response_09(s, d);
			return copy;
		}
	} else {
		e = head_scan(s, d, true);
		if (e != HEAD_NEED)
			return head_end(s, dir, e, copy);
	}
	d->overflow = true;
	for (i = d->hdr_len; i > 0 && d->hdr[i - 1] != '\n'; i--)
		;
	d->skip_blank = true;
	for (; i < d->hdr_len; i++)
		if (d->hdr[i] != '\r')
			d->skip_blank = false;
	d->raw_end = d->hph == PH_LINE ? 0 : d->hp;
	headers_done(s, dir, false);
	return copy;
}

/* Chunk-size lines, read as libhtp-rs reads them: lines of control bytes
 * (CR LF SP HT VT FF) are skipped; then hex digits, and whatever follows
 * them up to the LF is ignored (extensions, junk). A line with no digit
 * first, or a size past 64 bits, ends the chunking: a response body then
 * runs to the end of the stream as it is (the line included), a request
 * direction stops. A size over 2^31-1 skips the line. */
static bool chunk_ctl(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static uint32_t chunk_size_feed(struct http_state *s, int dir, const uint8_t *p, uint32_t len)
{
	struct http_dir *d = &s->d[dir];
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];
		int v;

		if (c == '\n') {
			uint8_t ph = d->cphase;
			uint64_t size = d->chunk_size;

			d->chunk_line = 0;
			d->nlpre = 0;
			d->cphase = CL_CTL;
			d->chunk_size = 0;
			d->chunk_junk = false;
			if (ph == CL_CTL)
				continue;       /* a line of control bytes */
			if (size > 0x7fffffff) {
				event(s, HTTP_EV_CHUNK_JUNK);
				continue;
			}
			if (size == 0) {
				body_finish(s, dir);
				d->state = HS_TRAILER;
				d->tline = 0;
			} else {
				if (++d->chunks == HTTP_MANY_CHUNKS)
					event(s, HTTP_EV_MANY_CHUNKS);
				d->remain = size;
				d->state = HS_CHUNK_DATA;
			}
			return i + 1;
		}
		if (++d->chunk_line > CHUNK_LINE_MAX)
			goto stop;
		switch (d->cphase) {
		case CL_CTL:
			if (chunk_ctl(c))
				break;
			if ((v = hexval(c)) < 0)
				goto not_chunked;
			d->cphase = CL_HEX;
			d->chunk_size = (unsigned)v;
			break;
		case CL_HEX:
			if ((v = hexval(c)) >= 0) {
				if (d->chunk_size >> 60)
					goto not_chunked;
				d->chunk_size = d->chunk_size << 4 | (unsigned)v;
				break;
			}
			d->cphase = CL_TAIL;
			/* fallthrough */
		default:
			/* control bytes and extensions are usual; the rest is junk */
			if (!d->chunk_junk && c == ';')
				d->chunk_junk = true;
			else if (!d->chunk_junk && !chunk_ctl(c)) {
				d->chunk_junk = true;
				event(s, HTTP_EV_CHUNK_JUNK);
			}
			break;
		}
		if (d->cphase != CL_TAIL && d->nlpre < CHUNK_PREFIX)
			d->lpre[d->nlpre++] = c;
	}
	return len;
not_chunked:
	event(s, HTTP_EV_INVALID_CHUNK);
	if (dir == 1) {
		/* libhtp-rs: the body goes on as sent, from this line (as far
		 * as its first CHUNK_PREFIX bytes were kept) */
		d->state = HS_BODY_CLOSE;
		body_data(s, dir, d->lpre, d->nlpre);
		d->nlpre = 0;
		return i;
	}
	body_finish(s, dir);
	d->state = HS_DONE;
	return len;
stop:
	event(s, HTTP_EV_INVALID_CHUNK);
	body_finish(s, dir);
	d->state = HS_DONE;
	return len;
}

static void http_parse_dir(struct http_state *s, int dir, const uint8_t *p, uint32_t len)
{
	struct http_dir *d = &s->d[dir];

	while (len > 0) {
		uint32_t n = 0;

		switch (d->state) {
		case HS_HDR:
			n = hdr_feed(s, dir, p, len);
			if (d->replay_len) {
				/* read-ahead bytes older than this call */
				uint32_t off = d->replay_off, rl = d->replay_len;

				d->replay_len = 0;
				http_parse_dir(s, dir, d->hdr + off, rl);
			}
			break;
		case HS_BODY_CL:
		case HS_CHUNK_DATA:
			n = d->remain < len ? (uint32_t)d->remain : len;
			body_data(s, dir, p, n);
			d->remain -= n;
			if (d->remain == 0) {
				if (d->state == HS_CHUNK_DATA) {
					d->state = HS_CHUNK_END;
					d->chunk_junk = false;
					d->chunk_line = 0;
				} else {
					body_finish(s, dir);
					msg_end(s, dir);
				}
			}
			break;
		case HS_CHUNK_SIZE:
			n = chunk_size_feed(s, dir, p, len);
			break;
		case HS_CHUNK_END:
			/* up to the LF, as libhtp-rs: anything but one CR is
			 * junk */
			for (n = 0; n < len && p[n] != '\n'; n++) {
				if (p[n] == '\r' && !d->chunk_junk) {
					d->chunk_junk = true;
				} else if (d->chunk_line++ == 0) {
					event(s, HTTP_EV_CHUNK_AFTER_DATA);
				}
			}
			if (n < len) {
				n++;
				d->chunk_junk = false;
				d->chunk_line = 0;
				d->state = HS_CHUNK_SIZE;
			}
			break;
		case HS_TRAILER:
			for (n = 0; n < len; n++) {
				if (p[n] == '\n') {
					if (d->tline == 0) {
						n++;
						msg_end(s, dir);
						break;
					}
					d->tline = 0;
				} else if (p[n] != '\r') {
					d->tline++;
				}
			}
			break;
		case HS_BODY_CLOSE:
			body_data(s, dir, p, len);
			n = len;
			break;
		case HS_CONNECT_WAIT: {
			uint32_t room = d->body_limit - s->held;

			n = len < room ? len : room;
			memmove(d->body + s->held, p, n);   /* replays read from here */
			s->held += n;
			if (n < len) {
				if (!s->held_cut)
					event(s, HTTP_EV_TUNNEL_DATA_CUT);
				s->held_cut = true;
				n = len;
			}
			break;
		}
		default:
			return;
		}
		p += n;
		len -= n;
	}
}

void http_parse(struct http_state *s, int dir, const uint8_t *data, uint32_t len,
		app_inspect_fn cb, app_event_fn ev, void *arg)
{
	s->cb = cb;
	s->ev = ev;
	s->arg = arg;
	http_parse_dir(s, dir & 1, data, len);
}

void http_close(struct http_state *s, int dir, app_inspect_fn cb, app_event_fn ev, void *arg)
{
	struct http_dir *d;

	dir &= 1;
	d = &s->d[dir];
	s->cb = cb;
	s->ev = ev;
	s->arg = arg;
	switch (d->state) {
	case HS_HDR: {
		uint32_t e = HEAD_NEED;

		if (d->hdr_len == 0)
			break;
		if (!d->overflow) {
			/* what the missing bytes would have decided */
			e = head_step(s, dir, true);
			if (e == HEAD_GONE) {
				body_finish(s, dir);
				break;
			}
			d->raw_end = e != HEAD_NEED ? e : d->hph == PH_LINE ? 0 : d->hp;
		}
		if (e == HEAD_NEED)
			event(s, HTTP_EV_TRUNCATED);
		if (d->hph != PH_LINE || d->parsed)
			headers_done(s, dir, false);
		break;
	}
	case HS_BODY_CL:
	case HS_CHUNK_SIZE:
	case HS_CHUNK_DATA:
	case HS_CHUNK_END:
		event(s, HTTP_EV_TRUNCATED);
		body_finish(s, dir);
		break;
	case HS_BODY_CLOSE:
		body_finish(s, dir);
		break;
	default:
		break;
	}
	if (dir == 1)
		zlayers_end(s);
	d->state = HS_DONE;
}

static const char *const probe_methods[] = {
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT",
	"PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
	"UNLOCK", "SEARCH", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
	"SUBSCRIBE", "UNSUBSCRIBE", "NOTIFY", "PURGE", NULL
};

bool http_probe(const uint8_t *p, uint32_t len, bool to_server)
{
	if (!to_server)
		return len >= 7 && memcmp(p, "HTTP/1.", 7) == 0;
	for (int i = 0; probe_methods[i]; i++) {
		uint32_t ml = (uint32_t)strlen(probe_methods[i]);

		if (len < ml + 2 || memcmp(p, probe_methods[i], ml) != 0 || p[ml] != ' ')
			continue;
		uint8_t c = p[ml + 1];

		return c == '/' || c == '*' || (c >= 'a' && c <= 'z') ||
		       (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
	}
	return false;
}
