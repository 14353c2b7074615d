/*
 * rule_vars: address and port expressions of rule headers, compiled to
 * sets of ranges.
 *
 * An expression is parsed by recursive descent straight into a set: every
 * sub-expression (an address, a CIDR block, a $VAR, a [list], a !negation)
 * evaluates to a sorted list of disjoint, non-adjacent inclusive ranges.
 * Negation is resolved right here, as the complement over the whole space
 * (per address family, both families at once), so the engine never sees a
 * "not" and matching is one binary search. A list is the union of its
 * positive items minus the union of its negated ones (minus from
 * everything when it has no positive item), which is what Suricata and
 * Snort do with "[!1.2.3.4]" and "[$HOME_NET,!10.1.1.1]".
 *
 * Range bounds are kept as unsigned __int128 while compiling so that
 * IPv4, IPv6 and ports share one implementation of union, complement and
 * intersection; the public sets use compact 32-bit, 16-byte and 16-bit
 * bounds. Sets are tiny (a handful of ranges), so the operations simply
 * build new arrays. This runs at startup only.
 *
 * $VARs are looked up in a copy of the config's vars.address-groups and
 * vars.port-groups and expanded recursively (bounded, so a variable that
 * refers to itself is an error, not a stack overflow). An error inside a
 * variable's value is reported at the reference in the rule, naming the
 * variable, because the rule author sees the rule, not the YAML.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mamori/config.h"
#include "mamori/rule.h"

typedef unsigned __int128 u128;

#define MAX_DEPTH 32            /* nesting of lists, negations and $VARs */

/* ---- variables ------------------------------------------------------------ */

struct rule_var {
	char *name;
	char *value;
	bool port;
};

struct rule_vars {
	struct rule_var *v;
	size_t n, cap;
};

int rule_vars_set(struct rule_vars *vs, bool port, const char *name, const char *value)
{
	char *n = NULL, *val = NULL;

	for (size_t i = 0; i < vs->n; i++) {
		if (vs->v[i].port == port && strcmp(vs->v[i].name, name) == 0) {
			val = strdup(value);
			if (!val)
				return -ENOMEM;
			free(vs->v[i].value);
			vs->v[i].value = val;
			return 0;
		}
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 32;
		struct rule_var *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	n = strdup(name);
	val = strdup(value);
	if (!n || !val) {
		free(n);
		free(val);
		return -ENOMEM;
	}
	vs->v[vs->n++] = (struct rule_var){ .name = n, .value = val, .port = port };
	return 0;
}

const char *rule_vars_get(const struct rule_vars *vs, bool port, const char *name)
{
	for (size_t i = 0; vs && i < vs->n; i++)
		if (vs->v[i].port == port && strcmp(vs->v[i].name, name) == 0)
			return vs->v[i].value;
	return NULL;
}

static int copy_group(struct rule_vars *vs, const struct config *cfg, const char *key,
		      bool port)
{
	int n = config_count(cfg, key);

	for (int i = 0; i < n; i++) {
		const char *name, *value;
		int rc;

		if (config_child(cfg, key, i, &name, &value) != 0 || !name || !value)
			continue;       /* a map or list where a string belongs */
		rc = rule_vars_set(vs, port, name, value);
		if (rc)
			return rc;
	}
	return 0;
}

struct rule_vars *rule_vars_new(const struct config *cfg)
{
	struct rule_vars *vs = calloc(1, sizeof(*vs));

	if (!vs)
		return NULL;
	if (cfg && (copy_group(vs, cfg, "vars.address-groups", false) ||
		    copy_group(vs, cfg, "vars.port-groups", true))) {
		rule_vars_free(vs);
		return NULL;
	}
	return vs;
}

void rule_vars_free(struct rule_vars *vs)
{
	if (!vs)
		return;
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	free(vs);
}

/* ---- range lists ------------------------------------------------------------ */

struct rng {
	u128 lo, hi;
};

struct rlist {
	struct rng *r;
	size_t n, cap;
};

static void rl_free(struct rlist *l)
{
	free(l->r);
	l->r = NULL;
	l->n = l->cap = 0;
}

static int rl_add(struct rlist *l, u128 lo, u128 hi)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct rng *nr = realloc(l->r, cap * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		l->r = nr;
		l->cap = cap;
	}
	l->r[l->n++] = (struct rng){ lo, hi };
	return 0;
}

