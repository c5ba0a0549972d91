/* json.c - strict JSON (jansson) readers and the matching writers for workloads, hardware, mappings,
 * metrics and per-group breakdowns (formats documented in include/dnnfuser/json.h).
 *
 * Readers reject anything they do not understand: wrong JSON types, fractional or out-of-range
 * integers, unknown keys (with a "did you mean" hint for typos), unknown names. Every error carries a
 * JSON pointer made of the caller's prefix and the offending field, e.g. "/workload/layers/3/K".
 * Every writer's output is read back by the corresponding reader into the same object. */
#include "dnnfuser/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------------------- */

static const char *nz(const char *s) { return s ? s : ""; }

/* base + "/" + key, with the key escaped as RFC 6901 requires ('~' -> "~0", '/' -> "~1"); see json.h. */
void df_json_pointer_key(char *buf, size_t n, const char *base, const char *key) {
    size_t len = (size_t)snprintf(buf, n, "%s/", nz(base));
    for (const char *k = key; *k && len + 3 < n; k++) {
        if (*k == '~') {
            buf[len++] = '~';
            buf[len++] = '0';
        } else if (*k == '/') {
            buf[len++] = '~';
            buf[len++] = '1';
        } else
            buf[len++] = *k;
    }
    if (len < n)
        buf[len] = '\0';
    else
        buf[n - 1] = '\0';
}
static void ptr_key(char *buf, size_t n, const char *base, const char *key) { df_json_pointer_key(buf, n, base, key); }

/* base + "/" + arr + "/" + i; a pointer longer than the buffer is truncated (it stays a useful hint). */
static void ptr_index(char *buf, size_t n, const char *base, const char *arr, size_t i) {
    if (snprintf(buf, n, "%s/%s/%zu", nz(base), arr, i) >= (int)n) buf[n - 1] = '\0';
}

const char *df_json_kind(const json_t *v) {
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

/* Rejects keys of obj not in known[] (NULL-terminated). `what` names the object in the message. */
static int check_keys(const json_t *obj, const char *const *known, const char *base, const char *what, df_err *err) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            if (strcmp(key, *k) == 0) {
                ok = 1;
                break;
            }
        if (ok) continue;
        char ptr[sizeof err->pointer];
        ptr_key(ptr, sizeof ptr, base, key);
        int n = 0;
        while (known[n]) n++;
        const char *hint = df_suggest(key, known, n);
        char list[200];
        size_t len = 0;
        list[0] = '\0';
        for (const char *const *k = known; *k && len < sizeof list; k++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k == known ? "" : ", ", *k);
        if (hint)
            return df_err_set(err, DF_EINVAL, ptr, "%s: unknown field \"%.40s\" (did you mean \"%s\"?)", what, key,
                              hint);
        return df_err_set(err, DF_EINVAL, ptr, "%s: unknown field \"%.40s\" (known fields: %s)", what, key, list);
    }
    return DF_OK;
}

/* A JSON integer within [lo, hi]. */
static int get_int(const json_t *v, const char *ptr, const char *what, int64_t lo, int64_t hi, int64_t *out,
                   df_err *err) {
    if (!json_is_integer(v)) {
        if (json_is_real(v))
            return df_err_set(err, DF_EINVAL, ptr, "%s must be an integer, got %g", what, json_real_value(v));
        return df_err_set(err, DF_EINVAL, ptr, "%s must be an integer, got %s", what, df_json_kind(v));
    }
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return df_err_set(err, DF_EINVAL, ptr, "%s = %lld out of range [%lld, %lld]", what, (long long)x, (long long)lo,
                          (long long)hi);
    *out = (int64_t)x;
    return DF_OK;
}

static int get_int32(const json_t *v, const char *ptr, const char *what, int32_t *out, df_err *err) {
    int64_t x = 0;
    int rc = get_int(v, ptr, what, INT32_MIN, INT32_MAX, &x, err);
    if (rc == DF_OK) *out = (int32_t)x;
    return rc;
}

/* A JSON number (integer or real), finite. */
static int get_number(const json_t *v, const char *ptr, const char *what, double *out, df_err *err) {
    if (!json_is_number(v))
        return df_err_set(err, DF_EINVAL, ptr, "%s must be a number, got %s", what, df_json_kind(v));
    double x = json_number_value(v);
    if (!isfinite(x)) return df_err_set(err, DF_EINVAL, ptr, "%s must be a finite number", what);
    *out = x;
    return DF_OK;
}

/* A JSON string without embedded NUL, 1..max_len bytes. */
static int get_string(const json_t *v, const char *ptr, const char *what, size_t max_len, const char **out,
                      df_err *err) {
    if (!json_is_string(v))
        return df_err_set(err, DF_EINVAL, ptr, "%s must be a string, got %s", what, df_json_kind(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n) return df_err_set(err, DF_EINVAL, ptr, "%s must not contain NUL characters", what);
    if (n == 0) return df_err_set(err, DF_EINVAL, ptr, "%s must not be empty", what);
    if (n > max_len)
        return df_err_set(err, DF_EINVAL, ptr, "%s is %zu bytes long, at most %zu allowed", what, n, max_len);
    *out = s;
    return DF_OK;
}

/* Replaces a pointer starting with `from` (or any pointer when from is "") by prefix + the rest. */
static void reprefix(df_err *err, const char *from, const char *prefix) {
    if (!err || !err->pointer[0]) return;
    size_t fl = strlen(from);
    if (strncmp(err->pointer, from, fl) != 0) return;
    char tmp[sizeof err->pointer];
    snprintf(tmp, sizeof tmp, "%s%s", nz(prefix), err->pointer + fl);
    memcpy(err->pointer, tmp, sizeof tmp);
}

/* Sets key in obj to v (stolen, may be NULL); returns -1 on any failure. */
static int put(json_t *obj, const char *key, json_t *v) { return v ? json_object_set_new(obj, key, v) : -1; }

/* A real, or null when not finite (jansson refuses NaN and infinities). */
static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }

