/*
 * http: an HTTP/1.x parser for requests and responses (see app.h for the
 * contract with detection).
 *
 * The parser is fed the in-order bytes of each direction of one flow
 * (reassembled TCP stream) and calls back with inspection points:
 *
 *   - request headers complete (dir 0): HTTP_METHOD, HTTP_URI (normalised),
 *     HTTP_URI_RAW, HTTP_PROTOCOL, HTTP_REQUEST_LINE, HTTP_HOST (lowercase,
 *     port and trailing dots stripped), HTTP_HOST_RAW, HTTP_USER_AGENT,
 *     HTTP_COOKIE, HTTP_REFERER, HTTP_ACCEPT, HTTP_ACCEPT_LANG,
 *     HTTP_ACCEPT_ENC, HTTP_CONNECTION, HTTP_CONTENT_TYPE, HTTP_CONTENT_LEN,
 *     HTTP_HEADER, HTTP_HEADER_RAW, HTTP_HEADER_NAMES, HTTP_START,
 *     HTTP_REQUEST_HEADER;
 *   - request body complete, or its inspection limit reached: the same
 *     buffers plus HTTP_REQUEST_BODY (de-chunked);
 *   - response headers complete (dir 1): HTTP_STAT_CODE, HTTP_STAT_MSG,
 *     HTTP_RESPONSE_LINE, HTTP_PROTOCOL, HTTP_SERVER, HTTP_LOCATION,
 *     HTTP_COOKIE (Set-Cookie), HTTP_CONTENT_TYPE, HTTP_CONTENT_LEN,
 *     HTTP_CONNECTION, HTTP_HEADER, HTTP_HEADER_RAW, HTTP_HEADER_NAMES,
 *     HTTP_START, HTTP_RESPONSE_HEADER;
 *   - response body complete, its limit reached, or the stream closed: the
 *     same buffers plus HTTP_RESPONSE_BODY and FILE_DATA (de-chunked and,
 *     for gzip or deflate content codings, decompressed).
 *
 * A body point repeats its message's header buffers, so a rule that mixes
 * them (http.stat_code and file.data) sees both at once; a rule matching
 * headers only matches at both points of one transaction, and detection
 * must alert once per (rule, tx_id). A response point also carries its
 * request's own buffers (HTTP_METHOD, HTTP_URI, HTTP_URI_RAW,
 * HTTP_REQUEST_LINE, HTTP_USER_AGENT, HTTP_HOST, HTTP_HOST_RAW,
 * HTTP_REFERER, HTTP_ACCEPT*, HTTP_REQUEST_HEADER, and the request body as
 * far as it got), so a rule mixing both sides (http.uri with
 * http.stat_code) can match there; the buffers both sides have (protocol,
 * http.header, cookies, ...) are the response's. A request's are kept
 * until the next request's first byte: a response that arrives after a
 * pipelined request has begun carries none.
 *
 * Buffer forms follow Suricata with libhtp's IDS personality:
 *   http.uri: the path percent-decoded (%XX, %2F included, and %uHHHH;
 *     invalid escapes kept as they are), backslashes turned to slashes,
 *     repeated slashes compressed, then "." and ".." segments removed
 *     (RFC 3986 5.2.4); the query is kept raw; case is kept. An absolute
 *     URI keeps its scheme and lowercased authority.
 *   http.header: "Name: value\r\n" per distinct header name, in first
 *     appearance order, repeated headers joined with ", ", folded lines
 *     unfolded, without Cookie (Set-Cookie in responses) and without a
 *     final empty line.
 *   http.header.raw: the header lines as received, up to and including
 *     the empty line that ends them.
 *   http.header_names: "\r\n" then each name followed by "\r\n", then
 *     "\r\n".
 *   http.start: the start line, "\r\n", the http.header lines with the
 *     cookies kept, "\r\n".
 *   http.request_header / http.response_header: Suricata has one buffer
 *     per header; here they are the http.start header lines (all headers,
 *     "Name: value\r\n" each), one buffer.
 * Not done: the UTF-8 best-fit mapping of the path, trailers (skipped),
 * request-body decompression, multipart file extraction.
 *
 * Memory: nothing is allocated while parsing. One flow's state is one
 * block of http_state_size() bytes from the caller: per direction a header
 * block buffer (header_limit) and a body buffer (the body limit), a
 * scratch area for the derived buffers (normalised headers, URI; eight
 * times header_limit, shared by both directions because slices only live
 * during a callback, its tail keeping the last request's for its
 * response), and per decompression layer a zlib arena: inflate's
 * zalloc hands out memory from that arena (reset per body), so zlib never
 * calls malloc. With the defaults that is about 470 KiB a flow, so a
 * caller should keep a pool sized for its HTTP flows, not for all flows.
 *
 * Bounds: a header block longer than header_limit is cut (the parser skips
 * to its end and inspects what it kept); bodies are buffered up to their
 * limit and inspected then, the rest is parsed but not kept; decompressed
 * output stops at min(decompress_limit, body limit) (a bomb costs at most
 * that much inflate work); content codings past decompress_layers are left
 * encoded. Each cut is a parser event. A chunk-size line longer than 1 KiB
 * ends parsing of that direction; a header takes at most 128 continuation
 * lines.
 *
 * Odd syntax is read the way Suricata 8's libhtp-rs reads it, so a body
 * hidden from one is hidden from neither (the http-evader cases):
 *   - response line ends are "\r\n", "\n", "\n\r" and a bare "\r" (the
 *     status line's too); request ones "\r\n" and "\n"; a value may end
 *     in a deformed line end ("\r\n\r" and a run of CR/SP/HT, "\n\r\r\n"),
 *     and a blank continuation line ending in one byte ends the block;
 *   - a line end before SP, HT or NUL folds the value (in a response, not
 *     when the continuation reads "token:", a header of its own); a name
 *     runs to its colon across line ends before a space; names and values
 *     are trimmed of SP HT CR LF VT FF; NULs in a name are ignored when
 *     headers are looked up;
 *   - Transfer-Encoding is chunked when "chunked" is in it anywhere (NULs
 *     ignored); a chunk size is the hex digits after any control bytes,
 *     what follows them is ignored, blank lines between chunks and junk
 *     after chunk data (up to the LF) are skipped, a size over 2^31-1
 *     skips its line; a size line with no digit first (or one past 64
 *     bits) makes the rest of a response body plain, to the end of the
 *     stream, and stops a request direction;
 *   - Content-Encoding is the whole value "gzip", "x-gzip", "deflate",
 *     "x-deflate", else every word (between commas and spaces) holding
 *     "gzip" or "deflate"; other words are skipped (an event). Whether a
 *     body is gzip, zlib or raw deflate is read from its first bytes; a
 *     gzip header's reserved flags, header CRC and trailer are not
 *     checked; a layer that fails within its first 64 bytes before any
 *     output (zlib tried again as raw deflate) passes its whole input on
 *     as sent, one that fails later the rest;
 *   - lines before the status line that do not start with "http" are
 *     skipped when the next line starts with 'H' or they have at most two
 *     bytes, else the response is HTTP/0.9;
 *   - 101, 1xx, 204 and 304 responses with Transfer-Encoding or
 *     Content-Length (a 100 with a length over 0) have a body.
 *
 * Other cases: pipelining (any number of messages per call; responses pair
 * with requests in order), leading empty lines, HTTP/0.9 requests (no
 * headers), HEAD/1xx/204/304 responses without body, 100-continue
 * (interim responses skipped), CONNECT (data after a CONNECT request is held
 * in the request body buffer, up to request_body_limit, until its response:
 * 2xx turns the flow into a tunnel and parsing stops, anything else replays
 * the held bytes as requests), 101 Switching
 * Protocols (parsing stops), and responses without a length (body until
 * http_close()).
 *
 * The output never depends on how the bytes of a direction are split
 * across calls.
 */
