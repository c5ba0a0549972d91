/* stream.h - a line stream from a producer thread to a response's content reader (NDJSON replies).
 * No HTTP library here: the creator registers its connection ops (srv_stream_conn: suspend, resume,
 * hung up; http.c's for the daemon) and hands srv_stream_read / srv_stream_reader_done to the HTTP
 * layer as the response's reader (srv_reply.read, http.h).
 *
 *   producer (worker / loop)             HTTP thread (srv_stream_read, the content reader)
 *   srv_stream_write(line):              lock; bytes buffered? copy them out
 *     lock; append line + '\n'           nothing yet and not closed: mark waiting,
 *     reader waiting? conn.resume          conn.suspend, return 0 (no busy loop)
 *     unlock                             closed and drained: end of stream
 *   srv_stream_close: closed = 1, resume  srv_stream_reader_done (response done or client gone):
 *                                          reader_gone = 1, on_gone(ctx)
 *
 * The reader suspends under the stream's lock and the producer resumes under it, so a resume never
 * precedes its suspend (PLATFORM.md pitfall 3). Two references: the producer's (dropped by
 * srv_stream_close) and the response's (dropped by srv_stream_reader_done when the HTTP layer frees
 * the response, or by srv_stream_abandon when no response was handed over); the last one calls
 * owner_free(owner). */
#ifndef DNNFUSER_SERVER_STREAM_H
#define DNNFUSER_SERVER_STREAM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct srv_stream srv_stream;

/* The connection a stream feeds, as its creator knows it (libuv's way: callbacks, no HTTP here).
 * suspend: the reader has nothing to give (called by srv_stream_read, under the stream's lock);
 * resume: a line came for a waiting reader; hung_up: 1 when the client of the suspended connection
 * closed or reset it (any thread). */
typedef struct {
    void (*suspend)(void *conn);
    void (*resume)(void *conn);
    int (*hung_up)(void *conn);
    void *conn;
} srv_stream_conn;

/* srv_stream_read's end of stream (the value libmicrohttpd's content readers use). */
#define SRV_STREAM_END ((ssize_t)-1)
/* The most srv_stream_read returns at once (the response's block size). */
#define SRV_STREAM_BLOCK (64 * 1024)

/* NULL when out of memory. conn is copied. on_gone (nullable) is called once if the response ends
 * before close. */
srv_stream *srv_stream_new(const srv_stream_conn *conn, void *owner, void (*owner_free)(void *owner),
                           void (*on_gone)(void *owner));
/* Caps the bytes queued and not yet read: past cap a write waits for the reader (suspending the
 * producer: a slow reader slows the work, never grows the buffer), until cancel (nullable) is raised or
 * the reader took nothing for stall_ms (0 = wait for cancel only). */
void srv_stream_set_cap(srv_stream *st, size_t cap, double stall_ms, const atomic_int *cancel);
/* Appends one line (a '\n' is added), first waiting while the cap is reached. Returns 0; -1 when the
 * client is gone, cancel was raised while waiting, or memory ran out; -2 when the reader stalled. */
int srv_stream_write(srv_stream *st, const char *line, size_t len);
/* The same without the cap and never waiting (the last line of a stream; the loop thread may call it). */
int srv_stream_write_last(srv_stream *st, const char *line, size_t len);
/* The producer is done: the reader drains what is buffered and ends the response. Drops its reference. */
void srv_stream_close(srv_stream *st);
/* The reader (cls = the stream; pos unused): up to max buffered bytes into out; 0 when none yet (the
 * connection was suspended: a write resumes it); SRV_STREAM_END once closed and drained. */
ssize_t srv_stream_read(void *cls, uint64_t pos, char *out, size_t max);
/* The response is done with the stream (read to the end, or the client left): drops the response's
 * reference; before close it raises on_gone. */
void srv_stream_reader_done(void *cls);
/* Drops the response's reference when no response was handed over (= srv_stream_reader_done). */
void srv_stream_abandon(srv_stream *st);
/* 1 when the client is gone: the response ended early, or the connection (suspended by the reader while
 * it waits for lines, so MHD does not watch it) was closed or reset by the peer. Any thread. */
int srv_stream_gone(srv_stream *st);
/* Bytes handed to the reader so far (for the access log). */
size_t srv_stream_sent(srv_stream *st);

#endif
