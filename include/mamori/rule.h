/*
 * rule: Snort/Suricata signature rules as data, the contract between the
 * rule parser and the detection engine.
 *
 * A `struct rule` is the parsed, validated form of one rule line: its
 * header (action, protocols, compiled address and port sets, direction),
 * its identity (gid:sid:rev, msg, classtype, severity, metadata) and an
 * ordered list of typed options. Every option that inspects data carries
 * the id of the buffer it inspects (`enum rule_buffer`): the packet
 * payload, the raw payload, base64-decoded data, or one of the
 * application-layer buffers that sticky-buffer keywords select
 * (http.uri, dns.query, file.data, ...). The engine groups the options of
 * one buffer, in rule order, into one inspection chain; app-layer buffers
 * plug in later without changing this structure. A rule that uses any
 * app-layer buffer or keyword is flagged RULE_NEEDS_APP_LAYER so an engine
 * without that layer can skip it.
 *
 * A `struct ruleset` owns every rule and every string, array and set the
 * rules point to; it also records the errors of rules that failed (as
 * "FILE:LINE:COL: keyword: reason"), the rules that were commented out,
 * and a histogram of keywords mamori does not support. Parsing happens at
 * startup (or reload) only and allocates freely; the result is read-only
 * and may be shared by all workers.
 *
 * Address and port expressions ("[$HOME_NET,!10.0.0.0/8]", "[80,1024:]")
 * compile to sorted, merged, non-overlapping ranges, negations resolved
 * against the whole address or port space, so matching is a binary search.
 */
#ifndef MAMORI_RULE_H
#define MAMORI_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/decode.h"

struct config;

/* ---- address and port sets ---------------------------------------------- */

/* Inclusive ranges. IPv4 in host order; IPv6 in network order, so two
 * addresses compare with memcmp(). */
struct ip4_range {
	uint32_t lo, hi;
};

struct ip6_range {
	uint8_t lo[16], hi[16];
};

struct addr_set {
	const struct ip4_range *v4;     /* sorted, disjoint, not adjacent */
	const struct ip6_range *v6;
	uint32_t n4, n6;
	bool any;                       /* every address of both families */
};

struct port_range {
	uint16_t lo, hi;
};

struct port_set {
	const struct port_range *r;     /* sorted, disjoint, not adjacent */
	uint32_t n;
	bool any;                       /* 0..65535 */
};

/* ver is 4 or 6; an IPv4 address sits in the first 4 bytes of *a. */
bool addr_set_match(const struct addr_set *s, int ver, const union ip_addr *a);
bool port_set_match(const struct port_set *s, uint16_t port);

/* Text form for logs and tests: "10.0.0.0-10.255.255.255,::1" and
 * "80,1024:65535"; "any" for the full set. Returns the length it needed. */
size_t addr_set_str(const struct addr_set *s, char *buf, size_t len);
size_t port_set_str(const struct port_set *s, char *buf, size_t len);

/*
 * Variables ($HOME_NET, $HTTP_PORTS): a copy of the config's
 * vars.address-groups.* and vars.port-groups.*, so a ruleset does not keep
 * the config alive.
 */
struct rule_vars;

struct rule_vars *rule_vars_new(const struct config *cfg);   /* cfg may be NULL */
void rule_vars_free(struct rule_vars *v);
/* Define or replace one variable. Returns 0 or -ENOMEM. */
int rule_vars_set(struct rule_vars *v, bool port, const char *name, const char *value);
const char *rule_vars_get(const struct rule_vars *v, bool port, const char *name);

/* Where an expression (or a classification line) went wrong: a byte offset
 * into the text given, and why. An error inside a variable's value is
 * placed at the variable reference and names the variable. */
struct expr_error {
	size_t off;
	char reason[200];
};

/*
 * Compile an address expression: any, IPv4 or IPv6 address, CIDR (v4 also
 * with a dotted netmask), a-b range, $VAR, [list], !negation, nested. In a
 * list, the negated items are removed from the union of the others (from
 * everything when there are none). An expression that matches nothing is
 * an error. *out is one allocation, freed with free(). Returns 0, -EINVAL
 * with *err filled, or -ENOMEM.
 */
int addr_set_parse(const struct rule_vars *v, const char *text,
		   struct addr_set **out, struct expr_error *err);
/* Ports: any, N, a:b, a:, :b, $VAR, [list], !negation, nested. */
int port_set_parse(const struct rule_vars *v, const char *text,
		   struct port_set **out, struct expr_error *err);

/* ---- classification ------------------------------------------------------ */

/* `config classification: shortname,description,priority` */
struct rule_class {
	const char *name;
	const char *desc;       /* EVE alert.category */
	int priority;           /* EVE alert.severity, 1 (highest) .. 255 */
};

struct class_table;

struct class_table *class_table_new(void);
void class_table_free(struct class_table *t);
/* Parse one line: 1 when it was a classification and is now in the table
 * (a repeated name replaces the earlier one), 0 when it is blank, a comment
 * or another config directive, -EINVAL with *err (offset into line) when it
 * is malformed, -ENOMEM. */
