/*
 * test_rule_parse: the rule parser. Address and port expressions compile
 * to the expected ranges; every header form and every keyword parses to
 * the asserted field values; every error path produces its exact
 * "FILE:LINE:COL: keyword: reason"; continuation lines, comments and
 * disabled rules are handled; duplicate sids, classification and metadata
 * behave; mutated real rules never crash or leak (run this under ASan);
 * and the ET Open and Snort 3 community corpora load except for rules
 * that use a keyword mamori does not support.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/config.h"
#include "mamori/rule.h"

/* "alert tcp any any -> any any (": the first option starts at column 31. */
#define P "alert tcp any any -> any any ("

/* ---- helpers ------------------------------------------------------------ */

static const char *top_srcdir(void)
{
	const char *t = getenv("TOP_SRCDIR");

	return t && *t ? t : ".";
}

static const char *class_path(void)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/rules/classification.config", top_srcdir());
	return path;
}

/* The default config plus the variables the tests and the corpora use. */
static struct config *test_config(void)
{
	static const char yaml[] =
		"vars:\n"
		"  address-groups:\n"
		"    SIP_SERVERS: \"$HOME_NET\"\n"
		"    BAD_NET: \"[10.0.0.0/8, 1.2.3]\"\n"
		"    LOOP_NET: \"[10.0.0.1, $LOOP_NET]\"\n"
		"    V6_NET: \"[2001:db8::/32, !2001:db8::1]\"\n"
		"  port-groups:\n"
		"    SIP_PORTS: \"[5060,5061,5600]\"\n";
	struct config *cfg = config_new_default();
	struct config_error e;

