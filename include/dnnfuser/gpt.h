/* gpt.h - a small generic GPT (pre-norm decoder-only transformer) over real-valued input tokens.
 *
 * Each position carries F input features (no vocabulary) and the model predicts a distribution over A
 * actions at every position. Nothing here knows what the features or actions mean; the mapper's
 * feature extraction and masked decoding sit on top (features.h, the decoder).
 *
 *   h0  = x . W_in + b_in + wpe[t]                       x: (B,T,F)
 *   for each of L blocks (pre-norm, GPT-2):
 *       h += attn_proj(causal_mha(qkv(ln1(h))))
 *       h += fc_proj(gelu(fc(ln2(h))))
 *   logits = lnf(h) . W_head + b_head                    logits: (B,T,A)
 *
 * Parameters live in ONE contiguous float buffer in the fixed order of df_gpt_params (as llm.c's
 * ParameterTensors); df_gpt_tensor_table gives each tensor's name, shape, element count and offset,
 * and is what the weights file checks against. Per-block tensors are stacked over L (qkvw is
 * (L, d, 3d); block l's slice is qkvw + l*d*3d). Linear weights are [IN, OUT] row-major so inference
 * is a no-transpose sgemm (nn.h).
 *
 * Training (llm.c style): df_gpt_train_alloc once for (maxB, cfg.T); then per step
 * df_gpt_zero_grad, df_gpt_forward (with targets), df_gpt_backward, df_gpt_update.
 *
 * Inference with a KV cache (llama.cpp slots): df_gpt_infer_init once for max_seqs sequences; each
 * df_gpt_infer_step feeds one new position to each of n active sequences, each in its own cache slot,
 * with one BLAS call per weight matrix for all n rows; sequences may be at different positions, and
 * join or leave between steps. No allocation in the step. The model must outlive its contexts and
 * must not be updated while a context holds keys computed with older weights.
 *
 * Threading: a model and a context are used by one thread at a time; BLAS should run single-threaded
 * (OPENBLAS_NUM_THREADS=1, PLATFORM.md section 1). */
#ifndef DNNFUSER_GPT_H
#define DNNFUSER_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "dnnfuser/common.h"

typedef struct {
    int32_t F; /* input features per position */
    int32_t A; /* actions (logits per position) */
    int32_t d; /* model width (d_model) */
    int32_t L; /* transformer blocks */
    int32_t H; /* attention heads; d % H == 0 */
    int32_t T; /* maximum context (positions) */
} df_gpt_config;

/* Sane ranges, enforced by df_gpt_config_validate (and so by the weights loader). */
#define DF_GPT_MAX_F 4096
#define DF_GPT_MAX_A 4096
#define DF_GPT_MAX_D 4096
#define DF_GPT_MAX_L 64
#define DF_GPT_MAX_H 256
#define DF_GPT_MAX_T 8192
#define DF_GPT_MAX_PARAMS (1LL << 30) /* 4 GiB of float32 */

#define DF_GPT_NUM_TENSORS 19
#define DF_GPT_NAME_MAX 32 /* tensor name bytes including the terminating NUL */

/* Views into the one parameter (or gradient) buffer, in file order. */
typedef struct {
    float *w_in;     /* (F, d)    input projection */
    float *b_in;     /* (d) */
    float *wpe;      /* (T, d)    learned position embedding */
    float *ln1w;     /* (L, d) */
    float *ln1b;     /* (L, d) */
    float *qkvw;     /* (L, d, 3d) */
    float *qkvb;     /* (L, 3d) */
    float *attprojw; /* (L, d, d) */
    float *attprojb; /* (L, d) */
    float *ln2w;     /* (L, d) */
    float *ln2b;     /* (L, d) */
    float *fcw;      /* (L, d, 4d) */
    float *fcb;      /* (L, 4d) */
    float *fcprojw;  /* (L, 4d, d) */
    float *fcprojb;  /* (L, d) */
    float *lnfw;     /* (d) */
    float *lnfb;     /* (d) */
    float *w_head;   /* (d, A)    action head */
    float *b_head;   /* (A) */
} df_gpt_params;

typedef struct {
    char name[DF_GPT_NAME_MAX]; /* e.g. "qkv.w" */
    int32_t ndim;               /* 1..4 */
    int32_t dims[4];            /* unused dims are 1 */
    size_t count;               /* product of dims */
    size_t offset;              /* in floats from the start of the buffer */
    int decay;                  /* AdamW weight decay applies (matrices and embeddings) */
} df_gpt_tensor;

