/*
 * rule_parse: Snort/Suricata rule text -> struct rule, collected in a
 * struct ruleset.
 *
 * A rules file is read whole and cut into logical rules: physical lines
 * ending in a backslash are joined, and a small map from offsets in the
 * joined text back to (physical line, column) lets every error point at
 * the exact line and column of the keyword or value at fault, even in a
 * continued rule. A rule is parsed in place: the header is split into
 * tokens (bracket-aware, so "[1.1.1.1, 2.2.2.2]" is one token), then the
 * option list is split on unescaped, unquoted semicolons, with keyword and
 * value NUL-terminated inside the line buffer so that every pointer a
 * handler holds is also a position in the rule.
 *
 * Keywords are found through a hash map built per ruleset from one static
 * table (plus the buffer table of rule.h), so adding a keyword touches one
 * line. A handler turns its value into a typed struct rule_opt (or a field
 * of the rule) and reports at most one error. A rule with an error is
 * dropped and counted; the parse goes on with the next rule. An
 * unsupported keyword is remembered in a histogram and the rest of the
 * rule is still parsed, so a hard error hiding behind it is reported too
 * and coverage reports count every unsupported keyword a rule uses.
 *
 * Two dialects are accepted. Suricata (and Snort 2): content modifiers
 * are separate options after the content, http_uri and its siblings are
 * content modifiers, the dotted names (http.uri) are sticky buffers. Snort
 * 3: content modifiers sit inside the content option ("x",depth 4,nocase)
 * and http_uri, file_data, ... are sticky buffers; a rule is read as Snort
 * 3 when it has a `service:` option, inline content modifiers, or a
 * header with no addresses ("alert http (...)").
 *
 * Memory: interned sets, names and error texts live in a "keep" arena;
 * everything a rule points to lives in the rule arena, which is rewound
 * when the rule fails, so bad input cannot grow memory without bound.
 * Per-rule scratch vectors are reused from rule to rule. This is startup
 * code: it mallocs freely and never runs on the packet path.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mamori/rule.h"

#define MAX_VARS RULE_MAX_VARS
#define MAX_BITS_NAMES 16       /* names in one flowbits a&b&c */

/* ---- arena ------------------------------------------------------------------ */

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct chunk *head;
};

struct arena_mark {
	struct chunk *head;
	size_t used;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;

	if (!c || c->size - c->used < need) {
		size_t size = need > 65536 ? need : 65536;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	return c->data + c->used - need;
}

static void *arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *q = arena_alloc(a, n + 1);

	if (q) {
		memcpy(q, s, n);
		q[n] = '\0';
	}
	return q;
}

static char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

static struct arena_mark arena_mark(const struct arena *a)
{
	return (struct arena_mark){ a->head, a->head ? a->head->used : 0 };
}

static void arena_rewind(struct arena *a, struct arena_mark m)
{
	while (a->head != m.head) {
		struct chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	if (a->head)
		a->head->used = m.used;
}

static void arena_free(struct arena *a)
{
	arena_rewind(a, (struct arena_mark){ NULL, 0 });
}

/* ---- string map ----------------------------------------------------------------- */

struct smap_ent {
	char *key;
	uintptr_t val;
};

struct smap {
	struct smap_ent *e;
	size_t cap, n;
};

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct smap_ent *sm_slot(const struct smap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->e[i].key || strcmp(m->e[i].key, key) == 0)
			return &m->e[i];
}

static bool sm_get(const struct smap *m, const char *key, uintptr_t *val)
{
	struct smap_ent *e = sm_slot(m, key);

	if (!e || !e->key)
		return false;
	if (val)
		*val = e->val;
	return true;
}

static int sm_put(struct smap *m, const char *key, uintptr_t val)
{
	struct smap_ent *e;

	if ((m->n + 1) * 4 >= m->cap * 3) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct smap old = *m;

		m->e = calloc(cap, sizeof(*m->e));
		if (!m->e) {
			*m = old;
			return -ENOMEM;
		}
		m->cap = cap;
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++) {
			if (old.e[i].key) {
				*sm_slot(m, old.e[i].key) = old.e[i];
				m->n++;
			}
		}
		free(old.e);
	}
	e = sm_slot(m, key);
	if (!e->key) {
		e->key = strdup(key);
		if (!e->key)
			return -ENOMEM;
		m->n++;
	}
	e->val = val;
	return 0;
}

static void sm_free(struct smap *m, bool free_vals)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->e[i].key);
		if (m->e[i].key && free_vals)
			free((void *)m->e[i].val);
	}
	free(m->e);
	*m = (struct smap){ 0 };
}

/* ---- growable vectors -------------------------------------------------------- */

struct vec {
	void *p;
	size_t n, cap;
};

static void *vec_push(struct vec *v, size_t esz)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *np = realloc(v->p, cap * esz);

		if (!np)
			return NULL;
		v->p = np;
		v->cap = cap;
	}
	memset((char *)v->p + v->n * esz, 0, esz);
	return (char *)v->p + v->n++ * esz;
}

/* ---- the ruleset ----------------------------------------------------------------- */

struct unsupported {
	const char *name;
	size_t rules;
};

struct ruleset {
	struct rule_vars *vars;
	struct class_table *classes;
	bool have_classes;
	struct arena keep;              /* sets' keys, names, errors */
	struct arena rules_arena;       /* what rules point to */
	struct vec rules;               /* struct rule * */
	struct vec errors;              /* struct rule_error */
	struct vec warnings;
	struct vec unsup;               /* struct unsupported */
	struct smap unsup_map;          /* name -> index + 1 */
	struct smap keywords;           /* name -> const struct kw * */
	struct smap addr_sets;          /* expression -> struct addr_set * */
	struct smap port_sets;          /* expression -> struct port_set * */
	struct smap sids;               /* "gid:sid" -> rule index */
	struct smap bits;               /* bit name -> id */
	struct vec bit_names;           /* const char * */
	size_t failed, failed_unsup, disabled, app_layer;
	/* scratch, reused for every rule */
	struct vec opts, refs, meta, services, uns;
	struct vec segs;
	char *line;
	size_t line_cap;
};

/* ---- keyword table types --------------------------------------------------------- */

struct pctx;

struct kw {
	const char *name;
	int (*fn)(struct pctx *c, char *val, const struct kw *k);
	uint8_t flags;
	int arg;
};

#define KW_VALUE   0x01     /* needs a value */
#define KW_NOVALUE 0x02     /* takes none */
#define KW_APP     0x04     /* app-layer: the rule needs the app layer */

/* A physical line inside a logical rule. */
struct seg {
	size_t off;             /* where the line starts in the joined text */
	uint32_t line;
};

struct rawopt {
	char *kw;
	char *val;              /* NULL when the option has no value */
};

struct pctx {
	struct ruleset *rs;
	const char *file;
	char *text;                     /* the joined rule, cut up in place */
	size_t len;
	const char *start;              /* first character of the rule */
	const struct seg *segs;
	size_t nsegs;
	struct rule *r;
	const char *kw;                 /* keyword being parsed */
	bool failed;                    /* a hard error: give up on the rule */
	bool unsupported;               /* an unsupported keyword was seen */
	bool errored;                   /* an error is recorded for the rule */
	bool snort3;
	bool app;                       /* needs the app layer */
	int buf;                        /* current sticky buffer */
	int last_content;               /* index in opts, -1 none */
	bool fast_pattern;
	bool has_sid, has_rev, has_gid, has_msg, has_class, has_prio;
	const char *sid_at;             /* the sid value, for duplicate errors */
	const char *vars[MAX_VARS];
	int nvars;
};

/* ---- errors ----------------------------------------------------------------------- */

static void where(const struct pctx *c, const char *at, uint32_t *line, uint32_t *col)
{
	size_t off, i;

	if (!at || at < c->text || at > c->text + c->len)
		at = c->start;
	off = (size_t)(at - c->text);
	for (i = c->nsegs; i > 1 && c->segs[i - 1].off > off; i--)
		;
	*line = c->segs[i - 1].line;
	*col = (uint32_t)(off - c->segs[i - 1].off + 1);
}

static int add_error(struct ruleset *rs, struct vec *list, const char *file, uint32_t line,
		     uint32_t col, const char *kw, const char *reason, uint32_t sid)
{
	struct rule_error *e;
	char *msg = NULL;
	int n;

	n = asprintf(&msg, "%s:%u:%u: %s: %s", file, line, col, kw, reason);
	if (n < 0)
		return -ENOMEM;
	e = vec_push(list, sizeof(*e));
	if (!e) {
		free(msg);
		return -ENOMEM;
	}
	e->file = file;
	e->line = line;
	e->col = col;
	e->keyword = arena_strdup(&rs->keep, kw);
	e->reason = arena_strdup(&rs->keep, reason);
	e->message = arena_strdup(&rs->keep, msg);
	e->sid = sid;
	free(msg);
	if (!e->keyword || !e->reason || !e->message) {
		list->n--;
		return -ENOMEM;
	}
	return 0;
}

static void __attribute__((format(printf, 5, 0)))
vreport(struct pctx *c, bool warning, const char *kw, const char *at, const char *fmt,
	va_list ap)
{
	char reason[512];
	uint32_t line, col;

	vsnprintf(reason, sizeof(reason), fmt, ap);
	where(c, at, &line, &col);
	add_error(c->rs, warning ? &c->rs->warnings : &c->rs->errors, c->file, line, col,
		  kw ? kw : "rule", reason, c->r->sid);
}

/* A hard error of keyword kw at position at (NULL: the rule's start). The
 * first one per rule is recorded; returns -1 for the handler to return. */
static int __attribute__((format(printf, 4, 5)))
fail_at(struct pctx *c, const char *kw, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return -1;
	c->failed = true;
	c->errored = true;
	va_start(ap, fmt);
	vreport(c, false, kw, at, fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(c, at, ...) fail_at((c), (c)->kw, (at), __VA_ARGS__)

static void __attribute__((format(printf, 3, 4)))
warn(struct pctx *c, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, true, c->kw, at, fmt, ap);
	va_end(ap);
}

static int oom(struct pctx *c)
{
	return fail(c, NULL, "out of memory");
}

/* ---- small parsers ---------------------------------------------------------------- */

static char *skip_ws(char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static char *trim(char *p)
{
	char *e;

	p = skip_ws(p);
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return p;
}

/* Split s on commas outside quotes, trimming each piece in place. */
static int split(char *s, char **out, int max)
{
	int n = 0;
	bool q = false;
	char *st = s;

	for (char *p = s;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '"')
			q = !q;
		if ((*p == ',' && !q) || !*p) {
			bool end = !*p;

			if (n == max)
				return -1;
			*p = '\0';
			out[n++] = trim(st);
			if (end)
				break;
			st = p + 1;
		}
	}
	return n;
}

/* Split "key value" at the first run of whitespace. */
static char *word_split(char *s)
{
	char *p = s;

	while (*p && !isspace((unsigned char)*p))
		p++;
	if (!*p)
		return p;
	*p++ = '\0';
	return skip_ws(p);
}

/* Strict integer: decimal, or hex with 0x; optional sign. */
static bool to_i64(const char *s, int64_t *out)
{
	bool neg = false;
	uint64_t v = 0;
	int base = 10;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (isdigit((unsigned char)*s))
			d = (unsigned)(*s - '0');
		else if (base == 16 && isxdigit((unsigned char)*s))
			d = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + d;
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

static int num(struct pctx *c, const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!to_i64(s, out))
		return fail(c, s, "'%s' is not a number", s);
	if (*out < min || *out > max)
		return fail(c, s, "%s is out of range (%lld to %lld)", s, (long long)min,
			    (long long)max);
	return 0;
}

static int num_u32(struct pctx *c, const char *s, uint32_t min, uint32_t *out)
{
	int64_t v;

	if (num(c, s, min, UINT32_MAX, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static bool is_ident(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static int find_var(const struct pctx *c, const char *name)
{
	for (int i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i], name) == 0)
			return i;
	return -1;
}

/* A number or a byte_extract variable. */
static int val(struct pctx *c, const char *s, int64_t min, int64_t max, struct rule_val *v)
{
	v->var = -1;
	v->value = 0;
	if (!*s)
		return fail(c, s, "missing value");
	if (is_ident(s)) {
		int i = find_var(c, s);

		if (i < 0)
			return fail(c, s, "unknown variable '%s' (not set by an earlier byte_extract)", s);
		v->var = (int8_t)i;
		return 0;
	}
	return num(c, s, min, max, &v->value);
}

/* Integer comparison; see struct rule_cmp. Units kb, mb, gb (and kib...)
 * are accepted after a number, as Suricata's integer keywords do. */
static bool cmp_num(const char *s, const char *e, uint64_t max, uint64_t *out)
{
	char buf[40];
	size_t n = (size_t)(e - s);
	int64_t v;
	uint64_t mult = 1;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 2 && isdigit((unsigned char)buf[0])) {
		static const struct { const char *sfx; uint64_t m; } units[] = {
			{ "kib", 1024 }, { "kb", 1024 }, { "mib", 1u << 20 },
			{ "mb", 1u << 20 }, { "gib", 1u << 30 }, { "gb", 1u << 30 },
		};
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].sfx);

			if (n > l && strcasecmp(buf + n - l, units[i].sfx) == 0 &&
			    isdigit((unsigned char)buf[n - l - 1])) {
				buf[n - l] = '\0';
				mult = units[i].m;
				break;
			}
		}
	}
	if (!to_i64(buf, &v) || v < 0 || (uint64_t)v > max / mult)
		return false;
	*out = (uint64_t)v * mult;
	return *out <= max;
}

