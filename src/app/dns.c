/*
 * dns: DNS messages over UDP and TCP (see dns.h).
 *
 * A message is walked once, front to back: header, questions, then the
 * answer, authority and additional records, each bounds-checked against
 * the message. Every question and answer name is decoded into one scratch
 * buffer in the state and handed to detection at once, so nothing is kept
 * per record and a message of any record count costs no memory. What
 * parsed before a malformed part is still inspected (appending garbage
 * must not hide a query from the rules); the rest of the message is
 * dropped with malformed_data.
 *
 * Names follow compression pointers anywhere in the message, as resolvers
 * (and Suricata) do; every label and every pointer is a step, and more
 * than 255 steps can only be a loop, so decoding always ends. A name that
 * loops still yields what was decoded before the loop, since its end in
 * the message is known from the first pointer.
 *
 * TCP: a message that arrives whole inside one call is parsed in place;
 * otherwise its bytes collect in the direction's buffer (the length prefix
 * may itself be split). A message longer than the buffer is parsed from
 * its prefix and the rest skipped, so framing never gets lost.
 */
#include <stddef.h>
#include <string.h>

#include "mamori/dns.h"

static const char *const dns_event_names[DNS_EV_MAX] = {
#define X(id, name) [DNS_EV_##id] = name,
	DNS_EVENTS(X)
#undef X
};

const char *dns_event_name(unsigned ev)
{
	return ev < DNS_EV_MAX ? dns_event_names[ev] : NULL;
}

static inline uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int dns_name_decode(const uint8_t *msg, uint32_t len, uint32_t *off,
		    uint8_t *out, uint32_t cap, unsigned *flags)
{
	uint32_t pos = *off, end = 0, n = 0, wire = 1, steps = 0;
	bool jumped = false;

	*flags = 0;
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -1;
		c = msg[pos];
		if (c == 0) {
			pos++;
			break;
		}
		if ((c & 0xc0) == 0) {
			if ((uint64_t)pos + 1 + c > len)
				return -1;
			wire += 1u + c;
			if (!(*flags & DNS_NAME_F_CUT)) {
				uint32_t need = n + (n > 0) + c;

				if (need > cap) {
					*flags |= DNS_NAME_F_CUT;
				} else {
					if (n > 0)
						out[n++] = '.';
					memcpy(out + n, msg + pos + 1, c);
					n += c;
				}
			}
			pos += 1u + c;
		} else if ((c & 0xc0) == 0xc0) {
			uint32_t to;

			if (pos + 1 >= len)
				return -1;
			to = (uint32_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (!jumped) {
				end = pos + 2;
				jumped = true;
			}
			if (to >= len)
				return -1;
			if (to == pos) {
				/* points at itself: the name ends here */
				*flags |= DNS_NAME_F_LOOP;
				break;
			}
			pos = to;
		} else {
			/* 0x40 and 0x80: extended and reserved label types */
			return -1;
		}
		if (++steps > 255) {
			/* no name has that many labels: a pointer loop, or
			 * (without pointers) a name longer than any message */
			if (!jumped) {
				*flags |= DNS_NAME_F_LABELS;
				return -1;
			}
			*flags |= DNS_NAME_F_LOOP;
			break;
		}
		if (jumped && (*flags & DNS_NAME_F_CUT))
			break;
	}
	if (wire > 255)
		*flags |= DNS_NAME_F_TOO_LONG;
	*off = jumped ? end : pos;
	return (int)n;
}

/* Length of the valid UTF-8 sequence at p (as Rust's str::from_utf8
 * accepts: no overlongs, no surrogates, at most U+10FFFF), 0 if invalid. */
