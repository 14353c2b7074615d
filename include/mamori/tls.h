/*
 * tls: the TLS handshake parser, an application-layer parser under the
 * contract of app.h.
 *
 * It follows the record layer of each direction across calls and the
 * handshake messages across records, and calls back with:
 *
 *   ClientHello (to server): TLS_SNI, JA3_STRING, JA3_HASH;
 *   ServerHello (to client): JA3S_STRING, JA3S_HASH;
 *   ServerKeyExchange (to client), ClientKeyExchange (to server): no
 *     buffer, for ssl_state;
 *   Certificate (to client, TLS <= 1.2): one inspection per certificate
 *     with TLS_CERTS (its DER); the first also carries TLS_CERT_SUBJECT,
 *     TLS_CERT_ISSUER (as Suricata prints them: "C=US, O=..., CN=..."),
 *     TLS_CERT_SERIAL ("0A:1B:...") and TLS_CERT_FINGERPRINT (SHA-1,
 *     "aa:bb:...").
 *
 * JA3/JA3S as the JA3 spec and Suricata: decimal values, GREASE values
 * left out, MD5 in lowercase hex. meta.tls accumulates over the flow (the
 * SNI and JA3 of the ClientHello stay in the meta of later inspections);
 * its version is the server's, as Suricata reports it ("TLS 1.2",
 * "TLS 1.3"; "UNDETERMINED" before the ServerHello). TLS has one
 * transaction per flow, as in Suricata: tx_id is always 0.
 *
 * For tls.version, ssl_version and ssl_state (tls_dir_version(),
 * tls_cur_states()) it keeps Suricata's view: per direction the version
 * of the record layer until that side's hello, then the hello's (a
 * ClientHello's first valid supported_versions entry, a ServerHello's
 * supported_versions when it says TLS 1.3); and per direction the
 * handshake messages (RULE_SSL_CLIENT_HELLO, ...) completed by the data
 * of the current call, kept while a record that began in an earlier call
 * goes on (so a certificate spanning segments still counts as the server
 * hello's flight) and cleared when a call starts on a record boundary.
 *
 * Once a direction turns encrypted (ChangeCipherSpec, application data,
 * or a TLS 1.3 ServerHello for the server side) its records are only
 * framed, not read; tls_done() says when both sides are, so the caller can
 * stop feeding the flow. A malformed record header fails the flow
 * (tls_failed()); a malformed handshake message is counted and skipped.
 */
#ifndef MAMORI_TLS_H
#define MAMORI_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/app.h"

/* Buffered bytes of one handshake message per direction; a longer one is
 * read from its prefix (a Certificate's first certificate), or skipped
 * (a ClientHello), and counted. */
#define TLS_HS_MAX 16384
/* Longest record payload accepted (2^14 plus expansion, RFC 5246 6.2.3). */
#define TLS_RECORD_MAX (16384 + 2048)

#define TLS_EVENTS(X)                                                   \
	X(INVALID_RECORD_TYPE, "invalid_record_type")                   \
	X(INVALID_RECORD_VERSION, "invalid_record_version")             \
	X(INVALID_RECORD_LENGTH, "invalid_record_length")               \
	X(HANDSHAKE_INVALID_LENGTH, "handshake_invalid_length")         \
	X(INVALID_HANDSHAKE_MESSAGE, "invalid_handshake_message")       \
	X(INVALID_SNI_TYPE, "invalid_sni_type")                         \
	X(INVALID_SNI_LENGTH, "invalid_sni_length")                     \
	X(INVALID_CERTIFICATE, "invalid_certificate")                   \
	X(CERTIFICATE_INVALID_DER, "certificate_invalid_der")           \
	X(HANDSHAKE_TOO_LONG, "handshake_too_long")                     \
	X(JA3_TOO_LONG, "ja3_too_long")

enum tls_event {
#define X(id, name) TLS_EV_##id,
	TLS_EVENTS(X)
#undef X
	TLS_EV_MAX
};

/* "invalid_record_type", ...; NULL when out of range. */
const char *tls_event_name(unsigned ev);

struct tls_dir {
	uint8_t rhdr[5];                /* record header being read */
	uint8_t rhdrhave;
	uint8_t rtype;                  /* content type of the current record */
	uint16_t rleft;                 /* its payload bytes still to come */
	bool encrypted;
	uint8_t hhdr[4];                /* handshake message header */
	uint8_t hhdrhave;
	uint32_t hlen;                  /* its length */
	uint32_t hhave;                 /* bytes of it seen */
	uint8_t hs[TLS_HS_MAX];         /* its first bytes */
};

struct tls_state {
	struct tls_dir dir[2];
	bool failed;
	bool cert_seen;
	uint16_t client_version;        /* ClientHello's (legacy) version */
	uint16_t version;               /* negotiated: ServerHello's or its
					   supported_versions; 0 before */
	uint16_t dir_version[2];        /* Suricata's per direction (above) */
	bool hello_seen[2];             /* dir_version comes from the hello */
	uint8_t cur[2];                 /* RULE_SSL_* of the current data */
	struct app_meta meta;           /* meta.u.tls, filled as it goes */
};

/* Suricata's name for a version: "TLS 1.2", "TLSv1", "SSLv3",
 * "TLS 1.3 draft-23", "UNDETERMINED" (0), "0x1234" otherwise; the longest
 * ("TLS 1.3 draft-20-fb") takes 20 bytes. Cut to cap - 1. */
void tls_version_string(uint16_t version, char *out, size_t cap);

/* MD5 (RFC 1321), one-shot. */
void mamori_md5(const void *data, size_t len, uint8_t out[16]);

/*
 * Print an X.509 Name (the DER of its RDNSequence, tag and length
 * included) as Suricata does: "C=US, O=Org, CN=name", several attributes
 * of one RDN joined with " + ". Returns the length, or -1 when the DER is
 * invalid. NUL-terminated, cut to cap - 1.
 */
int tls_x509_name_print(const uint8_t *der, uint32_t len, char *out, size_t cap);

/* Could p be the start of a TLS flow (a handshake record with a Client or
 * ServerHello)? */
bool tls_probe(const uint8_t *p, uint32_t len);

size_t tls_state_size(void);
void tls_state_init(struct tls_state *st);
void tls_parse(struct tls_state *st, int dir, const uint8_t *data, uint32_t len,
	       app_inspect_fn inspect, app_event_fn event, void *arg);
static inline bool tls_failed(const struct tls_state *st)
{
	return st->failed;
}
static inline bool tls_done(const struct tls_state *st)
{
	return st->failed || (st->dir[0].encrypted && st->dir[1].encrypted);
}

/* The version tls.version and ssl_version compare in direction dir (0 to
 * server): 0 before any record. */
static inline uint16_t tls_dir_version(const struct tls_state *st, int dir)
{
	return st->dir_version[dir & 1];
}

/* The handshake messages of the current data of direction dir, as
 * ssl_state sees them (RULE_SSL_* bits). */
static inline uint8_t tls_cur_states(const struct tls_state *st, int dir)
{
	return st->cur[dir & 1];
}

#endif
