/* server.c - the live limits of the server context: loaded from the settings at start and on SIGHUP,
 * read by the HTTP threads as one snapshot per request (see server.h). */
#include "server.h"

void srv_limits_load(srv_limits *lim, const srv_config *cfg) {
    atomic_store(&lim->max_body, cfg->max_body);
    atomic_store(&lim->max_layers, cfg->max_layers);
    atomic_store(&lim->max_batch, cfg->max_batch);
    atomic_store(&lim->max_batch_items, cfg->max_batch_items);
    atomic_store(&lim->deadline_ms, cfg->deadline_ms);
    atomic_store(&lim->drain_timeout_ms, cfg->drain_timeout_ms);
}

void srv_limits_snapshot(const srv_limits *lim, srv_req_limits *out) {
    srv_limits *l = (srv_limits *)lim; /* atomics are loaded through non-const pointers */
    out->max_layers = (int32_t)atomic_load(&l->max_layers);
    out->max_batch = (int32_t)atomic_load(&l->max_batch);
    out->max_batch_items = (int32_t)atomic_load(&l->max_batch_items);
}
