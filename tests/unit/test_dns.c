/*
 * test_dns: the DNS parser (include/mamori/dns.h, src/app/dns.c).
 *
 * Real messages from the corpus, as hex (facts tshark printed for them:
 * names, types, answer counts): benign/dns-lookups.pcapng (microsoft.com A
 * request and its five-answer response with compression pointers),
 * dns-tunnel/dnscat2-skullseclabs.pcap (a TXT answer) and
 * dns-tunnel/iodine-null-queries.pcap (a NULL query whose labels are
 * Latin-1, not UTF-8). Built messages cover pointer loops, truncation and
 * malformed counts; TCP framing is checked by feeding a stream of several
 * messages split at every byte and comparing with the whole feed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/dns.h"

static const char req_hex[] =
	"1a1601000001000000000000096d6963726f736f667403636f6d0000010001";
static const char resp_hex[] =
	"1a1681800001000500000000096d6963726f736f667403636f6d0000010001c00c0001"
	"00010000012e0004682bc3fbc00c000100010000012e000417647aafc00c0001000100"
	"00012e000417603435c00c000100010000012e0004bfefd5c5c00c000100010000012e"
	"00046828d323";
static const char txt_hex[] =
	"c8ae81800001000100000000123038633030316664663532353332343137640c736b75"
	"6c6c7365636c616273036f72670000100001c00c001000010000003c00131262343265"
	"3031666466353431376432353332";
static const char iodine_hex[] =
	"8b6c01000001000000000001327a69303461412d4c612d666cfb74652d6e61ef76652d"
	"6672616ee7616973652d6573742d7265746972e92de02d4372e87465067069726174"
	"650373656100000a00010000291000000080000000";

#define MAXREC 64

struct rec {
	unsigned n;
	struct {
		char query[300], qname[300], answer[300];
		bool has_query, has_qname, has_answer;
		struct app_meta_dns meta;
		uint8_t dir;
		uint64_t tx;
	} r[MAXREC];
	unsigned events[DNS_EV_MAX];
};

static void slice_str(const struct app_slice *s, char *out, size_t cap)
{
	size_t n = s->len < cap - 1 ? s->len : cap - 1;

	memcpy(out, s->p, n);
	out[n] = '\0';
}

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct rec *r = arg;
	unsigned i = r->n++;

	CU_ASSERT_EQUAL(in->proto, APP_PROTO_DNS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in->meta);
	CU_ASSERT_EQUAL(in->meta->proto, APP_PROTO_DNS);
	/* nothing else is filled */
	for (unsigned b = 0; b < RULE_BUF_MAX; b++)
		if (b != RULE_BUF_DNS_QUERY && b != RULE_BUF_DNS_QUERY_NAME &&
		    b != RULE_BUF_DNS_ANSWER_NAME)
			CU_ASSERT_PTR_NULL(in->buf[b].p);
	if (i >= MAXREC)
		return;
	r->r[i].has_query = in->buf[RULE_BUF_DNS_QUERY].p != NULL;
	r->r[i].has_qname = in->buf[RULE_BUF_DNS_QUERY_NAME].p != NULL;
	r->r[i].has_answer = in->buf[RULE_BUF_DNS_ANSWER_NAME].p != NULL;
	if (r->r[i].has_query)
		slice_str(&in->buf[RULE_BUF_DNS_QUERY], r->r[i].query, 300);
	if (r->r[i].has_qname)
		slice_str(&in->buf[RULE_BUF_DNS_QUERY_NAME], r->r[i].qname, 300);
	if (r->r[i].has_answer)
		slice_str(&in->buf[RULE_BUF_DNS_ANSWER_NAME], r->r[i].answer, 300);
	r->r[i].meta = in->meta->u.dns;
	r->r[i].dir = in->dir;
	r->r[i].tx = in->tx_id;
}

static void on_event(void *arg, unsigned ev)
{
	struct rec *r = arg;

	CU_ASSERT_FATAL(ev < DNS_EV_MAX);
	r->events[ev]++;
}

