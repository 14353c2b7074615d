/*
 * capture/pcap: the libpcap backend of capture_ops.
 *
 * One handle serves both uses: a capture file (-r, pcap or pcapng, read
 * with microsecond timestamps whatever the file's precision) and a live
 * interface (-i, promiscuous, snaplen, kernel buffer size, BPF filter).
 * libpcap reuses its buffer on every read, so rx_burst returns one packet
 * and the dispatcher copies it into a worker batch before asking for the
 * next: one copy from libpcap's buffer, none in the backend.
 *
 * A live handle uses the kernel's block ring (TPACKET_V3 on Linux: packets
 * packed back to back, so a 64-byte packet takes 64 bytes of the buffer,
 * not a snaplen-sized slot as in immediate mode) with a 2 ms block timeout,
 * so a packet reaches us within milliseconds: early detection beats
 * batching. The handle is non-blocking: rx_burst returns 0 at once when
 * nothing is ready, the dispatcher hands partial batches over, and only
 * then waits in poll() (the `wait` op) with a timeout of its own, since
 * libpcap's read timeout does not fire on a silent Linux link. So the
 * capture loop also wakes regularly to honour --exit-idle and stop
 * requests.
 *
 * pcap_stats() counters are 32-bit on Linux and wrap after 2^32 packets;
 * stats accumulates their differences in 64 bits so totals never go back.
 *
 * A file can be read several times (pcap-file.loop, for benchmarks): each
 * pass reopens it and shifts timestamps past the previous pass, so time
 * only moves forward for the flow table, as with tcpreplay --loop.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/capture.h"

struct capture {
	pcap_t *pcap;
	bool live;
	int fd;                /* live: selectable descriptor */
	volatile sig_atomic_t interrupted; /* set from a signal handler */
	const char *file;
	const char *bpf;
	unsigned loops_left;   /* file passes still to read after this one */
	uint64_t ts_shift;     /* added to this pass's timestamps */
	uint64_t first_ts, last_ts; /* shifted times seen in this pass */
	char err[PCAP_ERRBUF_SIZE + 64];
	uint64_t packets, bytes;
	/* last raw pcap_stats values and their 64-bit running totals */
	uint32_t raw_recv, raw_drop, raw_ifdrop;
	uint64_t recv, drop, ifdrop;
};

static int set_filter(struct capture *c, const char *bpf, char *errbuf, size_t errlen)
{
	struct bpf_program prog;

	if (!bpf || !*bpf)
		return 0;
	if (pcap_compile(c->pcap, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, errlen, "bad BPF filter '%s': %s", bpf,
			 pcap_geterr(c->pcap));
		return -EINVAL;
	}
	if (pcap_setfilter(c->pcap, &prog) < 0) {
		snprintf(errbuf, errlen, "cannot set BPF filter: %s",
			 pcap_geterr(c->pcap));
		pcap_freecode(&prog);
		return -EINVAL;
	}
	pcap_freecode(&prog);
	return 0;
}

static int open_live(struct capture *c, const struct capture_config *cfg,
		     char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	int rc;

	c->pcap = pcap_create(cfg->iface, perr);
	if (!c->pcap) {
		snprintf(errbuf, errlen, "%s: %s", cfg->iface, perr);
		return -ENODEV;
	}
	pcap_set_snaplen(c->pcap, cfg->snaplen > 0 ? cfg->snaplen : 262144);
	pcap_set_promisc(c->pcap, cfg->promisc ? 1 : 0);
	pcap_set_timeout(c->pcap, 2);
	if (cfg->buffer_size > 0)
		pcap_set_buffer_size(c->pcap, cfg->buffer_size);
	rc = pcap_activate(c->pcap);
	if (rc < 0) {
		snprintf(errbuf, errlen, "%s: %s%s", cfg->iface,
			 pcap_statustostr(rc),
			 rc == PCAP_ERROR_PERM_DENIED ? " (run as root or grant CAP_NET_RAW)" : "");
		if (rc == PCAP_ERROR)
			snprintf(errbuf, errlen, "%s: %s", cfg->iface, pcap_geterr(c->pcap));
		return -EIO;
	}
	if (pcap_setnonblock(c->pcap, 1, perr) < 0) {
		snprintf(errbuf, errlen, "%s: cannot set non-blocking mode: %s",
			 cfg->iface, perr);
		return -EIO;
	}
	c->fd = pcap_get_selectable_fd(c->pcap);
	c->live = true;
	return 0;
}

