/* request.c - request objects (the API's JSON) -> validated requests (see answer.h), for the CLI and
 * the daemon alike. Each field is checked for its JSON type first (DF_FAIL_REQUEST), then the library
 * builds and validates the domain objects, and the net is bound and its budget checked, so what
 * reaches a solver is known to be solvable. The workload is a zoo name, a workload object, an ONNX
 * model (base64 in "onnx", or bytes handed over by the caller) or a workload the caller resolved.
 * Batches and sweeps (base + grid) are expanded here too, with their monotone solve order. */
#include "dnnfuser/answer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/base64.h"
#include "dnnfuser/json.h"
#include "dnnfuser/onnx.h"
#include "dnnfuser/zoo.h"

#define SEQ_LEN_MAX 4096
#define GA_POP_MAX 4096
#define GA_GEN_MAX 100000
/* population x generations: about 5 s of one worker on resnet50 (the deadline cancels a longer run) */
#define GA_WORK_MAX 2000000LL

static const char *const map_keys[] = {"workload", "hardware", "budget", "batch",       "objective",
                                       "solver",   "seq_len",  "ga",     "deadline_ms", "candidates",
                                       "seed",     "onnx",     "space",  NULL};
static const char *const eval_keys[] = {"workload", "hardware", "budget", "batch", "objective",
                                        "seq_len",  "groups",   "onnx",   NULL};
static const char *const ga_keys[] = {"population", "generations", "seed", NULL};
static const char *const batch_keys[] = {"requests", "base", "grid", "deadline_ms", NULL};
static const char *const grid_keys[] = {"budgets", "hardware", NULL};

/* JSON pointer of key under base (core's one RFC 6901 writer). */
static void ptr_key(char *buf, size_t n, const char *base, const char *key) { df_json_pointer_key(buf, n, base, key); }

static int check_keys(const json_t *obj, const char *const *known, const char *base, const char *what, df_fail *f) {
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            if (strcmp(key, *k) == 0) ok = 1;
        if (ok) continue;
        char ptr[sizeof f->pointer], list[256];
        size_t len = 0;
        list[0] = '\0';
        for (const char *const *k = known; *k && len < sizeof list; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k == known ? "" : ", ", *k);
        ptr_key(ptr, sizeof ptr, base, key);
        int n = 0;
        while (known[n]) n++;
        char dym[96];
        return df_fail_set(f, DF_FAIL_REQUEST, ptr, "%s: unknown field \"%.60s\"%s (known fields: %s)", what, key,
                           df_suggest_text(key, known, n, dym, sizeof dym), list);
    }
    return 0;
}

/* Optional integer field in [lo, hi]: absent leaves *out; wrong type -> 400; out of range -> 422
 * (limit-exceeded above `limit_hi` when that is smaller than hi). */
static int opt_int(const json_t *obj, const char *key, const char *base, int64_t lo, int64_t hi, int64_t *out,
                   df_fail *f) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, key);
    json_int_t x;
    if (json_is_integer(v)) {
        x = json_integer_value(v);
    } else if (json_is_real(v) && floor(json_real_value(v)) == json_real_value(v) && fabs(json_real_value(v)) < 9e15) {
        x = (json_int_t)json_real_value(v); /* 8.0: JSON Schema's integer is a number with no fractional part */
    } else {
        return df_fail_set(f, DF_FAIL_REQUEST, ptr, "%s must be an integer, got %s", key, df_json_kind(v));
    }
    if (x < lo || x > hi)
        return df_fail_set(f, DF_FAIL_PARAMETER, ptr, "%s = %lld out of range [%lld, %lld]", key, (long long)x,
                           (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

static int opt_string(const json_t *obj, const char *key, const char *base, const char **out, df_fail *f) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    if (!json_is_string(v)) {
        char ptr[sizeof f->pointer];
        ptr_key(ptr, sizeof ptr, base, key);
        return df_fail_set(f, DF_FAIL_REQUEST, ptr, "%s must be a string, got %s", key, df_json_kind(v));
    }
    *out = json_string_value(v);
    return 0;
}

/* deadline_ms: a positive number of milliseconds. */
static int opt_deadline(const json_t *obj, const char *base, double *out, df_fail *f) {
    const json_t *v = json_object_get(obj, "deadline_ms");
    if (!v) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "deadline_ms");
    if (!json_is_number(v))
        return df_fail_set(f, DF_FAIL_REQUEST, ptr, "deadline_ms must be a number, got %s", df_json_kind(v));
    double d = json_number_value(v);
    if (!(d > 0) || !isfinite(d) || d > 86400000.0)
        return df_fail_set(f, DF_FAIL_PARAMETER, ptr, "deadline_ms = %g out of range (0, 86400000]", d);
    *out = d;
    return 0;
}

void df_request_free(df_request *r) {
    if (!r) return;
    df_net_free(r->net);
    if (r->have_w) df_workload_free(&r->w);
    memset(r, 0, sizeof *r);
}

