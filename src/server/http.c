/* http.c - libmicrohttpd integration (see http.h for the per-request state machine). MHD runs its
 * own polling thread(s) (MHD_USE_INTERNAL_POLLING_THREAD, epoll, optional thread pool); handlers
 * never block: slow work is submitted to the batcher and the connection suspended. */
#define _GNU_SOURCE /* POLLRDHUP */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "connguard.h"

/* a streamed reply's reader is handed to MHD as is: its end of stream must be MHD's */
_Static_assert(SRV_REPLY_READ_END == MHD_CONTENT_READER_END_OF_STREAM, "SRV_REPLY_READ_END is MHD's end of stream");

struct srv_http {
    struct MHD_Daemon *d;
    MHD_socket quiesced_fd;    /* returned by MHD_quiesce_daemon; closed after MHD_stop_daemon */
    srv_guard *guard;          /* per-address cap, progress timeouts, idle connections at the limit */
    const srv_http_table *tab; /* what to serve: the caller's (srv_http_start) */
};

/* Route index for a URL path (query string excluded by MHD), or -1. */
static int route_match(const srv_http_table *t, const char *path) {
    if (!path) return -1;
    for (int i = 0; i < t->n; i++) {
        const srv_route *rt = &t->routes[i];
        size_t n = strlen(rt->path);
        if (!rt->prefix) {
            if (strcmp(path, rt->path) == 0) return i;
        } else if (strncmp(path, rt->path, n) == 0 && path[n] && !strchr(path + n, '/')) {
            return i;
        }
    }
    return -1;
}

/* A request line with more query parameters than this, or whose parameters would take more than half
 * the connection's memory pool (--conn-memory; about 64 bytes of bookkeeping each), is answered 431 at
 * once (on_uri): MHD 0.9.75 runs out of pool for them, logs 431 and then leaves the connection hanging
 * until the connection timeout (never, with --conn-timeout 0). */
#define MAX_QUERY_PARAMS 256
#define QUERY_PARAM_POOL_BYTES 64

/* The guard's record of a connection (MHD's socket context, set by on_connection). */
static srv_guard_conn *guard_conn(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? (srv_guard_conn *)ci->socket_context : NULL;
}

void srv_http_suspend(void *conn) { MHD_suspend_connection(conn); }
void srv_http_resume(void *conn) { MHD_resume_connection(conn); }

/* A suspended connection is not polled by MHD, so the loop asks the socket itself: the peer closed
 * (FIN: POLLRDHUP, as Go's net/http treats a read EOF while a handler runs) or reset it. The fd stays
 * open while the connection is suspended. */
int srv_http_gone(void *conn) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci || ci->connect_fd == MHD_INVALID_SOCKET) return 0;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLRDHUP};
    if (poll(&p, 1, 0) <= 0) return 0;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

