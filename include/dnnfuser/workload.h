/* workload.h - the DNN as the cost model sees it: layers in topological order with DAG edges.
 *
 * Shape conventions per layer type (per sample; batch N lives in the request, not here). Windows have
 * R x S kernels, a row stride `stride` and a column stride sx = stride_x (0: = stride), and zero
 * padding pt, pb, pl, pr (pad_t/pad_b/pad_l/pad_r; all four 0: `pad` on every side):
 *   conv    input C x Y x X, output K x P x Q, P = (Y + pt + pb - R)/stride + 1, Q = (X + pl + pr - S)/sx + 1,
 *           weights K x (C/groups) x R x S, MACs K*P*Q*(C/groups)*R*S.
 *   dwconv  a conv with groups == C (K a multiple of C); kept as its own type for readability.
 *   fc      input C (a producer's whole output, flattened), output K, Y = X = R = S = 1, weights K x C.
 *   matmul  input C x Y (Y rows/tokens, X = 1), output K x Y (P = Y, Q = 1), `groups` independent
 *           products (attention heads). One input: weights K x (C/groups). Two inputs: the second input
 *           is the other activation operand (no weights) and must hold K*C/groups elements.
 *   pool    input C x Y x X, window R x S, output K = C channels x P x Q; no MACs, no weights.
 *   add     >= 2 inputs of identical shape C x Y x X; output K = C, P = Y, Q = X (an operand produced by
 *           fc, matmul or one of the types below, which have no spatial layout, by element count).
 *   concat  >= 2 inputs with equal Y x X; C = sum of input channels; output K = C, P = Y, Q = X.
 * The types below move or transform data with few or no MACs; each is costed as vector work and data
 * movement (src/core/cost_ops.c, docs/COST_MODEL.md "Data-movement and vector layers"). `op` names
 * the operation within the type (df_layer_op; DF_OP_DEFAULT = the type's first):
 *   layout  transpose | reshape | shuffle | slice | split | gather | join: input C x Y x X, output
 *           K x P x Q with P = out_y, Q = out_x (0: Y, X). transpose, reshape and shuffle (channel
 *           shuffle) keep the element count (K*P*Q == C*Y*X); slice, split and gather take a part
 *           (K*P*Q <= C*Y*X); join concatenates >= 1 inputs along any axis, C*Y*X being all their
 *           elements, plus constant rows (a class token) when K*P*Q > C*Y*X. Every other type takes
 *           one input. The input C x Y x X of layout, matmul, norm, softmax and eltwise (operand 0) need
 *           only hold the producer's element count: a reshape between layers is free; so does any
 *           layer's reading fc, matmul, layout, norm, softmax or eltwise, whose output is rows or a
 *           reordering with no image shape of its own.
 *   resize  nearest | linear | cubic: 1 input C x Y x X, output K = C x out_y x out_x (both required).
 *   deconv  transposed convolution (ONNX ConvTranspose): input C x Y x X, kernel R x S, strides,
 *           pads cropped from the output; P = (Y-1)*stride + R - pt - pb (out_y, when given, in
 *           [P, P + stride - 1]: output_padding), Q likewise; weights C x (K/groups) x R x S;
 *           MACs C*Y*X*(K/groups)*R*S (every input pixel scatters one kernel).
 *   norm    layernorm | groupnorm | instancenorm: 1 input, output K = C x Y x X, normalised over the
 *           channels of each position (layernorm) or per group; weights 2*C (scale, shift).
 *   softmax 1 input, output K = C x Y x X, normalised over the channels of each row (attention scores:
 *           C = heads x keys, Y = query rows); no weights.
 *   eltwise relu | gelu | sigmoid | silu | tanh | hardswish | mul | add | sub | div: >= 1 inputs;
 *           input 0 C x Y x X, output K = C x Y x X; further inputs of the same shape or C x 1 x 1
 *           (a per-channel operand broadcast over the plane, squeeze-excite gating).
 * inputs[] holds producer layer indices (< own index); -1 is the network input. Output sizes (P, Q)
 * are derived by df_workload_validate, never trusted from input. */
#ifndef DNNFUSER_WORKLOAD_H
#define DNNFUSER_WORKLOAD_H

#include "dnnfuser/common.h"

/* Inputs of one layer (Concat, Add, eltwise): torchvision's densenet201 concatenates 49 tensors. */
#define DF_MAX_INPUTS 64
#define DF_NAME_MAX 48
#define DF_DEFAULT_MAX_LAYERS 4096

typedef enum {
    DF_LAYER_CONV = 0,
    DF_LAYER_DWCONV,
    DF_LAYER_FC,
    DF_LAYER_MATMUL,
    DF_LAYER_POOL,
    DF_LAYER_ADD,
    DF_LAYER_CONCAT,
    /* The seven classic types: DF_LAYER_TYPE_COUNT is the width of the shipped transformer's layer
     * one-hot (src/model/features.c, weights/), so it stays 7; the types after it have no one-hot slot
     * yet (df_layer_type_feature maps each to its nearest classic type). */
    DF_LAYER_TYPE_COUNT,
    DF_LAYER_LAYOUT = DF_LAYER_TYPE_COUNT,
    DF_LAYER_RESIZE,
    DF_LAYER_DECONV,
    DF_LAYER_NORM,
    DF_LAYER_SOFTMAX,
    DF_LAYER_ELTWISE,
    DF_LAYER_NTYPES /* every type */
} df_layer_type;

