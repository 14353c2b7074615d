/*
 * privacy: profiles that decide, per Kafka sink, what of a record leaves
 * the sensor (see include/mamori/privacy.h).
 *
 * A profile is read once at startup: its networks are compiled with the
 * rule engine's address-set parser (so `$HOME_NET`, CIDRs, lists and
 * negations mean what they mean in rules) and its Crypto-PAn key is loaded
 * from key-file. The output thread applies it to a copy of each record
 * before formatting: payload cleared (and payload fields turned off in the
 * sink's EVE settings), source and destination addresses that fall in one
 * of the networks replaced by their Crypto-PAn pseudonym. Crypto-PAn is
 * keyed and deterministic, so the same address gets the same pseudonym in
 * every run with the same key file, and prefix-preserving, so subnets stay
 * subnets for the SOC. Addresses outside the networks are left as they are.
 * The community_id (the message key) is computed from the real addresses
 * and stays: it keeps one flow on one partition and is a one-way hash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mamori/cryptopan.h"
#include "mamori/privacy.h"
#include "mamori/rule.h"

#define MAX_NETS 64

struct privacy {
	bool drop_payload;
	bool drop_packet;
	unsigned nnets;
	struct addr_set *nets[MAX_NETS];
	struct cryptopan *cp;
};

static struct privacy *perr(struct privacy *p, const struct config *c,
			    const char *key, struct config_error *err, const char *msg)
{
	config_where(c, key, err);
	snprintf(err->key, sizeof(err->key), "%.255s", key);
	snprintf(err->msg, sizeof(err->msg), "%.255s", msg);
	privacy_free(p);
	return NULL;
}

struct privacy *privacy_load(const struct config *c, const char *name,
			     const char *key, struct config_error *err)
{
	char base[300], k[400], msg[512];
	struct privacy *p = NULL;
	struct rule_vars *vars = NULL;
	const char *v, *kname, *kval;
	int n;

	snprintf(base, sizeof(base), "privacy-profiles.%s", name);
	{
		/* is the profile there at all? */
		bool found = false;
		int np = config_count(c, "privacy-profiles");

		for (int i = 0; i < np; i++)
			if (config_child(c, "privacy-profiles", i, &kname, &kval) == 0 &&
			    kname && !strcmp(kname, name))
				found = true;
		if (!found) {
			snprintf(msg, sizeof(msg), "no privacy profile '%s' under "
				 "privacy-profiles", name);
			return perr(p, c, key, err, msg);
		}
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return perr(p, c, key, err, "out of memory");
	snprintf(k, sizeof(k), "%s.drop-payload", base);
	config_get_bool(c, k, &p->drop_payload);
	snprintf(k, sizeof(k), "%s.drop-packet", base);
	config_get_bool(c, k, &p->drop_packet);

	snprintf(k, sizeof(k), "%s.pseudonymise", base);
	n = config_count(c, k);
	if (n > MAX_NETS) {
		snprintf(msg, sizeof(msg), "at most %d networks", MAX_NETS);
		return perr(p, c, k, err, msg);
	}
	if (n > 0) {
		vars = rule_vars_new(c);
		if (!vars)
			return perr(p, c, k, err, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct expr_error xe;
		char ki[420];
		int rc;

		snprintf(ki, sizeof(ki), "%s.%d", k, i);
		if (config_child(c, k, i, &kname, &kval) < 0 || !kval || !*kval) {
			rule_vars_free(vars);
			return perr(p, c, ki, err, "expected a network or $VAR");
		}
		memset(&xe, 0, sizeof(xe));
		rc = addr_set_parse(vars, kval, &p->nets[p->nnets], &xe);
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "'%s': %s", kval,
				 rc == -ENOMEM ? "out of memory" : xe.reason);
			rule_vars_free(vars);
			return perr(p, c, ki, err, msg);
		}
		p->nnets++;
	}
	rule_vars_free(vars);

	snprintf(k, sizeof(k), "%s.key-file", base);
	v = config_get_str(c, k);
	if (p->nnets) {
		if (!v || !*v)
			return perr(p, c, k, err, "pseudonymise needs a key-file (32 bytes, "
				    "or 64 hex characters)");
		p->cp = cryptopan_load_key_file(v, msg, sizeof(msg));
		if (!p->cp)
			return perr(p, c, k, err, msg);
	}
	return p;
}

void privacy_free(struct privacy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nnets; i++)
		free(p->nets[i]);
	cryptopan_free(p->cp);
	free(p);
}

void privacy_eve_ctx(const struct privacy *p, struct eve_ctx *ctx)
{
	if (p->drop_payload) {
		ctx->log_payload = false;
		ctx->log_payload_printable = false;
	}
	/* drop-packet: records carry no packet field yet; nothing to turn off */
}

static bool inside(const struct privacy *p, int ver, const union ip_addr *a)
{
	for (unsigned i = 0; i < p->nnets; i++)
		if (addr_set_match(p->nets[i], ver, a))
			return true;
	return false;
}

static void pseudonymise(const struct privacy *p, int ver, union ip_addr *a)
{
	if (!inside(p, ver, a))
		return;
	if (ver == 4) {
		uint32_t be, h;

		memcpy(&be, a->b, 4);
		h = cryptopan_anon_v4(p->cp, ntohl(be));
		be = htonl(h);
		memcpy(a->b, &be, 4);
	} else {
		cryptopan_anon_v6(p->cp, a->b, a->b);
	}
}

void privacy_apply(const struct privacy *p, struct event_record *ev)
{
	if (p->drop_payload)
		ev->payload_len = 0;
	if (p->nnets && (ev->ip_ver == 4 || ev->ip_ver == 6)) {
		pseudonymise(p, ev->ip_ver, &ev->src);
		pseudonymise(p, ev->ip_ver, &ev->dst);
	}
}
