/*
 * test_hs_cache: the on-disk Hyperscan database cache. A miss compiles and
 * stores, a hit loads a database that scans exactly like the compiled one;
 * any change to an expression byte, length, flag or id, or literal vs
 * regex, names another file; a flipped payload byte, a truncated file, a
 * garbage header and another key's file are caught, counted, compiled and
 * rewritten; an unusable directory and no directory still compile; a bad
 * expression stores nothing. Every directory is under test_tmpdir().
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "mamori/detect.h"

/* ---- helpers ------------------------------------------------------------ */

#define NLIT 4

struct litset {
	const char *exprs[NLIT];
	unsigned flags[NLIT], ids[NLIT];
	size_t lens[NLIT];
};

static void litset_init(struct litset *s)
{
	static const char nul[] = "AbC\0x";

	*s = (struct litset){
		.exprs = { "passwd", "jndi:ldap", nul, "() {" },
		.flags = { 0, HS_FLAG_CASELESS, 0, HS_FLAG_SINGLEMATCH },
		.ids = { 1, 2, 3, 4 },
		.lens = { 6, 9, 5, 4 },
	};
}

static const char scan_text[] =
	"GET /../../etc/passwd HTTP/1.1\r\nX: ${JNDI:LDAP://x/a} passwd\r\n"
	"AbC\0x abc\0x () { :; }; () {";

#define MAXM 64

struct matches {
	unsigned n;
	unsigned id[MAXM];
	unsigned long long to[MAXM];
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct matches *m = ctx;

	(void)from;
	(void)flags;
	if (m->n < MAXM) {
		m->id[m->n] = id;
		m->to[m->n] = to;
	}
	m->n++;
	return 0;
}

static void scan(const hs_database_t *db, struct matches *m)
{
	hs_scratch_t *scr = NULL;

	memset(m, 0, sizeof(*m));
	CU_ASSERT_FATAL(hs_alloc_scratch(db, &scr) == HS_SUCCESS);
	CU_ASSERT(hs_scan(db, scan_text, sizeof(scan_text) - 1, 0, scr, on_match, m) ==
		  HS_SUCCESS);
	hs_free_scratch(scr);
	CU_ASSERT(m->n <= MAXM);
}

static bool same_matches(const struct matches *a, const struct matches *b)
{
	return a->n == b->n && !memcmp(a->id, b->id, sizeof(a->id[0]) * a->n) &&
	       !memcmp(a->to, b->to, sizeof(a->to[0]) * a->n);
}

/* The matches of a fresh compile without any cache: the reference. */
static void reference(const struct litset *s, struct matches *m)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;

	CU_ASSERT_FATAL(hs_compile_lit_multi(s->exprs, s->flags, s->ids, s->lens, NLIT,
					     HS_MODE_BLOCK, NULL, &db, &cerr) == HS_SUCCESS);
	scan(db, m);
	hs_free_database(db);
}

static hs_error_t lit(const char *dir, const struct litset *s, struct hs_cache_stats *st,
		      struct matches *m)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_error_t hr = hs_cache_compile_lit(dir, s->exprs, s->flags, s->ids, s->lens, NLIT,
					     &db, &cerr, st);

	CU_ASSERT_PTR_NULL(cerr);
	if (hr == HS_SUCCESS) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(db);
		if (m)
			scan(db, m);
		hs_free_database(db);
	}
	if (cerr)
		hs_free_compile_error(cerr);
	return hr;
}

/* A fresh, not yet existing directory some levels below test_tmpdir(). */
static const char *new_dir(void)
{
	static char buf[512];
	static unsigned seq;

	snprintf(buf, sizeof(buf), "%s/cache%u/a/b", test_tmpdir(), seq++);
	return buf;
}

/* Number of entries in dir; *hsdb gets the .hsdb ones and *one the path
 * of the last seen. */