static int parse_cmp(struct pctx *c, char *s, uint64_t max, struct rule_cmp *out)
{
	char *p = s, *sep;
	uint64_t a, b;

	memset(out, 0, sizeof(*out));
	if (!*s)
		return fail(c, s, "missing value");
	if (*p == '&') {
		/* &MASK=V, &MASK!=V */
		sep = strchr(p, '=');
		if (!sep)
			return fail(c, s, "expected &MASK=VALUE");
		out->op = RULE_CMP_MASK_EQ;
		if (sep[-1] == '!') {
			out->op = RULE_CMP_MASK_NE;
			if (!cmp_num(p + 1, sep - 1, max, &a))
				return fail(c, s, "invalid mask in '%s'", s);
		} else if (!cmp_num(p + 1, sep, max, &a)) {
			return fail(c, s, "invalid mask in '%s'", s);
		}
		if (!cmp_num(sep + 1, sep + strlen(sep), max, &b))
			return fail(c, s, "invalid value in '%s'", s);
		out->lo = a;
		out->hi = b;
		return 0;
	}
	if ((sep = strstr(p, "<=>")) || (sep = strstr(p, "<>")) ||
	    ((sep = strchr(p + (*p == '!'), '-')) && sep > p + (*p == '!'))) {
		size_t l = sep[0] == '-' ? 1 : sep[1] == '=' ? 3 : 2;
		bool neg = *p == '!';

		if (!cmp_num(p + neg, sep, max, &a) || !cmp_num(sep + l, sep + strlen(sep), max, &b))
			return fail(c, s, "invalid range '%s'", s);
		out->op = l == 3 ? RULE_CMP_RANGE_INCL : neg ? RULE_CMP_NOT_RANGE : RULE_CMP_RANGE;
		if (l == 3 && neg)
			return fail(c, s, "invalid range '%s'", s);
		if (l == 3 ? a > b : a >= b)
			return fail(c, s, "range '%s' is empty", s);
		out->lo = a;
		out->hi = b;
		return 0;
	}
	if (p[0] == '!' && p[1] == '=') {
		out->op = RULE_CMP_NE;
		p += 2;
	} else if (p[0] == '<' && p[1] == '=') {
		out->op = RULE_CMP_LE;
		p += 2;
	} else if (p[0] == '>' && p[1] == '=') {
		out->op = RULE_CMP_GE;
		p += 2;
	} else if (*p == '!') {
		out->op = RULE_CMP_NE;
		p++;
	} else if (*p == '<') {
		out->op = RULE_CMP_LT;
		p++;
	} else if (*p == '>') {
		out->op = RULE_CMP_GT;
		p++;
	} else if (*p == '=') {
		out->op = RULE_CMP_EQ;
		p++;
	} else {
		out->op = RULE_CMP_EQ;
	}
	if (!cmp_num(p, p + strlen(p), max, &a))
		return fail(c, s, "invalid value '%s' (expected a number up to %llu)", s,
			    (unsigned long long)max);
	if ((out->op == RULE_CMP_LT && a == 0) || (out->op == RULE_CMP_GT && a == max))
		return fail(c, s, "'%s' can never match", s);
	out->lo = a;
	return 0;
}

/* ---- option construction ------------------------------------------------------ */

static struct rule_opt *new_opt(struct pctx *c, int type, int buffer)
{
	struct rule_opt *o = vec_push(&c->rs->opts, sizeof(*o));

	if (!o) {
		oom(c);
		return NULL;
	}
	o->type = (uint8_t)type;
	o->buffer = (uint8_t)buffer;
	if (buffer > RULE_BUF_BASE64)
		c->app = true;
	return o;
}

static struct rule_opt *opt_at(struct pctx *c, int i)
{
	return &((struct rule_opt *)c->rs->opts.p)[i];
}

/* Unescape \" \; \\ \: in place (msg and similar free text). */
static char *unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p == '\\' && p[1] && strchr("\";\\:", p[1]))
			p++;
		*o++ = *p;
	}
	*o = '\0';
	return s;
}

/* ---- meta keywords ------------------------------------------------------------- */

static int kw_msg(struct pctx *c, char *v, const struct kw *k)
{
	char *s = v;
	size_t n = strlen(s);

	if (c->has_msg)
		return fail(c, v, "msg given twice");
	c->has_msg = true;
	if (*s == '"') {
		if (n < 2 || s[n - 1] != '"' || s[n - 2] == '\\')
			return fail(c, v, "unterminated string");
		s[n - 1] = '\0';
		s++;
	}
	c->r->msg = arena_strdup(&c->rs->rules_arena, unescape(s));
	return c->r->msg ? 0 : oom(c);
}

static int kw_sid(struct pctx *c, char *v, const struct kw *k)
{
	bool *seen = k->arg == 0 ? &c->has_sid : k->arg == 1 ? &c->has_rev : &c->has_gid;
	uint32_t *dst = k->arg == 0 ? &c->r->sid : k->arg == 1 ? &c->r->rev : &c->r->gid;

	if (*seen)
		return fail(c, v, "%s given twice", k->name);
	*seen = true;
	if (k->arg == 0)
		c->sid_at = v;
	return num_u32(c, v, k->arg == 0 ? 1 : 0, dst);
}

static int kw_classtype(struct pctx *c, char *v, const struct kw *k)
{
	const struct rule_class *cl;

	if (c->has_class)
		return fail(c, v, "classtype given twice");
	c->has_class = true;
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return fail(c, v, "invalid classtype name '%s'", v);
	cl = class_table_find(c->rs->classes, v);
	if (!cl && c->rs->have_classes)
		return fail(c, v, "unknown classtype '%s'", v);
	c->r->classtype = arena_strdup(&c->rs->rules_arena, v);
	if (!c->r->classtype)
		return oom(c);
	if (cl) {
		c->r->category = arena_strdup(&c->rs->rules_arena, cl->desc);
		if (!c->r->category)
			return oom(c);
		if (!c->has_prio)
			c->r->priority = cl->priority;
	}
	return 0;
}

static int kw_priority(struct pctx *c, char *v, const struct kw *k)
{
	int64_t p;

	if (c->has_prio)
		return fail(c, v, "priority given twice");
	if (num(c, v, 1, 255, &p))
		return -1;
	c->has_prio = true;
	c->r->priority = (int)p;
	return 0;
}

static int kw_reference(struct pctx *c, char *v, const struct kw *k)
{
	char *comma = strchr(v, ',');
	struct rule_ref *ref;
	char *type, *value;

	if (!comma)
		return fail(c, v, "expected TYPE,VALUE");
	*comma = '\0';
	type = trim(v);
	value = trim(comma + 1);
	if (!*type)
		return fail(c, v, "missing reference type");
	if (!*value)
		return fail(c, comma + 1, "missing reference value");
	ref = vec_push(&c->rs->refs, sizeof(*ref));
	if (!ref)
		return oom(c);
	ref->type = arena_strdup(&c->rs->rules_arena, type);
	ref->value = arena_strdup(&c->rs->rules_arena, value);
	return ref->type && ref->value ? 0 : oom(c);
}

static int kw_metadata(struct pctx *c, char *v, const struct kw *k)
{
	char *items[256];
	int n = split(v, items, 256);

	if (n < 0)
		return fail(c, v, "too many metadata items");
	for (int i = 0; i < n; i++) {
		struct rule_meta *m;
		char *value;

		if (!*items[i])
			continue;
		value = word_split(items[i]);
		m = vec_push(&c->rs->meta, sizeof(*m));
		if (!m)
			return oom(c);
		m->key = arena_strdup(&c->rs->rules_arena, items[i]);
		m->value = arena_strdup(&c->rs->rules_arena, value);
		if (!m->key || !m->value)
			return oom(c);
	}
	return 0;
}

static int kw_target(struct pctx *c, char *v, const struct kw *k)
{
	if (strcmp(v, "src_ip") == 0)
		c->r->flags |= RULE_TARGET_SRC;
	else if (strcmp(v, "dest_ip") == 0)
		c->r->flags |= RULE_TARGET_DST;
	else
		return fail(c, v, "expected src_ip or dest_ip");
	return 0;
}

static int kw_noalert(struct pctx *c, char *v, const struct kw *k)
{
	c->r->flags |= RULE_NOALERT;
	return 0;
}

static int kw_tag(struct pctx *c, char *v, const struct kw *k)
{
	c->r->flags |= RULE_HAS_TAG;
	warn(c, v, "accepted, but tagging is not implemented: no effect");
	return 0;
}

static int kw_service(struct pctx *c, char *v, const struct kw *k)
{
	char *items[64];
	int n = split(v, items, 64);

	if (n < 0)
		return fail(c, v, "too many services");
	for (int i = 0; i < n; i++) {
		const char **s;

		if (!*items[i])
			return fail(c, items[i], "empty service name");
		s = vec_push(&c->rs->services, sizeof(*s));
		if (!s)
			return oom(c);
		*s = arena_strdup(&c->rs->rules_arena, items[i]);
		if (!*s)
			return oom(c);
	}
	return 0;
}

/* ---- content and its modifiers ------------------------------------------------- */

static int hexval(int ch)
{
	if (isdigit(ch))
		return ch - '0';
	if (isxdigit(ch))
		return tolower(ch) - 'a' + 10;
	return -1;
}

/*
 * Decode "..." at s (escapes \" \; \\ \:, |hex| blocks) into a pattern.
 * *rest is set past the closing quote.
 */
static int content_str(struct pctx *c, char *s, uint8_t **pat, uint32_t *len, char **rest)
{
	size_t cap = strlen(s), n = 0;
	uint8_t *out;
	bool hex = false;
	int hi = -1;
	char *p, *hex_start = NULL;

	if (*s != '"')
		return fail(c, s, "expected a quoted string");
	out = arena_alloc(&c->rs->rules_arena, cap + 1);
	if (!out)
		return oom(c);
	for (p = s + 1;; p++) {
		if (!*p)
			return fail(c, s, "unterminated string");
		if (hex) {
			int d;

			if (*p == '|') {
				if (hi >= 0)
					return fail(c, p, "odd number of hex digits");
				hex = false;
				continue;
			}
			if (isspace((unsigned char)*p))
				continue;
			d = hexval((unsigned char)*p);
			if (d < 0) {
				if (*p == '"')
					return fail(c, hex_start, "unterminated |hex| block");
				return fail(c, p, "invalid hex digit '%c'", *p);
			}
			if (hi < 0) {
				hi = d;
			} else {
				out[n++] = (uint8_t)(hi << 4 | d);
				hi = -1;
			}
			continue;
		}
		if (*p == '"')
			break;
		if (*p == '|') {
			hex = true;
			hex_start = p;
			continue;
		}
		if (*p == '\\') {
			if (!p[1] || !strchr("\";\\:", p[1]))
				return fail(c, p, "invalid escape '\\%c' (only \\\" \\; \\\\ \\: are allowed)",
					    p[1] ? p[1] : ' ');
			p++;
		}
		out[n++] = (uint8_t)*p;
	}
	if (n == 0)
		return fail(c, s, "empty content");
	if (n > 65535)
		return fail(c, s, "content longer than 65535 bytes");
	*pat = out;
	*len = (uint32_t)n;
	*rest = p + 1;
	return 0;
}

static struct rule_content *last_content(struct pctx *c, const char *at)
{
	if (c->last_content < 0) {
		fail(c, at, "needs a preceding content");
		return NULL;
	}
	return &opt_at(c, c->last_content)->u.content;
}

enum mod { MOD_NOCASE, MOD_RAWBYTES, MOD_DEPTH, MOD_OFFSET, MOD_DISTANCE, MOD_WITHIN,
	   MOD_FAST_PATTERN, MOD_STARTSWITH, MOD_ENDSWITH, MOD_FP_OFFSET, MOD_FP_LENGTH };

/* Apply one content modifier; name is what the rule called it, arg its
 * value (NULL when none; errors about the value point there), at the
 * modifier itself (errors about its use point there). */
static int apply_mod(struct pctx *c, int mod, const char *name, char *arg, const char *at)
{
	struct rule_content *ct = last_content(c, at);
	const char *kw = c->kw;
	int rc = -1;

	if (!ct)
		return -1;
	c->kw = name;
	switch (mod) {
	case MOD_NOCASE:
	case MOD_RAWBYTES:
	case MOD_STARTSWITH:
	case MOD_ENDSWITH: {
		bool *f = mod == MOD_NOCASE ? &ct->nocase : mod == MOD_RAWBYTES ? &ct->rawbytes
			: mod == MOD_STARTSWITH ? &ct->startswith : &ct->endswith;

		if (arg && *arg) {
			fail(c, arg, "takes no value");
			break;
		}
		if (*f) {
			fail(c, at, "%s given twice for the same content", name);
			break;
		}
		if (mod == MOD_STARTSWITH && (ct->has_depth || ct->has_offset ||
					      ct->has_distance || ct->has_within)) {
			fail(c, at, "cannot be combined with depth, offset, distance or within");
			break;
		}
		*f = true;
		rc = 0;
		break;
	}
	case MOD_DEPTH:
	case MOD_OFFSET:
	case MOD_DISTANCE:
	case MOD_WITHIN: {
		bool rel = mod == MOD_DISTANCE || mod == MOD_WITHIN;
		bool *has = mod == MOD_DEPTH ? &ct->has_depth : mod == MOD_OFFSET ? &ct->has_offset
			: mod == MOD_DISTANCE ? &ct->has_distance : &ct->has_within;
		struct rule_val *dst = mod == MOD_DEPTH ? &ct->depth : mod == MOD_OFFSET ? &ct->offset
			: mod == MOD_DISTANCE ? &ct->distance : &ct->within;
		int64_t min = mod == MOD_DISTANCE ? -65535 : mod == MOD_OFFSET ? 0 : 1;

		if (!arg || !*arg) {
			fail(c, at, "missing value");
			break;
		}
		if (*has) {
			fail(c, at, "%s given twice for the same content", name);
			break;
		}
		if (ct->startswith) {
			fail(c, at, "cannot be combined with startswith");
			break;
		}
		if (rel ? ct->has_depth || ct->has_offset : ct->has_distance || ct->has_within) {
			fail(c, at, "cannot mix relative (distance, within) and absolute (offset, depth) modifiers");
			break;
		}
		if (!is_ident(arg) && to_i64(arg, &dst->value) && dst->value < min) {
			fail(c, arg, min == 1 ? "%s must be greater than 0" : "%s must not be negative",
			     name);
			break;
		}
		if (val(c, arg, min, 1 << 30, dst))
			break;
		if (dst->var < 0 && (mod == MOD_DEPTH || mod == MOD_WITHIN) &&
		    dst->value < (int64_t)ct->len) {
			fail(c, arg, "%s %lld is smaller than the content length %u", name,
			     (long long)dst->value, ct->len);
			break;
		}
		*has = true;
		rc = 0;
		break;
	}
	case MOD_FAST_PATTERN:
		if (c->fast_pattern) {
			fail(c, at, "only one content per rule may be the fast_pattern");
			break;
		}
		if (arg && *arg) {
			char *a[3];
			int n;
			int64_t off, len;

			if (strcmp(arg, "only") == 0) {
				ct->fp_only = true;
			} else {
				n = split(arg, a, 3);
				if (n != 2) {
					fail(c, arg, "expected 'only' or OFFSET,LENGTH");
					break;
				}
				if (num(c, a[0], 0, 65535, &off) || num(c, a[1], 1, 65535, &len))
					break;
				if (off + len > ct->len) {
					fail(c, a[0], "%lld,%lld reaches past the content (length %u)",
					     (long long)off, (long long)len, ct->len);
					break;
				}
				ct->fp_chop = true;
				ct->fp_off = (uint32_t)off;
				ct->fp_len = (uint32_t)len;
			}
		}
		c->fast_pattern = true;
		ct->fast_pattern = true;
		rc = 0;
		break;
	case MOD_FP_OFFSET:
	case MOD_FP_LENGTH: {
		int64_t v;

		/* Snort 3 fast_pattern_offset / fast_pattern_length */
		if (!arg || num(c, arg, mod == MOD_FP_OFFSET ? 0 : 1, 65535, &v))
			break;
		if (mod == MOD_FP_OFFSET)
			ct->fp_off = (uint32_t)v;
		else
			ct->fp_len = (uint32_t)v;
		if (!ct->fp_len)
			ct->fp_len = ct->len - (ct->fp_off < ct->len ? ct->fp_off : ct->len);
		if (ct->fp_off + ct->fp_len > ct->len) {
			fail(c, arg, "reaches past the content (length %u)", ct->len);
			break;
		}
		ct->fp_chop = true;
		rc = 0;
		break;
	}
	}
	c->kw = kw;
	return rc;
}

