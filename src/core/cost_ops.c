/* cost_ops.c - per-layer figures of the data-movement and vector layer types (contract in
 * src/core/cost_ops.h; semantics in docs/COST_MODEL.md, "Data-movement and vector layers").
 *
 * Sources:
 *  [PRED]     Zhao et al., "DNN-Chip Predictor", ICASSP 2020, §2: layers without MACs cost their data
 *             movement (buffer <-> array, DRAM) plus one vector operation per element; the PE array
 *             executes one such operation per PE per cycle (as cost.c does for pool and add).
 *  [LN]       Ba, Kiros, Hinton, "Layer Normalization", arXiv 1607.06450, eq. 4: mean, variance,
 *             normalise, then the learned gain and bias: 5 operations per element, 2 x C weights.
 *  [SOFTMAX]  Milakov, Gimelshein, "Online normalizer calculation for softmax", arXiv 1805.02867, alg. 1:
 *             max, exp, sum, divide: 4 operations per element.
 *  [GELU]     Hendrycks, Gimpel, "Gaussian Error Linear Units", arXiv 1606.08415, §2: the tanh
 *             approximation 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3))): 8 operations per element.
 *  [ONNX]     onnx/docs/Operators.md: Resize (nearest: 1 tap, linear: 2 per axis, cubic: 4 per axis),
 *             ConvTranspose (output = stride (in - 1) + kernel - pads + output_padding).
 *  [DECONV]   Dumoulin, Visin, "A guide to convolution arithmetic for deep learning", arXiv 1603.07285,
 *             §4: a transposed convolution does the MACs of the direct convolution it transposes.
 */
#include "cost_ops.h"

#include <math.h>
#include <string.h>

double df_ops_per_elem(const df_layer *l) {
    switch (l->type) {
    case DF_LAYER_LAYOUT: return 1; /* one move per element [PRED] */
    case DF_LAYER_RESIZE:
        switch (df_layer_op_of(l)) {
        case DF_OP_LINEAR: return 4; /* 2 x 2 taps [ONNX] */
        case DF_OP_CUBIC: return 16; /* 4 x 4 taps */
        default: return 1;
        }
    case DF_LAYER_NORM: return 5;    /* [LN] */
    case DF_LAYER_SOFTMAX: return 4; /* [SOFTMAX] */
    case DF_LAYER_ELTWISE:
        switch (df_layer_op_of(l)) {
        case DF_OP_RELU: return 1;
        case DF_OP_GELU: return 8; /* [GELU] */
        case DF_OP_SIGMOID:
        case DF_OP_TANH: return 4;                             /* exp, add, divide (tanh: the same through sigmoid) */
        case DF_OP_SILU: return 5;                             /* x * sigmoid(x) */
        case DF_OP_HARDSWISH: return 3;                        /* x * relu6(x + 3) / 6 */
        default: return l->n_inputs > 1 ? l->n_inputs - 1 : 1; /* mul, add, sub, div: one per extra operand */
        }
    default: return 0;
    }
}

int df_ops_figures(const df_layer *l, const df_hw *hw, df_layer_figures *f, int64_t in_total) {
    if (l->type < DF_LAYER_TYPE_COUNT || l->type == DF_LAYER_DECONV) return 0;
    memset(f, 0, sizeof *f);
    double pes = (double)hw->pe_rows * hw->pe_cols;
    f->macs = 0;
    f->weight_elems = df_layer_weight_elems(l);
    f->out_elems = df_layer_out_elems(l);
    f->compute_cycles = ceil(df_ops_per_elem(l) * (double)f->out_elems / pes);
    /* a slice, split or gather reads only the part it outputs; everything else reads all its operands */
    df_layer_op op = df_layer_op_of(l);
    int part = l->type == DF_LAYER_LAYOUT && (op == DF_OP_SLICE || op == DF_OP_SPLIT || op == DF_OP_GATHER);
    f->noc_in = part && (double)f->out_elems < (double)in_total ? (double)f->out_elems : (double)in_total;
    f->noc_out = (double)f->out_elems;
    f->noc_w = (double)f->weight_elems; /* norm's gain and bias, read once per sample */
    f->utilization = 0;
    return 1;
}

int df_ops_conv_equivalent(const df_layer *l, df_layer *eq) {
    if (l->type != DF_LAYER_DECONV) return 0;
    *eq = *l;
    eq->type = DF_LAYER_CONV; /* [DECONV] §4 */
    eq->stride = eq->stride_x = 1;
    eq->pad = eq->pad_t = eq->pad_b = eq->pad_l = eq->pad_r = 0;
    eq->out_y = eq->out_x = 0;
    eq->P = l->Y;
    eq->Q = l->X;
    eq->Y = l->Y + l->R - 1;
    eq->X = l->X + l->S - 1;
    return 1;
}

void df_ops_deconv_fixup(const df_layer *l, df_layer_figures *f) {
    double eq_out = (double)l->K * l->Y * l->X, out = (double)df_layer_out_elems(l);
    f->noc_out *= eq_out > 0 ? out / eq_out : 1;
    f->out_elems = df_layer_out_elems(l);
}

int df_ops_whole_operand(const df_layer *l, int j) {
    (void)j;
    if (l->type != DF_LAYER_LAYOUT) return 0;
    df_layer_op op = df_layer_op_of(l);
    return op == DF_OP_TRANSPOSE || op == DF_OP_SHUFFLE || op == DF_OP_GATHER;
}
