/* server.c - the live limits of the server context: loaded from the settings at start and on SIGHUP,
 * read by the HTTP threads as one snapshot per request (see server.h). */
#include "server.h"

void srv_limits_load(srv_limits *lim, const srv_config *cfg) {
    /* writers: main only (start and SIGHUP) */
    atomic_fetch_add_explicit(&lim->seq, 1, memory_order_relaxed); /* odd: being written */
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&lim->max_body, cfg->max_body, memory_order_relaxed);
    atomic_store_explicit(&lim->max_layers, cfg->max_layers, memory_order_relaxed);
    atomic_store_explicit(&lim->max_batch, cfg->max_batch, memory_order_relaxed);
    atomic_store_explicit(&lim->max_batch_items, cfg->max_batch_items, memory_order_relaxed);
    atomic_store_explicit(&lim->max_batch_layers, cfg->max_batch_layers, memory_order_relaxed);
    atomic_store_explicit(&lim->max_reply_bytes, cfg->max_reply_bytes, memory_order_relaxed);
    atomic_store_explicit(&lim->deadline_ms, cfg->deadline_ms, memory_order_relaxed);
    atomic_store_explicit(&lim->drain_timeout_ms, cfg->drain_timeout_ms, memory_order_relaxed);
    atomic_fetch_add_explicit(&lim->seq, 1, memory_order_release); /* even: published */
}

void srv_limits_snapshot(const srv_limits *lim, srv_req_limits *out) {
    srv_limits *l = (srv_limits *)lim; /* atomics are loaded through non-const pointers */
    for (;;) {
        unsigned a = atomic_load_explicit(&l->seq, memory_order_acquire);
        if (a & 1) continue;
        out->max_layers = (int32_t)atomic_load_explicit(&l->max_layers, memory_order_relaxed);
        out->max_batch = (int32_t)atomic_load_explicit(&l->max_batch, memory_order_relaxed);
        out->max_batch_items = (int32_t)atomic_load_explicit(&l->max_batch_items, memory_order_relaxed);
        out->max_batch_layers = atomic_load_explicit(&l->max_batch_layers, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&l->seq, memory_order_relaxed) == a) return;
    }
}
