/*
 * rss: the queue a NIC's receive-side scaling gives a packet, computed in
 * software.
 *
 * With DPDK each worker polls one RX queue, and the port's RSS decides
 * which: a Toeplitz hash (Microsoft's RSS specification) of the addresses,
 * and the ports where the hash type covers them, indexes a redirection
 * table (RETA) of queue numbers. Fragments hash on addresses only, so the
 * worker that reassembles a datagram must compute which queue the
 * datagram's unfragmented packets reach, to hand the datagram to that
 * queue's worker (fwd.h). The model holds what the port was set up with:
 * key, hash types and RETA (capture/dpdk.c programs and reads them).
 *
 * Hash types follow the usual NIC behaviour: a TCP or UDP packet hashes
 * addresses and ports when its L4 type is on, else addresses when the
 * plain IPv4/IPv6 type is on; fragments and other protocols hash addresses
 * (their own type, or the plain one). IPv6 is hashed after hop-by-hop,
 * routing and destination options headers. NICs differ in corner cases
 * (IPv6 extension headers, IPv4 options), where the model may pick
 * another queue than the port did.
 *
 * The index into the RETA is the hash modulo its size (the low bits for
 * the power-of-two sizes NICs have).
 */
#ifndef MAMORI_RSS_H
#define MAMORI_RSS_H

#include <stdbool.h>
#include <stdint.h>

#define RSS_KEY_MAX 64
#define RSS_RETA_MAX 512

/* Hash types (DPDK's RTE_ETH_RSS_* mapped by capture/dpdk.c). */
enum {
	RSS_IPV4 = 1u << 0,
	RSS_IPV4_FRAG = 1u << 1,
	RSS_IPV4_TCP = 1u << 2,
	RSS_IPV4_UDP = 1u << 3,
	RSS_IPV4_OTHER = 1u << 4,
	RSS_IPV6 = 1u << 5,
	RSS_IPV6_FRAG = 1u << 6,
	RSS_IPV6_TCP = 1u << 7,
	RSS_IPV6_UDP = 1u << 8,
	RSS_IPV6_OTHER = 1u << 9,
	RSS_ALL = (1u << 10) - 1
};

struct rss_model {
	uint8_t key[RSS_KEY_MAX];
	uint32_t key_len;          /* bytes; 40 covers an IPv6 4-tuple */
	uint32_t types;            /* RSS_* */
	uint32_t reta_size;        /* entries in reta, 1..RSS_RETA_MAX */
	uint16_t reta[RSS_RETA_MAX];
};

/* The Toeplitz hash of in[0..n) under key (key_len >= n + 4 bytes; bits
 * past the key's end count as zero). */
uint32_t rss_toeplitz(const uint8_t *key, uint32_t key_len, const uint8_t *in, uint32_t n);

/* mamori's symmetric key: 0x6D5A repeated (hashing (a, b) and (b, a) gives
 * the same value, so both directions of a flow reach one queue). */
void rss_symmetric_key(uint8_t *key, uint32_t len);

/* The model of a port set up by mamori: the symmetric key of key_len
 * bytes, the given hash types, a RETA of reta_size entries i % nqueues. */
void rss_model_default(struct rss_model *m, uint32_t key_len, uint32_t types,
		       uint32_t reta_size, unsigned nqueues);

/* The hash the port computes for an IP packet (ip: its IP header on,
 * len bytes); false when no enabled hash type covers it. */
bool rss_hash_ip(const struct rss_model *m, const uint8_t *ip, uint32_t len, uint32_t *hash);

/* The queue the port puts that packet on; -1 when no hash type covers it
 * or it is not a whole IP header. */
int rss_queue(const struct rss_model *m, const uint8_t *ip, uint32_t len);

#endif