int class_table_parse_line(struct class_table *t, const char *line, struct expr_error *err);
const struct rule_class *class_table_find(const struct class_table *t, const char *name);
size_t class_table_count(const struct class_table *t);

/* ---- rules ---------------------------------------------------------------- */

enum rule_action {
	RULE_ACTION_ALERT,
	RULE_ACTION_PASS,
	RULE_ACTION_DROP,
	RULE_ACTION_REJECT,
	RULE_ACTION_REJECTSRC,
	RULE_ACTION_REJECTDST,
	RULE_ACTION_REJECTBOTH,
};

/* Where a TCP rule looks: Suricata's tcp-pkt and tcp-stream. */
enum rule_tcp_mode {
	RULE_TCP_ANY,           /* packets and the reassembled stream */
	RULE_TCP_PKT,
	RULE_TCP_STREAM,
};

/* Application protocols a header may name. Until the app-layer stage an
 * app-proto rule runs as a transport rule bound to the protocol's usual
 * server ports (rule.app_ports). */
#define RULE_APP_PROTOS(X)                      \
	X(NONE, "")                             \
	X(HTTP, "http")                         \
	X(HTTP2, "http2")                       \
	X(TLS, "tls")                           \
	X(DNS, "dns")                           \
	X(SMTP, "smtp")                         \
	X(FTP, "ftp")                           \
	X(FTP_DATA, "ftp-data")                 \
	X(SSH, "ssh")                           \
	X(SMB, "smb")                           \
	X(DCERPC, "dcerpc")                     \
	X(IMAP, "imap")                         \
	X(POP3, "pop3")                         \
	X(SIP, "sip")                           \
	X(SNMP, "snmp")                         \
	X(NTP, "ntp")                           \
	X(TFTP, "tftp")                         \
	X(DHCP, "dhcp")                         \
	X(KRB5, "krb5")                         \
	X(NFS, "nfs")                           \
	X(RDP, "rdp")                           \
	X(MODBUS, "modbus")                     \
	X(DNP3, "dnp3")                         \
	X(ENIP, "enip")                         \
	X(MQTT, "mqtt")                         \
	X(IKE, "ike")                           \
	X(QUIC, "quic")                         \
	X(TELNET, "telnet")                     \
	X(LDAP, "ldap")                         \
	X(PGSQL, "pgsql")

enum rule_app {
#define X(id, name) RULE_APP_##id,
	RULE_APP_PROTOS(X)
#undef X
	RULE_APP_MAX
};

const char *rule_app_name(enum rule_app app);

/*
 * Buffers an option inspects. PAYLOAD is the packet payload (or the
 * reassembled stream, per rule.tcp_mode); RAW the same bytes without any
 * normalisation (Snort 3 raw_data); BASE64 what base64_decode produced.
 * The rest are application-layer buffers, each with the keyword that
 * selects it (the Suricata sticky-buffer name, or the Snort name where
 * Suricata has none), the legacy name when there is one (a Suricata
 * content modifier such as http_uri, or an older sticky name such as
 * dns_query; in Snort 3 rules every one of them is a sticky buffer), and
 * the application protocol that fills it (NONE: several). New buffers are
 * appended, so values never change.
 */
