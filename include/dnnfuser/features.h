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
 * df_net_check_budget has passed (a new group at the smallest micro-batch always fits).
 *
 * Depth-first layout (DF_LAYOUT_DEPTH_FIRST, weights.h; docs/depth_first_results.md "Depth-first
 * action layout"): the same per-layer actions, plus one "close" decision per group when it ends, a
 * joint choice over DF_CLOSE_SLOTS: slot 0 = the whole tensor (the batch-only group), slot 1+i = the
 * i-th of df_tile_options(last) (tile x overlap mode, tile.h). The model's
 * outputs are [DF_ACTIONS | DF_CLOSE_SLOTS]: a token's first DF_ACTIONS logits decide its layer; its
 * last DF_CLOSE_SLOTS logits close the group that ends just before it (when it starts a group) and, at
 * the last layer, the final group. Masks: a slot closes [first, last] at m only if df_group_eval_tiled
 * of that option is feasible; "join" only if the extended group has at least one feasible close slot;
 * "start with m" only if the layer alone at m has one. So every decoded mapping is feasible. A join is
 * also refused when its best close costs more than ep->join_margin times closing now and starting the
 * layer alone (df_sched_join_ratio), which is always possible then: no dead end; and a close slot when
 * another feasible one costs less by more than ep->close_margin (the least-cost slot always stays). */
#ifndef DNNFUSER_FEATURES_H
#define DNNFUSER_FEATURES_H

#include "dnnfuser/cost.h"
#include "dnnfuser/weights.h"

#define DF_MB_SLOTS 16
#define DF_ACTIONS (1 + DF_MB_SLOTS)
#define DF_FEATURES 82
/* depth-first layout: close slot 0 is the whole tensor, slot 1+i the i-th of df_tile_options(last)
 * (tile.h, the list the solvers search); df_close_option and DF_CLOSE_MAX_OPTIONS are its names here */
typedef df_tile_option df_close_option;
#define DF_CLOSE_MAX_OPTIONS DF_MAX_TILE_OPTIONS
#define DF_CLOSE_SLOTS (1 + DF_CLOSE_MAX_OPTIONS)
#define DF_DF_OUTPUTS (DF_ACTIONS + DF_CLOSE_SLOTS)
/* depth-first join rule: "join" is refused when df_sched_join_ratio exceeds this (episode default;
 * docs/depth_first_results.md "The join rule") */
#ifndef DF_JOIN_MARGIN
#define DF_JOIN_MARGIN 4.0
#endif
/* depth-first close rule: a close slot is refused when another feasible one costs less by more than this
 * factor (df_sched_close_mask; never refuses an optimum's close at any value >= 1) */
#ifndef DF_CLOSE_MARGIN
#define DF_CLOSE_MARGIN 4.0
#endif

extern const int32_t df_slot_nmicro[DF_MB_SLOTS];

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L, N;
    int32_t slot_m[DF_MB_SLOTS]; /* micro-batch of each slot, 0 = invalid for this N */
    int32_t *max_single_m;       /* [L] largest feasible micro-batch of the layer alone */
    double *lbl_cost;            /* [L] best single-layer objective value (layer-by-layer) */
    float *static_feat;          /* [L, DF_FEATURES] with the dynamic part zeroed */
    int layout;                  /* df_action_layout */
    uint32_t *start_ok;          /* depth-first: [L] slots k (bit k) whose layer alone has a feasible close */
    int32_t *n_opts;             /* depth-first: [L] df_close_options(t) count */
    df_close_option *opts;       /* depth-first: [L, DF_CLOSE_MAX_OPTIONS] */
    double *alone_cost;          /* depth-first: [L, 3] least latency, energy, DRAM of the layer alone over
                                    its feasible slots x closes (INFINITY: none) */
    double join_margin;          /* depth-first join rule (df_sched_join_ratio); INFINITY: off */
    double close_margin;         /* depth-first close rule (df_sched_close_mask); INFINITY: off */
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
    /* depth-first layout: the open group [gstart, t-1] at gm is closed by df_sched_close; opt[] are its
     * close slots' costs (opt_ok: feasible), jopt[] those of [gstart, t] (valid while join_t1 == t + 1) */
    int open;
    df_group_cost opt[DF_CLOSE_SLOTS], jopt[DF_CLOSE_SLOTS];
    uint8_t opt_ok[DF_CLOSE_SLOTS], jopt_ok[DF_CLOSE_SLOTS];
} df_sched;

int df_episode_init(df_episode *ep, const df_net *net, df_objective obj, df_err *err);
/* The same for an action layout (df_action_layout); df_episode_init is DF_LAYOUT_BATCH. */
int df_episode_init_layout(df_episode *ep, const df_net *net, df_objective obj, int layout, df_err *err);
void df_episode_free(df_episode *ep);