static int kw_mod(struct pctx *c, char *v, const struct kw *k)
{
	return apply_mod(c, k->arg, k->name, v, c->kw);
}

/* Snort 3: content:"x",depth 4,nocase,... */
static int inline_mods(struct pctx *c, char *rest)
{
	static const struct { const char *name; int mod; } mods[] = {
		{ "nocase", MOD_NOCASE }, { "rawbytes", MOD_RAWBYTES }, { "depth", MOD_DEPTH },
		{ "offset", MOD_OFFSET }, { "distance", MOD_DISTANCE }, { "within", MOD_WITHIN },
		{ "fast_pattern", MOD_FAST_PATTERN }, { "fast_pattern_offset", MOD_FP_OFFSET },
		{ "fast_pattern_length", MOD_FP_LENGTH },
	};
	char *items[32];
	int n;

	rest = skip_ws(rest);
	if (!*rest)
		return 0;
	if (*rest != ',')
		return fail(c, rest, "unexpected text after the closing quote");
	n = split(rest + 1, items, 32);
	if (n < 0)
		return fail(c, rest, "too many content modifiers");
	for (int i = 0; i < n; i++) {
		char *arg = word_split(items[i]);
		size_t j;

		for (j = 0; j < sizeof(mods) / sizeof(mods[0]); j++)
			if (strcmp(items[i], mods[j].name) == 0)
				break;
		if (j == sizeof(mods) / sizeof(mods[0]))
			return fail(c, items[i], "unknown content modifier '%s'", items[i]);
		if (apply_mod(c, mods[j].mod, mods[j].name, *arg ? arg : NULL, items[i]))
			return -1;
	}
	return 0;
}

static int kw_content(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_opt *o;
	struct rule_content ct = { 0 };
	char *s = v, *rest = NULL;
	uint8_t *pat = NULL;
	uint32_t len = 0;
	int buf = k->arg >= 0 ? k->arg : c->buf;

	ct.offset.var = ct.depth.var = ct.distance.var = ct.within.var = -1;
	if (*s == '!') {
		ct.negated = true;
		s = skip_ws(s + 1);
	}
	if (content_str(c, s, &pat, &len, &rest))
		return -1;
	ct.pat = pat;
	ct.len = len;
	o = new_opt(c, RULE_OPT_CONTENT, buf);
	if (!o)
		return -1;
	o->u.content = ct;
	c->last_content = (int)(c->rs->opts.n - 1);
	return inline_mods(c, rest);
}

/* ---- buffers ----------------------------------------------------------------------- */

/* The legacy names that Suricata (and Snort 2) treat as modifiers of the
 * preceding content rather than as sticky buffers. */
static bool legacy_modifier(const char *name)
{
	static const char *const names[] = {
		"http_uri", "http_raw_uri", "http_method", "http_client_body",
		"http_server_body", "http_header", "http_raw_header", "http_cookie",
		"http_raw_cookie", "http_user_agent", "http_host", "http_raw_host",
		"http_stat_code", "http_stat_msg",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static int kw_buffer(struct pctx *c, char *v, const struct kw *k)
{
	bool dotted = strchr(k->name, '.') != NULL;

	if (v && *v) {
		struct rule_opt *o;

		/* Snort 3 keywords that share a buffer's name but take a value
		 * (sip_method:invite, http_header:field x): recorded for the app
		 * layer; http_* ones also select their buffer. */
		if (dotted || !c->snort3)
			return fail(c, v, "takes no value");
		if (strncmp(k->name, "http_", 5) == 0)
			c->buf = k->arg;
		o = new_opt(c, RULE_OPT_APP, c->buf);
		if (!o)
			return -1;
		o->u.app.name = arena_strdup(&c->rs->rules_arena, k->name);
		o->u.app.value = arena_strdup(&c->rs->rules_arena, v);
		c->app = true;
		return o->u.app.name && o->u.app.value ? 0 : oom(c);
	}
	if (!c->snort3 && legacy_modifier(k->name)) {
		struct rule_content *ct = last_content(c, c->kw);
		struct rule_opt *o;

		if (!ct)
			return -1;
		o = opt_at(c, c->last_content);
		if (o->buffer != RULE_BUF_PAYLOAD)
			return fail(c, c->kw, "the content is already in buffer %s",
				    rule_buffer_name(o->buffer));
		o->buffer = (uint8_t)k->arg;
		c->app = true;
		return 0;
	}
	c->buf = k->arg;
	if (k->arg > RULE_BUF_BASE64)
		c->app = true;
	return 0;
}

static int kw_uricontent(struct pctx *c, char *v, const struct kw *k)
{
	struct kw ck = { .name = "uricontent", .arg = RULE_BUF_HTTP_URI };

	return kw_content(c, v, &ck);
}

static int kw_transform(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_opt *o;

	if (c->buf <= RULE_BUF_BASE64)
		return fail(c, c->kw, "a transform needs a sticky buffer before it");
	o = new_opt(c, RULE_OPT_TRANSFORM, c->buf);
	if (!o)
		return -1;
	o->u.transform.name = arena_strdup(&c->rs->rules_arena, k->name);
	o->u.transform.arg = v ? arena_strdup(&c->rs->rules_arena, v) : NULL;
	return o->u.transform.name && (!v || o->u.transform.arg) ? 0 : oom(c);
}

/* ---- pcre --------------------------------------------------------------------------- */

static int kw_pcre(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { char ch; uint32_t flag; } flags[] = {
		{ 'i', RULE_PCRE_CASELESS }, { 's', RULE_PCRE_DOTALL }, { 'm', RULE_PCRE_MULTILINE },
		{ 'x', RULE_PCRE_EXTENDED }, { 'A', RULE_PCRE_ANCHORED }, { 'E', RULE_PCRE_DOLLAR_END },
		{ 'G', RULE_PCRE_UNGREEDY }, { 'R', RULE_PCRE_RELATIVE }, { 'B', RULE_PCRE_RAWBYTES },
		{ 'O', RULE_PCRE_NO_LIMIT },
	};
	static const struct { char ch; int buf; } bufs[] = {
		{ 'U', RULE_BUF_HTTP_URI }, { 'I', RULE_BUF_HTTP_URI_RAW },
		{ 'P', RULE_BUF_HTTP_REQUEST_BODY }, { 'Q', RULE_BUF_HTTP_RESPONSE_BODY },
		{ 'H', RULE_BUF_HTTP_HEADER }, { 'D', RULE_BUF_HTTP_HEADER_RAW },
		{ 'M', RULE_BUF_HTTP_METHOD }, { 'C', RULE_BUF_HTTP_COOKIE },
		{ 'K', RULE_BUF_HTTP_COOKIE_RAW }, { 'S', RULE_BUF_HTTP_STAT_CODE },
		{ 'Y', RULE_BUF_HTTP_STAT_MSG }, { 'V', RULE_BUF_HTTP_USER_AGENT },
		{ 'W', RULE_BUF_HTTP_HOST }, { 'Z', RULE_BUF_HTTP_HOST_RAW },
	};
	struct rule_pcre pc = { 0 };
	struct rule_opt *o;
	char *s = v, *end, *slash, *m;
	int buf = -1;
	size_t n;

	if (*s == '!') {
		pc.negated = true;
		s = skip_ws(s + 1);
	}
	n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"' || (n >= 3 && s[n - 2] == '\\'))
		return fail(c, s, "expected a quoted \"/regex/flags\"");
	end = s + n - 1;
	if (s[1] != '/')
		return fail(c, s + 1, "the regex must start with '/'");
	for (slash = end - 1; slash > s + 1 && *slash != '/'; slash--)
		;
	if (slash == s + 1)
		return fail(c, s + 1, "the regex has no closing '/'");
	for (m = slash + 1; m < end; m++) {
		size_t i;

		for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
			if (flags[i].ch == *m)
				break;
		if (i < sizeof(flags) / sizeof(flags[0])) {
			pc.flags |= flags[i].flag;
			continue;
		}
		for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
			if (bufs[i].ch == *m)
				break;
		if (i == sizeof(bufs) / sizeof(bufs[0]))
			return fail(c, m, "unknown pcre modifier '%c'", *m);
		if (buf >= 0 && buf != bufs[i].buf)
			return fail(c, m, "more than one buffer modifier");
		buf = bufs[i].buf;
	}
	/* a buffer flag naming the sticky buffer already selected is redundant
	 * (file.data is the HTTP response body that Q names) */
	if (buf == RULE_BUF_HTTP_RESPONSE_BODY && c->buf == RULE_BUF_FILE_DATA)
		buf = RULE_BUF_FILE_DATA;
	if (buf >= 0 && c->buf != RULE_BUF_PAYLOAD && c->buf != buf)
		return fail(c, slash + 1, "buffer modifier conflicts with sticky buffer %s",
			    rule_buffer_name(c->buf));
	if (slash - (s + 2) == 0)
		return fail(c, s, "empty regex");
	pc.re = arena_strndup(&c->rs->rules_arena, s + 2, (size_t)(slash - (s + 2)));
	pc.mods = arena_strndup(&c->rs->rules_arena, slash + 1, (size_t)(end - slash - 1));
	if (!pc.re || !pc.mods)
		return oom(c);
	o = new_opt(c, RULE_OPT_PCRE, buf >= 0 ? buf : c->buf);
	if (!o)
		return -1;
	o->u.pcre = pc;
	return 0;
}

/* ---- byte_test, byte_jump, byte_extract, isdataat ---------------------------- */

/* The flags the three byte_* keywords share; returns 1 when the word was
 * not one of them, 0 when consumed (i may advance), -1 on error. */
static int byte_flag(struct pctx *c, char **a, int n, int *i, struct rule_byte *b, int type)
{
	char *w = a[*i], *arg = word_split(w);
	int64_t v;

	if (strcmp(w, "relative") == 0) {
		b->relative = true;
	} else if (strcmp(w, "big") == 0) {
		b->endian = RULE_ENDIAN_BIG;
	} else if (strcmp(w, "little") == 0) {
		b->endian = RULE_ENDIAN_LITTLE;
	} else if (strcmp(w, "dce") == 0) {
		b->endian = RULE_ENDIAN_DCE;
	} else if (strcmp(w, "string") == 0) {
		b->base = RULE_BASE_DEC;
		if (*arg)       /* "string hex" in one item */
			w = arg;
		else if (*i + 1 < n && (!strcmp(a[*i + 1], "hex") || !strcmp(a[*i + 1], "dec") ||
					!strcmp(a[*i + 1], "oct")))
			w = a[++*i];
		else
			return 0;
		b->base = !strcmp(w, "hex") ? RULE_BASE_HEX : !strcmp(w, "oct") ? RULE_BASE_OCT
			: !strcmp(w, "dec") ? RULE_BASE_DEC : 0;
		if (!b->base)
			return fail(c, w, "expected hex, dec or oct after string");
	} else if (!strcmp(w, "hex") || !strcmp(w, "dec") || !strcmp(w, "oct")) {
		/* the base given before or without "string" */
		b->base = !strcmp(w, "hex") ? RULE_BASE_HEX : !strcmp(w, "oct") ? RULE_BASE_OCT
								: RULE_BASE_DEC;
	} else if (strcmp(w, "bitmask") == 0) {
		if (num(c, arg, 1, UINT32_MAX, &v))
			return -1;
		b->has_bitmask = true;
		b->bitmask = (uint64_t)v;
	} else if (type != RULE_OPT_BYTE_TEST && strcmp(w, "multiplier") == 0) {
		if (num(c, arg, 1, 65535, &v))
			return -1;
		b->multiplier = (uint32_t)v;
	} else if (type == RULE_OPT_BYTE_JUMP && strcmp(w, "align") == 0 && !*arg) {
		b->align = 4;
	} else if (type == RULE_OPT_BYTE_EXTRACT && strcmp(w, "align") == 0) {
		if (num(c, arg, 2, 4, &v) || (v != 2 && v != 4))
			return fail(c, arg, "align must be 2 or 4");
		b->align = (uint8_t)v;
	} else if (type == RULE_OPT_BYTE_JUMP && strcmp(w, "from_beginning") == 0) {
		b->from_beginning = true;
	} else if (type == RULE_OPT_BYTE_JUMP && strcmp(w, "from_end") == 0) {
		b->from_end = true;
	} else if (type == RULE_OPT_BYTE_JUMP && strcmp(w, "post_offset") == 0) {
		if (val(c, arg, -65535, 65535, &b->post_offset))
			return -1;
	} else {
		return 1;       /* the caller names a[*i], the word alone */
	}
	return 0;
}

static int kw_byte(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *s; int op; } ops[] = {
		{ "<=", RULE_BYTE_LE }, { ">=", RULE_BYTE_GE }, { "<", RULE_BYTE_LT },
		{ ">", RULE_BYTE_GT }, { "=", RULE_BYTE_EQ }, { "&", RULE_BYTE_AND },
		{ "^", RULE_BYTE_OR },
	};
	struct rule_byte b = { .endian = RULE_ENDIAN_BIG, .result = -1, .multiplier = 1,
			       .nbytes_var = -1 };
	struct rule_val nb;
	struct rule_opt *o;
	char *a[24];
	int n = split(v, a, 24), i, fixed;

	b.value.var = b.offset.var = b.post_offset.var = -1;
	fixed = k->arg == RULE_OPT_BYTE_TEST ? 4 : k->arg == RULE_OPT_BYTE_EXTRACT ? 3 : 2;
	if (n < 0)
		return fail(c, v, "too many arguments");
	if (n < fixed)
		return fail(c, v, "expected at least %d arguments", fixed);
	if (val(c, a[0], 0, 23, &nb))
		return -1;
	b.nbytes = (uint8_t)nb.value;
	b.nbytes_var = nb.var;
	if (k->arg == RULE_OPT_BYTE_TEST) {
		char *op = a[1];
		size_t j;

		if (*op == '!') {
			b.negated = true;
			op = skip_ws(op + 1);
		}
		if (b.negated && (!*op || strcmp(op, "=") == 0)) {
			b.op = RULE_BYTE_EQ;    /* "!" and "!=" both mean not equal */
		} else {
			for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++)
				if (strcmp(op, ops[j].s) == 0)
					break;
			if (j == sizeof(ops) / sizeof(ops[0]))
				return fail(c, a[1], "unknown operator '%s'", a[1]);
			b.op = (uint8_t)ops[j].op;
		}
		if (val(c, a[2], 0, INT64_MAX, &b.value) || val(c, a[3], -INT32_MAX, INT32_MAX, &b.offset))
			return -1;
	} else {
		if (val(c, a[1], -INT32_MAX, INT32_MAX, &b.offset))
			return -1;
	}
	if (k->arg == RULE_OPT_BYTE_EXTRACT) {
		if (!is_ident(a[2]))
			return fail(c, a[2], "invalid variable name '%s'", a[2]);
		/* extracting into a name again overwrites it (Snort 3 rules
		 * reuse one name for several lengths) */
		b.result = (int8_t)find_var(c, a[2]);
		if (b.result < 0) {
			if (c->nvars == MAX_VARS)
				return fail(c, a[2], "more than %d byte_extract variables", MAX_VARS);
			c->vars[c->nvars] = arena_strdup(&c->rs->rules_arena, a[2]);
			if (!c->vars[c->nvars])
				return oom(c);
			b.result = (int8_t)c->nvars++;
		}
	}
	for (i = fixed; i < n; i++) {
		int rc = byte_flag(c, a, n, &i, &b, k->arg);

		if (rc < 0)
			return -1;
		if (rc > 0)
			return fail(c, a[i], "unknown option '%s'", a[i]);
	}
	if (b.nbytes_var < 0 && b.base == RULE_BASE_BINARY && (b.nbytes < 1 || b.nbytes > 8))
		return fail(c, a[0], "%u bytes: 1 to 8 unless string", b.nbytes);
	if (b.nbytes_var < 0 && b.nbytes == 0 && k->arg == RULE_OPT_BYTE_EXTRACT)
		return fail(c, a[0], "byte_extract needs at least 1 byte");
	if (b.from_beginning && b.from_end)
		return fail(c, v, "from_beginning and from_end exclude each other");
	o = new_opt(c, k->arg, c->buf);
	if (!o)
		return -1;
	o->u.byte = b;
	return 0;
}