/* ---- workload --------------------------------------------------------------------------------- */

static const char *const workload_keys[] = {"name", "layers", NULL};
static const char *const layer_keys[] = {"name", "type", "K", "C", "Y", "X", "R", "S", "stride", "pad", "groups",
                                         "inputs", "density",
                                         /* issue 16: per-side windows, the data-movement types */
                                         "op", "stride_x", "pad_top", "pad_bottom", "pad_left", "pad_right", NULL};
/* the keys of a layer of a type that takes its output size (layout, resize, deconv): also P and Q */
static const char *const sized_layer_keys[] = {
    "name",   "type",    "K",  "C",        "Y",       "X",          "R",        "S",         "stride", "pad", "groups",
    "inputs", "density", "op", "stride_x", "pad_top", "pad_bottom", "pad_left", "pad_right", "P",      "Q",   NULL};

static int layer_err(df_err *err, int32_t i, int rc) {
    if (err) err->layer = i;
    return rc;
}

/* Reads an optional int32 field; *given tells whether it was present. */
static int opt_int(const json_t *lj, const char *key, const char *lptr, int32_t i, int32_t *out, int *given,
                   df_err *err) {
    const json_t *v = json_object_get(lj, key);
    *given = v != NULL;
    if (!v) return DF_OK;
    char ptr[sizeof err->pointer], what[64];
    ptr_key(ptr, sizeof ptr, lptr, key);
    snprintf(what, sizeof what, "layer %d field %s", i, key);
    return get_int32(v, ptr, what, out, err);
}

static int req_int(const json_t *lj, const char *key, const char *lptr, int32_t i, const char *type, int32_t *out,
                   df_err *err) {
    int given;
    int rc = opt_int(lj, key, lptr, i, out, &given, err);
    if (rc) return rc;
    if (!given) {
        char ptr[sizeof err->pointer];
        ptr_key(ptr, sizeof ptr, lptr, key);
        return df_err_set(err, DF_EINVAL, ptr, "layer %d (%s): missing required field %s", i, type, key);
    }
    return DF_OK;
}

/* The fields issue 16 added (each optional; absent = the classic layer): op, stride_x, the per-side
 * pads and, for layout/resize/deconv, the output size P x Q. Range rules are df_workload_validate's. */
static int parse_layer_ext(const json_t *lj, int32_t i, const char *lptr, df_layer *l, df_err *err) {
    int given, rc;
    if ((rc = opt_int(lj, "stride_x", lptr, i, &l->stride_x, &given, err)) ||
        (rc = opt_int(lj, "pad_top", lptr, i, &l->pad_t, &given, err)) ||
        (rc = opt_int(lj, "pad_bottom", lptr, i, &l->pad_b, &given, err)) ||
        (rc = opt_int(lj, "pad_left", lptr, i, &l->pad_l, &given, err)) ||
        (rc = opt_int(lj, "pad_right", lptr, i, &l->pad_r, &given, err)))
        return rc;
    char ptr[sizeof err->pointer];
    int sized = l->type == DF_LAYER_LAYOUT || l->type == DF_LAYER_RESIZE || l->type == DF_LAYER_DECONV;
    for (int k = 0; k < 2; k++) {
        const char *key = k ? "Q" : "P";
        int32_t *dst = k ? &l->out_x : &l->out_y;
        if (!sized || !json_object_get(lj, key)) continue;
        ptr_key(ptr, sizeof ptr, lptr, key);
        if ((rc = opt_int(lj, key, lptr, i, dst, &given, err))) return rc;
        if (*dst < 1) return df_err_set(err, DF_EINVAL, ptr, "layer %d field %s must be >= 1, got %d", i, key, *dst);
    }
    const json_t *ov = json_object_get(lj, "op");
    if (!ov) return DF_OK;
    ptr_key(ptr, sizeof ptr, lptr, "op");
    const char *os;
    if ((rc = get_string(ov, ptr, "layer op", 32, &os, err))) return rc;
    df_layer_op op;
    if (df_layer_op_parse(l->type, os, &op)) {
        const char *known = df_layer_type_ops(l->type);
        return df_err_set(err, DF_EINVAL, ptr, "layer %d (%s): unknown op \"%.32s\" (%s%s)", i,
                          df_layer_type_name(l->type), os, known[0] ? "known: " : "this type takes no op", known);
    }
    l->op = (int32_t)op;
    return DF_OK;
}