/* Activations saved by the training forward for (B, T) rows; sized for (maxB, cfg.T). */
typedef struct {
    float *inp;       /* (B,T,F)   copy of the input */
    float *encoded;   /* (B,T,d)   h0 */
    float *ln1;       /* (L,B,T,d) */
    float *ln1_mean;  /* (L,B,T) */
    float *ln1_rstd;  /* (L,B,T) */
    float *qkv;       /* (L,B,T,3d) */
    float *atty;      /* (L,B,T,d) attention output before attn_proj */
    float *att;       /* (L,B,H,T,T) attention probabilities */
    float *residual2; /* (L,B,T,d) h after the attention branch */
    float *ln2;       /* (L,B,T,d) */
    float *ln2_mean;  /* (L,B,T) */
    float *ln2_rstd;  /* (L,B,T) */
    float *fch;       /* (L,B,T,4d) fc output */
    float *fch_gelu;  /* (L,B,T,4d) */
    float *residual3; /* (L,B,T,d) h after the MLP branch (block output) */
    float *lnf;       /* (B,T,d) */
    float *lnf_mean;  /* (B,T) */
    float *lnf_rstd;  /* (B,T) */
    float *logits;    /* (B,T,A)   raw logits (the mask is not applied here) */
    float *probs;     /* (B,T,A)   masked softmax */
    float *losses;    /* (B,T)     per-position loss, 0 where no target */
    /* backward scratch, reused across blocks */
    float *dlogits;   /* (B,T,A) */
    float *dresidual; /* (B,T,d) */
    float *dbuf;      /* (B,T,d) */
    float *dqkv;      /* (B,T,3d) */
    float *dfch;      /* (B,T,4d) */
    float *dfch_gelu; /* (B,T,4d) */
    float *datt;      /* (T,T) */
} df_gpt_acts;
#define DF_GPT_NUM_ACTS 28

typedef struct {
    float lr;            /* learning rate, e.g. 3e-4 */
    float beta1, beta2;  /* 0.9, 0.95 or 0.999 */
    float eps;           /* 1e-8 */
    float weight_decay;  /* decoupled, on tensors with decay = 1 only; e.g. 0.01 */
    float max_grad_norm; /* global L2 clip; <= 0 disables */
} df_adamw_opts;

typedef struct {
    df_gpt_config cfg;
    df_gpt_tensor tensors[DF_GPT_NUM_TENSORS];
    size_t num_params;
    df_gpt_params params;
    float *params_memory; /* (num_params) */
    /* training state: NULL until df_gpt_train_alloc */
    df_gpt_params grads;
    float *grads_memory; /* (num_params) */
    float *m_memory;     /* (num_params) AdamW first moment */
    float *v_memory;     /* (num_params) AdamW second moment */
    int64_t step;        /* AdamW steps taken */
    int maxB;            /* activations sized for (maxB, cfg.T) */
    df_gpt_acts acts;
    float *acts_memory;
    int32_t *targets;   /* (maxB, T) copy of the last forward's targets */
    int last_B, last_T; /* dims of the last forward, 0 if none */
    int last_n_targets; /* positions with a target in the last forward */
    int have_targets;   /* last forward had targets (backward allowed) */
    /* two heads (df_gpt_forward_heads): the last forward's split and second-head decisions */
    int heads;         /* 1: the last forward was df_gpt_forward_heads */
    int32_t head_A1;   /* first head's logits per position: [0, A1); the second head's [A1, A) */
    int32_t head_n2;   /* second-head decisions in the last forward, all with a target */
    float head_weight; /* the second head's loss weight */
    float *head_probs; /* (2 maxB T, A) second-head masked softmax per decision (A - A1 used) */
    int32_t *head_row; /* (2 maxB T) position of each decision */
    int32_t *head_tg;  /* (2 maxB T) target of each decision */
} df_gpt;

/* Checks every field against the ranges above, d % H == 0, and the parameter count limit. */
int df_gpt_config_validate(const df_gpt_config *cfg, df_err *err);
/* Fills the tensor table (fill_in_parameter_sizes); returns the total float count. cfg must be valid. */
size_t df_gpt_tensor_table(const df_gpt_config *cfg, df_gpt_tensor out[DF_GPT_NUM_TENSORS]);

