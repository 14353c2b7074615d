/*
 * test_detect: the detection engine. Each test loads rules from a string,
 * builds the engine and one thread, runs hand-built packets (headers as
 * struct packet fields, payload bytes behind them) through detect_packet()
 * and asserts the exact sids that alerted, in order: content and its
 * modifiers, relative matching with backtracking, pcre, header options,
 * flow state, addresses and ports, pass and noalert, rules without a fast
 * pattern, a 1000-rule group, the alert record, the skip counters,
 * flowbits (per flow, same-packet order, groups) and threshold /
 * detection_filter over timed packet sequences.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/detect.h"
#include "mamori/rule.h"
#include "mamori/tls.h"

/* ---- helpers ------------------------------------------------------------ */

struct env {
	struct ruleset *rs;
	struct detect_engine *e;
	struct detect_thread *t;
	char sids[512];
	struct event_alert last;
	const struct app_meta *last_app;
	unsigned n;
};

static void on_alert(void *arg, const struct packet *p, const struct flow *f,
		     const struct event_alert *a, const struct app_meta *app)
{
	struct env *v = arg;
	size_t len = strlen(v->sids);

	snprintf(v->sids + len, sizeof(v->sids) - len, "%s%u", len ? "," : "", a->sid);
	v->last = *a;
	v->last_app = app;
	v->n++;
}

static int env_open(struct env *v, const char *rules)
{
	char err[256] = "";

	memset(v, 0, sizeof(*v));
	v->rs = ruleset_new(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->rs);
	CU_ASSERT_EQUAL(ruleset_load_string(v->rs, rules, "test.rules"), 0);
	for (size_t i = 0; i < ruleset_error_count(v->rs); i++)
		fprintf(stderr, "%s\n", ruleset_error(v->rs, i)->message);
	CU_ASSERT_EQUAL(ruleset_failed(v->rs), 0);
	v->e = detect_engine_build(v->rs, NULL, err, sizeof(err));
	if (!v->e)
		fprintf(stderr, "build: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->e);
	v->t = detect_thread_new(v->e, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v->t);
	return 0;
}

static void env_close(struct env *v)
{
	detect_thread_free(v->t);
	detect_engine_free(v->e);
	ruleset_free(v->rs);
}

struct tpkt {
	struct packet p;
	uint8_t buf[2048];
};

#define HDR 40  /* room where headers would be; the engine reads fields */

static void addr(const char *s, int *ver, union ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	*ver = strchr(s, ':') ? 6 : 4;
	CU_ASSERT_EQUAL(inet_pton(*ver == 6 ? AF_INET6 : AF_INET, s, a->b), 1);
}

static struct packet *mk(struct tpkt *t, uint8_t proto, const char *src, uint16_t sport,
			 const char *dst, uint16_t dport, const void *pl, size_t len)
{
	struct packet *p = &t->p;
	int ver;

	memset(t, 0, sizeof(*t));
	memcpy(t->buf + HDR, pl, len);
	p->data = t->buf;
	p->caplen = p->wirelen = (uint32_t)(HDR + len);
	addr(src, &ver, &p->src);
	addr(dst, &ver, &p->dst);
	p->ip_ver = (uint8_t)ver;
	p->flags = ver == 4 ? PKT_IPV4 : PKT_IPV6;
	p->proto = proto;
	p->ttl = 64;
	p->sport = sport;
	p->dport = dport;
	p->l3_off = 14;
	p->l4_off = 34;
	p->payload_off = HDR;
	p->payload_len = (uint16_t)len;
	if (proto == 6) {
		p->flags |= PKT_TCP;
		p->tcp_flags = TCP_ACK | TCP_PSH;
	} else if (proto == 17) {
		p->flags |= PKT_UDP;
	}
	return p;
}

/* TCP 10.0.0.1:1234 -> 10.0.0.2:80 carrying s. */
static struct packet *tcp_s(struct tpkt *t, const char *s)
{
	return mk(t, 6, "10.0.0.1", 1234, "10.0.0.2", 80, s, strlen(s));
}

/* Run p; the comma-separated sids that alerted. */
static const char *run(struct env *v, const struct packet *p, struct flow *f, enum flow_dir dir)
{
	unsigned n;

	v->sids[0] = 0;
	v->n = 0;
	n = detect_packet(v->t, p, f, dir, on_alert, v);
	CU_ASSERT_EQUAL(n, v->n);
	return v->sids;
}

static const char *run_s(struct env *v, const char *payload)
{
	struct tpkt t;

	return run(v, tcp_s(&t, payload), NULL, FLOW_TOSERVER);
}

#define R "alert tcp any any -> any any "

/* CU_ASSERT_STRING_EQUAL that shows what it got. */
#define EXPECT(got, want) do {                                                  \
		const char *g_ = (got);                                         \
		if (strcmp(g_, (want)))                                         \
			fprintf(stderr, "\n%s:%d: got \"%s\", want \"%s\"\n",   \
				__FILE__, __LINE__, g_, (want));                \
		CU_ASSERT_STRING_EQUAL(g_, (want));                             \
	} while (0)

/* ---- content -------------------------------------------------------------- */

static void test_content_basic(void)
{
	struct env v;
	struct tpkt t;

	env_open(&v, R "(msg:\"evil\"; content:\"evil\"; sid:1;)\n"
		     R "(content:\"good\"; sid:2;)\n"
		     R "(content:\"|00 01|evil\"; sid:3;)\n"
		     R "(content:\"ev\"; content:\"il\"; sid:4;)\n");
	EXPECT(run_s(&v, "this is evil stuff"), "1,4");
	EXPECT(run_s(&v, "good and evil"), "1,2,4");
	EXPECT(run_s(&v, "EVIL"), "");
	EXPECT(run(&v, mk(&t, 6, "10.0.0.1", 1, "10.0.0.2", 2,
					  "\x00\x01" "evil", 6), NULL, FLOW_TOSERVER), "1,3,4");
	/* no payload, nothing to match */
	EXPECT(run(&v, mk(&t, 6, "10.0.0.1", 1, "10.0.0.2", 2, "", 0),
				   NULL, FLOW_TOSERVER), "");
	/* a UDP packet goes to another group: tcp rules do not see it */
	EXPECT(run(&v, mk(&t, 17, "10.0.0.1", 1, "10.0.0.2", 2, "evil", 4),
				   NULL, FLOW_TOSERVER), "");
	env_close(&v);
}

static void test_nocase(void)
{
	struct env v;

	env_open(&v, R "(content:\"EVIL\"; nocase; sid:3;)\n"
		     R "(content:\"EVIL\"; sid:4;)\n"
		     R "(content:\"x\"; content:\"EvIl\"; nocase; fast_pattern; sid:5;)\n");
	EXPECT(run_s(&v, "some evil x"), "3,5");
	EXPECT(run_s(&v, "EVIL"), "3,4");
	EXPECT(run_s(&v, "eViL"), "3");
	env_close(&v);
}

static void test_offset_depth(void)
{
	struct env v;

	env_open(&v, R "(content:\"abc\"; offset:2; depth:3; sid:1;)\n"
		     R "(content:\"abc\"; depth:3; sid:2;)\n"
		     R "(content:\"abc\"; offset:1; sid:3;)\n");
	EXPECT(run_s(&v, "xxabc"), "1,3");
	EXPECT(run_s(&v, "xxxabc"), "3");
	EXPECT(run_s(&v, "abc"), "2");
	EXPECT(run_s(&v, "abcabc"), "2,3");
	env_close(&v);
}

static void test_distance_within(void)
{
	struct env v;

	env_open(&v, R "(content:\"a\"; content:\"Yb\"; distance:1; within:3; sid:1;)\n"
		     R "(content:\"a\"; content:\"Yb\"; distance:0; within:2; sid:2;)\n"
		     R "(content:\"a\"; content:\"b\"; distance:2; sid:3;)\n"
		     R "(content:\"xy\"; content:\"z\"; within:1; sid:4;)\n"
		     R "(content:\"ab\"; content:\"a\"; distance:-2; within:1; sid:5;)\n");
	/* The first 'a' leaves no room for "Yb"; only backtracking into the
	 * second 'a' finds it. */
	EXPECT(run_s(&v, "aXb a_Yb"), "1,3");
	EXPECT(run_s(&v, "aXb aYb"), "2,3");
	EXPECT(run_s(&v, "ab"), "5");
	EXPECT(run_s(&v, "xyaz xyz"), "4");
	EXPECT(run_s(&v, "xyaz xy z"), "");
	env_close(&v);
}

static void test_negated(void)
{
	struct env v;

	env_open(&v, R "(content:\"GET\"; content:!\"admin\"; sid:1;)\n"
		     R "(content:\"GET\"; content:!\"/\"; within:1; sid:2;)\n"
		     R "(content:!\"zzz\"; sid:3;)\n");
	EXPECT(run_s(&v, "GET /index"), "1,2,3");
	EXPECT(run_s(&v, "GET/admin"), "3");
	EXPECT(run_s(&v, "GET /admin zzz"), "2");
	env_close(&v);
}

static void test_starts_ends(void)
{
	struct env v;

	env_open(&v, R "(content:\"GET\"; startswith; sid:1;)\n"
		     R "(content:\".exe\"; endswith; sid:2;)\n"
		     R "(content:\"MZ\"; startswith; content:\".EXE\"; nocase; endswith; sid:3;)\n");
	EXPECT(run_s(&v, "GET /a.exe"), "1,2");
	EXPECT(run_s(&v, " GET /a.exe "), "");
	EXPECT(run_s(&v, "MZ.exe.exe"), "2,3");
	env_close(&v);
}

static void test_isdataat(void)
{
	struct env v;

	env_open(&v, R "(content:\"A\"; isdataat:2,relative; sid:1;)\n"
		     R "(content:\"A\"; isdataat:!1,relative; sid:2;)\n"
		     R "(content:\"A\"; isdataat:5; sid:3;)\n");
	EXPECT(run_s(&v, "A12"), "1");
	EXPECT(run_s(&v, "A1"), "");
	EXPECT(run_s(&v, "xA"), "2");
	EXPECT(run_s(&v, "A12345"), "1,3");
	env_close(&v);
}

/* ---- byte_test, byte_jump, byte_extract ------------------------------------ */

static const char *run_b(struct env *v, const void *payload, uint32_t len)
{
	struct tpkt t;

	return run(v, mk(&t, 6, "10.0.0.1", 1, "10.0.0.2", 2, payload, len), NULL,
		   FLOW_TOSERVER);
}

