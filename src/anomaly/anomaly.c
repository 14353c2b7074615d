/*
 * anomaly: the scorer thread (see anomaly.h). It owns two tables, sources
 * and victims, allocated once from anomaly.memcap; nothing is allocated
 * after start.
 *
 * Tables: open addressing over a power-of-two array, an entry living in
 * one of PROBE slots after its hash. A new key takes a free slot there;
 * when all are taken it may replace the lightest resident (fewest
 * events, no open episode), but only if a count-min sketch says the
 * newcomer has been seen more often than that resident: a spoofed-source
 * flood of one-packet sources then churns only among its own singletons
 * and cannot push out a scanner, which keeps its entry (the space-saving
 * idea with a count-min filter in front). Replacements and refusals are
 * counted. A dense list of the slots in use lets the one-second tick
 * visit only live entries.
 *
 * Time is the events' time (packet time reading a file, the wall clock
 * live), so a capture replays its detections at their wire times.
 */
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mamori/anomaly.h"
#include "mamori/clock.h"
#include "mamori/eve.h"
#include "mamori/stats.h"

#define PROBE 8
#define SVC_SLOTS 4
#define TICK_US 1000000u
#define ANOMALY_GID 9000
#define FEAT_MAX sizeof(((struct event_anomaly *)0)->features)

struct svc_slot {
	union ip_addr dst;
	uint16_t port;
	uint8_t login, used;
	float sessions;              /* decayed count of short sessions */
	uint64_t last_us;
	uint32_t total;
};

struct src_ent {
	union ip_addr addr;
	uint8_t used, ver;
	uint32_t activity;           /* events (eviction weight) */
	uint32_t list_pos;           /* index in the active list */
	uint64_t first_us, last_us;

	/* scans */
	float trw;
	uint8_t trw_done;            /* TRW said scanner */
	uint32_t probes_total;
	uint32_t probes, ok, pprobes, pok;   /* this and the previous window */
	uint32_t slow_probes, slow_ok;
	uint64_t win_us, slow_us;
	union ip_addr last_dst;
	uint16_t last_port;
	uint8_t last_proto;
	uint8_t seen[32];            /* bloom: targets whose outcome counted */
	uint8_t probed[64];          /* bloom: targets this source probed */
	struct hll tgt[2], host[2], slow, slow_host;

	/* brute force */
	struct svc_slot svc[SVC_SLOTS];

	/* DNS */
	float dq, dlen, dtun, dent, dlong, dnx;
	uint64_t dns_us, dns_win_us;
	uint32_t top_dom, top_cnt;
	uint32_t dns_total;
	union ip_addr dns_server;
	struct hll names[2], nxdom[2], all[2];

	struct episode ep[DET_SRC_MAX];
};

#define VDET (DET_MAX - DET_SRC_MAX)

struct vic_ent {
	union ip_addr addr;
	uint8_t used, ver;
	uint32_t activity;
	uint32_t list_pos;
	uint64_t first_us, last_us;
	uint64_t tick_us;            /* start of the counting interval */
	uint32_t cnt[VDET];          /* this interval: SYN, SYN-ACK, UDP, echo */
	/* the last second in 100 ms buckets: a sliding 1-s rate whatever
	 * the alignment of a short burst to the tick */
	uint32_t bucket[VDET][10];
	uint64_t bucket_no;
	uint64_t total[VDET];        /* during the open episode */
	struct hll srcs, ports;      /* this interval */
	struct ewma base[VDET];
	union ip_addr top_src;       /* majority vote (Boyer-Moore) */
	uint32_t top_cnt;
	uint8_t top_ver;
	uint16_t top_port;
	struct episode ep[VDET];
};

struct table {
	void *slots;
	size_t esz;
	uint32_t cap, mask;
	uint32_t *active, nactive;
	uint64_t seed;
};

struct anomaly {
	struct anomaly_config cfg;
	struct trw_params trw;
	bool live;
	unsigned ntaps;
	struct anomaly_tap *taps;
	struct spsc_ring out;        /* struct event_record -> output */
	struct table src, vic;
	struct cms admit;
	uint64_t now_us, next_tick_us, last_tick_us, last_age_us;
	struct anomaly_stats st;     /* written by the scorer, read relaxed */
	pthread_t thread;
	bool started;
	int stop;                    /* atomic */
};

/* ---- tables ----------------------------------------------------------------- */

static int table_init(struct table *t, size_t esz, uint32_t cap, uint64_t seed)
{
	t->esz = esz;
	t->cap = cap;
	t->mask = cap - 1;
	t->seed = seed;
	t->nactive = 0;
	t->slots = calloc(cap, esz);
	t->active = calloc(cap, sizeof(uint32_t));
	return t->slots && t->active ? 0 : -ENOMEM;
}

static void table_free(struct table *t)
{
	free(t->slots);
	free(t->active);
	t->slots = NULL;
	t->active = NULL;
}

/* Both entry types begin with addr, used, ver, activity, list_pos. */
struct ent_head {
	union ip_addr addr;
	uint8_t used, ver;
	uint32_t activity;
	uint32_t list_pos;
};

static inline struct ent_head *slot(const struct table *t, uint32_t i)
{
	return (struct ent_head *)((char *)t->slots + (size_t)i * t->esz);
}

static void table_release(struct table *t, struct ent_head *e)
{
	uint32_t pos = e->list_pos;
	uint32_t last = t->active[--t->nactive];

	t->active[pos] = last;
	slot(t, last)->list_pos = pos;
	memset(e, 0, t->esz);
}

