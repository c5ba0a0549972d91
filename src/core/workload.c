/* workload.c - layer storage, shape derivation and validation of a DNN workload (DAG in
 * topological order). Shape rules per type are documented in include/dnnfuser/workload.h. */
#include "dnnfuser/workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM_MAX (1 << 24)     /* any single dimension */
#define ELEMS_MAX (1LL << 40) /* any tensor (per sample) */

static const char *const type_names[DF_LAYER_NTYPES] = {
    "conv",   "dwconv", "fc",     "matmul", "pool",    "add",     "concat",
    "layout", "resize", "deconv", "norm",   "softmax", "eltwise",
};

const char *df_layer_type_name(df_layer_type t) { return (t >= 0 && t < DF_LAYER_NTYPES) ? type_names[t] : "?"; }

int df_layer_type_parse(const char *s, df_layer_type *out) {
    int i = df_name_find(s, type_names, DF_LAYER_NTYPES);
    if (i < 0) return DF_EINVAL;
    *out = (df_layer_type)i;
    return DF_OK;
}

df_layer_type df_layer_type_feature(df_layer_type t) {
    switch (t) {
    case DF_LAYER_DECONV: return DF_LAYER_CONV;
    case DF_LAYER_ELTWISE: return DF_LAYER_ADD;
    case DF_LAYER_LAYOUT:
    case DF_LAYER_RESIZE:
    case DF_LAYER_NORM:
    case DF_LAYER_SOFTMAX: return DF_LAYER_POOL;
    default: return t;
    }
}

static const char *const op_names[DF_OP_COUNT] = {
    "",        "transpose", "reshape", "shuffle",   "slice",     "split",        "gather", "join",
    "nearest", "linear",    "cubic",   "layernorm", "groupnorm", "instancenorm", "relu",   "gelu",
    "sigmoid", "silu",      "tanh",    "hardswish", "mul",       "add",          "sub",    "div",
};

/* The ops each type takes: [first, last] (first is the default). */
static int op_range(df_layer_type t, df_layer_op *first, df_layer_op *last) {
    switch (t) {
    case DF_LAYER_LAYOUT:
        *first = DF_OP_TRANSPOSE;
        *last = DF_OP_JOIN;
        return 1;
    case DF_LAYER_RESIZE:
        *first = DF_OP_NEAREST;
        *last = DF_OP_CUBIC;
        return 1;
    case DF_LAYER_NORM:
        *first = DF_OP_LAYERNORM;
        *last = DF_OP_INSTANCENORM;
        return 1;
    case DF_LAYER_ELTWISE:
        *first = DF_OP_RELU;
        *last = DF_OP_DIV;
        return 1;
    default: *first = *last = DF_OP_DEFAULT; return 0;
    }
}

df_layer_op df_layer_op_of(const df_layer *l) {
    df_layer_op a, b;
    if (!op_range(l->type, &a, &b)) return DF_OP_DEFAULT;
    return l->op == DF_OP_DEFAULT ? a : (df_layer_op)l->op;
}

const char *df_layer_op_name(df_layer_op op) { return (op >= 0 && op < DF_OP_COUNT) ? op_names[op] : "?"; }

int df_layer_op_parse(df_layer_type t, const char *s, df_layer_op *out) {
    df_layer_op a, b;
    if (!s || !op_range(t, &a, &b)) return DF_EINVAL;
    int i = df_name_find(s, op_names + a, (int)b - (int)a + 1);
    if (i < 0) return DF_EINVAL;
    *out = (df_layer_op)(a + i);
    return DF_OK;
}

const char *df_layer_type_ops(df_layer_type t) {
    switch (t) {
    case DF_LAYER_LAYOUT: return "transpose, reshape, shuffle, slice, split, gather, join";
    case DF_LAYER_RESIZE: return "nearest, linear, cubic";
    case DF_LAYER_NORM: return "layernorm, groupnorm, instancenorm";
    case DF_LAYER_ELTWISE: return "relu, gelu, sigmoid, silu, tanh, hardswish, mul, add, sub, div";
    default: return "";
    }
}

void df_layer_pads(const df_layer *l, int32_t pads[4]) {
    if (l->pad_t | l->pad_b | l->pad_l | l->pad_r) {
        pads[0] = l->pad_t;
        pads[1] = l->pad_b;
        pads[2] = l->pad_l;
        pads[3] = l->pad_r;
    } else {
        pads[0] = pads[1] = pads[2] = pads[3] = l->pad;
    }
}