static void test_byte_test(void)
{
	struct env v;

	env_open(&v, R "(content:\"H\"; byte_test:2,>,0x100,1; sid:1;)\n"
		     R "(content:\"H\"; byte_test:2,=,0x0201,1,little; sid:2;)\n"
		     R "(content:\"H\"; byte_test:1,!=,1,0,relative; sid:3;)\n"
		     R "(content:\"H\"; byte_test:1,&,0x80,2; sid:4;)\n"
		     R "(content:\"H\"; byte_test:3,<,500,3,string,dec; sid:5;)\n"
		     R "(content:\"H\"; byte_test:2,=,0x1,1,bitmask 0x0f00; sid:6;)\n"
		     R "(content:\"H\"; byte_test:4,>,0,4,relative; sid:7;)\n"
		     R "(content:\"H\"; byte_test:2,^,0x0102,1; sid:8;)\n");
	/* H 01 02 "42x": 0x0102 big, 0x0201 little; the string reads "42"
	 * and stops at the first non-digit */
	EXPECT(run_b(&v, "H\x01\x02" "42x", 6), "1,2,5,6");
	/* H 00 81 "999": sid 3 sees 0x00 after H, sid 4 the high bit;
	 * 999 is not < 500; sid 8: 0x0081 ^ 0x0102 != 0 */
	EXPECT(run_b(&v, "H\x00\x81" "999", 6), "3,4,8");
	/* too short for any read past byte 2; no digits for the string */
	EXPECT(run_b(&v, "H\x01", 2), "");
	EXPECT(run_b(&v, "H\x01\x02zz", 5), "1,2,6");
	env_close(&v);
}

static void test_byte_jump(void)
{
	struct env v;

	env_open(&v, R "(content:\"L\"; byte_jump:1,0,relative; content:\"OK\"; within:2; sid:1;)\n"
		     R "(content:\"L\"; byte_jump:1,0,relative,multiplier 2; content:\"OK\"; within:2; sid:2;)\n"
		     R "(byte_jump:1,0,from_beginning,post_offset 1; content:\"OK\"; within:2; sid:3;)\n"
		     R "(content:\"L\"; byte_jump:1,0,relative,align; content:\"OK\"; within:2; sid:4;)\n"
		     R "(content:\"L\"; byte_jump:2,0,relative,string,dec; content:\"OK\"; within:2; sid:5;)\n"
		     R "(content:\"L\"; byte_jump:1,1,from_end,post_offset -3; content:\"OK\"; within:2; sid:6;)\n");
	/* L 02 x x O K: 2 bytes after the length byte; from_end lands at
	 * 6 + 2 - 3 = 5, one byte short of "OK" */
	EXPECT(run_b(&v, "L\x02xxOK", 6), "1");
	/* L 01: multiplier 2 jumps 2 bytes; align rounds 1 up to 4;
	 * from_end lands on len - 2 */
	EXPECT(run_b(&v, "L\x01xxOK", 6), "2,6");
	EXPECT(run_b(&v, "L\x01xxxxOK", 8), "4,6");
	/* from_beginning: byte 0 is 3, plus post_offset 1 -> offset 4 */
	EXPECT(run_b(&v, "\x03-LOK-", 6), "");
	EXPECT(run_b(&v, "\x03---OK", 6), "3");
	EXPECT(run_b(&v, "L03abcOK", 8), "5");
	/* a jump past the end fails */
	EXPECT(run_b(&v, "L\x09OK", 4), "");
	env_close(&v);
}

static void test_byte_extract(void)
{
	struct env v;

	env_open(&v, R "(content:\"T\"; byte_extract:1,0,len,relative; content:\"END\"; distance:len; within:3; sid:1;)\n"
		     R "(byte_extract:1,0,off; content:\"Z\"; offset:off; depth:1; sid:2;)\n"
		     R "(content:\"T\"; byte_extract:1,0,n,relative; byte_test:1,=,n,0,relative; sid:3;)\n"
		     R "(content:\"T\"; byte_extract:1,0,n,relative; byte_jump:n,0,relative; isdataat:1,relative; sid:4;)\n"
		     R "(content:\"T\"; byte_extract:1,0,n,relative,multiplier 2; isdataat:n,relative; sid:5;)\n");
	/* T 02 ab END: len 2 skips "ab"; byte 0 is 'T' = 84 for sid 2 */
	EXPECT(run_b(&v, "T\x02" "abEND", 7), "1,5");
	/* 02 then Z at 2; T 00 00: n = 0 equals the next byte; a 0-byte
	 * jump stays put, one byte is left after it */
	EXPECT(run_b(&v, "\x02TZ", 3), "2");
	EXPECT(run_b(&v, "T\x00\x00", 3), "3,4,5");
	env_close(&v);
}

static void test_pcre(void)
{
	struct env v;

	env_open(&v, R "(pcre:\"/ab+c/i\"; sid:1;)\n"
		     R "(content:\"user=\"; pcre:\"/^[a-z]+\\;/R\"; sid:2;)\n"
		     R "(content:\"id\"; pcre:!\"/^=\\d/R\"; sid:3;)\n"
		     R "(pcre:\"/^x.y$/s\"; sid:4;)\n");
	EXPECT(run_s(&v, "xxABBBCxx"), "1");
	EXPECT(run_s(&v, "user=bob;"), "2");
	EXPECT(run_s(&v, "user=BOB;"), "");
	/* ^ anchors at the end of the content; the first "user=" fails and
	 * the content is retried at its second occurrence */
	EXPECT(run_s(&v, "user=1; user=bob;"), "2");
	EXPECT(run_s(&v, "id=1"), "");
	EXPECT(run_s(&v, "id=x"), "3");
	EXPECT(run_s(&v, "x\ny"), "4");
	env_close(&v);
}

/* pcre-only rules are prefiltered by their regex in Hyperscan; PCRE2
 * still decides, and what Hyperscan refuses falls back to every packet. */
static void test_pcre_prefilter(void)
{
	struct env v;
	struct detect_engine_stats st;
	const struct detect_thread_stats *ts;
	uint64_t c0;

	env_open(&v, R "(pcre:\"/ab+c/i\"; sid:1;)\n"
		     R "(pcre:\"/(\\w+)=\\1/\"; sid:2;)\n"
		     R "(pcre:\"/ a b c /x\"; sid:3;)\n"
		     R "(pcre:\"/^GET\\s/m\"; sid:4;)\n"
		     R "(pcre:!\"/zzz/\"; sid:5;)\n"
		     R "(pcre:\"/x\\Ky/\"; sid:6;)\n"
		     R "(pcre:\"/q(*SKIP)r/\"; sid:7;)\n");
	detect_engine_info(v.e, &st);
	/* the negated one cannot be prefiltered; Hyperscan refuses \K and
	 * (*SKIP), so those two are left out of the database (one compile
	 * attempt each) and checked on every packet */
	CU_ASSERT_EQUAL(st.rules_pcre_prefiltered, 4);
	CU_ASSERT_EQUAL(st.rules_active, 7);
	ts = detect_thread_stats(v.t);
	c0 = ts->candidates;
	EXPECT(run_s(&v, "nothing here"), "5");
	CU_ASSERT_EQUAL(ts->candidates, c0);
	EXPECT(run_s(&v, "xxABBC"), "1,5");
	/* a backreference: Hyperscan approximates it (superset), PCRE2
	 * rejects x=y and accepts x=x */
	EXPECT(run_s(&v, "a=b"), "5");
	EXPECT(run_s(&v, "ab=ab"), "2,5");
	EXPECT(run_s(&v, "abc"), "1,3,5");
	EXPECT(run_s(&v, "x\nGET / zzz"), "4");
	EXPECT(run_s(&v, "qr xy"), "5,6,7");
	env_close(&v);
}

/* ---- header options --------------------------------------------------------- */

static void test_dsize(void)
{
	struct env v;
	struct tpkt t;

	env_open(&v, R "(dsize:>5; sid:1;)\n"
		     R "(dsize:3<>6; sid:2;)\n"
		     R "(dsize:0; sid:3;)\n"
		     R "(content:\"ab\"; dsize:2; sid:4;)\n");
	EXPECT(run_s(&v, "abcdefg"), "1");
	EXPECT(run_s(&v, "abcd"), "2");
	EXPECT(run_s(&v, "ab"), "4");
	EXPECT(run(&v, mk(&t, 6, "10.0.0.1", 1, "10.0.0.2", 2, "", 0),
				   NULL, FLOW_TOSERVER), "3");
	env_close(&v);
}

static void test_flow(void)
{
	struct env v;
	struct tpkt t;
	struct flow f;
	struct packet *p;

	env_open(&v, R "(flow:to_server,established; content:\"x\"; sid:1;)\n"
		     R "(flow:to_client; content:\"x\"; sid:2;)\n"
		     R "(flow:not_established; content:\"x\"; sid:3;)\n"
		     R "(flow:stateless; content:\"x\"; sid:4;)\n"
		     "alert udp any any -> any any (flow:established; content:\"x\"; sid:5;)\n");
	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.tcp_state = TCP_STATE_ESTABLISHED;
	/* the packet that completed the handshake is not yet established,
	 * as in Suricata: a packet is judged by the state it arrived in */
	f.flags = FLOW_F_ESTABLISHED;
	p = tcp_s(&t, "x");
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "3,4");
	f.flags = FLOW_F_ESTABLISHED | FLOW_F_PKT_ESTABLISHED;
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "1,4");
	CU_ASSERT_EQUAL(f.alerted, 1);
	EXPECT(run(&v, p, &f, FLOW_TOCLIENT), "2,4");
	/* closed or reset after the handshake: still established */
	f.tcp_state = TCP_STATE_RESET;
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "1,4");
	f.tcp_state = TCP_STATE_SYN_RECV;
	f.flags = 0;
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "3,4");
	/* a FIN or RST before the handshake completed: never established
	 * (suricata-verify alert-no-3whs-established) */
	f.tcp_state = TCP_STATE_CLOSING;
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "3,4");
	f.tcp_state = TCP_STATE_RESET;
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "3,4");
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "4");

	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.pkts[0] = 1;
	p = mk(&t, 17, "10.0.0.1", 5000, "10.0.0.2", 53, "x", 1);
	EXPECT(run(&v, p, &f, FLOW_TOSERVER), "");
	f.pkts[1] = 1;
	EXPECT(run(&v, p, &f, FLOW_TOCLIENT), "5");
	env_close(&v);
}

static void test_flags(void)
{
	struct env v;
	struct tpkt t;
	struct packet *p;

	env_open(&v, R "(flags:S; sid:1;)\n"
		     R "(flags:SA; sid:2;)\n"
		     R "(flags:S+; sid:3;)\n"
		     R "(flags:S,CE; sid:4;)\n"
		     R "(flags:!R; content:\"q\"; sid:5;)\n"
		     R "(flags:*FR; sid:6;)\n");
	p = tcp_s(&t, "q");
	p->tcp_flags = TCP_SYN;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "1,3,4,5");
	p->tcp_flags = TCP_SYN | TCP_ACK;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "2,3,5");
	p->tcp_flags = TCP_SYN | TCP_ECE | TCP_CWR;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "3,4,5");
	p->tcp_flags = TCP_RST | TCP_ACK;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "6");
	env_close(&v);
}