static int kw_isdataat(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_isdataat d = { 0 };
	struct rule_opt *o;
	char *a[4];
	int n = split(v, a, 4);
	char *s;

	if (n < 0)
		return fail(c, v, "too many arguments");
	s = a[0];
	if (*s == '!') {
		d.negated = true;
		s = skip_ws(s + 1);
	}
	if (val(c, s, 0, 65535, &d.n))
		return -1;
	for (int i = 1; i < n; i++) {
		if (strcmp(a[i], "relative") == 0)
			d.relative = true;
		else if (strcmp(a[i], "rawbytes") == 0)
			d.rawbytes = true;
		else
			return fail(c, a[i], "unknown option '%s'", a[i]);
	}
	o = new_opt(c, RULE_OPT_ISDATAAT, c->buf);
	if (!o)
		return -1;
	o->u.isdataat = d;
	return 0;
}

/* ---- comparisons and header tests ---------------------------------------------- */

static int kw_cmp(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { int type; uint64_t max; } lim[] = {
		{ RULE_OPT_DSIZE, 65535 }, { RULE_OPT_BSIZE, UINT32_MAX },
		{ RULE_OPT_FRAGOFFSET, 65535 }, { RULE_OPT_TTL, 255 }, { RULE_OPT_TOS, 255 },
		{ RULE_OPT_IP_ID, 65535 }, { RULE_OPT_TCP_SEQ, UINT32_MAX },
		{ RULE_OPT_TCP_ACK, UINT32_MAX }, { RULE_OPT_TCP_WINDOW, 65535 },
		{ RULE_OPT_ITYPE, 255 }, { RULE_OPT_ICODE, 255 }, { RULE_OPT_ICMP_ID, 65535 },
		{ RULE_OPT_ICMP_SEQ, 65535 },
	};
	struct rule_cmp cmp;
	struct rule_opt *o;
	uint64_t max = 255;

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++)
		if (lim[i].type == k->arg)
			max = lim[i].max;
	if (parse_cmp(c, v, max, &cmp))
		return -1;
	o = new_opt(c, k->arg, k->arg == RULE_OPT_BSIZE ? c->buf : RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.cmp = cmp;
	return 0;
}

/* urilen:N, <N, >N, N<>M [, raw|norm]: the length of the normalised (or
 * raw) URI, a bsize on http.uri (http.uri.raw). */
static int kw_urilen(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_cmp cmp;
	struct rule_opt *o;
	char *comma = strchr(v, ',');
	bool raw = false;

	(void)k;
	if (comma) {
		char *m = trim(comma + 1);

		*comma = '\0';
		if (!strcmp(m, "raw"))
			raw = true;
		else if (strcmp(m, "norm"))
			return fail(c, m, "expected raw or norm, got '%s'", m);
	}
	if (parse_cmp(c, trim(v), UINT32_MAX, &cmp))
		return -1;
	o = new_opt(c, RULE_OPT_BSIZE, raw ? RULE_BUF_HTTP_URI_RAW : RULE_BUF_HTTP_URI);
	if (!o)
		return -1;
	o->u.cmp = cmp;
	return 0;
}

static int kw_ip_proto(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *name; int num; } names[] = {
		{ "ip", 0 }, { "hopopt", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 },
		{ "tcp", 6 }, { "egp", 8 }, { "udp", 17 }, { "ipv6", 41 }, { "ipv6-route", 43 },
		{ "ipv6-frag", 44 }, { "rsvp", 46 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
		{ "ipv6-icmp", 58 }, { "icmpv6", 58 }, { "ipv6-nonxt", 59 }, { "ipv6-opts", 60 },
		{ "eigrp", 88 }, { "ospf", 89 }, { "pim", 103 }, { "vrrp", 112 }, { "l2tp", 115 },
		{ "sctp", 132 },
	};
	int pre = (*v == '!' || *v == '<' || *v == '>') ? 1 : 0;
	const char *name = v + pre;
	struct rule_opt *o;

	if (!isalpha((unsigned char)*name))
		return kw_cmp(c, v, k);
	/* a protocol name, with the same one-character prefixes as a number */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(name, names[i].name) != 0)
			continue;
		o = new_opt(c, RULE_OPT_IP_PROTO, RULE_BUF_PAYLOAD);
		if (!o)
			return -1;
		o->u.cmp.op = !pre ? RULE_CMP_EQ : *v == '!' ? RULE_CMP_NE
			    : *v == '<' ? RULE_CMP_LT : RULE_CMP_GT;
		o->u.cmp.lo = (uint64_t)names[i].num;
		return 0;
	}
	return fail(c, name, "unknown protocol '%s'", name);
}

static int kw_flags(struct pctx *c, char *v, const struct kw *k)
{
	static const char tcp_chars[] = "FSRPAUCE";    /* bit i = 1 << i */
	struct rule_flags f = { .mode = RULE_FLAGS_EXACT };
	struct rule_opt *o;
	char *comma = strchr(v, ','), *p;
	bool frag = k->arg == RULE_OPT_FRAGBITS, mode_set = false;

	if (comma) {
		if (frag)
			return fail(c, comma, "fragbits takes no mask");
		*comma = '\0';
		for (p = skip_ws(comma + 1); *p && !isspace((unsigned char)*p); p++) {
			const char *q = strchr(tcp_chars, *p);

			if (*p == '1' || *p == '2')
				f.ignore |= *p == '1' ? TCP_CWR : TCP_ECE;
			else if (q && *p)
				f.ignore |= (uint8_t)(1u << (q - tcp_chars));
			else
				return fail(c, p, "unknown flag '%c' in the mask", *p);
		}
		trim(v);
	}
	for (p = v; *p; p++) {
		if (*p == '+' || *p == '*' || *p == '!') {
			if (mode_set)
				return fail(c, p, "more than one of + * !");
			if (*p == '!' && p != v)
				return fail(c, p, "'!' must come first");
			mode_set = true;
			f.mode = *p == '+' ? RULE_FLAGS_ALL : *p == '*' ? RULE_FLAGS_ANY : RULE_FLAGS_NOT;
			continue;
		}
		if (frag) {
			if (*p == 'M')
				f.bits |= 0x1;
			else if (*p == 'D')
				f.bits |= 0x2;
			else if (*p == 'R')
				f.bits |= 0x4;
			else
				return fail(c, p, "unknown fragment bit '%c' (M, D or R)", *p);
			continue;
		}
		if (*p == '0')
			continue;       /* no flags */
		if (*p == '1' || *p == '2') {
			f.bits |= *p == '1' ? TCP_CWR : TCP_ECE;
			continue;
		}
		{
			const char *q = *p ? strchr(tcp_chars, *p) : NULL;

			if (!q)
				return fail(c, p, "unknown flag '%c'", *p);
			f.bits |= (uint8_t)(1u << (q - tcp_chars));
		}
	}
	if (!*v)
		return fail(c, v, "missing flags");
	o = new_opt(c, k->arg, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.flags = f;
	return 0;
}

static int kw_ipopts(struct pctx *c, char *v, const struct kw *k)
{
	static const char *const names[] = {
		[RULE_IPOPT_RR] = "rr", [RULE_IPOPT_EOL] = "eol", [RULE_IPOPT_NOP] = "nop",
		[RULE_IPOPT_TS] = "ts", [RULE_IPOPT_SEC] = "sec", [RULE_IPOPT_ESEC] = "esec",
		[RULE_IPOPT_LSRR] = "lsrr", [RULE_IPOPT_LSRRE] = "lsrre",
		[RULE_IPOPT_SSRR] = "ssrr", [RULE_IPOPT_SATID] = "satid", [RULE_IPOPT_ANY] = "any",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			struct rule_opt *o = new_opt(c, RULE_OPT_IPOPTS, RULE_BUF_PAYLOAD);

			if (!o)
				return -1;
			o->u.ipopt = (uint8_t)i;
			return 0;
		}
	}
	return fail(c, v, "unknown IP option '%s'", v);
}

static int kw_sameip(struct pctx *c, char *v, const struct kw *k)
{
	return new_opt(c, RULE_OPT_SAMEIP, RULE_BUF_PAYLOAD) ? 0 : -1;
}

static int kw_stream_size(struct pctx *c, char *v, const struct kw *k)
{
	static const char *const sides[] = { "server", "client", "both", "either" };
	struct rule_stream_size ss = { 0 };
	struct rule_opt *o;
	char *a[4];
	int n = split(v, a, 4);
	size_t i;

	if (n != 3)
		return fail(c, v, "expected SIDE,OPERATOR,VALUE");
	for (i = 0; i < 4; i++)
		if (strcmp(a[0], sides[i]) == 0)
			break;
	if (i == 4)
		return fail(c, a[0], "expected server, client, both or either");
	ss.side = (uint8_t)i;
	if (strlen(a[1]) > 2 || !strchr("<>=!", a[1][0]) || (a[1][1] && a[1][1] != '='))
		return fail(c, a[1], "unknown operator '%s'", a[1]);
	if (!cmp_num(a[2], a[2] + strlen(a[2]), UINT32_MAX, &ss.cmp.lo))
		return fail(c, a[2], "invalid value '%s'", a[2]);
	ss.cmp.op = !strcmp(a[1], "<") ? RULE_CMP_LT : !strcmp(a[1], ">") ? RULE_CMP_GT
		  : !strcmp(a[1], "<=") ? RULE_CMP_LE : !strcmp(a[1], ">=") ? RULE_CMP_GE
		  : !strcmp(a[1], "!=") ? RULE_CMP_NE : !strcmp(a[1], "=") ? RULE_CMP_EQ : 255;
	if (ss.cmp.op == 255)
		return fail(c, a[1], "unknown operator '%s'", a[1]);
	o = new_opt(c, RULE_OPT_STREAM_SIZE, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.stream_size = ss;
	return 0;
}

/* ---- flow state ----------------------------------------------------------------- */

static int kw_flow(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *name; uint32_t bit; } words[] = {
		{ "to_server", RULE_FLOW_TO_SERVER }, { "from_client", RULE_FLOW_TO_SERVER },
		{ "to_client", RULE_FLOW_TO_CLIENT }, { "from_server", RULE_FLOW_TO_CLIENT },
		{ "established", RULE_FLOW_ESTABLISHED },
		{ "not_established", RULE_FLOW_NOT_ESTABLISHED },
		{ "stateless", RULE_FLOW_STATELESS }, { "only_stream", RULE_FLOW_ONLY_STREAM },
		{ "no_stream", RULE_FLOW_NO_STREAM }, { "only_frag", RULE_FLOW_ONLY_FRAG },
		{ "no_frag", RULE_FLOW_NO_FRAG },
	};
	static const uint32_t excl[][2] = {
		{ RULE_FLOW_TO_SERVER, RULE_FLOW_TO_CLIENT },
		{ RULE_FLOW_ESTABLISHED, RULE_FLOW_NOT_ESTABLISHED },
		{ RULE_FLOW_ESTABLISHED, RULE_FLOW_STATELESS },
		{ RULE_FLOW_ONLY_STREAM, RULE_FLOW_NO_STREAM },
		{ RULE_FLOW_ONLY_FRAG, RULE_FLOW_NO_FRAG },
	};
	char *a[16];
	int n = split(v, a, 16);
	uint32_t f = 0;

	if (c->r->flow)
		return fail(c, v, "flow given twice");
	if (n < 0)
		return fail(c, v, "too many flow options");
	for (int i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(words) / sizeof(words[0]); j++)
			if (strcmp(a[i], words[j].name) == 0)
				break;
		if (j == sizeof(words) / sizeof(words[0]))
			return fail(c, a[i], "unknown flow option '%s'", a[i]);
		f |= words[j].bit;
		for (size_t x = 0; x < sizeof(excl) / sizeof(excl[0]); x++)
			if ((f & excl[x][0]) && (f & excl[x][1]))
				return fail(c, a[i], "'%s' contradicts an earlier flow option", a[i]);
	}
	c->r->flow = f;
	return 0;
}

static int intern_bit(struct pctx *c, const char *name, uint16_t *id)
{
	struct ruleset *rs = c->rs;
	uintptr_t v;
	const char **slot;

	if (sm_get(&rs->bits, name, &v)) {
		*id = (uint16_t)v;
		return 0;
	}
	if (rs->bit_names.n >= UINT16_MAX)
		return fail(c, name, "too many distinct flowbit names");
	slot = vec_push(&rs->bit_names, sizeof(*slot));
	if (!slot)
		return oom(c);
	*slot = arena_strdup(&rs->keep, name);
	if (!*slot || sm_put(&rs->bits, name, rs->bit_names.n - 1)) {
		rs->bit_names.n--;
		return oom(c);
	}
	*id = (uint16_t)(rs->bit_names.n - 1);
	return 0;
}

