/*
 * test_output: the JSON writer, the EVE records and the output thread
 * (src/output/json.c, eve.c, output.c, src/stats.c).
 *
 * Every produced line goes through a small strict JSON checker written
 * here (RFC 8259 grammar, valid UTF-8 only, no duplicate keys in an
 * object), and fields are read back by path ("alert.signature_id") as raw
 * JSON text, so a test states exactly what a SOC parser would see. The
 * output thread is driven end to end through real rings and a real file:
 * the records pushed here stand in for the detection engine's alerts until
 * signatures exist.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "mamori/eve.h"
#include "mamori/output.h"
#include "mamori/ring.h"
#include "mamori/stats.h"

/* ---- a strict JSON checker and path lookup ------------------------------- */

struct jp {
	const char *p, *end;
	int depth;
};

static bool jv_value(struct jp *s);

static void jv_ws(struct jp *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' ||
				 *s->p == '\r'))
		s->p++;
}

/* One UTF-8 sequence starting at s->p (first byte >= 0x80), decoded and
 * checked the long way round: independent of json.c's table. */
static bool jv_utf8(struct jp *s)
{
	const uint8_t *u = (const uint8_t *)s->p;
	size_t avail = (size_t)(s->end - s->p), n;
	uint32_t cp, min;

	if ((u[0] & 0xe0) == 0xc0) {
		n = 2; cp = u[0] & 0x1f; min = 0x80;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3; cp = u[0] & 0x0f; min = 0x800;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4; cp = u[0] & 0x07; min = 0x10000;
	} else {
		return false;
	}
	if (avail < n)
		return false;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	s->p += n;
	return true;
}

/* A string; *b and *n get the raw text between the quotes. */
static bool jv_string(struct jp *s, const char **b, size_t *n)
{
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	*b = s->p;
	while (s->p < s->end) {
		uint8_t c = (uint8_t)*s->p;

		if (c == '"') {
			*n = (size_t)(s->p - *b);
			s->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			s->p++;
			if (s->p >= s->end)
				return false;
			if (*s->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (s->p + i >= s->end || !strchr("0123456789abcdefABCDEF", s->p[i]) ||
					    !s->p[i])
						return false;
				s->p += 5;
			} else if (strchr("\"\\/bfnrt", *s->p) && *s->p) {
				s->p++;
			} else {
				return false;
			}
			continue;
		}
		if (c >= 0x80) {
			if (!jv_utf8(s))
				return false;
			continue;
		}
		s->p++;
	}
	return false;
}

static bool jv_digits(struct jp *s)
{
	const char *b = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b;
}

static bool jv_number(struct jp *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!jv_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!jv_digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!jv_digits(s))
			return false;
	}
	return true;
}

static bool jv_lit(struct jp *s, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

#define JV_MAX_KEYS 256

static bool jv_object(struct jp *s)
{
	const char *kb[JV_MAX_KEYS];
	size_t kn[JV_MAX_KEYS];
	unsigned nk = 0;

	s->p++;
	jv_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		const char *b;
		size_t n;

		jv_ws(s);
		if (!jv_string(s, &b, &n))
			return false;
		for (unsigned i = 0; i < nk; i++)
			if (kn[i] == n && memcmp(kb[i], b, n) == 0)
				return false;   /* duplicate key */
		if (nk == JV_MAX_KEYS)
			return false;
		kb[nk] = b;
		kn[nk++] = n;
		jv_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return false;
		s->p++;
		if (!jv_value(s))
			return false;
		jv_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool jv_array(struct jp *s)
{
	s->p++;
	jv_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return true;
	}
	for (;;) {
		if (!jv_value(s))
			return false;
		jv_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return true;
		}
		return false;
	}
}

static bool jv_value(struct jp *s)
{
	const char *b;
	size_t n;
	bool ok;

	jv_ws(s);
	if (s->p >= s->end || ++s->depth > 64)
		return false;
	switch (*s->p) {
	case '{': ok = jv_object(s); break;
	case '[': ok = jv_array(s); break;
	case '"': ok = jv_string(s, &b, &n); break;
	case 't': ok = jv_lit(s, "true"); break;
	case 'f': ok = jv_lit(s, "false"); break;
	case 'n': ok = jv_lit(s, "null"); break;
	default:  ok = jv_number(s); break;
	}
	s->depth--;
	return ok;
}

static bool json_valid_n(const char *text, size_t len)
{
	struct jp s = { text, text + len, 0 };

	if (!jv_value(&s))
		return false;
	jv_ws(&s);
	return s.p == s.end;
}

static bool json_valid(const char *text)
{
	return json_valid_n(text, strlen(text));
}

/*
 * The raw JSON text of the value at a dotted path of an object, e.g.
 * "alert.gid" -> "1", "proto" -> "\"TCP\"", or NULL when absent. The result
 * lives in one of a few rotating static buffers.
 */
static const char *jget(const char *json, const char *path)
{
	static char bufs[8][8192];
	static unsigned next;
	struct jp s = { json, json + strlen(json), 0 };
	const char *seg = path;

	for (;;) {
		const char *dot = strchr(seg, '.');
		size_t slen = dot ? (size_t)(dot - seg) : strlen(seg);
		bool found = false;

		jv_ws(&s);
		if (s.p >= s.end || *s.p != '{')
			return NULL;
		s.p++;
		jv_ws(&s);
		if (*s.p == '}')
			return NULL;
		for (;;) {
			const char *b;
			size_t n;

			jv_ws(&s);
			if (!jv_string(&s, &b, &n))
				return NULL;
			jv_ws(&s);
			if (*s.p != ':')
				return NULL;
			s.p++;
			jv_ws(&s);
			if (n == slen && memcmp(b, seg, n) == 0) {
				found = true;
				break;
			}
			if (!jv_value(&s))
				return NULL;
			jv_ws(&s);
			if (*s.p == ',') {
				s.p++;
				continue;
			}
			return NULL;
		}
		if (!found)
			return NULL;
		if (!dot) {
			const char *vb = s.p;
			char *out = bufs[next++ % 8];
			size_t vn;

			if (!jv_value(&s))
				return NULL;
			vn = (size_t)(s.p - vb);
			if (vn >= sizeof(bufs[0]))
				return NULL;
			memcpy(out, vb, vn);
			out[vn] = '\0';
			return out;
		}
		seg = dot + 1;
	}
}

/* Members of the object at path (-1 when it is not an object). */
static int jmembers(const char *json, const char *path)
{
	const char *v = jget(json, path);
	struct jp s;
	int n = 0;

	if (!v || *v != '{')
		return -1;
	s.p = v + 1;
	s.end = v + strlen(v);
	s.depth = 0;
	jv_ws(&s);
	if (*s.p == '}')
		return 0;
	for (;;) {
		const char *b;
		size_t kn;

		jv_ws(&s);
		if (!jv_string(&s, &b, &kn))
			return -1;
		jv_ws(&s);
		s.p++;    /* ':' */
		if (!jv_value(&s))
			return -1;
		n++;
		jv_ws(&s);
		if (*s.p++ != ',')
			return n;
	}
}

#define ASSERT_FIELD(json, path, expect)                                       \
	do {                                                                   \
		const char *v_ = jget((json), (path));                         \
		CU_ASSERT_PTR_NOT_NULL(v_);                                    \
		if (v_ && strcmp(v_, (expect)) != 0) {                         \
			fprintf(stderr, "\n  %s: got %s, want %s\n", (path), v_, (expect)); \
			CU_FAIL("field " path);                                \
		}                                                              \
	} while (0)

#define ASSERT_NO_FIELD(json, path) CU_ASSERT_PTR_NULL(jget((json), (path)))

static void test_checker_itself(void)
{
	CU_ASSERT(json_valid("{\"a\":[1,2.5,-0,1e9,true,false,null,\"x\\u00e9\"]}"));
	CU_ASSERT_FALSE(json_valid("{\"a\":1,\"a\":2}"));
	CU_ASSERT_FALSE(json_valid("{\"a\":1,}"));
	CU_ASSERT_FALSE(json_valid("{\"a\":01}"));
	CU_ASSERT_FALSE(json_valid("\"\x01\""));
	CU_ASSERT_FALSE(json_valid("\"\xc0\xaf\""));
	CU_ASSERT_FALSE(json_valid("\"\xed\xa0\x80\""));
	CU_ASSERT_FALSE(json_valid("{\"a\":1}{"));
	CU_ASSERT(json_valid("\"\xf0\x9f\x98\x80\""));
	CU_ASSERT_STRING_EQUAL(jget("{\"a\":{\"b\":[1,{\"c\":2}],\"c\":\"x\"}}", "a.c"), "\"x\"");
	CU_ASSERT_PTR_NULL(jget("{\"a\":{\"b\":1}}", "a.c"));
	CU_ASSERT_EQUAL(jmembers("{\"a\":{\"b\":1,\"c\":{}}}", "a"), 2);
}