	if (!cfg)
		return NULL;
	if (config_load_string(cfg, yaml, "test.yaml", &e)) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static struct ruleset *new_rs(void)
{
	struct config *cfg = test_config();
	struct ruleset *rs;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	rs = ruleset_new(cfg, class_path());
	config_free(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	return rs;
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

static void dump_errors(const struct ruleset *rs)
{
	for (size_t i = 0; i < ruleset_error_count(rs); i++)
		fprintf(stderr, "  %s\n", ruleset_error(rs, i)->message);
}

/* The one rule of text, which must load cleanly. The ruleset lives until
 * the next call (or one(NULL)). */
static const struct rule *one(const char *text)
{
	static struct ruleset *rs;

	ruleset_free(rs);
	rs = NULL;
	if (!text)
		return NULL;
	rs = new_rs();
	ruleset_load_string(rs, text, "t.rules");
	if (ruleset_count(rs) != 1 || ruleset_error_count(rs) != 0) {
		fprintf(stderr, "\nrule did not load: %s\n", text);
		dump_errors(rs);
	}
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 1);
	CU_ASSERT_EQUAL(ruleset_error_count(rs), 0);
	return ruleset_rule(rs, 0);
}

static int free_one(void)
{
	one(NULL);
	return 0;
}

/* The single error that text produces. */
static const char *error_of(const char *text)
{
	static char msg[1024];
	struct ruleset *rs = new_rs();

	ruleset_load_string(rs, text, "t.rules");
	msg[0] = '\0';
	if (ruleset_error_count(rs) >= 1)
		snprintf(msg, sizeof(msg), "%s", ruleset_error(rs, 0)->message);
	if (ruleset_error_count(rs) != 1 || ruleset_count(rs) != 0) {
		fprintf(stderr, "\n%zu errors, %zu rules for: %s\n", ruleset_error_count(rs),
			ruleset_count(rs), text);
		dump_errors(rs);
		msg[0] = '\0';
	}
	ruleset_free(rs);
	return msg;
}

static void expect_error(const char *text, const char *want)
{
	const char *got = error_of(text);

	if (strcmp(got, want) != 0)
		fprintf(stderr, "\nrule: %s\n want: %s\n  got: %s\n", text, want, got);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static const struct rule_opt *opt(const struct rule *r, uint32_t i)
{
	CU_ASSERT_FATAL(i < r->nopts);
	return &r->opts[i];
}

static void content_is(const struct rule_opt *o, const char *bytes, size_t len)
{
	CU_ASSERT_EQUAL(o->type, RULE_OPT_CONTENT);
	CU_ASSERT_EQUAL(o->u.content.len, len);
	CU_ASSERT(o->u.content.len == len && memcmp(o->u.content.pat, bytes, len) == 0);
}

/* ---- address and port expressions ------------------------------------- */

static struct rule_vars *test_vars(void)
{
	struct rule_vars *v = rule_vars_new(NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	rule_vars_set(v, false, "HOME_NET", "[192.168.0.0/16, 10.0.0.0/8]");
	rule_vars_set(v, false, "EXTERNAL_NET", "!$HOME_NET");
	rule_vars_set(v, false, "DMZ", "[$HOME_NET, ![192.168.1.0/24, [10.0.0.1]]]");
	rule_vars_set(v, false, "BROKEN", "[1.2.3.4, 300.1.1.1]");
	rule_vars_set(v, false, "OUTER", "[$BROKEN]");
	rule_vars_set(v, false, "SELF", "$SELF");
	rule_vars_set(v, true, "HTTP_PORTS", "[80, 8080:8081]");
	rule_vars_set(v, true, "HIGH", "1024:");
	return v;
}

/* Compile and print an address expression ("ERR@off: reason" on error). */
static const char *addr(const struct rule_vars *v, const char *text)
{
	static char buf[1024];
	struct addr_set *s;
	struct expr_error e;
	int rc = addr_set_parse(v, text, &s, &e);

	if (rc) {
		snprintf(buf, sizeof(buf), "ERR@%zu: %s", e.off, e.reason);
		return buf;
	}
	addr_set_str(s, buf, sizeof(buf));
	free(s);
	return buf;
}

static const char *ports(const struct rule_vars *v, const char *text)
{
	static char buf[1024];
	struct port_set *s;
	struct expr_error e;
	int rc = port_set_parse(v, text, &s, &e);

	if (rc) {
		snprintf(buf, sizeof(buf), "ERR@%zu: %s", e.off, e.reason);
		return buf;
	}
	port_set_str(s, buf, sizeof(buf));
	free(s);
	return buf;
}

#define ALL6 "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

static void test_addr_basic(void)
{
	struct rule_vars *v = test_vars();

	CU_ASSERT_STRING_EQUAL(addr(v, "any"), "any");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.2.3.4"), "1.2.3.4");
	CU_ASSERT_STRING_EQUAL(addr(v, "10.0.0.0/8"), "10.0.0.0-10.255.255.255");
	/* host bits under the prefix are ignored; a dotted netmask works too */
	CU_ASSERT_STRING_EQUAL(addr(v, "10.1.2.3/16"), "10.1.0.0-10.1.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "10.1.2.3/255.255.0.0"), "10.1.0.0-10.1.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "0.0.0.0/0"), "0.0.0.0-255.255.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.1.1.1-1.1.1.10"), "1.1.1.1-1.1.1.10");
	/* adjacent and overlapping blocks merge, output is sorted */
	CU_ASSERT_STRING_EQUAL(addr(v, "[10.128.0.0/9, 10.0.0.0/9, 1.0.0.0/8, 1.2.3.4]"),
			       "1.0.0.0-1.255.255.255,10.0.0.0-10.255.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "2001:db8::/32"),
			       "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	CU_ASSERT_STRING_EQUAL(addr(v, "::1"), "::1");
	CU_ASSERT_STRING_EQUAL(addr(v, "[::1, 127.0.0.1]"), "127.0.0.1,::1");
	CU_ASSERT_STRING_EQUAL(addr(v, "::/0"), "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	rule_vars_free(v);
}

static void test_addr_negation(void)
{
	struct rule_vars *v = test_vars();

	/* negation is the complement over both families */
	CU_ASSERT_STRING_EQUAL(addr(v, "!1.2.3.4"),
			       "0.0.0.0-1.2.3.3,1.2.3.5-255.255.255.255," ALL6);
	CU_ASSERT_STRING_EQUAL(addr(v, "[10.0.0.0/8, !10.1.0.0/16]"),
			       "10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255");
	/* a list of only negations starts from everything */
	CU_ASSERT_STRING_EQUAL(addr(v, "[!0.0.0.0/1, !::/0]"), "128.0.0.0-255.255.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "!!1.2.3.4"), "1.2.3.4");
	CU_ASSERT_STRING_EQUAL(addr(v, "![1.0.0.0/8, !1.2.3.4]"),
			       "0.0.0.0-0.255.255.255,1.2.3.4,2.0.0.0-255.255.255.255," ALL6);
	CU_ASSERT_STRING_EQUAL(addr(v, "!::/0"), "0.0.0.0-255.255.255.255");
	CU_ASSERT_STRING_EQUAL(addr(v, "[2001:db8::/32, !2001:db8::/33]"),
			       "2001:db8:8000::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	CU_ASSERT_STRING_EQUAL(addr(v, "!any"), "ERR@0: address set matches nothing");
	CU_ASSERT_STRING_EQUAL(addr(v, "[1.2.3.4, !1.2.3.0/24]"),
			       "ERR@0: address set matches nothing");
	rule_vars_free(v);
}

static void test_addr_vars(void)
{
	struct rule_vars *v = test_vars();
	struct addr_set *s;
	struct expr_error e;
	union ip_addr a = { 0 };

	CU_ASSERT_STRING_EQUAL(addr(v, "$HOME_NET"),
			       "10.0.0.0-10.255.255.255,192.168.0.0-192.168.255.255");
	/* nested lists, negated list inside a list, a variable inside */
	CU_ASSERT_STRING_EQUAL(addr(v, "$DMZ"),
			       "10.0.0.0,10.0.0.2-10.255.255.255,"
			       "192.168.0.0-192.168.0.255,192.168.2.0-192.168.255.255");
	CU_ASSERT_EQUAL(addr_set_parse(v, "$EXTERNAL_NET", &s, &e), 0);
	a.b[0] = 8; a.b[1] = 8; a.b[2] = 8; a.b[3] = 8;
	CU_ASSERT_TRUE(addr_set_match(s, 4, &a));
	a.b[0] = 10;
	CU_ASSERT_FALSE(addr_set_match(s, 4, &a));
	a.b[0] = 192; a.b[1] = 168;
	CU_ASSERT_FALSE(addr_set_match(s, 4, &a));
	a.b[1] = 169;
	CU_ASSERT_TRUE(addr_set_match(s, 4, &a));
	memset(&a, 0, sizeof(a));
	a.b[15] = 1;    /* ::1: every IPv6 address is outside a v4-only HOME_NET */
	CU_ASSERT_TRUE(addr_set_match(s, 6, &a));
	CU_ASSERT_FALSE(s->any);
	free(s);

	CU_ASSERT_EQUAL(addr_set_parse(v, "[2001:db8::/32, !2001:db8::1]", &s, &e), 0);
	a.b[0] = 0x20; a.b[1] = 0x01; a.b[2] = 0x0d; a.b[3] = 0xb8;
	a.b[15] = 0;
	CU_ASSERT_TRUE(addr_set_match(s, 6, &a));
	a.b[15] = 1;    /* 2001:db8::1 is cut out */
	CU_ASSERT_FALSE(addr_set_match(s, 6, &a));
	a.b[15] = 2;
	CU_ASSERT_TRUE(addr_set_match(s, 6, &a));
	a.b[2] = 0x0e;
	CU_ASSERT_FALSE(addr_set_match(s, 6, &a));
	CU_ASSERT_FALSE(addr_set_match(s, 4, &a));
	free(s);

	CU_ASSERT_EQUAL(addr_set_parse(v, "any", &s, &e), 0);
	CU_ASSERT_TRUE(s->any);
	CU_ASSERT_TRUE(addr_set_match(s, 6, &a));
	free(s);
	rule_vars_free(v);
}

static void test_addr_errors(void)
{
	struct rule_vars *v = test_vars();

	CU_ASSERT_STRING_EQUAL(addr(v, "[1.2.3.4, $NOPE]"), "ERR@10: undefined variable $NOPE");
	CU_ASSERT_STRING_EQUAL(addr(v, "$HTTP_PORTS"), "ERR@0: $HTTP_PORTS is a port variable");
	/* an error inside a variable is placed at the reference, naming it */
	CU_ASSERT_STRING_EQUAL(addr(v, "[10.0.0.1,$BROKEN]"),
			       "ERR@10: in variable $BROKEN: invalid address '300.1.1.1'");
	CU_ASSERT_STRING_EQUAL(addr(v, "![$OUTER]"),
			       "ERR@2: in variable $BROKEN: invalid address '300.1.1.1'");
	CU_ASSERT_STRING_EQUAL(addr(v, "$SELF"),
			       "ERR@0: in variable $SELF: nested too deeply (a variable that refers to itself?)");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.2.3"), "ERR@0: invalid address '1.2.3'");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.2.3.4/33"), "ERR@8: invalid netmask '33'");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.2.3.4/255.0.255.0"), "ERR@8: invalid netmask '255.0.255.0'");
	CU_ASSERT_STRING_EQUAL(addr(v, "::1/129"), "ERR@4: invalid IPv6 prefix length '129'");
	CU_ASSERT_STRING_EQUAL(addr(v, "fe80::1::2"), "ERR@0: invalid IPv6 address 'fe80::1::2'");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.1.1.9-1.1.1.1"), "ERR@0: address range '1.1.1.9-1.1.1.1' runs backwards");
	CU_ASSERT_STRING_EQUAL(addr(v, "[1.2.3.4"), "ERR@8: missing ']'");
	CU_ASSERT_STRING_EQUAL(addr(v, "[1.2.3.4,]"), "ERR@9: empty list item");
	CU_ASSERT_STRING_EQUAL(addr(v, "[]"), "ERR@1: empty list item");
	CU_ASSERT_STRING_EQUAL(addr(v, "1.2.3.4]"), "ERR@7: unexpected ']'");
	CU_ASSERT_STRING_EQUAL(addr(v, ""), "ERR@0: expected an address");
	CU_ASSERT_STRING_EQUAL(addr(v, "$"), "ERR@0: invalid variable name");
	rule_vars_free(v);
}

static void test_ports(void)
{
	struct rule_vars *v = test_vars();
	struct port_set *s;
	struct expr_error e;

	CU_ASSERT_STRING_EQUAL(ports(v, "any"), "any");
	CU_ASSERT_STRING_EQUAL(ports(v, "80"), "80");
	CU_ASSERT_STRING_EQUAL(ports(v, "1024:"), "1024:65535");
	CU_ASSERT_STRING_EQUAL(ports(v, ":1023"), "0:1023");
	CU_ASSERT_STRING_EQUAL(ports(v, "0:65535"), "any");
	CU_ASSERT_STRING_EQUAL(ports(v, "[443, 80, 81:90, 85]"), "80:90,443");
	CU_ASSERT_STRING_EQUAL(ports(v, "!80"), "0:79,81:65535");
	CU_ASSERT_STRING_EQUAL(ports(v, "[1:100,!50,![60:70]]"), "1:49,51:59,71:100");
	CU_ASSERT_STRING_EQUAL(ports(v, "[!80,!443]"), "0:79,81:442,444:65535");
	CU_ASSERT_STRING_EQUAL(ports(v, "$HTTP_PORTS"), "80,8080:8081");
	CU_ASSERT_STRING_EQUAL(ports(v, "[$HTTP_PORTS, !8081, 443]"), "80,443,8080");
	CU_ASSERT_STRING_EQUAL(ports(v, "![$HIGH, 0]"), "1:1023");
	CU_ASSERT_STRING_EQUAL(ports(v, "70000"), "ERR@0: invalid port '70000'");
	CU_ASSERT_STRING_EQUAL(ports(v, "90:80"), "ERR@0: port range '90:80' runs backwards");
	CU_ASSERT_STRING_EQUAL(ports(v, ":"), "ERR@0: invalid port range ':'");
	CU_ASSERT_STRING_EQUAL(ports(v, "[80,!80]"), "ERR@0: port set matches nothing");
	CU_ASSERT_STRING_EQUAL(ports(v, "!any"), "ERR@0: port set matches nothing");
	CU_ASSERT_STRING_EQUAL(ports(v, "[80, $HOME_NET]"), "ERR@5: $HOME_NET is an address variable");
	CU_ASSERT_STRING_EQUAL(ports(v, "[80, $NOPE]"), "ERR@5: undefined variable $NOPE");
	CU_ASSERT_STRING_EQUAL(ports(v, "http"), "ERR@0: invalid port 'http'");

	CU_ASSERT_EQUAL(port_set_parse(v, "[$HTTP_PORTS,1024:2048]", &s, &e), 0);
	CU_ASSERT_TRUE(port_set_match(s, 80));
	CU_ASSERT_FALSE(port_set_match(s, 81));
	CU_ASSERT_TRUE(port_set_match(s, 8081));
	CU_ASSERT_TRUE(port_set_match(s, 1024));
	CU_ASSERT_TRUE(port_set_match(s, 2048));
	CU_ASSERT_FALSE(port_set_match(s, 2049));
	CU_ASSERT_FALSE(port_set_match(s, 0));
	CU_ASSERT_FALSE(s->any);
	free(s);
	rule_vars_free(v);
}

static void test_vars_from_config(void)
{
	struct config *cfg = test_config();
	struct rule_vars *v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	v = rule_vars_new(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(rule_vars_get(v, false, "HOME_NET"),
			       "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
	CU_ASSERT_STRING_EQUAL(rule_vars_get(v, true, "HTTP_PORTS"), "80");
	CU_ASSERT_PTR_NULL(rule_vars_get(v, true, "HOME_NET"));
	CU_ASSERT_STRING_EQUAL(addr(v, "$EXTERNAL_NET"),
			       "0.0.0.0-9.255.255.255,11.0.0.0-172.15.255.255,"
			       "172.32.0.0-192.167.255.255,192.169.0.0-255.255.255.255," ALL6);
	CU_ASSERT_STRING_EQUAL(addr(v, "$HTTP_SERVERS"),
			       "10.0.0.0-10.255.255.255,172.16.0.0-172.31.255.255,"
			       "192.168.0.0-192.168.255.255");
	CU_ASSERT_STRING_EQUAL(ports(v, "$FILE_DATA_PORTS"), "80,110,143");
	/* the config may go away: the variables were copied */
	config_free(cfg);
	CU_ASSERT_STRING_EQUAL(ports(v, "$SIP_PORTS"), "5060:5061,5600");
	rule_vars_free(v);
}

static const struct test_case vars_cases[] = {
	{ "addresses", test_addr_basic },
	{ "address negation", test_addr_negation },
	{ "address variables", test_addr_vars },
	{ "address errors", test_addr_errors },
	{ "ports", test_ports },
	{ "variables from config", test_vars_from_config },
	{ NULL, NULL }
};

/* ---- headers ---------------------------------------------------------------- */

static void test_actions(void)
{
	static const struct { const char *word; int action; } acts[] = {
		{ "alert", RULE_ACTION_ALERT }, { "pass", RULE_ACTION_PASS },
		{ "drop", RULE_ACTION_DROP }, { "reject", RULE_ACTION_REJECT },
		{ "rejectsrc", RULE_ACTION_REJECTSRC }, { "rejectdst", RULE_ACTION_REJECTDST },
		{ "rejectboth", RULE_ACTION_REJECTBOTH },
	};
	char text[256];

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		const struct rule *r;

		snprintf(text, sizeof(text), "%s tcp any any -> any any (sid:1;)", acts[i].word);
		r = one(text);
		CU_ASSERT_EQUAL(r->action, acts[i].action);
	}
}

static void test_protocols(void)
{
	const struct rule *r;

	r = one("alert ip any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_PROTO_ANY);
	CU_ASSERT_TRUE(rule_has_proto(r, 6) && rule_has_proto(r, 17) && rule_has_proto(r, 47));
	CU_ASSERT_EQUAL(r->ip_version, 0);
	CU_ASSERT_EQUAL(r->app, RULE_APP_NONE);
	CU_ASSERT_PTR_NULL(r->app_ports);

	r = one("alert ipv6 any any -> any any (sid:1;)");
	CU_ASSERT_EQUAL(r->ip_version, 6);

	r = one("alert tcp any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(rule_has_proto(r, 6));
	CU_ASSERT_FALSE(rule_has_proto(r, 17));
	CU_ASSERT_FALSE(r->flags & RULE_PROTO_ANY);
	CU_ASSERT_EQUAL(r->tcp_mode, RULE_TCP_ANY);

	r = one("alert tcp-pkt any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(rule_has_proto(r, 6));
	CU_ASSERT_EQUAL(r->tcp_mode, RULE_TCP_PKT);
	r = one("alert tcp-stream any any -> any any (sid:1;)");
	CU_ASSERT_EQUAL(r->tcp_mode, RULE_TCP_STREAM);

	r = one("alert udp any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(rule_has_proto(r, 17));
	CU_ASSERT_FALSE(rule_has_proto(r, 6));

	/* icmp is both versions, as in Suricata */
	r = one("alert icmp any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(rule_has_proto(r, 1) && rule_has_proto(r, 58));
	r = one("alert icmpv6 any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(!rule_has_proto(r, 1) && rule_has_proto(r, 58));
}

static void test_app_protocols(void)
{
	const struct rule *r;
	char buf[128];

	r = one("alert http $HOME_NET any -> $EXTERNAL_NET any (sid:1;)");
	CU_ASSERT_EQUAL(r->app, RULE_APP_HTTP);
	CU_ASSERT_STRING_EQUAL(rule_app_name(r->app), "http");
	CU_ASSERT_TRUE(rule_has_proto(r, 6));
	CU_ASSERT_FALSE(rule_has_proto(r, 17));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->app_ports);
	port_set_str(r->app_ports, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "80");      /* $HTTP_PORTS of the default config */
	/* the app proto alone does not need the app layer: the engine runs
	 * such rules on the usual ports until the app layer exists */
	CU_ASSERT_FALSE(r->flags & RULE_NEEDS_APP_LAYER);

	r = one("alert dns any any -> any any (sid:1;)");
	CU_ASSERT_EQUAL(r->app, RULE_APP_DNS);
	CU_ASSERT_TRUE(rule_has_proto(r, 6) && rule_has_proto(r, 17));
	port_set_str(r->app_ports, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "53");

	r = one("alert tls any any -> any any (sid:1;)");
	CU_ASSERT_EQUAL(r->app, RULE_APP_TLS);
	CU_ASSERT_TRUE(port_set_match(r->app_ports, 443));

	r = one("alert ssh any any -> any any (sid:1;)");
	port_set_str(r->app_ports, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "22");      /* $SSH_PORTS */

	r = one("alert sip any any -> any any (sid:1;)");
	port_set_str(r->app_ports, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "5060:5061,5600");  /* $SIP_PORTS of the test */

	r = one("alert smb any any -> any any (sid:1;)");
	port_set_str(r->app_ports, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "139,445");

	r = one("alert ftp-data any any -> any any (sid:1;)");
	CU_ASSERT_TRUE(r->app_ports->any);
	CU_ASSERT_STRING_EQUAL(rule_app_name(r->app), "ftp-data");
}

static void test_header_sets(void)
{
	const struct rule *r;
	char buf[256];
	struct ruleset *rs;

	r = one("alert tcp [10.0.0.0/8, !10.1.0.0/16] [1024:, !8080] <> 2001:db8::/32 "
		"![80,443] (sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_BIDIRECTIONAL);
	addr_set_str(r->src_addr, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "10.0.0.0-10.0.255.255,10.2.0.0-10.255.255.255");
	port_set_str(r->src_port, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1024:8079,8081:65535");
	addr_set_str(r->dst_addr, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	port_set_str(r->dst_port, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0:79,81:442,444:65535");

	r = one("alert tcp any any -> any any (sid:1;)");
	CU_ASSERT_FALSE(r->flags & RULE_BIDIRECTIONAL);
	CU_ASSERT_TRUE(r->src_addr->any && r->dst_addr->any);
	CU_ASSERT_TRUE(r->src_port->any && r->dst_port->any);

	/* rules naming the same expression share one compiled set */
	rs = new_rs();
	ruleset_load_string(rs,
			    "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (sid:1;)\n"
			    "alert udp $HOME_NET 53 -> $EXTERNAL_NET any (sid:2;)\n", "t.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 2);
	CU_ASSERT_PTR_EQUAL(ruleset_rule(rs, 0)->src_addr, ruleset_rule(rs, 1)->src_addr);
	CU_ASSERT_PTR_EQUAL(ruleset_rule(rs, 0)->dst_addr, ruleset_rule(rs, 1)->dst_addr);
	CU_ASSERT_PTR_NOT_EQUAL(ruleset_rule(rs, 0)->dst_port, ruleset_rule(rs, 1)->dst_port);
	ruleset_free(rs);
}

static void test_snort3_header(void)
{
	const struct rule *r;

	/* Snort 3 service rule: no addresses, any to any, both ways */
	r = one("alert http (msg:\"x\"; http_uri; content:\"/a\"; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_SNORT3);
	CU_ASSERT_TRUE(r->src_addr->any && r->dst_port->any);
	CU_ASSERT_EQUAL(r->app, RULE_APP_HTTP);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
}

static const struct test_case header_cases[] = {
	{ "actions", test_actions },
	{ "protocols", test_protocols },
	{ "application protocols", test_app_protocols },
	{ "addresses and ports", test_header_sets },
	{ "snort 3 service header", test_snort3_header },
	{ NULL, NULL }
};

/* ---- meta keywords ---------------------------------------------------------- */

static void test_meta(void)
{
	const struct rule *r;

	r = one(P "msg:\"ET \\\"quoted\\\" \\; semi\"; sid:2001; rev:7; gid:3; "
		"classtype:trojan-activity; reference:url,example.com/a,b; "
		"reference: cve , 2024-1234 ; target:dest_ip;)");
	CU_ASSERT_STRING_EQUAL(r->msg, "ET \"quoted\" ; semi");
	CU_ASSERT_EQUAL(r->sid, 2001);
	CU_ASSERT_EQUAL(r->rev, 7);
	CU_ASSERT_EQUAL(r->gid, 3);
	CU_ASSERT_STRING_EQUAL(r->classtype, "trojan-activity");
	CU_ASSERT_STRING_EQUAL(r->category, "Trojan or backdoor activity");
	CU_ASSERT_EQUAL(r->priority, 1);
	CU_ASSERT_EQUAL_FATAL(r->nrefs, 2);
	CU_ASSERT_STRING_EQUAL(r->refs[0].type, "url");
	CU_ASSERT_STRING_EQUAL(r->refs[0].value, "example.com/a,b");
	CU_ASSERT_STRING_EQUAL(r->refs[1].type, "cve");
	CU_ASSERT_STRING_EQUAL(r->refs[1].value, "2024-1234");
	CU_ASSERT_TRUE(r->flags & RULE_TARGET_DST);
	CU_ASSERT_STRING_EQUAL(r->file, "t.rules");
	CU_ASSERT_EQUAL(r->line, 1);
	CU_ASSERT_EQUAL(r->nopts, 0);

	/* defaults: gid 1, msg "", severity 3 with no classtype */
	r = one(P "sid:5;)");
	CU_ASSERT_EQUAL(r->gid, 1);
	CU_ASSERT_EQUAL(r->rev, 0);
	CU_ASSERT_STRING_EQUAL(r->msg, "");
	CU_ASSERT_PTR_NULL(r->classtype);
	CU_ASSERT_PTR_NULL(r->category);
	CU_ASSERT_EQUAL(r->priority, 3);
	CU_ASSERT_PTR_NULL(r->metadata_json);
	CU_ASSERT_STRING_EQUAL(r->text, P "sid:5;)");

	/* priority overrides the classtype's, in either order */
	r = one(P "priority:4; classtype:attempted-admin; sid:1;)");
	CU_ASSERT_EQUAL(r->priority, 4);
	r = one(P "classtype:attempted-admin; priority:2; sid:1;)");
	CU_ASSERT_EQUAL(r->priority, 2);
	r = one(P "classtype:misc-activity; sid:1;)");
	CU_ASSERT_EQUAL(r->priority, 3);
	CU_ASSERT_STRING_EQUAL(r->category, "Miscellaneous activity");
	r = one(P "classtype:tcp-connection; sid:1;)");
	CU_ASSERT_EQUAL(r->priority, 4);

	r = one(P "target:src_ip; noalert; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_TARGET_SRC);
	CU_ASSERT_TRUE(r->flags & RULE_NOALERT);
}

static void test_metadata(void)
{
	const struct rule *r;

	r = one(P "metadata:affected_product Windows_XP, attack_target Client_Endpoint, "
		"tag Phishing, tag \"Evil\\Corp\", created_at 2020_07_20, former_category; sid:1;)");
	CU_ASSERT_EQUAL_FATAL(r->nmeta, 6);
	CU_ASSERT_STRING_EQUAL(r->meta[0].key, "affected_product");
	CU_ASSERT_STRING_EQUAL(r->meta[0].value, "Windows_XP");
	CU_ASSERT_STRING_EQUAL(r->meta[2].key, "tag");
	CU_ASSERT_STRING_EQUAL(r->meta[3].value, "\"Evil\\Corp\"");
	CU_ASSERT_STRING_EQUAL(r->meta[5].key, "former_category");
	CU_ASSERT_STRING_EQUAL(r->meta[5].value, "");
	/* EVE alert.metadata: values grouped under their key, first-seen order */
	CU_ASSERT_STRING_EQUAL(r->metadata_json,
			       "{\"affected_product\":[\"Windows_XP\"],"
			       "\"attack_target\":[\"Client_Endpoint\"],"
			       "\"tag\":[\"Phishing\",\"\\\"Evil\\\\Corp\\\"\"],"
			       "\"created_at\":[\"2020_07_20\"],\"former_category\":[\"\"]}");

	/* several metadata options add up; Snort 3 policy values keep spaces */
	r = one(P "metadata:policy balanced-ips drop, policy security-ips drop; "
		"metadata:ruleset community; sid:1;)");
	CU_ASSERT_EQUAL(r->nmeta, 3);
	CU_ASSERT_STRING_EQUAL(r->metadata_json,
			       "{\"policy\":[\"balanced-ips drop\",\"security-ips drop\"],"
			       "\"ruleset\":[\"community\"]}");
}

static void test_tag_and_service(void)
{
	struct ruleset *rs = new_rs();
	const struct rule *r;
	const struct rule_error *w;

	ruleset_load_string(rs, P "tag:session,10,packets; sid:1;)\n", "t.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 1);
	CU_ASSERT_TRUE(ruleset_rule(rs, 0)->flags & RULE_HAS_TAG);
	CU_ASSERT_EQUAL_FATAL(ruleset_warning_count(rs), 1);
	w = ruleset_warning(rs, 0);
	CU_ASSERT_STRING_EQUAL(w->message,
			       "t.rules:1:35: tag: accepted, but tagging is not implemented: no effect");
	CU_ASSERT_EQUAL(w->sid, 1);
	CU_ASSERT_EQUAL(ruleset_error_count(rs), 0);
	ruleset_free(rs);

	r = one(P "content:\"x\"; service:http,ssl; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_SNORT3);
	CU_ASSERT_EQUAL_FATAL(r->nservices, 2);
	CU_ASSERT_STRING_EQUAL(r->services[0], "http");
	CU_ASSERT_STRING_EQUAL(r->services[1], "ssl");
}

/* ---- content -------------------------------------------------------------------- */

static void test_content(void)
{
	const struct rule *r;
	const struct rule_content *c;

	r = one(P "content:\"GET |20 2F|a\\\"b\\;c\\\\d\\:e\"; content:!\"|0d0A|\"; "
		"content:\"A|42|C\"; sid:1;)");
	CU_ASSERT_EQUAL_FATAL(r->nopts, 3);
	content_is(opt(r, 0), "GET  /a\"b;c\\d:e", 15);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_PAYLOAD);
	CU_ASSERT_FALSE(opt(r, 0)->u.content.negated);
	content_is(opt(r, 1), "\r\n", 2);
	CU_ASSERT_TRUE(opt(r, 1)->u.content.negated);
	content_is(opt(r, 2), "ABC", 3);
	CU_ASSERT_FALSE(r->flags & RULE_NEEDS_APP_LAYER);

	r = one(P "content:\"abc\"; nocase; offset:2; depth:10; rawbytes; fast_pattern; "
		"content:\"de\"; distance:-1; within:5; endswith; sid:1;)");
	c = &opt(r, 0)->u.content;
	CU_ASSERT_TRUE(c->nocase && c->rawbytes && c->fast_pattern);
	CU_ASSERT_FALSE(c->fp_only || c->fp_chop || c->startswith || c->endswith);
	CU_ASSERT_TRUE(c->has_offset && c->has_depth);
	CU_ASSERT_FALSE(c->has_distance || c->has_within);
	CU_ASSERT_EQUAL(c->offset.value, 2);
	CU_ASSERT_EQUAL(c->offset.var, -1);
	CU_ASSERT_EQUAL(c->depth.value, 10);
	c = &opt(r, 1)->u.content;
	CU_ASSERT_TRUE(c->has_distance && c->has_within && c->endswith);
	CU_ASSERT_FALSE(c->nocase || c->fast_pattern || c->has_offset);
	CU_ASSERT_EQUAL(c->distance.value, -1);
	CU_ASSERT_EQUAL(c->within.value, 5);

	r = one(P "content:\"abcdef\"; fast_pattern:only; content:\"xyzw\"; startswith; sid:1;)");
	CU_ASSERT_TRUE(opt(r, 0)->u.content.fp_only);
	CU_ASSERT_TRUE(opt(r, 1)->u.content.startswith);

	r = one(P "content:\"abcdef\"; fast_pattern:2,3; sid:1;)");
	c = &opt(r, 0)->u.content;
	CU_ASSERT_TRUE(c->fast_pattern && c->fp_chop);
	CU_ASSERT_EQUAL(c->fp_off, 2);
	CU_ASSERT_EQUAL(c->fp_len, 3);

	/* uricontent is content in http.uri */
	r = one(P "uricontent:\"/x.php\"; nocase; sid:1;)");
	content_is(opt(r, 0), "/x.php", 6);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_TRUE(opt(r, 0)->u.content.nocase);
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
}

static void test_content_vars(void)
{
	const struct rule *r;
	const struct rule_content *c;

	/* distance and within may name a byte_extract variable */
	r = one(P "content:\"L\"; byte_extract:2,0,len,relative,little; "
		"content:\"|00|\"; distance:len; within:len; "
		"byte_extract:1,0,off; content:\"Q\"; offset:off; depth:off; sid:1;)");
	CU_ASSERT_EQUAL_FATAL(r->nvars, 2);
	CU_ASSERT_STRING_EQUAL(r->vars[0], "len");
	CU_ASSERT_STRING_EQUAL(r->vars[1], "off");
	CU_ASSERT_EQUAL(opt(r, 1)->type, RULE_OPT_BYTE_EXTRACT);
	CU_ASSERT_EQUAL(opt(r, 1)->u.byte.result, 0);
	c = &opt(r, 2)->u.content;
	CU_ASSERT_EQUAL(c->distance.var, 0);
	CU_ASSERT_EQUAL(c->within.var, 0);
	CU_ASSERT_EQUAL(opt(r, 3)->u.byte.result, 1);
	c = &opt(r, 4)->u.content;
	CU_ASSERT_EQUAL(c->offset.var, 1);
	CU_ASSERT_EQUAL(c->depth.var, 1);
}

static void test_snort3_content(void)
{
	const struct rule *r;
	const struct rule_content *c;

	r = one(P "content:\"2|00 00|Drives\",depth 16,offset 2,nocase; "
		"content:\"|05 00|\", distance 0, within 10, fast_pattern; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_SNORT3);
	content_is(opt(r, 0), "2\0\0Drives", 9);
	c = &opt(r, 0)->u.content;
	CU_ASSERT_TRUE(c->nocase && c->has_depth && c->has_offset);
	CU_ASSERT_EQUAL(c->depth.value, 16);
	CU_ASSERT_EQUAL(c->offset.value, 2);
	c = &opt(r, 1)->u.content;
	CU_ASSERT_TRUE(c->has_distance && c->has_within && c->fast_pattern);
	CU_ASSERT_EQUAL(c->within.value, 10);

	r = one(P "content:\"abcdef\",fast_pattern,fast_pattern_offset 1,fast_pattern_length 2; "
		"sid:1;)");
	c = &opt(r, 0)->u.content;
	CU_ASSERT_TRUE(c->fp_chop);
	CU_ASSERT_EQUAL(c->fp_off, 1);
	CU_ASSERT_EQUAL(c->fp_len, 2);

	/* in Snort 3 rules http_uri and friends are sticky buffers */
	r = one(P "flow:to_server,established; http_uri; content:\"/a\",fast_pattern; "
		"content:\"b\",distance 0; http_header; content:\"X\"; pkt_data; content:\"P\"; "
		"service:http; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_HTTP_HEADER);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_PAYLOAD);

	/* Snort 3 keywords named like a buffer but taking a value */
	r = one(P "sip_method:invite; content:\"x\"; service:sip; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_APP);
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.app.name, "sip_method");
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.app.value, "invite");
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_PAYLOAD);
	r = one(P "http_header:field user-agent; content:\"x\"; service:http; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_HTTP_HEADER);
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.app.value, "field user-agent");
}

static void test_buffers(void)
{
	const struct rule *r;

	/* Suricata sticky buffers: the following options inspect them */
	r = one("alert http any any -> any any (http.method; content:\"POST\"; "
		"http.uri; content:\"/a\"; pcre:\"/x/R\"; bsize:>3; http.host; dotprefix; "
		"content:\".evil\"; endswith; pkt_data; content:\"raw\"; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_METHOD);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 2)->type, RULE_OPT_PCRE);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 3)->type, RULE_OPT_BSIZE);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 3)->u.cmp.op, RULE_CMP_GT);
	CU_ASSERT_EQUAL(opt(r, 4)->type, RULE_OPT_TRANSFORM);
	CU_ASSERT_STRING_EQUAL(opt(r, 4)->u.transform.name, "dotprefix");
	CU_ASSERT_EQUAL(opt(r, 4)->buffer, RULE_BUF_HTTP_HOST);
	CU_ASSERT_EQUAL(opt(r, 5)->buffer, RULE_BUF_HTTP_HOST);
	CU_ASSERT_EQUAL(opt(r, 6)->buffer, RULE_BUF_PAYLOAD);

	/* transforms with an argument */
	r = one(P "file.data; xor:\"0d0ac8ff\"; to_sha256; content:\"|00|\"; sid:1;)");
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.transform.name, "xor");
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.transform.arg, "\"0d0ac8ff\"");
	CU_ASSERT_PTR_NULL(opt(r, 1)->u.transform.arg);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_FILE_DATA);

	/* Suricata legacy modifiers move the content before them */
	r = one(P "content:\"GET\"; http_method; content:\"/a\"; nocase; http_uri; "
		"content:\"plain\"; content:\"UA\"; http_user_agent; sid:1;)");
	CU_ASSERT_FALSE(r->flags & RULE_SNORT3);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_METHOD);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_TRUE(opt(r, 1)->u.content.nocase);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_PAYLOAD);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_HTTP_USER_AGENT);

	/* older sticky names are sticky in Suricata too */
	r = one(P "file_data; content:\"MZ\"; dns_query; content:\"x\"; tls_sni; "
		"content:\"y\"; ja3_hash; content:\"z\"; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_FILE_DATA);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_DNS_QUERY);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_TLS_SNI);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_JA3_HASH);
	CU_ASSERT_STRING_EQUAL(rule_buffer_name(RULE_BUF_DNS_QUERY), "dns.query");
	CU_ASSERT_TRUE(rule_buffer_is_app(RULE_BUF_FILE_DATA));
	CU_ASSERT_FALSE(rule_buffer_is_app(RULE_BUF_PAYLOAD));
	CU_ASSERT_FALSE(rule_buffer_is_app(RULE_BUF_BASE64));

	/* base64 is not an app-layer buffer */
	r = one(P "content:\"b64=\"; base64_decode:bytes 20, offset 1, relative; base64_data; "
		"content:\"evil\"; raw_data; content:\"r\"; sid:1;)");
	CU_ASSERT_FALSE(r->flags & RULE_NEEDS_APP_LAYER);
	CU_ASSERT_EQUAL(opt(r, 1)->type, RULE_OPT_BASE64_DECODE);
	CU_ASSERT_EQUAL(opt(r, 1)->u.base64.bytes, 20);
	CU_ASSERT_EQUAL(opt(r, 1)->u.base64.offset, 1);
	CU_ASSERT_TRUE(opt(r, 1)->u.base64.relative);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_BASE64);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_RAW);
	r = one(P "base64_decode; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->u.base64.bytes, 0);
	CU_ASSERT_FALSE(opt(r, 0)->u.base64.relative);

	/* recognised app-layer keywords are kept as written; urilen is a
	 * length test on the URI buffer */
	r = one("alert http any any -> any any (urilen:>10; app-layer-event:http.x; "
		"tls.version:1.2; urilen: 3<>9 , raw; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_BSIZE);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 0)->u.cmp.op, RULE_CMP_GT);
	CU_ASSERT_EQUAL(opt(r, 0)->u.cmp.lo, 10);
	CU_ASSERT_EQUAL(opt(r, 1)->type, RULE_OPT_APP);
	CU_ASSERT_EQUAL(opt(r, 2)->type, RULE_OPT_TLS_VERSION);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_HTTP_URI_RAW);
	CU_ASSERT_EQUAL(opt(r, 3)->u.cmp.op, RULE_CMP_RANGE);
}

/* tls.version, ssl_version, ssl_state, app-layer-protocol: typed */
static void test_app_keywords(void)
{
	const struct rule *r;
	const struct rule_app_proto *ap;

	r = one(P "tls.version:1.2; tls.version:\"1.0\"; tls.version:0x7f12; tls.version:1.3; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_TLS_VERSION);
	CU_ASSERT_EQUAL(opt(r, 0)->u.tls_version.ver, 0x0303);
	CU_ASSERT_FALSE(opt(r, 0)->u.tls_version.raw);
	CU_ASSERT_EQUAL(opt(r, 1)->u.tls_version.ver, 0x0301);
	CU_ASSERT_EQUAL(opt(r, 2)->u.tls_version.ver, 0x7f12);
	CU_ASSERT_TRUE(opt(r, 2)->u.tls_version.raw);
	CU_ASSERT_EQUAL(opt(r, 3)->u.tls_version.ver, 0x0304);

	r = one(P "ssl_version:sslv3, TLS1.0,!tls1.2; ssl_version:!tls1.3; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_SSL_VERSION);
	CU_ASSERT_EQUAL(opt(r, 0)->u.ssl_version.want, RULE_SSL_V3 | RULE_SSL_TLS10);
	CU_ASSERT_EQUAL(opt(r, 0)->u.ssl_version.deny, RULE_SSL_TLS12);
	CU_ASSERT_EQUAL(opt(r, 1)->u.ssl_version.want, 0);
	CU_ASSERT_EQUAL(opt(r, 1)->u.ssl_version.deny, RULE_SSL_TLS13);

	r = one(P "ssl_state:client_hello; ssl_state:server_hello | !client_keyx,server_keyx; "
		"ssl_state:!unknown; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_SSL_STATE);
	CU_ASSERT_EQUAL(opt(r, 0)->u.ssl_state.states, RULE_SSL_CLIENT_HELLO);
	CU_ASSERT_EQUAL(opt(r, 0)->u.ssl_state.negated, 0);
	CU_ASSERT_EQUAL(opt(r, 1)->u.ssl_state.states,
			RULE_SSL_SERVER_HELLO | RULE_SSL_CLIENT_KEYX | RULE_SSL_SERVER_KEYX);
	CU_ASSERT_EQUAL(opt(r, 1)->u.ssl_state.negated, RULE_SSL_CLIENT_KEYX);
	CU_ASSERT_EQUAL(opt(r, 2)->u.ssl_state.states, RULE_SSL_UNKNOWN);
	CU_ASSERT_EQUAL(opt(r, 2)->u.ssl_state.negated, RULE_SSL_UNKNOWN);

	r = one(P "app-layer-protocol:http; app-layer-protocol:!tls,to_client; "
		"app-layer-protocol:unknown|dns, exact, either; app-layer-protocol:http1,original; "
		"app-layer-protocol:!ssh; app-layer-protocol:failed,final; sid:1;)");
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
	ap = &opt(r, 0)->u.app_proto;
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_APP_PROTO);
	CU_ASSERT_EQUAL(ap->protos, RULE_ALP_HTTP);
	CU_ASSERT_EQUAL(ap->mode, RULE_ALP_DIRECTION);
	CU_ASSERT_FALSE(ap->negated || ap->exact || ap->undetected);
	ap = &opt(r, 1)->u.app_proto;
	CU_ASSERT_EQUAL(ap->protos, RULE_ALP_TLS);
	CU_ASSERT_TRUE(ap->negated);
	CU_ASSERT_EQUAL(ap->mode, RULE_ALP_TO_CLIENT);
	ap = &opt(r, 2)->u.app_proto;
	CU_ASSERT_EQUAL(ap->protos, RULE_ALP_UNKNOWN | RULE_ALP_DNS);
	CU_ASSERT_TRUE(ap->exact);
	CU_ASSERT_EQUAL(ap->mode, RULE_ALP_EITHER);
	ap = &opt(r, 3)->u.app_proto;
	CU_ASSERT_EQUAL(ap->protos, RULE_ALP_HTTP);
	CU_ASSERT_EQUAL(ap->mode, RULE_ALP_FINAL);
	ap = &opt(r, 4)->u.app_proto;
	CU_ASSERT_TRUE(ap->undetected && ap->negated);
	CU_ASSERT_EQUAL(ap->protos, 0);
	ap = &opt(r, 5)->u.app_proto;
	CU_ASSERT_EQUAL(ap->protos, RULE_ALP_FAILED);
	CU_ASSERT_EQUAL(ap->mode, RULE_ALP_FINAL);
}

/* ---- pcre and byte_* ------------------------------------------------------------ */

static void test_pcre(void)
{
	const struct rule *r;
	const struct rule_pcre *p;

	r = one(P "pcre:\"/^GET\\s+\\/[a-z]{3}\\x3b/ismxAEGRBO\"; pcre:!\"/a\\/b/\"; "
		"pcre:\"/user-agent: x/Hi\"; pcre:\"/^[\"']?post/Ri\"; sid:1;)");
	p = &opt(r, 0)->u.pcre;
	CU_ASSERT_STRING_EQUAL(p->re, "^GET\\s+\\/[a-z]{3}\\x3b");
	CU_ASSERT_STRING_EQUAL(p->mods, "ismxAEGRBO");
	CU_ASSERT_EQUAL(p->flags, RULE_PCRE_CASELESS | RULE_PCRE_DOTALL | RULE_PCRE_MULTILINE |
			RULE_PCRE_EXTENDED | RULE_PCRE_ANCHORED | RULE_PCRE_DOLLAR_END |
			RULE_PCRE_UNGREEDY | RULE_PCRE_RELATIVE | RULE_PCRE_RAWBYTES |
			RULE_PCRE_NO_LIMIT);
	CU_ASSERT_FALSE(p->negated);
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_PAYLOAD);
	p = &opt(r, 1)->u.pcre;
	CU_ASSERT_TRUE(p->negated);
	CU_ASSERT_STRING_EQUAL(p->re, "a\\/b");
	CU_ASSERT_EQUAL(p->flags, 0);
	/* a buffer flag puts the pcre in that buffer */
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_HTTP_HEADER);
	CU_ASSERT_EQUAL(opt(r, 2)->u.pcre.flags, RULE_PCRE_CASELESS);
	CU_ASSERT_TRUE(r->flags & RULE_NEEDS_APP_LAYER);
	/* a lone quote inside the regex (ET writes these) */
	CU_ASSERT_STRING_EQUAL(opt(r, 3)->u.pcre.re, "^[\"']?post");

	r = one(P "pcre:\"/a/UR\"; pcre:\"/b/I\"; pcre:\"/c/P\"; pcre:\"/d/Q\"; pcre:\"/e/D\"; "
		"pcre:\"/f/M\"; pcre:\"/g/C\"; pcre:\"/h/K\"; pcre:\"/i/S\"; pcre:\"/j/Y\"; "
		"pcre:\"/k/V\"; pcre:\"/l/W\"; pcre:\"/m/Z\"; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 0)->u.pcre.flags, RULE_PCRE_RELATIVE);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_HTTP_URI_RAW);
	CU_ASSERT_EQUAL(opt(r, 2)->buffer, RULE_BUF_HTTP_REQUEST_BODY);
	CU_ASSERT_EQUAL(opt(r, 3)->buffer, RULE_BUF_HTTP_RESPONSE_BODY);
	CU_ASSERT_EQUAL(opt(r, 4)->buffer, RULE_BUF_HTTP_HEADER_RAW);
	CU_ASSERT_EQUAL(opt(r, 5)->buffer, RULE_BUF_HTTP_METHOD);
	CU_ASSERT_EQUAL(opt(r, 6)->buffer, RULE_BUF_HTTP_COOKIE);
	CU_ASSERT_EQUAL(opt(r, 7)->buffer, RULE_BUF_HTTP_COOKIE_RAW);
	CU_ASSERT_EQUAL(opt(r, 8)->buffer, RULE_BUF_HTTP_STAT_CODE);
	CU_ASSERT_EQUAL(opt(r, 9)->buffer, RULE_BUF_HTTP_STAT_MSG);
	CU_ASSERT_EQUAL(opt(r, 10)->buffer, RULE_BUF_HTTP_USER_AGENT);
	CU_ASSERT_EQUAL(opt(r, 11)->buffer, RULE_BUF_HTTP_HOST);
	CU_ASSERT_EQUAL(opt(r, 12)->buffer, RULE_BUF_HTTP_HOST_RAW);

	/* the flag of the sticky buffer in use is redundant, not an error */
	r = one(P "http.uri; pcre:\"/\\d{13}$/UR\"; file_data; pcre:\"/x/Q\"; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->buffer, RULE_BUF_HTTP_URI);
	CU_ASSERT_EQUAL(opt(r, 1)->buffer, RULE_BUF_FILE_DATA);
}

static void test_byte_test(void)
{
	const struct rule *r;
	const struct rule_byte *b;

	r = one(P "byte_test:4,>,0x7fff,12,relative,little; byte_test:2,!&,8,0; "
		"byte_test:10,<=,1000,-3,relative,string,dec; byte_test:1,=,1,0,dce,bitmask 0x0f; "
		"byte_test:3,^,7,1,string hex; byte_test:2,!=,5,0,string,oct; "
		"byte_test:0,=,0,0,string,dec; byte_test:4,>=,1,0,big; sid:1;)");
	b = &opt(r, 0)->u.byte;
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_BYTE_TEST);
	CU_ASSERT_EQUAL(b->nbytes, 4);
	CU_ASSERT_EQUAL(b->nbytes_var, -1);
	CU_ASSERT_EQUAL(b->op, RULE_BYTE_GT);
	CU_ASSERT_FALSE(b->negated);
	CU_ASSERT_EQUAL(b->value.value, 0x7fff);
	CU_ASSERT_EQUAL(b->value.var, -1);
	CU_ASSERT_EQUAL(b->offset.value, 12);
	CU_ASSERT_TRUE(b->relative);
	CU_ASSERT_EQUAL(b->endian, RULE_ENDIAN_LITTLE);
	CU_ASSERT_EQUAL(b->base, RULE_BASE_BINARY);
	b = &opt(r, 1)->u.byte;
	CU_ASSERT_EQUAL(b->op, RULE_BYTE_AND);
	CU_ASSERT_TRUE(b->negated);
	CU_ASSERT_FALSE(b->relative);
	CU_ASSERT_EQUAL(b->endian, RULE_ENDIAN_BIG);
	b = &opt(r, 2)->u.byte;
	CU_ASSERT_EQUAL(b->op, RULE_BYTE_LE);
	CU_ASSERT_EQUAL(b->offset.value, -3);
	CU_ASSERT_EQUAL(b->base, RULE_BASE_DEC);
	CU_ASSERT_EQUAL(b->nbytes, 10);
	b = &opt(r, 3)->u.byte;
	CU_ASSERT_EQUAL(b->endian, RULE_ENDIAN_DCE);
	CU_ASSERT_TRUE(b->has_bitmask);
	CU_ASSERT_EQUAL(b->bitmask, 0x0f);
	b = &opt(r, 4)->u.byte;
	CU_ASSERT_EQUAL(b->op, RULE_BYTE_OR);
	CU_ASSERT_EQUAL(b->base, RULE_BASE_HEX);
	b = &opt(r, 5)->u.byte;
	CU_ASSERT_EQUAL(b->op, RULE_BYTE_EQ);
	CU_ASSERT_TRUE(b->negated);
	CU_ASSERT_EQUAL(b->base, RULE_BASE_OCT);
	b = &opt(r, 6)->u.byte;
	CU_ASSERT_EQUAL(b->nbytes, 0);          /* the whole buffer, as a string */
	CU_ASSERT_EQUAL(opt(r, 7)->u.byte.op, RULE_BYTE_GE);
	CU_ASSERT_EQUAL(opt(r, 7)->u.byte.endian, RULE_ENDIAN_BIG);

	/* values, offsets and sizes may come from byte_extract */
	r = one(P "byte_extract:1,0,n; byte_extract:2,1,v,relative; "
		"byte_test:n,=,v,n,relative; sid:1;)");
	b = &opt(r, 2)->u.byte;
	CU_ASSERT_EQUAL(b->nbytes_var, 0);
	CU_ASSERT_EQUAL(b->value.var, 1);
	CU_ASSERT_EQUAL(b->offset.var, 0);
}

static void test_byte_jump_extract(void)
{
	const struct rule *r;
	const struct rule_byte *b;

	r = one(P "byte_jump:4,12,relative,multiplier 2,little,string,hex,align,from_beginning,"
		"post_offset -4,dce,bitmask 0xff00; byte_jump:2,-3,from_end; "
		"byte_extract:4,2,sz,relative,multiplier 4,big,string,dec,align 4,bitmask 0xff; "
		"byte_jump:1,0,post_offset sz; sid:1;)");
	b = &opt(r, 0)->u.byte;
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_BYTE_JUMP);
	CU_ASSERT_EQUAL(b->nbytes, 4);
	CU_ASSERT_EQUAL(b->offset.value, 12);
	CU_ASSERT_TRUE(b->relative && b->from_beginning && b->has_bitmask);
	CU_ASSERT_FALSE(b->from_end);
	CU_ASSERT_EQUAL(b->multiplier, 2);
	CU_ASSERT_EQUAL(b->endian, RULE_ENDIAN_DCE);    /* the last one given */
	CU_ASSERT_EQUAL(b->base, RULE_BASE_HEX);
	CU_ASSERT_EQUAL(b->align, 4);
	CU_ASSERT_EQUAL(b->post_offset.value, -4);
	CU_ASSERT_EQUAL(b->bitmask, 0xff00);
	b = &opt(r, 1)->u.byte;
	CU_ASSERT_EQUAL(b->offset.value, -3);
	CU_ASSERT_TRUE(b->from_end);
	CU_ASSERT_EQUAL(b->multiplier, 1);
	CU_ASSERT_EQUAL(b->align, 0);
	b = &opt(r, 2)->u.byte;
	CU_ASSERT_EQUAL(opt(r, 2)->type, RULE_OPT_BYTE_EXTRACT);
	CU_ASSERT_EQUAL(b->result, 0);
	CU_ASSERT_EQUAL(b->multiplier, 4);
	CU_ASSERT_EQUAL(b->align, 4);
	CU_ASSERT_EQUAL(b->base, RULE_BASE_DEC);
	CU_ASSERT_EQUAL(b->bitmask, 0xff);
	CU_ASSERT_TRUE(b->relative);
	CU_ASSERT_EQUAL(opt(r, 3)->u.byte.post_offset.var, 0);
	CU_ASSERT_STRING_EQUAL(r->vars[0], "sz");

	/* extracting into the same name again reuses the variable */
	r = one(P "byte_extract:1,0,n; byte_extract:1,4,n,relative; sid:1;)");
	CU_ASSERT_EQUAL(r->nvars, 1);
	CU_ASSERT_EQUAL(opt(r, 1)->u.byte.result, 0);
}

static void test_isdataat(void)
{
	const struct rule *r;

	r = one(P "isdataat:10; isdataat:!1,relative; isdataat: 5 , relative , rawbytes; "
		"byte_extract:1,0,x; isdataat:x,relative; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->u.isdataat.n.value, 10);
	CU_ASSERT_FALSE(opt(r, 0)->u.isdataat.negated || opt(r, 0)->u.isdataat.relative);
	CU_ASSERT_TRUE(opt(r, 1)->u.isdataat.negated && opt(r, 1)->u.isdataat.relative);
	CU_ASSERT_EQUAL(opt(r, 1)->u.isdataat.n.value, 1);
	CU_ASSERT_TRUE(opt(r, 2)->u.isdataat.rawbytes && opt(r, 2)->u.isdataat.relative);
	CU_ASSERT_EQUAL(opt(r, 4)->u.isdataat.n.var, 0);
}

/* ---- header and flow keywords --------------------------------------------------- */

static void cmp_is(const struct rule_opt *o, int type, int op, uint64_t lo, uint64_t hi)
{
	CU_ASSERT_EQUAL(o->type, type);
	CU_ASSERT_EQUAL(o->u.cmp.op, op);
	CU_ASSERT_EQUAL(o->u.cmp.lo, lo);
	CU_ASSERT_EQUAL(o->u.cmp.hi, hi);
}

static void test_dsize_and_cmp(void)
{
	const struct rule *r;

	r = one(P "dsize:300; dsize:<10; dsize:>0; dsize:1<>9; dsize:!5; dsize:<=4; dsize:>=2; "
		"dsize:3-7; dsize:!3-7; dsize:=0x10; dsize:!=7; bufferlen:1<=>5; "
		"bsize:&0xc0=0x80; bsize:&0xc0!=0x80; bsize:2kb; sid:1;)");
	cmp_is(opt(r, 0), RULE_OPT_DSIZE, RULE_CMP_EQ, 300, 0);
	cmp_is(opt(r, 1), RULE_OPT_DSIZE, RULE_CMP_LT, 10, 0);
	cmp_is(opt(r, 2), RULE_OPT_DSIZE, RULE_CMP_GT, 0, 0);
	cmp_is(opt(r, 3), RULE_OPT_DSIZE, RULE_CMP_RANGE, 1, 9);
	cmp_is(opt(r, 4), RULE_OPT_DSIZE, RULE_CMP_NE, 5, 0);
	cmp_is(opt(r, 5), RULE_OPT_DSIZE, RULE_CMP_LE, 4, 0);
	cmp_is(opt(r, 6), RULE_OPT_DSIZE, RULE_CMP_GE, 2, 0);
	cmp_is(opt(r, 7), RULE_OPT_DSIZE, RULE_CMP_RANGE, 3, 7);
	cmp_is(opt(r, 8), RULE_OPT_DSIZE, RULE_CMP_NOT_RANGE, 3, 7);
	cmp_is(opt(r, 9), RULE_OPT_DSIZE, RULE_CMP_EQ, 16, 0);
	cmp_is(opt(r, 10), RULE_OPT_DSIZE, RULE_CMP_NE, 7, 0);
	cmp_is(opt(r, 11), RULE_OPT_BSIZE, RULE_CMP_RANGE_INCL, 1, 5);
	cmp_is(opt(r, 12), RULE_OPT_BSIZE, RULE_CMP_MASK_EQ, 0xc0, 0x80);
	cmp_is(opt(r, 13), RULE_OPT_BSIZE, RULE_CMP_MASK_NE, 0xc0, 0x80);
	cmp_is(opt(r, 14), RULE_OPT_BSIZE, RULE_CMP_EQ, 2048, 0);

	/* the evaluator the engine will use */
	CU_ASSERT_TRUE(rule_cmp_eval(&opt(r, 3)->u.cmp, 5));
	CU_ASSERT_FALSE(rule_cmp_eval(&opt(r, 3)->u.cmp, 1));
	CU_ASSERT_FALSE(rule_cmp_eval(&opt(r, 3)->u.cmp, 9));
	CU_ASSERT_TRUE(rule_cmp_eval(&opt(r, 8)->u.cmp, 3));
	CU_ASSERT_FALSE(rule_cmp_eval(&opt(r, 8)->u.cmp, 4));
	CU_ASSERT_TRUE(rule_cmp_eval(&opt(r, 11)->u.cmp, 5));
	CU_ASSERT_TRUE(rule_cmp_eval(&opt(r, 12)->u.cmp, 0x8f));
	CU_ASSERT_FALSE(rule_cmp_eval(&opt(r, 12)->u.cmp, 0xcf));

	r = one(P "ttl:<5; ttl:64; tos:!8; id:31337; seq:0; ack:>100; window:!1024; "
		"itype:8; icode:>0; itype:3<>6; icmp_id:0; icmp_seq:1-5; fragoffset:>0; sid:1;)");
	cmp_is(opt(r, 0), RULE_OPT_TTL, RULE_CMP_LT, 5, 0);
	cmp_is(opt(r, 1), RULE_OPT_TTL, RULE_CMP_EQ, 64, 0);
	cmp_is(opt(r, 2), RULE_OPT_TOS, RULE_CMP_NE, 8, 0);
	cmp_is(opt(r, 3), RULE_OPT_IP_ID, RULE_CMP_EQ, 31337, 0);
	cmp_is(opt(r, 4), RULE_OPT_TCP_SEQ, RULE_CMP_EQ, 0, 0);
	cmp_is(opt(r, 5), RULE_OPT_TCP_ACK, RULE_CMP_GT, 100, 0);
	cmp_is(opt(r, 6), RULE_OPT_TCP_WINDOW, RULE_CMP_NE, 1024, 0);
	cmp_is(opt(r, 7), RULE_OPT_ITYPE, RULE_CMP_EQ, 8, 0);
	cmp_is(opt(r, 8), RULE_OPT_ICODE, RULE_CMP_GT, 0, 0);
	cmp_is(opt(r, 9), RULE_OPT_ITYPE, RULE_CMP_RANGE, 3, 6);
	cmp_is(opt(r, 10), RULE_OPT_ICMP_ID, RULE_CMP_EQ, 0, 0);
	cmp_is(opt(r, 11), RULE_OPT_ICMP_SEQ, RULE_CMP_RANGE, 1, 5);
	cmp_is(opt(r, 12), RULE_OPT_FRAGOFFSET, RULE_CMP_GT, 0, 0);

	r = one(P "ip_proto:6; ip_proto:!udp; ip_proto:>50; ip_proto:GRE; sameip; ipopts:lsrr; "
		"stream_size:server,<,6; stream_size:either,>=,100; sid:1;)");
	cmp_is(opt(r, 0), RULE_OPT_IP_PROTO, RULE_CMP_EQ, 6, 0);
	cmp_is(opt(r, 1), RULE_OPT_IP_PROTO, RULE_CMP_NE, 17, 0);
	cmp_is(opt(r, 2), RULE_OPT_IP_PROTO, RULE_CMP_GT, 50, 0);
	cmp_is(opt(r, 3), RULE_OPT_IP_PROTO, RULE_CMP_EQ, 47, 0);
	CU_ASSERT_EQUAL(opt(r, 4)->type, RULE_OPT_SAMEIP);
	CU_ASSERT_EQUAL(opt(r, 5)->type, RULE_OPT_IPOPTS);
	CU_ASSERT_EQUAL(opt(r, 5)->u.ipopt, RULE_IPOPT_LSRR);
	CU_ASSERT_EQUAL(opt(r, 6)->u.stream_size.side, RULE_STREAM_SERVER);
	CU_ASSERT_EQUAL(opt(r, 6)->u.stream_size.cmp.op, RULE_CMP_LT);
	CU_ASSERT_EQUAL(opt(r, 6)->u.stream_size.cmp.lo, 6);
	CU_ASSERT_EQUAL(opt(r, 7)->u.stream_size.side, RULE_STREAM_EITHER);
	CU_ASSERT_EQUAL(opt(r, 7)->u.stream_size.cmp.op, RULE_CMP_GE);
}

static void test_flags(void)
{
	const struct rule *r;

	r = one(P "flags:S; flags:SA,12; flags:!R; flags:U+; flags:*FP; flags:0; flags:A,CE; "
		"tcp.flags:+SU; flags: S,12; fragbits:M; fragbits:!D; fragbits:DMR+; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_FLAGS);
	CU_ASSERT_EQUAL(opt(r, 0)->u.flags.bits, TCP_SYN);
	CU_ASSERT_EQUAL(opt(r, 0)->u.flags.mode, RULE_FLAGS_EXACT);
	CU_ASSERT_EQUAL(opt(r, 0)->u.flags.ignore, 0);
	CU_ASSERT_EQUAL(opt(r, 1)->u.flags.bits, TCP_SYN | TCP_ACK);
	CU_ASSERT_EQUAL(opt(r, 1)->u.flags.ignore, TCP_CWR | TCP_ECE);
	CU_ASSERT_EQUAL(opt(r, 2)->u.flags.bits, TCP_RST);
	CU_ASSERT_EQUAL(opt(r, 2)->u.flags.mode, RULE_FLAGS_NOT);
	CU_ASSERT_EQUAL(opt(r, 3)->u.flags.bits, TCP_URG);
	CU_ASSERT_EQUAL(opt(r, 3)->u.flags.mode, RULE_FLAGS_ALL);
	CU_ASSERT_EQUAL(opt(r, 4)->u.flags.bits, TCP_FIN | TCP_PSH);
	CU_ASSERT_EQUAL(opt(r, 4)->u.flags.mode, RULE_FLAGS_ANY);
	CU_ASSERT_EQUAL(opt(r, 5)->u.flags.bits, 0);
	CU_ASSERT_EQUAL(opt(r, 6)->u.flags.ignore, TCP_CWR | TCP_ECE);
	CU_ASSERT_EQUAL(opt(r, 7)->u.flags.bits, TCP_SYN | TCP_URG);
	CU_ASSERT_EQUAL(opt(r, 7)->u.flags.mode, RULE_FLAGS_ALL);
	CU_ASSERT_EQUAL(opt(r, 8)->u.flags.ignore, TCP_CWR | TCP_ECE);
	CU_ASSERT_EQUAL(opt(r, 9)->type, RULE_OPT_FRAGBITS);
	CU_ASSERT_EQUAL(opt(r, 9)->u.flags.bits, 0x1);
	CU_ASSERT_EQUAL(opt(r, 10)->u.flags.bits, 0x2);
	CU_ASSERT_EQUAL(opt(r, 10)->u.flags.mode, RULE_FLAGS_NOT);
	CU_ASSERT_EQUAL(opt(r, 11)->u.flags.bits, 0x7);
	CU_ASSERT_EQUAL(opt(r, 11)->u.flags.mode, RULE_FLAGS_ALL);
}

static void test_flow(void)
{
	const struct rule *r;

	r = one(P "flow:established,to_server; sid:1;)");
	CU_ASSERT_EQUAL(r->flow, RULE_FLOW_ESTABLISHED | RULE_FLOW_TO_SERVER);
	r = one(P "flow: from_server , not_established, no_stream; sid:1;)");
	CU_ASSERT_EQUAL(r->flow, RULE_FLOW_TO_CLIENT | RULE_FLOW_NOT_ESTABLISHED |
			RULE_FLOW_NO_STREAM);
	r = one(P "flow:to_client,stateless,only_stream; sid:1;)");
	CU_ASSERT_EQUAL(r->flow, RULE_FLOW_TO_CLIENT | RULE_FLOW_STATELESS |
			RULE_FLOW_ONLY_STREAM);
	r = one(P "flow:from_client,only_frag; sid:1;)");
	CU_ASSERT_EQUAL(r->flow, RULE_FLOW_TO_SERVER | RULE_FLOW_ONLY_FRAG);
	r = one(P "sid:1;)");
	CU_ASSERT_EQUAL(r->flow, 0);
}

static void test_flowbits(void)
{
	struct ruleset *rs = new_rs();
	const struct rule *r;
	const struct rule_bits *b;

	ruleset_load_string(rs,
		P "flowbits:set,ET.a; flowbits:isnotset,ET.b; flowbits:noalert; sid:1;)\n"
		P "flowbits:isset,ET.a&ET.b; flowbits:isset, ET.c | ET.a ; flowbits:unset,ET.b; "
		"flowbits:toggle,x; sid:2;)\n"
		P "xbits:set,ET.ip,track ip_src,expire 3600; xbits:isset,ET.p,track ip_pair; sid:3;)\n"
		P "flowint:cnt,+,1; flowint:cnt,>=,5; flowint:other,isset; flowint:a,=,cnt; sid:4;)\n",
		"t.rules");
	dump_errors(rs);
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 4);
	r = ruleset_rule(rs, 0);
	CU_ASSERT_TRUE(r->flags & RULE_NOALERT);
	CU_ASSERT_EQUAL(r->nopts, 2);
	b = &opt(r, 0)->u.bits;
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_FLOWBITS);
	CU_ASSERT_EQUAL(b->cmd, RULE_BITS_SET);
	CU_ASSERT_EQUAL(b->n, 1);
	CU_ASSERT_EQUAL(b->ids[0], 0);
	CU_ASSERT_STRING_EQUAL(b->names[0], "ET.a");
	CU_ASSERT_EQUAL(b->track, RULE_TRACK_FLOW);
	b = &opt(r, 1)->u.bits;
	CU_ASSERT_EQUAL(b->cmd, RULE_BITS_ISNOTSET);
	CU_ASSERT_EQUAL(b->ids[0], 1);

	r = ruleset_rule(rs, 1);
	CU_ASSERT_FALSE(r->flags & RULE_NOALERT);
	b = &opt(r, 0)->u.bits;
	CU_ASSERT_EQUAL(b->cmd, RULE_BITS_ISSET);
	CU_ASSERT_FALSE(b->any);
	CU_ASSERT_EQUAL_FATAL(b->n, 2);
	CU_ASSERT_EQUAL(b->ids[0], 0);  /* interned: same ids as in rule 1 */
	CU_ASSERT_EQUAL(b->ids[1], 1);
	b = &opt(r, 1)->u.bits;
	CU_ASSERT_TRUE(b->any);
	CU_ASSERT_EQUAL_FATAL(b->n, 2);
	CU_ASSERT_STRING_EQUAL(b->names[0], "ET.c");
	CU_ASSERT_EQUAL(b->ids[0], 2);
	CU_ASSERT_EQUAL(b->ids[1], 0);
	CU_ASSERT_EQUAL(opt(r, 2)->u.bits.cmd, RULE_BITS_UNSET);
	CU_ASSERT_EQUAL(opt(r, 3)->u.bits.cmd, RULE_BITS_TOGGLE);

	r = ruleset_rule(rs, 2);
	b = &opt(r, 0)->u.bits;
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_XBITS);
	CU_ASSERT_EQUAL(b->track, RULE_TRACK_IP_SRC);
	CU_ASSERT_EQUAL(b->expire, 3600);
	CU_ASSERT_EQUAL(opt(r, 1)->u.bits.track, RULE_TRACK_IP_PAIR);
	CU_ASSERT_EQUAL(opt(r, 1)->u.bits.expire, 0);

	r = ruleset_rule(rs, 3);
	CU_ASSERT_EQUAL(opt(r, 0)->type, RULE_OPT_FLOWINT);
	CU_ASSERT_STRING_EQUAL(opt(r, 0)->u.flowint.name, "cnt");
	CU_ASSERT_EQUAL(opt(r, 0)->u.flowint.op, RULE_FLOWINT_ADD);
	CU_ASSERT_EQUAL(opt(r, 0)->u.flowint.value, 1);
	CU_ASSERT_EQUAL(opt(r, 1)->u.flowint.op, RULE_FLOWINT_GE);
	CU_ASSERT_EQUAL(opt(r, 2)->u.flowint.op, RULE_FLOWINT_ISSET);
	CU_ASSERT_EQUAL(opt(r, 3)->u.flowint.op, RULE_FLOWINT_SET);
	CU_ASSERT_STRING_EQUAL(opt(r, 3)->u.flowint.var, "cnt");

	CU_ASSERT_EQUAL(ruleset_bit_count(rs), 6);
	CU_ASSERT_STRING_EQUAL(ruleset_bit_name(rs, 2), "ET.c");
	CU_ASSERT_STRING_EQUAL(ruleset_bit_name(rs, 3), "x");
	CU_ASSERT_PTR_NULL(ruleset_bit_name(rs, 6));

	/* a reload's ruleset keeps the ids: flows outlive rulesets */
	{
		struct ruleset *next = new_rs();

		CU_ASSERT_EQUAL(ruleset_inherit_bits(next, rs), 0);
		ruleset_load_string(next, P "flowbits:isset,x; flowbits:set,new; sid:9;)\n",
				    "n.rules");
		CU_ASSERT_EQUAL_FATAL(ruleset_count(next), 1);
		r = ruleset_rule(next, 0);
		CU_ASSERT_EQUAL(opt(r, 0)->u.bits.ids[0], 3);
		CU_ASSERT_EQUAL(opt(r, 1)->u.bits.ids[0], 6);
		CU_ASSERT_EQUAL(ruleset_bit_count(next), 7);
		/* only into an empty registry */
		CU_ASSERT_EQUAL(ruleset_inherit_bits(next, rs), -EINVAL);
		ruleset_free(next);
	}
	ruleset_free(rs);
}

static void test_threshold(void)
{
	const struct rule *r;

	r = one(P "threshold: type limit, track by_src, seconds 60, count 1; "
		"detection_filter:track by_dst, count 10, seconds 5, unique_on dst_port; sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.type, RULE_THRESH_LIMIT);
	CU_ASSERT_EQUAL(r->threshold.track, RULE_TRACK_BY_SRC);
	CU_ASSERT_EQUAL(r->threshold.count, 1);
	CU_ASSERT_EQUAL(r->threshold.seconds, 60);
	CU_ASSERT_EQUAL(r->detection_filter.type, RULE_THRESH_DETECTION_FILTER);
	CU_ASSERT_EQUAL(r->detection_filter.track, RULE_TRACK_BY_DST);
	CU_ASSERT_EQUAL(r->detection_filter.count, 10);
	CU_ASSERT_EQUAL(r->detection_filter.seconds, 5);
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 2);
	CU_ASSERT_EQUAL(r->nopts, 0);

	r = one(P "threshold:type threshold,track by_rule,count 5,seconds 2; sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.type, RULE_THRESH_THRESHOLD);
	CU_ASSERT_EQUAL(r->threshold.track, RULE_TRACK_BY_RULE);
	CU_ASSERT_EQUAL(r->detection_filter.type, RULE_THRESH_NONE);
	r = one(P "threshold:type both,track by_both,count 2,seconds 9; sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.type, RULE_THRESH_BOTH);
	CU_ASSERT_EQUAL(r->threshold.track, RULE_TRACK_BY_BOTH);
	r = one(P "threshold:type backoff, track by_flow, count 1, multiplier 2; sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.type, RULE_THRESH_BACKOFF);
	CU_ASSERT_EQUAL(r->threshold.track, RULE_TRACK_BY_FLOW);
	CU_ASSERT_EQUAL(r->threshold.multiplier, 2);
	CU_ASSERT_EQUAL(r->threshold.count, 1);
	CU_ASSERT_EQUAL(r->threshold.seconds, 0);
	r = one(P "sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.type, RULE_THRESH_NONE);
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 0);

	/* by_flow for every type; unique_on on every ported protocol */
	r = one(P "detection_filter:track by_flow, count 3, seconds 7; sid:1;)");
	CU_ASSERT_EQUAL(r->detection_filter.track, RULE_TRACK_BY_FLOW);
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 0);
	r = one(P "threshold:type limit, track by_flow, count 1, seconds 3600; sid:1;)");
	CU_ASSERT_EQUAL(r->threshold.track, RULE_TRACK_BY_FLOW);
	CU_ASSERT_EQUAL(r->threshold.seconds, 3600);
	r = one("alert udp any any -> any any (detection_filter:track by_src, count 2, "
		"seconds 60, unique_on src_port; sid:1;)");
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 1);
	CU_ASSERT_EQUAL(r->detection_filter.track, RULE_TRACK_BY_SRC);
	r = one("alert sctp any any -> any any (detection_filter:track by_dst, count 2, "
		"seconds 60, unique_on dst_port; sid:1;)");
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 2);
	r = one("alert http any any -> any any (detection_filter:track by_dst, count 2, "
		"seconds 60, unique_on dst_port; sid:1;)");
	CU_ASSERT_EQUAL(r->detection_filter.unique_on, 2);
}

static const struct test_case option_cases[] = {
	{ "meta keywords", test_meta },
	{ "metadata", test_metadata },
	{ "tag and service", test_tag_and_service },
	{ "content and modifiers", test_content },
	{ "content with variables", test_content_vars },
	{ "snort 3 content", test_snort3_content },
	{ "buffers", test_buffers },
	{ "tls and app-layer-protocol keywords", test_app_keywords },
	{ "pcre", test_pcre },
	{ "byte_test", test_byte_test },
	{ "byte_jump and byte_extract", test_byte_jump_extract },
	{ "isdataat", test_isdataat },
	{ "dsize and comparisons", test_dsize_and_cmp },
	{ "flags and fragbits", test_flags },
	{ "flow", test_flow },
	{ "flowbits, xbits, flowint", test_flowbits },
	{ "threshold and detection_filter", test_threshold },
	{ NULL, NULL }
};

/* ---- errors --------------------------------------------------------------------- */

/* Each rule and the one error it must produce, column included. */
static const struct {
	const char *rule;
	const char *error;
} error_cases[] = {
	{ "alert tcp any any -> any any (nocase; sid:1;)",
	  "t.rules:1:31: nocase: needs a preceding content" },
	{ "alert tls any any -> any any (tls.version:1.4; sid:1;)",
	  "t.rules:1:43: tls.version: expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH, got '1.4'" },
	{ "alert tls any any -> any any (tls.version:0x12; sid:1;)",
	  "t.rules:1:43: tls.version: expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH, got '0x12'" },
	{ "alert tls any any -> any any (ssl_version:tls1.2,tls2; sid:1;)",
	  "t.rules:1:50: ssl_version: unknown version 'tls2' (sslv2, sslv3, tls1.0, tls1.1, tls1.2, tls1.3)" },
	{ "alert tls any any -> any any (ssl_version:tls1.2,!tls1.2; sid:1;)",
	  "t.rules:1:51: ssl_version: 'tls1.2' named twice" },
	{ "alert tls any any -> any any (ssl_state:client_hello|serverhello; sid:1;)",
	  "t.rules:1:54: ssl_state: unknown state 'serverhello' (client_hello, server_hello, client_keyx, server_keyx, unknown)" },
	{ "alert tcp any any -> any any (app-layer-protocol:htp; sid:1;)",
	  "t.rules:1:50: app-layer-protocol: unknown protocol 'htp'" },
	{ "alert tcp any any -> any any (app-layer-protocol:!unknown; sid:1;)",
	  "t.rules:1:51: app-layer-protocol: unknown cannot be negated" },
	{ "alert tcp any any -> any any (app-layer-protocol:http,to_server,final; sid:1;)",
	  "t.rules:1:65: app-layer-protocol: more than one mode" },
	{ "alert tcp any any -> any any (app-layer-protocol:http,last; sid:1;)",
	  "t.rules:1:55: app-layer-protocol: unknown qualifier 'last' (direction, to_server, to_client, either, final, original, exact)" },
	{ "alert tcp any any -> any any (content:\"a\"; depth:0; sid:1;)",
	  "t.rules:1:50: depth: depth must be greater than 0" },
	{ "alert tcp any any -> any any (content:\"a\"; offset:-1; sid:1;)",
	  "t.rules:1:51: offset: offset must not be negative" },
	{ "alert tcp any any -> any any (content:\"abc\"; within:2; sid:1;)",
	  "t.rules:1:53: within: within 2 is smaller than the content length 3" },
	{ "alert tcp any any -> any any (content:\"abc\"; depth:2; sid:1;)",
	  "t.rules:1:52: depth: depth 2 is smaller than the content length 3" },
	{ "alert tcp any any -> any any (content:\"a\"; nocase; nocase; sid:1;)",
	  "t.rules:1:52: nocase: nocase given twice for the same content" },
	{ "alert tcp any any -> any any (content:\"a\"; startswith; depth:1; sid:1;)",
	  "t.rules:1:56: depth: cannot be combined with startswith" },
	{ "alert tcp any any -> any any (content:\"a\"; depth:5; startswith; sid:1;)",
	  "t.rules:1:53: startswith: cannot be combined with depth, offset, distance or within" },
	{ "alert tcp any any -> any any (content:\"a\"; depth:5; distance:0; sid:1;)",
	  "t.rules:1:53: distance: cannot mix relative (distance, within) and absolute (offset, depth) modifiers" },
	{ "alert tcp any any -> any any (content:\"a\"; fast_pattern; content:\"b\"; fast_pattern; sid:1;)",
	  "t.rules:1:71: fast_pattern: only one content per rule may be the fast_pattern" },
	{ "alert tcp any any -> any any (content:\"abc\"; fast_pattern:2,5; sid:1;)",
	  "t.rules:1:59: fast_pattern: 2,5 reaches past the content (length 3)" },
	{ "alert tcp any any -> any any (content:\"abc\"; fast_pattern:sometimes; sid:1;)",
	  "t.rules:1:59: fast_pattern: expected 'only' or OFFSET,LENGTH" },
	{ "alert tcp any any -> any any (content:\"a\"; distance:x; sid:1;)",
	  "t.rules:1:53: distance: unknown variable 'x' (not set by an earlier byte_extract)" },
	{ "alert tcp any any -> any any (content:\"a|4g|\"; sid:1;)",
	  "t.rules:1:43: content: invalid hex digit 'g'" },
	{ "alert tcp any any -> any any (content:\"a|41 4|\"; sid:1;)",
	  "t.rules:1:46: content: odd number of hex digits" },
	{ "alert tcp any any -> any any (content:\"a|41\"; sid:1;)",
	  "t.rules:1:41: content: unterminated |hex| block" },
	{ "alert tcp any any -> any any (content:\"a\\x\"; sid:1;)",
	  "t.rules:1:41: content: invalid escape '\\x' (only \\\" \\; \\\\ \\: are allowed)" },
	{ "alert tcp any any -> any any (content:\"abc; sid:1;)",
	  "t.rules:1:39: content: unterminated string" },
	{ "alert tcp any any -> any any (content:\"\"; sid:1;)",
	  "t.rules:1:39: content: empty content" },
	{ "alert tcp any any -> any any (content:abc; sid:1;)",
	  "t.rules:1:39: content: expected a quoted string" },
	{ "alert tcp any any -> any any (content:\"abcd\",depth 2; sid:1;)",
	  "t.rules:1:52: depth: depth 2 is smaller than the content length 4" },
	{ "alert tcp any any -> any any (content:\"a\",frob; sid:1;)",
	  "t.rules:1:43: content: unknown content modifier 'frob'" },
	{ "alert tcp any any -> any any (content:\"a\" x; sid:1;)",
	  "t.rules:1:43: content: unexpected text after the closing quote" },
	{ "alert tcp any any -> any any (dotprefix; content:\"a\"; sid:1;)",
	  "t.rules:1:31: dotprefix: a transform needs a sticky buffer before it" },
	{ "alert tcp any any -> any any (http_uri; content:\"a\"; sid:1;)",
	  "t.rules:1:31: http_uri: needs a preceding content" },
	{ "alert tcp any any -> any any (http.uri; content:\"a\"; http_header; sid:1;)",
	  "t.rules:1:54: http_header: the content is already in buffer http.uri" },
	{ "alert tcp any any -> any any (http.uri:x; sid:1;)",
	  "t.rules:1:40: http.uri: takes no value" },
	{ "alert tcp any any -> any any (nocase:1; sid:1;)",
	  "t.rules:1:38: nocase: takes no value" },
	{ "alert tcp any any -> any any (depth; sid:1;)",
	  "t.rules:1:31: depth: missing value" },
	{ "alert tcp any any -> any any (msg:; sid:1;)",
	  "t.rules:1:31: msg: missing value" },
	{ "alert tcp any any -> any any (msg:\"abc; sid:1;)",
	  "t.rules:1:35: msg: unterminated string" },
	{ "alert tcp any any -> any any (msg:\"a\"; msg:\"b\"; sid:1;)",
	  "t.rules:1:44: msg: msg given twice" },
	{ "alert tcp any any -> any any (foo:1; sid:1;)",
	  "t.rules:1:31: foo: unsupported keyword" },
	{ "alert tcp any any -> any any (msg:\"a\"; sid:1)",
	  "t.rules:1:40: sid: unterminated option (missing ';')" },
	{ "alert tcp any any -> any any (msg \"a\"; sid:1;)",
	  "t.rules:1:35: msg: expected ':' or ';' after the keyword" },
	{ "alert tcp any any -> any any (msg:\"a\"; sid:1;",
	  "t.rules:1:45: rule: missing ')' at the end of the rule" },
	{ "alert tcp any any -> any any (sid:0;)",
	  "t.rules:1:35: sid: 0 is out of range (1 to 4294967295)" },
	{ "alert tcp any any -> any any (sid:12x;)",
	  "t.rules:1:35: sid: '12x' is not a number" },
	{ "alert tcp any any -> any any (sid:1; sid:2;)",
	  "t.rules:1:42: sid: sid given twice" },
	{ "alert tcp any any -> any any (rev:-1; sid:1;)",
	  "t.rules:1:35: rev: -1 is out of range (0 to 4294967295)" },
	{ "alert tcp any any -> any any (msg:\"a\";)",
	  "t.rules:1:1: sid: missing sid" },
	{ "alert tcp any any -> any any (classtype:nope; sid:1;)",
	  "t.rules:1:41: classtype: unknown classtype 'nope'" },
	{ "alert tcp any any -> any any (classtype:a b; sid:1;)",
	  "t.rules:1:41: classtype: invalid classtype name 'a b'" },
	{ "alert tcp any any -> any any (priority:0; sid:1;)",
	  "t.rules:1:40: priority: 0 is out of range (1 to 255)" },
	{ "alert tcp any any -> any any (reference:cve; sid:1;)",
	  "t.rules:1:41: reference: expected TYPE,VALUE" },
	{ "alert tcp any any -> any any (target:middle; sid:1;)",
	  "t.rules:1:38: target: expected src_ip or dest_ip" },
	{ "alert tcp any any -> any any (pcre:\"/a/q\"; sid:1;)",
	  "t.rules:1:40: pcre: unknown pcre modifier 'q'" },
	{ "alert tcp any any -> any any (pcre:\"a/\"; sid:1;)",
	  "t.rules:1:37: pcre: the regex must start with '/'" },
	{ "alert tcp any any -> any any (pcre:\"/abc\"; sid:1;)",
	  "t.rules:1:37: pcre: the regex has no closing '/'" },
	{ "alert tcp any any -> any any (pcre:/abc/; sid:1;)",
	  "t.rules:1:36: pcre: expected a quoted \"/regex/flags\"" },
	{ "alert tcp any any -> any any (pcre:\"/a/UH\"; sid:1;)",
	  "t.rules:1:41: pcre: more than one buffer modifier" },
	{ "alert tcp any any -> any any (http.uri; pcre:\"/a/H\"; sid:1;)",
	  "t.rules:1:50: pcre: buffer modifier conflicts with sticky buffer http.uri" },
	{ "alert tcp any any -> any any (dsize:>; sid:1;)",
	  "t.rules:1:37: dsize: invalid value '>' (expected a number up to 65535)" },
	{ "alert tcp any any -> any any (dsize:70000; sid:1;)",
	  "t.rules:1:37: dsize: invalid value '70000' (expected a number up to 65535)" },
	{ "alert tcp any any -> any any (dsize:5<>3; sid:1;)",
	  "t.rules:1:37: dsize: range '5<>3' is empty" },
	{ "alert tcp any any -> any any (dsize:<0; sid:1;)",
	  "t.rules:1:37: dsize: '<0' can never match" },
	{ "alert tcp any any -> any any (ttl:1-x; sid:1;)",
	  "t.rules:1:35: ttl: invalid range '1-x'" },
	{ "alert tcp any any -> any any (bsize:&0xc0; sid:1;)",
	  "t.rules:1:37: bsize: expected &MASK=VALUE" },
	{ "alert tcp any any -> any any (flow:to_server,to_client; sid:1;)",
	  "t.rules:1:46: flow: 'to_client' contradicts an earlier flow option" },
	{ "alert tcp any any -> any any (flow:sideways; sid:1;)",
	  "t.rules:1:36: flow: unknown flow option 'sideways'" },
	{ "alert tcp any any -> any any (flow:established; flow:to_server; sid:1;)",
	  "t.rules:1:54: flow: flow given twice" },
	{ "alert tcp any any -> any any (flowbits:frob,x; sid:1;)",
	  "t.rules:1:40: flowbits: unknown command 'frob'" },
	{ "alert tcp any any -> any any (flowbits:set,a|b; sid:1;)",
	  "t.rules:1:44: flowbits: | is only allowed with isset and isnotset" },
	{ "alert tcp any any -> any any (flowbits:isset,a|b&c; sid:1;)",
	  "t.rules:1:46: flowbits: cannot mix & and | in one flowbits" },
	{ "alert tcp any any -> any any (flowbits:set; sid:1;)",
	  "t.rules:1:40: flowbits: expected COMMAND,NAME" },
	{ "alert tcp any any -> any any (flowbits:set,a&&b; sid:1;)",
	  "t.rules:1:46: flowbits: empty flowbit name" },
	{ "alert tcp any any -> any any (xbits:set,a; sid:1;)",
	  "t.rules:1:37: xbits: expected COMMAND,NAME,track TRACK[,expire SECONDS]" },
	{ "alert tcp any any -> any any (xbits:set,a,track ip_moon; sid:1;)",
	  "t.rules:1:49: xbits: expected ip_src, ip_dst, ip_pair or tx" },
	{ "alert tcp any any -> any any (flowint:a,+; sid:1;)",
	  "t.rules:1:41: flowint: '+' needs a value" },
	{ "alert tcp any any -> any any (flowint:a,~,1; sid:1;)",
	  "t.rules:1:41: flowint: unknown operator '~'" },
	{ "alert tcp any any -> any any (flags:SX; sid:1;)",
	  "t.rules:1:38: flags: unknown flag 'X'" },
	{ "alert tcp any any -> any any (flags:S,Q; sid:1;)",
	  "t.rules:1:39: flags: unknown flag 'Q' in the mask" },
	{ "alert tcp any any -> any any (flags:S!; sid:1;)",
	  "t.rules:1:38: flags: '!' must come first" },
	{ "alert tcp any any -> any any (flags:+S*; sid:1;)",
	  "t.rules:1:39: flags: more than one of + * !" },
	{ "alert tcp any any -> any any (fragbits:Q; sid:1;)",
	  "t.rules:1:40: fragbits: unknown fragment bit 'Q' (M, D or R)" },
	{ "alert tcp any any -> any any (byte_test:4,~,1,0; sid:1;)",
	  "t.rules:1:43: byte_test: unknown operator '~'" },
	{ "alert tcp any any -> any any (byte_test:4,=,1; sid:1;)",
	  "t.rules:1:41: byte_test: expected at least 4 arguments" },
	{ "alert tcp any any -> any any (byte_test:9,=,1,0; sid:1;)",
	  "t.rules:1:41: byte_test: 9 bytes: 1 to 8 unless string" },
	{ "alert tcp any any -> any any (byte_test:24,=,1,0,string; sid:1;)",
	  "t.rules:1:41: byte_test: 24 is out of range (0 to 23)" },
	{ "alert tcp any any -> any any (byte_test:4,=,1,0,string,bin; sid:1;)",
	  "t.rules:1:56: byte_test: unknown option 'bin'" },
	{ "alert tcp any any -> any any (byte_jump:4,0,wobble; sid:1;)",
	  "t.rules:1:45: byte_jump: unknown option 'wobble'" },
	{ "alert tcp any any -> any any (byte_jump:4,0,from_end,from_beginning; sid:1;)",
	  "t.rules:1:41: byte_jump: from_beginning and from_end exclude each other" },
	{ "alert tcp any any -> any any (byte_jump:4,0,multiplier 0; sid:1;)",
	  "t.rules:1:56: byte_jump: 0 is out of range (1 to 65535)" },
	{ "alert tcp any any -> any any (byte_extract:4,0,1abc; sid:1;)",
	  "t.rules:1:48: byte_extract: invalid variable name '1abc'" },
	{ "alert tcp any any -> any any (byte_extract:4,0,v,align 3; sid:1;)",
	  "t.rules:1:56: byte_extract: align must be 2 or 4" },
	{ "alert tcp any any -> any any (byte_extract:0,0,v,string; sid:1;)",
	  "t.rules:1:44: byte_extract: byte_extract needs at least 1 byte" },
	{ "alert tcp any any -> any any (byte_test:4,=,v,0; sid:1;)",
	  "t.rules:1:45: byte_test: unknown variable 'v' (not set by an earlier byte_extract)" },
	{ "alert tcp any any -> any any (isdataat:!x; sid:1;)",
	  "t.rules:1:41: isdataat: unknown variable 'x' (not set by an earlier byte_extract)" },
	{ "alert tcp any any -> any any (isdataat:1,backwards; sid:1;)",
	  "t.rules:1:42: isdataat: unknown option 'backwards'" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_src,count 1; sid:1;)",
	  "t.rules:1:41: threshold: missing seconds" },
	{ "alert tcp any any -> any any (threshold:type sometimes,track by_src,count 1,seconds 1; sid:1;)",
	  "t.rules:1:46: threshold: expected limit, threshold, both or backoff" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_moon,count 1,seconds 1; sid:1;)",
	  "t.rules:1:58: threshold: expected by_src, by_dst, by_rule, by_both or by_flow" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_src,count 0,seconds 1; sid:1;)",
	  "t.rules:1:71: threshold: 0 is out of range (1 to 4294967295)" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_src,count 1,seconds 1,burst 3; sid:1;)",
	  "t.rules:1:83: threshold: unknown option 'burst'" },
	{ "alert tcp any any -> any any (threshold:type backoff,track by_flow,count 1,seconds 5; sid:1;)",
	  "t.rules:1:41: threshold: backoff takes multiplier, not seconds" },
	{ "alert tcp any any -> any any (threshold:type backoff,track by_src,count 1,multiplier 10; sid:1;)",
	  "t.rules:1:41: threshold: backoff needs track by_flow" },
	{ "alert tcp any any -> any any (threshold:type backoff,track by_flow,count 1; sid:1;)",
	  "t.rules:1:41: threshold: missing multiplier" },
	{ "alert tcp any any -> any any (threshold:type backoff,track by_flow,count 1,multiplier 1; sid:1;)",
	  "t.rules:1:87: threshold: 1 is out of range (2 to 4294967295)" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_flow,count 1,seconds 1,multiplier 2; sid:1;)",
	  "t.rules:1:41: threshold: multiplier is for type backoff only" },
	{ "alert tcp any any -> any any (threshold:type limit,track by_src,count 1,seconds 1,unique_on dst_port; sid:1;)",
	  "t.rules:1:83: threshold: unknown option 'unique_on'" },
	{ "alert tcp any any -> any any (detection_filter:track by_src,count 1,seconds 1,unique_on dport; sid:1;)",
	  "t.rules:1:89: detection_filter: expected src_port or dst_port" },
	{ "alert ip any any -> any any (detection_filter:track by_src,count 1,seconds 1,unique_on dst_port; sid:1;)",
	  "t.rules:1:47: detection_filter: unique_on needs a tcp, udp or sctp rule" },
	{ "alert icmp any any -> any any (detection_filter:track by_dst,count 1,seconds 1,unique_on src_port; sid:1;)",
	  "t.rules:1:49: detection_filter: unique_on needs a tcp, udp or sctp rule" },
	{ "alert dns any any -> any any (detection_filter:track by_src,count 5; sid:1;)",
	  "t.rules:1:48: detection_filter: missing seconds" },
	{ "alert tcp any any -> any any (detection_filter:track by_src,count 5; sid:1;)",
	  "t.rules:1:48: detection_filter: missing seconds" },
	{ "alert tcp any any -> any any (detection_filter:type limit,track by_src,count 5,seconds 1; sid:1;)",
	  "t.rules:1:48: detection_filter: unknown option 'type'" },
	{ "alert tcp any any -> any any (stream_size:middle,<,5; sid:1;)",
	  "t.rules:1:43: stream_size: expected server, client, both or either" },
	{ "alert tcp any any -> any any (stream_size:server,<>,5; sid:1;)",
	  "t.rules:1:50: stream_size: unknown operator '<>'" },
	{ "alert tcp any any -> any any (ipopts:xyz; sid:1;)",
	  "t.rules:1:38: ipopts: unknown IP option 'xyz'" },
	{ "alert tcp any any -> any any (ip_proto:foo; sid:1;)",
	  "t.rules:1:40: ip_proto: unknown protocol 'foo'" },
	{ "alert tcp any any -> any any (ip_proto:256; sid:1;)",
	  "t.rules:1:40: ip_proto: invalid value '256' (expected a number up to 255)" },
	{ "alert tcp any any -> any any (base64_decode:bytes 0; sid:1;)",
	  "t.rules:1:51: base64_decode: 0 is out of range (1 to 4294967295)" },
	{ "alert tcp any any -> any any (metadata:; sid:1;)",
	  "t.rules:1:31: metadata: missing value" },
	{ "alert tcp any any -> any any (; sid:1;)",
	  "t.rules:1:31: rule: expected a keyword, found ';'" },
	{ "alertx tcp any any -> any any (sid:1;)",
	  "t.rules:1:1: action: unknown action 'alertx'" },
	{ "alert foo any any -> any any (sid:1;)",
	  "t.rules:1:7: protocol: unknown protocol 'foo'" },
	{ "alert (sid:1;)",
	  "t.rules:1:7: protocol: missing protocol" },
	{ "alert tcp any any => any any (sid:1;)",
	  "t.rules:1:19: direction: expected -> or <>, not '=>'" },
	{ "alert tcp any any -> any (sid:1;)",
	  "t.rules:1:26: dst_port: missing dst_port" },
	{ "alert tcp any any -> any any msg:\"a\"; sid:1;",
	  "t.rules:1:30: rule: unexpected 'msg:\"a\";' after the header" },
	{ "alert tcp any any -> any any",
	  "t.rules:1:29: rule: expected '(' after the header" },
	{ "alert tcp $NOPE any -> any any (sid:1;)",
	  "t.rules:1:11: src_addr: undefined variable $NOPE" },
	{ "alert tcp any any -> [10.0.0.0/8,$NOPE] any (sid:1;)",
	  "t.rules:1:34: dst_addr: undefined variable $NOPE" },
	{ "alert tcp $BAD_NET any -> any any (sid:1;)",
	  "t.rules:1:11: src_addr: in variable $BAD_NET: invalid address '1.2.3'" },
	{ "alert tcp $LOOP_NET any -> any any (sid:1;)",
	  "t.rules:1:11: src_addr: in variable $LOOP_NET: nested too deeply (a variable that refers to itself?)" },
	{ "alert tcp any $HOME_NET -> any any (sid:1;)",
	  "t.rules:1:15: src_port: $HOME_NET is an address variable" },
	{ "alert tcp any 70000 -> any any (sid:1;)",
	  "t.rules:1:15: src_port: invalid port '70000'" },
	{ "alert tcp any any -> any [80,!80] (sid:1;)",
	  "t.rules:1:26: dst_port: port set matches nothing" },
	{ "alert tcp 1.2.3.4/33 any -> any any (sid:1;)",
	  "t.rules:1:19: src_addr: invalid netmask '33'" },
	{ "alert tcp !any any -> any any (sid:1;)",
	  "t.rules:1:11: src_addr: address set matches nothing" },
	{ "alert tcp [1.2.3.4 any -> any any (sid:1;)",
	  "t.rules:1:19: src_addr: missing ']'" },
	{ "alert tcp any any -> 2001:db8::/129 any (sid:1;)",
	  "t.rules:1:33: dst_addr: invalid IPv6 prefix length '129'" },
};

static void test_error_table(void)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		expect_error(error_cases[i].rule, error_cases[i].error);
}

static void test_error_fields(void)
{
	struct ruleset *rs = new_rs();
	const struct rule_error *e;

	ruleset_load_string(rs, "\n\n" P "msg:\"x\"; content:\"a\"; depth:0; sid:77;)\n", "f.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 1);
	e = ruleset_error(rs, 0);
	CU_ASSERT_STRING_EQUAL(e->file, "f.rules");
	CU_ASSERT_EQUAL(e->line, 3);
	CU_ASSERT_EQUAL(e->col, 59);
	CU_ASSERT_STRING_EQUAL(e->keyword, "depth");
	CU_ASSERT_STRING_EQUAL(e->reason, "depth must be greater than 0");
	CU_ASSERT_STRING_EQUAL(e->message, "f.rules:3:59: depth: depth must be greater than 0");
	CU_ASSERT_EQUAL(e->sid, 77);
	CU_ASSERT_EQUAL(ruleset_failed(rs), 1);
	CU_ASSERT_EQUAL(ruleset_failed_unsupported(rs), 0);
	CU_ASSERT_EQUAL(ruleset_count(rs), 0);
	CU_ASSERT_PTR_NULL(ruleset_error(rs, 1));
	CU_ASSERT_PTR_NULL(ruleset_rule(rs, 0));
	ruleset_free(rs);
}

static void test_unsupported(void)
{
	struct ruleset *rs = new_rs();
	const char *name;
	size_t n;

	ruleset_load_string(rs,
		P "frob:1; sid:1;)\n"
		P "frob; wibble:2; frob; sid:2;)\n"
		P "wibble; content:\"a\"; depth:0; sid:3;)\n"
		P "sid:4;)\n", "u.rules");
	CU_ASSERT_EQUAL(ruleset_count(rs), 1);
	CU_ASSERT_EQUAL(ruleset_failed(rs), 3);
	/* rule 3 also has a real error, so it does not count as unsupported only */
	CU_ASSERT_EQUAL(ruleset_failed_unsupported(rs), 2);
	/* one error per rule, plus the hard error that followed an unsupported one */
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 4);
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 0)->message, "u.rules:1:31: frob: unsupported keyword");
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 1)->message, "u.rules:2:31: frob: unsupported keyword");
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 2)->message, "u.rules:3:31: wibble: unsupported keyword");
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 3)->message,
			       "u.rules:3:58: depth: depth must be greater than 0");
	/* histogram: rules per keyword, most used first */
	CU_ASSERT_EQUAL_FATAL(ruleset_unsupported_count(rs), 2);
	CU_ASSERT_EQUAL(ruleset_unsupported(rs, 0, &name, &n), 0);
	CU_ASSERT_STRING_EQUAL(name, "frob");
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ruleset_unsupported(rs, 1, &name, &n), 0);
	CU_ASSERT_STRING_EQUAL(name, "wibble");
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(ruleset_unsupported(rs, 2, &name, &n), -ENOENT);
	/* a later load adds to it and re-sorts */
	ruleset_load_string(rs, P "wibble; sid:9;)\n", "v.rules");
	CU_ASSERT_EQUAL(ruleset_unsupported(rs, 0, &name, &n), 0);
	CU_ASSERT_STRING_EQUAL(name, "wibble");
	CU_ASSERT_EQUAL(n, 3);
	ruleset_free(rs);
}

