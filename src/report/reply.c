/* reply.c - the JSON of an answer (see answer.h): the /v1/map reply object that `dnnfuser map --json`
 * prints too, the /v1/evaluate reply, and the one text writer with a fixed precision. */
#include "dnnfuser/answer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/json.h"
#include "dnnfuser/jsonout.h"

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

/* ---- the /v1/map answer written directly ----------------------------------------------------------
 * The same bytes as df_json_dumps(df_answer_json(...)) (tests/unit/check_reply.c compares them over the
 * zoo x solvers x budgets) without building the tree: the daemon's per-request path. Key order and
 * number formatting follow df_answer_json and core/json.c's df_hw_to_json, df_groups_to_json and
 * df_metrics_to_json (jreal: null when not finite). */

#define K(o, lit) df_jb_raw((o), lit, sizeof(lit) - 1)

static void w_hw(df_jsonbuf *o, const df_hw *hw) {
    if (!hw) {
        o->bad = 1;
        return;
    }
    int is_preset = 0;
    for (int32_t i = 0; i < df_hw_preset_count(); i++)
        if (strcmp(hw->name, df_hw_preset_name(i)) == 0) is_preset = 1;
    K(o, "{");
    if (is_preset) {
        K(o, "\"preset\":");
        df_jb_str(o, hw->name);
        K(o, ",");
    }
    K(o, "\"pe_rows\":");
    df_jb_int(o, hw->pe_rows);
    K(o, ",\"pe_cols\":");
    df_jb_int(o, hw->pe_cols);
    K(o, ",\"dataflow\":");
    df_jb_str(o, df_dataflow_name(hw->dataflow));
    K(o, ",\"buffer\":");
    df_jb_int(o, hw->buffer_bytes);
    K(o, ",\"dram_bw\":");
    df_jb_real_or_null(o, hw->dram_bw);
    K(o, ",\"noc_bw\":");
    df_jb_real_or_null(o, hw->noc_bw);
    K(o, ",\"noc_bw_w\":");
    df_jb_real_or_null(o, hw->noc_bw_w);
    K(o, ",\"noc_bw_in\":");
    df_jb_real_or_null(o, hw->noc_bw_in);
    K(o, ",\"noc_bw_out\":");
    df_jb_real_or_null(o, hw->noc_bw_out);
    K(o, ",\"noc_hops\":");
    df_jb_real_or_null(o, hw->noc_hops);
    K(o, ",\"clock_hz\":");
    df_jb_real_or_null(o, hw->clock_hz);
    K(o, ",\"elem_bytes\":");
    df_jb_int(o, hw->elem_bytes);
    K(o, ",\"tech_nm\":");
    df_jb_int(o, hw->tech_nm);
    K(o, ",\"rf_w\":");
    df_jb_int(o, hw->rf_w);
    K(o, ",\"rf_in\":");
    df_jb_int(o, hw->rf_in);
    K(o, ",\"rf_out\":");
    df_jb_int(o, hw->rf_out);
    K(o, ",\"energy_pj\":{\"mac\":");
    df_jb_real_or_null(o, hw->energy.mac);
    K(o, ",\"rf\":");
    df_jb_real_or_null(o, hw->energy.rf);
    K(o, ",\"noc\":");
    df_jb_real_or_null(o, hw->energy.noc);
    K(o, ",\"buf\":");
    df_jb_real_or_null(o, hw->energy.buf);
    K(o, ",\"dram\":");
    df_jb_real_or_null(o, hw->energy.dram);
    K(o, ",\"static\":");
    df_jb_real_or_null(o, hw->energy.stat);
    K(o, "}}");
}

static void w_metrics(df_jsonbuf *o, const df_metrics *m) {
    K(o, "{\"feasible\":");
    df_jb_bool(o, m->feasible);
    K(o, ",\"latency_cycles\":");
    df_jb_real_or_null(o, m->latency_cycles);
    K(o, ",\"latency_s\":");
    df_jb_real_or_null(o, m->latency_s);
    K(o, ",\"throughput_sps\":");
    df_jb_real_or_null(o, m->throughput_sps);
    K(o, ",\"energy_pj\":");
    df_jb_real_or_null(o, m->energy_pj);
    K(o, ",\"dram_bytes\":");
    df_jb_real_or_null(o, m->dram_bytes);
    K(o, ",\"edp\":");
    df_jb_real_or_null(o, m->edp);
    K(o, ",\"peak_buffer_bytes\":");
    df_jb_int(o, m->peak_bytes);
    K(o, ",\"macs\":");
    df_jb_real_or_null(o, m->macs);
    K(o, ",\"utilization\":");
    df_jb_real_or_null(o, m->utilization);
    K(o, "}");
}