/* The workload: a zoo name or a workload object. */
static int build_workload(const json_t *wv, const char *base, const df_request_limits *lim, df_request *r, df_fail *f) {
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "workload");
    if (!wv) return df_fail_set(f, DF_FAIL_REQUEST, ptr, "missing required field workload");
    df_err e;
    df_err_clear(&e);
    if (json_is_string(wv)) {
        if (df_resolve_zoo(json_string_value(wv), r->seq_len, lim->zoo, lim->n_zoo, &r->w, &e) != DF_OK) {
            df_fail_from_err(f, DF_FAIL_WORKLOAD, &e, ptr);
            snprintf(f->pointer, sizeof f->pointer, "%s", ptr); /* the name is the field the client wrote */
            return -1;
        }
        r->have_w = 1;
        r->from_zoo = 1;
        if (r->w.n_layers > lim->max_layers)
            return df_fail_set(f, DF_FAIL_LIMIT, ptr, "workload %s has %d layers, the limit is %d", r->w.name,
                               r->w.n_layers, lim->max_layers);
        return 0;
    }
    if (!json_is_object(wv))
        return df_fail_set(f, DF_FAIL_REQUEST, ptr,
                           "workload must be a zoo name (see GET /v1/workloads) or a workload object, got %s",
                           df_json_kind(wv));
    if (df_workload_from_json(wv, ptr, lim->max_layers, &r->w, &e) != DF_OK)
        return df_fail_from_err(f, DF_FAIL_WORKLOAD, &e, ptr);
    r->have_w = 1;
    return 0;
}

/* The workload of a request: "workload" (build_workload), an ONNX model given as base64 text in
 * "onnx" or as bytes by the caller (an application/onnx body), or a workload the caller resolved.
 * Import errors point at "onnx" (the bytes: no pointer); the detail names the model's node. */
static int build_model(const json_t *root, const char *base, const df_request_src *src, const df_request_limits *lim,
                       df_request *r, df_fail *f) {
    const json_t *ov = json_object_get(root, "onnx"), *wv = json_object_get(root, "workload");
    const uint8_t *model = src->onnx;
    size_t len = src->onnx_len;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, src->workload ? "workload" : "onnx");
    if (src->workload) {
        if (wv || ov) return df_fail_set(f, DF_FAIL_REQUEST, ptr, "give the workload once");
        df_err e;
        df_err_clear(&e);
        if (df_workload_copy(&r->w, src->workload, &e) != DF_OK) return df_fail_from_err(f, DF_FAIL_WORKLOAD, &e, NULL);
        r->have_w = 1;
        r->from_zoo = src->workload_zoo;
        if (r->w.n_layers > lim->max_layers)
            return df_fail_set(f, DF_FAIL_LIMIT, ptr, "workload %s has %d layers, the limit is %d", r->w.name,
                               r->w.n_layers, lim->max_layers);
        return 0;
    }
    if (!model && !ov) return build_workload(wv, base, lim, r, f);
    if (wv || (model && ov))
        return df_fail_set(f, DF_FAIL_REQUEST, model ? NULL : ptr,
                           "give the workload once: a workload, an onnx model or an application/onnx body");
    uint8_t *bytes = NULL;
    df_err e;
    df_err_clear(&e);
    if (ov) {
        if (!json_is_string(ov))
            return df_fail_set(f, DF_FAIL_REQUEST, ptr, "onnx must be a base64 string, got %s", df_json_kind(ov));
        if (df_base64_decode(json_string_value(ov), json_string_length(ov), &bytes, &len, &e) != DF_OK)
            return df_fail_from_err(f, DF_FAIL_WORKLOAD, &e, ptr);
        model = bytes;
    }
    int rc = df_resolve_onnx(model, len, src->onnx_name ? src->onnx_name : "onnx", lim->max_layers, &r->w, &e);
    free(bytes);
    if (rc != DF_OK) {
        df_fail_from_err(f, DF_FAIL_WORKLOAD, &e, NULL);
        snprintf(f->pointer, sizeof f->pointer, "%s", ov ? ptr : ""); /* not the model's own pointer */
        return -1;
    }
    r->have_w = 1;
    return 0;
}

