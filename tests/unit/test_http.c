/*
 * test_http: the HTTP/1.x parser (include/mamori/http.h, src/app/http.c).
 *
 * A recorder callback copies every inspection point (direction, tx id,
 * each present buffer, the alert metadata) and counts events; cases check
 * the buffers of well-formed messages one by one, then the framing
 * (pipelining, chunked, content-length, until close, HEAD, 1xx, CONNECT),
 * decompression (gzip, zlib, raw deflate, two layers, made here with zlib),
 * the bounds (header limit, body limits, gzip bomb, endless chunks) and
 * malformed input. The recorder also serialises everything it saw, so the
 * split cases can require the same transcript whether a stream arrives in
 * one call, in two at every possible cut, or a byte at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "harness.h"
#include "mamori/http.h"

#define MAX_PTS 64

struct pt {
	int dir;
	uint64_t tx;
	char *buf[RULE_BUF_MAX];        /* NUL-terminated copies, NULL: absent */
	uint32_t len[RULE_BUF_MAX];
	struct app_meta_http meta;
};

struct rec {
	int npts;
	struct pt pts[MAX_PTS];
	unsigned ev[HTTP_EV_MAX];
	char *log;                      /* transcript of points and events */
	size_t loglen, logcap;
};

static void logadd(struct rec *r, const void *p, size_t n)
{
	if (r->loglen + n + 1 > r->logcap) {
		r->logcap = (r->loglen + n + 1) * 2;
		r->log = realloc(r->log, r->logcap);
	}
	memcpy(r->log + r->loglen, p, n);
	r->loglen += n;
	r->log[r->loglen] = 0;
}

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct rec *r = arg;
	char line[128];
	int n;

	CU_ASSERT_EQUAL(in->proto, APP_PROTO_HTTP);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in->meta);
	n = snprintf(line, sizeof(line), "P%d/%llu st=%u len=%llu\n", in->dir,
		     (unsigned long long)in->tx_id, in->meta->u.http.status,
		     (unsigned long long)in->meta->u.http.length);
	logadd(r, line, (size_t)n);
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		if (!in->buf[b].p)
			continue;
		n = snprintf(line, sizeof(line), " %d:%u:", b, in->buf[b].len);
		logadd(r, line, (size_t)n);
		logadd(r, in->buf[b].p, in->buf[b].len);
		logadd(r, "\n", 1);
	}
	if (r->npts >= MAX_PTS)
		return;
	struct pt *p = &r->pts[r->npts++];

	p->dir = in->dir;
	p->tx = in->tx_id;
	p->meta = in->meta->u.http;
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		if (!in->buf[b].p)
			continue;
		p->buf[b] = malloc(in->buf[b].len + 1);
		memcpy(p->buf[b], in->buf[b].p, in->buf[b].len);
		p->buf[b][in->buf[b].len] = 0;
		p->len[b] = in->buf[b].len;
	}
}

static void on_event(void *arg, unsigned e)
{
	struct rec *r = arg;
	char line[32];
	int n;

	CU_ASSERT_FATAL(e < HTTP_EV_MAX);
	r->ev[e]++;
	n = snprintf(line, sizeof(line), "E%u\n", e);
	logadd(r, line, (size_t)n);
}

static void rec_free(struct rec *r)
{
	for (int i = 0; i < r->npts; i++)
		for (int b = 0; b < RULE_BUF_MAX; b++)
			free(r->pts[i].buf[b]);
	free(r->log);
	memset(r, 0, sizeof(*r));
}

static struct http_state *mk(const struct http_config *c)
{
	struct http_config def;

	if (!c) {
		http_config_default(&def);
		c = &def;
	}
	size_t n = http_state_size(c);

	CU_ASSERT_FATAL(n > 0);
	struct http_state *s = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	/* garbage in the caller's memory must not matter */
	memset(s, 0xa5, n);
	http_state_init(s, c);
	return s;
}

static void drop(struct http_state *s)
{
	http_state_fini(s);
	free(s);
}

static void feedn(struct http_state *s, struct rec *r, int dir, const void *p, size_t n)
{
	http_parse(s, dir, p, (uint32_t)n, on_inspect, on_event, r);
}

static void feed(struct http_state *s, struct rec *r, int dir, const char *str)
{
	feedn(s, r, dir, str, strlen(str));
}

/* Buffer b of point i equals want (NULL: absent). */
#define BUF_IS(r, i, b, want) buf_is(r, i, RULE_BUF_##b, want, __LINE__)
static void buf_is(struct rec *r, int i, int b, const char *want, int line)
{
	const char *got = i < r->npts ? r->pts[i].buf[b] : NULL;

	if (!want) {
		CU_ASSERT_PTR_NULL(got);
		if (got)
			fprintf(stderr, "line %d: buffer %s: want absent, got [%s]\n", line,
				rule_buffer_name(b), got);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL(got);
	if (!got) {
		fprintf(stderr, "line %d: buffer %s absent, want [%s]\n", line,
			rule_buffer_name(b), want);
		return;
	}
	CU_ASSERT_EQUAL(r->pts[i].len[b], strlen(want));
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "line %d: buffer %s: got [%s] want [%s]\n", line,
			rule_buffer_name(b), got, want);
}

/* ---- compression helpers ------------------------------------------------ */

/* wbits: 31 gzip, 15 zlib, -15 raw deflate. Returns a malloc'd buffer. */
static uint8_t *zcompress(const uint8_t *in, size_t n, int wbits, size_t *outlen)
{
	z_stream z;
	size_t cap = deflateBound(NULL, n) + 64;
	uint8_t *out = malloc(cap);

	memset(&z, 0, sizeof(z));
	CU_ASSERT_FATAL(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
	*outlen = z.total_out;
	deflateEnd(&z);
	return out;
}

/* A response "HTTP/1.1 200 OK" with extra headers and a body, into a
 * malloc'd buffer. */
static uint8_t *response(const char *hdrs, const uint8_t *body, size_t blen, size_t *len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\n%sContent-Length: %zu\r\n\r\n", hdrs, blen);
	uint8_t *m = malloc((size_t)n + blen);

	memcpy(m, head, (size_t)n);
	memcpy(m + n, body, blen);
	*len = (size_t)n + blen;
	return m;
}

/* ---- split invariance ----------------------------------------------------- */

/* Feed prelude (other direction) then data (dir) whole, in two parts at
 * every cut (every step-th), and a byte at a time; transcripts must agree.
 * Returns the reference transcript's point count. */
static int check_splits(const struct http_config *c, const char *prelude, int dir,
			const uint8_t *data, size_t len, size_t step, bool close)
{
	struct rec ref = { 0 };
	struct http_state *s = mk(c);
	int npts;

	if (prelude)
		feed(s, &ref, !dir, prelude);
	feedn(s, &ref, dir, data, len);
	if (close)
		http_close(s, dir, on_inspect, on_event, &ref);
	drop(s);
	npts = ref.npts;
	CU_ASSERT_FATAL(ref.log != NULL);

	for (size_t k = 1; k <= len; k += step) {
		struct rec r = { 0 };

		s = mk(c);
		if (prelude)
			feed(s, &r, !dir, prelude);
		if (k == len) {
			/* a byte at a time */
			for (size_t i = 0; i < len; i++)
				feedn(s, &r, dir, data + i, 1);
		} else {
			feedn(s, &r, dir, data, k);
			feedn(s, &r, dir, data + k, len - k);
		}
		if (close)
			http_close(s, dir, on_inspect, on_event, &r);
		drop(s);
		CU_ASSERT_PTR_NOT_NULL_FATAL(r.log);
		CU_ASSERT_EQUAL(r.loglen, ref.loglen);
		if (r.loglen != ref.loglen || memcmp(r.log, ref.log, ref.loglen) != 0) {
			CU_FAIL("transcript depends on the split");
			fprintf(stderr, "split at %zu of %zu differs\n", k, len);
			if (getenv("HTTP_TEST_DUMP"))
				fprintf(stderr, "--- whole\n%s\n--- split\n%s\n", ref.log, r.log);
			rec_free(&r);
			break;
		}
		rec_free(&r);
		if (k + step > len && k != len)
			k = len - step;         /* always end with the byte-at-a-time run */
	}
	rec_free(&ref);
	return npts;
}

/* ---- well-formed messages ------------------------------------------------ */

static const char REQ[] =
	"POST /a/./b/../c%2Fd?x=%41 HTTP/1.1\r\n"
	"Host: WWW.Example.COM:8080\r\n"
	"User-Agent: UA/1.0\r\n"
	"Cookie: a=b\r\n"
	"Referer: http://r/\r\n"
	"Accept: */*\r\n"
	"Accept-Language: en\r\n"
	"Accept-Encoding: gzip\r\n"
	"Connection: keep-alive\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"body";

static void test_request_buffers(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, REQ);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(r.pts[i].dir, 0);
		CU_ASSERT_EQUAL(r.pts[i].tx, 0);
		BUF_IS(&r, i, HTTP_METHOD, "POST");
		BUF_IS(&r, i, HTTP_URI, "/a/c/d?x=%41");
		BUF_IS(&r, i, HTTP_URI_RAW, "/a/./b/../c%2Fd?x=%41");
		BUF_IS(&r, i, HTTP_PROTOCOL, "HTTP/1.1");
		BUF_IS(&r, i, HTTP_REQUEST_LINE, "POST /a/./b/../c%2Fd?x=%41 HTTP/1.1");
		BUF_IS(&r, i, HTTP_HOST, "www.example.com");
		BUF_IS(&r, i, HTTP_HOST_RAW, "WWW.Example.COM:8080");
		BUF_IS(&r, i, HTTP_USER_AGENT, "UA/1.0");
		BUF_IS(&r, i, HTTP_COOKIE, "a=b");
		BUF_IS(&r, i, HTTP_REFERER, "http://r/");
		BUF_IS(&r, i, HTTP_ACCEPT, "*/*");
		BUF_IS(&r, i, HTTP_ACCEPT_LANG, "en");
		BUF_IS(&r, i, HTTP_ACCEPT_ENC, "gzip");
		BUF_IS(&r, i, HTTP_CONNECTION, "keep-alive");
		BUF_IS(&r, i, HTTP_CONTENT_TYPE, "text/plain");
		BUF_IS(&r, i, HTTP_CONTENT_LEN, "4");
		BUF_IS(&r, i, HTTP_HEADER,
		       "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0\r\n"
		       "Referer: http://r/\r\nAccept: */*\r\nAccept-Language: en\r\n"
		       "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n"
		       "Content-Type: text/plain\r\nContent-Length: 4\r\n");
		BUF_IS(&r, i, HTTP_HEADER_RAW,
		       "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0\r\nCookie: a=b\r\n"
		       "Referer: http://r/\r\nAccept: */*\r\nAccept-Language: en\r\n"
		       "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n"
		       "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\n");
		BUF_IS(&r, i, HTTP_HEADER_NAMES,
		       "\r\nHost\r\nUser-Agent\r\nCookie\r\nReferer\r\nAccept\r\n"
		       "Accept-Language\r\nAccept-Encoding\r\nConnection\r\nContent-Type\r\n"
		       "Content-Length\r\n\r\n");
		BUF_IS(&r, i, HTTP_REQUEST_HEADER,
		       "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0\r\nCookie: a=b\r\n"
		       "Referer: http://r/\r\nAccept: */*\r\nAccept-Language: en\r\n"
		       "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n"
		       "Content-Type: text/plain\r\nContent-Length: 4\r\n");
		BUF_IS(&r, i, HTTP_START,
		       "POST /a/./b/../c%2Fd?x=%41 HTTP/1.1\r\n"
		       "Host: WWW.Example.COM:8080\r\nUser-Agent: UA/1.0\r\nCookie: a=b\r\n"
		       "Referer: http://r/\r\nAccept: */*\r\nAccept-Language: en\r\n"
		       "Accept-Encoding: gzip\r\nConnection: keep-alive\r\n"
		       "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\n");
		BUF_IS(&r, i, HTTP_STAT_CODE, NULL);
		BUF_IS(&r, i, HTTP_RESPONSE_BODY, NULL);
		BUF_IS(&r, i, FILE_DATA, NULL);
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.hostname, "www.example.com");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.url, "/a/./b/../c%2Fd?x=%41");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.http_user_agent, "UA/1.0");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.http_method, "POST");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.protocol, "HTTP/1.1");
	}
	BUF_IS(&r, 0, HTTP_REQUEST_BODY, NULL);
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "body");
	for (int e = 0; e < HTTP_EV_MAX; e++)
		CU_ASSERT_EQUAL(r.ev[e], 0);
	CU_ASSERT_FALSE(http_done(s, 0));
	rec_free(&r);
	drop(s);
}