/* Validates cfg and allocates the parameter buffer, zero-filled (m is zeroed first; on failure m is
 * left zeroed and nothing leaks). */
int df_gpt_alloc(df_gpt *m, const df_gpt_config *cfg, df_err *err);
/* GPT-2 initialisation from a seed (splitmix64, deterministic across platforms up to libm):
 * matrices and the position embedding N(0, 0.02); attn_proj and fc_proj weights N(0, 0.02/sqrt(2L));
 * biases 0; layernorm weights 1. Also resets the optimiser state if allocated. */
void df_gpt_init_params(df_gpt *m, uint64_t seed);
/* df_gpt_alloc + df_gpt_init_params. */
int df_gpt_init(df_gpt *m, const df_gpt_config *cfg, uint64_t seed, df_err *err);
/* Frees everything (training state included); m is zeroed. Safe on a zeroed or freed model. */
void df_gpt_free(df_gpt *m);

/* Allocates gradients, AdamW moments and activations for batches of up to maxB sequences of up to
 * cfg.T positions. Once per model (a second call with another maxB is refused). */
int df_gpt_train_alloc(df_gpt *m, int maxB, df_err *err);
/* Training forward over x (B,T,F). targets (B,T): action index or -1 (no loss at that position); NULL =
 * no loss (logits only, backward refused). mask (B,T,A): 1 = action allowed; NULL = all allowed; it is
 * applied to the softmax only (m->acts.logits stays raw). Every target must be < A and allowed, else
 * DF_EINVAL naming the position. *loss (may be NULL) gets the mean loss over positions with a target.
 * 1 <= B <= maxB, 1 <= T <= cfg.T. */
int df_gpt_forward(df_gpt *m, const float *x, const int32_t *targets, const uint8_t *mask, int B, int T, float *loss,
                   df_err *err);
/* Two heads over one trunk (the depth-first mapper: per-layer actions, then the close decision of a
 * group). The A logits of a position are [A1 | A - A1]. The first head makes at most one decision per
 * position (targets (B,T), -1 = none; mask (B,T,A1)). The second head makes n decisions, decision k on
 * the last A - A1 logits of position row[k] = b*T + t (several may share a position), under its own
 * mask. Each head is a masked softmax cross-entropy over its own columns only. */
typedef struct {
    int32_t A1;             /* 1 <= A1 < A (A1 = A only when n = 0) */
    const int32_t *targets; /* (B,T) first-head targets in [0, A1) or -1; NULL = none */
    const uint8_t *mask;    /* (B,T,A1) 1 = allowed; NULL = all allowed */
    int32_t n;              /* second-head decisions, 0 <= n <= 2 B T */
    const int32_t *row;     /* (n) position b*T + t */
    const int32_t *target;  /* (n) in [0, A - A1), every one allowed by mask2 */
    const uint8_t *mask2;   /* (n, A - A1) 1 = allowed; NULL = all allowed */
    float weight;           /* >= 0: the total loss is mean1 + weight * mean2 */
} df_gpt_heads;
/* Training forward with two heads (df_gpt_forward's checks, per head). *loss = mean1 + weight * mean2
 * (a head without decisions contributes 0); *loss1, *loss2 (each may be NULL) the two means. The
 * first head's masked softmax goes to m->acts.probs as (B,T,A1). df_gpt_backward differentiates
 * *loss. With A1 = A and n = 0 the loss and gradients are bit for bit df_gpt_forward's. */
int df_gpt_forward_heads(df_gpt *m, const float *x, const df_gpt_heads *h, int B, int T, float *loss, float *loss1,
                         float *loss2, df_err *err);
/* Accumulates (+=) the gradient of the last forward's mean loss into m->grads. */
int df_gpt_backward(df_gpt *m, df_err *err);
void df_gpt_zero_grad(df_gpt *m);
/* Clips the global gradient norm to opt->max_grad_norm, then one AdamW step (m->step += 1). *grad_norm
 * (may be NULL) gets the norm before clipping. A non-finite norm refuses the step (DF_EINVAL) and leaves
 * the parameters untouched. */
int df_gpt_update(df_gpt *m, const df_adamw_opts *opt, float *grad_norm, df_err *err);
/* Sensible defaults: lr 3e-4, betas 0.9/0.999, eps 1e-8, weight decay 0.01, clip 1.0. */
df_adamw_opts df_adamw_defaults(void);