int32_t df_layer_stride_x(const df_layer *l) { return l->stride_x > 0 ? l->stride_x : l->stride; }

int df_layer_pads_symmetric(const df_layer *l) {
    int32_t p[4];
    df_layer_pads(l, p);
    return p[0] == p[1] && p[1] == p[2] && p[2] == p[3];
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
    case DF_LAYER_DWCONV: return (int64_t)l->K * l->P * l->Q * (l->C / l->groups) * l->R * l->S;
    case DF_LAYER_FC: return (int64_t)l->K * l->C;
    case DF_LAYER_MATMUL: return (int64_t)l->K * l->Y * (l->C / l->groups);
    case DF_LAYER_DECONV: return (int64_t)l->C * l->Y * l->X * (l->K / l->groups) * l->R * l->S;
    default: return 0;
    }
}

int64_t df_layer_weight_elems(const df_layer *l) {
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV: return (int64_t)l->K * (l->C / l->groups) * l->R * l->S;
    case DF_LAYER_FC: return (int64_t)l->K * l->C;
    case DF_LAYER_MATMUL: return l->n_inputs == 1 ? (int64_t)l->K * (l->C / l->groups) : 0;
    case DF_LAYER_DECONV: return (int64_t)l->C * (l->K / l->groups) * l->R * l->S;
    case DF_LAYER_NORM: return 2LL * l->C;
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
    if (v < min || v > DIM_MAX) return lerr(err, w, i, field, "%s = %d out of range [%d, %d]", field, v, min, DIM_MAX);
    return DF_OK;
}

/* JSON field name of input j, for error pointers (formatted on the error path only: validation runs for
 * every layer of every request). */
static const char *input_field(int j, char buf[24]) {
    snprintf(buf, 24, "inputs/%d", j);
    return buf;
}

/* Output shape of a validated producer, or the network-input shape (netin) for p == -1. */
typedef struct {
    int64_t k, p, q;
    int known;
} shape3;

static shape3 out_shape(const df_workload *w, int32_t p, const shape3 *netin) {
    if (p < 0) return *netin;
    const df_layer *l = &w->layers[p];
    return (shape3){l->K, l->P, l->Q, 1};
}

/* Checks operand `which` (0 or 1) of layer i against its producer; records the network-input shape. */
static int check_operand(df_err *err, const df_workload *w, int32_t i, int which, shape3 want, int flatten,
                         shape3 *netin) {
    int32_t p = w->layers[i].inputs[which];
    char f[24];
    if (p < 0 && !netin->known) {
        *netin = want;
        netin->known = 1;
        return DF_OK;
    }
    shape3 s = out_shape(w, p, netin);
    const char *src = p < 0 ? "the network input" : w->layers[p].name;
    if (flatten) {
        if (s.k * s.p * s.q != want.k * want.p * want.q)
            return lerr(err, w, i, input_field(which, f),
                        "expects %lld input elements but %s produces %lld (%lldx%lldx%lld)",
                        (long long)(want.k * want.p * want.q), src, (long long)(s.k * s.p * s.q), (long long)s.k,
                        (long long)s.p, (long long)s.q);
        return DF_OK;
    }
    if (s.k != want.k || s.p != want.p || s.q != want.q)
        return lerr(err, w, i, input_field(which, f),
                    "input shape %lldx%lldx%lld (CxYxX) does not match %s output %lldx%lldx%lld", (long long)want.k,
                    (long long)want.p, (long long)want.q, src, (long long)s.k, (long long)s.p, (long long)s.q);
    return DF_OK;
}

