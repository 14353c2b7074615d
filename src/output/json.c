/*
 * json: a bounded, append-only JSON writer for the output thread.
 *
 * EVE lines are built into one caller-owned buffer per line; nothing here
 * allocates. The buffer is always NUL-terminated (so at most cap - 1 bytes
 * of JSON fit), and every append is all-or-nothing at the level of one
 * token or one escaped unit: when something does not fit, `truncated` is
 * set and every later call is a no-op. The formatters in eve.c check the
 * flag once at the end and rewind the buffer, so a caller never sees a
 * partial object.
 *
 * Strings come from packets and rules, so they may hold anything. Bytes
 * that form valid UTF-8 (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF) pass through unchanged; every other byte >= 0x80 is
 * written as \u00XX of its value, the way Suricata does, so that each line
 * is valid UTF-8 and valid JSON whatever the input. Control characters and
 * DEL are escaped too, so a line never carries a raw terminal escape.
 */
#include <string.h>

#include "mamori/eve.h"

void json_init(struct json_buf *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->len = 0;
	j->cap = cap;
	j->truncated = false;
	if (cap)
		buf[0] = '\0';
}

void json_raw(struct json_buf *j, const char *s, size_t n)
{
	if (j->truncated)
		return;
	/* one byte stays reserved for the terminating NUL */
	if (j->cap == 0 || n > j->cap - 1 - j->len) {
		j->truncated = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static inline void json_putc(struct json_buf *j, char c)
{
	json_raw(j, &c, 1);
}

/*
 * Length of the valid UTF-8 sequence starting at s (whose first byte is
 * >= 0x80), or 0 when it is not one. The second byte's range depends on the
 * lead byte: that is where overlongs (E0, F0), surrogates (ED) and code
 * points above U+10FFFF (F4) are excluded.
 */
static size_t utf8_seq_len(const uint8_t *s, size_t avail)
{
	uint8_t c = s[0];
	uint8_t lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;   /* continuation byte, C0/C1 overlong lead, F5..FF */
	}
	if (avail < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void json_escape_byte(struct json_buf *j, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };

	switch (c) {
	case '"':  json_raw(j, "\\\"", 2); return;
	case '\\': json_raw(j, "\\\\", 2); return;
	case '\b': json_raw(j, "\\b", 2); return;
	case '\f': json_raw(j, "\\f", 2); return;
	case '\n': json_raw(j, "\\n", 2); return;
	case '\r': json_raw(j, "\\r", 2); return;
	case '\t': json_raw(j, "\\t", 2); return;
	default:   json_raw(j, esc, sizeof(esc)); return;
	}
}

void json_str(struct json_buf *j, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, run = 0;

	json_putc(j, '"');
	/* copy runs of bytes that need no escaping in one go */
	while (i < n && !j->truncated) {
		uint8_t c = s[i];
		size_t k;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80 && (k = utf8_seq_len(s + i, n - i)) > 0) {
			i += k;
			continue;
		}
		json_raw(j, (const char *)s + run, i - run);
		json_escape_byte(j, c);
		run = ++i;
	}
	json_raw(j, (const char *)s + run, i - run);
	json_putc(j, '"');
}

void json_cstr(struct json_buf *j, const char *s)
{
	if (!s)
		s = "";
	json_str(j, s, strlen(s));
}

void json_u64(struct json_buf *j, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	json_raw(j, tmp + i, sizeof(tmp) - i);
}

void json_i64(struct json_buf *j, int64_t v)
{
	if (v < 0) {
		json_putc(j, '-');
		/* negate in unsigned arithmetic: -INT64_MIN does not fit */
		json_u64(j, (uint64_t)0 - (uint64_t)v);
	} else {
		json_u64(j, (uint64_t)v);
	}
}

void json_base64(struct json_buf *j, const uint8_t *d, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[64];   /* a multiple of 4: whole quanta per chunk */
	size_t o = 0, i;

	json_putc(j, '"');
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
		if (o == sizeof(out)) {
			json_raw(j, out, o);
			o = 0;
		}
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)d[i] << 16;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	json_raw(j, out, o);
	json_putc(j, '"');
}

void json_key(struct json_buf *j, const char *key, bool *first)
{
	if (!*first)
		json_putc(j, ',');
	*first = false;
	json_cstr(j, key);
	json_putc(j, ':');
}