const char *srv_http_header(const srv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *srv_http_arg(const srv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *srv_http_lib_version(void) { return MHD_get_version(); }

static int method_of(const char *m) {
    if (strcmp(m, MHD_HTTP_METHOD_GET) == 0) return SRV_METHOD_GET;
    if (strcmp(m, MHD_HTTP_METHOD_HEAD) == 0) return SRV_METHOD_HEAD;
    if (strcmp(m, MHD_HTTP_METHOD_POST) == 0) return SRV_METHOD_POST;
    return SRV_METHOD_OTHER;
}

/* Media type `want` (e.g. application/json), optionally with parameters ("; charset=utf-8"). */
static int is_type(const char *ct, const char *want) {
    if (!ct) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strlen(want);
    if (strncasecmp(ct, want, n) != 0) return 0;
    const char *p = ct + n;
    while (*p == ' ' || *p == '\t') p++;
    return *p == '\0' || *p == ';';
}

/* Checks done on the first call, before any body byte (the answer itself waits: pitfall 2). */
static void precheck(srv *s, srv_req *r) {
    const srv_route *rt = s->http->tab->routes;
    if (r->route < 0) {
        srv_fail_set(&r->early, SRV_PROB_NOT_FOUND, NULL, "no route for %.200s", r->path);
        return;
    }
    if (!(rt[r->route].methods & r->method)) {
        srv_fail_set(&r->early, SRV_PROB_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s (allowed: %s)",
                     r->method_str, rt[r->route].path, rt[r->route].allow);
        return;
    }
    if (r->method != SRV_METHOD_POST) return;
    if (atomic_load(&s->draining)) { /* known before the body: not worth reading it (nor a 100 Continue) */
        srv_fail_set(&r->early, SRV_PROB_DRAINING, NULL, "the server is shutting down; retry on another instance");
        r->early.retry_after = 1;
        return;
    }
    const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    /* an ONNX model as the raw body: the routes that say so (its other fields in the query string) */
    r->onnx = is_type(ct, "application/onnx") && rt[r->route].onnx;
    if (!r->onnx && !is_type(ct, "application/json")) {
        srv_fail_set(&r->early, SRV_PROB_UNSUPPORTED_MEDIA, NULL,
                     "Content-Type must be application/json (or application/onnx on /v1/map), got %.80s",
                     ct ? ct : "none");
        return;
    }
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (!cl && !te) {
        srv_fail_set(&r->early, SRV_PROB_LENGTH_REQUIRED, NULL, "a POST body needs Content-Length or chunked encoding");
        return;
    }
    int64_t max = atomic_load(&s->lim.max_body);
    if (cl) {
        char *end;
        unsigned long long v = strtoull(cl, &end, 10);
        if (*end == '\0' && v > (unsigned long long)max)
            srv_fail_set(&r->early, SRV_PROB_BODY_TOO_LARGE, NULL, "the body has %llu bytes, the limit is %lld", v,
                         (long long)max);
    }
}

typedef struct {
    json_t *obj;
    srv_fail *f;
} query_acc;

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    query_acc *q = cls;
    if (!key) return MHD_YES;
    if (strcmp(key, "format") == 0) return MHD_YES; /* how to answer (?format=svg), not a request field */
    if (json_object_get(q->obj, key)) {
        srv_fail_set(q->f, SRV_PROB_INVALID_REQUEST, NULL, "query parameter %.60s is given twice", key);
        return MHD_NO;
    }
    if (json_object_set_new(q->obj, key, json_string(value ? value : ""))) {
        srv_fail_set(q->f, SRV_PROB_INTERNAL, NULL, "out of memory");
        return MHD_NO;
    }
    return MHD_YES;
}

json_t *srv_http_query(srv_req *r, srv_fail *f) {
    srv_fail_clear(f);
    query_acc q = {json_object(), f};
    if (!q.obj) {
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, on_query_arg, &q);
    if (f->kind != SRV_PROB_NONE) {
        json_decref(q.obj);
        return NULL;
    }
    return q.obj;
}

/* Appends a body chunk; beyond max-body the body is dropped and 413 noted. */
static void append_body(srv *s, srv_req *r, const char *data, size_t n) {
    if (r->early.kind != SRV_PROB_NONE || r->method != SRV_METHOD_POST) return; /* discard */
    size_t max = (size_t)atomic_load(&s->lim.max_body);
    if (r->len + n > max) {
        srv_fail_set(&r->early, SRV_PROB_BODY_TOO_LARGE, NULL, "the body is larger than the limit of %zu bytes", max);
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        return;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n) cap *= 2;
        if (cap > max) cap = max;
        char *b = realloc(r->body, cap);
        if (!b) {
            srv_fail_set(&r->early, SRV_PROB_INTERNAL, NULL, "out of memory reading the body");
            free(r->body);
            r->body = NULL;
            r->len = r->cap = 0;
            return;
        }
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
}

/* A body charged to the memory budget: freed and released when MHD is done with the response (the
 * client read it, or left). */
typedef struct {
    srv_mem *mem;
    int64_t n;
    char *body;
} charged_body;

static void charged_free(void *cls) {
    charged_body *c = cls;
    free(c->body);
    srv_mem_release(c->mem, c->n);
    free(c);
}

static struct MHD_Response *charged_response(srv *s, srv_reply *rep) {
    charged_body *c = malloc(sizeof *c);
    struct MHD_Response *resp =
        c ? MHD_create_response_from_buffer_with_free_callback_cls(rep->len, rep->body, charged_free, c) : NULL;
    if (c && !resp) free(c);
    if (!resp) {
        srv_mem_release(&s->mem, rep->mem_charge);
        return NULL;
    }
    *c = (charged_body){&s->mem, rep->mem_charge, rep->body};
    return resp;
}

static enum MHD_Result queue_reply(srv *s, srv_req *r, srv_reply *rep) {
    struct MHD_Response *resp =
        rep->read ? MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, rep->read_block, rep->read, rep->read_cls,
                                                      rep->read_done)
        : rep->mem_charge > 0
            ? charged_response(s, rep)
            : MHD_create_response_from_buffer(rep->len, rep->body,
                                              rep->persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        if (rep->read)
            rep->read_done(rep->read_cls);
        else if (!rep->persistent)
            free(rep->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            rep->content_type ? rep->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", r->id_str);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", rep->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (rep->allow) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    /* a body we did not read (413) or an unread remainder: do not keep the connection */
    if (rep->status == 413 || rep->status == 411 || r->at_once)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned int)rep->status, resp);
    MHD_destroy_response(resp);
    r->answered = 1;
    double secs = (srv_now_ms() - r->t0) / 1e3;
    srv_metrics_request(&s->metrics, r->route >= 0 ? r->route : s->http->tab->n, rep->status, secs);
    srv_log_level lvl = rep->status >= 500 ? SRV_LOG_WARN : rep->status >= 400 ? SRV_LOG_INFO : SRV_LOG_DEBUG;
    char qid[SRV_REQID_MAX + 8], qm[48], qp[2 * sizeof r->path];
    srv_log(&s->log, lvl, "request", "id=%s method=%s path=%s status=%d ms=%.3f bytes=%zu",
            srv_log_value(r->id_str, qid, sizeof qid), srv_log_value(r->method_str, qm, sizeof qm),
            srv_log_value(r->path, qp, sizeof qp), rep->status, secs * 1e3, rep->len);
    return ret;
}