#define RULE_BUFFERS(X)                                                         \
	X(PAYLOAD, "pkt_data", NULL, NONE)                                      \
	X(RAW, "raw_data", NULL, NONE)                                          \
	X(BASE64, "base64_data", NULL, NONE)                                    \
	X(HTTP_URI, "http.uri", "http_uri", HTTP)                               \
	X(HTTP_URI_RAW, "http.uri.raw", "http_raw_uri", HTTP)                   \
	X(HTTP_METHOD, "http.method", "http_method", HTTP)                      \
	X(HTTP_REQUEST_LINE, "http.request_line", "http_request_line", HTTP)    \
	X(HTTP_REQUEST_BODY, "http.request_body", "http_client_body", HTTP)     \
	X(HTTP_HEADER, "http.header", "http_header", HTTP)                      \
	X(HTTP_HEADER_RAW, "http.header.raw", "http_raw_header", HTTP)          \
	X(HTTP_COOKIE, "http.cookie", "http_cookie", HTTP)                      \
	X(HTTP_COOKIE_RAW, "http_raw_cookie", NULL, HTTP)          \
	X(HTTP_USER_AGENT, "http.user_agent", "http_user_agent", HTTP)          \
	X(HTTP_HOST, "http.host", "http_host", HTTP)                            \
	X(HTTP_HOST_RAW, "http.host.raw", "http_raw_host", HTTP)                \
	X(HTTP_ACCEPT, "http.accept", "http_accept", HTTP)                      \
	X(HTTP_ACCEPT_LANG, "http.accept_lang", "http_accept_lang", HTTP)       \
	X(HTTP_ACCEPT_ENC, "http.accept_enc", "http_accept_enc", HTTP)          \
	X(HTTP_REFERER, "http.referer", "http_referer", HTTP)                   \
	X(HTTP_CONNECTION, "http.connection", "http_connection", HTTP)          \
	X(HTTP_CONTENT_TYPE, "http.content_type", "http_content_type", HTTP)    \
	X(HTTP_CONTENT_LEN, "http.content_len", "http_content_len", HTTP)       \
	X(HTTP_START, "http.start", "http_start", HTTP)                         \
	X(HTTP_PROTOCOL, "http.protocol", "http_protocol", HTTP)                \
	X(HTTP_HEADER_NAMES, "http.header_names", "http_header_names", HTTP)    \
	X(HTTP_REQUEST_HEADER, "http.request_header", NULL, HTTP)               \
	X(HTTP_RESPONSE_HEADER, "http.response_header", NULL, HTTP)             \
	X(HTTP_STAT_CODE, "http.stat_code", "http_stat_code", HTTP)             \
	X(HTTP_STAT_MSG, "http.stat_msg", "http_stat_msg", HTTP)                \
	X(HTTP_RESPONSE_LINE, "http.response_line", "http_response_line", HTTP) \
	X(HTTP_RESPONSE_BODY, "http.response_body", "http_server_body", HTTP)   \
	X(HTTP_SERVER, "http.server", "http_server", HTTP)                      \
	X(HTTP_LOCATION, "http.location", "http_location", HTTP)                \
	X(HTTP_PARAM, "http_param", NULL, HTTP)                         \
	X(HTTP_RAW_BODY, "http_raw_body", NULL, HTTP)                \
	X(HTTP_RAW_REQUEST, "http_raw_request", NULL, HTTP)       \
	X(HTTP_RAW_STATUS, "http_raw_status", NULL, HTTP)          \
	X(HTTP_VERSION, "http_version", NULL, HTTP)                   \
	X(HTTP_TRUE_IP, "http_true_ip", NULL, HTTP)                   \
	X(FILE_DATA, "file.data", "file_data", NONE)                            \
	X(FILE_NAME, "file.name", NULL, NONE)                                   \
	X(JS_DATA, "js_data", NULL, HTTP)                                  \
	X(VBA_DATA, "vba_data", NULL, NONE)                               \
	X(DNS_QUERY, "dns.query", "dns_query", DNS)                             \
	X(DNS_ANSWER_NAME, "dns.answer.name", NULL, DNS)                        \
	X(DNS_QUERY_NAME, "dns.query.name", NULL, DNS)                          \
	X(TLS_SNI, "tls.sni", "tls_sni", TLS)                                   \
	X(TLS_CERT_SUBJECT, "tls.cert_subject", "tls_cert_subject", TLS)        \
	X(TLS_CERT_ISSUER, "tls.cert_issuer", "tls_cert_issuer", TLS)           \
	X(TLS_CERT_SERIAL, "tls.cert_serial", "tls_cert_serial", TLS)           \
	X(TLS_CERT_FINGERPRINT, "tls.cert_fingerprint", "tls_cert_fingerprint", TLS) \
	X(TLS_CERTS, "tls.certs", NULL, TLS)                                    \
	X(TLS_SUBJECTALTNAME, "tls.subjectaltname", NULL, TLS)                  \
	X(TLS_ALPN, "tls.alpn", NULL, TLS)                                      \
	X(JA3_HASH, "ja3.hash", "ja3_hash", TLS)                                \
	X(JA3_STRING, "ja3.string", "ja3_string", TLS)                          \
	X(JA3S_HASH, "ja3s.hash", "ja3s_hash", TLS)                             \
	X(JA3S_STRING, "ja3s.string", "ja3s_string", TLS)                       \
	X(JA4_HASH, "ja4.hash", NULL, TLS)                                      \
	X(SSH_PROTO, "ssh.proto", "ssh_proto", SSH)                             \
	X(SSH_SOFTWARE, "ssh.software", "ssh_software", SSH)                    \
	X(SSH_HASSH, "ssh.hassh", NULL, SSH)                                    \
	X(SSH_HASSH_STRING, "ssh.hassh.string", NULL, SSH)                      \
	X(SSH_HASSH_SERVER, "ssh.hassh.server", NULL, SSH)                      \
	X(SSH_HASSH_SERVER_STRING, "ssh.hassh.server.string", NULL, SSH)        \
	X(SMB_NAMED_PIPE, "smb.named_pipe", NULL, SMB)                          \
	X(SMB_SHARE, "smb.share", NULL, SMB)                                    \
	X(DCE_STUB_DATA, "dce_stub_data", NULL, DCERPC)              \
	X(SIP_METHOD, "sip.method", "sip_method", SIP)                          \
	X(SIP_URI, "sip.uri", "sip_uri", SIP)                                   \
	X(SIP_STAT_CODE, "sip.stat_code", "sip_stat_code", SIP)                 \
	X(SIP_STAT_MSG, "sip.stat_msg", "sip_stat_msg", SIP)                    \
	X(SIP_REQUEST_LINE, "sip.request_line", "sip_request_line", SIP)        \
	X(SIP_RESPONSE_LINE, "sip.response_line", "sip_response_line", SIP)     \
	X(SIP_HEADER, "sip_header", NULL, SIP)                          \
	X(SIP_BODY, "sip_body", NULL, SIP)                                \
	X(KRB5_CNAME, "krb5.cname", NULL, KRB5)                                 \
	X(KRB5_SNAME, "krb5.sname", NULL, KRB5)                                 \
	X(SNMP_COMMUNITY, "snmp.community", NULL, SNMP)                         \
	X(SMTP_HELO, "smtp.helo", NULL, SMTP)                                   \
	X(SMTP_MAIL_FROM, "smtp.mail_from", NULL, SMTP)                         \
	X(SMTP_RCPT_TO, "smtp.rcpt_to", NULL, SMTP)                             \
	X(QUIC_SNI, "quic.sni", NULL, QUIC)                                     \
	X(QUIC_UA, "quic.ua", NULL, QUIC)                                       \
	X(FTP_COMMAND, "ftp.command", NULL, FTP)                                \
	X(LDAP_REQUEST_DN, "ldap.request.dn", NULL, LDAP)