static bool busy(const struct table *t, const struct ent_head *e)
{
	/* an entry with an open episode is never replaced */
	if (t->esz == sizeof(struct src_ent)) {
		const struct src_ent *s = (const struct src_ent *)e;
		for (unsigned d = 0; d < DET_SRC_MAX; d++)
			if (s->ep[d].reported)
				return true;
	} else {
		const struct vic_ent *v = (const struct vic_ent *)e;
		for (unsigned d = 0; d < VDET; d++)
			if (v->ep[d].reported)
				return true;
	}
	return false;
}

static struct ent_head *table_get(struct anomaly *a, struct table *t, int ver,
				  const union ip_addr *addr, uint64_t now)
{
	uint64_t h = anomaly_hash(addr, sizeof(*addr), t->seed);
	uint32_t i0 = (uint32_t)h & t->mask;
	struct ent_head *free_e = NULL, *light = NULL;
	uint32_t free_i = 0, est;

	for (uint32_t k = 0; k < PROBE; k++) {
		uint32_t i = (i0 + k) & t->mask;
		struct ent_head *e = slot(t, i);

		if (!e->used) {
			if (!free_e) {
				free_e = e;
				free_i = i;
			}
			continue;
		}
		if (e->ver == ver && ip_addr_eq(&e->addr, addr)) {
			e->activity++;
			return e;
		}
		if (!busy(t, e) && (!light || e->activity < light->activity))
			light = e;
	}
	if (!free_e) {
		est = cms_add(&a->admit, h, 1);
		if (!light || est <= light->activity) {
			a->st.rejected++;
			return NULL;
		}
		a->st.evictions++;
		free_i = (uint32_t)(((char *)light - (char *)t->slots) / t->esz);
		table_release(t, light);
		free_e = light;
	}
	free_e->used = 1;
	free_e->ver = (uint8_t)ver;
	free_e->addr = *addr;
	free_e->activity = 1;
	free_e->list_pos = t->nactive;
	t->active[t->nactive++] = free_i;
	if (t->esz == sizeof(struct src_ent)) {
		struct src_ent *s = (struct src_ent *)free_e;
		s->first_us = s->win_us = s->slow_us = s->dns_us = s->dns_win_us = now;
	} else {
		struct vic_ent *v = (struct vic_ent *)free_e;
		v->first_us = v->tick_us = now;
	}
	return free_e;
}

/* ---- alerts ----------------------------------------------------------------- */

static const char *const det_sig[DET_MAX] = {
	[DET_SCAN_VERTICAL] = "MAMORI ANOMALY vertical port scan",
	[DET_SCAN_HORIZONTAL] = "MAMORI ANOMALY horizontal scan / sweep",
	[DET_BRUTE_FORCE] = "MAMORI ANOMALY login brute force",
	[DET_DNS_TUNNEL] = "MAMORI ANOMALY DNS tunnelling",
	[DET_DGA] = "MAMORI ANOMALY DGA-like NXDOMAIN querying",
	[DET_SYN_FLOOD] = "MAMORI ANOMALY SYN flood",
	[DET_SYNACK_FLOOD] = "MAMORI ANOMALY SYN-ACK reflection flood",
	[DET_UDP_FLOOD] = "MAMORI ANOMALY UDP flood",
	[DET_ICMP_FLOOD] = "MAMORI ANOMALY ICMP echo flood",
};

struct alert_args {
	enum anomaly_detector det;
	int ver;
	const union ip_addr *src, *dst;
	uint8_t proto;
	uint16_t dport;
	float score, threshold;
	uint32_t window_s;
	uint64_t probes;
	const struct episode *ep;
	const char *features;
};

static void emit(struct anomaly *a, const struct alert_args *x)
{
	struct event_record *ev = spsc_ring_reserve(&a->out);

	while (!ev && !a->live) {
		struct timespec ts = { 0, 50000 };
		nanosleep(&ts, NULL);
		ev = spsc_ring_reserve(&a->out);
	}
	if (!ev) {
		a->st.alert_drops++;
		return;
	}
	memset(ev, 0, offsetof(struct event_record, payload));
	ev->payload_len = 0;
	ev->type = EVENT_ALERT;
	ev->ip_ver = (uint8_t)x->ver;
	ev->proto = x->proto;
	ev->src = *x->src;
	ev->dst = *x->dst;
	ev->dport = x->dport;
	ev->ts_us = a->now_us;
	ev->alert.gid = ANOMALY_GID;
	ev->alert.sid = 1 + (uint32_t)x->det;
	ev->alert.rev = 1;
	ev->alert.severity = x->det >= DET_SRC_MAX ? 1 : 2;
	snprintf(ev->alert.signature, sizeof(ev->alert.signature), "%s", det_sig[x->det]);
	snprintf(ev->alert.category, sizeof(ev->alert.category), "Anomaly");
	snprintf(ev->anomaly.detector, sizeof(ev->anomaly.detector), "%s",
		 anomaly_detector_name(x->det));
	ev->anomaly.score = x->score;
	ev->anomaly.threshold = x->threshold;
	ev->anomaly.window_s = x->window_s;
	ev->anomaly.update = x->ep->updates;
	ev->anomaly.first_us = x->ep->first_us;
	ev->anomaly.probes = x->probes;
	ev->anomaly.victim = x->det >= DET_SRC_MAX;
	snprintf(ev->anomaly.features, sizeof(ev->anomaly.features), "%s", x->features);
	spsc_ring_commit(&a->out);
	a->st.alerts++;
}

/* Step an episode; alert on its start and on escalation. */
static void judge(struct anomaly *a, struct episode *ep, struct alert_args *x)
{
	enum episode_action act = episode_step(ep, x->score, a->now_us);

	if (act == EP_ALERT || act == EP_UPDATE) {
		x->ep = ep;
		emit(a, x);
	}
}

