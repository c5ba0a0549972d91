/* mapper.h - the transformer mapper: pretrained GPT + feature normalisation, decoding whole mappings
 * one layer per step with the feasibility mask (features.h), for many requests at once.
 *
 * Continuous batching (llama.cpp slots, Triton in-flight batching): a job is one request decoded as k
 * candidates, each candidate a sequence in its own KV-cache slot. df_mapper_step advances every
 * active sequence by one layer with one GEMM per weight matrix; jobs may be admitted or cancelled
 * between steps. Candidate 0 is greedy (masked argmax); candidates 1..k-1 sample the masked softmax
 * (seeded, temperature 1). A finished job's answer is the candidate the cost model scores best. Every
 * decoded mapping is feasible by construction. One thread at a time per mapper.
 *
 * Any length: a workload longer than the model's context T is decoded by sliding the context: when a
 * sequence has filled its T positions, its KV cache is emptied and the rows of its last `window`
 * layers are fed again (positions 0..window-1) before decoding goes on; the partial schedule is
 * carried by the schedule features. Each slide costs `window` extra steps for that sequence. */
#ifndef DNNFUSER_MAPPER_H
#define DNNFUSER_MAPPER_H

#include "dnnfuser/features.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/weights.h"

typedef struct df_mapper df_mapper;
typedef struct df_mapper_job df_mapper_job;

/* Lifecycles (llama.cpp's slot_state is the model). A candidate is one sequence of a job:
 *
 *   df_mapper_admit
 *         |
 *         v          context full, layers left            the window's rows fed again
 *   DF_CAND_DECODING ----------------------------> DF_CAND_REPLAYING -----------------> DF_CAND_DECODING
 *      |    |    |
 *      |    |    +-- its last layer decided --------> DF_CAND_FINISHED   value = the cost model's objective
 *      |    +------- no action allowed at a layer ---> DF_CAND_DEAD_END   value = INFINITY, dead_layer
 *      +------------ its job freed before the end ---> DF_CAND_CANCELLED
 *
 * A KV-cache slot is bound to a candidate exactly while it is DECODING or REPLAYING (a slot is free
 * or bound, nothing else); the three other states are terminal and hold no slot. After every
 * df_mapper_step each row of the step is in one of the four states DECODING, REPLAYING, FINISHED,
 * DEAD_END: a dead end ends that row only, the other rows (and the job's other candidates) go on.
 *
 * A job:  admit -> DF_JOB_DECODING --(no candidate DECODING or REPLAYING)--> DF_JOB_DONE (on the done
 * list) --df_mapper_pop_done--> DF_JOB_TAKEN. df_mapper_job_free is allowed in every state (while
 * DECODING it cancels). The job's answer (df_mapper_job_result) is its best FINISHED candidate; with
 * none, DF_EINFEASIBLE naming the first dead end. */
typedef enum {
    DF_CAND_DECODING,
    DF_CAND_REPLAYING,
    DF_CAND_FINISHED,
    DF_CAND_DEAD_END,
    DF_CAND_CANCELLED
} df_cand_state;
typedef enum { DF_JOB_DECODING, DF_JOB_DONE, DF_JOB_TAKEN } df_job_state;

/* Loads and validates a weights file; the model must match this build's features (F = DF_FEATURES,
 * A = DF_ACTIONS). max_seqs = concurrent sequences (KV-cache slots). */
int df_mapper_load(df_mapper **out, const char *path, int32_t max_seqs, df_err *err);
/* The shipped weights, linked into the binary (weights/dnnfuser.weights at build time). */
const uint8_t *df_weights_embedded(size_t *len);
int df_mapper_load_embedded(df_mapper **out, int32_t max_seqs, df_err *err);
/* Takes ownership of model and norm (also on failure). */
int df_mapper_from_model(df_mapper **out, df_gpt *model, df_feature_norm *norm, const df_train_meta *meta,
                         int32_t max_seqs, df_err *err);
void df_mapper_free(df_mapper *m);
const df_gpt_config *df_mapper_config(const df_mapper *m);
const df_train_meta *df_mapper_meta(const df_mapper *m);
/* The weights' action layout (df_action_layout): what the mapper decodes. */
int df_mapper_layout(const df_mapper *m);
int32_t df_mapper_free_slots(const df_mapper *m);
int32_t df_mapper_active(const df_mapper *m); /* sequences being decoded */
/* 1: decode with the exact-math reference kernels (df_gpt_infer_set_exact), for tests and for
 * measuring the fast kernels' effect on decisions; 0 (default): the fast kernels. */
