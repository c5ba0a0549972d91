/* tile.h - the geometry of depth-first (spatial) fusion: a fusion group cuts its last layer's output
 * into tiles and runs them one by one through all its layers (fused-layer execution, Alwani et al.,
 * "Fused-Layer CNN Accelerators", MICRO 2016; DeFiNES, Mei et al., HPCA 2023). For each tile, every
 * layer of the group computes the region of its output that its consumers in the group need,
 * back-propagated through kernels, strides and padding; the overlap (halo) between neighbouring tiles
 * is recomputed or cached (df_overlap). This module only counts regions; the cost model turns them
 * into cycles, energy, traffic and footprint (cost.c, docs/COST_MODEL.md "Depth-first tiles").
 *
 * Coordinates. Rows and columns are independent: a tile is a row interval x a column interval, and
 * so is every region derived from it. Tiles are taken in row-major order (left to right, then top to
 * bottom), DeFiNES's order. Tile (ty, tx) of the last layer's output covers rows [ty*rows, (ty+1)*rows)
 * and columns [tx*cols, (tx+1)*cols), clipped to the output (the last row/column of tiles may be
 * smaller). For a layer l with a consumer c in the group, l's region for tile (ty, tx) is the hull of
 * the input regions its consumers need for that tile:
 *   conv, dwconv, pool   out rows [a, b) need in rows [a*stride - pad_t, (b-1)*stride - pad_t + R),
 *                        clipped to [0, Y) (Alwani et al. §3: the receptive field of a pyramid);
 *                        columns likewise with stride_x, pad_l, S
 *   deconv               in rows i with i*stride - pad_t <= o < i*stride - pad_t + R for some o in [a, b)
 *   resize               in rows [floor(a*Y/P), ceil(b*Y/P)), one more each side for linear, two for cubic
 *   add, concat, eltwise, norm, softmax, matmul (operand 0)
 *                        the same rows and columns (position-wise; a broadcast operand of 1 x 1: [0, 1))
 *   fc, layout, matmul operand 1 (the other activation)
 *                        the whole input: no spatial locality, recomputed in full for every tile
 * A layer whose output also leaves the group (a later group or the network's output reads it) is
 * extended so its tiles cover all of its output.
 *
 * Overlap modes (DeFiNES §III-B):
 *   recompute   every tile computes its whole region: halos are recomputed (extra MACs), nothing kept
 *   cache_rows  DeFiNES's "H-cached, V-recompute": the overlap with the left neighbour (same row of
 *               tiles) is kept on chip, the overlap with the row of tiles above is recomputed
 *   cache_all   "fully cached": both overlaps kept (the one with the row above as a line buffer the
 *               width of the tensor), so every output is computed once
 * A whole-tensor tile (rows = P, cols = Q of the last layer) has no overlap: every mode is then the
 * layer-by-layer / batch-only fusion of the rest of the cost model. */
#ifndef DNNFUSER_TILE_H
#define DNNFUSER_TILE_H

#include "dnnfuser/workload.h"

typedef enum { DF_OVERLAP_RECOMPUTE = 0, DF_OVERLAP_CACHE_ROWS, DF_OVERLAP_CACHE_ALL, DF_OVERLAP_COUNT } df_overlap;

const char *df_overlap_name(df_overlap o);            /* "recompute", "cache_rows", "cache_all" */
int df_overlap_parse(const char *s, df_overlap *out); /* DF_OK or DF_EINVAL */

/* One layer of the group (index l - first). Elements are per sample (x channels). */
typedef struct {
    int32_t max_rows, max_cols; /* largest output region of one tile (halo included) */
    int64_t max_out_elems;      /* largest output region of one tile x K: live while it is made and read */
    int64_t computed_elems;     /* output elements computed over all tiles, recomputed halos included */
    int64_t out_elems;          /* K x P x Q: computed_elems / out_elems is the recompute factor */
    int64_t cache_elems;        /* overlap of this layer's output kept between tiles (0 in recompute) */
    int64_t reused_elems;       /* elements of its tile regions taken from that cache instead of being
                                   * computed again (regions summed over tiles - computed_elems) */
    int32_t whole_input;        /* 1: an input is needed whole in every tile (fc, layout, ...) */
} df_tile_layer;

/* A tensor the group reads from outside (an earlier group's output or the network input): the
 * hull of what its consumers in the group need, read once per tile for all of them. */
typedef struct {
    int32_t producer;            /* layer index < first, or -1 (the network input) */
    int32_t first_use, last_use; /* its first and last consumer in the group (layer indices) */
    int64_t read_elems;          /* elements read from DRAM over all tiles (halo re-reads included) */
    int64_t max_elems;           /* largest region held for one tile */
    int32_t max_rows, max_cols;  /* largest row / column extent of that region */
    int64_t reused_elems;        /* elements of its tile regions taken from the cache instead of DRAM */
    int64_t cache_elems;         /* overlap kept between tiles (cache modes) */
    int64_t elems;               /* the whole tensor, per sample */
} df_tile_input;