static void test_ip_icmp_opts(void)
{
	struct env v;
	struct tpkt t;
	struct packet *p;

	env_open(&v, "alert icmp any any -> any any (itype:8; icode:0; sid:1;)\n"
		     "alert icmp any any -> any any (icmp_id:77; icmp_seq:3; sid:2;)\n"
		     "alert ip any any -> any any (ttl:<5; sid:3;)\n"
		     "alert ip any any -> any any (sameip; sid:4;)\n"
		     "alert ip any any -> any any (ip_proto:47; sid:5;)\n"
		     "alert tcp any any -> any any (seq:100; ack:200; window:!512; sid:6;)\n"
		     "alert ip any any -> any any (id:4242; sid:7;)\n"
		     "alert icmpv4 any any -> any any (itype:>0; sid:8;)\n");
	p = mk(&t, 1, "10.0.0.1", 0, "10.0.0.2", 0, "ping", 4);
	p->icmp_type = 8;
	p->icmp_id = 77;
	p->icmp_seq = 3;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "1,2,8");
	p = mk(&t, 58, "2001:db8::1", 0, "2001:db8::2", 0, "", 0);
	p->icmp_type = 128;
	p->ttl = 2;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "3");
	p = mk(&t, 17, "10.0.0.9", 1, "10.0.0.9", 2, "u", 1);
	p->ip_id = 4242;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "4,7");
	p = mk(&t, 47, "10.0.0.1", 0, "10.0.0.2", 0, "", 0);
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "5");
	p = tcp_s(&t, "");
	p->tcp_seq = 100;
	p->tcp_ack = 200;
	p->tcp_win = 1024;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "6");
	p->tcp_win = 512;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "");
	env_close(&v);
}

/* ---- header: addresses, ports, direction -------------------------------- */

static void test_addresses_ports(void)
{
	struct env v;
	struct tpkt t;

	env_open(&v, "alert tcp !10.0.0.0/8 any -> 192.168.1.0/24 ![22,23] (sid:1;)\n"
		     "alert tcp 10.0.0.1 any <> 10.0.0.2 80 (sid:2;)\n"
		     "alert tcp 10.0.0.1 any -> 10.0.0.2 80 (sid:3;)\n"
		     "alert udp any 1024: -> [2001:db8::/32] 53 (sid:4;)\n");
	EXPECT(run(&v, mk(&t, 6, "172.16.0.1", 999, "192.168.1.7", 80, "", 0),
				   NULL, FLOW_TOSERVER), "1");
	EXPECT(run(&v, mk(&t, 6, "172.16.0.1", 999, "192.168.1.7", 22, "", 0),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 6, "10.1.0.1", 999, "192.168.1.7", 80, "", 0),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 6, "10.0.0.1", 999, "10.0.0.2", 80, "", 0),
				   NULL, FLOW_TOSERVER), "2,3");
	/* the reply: only the bidirectional rule */
	EXPECT(run(&v, mk(&t, 6, "10.0.0.2", 80, "10.0.0.1", 999, "", 0),
				   NULL, FLOW_TOCLIENT), "2");
	EXPECT(run(&v, mk(&t, 6, "10.0.0.2", 81, "10.0.0.1", 999, "", 0),
				   NULL, FLOW_TOCLIENT), "");
	EXPECT(run(&v, mk(&t, 17, "2001:db8::5", 4000, "2001:db8::53", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "4");
	EXPECT(run(&v, mk(&t, 17, "2001:db8::5", 100, "2001:db8::53", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 17, "2001:db9::5", 4000, "2001:db9::53", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "");
	env_close(&v);
}

/* Header-only rules with IPv4 address lists (reputation style) go through
 * the engine's IPv4 index instead of the always-check list: overlapping
 * ranges, both sides, the top of the address space, and rule order. */
static void test_ip_index(void)
{
	struct env v;
	struct tpkt t;

	env_open(&v, "alert ip [1.2.3.4,5.6.7.0/24,9.9.9.9] any -> [10.0.0.0/8,172.16.0.0/12,192.168.0.0/16] any (sid:10;)\n"
		     "alert ip [10.0.0.0/8,172.16.0.0/12,192.168.0.0/16] any -> [5.6.7.8,8.8.8.8] any (sid:11;)\n"
		     "alert ip 5.6.7.128/25 any -> any any (sid:12;)\n"
		     "alert udp any any -> 10.0.0.0/8 53 (sid:13;)\n"
		     "alert ip 255.255.255.255 any -> any any (sid:14;)\n"
		     /* IPv6-only source: IPv6 packets only */
		     "alert ip [2001:db8::5,2001:db8::7] any -> any any (sid:15;)\n"
		     /* both families: the IPv4 part indexed, IPv6 always */
		     "alert ip [9.9.9.8,2001:db8::6] any -> any any (sid:16;)\n"
		     /* can never match; must not be filed under 10/8 */
		     "alert tcp [2001:db8::9] any -> 10.0.0.0/8 any (sid:17;)\n");
	EXPECT(run(&v, mk(&t, 6, "5.6.7.200", 999, "10.1.1.1", 80, "", 0),
				   NULL, FLOW_TOSERVER), "10,12");
	EXPECT(run(&v, mk(&t, 6, "5.6.7.5", 999, "10.1.1.1", 80, "", 0),
				   NULL, FLOW_TOSERVER), "10");
	EXPECT(run(&v, mk(&t, 6, "1.2.3.4", 999, "8.8.8.8", 80, "", 0),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 6, "1.2.3.5", 999, "10.1.1.1", 80, "", 0),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 17, "10.1.1.1", 999, "8.8.8.8", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "11");
	EXPECT(run(&v, mk(&t, 17, "1.1.1.1", 999, "10.2.2.2", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "13");
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 999, "10.2.2.2", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 17, "255.255.255.255", 999, "10.2.2.2", 53, "q", 1),
				   NULL, FLOW_TOSERVER), "13,14");
	EXPECT(run(&v, mk(&t, 6, "9.9.9.9", 999, "192.168.0.1", 80, "", 0),
				   NULL, FLOW_TOSERVER), "10");
	/* IPv6 packets never meet IPv4-only sets */
	EXPECT(run(&v, mk(&t, 6, "2001:db8::1", 999, "2001:db8::2", 80, "", 0),
				   NULL, FLOW_TOSERVER), "");
	EXPECT(run(&v, mk(&t, 6, "2001:db8::7", 999, "2001:db8::2", 80, "", 0),
				   NULL, FLOW_TOSERVER), "15");
	EXPECT(run(&v, mk(&t, 17, "2001:db8::6", 999, "2001:db8::2", 80, "x", 1),
				   NULL, FLOW_TOSERVER), "16");
	EXPECT(run(&v, mk(&t, 17, "9.9.9.8", 999, "1.1.1.1", 80, "x", 1),
				   NULL, FLOW_TOSERVER), "16");
	/* an IPv4 packet no set holds: not even the IPv6 rules are candidates */
	{
		uint64_t c0 = detect_thread_stats(v.t)->candidates;

		EXPECT(run(&v, mk(&t, 6, "7.7.7.7", 999, "10.3.3.3", 80, "", 0),
					   NULL, FLOW_TOSERVER), "");
		CU_ASSERT_EQUAL(detect_thread_stats(v.t)->candidates, c0);
		/* IPv6: the IPv6 sets are indexed by their top 32 bits */
		EXPECT(run(&v, mk(&t, 6, "2001:db9::5", 999, "2001:db9::2", 80, "", 0),
					   NULL, FLOW_TOSERVER), "");
		CU_ASSERT_EQUAL(detect_thread_stats(v.t)->candidates, c0);
	}
	env_close(&v);
}

/* ---- actions ---------------------------------------------------------------- */

/* Rules without a fast pattern filed by port: matches stay exactly those of
 * a full check, and only rules with the packet's ports are candidates. */
static void test_port_index(void)
{
	struct env v;
	struct tpkt t;
	const struct detect_thread_stats *ts;
	uint64_t c0;

	env_open(&v, "alert tcp any any -> any 3306 (flags:PA; sid:1;)\n"
		     "alert tcp any [6000:6010,7000] -> any any (flags:PA; sid:2;)\n"
		     "alert tcp any any <> any 23 (flags:PA; sid:3;)\n"
		     "alert tcp any any -> any !3306 (flags:PA; sid:4;)\n"
		     "alert udp any any -> any 3306 (sid:5;)\n"
		     "alert tcp any any -> any [1:1000] (flags:PA; sid:6;)\n");
	ts = detect_thread_stats(v.t);
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 999, "2.2.2.2", 3306, "", 0), NULL,
		   FLOW_TOSERVER), "1");
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 6005, "2.2.2.2", 80, "", 0), NULL,
		   FLOW_TOSERVER), "2,4,6");
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 7000, "2.2.2.2", 7001, "", 0), NULL,
		   FLOW_TOSERVER), "2,4");
	/* <> with one port set: the port on either side */
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 23, "2.2.2.2", 5000, "", 0), NULL,
		   FLOW_TOSERVER), "3,4");
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 5000, "2.2.2.2", 23, "", 0), NULL,
		   FLOW_TOSERVER), "3,4,6");
	EXPECT(run(&v, mk(&t, 17, "1.1.1.1", 5000, "2.2.2.2", 3306, "", 0), NULL,
		   FLOW_TOSERVER), "5");
	/* a port no narrow rule names: only the wide !3306 rule (not
	 * indexed: it covers nearly every port) is a candidate */
	c0 = ts->candidates;
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 40000, "2.2.2.2", 40001, "", 0), NULL,
		   FLOW_TOSERVER), "4");
	CU_ASSERT_EQUAL(ts->candidates - c0, 0);
	c0 = ts->candidates;
	EXPECT(run(&v, mk(&t, 6, "1.1.1.1", 40000, "2.2.2.2", 3306, "", 0), NULL,
		   FLOW_TOSERVER), "1");
	/* sid 1 from the index (sid 4 is on the always-check list) */
	CU_ASSERT_EQUAL(ts->candidates - c0, 1);
	env_close(&v);
}

