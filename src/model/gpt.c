/* gpt.c - the generic GPT: parameter table over one buffer, GPT-2 initialisation, training forward /
 * backward / AdamW update, and batched KV-cache inference.
 *
 * Layout after karpathy/llm.c train_gpt2.c (ParameterTensors, fill_in_parameter_sizes,
 * gpt2_forward / gpt2_backward / gpt2_update), with three changes: the input is a real vector per
 * position projected by W_in (no token embedding), the head predicts A actions under a mask (or, with
 * df_gpt_forward_heads, two heads split the A logits: per-position actions and decisions gathered
 * from positions, each its own masked softmax), and the backward pass reuses a few per-block scratch
 * buffers instead of a second full activation set.
 * Inference keeps one K and one V cache row per (slot, block, position) as llama.cpp's slots do. */
#include "dnnfuser/gpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/nn.h"

/* ---------------------------------------------------------------------------------------------- */
/* configuration and the parameter table */

static int check_range(const char *name, int32_t v, int32_t lo, int32_t hi, df_err *err) {
    if (v < lo || v > hi)
        return df_err_set(err, DF_EINVAL, NULL, "model config %s = %d out of range [%d, %d]", name, (int)v, (int)lo,
                          (int)hi);
    return DF_OK;
}

/* float count implied by a config, in 64-bit (the ranges keep it far from overflow) */
static uint64_t count_params(const df_gpt_config *c) {
    uint64_t F = (uint64_t)c->F, A = (uint64_t)c->A, d = (uint64_t)c->d, L = (uint64_t)c->L, T = (uint64_t)c->T;
    uint64_t per_block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * 4 * d + 4 * d + 4 * d * d + d;
    return F * d + d + T * d + L * per_block + 2 * d + d * A + A;
}

int df_gpt_config_validate(const df_gpt_config *cfg, df_err *err) {
    int rc;
    if (!cfg) return df_err_set(err, DF_EINVAL, NULL, "model config missing");
    if ((rc = check_range("F (input features)", cfg->F, 1, DF_GPT_MAX_F, err))) return rc;
    if ((rc = check_range("A (actions)", cfg->A, 1, DF_GPT_MAX_A, err))) return rc;
    if ((rc = check_range("d (model width)", cfg->d, 1, DF_GPT_MAX_D, err))) return rc;
    if ((rc = check_range("L (blocks)", cfg->L, 1, DF_GPT_MAX_L, err))) return rc;
    if ((rc = check_range("H (heads)", cfg->H, 1, DF_GPT_MAX_H, err))) return rc;
    if ((rc = check_range("T (context)", cfg->T, 1, DF_GPT_MAX_T, err))) return rc;
    if (cfg->d % cfg->H != 0)
        return df_err_set(err, DF_EINVAL, NULL, "model config d = %d is not a multiple of H = %d", (int)cfg->d,
                          (int)cfg->H);
    uint64_t n = count_params(cfg);
    if (n > (uint64_t)DF_GPT_MAX_PARAMS)
        return df_err_set(err, DF_EINVAL, NULL, "model config implies %llu parameters, more than the limit %lld",
                          (unsigned long long)n, (long long)DF_GPT_MAX_PARAMS);
    return DF_OK;
}

static void set_tensor(df_gpt_tensor *t, const char *name, int decay, int ndim, int32_t d0, int32_t d1, int32_t d2) {
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->dims[0] = d0;
    t->dims[1] = ndim > 1 ? d1 : 1;
    t->dims[2] = ndim > 2 ? d2 : 1;
    t->dims[3] = 1;
    t->count = (size_t)t->dims[0] * (size_t)t->dims[1] * (size_t)t->dims[2];
    t->decay = decay;
}

size_t df_gpt_tensor_table(const df_gpt_config *c, df_gpt_tensor out[DF_GPT_NUM_TENSORS]) {
    int32_t F = c->F, A = c->A, d = c->d, L = c->L, T = c->T;
    df_gpt_tensor *t = out;
    set_tensor(t++, "in.w", 1, 2, F, d, 0);
    set_tensor(t++, "in.b", 0, 1, d, 0, 0);
    set_tensor(t++, "wpe", 1, 2, T, d, 0);
    set_tensor(t++, "ln1.w", 0, 2, L, d, 0);
    set_tensor(t++, "ln1.b", 0, 2, L, d, 0);
    set_tensor(t++, "qkv.w", 1, 3, L, d, 3 * d);
    set_tensor(t++, "qkv.b", 0, 2, L, 3 * d, 0);
    set_tensor(t++, "attn_proj.w", 1, 3, L, d, d);
    set_tensor(t++, "attn_proj.b", 0, 2, L, d, 0);
    set_tensor(t++, "ln2.w", 0, 2, L, d, 0);
    set_tensor(t++, "ln2.b", 0, 2, L, d, 0);
    set_tensor(t++, "fc.w", 1, 3, L, d, 4 * d);
    set_tensor(t++, "fc.b", 0, 2, L, 4 * d, 0);
    set_tensor(t++, "fc_proj.w", 1, 3, L, 4 * d, d);
    set_tensor(t++, "fc_proj.b", 0, 2, L, d, 0);
    set_tensor(t++, "lnf.w", 0, 1, d, 0, 0);
    set_tensor(t++, "lnf.b", 0, 1, d, 0, 0);
    set_tensor(t++, "head.w", 1, 2, d, A, 0);
    set_tensor(t++, "head.b", 0, 1, A, 0, 0);
    size_t off = 0;
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) {
        out[i].offset = off;
        off += out[i].count;
    }
    return off;
}

/* points each view of p at its tensor in memory (malloc_and_point_parameters) */
static void point_params(df_gpt_params *p, float *memory, const df_gpt_tensor *tab) {
    float **ptrs[DF_GPT_NUM_TENSORS] = {
        &p->w_in, &p->b_in, &p->wpe, &p->ln1w,    &p->ln1b,    &p->qkvw, &p->qkvb, &p->attprojw, &p->attprojb, &p->ln2w,
        &p->ln2b, &p->fcw,  &p->fcb, &p->fcprojw, &p->fcprojb, &p->lnfw, &p->lnfb, &p->w_head,   &p->b_head,
    };
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) *ptrs[i] = memory ? memory + tab[i].offset : NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* lifecycle */

