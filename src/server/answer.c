/* answer.c - solver runs with the check before reply, and the reply objects (see answer.h). */
#include "answer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dnnfuser/json.h"

/* relative slack when comparing an answer with the baseline (rounding in the cost sums) */
#define WORSE_EPS 1e-9
/* df_repair move budget in the check before reply */
#define SRV_REPAIR_MOVES 1000

void srv_map_result_free(srv_map_result *res) {
    if (!res) return;
    df_mapping_free(&res->map);
    df_mapping_free(&res->base);
    free(res->gc);
    memset(res, 0, sizeof *res);
}

static int run_solver(const srv_map_req *r, const atomic_int *cancel, df_solver s, df_mapping *out, df_err *e) {
    out->n_groups = 0;
    df_solve_stats st = {.cancel = cancel};
    switch (s) {
    case DF_SOLVER_EXACT: return df_solve_exact(r->net, r->obj, out, &st, e);
    case DF_SOLVER_LBL: return df_solve_lbl(r->net, r->obj, out, &st, e);
    case DF_SOLVER_GA: return df_solve_ga(r->net, r->obj, &r->ga, out, &st, e);
    default: return df_err_set(e, DF_EINVAL, "/solver", "solver %s is not available in this build", df_solver_name(s));
    }
}

static int lib_fail(srv_fail *f, const char *what, const df_err *e) {
    if (e->code == DF_EINFEASIBLE) return srv_fail_from_df(f, SRV_PROB_BUDGET_TOO_SMALL, e, "/budget");
    if (e->code == DF_ECANCELED) return srv_fail_set(f, SRV_PROB_DEADLINE, NULL, "%s stopped: deadline passed", what);
    return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "%s failed: %s", what, e->msg[0] ? e->msg : df_status_name(e->code));
}