static void test_duplicate_sid(void)
{
	struct ruleset *rs = new_rs();

	ruleset_load_string(rs,
		P "msg:\"first\"; sid:1000;)\n"
		P "msg:\"other gid\"; gid:3; sid:1000;)\n"
		"\n"
		P "msg:\"again\"; sid:1000; rev:2;)\n", "a.rules");
	ruleset_load_string(rs, P "msg:\"elsewhere\"; sid:1000;)\n", "b.rules");
	CU_ASSERT_EQUAL(ruleset_count(rs), 2);
	CU_ASSERT_EQUAL(ruleset_failed(rs), 2);
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 2);
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 0)->message,
			       "a.rules:4:48: sid: duplicate sid 1:1000 (first defined at a.rules:1)");
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 1)->message,
			       "b.rules:1:52: sid: duplicate sid 1:1000 (first defined at a.rules:1)");
	CU_ASSERT_STRING_EQUAL(ruleset_rule(rs, 0)->msg, "first");
	CU_ASSERT_EQUAL(ruleset_rule(rs, 1)->gid, 3);
	ruleset_free(rs);
}

static const struct test_case error_cases_list[] = {
	{ "every error with its column", test_error_table },
	{ "error fields", test_error_fields },
	{ "unsupported keywords", test_unsupported },
	{ "duplicate sid", test_duplicate_sid },
	{ NULL, NULL }
};

