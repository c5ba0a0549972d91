/* server.h - the daemon's one context object: settings, live (reloadable) limits, logger, metrics,
 * the batcher, the HTTP front and the immutable catalog bodies. main owns it; every thread reads it
 * through a pointer (no global mutable state). Fields that change while serving are atomics. */
#ifndef DNNFUSER_SERVER_SERVER_H
#define DNNFUSER_SERVER_SERVER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "batcher.h"
#include "config.h"
#include "log.h"
#include "membudget.h"
#include "metrics.h"
#include "reqid.h"
#include "request.h"

/* Limits SIGHUP may change (config options marked reloadable). Published as one set: srv_limits_load
 * bumps seq to odd, stores, bumps it to even (a sequence lock), and srv_limits_snapshot retries until
 * it read them all under one even seq, so a request never mixes old and new limits. */
typedef struct {
    atomic_uint seq;
    atomic_int_least64_t max_body;
    atomic_int_least64_t max_layers;
    atomic_int_least64_t max_batch;
    atomic_int_least64_t max_batch_items;
    atomic_int_least64_t max_batch_layers;
    atomic_int_least64_t max_reply_bytes;
    atomic_int_least64_t deadline_ms;
    atomic_int_least64_t drain_timeout_ms;
} srv_limits;

typedef struct srv_http srv_http;

typedef struct srv {
    srv_config cfg; /* settings at start (reloadable ones are mirrored in lim) */
    srv_limits lim;
    srv_logger log;
    srv_metrics metrics;
    srv_mem mem; /* in-flight reply bytes against --memory-budget (membudget.h) */
    srv_batcher *batcher;
    srv_base_cache *bases; /* baselines of the check before reply (answer.h) */
    srv_http *http;
    atomic_int draining; /* SIGTERM received: readyz 503, new jobs 503 */
    atomic_uint_least64_t next_id;
    char instance[SRV_REQID_INSTANCE]; /* random at start: the prefix of the request ids we make */
    double t_start;                    /* srv_now_ms() at start */
    char listen_addr[96];              /* "127.0.0.1:8080" once listening */
    char weights_error[320];           /* set at start when --weights could not be loaded (weights-optional 1) */
    int port;
    /* built once at start, read-only afterwards */
    char *workloads_body; /* GET /v1/workloads */
    size_t workloads_len;
    char *presets_body; /* GET /v1/hardware/presets */
    size_t presets_len;
    df_workload *zoo; /* every zoo network at its default options, in df_zoo_name order: a */
    int32_t n_zoo;    /* request naming one copies it (0.4 us) instead of building it (~0.3 ms) */
} srv;

/* Copies cfg's limits into the atomics (start and SIGHUP). */
void srv_limits_load(srv_limits *lim, const srv_config *cfg);
/* A consistent snapshot for request parsing. */
void srv_limits_snapshot(const srv_limits *lim, srv_req_limits *out);

#endif
