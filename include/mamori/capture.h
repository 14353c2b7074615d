/*
 * capture: the common interface of packet sources.
 *
 * A backend is a `const struct capture_ops` table (libpcap now, DPDK later).
 * rx_burst hands out packets that point into the backend's own buffers and
 * stay valid until the next rx_burst on the same queue or close: the caller
 * copies or finishes with them before asking for more. A backend may return
 * fewer packets than asked (libpcap returns one at a time, since libpcap
 * reuses its buffer on every read).
 */
#ifndef MAMORI_CAPTURE_H
#define MAMORI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct capture_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_us;
};

struct capture_stats {
	uint64_t packets;         /* handed to us */
	uint64_t bytes;
	uint64_t kernel_packets;  /* pcap_stats ps_recv (live) */
	uint64_t kernel_drops;    /* ps_drop: dropped by the kernel buffer */
	uint64_t kernel_ifdrops;  /* ps_ifdrop: dropped by the interface */
	uint64_t errors;
};

struct capture_config {
	const char *file;         /* -r: pcap or pcapng */
	const char *iface;        /* -i */
	const char *bpf;          /* -f / pcap.bpf-filter */
	int snaplen;
	bool promisc;
	int buffer_size;          /* bytes, 0 = libpcap default */
	int timeout_ms;           /* live read timeout, so idle loops wake */
	unsigned loops;           /* file: read it this many times (0 = 1) */
};

/* rx_burst return values besides a packet count */
#define CAPTURE_EOF   (-1)        /* file ended / source closed */
#define CAPTURE_ERROR (-2)        /* read error (message via errbuf) */

struct capture;

struct capture_ops {
	const char *name;
	int (*open)(const struct capture_config *cfg, struct capture **out,
		    char *errbuf, size_t errlen);
	int (*rx_burst)(struct capture *c, unsigned queue,
			struct capture_pkt *pkts, unsigned max);
	int (*stats)(struct capture *c, struct capture_stats *st);
	int (*linktype)(const struct capture *c);
	/* Block until packets may be there, at most timeout_ms (optional:
	 * a backend whose rx_burst never returns 0 leaves it NULL). */
	void (*wait)(struct capture *c, int timeout_ms);
	void (*interrupt)(struct capture *c);   /* async-signal-safe wake-up */
	const char *(*error)(const struct capture *c);
	void (*close)(struct capture *c);
};

extern const struct capture_ops capture_pcap_ops;

#endif