/* ---- files and lines --------------------------------------------------------- */

static void test_lines(void)
{
	struct ruleset *rs = new_rs();
	const struct rule *r;
	static const char text[] =
		"# a comment\n"
		"\n"
		"   \t\n"
		"alert tcp any any -> any any (msg:\"multi\"; \\\n"
		"    content:\"abc\"; \\\n"
		"    depth:3; sid:1;)\n"
		"# alert tcp any any -> any any (msg:\"off\"; sid:2;)\n"
		"#alert http any any -> any any (msg:\"off\"; sid:3;)\n"
		"## drop udp any any -> any any (msg:\"off\"; sid:4;)\n"
		"# alerting is fun (not a rule)\n"
		"#alert\n"
		"alert tcp any any -> any any (msg:\"crlf\"; sid:5;)\r\n"
		"  alert tcp any any -> any any (msg:\"indented\"; sid:6;)  \n"
		"alert tcp any any -> any any (msg:\"bad\"; \\\n"
		"  content:\"abc\"; \\\n"
		"\tdepth:2; sid:7;)\n"
		"alert tcp any any -> any any (msg:\"last\"; \\\n"
		"  sid:8;)";

	ruleset_load_string(rs, text, "m.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 4);
	CU_ASSERT_EQUAL(ruleset_disabled(rs), 3);
	CU_ASSERT_EQUAL(ruleset_failed(rs), 1);
	r = ruleset_rule(rs, 0);
	CU_ASSERT_EQUAL(r->sid, 1);
	CU_ASSERT_EQUAL(r->line, 4);
	CU_ASSERT_STRING_EQUAL(r->text, "alert tcp any any -> any any (msg:\"multi\";     "
			       "content:\"abc\";     depth:3; sid:1;)");
	CU_ASSERT_EQUAL(opt(r, 0)->u.content.depth.value, 3);
	r = ruleset_rule(rs, 1);
	CU_ASSERT_STRING_EQUAL(r->msg, "crlf");
	CU_ASSERT_EQUAL(r->line, 12);
	r = ruleset_rule(rs, 2);
	CU_ASSERT_STRING_EQUAL(r->msg, "indented");
	CU_ASSERT_EQUAL(r->line, 13);
	r = ruleset_rule(rs, 3);
	CU_ASSERT_EQUAL(r->sid, 8);
	CU_ASSERT_EQUAL(r->line, 17);
	/* an error in a continued rule names the physical line and column */
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 1);
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 0)->message,
			       "m.rules:16:8: depth: depth 2 is smaller than the content length 3");
	ruleset_free(rs);
}