/* The problem noted before the body (r->early). */
static enum MHD_Result answer_early(srv *s, srv_req *r) {
    srv_reply rep;
    srv_reply_problem(&rep, &r->early, r->id_str);
    if (r->early.kind == SRV_PROB_METHOD_NOT_ALLOWED) rep.allow = s->http->tab->routes[r->route].allow;
    return queue_reply(s, r, &rep);
}

static int expects_continue(struct MHD_Connection *conn) {
    const char *e = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return e && strcasecmp(e, "100-continue") == 0;
}

/* A body follows the headers (Content-Length above 0, or chunked). */
static int has_body(struct MHD_Connection *conn) {
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    return (te && *te) || (cl && strtoull(cl, NULL, 10) > 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    (void)version;
    srv *s = cls;
    srv_req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        r->s = s;
        r->conn = conn;
        r->t0 = srv_now_ms();
        r->id = atomic_fetch_add(&s->next_id, 1) + 1;
        srv_reqid_make(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id"), s->instance, r->id,
                       r->id_str, sizeof r->id_str);
        r->url = url;
        snprintf(r->path, sizeof r->path, "%s", url ? url : "");
        for (char *p = r->path; *p; p++) /* printable ASCII (the 404 detail is JSON); the log quotes it */
            if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) *p = '?';
        snprintf(r->method_str, sizeof r->method_str, "%s", method ? method : "?");
        for (char *p = r->method_str; *p; p++)
            if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) *p = '?';
        r->method = method_of(method ? method : "");
        r->route = route_match(s->http->tab, url);
        srv_fail_clear(&r->early);
        atomic_fetch_add(&s->metrics.inflight, 1);
        precheck(s, r);
        *con_cls = r;
        r->guard = guard_conn(conn);
        srv_guard_headers_done(s->http->guard, r->guard, has_body(conn), r->t0);
        /* A client that sent Expect: 100-continue waits for a 100 before its body. MHD sends it when
         * the first call queues nothing, so a request already known to fail (413 by Content-Length, 415,
         * 404, 405, 503 draining) is answered now, without the body (MHD then closes the connection; the
         * reply says Connection: close). Otherwise: never answer on the first call (PLATFORM.md
         * pitfall 2). */
        if (r->early.kind != SRV_PROB_NONE && expects_continue(conn)) {
            r->at_once = 1;
            return answer_early(s, r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        append_body(s, r, upload_data, *upload_data_size);
        srv_guard_body(s->http->guard, r->guard, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->answered) return MHD_YES;
    srv_guard_busy(s->http->guard, r->guard);
    srv_reply rep;
    memset(&rep, 0, sizeof rep);
    if (r->task) {
        /* resumed: the batcher is done with the task (or its validation: then it is solved next) */
        if (s->http->tab->resumed(s, r, &rep) == SRV_ROUTE_SUSPENDED) return MHD_YES;
        return queue_reply(s, r, &rep);
    }
    if (r->early.kind != SRV_PROB_NONE) return answer_early(s, r);
    /* suspended: the task may already be done */
    if (s->http->tab->routes[r->route].fn(s, r, &rep) == SRV_ROUTE_SUSPENDED) return MHD_YES;
    return queue_reply(s, r, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe) {
    (void)conn;
    srv *s = cls;
    srv_req *r = *con_cls;
    if (!r) return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        char qid[SRV_REQID_MAX + 8];
        srv_log(&s->log, SRV_LOG_DEBUG, "request_end", "id=%s code=%d answered=%d",
                srv_log_value(r->id_str, qid, sizeof qid), (int)toe, r->answered);
    }
    if (r->task) s->http->tab->task_free(r->task);
    free(r->body);
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) srv_guard_idle(s->http->guard, r->guard, srv_now_ms());
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->metrics.inflight, 1);
}