enum rule_buffer {
#define X(id, sticky, legacy, app) RULE_BUF_##id,
	RULE_BUFFERS(X)
#undef X
	RULE_BUF_MAX
};

/* The keyword that selects the buffer ("http.uri"). */
const char *rule_buffer_name(enum rule_buffer b);
/* True for the buffers only an application-layer parser can fill. */
bool rule_buffer_is_app(enum rule_buffer b);

/* byte_extract variables one rule may define */
#define RULE_MAX_VARS 16

/* A number, or the value of a byte_extract variable at match time. */
struct rule_val {
	int64_t value;
	int8_t var;             /* -1: the literal value; else rule.vars[var] */
};

/* Integer comparison (dsize, bsize, ttl, itype, ...). Suricata's syntax:
 * N, =N, !N, !=N, <N, <=N, >N, >=N, N-M and N<>M (exclusive ranges),
 * !N-M, N<=>M (Snort 3, inclusive), &MASK=V and &MASK!=V. */
enum rule_cmp_op {
	RULE_CMP_EQ,
	RULE_CMP_NE,
	RULE_CMP_LT,
	RULE_CMP_LE,
	RULE_CMP_GT,
	RULE_CMP_GE,
	RULE_CMP_RANGE,         /* lo < x < hi */
	RULE_CMP_NOT_RANGE,     /* x <= lo || x >= hi */
	RULE_CMP_RANGE_INCL,    /* lo <= x <= hi */
	RULE_CMP_MASK_EQ,       /* (x & lo) == hi */
	RULE_CMP_MASK_NE,
};

struct rule_cmp {
	uint8_t op;             /* enum rule_cmp_op */
	uint64_t lo, hi;        /* single-value forms use lo */
};

static inline bool rule_cmp_eval(const struct rule_cmp *c, uint64_t x)
{
	switch (c->op) {
	case RULE_CMP_EQ: return x == c->lo;
	case RULE_CMP_NE: return x != c->lo;
	case RULE_CMP_LT: return x < c->lo;
	case RULE_CMP_LE: return x <= c->lo;
	case RULE_CMP_GT: return x > c->lo;
	case RULE_CMP_GE: return x >= c->lo;
	case RULE_CMP_RANGE: return x > c->lo && x < c->hi;
	case RULE_CMP_NOT_RANGE: return x <= c->lo || x >= c->hi;
	case RULE_CMP_RANGE_INCL: return x >= c->lo && x <= c->hi;
	case RULE_CMP_MASK_EQ: return (x & c->lo) == c->hi;
	case RULE_CMP_MASK_NE: return (x & c->lo) != c->hi;
	}
	return false;
}

struct rule_content {
	const uint8_t *pat;     /* decoded bytes (escapes and |hex| resolved) */
	uint32_t len;
	bool negated;
	bool nocase;
	bool rawbytes;
	bool startswith;
	bool endswith;
	bool fast_pattern;
	bool fp_only;           /* fast_pattern:only */
	bool fp_chop;           /* fast_pattern:OFF,LEN: use pat[fp_off..+fp_len) */
	bool has_offset, has_depth, has_distance, has_within;
	uint32_t fp_off, fp_len;
	struct rule_val offset, depth, distance, within;
};

