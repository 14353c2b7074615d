/*
 * stream: TCP stream reassembly per flow direction.
 *
 * The caller (the worker) owns one struct stream_pool per worker and
 * embeds one struct stream_dir per direction in its per-flow state; a
 * zeroed stream_dir is a valid, empty direction. Every TCP segment of a
 * direction goes through stream_segment(), which delivers the direction's
 * bytes in sequence order, each byte exactly once, through a callback:
 * retransmitted bytes are never delivered twice, out-of-order segments are
 * held until the bytes before them arrive, and overlapping segments are
 * resolved by a target-based policy (stream.reassembly.policy).
 *
 * Memory: the pool is one array of fixed-size blocks allocated at start
 * from stream.reassembly.memcap (the caller's share for this worker) and
 * recycled through a free list; only out-of-order data is copied into
 * blocks (a segment larger than a block takes several), in-order data is
 * delivered straight from the packet. A direction holds at most
 * stream.reassembly.max-ooo-bytes of blocks. When a segment cannot be held
 * (that bound, or an empty pool), the direction gives up on the missing
 * bytes: it skips to the first data it has (held or in hand) and delivers
 * that with STREAM_GAP, and the blocks go back to the pool as soon as they
 * are delivered. Nothing here allocates, locks or makes a syscall after
 * stream_pool_create().
 *
 * The caller must give a direction's blocks back before its flow's memory
 * is reused: stream_dir_flush() (deliver what is held, then EOF: flow end,
 * or a RST from the other side) or stream_dir_release() (drop it).
 */
#ifndef MAMORI_STREAM_H
#define MAMORI_STREAM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Overlap policies. Each row names the behaviour of a group of TCP stacks
 * as measured by Novak and Sturges, "Target-Based TCP Stream Reassembly"
 * (2007), with the host names Suricata's host-os-policy uses; see
 * stream_policy_from_name() for the aliases and stream.c for the rules.
 */
enum stream_policy {
	STREAM_POLICY_BSD = 0,     /* bsd, windows, windows2k3, hpux10, irix, macos */
	STREAM_POLICY_FIRST,       /* first, vista */
	STREAM_POLICY_LAST,        /* last */
	STREAM_POLICY_LINUX,       /* linux */
	STREAM_POLICY_OLD_LINUX,   /* old-linux */
	STREAM_POLICY_SOLARIS,     /* solaris, hpux11 */
	STREAM_POLICY_MAX
};

/* The policy of a name (case-insensitive); -1 when unknown. */
int stream_policy_from_name(const char *name);
/* Every accepted name, NULL-terminated (the config schema's choices). */
extern const char *const stream_policy_names[];
const char *stream_policy_name(enum stream_policy p);

struct stream_config {
	uint64_t memcap;          /* bytes of blocks for this pool (one worker) */
	uint64_t depth;           /* bytes delivered per direction; 0 = no limit */
	uint64_t max_ooo_bytes;   /* block bytes one direction may hold */
	uint8_t policy;           /* enum stream_policy */
	bool midstream;           /* take up a direction without its SYN */
};

/* stream.reassembly defaults: 64 MiB, 1 MiB depth, 256 KiB out of order, bsd. */
void stream_config_default(struct stream_config *cfg);

/* Anomalies, counted in stream_stats.event[] (stats "stream.event.<name>"). */
enum stream_event {
	STREAM_EV_SYN_WITH_DATA = 0,   /* payload on a SYN (delivered) */
	STREAM_EV_SYN_ISN_CHANGED,     /* another SYN with a different ISN */
	STREAM_EV_NO_SYN,              /* data before a SYN, midstream off */
	STREAM_EV_DATA_AFTER_FIN,      /* bytes at or past the FIN: dropped */
	STREAM_EV_FIN_CHANGED,         /* a second FIN at another sequence */
	STREAM_EV_FIN_INVALID,         /* FIN before data already delivered */
	STREAM_EV_DATA_AFTER_CLOSE,    /* a segment after EOF or RST */
	STREAM_EV_RST_INVALID,         /* RST before the next expected byte */
	STREAM_EV_RST_WITH_DATA,       /* payload on a RST (not delivered) */
	STREAM_EV_OUT_OF_WINDOW,       /* segment 1 GiB or more ahead */
	STREAM_EV_MAX
};

const char *stream_event_name(enum stream_event ev);