int df_gpt_alloc(df_gpt *m, const df_gpt_config *cfg, df_err *err) {
    df_err_clear(err);
    memset(m, 0, sizeof *m);
    int rc = df_gpt_config_validate(cfg, err);
    if (rc) return rc;
    m->cfg = *cfg;
    m->num_params = df_gpt_tensor_table(cfg, m->tensors);
    m->params_memory = calloc(m->num_params, sizeof(float));
    if (!m->params_memory) {
        memset(m, 0, sizeof *m);
        return df_err_set(err, DF_ENOMEM, NULL, "cannot allocate %zu model parameters", (size_t)count_params(cfg));
    }
    point_params(&m->params, m->params_memory, m->tensors);
    return DF_OK;
}

static double rng_normal(df_rng *r) {
    // Box-Muller; u1 in (0,1] so log is finite
    double u1 = 1.0 - df_rng_uniform(r), u2 = df_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void df_gpt_init_params(df_gpt *m, uint64_t seed) {
    df_rng r;
    df_rng_seed(&r, seed);
    float resid_std = 0.02f / sqrtf(2.0f * (float)m->cfg.L); // GPT-2: residual projections scaled by 1/sqrt(2L)
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) {
        const df_gpt_tensor *t = &m->tensors[i];
        float *p = m->params_memory + t->offset;
        int is_ln_w = !strcmp(t->name, "ln1.w") || !strcmp(t->name, "ln2.w") || !strcmp(t->name, "lnf.w");
        if (is_ln_w) {
            for (size_t j = 0; j < t->count; j++) p[j] = 1.0f;
        } else if (t->decay) { // matrices and the position embedding
            float sd = (!strcmp(t->name, "attn_proj.w") || !strcmp(t->name, "fc_proj.w")) ? resid_std : 0.02f;
            for (size_t j = 0; j < t->count; j++) p[j] = (float)(sd * rng_normal(&r));
        } else {
            memset(p, 0, t->count * sizeof *p);
        }
    }
    if (m->m_memory) memset(m->m_memory, 0, m->num_params * sizeof(float));
    if (m->v_memory) memset(m->v_memory, 0, m->num_params * sizeof(float));
    m->step = 0;
}

int df_gpt_init(df_gpt *m, const df_gpt_config *cfg, uint64_t seed, df_err *err) {
    int rc = df_gpt_alloc(m, cfg, err);
    if (rc) return rc;
    df_gpt_init_params(m, seed);
    return DF_OK;
}

