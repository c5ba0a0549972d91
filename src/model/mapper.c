/* mapper.c - batched, masked autoregressive decoding of fusion mappings with the pretrained GPT
 * (see mapper.h). Buffers are allocated once for max_seqs; the step allocates nothing.
 *
 * Any length: a candidate keeps the (normalised) input row of every layer it decided. When its slot's
 * context is full (position T) and layers remain, the slot is emptied and the last `window` rows are
 * fed again at positions 0..window-1 (replay steps: the row rides along in the batched step, its
 * logits are ignored), then decoding goes on at position window. The partial schedule itself lives in
 * the schedule and its features, so nothing else changes. window = 0: chunks, no replay. */
#include "dnnfuser/mapper.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    df_mapper_job *job; /* NULL = free slot; else bound to candidate `cand` of job (DECODING/REPLAYING) */
    int32_t cand;       /* candidate index within the job */
} slot_t;

typedef struct {
    df_cand_state state; /* mapper.h: the lifecycle; holds `slot` exactly while DECODING or REPLAYING */
    df_sched s;
    df_group_memo *memo; /* the open group's evaluation, grown layer by layer (df_sched_observe_step_memo) */
    int32_t *actions;    /* [L] */
    int32_t *closes;     /* [L] depth-first layout: close slot of the group ending at each layer */
    float *xs;           /* [L, F] normalised input rows fed so far (replayed when the context slides) */
    int32_t slot;        /* -1 in every terminal state */
    int32_t pos;         /* next position in the slot's context */
    int32_t replay;      /* rows still to replay before decoding resumes */
    int32_t replay_src;  /* layer whose row is replayed next */
    double value;        /* objective value of the finished mapping (INFINITY if none) */
    int32_t dead_layer;  /* DEAD_END: the layer no action was allowed at (else -1) */
    int32_t fault_at;    /* tests (df_mapper_job_fault): treat this layer as a dead end (else -1) */
} cand_t;

struct df_mapper_job {
    const df_net *net;
    df_objective obj;
    int32_t k, remaining, steps;
    df_episode ep;
    cand_t *cand;
    df_rng rng;
    void *user;
    df_job_state state;       /* mapper.h: DECODING -> DONE (on the done list) -> TAKEN */
    df_slot_entry *share;     /* [k] depth-first, k > 1: the candidates' close-slot evaluations of a step */
    df_mapper_job *next_done; /* the done list (state DONE) */
};

struct df_mapper {
    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    df_gpt_infer *ctx;
    int32_t max_seqs, active;
    int32_t window;     /* rows replayed when a context slides (df_mapper_set_window) */
    int layout;         /* df_action_layout of the weights (meta) */
    int32_t A;          /* model outputs per row: DF_ACTIONS, or DF_DF_OUTPUTS (depth-first) */
    slot_t *slots;      /* [max_seqs] */
    int32_t *step_slot; /* [max_seqs] */
    int32_t *step_pos;  /* [max_seqs] */
    float *x;           /* [max_seqs, F] */
    float *logits;      /* [max_seqs, A] */
    uint8_t *cmask;     /* [DF_CLOSE_SLOTS] depth-first close mask (one decision at a time) */
    uint8_t *mask;      /* [max_seqs, A] */
    uint8_t *decide;    /* [max_seqs] row takes a decision this step (0: a replay row) */
    df_mapper_job *done_head, *done_tail;
};