static void test_files(void)
{
	struct ruleset *rs = new_rs();
	const char *path;
	char want[1024];

	CU_ASSERT_EQUAL(ruleset_load_file(rs, "/nonexistent/x.rules"), -ENOENT);
	path = write_tmp("f.rules", P "msg:\"from a file\"; sid:1;)\n" P "nocase; sid:2;)\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);
	CU_ASSERT_EQUAL(ruleset_load_file(rs, path), 0);
	CU_ASSERT_EQUAL(ruleset_count(rs), 1);
	CU_ASSERT_STRING_EQUAL(ruleset_rule(rs, 0)->file, path);
	snprintf(want, sizeof(want), "%s:2:31: nocase: needs a preceding content", path);
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 1);
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 0)->message, want);
	/* an empty file and a file without a newline at the end */
	path = write_tmp("empty.rules", "");
	CU_ASSERT_EQUAL(ruleset_load_file(rs, path), 0);
	path = write_tmp("nonl.rules", P "sid:3;)");
	CU_ASSERT_EQUAL(ruleset_load_file(rs, path), 0);
	CU_ASSERT_EQUAL(ruleset_count(rs), 2);
	ruleset_free(rs);
}

/* ---- classification ------------------------------------------------------------- */

static void test_classification_table(void)
{
	struct class_table *t = class_table_new();
	struct expr_error e;
	const struct rule_class *c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: web-attack,Web "
					       "attack, with a comma,1", &e), 1);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "  config classification:info,Info , 4 ", &e), 1);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "# config classification: x,y,1", &e), 0);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "", &e), 0);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config reference: url http://", &e), 0);
	c = class_table_find(t, "web-attack");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->desc, "Web attack, with a comma");
	CU_ASSERT_EQUAL(c->priority, 1);
	c = class_table_find(t, "info");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->desc, "Info");
	CU_ASSERT_EQUAL(c->priority, 4);
	/* a later definition replaces the earlier */
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: info,Informational,3", &e), 1);
	CU_ASSERT_EQUAL(class_table_find(t, "info")->priority, 3);
	CU_ASSERT_EQUAL(class_table_count(t), 2);
	CU_ASSERT_PTR_NULL(class_table_find(t, "nope"));

	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: x,y", &e), -EINVAL);
	CU_ASSERT_EQUAL(e.off, 25);
	CU_ASSERT_STRING_EQUAL(e.reason, "missing priority (name,description,priority)");
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: x,y,0", &e), -EINVAL);
	CU_ASSERT_EQUAL(e.off, 27);
	CU_ASSERT_STRING_EQUAL(e.reason, "priority must be a number from 1 to 255");
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: x, ,2", &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.reason, "empty description");
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification: ,y,2", &e), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e.reason, "missing classtype name");
	CU_ASSERT_EQUAL(class_table_parse_line(t, "config classification x,y,2", &e), -EINVAL);
	CU_ASSERT_EQUAL(e.off, 22);
	CU_ASSERT_EQUAL(class_table_parse_line(t, "classification: x,y,2", &e), -EINVAL);
	CU_ASSERT_EQUAL(e.off, 0);
	CU_ASSERT_EQUAL(class_table_count(t), 2);
	class_table_free(t);
}

