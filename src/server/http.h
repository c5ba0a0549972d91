/* http.h - the libmicrohttpd front: daemon start/quiesce/stop, the access handler state machine, the
 * per-request state and response queuing (with metrics and the access log). The only file that talks
 * to libmicrohttpd is http.c (mk/layers.sh checks it); it knows no endpoint: its caller hands it, at
 * start, the table of what to serve (srv_http_table: {path, methods, handler} rows and what to do
 * with a request's task), libuv's way.
 *
 * Access handler, per request (PLATFORM.md section 3 pitfalls):
 *   call 1 (headers)       allocate srv_req, match the route, pre-check method / Content-Type /
 *                          Content-Length; NEVER queue a response here (pitfall 2)
 *   body calls             append to the body up to max-body (beyond: 413 noted, the rest discarded)
 *   final call             answer now (the route's handler fills a reply) or submit a job (the
 *                          handler returns SRV_ROUTE_SUSPENDED): the batcher suspends the connection
 *                          before publishing it (pitfall 3)
 *   resumed final call     the table's resumed(): the job's reply (or 504) is queued
 *   NOTIFY_COMPLETED       frees everything of the request (the table's task_free), on every path */
#ifndef DNNFUSER_SERVER_HTTP_H
#define DNNFUSER_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "problem.h"
#include "reply.h"
#include "reqid.h"
#include "server.h"

struct MHD_Connection;
struct srv_task;

enum { SRV_METHOD_OTHER = 0, SRV_METHOD_GET = 1, SRV_METHOD_HEAD = 2, SRV_METHOD_POST = 4 };

typedef struct srv_req {
    srv *s;
    struct MHD_Connection *conn;
    uint64_t id;
    char id_str[SRV_REQID_MAX + 1]; /* the client's X-Request-Id when valid, else made (reqid.h) */
    int route;                      /* index in the route table, -1 = no such path */
    int method;                     /* SRV_METHOD_* */
    char method_str[16];
    char path[256];  /* URL path (truncated for logging) */
    const char *url; /* MHD's copy, valid for the request's life */
    double t0;       /* srv_now_ms() at the first call */
    srv_fail early;  /* found before the body: 405, 411, 413, 415 */
    int onnx;        /* POST /v1/map with Content-Type application/onnx: the body is a model */
    char *body;
    size_t len, cap;
    struct srv_task *task;        /* submitted job, owned here; freed at completion */
    int answered;                 /* a response was queued */
    int at_once;                  /* answered on the first call (Expect: 100-continue and an early error) */
    struct srv_guard_conn *guard; /* the connection's record in the guard (connguard.h), may be NULL */
} srv_req;

/* ---- what the caller hands the HTTP layer ---- */

/* A handler either fills a srv_reply (SRV_ROUTE_REPLY) or submits a task to the batcher, sets r->task
 * and returns SRV_ROUTE_SUSPENDED (the connection is then resumed with the task: table.resumed). */
enum { SRV_ROUTE_REPLY = 0, SRV_ROUTE_SUSPENDED = 1 };

typedef int (*srv_route_fn)(srv *s, srv_req *r, srv_reply *out);

typedef struct {
    const char *path; /* exact path, or a prefix when prefix = 1 (then at least one more char, no '/') */
    int prefix;
    int methods;       /* SRV_METHOD_* bits; GET routes also answer HEAD */
    const char *allow; /* Allow header for 405 */
    const char *label; /* metrics route label */
    srv_route_fn fn;
    int onnx; /* a POST body may also be application/onnx (else application/json only) */
} srv_route;

typedef struct {
    const srv_route *routes; /* [n]; the metrics route index of a request that matched none is n */
    int n;
    /* the connection resumed with r->task: fills out (SRV_ROUTE_REPLY) or submits again (SUSPENDED) */
    int (*resumed)(srv *s, srv_req *r, srv_reply *out);
    /* frees r->task (nullable argument) when the request ends */
    void (*task_free)(struct srv_task *t);
} srv_http_table;

/* Starts MHD on cfg's bind address and port, serving table (which must outlive the daemon); s->port
 * and s->listen_addr get the real ones. */
int srv_http_start(srv *s, const srv_http_table *table, char *err, size_t errlen);
/* Stops accepting new connections (SIGTERM); keep-alive connections stay until stop. */
void srv_http_quiesce(srv *s);
/* Stops MHD (no connection may be suspended) and closes the listening socket. */
void srv_http_stop(srv *s);

/* Connection ops, registered by callers that must not know HTTP (the batcher, srv_stream_conn). */
void srv_http_suspend(void *conn);
void srv_http_resume(void *conn);
/* 1 when the client of a suspended connection has closed or reset it (any thread). */
int srv_http_gone(void *conn);

/* A request header's value (NULL when absent); a query parameter's value (NULL when absent). */
const char *srv_http_header(const srv_req *r, const char *name);
const char *srv_http_arg(const srv_req *r, const char *name);
/* The HTTP library's version (GET /v1/info). */
const char *srv_http_lib_version(void);

/* The URL's query parameters as a JSON object of strings (an application/onnx request's fields).
 * NULL with *f set: 400 for a repeated parameter, 500 out of memory. */
json_t *srv_http_query(srv_req *r, srv_fail *f);

#endif
