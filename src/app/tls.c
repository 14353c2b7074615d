/*
 * tls: TLS records, handshake messages, JA3/JA3S and the server
 * certificate (see tls.h).
 *
 * Two layers per direction. The record layer reads 5-byte headers (which
 * may arrive a byte at a time) and passes the payload of handshake
 * records on, whatever the call boundaries; other records are only
 * framed. The handshake layer reads 4-byte message headers and collects
 * each message into the direction's buffer until it is whole, so a
 * message may span records and calls, and a record may hold several
 * messages. Copying costs nothing that matters: a flow's handshake is a
 * few KiB once, and then the direction turns encrypted and is skipped.
 *
 * The certificate is read by a small DER walker of our own rather than by
 * OpenSSL's d2i_X509: we need three fields of the first certificate, not
 * a validated object, d2i_X509 allocates a tree per certificate, and
 * X509_NAME_print_ex has no flag set that prints Suricata's format
 * (x509-parser's: attributes "SN=value" in certificate order, ", " between
 * RDNs, " + " inside one, CN/C/L/ST/O/OU/DC/Email abbreviated, other
 * types by their registry name, strings as is, other values in uppercase
 * hex). Every length is checked against its container; lengths are at
 * most 4 bytes and the depth is fixed, so the walk is bounded by the
 * certificate's size.
 */
#include <stdio.h>
#include <string.h>

#include "mamori/flow.h"
#include "mamori/tls.h"

/* Longest JA3 string kept (a ClientHello would need over 500 cipher
 * suites to exceed it); beyond, no JA3 and an event. */
#define TLS_JA3_MAX 4096
/* Longest printed subject or issuer kept for the buffers. */
#define TLS_NAME_MAX 1024

static const char *const tls_event_names[TLS_EV_MAX] = {
#define X(id, name) [TLS_EV_##id] = name,
	TLS_EVENTS(X)
#undef X
};

const char *tls_event_name(unsigned ev)
{
	return ev < TLS_EV_MAX ? tls_event_names[ev] : NULL;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static inline bool is_tls13(uint16_t v)
{
	return v == 0x0304 || (v >> 8) == 0x7f || (v >> 8) == 0xfb;
}

/* A version a ClientHello's supported_versions may name (GREASE and
 * noise are not). */
static inline bool version_valid(uint16_t v)
{
	return (v >= 0x0300 && v <= 0x0304) || (v >= 0x7f01 && v <= 0x7f1c) ||
	       (v >= 0xfb14 && v <= 0xfb1a);
}

void tls_version_string(uint16_t v, char *out, size_t cap)
{
	const char *s = NULL;

	switch (v) {
	case 0x0000: s = "UNDETERMINED"; break;
	case 0x0002: s = "SSLv2"; break;
	case 0x0300: s = "SSLv3"; break;
	case 0x0301: s = "TLSv1"; break;
	case 0x0302: s = "TLS 1.1"; break;
	case 0x0303: s = "TLS 1.2"; break;
	case 0x0304: s = "TLS 1.3"; break;
	case 0x7f0f: s = "TLS 1.3 draft-<16"; break;
	case 0xfb14: s = "TLS 1.3 draft-20-fb"; break;
	case 0xfb15: s = "TLS 1.3 draft-21-fb"; break;
	case 0xfb16: s = "TLS 1.3 draft-22-fb"; break;
	case 0xfb17: s = "TLS 1.3 draft-23-fb"; break;
	case 0xfb1a: s = "TLS 1.3 draft-26-fb"; break;
	default: break;
	}
	if (s)
		snprintf(out, cap, "%s", s);
	else if (v >= 0x7f10 && v <= 0x7f1c)
		snprintf(out, cap, "TLS 1.3 draft-%u", v & 0xffu);
	else
		snprintf(out, cap, "0x%04x", v);
}

/* A bounded string builder; over is set once anything did not fit. */
struct sbuf {
	char *p;
	size_t cap, len;
	bool over;
};

static void sb_putc(struct sbuf *b, char ch)
{
	if (b->len + 1 >= b->cap) {
		b->over = true;
		return;
	}
	b->p[b->len++] = ch;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s)
{
	while (*s)
		sb_putc(b, *s++);
}

static void sb_putn(struct sbuf *b, const uint8_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sb_putc(b, (char)s[i]);
}

static void sb_putu(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i > 0)
		sb_putc(b, tmp[--i]);
}

