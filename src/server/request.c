/* request.c - request bodies -> validated requests (see request.h). Each field is checked for its
 * JSON type first (400), then the library builds and validates the domain objects (422), and the
 * net is bound and its budget checked, so what reaches the queue is known to be solvable. The
 * workload is a zoo name, a workload object, or an ONNX model (base64 in "onnx", or the raw body of
 * an application/onnx request whose other fields come from the query string). */
#include "request.h"

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

static const char *const map_keys[] = {"workload", "hardware", "budget", "batch", "objective", "solver",
                                       "seq_len", "ga", "deadline_ms", "candidates", "onnx", NULL};
static const char *const eval_keys[] = {"workload", "hardware", "budget", "batch", "objective", "seq_len",
                                        "groups", "onnx", NULL};
static const char *const ga_keys[] = {"population", "generations", "seed", NULL};
static const char *const batch_keys[] = {"requests", "base", "grid", "deadline_ms", NULL};
static const char *const grid_keys[] = {"budgets", "hardware", NULL};

/* JSON pointer of key under base; '~' and '/' escaped as RFC 6901 says. */
static void ptr_key(char *buf, size_t n, const char *base, const char *key) {
    size_t len = (size_t)snprintf(buf, n, "%s/", base);
    for (const char *k = key; *k && len + 3 < n; k++) {
        if (*k == '~') { buf[len++] = '~'; buf[len++] = '0'; }
        else if (*k == '/') { buf[len++] = '~'; buf[len++] = '1'; }
        else buf[len++] = *k;
    }
    if (len < n) buf[len] = '\0';
    else buf[n - 1] = '\0';
}

static const char *jtype(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static int check_keys(const json_t *obj, const char *const *known, const char *base, const char *what, srv_fail *f) {
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
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "%s: unknown field \"%.60s\" (known fields: %s)", what,
                            key, list);
    }
    return 0;
}

/* Optional integer field in [lo, hi]: absent leaves *out; wrong type -> 400; out of range -> 422
 * (limit-exceeded above `limit_hi` when that is smaller than hi). */
static int opt_int(const json_t *obj, const char *key, const char *base, int64_t lo, int64_t hi, int64_t *out,
                   srv_fail *f) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, key);
    if (!json_is_integer(v))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "%s must be an integer, got %s", key, jtype(v));
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, ptr, "%s = %lld out of range [%lld, %lld]", key, (long long)x,
                            (long long)lo, (long long)hi);
    *out = x;
    return 0;
}

static int opt_string(const json_t *obj, const char *key, const char *base, const char **out, srv_fail *f) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    if (!json_is_string(v)) {
        char ptr[sizeof f->pointer];
        ptr_key(ptr, sizeof ptr, base, key);
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "%s must be a string, got %s", key, jtype(v));
    }
    *out = json_string_value(v);
    return 0;
}

/* deadline_ms: a positive number of milliseconds. */
static int opt_deadline(const json_t *obj, const char *base, double *out, srv_fail *f) {
    const json_t *v = json_object_get(obj, "deadline_ms");
    if (!v) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "deadline_ms");
    if (!json_is_number(v))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "deadline_ms must be a number, got %s", jtype(v));
    double d = json_number_value(v);
    if (!(d > 0) || !isfinite(d) || d > 86400000.0)
        return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, ptr, "deadline_ms = %g out of range (0, 86400000]", d);
    *out = d;
    return 0;
}

int srv_fail_from_df(srv_fail *f, srv_problem einval_kind, const df_err *e, const char *default_pointer) {
    const char *ptr = e->pointer[0] ? e->pointer : default_pointer;
    switch (e->code) {
    case DF_ELIMIT: return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, ptr, "%s", e->msg);
    case DF_ENOMEM: return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    case DF_EINFEASIBLE: srv_fail_set(f, SRV_PROB_BUDGET_TOO_SMALL, ptr, "%s", e->msg);
        f->need_bytes = e->need_bytes;
        f->layer = e->layer;
        return -1;
    default: return srv_fail_set(f, einval_kind, ptr, "%s", e->msg[0] ? e->msg : df_status_name(e->code));
    }
}

int srv_parse_body(const char *body, size_t len, json_t **out, srv_fail *f) {
    *out = NULL;
    if (!body || len == 0) return srv_fail_set(f, SRV_PROB_MALFORMED_JSON, NULL, "empty body: expected a JSON object");
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return srv_fail_set(f, SRV_PROB_MALFORMED_JSON, NULL, "line %d column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(j)) {
        srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "", "the body must be a JSON object, got %s", jtype(j));
        json_decref(j);
        return -1;
    }
    *out = j;
    return 0;
}

