/*
 * eve: EVE JSON records (alert, flow, stats) and the fast.log console line.
 *
 * Field names and layout follow Suricata's eve.json, because SOC parsers
 * (Kibana, Splunk, Wazuh, Security Onion) read them by name. The formatters
 * run only in the output thread, on fixed-size `struct event_record`s that
 * workers filled in place: they trust no string in a record to be
 * NUL-terminated (strnlen against the array size) and pass everything from
 * packets or rules through the escaping JSON writer. The one exception is
 * alert.metadata, which the rule loader hands over as a ready JSON object
 * body and which is copied as is.
 *
 * This file calls no function of another module (decode, flow): the name
 * tables it needs are built here from the shared enums and the
 * DECODE_EVENTS X-macro, so the output side links and tests on its own.
 *
 * A formatter that runs out of room rewinds the buffer to where it started
 * and returns -ENOSPC, so the caller never writes a broken line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mamori/dns.h"
#include "mamori/eve.h"
#include "mamori/flow.h"
#include "mamori/http.h"
#include "mamori/tls.h"

#define TS_MAX 48

static const char *const decode_event_names[DECODE_EV_MAX] = {
#define X(name, str) [DECODE_EV_##name] = str,
	DECODE_EVENTS(X)
#undef X
};

/* Suricata's TCP state names; it has no "reset" state (a reset session is
 * "closed"), so parsers keyed on its vocabulary see only known values. */
static const char *tcp_state_str(uint8_t s)
{
	switch (s) {
	case TCP_STATE_NONE:        return "none";
	case TCP_STATE_SYN_SENT:    return "syn_sent";
	case TCP_STATE_SYN_RECV:    return "syn_recv";
	case TCP_STATE_ESTABLISHED: return "established";
	case TCP_STATE_CLOSING:     return "closing";
	case TCP_STATE_CLOSED:      return "closed";
	case TCP_STATE_RESET:       return "closed";
	default:                    return "none";
	}
}

/* Suricata's flow.reason: it knows timeout, forced (evicted under memory
 * pressure or replaced) and shutdown. */
static const char *flow_reason_str(uint8_t r)
{
	switch (r) {
	case FLOW_END_TIMEOUT:  return "timeout";
	case FLOW_END_EVICTED:  return "forced";
	case FLOW_END_SHUTDOWN: return "shutdown";
	case FLOW_END_REUSED:   return "forced";
	default:                return "timeout";
	}
}

/* Suricata's flow.state: "new" until both sides spoke (TCP: until the
 * handshake completed), "closed" once TCP closed or reset. */
static const char *flow_state_str(const struct event_record *ev)
{
	if (ev->proto == IPPROTO_TCP) {
		switch (ev->flow.tcp_state) {
		case TCP_STATE_ESTABLISHED:
		case TCP_STATE_CLOSING:
			return "established";
		case TCP_STATE_CLOSED:
		case TCP_STATE_RESET:
			return "closed";
		case TCP_STATE_NONE:
			/* midstream pickup: judge by traffic, as for UDP */
			break;
		default:
			return "new";
		}
	}
	return ev->flow.pkts_toserver && ev->flow.pkts_toclient ? "established" : "new";
}

