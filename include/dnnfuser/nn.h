/* nn.h - the transformer's building blocks as free functions on raw float arrays (llm.c style).
 *
 * Every op is a forward/backward pair taking plain pointers and int dims, with no hidden state:
 * forward writes its outputs (and whatever it must save for backward); backward ACCUMULATES (+=)
 * into the gradient buffers it is given, so the caller zeroes them once and several contributions
 * (residual branches, micro-batches) add up. Row-major everywhere.
 *
 * Glossary used in the shape comments:
 *   B = batch (sequences), T = sequence length, C = channels (d_model), NH = attention heads,
 *   hs = C / NH = head size, N = rows (usually B*T), IN/OUT = a linear layer's input/output width,
 *   A = number of actions (logits per position).
 *
 * Matrix products go through OpenBLAS (cblas). Linear weights are stored [IN, OUT] row-major, so the
 * inference product inp[N,IN] . W[IN,OUT] is a no-transpose sgemm ("NN", OpenBLAS's fastest layout
 * for small N, PLATFORM.md section 2), and a single row (N == 1) goes to cblas_sgemv. Call these from
 * one thread and run with OPENBLAS_NUM_THREADS=1 (PLATFORM.md sections 1-2). */
#ifndef DNNFUSER_NN_H
#define DNNFUSER_NN_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------------------------------- */
/* y (n) = exp(x (n)), 4 lanes at a time (Cephes expf polynomial; relative error below 3e-7 over
 * [-87, 88]); x below -88.38 gives 0, x above 88.38 saturates at exp(88.38) = 2.4e38, NaN is not
 * propagated. y may alias x. Used by the attention softmaxes and by GELU (training and inference). */
void df_vexp(float *y, const float *x, int n);

/* ---------------------------------------------------------------------------------------------- */
/* linear: out = inp . W + b */

/* out (N,OUT) = inp (N,IN) . w (IN,OUT) + b (OUT); b may be NULL. N == 1 uses cblas_sgemv. */
void df_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT);
/* The same with the one-row path chosen by the caller: m1_sgemm = 1 sends N == 1 to cblas_sgemm too. */
void df_linear_forward_ex(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT,
                          int m1_sgemm);
/* 1 when the OpenBLAS core in use has the small-matrix sgemm kernel (SkylakeX, Cooperlake,
 * SapphireRapids; PLATFORM.md section 2), where a one-row product is faster through sgemm than sgemv
 * (measured at the shipped model's shapes, 64..256 wide: 2.8 vs 3.3 us for one step's six products);
 * 0 otherwise (AVX2-only kernels: sgemm M=1 falls to 7-9 GFLOP/s, sgemv stays at 51-59). */
int df_blas_small_kernel(void);
/* Packed decode products (AVX-512 machines): w (IN,OUT) re-laid once as panels of 64 columns, then of
 * 16, each panel contiguous over IN, so a product streams its weights in one sequential pass (the
 * one-row product of a decode step is bound by reading the weights: the step's products 1.3-1.5x
 * cblas at N = 1, a whole single-request mapping 1.15x, about the same as cblas at N >= 4;
 * tests/bench/bench_gpt section 2 alternates both). Columns past the last whole 16 are read from w.
 * df_linear_packed_ok(): 1 when the CPU has avx512f (else the caller keeps cblas).
 * df_linear_pack_floats(IN, OUT): floats the packed copy needs; df_linear_pack fills wp from w.
 * df_linear_infer: out (N,OUT) = inp (N,IN) . w (IN,OUT) + b (OUT) (b may be NULL), per output the
 * bias then the IN products in order with fused multiply-adds (so a row's result does not depend on
 * N or on the other rows). Equals df_linear_forward to float rounding (check_nn). */
int df_linear_packed_ok(void);
size_t df_linear_pack_floats(int IN, int OUT);
void df_linear_pack(float *wp, const float *w, int IN, int OUT);
void df_linear_infer(float *out, const float *inp, const float *wp, const float *w, const float *b, int N, int IN,
                     int OUT);
/* fp16 weight panels (issue 15): df_linear_pack_f16 fills wp (df_linear_pack_floats halves, the same
 * layout) with every weight of the packed columns rounded to IEEE binary16 (nearest even);
 * df_linear_infer_f16 is df_linear_infer on those weights (converted exactly back to float on load,
 * float accumulation, the same order), so it reads half the bytes. Per output the difference from the
 * float product is at most 2^-11 sum_i |x_i w_i| (binary16 unit roundoff, normal range; weights
 * below 2^-14 in magnitude err by at most 2^-25 absolute) plus float rounding. Only where
 * df_linear_packed_ok(); elsewhere df_linear_infer_f16 is df_linear_forward and the pack a no-op. */
