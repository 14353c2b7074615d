/*
 * app-dump: run the DNS and TLS parsers over a capture and print what
 * they hand to detection, one line per buffer, for comparison with tshark
 * (tests/integration/test_app_parsers.sh).
 *
 *   app-dump FILE
 *
 * prints tab-separated lines:
 *   dns.query      NAME            (requests; names as Suricata prints rrname)
 *   dns.answer     NAME  TYPE      (responses)
 *   tls.sni        SNI
 *   ja3            STRING  HASH
 *   ja3s           STRING  HASH
 *   tls.version    VERSION         (after each ServerHello)
 *   tls.subject    SUBJECT
 *   tls.issuer     ISSUER
 *   event          PROTO  NAME
 *
 * UDP to or from port 53 is DNS, one message per datagram. TCP flows are
 * followed naively: per direction in sequence order, a segment that is not
 * the next expected one (retransmission, reordering) is dropped, which
 * suffices for clean captures; a flow whose first payload passes
 * tls_probe() is TLS, one on port 53 is DNS. The initiator (SYN sender, or
 * first sender) is direction 0. A tool, not the sensor: it allocates per
 * flow.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/decode.h"
#include "mamori/dns.h"
#include "mamori/tls.h"

#define NFLOWS 65536

struct flow {
	bool used;
	uint8_t ip_ver;
	union ip_addr a, b;             /* a: initiator */
	uint16_t pa, pb;
	bool seq_known[2];
	uint32_t next_seq[2];
	enum app_proto proto;           /* UNKNOWN until the first payload */
	bool probed;
	struct dns_state *dns;
	struct tls_state *tls;
};

static struct flow flows[NFLOWS];
static unsigned nflows;
static struct dns_state *udp_dns;
static const char *cur_proto;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "app-dump: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* Print a buffer with tabs and newlines (and other controls) escaped so
 * one record stays one line. */
static void put(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			printf("\\x%02x", p[i]);
		else
			putchar(p[i]);
	}
}

static void put_slice(const struct app_slice *s)
{
	put(s->p, s->len);
}

static void on_inspect(void *arg, const struct app_inspect *in)
{
	const struct app_slice *b = in->buf;

	if (in->proto == APP_PROTO_DNS) {
		const struct app_meta_dns *m = &in->meta->u.dns;
		/* the whole name (meta.rrname is cut to 255 bytes) */
		char name[4 * DNS_NAME_MAX + 1];

		if (b[RULE_BUF_DNS_QUERY].p) {
			dns_name_print(b[RULE_BUF_DNS_QUERY].p,
				       b[RULE_BUF_DNS_QUERY].len, name, sizeof(name));
			printf("dns.query\t%s\n", name);
		}
		if (b[RULE_BUF_DNS_ANSWER_NAME].p) {
			dns_name_print(b[RULE_BUF_DNS_ANSWER_NAME].p,
				       b[RULE_BUF_DNS_ANSWER_NAME].len, name,
				       sizeof(name));
			printf("dns.answer\t%s\t%u\n", name, m->rrtype);
		}
		return;
	}
	if (b[RULE_BUF_TLS_SNI].p) {
		printf("tls.sni\t");
		put_slice(&b[RULE_BUF_TLS_SNI]);
		putchar('\n');
	}
	if (b[RULE_BUF_JA3_STRING].p) {
		printf("ja3\t");
		put_slice(&b[RULE_BUF_JA3_STRING]);
		putchar('\t');
		put_slice(&b[RULE_BUF_JA3_HASH]);
		putchar('\n');
	}
	if (b[RULE_BUF_JA3S_STRING].p) {
		printf("ja3s\t");
		put_slice(&b[RULE_BUF_JA3S_STRING]);
		putchar('\t');
		put_slice(&b[RULE_BUF_JA3S_HASH]);
		printf("\ntls.version\t%s\n", in->meta->u.tls.version);
	}
	if (b[RULE_BUF_TLS_CERT_SUBJECT].p) {
		printf("tls.subject\t");
		put_slice(&b[RULE_BUF_TLS_CERT_SUBJECT]);
		printf("\ntls.issuer\t");
		put_slice(&b[RULE_BUF_TLS_CERT_ISSUER]);
		putchar('\n');
	}
}

static void on_event(void *arg, unsigned ev)
{
	const char *name = strcmp(cur_proto, "dns") == 0 ? dns_event_name(ev)
							 : tls_event_name(ev);

	printf("event\t%s\t%s\n", cur_proto, name ? name : "?");
}

static struct flow *flow_get(const struct packet *p, int *dir)
{
	uint32_t h = packet_flow_hash(p) & (NFLOWS - 1);