void df_sched_begin(df_sched *s);
/* Features of layer s->t given the partial schedule (x: [DF_FEATURES], raw, not normalised) and the
 * mask of allowed actions (mask: [DF_ACTIONS], 1 = allowed). Requires s->t < ep->L. */
void df_sched_observe(const df_episode *ep, const df_sched *s, float *x, uint8_t *mask);
/* The same, and keeps the evaluation of the open group extended by layer s->t in s so that
 * df_sched_apply does not evaluate it again: one group evaluation per decoded layer (the decode loop). */
void df_sched_observe_step(const df_episode *ep, df_sched *s, float *x, uint8_t *mask);
/* The same with the open group [gstart, t] evaluated through memo (df_group_eval_memo, created for
 * ep->net; NULL: df_group_eval): identical features and mask, and a group kept open for many layers is
 * not evaluated again from its first layer at every step (the decode loop keeps one memo per
 * candidate). */
void df_sched_observe_step_memo(const df_episode *ep, df_sched *s, df_group_memo *memo, float *x, uint8_t *mask);
/* Depth-first layout: one close-slot evaluation of [first, last] at m (eval of every slot, as
 * df_sched_observe_step_memo computes it for the open group joined by layer t). */
typedef struct {
    int32_t first, last, m; /* last < 0: empty */
    df_group_cost cost[DF_CLOSE_SLOTS];
    uint8_t ok[DF_CLOSE_SLOTS];
} df_slot_entry;
/* df_sched_observe_step_memo with the close-slot evaluations shared through share[0..n_share) (the
 * candidates of one job decode in step: those with the same open group and micro-batch evaluate it
 * once; the numbers do not depend on who computed them, so features and mask are identical). Set
 * every entry's last to -1 before the first use; share NULL: df_sched_observe_step_memo. */
void df_sched_observe_step_shared(const df_episode *ep, df_sched *s, df_group_memo *memo, df_slot_entry *share,
                                  int32_t n_share, float *x, uint8_t *mask);
/* Applies an allowed action to layer s->t and advances. DF_EINVAL if the action is not allowed. */
int df_sched_apply(const df_episode *ep, df_sched *s, int action);
/* Depth-first layout. The close mask (DF_CLOSE_SLOTS) of the open group [gstart, t-1]: returns 1 when a
 * group is open (and fills mask), 0 when none (mask all 0). df_sched_close closes it with slot c
 * (DF_EINVAL if c is masked or nothing is open); a start action requires it closed (t > 0), and a
 * schedule is finished when t == L and the last group is closed. */
int df_sched_close_mask(const df_episode *ep, const df_sched *s, uint8_t *mask);
/* Depth-first layout, the join rule: for layer s->t joining the open group [gstart, t-1] at gm, the
 * objective's per-group cost of the best feasible close of [gstart, t] over that of closing now and
 * starting t alone (best close of [gstart, t-1] + ep->alone_cost of t): latency, energy or DRAM (EDP,
 * not a sum over groups: the smaller of the latency and energy ratios). 0 when no group is open, the
 * join has no feasible close, or closing now is not possible (then the rule never refuses). "Join" is
 * allowed only while the ratio is <= ep->join_margin. */
double df_sched_join_ratio(const df_episode *ep, const df_sched *s);
int df_sched_close(const df_episode *ep, df_sched *s, int c);
/* The group a close slot names: [first, last] at m with slot c's tile (c = 0: whole). */
void df_close_group(const df_episode *ep, int32_t first, int32_t last, int32_t m, int c, df_group *out);
/* Metrics of a finished schedule (s->t == L) from the group costs the decode already computed, summed
 * in group order exactly as df_mapping_eval does (latency, energy, DRAM bytes, latency_s, edp and
 * feasible are filled; the rest is zero): the objective of a decoded candidate without re-evaluating
 * the mapping. */
void df_sched_metrics(const df_episode *ep, const df_sched *s, df_metrics *mt);
/* Appends the groups of a finished schedule (s->t == L) to an empty mapping. */
int df_sched_actions_to_mapping(const df_episode *ep, const int32_t *actions, df_mapping *out, df_err *err);
/* Depth-first layout: closes[t] is the close slot of the group whose last layer is t (others ignored). */
int df_sched_actions_to_mapping_df(const df_episode *ep, const int32_t *actions, const int32_t *closes, df_mapping *out,
                                   df_err *err);
/* Teacher actions for a mapping: each group's micro-batch is mapped to the valid slot with the
 * largest micro-batch not above it (identical when the slot set contains it). */
int df_mapping_to_actions(const df_episode *ep, const df_mapping *map, int32_t *actions, df_err *err);
/* The same, and closes[t] (the close slot of the group ending at t, -1 elsewhere) for a depth-first
 * mapping; DF_EINVAL if a group's tile is not one of df_tile_options of its last layer. */
int df_mapping_to_actions_df(const df_episode *ep, const df_mapping *map, int32_t *actions, int32_t *closes,
                             df_err *err);

#endif