/* ---- sources: scans ----------------------------------------------------------- */

static uint64_t target_hash(const union ip_addr *dst, uint8_t proto, uint16_t port)
{
	uint8_t k[20];

	memcpy(k, dst->b, 16);
	k[16] = proto;
	k[17] = 0;
	memcpy(k + 18, &port, 2);
	return anomaly_hash(k, sizeof(k), 0x74677400);
}

static void scan_features(const struct anomaly *a, const struct src_ent *s,
			  struct scan_features *f, bool slow)
{
	struct hll t = s->tgt[0], h = s->host[0];

	hll_merge(&t, &s->tgt[1]);
	hll_merge(&h, &s->host[1]);
	f->targets = (float)hll_estimate(&t);
	f->hosts = (float)hll_estimate(&h);
	f->ports = f->hosts > 0 ? f->targets / f->hosts : 0;
	f->probes = s->probes + s->pprobes;
	f->ok = s->ok + s->pok;
	f->min_ports = (float)a->cfg.scan_min_ports;
	f->min_hosts = (float)a->cfg.scan_min_hosts;
	if (slow) {
		/* the slow window: the same shapes over minutes, judged by the
		 * number of distinct targets alone */
		float st = (float)hll_estimate(&s->slow);
		if (st > f->targets) {
			f->targets = st;
			f->hosts = (float)hll_estimate(&s->slow_host);
			f->ports = f->hosts > 0 ? f->targets / f->hosts : 0;
			f->probes = s->slow_probes;
			f->ok = s->slow_ok;
			f->min_ports = f->min_hosts = (float)a->cfg.scan_slow_min;
		}
	}
}

static void judge_scan(struct anomaly *a, struct src_ent *s)
{
	struct scan_features f;
	float sv, sh, trw;
	bool vertical;
	char feat[FEAT_MAX];
	struct alert_args x;

	if (!a->cfg.scan)
		return;
	scan_features(a, s, &f, true);
	sv = score_scan_vertical(&f);
	sh = score_scan_horizontal(&f);
	/* TRW decides "scanner"; the shape decides which kind */
	trw = s->trw / a->trw.upper;
	/* the walk belongs to the episode it already fed (late outcomes of
	 * a scan whose windows have moved on say nothing of its shape);
	 * else to the shape of the windows, if they still hold any */
	if (s->ep[DET_SCAN_VERTICAL].reported != 0 && !s->ep[DET_SCAN_HORIZONTAL].reported)
		vertical = true;
	else if (s->ep[DET_SCAN_HORIZONTAL].reported != 0 && !s->ep[DET_SCAN_VERTICAL].reported)
		vertical = false;
	else
		vertical = f.hosts * 2 <= f.targets;
	if (f.hosts < 1 && !s->ep[DET_SCAN_VERTICAL].reported &&
	    !s->ep[DET_SCAN_HORIZONTAL].reported)
		trw = 0;
	if (s->trw_done || trw >= 1) {
		if (vertical && trw > sv)
			sv = trw;
		else if (!vertical && trw > sh)
			sh = trw;
	}
	for (int k = 0; k < 2; k++) {
		enum anomaly_detector d = k ? DET_SCAN_HORIZONTAL : DET_SCAN_VERTICAL;
		float sc = k ? sh : sv;

		if (sc < 1 && !s->ep[d].reported)
			continue;
		snprintf(feat, sizeof(feat),
			 "\"distinct_targets\":%.0f,\"distinct_hosts\":%.0f,"
			 "\"ports_per_host\":%.1f,\"probes\":%u,\"answered\":%u,"
			 "\"trw_llr\":%.2f,\"trw_threshold\":%.2f",
			 (double)f.targets, (double)f.hosts, (double)f.ports, f.probes, f.ok,
			 (double)s->trw, (double)a->trw.upper);
		memset(&x, 0, sizeof(x));
		x.det = d;
		x.ver = s->ver;
		x.src = &s->addr;
		x.dst = &s->last_dst;
		x.proto = s->last_proto;
		x.dport = k ? s->last_port : 0;
		x.score = sc;
		x.threshold = k ? f.min_hosts : f.min_ports;
		x.window_s = f.min_ports == (float)a->cfg.scan_slow_min ? a->cfg.scan_slow_window
									 : a->cfg.scan_window;
		x.probes = s->probes_total;
		x.features = feat;
		judge(a, &s->ep[d], &x);
	}
}

static inline bool bloom_test_set(uint8_t *bits, unsigned nbits, uint64_t h, bool set)
{
	unsigned b1 = (unsigned)(h % nbits), b2 = (unsigned)((h >> 20) % nbits);
	bool in = (bits[b1 >> 3] & (1u << (b1 & 7))) && (bits[b2 >> 3] & (1u << (b2 & 7)));

	if (set) {
		bits[b1 >> 3] |= (uint8_t)(1u << (b1 & 7));
		bits[b2 >> 3] |= (uint8_t)(1u << (b2 & 7));
	}
	return in;
}

static void src_probe(struct anomaly *a, struct src_ent *s, const struct anomaly_ev *e)
{
	uint64_t th = target_hash(&e->dst, e->proto, e->dport);

	bloom_test_set(s->probed, sizeof(s->probed) * 8, th, true);
	s->probes_total++;
	s->probes++;
	s->slow_probes++;
	hll_add(&s->tgt[0], th);
	hll_add(&s->slow, th);
	hll_add(&s->host[0], anomaly_hash(&e->dst, sizeof(e->dst), 0x686f7374));
	hll_add(&s->slow_host, anomaly_hash(&e->dst, sizeof(e->dst), 0x686f7374));
	s->last_dst = e->dst;
	s->last_port = e->dport;
	s->last_proto = e->proto;
	/* judging costs three estimates: not on every probe */
	if ((s->probes_total & 3) == 0 &&
	    s->probes + s->pprobes >= (a->cfg.scan_min_ports < a->cfg.scan_min_hosts
				       ? a->cfg.scan_min_ports : a->cfg.scan_min_hosts))
		judge_scan(a, s);
}