#ifndef MAMORI_HTTP_H
#define MAMORI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/app.h"

struct http_config {
	uint32_t header_limit;          /* start line + headers, bytes (16 KiB) */
	uint32_t request_body_limit;    /* request body bytes inspected (100 KiB) */
	uint32_t response_body_limit;   /* response body bytes inspected, after
					 * decompression (100 KiB) */
	uint32_t decompress_limit;      /* inflated bytes per body (1 MiB) */
	uint8_t decompress_layers;      /* content codings undone (2; 0: none) */
};

/* Most decompression layers a config may ask for. */
#define HTTP_MAX_LAYERS 4

/* Parser events (app_event_fn), named by http_event_name(). */
enum http_event {
	HTTP_EV_HEADER_TOO_LONG = 0,    /* header block over header_limit */
	HTTP_EV_TOO_MANY_HEADERS,       /* over HTTP_MAX_HEADERS: the rest ignored */
	HTTP_EV_INVALID_REQUEST_LINE,
	HTTP_EV_INVALID_RESPONSE_LINE,  /* also: a response without status line */
	HTTP_EV_HTTP09_REQUEST,
	HTTP_EV_MISSING_CR,             /* a line ends in a bare LF */
	HTTP_EV_HEADER_FOLDING,
	HTTP_EV_INVALID_HEADER,         /* a header line without a colon */
	HTTP_EV_INVALID_CONTENT_LENGTH,
	HTTP_EV_CONFLICTING_CONTENT_LENGTH,
	HTTP_EV_CL_AND_CHUNKED,         /* both: chunked wins */
	HTTP_EV_INVALID_CHUNK,          /* bad chunk-size line: a response body
					 * runs to the end of the stream, a
					 * request direction stops */
	HTTP_EV_CHUNK_AFTER_DATA,       /* chunk data not followed by a line end:
					 * skipped up to the next LF */
	HTTP_EV_MANY_CHUNKS,            /* over HTTP_MANY_CHUNKS in one body */
	HTTP_EV_REQUEST_BODY_LIMIT,
	HTTP_EV_RESPONSE_BODY_LIMIT,
	HTTP_EV_DECOMPRESS_FAILED,      /* the rest of the body is kept as sent */
	HTTP_EV_DECOMPRESS_LIMIT,
	HTTP_EV_DECOMPRESS_LAYERS,      /* more codings than decompress_layers */
	HTTP_EV_UNKNOWN_ENCODING,
	HTTP_EV_URI_INVALID_ENCODING,   /* a % not followed by two hex digits */
	HTTP_EV_HOST_MISSING,           /* HTTP/1.1 request without Host */
	HTTP_EV_TRUNCATED,              /* stream closed inside a message */
	HTTP_EV_TUNNEL_DATA_CUT,        /* held CONNECT data over header_limit */
	HTTP_EV_JUNK_LINE,              /* a line before the status line, skipped */
	HTTP_EV_CHUNK_JUNK,             /* bytes around a chunk size ignored, or a
					 * size over 2^31-1 line skipped */
	HTTP_EV_DEFORMED_EOL,           /* a header ends in a run of CR/LF/SP/HT */
	HTTP_EV_MAX
};

