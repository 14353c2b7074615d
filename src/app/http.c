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
#define CHUNK_LINE_MAX 1024
#define PEND_RING 8                     /* requests remembered for their responses */
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

enum zmode { ZM_NEW = 0, ZM_RUN, ZM_END, ZM_PASS };
enum coding { CODING_GZIP = 1, CODING_DEFLATE };

struct hdr_ent {
	uint32_t name_off, val_off, val_end;
	uint16_t name_len;
	int16_t next_dup;               /* next line with the same name, -1 */
	bool dup;                       /* a later line of a repeated name */
	bool folded;
};

struct zlayer {
	z_stream z;
	uint8_t *arena;
	uint32_t used;
	uint8_t sniff[2];
	uint8_t nsniff;
	uint8_t mode;                   /* enum zmode */
};

struct http_dir {
	uint8_t state;                  /* enum hstate */
	bool prefix_ok;                 /* response: starts with "HTTP/" */
	bool overflow;                  /* header block cut: seeking its end */
	bool skip_blank;                /* overflow: current line blank so far */
	bool parsed;                    /* header block parsed and inspected */
	bool has_start;                 /* a start line was parsed */
	bool http09;
	bool ev_lf, ev_fold;            /* per message, so each counts once */
	bool body_full;                 /* body inspected; keep nothing more */
	bool body_done;                 /* body complete */
	bool zstop;                     /* decompression cap reached */
	bool chunk_digits, chunk_ext, chunk_ws, chunk_cr;
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