static void test_pass(void)
{
	struct env v;
	struct tpkt t;

	/* the pass rule comes last in the file and still wins */
	env_open(&v, R "(content:\"x\"; sid:1;)\n"
		     "drop tcp any any -> any any (content:\"x\"; sid:2;)\n"
		     "pass tcp 10.0.0.5 any -> any any (content:\"x\"; sid:3;)\n");
	EXPECT(run(&v, mk(&t, 6, "10.0.0.5", 1, "10.0.0.2", 80, "x", 1),
				   NULL, FLOW_TOSERVER), "");
	CU_ASSERT_EQUAL(detect_thread_stats(v.t)->passed, 1);
	/* action order: drop before alert; a passive sensor allows it */
	EXPECT(run(&v, mk(&t, 6, "10.0.0.6", 1, "10.0.0.2", 80, "x", 1),
				   NULL, FLOW_TOSERVER), "2,1");
	CU_ASSERT_EQUAL(v.last.action, ALERT_ACTION_ALLOWED);
	env_close(&v);
}

static void test_noalert(void)
{
	struct env v;

	env_open(&v, R "(content:\"x\"; noalert; sid:1;)\n"
		     R "(content:\"x\"; sid:2;)\n");
	EXPECT(run_s(&v, "x"), "2");
	CU_ASSERT_EQUAL(detect_thread_stats(v.t)->alerts, 1);
	env_close(&v);
}

static void test_no_fast_pattern(void)
{
	struct env v;
	struct detect_engine_stats st;
	struct tpkt t;
	struct packet *p;

	env_open(&v, R "(flags:S; sid:1;)\n"
		     R "(pcre:\"/fo+bar/\"; sid:2;)\n"
		     R "(content:!\"abc\"; dsize:>0; sid:3;)\n"
		     R "(content:\"fooo\"; sid:4;)\n");
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_active, 4);
	CU_ASSERT_EQUAL(st.rules_prefiltered, 1);
	p = tcp_s(&t, "fooobar");
	p->tcp_flags = TCP_SYN;
	EXPECT(run(&v, p, NULL, FLOW_TOSERVER), "1,2,3,4");
	EXPECT(run_s(&v, "abc"), "");
	env_close(&v);
}

static void test_many_rules(void)
{
	struct env v;
	const struct detect_thread_stats *ts;
	size_t cap = 1000 * 120, len = 0;
	char *rules = malloc(cap);
	uint64_t cand0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(rules + len, cap - len,
					R "(msg:\"r%d\"; content:\"|7c|tok%04d|7c|\"; sid:%d;)\n",
					i, i, 1000 + i);
	env_open(&v, rules);
	free(rules);
	ts = detect_thread_stats(v.t);
	cand0 = ts->candidates;
	EXPECT(run_s(&v, "xx |tok0777| yy |tok0042| |tok9999| tok0001"),
			       "1042,1777");
	CU_ASSERT_EQUAL(ts->candidates - cand0, 2);
	EXPECT(run_s(&v, "nothing here"), "");
	CU_ASSERT_EQUAL(ts->candidates - cand0, 2);
	env_close(&v);
}

/* ---- the alert record and the counters ---------------------------------- */

static void test_alert_fields(void)
{
	struct env v;

	env_open(&v, R "(msg:\"Test \\\"sig\\\"\"; content:\"x\"; priority:2; "
		     "metadata:created_at 2024_01_01, tag a, tag b; gid:3; sid:7; rev:4;)\n");
	EXPECT(run_s(&v, "x"), "7");
	CU_ASSERT_EQUAL(v.last.gid, 3);
	CU_ASSERT_EQUAL(v.last.rev, 4);
	CU_ASSERT_EQUAL(v.last.severity, 2);
	CU_ASSERT_STRING_EQUAL(v.last.signature, "Test \"sig\"");
	CU_ASSERT_STRING_EQUAL(v.last.category, "");
	CU_ASSERT_STRING_EQUAL(v.last.metadata,
			       "\"created_at\":[\"2024_01_01\"],\"tag\":[\"a\",\"b\"]");
	env_close(&v);
}

/* ---- application-layer buffers ----------------------------------------------- */

static void set_buf(struct app_inspect *in, enum rule_buffer b, const char *s)
{
	in->buf[b].p = (const uint8_t *)s;
	in->buf[b].len = (uint32_t)strlen(s);
}

static const char *run_app(struct env *v, const struct app_inspect *in, enum flow_dir dir)
{
	struct tpkt t;
	struct flow f;
	unsigned n;

	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.flags = FLOW_F_ESTABLISHED;
	f.pkts[0] = f.pkts[1] = 1;
	v->sids[0] = 0;
	v->n = 0;
	n = detect_app(v->t, dir == FLOW_TOSERVER
			     ? mk(&t, 6, "10.0.0.1", 40000, "10.0.0.2", 80, "x", 1)
			     : mk(&t, 6, "10.0.0.2", 80, "10.0.0.1", 40000, "x", 1),
		       &f, dir, in, on_alert, v);
	CU_ASSERT_EQUAL(n, v->n);
	return v->sids;
}

static void test_app_buffers(void)
{
	struct env v;
	struct app_inspect req, body, resp, dns;
	struct app_meta meta;
	struct detect_engine_stats st;

	env_open(&v, "alert http any any -> any any (http.method; content:\"POST\"; http.uri; content:\"/login\"; sid:1;)\n"
		     "alert http any any -> any any (http.uri; content:\"/login\"; content:\"user=\"; distance:0; sid:2;)\n"
		     "alert http any any -> any any (flow:to_server; http.method; content:\"POST\"; http.request_body; content:\"pass=\"; sid:3;)\n"
		     "alert http any any -> any any (http.stat_code; content:\"200\"; file.data; content:\"MZ\"; startswith; sid:4;)\n"
		     "alert http any any -> any any (content:\"/LOGIN\"; nocase; http_uri; content:!\"curl\"; http_user_agent; sid:5;)\n"
		     "alert dns any any -> any any (dns.query; content:\"evil.example\"; endswith; sid:6;)\n"
		     "alert http any any -> any any (http.host; pcre:\"/^www\\./\"; sid:7;)\n"
		     "alert tcp any any -> any any (content:\"x\"; sid:8;)\n");
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_app, 7);
	CU_ASSERT_EQUAL(st.rules_skipped_app_layer, 0);

	memset(&meta, 0, sizeof(meta));
	meta.proto = APP_PROTO_HTTP;
	snprintf(meta.u.http.url, sizeof(meta.u.http.url), "/login?user=bob");
	memset(&req, 0, sizeof(req));
	req.proto = APP_PROTO_HTTP;
	req.meta = &meta;
	set_buf(&req, RULE_BUF_HTTP_METHOD, "POST");
	set_buf(&req, RULE_BUF_HTTP_URI, "/login?user=bob");
	set_buf(&req, RULE_BUF_HTTP_USER_AGENT, "Mozilla/5.0");
	set_buf(&req, RULE_BUF_HTTP_HOST, "www.example.com");
	/* the request headers: rules without a body buffer; the packet rule
	 * (sid 8) never runs at an inspection point */
	EXPECT(run_app(&v, &req, FLOW_TOSERVER), "1,2,5,7");
	CU_ASSERT_PTR_EQUAL(v.last_app, &meta);
	/* the body point repeats the headers: only body rules run there */
	body = req;
	set_buf(&body, RULE_BUF_HTTP_REQUEST_BODY, "user=bob&pass=secret");
	EXPECT(run_app(&v, &body, FLOW_TOSERVER), "3");
	EXPECT(run_app(&v, &body, FLOW_TOCLIENT), "");
	/* a buffer missing at a point: the rule cannot match there */
	set_buf(&req, RULE_BUF_HTTP_USER_AGENT, "curl/8.0");
	req.buf[RULE_BUF_HTTP_HOST].p = NULL;
	EXPECT(run_app(&v, &req, FLOW_TOSERVER), "1,2");
	memset(&resp, 0, sizeof(resp));
	resp.proto = APP_PROTO_HTTP;
	set_buf(&resp, RULE_BUF_HTTP_STAT_CODE, "200");
	set_buf(&resp, RULE_BUF_FILE_DATA, "MZ\x90");
	set_buf(&resp, RULE_BUF_HTTP_RESPONSE_BODY, "MZ\x90");
	EXPECT(run_app(&v, &resp, FLOW_TOCLIENT), "4");
	set_buf(&resp, RULE_BUF_FILE_DATA, "xMZ");
	EXPECT(run_app(&v, &resp, FLOW_TOCLIENT), "");
	/* the protocol picks the rules: http rules never see DNS */
	memset(&dns, 0, sizeof(dns));
	dns.proto = APP_PROTO_DNS;
	set_buf(&dns, RULE_BUF_DNS_QUERY, "www.evil.example");
	EXPECT(run_app(&v, &dns, FLOW_TOSERVER), "6");
	set_buf(&dns, RULE_BUF_DNS_QUERY, "evil.example.org");
	EXPECT(run_app(&v, &dns, FLOW_TOSERVER), "");
	/* packet inspection never runs app rules */
	EXPECT(run_s(&v, "POST /login x"), "8");
	env_close(&v);
}

/* Rules mixing request and response buffers run at the response, whose
 * points carry their request's buffers; request rules stay at the
 * request although the response repeats its buffers. */
static void test_http_mixed(void)
{
	struct env v;
	struct app_inspect req, rbody, resp, body;

	env_open(&v, "alert http any any -> any any (http.method; content:\"GET\"; http.stat_code; content:\"200\"; sid:1;)\n"
		     "alert http any any -> any any (http.uri; content:\"/x.exe\"; sid:2;)\n"
		     "alert http any any -> any any (flow:to_client; http.uri; content:\"/x.exe\"; sid:3;)\n"
		     "alert http any any -> any any (http.uri; content:\"/x.exe\"; file.data; content:\"MZ\"; startswith; sid:4;)\n"
		     "alert http any any -> any any (http.header; content:\"Server\"; sid:5;)\n"
		     "alert http any any -> any any (http.request_body; content:\"a=1\"; http.stat_code; content:\"500\"; sid:6;)\n"
		     "alert http any any -> any any (http.method; content:\"POST\"; http.request_body; content:\"a=1\"; sid:7;)\n");
	memset(&req, 0, sizeof(req));
	req.proto = APP_PROTO_HTTP;
	set_buf(&req, RULE_BUF_HTTP_METHOD, "GET");
	set_buf(&req, RULE_BUF_HTTP_URI, "/x.exe");
	set_buf(&req, RULE_BUF_HTTP_HEADER, "Host: a\r\n");
	EXPECT(run_app(&v, &req, FLOW_TOSERVER), "2");
	/* the response header point, with the request's buffers */
	resp = req;
	set_buf(&resp, RULE_BUF_HTTP_STAT_CODE, "200");
	set_buf(&resp, RULE_BUF_HTTP_HEADER, "Server: x\r\n");
	EXPECT(run_app(&v, &resp, FLOW_TOCLIENT), "1,3,5");
	/* its body point: the rules of the response's body */
	body = resp;
	set_buf(&body, RULE_BUF_FILE_DATA, "MZ\x90");
	set_buf(&body, RULE_BUF_HTTP_RESPONSE_BODY, "MZ\x90");
	EXPECT(run_app(&v, &body, FLOW_TOCLIENT), "4");
	/* without the request (pipelined away), mixed rules cannot match */
	resp.buf[RULE_BUF_HTTP_METHOD].p = NULL;
	resp.buf[RULE_BUF_HTTP_URI].p = NULL;
	EXPECT(run_app(&v, &resp, FLOW_TOCLIENT), "5");

	/* a POST: the request's body point, then a response carrying that
	 * body, which is no body point of the response */
	set_buf(&req, RULE_BUF_HTTP_METHOD, "POST");
	rbody = req;
	set_buf(&rbody, RULE_BUF_HTTP_REQUEST_BODY, "a=1&b=2");
	EXPECT(run_app(&v, &rbody, FLOW_TOSERVER), "7");
	resp = rbody;
	set_buf(&resp, RULE_BUF_HTTP_STAT_CODE, "500");
	EXPECT(run_app(&v, &resp, FLOW_TOCLIENT), "3,6");
	env_close(&v);
}