/* pcre flags; the buffer flags (U, H, P, ...) set rule_opt.buffer. */
#define RULE_PCRE_CASELESS   (1u << 0)    /* i */
#define RULE_PCRE_DOTALL     (1u << 1)    /* s */
#define RULE_PCRE_MULTILINE  (1u << 2)    /* m */
#define RULE_PCRE_EXTENDED   (1u << 3)    /* x */
#define RULE_PCRE_ANCHORED   (1u << 4)    /* A */
#define RULE_PCRE_DOLLAR_END (1u << 5)    /* E */
#define RULE_PCRE_UNGREEDY   (1u << 6)    /* G */
#define RULE_PCRE_RELATIVE   (1u << 7)    /* R */
#define RULE_PCRE_RAWBYTES   (1u << 8)    /* B */
#define RULE_PCRE_NO_LIMIT   (1u << 9)    /* O */

struct rule_pcre {
	const char *re;         /* between the delimiting slashes, as written */
	const char *mods;       /* the modifier letters as written */
	uint32_t flags;         /* RULE_PCRE_* */
	bool negated;
};

enum rule_byte_op {
	RULE_BYTE_LT, RULE_BYTE_GT, RULE_BYTE_EQ, RULE_BYTE_LE, RULE_BYTE_GE,
	RULE_BYTE_AND,          /* & */
	RULE_BYTE_OR,           /* ^ (Suricata's bitwise or) */
};

enum rule_endian { RULE_ENDIAN_BIG, RULE_ENDIAN_LITTLE, RULE_ENDIAN_DCE };
enum rule_base { RULE_BASE_BINARY, RULE_BASE_HEX, RULE_BASE_DEC, RULE_BASE_OCT };

/* byte_test, byte_jump and byte_extract share one shape. */
struct rule_byte {
	uint8_t nbytes;         /* 0: the rest of the buffer (string only) */
	int8_t nbytes_var;      /* -1, or nbytes comes from rule.vars[i] */
	uint8_t endian;         /* enum rule_endian */
	uint8_t base;           /* enum rule_base; binary unless `string` */
	uint8_t op;             /* byte_test: enum rule_byte_op */
	bool negated;           /* byte_test: !op */
	bool relative;
	bool from_beginning;    /* byte_jump */
	bool from_end;          /* byte_jump */
	bool has_bitmask;
	uint8_t align;          /* byte_jump `align` (4), byte_extract `align N` */
	int8_t result;          /* byte_extract: index into rule.vars */
	struct rule_val value;  /* byte_test: right-hand side */
	struct rule_val offset;
	struct rule_val post_offset;    /* byte_jump */
	uint32_t multiplier;    /* byte_jump / byte_extract; 1 when absent */
	uint64_t bitmask;
};

struct rule_isdataat {
	struct rule_val n;
	bool negated, relative, rawbytes;
};

enum rule_bits_cmd {
	RULE_BITS_SET, RULE_BITS_UNSET, RULE_BITS_TOGGLE,
	RULE_BITS_ISSET, RULE_BITS_ISNOTSET,
};
enum rule_bits_track {          /* xbits */
	RULE_TRACK_FLOW, RULE_TRACK_IP_SRC, RULE_TRACK_IP_DST, RULE_TRACK_IP_PAIR,
	RULE_TRACK_TX,
};

/* flowbits and xbits. Names are interned per ruleset: ids[i] indexes
 * ruleset_bit_name(). Several names are all required (a&b) or any one
 * (a|b, checks only). */
struct rule_bits {
	uint8_t cmd;            /* enum rule_bits_cmd */
	bool any;               /* names joined by | */
	uint8_t track;          /* enum rule_bits_track; FLOW for flowbits */
	uint8_t n;
	uint32_t expire;        /* xbits, seconds; 0 = none */
	const uint16_t *ids;
	const char *const *names;
};

enum rule_flags_mode {
	RULE_FLAGS_EXACT,       /* exactly these (bits outside mask ignored) */
	RULE_FLAGS_ALL,         /* + : these, others may be set */
	RULE_FLAGS_ANY,         /* * : any of these */
	RULE_FLAGS_NOT,         /* ! : none of these */
};

/* flags (TCP bits as in decode.h) and fragbits (0x4 reserved, 0x2 DF,
 * 0x1 MF). */
struct rule_flags {
	uint8_t bits;
	uint8_t ignore;         /* flags:...,MASK: bits left out of the test */
	uint8_t mode;           /* enum rule_flags_mode */
};

enum rule_stream_side {
	RULE_STREAM_SERVER, RULE_STREAM_CLIENT, RULE_STREAM_BOTH, RULE_STREAM_EITHER,
};

struct rule_stream_size {
	uint8_t side;           /* enum rule_stream_side */
	struct rule_cmp cmp;
};

enum rule_flowint_op {
	RULE_FLOWINT_SET, RULE_FLOWINT_ADD, RULE_FLOWINT_SUB,
	RULE_FLOWINT_EQ, RULE_FLOWINT_NE, RULE_FLOWINT_LT, RULE_FLOWINT_LE,
	RULE_FLOWINT_GT, RULE_FLOWINT_GE, RULE_FLOWINT_ISSET, RULE_FLOWINT_NOTSET,
};

