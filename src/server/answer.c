/* answer.c - the daemon's calls into the answer layer (see answer.h), failures turned into problems. */
#include "answer.h"
#include "probkey.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The layer-by-layer baselines of the last problems checked (df_solve_lbl + its score: 5% of the
 * daemon's CPU at 64 clients when recomputed per request), owned by the server (srv.bases), shared by
 * the workers under its lock and keyed by the problem's content (probkey.h). Bounded: SRV_BASE_CACHE
 * entries, networks of at most SRV_BASE_CACHE_LAYERS layers, LRU. */
#define SRV_BASE_CACHE 16
#define SRV_BASE_CACHE_LAYERS 512
typedef struct {
    int used;
    uint64_t tick;
    srv_probkey key;
    df_answer_base base;
} base_entry;
struct srv_base_cache {
    pthread_mutex_t lock;
    base_entry e[SRV_BASE_CACHE];
    uint64_t tick;
    int64_t hits;
};

srv_base_cache *srv_base_cache_new(void) {
    srv_base_cache *c = calloc(1, sizeof *c);
    if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void srv_base_cache_free(srv_base_cache *c) {
    if (!c) return;
    for (int i = 0; i < SRV_BASE_CACHE; i++)
        if (c->e[i].used) {
            srv_probkey_free(&c->e[i].key);
            df_mapping_free(&c->e[i].base.map);
        }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int64_t srv_base_cache_hits(srv_base_cache *c) {
    if (!c) return 0;
    pthread_mutex_lock(&c->lock);
    int64_t n = c->hits;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* out (its map initialised) <- the cached baseline of r's problem; 0 when none */
static int base_get(srv_base_cache *bc, const srv_map_req *r, df_answer_base *out) {
    int hit = 0;
    pthread_mutex_lock(&bc->lock);
    for (int i = 0; i < SRV_BASE_CACHE && !hit; i++) {
        base_entry *c = &bc->e[i];
        if (!c->used || !srv_probkey_eq(&c->key, r->net, r->obj)) continue;
        if (df_mapping_copy(&out->map, &c->base.map) != DF_OK) break;
        out->met = c->base.met;
        out->rc = DF_OK;
        c->tick = ++bc->tick;
        bc->hits++;
        hit = 1;
    }
    pthread_mutex_unlock(&bc->lock);
    return hit;
}

static void base_put(srv_base_cache *bc, const srv_map_req *r, const df_answer_base *b) {
    const df_workload *w = df_net_workload(r->net);
    if (b->rc != DF_OK || w->n_layers > SRV_BASE_CACHE_LAYERS) return;
    srv_probkey key;
    if (srv_probkey_set(&key, r->net, r->obj) != DF_OK) return;
    df_mapping m;
    if (df_mapping_init(&m, b->map.n_groups > 0 ? b->map.n_groups : 1) != DF_OK) {
        srv_probkey_free(&key);
        return;
    }
    if (df_mapping_copy(&m, &b->map) != DF_OK) {
        srv_probkey_free(&key);
        df_mapping_free(&m);
        return;
    }
    pthread_mutex_lock(&bc->lock);
    base_entry *c = &bc->e[0];
    for (int i = 1; i < SRV_BASE_CACHE && c->used; i++)
        if (!bc->e[i].used || bc->e[i].tick < c->tick) c = &bc->e[i];
    if (c->used) {
        srv_probkey_free(&c->key);
        df_mapping_free(&c->base.map);
    }
    *c = (base_entry){.used = 1, .tick = ++bc->tick, .key = key, .base = {.rc = DF_OK, .map = m, .met = b->met}};
    pthread_mutex_unlock(&bc->lock);
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

int srv_check_decoded(srv_base_cache *bc, const srv_map_req *r, const atomic_int *cancel, int decode_status,
                      const df_mapping *decoded, double decode_ms, srv_map_result *res, srv_fail *f) {
    char why[sizeof res->note];
    df_request_effective_solver(r, 1, why, sizeof why);
    df_fail af;
    df_answer_base base = {.rc = DF_EINVAL};
    int have = decode_status == DF_OK && decoded && df_mapping_init(&base.map, 16) == DF_OK;
    if (have && !(bc && base_get(bc, r, &base)) && df_answer_base_compute(r, &base) == DF_OK && bc)
        base_put(bc, r, &base);
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