/* ---- json writer --------------------------------------------------------- */

/* json_str of n bytes into a fresh buffer; returns the buffer */
static const char *jstr(const char *s, size_t n)
{
	static char buf[4096];
	struct json_buf j;

	json_init(&j, buf, sizeof(buf));
	json_str(&j, s, n);
	CU_ASSERT_FALSE(j.truncated);
	CU_ASSERT_EQUAL(j.len, strlen(buf));
	return buf;
}

static void test_json_controls(void)
{
	for (unsigned c = 0; c < 0x20; c++) {
		char in[3] = { 'a', (char)c, 'b' }, want[16];
		const char *out = jstr(in, 3);

		switch (c) {
		case '\b': strcpy(want, "\"a\\bb\""); break;
		case '\f': strcpy(want, "\"a\\fb\""); break;
		case '\n': strcpy(want, "\"a\\nb\""); break;
		case '\r': strcpy(want, "\"a\\rb\""); break;
		case '\t': strcpy(want, "\"a\\tb\""); break;
		default: snprintf(want, sizeof(want), "\"a\\u%04xb\"", c); break;
		}
		CU_ASSERT_STRING_EQUAL(out, want);
		CU_ASSERT(json_valid(out));
	}
	CU_ASSERT_STRING_EQUAL(jstr("\x7f", 1), "\"\\u007f\"");
	CU_ASSERT_STRING_EQUAL(jstr("", 0), "\"\"");
}

static void test_json_quotes(void)
{
	CU_ASSERT_STRING_EQUAL(jstr("a\"b\\c/d", 7), "\"a\\\"b\\\\c/d\"");
	CU_ASSERT_STRING_EQUAL(jstr("\"\"\\\\", 4), "\"\\\"\\\"\\\\\\\\\"");
	CU_ASSERT_STRING_EQUAL(jstr(" ~plain ASCII text 0123!", 24),
			       "\" ~plain ASCII text 0123!\"");
}

static void test_json_utf8_valid(void)
{
	/* boundaries of every sequence length, and the edges around the
	 * surrogates, all passed through as they are */
	static const char *const ok[] = {
		"\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf",
		"\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
		"\xf4\x8f\xbf\xbf", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"\xe5\xae\x88\xe3\x82\x8a",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char want[64];
		const char *out = jstr(ok[i], strlen(ok[i]));

		snprintf(want, sizeof(want), "\"%s\"", ok[i]);
		CU_ASSERT_STRING_EQUAL(out, want);
		CU_ASSERT(json_valid(out));
	}
}

static void test_json_utf8_invalid(void)
{
	static const struct { const char *in; size_t n; const char *want; } bad[] = {
		{ "\x80", 1, "\"\\u0080\"" },                         /* lone continuation */
		{ "\xbf", 1, "\"\\u00bf\"" },
		{ "\xc0\xaf", 2, "\"\\u00c0\\u00af\"" },              /* overlong '/' */
		{ "\xc1\xbf", 2, "\"\\u00c1\\u00bf\"" },
		{ "\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"" },   /* overlong */
		{ "\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"" },   /* surrogate */
		{ "\xf0\x80\x80\xaf", 4, "\"\\u00f0\\u0080\\u0080\\u00af\"" },
		{ "\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"" }, /* > U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, "\"\\u00f5\\u0080\\u0080\\u0080\"" },
		{ "\xff\xfe", 2, "\"\\u00ff\\u00fe\"" },
		{ "a\xe2\x82", 3, "\"a\\u00e2\\u0082\"" },            /* cut at the end */
		{ "\xe2\x82" "A", 3, "\"\\u00e2\\u0082A\"" },         /* cut mid-string */
		{ "\xc3" "\xc3\xa9", 3, "\"\\u00c3\xc3\xa9\"" },      /* bad lead, then valid */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *out = jstr(bad[i].in, bad[i].n);

		if (strcmp(out, bad[i].want) != 0)
			fprintf(stderr, "\n  case %zu: got %s want %s\n", i, out, bad[i].want);
		CU_ASSERT_STRING_EQUAL(out, bad[i].want);
		CU_ASSERT(json_valid(out));
	}
}

/* Every byte string of length 1..2 and a sample of random ones give valid
 * JSON: the escaper never lets an invalid sequence through. */
static void test_json_fuzz_valid(void)
{
	unsigned seed = 7;
	char in[64];

	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			CU_ASSERT_FATAL(json_valid(jstr(in, 2)));
		}
	}
	for (int k = 0; k < 20000; k++) {
		size_t n = (size_t)rand_r(&seed) % sizeof(in);

		for (size_t i = 0; i < n; i++) {
			/* bias towards high bytes and continuation bytes */
			unsigned r = (unsigned)rand_r(&seed);
			in[i] = (char)(r & 1 ? 0x80 | (r >> 8 & 0x7f) : r >> 8);
		}
		CU_ASSERT_FATAL(json_valid(jstr(in, n)));
	}
}

static void test_json_truncation(void)
{
	char buf[16];
	struct json_buf j;

	/* exact fit: cap - 1 bytes plus the NUL */
	json_init(&j, buf, 6);
	json_raw(&j, "abcde", 5);
	CU_ASSERT_FALSE(j.truncated);
	CU_ASSERT_STRING_EQUAL(buf, "abcde");
	json_raw(&j, "x", 1);
	CU_ASSERT(j.truncated);
	CU_ASSERT_EQUAL(j.len, 5);
	CU_ASSERT_STRING_EQUAL(buf, "abcde");

	/* a token that does not fit is not written in part */
	json_init(&j, buf, 8);
	json_raw(&j, "ab", 2);
	json_raw(&j, "cdefghij", 8);
	CU_ASSERT(j.truncated);
	CU_ASSERT_STRING_EQUAL(buf, "ab");
	/* and nothing is written after */
	json_raw(&j, "c", 1);
	json_u64(&j, 1);
	json_cstr(&j, "x");
	CU_ASSERT_STRING_EQUAL(buf, "ab");

	/* a string longer than the buffer: truncated, stays in bounds */
	memset(buf, 'Z', sizeof(buf));
	json_init(&j, buf, 10);
	json_cstr(&j, "hello \"world\" and more");
	CU_ASSERT(j.truncated);
	CU_ASSERT(j.len < 10);
	CU_ASSERT_EQUAL(strlen(buf), j.len);
	CU_ASSERT_EQUAL(buf[10], 'Z');

	/* an escape sequence is never split */
	json_init(&j, buf, 6);
	json_str(&j, "ab\x01", 3);
	CU_ASSERT(j.truncated);
	CU_ASSERT_STRING_EQUAL(buf, "\"ab");

	/* zero capacity: nothing is touched */
	json_init(&j, NULL, 0);
	json_raw(&j, "", 0);
	json_raw(&j, "a", 1);
	CU_ASSERT(j.truncated);
	CU_ASSERT_EQUAL(j.len, 0);
}

static void test_json_numbers(void)
{
	char buf[128];
	struct json_buf j;

	json_init(&j, buf, sizeof(buf));
	json_u64(&j, 0);
	json_raw(&j, ",", 1);
	json_u64(&j, UINT64_MAX);
	json_raw(&j, ",", 1);
	json_i64(&j, -1);
	json_raw(&j, ",", 1);
	json_i64(&j, INT64_MIN);
	json_raw(&j, ",", 1);
	json_i64(&j, INT64_MAX);
	json_raw(&j, ",", 1);
	json_u64(&j, 1000000);
	CU_ASSERT_STRING_EQUAL(buf, "0,18446744073709551615,-1,-9223372036854775808,"
			       "9223372036854775807,1000000");
}

static void test_json_base64(void)
{
	/* RFC 4648 section 10 */
	static const char *const vec[][2] = {
		{ "", "\"\"" }, { "f", "\"Zg==\"" }, { "fo", "\"Zm8=\"" },
		{ "foo", "\"Zm9v\"" }, { "foob", "\"Zm9vYg==\"" },
		{ "fooba", "\"Zm9vYmE=\"" }, { "foobar", "\"Zm9vYmFy\"" },
	};
	static const uint8_t bin[] = { 0x00, 0xff, 0xfe, 0xfb, 0xef };
	char buf[4096];
	struct json_buf j;
	uint8_t big[1000];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		json_init(&j, buf, sizeof(buf));
		json_base64(&j, (const uint8_t *)vec[i][0], strlen(vec[i][0]));
		CU_ASSERT_STRING_EQUAL(buf, vec[i][1]);
	}
	json_init(&j, buf, sizeof(buf));
	json_base64(&j, bin, sizeof(bin));
	CU_ASSERT_STRING_EQUAL(buf, "\"AP/+++8=\"");

	/* longer than the writer's internal chunk */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)"foobar"[i % 6];
	json_init(&j, buf, sizeof(buf));
	json_base64(&j, big, sizeof(big));
	CU_ASSERT_EQUAL(j.len, 2 + (sizeof(big) + 2) / 3 * 4);
	for (size_t i = 0; i + 8 < 1 + sizeof(big) / 6 * 8; i += 8)
		CU_ASSERT_NSTRING_EQUAL(buf + 1 + i, "Zm9vYmFy", 8);
}

