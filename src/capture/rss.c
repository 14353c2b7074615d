/*
 * rss: software model of a port's receive-side scaling (see rss.h). Only
 * reassembled datagrams that may belong to another worker go through it,
 * so the hash is the plain bit-serial Toeplitz loop: some 300 steps for an
 * IPv6 4-tuple, no tables to build or keep warm.
 */
#include <string.h>

#include "mamori/rss.h"

uint32_t rss_toeplitz(const uint8_t *key, uint32_t key_len, const uint8_t *in, uint32_t n)
{
	uint64_t win = 0;   /* key bits [8j, 8j + 64), bit 8j the highest */
	uint32_t h = 0;

	for (uint32_t i = 0; i < 8; i++)
		win = win << 8 | (i < key_len ? key[i] : 0);
	for (uint32_t j = 0; j < n; j++) {
		for (unsigned b = 0; b < 8; b++)
			if (in[j] & (0x80u >> b))
				h ^= (uint32_t)(win >> (32 - b));
		win = win << 8 | (j + 8 < key_len ? key[j + 8] : 0);
	}
	return h;
}

void rss_symmetric_key(uint8_t *key, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

void rss_model_default(struct rss_model *m, uint32_t key_len, uint32_t types,
		       uint32_t reta_size, unsigned nqueues)
{
	memset(m, 0, sizeof(*m));
	if (key_len > RSS_KEY_MAX)
		key_len = RSS_KEY_MAX;
	if (reta_size < 1)
		reta_size = 1;
	if (reta_size > RSS_RETA_MAX)
		reta_size = RSS_RETA_MAX;
	if (nqueues < 1)
		nqueues = 1;
	rss_symmetric_key(m->key, key_len);
	m->key_len = key_len;
	m->types = types;
	m->reta_size = reta_size;
	for (uint32_t i = 0; i < reta_size; i++)
		m->reta[i] = (uint16_t)(i % nqueues);
}

/* Which input a packet of this kind hashes: 2 addresses and ports, 1
 * addresses only, 0 none. l4: its own type; plain: IPV4/IPV6. */
static int covered(uint32_t types, uint32_t l4, uint32_t plain, bool has_ports)
{
	if ((types & l4) && has_ports)
		return 2;
	if (types & plain)
		return 1;
	return 0;
}

bool rss_hash_ip(const struct rss_model *m, const uint8_t *ip, uint32_t len, uint32_t *hash)
{
	uint8_t in[36];
	uint32_t n, alen, off;
	uint8_t proto;
	bool frag = false;
	int how;

	if (len < 1)
		return false;
	if ((ip[0] >> 4) == 4) {
		if (len < 20 || (ip[0] & 15) < 5 || len < (uint32_t)(ip[0] & 15) * 4)
			return false;
		off = (uint32_t)(ip[0] & 15) * 4;
		proto = ip[9];
		frag = ((ip[6] << 8 | ip[7]) & 0x3fff) != 0;
		alen = 4;
		memcpy(in, ip + 12, 8);
		if (frag)
			how = (m->types & (RSS_IPV4_FRAG | RSS_IPV4)) ? 1 : 0;
		else if (proto == 6)
			how = covered(m->types, RSS_IPV4_TCP, RSS_IPV4, len >= off + 4);
		else if (proto == 17)
			how = covered(m->types, RSS_IPV4_UDP, RSS_IPV4, len >= off + 4);
		else
			how = (m->types & (RSS_IPV4_OTHER | RSS_IPV4)) ? 1 : 0;
	} else if ((ip[0] >> 4) == 6) {
		if (len < 40)
			return false;
		proto = ip[6];
		off = 40;
		/* the headers a NIC walks to find the transport */
		while ((proto == 0 || proto == 43 || proto == 60) && off + 8 <= len) {
			proto = ip[off];
			off += ((uint32_t)ip[off + 1] + 1) * 8;
		}
		if (proto == 44)
			frag = true;
		alen = 16;
		memcpy(in, ip + 8, 32);
		if (frag)
			how = (m->types & (RSS_IPV6_FRAG | RSS_IPV6)) ? 1 : 0;
		else if (proto == 6)
			how = covered(m->types, RSS_IPV6_TCP, RSS_IPV6, len >= off + 4);
		else if (proto == 17)
			how = covered(m->types, RSS_IPV6_UDP, RSS_IPV6, len >= off + 4);
		else
			how = (m->types & (RSS_IPV6_OTHER | RSS_IPV6)) ? 1 : 0;
	} else {
		return false;
	}
	if (!how)
		return false;
	n = 2 * alen;
	if (how == 2) {
		memcpy(in + n, ip + off, 4);
		n += 4;
	}
	*hash = rss_toeplitz(m->key, m->key_len, in, n);
	return true;
}

int rss_queue(const struct rss_model *m, const uint8_t *ip, uint32_t len)
{
	uint32_t h;

	if (m->reta_size == 0 || !rss_hash_ip(m, ip, len, &h))
		return -1;
	return m->reta[h % m->reta_size];
}