/* dotprefix and to_lowercase: the chain sees the transformed buffer, the
 * prefilter a literal the raw buffer must hold. */
static void test_transforms(void)
{
	struct env v;
	struct app_inspect dns, http;
	struct detect_engine_stats st;

	env_open(&v, "alert dns any any -> any any (dns.query; dotprefix; content:\".evil.com\"; nocase; endswith; sid:1;)\n"
		     "alert http any any -> any any (http.host; to_lowercase; content:\"example\"; sid:2;)\n"
		     "alert dns any any -> any any (dns.query; dotprefix; content:\".\"; startswith; sid:3;)\n"
		     "alert dns any any -> any any (dns.query; to_md5; content:\"x\"; sid:4;)\n");
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_active, 3);
	CU_ASSERT_EQUAL(st.skipped_keyword, 1);
	memset(&dns, 0, sizeof(dns));
	dns.proto = APP_PROTO_DNS;
	set_buf(&dns, RULE_BUF_DNS_QUERY, "evil.com");
	EXPECT(run_app(&v, &dns, FLOW_TOSERVER), "1,3");
	set_buf(&dns, RULE_BUF_DNS_QUERY, "www.EVIL.com");
	EXPECT(run_app(&v, &dns, FLOW_TOSERVER), "1,3");
	set_buf(&dns, RULE_BUF_DNS_QUERY, "notevil.com");
	EXPECT(run_app(&v, &dns, FLOW_TOSERVER), "3");
	memset(&http, 0, sizeof(http));
	http.proto = APP_PROTO_HTTP;
	set_buf(&http, RULE_BUF_HTTP_HOST, "WWW.EXAMPLE.ORG");
	EXPECT(run_app(&v, &http, FLOW_TOSERVER), "2");
	set_buf(&http, RULE_BUF_HTTP_HOST, "www.exampl.org");
	EXPECT(run_app(&v, &http, FLOW_TOSERVER), "");
	env_close(&v);
}

/* urilen: the length of the normalised URI (raw: as sent). */
static void test_urilen(void)
{
	struct env v;
	struct app_inspect in;

	env_open(&v, "alert http any any -> any any (urilen:5; sid:1;)\n"
		     "alert http any any -> any any (urilen:>3; http.uri; content:\"/a\"; sid:2;)\n"
		     "alert http any any -> any any (urilen:2<>10, raw; sid:3;)\n");
	memset(&in, 0, sizeof(in));
	in.proto = APP_PROTO_HTTP;
	set_buf(&in, RULE_BUF_HTTP_URI, "/a/bc");
	set_buf(&in, RULE_BUF_HTTP_URI_RAW, "/a/./bc");
	EXPECT(run_app(&v, &in, FLOW_TOSERVER), "1,2,3");
	set_buf(&in, RULE_BUF_HTTP_URI, "/ab");
	set_buf(&in, RULE_BUF_HTTP_URI_RAW, "/a/./b/./c/../d");
	EXPECT(run_app(&v, &in, FLOW_TOSERVER), "");
	/* no URI at this point: no urilen */
	in.buf[RULE_BUF_HTTP_URI].p = NULL;
	in.buf[RULE_BUF_HTTP_URI_RAW].p = NULL;
	set_buf(&in, RULE_BUF_HTTP_STAT_CODE, "200");
	EXPECT(run_app(&v, &in, FLOW_TOCLIENT), "");
	env_close(&v);
}

/* ---- TLS keywords ------------------------------------------------------------ */

static struct flow *new_flow(struct flow *f);

/* A TLS flow whose parser state says client version cv, server version
 * sv and current handshake states cur0 / cur1. */
static struct flow *tls_flow(struct flow *f, struct tls_state *st, uint16_t cv, uint16_t sv)
{
	memset(f, 0, sizeof(*f));
	f->key.proto = 6;
	f->tcp_state = TCP_STATE_ESTABLISHED;
	f->flags = FLOW_F_ESTABLISHED | FLOW_F_PKT_ESTABLISHED;
	f->pkts[0] = f->pkts[1] = 1;
	tls_state_init(st);
	st->dir_version[0] = cv;
	st->dir_version[1] = sv;
	f->app.proto = APP_PROTO_TLS;
	f->app.state = st;
	return f;
}

static const char *run_pkt(struct env *v, struct flow *f, enum flow_dir dir, const char *pl)
{
	struct tpkt t;

	return run(v, dir == FLOW_TOSERVER ? mk(&t, 6, "10.0.0.1", 40000, "10.0.0.2", 443, pl,
						strlen(pl))
					   : mk(&t, 6, "10.0.0.2", 443, "10.0.0.1", 40000, pl,
						strlen(pl)),
		   f, dir);
}

/* An inspection point of flow f: hs is the handshake message (tls_hs). */
static const char *run_point(struct env *v, struct flow *f, enum flow_dir dir, uint8_t hs,
			     const char *sni)
{
	struct app_inspect in;
	struct tpkt t;
	unsigned n;

	memset(&in, 0, sizeof(in));
	in.proto = APP_PROTO_TLS;
	in.dir = (uint8_t)dir;
	in.tls_hs = hs;
	if (sni)
		set_buf(&in, RULE_BUF_TLS_SNI, sni);
	v->sids[0] = 0;
	v->n = 0;
	n = detect_app(v->t, dir == FLOW_TOSERVER
			     ? mk(&t, 6, "10.0.0.1", 40000, "10.0.0.2", 443, "x", 1)
			     : mk(&t, 6, "10.0.0.2", 443, "10.0.0.1", 40000, "x", 1),
		       f, dir, &in, on_alert, v);
	CU_ASSERT_EQUAL(n, v->n);
	return v->sids;
}

/* tls.version and ssl_version: the version of the packet's direction as
 * the parser keeps it; drafts count as 1.3 unless written raw. */
static void test_tls_version(void)
{
	struct env v;
	struct flow f;
	struct tls_state st;
	struct detect_engine_stats es;

	env_open(&v, "alert tls any any -> any any (tls.version:1.2; content:\"|16 03|\"; sid:1;)\n"
		     "alert tls any any -> any any (flow:to_client; tls.version:1.3; content:\"|16 03|\"; sid:2;)\n"
		     "alert tls any any -> any any (tls.version:0x7f17; content:\"|16 03|\"; sid:3;)\n"
		     "alert tcp any any -> any any (ssl_version:tls1.0,tls1.1; content:\"|16 03|\"; sid:4;)\n"
		     "alert tcp any any -> any any (ssl_version:!tls1.2; content:\"|16 03|\"; sid:5;)\n"
		     "alert tls any any -> any any (flow:to_client; tls.version:1.2; sid:6;)\n"
		     "alert tls any any -> any any (tls.sni; content:\"example\"; tls.version:1.3; sid:7;)\n"
		     "alert tcp any any -> any any (ssl_version:sslv2; sid:8;)\n"
		     "alert http any any -> any any (tls.version:1.2; sid:9;)\n"
		     "alert tcp any any -> any any (http.uri; content:\"x\"; tls.version:1.2; sid:10;)\n");
	detect_engine_info(v.e, &es);
	/* sslv2 is never parsed, and one rule cannot mix protocols */
	CU_ASSERT_EQUAL(es.rules_skipped_app_layer, 3);
	CU_ASSERT_EQUAL(es.rules_active, 7);

	tls_flow(&f, &st, 0x0303, 0x0303);
	/* packet rules: payload and version together */
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03\x01"), "1");
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03\x03"), "1");
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x17\x03\x03"), "");
	/* per direction: a TLS 1.3 server, a 1.2 client hello */
	st.dir_version[1] = 0x0304;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03"), "1");
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03"), "2,5");
	/* a draft is 1.3, and itself when written raw */
	st.dir_version[1] = 0x7f17;
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03"), "2,3,5");
	st.dir_version[0] = 0x0301;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03"), "4,5");
	st.dir_version[0] = 0x0302;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03"), "4,5");
	/* nothing known yet: no version matches, negated or not */
	st.dir_version[0] = 0;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03"), "");
	/* not a TLS flow, or no flow */
	f.app.proto = APP_PROTO_HTTP;
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03"), "");
	EXPECT(run_pkt(&v, NULL, FLOW_TOCLIENT, "\x16\x03"), "");

	/* at inspection points: sid 6 has no buffer, so it runs at the
	 * server hello only (once per direction), never per packet */
	tls_flow(&f, &st, 0x0303, 0x0303);
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "x"), "");
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 2, NULL), "6");
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 11, NULL), "");
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 12, NULL), "");
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 1, NULL), "");
	/* a buffer rule takes the version of its point's direction */
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 1, "www.example.com"), "");
	st.dir_version[0] = 0x0304;
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 1, "www.example.com"), "7");
	env_close(&v);
}

/* ssl_state: the handshake messages completed by the data of the packet
 * (or of the point); with | any term, with ! its absence. */
