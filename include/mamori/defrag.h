/*
 * defrag: IPv4 and IPv6 fragment reassembly, one table per worker.
 *
 * The dispatcher hashes fragments on their addresses only, so every
 * fragment of a datagram reaches one worker; each worker owns a `struct
 * defrag` and nothing in it is shared. The reassembled datagram may belong
 * to another worker's flow; the worker then hands it over (fwd.h). Everything is allocated by
 * defrag_create() (trackers, fragment descriptors, fixed-size data chunks,
 * the reassembly scratch), so defrag_packet() never allocates, locks or
 * makes a system call. Memory is bounded by defrag.memcap; a full table or
 * pool drops the fragment and counts it, it never evicts a live datagram.
 *
 * A worker calls defrag_packet() for each decoded packet with PKT_FRAGMENT
 * set. It returns 1 when the fragment completed a datagram: `out` then holds
 * the reassembled IP datagram from its IP header on, with no link layer
 * (IPv4: total length and fragment fields fixed, checksum recomputed; IPv6:
 * the fragment header removed, payload length and the preceding next-header
 * fixed). Decode it with linktype LINKTYPE_RAW (the first nibble says which
 * IP version) and then call defrag_restore_context() so the decoded packet
 * carries the VLAN ids and time of the fragment that completed it (the flow
 * key includes the VLAN). The L2 header is not prepended on purpose: a
 * tunnel or PPPoE header in front would still carry the fragment's length
 * and the decoder would cut the datagram to it. Tunnel layers of the
 * fragment are not carried over, and a tunnel's outer addresses are not in
 * the key. A reassembled datagram that decodes as a fragment again (a
 * fragment header inside the first fragment's payload) should not be
 * offered again: targets refuse nested fragmentation (the victim in
 * suricata-verify's ipv6-malformed-fragments-35 answers with a Parameter
 * Problem), and recursion would have no bound.
 *
 * Overlaps are resolved by defrag.policy (Suricata's and Snort's target
 * policies, see enum defrag_policy), and every anomaly an evasion relies on
 * is counted in struct defrag_stats; the Suricata decoder events that
 * exist for them (ipv4.frag_overlap, ...) are reported per call by
 * defrag_events().
 */
#ifndef MAMORI_DEFRAG_H
#define MAMORI_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori/decode.h"

/* Largest reassembled datagram: an IPv4 datagram is at most 65535 bytes;
 * an IPv6 payload (without jumbograms) 65535 after the 40-byte header. */
#define DEFRAG_OUT_MAX (40u + 65535u)

/*
 * Which copy of an overlapping byte the target keeps. Names and meanings
 * are Suricata's (defrag.c, host-os-policy) and Snort's frag3/stream_ip,
 * from Novak, "Target-Based Fragmentation Reassembly" (2005); the
 * per-pair rule (new fragment N against the fragment O that holds the byte
 * now, by their whole extents) is:
 *   first     O always
 *   last      N always
 *   bsd       N when N starts before O                     (Suricata default)
 *   bsd-right N when N ends after O, or ends with O and starts at or before O
 *   linux     N when N starts at or before O
 *   windows   N when N starts before O and ends after it
 *   solaris   N when N starts before O and ends at or after its end
 */
enum defrag_policy {
	DEFRAG_POLICY_FIRST,
	DEFRAG_POLICY_LAST,
	DEFRAG_POLICY_BSD,
	DEFRAG_POLICY_BSD_RIGHT,
	DEFRAG_POLICY_LINUX,
	DEFRAG_POLICY_WINDOWS,
	DEFRAG_POLICY_SOLARIS,
	DEFRAG_POLICY_MAX
};

/* "bsd", ...; NULL when out of range. */
const char *defrag_policy_name(enum defrag_policy pol);
/* Parse a policy name, or one of host-os-policy's operating system names
 * (old-linux, old-solaris, hpux10, hpux11, irix, macos, vista,
 * windows2k3) mapped as Suricata does; returns 0 or -1. */
int defrag_policy_parse(const char *name, enum defrag_policy *out);

struct defrag_config {
	uint64_t memcap;          /* defrag.memcap, all workers together */
	uint32_t hash_size;       /* defrag.hash-size, all workers together */
	uint32_t trackers;        /* defrag.trackers: datagrams held at once */
	uint32_t max_frags;       /* defrag.max-frags: fragments held at once */
	bool prealloc;            /* defrag.prealloc: touch the tables at start */
	uint32_t timeout;         /* defrag.timeout, seconds */
	enum defrag_policy policy;  /* defrag.policy */
	uint32_t max_frags_per_datagram; /* defrag.max-frags-per-datagram */
	uint32_t min_frag_size;   /* defrag.min-frag-size: tiny below (0 = off) */
	uint32_t seed;            /* hash seed (0 in tests, random in the sensor) */
};