struct rule_flowint {
	const char *name;
	uint8_t op;             /* enum rule_flowint_op */
	const char *var;        /* value is another flowint, or NULL */
	uint64_t value;
};

struct rule_base64 {            /* base64_decode */
	uint32_t bytes;         /* 0 = to the end */
	uint32_t offset;
	bool relative;
};

/* A transform applied to the current sticky buffer (dotprefix, to_md5, ...). */
struct rule_transform {
	const char *name;
	const char *arg;        /* NULL when it takes none */
};

/* tls.version: the version of the packet's direction, as Suricata keeps
 * it per direction: the ClientHello's (the first valid one of its
 * supported_versions when it has them), the ServerHello's (its
 * supported_versions for TLS 1.3), or before them the record layer's.
 * Without raw, TLS 1.3 drafts (0x7fXX) count as 1.3 (0x0304). */
struct rule_tls_version {
	uint16_t ver;
	bool raw;               /* written as 0xHHHH: compared as is */
};

/* ssl_version and ssl_state name versions and handshake states as bits. */
#define RULE_SSL_V2             (1u << 0)
#define RULE_SSL_V3             (1u << 1)
#define RULE_SSL_TLS10          (1u << 2)
#define RULE_SSL_TLS11          (1u << 3)
#define RULE_SSL_TLS12          (1u << 4)
#define RULE_SSL_TLS13          (1u << 5)

/* ssl_version: matches a version in want (any, when want is empty) that
 * is not in deny (the !negated names). */
struct rule_ssl_version {
	uint8_t want, deny;     /* RULE_SSL_V2 ... */
};

/* The handshake messages ssl_state names; also what the TLS parser
 * reports for the data of the current packet (tls.h). */
#define RULE_SSL_CLIENT_HELLO   (1u << 0)
#define RULE_SSL_SERVER_HELLO   (1u << 1)
#define RULE_SSL_CLIENT_KEYX    (1u << 2)
#define RULE_SSL_SERVER_KEYX    (1u << 3)
#define RULE_SSL_UNKNOWN        (1u << 4)   /* a handshake type mamori does not know */

/* ssl_state: a list of [!]state joined by | or ,; it holds when any term
 * does: ((states & current) ^ negated) != 0, Suricata's test. */
struct rule_ssl_state {
	uint8_t states;         /* RULE_SSL_CLIENT_HELLO ... named */
	uint8_t negated;        /* those written with ! */
};

/* app-layer-protocol: the protocols named, as the ones mamori detects. */
#define RULE_ALP_UNKNOWN        (1u << 0)   /* not known yet */
#define RULE_ALP_FAILED         (1u << 1)   /* detection gave up */
#define RULE_ALP_HTTP           (1u << 2)   /* http, http1 */
#define RULE_ALP_TLS            (1u << 3)
#define RULE_ALP_DNS            (1u << 4)

/* Whose protocol app-layer-protocol compares (Suricata's modes). */
enum rule_alp_mode {
	RULE_ALP_DIRECTION,     /* the packet's direction (the default) */
	RULE_ALP_TO_SERVER,
	RULE_ALP_TO_CLIENT,
	RULE_ALP_EITHER,        /* either direction */
	RULE_ALP_FINAL,         /* the flow's; also `original` (no upgrades here) */
};

struct rule_app_proto {
	uint8_t protos;         /* RULE_ALP_* */
	uint8_t mode;           /* enum rule_alp_mode */
	bool negated;
	bool exact;
	/* it names a protocol Suricata knows and mamori does not detect
	 * (http2, ssh, smb, ...): the rule cannot be evaluated */
	bool undetected;
};

/* An application-layer keyword that is recognised, recorded as written
 * and left to the app-layer stage (app-layer-event, tls.subject, ...). */
struct rule_app_kw {
	const char *name;
	const char *value;      /* NULL when it has none */
};

enum rule_opt_type {
	RULE_OPT_CONTENT,
	RULE_OPT_PCRE,
	RULE_OPT_BYTE_TEST,
	RULE_OPT_BYTE_JUMP,
	RULE_OPT_BYTE_EXTRACT,
	RULE_OPT_ISDATAAT,
	RULE_OPT_BSIZE,         /* bsize / bufferlen: length of the buffer */
	RULE_OPT_BASE64_DECODE,
	RULE_OPT_TRANSFORM,
	RULE_OPT_DSIZE,
	RULE_OPT_FLOWBITS,
	RULE_OPT_XBITS,
	RULE_OPT_FLOWINT,
	RULE_OPT_FLAGS,
	RULE_OPT_FRAGBITS,
	RULE_OPT_FRAGOFFSET,
	RULE_OPT_TTL,
	RULE_OPT_TOS,
	RULE_OPT_IP_ID,         /* id */
	RULE_OPT_IP_PROTO,
	RULE_OPT_IPOPTS,
	RULE_OPT_SAMEIP,
	RULE_OPT_TCP_SEQ,
	RULE_OPT_TCP_ACK,
	RULE_OPT_TCP_WINDOW,
	RULE_OPT_ITYPE,
	RULE_OPT_ICODE,
	RULE_OPT_ICMP_ID,
	RULE_OPT_ICMP_SEQ,
	RULE_OPT_STREAM_SIZE,
	RULE_OPT_APP,           /* struct rule_app_kw */
	RULE_OPT_TLS_VERSION,   /* tls.version */
	RULE_OPT_SSL_VERSION,   /* ssl_version */
	RULE_OPT_SSL_STATE,     /* ssl_state */
	RULE_OPT_APP_PROTO,     /* app-layer-protocol */
	RULE_OPT_MAX
};