void df_gpt_free(df_gpt *m) {
    if (!m) return;
    free(m->params_memory);
    free(m->grads_memory);
    free(m->m_memory);
    free(m->v_memory);
    free(m->acts_memory);
    free(m->targets);
    free(m->head_probs);
    free(m->head_row);
    free(m->head_tg);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------------------------------------- */
/* training */

/* element counts of the df_gpt_acts fields, in struct order, for B sequences of T positions */
static void fill_in_activation_sizes(size_t *s, const df_gpt_config *c, size_t B, size_t T) {
    size_t d = (size_t)c->d, L = (size_t)c->L, H = (size_t)c->H, A = (size_t)c->A, F = (size_t)c->F;
    size_t N = B * T;
    size_t i = 0;
    s[i++] = N * F;             // inp
    s[i++] = N * d;             // encoded
    s[i++] = L * N * d;         // ln1
    s[i++] = L * N;             // ln1_mean
    s[i++] = L * N;             // ln1_rstd
    s[i++] = L * N * 3 * d;     // qkv
    s[i++] = L * N * d;         // atty
    s[i++] = L * B * H * T * T; // att
    s[i++] = L * N * d;         // residual2
    s[i++] = L * N * d;         // ln2
    s[i++] = L * N;             // ln2_mean
    s[i++] = L * N;             // ln2_rstd
    s[i++] = L * N * 4 * d;     // fch
    s[i++] = L * N * 4 * d;     // fch_gelu
    s[i++] = L * N * d;         // residual3
    s[i++] = N * d;             // lnf
    s[i++] = N;                 // lnf_mean
    s[i++] = N;                 // lnf_rstd
    s[i++] = N * A;             // logits
    s[i++] = N * A;             // probs
    s[i++] = N;                 // losses
    s[i++] = N * A;             // dlogits
    s[i++] = N * d;             // dresidual
    s[i++] = N * d;             // dbuf
    s[i++] = N * 3 * d;         // dqkv
    s[i++] = N * 4 * d;         // dfch
    s[i++] = N * 4 * d;         // dfch_gelu
    s[i++] = T * T;             // datt
}

int df_gpt_train_alloc(df_gpt *m, int maxB, df_err *err) {
    df_err_clear(err);
    if (!m || !m->params_memory) return df_err_set(err, DF_EINVAL, NULL, "train_alloc: model not allocated");
    if (m->acts_memory) {
        if (maxB == m->maxB) return DF_OK;
        return df_err_set(err, DF_EINVAL, NULL, "train_alloc: already allocated for maxB = %d, asked %d", m->maxB,
                          maxB);
    }
    if (maxB < 1 || maxB > 1 << 20)
        return df_err_set(err, DF_EINVAL, NULL, "train_alloc: maxB = %d out of range [1, %d]", maxB, 1 << 20);
    // the kernels take int element counts; the widest is the MLP activation (B*T, 4d)
    if ((uint64_t)maxB * (uint64_t)m->cfg.T * 4u * (uint64_t)m->cfg.d > (uint64_t)INT32_MAX ||
        (uint64_t)maxB * (uint64_t)m->cfg.T * (uint64_t)(m->cfg.A > m->cfg.F ? m->cfg.A : m->cfg.F) >
            (uint64_t)INT32_MAX)
        return df_err_set(err, DF_ELIMIT, NULL, "train_alloc: maxB = %d with T = %d and d = %d is too large", maxB,
                          (int)m->cfg.T, (int)m->cfg.d);
    size_t sizes[DF_GPT_NUM_ACTS];
    fill_in_activation_sizes(sizes, &m->cfg, (size_t)maxB, (size_t)m->cfg.T);
    size_t total = 0;
    for (int i = 0; i < DF_GPT_NUM_ACTS; i++) total += sizes[i];
    m->grads_memory = calloc(m->num_params, sizeof(float));
    m->m_memory = calloc(m->num_params, sizeof(float));
    m->v_memory = calloc(m->num_params, sizeof(float));
    m->acts_memory = total < SIZE_MAX / sizeof(float) ? malloc(total * sizeof(float)) : NULL;
    m->targets = malloc((size_t)maxB * (size_t)m->cfg.T * sizeof *m->targets);
    size_t n2 = 2 * (size_t)maxB * (size_t)m->cfg.T; // second-head decisions (df_gpt_forward_heads)
    m->head_probs = malloc(n2 * (size_t)m->cfg.A * sizeof *m->head_probs);
    m->head_row = malloc(n2 * sizeof *m->head_row);
    m->head_tg = malloc(n2 * sizeof *m->head_tg);
    if (!m->grads_memory || !m->m_memory || !m->v_memory || !m->acts_memory || !m->targets || !m->head_probs ||
        !m->head_row || !m->head_tg) {
        free(m->grads_memory);
        free(m->m_memory);
        free(m->v_memory);
        free(m->acts_memory);
        free(m->targets);
        free(m->head_probs);
        free(m->head_row);
        free(m->head_tg);
        m->grads_memory = m->m_memory = m->v_memory = m->acts_memory = m->head_probs = NULL;
        m->targets = m->head_row = m->head_tg = NULL;
        return df_err_set(err, DF_ENOMEM, NULL, "train_alloc: cannot allocate %zu activation floats for maxB = %d",
                          total, maxB);
    }
    point_params(&m->grads, m->grads_memory, m->tensors);
    m->maxB = maxB;
    m->step = 0;
    m->last_B = m->last_T = 0;
    m->have_targets = 0;
    m->heads = 0;
    return DF_OK;
}

/* points the activation views for the actual (B, T) of a pass; the buffer is big enough for (maxB, cfg.T) */
static void point_acts(df_gpt *m, int B, int T) {
    size_t s[DF_GPT_NUM_ACTS];
    fill_in_activation_sizes(s, &m->cfg, (size_t)B, (size_t)T);
    df_gpt_acts *a = &m->acts;
    float **ptrs[DF_GPT_NUM_ACTS] = {
        &a->inp,       &a->encoded,   &a->ln1,      &a->ln1_mean, &a->ln1_rstd, &a->qkv,       &a->atty,
        &a->att,       &a->residual2, &a->ln2,      &a->ln2_mean, &a->ln2_rstd, &a->fch,       &a->fch_gelu,
        &a->residual3, &a->lnf,       &a->lnf_mean, &a->lnf_rstd, &a->logits,   &a->probs,     &a->losses,
        &a->dlogits,   &a->dresidual, &a->dbuf,     &a->dqkv,     &a->dfch,     &a->dfch_gelu, &a->datt,
    };
    float *p = m->acts_memory;
    for (int i = 0; i < DF_GPT_NUM_ACTS; i++) {
        *ptrs[i] = p;
        p += s[i];
    }
}

/* the checks every training forward makes on the model and the dims */
static int forward_dims(const df_gpt *m, const float *x, int B, int T, df_err *err) {
    if (!m || !m->acts_memory) return df_err_set(err, DF_EINVAL, NULL, "forward: call df_gpt_train_alloc first");
    if (!x) return df_err_set(err, DF_EINVAL, NULL, "forward: no input");
    if (B < 1 || B > m->maxB) return df_err_set(err, DF_ELIMIT, NULL, "forward: B = %d out of [1, %d]", B, m->maxB);
    if (T < 1 || T > m->cfg.T)
        return df_err_set(err, DF_ELIMIT, NULL, "forward: T = %d out of [1, %d]", T, (int)m->cfg.T);
    return DF_OK;
}

/* targets (N) in [-1, A) and each allowed by mask (N, A) (NULL = all allowed); `what` names the head */
static int check_targets(const int32_t *targets, const uint8_t *mask, int N, int T, int A, const char *what,
                         df_err *err) {
    for (int i = 0; targets && i < N; i++) {
        int32_t tg = targets[i];
        if (tg < -1 || tg >= A)
            return df_err_set(err, DF_EINVAL, NULL, "forward: %starget at batch %d position %d is %d, not in [-1, %d)",
                              what, i / T, i % T, (int)tg, A);
        if (tg >= 0 && mask && !mask[(size_t)i * A + tg])
            return df_err_set(err, DF_EINVAL, NULL,
                              "forward: %starget action %d at batch %d position %d is not allowed by the mask", what,
                              (int)tg, i / T, i % T);
    }
    return DF_OK;
}

/* the trunk and the head: x (B,T,F) -> m->acts.logits (B,T,A), every activation kept for backward */
static void trunk_forward(df_gpt *m, const float *x, int B, int T) {
    const int F = m->cfg.F, A = m->cfg.A, d = m->cfg.d, L = m->cfg.L, H = m->cfg.H;
    const int N = B * T;
    point_acts(m, B, T);
    const df_gpt_params *p = &m->params;
    df_gpt_acts *a = &m->acts;
    m->last_B = B;
    m->last_T = T;

    // input projection plus position embedding
    memcpy(a->inp, x, (size_t)N * F * sizeof(float));
    df_linear_forward(a->encoded, a->inp, p->w_in, p->b_in, N, F, d);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            df_residual_forward(a->encoded + ((size_t)b * T + t) * d, a->encoded + ((size_t)b * T + t) * d,
                                p->wpe + (size_t)t * d, d);

    const float *residual = a->encoded;
    for (int l = 0; l < L; l++) {
        size_t Nd = (size_t)N * d;
        float *l_ln1 = a->ln1 + l * Nd, *l_ln1_mean = a->ln1_mean + (size_t)l * N,
              *l_ln1_rstd = a->ln1_rstd + (size_t)l * N;
        float *l_qkv = a->qkv + l * Nd * 3, *l_atty = a->atty + l * Nd;
        float *l_att = a->att + (size_t)l * B * H * T * T;
        float *l_residual2 = a->residual2 + l * Nd, *l_ln2 = a->ln2 + l * Nd;
        float *l_ln2_mean = a->ln2_mean + (size_t)l * N, *l_ln2_rstd = a->ln2_rstd + (size_t)l * N;
        float *l_fch = a->fch + l * Nd * 4, *l_fch_gelu = a->fch_gelu + l * Nd * 4;
        float *l_residual3 = a->residual3 + l * Nd;

        df_layernorm_forward(l_ln1, l_ln1_mean, l_ln1_rstd, residual, p->ln1w + (size_t)l * d, p->ln1b + (size_t)l * d,
                             N, d);
        df_linear_forward(l_qkv, l_ln1, p->qkvw + (size_t)l * d * 3 * d, p->qkvb + (size_t)l * 3 * d, N, d, 3 * d);
        df_attention_forward(l_atty, l_att, l_qkv, B, T, d, H);
        df_linear_forward(l_residual2, l_atty, p->attprojw + (size_t)l * d * d, p->attprojb + (size_t)l * d, N, d, d);
        df_residual_forward(l_residual2, residual, l_residual2, (int)Nd);
        df_layernorm_forward(l_ln2, l_ln2_mean, l_ln2_rstd, l_residual2, p->ln2w + (size_t)l * d,
                             p->ln2b + (size_t)l * d, N, d);
        df_linear_forward(l_fch, l_ln2, p->fcw + (size_t)l * d * 4 * d, p->fcb + (size_t)l * 4 * d, N, d, 4 * d);
        df_gelu_forward(l_fch_gelu, l_fch, (int)(Nd * 4));
        df_linear_forward(l_residual3, l_fch_gelu, p->fcprojw + (size_t)l * 4 * d * d, p->fcprojb + (size_t)l * d, N,
                          4 * d, d);
        df_residual_forward(l_residual3, l_residual2, l_residual3, (int)Nd);
        residual = l_residual3;
    }
    df_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, residual, p->lnfw, p->lnfb, N, d);
    df_linear_forward(a->logits, a->lnf, p->w_head, p->b_head, N, d, A);
}