static void sb_hex(struct sbuf *b, const uint8_t *p, uint32_t n, bool upper,
		   char sep)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	for (uint32_t i = 0; i < n; i++) {
		if (sep && i > 0)
			sb_putc(b, sep);
		sb_putc(b, hex[p[i] >> 4]);
		sb_putc(b, hex[p[i] & 15]);
	}
}

/* Append a list of 16-bit values (GREASE left out) joined with '-'. */
static void sb_list16(struct sbuf *b, const uint8_t *p, uint32_t n)
{
	bool first = true;

	for (uint32_t i = 0; i + 1 < n; i += 2) {
		uint16_t v = be16(p + i);

		if (is_grease(v))
			continue;
		if (!first)
			sb_putc(b, '-');
		sb_putu(b, v);
		first = false;
	}
}

static void md5_hex(const char *s, size_t n, char out[33])
{
	struct sbuf b = { out, 33, 0, false };
	uint8_t d[16];

	mamori_md5(s, n, d);
	sb_hex(&b, d, 16, false, 0);
}

/* ---- DER and X.509 names ---------------------------------------------- */

/* Read the TLV at der[*off], which must end by `end`: its tag and its
 * value's offset and length; *off moves past it. */
static int der_next(const uint8_t *der, uint32_t end, uint32_t *off,
		    uint8_t *tag, uint32_t *vs, uint32_t *vl)
{
	uint32_t o = *off, l;

	if (o >= end || end - o < 2)
		return -1;
	*tag = der[o];
	if ((*tag & 0x1f) == 0x1f)
		return -1;      /* high tag numbers: none in a certificate */
	l = der[o + 1];
	o += 2;
	if (l & 0x80) {
		unsigned nb = l & 0x7f;

		if (nb == 0 || nb > 4 || end - o < nb)
			return -1;  /* indefinite or absurd: not DER */
		l = 0;
		for (unsigned i = 0; i < nb; i++)
			l = l << 8 | der[o++];
	}
	if (l > end - o)
		return -1;
	*vs = o;
	*vl = l;
	*off = o + l;
	return 0;
}

struct oid_name {
	uint8_t len;
	uint8_t der[10];
	const char *name;
};

/* x509-parser's abbreviations, then oid-registry's short names */
static const struct oid_name oid_names[] = {
	{ 3, { 0x55, 0x04, 0x03 }, "CN" },
	{ 3, { 0x55, 0x04, 0x06 }, "C" },
	{ 3, { 0x55, 0x04, 0x07 }, "L" },
	{ 3, { 0x55, 0x04, 0x08 }, "ST" },
	{ 3, { 0x55, 0x04, 0x0a }, "O" },
	{ 3, { 0x55, 0x04, 0x0b }, "OU" },
	{ 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 }, "DC" },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 }, "Email" },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x02 }, "unstructuredName" },
	{ 3, { 0x55, 0x04, 0x00 }, "objectClass" },
	{ 3, { 0x55, 0x04, 0x01 }, "aliasedEntryName" },
	{ 3, { 0x55, 0x04, 0x02 }, "knowledgeInformation" },
	{ 3, { 0x55, 0x04, 0x04 }, "surname" },
	{ 3, { 0x55, 0x04, 0x05 }, "serialNumber" },
	{ 3, { 0x55, 0x04, 0x09 }, "streetAddress" },
	{ 3, { 0x55, 0x04, 0x0c }, "title" },
	{ 3, { 0x55, 0x04, 0x0d }, "description" },
	{ 3, { 0x55, 0x04, 0x0f }, "businessCategory" },
	{ 3, { 0x55, 0x04, 0x11 }, "postalCode" },
	{ 3, { 0x55, 0x04, 0x29 }, "name" },
	{ 3, { 0x55, 0x04, 0x2a }, "givenName" },
	{ 3, { 0x55, 0x04, 0x2b }, "initials" },
	{ 3, { 0x55, 0x04, 0x2c }, "generationQualifier" },
};