static int parse_layer(const json_t *lj, int32_t i, const char *lptr, df_layer *l, df_err *err) {
    memset(l, 0, sizeof *l);
    if (!json_is_object(lj))
        return df_err_set(err, DF_EINVAL, lptr, "layer %d must be an object, got %s", i, df_json_kind(lj));
    char what[48], ptr[sizeof err->pointer];
    snprintf(what, sizeof what, "layer %d", i);
    const json_t *tv0 = json_object_get(lj, "type");
    const char *t0 = json_is_string(tv0) ? json_string_value(tv0) : "";
    int sized = !strcmp(t0, "layout") || !strcmp(t0, "resize") || !strcmp(t0, "deconv");
    int rc = check_keys(lj, sized ? sized_layer_keys : layer_keys, lptr, what, err);
    if (rc) return rc;

    const json_t *tv = json_object_get(lj, "type");
    ptr_key(ptr, sizeof ptr, lptr, "type");
    if (!tv) return df_err_set(err, DF_EINVAL, ptr, "layer %d: missing required field type", i);
    const char *ts;
    if ((rc = get_string(tv, ptr, "layer type", 32, &ts, err))) return rc;
    if (df_layer_type_parse(ts, &l->type))
        return df_err_set(err, DF_EINVAL, ptr,
                          "layer %d: unknown type \"%.32s\" (known: conv, dwconv, fc, matmul, pool, add, concat, "
                          "layout, resize, deconv, norm, softmax, eltwise)",
                          i, ts);
    const char *type = df_layer_type_name(l->type);

    const json_t *nv = json_object_get(lj, "name");
    if (nv) {
        const char *ns;
        ptr_key(ptr, sizeof ptr, lptr, "name");
        snprintf(what, sizeof what, "layer %d name", i);
        if ((rc = get_string(nv, ptr, what, DF_NAME_MAX - 1, &ns, err))) return rc;
        snprintf(l->name, sizeof l->name, "%s", ns);
    } else {
        snprintf(l->name, sizeof l->name, "L%d", i);
    }

    int given, r_given, s_given;
    if ((rc = req_int(lj, "K", lptr, i, type, &l->K, err)) || (rc = req_int(lj, "C", lptr, i, type, &l->C, err)))
        return rc;
    /* Y, X: required, except fc (flattened input: 1 x 1) and matmul (X = 1) */
    l->Y = l->X = 1;
    if (l->type == DF_LAYER_FC) {
        if ((rc = opt_int(lj, "Y", lptr, i, &l->Y, &given, err)) ||
            (rc = opt_int(lj, "X", lptr, i, &l->X, &given, err)))
            return rc;
    } else if (l->type == DF_LAYER_MATMUL || (l->type >= DF_LAYER_TYPE_COUNT && l->type != DF_LAYER_DECONV)) {
        if ((rc = req_int(lj, "Y", lptr, i, type, &l->Y, err)) || (rc = opt_int(lj, "X", lptr, i, &l->X, &given, err)))
            return rc;
    } else {
        if ((rc = req_int(lj, "Y", lptr, i, type, &l->Y, err)) || (rc = req_int(lj, "X", lptr, i, type, &l->X, err)))
            return rc;
    }
    /* kernel: R = S = 1 when both are absent; when only one is given the kernel is square */
    l->R = l->S = 1;
    if ((rc = opt_int(lj, "R", lptr, i, &l->R, &r_given, err)) ||
        (rc = opt_int(lj, "S", lptr, i, &l->S, &s_given, err)))
        return rc;
    if (r_given && !s_given) l->S = l->R;
    if (s_given && !r_given) l->R = l->S;
    l->stride = 1;
    l->pad = 0;
    l->groups = 1;
    if ((rc = opt_int(lj, "stride", lptr, i, &l->stride, &given, err)) ||
        (rc = opt_int(lj, "pad", lptr, i, &l->pad, &given, err)) ||
        (rc = opt_int(lj, "groups", lptr, i, &l->groups, &given, err)))
        return rc;
    if (!given && l->type == DF_LAYER_DWCONV) l->groups = l->C;
    if ((rc = parse_layer_ext(lj, i, lptr, l, err))) return rc;
    const json_t *dv = json_object_get(lj, "density");
    if (dv) { /* optional fraction of non-zero input activations */
        ptr_key(ptr, sizeof ptr, lptr, "density");
        snprintf(what, sizeof what, "layer %d density", i);
        if ((rc = get_number(dv, ptr, what, &l->density, err))) return rc;
        if (!(l->density > 0 && l->density <= 1))
            return df_err_set(err, DF_EINVAL, ptr,
                              "layer %d density = %g must be in (0, 1] (fraction of non-zero "
                              "input activations)",
                              i, l->density);
    }

    const json_t *iv = json_object_get(lj, "inputs");
    if (!iv) {
        l->n_inputs = 1;
        l->inputs[0] = i - 1; /* the previous layer, or -1 (the network input) for layer 0 */
        return DF_OK;
    }
    ptr_key(ptr, sizeof ptr, lptr, "inputs");
    if (!json_is_array(iv))
        return df_err_set(err, DF_EINVAL, ptr, "layer %d field inputs must be an array of layer indices, got %s", i,
                          df_json_kind(iv));
    size_t n = json_array_size(iv);
    if (n < 1 || n > DF_MAX_INPUTS)
        return df_err_set(err, DF_EINVAL, ptr, "layer %d field inputs has %zu entries, 1 to %d allowed", i, n,
                          DF_MAX_INPUTS);
    for (size_t j = 0; j < n; j++) {
        char p2[sizeof err->pointer];
        ptr_index(p2, sizeof p2, lptr, "inputs", j);
        snprintf(what, sizeof what, "layer %d inputs[%zu]", i, j);
        if ((rc = get_int32(json_array_get(iv, j), p2, what, &l->inputs[j], err))) return rc;
    }
    l->n_inputs = (int32_t)n;
    return DF_OK;
}

int df_workload_from_json(const json_t *j, const char *prefix, int32_t max_layers, df_workload *out, df_err *err) {
    df_err_clear(err);
    prefix = nz(prefix);
    df_workload_init(out, NULL);
    if (max_layers <= 0) max_layers = DF_DEFAULT_MAX_LAYERS;
    if (!json_is_object(j))
        return df_err_set(err, DF_EINVAL, prefix, "workload must be an object with \"layers\", got %s",
                          j ? df_json_kind(j) : "nothing");
    int rc = check_keys(j, workload_keys, prefix, "workload", err);
    if (rc) return rc;
    char ptr[sizeof err->pointer];
    const json_t *nv = json_object_get(j, "name");
    if (nv) {
        const char *ns;
        ptr_key(ptr, sizeof ptr, prefix, "name");
        if ((rc = get_string(nv, ptr, "workload name", sizeof out->name - 1, &ns, err))) return rc;
        snprintf(out->name, sizeof out->name, "%s", ns);
    }
    const json_t *lv = json_object_get(j, "layers");
    ptr_key(ptr, sizeof ptr, prefix, "layers");
    if (!lv) return df_err_set(err, DF_EINVAL, ptr, "workload: missing required field layers");
    if (!json_is_array(lv))
        return df_err_set(err, DF_EINVAL, ptr, "workload field layers must be an array, got %s", df_json_kind(lv));
    size_t n = json_array_size(lv);
    if (n == 0) return df_err_set(err, DF_EINVAL, ptr, "workload has no layers");
    if (n > (size_t)max_layers) /* before any per-layer allocation or work */
        return df_err_set(err, DF_ELIMIT, ptr, "workload has %zu layers, the limit is %d", n, max_layers);
    out->layers = calloc(n, sizeof *out->layers);
    if (!out->layers) return df_err_set(err, DF_ENOMEM, ptr, "out of memory reading %zu layers", n);
    out->cap = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        char lptr[sizeof err->pointer];
        ptr_index(lptr, sizeof lptr, prefix, "layers", i);
        rc = parse_layer(json_array_get(lv, i), (int32_t)i, lptr, &out->layers[i], err);
        if (rc) {
            df_workload_free(out);
            return layer_err(err, (int32_t)i, rc);
        }
        out->n_layers = (int32_t)i + 1;
    }
    rc = df_workload_validate(out, max_layers, err);
    if (rc) {
        reprefix(err, "", prefix);
        df_workload_free(out);
        return rc;
    }
    return DF_OK;
}

