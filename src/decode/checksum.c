/*
 * checksum: the Internet checksum (RFC 1071) and the L4 pseudo headers.
 *
 * The one's complement sum does not care about byte order as long as one
 * order is used throughout (RFC 1071, 2.(B)), so the data is summed in host
 * order, 8 bytes at a time into a 64-bit accumulator whose carries are
 * folded once at the end, and only the folded 16-bit result is swapped to
 * the big-endian convention of the API. Validation runs only with
 * checksum_validate (-k all); it is not on the default path.
 */
#include "decode-private.h"

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint32_t inet_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *b = data;
	uint64_t acc = 0;
	uint32_t s;

	/* each step adds less than 2^33, so the accumulator cannot wrap for
	 * any length a packet can have */
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, b, 8);
		acc += (v & 0xffffffff) + (v >> 32);
		b += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, b, 4);
		acc += v;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, b, 2);
		acc += v;
		b += 2;
		len -= 2;
	}
	if (len) {
		/* the odd byte is the high half of a big-endian word padded
		 * with zero, i.e. it sits at the lower address */
		uint16_t v = 0;

		memcpy(&v, b, 1);
		acc += v;
	}
	s = fold64(acc);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap16((uint16_t)s);
#endif
	/* folded to 16 bits, so chained calls cannot overflow */
	return fold64((uint64_t)sum + s);
}

uint16_t inet_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint16_t inet_csum(const void *data, size_t len, uint32_t initial)
{
	return inet_csum_fold(inet_csum_partial(data, len, initial));
}

bool decode_l4_csum_ok(const struct packet *p, uint8_t proto, const uint8_t *l4,
		       uint32_t len)
{
	uint32_t sum;

	/* pseudo header: addresses, protocol, L4 length (RFC 793, 8200) */
	if (p->ip_ver == 4)
		sum = inet_csum_partial(p->src.b, 4, 0) + inet_csum_partial(p->dst.b, 4, 0);
	else
		sum = inet_csum_partial(p->src.b, 16, 0) + inet_csum_partial(p->dst.b, 16, 0);
	sum += proto + (len & 0xffff) + (len >> 16);
	return inet_csum(l4, len, sum) == 0;
}
