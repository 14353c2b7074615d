/*
 * test_cryptopan: Crypto-PAn pseudonymisation (include/mamori/cryptopan.h,
 * src/output/cryptopan.c).
 *
 * IPv4 must reproduce the original Crypto-PAn distribution exactly: its
 * sample key and the raw/sanitised address pairs of its sample trace.
 * IPv6 has no reference output from the authors; it is checked against
 * the values another implementation of the same 128-bit construction
 * publishes, and by property. The properties hold for any key: the common
 * prefix length of two outputs equals that of the inputs (over pairs made
 * to share every prefix length, not only random pairs, which share ~1
 * bit), the mapping is a function of the key alone, and a different key
 * gives a different mapping. Key files are checked for every accepted
 * form and every refusal.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "mamori/cryptopan.h"

/* The key of the original distribution's sample program. */
static const uint8_t sample_key[32] = {
	21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
};

/* Raw and sanitised addresses of the distribution's sample trace. */
static const char *const v4_vectors[][2] = {
	{ "128.11.68.132", "135.242.180.132" },
	{ "129.118.74.4", "134.136.186.123" },
	{ "130.132.252.244", "133.68.164.234" },
	{ "141.223.7.43", "141.167.8.160" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "152.163.225.39", "151.140.114.167" },
	{ "156.29.3.236", "147.225.12.42" },
	{ "165.247.96.84", "162.9.99.234" },
	{ "166.107.77.190", "160.132.178.185" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "192.215.32.125", "252.43.47.189" },
	{ "192.233.80.103", "252.25.108.8" },
	{ "192.41.57.43", "252.222.221.184" },
	{ "193.150.244.223", "253.169.52.216" },
	{ "195.205.63.100", "255.186.223.5" },
	{ "198.200.171.101", "249.199.68.213" },
	{ "198.26.132.101", "249.36.123.202" },
	{ "198.36.213.5", "249.7.21.132" },
	{ "198.51.77.238", "249.18.186.254" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "202.49.198.20", "245.206.7.234" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "204.184.162.189", "243.192.77.90" },
	{ "204.202.136.230", "243.178.4.198" },
	{ "204.29.20.4", "243.33.20.123" },
	{ "205.178.38.67", "242.108.198.51" },
	{ "205.188.147.153", "242.96.16.101" },
	{ "205.188.248.25", "242.96.88.27" },
	{ "205.245.121.43", "242.21.121.163" },
	{ "207.105.49.5", "241.118.205.138" },
	{ "207.135.65.238", "241.202.129.222" },
	{ "207.155.9.214", "241.220.250.22" },
	{ "207.188.7.45", "241.255.249.220" },
	{ "207.25.71.27", "241.33.119.156" },
	{ "207.33.151.131", "241.1.233.131" },
	{ "208.147.89.59", "227.237.98.191" },
	{ "208.234.120.210", "227.154.67.17" },
	{ "208.28.185.184", "227.39.94.90" },
	{ "208.52.56.122", "227.8.63.165" },
	{ "209.12.231.7", "226.243.167.8" },
	{ "209.238.72.3", "226.6.119.243" },
	{ "209.246.74.109", "226.22.124.76" },
	{ "209.68.60.238", "226.184.220.233" },
	{ "209.85.249.6", "226.170.70.6" },
	{ "212.120.124.31", "228.135.163.231" },
	{ "212.146.8.236", "228.19.4.234" },
	{ "212.186.227.154", "228.59.98.98" },
	{ "212.204.172.118", "228.71.195.169" },
	{ "212.206.130.201", "228.69.242.193" },
	{ "216.148.237.145", "235.84.194.111" },
	{ "216.157.30.252", "235.89.31.26" },
	{ "216.184.159.48", "235.96.225.78" },
	{ "216.227.10.221", "235.28.253.36" },
	{ "216.254.18.172", "235.7.16.162" },
	{ "216.32.132.250", "235.192.139.38" },
	{ "216.35.217.178", "235.195.157.81" },
	{ "24.0.250.221", "100.15.198.226" },
	{ "24.13.62.231", "100.2.192.247" },
	{ "24.14.213.138", "100.1.42.141" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.7.198.88", "100.10.6.25" },
	{ "24.94.26.44", "100.88.228.35" },
	{ "38.15.67.68", "64.3.66.187" },
	{ "4.3.88.225", "124.60.155.63" },
	{ "63.14.55.111", "95.9.215.7" },
	{ "63.195.241.44", "95.179.238.44" },
	{ "63.97.7.140", "95.97.9.123" },
	{ "64.14.118.196", "0.255.183.58" },
	{ "64.34.154.117", "0.221.154.117" },
	{ "64.39.15.238", "0.219.7.41" },
};

/* The same key through the 128-bit construction, as published by the Go
 * implementation (Yawning/cryptopan); not from the original authors. */
static const char *const v6_vectors[][2] = {
	{ "::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed" },
	{ "::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef" },
	{ "::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838" },
	{ "2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e" },
	{ "2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* splitmix64: reproducible pairs, so a failure reproduces */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t v4(const char *s)
{
	struct in_addr a;

	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static int common_prefix_v4(uint32_t a, uint32_t b)
{
	return a == b ? 32 : __builtin_clz(a ^ b);
}

static int common_prefix_v6(const uint8_t *a, const uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		if (a[i] != b[i])
			return i * 8 + __builtin_clz((unsigned)(a[i] ^ b[i])) - 24;
	return 128;
}

/* b = a with bit k flipped and everything after it random: prefix k */
static uint32_t v4_with_prefix(uint32_t a, int k)
{
	uint32_t after, b;

	if (k == 32)
		return a;
	after = k == 31 ? 0 : (uint32_t)rnd() & (~0u >> (k + 1));
	b = a & (k == 0 ? 0 : ~0u << (32 - k));
	return b | ((~a) & (1u << (31 - k))) | after;
}

static void v6_with_prefix(const uint8_t *a, int k, uint8_t *b)
{
	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rnd();
	for (int i = 0; i < 128; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		if (i < k)
			b[i / 8] = (uint8_t)((b[i / 8] & ~m) | (a[i / 8] & m));
		else if (i == k)
			b[i / 8] = (uint8_t)((b[i / 8] & ~m) | (~a[i / 8] & m));
	}
}

static void test_reference_v4(void)
{
	struct cryptopan *c = cryptopan_new(sample_key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (size_t i = 0; i < NELEM(v4_vectors); i++) {
		uint32_t got = cryptopan_anon_v4(c, v4(v4_vectors[i][0]));

		if (got != v4(v4_vectors[i][1])) {
			struct in_addr a = { htonl(got) };

			fprintf(stderr, "%s -> %s, want %s\n", v4_vectors[i][0],
				inet_ntoa(a), v4_vectors[i][1]);
		}
		CU_ASSERT_EQUAL(got, v4(v4_vectors[i][1]));
	}
	cryptopan_free(c);
}

static void test_reference_v6(void)
{
	struct cryptopan *c = cryptopan_new(sample_key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (size_t i = 0; i < NELEM(v6_vectors); i++) {
		uint8_t in[16], want[16], got[16];
		char buf[INET6_ADDRSTRLEN];

		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, v6_vectors[i][0], in), 1);
		CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, v6_vectors[i][1], want), 1);
		cryptopan_anon_v6(c, in, got);
		if (memcmp(got, want, 16) != 0)
			fprintf(stderr, "%s -> %s, want %s\n", v6_vectors[i][0],
				inet_ntop(AF_INET6, got, buf, sizeof(buf)), v6_vectors[i][1]);
		CU_ASSERT_EQUAL(memcmp(got, want, 16), 0);
		/* in place gives the same */
		cryptopan_anon_v6(c, in, in);
		CU_ASSERT_EQUAL(memcmp(in, want, 16), 0);
	}
	cryptopan_free(c);
}

static void random_key(uint8_t key[32])
{
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)rnd();
}

static void test_prefix_v4(void)
{
	uint8_t key[32];
	int bad = 0, seen[33] = { 0 };

	random_key(key);
	struct cryptopan *c = cryptopan_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int n = 0; n < 20000; n++) {
		uint32_t a = (uint32_t)rnd();
		/* every prefix length, and some purely random pairs */
		uint32_t b = n % 34 == 33 ? (uint32_t)rnd() : v4_with_prefix(a, n % 34);
		int k = common_prefix_v4(a, b);
		int ka = common_prefix_v4(cryptopan_anon_v4(c, a), cryptopan_anon_v4(c, b));

		seen[k]++;
		if (ka != k && bad++ < 5)
			fprintf(stderr, "%08x %08x share %d bits, outputs %d\n", a, b, k, ka);
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (int k = 0; k <= 32; k++)
		CU_ASSERT(seen[k] > 0);
	/* a prefix-preserving map of a /20 onto itself is a permutation */
	uint32_t base = 0xc0a80000u, first = cryptopan_anon_v4(c, base);
	static uint8_t hit[4096];

	memset(hit, 0, sizeof(hit));
	for (uint32_t i = 0; i < 4096; i++) {
		uint32_t o = cryptopan_anon_v4(c, base + i);

		CU_ASSERT_EQUAL((o ^ first) >> 12, 0);
		hit[o & 0xfff]++;
	}
	for (int i = 0; i < 4096; i++)
		CU_ASSERT_EQUAL(hit[i], 1);
	cryptopan_free(c);
}

static void test_prefix_v6(void)
{
	uint8_t key[32];
	int bad = 0;

	random_key(key);
	struct cryptopan *c = cryptopan_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int n = 0; n < 129 * 20; n++) {
		uint8_t a[16], b[16], oa[16], ob[16];
		int k;

		for (int i = 0; i < 16; i++)
			a[i] = (uint8_t)rnd();
		v6_with_prefix(a, n % 129, b);
		k = common_prefix_v6(a, b);
		CU_ASSERT_EQUAL(k, n % 129);
		cryptopan_anon_v6(c, a, oa);
		cryptopan_anon_v6(c, b, ob);
		if (common_prefix_v6(oa, ob) != k && bad++ < 5)
			fprintf(stderr, "v6 pair sharing %d bits: outputs share %d\n",
				k, common_prefix_v6(oa, ob));
	}
	CU_ASSERT_EQUAL(bad, 0);
	cryptopan_free(c);
}