/* The operation within a type (layout, resize, norm, eltwise); DF_OP_DEFAULT picks the type's first. */
typedef enum {
    DF_OP_DEFAULT = 0,
    DF_OP_TRANSPOSE,
    DF_OP_RESHAPE,
    DF_OP_SHUFFLE,
    DF_OP_SLICE,
    DF_OP_SPLIT,
    DF_OP_GATHER, /* layout */
    DF_OP_JOIN,
    DF_OP_NEAREST,
    DF_OP_LINEAR,
    DF_OP_CUBIC, /* resize */
    DF_OP_LAYERNORM,
    DF_OP_GROUPNORM,
    DF_OP_INSTANCENORM, /* norm */
    DF_OP_RELU,
    DF_OP_GELU,
    DF_OP_SIGMOID,
    DF_OP_SILU,
    DF_OP_TANH,
    DF_OP_HARDSWISH, /* eltwise */
    DF_OP_MUL,
    DF_OP_ADD,
    DF_OP_SUB,
    DF_OP_DIV,
    DF_OP_COUNT
} df_layer_op;

typedef struct {
    char name[DF_NAME_MAX];
    df_layer_type type;
    int32_t K, C, Y, X, R, S; /* out channels, in channels, in rows, in cols, kernel rows, cols */
    int32_t stride, pad, groups;
    int32_t n_inputs;
    int32_t inputs[DF_MAX_INPUTS];      /* producer indices; -1 = network input */
    int32_t P, Q;                       /* derived: output rows, cols */
    int32_t stride_x;                   /* column stride; 0 = stride (square) */
    int32_t pad_t, pad_b, pad_l, pad_r; /* per-side zero padding; all 0 = `pad` on every side */
    int32_t out_y, out_x;               /* layout, resize, deconv: requested output rows, cols (0 = default) */
    int32_t op;                         /* df_layer_op; DF_OP_DEFAULT for the classic types */
    double density;                     /* optional: fraction of non-zero input activations, (0, 1]; 0 = unset
                                    * (dense). Used by the cost model for zero gating and run-length
                                    * coded DRAM traffic (docs/COST_MODEL.md). */
} df_layer;

typedef struct {
    char name[64];
    int32_t n_layers;
    int32_t cap;
    df_layer *layers; /* [n_layers], topological order */
} df_workload;

/* Lifecycle. init makes an empty workload; free releases the layer array (w itself is caller-owned). */
int df_workload_init(df_workload *w, const char *name);
void df_workload_free(df_workload *w);
/* Appends a copy of *l. */
int df_workload_add(df_workload *w, const df_layer *l, df_err *err);
/* Deep copy into an uninitialised dst. */
int df_workload_copy(df_workload *dst, const df_workload *src, df_err *err);

/* Checks every layer (dims > 0 and bounded, kernel within padded input, inputs exist and come earlier,
 * channel/shape agreement with producers, type-specific rules, layer count <= max_layers), and derives
 * P and Q. On error err names the layer and field (pointer "/layers/<i>/<field>"). */
int df_workload_validate(df_workload *w, int32_t max_layers, df_err *err);

/* Per-sample figures of a validated layer. */
int64_t df_layer_macs(const df_layer *l);
int64_t df_layer_weight_elems(const df_layer *l);
int64_t df_layer_out_elems(const df_layer *l);  /* K*P*Q */
int64_t df_layer_in_elems(const df_layer *l);   /* C*Y*X: the (first) input operand */
int64_t df_workload_macs(const df_workload *w); /* sum over layers, per sample */

const char *df_layer_type_name(df_layer_type t);
int df_layer_type_parse(const char *s, df_layer_type *out); /* DF_OK or DF_EINVAL; any of the NTYPES */
/* The classic type (< DF_LAYER_TYPE_COUNT) whose one-hot slot the mapper's features would give t:
 * layout, resize, norm, softmax -> pool (no MACs, one input, shape-keeping or windowless), deconv ->
 * conv, eltwise -> add. */
df_layer_type df_layer_type_feature(df_layer_type t);

/* The operation of l (DF_OP_DEFAULT resolved to the type's first op; DF_OP_DEFAULT for classic types),
 * its name ("transpose", "gelu", ...; "" for none), and parsing a name for type t. */
df_layer_op df_layer_op_of(const df_layer *l);
const char *df_layer_op_name(df_layer_op op);
int df_layer_op_parse(df_layer_type t, const char *s, df_layer_op *out); /* DF_OK or DF_EINVAL */
/* Names of the ops type t takes, comma-separated ("" for a type without ops), for messages. */
const char *df_layer_type_ops(df_layer_type t);

/* Effective window of l: per-side pads {top, bottom, left, right} and the column stride. */
void df_layer_pads(const df_layer *l, int32_t pads[4]);
int32_t df_layer_stride_x(const df_layer *l);
int df_layer_pads_symmetric(const df_layer *l); /* 1 when all four sides equal (then `pad` says it) */

#endif