static void test_classification_files(void)
{
	const char *path;
	struct ruleset *rs;
	const struct rule *r;
	const struct class_table *t;

	/* our own file covers what ET Open and Snort use */
	rs = new_rs();
	t = ruleset_classes(rs);
	CU_ASSERT_TRUE(class_table_count(t) >= 40);
	CU_ASSERT_EQUAL(class_table_find(t, "trojan-activity")->priority, 1);
	CU_ASSERT_EQUAL(class_table_find(t, "web-application-attack")->priority, 1);
	CU_ASSERT_EQUAL(class_table_find(t, "bad-unknown")->priority, 2);
	CU_ASSERT_EQUAL(class_table_find(t, "attempted-recon")->priority, 2);
	CU_ASSERT_EQUAL(class_table_find(t, "misc-activity")->priority, 3);
	CU_ASSERT_EQUAL(class_table_find(t, "not-suspicious")->priority, 3);
	CU_ASSERT_EQUAL(class_table_find(t, "tcp-connection")->priority, 4);
	CU_ASSERT_EQUAL(ruleset_error_count(rs), 0);
	ruleset_free(rs);

	/* a site file; its errors become ruleset errors */
	path = write_tmp("classification.config",
			 "# site classes\n"
			 "config classification: local-bad,Local badness,1\n"
			 "config classification: local-meh,Local meh\n"
			 "garbage\n");
	rs = ruleset_new(NULL, path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	CU_ASSERT_EQUAL_FATAL(ruleset_error_count(rs), 2);
	CU_ASSERT_STRING_EQUAL(strrchr(ruleset_error(rs, 0)->message, '/'),
			       "/classification.config:3:34: classification: "
			       "missing priority (name,description,priority)");
	CU_ASSERT_STRING_EQUAL(strrchr(ruleset_error(rs, 1)->message, '/'),
			       "/classification.config:4:1: classification: "
			       "expected 'config classification: name,description,priority'");
	ruleset_load_string(rs,
		"alert ip any any -> any any (classtype:local-bad; sid:1;)\n"
		"config classification: inline,Defined in a rules file,2\n"
		"alert ip any any -> any any (classtype:inline; sid:2;)\n"
		"alert ip any any -> any any (classtype:trojan-activity; sid:3;)\n", "c.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 2);
	r = ruleset_rule(rs, 0);
	CU_ASSERT_STRING_EQUAL(r->category, "Local badness");
	CU_ASSERT_EQUAL(r->priority, 1);
	r = ruleset_rule(rs, 1);
	CU_ASSERT_STRING_EQUAL(r->category, "Defined in a rules file");
	CU_ASSERT_EQUAL(r->priority, 2);
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 2)->message,
			       "c.rules:4:40: classtype: unknown classtype 'trojan-activity'");
	ruleset_free(rs);

	/* without a classification file any classtype goes, severity 3 */
	rs = ruleset_new(NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rs);
	ruleset_load_string(rs, "alert ip any any -> any any (classtype:whatever; sid:1;)\n", "n.rules");
	CU_ASSERT_EQUAL_FATAL(ruleset_count(rs), 1);
	CU_ASSERT_STRING_EQUAL(ruleset_rule(rs, 0)->classtype, "whatever");
	CU_ASSERT_PTR_NULL(ruleset_rule(rs, 0)->category);
	CU_ASSERT_EQUAL(ruleset_rule(rs, 0)->priority, 3);
	/* and without a config, $VARS are undefined */
	ruleset_load_string(rs, "alert ip $HOME_NET any -> any any (sid:2;)\n", "n.rules");
	CU_ASSERT_STRING_EQUAL(ruleset_error(rs, 0)->message,
			       "n.rules:1:10: src_addr: undefined variable $HOME_NET");
	ruleset_free(rs);

	errno = 0;
	CU_ASSERT_PTR_NULL(ruleset_new(NULL, "/nonexistent/classification.config"));
	CU_ASSERT_EQUAL(errno, ENOENT);
}