/* An OID's name, or "OID(1.2.3)" as x509-parser prints unknown ones. */
static int oid_print(struct sbuf *b, const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;
	unsigned nb = 0;
	bool first = true;

	for (size_t i = 0; i < sizeof(oid_names) / sizeof(oid_names[0]); i++) {
		if (oid_names[i].len == n && memcmp(oid_names[i].der, p, n) == 0) {
			sb_puts(b, oid_names[i].name);
			return 0;
		}
	}
	if (n == 0 || (p[n - 1] & 0x80))
		return -1;
	sb_puts(b, "OID(");
	for (uint32_t i = 0; i < n; i++) {
		if (++nb > 9)
			return -1;      /* over 63 bits */
		v = v << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first) {
			uint64_t a = v < 80 ? v / 40 : 2;

			sb_putu(b, a);
			sb_putc(b, '.');
			sb_putu(b, v - 40 * a);
			first = false;
		} else {
			sb_putc(b, '.');
			sb_putu(b, v);
		}
		v = 0;
		nb = 0;
	}
	sb_putc(b, ')');
	return 0;
}

/* Valid UTF-8 as Rust's str::from_utf8 wants it (no overlongs, no
 * surrogates, at most U+10FFFF). */
static bool utf8_valid(const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		uint8_t c = p[i], lo = 0x80, hi = 0xbf;
		uint32_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 2;
		else if (c >= 0xe0 && c <= 0xef)
			k = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 4;
		else
			return false;
		if (n - i < k)
			return false;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (uint32_t j = 2; j < k; j++)
			if (p[i + j] < 0x80 || p[i + j] > 0xbf)
				return false;
		i += k;
	}
	return true;
}