/* Per-worker counters (stats record "stream"). */
struct stream_stats {
	uint64_t segments;         /* segments with payload */
	uint64_t bytes_delivered;
	uint64_t retransmissions;  /* segments that brought no new byte */
	uint64_t overlaps;         /* segments overlapping held bytes */
	uint64_t overlap_diff;     /* overlapping bytes that differed */
	uint64_t ooo_segments;     /* segments held for later */
	uint64_t gaps;             /* times bytes were given up */
	uint64_t depth_reached;    /* directions that hit the depth */
	uint64_t pool_exhausted;   /* segments that found no free block */
	uint64_t memuse;           /* block bytes in use now */
	uint64_t memuse_max;       /* high-water mark of memuse */
	uint64_t events;           /* sum of event[] */
	uint64_t event[STREAM_EV_MAX];
};

/* struct stream_dir.flags */
#define STREAM_DIR_INIT       0x01  /* sequence base known */
#define STREAM_DIR_MIDSTREAM  0x02  /* taken up without a SYN */
#define STREAM_DIR_FIN        0x04  /* FIN seen: fin_seq valid */
#define STREAM_DIR_CLOSED     0x08  /* EOF delivered, or RST */
#define STREAM_DIR_RST        0x10
#define STREAM_DIR_DEPTH      0x20  /* depth reached */
#define STREAM_DIR_GAP        0x40  /* next delivery follows missing bytes */
#define STREAM_DIR_DATA       0x80  /* some byte delivered or skipped */

/*
 * One direction (40 bytes). Zero it when the flow starts; the fields are
 * the module's, readable by the caller. Held blocks are a sorted list of
 * non-overlapping ranges, all after next_seq.
 */
struct stream_dir {
	uint64_t offset;       /* stream offset of next_seq (bytes delivered or skipped) */
	uint32_t isn;          /* SYN's sequence (midstream: first seen - 1) */
	uint32_t next_seq;     /* next byte to deliver */
	uint32_t fin_seq;      /* sequence of the FIN (STREAM_DIR_FIN) */
	uint32_t head, tail;   /* held blocks, pool index + 1; 0 = none */
	uint32_t held;         /* block bytes held (against max_ooo_bytes) */
	uint16_t flags;        /* STREAM_DIR_* */
};

/* Delivery flags. */
#define STREAM_GAP 0x01  /* bytes are missing before this data */
#define STREAM_EOF 0x02  /* the direction ended (len 0): FIN reached in
			  * order, RST, or stream_dir_flush() */

typedef void (*stream_deliver_fn)(void *arg, const uint8_t *data, uint32_t len,
				  unsigned flags);

struct stream_pool;

/* Allocate the blocks (memcap / block size of them, at least one).
 * NULL with an error logged when memory is short. */
struct stream_pool *stream_pool_create(const struct stream_config *cfg);
void stream_pool_destroy(struct stream_pool *sp);
const struct stream_stats *stream_pool_stats(const struct stream_pool *sp);
/* Blocks in the pool, and free now. */
uint32_t stream_pool_blocks(const struct stream_pool *sp);
uint32_t stream_pool_free_blocks(const struct stream_pool *sp);
/* Payload bytes one block holds. */
uint32_t stream_block_size(void);

/* TCP flag bits as on the wire (decode.h's TCP_* agree). */
#define STREAM_TH_FIN 0x01
#define STREAM_TH_SYN 0x02
#define STREAM_TH_RST 0x04

/*
 * Feed one segment of direction d: seq and payload as on the wire, the
 * TCP flags byte. Delivers whatever became deliverable, in order, through
 * cb (never after d is closed). Safe on any input.
 */
void stream_segment(struct stream_pool *sp, struct stream_dir *d, uint32_t seq,
		    const uint8_t *data, uint32_t len, uint8_t tcp_flags,
		    stream_deliver_fn cb, void *arg);

/* End d now: deliver the held blocks (each after a hole with STREAM_GAP),
 * then STREAM_EOF unless already closed, and free the blocks. */
void stream_dir_flush(struct stream_pool *sp, struct stream_dir *d,
		      stream_deliver_fn cb, void *arg);

/* Give d's blocks back without delivering them; d is zeroed. */
void stream_dir_release(struct stream_pool *sp, struct stream_dir *d);

void stream_stats_add(struct stream_stats *dst, const struct stream_stats *src);

#endif