static unsigned total_events(const struct rec *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < DNS_EV_MAX; i++)
		n += r->events[i];
	return n;
}

static struct dns_state *new_state(bool tcp)
{
	struct dns_state *st = malloc(dns_state_size(tcp));

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(st, 0xa5, dns_state_size(tcp));    /* init must not rely on zeroes */
	dns_state_init(st, tcp);
	return st;
}

static int hex(const char *h, uint8_t *buf, size_t cap)
{
	int n = test_hex(h, buf, cap);

	CU_ASSERT_FATAL(n > 0);
	return n;
}

static void test_event_names(void)
{
	CU_ASSERT_STRING_EQUAL(dns_event_name(DNS_EV_MALFORMED_DATA), "malformed_data");
	CU_ASSERT_STRING_EQUAL(dns_event_name(DNS_EV_INFINITE_LOOP), "infinite_loop");
	CU_ASSERT_PTR_NULL(dns_event_name(DNS_EV_MAX));
	for (unsigned i = 0; i < DNS_EV_MAX; i++)
		CU_ASSERT_PTR_NOT_NULL(dns_event_name(i));
}

static void test_name_decode(void)
{
	/* "www.example.com" at 0, "mail" + pointer to "example.com" at 17 */
	static const uint8_t m[] = {
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
		'o', 'm', 0, 4, 'm', 'a', 'i', 'l', 0xc0, 4, 0xff,
	};
	uint8_t out[64];
	uint32_t off = 0;
	unsigned fl;
	int n;

	n = dns_name_decode(m, sizeof(m), &off, out, sizeof(out), &fl);
	CU_ASSERT_EQUAL(n, 15);
	CU_ASSERT_NSTRING_EQUAL(out, "www.example.com", 15);
	CU_ASSERT_EQUAL(off, 17);
	CU_ASSERT_EQUAL(fl, 0);
	n = dns_name_decode(m, sizeof(m), &off, out, sizeof(out), &fl);
	CU_ASSERT_EQUAL(n, 16);
	CU_ASSERT_NSTRING_EQUAL(out, "mail.example.com", 16);
	CU_ASSERT_EQUAL(off, 24);               /* after the pointer */
	CU_ASSERT_EQUAL(fl, 0);

	/* root name */
	off = 16;
	CU_ASSERT_EQUAL(dns_name_decode(m, sizeof(m), &off, out, sizeof(out), &fl), 0);
	CU_ASSERT_EQUAL(off, 17);

	/* cut: fits only "www.example" */
	off = 0;
	n = dns_name_decode(m, sizeof(m), &off, out, 11, &fl);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT(fl & DNS_NAME_F_CUT);
	CU_ASSERT_EQUAL(off, 17);

	/* runs past the end, pointer past the end, reserved label type */
	off = 0;
	CU_ASSERT_EQUAL(dns_name_decode(m, 10, &off, out, sizeof(out), &fl), -1);
	{
		static const uint8_t p1[] = { 1, 'a', 0xc0, 0x40 };
		static const uint8_t p2[] = { 1, 'a', 0x40, 0x00 };
		static const uint8_t p3[] = { 1, 'a', 0xc0 };

		off = 0;
		CU_ASSERT_EQUAL(dns_name_decode(p1, sizeof(p1), &off, out, sizeof(out), &fl), -1);
		off = 0;
		CU_ASSERT_EQUAL(dns_name_decode(p2, sizeof(p2), &off, out, sizeof(out), &fl), -1);
		off = 0;
		CU_ASSERT_EQUAL(dns_name_decode(p3, sizeof(p3), &off, out, sizeof(out), &fl), -1);
	}
}