static unsigned count_files(const char *dir, unsigned *hsdb, char *one, size_t onelen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	*hsdb = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (len > 5 && !strcmp(e->d_name + len - 5, ".hsdb")) {
			(*hsdb)++;
			if (one)
				snprintf(one, onelen, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT(fwrite(data, 1, len, f) == len);
	CU_ASSERT(fclose(f) == 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_miss_then_hit(void)
{
	struct hs_cache_stats st = { 0 };
	struct litset s;
	struct matches ref, m1, m2;
	const char *dir = new_dir();
	char path[600], *bytes = NULL, *file;
	unsigned nh;
	size_t flen, blen;
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;

	litset_init(&s);
	reference(&s, &ref);
	/* passwd x2, JNDI:LDAP, AbC\0x, one "() {" (single-match) */
	CU_ASSERT_EQUAL(ref.n, 5);

	CU_ASSERT(lit(dir, &s, &st, &m1) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.hits, 0);
	CU_ASSERT_EQUAL(st.stores, 1);
	CU_ASSERT_EQUAL(st.store_errors, 0);
	CU_ASSERT_EQUAL(st.load_errors, 0);
	/* the directory was created, holding the database and no temp file */
	CU_ASSERT_EQUAL(count_files(dir, &nh, path, sizeof(path)), 1);
	CU_ASSERT_EQUAL(nh, 1);
	CU_ASSERT(same_matches(&m1, &ref));

	CU_ASSERT(lit(dir, &s, &st, &m2) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.hits, 1);
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.stores, 1);
	CU_ASSERT(same_matches(&m2, &ref));

	/* the file is a 64-byte header and the serialized database, and the
	 * database a hit returns serializes to those very bytes */
	CU_ASSERT(hs_cache_compile_lit(dir, s.exprs, s.flags, s.ids, s.lens, NLIT, &db, &cerr,
				       &st) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.hits, 2);
	CU_ASSERT_FATAL(hs_serialize_database(db, &bytes, &blen) == HS_SUCCESS);
	file = test_read_file(path, &flen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(flen, 64 + blen);
	CU_ASSERT(flen == 64 + blen && !memcmp(file + 64, bytes, blen));
	CU_ASSERT(!memcmp(file, "MAMHSDB", 8));
	free(file);
	free(bytes);
	hs_free_database(db);

	/* st may be NULL */
	CU_ASSERT(lit(dir, &s, NULL, &m2) == HS_SUCCESS);
	CU_ASSERT(same_matches(&m2, &ref));
}

static void test_keys_differ(void)
{
	struct hs_cache_stats st = { 0 };
	struct litset s, v;
	struct matches m, ref;
	const char *dir = new_dir();
	const char *rx[NLIT];
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned nh;

	litset_init(&s);
	CU_ASSERT(lit(dir, &s, &st, NULL) == HS_SUCCESS);
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 1);

	/* one flag */
	v = s;
	v.flags[1] = 0;
	CU_ASSERT(lit(dir, &v, &st, &m) == HS_SUCCESS);
	reference(&v, &ref);
	CU_ASSERT(same_matches(&m, &ref));
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 2);

	/* one byte */
	v = s;
	v.exprs[0] = "passwe";
	CU_ASSERT(lit(dir, &v, &st, &m) == HS_SUCCESS);
	reference(&v, &ref);
	CU_ASSERT(same_matches(&m, &ref));
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 3);

	/* one id */
	v = s;
	v.ids[2] = 7;
	CU_ASSERT(lit(dir, &v, &st, &m) == HS_SUCCESS);
	reference(&v, &ref);
	CU_ASSERT(same_matches(&m, &ref));
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 4);

	/* one length (same bytes in memory: "AbC\0" is a prefix of "AbC\0x") */
	v = s;
	v.lens[2] = 4;
	CU_ASSERT(lit(dir, &v, &st, NULL) == HS_SUCCESS);
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 5);

	/* the same strings as regexes (all four are valid ones) */
	for (unsigned i = 0; i < NLIT; i++)
		rx[i] = i == 2 ? "AbC" : i == 3 ? "\\(\\) \\{" : s.exprs[i];
	CU_ASSERT(hs_cache_compile_multi(dir, rx, NULL, NULL, NLIT, &db, &cerr, &st) ==
		  HS_SUCCESS);
	hs_free_database(db);
	count_files(dir, &nh, NULL, 0);
	CU_ASSERT_EQUAL(nh, 6);

	CU_ASSERT_EQUAL(st.misses, 6);
	CU_ASSERT_EQUAL(st.stores, 6);
	CU_ASSERT_EQUAL(st.hits, 0);

	/* and the original still hits */
	CU_ASSERT(lit(dir, &s, &st, NULL) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.hits, 1);
	CU_ASSERT_EQUAL(st.load_errors, 0);
}