static void test_json_keys(void)
{
	char buf[128];
	struct json_buf j;
	bool first = true;

	json_init(&j, buf, sizeof(buf));
	json_raw(&j, "{", 1);
	json_key(&j, "a", &first);
	json_u64(&j, 1);
	json_key(&j, "b\"", &first);
	json_cstr(&j, NULL);
	json_raw(&j, "}", 1);
	CU_ASSERT_STRING_EQUAL(buf, "{\"a\":1,\"b\\\"\":\"\"}");
	CU_ASSERT(json_valid(buf));
}

/* ---- eve ----------------------------------------------------------------- */

#define TS_2026 1795412788123456ull    /* 2026-11-23T05:46:28.123456Z */

static void test_timestamp(void)
{
	static const struct { uint64_t us; const char *s; } cases[] = {
		{ 0, "1970-01-01T00:00:00.000000+0000" },
		{ TS_2026, "2026-11-23T05:46:28.123456+0000" },
		{ 1709251199999999ull, "2024-02-29T23:59:59.999999+0000" },
		{ 951868800000001ull, "2000-03-01T00:00:00.000001+0000" },
		{ 4102444800000000ull, "2100-01-01T00:00:00.000000+0000" },
		{ 1000000ull * 86399 + 500000, "1970-01-01T23:59:59.500000+0000" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(eve_timestamp(cases[i].us, buf, sizeof(buf)), 31);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].s);
	}
	/* far future: still a well-formed string, no overflow */
	CU_ASSERT(eve_timestamp(UINT64_MAX, buf, sizeof(buf)) > 31);
	CU_ASSERT(json_valid_n("\"", 1) == false);
	/* 31 characters need 32 bytes */
	CU_ASSERT_EQUAL(eve_timestamp(TS_2026, buf, 32), 31);
	CU_ASSERT_EQUAL(eve_timestamp(TS_2026, buf, 31), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

static void test_proto_name(void)
{
	char buf[8];

	CU_ASSERT_STRING_EQUAL(eve_proto_name(6, buf, sizeof(buf)), "TCP");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(17, buf, sizeof(buf)), "UDP");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(1, buf, sizeof(buf)), "ICMP");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(58, buf, sizeof(buf)), "IPv6-ICMP");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(47, buf, sizeof(buf)), "GRE");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(132, buf, sizeof(buf)), "SCTP");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(253, buf, sizeof(buf)), "253");
	CU_ASSERT_STRING_EQUAL(eve_proto_name(0, buf, sizeof(buf)), "0");
}

static const struct eve_ctx ctx_plain = { "sensor-1", 7, false, false, true };
static const struct eve_ctx ctx_payload = { "sensor-1", 7, true, true, true };

static void v4(union ip_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = b0; a->b[1] = b1; a->b[2] = b2; a->b[3] = b3;
}

static void v6(union ip_addr *a, const char *hex)
{
	CU_ASSERT_EQUAL_FATAL(test_hex(hex, a->b, 16), 16);
}

static void make_alert(struct event_record *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = EVENT_ALERT;
	ev->ip_ver = 4;
	ev->proto = 6;
	v4(&ev->src, 192, 0, 2, 1);
	v4(&ev->dst, 198, 51, 100, 7);
	ev->sport = 49152;
	ev->dport = 80;
	ev->ts_us = TS_2026;
	ev->flow_id = 1234567890123ull;
	strcpy(ev->community_id, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	ev->flow.pkts_toserver = 3;
	ev->flow.pkts_toclient = 2;
	ev->flow.bytes_toserver = 300;
	ev->flow.bytes_toclient = 1500;
	ev->flow.start_us = TS_2026 - 2500000;
	ev->alert.gid = 1;
	ev->alert.sid = 2000001;
	ev->alert.rev = 3;
	ev->alert.severity = 2;
	strcpy(ev->alert.signature, "ET TEST \"quoted\" caf\xc3\xa9 sig");
	strcpy(ev->alert.category, "Attempted Information Leak");
}

/* format ev; asserts success and validity; returns a static line */
static const char *fmt(const struct eve_ctx *ctx, const struct event_record *ev)
{
	static char buf[65536];
	struct json_buf j;

	json_init(&j, buf, sizeof(buf));
	CU_ASSERT_EQUAL(eve_format_event(&j, ctx, ev), 0);
	CU_ASSERT_FALSE(j.truncated);
	CU_ASSERT_EQUAL(j.len, strlen(buf));
	CU_ASSERT(json_valid(buf));
	if (!json_valid(buf))
		fprintf(stderr, "\n  invalid: %s\n", buf);
	return buf;
}

static void test_alert_ipv4(void)
{
	struct event_record ev;
	const char *l;

	make_alert(&ev);
	strcpy(ev.alert.metadata, "\"policy\":[\"balanced\"],\"created_at\":[\"2024_01_01\"]");
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "timestamp", "\"2026-11-23T05:46:28.123456+0000\"");
	ASSERT_FIELD(l, "flow_id", "1234567890123");
	ASSERT_FIELD(l, "event_type", "\"alert\"");
	ASSERT_FIELD(l, "src_ip", "\"192.0.2.1\"");
	ASSERT_FIELD(l, "src_port", "49152");
	ASSERT_FIELD(l, "dest_ip", "\"198.51.100.7\"");
	ASSERT_FIELD(l, "dest_port", "80");
	ASSERT_FIELD(l, "proto", "\"TCP\"");
	ASSERT_FIELD(l, "community_id", "\"1:LQU9qZlK+B5F3KDmev6m5PMibrg=\"");
	ASSERT_FIELD(l, "alert.action", "\"allowed\"");
	ASSERT_FIELD(l, "alert.gid", "1");
	ASSERT_FIELD(l, "alert.signature_id", "2000001");
	ASSERT_FIELD(l, "alert.rev", "3");
	ASSERT_FIELD(l, "alert.signature", "\"ET TEST \\\"quoted\\\" caf\xc3\xa9 sig\"");
	ASSERT_FIELD(l, "alert.category", "\"Attempted Information Leak\"");
	ASSERT_FIELD(l, "alert.severity", "2");
	ASSERT_FIELD(l, "alert.metadata.policy", "[\"balanced\"]");
	ASSERT_FIELD(l, "alert.metadata.created_at", "[\"2024_01_01\"]");
	ASSERT_FIELD(l, "flow.pkts_toserver", "3");
	ASSERT_FIELD(l, "flow.pkts_toclient", "2");
	ASSERT_FIELD(l, "flow.bytes_toserver", "300");
	ASSERT_FIELD(l, "flow.bytes_toclient", "1500");
	ASSERT_FIELD(l, "flow.start", "\"2026-11-23T05:46:25.623456+0000\"");
	ASSERT_FIELD(l, "sensor.name", "\"sensor-1\"");
	ASSERT_FIELD(l, "sensor.id", "7");
	ASSERT_NO_FIELD(l, "vlan");
	ASSERT_NO_FIELD(l, "icmp_type");
	ASSERT_NO_FIELD(l, "payload");
	ASSERT_NO_FIELD(l, "payload_printable");
	ASSERT_NO_FIELD(l, "flow.end");
	ASSERT_NO_FIELD(l, "tcp");
	/* the record opens the way Suricata's does */
	{
		static const char head[] = "{\"timestamp\":\"2026-11-23T05:46:28.123456+0000\","
			"\"flow_id\":1234567890123,\"event_type\":\"alert\",\"src_ip\":";
		CU_ASSERT_NSTRING_EQUAL(l, head, sizeof(head) - 1);
	}

	/* empty metadata and community_id: omitted; no flow: no flow_id/flow */
	ev.alert.metadata[0] = '\0';
	ev.community_id[0] = '\0';
	ev.flow_id = 0;
	l = fmt(&ctx_plain, &ev);
	ASSERT_NO_FIELD(l, "alert.metadata");
	ASSERT_NO_FIELD(l, "community_id");
	ASSERT_NO_FIELD(l, "flow_id");
	ASSERT_NO_FIELD(l, "flow");
	ASSERT_FIELD(l, "alert.signature_id", "2000001");
}