static int bits_names(struct pctx *c, char *s, struct rule_bits *b)
{
	uint16_t ids[MAX_BITS_NAMES];
	bool and_ = strchr(s, '&') != NULL, or_ = strchr(s, '|') != NULL;
	char sep = or_ ? '|' : '&';
	int n = 0;
	char *p = s;
	uint16_t *idp;
	const char **np;

	if (and_ && or_)
		return fail(c, s, "cannot mix & and | in one flowbits");
	if (or_ && b->cmd != RULE_BITS_ISSET && b->cmd != RULE_BITS_ISNOTSET)
		return fail(c, s, "| is only allowed with isset and isnotset");
	b->any = or_;
	for (;;) {
		char *e = strchr(p, sep), *name;

		if (e)
			*e = '\0';
		name = trim(p);
		if (!*name)
			return fail(c, p, "empty flowbit name");
		for (char *q = name; *q; q++)
			if (isspace((unsigned char)*q))
				return fail(c, name, "invalid flowbit name '%s'", name);
		if (n == MAX_BITS_NAMES)
			return fail(c, name, "more than %d names", MAX_BITS_NAMES);
		if (intern_bit(c, name, &ids[n]))
			return -1;
		n++;
		if (!e)
			break;
		p = e + 1;
	}
	idp = arena_alloc(&c->rs->rules_arena, (size_t)n * sizeof(*idp));
	np = arena_alloc(&c->rs->rules_arena, (size_t)n * sizeof(*np));
	if (!idp || !np)
		return oom(c);
	for (int i = 0; i < n; i++) {
		idp[i] = ids[i];
		np[i] = c->rs->bit_names.p ? ((const char **)c->rs->bit_names.p)[ids[i]] : NULL;
	}
	b->ids = idp;
	b->names = np;
	b->n = (uint8_t)n;
	return 0;
}

static int bits_cmd(struct pctx *c, const char *s, uint8_t *cmd)
{
	static const char *const cmds[] = {
		[RULE_BITS_SET] = "set", [RULE_BITS_UNSET] = "unset",
		[RULE_BITS_TOGGLE] = "toggle", [RULE_BITS_ISSET] = "isset",
		[RULE_BITS_ISNOTSET] = "isnotset",
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(s, cmds[i]) == 0) {
			*cmd = (uint8_t)i;
			return 0;
		}
	}
	return fail(c, s, "unknown command '%s'", s);
}

