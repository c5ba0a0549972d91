/* log.c - the event logger: formats "<time> <level> <event> key=value ..." into a stack buffer and
 * writes it with one write(2), so concurrent lines stay whole. Values that may contain spaces are
 * the caller's to quote. See log.h. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[SRV_LOG_LEVELS] = {"error", "warn", "info", "debug"};

void srv_log_init(srv_logger *lg, int fd, srv_log_level level) {
    lg->fd = fd;
    atomic_init(&lg->level, (int)level);
}

void srv_log_set_level(srv_logger *lg, srv_log_level level) { atomic_store(&lg->level, (int)level); }

int srv_log_enabled(const srv_logger *lg, srv_log_level level) {
    return lg && (int)level <= atomic_load(&((srv_logger *)lg)->level);
}

const char *srv_log_level_name(srv_log_level l) {
    return (l >= 0 && l < SRV_LOG_LEVELS) ? level_names[l] : "?";
}

int srv_log_level_parse(const char *s, srv_log_level *out) {
    if (!s) return -1;
    for (int i = 0; i < SRV_LOG_LEVELS; i++)
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (srv_log_level)i;
            return 0;
        }
    if (strcasecmp(s, "warning") == 0) {
        *out = SRV_LOG_WARN;
        return 0;
    }
    return -1;
}

void srv_log(const srv_logger *lg, srv_log_level level, const char *event, const char *fmt, ...) {
    if (!srv_log_enabled(lg, level)) return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, sizeof line - n, ".%03ldZ %s %s", (long)(tv.tv_usec / 1000), srv_log_level_name(level),
                     event);
    if (k > 0) n += (size_t)k;
    if (n >= sizeof line) n = sizeof line - 1;
    if (fmt && *fmt && n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        k = vsnprintf(line + n, sizeof line - n, fmt, ap);
        va_end(ap);
        if (k > 0) n += (size_t)k;
        if (n >= sizeof line) n = sizeof line - 1;
    }
    /* one line per event: a newline inside the text would forge another event */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line[n++] = '\n';
    ssize_t off = 0;
    while ((size_t)off < n) {
        ssize_t w = write(lg->fd, line + off, n - (size_t)off);
        if (w <= 0) break;
        off += w;
    }
}
