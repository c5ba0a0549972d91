/* log.c - the event logger: formats "<time> <level> <event> key=value ..." into a stack buffer, then
 * either writes it with one write(2) (before srv_log_start) or appends it to a bounded byte ring that
 * the logger's own thread writes out, so no request, loop or signal thread ever waits for the log's
 * reader. Values from outside are quoted logfmt-style by srv_log_value. See log.h. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048

static const char *const level_names[SRV_LOG_LEVELS] = {"error", "warn", "info", "debug"};

/* Bytes [head, head + used) of buf (mod cap) are queued lines; producers append at head + used under
 * mu, the writer writes from head without mu and advances head under it, so the bytes it is writing
 * are never overwritten. */
struct srv_log_queue {
    pthread_mutex_t mu;
    pthread_cond_t more;    /* writer: bytes queued or stop */
    pthread_cond_t drained; /* srv_log_stop: the ring is empty */
    char *buf;
    size_t cap, head, used;
    int stop, writing;
    uint64_t reported; /* drops already reported in a log_dropped line */
    pthread_t thread;
};

void srv_log_init(srv_logger *lg, int fd, srv_log_level level) {
    lg->fd = fd;
    lg->q = NULL;
    atomic_init(&lg->level, (int)level);
    atomic_init(&lg->stopped, 0);
    atomic_init(&lg->own_dropped, 0);
    lg->dropped = &lg->own_dropped;
}

void srv_log_set_level(srv_logger *lg, srv_log_level level) { atomic_store(&lg->level, (int)level); }

int srv_log_enabled(const srv_logger *lg, srv_log_level level) {
    return lg && (int)level <= atomic_load(&((srv_logger *)lg)->level);
}

uint64_t srv_log_dropped(const srv_logger *lg) { return atomic_load(((srv_logger *)lg)->dropped); }

const char *srv_log_value(const char *s, char *buf, size_t n) {
    if (n < 8) {
        if (n) buf[0] = '\0';
        return buf;
    }
    if (!s) s = "";
    int bare = *s != '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p && bare; p++)
        bare = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '=' && *p != '\\';
    size_t len = strlen(s);
    if (bare && len < n) {
        memcpy(buf, s, len + 1);
        return buf;
    }
    /* room: the quotes, "..." and the NUL are kept back */
    size_t k = 0, room = n - 6;
    buf[k++] = '"';
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        char esc[5];
        size_t m;
        if (*p == '"' || *p == '\\')
            m = (size_t)snprintf(esc, sizeof esc, "\\%c", *p);
        else if (*p == '\n')
            m = (size_t)snprintf(esc, sizeof esc, "\\n");
        else if (*p == '\r')
            m = (size_t)snprintf(esc, sizeof esc, "\\r");
        else if (*p == '\t')
            m = (size_t)snprintf(esc, sizeof esc, "\\t");
        else if (*p < 0x20 || *p >= 0x7f)
            m = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
        else {
            esc[0] = (char)*p;
            m = 1;
        }
        if (k + m > room) break;
        memcpy(buf + k, esc, m);
        k += m;
    }
    if (*p) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}

const char *srv_log_level_name(srv_log_level l) { return (l >= 0 && l < SRV_LOG_LEVELS) ? level_names[l] : "?"; }

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

