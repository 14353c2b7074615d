/*
 * harness: the shared main of every CUnit test program. A program defines
 * its suites as a table and the harness registers and runs them:
 *
 *   static const struct test_case ring_cases[] = {
 *       { "push and pop", test_push_pop },
 *       { NULL, NULL }
 *   };
 *   const struct test_suite test_suites[] = {
 *       { "ring", NULL, NULL, ring_cases },
 *       { NULL, NULL, NULL, NULL }
 *   };
 *
 * The program exits 1 when any assertion failed, so `make check` fails.
 * MAMORI_CORPUS (default ../shared/corpus next to the source tree) names the
 * shared corpus for tests that read real captures.
 */
#ifndef MAMORI_TEST_HARNESS_H
#define MAMORI_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

struct test_suite {
	const char *name;
	int (*init)(void);
	int (*cleanup)(void);
	const struct test_case *cases;
};

extern const struct test_suite test_suites[];

/* A temporary directory for this program, created on first use and
 * removed at exit. */
const char *test_tmpdir(void);

/* Read a whole file into a NUL-terminated buffer (caller frees); NULL on error. */
char *test_read_file(const char *path, size_t *len);

/* Parse a hex string ("45 00 00 ..", whitespace ignored) into buf;
 * returns the byte count, or -1 on a bad digit or overflow. */
int test_hex(const char *hex, uint8_t *buf, size_t cap);

#endif