size_t eve_timestamp(uint64_t ts_us, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_us / 1000000);
	unsigned usec = (unsigned)(ts_us % 1000000);
	struct tm tm;
	int n;

	if (len)
		buf[0] = '\0';
	if (!gmtime_r(&secs, &tm))
		return 0;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
	/* the names Suricata prints (its /etc/protocols-derived table) */
	switch (proto) {
	case IPPROTO_ICMP:   return "ICMP";
	case IPPROTO_IGMP:   return "IGMP";
	case IPPROTO_TCP:    return "TCP";
	case IPPROTO_UDP:    return "UDP";
	case IPPROTO_GRE:    return "GRE";
	case IPPROTO_ESP:    return "ESP";
	case IPPROTO_AH:     return "AH";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_SCTP:   return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Returns "" when the version is neither 4 nor 6. buf >= INET6_ADDRSTRLEN. */
static const char *addr_str(uint8_t ver, const union ip_addr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (ver == 4)
		snprintf(buf, len, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
	else if (ver == 6 && !inet_ntop(AF_INET6, a->b, buf, (socklen_t)len))
		buf[0] = '\0';
	return buf;
}

/* key-value helpers; all of them are no-ops once the buffer is truncated */

static void kv_u64(struct json_buf *j, const char *k, uint64_t v, bool *first)
{
	json_key(j, k, first);
	json_u64(j, v);
}

static void kv_str(struct json_buf *j, const char *k, const char *s, size_t max,
		   bool *first)
{
	json_key(j, k, first);
	json_str(j, s, strnlen(s, max));
}

static void kv_bool(struct json_buf *j, const char *k, bool v, bool *first)
{
	json_key(j, k, first);
	if (v)
		json_raw(j, "true", 4);
	else
		json_raw(j, "false", 5);
}

static void kv_ts(struct json_buf *j, const char *k, uint64_t ts_us, bool *first)
{
	char ts[TS_MAX];
	size_t n = eve_timestamp(ts_us, ts, sizeof(ts));

	json_key(j, k, first);
	json_str(j, ts, n);
}

static int finish(struct json_buf *j, size_t start)
{
	if (!j->truncated)
		return 0;
	/* no partial object survives; `truncated` stays set for the caller */
	j->len = start;
	if (j->cap)
		j->buf[start] = '\0';
	return -ENOSPC;
}

/* timestamp, flow_id, event_type, vlan, addresses, proto, icmp, community_id:
 * the header Suricata writes before the type-specific object */
static void eve_header(struct json_buf *j, const struct event_record *ev,
		       const char *type, bool *first)
{
	char abuf[INET6_ADDRSTRLEN], pbuf[8];
	const char *src, *dst;

	kv_ts(j, "timestamp", ev->ts_us, first);
	/* no flow (e.g. a non-first fragment): Suricata omits flow_id */
	if (ev->flow_id)
		kv_u64(j, "flow_id", ev->flow_id, first);
	json_key(j, "event_type", first);
	json_cstr(j, type);
	if (ev->vlan_count) {
		unsigned n = ev->vlan_count > 2 ? 2 : ev->vlan_count;

		json_key(j, "vlan", first);
		json_raw(j, "[", 1);
		for (unsigned i = 0; i < n; i++) {
			if (i)
				json_raw(j, ",", 1);
			json_u64(j, ev->vlan[i]);
		}
		json_raw(j, "]", 1);
	}
	src = addr_str(ev->ip_ver, &ev->src, abuf, sizeof(abuf));
	if (*src)
		kv_str(j, "src_ip", src, sizeof(abuf), first);
	if (!is_icmp(ev->proto))
		kv_u64(j, "src_port", ev->sport, first);
	dst = addr_str(ev->ip_ver, &ev->dst, abuf, sizeof(abuf));
	if (*dst)
		kv_str(j, "dest_ip", dst, sizeof(abuf), first);
	if (!is_icmp(ev->proto))
		kv_u64(j, "dest_port", ev->dport, first);
	json_key(j, "proto", first);
	json_cstr(j, eve_proto_name(ev->proto, pbuf, sizeof(pbuf)));
	if (is_icmp(ev->proto)) {
		kv_u64(j, "icmp_type", ev->icmp_type, first);
		kv_u64(j, "icmp_code", ev->icmp_code, first);
	}
	if (ev->community_id[0])
		kv_str(j, "community_id", ev->community_id, sizeof(ev->community_id), first);
}

static void eve_flow_counts(struct json_buf *j, const struct event_flow *f, bool *first)
{
	kv_u64(j, "pkts_toserver", f->pkts_toserver, first);
	kv_u64(j, "pkts_toclient", f->pkts_toclient, first);
	kv_u64(j, "bytes_toserver", f->bytes_toserver, first);
	kv_u64(j, "bytes_toclient", f->bytes_toclient, first);
	kv_ts(j, "start", f->start_us, first);
}

static void eve_sensor(struct json_buf *j, const struct eve_ctx *ctx, bool *first)
{
	bool f = true;

	json_key(j, "sensor", first);
	json_raw(j, "{", 1);
	if (ctx->sensor_name) {
		json_key(j, "name", &f);
		json_cstr(j, ctx->sensor_name);
	}
	kv_u64(j, "id", ctx->sensor_id, &f);
	json_raw(j, "}", 1);
}

/* DNS record types by name, as Suricata writes rrtype */
static const char *dns_type_name(uint16_t t)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 10: return "NULL";
	case 12: return "PTR";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 33: return "SRV";
	case 35: return "NAPTR";
	case 43: return "DS";
	case 46: return "RRSIG";
	case 48: return "DNSKEY";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case 255: return "ANY";
	default: return NULL;
	}
}

