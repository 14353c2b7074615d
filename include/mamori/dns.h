/*
 * dns: the DNS message parser (UDP and TCP), an application-layer parser
 * under the contract of app.h.
 *
 * UDP: one datagram is one message. TCP: each message follows a 2-byte
 * big-endian length (RFC 1035 4.2.2); messages may be split across calls
 * and several may arrive in one call. Per message the parser calls back:
 *
 *   request:  one inspection per question: DNS_QUERY and DNS_QUERY_NAME
 *             (Suricata's dns.query is a to-server buffer);
 *   response: one inspection per question (DNS_QUERY_NAME) and one per
 *             answer record (DNS_ANSWER_NAME, its rrname).
 *
 * Names are the labels' raw bytes joined with '.', as Suricata's buffers
 * hold them; meta.dns.rrname is the same name as Suricata prints rrname
 * (bytes >= 0x80 as "\xNN" when the name is not valid UTF-8). meta.dns
 * describes the record of the inspection (the question, or the answer).
 * tx_id counts messages per direction, so request n and response n share
 * tx_id n.
 *
 * The state has fixed bounds: a TCP message longer than DNS_TCP_MSG_MAX is
 * parsed from its first DNS_TCP_MSG_MAX bytes (the questions come first)
 * and counted as truncated. Nothing is allocated.
 */
#ifndef MAMORI_DNS_H
#define MAMORI_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori/app.h"

/* Buffered bytes of one TCP message per direction. */
#define DNS_TCP_MSG_MAX 4096
/* Longest decoded name kept (Suricata's limit, dnsmasq's too). */
#define DNS_NAME_MAX 1025

/* Parser events, app_layer.event.dns.<name> (Suricata's names where it
 * has the event). */
#define DNS_EVENTS(X)                                                   \
	X(MALFORMED_DATA, "malformed_data")                             \
	X(TRUNCATED, "truncated")                                       \
	X(NAME_TOO_LONG, "name_too_long")                               \
	X(INFINITE_LOOP, "infinite_loop")                               \
	X(TOO_MANY_LABELS, "too_many_labels")                           \
	X(Z_FLAG_SET, "z_flag_set")                                     \
	X(INVALID_OPCODE, "invalid_opcode")

enum dns_event {
#define X(id, name) DNS_EV_##id,
	DNS_EVENTS(X)
#undef X
	DNS_EV_MAX
};

/* "malformed_data", ...; NULL when out of range. */
const char *dns_event_name(unsigned ev);

struct dns_dir {
	uint64_t tx;                    /* messages seen in this direction */
	/* TCP framing */
	uint8_t lenbuf[2];
	uint8_t lenhave;                /* 0..2 bytes of the length prefix */
	bool inmsg;                     /* inside a message */
	uint32_t need;                  /* its length */
	uint32_t have;                  /* bytes of it seen */
};

struct dns_state {
	bool tcp;
	struct dns_dir dir[2];
	/* last, so a UDP flow's state can stop before them */
	uint8_t buf[2][DNS_TCP_MSG_MAX];   /* per direction: a TCP message's
					      first bytes */
};

/* What decoding one name found (flags). */
#define DNS_NAME_F_LOOP         0x01    /* pointer loop: cut */
#define DNS_NAME_F_TOO_LONG     0x02    /* over 255 octets (RFC 1035) */
#define DNS_NAME_F_CUT          0x04    /* over DNS_NAME_MAX: cut */
#define DNS_NAME_F_LABELS       0x08    /* over 255 labels and pointers */

/*
 * Decode the name at msg[*off] (msg: the whole message, for compression
 * pointers) into out (raw label bytes joined with '.', at most cap bytes,
 * not NUL-terminated). On success returns the length and moves *off past
 * the name as it appears at *off (after the first pointer, if any);
 * -1 when the name is malformed or runs past len. flags gets DNS_NAME_F_*.
 */
int dns_name_decode(const uint8_t *msg, uint32_t len, uint32_t *off,
		    uint8_t *out, uint32_t cap, unsigned *flags);

/*
 * Print a decoded name as Suricata prints rrname: as is when it is valid
 * UTF-8, else bytes >= 0x80 as "\xNN". NUL-terminated, cut to cap - 1.
 */
void dns_name_print(const uint8_t *name, uint32_t len, char *out, size_t cap);

/* Could p be the start of a DNS message (TCP: of its length prefix)? */
bool dns_probe(const uint8_t *p, uint32_t len, bool tcp);

/* Bytes a flow's state takes: UDP needs no message buffers (about 50
 * bytes), TCP two of DNS_TCP_MSG_MAX. */
size_t dns_state_size(bool tcp);
/* st must have dns_state_size(tcp) bytes. */
void dns_state_init(struct dns_state *st, bool tcp);
/* Feed the bytes of one direction (dir: 0 to server, 1 to client). */
void dns_parse(struct dns_state *st, int dir, const uint8_t *data, uint32_t len,
	       app_inspect_fn inspect, app_event_fn event, void *arg);

#endif