static int pcap_backend_open(const struct capture_config *cfg, struct capture **out,
			     char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c;
	int rc = 0;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	if (cfg->file) {
		c->file = cfg->file;
		c->bpf = cfg->bpf;
		c->loops_left = cfg->loops > 1 ? cfg->loops - 1 : 0;
		c->pcap = pcap_open_offline_with_tstamp_precision(
			cfg->file, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (!c->pcap) {
			snprintf(errbuf, errlen, "%s: %s", cfg->file, perr);
			rc = -ENOENT;
		}
	} else if (cfg->iface) {
		rc = open_live(c, cfg, errbuf, errlen);
	} else {
		snprintf(errbuf, errlen, "no capture file or interface given");
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = set_filter(c, cfg->bpf, errbuf, errlen);
	if (rc < 0) {
		if (c->pcap)
			pcap_close(c->pcap);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static int pcap_backend_rx_burst(struct capture *c, unsigned queue,
				 struct capture_pkt *pkts, unsigned max)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	(void)queue;
	if (max == 0)
		return 0;
	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u +
			      (uint64_t)h->ts.tv_usec + c->ts_shift;
		if (!c->first_ts)
			c->first_ts = ts;
		if (ts > c->last_ts)
			c->last_ts = ts;
		pkts[0].data = data;
		pkts[0].caplen = h->caplen;
		pkts[0].wirelen = h->len;
		pkts[0].ts_us = ts;
		c->packets++;
		c->bytes += h->len;
		return 1;
	}
	if (rc == 0)
		return 0;                 /* live read timeout */
	if (rc == PCAP_ERROR_BREAK && c->file && c->loops_left && !c->interrupted) {
		/* next pass: reopen, and start one second after this pass's
		 * last packet */
		char perr[PCAP_ERRBUF_SIZE] = "";
		pcap_t *np = pcap_open_offline_with_tstamp_precision(
			c->file, PCAP_TSTAMP_PRECISION_MICRO, perr);
		if (!np) {
			snprintf(c->err, sizeof(c->err), "%s: %s", c->file, perr);
			return CAPTURE_ERROR;
		}
		pcap_close(c->pcap);
		c->pcap = np;
		if (set_filter(c, c->bpf, c->err, sizeof(c->err)) < 0)
			return CAPTURE_ERROR;
		c->loops_left--;
		if (c->first_ts)
			c->ts_shift += c->last_ts - c->first_ts + 1000000u;
		c->first_ts = 0;
		return 0;
	}
	if (rc == PCAP_ERROR_BREAK)
		return CAPTURE_EOF;       /* file end, or pcap_breakloop */
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->pcap));
	return CAPTURE_ERROR;
}

static int pcap_backend_stats(struct capture *c, struct capture_stats *st)
{
	struct pcap_stat ps;

	memset(st, 0, sizeof(*st));
	st->packets = c->packets;
	st->bytes = c->bytes;
	if (c->live && pcap_stats(c->pcap, &ps) == 0) {
		/* unsigned 32-bit differences survive one wrap between calls */
		c->recv += (uint32_t)(ps.ps_recv - c->raw_recv);
		c->drop += (uint32_t)(ps.ps_drop - c->raw_drop);
		c->ifdrop += (uint32_t)(ps.ps_ifdrop - c->raw_ifdrop);
		c->raw_recv = ps.ps_recv;
		c->raw_drop = ps.ps_drop;
		c->raw_ifdrop = ps.ps_ifdrop;
		st->kernel_packets = c->recv;
		st->kernel_drops = c->drop;
		st->kernel_ifdrops = c->ifdrop;
	} else if (!c->live) {
		/* a file has no kernel: everything read was "received" */
		st->kernel_packets = c->packets;
	}
	return 0;
}

static int pcap_backend_linktype(const struct capture *c)
{
	return pcap_datalink(c->pcap);
}

static void pcap_backend_wait(struct capture *c, int timeout_ms)
{
	struct pollfd pfd;

	if (!c->live || c->fd < 0)
		return;
	/* an interrupted poll just returns to the caller's loop */
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	poll(&pfd, 1, timeout_ms);
}

/* From a signal handler. A file is read until the caller sees its stop
 * flag, one packet later, and may be reopened by pcap-file.loop, so only a
 * live handle (never replaced) is touched here. */
static void pcap_backend_interrupt(struct capture *c)
{
	c->interrupted = true;
	if (c->live)
		pcap_breakloop(c->pcap);
}

static const char *pcap_backend_error(const struct capture *c)
{
	return c->err;
}

static void pcap_backend_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	free(c);
}

const struct capture_ops capture_pcap_ops = {
	.name = "pcap",
	.open = pcap_backend_open,
	.rx_burst = pcap_backend_rx_burst,
	.stats = pcap_backend_stats,
	.linktype = pcap_backend_linktype,
	.wait = pcap_backend_wait,
	.interrupt = pcap_backend_interrupt,
	.error = pcap_backend_error,
	.close = pcap_backend_close,
};
