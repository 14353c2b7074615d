/*
 * fuzz_dns: libFuzzer target for the DNS parser. The first byte picks
 * UDP or TCP and where the TCP input is split into two calls, so framing
 * across calls is fuzzed too; both directions are fed.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tools/fuzz/fuzz_dns.c src/app/dns.c -o fuzz_dns
 */
#include <stdlib.h>

#include "mamori/dns.h"

static void on_inspect(void *arg, const struct app_inspect *in)
{
	/* touch every byte handed out, so ASan checks the slices */
	volatile uint8_t x = 0;

	for (unsigned b = 0; b < RULE_BUF_MAX; b++)
		for (uint32_t i = 0; in->buf[b].p && i < in->buf[b].len; i++)
			x ^= in->buf[b].p[i];
	(void)x;
}

static void on_event(void *arg, unsigned ev)
{
	if (ev >= DNS_EV_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_state st;
	uint32_t cut;

	if (size < 1)
		return 0;
	cut = size > 1 ? data[0] % size : 0;
	dns_probe(data + 1, (uint32_t)size - 1, data[0] & 1);
	dns_state_init(&st, data[0] & 1);
	dns_parse(&st, 0, data + 1, cut ? cut - 1 : 0, on_inspect, on_event, NULL);
	dns_parse(&st, 0, data + (cut ? cut : 1), (uint32_t)(size - (cut ? cut : 1)),
		  on_inspect, on_event, NULL);
	dns_parse(&st, 1, data + 1, (uint32_t)size - 1, on_inspect, on_event, NULL);
	return 0;
}