static void src_outcome(struct anomaly *a, struct src_ent *s, const struct anomaly_ev *e,
			bool ok)
{
	uint64_t th = target_hash(&e->dst, e->proto, e->dport);
	enum trw_decision d;

	/* an answer to an attempt we never saw (ICMP errors about spoofed
	 * packets, backscatter, one-sided captures) says nothing of this
	 * source */
	if (!bloom_test_set(s->probed, sizeof(s->probed) * 8, th, false))
		return;
	if (ok) {
		s->ok++;
		s->slow_ok++;
	}
	/* TRW counts first contacts only: a retry or a second connection to
	 * the same service says nothing new */
	if (bloom_test_set(s->seen, sizeof(s->seen) * 8, th, true))
		return;
	if (s->trw_done) {
		/* decided: keep adding failures so the score can escalate */
		if (!ok)
			s->trw += a->trw.step_fail;
		judge_scan(a, s);
		return;
	}
	d = trw_step(&a->trw, &s->trw, ok);
	if (d == TRW_SCANNER) {
		s->trw_done = 1;
		judge_scan(a, s);
	}
}

/* ---- sources: brute force ----------------------------------------------------- */

static bool login_port(uint16_t p)
{
	switch (p) {
	case 21: case 22: case 23: case 110: case 143: case 139: case 445:
	case 993: case 995: case 1433: case 3306: case 3389: case 5432: case 5900:
		return true;
	default:
		return false;
	}
}

static struct svc_slot *svc_get(struct src_ent *s, const struct anomaly_ev *e)
{
	struct svc_slot *old = &s->svc[0];

	for (unsigned i = 0; i < SVC_SLOTS; i++) {
		struct svc_slot *v = &s->svc[i];
		if (v->used && v->port == e->dport && ip_addr_eq(&v->dst, &e->dst))
			return v;
		if (!v->used || v->last_us < old->last_us || (old->used && !v->used))
			old = v;
	}
	memset(old, 0, sizeof(*old));
	old->used = 1;
	old->dst = e->dst;
	old->port = e->dport;
	old->login = login_port(e->dport);
	old->last_us = e->ts_us;
	return old;
}

static float decay(float v, uint64_t from, uint64_t to, uint32_t tau_s)
{
	if (to <= from || !tau_s)
		return v;
	return v * expf(-(float)(to - from) / (1e6f * (float)tau_s));
}

static void src_session(struct anomaly *a, struct src_ent *s, const struct anomaly_ev *e)
{
	struct svc_slot *v;
	char feat[FEAT_MAX];
	struct alert_args x;
	float sc;

	if (!a->cfg.brute_force)
		return;
	v = svc_get(s, e);
	if (e->kind == AEV_BANNER) {
		v->login = e->a8;
		v->last_us = e->ts_us;
		return;
	}
	/* a long or bulky session is someone working, not an attempt */
	if (e->x > a->cfg.bf_max_session * 1000u || e->y > 65536)
		return;
	v->sessions = decay(v->sessions, v->last_us, e->ts_us, a->cfg.bf_window) + 1;
	v->total++;
	v->last_us = e->ts_us;
	if (!v->login)
		return;
	sc = score_brute_force(v->sessions, (float)a->cfg.bf_min_sessions);
	if (sc < 1 && !s->ep[DET_BRUTE_FORCE].reported)
		return;
	snprintf(feat, sizeof(feat),
		 "\"short_sessions\":%.1f,\"sessions_total\":%u,\"service_port\":%u,"
		 "\"service\":\"%s\",\"last_session_ms\":%u",
		 (double)v->sessions, v->total, v->port,
		 v->login == BANNER_SSH ? "ssh" : v->login == BANNER_FTP ? "ftp/smtp" :
		 v->login == BANNER_TELNET ? "telnet" : v->login == BANNER_MAIL ? "pop/imap" : "port",
		 e->x);
	memset(&x, 0, sizeof(x));
	x.det = DET_BRUTE_FORCE;
	x.ver = s->ver;
	x.src = &s->addr;
	x.dst = &v->dst;
	x.proto = 6;
	x.dport = v->port;
	x.score = sc;
	x.threshold = (float)a->cfg.bf_min_sessions;
	x.window_s = a->cfg.bf_window;
	x.probes = v->total;
	x.features = feat;
	judge(a, &s->ep[DET_BRUTE_FORCE], &x);
}

/* ---- sources: DNS ------------------------------------------------------------- */

static void dns_features(const struct anomaly *a, const struct src_ent *s,
			 struct dns_features *f)
{
	struct hll n = s->names[0], x = s->nxdom[0], al = s->all[0];
	float nall;

	hll_merge(&n, &s->names[1]);
	hll_merge(&x, &s->nxdom[1]);
	hll_merge(&al, &s->all[1]);
	memset(f, 0, sizeof(*f));
	f->queries = s->dq;
	f->names = (float)hll_estimate(&n);
	/* data encoded right under a TLD-like label (dnscat2 direct:
	 * "dnscat.<hex>") makes every name its own base domain: count all
	 * unique names too; the suspicion gate still needs names or types
	 * that carry data */
	nall = (float)hll_estimate(&al);
	if (nall > f->names)
		f->names = nall;
	f->nx_domains = (float)hll_estimate(&x);
	f->nx = s->dnx;
	if (s->dq > 0) {
		f->mean_len = s->dlen / s->dq;
		f->long_share = s->dlong / s->dq;
		f->tunnel_share = s->dtun / s->dq;
		f->entropy_share = s->dent / s->dq;
	}
	f->min_names = (float)a->cfg.dns_min_names;
	f->min_length = (float)a->cfg.dns_min_length;
	f->min_nx = (float)a->cfg.dga_min_nxdomain;
}