static void test_response_buffers(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, "GET /page HTTP/1.1\r\nHost: h.example\r\nUser-Agent: u\r\n\r\n");
	feed(s, &r, 1, "HTTP/1.1 404 Not Found\r\nServer: nginx\r\nLocation: /x\r\n"
		       "Set-Cookie: s=1\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	for (int i = 1; i < 3; i++) {
		CU_ASSERT_EQUAL(r.pts[i].dir, 1);
		CU_ASSERT_EQUAL(r.pts[i].tx, 0);
		BUF_IS(&r, i, HTTP_STAT_CODE, "404");
		BUF_IS(&r, i, HTTP_STAT_MSG, "Not Found");
		BUF_IS(&r, i, HTTP_RESPONSE_LINE, "HTTP/1.1 404 Not Found");
		BUF_IS(&r, i, HTTP_PROTOCOL, "HTTP/1.1");
		BUF_IS(&r, i, HTTP_SERVER, "nginx");
		BUF_IS(&r, i, HTTP_LOCATION, "/x");
		BUF_IS(&r, i, HTTP_COOKIE, "s=1");
		BUF_IS(&r, i, HTTP_CONTENT_TYPE, "text/html");
		BUF_IS(&r, i, HTTP_CONTENT_LEN, "5");
		BUF_IS(&r, i, HTTP_HEADER, "Server: nginx\r\nLocation: /x\r\n"
					   "Content-Type: text/html\r\nContent-Length: 5\r\n");
		BUF_IS(&r, i, HTTP_RESPONSE_HEADER, "Server: nginx\r\nLocation: /x\r\nSet-Cookie: s=1\r\n"
						    "Content-Type: text/html\r\nContent-Length: 5\r\n");
		BUF_IS(&r, i, HTTP_START, "HTTP/1.1 404 Not Found\r\nServer: nginx\r\nLocation: /x\r\n"
					  "Set-Cookie: s=1\r\nContent-Type: text/html\r\n"
					  "Content-Length: 5\r\n\r\n");
		BUF_IS(&r, i, HTTP_HEADER_NAMES, "\r\nServer\r\nLocation\r\nSet-Cookie\r\n"
						 "Content-Type\r\nContent-Length\r\n\r\n");
		/* and its request's own buffers, for rules that mix them */
		BUF_IS(&r, i, HTTP_URI, "/page");
		BUF_IS(&r, i, HTTP_URI_RAW, "/page");
		BUF_IS(&r, i, HTTP_METHOD, "GET");
		BUF_IS(&r, i, HTTP_REQUEST_LINE, "GET /page HTTP/1.1");
		BUF_IS(&r, i, HTTP_USER_AGENT, "u");
		BUF_IS(&r, i, HTTP_HOST, "h.example");
		BUF_IS(&r, i, HTTP_HOST_RAW, "h.example");
		BUF_IS(&r, i, HTTP_REQUEST_HEADER, "Host: h.example\r\nUser-Agent: u\r\n");
		BUF_IS(&r, i, HTTP_REQUEST_BODY, NULL);
		BUF_IS(&r, i, HTTP_REFERER, NULL);
		CU_ASSERT_EQUAL(r.pts[i].meta.status, 404);
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.hostname, "h.example");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.url, "/page");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.http_user_agent, "u");
		CU_ASSERT_STRING_EQUAL(r.pts[i].meta.http_content_type, "text/html");
	}
	BUF_IS(&r, 1, HTTP_RESPONSE_BODY, NULL);
	BUF_IS(&r, 2, HTTP_RESPONSE_BODY, "hello");
	BUF_IS(&r, 2, FILE_DATA, "hello");
	CU_ASSERT_EQUAL(r.pts[1].meta.length, 0);
	CU_ASSERT_EQUAL(r.pts[2].meta.length, 5);
	rec_free(&r);
	drop(s);
}

/* Both header blocks at their limit, 128 lines each (every derived line 2
 * bytes longer than its raw one), Cookie and Set-Cookie present: the
 * response point holds its own and its request's buffers uncut. */
static void test_scratch_bound(void)
{
	struct http_config c;
	struct rec r = { 0 };
	struct http_state *s;
	char req[4096], resp[4096], want[8192], rwant[8192];
	size_t n = 0, m = 0, w = 0, rw = 0;

	http_config_default(&c);
	c.header_limit = 2048;
	s = mk(&c);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "GET /%%41");
	while (n < 700)
		req[n++] = 'u';
	n += (size_t)snprintf(req + n, sizeof(req) - n, " HTTP/1.1\nCookie:k\nHost:h\n");
	m += (size_t)snprintf(resp + m, sizeof(resp) - m, "HTTP/1.1 200 OK\nSet-Cookie:k\n");
	for (int i = 0; i < 125; i++) {
		n += (size_t)snprintf(req + n, sizeof(req) - n, "q%03d:v\n", i);
		m += (size_t)snprintf(resp + m, sizeof(resp) - m, "r%03d:v\n", i);
		w += (size_t)snprintf(want + w, sizeof(want) - w, "q%03d: v\r\n", i);
		rw += (size_t)snprintf(rwant + rw, sizeof(rwant) - rw, "r%03d: v\r\n", i);
	}
	rw += (size_t)snprintf(rwant + rw, sizeof(rwant) - rw, "Content-Length: 0\r\n");
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\n");
	m += (size_t)snprintf(resp + m, sizeof(resp) - m, "Content-Length: 0\n\n");
	CU_ASSERT_FATAL(n <= 2048 && m <= 2048);
	feedn(s, &r, 0, req, n);
	feedn(s, &r, 1, resp, m);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HEADER_TOO_LONG], 0);
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		/* the request's own buffers, identical at both points */
		if (b == RULE_BUF_HTTP_PROTOCOL || b == RULE_BUF_HTTP_HEADER ||
		    b == RULE_BUF_HTTP_HEADER_RAW || b == RULE_BUF_HTTP_HEADER_NAMES ||
		    b == RULE_BUF_HTTP_START || b == RULE_BUF_HTTP_COOKIE ||
		    !r.pts[0].buf[b])
			continue;
		CU_ASSERT_PTR_NOT_NULL(r.pts[1].buf[b]);
		CU_ASSERT_EQUAL(r.pts[1].len[b], r.pts[0].len[b]);
		CU_ASSERT(r.pts[1].buf[b] && !memcmp(r.pts[0].buf[b], r.pts[1].buf[b],
						   r.pts[0].len[b]));
	}
	/* "GET " and the "%41" decoded */
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_HTTP_URI], 700 - 4 - 2);
	CU_ASSERT(r.pts[1].buf[RULE_BUF_HTTP_REQUEST_HEADER] &&
		  strstr(r.pts[1].buf[RULE_BUF_HTTP_REQUEST_HEADER], want));
	/* the response's own, whole */
	BUF_IS(&r, 1, HTTP_HEADER, rwant);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_HTTP_START],
			strlen("HTTP/1.1 200 OK\r\nSet-Cookie: k\r\n") + rw + 2);
	rec_free(&r);
	drop(s);
}