void df_linear_pack_f16(uint16_t *wp, const float *w, int IN, int OUT);
void df_linear_infer_f16(float *out, const float *inp, const uint16_t *wp, const float *w, const float *b, int N,
                         int IN, int OUT);
/* binary16 in plain C (any CPU): df_f16_from_float rounds to the nearest binary16 (ties to even; the
 * bits df_linear_pack_f16 stores for the same float), df_f16_to_float converts back exactly,
 * df_f16_exact(x) is 1 when that round trip gives x back bit for bit (x is a binary16 value);
 * df_f16_exact_all(x, n) when it is for each of x (n). */
uint16_t df_f16_from_float(float x);
float df_f16_to_float(uint16_t h);
int df_f16_exact(float x);
int df_f16_exact_all(const float *x, size_t n);
/* Same result with three plain loops: the algorithmic reference the cblas path is tested against. */
void df_linear_forward_naive(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT);
/* dinp (N,IN) += dout (N,OUT) . w^T;  dw (IN,OUT) += inp^T . dout;  db (OUT) += sum over rows of dout.
 * Any of dinp, dw, db may be NULL (not wanted). */
void df_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int IN, int OUT);

/* ---------------------------------------------------------------------------------------------- */
/* layer normalisation over the last dimension (eps 1e-5) */

#define DF_LN_EPS 1e-5f

/* out (N,C) = (inp (N,C) - mean) * rstd * w (C) + b (C); saves mean (N) and rstd (N) for backward
 * (either may be NULL at inference). */
void df_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b, int N,
                          int C);
/* dinp (N,C) +=, dw (C) +=, db (C) += ; from dout (N,C), the forward's inp, w and saved mean/rstd. */
void df_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int C);

/* ---------------------------------------------------------------------------------------------- */
/* GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel,
 * arXiv 1606.08415, eq. in section 2; the form GPT-2 uses) */

/* out (n) = gelu(inp (n)); out may alias inp */
void df_gelu_forward(float *out, const float *inp, int n);
/* dinp (n) += gelu'(inp) * dout (n) */
void df_gelu_backward(float *dinp, const float *inp, const float *dout, int n);

/* ---------------------------------------------------------------------------------------------- */
/* residual connection */

/* out (n) = a (n) + b (n); out may alias a or b */
void df_residual_forward(float *out, const float *a, const float *b, int n);
/* da (n) += dout, db (n) += dout */
void df_residual_backward(float *da, float *db, const float *dout, int n);

/* ---------------------------------------------------------------------------------------------- */
/* causal multi-head self-attention (training: whole sequences) */

/* qkv (B,T,3C) holds per position [q (C) | k (C) | v (C)], head h at channels h*hs..h*hs+hs-1 of each.
 * out (B,T,C): per head softmax(q k^T / sqrt(hs), causal) v.  Saves att (B,NH,T,T), the attention
 * probabilities (row t is zero beyond column t). Q.K^T and att.V are one cblas_sgemm each per (b, h). */
void df_attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH);
/* dqkv (B,T,3C) += gradient from dout (B,T,C), the forward's qkv and att. scratch: (T,T) floats. */
void df_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *att, int B,
                           int T, int C, int NH);

/* ---------------------------------------------------------------------------------------------- */
/* inference kernels (the KV-cache decode step). Each is compiled once per ISA (avx512f, avx2, baseline
 * x86-64) and chosen at load time; every clone gives bit-identical results. Each has a reference twin
 * it is tested against (check_nn). */

/* out (N,C) = layernorm(inp (N,C)) * w (C) + b (C), no saved statistics; out may alias inp. Equals
 * df_layernorm_forward up to the order of the mean/variance sums (vectorised when C % 16 == 0). */
void df_layernorm_infer(float *out, const float *inp, const float *w, const float *b, int N, int C);
/* out (n) = gelu(inp (n)), 16 at a time; bit for bit df_gelu_forward (the tanh form through the
 * Cephes exp: max abs error against df_gelu_exact measured in check_nn). out may alias inp. */
void df_gelu_infer(float *out, const float *inp, int n);
/* out (n) = gelu(inp (n)) in double with libm tanh: the exact-math reference. */
void df_gelu_exact(float *out, const float *inp, int n);
/* out (n) = a (n) + b (n), vectorised; out may alias a or b */
void df_residual_infer(float *out, const float *a, const float *b, int n);