json_t *df_workload_to_json(const df_workload *w) {
    if (!w) return NULL;
    json_t *o = json_object(), *arr = json_array();
    if (!o || !arr || (w->name[0] && put(o, "name", json_string(w->name)))) goto fail;
    for (int32_t i = 0; i < w->n_layers; i++) {
        const df_layer *l = &w->layers[i];
        json_t *lo = json_object();
        if (json_array_append_new(arr, lo)) goto fail; /* lo is owned by arr from here on (or freed) */
        json_t *in = json_array();
        if (put(lo, "inputs", in)) goto fail; /* likewise `in` by lo */
        int32_t pad4[4];
        df_layer_pads(l, pad4);
        int bad = put(lo, "name", json_string(l->name)) | put(lo, "type", json_string(df_layer_type_name(l->type))) |
                  put(lo, "K", json_integer(l->K)) | put(lo, "C", json_integer(l->C)) |
                  put(lo, "Y", json_integer(l->Y)) | put(lo, "X", json_integer(l->X)) |
                  put(lo, "R", json_integer(l->R)) | put(lo, "S", json_integer(l->S)) |
                  put(lo, "stride", json_integer(l->stride)) |
                  put(lo, "pad", json_integer(df_layer_pads_symmetric(l) ? pad4[0] : 0)) |
                  put(lo, "groups", json_integer(l->groups));
        if (l->density > 0) bad |= put(lo, "density", json_real(l->density));
        for (int32_t k = 0; k < l->n_inputs && k < DF_MAX_INPUTS; k++)
            bad |= json_array_append_new(in, json_integer(l->inputs[k]));
        /* issue 16's fields, only where they say something (classic layers print as before) */
        df_layer_op op = df_layer_op_of(l);
        if (op != DF_OP_DEFAULT) bad |= put(lo, "op", json_string(df_layer_op_name(op)));
        if (l->stride_x > 0 && l->stride_x != l->stride) bad |= put(lo, "stride_x", json_integer(l->stride_x));
        if (!df_layer_pads_symmetric(l))
            bad |= put(lo, "pad_top", json_integer(pad4[0])) | put(lo, "pad_bottom", json_integer(pad4[1])) |
                   put(lo, "pad_left", json_integer(pad4[2])) | put(lo, "pad_right", json_integer(pad4[3]));
        if (l->out_y) bad |= put(lo, "P", json_integer(l->out_y));
        if (l->out_x) bad |= put(lo, "Q", json_integer(l->out_x));
        if (bad) goto fail;
    }
    if (put(o, "layers", arr)) {
        arr = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(arr);
    json_decref(o);
    return NULL;
}

/* ---- hardware --------------------------------------------------------------------------------- */

static const char *const hw_keys[] = {"preset",     "pes",      "pe_rows",  "pe_cols",    "dataflow",
                                      "buffer",     "dram_bw",  "noc_bw",   "noc_bw_w",   "noc_bw_in",
                                      "noc_bw_out", "noc_hops", "clock_hz", "elem_bytes", "tech_nm",
                                      "rf_w",       "rf_in",    "rf_out",   "energy_pj",  NULL};
static const char *const energy_keys[] = {"mac", "rf", "noc", "buf", "dram", "static", NULL};

int df_json_size(const json_t *v, const char *pointer, int64_t *out, df_err *err) {
    pointer = nz(pointer);
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 1) return df_err_set(err, DF_EINVAL, pointer, "size = %lld bytes must be at least 1", (long long)x);
        *out = (int64_t)x;
        return DF_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v) || df_parse_size(s, out))
            return df_err_set(err, DF_EINVAL, pointer,
                              "size \"%.40s\" is not a byte count (e.g. 524288, \"512KiB\", \"2MiB\", \"64kB\")", s);
        return DF_OK;
    }
    if (json_is_real(v))
        return df_err_set(err, DF_EINVAL, pointer,
                          "size must be a whole number of bytes or a string like \"512KiB\", got %g",
                          json_real_value(v));
    return df_err_set(err, DF_EINVAL, pointer,
                      "size must be an integer number of bytes or a string like \"512KiB\", got %s",
                      v ? df_json_kind(v) : "nothing");
}

