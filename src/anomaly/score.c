/*
 * score: detector scores as pure functions of their features, episodes
 * with hysteresis, and the configuration helpers. A score is the driving
 * feature over its threshold (>= 1 alarms); thresholds come from
 * absolute floors and, for rates, from the EWMA baseline of the entity.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/anomaly.h"

static const char *const det_names[DET_MAX] = {
	[DET_SCAN_VERTICAL] = "scan_vertical",
	[DET_SCAN_HORIZONTAL] = "scan_horizontal",
	[DET_BRUTE_FORCE] = "brute_force",
	[DET_DNS_TUNNEL] = "dns_tunnel",
	[DET_DGA] = "dga",
	[DET_SYN_FLOOD] = "syn_flood",
	[DET_SYNACK_FLOOD] = "synack_flood",
	[DET_UDP_FLOOD] = "udp_flood",
	[DET_ICMP_FLOOD] = "icmp_flood",
};

const char *anomaly_detector_name(enum anomaly_detector d)
{
	return (unsigned)d < DET_MAX ? det_names[d] : "unknown";
}

void anomaly_config_default(struct anomaly_config *c)
{
	memset(c, 0, sizeof(*c));
	c->enabled = true;
	c->memcap = 64u << 20;
	c->ring_size = 8192;
	c->deviations = 6;
	c->scan = true;
	c->scan_window = 60;
	c->scan_slow_window = 900;
	c->scan_min_ports = 20;
	c->scan_min_hosts = 16;
	c->scan_slow_min = 50;
	c->trw_benign = 80;
	c->trw_scanner = 20;
	c->trw_detect = 99;
	c->trw_false = 10;
	c->syn_flood = true;
	c->syn_flood_rate = 100;
	c->udp_flood = true;
	c->udp_flood_rate = 5000;
	c->icmp_flood = true;
	c->icmp_flood_rate = 1000;
	c->brute_force = true;
	c->bf_min_sessions = 10;
	c->bf_window = 600;
	c->bf_max_session = 30;
	c->dns_tunnel = true;
	c->dns_window = 60;
	c->dns_min_names = 30;
	c->dns_min_length = 40;
	c->dga = true;
	c->dga_min_nxdomain = 20;
}

int anomaly_parse_cidr(const char *s, struct anomaly_cidr *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	long plen = -1;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (slash) {
		char *end;
		plen = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1)
			return -1;
	}
	if (inet_pton(AF_INET, buf, out->net.b) == 1) {
		out->ver = 4;
		if (plen < 0)
			plen = 32;
		if (plen > 32)
			return -1;
	} else if (inet_pton(AF_INET6, buf, out->net.b) == 1) {
		out->ver = 6;
		if (plen < 0)
			plen = 128;
		if (plen > 128)
			return -1;
	} else {
		return -1;
	}
	out->plen = (uint8_t)plen;
	/* clear host bits so a match is a masked compare */
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)plen - (int)i * 8;
		uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		out->net.b[i] &= m;
	}
	return 0;
}

bool anomaly_allowed(const struct anomaly_config *c, int ver, const union ip_addr *a)
{
	for (uint32_t k = 0; k < c->nallow; k++) {
		const struct anomaly_cidr *r = &c->allow[k];
		unsigned i;

		if (r->ver != ver)
			continue;
		for (i = 0; i < 16; i++) {
			int bits = (int)r->plen - (int)i * 8;
			uint8_t m = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
			if ((a->b[i] & m) != r->net.b[i])
				break;
		}
		if (i == 16)
			return true;
	}
	return false;
}

enum episode_action episode_step(struct episode *e, float score, uint64_t now_us)
{
	if (score >= 1.0f)
		e->high_us = now_us;
	if (e->reported == 0) {
		if (score < 1.0f)
			return EP_NONE;
		e->reported = score;
		e->updates = 0;
		e->first_us = now_us;
		return EP_ALERT;
	}
	/* escalation: an update each time the score doubles */
	if (score >= 2 * e->reported) {
		e->reported = score;
		e->updates++;
		return EP_UPDATE;
	}
	/* hysteresis: over only when low for a while, so a score hovering
	 * around 1 makes one episode, not a stream of alerts */
	if (score < ANOMALY_LOW && now_us - e->high_us >= (uint64_t)ANOMALY_QUIET_S * 1000000u) {
		e->reported = 0;
		return EP_END;
	}
	return EP_NONE;
}

/* Most attempts answered: a busy client, not a scanner. */
static bool mostly_failing(const struct scan_features *f)
{
	return f->probes >= 4 && (float)f->ok < 0.5f * (float)f->probes;
}

float score_scan_vertical(const struct scan_features *f)
{
	float hosts = f->hosts < 1 ? 1 : f->hosts;

	if (!mostly_failing(f) || f->min_ports <= 0)
		return 0;
	return f->targets / hosts / f->min_ports;
}

float score_scan_horizontal(const struct scan_features *f)
{
	if (!mostly_failing(f) || f->min_hosts <= 0)
		return 0;
	/* many hosts, few ports each: a sweep (one port, or ping) */
	if (f->targets > 4 * f->hosts)
		return 0;
	return f->hosts / f->min_hosts;
}

float score_syn_flood(const struct flood_features *f)
{
	float ports = f->ports < 1 ? 1 : f->ports;

	/* many SYNs to many ports of one host is a port scan, not a flood */
	if (f->threshold <= 0 || f->rate / ports < 10)
		return 0;
	return f->rate / f->threshold;
}

float score_rate(const struct flood_features *f)
{
	return f->threshold > 0 ? f->rate / f->threshold : 0;
}

float score_brute_force(float sessions, float min_sessions)
{
	return min_sessions > 0 ? sessions / min_sessions : 0;
}

float score_dns_tunnel(const struct dns_features *f)
{
	float susp = 0, s;

	if (f->queries <= 0 || f->min_names <= 0)
		return 0;
	if (f->min_length > 0 && (s = f->mean_len / f->min_length) > susp)
		susp = s;
	if ((s = f->tunnel_share / 0.5f) > susp)
		susp = s;
	if ((s = f->entropy_share / 0.5f) > susp)
		susp = s;
	if ((s = f->long_share / 0.5f) > susp)
		susp = s;
	s = f->names / f->min_names;
	/* both: many unique names under one domain, and names or types
	 * that carry data */
	return s < susp ? s : susp;
}

float score_dga(const struct dns_features *f)
{
	if (f->min_nx <= 0 || f->queries <= 0 || f->nx < 0.5f * f->queries)
		return 0;
	return f->nx_domains / f->min_nx;
}
