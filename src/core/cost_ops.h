/* cost_ops.h - internal to src/core: the cost model's figures for the layer types that move or
 * transform data with few or no MACs (layout, resize, norm, softmax, eltwise) and for deconv, which
 * runs on the MAC array as its direct-convolution equivalent. cost.c calls these through three hooks
 * (layer_figures and the streamed-operand tile); everything else (grouping, DRAM traffic, footprints)
 * treats these layers like any other. Semantics and sources: docs/COST_MODEL.md, "Data-movement and
 * vector layers". */
#ifndef DNNFUSER_COST_OPS_H
#define DNNFUSER_COST_OPS_H

#include "dnnfuser/cost.h"

/* Vector operations per output element of a layer of a vector type (0 for the MAC types). */
double df_ops_per_elem(const df_layer *l);

/* Fills *f for a layer of a vector type (layout, resize, norm, softmax, eltwise) and returns 1; returns 0
 * for any other type (f untouched). in_total: per-sample elements of all input operands. */
int df_ops_figures(const df_layer *l, const df_hw *hw, df_layer_figures *f, int64_t in_total);

/* deconv: fills *eq with the stride-1 conv over the input grid that does the same MACs with the same
 * weights (output K x Y x X, input C x (Y+R-1) x (X+S-1)) and returns 1; 0 for any other type. */
int df_ops_conv_equivalent(const df_layer *l, df_layer *eq);

/* After the figures of the equivalent conv: restores the deconv's own output size (and scales the
 * output traffic with it). */
void df_ops_deconv_fixup(const df_layer *l, df_layer_figures *f);

/* 1 when a streamed operand j of l must be on chip whole, not one row at a time: a transpose,
 * channel shuffle or gather writes each output row from all over its input. */
int df_ops_whole_operand(const df_layer *l, int j);

#endif
