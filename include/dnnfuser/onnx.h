/* onnx.h - import of an ONNX model (a serialized onnx.ModelProto, protobuf wire format) as a workload.
 *
 * The decoder is our own and bounds-checked (every length against the bytes left, varints of at most
 * 10 bytes, no recursion: sub-graphs of control-flow attributes are skipped, not entered). Weights
 * are never read: a file exported without parameters (torch.onnx.export(export_params=False), the
 * weights then being graph inputs with shapes) imports the same as one with them.
 *
 * Operators and what they become (batch dimension 0 of every activation is dropped: the workload is
 * per sample and the batch comes from the request):
 *   Conv (2-D)                       conv; dwconv when group == C; grouped conv otherwise
 *   Gemm, MatMul with a weight B     fc (per-sample input a vector) or matmul (input T x C rows)
 *   MaxPool, AveragePool             pool (kernel, stride, pads, ceil_mode, dilations, auto_pad)
 *   GlobalAveragePool/GlobalMaxPool, pool over the whole plane
 *     ReduceMean/ReduceMax over H, W
 *   Pad of H and W                   folded into the pads of the convolution or pooling reading it
 *   Add, Sub, Mul, Div of two        add (an elementwise two-input layer, no MACs); a broadcast Mul
 *     activations of equal shape       (squeeze-excite gating) passes its full-size operand through,
 *                                      as the zoo's efficientnet_b0 does
 *   Concat along channels            concat
 *   no compute, no storage effect:   Relu LeakyRelu PRelu Elu Selu Clip Sigmoid HardSigmoid HardSwish
 *                                    Tanh Softplus Softmax LogSoftmax BatchNormalization Identity
 *                                    Dropout Flatten Reshape Squeeze Unsqueeze Constant, and an
 *                                    elementwise op with a constant operand (bias, scale)
 *   Where with activation operands   a masked fill (one activation, constant others: a causal or
 *                                    padding mask on attention scores) passes it; two different
 *                                    activations become an add layer of both
 *   Max Min Mod Equal Less Greater   with an activation operand: as Add/Sub/Mul/Div above; Neg Abs
 *     Neg Abs Exp Log ...            Exp Log Floor Ceil Round Sign Not of an activation pass it
 *   (on constants only, every op above and Shape, Range, ConstantOfShape, Expand, ... are folded)
 * Anything else is refused with its op_type, node name and node index (err->pointer
 * "/graph/node/<i>"), never costed as zero. Output sizes come from our own shape inference (ONNX
 * semantics); value_info and graph-output shapes, when complete, must agree with it. Windowed layers
 * are stored with one symmetric pad that reproduces the ONNX output size (MACs exact); a window the
 * workload model cannot express (unequal strides, no such pad) is refused. */
#ifndef DNNFUSER_ONNX_H
#define DNNFUSER_ONNX_H

#include "dnnfuser/workload.h"

#define DF_ONNX_MAX_BYTES ((size_t)INT32_MAX) /* protobuf's own limit for one message (2 GiB - 1) */
#define DF_ONNX_MAX_NODES 65536

typedef struct {
    const char *name;   /* workload name; NULL = the graph's name, or "onnx" */
    int32_t max_layers; /* 0 = DF_DEFAULT_MAX_LAYERS; more layers -> DF_ELIMIT */
} df_onnx_opts;

/* Decodes buf[0..len) and builds the validated workload into an uninitialised *out (always
 * initialised on return, so df_workload_free(out) is safe after any return). opts may be NULL.
 * DF_EINVAL for non-ONNX, truncated or unsupported input (err->msg says what and where), DF_ELIMIT
 * above a limit, DF_ENOMEM. Reentrant; buf is only read. */
int df_onnx_import(const uint8_t *buf, size_t len, const df_onnx_opts *opts, df_workload *out, df_err *err);

/* 1 when buf plausibly holds an ONNX ModelProto (its top level decodes as protobuf with one graph,
 * an ir_version and an opset_import of the default domain), 0 otherwise. Cheap: does not look inside
 * the graph. A model must have all three, so a prefix cut at a field boundary is refused too. */
int df_onnx_sniff(const uint8_t *buf, size_t len);

#endif