static const struct test_case file_cases[] = {
	{ "lines, comments, disabled rules", test_lines },
	{ "files", test_files },
	{ "classification lines", test_classification_table },
	{ "classification files and severity", test_classification_files },
	{ NULL, NULL }
};

/* ---- robustness ------------------------------------------------------------------ */

/* Real rules of every shape, to be mutated. */
static const char *const seeds[] = {
	"alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET MALWARE x\"; flow:established,"
	"to_server; http.method; content:\"POST\"; http.uri; content:\"/gate.php\"; fast_pattern; "
	"endswith; http.header_names; content:!\"Referer\"; pcre:\"/^id=[a-f0-9]{16}$/P\"; "
	"reference:url,example.com; classtype:trojan-activity; sid:2000001; rev:3; "
	"metadata:created_at 2020_01_01, updated_at 2024_04_19;)",
	"alert tcp $EXTERNAL_NET any -> $HOME_NET 445 (msg:\"SMB x\"; flow:to_server,established; "
	"content:\"|ff|SMB|72 00|\"; offset:4; depth:5; byte_test:2,>,0x100,0,relative,little; "
	"byte_jump:4,12,relative,align,from_beginning,post_offset -4; isdataat:!10,relative; "
	"byte_extract:1,0,len,relative; content:\"|00|\"; distance:len; within:len; "
	"flowbits:set,ET.smb; flowbits:noalert; sid:2000002; rev:1;)",
	"alert dns $HOME_NET any -> any any (msg:\"DNS\"; dns.query; dotprefix; content:\".evil.com\"; "
	"nocase; endswith; threshold:type limit, track by_src, count 1, seconds 60; "
	"classtype:bad-unknown; sid:2000003; rev:2;)",
	"alert tcp $HOME_NET 2589 -> $EXTERNAL_NET any ( msg:\"MALWARE-BACKDOOR Dagger\"; "
	"flow:to_client,established; content:\"2|00 00 00 06 00 00 00|Drives|24 00|\",depth 16; "
	"http_uri; content:\"/x\",fast_pattern,nocase; pcre:\"/^USER\\s+w0rm/ims\"; "
	"metadata:policy balanced-ips drop,ruleset community; service:http; "
	"classtype:misc-activity; gid:1; sid:105; rev:14; )",
	"alert icmp any any -> any any (msg:\"ICMP\"; itype:8; icode:>0; icmp_id:0; dsize:>800; "
	"ttl:<5; flags:SA+,12; fragbits:!D; ip_proto:!udp; ipopts:rr; sameip; "
	"detection_filter:track by_dst, count 10, seconds 5; priority:2; sid:2000004;)",
	"drop tcp [10.0.0.0/8,!10.1.1.1,$HOME_NET] [1024:65535,!8080] <> [2001:db8::/32] "
	"$HTTP_PORTS (msg:\"x \\\"y\\\" \\;\"; content:\"a\\;b\\\\c\\:d\"; nocase; rawbytes; "
	"startswith; stream_size:server,<,6; xbits:set,ET.x,track ip_src,expire 60; "
	"flowint:c,+,1; tag:session,10,packets; target:src_ip; sid:2000005;)",
	"alert udp any any -> any 53 (msg:\"b64\"; content:\"b=\"; base64_decode:bytes 20,"
	"offset 1,relative; base64_data; content:\"evil\"; bsize:<100; urilen:>3; "
	"app-layer-event:http.x; seq:0; ack:>1; window:!1024; tos:8; id:1; sid:2000006;)",
	"alert tcp any any -> any any (msg:\"multi\"; \\\n content:\"abc\"; \\\n depth:3; sid:7;)\n"
	"# alert tcp any any -> any any (msg:\"off\"; sid:8;)\n"
	"config classification: foo,Foo,2\n",
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? (uint32_t)(rng_state % n) : 0;
}

