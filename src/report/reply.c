/* reply.c - the JSON of an answer (see answer.h): the /v1/map reply object that `dnnfuser map --json`
 * prints too, the /v1/evaluate reply, and the one text writer with a fixed precision. */
#include "dnnfuser/answer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/json.h"

/* Sets key to v (stolen); returns nonzero on failure (v NULL included). */
static int put(json_t *o, const char *key, json_t *v) { return v ? json_object_set_new(o, key, v) : -1; }

/* A duration in ms, to the microsecond (what a clock can tell apart), null when not finite. */
static json_t *jms(double x) { return isfinite(x) ? json_real(round(x * 1e3) / 1e3) : json_null(); }

static json_t *ratio(double base, double v) { return v > 0 && isfinite(base / v) ? json_real(base / v) : json_null(); }

json_t *df_workload_summary_json(const df_workload *w) {
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
        put(o, "energy_x", ratio(bm->energy_pj, m->energy_pj)) |
        put(o, "dram_x", ratio(bm->dram_bytes, m->dram_bytes))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *df_answer_json(const df_request *r, const df_answer *a, double queue_ms, double total_ms) {
    json_t *o = json_object(), *t = json_object();
    if (!o || !t) {
        json_decref(o);
        json_decref(t);
        return NULL;
    }
    int bad =
        put(o, "feasible", json_boolean(a->met.feasible)) |
        put(o, "solver", json_string(df_request_solver_name(r->solver))) | put(o, "path", json_string(a->path)) |
        put(o, "workload", df_workload_summary_json(&r->w)) | put(o, "hardware", df_hw_to_json(df_net_hw(r->net))) |
        put(o, "batch", json_integer(r->batch)) | put(o, "objective", json_string(df_objective_name(r->obj))) |
        put(o, "space", json_string(df_space_name(r->space))) |
        put(o, "groups", df_groups_to_json(r->net, &a->map, a->gc)) | put(o, "metrics", df_metrics_to_json(&a->met)) |
        put(o, "baseline", a->have_base ? baseline_json(&a->base_met, a->base.n_groups) : json_null()) |
        put(o, "gain", a->have_base ? gain_json(&a->base_met, &a->met) : json_null());
    if (a->note[0]) bad |= put(o, "note", json_string(a->note));
    if (a->solver && strcmp(a->solver, "transformer") == 0) bad |= put(t, "inference_ms", jms(a->solve_ms));
    bad |= put(t, "queue_ms", jms(queue_ms)) | put(t, "solve_ms", jms(a->solve_ms)) |
           put(t, "check_ms", jms(a->check_ms)) | put(t, "total_ms", jms(total_ms));
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

json_t *df_eval_json(const df_eval_request *r, df_fail *f) {
    const df_net *net = r->base.net;
    df_err e;
    df_err_clear(&e);
    df_metrics met;
    df_group_cost *gc = calloc((size_t)r->map.n_groups, sizeof *gc);
    if (!gc) {
        df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (df_mapping_eval(net, &r->map, &met, gc, &e) != DF_OK) {
        free(gc);
        df_fail_from_err(f, DF_FAIL_MAPPING, &e, "/groups");
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
        bad |= put(o, "feasible", json_boolean(met.feasible)) |
               put(o, "workload", df_workload_summary_json(&r->base.w)) |
               put(o, "hardware", df_hw_to_json(df_net_hw(net))) | put(o, "batch", json_integer(r->base.batch)) |
               put(o, "objective", json_string(df_objective_name(r->base.obj))) |
               put(o, "metrics", df_metrics_to_json(&met)) | put(o, "groups", groups);
        groups = NULL;
        bad |= put(o, "overflow", overflow_json(net, &r->map, gc));
        bad |= put(o, "baseline", have_base ? baseline_json(&bm, base.n_groups) : json_null());
        /* no speedup claim for a mapping that does not fit */
        bad |= put(o, "gain", have_base && met.feasible ? gain_json(&bm, &met) : json_null());
    }
    json_decref(groups);
    df_mapping_free(&base);
    free(gc);
    if (bad) {
        json_decref(o);
        df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    return o;
}

char *df_answer_dumps(const json_t *j, int pretty) {
    return j ? json_dumps(j, pretty ? DF_ANSWER_JSON_PRETTY : DF_ANSWER_JSON_FLAGS) : NULL;
}