static int same_hw(const df_hw *a, const df_hw *b) {
    return a->pe_rows == b->pe_rows && a->pe_cols == b->pe_cols && a->dataflow == b->dataflow &&
           a->buffer_bytes == b->buffer_bytes && a->dram_bw == b->dram_bw && a->noc_bw == b->noc_bw &&
           a->clock_hz == b->clock_hz && a->elem_bytes == b->elem_bytes && a->energy.mac == b->energy.mac &&
           a->energy.rf == b->energy.rf && a->energy.noc == b->energy.noc && a->energy.buf == b->energy.buf &&
           a->energy.dram == b->energy.dram && a->energy.stat == b->energy.stat && a->noc_bw_w == b->noc_bw_w &&
           a->noc_bw_in == b->noc_bw_in && a->noc_bw_out == b->noc_bw_out && a->noc_hops == b->noc_hops &&
           a->tech_nm == b->tech_nm && a->rf_w == b->rf_w && a->rf_in == b->rf_in && a->rf_out == b->rf_out;
}

static int hw_fields(const json_t *j, const char *prefix, df_hw *h, df_err *err, int *pes_given) {
    char ptr[sizeof err->pointer];
    const json_t *v;
    int rc;
    *pes_given = 0;
    if ((v = json_object_get(j, "pes"))) {
        ptr_key(ptr, sizeof ptr, prefix, "pes");
        if (json_object_get(j, "pe_rows") || json_object_get(j, "pe_cols"))
            return df_err_set(err, DF_EINVAL, ptr, "hardware: give either pes or pe_rows/pe_cols, not both");
        *pes_given = 1;
        if (json_is_string(v)) {
            if (df_parse_pes(json_string_value(v), &h->pe_rows, &h->pe_cols))
                return df_err_set(err, DF_EINVAL, ptr,
                                  "hardware pes \"%.32s\" is not a PE array: use \"ROWSxCOLS\" (e.g. \"16x16\") or a "
                                  "perfect square count",
                                  json_string_value(v));
        } else if (json_is_integer(v)) {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            if (df_parse_pes(buf, &h->pe_rows, &h->pe_cols))
                return df_err_set(err, DF_EINVAL, ptr,
                                  "hardware pes = %s must be a positive perfect square (or a string \"ROWSxCOLS\")",
                                  buf);
        } else {
            return df_err_set(err, DF_EINVAL, ptr, "hardware pes must be a string \"ROWSxCOLS\" or an integer, got %s",
                              df_json_kind(v));
        }
    }
    if ((v = json_object_get(j, "pe_rows"))) {
        ptr_key(ptr, sizeof ptr, prefix, "pe_rows");
        if ((rc = get_int32(v, ptr, "hardware pe_rows", &h->pe_rows, err))) return rc;
    }
    if ((v = json_object_get(j, "pe_cols"))) {
        ptr_key(ptr, sizeof ptr, prefix, "pe_cols");
        if ((rc = get_int32(v, ptr, "hardware pe_cols", &h->pe_cols, err))) return rc;
    }
    if ((v = json_object_get(j, "dataflow"))) {
        const char *s;
        ptr_key(ptr, sizeof ptr, prefix, "dataflow");
        if ((rc = get_string(v, ptr, "hardware dataflow", 16, &s, err))) return rc;
        if (df_dataflow_parse(s, &h->dataflow))
            return df_err_set(err, DF_EINVAL, ptr, "hardware dataflow \"%s\" is not one of ws, os, rs", s);
    }
    if ((v = json_object_get(j, "buffer"))) {
        ptr_key(ptr, sizeof ptr, prefix, "buffer");
        if ((rc = df_json_size(v, ptr, &h->buffer_bytes, err))) {
            if (err) { /* name the field in the message too */
                char msg[sizeof err->msg];
                if (snprintf(msg, sizeof msg, "hardware buffer: %s", err->msg) >= (int)sizeof msg)
                    msg[sizeof msg - 1] = '\0';
                memcpy(err->msg, msg, sizeof msg);
            }
            return rc;
        }
    }
    static const struct {
        const char *key;
        size_t off;
    } nums[] = {
        {"dram_bw", offsetof(df_hw, dram_bw)},     {"noc_bw", offsetof(df_hw, noc_bw)},
        {"clock_hz", offsetof(df_hw, clock_hz)},   {"noc_bw_w", offsetof(df_hw, noc_bw_w)},
        {"noc_bw_in", offsetof(df_hw, noc_bw_in)}, {"noc_bw_out", offsetof(df_hw, noc_bw_out)},
        {"noc_hops", offsetof(df_hw, noc_hops)},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        if (!(v = json_object_get(j, nums[k].key))) continue;
        char what[48];
        ptr_key(ptr, sizeof ptr, prefix, nums[k].key);
        snprintf(what, sizeof what, "hardware %s", nums[k].key);
        if ((rc = get_number(v, ptr, what, (double *)((char *)h + nums[k].off), err))) return rc;
    }
    static const struct {
        const char *key;
        size_t off;
    } ints[] = {
        {"elem_bytes", offsetof(df_hw, elem_bytes)},
        {"tech_nm", offsetof(df_hw, tech_nm)},
        {"rf_w", offsetof(df_hw, rf_w)},
        {"rf_in", offsetof(df_hw, rf_in)},
        {"rf_out", offsetof(df_hw, rf_out)},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        if (!(v = json_object_get(j, ints[k].key))) continue;
        char what[48];
        ptr_key(ptr, sizeof ptr, prefix, ints[k].key);
        snprintf(what, sizeof what, "hardware %s", ints[k].key);
        if ((rc = get_int32(v, ptr, what, (int32_t *)((char *)h + ints[k].off), err))) return rc;
    }
    return DF_OK;
}

/* A df_hw_validate error names the hardware field by id (DF_FIELD_HARDWARE, sub = its path in the
 * object); the reader knows where that object sits (prefix) and makes it the pointer of a schema reader's
 * error. pes_given: the document set the array by "pes", which pe_rows/pe_cols errors point to. */