/* The hardware (preset name or object, default "edge") with the budget, when given, as its buffer. */
static int build_hw(const json_t *hv, const json_t *bv, const char *base, df_request *r, df_fail *f) {
    char hptr[sizeof f->pointer], bptr[sizeof f->pointer], buf_ptr[sizeof f->pointer], preset_ptr[sizeof f->pointer];
    ptr_key(hptr, sizeof hptr, base, "hardware");
    ptr_key(bptr, sizeof bptr, base, "budget");
    ptr_key(buf_ptr, sizeof buf_ptr, hptr, "buffer");
    ptr_key(preset_ptr, sizeof preset_ptr, hptr, "preset");
    df_err e;
    df_err_clear(&e);
    int64_t budget = 0;
    if (bv) {
        if (!json_is_integer(bv) && !json_is_string(bv))
            return df_fail_set(f, DF_FAIL_REQUEST, bptr,
                               "budget must be bytes (an integer) or a size string like \"512KiB\", got %s",
                               df_json_kind(bv));
        if (df_json_size(bv, bptr, &budget, &e) != DF_OK) return df_fail_from_err(f, DF_FAIL_PARAMETER, &e, bptr);
        r->budget_given = 1;
    }
    json_t *obj;
    if (!hv)
        obj = json_pack("{s:s}", "preset", "edge");
    else if (json_is_string(hv))
        obj = json_pack("{s:O}", "preset", hv);
    else if (json_is_object(hv))
        obj = json_deep_copy(hv);
    else
        return df_fail_set(f, DF_FAIL_REQUEST, hptr,
                           "hardware must be a preset name (see GET /v1/hardware/presets) or an object, got %s",
                           df_json_kind(hv));
    if (!obj) return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    if (budget > 0 && json_object_set_new(obj, "buffer", json_integer(budget))) {
        json_decref(obj);
        return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    }
    const json_t *pv = json_object_get(obj, "preset");
    char preset[32];
    snprintf(preset, sizeof preset, "%s", json_is_string(pv) ? json_string_value(pv) : "edge");
    int rc = df_hw_from_json(obj, hptr, &r->hw, &e);
    json_decref(obj);
    if (rc == DF_OK) {
        /* an overridden field keeps the preset's name (the reply lists every field anyway) */
        if (strcmp(r->hw.name, "custom") == 0) snprintf(r->hw.name, sizeof r->hw.name, "%s", preset);
        return 0;
    }
    if (e.code == DF_ENOTFOUND) {
        const char *names[16];
        int n = 0;
        for (int32_t i = 0; i < df_hw_preset_count() && n < 16; i++) names[n++] = df_hw_preset_name(i);
        char dym[96];
        df_suggest_text(preset, names, n, dym, sizeof dym);
        size_t l = strlen(e.msg);
        if (dym[0] && l + strlen(dym) < sizeof e.msg) snprintf(e.msg + l, sizeof e.msg - l, "%s", dym);
    }
    /* point at what the client wrote: the budget, or the preset string itself */
    if (budget > 0 && strcmp(e.pointer, buf_ptr) == 0) snprintf(e.pointer, sizeof e.pointer, "%s", bptr);
    if (json_is_string(hv) && strcmp(e.pointer, preset_ptr) == 0) snprintf(e.pointer, sizeof e.pointer, "%s", hptr);
    if (!e.pointer[0]) snprintf(e.pointer, sizeof e.pointer, "%s", hptr);
    return df_fail_from_err(f, DF_FAIL_HARDWARE, &e, hptr);
}

/* Scalar fields shared by map and evaluate: batch, objective, seq_len. */
static int parse_common(const json_t *root, const char *base, const df_request_limits *lim, df_request *r, df_fail *f) {
    int64_t v = 1;
    char ptr[sizeof f->pointer];
    if (opt_int(root, "batch", base, 1, DF_MAX_BATCH, &v, f)) return -1;
    if (v > lim->max_batch) {
        ptr_key(ptr, sizeof ptr, base, "batch");
        return df_fail_set(f, DF_FAIL_LIMIT, ptr, "batch = %lld is above this server's limit of %d", (long long)v,
                           lim->max_batch);
    }
    r->batch = (int32_t)v;
    v = 0;
    if (opt_int(root, "seq_len", base, 1, SEQ_LEN_MAX, &v, f)) return -1;
    r->seq_len = (int32_t)v;
    const char *s = NULL;
    if (opt_string(root, "objective", base, &s, f)) return -1;
    r->obj = DF_OBJ_LATENCY;
    if (s && df_objective_parse(s, &r->obj) != DF_OK) {
        ptr_key(ptr, sizeof ptr, base, "objective");
        return df_fail_set(f, DF_FAIL_PARAMETER, ptr, "unknown objective \"%.40s\" (known: latency, energy, edp, dram)",
                           s);
    }
    return 0;
}

static int parse_ga(const json_t *gv, const char *base, df_ga_params *ga, df_fail *f) {
    df_ga_params_default(ga);
    if (!gv) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "ga");
    if (!json_is_object(gv))
        return df_fail_set(f, DF_FAIL_REQUEST, ptr, "ga must be an object {population, generations, seed}, got %s",
                           df_json_kind(gv));
    if (check_keys(gv, ga_keys, ptr, "ga", f)) return -1;
    int64_t pop = ga->population, gen = ga->generations, seed = (int64_t)ga->seed;
    if (opt_int(gv, "population", ptr, 2, GA_POP_MAX, &pop, f) ||
        opt_int(gv, "generations", ptr, 1, GA_GEN_MAX, &gen, f) || opt_int(gv, "seed", ptr, 0, INT64_MAX, &seed, f))
        return -1;
    if (pop * gen > GA_WORK_MAX)
        return df_fail_set(f, DF_FAIL_LIMIT, ptr,
                           "ga population x generations = %lld is above this server's limit of %lld",
                           (long long)(pop * gen), GA_WORK_MAX);
    ga->population = (int32_t)pop;
    ga->generations = (int32_t)gen;
    ga->seed = (uint64_t)seed;
    return 0;
}

