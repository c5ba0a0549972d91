/* cost.h - the analytical fusion cost model (DESIGN.md section 2).
 *
 * A df_net binds a validated workload, a hardware description and a batch size, and precomputes
 * per-layer, per-sample constants (compute cycles, array traffic, sizes, consumers) so that scoring a
 * fusion group or a whole mapping costs microseconds. A mapping partitions the layer order into
 * contiguous groups, each with one micro-batch size m; df_group_eval is the single place that decides
 * feasibility (peak footprint <= budget) and every solver and the final check go through it. */
#ifndef DNNFUSER_COST_H
#define DNNFUSER_COST_H

#include "dnnfuser/workload.h"
#include "dnnfuser/hw.h"
#include "dnnfuser/tile.h"

#define DF_MAX_BATCH 65536

typedef enum { DF_OBJ_LATENCY = 0, DF_OBJ_ENERGY, DF_OBJ_EDP, DF_OBJ_DRAM, DF_OBJ_COUNT } df_objective;

/* A fusion group: layers first..last, micro-batches of micro_batch samples, and (depth-first fusion,
 * issue 14) a spatial tile of layer last's output, tile_rows x tile_cols (0 = the whole extent; values
 * at or above the output's P, Q are the whole extent too), its halos handled by `overlap` (a
 * df_overlap). A whole tile is today's batch-only fusion, exactly (the same code scores it). */
typedef struct {
    int32_t first, last, micro_batch;
    int32_t tile_rows, tile_cols; /* 0 = whole */
    int32_t overlap;              /* df_overlap; ignored for a whole tile */
} df_group;

typedef struct {
    int32_t n_groups;
    int32_t cap;
    df_group *groups; /* contiguous, in order, covering layers 0..L-1 */
} df_mapping;

/* Per-layer single-layer figures for one sample (what MAESTRO reports for one layer). */
typedef struct {
    double macs;
    double compute_cycles;         /* PE-array cycles from the dataflow's spatial unrolling */
    double utilization;            /* macs / (compute_cycles * PEs) */
    double noc_w, noc_in, noc_out; /* buffer <-> array element transfers per sample (weights for ws and
                                      rs: per micro-batch, as the PEs keep them for all its samples) */
    double passes;                 /* processing passes (per micro-batch for ws/rs, per sample for os) */
    double active_pes;             /* PEs busy in a full pass */
    int64_t weight_elems, out_elems;
} df_layer_figures;

typedef struct {
    int feasible;
    int weights_resident; /* 1: group weights loaded once; 0: streamed once per micro-batch */
    int32_t micro_batch;
    int32_t n_micro;         /* ceil(N / micro_batch) */
    int64_t footprint_bytes; /* peak on-chip bytes */
    int32_t peak_layer;      /* layer at which the peak occurs */
    double latency_cycles;
    double energy_pj;
    double dram_bytes;
    double compute_cycles;    /* sum of pure compute cycles */
    double macs;              /* MACs done (a tiled group's recomputed halos included) */
    int32_t tiles_y, tiles_x; /* tiles per sample of the last layer's output (1 x 1: whole) */
    double layer_macs;        /* the group's layer MACs once (macs / layer_macs: the recompute factor) */
} df_group_cost;

/* What is live on chip while one layer of a fused group runs, for the group's micro-batch m
 * (DESIGN.md section 2): its inputs, its output, tensors held for later layers of the group, and the
 * group's resident weights or this layer's streamed weight tile. The group's footprint_bytes is the
 * largest bytes over its layers. */
typedef struct {
    int64_t bytes;        /* everything live: weight_bytes + m x activations */
    int64_t weight_bytes; /* resident group weights, or this layer's weight tile when streamed */
} df_layer_footprint;

typedef struct {
    int feasible;
    double latency_cycles, latency_s, throughput_sps;
    double energy_pj, dram_bytes, edp;
    int64_t peak_bytes;
    double macs, compute_cycles, utilization;
} df_metrics;

typedef struct df_net df_net;

/* Binds w (validated), hw (validated) and batch N >= 1. w and hw are copied; the net is immutable
 * afterwards and may be shared across threads for reading (its one memo, df_net_check_budget's
 * "every layer fits", is an atomic set once and derived from the immutable fields). */
