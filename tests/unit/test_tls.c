/*
 * test_tls: the TLS parser (include/mamori/tls.h, src/app/tls.c, md5.c).
 *
 * Real bytes from benign/https-firefox.pcap (tls-data.h): the ClientHello
 * and ServerHello records and the server's first certificate; the expected
 * SNI, JA3/JA3S strings and hashes are what tshark prints for that
 * capture, the subject, issuer, serial and SHA-1 fingerprint what
 * `openssl x509` prints for the certificate. Built handshakes cover
 * GREASE, TLS 1.3 and HelloRetryRequest, certificate chains over several
 * records, and malformed input; every stream is also fed split at every
 * byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/tls.h"
#include "tls-data.h"

#define MAXREC 16
#define SLEN 1024

struct rec {
	unsigned n;
	struct {
		char sni[SLEN], ja3[SLEN], ja3h[SLEN], ja3s[SLEN], ja3sh[SLEN];
		char subj[SLEN], iss[SLEN], serial[SLEN], fp[SLEN];
		uint32_t certlen;
		char version[16];
		uint8_t dir;
		uint8_t hs;
	} r[MAXREC];
	unsigned events[TLS_EV_MAX];
};

static void slice_str(const struct app_slice *s, char *out)
{
	size_t n;

	out[0] = '\0';
	if (!s->p)
		return;
	n = s->len < SLEN - 1 ? s->len : SLEN - 1;
	memcpy(out, s->p, n);
	out[n] = '\0';
}

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct rec *r = arg;
	unsigned i = r->n++;

	CU_ASSERT_EQUAL(in->proto, APP_PROTO_TLS);
	CU_ASSERT_EQUAL(in->tx_id, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(in->meta);
	if (i >= MAXREC)
		return;
	slice_str(&in->buf[RULE_BUF_TLS_SNI], r->r[i].sni);
	slice_str(&in->buf[RULE_BUF_JA3_STRING], r->r[i].ja3);
	slice_str(&in->buf[RULE_BUF_JA3_HASH], r->r[i].ja3h);
	slice_str(&in->buf[RULE_BUF_JA3S_STRING], r->r[i].ja3s);
	slice_str(&in->buf[RULE_BUF_JA3S_HASH], r->r[i].ja3sh);
	slice_str(&in->buf[RULE_BUF_TLS_CERT_SUBJECT], r->r[i].subj);
	slice_str(&in->buf[RULE_BUF_TLS_CERT_ISSUER], r->r[i].iss);
	slice_str(&in->buf[RULE_BUF_TLS_CERT_SERIAL], r->r[i].serial);
	slice_str(&in->buf[RULE_BUF_TLS_CERT_FINGERPRINT], r->r[i].fp);
	r->r[i].certlen = in->buf[RULE_BUF_TLS_CERTS].p ? in->buf[RULE_BUF_TLS_CERTS].len : 0;
	memcpy(r->r[i].version, in->meta->u.tls.version, 16);
	r->r[i].dir = in->dir;
	r->r[i].hs = in->tls_hs;
}

static void on_event(void *arg, unsigned ev)
{
	struct rec *r = arg;

	CU_ASSERT_FATAL(ev < TLS_EV_MAX);
	r->events[ev]++;
}

static unsigned total_events(const struct rec *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < TLS_EV_MAX; i++)
		n += r->events[i];
	return n;
}

static struct tls_state *new_state(void)
{
	struct tls_state *st = malloc(tls_state_size());

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(st, 0xa5, tls_state_size());    /* init must not rely on zeroes */
	tls_state_init(st);
	return st;
}

static uint32_t hex(const char *h, uint8_t *buf, size_t cap)
{
	int n = test_hex(h, buf, cap);

	CU_ASSERT_FATAL(n > 0);
	return (uint32_t)n;
}

static const char ff_ja3[] =
	"771,4865-4867-4866-49195-49199-52393-52392-49196-49200-49162-49161-"
	"49171-49172-51-57-47-53-10,0-23-65281-10-11-35-16-5-51-43-13-45-28-21,"
	"29-23-24-25-256-257,0";

/* ---- building handshakes ---- */

struct bld {
	uint8_t b[40000];
	uint32_t n;
};

static void put8(struct bld *b, unsigned v) { b->b[b->n++] = (uint8_t)v; }
static void put16(struct bld *b, unsigned v) { put8(b, v >> 8); put8(b, v & 0xff); }
static void put24(struct bld *b, unsigned v) { put8(b, v >> 16); put16(b, v & 0xffff); }
static void putn(struct bld *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += (uint32_t)n;
}