int df_mapper_from_model(df_mapper **out, df_gpt *model, df_feature_norm *norm, const df_train_meta *meta,
                         int32_t max_seqs, df_err *err) {
    *out = NULL;
    df_mapper *m = calloc(1, sizeof *m);
    if (!m) {
        df_gpt_free(model);
        df_feature_norm_free(norm);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    m->model = *model;
    m->norm = *norm;
    memset(model, 0, sizeof *model);
    memset(norm, 0, sizeof *norm);
    if (meta) m->meta = *meta;
    int rc;
    const df_gpt_config *c = &m->model.cfg;
    m->layout = (int)m->meta.layout;
    m->A = m->layout == DF_LAYOUT_DEPTH_FIRST ? DF_DF_OUTPUTS : DF_ACTIONS;
    if (c->F != DF_FEATURES || c->A != m->A || m->norm.F != DF_FEATURES) {
        rc = df_err_set(err, DF_EINVAL, NULL,
                        "weights expect %d features and %d actions, this build has %d and %d for the %s layout "
                        "(HINT: retrain with `make weights`)",
                        c->F, c->A, DF_FEATURES, m->A, m->layout == DF_LAYOUT_DEPTH_FIRST ? "depth_first" : "batch");
        df_mapper_free(m);
        return rc;
    }
    if (max_seqs < 1 || max_seqs > 4096) {
        rc = df_err_set(err, DF_EINVAL, NULL, "max_seqs = %d out of range [1, 4096]", max_seqs);
        df_mapper_free(m);
        return rc;
    }
    m->max_seqs = max_seqs;
    m->window = 0; /* chunks: bench_transformer `long` (T = 192; efficientnet_v2_s, resnet152, a 400-layer
                    * chain at 1-64 MiB) measured the same greedy / exact cost to 4 digits for windows 0, T/4,
                    * T/2 and 3T/4 (worst 1.0065 for each), and window T/4 costs 20-24% more decode steps
                    * there (237 -> 285, 208 -> 256, 400 -> 496); their time differed less than the noise */
    if ((rc = df_gpt_infer_init(&m->ctx, &m->model, max_seqs, err))) {
        df_mapper_free(m);
        return rc;
    }
    m->slots = calloc((size_t)max_seqs, sizeof *m->slots);
    m->step_slot = calloc((size_t)max_seqs, sizeof *m->step_slot);
    m->step_pos = calloc((size_t)max_seqs, sizeof *m->step_pos);
    m->x = calloc((size_t)max_seqs * DF_FEATURES, sizeof *m->x);
    m->logits = calloc((size_t)max_seqs * m->A, sizeof *m->logits);
    m->cmask = calloc(DF_CLOSE_SLOTS, 1);
    m->mask = calloc((size_t)max_seqs * DF_ACTIONS, 1);
    m->decide = calloc((size_t)max_seqs, 1);
    if (!m->slots || !m->step_slot || !m->step_pos || !m->x || !m->logits || !m->mask || !m->decide || !m->cmask) {
        df_mapper_free(m);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    *out = m;
    return DF_OK;
}

int df_mapper_load(df_mapper **out, const char *path, int32_t max_seqs, df_err *err) {
    df_gpt model;
    df_feature_norm norm;
    df_train_meta meta;
    *out = NULL;
    int rc = df_weights_load(path, &model, &norm, &meta, err);
    if (rc) return rc;
    return df_mapper_from_model(out, &model, &norm, &meta, max_seqs, err);
}

/* gives candidate c's slot back (it leaves DECODING or REPLAYING for `to`) */
static void cand_leave(df_mapper *m, df_mapper_job *j, int32_t c, df_cand_state to) {
    cand_t *cd = &j->cand[c];
    if (cd->slot >= 0) {
        m->slots[cd->slot].job = NULL;
        df_gpt_infer_reset_slot(m->ctx, cd->slot);
        cd->slot = -1;
        m->active--;
    }
    cd->state = to;
}

/* cancels the candidates still decoding (a job freed before it is done) */
static void job_release(df_mapper *m, df_mapper_job *j) {
    for (int32_t c = 0; c < j->k; c++)
        if (j->cand[c].state == DF_CAND_DECODING || j->cand[c].state == DF_CAND_REPLAYING)
            cand_leave(m, j, c, DF_CAND_CANCELLED);
}

static void job_destroy(df_mapper_job *j) {
    if (!j) return;
    if (j->cand)
        for (int32_t c = 0; c < j->k; c++) {
            free(j->cand[c].actions);
            free(j->cand[c].closes);
            free(j->cand[c].xs);
            df_group_memo_free(j->cand[c].memo);
        }
    free(j->cand);
    free(j->share);
    df_episode_free(&j->ep);
    free(j);
}

void df_mapper_free(df_mapper *m) {
    if (!m) return;
    if (m->slots)
        for (int32_t s = 0; s < m->max_seqs; s++)
            if (m->slots[s].job) {
                df_mapper_job *j = m->slots[s].job;
                job_release(m, j);
                if (j->state != DF_JOB_DONE) job_destroy(j); /* DONE ones are freed from the list below */
            }
    while (m->done_head) {
        df_mapper_job *j = m->done_head;
        m->done_head = j->next_done;
        job_destroy(j);
    }
    df_gpt_infer_free(m->ctx);
    df_gpt_free(&m->model);
    df_feature_norm_free(&m->norm);
    free(m->slots);
    free(m->step_slot);
    free(m->step_pos);
    free(m->x);
    free(m->logits);
    free(m->mask);
    free(m->decide);
    free(m->cmask);
    free(m);
}

const df_gpt_config *df_mapper_config(const df_mapper *m) { return &m->model.cfg; }
const df_train_meta *df_mapper_meta(const df_mapper *m) { return &m->meta; }
int df_mapper_layout(const df_mapper *m) { return m->layout; }
int32_t df_mapper_free_slots(const df_mapper *m) { return m->max_seqs - m->active; }
int32_t df_mapper_active(const df_mapper *m) { return m->active; }
void df_mapper_set_exact_math(df_mapper *m, int exact) { df_gpt_infer_set_exact(m->ctx, exact); }
int df_mapper_set_packed(df_mapper *m, int on) { return df_gpt_infer_set_packed(m->ctx, on); }
int df_mapper_set_f16(df_mapper *m, int on) { return df_gpt_infer_set_f16(m->ctx, on); }
int df_mapper_f16(const df_mapper *m) { return df_gpt_infer_f16(m->ctx); }
int df_mapper_f16_lossless(const df_mapper *m) { return df_gpt_f16_lossless(&m->model); }
int32_t df_mapper_set_window(df_mapper *m, int32_t window) {
    int32_t T = m->model.cfg.T;
    m->window = window < 0 ? 0 : window > T - 1 ? T - 1 : window;
    return m->window;
}
void *df_mapper_job_user(const df_mapper_job *j) { return j->user; }
int32_t df_mapper_job_steps(const df_mapper_job *j) { return j->steps; }
df_job_state df_mapper_job_state(const df_mapper_job *j) { return j->state; }
df_cand_state df_mapper_cand_state(const df_mapper_job *j, int32_t c, int32_t *dead_layer) {
    if (c < 0 || c >= j->k) return DF_CAND_CANCELLED;
    if (dead_layer) *dead_layer = j->cand[c].dead_layer;
    return j->cand[c].state;
}
void df_mapper_job_fault(df_mapper_job *j, int32_t c, int32_t layer) {
    if (c >= 0 && c < j->k) j->cand[c].fault_at = layer;
}

static void *dup_bytes(const void *src, size_t n, int *fail) {
    if (!src) return NULL;
    void *d = malloc(n ? n : 1);
    if (!d) *fail = 1;
    if (d) memcpy(d, src, n);
    return d;
}

int df_mapper_episode_clone(df_episode *dst, const df_episode *src, const df_net *net) {
    size_t L = (size_t)src->L;
    int fail = 0;
    *dst = *src;
    dst->net = net;
    dst->max_single_m = dup_bytes(src->max_single_m, L * sizeof *src->max_single_m, &fail);
    dst->lbl_cost = dup_bytes(src->lbl_cost, L * 3 * sizeof *src->lbl_cost, &fail);
    dst->static_feat = dup_bytes(src->static_feat, L * DF_FEATURES * sizeof *src->static_feat, &fail);
    dst->start_ok = dup_bytes(src->start_ok, L * sizeof *src->start_ok, &fail);
    dst->n_opts = dup_bytes(src->n_opts, L * sizeof *src->n_opts, &fail);
    dst->opts = dup_bytes(src->opts, L * DF_CLOSE_MAX_OPTIONS * sizeof *src->opts, &fail);
    dst->alone_cost = dup_bytes(src->alone_cost, L * 3 * sizeof *src->alone_cost, &fail);
    if (fail) df_episode_free(dst);
    return fail ? DF_ENOMEM : DF_OK;
}

const df_episode *df_mapper_job_episode(const df_mapper_job *j) { return &j->ep; }

int df_mapper_admit(df_mapper *m, const df_net *net, df_objective obj, int32_t k, uint64_t seed, void *user,
                    df_mapper_job **job, df_err *err) {
    return df_mapper_admit_ep(m, net, obj, k, seed, user, NULL, job, err);
}

int df_mapper_admit_ep(df_mapper *m, const df_net *net, df_objective obj, int32_t k, uint64_t seed, void *user,
                       const df_episode *tmpl, df_mapper_job **job, df_err *err) {
    *job = NULL;
    df_err_clear(err);
    int32_t L = df_net_layers(net);
    if (k < 1 || k > m->max_seqs)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_CANDIDATES, NULL, "candidates = %d out of range [1, %d]", k,
                                m->max_seqs);
    /* batch layout: the smallest footprint must fit; depth-first: checked per layer below (a tile may fit) */
    int rc = m->layout == DF_LAYOUT_DEPTH_FIRST ? DF_OK : df_net_check_budget(net, err);
    if (rc) return rc;
    if (df_mapper_free_slots(m) < k)
        return df_err_set(err, DF_ELIMIT, NULL, "%d decode slots free, %d needed", df_mapper_free_slots(m), k);
    df_mapper_job *j = calloc(1, sizeof *j);
    if (!j) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    j->net = net;
    j->obj = obj;
    j->k = j->remaining = k;
    j->user = user;
    j->state = DF_JOB_DECODING;
    df_rng_seed(&j->rng, seed);
    j->cand = calloc((size_t)k, sizeof *j->cand);
    /* a template of the same problem (the caller's cache) spares the per-layer cost evaluations */
    int use = tmpl && tmpl->L == L && tmpl->obj == obj && tmpl->layout == m->layout;
    if (use && j->cand && df_mapper_episode_clone(&j->ep, tmpl, net) != DF_OK) rc = DF_ENOMEM;
    if (!j->cand || rc || (!use && (rc = df_episode_init_layout(&j->ep, net, obj, m->layout, err)))) {
        if (rc == DF_ENOMEM) df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        job_destroy(j);
        return rc ? rc : df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    if (m->layout == DF_LAYOUT_DEPTH_FIRST)
        for (int32_t t = 0; t < L; t++)
            if (!j->ep.start_ok[t]) { /* no micro-batch and tile of this layer alone fits: no mapping does */
                job_destroy(j);
                return df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL,
                                        "layer %d fits the %lld-byte buffer in no micro-batch and tile", t,
                                        (long long)df_net_hw(net)->buffer_bytes);
            }
    for (int32_t c = 0; c < k; c++) {
        j->cand[c].slot = -1;
        j->cand[c].value = INFINITY;
        j->cand[c].dead_layer = j->cand[c].fault_at = -1;
        df_sched_begin(&j->cand[c].s);
        j->cand[c].actions = malloc((size_t)L * sizeof *j->cand[c].actions);
        j->cand[c].xs = malloc((size_t)L * DF_FEATURES * sizeof *j->cand[c].xs);
        if (m->layout == DF_LAYOUT_DEPTH_FIRST) j->cand[c].closes = malloc((size_t)L * sizeof *j->cand[c].closes);
        if (df_group_memo_new(net, &j->cand[c].memo) != DF_OK || !j->cand[c].actions || !j->cand[c].xs ||
            (m->layout == DF_LAYOUT_DEPTH_FIRST && !j->cand[c].closes)) {
            job_destroy(j);
            return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        }
    }
    if (m->layout == DF_LAYOUT_DEPTH_FIRST && k > 1) { /* out of memory: each candidate evaluates its own */
        j->share = malloc((size_t)k * sizeof *j->share);
        for (int32_t c = 0; j->share && c < k; c++) j->share[c].last = -1;
    }
    for (int32_t c = 0, s = 0; c < k; c++) {
        while (m->slots[s].job) s++;
        m->slots[s] = (slot_t){j, c};
        df_gpt_infer_reset_slot(m->ctx, s);
        j->cand[c].slot = s;
        j->cand[c].state = DF_CAND_DECODING;
        j->cand[c].pos = j->cand[c].replay = j->cand[c].replay_src = 0;
        m->active++;
    }
    *job = j;
    return DF_OK;
}

/* Masked argmax (greedy) or a sample of the masked softmax over n outputs. */
static int choose(const float *logits, const uint8_t *mask, int n, int greedy, df_rng *r) {
    int best = -1;
    for (int a = 0; a < n; a++)
        if (mask[a] && (best < 0 || logits[a] > logits[best])) best = a;
    if (greedy || best < 0) return best;
    double z = 0, p[DF_CLOSE_SLOTS > DF_ACTIONS ? DF_CLOSE_SLOTS : DF_ACTIONS];
    for (int a = 0; a < n; a++) z += p[a] = mask[a] ? exp((double)logits[a] - logits[best]) : 0;
    double u = df_rng_uniform(r) * z;
    for (int a = 0; a < n; a++) {
        if (!mask[a]) continue;
        if (u < p[a]) return a;
        u -= p[a];
    }
    return best;
}

/* candidate c leaves decoding for FINISHED (scored by the cost model) or DEAD_END (INFINITY); the job
 * is DONE when it was the last one decoding. Returns 1 when the job became DONE. */
static int end_candidate(df_mapper *m, df_mapper_job *j, int32_t c, df_cand_state to) {
    cand_t *cd = &j->cand[c];
    if (to == DF_CAND_FINISHED) {
        df_metrics mt; /* from the group costs the decode computed: no re-evaluation, no allocation */
        df_sched_metrics(&j->ep, &cd->s, &mt);
        if (mt.feasible) cd->value = df_objective_value(j->obj, &mt);
    } else {
        cd->value = INFINITY;
        cd->dead_layer = cd->s.t;
    }
    cand_leave(m, j, c, to);
    if (--j->remaining > 0) return 0;
    j->state = DF_JOB_DONE;
    if (m->done_tail)
        m->done_tail->next_done = j;
    else
        m->done_head = j;
    m->done_tail = j;
    return 1;
}

/* depth-first layout: closes candidate c's open group (last layer `last`) with a slot chosen from the
 * close logits under the cost model's mask; 1 = nothing feasible (never after an allowed action) */
static int close_group(df_mapper *m, df_mapper_job *j, int32_t c, const float *lg, int32_t last) {
    cand_t *cd = &j->cand[c];
    if (!df_sched_close_mask(&j->ep, &cd->s, m->cmask)) return 1;
    int k = choose(lg + DF_ACTIONS, m->cmask, DF_CLOSE_SLOTS, c == 0, &j->rng);
    if (k < 0 || df_sched_close(&j->ep, &cd->s, k)) return 1;
    cd->closes[last] = k;
    return 0;
}

int df_mapper_step(df_mapper *m, int32_t *finished, df_err *err) {
    if (finished) *finished = 0;
    const int32_t T = m->model.cfg.T;
    int32_t n = 0;
    for (int32_t s = 0; s < m->max_seqs; s++) {
        slot_t *sl = &m->slots[s];
        if (!sl->job) continue;
        cand_t *cd = &sl->job->cand[sl->cand];
        if (cd->pos == T && cd->replay == 0) { /* context full: slide (replay the last window rows) */
            int32_t w = m->window < cd->s.t ? m->window : cd->s.t;
            df_gpt_infer_reset_slot(m->ctx, s);
            cd->pos = 0;
            cd->replay = w;
            cd->replay_src = cd->s.t - w;
            if (w > 0) cd->state = DF_CAND_REPLAYING;
        }
        float *x = &m->x[(size_t)n * DF_FEATURES];
        if (cd->replay > 0) {
            memcpy(x, &cd->xs[(size_t)cd->replay_src * DF_FEATURES], DF_FEATURES * sizeof *x);
            m->decide[n] = 0;
        } else {
            df_sched_observe_step_shared(&sl->job->ep, &cd->s, cd->memo, sl->job->share,
                                         sl->job->share ? sl->job->k : 0, x, &m->mask[(size_t)n * DF_ACTIONS]);
            df_feature_norm_apply(&m->norm, x, 1);
            memcpy(&cd->xs[(size_t)cd->s.t * DF_FEATURES], x, DF_FEATURES * sizeof *x);
            m->decide[n] = 1;
        }
        m->step_slot[n] = s;
        m->step_pos[n] = cd->pos;
        n++;
    }
    if (n == 0) return DF_OK;
    int rc = df_gpt_infer_step(m->ctx, n, m->step_slot, m->step_pos, m->x, m->logits, err);
    if (rc) return rc;
    for (int32_t i = 0; i < n; i++) {
        slot_t *sl = &m->slots[m->step_slot[i]];
        df_mapper_job *j = sl->job;
        int32_t c = sl->cand;
        cand_t *cd = &j->cand[c];
        cd->pos++;
        if (c == 0) j->steps++;
        if (!m->decide[i]) { /* a replayed row: nothing to decide */
            cd->replay--;
            cd->replay_src++;
            if (cd->replay == 0) cd->state = DF_CAND_DECODING;
            continue;
        }
        const float *lg = &m->logits[(size_t)i * m->A];
        int a =
            cd->s.t == cd->fault_at ? -1 : choose(lg, &m->mask[(size_t)i * DF_ACTIONS], DF_ACTIONS, c == 0, &j->rng);
        cd->actions[cd->s.t] = a;
        int bad = a < 0;
        if (!bad && m->layout == DF_LAYOUT_DEPTH_FIRST && a > 0 && cd->s.t > 0)
            bad = close_group(m, j, c, lg, cd->s.t - 1); /* a start closes the open group first */
        if (!bad) bad = df_sched_apply(&j->ep, &cd->s, a) != DF_OK;
        if (!bad && m->layout == DF_LAYOUT_DEPTH_FIRST && cd->s.t == j->ep.L)
            bad = close_group(m, j, c, lg, cd->s.t - 1); /* the last group closes at the last layer */
        if (bad) {                                       /* a dead end: this row ends, the others go on */
            if (end_candidate(m, j, c, DF_CAND_DEAD_END) && finished) (*finished)++;
        } else if (cd->s.t == j->ep.L) {
            if (end_candidate(m, j, c, DF_CAND_FINISHED) && finished) (*finished)++;
        }
    }
    return DF_OK;
}

df_mapper_job *df_mapper_pop_done(df_mapper *m) {
    df_mapper_job *j = m->done_head;
    if (!j) return NULL;
    m->done_head = j->next_done;
    if (!m->done_head) m->done_tail = NULL;
    j->next_done = NULL;
    j->state = DF_JOB_TAKEN;
    return j;
}

int df_mapper_job_result(const df_mapper_job *j, df_mapping *out, double *value, int32_t *index, df_err *err) {
    if (j->state == DF_JOB_DECODING) return df_err_set(err, DF_EINVAL, NULL, "job not finished");
    int32_t best = -1, dead = -1;
    for (int32_t c = 0; c < j->k; c++) {
        if (j->cand[c].state == DF_CAND_DEAD_END && dead < 0) dead = c;
        if (j->cand[c].state == DF_CAND_FINISHED && isfinite(j->cand[c].value) &&
            (best < 0 || j->cand[c].value < j->cand[best].value))
            best = c;
    }
    if (best < 0 && dead >= 0)
        return df_err_set(err, DF_EINFEASIBLE, NULL,
                          "no feasible candidate: candidate %d reached a dead end at layer %d", dead,
                          j->cand[dead].dead_layer);
    if (best < 0) return df_err_set(err, DF_EINFEASIBLE, NULL, "no feasible candidate");
    if (value) *value = j->cand[best].value;
    if (index) *index = best;
    if (j->ep.layout == DF_LAYOUT_DEPTH_FIRST)
        return df_sched_actions_to_mapping_df(&j->ep, j->cand[best].actions, j->cand[best].closes, out, err);
    return df_sched_actions_to_mapping(&j->ep, j->cand[best].actions, out, err);
}

void df_mapper_job_free(df_mapper *m, df_mapper_job *j) {
    if (!j) return;
    if (j->state == DF_JOB_DONE) {
        /* unlink from the done list */
        df_mapper_job **pp = &m->done_head, *prev = NULL;
        while (*pp && *pp != j) {
            prev = *pp;
            pp = &(*pp)->next_done;
        }
        if (*pp) {
            *pp = j->next_done;
            if (m->done_tail == j) m->done_tail = prev;
        }
    }
    job_release(m, j);
    job_destroy(j);
}

int df_solve_transformer(df_mapper *m, const df_net *net, df_objective obj, int32_t k, df_mapping *out,
                         df_solve_stats *st, df_err *err) {
    df_solve_stats_reset(st);
    df_mapper_job *j;
    int rc = df_mapper_admit(m, net, obj, k, 0x5eed, NULL, &j, err);
    if (rc) return rc;
    while (j->state == DF_JOB_DECODING)
        if ((rc = df_mapper_step(m, NULL, err))) {
            df_mapper_job_free(m, j);
            return rc;
        }
    rc = df_mapper_job_result(j, out, NULL, NULL, err);
    df_mapper_job_free(m, j); /* also unlinks it from the done list */
    return rc;
}
