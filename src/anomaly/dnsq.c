/*
 * dnsq: a tiny, bounded reader of the first question of a DNS message,
 * enough for the tunnel and DGA features (name, type, rcode). It stands in
 * until the application-layer DNS parser (include/mamori/dns.h, branch
 * dnstls) is merged; then the hook can take the parser's name instead.
 *
 * The base domain is the last two labels (no public-suffix list: under
 * co.uk-style suffixes names group one level too high, which only makes
 * the unique-name count larger for that suffix's clients).
 */
#include <math.h>
#include <string.h>

#include "mamori/anomaly.h"

static float entropy(const char *s, size_t n)
{
	uint16_t cnt[256];
	float h = 0;

	if (n == 0)
		return 0;
	memset(cnt, 0, sizeof(cnt));
	for (size_t i = 0; i < n; i++)
		cnt[(uint8_t)s[i]]++;
	for (unsigned c = 0; c < 256; c++) {
		if (!cnt[c])
			continue;
		float p = (float)cnt[c] / (float)n;
		h -= p * log2f(p);
	}
	return h;
}

int dnsq_parse(const uint8_t *msg, size_t len, struct dnsq *q)
{
	size_t off = 12, out = 0;
	size_t dots[128];
	unsigned nl = 0;

	memset(q, 0, sizeof(*q));
	if (len < 12 + 5)
		return -1;
	/* qdcount must be at least one; opcode 0 (query) only */
	if (((msg[4] << 8) | msg[5]) == 0 || ((msg[2] >> 3) & 0xf) != 0)
		return -1;
	q->response = (msg[2] & 0x80) != 0;
	q->rcode = msg[3] & 0x0f;
	for (;;) {
		uint8_t l;

		if (off >= len)
			return -1;
		l = msg[off++];
		if (l == 0)
			break;
		if (l & 0xc0)
			return -1;       /* pointer or reserved: not in a question */
		if (off + l > len || out + l + 1 >= DNSQ_NAME_MAX || nl >= 127)
			return -1;
		if (out)
			q->name[out++] = '.';
		dots[nl++] = out;        /* start of this label */
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = msg[off + i];
			q->name[out++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		if (l > q->longest_label)
			q->longest_label = l;
		off += l;
	}
	if (off + 4 > len)
		return -1;
	q->qtype = (uint16_t)((msg[off] << 8) | msg[off + 1]);
	q->name[out] = '\0';
	q->name_len = (uint16_t)out;
	q->labels = (uint8_t)nl;
	if (nl == 0)
		return 0;
	size_t base = nl >= 2 ? dots[nl - 2] : dots[0];
	q->base_hash = anomaly_hash(q->name + base, out - base, 0x646e73);
	q->name_hash = anomaly_hash(q->name, out, 0x6e616d65);
	q->sub_len = base ? (uint16_t)(base - 1) : 0;
	q->sub_entropy = entropy(q->name, q->sub_len);
	return 0;
}
