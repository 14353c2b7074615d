/*
 * hs_cache: compiled Hyperscan databases kept on disk, so a restart or a
 * rule reload with an unchanged ruleset loads them in milliseconds instead
 * of compiling for seconds.
 *
 * A database is named by a key, SHA-1 over everything that decides the
 * compiled bytes: a domain tag and this file's format version, the compile
 * function (literal or regex), mode, count, and every expression's length,
 * bytes, flags and id, then hs_version() and the host platform
 * (hs_populate_platform(): tuning and CPU features), pointer size and byte
 * order. Fields go in as fixed-width little-endian numbers and each
 * expression is length-prefixed, so no two inputs share an encoding. A
 * changed rule, a new libhs or a move to another CPU gives another name.
 *
 * Why SHA-1: it is already in the tree (Community ID), fast enough (a few
 * ms per MB, once at startup), and 160 bits make an accidental collision
 * of two rulesets out of the question. Its collision attacks need someone
 * who chooses both inputs; whoever can write the cache directory can
 * plant any database anyway, so the directory must be as trusted as the
 * rule files (root or the sensor's user only). The same SHA-1 over the
 * payload catches torn writes and bit rot before hs_deserialize_database
 * sees the bytes: Hyperscan's own CRC leaves parts of a serialized
 * database unchecked (reserved fields, the padding at its end).
 *
 * File DIR/<40 hex>.hsdb: a 64-byte header (magic, format version, key,
 * payload length, payload SHA-1; little-endian) then hs_serialize_database's
 * bytes. Stores write a temporary file in DIR, fsync it, and rename it over
 * the name, so a reader (another sensor, a restart) sees the old file, the
 * new one or none, never part of one. Anything wrong with a file (short,
 * foreign, corrupt, not loadable) means compile and rewrite it.
 *
 * There is no eviction: every ruleset change leaves a file behind. Any file
 * in the directory (including a stale .tmp from a crash) may be deleted at
 * any time; the next start compiles what it misses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mamori/detect.h"
#include "mamori/flow.h"
#include "mamori/log.h"

#define CACHE_MAGIC "MAMHSDB"           /* 7 chars + NUL = 8 bytes */
#define CACHE_FORMAT 1u
#define HDR_LEN 64
/* hs databases of real rulesets are tens of MB; past this a header lies */
#define MAX_PAYLOAD ((uint64_t)1 << 32)

enum kind { KIND_LIT = 1, KIND_MULTI = 2 };

/* ---- key ----------------------------------------------------------------- */

/* A growable byte buffer for the key material (built once, hashed once:
 * mamori_sha1 is one-shot). */
struct kbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void kb_put(struct kbuf *b, const void *data, size_t len)
{
	if (b->oom || !len)
		return;
	if (b->cap - b->len < len) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *np;

		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void kb_u64(struct kbuf *b, uint64_t v)
{
	uint8_t le[8];

	put_le(le, v, 8);
	kb_put(b, le, 8);
}

/* 0 or -1 (out of memory, or the platform cannot be read). lens NULL:
 * NUL-terminated expressions. flags/ids NULL mean all zero, as they do to
 * hs_compile_multi, so they hash like zeros. */
static int cache_key(enum kind kind, const char *const *exprs, const unsigned *flags,
		     const unsigned *ids, const size_t *lens, unsigned n, unsigned mode,
		     uint8_t key[20])
{
	static const char tag[] = "mamori hs-cache";
	struct kbuf b = { 0 };
	hs_platform_info_t plat;
	const char *ver = hs_version();
	const uint16_t one = 1;

	if (hs_populate_platform(&plat) != HS_SUCCESS)
		return -1;
	kb_put(&b, tag, sizeof(tag));
	kb_u64(&b, CACHE_FORMAT);
	kb_u64(&b, kind);
	kb_u64(&b, mode);
	kb_u64(&b, n);
	for (unsigned i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(exprs[i]);

		kb_u64(&b, len);
		kb_put(&b, exprs[i], len);
		kb_u64(&b, flags ? flags[i] : 0);
		kb_u64(&b, ids ? ids[i] : 0);
	}
	kb_u64(&b, strlen(ver));
	kb_put(&b, ver, strlen(ver));
	kb_u64(&b, plat.tune);
	kb_u64(&b, plat.cpu_features);
	kb_u64(&b, plat.reserved1);
	kb_u64(&b, plat.reserved2);
	kb_u64(&b, sizeof(void *));
	kb_u64(&b, *(const uint8_t *)&one);     /* 1 on little-endian hosts */
	if (b.oom) {
		free(b.p);
		return -1;
	}
	mamori_sha1(b.p, b.len, key);
	free(b.p);
	return 0;
}

static void hex20(const uint8_t key[20], char out[41])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < 20; i++) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 15];
	}
	out[40] = '\0';
}