void srv_map_req_free(srv_map_req *r) {
    if (!r) return;
    df_net_free(r->net);
    if (r->have_w) df_workload_free(&r->w);
    memset(r, 0, sizeof *r);
}

/* The workload: a zoo name or a workload object. */
static int build_workload(const json_t *wv, const char *base, const srv_req_limits *lim, srv_map_req *r, srv_fail *f) {
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "workload");
    if (!wv) return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "missing required field workload");
    df_err e;
    df_err_clear(&e);
    if (json_is_string(wv)) {
        const df_workload *pre = NULL; /* prebuilt at start (default options only) */
        for (int32_t i = 0; r->seq_len == 0 && i < lim->n_zoo && lim->zoo; i++)
            if (strcmp(json_string_value(wv), df_zoo_name(i)) == 0) pre = &lim->zoo[i];
        df_zoo_opts zo = {.seq_len = r->seq_len};
        if (pre ? df_workload_copy(&r->w, pre, &e) != DF_OK : df_zoo_build(json_string_value(wv), &zo, &r->w, &e) != DF_OK) {
            srv_fail_from_df(f, SRV_PROB_INVALID_WORKLOAD, &e, ptr);
            snprintf(f->pointer, sizeof f->pointer, "%s", ptr); /* the name is the field the client wrote */
            return -1;
        }
        r->have_w = 1;
        if (r->w.n_layers > lim->max_layers)
            return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, ptr, "workload %s has %d layers, the limit is %d",
                                r->w.name, r->w.n_layers, lim->max_layers);
        return 0;
    }
    if (!json_is_object(wv))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr,
                            "workload must be a zoo name (see GET /v1/workloads) or a workload object, got %s", jtype(wv));
    if (df_workload_from_json(wv, ptr, lim->max_layers, &r->w, &e) != DF_OK)
        return srv_fail_from_df(f, SRV_PROB_INVALID_WORKLOAD, &e, ptr);
    r->have_w = 1;
    return 0;
}

/* The workload of a request: "workload" (build_workload), or an ONNX model given as base64 text in
 * "onnx" or as the raw bytes of model (not NULL for an application/onnx body). Import errors point at
 * "onnx" (the binary body: no pointer); the detail names the model's node. */
static int build_model(const json_t *root, const char *base, const uint8_t *model, size_t len,
                       const srv_req_limits *lim, srv_map_req *r, srv_fail *f) {
    const json_t *ov = json_object_get(root, "onnx"), *wv = json_object_get(root, "workload");
    if (!model && !ov) return build_workload(wv, base, lim, r, f);
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "onnx");
    if (wv || (model && ov))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, model ? NULL : ptr,
                            "give the workload once: a workload, an onnx model or an application/onnx body");
    uint8_t *bytes = NULL;
    df_err e;
    df_err_clear(&e);
    if (ov) {
        if (!json_is_string(ov))
            return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "onnx must be a base64 string, got %s", jtype(ov));
        if (df_base64_decode(json_string_value(ov), json_string_length(ov), &bytes, &len, &e) != DF_OK)
            return srv_fail_from_df(f, SRV_PROB_INVALID_WORKLOAD, &e, ptr);
        model = bytes;
    }
    df_onnx_opts oo = {.name = "onnx", .max_layers = lim->max_layers};
    int rc = df_onnx_import(model, len, &oo, &r->w, &e);
    free(bytes);
    if (rc != DF_OK) {
        srv_fail_from_df(f, SRV_PROB_INVALID_WORKLOAD, &e, NULL);
        snprintf(f->pointer, sizeof f->pointer, "%s", ov ? ptr : ""); /* not the model's own pointer */
        return -1;
    }
    r->have_w = 1;
    return 0;
}