int df_gpt_forward(df_gpt *m, const float *x, const int32_t *targets, const uint8_t *mask, int B, int T, float *loss,
                   df_err *err) {
    df_err_clear(err);
    int rc = forward_dims(m, x, B, T, err);
    if (rc) return rc;
    const int A = m->cfg.A, N = B * T;
    if ((rc = check_targets(targets, mask, N, T, A, "", err))) return rc;
    trunk_forward(m, x, B, T);
    df_gpt_acts *a = &m->acts;
    int n_targets = 0;
    float mean_loss = df_xent_forward(a->probs, a->losses, a->logits, targets, mask, N, A, &n_targets);
    if (targets) memcpy(m->targets, targets, (size_t)N * sizeof *targets);
    m->have_targets = targets != NULL;
    m->last_n_targets = n_targets;
    m->heads = 0;
    if (loss) *loss = mean_loss;
    return DF_OK;
}

/* the second head's decisions: positions in [0, N), targets in [0, A2) allowed by their masks */
static int check_heads(const df_gpt *m, const df_gpt_heads *h, int N, int T, df_err *err) {
    const int A = m->cfg.A;
    if (h->A1 < 1 || h->A1 > A || (h->A1 == A && h->n > 0))
        return df_err_set(err, DF_EINVAL, NULL, "forward: first head of %d logits, the model has %d (need 1 <= A1 < A)",
                          (int)h->A1, A);
    if (h->n < 0 || h->n > 2 * N)
        return df_err_set(err, DF_ELIMIT, NULL, "forward: %d second-head decisions, at most %d (2 B T)", (int)h->n,
                          2 * N);
    if (h->n > 0 && (!h->row || !h->target))
        return df_err_set(err, DF_EINVAL, NULL, "forward: second-head decisions without positions or targets");
    if (!(h->weight >= 0.0f) || !isfinite(h->weight))
        return df_err_set(err, DF_EINVAL, NULL, "forward: second-head weight %g is not a finite value >= 0",
                          (double)h->weight);
    const int A2 = A - h->A1;
    for (int k = 0; k < h->n; k++) {
        int32_t r = h->row[k], tg = h->target[k];
        if (r < 0 || r >= N)
            return df_err_set(err, DF_EINVAL, NULL, "forward: second-head decision %d at position %d, not in [0, %d)",
                              k, (int)r, N);
        if (tg < 0 || tg >= A2)
            return df_err_set(err, DF_EINVAL, NULL,
                              "forward: second-head decision %d (batch %d position %d) has target %d, not in [0, %d)",
                              k, (int)r / T, (int)r % T, (int)tg, A2);
        if (h->mask2 && !h->mask2[(size_t)k * A2 + tg])
            return df_err_set(err, DF_EINVAL, NULL,
                              "forward: second-head decision %d (batch %d position %d): target %d is not allowed by "
                              "the mask",
                              k, (int)r / T, (int)r % T, (int)tg);
    }
    return DF_OK;
}

int df_gpt_forward_heads(df_gpt *m, const float *x, const df_gpt_heads *h, int B, int T, float *loss, float *loss1,
                         float *loss2, df_err *err) {
    df_err_clear(err);
    int rc = forward_dims(m, x, B, T, err);
    if (rc) return rc;
    if (!h) return df_err_set(err, DF_EINVAL, NULL, "forward: no heads");
    const int A = m->cfg.A, N = B * T, A1 = h->A1;
    if ((rc = check_heads(m, h, N, T, err)) || (rc = check_targets(h->targets, h->mask, N, T, A1, "first-head ", err)))
        return rc;
    trunk_forward(m, x, B, T);
    df_gpt_acts *a = &m->acts;
    // first head: position i's logits [0, A1) -> probs (N, A1); second head: decision k's [A1, A) -> (n, A2)
    int n1 = 0, n2 = 0;
    double sum1 = df_xent_rows_forward(a->probs, a->logits, A, NULL, h->targets, h->mask, N, A1, &n1);
    double sum2 =
        df_xent_rows_forward(m->head_probs, a->logits + A1, A, h->row, h->target, h->mask2, h->n, A - A1, &n2);
    float mean1 = n1 ? (float)(sum1 / n1) : 0.0f, mean2 = n2 ? (float)(sum2 / n2) : 0.0f;
    if (h->targets) memcpy(m->targets, h->targets, (size_t)N * sizeof *m->targets);
    if (h->n) {
        memcpy(m->head_row, h->row, (size_t)h->n * sizeof *m->head_row);
        memcpy(m->head_tg, h->target, (size_t)h->n * sizeof *m->head_tg);
    }
    m->heads = 1;
    m->head_A1 = A1;
    m->head_n2 = n2;
    m->head_weight = h->weight;
    m->have_targets = h->targets != NULL || n2 > 0;
    m->last_n_targets = n1;
    if (loss) *loss = mean1 + h->weight * mean2;
    if (loss1) *loss1 = mean1;
    if (loss2) *loss2 = mean2;
    return DF_OK;
}