/* Attention of ONE new position over a KV cache (decode). Keys are stored blocked so the scores of 16
 * positions are one vector: position t's key channel c lives at kb[(t/16)*C*16 + c*16 + t%16]
 * (df_attention_key_store writes it); values are plain rows v (ctx, C). */
#define DF_ATT_BLOCK 16
#define DF_ATT_MAX_HS 1024 /* head size limit of the naive reference */
/* kb (ceil(T/16), C, 16): stores key k (C) of position t */
void df_attention_key_store(float *kb, int t, const float *k, int C);
/* out (C): per head h (hs = C/NH), softmax_t(q_h . k_t,h / sqrt(hs)) v_t,h over t < ctx; q (C),
 * kb blocked keys, v (ctx, C). One pass with an online softmax per block of 16 positions. */
void df_attention_step(float *out, const float *q, const float *kb, const float *v, int ctx, int C, int NH);
/* The same from plain key rows k (ctx, C), two passes, in double: the reference. */
void df_attention_step_naive(float *out, const float *q, const float *k, const float *v, int ctx, int C, int NH);

/* ---------------------------------------------------------------------------------------------- */
/* softmax cross-entropy over A actions with an action mask */

/* Row i of logits (N,A): actions with mask[i*A+a] == 0 get logit -inf (probability 0); mask NULL =
 * all allowed; a row with no allowed action gets all-zero probs. probs (N,A) is written; losses (N)
 * gets -log p(target) at rows with targets[i] >= 0 and 0 elsewhere. Returns the mean loss over rows
 * with a target (0 if there is none) and stores their number in *n_targets (may be NULL).
 * Precondition (checked by the callers that take user data, e.g. df_gpt_forward): every target is
 * < A and allowed by the mask; otherwise that row's loss is +inf. */
float df_xent_forward(float *probs, float *losses, const float *logits, const int32_t *targets, const uint8_t *mask,
                      int N, int A, int *n_targets);
/* dlogits (N,A) += (probs - onehot(target)) / n_targets at rows with a target: the gradient of the
 * mean loss returned by df_xent_forward. Masked actions have probability 0 and get 0. */
void df_xent_backward(float *dlogits, const float *probs, const int32_t *targets, int N, int A, int n_targets);
/* The same over n decisions gathered from rows of stride ld: decision k reads the A logits at
 * logits + row[k] * ld (row NULL: row k = k; several decisions may read one row), under its mask
 * mask + k*A (NULL = all allowed), with target targets[k] (-1 = none). probs (n,A) gets each masked
 * softmax (df_xent_forward of one row, so the same arithmetic). Returns the SUM of the losses, in
 * double, and their number in *n_targets (may be NULL). Same precondition as df_xent_forward. */
double df_xent_rows_forward(float *probs, const float *logits, int ld, const int32_t *row, const int32_t *targets,
                            const uint8_t *mask, int n, int A, int *n_targets);
/* dlogits (rows of stride ld, gathered as in the forward) += (probs - onehot(target)) * scale at
 * decisions with a target; scale = weight / n_targets gives the gradient of weight x the mean loss. */
void df_xent_rows_backward(float *dlogits, int ld, const int32_t *row, const float *probs, const int32_t *targets,
                           int n, int A, float scale);

/* ---------------------------------------------------------------------------------------------- */
/* optimiser */

/* One AdamW step over n parameters at step t (1-based), as in the PyTorch AdamW documentation
 * (https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html): m = b1 m + (1-b1) g,
 * v = b2 v + (1-b2) g^2, mhat = m / (1-b1^t), vhat = v / (1-b2^t),
 * p -= lr (mhat / (sqrt(vhat) + eps) + weight_decay p)   (decoupled weight decay, Loshchilov & Hutter,
 * arXiv 1711.05101). */
void df_adamw_update(float *params, const float *grads, float *m, float *v, size_t n, float lr, float beta1,
                     float beta2, float eps, float weight_decay, int64_t t);
/* L2 norm of g (n), accumulated in double. */
double df_grad_norm(const float *g, size_t n);
/* Scales g (n) by max_norm / norm when norm > max_norm (norm given, e.g. over several buffers).
 * Returns the scale applied (1 when nothing was done). */
float df_grad_clip(float *g, size_t n, double norm, float max_norm);

#endif
