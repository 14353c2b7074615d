/*
 * capture/dpdk: the DPDK backend of capture_ops (builds with HAVE_DPDK).
 *
 * One port, passive (no TX queue is ever used), one RX queue per worker.
 * With several queues the port spreads packets by RSS with a symmetric
 * Toeplitz key (0x6D5A repeated: hashing (a, b) and (b, a) gives the same
 * value, so both directions of a flow reach one queue) over IPv4/IPv6 and
 * TCP/UDP ports, masked by what the driver offers (a warning names what is
 * missing). Each worker polls its own queue on its own EAL lcore and runs
 * the pipeline on the mbuf data: no copy, no dispatcher (one worker too,
 * given a worker lcore). A port offering fewer queues than workers gets
 * one queue, read by the main lcore and dispatched in software
 * (dispatch.c) like libpcap; so does a single worker on an EAL with only
 * the main lcore.
 *
 * rx_burst keeps the mbufs of the last rte_eth_rx_burst in the queue and
 * hands out pointers into their data; they are freed together with
 * rte_pktmbuf_free_bulk when the caller asks for more and all were handed
 * out (and at close), the only place mbufs are freed.
 *
 * Multi-segment mbufs (jumbo frames on a port with RX scatter) are copied
 * into a per-queue buffer of the port's largest frame, since the decoder
 * wants contiguous bytes; that buffer holds one packet, so a burst handed
 * out ends after a linearised packet. They are counted (capture.multiseg);
 * a packet longer than the buffer is decoded truncated and counted
 * (capture.truncated).
 *
 * Time: the wall clock, read once per burst, except for net_pcap, whose
 * mbufs carry the capture file's timestamps: replaying a file through the
 * vdev then ages flows by packet time, exactly as -r does.
 *
 * Mempool: one per port on the port's NUMA socket, sized for every RX
 * descriptor of every queue plus a burst in flight per queue plus the
 * per-lcore caches, rounded up to 2^n - 1 (the ring's best size), unless
 * dpdk.mempool-size says otherwise (net_pcap's infinite_rx keeps the whole
 * file in mbufs).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>

#include "config.h"
#include "mamori/capture.h"
#include "mamori/clock.h"
#include "mamori/log.h"
#include "mamori/rss.h"

#define DPDK_BURST 32
#define DPDK_MAX_QUEUES 256
#define DLT_EN10MB_ 1
/* Bytes of an Ethernet frame beyond its MTU: header, two VLAN tags, FCS. */
#define FRAME_OVERHEAD (14 + 8 + 4)

struct dpdk_queue {
	_Alignas(64) struct rte_mbuf *m[DPDK_BURST];
	uint16_t n, pos;          /* received, handed out */
	uint16_t port, qid;
	unsigned lcore;           /* worker lcore polling it (multi-queue) */
	uint8_t *linbuf;          /* multi-segment packets are copied here */
	uint32_t linlen;
	/* written by the queue's thread only; stats reads them relaxed */
	uint64_t packets, bytes, multiseg, truncated;
};

struct capture {
	uint16_t port;
	bool started;
	bool packet_time;         /* net_pcap: the mbufs carry file times */
	int ts_off;               /* timestamp dynfield offset, -1 none */
	uint64_t ts_flag;
	unsigned nq;
	struct rte_mempool *pool;
	struct dpdk_queue *q;     /* nq */
	bool rss_known;           /* rss says which queue a flow reaches */
	struct rss_model rss;
	char name[RTE_ETH_NAME_MAX_LEN];
	char err[256];
};

static bool eal_ready;

int capture_dpdk_eal_init(int argc, char **argv, char *errbuf, size_t errlen)
{
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		snprintf(errbuf, errlen, "EAL initialisation failed: %s",
			 rte_strerror(rte_errno));
		return -EINVAL;
	}
	eal_ready = true;
	if (n + 1 < argc) {
		snprintf(errbuf, errlen, "unexpected EAL argument '%s'", argv[n + 1]);
		return -EINVAL;
	}
	return 0;
}

void capture_dpdk_eal_cleanup(void)
{
	if (eal_ready)
		rte_eal_cleanup();
	eal_ready = false;
}