void df_mapper_set_exact_math(df_mapper *m, int exact);
/* df_gpt_infer_set_packed on the mapper's decode context (benchmarks measure both paths). */
int df_mapper_set_packed(df_mapper *m, int on);
/* df_gpt_infer_set_f16 on the mapper's decode context: binary16 weight panels (returns the state set). */
int df_mapper_set_f16(df_mapper *m, int on);
/* The state of the binary16 panels (df_gpt_infer_f16), and whether the loaded weights are binary16
 * values (df_gpt_f16_lossless: then the panels are on by default and decide as the float ones). */
int df_mapper_f16(const df_mapper *m);
int df_mapper_f16_lossless(const df_mapper *m);

/* Rows replayed when a context slides, clamped to [0, T-1]; returns the value set. Default 0: chunks
 * that carry only the partial schedule (no replay steps; bench_transformer `long` measured the same
 * quality for every window). Set between jobs. */
int32_t df_mapper_set_window(df_mapper *m, int32_t window);

/* Admits a request decoded as k candidates (1 <= k <= max_seqs), any number of layers. net must stay
 * valid until the job is freed. DF_ELIMIT when fewer than k slots are free (retry after a step),
 * DF_EINVAL when k is out of range, DF_EINFEASIBLE (err names the layer) when the budget is too small. */
int df_mapper_admit(df_mapper *m, const df_net *net, df_objective obj, int32_t k, uint64_t seed, void *user,
                    df_mapper_job **job, df_err *err);
/* The same with the episode (static per-request features, layer-by-layer costs) copied from tmpl
 * instead of computed: tmpl must be the episode of an identical problem (same workload, hardware,
 * batch, objective and the mapper's layout; e.g. df_mapper_job_episode of an earlier job), else NULL.
 * A template whose layers, objective or layout differ is ignored (computed as df_mapper_admit). */
int df_mapper_admit_ep(df_mapper *m, const df_net *net, df_objective obj, int32_t k, uint64_t seed, void *user,
                       const df_episode *tmpl, df_mapper_job **job, df_err *err);
/* The job's episode (valid until the job is freed), and a deep copy of one bound to net (DF_ENOMEM). */
const df_episode *df_mapper_job_episode(const df_mapper_job *j);
int df_mapper_episode_clone(df_episode *dst, const df_episode *src, const df_net *net);
/* One decode step for all active sequences. *finished (nullable) gets the number of jobs that
 * completed in this step (pop them with df_mapper_pop_done). A dead end is not an error of the step
 * (see the lifecycle above). An error (a bad argument inside the model, which checks every row before
 * it touches the KV cache) decides nothing: every row stays DECODING or REPLAYING, a context slid in
 * this step is replayed from its start, and the step may be retried. */
int df_mapper_step(df_mapper *m, int32_t *finished, df_err *err);
/* Completed jobs, oldest first; NULL when none. */
df_mapper_job *df_mapper_pop_done(df_mapper *m);
/* The job's best candidate (copied into out), its objective value and index. */
int df_mapper_job_result(const df_mapper_job *j, df_mapping *out, double *value, int32_t *index, df_err *err);
void *df_mapper_job_user(const df_mapper_job *j);
int32_t df_mapper_job_steps(const df_mapper_job *j);
df_job_state df_mapper_job_state(const df_mapper_job *j);
/* Candidate c's state; *dead_layer (nullable) gets the layer of its dead end (-1 if none). An index
 * out of range reads as DF_CAND_CANCELLED. */
df_cand_state df_mapper_cand_state(const df_mapper_job *j, int32_t c, int32_t *dead_layer);
/* Tests only: candidate c meets a dead end at `layer` (as if no action were allowed there; the mask
 * makes a real one unreachable). layer -1 clears it. */
void df_mapper_job_fault(df_mapper_job *j, int32_t c, int32_t layer);
/* Releases a job: an unfinished one is cancelled (its slots freed at once). */
void df_mapper_job_free(df_mapper *m, df_mapper_job *j);

/* Convenience for one request: admit, step until done, take the result. */
int df_solve_transformer(df_mapper *m, const df_net *net, df_objective obj, int32_t k, df_mapping *out,
                         df_solve_stats *st, df_err *err);

#endif