#define KV_STR(j, k, field, f) do {                                             \
		if ((field)[0])                                                 \
			kv_str(j, k, field, sizeof(field), f);                  \
	} while (0)

/* "key":{"hash":"..."} when hash is not empty (tls.ja3, tls.ja3s) */
static void eve_hash_obj(struct json_buf *j, const char *key, const char *hash, size_t max,
			 bool *first)
{
	bool f = true;

	if (!hash[0])
		return;
	json_key(j, key, first);
	json_raw(j, "{", 1);
	kv_str(j, "hash", hash, max, &f);
	json_raw(j, "}", 1);
}

/* app_proto and the protocol's object, as Suricata's alert records */
static void eve_app(struct json_buf *j, const struct app_meta *m, bool *first)
{
	const char *name = app_proto_name((enum app_proto)m->proto);
	bool f = true;

	if (!name)
		return;
	json_key(j, "app_proto", first);
	json_cstr(j, name);
	switch (m->proto) {
	case APP_PROTO_HTTP: {
		const struct app_meta_http *h = &m->u.http;

		json_key(j, "http", first);
		json_raw(j, "{", 1);
		KV_STR(j, "hostname", h->hostname, &f);
		KV_STR(j, "url", h->url, &f);
		KV_STR(j, "http_user_agent", h->http_user_agent, &f);
		KV_STR(j, "http_content_type", h->http_content_type, &f);
		KV_STR(j, "http_method", h->http_method, &f);
		KV_STR(j, "protocol", h->protocol, &f);
		if (h->status)
			kv_u64(j, "status", h->status, &f);
		kv_u64(j, "length", h->length, &f);
		json_raw(j, "}", 1);
		break;
	}
	case APP_PROTO_DNS: {
		const struct app_meta_dns *d = &m->u.dns;
		const char *tn = dns_type_name(d->rrtype);
		char num[8];

		json_key(j, "dns", first);
		json_raw(j, "{\"query\":[{", 11);
		json_key(j, "type", &f);
		json_cstr(j, d->response ? "answer" : "query");
		kv_u64(j, "id", d->id, &f);
		kv_str(j, "rrname", d->rrname, sizeof(d->rrname), &f);
		json_key(j, "rrtype", &f);
		if (!tn) {
			snprintf(num, sizeof(num), "%u", d->rrtype);
			tn = num;
		}
		json_cstr(j, tn);
		json_raw(j, "}]}", 3);
		break;
	}
	case APP_PROTO_TLS: {
		const struct app_meta_tls *t = &m->u.tls;

		json_key(j, "tls", first);
		json_raw(j, "{", 1);
		KV_STR(j, "subject", t->subject, &f);
		KV_STR(j, "issuerdn", t->issuerdn, &f);
		KV_STR(j, "sni", t->sni, &f);
		KV_STR(j, "version", t->version, &f);
		eve_hash_obj(j, "ja3", t->ja3_hash, sizeof(t->ja3_hash), &f);
		eve_hash_obj(j, "ja3s", t->ja3s_hash, sizeof(t->ja3s_hash), &f);
		json_raw(j, "}", 1);
		break;
	}
	default:
		break;
	}
}

static void kv_float(struct json_buf *j, const char *k, float v, bool *first)
{
	char b[32];
	int n = snprintf(b, sizeof(b), "%.3f", (double)v);

	json_key(j, k, first);
	json_raw(j, b, n > 0 && (size_t)n < sizeof(b) ? (size_t)n : 0);
}

/* DESIGN.md's anomaly object: what drove the alert and since when. */
static void eve_anomaly(struct json_buf *j, const struct event_anomaly *a, bool *first)
{
	size_t flen = strnlen(a->features, sizeof(a->features));
	bool f = true;

	json_key(j, "anomaly", first);
	json_raw(j, "{", 1);
	kv_str(j, "detector", a->detector, sizeof(a->detector), &f);
	kv_float(j, "score", a->score, &f);
	kv_float(j, "threshold", a->threshold, &f);
	kv_u64(j, "window_s", a->window_s, &f);
	json_key(j, "features", &f);
	json_raw(j, "{", 1);
	json_raw(j, a->features, flen);
	json_raw(j, "}", 1);
	kv_ts(j, "first_seen", a->first_us, &f);
	kv_u64(j, "probes", a->probes, &f);
	kv_u64(j, "update", a->update, &f);
	json_key(j, "keyed_by", &f);
	json_cstr(j, a->victim ? "dest_ip" : "src_ip");
	json_raw(j, "}", 1);
}