	for (unsigned i = 0; i < NFLOWS; i++) {
		struct flow *f = &flows[(h + i) & (NFLOWS - 1)];

		if (!f->used) {
			if (nflows + 1 >= NFLOWS)
				return NULL;
			memset(f, 0, sizeof(*f));
			f->used = true;
			f->ip_ver = p->ip_ver;
			f->a = p->src;
			f->b = p->dst;
			f->pa = p->sport;
			f->pb = p->dport;
			nflows++;
			*dir = 0;
			return f;
		}
		if (f->ip_ver != p->ip_ver)
			continue;
		if (ip_addr_eq(&f->a, &p->src) && ip_addr_eq(&f->b, &p->dst) &&
		    f->pa == p->sport && f->pb == p->dport) {
			*dir = 0;
			return f;
		}
		if (ip_addr_eq(&f->a, &p->dst) && ip_addr_eq(&f->b, &p->src) &&
		    f->pa == p->dport && f->pb == p->sport) {
			*dir = 1;
			return f;
		}
	}
	return NULL;
}

static void tcp_packet(const struct packet *p)
{
	const uint8_t *pl = p->data + p->payload_off;
	uint32_t len = p->payload_off ? p->payload_len : 0;
	struct flow *f;
	int dir;

	f = flow_get(p, &dir);
	if (!f)
		return;
	if ((p->tcp_flags & 0x02) && !(p->tcp_flags & 0x10) && dir == 1 &&
	    !f->probed) {
		/* SYN from the side we took for the responder: swap */
		union ip_addr t = f->a;
		uint16_t tp = f->pa;

		f->a = f->b;
		f->b = t;
		f->pa = f->pb;
		f->pb = tp;
		dir = 0;
	}
	if (p->tcp_flags & 0x02) {
		f->seq_known[dir] = true;
		f->next_seq[dir] = p->tcp_seq + 1;
		return;
	}
	if (len == 0)
		return;
	if (!f->seq_known[dir]) {
		f->seq_known[dir] = true;
		f->next_seq[dir] = p->tcp_seq;
	}
	if (p->tcp_seq != f->next_seq[dir])
		return;         /* retransmission or reordering: naive */
	f->next_seq[dir] += len;
	if (!f->probed) {
		f->probed = true;
		if (tls_probe(pl, len)) {
			f->proto = APP_PROTO_TLS;
			f->tls = malloc(tls_state_size());
			if (!f->tls)
				die("out of memory");
			tls_state_init(f->tls);
		} else if (p->sport == 53 || p->dport == 53) {
			f->proto = APP_PROTO_DNS;
			f->dns = malloc(dns_state_size(true));
			if (!f->dns)
				die("out of memory");
			dns_state_init(f->dns, true);
		}
	}
	if (f->proto == APP_PROTO_TLS && !tls_done(f->tls)) {
		cur_proto = "tls";
		tls_parse(f->tls, dir, pl, len, on_inspect, on_event, NULL);
	} else if (f->proto == APP_PROTO_DNS) {
		cur_proto = "dns";
		dns_parse(f->dns, dir, pl, len, on_inspect, on_event, NULL);
	}
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct decode_config dcfg;
	struct decode_stats ds;
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int rc, lt;

	if (argc != 2)
		die("usage: app-dump FILE");
	pc = pcap_open_offline(argv[1], errbuf);
	if (!pc)
		die("%s: %s", argv[1], errbuf);
	lt = pcap_datalink(pc);
	if (!decode_linktype_supported(lt))
		die("%s: link type %d is not decoded", argv[1], lt);
	decode_config_default(&dcfg);
	memset(&ds, 0, sizeof(ds));
	udp_dns = malloc(dns_state_size(false));
	if (!udp_dns)
		die("out of memory");
	dns_state_init(udp_dns, false);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		struct packet p;

		memset(&p, 0, sizeof(p));
		p.data = d;
		p.caplen = h->caplen;
		p.wirelen = h->len;
		p.linktype = (uint16_t)lt;
		if (decode_packet(&dcfg, &p, &ds) < 0 || p.frag_off || p.frag_mf)
			continue;
		if (p.proto == 17 && p.payload_off &&
		    (p.sport == 53 || p.dport == 53)) {
			cur_proto = "dns";
			dns_parse(udp_dns, p.dport == 53 ? 0 : 1,
				  p.data + p.payload_off, p.payload_len,
				  on_inspect, on_event, NULL);
		} else if (p.proto == 6) {
			tcp_packet(&p);
		}
	}
	if (rc == -1)
		die("%s: %s", argv[1], pcap_geterr(pc));
	pcap_close(pc);
	return 0;
}