/* Window checks and the derived output size of a windowed layer (conv, dwconv, pool, deconv). */
static int check_window(df_workload *w, int32_t i, df_err *err) {
    df_layer *l = &w->layers[i];
    int32_t sx = df_layer_stride_x(l), p[4];
    if (l->stride_x < 0 || l->stride_x > 1024)
        return lerr(err, w, i, "stride_x", "stride_x = %d out of range [0 (= stride), 1024]", l->stride_x);
    static const char *const side[4] = {"pad_top", "pad_bottom", "pad_left", "pad_right"};
    const int32_t given[4] = {l->pad_t, l->pad_b, l->pad_l, l->pad_r};
    int any = 0;
    for (int k = 0; k < 4; k++) {
        if (given[k] < 0 || given[k] > 65536)
            return lerr(err, w, i, side[k], "%s = %d out of range [0, 65536]", side[k], given[k]);
        any |= given[k] != 0;
    }
    if (any && l->pad != 0)
        return lerr(err, w, i, "pad", "give pad (every side) or pad_top/pad_bottom/pad_left/pad_right, not both");
    df_layer_pads(l, p);
    int64_t ty = (int64_t)p[0] + p[1], tx = (int64_t)p[2] + p[3];
    if (l->type == DF_LAYER_DECONV) {
        /* ONNX ConvTranspose: out = stride*(in-1) + kernel - pads (+ output_padding < stride) */
        int64_t P = (int64_t)(l->Y - 1) * l->stride + l->R - ty, Q = (int64_t)(l->X - 1) * sx + l->S - tx;
        if (p[0] >= l->R || p[1] >= l->R || p[2] >= l->S || p[3] >= l->S)
            return lerr(err, w, i, "pad", "deconv pads (%d, %d, %d, %d) must be smaller than the kernel %dx%d", p[0],
                        p[1], p[2], p[3], l->R, l->S);
        if (l->out_y && (l->out_y < P || l->out_y >= P + l->stride))
            return lerr(err, w, i, "P", "deconv output rows %d not in [%lld, %lld] (output_padding below the stride)",
                        l->out_y, (long long)P, (long long)P + l->stride - 1);
        if (l->out_x && (l->out_x < Q || l->out_x >= Q + sx))
            return lerr(err, w, i, "Q", "deconv output cols %d not in [%lld, %lld] (output_padding below the stride)",
                        l->out_x, (long long)Q, (long long)Q + sx - 1);
        if (P < 1 || Q < 1 || P > DIM_MAX || Q > DIM_MAX)
            return lerr(err, w, i, "K", "deconv output %lldx%lld out of range", (long long)P, (long long)Q);
        l->P = l->out_y ? l->out_y : (int32_t)P;
        l->Q = l->out_x ? l->out_x : (int32_t)Q;
        return DF_OK;
    }
    if ((int64_t)l->R > (int64_t)l->Y + ty)
        return lerr(err, w, i, "R", "kernel rows R = %d exceed padded input rows %lld", l->R, (long long)l->Y + ty);
    if ((int64_t)l->S > (int64_t)l->X + tx)
        return lerr(err, w, i, "S", "kernel cols S = %d exceed padded input cols %lld", l->S, (long long)l->X + tx);
    if (!any) {
        if (l->pad >= l->R && l->pad >= l->S && l->pad > 0)
            return lerr(err, w, i, "pad", "pad = %d not smaller than the kernel (%dx%d)", l->pad, l->R, l->S);
    } else {
        for (int k = 0; k < 4; k++)
            if (p[k] > 0 && p[k] >= (k < 2 ? l->R : l->S))
                return lerr(err, w, i, side[k], "%s = %d not smaller than the kernel %s (%d)", side[k], p[k],
                            k < 2 ? "rows" : "cols", k < 2 ? l->R : l->S);
    }
    l->P = (int32_t)(((int64_t)l->Y + ty - l->R) / l->stride + 1);
    l->Q = (int32_t)(((int64_t)l->X + tx - l->S) / sx + 1);
    return DF_OK;
}

/* 1 when producer p's output is a C x Y x X image whose shape a consumer must match exactly (conv,
 * dwconv, pool, add, concat, deconv, resize, or the network input); 0 for fc, matmul and the vector
 * types, whose C x Y x X is a view of rows (read by element count). */
static int spatial_producer(const df_workload *w, int32_t p) {
    if (p < 0) return 1;
    df_layer_type t = w->layers[p].type;
    return !(t == DF_LAYER_FC || t == DF_LAYER_MATMUL || t == DF_LAYER_LAYOUT || t == DF_LAYER_NORM ||
             t == DF_LAYER_SOFTMAX || t == DF_LAYER_ELTWISE);
}