static int hw_pointer(df_err *err, const char *prefix, int pes_given, int rc) {
    if (!err || err->field != DF_FIELD_HARDWARE) return rc;
    const char *sub = err->sub;
    if (pes_given && (strcmp(sub, "pe_rows") == 0 || strcmp(sub, "pe_cols") == 0)) sub = "pes";
    char ptr[sizeof err->pointer];
    if (snprintf(ptr, sizeof ptr, "%s%s%s", nz(prefix), sub[0] ? "/" : "", sub) >= (int)sizeof ptr)
        ptr[sizeof ptr - 1] = '\0';
    memcpy(err->pointer, ptr, sizeof ptr);
    err->field = DF_FIELD_NONE;
    err->sub[0] = '\0';
    return rc;
}

int df_hw_from_json(const json_t *j, const char *prefix, df_hw *out, df_err *err) {
    df_err_clear(err);
    prefix = nz(prefix);
    char ptr[sizeof err->pointer];
    int rc;
    if (json_is_string(j)) {
        if ((rc = df_hw_preset(json_string_value(j), out, err))) {
            if (err) snprintf(err->pointer, sizeof err->pointer, "%s", prefix);
            return rc;
        }
        return hw_pointer(err, prefix, 0, df_hw_validate(out, err));
    }
    if (!json_is_object(j))
        return df_err_set(err, DF_EINVAL, prefix, "hardware must be a preset name or an object, got %s",
                          j ? df_json_kind(j) : "nothing");
    if ((rc = check_keys(j, hw_keys, prefix, "hardware", err))) return rc;
    const char *preset = "edge";
    const json_t *v;
    if ((v = json_object_get(j, "preset"))) {
        ptr_key(ptr, sizeof ptr, prefix, "preset");
        if ((rc = get_string(v, ptr, "hardware preset", 31, &preset, err))) return rc;
    }
    df_hw base, h;
    if ((rc = df_hw_preset(preset, &base, err))) {
        ptr_key(ptr, sizeof ptr, prefix, "preset");
        if (err) snprintf(err->pointer, sizeof err->pointer, "%s", ptr);
        return rc;
    }
    h = base;
    int pes_given = 0;
    if ((rc = hw_fields(j, prefix, &h, err, &pes_given))) return rc;

    /* energies: the given ones as they are, the others recomputed for the final element size and buffer */
    df_energy def = df_hw_energy_default(&h);
    h.energy = def;
    if ((v = json_object_get(j, "energy_pj"))) {
        char eptr[sizeof err->pointer];
        ptr_key(eptr, sizeof eptr, prefix, "energy_pj");
        if (!json_is_object(v))
            return df_err_set(err, DF_EINVAL, eptr,
                              "hardware energy_pj must be an object {mac, rf, noc, buf, dram, static}, got %s",
                              df_json_kind(v));
        if ((rc = check_keys(v, energy_keys, eptr, "hardware energy_pj", err))) return rc;
        double *dst[] = {&h.energy.mac, &h.energy.rf, &h.energy.noc, &h.energy.buf, &h.energy.dram, &h.energy.stat};
        for (size_t k = 0; energy_keys[k]; k++) {
            const json_t *e = json_object_get(v, energy_keys[k]);
            if (!e) continue;
            char what[48];
            ptr_key(ptr, sizeof ptr, eptr, energy_keys[k]);
            snprintf(what, sizeof what, "hardware energy_pj.%s", energy_keys[k]);
            if ((rc = get_number(e, ptr, what, dst[k], err))) return rc;
        }
    }
    /* the name says what it is: the preset's own name when nothing differs from it, else "custom" */
    snprintf(h.name, sizeof h.name, "%s", same_hw(&h, &base) ? base.name : "custom");
    if ((rc = df_hw_validate(&h, err))) return hw_pointer(err, prefix, pes_given, rc);
    *out = h;
    return DF_OK;
}