static int kw_flowbits(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_bits b = { .track = RULE_TRACK_FLOW };
	struct rule_opt *o;
	char *a[3];
	int n = split(v, a, 3);

	if (n == 1 && strcmp(a[0], "noalert") == 0) {
		c->r->flags |= RULE_NOALERT;
		return 0;
	}
	if (n != 2)
		return fail(c, v, "expected COMMAND,NAME");
	if (bits_cmd(c, a[0], &b.cmd) || bits_names(c, a[1], &b))
		return -1;
	o = new_opt(c, RULE_OPT_FLOWBITS, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.bits = b;
	return 0;
}

static int kw_xbits(struct pctx *c, char *v, const struct kw *k)
{
	static const char *const tracks[] = {
		[RULE_TRACK_IP_SRC] = "ip_src", [RULE_TRACK_IP_DST] = "ip_dst",
		[RULE_TRACK_IP_PAIR] = "ip_pair", [RULE_TRACK_TX] = "tx",
	};
	struct rule_bits b = { .track = RULE_TRACK_FLOW };
	struct rule_opt *o;
	char *a[5];
	int n = split(v, a, 5);
	bool track = false;

	if (n == 1 && strcmp(a[0], "noalert") == 0) {
		c->r->flags |= RULE_NOALERT;
		return 0;
	}
	if (n < 3)
		return fail(c, v, "expected COMMAND,NAME,track TRACK[,expire SECONDS]");
	if (bits_cmd(c, a[0], &b.cmd) || bits_names(c, a[1], &b))
		return -1;
	for (int i = 2; i < n; i++) {
		char *arg = word_split(a[i]);

		if (strcmp(a[i], "track") == 0) {
			size_t j;

			for (j = RULE_TRACK_IP_SRC; j <= RULE_TRACK_TX; j++)
				if (strcmp(arg, tracks[j]) == 0)
					break;
			if (j > RULE_TRACK_TX)
				return fail(c, arg, "expected ip_src, ip_dst, ip_pair or tx");
			b.track = (uint8_t)j;
			track = true;
		} else if (strcmp(a[i], "expire") == 0) {
			if (num_u32(c, arg, 1, &b.expire))
				return -1;
		} else {
			return fail(c, a[i], "unknown option '%s'", a[i]);
		}
	}
	if (!track)
		return fail(c, v, "missing track");
	o = new_opt(c, RULE_OPT_XBITS, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.bits = b;
	return 0;
}

static int kw_flowint(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *s; int op; bool value; } ops[] = {
		{ "=", RULE_FLOWINT_SET, true }, { "+", RULE_FLOWINT_ADD, true },
		{ "-", RULE_FLOWINT_SUB, true }, { "==", RULE_FLOWINT_EQ, true },
		{ "!=", RULE_FLOWINT_NE, true }, { "<", RULE_FLOWINT_LT, true },
		{ "<=", RULE_FLOWINT_LE, true }, { ">", RULE_FLOWINT_GT, true },
		{ ">=", RULE_FLOWINT_GE, true }, { "isset", RULE_FLOWINT_ISSET, false },
		{ "notset", RULE_FLOWINT_NOTSET, false },
		{ "isnotset", RULE_FLOWINT_NOTSET, false },
	};
	struct rule_flowint fi = { 0 };
	struct rule_opt *o;
	char *a[4];
	int n = split(v, a, 4);
	size_t j;

	if (n < 2 || n > 3 || !*a[0])
		return fail(c, v, "expected NAME,OPERATOR[,VALUE]");
	for (j = 0; j < sizeof(ops) / sizeof(ops[0]); j++)
		if (strcmp(a[1], ops[j].s) == 0)
			break;
	if (j == sizeof(ops) / sizeof(ops[0]))
		return fail(c, a[1], "unknown operator '%s'", a[1]);
	if (ops[j].value != (n == 3))
		return fail(c, a[1], ops[j].value ? "'%s' needs a value" : "'%s' takes no value",
			    a[1]);
	fi.op = (uint8_t)ops[j].op;
	fi.name = arena_strdup(&c->rs->rules_arena, a[0]);
	if (!fi.name)
		return oom(c);
	if (n == 3) {
		int64_t x;

		if (is_ident(a[2])) {
			fi.var = arena_strdup(&c->rs->rules_arena, a[2]);
			if (!fi.var)
				return oom(c);
		} else if (num(c, a[2], 0, UINT32_MAX, &x)) {
			return -1;
		} else {
			fi.value = (uint64_t)x;
		}
	}
	o = new_opt(c, RULE_OPT_FLOWINT, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.flowint = fi;
	return 0;
}

/* Whether every protocol the rule matches carries ports. */
static bool ported_only(const struct rule *r)
{
	bool any = false;

	if (r->flags & RULE_PROTO_ANY)
		return false;
	for (unsigned p = 0; p < 256; p++) {
		if (!(r->protos[p >> 3] & (1u << (p & 7))))
			continue;
		if (p != 6 && p != 17 && p != 132)
			return false;
		any = true;
	}
	return any;
}

static int kw_threshold(struct pctx *c, char *v, const struct kw *k)
{
	static const char *const types[] = { NULL, "limit", "threshold", "both", NULL,
					     "backoff" };
	static const char *const tracks[] = { "by_src", "by_dst", "by_rule", "by_both",
					      "by_flow" };
	bool df = k->arg == RULE_THRESH_DETECTION_FILTER;
	struct rule_threshold *t = df ? &c->r->detection_filter : &c->r->threshold;
	bool has_type = df, has_track = false, has_count = false, has_seconds = false;
	bool has_mult = false;
	char *a[8];
	int n = split(v, a, 8);

	if (t->type != RULE_THRESH_NONE)
		return fail(c, v, "%s given twice", k->name);
	if (n < 0)
		return fail(c, v, "too many options");
	t->type = df ? RULE_THRESH_DETECTION_FILTER : RULE_THRESH_NONE;
	for (int i = 0; i < n; i++) {
		char *arg = word_split(a[i]);
		size_t j;

		if (!df && strcmp(a[i], "type") == 0) {
			for (j = 1; j < 6; j++)
				if (types[j] && strcmp(arg, types[j]) == 0)
					break;
			if (j == 6)
				return fail(c, arg, "expected limit, threshold, both or backoff");
			t->type = (uint8_t)j;
			has_type = true;
		} else if (strcmp(a[i], "track") == 0) {
			for (j = 0; j < 5; j++)
				if (strcmp(arg, tracks[j]) == 0)
					break;
			if (j == 5)
				return fail(c, arg, "expected by_src, by_dst, by_rule, by_both or by_flow");
			t->track = (uint8_t)j;
			has_track = true;
		} else if (strcmp(a[i], "count") == 0) {
			if (num_u32(c, arg, 1, &t->count))
				return -1;
			has_count = true;
		} else if (strcmp(a[i], "seconds") == 0) {
			if (num_u32(c, arg, 1, &t->seconds))
				return -1;
			has_seconds = true;
		} else if (!df && strcmp(a[i], "multiplier") == 0) {
			if (num_u32(c, arg, 2, &t->multiplier))
				return -1;
			has_mult = true;
		} else if (df && strcmp(a[i], "unique_on") == 0) {
			if (strcmp(arg, "src_port") == 0)
				t->unique_on = 1;
			else if (strcmp(arg, "dst_port") == 0)
				t->unique_on = 2;
			else
				return fail(c, arg, "expected src_port or dst_port");
		} else {
			return fail(c, a[i], "unknown option '%s'", a[i]);
		}
	}
	/* backoff counts alerts, not time: multiplier instead of seconds */
	if (t->type == RULE_THRESH_BACKOFF) {
		if (has_seconds)
			return fail(c, v, "backoff takes multiplier, not seconds");
		has_seconds = has_mult;
		if (!has_mult)
			return fail(c, v, "missing multiplier");
		/* Suricata keeps backoff state on the flow only */
		if (has_track && t->track != RULE_TRACK_BY_FLOW)
			return fail(c, v, "backoff needs track by_flow");
	} else if (has_mult) {
		return fail(c, v, "multiplier is for type backoff only");
	}
	/* distinct ports need a protocol with ports, as in Suricata */
	if (t->unique_on && !ported_only(c->r))
		return fail(c, v, "unique_on needs a tcp, udp or sctp rule");
	if (!has_type || !has_track || !has_count || !has_seconds) {
		t->type = RULE_THRESH_NONE;
		return fail(c, v, "missing %s", !has_type ? "type" : !has_track ? "track"
					       : !has_count ? "count" : "seconds");
	}
	return 0;
}

static int kw_base64_decode(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_base64 b = { 0 };
	struct rule_opt *o;
	char *a[4];
	int n = v ? split(v, a, 4) : 0;

	if (n < 0)
		return fail(c, v, "too many options");
	for (int i = 0; i < n; i++) {
		char *arg = word_split(a[i]);

		if (strcmp(a[i], "bytes") == 0) {
			if (num_u32(c, arg, 1, &b.bytes))
				return -1;
		} else if (strcmp(a[i], "offset") == 0) {
			if (num_u32(c, arg, 0, &b.offset))
				return -1;
		} else if (strcmp(a[i], "relative") == 0 && !*arg) {
			b.relative = true;
		} else if (*a[i]) {
			return fail(c, a[i], "unknown option '%s'", a[i]);
		}
	}
	o = new_opt(c, RULE_OPT_BASE64_DECODE, c->buf);
	if (!o)
		return -1;
	o->u.base64 = b;
	return 0;
}

/* A recognised app-layer keyword, kept as written for the app-layer stage. */
static int kw_app(struct pctx *c, char *v, const struct kw *k)
{
	struct rule_opt *o = new_opt(c, RULE_OPT_APP, c->buf);

	if (!o)
		return -1;
	o->u.app.name = k->name;        /* static storage */
	o->u.app.value = v ? arena_strdup(&c->rs->rules_arena, v) : NULL;
	c->app = true;
	return !v || o->u.app.value ? 0 : oom(c);
}

/* A value in optional double quotes, trimmed. */
static char *unquote(char *v)
{
	size_t n;

	v = trim(v);
	n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v[n - 1] = '\0';
		v = trim(v + 1);
	}
	return v;
}

/* tls.version:1.0|1.1|1.2|1.3|0xHHHH (Suricata; quotes allowed). */
static int kw_tls_version(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *name; uint16_t ver; } names[] = {
		{ "1.0", 0x0301 }, { "1.1", 0x0302 }, { "1.2", 0x0303 }, { "1.3", 0x0304 },
	};
	struct rule_tls_version tv = { 0, false };
	struct rule_opt *o;
	char *s = unquote(v);

	(void)k;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			tv.ver = names[i].ver;
	if (!tv.ver) {
		char *end;
		unsigned long x;

		if (strncasecmp(s, "0x", 2) || strlen(s) != 6)
			return fail(c, s, "expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH, got '%s'", s);
		x = strtoul(s + 2, &end, 16);
		if (*end || !isxdigit((unsigned char)s[2]))
			return fail(c, s, "expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH, got '%s'", s);
		tv.ver = (uint16_t)x;
		tv.raw = true;
	}
	o = new_opt(c, RULE_OPT_TLS_VERSION, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.tls_version = tv;
	c->app = true;
	return 0;
}

/* ssl_version:[!]name[,[!]name]... with sslv2, sslv3, tls1.0 .. tls1.3. */
static int kw_ssl_version(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *name; uint8_t bit; } names[] = {
		{ "sslv2", RULE_SSL_V2 }, { "sslv3", RULE_SSL_V3 }, { "tls1.0", RULE_SSL_TLS10 },
		{ "tls1.1", RULE_SSL_TLS11 }, { "tls1.2", RULE_SSL_TLS12 },
		{ "tls1.3", RULE_SSL_TLS13 },
	};
	struct rule_ssl_version sv = { 0, 0 };
	struct rule_opt *o;
	char *a[8];
	int n = split(v, a, 8);

	(void)k;
	if (n < 0)
		return fail(c, v, "too many versions (at most 8)");
	for (int i = 0; i < n; i++) {
		char *s = a[i];
		bool neg = *s == '!';
		uint8_t bit = 0;

		if (neg)
			s = trim(s + 1);
		s = unquote(s);
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (!strcasecmp(s, names[j].name))
				bit = names[j].bit;
		if (!bit)
			return fail(c, s, "unknown version '%s' (sslv2, sslv3, tls1.0, tls1.1, "
				    "tls1.2, tls1.3)", s);
		if ((sv.want | sv.deny) & bit)
			return fail(c, s, "'%s' named twice", s);
		if (neg)
			sv.deny |= bit;
		else
			sv.want |= bit;
	}
	o = new_opt(c, RULE_OPT_SSL_VERSION, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.ssl_version = sv;
	c->app = true;
	return 0;
}

/* ssl_state:[!]state[|[!]state]... (',' works as '|', as in Snort). */
static int kw_ssl_state(struct pctx *c, char *v, const struct kw *k)
{
	static const struct { const char *name; uint8_t bit; } names[] = {
		{ "client_hello", RULE_SSL_CLIENT_HELLO }, { "server_hello", RULE_SSL_SERVER_HELLO },
		{ "client_keyx", RULE_SSL_CLIENT_KEYX }, { "server_keyx", RULE_SSL_SERVER_KEYX },
		{ "unknown", RULE_SSL_UNKNOWN },
	};
	struct rule_ssl_state ss = { 0, 0 };
	struct rule_opt *o;
	char *p = v;

	(void)k;
	for (;;) {
		char *s = p, *e = p + strcspn(p, "|,");
		bool last = !*e, neg;
		uint8_t bit = 0;

		*e = '\0';
		s = trim(s);
		neg = *s == '!';
		if (neg)
			s = trim(s + 1);
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
			if (!strcmp(s, names[j].name))
				bit = names[j].bit;
		if (!bit)
			return fail(c, s, "unknown state '%s' (client_hello, server_hello, "
				    "client_keyx, server_keyx, unknown)", s);
		if (ss.states & bit)
			return fail(c, s, "'%s' named twice", s);
		ss.states |= bit;
		if (neg)
			ss.negated |= bit;
		if (last)
			break;
		p = e + 1;
	}
	o = new_opt(c, RULE_OPT_SSL_STATE, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.ssl_state = ss;
	c->app = true;
	return 0;
}

/*
 * app-layer-protocol:[!]proto[|proto]...[,qualifier]... (Suricata 8; one
 * protocol and one mode before it). Qualifiers: a mode (direction,
 * to_server, to_client, either, final, original) and exact. A protocol
 * Suricata knows but mamori does not detect is recorded as such (the
 * engine then skips the rule); a name Suricata does not know is an error.
 */
static int kw_app_proto(struct pctx *c, char *v, const struct kw *k)
{
	static const char *const undetected[] = {
		"http2", "ftp", "ftp-data", "smtp", "ssh", "imap", "pop3", "jabber", "smb",
		"dcerpc", "irc", "modbus", "enip", "dnp3", "nfs", "ntp", "tftp", "ike",
		"ikev2", "krb5", "quic", "dhcp", "snmp", "sip", "rfb", "mqtt", "pgsql",
		"telnet", "rdp", "bittorrent-dht", "ldap", "doh2", "websocket", "mdns",
		"template", "arp", "pop3s", "sctp",
	};
	static const struct { const char *name; uint8_t mode; } modes[] = {
		{ "direction", RULE_ALP_DIRECTION }, { "to_server", RULE_ALP_TO_SERVER },
		{ "to_client", RULE_ALP_TO_CLIENT }, { "either", RULE_ALP_EITHER },
		{ "final", RULE_ALP_FINAL }, { "original", RULE_ALP_FINAL },
	};
	struct rule_app_proto ap = { 0, RULE_ALP_DIRECTION, false, false, false };
	struct rule_opt *o;
	char *a[8], *p;
	bool have_mode = false;
	int n = split(v, a, 8);

	(void)k;
	if (n < 0)
		return fail(c, v, "too many qualifiers");
	p = a[0];
	ap.negated = *p == '!';
	if (ap.negated)
		p = trim(p + 1);
	for (;;) {
		char *e = p + strcspn(p, "|");
		bool last = !*e, known = false;
		char *name;

		*e = '\0';
		name = trim(p);
		if (!strcmp(name, "http") || !strcmp(name, "http1")) {
			ap.protos |= RULE_ALP_HTTP;
		} else if (!strcmp(name, "tls")) {
			ap.protos |= RULE_ALP_TLS;
		} else if (!strcmp(name, "dns")) {
			ap.protos |= RULE_ALP_DNS;
		} else if (!strcmp(name, "failed")) {
			ap.protos |= RULE_ALP_FAILED;
		} else if (!strcmp(name, "unknown")) {
			if (ap.negated)
				return fail(c, name, "unknown cannot be negated");
			ap.protos |= RULE_ALP_UNKNOWN;
		} else {
			for (size_t j = 0; j < sizeof(undetected) / sizeof(undetected[0]); j++)
				known |= !strcmp(name, undetected[j]);
			if (!known)
				return fail(c, name, "unknown protocol '%s'", name);
			ap.undetected = true;
		}
		if (last)
			break;
		p = e + 1;
	}
	for (int i = 1; i < n; i++) {
		bool ok = false;

		if (!strcmp(a[i], "exact")) {
			ap.exact = true;
			continue;
		}
		for (size_t j = 0; j < sizeof(modes) / sizeof(modes[0]); j++) {
			if (strcmp(a[i], modes[j].name))
				continue;
			if (have_mode)
				return fail(c, a[i], "more than one mode");
			ap.mode = modes[j].mode;
			have_mode = ok = true;
		}
		if (!ok)
			return fail(c, a[i], "unknown qualifier '%s' (direction, to_server, "
				    "to_client, either, final, original, exact)", a[i]);
	}
	o = new_opt(c, RULE_OPT_APP_PROTO, RULE_BUF_PAYLOAD);
	if (!o)
		return -1;
	o->u.app_proto = ap;
	c->app = true;
	return 0;
}

/* ---- the keyword table ------------------------------------------------------------ */

static const struct kw keywords[] = {
	/* meta */
	{ "msg", kw_msg, KW_VALUE, 0 },
	{ "sid", kw_sid, KW_VALUE, 0 },
	{ "rev", kw_sid, KW_VALUE, 1 },
	{ "gid", kw_sid, KW_VALUE, 2 },
	{ "classtype", kw_classtype, KW_VALUE, 0 },
	{ "priority", kw_priority, KW_VALUE, 0 },
	{ "reference", kw_reference, KW_VALUE, 0 },
	{ "metadata", kw_metadata, KW_VALUE, 0 },
	{ "target", kw_target, KW_VALUE, 0 },
	{ "noalert", kw_noalert, KW_NOVALUE, 0 },
	{ "tag", kw_tag, 0, 0 },
	{ "service", kw_service, KW_VALUE, 0 },
	/* payload */
	{ "content", kw_content, KW_VALUE, -1 },
	{ "uricontent", kw_uricontent, KW_VALUE | KW_APP, 0 },
	{ "nocase", kw_mod, KW_NOVALUE, MOD_NOCASE },
	{ "rawbytes", kw_mod, KW_NOVALUE, MOD_RAWBYTES },
	{ "depth", kw_mod, KW_VALUE, MOD_DEPTH },
	{ "offset", kw_mod, KW_VALUE, MOD_OFFSET },
	{ "distance", kw_mod, KW_VALUE, MOD_DISTANCE },
	{ "within", kw_mod, KW_VALUE, MOD_WITHIN },
	{ "fast_pattern", kw_mod, 0, MOD_FAST_PATTERN },
	{ "startswith", kw_mod, KW_NOVALUE, MOD_STARTSWITH },
	{ "endswith", kw_mod, KW_NOVALUE, MOD_ENDSWITH },
	{ "pcre", kw_pcre, KW_VALUE, 0 },
	{ "isdataat", kw_isdataat, KW_VALUE, 0 },
	{ "byte_test", kw_byte, KW_VALUE, RULE_OPT_BYTE_TEST },
	{ "byte_jump", kw_byte, KW_VALUE, RULE_OPT_BYTE_JUMP },
	{ "byte_extract", kw_byte, KW_VALUE, RULE_OPT_BYTE_EXTRACT },
	{ "dsize", kw_cmp, KW_VALUE, RULE_OPT_DSIZE },
	{ "bsize", kw_cmp, KW_VALUE, RULE_OPT_BSIZE },
	{ "bufferlen", kw_cmp, KW_VALUE, RULE_OPT_BSIZE },
	{ "base64_decode", kw_base64_decode, 0, 0 },
	/* transforms of the current sticky buffer */
	{ "dotprefix", kw_transform, KW_NOVALUE, 0 },
	{ "domain", kw_transform, KW_NOVALUE, 0 },
	{ "tld", kw_transform, KW_NOVALUE, 0 },
	{ "strip_whitespace", kw_transform, KW_NOVALUE, 0 },
	{ "compress_whitespace", kw_transform, KW_NOVALUE, 0 },
	{ "to_lowercase", kw_transform, KW_NOVALUE, 0 },
	{ "to_uppercase", kw_transform, KW_NOVALUE, 0 },
	{ "to_md5", kw_transform, KW_NOVALUE, 0 },
	{ "to_sha1", kw_transform, KW_NOVALUE, 0 },
	{ "to_sha256", kw_transform, KW_NOVALUE, 0 },
	{ "url_decode", kw_transform, KW_NOVALUE, 0 },
	{ "header_lowercase", kw_transform, KW_NOVALUE, 0 },
	{ "strip_pseudo_headers", kw_transform, KW_NOVALUE, 0 },
	{ "from_base64", kw_transform, 0, 0 },
	{ "xor", kw_transform, KW_VALUE, 0 },
	{ "pcrexform", kw_transform, KW_VALUE, 0 },
	{ "gunzip", kw_transform, 0, 0 },
	{ "zlib_deflate", kw_transform, 0, 0 },
	/* IP, TCP, ICMP */
	{ "flags", kw_flags, KW_VALUE, RULE_OPT_FLAGS },
	{ "tcp.flags", kw_flags, KW_VALUE, RULE_OPT_FLAGS },
	{ "fragbits", kw_flags, KW_VALUE, RULE_OPT_FRAGBITS },
	{ "fragoffset", kw_cmp, KW_VALUE, RULE_OPT_FRAGOFFSET },
	{ "ttl", kw_cmp, KW_VALUE, RULE_OPT_TTL },
	{ "tos", kw_cmp, KW_VALUE, RULE_OPT_TOS },
	{ "id", kw_cmp, KW_VALUE, RULE_OPT_IP_ID },
	{ "ip_proto", kw_ip_proto, KW_VALUE, RULE_OPT_IP_PROTO },
	{ "ipopts", kw_ipopts, KW_VALUE, 0 },
	{ "sameip", kw_sameip, KW_NOVALUE, 0 },
	{ "seq", kw_cmp, KW_VALUE, RULE_OPT_TCP_SEQ },
	{ "ack", kw_cmp, KW_VALUE, RULE_OPT_TCP_ACK },
	{ "window", kw_cmp, KW_VALUE, RULE_OPT_TCP_WINDOW },
	{ "itype", kw_cmp, KW_VALUE, RULE_OPT_ITYPE },
	{ "icode", kw_cmp, KW_VALUE, RULE_OPT_ICODE },
	{ "icmp_id", kw_cmp, KW_VALUE, RULE_OPT_ICMP_ID },
	{ "icmp_seq", kw_cmp, KW_VALUE, RULE_OPT_ICMP_SEQ },
	{ "stream_size", kw_stream_size, KW_VALUE, 0 },
	/* flow state */
	{ "flow", kw_flow, KW_VALUE, 0 },
	{ "flowbits", kw_flowbits, KW_VALUE, 0 },
	{ "xbits", kw_xbits, KW_VALUE, 0 },
	{ "flowint", kw_flowint, KW_VALUE, 0 },
	{ "threshold", kw_threshold, KW_VALUE, RULE_THRESH_LIMIT },
	{ "detection_filter", kw_threshold, KW_VALUE, RULE_THRESH_DETECTION_FILTER },
	/* application layer: recognised and recorded, matched by a later stage */
	{ "urilen", kw_urilen, KW_VALUE | KW_APP, 0 },
	{ "app-layer-event", kw_app, KW_VALUE | KW_APP, 0 },
	{ "app-layer-protocol", kw_app_proto, KW_VALUE | KW_APP, 0 },
	{ "tls.version", kw_tls_version, KW_VALUE | KW_APP, 0 },
	{ "tls.subject", kw_app, KW_VALUE | KW_APP, 0 },
	{ "tls.issuerdn", kw_app, KW_VALUE | KW_APP, 0 },
	{ "tls.fingerprint", kw_app, KW_VALUE | KW_APP, 0 },
	{ "tls.store", kw_app, KW_NOVALUE | KW_APP, 0 },
	{ "tls_cert_notbefore", kw_app, KW_VALUE | KW_APP, 0 },
	{ "tls_cert_notafter", kw_app, KW_VALUE | KW_APP, 0 },
	{ "tls_cert_expired", kw_app, KW_NOVALUE | KW_APP, 0 },
	{ "tls_cert_valid", kw_app, KW_NOVALUE | KW_APP, 0 },
	{ "ssl_state", kw_ssl_state, KW_VALUE | KW_APP, 0 },
	{ "ssl_version", kw_ssl_version, KW_VALUE | KW_APP, 0 },
	{ "dce_iface", kw_app, KW_VALUE | KW_APP, 0 },
	{ "dce_opnum", kw_app, KW_VALUE | KW_APP, 0 },
	{ "dns.opcode", kw_app, KW_VALUE | KW_APP, 0 },
	{ "ftpbounce", kw_app, KW_NOVALUE | KW_APP, 0 },
	{ "ssh.protoversion", kw_app, KW_VALUE | KW_APP, 0 },
	{ "ssh.softwareversion", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filename", kw_app, KW_VALUE | KW_APP, 0 },
	{ "fileext", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filemagic", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filestore", kw_app, KW_APP, 0 },
	{ "filemd5", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filesha1", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filesha256", kw_app, KW_VALUE | KW_APP, 0 },
	{ "filesize", kw_app, KW_VALUE | KW_APP, 0 },
};

static int build_keywords(struct ruleset *rs)
{
	static const struct kw bufs[] = {
#define X(id, sticky, legacy, app) { sticky, kw_buffer, 0, RULE_BUF_##id },
		RULE_BUFFERS(X)
#undef X
#define X(id, sticky, legacy, app) { legacy, kw_buffer, 0, RULE_BUF_##id },
		RULE_BUFFERS(X)
#undef X
	};

	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (sm_put(&rs->keywords, keywords[i].name, (uintptr_t)&keywords[i]))
			return -ENOMEM;
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		if (bufs[i].name && sm_put(&rs->keywords, bufs[i].name, (uintptr_t)&bufs[i]))
			return -ENOMEM;
	return 0;
}

/* ---- names ------------------------------------------------------------------------ */

const char *rule_app_name(enum rule_app app)
{
	static const char *const names[] = {
#define X(id, name) name,
		RULE_APP_PROTOS(X)
#undef X
	};

	return (unsigned)app < RULE_APP_MAX ? names[app] : "";
}

const char *rule_buffer_name(enum rule_buffer b)
{
	static const char *const names[] = {
#define X(id, sticky, legacy, app) sticky,
		RULE_BUFFERS(X)
#undef X
	};

	return (unsigned)b < RULE_BUF_MAX ? names[b] : "";
}

bool rule_buffer_is_app(enum rule_buffer b)
{
	return b > RULE_BUF_BASE64 && b < RULE_BUF_MAX;
}

/* ---- header ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t app;
	bool tcp, udp;
	const char *var;        /* port group that names its ports, if defined */
	const char *ports;      /* otherwise these */
} app_protos[] = {
	{ "http", RULE_APP_HTTP, true, false, "HTTP_PORTS", "80" },
	{ "http1", RULE_APP_HTTP, true, false, "HTTP_PORTS", "80" },
	{ "http2", RULE_APP_HTTP2, true, false, "HTTP_PORTS", "80" },
	{ "tls", RULE_APP_TLS, true, false, "TLS_PORTS", "[443,465,563,636,853,989,990,992:995,8443]" },
	{ "ssl", RULE_APP_TLS, true, false, "TLS_PORTS", "[443,465,563,636,853,989,990,992:995,8443]" },
	{ "dns", RULE_APP_DNS, true, true, "DNS_PORTS", "53" },
	{ "smtp", RULE_APP_SMTP, true, false, "SMTP_PORTS", "[25,465,587]" },
	{ "ftp", RULE_APP_FTP, true, false, "FTP_PORTS", "21" },
	{ "ftp-data", RULE_APP_FTP_DATA, true, false, NULL, "any" },
	{ "ssh", RULE_APP_SSH, true, false, "SSH_PORTS", "22" },
	{ "smb", RULE_APP_SMB, true, false, NULL, "[139,445]" },
	{ "dcerpc", RULE_APP_DCERPC, true, true, NULL, "[135,139,445,593]" },
	{ "imap", RULE_APP_IMAP, true, false, NULL, "[143,993]" },
	{ "pop3", RULE_APP_POP3, true, false, NULL, "[110,995]" },
	{ "sip", RULE_APP_SIP, true, true, "SIP_PORTS", "[5060,5061]" },
	{ "snmp", RULE_APP_SNMP, false, true, NULL, "[161,162]" },
	{ "ntp", RULE_APP_NTP, false, true, NULL, "123" },
	{ "tftp", RULE_APP_TFTP, false, true, NULL, "69" },
	{ "dhcp", RULE_APP_DHCP, false, true, NULL, "[67,68]" },
	{ "krb5", RULE_APP_KRB5, true, true, NULL, "88" },
	{ "nfs", RULE_APP_NFS, true, true, NULL, "2049" },
	{ "rdp", RULE_APP_RDP, true, false, NULL, "3389" },
	{ "modbus", RULE_APP_MODBUS, true, false, "MODBUS_PORTS", "502" },
	{ "dnp3", RULE_APP_DNP3, true, true, "DNP3_PORTS", "20000" },
	{ "enip", RULE_APP_ENIP, true, true, NULL, "[2222,44818]" },
	{ "mqtt", RULE_APP_MQTT, true, false, NULL, "1883" },
	{ "ike", RULE_APP_IKE, false, true, NULL, "[500,4500]" },
	{ "quic", RULE_APP_QUIC, false, true, NULL, "443" },
	{ "telnet", RULE_APP_TELNET, true, false, NULL, "23" },
	{ "ldap", RULE_APP_LDAP, true, true, NULL, "[389,636,3268,3269]" },
	{ "pgsql", RULE_APP_PGSQL, true, false, NULL, "5432" },
};

static void set_proto(struct rule *r, uint8_t p)
{
	r->protos[p >> 3] |= (uint8_t)(1u << (p & 7));
}

static int parse_proto(struct pctx *c, char *tok, int *app)
{
	struct rule *r = c->r;

	*app = -1;
	if (!strcmp(tok, "ip") || !strcmp(tok, "ipv4") || !strcmp(tok, "ip4") ||
	    !strcmp(tok, "ipv6") || !strcmp(tok, "ip6")) {
		memset(r->protos, 0xff, sizeof(r->protos));
		r->flags |= RULE_PROTO_ANY;
		r->ip_version = strchr(tok, '4') ? 4 : strchr(tok, '6') ? 6 : 0;
	} else if (!strcmp(tok, "tcp") || !strcmp(tok, "tcp-pkt") || !strcmp(tok, "tcp-stream")) {
		set_proto(r, 6);
		r->tcp_mode = !tok[3] ? RULE_TCP_ANY : tok[4] == 'p' ? RULE_TCP_PKT : RULE_TCP_STREAM;
	} else if (!strcmp(tok, "udp")) {
		set_proto(r, 17);
	} else if (!strcmp(tok, "icmp")) {
		set_proto(r, 1);        /* as in Suricata: both ICMP versions */
		set_proto(r, 58);
	} else if (!strcmp(tok, "icmpv4")) {
		set_proto(r, 1);
	} else if (!strcmp(tok, "icmpv6")) {
		set_proto(r, 58);
	} else if (!strcmp(tok, "sctp")) {
		set_proto(r, 132);
	} else {
		size_t i;

		for (i = 0; i < sizeof(app_protos) / sizeof(app_protos[0]); i++)
			if (!strcmp(tok, app_protos[i].name))
				break;
		if (i == sizeof(app_protos) / sizeof(app_protos[0]))
			return fail_at(c, "protocol", tok, "unknown protocol '%s'", tok);
		r->app = app_protos[i].app;
		if (app_protos[i].tcp)
			set_proto(r, 6);
		if (app_protos[i].udp)
			set_proto(r, 17);
		*app = (int)i;
	}
	return 0;
}

/* Compile (or find) the set for an address or port expression; errors
 * point into the rule at at + offset when at is the expression itself. */
static int header_set(struct pctx *c, const char *kw, const char *expr, const char *at,
		      bool port, const void **out)
{
	struct smap *m = port ? &c->rs->port_sets : &c->rs->addr_sets;
	struct expr_error err;
	uintptr_t v;
	int rc;

	if (sm_get(m, expr, &v)) {
		*out = (const void *)v;
		return 0;
	}
	if (port)
		rc = port_set_parse(c->rs->vars, expr, (struct port_set **)&v, &err);
	else
		rc = addr_set_parse(c->rs->vars, expr, (struct addr_set **)&v, &err);
	if (rc == -ENOMEM)
		return oom(c);
	if (rc)
		return fail_at(c, kw, at == expr && err.off <= strlen(expr) ? at + err.off : at,
			       "%s", err.reason);
	if (sm_put(m, expr, v)) {
		free((void *)v);
		return oom(c);
	}
	*out = (const void *)v;
	return 0;
}

/* Next header token, NUL-terminated in place; NULL at the end. A token
 * ends at whitespace outside brackets, so "[a, b]" is one token. */
static char *next_token(char **pp)
{
	char *p = skip_ws(*pp), *t = p;
	int depth = 0;

	if (!*p)
		return NULL;
	for (; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (depth == 0 && isspace((unsigned char)*p))
			break;
	}
	if (depth > 0) {
		/* an unclosed '[': end the token at the first blank so the
		 * expression parser reports the missing ']' there */
		for (p = t; *p && !isspace((unsigned char)*p); p++)
			;
	}
	if (*p)
		*p++ = '\0';
	*pp = p;
	return t;
}

/* The header is p up to hend: where '(' was (has_open), or the rule's end. */
static int parse_header(struct pctx *c, char *p, char *hend, bool has_open)
{
	static const char *const actions[] = {
		[RULE_ACTION_ALERT] = "alert", [RULE_ACTION_PASS] = "pass",
		[RULE_ACTION_DROP] = "drop", [RULE_ACTION_REJECT] = "reject",
		[RULE_ACTION_REJECTSRC] = "rejectsrc", [RULE_ACTION_REJECTDST] = "rejectdst",
		[RULE_ACTION_REJECTBOTH] = "rejectboth",
	};
	static const char *const names[5] = { "src_addr", "src_port", "direction",
					      "dst_addr", "dst_port" };
	char *tok[5], *act, *proto, *rest;
	const void *set;
	size_t i;
	int app;

	act = next_token(&p);
	for (i = 0; act && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(act, actions[i]))
			break;
	if (!act || i == sizeof(actions) / sizeof(actions[0]))
		return fail_at(c, "action", act, "unknown action '%s'", act ? act : "");
	c->r->action = (uint8_t)i;
	proto = next_token(&p);
	if (!proto)
		return fail_at(c, "protocol", hend, "missing protocol");
	if (parse_proto(c, proto, &app))
		return -1;
	if (app >= 0) {
		/* the protocol's usual ports: its port group when defined */
		char expr[80];

		if (app_protos[app].var && rule_vars_get(c->rs->vars, true, app_protos[app].var))
			snprintf(expr, sizeof(expr), "$%s", app_protos[app].var);
		else
			snprintf(expr, sizeof(expr), "%s", app_protos[app].ports);
		if (header_set(c, "protocol", expr, proto, true, &set))
			return -1;
		c->r->app_ports = set;
	}
	if (!*skip_ws(p) && has_open) {
		/* Snort 3 service rule: "alert http (...)", any to any */
		c->snort3 = true;
		if (header_set(c, "src_addr", "any", proto, false, &set))
			return -1;
		c->r->src_addr = c->r->dst_addr = set;
		if (header_set(c, "src_port", "any", proto, true, &set))
			return -1;
		c->r->src_port = c->r->dst_port = set;
		c->r->flags |= RULE_BIDIRECTIONAL;
		return 0;
	}
	for (int n = 0; n < 5; n++) {
		tok[n] = next_token(&p);
		if (!tok[n])
			return fail_at(c, names[n], hend, "missing %s", names[n]);
	}
	rest = skip_ws(p);
	if (*rest) {
		int w = 0;

		while (rest[w] && !isspace((unsigned char)rest[w]) && w < 32)
			w++;
		return fail_at(c, "rule", rest, "unexpected '%.*s' after the header", w, rest);
	}
	if (!has_open)
		return fail_at(c, "rule", hend, "expected '(' after the header");
	if (!strcmp(tok[2], "<>"))
		c->r->flags |= RULE_BIDIRECTIONAL;
	else if (strcmp(tok[2], "->"))
		return fail_at(c, "direction", tok[2], "expected -> or <>, not '%s'", tok[2]);
	if (header_set(c, "src_addr", tok[0], tok[0], false, &set))
		return -1;
	c->r->src_addr = set;
	if (header_set(c, "src_port", tok[1], tok[1], true, &set))
		return -1;
	c->r->src_port = set;
	if (header_set(c, "dst_addr", tok[3], tok[3], false, &set))
		return -1;
	c->r->dst_addr = set;
	if (header_set(c, "dst_port", tok[4], tok[4], true, &set))
		return -1;
	c->r->dst_port = set;
	return 0;
}

/* ---- options ----------------------------------------------------------------------- */

/* Split "(kw:value; kw; ...)" into options in place. */
static int split_options(struct pctx *c, char *p, struct vec *out)
{
	for (;;) {
		struct rawopt *o;
		char *kw, *v = NULL;

		p = skip_ws(p);
		if (!*p)
			return 0;
		kw = p;
		while (*p && *p != ':' && *p != ';' && !isspace((unsigned char)*p))
			p++;
		if (p == kw)
			return fail_at(c, "rule", p, "expected a keyword, found '%c'", *p);
		{
			char *e = p;

			p = skip_ws(p);
			if (*p == ':') {
				/* as in Suricata, the value ends at the first ';' not
				 * escaped by a backslash, quotes or not: a regex such
				 * as "/^["']?x/" holds a lone quote */
				v = ++p;
				for (; *p && *p != ';'; p++)
					if (*p == '\\' && p[1])
						p++;
			} else if (*p && *p != ';') {
				*e = '\0';
				return fail_at(c, kw, p, "expected ':' or ';' after the keyword");
			}
			if (*p != ';') {
				*e = '\0';
				return fail_at(c, kw, kw, "unterminated option (missing ';')");
			}
			*e = '\0';
			*p++ = '\0';
		}
		if (v) {
			v = trim(v);
		}
		o = vec_push(out, sizeof(*o));
		if (!o)
			return oom(c);
		o->kw = kw;
		o->val = v;
	}
}

static bool looks_snort3(const struct rawopt *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(o[i].kw, "service"))
			return true;
		if (!strcmp(o[i].kw, "content") && o[i].val) {
			/* a comma after the closing quote: inline modifiers */
			const char *p = o[i].val;
			size_t len = strlen(p);

			if (len && p[len - 1] != '"' && strchr(p, '"') &&
			    strchr(strrchr(p, '"'), ','))
				return true;
		}
	}
	return false;
}