static void test_ssl_state(void)
{
	struct env v;
	struct flow f;
	struct tls_state st;

	env_open(&v, R "(ssl_state:client_hello; content:\"|16 03|\"; sid:1;)\n"
		     R "(ssl_state:server_hello|server_keyx; content:\"|16 03|\"; sid:2;)\n"
		     R "(ssl_state:!client_hello; content:\"|16 03|\"; sid:3;)\n"
		     "alert tls any any -> any any (ssl_state:client_keyx; sid:4;)\n"
		     "alert tls any any -> any any (ssl_state:!server_hello; sid:5;)\n"
		     "alert tls any any -> any any (tls.sni; content:\"a\"; ssl_state:client_hello; sid:6;)\n"
		     R "(ssl_state:unknown; content:\"|16 03|\"; sid:7;)\n");
	tls_flow(&f, &st, 0x0303, 0x0303);
	/* the client hello's packet */
	st.cur[0] = RULE_SSL_CLIENT_HELLO;
	f.app.pkt = FLOW_APP_PKT_DATA(0);
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03\x01"), "1");
	/* a packet that fed the parser nothing (a retransmission) */
	f.app.pkt = 0;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "\x16\x03\x01"), "");
	/* the server's flight: hello and key exchange in one packet */
	st.cur[1] = RULE_SSL_SERVER_HELLO | RULE_SSL_SERVER_KEYX;
	f.app.pkt = FLOW_APP_PKT_DATA(1);
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03\x03"), "2,3");
	/* data of the other direction does not count for this one */
	f.app.pkt = FLOW_APP_PKT_DATA(0);
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03\x03"), "");
	/* a record of no handshake message */
	st.cur[1] = 0;
	f.app.pkt = FLOW_APP_PKT_DATA(1);
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03\x03"), "3");
	st.cur[1] = RULE_SSL_UNKNOWN;
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "\x16\x03\x03"), "3,7");

	/* rules without buffers run at the handshake points, each with its
	 * own message (the server's flight in one call does not make the
	 * key exchange point a server hello again) */
	st.cur[0] = RULE_SSL_CLIENT_HELLO;
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 1, NULL), "5");
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 1, "a.test"), "5,6");
	st.cur[1] = RULE_SSL_SERVER_HELLO | RULE_SSL_SERVER_KEYX;
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 2, NULL), "");
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 12, NULL), "5");
	/* not at certificates */
	EXPECT(run_point(&v, &f, FLOW_TOCLIENT, 11, NULL), "");
	st.cur[0] = RULE_SSL_CLIENT_HELLO;
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 16, NULL), "4,5");
	/* not a TLS flow */
	f.app.proto = APP_PROTO_HTTP;
	EXPECT(run_point(&v, &f, FLOW_TOSERVER, 16, NULL), "");
	env_close(&v);
}

/* app-layer-protocol: the flow's protocol per direction, once decided;
 * alone (PD-only) it is checked on the packet that decided it. */
static void test_app_layer_protocol(void)
{
	struct env v;
	struct flow f;
	struct detect_engine_stats es;

	env_open(&v, R "(app-layer-protocol:http; content:\"x\"; sid:1;)\n"
		     R "(flow:to_server; app-layer-protocol:!http; sid:2;)\n"
		     R "(app-layer-protocol:failed; sid:3;)\n"
		     R "(app-layer-protocol:unknown; content:\"x\"; sid:4;)\n"
		     R "(app-layer-protocol:tls,to_client; content:\"x\"; sid:5;)\n"
		     R "(app-layer-protocol:!tls|dns,either; content:\"x\"; sid:6;)\n"
		     R "(app-layer-protocol:http1,final; content:\"x\"; sid:7;)\n"
		     R "(app-layer-protocol:ssh; sid:8;)\n"
		     R "(app-layer-protocol:!http2; content:\"x\"; sid:9;)\n"
		     R "(flow:established; app-layer-protocol:!http; sid:10;)\n");
	detect_engine_info(v.e, &es);
	/* protocols mamori does not detect cannot be judged */
	CU_ASSERT_EQUAL(es.rules_skipped_app_layer, 2);
	CU_ASSERT_EQUAL(es.rules_active, 8);

	/* nothing decided: only unknown matches, negations never */
	new_flow(&f);
	f.flags |= FLOW_F_PKT_ESTABLISHED;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "x"), "4");
	EXPECT(run_pkt(&v, NULL, FLOW_TOSERVER, "x"), "");
	/* the client's bytes said HTTP on this packet: PD-only rules look */
	f.app.proto = APP_PROTO_HTTP;
	f.app.pd = 1;
	f.app.pkt = FLOW_APP_PKT_PD(0);
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "x"), "1,6,7");
	/* the server has not spoken: its direction is still unknown, but
	 * the flow's (final) protocol is known, and either side's */
	f.app.pkt = 0;
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "x"), "4,6,7");
	f.app.pd = 3;
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "x"), "1,6,7");
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "y"), "");

	/* a TLS flow: to_client mode reads the server's side */
	f.app.proto = APP_PROTO_TLS;
	f.app.pd = 1;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "x"), "10");
	f.app.pd = 3;
	f.app.pkt = FLOW_APP_PKT_PD(1);
	/* sid 2 is to_server; sid 10 is not PD-only (flow:established) */
	EXPECT(run_pkt(&v, &f, FLOW_TOCLIENT, "x"), "5,10");
	f.app.pkt = FLOW_APP_PKT_PD(0);
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "z"), "2,10");

	/* detection failed: both directions decided on this packet */
	f.app.proto = APP_PROTO_FAILED;
	f.app.pkt = FLOW_APP_PKT_PD(0) | FLOW_APP_PKT_PD(1);
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "x"), "2,3,6,10");
	f.app.pkt = 0;
	EXPECT(run_pkt(&v, &f, FLOW_TOSERVER, "x"), "6,10");
	env_close(&v);
}

static void test_skip_counters(void)
{
	struct env v;
	struct detect_engine_stats st;

	env_open(&v, "alert ssh any any -> any any (ssh.proto; content:\"2.0\"; sid:1;)\n"
		     R "(xbits:isset,x,track ip_src; sid:2;)\n"
		     R "(content:\"x\"; threshold:type backoff, track by_flow, count 1, multiplier 10; sid:3;)\n"
		     R "(content:\"x\"; fragbits:M; sid:4;)\n"
		     R "(content:\"x\"; sid:5;)\n"
		     R "(pcre:\"/(unclosed/\"; sid:6;)\n");
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_total, 6);
	/* every threshold form runs now; sid 3 (by_flow) sees no flow here */
	CU_ASSERT_EQUAL(st.rules_active, 2);
	CU_ASSERT_EQUAL(st.rules_skipped_app_layer, 1);
	CU_ASSERT_EQUAL(st.rules_skipped_unsupported, 3);
	CU_ASSERT_EQUAL(st.skipped_flowbits, 1);
	CU_ASSERT_EQUAL(st.skipped_threshold, 0);
	CU_ASSERT_EQUAL(st.skipped_keyword, 1);
	CU_ASSERT_EQUAL(st.skipped_pcre, 1);
	EXPECT(run_s(&v, "x"), "5");
	/* the skipped rules by keyword (one each; order among equals is
	 * the order of first sight) */
	{
		const char *kw;
		uint32_t n;
		char all[256] = "";

		for (unsigned i = 0; detect_engine_skipped(v.e, i, &kw, &n); i++) {
			CU_ASSERT_EQUAL(n, 1);
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? "," : "", kw);
		}
		EXPECT(all, "ssh.proto,xbits,fragbits,pcre");
	}
	env_close(&v);
}

static void test_empty_ruleset(void)
{
	struct env v;

	env_open(&v, "# nothing\n");
	EXPECT(run_s(&v, "x"), "");
	CU_ASSERT_EQUAL(detect_thread_stats(v.t)->packets, 1);
	env_close(&v);
}

/* ---- flowbits ------------------------------------------------------------ */

static struct flow *new_flow(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	f->key.proto = 6;
	f->tcp_state = TCP_STATE_ESTABLISHED;
	f->flags = FLOW_F_ESTABLISHED;
	return f;
}

static const char *run_f(struct env *v, struct flow *f, const char *payload)
{
	struct tpkt t;

	return run(v, tcp_s(&t, payload), f, FLOW_TOSERVER);
}

static void test_flowbits_basic(void)
{
	struct env v;
	struct flow f, g;

	env_open(&v, R "(content:\"login\"; flowbits:set,auth; flowbits:noalert; sid:1;)\n"
		     R "(content:\"cmd\"; flowbits:isset,auth; sid:2;)\n"
		     R "(content:\"cmd\"; flowbits:isnotset,auth; sid:3;)\n"
		     R "(content:\"logout\"; flowbits:unset,auth; sid:4;)\n");
	new_flow(&f);
	new_flow(&g);
	/* noalert: the bit is set, nothing is reported */
	EXPECT(run_f(&v, &f, "login"), "");
	CU_ASSERT_EQUAL(f.alerted, 0);
	EXPECT(run_f(&v, &f, "cmd"), "2");
	/* another flow has its own bits */
	EXPECT(run_f(&v, &g, "cmd"), "3");
	EXPECT(run_f(&v, &f, "logout"), "4");
	EXPECT(run_f(&v, &f, "cmd"), "3");
	/* no flow: no bits to test (isnotset fails too), set does nothing */
	EXPECT(run_f(&v, NULL, "login"), "");
	EXPECT(run_f(&v, NULL, "cmd"), "");
	env_close(&v);
}

static void test_flowbits_toggle(void)
{
	struct env v;
	struct flow f;

	env_open(&v, R "(content:\"t\"; flowbits:toggle,a; flowbits:noalert; sid:1;)\n"
		     R "(content:\"q\"; flowbits:isset,a; sid:2;)\n");
	new_flow(&f);
	EXPECT(run_f(&v, &f, "q"), "");
	EXPECT(run_f(&v, &f, "t"), "");
	EXPECT(run_f(&v, &f, "q"), "2");
	EXPECT(run_f(&v, &f, "t"), "");
	EXPECT(run_f(&v, &f, "q"), "");
	env_close(&v);
}

static void test_flowbits_groups(void)
{
	struct env v;
	struct flow f, g;

	env_open(&v, R "(content:\"A\"; flowbits:set,a; flowbits:noalert; sid:1;)\n"
		     R "(content:\"B\"; flowbits:set,b; flowbits:noalert; sid:2;)\n"
		     R "(content:\"C\"; flowbits:set,a&b; flowbits:noalert; sid:3;)\n"
		     R "(content:\"x\"; flowbits:isset,a&b; sid:10;)\n"
		     R "(content:\"x\"; flowbits:isset,a|b; sid:11;)\n"
		     R "(content:\"x\"; flowbits:isnotset,a|b; sid:12;)\n"
		     R "(content:\"x\"; flowbits:isnotset,a&b; sid:13;)\n"
		     R "(content:\"x\"; flowbits:isset,a; flowbits:isnotset,b; sid:14;)\n");
	new_flow(&f);
	EXPECT(run_f(&v, &f, "x"), "12,13");
	EXPECT(run_f(&v, &f, "A"), "");
	EXPECT(run_f(&v, &f, "x"), "11,12,14");
	EXPECT(run_f(&v, &f, "B"), "");
	EXPECT(run_f(&v, &f, "x"), "10,11");
	/* set with & sets every name */
	new_flow(&g);
	EXPECT(run_f(&v, &g, "C"), "");
	EXPECT(run_f(&v, &g, "x"), "10,11");
	env_close(&v);
}