/* binary16 weights (issue 15). The matrices the decode's packed products read are w_in, w_head, qkvw,
 * attprojw, fcw and fcprojw (not biases, layer norms or wpe). df_gpt_f16_lossless: 1 when every weight
 * of those is a binary16 value (df_f16_exact, nn.h), so binary16 panels of them lose nothing.
 * df_gpt_round_f16 rounds each of those weights to the nearest binary16 (ties to even; the rest of the
 * parameters untouched) and returns how many changed; *max_rel (may be NULL) gets the largest relative
 * change. Afterwards df_gpt_f16_lossless(m) is 1 (for finite weights below 65520 in magnitude). */
int df_gpt_f16_lossless(const df_gpt *m);
size_t df_gpt_round_f16(df_gpt *m, double *max_rel);

/* ---------------------------------------------------------------------------------------------- */
/* inference with a KV cache */

typedef struct df_gpt_infer df_gpt_infer;

/* One context for up to max_seqs concurrent sequences (cache slots 0..max_seqs-1), each up to cfg.T
 * positions. All memory is allocated here: K and V caches (max_seqs, L, T, d) each (K blocked by 16
 * positions for the fused attention step, nn.h), plus row buffers. */
int df_gpt_infer_init(df_gpt_infer **ctx, const df_gpt *m, int max_seqs, df_err *err);
void df_gpt_infer_free(df_gpt_infer *ctx);
/* One step: for i in 0..n_active-1, sequence slot[i] receives input x[i] (F floats) at position pos[i],
 * and logits[i] (A floats, raw, unmasked) is its prediction there. Slots must be distinct within a
 * step; pos[i] must be <= the slot's current length (pos == length appends; pos < length rewinds the
 * slot to pos, dropping later positions) and < cfg.T. Everything is validated before any state
 * changes. One product per weight matrix for all n_active rows; no allocation. */
int df_gpt_infer_step(df_gpt_infer *ctx, int n_active, const int32_t *slot, const int32_t *pos, const float *x,
                      float *logits, df_err *err);
/* Empties a slot (length 0) so a new sequence can use it. Out-of-range slots are ignored. */
void df_gpt_infer_reset_slot(df_gpt_infer *ctx, int slot);
/* Positions cached in a slot (-1 for an out-of-range slot). */
int df_gpt_infer_slot_len(const df_gpt_infer *ctx, int slot);
int df_gpt_infer_max_seqs(const df_gpt_infer *ctx);
/* 1: later steps use the exact-math reference kernels (layernorm as in training, GELU with libm tanh
 * in double, attention in double from plain key rows: nn.h) instead of the vectorised ones; for tests
 * that decisions do not depend on the fast kernels (the exact path's products go through cblas).
 * 0 (the default): the fast kernels. */
void df_gpt_infer_set_exact(df_gpt_infer *ctx, int exact);
/* 1 (default where the CPU has avx512f): the matrix products through df_linear_infer on weights packed
 * at init; 0: through cblas (the previous path, kept to measure against). Returns the state set (0
 * when the weights could not be packed). */
int df_gpt_infer_set_packed(df_gpt_infer *ctx, int on);
/* 1: the packed products read their weights as binary16 panels (df_linear_infer_f16: half the bytes,
 * each weight rounded to nearest binary16, float accumulation); 0: the float panels. The default at
 * init is 1 when df_gpt_f16_lossless(m) (the binary16 panels then hold the very weights, and the
 * products equal the float panels' bit for bit: same FMAs in the same order), else 0 unless built with
 * -DDF_F16_WEIGHTS_DEFAULT=1. Only when the packed products are on; never in exact mode. Returns the
 * state set (0 without avx512f); df_gpt_infer_f16 the current state. */
int df_gpt_infer_set_f16(df_gpt_infer *ctx, int on);
int df_gpt_infer_f16(const df_gpt_infer *ctx);

/* Forward floating-point operations of one inference row at position pos (context ctx = pos+1), an
 * M x N x K product counted as 2MNK: 2 N_matmul + 4 L d ctx (N_matmul = weights of the matrices; the
 * attention term counts both q.k and att.v; Kaplan et al. 2020, arXiv 2001.08361, table 1, write
 * 2N + 2 L ctx d with one attention product). */
double df_gpt_infer_flops(const df_gpt_config *cfg, int pos);

#endif