#define HTTP_MAX_HEADERS 128            /* header lines per message */
#define HTTP_MANY_CHUNKS 65536          /* chunks per body before the event */

/* "header_too_long", ... ; NULL past HTTP_EV_MAX. */
const char *http_event_name(unsigned ev);

void http_config_default(struct http_config *c);
/* NULL when c is usable, else why not ("http: header-limit ..."). */
const char *http_config_check(const struct http_config *c);

/* Opaque per-flow state. */
struct http_state;

/* Bytes one flow's state needs (aligned as malloc aligns); 0 when
 * http_config_check() rejects c. */
size_t http_state_size(const struct http_config *c);
/* s points to http_state_size(c) bytes (from the caller's pool); c is
 * copied. */
void http_state_init(struct http_state *s, const struct http_config *c);
/* Ends any inflate streams. The memory stays the caller's. */
void http_state_fini(struct http_state *s);

/*
 * Feed len bytes of direction dir (0 to server, 1 to client). cb and ev
 * may be NULL; arg is passed to both.
 */
void http_parse(struct http_state *s, int dir, const uint8_t *data, uint32_t len,
		app_inspect_fn cb, app_event_fn ev, void *arg);
/* End of the stream in direction dir (FIN, RST, flow end): a body without
 * length completes; a message cut short is inspected as far as it got. */
void http_close(struct http_state *s, int dir, app_inspect_fn cb, app_event_fn ev,
		void *arg);

/* True when the direction stopped parsing (tunnel, or an unrecoverable
 * error); the caller may stop feeding it. */
bool http_done(const struct http_state *s, int dir);

/*
 * Protocol detection by content: to the server, a known request method,
 * a space and the start of a request target ('/', '*', or a letter);
 * to the client, "HTTP/1.". False until enough bytes are there to decide.
 */
bool http_probe(const uint8_t *p, uint32_t len, bool to_server);

#endif