static void judge_dns(struct anomaly *a, struct src_ent *s)
{
	struct dns_features f;
	char feat[FEAT_MAX];
	struct alert_args x;

	dns_features(a, s, &f);
	for (int k = 0; k < 2; k++) {
		enum anomaly_detector d = k ? DET_DGA : DET_DNS_TUNNEL;
		float sc;

		if (k ? !a->cfg.dga : !a->cfg.dns_tunnel)
			continue;
		sc = k ? score_dga(&f) : score_dns_tunnel(&f);
		if (sc < 1 && !s->ep[d].reported)
			continue;
		snprintf(feat, sizeof(feat),
			 "\"queries\":%.1f,\"unique_names\":%.0f,"
			 "\"mean_name_len\":%.1f,\"long_name_share\":%.2f,"
			 "\"txt_null_cname_mx_share\":%.2f,\"high_entropy_share\":%.2f,"
			 "\"nxdomain\":%.1f,\"nxdomain_domains\":%.0f",
			 (double)f.queries, (double)f.names, (double)f.mean_len,
			 (double)f.long_share, (double)f.tunnel_share, (double)f.entropy_share,
			 (double)f.nx, (double)f.nx_domains);
		memset(&x, 0, sizeof(x));
		x.det = d;
		x.ver = s->ver;
		x.src = &s->addr;
		x.dst = &s->dns_server;
		x.proto = 17;
		x.dport = 53;
		x.score = sc;
		x.threshold = k ? f.min_nx : f.min_names;
		x.window_s = a->cfg.dns_window;
		x.probes = s->dns_total;
		x.features = feat;
		judge(a, &s->ep[d], &x);
	}
}

static void src_dns(struct anomaly *a, struct src_ent *s, const struct anomaly_ev *e)
{
	float f;

	if (!a->cfg.dns_tunnel && !a->cfg.dga)
		return;
	if (e->ts_us > s->dns_us) {
		f = decay(1, s->dns_us, e->ts_us, a->cfg.dns_window);
		s->dq *= f;
		s->dlen *= f;
		s->dtun *= f;
		s->dent *= f;
		s->dlong *= f;
		s->dnx *= f;
		s->dns_us = e->ts_us;
	}
	if (e->kind == AEV_DNS_NX) {
		s->dnx += 1;
		hll_add(&s->nxdom[0], anomaly_hash(&e->x, sizeof(e->x), 0x6e78));
	} else {
		s->dns_total++;
		s->dns_server = e->dst;
		s->dq += 1;
		s->dlen += e->n;
		s->dtun += e->a8 == DNSQ_CLASS_TUNNEL;
		s->dlong += e->n >= a->cfg.dns_min_length;
		/* >= 3.5 bits/char over 16+ characters: encoded data, not words */
		s->dent += e->b8 >= 3.5 * 32 && e->n >= 24;
		/* Misra-Gries with one counter: the dominant base domain */
		if (e->x == s->top_dom) {
			s->top_cnt++;
		} else if (s->top_cnt == 0) {
			s->top_dom = e->x;
			s->top_cnt = 1;
			hll_clear(&s->names[0]);
			hll_clear(&s->names[1]);
		} else {
			s->top_cnt--;
		}
		if (e->x == s->top_dom)
			hll_add(&s->names[0], anomaly_hash(&e->y, sizeof(e->y), 0x6e6d));
		hll_add(&s->all[0], anomaly_hash(&e->y, sizeof(e->y), 0x616c));
	}
	if ((s->dns_total & 3) == 0 || e->kind == AEV_DNS_NX)
		judge_dns(a, s);
}

/* ---- victims: floods ---------------------------------------------------------- */

static const uint32_t *vic_floor(const struct anomaly *a, unsigned k)
{
	static const uint32_t zero = 0;

	switch (k) {
	case 0: return a->cfg.syn_flood ? &a->cfg.syn_flood_rate : &zero;
	case 1: return a->cfg.syn_flood ? &a->cfg.syn_flood_rate : &zero;
	case 2: return a->cfg.udp_flood ? &a->cfg.udp_flood_rate : &zero;
	default: return a->cfg.icmp_flood ? &a->cfg.icmp_flood_rate : &zero;
	}
}

static uint32_t sliding(const struct vic_ent *v, unsigned k)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < 10; i++)
		n += v->bucket[k][i];
	return n;
}