/* ---- file I/O ------------------------------------------------------------- */

/* Header: magic[8] format[4] reserved[4] key[20] payload_len[8] sha1[20]. */
static void hdr_build(uint8_t h[HDR_LEN], const uint8_t key[20], const void *payload,
		      size_t len)
{
	memset(h, 0, HDR_LEN);
	memcpy(h, CACHE_MAGIC, 8);
	put_le(h + 8, CACHE_FORMAT, 4);
	memcpy(h + 16, key, 20);
	put_le(h + 36, len, 8);
	mamori_sha1(payload, len, h + 44);
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

enum load_result { LOAD_OK, LOAD_ABSENT, LOAD_BAD };

/* Load and check path; on LOAD_BAD *why says what was wrong. */
static enum load_result cache_load(const char *path, const uint8_t key[20],
				   hs_database_t **db, const char **why)
{
	uint8_t h[HDR_LEN], sum[20];
	struct stat sb;
	uint64_t plen;
	char *payload = NULL;
	enum load_result res = LOAD_BAD;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		/* ENOTDIR: dir is not made yet past a file; the store says why */
		if (errno == ENOENT || errno == ENOTDIR)
			return LOAD_ABSENT;
		*why = strerror(errno);
		return LOAD_BAD;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((uint64_t)sb.st_size < HDR_LEN || read_full(fd, h, HDR_LEN) < 0) {
		*why = "truncated header";
		goto out;
	}
	plen = get_le(h + 36, 8);
	if (memcmp(h, CACHE_MAGIC, 8) || get_le(h + 8, 4) != CACHE_FORMAT) {
		*why = "bad magic or format version";
		goto out;
	}
	if (memcmp(h + 16, key, 20)) {
		*why = "key mismatch (a foreign file)";
		goto out;
	}
	if (plen == 0 || plen > MAX_PAYLOAD || (uint64_t)sb.st_size != HDR_LEN + plen) {
		*why = "payload length does not match the file size";
		goto out;
	}
	payload = malloc((size_t)plen);
	if (!payload) {
		*why = "out of memory";
		goto out;
	}
	if (read_full(fd, payload, (size_t)plen) < 0) {
		*why = "short read";
		goto out;
	}
	mamori_sha1(payload, (size_t)plen, sum);
	if (memcmp(sum, h + 44, 20)) {
		*why = "payload checksum mismatch";
		goto out;
	}
	if (hs_deserialize_database(payload, (size_t)plen, db) != HS_SUCCESS) {
		*db = NULL;
		*why = "hs_deserialize_database failed";
		goto out;
	}
	res = LOAD_OK;
out:
	free(payload);
	close(fd);
	return res;
}

/* mkdir -p path, 0755; 0 when it is (now) a directory. */
static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	struct stat sb;

	if (len >= sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		if (buf[i - 1] == '/')
			continue;               /* "a//b", trailing "/" */
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		if (stat(buf, &sb) < 0)
			return -1;
		if (!S_ISDIR(sb.st_mode))
			return errno = ENOTDIR, -1;
		buf[i] = path[i];
	}
	return 0;
}