/* A response point carries its request's buffers while the state holds
 * them: until the next request's first byte. */
static void test_response_has_request(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	/* a POST with a body; URI normalised as at the request point, and
	 * its invalid escape not counted again */
	feed(s, &r, 0, "POST /a/../up%zz HTTP/1.1\r\nHost: H.Example:8080\r\n"
		       "Content-Length: 4\r\n\r\ndata");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_URI_INVALID_ENCODING], 2);
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	CU_ASSERT_EQUAL_FATAL(r.npts, 4);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_URI_INVALID_ENCODING], 2);
	for (int i = 2; i < 4; i++) {
		CU_ASSERT_EQUAL(r.pts[i].tx, 0);
		BUF_IS(&r, i, HTTP_URI, "/up%zz");
		BUF_IS(&r, i, HTTP_HOST, "h.example");
		BUF_IS(&r, i, HTTP_REQUEST_BODY, "data");
		BUF_IS(&r, i, HTTP_STAT_CODE, "200");
		BUF_IS(&r, i, HTTP_CONTENT_LEN, "2");   /* the response's own */
	}
	BUF_IS(&r, 3, FILE_DATA, "ok");
	/* a GET: its response has no request body (the POST's is gone) */
	feed(s, &r, 0, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
	/* the next request's first byte ends the held one: a response that
	 * arrives after it cannot pair buffers that are gone */
	feed(s, &r, 0, "G");
	feed(s, &r, 1, "HTTP/1.1 304 Not Modified\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 6);
	CU_ASSERT_EQUAL(r.pts[5].tx, 1);
	BUF_IS(&r, 5, HTTP_STAT_CODE, "304");
	BUF_IS(&r, 5, HTTP_URI, NULL);
	/* ... while the request after it pairs with its own response */
	feed(s, &r, 0, "ET /c HTTP/1.1\r\nHost: x\r\n\r\n");
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 8);
	CU_ASSERT_EQUAL(r.pts[7].tx, 2);
	BUF_IS(&r, 7, HTTP_URI, "/c");
	BUF_IS(&r, 7, HTTP_METHOD, "GET");
	BUF_IS(&r, 7, HTTP_REQUEST_BODY, NULL);
	rec_free(&r);
	drop(s);

	/* the request body buffer is not reused for a GET */
	s = mk(NULL);
	feed(s, &r, 0, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	feed(s, &r, 0, "GET /g HTTP/1.1\r\nHost: x\r\n\r\n");
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 5);
	BUF_IS(&r, 2, HTTP_REQUEST_BODY, "abc");
	BUF_IS(&r, 4, HTTP_URI, "/g");
	BUF_IS(&r, 4, HTTP_REQUEST_BODY, NULL);
	rec_free(&r);
	drop(s);

	/* an HTTP/0.9 request: its line, no headers */
	s = mk(NULL);
	feed(s, &r, 0, "GET /old\r\n");
	feed(s, &r, 1, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_URI, "/old");
	BUF_IS(&r, 1, HTTP_REQUEST_HEADER, NULL);
	BUF_IS(&r, 1, HTTP_HOST, NULL);
	rec_free(&r);
	drop(s);
}

static const char PIPE[] =
	"GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
	"POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
	"\r\n"                                 /* a stray line end, tolerated */
	"GET /three HTTP/1.1\r\nHost: a\r\n\r\n";

static void test_pipelining(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);
	static const char RESP[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
		"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
		"HTTP/1.1 204 No Content\r\n\r\n";

	feed(s, &r, 0, PIPE);
	CU_ASSERT_EQUAL_FATAL(r.npts, 4);
	BUF_IS(&r, 0, HTTP_URI, "/one");
	CU_ASSERT_EQUAL(r.pts[0].tx, 0);
	BUF_IS(&r, 1, HTTP_URI, "/two");
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, NULL);
	CU_ASSERT_EQUAL(r.pts[1].tx, 1);
	BUF_IS(&r, 2, HTTP_URI, "/two");
	BUF_IS(&r, 2, HTTP_REQUEST_BODY, "hello world");
	CU_ASSERT_EQUAL(r.pts[2].tx, 1);
	BUF_IS(&r, 3, HTTP_URI, "/three");
	CU_ASSERT_EQUAL(r.pts[3].tx, 2);

	feed(s, &r, 1, RESP);
	CU_ASSERT_EQUAL_FATAL(r.npts, 8);
	BUF_IS(&r, 4, HTTP_STAT_CODE, "200");
	BUF_IS(&r, 5, FILE_DATA, "A");
	BUF_IS(&r, 6, HTTP_STAT_CODE, "201");
	BUF_IS(&r, 7, HTTP_STAT_CODE, "204");
	CU_ASSERT_EQUAL(r.pts[6].tx, 1);
	CU_ASSERT_EQUAL(r.pts[7].tx, 2);
	/* responses carry their own request's metadata; its buffers only
	 * while the state holds them: the last request's */
	BUF_IS(&r, 4, HTTP_URI, NULL);
	BUF_IS(&r, 6, HTTP_URI, NULL);
	BUF_IS(&r, 6, HTTP_REQUEST_BODY, NULL);
	BUF_IS(&r, 7, HTTP_URI, "/three");
	CU_ASSERT_STRING_EQUAL(r.pts[4].meta.url, "/one");
	CU_ASSERT_STRING_EQUAL(r.pts[6].meta.url, "/two");
	CU_ASSERT_STRING_EQUAL(r.pts[7].meta.url, "/three");
	rec_free(&r);
	drop(s);

	CU_ASSERT_EQUAL(check_splits(NULL, NULL, 0, (const uint8_t *)PIPE, strlen(PIPE), 1, false), 4);
	CU_ASSERT_EQUAL(check_splits(NULL, PIPE, 1, (const uint8_t *)RESP, strlen(RESP), 1, false), 8);
}

static const char CHUNKED[] =
	"POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	"4;name=value\r\nWiki\r\n"
	"5 \r\npedia\r\n"
	"e\r\n in\r\n\r\nchunks.\r\n"
	"0\r\nTrailer-One: x\r\nTrailer-Two: y\r\n\r\n"
	"GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

static void test_chunked(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, CHUNKED);
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "Wikipedia in\r\n\r\nchunks.");
	BUF_IS(&r, 2, HTTP_URI, "/next");
	CU_ASSERT_EQUAL(r.pts[2].tx, 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 0);
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(NULL, NULL, 0, (const uint8_t *)CHUNKED, strlen(CHUNKED), 1, false), 3);

	/* chunked wins over Content-Length; bare LF line ends in chunks */
	s = mk(NULL);
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "3\nabc\n2\r\nde\r\n0\n\n"
		       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	BUF_IS(&r, 1, HTTP_RESPONSE_BODY, "abcde");
	CU_ASSERT_EQUAL(r.pts[2].tx, 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CL_AND_CHUNKED], 1);
	rec_free(&r);
	drop(s);
}

/* ---- decompression ------------------------------------------------------- */

static void one_encoded(int wbits, const char *coding)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);
	uint8_t plain[3000];
	char hdr[64];
	size_t clen, mlen;

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)("the quick brown fox "[i % 20] + (i / 997));
	uint8_t *comp = zcompress(plain, sizeof(plain), wbits, &clen);

	snprintf(hdr, sizeof(hdr), "Content-Encoding: %s\r\n", coding);
	uint8_t *msg = response(hdr, comp, clen, &mlen);

	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_HTTP_RESPONSE_BODY], sizeof(plain));
	CU_ASSERT(r.pts[1].buf[RULE_BUF_FILE_DATA] &&
		  memcmp(r.pts[1].buf[RULE_BUF_FILE_DATA], plain, sizeof(plain)) == 0);
	CU_ASSERT_EQUAL(r.pts[1].meta.length, clen);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 0);
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(NULL, NULL, 1, msg, mlen, 7, false), 2);
	free(comp);
	free(msg);
}

static void test_gzip_deflate(void)
{
	one_encoded(31, "gzip");
	one_encoded(31, "x-gzip");
	one_encoded(15, "deflate");
	one_encoded(-15, "deflate");       /* raw deflate, as some servers send */
}

