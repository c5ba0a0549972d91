/* log.h - one line per event on stderr:
 *
 *     <ISO 8601 UTC time> <level> <event> key=value ...
 *
 * e.g. "2025-03-01T12:00:00.123Z info request id=17 method=POST path=/v1/map status=200 ms=4.2".
 * Levels error < warn < info < debug; a message above the logger's level costs one atomic load.
 * The logger lives in the server struct (no global state); its level may be changed at any time
 * (SIGHUP reload) and lines from different threads never interleave.
 *
 * Two modes. Until srv_log_start (start-up, unit tests) a line is written at once with one write(2).
 * After it, srv_log never does I/O: the line is copied into a bounded byte ring under a mutex held
 * for the copy only, and the logger's own thread writes the ring out. A full ring drops the line and
 * counts it (*dropped: dnnfuser_log_dropped_total); once the ring has drained the writer reports the
 * loss in a "warn log_dropped lines=N total=M" line. So a stuck log reader (a pipe nobody empties)
 * costs lines, never a request thread or the signal thread. srv_log_stop flushes for a bounded time,
 * then abandons what is left (cancelling a writer blocked in write(2)); after it lines are dropped. */
#ifndef DNNFUSER_SERVER_LOG_H
#define DNNFUSER_SERVER_LOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { SRV_LOG_ERROR = 0, SRV_LOG_WARN, SRV_LOG_INFO, SRV_LOG_DEBUG, SRV_LOG_LEVELS } srv_log_level;

/* Ring size main starts the daemon's logger with: about 2,000 access lines. */
#define SRV_LOG_QUEUE_BYTES (256 * 1024)

struct srv_log_queue;

typedef struct {
    atomic_int level;        /* srv_log_level */
    int fd;                  /* where lines go (2 = stderr) */
    struct srv_log_queue *q; /* NULL: write at once (before start) */
    atomic_int stopped;      /* after srv_log_stop: lines are dropped */
    atomic_uint_least64_t own_dropped;
    atomic_uint_least64_t *dropped; /* where drops are counted (own_dropped unless given) */
} srv_logger;

void srv_log_init(srv_logger *lg, int fd, srv_log_level level);
/* Starts the writer thread with a ring of queue_bytes (>= 4096); drops are counted in *dropped (NULL:
 * in the logger). Call before the threads that log start, from a thread whose signal mask they may
 * inherit. Returns 0, or -1 (out of memory, no thread: the logger stays synchronous). */
int srv_log_start(srv_logger *lg, size_t queue_bytes, atomic_uint_least64_t *dropped);
/* Flushes for at most wait_ms, then stops the writer (cancelling it if it is stuck in write(2)) and
 * frees the ring. No other thread may log concurrently. Returns the bytes abandoned (0 = all written). */
size_t srv_log_stop(srv_logger *lg, int wait_ms);
/* Waits at most wait_ms for the ring to be written out (other threads may go on logging); returns
 * the bytes still queued. */
size_t srv_log_flush(srv_logger *lg, int wait_ms);
uint64_t srv_log_dropped(const srv_logger *lg);
void srv_log_set_level(srv_logger *lg, srv_log_level level);
int srv_log_enabled(const srv_logger *lg, srv_log_level level);

/* fmt continues the line after the event name: key=value pairs separated by spaces (logfmt). A value
 * that comes from outside (a path, a client's text, an error message) goes through srv_log_value. */
void srv_log(const srv_logger *lg, srv_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* s (nullable) as one logfmt value in buf[n] (n >= 8): bare when it is non-empty printable ASCII
 * without space, '"', '=' or backslash; else in double quotes, with '"' and backslash escaped by a
 * backslash, newline/CR/tab as \n \r \t and any other byte outside printable ASCII as \xNN, so a
 * value can never end early or forge another field. A value too long for buf is cut (inside the
 * quotes) and ends in "...". Returns buf, for use as a %s argument. */
#define SRV_LOG_VALUE_MAX 600
const char *srv_log_value(const char *s, char *buf, size_t n);
/* srv_log_value into a buffer of the calling statement (for lines off the hot path). */
#define SRV_LOGV(s) srv_log_value((s), (char[SRV_LOG_VALUE_MAX]){0}, SRV_LOG_VALUE_MAX)

const char *srv_log_level_name(srv_log_level l);
/* "error", "warn" (or "warning"), "info", "debug" -> 0 and *out, else -1. */
int srv_log_level_parse(const char *s, srv_log_level *out);

#endif
