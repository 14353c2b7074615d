/*
 * spool: an on-disk queue of records that could not be handed to Kafka
 * (broker unreachable, producer queue full), replayed in order later.
 *
 * A spool is a directory of append-only segment files (seg-NNNNNNNNNNNNNNNN)
 * and a small `cursor` file naming the first record not yet acknowledged.
 * Each record carries its length and a CRC32C, so a torn tail left by a
 * crash is found at open, cut off and counted, never replayed as garbage.
 * Reading is separate from acknowledging: spool_read() moves a read cursor,
 * spool_commit() moves the acknowledged head (and deletes segments it has
 * passed), spool_rewind() goes back to the head after a failed replay. So a
 * crash between reading and acknowledging replays those records again:
 * at-least-once.
 *
 * Bounded: at most max_bytes of segments; a full spool either drops the
 * oldest segment or refuses the new record (counted either way). Durability
 * follows the fsync policy: every append, at most every interval, or left
 * to the kernel. Not thread-safe: one thread (the output thread) owns it.
 */
#ifndef MAMORI_SPOOL_H
#define MAMORI_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum spool_fsync { SPOOL_FSYNC_ALWAYS, SPOOL_FSYNC_INTERVAL, SPOOL_FSYNC_NEVER };
enum spool_full { SPOOL_DROP_OLDEST, SPOOL_DROP_NEWEST };

struct spool_config {
	const char *dir;            /* created when missing */
	uint64_t max_bytes;         /* all segments together */
	uint64_t segment_bytes;     /* 0: max_bytes / 8, at least 64 KiB */
	enum spool_fsync fsync;
	unsigned fsync_interval_ms; /* SPOOL_FSYNC_INTERVAL */
	enum spool_full full;
};

struct spool_stats {
	uint64_t appended;          /* records written */
	uint64_t dropped;           /* records lost to a full spool */
	uint64_t torn_records;      /* bad records cut off at open */
	uint64_t torn_bytes;
	uint64_t pending;           /* records not acknowledged */
	uint64_t bytes;             /* segment bytes on disk */
	uint64_t write_errors;
	uint64_t fsyncs;
};

/* One record as read back. key and value point into the caller's buffer. */
struct spool_rec {
	uint8_t type;               /* caller's tag (event type) */
	uint64_t ts_us;             /* caller's timestamp (capture time) */
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

struct spool_pos {
	uint64_t seg, off;
	uint64_t idx;               /* records before off in segment seg */
};

/* The largest record spool_append() takes (key + value). */
#define SPOOL_REC_MAX (256u * 1024)
/* Bytes a record takes besides key and value. */
#define SPOOL_REC_OVERHEAD 24u

struct spool;

/* Open (or create) a spool; checks every record from the head on, cuts a
 * torn tail. Returns NULL with errbuf filled. */
struct spool *spool_open(const struct spool_config *cfg, char *errbuf, size_t errlen);
/* fsync and close. */
void spool_close(struct spool *sp);

/* Append one record. Returns 0, -ENOSPC when the spool is full and the
 * policy drops the newest (this one), -E2BIG for a record over
 * SPOOL_REC_MAX, or another negative errno when the write failed. With
 * drop-oldest, older records give way (counted in dropped). */
int spool_append(struct spool *sp, uint8_t type, uint64_t ts_us,
		 const char *key, size_t key_len, const char *value, size_t value_len);

/* Read the record at the read cursor into buf (SPOOL_REC_MAX bytes
 * suffice) and advance the cursor. Returns 1, 0 when nothing is left to
 * read, or a negative errno. */
int spool_read(struct spool *sp, struct spool_rec *r, char *buf, size_t len);
/* Where the read cursor stands (pass it to spool_commit later). */
struct spool_pos spool_tell(const struct spool *sp);
/* Everything before pos was acknowledged: move the head there. A pos at
 * or before the head (its segment already dropped) is ignored. */
void spool_commit(struct spool *sp, struct spool_pos pos);
/* Move the read cursor back to a position spool_tell gave. */
void spool_seek(struct spool *sp, struct spool_pos pos);
/* Read again from the head (a replay failed). */
void spool_rewind(struct spool *sp);

/* Records not acknowledged; records appended but not read yet. */
uint64_t spool_pending(const struct spool *sp);
bool spool_unread(const struct spool *sp);

/* fsync when the interval policy is due (call now and then). */
void spool_tick(struct spool *sp, uint64_t now_ms);
/* fsync now (shutdown). */
int spool_sync(struct spool *sp);

void spool_get_stats(const struct spool *sp, struct spool_stats *out);

/* CRC32C (Castagnoli), as the records use it. */
uint32_t spool_crc32c(uint32_t crc, const void *data, size_t len);

#endif