/* Mutate text into buf (NUL-terminated, at most cap-1 bytes). */
static void mutate(const char *text, char *buf, size_t cap)
{
	static const char special[] = ";:\"|\\,()[]!$-<>&=+*/ \t\n#0123456789abcxyz";
	size_t len = strlen(text);
	int rounds = 1 + (int)rnd(4);

	if (len >= cap)
		len = cap - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (int r = 0; r < rounds; r++) {
		size_t pos = len ? rnd((uint32_t)len) : 0, n;

		switch (rnd(7)) {
		case 0: /* replace one byte with a syntax character */
			if (len)
				buf[pos] = special[rnd(sizeof(special) - 1)];
			break;
		case 1: /* replace one byte with any byte but NUL */
			if (len)
				buf[pos] = (char)(1 + rnd(255));
			break;
		case 2: /* delete a span */
			n = rnd(16) + 1;
			if (pos + n > len)
				n = len - pos;
			memmove(buf + pos, buf + pos + n, len - pos - n + 1);
			len -= n;
			break;
		case 3: /* duplicate a span */
			n = rnd(24) + 1;
			if (pos + n > len)
				n = len - pos;
			if (len + n < cap) {
				memmove(buf + pos + n, buf + pos, len - pos + 1);
				len += n;
			}
			break;
		case 4: /* truncate */
			buf[pos] = '\0';
			len = pos;
			break;
		case 5: { /* splice in a piece of another seed */
			const char *o = seeds[rnd(sizeof(seeds) / sizeof(seeds[0]))];
			size_t olen = strlen(o), from = rnd((uint32_t)olen);

			n = rnd(40) + 1;
			if (from + n > olen)
				n = olen - from;
			if (len + n < cap) {
				memmove(buf + pos + n, buf + pos, len - pos + 1);
				memcpy(buf + pos, o + from, n);
				len += n;
			}
			break;
		}
		default: /* a backslash-newline, to exercise continuations */
			if (len + 2 < cap) {
				memmove(buf + pos + 2, buf + pos, len - pos + 1);
				buf[pos] = '\\';
				buf[pos + 1] = '\n';
				len += 2;
			}
			break;
		}
	}
}

/* MAMORI_FUZZ_ITER=N runs a longer campaign than make check's. */
static long fuzz_iterations(long dflt)
{
	const char *s = getenv("MAMORI_FUZZ_ITER");
	long n = s ? strtol(s, NULL, 10) : 0;

	return n > 0 ? n : dflt;
}

static void test_fuzz_rules(void)
{
	enum { BATCH = 500 };
	long iter = fuzz_iterations(30000);
	struct ruleset *rs = NULL;
	char buf[4096];
	size_t loaded = 0, failed = 0;

	for (long i = 0; i < iter; i++) {
		if (i % BATCH == 0) {
			if (rs) {
				loaded += ruleset_count(rs);
				failed += ruleset_failed(rs);
				/* every error is well formed */
				for (size_t e = 0; e < ruleset_error_count(rs); e++) {
					const struct rule_error *er = ruleset_error(rs, e);

					CU_ASSERT(strncmp(er->message, "fuzz:", 5) == 0);
					CU_ASSERT(er->line >= 1 && er->col >= 1);
				}
				for (size_t k = 0; k < ruleset_count(rs); k++)
					CU_ASSERT(ruleset_rule(rs, k)->sid != 0);
				ruleset_free(rs);
			}
			rs = new_rs();
		}
		mutate(seeds[rnd(sizeof(seeds) / sizeof(seeds[0]))], buf, sizeof(buf));
		ruleset_load_string(rs, buf, "fuzz");
	}
	loaded += ruleset_count(rs);
	failed += ruleset_failed(rs);
	ruleset_free(rs);
	/* the mutations must leave some rules intact and break others */
	CU_ASSERT(loaded > 0);
	CU_ASSERT(failed > 0);
}

static void test_fuzz_sets(void)
{
	static const char *const exprs[] = {
		"[10.0.0.0/8, !10.1.0.0/16, [192.168.0.0/16, !192.168.1.1], $HOME_NET]",
		"![2001:db8::/32, ::1, 1.2.3.4-1.2.3.9, $EXTERNAL_NET]",
		"[80, 1024:, !8080, [:100, !50], $HTTP_PORTS]",
	};
	struct rule_vars *v = test_vars();
	char buf[512];

	for (long i = 0, n = fuzz_iterations(20000); i < n; i++) {
		struct addr_set *a;
		struct port_set *p;
		struct expr_error e;
		const char *src = exprs[rnd(3)];
		size_t len = strlen(src), pos = rnd((uint32_t)len);

		snprintf(buf, sizeof(buf), "%s", src);
		buf[pos] = ";:[]!,-/$.0123456789af x"[rnd(25)];
		if (rnd(4) == 0)
			buf[rnd((uint32_t)len)] = '\0';
		if (addr_set_parse(v, buf, &a, &e) == 0) {
			CU_ASSERT(a->n4 + a->n6 > 0);
			for (uint32_t k = 1; k < a->n4; k++)
				CU_ASSERT(a->v4[k].lo > a->v4[k - 1].hi + 1ull);
			free(a);
		} else {
			CU_ASSERT(e.off <= strlen(buf));
		}
		if (port_set_parse(v, buf, &p, &e) == 0) {
			for (uint32_t k = 1; k < p->n; k++)
				CU_ASSERT(p->r[k].lo > p->r[k - 1].hi + 1u);
			free(p);
		} else {
			CU_ASSERT(e.off <= strlen(buf));
		}
	}
	rule_vars_free(v);
}

static void test_binary_file(void)
{
	static const char bin[] = P "msg:\"a\0b\"; sid:1;)\n\xff\0\0\n" P "sid:2;)\n";
	struct ruleset *rs = new_rs();
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bin.rules", test_tmpdir());
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fwrite(bin, 1, sizeof(bin) - 1, f);
	fclose(f);
	CU_ASSERT_EQUAL(ruleset_load_file(rs, path), 0);
	/* a NUL ends the line's text: the first rule is cut short and fails,
	 * the second line is one byte of garbage */
	CU_ASSERT_EQUAL(ruleset_count(rs), 1);
	CU_ASSERT_EQUAL(ruleset_failed(rs), 2);
	ruleset_free(rs);
}

static const struct test_case robust_cases[] = {
	{ "mutated rules", test_fuzz_rules },
	{ "mutated expressions", test_fuzz_sets },
	{ "binary input", test_binary_file },
	{ NULL, NULL }
};

/* ---- the real rule sets ------------------------------------------------------ */

static const char *corpus_dir(void)
{
	static char dir[1024];
	const char *env = getenv("MAMORI_CORPUS");

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/../shared/corpus", top_srcdir());
	return dir;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Load every *.rules file under dir into rs; returns the file count. */
static int load_dir(struct ruleset *rs, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[256];
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);

		if (l > 6 && strcmp(de->d_name + l - 6, ".rules") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		char path[2048];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CU_ASSERT_EQUAL(ruleset_load_file(rs, path), 0);
		free(names[i]);
	}
	return n;
}

static void report(const char *name, const struct ruleset *rs, int files)
{
	size_t loaded = ruleset_count(rs), failed = ruleset_failed(rs);
	size_t active = loaded + failed, app = ruleset_app_layer(rs);
	size_t hard = 0;

	printf("\n  %s: %d files, %zu active rules (%zu disabled): %zu loaded (%.2f%%), "
	       "%zu failed (%zu only for unsupported keywords)\n",
	       name, files, active, ruleset_disabled(rs), loaded,
	       active ? 100.0 * (double)loaded / (double)active : 0.0, failed,
	       ruleset_failed_unsupported(rs));
	printf("  %s: of the loaded, %zu need the app layer, %zu (%.2f%% of active) run on "
	       "packets/streams now\n", name, app, loaded - app,
	       active ? 100.0 * (double)(loaded - app) / (double)active : 0.0);
	for (size_t i = 0; i < ruleset_unsupported_count(rs) && i < 15; i++) {
		const char *kw;
		size_t n;

		ruleset_unsupported(rs, i, &kw, &n);
		printf("    unsupported %-24s %zu rules\n", kw, n);
	}
	for (size_t i = 0; i < ruleset_error_count(rs); i++) {
		const struct rule_error *e = ruleset_error(rs, i);

		if (strcmp(e->reason, "unsupported keyword") != 0 && hard++ < 20)
			printf("    ERROR %s\n", e->message);
	}
	/* the only failures are unsupported keywords */
	CU_ASSERT_EQUAL(failed, ruleset_failed_unsupported(rs));
	CU_ASSERT_EQUAL(hard, 0);
	CU_ASSERT(loaded > 0);
}

static void test_corpus_rulesets(void)
{
	static const char *const sets[] = { "et-open", "snort3-community" };
	char dir[2048];

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		struct ruleset *rs;
		int files;

		snprintf(dir, sizeof(dir), "%s/rules/%s", corpus_dir(), sets[i]);
		rs = new_rs();
		files = load_dir(rs, dir);
		if (files < 0) {
			printf("\n  %s: no corpus at %s, skipped\n", sets[i], dir);
			ruleset_free(rs);
			continue;
		}
		report(sets[i], rs, files);
		ruleset_free(rs);
	}
}

static void test_corpus_suricata_verify(void)
{
	char dir[2048];
	DIR *d;
	struct dirent *de;
	size_t tests = 0, loaded = 0, hard = 0;

	snprintf(dir, sizeof(dir), "%s/suricata-verify", corpus_dir());
	d = opendir(dir);
	if (!d) {
		printf("\n  suricata-verify: no corpus at %s, skipped\n", dir);
		return;
	}
	/* one ruleset per test: the tests reuse sids */
	while ((de = readdir(d))) {
		char sub[4096];
		struct ruleset *rs;
		int n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		rs = new_rs();
		n = load_dir(rs, sub);
		if (n <= 0) {
			/* http-evader/ holds its tests one level down */
			DIR *d2 = opendir(sub);
			struct dirent *de2;

			while (d2 && (de2 = readdir(d2))) {
				char sub2[6144];
				struct ruleset *rs2;

				if (de2->d_name[0] == '.')
					continue;
				snprintf(sub2, sizeof(sub2), "%s/%s", sub, de2->d_name);
				rs2 = new_rs();
				if (load_dir(rs2, sub2) > 0) {
					tests++;
					loaded += ruleset_count(rs2);
					hard += ruleset_failed(rs2) - ruleset_failed_unsupported(rs2);
					if (ruleset_failed(rs2) != ruleset_failed_unsupported(rs2))
						dump_errors(rs2);
				}
				ruleset_free(rs2);
			}
			if (d2)
				closedir(d2);
		} else {
			tests++;
			loaded += ruleset_count(rs);
			hard += ruleset_failed(rs) - ruleset_failed_unsupported(rs);
			if (ruleset_failed(rs) != ruleset_failed_unsupported(rs))
				dump_errors(rs);
		}
		ruleset_free(rs);
	}
	closedir(d);
	printf("\n  suricata-verify: %zu tests, %zu rules loaded, %zu failed on other than "
	       "unsupported keywords\n", tests, loaded, hard);
	CU_ASSERT_EQUAL(hard, 0);
}

static const struct test_case corpus_cases[] = {
	{ "ET Open and Snort 3 community", test_corpus_rulesets },
	{ "suricata-verify rules", test_corpus_suricata_verify },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "rule vars", NULL, NULL, vars_cases },
	{ "rule header", NULL, free_one, header_cases },
	{ "rule options", NULL, free_one, option_cases },
	{ "rule errors", NULL, NULL, error_cases_list },
	{ "rule files", NULL, NULL, file_cases },
	{ "rule robustness", NULL, NULL, robust_cases },
	{ "rule corpus", NULL, NULL, corpus_cases },
	{ NULL, NULL, NULL, NULL }
};