/* Serialize db and put it at path atomically. 0, or -1 with *why. */
static int cache_store(const char *dir, const char *path, const char *hex,
		       const uint8_t key[20], const hs_database_t *db, const char **why)
{
	char tmp[PATH_MAX];
	uint8_t h[HDR_LEN];
	char *bytes = NULL;
	size_t len = 0;
	int fd, dfd;

	if (mkdir_p(dir) < 0) {
		*why = strerror(errno);
		return -1;
	}
	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) {
		*why = "hs_serialize_database failed";
		return -1;
	}
	/* mamori sets no Hyperscan allocator: the bytes come from malloc. */
	hdr_build(h, key, bytes, len);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.hsdb.tmp.XXXXXX", dir, hex) >= sizeof(tmp)) {
		free(bytes);
		*why = strerror(ENAMETOOLONG);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(bytes);
		*why = strerror(errno);
		return -1;
	}
	/* mkstemp makes 0600; other users of the host may run a sensor too */
	if (fchmod(fd, 0644) < 0 || write_full(fd, h, HDR_LEN) < 0 ||
	    write_full(fd, bytes, len) < 0 || fsync(fd) < 0) {
		*why = strerror(errno);
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		*why = strerror(errno);
		goto fail;
	}
	free(bytes);
	/* Make the rename itself durable; the file is complete either way,
	 * so a failure here costs at most a recompile after a power cut. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	unlink(tmp);
	free(bytes);
	return -1;
}

/* ---- the entry points ---------------------------------------------------- */

static hs_error_t do_compile(enum kind kind, const char *const *exprs, const unsigned *flags,
			     const unsigned *ids, const size_t *lens, unsigned n,
			     hs_database_t **db, hs_compile_error_t **cerr)
{
	if (kind == KIND_LIT)
		return hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL,
					    db, cerr);
	return hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, db, cerr);
}

static hs_error_t cached_compile(enum kind kind, const char *dir, const char *const *exprs,
				 const unsigned *flags, const unsigned *ids, const size_t *lens,
				 unsigned n, hs_database_t **db, hs_compile_error_t **cerr,
				 struct hs_cache_stats *st)
{
	struct hs_cache_stats dummy = { 0 };
	uint8_t key[20];
	char hex[41], path[PATH_MAX];
	const char *why = NULL;
	hs_error_t hr;

	if (!st)
		st = &dummy;
	*db = NULL;
	*cerr = NULL;
	if (!dir || !*dir)
		return do_compile(kind, exprs, flags, ids, lens, n, db, cerr);

	if (cache_key(kind, exprs, flags, ids, lens, n, HS_MODE_BLOCK, key) < 0) {
		/* no key, no cache: compiling still works */
		st->misses++;
		st->store_errors++;
		log_debug("hs-cache: cannot compute a key (out of memory or no platform)");
		return do_compile(kind, exprs, flags, ids, lens, n, db, cerr);
	}
	hex20(key, hex);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.hsdb", dir, hex) >= sizeof(path)) {
		st->misses++;
		st->store_errors++;
		log_debug("hs-cache: %s: path too long", dir);
		return do_compile(kind, exprs, flags, ids, lens, n, db, cerr);
	}

	switch (cache_load(path, key, db, &why)) {
	case LOAD_OK:
		st->hits++;
		log_debug("hs-cache: loaded %s", path);
		return HS_SUCCESS;
	case LOAD_BAD:
		st->load_errors++;
		log_debug("hs-cache: %s: %s; compiling", path, why);
		break;
	case LOAD_ABSENT:
		break;
	}
	st->misses++;

	hr = do_compile(kind, exprs, flags, ids, lens, n, db, cerr);
	if (hr != HS_SUCCESS)
		return hr;
	if (cache_store(dir, path, hex, key, *db, &why) < 0) {
		st->store_errors++;
		log_debug("hs-cache: cannot store %s: %s", path, why);
	} else {
		st->stores++;
		log_debug("hs-cache: stored %s", path);
	}
	return HS_SUCCESS;
}

hs_error_t hs_cache_compile_lit(const char *dir, const char *const *exprs, const unsigned *flags,
				const unsigned *ids, const size_t *lens, unsigned n,
				hs_database_t **db, hs_compile_error_t **cerr,
				struct hs_cache_stats *st)
{
	return cached_compile(KIND_LIT, dir, exprs, flags, ids, lens, n, db, cerr, st);
}

hs_error_t hs_cache_compile_multi(const char *dir, const char *const *exprs,
				  const unsigned *flags, const unsigned *ids, unsigned n,
				  hs_database_t **db, hs_compile_error_t **cerr,
				  struct hs_cache_stats *st)
{
	return cached_compile(KIND_MULTI, dir, exprs, flags, ids, NULL, n, db, cerr, st);
}