int df_gpt_backward(df_gpt *m, df_err *err) {
    df_err_clear(err);
    if (!m || !m->acts_memory || !m->last_B)
        return df_err_set(err, DF_EINVAL, NULL, "backward: no forward pass to differentiate");
    if (!m->have_targets)
        return df_err_set(err, DF_EINVAL, NULL, "backward: the last forward had no targets (no loss)");
    const int B = m->last_B, T = m->last_T, N = B * T;
    const int F = m->cfg.F, A = m->cfg.A, d = m->cfg.d, L = m->cfg.L, H = m->cfg.H;
    const size_t Nd = (size_t)N * d;
    const df_gpt_params *p = &m->params;
    df_gpt_params *g = &m->grads;
    df_gpt_acts *a = &m->acts;

    // loss -> logits -> lnf
    memset(a->dlogits, 0, (size_t)N * A * sizeof(float));
    if (!m->heads) {
        df_xent_backward(a->dlogits, a->probs, m->targets, N, A, m->last_n_targets);
    } else { // two heads: each one's columns of dlogits (N, A); the first head's probs are (N, A1)
        const int A1 = m->head_A1;
        if (m->last_n_targets > 0)
            df_xent_rows_backward(a->dlogits, A, NULL, a->probs, m->targets, N, A1, 1.0f / (float)m->last_n_targets);
        if (m->head_n2 > 0)
            df_xent_rows_backward(a->dlogits + A1, A, m->head_row, m->head_probs, m->head_tg, m->head_n2, A - A1,
                                  m->head_weight / (float)m->head_n2);
    }
    memset(a->dbuf, 0, Nd * sizeof(float));
    df_linear_backward(a->dbuf, g->w_head, g->b_head, a->dlogits, a->lnf, p->w_head, N, d, A);
    const float *last = a->residual3 + (size_t)(L - 1) * Nd;
    memset(a->dresidual, 0, Nd * sizeof(float));
    df_layernorm_backward(a->dresidual, g->lnfw, g->lnfb, a->dbuf, last, p->lnfw, a->lnf_mean, a->lnf_rstd, N, d);

    // blocks in reverse; a->dresidual carries the gradient of the residual stream
    for (int l = L - 1; l >= 0; l--) {
        const float *residual = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * Nd;
        const float *l_ln1 = a->ln1 + l * Nd, *l_ln1_mean = a->ln1_mean + (size_t)l * N;
        const float *l_ln1_rstd = a->ln1_rstd + (size_t)l * N;
        const float *l_qkv = a->qkv + l * Nd * 3, *l_atty = a->atty + l * Nd;
        const float *l_att = a->att + (size_t)l * B * H * T * T;
        const float *l_residual2 = a->residual2 + l * Nd, *l_ln2 = a->ln2 + l * Nd;
        const float *l_ln2_mean = a->ln2_mean + (size_t)l * N, *l_ln2_rstd = a->ln2_rstd + (size_t)l * N;
        const float *l_fch = a->fch + l * Nd * 4, *l_fch_gelu = a->fch_gelu + l * Nd * 4;

        // MLP branch: residual3 = residual2 + fc_proj(gelu(fc(ln2(residual2))))
        memset(a->dfch_gelu, 0, Nd * 4 * sizeof(float));
        df_linear_backward(a->dfch_gelu, g->fcprojw + (size_t)l * 4 * d * d, g->fcprojb + (size_t)l * d, a->dresidual,
                           l_fch_gelu, p->fcprojw + (size_t)l * 4 * d * d, N, 4 * d, d);
        memset(a->dfch, 0, Nd * 4 * sizeof(float));
        df_gelu_backward(a->dfch, l_fch, a->dfch_gelu, (int)(Nd * 4));
        memset(a->dbuf, 0, Nd * sizeof(float));
        df_linear_backward(a->dbuf, g->fcw + (size_t)l * d * 4 * d, g->fcb + (size_t)l * 4 * d, a->dfch, l_ln2,
                           p->fcw + (size_t)l * d * 4 * d, N, d, 4 * d);
        df_layernorm_backward(a->dresidual, g->ln2w + (size_t)l * d, g->ln2b + (size_t)l * d, a->dbuf, l_residual2,
                              p->ln2w + (size_t)l * d, l_ln2_mean, l_ln2_rstd, N, d);
        // attention branch: residual2 = residual + attn_proj(attention(qkv(ln1(residual))))
        memset(a->dbuf, 0, Nd * sizeof(float));
        df_linear_backward(a->dbuf, g->attprojw + (size_t)l * d * d, g->attprojb + (size_t)l * d, a->dresidual, l_atty,
                           p->attprojw + (size_t)l * d * d, N, d, d);
        memset(a->dqkv, 0, Nd * 3 * sizeof(float));
        df_attention_backward(a->dqkv, a->datt, a->dbuf, l_qkv, l_att, B, T, d, H);
        memset(a->dbuf, 0, Nd * sizeof(float));
        df_linear_backward(a->dbuf, g->qkvw + (size_t)l * d * 3 * d, g->qkvb + (size_t)l * 3 * d, a->dqkv, l_ln1,
                           p->qkvw + (size_t)l * d * 3 * d, N, d, 3 * d);
        df_layernorm_backward(a->dresidual, g->ln1w + (size_t)l * d, g->ln1b + (size_t)l * d, a->dbuf, residual,
                              p->ln1w + (size_t)l * d, l_ln1_mean, l_ln1_rstd, N, d);
    }
    // position embedding and input projection (no gradient wanted for the input itself)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *dr = a->dresidual + ((size_t)b * T + t) * d;
            float *dw = g->wpe + (size_t)t * d;
            for (int i = 0; i < d; i++) dw[i] += dr[i];
        }
    df_linear_backward(NULL, g->w_in, g->b_in, a->dresidual, a->inp, p->w_in, N, F, d);
    return DF_OK;
}

void df_gpt_zero_grad(df_gpt *m) {
    if (m && m->grads_memory) memset(m->grads_memory, 0, m->num_params * sizeof(float));
}

df_adamw_opts df_adamw_defaults(void) {
    df_adamw_opts o = {3e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f};
    return o;
}