/* rate: per second; sources: distinct sources seen in it */
static void judge_victim(struct anomaly *a, struct vic_ent *v, unsigned k, float rate)
{
	struct flood_features f;
	char feat[FEAT_MAX];
	struct alert_args x;
	uint32_t floor = *vic_floor(a, k);
	float sc, srcs;

	if (!floor)
		return;
	srcs = (float)hll_estimate(&v->srcs);
	f.rate = rate;
	f.threshold = ewma_threshold(&v->base[k], (float)floor, (float)a->cfg.deviations);
	/* one or a few sources need ten times the rate: a fast client
	 * (a brute-forcer's connections) is not a flood */
	if (k <= 1 && srcs < 10)
		f.threshold *= 10;
	f.ports = k == 0 ? (float)hll_estimate(&v->ports) : 1;
	sc = k == 0 ? score_syn_flood(&f) : score_rate(&f);
	if (sc < 1 && !v->ep[k].reported)
		return;
	snprintf(feat, sizeof(feat),
		 "\"rate_pps\":%.0f,\"baseline_mean\":%.1f,\"baseline_dev\":%.1f,"
		 "\"distinct_sources\":%.0f,\"distinct_ports\":%.0f,\"packets\":%llu",
		 (double)f.rate, (double)v->base[k].mean, (double)v->base[k].dev,
		 (double)srcs, (double)f.ports,
		 (unsigned long long)(v->total[k] + v->cnt[k]));
	memset(&x, 0, sizeof(x));
	x.det = (enum anomaly_detector)(DET_SRC_MAX + k);
	x.ver = v->ver;
	x.src = &v->top_src;
	x.dst = &v->addr;
	x.proto = k <= 1 ? 6 : k == 2 ? 17 : (v->ver == 6 ? 58 : 1);
	x.dport = v->top_port;
	x.score = sc;
	x.threshold = f.threshold;
	x.window_s = 1;
	x.probes = v->total[k] + v->cnt[k];
	x.features = feat;
	judge(a, &v->ep[k], &x);
}

static void vic_count(struct anomaly *a, const struct anomaly_ev *e, unsigned k, uint32_t n)
{
	struct vic_ent *v;
	uint32_t floor = *vic_floor(a, k), before, now;
	uint64_t b = e->ts_us / 100000u;

	if (!floor || anomaly_allowed(&a->cfg, e->ip_ver, &e->dst))
		return;
	v = (struct vic_ent *)table_get(a, &a->vic, e->ip_ver, &e->dst, e->ts_us);
	if (!v)
		return;
	v->last_us = e->ts_us;
	if (b > v->bucket_no) {
		for (uint64_t i = v->bucket_no + 1; i <= b && i <= v->bucket_no + 10; i++)
			for (unsigned j = 0; j < VDET; j++)
				v->bucket[j][i % 10] = 0;
		v->bucket_no = b;
	}
	before = sliding(v, k);
	v->bucket[k][v->bucket_no % 10] += n;
	now = before + n;
	v->cnt[k] += n;
	hll_add(&v->srcs, anomaly_hash(&e->src, sizeof(e->src), 0x737263));
	if (k == 0)
		hll_add(&v->ports, anomaly_hash(&e->dport, sizeof(e->dport), 0x7074));
	if (ip_addr_eq(&v->top_src, &e->src)) {
		v->top_cnt++;
	} else if (v->top_cnt == 0) {
		v->top_src = e->src;
		v->top_ver = e->ip_ver;
		v->top_cnt = 1;
	} else {
		v->top_cnt--;
	}
	v->top_port = e->dport;
	/* judge as soon as the sliding second reaches the floor (and every
	 * 1024 after), not only at the tick: a flood is reported within its
	 * first second */
	if (now >= floor && (before < floor || (now >> 10) != (before >> 10)))
		judge_victim(a, v, k, (float)now);
}

/* ---- events ------------------------------------------------------------------- */

static struct src_ent *src_of(struct anomaly *a, const struct anomaly_ev *e)
{
	struct src_ent *s;

	if (anomaly_allowed(&a->cfg, e->ip_ver, &e->src))
		return NULL;
	s = (struct src_ent *)table_get(a, &a->src, e->ip_ver, &e->src, e->ts_us);
	if (s)
		s->last_us = e->ts_us;
	return s;
}

void anomaly_feed(struct anomaly *a, const struct anomaly_ev *e)
{
	struct src_ent *s;

	if (e->ts_us > a->now_us)
		a->now_us = e->ts_us;
	if (!a->next_tick_us)
		a->next_tick_us = (a->now_us / TICK_US + 1) * TICK_US;
	if (a->now_us >= a->next_tick_us)
		anomaly_tick(a, a->now_us);
	a->st.events++;
	switch (e->kind) {
	case AEV_SYN:
	case AEV_PROBE:
	case AEV_UDP:
	case AEV_ECHO:
	case AEV_OTHER:
		if (e->kind == AEV_SYN)
			vic_count(a, e, 0, 1);
		else if (e->kind == AEV_UDP)
			vic_count(a, e, 2, 1);
		else if (e->kind == AEV_ECHO)
			vic_count(a, e, 3, 1);
		if (a->cfg.scan && (s = src_of(a, e)))
			src_probe(a, s, e);
		break;
	case AEV_OK:
	case AEV_FAIL:
	case AEV_NOREPLY:
		if (a->cfg.scan && (s = src_of(a, e)))
			src_outcome(a, s, e, e->kind == AEV_OK);
		break;
	case AEV_SYNACK:
		vic_count(a, e, 1, 1);
		break;
	case AEV_VOLUME:
		if (e->proto == 17)
			vic_count(a, e, 2, e->n);
		else if ((e->proto == 1 && e->a8 == 8) || (e->proto == 58 && e->a8 == 128))
			vic_count(a, e, 3, e->n);
		break;
	case AEV_BANNER:
	case AEV_SESSION:
		if ((s = src_of(a, e)))
			src_session(a, s, e);
		break;
	case AEV_DNS_Q:
	case AEV_DNS_NX:
		if ((s = src_of(a, e)))
			src_dns(a, s, e);
		break;
	default:
		break;
	}
}

/* ---- the tick ----------------------------------------------------------------- */

static uint64_t idle_limit_us(const struct anomaly *a)
{
	uint32_t w = a->cfg.scan_slow_window;

	if (a->cfg.bf_window > w)
		w = a->cfg.bf_window;
	if (a->cfg.dns_window > w)
		w = a->cfg.dns_window;
	return (uint64_t)w * 2 * 1000000u;
}