/* Whole write; a cancellation point only where the writer thread enables it. */
static void write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* Formats one line (with its newline) into line[LINE_MAX_BYTES]; returns its length. */
__attribute__((format(printf, 4, 0))) static size_t format_line(char *line, srv_log_level level, const char *event,
                                                                const char *fmt, va_list ap) {
    const size_t cap = LINE_MAX_BYTES;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int k = snprintf(line + n, cap - n, ".%03ldZ %s %s", (long)(tv.tv_usec / 1000), srv_log_level_name(level), event);
    if (k > 0) n += (size_t)k;
    if (n >= cap) n = cap - 1;
    if (fmt && *fmt && n < cap - 2) {
        line[n++] = ' ';
        k = vsnprintf(line + n, cap - n, fmt, ap);
        if (k > 0) n += (size_t)k;
        if (n >= cap) n = cap - 1;
    }
    /* one line per event: a newline inside the text would forge another event */
    for (size_t i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
    line[n++] = '\n';
    return n;
}

/* Appends a line to the ring, or drops and counts it. Never blocks on I/O. */
static void enqueue(srv_logger *lg, const char *line, size_t n) {
    struct srv_log_queue *q = lg->q;
    pthread_mutex_lock(&q->mu);
    if (q->stop || q->cap - q->used < n) {
        pthread_mutex_unlock(&q->mu);
        atomic_fetch_add_explicit(lg->dropped, 1, memory_order_relaxed);
        return;
    }
    size_t tail = (q->head + q->used) % q->cap, first = q->cap - tail < n ? q->cap - tail : n;
    memcpy(q->buf + tail, line, first);
    memcpy(q->buf, line + first, n - first);
    q->used += n;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
}

void srv_log(const srv_logger *clg, srv_log_level level, const char *event, const char *fmt, ...) {
    if (!srv_log_enabled(clg, level)) return;
    srv_logger *lg = (srv_logger *)clg;
    if (atomic_load_explicit(&lg->stopped, memory_order_relaxed)) {
        atomic_fetch_add_explicit(lg->dropped, 1, memory_order_relaxed);
        return;
    }
    char line[LINE_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, level, event, fmt, ap);
    va_end(ap);
    if (lg->q)
        enqueue(lg, line, n);
    else
        write_all(lg->fd, line, n);
}

/* format_line with the arguments inline. */
__attribute__((format(printf, 4, 5))) static size_t format_linef(char *line, srv_log_level level, const char *event,
                                                                 const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_line(line, level, event, fmt, ap);
    va_end(ap);
    return n;
}

static void *writer_main(void *arg) {
    srv_logger *lg = arg;
    struct srv_log_queue *q = lg->q;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->used == 0 && !q->stop) pthread_cond_wait(&q->more, &q->mu);
        if (q->used == 0) break; /* stop, and everything is written */
        size_t n = q->cap - q->head < q->used ? q->cap - q->head : q->used;
        const char *p = q->buf + q->head;
        q->writing = 1;
        pthread_mutex_unlock(&q->mu);
        /* the only place the writer may be cancelled: srv_log_stop gave up on a stuck reader */
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
        write_all(lg->fd, p, n);
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
        pthread_mutex_lock(&q->mu);
        q->writing = 0;
        q->head = (q->head + n) % q->cap;
        q->used -= n;
        uint64_t total = atomic_load_explicit(lg->dropped, memory_order_relaxed);
        if (q->used == 0 && total > q->reported) {
            char line[LINE_MAX_BYTES];
            /* formatted here: the ring may be the thing that is full */
            size_t k = format_linef(line, SRV_LOG_WARN, "log_dropped", "lines=%llu total=%llu reason=log_queue_full",
                                    (unsigned long long)(total - q->reported), (unsigned long long)total);
            q->reported = total;
            pthread_mutex_unlock(&q->mu);
            pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
            write_all(lg->fd, line, k);
            pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
            pthread_mutex_lock(&q->mu);
        }
        if (q->used == 0) pthread_cond_broadcast(&q->drained);
    }
    pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

static void queue_free(struct srv_log_queue *q) {
    pthread_cond_destroy(&q->drained);
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->mu);
    free(q->buf);
    free(q);
}

int srv_log_start(srv_logger *lg, size_t queue_bytes, atomic_uint_least64_t *dropped) {
    if (lg->q) return 0;
    if (dropped) lg->dropped = dropped;
    if (queue_bytes < 4096) queue_bytes = 4096;
    struct srv_log_queue *q = calloc(1, sizeof *q);
    if (!q || !(q->buf = malloc(queue_bytes))) {
        free(q);
        return -1;
    }
    q->cap = queue_bytes;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->more, NULL);
    pthread_cond_init(&q->drained, NULL);
    lg->q = q;
    if (pthread_create(&q->thread, NULL, writer_main, lg) != 0) {
        lg->q = NULL;
        queue_free(q);
        return -1;
    }
    return 0;
}

/* Waits under q->mu (held) until the ring is empty or wait_ms passed; returns the bytes left. */
static size_t wait_drained(struct srv_log_queue *q, int wait_ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (q->used > 0)
        if (pthread_cond_timedwait(&q->drained, &q->mu, &until) == ETIMEDOUT) break;
    return q->used;
}

size_t srv_log_flush(srv_logger *lg, int wait_ms) {
    struct srv_log_queue *q = lg->q;
    if (!q) return 0;
    pthread_mutex_lock(&q->mu);
    size_t left = wait_drained(q, wait_ms);
    pthread_mutex_unlock(&q->mu);
    return left;
}

size_t srv_log_stop(srv_logger *lg, int wait_ms) {
    struct srv_log_queue *q = lg->q;
    atomic_store(&lg->stopped, 1);
    if (!q) return 0;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->more);
    size_t left = wait_drained(q, wait_ms);
    pthread_mutex_unlock(&q->mu);
    /* left > 0: the writer is blocked in write(2) (or about to be): cancel it there */
    if (left > 0) pthread_cancel(q->thread);
    pthread_join(q->thread, NULL);
    lg->q = NULL;
    queue_free(q);
    return left;
}