static void test_two_layers_and_failures(void)
{
	struct rec r = { 0 };
	struct http_state *s;
	const char *plain = "layered content layered content layered content";
	size_t l1, l2, mlen;
	uint8_t *in = zcompress((const uint8_t *)plain, strlen(plain), 15, &l1);
	uint8_t *out = zcompress(in, l1, 31, &l2);
	uint8_t *msg = response("Content-Encoding: deflate, gzip\r\n", out, l2, &mlen);

	s = mk(NULL);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, FILE_DATA, plain);
	rec_free(&r);
	drop(s);
	free(msg);

	/* over the layer limit: only the outer coding is undone */
	struct http_config c;

	http_config_default(&c);
	c.decompress_layers = 1;
	s = mk(&c);
	msg = response("Content-Encoding: deflate, gzip\r\n", out, l2, &mlen);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_LAYERS], 1);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_FILE_DATA], l1);
	CU_ASSERT(memcmp(r.pts[1].buf[RULE_BUF_FILE_DATA], in, l1) == 0);
	rec_free(&r);
	drop(s);
	free(msg);

	/* not compressed at all: an event, the body kept as sent */
	s = mk(NULL);
	msg = response("Content-Encoding: gzip\r\n", (const uint8_t *)"plain text!", 11, &mlen);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 1);
	BUF_IS(&r, 1, FILE_DATA, "plain text!");
	rec_free(&r);
	drop(s);
	free(msg);

	/* corrupt in the middle: what inflated, then the rest as sent */
	uint8_t *bad = malloc(l2);

	memcpy(bad, out, l2);
	for (size_t i = 12; i < l2; i++)
		bad[i] ^= 0x55;
	s = mk(NULL);
	msg = response("Content-Encoding: gzip\r\n", bad, l2, &mlen);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 1);
	CU_ASSERT_PTR_NOT_NULL(r.pts[1].buf[RULE_BUF_FILE_DATA]);
	/* brotli is not undone */
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 3\r\n\r\nxyz");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_UNKNOWN_ENCODING], 1);
	BUF_IS(&r, 3, FILE_DATA, "xyz");
	rec_free(&r);
	drop(s);
	free(msg);
	free(bad);
	free(in);
	free(out);
}

static void test_gzip_bomb(void)
{
	size_t big = 64u << 20, clen, mlen;
	uint8_t *zeros = calloc(1, big);
	uint8_t *comp = zcompress(zeros, big, 31, &clen);
	struct http_config c;
	struct rec r = { 0 };
	struct http_state *s;

	CU_ASSERT(clen < big / 500);   /* it is a bomb */
	/* a bomb, then a normal response that must still be seen */
	uint8_t *msg = response("Content-Encoding: gzip\r\n", comp, clen, &mlen);

	msg = realloc(msg, mlen + 64);
	memcpy(msg + mlen, "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n", 41);
	mlen += 41;

	http_config_default(&c);
	s = mk(&c);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_FILE_DATA], c.response_body_limit);
	CU_ASSERT(memcmp(r.pts[1].buf[RULE_BUF_FILE_DATA], zeros, c.response_body_limit) == 0);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_RESPONSE_BODY_LIMIT], 1);
	BUF_IS(&r, 2, HTTP_STAT_CODE, "302");
	CU_ASSERT_EQUAL(r.pts[2].tx, 1);
	rec_free(&r);
	drop(s);

	/* the decompression cap under the body limit */
	c.decompress_limit = 10000;
	s = mk(&c);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_FILE_DATA], 10000);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_LIMIT], 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_RESPONSE_BODY_LIMIT], 0);
	BUF_IS(&r, 2, HTTP_STAT_CODE, "302");
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(&c, NULL, 1, msg, mlen, mlen / 13 + 1, false), 3);
	free(msg);
	free(comp);

	/* the body limit under the cap: that limit's event alone, however
	 * the inflated bytes come (found by fuzz_http's split check) */
	c.response_body_limit = 128;
	c.decompress_limit = 256;
	comp = zcompress(zeros, 1000, -15, &clen);
	msg = response("Content-Encoding: deflate\r\n", comp, clen, &mlen);
	s = mk(&c);
	feedn(s, &r, 1, msg, mlen);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_FILE_DATA], 128);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_RESPONSE_BODY_LIMIT], 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_LIMIT], 0);
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(&c, NULL, 1, msg, mlen, 1, false), 2);
	free(msg);
	free(comp);
	free(zeros);
}

/* ---- bounds ----------------------------------------------------------------- */

static void test_huge_header(void)
{
	struct http_config c;
	struct rec r = { 0 };
	struct http_state *s;
	size_t n = 0, cap = 40000;
	char *m = malloc(cap);

	http_config_default(&c);
	c.header_limit = 1024;
	n += (size_t)sprintf(m + n, "GET /big HTTP/1.1\r\nHost: h\r\nX-Big: ");
	memset(m + n, 'A', 20000);
	n += 20000;
	n += (size_t)sprintf(m + n, "\r\nContent-Length: 2\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");

	s = mk(&c);
	feedn(s, &r, 0, m, n);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HEADER_TOO_LONG], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	/* inspected as far as kept: the complete lines only */
	BUF_IS(&r, 0, HTTP_URI, "/big");
	BUF_IS(&r, 0, HTTP_HOST, "h");
	BUF_IS(&r, 0, HTTP_HEADER, "Host: h\r\n");
	/* Content-Length was past the cut: no body, the next request parses */
	BUF_IS(&r, 1, HTTP_URI, "/after");
	CU_ASSERT_EQUAL(r.pts[1].tx, 1);
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(&c, NULL, 0, (uint8_t *)m, n, 97, false), 2);

	/* a request line longer than the limit: not inspected, resynchronised */
	n = (size_t)sprintf(m, "GET /");
	memset(m + n, 'b', 3000);
	n += 3000;
	n += (size_t)sprintf(m + n, " HTTP/1.1\r\nHost: h\r\n\r\nGET /ok HTTP/1.1\r\n\r\n");
	s = mk(&c);
	feedn(s, &r, 0, m, n);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HEADER_TOO_LONG], 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_REQUEST_LINE], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	BUF_IS(&r, 0, HTTP_URI, "/ok");
	rec_free(&r);
	drop(s);

	/* too many header lines: the first HTTP_MAX_HEADERS kept */
	n = (size_t)sprintf(m, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 10; i++)
		n += (size_t)sprintf(m + n, "X-%d: v\r\n", i);
	n += (size_t)sprintf(m + n, "\r\n");
	s = mk(NULL);
	feedn(s, &r, 0, m, n);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_TOO_MANY_HEADERS], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.pts[0].buf[RULE_BUF_HTTP_HEADER], "X-127: v\r\n"));
	CU_ASSERT_PTR_NULL(strstr(r.pts[0].buf[RULE_BUF_HTTP_HEADER], "X-128: v\r\n"));
	rec_free(&r);
	drop(s);
	free(m);
}

static void test_endless_chunks(void)
{
	struct http_config c;
	struct rec r = { 0 };
	struct http_state *s;
	char blk[7 * 1000];

	http_config_default(&c);
	c.request_body_limit = 1000;
	s = mk(&c);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 1000; i++)
		memcpy(blk + i * 7, "2\r\nab\r\n", 7);
	for (int k = 0; k < 200; k++)           /* 200,000 chunks, 400,000 bytes */
		feedn(s, &r, 0, blk, sizeof(blk));
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_HTTP_REQUEST_BODY], 1000);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_REQUEST_BODY_LIMIT], 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_MANY_CHUNKS], 1);
	CU_ASSERT_FALSE(http_done(s, 0));
	/* still in step: the end of the body and the next request */
	feed(s, &r, 0, "0\r\n\r\nGET /n HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	BUF_IS(&r, 2, HTTP_URI, "/n");
	rec_free(&r);
	drop(s);

	/* an over-long chunk-size line (extensions forever) stops the direction */
	s = mk(NULL);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;");
	memset(blk, 'x', sizeof(blk));
	feedn(s, &r, 0, blk, sizeof(blk));
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 1);
	CU_ASSERT_TRUE(http_done(s, 0));
	rec_free(&r);
	drop(s);
}

static void test_body_limits(void)
{
	struct http_config c;
	struct rec r = { 0 };
	struct http_state *s;
	char body[300];

	http_config_default(&c);
	c.request_body_limit = 100;
	c.response_body_limit = 0;      /* bodies not inspected */
	memset(body, 'q', sizeof(body));
	s = mk(&c);
	feed(s, &r, 0, "PUT /f HTTP/1.1\r\nContent-Length: 300\r\n\r\n");
	feedn(s, &r, 0, body, sizeof(body));
	feed(s, &r, 0, "GET /g HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	CU_ASSERT_EQUAL(r.pts[1].len[RULE_BUF_HTTP_REQUEST_BODY], 100);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_REQUEST_BODY_LIMIT], 1);
	BUF_IS(&r, 2, HTTP_URI, "/g");
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	CU_ASSERT_EQUAL(r.npts, 4);
	BUF_IS(&r, 3, FILE_DATA, NULL);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_RESPONSE_BODY_LIMIT], 0);
	rec_free(&r);
	drop(s);
}

/* ---- syntax ----------------------------------------------------------------- */

static void test_folding_and_repeats(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);
	static const char M[] =
		"GET / HTTP/1.1\r\nHost: h\r\nX-Long: a\r\n  b\r\n\tc\r\n"
		"Accept: text/html\r\naccept: */*\r\nUser-Agent:   padded ua  \r\n\r\n";

	feed(s, &r, 0, M);
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HEADER_FOLDING], 1);
	BUF_IS(&r, 0, HTTP_HEADER, "Host: h\r\nX-Long: a  b\tc\r\nAccept: text/html, */*\r\n"
				   "User-Agent: padded ua\r\n");
	BUF_IS(&r, 0, HTTP_ACCEPT, "text/html, */*");
	BUF_IS(&r, 0, HTTP_USER_AGENT, "padded ua");
	BUF_IS(&r, 0, HTTP_HEADER_NAMES, "\r\nHost\r\nX-Long\r\nAccept\r\nUser-Agent\r\n\r\n");
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(NULL, NULL, 0, (const uint8_t *)M, strlen(M), 1, false), 1);
}