static void tick_sources(struct anomaly *a, uint64_t now)
{
	uint64_t win = (uint64_t)a->cfg.scan_window * 1000000u;
	uint64_t slow = (uint64_t)a->cfg.scan_slow_window * 1000000u;
	uint64_t dwin = (uint64_t)a->cfg.dns_window * 1000000u;
	uint64_t idle = idle_limit_us(a);

	for (uint32_t i = 0; i < a->src.nactive;) {
		struct src_ent *s = (struct src_ent *)slot(&a->src, a->src.active[i]);

		if (now - s->last_us > idle && !busy(&a->src, (struct ent_head *)s)) {
			table_release(&a->src, (struct ent_head *)s);
			continue;   /* the slot now holds another entry */
		}
		i++;
		if (now - s->last_us > win && !s->ep[0].reported && !s->ep[1].reported &&
		    !s->ep[2].reported && !s->ep[3].reported && !s->ep[4].reported)
			continue;   /* quiet: nothing to roll or re-judge yet */
		if (now - s->win_us >= win) {
			s->tgt[1] = s->tgt[0];
			s->host[1] = s->host[0];
			hll_clear(&s->tgt[0]);
			hll_clear(&s->host[0]);
			s->pprobes = s->probes;
			s->pok = s->ok;
			s->probes = s->ok = 0;
			s->win_us = now;
		}
		if (now - s->slow_us >= slow) {
			hll_clear(&s->slow);
			hll_clear(&s->slow_host);
			s->slow_probes = s->slow_ok = 0;
			s->slow_us = now;
		}
		if (now - s->dns_win_us >= dwin) {
			s->names[1] = s->names[0];
			s->nxdom[1] = s->nxdom[0];
			s->all[1] = s->all[0];
			hll_clear(&s->names[0]);
			hll_clear(&s->nxdom[0]);
			hll_clear(&s->all[0]);
			s->dns_win_us = now;
		}
		if (s->probes_total)
			judge_scan(a, s);
		if (s->dns_total)
			judge_dns(a, s);
		for (unsigned k = 0; k < SVC_SLOTS; k++) {
			struct svc_slot *v = &s->svc[k];
			if (v->used)
				v->sessions = decay(v->sessions, v->last_us, now, a->cfg.bf_window);
			v->last_us = now > v->last_us ? now : v->last_us;
		}
		if (s->ep[DET_BRUTE_FORCE].reported) {
			float best = 0;
			for (unsigned k = 0; k < SVC_SLOTS; k++)
				if (s->svc[k].used && s->svc[k].login && s->svc[k].sessions > best)
					best = s->svc[k].sessions;
			episode_step(&s->ep[DET_BRUTE_FORCE],
				     score_brute_force(best, (float)a->cfg.bf_min_sessions), now);
		}
	}
}

static void tick_victims(struct anomaly *a, uint64_t now)
{
	float alpha = 0.1f;
	uint64_t idle = idle_limit_us(a);

	for (uint32_t i = 0; i < a->vic.nactive;) {
		struct vic_ent *v = (struct vic_ent *)slot(&a->vic, a->vic.active[i]);
		float secs = (float)(now - v->tick_us) / 1e6f;
		bool any = false;

		if (now - v->last_us > idle && !busy(&a->vic, (struct ent_head *)v)) {
			table_release(&a->vic, (struct ent_head *)v);
			continue;
		}
		i++;
		for (unsigned k = 0; k < VDET; k++)
			any |= v->cnt[k] || v->ep[k].reported;
		if (!any)
			continue;
		for (unsigned k = 0; k < VDET; k++) {
			float rate = (float)v->cnt[k] / (secs < 1 ? 1 : secs);

			judge_victim(a, v, k, rate);
			/* learn only from normal intervals: an attack must not
			 * teach the baseline that it is normal */
			if (!v->ep[k].reported)
				ewma_update(&v->base[k], rate, alpha);
			if (v->ep[k].reported)
				v->total[k] += v->cnt[k];
			else
				v->total[k] = 0;
			v->cnt[k] = 0;
		}
		hll_clear(&v->srcs);
		hll_clear(&v->ports);
		v->tick_us = now;
	}
}

void anomaly_tick(struct anomaly *a, uint64_t now_us)
{
	if (now_us > a->now_us)
		a->now_us = now_us;
	tick_victims(a, a->now_us);
	tick_sources(a, a->now_us);
	/* age the admission sketch: counts from minutes ago fade */
	if (a->now_us - a->last_age_us >= 10u * TICK_US) {
		cms_halve(&a->admit);
		a->last_age_us = a->now_us;
	}
	a->last_tick_us = a->now_us;
	a->next_tick_us = (a->now_us / TICK_US + 1) * TICK_US;
	a->st.ticks++;
	a->st.sources = a->src.nactive;
	a->st.victims = a->vic.nactive;
}

/* ---- runtime ------------------------------------------------------------------ */

static uint32_t pow2_floor(uint64_t v)
{
	uint32_t p = 1;

	while ((uint64_t)p * 2 <= v && p < (1u << 30))
		p <<= 1;
	return p;
}

