/* workload.c - layer storage, shape derivation and validation of a DNN workload (DAG in
 * topological order). Shape rules per type are documented in include/dnnfuser/workload.h. */
#include "dnnfuser/workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM_MAX (1 << 24)           /* any single dimension */
#define ELEMS_MAX (1LL << 40)       /* any tensor (per sample) */

static const char *const type_names[DF_LAYER_TYPE_COUNT] = {
    "conv", "dwconv", "fc", "matmul", "pool", "add", "concat",
};

const char *df_layer_type_name(df_layer_type t) {
    return (t >= 0 && t < DF_LAYER_TYPE_COUNT) ? type_names[t] : "?";
}

int df_layer_type_parse(const char *s, df_layer_type *out) {
    for (int i = 0; i < DF_LAYER_TYPE_COUNT; i++)
        if (s && strcmp(s, type_names[i]) == 0) { *out = (df_layer_type)i; return DF_OK; }
    return DF_EINVAL;
}

int df_workload_init(df_workload *w, const char *name) {
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name ? name : "");
    return DF_OK;
}

void df_workload_free(df_workload *w) {
    if (!w) return;
    free(w->layers);
    w->layers = NULL;
    w->n_layers = w->cap = 0;
}

int df_workload_add(df_workload *w, const df_layer *l, df_err *err) {
    if (w->n_layers == w->cap) {
        int32_t cap = w->cap ? w->cap * 2 : 64;
        df_layer *nl = realloc(w->layers, (size_t)cap * sizeof *nl);
        if (!nl) return df_err_set(err, DF_ENOMEM, NULL, "out of memory adding layer %d", w->n_layers);
        w->layers = nl;
        w->cap = cap;
    }
    w->layers[w->n_layers++] = *l;
    return DF_OK;
}

int df_workload_copy(df_workload *dst, const df_workload *src, df_err *err) {
    df_workload_init(dst, src->name);
    if (src->n_layers == 0) return DF_OK;
    dst->layers = malloc((size_t)src->n_layers * sizeof *dst->layers);
    if (!dst->layers) return df_err_set(err, DF_ENOMEM, NULL, "out of memory copying workload");
    memcpy(dst->layers, src->layers, (size_t)src->n_layers * sizeof *dst->layers);
    dst->n_layers = dst->cap = src->n_layers;
    return DF_OK;
}

int64_t df_layer_macs(const df_layer *l) {
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV:
        return (int64_t)l->K * l->P * l->Q * (l->C / l->groups) * l->R * l->S;
    case DF_LAYER_FC: return (int64_t)l->K * l->C;
    case DF_LAYER_MATMUL: return (int64_t)l->K * l->Y * (l->C / l->groups);
    default: return 0;
    }
}

int64_t df_layer_weight_elems(const df_layer *l) {
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV: return (int64_t)l->K * (l->C / l->groups) * l->R * l->S;
    case DF_LAYER_FC: return (int64_t)l->K * l->C;
    case DF_LAYER_MATMUL: return l->n_inputs == 1 ? (int64_t)l->K * (l->C / l->groups) : 0;
    default: return 0;
    }
}

int64_t df_layer_out_elems(const df_layer *l) { return (int64_t)l->K * l->P * l->Q; }
int64_t df_layer_in_elems(const df_layer *l) { return (int64_t)l->C * l->Y * l->X; }

int64_t df_workload_macs(const df_workload *w) {
    int64_t s = 0;
    for (int32_t i = 0; i < w->n_layers; i++) s += df_layer_macs(&w->layers[i]);
    return s;
}