static void test_alert_ipv6(void)
{
	struct event_record ev;
	const char *l;

	make_alert(&ev);
	ev.ip_ver = 6;
	ev.proto = 17;
	v6(&ev.src, "20010db8000000000001000000000001");
	v6(&ev.dst, "fe800000000000000000000000000001");
	ev.alert.action = ALERT_ACTION_BLOCKED;
	l = fmt(&ctx_plain, &ev);
	/* RFC 5952: the longest zero run is compressed, the first of equals */
	ASSERT_FIELD(l, "src_ip", "\"2001:db8::1:0:0:1\"");
	ASSERT_FIELD(l, "dest_ip", "\"fe80::1\"");
	ASSERT_FIELD(l, "proto", "\"UDP\"");
	ASSERT_FIELD(l, "src_port", "49152");
	ASSERT_FIELD(l, "alert.action", "\"blocked\"");

	v6(&ev.src, "00000000000000000000ffffc0000201");
	v6(&ev.dst, "20010db8000000010000000000000000");
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "src_ip", "\"::ffff:192.0.2.1\"");
	ASSERT_FIELD(l, "dest_ip", "\"2001:db8:0:1::\"");
}

static void test_alert_icmp(void)
{
	struct event_record ev;
	const char *l;

	make_alert(&ev);
	ev.proto = 1;
	ev.icmp_type = 8;
	ev.icmp_code = 0;
	ev.sport = ev.dport = 0;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "proto", "\"ICMP\"");
	ASSERT_FIELD(l, "icmp_type", "8");
	ASSERT_FIELD(l, "icmp_code", "0");
	ASSERT_NO_FIELD(l, "src_port");
	ASSERT_NO_FIELD(l, "dest_port");
	ASSERT_FIELD(l, "src_ip", "\"192.0.2.1\"");

	ev.ip_ver = 6;
	ev.proto = 58;
	ev.icmp_type = 128;
	v6(&ev.src, "20010db8000000000000000000000002");
	v6(&ev.dst, "20010db8000000000000000000000003");
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "proto", "\"IPv6-ICMP\"");
	ASSERT_FIELD(l, "icmp_type", "128");
	ASSERT_FIELD(l, "src_ip", "\"2001:db8::2\"");
	ASSERT_NO_FIELD(l, "src_port");
}

static void test_alert_vlan(void)
{
	struct event_record ev;
	const char *l;

	make_alert(&ev);
	ev.vlan_count = 1;
	ev.vlan[0] = 100;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "vlan", "[100]");
	ev.vlan_count = 2;
	ev.vlan[1] = 4094;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "vlan", "[100,4094]");
	/* a bogus count is clamped to the two ids the record has */
	ev.vlan_count = 9;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "vlan", "[100,4094]");
}

static void test_alert_payload(void)
{
	static const uint8_t pl[] = "GET /a\"b\\ HTTP/1.1\r\n\tX: \x00\x01\xff\xc3\xa9\x7f~\n";
	struct event_record ev;
	struct eve_ctx only_b64 = ctx_payload, only_pr = ctx_payload;
	char b64[256];
	struct json_buf j;
	const char *l;

	make_alert(&ev);
	memcpy(ev.payload, pl, sizeof(pl) - 1);
	ev.payload_len = sizeof(pl) - 1;
	/* the expected base64, computed independently (RFC 4648) */
	snprintf(b64, sizeof(b64), "\"%s\"", "R0VUIC9hImJcIEhUVFAvMS4xDQoJWDogAAH/w6l/fgo=");
	(void)j;

	l = fmt(&ctx_plain, &ev);
	ASSERT_NO_FIELD(l, "payload");
	ASSERT_NO_FIELD(l, "payload_printable");

	l = fmt(&ctx_payload, &ev);
	ASSERT_FIELD(l, "payload", b64);
	/* printable: ASCII and \r \n \t kept, everything else '.' */
	ASSERT_FIELD(l, "payload_printable",
		     "\"GET /a\\\"b\\\\ HTTP/1.1\\r\\n\\tX: ......~\\n\"");

	only_b64.log_payload_printable = false;
	l = fmt(&only_b64, &ev);
	ASSERT_FIELD(l, "payload", b64);
	ASSERT_NO_FIELD(l, "payload_printable");
	only_pr.log_payload = false;
	l = fmt(&only_pr, &ev);
	ASSERT_NO_FIELD(l, "payload");
	CU_ASSERT_PTR_NOT_NULL(jget(l, "payload_printable"));

	/* nothing captured: no payload fields even when asked */
	ev.payload_len = 0;
	l = fmt(&ctx_payload, &ev);
	ASSERT_NO_FIELD(l, "payload");
	ASSERT_NO_FIELD(l, "payload_printable");

	/* a full payload of the worst bytes still fits a line */
	memset(ev.payload, 0x01, sizeof(ev.payload));
	ev.payload_len = EVENT_PAYLOAD_MAX;
	memset(ev.alert.signature, 0x01, sizeof(ev.alert.signature));
	memset(ev.alert.category, 0xff, sizeof(ev.alert.category));
	l = fmt(&ctx_payload, &ev);
	CU_ASSERT_EQUAL(strlen(jget(l, "alert.signature")), 2 + 6 * EVENT_SIG_MAX);
	CU_ASSERT_EQUAL(strlen(jget(l, "payload_printable")), 2 + EVENT_PAYLOAD_MAX);
}

/* Strings in a record need not be NUL-terminated: never read past them. */
static void test_alert_unterminated(void)
{
	struct event_record ev;
	const char *l;

	make_alert(&ev);
	memset(ev.alert.signature, 'S', sizeof(ev.alert.signature));
	memset(ev.alert.category, 'C', sizeof(ev.alert.category));
	memset(ev.community_id, 'I', sizeof(ev.community_id));
	l = fmt(&ctx_plain, &ev);
	CU_ASSERT_EQUAL(strlen(jget(l, "alert.signature")), EVENT_SIG_MAX + 2);
	CU_ASSERT_EQUAL(strlen(jget(l, "alert.category")), EVENT_CATEGORY_MAX + 2);
	CU_ASSERT_EQUAL(strlen(jget(l, "community_id")), 32 + 2);
}

static void make_flow(struct event_record *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = EVENT_FLOW;
	ev->ip_ver = 4;
	ev->proto = 6;
	v4(&ev->src, 10, 0, 0, 1);
	v4(&ev->dst, 10, 0, 0, 2);
	ev->sport = 40000;
	ev->dport = 443;
	ev->flow_id = 42;
	ev->ts_us = TS_2026;
	strcpy(ev->community_id, "1:abc=");
	ev->flow.pkts_toserver = 10;
	ev->flow.pkts_toclient = 8;
	ev->flow.bytes_toserver = 1000;
	ev->flow.bytes_toclient = 9000;
	ev->flow.start_us = TS_2026 - 61900000;  /* 05:45:26.223456 */
	ev->flow.end_us = TS_2026;
	ev->flow.tcp_state = TCP_STATE_CLOSED;
	ev->flow.end_reason = FLOW_END_TIMEOUT;
	ev->flow.alerted = 1;
	ev->flow.tcp_flags_ts = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
	ev->flow.tcp_flags_tc = TCP_SYN | TCP_ACK | TCP_FIN;
}

static void test_flow_tcp(void)
{
	struct event_record ev;
	const char *l;

	make_flow(&ev);
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "event_type", "\"flow\"");
	ASSERT_FIELD(l, "timestamp", "\"2026-11-23T05:46:28.123456+0000\"");
	ASSERT_FIELD(l, "flow_id", "42");
	ASSERT_FIELD(l, "src_ip", "\"10.0.0.1\"");
	ASSERT_FIELD(l, "src_port", "40000");
	ASSERT_FIELD(l, "dest_port", "443");
	ASSERT_FIELD(l, "community_id", "\"1:abc=\"");
	ASSERT_FIELD(l, "flow.pkts_toserver", "10");
	ASSERT_FIELD(l, "flow.pkts_toclient", "8");
	ASSERT_FIELD(l, "flow.bytes_toserver", "1000");
	ASSERT_FIELD(l, "flow.bytes_toclient", "9000");
	ASSERT_FIELD(l, "flow.start", "\"2026-11-23T05:45:26.223456+0000\"");
	ASSERT_FIELD(l, "flow.end", "\"2026-11-23T05:46:28.123456+0000\"");
	ASSERT_FIELD(l, "flow.age", "62");
	ASSERT_FIELD(l, "flow.state", "\"closed\"");
	ASSERT_FIELD(l, "flow.reason", "\"timeout\"");
	ASSERT_FIELD(l, "flow.alerted", "true");
	ASSERT_FIELD(l, "tcp.tcp_flags", "\"1b\"");
	ASSERT_FIELD(l, "tcp.tcp_flags_ts", "\"1b\"");
	ASSERT_FIELD(l, "tcp.tcp_flags_tc", "\"13\"");
	ASSERT_FIELD(l, "tcp.syn", "true");
	ASSERT_FIELD(l, "tcp.fin", "true");
	ASSERT_FIELD(l, "tcp.psh", "true");
	ASSERT_FIELD(l, "tcp.ack", "true");
	ASSERT_NO_FIELD(l, "tcp.rst");
	ASSERT_NO_FIELD(l, "tcp.urg");
	ASSERT_FIELD(l, "tcp.state", "\"closed\"");
	ASSERT_NO_FIELD(l, "alert");
	ASSERT_FIELD(l, "sensor.id", "7");

	ev.flow.tcp_state = TCP_STATE_ESTABLISHED;
	ev.flow.end_reason = FLOW_END_SHUTDOWN;
	ev.flow.alerted = 0;
	ev.flow.tcp_flags_tc |= TCP_RST | TCP_ECE | TCP_CWR | TCP_URG;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "flow.state", "\"established\"");
	ASSERT_FIELD(l, "flow.reason", "\"shutdown\"");
	ASSERT_FIELD(l, "flow.alerted", "false");
	ASSERT_FIELD(l, "tcp.state", "\"established\"");
	ASSERT_FIELD(l, "tcp.tcp_flags", "\"ff\"");
	ASSERT_FIELD(l, "tcp.rst", "true");
	ASSERT_FIELD(l, "tcp.ecn", "true");
	ASSERT_FIELD(l, "tcp.cwr", "true");
	ASSERT_FIELD(l, "tcp.urg", "true");

	ev.flow.tcp_state = TCP_STATE_SYN_SENT;
	ev.flow.end_reason = FLOW_END_EVICTED;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "flow.state", "\"new\"");
	ASSERT_FIELD(l, "flow.reason", "\"forced\"");
	ASSERT_FIELD(l, "tcp.state", "\"syn_sent\"");

	ev.flow.tcp_state = TCP_STATE_RESET;
	ev.flow.end_reason = FLOW_END_REUSED;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "flow.state", "\"closed\"");
	ASSERT_FIELD(l, "flow.reason", "\"forced\"");
	ASSERT_FIELD(l, "tcp.state", "\"closed\"");

	ev.flow.tcp_state = TCP_STATE_CLOSING;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "tcp.state", "\"closing\"");
	ASSERT_FIELD(l, "flow.state", "\"established\"");
}