enum rule_ipopt {
	RULE_IPOPT_RR, RULE_IPOPT_EOL, RULE_IPOPT_NOP, RULE_IPOPT_TS,
	RULE_IPOPT_SEC, RULE_IPOPT_ESEC, RULE_IPOPT_LSRR, RULE_IPOPT_LSRRE,
	RULE_IPOPT_SSRR, RULE_IPOPT_SATID, RULE_IPOPT_ANY,
};

struct rule_opt {
	uint8_t type;           /* enum rule_opt_type */
	uint8_t buffer;         /* enum rule_buffer; PAYLOAD for header tests */
	union {
		struct rule_content content;
		struct rule_pcre pcre;
		struct rule_byte byte;
		struct rule_isdataat isdataat;
		struct rule_cmp cmp;    /* BSIZE, DSIZE, FRAGOFFSET, TTL, TOS, IP_ID,
					 * IP_PROTO, TCP_*, ITYPE, ICODE, ICMP_* */
		struct rule_bits bits;
		struct rule_flowint flowint;
		struct rule_flags flags;
		struct rule_stream_size stream_size;
		struct rule_base64 base64;
		struct rule_transform transform;
		struct rule_app_kw app;
		struct rule_tls_version tls_version;
		struct rule_ssl_version ssl_version;
		struct rule_ssl_state ssl_state;
		struct rule_app_proto app_proto;
		uint8_t ipopt;          /* enum rule_ipopt */
	} u;
};

/* flow: */
#define RULE_FLOW_TO_SERVER       (1u << 0)   /* also from_client */
#define RULE_FLOW_TO_CLIENT       (1u << 1)   /* also from_server */
#define RULE_FLOW_ESTABLISHED     (1u << 2)
#define RULE_FLOW_NOT_ESTABLISHED (1u << 3)
#define RULE_FLOW_STATELESS       (1u << 4)
#define RULE_FLOW_ONLY_STREAM     (1u << 5)
#define RULE_FLOW_NO_STREAM       (1u << 6)
#define RULE_FLOW_ONLY_FRAG       (1u << 7)
#define RULE_FLOW_NO_FRAG         (1u << 8)

enum rule_thresh_type {
	RULE_THRESH_NONE,
	RULE_THRESH_LIMIT,
	RULE_THRESH_THRESHOLD,
	RULE_THRESH_BOTH,
	RULE_THRESH_DETECTION_FILTER,
	RULE_THRESH_BACKOFF,    /* alert at count, count*m, count*m*m, ... */
};

enum rule_track {
	RULE_TRACK_BY_SRC, RULE_TRACK_BY_DST, RULE_TRACK_BY_RULE,
	RULE_TRACK_BY_BOTH, RULE_TRACK_BY_FLOW,
};

struct rule_threshold {
	uint8_t type;           /* enum rule_thresh_type; NONE when absent */
	uint8_t track;          /* enum rule_track */
	uint8_t unique_on;      /* detection_filter: 0, 1 src_port, 2 dst_port */
	uint32_t count;
	uint32_t seconds;       /* 0 for backoff */
	uint32_t multiplier;    /* backoff */
};

struct rule_ref {
	const char *type;       /* url, cve, bugtraq, ... */
	const char *value;
};

struct rule_meta {
	const char *key;
	const char *value;      /* "" when the item is a bare word */
};

/* rule.flags */
#define RULE_NEEDS_APP_LAYER (1u << 0)   /* an app-layer buffer or keyword */
#define RULE_NOALERT         (1u << 1)   /* noalert / flowbits:noalert */
#define RULE_BIDIRECTIONAL   (1u << 2)   /* <> */
#define RULE_PROTO_ANY       (1u << 3)   /* ip: every IP protocol */
#define RULE_HAS_TAG         (1u << 4)   /* tag: accepted, no effect */
#define RULE_TARGET_SRC      (1u << 5)   /* target:src_ip */
#define RULE_TARGET_DST      (1u << 6)   /* target:dest_ip */
#define RULE_SNORT3          (1u << 7)   /* parsed with Snort 3 conventions */

