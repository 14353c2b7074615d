/*
 * config: the YAML configuration as a small tree, a schema that checks it,
 * and the typed view (struct mamori_config) that the rest of mamori reads.
 *
 * libyaml's document loader turns each file into a throwaway yaml_document;
 * we copy that into our own tree of maps, lists and scalars, each node
 * keeping the file and line it came from, and merge the tree over what the
 * config already holds: maps merge key by key, scalars and lists replace.
 * Everything is a string in the tree; types are the schema's business, not
 * the parser's, so `HTTP_PORTS: 80` and `HTTP_PORTS: "80"` are the same and
 * an error can quote exactly what the operator wrote. An empty value
 * (`key:`, `~`, `null`) means "not set here": it leaves what was there,
 * except that it empties a list, so `rule-files:` means no rule files.
 *
 * Validation walks the tree and matches every node's key path against the
 * schema table (`*` any map key, `#` any list index), so an unknown key or a
 * bad value comes back as FILE:LINE: KEY: reason; of several errors it
 * reports the one met first reading the sources in order. The schema also
 * tells --set where a dotted name is one key (vars.address-groups.X,
 * librdkafka's compression.type) rather than a path. config_apply() reads the
 * typed fields through the same table and the same value checks, so it
 * cannot accept what config_validate() would refuse. The tree is built and
 * read at startup only; nothing here is on the packet path.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "mamori/config.h"
#include "mamori/log.h"
#include "mamori/stream.h"

static const char default_yaml[] =
#include "default-config.h"
	;

/* Deeper than any sensible config; also stops alias loops in the loader. */
#define MAX_DEPTH 32
/* Bounds alias expansion ("billion laughs") while copying a document. */
#define MAX_NODES 100000
/* A config file larger than this is a mistake (a pcap given to -c?). */
#define MAX_FILE_SIZE (16u << 20)

enum node_kind { NODE_SCALAR, NODE_MAP, NODE_LIST };

struct node {
	enum node_kind kind;
	bool null;              /* scalar written as nothing, ~ or null */
	int line;               /* of the key for map members, else the node */
	const char *file;       /* interned in struct config */
	char *key;              /* name in the parent map; NULL otherwise */
	char *value;            /* scalars */
	struct node **kids;     /* maps and lists, in document order */
	size_t n, cap;
};

/* File names, shared by all nodes that came from one file. */
struct file_name {
	struct file_name *next;
	unsigned ord;           /* order of first use: default, files, --set */
	char name[];
};

struct config {
	struct node *root;      /* always a map */
	struct file_name *files;
};

/* ---- errors ------------------------------------------------------------ */

static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int set_err(struct config_error *e, const char *file, int line,
		   const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Fill *e (when not NULL) and return -1, so callers can `return set_err()`. */
static int set_err(struct config_error *e, const char *file, int line,
		   const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	copy_str(e->file, sizeof(e->file), file ? file : "");
	e->line = line;
	copy_str(e->key, sizeof(e->key), key ? key : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n < len ? *off + (size_t)n : len;
}

void config_error_format(const struct config_error *e, char *buf, size_t len)
{
	size_t off = 0;
	bool sep = false;

	if (!len)
		return;
	buf[0] = '\0';
	if (e->file[0]) {
		append(buf, len, &off, "%s", e->file);
		if (e->line > 0)
			append(buf, len, &off, ":%d", e->line);
		sep = true;
	}
	if (e->key[0]) {
		append(buf, len, &off, "%s%s", sep ? ": " : "", e->key);
		sep = true;
	}
	if (e->msg[0])
		append(buf, len, &off, "%s%s", sep ? ": " : "", e->msg);
}

/* ---- the tree ------------------------------------------------------------ */

static struct node *node_new(enum node_kind kind, const char *file, int line)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n) {
		n->kind = kind;
		n->file = file;
		n->line = line;
	}
	return n;
}

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->value);
	free(n);
}

static int node_add(struct node *parent, struct node *kid)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct node **kids = realloc(parent->kids, cap * sizeof(*kids));

		if (!kids)
			return -1;
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

static struct node *map_get(const struct node *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->kids[i]->key, key) == 0)
			return map->kids[i];
	return NULL;
}

/* Turn a node into an empty container of the given kind. */
static void node_make(struct node *n, enum node_kind kind)
{
	free(n->value);
	n->value = NULL;
	n->null = false;
	n->kind = kind;
}

static const char *intern(struct config *c, const char *name)
{
	struct file_name *f;
	size_t len = strlen(name);

	for (f = c->files; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f->name;
	f = malloc(sizeof(*f) + len + 1);
	if (!f)
		return NULL;
	memcpy(f->name, name, len + 1);
	f->ord = c->files ? c->files->ord + 1 : 0;
	f->next = c->files;
	c->files = f;
	return f->name;
}

/* A key path under construction: the segments from the root to a node. */
struct keypath {
	unsigned depth;
	const char *seg[MAX_DEPTH];
	bool idx[MAX_DEPTH];            /* segment is a list index */
	char num[MAX_DEPTH][24];
};

static void keypath_push(struct keypath *kp, const char *key, size_t index)
{
	if (key) {
		kp->seg[kp->depth] = key;
		kp->idx[kp->depth] = false;
	} else {
		snprintf(kp->num[kp->depth], sizeof(kp->num[0]), "%zu", index);
		kp->seg[kp->depth] = kp->num[kp->depth];
		kp->idx[kp->depth] = true;
	}
	kp->depth++;
}

static const char *keypath_str(const struct keypath *kp, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < kp->depth; i++)
		append(buf, len, &off, "%s%s", i ? "." : "", kp->seg[i]);
	return buf;
}

/*
 * Find the node at a dotted path. Keys may themselves hold dots (librdkafka
 * property names do), so at each map every key that is a prefix of the rest
 * of the path, ending at a dot, is tried; list elements go by number.
 */
static const struct node *lookup(const struct node *n, const char *path)
{
	if (!*path)
		return n;
	if (n->kind == NODE_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			const struct node *k = n->kids[i];
			size_t len = strlen(k->key);
			const struct node *r;

			if (strncmp(path, k->key, len) != 0)
				continue;
			if (path[len] == '\0')
				return k;
			if (path[len] != '.' || path[len + 1] == '\0')
				continue;
			r = lookup(k, path + len + 1);
			if (r)
				return r;
		}
	} else if (n->kind == NODE_LIST && isdigit((unsigned char)*path)) {
		char *end;
		unsigned long i;

		errno = 0;
		i = strtoul(path, &end, 10);
		if (errno || (*end && (*end != '.' || !end[1])) || i >= n->n)
			return NULL;
		return lookup(n->kids[i], *end ? end + 1 : end);
	}
	return NULL;
}

/* ---- loading ------------------------------------------------------------- */

/* State of copying one yaml_document into a tree. */
struct loader {
	yaml_document_t *doc;
	const char *file;               /* interned */
	struct config_error *err;
	size_t count;                   /* nodes built so far */
	struct keypath kp;              /* of the node being built */
};

static int load_error(struct loader *ld, int line, const char *msg)
{
	char key[256];

	return set_err(ld->err, ld->file, line,
		       keypath_str(&ld->kp, key, sizeof(key)), "%s", msg);
}