unsigned capture_dpdk_worker_lcores(void)
{
	unsigned n = rte_lcore_count();

	return n > 0 ? n - 1 : 0;
}

unsigned capture_dpdk_queues(const struct capture *c)
{
	return c->nq;
}

bool capture_dpdk_packet_time(const struct capture *c)
{
	return c->packet_time;
}

struct launch_arg {
	void *(*fn)(void *);
	void *arg;
};

/* A worker lcore runs one queue's loop: the argument outlives the call
 * (it lives in the queue). */
static struct launch_arg launch_args[DPDK_MAX_QUEUES];

static int lcore_entry(void *arg)
{
	struct launch_arg *la = arg;

	la->fn(la->arg);
	return 0;
}

int capture_dpdk_launch(struct capture *c, unsigned q, void *(*fn)(void *), void *arg)
{
	int rc;

	if (q >= c->nq || capture_dpdk_worker_lcores() < c->nq)
		return -EINVAL;
	launch_args[q].fn = fn;
	launch_args[q].arg = arg;
	rc = rte_eal_remote_launch(lcore_entry, &launch_args[q], c->q[q].lcore);
	return rc < 0 ? rc : 0;
}

void capture_dpdk_wait(struct capture *c, unsigned q)
{
	if (q < c->nq)
		rte_eal_wait_lcore(c->q[q].lcore);
}

/* A port by its name (vdev "net_pcap0" or PCI "0000:01:00.0", also
 * "01:00.0"); "" takes the only port there is. */
static int find_port(const char *name, uint16_t *port, char *errbuf, size_t errlen)
{
	char full[RTE_ETH_NAME_MAX_LEN], list[512] = "";
	uint16_t pid, n = 0;
	size_t used = 0;

	RTE_ETH_FOREACH_DEV(pid) {
		char pn[RTE_ETH_NAME_MAX_LEN];

		if (rte_eth_dev_get_name_by_port(pid, pn) == 0 && used < sizeof(list) - 2)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 n ? ", " : "", pn);
		n++;
	}
	if (used >= sizeof(list))
		used = sizeof(list) - 1;
	if (!name || !*name) {
		if (n == 1) {
			RTE_ETH_FOREACH_DEV(pid) {
				*port = pid;
				return 0;
			}
		}
		snprintf(errbuf, errlen, n ? "%u ports (%s): name one in dpdk.port" :
			 "no DPDK port: bind a NIC to vfio-pci and allow it (-a PCI), "
			 "or give --vdev (a vdev that failed to start, as the EAL "
			 "says above, is no port)", n, list);
		return -ENODEV;
	}
	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return 0;
	snprintf(full, sizeof(full), "0000:%s", name);
	if (rte_eth_dev_get_port_by_name(full, port) == 0)
		return 0;
	snprintf(errbuf, errlen, "no DPDK port '%s' (ports: %s)", name,
		 n ? list : "none");
	return -ENODEV;
}

static const struct {
	uint64_t bit;
	const char *name;
} rss_names[] = {
	{ RTE_ETH_RSS_IPV4, "ipv4" },
	{ RTE_ETH_RSS_FRAG_IPV4, "ipv4-frag" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_TCP, "ipv4-tcp" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_UDP, "ipv4-udp" },
	{ RTE_ETH_RSS_NONFRAG_IPV4_OTHER, "ipv4-other" },
	{ RTE_ETH_RSS_IPV6, "ipv6" },
	{ RTE_ETH_RSS_FRAG_IPV6, "ipv6-frag" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_TCP, "ipv6-tcp" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_UDP, "ipv6-udp" },
	{ RTE_ETH_RSS_NONFRAG_IPV6_OTHER, "ipv6-other" },
};

#define RSS_WANTED (RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | \
		    RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP | \
		    RTE_ETH_RSS_NONFRAG_IPV4_OTHER | RTE_ETH_RSS_IPV6 | \
		    RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_TCP | \
		    RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_NONFRAG_IPV6_OTHER)

/* The symmetric key (0x6D5A repeated) and the hash types the port takes. */
static void setup_rss(struct capture *c, const struct rte_eth_dev_info *di,
		      struct rte_eth_conf *conf, uint8_t *key, size_t keymax)
{
	uint64_t hf = RSS_WANTED & di->flow_type_rss_offloads;
	size_t klen = di->hash_key_size ? di->hash_key_size : 40;
	char missing[256] = "";
	size_t used = 0;