/* Accept policy: the per-address connection cap. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t len) {
    srv *s = cls;
    return srv_guard_accept(s->http->guard, addr, len) ? MHD_YES : MHD_NO;
}

/* Every connection MHD holds is known to the guard; TCP keepalive finds peers that vanished without a
 * FIN (with --conn-timeout 0 nothing else would). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    srv *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        int fd = fi ? fi->connect_fd : -1;
        if (fd >= 0) {
            int one = 1, idle = 60, intvl = 10, cnt = 6;
            setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
            setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
        }
        const struct sockaddr *sa = ai ? ai->client_addr : NULL;
        socklen_t sl = !sa                         ? 0
                       : sa->sa_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
                                                   : (socklen_t)sizeof(struct sockaddr_in);
        *socket_context = srv_guard_open(s->http->guard, fd, sa, sl, srv_now_ms());
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        srv_guard_close(s->http->guard, *socket_context);
        *socket_context = NULL;
    }
}

/* The request line is in (before MHD parses its query into the connection's pool): one with more
 * parameters than the pool can hold is answered 431 here, straight on the socket, and shut down, as
 * MHD 0.9.75 would log 431 but send nothing and keep the socket (see MAX_QUERY_PARAMS). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    srv *s = cls;
    if (!uri) return NULL;
    const char *q = strchr(uri, '?');
    if (!q) return NULL;
    size_t params = 1, len = strlen(q);
    for (const char *p = q; *p; p++) params += *p == '&';
    if (params <= MAX_QUERY_PARAMS && params * QUERY_PARAM_POOL_BYTES + len <= (size_t)s->cfg.conn_memory / 2)
        return NULL;
    const union MHD_ConnectionInfo *fi = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!fi || fi->connect_fd == MHD_INVALID_SOCKET) return NULL;
    char body[512], msg[1024];
    int bl =
        snprintf(body, sizeof body,
                 "{\"type\":\"https://dnnfuser.dev/problems/header-fields-too-large\",\"title\":\"Request header "
                 "fields too large\",\"status\":431,\"detail\":\"the query has %zu parameters (%zu bytes); at most "
                 "%d are accepted\"}",
                 params, len, MAX_QUERY_PARAMS);
    int ml = snprintf(msg, sizeof msg,
                      "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/problem+json\r\n"
                      "Connection: close\r\nCache-Control: no-store\r\nContent-Length: %d\r\n\r\n%s",
                      bl, body);
    if (ml > 0 && (size_t)ml < sizeof msg) {
        ssize_t w = send(fi->connect_fd, msg, (size_t)ml, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* best effort: the connection is closed either way */
    }
    shutdown(fi->connect_fd, SHUT_RDWR);
    atomic_fetch_add(&s->metrics.conn_cut[SRV_CUT_QUERY_TOO_LARGE], 1);
    srv_log(&s->log, SRV_LOG_INFO, "request_refused", "status=431 reason=query_too_large params=%zu bytes=%zu", params,
            len);
    return NULL;
}

/* MHD_OPTION_EXTERNAL_LOGGER: fmt and ap are MHD's own printf-style message */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    srv *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
    /* a client that hangs up mid-request (or one the guard cut) is the client's event, not the server's */
    srv_log_level lvl = strstr(msg, "closed by remote side") || strstr(msg, "detected connection closure")
                            ? SRV_LOG_DEBUG
                            : SRV_LOG_WARN;
    char q[SRV_LOG_VALUE_MAX];
    srv_log(&s->log, lvl, "mhd", "msg=%s", srv_log_value(msg, q, sizeof q));
}

