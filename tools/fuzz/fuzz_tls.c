/*
 * fuzz_tls: libFuzzer target for the TLS parser. The first byte picks
 * the direction and where the input is split into two calls, so record
 * and handshake reassembly across calls is fuzzed too.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tools/fuzz/fuzz_tls.c src/app/tls.c src/app/md5.c src/flow/sha1.c \
 *     -o fuzz_tls
 */
#include <stdlib.h>

#include "mamori/tls.h"

static void on_inspect(void *arg, const struct app_inspect *in)
{
	volatile uint8_t x = 0;

	for (unsigned b = 0; b < RULE_BUF_MAX; b++)
		for (uint32_t i = 0; in->buf[b].p && i < in->buf[b].len; i++)
			x ^= in->buf[b].p[i];
	(void)x;
}

static void on_event(void *arg, unsigned ev)
{
	if (ev >= TLS_EV_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_state st;
	uint32_t cut;

	if (size < 1)
		return 0;
	cut = size > 1 ? 1 + data[0] % (size - 1) : 1;
	tls_probe(data + 1, (uint32_t)size - 1);
	tls_state_init(&st);
	tls_parse(&st, data[0] & 1, data + 1, cut - 1, on_inspect, on_event, NULL);
	tls_parse(&st, data[0] & 1, data + cut, (uint32_t)(size - cut),
		  on_inspect, on_event, NULL);
	return 0;
}