int df_net_init(df_net **out, const df_workload *w, const df_hw *hw, int32_t batch, df_err *err);
void df_net_free(df_net *net);
const df_workload *df_net_workload(const df_net *net);
const df_hw *df_net_hw(const df_net *net);
int32_t df_net_batch(const df_net *net);
int32_t df_net_layers(const df_net *net);
const df_layer_figures *df_net_layer_figures(const df_net *net, int32_t layer);

/* Scores layers first..last fused with micro-batch m. An infeasible group is not an error: it gets
 * feasible = 0 and footprint_bytes set (latency etc. are still filled in for diagnostics), and the
 * call returns DF_OK. Returns DF_EINVAL for a range outside the net or m outside [1, N], DF_ENOMEM
 * when a group longer than 512 layers finds no scratch memory; on either error out has feasible = 0
 * and footprint_bytes = INT64_MAX, so a caller that ignores the code never accepts the group, but a
 * solver must propagate it (an out-of-memory is not an answer about the budget). */
int df_group_eval(const df_net *net, int32_t first, int32_t last, int32_t m, df_group_cost *out);

/* A layer alone: every input of the evaluation of the group [t, t] but t itself (the layer's DRAM
 * traffic and tiles as a group of one, its weights, its per-layer figures and pass plan). Layers t
 * and u with the same key (memcmp) get the same df_group_eval(t, t, m) and df_group_eval(u, u, m)
 * at every m, bit for bit but for peak_layer: a network's repeated blocks. */
typedef struct {
    uint64_t w[20];
} df_layer_alone_key;
void df_layer_alone_key_of(const df_net *net, int32_t t, df_layer_alone_key *key);

/* A memo for a group that grows one layer at a time (the transformer's decode evaluates the open
 * group [first, t] at every layer t): df_group_eval_memo(net, memo, first, last, m, out) returns
 * exactly what df_group_eval returns (every field, bit for bit), reusing the work of the memo's last
 * call with the same first layer (most when the group is as long or longer and m is the same; the
 * liveness of the layers also for another m). A memo serves the net it
 * was created for, which must outlive it (another net falls back to df_group_eval, as does memo
 * NULL). df_group_memo_new returns DF_OK or DF_ENOMEM; the evaluation allocates nothing. */
typedef struct df_group_memo df_group_memo;
int df_group_memo_new(const df_net *net, df_group_memo **out);
void df_group_memo_free(df_group_memo *memo);
int df_group_eval_memo(const df_net *net, df_group_memo *memo, int32_t first, int32_t last, int32_t m,
                       df_group_cost *out);

/* Scores a group with its tile and overlap (docs/COST_MODEL.md "Depth-first tiles"). A whole tile
 * (tile_rows, tile_cols 0 or >= the last layer's P, Q) is df_group_eval exactly. Errors as
 * df_group_eval, plus DF_EINVAL for a negative tile or an unknown overlap. */
int df_group_eval_tiled(const df_net *net, const df_group *g, df_group_cost *out);
/* 1 when g's tile is the whole output of its last layer (g must be in range). */
int df_group_is_whole(const df_net *net, const df_group *g);

/* A tiled group prepared once and scored for several micro-batches (the solvers' inner loop):
 * df_tiled_prepare does everything that does not depend on m (the tile plan, the per-tile dataflow
 * figures), df_tiled_cost is then df_group_eval_tiled for that m. Opaque; release with df_tiled_free
 * (also after a failed prepare). */
typedef struct df_tiled df_tiled;
int df_tiled_prepare(const df_net *net, const df_group *g, df_tiled **out);
/* The same with the per-axis passes of the groups ending at g->last shared (axes: from
 * df_tile_axes_new_range(df_net_workload(net), f, g->last) with f <= g->first; every tile option of
 * the group shares them) and like (nullable): a group of the same first and last prepared in them,
 * whose per-tile figures are taken where a layer's tile shape is the same. The same numbers as
 * df_tiled_prepare; DF_EINVAL for axes of another last. */
int df_tiled_prepare_in(const df_net *net, df_tile_axes *axes, const df_group *g, const df_tiled *like, df_tiled **out);
/* The same into *io (NULL: a new one), whose arrays are kept when they hold the group, and with the
 * tile regions planned in *geo (df_tile_suffix_plan_reuse: NULL a new one; the caller frees it): a
 * loop over a group's options allocates once, and the overlap modes of one tile share the regions of
 * its outside inputs. like must be another one than *io. *io is NULL after an error. */
