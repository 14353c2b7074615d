/*
 * privacy: profiles that decide what leaves the sensor per Kafka sink.
 */
#include <stdlib.h>
#include <string.h>

#include "mamori/privacy.h"

struct privacy {
	bool drop_payload;
	bool drop_packet;
};

struct privacy *privacy_load(const struct config *c, const char *name,
			     const char *key, struct config_error *err)
{
	config_where(c, key, err);
	snprintf(err->key, sizeof(err->key), "%s", key);
	snprintf(err->msg, sizeof(err->msg), "privacy profiles are not supported yet ('%s')",
		 name);
	return NULL;
}

void privacy_free(struct privacy *p)
{
	free(p);
}

void privacy_eve_ctx(const struct privacy *p, struct eve_ctx *ctx)
{
	if (p->drop_payload) {
		ctx->log_payload = false;
		ctx->log_payload_printable = false;
	}
}

void privacy_apply(const struct privacy *p, struct event_record *ev)
{
	if (p->drop_payload)
		ev->payload_len = 0;
}