/* Binds the net; with check_budget, also the smallest-footprint check (422 budget-too-small). */
static int bind_net(df_request *r, const char *base, int check_budget, df_fail *f) {
    df_err e;
    df_err_clear(&e);
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "batch");
    if (df_net_init(&r->net, &r->w, &r->hw, r->batch, &e) != DF_OK) {
        r->net = NULL;
        return df_fail_from_err(f, DF_FAIL_PARAMETER, &e, ptr);
    }
    if (check_budget && df_net_check_budget(r->net, &e) != DF_OK) {
        ptr_key(ptr, sizeof ptr, base, r->budget_given ? "budget" : "hardware");
        df_fail_from_err(f, DF_FAIL_PARAMETER, &e, ptr);
        snprintf(f->pointer, sizeof f->pointer, "%s", ptr);
        if (e.layer >= 0 && e.layer < r->w.n_layers)
            snprintf(f->layer_name, sizeof f->layer_name, "%s", r->w.layers[e.layer].name);
        return -1;
    }
    return 0;
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001b3ULL;
    return h;
}

/* The sampling seed of a request that gave none: a hash of what was asked (the resolved workload's
 * shapes, the hardware, batch, objective, candidates), so the same question gets the same answer
 * whichever door it came in and however it was spelt. */
static uint64_t derive_seed(const df_request *r) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int32_t i = 0; i < r->w.n_layers; i++) {
        const df_layer *l = &r->w.layers[i];
        int32_t dims[] = {(int32_t)l->type, l->K,   l->C,      l->Y,       l->X, l->R, l->S,
                          l->stride,        l->pad, l->groups, l->n_inputs};
        h = fnv(h, dims, sizeof dims);
        h = fnv(h, l->inputs, (size_t)l->n_inputs * sizeof l->inputs[0]);
    }
    const df_hw *w = &r->hw;
    double hv[] = {w->dram_bw,   w->noc_bw,     w->clock_hz,   w->energy.mac,
                   w->energy.rf, w->energy.noc, w->energy.buf, w->energy.dram};
    int64_t iv[] = {w->pe_rows,    w->pe_cols, w->dataflow, w->buffer_bytes,
                    w->elem_bytes, r->batch,   r->obj,      r->candidates};
    h = fnv(h, hv, sizeof hv);
    h = fnv(h, iv, sizeof iv);
    return h;
}

static int parse_map(const json_t *root, const char *prefix, const df_request_src *src, const df_request_limits *lim,
                     df_request *out, df_fail *f) {
    memset(out, 0, sizeof *out);
    df_fail_clear(f);
    const char *base = prefix ? prefix : "";
    if (!json_is_object(root))
        return df_fail_set(f, DF_FAIL_REQUEST, base, "a map request must be an object, got %s", df_json_kind(root));
    if (check_keys(root, map_keys, base, "map request", f)) return -1;
    /* types and scalar values first (cheap), then the domain objects */
    if (parse_common(root, base, lim, out, f)) return -1;
    const char *s = NULL;
    char ptr[sizeof f->pointer];
    if (opt_string(root, "solver", base, &s, f)) return -1;
    out->solver = DF_SOLVER_AUTO; /* the default (DESIGN.md section 3) */
    if (s) {
        ptr_key(ptr, sizeof ptr, base, "solver");
        if (df_request_solver_parse(s, &out->solver) != DF_OK) {
            static const char *const names[] = {"auto", "transformer", "exact", "ga", "lbl"};
            char dym[96];
            return df_fail_set(f, DF_FAIL_PARAMETER, ptr,
                               "unknown solver \"%.40s\"%s (known: auto, transformer, exact, ga, lbl)", s,
                               df_suggest_text(s, names, 5, dym, sizeof dym));
        }
    }
    /* the map-space (issue 14): depth-first tiles are searched by exact, ga and the transformer (with
     * depth-first weights, else its answer is exact: df_answer_layout_covers); auto then answers
     * exactly; lbl knows only batch splitting */
    s = NULL;
    if (opt_string(root, "space", base, &s, f)) return -1;
    out->space = DF_SPACE_BATCH;
    if (s) {
        ptr_key(ptr, sizeof ptr, base, "space");
        if (df_space_parse(s, &out->space) != DF_OK)
            return df_fail_set(f, DF_FAIL_PARAMETER, ptr, "unknown space \"%.40s\" (known: batch, depth_first)", s);
        if (out->space == DF_SPACE_DEPTH_FIRST && out->solver == DF_SOLVER_LBL)
            return df_fail_set(f, DF_FAIL_PARAMETER, ptr,
                               "space depth_first applies to the exact, ga, transformer and auto solvers, not to %s",
                               df_request_solver_name(out->solver));
    }
    int sampling = out->solver == DF_SOLVER_AUTO || out->solver == DF_SOLVER_TRANSFORMER;
    /* options that do not apply to the solver are refused, not ignored */
    static const struct {
        const char *key;
        int ga;
    } only[] = {{"candidates", 0}, {"seed", 0}, {"ga", 1}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        if (!json_object_get(root, only[i].key)) continue;
        if (only[i].ga ? out->solver == DF_SOLVER_GA : sampling) continue;
        ptr_key(ptr, sizeof ptr, base, only[i].key);
        return df_fail_set(f, DF_FAIL_PARAMETER, ptr, "%s applies to the %s solver%s, not to %s", only[i].key,
                           only[i].ga ? "ga" : "transformer", only[i].ga ? "" : " (and auto)",
                           df_request_solver_name(out->solver));
    }
    int64_t k = 1;
    out->candidates_given = json_object_get(root, "candidates") != NULL;
    if (opt_int(root, "candidates", base, 1, DF_MAX_CANDIDATES, &k, f)) return -1;
    out->candidates = (int32_t)k;
    int64_t seed = 0;
    out->seed_given = json_object_get(root, "seed") != NULL;
    if (opt_int(root, "seed", base, 0, INT64_MAX, &seed, f)) return -1;
    out->seed = (uint64_t)seed;
    out->ga_given = json_object_get(root, "ga") != NULL;
    if (parse_ga(json_object_get(root, "ga"), base, &out->ga, f)) return -1;
    if (opt_deadline(root, base, &out->deadline_ms, f)) return -1;
    const json_t *hv = json_object_get(root, "hardware");
    /* a hardware of the wrong JSON type is a 400 before any workload is built */
    if (hv && !json_is_string(hv) && !json_is_object(hv)) return build_hw(hv, NULL, base, out, f);
    /* depth-first: a layer that does not fit whole may fit in tiles, the solver decides */
    if (build_model(root, base, src, lim, out, f) || build_hw(hv, json_object_get(root, "budget"), base, out, f) ||
        bind_net(out, base, out->space == DF_SPACE_BATCH, f)) {
        df_hw hw = out->hw;
        df_request_free(out);
        if (f->kind == DF_FAIL_BUDGET) out->hw = hw; /* what was too small (a sweep's row) */
        return -1;
    }
    if (!out->seed_given) out->seed = derive_seed(out);
    return 0;
}