typedef struct {
    int32_t rows, cols;       /* the tile of the last layer's output, as asked (clipped to P, Q) */
    int32_t tiles_y, tiles_x; /* tiles per sample: tiles_y x tiles_x */
    int32_t n_layers;         /* last - first + 1 */
    df_tile_layer *layer;     /* [n_layers] */
    int32_t n_inputs;         /* distinct tensors read from outside the group */
    df_tile_input *input;     /* [n_inputs], in order of first use */
} df_tile_plan;

/* Plans group [first, last] of a validated workload with tile rows x cols of layer last's output
 * (rows, cols >= 1; values above P, Q are clipped) and overlap mode `mode`. The plan's arrays are
 * allocated here: release them with df_tile_plan_free (also after an error). DF_EINVAL on bad
 * arguments, DF_ENOMEM when memory cannot be had (never "infeasible": the plan has no budget). */
int df_tile_plan_group(const df_workload *w, int32_t first, int32_t last, int32_t rows, int32_t cols, df_overlap mode,
                       df_tile_plan *plan, df_err *err);
void df_tile_plan_free(df_tile_plan *plan);

/* Every group ending at layer `last` at once (the exact solver's inner loop): a layer's regions do not
 * depend on where the group starts, only the tensors read from outside do. df_tile_suffix_plan runs
 * the backward pass once; df_tile_suffix_layer(s, l) is then layer l's df_tile_layer in every group
 * [first, last] with first <= l, and df_tile_suffix_inputs(s, first, &in) lists the outside inputs of
 * group [first, last] (valid until the next call; -1 when out of memory), exactly as
 * df_tile_plan_group would (which is built on these). */
typedef struct df_tile_suffix df_tile_suffix;
int df_tile_suffix_plan(const df_workload *w, int32_t last, int32_t rows, int32_t cols, df_overlap mode,
                        df_tile_suffix **out, df_err *err);
/* Rows and columns are independent: df_tile_axes keeps the per-axis passes of the groups ending at
 * `last`, so every tile option with the same rows (or columns) and every mode share them. A suffix
 * planned in it (df_tile_suffix_plan_in) borrows it: free the suffixes first. */
typedef struct df_tile_axes df_tile_axes;
int df_tile_axes_new(const df_workload *w, int32_t last, df_tile_axes **out);
/* The same for the groups [f, last] with f >= first only: the backward pass stops at first (layers
 * before it are in none of these groups), so it costs the group's layers, not the prefix; every figure
 * of those groups is the one df_tile_axes_new gives. */
int df_tile_axes_new_range(const df_workload *w, int32_t first, int32_t last, df_tile_axes **out);
void df_tile_axes_free(df_tile_axes *x);
int df_tile_suffix_plan_in(df_tile_axes *axes, int32_t rows, int32_t cols, df_overlap mode, df_tile_suffix **out,
                           df_err *err);
/* The same into *io (NULL: a new one), whose arrays are kept when they hold the plan (a loop over tile
 * options allocates once); *io is NULL after an error. */
int df_tile_suffix_plan_reuse(df_tile_axes *axes, int32_t rows, int32_t cols, df_overlap mode, df_tile_suffix **io,
                              df_err *err);
const df_tile_layer *df_tile_suffix_layer(const df_tile_suffix *s, int32_t layer);
void df_tile_suffix_shape(const df_tile_suffix *s, int32_t *tiles_y, int32_t *tiles_x);
int32_t df_tile_suffix_inputs(df_tile_suffix *s, int32_t first, const df_tile_input **inputs);
void df_tile_suffix_free(df_tile_suffix *s);

/* Tile sizes offered for an output extent n (rows P or columns Q): n itself, its divisors and the
 * powers of two below it, at most max_out of them, largest first, keeping the spread (n, n/2-ish,
 * ..., 1) when there are more. Returns the count written to out. */
int32_t df_tile_candidates(int32_t n, int32_t *out, int32_t max_out);

/* The tiles offered for a group ending at layer `last` of a validated workload, the one list every
 * depth-first searcher shares (the exact DP, the GA, repair and the transformer's close slots): every
 * pair of df_tile_candidates of its P (DF_TILE_ROW_CANDIDATES) and Q (DF_TILE_COL_CANDIDATES) but
 * the whole tensor, each with each overlap mode, less the modes that are the same schedule
 * (cache_rows is recompute when a tile spans the width; cache_all is cache_rows when it spans the
 * height). Returns the count (0 for a 1 x 1 output or a `last` out of range); out holds
 * DF_MAX_TILE_OPTIONS. */
#define DF_TILE_ROW_CANDIDATES 6
#define DF_TILE_COL_CANDIDATES 3
#define DF_MAX_TILE_OPTIONS (DF_TILE_ROW_CANDIDATES * DF_TILE_COL_CANDIDATES * DF_OVERLAP_COUNT)
typedef struct {
    int32_t rows, cols, overlap;
} df_tile_option;
int32_t df_tile_options(const df_workload *w, int32_t last, df_tile_option *out);

/* Rows (axis 0) or columns (axis 1) of l's first input an interior tile of out_len output rows or
 * columns of l needs (the receptive field above, clipped to l's input plane; the whole input for a
 * layer without spatial locality). The cost model sizes a tile's dataflow figures with it. */
int32_t df_tile_in_extent(const df_layer *l, int axis, int32_t out_len);

#endif