/* Suricata's defaults: 32mb, 65536, 65535, 65535, yes, 60 s, bsd; plus 256
 * fragments per datagram and the tiny-size check off. */
void defrag_config_default(struct defrag_config *cfg);

/*
 * Per-worker counters; summed over workers for the stats record. All are
 * counts except trackers_active and chunks_used (gauges). The first six
 * are Suricata's defrag.ipv{4,6}.{fragments,reassembled,timeouts}, and
 * memcap its defrag.max_frag_hits; the others are mamori's.
 */
struct defrag_stats {
	uint64_t ipv4_fragments;   /* fragments offered */
	uint64_t ipv6_fragments;
	uint64_t ipv4_reassembled; /* datagrams completed */
	uint64_t ipv6_reassembled;
	uint64_t ipv4_timeouts;    /* datagrams that never completed in time */
	uint64_t ipv6_timeouts;
	uint64_t overlaps;         /* fragments overlapping bytes already held */
	uint64_t overlaps_diff;    /* ... with different bytes (an evasion) */
	uint64_t tiny;             /* first fragment without a whole L4 header, or
				    * a non-last one under min-frag-size */
	uint64_t too_many_frags;   /* datagram dropped: max-frags-per-datagram */
	uint64_t after_last;       /* data past the end the last fragment set,
				    * or a second, different last fragment */
	uint64_t too_large;        /* would end past 65535 bytes */
	uint64_t invalid;          /* bad length (not a multiple of 8 before
				    * the last), no data, unparsable header */
	uint64_t truncated;        /* fragment cut by the snap length */
	uint64_t tracker_full;     /* no tracker free: fragment dropped */
	uint64_t memcap;           /* no fragment or data memory: dropped */
	uint64_t dropped;          /* fragments not held, for any of the above */
	uint64_t trackers_active;  /* gauge */
	uint64_t chunks_used;      /* gauge: data chunks in use */
};

void defrag_stats_add(struct defrag_stats *dst, const struct defrag_stats *src);

struct defrag;

/*
 * Create one worker's table: its share (1/nworkers) of memcap, hash_size,
 * trackers and max_frags. Returns NULL with a message in err (e.g. a
 * memcap too small for the tracker and fragment counts) on failure.
 */
struct defrag *defrag_create(const struct defrag_config *cfg, unsigned nworkers,
			     char *err, size_t errlen);
void defrag_destroy(struct defrag *d);

/* Bytes this table took at creation: its share of defrag.memcap plus a
 * reassembly scratch of about 130 KiB outside it. */
uint64_t defrag_memory(const struct defrag *d);

/*
 * Offer a decoded fragment (PKT_FRAGMENT) at packet time now_us. *out_len
 * holds the capacity of out on entry (DEFRAG_OUT_MAX always suffices).
 * Returns 1 when the datagram is complete (out[0..*out_len) is it), 0 when
 * the fragment is held, or a negative errno when it was dropped, counted:
 * -EINVAL malformed, truncated or contradicting the datagram, -EFBIG past
 * 65535 bytes, -ENOBUFS too many fragments, -ENOSPC no tracker or memory,
 * -EMSGSIZE out too small.
 */
int defrag_packet(struct defrag *d, const struct packet *p, uint64_t now_us,
		  uint8_t *out, uint32_t *out_len);

/* The decoder events (ipv4.frag_overlap, ...) the last defrag_packet() call
 * raised: up to max of them into ev; returns how many were raised. */
unsigned defrag_events(const struct defrag *d, enum decode_event *ev, unsigned max);

/* Copy the link-layer context of the fragment that completed a datagram
 * (VLAN ids and counts, MPLS count, time) into the decoded datagram rp,
 * and mark it PKT_REASSEMBLED (flow:only_frag / no_frag). */
void defrag_restore_context(struct packet *rp, const struct packet *frag);

/* Expire datagrams idle for defrag.timeout at time now_us, at most max of
 * them (oldest first); returns how many. Call between batches. */
unsigned defrag_sweep(struct defrag *d, uint64_t now_us, unsigned max);

const struct defrag_stats *defrag_stats(const struct defrag *d);

#endif
