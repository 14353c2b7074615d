/*
 * capture: the common interface of packet sources.
 *
 * A backend is a `const struct capture_ops` table: libpcap (capture/pcap.c)
 * and, in builds with DPDK, DPDK (capture/dpdk.c). rx_burst hands out
 * packets that point into the backend's own buffers and stay valid until the
 * next rx_burst on the same queue or close: the caller copies or finishes
 * with them before asking for more. A backend may return fewer packets than
 * asked (libpcap returns one at a time, since libpcap reuses its buffer on
 * every read). Different queues may be read from different threads at once
 * (one thread per queue); one queue from one thread only.
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
	/* DPDK port counters (rte_eth_stats), zero for libpcap */
	uint64_t imissed;         /* dropped by the NIC: RX ring full */
	uint64_t ierrors;         /* erroneous frames the NIC received */
	uint64_t rx_nombuf;       /* dropped: no mbuf in the mempool */
	uint64_t multiseg;        /* multi-segment packets, linearised */
	uint64_t truncated;       /* multi-segment packets longer than the
				   * linearisation buffer: decoded truncated */
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

	/* DPDK (--dpdk); the EAL is initialised before open */
	const char *dpdk_port;    /* port name or PCI address; "" = the only one */
	unsigned dpdk_queues;     /* RX queues wanted (one per worker) */
	unsigned dpdk_rx_desc;    /* RX descriptors per queue */
	unsigned dpdk_mtu;        /* 0: the port's default */
	unsigned dpdk_link_wait_s; /* wait this long for link up at start */
	unsigned dpdk_mbufs;      /* mempool size; 0 = from queues and descriptors */
	bool dpdk_assume_rss;     /* a port without RSS: queues filled as by ours */
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
	/* Optional: the queue the port puts the unfragmented packets of the
	 * flow of an IP datagram on (ip: from its IP header, as reassembled),
	 * or -1 when that is not known. A worker polling its own queue hands
	 * a reassembled datagram to that queue's worker (fwd.h). */
	int (*flow_queue)(const struct capture *c, const uint8_t *ip, uint32_t len);
};

extern const struct capture_ops capture_pcap_ops;

/*
 * DPDK (only in builds with HAVE_DPDK). The EAL is initialised once, before
 * the port is opened: capture_dpdk_eal_init takes the EAL arguments (argv[0]
 * is the program name) and fails with -EINVAL on bad ones. open configures
 * one RX queue per wanted queue when the port offers that many, else one
 * queue (capture_dpdk_queues says which). With a queue per worker and a
 * worker lcore per queue each worker polls its own queue on its lcore
 * (capture_dpdk_launch); otherwise the main lcore reads the one queue and
 * dispatches in software.
 */
#ifdef HAVE_DPDK
extern const struct capture_ops capture_dpdk_ops;

int capture_dpdk_eal_init(int argc, char **argv, char *errbuf, size_t errlen);
/* EAL worker lcores (all lcores but the main one). */
unsigned capture_dpdk_worker_lcores(void);
unsigned capture_dpdk_queues(const struct capture *c);
/* Packet times come from the port (net_pcap replaying a file): flows then
 * age by packet time as with -r, else by the wall clock. */
bool capture_dpdk_packet_time(const struct capture *c);
/* Run fn(arg) on the worker lcore of queue q; wait for it to return. */
int capture_dpdk_launch(struct capture *c, unsigned q, void *(*fn)(void *), void *arg);
void capture_dpdk_wait(struct capture *c, unsigned q);
void capture_dpdk_eal_cleanup(void);
#endif

#endif
