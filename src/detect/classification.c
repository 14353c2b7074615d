/*
 * classification: the classtype table of classification.config.
 *
 * Each line `config classification: shortname,description,priority` maps
 * a classtype to the text EVE prints as alert.category and to a priority
 * (1 is the most severe) that becomes alert.severity unless the rule sets
 * its own priority. The table is a small array searched linearly: ET Open
 * and Snort use about fifty classtypes, and lookups happen once per rule at
 * load time. The description may itself contain commas, so the name ends
 * at the first comma and the priority starts after the last one.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/rule.h"

struct class_table {
	struct rule_class *c;
	size_t n, cap;
};

struct class_table *class_table_new(void)
{
	return calloc(1, sizeof(struct class_table));
}

void class_table_free(struct class_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free((char *)t->c[i].name);
		free((char *)t->c[i].desc);
	}
	free(t->c);
	free(t);
}

const struct rule_class *class_table_find(const struct class_table *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (strcmp(t->c[i].name, name) == 0)
			return &t->c[i];
	return NULL;
}

size_t class_table_count(const struct class_table *t)
{
	return t ? t->n : 0;
}

static int put(struct class_table *t, const char *name, size_t nlen, const char *desc,
	       size_t dlen, int prio)
{
	struct rule_class *slot = NULL;
	char *n = strndup(name, nlen), *d = strndup(desc, dlen);

	if (!n || !d)
		goto oom;
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->c[i].name, n) == 0) {
			/* a later definition replaces the earlier (Suricata's
			 * behaviour), so a site file can override ours */
			slot = &t->c[i];
			free((char *)slot->name);
			free((char *)slot->desc);
			break;
		}
	}
	if (!slot) {
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct rule_class *nc = realloc(t->c, cap * sizeof(*nc));

			if (!nc)
				goto oom;
			t->c = nc;
			t->cap = cap;
		}
		slot = &t->c[t->n++];
	}
	*slot = (struct rule_class){ .name = n, .desc = d, .priority = prio };
	return 1;
oom:
	free(n);
	free(d);
	return -ENOMEM;
}

static int bad(struct expr_error *err, size_t off, const char *reason)
{
	err->off = off;
	snprintf(err->reason, sizeof(err->reason), "%s", reason);
	return -EINVAL;
}

int class_table_parse_line(struct class_table *t, const char *line, struct expr_error *err)
{
	const char *p = line, *name, *desc, *prio, *end, *last_comma;
	size_t nlen, dlen;
	long v = 0;

	memset(err, 0, sizeof(*err));
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	if (strncmp(p, "config", 6) != 0 || !isspace((unsigned char)p[6]))
		return bad(err, (size_t)(p - line),
			   "expected 'config classification: name,description,priority'");
	p += 6;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "classification", 14) != 0 ||
	    (p[14] != ':' && !isspace((unsigned char)p[14])))
		return 0;       /* another config directive: not ours */
	p += 14;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != ':')
		return bad(err, (size_t)(p - line), "expected ':' after 'classification'");
	p++;
	while (isspace((unsigned char)*p))
		p++;
	name = p;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_')
		p++;
	nlen = (size_t)(p - name);
	if (nlen == 0)
		return bad(err, (size_t)(name - line), "missing classtype name");
	while (isspace((unsigned char)*p))
		p++;
	if (*p != ',')
		return bad(err, (size_t)(p - line),
			   "expected ',' after the classtype name (name,description,priority)");
	p++;
	last_comma = strrchr(p, ',');
	if (!last_comma)
		return bad(err, (size_t)(p - line), "missing priority (name,description,priority)");
	while (isspace((unsigned char)*p))
		p++;
	desc = p;
	end = last_comma;
	while (end > desc && isspace((unsigned char)end[-1]))
		end--;
	dlen = end > desc ? (size_t)(end - desc) : 0;
	if (dlen == 0)
		return bad(err, (size_t)(desc - line), "empty description");
	prio = last_comma + 1;
	while (isspace((unsigned char)*prio))
		prio++;
	p = prio;
	while (isdigit((unsigned char)*p) && v <= 255)
		v = v * 10 + (*p++ - '0');
	while (isspace((unsigned char)*p))
		p++;
	if (p == prio || *p || v < 1 || v > 255)
		return bad(err, (size_t)(prio - line), "priority must be a number from 1 to 255");
	return put(t, name, nlen, desc, dlen, (int)v);
}