static void test_name_loops(void)
{
	/* a pointer to itself at 2; two pointers to each other (A -> B -> A) */
	static const uint8_t self[] = { 1, 'a', 0xc0, 0x02 };
	static const uint8_t pair[] = { 1, 'x', 0xc0, 0x04, 1, 'y', 0xc0, 0x00 };
	uint8_t out[DNS_NAME_MAX];
	uint32_t off = 0;
	unsigned fl;
	int n;

	n = dns_name_decode(self, sizeof(self), &off, out, sizeof(out), &fl);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(fl & DNS_NAME_F_LOOP);
	CU_ASSERT_EQUAL(off, 4);

	off = 0;
	n = dns_name_decode(pair, sizeof(pair), &off, out, sizeof(out), &fl);
	CU_ASSERT(n > 0);
	CU_ASSERT(fl & DNS_NAME_F_LOOP);
	CU_ASSERT_EQUAL(off, 4);
	CU_ASSERT_NSTRING_EQUAL(out, "x.y.x.y", 7);
}

static void test_name_too_long(void)
{
	/* 5 labels of 63: 321 octets on the wire, over RFC 1035's 255 */
	uint8_t m[400], out[DNS_NAME_MAX];
	uint32_t o = 0, off = 0;
	unsigned fl;
	int n;

	for (int l = 0; l < 5; l++) {
		m[o++] = 63;
		memset(m + o, 'a' + l, 63);
		o += 63;
	}
	m[o++] = 0;
	n = dns_name_decode(m, o, &off, out, sizeof(out), &fl);
	CU_ASSERT_EQUAL(n, 5 * 63 + 4);
	CU_ASSERT(fl & DNS_NAME_F_TOO_LONG);
	CU_ASSERT_FALSE(fl & DNS_NAME_F_CUT);
	CU_ASSERT_EQUAL(off, o);
}