static void w_groups(df_jsonbuf *o, const df_net *net, const df_mapping *m, const df_group_cost *gc) {
    const df_workload *w = df_net_workload(net);
    K(o, "[");
    for (int32_t i = 0; i < m->n_groups && !o->bad; i++) {
        const df_group *g = &m->groups[i];
        df_group_report r;
        if (df_group_report_of(net, g, gc ? &gc[i] : NULL, &r)) {
            o->bad = 1;
            return;
        }
        const df_group_cost *c = &r.cost;
        if (i) K(o, ",");
        K(o, "{\"first\":");
        df_jb_int(o, g->first);
        K(o, ",\"last\":");
        df_jb_int(o, g->last);
        K(o, ",\"micro_batch\":");
        df_jb_int(o, g->micro_batch);
        K(o, ",\"tile\":{\"rows\":");
        df_jb_int(o, r.rows);
        K(o, ",\"cols\":");
        df_jb_int(o, r.cols);
        K(o, "},\"overlap\":");
        df_jb_str(o, df_overlap_name((df_overlap)g->overlap));
        K(o, ",\"first_name\":");
        df_jb_str(o, w->layers[g->first].name);
        K(o, ",\"last_name\":");
        df_jb_str(o, w->layers[g->last].name);
        K(o, ",\"footprint_bytes\":");
        df_jb_int(o, c->footprint_bytes);
        K(o, ",\"weights_resident\":");
        df_jb_bool(o, c->weights_resident);
        K(o, ",\"latency_cycles\":");
        df_jb_real_or_null(o, c->latency_cycles);
        K(o, ",\"energy_pj\":");
        df_jb_real_or_null(o, c->energy_pj);
        K(o, ",\"dram_bytes\":");
        df_jb_real_or_null(o, c->dram_bytes);
        K(o, ",\"tiles\":");
        df_jb_int(o, r.tiles);
        K(o, ",\"recompute\":");
        df_jb_real_or_null(o, r.recompute);
        K(o, "}");
    }
    K(o, "]");
}

static void w_ratio(df_jsonbuf *o, double base, double v) {
    if (v > 0 && isfinite(base / v))
        df_jb_real(o, base / v);
    else
        K(o, "null");
}

static void w_ms(df_jsonbuf *o, double x) { /* jms */
    if (isfinite(x))
        df_jb_real(o, round(x * 1e3) / 1e3);
    else
        K(o, "null");
}

char *df_answer_text(const df_request *r, const df_answer *a, double queue_ms, double total_ms, size_t *len) {
    df_jsonbuf o = {0};
    K(&o, "{\"feasible\":");
    df_jb_bool(&o, a->met.feasible);
    K(&o, ",\"solver\":");
    df_jb_str(&o, df_request_solver_name(r->solver));
    K(&o, ",\"path\":");
    df_jb_str(&o, a->path);
    K(&o, ",\"workload\":{\"name\":");
    df_jb_str(&o, r->w.name);
    K(&o, ",\"layers\":");
    df_jb_int(&o, r->w.n_layers);
    K(&o, ",\"macs\":");
    df_jb_int(&o, df_workload_macs(&r->w));
    K(&o, "},\"hardware\":");
    w_hw(&o, df_net_hw(r->net));
    K(&o, ",\"batch\":");
    df_jb_int(&o, r->batch);
    K(&o, ",\"objective\":");
    df_jb_str(&o, df_objective_name(r->obj));
    K(&o, ",\"space\":");
    df_jb_str(&o, df_space_name(r->space));
    K(&o, ",\"groups\":");
    if (r->net)
        w_groups(&o, r->net, &a->map, a->gc);
    else
        o.bad = 1;
    K(&o, ",\"metrics\":");
    w_metrics(&o, &a->met);
    if (a->have_base) {
        K(&o, ",\"baseline\":{\"metrics\":");
        w_metrics(&o, &a->base_met);
        K(&o, ",\"groups\":");
        df_jb_int(&o, a->base.n_groups);
        K(&o, "},\"gain\":{\"latency_x\":");
        w_ratio(&o, a->base_met.latency_cycles, a->met.latency_cycles);
        K(&o, ",\"energy_x\":");
        w_ratio(&o, a->base_met.energy_pj, a->met.energy_pj);
        K(&o, ",\"dram_x\":");
        w_ratio(&o, a->base_met.dram_bytes, a->met.dram_bytes);
        K(&o, "}");
    } else {
        K(&o, ",\"baseline\":null,\"gain\":null");
    }
    if (a->note[0]) {
        K(&o, ",\"note\":");
        df_jb_str(&o, a->note);
    }
    K(&o, ",\"timings\":{");
    if (a->solver && strcmp(a->solver, "transformer") == 0) {
        K(&o, "\"inference_ms\":");
        w_ms(&o, a->solve_ms);
        K(&o, ",");
    }
    K(&o, "\"queue_ms\":");
    w_ms(&o, queue_ms);
    K(&o, ",\"solve_ms\":");
    w_ms(&o, a->solve_ms);
    K(&o, ",\"check_ms\":");
    w_ms(&o, a->check_ms);
    K(&o, ",\"total_ms\":");
    w_ms(&o, total_ms);
    K(&o, "}}");
    return df_jb_finish(&o, len);
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