static void test_flow_udp(void)
{
	struct event_record ev;
	const char *l;

	make_flow(&ev);
	ev.proto = 17;
	ev.flow.tcp_state = TCP_STATE_NONE;
	ev.flow.tcp_flags_ts = ev.flow.tcp_flags_tc = 0;
	ev.flow.start_us = ev.flow.end_us = TS_2026;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "proto", "\"UDP\"");
	ASSERT_NO_FIELD(l, "tcp");
	ASSERT_FIELD(l, "flow.state", "\"established\"");
	ASSERT_FIELD(l, "flow.age", "0");
	ev.flow.pkts_toclient = 0;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "flow.state", "\"new\"");

	/* ICMP flows: type/code instead of ports */
	ev.proto = 1;
	ev.icmp_type = 3;
	ev.icmp_code = 1;
	l = fmt(&ctx_plain, &ev);
	ASSERT_FIELD(l, "icmp_type", "3");
	ASSERT_FIELD(l, "icmp_code", "1");
	ASSERT_NO_FIELD(l, "src_port");
	ASSERT_NO_FIELD(l, "tcp");

	/* a flow record carries no payload even when payloads are logged */
	ev.payload_len = 10;
	l = fmt(&ctx_payload, &ev);
	ASSERT_NO_FIELD(l, "payload");
}