int df_request_parse(const df_request_src *src, const df_request_limits *lim, df_request *out, df_fail *f) {
    return parse_map(src->root, src->prefix, src, lim, out, f);
}

/* One item of a batch (no bytes; the workload from the JSON, or the one the caller resolved). */
static int parse_item(const json_t *root, const char *prefix, const df_request_limits *lim, const df_request_src *bs,
                      df_request *out, df_fail *f) {
    df_request_src src = {.root = root,
                          .prefix = prefix,
                          .workload = bs ? bs->workload : NULL,
                          .workload_zoo = bs ? bs->workload_zoo : 0};
    return parse_map(root, prefix, &src, lim, out, f);
}

int df_request_query_object(const json_t *query, json_t **out, df_fail *f) {
    *out = NULL;
    df_fail_clear(f);
    static const char *const ints[] = {"batch", "candidates", "seq_len", "seed", NULL};
    json_t *root = json_object();
    if (!root) return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)query, key, v) {
        const char *s = json_string_value(v);
        char ptr[sizeof f->pointer];
        ptr_key(ptr, sizeof ptr, "", key);
        if (strcmp(key, "workload") == 0 || strcmp(key, "onnx") == 0 || strcmp(key, "ga") == 0) {
            json_decref(root);
            return df_fail_set(f, DF_FAIL_REQUEST, ptr, "query parameter %s is not taken with an application/onnx body",
                               key);
        }
        json_t *x = NULL;
        int is_int = 0;
        for (const char *const *k = ints; *k; k++) is_int |= strcmp(key, *k) == 0;
        if (s && (is_int || strcmp(key, "deadline_ms") == 0)) {
            char *end;
            errno = 0;
            long long i = is_int ? strtoll(s, &end, 10) : 0;
            double d = is_int ? 0 : strtod(s, &end);
            if (!*s || *end || errno) {
                json_decref(root);
                return df_fail_set(f, DF_FAIL_REQUEST, ptr, "query parameter %s must be %s, got \"%.40s\"", key,
                                   is_int ? "an integer" : "a number", s);
            }
            x = is_int ? json_integer(i) : json_real(d);
        } else {
            x = json_string(s ? s : "");
        }
        if (!x || json_object_set_new(root, key, x)) {
            json_decref(root);
            return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        }
    }
    *out = root;
    return 0;
}

void df_eval_request_free(df_eval_request *r) {
    if (!r) return;
    df_request_free(&r->base);
    if (r->have_map) df_mapping_free(&r->map);
    memset(r, 0, sizeof *r);
}

