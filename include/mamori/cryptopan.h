/*
 * cryptopan: prefix-preserving IP address pseudonymisation (Crypto-PAn;
 * Xu, Fan, Ammar, Moon, ICNP 2002), for the privacy profiles of the
 * output sinks.
 *
 * Two addresses that share their first k bits map to two addresses that
 * share exactly their first k bits, so subnets stay subnets and a SOC can
 * still group by network while the real addresses stay hidden. The mapping
 * is a bijection fixed by a 32-byte key: the same key gives the same
 * pseudonyms across runs and sensors, a different key unrelated ones.
 * Output is bit-for-bit that of the original Crypto-PAn tool for IPv4; IPv6
 * is the same construction over 128 bits.
 *
 * Cost (see src/output/cryptopan.c): 31 AES-128 blocks per IPv4 address,
 * 127 per IPv6 address, in one OpenSSL call (about 70 and 310 ns); no
 * allocation or syscall per call, one atomic exchange to claim a cipher
 * context from the object's pool.
 */
#ifndef MAMORI_CRYPTOPAN_H
#define MAMORI_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTOPAN_KEY_LEN 32

/* Opaque; read-only after creation, safe to share between threads. */
struct cryptopan;

/* key: 32 bytes (first 16 the AES-128 key, last 16 the pad secret: the
 * original tool encrypts them with the key to form the pad, and so does
 * this). NULL on failure (out of memory, OpenSSL without AES-128-ECB). */
struct cryptopan *cryptopan_new(const uint8_t key[32]);

/* Load the 32-byte key from a file (exactly 32 raw bytes, or 64 hex
 * characters with an optional trailing newline); NULL with a reason in
 * err ("PATH: ..."). */
struct cryptopan *cryptopan_load_key_file(const char *path, char *err, size_t errlen);

/* Wipes the key material. NULL is a no-op. */
void cryptopan_free(struct cryptopan *c);

/* Should OpenSSL ever fail a call (never seen once cryptopan_new
 * succeeded), the result is the all-zero address, never the input. */
uint32_t cryptopan_anon_v4(const struct cryptopan *c, uint32_t addr_host_order);

/* in and out are network-order addresses; they may be the same buffer. */
void cryptopan_anon_v6(const struct cryptopan *c, const uint8_t in[16], uint8_t out[16]);

#endif
