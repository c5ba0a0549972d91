/* stream.c - the NDJSON line stream between a producer thread and a response's content reader
 * (stream.h). It knows no HTTP library: the connection is suspended, resumed and asked whether its
 * client hung up through the ops its creator registered (srv_stream_conn). */
#include "stream.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

/* a chunk handed to the reader at most (it is called again for the rest) */
#define STREAM_CHUNK SRV_STREAM_BLOCK

struct srv_stream {
    pthread_mutex_t lock;
    pthread_cond_t drained;   /* the reader took bytes (or left): a waiting producer looks again */
    size_t limit;             /* unread bytes the producer may queue (0 = no cap) */
    double stall_ms;          /* a producer at the cap gives up when the reader took nothing for this long */
    const atomic_int *cancel; /* nullable: a waiting producer gives up when raised */
    srv_stream_conn conn;     /* the creator's connection ops: suspend, resume, hung up */
    char *buf;                /* buffered bytes [off, len) */
    size_t off, len, cap;
    size_t sent;
    int closed;      /* the producer is done */
    int waiting;     /* the reader suspended the connection for lack of data */
    int reader_gone; /* the response was freed (done or client gone) */
    atomic_int refs;
    void *owner;
    void (*owner_free)(void *owner);
    void (*on_gone)(void *owner);
};

static void unref(srv_stream *st) {
    if (atomic_fetch_sub(&st->refs, 1) != 1) return;
    pthread_mutex_destroy(&st->lock);
    pthread_cond_destroy(&st->drained);
    free(st->buf);
    void *owner = st->owner;
    void (*owner_free)(void *) = st->owner_free;
    free(st);
    if (owner_free) owner_free(owner);
}

srv_stream *srv_stream_new(const srv_stream_conn *conn, void *owner, void (*owner_free)(void *owner),
                           void (*on_gone)(void *owner)) {
    srv_stream *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        return NULL;
    }
    if (pthread_cond_init(&st->drained, NULL) != 0) {
        pthread_mutex_destroy(&st->lock);
        free(st);
        return NULL;
    }
    st->conn = *conn;
    st->owner = owner;
    st->owner_free = owner_free;
    st->on_gone = on_gone;
    atomic_init(&st->refs, 2);
    return st;
}

/* Resumes the connection if the reader is waiting; under the lock. */
static void wake(srv_stream *st) {
    if (!st->waiting) return;
    st->waiting = 0;
    st->conn.resume(st->conn.conn);
}

void srv_stream_set_cap(srv_stream *st, size_t cap, double stall_ms, const atomic_int *cancel) {
    pthread_mutex_lock(&st->lock);
    st->limit = cap;
    st->stall_ms = stall_ms;
    st->cancel = cancel;
    pthread_mutex_unlock(&st->lock);
}

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int append(srv_stream *st, const char *line, size_t len, int capped) {
    pthread_mutex_lock(&st->lock);
    /* a slow reader: wait (50 ms at a time, for the cancel flag) until it has read below the cap, or
     * give up when it took nothing for stall_ms (the worker is not held by a reader that does not read) */
    size_t seen = st->sent;
    double since = mono_ms();
    int stalled = 0;
    while (capped && st->limit && !st->reader_gone && st->len - st->off >= st->limit &&
           !(st->cancel && atomic_load(st->cancel))) {
        if (st->sent != seen) {
            seen = st->sent;
            since = mono_ms();
        } else if (st->stall_ms > 0 && mono_ms() - since >= st->stall_ms) {
            stalled = 1;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&st->drained, &st->lock, &ts);
    }
    if (st->reader_gone || (capped && st->limit && st->len - st->off >= st->limit)) {
        pthread_mutex_unlock(&st->lock);
        return stalled ? -2 : -1;
    }
    if (st->off > 0 && (st->off == st->len || st->off >= st->len / 2)) { /* compact: the buffer stays ~2 x cap */
        memmove(st->buf, st->buf + st->off, st->len - st->off);
        st->len -= st->off;
        st->off = 0;
    }
    if (st->len + len + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + len + 1) cap *= 2;
        char *b = realloc(st->buf, cap);
        if (!b) {
            pthread_mutex_unlock(&st->lock);
            return -1;
        }
        st->buf = b;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, line, len);
    st->buf[st->len + len] = '\n';
    st->len += len + 1;
    wake(st);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

int srv_stream_write(srv_stream *st, const char *line, size_t len) { return append(st, line, len, 1); }

int srv_stream_write_last(srv_stream *st, const char *line, size_t len) { return append(st, line, len, 0); }

void srv_stream_close(srv_stream *st) {
    pthread_mutex_lock(&st->lock);
    st->closed = 1;
    if (!st->reader_gone) wake(st);
    pthread_mutex_unlock(&st->lock);
    unref(st);
}

ssize_t srv_stream_read(void *cls, uint64_t pos, char *out, size_t max) {
    (void)pos;
    srv_stream *st = cls;
    pthread_mutex_lock(&st->lock);
    if (st->len > st->off) {
        size_t n = st->len - st->off;
        if (n > max) n = max;
        if (n > STREAM_CHUNK) n = STREAM_CHUNK;
        memcpy(out, st->buf + st->off, n);
        st->off += n;
        st->sent += n;
        pthread_cond_signal(&st->drained);
        pthread_mutex_unlock(&st->lock);
        return (ssize_t)n;
    }
    if (st->closed) {
        pthread_mutex_unlock(&st->lock);
        return SRV_STREAM_END;
    }
    /* nothing yet: suspend until the producer writes (returning 0 alone would busy-loop) */
    st->waiting = 1;
    st->conn.suspend(st->conn.conn);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

void srv_stream_reader_done(void *cls) {
    srv_stream *st = cls;
    pthread_mutex_lock(&st->lock);
    st->reader_gone = 1;
    st->waiting = 0;
    pthread_cond_signal(&st->drained);
    int early = !st->closed;
    pthread_mutex_unlock(&st->lock);
    if (early && st->on_gone) st->on_gone(st->owner);
    unref(st);
}

void srv_stream_abandon(srv_stream *st) { srv_stream_reader_done(st); }

int srv_stream_gone(srv_stream *st) {
    pthread_mutex_lock(&st->lock);
    /* while waiting the connection is suspended: MHD neither watches nor frees it */
    int gone = st->reader_gone || (st->waiting && st->conn.hung_up(st->conn.conn));
    pthread_mutex_unlock(&st->lock);
    return gone;
}

size_t srv_stream_sent(srv_stream *st) {
    pthread_mutex_lock(&st->lock);
    size_t n = st->sent;
    pthread_mutex_unlock(&st->lock);
    return n;
}