static void eve_alert_body(struct json_buf *j, const struct eve_ctx *ctx,
			   const struct event_record *ev, bool *first)
{
	const struct event_alert *a = &ev->alert;
	size_t mdlen = strnlen(a->metadata, sizeof(a->metadata));
	size_t plen = ev->payload_len > EVENT_PAYLOAD_MAX ? EVENT_PAYLOAD_MAX
							  : ev->payload_len;
	bool f = true;

	json_key(j, "alert", first);
	json_raw(j, "{", 1);
	json_key(j, "action", &f);
	json_cstr(j, a->action == ALERT_ACTION_BLOCKED ? "blocked" : "allowed");
	kv_u64(j, "gid", a->gid, &f);
	kv_u64(j, "signature_id", a->sid, &f);
	kv_u64(j, "rev", a->rev, &f);
	kv_str(j, "signature", a->signature, sizeof(a->signature), &f);
	kv_str(j, "category", a->category, sizeof(a->category), &f);
	kv_u64(j, "severity", a->severity, &f);
	if (mdlen) {
		json_key(j, "metadata", &f);
		json_raw(j, "{", 1);
		json_raw(j, a->metadata, mdlen);
		json_raw(j, "}", 1);
	}
	json_raw(j, "}", 1);
	if (ev->anomaly.detector[0])
		eve_anomaly(j, &ev->anomaly, first);
	if (ev->app.proto)
		eve_app(j, &ev->app, first);

	if (ev->flow_id) {
		f = true;
		json_key(j, "flow", first);
		json_raw(j, "{", 1);
		eve_flow_counts(j, &ev->flow, &f);
		json_raw(j, "}", 1);
	}

	if (ctx->log_payload && plen) {
		json_key(j, "payload", first);
		json_base64(j, ev->payload, plen);
	}
	/* with payloads logged, say whose bytes they are (Suricata's field) */
	if ((ctx->log_payload || ctx->log_payload_printable) && ev->type == EVENT_ALERT) {
		json_key(j, "stream", first);
		json_raw(j, ev->alert.stream ? "1" : "0", 1);
	}
	if (ctx->log_payload_printable && plen) {
		char pr[EVENT_PAYLOAD_MAX];

		/* Suricata's printable form: keep ASCII text and line breaks */
		for (size_t i = 0; i < plen; i++) {
			uint8_t c = ev->payload[i];
			pr[i] = (c >= 0x20 && c <= 0x7e) || c == '\n' || c == '\r' ||
				c == '\t' ? (char)c : '.';
		}
		json_key(j, "payload_printable", first);
		json_str(j, pr, plen);
	}
}

static void eve_tcp_flags(struct json_buf *j, const char *k, uint8_t flags, bool *first)
{
	static const char hex[] = "0123456789abcdef";
	char s[2] = { hex[flags >> 4], hex[flags & 0xf] };

	json_key(j, k, first);
	json_str(j, s, 2);
}

static void eve_flow_body(struct json_buf *j, const struct event_record *ev, bool *first)
{
	const struct event_flow *fl = &ev->flow;
	uint64_t s = fl->start_us / 1000000, e = fl->end_us / 1000000;
	bool f = true;

	json_key(j, "flow", first);
	json_raw(j, "{", 1);
	eve_flow_counts(j, fl, &f);
	kv_ts(j, "end", fl->end_us, &f);
	/* whole seconds between the two timestamps, as Suricata computes it */
	kv_u64(j, "age", e > s ? e - s : 0, &f);
	json_key(j, "state", &f);
	json_cstr(j, flow_state_str(ev));
	json_key(j, "reason", &f);
	json_cstr(j, flow_reason_str(fl->end_reason));
	kv_bool(j, "alerted", fl->alerted != 0, &f);
	json_raw(j, "}", 1);

	if (ev->proto == IPPROTO_TCP) {
		static const struct { uint8_t bit; const char *name; } bits[] = {
			{ TCP_FIN, "fin" }, { TCP_SYN, "syn" }, { TCP_RST, "rst" },
			{ TCP_PSH, "psh" }, { TCP_ACK, "ack" }, { TCP_URG, "urg" },
			{ TCP_ECE, "ecn" }, { TCP_CWR, "cwr" },
		};
		uint8_t all = fl->tcp_flags_ts | fl->tcp_flags_tc;

		f = true;
		json_key(j, "tcp", first);
		json_raw(j, "{", 1);
		eve_tcp_flags(j, "tcp_flags", all, &f);
		eve_tcp_flags(j, "tcp_flags_ts", fl->tcp_flags_ts, &f);
		eve_tcp_flags(j, "tcp_flags_tc", fl->tcp_flags_tc, &f);
		/* like Suricata, only the flags that were seen */
		for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (all & bits[i].bit)
				kv_bool(j, bits[i].name, true, &f);
		json_key(j, "state", &f);
		json_cstr(j, tcp_state_str(fl->tcp_state));
		json_raw(j, "}", 1);
	}
}

