/* workload.h - the DNN as the cost model sees it: layers in topological order with DAG edges.
 *
 * Shape conventions per layer type (per sample; batch N lives in the request, not here):
 *   conv    input C x Y x X, output K x P x Q, P = (Y + 2*pad - R)/stride + 1 (Q likewise with X, S),
 *           weights K x (C/groups) x R x S, MACs K*P*Q*(C/groups)*R*S.
 *   dwconv  a conv with groups == C (K a multiple of C); kept as its own type for readability.
 *   fc      input C (a producer's whole output, flattened), output K, Y = X = R = S = 1, weights K x C.
 *   matmul  input C x Y (Y rows/tokens, X = 1), output K x Y (P = Y, Q = 1), `groups` independent
 *           products (attention heads). One input: weights K x (C/groups). Two inputs: the second input
 *           is the other activation operand (no weights) and must hold K*C/groups elements.
 *   pool    input C x Y x X, window R x S, output K = C channels x P x Q; no MACs, no weights.
 *   add     >= 2 inputs of identical shape C x Y x X; output K = C, P = Y, Q = X.
 *   concat  >= 2 inputs with equal Y x X; C = sum of input channels; output K = C, P = Y, Q = X.
 * inputs[] holds producer layer indices (< own index); -1 is the network input. Output sizes (P, Q)
 * are derived by df_workload_validate, never trusted from input. */
#ifndef DNNFUSER_WORKLOAD_H
#define DNNFUSER_WORKLOAD_H

#include "dnnfuser/common.h"

#define DF_MAX_INPUTS 8
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
    DF_LAYER_TYPE_COUNT
} df_layer_type;

typedef struct {
    char name[DF_NAME_MAX];
    df_layer_type type;
    int32_t K, C, Y, X, R, S;     /* out channels, in channels, in rows, in cols, kernel rows, cols */
    int32_t stride, pad, groups;
    int32_t n_inputs;
    int32_t inputs[DF_MAX_INPUTS]; /* producer indices; -1 = network input */
    int32_t P, Q;                  /* derived: output rows, cols */
    double density;                /* optional: fraction of non-zero input activations, (0, 1]; 0 = unset
                                    * (dense). Used by the cost model for zero gating and run-length
                                    * coded DRAM traffic (docs/COST_MODEL.md). */
} df_layer;

typedef struct {
    char name[64];
    int32_t n_layers;
    int32_t cap;
    df_layer *layers;              /* [n_layers], topological order */
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
int64_t df_layer_out_elems(const df_layer *l);   /* K*P*Q */
int64_t df_layer_in_elems(const df_layer *l);    /* C*Y*X: the (first) input operand */
int64_t df_workload_macs(const df_workload *w);  /* sum over layers, per sample */

const char *df_layer_type_name(df_layer_type t);
int df_layer_type_parse(const char *s, df_layer_type *out); /* DF_OK or DF_EINVAL */

#endif