static void test_bare_lf(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, "\r\n\nGET /lf HTTP/1.0\nHost: a\nContent-Length: 2\n\nxyGET /z HTTP/1.0\n\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_MISSING_CR], 2);
	BUF_IS(&r, 0, HTTP_HEADER, "Host: a\r\nContent-Length: 2\r\n");
	BUF_IS(&r, 0, HTTP_HEADER_RAW, "Host: a\nContent-Length: 2\n\n");
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "xy");
	BUF_IS(&r, 2, HTTP_URI, "/z");
	rec_free(&r);
	drop(s);
}

static void test_uri_normalisation(void)
{
	static const struct { const char *raw, *want; bool bad; } cases[] = {
		{ "/a/b/../c", "/a/c", false },
		{ "/./a", "/a", false },
		{ "/a/.", "/a/", false },
		{ "/a/..", "/", false },
		{ "/a/b/..", "/a/", false },
		{ "/../../etc/passwd", "/etc/passwd", false },
		{ "/a//b///c", "/a/b/c", false },
		{ "/a\\b\\..\\c", "/a/c", false },
		{ "/%2e%2e/%2E%2e/x", "/x", false },
		{ "/a%2fb", "/a/b", false },
		{ "/a%2f%2f%2fb", "/a/b", false },
		{ "/%u002e%u002e/x", "/x", false },
		{ "/%uff0e%uFF0E/%uFF0Fy", "/y", false },
		{ "/%u4e2d", "/?", false },
		{ "/%41%62c", "/Abc", false },
		{ "/p%zz", "/p%zz", true },
		{ "/p%4", "/p%4", true },
		{ "/a?b=../c&d=%41", "/a?b=../c&d=%41", false },
		{ "/a/../b#frag/../x", "/b#frag/../x", false },
		{ "/CaSe/../Kept", "/Kept", false },
		{ "/%00x", "/\0x", false },
		{ "http://EXAMPLE.com:80/a/../b?q", "http://example.com:80/b?q", false },
		{ "*", "*", false },
		{ "/", "/", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r = { 0 };
		struct http_state *s = mk(NULL);
		char m[256];

		snprintf(m, sizeof(m), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", cases[i].raw);
		feed(s, &r, 0, m);
		CU_ASSERT_EQUAL_FATAL(r.npts, 1);
		size_t wl = strlen(cases[i].want);

		if (strcmp(cases[i].raw, "/%00x") == 0)
			wl = 3;
		CU_ASSERT_EQUAL(r.pts[0].len[RULE_BUF_HTTP_URI], wl);
		if (r.pts[0].len[RULE_BUF_HTTP_URI] != wl ||
		    memcmp(r.pts[0].buf[RULE_BUF_HTTP_URI], cases[i].want, wl) != 0) {
			CU_FAIL("uri");
			fprintf(stderr, "uri %s: got [%s] want [%s]\n", cases[i].raw,
				r.pts[0].buf[RULE_BUF_HTTP_URI], cases[i].want);
		}
		BUF_IS(&r, 0, HTTP_URI_RAW, cases[i].raw);
		CU_ASSERT_EQUAL(r.ev[HTTP_EV_URI_INVALID_ENCODING], cases[i].bad ? 1 : 0);
		rec_free(&r);
		drop(s);
	}
}

static void test_host(void)
{
	static const struct { const char *req, *host, *raw; } cases[] = {
		{ "GET / HTTP/1.1\r\nHost: Example.COM.:8080\r\n\r\n", "example.com", "Example.COM.:8080" },
		{ "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "[::1]", "[::1]:80" },
		{ "GET / HTTP/1.1\r\nHost:   spaced  \r\n\r\n", "spaced", "spaced" },
		/* an absolute URI's authority wins for http.host, as libhtp */
		{ "GET http://User@URI.Host:81/x HTTP/1.1\r\nHost: other\r\n\r\n", "uri.host", "other" },
		{ "GET http://Only.Uri/x HTTP/1.1\r\n\r\n", "only.uri", "Only.Uri" },
		{ "GET / HTTP/1.1\r\n\r\n", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec r = { 0 };
		struct http_state *s = mk(NULL);

		feed(s, &r, 0, cases[i].req);
		CU_ASSERT_EQUAL_FATAL(r.npts, 1);
		BUF_IS(&r, 0, HTTP_HOST, cases[i].host);
		BUF_IS(&r, 0, HTTP_HOST_RAW, cases[i].raw);
		CU_ASSERT_STRING_EQUAL(r.pts[0].meta.hostname, cases[i].host ? cases[i].host : "");
		/* as libhtp: HTTP/1.1 wants the header even with an absolute URI */
		CU_ASSERT_EQUAL(r.ev[HTTP_EV_HOST_MISSING], i >= 4 ? 1 : 0);
		rec_free(&r);
		drop(s);
	}
}

/* ---- framing ------------------------------------------------------------ */

static void test_http09(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, "GET /old/../page.html\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HTTP09_REQUEST], 1);
	BUF_IS(&r, 0, HTTP_METHOD, "GET");
	BUF_IS(&r, 0, HTTP_URI, "/page.html");
	BUF_IS(&r, 0, HTTP_PROTOCOL, NULL);
	BUF_IS(&r, 0, HTTP_HEADER, NULL);
	feed(s, &r, 1, "<html>old style</html>");
	CU_ASSERT_EQUAL(r.npts, 1);
	http_close(s, 1, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, FILE_DATA, "<html>old style</html>");
	BUF_IS(&r, 1, HTTP_STAT_CODE, NULL);
	CU_ASSERT_STRING_EQUAL(r.pts[1].meta.url, "/old/../page.html");
	CU_ASSERT_TRUE(http_done(s, 1));
	rec_free(&r);
	drop(s);
}

static void test_until_close(void)
{
	static const char M[] = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nsome data\r\n\r\nand more";
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 1, M);
	CU_ASSERT_EQUAL(r.npts, 1);
	http_close(s, 1, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_RESPONSE_BODY, "some data\r\n\r\nand more");
	BUF_IS(&r, 1, HTTP_SERVER, "x");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_TRUNCATED], 0);
	rec_free(&r);
	drop(s);
	CU_ASSERT_EQUAL(check_splits(NULL, NULL, 1, (const uint8_t *)M, strlen(M), 1, true), 2);

	/* cut inside a Content-Length body: inspected as far as it got */
	s = mk(NULL);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	http_close(s, 0, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "abc");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_TRUNCATED], 1);
	rec_free(&r);
	drop(s);

	/* cut inside the headers: the complete lines are inspected */
	s = mk(NULL);
	feed(s, &r, 0, "GET /cut HTTP/1.1\r\nHost: a\r\nUser-Ag");
	http_close(s, 0, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	BUF_IS(&r, 0, HTTP_URI, "/cut");
	BUF_IS(&r, 0, HTTP_HEADER, "Host: a\r\n");
	BUF_IS(&r, 0, HTTP_USER_AGENT, NULL);
	rec_free(&r);
	drop(s);
}

static void test_head_1xx_continue(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	feed(s, &r, 0, "HEAD /h HTTP/1.1\r\nHost: a\r\n\r\n"
		       "POST /p HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
	CU_ASSERT_EQUAL(r.npts, 2);
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"     /* HEAD: no body */
		       "HTTP/1.1 100 Continue\r\n\r\n");
	feed(s, &r, 0, "ok");
	feed(s, &r, 1, "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone");
	CU_ASSERT_EQUAL_FATAL(r.npts, 6);
	BUF_IS(&r, 2, HTTP_STAT_CODE, "200");
	CU_ASSERT_EQUAL(r.pts[2].tx, 0);
	BUF_IS(&r, 3, HTTP_REQUEST_BODY, "ok");
	BUF_IS(&r, 4, HTTP_STAT_CODE, "201");      /* the 100 was no point */
	CU_ASSERT_EQUAL(r.pts[4].tx, 1);
	CU_ASSERT_STRING_EQUAL(r.pts[4].meta.url, "/p");
	BUF_IS(&r, 5, FILE_DATA, "done");
	rec_free(&r);
	drop(s);
}