int eve_format_event(struct json_buf *j, const struct eve_ctx *ctx,
		     const struct event_record *ev)
{
	size_t start = j->len;
	bool first = true;

	if (j->truncated)
		return -ENOSPC;
	if (ev->type != EVENT_ALERT && ev->type != EVENT_FLOW)
		return -EINVAL;
	json_raw(j, "{", 1);
	eve_header(j, ev, ev->type == EVENT_ALERT ? "alert" : "flow", &first);
	if (ev->type == EVENT_ALERT)
		eve_alert_body(j, ctx, ev, &first);
	else
		eve_flow_body(j, ev, &first);
	eve_sensor(j, ctx, &first);
	json_raw(j, "}", 1);
	return finish(j, start);
}

/* One group of decoder.event: the events whose names start with the same
 * "group." prefix, wherever they sit in the X-macro list. */
static void eve_event_group(struct json_buf *j, const uint64_t *events,
			    const char *grp, size_t glen, bool *first)
{
	bool f = true;

	/* the group name is not NUL-terminated, so no json_key here */
	if (!*first)
		json_raw(j, ",", 1);
	*first = false;
	json_str(j, grp, glen);
	json_raw(j, ":{", 2);
	for (unsigned e = 0; e < DECODE_EV_MAX; e++) {
		const char *name = decode_event_names[e];
		const char *dot = strchr(name, '.');

		if (!dot || (size_t)(dot - name) != glen || memcmp(name, grp, glen) != 0)
			continue;
		if (!f)
			json_raw(j, ",", 1);
		f = false;
		json_cstr(j, dot + 1);
		json_raw(j, ":", 1);
		json_u64(j, events[e]);
	}
	json_raw(j, "}", 1);
}

/* {"name":N,...} for the events of names(0 .. n-1) */
static void eve_named_counts(struct json_buf *j, const char *key, const uint64_t *v,
			     unsigned n, const char *(*names)(unsigned), bool *first)
{
	bool f = true;

	json_key(j, key, first);
	json_raw(j, "{", 1);
	for (unsigned i = 0; i < n; i++) {
		const char *name = names(i);

		if (name)
			kv_u64(j, name, v[i], &f);
	}
	json_raw(j, "}", 1);
}

static void eve_stats_defrag(struct json_buf *j, const struct defrag_stats *d,
			     const struct fwd_stats *fw, bool *first)
{
	bool f = true, f2 = true;

	json_key(j, "defrag", first);
	json_raw(j, "{", 1);
	json_key(j, "ipv4", &f);
	json_raw(j, "{", 1);
	kv_u64(j, "fragments", d->ipv4_fragments, &f2);
	kv_u64(j, "reassembled", d->ipv4_reassembled, &f2);
	kv_u64(j, "timeouts", d->ipv4_timeouts, &f2);
	json_raw(j, "}", 1);
	f2 = true;
	json_key(j, "ipv6", &f);
	json_raw(j, "{", 1);
	kv_u64(j, "fragments", d->ipv6_fragments, &f2);
	kv_u64(j, "reassembled", d->ipv6_reassembled, &f2);
	kv_u64(j, "timeouts", d->ipv6_timeouts, &f2);
	json_raw(j, "}", 1);
	/* Suricata's name for the memcap refusals */
	kv_u64(j, "max_frag_hits", d->memcap, &f);
#define F(field) kv_u64(j, #field, d->field, &f)
	F(overlaps); F(overlaps_diff); F(tiny); F(too_many_frags); F(after_last);
	F(too_large); F(invalid); F(truncated); F(tracker_full); F(dropped);
	F(trackers_active); F(chunks_used);
#undef F
	/* several workers: datagrams handed to the worker of their flow */
	kv_u64(j, "forwarded", fw->forwarded, &f);
	kv_u64(j, "forward_drops", fw->drops, &f);
	kv_u64(j, "forward_unknown", fw->unknown, &f);
	kv_u64(j, "forward_wait_timeouts", fw->waits_abandoned, &f);
	json_raw(j, "}", 1);
}

