/* netbuild.h - append layers to a workload by naming the producer; input shapes are taken from the
 * producer's derived output, so network definitions read like their reference code. Errors are
 * sticky: the first failure is kept in b->rc / b->err and later calls do nothing, so a builder
 * function can be a straight list of calls followed by one check. */
#ifndef DNNFUSER_NETBUILD_H
#define DNNFUSER_NETBUILD_H

#include "dnnfuser/workload.h"

typedef struct {
    df_workload *w;
    int rc;
    df_err err;
    int32_t in_c, in_y, in_x; /* network input shape (producer -1) */
} df_netbuild;

void df_nb_init(df_netbuild *b, df_workload *w, int32_t in_c, int32_t in_y, int32_t in_x);
/* Output shape of producer p (p = -1: the network input). */
void df_nb_shape(const df_netbuild *b, int32_t p, int32_t *k, int32_t *y, int32_t *x);
/* Each returns the new layer's index (or -1 after an error). pad = -1 means "same" (R/2). */
int32_t df_nb_conv(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t R, int32_t stride, int32_t pad,
                   int32_t groups);
int32_t df_nb_dwconv(df_netbuild *b, const char *name, int32_t in, int32_t R, int32_t stride, int32_t pad);
int32_t df_nb_pool(df_netbuild *b, const char *name, int32_t in, int32_t R, int32_t stride, int32_t pad);
int32_t df_nb_gpool(df_netbuild *b, const char *name, int32_t in); /* global average pool */
int32_t df_nb_fc(df_netbuild *b, const char *name, int32_t in, int32_t K);
int32_t df_nb_add(df_netbuild *b, const char *name, int32_t a, int32_t c);
int32_t df_nb_concat(df_netbuild *b, const char *name, const int32_t *ins, int32_t n);
/* matmul over the producer's rows: in is C x Y (a matmul/fc output of K channels x P rows). */
int32_t df_nb_matmul(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t groups);
/* activation x activation: a is C x Y, other holds K*C/groups elements */
int32_t df_nb_matmul2(df_netbuild *b, const char *name, int32_t a, int32_t other, int32_t K, int32_t groups);
/* The data-movement and vector types (issue 16); each keeps its producer's element layout. */
int32_t df_nb_norm(df_netbuild *b, const char *name, int32_t in);    /* layernorm over the channels */
int32_t df_nb_softmax(df_netbuild *b, const char *name, int32_t in); /* over the channels of each row */
/* eltwise op of in (and other, when >= 0, of the same shape: mul, add, ...); other = -2: none */
int32_t df_nb_eltwise(df_netbuild *b, const char *name, int32_t in, df_layer_op op, int32_t other);
/* layout op of in with output K x P x Q (a transpose or reshape keeps the elements; a slice takes some) */
int32_t df_nb_layout(df_netbuild *b, const char *name, int32_t in, df_layer_op op, int32_t K, int32_t P, int32_t Q);
/* layout join of n inputs (and constant rows, a class token) into K x P x Q */
int32_t df_nb_join(df_netbuild *b, const char *name, const int32_t *ins, int32_t n, int32_t K, int32_t P, int32_t Q);
/* transposed convolution (ONNX ConvTranspose): K x P x Q with P = (Y-1)*stride + R - 2*pad (+ out_y
 * in [P, P + stride - 1] when > 0: output_padding), Q likewise; groups 1 */
int32_t df_nb_deconv(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t R, int32_t stride, int32_t pad,
                     int32_t out_y, int32_t out_x);
/* Validates the whole workload (derives P, Q); returns the sticky error if any. */
int df_nb_finish(df_netbuild *b, df_err *err);

#endif