int df_eval_request_parse(const json_t *root, const df_request_limits *lim, df_eval_request *out, df_fail *f) {
    memset(out, 0, sizeof *out);
    df_fail_clear(f);
    if (!json_is_object(root)) return df_fail_set(f, DF_FAIL_REQUEST, "", "the body must be an object");
    if (check_keys(root, eval_keys, "", "evaluate request", f)) return -1;
    df_request *r = &out->base;
    if (parse_common(root, "", lim, r, f)) return -1;
    const json_t *gv = json_object_get(root, "groups");
    if (!gv) return df_fail_set(f, DF_FAIL_REQUEST, "/groups", "missing required field groups");
    if (!json_is_array(gv))
        return df_fail_set(f, DF_FAIL_REQUEST, "/groups",
                           "groups must be an array of {first, last, micro_batch}, got %s", df_json_kind(gv));
    const json_t *hv = json_object_get(root, "hardware");
    if (hv && !json_is_string(hv) && !json_is_object(hv)) return build_hw(hv, NULL, "", r, f);
    if (build_model(root, "", &(df_request_src){.root = root}, lim, r, f) ||
        build_hw(hv, json_object_get(root, "budget"), "", r, f) || bind_net(r, "", 0, f))
        goto fail;
    /* the mapping reader is strict about keys: hand it just the groups (pointers stay /groups/...) */
    json_t *mj = json_pack("{s:O}", "groups", gv);
    if (!mj) {
        df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    df_err e;
    df_err_clear(&e);
    int rc = df_mapping_from_json(mj, "", r->w.n_layers, r->batch, &out->map, &e);
    json_decref(mj);
    if (rc != DF_OK) {
        df_fail_from_err(f, DF_FAIL_MAPPING, &e, "/groups");
        goto fail;
    }
    out->have_map = 1;
    return 0;
fail:
    df_eval_request_free(out);
    return -1;
}

void df_batch_request_free(df_batch_request *r) {
    if (!r) return;
    for (int32_t i = 0; i < r->n; i++) df_request_free(&r->items[i]);
    free(r->items);
    free(r->fails);
    free(r->order);
    free(r->carry);
    memset(r, 0, sizeof *r);
}

static int batch_alloc(df_batch_request *r, size_t n, df_fail *f) {
    r->items = calloc(n, sizeof *r->items);
    r->fails = calloc(n, sizeof *r->fails);
    r->order = calloc(n, sizeof *r->order);
    r->carry = calloc(n, sizeof *r->carry);
    if (!r->items || !r->fails || !r->order || !r->carry)
        return df_fail_set(f, DF_FAIL_INTERNAL, NULL, "out of memory");
    r->n = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        df_fail_clear(&r->fails[i]);
        r->order[i] = (int32_t)i;
        r->carry[i] = -1;
    }
    return 0;
}

static void note_deadline(df_batch_request *r, double d) {
    if (d > 0 && (r->deadline_ms == 0 || d < r->deadline_ms)) r->deadline_ms = d;
}

/* Replaces a pointer prefix `from` with `to` in p (grid-made items point into the grid). */
static void repoint(char *p, size_t n, const char *from, const char *to) {
    size_t fl = strlen(from);
    if (strncmp(p, from, fl) != 0 || (p[fl] != '\0' && p[fl] != '/')) return;
    char tail[128];
    snprintf(tail, sizeof tail, "%s", p + fl);
    size_t tl = strlen(to);
    if (tl >= n) return;
    memcpy(p, to, tl);
    snprintf(p + tl, n - tl, "%s", tail);
}

/* The solve order of a grid of rows x nb items (hardware-major): each row by budget ascending (the
 * resolved buffer, ties in grid order); an item is offered the answer of the valid item before it in
 * its row when that one's budget is smaller (monotone sweeps). */
static void sweep_order(df_batch_request *r, size_t nb) {
    size_t rows = (size_t)r->n / nb;
    for (size_t h = 0; h < rows; h++) {
        int32_t *o = r->order + h * nb;
        for (size_t i = 1; i < nb; i++) { /* insertion sort: stable, rows are short */
            int32_t x = o[i];
            size_t j = i;
            while (j > 0 && r->items[o[j - 1]].hw.buffer_bytes > r->items[x].hw.buffer_bytes) {
                o[j] = o[j - 1];
                j--;
            }
            o[j] = x;
        }
        int32_t prev = -1;
        for (size_t i = 0; i < nb; i++) {
            int32_t x = o[i];
            if (r->fails[x].kind != DF_FAIL_NONE) continue;
            if (prev >= 0 && r->items[prev].hw.buffer_bytes < r->items[x].hw.buffer_bytes) r->carry[x] = prev;
            prev = x;
        }
    }
}