static uint32_t utf8_seq(const uint8_t *p, uint32_t left)
{
	uint8_t c = p[0];
	uint32_t n, i;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (left < n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void dns_name_print(const uint8_t *name, uint32_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	bool utf8 = true;
	size_t o = 0;
	uint32_t i;

	if (cap == 0)
		return;
	for (i = 0; i < len; ) {
		uint32_t n = utf8_seq(name + i, len - i);

		if (n == 0) {
			utf8 = false;
			break;
		}
		i += n;
	}
	for (i = 0; i < len; i++) {
		uint8_t c = name[i];

		if (utf8 || c < 0x80) {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

struct dns_ctx {
	struct dns_state *st;
	app_inspect_fn inspect;
	app_event_fn event;
	void *arg;
};

static void dns_event(const struct dns_ctx *c, unsigned ev)
{
	if (c->event)
		c->event(c->arg, ev);
}

static void dns_name_events(const struct dns_ctx *c, unsigned flags)
{
	if (flags & DNS_NAME_F_LOOP)
		dns_event(c, DNS_EV_INFINITE_LOOP);
	if (flags & (DNS_NAME_F_TOO_LONG | DNS_NAME_F_CUT))
		dns_event(c, DNS_EV_NAME_TOO_LONG);
	if (flags & DNS_NAME_F_LABELS)
		dns_event(c, DNS_EV_TOO_MANY_LABELS);
}

/*
 * One whole message m[0..len). cut: len is only the message's prefix (the
 * rest did not fit the TCP buffer; already counted as truncated), so
 * running out of bytes is expected and not malformed.
 */
static void dns_message(const struct dns_ctx *c, int dir, const uint8_t *m,
			uint32_t len, bool cut)
{
	struct dns_state *st = c->st;
	struct app_inspect in;
	struct app_meta meta;
	struct app_meta_dns *md = &meta.u.dns;
	uint8_t name[DNS_NAME_MAX];     /* one decoded name at a time */
	uint16_t id, fl, qd, cnt[3];
	uint32_t pos = 12;
	unsigned nf;
	bool response;
	uint8_t opcode;

	memset(&in, 0, sizeof(in));
	in.proto = APP_PROTO_DNS;
	in.dir = (uint8_t)dir;
	in.tx_id = st->dir[dir].tx++;
	in.meta = &meta;
	if (len < 12) {
		if (!cut)
			dns_event(c, DNS_EV_MALFORMED_DATA);
		return;
	}
	id = be16(m);
	fl = be16(m + 2);
	qd = be16(m + 4);
	cnt[0] = be16(m + 6);
	cnt[1] = be16(m + 8);
	cnt[2] = be16(m + 10);
	response = fl & 0x8000;
	opcode = (fl >> 11) & 0xf;
	if (fl & 0x0040)
		dns_event(c, DNS_EV_Z_FLAG_SET);
	/* assigned: query, iquery, status, notify, update, DSO */
	if (opcode == 3 || opcode > 6)
		dns_event(c, DNS_EV_INVALID_OPCODE);

	memset(&meta, 0, sizeof(meta));
	meta.proto = APP_PROTO_DNS;
	md->id = id;
	md->rcode = fl & 0xf;
	md->response = response;

	for (uint32_t i = 0; i < qd; i++) {
		int n = dns_name_decode(m, len, &pos, name, DNS_NAME_MAX, &nf);

		dns_name_events(c, nf);
		if (n < 0 || pos + 4 > len)
			goto bad;
		md->rrtype = be16(m + pos);
		pos += 4;
		dns_name_print(name, (uint32_t)n, md->rrname, sizeof(md->rrname));
		in.buf[RULE_BUF_DNS_QUERY_NAME].p = name;
		in.buf[RULE_BUF_DNS_QUERY_NAME].len = (uint32_t)n;
		if (!response)
			in.buf[RULE_BUF_DNS_QUERY] = in.buf[RULE_BUF_DNS_QUERY_NAME];
		if (c->inspect)
			c->inspect(c->arg, &in);
	}
	in.buf[RULE_BUF_DNS_QUERY].p = NULL;
	in.buf[RULE_BUF_DNS_QUERY].len = 0;
	in.buf[RULE_BUF_DNS_QUERY_NAME].p = NULL;
	in.buf[RULE_BUF_DNS_QUERY_NAME].len = 0;

	/* answer, authority, additional */
	for (unsigned s = 0; s < 3; s++) {
		for (uint32_t i = 0; i < cnt[s]; i++) {
			int n = dns_name_decode(m, len, &pos, name,
						DNS_NAME_MAX, &nf);
			uint16_t rdlen;

			dns_name_events(c, nf);
			if (n < 0 || pos + 10 > len)
				goto bad;
			rdlen = be16(m + pos + 8);
			if (pos + 10 + rdlen > len)
				goto bad;
			if (s == 0) {
				md->rrtype = be16(m + pos);
				dns_name_print(name, (uint32_t)n, md->rrname,
					       sizeof(md->rrname));
				in.buf[RULE_BUF_DNS_ANSWER_NAME].p = name;
				in.buf[RULE_BUF_DNS_ANSWER_NAME].len = (uint32_t)n;
				if (c->inspect)
					c->inspect(c->arg, &in);
			}
			pos += 10u + rdlen;
		}
	}
	return;
bad:
	if (!cut)
		dns_event(c, DNS_EV_MALFORMED_DATA);
}

bool dns_probe(const uint8_t *p, uint32_t len, bool tcp)
{
	uint32_t mlen, off = 12;
	uint16_t fl, qd, rr;
	uint8_t opcode;
	uint8_t scratch[256];
	unsigned nf;

	if (tcp) {
		if (len < 2)
			return false;
		mlen = be16(p);
		p += 2;
		len -= 2;
		if (len > mlen)
			len = mlen;
	} else {
		mlen = len;
	}
	if (mlen < 12 || len < 12)
		return false;
	fl = be16(p + 2);
	opcode = (fl >> 11) & 0xf;
	if (opcode == 3 || opcode > 6 || (fl & 0x0040))
		return false;
	qd = be16(p + 4);
	rr = 0;
	for (unsigned i = 0; i < 3; i++) {
		uint16_t v = be16(p + 6 + 2 * i);

		rr = v > UINT16_MAX - rr ? UINT16_MAX : (uint16_t)(rr + v);
	}
	/* a question takes at least 5 bytes, a record 11 */
	if (qd == 0 || (uint64_t)qd * 5 + (uint64_t)rr * 11 > mlen - 12)
		return false;
	if (dns_name_decode(p, len, &off, scratch, sizeof(scratch), &nf) < 0)
		return len < mlen;      /* may be only cut short */
	return !(nf & DNS_NAME_F_LOOP) && (off + 4 <= len || len < mlen);
}

size_t dns_state_size(bool tcp)
{
	return tcp ? sizeof(struct dns_state) : offsetof(struct dns_state, buf);
}

void dns_state_init(struct dns_state *st, bool tcp)
{
	/* the buffers need no clearing: lengths say what is valid */
	for (unsigned d = 0; d < 2; d++) {
		st->dir[d].tx = 0;
		st->dir[d].lenhave = 0;
		st->dir[d].inmsg = false;
		st->dir[d].need = 0;
		st->dir[d].have = 0;
	}
	st->tcp = tcp;
}

void dns_parse(struct dns_state *st, int dir, const uint8_t *data, uint32_t len,
	       app_inspect_fn inspect, app_event_fn event, void *arg)
{
	const struct dns_ctx c = { st, inspect, event, arg };
	struct dns_dir *d;

	if (dir != 0 && dir != 1)
		return;
	if (!st->tcp) {
		dns_message(&c, dir, data, len, false);
		return;
	}
	d = &st->dir[dir];
	while (len > 0) {
		uint32_t take, room;

		if (!d->inmsg) {
			if (d->lenhave == 0 && len >= 2 &&
			    len - 2 >= be16(data)) {
				/* whole message here: no copy */
				uint32_t n = be16(data);

				dns_message(&c, dir, data + 2, n, false);
				data += 2 + n;
				len -= 2 + n;
				continue;
			}
			d->lenbuf[d->lenhave++] = *data++;
			len--;
			if (d->lenhave == 2) {
				d->lenhave = 0;
				d->need = be16(d->lenbuf);
				d->have = 0;
				d->inmsg = true;
			}
			if (!d->inmsg || d->need > 0)
				continue;
		}
		take = d->need - d->have;
		if (take > len)
			take = len;
		room = d->have < DNS_TCP_MSG_MAX ? DNS_TCP_MSG_MAX - d->have : 0;
		if (room > 0)
			memcpy(st->buf[dir] + d->have, data, take < room ? take : room);
		d->have += take;
		data += take;
		len -= take;
		if (d->have == d->need) {
			bool cut = d->need > DNS_TCP_MSG_MAX;

			d->inmsg = false;
			if (cut)
				dns_event(&c, DNS_EV_TRUNCATED);
			dns_message(&c, dir, st->buf[dir],
				    cut ? DNS_TCP_MSG_MAX : d->need, cut);
		}
	}
}
