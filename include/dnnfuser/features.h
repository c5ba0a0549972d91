/* features.h - what the transformer mapper sees and does, per layer (one token per layer).
 *
 * Action space (DF_ACTIONS): action 0 = the layer joins the current fusion group; action 1+k = the
 * layer starts a new group whose micro-batch is ceil(N / min(df_slot_nmicro[k], N)) (k-th
 * "number of micro-batches" slot, so m = N and m = 1 always exist). A slot that gives the same
 * micro-batch as an earlier slot is never valid. Layer 0 must start a group.
 *
 * Episode: everything fixed for one request (per-layer static features from the workload, hardware,
 * budget, batch, objective and cost-model hints). Schedule: the partial mapping decided so far; the
 * mask it produces allows exactly the actions that keep the partial mapping feasible (df_group_eval),
 * so a greedy or sampled decode is feasible by construction, and never reaches a dead end once
 * df_net_check_budget has passed (a new group at the smallest micro-batch always fits). */
#ifndef DNNFUSER_FEATURES_H
#define DNNFUSER_FEATURES_H

#include "dnnfuser/cost.h"

#define DF_MB_SLOTS 16
#define DF_ACTIONS (1 + DF_MB_SLOTS)
#define DF_FEATURES 82

extern const int32_t df_slot_nmicro[DF_MB_SLOTS];

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L, N;
    int32_t slot_m[DF_MB_SLOTS]; /* micro-batch of each slot, 0 = invalid for this N */
    int32_t *max_single_m;       /* [L] largest feasible micro-batch of the layer alone */
    double *lbl_cost;            /* [L] best single-layer objective value (layer-by-layer) */
    float *static_feat;          /* [L, DF_FEATURES] with the dynamic part zeroed */
} df_episode;

typedef struct {
    int32_t t;          /* next layer to decide */
    int32_t gstart, gm; /* current group start and micro-batch (gm 0 before layer 0) */
    int32_t n_groups;
    int32_t prev_action; /* -1 before layer 0 */
    df_group_cost cur;   /* cost of [gstart, t-1] at gm */
    /* sums over the closed groups [0, gstart-1], in group order (df_sched_metrics) */
    double closed_latency, closed_energy, closed_dram;
    /* df_sched_observe_step's evaluation of [gstart, t] at gm (joining layer t), reused by
     * df_sched_apply; valid while join_t1 == t + 1 */
    df_group_cost join;
    int32_t join_t1;
} df_sched;

int df_episode_init(df_episode *ep, const df_net *net, df_objective obj, df_err *err);
void df_episode_free(df_episode *ep);

void df_sched_begin(df_sched *s);
/* Features of layer s->t given the partial schedule (x: [DF_FEATURES], raw, not normalised) and the
 * mask of allowed actions (mask: [DF_ACTIONS], 1 = allowed). Requires s->t < ep->L. */
void df_sched_observe(const df_episode *ep, const df_sched *s, float *x, uint8_t *mask);
/* The same, and keeps the evaluation of the open group extended by layer s->t in s so that
 * df_sched_apply does not evaluate it again: one group evaluation per decoded layer (the decode loop). */
void df_sched_observe_step(const df_episode *ep, df_sched *s, float *x, uint8_t *mask);
/* Applies an allowed action to layer s->t and advances. DF_EINVAL if the action is not allowed. */
int df_sched_apply(const df_episode *ep, df_sched *s, int action);
/* Metrics of a finished schedule (s->t == L) from the group costs the decode already computed, summed
 * in group order exactly as df_mapping_eval does (latency, energy, DRAM bytes, latency_s, edp and
 * feasible are filled; the rest is zero): the objective of a decoded candidate without re-evaluating
 * the mapping. */
void df_sched_metrics(const df_episode *ep, const df_sched *s, df_metrics *mt);
/* Appends the groups of a finished schedule (s->t == L) to an empty mapping. */
int df_sched_actions_to_mapping(const df_episode *ep, const int32_t *actions, df_mapping *out, df_err *err);
/* Teacher actions for a mapping: each group's micro-batch is mapped to the valid slot with the
 * largest micro-batch not above it (identical when the slot set contains it). */
int df_mapping_to_actions(const df_episode *ep, const df_mapping *map, int32_t *actions, df_err *err);

#endif