static int batch_grid(const json_t *root, const df_request_limits *lim, const df_request_src *bs, df_batch_request *out,
                      df_fail *f) {
    const json_t *base = json_object_get(root, "base"), *grid = json_object_get(root, "grid");
    if (!json_is_object(base))
        return df_fail_set(f, DF_FAIL_REQUEST, "/base", "base must be a map request object, got %s",
                           base ? df_json_kind(base) : "nothing");
    if (!json_is_object(grid))
        return df_fail_set(f, DF_FAIL_REQUEST, "/grid", "grid must be an object {budgets, hardware}, got %s",
                           grid ? df_json_kind(grid) : "nothing");
    if (check_keys(grid, grid_keys, "/grid", "grid", f)) return -1;
    const json_t *bl = json_object_get(grid, "budgets"), *hl = json_object_get(grid, "hardware");
    if (bl && !json_is_array(bl))
        return df_fail_set(f, DF_FAIL_REQUEST, "/grid/budgets", "grid budgets must be an array, got %s",
                           df_json_kind(bl));
    if (hl && !json_is_array(hl))
        return df_fail_set(f, DF_FAIL_REQUEST, "/grid/hardware", "grid hardware must be an array, got %s",
                           df_json_kind(hl));
    size_t nb = bl ? json_array_size(bl) : 0, nh = hl ? json_array_size(hl) : 0;
    if (nb == 0 && nh == 0)
        return df_fail_set(f, DF_FAIL_REQUEST, "/grid", "grid needs a non-empty budgets or hardware array");
    size_t n = (nb ? nb : 1) * (nh ? nh : 1);
    if ((nb && n / nb != (nh ? nh : 1)) || n > (size_t)lim->max_batch_items)
        return df_fail_set(f, DF_FAIL_LIMIT, "/grid", "the grid expands to %zu x %zu requests, the limit is %d",
                           nh ? nh : 1, nb ? nb : 1, lim->max_batch_items);
    const json_t *bw = json_object_get(base, "workload"), *bl_layers = json_object_get(bw, "layers");
    if (lim->max_batch_layers > 0 && json_is_array(bl_layers) &&
        (int64_t)n * (int64_t)json_array_size(bl_layers) > lim->max_batch_layers)
        return df_fail_set(f, DF_FAIL_LIMIT, "/grid",
                           "the grid expands to %zu requests of %zu layers (%lld layer-items), the limit is %lld", n,
                           json_array_size(bl_layers), (long long)n * (long long)json_array_size(bl_layers),
                           (long long)lim->max_batch_layers);
    if (batch_alloc(out, n, f)) return -1;
    size_t k = 0;
    for (size_t h = 0; h < (nh ? nh : 1); h++)
        for (size_t b = 0; b < (nb ? nb : 1); b++, k++) {
            json_t *item = json_copy((json_t *)base); /* shallow: shares the (unmodified) children */
            int bad = !item;
            if (!bad && nh) bad = json_object_set(item, "hardware", json_array_get(hl, h));
            if (!bad && nb) bad = json_object_set(item, "budget", json_array_get(bl, b));
            if (bad) {
                json_decref(item);
                df_fail_set(&out->fails[k], DF_FAIL_INTERNAL, NULL, "out of memory");
                continue;
            }
            df_fail *fk = &out->fails[k];
            if (lim->cancel && atomic_load(lim->cancel)) {
                json_decref(item);
                return df_fail_set(f, DF_FAIL_DEADLINE, NULL,
                                   "the deadline passed while the batch was validated (%zu of %zu items)", k, n);
            }
            if (parse_item(item, "/base", lim, bs, &out->items[k], fk) == 0)
                note_deadline(out, out->items[k].deadline_ms);
            else {
                char to[64];
                if (nb) {
                    snprintf(to, sizeof to, "/grid/budgets/%zu", b);
                    repoint(fk->pointer, sizeof fk->pointer, "/base/budget", to);
                }
                if (nh) {
                    snprintf(to, sizeof to, "/grid/hardware/%zu", h);
                    repoint(fk->pointer, sizeof fk->pointer, "/base/hardware", to);
                }
                /* still pointing into the base (or nowhere): the base itself is invalid, and so is
                 * the whole call; a budget too small for one point is that point's answer */
                if (fk->kind != DF_FAIL_BUDGET && (strncmp(fk->pointer, "/base", 5) == 0 || !fk->pointer[0])) {
                    *f = *fk;
                    json_decref(item);
                    return -1;
                }
            }
            json_decref(item);
            /* the first item says how many layers the base has: the whole grid binds n times that */
            if (k == 0 && lim->max_batch_layers > 0 && out->items[0].have_w &&
                (int64_t)n * out->items[0].w.n_layers > lim->max_batch_layers)
                return df_fail_set(
                    f, DF_FAIL_LIMIT, "/grid",
                    "the grid expands to %zu requests of %d layers (%lld layer-items), the limit is %lld", n,
                    (int)out->items[0].w.n_layers, (long long)n * out->items[0].w.n_layers,
                    (long long)lim->max_batch_layers);
        }
    sweep_order(out, nb ? nb : 1);
    return 0;
}