/* The hardware (preset name or object, default "edge") with the budget, when given, as its buffer. */
static int build_hw(const json_t *hv, const json_t *bv, const char *base, srv_map_req *r, srv_fail *f) {
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
            return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, bptr,
                                "budget must be bytes (an integer) or a size string like \"512KiB\", got %s", jtype(bv));
        if (df_json_size(bv, bptr, &budget, &e) != DF_OK) return srv_fail_from_df(f, SRV_PROB_INVALID_PARAMETER, &e, bptr);
        r->budget_given = 1;
    }
    json_t *obj;
    if (!hv) obj = json_pack("{s:s}", "preset", "edge");
    else if (json_is_string(hv)) obj = json_pack("{s:O}", "preset", hv);
    else if (json_is_object(hv)) obj = json_deep_copy(hv);
    else
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, hptr,
                            "hardware must be a preset name (see GET /v1/hardware/presets) or an object, got %s",
                            jtype(hv));
    if (!obj) return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    if (budget > 0 && json_object_set_new(obj, "buffer", json_integer(budget))) {
        json_decref(obj);
        return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    }
    int rc = df_hw_from_json(obj, hptr, &r->hw, &e);
    json_decref(obj);
    if (rc == DF_OK) return 0;
    /* point at what the client wrote: the budget, or the preset string itself */
    if (budget > 0 && strcmp(e.pointer, buf_ptr) == 0) snprintf(e.pointer, sizeof e.pointer, "%s", bptr);
    if (json_is_string(hv) && strcmp(e.pointer, preset_ptr) == 0) snprintf(e.pointer, sizeof e.pointer, "%s", hptr);
    if (!e.pointer[0]) snprintf(e.pointer, sizeof e.pointer, "%s", hptr);
    return srv_fail_from_df(f, SRV_PROB_INVALID_HARDWARE, &e, hptr);
}

/* Scalar fields shared by map and evaluate: batch, objective, seq_len. */
static int parse_common(const json_t *root, const char *base, const srv_req_limits *lim, srv_map_req *r, srv_fail *f) {
    int64_t v = 1;
    char ptr[sizeof f->pointer];
    if (opt_int(root, "batch", base, 1, DF_MAX_BATCH, &v, f)) return -1;
    if (v > lim->max_batch) {
        ptr_key(ptr, sizeof ptr, base, "batch");
        return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, ptr, "batch = %lld is above this server's limit of %d",
                            (long long)v, lim->max_batch);
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
        return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, ptr,
                            "unknown objective \"%.40s\" (known: latency, energy, edp, dram)", s);
    }
    return 0;
}

static int parse_ga(const json_t *gv, const char *base, df_ga_params *ga, srv_fail *f) {
    df_ga_params_default(ga);
    if (!gv) return 0;
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "ga");
    if (!json_is_object(gv))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "ga must be an object {population, generations, seed}, got %s",
                            jtype(gv));
    if (check_keys(gv, ga_keys, ptr, "ga", f)) return -1;
    int64_t pop = ga->population, gen = ga->generations, seed = (int64_t)ga->seed;
    if (opt_int(gv, "population", ptr, 2, GA_POP_MAX, &pop, f) || opt_int(gv, "generations", ptr, 1, GA_GEN_MAX, &gen, f) ||
        opt_int(gv, "seed", ptr, 0, INT64_MAX, &seed, f))
        return -1;
    if (pop * gen > GA_WORK_MAX)
        return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, ptr,
                            "ga population x generations = %lld is above this server's limit of %lld", (long long)(pop * gen),
                            GA_WORK_MAX);
    ga->population = (int32_t)pop;
    ga->generations = (int32_t)gen;
    ga->seed = (uint64_t)seed;
    return 0;
}

/* Binds the net; with check_budget, also the smallest-footprint check (422 budget-too-small). */
static int bind_net(srv_map_req *r, const char *base, int check_budget, srv_fail *f) {
    df_err e;
    df_err_clear(&e);
    char ptr[sizeof f->pointer];
    ptr_key(ptr, sizeof ptr, base, "batch");
    if (df_net_init(&r->net, &r->w, &r->hw, r->batch, &e) != DF_OK) {
        r->net = NULL;
        return srv_fail_from_df(f, SRV_PROB_INVALID_PARAMETER, &e, ptr);
    }
    if (check_budget && df_net_check_budget(r->net, &e) != DF_OK) {
        ptr_key(ptr, sizeof ptr, base, r->budget_given ? "budget" : "hardware");
        srv_fail_from_df(f, SRV_PROB_INVALID_PARAMETER, &e, ptr);
        snprintf(f->pointer, sizeof f->pointer, "%s", ptr);
        if (e.layer >= 0 && e.layer < r->w.n_layers)
            snprintf(f->layer_name, sizeof f->layer_name, "%s", r->w.layers[e.layer].name);
        return -1;
    }
    return 0;
}