static void test_connect(void)
{
	struct rec r = { 0 };
	struct http_state *s = mk(NULL);

	/* accepted: both directions become a tunnel */
	feed(s, &r, 0, "CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n\x16\x03\x01GET / HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	BUF_IS(&r, 0, HTTP_URI, "host:443");
	feed(s, &r, 1, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01HTTP/1.1 200 OK\r\n\r\n");
	feed(s, &r, 0, "GET /inside HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(r.npts, 2);
	CU_ASSERT_TRUE(http_done(s, 0));
	CU_ASSERT_TRUE(http_done(s, 1));
	rec_free(&r);
	drop(s);

	/* refused: the held request is parsed after the response */
	s = mk(NULL);
	feed(s, &r, 0, "CONNECT host:443 HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	CU_ASSERT_EQUAL(r.npts, 1);
	feed(s, &r, 1, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 4);
	BUF_IS(&r, 1, HTTP_STAT_CODE, "407");
	BUF_IS(&r, 2, HTTP_URI, "/after");
	CU_ASSERT_EQUAL(r.pts[2].tx, 1);
	BUF_IS(&r, 3, HTTP_REQUEST_BODY, "abc");
	feed(s, &r, 0, "GET /more HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 5);
	BUF_IS(&r, 4, HTTP_URI, "/more");
	CU_ASSERT_FALSE(http_done(s, 0));
	rec_free(&r);
	drop(s);

	/* held bytes over the limit: cut, counted once however they arrive
	 * (found by fuzz_http's split check) */
	struct http_config c;

	http_config_default(&c);
	c.request_body_limit = 16;
	s = mk(&c);
	feed(s, &r, 0, "CONNECT h:2 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nX: 1234567");
	feed(s, &r, 0, "0123456789012345678901234567890123456789");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_TUNNEL_DATA_CUT], 1);
	CU_ASSERT_EQUAL(r.npts, 1);
	rec_free(&r);
	drop(s);

	/* 101 Switching Protocols ends parsing */
	s = mk(NULL);
	feed(s, &r, 0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n");
	feed(s, &r, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello");
	CU_ASSERT_EQUAL(r.npts, 2);
	CU_ASSERT_TRUE(http_done(s, 1));
	rec_free(&r);
	drop(s);
}

/* ---- malformed ------------------------------------------------------------- */

static void test_malformed(void)
{
	struct rec r = { 0 };
	struct http_state *s;

	s = mk(NULL);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nContent-Length: -1\r\nNoColonHere\r\n: empty name\r\n\r\n"
		       "GET /next HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CONTENT_LENGTH], 1);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_HEADER], 2);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_URI, "/next");
	rec_free(&r);
	drop(s);

	s = mk(NULL);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab"
		       "GET /n HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CONFLICTING_CONTENT_LENGTH], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	BUF_IS(&r, 2, HTTP_URI, "/n");
	rec_free(&r);
	drop(s);

	/* a response chunk-size line that is none: the body runs on as sent
	 * to the end of the stream, the line included (libhtp-rs) */
	static const char *bad_chunks[] = { "zz\r\n", "FFFFFFFFFFFFFFFFFF\r\n", ";ext\r\n" };

	for (size_t i = 0; i < sizeof(bad_chunks) / sizeof(bad_chunks[0]); i++) {
		char want[64];

		s = mk(NULL);
		feed(s, &r, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
		feed(s, &r, 1, bad_chunks[i]);
		feed(s, &r, 1, "tail");
		CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 1);
		CU_ASSERT_FALSE(http_done(s, 1));
		CU_ASSERT_EQUAL(r.npts, 1);
		http_close(s, 1, on_inspect, on_event, &r);
		CU_ASSERT_EQUAL_FATAL(r.npts, 2);
		snprintf(want, sizeof(want), "abc%stail", bad_chunks[i]);
		BUF_IS(&r, 1, FILE_DATA, want);
		rec_free(&r);
		drop(s);
	}
	/* ... a request direction stops */
	s = mk(NULL);
	feed(s, &r, 0, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 1);
	CU_ASSERT_TRUE(http_done(s, 0));
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "abc");
	rec_free(&r);
	drop(s);

	/* junk after chunk data: skipped up to the LF (libhtp-rs) */
	s = mk(NULL);
	feed(s, &r, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "3\r\nabcXY\r\n4\r\ndefg\n0\r\n\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CHUNK_AFTER_DATA], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, FILE_DATA, "abcdefg");
	rec_free(&r);
	drop(s);

	/* bad status lines */
	s = mk(NULL);
	feed(s, &r, 1, "HTTP/1.1 2x0 Odd\r\nContent-Length: 0\r\n\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_RESPONSE_LINE], 1);
	CU_ASSERT_EQUAL_FATAL(r.npts, 1);
	CU_ASSERT_EQUAL(r.pts[0].meta.status, 0);
	rec_free(&r);
	drop(s);
}

/* ---- evasions (http-evader, as Suricata 8's libhtp-rs reads them) ----- */

static const char EREQ[] = "GET /e HTTP/1.1\r\nHost: h\r\n\r\n";

/* A request, then the response (n bytes, NULs allowed), then the end of
 * the stream; returns the last point's file data (NULL: none). The
 * response must read the same in one call, in two at every cut, and a
 * byte at a time. */
static const char *evade(struct rec *r, const void *resp, size_t n)
{
	struct http_state *s = mk(NULL);

	feed(s, r, 0, EREQ);
	feedn(s, r, 1, resp, n);
	http_close(s, 1, on_inspect, on_event, r);
	drop(s);
	check_splits(NULL, EREQ, 1, resp, n, 1, true);
	return r->npts ? r->pts[r->npts - 1].buf[RULE_BUF_FILE_DATA] : NULL;
}

#define EVADE(r, lit) evade(r, lit, sizeof(lit) - 1)
/* the body is chunked: read as chunks it is "hello" */
#define CHUNKS "5\r\nhello\r\n0\r\n\r\n"

static void expect_body(const char *got, const char *want, int line)
{
	CU_ASSERT_PTR_NOT_NULL(got);
	if (!got || strcmp(got, want) != 0) {
		CU_FAIL("file data");
		fprintf(stderr, "line %d: file data [%s], want [%s]\n", line,
			got ? got : "(none)", want);
	}
}
#define BODY_IS(got, want) expect_body(got, want, __LINE__)

/* http-evader 010-021, 101, 103: junk after the size, control bytes and
 * blank lines around it */
static void test_chunk_size_junk(void)
{
	struct rec r = { 0 };

	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "5,\r\nhello\r\n6\0\r\n world\r\n0\r\n\r\n"), "hello world");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CHUNK_JUNK], 2);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 0);
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "\r\n\n\v5\f\r\nhello\r\n\r\n\r\n6 ; ext=1\r\n world\r\n0\r\n\r\n"),
		"hello world");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CHUNK_JUNK], 0);
	rec_free(&r);
	/* a size over 2^31-1: the line is skipped */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "80000000\r\n" CHUNKS), "hello");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_CHUNK_JUNK], 1);
	rec_free(&r);
}

/* http-evader 050-090: "chunked" said, but the body is not: it is read
 * as sent to the end of the stream */
static void test_chunked_fallback(void)
{
	struct rec r = { 0 };

	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked x\r\n\r\nX5O!payload"),
		"X5O!payload");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_CHUNK], 1);
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/0.9 200 ok\r\nTransfer-Encoding: chunked\r\nContent-length: 11\r\n"
		       "\r\nX5O!payload"), "X5O!payload");
	rec_free(&r);
	/* what the size line had read so far goes to the body too */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "2\r\nab\r\n \tX5O!payload"), "ab \tX5O!payload");
	rec_free(&r);
}

/* http-evader 094, 184, 378-405: a bare CR (and LF CR) ends a response
 * line, the status line too */
static void test_response_cr_line_ends(void)
{
	struct rec r = { 0 };
	struct http_state *s;

	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-type: a/b\rTransfer-Encoding: chunked\r\n"
		       "\r\n" CHUNKS), "hello");
	BUF_IS(&r, 1, HTTP_CONTENT_TYPE, "a/b");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200\rTransfer-Encoding:chunked\r\nX: y\r\n\r\n" CHUNKS),
		"hello");
	BUF_IS(&r, 1, HTTP_STAT_CODE, "200");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\rConnection: close\rTransfer-Encoding: chunked\r"
		       "Y: foo\r\n\n" CHUNKS), "hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\n\rContent-Length: 5\n\rX: y\r\n\r\nhello"), "hello");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_MISSING_CR], 1);
	rec_free(&r);

	/* in a request a CR alone is data */
	s = mk(NULL);
	feed(s, &r, 0, "GET / HTTP/1.1\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n"
		       "GET /2 HTTP/1.1\r\n\r\n");
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 0, HTTP_HEADER, "X: a\rTransfer-Encoding: chunked\r\n");
	BUF_IS(&r, 1, HTTP_URI, "/2");
	rec_free(&r);
	drop(s);
}

/* http-evader 090, 225, 269-300, 316-340: header names */
static void test_header_names(void)
{
	/* with Content-Length: 3 as well, a missed Transfer-Encoding
	 * would give "5\r\n" */
	static const struct {
		const char *hdr;
		size_t len;
	} te[] = {
#define T(lit) { lit, sizeof(lit) - 1 }
		T("Transfer\0-Encoding: chunked\r\n"),         /* NULs in names ignored */
		T("Transfer-Encoding\0:chunked\r\n"),
		T("Transfer-Encoding\v:chunked\r\n"),          /* VT FF trimmed */
		T("Transfer-Encoding\f:chunked\r\n"),
		T("Transfer-Encoding\t: chunked\r\n"),
		T("Transfer-Encoding\r\n :chunked\r\n"),       /* name across a fold */
		T("Transfer-Encoding\n :chunked\r\n"),
		T("Transfer-Encoding\r :chunked\r\n"),
		T("Transfer-Encoding\r\n \r\n :\r\n chunked\r\n"),
		T("X-Foo: bar\r\n Transfer-Encoding: chunked\r\n"), /* not a fold */
		T("X-Foo: bar\r\n\tTransfer-Encoding: chunked\r\n"),
#undef T
	};
	struct rec r = { 0 };
	char m[256];

	for (size_t i = 0; i < sizeof(te) / sizeof(te[0]); i++) {
		size_t n = 0;

		n += (size_t)snprintf(m, sizeof(m), "HTTP/1.1 200 ok\r\nContent-Length: 3\r\n");
		memcpy(m + n, te[i].hdr, te[i].len);
		n += te[i].len;
		n += (size_t)snprintf(m + n, sizeof(m) - n, "\r\n" CHUNKS);
		BODY_IS(evade(&r, m, n), "hello");
		rec_free(&r);
	}
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nX-Foo: bar\r\n Transfer-Encoding: chunked\r\n\r\n"
		       CHUNKS), "hello");
	BUF_IS(&r, 1, HTTP_HEADER, "X-Foo: bar\r\nTransfer-Encoding: chunked\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_HEADER_FOLDING], 0);
	rec_free(&r);

	/* decided when the colon comes, not at the line end (found by
	 * fuzz_http: events came in another order when split) */
	struct http_state *s = mk(NULL);

	feed(s, &r, 1, "HTTP/1.1 200 ok\r\nbad line\r\n\tY");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_HEADER], 0);
	feed(s, &r, 1, ":");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_HEADER], 1);
	rec_free(&r);
	drop(s);

	/* in a request that is a fold */
	s = mk(NULL);

	feed(s, &r, 0, "POST / HTTP/1.1\r\nX-Foo: bar\r\n Transfer-Encoding: chunked\r\n"
		       "Content-Length: 3\r\n\r\nabc");
	CU_ASSERT_EQUAL_FATAL(r.npts, 2);
	BUF_IS(&r, 1, HTTP_REQUEST_BODY, "abc");
	BUF_IS(&r, 1, HTTP_HEADER, "X-Foo: bar Transfer-Encoding: chunked\r\nContent-Length: 3\r\n");
	rec_free(&r);
	drop(s);
}