int df_batch_request_parse(const json_t *root, const df_request_limits *lim, const df_request_src *bs,
                           df_batch_request *out, df_fail *f) {
    memset(out, 0, sizeof *out);
    df_fail_clear(f);
    if (!json_is_object(root)) return df_fail_set(f, DF_FAIL_REQUEST, "", "the body must be an object");
    if (check_keys(root, batch_keys, "", "batch request", f)) return -1;
    double d = 0;
    if (opt_deadline(root, "", &d, f)) return -1;
    const json_t *reqs = json_object_get(root, "requests");
    int rc;
    if (reqs && (json_object_get(root, "base") || json_object_get(root, "grid"))) {
        return df_fail_set(f, DF_FAIL_REQUEST, "/requests", "give either requests or base + grid, not both");
    } else if (reqs) {
        if (!json_is_array(reqs))
            return df_fail_set(f, DF_FAIL_REQUEST, "/requests", "requests must be an array, got %s",
                               df_json_kind(reqs));
        size_t n = json_array_size(reqs);
        if (n == 0) return df_fail_set(f, DF_FAIL_PARAMETER, "/requests", "requests is empty");
        if (n > (size_t)lim->max_batch_items)
            return df_fail_set(f, DF_FAIL_LIMIT, "/requests", "%zu requests, the limit is %d", n, lim->max_batch_items);
        rc = batch_alloc(out, n, f);
        int64_t layers = 0;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/requests/%zu", i);
            if (lim->cancel && atomic_load(lim->cancel))
                rc = df_fail_set(f, DF_FAIL_DEADLINE, NULL,
                                 "the deadline passed while the batch was validated (%zu of %zu items)", i, n);
            else if (parse_item(json_array_get(reqs, i), prefix, lim, bs, &out->items[i], &out->fails[i]) == 0)
                note_deadline(out, out->items[i].deadline_ms);
            if (rc == 0 && out->items[i].have_w) layers += out->items[i].w.n_layers;
            if (rc == 0 && lim->max_batch_layers > 0 && layers > lim->max_batch_layers)
                rc = df_fail_set(f, DF_FAIL_LIMIT, "/requests",
                                 "the requests have more than %lld layers in all (%zu requests so far)",
                                 (long long)lim->max_batch_layers, i + 1);
        }
    } else if (json_object_get(root, "base") || json_object_get(root, "grid")) {
        rc = batch_grid(root, lim, bs, out, f);
        out->grid = 1;
    } else {
        return df_fail_set(f, DF_FAIL_REQUEST, "/requests",
                           "missing requests (an array of map requests) or base + grid");
    }
    if (rc) {
        df_batch_request_free(out);
        return -1;
    }
    note_deadline(out, d);
    return 0;
}

/* ---- budget lists ----------------------------------------------------------------------------- */

static int push_budget(int64_t **v, int32_t *n, int32_t *cap, int32_t max, int64_t x, df_err *err) {
    if (*n >= max) return df_err_set(err, DF_ELIMIT, NULL, "more than %d budgets", (int)max);
    if (*n == *cap) {
        int32_t c = *cap ? *cap * 2 : 16;
        int64_t *nv = realloc(*v, (size_t)c * sizeof *nv);
        if (!nv) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        *v = nv;
        *cap = c;
    }
    (*v)[(*n)++] = x;
    return DF_OK;
}

static int size_part(const char *s, size_t len, int64_t *out) {
    char buf[64];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return df_parse_size(buf, out) ? -1 : 0;
}

int df_budgets_parse(const char *s, int32_t max, int64_t **out, int32_t *n_out, df_err *err) {
    int64_t *v = NULL;
    int32_t n = 0, cap = 0;
    int rc = DF_OK;
    *out = NULL;
    *n_out = 0;
    const char *dots = s ? strstr(s, "..") : NULL;
    if (!s || !*s) return df_err_set(err, DF_EINVAL, NULL, "empty budget list");
    if (!dots) {
        for (const char *p = s;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            int64_t x;
            if (size_part(p, len, &x)) {
                rc = df_err_set(err, DF_EINVAL, NULL, "invalid size '%.*s' in '%.100s'", (int)len, p, s);
                break;
            }
            if ((rc = push_budget(&v, &n, &cap, max, x, err)) || !comma) break;
            p = comma + 1;
        }
    } else {
        const char *hi_s = dots + 2, *colon = strchr(hi_s, ':');
        int64_t lo, hi, steps = 0;
        char *end = NULL;
        if (size_part(s, (size_t)(dots - s), &lo) ||
            size_part(hi_s, colon ? (size_t)(colon - hi_s) : strlen(hi_s), &hi))
            return df_err_set(err, DF_EINVAL, NULL, "invalid range '%.100s' (use e.g. 64KiB..64MiB or 64KiB..64MiB:11)",
                              s);
        if (colon) {
            errno = 0;
            steps = strtoll(colon + 1, &end, 10);
            if (!colon[1] || *end || errno || steps < 1 || steps > max)
                return df_err_set(err, DF_EINVAL, NULL, "invalid number of steps '%.40s' (1..%d)", colon + 1, (int)max);
        }
        if (lo > hi) return df_err_set(err, DF_EINVAL, NULL, "range '%.100s' goes down (low end above high end)", s);
        if (steps == 0) {
            for (int64_t x = lo; x <= hi && !rc; x = x > hi / 2 ? hi + 1 : x * 2)
                rc = push_budget(&v, &n, &cap, max, x, err);
            if (!rc && v[n - 1] != hi) rc = push_budget(&v, &n, &cap, max, hi, err);
        } else if (steps == 1 || lo == hi) {
            rc = push_budget(&v, &n, &cap, max, lo, err);
        } else {
            double ratio = log((double)hi / (double)lo);
            for (int64_t i = 0; i < steps && !rc; i++) {
                int64_t x = i == steps - 1 ? hi : llround((double)lo * exp(ratio * (double)i / (double)(steps - 1)));
                if (n > 0 && x <= v[n - 1]) continue; /* too many steps for a narrow range */
                rc = push_budget(&v, &n, &cap, max, x, err);
            }
        }
    }
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n_out = n;
    return DF_OK;
}