static void test_deterministic(void)
{
	uint8_t key[32];

	random_key(key);
	struct cryptopan *c1 = cryptopan_new(key), *c2 = cryptopan_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c2);
	int moved = 0;

	for (int n = 0; n < 2000; n++) {
		uint32_t a = (uint32_t)rnd();
		uint8_t a6[16], o1[16], o2[16];
		uint32_t o = cryptopan_anon_v4(c1, a);

		CU_ASSERT_EQUAL(o, cryptopan_anon_v4(c2, a));
		CU_ASSERT_EQUAL(o, cryptopan_anon_v4(c1, a));
		moved += o != a;
		for (int i = 0; i < 16; i++)
			a6[i] = (uint8_t)rnd();
		cryptopan_anon_v6(c1, a6, o1);
		cryptopan_anon_v6(c2, a6, o2);
		CU_ASSERT_EQUAL(memcmp(o1, o2, 16), 0);
		CU_ASSERT_NOT_EQUAL(memcmp(o1, a6, 16), 0);
	}
	/* it does change addresses (an identity map is prefix-preserving too) */
	CU_ASSERT(moved >= 1990);
	cryptopan_free(c1);
	cryptopan_free(c2);
	cryptopan_free(NULL);
}

/* Flipping one bit in either half of the key changes the mapping. */
static void test_key_matters(void)
{
	uint8_t key[32];

	random_key(key);
	struct cryptopan *base = cryptopan_new(key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(base);
	for (int which = 0; which < 2; which++) {
		uint8_t k2[32];
		int same4 = 0, same6 = 0;

		memcpy(k2, key, 32);
		k2[which ? 31 : 0] ^= 1;        /* AES key half, then pad half */
		struct cryptopan *c = cryptopan_new(k2);

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (int n = 0; n < 1000; n++) {
			uint32_t a = (uint32_t)rnd();
			uint8_t a6[16], o1[16], o2[16];

			same4 += cryptopan_anon_v4(base, a) == cryptopan_anon_v4(c, a);
			for (int i = 0; i < 16; i++)
				a6[i] = (uint8_t)rnd();
			cryptopan_anon_v6(base, a6, o1);
			cryptopan_anon_v6(c, a6, o2);
			same6 += memcmp(o1, o2, 16) == 0;
		}
		CU_ASSERT_EQUAL(same4, 0);
		CU_ASSERT_EQUAL(same6, 0);
		cryptopan_free(c);
	}
	cryptopan_free(base);
}

struct thread_arg {
	const struct cryptopan *c;
	const uint32_t *in, *want;
	int n, bad;
};

static void *thread_run(void *p)
{
	struct thread_arg *t = p;

	for (int r = 0; r < 4; r++)
		for (int i = 0; i < t->n; i++)
			t->bad += cryptopan_anon_v4(t->c, t->in[i]) != t->want[i];
	return NULL;
}

/* More threads than the object has cipher contexts, all on one object. */
static void test_threads(void)
{
	enum { NT = 12, N = 3000 };
	static uint32_t in[N], want[N];
	struct thread_arg args[NT];
	pthread_t tid[NT];
	struct cryptopan *c = cryptopan_new(sample_key);

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (int i = 0; i < N; i++) {
		in[i] = (uint32_t)rnd();
		want[i] = cryptopan_anon_v4(c, in[i]);
	}
	for (int t = 0; t < NT; t++) {
		args[t] = (struct thread_arg){ .c = c, .in = in, .want = want, .n = N };
		CU_ASSERT_EQUAL_FATAL(pthread_create(&tid[t], NULL, thread_run, &args[t]), 0);
	}
	for (int t = 0; t < NT; t++) {
		pthread_join(tid[t], NULL);
		CU_ASSERT_EQUAL(args[t].bad, 0);
	}
	cryptopan_free(c);
}

static const char *write_key(const char *name, const void *data, size_t len)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* The file's key gives the same mapping as the sample key itself. */
static void expect_sample_key(const char *path)
{
	char err[256] = "";
	struct cryptopan *c = cryptopan_load_key_file(path, err, sizeof(err));

	if (c == NULL)
		fprintf(stderr, "%s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(cryptopan_anon_v4(c, v4(v4_vectors[0][0])), v4(v4_vectors[0][1]));
	CU_ASSERT_EQUAL(cryptopan_anon_v4(c, v4(v4_vectors[69][0])), v4(v4_vectors[69][1]));
	cryptopan_free(c);
}

static void expect_refused(const char *path, const char *needle)
{
	char err[256] = "";
	struct cryptopan *c = cryptopan_load_key_file(path, err, sizeof(err));

	CU_ASSERT_PTR_NULL(c);
	cryptopan_free(c);
	if (strstr(err, needle) == NULL || strstr(err, path) == NULL)
		fprintf(stderr, "error \"%s\" lacks \"%s\" or the path\n", err, needle);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
}

static void test_key_file(void)
{
	char hex[80], upper[80];
	int n = 0;

	for (int i = 0; i < 32; i++)
		n += snprintf(hex + n, sizeof(hex) - n, "%02x", sample_key[i]);
	for (int i = 0; i <= n; i++)
		upper[i] = (char)(hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);

	expect_sample_key(write_key("raw", sample_key, 32));
	expect_sample_key(write_key("hex", hex, 64));
	strcpy(hex + 64, "\n");
	expect_sample_key(write_key("hex-nl", hex, 65));
	strcpy(hex + 64, "\r\n");
	expect_sample_key(write_key("hex-crlf", hex, 66));
	expect_sample_key(write_key("hex-upper", upper, 64));

	/* a raw key that happens to end in a newline byte stays raw */
	uint8_t nl_key[32];

	memcpy(nl_key, sample_key, 32);
	nl_key[31] = '\n';
	{
		char err[256];
		struct cryptopan *a = cryptopan_load_key_file(write_key("raw-nl", nl_key, 32),
							      err, sizeof(err));
		struct cryptopan *b = cryptopan_new(nl_key);

		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		CU_ASSERT_EQUAL(cryptopan_anon_v4(a, 0x01020304), cryptopan_anon_v4(b, 0x01020304));
		cryptopan_free(a);
		cryptopan_free(b);
	}

	expect_refused(write_key("empty", "", 0), "0 bytes");
	expect_refused(write_key("short", sample_key, 31), "31 bytes");
	expect_refused(write_key("long", hex, 33), "33 bytes");
	expect_refused(write_key("hex63", hex, 63), "63 bytes");
	strcpy(hex + 64, "\n\n");
	expect_refused(write_key("hex-2nl", hex, 66), "66 bytes");
	strcpy(hex + 64, "00\n");
	expect_refused(write_key("hex-extra", hex, 67), "more than 66 bytes");
	hex[64] = '\n';
	hex[10] = 'g';
	expect_refused(write_key("hex-bad", hex, 65), "not a hex digit at offset 10");

	char missing[4096];

	snprintf(missing, sizeof(missing), "%s/no-such-key", test_tmpdir());
	expect_refused(missing, strerror(ENOENT));
	expect_refused(test_tmpdir(), "cannot read");        /* a directory */
}

/* Not a pass/fail check: the cost per address for the report. */
static void test_cost(void)
{
	struct cryptopan *c = cryptopan_new(sample_key);
	struct timespec t0, t1;
	uint32_t acc = 0, a = 0x0a000001;
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	enum { N4 = 200000, N6 = 50000 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N4; i++)
		acc += cryptopan_anon_v4(c, a + (uint32_t)i * 2654435761u);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns4 = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N4;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < N6; i++) {
		a6[15] = (uint8_t)i;
		a6[9] = (uint8_t)(i >> 8);
		cryptopan_anon_v6(c, a6, a6 + 0);
		acc += a6[3];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns6 = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N6;

	printf("\n    cryptopan: %.0f ns per IPv4 address, %.0f ns per IPv6 address (%u)\n",
	       ns4, ns6, acc & 1);
	cryptopan_free(c);
}

static const struct test_case cryptopan_cases[] = {
	{ "reference vectors IPv4", test_reference_v4 },
	{ "published vectors IPv6", test_reference_v6 },
	{ "prefix preservation IPv4", test_prefix_v4 },
	{ "prefix preservation IPv6", test_prefix_v6 },
	{ "same key, same mapping", test_deterministic },
	{ "other key, other mapping", test_key_matters },
	{ "threads share one object", test_threads },
	{ "key file", test_key_file },
	{ "cost per address", test_cost },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "cryptopan", NULL, NULL, cryptopan_cases },
	{ NULL, NULL, NULL, NULL }
};