/* Wrap handshake bytes into records of at most `frag` payload bytes. */
static void records(struct bld *out, uint8_t type, const uint8_t *p, uint32_t n,
		    uint32_t frag)
{
	for (uint32_t o = 0; o < n; o += frag) {
		uint32_t k = n - o < frag ? n - o : frag;

		put8(out, type);
		put16(out, 0x0303);
		put16(out, k);
		putn(out, p + o, k);
	}
}

/* A ClientHello with GREASE in ciphers, extensions and groups. */
static uint32_t grease_client_hello(struct bld *hs)
{
	uint8_t rnd[32] = { 0 };
	uint32_t len_at, ext_at;

	put8(hs, 1);
	len_at = hs->n;
	put24(hs, 0);
	put16(hs, 0x0303);
	putn(hs, rnd, 32);
	put8(hs, 0);                            /* session id */
	put16(hs, 6);
	put16(hs, 0x3a3a); put16(hs, 0x1301); put16(hs, 0xc02f);
	put8(hs, 1); put8(hs, 0);               /* compression: null */
	ext_at = hs->n;
	put16(hs, 0);
	put16(hs, 0xdada); put16(hs, 0);        /* GREASE extension */
	put16(hs, 0); put16(hs, 13);            /* server_name */
	put16(hs, 11); put8(hs, 0); put16(hs, 8); putn(hs, "a.b.test", 8);
	put16(hs, 10); put16(hs, 8);            /* supported_groups */
	put16(hs, 6); put16(hs, 0x0a0a); put16(hs, 29); put16(hs, 23);
	put16(hs, 11); put16(hs, 2); put8(hs, 1); put8(hs, 0);
	put16(hs, 43); put16(hs, 7); put8(hs, 6);   /* supported_versions */
	put16(hs, 0x7a7a); put16(hs, 0x0304); put16(hs, 0x0303);
	hs->b[ext_at] = (uint8_t)((hs->n - ext_at - 2) >> 8);
	hs->b[ext_at + 1] = (uint8_t)(hs->n - ext_at - 2);
	hs->b[len_at] = 0;
	hs->b[len_at + 1] = (uint8_t)((hs->n - len_at - 3) >> 8);
	hs->b[len_at + 2] = (uint8_t)(hs->n - len_at - 3);
	return hs->n;
}

/* A ServerHello; sv: supported_versions (0: none); hrr: HelloRetryRequest. */
static void server_hello(struct bld *hs, uint16_t sv, bool hrr)
{
	static const uint8_t hrr_random[32] = {
		0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
		0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
		0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
	};
	uint8_t rnd[32];
	uint32_t at;

	memset(rnd, 7, sizeof(rnd));
	put8(hs, 2);
	at = hs->n;
	put24(hs, 0);
	put16(hs, 0x0303);
	putn(hs, hrr ? hrr_random : rnd, 32);
	put8(hs, 0);
	put16(hs, 0x1301);
	put8(hs, 0);
	put16(hs, sv ? 6 : 0);
	if (sv) {
		put16(hs, 43); put16(hs, 2); put16(hs, sv);
	}
	hs->b[at + 2] = (uint8_t)(hs->n - at - 3);
}

/* Certificate message with the firefox certificate and a dummy second. */
static void certificate_msg(struct bld *hs)
{
	uint8_t der[2000];
	uint32_t n = hex(cert_hex, der, sizeof(der));

	put8(hs, 11);
	put24(hs, 3 + 3 + n + 3 + 5);
	put24(hs, 3 + n + 3 + 5);
	put24(hs, n);
	putn(hs, der, n);
	put24(hs, 5);
	putn(hs, "\x30\x03\x02\x01\x01", 5);
}

/* ---- tests ---- */

static void test_md5(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t d[16];
		char h[33];

		mamori_md5(v[i].in, strlen(v[i].in), d);
		for (int k = 0; k < 16; k++)
			snprintf(h + 2 * k, 3, "%02x", d[k]);
		CU_ASSERT_STRING_EQUAL(h, v[i].out);
	}
}