/* gzip of "hello gzip" with header flags, extra fields and a trailer as
 * given (trailer_len 0..8 of the real one, bad_crc spoils it). */
static size_t gzip_msg(uint8_t *out, uint8_t flags, const char *fields, size_t flen,
		       size_t trailer_len, bool bad_crc)
{
	static const char plain[] = "hello gzip";
	size_t clen, n = 0;
	uint8_t *raw = zcompress((const uint8_t *)plain, sizeof(plain) - 1, -15, &clen);
	uint32_t crc = (uint32_t)crc32(0, (const Bytef *)plain, sizeof(plain) - 1);
	uint8_t tr[8] = { (uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16),
			  (uint8_t)(crc >> 24), sizeof(plain) - 1, 0, 0, 0 };

	if (bad_crc)
		tr[0] ^= 0xff;
	memcpy(out, "\x1f\x8b\x08", 3);
	out[3] = flags;
	memset(out + 4, 0, 5);
	out[9] = 3;
	n = 10;
	memcpy(out + n, fields, flen);
	n += flen;
	memcpy(out + n, raw, clen);
	n += clen;
	memcpy(out + n, tr, trailer_len);
	n += trailer_len;
	free(raw);
	return n;
}

/* Response headers then body into m; returns its length. */
static size_t with_body(char *m, const char *hdrs, size_t hlen, const uint8_t *b, size_t blen)
{
	memcpy(m, hdrs, hlen);
	memcpy(m + hlen, b, blen);
	return hlen + blen;
}

/* http-evader 119-130, 164-192, 211-232, 316-352: Content-Encoding values
 * (folded, NULs, odd bytes, x-deflate, words) */
static void test_content_encoding_values(void)
{
	static const struct {
		const char *hdr;
		size_t len;
	} ce[] = {
#define T(lit) { lit, sizeof(lit) - 1 }
		T("Content-Encoding:\r\n gzip\r\n"),
		T("Content-Encoding:\r gzip\r\n"),
		T("Content-Encoding:\n\0gzip\r\n"),
		T("Content-Encoding: gzip\0\r\n"),
		T("Content-Encoding: gzip\v\r\n"),
		T("Content-Encoding: \xa0gzip\r\n"),
		T("Content-Encoding: gzip;\r\n"),
		T("Content-Encoding: x gzip\r\n"),
		T("Content-Encoding:: gzip\r\n"),
		T("Content-Encoding : gzip\r\n"),
		T("Content\0-Encoding: gzip\r\n"),
		T("Content-Encoding\r\n :\r\n gzip\r\n"),
		T("Content-Encoding: x-gzip\r\n"),
#undef T
	};
	struct rec r = { 0 };
	uint8_t gz[256];
	char m[512];
	size_t glen = gzip_msg(gz, 0, "", 0, 8, false), n;

	for (size_t i = 0; i < sizeof(ce) / sizeof(ce[0]); i++) {
		char h[256];
		size_t hl = (size_t)snprintf(h, sizeof(h), "HTTP/1.1 200 ok\r\nContent-Length: %zu\r\n", glen);

		memcpy(h + hl, ce[i].hdr, ce[i].len);
		hl += ce[i].len;
		memcpy(h + hl, "\r\n", 2);
		hl += 2;
		n = with_body(m, h, hl, gz, glen);
		BODY_IS(evade(&r, m, n), "hello gzip");
		CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 0);
		rec_free(&r);
	}

	/* x-deflate, raw and zlib */
	static const char plain[] = "hello deflate";
	size_t rl, zl;
	uint8_t *raw = zcompress((const uint8_t *)plain, sizeof(plain) - 1, -15, &rl);
	uint8_t *zl_ = zcompress((const uint8_t *)plain, sizeof(plain) - 1, 15, &zl);
	char h[128];
	size_t hl = (size_t)snprintf(h, sizeof(h), "HTTP/1.1 200 ok\r\nContent-Encoding: x-deflate\r\n"
				     "Content-Length: %zu\r\n\r\n", rl);

	BODY_IS(evade(&r, m, with_body(m, h, hl, raw, rl)), plain);
	rec_free(&r);
	hl = (size_t)snprintf(h, sizeof(h), "HTTP/1.1 200 ok\r\nContent-Encoding: x-deflate\r\n"
			      "Content-Length: %zu\r\n\r\n", zl);
	BODY_IS(evade(&r, m, with_body(m, h, hl, zl_, zl)), plain);
	rec_free(&r);
	/* a word not understood is skipped, the others still undone */
	hl = (size_t)snprintf(h, sizeof(h), "HTTP/1.1 200 ok\r\nContent-Encoding: br deflate\r\n"
			      "Content-Length: %zu\r\n\r\n", rl);
	BODY_IS(evade(&r, m, with_body(m, h, hl, raw, rl)), plain);
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_UNKNOWN_ENCODING], 1);
	rec_free(&r);
	free(raw);
	free(zl_);

	/* said compressed, twice, but plain: the whole body as sent */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Encoding: deflate,gzip\r\n"
		       "Content-Length: 11\r\n\r\nX5O!P%@AP[4"), "X5O!P%@AP[4");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 2);
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Encoding: deflate\r\nContent-Encoding: deflate\r\n"
		       "Content-Length: 11\r\n\r\nX5O!P%@AP[4"), "X5O!P%@AP[4");
	rec_free(&r);
	/* and the transfer coding: NULs in the value ignored */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Length: 3\r\nTransfer-Encoding: chun\0ked\r\n\r\n"
		       CHUNKS), "hello");
	rec_free(&r);
}

/* http-evader 195-222: gzip headers and trailers browsers accept */
static void test_gzip_lenient(void)
{
	static const struct {
		uint8_t flags;
		const char *fields;
		size_t flen, trailer;
		bool bad_crc;
	} g[] = {
		{ 0x02, "\0\0", 2, 8, false },          /* header CRC, wrong */
		{ 0x20, "", 0, 8, false },              /* reserved flags */
		{ 0x40, "", 0, 8, false },
		{ 0x80, "", 0, 8, false },
		{ 0x01, "", 0, 8, false },              /* text */
		{ 0x04, "\3\0abc", 5, 8, false },       /* extra field */
		{ 0x08, "name.txt\0", 9, 8, false },
		{ 0x10, " \0", 2, 8, false },
		{ 0x1e, "\1\0xn\0c\0\0\0", 9, 8, false }, /* all of them */
		{ 0, "", 0, 8, true },                  /* trailer CRC wrong */
		{ 0, "", 0, 4, false },                 /* trailer cut */
		{ 0, "", 0, 0, false },
	};
	struct rec r = { 0 };

	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		uint8_t gz[256];
		char m[512], h[128];
		size_t glen = gzip_msg(gz, g[i].flags, g[i].fields, g[i].flen, g[i].trailer,
				       g[i].bad_crc);
		size_t hl = (size_t)snprintf(h, sizeof(h), "HTTP/1.1 200 ok\r\nContent-Encoding: gzip\r\n"
					     "Content-Length: %zu\r\n\r\n", glen);

		BODY_IS(evade(&r, m, with_body(m, h, hl, gz, glen)), "hello gzip");
		CU_ASSERT_EQUAL(r.ev[HTTP_EV_DECOMPRESS_FAILED], 0);
		rec_free(&r);
	}
}

/* http-evader 286, 287, 410-431: deformed line ends, blank continuations */
static void test_deformed_line_ends(void)
{
	struct rec r = { 0 };

	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nConnection: close\r\n\r\rTransfer-Encoding: chunked\r\n"
		       "\r\n" CHUNKS), "hello");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_DEFORMED_EOL], 1);
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nConnection: close\r\n\r \rTransfer-Encoding: chunked\r\n"
		       "\r\n" CHUNKS), "hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Length: 5\n\r\r\nhello"), "hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\n\r\r\n" CHUNKS), "hello");
	rec_free(&r);
	/* a blank continuation ending in one byte ends the block */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Length: 5\n \nhello"), "hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Length: 5\n\t\nhello"), "hello");
	rec_free(&r);
	/* not deformed after all: the block ends at the lone CR, and the
	 * bytes read ahead to see it (from earlier calls too) are the body */
	BODY_IS(EVADE(&r, "HTTP/1.1 200 ok\r\nContent-Length: 9\r\n\r \r\n\r\nabcd"),
		" \r\n\r\nabcd");
	rec_free(&r);
}