	uint8_t *body;
	uint32_t body_len, body_limit;
	uint64_t remain;                /* Content-Length or chunk bytes left */
	uint64_t body_seen;             /* de-chunked body bytes on the wire */
	uint64_t dout;                  /* inflated bytes kept */
	uint64_t chunk_size;
	uint32_t chunk_line, chunk_ndig, chunks, tline;
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
		if (s->z[i].mode == ZM_RUN || s->z[i].mode == ZM_END)
			inflateEnd(&s->z[i].z);
		s->z[i].mode = ZM_NEW;
		s->z[i].nsniff = 0;
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

static bool contains_nocase(const uint8_t *a, uint32_t alen, const char *b)
{
	size_t blen = strlen(b);

	for (uint32_t i = 0; i + blen <= alen; i++)
		if (eq_nocase(a + i, (uint32_t)blen, b))
			return true;
	return false;
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

/* Write the value of one header line, unfolded: line ends inside a folded
 * value are dropped, the continuation's whitespace kept (as libhtp). */
static void put_value(struct wbuf *w, const struct http_dir *d, const struct hdr_ent *e)
{
	const uint8_t *h = d->hdr;

	if (!e->folded) {
		put(w, h + e->val_off, e->val_end - e->val_off);
		return;
	}
	for (uint32_t i = e->val_off; i < e->val_end; i++) {
		if (h[i] == '\n' || (h[i] == '\r' && i + 1 < e->val_end && h[i + 1] == '\n'))
			continue;
		putc_(w, h[i]);
	}
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

static int find_hdr(const struct http_dir *d, const char *name)
{
	for (int i = 0; i < d->nents; i++)
		if (!d->ents[i].dup &&
		    eq_nocase(d->hdr + d->ents[i].name_off, d->ents[i].name_len, name))
			return i;
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

/* Parse the header lines [d->hdrs_off, end) into d->ents. Only complete
 * lines (ending in LF) count. */
static void parse_header_lines(struct http_state *s, struct http_dir *d, uint32_t end)
{
	const uint8_t *h = d->hdr;
	int cur = -1;
	bool ev_many = false;

	d->nents = 0;
	for (uint32_t ls = d->hdrs_off; ls < end;) {
		const uint8_t *lf = memchr(h + ls, '\n', end - ls);

		if (!lf)
			break;
		uint32_t next = (uint32_t)(lf - h) + 1;
		uint32_t le = next - 1;

		if (le > ls && h[le - 1] == '\r')
			le--;
		if (le == ls)
			break;                  /* the empty line */
		if (lws(h[ls])) {
			if (cur >= 0) {
				d->ents[cur].val_end = le;
				d->ents[cur].folded = true;
				if (!d->ev_fold) {
					d->ev_fold = true;
					event(s, HTTP_EV_HEADER_FOLDING);
				}
			} else {
				event(s, HTTP_EV_INVALID_HEADER);
			}
			ls = next;
			continue;
		}
		const uint8_t *colon = memchr(h + ls, ':', le - ls);
		uint32_t ne = colon ? (uint32_t)(colon - h) : ls;

		while (ne > ls && lws(h[ne - 1]))
			ne--;
		if (!colon || ne == ls) {
			event(s, HTTP_EV_INVALID_HEADER);
			cur = -1;
			ls = next;
			continue;
		}
		if (d->nents >= HTTP_MAX_HEADERS) {
			if (!ev_many) {
				ev_many = true;
				event(s, HTTP_EV_TOO_MANY_HEADERS);
			}
			cur = -1;
			ls = next;
			continue;
		}
		struct hdr_ent *e = &d->ents[d->nents];

		e->name_off = ls;
		e->name_len = (uint16_t)(ne - ls);
		e->val_off = (uint32_t)(colon - h) + 1;
		e->val_end = le;
		e->next_dup = -1;
		e->dup = false;
		e->folded = false;
		cur = d->nents++;
		ls = next;
	}
	for (int i = 0; i < d->nents; i++) {
		struct hdr_ent *e = &d->ents[i];

		while (e->val_off < e->val_end && lws(h[e->val_off]))
			e->val_off++;
		while (e->val_end > e->val_off &&
		       (lws(h[e->val_end - 1]) || h[e->val_end - 1] == '\r'))
			e->val_end--;
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

static void zrun(struct http_state *s, int li, const uint8_t *p, uint32_t n)
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

		if (got)
			layer_feed(s, li + 1, out, got);
		if (d->body_full || d->zstop)
			return;
		if (rc == Z_STREAM_END) {
			l->mode = ZM_END;       /* trailing bytes are ignored */
			return;
		}
		if (rc == Z_BUF_ERROR)
			return;         /* needs more input */
		if (rc == Z_OK) {
			if (l->z.avail_in == 0 && l->z.avail_out != 0)
				return;
			continue;
		}
		/* Z_DATA_ERROR, Z_MEM_ERROR: keep the rest as sent (libhtp) */
		event(s, HTTP_EV_DECOMPRESS_FAILED);
		l->mode = ZM_PASS;
		layer_feed(s, li + 1, l->z.next_in, l->z.avail_in);
		return;
	}
}

static void layer_feed(struct http_state *s, int li, const uint8_t *p, uint32_t n)
{
	struct http_dir *d = &s->d[1];
	struct zlayer *l;

	if (li >= d->nlayers) {
		store_out(s, p, n);
		return;
	}
	l = &s->z[li];
	if (d->body_full || d->zstop || n == 0 || l->mode == ZM_END)
		return;
	if (l->mode == ZM_PASS) {
		layer_feed(s, li + 1, p, n);
		return;
	}
	if (l->mode == ZM_NEW) {
		int wbits;

		while (l->nsniff < 2 && n > 0) {
			l->sniff[l->nsniff++] = *p++;
			n--;
		}
		if (l->nsniff < 2)
			return;
		if (l->sniff[0] == 0x1f && l->sniff[1] == 0x8b)
			wbits = 15 + 16;
		else if ((l->sniff[0] & 0x0f) == 8 && (l->sniff[0] >> 4) <= 7 &&
			 ((l->sniff[0] << 8) | l->sniff[1]) % 31 == 0)
			wbits = 15;
		else if (d->layer_coding[li] == CODING_DEFLATE)
			wbits = -15;
		else
			wbits = 0;      /* "gzip" that is not: keep it as sent */
		memset(&l->z, 0, sizeof(l->z));
		l->used = 0;
		l->z.zalloc = zarena_alloc;
		l->z.zfree = zarena_free;
		l->z.opaque = l;
		if (wbits == 0 || inflateInit2(&l->z, wbits) != Z_OK) {
			event(s, HTTP_EV_DECOMPRESS_FAILED);
			l->mode = ZM_PASS;
			layer_feed(s, li + 1, l->sniff, 2);
			layer_feed(s, li + 1, p, n);
			return;
		}
		l->mode = ZM_RUN;
		zrun(s, li, l->sniff, 2);
		if (l->mode == ZM_PASS)
			layer_feed(s, li + 1, p, n);
		if (l->mode != ZM_RUN)
			return;
	}
	zrun(s, li, p, n);
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

	if (dir == 1 && d->nlayers) {
		/* a body shorter than the sniff: keep it as sent */
		for (int i = 0; i < d->nlayers; i++) {
			if (s->z[i].mode == ZM_NEW && s->z[i].nsniff) {
				event(s, HTTP_EV_DECOMPRESS_FAILED);
				s->z[i].mode = ZM_PASS;
				layer_feed(s, i + 1, s->z[i].sniff, s->z[i].nsniff);
			}
		}
	}
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
	d->prefix_ok = false;
	d->overflow = false;
	d->parsed = false;
	d->ev_lf = d->ev_fold = false;
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
	d->chunk_line = d->chunk_ndig = 0;
	d->chunk_digits = d->chunk_ext = d->chunk_ws = d->chunk_cr = false;
}

/* ---- start lines and framing ------------------------------------------- */

/* Split "A B C" on runs of spaces/tabs: C is the rest, trailing space cut. */
static void split_line(struct http_dir *d)
{
	const uint8_t *h = d->hdr;
	uint32_t n = d->line_len, i = 0;

	d->a_off = 0;
	while (i < n && !lws(h[i]))
		i++;
	d->a_len = i;
	while (i < n && lws(h[i]))
		i++;
	d->b_off = i;
	while (i < n && !lws(h[i]))
		i++;
	d->b_len = i - d->b_off;
	while (i < n && lws(h[i]))
		i++;
	d->c_off = i;
	while (n > i && lws(h[n - 1]))
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

/* Content-Length: -1 absent, -2 invalid, else the value. */
static int64_t content_length(struct http_state *s, const struct http_dir *d)
{
	int i = find_hdr(d, "content-length");
	uint64_t v = 0;

	if (i < 0)
		return -1;
	const struct hdr_ent *e = &d->ents[i];

	if (e->folded || !parse_u64(d->hdr + e->val_off, e->val_end - e->val_off, &v)) {
		event(s, HTTP_EV_INVALID_CONTENT_LENGTH);
		return -2;
	}
	for (int j = e->next_dup; j >= 0; j = d->ents[j].next_dup) {
		const struct hdr_ent *f = &d->ents[j];
		uint64_t w = 0;

		if (!parse_u64(d->hdr + f->val_off, f->val_end - f->val_off, &w) || w != v) {
			event(s, HTTP_EV_CONFLICTING_CONTENT_LENGTH);
			break;
		}
	}
	return (int64_t)v;
}

static bool chunked(const struct http_dir *d)
{
	for (int i = find_hdr(d, "transfer-encoding"); i >= 0; i = d->ents[i].next_dup)
		if (contains_nocase(d->hdr + d->ents[i].val_off,
				    d->ents[i].val_end - d->ents[i].val_off, "chunked"))
			return true;
	return false;
}

/* Content-Encoding: the codings to undo, outermost (last listed) first. */
static void encodings(struct http_state *s, struct http_dir *d)
{
	uint8_t list[16];
	unsigned n = 0;
	bool unknown = false;

	d->nlayers = 0;
	for (int i = find_hdr(d, "content-encoding"); i >= 0; i = d->ents[i].next_dup) {
		const uint8_t *v = d->hdr + d->ents[i].val_off;
		uint32_t len = d->ents[i].val_end - d->ents[i].val_off;

		for (uint32_t k = 0; k < len;) {
			while (k < len && (lws(v[k]) || v[k] == ','))
				k++;
			uint32_t t = k;

			while (k < len && !lws(v[k]) && v[k] != ',')
				k++;
			if (k == t)
				continue;
			if (eq_nocase(v + t, k - t, "gzip") || eq_nocase(v + t, k - t, "x-gzip")) {
				if (n < sizeof(list))
					list[n++] = CODING_GZIP;
			} else if (eq_nocase(v + t, k - t, "deflate")) {
				if (n < sizeof(list))
					list[n++] = CODING_DEFLATE;
			} else if (!eq_nocase(v + t, k - t, "identity")) {
				unknown = true;
			}
		}
	}
	if (unknown) {
		/* br, compress, ...: leave the body as sent */
		event(s, HTTP_EV_UNKNOWN_ENCODING);
		return;
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

	if (chunked(d)) {
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
		if (d->has_start && !(d->status >= 100 && d->status < 200 && d->status != 101))
			emit(s, 1, false);
	}
	if (!frame)
		return;
	if (d->status == 101 || (pd && pd->connect && d->status >= 200 && d->status < 300)) {
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
	if (d->status >= 100 && d->status < 200) {
		d->tx--;                /* msg_end counts it back */
		msg_end(s, 1);
		return;
	}
	int64_t cl = content_length(s, d);

	if ((pd && pd->head) || d->status == 204 || d->status == 304) {
		msg_end(s, 1);
		return;
	}
	encodings(s, d);
	if (chunked(d)) {
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

	if (!d->parsed) {
		if (d->has_start && !d->http09)
			parse_header_lines(s, d, d->raw_end);
	}
	if (dir == 0)
		request_headers(s, d, frame);
	else
		response_headers(s, d, frame);
}

/* A response that does not start with "HTTP/": HTTP/0.9, a body until the
 * end of the stream. */
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

/* Gather the start line and headers. Returns the bytes consumed. */
static uint32_t hdr_feed(struct http_state *s, int dir, const uint8_t *p, uint32_t len)
{
	struct http_dir *d = &s->d[dir];

	if (d->overflow) {
		for (uint32_t i = 0; i < len; i++) {
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
		uint32_t i = 0;

		while (i < len && (p[i] == '\r' || p[i] == '\n'))
			i++;            /* empty lines before a message */
		if (i)
			return i;
		msg_begin(s, dir);
	}
	const uint8_t *lf = memchr(p, '\n', len);
	uint32_t n = lf ? (uint32_t)(lf - p) + 1 : len;
	uint32_t room = s->cfg.header_limit - d->hdr_len;
	uint32_t copy = n < room ? n : room;

	memcpy(d->hdr + d->hdr_len, p, copy);
	d->hdr_len += copy;
	if (dir == 1 && !d->prefix_ok) {
		uint32_t m = d->hdr_len < 5 ? d->hdr_len : 5;

		for (uint32_t i = 0; i < m; i++) {
			if (lower(d->hdr[i]) != lower((uint8_t)"HTTP/"[i])) {
				response_09(s, d);
				return copy;
			}
		}
		if (m == 5)
			d->prefix_ok = true;
	}
	if (copy < n) {
		/* over the limit: inspect what is complete, then seek the end */
		uint32_t ls = d->line_start;

		event(s, HTTP_EV_HEADER_TOO_LONG);
		d->overflow = true;
		d->skip_blank = true;
		for (uint32_t i = ls; i < d->hdr_len; i++)
			if (d->hdr[i] != '\r')
				d->skip_blank = false;
		d->raw_end = d->line_start;
		headers_done(s, dir, false);
		return copy;
	}
	if (!lf)
		return copy;

	uint32_t ls = d->line_start, le = d->hdr_len;

	if (!d->ev_lf && (le - ls < 2 || d->hdr[le - 2] != '\r')) {
		d->ev_lf = true;
		event(s, HTTP_EV_MISSING_CR);
	}
	d->line_start = le;
	if (ls == 0) {
		start_line(s, dir);
		if (d->http09) {
			d->raw_end = le;
			headers_done(s, dir, true);
		}
		return copy;
	}
	if (le - ls == 1 || (le - ls == 2 && d->hdr[ls] == '\r')) {
		d->raw_end = le;
		headers_done(s, dir, true);
	}
	return copy;
}

/* Chunk-size line: hex digits, optional whitespace and extensions. */
static uint32_t chunk_size_feed(struct http_state *s, int dir, const uint8_t *p, uint32_t len)
{
	struct http_dir *d = &s->d[dir];

	for (uint32_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		int v;

		if (++d->chunk_line > CHUNK_LINE_MAX)
			goto invalid;
		if (c == '\n') {
			if (!d->chunk_digits)
				goto invalid;
			d->chunk_line = d->chunk_ndig = 0;
			d->chunk_digits = d->chunk_ext = d->chunk_ws = false;
			if (d->chunk_size == 0) {
				body_finish(s, dir);
				d->state = HS_TRAILER;
				d->tline = 0;
			} else {
				if (++d->chunks == HTTP_MANY_CHUNKS)
					event(s, HTTP_EV_MANY_CHUNKS);
				d->remain = d->chunk_size;
				d->state = HS_CHUNK_DATA;
			}
			d->chunk_size = 0;
			return i + 1;
		}
		if (d->chunk_ext)
			continue;
		if ((v = hexval(c)) >= 0 && !d->chunk_ws) {
			if (++d->chunk_ndig > 15)
				goto invalid;
			d->chunk_size = d->chunk_size << 4 | (unsigned)v;
			d->chunk_digits = true;
		} else if (c == ';' && d->chunk_digits) {
			d->chunk_ext = true;
		} else if (lws(c) || c == '\r') {
			if (d->chunk_digits)
				d->chunk_ws = true;
		} else {
			goto invalid;
		}
	}
	return len;
invalid:
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
			break;
		case HS_BODY_CL:
		case HS_CHUNK_DATA:
			n = d->remain < len ? (uint32_t)d->remain : len;
			body_data(s, dir, p, n);
			d->remain -= n;
			if (d->remain == 0) {
				if (d->state == HS_CHUNK_DATA) {
					d->state = HS_CHUNK_END;
					d->chunk_cr = false;
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
			if (p[0] == '\r' && !d->chunk_cr) {
				d->chunk_cr = true;
				n = 1;
			} else if (p[0] == '\n') {
				d->state = HS_CHUNK_SIZE;
				n = 1;
			} else {
				event(s, HTTP_EV_CHUNK_AFTER_DATA);
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
	case HS_HDR:
		if (d->hdr_len == 0)
			break;
		event(s, HTTP_EV_TRUNCATED);
		if (!d->overflow)
			d->raw_end = d->line_start;
		if (d->line_start > 0 || d->parsed)
			headers_done(s, dir, false);
		break;
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
