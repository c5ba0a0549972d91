/* log.h - one line per event on stderr:
 *
 *     <ISO 8601 UTC time> <level> <event> key=value ...
 *
 * e.g. "2025-03-01T12:00:00.123Z info request id=17 method=POST path=/v1/map status=200 ms=4.2".
 * Levels error < warn < info < debug; a message above the logger's level costs one atomic load.
 * The logger lives in the server struct (no global state); its level may be changed at any time
 * (SIGHUP reload) and lines from different threads never interleave (one write per line). */
#ifndef DNNFUSER_SERVER_LOG_H
#define DNNFUSER_SERVER_LOG_H

#include <stdatomic.h>
#include <stdio.h>

typedef enum { SRV_LOG_ERROR = 0, SRV_LOG_WARN, SRV_LOG_INFO, SRV_LOG_DEBUG, SRV_LOG_LEVELS } srv_log_level;

typedef struct {
    atomic_int level;  /* srv_log_level */
    int fd;            /* where lines go (2 = stderr) */
} srv_logger;

void srv_log_init(srv_logger *lg, int fd, srv_log_level level);
void srv_log_set_level(srv_logger *lg, srv_log_level level);
int srv_log_enabled(const srv_logger *lg, srv_log_level level);

/* fmt continues the line after the event name: key=value pairs separated by spaces. */
void srv_log(const srv_logger *lg, srv_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

const char *srv_log_level_name(srv_log_level l);
/* "error", "warn" (or "warning"), "info", "debug" -> 0 and *out, else -1. */
int srv_log_level_parse(const char *s, srv_log_level *out);

#endif