static int parse_map(const json_t *root, const char *prefix, const uint8_t *model, size_t len, const srv_req_limits *lim,
                     srv_map_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    srv_fail_clear(f);
    const char *base = prefix ? prefix : "";
    if (!json_is_object(root))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, base, "a map request must be an object, got %s", jtype(root));
    if (check_keys(root, map_keys, base, "map request", f)) return -1;
    /* types and scalar values first (cheap), then the domain objects */
    if (parse_common(root, base, lim, out, f)) return -1;
    const char *s = NULL;
    char ptr[sizeof f->pointer];
    if (opt_string(root, "solver", base, &s, f)) return -1;
    out->solver = DF_SOLVER_TRANSFORMER; /* the default (DESIGN.md section 3) */
    if (s) {
        ptr_key(ptr, sizeof ptr, base, "solver");
        if (df_solver_parse(s, &out->solver) != DF_OK)
            return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, ptr,
                                "unknown solver \"%.40s\" (known: transformer, exact, ga, lbl)", s);
    }
    int64_t k = 1;
    if (opt_int(root, "candidates", base, 1, SRV_MAX_CANDIDATES, &k, f)) return -1;
    out->candidates = (int32_t)k;
    if (parse_ga(json_object_get(root, "ga"), base, &out->ga, f)) return -1;
    if (opt_deadline(root, base, &out->deadline_ms, f)) return -1;
    const json_t *hv = json_object_get(root, "hardware");
    /* a hardware of the wrong JSON type is a 400 before any workload is built */
    if (hv && !json_is_string(hv) && !json_is_object(hv)) return build_hw(hv, NULL, base, out, f);
    if (build_model(root, base, model, len, lim, out, f) || build_hw(hv, json_object_get(root, "budget"), base, out, f) ||
        bind_net(out, base, 1, f)) {
        srv_map_req_free(out);
        return -1;
    }
    return 0;
}

int srv_parse_map(const json_t *root, const char *prefix, const srv_req_limits *lim, srv_map_req *out, srv_fail *f) {
    return parse_map(root, prefix, NULL, 0, lim, out, f);
}

int srv_parse_map_onnx(const json_t *query, const uint8_t *model, size_t len, const srv_req_limits *lim,
                       srv_map_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    srv_fail_clear(f);
    static const char *const ints[] = {"batch", "candidates", "seq_len", NULL};
    json_t *root = json_object();
    if (!root) return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)query, key, v) {
        const char *s = json_string_value(v);
        char ptr[sizeof f->pointer];
        ptr_key(ptr, sizeof ptr, "", key);
        if (strcmp(key, "workload") == 0 || strcmp(key, "onnx") == 0 || strcmp(key, "ga") == 0) {
            json_decref(root);
            return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr,
                                "query parameter %s is not taken with an application/onnx body", key);
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
                return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, ptr, "query parameter %s must be %s, got \"%.40s\"",
                                    key, is_int ? "an integer" : "a number", s);
            }
            x = is_int ? json_integer(i) : json_real(d);
        } else {
            x = json_string(s ? s : "");
        }
        if (!x || json_object_set_new(root, key, x)) {
            json_decref(root);
            return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
        }
    }
    /* unknown parameters are named by the map-request key check, as "query parameter"s */
    int rc = parse_map(root, "", model ? model : (const uint8_t *)"", len, lim, out, f);
    json_decref(root);
    return rc;
}

void srv_eval_req_free(srv_eval_req *r) {
    if (!r) return;
    srv_map_req_free(&r->base);
    if (r->have_map) df_mapping_free(&r->map);
    memset(r, 0, sizeof *r);
}

int srv_parse_evaluate(const json_t *root, const srv_req_limits *lim, srv_eval_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    srv_fail_clear(f);
    if (!json_is_object(root)) return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "", "the body must be an object");
    if (check_keys(root, eval_keys, "", "evaluate request", f)) return -1;
    srv_map_req *r = &out->base;
    if (parse_common(root, "", lim, r, f)) return -1;
    const json_t *gv = json_object_get(root, "groups");
    if (!gv) return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/groups", "missing required field groups");
    if (!json_is_array(gv))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/groups",
                            "groups must be an array of {first, last, micro_batch}, got %s", jtype(gv));
    const json_t *hv = json_object_get(root, "hardware");
    if (hv && !json_is_string(hv) && !json_is_object(hv)) return build_hw(hv, NULL, "", r, f);
    if (build_model(root, "", NULL, 0, lim, r, f) || build_hw(hv, json_object_get(root, "budget"), "", r, f) ||
        bind_net(r, "", 0, f))
        goto fail;
    /* the mapping reader is strict about keys: hand it just the groups (pointers stay /groups/...) */
    json_t *mj = json_pack("{s:O}", "groups", gv);
    if (!mj) {
        srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
        goto fail;
    }
    df_err e;
    df_err_clear(&e);
    int rc = df_mapping_from_json(mj, "", r->w.n_layers, r->batch, &out->map, &e);
    json_decref(mj);
    if (rc != DF_OK) {
        srv_fail_from_df(f, SRV_PROB_INVALID_MAPPING, &e, "/groups");
        goto fail;
    }
    out->have_map = 1;
    return 0;