static void test_flowbits_order(void)
{
	struct env v;
	struct detect_engine_stats st;
	struct flow f, g;

	env_open(&v, R "(content:\"go\"; flowbits:isset,g; sid:5;)\n"
		     R "(content:\"go\"; flowbits:set,g; sid:6;)\n"
		     R "(content:\"go\"; flowbits:isset,nope; flowbits:set,h; sid:7;)\n"
		     R "(content:\"go\"; flowbits:isset,h; sid:8;)\n"
		     R "(content:\"ping\"; flowbits:set,p; sid:1;)\n"
		     R "(flowbits:isset,p; sid:2;)\n"
		     R "(flowbits:isset,p; content:\"zzz\"; sid:3;)\n");
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_active, 7);
	/* sid 2 has only a flowbits check: checked on every packet */
	CU_ASSERT_EQUAL(st.rules_prefiltered, 6);
	new_flow(&f);
	/* set by an earlier rule is seen by a later one on the same packet,
	 * not by an earlier one; a rule that failed sets nothing */
	EXPECT(run_f(&v, &f, "go"), "6");
	EXPECT(run_f(&v, &f, "go"), "5,6");
	EXPECT(run_f(&v, &f, "ping"), "1,2");
	EXPECT(run_f(&v, &f, "hello"), "2");
	EXPECT(run_f(&v, &f, "zzz"), "2,3");
	new_flow(&g);
	EXPECT(run_f(&v, &g, "hello zzz"), "");
	env_close(&v);
}

static void test_flowbits_capacity(void)
{
	struct env v;
	struct detect_engine_stats st;
	size_t cap = (FLOW_BITS_MAX + 3) * 80, len = 0;
	char *rules = malloc(cap);
	struct flow f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rules);
	/* ids 0..FLOW_BITS_MAX+1: the last two do not fit the flow's bit storage */
	for (int i = 0; i < FLOW_BITS_MAX + 2; i++)
		len += (size_t)snprintf(rules + len, cap - len,
					R "(content:\"x\"; flowbits:set,b%d; sid:%d;)\n",
					i, 100 + i);
	len += (size_t)snprintf(rules + len, cap - len,
				R "(content:\"y\"; flowbits:isset,b127; sid:1;)\n");
	env_open(&v, rules);
	free(rules);
	detect_engine_info(v.e, &st);
	CU_ASSERT_EQUAL(st.rules_active, FLOW_BITS_MAX + 1);
	CU_ASSERT_EQUAL(st.skipped_flowbits, 2);
	new_flow(&f);
	EXPECT(run_f(&v, &f, "y"), "");
	CU_ASSERT_EQUAL(run_f(&v, &f, "x")[0] != 0, 1);
	CU_ASSERT_EQUAL(v.n, FLOW_BITS_MAX);
	EXPECT(run_f(&v, &f, "y"), "1");
	env_close(&v);
}

/* ---- threshold / detection_filter --------------------------------------- */

#define T0 1700000000000000ull  /* a capture time, microseconds */

struct tev {
	const char *src, *dst;
	uint32_t ms;            /* after T0 */
};

/* Run a "x" packet per event; the sids of each, joined by '|'. */
static const char *seq(struct env *v, const struct tev *ev, size_t n)
{
	static char out[1024];
	size_t len = 0;

	out[0] = 0;
	for (size_t i = 0; i < n; i++) {
		struct tpkt t;
		struct packet *p = mk(&t, 6, ev[i].src, 1234, ev[i].dst, 80, "x", 1);

		p->ts_us = T0 + (uint64_t)ev[i].ms * 1000;
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "|" : "",
					run(v, p, NULL, FLOW_TOSERVER));
	}
	return out;
}

#define A "10.0.0.1"
#define B "10.0.0.2"
#define C "10.0.0.3"
#define NEV(a) (sizeof(a) / sizeof((a)[0]))

static void test_threshold_limit(void)
{
	struct env v;
	static const struct tev ev[] = {
		{ A, B, 0 }, { A, B, 1000 }, { C, B, 1500 }, { A, B, 2000 },
		{ A, B, 9999 }, { A, B, 10000 }, { A, B, 11000 }, { A, B, 12000 },
		{ C, B, 12000 },
	};

	env_open(&v, R "(content:\"x\"; threshold:type limit, track by_src, count 2, seconds 10; sid:1;)\n");
	/* the first two per source per 10 s; the window of A restarts at 10 s */
	EXPECT(seq(&v, ev, NEV(ev)), "1|1|1|||1|1||1");
	CU_ASSERT_EQUAL(detect_thread_stats(v.t)->thresholded, 3);
	env_close(&v);
}

static void test_threshold_threshold(void)
{
	struct env v;
	static const struct tev ev[] = {
		{ A, B, 0 }, { C, B, 1000 }, { A, B, 2000 }, { A, B, 3000 },
		{ C, B, 4000 }, { A, B, 5000 }, { A, C, 5000 },
		{ A, B, 11000 }, { A, B, 12000 }, { A, B, 13000 },
	};

	env_open(&v, R "(content:\"x\"; threshold:type threshold, track by_dst, count 3, seconds 10; sid:2;)\n");
	/* every third per destination inside the window; a new window at
	 * 11 s starts counting again */
	EXPECT(seq(&v, ev, NEV(ev)), "||2|||2||||2");
	env_close(&v);
}

static void test_threshold_both(void)
{
	struct env v;
	static const struct tev ev[] = {
		{ A, B, 0 }, { C, B, 1000 }, { A, C, 2000 }, { B, A, 3000 },
		{ A, B, 10000 }, { C, A, 11000 }, { A, B, 12000 },
	};

	env_open(&v, R "(content:\"x\"; threshold:type both, track by_rule, count 2, seconds 10; sid:3;)\n");
	/* once per window, at the second match, whoever sends it */
	EXPECT(seq(&v, ev, NEV(ev)), "|3||||3|");
	env_close(&v);
}

static void test_threshold_by_both(void)
{
	struct env v;
	static const struct tev ev[] = {
		{ A, B, 0 }, { B, A, 1000 }, { A, C, 2000 }, { C, A, 3000 },
		{ A, B, 60000 }, { B, A, 60001 },
	};

	env_open(&v, R "(content:\"x\"; threshold:type limit, track by_both, count 1, seconds 60; sid:4;)\n");
	/* one per address pair, either direction, per minute */
	EXPECT(seq(&v, ev, NEV(ev)), "4||4||4|");
	env_close(&v);
}

static void test_detection_filter(void)
{
	struct env v;
	static const struct tev ev[] = {
		{ A, B, 0 }, { A, B, 1000 }, { A, B, 2000 }, { A, B, 3000 },
		{ C, B, 3000 }, { A, B, 10000 }, { A, B, 11000 }, { A, B, 12000 },
	};

	env_open(&v, R "(content:\"x\"; detection_filter:track by_src, count 2, seconds 10; sid:5;)\n"
		     R "(content:\"x\"; flowbits:noalert; sid:6;)\n");
	/* every match after the first two of a source in the window */
	EXPECT(seq(&v, ev, NEV(ev)), "||5|5||||5");
	env_close(&v);
}

static void test_threshold_evict(void)
{
	struct env v;
	const struct detect_thread_stats *ts;
	struct tpkt t;
	unsigned alerts = 0;

	env_open(&v, R "(content:\"x\"; threshold:type limit, track by_src, count 1, seconds 60; sid:7;)\n");
	ts = detect_thread_stats(v.t);
	/* more live sources than the table holds: the oldest go, every new
	 * source still gets its first alert */
	for (uint32_t i = 0; i < 80000; i++) {
		struct packet *p = mk(&t, 6, "10.0.0.1", 1, "10.0.0.2", 80, "x", 1);

		p->src.w[0] = htonl(0x0a000000u + i);
		p->ts_us = T0 + i;
		alerts += detect_packet(v.t, p, NULL, FLOW_TOSERVER, NULL, NULL);
	}
	CU_ASSERT_EQUAL(alerts, 80000);
	CU_ASSERT(ts->thresh_evicted >= 80000 - 65536);
	CU_ASSERT_EQUAL(ts->thresholded, 0);
	env_close(&v);
}

static const struct test_case content_cases[] = {
	{ "content basics", test_content_basic },
	{ "nocase", test_nocase },
	{ "offset and depth", test_offset_depth },
	{ "distance, within, backtracking", test_distance_within },
	{ "negated content", test_negated },
	{ "startswith and endswith", test_starts_ends },
	{ "isdataat", test_isdataat },
	{ "pcre prefilter", test_pcre_prefilter },
	{ "application-layer buffers", test_app_buffers },
	{ "buffer transforms", test_transforms },
	{ "http rules mixing request and response", test_http_mixed },
	{ "urilen", test_urilen },
	{ "tls.version, ssl_version", test_tls_version },
	{ "app-layer-protocol", test_app_layer_protocol },
	{ "ssl_state", test_ssl_state },
	{ "byte_test", test_byte_test },
	{ "byte_jump", test_byte_jump },
	{ "byte_extract", test_byte_extract },
	{ "pcre", test_pcre },
	{ NULL, NULL }
};


/* ---- TCP streams ---------------------------------------------------------- */

/* One packet of a stream: p's payload is delivered in order (as the
 * stream module does for in-order data) unless deliv says otherwise. */
static const char *run_stream(struct env *v, struct flow *f, struct packet *p,
			      const uint8_t *deliv, uint32_t dlen, unsigned dflags, unsigned how)
{
	unsigned n;

	v->sids[0] = 0;
	v->n = 0;
	detect_stream_begin(v->t, p, f, FLOW_TOSERVER);
	if (deliv || dflags)
		detect_stream_data(v->t, p, f, FLOW_TOSERVER, deliv, dlen, dflags, on_alert, v);
	n = detect_packet_stream(v->t, p, f, FLOW_TOSERVER, how, on_alert, v);
	CU_ASSERT(n <= v->n);
	return v->sids;
}

/* An in-order segment carrying s. */
static const char *seg(struct env *v, struct flow *f, const char *s)
{
	struct tpkt t;
	struct packet *p = tcp_s(&t, s);

	return run_stream(v, f, p, p->data + p->payload_off, p->payload_len, 0,
			  DETECT_STREAM_COVERED);
}