static void test_name_print(void)
{
	char out[64];

	dns_name_print((const uint8_t *)"a.b", 3, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "a.b");
	/* valid UTF-8 stays */
	dns_name_print((const uint8_t *)"caf\xc3\xa9.fr", 8, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "caf\xc3\xa9.fr");
	/* Latin-1: every byte >= 0x80 as \xNN */
	dns_name_print((const uint8_t *)"fl\xfbte\xc3\xa9", 7, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "fl\\xfbte\\xc3\\xa9");
	/* overlong encoding and surrogate are not UTF-8 */
	dns_name_print((const uint8_t *)"\xc0\xaf", 2, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\\xc0\\xaf");
	dns_name_print((const uint8_t *)"\xed\xa0\x80", 3, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "\\xed\\xa0\\x80");
	/* cut, never half an escape */
	dns_name_print((const uint8_t *)"ab\xff", 3, out, 5);
	CU_ASSERT_STRING_EQUAL(out, "ab");
}

static void test_udp_request(void)
{
	struct dns_state *st = new_state(false);
	struct rec r = { 0 };
	uint8_t m[512];
	int n = hex(req_hex, m, sizeof(m));

	dns_parse(st, 0, m, (uint32_t)n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT(r.r[0].has_query && r.r[0].has_qname && !r.r[0].has_answer);
	CU_ASSERT_STRING_EQUAL(r.r[0].query, "microsoft.com");
	CU_ASSERT_STRING_EQUAL(r.r[0].qname, "microsoft.com");
	CU_ASSERT_STRING_EQUAL(r.r[0].meta.rrname, "microsoft.com");
	CU_ASSERT_EQUAL(r.r[0].meta.rrtype, 1);
	CU_ASSERT_EQUAL(r.r[0].meta.id, 0x1a16);
	CU_ASSERT_FALSE(r.r[0].meta.response);
	CU_ASSERT_EQUAL(r.r[0].dir, 0);
	CU_ASSERT_EQUAL(r.r[0].tx, 0);
	CU_ASSERT_EQUAL(total_events(&r), 0);
	free(st);
}

static void test_udp_response(void)
{
	struct dns_state *st = new_state(false);
	struct rec r = { 0 };
	uint8_t m[512];
	int n = hex(resp_hex, m, sizeof(m));

	dns_parse(st, 1, m, (uint32_t)n, on_inspect, on_event, &r);
	/* the question (dns.query is a request buffer), then 5 answers */
	CU_ASSERT_EQUAL_FATAL(r.n, 6);
	CU_ASSERT(!r.r[0].has_query && r.r[0].has_qname && !r.r[0].has_answer);
	CU_ASSERT_STRING_EQUAL(r.r[0].qname, "microsoft.com");
	for (unsigned i = 1; i < 6; i++) {
		CU_ASSERT(!r.r[i].has_query && !r.r[i].has_qname && r.r[i].has_answer);
		CU_ASSERT_STRING_EQUAL(r.r[i].answer, "microsoft.com");
		CU_ASSERT_EQUAL(r.r[i].meta.rrtype, 1);
		CU_ASSERT(r.r[i].meta.response);
		CU_ASSERT_EQUAL(r.r[i].meta.rcode, 0);
		CU_ASSERT_EQUAL(r.r[i].meta.id, 0x1a16);
		CU_ASSERT_EQUAL(r.r[i].dir, 1);
	}
	CU_ASSERT_EQUAL(total_events(&r), 0);

	/* a TXT answer */
	memset(&r, 0, sizeof(r));
	n = hex(txt_hex, m, sizeof(m));
	dns_parse(st, 1, m, (uint32_t)n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	CU_ASSERT_STRING_EQUAL(r.r[1].answer, "08c001fdf52532417d.skullseclabs.org");
	CU_ASSERT_EQUAL(r.r[1].meta.rrtype, 16);
	CU_ASSERT_EQUAL(r.r[1].tx, 1);          /* second message this way */
	free(st);
}

static void test_iodine_null(void)
{
	struct dns_state *st = new_state(false);
	struct rec r = { 0 };
	uint8_t m[512];
	int n = hex(iodine_hex, m, sizeof(m));

	dns_parse(st, 0, m, (uint32_t)n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.r[0].meta.rrtype, 10);        /* NULL */
	/* the buffer has the raw bytes, the meta Suricata's printing */
	CU_ASSERT_NSTRING_EQUAL(r.r[0].query, "zi04aA-La-fl\xfb" "te-", 16);
	CU_ASSERT_STRING_EQUAL(r.r[0].meta.rrname,
		"zi04aA-La-fl\\xfbte-na\\xefve-fran\\xe7aise-est-retir\\xe9-\\xe0-Cr\\xe8te.pirate.sea");
	CU_ASSERT_EQUAL(total_events(&r), 0);           /* EDNS OPT parses */
	free(st);
}

static void test_malformed(void)
{
	struct dns_state *st = new_state(false);
	struct rec r = { 0 };
	uint8_t m[512];
	int n = hex(req_hex, m, sizeof(m));

	/* short header */
	dns_parse(st, 0, m, 11, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(r.events[DNS_EV_MALFORMED_DATA], 1);

	/* two questions claimed, one there: the one is inspected */
	memset(&r, 0, sizeof(r));
	m[5] = 2;
	dns_parse(st, 0, m, (uint32_t)n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.events[DNS_EV_MALFORMED_DATA], 1);
	m[5] = 1;

	/* an answer whose rdata runs past the end */
	memset(&r, 0, sizeof(r));
	n = hex(resp_hex, m, sizeof(m));
	dns_parse(st, 1, m, (uint32_t)n - 2, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 5);                /* question + 4 answers */
	CU_ASSERT_EQUAL(r.events[DNS_EV_MALFORMED_DATA], 1);

	/* Z flag, unassigned opcode 3 */
	memset(&r, 0, sizeof(r));
	n = hex(req_hex, m, sizeof(m));
	m[2] = 0x19;
	m[3] = 0x40;
	dns_parse(st, 0, m, (uint32_t)n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.events[DNS_EV_Z_FLAG_SET], 1);
	CU_ASSERT_EQUAL(r.events[DNS_EV_INVALID_OPCODE], 1);

	/* the question name points at itself */
	{
		static const uint8_t loop[] = {
			0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
			1, 'a', 0xc0, 14, 0, 1, 0, 1,
		};

		memset(&r, 0, sizeof(r));
		dns_parse(st, 0, loop, sizeof(loop), on_inspect, on_event, &r);
		CU_ASSERT_EQUAL(r.n, 1);
		CU_ASSERT_STRING_EQUAL(r.r[0].query, "a");
		CU_ASSERT_EQUAL(r.events[DNS_EV_INFINITE_LOOP], 1);
	}
	free(st);
}

/* A TCP stream: request, response, TXT response, each with its length. */
static uint32_t tcp_stream(uint8_t *s, size_t cap)
{
	const char *parts[] = { req_hex, resp_hex, txt_hex };
	uint32_t o = 0;

	for (unsigned i = 0; i < 3; i++) {
		int n = test_hex(parts[i], s + o + 2, cap - o - 2);

		CU_ASSERT_FATAL(n > 0);
		s[o] = (uint8_t)(n >> 8);
		s[o + 1] = (uint8_t)n;
		o += 2 + (uint32_t)n;
	}
	return o;
}

static bool rec_equal(const struct rec *a, const struct rec *b)
{
	if (a->n != b->n || memcmp(a->events, b->events, sizeof(a->events)))
		return false;
	for (unsigned i = 0; i < a->n && i < MAXREC; i++)
		if (strcmp(a->r[i].query, b->r[i].query) ||
		    strcmp(a->r[i].qname, b->r[i].qname) ||
		    strcmp(a->r[i].answer, b->r[i].answer) ||
		    a->r[i].meta.rrtype != b->r[i].meta.rrtype ||
		    a->r[i].tx != b->r[i].tx)
			return false;
	return true;
}

static void test_tcp_split(void)
{
	struct dns_state *st = new_state(true);
	static struct rec whole, r;
	uint8_t s[1024];
	uint32_t n = tcp_stream(s, sizeof(s));
	unsigned bad = 0;

	memset(&whole, 0, sizeof(whole));
	dns_parse(st, 0, s, n, on_inspect, on_event, &whole);
	CU_ASSERT_EQUAL(whole.n, 1 + 6 + 2);
	CU_ASSERT_EQUAL(total_events(&whole), 0);
	CU_ASSERT_EQUAL(whole.r[8].tx, 2);

	/* two calls, split at every byte */
	for (uint32_t cut = 0; cut <= n; cut++) {
		memset(&r, 0, sizeof(r));
		dns_state_init(st, true);
		dns_parse(st, 0, s, cut, on_inspect, on_event, &r);
		dns_parse(st, 0, s + cut, n - cut, on_inspect, on_event, &r);
		bad += !rec_equal(&whole, &r);
	}
	CU_ASSERT_EQUAL(bad, 0);

	/* one byte per call */
	memset(&r, 0, sizeof(r));
	dns_state_init(st, true);
	for (uint32_t i = 0; i < n; i++)
		dns_parse(st, 0, s + i, 1, on_inspect, on_event, &r);
	CU_ASSERT(rec_equal(&whole, &r));
	free(st);
}

static void test_tcp_oversize(void)
{
	/* a 6000-byte message (query, then one additional record with 5900
	 * bytes of rdata), then the request again: the first is parsed from
	 * its prefix, the second still framed right */
	static uint8_t s[8192];
	struct dns_state *st = new_state(true);
	struct rec r = { 0 };
	uint8_t q[64];
	int qn = hex(req_hex, q, sizeof(q));
	uint32_t o = 0, mlen = (uint32_t)qn + 11 + 5900;

	s[o++] = (uint8_t)(mlen >> 8);
	s[o++] = (uint8_t)mlen;
	memcpy(s + o, q, (size_t)qn);
	s[o + 11] = 1;                          /* arcount */
	o += (uint32_t)qn;
	s[o++] = 0;                             /* root */
	s[o++] = 0; s[o++] = 16; s[o++] = 0; s[o++] = 1;
	s[o++] = 0; s[o++] = 0; s[o++] = 0; s[o++] = 0;
	s[o++] = 5900 >> 8; s[o++] = 5900 & 0xff;
	memset(s + o, 'x', 5900);
	o += 5900;
	s[o++] = 0;
	s[o++] = (uint8_t)qn;
	memcpy(s + o, q, (size_t)qn);
	o += (uint32_t)qn;

	/* in pieces, so the long message goes through the buffer */
	for (uint32_t i = 0; i < o; i += 1000)
		dns_parse(st, 0, s + i, o - i < 1000 ? o - i : 1000,
			  on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 2);
	CU_ASSERT_STRING_EQUAL(r.r[0].query, "microsoft.com");
	CU_ASSERT_STRING_EQUAL(r.r[1].query, "microsoft.com");
	CU_ASSERT_EQUAL(r.r[1].tx, 1);
	CU_ASSERT_EQUAL(r.events[DNS_EV_TRUNCATED], 1);
	CU_ASSERT_EQUAL(r.events[DNS_EV_MALFORMED_DATA], 0);
	free(st);
}

static void test_probe(void)
{
	uint8_t m[600], s[1024];
	int n = hex(req_hex, m, sizeof(m));
	uint32_t sn = tcp_stream(s, sizeof(s));

	CU_ASSERT_TRUE(dns_probe(m, (uint32_t)n, false));
	n = hex(resp_hex, m, sizeof(m));
	CU_ASSERT_TRUE(dns_probe(m, (uint32_t)n, false));
	CU_ASSERT_TRUE(dns_probe(s, sn, true));
	CU_ASSERT_TRUE(dns_probe(s, 20, true));         /* cut short */
	CU_ASSERT_FALSE(dns_probe(s, sn, false));       /* framing is not a header */
	CU_ASSERT_FALSE(dns_probe((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, false));
	CU_ASSERT_FALSE(dns_probe((const uint8_t *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, true));
	CU_ASSERT_FALSE(dns_probe(m, 11, false));
	m[5] = 0;                                       /* no question */
	CU_ASSERT_FALSE(dns_probe(m, (uint32_t)n, false));
}

/* Random and mutated input: nothing but events and bounded callbacks
 * (run under the sanitizers in CI). */
static void test_garbage(void)
{
	struct dns_state *su = new_state(false), *stc = new_state(true);
	uint8_t buf[1500], base[512];
	int bn = hex(resp_hex, base, sizeof(base));
	uint32_t x = 12345;
	struct rec r;

	for (int it = 0; it < 20000; it++) {
		uint32_t len;

		memset(&r, 0, sizeof(r));
		if (it & 1) {
			memcpy(buf, base, (size_t)bn);
			len = (uint32_t)bn;
			for (int k = 0; k < 4; k++) {
				x = x * 1103515245 + 12345;
				buf[(x >> 8) % len] = (uint8_t)(x >> 20);
			}
		} else {
			x = x * 1103515245 + 12345;
			len = (x >> 8) % sizeof(buf);
			for (uint32_t i = 0; i < len; i++) {
				x = x * 1103515245 + 12345;
				buf[i] = (uint8_t)(x >> 16);
			}
		}
		dns_probe(buf, len, it & 2);
		dns_parse(su, it & 1, buf, len, on_inspect, on_event, &r);
		dns_parse(stc, it & 1, buf, len, on_inspect, on_event, &r);
	}
	free(su);
	free(stc);
}

static const struct test_case dns_cases[] = {
	{ "event names", test_event_names },
	{ "name decoding and compression", test_name_decode },
	{ "pointer loops end", test_name_loops },
	{ "names over 255 octets", test_name_too_long },
	{ "names printed as Suricata", test_name_print },
	{ "UDP request", test_udp_request },
	{ "UDP responses (A, TXT)", test_udp_response },
	{ "iodine NULL query, Latin-1 labels", test_iodine_null },
	{ "malformed messages", test_malformed },
	{ "TCP framing split at every byte", test_tcp_split },
	{ "TCP message over the buffer", test_tcp_oversize },
	{ "probe", test_probe },
	{ "random and mutated input", test_garbage },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "dns", NULL, NULL, dns_cases },
	{ NULL, NULL, NULL, NULL }
};