static void test_event_unknown_type(void)
{
	struct event_record ev;
	char buf[4096];
	struct json_buf j;

	make_alert(&ev);
	ev.type = 99;
	json_init(&j, buf, sizeof(buf));
	CU_ASSERT_EQUAL(eve_format_event(&j, &ctx_plain, &ev), -EINVAL);
	CU_ASSERT_EQUAL(j.len, 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
}

/* Every buffer size short of the full line fails cleanly with nothing
 * written; one byte more succeeds with the same line. */
static void truncation_sweep(const struct eve_ctx *ctx, const struct event_record *ev,
			     const struct stats_snapshot *snap)
{
	static char full[65536], buf[65536 + 16];
	struct json_buf j;
	size_t n;
	int rc;

	json_init(&j, full, sizeof(full));
	rc = ev ? eve_format_event(&j, ctx, ev) : eve_format_stats(&j, ctx, snap);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	n = j.len;
	for (size_t cap = 0; cap <= n + 1; cap++) {
		memset(buf, 'Z', sizeof(buf));
		json_init(&j, buf, cap);
		rc = ev ? eve_format_event(&j, ctx, ev) : eve_format_stats(&j, ctx, snap);
		if (cap <= n) {
			CU_ASSERT_EQUAL_FATAL(rc, -ENOSPC);
			CU_ASSERT(j.truncated);
			CU_ASSERT_EQUAL_FATAL(j.len, 0);
			if (cap)
				CU_ASSERT_EQUAL_FATAL(buf[0], '\0');
		} else {
			CU_ASSERT_EQUAL_FATAL(rc, 0);
			CU_ASSERT_STRING_EQUAL(buf, full);
		}
		CU_ASSERT_EQUAL_FATAL(buf[cap], 'Z');
	}
	/* appending to a buffer that already overflowed is refused */
	json_init(&j, buf, 4);
	json_raw(&j, "12345", 5);
	rc = ev ? eve_format_event(&j, ctx, ev) : eve_format_stats(&j, ctx, snap);
	CU_ASSERT_EQUAL(rc, -ENOSPC);
}

static void test_event_truncation(void)
{
	struct event_record ev;

	make_alert(&ev);
	strcpy(ev.alert.metadata, "\"k\":[\"v\"]");
	memcpy(ev.payload, "hello\x01world", 11);
	ev.payload_len = 11;
	ev.vlan_count = 2;
	truncation_sweep(&ctx_payload, &ev, NULL);
	make_flow(&ev);
	truncation_sweep(&ctx_plain, &ev, NULL);
}

/* a snapshot with a distinct value in every counter */
static void make_snapshot(struct stats_snapshot *s)
{
	uint64_t *d = (uint64_t *)(void *)&s->decoder;

	memset(s, 0, sizeof(*s));
	s->ts_us = TS_2026;
	s->uptime_s = 3600;
	s->workers = 4;
	s->capture.packets = 1001;
	s->capture.bytes = 1002;
	s->capture.kernel_packets = 1003;
	s->capture.kernel_drops = 1004;
	s->capture.kernel_ifdrops = 1005;
	s->capture.errors = 1006;
	s->capture.imissed = 1007;
	s->capture.ierrors = 1008;
	s->capture.rx_nombuf = 1009;
	s->capture.multiseg = 1010;
	s->capture.truncated = 1011;
	s->dispatch.batches = 2001;
	s->dispatch.ring_full = 2002;
	s->dispatch.too_big = 2003;
	/* decoder: field i = 3000 + i, events e = 5000 + e (some zero) */
	for (size_t i = 0; i < offsetof(struct decode_stats, events) / 8; i++)
		d[i] = 3000 + i;
	for (unsigned e = 0; e < DECODE_EV_MAX; e++)
		s->decoder.events[e] = e % 5 == 0 ? 0 : 5000 + e;
	s->flow.total = 4001;
	s->flow.active = 4002;
	s->flow.tcp = 4003;
	s->flow.udp = 4004;
	s->flow.icmpv4 = 4005;
	s->flow.icmpv6 = 4006;
	s->flow.other = 4007;
	s->flow.timeout = 4008;
	s->flow.evicted = 4009;
	s->flow.reused = 4010;
	s->flow.shutdown = 4011;
	s->flow.tcp_established = 4012;
	s->flow.no_flow = 4013;
	s->detect.alert = 6001;
	s->output.events_written = 7001;
	s->output.write_errors = 7002;
	s->output.ring_drops = 7003;
	s->output.alerts_printed = 7004;
}

static const char *const event_names[DECODE_EV_MAX] = {
#define X(name, str) [DECODE_EV_##name] = str,
	DECODE_EVENTS(X)
#undef X
};

static void test_stats_record(void)
{
	static const char *const decoder_fields[] = {
		"pkts", "bytes", "invalid", "ethernet", "sll", "null", "raw", "vlan",
		"vlan_qinq", "mpls", "ipv4", "ipv6", "tcp", "udp", "icmpv4", "icmpv6",
		"gre", "erspan", "vxlan", "ipv4_in_ipv6", "ipv6_in_ipv6", "ipv4_frag",
		"ipv6_frag", "other_l3", "other_l4", "max_pkt_size",
	};
	static char buf[65536];
	struct stats_snapshot s;
	struct json_buf j;
	char path[256], want[32];
	int groups, leaves = 0;

	/* the field list above must cover struct decode_stats */
	CU_ASSERT_EQUAL_FATAL(sizeof(decoder_fields) / sizeof(decoder_fields[0]),
			      offsetof(struct decode_stats, events) / 8);
	make_snapshot(&s);
	json_init(&j, buf, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(eve_format_stats(&j, &ctx_plain, &s), 0);
	CU_ASSERT_FATAL(json_valid(buf));

	ASSERT_FIELD(buf, "timestamp", "\"2026-11-23T05:46:28.123456+0000\"");
	ASSERT_FIELD(buf, "event_type", "\"stats\"");
	ASSERT_FIELD(buf, "sensor.name", "\"sensor-1\"");
	ASSERT_FIELD(buf, "stats.uptime", "3600");
	ASSERT_FIELD(buf, "stats.capture.packets", "1001");
	ASSERT_FIELD(buf, "stats.capture.bytes", "1002");
	ASSERT_FIELD(buf, "stats.capture.kernel_packets", "1003");
	ASSERT_FIELD(buf, "stats.capture.kernel_drops", "1004");
	ASSERT_FIELD(buf, "stats.capture.kernel_ifdrops", "1005");
	ASSERT_FIELD(buf, "stats.capture.errors", "1006");
	ASSERT_FIELD(buf, "stats.capture.dispatch_batches", "2001");
	ASSERT_FIELD(buf, "stats.capture.dispatch_ring_full", "2002");
	ASSERT_FIELD(buf, "stats.capture.too_big", "2003");
	ASSERT_FIELD(buf, "stats.capture.imissed", "1007");
	ASSERT_FIELD(buf, "stats.capture.ierrors", "1008");
	ASSERT_FIELD(buf, "stats.capture.rx_nombuf", "1009");
	ASSERT_FIELD(buf, "stats.capture.multiseg", "1010");
	ASSERT_FIELD(buf, "stats.capture.truncated", "1011");
	CU_ASSERT_EQUAL(jmembers(buf, "stats.capture"), 14);

	for (size_t i = 0; i < sizeof(decoder_fields) / sizeof(decoder_fields[0]); i++) {
		snprintf(path, sizeof(path), "stats.decoder.%s", decoder_fields[i]);
		snprintf(want, sizeof(want), "%zu", 3000 + i);
		ASSERT_FIELD(buf, path, want);
	}
	/* decoder.event.GROUP.NAME for every event, zeros included */
	for (unsigned e = 0; e < DECODE_EV_MAX; e++) {
		const char *dot = strchr(event_names[e], '.');

		CU_ASSERT_PTR_NOT_NULL_FATAL(dot);
		snprintf(path, sizeof(path), "stats.decoder.event.%.*s.%s",
			 (int)(dot - event_names[e]), event_names[e], dot + 1);
		snprintf(want, sizeof(want), "%" PRIu64, s.decoder.events[e]);
		ASSERT_FIELD(buf, path, want);
	}
	/* the example from the contract, spelled out */
	snprintf(want, sizeof(want), "%" PRIu64, s.decoder.events[DECODE_EV_IPV4_TRUNC_PKT]);
	ASSERT_FIELD(buf, "stats.decoder.event.ipv4.trunc_pkt", want);
	/* and nothing else: the leaves add up to the event count */
	groups = jmembers(buf, "stats.decoder.event");
	CU_ASSERT(groups > 5);
	{
		const char *ev = jget(buf, "stats.decoder.event");
		char wrap[8192];

		snprintf(wrap, sizeof(wrap), "{\"e\":%s}", ev);
		for (unsigned e = 0; e < DECODE_EV_MAX; e++) {
			const char *dot = strchr(event_names[e], '.');
			bool seen = false;

			for (unsigned p = 0; p < e && !seen; p++)
				seen = strncmp(event_names[p], event_names[e],
					       (size_t)(dot - event_names[e]) + 1) == 0;
			if (seen)
				continue;
			snprintf(path, sizeof(path), "e.%.*s",
				 (int)(dot - event_names[e]), event_names[e]);
			leaves += jmembers(wrap, path);
		}
	}
	CU_ASSERT_EQUAL(leaves, DECODE_EV_MAX);
	CU_ASSERT_EQUAL(jmembers(buf, "stats.decoder"), 26 + 1);

	ASSERT_FIELD(buf, "stats.flow.total", "4001");
	ASSERT_FIELD(buf, "stats.flow.active", "4002");
	ASSERT_FIELD(buf, "stats.flow.tcp", "4003");
	ASSERT_FIELD(buf, "stats.flow.udp", "4004");
	ASSERT_FIELD(buf, "stats.flow.icmpv4", "4005");
	ASSERT_FIELD(buf, "stats.flow.icmpv6", "4006");
	ASSERT_FIELD(buf, "stats.flow.other", "4007");
	ASSERT_FIELD(buf, "stats.flow.timeout", "4008");
	ASSERT_FIELD(buf, "stats.flow.evicted", "4009");
	ASSERT_FIELD(buf, "stats.flow.reused", "4010");
	ASSERT_FIELD(buf, "stats.flow.shutdown", "4011");
	ASSERT_FIELD(buf, "stats.flow.tcp_established", "4012");
	ASSERT_FIELD(buf, "stats.flow.no_flow", "4013");
	CU_ASSERT_EQUAL(jmembers(buf, "stats.flow"), 13);
	ASSERT_FIELD(buf, "stats.detect.alert", "6001");
	ASSERT_FIELD(buf, "stats.output.events_written", "7001");
	ASSERT_FIELD(buf, "stats.output.write_errors", "7002");
	ASSERT_FIELD(buf, "stats.output.ring_drops", "7003");
	ASSERT_FIELD(buf, "stats.output.alerts_printed", "7004");

	truncation_sweep(&ctx_plain, NULL, &s);
}

static void test_fast_line(void)
{
	struct event_record ev;
	char buf[1024];
	size_t n;

	make_alert(&ev);
	n = eve_format_fast(buf, sizeof(buf), &ev);
	CU_ASSERT_STRING_EQUAL(buf,
		"11/23/2026-05:46:28.123456  [**] [1:2000001:3] ET TEST \"quoted\" caf\xc3\xa9 sig "
		"[**] [Classification: Attempted Information Leak] [Priority: 2] "
		"{TCP} 192.0.2.1:49152 -> 198.51.100.7:80");
	CU_ASSERT_EQUAL(n, strlen(buf));

	ev.proto = 1;
	ev.icmp_type = 8;
	ev.alert.action = ALERT_ACTION_BLOCKED;
	ev.alert.category[0] = '\0';
	strcpy(ev.alert.signature, "two\nlines");
	eve_format_fast(buf, sizeof(buf), &ev);
	CU_ASSERT_STRING_EQUAL(buf,
		"11/23/2026-05:46:28.123456  [Drop] [**] [1:2000001:3] two.lines "
		"[**] [Classification: (null)] [Priority: 2] "
		"{ICMP} 192.0.2.1:8 -> 198.51.100.7:0");

	ev.ip_ver = 6;
	ev.proto = 6;
	ev.alert.action = ALERT_ACTION_ALLOWED;
	v6(&ev.src, "20010db8000000000000000000000001");
	v6(&ev.dst, "20010db8000000000000000000000002");
	eve_format_fast(buf, sizeof(buf), &ev);
	CU_ASSERT(strstr(buf, "{TCP} 2001:db8::1:49152 -> 2001:db8::2:80") != NULL);

	/* short buffer: truncated, terminated */
	n = eve_format_fast(buf, 20, &ev);
	CU_ASSERT_EQUAL(n, 19);
	CU_ASSERT_EQUAL(strlen(buf), 19);
	CU_ASSERT_EQUAL(eve_format_fast(buf, 0, &ev), 0);
}

/* ---- stats_read_u64 ------------------------------------------------------ */

/* stats.decoder-events off: the per-reason counters leave the record, the
 * decoder's other counters and the rest of the record stay */
static void test_stats_no_decoder_events(void)
{
	static char buf[65536];
	struct eve_ctx ctx = ctx_plain;
	struct stats_snapshot s;
	struct json_buf j;

	make_snapshot(&s);
	ctx.stats_decoder_events = false;
	json_init(&j, buf, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(eve_format_stats(&j, &ctx, &s), 0);
	CU_ASSERT_FATAL(json_valid(buf));
	CU_ASSERT_PTR_NULL(jget(buf, "stats.decoder.event"));
	CU_ASSERT_EQUAL(jmembers(buf, "stats.decoder"), 26);
	ASSERT_FIELD(buf, "stats.decoder.pkts", "3000");
	ASSERT_FIELD(buf, "stats.flow.total", "4001");

	/* and on again, the same snapshot has them */
	ctx.stats_decoder_events = true;
	json_init(&j, buf, sizeof(buf));
	CU_ASSERT_EQUAL_FATAL(eve_format_stats(&j, &ctx, &s), 0);
	CU_ASSERT_PTR_NOT_NULL(jget(buf, "stats.decoder.event"));
	CU_ASSERT_EQUAL(jmembers(buf, "stats.decoder"), 26 + 1);
}

static void test_stats_copy(void)
{
	struct flow_stats a, b;
	uint64_t *p = (uint64_t *)(void *)&a;

	for (size_t i = 0; i < sizeof(a) / 8; i++)
		p[i] = UINT64_MAX - i;
	memset(&b, 0, sizeof(b));
	STATS_COPY(&b, &a);
	CU_ASSERT_EQUAL(memcmp(&a, &b, sizeof(a)), 0);
	stats_read_u64(p, p, 0);
}

/* ---- output thread ------------------------------------------------------- */

#define NRINGS 3

struct rings {
	struct spsc_ring r[NRINGS];
	struct spsc_ring *p[NRINGS];
};

static void rings_init(struct rings *rs, uint32_t count)
{
	for (unsigned i = 0; i < NRINGS; i++) {
		CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&rs->r[i], count,
						     sizeof(struct event_record)), 0);
		rs->p[i] = &rs->r[i];
	}
}

static void rings_destroy(struct rings *rs)
{
	for (unsigned i = 0; i < NRINGS; i++)
		spsc_ring_destroy(&rs->r[i]);
}

/* Push one record, waiting while the ring is full (the output thread is
 * draining it); returns false if it stays full for seconds. */
static bool push(struct spsc_ring *r, const struct event_record *ev)
{
	struct event_record *slot;
	int spins = 0;

	while (!(slot = spsc_ring_reserve(r))) {
		struct timespec ts = { 0, 100000 };

		if (++spins > 50000)
			return false;
		nanosleep(&ts, NULL);
	}
	*slot = *ev;
	spsc_ring_commit(r);
	return true;
}

static void out_config(struct output_config *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->eve_path = path;
	c->eve_alert = c->eve_flow = c->eve_stats = true;
	c->eve = ctx_plain;
}

static char *tmp_path(const char *name)
{
	static char bufs[4][512];
	static unsigned next;
	char *p = bufs[next++ % 4];

	snprintf(p, 512, "%s/%s", test_tmpdir(), name);
	unlink(p);
	return p;
}

struct collect_arg {
	unsigned calls;
	uint64_t pkts;
};

static void collect(void *arg, struct stats_snapshot *s)
{
	struct collect_arg *ca = arg;

	ca->calls++;
	s->ts_us = TS_2026;
	s->uptime_s = 12;
	s->decoder.pkts = ca->pkts;
	s->decoder.events[DECODE_EV_IPV4_TRUNC_PKT] = 3;
	s->detect.alert = 99;
	s->output.ring_drops = 5;   /* the producers' count */
	s->output.events_written = 123456;  /* ignored: output's own */
}

struct lines {
	char *text;
	char *line[65536];
	size_t n;
};

/* Read a file as lines; every line must end in '\n' and be valid JSON. */
static void read_lines(const char *path, struct lines *ls)
{
	size_t len;
	char *p;

	ls->n = 0;
	ls->text = test_read_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ls->text);
	CU_ASSERT(len == 0 || ls->text[len - 1] == '\n');
	for (p = ls->text; *p && ls->n < 65536;) {
		char *nl = strchr(p, '\n');

		CU_ASSERT_PTR_NOT_NULL_FATAL(nl);
		*nl = '\0';
		if (!json_valid(p))
			fprintf(stderr, "\n  invalid line: %s\n", p);
		CU_ASSERT(json_valid(p));
		ls->line[ls->n++] = p;
		p = nl + 1;
	}
}

