/* stream.h - a line stream from a producer thread to a libmicrohttpd response (NDJSON replies).
 *
 *   producer (worker / loop)             MHD thread (content reader callback)
 *   srv_stream_write(line):              lock; bytes buffered? copy them out
 *     lock; append line + '\n'           nothing yet and not closed: mark waiting,
 *     reader waiting? resume conn          MHD_suspend_connection, return 0 (no busy loop)
 *     unlock                             closed and drained: end of stream
 *   srv_stream_close: closed = 1, resume  free callback (response done or client gone):
 *                                          reader_gone = 1, on_gone(ctx)
 *
 * The reader suspends under the stream's lock and the producer resumes under it, so a resume never
 * precedes its suspend (PLATFORM.md pitfall 3). Two references: the producer's (dropped by
 * srv_stream_close) and the response's (dropped by MHD's free callback, or by srv_stream_abandon when
 * no response could be made); the last one calls owner_free(owner). */
#ifndef DNNFUSER_SERVER_STREAM_H
#define DNNFUSER_SERVER_STREAM_H

#include <stdatomic.h>
#include <stddef.h>

struct MHD_Connection;
struct MHD_Response;

typedef struct srv_stream srv_stream;

/* NULL when out of memory. on_gone (nullable) is called once if the response ends before close. */
srv_stream *srv_stream_new(struct MHD_Connection *conn, void *owner, void (*owner_free)(void *owner),
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
/* The chunked response reading from st (MHD_SIZE_UNKNOWN), or NULL; then call srv_stream_abandon. */
struct MHD_Response *srv_stream_response(srv_stream *st);
/* Drops the response's reference when no response was queued. */
void srv_stream_abandon(srv_stream *st);
/* 1 when the client is gone: the response ended early, or the connection (suspended by the reader while
 * it waits for lines, so MHD does not watch it) was closed or reset by the peer. Any thread. */
int srv_stream_gone(srv_stream *st);
/* Bytes handed to MHD so far (for the access log). */
size_t srv_stream_sent(srv_stream *st);

#endif