static bool is_null_scalar(const yaml_node_t *y)
{
	const char *s = (const char *)y->data.scalar.value;

	if (y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* Copy a scalar's text; libyaml allows "\0" escapes, C strings do not. */
static char *scalar_copy(struct loader *ld, const yaml_node_t *y, int line)
{
	char *s;

	if (memchr(y->data.scalar.value, '\0', y->data.scalar.length)) {
		load_error(ld, line, "value holds a NUL byte");
		return NULL;
	}
	s = strdup((const char *)y->data.scalar.value);
	if (!s)
		load_error(ld, line, "out of memory");
	return s;
}

static struct node *build(struct loader *ld, yaml_node_t *y, int line);

static int build_map(struct loader *ld, yaml_node_t *y, struct node *map)
{
	for (yaml_node_pair_t *p = y->data.mapping.pairs.start;
	     p < y->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
		int line = k ? (int)k->start_mark.line + 1 : map->line;
		struct node *kid = NULL;
		char *name;

		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return load_error(ld, line, "a key must be a plain name");
		name = scalar_copy(ld, k, line);
		if (!name)
			return -1;
		keypath_push(&ld->kp, name, 0);
		/* Both would be read from one file; which one wins is a guess
		 * the operator should not have to make. */
		if (map_get(map, name))
			load_error(ld, line, "duplicate key");
		else
			kid = build(ld, v, line);
		ld->kp.depth--;
		if (!kid) {
			free(name);
			return -1;
		}
		kid->key = name;
		if (node_add(map, kid) < 0) {
			node_free(kid);
			return load_error(ld, line, "out of memory");
		}
	}
	return 0;
}

static int build_list(struct loader *ld, yaml_node_t *y, struct node *list)
{
	size_t i = 0;

	for (yaml_node_item_t *it = y->data.sequence.items.start;
	     it < y->data.sequence.items.top; it++, i++) {
		yaml_node_t *v = yaml_document_get_node(ld->doc, *it);
		int line = v ? (int)v->start_mark.line + 1 : list->line;
		struct node *kid;

		if (!v)
			return load_error(ld, line, "bad list element");
		keypath_push(&ld->kp, NULL, i);
		kid = build(ld, v, line);
		ld->kp.depth--;
		if (!kid)
			return -1;
		if (node_add(list, kid) < 0) {
			node_free(kid);
			return load_error(ld, line, "out of memory");
		}
	}
	return 0;
}

/* Copy a libyaml node into a new tree node, located at line. */
static struct node *build(struct loader *ld, yaml_node_t *y, int line)
{
	enum node_kind kind;
	struct node *n = NULL;
	int rc = -1;

	if (ld->kp.depth >= MAX_DEPTH) {
		load_error(ld, line, "nested too deeply");
		goto out;
	}
	if (++ld->count > MAX_NODES) {
		load_error(ld, line, "too many values (alias expansion?)");
		goto out;
	}
	switch (y->type) {
	case YAML_SCALAR_NODE:
		kind = NODE_SCALAR;
		break;
	case YAML_MAPPING_NODE:
		kind = NODE_MAP;
		break;
	case YAML_SEQUENCE_NODE:
		kind = NODE_LIST;
		break;
	default:
		load_error(ld, line, "empty node");
		goto out;
	}
	n = node_new(kind, ld->file, line);
	if (!n) {
		load_error(ld, line, "out of memory");
		goto out;
	}
	if (kind == NODE_SCALAR) {
		n->null = is_null_scalar(y);
		n->value = scalar_copy(ld, y, line);
		rc = n->value ? 0 : -1;
	} else if (kind == NODE_MAP) {
		rc = build_map(ld, y, n);
	} else {
		rc = build_list(ld, y, n);
	}
out:
	if (rc < 0) {
		node_free(n);
		n = NULL;
	}
	return n;
}

/*
 * Merge map src over map dst, consuming src: a new key moves over, maps
 * merge, an empty value keeps what was there (or empties a list), anything
 * else replaces.
 */
static int merge(struct node *dst, struct node *src)
{
	int rc = 0;

	for (size_t i = 0; i < src->n; i++) {
		struct node *s = src->kids[i];
		struct node *d = map_get(dst, s->key);

		src->kids[i] = NULL;
		if (!d) {
			if (node_add(dst, s) < 0) {
				node_free(s);
				rc = -1;
			}
			continue;
		}
		if (d->kind == NODE_MAP && s->kind == NODE_MAP) {
			if (merge(d, s) < 0)
				rc = -1;
			continue;
		}
		if (s->kind == NODE_SCALAR && s->null) {
			if (d->kind != NODE_LIST) {
				node_free(s);
				continue;
			}
			node_make(s, NODE_LIST);
		}
		for (size_t j = 0; j < dst->n; j++)
			if (dst->kids[j] == d)
				dst->kids[j] = s;
		node_free(d);
	}
	node_free(src);
	return rc;
}

static int line_at(const char *text, size_t len, size_t offset)
{
	int line = 1;

	for (size_t i = 0; i < offset && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

static int parse_error(const yaml_parser_t *p, const char *text, size_t len,
		       const char *file, struct config_error *err)
{
	const char *problem = p->problem ? p->problem : "invalid YAML";
	int line;

	if (p->error == YAML_MEMORY_ERROR)
		return set_err(err, file, 0, "", "out of memory");
	/* The reader (bad encoding) reports a byte offset, not a mark. */
	if (p->error == YAML_READER_ERROR)
		line = line_at(text, len, p->problem_offset);
	else
		line = (int)p->problem_mark.line + 1;
	if (p->context)
		return set_err(err, file, line, "", "%s (%s at line %d)", problem,
			       p->context, (int)p->context_mark.line + 1);
	return set_err(err, file, line, "", "%s", problem);
}

/* Parse text and merge it over c; c is unchanged unless this succeeds. */
static int load_text(struct config *c, const char *text, size_t len,
		     const char *name, struct config_error *err)
{
	struct loader ld = { .err = err };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	bool have_parser = false, have_doc = false;
	struct node *tree = NULL;
	int rc = -1;

	ld.file = intern(c, name);
	if (!ld.file) {
		set_err(err, name, 0, "", "out of memory");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		set_err(err, name, 0, "", "out of memory");
		goto out;
	}
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(&parser, text, len, ld.file, err);
		goto out;
	}
	have_doc = true;
	ld.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root) {
		int line = (int)root->start_mark.line + 1;

		if (root->type != YAML_MAPPING_NODE) {
			load_error(&ld, line, "the top level must be a map of keys");
			goto out;
		}
		tree = build(&ld, root, line);
		if (!tree)
			goto out;
	}
	yaml_document_delete(&doc);
	have_doc = false;

	/* A second document would otherwise be silently ignored. */
	if (!yaml_parser_load(&parser, &doc)) {
		parse_error(&parser, text, len, ld.file, err);
		goto out;
	}
	have_doc = true;
	if (yaml_document_get_root_node(&doc)) {
		set_err(err, ld.file, (int)doc.start_mark.line + 1, "",
			"only one YAML document is allowed");
		goto out;
	}
	if (tree && merge(c->root, tree) < 0) {
		tree = NULL;
		set_err(err, ld.file, 0, "", "out of memory");
		goto out;
	}
	tree = NULL;
	rc = 0;
out:
	node_free(tree);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	return rc;
}

int config_load_string(struct config *c, const char *yaml, const char *name,
		       struct config_error *err)
{
	return load_text(c, yaml, strlen(yaml), name ? name : "<string>", err);
}

int config_load_file(struct config *c, const char *path, struct config_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	/* Read it whole so that encoding errors, which libyaml reports as
	 * byte offsets, can be turned into line numbers. */
	if (!f) {
		set_err(err, path, 0, "", "cannot open: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		size_t r;

		if (len > MAX_FILE_SIZE) {
			set_err(err, path, 0, "", "larger than %u MiB; not a config file?",
				MAX_FILE_SIZE >> 20);
			goto out;
		}
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				set_err(err, path, 0, "", "out of memory");
				goto out;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		set_err(err, path, 0, "", "cannot read: %s", strerror(errno));
		goto out;
	}
	rc = load_text(c, buf, len, path, err);
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

struct config *config_new_default(void)
{
	struct config *c = calloc(1, sizeof(*c));
	struct config_error err;
	char msg[1024];

	if (!c)
		goto fail;
	c->root = node_new(NODE_MAP, NULL, 0);
	if (!c->root)
		goto fail;
	c->root->file = intern(c, "<default>");
	if (!c->root->file)
		goto fail;
	/* The default is part of the program: a failure here is a bug, and
	 * saying which key is wrong beats a bare NULL. */
	if (load_text(c, default_yaml, sizeof(default_yaml) - 1, "<default>", &err) < 0 ||
	    config_validate(c, &err) < 0) {
		config_error_format(&err, msg, sizeof(msg));
		log_error("built-in configuration: %s", msg);
		goto fail;
	}
	return c;
fail:
	config_free(c);
	return NULL;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	node_free(c->root);
	while (c->files) {
		struct file_name *f = c->files;

		c->files = f->next;
		free(f);
	}
	free(c);
}

/* ---- value parsing --------------------------------------------------------- */

int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int config_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *name;
		unsigned shift;
	} suffixes[] = {
		{ "", 0 },
		{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
	};
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	/* "64 mb" reads naturally; a space with no suffix after it is not. */
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		if (!*p)
			return -1;
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		unsigned sh = suffixes[i].shift;

		if (strcasecmp(p, suffixes[i].name) != 0)
			continue;
		if (sh && v > (UINT64_MAX >> sh))
			return -1;
		*out = v << sh;
		return 0;
	}
	return -1;
}

/* Decimal only: "010" is ten, not eight, whatever YAML 1.1 thinks. */
static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return -1;
	*out = v;
	return 0;
}

/* ---- schema ------------------------------------------------------------------ */

enum ctype { T_MAP, T_LIST, T_STR, T_BOOL, T_INT, T_SIZE, T_ENUM };

struct schema {
	const char *pattern;            /* dotted; `*` any key, `#` any index */
	enum ctype type;
	int64_t min, max;               /* T_INT, T_SIZE */
	const char *const *choices;     /* T_ENUM, NULL-terminated */
};

static const char *const checksum_modes[] = { "none", "all", NULL };
/* defrag_policy_parse()'s names: the policies, then the OS aliases */
static const char *const defrag_policies[] = {
	"first", "last", "bsd", "bsd-right", "linux", "windows", "solaris",
	"old-linux", "old-solaris", "hpux10", "hpux11", "irix", "macos", "vista",
	"windows2k3", NULL
};
static const char *const fsync_modes[] = { "always", "interval", "never", NULL };
static const char *const full_modes[] = { "drop-oldest", "drop-newest", NULL };

#define S_MAP(p)            { p, T_MAP, 0, 0, NULL }
#define S_LIST(p)           { p, T_LIST, 0, 0, NULL }
#define S_STR(p)            { p, T_STR, 0, 0, NULL }
#define S_BOOL(p)           { p, T_BOOL, 0, 0, NULL }
#define S_INT(p, lo, hi)    { p, T_INT, lo, hi, NULL }
#define S_SIZE(p, lo, hi)   { p, T_SIZE, lo, hi, NULL }
#define S_ENUM(p, c)        { p, T_ENUM, 0, 0, c }
#define TIMEOUT(p)          S_INT(p, 0, 86400)

static const struct schema schema[] = {
	S_STR("sensor-name"),
	S_INT("sensor-id", 0, UINT32_MAX),
	S_STR("default-log-dir"),
	S_STR("default-rule-path"),
	S_STR("classification-file"),
	S_LIST("rule-files"),
	S_STR("rule-files.#"),

	S_MAP("vars"),
	S_MAP("vars.address-groups"),
	S_STR("vars.address-groups.*"),
	S_MAP("vars.port-groups"),
	S_STR("vars.port-groups.*"),

	S_MAP("detect"),
	S_STR("detect.hs-cache-dir"),

	S_MAP("threading"),
	S_INT("threading.workers", 0, 256),
	S_INT("threading.dispatch-ring-size", 2, 65536),
	S_INT("threading.event-ring-size", 16, 1048576),

	S_MAP("pcap"),
	S_STR("pcap.interface"),
	S_INT("pcap.snaplen", 64, 262144),
	S_BOOL("pcap.promisc"),
	/* libpcap takes an int. */
	S_SIZE("pcap.buffer-size", 0, INT32_MAX),
	S_STR("pcap.bpf-filter"),

	S_MAP("pcap-file"),
	S_INT("pcap-file.loop", 1, 1000000),

	S_MAP("dpdk"),
	S_LIST("dpdk.eal-args"),
	S_STR("dpdk.eal-args.#"),
	S_STR("dpdk.port"),
	S_INT("dpdk.rx-descriptors", 64, 32768),
	S_INT("dpdk.mtu", 0, 65535),
	S_BOOL("dpdk.promisc"),
	S_INT("dpdk.link-wait", 0, 600),
	S_INT("dpdk.mempool-size", 0, 16777215),
	S_BOOL("dpdk.assume-rss"),

	S_MAP("capture"),
	S_ENUM("capture.checksum-validation", checksum_modes),

	S_MAP("decoder"),
	S_INT("decoder.max-layers", 1, 64),
	S_MAP("decoder.vxlan"),
	S_BOOL("decoder.vxlan.enabled"),
	S_INT("decoder.vxlan.ports", 1, 65535),
	S_MAP("decoder.gre"),
	S_BOOL("decoder.gre.enabled"),
	S_MAP("decoder.erspan"),
	S_BOOL("decoder.erspan.enabled"),

	S_MAP("defrag"),
	S_SIZE("defrag.memcap", 1 << 20, INT64_MAX),
	S_INT("defrag.hash-size", 16, 16777216),
	S_INT("defrag.trackers", 1, 16777216),
	S_INT("defrag.max-frags", 2, 16777216),
	S_BOOL("defrag.prealloc"),
	/* Suricata's range: 1 s to 24 h */
	S_INT("defrag.timeout", 1, 86400),
	S_ENUM("defrag.policy", defrag_policies),
	S_INT("defrag.max-frags-per-datagram", 2, 8192),
	S_INT("defrag.min-frag-size", 0, 65535),

	S_MAP("flow"),
	S_SIZE("flow.memcap", 1 << 20, INT64_MAX),
	S_INT("flow.hash-size", 1024, 16777216),

	S_MAP("stream"),
	S_BOOL("stream.midstream"),
	S_MAP("stream.reassembly"),
	S_SIZE("stream.reassembly.memcap", 1 << 20, INT64_MAX),
	/* 0: no limit */
	S_SIZE("stream.reassembly.depth", 0, INT64_MAX),
	S_SIZE("stream.reassembly.max-ooo-bytes", 0, 1 << 30),
	S_ENUM("stream.reassembly.policy", stream_policy_names),

	S_MAP("app-layer"),
	S_MAP("app-layer.protocols"),
	S_MAP("app-layer.protocols.http"),
	S_BOOL("app-layer.protocols.http.enabled"),
	S_SIZE("app-layer.protocols.http.memcap", 1 << 20, INT64_MAX),
	S_MAP("app-layer.protocols.http.libhtp"),
	S_MAP("app-layer.protocols.http.libhtp.default-config"),
	S_SIZE("app-layer.protocols.http.libhtp.default-config.request-body-limit", 0, 1 << 30),
	S_SIZE("app-layer.protocols.http.libhtp.default-config.response-body-limit", 0, 1 << 30),
	S_INT("app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit",
	      0, HTTP_MAX_LAYERS),

	S_MAP("flow-timeouts"),
	S_MAP("flow-timeouts.default"),
	TIMEOUT("flow-timeouts.default.new"),
	TIMEOUT("flow-timeouts.default.established"),
	TIMEOUT("flow-timeouts.default.closed"),
	S_MAP("flow-timeouts.tcp"),
	TIMEOUT("flow-timeouts.tcp.new"),
	TIMEOUT("flow-timeouts.tcp.established"),
	TIMEOUT("flow-timeouts.tcp.closed"),
	S_MAP("flow-timeouts.udp"),
	TIMEOUT("flow-timeouts.udp.new"),
	TIMEOUT("flow-timeouts.udp.established"),
	S_MAP("flow-timeouts.icmp"),
	TIMEOUT("flow-timeouts.icmp.new"),
	TIMEOUT("flow-timeouts.icmp.established"),

	S_MAP("anomaly"),
	S_BOOL("anomaly.enabled"),
	S_SIZE("anomaly.memcap", 1 << 20, 1ll << 40),
	S_INT("anomaly.event-ring-size", 64, 1048576),
	S_INT("anomaly.deviations", 1, 100),
	S_LIST("anomaly.allowlist"),
	S_STR("anomaly.allowlist.#"),
	S_MAP("anomaly.scan"),
	S_BOOL("anomaly.scan.enabled"),
	S_INT("anomaly.scan.window", 1, 86400),
	S_INT("anomaly.scan.slow-window", 1, 86400),
	S_INT("anomaly.scan.min-ports", 2, 65536),
	S_INT("anomaly.scan.min-hosts", 2, 1 << 24),
	S_INT("anomaly.scan.slow-min-targets", 2, 1 << 24),
	S_INT("anomaly.scan.trw-benign-success", 1, 99),
	S_INT("anomaly.scan.trw-scanner-success", 1, 99),
	S_INT("anomaly.scan.trw-detection", 1, 99),
	S_INT("anomaly.scan.trw-false-alarm", 1, 999),
	S_MAP("anomaly.syn-flood"),
	S_BOOL("anomaly.syn-flood.enabled"),
	S_INT("anomaly.syn-flood.min-rate", 1, 1 << 30),
	S_MAP("anomaly.udp-flood"),
	S_BOOL("anomaly.udp-flood.enabled"),
	S_INT("anomaly.udp-flood.min-rate", 1, 1 << 30),
	S_MAP("anomaly.icmp-flood"),
	S_BOOL("anomaly.icmp-flood.enabled"),
	S_INT("anomaly.icmp-flood.min-rate", 1, 1 << 30),
	S_MAP("anomaly.brute-force"),
	S_BOOL("anomaly.brute-force.enabled"),
	S_INT("anomaly.brute-force.min-sessions", 2, 1 << 20),
	S_INT("anomaly.brute-force.window", 1, 86400),
	S_INT("anomaly.brute-force.max-session", 1, 86400),
	S_MAP("anomaly.dns-tunnel"),
	S_BOOL("anomaly.dns-tunnel.enabled"),
	S_INT("anomaly.dns-tunnel.window", 1, 86400),
	S_INT("anomaly.dns-tunnel.min-names", 2, 1 << 20),
	S_INT("anomaly.dns-tunnel.min-length", 1, 255),
	S_MAP("anomaly.dga"),
	S_BOOL("anomaly.dga.enabled"),
	S_INT("anomaly.dga.min-nxdomain", 2, 1 << 20),

	S_MAP("stats"),
	S_BOOL("stats.enabled"),
	S_INT("stats.interval", 1, 86400),
	S_BOOL("stats.decoder-events"),

	S_MAP("outputs"),
	S_MAP("outputs.eve-log"),
	S_BOOL("outputs.eve-log.enabled"),
	S_STR("outputs.eve-log.filename"),
	S_BOOL("outputs.eve-log.community-id"),
	S_INT("outputs.eve-log.community-id-seed", 0, 65535),
	S_MAP("outputs.eve-log.alert"),
	S_BOOL("outputs.eve-log.alert.enabled"),
	S_BOOL("outputs.eve-log.alert.payload"),
	S_BOOL("outputs.eve-log.alert.payload-printable"),
	S_MAP("outputs.eve-log.flow"),
	S_BOOL("outputs.eve-log.flow.enabled"),
	S_MAP("outputs.eve-log.stats"),
	S_BOOL("outputs.eve-log.stats.enabled"),
	S_MAP("outputs.console"),
	S_BOOL("outputs.console.enabled"),
	/* Kafka sinks: read by the Kafka output; checked here so a typo in
	 * a sink is caught at startup like any other. */
	S_LIST("outputs.kafka"),
	S_MAP("outputs.kafka.#"),
	S_STR("outputs.kafka.#.brokers"),
	S_STR("outputs.kafka.#.topic"),
	S_LIST("outputs.kafka.#.types"),
	S_STR("outputs.kafka.#.types.#"),
	S_STR("outputs.kafka.#.profile"),
	S_MAP("outputs.kafka.#.properties"),
	S_STR("outputs.kafka.#.properties.*"),
	S_INT("outputs.kafka.#.flush-timeout", 0, 600000),
	S_MAP("outputs.kafka.#.spool"),
	S_SIZE("outputs.kafka.#.spool.max-size", 1 << 20, INT64_MAX),
	S_ENUM("outputs.kafka.#.spool.fsync", fsync_modes),
	S_INT("outputs.kafka.#.spool.fsync-interval", 1, 3600000),
	S_ENUM("outputs.kafka.#.spool.full", full_modes),

	/* What may leave the sensor, per Kafka sink (outputs.kafka.N.profile). */
	S_MAP("privacy-profiles"),
	S_MAP("privacy-profiles.*"),
	S_BOOL("privacy-profiles.*.drop-payload"),
	S_BOOL("privacy-profiles.*.drop-packet"),
	S_LIST("privacy-profiles.*.pseudonymise"),
	S_STR("privacy-profiles.*.pseudonymise.#"),
	S_STR("privacy-profiles.*.key-file"),
};

static bool pattern_match(const char *pat, const struct keypath *kp)
{
	const char *p = pat;

	for (unsigned i = 0; i < kp->depth; i++) {
		size_t len = strcspn(p, ".");

		if (!len)
			return false;
		if (len == 1 && *p == '#') {
			if (!kp->idx[i])
				return false;
		} else if (len == 1 && *p == '*') {
			if (kp->idx[i])
				return false;
		} else if (kp->idx[i] || strlen(kp->seg[i]) != len ||
			   strncmp(p, kp->seg[i], len) != 0) {
			return false;
		}
		p += len;
		if (*p == '.')
			p++;
		else if (i + 1 < kp->depth)
			return false;
	}
	return *p == '\0';
}

static const struct schema *schema_find(const struct keypath *kp)
{
	for (size_t i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (pattern_match(schema[i].pattern, kp))
			return &schema[i];
	return NULL;
}

/* "64mb" for round sizes, for messages. */
static const char *size_str(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "gb", "mb", "kb" };
	static const unsigned shifts[] = { 30, 20, 10 };

	for (size_t i = 0; i < 3; i++) {
		if (v && !(v & ((UINT64_C(1) << shifts[i]) - 1))) {
			snprintf(buf, len, "%" PRIu64 "%s", v >> shifts[i], units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* What the operator wrote, for "got ..." in messages. */
static const char *got_str(const struct node *n, char *buf, size_t len)
{
	if (n->kind == NODE_MAP)
		return "a map";
	if (n->kind == NODE_LIST)
		return "a list";
	snprintf(buf, len, "'%.64s%s'", n->value, strlen(n->value) > 64 ? "..." : "");
	return buf;
}

union value {
	const char *s;
	bool b;
	int64_t i;
	uint64_t u;
};

/*
 * Check one node against its schema entry; for scalar types also return
 * the parsed value. Both config_validate() and config_apply() go through
 * here, so they agree on what is acceptable and say it the same way.
 */
static int check_value(const struct schema *s, const struct node *n,
		       const char *key, union value *out, struct config_error *err)
{
	char got[80], lo[32], hi[32], choices[128];
	bool scalar = n->kind == NODE_SCALAR;
	size_t off = 0;

	switch (s->type) {
	case T_MAP:
	case T_LIST:
		if ((s->type == T_MAP && n->kind == NODE_MAP) ||
		    (s->type == T_LIST && n->kind == NODE_LIST) || (scalar && n->null))
			return 0;
		return set_err(err, n->file, n->line, key, "expected %s, got %s",
			       s->type == T_MAP ? "a map of keys" : "a list",
			       got_str(n, got, sizeof(got)));
	case T_STR:
		if (!scalar)
			return set_err(err, n->file, n->line, key,
				       "expected a string, got %s",
				       got_str(n, got, sizeof(got)));
		out->s = n->null ? "" : n->value;
		return 0;
	case T_BOOL:
		if (!scalar || config_parse_bool(n->value, &out->b) < 0)
			return set_err(err, n->file, n->line, key,
				       "expected yes or no, got %s",
				       got_str(n, got, sizeof(got)));
		return 0;
	case T_INT:
		if (!scalar || parse_int(n->value, &out->i) < 0)
			return set_err(err, n->file, n->line, key,
				       "expected an integer, got %s",
				       got_str(n, got, sizeof(got)));
		if (out->i < s->min || out->i > s->max)
			return set_err(err, n->file, n->line, key,
				       "expected an integer from %" PRId64 " to %" PRId64
				       ", got %s", s->min, s->max,
				       got_str(n, got, sizeof(got)));
		return 0;
	case T_SIZE:
		if (!scalar || config_parse_size(n->value, &out->u) < 0)
			return set_err(err, n->file, n->line, key,
				       "expected a size like 64mb, got %s",
				       got_str(n, got, sizeof(got)));
		if (out->u < (uint64_t)s->min)
			return set_err(err, n->file, n->line, key,
				       "expected a size of at least %s, got %s",
				       size_str((uint64_t)s->min, lo, sizeof(lo)),
				       got_str(n, got, sizeof(got)));
		if (out->u > (uint64_t)s->max)
			return set_err(err, n->file, n->line, key,
				       "expected a size of at most %s, got %s",
				       size_str((uint64_t)s->max, hi, sizeof(hi)),
				       got_str(n, got, sizeof(got)));
		return 0;
	case T_ENUM:
		if (scalar) {
			for (const char *const *c = s->choices; *c; c++) {
				if (strcasecmp(n->value, *c) == 0) {
					out->s = *c;
					return 0;
				}
			}
		}
		choices[0] = '\0';
		for (const char *const *c = s->choices; *c; c++)
			append(choices, sizeof(choices), &off, "%s%s",
			       c == s->choices ? "" : c[1] ? ", " : " or ", *c);
		return set_err(err, n->file, n->line, key, "expected %s, got %s",
			       choices, got_str(n, got, sizeof(got)));
	}
	return set_err(err, n->file, n->line, key, "bad schema type");
}

/* Validation goes on past the first error to report the one the operator
 * meets first: the earliest source (default, files in load order, --set),
 * then the lowest line. Tree order alone would follow the default's key
 * order, not the file's. */
struct validation {
	struct keypath kp;
	struct config_error *err;
	bool failed;
	unsigned ord;
	int line;
};

static unsigned file_order(const char *file)
{
	/* Every node's file is the name[] of an interned struct file_name. */
	return ((const struct file_name *)(file - offsetof(struct file_name, name)))->ord;
}

static void validation_error(struct validation *vs, const struct node *n,
			     const struct config_error *e)
{
	unsigned ord = file_order(n->file);

	if (vs->failed && (ord > vs->ord || (ord == vs->ord && n->line >= vs->line)))
		return;
	vs->failed = true;
	vs->ord = ord;
	vs->line = n->line;
	if (vs->err)
		*vs->err = *e;
}

static void validate_node(struct validation *vs, const struct node *n)
{
	const struct schema *s = schema_find(&vs->kp);
	struct config_error e;
	char key[256];
	union value v;

	keypath_str(&vs->kp, key, sizeof(key));
	if (!s) {
		set_err(&e, n->file, n->line, key, "unknown key");
		validation_error(vs, n, &e);
		return;
	}
	if (check_value(s, n, key, &v, &e) < 0) {
		validation_error(vs, n, &e);
		return;
	}
	if (n->kind == NODE_SCALAR)
		return;
	if (vs->kp.depth >= MAX_DEPTH) {
		set_err(&e, n->file, n->line, key, "nested too deeply");
		validation_error(vs, n, &e);
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		keypath_push(&vs->kp, n->kids[i]->key, i);
		validate_node(vs, n->kids[i]);
		vs->kp.depth--;
	}
}

int config_validate(const struct config *c, struct config_error *err)
{
	struct validation vs = { .err = err };

	for (size_t i = 0; i < c->root->n; i++) {
		keypath_push(&vs.kp, c->root->kids[i]->key, i);
		validate_node(&vs, c->root->kids[i]);
		vs.kp.depth--;
	}
	return vs.failed ? -1 : 0;
}

/* ---- --set ----------------------------------------------------------------- */

/* Valid --set keys: dot-separated names, none empty, not too deep. */
static bool key_ok(const char *key)
{
	unsigned dots = 0;

	if (!*key || *key == '.' || key[strlen(key) - 1] == '.' || strstr(key, ".."))
		return false;
	for (const char *p = key; *p; p++)
		dots += *p == '.';
	return dots < MAX_DEPTH - 1;
}

/*
 * Whether a new key under kp is a leaf name in the schema (`*` matching a
 * scalar), such as a librdkafka property: then the rest of a --set path is
 * one name, dots and all, rather than a chain of maps.
 */
static bool leaf_name(struct keypath *kp)
{
	const struct schema *s;
	size_t len;

	keypath_push(kp, "*", 0);
	s = schema_find(kp);
	kp->depth--;
	if (!s || s->type == T_MAP || s->type == T_LIST)
		return false;
	len = strlen(s->pattern);
	return len >= 2 && !strcmp(s->pattern + len - 2, ".*");
}

/* Build the missing tail of a --set path: maps down to one scalar. */
static struct node *set_chain(const char *rest, bool leaf, const char *value,
			      const char *file)
{
	const char *dot = leaf ? NULL : strchr(rest, '.');
	struct node *n = node_new(dot ? NODE_MAP : NODE_SCALAR, file, 0);
	struct node *kid = NULL;

	if (!n)
		goto fail;
	n->key = dot ? strndup(rest, (size_t)(dot - rest)) : strdup(rest);
	if (!n->key)
		goto fail;
	if (!dot) {
		n->value = strdup(value);
		if (!n->value)
			goto fail;
		return n;
	}
	kid = set_chain(dot + 1, false, value, file);
	if (!kid || node_add(n, kid) < 0)
		goto fail;
	return n;
fail:
	node_free(kid);
	node_free(n);
	return NULL;
}

/* The child of n that the path p starts with: the longest map key that
 * matches up to a dot, as lookup() would pick, or a list index. */
static struct node *set_step(struct node *n, const char *p, size_t *len)
{
	struct node *next = NULL;

	*len = 0;
	if (n->kind == NODE_LIST) {
		char *end;
		unsigned long i;

		if (!isdigit((unsigned char)*p))
			return NULL;
		errno = 0;
		i = strtoul(p, &end, 10);
		if (errno || (*end && *end != '.') || i >= n->n)
			return NULL;
		*len = (size_t)(end - p);
		return n->kids[i];
	}
	for (size_t i = 0; i < n->n; i++) {
		size_t kl = strlen(n->kids[i]->key);

		if (kl > *len && strncmp(p, n->kids[i]->key, kl) == 0 &&
		    (p[kl] == '\0' || p[kl] == '.')) {
			next = n->kids[i];
			*len = kl;
		}
	}
	return next;
}

int config_set(struct config *c, const char *assignment, struct config_error *err)
{
	const char *eq = strchr(assignment, '=');
	const char *file = intern(c, "--set");
	struct keypath kp = { .depth = 0 };
	struct node *n = c->root, *chain;
	const char *value, *p;
	char *key = NULL, *v;
	int rc = -1;

	if (!eq || eq == assignment) {
		set_err(err, "--set", 0, assignment, "expected KEY=VALUE");
		goto out;
	}
	key = strndup(assignment, (size_t)(eq - assignment));
	if (!key || !file) {
		set_err(err, "--set", 0, "", "out of memory");
		goto out;
	}
	if (!key_ok(key)) {
		set_err(err, "--set", 0, key, "not a dotted key path");
		goto out;
	}
	value = eq + 1;
	/* Walk down what exists; p is what is left of the key after n. */
	for (p = key; *p; ) {
		struct node *next;
		size_t len;

		if (n->kind == NODE_SCALAR) {
			if (!n->null) {
				set_err(err, "--set", 0, key, "'%.*s' holds a value, not a map",
					(int)(p - key - 1), key);
				goto out;
			}
			/* `key:` left empty becomes the map the path needs. */
			node_make(n, NODE_MAP);
		}
		next = set_step(n, p, &len);
		if (!next && n->kind == NODE_LIST) {
			set_err(err, "--set", 0, key, "'%.*s' is a list of %zu; no element '%.*s'",
				(int)(p - key - 1), key, n->n, (int)strcspn(p, "."), p);
			goto out;
		}
		if (!next) {
			chain = set_chain(p, leaf_name(&kp), value, file);
			if (!chain || node_add(n, chain) < 0) {
				node_free(chain);
				set_err(err, "--set", 0, key, "out of memory");
				goto out;
			}
			rc = 0;
			goto out;
		}
		keypath_push(&kp, next->key,
			     n->kind == NODE_LIST ? strtoul(p, NULL, 10) : 0);
		p += len;
		if (*p == '.')
			p++;
		n = next;
	}
	if (n->kind != NODE_SCALAR) {
		set_err(err, "--set", 0, key, "is a %s; --set sets single values",
			n->kind == NODE_MAP ? "map" : "list");
		goto out;
	}
	v = strdup(value);
	if (!v) {
		set_err(err, "--set", 0, key, "out of memory");
		goto out;
	}
	free(n->value);
	n->value = v;
	n->null = false;
	n->file = file;
	n->line = 0;
	rc = 0;
out:
	free(key);
	return rc;
}

/* ---- lookups ------------------------------------------------------------------- */

static const struct node *scalar_at(const struct config *c, const char *key)
{
	const struct node *n = lookup(c->root, key);

	return n && n->kind == NODE_SCALAR ? n : NULL;
}

const char *config_get_str(const struct config *c, const char *key)
{
	const struct node *n = scalar_at(c, key);

	if (!n)
		return NULL;
	return n->null ? "" : n->value;
}

int config_get_bool(const struct config *c, const char *key, bool *out)
{
	const struct node *n = scalar_at(c, key);

	return n ? config_parse_bool(n->value, out) : -1;
}

int config_get_int(const struct config *c, const char *key, int64_t *out)
{
	const struct node *n = scalar_at(c, key);

	return n ? parse_int(n->value, out) : -1;
}

int config_get_size(const struct config *c, const char *key, uint64_t *out)
{
	const struct node *n = scalar_at(c, key);

	return n ? config_parse_size(n->value, out) : -1;
}

int config_count(const struct config *c, const char *key)
{
	const struct node *n = lookup(c->root, key);

	return n && n->kind != NODE_SCALAR ? (int)n->n : 0;
}

int config_child(const struct config *c, const char *key, int i,
		 const char **name, const char **value)
{
	const struct node *n = lookup(c->root, key);
	const struct node *k;

	if (!n || n->kind == NODE_SCALAR || i < 0 || (size_t)i >= n->n)
		return -1;
	k = n->kids[i];
	if (name)
		*name = k->key;
	if (value)
		*value = k->kind != NODE_SCALAR ? NULL : k->null ? "" : k->value;
	return 0;
}

/* An error located at the node of key (file and line empty when absent). */
static int where_err(const struct config *c, const char *key,
		     struct config_error *err, const char *msg)
{
	const struct node *n = lookup(c->root, key);

	return set_err(err, n ? n->file : "", n ? n->line : 0, key, "%s", msg);
}

/* Fills file, line and key; msg is cleared for the caller to write. */
void config_where(const struct config *c, const char *key, struct config_error *err)
{
	where_err(c, key, err, "");
}

/* ---- dump ------------------------------------------------------------------------ */

/* Whether s can be written as a YAML plain scalar and read back the same. */
static bool plain_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || isspace((unsigned char)s[0]) || isspace((unsigned char)s[len - 1]))
		return false;
	if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]))
		return false;
	if (s[0] == '-' && !isalnum((unsigned char)s[1]))
		return false;
	/* A document end marker when it starts a line (top-level keys). */
	if (!strncmp(s, "...", 3))
		return false;
	if (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	    !strcmp(s, "NULL"))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
		if (ch == ':' && (s[i + 1] == ' ' || s[i + 1] == '\0'))
			return false;
		if (ch == '#' && s[i - 1] == ' ')
			return false;
	}
	return true;
}