static const char *stream_ev_name(unsigned e)
{
	return stream_event_name((enum stream_event)e);
}

static void eve_stats_stream(struct json_buf *j, const struct stream_stats *s, bool *first)
{
	bool f = true;

	json_key(j, "stream", first);
	json_raw(j, "{", 1);
#define F(field) kv_u64(j, #field, s->field, &f)
	F(segments); F(bytes_delivered); F(retransmissions); F(overlaps); F(overlap_diff);
	F(ooo_segments); F(gaps); F(depth_reached); F(pool_exhausted); F(memuse);
	F(memuse_max);
#undef F
	eve_named_counts(j, "event", s->event, STREAM_EV_MAX, stream_ev_name, &f);
	json_raw(j, "}", 1);
}

/* app_layer: {"flow":{"http":N,...,"failed":N},"tx":{...},...,"event":{"http":{...}}} */
static void eve_stats_app(struct json_buf *j, const struct applayer_stats *a, bool *first)
{
	bool f = true, f2 = true, f3 = true;

	json_key(j, "app_layer", first);
	json_raw(j, "{", 1);
	json_key(j, "flow", &f);
	json_raw(j, "{", 1);
	for (int p = APP_PROTO_HTTP; p < APP_PROTO_MAX; p++)
		kv_u64(j, app_proto_name((enum app_proto)p), a->flows[p], &f2);
	json_raw(j, "}", 1);
	f2 = true;
	json_key(j, "tx", &f);
	json_raw(j, "{", 1);
	for (int p = APP_PROTO_HTTP; p < APP_PROTO_FAILED; p++)
		kv_u64(j, app_proto_name((enum app_proto)p), a->tx[p], &f2);
	json_raw(j, "}", 1);
	kv_u64(j, "memcap_refused", a->memcap_refused, &f);
	kv_u64(j, "gaps", a->gaps, &f);
	kv_u64(j, "memuse", a->memuse, &f);
	json_key(j, "event", &f);
	json_raw(j, "{", 1);
	eve_named_counts(j, "http", a->http_events, HTTP_EV_MAX, http_event_name, &f3);
	eve_named_counts(j, "tls", a->tls_events, TLS_EV_MAX, tls_event_name, &f3);
	eve_named_counts(j, "dns", a->dns_events, DNS_EV_MAX, dns_event_name, &f3);
	json_raw(j, "}", 1);
	json_raw(j, "}", 1);
}

/* decoder.event: {"ipv4":{"trunc_pkt":N,...},...}, every event, zeros too,
 * so dashboards see a stable set of keys. The X-macro is not sorted by
 * group, so groups are emitted in order of first appearance, each once. */
static void eve_decoder_events(struct json_buf *j, const uint64_t *events, bool *first)
{
	bool f = true;

	json_key(j, "event", first);
	json_raw(j, "{", 1);
	for (unsigned e = 0; e < DECODE_EV_MAX; e++) {
		const char *name = decode_event_names[e];
		const char *dot = strchr(name, '.');
		size_t glen;
		bool seen = false;

		if (!dot) {
			/* a name without a group sits directly under "event" */
			kv_u64(j, name, events[e], &f);
			continue;
		}
		glen = (size_t)(dot - name);
		for (unsigned p = 0; p < e && !seen; p++)
			seen = strncmp(decode_event_names[p], name, glen + 1) == 0;
		if (!seen)
			eve_event_group(j, events, name, glen, &f);
	}
	json_raw(j, "}", 1);
}

