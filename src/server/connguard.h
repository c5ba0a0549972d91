/* connguard.h - connection limits that protect the honest clients from one greedy or slow one. It
 * watches every connection libmicrohttpd holds (its notify-connection, accept-policy and access-handler
 * hooks call in here from the MHD threads) and runs one small thread that sweeps them every
 * SRV_GUARD_SWEEP_MS:
 *
 *   per client address  at most per_ip connections at once; more are refused at accept
 *                       (dnnfuser_connections_refused_total{reason="per_ip"})
 *   headers             a request's headers must be complete header_timeout_ms after its first byte
 *                       (after accept for the first request of a connection; for a kept-alive one,
 *                       from the sweep that first sees its byte count grow: TCP_INFO); else a 408
 *                       problem is written and the connection shut down
 *   body                a body must arrive at min_body_rate bytes/s on average after a grace of
 *                       header_timeout_ms (allowed time = grace + bytes so far / rate, as Apache's
 *                       mod_reqtimeout MinRate); else 408 and shut down
 *   idle at the limit   when the connections reach 63/64 of max_connections, kept-alive connections
 *                       idle for over a second are closed (whatever --conn-timeout says, 0 included),
 *                       so a full daemon keeps accepting: its listen queue does not fill with
 *                       connections their clients gave up on (CLOSE_WAIT)
 *
 * Cutting is shutdown(2) on the socket, under the guard's mutex; MHD's notify-connection CLOSED runs
 * under the same mutex before MHD closes the fd, so the sweep never touches a closed or reused fd.
 * MHD then sees end of file and closes the connection itself. Every cut and refusal is counted in the
 * metrics and logged at warn, at most one line per reason per sweep (the count, the first client).
 * Connections being processed (suspended for a job, sending a reply) are never cut. */
#ifndef DNNFUSER_SERVER_CONNGUARD_H
#define DNNFUSER_SERVER_CONNGUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"
#include "metrics.h"

#define SRV_GUARD_SWEEP_MS 250

typedef struct {
    int64_t max_connections;   /* the daemon's limit (idle connections are closed near it) */
    int64_t per_ip;            /* connections per client address; 0 = no limit */
    int64_t header_timeout_ms; /* 0 = no header timeout and no body grace */
    int64_t min_body_rate;     /* bytes per second; 0 = no body rate check */
    srv_logger *log;           /* may be NULL */
    srv_metrics *metrics;      /* may be NULL */
} srv_guard_opts;

typedef enum { SRV_GUARD_HEADERS = 0, SRV_GUARD_BODY, SRV_GUARD_BUSY, SRV_GUARD_IDLE } srv_guard_phase;

typedef enum {
    SRV_CUT_NONE = 0,
    SRV_CUT_HEADER_TIMEOUT,
    SRV_CUT_BODY_TOO_SLOW,
    SRV_CUT_IDLE_AT_LIMIT,
    SRV_CUT_QUERY_TOO_LARGE, /* http.c: a request line MHD cannot hold (431 at once) */
    SRV_CUT_REASONS
} srv_cut_reason; /* the order of srv_cut_names (metrics.h) */

typedef struct srv_guard srv_guard;
typedef struct srv_guard_conn srv_guard_conn;

srv_guard *srv_guard_new(const srv_guard_opts *o);
/* Starts / stops the sweep thread (stop joins it; no-op when not started). */
int srv_guard_start(srv_guard *g);
void srv_guard_stop(srv_guard *g);
/* After stop, and after every connection was closed. */
void srv_guard_free(srv_guard *g);

/* Accept policy: 1 = accept, 0 = refused (per-address limit; counted and logged). */
int srv_guard_accept(srv_guard *g, const struct sockaddr *addr, socklen_t len);
/* A connection was accepted (fd -1 for tests without a socket) / closed (before its fd is). */
srv_guard_conn *srv_guard_open(srv_guard *g, int fd, const struct sockaddr *addr, socklen_t len, double now_ms);
void srv_guard_close(srv_guard *g, srv_guard_conn *c);
/* Access-handler events: headers complete (has_body: a body follows), body bytes, request complete
 * (processing), reply sent (the connection waits for the next request). c may be NULL. */
void srv_guard_headers_done(srv_guard *g, srv_guard_conn *c, int has_body, double now_ms);
void srv_guard_body(srv_guard *g, srv_guard_conn *c, size_t n);
void srv_guard_busy(srv_guard *g, srv_guard_conn *c);
void srv_guard_idle(srv_guard *g, srv_guard_conn *c, double now_ms);

/* The rule alone: why a connection in phase p since t_phase with body_bytes received would be cut at
 * now (SRV_CUT_NONE = keep). Idle connections are decided by the sweep (they need the count). */
srv_cut_reason srv_guard_verdict(const srv_guard_opts *o, srv_guard_phase p, double t_phase, uint64_t body_bytes,
                                 double now_ms);
/* One sweep at now (the thread calls it every SRV_GUARD_SWEEP_MS); returns the connections cut. */
int srv_guard_sweep(srv_guard *g, double now_ms);
/* Open connections, and those of one address (tests, /v1/info). */
int64_t srv_guard_count(srv_guard *g);
int64_t srv_guard_count_addr(srv_guard *g, const struct sockaddr *addr, socklen_t len);

const char *srv_cut_reason_name(srv_cut_reason r);

#endif