struct anomaly *anomaly_create(const struct anomaly_config *cfg, unsigned ntaps,
			       uint32_t out_ring_size, bool live,
			       char *errbuf, size_t errlen)
{
	struct anomaly *a = calloc(1, sizeof(*a));
	uint64_t budget, cms_bytes, per_src, per_vic;
	uint32_t nsrc, nvic, cms_w;

	if (!a) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	a->cfg = *cfg;
	a->live = live;
	a->ntaps = ntaps;
	if (trw_init(&a->trw, cfg->trw_benign / 100.0, cfg->trw_scanner / 100.0,
		     cfg->trw_detect / 100.0, cfg->trw_false / 1000.0) < 0) {
		snprintf(errbuf, errlen,
			 "anomaly.scan: trw-scanner-success must be below trw-benign-success "
			 "and trw-detection above trw-false-alarm");
		goto fail;
	}
	/* the memcap covers the tables, their active lists and the sketch:
	 * 1/16 for the admission sketch, 1/8 for victims, the rest sources */
	budget = cfg->memcap;
	cms_w = pow2_floor(budget / 16 / 4 / sizeof(uint32_t));
	if (cms_w < 1024) {
		snprintf(errbuf, errlen, "anomaly.memcap: %llu bytes is too small (at least 1mb)",
			 (unsigned long long)budget);
		goto fail;
	}
	cms_bytes = (uint64_t)cms_w * 4 * sizeof(uint32_t);
	per_src = sizeof(struct src_ent) + sizeof(uint32_t);
	per_vic = sizeof(struct vic_ent) + sizeof(uint32_t);
	nvic = pow2_floor((budget - cms_bytes) / 8 / per_vic);
	nsrc = pow2_floor((budget - cms_bytes - (uint64_t)nvic * per_vic) / per_src);
	if (cms_init(&a->admit, 4, cms_w) < 0 ||
	    table_init(&a->src, sizeof(struct src_ent), nsrc, 0x5352430a) < 0 ||
	    table_init(&a->vic, sizeof(struct vic_ent), nvic, 0x5649430a) < 0) {
		snprintf(errbuf, errlen, "anomaly: cannot allocate %llu bytes (anomaly.memcap)",
			 (unsigned long long)budget);
		goto fail;
	}
	a->st.memory = cms_bytes + (uint64_t)nsrc * per_src + (uint64_t)nvic * per_vic;
	a->taps = aligned_alloc(MAMORI_CACHELINE,
				((sizeof(*a->taps) * (ntaps ? ntaps : 1) + MAMORI_CACHELINE - 1) /
				 MAMORI_CACHELINE) * MAMORI_CACHELINE);
	if (!a->taps) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	memset(a->taps, 0, sizeof(*a->taps) * ntaps);
	for (unsigned i = 0; i < ntaps; i++) {
		a->taps[i].live = live;
		if (spsc_ring_init(&a->taps[i].ring, cfg->ring_size, sizeof(struct anomaly_ev)) < 0) {
			snprintf(errbuf, errlen, "anomaly: cannot allocate event rings");
			a->ntaps = i;
			goto fail;
		}
	}
	if (spsc_ring_init(&a->out, out_ring_size, sizeof(struct event_record)) < 0) {
		snprintf(errbuf, errlen, "anomaly: cannot allocate the alert ring");
		goto fail;
	}
	return a;
fail:
	anomaly_destroy(a);
	return NULL;
}

struct anomaly_tap *anomaly_tap(struct anomaly *a, unsigned i)
{
	return a && i < a->ntaps ? &a->taps[i] : NULL;
}

struct spsc_ring *anomaly_out_ring(struct anomaly *a)
{
	return &a->out;
}

/* Drain up to budget events from every ring; returns how many. */
static unsigned drain(struct anomaly *a, unsigned budget)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->ntaps; i++) {
		struct anomaly_tap *t = &a->taps[i];
		struct anomaly_ev *e;

		for (unsigned k = 0; k < budget && (e = spsc_ring_peek(&t->ring)); k++) {
			anomaly_feed(a, e);
			spsc_ring_release(&t->ring);
			n++;
		}
	}
	return n;
}

static void *anomaly_main(void *arg)
{
	struct anomaly *a = arg;
	unsigned idle = 0;

	while (!__atomic_load_n(&a->stop, __ATOMIC_ACQUIRE)) {
		unsigned n = drain(a, 256);

		if (a->live) {
			uint64_t now = clock_wall_us();
			if (now >= a->next_tick_us)
				anomaly_tick(a, now);
		}
		if (n) {
			idle = 0;
			continue;
		}
		if (++idle > 16) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
	}
	while (drain(a, 4096))
		;
	/* the end of input: judge everything once more at the last time */
	anomaly_tick(a, a->now_us);
	return NULL;
}

int anomaly_start(struct anomaly *a)
{
	int rc = pthread_create(&a->thread, NULL, anomaly_main, a);

	if (rc)
		return -rc;
	a->started = true;
	return 0;
}

void anomaly_stop(struct anomaly *a)
{
	if (!a || !a->started)
		return;
	__atomic_store_n(&a->stop, 1, __ATOMIC_RELEASE);
	pthread_join(a->thread, NULL);
	a->started = false;
}

void anomaly_destroy(struct anomaly *a)
{
	if (!a)
		return;
	anomaly_stop(a);
	if (a->taps) {
		for (unsigned i = 0; i < a->ntaps; i++)
			spsc_ring_destroy(&a->taps[i].ring);
		free(a->taps);
	}
	spsc_ring_destroy(&a->out);
	table_free(&a->src);
	table_free(&a->vic);
	cms_free(&a->admit);
	free(a);
}

void anomaly_get_stats(const struct anomaly *a, struct anomaly_stats *s)
{
	uint64_t drops = 0;

	STATS_COPY(s, &a->st);
	/* live occupancy, not the last tick's */
	s->sources = __atomic_load_n(&a->src.nactive, __ATOMIC_RELAXED);
	s->victims = __atomic_load_n(&a->vic.nactive, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < a->ntaps; i++)
		drops += __atomic_load_n(&a->taps[i].drops, __ATOMIC_RELAXED);
	s->ring_drops = drops;
}