int eve_format_stats(struct json_buf *j, const struct eve_ctx *ctx,
		     const struct stats_snapshot *s)
{
	const struct capture_stats *c = &s->capture;
	const struct decode_stats *d = &s->decoder;
	const struct flow_stats *fl = &s->flow;
	const struct output_stats *o = &s->output;
	size_t start = j->len;
	bool first = true, f1 = true, f2;

	if (j->truncated)
		return -ENOSPC;
	json_raw(j, "{", 1);
	kv_ts(j, "timestamp", s->ts_us, &first);
	json_key(j, "event_type", &first);
	json_cstr(j, "stats");
	json_key(j, "stats", &first);
	json_raw(j, "{", 1);
	kv_u64(j, "uptime", s->uptime_s, &f1);

	f2 = true;
	json_key(j, "capture", &f1);
	json_raw(j, "{", 1);
	kv_u64(j, "kernel_packets", c->kernel_packets, &f2);
	kv_u64(j, "kernel_drops", c->kernel_drops, &f2);
	kv_u64(j, "kernel_ifdrops", c->kernel_ifdrops, &f2);
	kv_u64(j, "packets", c->packets, &f2);
	kv_u64(j, "bytes", c->bytes, &f2);
	kv_u64(j, "errors", c->errors, &f2);
	kv_u64(j, "dispatch_ring_full", s->dispatch.ring_full, &f2);
	kv_u64(j, "dispatch_batches", s->dispatch.batches, &f2);
	kv_u64(j, "too_big", s->dispatch.too_big, &f2);
	/* DPDK port counters (zero with libpcap) */
	kv_u64(j, "imissed", c->imissed, &f2);
	kv_u64(j, "ierrors", c->ierrors, &f2);
	kv_u64(j, "rx_nombuf", c->rx_nombuf, &f2);
	kv_u64(j, "multiseg", c->multiseg, &f2);
	kv_u64(j, "truncated", c->truncated, &f2);
	json_raw(j, "}", 1);

	f2 = true;
	json_key(j, "decoder", &f1);
	json_raw(j, "{", 1);
#define D(field) kv_u64(j, #field, d->field, &f2)
	D(pkts); D(bytes); D(invalid); D(ethernet); D(sll); D(null); D(raw);
	D(vlan); D(vlan_qinq); D(mpls); D(ipv4); D(ipv6); D(tcp); D(udp);
	D(icmpv4); D(icmpv6); D(gre); D(erspan); D(vxlan); D(ipv4_in_ipv6);
	D(ipv6_in_ipv6); D(ipv4_frag); D(ipv6_frag); D(other_l3); D(other_l4);
	D(max_pkt_size);
#undef D
	if (ctx->stats_decoder_events)
		eve_decoder_events(j, d->events, &f2);
	json_raw(j, "}", 1);

	f2 = true;
	json_key(j, "flow", &f1);
	json_raw(j, "{", 1);
#define F(field) kv_u64(j, #field, fl->field, &f2)
	F(total); F(active); F(tcp); F(udp); F(icmpv4); F(icmpv6); F(other);
	F(timeout); F(evicted); F(reused); F(shutdown); F(tcp_established);
	F(no_flow);
#undef F
	json_raw(j, "}", 1);

	eve_stats_defrag(j, &s->defrag, &s->defrag_fwd, &f1);
	eve_stats_stream(j, &s->stream, &f1);
	eve_stats_app(j, &s->app, &f1);

	f2 = true;
	json_key(j, "detect", &f1);
	json_raw(j, "{", 1);
	kv_u64(j, "alert", s->detect.alert, &f2);
	if (s->detect.has_ruleset) {
		const struct ruleset_stats *rs = &s->detect.ruleset;
		bool f3 = true;

#define F(field) kv_u64(j, #field, s->detect.field, &f2)
		F(packets); F(candidates); F(checked); F(passed); F(scan_errors);
		F(thresholded); F(thresh_evicted); F(stream_bytes); F(stream_alerts);
#undef F
		json_key(j, "ruleset", &f2);
		json_raw(j, "{", 1);
		kv_u64(j, "generation", rs->generation, &f3);
		kv_str(j, "hash", rs->hash, sizeof(rs->hash), &f3);
#define F(field) kv_u64(j, #field, rs->field, &f3)
		F(rules_loaded); F(rules_active); F(build_us); F(memory_bytes); F(hs_bytes);
		F(reloads); F(reload_failures);
#undef F
		kv_ts(j, "loaded_at", rs->loaded_at_us, &f3);
		if (rs->last_error[0])
			kv_str(j, "last_error", rs->last_error, sizeof(rs->last_error), &f3);
		json_raw(j, "}", 1);
	}
	json_raw(j, "}", 1);

	f2 = true;
	json_key(j, "output", &f1);
	json_raw(j, "{", 1);
	kv_u64(j, "events_written", o->events_written, &f2);
	kv_u64(j, "write_errors", o->write_errors, &f2);
	kv_u64(j, "ring_drops", o->ring_drops, &f2);
	kv_u64(j, "alerts_printed", o->alerts_printed, &f2);
	if (s->nkafka) {
		json_key(j, "kafka", &f2);
		json_raw(j, "[", 1);
		for (unsigned i = 0; i < s->nkafka && i < KAFKA_MAX_SINKS; i++) {
			const struct kafka_sink_stats *k = &s->kafka[i];
			bool f3 = true;

			if (i)
				json_raw(j, ",", 1);
			json_raw(j, "{", 1);
			kv_str(j, "topic", s->kafka_topic[i], sizeof(s->kafka_topic[i]), &f3);
#define K(field) kv_u64(j, #field, k->field, &f3)
			K(produced); K(delivered); K(failed); K(spooled); K(replayed);
			K(dropped); K(queue_full); K(spool_pending); K(spool_bytes);
			K(spool_torn); K(broker_down); K(latency_count); K(latency_p50_us);
			K(latency_p99_us); K(latency_max_us);
#undef K
			json_raw(j, "}", 1);
		}
		json_raw(j, "]", 1);
	}
	json_raw(j, "}", 1);

	if (s->has_anomaly) {
		const struct anomaly_stats *an = &s->anomaly;

		f2 = true;
		json_key(j, "anomaly", &f1);
		json_raw(j, "{", 1);
#define F(field) kv_u64(j, #field, an->field, &f2)
		F(events); F(ring_drops); F(alerts); F(alert_drops); F(evictions);
		F(rejected); F(sources); F(victims); F(memory); F(ticks);
#undef F
		json_raw(j, "}", 1);
	}

	json_raw(j, "}", 1);
	eve_sensor(j, ctx, &first);
	json_raw(j, "}", 1);
	return finish(j, start);
}

