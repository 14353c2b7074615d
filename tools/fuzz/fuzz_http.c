/*
 * fuzz_http: libFuzzer target for the HTTP/1.x parser (src/app/http.c).
 *
 * The input is a config byte, then records: one byte (bit 0: direction,
 * bit 1: close that direction after the data), a length byte, the data.
 * The records are fed twice into fresh states: once one call per record,
 * once with consecutive same-direction records merged into one call. The
 * parser's output must not depend on how a direction's bytes are split, so
 * both runs must produce the same transcript (points, buffers, events);
 * a difference aborts. Every buffer handed out is read in full, so ASan
 * catches a slice that points outside the state.
 *
 * Build and run (make fuzz builds it when clang is there):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *       tools/fuzz/fuzz_http.c src/app/http.c -lz -o fuzz_http
 *   ./fuzz_http -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/http.h"

struct sum {
	uint64_t h;
	uint64_t points;
};

static void mix(struct sum *s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		s->h = (s->h ^ b[i]) * 0x100000001b3ULL;
}

static void on_inspect(void *arg, const struct app_inspect *in)
{
	struct sum *s = arg;

	s->points++;
	mix(s, &in->dir, sizeof(in->dir));
	mix(s, &in->tx_id, sizeof(in->tx_id));
	for (int b = 0; b < RULE_BUF_MAX; b++) {
		if (!in->buf[b].p)
			continue;
		mix(s, &b, sizeof(b));
		mix(s, &in->buf[b].len, sizeof(in->buf[b].len));
		mix(s, in->buf[b].p, in->buf[b].len);
	}
	mix(s, &in->meta->u.http, sizeof(in->meta->u.http));
}

static void on_event(void *arg, unsigned e)
{
	struct sum *s = arg;

	if (e >= HTTP_EV_MAX || !http_event_name(e))
		abort();
	mix(s, &e, sizeof(e));
}

static struct sum run(const struct http_config *c, void *mem, const uint8_t *data,
		      size_t size, bool merge)
{
	struct http_state *st = mem;
	struct sum s = { 0xcbf29ce484222325ULL, 0 };
	size_t i = 0;

	http_state_init(st, c);
	while (i + 2 <= size) {
		int op = data[i], dir = op & 1;
		size_t n = data[i + 1], start = i + 2;

		if (start + n > size)
			n = size - start;
		i = start + n;
		if (merge && !(op & 2)) {
			/* the same direction's records that follow, as one call */
			uint8_t *buf = malloc(size);
			size_t m = 0;

			memcpy(buf, data + start, n);
			m = n;
			while (i + 2 <= size && (data[i] & 1) == dir && !(op & 2)) {
				size_t k = data[i + 1], st2 = i + 2;

				if (st2 + k > size)
					k = size - st2;
				memcpy(buf + m, data + st2, k);
				m += k;
				op = data[i];
				i = st2 + k;
			}
			http_parse(st, dir, buf, (uint32_t)m, on_inspect, on_event, &s);
			free(buf);
		} else {
			http_parse(st, dir, data + start, (uint32_t)n, on_inspect, on_event, &s);
		}
		if (op & 2)
			http_close(st, dir, on_inspect, on_event, &s);
	}
	http_close(st, 0, on_inspect, on_event, &s);
	http_close(st, 1, on_inspect, on_event, &s);
	http_state_fini(st);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_config c;
	void *mem;

	if (size < 1)
		return 0;
	http_config_default(&c);
	/* small limits so the bounds are reached */
	c.header_limit = 64u << (data[0] & 7);
	c.request_body_limit = 16u << ((data[0] >> 3) & 7);
	c.response_body_limit = 16u << ((data[0] >> 3) & 7);
	c.decompress_limit = 256u << ((data[0] >> 5) & 3);
	c.decompress_layers = (uint8_t)((data[0] >> 6) & 3);
	mem = malloc(http_state_size(&c));
	if (!mem)
		return 0;
	struct sum a = run(&c, mem, data + 1, size - 1, false);
	struct sum b = run(&c, mem, data + 1, size - 1, true);

	if (a.h != b.h || a.points != b.points)
		abort();        /* output depends on the split */
	free(mem);
	return 0;
}