/* The check before reply of res->map (res->path set by the caller); t1 = when the check started. */
static int check(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, int try_repair, double t1,
                 srv_fail *f) {
    df_err e;
    df_err_clear(&e);
    df_solve_stats st = {.cancel = cancel};
    int ok = df_mapping_eval(r->net, &res->map, &res->met, NULL, &e) == DF_OK;
    if (df_solve_lbl(r->net, r->obj, &res->base, NULL, &e) != DF_OK ||
        df_mapping_eval(r->net, &res->base, &res->base_met, NULL, &e) != DF_OK) {
        srv_map_result_free(res);
        return lib_fail(f, "layer-by-layer baseline", &e);
    }
    double vb = df_objective_value(r->obj, &res->base_met);
    double v = ok ? df_objective_value(r->obj, &res->met) : INFINITY;
    int bad = !ok || !res->met.feasible || !(v <= vb * (1 + WORSE_EPS));
    if (bad && try_repair && ok) {
        if (df_repair(r->net, r->obj, &res->map, SRV_REPAIR_MOVES, &st, &e) == DF_OK &&
            df_mapping_eval(r->net, &res->map, &res->met, NULL, &e) == DF_OK) {
            v = df_objective_value(r->obj, &res->met);
            bad = !res->met.feasible || !(v <= vb * (1 + WORSE_EPS));
            res->path = "repaired";
        }
    }
    if (bad) {
        if (df_solve_exact(r->net, r->obj, &res->map, &st, &e) != DF_OK ||
            df_mapping_eval(r->net, &res->map, &res->met, NULL, &e) != DF_OK) {
            srv_map_result_free(res);
            return lib_fail(f, "exact fallback", &e);
        }
        res->path = "exact-fallback";
    }
    res->gc = calloc((size_t)res->map.n_groups, sizeof *res->gc);
    if (!res->gc || df_mapping_eval(r->net, &res->map, &res->met, res->gc, &e) != DF_OK) {
        srv_map_result_free(res);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    res->check_ms = srv_now_ms() - t1;
    return 0;
}

static int result_init(srv_map_result *res, srv_fail *f) {
    memset(res, 0, sizeof *res);
    srv_fail_clear(f);
    if (df_mapping_init(&res->map, 16) || df_mapping_init(&res->base, 16)) {
        srv_map_result_free(res);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

int srv_run_map(const srv_map_req *r, const atomic_int *cancel, srv_map_result *res, srv_fail *f) {
    if (result_init(res, f)) return -1;
    df_err e;
    df_err_clear(&e);
    df_solver s = r->solver == DF_SOLVER_TRANSFORMER ? DF_SOLVER_EXACT : r->solver;
    double t0 = srv_now_ms();
    if (run_solver(r, cancel, s, &res->map, &e) != DF_OK) {
        srv_map_result_free(res);
        return lib_fail(f, df_solver_name(s), &e);
    }
    double t1 = srv_now_ms();
    res->solve_ms = t1 - t0;
    res->path = df_solver_name(s);
    return check(r, cancel, res, 0, t1, f);
}

int srv_check_decoded(const srv_map_req *r, const atomic_int *cancel, int decode_status, const df_mapping *decoded, double decode_ms,
                      srv_map_result *res, srv_fail *f) {
    if (result_init(res, f)) return -1;
    double t1 = srv_now_ms();
    res->solve_ms = decode_ms;
    res->path = "transformer";
    if (decode_status == DF_OK && decoded && df_mapping_copy(&res->map, decoded) == DF_OK)
        return check(r, cancel, res, 1, t1, f);
    /* not decoded: an empty mapping fails the check and takes the exact path */
    res->map.n_groups = 0;
    res->note = decode_status == DF_EINVAL ? "the workload is longer than the transformer's context; solved exactly"
                : decode_status == DF_EIO ? "no transformer weights are loaded; solved exactly"
                                          : "the transformer could not decode this request; solved exactly";
    df_err e;
    df_err_clear(&e);
    df_solve_stats st = {.cancel = cancel};
    if (df_solve_exact(r->net, r->obj, &res->map, &st, &e) != DF_OK) {
        srv_map_result_free(res);
        return lib_fail(f, "exact fallback", &e);
    }
    res->path = "exact-fallback";
    return check(r, cancel, res, 0, t1, f);
}

/* Sets key to v (stolen); returns nonzero on failure (v NULL included). */
static int put(json_t *o, const char *key, json_t *v) { return v ? json_object_set_new(o, key, v) : -1; }

static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static json_t *ratio(double base, double v) { return v > 0 && isfinite(base / v) ? json_real(base / v) : json_null(); }

json_t *srv_workload_summary(const df_workload *w) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (put(o, "name", json_string(w->name)) | put(o, "layers", json_integer(w->n_layers)) |
        put(o, "macs", json_integer(df_workload_macs(w)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *baseline_json(const df_metrics *bm, int32_t groups) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (put(o, "metrics", df_metrics_to_json(bm)) | put(o, "groups", json_integer(groups))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *gain_json(const df_metrics *bm, const df_metrics *m) {
    json_t *o = json_object();
    if (!o) return NULL;
    if (put(o, "latency_x", ratio(bm->latency_cycles, m->latency_cycles)) |
        put(o, "energy_x", ratio(bm->energy_pj, m->energy_pj)) | put(o, "dram_x", ratio(bm->dram_bytes, m->dram_bytes))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *srv_map_reply(const srv_map_req *r, const srv_map_result *res, double queue_ms, double total_ms) {
    json_t *o = json_object(), *t = json_object();
    if (!o || !t) {
        json_decref(o);
        json_decref(t);
        return NULL;
    }
    int bad = put(o, "feasible", json_boolean(res->met.feasible)) | put(o, "solver", json_string(df_solver_name(r->solver))) |
              put(o, "path", json_string(res->path)) | put(o, "workload", srv_workload_summary(&r->w)) |
              put(o, "hardware", df_hw_to_json(df_net_hw(r->net))) | put(o, "batch", json_integer(r->batch)) |
              put(o, "objective", json_string(df_objective_name(r->obj))) |
              put(o, "groups", df_groups_to_json(r->net, &res->map, res->gc)) |
              put(o, "metrics", df_metrics_to_json(&res->met)) |
              put(o, "baseline", baseline_json(&res->base_met, res->base.n_groups)) |
              put(o, "gain", gain_json(&res->base_met, &res->met));
    if (res->note) bad |= put(o, "note", json_string(res->note));
    if (r->solver == DF_SOLVER_TRANSFORMER) bad |= put(t, "inference_ms", jreal(res->solve_ms));
    bad |= put(t, "queue_ms", jreal(queue_ms)) | put(t, "solve_ms", jreal(res->solve_ms)) |
           put(t, "check_ms", jreal(res->check_ms)) | put(t, "total_ms", jreal(total_ms));
    bad |= put(o, "timings", t);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The first group over the budget, or null. */
static json_t *overflow_json(const df_net *net, const df_mapping *map, const df_group_cost *gc) {
    const df_workload *w = df_net_workload(net);
    for (int32_t g = 0; g < map->n_groups; g++) {
        if (gc[g].feasible) continue;
        const df_group *gr = &map->groups[g];
        int32_t pl = gc[g].peak_layer >= gr->first && gc[g].peak_layer <= gr->last ? gc[g].peak_layer : gr->first;
        json_t *o = json_object();
        if (!o) return NULL;
        if (put(o, "group", json_integer(g)) | put(o, "first", json_integer(gr->first)) |
            put(o, "last", json_integer(gr->last)) | put(o, "first_name", json_string(w->layers[gr->first].name)) |
            put(o, "last_name", json_string(w->layers[gr->last].name)) |
            put(o, "micro_batch", json_integer(gr->micro_batch)) | put(o, "peak_layer", json_integer(pl)) |
            put(o, "peak_layer_name", json_string(w->layers[pl].name)) |
            put(o, "footprint_bytes", json_integer(gc[g].footprint_bytes)) |
            put(o, "budget_bytes", json_integer(df_net_hw(net)->buffer_bytes))) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    return json_null();
}

json_t *srv_eval_reply(const srv_eval_req *r, srv_fail *f) {
    const df_net *net = r->base.net;
    df_err e;
    df_err_clear(&e);
    df_metrics met;
    df_group_cost *gc = calloc((size_t)r->map.n_groups, sizeof *gc);
    if (!gc) {
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (df_mapping_eval(net, &r->map, &met, gc, &e) != DF_OK) {
        free(gc);
        srv_fail_from_df(f, SRV_PROB_INVALID_MAPPING, &e, "/groups");
        return NULL;
    }
    /* the baseline exists only when every layer fits alone */
    df_mapping base = {0};
    df_metrics bm = {0};
    int have_base = 0;
    if (df_mapping_init(&base, 16) == DF_OK) {
        have_base = df_net_check_budget(net, &e) == DF_OK && df_solve_lbl(net, r->base.obj, &base, NULL, &e) == DF_OK &&
                    df_mapping_eval(net, &base, &bm, NULL, &e) == DF_OK;
    }
    json_t *o = json_object();
    json_t *groups = df_groups_to_json(net, &r->map, gc);
    int bad = !o || !groups;
    for (int32_t g = 0; !bad && g < r->map.n_groups; g++)
        bad |= put(json_array_get(groups, (size_t)g), "feasible", json_boolean(gc[g].feasible));
    if (!bad) {
        bad |= put(o, "feasible", json_boolean(met.feasible)) | put(o, "workload", srv_workload_summary(&r->base.w)) |
               put(o, "hardware", df_hw_to_json(df_net_hw(net))) | put(o, "batch", json_integer(r->base.batch)) |
               put(o, "objective", json_string(df_objective_name(r->base.obj))) |
               put(o, "metrics", df_metrics_to_json(&met)) | put(o, "groups", groups);
        groups = NULL;
        bad |= put(o, "overflow", overflow_json(net, &r->map, gc));
        bad |= put(o, "baseline", have_base ? baseline_json(&bm, base.n_groups) : json_null());
        bad |= put(o, "gain", have_base && met.feasible ? gain_json(&bm, &met) : json_null());
    }
    json_decref(groups);
    df_mapping_free(&base);
    free(gc);
    if (bad) {
        json_decref(o);
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return o;
}