/* BMPString (UTF-16BE) as UTF-8. */
static int bmp_print(struct sbuf *b, const uint8_t *p, uint32_t n)
{
	if (n & 1)
		return -1;
	for (uint32_t i = 0; i < n; i += 2) {
		uint32_t u = be16(p + i);

		if (u >= 0xd800 && u <= 0xdbff) {
			uint32_t lo;

			if (i + 3 >= n)
				return -1;
			lo = be16(p + i + 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				return -1;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		}
		if (u < 0x80) {
			sb_putc(b, (char)u);
		} else if (u < 0x800) {
			sb_putc(b, (char)(0xc0 | u >> 6));
			sb_putc(b, (char)(0x80 | (u & 0x3f)));
		} else if (u < 0x10000) {
			sb_putc(b, (char)(0xe0 | u >> 12));
			sb_putc(b, (char)(0x80 | ((u >> 6) & 0x3f)));
			sb_putc(b, (char)(0x80 | (u & 0x3f)));
		} else {
			sb_putc(b, (char)(0xf0 | u >> 18));
			sb_putc(b, (char)(0x80 | ((u >> 12) & 0x3f)));
			sb_putc(b, (char)(0x80 | ((u >> 6) & 0x3f)));
			sb_putc(b, (char)(0x80 | (u & 0x3f)));
		}
	}
	return 0;
}

static int atv_value_print(struct sbuf *b, uint8_t tag, const uint8_t *p, uint32_t n)
{
	switch (tag) {
	case 0x07:      /* ObjectDescriptor */
	case 0x0c:      /* UTF8String */
	case 0x12:      /* NumericString */
	case 0x13:      /* PrintableString */
	case 0x14:      /* T61String */
	case 0x15:      /* VideotexString */
	case 0x16:      /* IA5String */
	case 0x19:      /* GraphicString */
	case 0x1a:      /* VisibleString */
	case 0x1b:      /* GeneralString */
		if (!utf8_valid(p, n))
			return -1;
		sb_putn(b, p, n);
		return 0;
	case 0x1e:      /* BMPString */
		return bmp_print(b, p, n);
	default:
		sb_hex(b, p, n, true, 0);
		return 0;
	}
}

int tls_x509_name_print(const uint8_t *der, uint32_t len, char *out, size_t cap)
{
	struct sbuf b = { out, cap, 0, false };
	uint32_t off = 0, s, l, end;
	uint8_t tag;
	bool first = true;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (der_next(der, len, &off, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;
	end = s + l;
	for (uint32_t o = s; o < end; ) {
		uint32_t rs, rl, ro, rend;

		if (der_next(der, end, &o, &tag, &rs, &rl) < 0 || tag != 0x31)
			return -1;
		rend = rs + rl;
		for (ro = rs; ro < rend; ) {
			uint32_t at = ro, as, al, ao, os, ol, vs, vl;
			uint8_t vtag;

			if (der_next(der, rend, &ro, &tag, &as, &al) < 0 || tag != 0x30)
				return -1;
			ao = as;
			if (der_next(der, as + al, &ao, &tag, &os, &ol) < 0 || tag != 0x06)
				return -1;
			if (der_next(der, as + al, &ao, &vtag, &vs, &vl) < 0)
				return -1;
			if (at != rs)
				sb_puts(&b, " + ");     /* not the RDN's first */
			else if (!first)
				sb_puts(&b, ", ");
			first = false;
			if (oid_print(&b, der + os, ol) < 0)
				return -1;
			sb_putc(&b, '=');
			if (atv_value_print(&b, vtag, der + vs, vl) < 0)
				return -1;
		}
	}
	return (int)b.len;
}

/* ---- handshake messages ----------------------------------------------- */

struct tls_ctx {
	struct tls_state *st;
	app_inspect_fn inspect;
	app_event_fn event;
	void *arg;
	int dir;
};

static void tls_event(const struct tls_ctx *c, unsigned ev)
{
	if (c->event)
		c->event(c->arg, ev);
}

static void tls_emit(const struct tls_ctx *c, struct app_inspect *in, uint8_t hs)
{
	in->proto = APP_PROTO_TLS;
	in->dir = (uint8_t)c->dir;
	in->tls_hs = hs;
	in->tx_id = 0;
	in->meta = &c->st->meta;
	if (c->inspect)
		c->inspect(c->arg, in);
}

static void set_buf(struct app_inspect *in, unsigned b, const void *p, size_t n)
{
	in->buf[b].p = p;
	in->buf[b].len = (uint32_t)n;
}

/* Copy n bytes into a NUL-terminated meta string, cut to fit. */
static void meta_str(char *dst, size_t cap, const void *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Walking a hello's extensions block at p[off..n): each extension's type
 * and where its data lies. A length past the block, or bytes left over
 * that cannot be an extension, set bad (the walk stops at the first).
 */
struct ext_iter {
	const uint8_t *p;
	uint32_t off, end;
	bool bad;
};

static void ext_begin(struct ext_iter *it, const uint8_t *p, uint32_t off, uint32_t n)
{
	it->p = p;
	it->bad = false;
	it->off = it->end = off;
	if (off + 2 > n)
		return;         /* no extensions at all */
	it->end = off + 2 + be16(p + off);
	it->off = off + 2;
	if (it->end > n) {
		it->bad = true;
		it->end = n;
	}
}

static bool ext_next(struct ext_iter *it, uint16_t *type, uint32_t *data, uint32_t *len)
{
	if (it->off + 4 > it->end) {
		if (it->off != it->end)
			it->bad = true;
		return false;
	}
	*type = be16(it->p + it->off);
	*len = be16(it->p + it->off + 2);
	it->off += 4;
	if (it->off + *len > it->end) {
		it->bad = true;
		return false;
	}
	*data = it->off;
	it->off += *len;
	return true;
}

/* An extension type in a JA3/JA3S list ("-" separated, GREASE left out). */
static void ja3_ext(struct sbuf *b, uint16_t type, bool *first)
{
	if (is_grease(type))
		return;
	if (!*first)
		sb_putc(b, '-');
	sb_putu(b, type);
	*first = false;
}

static void tls_client_hello(const struct tls_ctx *c, const uint8_t *p, uint32_t n)
{
	struct app_meta_tls *mt = &c->st->meta.u.tls;
	char ja3[TLS_JA3_MAX], hash[33];
	struct sbuf b = { ja3, sizeof(ja3), 0, false };
	const uint8_t *groups = NULL, *pf = NULL, *sni = NULL;
	uint32_t glen = 0, pflen = 0, snilen = 0, off, cl, d, el;
	struct ext_iter it;
	uint16_t et;
	struct app_inspect in;
	bool bad = false, first = true, sv_done = false;
	uint16_t ver;

	ja3[0] = '\0';
	if (n < 38)
		goto badlen;
	ver = be16(p);
	off = 34 + 1 + p[34];
	if (off + 2 > n)
		goto badlen;
	cl = be16(p + off);
	off += 2;
	if ((cl & 1) || off + cl > n)
		goto badlen;
	c->st->client_version = ver;
	c->st->dir_version[0] = ver;
	c->st->hello_seen[0] = true;
	sb_putu(&b, ver);
	sb_putc(&b, ',');
	sb_list16(&b, p + off, cl);
	sb_putc(&b, ',');
	off += cl;
	if (off + 1 > n || off + 1 + p[off] > n)
		goto badlen;
	off += 1 + p[off];
	ext_begin(&it, p, off, n);
	while (ext_next(&it, &et, &d, &el)) {
		ja3_ext(&b, et, &first);
		if (et == 0 && !sni) {
			/* server_name: a list of (type, name) */
			uint32_t q = d + 2, qend;

			if (el < 2 || 2u + be16(p + d) > el) {
				tls_event(c, TLS_EV_INVALID_SNI_LENGTH);
			} else {
				qend = d + 2 + be16(p + d);
				while (q + 3 <= qend) {
					uint32_t nl = be16(p + q + 1);

					if (q + 3 + nl > qend) {
						tls_event(c, TLS_EV_INVALID_SNI_LENGTH);
						break;
					}
					if (p[q] != 0) {
						tls_event(c, TLS_EV_INVALID_SNI_TYPE);
					} else if (!sni) {
						sni = p + q + 3;
						snilen = nl;
					}
					q += 3 + nl;
				}
			}
		} else if (et == 10 && el >= 2 && 2u + be16(p + d) <= el) {
			groups = p + d + 2;
			glen = be16(p + d);
		} else if (et == 11 && el >= 1 && 1u + p[d] <= el) {
			pf = p + d + 1;
			pflen = p[d];
		} else if (et == 43 && el >= 1 && 1u + p[d] <= el && !sv_done) {
			/* supported_versions: the first valid one is the
			 * client's version (Suricata) */
			for (uint32_t q = d + 1; q + 2 <= d + 1u + p[d]; q += 2) {
				if (version_valid(be16(p + q))) {
					c->st->dir_version[0] = be16(p + q);
					break;
				}
			}
			sv_done = true;
		}
	}
	bad |= it.bad;
	sb_putc(&b, ',');
	if (groups)
		sb_list16(&b, groups, glen);
	sb_putc(&b, ',');
	for (uint32_t i = 0; pf && i < pflen; i++) {
		if (i > 0)
			sb_putc(&b, '-');
		sb_putu(&b, pf[i]);
	}
	if (bad)
		tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
	else if (b.over)
		tls_event(c, TLS_EV_JA3_TOO_LONG);
	memset(&in, 0, sizeof(in));
	if (sni) {
		meta_str(mt->sni, sizeof(mt->sni), sni, snilen);
		set_buf(&in, RULE_BUF_TLS_SNI, sni, snilen);
	}
	if (!bad && !b.over) {
		md5_hex(ja3, b.len, hash);
		memcpy(mt->ja3_hash, hash, sizeof(mt->ja3_hash));
		set_buf(&in, RULE_BUF_JA3_STRING, ja3, b.len);
		set_buf(&in, RULE_BUF_JA3_HASH, hash, 32);
	}
	/* what parsed is inspected even when a later part is broken */
	if (sni || (!bad && !b.over))
		tls_emit(c, &in, 1);
	return;
badlen:
	tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
}

/* ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3) */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void tls_server_hello(const struct tls_ctx *c, const uint8_t *p, uint32_t n)
{
	struct tls_state *st = c->st;
	struct app_meta_tls *mt = &st->meta.u.tls;
	char ja3s[TLS_JA3_MAX], hash[33];
	struct sbuf b = { ja3s, sizeof(ja3s), 0, false };
	struct app_inspect in;
	uint32_t off, d, el;
	struct ext_iter it;
	uint16_t et;
	uint16_t ver, sv = 0, v;
	bool first = true, bad = false;

	ja3s[0] = '\0';
	if (n < 38)
		goto badlen;
	ver = be16(p);
	off = 34 + 1 + p[34];
	if (off + 3 > n)
		goto badlen;
	sb_putu(&b, ver);
	sb_putc(&b, ',');
	sb_putu(&b, be16(p + off));
	sb_putc(&b, ',');
	off += 3;
	ext_begin(&it, p, off, n);
	while (ext_next(&it, &et, &d, &el)) {
		ja3_ext(&b, et, &first);
		if (et == 43 && el == 2)
			sv = be16(p + d);
	}
	bad |= it.bad;
	/* Suricata: 0x0304 in the legacy field, or an early draft number,
	 * is a TLS 1.3 draft before 16; supported_versions decides. */
	v = ver;
	if (v == 0x0304 || (v >= 0x7f01 && v <= 0x7f0f))
		v = 0x7f0f;
	if (sv)
		v = sv;
	st->version = v;
	tls_version_string(v, mt->version, sizeof(mt->version));
	/* what tls.version compares: the legacy field, unless
	 * supported_versions says TLS 1.3 */
	st->dir_version[1] = is_tls13(sv) ? sv : ver;
	st->hello_seen[1] = true;
	if (is_tls13(sv) && memcmp(p + 2, hrr_random, 32) != 0)
		st->dir[c->dir].encrypted = true;   /* the rest is encrypted */
	if (bad) {
		tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
		return;
	}
	memset(&in, 0, sizeof(in));
	if (!b.over) {
		md5_hex(ja3s, b.len, hash);
		memcpy(mt->ja3s_hash, hash, sizeof(mt->ja3s_hash));
		set_buf(&in, RULE_BUF_JA3S_STRING, ja3s, b.len);
		set_buf(&in, RULE_BUF_JA3S_HASH, hash, 32);
	} else {
		tls_event(c, TLS_EV_JA3_TOO_LONG);
	}
	tls_emit(c, &in, 2);
	return;
badlen:
	tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
}

/* Subject, issuer, serial and fingerprint of the first certificate into
 * in and the meta; -1 when its DER is not a certificate. */
static int tls_cert0(const struct tls_ctx *c, const uint8_t *der, uint32_t n,
		     struct app_inspect *in, char *subj, char *iss,
		     char *serial, char *fp)
{
	struct app_meta_tls *mt = &c->st->meta.u.tls;
	uint32_t off = 0, s, l, o, ts, tl, ss, sl, is, il, us, ul, end;
	uint8_t tag, dig[20];
	struct sbuf b;
	int ns, ni;

	if (der_next(der, n, &off, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;
	o = s;
	if (der_next(der, s + l, &o, &tag, &ts, &tl) < 0 || tag != 0x30)
		return -1;
	end = ts + tl;
	o = ts;
	if (der_next(der, end, &o, &tag, &ss, &sl) < 0)
		return -1;
	if (tag == 0xa0 && der_next(der, end, &o, &tag, &ss, &sl) < 0)
		return -1;      /* [0] version, then the serial */
	if (tag != 0x02)
		return -1;
	if (der_next(der, end, &o, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;      /* signature algorithm */
	is = o;
	if (der_next(der, end, &o, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;
	il = o - is;
	if (der_next(der, end, &o, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;      /* validity */
	us = o;
	if (der_next(der, end, &o, &tag, &s, &l) < 0 || tag != 0x30)
		return -1;
	ul = o - us;

	ns = tls_x509_name_print(der + us, ul, subj, TLS_NAME_MAX);
	ni = tls_x509_name_print(der + is, il, iss, TLS_NAME_MAX);
	if (ns < 0 || ni < 0)
		return -1;
	b = (struct sbuf){ serial, 3 * 64, 0, false };
	serial[0] = '\0';
	sb_hex(&b, der + ss, sl, true, ':');
	b = (struct sbuf){ fp, 60, 0, false };
	mamori_sha1(der, n, dig);
	sb_hex(&b, dig, 20, false, ':');

	set_buf(in, RULE_BUF_TLS_CERT_SUBJECT, subj, (size_t)ns);
	set_buf(in, RULE_BUF_TLS_CERT_ISSUER, iss, (size_t)ni);
	set_buf(in, RULE_BUF_TLS_CERT_SERIAL, serial, strlen(serial));
	set_buf(in, RULE_BUF_TLS_CERT_FINGERPRINT, fp, 59);
	meta_str(mt->subject, sizeof(mt->subject), subj, (size_t)ns);
	meta_str(mt->issuerdn, sizeof(mt->issuerdn), iss, (size_t)ni);
	return 0;
}

static void tls_certificate(const struct tls_ctx *c, const uint8_t *p, uint32_t n,
			    bool cut)
{
	char subj[TLS_NAME_MAX], iss[TLS_NAME_MAX], serial[3 * 64], fp[60];
	struct app_inspect in;
	uint32_t off = 3, end;
	unsigned k = 0;

	if (n < 3) {
		tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
		return;
	}
	end = 3 + be24(p);
	if (end > n) {
		if (!cut)
			tls_event(c, TLS_EV_HANDSHAKE_INVALID_LENGTH);
		end = n;
	}
	memset(&in, 0, sizeof(in));
	while (off + 3 <= end) {
		uint32_t cl = be24(p + off);

		off += 3;
		if (cl > end - off) {
			if (!cut)
				tls_event(c, TLS_EV_INVALID_CERTIFICATE);
			break;
		}
		if (k == 0 && !c->st->cert_seen) {
			c->st->cert_seen = true;
			if (tls_cert0(c, p + off, cl, &in, subj, iss, serial, fp) < 0)
				tls_event(c, TLS_EV_CERTIFICATE_INVALID_DER);
		}
		set_buf(&in, RULE_BUF_TLS_CERTS, p + off, cl);
		tls_emit(c, &in, 11);
		/* the first certificate's fields go with it alone */
		set_buf(&in, RULE_BUF_TLS_CERT_SUBJECT, NULL, 0);
		set_buf(&in, RULE_BUF_TLS_CERT_ISSUER, NULL, 0);
		set_buf(&in, RULE_BUF_TLS_CERT_SERIAL, NULL, 0);
		set_buf(&in, RULE_BUF_TLS_CERT_FINGERPRINT, NULL, 0);
		off += cl;
		k++;
	}
}

/* A key exchange: an inspection point without buffers, for ssl_state. */
static void tls_key_exchange(const struct tls_ctx *c, uint8_t type)
{
	struct app_inspect in;

	memset(&in, 0, sizeof(in));
	tls_emit(c, &in, type);
}

static void tls_hs_message(const struct tls_ctx *c, uint8_t type,
			   const uint8_t *p, uint32_t n, bool cut)
{
	uint8_t *cur = &c->st->cur[c->dir];

	switch (type) {
	case 1:
		*cur |= RULE_SSL_CLIENT_HELLO;
		if (c->dir != 0)
			tls_event(c, TLS_EV_INVALID_HANDSHAKE_MESSAGE);
		else if (!cut)
			tls_client_hello(c, p, n);
		break;
	case 2:
		*cur |= RULE_SSL_SERVER_HELLO;
		if (c->dir != 1)
			tls_event(c, TLS_EV_INVALID_HANDSHAKE_MESSAGE);
		else if (!cut)
			tls_server_hello(c, p, n);
		break;
	case 11:
		tls_certificate(c, p, n, cut);
		break;
	case 12:
		*cur |= RULE_SSL_SERVER_KEYX;
		tls_key_exchange(c, type);
		break;
	case 16:
		*cur |= RULE_SSL_CLIENT_KEYX;
		tls_key_exchange(c, type);
		break;
	case 0: case 3: case 4: case 5: case 6: case 8: case 13:
	case 14: case 15: case 20: case 21: case 22: case 23:
	case 24: case 25: case 254:
		break;
	default:
		*cur |= RULE_SSL_UNKNOWN;
		tls_event(c, TLS_EV_INVALID_HANDSHAKE_MESSAGE);
		break;
	}
}

static void tls_hs_feed(const struct tls_ctx *c, struct tls_dir *d,
			const uint8_t *p, uint32_t n)
{
	while (n > 0 && !d->encrypted) {
		uint32_t take, room;

		if (d->hhdrhave < 4) {
			d->hhdr[d->hhdrhave++] = *p++;
			n--;
			if (d->hhdrhave < 4)
				continue;
			d->hlen = be24(d->hhdr + 1);
			d->hhave = 0;
		}
		take = d->hlen - d->hhave;
		if (take > n)
			take = n;
		room = d->hhave < TLS_HS_MAX ? TLS_HS_MAX - d->hhave : 0;
		if (room > 0)
			memcpy(d->hs + d->hhave, p, take < room ? take : room);
		d->hhave += take;
		p += take;
		n -= take;
		if (d->hhave == d->hlen) {
			bool cut = d->hlen > TLS_HS_MAX;

			d->hhdrhave = 0;
			if (cut)
				tls_event(c, TLS_EV_HANDSHAKE_TOO_LONG);
			tls_hs_message(c, d->hhdr[0], d->hs,
				       cut ? TLS_HS_MAX : d->hlen, cut);
		}
	}
}

/* ---- record layer ----------------------------------------------------- */

bool tls_probe(const uint8_t *p, uint32_t len)
{
	uint32_t rlen;

	if (len < 6 || p[0] != 22 || p[1] != 3 || p[2] > 4)
		return false;
	rlen = be16(p + 3);
	if (rlen < 4 || rlen > TLS_RECORD_MAX)
		return false;
	if (p[5] != 1 && p[5] != 2)
		return false;
	if (len >= 9 && be24(p + 6) < 38)
		return false;
	if (len >= 10 && p[9] != 3)
		return false;
	return true;
}

size_t tls_state_size(void)
{
	return sizeof(struct tls_state);
}

void tls_state_init(struct tls_state *st)
{
	/* the handshake buffers need no clearing: lengths say what is valid */
	for (unsigned d = 0; d < 2; d++) {
		struct tls_dir *t = &st->dir[d];

		t->rhdrhave = 0;
		t->rtype = 0;
		t->rleft = 0;
		t->encrypted = false;
		t->hhdrhave = 0;
		t->hlen = 0;
		t->hhave = 0;
	}
	st->failed = false;
	st->cert_seen = false;
	st->client_version = 0;
	st->version = 0;
	for (unsigned d = 0; d < 2; d++) {
		st->dir_version[d] = 0;
		st->hello_seen[d] = false;
		st->cur[d] = 0;
	}
	memset(&st->meta, 0, sizeof(st->meta));
	st->meta.proto = APP_PROTO_TLS;
	tls_version_string(0, st->meta.u.tls.version,
			   sizeof(st->meta.u.tls.version));
}

void tls_parse(struct tls_state *st, int dir, const uint8_t *data, uint32_t len,
	       app_inspect_fn inspect, app_event_fn event, void *arg)
{
	const struct tls_ctx c = { st, inspect, event, arg, dir };
	struct tls_dir *d;

	if (st->failed || (dir != 0 && dir != 1))
		return;
	d = &st->dir[dir];
	/* ssl_state sees what this data completes; a record begun in an
	 * earlier call keeps its flight's states (Suricata) */
	if (d->rleft == 0 && d->rhdrhave == 0)
		st->cur[dir] = 0;
	while (len > 0) {
		uint32_t take;

		if (d->rleft == 0) {
			uint8_t type;
			uint16_t rlen;

			d->rhdr[d->rhdrhave++] = *data++;
			len--;
			if (d->rhdrhave < 5)
				continue;
			d->rhdrhave = 0;
			type = d->rhdr[0];
			rlen = be16(d->rhdr + 3);
			if (type < 20 || type > 24) {
				tls_event(&c, TLS_EV_INVALID_RECORD_TYPE);
				st->failed = true;
				return;
			}
			if (d->rhdr[1] != 3) {
				tls_event(&c, TLS_EV_INVALID_RECORD_VERSION);
				st->failed = true;
				return;
			}
			if (rlen > TLS_RECORD_MAX) {
				tls_event(&c, TLS_EV_INVALID_RECORD_LENGTH);
				st->failed = true;
				return;
			}
			d->rtype = type;
			d->rleft = rlen;
			/* the record layer's version until the hello says */
			if (!st->hello_seen[dir])
				st->dir_version[dir] = be16(d->rhdr + 1);
			/* after application data, or ChangeCipherSpec before
			 * TLS 1.3, handshake records are encrypted; TLS 1.3's
			 * CCS is a dummy (RFC 8446 D.4) and may precede a
			 * plaintext ClientHello after a HelloRetryRequest */
			if (type == 23 || (type == 20 && !is_tls13(st->version)))
				d->encrypted = true;
			continue;
		}
		take = d->rleft < len ? d->rleft : len;
		if (d->rtype == 22 && !d->encrypted)
			tls_hs_feed(&c, d, data, take);
		d->rleft -= (uint16_t)take;
		data += take;
		len -= take;
	}
}