/* Binds and listens ourselves, so the real port (also for --port 0) is known before any MHD thread
 * can read s->port or s->listen_addr. Returns the socket or -1. */
static int listen_socket(srv *s, int *family, char *err, size_t errlen) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, s->cfg.bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)s->cfg.port);
        len = sizeof *a4;
    } else if (inet_pton(AF_INET6, s->cfg.bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)s->cfg.port);
        len = sizeof *a6;
    } else {
        snprintf(err, errlen, "bind address '%s' is not an IPv4 or IPv6 literal", s->cfg.bind);
        return -1;
    }
    *family = ss.ss_family;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s port %lld: %s", s->cfg.bind, (long long)s->cfg.port,
                 strerror(errno));
        close(fd);
        return -1;
    }
    len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        close(fd);
        return -1;
    }
    s->port = ntohs(ss.ss_family == AF_INET6 ? a6->sin6_port : a4->sin_port);
    if (ss.ss_family == AF_INET6)
        snprintf(s->listen_addr, sizeof s->listen_addr, "[%s]:%d", s->cfg.bind, s->port);
    else
        snprintf(s->listen_addr, sizeof s->listen_addr, "%s:%d", s->cfg.bind, s->port);
    return fd;
}

int srv_http_start(srv *s, const srv_http_table *table, char *err, size_t errlen) {
    srv_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    h->tab = table;
    h->quiesced_fd = MHD_INVALID_SOCKET;
    srv_guard_opts go = {.max_connections = s->cfg.max_connections,
                         .per_ip = s->cfg.per_ip_connections,
                         .header_timeout_ms = s->cfg.header_timeout * 1000,
                         .min_body_rate = s->cfg.min_body_rate,
                         .log = &s->log,
                         .metrics = &s->metrics};
    if (!(h->guard = srv_guard_new(&go)) || srv_guard_start(h->guard)) {
        snprintf(err, errlen, "cannot start the connection guard");
        srv_guard_free(h->guard);
        free(h);
        return -1;
    }
    int family;
    int fd = listen_socket(s, &family, err, errlen);
    if (fd < 0) {
        srv_guard_free(h->guard);
        free(h);
        return -1;
    }
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (family == AF_INET6) flags |= MHD_USE_IPv6;
    struct MHD_OptionItem opts[16];
    int k = 0;
    /* the logger first, or MHD prints its own warnings before it is set */
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, s};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, fd, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->cfg.max_connections, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)s->cfg.conn_memory, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->cfg.conn_timeout, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s};
    if (s->cfg.mhd_threads > 1) /* 1 would only print a warning (PLATFORM.md pitfall 7) */
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->cfg.mhd_threads, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->http = h; /* before MHD starts: its callbacks reach the guard through it */
    h->d = MHD_start_daemon(flags, 0, on_accept, s, &on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot start libmicrohttpd on %s", s->listen_addr);
        close(fd);
        s->http = NULL;
        srv_guard_free(h->guard);
        free(h);
        return -1;
    }
    return 0;
}

void srv_http_quiesce(srv *s) {
    if (!s->http || !s->http->d || s->http->quiesced_fd != MHD_INVALID_SOCKET) return;
    s->http->quiesced_fd = MHD_quiesce_daemon(s->http->d);
    /* MHD no longer accepts, but the socket would still listen: new clients would complete their
     * handshake into the backlog and hang. shutdown(2) stops the listening (new connections are
     * refused, those waiting in the backlog reset) while the fd stays open until MHD_stop_daemon. */
    if (s->http->quiesced_fd != MHD_INVALID_SOCKET) shutdown(s->http->quiesced_fd, SHUT_RDWR);
}

void srv_http_stop(srv *s) {
    if (!s->http) return;
    srv_guard_stop(s->http->guard);
    if (s->http->d) MHD_stop_daemon(s->http->d);
    srv_guard_free(s->http->guard); /* every connection is closed now */
    /* the quiesced socket must outlive the MHD threads (microhttpd.h, MHD_quiesce_daemon) */
    if (s->http->quiesced_fd != MHD_INVALID_SOCKET) close(s->http->quiesced_fd);
    free(s->http);
    s->http = NULL;
}
