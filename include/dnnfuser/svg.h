/* svg.h - pictures of mappings and sweeps as standalone SVG documents (issue #5).
 *
 * Pure rendering into a growing string buffer: no I/O, no global state, deterministic (the same
 * input gives the same bytes). Every piece of user text (workload, layer, hardware and series names)
 * is XML-escaped, invalid UTF-8 and control characters replaced, so the output is well-formed XML
 * whatever a client sends.
 *
 *   df_svg_map    one mapping: layers along x (named under the axis when the names fit, every 2nd
 *                 when they fit only so, numbered otherwise), fusion groups as coloured bands
 *                 labelled with their micro-batch and latency (a time, or a share of the total where
 *                 a time does not fit), a bar per layer of the bytes live on chip (weights and
 *                 activations, linear y axis in bytes from 0, right axis in % of the budget) against a
 *                 horizontal budget line; the gain over layer-by-layer (speedup, DRAM) in the title.
 *                 A depth-first (tiled) group also gets, in a strip at the top of its band, a glyph
 *                 of the tile grid of its last output, "tile RxC, overlap" and the extra MACs of its
 *                 recomputed halos (the cost model's macs / layer_macs); its bars are the bytes live
 *                 under tiling (df_mapping_footprints), with the untiled footprint as a dashed outline.
 *   df_svg_sweep  a budget sweep: on-chip budget on a log x axis, two panels (latency, energy),
 *                 one line per series; a missing (infeasible) point is a gap in its line, and budgets
 *                 where no series has a point are shaded. The knee of the optimum (series 1, else 0)
 *                 is marked (df_svg_knee). A linear y axis spans at least 5% of its largest value and,
 *                 when it does not start at 0, the panel says how far the values really move (a 0.2%
 *                 change is a small step labelled "span 0.20%", not a cliff). */
#ifndef DNNFUSER_SVG_H
#define DNNFUSER_SVG_H

#include "dnnfuser/cost.h"

/* The growing output buffer. data is NUL-terminated once anything was written. */
typedef struct {
    char *data;
    size_t len, cap;
    int oom; /* an append failed; the renderers then return DF_ENOMEM */
} df_svg_buf;

void df_svg_buf_init(df_svg_buf *b);
void df_svg_buf_free(df_svg_buf *b);
/* Hands the text to the caller (who frees it) and leaves b empty; *len (nullable) gets its length. */
char *df_svg_buf_take(df_svg_buf *b, size_t *len);

typedef struct {
    const df_net *net;
    const df_mapping *map;
    const char *solver; /* who produced the mapping, for the title, e.g. "exact" (nullable) */
    df_objective objective;
    const df_metrics *baseline; /* layer-by-layer metrics for the gain in the title (nullable) */
} df_svg_map_opts;

/* Replaces out's content with the picture of o->map. DF_EINVAL when the mapping does not fit the net
 * (err says why), DF_ENOMEM. An infeasible mapping is drawn (its bars over the budget in red). */
int df_svg_map(const df_svg_map_opts *o, df_svg_buf *out, df_err *err);

#define DF_SVG_MAX_SERIES 6

/* One line of a sweep. Series are drawn in order with a fixed style: 0 grey dashed (pass the
 * layer-by-layer baseline first), 1 blue (the optimum), 2 orange, 3 green, 4 purple, 5 brown. */
typedef struct {
    const char *name;        /* legend text */
    const double *latency_s; /* [n_points] seconds; NaN (or <= 0) = no point: a gap */
    const double *energy_pj; /* [n_points] picojoules; NaN (or <= 0) = no point */
} df_svg_series;

typedef struct {
    const char *title;      /* e.g. "resnet50 budget sweep" */
    const char *subtitle;   /* e.g. hardware, batch, objective (nullable) */
    const char *note;       /* a last line under the legend (nullable) */
    int32_t n_points;       /* >= 1 */
    const int64_t *budgets; /* [n_points] bytes > 0, any order (drawn sorted) */
    int32_t n_series;       /* 1..DF_SVG_MAX_SERIES */
    const df_svg_series *series;
    int no_knee; /* 1: do not mark the knee */
} df_svg_sweep_opts;

/* The knee of one series: the index of the smallest budget from which every larger budget's value
 * is within tol (e.g. 0.1) of the series' whole range above its best (smallest) value: 90% of what
 * more on-chip memory can gain is reached there. -1 when fewer than 3 points have values, or the
 * values move by less than 0.5% (no knee worth marking). values: NaN or <= 0 = no point. */
int32_t df_svg_knee(int32_t n, const int64_t *budgets, const double *values, double tol);

/* Replaces out's content with the sweep picture. DF_EINVAL on bad options, DF_ENOMEM. */
int df_svg_sweep(const df_svg_sweep_opts *o, df_svg_buf *out, df_err *err);

#endif