	if (klen > keymax)
		klen = keymax;
	for (size_t i = 0; i < klen; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
	conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf->rx_adv_conf.rss_conf.rss_key = key;
	conf->rx_adv_conf.rss_conf.rss_key_len = (uint8_t)klen;
	conf->rx_adv_conf.rss_conf.rss_hf = hf;
	if (hf == 0) {
		/* net_pcap with several rx_pcap streams, for one */
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
		log_warn("dpdk: %s (%s) offers no RSS: each queue gets what the port "
			 "puts on it, and a flow split across queues is tracked by "
			 "two workers", c->name, di->driver_name);
		return;
	}
	for (size_t i = 0; i < sizeof(rss_names) / sizeof(rss_names[0]); i++)
		if (!(hf & rss_names[i].bit) && used < sizeof(missing))
			used += (size_t)snprintf(missing + used, sizeof(missing) - used,
						 "%s%s", used ? " " : "", rss_names[i].name);
	if (used)
		log_warn("dpdk: %s (%s) cannot hash %s with RSS: those packets go to "
			 "queues by what the port can hash, which may split their flows",
			 c->name, di->driver_name, missing);
}

static uint32_t rss_types(uint64_t hf)
{
	static const struct {
		uint64_t bit;
		uint32_t type;
	} map[] = {
		{ RTE_ETH_RSS_IPV4, RSS_IPV4 },
		{ RTE_ETH_RSS_FRAG_IPV4, RSS_IPV4_FRAG },
		{ RTE_ETH_RSS_NONFRAG_IPV4_TCP, RSS_IPV4_TCP },
		{ RTE_ETH_RSS_NONFRAG_IPV4_UDP, RSS_IPV4_UDP },
		{ RTE_ETH_RSS_NONFRAG_IPV4_OTHER, RSS_IPV4_OTHER },
		{ RTE_ETH_RSS_IPV6, RSS_IPV6 },
		{ RTE_ETH_RSS_FRAG_IPV6, RSS_IPV6_FRAG },
		{ RTE_ETH_RSS_NONFRAG_IPV6_TCP, RSS_IPV6_TCP },
		{ RTE_ETH_RSS_NONFRAG_IPV6_UDP, RSS_IPV6_UDP },
		{ RTE_ETH_RSS_NONFRAG_IPV6_OTHER, RSS_IPV6_OTHER },
	};
	uint32_t t = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (hf & map[i].bit)
			t |= map[i].type;
	return t;
}

/*
 * After start, with several queues: what decides the queue of a packet, so
 * that a worker can hand a reassembled datagram to the worker of its
 * flow's queue (fwd.h). The RETA is programmed explicitly (entry i to
 * queue i % queues) and read back, and the key and hash types are read
 * back where the driver tells them. A port without RSS (net_pcap) fills
 * its queues some other way: with dpdk.assume-rss they were filled as
 * mamori's RSS would (tools/pcap-split-flows --rss), else the queue of a
 * flow is unknown and a datagram stays with the worker that reassembled
 * it.
 */
static void learn_rss(struct capture *c, const struct rte_eth_dev_info *di,
		      const struct rte_eth_conf *conf, bool assume)
{
	struct rte_eth_rss_reta_entry64 reta[RSS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rc;
	uint8_t key[RSS_KEY_MAX];
	uint32_t size = di->reta_size;
	bool programmed;
	int rc1, rc2;

	if (conf->rxmode.mq_mode != RTE_ETH_MQ_RX_RSS) {
		if (assume) {
			rss_model_default(&c->rss, 40, RSS_ALL, 128, c->nq);
			c->rss_known = true;
			log_info("dpdk: %s: no RSS; dpdk.assume-rss: its queues are taken as "
				 "filled by mamori's symmetric RSS (RETA of 128, all hash types)",
				 c->name);
		} else {
			log_warn("dpdk: %s: no RSS, so the queue of a flow is not known: a "
				 "reassembled datagram is inspected by the worker that "
				 "reassembled it (defrag.forward_unknown; see dpdk.assume-rss)",
				 c->name);
		}
		return;
	}
	if (size == 0 || size > RSS_RETA_MAX || size % RTE_ETH_RETA_GROUP_SIZE) {
		log_warn("dpdk: %s: RSS redirection table of %u entries not supported: a "
			 "reassembled datagram is inspected by the worker that reassembled it",
			 c->name, size);
		return;
	}
	rss_model_default(&c->rss, conf->rx_adv_conf.rss_conf.rss_key_len,
			  rss_types(conf->rx_adv_conf.rss_conf.rss_hf), size, c->nq);
	memcpy(c->rss.key, conf->rx_adv_conf.rss_conf.rss_key,
	       conf->rx_adv_conf.rss_conf.rss_key_len);
	memset(reta, 0, sizeof(reta));
	for (uint32_t i = 0; i < size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % c->nq);
	}
	rc1 = rte_eth_dev_rss_reta_update(c->port, reta, (uint16_t)size);
	programmed = rc1 == 0;
	rc2 = rte_eth_dev_rss_reta_query(c->port, reta, (uint16_t)size);
	if (rc2 == 0) {
		for (uint32_t i = 0; i < size; i++)
			c->rss.reta[i] = reta[i / RTE_ETH_RETA_GROUP_SIZE]
						 .reta[i % RTE_ETH_RETA_GROUP_SIZE];
	} else if (!programmed) {
		log_warn("dpdk: %s: cannot set (%s) or read (%s) the RSS redirection table: "
			 "a reassembled datagram is inspected by the worker that "
			 "reassembled it", c->name, rte_strerror(-rc1), rte_strerror(-rc2));
		return;
	}
	memset(&rc, 0, sizeof(rc));
	rc.rss_key = key;
	rc.rss_key_len = sizeof(key);
	if (rte_eth_dev_rss_hash_conf_get(c->port, &rc) == 0 && rc.rss_key_len >= 16 &&
	    rc.rss_key_len <= RSS_KEY_MAX) {
		memcpy(c->rss.key, key, rc.rss_key_len);
		c->rss.key_len = rc.rss_key_len;
		c->rss.types = rss_types(rc.rss_hf);
	}
	for (uint32_t i = 0; i < size; i++)
		if (c->rss.reta[i] >= c->nq) {
			log_warn("dpdk: %s: RSS redirection table names queue %u of %u: a "
				 "reassembled datagram is inspected by the worker that "
				 "reassembled it", c->name, c->rss.reta[i], c->nq);
			return;
		}
	c->rss_known = true;
	log_info("dpdk: %s: RSS redirection table of %u entries %s", c->name, size,
		 programmed ? "set" : "read");
}

static uint32_t pool_size(unsigned nq, unsigned rx_desc, unsigned cache)
{
	uint64_t need = (uint64_t)nq * (rx_desc + DPDK_BURST) +
			(uint64_t)(rte_lcore_count() + 1) * cache + 1024;
	uint32_t n = 1;

	while (n - 1 < need && n < (1u << 30))
		n <<= 1;
	return n - 1;
}

static void close_port(struct capture *c)
{
	if (c->q) {
		for (unsigned i = 0; i < c->nq; i++) {
			struct dpdk_queue *q = &c->q[i];

			if (q->n > 0)
				rte_pktmbuf_free_bulk(q->m, q->n);
			q->n = q->pos = 0;
			free(q->linbuf);
		}
	}
	if (c->started) {
		rte_eth_dev_stop(c->port);
		rte_eth_dev_close(c->port);
		c->started = false;
	}
	rte_mempool_free(c->pool);
	c->pool = NULL;
	free(c->q);
	c->q = NULL;
}

static void dpdk_close(struct capture *c)
{
	if (!c)
		return;
	close_port(c);
	free(c);
}

static int fail(struct capture *c, char *errbuf, size_t errlen, int err,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(struct capture *c, char *errbuf, size_t errlen, int err,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	dpdk_close(c);
	return err;
}

static void wait_link(struct capture *c, unsigned secs)
{
	struct rte_eth_link link;
	uint64_t end = clock_mono_ns() + (uint64_t)secs * 1000000000u;

	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(c->port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP) {
			log_info("dpdk: %s link up, %u Mbps", c->name, link.link_speed);
			return;
		}
		if (clock_mono_ns() >= end)
			break;
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	log_warn("dpdk: %s: link still down after %u s; capturing anyway", c->name, secs);
}

static int dpdk_open(const struct capture_config *cfg, struct capture **out,
		     char *errbuf, size_t errlen)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	uint8_t key[64];
	struct capture *c;
	unsigned want = cfg->dpdk_queues ? cfg->dpdk_queues : 1, lcore, cache;
	uint32_t frame, room, nmbuf, linlen;
	int socket, rc;
	uint16_t desc;
	char pname[RTE_MEMPOOL_NAMESIZE];

	if (!eal_ready) {
		snprintf(errbuf, errlen, "the EAL is not initialised");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	c->ts_off = -1;
	rc = find_port(cfg->dpdk_port, &c->port, errbuf, errlen);
	if (rc < 0) {
		free(c);
		return -EINVAL;
	}
	rte_eth_dev_get_name_by_port(c->port, c->name);
	rc = rte_eth_dev_info_get(c->port, &di);
	if (rc < 0)
		return fail(c, errbuf, errlen, -EIO, "%s: no device info: %s", c->name,
			    rte_strerror(-rc));
	if (want > DPDK_MAX_QUEUES)
		want = DPDK_MAX_QUEUES;
	if (want > 1 && di.max_rx_queues < want) {
		log_warn("dpdk: %s (%s) offers %u RX queue%s, fewer than the %u workers: "
			 "one queue, dispatched to the workers in software",
			 c->name, di.driver_name, di.max_rx_queues,
			 di.max_rx_queues == 1 ? "" : "s", want);
		want = 1;
	}
	c->nq = want;
	if (want > 1 && capture_dpdk_worker_lcores() < want)
		return fail(c, errbuf, errlen, -EINVAL,
			    "%u workers need %u EAL worker lcores besides the main one, "
			    "the EAL has %u: give the EAL -l/--lcores with more, or fewer "
			    "--workers", want, want, capture_dpdk_worker_lcores());
	c->packet_time = strcmp(di.driver_name, "net_pcap") == 0;

	memset(&conf, 0, sizeof(conf));
	if (cfg->dpdk_mtu) {
		if (cfg->dpdk_mtu < di.min_mtu || cfg->dpdk_mtu > di.max_mtu)
			return fail(c, errbuf, errlen, -EINVAL,
				    "dpdk.mtu %u: %s takes %u..%u", cfg->dpdk_mtu,
				    c->name, di.min_mtu, di.max_mtu);
		conf.rxmode.mtu = cfg->dpdk_mtu;
	}
	frame = (cfg->dpdk_mtu ? cfg->dpdk_mtu : RTE_ETHER_MTU) + FRAME_OVERHEAD;
	room = RTE_MBUF_DEFAULT_BUF_SIZE;
	if (frame + RTE_PKTMBUF_HEADROOM > room) {
		/* jumbo: chains of 2 KiB mbufs where the port scatters, one
		 * big mbuf per frame where it cannot */
		if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		else
			room = frame + RTE_PKTMBUF_HEADROOM;
	}
	if (room > UINT16_MAX)
		return fail(c, errbuf, errlen, -EINVAL,
			    "dpdk.mtu %u: %s cannot scatter frames and an mbuf holds "
			    "at most 64 KiB", cfg->dpdk_mtu, c->name);
	if (want > 1)
		setup_rss(c, &di, &conf, key, sizeof(key));
	/* the largest frame the port may hand us, however many segments
	 * (net_pcap: whatever the file holds, up to 64 KiB) */
	linlen = di.max_rx_pktlen < 65536 ? di.max_rx_pktlen : 65536;
	if (linlen < frame)
		linlen = frame;

	rc = rte_eth_dev_configure(c->port, (uint16_t)want, 0, &conf);
	if (rc < 0)
		return fail(c, errbuf, errlen, -EIO, "%s: cannot configure %u RX queues: %s",
			    c->name, want, rte_strerror(-rc));
	desc = (uint16_t)(cfg->dpdk_rx_desc ? cfg->dpdk_rx_desc : 1024);
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(c->port, &desc, NULL);
	if (rc < 0)
		return fail(c, errbuf, errlen, -EIO, "%s: RX descriptors: %s", c->name,
			    rte_strerror(-rc));
	socket = rte_eth_dev_socket_id(c->port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	cache = RTE_MEMPOOL_CACHE_MAX_SIZE < 256 ? RTE_MEMPOOL_CACHE_MAX_SIZE : 256;
	nmbuf = cfg->dpdk_mbufs ? cfg->dpdk_mbufs : pool_size(want, desc, cache);
	if (cache > nmbuf / 2)
		cache = nmbuf / 2 < RTE_MEMPOOL_CACHE_MAX_SIZE ? nmbuf / 2 : RTE_MEMPOOL_CACHE_MAX_SIZE;
	snprintf(pname, sizeof(pname), "mamori_rx_%u", c->port);
	c->pool = rte_pktmbuf_pool_create(pname, nmbuf, cache, 0, (uint16_t)room, socket);
	if (!c->pool)
		return fail(c, errbuf, errlen, -ENOMEM,
			    "%s: cannot create a mempool of %u mbufs of %u bytes on socket %d "
			    "(%s): more hugepages, or fewer queues/descriptors",
			    c->name, nmbuf, room, socket, rte_strerror(rte_errno));
	c->q = calloc(want, sizeof(*c->q));
	if (!c->q)
		return fail(c, errbuf, errlen, -ENOMEM, "out of memory");
	lcore = rte_get_next_lcore(-1, 1, 0);
	for (unsigned i = 0; i < want; i++) {
		struct dpdk_queue *q = &c->q[i];

		q->port = c->port;
		q->qid = (uint16_t)i;
		q->linlen = linlen;
		q->linbuf = malloc(linlen);
		if (!q->linbuf)
			return fail(c, errbuf, errlen, -ENOMEM, "out of memory");
		if (capture_dpdk_worker_lcores() >= want) {
			q->lcore = lcore;
			if ((int)rte_lcore_to_socket_id(lcore) != socket &&
			    rte_eth_dev_socket_id(c->port) >= 0)
				log_warn("dpdk: lcore %u is on socket %u, %s on socket %d: "
					 "every packet crosses the interconnect",
					 lcore, rte_lcore_to_socket_id(lcore), c->name, socket);
			lcore = rte_get_next_lcore(lcore, 1, 0);
		}
		rc = rte_eth_rx_queue_setup(c->port, (uint16_t)i, desc, (unsigned)socket,
					    NULL, c->pool);
		if (rc < 0)
			return fail(c, errbuf, errlen, -EIO, "%s: RX queue %u: %s", c->name, i,
				    rte_strerror(-rc));
	}
	rc = rte_eth_dev_start(c->port);
	if (rc < 0)
		return fail(c, errbuf, errlen, -EIO, "%s: cannot start: %s", c->name,
			    rte_strerror(-rc));
	c->started = true;
	if (want > 1)
		learn_rss(c, &di, &conf, cfg->dpdk_assume_rss);
	if (cfg->promisc) {
		rc = rte_eth_promiscuous_enable(c->port);
		if (rc < 0 && rc != -ENOTSUP)
			log_warn("dpdk: %s: promiscuous mode: %s", c->name, rte_strerror(-rc));
	}
	if (c->packet_time) {
		uint64_t bit;

		c->ts_off = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, NULL);
		rc = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, NULL);
		bit = rc >= 0 ? 1ull << rc : 0;
		c->ts_flag = bit;
		if (c->ts_off < 0 || !bit)
			c->packet_time = false;
	}
	wait_link(c, cfg->dpdk_link_wait_s);
	log_info("dpdk: %s (%s): %u RX queue%s of %u descriptors, %u mbufs of %u bytes%s",
		 c->name, di.driver_name, want, want == 1 ? "" : "s", desc, nmbuf, room,
		 c->packet_time ? "; packet times from the port" : "");
	*out = c;
	return 0;
}

static inline uint64_t mbuf_time_us(const struct capture *c, const struct rte_mbuf *m,
				    uint64_t wall)
{
	uint64_t t;

	if (!c->packet_time || !(m->ol_flags & c->ts_flag))
		return wall;
	t = *RTE_MBUF_DYNFIELD(m, c->ts_off, const uint64_t *);
	/* net_pcap stamps microseconds (22.11) or nanoseconds (later) since
	 * the epoch; microseconds pass 1e17 only in the year 5138 */
	return t > 100000000000000000ull ? t / 1000u : t;
}

/* Copy a chain into the queue's buffer. */
static uint32_t linearise(struct dpdk_queue *q, const struct rte_mbuf *m)
{
	uint32_t len = 0;

	for (; m && len < q->linlen; m = m->next) {
		uint32_t n = m->data_len;

		if (n > q->linlen - len)
			n = q->linlen - len;
		memcpy(q->linbuf + len, rte_pktmbuf_mtod(m, const uint8_t *), n);
		len += n;
	}
	return len;
}

static int dpdk_rx_burst(struct capture *c, unsigned queue, struct capture_pkt *pkts,
			 unsigned max)
{
	struct dpdk_queue *q = &c->q[queue];
	uint64_t wall, bytes = 0;
	unsigned out = 0;
	bool lin_used = false;

	if (q->pos == q->n) {
		/* every mbuf handed out has been finished with */
		if (q->n)
			rte_pktmbuf_free_bulk(q->m, q->n);
		q->pos = 0;
		q->n = rte_eth_rx_burst(q->port, q->qid, q->m, DPDK_BURST);
		if (q->n == 0)
			return 0;
	}
	wall = c->packet_time ? 0 : clock_wall_us();
	while (q->pos < q->n && out < max) {
		struct rte_mbuf *m = q->m[q->pos];
		struct capture_pkt *p = &pkts[out];

		if (q->pos + 1 < q->n)
			rte_prefetch0(rte_pktmbuf_mtod(q->m[q->pos + 1], void *));
		if (likely(m->nb_segs == 1)) {
			p->data = rte_pktmbuf_mtod(m, const uint8_t *);
			p->caplen = m->data_len;
		} else {
			if (lin_used)
				break;
			lin_used = true;
			p->data = q->linbuf;
			p->caplen = linearise(q, m);
			q->multiseg++;
			if (p->caplen < m->pkt_len)
				q->truncated++;
		}
		p->wirelen = m->pkt_len;
		p->ts_us = mbuf_time_us(c, m, wall);
		bytes += m->pkt_len;
		q->pos++;
		out++;
	}
	__atomic_store_n(&q->packets, q->packets + out, __ATOMIC_RELAXED);
	__atomic_store_n(&q->bytes, q->bytes + bytes, __ATOMIC_RELAXED);
	return (int)out;
}

static int dpdk_stats(struct capture *c, struct capture_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < c->nq; i++) {
		const struct dpdk_queue *q = &c->q[i];

		st->packets += __atomic_load_n(&q->packets, __ATOMIC_RELAXED);
		st->bytes += __atomic_load_n(&q->bytes, __ATOMIC_RELAXED);
		st->multiseg += __atomic_load_n(&q->multiseg, __ATOMIC_RELAXED);
		st->truncated += __atomic_load_n(&q->truncated, __ATOMIC_RELAXED);
	}
	if (c->started && rte_eth_stats_get(c->port, &es) == 0) {
		st->imissed = es.imissed;
		st->ierrors = es.ierrors;
		st->rx_nombuf = es.rx_nombuf;
	}
	return 0;
}

static int dpdk_linktype(const struct capture *c)
{
	(void)c;
	return DLT_EN10MB_;
}

/* rx_burst never blocks: nothing to interrupt */
static void dpdk_interrupt(struct capture *c)
{
	(void)c;
}

static const char *dpdk_error(const struct capture *c)
{
	return c->err;
}

static int dpdk_flow_queue(const struct capture *c, const uint8_t *ip, uint32_t len)
{
	return c->rss_known ? rss_queue(&c->rss, ip, len) : -1;
}

const struct capture_ops capture_dpdk_ops = {
	.name = "dpdk",
	.open = dpdk_open,
	.rx_burst = dpdk_rx_burst,
	.stats = dpdk_stats,
	.linktype = dpdk_linktype,
	.wait = NULL,
	.interrupt = dpdk_interrupt,
	.error = dpdk_error,
	.close = dpdk_close,
	.flow_queue = dpdk_flow_queue,
};