int df_gpt_update(df_gpt *m, const df_adamw_opts *opt, float *grad_norm, df_err *err) {
    df_err_clear(err);
    if (!m || !m->grads_memory) return df_err_set(err, DF_EINVAL, NULL, "update: call df_gpt_train_alloc first");
    if (!opt) return df_err_set(err, DF_EINVAL, NULL, "update: no optimiser settings");
    double norm = df_grad_norm(m->grads_memory, m->num_params);
    if (grad_norm) *grad_norm = (float)norm;
    if (!isfinite(norm))
        return df_err_set(err, DF_EINVAL, NULL, "update: gradient norm is not finite (%g); step refused", norm);
    df_grad_clip(m->grads_memory, m->num_params, norm, opt->max_grad_norm);
    m->step++;
    for (int i = 0; i < DF_GPT_NUM_TENSORS; i++) {
        const df_gpt_tensor *t = &m->tensors[i];
        df_adamw_update(m->params_memory + t->offset, m->grads_memory + t->offset, m->m_memory + t->offset,
                        m->v_memory + t->offset, t->count, opt->lr, opt->beta1, opt->beta2, opt->eps,
                        t->decay ? opt->weight_decay : 0.0f, m->step);
    }
    return DF_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* inference with a KV cache */

/* build switch: make the binary16 weight panels the default even for weights that are not binary16
 * values (make CFLAGS+=-DDF_F16_WEIGHTS_DEFAULT=1); without it they are the default exactly when
 * df_gpt_f16_lossless (then their products equal the float panels' bit for bit) */
#ifndef DF_F16_WEIGHTS_DEFAULT
#define DF_F16_WEIGHTS_DEFAULT 0
#endif

/* n bytes on whole cache lines, freed with free(): the kernels load 16 floats (64 bytes) or 16 halves
 * (32) at a time, and malloc's large blocks (mmap) start 16 bytes past a line, so every float load of
 * the weight panels and the KV cache, and every second binary16 one, straddled two lines. NULL when
 * out of memory. */
static void *alloc_lines(size_t n) {
    void *p;
    return posix_memalign(&p, 64, n ? n : 1) ? NULL : p;
}

struct df_gpt_infer {
    const df_gpt *m;
    int max_seqs;
    int exact;      /* 1: the exact-math reference kernels (df_gpt_infer_set_exact) */
    int m1_sgemm;   /* one-row products through sgemm (df_blas_small_kernel) */
    int32_t Tb;     /* cfg.T rounded up to whole key blocks (DF_ATT_BLOCK) */
    int32_t *len;   /* (max_seqs) positions cached per slot */
    uint32_t *mark; /* (max_seqs) step stamp, to refuse a slot used twice in one step */
    uint32_t stamp;
    float *kcache;  /* (max_seqs, L, Tb/16, d, 16) keys, blocked for df_attention_step */
    float *vcache;  /* (max_seqs, L, T, d) values */
    float *res;     /* (max_seqs, d) residual stream */
    float *ln;      /* (max_seqs, d) layernorm output */
    float *qkv;     /* (max_seqs, 3d) */
    float *atty;    /* (max_seqs, d) attention output, then the MLP branch output */
    float *fch;     /* (max_seqs, 4d) */
    float *krow;    /* (T, d) plain key rows of one slot (exact path) */
    int use_packed; /* 1: the packed products when packed != NULL (df_gpt_infer_set_packed) */
    float *packed;  /* every weight matrix re-laid by df_linear_pack (NULL: cblas), pointed into by: */
    const float *pw_in, *pw_head, *pqkv[DF_GPT_MAX_L], *pproj[DF_GPT_MAX_L], *pfc[DF_GPT_MAX_L], *pfcproj[DF_GPT_MAX_L];
    int use_f16;        /* 1: the products on packed16 (df_gpt_infer_set_f16) */
    uint16_t *packed16; /* the same panels rounded to binary16, at the same offsets as packed (or NULL) */
};

void df_gpt_infer_free(df_gpt_infer *c) {
    if (!c) return;
    free(c->len);
    free(c->mark);
    free(c->kcache);
    free(c->vcache);
    free(c->res);
    free(c->ln);
    free(c->qkv);
    free(c->atty);
    free(c->fch);
    free(c->krow);
    free(c->packed);
    free(c->packed16);
    free(c);
}

/* The weight matrices the decode's packed products read (infer_pack), in their fixed order: w_in,
 * w_head, then per block qkvw, attprojw, fcw, fcprojw. With a decode context c, each one's dst is its
 * panels' place in c (NULL without). Returns how many (2 + 4 L). */
typedef struct {
    float *w; /* (in, out) */
    int in, out;
    const float **dst;
} packed_mat;

static int packed_mats(const df_gpt *m, df_gpt_infer *c, packed_mat mat[4 * DF_GPT_MAX_L + 2]) {
    const df_gpt_config *g = &m->cfg;
    const df_gpt_params *p = &m->params;
    const int d = g->d;
    int k = 0;
#define MAT(W, IN, OUT, DST) \
    (mat[k].w = (W), mat[k].in = (IN), mat[k].out = (OUT), mat[k].dst = c ? &c->DST : NULL, k++)
    MAT(p->w_in, g->F, d, pw_in);
    MAT(p->w_head, d, g->A, pw_head);
    for (int l = 0; l < g->L; l++) {
        MAT(p->qkvw + (size_t)l * d * 3 * d, d, 3 * d, pqkv[l]);
        MAT(p->attprojw + (size_t)l * d * d, d, d, pproj[l]);
        MAT(p->fcw + (size_t)l * d * 4 * d, d, 4 * d, pfc[l]);
        MAT(p->fcprojw + (size_t)l * 4 * d * d, 4 * d, d, pfcproj[l]);
    }
#undef MAT
    return k;
}

int df_gpt_f16_lossless(const df_gpt *m) {
    if (!m || !m->params_memory) return 0;
    packed_mat mat[4 * DF_GPT_MAX_L + 2];
    int k = packed_mats(m, NULL, mat);
    for (int i = 0; i < k; i++)
        if (!df_f16_exact_all(mat[i].w, (size_t)mat[i].in * mat[i].out)) return 0;
    return 1;
}

size_t df_gpt_round_f16(df_gpt *m, double *max_rel) {
    size_t changed = 0;
    double worst = 0.0;
    if (m && m->params_memory) {
        packed_mat mat[4 * DF_GPT_MAX_L + 2];
        int k = packed_mats(m, NULL, mat);
        for (int i = 0; i < k; i++)
            for (size_t j = 0; j < (size_t)mat[i].in * mat[i].out; j++) {
                float x = mat[i].w[j], y = df_f16_to_float(df_f16_from_float(x));
                if (memcmp(&x, &y, sizeof x) == 0) continue;
                changed++;
                if (x != 0.0f && isfinite(y)) worst = fmax(worst, fabs(((double)y - x) / x));
                mat[i].w[j] = y;
            }
    }
    if (max_rel) *max_rel = worst;
    return changed;
}

/* Re-lays every weight matrix for df_linear_infer (AVX-512 machines); elsewhere nothing (cblas). The
 * float panels are laid in packed_mats' order and the binary16 copy of each at the same offset as its
 * float panels. */
static int infer_pack(df_gpt_infer *c) {
    if (!df_linear_packed_ok()) return DF_OK;
    packed_mat mat[4 * DF_GPT_MAX_L + 2];
    int k = packed_mats(c->m, c, mat);
    size_t n = 0;
    for (int i = 0; i < k; i++) n += df_linear_pack_floats(mat[i].in, mat[i].out);
    float *q = c->packed = alloc_lines(n * sizeof(float));
    if (!q) return DF_ENOMEM;
    c->packed16 = alloc_lines(n * sizeof(uint16_t));
    if (!c->packed16) return DF_ENOMEM;
    for (int i = 0; i < k; i++) {
        df_linear_pack(q, mat[i].w, mat[i].in, mat[i].out);
        df_linear_pack_f16(c->packed16 + (q - c->packed), mat[i].w, mat[i].in, mat[i].out);
        *mat[i].dst = q;
        q += df_linear_pack_floats(mat[i].in, mat[i].out);
    }
    return DF_OK;
}

int df_gpt_infer_init(df_gpt_infer **ctx, const df_gpt *m, int max_seqs, df_err *err) {
    df_err_clear(err);
    if (!ctx) return df_err_set(err, DF_EINVAL, NULL, "infer_init: no context pointer");
    *ctx = NULL;
    if (!m || !m->params_memory) return df_err_set(err, DF_EINVAL, NULL, "infer_init: model not loaded");
    if (max_seqs < 1 || max_seqs > 65536)
        return df_err_set(err, DF_EINVAL, NULL, "infer_init: max_seqs = %d out of range [1, 65536]", max_seqs);
    size_t Tb = ((size_t)m->cfg.T + DF_ATT_BLOCK - 1) / DF_ATT_BLOCK * DF_ATT_BLOCK;
    size_t S = (size_t)max_seqs, d = (size_t)m->cfg.d, cache = S * (size_t)m->cfg.L * Tb * d;
    df_gpt_infer *c = calloc(1, sizeof *c);
    if (!c) return df_err_set(err, DF_ENOMEM, NULL, "infer_init: out of memory");
    c->m = m;
    c->max_seqs = max_seqs;
    c->Tb = (int32_t)Tb;
    c->m1_sgemm = df_blas_small_kernel();
    c->len = calloc(S, sizeof *c->len);
    c->mark = calloc(S, sizeof *c->mark);
    c->kcache = alloc_lines(cache * sizeof(float));
    c->vcache = alloc_lines(cache * sizeof(float));
    c->res = alloc_lines(S * d * sizeof(float));
    c->ln = alloc_lines(S * d * sizeof(float));
    c->qkv = alloc_lines(S * 3 * d * sizeof(float));
    c->atty = alloc_lines(S * d * sizeof(float));
    c->fch = alloc_lines(S * 4 * d * sizeof(float));
    c->krow = malloc((size_t)m->cfg.T * d * sizeof(float));
    if (!c->len || !c->mark || !c->kcache || !c->vcache || !c->res || !c->ln || !c->qkv || !c->atty || !c->fch ||
        !c->krow) {
        df_gpt_infer_free(c);
        return df_err_set(err, DF_ENOMEM, NULL, "infer_init: cannot allocate a KV cache of 2 x %zu floats", cache);
    }
    if (infer_pack(c)) {
        df_gpt_infer_free(c);
        return df_err_set(err, DF_ENOMEM, NULL, "infer_init: cannot allocate the packed weights");
    }
    c->use_packed = c->packed != NULL;
    c->use_f16 = (DF_F16_WEIGHTS_DEFAULT || df_gpt_f16_lossless(m)) && c->packed16 != NULL;
    *ctx = c;
    return DF_OK;
}

void df_gpt_infer_reset_slot(df_gpt_infer *c, int slot) {
    if (c && slot >= 0 && slot < c->max_seqs) c->len[slot] = 0;
}

int df_gpt_infer_slot_len(const df_gpt_infer *c, int slot) {
    return (c && slot >= 0 && slot < c->max_seqs) ? c->len[slot] : -1;
}

int df_gpt_infer_max_seqs(const df_gpt_infer *c) { return c ? c->max_seqs : 0; }

int df_gpt_infer_set_packed(df_gpt_infer *c, int on) {
    if (!c) return 0;
    c->use_packed = on && c->packed;
    return c->use_packed;
}

int df_gpt_infer_set_f16(df_gpt_infer *c, int on) {
    if (!c) return 0;
    c->use_f16 = on && c->packed16;
    return c->use_f16;
}

int df_gpt_infer_f16(const df_gpt_infer *c) { return c ? c->use_f16 : 0; }

void df_gpt_infer_set_exact(df_gpt_infer *c, int exact) {
    if (c) c->exact = exact != 0;
}

/* out (n,OUT) = inp (n,IN) . w + b: the packed kernel when the weights were packed (and not in exact
 * mode), else cblas */
static void infer_linear(const df_gpt_infer *c, float *out, const float *inp, const float *packed, const float *w,
                         const float *b, int n, int IN, int OUT) {
    if (packed && c->use_packed && !c->exact && c->use_f16)
        df_linear_infer_f16(out, inp, c->packed16 + (packed - c->packed), w, b, n, IN, OUT);
    else if (packed && c->use_packed && !c->exact)
        df_linear_infer(out, inp, packed, w, b, n, IN, OUT);
    else
        df_linear_forward_ex(out, inp, w, b, n, IN, OUT, c->m1_sgemm);
}

int df_gpt_infer_step(df_gpt_infer *c, int n, const int32_t *slot, const int32_t *pos, const float *x, float *logits,
                      df_err *err) {
    df_err_clear(err);
    if (!c) return df_err_set(err, DF_EINVAL, NULL, "infer_step: no context");
    if (n < 0 || n > c->max_seqs)
        return df_err_set(err, DF_ELIMIT, NULL, "infer_step: %d active sequences, context holds %d", n, c->max_seqs);
    if (n == 0) return DF_OK;
    if (!slot || !pos || !x || !logits) return df_err_set(err, DF_EINVAL, NULL, "infer_step: NULL argument");
    const df_gpt *m = c->m;
    const int F = m->cfg.F, A = m->cfg.A, d = m->cfg.d, L = m->cfg.L, H = m->cfg.H, T = m->cfg.T;
    // validate everything before touching state
    if (++c->stamp == 0) { // wrapped: clear stale marks
        memset(c->mark, 0, (size_t)c->max_seqs * sizeof *c->mark);
        c->stamp = 1;
    }
    for (int i = 0; i < n; i++) {
        int s = slot[i];
        if (s < 0 || s >= c->max_seqs)
            return df_err_set(err, DF_EINVAL, NULL, "infer_step: row %d slot %d out of range [0, %d)", i, s,
                              c->max_seqs);
        if (c->mark[s] == c->stamp)
            return df_err_set(err, DF_EINVAL, NULL, "infer_step: slot %d appears twice in one step", s);
        c->mark[s] = c->stamp;
        if (pos[i] < 0 || pos[i] >= T || pos[i] > c->len[s])
            return df_err_set(err, DF_EINVAL, NULL,
                              "infer_step: row %d slot %d position %d invalid (slot holds %d positions, context %d)", i,
                              s, (int)pos[i], (int)c->len[s], T);
    }
    const df_gpt_params *p = &m->params;
    const int ex = c->exact;
    // K: (slot, layer) blocks of Tb x d, blocked by 16 positions; V: (slot, layer) rows of T x d
    const size_t kslot = (size_t)L * c->Tb * d, klayer = (size_t)c->Tb * d;
    const size_t vslot = (size_t)L * T * d, vlayer = (size_t)T * d;

    infer_linear(c, c->res, x, c->pw_in, p->w_in, p->b_in, n, F, d);
    for (int i = 0; i < n; i++)
        df_residual_infer(c->res + (size_t)i * d, c->res + (size_t)i * d, p->wpe + (size_t)pos[i] * d, d);

    for (int l = 0; l < L; l++) {
        // res (n,d) -> ln (n,d) -> qkv (n,3d)
        if (ex)
            df_layernorm_forward(c->ln, NULL, NULL, c->res, p->ln1w + (size_t)l * d, p->ln1b + (size_t)l * d, n, d);
        else
            df_layernorm_infer(c->ln, c->res, p->ln1w + (size_t)l * d, p->ln1b + (size_t)l * d, n, d);
        infer_linear(c, c->qkv, c->ln, c->pqkv[l], p->qkvw + (size_t)l * d * 3 * d, p->qkvb + (size_t)l * 3 * d, n, d,
                     3 * d);
        for (int i = 0; i < n; i++) {
            // append this position's key and value, then attend over positions 0..pos: atty (d)
            const float *q = c->qkv + (size_t)i * 3 * d;
            float *kb = c->kcache + (size_t)slot[i] * kslot + (size_t)l * klayer;
            float *vc = c->vcache + (size_t)slot[i] * vslot + (size_t)l * vlayer;
            int ctx = pos[i] + 1;
            df_attention_key_store(kb, pos[i], q + d, d);
            memcpy(vc + (size_t)pos[i] * d, q + 2 * d, (size_t)d * sizeof(float));
            float *y = c->atty + (size_t)i * d;
            if (ex) {
                for (int t = 0; t < ctx; t++) // un-block the keys for the reference
                    for (int k = 0; k < d; k++)
                        c->krow[(size_t)t * d + k] = kb[(size_t)(t / DF_ATT_BLOCK) * d * DF_ATT_BLOCK +
                                                        (size_t)k * DF_ATT_BLOCK + t % DF_ATT_BLOCK];
                df_attention_step_naive(y, q, c->krow, vc, ctx, d, H);
            } else {
                df_attention_step(y, q, kb, vc, ctx, d, H);
            }
        }
        // attention projection into ln (free now), added to the residual stream
        infer_linear(c, c->ln, c->atty, c->pproj[l], p->attprojw + (size_t)l * d * d, p->attprojb + (size_t)l * d, n, d,
                     d);
        df_residual_infer(c->res, c->res, c->ln, n * d);
        // MLP: res -> ln (n,d) -> fch (n,4d) -> gelu -> atty (n,d), added to the residual stream
        if (ex)
            df_layernorm_forward(c->ln, NULL, NULL, c->res, p->ln2w + (size_t)l * d, p->ln2b + (size_t)l * d, n, d);
        else
            df_layernorm_infer(c->ln, c->res, p->ln2w + (size_t)l * d, p->ln2b + (size_t)l * d, n, d);
        infer_linear(c, c->fch, c->ln, c->pfc[l], p->fcw + (size_t)l * d * 4 * d, p->fcb + (size_t)l * 4 * d, n, d,
                     4 * d);
        if (ex)
            df_gelu_exact(c->fch, c->fch, n * 4 * d);
        else
            df_gelu_infer(c->fch, c->fch, n * 4 * d);
        infer_linear(c, c->atty, c->fch, c->pfcproj[l], p->fcprojw + (size_t)l * 4 * d * d, p->fcprojb + (size_t)l * d,
                     n, 4 * d, d);
        df_residual_infer(c->res, c->res, c->atty, n * d);
    }
    if (ex)
        df_layernorm_forward(c->ln, NULL, NULL, c->res, p->lnfw, p->lnfb, n, d);
    else
        df_layernorm_infer(c->ln, c->res, p->lnfw, p->lnfb, n, d);
    infer_linear(c, logits, c->ln, c->pw_head, p->w_head, p->b_head, n, d, A);
    for (int i = 0; i < n; i++) c->len[slot[i]] = pos[i] + 1;
    return DF_OK;
}

double df_gpt_infer_flops(const df_gpt_config *c, int pos) {
    double d = c->d, L = c->L;
    double matmul = (double)c->F * d + L * (3 * d * d + d * d + 4 * d * d + 4 * d * d) + d * (double)c->A;
    return 2.0 * matmul + 4.0 * L * d * (double)(pos + 1);
}
