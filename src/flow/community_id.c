/*
 * community_id: Community ID v1 (github.com/corelight/community-id-spec),
 * the flow identifier SOC tools join Suricata, Zeek and Wireshark data on.
 *
 * The hashed input is at most 40 bytes (seed 2, addresses 2 x 16, proto 1,
 * pad 1, ports 2 x 2), so it is built on the stack and SHA-1 runs over a
 * single 64-byte block; no state is kept between calls. ICMP follows the
 * spec's (Zeek's) mapping: a type with a request/reply counterpart hashes as
 * (type, counterpart) and is ordered like ports, so a ping and its reply get
 * one ID; any other type hashes as (type, code) in the order seen, since a
 * one-way message has no reverse direction to match. Protocols other than
 * TCP, UDP, SCTP, ICMP and ICMPv6 hash without ports.
 *
 * The result is computed on demand (alert and flow records), not per packet.
 */
#include <netinet/in.h>
#include <string.h>

#include "mamori/flow.h"

/* Counterpart type of a two-way ICMP message, or -1 for a one-way one. */
static int icmp_counterpart(uint8_t proto, uint16_t type)
{
	static const uint8_t v4[][2] = {
		{ 8, 0 },       /* echo, echo reply */
		{ 13, 14 },     /* timestamp */
		{ 15, 16 },     /* information */
		{ 10, 9 },      /* router solicitation, advertisement */
		{ 17, 18 },     /* address mask */
	};
	static const uint8_t v6[][2] = {
		{ 128, 129 },   /* echo */
		{ 130, 131 },   /* MLD query, report */
		{ 133, 134 },   /* router solicitation, advertisement */
		{ 135, 136 },   /* neighbor solicitation, advertisement */
		{ 139, 140 },   /* node information query, reply */
		{ 144, 145 },   /* home agent address discovery */
	};
	const uint8_t (*tab)[2] = proto == IPPROTO_ICMP ? v4 : v6;
	size_t n = proto == IPPROTO_ICMP ? sizeof(v4) / sizeof(v4[0])
					 : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++) {
		if (tab[i][0] == type)
			return tab[i][1];
		if (tab[i][1] == type)
			return tab[i][0];
	}
	return -1;
}

static size_t base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* "1:" + 28 base64 characters + NUL */
#define COMMUNITY_ID_LEN 31

const char *community_id_v1(uint16_t seed, int ip_ver, const union ip_addr *src,
			    const union ip_addr *dst, uint8_t proto,
			    uint16_t sport, uint16_t dport, char *buf, size_t len)
{
	uint8_t msg[40], digest[20];
	size_t alen, n = 0;
	bool ports, one_way = false;
	int c;

	if (len)
		buf[0] = '\0';
	if (len < COMMUNITY_ID_LEN)
		return NULL;
	if (ip_ver == 4)
		alen = 4;
	else if (ip_ver == 6)
		alen = 16;
	else
		return NULL;

	ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
		proto == IPPROTO_SCTP || proto == IPPROTO_ICMP ||
		proto == IPPROTO_ICMPV6;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		int cp = icmp_counterpart(proto, sport);

		if (cp >= 0)
			dport = (uint16_t)cp;
		else
			one_way = true;   /* (type, code) as given */
	}
	if (!ports)
		sport = dport = 0;

	/* smaller (address, port) first, unless the tuple is one-way */
	c = memcmp(src->b, dst->b, alen);
	if (!one_way && (c > 0 || (c == 0 && sport > dport))) {
		const union ip_addr *t = src;
		uint16_t tp = sport;

		src = dst;
		dst = t;
		sport = dport;
		dport = tp;
	}

	msg[n++] = seed >> 8;
	msg[n++] = seed & 0xff;
	memcpy(msg + n, src->b, alen);
	n += alen;
	memcpy(msg + n, dst->b, alen);
	n += alen;
	msg[n++] = proto;
	msg[n++] = 0;
	if (ports) {
		msg[n++] = sport >> 8;
		msg[n++] = sport & 0xff;
		msg[n++] = dport >> 8;
		msg[n++] = dport & 0xff;
	}
	mamori_sha1(msg, n, digest);

	buf[0] = '1';
	buf[1] = ':';
	base64(digest, sizeof(digest), buf + 2);
	return buf;
}

const char *flow_community_id(const struct flow *f, uint16_t seed, char *buf, size_t len)
{
	const union ip_addr *csrc, *sdst;
	uint16_t cport, sport;

	flow_endpoints(f, &csrc, &cport, &sdst, &sport);
	/* the key holds the ICMP id; Community ID wants the first packet's
	 * type and code, oriented from the flow's initiator */
	if (f->key.proto == IPPROTO_ICMP || f->key.proto == IPPROTO_ICMPV6) {
		cport = f->icmp_type;
		sport = f->icmp_code;
	}
	return community_id_v1(seed, f->key.ip_ver, csrc, sdst, f->key.proto,
			       cport, sport, buf, len);
}
