/* solve.h - mapping solvers over the cost model: exact (dynamic programming, optimal for the
 * map-space of contiguous groups x micro-batch), ga (genetic search, the paper's search-teacher style)
 * and lbl (best layer-by-layer mapping, the baseline every answer is compared with).
 * All return DF_EINFEASIBLE (err names the layer and the bytes it needs) when no mapping fits. */
#ifndef DNNFUSER_SOLVE_H
#define DNNFUSER_SOLVE_H

#include "dnnfuser/cost.h"

typedef enum { DF_SOLVER_EXACT = 0, DF_SOLVER_GA, DF_SOLVER_LBL, DF_SOLVER_TRANSFORMER, DF_SOLVER_COUNT } df_solver;

typedef struct {
    int32_t population;  /* individuals per generation (default 64) */
    int32_t generations; /* default 200 */
    int32_t tournament;  /* tournament size (default 3; >= 1, clamped to population) */
    double crossover;    /* probability per child (default 0.9) */
    double mutation;     /* per-gene probability (default 1/L when <= 0) */
    int32_t elites;      /* copied unchanged (default 2; >= 0, clamped to population - 1) */
    uint64_t seed;       /* default 1 */
} df_ga_params;

/* The map-spaces the exact solver searches: DF_SPACE_BATCH, groups x micro-batch (DNNFuser's space,
 * what the transformer and its teacher know); DF_SPACE_DEPTH_FIRST, that plus a spatial tile and an
 * overlap mode per group (issue 14), the tiles from df_tile_options. */
typedef enum { DF_SPACE_BATCH = 0, DF_SPACE_DEPTH_FIRST, DF_SPACE_COUNT } df_space;
const char *df_space_name(df_space s); /* "batch", "depth_first" */
int df_space_parse(const char *s, df_space *out);

/* The tile options of a depth-first group (df_tile_options, DF_MAX_TILE_OPTIONS) are in tile.h. */

/* df_solve_stats (statistics of a run, and its cancel input) is in common.h: the model layer's
 * transformer solver fills it too. */

void df_ga_params_default(df_ga_params *p);

/* out must be initialised (df_mapping_init); it is overwritten. stats may be NULL. */
int df_solve_exact(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *stats, df_err *err);
/* The exact solver over a chosen map-space (df_solve_exact is DF_SPACE_BATCH). */
int df_solve_exact_in(const df_net *net, df_objective obj, df_space space, df_mapping *out, df_solve_stats *stats,
                      df_err *err);
int df_solve_lbl(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *stats, df_err *err);
int df_solve_ga(const df_net *net, df_objective obj, const df_ga_params *p, df_mapping *out, df_solve_stats *stats,
                df_err *err);
/* The genetic search over a map-space (df_solve_ga: batch). Depth-first: a third gene per layer, the
 * tile of a group starting there (see ga.c). */
int df_solve_ga_in(const df_net *net, df_objective obj, df_space space, const df_ga_params *p, df_mapping *out,
                   df_solve_stats *stats, df_err *err);

/* Local search from a given mapping (the check-before-reply repair of DESIGN.md §3): repeatedly tries
 * moving a group boundary by one layer, merging two adjacent groups, splitting a group in two, and
 * changing a group's micro-batch to a neighbouring candidate, taking the first move that makes the
 * mapping feasible-and-better, until none helps or max_moves moves were taken. An infeasible start is
 * first made feasible by splitting overflowing groups down to the largest feasible micro-batch.
 * map is improved in place; never returns a worse or infeasible mapping (DF_EINFEASIBLE only when the
 * budget is too small for any mapping). */
int df_repair(const df_net *net, df_objective obj, df_mapping *map, int32_t max_moves, df_solve_stats *stats,
              df_err *err);
/* The same over a map-space: in the depth-first space it also tries each group's other tiles and
 * overlap modes (df_tile_options and the whole tensor) and may make a group feasible by tiling it. */
int df_repair_in(const df_net *net, df_objective obj, df_space space, df_mapping *map, int32_t max_moves,
                 df_solve_stats *stats, df_err *err);

/* Keeps map's group boundaries and sets each group's form, its micro-batch (df_micro_batches) and in
 * the depth-first space its close (the whole tensor or an option of df_tile_options of its last layer,
 * with its overlap mode: the decoder's close slots), to the feasible one of least objective, one group
 * at a time from the first against the mapping's totals. Latency, energy and DRAM are sums over the
 * groups (df_mapping_eval), so for them this is each group's own least-cost form: the best mapping
 * with these boundaries; EDP (their product) is lowered group by group. A form is scored by one
 * df_group_eval_tiled call (a mapping of G groups: at most G x micro-batches x (1 + options) calls, a
 * form's larger micro-batches skipped once one does not fit). map changes only when every group then
 * fits and the objective is no worse; *changed (nullable) = the groups changed (0: map unchanged).
 * DF_ECANCELED (st->cancel), DF_ENOMEM, or a malformed map's DF_EINVAL; map unchanged on error. */
int df_repair_forms(const df_net *net, df_objective obj, df_space space, df_mapping *map, int32_t *changed,
                    df_solve_stats *st, df_err *err);

const char *df_solver_name(df_solver s);
int df_solver_parse(const char *s, df_solver *out);

#endif