static size_t count_type(const struct lines *ls, const char *type)
{
	size_t n = 0;

	for (size_t i = 0; i < ls->n; i++) {
		const char *t = jget(ls->line[i], "event_type");
		if (t && strcmp(t, type) == 0)
			n++;
	}
	return n;
}

static void test_output_create_errors(void)
{
	struct output_config c;
	struct spsc_ring bad;
	struct spsc_ring *p = &bad;
	char err[256] = "";

	out_config(&c, "/nonexistent-dir/x/eve.json");
	CU_ASSERT_PTR_NULL(output_create(&c, NULL, 0, NULL, NULL, err, sizeof(err)));
	CU_ASSERT(strstr(err, "/nonexistent-dir/x/eve.json") != NULL);
	CU_ASSERT(strstr(err, "No such file") != NULL);

	err[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(spsc_ring_init(&bad, 4, 8), 0);
	out_config(&c, tmp_path("bad.json"));
	CU_ASSERT_PTR_NULL(output_create(&c, &p, 1, NULL, NULL, err, sizeof(err)));
	CU_ASSERT(strstr(err, "ring 0") != NULL);
	spsc_ring_destroy(&bad);
}

/* Without the thread: poll, per-type filtering, unknown records. */
static void test_output_poll(void)
{
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	struct collect_arg ca = { 0, 777 };
	struct lines *ls = calloc(1, sizeof(*ls));
	const struct output_stats *st;
	char err[256];
	const char *path = tmp_path("poll.json");

	rings_init(&rs, 16);
	out_config(&c, path);
	c.eve_flow = false;
	o = output_create(&c, rs.p, NRINGS, collect, &ca, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	make_alert(&ev);
	CU_ASSERT(push(&rs.r[0], &ev));
	CU_ASSERT(push(&rs.r[2], &ev));
	make_flow(&ev);
	CU_ASSERT(push(&rs.r[1], &ev));      /* filtered: eve_flow off */
	ev.type = 77;
	CU_ASSERT(push(&rs.r[1], &ev));      /* not a record type */
	CU_ASSERT_EQUAL(output_poll(o), 4);
	CU_ASSERT_EQUAL(output_poll(o), 0);
	for (unsigned i = 0; i < NRINGS; i++)
		CU_ASSERT_EQUAL(spsc_ring_count(&rs.r[i]), 0);
	st = output_get_stats(o);
	CU_ASSERT_EQUAL(st->events_written, 2);
	CU_ASSERT_EQUAL(st->write_errors, 1);
	CU_ASSERT_EQUAL(st->alerts_printed, 0);

	/* poll flushed: the lines are on disk already */
	read_lines(path, ls);
	CU_ASSERT_EQUAL(ls->n, 2);
	free(ls->text);

	output_write_stats(o);
	CU_ASSERT_EQUAL(ca.calls, 1);
	CU_ASSERT_EQUAL(st->events_written, 3);
	output_stop(o);
	CU_ASSERT_EQUAL(ca.calls, 2);
	CU_ASSERT_EQUAL(st->events_written, 4);
	output_stop(o);                      /* idempotent */
	CU_ASSERT_EQUAL(ca.calls, 2);

	read_lines(path, ls);
	CU_ASSERT_EQUAL(ls->n, 4);
	CU_ASSERT_EQUAL(count_type(ls, "\"alert\""), 2);
	CU_ASSERT_EQUAL(count_type(ls, "\"flow\""), 0);
	CU_ASSERT_EQUAL(count_type(ls, "\"stats\""), 2);
	/* the stats record: collected totals, output's own counters, plus
	 * the producers' ring drops */
	ASSERT_FIELD(ls->line[2], "stats.decoder.pkts", "777");
	ASSERT_FIELD(ls->line[2], "stats.decoder.event.ipv4.trunc_pkt", "3");
	ASSERT_FIELD(ls->line[2], "stats.detect.alert", "99");
	ASSERT_FIELD(ls->line[2], "stats.output.events_written", "2");
	ASSERT_FIELD(ls->line[2], "stats.output.write_errors", "1");
	ASSERT_FIELD(ls->line[2], "stats.output.ring_drops", "5");
	ASSERT_FIELD(ls->line[3], "stats.output.events_written", "3");
	ASSERT_FIELD(ls->line[3], "stats.uptime", "12");
	free(ls->text);
	output_destroy(o);

	/* append: a second run adds to the file */
	c.eve_stats = false;
	o = output_create(&c, rs.p, NRINGS, NULL, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	make_alert(&ev);
	CU_ASSERT(push(&rs.r[0], &ev));
	output_stop(o);
	output_destroy(o);
	read_lines(path, ls);
	CU_ASSERT_EQUAL(ls->n, 5);
	CU_ASSERT_EQUAL(count_type(ls, "\"stats\""), 2);
	free(ls->text);

	rings_destroy(&rs);
	free(ls);
}

/* Payload options are the eve context of the config. */
static void test_output_payload(void)
{
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	struct lines *ls = calloc(1, sizeof(*ls));
	char err[256];
	const char *path = tmp_path("payload.json");

	rings_init(&rs, 4);
	out_config(&c, path);
	c.eve_stats = false;
	c.eve.log_payload = true;
	c.eve.log_payload_printable = true;
	o = output_create(&c, rs.p, NRINGS, NULL, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	make_alert(&ev);
	memcpy(ev.payload, "foobar", 6);
	ev.payload_len = 6;
	CU_ASSERT(push(&rs.r[1], &ev));
	output_stop(o);
	output_destroy(o);
	read_lines(path, ls);
	CU_ASSERT_EQUAL_FATAL(ls->n, 1);
	ASSERT_FIELD(ls->line[0], "payload", "\"Zm9vYmFy\"");
	ASSERT_FIELD(ls->line[0], "payload_printable", "\"foobar\"");
	free(ls->text);
	free(ls);
	rings_destroy(&rs);
}

/* Console alerts go to stdout; capture fd 1 into a file meanwhile. */
static void test_output_console(void)
{
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	char err[256], *text;
	const char *cpath = tmp_path("console.txt");
	int fd, saved;

	rings_init(&rs, 4);
	out_config(&c, NULL);           /* EVE off: console only */
	c.console_alerts = true;
	o = output_create(&c, rs.p, NRINGS, NULL, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	make_alert(&ev);
	CU_ASSERT(push(&rs.r[0], &ev));
	ev.alert.sid = 2;
	CU_ASSERT(push(&rs.r[0], &ev));
	make_flow(&ev);
	CU_ASSERT(push(&rs.r[0], &ev));

	fflush(stdout);
	saved = dup(1);
	fd = open(cpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	CU_ASSERT_EQUAL(output_poll(o), 3);
	output_stop(o);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);

	CU_ASSERT_EQUAL(output_get_stats(o)->alerts_printed, 2);
	CU_ASSERT_EQUAL(output_get_stats(o)->events_written, 0);
	text = test_read_file(cpath, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT(strstr(text, "[1:2000001:3] ET TEST") != NULL);
	CU_ASSERT(strstr(text, "[1:2:3] ET TEST") != NULL);
	CU_ASSERT(strstr(text, "{TCP} 192.0.2.1:49152 -> 198.51.100.7:80\n") != NULL);
	free(text);
	output_destroy(o);
	rings_destroy(&rs);
}

/* Writes that fail are counted, not fatal. */
static void test_output_write_errors(void)
{
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	char err[256];

	/* a missing /dev/full is a broken test machine, not a pass */
	CU_ASSERT_FATAL(access("/dev/full", W_OK) == 0);
	rings_init(&rs, 64);
	out_config(&c, "/dev/full");
	o = output_create(&c, rs.p, NRINGS, NULL, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	make_alert(&ev);
	for (int i = 0; i < 50; i++)
		CU_ASSERT(push(&rs.r[i % NRINGS], &ev));
	CU_ASSERT_EQUAL(output_poll(o), 50);
	output_stop(o);
	CU_ASSERT(output_get_stats(o)->write_errors > 0);
	output_destroy(o);
	rings_destroy(&rs);
}

/*
 * End to end: the thread drains three rings while this thread produces
 * into them (small rings, so it waits on the consumer again and again);
 * then stop writes the final stats record last.
 */
static void test_output_thread(void)
{
	enum { N = 30000 };
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	struct collect_arg ca = { 0, 1 };
	struct lines *ls = calloc(1, sizeof(*ls));
	uint32_t next_sid[NRINGS] = { 0 };
	size_t alerts = 0, flows = 0;
	char err[256];
	const char *path = tmp_path("thread.json");
	const char *last;
	char want[32];

	rings_init(&rs, 32);
	out_config(&c, path);
	o = output_create(&c, rs.p, NRINGS, collect, &ca, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(output_start(o), 0);
	CU_ASSERT_EQUAL(output_start(o), -EINVAL);
	for (uint32_t i = 0; i < N; i++) {
		unsigned r = i % NRINGS;

		if (i % 10 == 9) {
			make_flow(&ev);
			ev.flow_id = i;
			flows++;
		} else {
			make_alert(&ev);
			/* per ring sequence in the sid: FIFO per worker */
			ev.alert.sid = r * 1000000 + i / NRINGS;
			ev.payload_len = 0;
			alerts++;
		}
		ev.worker = (uint16_t)r;
		CU_ASSERT_FATAL(push(&rs.r[r], &ev));
	}
	output_stop(o);
	CU_ASSERT_EQUAL(output_get_stats(o)->events_written, N + 1);
	CU_ASSERT_EQUAL(output_get_stats(o)->write_errors, 0);

	read_lines(path, ls);
	CU_ASSERT_EQUAL_FATAL(ls->n, N + 1);
	CU_ASSERT_EQUAL(count_type(ls, "\"alert\""), alerts);
	CU_ASSERT_EQUAL(count_type(ls, "\"flow\""), flows);
	CU_ASSERT_EQUAL(count_type(ls, "\"stats\""), 1);
	last = ls->line[ls->n - 1];
	ASSERT_FIELD(last, "event_type", "\"stats\"");
	snprintf(want, sizeof(want), "%d", N);
	ASSERT_FIELD(last, "stats.output.events_written", want);
	ASSERT_FIELD(last, "stats.output.ring_drops", "5");
	/* each ring's alerts come out in the order they went in */
	for (size_t i = 0; i + 1 < ls->n; i++) {
		const char *sid = jget(ls->line[i], "alert.signature_id");
		unsigned long v, r;

		if (!sid)
			continue;
		v = strtoul(sid, NULL, 10);
		r = v / 1000000;
		CU_ASSERT_FATAL(r < NRINGS);
		CU_ASSERT(v % 1000000 >= next_sid[r]);
		next_sid[r] = (uint32_t)(v % 1000000) + 1;
	}
	free(ls->text);
	free(ls);
	output_destroy(o);
	rings_destroy(&rs);
}

/* An alert reaches the file within milliseconds while the thread idles,
 * and a stats record is written every interval. */
static void test_output_latency_and_interval(void)
{
	struct rings rs;
	struct output_config c;
	struct output *o;
	struct event_record ev;
	struct collect_arg ca = { 0, 5 };
	struct lines *ls = calloc(1, sizeof(*ls));
	struct timespec t0, t1, ts = { 0, 1000000 };
	struct stat sb;
	char err[256];
	const char *path = tmp_path("latency.json");
	double ms;
	int tries = 0;

	rings_init(&rs, 8);
	out_config(&c, path);
	c.stats_interval_s = 1;
	o = output_create(&c, rs.p, NRINGS, collect, &ca, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(output_start(o), 0);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);   /* let it idle */

	make_alert(&ev);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT(push(&rs.r[2], &ev));
	while ((stat(path, &sb) != 0 || sb.st_size == 0) && ++tries < 2000)
		nanosleep(&ts, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CU_ASSERT(sb.st_size > 0);
	/* generous for loaded CI machines and sanitizers; typically ~1 ms */
	CU_ASSERT(ms < 500);

	/* the periodic record comes one second after start */
	nanosleep(&(struct timespec){ 1, 300000000 }, NULL);
	output_stop(o);
	read_lines(path, ls);
	CU_ASSERT_EQUAL(count_type(ls, "\"alert\""), 1);
	CU_ASSERT_EQUAL(count_type(ls, "\"stats\""), 2);
	CU_ASSERT(ca.calls == 2);
	ASSERT_FIELD(ls->line[ls->n - 1], "event_type", "\"stats\"");
	ASSERT_FIELD(ls->line[ls->n - 1], "stats.decoder.pkts", "5");
	free(ls->text);
	free(ls);
	output_destroy(o);
	rings_destroy(&rs);
}

static const struct test_case json_cases[] = {
	{ "checker self-test", test_checker_itself },
	{ "control characters", test_json_controls },
	{ "quotes and backslash", test_json_quotes },
	{ "valid UTF-8 passes through", test_json_utf8_valid },
	{ "invalid UTF-8 is escaped", test_json_utf8_invalid },
	{ "any bytes give valid JSON", test_json_fuzz_valid },
	{ "bounded: truncation", test_json_truncation },
	{ "numbers", test_json_numbers },
	{ "base64 (RFC 4648)", test_json_base64 },
	{ "keys and commas", test_json_keys },
	{ NULL, NULL }
};

static const struct test_case eve_cases[] = {
	{ "timestamp", test_timestamp },
	{ "protocol names", test_proto_name },
	{ "alert IPv4", test_alert_ipv4 },
	{ "alert IPv6", test_alert_ipv6 },
	{ "alert ICMP", test_alert_icmp },
	{ "alert VLAN", test_alert_vlan },
	{ "alert payload", test_alert_payload },
	{ "unterminated strings", test_alert_unterminated },
	{ "flow TCP", test_flow_tcp },
	{ "flow UDP and ICMP", test_flow_udp },
	{ "unknown record type", test_event_unknown_type },
	{ "no partial record on overflow", test_event_truncation },
	{ "stats record", test_stats_record },
	{ "stats without decoder events", test_stats_no_decoder_events },
	{ "fast line", test_fast_line },
	{ "stats_read_u64", test_stats_copy },
	{ NULL, NULL }
};

static const struct test_case output_cases[] = {
	{ "create errors", test_output_create_errors },
	{ "poll, filters, stats", test_output_poll },
	{ "payload options", test_output_payload },
	{ "console alerts", test_output_console },
	{ "write errors counted", test_output_write_errors },
	{ "thread end to end", test_output_thread },
	{ "latency and stats interval", test_output_latency_and_interval },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "json", NULL, NULL, json_cases },
	{ "eve", NULL, NULL, eve_cases },
	{ "output", NULL, NULL, output_cases },
	{ NULL, NULL, NULL, NULL }
};