json_t *df_hw_to_json(const df_hw *hw) {
    if (!hw) return NULL;
    json_t *o = json_object();
    if (!o) return NULL;
    int is_preset = 0;
    for (int32_t i = 0; i < df_hw_preset_count(); i++)
        if (strcmp(hw->name, df_hw_preset_name(i)) == 0) is_preset = 1;
    json_t *e = json_object();
    int bad = (is_preset ? put(o, "preset", json_string(hw->name)) : 0) | put(o, "pe_rows", json_integer(hw->pe_rows)) |
              put(o, "pe_cols", json_integer(hw->pe_cols)) |
              put(o, "dataflow", json_string(df_dataflow_name(hw->dataflow))) |
              put(o, "buffer", json_integer(hw->buffer_bytes)) | put(o, "dram_bw", jreal(hw->dram_bw)) |
              put(o, "noc_bw", jreal(hw->noc_bw)) | put(o, "noc_bw_w", jreal(hw->noc_bw_w)) |
              put(o, "noc_bw_in", jreal(hw->noc_bw_in)) | put(o, "noc_bw_out", jreal(hw->noc_bw_out)) |
              put(o, "noc_hops", jreal(hw->noc_hops)) | put(o, "clock_hz", jreal(hw->clock_hz)) |
              put(o, "elem_bytes", json_integer(hw->elem_bytes)) | put(o, "tech_nm", json_integer(hw->tech_nm)) |
              put(o, "rf_w", json_integer(hw->rf_w)) | put(o, "rf_in", json_integer(hw->rf_in)) |
              put(o, "rf_out", json_integer(hw->rf_out)) | put(o, "energy_pj", e);
    if (!bad)
        bad = put(e, "mac", jreal(hw->energy.mac)) | put(e, "rf", jreal(hw->energy.rf)) |
              put(e, "noc", jreal(hw->energy.noc)) | put(e, "buf", jreal(hw->energy.buf)) |
              put(e, "dram", jreal(hw->energy.dram)) | put(e, "static", jreal(hw->energy.stat));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- mapping ---------------------------------------------------------------------------------- */

static const char *const mapping_keys[] = {"groups", NULL};
/* A group object may also carry the read-only figures df_groups_to_json writes, so an answer's groups
 * can be sent back for evaluation; they are ignored. */
static const char *const group_keys[] = {"first",
                                         "last",
                                         "micro_batch",
                                         "tile",
                                         "overlap",
                                         "first_name",
                                         "last_name",
                                         "footprint_bytes",
                                         "weights_resident",
                                         "latency_cycles",
                                         "energy_pj",
                                         "dram_bytes",
                                         "tiles",
                                         "recompute",
                                         NULL};
static const char *const tile_keys[] = {"rows", "cols", NULL};

/* A group's optional depth-first fields (issue 14): "tile": {"rows", "cols"} (each optional, 0 or
 * absent = the whole extent of the last layer's output) and "overlap" (a df_overlap name, default
 * recompute). */
static int group_tile_from_json(const json_t *g, const char *base, size_t i, df_group *out, df_err *err) {
    char ptr[sizeof err->pointer], what[64];
    const json_t *t = json_object_get(g, "tile");
    if (t) {
        ptr_key(ptr, sizeof ptr, base, "tile");
        if (!json_is_object(t))
            return df_err_set(err, DF_EINVAL, ptr, "group %zu tile must be an object {rows, cols}, got %s", i,
                              df_json_kind(t));
        snprintf(what, sizeof what, "group %zu tile", i);
        int rc = check_keys(t, tile_keys, ptr, what, err);
        if (rc) return rc;
        for (int k = 0; k < 2; k++) {
            const char *key = k ? "cols" : "rows";
            const json_t *v = json_object_get(t, key);
            if (!v) continue;
            char p2[sizeof err->pointer];
            ptr_key(p2, sizeof p2, ptr, key);
            snprintf(what, sizeof what, "group %zu tile %s", i, key);
            int64_t x;
            if ((rc = get_int(v, p2, what, 0, 1 << 20, &x, err))) return rc;
            if (k)
                out->tile_cols = (int32_t)x;
            else
                out->tile_rows = (int32_t)x;
        }
    }
    const json_t *o = json_object_get(g, "overlap");
    if (o) {
        ptr_key(ptr, sizeof ptr, base, "overlap");
        df_overlap m;
        if (!json_is_string(o) || df_overlap_parse(json_string_value(o), &m) != DF_OK)
            return df_err_set(err, DF_EINVAL, ptr,
                              "group %zu overlap must be \"recompute\", \"cache_rows\" or "
                              "\"cache_all\", got %s",
                              i, json_is_string(o) ? json_string_value(o) : df_json_kind(o));
        out->overlap = (int32_t)m;
    }
    return DF_OK;
}

int df_mapping_from_json(const json_t *j, const char *prefix, int32_t n_layers, int32_t batch, df_mapping *out,
                         df_err *err) {
    df_err_clear(err);
    prefix = nz(prefix);
    memset(out, 0, sizeof *out);
    if (n_layers < 1 || batch < 1)
        return df_err_set(err, DF_EINVAL, prefix, "mapping needs a workload with layers and a batch >= 1 (got %d, %d)",
                          n_layers, batch);
    if (!json_is_object(j))
        return df_err_set(err, DF_EINVAL, prefix, "mapping must be an object with \"groups\", got %s",
                          j ? df_json_kind(j) : "nothing");
    int rc = check_keys(j, mapping_keys, prefix, "mapping", err);
    if (rc) return rc;
    char gptr[sizeof err->pointer], ptr[sizeof err->pointer];
    ptr_key(gptr, sizeof gptr, prefix, "groups");
    const json_t *gv = json_object_get(j, "groups");
    if (!gv) return df_err_set(err, DF_EINVAL, gptr, "mapping: missing required field groups");
    if (!json_is_array(gv))
        return df_err_set(err, DF_EINVAL, gptr, "mapping groups must be an array, got %s", df_json_kind(gv));
    size_t n = json_array_size(gv);
    if (n == 0)
        return df_err_set(err, DF_EINVAL, gptr, "mapping has no groups: they must cover layers 0..%d", n_layers - 1);
    if (n > (size_t)n_layers)
        return df_err_set(err, DF_EINVAL, gptr, "mapping has %zu groups but the workload has only %d layers", n,
                          n_layers);
    if (df_mapping_init(out, (int32_t)n)) return df_err_set(err, DF_ENOMEM, gptr, "out of memory reading the mapping");
    int32_t next = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get(gv, i);
        char base[sizeof err->pointer], what[48];
        ptr_index(base, sizeof base, prefix, "groups", i);
        snprintf(what, sizeof what, "group %zu", i);
        if (!json_is_object(g)) {
            rc = df_err_set(err, DF_EINVAL, base, "group %zu must be an object {first, last, micro_batch}, got %s", i,
                            df_json_kind(g));
            goto fail;
        }
        if ((rc = check_keys(g, group_keys, base, what, err))) goto fail;
        static const char *const req[] = {"first", "last", "micro_batch"};
        int64_t val[3];
        for (int k = 0; k < 3; k++) {
            const json_t *v = json_object_get(g, req[k]);
            ptr_key(ptr, sizeof ptr, base, req[k]);
            char w2[64];
            snprintf(w2, sizeof w2, "group %zu %s", i, req[k]);
            if (!v) {
                rc = df_err_set(err, DF_EINVAL, ptr, "group %zu: missing required field %s", i, req[k]);
                goto fail;
            }
            if ((rc = get_int(v, ptr, w2, INT32_MIN, INT32_MAX, &val[k], err))) goto fail;
        }
        int32_t first = (int32_t)val[0], last = (int32_t)val[1], m = (int32_t)val[2];
        if (first != next) {
            ptr_key(ptr, sizeof ptr, base, "first");
            rc = df_err_set(err, DF_EINVAL, ptr, "group %zu starts at layer %d but must start at layer %d (%s)", i,
                            first, next,
                            i == 0         ? "groups cover the layers from 0"
                            : first > next ? "a gap after the previous group"
                                           : "it overlaps the previous group");
            goto fail;
        }
        if (last < first || last >= n_layers) {
            ptr_key(ptr, sizeof ptr, base, "last");
            rc = df_err_set(err, DF_EINVAL, ptr, "group %zu last = %d out of range [%d, %d]", i, last, first,
                            n_layers - 1);
            goto fail;
        }
        if (m < 1 || m > batch) {
            ptr_key(ptr, sizeof ptr, base, "micro_batch");
            rc = df_err_set(err, DF_EINVAL, ptr, "group %zu micro_batch = %d out of range [1, %d] (the batch)", i, m,
                            batch);
            goto fail;
        }
        df_group gr = {.first = first, .last = last, .micro_batch = m};
        if ((rc = group_tile_from_json(g, base, i, &gr, err))) goto fail;
        if (df_mapping_push_group(out, &gr)) {
            rc = df_err_set(err, DF_ENOMEM, base, "out of memory reading the mapping");
            goto fail;
        }
        next = last + 1;
    }
    if (next != n_layers) {
        ptr_index(ptr, sizeof ptr, prefix, "groups", n - 1);
        strncat(ptr, "/last", sizeof ptr - strlen(ptr) - 1);
        rc = df_err_set(err, DF_EINVAL, ptr, "mapping covers layers 0..%d but the workload has layers 0..%d", next - 1,
                        n_layers - 1);
        goto fail;
    }
    return DF_OK;
fail:
    df_mapping_free(out);
    return rc;
}

