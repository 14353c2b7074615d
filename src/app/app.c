/*
 * app: what the application-layer parsers share (see app.h).
 */
#include <stddef.h>

#include "mamori/app.h"

const char *app_proto_name(enum app_proto p)
{
	switch (p) {
	case APP_PROTO_HTTP: return "http";
	case APP_PROTO_DNS: return "dns";
	case APP_PROTO_TLS: return "tls";
	case APP_PROTO_FAILED: return "failed";
	default: return NULL;
	}
}