static void test_version_strings(void)
{
	static const struct { uint16_t v; const char *s; } t[] = {
		{ 0, "UNDETERMINED" }, { 0x0300, "SSLv3" }, { 0x0301, "TLSv1" },
		{ 0x0302, "TLS 1.1" }, { 0x0303, "TLS 1.2" }, { 0x0304, "TLS 1.3" },
		{ 0x7f17, "TLS 1.3 draft-23" }, { 0xfb1a, "TLS 1.3 draft-26-fb" },
		{ 0x7f0f, "TLS 1.3 draft-<16" }, { 0x1234, "0x1234" },
	};
	char out[20];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tls_version_string(t[i].v, out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, t[i].s);
	}
	CU_ASSERT_STRING_EQUAL(tls_event_name(TLS_EV_INVALID_RECORD_TYPE), "invalid_record_type");
	CU_ASSERT_PTR_NULL(tls_event_name(TLS_EV_MAX));
}

static void test_client_hello(void)
{
	struct tls_state *st = new_state();
	struct rec r = { 0 };
	uint8_t b[600];
	uint32_t n = hex(ch_hex, b, sizeof(b));

	tls_parse(st, 0, b, n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_STRING_EQUAL(r.r[0].sni, "www.ntop.org");
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3, ff_ja3);
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3h, "b20b44b18b853ef29ab773e921b03422");
	CU_ASSERT_STRING_EQUAL(r.r[0].version, "UNDETERMINED");
	CU_ASSERT_STRING_EQUAL(st->meta.u.tls.sni, "www.ntop.org");
	CU_ASSERT_STRING_EQUAL(st->meta.u.tls.ja3_hash, "b20b44b18b853ef29ab773e921b03422");
	CU_ASSERT_EQUAL(st->client_version, 0x0303);
	CU_ASSERT_EQUAL(total_events(&r), 0);
	free(st);
}

static void test_server_flight(void)
{
	struct tls_state *st = new_state();
	static struct bld hs, srv;
	struct rec r = { 0 };
	uint8_t b[600];
	uint32_t n;

	hs.n = srv.n = 0;
	n = hex(sh_hex, b, sizeof(b));
	putn(&srv, b, n);
	/* the certificate message over three records */
	certificate_msg(&hs);
	records(&srv, 22, hs.b, hs.n, 600);
	tls_parse(st, 1, srv.b, srv.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 3);
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3s, "771,52392,65281-0-11-35-16-23");
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3sh, "3653a20186a5b490426131a611e01992");
	CU_ASSERT_STRING_EQUAL(r.r[0].version, "TLS 1.2");
	CU_ASSERT_STRING_EQUAL(r.r[1].subj, "CN=www.ntop.org");
	CU_ASSERT_STRING_EQUAL(r.r[1].iss, "C=US, O=Let's Encrypt, CN=Let's Encrypt Authority X3");
	CU_ASSERT_STRING_EQUAL(r.r[1].serial, "03:C5:6F:66:36:ED:A7:2F:7F:4C:56:65:FA:05:5D:93:32:55");
	CU_ASSERT_STRING_EQUAL(r.r[1].fp, "db:a7:e4:3e:6d:bb:21:ab:68:47:35:e8:0b:8f:15:df:db:c7:c9:6f");
	CU_ASSERT_EQUAL(r.r[1].certlen, 1365);
	/* the second certificate: its DER alone */
	CU_ASSERT_EQUAL(r.r[2].certlen, 5);
	CU_ASSERT_STRING_EQUAL(r.r[2].subj, "");
	CU_ASSERT_STRING_EQUAL(st->meta.u.tls.subject, "CN=www.ntop.org");
	CU_ASSERT_STRING_EQUAL(st->meta.u.tls.version, "TLS 1.2");
	CU_ASSERT_EQUAL(st->version, 0x0303);
	CU_ASSERT_EQUAL(total_events(&r), 0);
	CU_ASSERT_FALSE(tls_done(st));
	free(st);
}

/* Feed a stream whole, then split in two at every byte, then a byte at a
 * time: the same inspections each time. */