/*
 * Suricata's fast.log line:
 *   MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**]
 *   [Classification: cat] [Priority: N] {PROTO} src:port -> dst:port
 * in UTC (Suricata uses local time; the sensor logs UTC everywhere). ICMP
 * shows type and code in the port positions, as Suricata does. The
 * signature is rule text, but control characters are still replaced so a
 * console line stays one line. No trailing newline.
 */
size_t eve_format_fast(char *buf, size_t len, const struct event_record *ev)
{
	const struct event_alert *a = &ev->alert;
	char sig[EVENT_SIG_MAX], cat[EVENT_CATEGORY_MAX];
	char sbuf[INET6_ADDRSTRLEN], dbuf[INET6_ADDRSTRLEN], pbuf[8];
	time_t secs = (time_t)(ev->ts_us / 1000000);
	unsigned sp = ev->sport, dp = ev->dport;
	size_t n;
	struct tm tm;
	int r;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (!gmtime_r(&secs, &tm))
		memset(&tm, 0, sizeof(tm));
	n = strnlen(a->signature, sizeof(a->signature) - 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)a->signature[i];
		sig[i] = c < 0x20 || c == 0x7f ? '.' : (char)c;
	}
	sig[n] = '\0';
	n = strnlen(a->category, sizeof(a->category) - 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)a->category[i];
		cat[i] = c < 0x20 || c == 0x7f ? '.' : (char)c;
	}
	cat[n] = '\0';
	if (is_icmp(ev->proto)) {
		sp = ev->icmp_type;
		dp = ev->icmp_code;
	}
	r = snprintf(buf, len,
		     "%02d/%02d/%04d-%02d:%02d:%02d.%06u  %s[**] [%" PRIu32 ":%" PRIu32
		     ":%" PRIu32 "] %s [**] [Classification: %s] [Priority: %u] "
		     "{%s} %s:%u -> %s:%u",
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (unsigned)(ev->ts_us % 1000000),
		     a->action == ALERT_ACTION_BLOCKED ? "[Drop] " : "",
		     a->gid, a->sid, a->rev, sig,
		     /* Suricata prints a missing classtype as (null) */
		     cat[0] ? cat : "(null)", a->severity,
		     eve_proto_name(ev->proto, pbuf, sizeof(pbuf)),
		     addr_str(ev->ip_ver, &ev->src, sbuf, sizeof(sbuf)), sp,
		     addr_str(ev->ip_ver, &ev->dst, dbuf, sizeof(dbuf)), dp);
	if (r < 0)
		return 0;
	return (size_t)r >= len ? len - 1 : (size_t)r;
}
