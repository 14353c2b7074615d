/*
 * log: messages for the operator on stderr. Startup and management code
 * only; workers never log per packet (they count instead).
 */
#ifndef MAMORI_LOG_H
#define MAMORI_LOG_H

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_NOTICE, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int mamori_log_level;

void mamori_log(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) mamori_log(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) mamori_log(LOG_LVL_WARN, __VA_ARGS__)
#define log_notice(...) mamori_log(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) mamori_log(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) mamori_log(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