int df_tiled_prepare_reuse(const df_net *net, df_tile_axes *axes, const df_group *g, const df_tiled *like,
                           df_tile_suffix **geo, df_tiled **io);
int df_tiled_cost(const df_net *net, const df_tiled *t, int32_t m, df_group_cost *out);
void df_tiled_free(df_tiled *t);

/* Every group [first, last] for one tile option at once (the exact solver's inner loop; the same
 * numbers as df_group_eval_tiled, computed once per row where they do not depend on first): prepare
 * for `last`, the option and the micro-batch candidates mb[0..nm) (kept by pointer); then
 * axes (nullable): the per-axis passes of df_tile_axes_new(df_net_workload(net), last), shared by
 * the rows of one last (free them after the rows); like (nullable): a row of the same last and mb
 * already prepared, whose figures are reused where a layer's tile shape is the same (numbers
 * unchanged); df_tiled_row_group(first) selects a group and df_tiled_row_cost(q) scores it at mb[q] (an
 * infeasible form gets its feasibility and footprint only: the solvers drop it). */
typedef struct df_tiled_row df_tiled_row;
int df_tiled_row_prepare(const df_net *net, int32_t last, int32_t rows, int32_t cols, int32_t overlap,
                         const int32_t *mb, int32_t nm, df_tile_axes *axes, const df_tiled_row *like,
                         df_tiled_row **out);
int df_tiled_row_group(const df_net *net, df_tiled_row *r, int32_t first);
int df_tiled_row_cost(const df_net *net, const df_tiled_row *r, int32_t q, df_group_cost *out);
/* A lower bound on the objective (latency, energy or dram; 0 for edp) of group [first, last] of the row
 * at every micro-batch, from the terms of the cost that do not depend on first or m (cost.c says why
 * each is a bound); the exact solver skips groups whose bound cannot beat its incumbent. */
double df_tiled_row_bound(const df_tiled_row *r, int32_t first, df_objective obj);
void df_tiled_row_free(df_tiled_row *r);
/* The smallest footprint any mapping can have: the largest single-layer footprint at m = 1.
 * Returns DF_OK when within the budget, else DF_EINFEASIBLE with err naming the layer and bytes
 * (DF_ENOMEM if scoring ran out of memory). */
int df_net_check_budget(const df_net *net, df_err *err);

/* Validates the mapping's structure (coverage, order, micro-batch range) and scores it.
 * per_group (nullable) receives map->n_groups entries. An infeasible but well-formed mapping returns
 * DF_OK with metrics->feasible = 0; structural errors return DF_EINVAL. */
int df_mapping_eval(const df_net *net, const df_mapping *map, df_metrics *metrics, df_group_cost *per_group,
                    df_err *err);

/* The micro-batch candidates every solver uses: the distinct ceil(N/k), k = 1..N, ascending (for a
 * fixed group and micro-batch count the balanced split dominates; see exact.c). out must hold N
 * entries; returns the count. */
int32_t df_micro_batches(int32_t N, int32_t *out);

/* Per-layer live footprint of a mapping: per_layer[i] for every layer i (n_layers entries), computed
 * by the same code as df_group_eval (so max over a group's layers == its footprint_bytes and the one
 * feasibility rule holds). Structural errors return DF_EINVAL (use df_mapping_eval for the detail). */
int df_mapping_footprints(const df_net *net, const df_mapping *map, df_layer_footprint *per_layer, df_err *err);

/* Objective value of metrics (lower is better). */
double df_objective_value(df_objective obj, const df_metrics *m);
const char *df_objective_name(df_objective o);
int df_objective_parse(const char *s, df_objective *out);

/* Mapping storage. */
int df_mapping_init(df_mapping *map, int32_t cap);
void df_mapping_free(df_mapping *map);
int df_mapping_push(df_mapping *map, int32_t first, int32_t last, int32_t m); /* whole tile */
int df_mapping_push_group(df_mapping *map, const df_group *g);
int df_mapping_copy(df_mapping *dst, const df_mapping *src);

#endif