static void dump_str(FILE *out, const char *s)
{
	if (plain_ok(s)) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void dump_children(FILE *out, const struct node *n, int indent, bool inline_first);

/* The value after "key:" or "-" of a member of parent. */
static void dump_value(FILE *out, const struct node *parent, const struct node *k,
		       int indent)
{
	if (k->kind == NODE_SCALAR) {
		fputc(' ', out);
		if (k->null)
			fputc('~', out);
		else
			dump_str(out, k->value);
		fputc('\n', out);
	} else if (!k->n) {
		fputs(k->kind == NODE_MAP ? " {}\n" : " []\n", out);
	} else if (parent->kind == NODE_LIST) {
		/* "- key: value" with the rest of the map below it */
		fputc(' ', out);
		dump_children(out, k, indent + 2, true);
	} else {
		fputc('\n', out);
		dump_children(out, k, indent + 2, false);
	}
}

static void dump_children(FILE *out, const struct node *n, int indent, bool inline_first)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct node *k = n->kids[i];

		if (i || !inline_first)
			fprintf(out, "%*s", indent, "");
		if (n->kind == NODE_MAP) {
			dump_str(out, k->key);
			fputc(':', out);
		} else {
			fputc('-', out);
		}
		dump_value(out, n, k, indent);
	}
}