static int validate_layer(df_workload *w, int32_t i, shape3 *netin, df_err *err) {
    df_layer *l = &w->layers[i];
    int rc;
    if (l->type < 0 || l->type >= DF_LAYER_NTYPES) return lerr(err, w, i, "type", "unknown layer type");
    if ((rc = check_dim(err, w, i, "K", l->K, 1)) || (rc = check_dim(err, w, i, "C", l->C, 1)) ||
        (rc = check_dim(err, w, i, "Y", l->Y, 1)) || (rc = check_dim(err, w, i, "X", l->X, 1)) ||
        (rc = check_dim(err, w, i, "R", l->R, 1)) || (rc = check_dim(err, w, i, "S", l->S, 1)) ||
        (rc = check_dim(err, w, i, "groups", l->groups, 1)))
        return rc;
    if (l->stride < 1 || l->stride > 1024)
        return lerr(err, w, i, "stride", "stride = %d out of range [1, 1024]", l->stride);
    if (l->pad < 0 || l->pad > 65536) return lerr(err, w, i, "pad", "pad = %d out of range [0, 65536]", l->pad);
    if (l->n_inputs < 1 || l->n_inputs > DF_MAX_INPUTS)
        return lerr(err, w, i, "inputs", "needs 1 to %d inputs, has %d", DF_MAX_INPUTS, l->n_inputs);
    for (int j = 0; j < l->n_inputs; j++) {
        int32_t p = l->inputs[j];
        char f[24];
        if (p < -1)
            return lerr(err, w, i, input_field(j, f), "input %d does not name a layer (use -1 for the network input)",
                        p);
        if (p >= i)
            return lerr(err, w, i, input_field(j, f),
                        "input %d is not an earlier layer (layers must be in topological order; "
                        "forward references and cycles are not allowed)",
                        p);
    }
    df_layer_op lo, hi;
    if (op_range(l->type, &lo, &hi)) {
        if (l->op != DF_OP_DEFAULT && (l->op < (int)lo || l->op > (int)hi))
            return lerr(err, w, i, "op", "op %d is not one of %s's (%s)", l->op, df_layer_type_name(l->type),
                        df_layer_type_ops(l->type));
    } else if (l->op != DF_OP_DEFAULT) {
        return lerr(err, w, i, "op", "%s takes no op", df_layer_type_name(l->type));
    }
    int multi = l->type == DF_LAYER_ADD || l->type == DF_LAYER_CONCAT;
    if (multi && l->n_inputs < 2)
        return lerr(err, w, i, "inputs", "%s needs at least 2 inputs", df_layer_type_name(l->type));
    int join = l->type == DF_LAYER_LAYOUT && df_layer_op_of(l) == DF_OP_JOIN;
    if (!multi && !join && l->type != DF_LAYER_MATMUL && l->type != DF_LAYER_ELTWISE && l->n_inputs != 1)
        return lerr(err, w, i, "inputs", "%s takes exactly 1 input, has %d", df_layer_type_name(l->type), l->n_inputs);
    if (l->type == DF_LAYER_MATMUL && l->n_inputs > 2)
        return lerr(err, w, i, "inputs", "matmul takes 1 or 2 inputs, has %d", l->n_inputs);
    int windowed = l->type == DF_LAYER_CONV || l->type == DF_LAYER_DWCONV || l->type == DF_LAYER_POOL ||
                   l->type == DF_LAYER_DECONV;
    if (!windowed && (l->R != 1 || l->S != 1 || l->stride != 1 || l->pad != 0 || l->stride_x > 1 ||
                      (l->pad_t | l->pad_b | l->pad_l | l->pad_r)))
        return lerr(err, w, i,
                    l->R != 1         ? "R"
                    : l->S != 1       ? "S"
                    : l->stride != 1  ? "stride"
                    : l->stride_x > 1 ? "stride_x"
                                      : "pad",
                    "%s takes no window: R, S, stride must be 1 and pad 0", df_layer_type_name(l->type));
    int sized = l->type == DF_LAYER_LAYOUT || l->type == DF_LAYER_RESIZE || l->type == DF_LAYER_DECONV;
    if (!sized && (l->out_y || l->out_x))
        return lerr(err, w, i, l->out_y ? "P" : "Q", "%s derives its output size: P and Q are not given",
                    df_layer_type_name(l->type));
    if (l->out_y < 0 || l->out_y > DIM_MAX || l->out_x < 0 || l->out_x > DIM_MAX)
        return lerr(err, w, i, l->out_y < 0 || l->out_y > DIM_MAX ? "P" : "Q", "output size %dx%d out of range [1, %d]",
                    l->out_y, l->out_x, DIM_MAX);
    if (windowed && (rc = check_window(w, i, err))) return rc;
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DECONV:
        if (l->C % l->groups || l->K % l->groups)
            return lerr(err, w, i, "groups", "groups = %d must divide C = %d and K = %d", l->groups, l->C, l->K);
        break;
    case DF_LAYER_DWCONV:
        if (l->groups != l->C)
            return lerr(err, w, i, "groups", "dwconv needs groups == C (%d), has %d", l->C, l->groups);
        if (l->K % l->C) return lerr(err, w, i, "K", "dwconv needs K (%d) a multiple of C (%d)", l->K, l->C);
        break;
    case DF_LAYER_FC:
        if (l->Y != 1 || l->X != 1)
            return lerr(err, w, i, l->Y != 1 ? "Y" : "X", "fc takes a flattened input: Y and X must be 1");
        if (l->groups != 1) return lerr(err, w, i, "groups", "fc takes no groups");
        break;
    case DF_LAYER_MATMUL:
        if (l->X != 1) return lerr(err, w, i, "X", "matmul input is C x Y (rows): X must be 1");
        if (l->C % l->groups || l->K % l->groups)
            return lerr(err, w, i, "groups", "groups = %d must divide C = %d and K = %d", l->groups, l->C, l->K);
        break;
    case DF_LAYER_LAYOUT: {
        if (l->groups != 1) return lerr(err, w, i, "groups", "layout takes no groups");
        int64_t in = (int64_t)l->C * l->Y * l->X;
        int64_t out = (int64_t)l->K * (l->out_y ? l->out_y : l->Y) * (l->out_x ? l->out_x : l->X);
        df_layer_op op = df_layer_op_of(l);
        int keeps = op == DF_OP_TRANSPOSE || op == DF_OP_RESHAPE || op == DF_OP_SHUFFLE;
        if (op == DF_OP_JOIN ? out < in : keeps ? out != in : out > in)
            return lerr(err, w, i, "K", "layout %s: output %lld elements, input %lld (%s)", df_layer_op_name(op),
                        (long long)out, (long long)in,
                        op == DF_OP_JOIN ? "a join cannot be smaller"
                        : keeps          ? "must be equal"
                                         : "a part cannot be larger");
        break;
    }
    case DF_LAYER_RESIZE:
        if (!l->out_y || !l->out_x)
            return lerr(err, w, i, l->out_y ? "Q" : "P", "resize needs the output size P and Q");
        /* fall through */
    case DF_LAYER_POOL:
    case DF_LAYER_ADD:
    case DF_LAYER_CONCAT:
    case DF_LAYER_NORM:
    case DF_LAYER_SOFTMAX:
    case DF_LAYER_ELTWISE:
        if (l->K != l->C)
            return lerr(err, w, i, "K", "%s keeps channels: K (%d) must equal C (%d)", df_layer_type_name(l->type),
                        l->K, l->C);
        if (l->groups != 1 &&
            !(l->type == DF_LAYER_NORM && df_layer_op_of(l) == DF_OP_GROUPNORM && l->C % l->groups == 0))
            return lerr(err, w, i, "groups", "%s takes no groups", df_layer_type_name(l->type));
        break;
    default: break;
    }
    /* derived output shape (windowed layers: check_window) */
    if (l->type == DF_LAYER_FC) {
        l->P = l->Q = 1;
    } else if (l->type == DF_LAYER_MATMUL) {
        l->P = l->Y;
        l->Q = 1;
    } else if (l->type == DF_LAYER_LAYOUT || l->type == DF_LAYER_RESIZE) {
        l->P = l->out_y ? l->out_y : l->Y;
        l->Q = l->out_x ? l->out_x : l->X;
    } else if (!windowed) {
        l->P = l->Y;
        l->Q = l->X;
    }
    /* Sizes in double first: with every dimension up to DIM_MAX the int64 products of df_layer_*()
     * could overflow (undefined behaviour) before any bound check. Same formulas as df_layer_*(). */
    double cg = (double)(l->C / l->groups);
    double in = (double)l->C * l->Y * l->X, out = (double)l->K * l->P * l->Q, wts = 0, macs = 0;
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV:
        wts = (double)l->K * cg * l->R * l->S;
        macs = out * cg * l->R * l->S;
        break;
    case DF_LAYER_FC: wts = macs = (double)l->K * l->C; break;
    case DF_LAYER_MATMUL:
        wts = l->n_inputs == 1 ? (double)l->K * cg : 0;
        macs = (double)l->K * l->Y * cg;
        break;
    case DF_LAYER_DECONV:
        wts = (double)l->C * (l->K / l->groups) * l->R * l->S;
        macs = in * (l->K / l->groups) * l->R * l->S;
        break;
    default: break;
    }
    if (in > (double)ELEMS_MAX || out > (double)ELEMS_MAX || wts > (double)ELEMS_MAX || macs > 1e15)
        return lerr(err, w, i, "K",
                    "tensor sizes overflow the supported range (input %.0f, output %.0f, weights %.0f "
                    "elements, %.0f MACs; at most %lld elements and 1e15 MACs)",
                    in, out, wts, macs, (long long)ELEMS_MAX);
    /* agreement with producers */
    shape3 want = {l->C, l->Y, l->X, 1};
    switch (l->type) {
    case DF_LAYER_FC: return check_operand(err, w, i, 0, want, 1, netin);
    case DF_LAYER_MATMUL:
        if ((rc = check_operand(err, w, i, 0, want, 1, netin))) return rc; /* rows: any view of the elements */
        if (l->n_inputs == 2) {
            shape3 b = {(int64_t)l->K * (l->C / l->groups), 1, 1, 1};
            return check_operand(err, w, i, 1, b, 1, netin);
        }
        return DF_OK;
    case DF_LAYER_ADD:
        for (int j = 0; j < l->n_inputs; j++)
            if ((rc = check_operand(err, w, i, j, want, !spatial_producer(w, l->inputs[j]), netin))) return rc;
        return DF_OK;
    case DF_LAYER_NORM:
    case DF_LAYER_SOFTMAX: return check_operand(err, w, i, 0, want, 1, netin);
    case DF_LAYER_ELTWISE:
        if ((rc = check_operand(err, w, i, 0, want, 1, netin))) return rc;
        for (int j = 1; j < l->n_inputs; j++) {
            /* the same shape, or one value per channel broadcast over the plane */
            shape3 s = out_shape(w, l->inputs[j], netin), chan = {l->C, 1, 1, 1};
            int bcast = l->inputs[j] >= 0 && s.k == l->C && s.p == 1 && s.q == 1;
            if ((rc = check_operand(err, w, i, j, bcast ? chan : want, 0, netin))) return rc;
        }
        return DF_OK;
    case DF_LAYER_CONCAT: {
        int64_t sum = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            int32_t p = l->inputs[j];
            char f[24];
            if (p < 0) return lerr(err, w, i, input_field(j, f), "concat cannot take the network input directly");
            const df_layer *s = &w->layers[p];
            if (s->P != l->Y || s->Q != l->X)
                return lerr(err, w, i, input_field(j, f), "concat input %s is %dx%d, expected %dx%d (YxX)", s->name,
                            s->P, s->Q, l->Y, l->X);
            sum += s->K;
        }
        if (sum != l->C)
            return lerr(err, w, i, "C", "C = %d but the concatenated inputs have %lld channels", l->C, (long long)sum);
        return DF_OK;
    }
    case DF_LAYER_LAYOUT: {
        if (!join) return check_operand(err, w, i, 0, want, 1, netin); /* a reshape reads any layout */
        int64_t sum = 0;
        for (int j = 0; j < l->n_inputs; j++) {
            shape3 s = out_shape(w, l->inputs[j], netin);
            char f[24];
            if (!s.known)
                return lerr(err, w, i, input_field(j, f), "a join cannot be the first reader of the network input");
            sum += s.k * s.p * s.q;
        }
        if (sum != (int64_t)l->C * l->Y * l->X)
            return lerr(err, w, i, "C", "join input C x Y x X = %lld elements but its inputs hold %lld",
                        (long long)l->C * l->Y * l->X, (long long)sum);
        return DF_OK;
    }
    default: return check_operand(err, w, i, 0, want, !spatial_producer(w, l->inputs[0]), netin);
    }
}

int df_workload_validate(df_workload *w, int32_t max_layers, df_err *err) {
    df_err_clear(err);
    if (max_layers <= 0) max_layers = DF_DEFAULT_MAX_LAYERS;
    if (w->n_layers < 1) return df_err_set(err, DF_EINVAL, "/layers", "workload has no layers");
    if (w->n_layers > max_layers)
        return df_err_set(err, DF_ELIMIT, "/layers", "workload has %d layers, the limit is %d", w->n_layers,
                          max_layers);
    shape3 netin = {0, 0, 0, 0};
    for (int32_t i = 0; i < w->n_layers; i++) {
        int rc = validate_layer(w, i, &netin, err);
        if (rc) return rc;
    }
    return DF_OK;
}