static void count_unsupported(struct pctx *c, const char *name)
{
	struct ruleset *rs = c->rs;
	const char **seen = rs->uns.p;
	uintptr_t idx;
	struct unsupported *u;

	for (size_t i = 0; i < rs->uns.n; i++)
		if (!strcmp(seen[i], name))
			return;         /* counted once per rule */
	seen = vec_push(&rs->uns, sizeof(*seen));
	if (seen)
		*seen = name;
	if (sm_get(&rs->unsup_map, name, &idx)) {
		((struct unsupported *)rs->unsup.p)[idx].rules++;
		return;
	}
	u = vec_push(&rs->unsup, sizeof(*u));
	if (!u)
		return;
	u->name = arena_strdup(&rs->keep, name);
	u->rules = 1;
	if (!u->name || sm_put(&rs->unsup_map, name, rs->unsup.n - 1))
		rs->unsup.n--;
}

static int parse_options(struct pctx *c, char *body)
{
	struct vec raw = { 0 };
	struct rawopt *ro;
	int rc = -1;

	if (split_options(c, body, &raw))
		goto out;
	ro = raw.p;
	c->snort3 = c->snort3 || looks_snort3(ro, raw.n);
	for (size_t i = 0; i < raw.n && !c->failed; i++) {
		uintptr_t v;
		const struct kw *k;

		c->kw = ro[i].kw;
		if (!sm_get(&c->rs->keywords, ro[i].kw, &v)) {
			count_unsupported(c, ro[i].kw);
			if (!c->errored) {
				uint32_t line, col;

				where(c, ro[i].kw, &line, &col);
				add_error(c->rs, &c->rs->errors, c->file, line, col, ro[i].kw,
					  "unsupported keyword", c->r->sid);
				c->errored = true;
			}
			c->unsupported = true;
			continue;
		}
		k = (const struct kw *)v;
		if ((k->flags & KW_VALUE) && (!ro[i].val || !*ro[i].val)) {
			fail(c, ro[i].kw, "missing value");
			break;
		}
		if ((k->flags & KW_NOVALUE) && ro[i].val && *ro[i].val) {
			fail(c, ro[i].val, "takes no value");
			break;
		}
		if (k->flags & KW_APP)
			c->app = true;
		if (k->fn(c, ro[i].val && *ro[i].val ? ro[i].val : NULL, k))
			break;
	}
	rc = c->failed ? -1 : 0;
out:
	free(raw.p);
	return rc;
}

/* ---- finishing a rule -------------------------------------------------------------- */

static size_t json_str(char *out, const char *s)
{
	size_t n = 0;

	if (out)
		out[n] = '"';
	n++;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			if (out) {
				out[n] = '\\';
				out[n + 1] = (char)ch;
			}
			n += 2;
		} else if (ch < 0x20) {
			if (out)
				snprintf(out + n, 7, "\\u%04x", ch);
			n += 6;
		} else {
			if (out)
				out[n] = (char)ch;
			n++;
		}
	}
	if (out)
		out[n] = '"';
	return n + 1;
}