static void split_check(int dir, const uint8_t *s, uint32_t n)
{
	struct tls_state *st = new_state();
	static struct rec whole, r;
	unsigned bad = 0;

	memset(&whole, 0, sizeof(whole));
	tls_parse(st, dir, s, n, on_inspect, on_event, &whole);
	CU_ASSERT(whole.n > 0);
	for (uint32_t cut = 0; cut <= n; cut++) {
		memset(&r, 0, sizeof(r));
		tls_state_init(st);
		tls_parse(st, dir, s, cut, on_inspect, on_event, &r);
		tls_parse(st, dir, s + cut, n - cut, on_inspect, on_event, &r);
		bad += memcmp(&whole, &r, sizeof(r)) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	memset(&r, 0, sizeof(r));
	tls_state_init(st);
	for (uint32_t i = 0; i < n; i++)
		tls_parse(st, dir, s + i, 1, on_inspect, on_event, &r);
	CU_ASSERT(memcmp(&whole, &r, sizeof(r)) == 0);
	free(st);
}

static void test_split_every_byte(void)
{
	static struct bld hs, srv;
	uint8_t b[600];
	uint32_t n = hex(ch_hex, b, sizeof(b));

	split_check(0, b, n);
	hs.n = srv.n = 0;
	n = hex(sh_hex, b, sizeof(b));
	putn(&srv, b, n);
	certificate_msg(&hs);
	records(&srv, 22, hs.b, hs.n, 500);
	split_check(1, srv.b, srv.n);
}

static void test_grease_and_tls13(void)
{
	struct tls_state *st = new_state();
	static struct bld hs, rec;
	struct rec r = { 0 };
	static const uint8_t appdata[] = { 23, 3, 3, 0, 2, 0xaa, 0xbb };

	hs.n = rec.n = 0;
	grease_client_hello(&hs);
	records(&rec, 22, hs.b, hs.n, 16384);
	tls_parse(st, 0, rec.b, rec.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_STRING_EQUAL(r.r[0].sni, "a.b.test");
	/* GREASE cipher, extension and group left out */
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3, "771,4865-49199,0-10-11-43,29-23,0");

	hs.n = rec.n = 0;
	server_hello(&hs, 0x0304, false);
	records(&rec, 22, hs.b, hs.n, 16384);
	/* TLS 1.3: everything after the ServerHello is encrypted; a record
	 * of type 22 there is not parsed */
	records(&rec, 22, (const uint8_t *)"\x0b\x00\x00\x01\x00", 5, 16384);
	tls_parse(st, 1, rec.b, rec.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	CU_ASSERT_STRING_EQUAL(r.r[1].ja3s, "771,4865,43");
	CU_ASSERT_STRING_EQUAL(r.r[1].version, "TLS 1.3");
	CU_ASSERT_STRING_EQUAL(r.r[1].sni, "");         /* buffer: CH only */
	CU_ASSERT_STRING_EQUAL(st->meta.u.tls.sni, "a.b.test");    /* meta keeps it */
	CU_ASSERT_FALSE(tls_done(st));
	tls_parse(st, 0, appdata, sizeof(appdata), on_inspect, on_event, &r);
	CU_ASSERT_TRUE(tls_done(st));
	CU_ASSERT_EQUAL(total_events(&r), 0);
	free(st);
}

static void test_hello_retry(void)
{
	/* CH, HRR + CCS, CCS + CH again, ServerHello: two ClientHellos and
	 * two ServerHellos are inspected (TLS 1.3's CCS is a dummy) */
	struct tls_state *st = new_state();
	static struct bld hs, c, s;
	struct rec r = { 0 };
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };

	hs.n = c.n = 0;
	grease_client_hello(&hs);
	records(&c, 22, hs.b, hs.n, 16384);
	tls_parse(st, 0, c.b, c.n, on_inspect, on_event, &r);
	hs.n = s.n = 0;
	server_hello(&hs, 0x0304, true);
	records(&s, 22, hs.b, hs.n, 16384);
	putn(&s, ccs, sizeof(ccs));
	tls_parse(st, 1, s.b, s.n, on_inspect, on_event, &r);
	CU_ASSERT_FALSE(st->dir[1].encrypted);
	tls_parse(st, 0, ccs, sizeof(ccs), on_inspect, on_event, &r);
	tls_parse(st, 0, c.b, c.n, on_inspect, on_event, &r);
	hs.n = s.n = 0;
	server_hello(&hs, 0x0304, false);
	records(&s, 22, hs.b, hs.n, 16384);
	tls_parse(st, 1, s.b, s.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL_FATAL(r.n, 4);
	CU_ASSERT_STRING_EQUAL(r.r[2].sni, "a.b.test");
	CU_ASSERT_EQUAL(r.r[2].dir, 0);
	CU_ASSERT_STRING_EQUAL(r.r[3].version, "TLS 1.3");
	CU_ASSERT_TRUE(st->dir[1].encrypted);
	free(st);
}

/* What tls.version, ssl_version and ssl_state read: the record layer's
 * version until the hello, then the hello's; the handshake messages of
 * the current call, kept across calls while a record goes on. */
static void test_detection_view(void)
{
	struct tls_state *st = new_state();
	static struct bld hs, srv;
	struct rec r = { 0 };
	uint8_t b[600];
	uint32_t n = hex(ch_hex, b, sizeof(b));
	static const uint8_t skx[] = { 22, 3, 3, 0, 8, 12, 0, 0, 4, 1, 2, 3, 4,
				       22, 3, 3, 0, 4, 14, 0, 0, 0 };
	static const uint8_t ckx[] = { 22, 3, 3, 0, 6, 16, 0, 0, 2, 0, 0 };
	static const uint8_t odd[] = { 22, 3, 3, 0, 4, 99, 0, 0, 0 };

	CU_ASSERT_EQUAL(tls_dir_version(st, 0), 0);
	/* the record header alone: its version (firefox writes 0x0301) */
	tls_parse(st, 0, b, 7, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_dir_version(st, 0), 0x0301);
	CU_ASSERT_EQUAL(tls_cur_states(st, 0), 0);
	/* the rest of the record (a call inside it): the ClientHello's
	 * legacy 0x0303, then the first of its supported_versions */
	tls_parse(st, 0, b + 7, n - 7, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(st->client_version, 0x0303);
	CU_ASSERT_EQUAL(tls_dir_version(st, 0), 0x0304);
	CU_ASSERT_EQUAL(tls_cur_states(st, 0), RULE_SSL_CLIENT_HELLO);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.r[0].hs, 1);
	CU_ASSERT_EQUAL(tls_dir_version(st, 1), 0);

	/* server: ServerHello and a certificate record cut in two calls */
	hs.n = srv.n = 0;
	n = hex(sh_hex, b, sizeof(b));
	putn(&srv, b, n);
	certificate_msg(&hs);
	records(&srv, 22, hs.b, hs.n, 16384);
	tls_parse(st, 1, srv.b, n + 100, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_dir_version(st, 1), 0x0303);
	CU_ASSERT_EQUAL(tls_cur_states(st, 1), RULE_SSL_SERVER_HELLO);
	tls_parse(st, 1, srv.b + n + 100, srv.n - n - 100, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_cur_states(st, 1), RULE_SSL_SERVER_HELLO);
	CU_ASSERT_EQUAL_FATAL(r.n, 4);
	CU_ASSERT_EQUAL(r.r[1].hs, 2);
	CU_ASSERT_EQUAL(r.r[2].hs, 11);
	/* a new call on a record boundary starts over: ServerKeyExchange
	 * and ServerHelloDone; the key exchange is a point of its own */
	tls_parse(st, 1, skx, sizeof(skx), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_cur_states(st, 1), RULE_SSL_SERVER_KEYX);
	CU_ASSERT_EQUAL_FATAL(r.n, 5);
	CU_ASSERT_EQUAL(r.r[4].hs, 12);
	CU_ASSERT_EQUAL(r.r[4].dir, 1);
	CU_ASSERT_EQUAL(r.r[4].certlen, 0);
	CU_ASSERT_STRING_EQUAL(r.r[4].ja3s, "");
	/* the hello fixed the version: later records do not change it */
	CU_ASSERT_EQUAL(tls_dir_version(st, 1), 0x0303);
	tls_parse(st, 0, ckx, sizeof(ckx), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_cur_states(st, 0), RULE_SSL_CLIENT_KEYX);
	CU_ASSERT_EQUAL_FATAL(r.n, 6);
	CU_ASSERT_EQUAL(r.r[5].hs, 16);
	CU_ASSERT_EQUAL(r.r[5].dir, 0);
	CU_ASSERT_EQUAL(tls_dir_version(st, 0), 0x0304);
	CU_ASSERT_EQUAL(total_events(&r), 0);
	/* an unknown handshake type */
	tls_parse(st, 0, odd, sizeof(odd), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_cur_states(st, 0), RULE_SSL_UNKNOWN);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_HANDSHAKE_MESSAGE], 1);

	/* TLS 1.3: supported_versions decides the server's version */
	tls_state_init(st);
	hs.n = srv.n = 0;
	server_hello(&hs, 0x0304, false);
	records(&srv, 22, hs.b, hs.n, 16384);
	tls_parse(st, 1, srv.b, srv.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_dir_version(st, 1), 0x0304);
	/* a draft version too; and GREASE is no client version */
	tls_state_init(st);
	hs.n = srv.n = 0;
	server_hello(&hs, 0x7f17, false);
	records(&srv, 22, hs.b, hs.n, 16384);
	tls_parse(st, 1, srv.b, srv.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_dir_version(st, 1), 0x7f17);
	hs.n = srv.n = 0;
	grease_client_hello(&hs);
	records(&srv, 22, hs.b, hs.n, 16384);
	tls_parse(st, 0, srv.b, srv.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(tls_dir_version(st, 0), 0x0304);
	free(st);
}

static void test_ccs_tls12(void)
{
	/* before 1.3, handshake records after CCS are encrypted Finished
	 * messages: not parsed (garbage there raises nothing) */
	struct tls_state *st = new_state();
	struct rec r = { 0 };
	static const uint8_t s[] = {
		20, 3, 3, 0, 1, 1,
		22, 3, 3, 0, 8, 0x99, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde,
	};

	tls_parse(st, 0, s, sizeof(s), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.n, 0);
	CU_ASSERT_EQUAL(total_events(&r), 0);
	CU_ASSERT_TRUE(st->dir[0].encrypted);
	free(st);
}

static void test_name_print(void)
{
	/* Name: SET{C=JP}, SET{O=a + OU=b}, SET{1.2.3.4=INTEGER 0x01ff},
	 * SET{CN=BMP "\u00e9t\u00e9"}, SET{Email=IA5 "x@y"} */
	static const char name_hex[] =
		"3057"
		"310b300906035504061302" "4a50"
		"3114300806035504 0a0c0161 300806035504 0b0c0162"
		"310b300906032a0304 020201ff"
		"310f300d06035504031e06 00e9007400e9"
		"3112301006092a864886f70d010901 1603 784079";
	uint8_t der[200];
	char out[256];
	int n = test_hex(name_hex, der, sizeof(der));

	CU_ASSERT_FATAL(n > 0);
	der[1] = (uint8_t)(n - 2);
	CU_ASSERT_EQUAL(tls_x509_name_print(der, (uint32_t)n, out, sizeof(out)),
			(int)strlen(out));
	CU_ASSERT_STRING_EQUAL(out, "C=JP, O=a + OU=b, OID(1.2.3.4)=01FF, "
			       "CN=\xc3\xa9t\xc3\xa9, Email=x@y");
	/* cut output stays terminated */
	tls_x509_name_print(der, (uint32_t)n, out, 8);
	CU_ASSERT_STRING_EQUAL(out, "C=JP, O");
	/* broken DER: a length past the end, invalid UTF-8 in a string */
	CU_ASSERT_EQUAL(tls_x509_name_print(der, (uint32_t)n - 1, out, sizeof(out)), -1);
	der[11] = 0x0c;                         /* UTF8String */
	der[13] = 0xff;
	CU_ASSERT_EQUAL(tls_x509_name_print(der, (uint32_t)n, out, sizeof(out)), -1);
}

static void test_malformed(void)
{
	struct tls_state *st = new_state();
	struct rec r = { 0 };
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t sslv2[] = { 22, 2, 0, 0, 4, 1, 0, 0, 0 };
	static const uint8_t huge[] = { 23, 3, 3, 0x48, 0x01 };
	static const uint8_t shortch[] = { 22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0 };
	static const uint8_t badtype[] = { 22, 3, 3, 0, 4, 0x63, 0, 0, 0 };
	static struct bld hs, rec;

	tls_parse(st, 0, http, sizeof(http) - 1, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_RECORD_TYPE], 1);
	CU_ASSERT_TRUE(tls_failed(st));
	CU_ASSERT_TRUE(tls_done(st));
	/* failed: later data is ignored */
	tls_parse(st, 0, http, sizeof(http) - 1, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_RECORD_TYPE], 1);

	tls_state_init(st);
	tls_parse(st, 0, sslv2, sizeof(sslv2), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_RECORD_VERSION], 1);
	tls_state_init(st);
	tls_parse(st, 1, huge, sizeof(huge), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_RECORD_LENGTH], 1);
	tls_state_init(st);
	tls_parse(st, 0, shortch, sizeof(shortch), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_HANDSHAKE_INVALID_LENGTH], 1);
	CU_ASSERT_FALSE(tls_failed(st));
	tls_state_init(st);
	tls_parse(st, 0, badtype, sizeof(badtype), on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_HANDSHAKE_MESSAGE], 1);
	CU_ASSERT_EQUAL(r.n, 0);

	/* a broken SNI list: counted, the JA3 still there */
	tls_state_init(st);
	memset(&r, 0, sizeof(r));
	hs.n = rec.n = 0;
	grease_client_hello(&hs);
	hs.b[63] = 0x7f;                        /* the host name's length */
	records(&rec, 22, hs.b, hs.n, 16384);
	tls_parse(st, 0, rec.b, rec.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_INVALID_SNI_LENGTH], 1);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_STRING_EQUAL(r.r[0].sni, "");
	CU_ASSERT_STRING_EQUAL(r.r[0].ja3, "771,4865-49199,0-10-11-43,29-23,0");

	/* a handshake message over the buffer: counted and skipped, framing
	 * kept (the ClientHello after it is read) */
	tls_state_init(st);
	memset(&r, 0, sizeof(r));
	hs.n = rec.n = 0;
	put8(&hs, 4);                           /* NewSessionTicket-sized blob */
	put24(&hs, 20000);
	memset(hs.b + hs.n, 0, 20000);
	hs.n += 20000;
	grease_client_hello(&hs);
	records(&rec, 22, hs.b, hs.n, 16384);
	tls_parse(st, 0, rec.b, rec.n, on_inspect, on_event, &r);
	CU_ASSERT_EQUAL(r.events[TLS_EV_HANDSHAKE_TOO_LONG], 1);
	CU_ASSERT_EQUAL(r.n, 1);
	free(st);
}