/* A group as stored: the tile when one is given (rows x cols as given, 0 = whole), the overlap when
 * not the default; rows, cols (nullable) the effective tile the answer writes instead. */
static json_t *group_json(const df_group *g, const int32_t *rc) {
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = put(o, "first", json_integer(g->first)) | put(o, "last", json_integer(g->last)) |
              put(o, "micro_batch", json_integer(g->micro_batch));
    if (!bad && (rc || g->tile_rows || g->tile_cols)) {
        json_t *t = json_object();
        bad = !t || put(o, "tile", t) ||
              put(t, "rows", json_integer(rc ? rc[0] : g->tile_rows)) |
                  put(t, "cols", json_integer(rc ? rc[1] : g->tile_cols));
    }
    if (!bad && (rc || g->overlap)) bad = put(o, "overlap", json_string(df_overlap_name((df_overlap)g->overlap)));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *df_mapping_to_json(const df_mapping *m) {
    if (!m) return NULL;
    json_t *o = json_object(), *arr = json_array();
    if (!o || !arr) goto fail;
    for (int32_t i = 0; i < m->n_groups; i++)
        if (json_array_append_new(arr, group_json(&m->groups[i], NULL))) goto fail;
    if (put(o, "groups", arr)) {
        arr = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(arr);
    json_decref(o);
    return NULL;
}

/* ---- results ---------------------------------------------------------------------------------- */

json_t *df_metrics_to_json(const df_metrics *m) {
    if (!m) return NULL;
    json_t *o = json_object();
    if (!o) return NULL;
    if (put(o, "feasible", json_boolean(m->feasible)) | put(o, "latency_cycles", jreal(m->latency_cycles)) |
        put(o, "latency_s", jreal(m->latency_s)) | put(o, "throughput_sps", jreal(m->throughput_sps)) |
        put(o, "energy_pj", jreal(m->energy_pj)) | put(o, "dram_bytes", jreal(m->dram_bytes)) |
        put(o, "edp", jreal(m->edp)) | put(o, "peak_buffer_bytes", json_integer(m->peak_bytes)) |
        put(o, "macs", jreal(m->macs)) | put(o, "utilization", jreal(m->utilization))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int df_group_report_of(const df_net *net, const df_group *g, const df_group_cost *gc, df_group_report *out) {
    const df_workload *w = df_net_workload(net);
    if (g->first < 0 || g->last < g->first || g->last >= w->n_layers) return DF_EINVAL;
    if (gc)
        out->cost = *gc;
    else
        df_group_eval_tiled(net, g, &out->cost);
    const df_layer *last = &w->layers[g->last];
    out->rows = g->tile_rows > 0 && g->tile_rows < last->P ? g->tile_rows : last->P;
    out->cols = g->tile_cols > 0 && g->tile_cols < last->Q ? g->tile_cols : last->Q;
    out->tiles = (int64_t)out->cost.tiles_y * out->cost.tiles_x;
    out->recompute = out->cost.layer_macs > 0 ? out->cost.macs / out->cost.layer_macs : 1;
    return DF_OK;
}

json_t *df_groups_to_json(const df_net *net, const df_mapping *m, const df_group_cost *gc) {
    if (!net || !m) return NULL;
    const df_workload *w = df_net_workload(net);
    json_t *arr = json_array();
    if (!arr) return NULL;
    for (int32_t i = 0; i < m->n_groups; i++) {
        const df_group *g = &m->groups[i];
        df_group_report r;
        if (df_group_report_of(net, g, gc ? &gc[i] : NULL, &r)) goto fail;
        const df_group_cost *c = &r.cost;
        int32_t rc[2] = {r.rows, r.cols};
        json_t *o = group_json(g, rc);
        if (json_array_append_new(arr, o)) goto fail;
        if (put(o, "first_name", json_string(w->layers[g->first].name)) |
            put(o, "last_name", json_string(w->layers[g->last].name)) |
            put(o, "footprint_bytes", json_integer(c->footprint_bytes)) |
            put(o, "weights_resident", json_boolean(c->weights_resident)) |
            put(o, "latency_cycles", jreal(c->latency_cycles)) | put(o, "energy_pj", jreal(c->energy_pj)) |
            put(o, "dram_bytes", jreal(c->dram_bytes)) | put(o, "tiles", json_integer((json_int_t)r.tiles)) |
            put(o, "recompute", jreal(r.recompute)))
            goto fail;
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}
