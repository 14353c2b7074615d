/*
 * privacy: per-sink privacy profiles (privacy-profiles.NAME): what of a
 * record may leave the sensor. drop-payload removes payload fields,
 * drop-packet the packet field, and pseudonymise rewrites addresses inside
 * the listed networks with Crypto-PAn (prefix-preserving, keyed from
 * key-file, so the same address maps to the same pseudonym across
 * restarts); other addresses stay as they are.
 */
#ifndef MAMORI_PRIVACY_H
#define MAMORI_PRIVACY_H

#include "mamori/config.h"
#include "mamori/eve.h"

struct privacy;

/* Read privacy-profiles.NAME from a validated config. key: the key that
 * names it (outputs.kafka.N.profile), for errors. Returns NULL with *err
 * filled (an unknown profile, a bad network, an unreadable key file). */
struct privacy *privacy_load(const struct config *c, const char *name,
			     const char *key, struct config_error *err);
void privacy_free(struct privacy *p);

/* The EVE settings a profile implies (payload off for drop-payload). */
void privacy_eve_ctx(const struct privacy *p, struct eve_ctx *ctx);
/* Rewrite a record copy as it may leave the sensor. */
void privacy_apply(const struct privacy *p, struct event_record *ev);

#endif