static void test_probe(void)
{
	uint8_t b[600];
	uint32_t n = hex(ch_hex, b, sizeof(b));

	CU_ASSERT_TRUE(tls_probe(b, n));
	CU_ASSERT_TRUE(tls_probe(b, 6));
	CU_ASSERT_FALSE(tls_probe(b, 5));
	n = hex(sh_hex, b, sizeof(b));
	CU_ASSERT_TRUE(tls_probe(b, n));
	CU_ASSERT_FALSE(tls_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	CU_ASSERT_FALSE(tls_probe((const uint8_t *)"SSH-2.0-OpenSSH_8.9\r\n", 21));
	b[5] = 11;                              /* starts with a Certificate */
	CU_ASSERT_FALSE(tls_probe(b, n));
}

static void test_garbage(void)
{
	struct tls_state *st = new_state();
	static uint8_t buf[3000], base[600];
	uint32_t bn = hex(ch_hex, base, sizeof(base)), x = 777;
	struct rec r;

	for (int it = 0; it < 20000; it++) {
		uint32_t len;

		memset(&r, 0, sizeof(r));
		tls_state_init(st);
		if (it & 1) {
			memcpy(buf, base, bn);
			len = bn;
			for (int k = 0; k < 3; k++) {
				x = x * 1103515245 + 12345;
				buf[5 + (x >> 8) % (len - 5)] = (uint8_t)(x >> 20);
			}
		} else {
			x = x * 1103515245 + 12345;
			len = (x >> 8) % sizeof(buf);
			buf[0] = 22;
			buf[1] = 3;
			for (uint32_t i = 2; i < len; i++) {
				x = x * 1103515245 + 12345;
				buf[i] = (uint8_t)(x >> 16);
			}
		}
		tls_probe(buf, len);
		tls_parse(st, it & 2 ? 1 : 0, buf, len, on_inspect, on_event, &r);
	}
	free(st);
}

static const struct test_case tls_cases[] = {
	{ "MD5 (RFC 1321 vectors)", test_md5 },
	{ "version strings and event names", test_version_strings },
	{ "ClientHello: SNI and JA3 (firefox)", test_client_hello },
	{ "ServerHello and certificate over records", test_server_flight },
	{ "split at every byte", test_split_every_byte },
	{ "GREASE left out; TLS 1.3", test_grease_and_tls13 },
	{ "HelloRetryRequest", test_hello_retry },
	{ "versions and states for detection", test_detection_view },
	{ "TLS 1.2 CCS ends parsing", test_ccs_tls12 },
	{ "X.509 names as Suricata prints them", test_name_print },
	{ "malformed input", test_malformed },
	{ "probe", test_probe },
	{ "random and mutated input", test_garbage },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "tls", NULL, NULL, tls_cases },
	{ NULL, NULL, NULL, NULL }
};