/* Error helper: names the layer (index and name) and sets pointer /layers/<i>/<field>. */
static int lerr(df_err *err, const df_workload *w, int32_t i, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int lerr(df_err *err, const df_workload *w, int32_t i, const char *field, const char *fmt, ...) {
    if (!err) return DF_EINVAL;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char ptr[64];
    snprintf(ptr, sizeof ptr, "/layers/%d%s%s", i, field ? "/" : "", field ? field : "");
    df_err_set(err, DF_EINVAL, ptr, "layer %d (%s): %s", i, w->layers[i].name[0] ? w->layers[i].name : "unnamed", what);
    err->layer = i;
    return DF_EINVAL;
}

static int check_dim(df_err *err, const df_workload *w, int32_t i, const char *field, int32_t v, int32_t min) {
    if (v < min || v > DIM_MAX)
        return lerr(err, w, i, field, "%s = %d out of range [%d, %d]", field, v, min, DIM_MAX);
    return DF_OK;
}

/* JSON field names of the inputs, for error pointers (a table: validation runs for every layer of every
 * request, and formatting them on the success path cost more than the checks themselves) */
static const char *const input_field[DF_MAX_INPUTS] = {"inputs/0", "inputs/1", "inputs/2", "inputs/3",
                                                       "inputs/4", "inputs/5", "inputs/6", "inputs/7"};
_Static_assert(DF_MAX_INPUTS == 8, "input_field lists DF_MAX_INPUTS names");

/* Output shape of a validated producer, or the network-input shape (netin) for p == -1. */
typedef struct { int64_t k, p, q; int known; } shape3;

static shape3 out_shape(const df_workload *w, int32_t p, const shape3 *netin) {
    if (p < 0) return *netin;
    const df_layer *l = &w->layers[p];
    return (shape3){l->K, l->P, l->Q, 1};
}

/* Checks operand `which` (0 or 1) of layer i against its producer; records the network-input shape. */
static int check_operand(df_err *err, const df_workload *w, int32_t i, int which, shape3 want, int flatten,
                         shape3 *netin) {
    int32_t p = w->layers[i].inputs[which];
    const char *f = input_field[which];
    if (p < 0 && !netin->known) { *netin = want; netin->known = 1; return DF_OK; }
    shape3 s = out_shape(w, p, netin);
    const char *src = p < 0 ? "the network input" : w->layers[p].name;
    if (flatten) {
        if (s.k * s.p * s.q != want.k * want.p * want.q)
            return lerr(err, w, i, f, "expects %lld input elements but %s produces %lld (%lldx%lldx%lld)",
                        (long long)(want.k * want.p * want.q), src, (long long)(s.k * s.p * s.q),
                        (long long)s.k, (long long)s.p, (long long)s.q);
        return DF_OK;
    }
    if (s.k != want.k || s.p != want.p || s.q != want.q)
        return lerr(err, w, i, f, "input shape %lldx%lldx%lld (CxYxX) does not match %s output %lldx%lldx%lld",
                    (long long)want.k, (long long)want.p, (long long)want.q, src, (long long)s.k,
                    (long long)s.p, (long long)s.q);
    return DF_OK;
}

static int validate_layer(df_workload *w, int32_t i, shape3 *netin, df_err *err) {
    df_layer *l = &w->layers[i];
    int rc;
    if (l->type < 0 || l->type >= DF_LAYER_TYPE_COUNT) return lerr(err, w, i, "type", "unknown layer type");
    if ((rc = check_dim(err, w, i, "K", l->K, 1)) || (rc = check_dim(err, w, i, "C", l->C, 1)) ||
        (rc = check_dim(err, w, i, "Y", l->Y, 1)) || (rc = check_dim(err, w, i, "X", l->X, 1)) ||
        (rc = check_dim(err, w, i, "R", l->R, 1)) || (rc = check_dim(err, w, i, "S", l->S, 1)) ||
        (rc = check_dim(err, w, i, "groups", l->groups, 1)))
        return rc;
    if (l->stride < 1 || l->stride > 1024) return lerr(err, w, i, "stride", "stride = %d out of range [1, 1024]", l->stride);
    if (l->pad < 0 || l->pad > 65536) return lerr(err, w, i, "pad", "pad = %d out of range [0, 65536]", l->pad);
    if (l->n_inputs < 1 || l->n_inputs > DF_MAX_INPUTS)
        return lerr(err, w, i, "inputs", "needs 1 to %d inputs, has %d", DF_MAX_INPUTS, l->n_inputs);
    for (int j = 0; j < l->n_inputs; j++) {
        int32_t p = l->inputs[j];
        const char *f = input_field[j];
        if (p < -1) return lerr(err, w, i, f, "input %d does not name a layer (use -1 for the network input)", p);
        if (p >= i)
            return lerr(err, w, i, f, "input %d is not an earlier layer (layers must be in topological order; "
                        "forward references and cycles are not allowed)", p);
    }
    int multi = l->type == DF_LAYER_ADD || l->type == DF_LAYER_CONCAT;
    if (multi && l->n_inputs < 2) return lerr(err, w, i, "inputs", "%s needs at least 2 inputs", df_layer_type_name(l->type));
    if (!multi && l->type != DF_LAYER_MATMUL && l->n_inputs != 1)
        return lerr(err, w, i, "inputs", "%s takes exactly 1 input, has %d", df_layer_type_name(l->type), l->n_inputs);
    if (l->type == DF_LAYER_MATMUL && l->n_inputs > 2)
        return lerr(err, w, i, "inputs", "matmul takes 1 or 2 inputs, has %d", l->n_inputs);
    int windowed = l->type == DF_LAYER_CONV || l->type == DF_LAYER_DWCONV || l->type == DF_LAYER_POOL;
    if (!windowed && (l->R != 1 || l->S != 1 || l->stride != 1 || l->pad != 0))
        return lerr(err, w, i, l->R != 1 ? "R" : l->S != 1 ? "S" : l->stride != 1 ? "stride" : "pad",
                    "%s takes no window: R, S, stride must be 1 and pad 0", df_layer_type_name(l->type));
    if (windowed) {
        if ((int64_t)l->R > (int64_t)l->Y + 2LL * l->pad)
            return lerr(err, w, i, "R", "kernel rows R = %d exceed padded input rows %lld", l->R, (long long)l->Y + 2LL * l->pad);
        if ((int64_t)l->S > (int64_t)l->X + 2LL * l->pad)
            return lerr(err, w, i, "S", "kernel cols S = %d exceed padded input cols %lld", l->S, (long long)l->X + 2LL * l->pad);
        if (l->pad >= l->R && l->pad >= l->S && l->pad > 0)
            return lerr(err, w, i, "pad", "pad = %d not smaller than the kernel (%dx%d)", l->pad, l->R, l->S);
    }
    switch (l->type) {
    case DF_LAYER_CONV:
        if (l->C % l->groups || l->K % l->groups)
            return lerr(err, w, i, "groups", "groups = %d must divide C = %d and K = %d", l->groups, l->C, l->K);
        break;
    case DF_LAYER_DWCONV:
        if (l->groups != l->C) return lerr(err, w, i, "groups", "dwconv needs groups == C (%d), has %d", l->C, l->groups);
        if (l->K % l->C) return lerr(err, w, i, "K", "dwconv needs K (%d) a multiple of C (%d)", l->K, l->C);
        break;
    case DF_LAYER_FC:
        if (l->Y != 1 || l->X != 1) return lerr(err, w, i, l->Y != 1 ? "Y" : "X", "fc takes a flattened input: Y and X must be 1");
        if (l->groups != 1) return lerr(err, w, i, "groups", "fc takes no groups");
        break;
    case DF_LAYER_MATMUL:
        if (l->X != 1) return lerr(err, w, i, "X", "matmul input is C x Y (rows): X must be 1");
        if (l->C % l->groups || l->K % l->groups)
            return lerr(err, w, i, "groups", "groups = %d must divide C = %d and K = %d", l->groups, l->C, l->K);
        break;
    case DF_LAYER_POOL:
    case DF_LAYER_ADD:
    case DF_LAYER_CONCAT:
        if (l->K != l->C) return lerr(err, w, i, "K", "%s keeps channels: K (%d) must equal C (%d)", df_layer_type_name(l->type), l->K, l->C);
        if (l->groups != 1) return lerr(err, w, i, "groups", "%s takes no groups", df_layer_type_name(l->type));
        break;
    default: break;
    }
    /* derived output shape */
    if (windowed) {
        l->P = (int32_t)(((int64_t)l->Y + 2LL * l->pad - l->R) / l->stride + 1);
        l->Q = (int32_t)(((int64_t)l->X + 2LL * l->pad - l->S) / l->stride + 1);
    } else if (l->type == DF_LAYER_FC) {
        l->P = l->Q = 1;
    } else if (l->type == DF_LAYER_MATMUL) {
        l->P = l->Y; l->Q = 1;
    } else {
        l->P = l->Y; l->Q = l->X;
    }
    /* Sizes in double first: with every dimension up to DIM_MAX the int64 products of df_layer_*()
     * could overflow (undefined behaviour) before any bound check. Same formulas as df_layer_*(). */
    double cg = (double)(l->C / l->groups);
    double in = (double)l->C * l->Y * l->X, out = (double)l->K * l->P * l->Q, wts = 0, macs = 0;
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV: wts = (double)l->K * cg * l->R * l->S; macs = out * cg * l->R * l->S; break;
    case DF_LAYER_FC: wts = macs = (double)l->K * l->C; break;
    case DF_LAYER_MATMUL: wts = l->n_inputs == 1 ? (double)l->K * cg : 0; macs = (double)l->K * l->Y * cg; break;
    default: break;
    }
    if (in > (double)ELEMS_MAX || out > (double)ELEMS_MAX || wts > (double)ELEMS_MAX || macs > 1e15)
        return lerr(err, w, i, "K", "tensor sizes overflow the supported range (input %.0f, output %.0f, weights %.0f "
                    "elements, %.0f MACs; at most %lld elements and 1e15 MACs)", in, out, wts, macs, (long long)ELEMS_MAX);
    /* agreement with producers */
    shape3 want = {l->C, l->Y, l->X, 1};
    switch (l->type) {
    case DF_LAYER_FC: return check_operand(err, w, i, 0, want, 1, netin);
    case DF_LAYER_MATMUL:
        if ((rc = check_operand(err, w, i, 0, want, 0, netin))) return rc;
        if (l->n_inputs == 2) {
            shape3 b = {(int64_t)l->K * (l->C / l->groups), 1, 1, 1};
            return check_operand(err, w, i, 1, b, 1, netin);
        }
        return DF_OK;
    case DF_LAYER_ADD:
        for (int j = 0; j < l->n_inputs; j++)
            if ((rc = check_operand(err, w, i, j, want, 0, netin))) return rc;
        return DF_OK;
    case DF_LAYER_CONCAT: {
        int64_t sum = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            int32_t p = l->inputs[j];
            char f[24];
            snprintf(f, sizeof f, "inputs/%d", j);
            if (p < 0) return lerr(err, w, i, f, "concat cannot take the network input directly");
            const df_layer *s = &w->layers[p];
            if (s->P != l->Y || s->Q != l->X)
                return lerr(err, w, i, f, "concat input %s is %dx%d, expected %dx%d (YxX)", s->name, s->P, s->Q, l->Y, l->X);
            sum += s->K;
        }
        if (sum != l->C) return lerr(err, w, i, "C", "C = %d but the concatenated inputs have %lld channels", l->C, (long long)sum);
        return DF_OK;
    }
    default: return check_operand(err, w, i, 0, want, 0, netin);
    }
}

int df_workload_validate(df_workload *w, int32_t max_layers, df_err *err) {
    df_err_clear(err);
    if (max_layers <= 0) max_layers = DF_DEFAULT_MAX_LAYERS;
    if (w->n_layers < 1) return df_err_set(err, DF_EINVAL, "/layers", "workload has no layers");
    if (w->n_layers > max_layers)
        return df_err_set(err, DF_ELIMIT, "/layers", "workload has %d layers, the limit is %d", w->n_layers, max_layers);
    shape3 netin = {0, 0, 0, 0};
    for (int32_t i = 0; i < w->n_layers; i++) {
        int rc = validate_layer(w, i, &netin, err);
        if (rc) return rc;
    }
    return DF_OK;
}