/* {"key":["v1","v2"],...} with keys in order of first appearance. */
static char *metadata_json(struct pctx *c, const struct rule_meta *m, size_t n)
{
	char *out = NULL;

	for (int pass = 0; pass < 2; pass++) {
		size_t len = 0;

		if (out)
			out[len] = '{';
		len++;
		for (size_t i = 0; i < n; i++) {
			bool first = true;
			size_t j;

			for (j = 0; j < i; j++)
				if (!strcmp(m[j].key, m[i].key))
					break;
			if (j < i)
				continue;       /* key already written */
			if (len > 1) {
				if (out)
					out[len] = ',';
				len++;
			}
			len += json_str(out ? out + len : NULL, m[i].key);
			if (out) {
				out[len] = ':';
				out[len + 1] = '[';
			}
			len += 2;
			for (j = i; j < n; j++) {
				if (strcmp(m[j].key, m[i].key))
					continue;
				if (!first) {
					if (out)
						out[len] = ',';
					len++;
				}
				first = false;
				len += json_str(out ? out + len : NULL, m[j].value);
			}
			if (out)
				out[len] = ']';
			len++;
		}
		if (out) {
			out[len] = '}';
			out[len + 1] = '\0';
			return out;
		}
		out = arena_alloc(&c->rs->rules_arena, len + 2);
		if (!out)
			return NULL;
	}
	return out;
}

static int finish_rule(struct pctx *c)
{
	struct ruleset *rs = c->rs;
	struct rule *r = c->r, *stored, **slot;
	char key[32];
	uintptr_t prev;

	c->kw = "sid";
	if (!c->has_sid)
		return fail(c, NULL, "missing sid");
	if (!c->has_gid)
		r->gid = 1;
	snprintf(key, sizeof(key), "%u:%u", r->gid, r->sid);
	if (sm_get(&rs->sids, key, &prev)) {
		const struct rule *first = ((struct rule **)rs->rules.p)[prev];

		return fail(c, c->sid_at, "duplicate sid %s (first defined at %s:%u)", key,
			    first->file, first->line);
	}
	if (!r->msg)
		r->msg = "";
	if (!r->priority)
		r->priority = 3;
	if (c->snort3)
		r->flags |= RULE_SNORT3;
	if (c->app)
		r->flags |= RULE_NEEDS_APP_LAYER;
	r->opts = arena_memdup(&rs->rules_arena, rs->opts.p, rs->opts.n * sizeof(struct rule_opt));
	r->nopts = (uint32_t)rs->opts.n;
	r->refs = arena_memdup(&rs->rules_arena, rs->refs.p, rs->refs.n * sizeof(struct rule_ref));
	r->nrefs = (uint32_t)rs->refs.n;
	r->meta = arena_memdup(&rs->rules_arena, rs->meta.p, rs->meta.n * sizeof(struct rule_meta));
	r->nmeta = (uint32_t)rs->meta.n;
	r->services = arena_memdup(&rs->rules_arena, rs->services.p,
				   rs->services.n * sizeof(char *));
	r->nservices = (uint32_t)rs->services.n;
	r->vars = arena_memdup(&rs->rules_arena, c->vars, (size_t)c->nvars * sizeof(char *));
	r->nvars = (uint8_t)c->nvars;
	r->metadata_json = r->nmeta ? metadata_json(c, r->meta, r->nmeta) : NULL;
	if (!r->opts || !r->refs || !r->meta || !r->services || !r->vars ||
	    (r->nmeta && !r->metadata_json))
		return oom(c);
	stored = arena_memdup(&rs->rules_arena, r, sizeof(*r));
	slot = vec_push(&rs->rules, sizeof(*slot));
	if (!stored || !slot)
		return oom(c);
	*slot = stored;
	if (sm_put(&rs->sids, key, rs->rules.n - 1)) {
		rs->rules.n--;
		return oom(c);
	}
	return 0;
}

/* Parse one logical rule; text is the joined line (modified in place). */
static int parse_rule(struct ruleset *rs, const char *file, char *text,
		      const struct seg *segs, size_t nsegs)
{
	struct rule r = { .priority = 0 };
	struct pctx c = {
		.rs = rs, .file = file, .text = text, .len = strlen(text), .segs = segs,
		.nsegs = nsegs, .r = &r, .last_content = -1, .buf = RULE_BUF_PAYLOAD,
	};
	struct arena_mark mark = arena_mark(&rs->rules_arena);
	char *p = skip_ws(text), *end, *open;
	uint32_t col;

	c.start = p;
	rs->opts.n = rs->refs.n = rs->meta.n = rs->services.n = rs->uns.n = 0;
	r.file = file;
	where(&c, p, &r.line, &col);
	/* keep the text as written before it is cut up */
	end = text + c.len;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	r.text = arena_strndup(&rs->rules_arena, p, (size_t)(end - p));
	if (!r.text) {
		oom(&c);
		goto failed;
	}
	/* a sid to attach to errors, found before anything else can fail */
	for (const char *s = strstr(p, "sid:"); s; s = strstr(s + 1, "sid:")) {
		if (s == p || s[-1] == ';' || s[-1] == '(' || isspace((unsigned char)s[-1])) {
			unsigned long v = strtoul(s + 4, NULL, 10);

			r.sid = v <= UINT32_MAX ? (uint32_t)v : 0;
			break;
		}
	}
	/* the header never contains '(', so the first one opens the options */
	open = strchr(p, '(');
	if (open)
		*open = '\0';
	if (parse_header(&c, p, open ? open : end, open != NULL))
		goto failed;
	if (end - 1 <= open || end[-1] != ')') {
		fail_at(&c, "rule", end - 1, "missing ')' at the end of the rule");
		goto failed;
	}
	end[-1] = '\0';
	if (parse_options(&c, open + 1))
		goto failed;
	if (c.unsupported)
		goto failed;
	if (finish_rule(&c))
		goto failed;
	if (r.flags & RULE_NEEDS_APP_LAYER)
		rs->app_layer++;
	return 0;
failed:
	rs->failed++;
	if (c.unsupported && !c.failed)
		rs->failed_unsup++;
	arena_rewind(&rs->rules_arena, mark);
	return -1;
}

/* ---- files -------------------------------------------------------------------------- */

static bool is_action(const char *p, size_t *len)
{
	static const char *const actions[] = {
		"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth",
	};

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		size_t n = strlen(actions[i]);

		if (!strncmp(p, actions[i], n) && isspace((unsigned char)p[n])) {
			*len = n;
			return true;
		}
	}
	return false;
}

/* "# alert tcp ... (...)": a rule switched off by commenting it out. */
static bool disabled_rule(const char *p)
{
	size_t n;

	while (*p == '#' || isspace((unsigned char)*p))
		p++;
	return is_action(p, &n) && strchr(p, '(') && strchr(p, ')');
}

/* Error at p in a logical line (classification lines). */
static void line_error(struct ruleset *rs, const char *file, char *text, const char *p,
		       const char *kw, const char *reason)
{
	struct rule dummy = { 0 };
	struct pctx c = { .rs = rs, .file = file, .text = text, .len = strlen(text),
			  .start = text, .segs = rs->segs.p, .nsegs = rs->segs.n, .r = &dummy };
	uint32_t line, col;

	where(&c, p, &line, &col);
	add_error(rs, &rs->errors, file, line, col, kw, reason, 0);
}

static void class_line(struct ruleset *rs, const char *file, char *text, const char *p)
{
	struct expr_error err;
	int rc = class_table_parse_line(rs->classes, p, &err);

	if (rc == 1)
		rs->have_classes = true;
	else if (rc == -ENOMEM)
		line_error(rs, file, text, p, "classification", "out of memory");
	else if (rc < 0)
		line_error(rs, file, text, p + err.off, "classification", err.reason);
}

/*
 * Cut text into logical lines (backslash continuation joined, with the
 * map back to physical lines in rs->segs) and hand each to fn.
 */
static int each_line(struct ruleset *rs, const char *text, size_t len, const char *file,
		     void (*fn)(struct ruleset *, const char *, char *))
{
	size_t pos = 0, used = 0;
	uint32_t lineno = 0;

	rs->segs.n = 0;
	while (pos < len) {
		size_t e = pos, ll;
		bool cont;
		struct seg *s;

		while (e < len && text[e] != '\n')
			e++;
		ll = e - pos;
		if (ll && text[pos + ll - 1] == '\r')
			ll--;
		lineno++;
		cont = ll && text[pos + ll - 1] == '\\';
		if (cont)
			ll--;
		if (rs->line_cap < used + ll + 1) {
			size_t cap = (used + ll + 1) * 2;
			char *nl = realloc(rs->line, cap);

			if (!nl)
				return -ENOMEM;
			rs->line = nl;
			rs->line_cap = cap;
		}
		s = vec_push(&rs->segs, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->off = used;
		s->line = lineno;
		memcpy(rs->line + used, text + pos, ll);
		used += ll;
		rs->line[used] = '\0';
		pos = e < len ? e + 1 : len;
		if (cont && pos < len)
			continue;
		fn(rs, file, rs->line);
		used = 0;
		rs->segs.n = 0;
	}
	return 0;
}

static void rule_line(struct ruleset *rs, const char *file, char *line)
{
	char *p = skip_ws(line);

	if (!*p)
		return;
	if (*p == '#') {
		if (disabled_rule(p + 1))
			rs->disabled++;
	} else if (!strncmp(p, "config", 6) && isspace((unsigned char)p[6])) {
		class_line(rs, file, line, p);
	} else {
		parse_rule(rs, file, line, rs->segs.p, rs->segs.n);
	}
}

static void classification_line(struct ruleset *rs, const char *file, char *line)
{
	class_line(rs, file, line, line);
}

static int cmp_unsup(const void *a, const void *b)
{
	const struct unsupported *x = a, *y = b;

	if (x->rules != y->rules)
		return x->rules > y->rules ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void sort_unsupported(struct ruleset *rs)
{
	struct unsupported *u = rs->unsup.p;

	if (!rs->unsup.n)
		return;
	qsort(u, rs->unsup.n, sizeof(*u), cmp_unsup);
	for (size_t i = 0; i < rs->unsup.n; i++)
		sm_put(&rs->unsup_map, u[i].name, i);  /* cannot fail: key exists */
}

int ruleset_load_string(struct ruleset *rs, const char *text, const char *name)
{
	const char *file = arena_strdup(&rs->keep, name ? name : "<string>");
	int rc;

	if (!file)
		return -ENOMEM;
	rc = each_line(rs, text, strlen(text), file, rule_line);
	sort_unsupported(rs);
	return rc;
}

static char *read_all(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	*err = 0;
	if (!f) {
		*err = -errno;
		return NULL;
	}
	do {
		if (cap - n < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				*err = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f)) {
		*err = -EIO;
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

static int load_file(struct ruleset *rs, const char *path,
		     void (*fn)(struct ruleset *, const char *, char *))
{
	size_t len = 0;
	int rc;
	char *text = read_all(path, &len, &rc);
	const char *file;

	if (!text)
		return rc;
	file = arena_strdup(&rs->keep, path);
	rc = file ? each_line(rs, text, len, file, fn) : -ENOMEM;
	sort_unsupported(rs);
	free(text);
	return rc;
}

int ruleset_load_file(struct ruleset *rs, const char *path)
{
	return load_file(rs, path, rule_line);
}

int ruleset_load_classification(struct ruleset *rs, const char *path)
{
	return load_file(rs, path, classification_line);
}

/* ---- life cycle and accessors --------------------------------------------------- */

struct ruleset *ruleset_new(const struct config *cfg, const char *classification_path)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	int rc = -ENOMEM;

	if (!rs)
		goto fail;
	rs->vars = rule_vars_new(cfg);
	rs->classes = class_table_new();
	if (!rs->vars || !rs->classes || build_keywords(rs))
		goto fail;
	if (classification_path) {
		rc = ruleset_load_classification(rs, classification_path);
		if (rc)
			goto fail;
	}
	return rs;
fail:
	ruleset_free(rs);
	errno = -rc;
	return NULL;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	rule_vars_free(rs->vars);
	class_table_free(rs->classes);
	sm_free(&rs->addr_sets, true);
	sm_free(&rs->port_sets, true);
	sm_free(&rs->keywords, false);
	sm_free(&rs->sids, false);
	sm_free(&rs->bits, false);
	sm_free(&rs->unsup_map, false);
	free(rs->rules.p);
	free(rs->errors.p);
	free(rs->warnings.p);
	free(rs->unsup.p);
	free(rs->bit_names.p);
	free(rs->opts.p);
	free(rs->refs.p);
	free(rs->meta.p);
	free(rs->services.p);
	free(rs->uns.p);
	free(rs->segs.p);
	free(rs->line);
	arena_free(&rs->keep);
	arena_free(&rs->rules_arena);
	free(rs);
}

size_t ruleset_count(const struct ruleset *rs) { return rs->rules.n; }
size_t ruleset_failed(const struct ruleset *rs) { return rs->failed; }
size_t ruleset_failed_unsupported(const struct ruleset *rs) { return rs->failed_unsup; }
size_t ruleset_disabled(const struct ruleset *rs) { return rs->disabled; }
size_t ruleset_app_layer(const struct ruleset *rs) { return rs->app_layer; }

const struct rule *ruleset_rule(const struct ruleset *rs, size_t i)
{
	return i < rs->rules.n ? ((struct rule **)rs->rules.p)[i] : NULL;
}

size_t ruleset_error_count(const struct ruleset *rs) { return rs->errors.n; }

const struct rule_error *ruleset_error(const struct ruleset *rs, size_t i)
{
	return i < rs->errors.n ? &((struct rule_error *)rs->errors.p)[i] : NULL;
}

size_t ruleset_warning_count(const struct ruleset *rs) { return rs->warnings.n; }

const struct rule_error *ruleset_warning(const struct ruleset *rs, size_t i)
{
	return i < rs->warnings.n ? &((struct rule_error *)rs->warnings.p)[i] : NULL;
}

size_t ruleset_unsupported_count(const struct ruleset *rs) { return rs->unsup.n; }

int ruleset_unsupported(const struct ruleset *rs, size_t i, const char **name, size_t *rules)
{
	const struct unsupported *u;

	if (i >= rs->unsup.n)
		return -ENOENT;
	u = &((const struct unsupported *)rs->unsup.p)[i];
	*name = u->name;
	*rules = u->rules;
	return 0;
}

int ruleset_inherit_bits(struct ruleset *rs, const struct ruleset *prev)
{
	if (rs->bit_names.n)
		return -EINVAL;         /* only before anything was loaded */
	for (size_t i = 0; i < prev->bit_names.n; i++) {
		const char *name = ((const char **)prev->bit_names.p)[i];
		const char **slot = vec_push(&rs->bit_names, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		*slot = arena_strdup(&rs->keep, name);
		if (!*slot || sm_put(&rs->bits, name, rs->bit_names.n - 1)) {
			rs->bit_names.n--;
			return -ENOMEM;
		}
	}
	return 0;
}

size_t ruleset_bit_count(const struct ruleset *rs) { return rs->bit_names.n; }

const char *ruleset_bit_name(const struct ruleset *rs, size_t id)
{
	return id < rs->bit_names.n ? ((const char **)rs->bit_names.p)[id] : NULL;
}

const struct class_table *ruleset_classes(const struct ruleset *rs)
{
	return rs->classes;
}