void config_dump(const struct config *c, FILE *out)
{
	fputs("%YAML 1.1\n---\n", out);
	if (c->root->n)
		dump_children(out, c->root, 0, false);
	else
		fputs("{}\n", out);
}

/* ---- the typed view -------------------------------------------------------------- */

struct field {
	const char *key;
	size_t off, size;
};

#define FIELD(k, m) { k, offsetof(struct mamori_config, m), \
		      sizeof(((struct mamori_config *)0)->m) }

/* Each key's type and range come from the schema; this says where it goes. */
static const struct field fields[] = {
	FIELD("sensor-name", sensor_name),
	FIELD("sensor-id", sensor_id),
	FIELD("default-log-dir", log_dir),
	FIELD("default-rule-path", rule_path),
	FIELD("classification-file", classification_file),
	FIELD("detect.hs-cache-dir", hs_cache_dir),
	FIELD("threading.workers", workers),
	FIELD("threading.dispatch-ring-size", dispatch_ring_size),
	FIELD("threading.event-ring-size", event_ring_size),
	FIELD("pcap.interface", pcap_interface),
	FIELD("pcap.snaplen", snaplen),
	FIELD("pcap.promisc", promisc),
	FIELD("pcap.buffer-size", pcap_buffer_size),
	FIELD("pcap.bpf-filter", bpf_filter),
	FIELD("pcap-file.loop", pcap_file_loop),
	FIELD("dpdk.port", dpdk_port),
	FIELD("dpdk.rx-descriptors", dpdk_rx_desc),
	FIELD("dpdk.mtu", dpdk_mtu),
	FIELD("dpdk.promisc", dpdk_promisc),
	FIELD("dpdk.link-wait", dpdk_link_wait),
	FIELD("dpdk.mempool-size", dpdk_mempool_size),
	FIELD("dpdk.assume-rss", dpdk_assume_rss),
	FIELD("decoder.max-layers", decode.max_layers),
	FIELD("decoder.vxlan.enabled", decode.vxlan_enabled),
	FIELD("decoder.vxlan.ports", decode.vxlan_port),
	FIELD("decoder.gre.enabled", decode.gre_enabled),
	FIELD("decoder.erspan.enabled", decode.erspan_enabled),
	FIELD("defrag.memcap", defrag.memcap),
	FIELD("defrag.hash-size", defrag.hash_size),
	FIELD("defrag.trackers", defrag.trackers),
	FIELD("defrag.max-frags", defrag.max_frags),
	FIELD("defrag.prealloc", defrag.prealloc),
	FIELD("defrag.timeout", defrag.timeout),
	FIELD("defrag.max-frags-per-datagram", defrag.max_frags_per_datagram),
	FIELD("defrag.min-frag-size", defrag.min_frag_size),
	FIELD("flow.memcap", flow_memcap),
	FIELD("flow.hash-size", flow_hash_size),
	FIELD("stream.midstream", flow.midstream),
	FIELD("stream.reassembly.memcap", stream.memcap),
	FIELD("app-layer.protocols.http.enabled", applayer.enabled),
	FIELD("app-layer.protocols.http.memcap", applayer.memcap),
	FIELD("app-layer.protocols.http.libhtp.default-config.request-body-limit",
	      http_request_body_limit),
	FIELD("app-layer.protocols.http.libhtp.default-config.response-body-limit",
	      http_response_body_limit),
	FIELD("app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit",
	      http_decompress_layers),
	FIELD("stream.reassembly.depth", stream.depth),
	FIELD("stream.reassembly.max-ooo-bytes", stream.max_ooo_bytes),
	FIELD("flow-timeouts.default.new", flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_NEW]),
	FIELD("flow-timeouts.default.established",
	      flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_ESTABLISHED]),
	FIELD("flow-timeouts.default.closed", flow.timeout[FLOW_PC_DEFAULT][FLOW_TS_CLOSED]),
	FIELD("flow-timeouts.tcp.new", flow.timeout[FLOW_PC_TCP][FLOW_TS_NEW]),
	FIELD("flow-timeouts.tcp.established", flow.timeout[FLOW_PC_TCP][FLOW_TS_ESTABLISHED]),
	FIELD("flow-timeouts.tcp.closed", flow.timeout[FLOW_PC_TCP][FLOW_TS_CLOSED]),
	FIELD("flow-timeouts.udp.new", flow.timeout[FLOW_PC_UDP][FLOW_TS_NEW]),
	FIELD("flow-timeouts.udp.established", flow.timeout[FLOW_PC_UDP][FLOW_TS_ESTABLISHED]),
	FIELD("flow-timeouts.icmp.new", flow.timeout[FLOW_PC_ICMP][FLOW_TS_NEW]),
	FIELD("flow-timeouts.icmp.established",
	      flow.timeout[FLOW_PC_ICMP][FLOW_TS_ESTABLISHED]),
	FIELD("outputs.eve-log.community-id-seed", flow.community_id_seed),
	FIELD("anomaly.enabled", anomaly.enabled),
	FIELD("anomaly.memcap", anomaly.memcap),
	FIELD("anomaly.event-ring-size", anomaly.ring_size),
	FIELD("anomaly.deviations", anomaly.deviations),
	FIELD("anomaly.scan.enabled", anomaly.scan),
	FIELD("anomaly.scan.window", anomaly.scan_window),
	FIELD("anomaly.scan.slow-window", anomaly.scan_slow_window),
	FIELD("anomaly.scan.min-ports", anomaly.scan_min_ports),
	FIELD("anomaly.scan.min-hosts", anomaly.scan_min_hosts),
	FIELD("anomaly.scan.slow-min-targets", anomaly.scan_slow_min),
	FIELD("anomaly.scan.trw-benign-success", anomaly.trw_benign),
	FIELD("anomaly.scan.trw-scanner-success", anomaly.trw_scanner),
	FIELD("anomaly.scan.trw-detection", anomaly.trw_detect),
	FIELD("anomaly.scan.trw-false-alarm", anomaly.trw_false),
	FIELD("anomaly.syn-flood.enabled", anomaly.syn_flood),
	FIELD("anomaly.syn-flood.min-rate", anomaly.syn_flood_rate),
	FIELD("anomaly.udp-flood.enabled", anomaly.udp_flood),
	FIELD("anomaly.udp-flood.min-rate", anomaly.udp_flood_rate),
	FIELD("anomaly.icmp-flood.enabled", anomaly.icmp_flood),
	FIELD("anomaly.icmp-flood.min-rate", anomaly.icmp_flood_rate),
	FIELD("anomaly.brute-force.enabled", anomaly.brute_force),
	FIELD("anomaly.brute-force.min-sessions", anomaly.bf_min_sessions),
	FIELD("anomaly.brute-force.window", anomaly.bf_window),
	FIELD("anomaly.brute-force.max-session", anomaly.bf_max_session),
	FIELD("anomaly.dns-tunnel.enabled", anomaly.dns_tunnel),
	FIELD("anomaly.dns-tunnel.window", anomaly.dns_window),
	FIELD("anomaly.dns-tunnel.min-names", anomaly.dns_min_names),
	FIELD("anomaly.dns-tunnel.min-length", anomaly.dns_min_length),
	FIELD("anomaly.dga.enabled", anomaly.dga),
	FIELD("anomaly.dga.min-nxdomain", anomaly.dga_min_nxdomain),
	FIELD("stats.enabled", stats_enabled),
	FIELD("stats.interval", stats_interval),
	FIELD("stats.decoder-events", stats_decoder_events),
	FIELD("outputs.eve-log.enabled", eve_enabled),
	FIELD("outputs.eve-log.filename", eve_filename),
	FIELD("outputs.eve-log.alert.enabled", eve_alert),
	FIELD("outputs.eve-log.alert.payload", eve_payload),
	FIELD("outputs.eve-log.alert.payload-printable", eve_payload_printable),
	FIELD("outputs.eve-log.flow.enabled", eve_flow),
	FIELD("outputs.eve-log.stats.enabled", eve_stats),
	FIELD("outputs.eve-log.community-id", community_id),
	FIELD("outputs.console.enabled", console_alerts),
};

