/*
 * log: one line per message on stderr, prefixed with the level. stderr is
 * unbuffered, so each message is a single write and lines from different
 * threads do not interleave within a line.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mamori/log.h"

int mamori_log_level = LOG_LVL_NOTICE;

static const char *const level_names[] = {
	"error", "warning", "notice", "info", "debug",
};

void mamori_log(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if ((int)lvl > mamori_log_level)
		return;
	n = snprintf(line, sizeof(line), "mamori: %s: ", level_names[lvl]);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