struct rule {
	uint32_t gid, sid, rev;         /* gid 1 unless given */
	const char *msg;                /* "" when absent */
	const char *classtype;          /* NULL when absent */
	const char *category;           /* classtype description; NULL unknown */
	int priority;                   /* severity: priority:, else the
					 * classtype's, else 3 */
	uint32_t flags;                 /* RULE_* */

	/* header */
	uint8_t action;                 /* enum rule_action */
	uint8_t ip_version;             /* 0 any, 4, 6 (ipv4 / ipv6 headers) */
	uint8_t tcp_mode;               /* enum rule_tcp_mode */
	uint8_t app;                    /* enum rule_app */
	uint8_t protos[32];             /* bitmap of IP protocol numbers */
	const struct addr_set *src_addr, *dst_addr;
	const struct port_set *src_port, *dst_port;
	const struct port_set *app_ports;   /* usual server ports of app, or NULL */

	uint32_t flow;                  /* RULE_FLOW_* */

	const struct rule_opt *opts;    /* in rule order */
	uint32_t nopts;

	const char *const *vars;        /* byte_extract variable names */
	uint8_t nvars;

	struct rule_threshold threshold;
	struct rule_threshold detection_filter;

	const struct rule_ref *refs;
	uint32_t nrefs;
	const struct rule_meta *meta;
	uint32_t nmeta;
	/* metadata as EVE alert.metadata: {"key":["value",...],...};
	 * NULL when the rule has none. */
	const char *metadata_json;
	const char *const *services;    /* Snort 3 service: names */
	uint32_t nservices;

	const char *file;               /* where it was read */
	uint32_t line;                  /* first physical line */
	const char *text;               /* the rule, continuation lines joined */
};

static inline bool rule_has_proto(const struct rule *r, uint8_t proto)
{
	return r->protos[proto >> 3] & (1u << (proto & 7));
}

/* ---- rulesets ------------------------------------------------------------- */

struct rule_error {
	const char *file;
	uint32_t line;                  /* physical line of the offending text */
	uint32_t col;                   /* 1-based, in that line */
	const char *keyword;
	const char *reason;
	const char *message;            /* "FILE:LINE:COL: keyword: reason" */
	uint32_t sid;                   /* when known, else 0 */
};

struct ruleset;

/*
 * A ruleset whose $VARS come from cfg (copied; cfg may be NULL) and whose
 * classtypes come from classification_path (may be NULL: then any
 * classtype is accepted and severity defaults to 3). Returns NULL with
 * errno set when memory runs out or the classification file cannot be
 * read; its malformed lines become errors of the ruleset.
 */
struct ruleset *ruleset_new(const struct config *cfg, const char *classification_path);
void ruleset_free(struct ruleset *rs);

/* Add the classifications of a classification.config file; malformed
 * lines become errors. (`config classification:` lines inside a rules file
 * are read by ruleset_load_file too.) Returns 0, or -errno when the file
 * cannot be read. */
int ruleset_load_classification(struct ruleset *rs, const char *path);

/* Parse every rule; a rule that fails becomes an error and is skipped.
 * Returns 0, or -errno when the file cannot be read (-ENOMEM when memory
 * runs out). */
int ruleset_load_file(struct ruleset *rs, const char *path);
int ruleset_load_string(struct ruleset *rs, const char *text, const char *name);

size_t ruleset_count(const struct ruleset *rs);         /* rules loaded */
size_t ruleset_failed(const struct ruleset *rs);        /* rules that failed */
/* Of the failed rules, those whose only fault is an unsupported keyword. */
size_t ruleset_failed_unsupported(const struct ruleset *rs);
size_t ruleset_disabled(const struct ruleset *rs);      /* commented-out rules */
size_t ruleset_app_layer(const struct ruleset *rs);     /* loaded, NEEDS_APP_LAYER */
const struct rule *ruleset_rule(const struct ruleset *rs, size_t i);

/* Errors of failed rules and of classification lines, in file order. */
size_t ruleset_error_count(const struct ruleset *rs);
const struct rule_error *ruleset_error(const struct ruleset *rs, size_t i);
/* Accepted but doubtful (tag has no effect, ...). */
size_t ruleset_warning_count(const struct ruleset *rs);
const struct rule_error *ruleset_warning(const struct ruleset *rs, size_t i);

/* Unsupported keywords: how many rules used each, most used first. */
size_t ruleset_unsupported_count(const struct ruleset *rs);
int ruleset_unsupported(const struct ruleset *rs, size_t i, const char **name,
			size_t *rules);

/* Flowbit / xbit names, interned: rule_bits.ids index them. */
size_t ruleset_bit_count(const struct ruleset *rs);
/* Give rs (still empty) prev's flowbit names with the same ids, so flows
 * that outlive a reload keep meaningful bits. 0, -EINVAL (rs already has
 * names) or -ENOMEM. */
int ruleset_inherit_bits(struct ruleset *rs, const struct ruleset *prev);
const char *ruleset_bit_name(const struct ruleset *rs, size_t id);

const struct class_table *ruleset_classes(const struct ruleset *rs);

#endif