static void test_stream_split(void)
{
	struct env v;
	struct flow f;

	memset(&f, 0, sizeof(f));
	env_open(&v, R "(content:\"STREAMMARKER\"; sid:1;)\n"
		     R "(flow:no_stream; content:\"STREAMMARKER\"; sid:2;)\n"
		     R "(flow:only_stream; content:\"STREAMMARKER\"; sid:3;)\n");
	CU_ASSERT(detect_has_stream(v.t));
	EXPECT(seg(&v, &f, "xxSTREAMM"), "");
	EXPECT(seg(&v, &f, "ARKERyy"), "1,3");
	/* the match now lies in the carry: not again */
	EXPECT(seg(&v, &f, "zz"), "");
	/* whole in one segment: one alert each, no_stream from the packet */
	EXPECT(seg(&v, &f, "aSTREAMMARKERb"), "1,2,3");
	CU_ASSERT_EQUAL(detect_thread_stats(v.t)->stream_alerts, 4);
	/* bytes lost between the halves: the carry is dropped */
	memset(&f, 0, sizeof(f));
	EXPECT(seg(&v, &f, "STREAMM"), "");
	{
		struct tpkt t;
		struct packet *p = tcp_s(&t, "ARKER");

		EXPECT(run_stream(&v, &f, p, p->data + p->payload_off, p->payload_len,
				  0x01 /* STREAM_GAP */, DETECT_STREAM_COVERED), "");
	}
	/* no stream for the packet (not covered): rules match it as a
	 * packet, only_stream does not */
	memset(&f, 0, sizeof(f));
	{
		struct tpkt t;
		struct packet *p = tcp_s(&t, "STREAMMARKER");

		EXPECT(run_stream(&v, &f, p, NULL, 0, 0, 0), "1,2");
	}
	env_close(&v);
}

static void test_stream_seam(void)
{
	struct env v;
	struct flow f;

	/* an earlier occurrence in the carry must not hide the one that
	 * crosses into the new bytes (Hyperscan reports a literal's first
	 * match only) */
	memset(&f, 0, sizeof(f));
	env_open(&v, R "(content:\"ABCD\"; content:\"Z\"; distance:0; within:1; sid:1;)\n"
		     /* a long fast pattern: the carry holds 19 bytes */
		     R "(content:\"01234567890123456789\"; sid:2;)\n");
	EXPECT(seg(&v, &f, "ABCDqAB"), "");
	EXPECT(seg(&v, &f, "CDZ"), "1");
	env_close(&v);
}

static void test_stream_flood(void)
{
	struct env v;
	struct flow f;
	char a[1910], b[1910];

	/* thousands of matches of one literal stop the every-match scan;
	 * the fallback still finds what lies past the flood, and content
	 * crossing the boundary */
	memset(a, 'a', 1890);
	memcpy(a + 1890, "STREAMMARKER", 13);
	memcpy(b, "STREAMMA", 8);
	memcpy(b + 8, "RKER", 4);
	memset(&f, 0, sizeof(f));
	env_open(&v, R "(content:\"STREAMMARKER\"; sid:1;)\n"
		     R "(content:\"aa\"; sid:2;)\n");
	EXPECT(seg(&v, &f, a), "1,2");
	b[8] = 0;
	EXPECT(seg(&v, &f, b), "");
	memset(b, 'a', 1900);
	memcpy(b, "RKER", 4);
	b[1900] = 0;
	EXPECT(seg(&v, &f, b), "1,2");
	env_close(&v);
}

static void test_stream_size(void)
{
	struct env v;
	struct flow f;
	struct tpkt t;

	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	env_open(&v, R "(stream_size:client,=,1; sid:1;)\n"
		     R "(stream_size:server,<,5; sid:2;)\n"
		     R "(stream_size:both,>,3; sid:3;)\n"
		     R "(stream_size:either,>,3; sid:4;)\n");
	/* no session tracked: nothing */
	EXPECT(run(&v, tcp_s(&t, "x"), &f, FLOW_TOSERVER), "");
	/* the client's SYN only: its side counts one */
	f.app.stream[FLOW_TOSERVER].flags = STREAM_DIR_INIT;
	f.app.stream[FLOW_TOSERVER].isn = 0xfffffff0u;
	f.app.stream[FLOW_TOSERVER].next_seq = 0xfffffff1u;
	EXPECT(run(&v, tcp_s(&t, "x"), &f, FLOW_TOSERVER), "1,2");
	/* ten bytes sent (across the sequence wrap), the server's SYN-ACK */
	f.app.stream[FLOW_TOSERVER].next_seq = 0xfffffff0u + 11;
	f.app.stream[FLOW_TOCLIENT].flags = STREAM_DIR_INIT;
	f.app.stream[FLOW_TOCLIENT].isn = 500;
	f.app.stream[FLOW_TOCLIENT].next_seq = 501;
	EXPECT(run(&v, tcp_s(&t, "x"), &f, FLOW_TOSERVER), "2,4");
	f.app.stream[FLOW_TOCLIENT].next_seq = 510;
	EXPECT(run(&v, tcp_s(&t, "x"), &f, FLOW_TOSERVER), "3,4");
	env_close(&v);
}

static void test_stream_held_and_retrans(void)
{
	struct env v;
	struct flow f;
	struct tpkt t, t2;
	struct packet *p;

	memset(&f, 0, sizeof(f));
	env_open(&v, R "(content:\"EVILPAYLOAD\"; sid:1;)\n"
		     R "(content:\"EVIL\"; depth:4; sid:2;)\n");
	/* held out of order: nothing delivered, the stream rule waits, the
	 * anchored rule is a packet rule and matches the packet itself */
	p = tcp_s(&t, "EVILPAYLOAD");
	EXPECT(run_stream(&v, &f, p, NULL, 0, 0, DETECT_STREAM_COVERED), "2");
	/* a later packet fills the hole and releases it: one stream match */
	p = tcp_s(&t2, "ab");
	memset(&f, 0, sizeof(f));
	v.sids[0] = 0;
	detect_stream_begin(v.t, p, &f, FLOW_TOSERVER);
	detect_stream_data(v.t, p, &f, FLOW_TOSERVER, p->data + p->payload_off, 2, 0, on_alert, &v);
	detect_stream_data(v.t, p, &f, FLOW_TOSERVER, (const uint8_t *)"EVILPAYLOAD", 11, 0,
			   on_alert, &v);
	detect_packet_stream(v.t, p, &f, FLOW_TOSERVER, DETECT_STREAM_COVERED, on_alert, &v);
	EXPECT(v.sids, "1");
	/* a retransmission: no payload rule runs on it */
	p = tcp_s(&t, "EVILPAYLOAD");
	EXPECT(run_stream(&v, &f, p, NULL, 0, 0, DETECT_STREAM_COVERED | DETECT_STREAM_RETRANS),
	       "");
	/* a delivery outside a packet's window (flow end) alerts at once */
	memset(&f, 0, sizeof(f));
	v.sids[0] = 0;
	detect_stream_data(v.t, p, &f, FLOW_TOSERVER, (const uint8_t *)"xEVILPAYLOADx", 13, 0,
			   on_alert, &v);
	EXPECT(v.sids, "1");
	env_close(&v);
}

static void test_stream_big(void)
{
	struct env v;
	struct flow f;
	struct tpkt t;
	struct packet *p = tcp_s(&t, "x");
	size_t n = 200000;
	uint8_t *big = malloc(n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', n);
	/* across the boundary of the first window (carry room + 64 KiB,
	 * empty carry), and near the end */
	memcpy(big + FLOW_CARRY_MAX + 65536 - 5, "STREAMMARKER", 12);
	memcpy(big + n - 12, "STREAMMARKER", 12);
	memset(&f, 0, sizeof(f));
	env_open(&v, R "(content:\"STREAMMARKER\"; sid:1;)\n");
	EXPECT(run_stream(&v, &f, p, big, (uint32_t)n, 0, DETECT_STREAM_COVERED), "1,1");
	/* only packets that bring new bytes see stream rules */
	EXPECT(run_stream(&v, &f, p, NULL, 0, 0, DETECT_STREAM_COVERED), "");
	env_close(&v);
	free(big);
}

static void test_stream_modes(void)
{
	struct env v;

	/* rules anchored to the packet, dsize, or without payload options
	 * are packet rules: no stream needed for them alone */
	env_open(&v, R "(content:\"a\"; offset:1; sid:1;)\n"
		     R "(content:\"b\"; dsize:>3; sid:2;)\n"
		     R "(pcre:\"/^x/\"; sid:3;)\n"
		     R "(flags:S; sid:4;)\n"
		     R "(byte_test:1,>,3,0; sid:5;)\n"
		     "alert udp any any -> any any (content:\"abc\"; sid:6;)\n");
	CU_ASSERT(!detect_has_stream(v.t));
	env_close(&v);
	env_open(&v, R "(content:\"a\"; content:\"b\"; distance:2; sid:1;)\n");
	CU_ASSERT(detect_has_stream(v.t));
	env_close(&v);
}

static const struct test_case header_cases[] = {
	{ "dsize", test_dsize },
	{ "flow", test_flow },
	{ "flags", test_flags },
	{ "ip and icmp options", test_ip_icmp_opts },
	{ "addresses, ports, bidirectional", test_addresses_ports },
	{ "ipv4 index of address-list rules", test_ip_index },
	{ "port index of rules without a fast pattern", test_port_index },
	{ "stream: content across segments, gaps, no/only_stream", test_stream_split },
	{ "stream: held data, retransmissions, flow end", test_stream_held_and_retrans },
	{ "stream: a match in the carry hides no later one", test_stream_seam },
	{ "stream: a flood of matches falls back to the seam scan", test_stream_flood },
	{ "stream_size", test_stream_size },
	{ "stream: windows over 64 KiB", test_stream_big },
	{ "stream: which rules match streams", test_stream_modes },
	{ NULL, NULL }
};

static const struct test_case state_cases[] = {
	{ "flowbits set, isset, isnotset, unset, noalert", test_flowbits_basic },
	{ "flowbits toggle", test_flowbits_toggle },
	{ "flowbits & and | groups", test_flowbits_groups },
	{ "flowbits same-packet order, no prefilter", test_flowbits_order },
	{ "flowbits beyond flow capacity", test_flowbits_capacity },
	{ "threshold limit by_src", test_threshold_limit },
	{ "threshold threshold by_dst", test_threshold_threshold },
	{ "threshold both by_rule", test_threshold_both },
	{ "threshold by_both", test_threshold_by_both },
	{ "detection_filter", test_detection_filter },
	{ "threshold table eviction", test_threshold_evict },
	{ NULL, NULL }
};

static const struct test_case engine_cases[] = {
	{ "pass suppresses", test_pass },
	{ "noalert", test_noalert },
	{ "rules without fast pattern", test_no_fast_pattern },
	{ "1000 rules in one group", test_many_rules },
	{ "alert fields", test_alert_fields },
	{ "skip counters", test_skip_counters },
	{ "empty ruleset", test_empty_ruleset },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "detect content", NULL, NULL, content_cases },
	{ "detect header", NULL, NULL, header_cases },
	{ "detect engine", NULL, NULL, engine_cases },
	{ "detect state", NULL, NULL, state_cases },
	{ NULL, NULL, NULL, NULL }
};