/* http-evader 390, 481-488: bytes before the status line */
static void test_status_line_junk(void)
{
	struct rec r = { 0 };

	BODY_IS(EVADE(&r, " \r\nHTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	BUF_IS(&r, 1, HTTP_STAT_CODE, "200");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_JUNK_LINE], 1);
	rec_free(&r);
	BODY_IS(EVADE(&r, " \t\r\r\nHTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "SIP/2.0 200 ok\r\nHTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"),
		"hello");
	rec_free(&r);
	BODY_IS(EVADE(&r, "\0HTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	BUF_IS(&r, 1, HTTP_PROTOCOL, "HTTP/1.1");
	BUF_IS(&r, 1, HTTP_STAT_CODE, "200");
	rec_free(&r);
	/* no status line at all: HTTP/0.9, all of it body */
	BODY_IS(EVADE(&r, "foobar\r\nnot http\r\n"), "foobar\r\nnot http\r\n");
	CU_ASSERT_EQUAL(r.ev[HTTP_EV_INVALID_RESPONSE_LINE], 1);
	rec_free(&r);
}

/* http-evader 448: 101 and 1xx with a length have a body; 204 and 304
 * never do (a 304 carries the full response's Content-Length) */
static void test_no_body_codes_with_length(void)
{
	struct rec r = { 0 };

	BODY_IS(EVADE(&r, "HTTP/1.1 101 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	rec_free(&r);
	/* the next response is parsed as one, not swallowed as a body */
	BODY_IS(EVADE(&r, "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"
			  "HTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	CU_ASSERT_FATAL(r.npts > 0);
	BUF_IS(&r, r.npts - 1, HTTP_STAT_CODE, "200");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 204 ok\r\nContent-Length: 5\r\n\r\n"
			  "HTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	CU_ASSERT_FATAL(r.npts > 0);
	BUF_IS(&r, r.npts - 1, HTTP_STAT_CODE, "200");
	rec_free(&r);
	BODY_IS(EVADE(&r, "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nhello"), "hello");
	rec_free(&r);
	/* a 100 with a zero length is still interim */
	EVADE(&r, "HTTP/1.1 100 Continue\r\nContent-Length: 0\r\n\r\n"
		  "HTTP/1.1 200 ok\r\nContent-Length: 5\r\n\r\nhello");
	CU_ASSERT_EQUAL_FATAL(r.npts, 3);
	BUF_IS(&r, 1, HTTP_STAT_CODE, "200");
	CU_ASSERT_EQUAL(r.pts[1].tx, 0);
	BUF_IS(&r, 2, FILE_DATA, "hello");
	rec_free(&r);
}

/* Random and mutated input in both directions under small limits: no
 * crash, no read or write outside the state (run under ASan in CI). */
static void test_random_input(void)
{
	struct http_config c;
	uint32_t x = 12345;
	uint8_t buf[4096];
	static const char *seeds[] = { REQ, PIPE, CHUNKED,
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n",
		"CONNECT a:1 HTTP/1.1\r\n\r\n" };

	http_config_default(&c);
	c.header_limit = 128;
	c.request_body_limit = 64;
	c.response_body_limit = 64;
	for (int round = 0; round < 300; round++) {
		struct rec r = { 0 };
		struct http_state *s = mk(&c);

		for (int k = 0; k < 20; k++) {
			const char *seed = seeds[(unsigned)round % 5];
			size_t n = strlen(seed);

			memcpy(buf, seed, n);
			for (int m = 0; m < 4; m++) {
				x = x * 1103515245 + 12345;
				buf[(x >> 8) % n] = (uint8_t)(x >> 24);
			}
			x = x * 1103515245 + 12345;
			feedn(s, &r, (int)((x >> 16) & 1), buf, n);
		}
		http_close(s, 0, on_inspect, on_event, &r);
		http_close(s, 1, on_inspect, on_event, &r);
		rec_free(&r);
		drop(s);
	}
}

/* ---- API ------------------------------------------------------------------ */

static void test_probe(void)
{
#define P(str, dir) http_probe((const uint8_t *)(str), (uint32_t)strlen(str), dir)
	CU_ASSERT_TRUE(P("GET / HTTP/1.1\r\n", true));
	CU_ASSERT_TRUE(P("POST /x", true));
	CU_ASSERT_TRUE(P("CONNECT host:443 HTTP/1.1", true));
	CU_ASSERT_TRUE(P("OPTIONS * HTTP/1.1", true));
	CU_ASSERT_TRUE(P("GET http://a/", true));
	CU_ASSERT_FALSE(P("GET", true));
	CU_ASSERT_FALSE(P("GET  /", true));
	CU_ASSERT_FALSE(P("EHLO mail.example.com", true));
	CU_ASSERT_FALSE(P("\x16\x03\x01\x02\x00", true));
	CU_ASSERT_FALSE(P("get / HTTP/1.1", true));
	CU_ASSERT_TRUE(P("HTTP/1.1 200 OK", false));
	CU_ASSERT_TRUE(P("HTTP/1.0 404", false));
	CU_ASSERT_FALSE(P("HTTP/2", false));
	CU_ASSERT_FALSE(P("SSH-2.0-OpenSSH", false));
	CU_ASSERT_FALSE(P("GET / HTTP/1.1", false));
#undef P
}

static void test_config(void)
{
	struct http_config c, d;

	http_config_default(&c);
	CU_ASSERT_EQUAL(c.header_limit, 16 * 1024);
	CU_ASSERT_EQUAL(c.request_body_limit, 100 * 1024);
	CU_ASSERT_EQUAL(c.response_body_limit, 100 * 1024);
	CU_ASSERT_PTR_NULL(http_config_check(&c));
	size_t n = http_state_size(&c);

	CU_ASSERT(n >= 2 * c.header_limit + c.request_body_limit + c.response_body_limit);
	CU_ASSERT(n < 1024 * 1024);
	d = c;
	d.header_limit = 10;
	CU_ASSERT_PTR_NOT_NULL(http_config_check(&d));
	CU_ASSERT_EQUAL(http_state_size(&d), 0);
	d = c;
	d.decompress_layers = HTTP_MAX_LAYERS + 1;
	CU_ASSERT_PTR_NOT_NULL(http_config_check(&d));
	d = c;
	d.decompress_layers = 0;
	CU_ASSERT(http_state_size(&d) < n);
	fprintf(stderr, "http state: %zu bytes with the defaults\n", n);

	for (unsigned e = 0; e < HTTP_EV_MAX; e++) {
		const char *name = http_event_name(e);

		CU_ASSERT_PTR_NOT_NULL_FATAL(name);
		CU_ASSERT(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name));
		for (unsigned f = 0; f < e; f++)
			CU_ASSERT(strcmp(name, http_event_name(f)) != 0);
	}
	CU_ASSERT_PTR_NULL(http_event_name(HTTP_EV_MAX));
}

static const struct test_case buffer_cases[] = {
	{ "request buffers", test_request_buffers },
	{ "response buffers", test_response_buffers },
	{ "response points carry their request", test_response_has_request },
	{ "response point scratch holds both blocks", test_scratch_bound },
	{ "folding and repeated headers", test_folding_and_repeats },
	{ "bare LF line ends", test_bare_lf },
	{ "uri normalisation", test_uri_normalisation },
	{ "host", test_host },
	{ NULL, NULL }
};

static const struct test_case framing_cases[] = {
	{ "pipelining and splits", test_pipelining },
	{ "chunked", test_chunked },
	{ "HTTP/0.9", test_http09 },
	{ "until close and truncation", test_until_close },
	{ "HEAD, 1xx, 100-continue", test_head_1xx_continue },
	{ "CONNECT and upgrade", test_connect },
	{ NULL, NULL }
};

static const struct test_case body_cases[] = {
	{ "gzip and deflate", test_gzip_deflate },
	{ "two layers and failures", test_two_layers_and_failures },
	{ "gzip bomb", test_gzip_bomb },
	{ "body limits", test_body_limits },
	{ NULL, NULL }
};

static const struct test_case bound_cases[] = {
	{ "huge header", test_huge_header },
	{ "endless chunks", test_endless_chunks },
	{ "malformed", test_malformed },
	{ "evasion: chunk-size junk", test_chunk_size_junk },
	{ "evasion: chunked that is not", test_chunked_fallback },
	{ "evasion: CR line ends in responses", test_response_cr_line_ends },
	{ "evasion: header names", test_header_names },
	{ "evasion: content-encoding values", test_content_encoding_values },
	{ "evasion: lenient gzip", test_gzip_lenient },
	{ "evasion: deformed line ends", test_deformed_line_ends },
	{ "evasion: junk before the status line", test_status_line_junk },
	{ "evasion: no-body codes with a length", test_no_body_codes_with_length },
	{ "random input", test_random_input },
	{ NULL, NULL }
};

static const struct test_case api_cases[] = {
	{ "probe", test_probe },
	{ "config and events", test_config },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "buffers", NULL, NULL, buffer_cases },
	{ "framing", NULL, NULL, framing_cases },
	{ "bodies", NULL, NULL, body_cases },
	{ "bounds", NULL, NULL, bound_cases },
	{ "api", NULL, NULL, api_cases },
	{ NULL, NULL, NULL, NULL }
};