/* The schema entry and node of a fixed key, checked like validate does. */
static int read_key(const struct config *c, const char *key, union value *v,
		    const struct schema **sp, struct config_error *err)
{
	struct keypath kp = { .depth = 0 };
	char segs[256];
	const struct node *n;
	const struct schema *s;

	copy_str(segs, sizeof(segs), key);
	for (char *save = NULL, *seg = strtok_r(segs, ".", &save); seg;
	     seg = strtok_r(NULL, ".", &save)) {
		if (kp.depth == MAX_DEPTH)
			return set_err(err, "", 0, key, "nested too deeply");
		keypath_push(&kp, seg, 0);
	}
	s = schema_find(&kp);
	n = lookup(c->root, key);
	if (!s || !n)
		return set_err(err, "", 0, key, "%s", s ? "missing" : "not in the schema");
	*sp = s;
	return check_value(s, n, key, v, err);
}

static uint32_t round_pow2(uint32_t v)
{
	uint32_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int config_apply(const struct config *c, struct mamori_config *rc,
		 struct config_error *err)
{
	struct mamori_config m;
	const struct schema *s;
	union value v;

	memset(&m, 0, sizeof(m));
	applayer_config_default(&m.applayer);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];
		char *dst = (char *)&m + f->off;

		if (read_key(c, f->key, &v, &s, err) < 0)
			return -1;
		/* The tables below and the schema must agree; a mismatch is a
		 * bug here, not in the operator's file. */
		if ((s->type == T_STR && f->size != sizeof(v.s)) ||
		    (s->type == T_BOOL && f->size != sizeof(v.b)) ||
		    (s->type == T_SIZE && f->size != sizeof(v.u)) ||
		    (s->type == T_INT && f->size != 2 && f->size != 4 && f->size != 8))
			return where_err(c, f->key, err, "internal error: field size");
		switch (s->type) {
		case T_STR:
			memcpy(dst, &v.s, sizeof(v.s));
			break;
		case T_BOOL:
			memcpy(dst, &v.b, sizeof(v.b));
			break;
		case T_SIZE:
			memcpy(dst, &v.u, sizeof(v.u));
			break;
		case T_INT:
			/* Schema ranges are non-negative and fit their fields. */
			if (v.i < 0 || (f->size < 8 && (uint64_t)v.i >> (f->size * 8)))
				return where_err(c, f->key, err,
						 "internal error: value does not fit");
			if (f->size == 2) {
				uint16_t x = (uint16_t)v.i;
				memcpy(dst, &x, sizeof(x));
			} else if (f->size == 4) {
				uint32_t x = (uint32_t)v.i;
				memcpy(dst, &x, sizeof(x));
			} else {
				memcpy(dst, &v.i, sizeof(v.i));
			}
			break;
		default:
			return where_err(c, f->key, err, "internal error: not a value");
		}
	}
	if (read_key(c, "capture.checksum-validation", &v, &s, err) < 0)
		return -1;
	m.decode.checksum_validate = strcmp(v.s, "all") == 0;
	if (read_key(c, "stream.reassembly.policy", &v, &s, err) < 0)
		return -1;
	/* the schema's choices are stream_policy_names: always found */
	m.stream.policy = (uint8_t)stream_policy_from_name(v.s);
	m.stream.midstream = m.flow.midstream;
	m.applayer.http.request_body_limit = (uint32_t)m.http_request_body_limit;
	m.applayer.http.response_body_limit = (uint32_t)m.http_response_body_limit;
	m.applayer.http.decompress_layers = (uint8_t)m.http_decompress_layers;
	{
		const char *why = http_config_check(&m.applayer.http);

		if (why)
			return where_err(c, "app-layer.protocols.http.libhtp.default-config", err,
					 why);
	}
	if (read_key(c, "defrag.policy", &v, &s, err) < 0)
		return -1;
	if (defrag_policy_parse(v.s, &m.defrag.policy) < 0)
		return where_err(c, "defrag.policy", err, "internal error: policy");

	/* anomaly.allowlist: CIDRs, checked here so a typo names its line */
	{
		int n = config_count(c, "anomaly.allowlist");
		char msg[160];

		if (n > ANOMALY_MAX_ALLOW)
			return where_err(c, "anomaly.allowlist", err,
					 "at most 64 entries");
		for (int i = 0; i < n; i++) {
			const char *name, *val;

			if (config_child(c, "anomaly.allowlist", i, &name, &val) < 0 || !val ||
			    anomaly_parse_cidr(val, &m.anomaly.allow[i]) < 0) {
				snprintf(msg, sizeof(msg), "entry %d \"%.64s\" is not an address "
					 "or CIDR (e.g. 192.0.2.0/24)", i + 1, val ? val : "");
				return where_err(c, "anomaly.allowlist", err, msg);
			}
		}
		m.anomaly.nallow = (uint32_t)n;
		if (m.anomaly.trw_scanner >= m.anomaly.trw_benign)
			return where_err(c, "anomaly.scan.trw-scanner-success", err,
					 "must be below anomaly.scan.trw-benign-success");
		if (m.anomaly.trw_detect * 10 <= m.anomaly.trw_false)
			return where_err(c, "anomaly.scan.trw-detection", err,
					 "must be above anomaly.scan.trw-false-alarm");
	}

	/* The flow table masks hashes with size - 1. */
	m.flow_hash_size = round_pow2(m.flow_hash_size);
	m.flow.hash_size = m.flow_hash_size;
	/* max_flows comes from flow.memcap and the worker count, which the
	 * runtime knows; worker_id is set per worker. */
	m.flow.max_flows = 0;
	m.flow.worker_id = 0;
	*rc = m;
	return 0;
}
