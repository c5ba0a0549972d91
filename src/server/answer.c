/* answer.c - the daemon's calls into the answer layer (see answer.h), failures turned into problems. */
#include "answer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The layer-by-layer baselines of the last problems checked (df_solve_lbl + its score: 5% of the
 * daemon's CPU at 64 clients when recomputed per request), shared by the workers under one lock and
 * keyed by the problem's content (layers, hardware, batch, objective compared byte for byte).
 * Bounded: SRV_BASE_CACHE entries, networks of at most SRV_BASE_CACHE_LAYERS layers, LRU. */
#define SRV_BASE_CACHE 16
#define SRV_BASE_CACHE_LAYERS 512
typedef struct {
    int used;
    uint64_t tick;
    df_objective obj;
    int32_t batch, L;
    df_hw hw;
    df_layer *layers; /* [L] copy */
    df_answer_base base;
} base_entry;
static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static base_entry base_cache[SRV_BASE_CACHE];
static uint64_t base_tick;
static int64_t base_hits;

static int base_eq(const base_entry *c, const df_net *net, df_objective obj) {
    const df_workload *w = df_net_workload(net);
    return c->used && c->obj == obj && c->L == w->n_layers && c->batch == df_net_batch(net) &&
           memcmp(&c->hw, df_net_hw(net), sizeof c->hw) == 0 &&
           memcmp(c->layers, w->layers, (size_t)c->L * sizeof *c->layers) == 0;
}

/* out (its map initialised) <- the cached baseline of r's problem; 0 when none */
static int base_get(const srv_map_req *r, df_answer_base *out) {
    int hit = 0;
    pthread_mutex_lock(&base_lock);
    for (int i = 0; i < SRV_BASE_CACHE && !hit; i++) {
        base_entry *c = &base_cache[i];
        if (!base_eq(c, r->net, r->obj)) continue;
        if (df_mapping_copy(&out->map, &c->base.map) != DF_OK) break;
        out->met = c->base.met;
        out->rc = DF_OK;
        c->tick = ++base_tick;
        base_hits++;
        hit = 1;
    }
    pthread_mutex_unlock(&base_lock);
    return hit;
}

static void base_put(const srv_map_req *r, const df_answer_base *b) {
    const df_workload *w = df_net_workload(r->net);
    if (b->rc != DF_OK || w->n_layers > SRV_BASE_CACHE_LAYERS) return;
    df_layer *layers = malloc((size_t)w->n_layers * sizeof *layers);
    df_mapping m;
    if (!layers || df_mapping_init(&m, b->map.n_groups > 0 ? b->map.n_groups : 1) != DF_OK) {
        free(layers);
        return;
    }
    if (df_mapping_copy(&m, &b->map) != DF_OK) {
        free(layers);
        df_mapping_free(&m);
        return;
    }
    memcpy(layers, w->layers, (size_t)w->n_layers * sizeof *layers);
    pthread_mutex_lock(&base_lock);
    base_entry *c = &base_cache[0];
    for (int i = 1; i < SRV_BASE_CACHE && c->used; i++)
        if (!base_cache[i].used || base_cache[i].tick < c->tick) c = &base_cache[i];
    if (c->used) {
        free(c->layers);
        df_mapping_free(&c->base.map);
    }
    *c = (base_entry){.used = 1,
                      .tick = ++base_tick,
                      .obj = r->obj,
                      .batch = df_net_batch(r->net),
                      .L = w->n_layers,
                      .hw = *df_net_hw(r->net),
                      .layers = layers,
                      .base = {.rc = DF_OK, .map = m, .met = b->met}};
    pthread_mutex_unlock(&base_lock);
}

int64_t srv_base_cache_hits(void) {
    pthread_mutex_lock(&base_lock);
    int64_t n = base_hits;
    pthread_mutex_unlock(&base_lock);
    return n;
}

int srv_wants_decode(const srv_map_req *r) {
    return df_request_effective_solver(r, 1, NULL, 0) == DF_SOLVER_TRANSFORMER;
}

int srv_run_map(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, srv_fail *f) {
    df_fail af;
    int rc = srv_wants_decode(r) ? df_answer_check_decoded(r, cancel, DF_EIO, NULL, 0, NULL, res, &af)
                                 : df_answer_solve(r, NULL, cancel, res, &af);
    if (rc)
        srv_fail_from_answer(f, &af);
    else
        srv_fail_clear(f);
    return rc;
}

int srv_check_decoded(const srv_map_req *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded,
                      double decode_ms, srv_map_result *res, srv_fail *f) {
    char why[sizeof res->note];
    df_request_effective_solver(r, 1, why, sizeof why);
    df_fail af;
    df_answer_base base = {.rc = DF_EINVAL};
    int have = decode_status == DF_OK && decoded && df_mapping_init(&base.map, 16) == DF_OK;
    if (have && !base_get(r, &base) && df_answer_base_compute(r, &base) == DF_OK) base_put(r, &base);
    int rc =
        df_answer_check_decoded_base(r, cancel, decode_status, decoded, decode_ms, why, have ? &base : NULL, res, &af);
    if (have) df_mapping_free(&base.map);
    if (rc)
        srv_fail_from_answer(f, &af);
    else
        srv_fail_clear(f);
    return rc;
}

void srv_map_result_free(srv_map_result *res) { df_answer_free(res); }

json_t *srv_workload_summary(const df_workload *w) { return df_workload_summary_json(w); }

json_t *srv_map_reply(const srv_map_req *r, const srv_map_result *res, double queue_ms, double total_ms) {
    return df_answer_json(r, res, queue_ms, total_ms);
}

json_t *srv_eval_reply(const srv_eval_req *r, srv_fail *f) {
    df_fail af;
    df_fail_clear(&af);
    json_t *j = df_eval_json(r, &af);
    if (!j) srv_fail_from_answer(f, &af);
    return j;
}