static int rng_cmp(const void *a, const void *b)
{
	const struct rng *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge overlapping or adjacent ranges. */
static void rl_normalize(struct rlist *l)
{
	size_t o = 0;

	if (l->n < 2)
		return;
	qsort(l->r, l->n, sizeof(*l->r), rng_cmp);
	for (size_t i = 1; i < l->n; i++) {
		struct rng *last = &l->r[o];

		/* overlapping or adjacent; written so that a range ending at
		 * the top of the IPv6 space cannot overflow */
		if (l->r[i].lo <= last->hi || l->r[i].lo - 1 == last->hi) {
			if (l->r[i].hi > last->hi)
				last->hi = l->r[i].hi;
		} else {
			l->r[++o] = l->r[i];
		}
	}
	l->n = o + 1;
}

/* Append b to a (both normalised) and normalise. */
static int rl_union(struct rlist *a, const struct rlist *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (rl_add(a, b->r[i].lo, b->r[i].hi))
			return -ENOMEM;
	rl_normalize(a);
	return 0;
}

/* Replace a normalised list by its complement over [0, max]. */
static int rl_complement(struct rlist *l, u128 max)
{
	struct rlist out = { 0 };
	u128 next = 0;
	bool done = false;

	for (size_t i = 0; i < l->n; i++) {
		if (l->r[i].lo > next && rl_add(&out, next, l->r[i].lo - 1))
			goto oom;
		if (l->r[i].hi >= max) {
			done = true;
			break;
		}
		next = l->r[i].hi + 1;
	}
	if (!done && rl_add(&out, next, max))
		goto oom;
	rl_free(l);
	*l = out;
	return 0;
oom:
	rl_free(&out);
	return -ENOMEM;
}

/* a = a minus b (both normalised), via a AND NOT b with a sweep. */
static int rl_subtract(struct rlist *a, const struct rlist *b, u128 max)
{
	struct rlist nb = { 0 }, out = { 0 };
	size_t i = 0, j = 0;
	int rc = -ENOMEM;

	if (rl_union(&nb, b) || rl_complement(&nb, max))
		goto out;
	while (i < a->n && j < nb.n) {
		u128 lo = a->r[i].lo > nb.r[j].lo ? a->r[i].lo : nb.r[j].lo;
		u128 hi = a->r[i].hi < nb.r[j].hi ? a->r[i].hi : nb.r[j].hi;

		if (lo <= hi && rl_add(&out, lo, hi))
			goto out;
		if (a->r[i].hi < nb.r[j].hi)
			i++;
		else
			j++;
	}
	rl_free(a);
	*a = out;
	out = (struct rlist){ 0 };
	rc = 0;
out:
	rl_free(&nb);
	rl_free(&out);
	return rc;
}

/* A set under construction: ports use only v4 (max 65535). */
struct xset {
	struct rlist v4, v6;
};

#define MAX_V4 ((u128)0xffffffffu)
#define MAX_V6 (~(u128)0)
#define MAX_PORT ((u128)65535)

static void xs_free(struct xset *s)
{
	rl_free(&s->v4);
	rl_free(&s->v6);
}

/* ---- the expression parser ------------------------------------------------- */

struct xp {
	const struct rule_vars *vars;
	bool port;
	int depth;
	struct expr_error *err;
	bool failed;
	int rc;                         /* -EINVAL or -ENOMEM once failed */
	const char *var;                /* innermost variable being expanded */
	size_t top_off;                 /* its reference in the top-level text */
};

struct cur {
	const char *s;
	size_t pos;
	size_t base;                    /* offset of s in the top-level text */
};

static void fail(struct xp *x, const struct cur *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct xp *x, const struct cur *c, size_t pos, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (x->failed)
		return;
	x->failed = true;
	x->rc = -EINVAL;
	if (x->var) {
		x->err->off = x->top_off;
		n = (size_t)snprintf(x->err->reason, sizeof(x->err->reason),
				     "in variable $%s: ", x->var);
		if (n >= sizeof(x->err->reason))
			n = sizeof(x->err->reason) - 1;
	} else {
		x->err->off = c->base + pos;
	}
	va_start(ap, fmt);
	vsnprintf(x->err->reason + n, sizeof(x->err->reason) - n, fmt, ap);
	va_end(ap);
}

static void oom(struct xp *x)
{
	if (!x->failed) {
		x->failed = true;
		x->rc = -ENOMEM;
		snprintf(x->err->reason, sizeof(x->err->reason), "out of memory");
	}
}

static void skip_ws(struct cur *c)
{
	while (c->s[c->pos] && isspace((unsigned char)c->s[c->pos]))
		c->pos++;
}

static bool atom_end(char ch)
{
	return !ch || ch == ',' || ch == ']' || ch == '[' || ch == '!' ||
	       isspace((unsigned char)ch);
}

static int parse_expr(struct xp *x, struct cur *c, struct xset *out);

static int set_all(struct xp *x, struct xset *s)
{
	if (rl_add(&s->v4, 0, x->port ? MAX_PORT : MAX_V4) ||
	    (!x->port && rl_add(&s->v6, 0, MAX_V6))) {
		oom(x);
		return -1;
	}
	return 0;
}

static int xs_union(struct xp *x, struct xset *a, const struct xset *b)
{
	if (rl_union(&a->v4, &b->v4) || rl_union(&a->v6, &b->v6)) {
		oom(x);
		return -1;
	}
	return 0;
}

static int xs_subtract(struct xp *x, struct xset *a, const struct xset *b)
{
	if (rl_subtract(&a->v4, &b->v4, x->port ? MAX_PORT : MAX_V4) ||
	    rl_subtract(&a->v6, &b->v6, MAX_V6)) {
		oom(x);
		return -1;
	}
	return 0;
}

/* Strict decimal (or 0x hex) number up to max. */
static bool parse_num(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i = 0;
	int base = 10;

	if (len == 0)
		return false;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < len; i++) {
		int d;

		if (isdigit((unsigned char)s[i]))
			d = s[i] - '0';
		else if (base == 16 && isxdigit((unsigned char)s[i]))
			d = tolower((unsigned char)s[i]) - 'a' + 10;
		else
			return false;
		v = v * (unsigned long)base + (unsigned long)d;
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool parse_v4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t st = i;
		unsigned long n;

		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (i == st || i - st > 3 || !parse_num(s + st, i - st, 255, &n))
			return false;
		v = v << 8 | (uint32_t)n;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	if (i != len)
		return false;
	*out = v;
	return true;
}

static bool parse_v6(const char *s, size_t len, u128 *out)
{
	char buf[INET6_ADDRSTRLEN + 1];
	uint8_t b[16];
	u128 v = 0;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return false;
	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	*out = v;
	return true;
}

/* One address: a, a/prefix, a/mask (v4), a-b. */
static int parse_addr_atom(struct xp *x, struct cur *c, struct xset *out)
{
	const char *s = c->s + c->pos;
	size_t len = 0, slash, dash;
	bool v6;

	while (!atom_end(s[len]))
		len++;
	if (len == 0) {
		fail(x, c, c->pos, "expected an address");
		return -1;
	}
	for (slash = 0; slash < len && s[slash] != '/'; slash++)
		;
	for (dash = 0; dash < len && s[dash] != '-'; dash++)
		;
	v6 = memchr(s, ':', len) != NULL;
	if (dash < len) {
		/* a-b range */
		u128 lo, hi;
		uint32_t a4, b4;

		if (v6 ? !parse_v6(s, dash, &lo) || !parse_v6(s + dash + 1, len - dash - 1, &hi)
		       : !parse_v4(s, dash, &a4) || !parse_v4(s + dash + 1, len - dash - 1, &b4)) {
			fail(x, c, c->pos, "invalid address range '%.*s'", (int)len, s);
			return -1;
		}
		if (!v6) {
			lo = a4;
			hi = b4;
		}
		if (lo > hi) {
			fail(x, c, c->pos, "address range '%.*s' runs backwards", (int)len, s);
			return -1;
		}
		if (rl_add(v6 ? &out->v6 : &out->v4, lo, hi)) {
			oom(x);
			return -1;
		}
	} else if (v6) {
		u128 a, mask;
		unsigned long prefix = 128;

		if (!parse_v6(s, slash, &a)) {
			fail(x, c, c->pos, "invalid IPv6 address '%.*s'", (int)slash, s);
			return -1;
		}
		if (slash < len && !parse_num(s + slash + 1, len - slash - 1, 128, &prefix)) {
			fail(x, c, c->pos + slash + 1, "invalid IPv6 prefix length '%.*s'",
			     (int)(len - slash - 1), s + slash + 1);
			return -1;
		}
		mask = prefix == 0 ? 0 : ~(u128)0 << (128 - prefix);
		if (rl_add(&out->v6, a & mask, (a & mask) | ~mask)) {
			oom(x);
			return -1;
		}
	} else {
		uint32_t a, mask = 0xffffffffu, m;
		unsigned long prefix;

		if (!parse_v4(s, slash, &a)) {
			fail(x, c, c->pos, "invalid address '%.*s'", (int)slash, s);
			return -1;
		}
		if (slash < len) {
			const char *p = s + slash + 1;
			size_t plen = len - slash - 1;

			if (parse_num(p, plen, 32, &prefix)) {
				mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
			} else if (parse_v4(p, plen, &m) && (~m & (~m + 1)) == 0) {
				/* a dotted netmask: ones then zeros */
				mask = m;
			} else {
				fail(x, c, c->pos + slash + 1, "invalid netmask '%.*s'",
				     (int)plen, p);
				return -1;
			}
		}
		if (rl_add(&out->v4, a & mask, (a & mask) | ~mask)) {
			oom(x);
			return -1;
		}
	}
	c->pos += len;
	return 0;
}

/* One port: N, a:b, a:, :b. */
static int parse_port_atom(struct xp *x, struct cur *c, struct xset *out)
{
	const char *s = c->s + c->pos;
	size_t len = 0, colon;
	unsigned long lo = 0, hi = 65535;

	while (!atom_end(s[len]))
		len++;
	if (len == 0) {
		fail(x, c, c->pos, "expected a port");
		return -1;
	}
	for (colon = 0; colon < len && s[colon] != ':'; colon++)
		;
	if (colon == len) {
		if (!parse_num(s, len, 65535, &lo)) {
			fail(x, c, c->pos, "invalid port '%.*s'", (int)len, s);
			return -1;
		}
		hi = lo;
	} else {
		if ((colon > 0 && !parse_num(s, colon, 65535, &lo)) ||
		    (colon + 1 < len && !parse_num(s + colon + 1, len - colon - 1, 65535, &hi)) ||
		    len == 1) {
			fail(x, c, c->pos, "invalid port range '%.*s'", (int)len, s);
			return -1;
		}
		if (lo > hi) {
			fail(x, c, c->pos, "port range '%.*s' runs backwards", (int)len, s);
			return -1;
		}
	}
	if (rl_add(&out->v4, lo, hi)) {
		oom(x);
		return -1;
	}
	c->pos += len;
	return 0;
}

static int parse_var(struct xp *x, struct cur *c, struct xset *out)
{
	size_t st = c->pos + 1, e = st;
	char name[128];
	const char *value, *saved_var = x->var;
	struct cur sub;
	int rc;

	while (isalnum((unsigned char)c->s[e]) || c->s[e] == '_')
		e++;
	if (e == st || e - st >= sizeof(name) || !atom_end(c->s[e])) {
		fail(x, c, c->pos, "invalid variable name");
		return -1;
	}
	memcpy(name, c->s + st, e - st);
	name[e - st] = '\0';
	value = rule_vars_get(x->vars, x->port, name);
	if (!value) {
		if (rule_vars_get(x->vars, !x->port, name))
			fail(x, c, c->pos, "$%s is %s variable", name,
			     x->port ? "an address" : "a port");
		else
			fail(x, c, c->pos, "undefined variable $%s", name);
		return -1;
	}
	if (!x->var)
		x->top_off = c->base + c->pos;
	x->var = name;
	sub = (struct cur){ .s = value, .pos = 0, .base = 0 };
	skip_ws(&sub);
	rc = parse_expr(x, &sub, out);
	if (rc == 0) {
		skip_ws(&sub);
		if (sub.s[sub.pos]) {
			fail(x, &sub, sub.pos, "unexpected '%c'", sub.s[sub.pos]);
			rc = -1;
		}
	}
	/* on failure the message already names this variable */
	x->var = saved_var;
	c->pos = e;
	return rc;
}

static int parse_list(struct xp *x, struct cur *c, struct xset *out)
{
	struct xset pos = { 0 }, neg = { 0 }, item = { 0 };
	bool any_pos = false;
	int rc = -1;

	c->pos++;       /* [ */
	for (;;) {
		bool negated = false;

		skip_ws(c);
		if (c->s[c->pos] == ']' ) {
			fail(x, c, c->pos, "empty list item");
			goto out;
		}
		if (c->s[c->pos] == '!') {
			negated = true;
			c->pos++;
			skip_ws(c);
		}
		if (parse_expr(x, c, &item))
			goto out;
		if (negated) {
			if (xs_union(x, &neg, &item))
				goto out;
		} else {
			any_pos = true;
			if (xs_union(x, &pos, &item))
				goto out;
		}
		xs_free(&item);
		skip_ws(c);
		if (c->s[c->pos] == ',') {
			c->pos++;
			continue;
		}
		if (c->s[c->pos] == ']') {
			c->pos++;
			break;
		}
		if (!c->s[c->pos])
			fail(x, c, c->pos, "missing ']'");
		else
			fail(x, c, c->pos, "unexpected '%c' in list", c->s[c->pos]);
		goto out;
	}
	if (!any_pos && set_all(x, &pos))
		goto out;
	if (xs_subtract(x, &pos, &neg))
		goto out;
	*out = pos;
	pos = (struct xset){ 0 };
	rc = 0;
out:
	xs_free(&pos);
	xs_free(&neg);
	xs_free(&item);
	return rc;
}

static int parse_expr(struct xp *x, struct cur *c, struct xset *out)
{
	const char *p = c->s + c->pos;
	int rc = -1;

	if (++x->depth > MAX_DEPTH) {
		fail(x, c, c->pos, "nested too deeply (a variable that refers to itself?)");
		goto out;
	}
	if (*p == '!') {
		struct xset inner = { 0 };

		c->pos++;
		skip_ws(c);
		if (parse_expr(x, c, &inner) == 0 && set_all(x, out) == 0)
			rc = xs_subtract(x, out, &inner);
		xs_free(&inner);
	} else if (*p == '[') {
		rc = parse_list(x, c, out);
	} else if (*p == '$') {
		rc = parse_var(x, c, out);
	} else if (strncasecmp(p, "any", 3) == 0 && atom_end(p[3])) {
		c->pos += 3;
		rc = set_all(x, out);
	} else if (!*p) {
		fail(x, c, c->pos, x->port ? "expected a port" : "expected an address");
	} else if (*p == ',' || *p == ']') {
		fail(x, c, c->pos, "unexpected '%c'", *p);
	} else {
		rc = x->port ? parse_port_atom(x, c, out) : parse_addr_atom(x, c, out);
	}
out:
	x->depth--;
	return rc;
}

static int compile(const struct rule_vars *vars, const char *text, bool port,
		   struct xset *out, struct expr_error *err)
{
	struct xp x = { .vars = vars, .port = port, .err = err };
	struct cur c = { .s = text, .pos = 0, .base = 0 };

	memset(err, 0, sizeof(*err));
	skip_ws(&c);
	if (parse_expr(&x, &c, out) == 0) {
		skip_ws(&c);
		if (c.s[c.pos])
			fail(&x, &c, c.pos, "unexpected '%c'", c.s[c.pos]);
	}
	if (!x.failed && out->v4.n == 0 && out->v6.n == 0)
		fail(&x, &c, 0, "%s matches nothing", port ? "port set" : "address set");
	if (x.failed) {
		xs_free(out);
		return x.rc;
	}
	return 0;
}

static void put_be128(uint8_t *b, u128 v)
{
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

int addr_set_parse(const struct rule_vars *vars, const char *text,
		   struct addr_set **out, struct expr_error *err)
{
	struct xset s = { 0 };
	struct addr_set *as;
	struct ip4_range *r4;
	struct ip6_range *r6;
	int rc;

	*out = NULL;
	rc = compile(vars, text, false, &s, err);
	if (rc)
		return rc;
	as = malloc(sizeof(*as) + s.v4.n * sizeof(*r4) + s.v6.n * sizeof(*r6));
	if (!as) {
		xs_free(&s);
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		return -ENOMEM;
	}
	r4 = (struct ip4_range *)(as + 1);
	r6 = (struct ip6_range *)(r4 + s.v4.n);
	for (size_t i = 0; i < s.v4.n; i++)
		r4[i] = (struct ip4_range){ (uint32_t)s.v4.r[i].lo, (uint32_t)s.v4.r[i].hi };
	for (size_t i = 0; i < s.v6.n; i++) {
		put_be128(r6[i].lo, s.v6.r[i].lo);
		put_be128(r6[i].hi, s.v6.r[i].hi);
	}
	as->v4 = r4;
	as->n4 = (uint32_t)s.v4.n;
	as->v6 = r6;
	as->n6 = (uint32_t)s.v6.n;
	as->any = s.v4.n == 1 && s.v4.r[0].lo == 0 && s.v4.r[0].hi == MAX_V4 &&
		  s.v6.n == 1 && s.v6.r[0].lo == 0 && s.v6.r[0].hi == MAX_V6;
	xs_free(&s);
	*out = as;
	return 0;
}

int port_set_parse(const struct rule_vars *vars, const char *text,
		   struct port_set **out, struct expr_error *err)
{
	struct xset s = { 0 };
	struct port_set *ps;
	struct port_range *r;
	int rc;

	*out = NULL;
	rc = compile(vars, text, true, &s, err);
	if (rc)
		return rc;
	ps = malloc(sizeof(*ps) + s.v4.n * sizeof(*r));
	if (!ps) {
		xs_free(&s);
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		return -ENOMEM;
	}
	r = (struct port_range *)(ps + 1);
	for (size_t i = 0; i < s.v4.n; i++)
		r[i] = (struct port_range){ (uint16_t)s.v4.r[i].lo, (uint16_t)s.v4.r[i].hi };
	ps->r = r;
	ps->n = (uint32_t)s.v4.n;
	ps->any = s.v4.n == 1 && s.v4.r[0].lo == 0 && s.v4.r[0].hi == MAX_PORT;
	xs_free(&s);
	*out = ps;
	return 0;
}

/* ---- matching and printing ------------------------------------------------- */

bool addr_set_match(const struct addr_set *s, int ver, const union ip_addr *a)
{
	size_t lo = 0, hi;

	if (s->any)
		return true;
	if (ver == 4) {
		uint32_t v = (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 |
			     (uint32_t)a->b[2] << 8 | a->b[3];

		hi = s->n4;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (v < s->v4[mid].lo)
				hi = mid;
			else if (v > s->v4[mid].hi)
				lo = mid + 1;
			else
				return true;
		}
		return false;
	}
	if (ver != 6)
		return false;
	hi = s->n6;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(a->b, s->v6[mid].lo, 16) < 0)
			hi = mid;
		else if (memcmp(a->b, s->v6[mid].hi, 16) > 0)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool port_set_match(const struct port_set *s, uint16_t port)
{
	size_t lo = 0, hi = s->n;

	if (s->any)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (port < s->r[mid].lo)
			hi = mid;
		else if (port > s->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* snprintf that keeps counting past the end of buf. */
static size_t cat(char *buf, size_t len, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t cat(char *buf, size_t len, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(at < len ? buf + at : NULL, at < len ? len - at : 0, fmt, ap);
	va_end(ap);
	return at + (n > 0 ? (size_t)n : 0);
}

size_t addr_set_str(const struct addr_set *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	if (s->any)
		return cat(buf, len, 0, "any");
	for (uint32_t i = 0; i < s->n4; i++) {
		uint32_t lo = htonl(s->v4[i].lo), hi = htonl(s->v4[i].hi);

		inet_ntop(AF_INET, &lo, a, sizeof(a));
		inet_ntop(AF_INET, &hi, b, sizeof(b));
		at = lo == hi ? cat(buf, len, at, "%s%s", at ? "," : "", a)
			      : cat(buf, len, at, "%s%s-%s", at ? "," : "", a, b);
	}
	for (uint32_t i = 0; i < s->n6; i++) {
		inet_ntop(AF_INET6, s->v6[i].lo, a, sizeof(a));
		inet_ntop(AF_INET6, s->v6[i].hi, b, sizeof(b));
		at = memcmp(s->v6[i].lo, s->v6[i].hi, 16) == 0
			     ? cat(buf, len, at, "%s%s", at ? "," : "", a)
			     : cat(buf, len, at, "%s%s-%s", at ? "," : "", a, b);
	}
	return at;
}

size_t port_set_str(const struct port_set *s, char *buf, size_t len)
{
	size_t at = 0;

	if (len)
		buf[0] = '\0';
	if (s->any)
		return cat(buf, len, 0, "any");
	for (uint32_t i = 0; i < s->n; i++)
		at = s->r[i].lo == s->r[i].hi
			     ? cat(buf, len, at, "%s%u", at ? "," : "", s->r[i].lo)
			     : cat(buf, len, at, "%s%u:%u", at ? "," : "", s->r[i].lo, s->r[i].hi);
	return at;
}