enum damage { FLIP_PAYLOAD, FLIP_LAST, TRUNCATE, GARBAGE_HEADER, FOREIGN, EMPTY };

static void damaged(enum damage how)
{
	struct hs_cache_stats st = { 0 };
	struct litset s, other;
	struct matches ref, m;
	const char *dir = new_dir();
	char path[600], opath[1024], *file, *ofile;
	size_t flen, olen;
	unsigned nh;

	litset_init(&s);
	reference(&s, &ref);
	CU_ASSERT(lit(dir, &s, &st, NULL) == HS_SUCCESS);
	count_files(dir, &nh, path, sizeof(path));
	CU_ASSERT_EQUAL_FATAL(nh, 1);
	file = test_read_file(path, &flen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_FATAL(flen > 200);

	switch (how) {
	case FLIP_PAYLOAD:
	case FLIP_LAST: {
		char *bad = malloc(flen);

		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		memcpy(bad, file, flen);
		/* Hyperscan's own CRC catches the first, not the second (its
		 * database ends in padding it does not check): only the
		 * cache's checksum does */
		bad[how == FLIP_LAST ? flen - 1 : 64 + (flen - 64) / 2] ^= 0x10;
		write_file(path, bad, flen);
		free(bad);
		break;
	}
	case TRUNCATE:
		CU_ASSERT(truncate(path, (off_t)(flen - 1)) == 0);
		break;
	case GARBAGE_HEADER: {
		char *bad = malloc(flen);

		CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
		memcpy(bad, file, flen);
		for (unsigned i = 0; i < 64; i++)
			bad[i] = (char)(i * 37 + 11);
		write_file(path, bad, flen);
		free(bad);
		break;
	}
	case FOREIGN:
		/* a valid file of another key under this key's name */
		other = s;
		other.ids[0] = 9;
		CU_ASSERT(lit(dir, &other, &st, NULL) == HS_SUCCESS);
		count_files(dir, &nh, NULL, 0);
		CU_ASSERT_EQUAL_FATAL(nh, 2);
		/* find the other one: the file that is not path */
		{
			DIR *d = opendir(dir);
			struct dirent *e;

			CU_ASSERT_PTR_NOT_NULL_FATAL(d);
			opath[0] = '\0';
			while ((e = readdir(d)))
				if (strstr(e->d_name, ".hsdb") &&
				    strcmp(strrchr(path, '/') + 1, e->d_name))
					snprintf(opath, sizeof(opath), "%s/%s", dir, e->d_name);
			closedir(d);
		}
		ofile = test_read_file(opath, &olen);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ofile);
		write_file(path, ofile, olen);
		free(ofile);
		st = (struct hs_cache_stats){ 0 };
		/* the other one itself still hits */
		CU_ASSERT(lit(dir, &other, &st, NULL) == HS_SUCCESS);
		CU_ASSERT_EQUAL(st.hits, 1);
		break;
	case EMPTY:
		write_file(path, "", 0);
		break;
	}

	st = (struct hs_cache_stats){ 0 };
	CU_ASSERT(lit(dir, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.load_errors, 1);
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.hits, 0);
	CU_ASSERT_EQUAL(st.stores, 1);
	CU_ASSERT(same_matches(&m, &ref));

	/* rewritten: the same bytes as first stored, and a hit next time */
	free(file);
	file = test_read_file(path, &olen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(file);
	CU_ASSERT_EQUAL(olen, flen);
	CU_ASSERT(lit(dir, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.hits, 1);
	CU_ASSERT_EQUAL(st.load_errors, 1);
	CU_ASSERT(same_matches(&m, &ref));
	free(file);
}

static void test_flipped_payload(void) { damaged(FLIP_PAYLOAD); }
static void test_flipped_last(void) { damaged(FLIP_LAST); }
static void test_truncated(void) { damaged(TRUNCATE); }
static void test_garbage_header(void) { damaged(GARBAGE_HEADER); }
static void test_foreign_file(void) { damaged(FOREIGN); }
static void test_empty_file(void) { damaged(EMPTY); }

/* Sensors starting together: every one gets a working database, and the
 * directory ends with one whole file and no temporary ones. */
static void test_concurrent(void)
{
	enum { KIDS = 4, ROUNDS = 3 };
	struct litset s;
	struct matches ref;
	struct hs_cache_stats st = { 0 };
	const char *dir = new_dir();
	pid_t pid[KIDS];
	unsigned nh;

	litset_init(&s);
	reference(&s, &ref);
	for (unsigned k = 0; k < KIDS; k++) {
		pid[k] = fork();
		CU_ASSERT_FATAL(pid[k] >= 0);
		if (pid[k] == 0) {
			int bad = 0;

			for (unsigned r = 0; r < ROUNDS; r++) {
				hs_database_t *db = NULL;
				hs_compile_error_t *cerr = NULL;
				struct matches m;
				hs_scratch_t *scr = NULL;

				if (hs_cache_compile_lit(dir, s.exprs, s.flags, s.ids, s.lens, NLIT,
							 &db, &cerr, &st) != HS_SUCCESS ||
				    hs_alloc_scratch(db, &scr) != HS_SUCCESS) {
					bad = 1;
					break;
				}
				memset(&m, 0, sizeof(m));
				hs_scan(db, scan_text, sizeof(scan_text) - 1, 0, scr, on_match, &m);
				bad |= !same_matches(&m, &ref);
				hs_free_scratch(scr);
				hs_free_database(db);
			}
			/* a load error means a reader saw a partial file */
			_exit(bad || st.load_errors || st.store_errors);
		}
	}
	for (unsigned k = 0; k < KIDS; k++) {
		int status = -1;

		CU_ASSERT(waitpid(pid[k], &status, 0) == pid[k]);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CU_ASSERT_EQUAL(count_files(dir, &nh, NULL, 0), 1);
	CU_ASSERT_EQUAL(nh, 1);
	CU_ASSERT(lit(dir, &s, &st, NULL) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.hits, 1);
}

static void test_unwritable_dir(void)
{
	struct hs_cache_stats st = { 0 };
	struct litset s;
	struct matches ref, m;
	char plain[512], dir[600];

	/* a directory below a regular file can never be made, even by root */
	snprintf(plain, sizeof(plain), "%s/plain-file", test_tmpdir());
	write_file(plain, "x", 1);
	snprintf(dir, sizeof(dir), "%s/cache", plain);

	litset_init(&s);
	reference(&s, &ref);
	CU_ASSERT(lit(dir, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT(same_matches(&m, &ref));
	CU_ASSERT_EQUAL(st.store_errors, 1);
	CU_ASSERT_EQUAL(st.stores, 0);
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.hits, 0);
	CU_ASSERT_EQUAL(st.load_errors, 0);
	CU_ASSERT(lit(dir, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT_EQUAL(st.store_errors, 2);
	CU_ASSERT_EQUAL(st.misses, 2);

	/* the cache directory is itself a regular file */
	st = (struct hs_cache_stats){ 0 };
	CU_ASSERT(lit(plain, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT(same_matches(&m, &ref));
	CU_ASSERT_EQUAL(st.store_errors, 1);
	CU_ASSERT_EQUAL(st.stores, 0);
}

static void test_no_dir(void)
{
	struct hs_cache_stats st = { 0 };
	struct litset s;
	struct matches ref, m;

	litset_init(&s);
	reference(&s, &ref);
	CU_ASSERT(lit(NULL, &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT(same_matches(&m, &ref));
	CU_ASSERT(lit("", &s, &st, &m) == HS_SUCCESS);
	CU_ASSERT(same_matches(&m, &ref));
	CU_ASSERT_EQUAL(st.hits + st.misses + st.stores + st.store_errors + st.load_errors, 0);
}

static void test_regex_hit(void)
{
	static const char *const rx[] = { "pass[a-z]d", "jndi:\\w+://", "\\(\\) \\{.*\\}" };
	static const unsigned flags[] = {
		HS_FLAG_PREFILTER, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH,
		HS_FLAG_DOTALL | HS_FLAG_PREFILTER,
	};
	static const unsigned ids[] = { 10, 20, 30 };
	struct hs_cache_stats st = { 0 };
	struct matches ref, m;
	const char *dir = new_dir();
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;

	CU_ASSERT_FATAL(hs_compile_multi(rx, flags, ids, 3, HS_MODE_BLOCK, NULL, &db, &cerr) ==
			HS_SUCCESS);
	scan(db, &ref);
	hs_free_database(db);
	CU_ASSERT(ref.n >= 3);

	for (unsigned round = 0; round < 2; round++) {
		db = NULL;
		CU_ASSERT(hs_cache_compile_multi(dir, rx, flags, ids, 3, &db, &cerr, &st) ==
			  HS_SUCCESS);
		CU_ASSERT_PTR_NOT_NULL_FATAL(db);
		scan(db, &m);
		hs_free_database(db);
		CU_ASSERT(same_matches(&m, &ref));
	}
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.stores, 1);
	CU_ASSERT_EQUAL(st.hits, 1);
}

static void test_compile_error(void)
{
	static const char *const rx[] = { "fine", "(unclosed" };
	struct hs_cache_stats st = { 0 };
	const char *dir = new_dir();
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	unsigned nh;

	CU_ASSERT(hs_cache_compile_multi(dir, rx, NULL, NULL, 2, &db, &cerr, &st) ==
		  HS_COMPILER_ERROR);
	CU_ASSERT_PTR_NULL(db);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cerr);
	CU_ASSERT_EQUAL(cerr->expression, 1);
	hs_free_compile_error(cerr);
	CU_ASSERT_EQUAL(st.misses, 1);
	CU_ASSERT_EQUAL(st.stores + st.store_errors + st.hits, 0);
	CU_ASSERT_EQUAL(count_files(dir, &nh, NULL, 0), 0);
}

static const struct test_case cache_cases[] = {
	{ "miss then hit, same matches", test_miss_then_hit },
	{ "flag, byte, id, length, kind change the key", test_keys_differ },
	{ "flipped payload byte recompiled", test_flipped_payload },
	{ "flipped last byte recompiled", test_flipped_last },
	{ "truncated file recompiled", test_truncated },
	{ "garbage header recompiled", test_garbage_header },
	{ "another key's file recompiled", test_foreign_file },
	{ "empty file recompiled", test_empty_file },
	{ "concurrent compilers", test_concurrent },
	{ "unwritable directory still compiles", test_unwritable_dir },
	{ "no directory: plain compile", test_no_dir },
	{ "regex database miss then hit", test_regex_hit },
	{ "compile error stores nothing", test_compile_error },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "hs_cache", NULL, NULL, cache_cases },
	{ NULL, NULL, NULL, NULL }
};