fail:
    srv_eval_req_free(out);
    return -1;
}

void srv_batch_req_free(srv_batch_req *r) {
    if (!r) return;
    for (int32_t i = 0; i < r->n; i++) srv_map_req_free(&r->items[i]);
    free(r->items);
    free(r->fails);
    memset(r, 0, sizeof *r);
}

static int batch_alloc(srv_batch_req *r, size_t n, srv_fail *f) {
    r->items = calloc(n, sizeof *r->items);
    r->fails = calloc(n, sizeof *r->fails);
    if (!r->items || !r->fails) return srv_fail_set(f, SRV_PROB_INTERNAL, NULL, "out of memory");
    r->n = (int32_t)n;
    for (size_t i = 0; i < n; i++) srv_fail_clear(&r->fails[i]);
    return 0;
}

static void note_deadline(srv_batch_req *r, double d) {
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

static int batch_grid(const json_t *root, const srv_req_limits *lim, srv_batch_req *out, srv_fail *f) {
    const json_t *base = json_object_get(root, "base"), *grid = json_object_get(root, "grid");
    if (!json_is_object(base))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/base", "base must be a map request object, got %s",
                            base ? jtype(base) : "nothing");
    if (!json_is_object(grid))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid", "grid must be an object {budgets, hardware}, got %s",
                            grid ? jtype(grid) : "nothing");
    if (check_keys(grid, grid_keys, "/grid", "grid", f)) return -1;
    const json_t *bl = json_object_get(grid, "budgets"), *hl = json_object_get(grid, "hardware");
    if (bl && !json_is_array(bl))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid/budgets", "grid budgets must be an array, got %s", jtype(bl));
    if (hl && !json_is_array(hl))
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid/hardware", "grid hardware must be an array, got %s", jtype(hl));
    size_t nb = bl ? json_array_size(bl) : 0, nh = hl ? json_array_size(hl) : 0;
    if (nb == 0 && nh == 0)
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/grid", "grid needs a non-empty budgets or hardware array");
    size_t n = (nb ? nb : 1) * (nh ? nh : 1);
    if ((nb && n / nb != (nh ? nh : 1)) || n > (size_t)lim->max_batch_items)
        return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, "/grid",
                            "the grid expands to %zu x %zu requests, the limit is %d", nh ? nh : 1, nb ? nb : 1,
                            lim->max_batch_items);
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
                srv_fail_set(&out->fails[k], SRV_PROB_INTERNAL, NULL, "out of memory");
                continue;
            }
            srv_fail *fk = &out->fails[k];
            if (srv_parse_map(item, "/base", lim, &out->items[k], fk) == 0) note_deadline(out, out->items[k].deadline_ms);
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
            }
            json_decref(item);
        }
    return 0;
}

int srv_parse_batch(const json_t *root, const srv_req_limits *lim, srv_batch_req *out, srv_fail *f) {
    memset(out, 0, sizeof *out);
    srv_fail_clear(f);
    if (!json_is_object(root)) return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "", "the body must be an object");
    if (check_keys(root, batch_keys, "", "batch request", f)) return -1;
    double d = 0;
    if (opt_deadline(root, "", &d, f)) return -1;
    const json_t *reqs = json_object_get(root, "requests");
    int rc;
    if (reqs && (json_object_get(root, "base") || json_object_get(root, "grid"))) {
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/requests",
                            "give either requests or base + grid, not both");
    } else if (reqs) {
        if (!json_is_array(reqs))
            return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/requests", "requests must be an array, got %s", jtype(reqs));
        size_t n = json_array_size(reqs);
        if (n == 0) return srv_fail_set(f, SRV_PROB_INVALID_PARAMETER, "/requests", "requests is empty");
        if (n > (size_t)lim->max_batch_items)
            return srv_fail_set(f, SRV_PROB_LIMIT_EXCEEDED, "/requests", "%zu requests, the limit is %d", n,
                                lim->max_batch_items);
        rc = batch_alloc(out, n, f);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "/requests/%zu", i);
            if (srv_parse_map(json_array_get(reqs, i), prefix, lim, &out->items[i], &out->fails[i]) == 0)
                note_deadline(out, out->items[i].deadline_ms);
        }
    } else if (json_object_get(root, "base") || json_object_get(root, "grid")) {
        rc = batch_grid(root, lim, out, f);
    } else {
        return srv_fail_set(f, SRV_PROB_INVALID_REQUEST, "/requests",
                            "missing requests (an array of map requests) or base + grid");
    }
    if (rc) {
        srv_batch_req_free(out);
        return -1;
    }
    note_deadline(out, d);
    return 0;
}
