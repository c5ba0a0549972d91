/* check_tile.c - Check suite of the depth-first tile geometry (tile.h): hand-computed halos of a
 * 3x3 chain, the whole-tensor tile as layer-by-layer, outputs that leave the group, a residual DAG,
 * and a brute-force oracle on random chains and DAGs (per tile, the exact set of output positions
 * each layer must produce, marked position by position from the last layer's tile back); the tile
 * options every depth-first searcher shares (df_tile_options) and why each left-out mode is redundant. */
#include <stdlib.h>

#include "dnnfuser/tile.h"
#include "testutil.h"

static void validate(df_workload *w) {
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "%s", e.msg);
}

/* plans into *p (freed first when it holds a plan) and returns its layers */
static df_tile_layer *plan_of(const df_workload *w, int32_t f, int32_t l, int32_t rows, int32_t cols, df_overlap m,
                              df_tile_plan *p) {
    df_tile_plan_free(p);
    df_err e;
    ck_assert_msg(df_tile_plan_group(w, f, l, rows, cols, m, p, &e) == DF_OK, "%s", e.msg);
    return p->layer;
}

START_TEST(test_names) {
    df_overlap o;
    for (int i = 0; i < DF_OVERLAP_COUNT; i++) {
        ck_assert_int_eq(df_overlap_parse(df_overlap_name((df_overlap)i), &o), DF_OK);
        ck_assert_int_eq(o, i);
    }
    ck_assert_int_eq(df_overlap_parse("cache_some", &o), DF_EINVAL);
    ck_assert_str_eq(df_overlap_name(DF_OVERLAP_CACHE_ROWS), "cache_rows");
}
END_TEST

/* Two 3x3 stride-1 pad-1 convs on 8x8, one channel; row bands of 2 of the second's output:
 * layer 1 needs rows [0,3) [1,5) [3,7) [5,8) of layer 0 (14 rows); layer 0 reads input rows
 * [0,4) [0,6) [2,8) [4,8) (20 rows). */
START_TEST(test_chain_halos) {
    df_workload w;
    df_workload_init(&w, "c");
    tu_conv(&w, -1, 1, 8, 8, 1, 3, 1);
    tu_conv(&w, 0, 1, 8, 8, 1, 3, 1);
    validate(&w);
    df_tile_plan p = {0};
    df_tile_layer *b = plan_of(&w, 0, 1, 2, 8, DF_OVERLAP_RECOMPUTE, &p);
    ck_assert_int_eq(p.tiles_y, 4);
    ck_assert_int_eq(p.tiles_x, 1);
    ck_assert_int_eq(b[1].computed_elems, 64);
    ck_assert_int_eq(b[0].computed_elems, 14 * 8);
    ck_assert_int_eq(b[0].max_rows, 4);
    ck_assert_int_eq(b[0].max_out_elems, 4 * 8);
    ck_assert_int_eq(p.n_inputs, 1);
    ck_assert_int_eq(p.input[0].producer, -1);
    ck_assert_int_eq(p.input[0].read_elems, 20 * 8);
    ck_assert_int_eq(p.input[0].max_elems, 6 * 8);
    ck_assert_int_eq(p.input[0].elems, 64);
    ck_assert_int_eq(b[0].cache_elems, 0);
    /* full-width bands: no left neighbour, so cache_rows keeps nothing and recomputes the rows */
    b = plan_of(&w, 0, 1, 2, 8, DF_OVERLAP_CACHE_ROWS, &p);
    ck_assert_int_eq(b[0].computed_elems, 14 * 8);
    ck_assert_int_eq(b[0].cache_elems, 0);
    /* fully cached: each row once; the line buffer holds the overlap rows (2) across the width */
    b = plan_of(&w, 0, 1, 2, 8, DF_OVERLAP_CACHE_ALL, &p);
    ck_assert_int_eq(b[0].computed_elems, 64);
    ck_assert_int_eq(b[0].reused_elems, 14 * 8 - 64);
    ck_assert_int_eq(b[0].cache_elems, 2 * 8);
    ck_assert_int_eq(p.input[0].read_elems, 64);
    ck_assert_int_eq(p.input[0].cache_elems, 4 * 8); /* input rows [0,6) and [2,8) overlap by 4 */
    /* 2x2 tiles of 4x4: columns behave like rows; cache_rows keeps the left overlap of the band */
    b = plan_of(&w, 0, 1, 4, 4, DF_OVERLAP_CACHE_ROWS, &p);
    ck_assert_int_eq(p.tiles_y * p.tiles_x, 4);
    /* layer 0 rows [0,5) [3,8): sum 10, union 8; cols the same */
    ck_assert_int_eq(b[0].computed_elems, 10 * 8);
    ck_assert_int_eq(b[0].cache_elems, 5 * 2);
    b = plan_of(&w, 0, 1, 4, 4, DF_OVERLAP_RECOMPUTE, &p);
    ck_assert_int_eq(b[0].computed_elems, 10 * 10);
    df_tile_plan_free(&p);
    df_workload_free(&w);
}
END_TEST

/* The whole tensor as one tile is layer-by-layer / batch-only fusion: no recompute, no cache, every
 * external input read once, in every mode. */
START_TEST(test_whole_tile_is_plain_fusion) {
    df_rng r;
    df_rng_seed(&r, 7);
    for (int it = 0; it < 40; it++) {
        df_workload w;
        tu_random_workload(&w, &r, 3 + df_rng_range(&r, 8), it & 1);
        validate(&w);
        int32_t f = df_rng_range(&r, w.n_layers), l = f + df_rng_range(&r, w.n_layers - f);
        df_tile_plan p = {0};
        for (int m = 0; m < DF_OVERLAP_COUNT; m++) {
            df_tile_layer *b = plan_of(&w, f, l, w.layers[l].P, w.layers[l].Q, (df_overlap)m, &p);
            ck_assert_int_eq(p.tiles_y * p.tiles_x, 1);
            for (int32_t i = f; i <= l; i++) {
                ck_assert_int_eq(b[i - f].computed_elems, b[i - f].out_elems);
                ck_assert_int_eq(b[i - f].cache_elems, 0);
            }
            /* every outside tensor read once, whole or (a strided reader's) less */
            for (int32_t e = 0; e < p.n_inputs; e++) {
                ck_assert_int_eq(p.input[e].cache_elems, 0);
                ck_assert_int_le(p.input[e].read_elems, p.input[e].elems);
                ck_assert_int_lt(p.input[e].producer, f);
                ck_assert_int_le(p.input[e].first_use, p.input[e].last_use);
            }
        }
        df_tile_plan_free(&p);
        df_workload_free(&w);
    }
}
END_TEST

/* Brute force. Per tile, the positions each layer must produce are marked one by one from the
 * positions of its consumers in the group (window dependencies spelled out); per layer the bounding
 * box of a tile's marks is its region, and the coverage rule of tile.h (every output produced over the
 * tiles; a gap goes to the earlier tile) is applied before the layer's own inputs are marked. */
typedef struct {
    int32_t lo, hi;
} biv;

static void cover(biv *x, int32_t n, int32_t ext) {
    int any = 0;
    for (int32_t t = 0; t < n; t++) any |= x[t].hi > x[t].lo;
    if (!any) {
        for (int32_t t = 0; t < n; t++)
            x[t] = (biv){(int32_t)((int64_t)t * ext / n), (int32_t)((int64_t)(t + 1) * ext / n)};
        return;
    }
    int32_t end = 0;
    for (int32_t t = 0; t < n; t++) {
        if (x[t].hi <= x[t].lo) {
            x[t] = (biv){end, end};
            continue;
        }
        if (x[t].lo > end) {
            int32_t k = t - 1;
            while (k >= 0 && x[k].hi <= x[k].lo) k--;
            if (k >= 0)
                x[k].hi = x[t].lo;
            else
                x[t].lo = 0;
        }
        if (x[t].hi > end) end = x[t].hi;
    }
    for (int32_t t = n - 1; t >= 0; t--)
        if (x[t].hi > x[t].lo) {
            if (x[t].hi < ext) x[t].hi = ext;
            break;
        }
}

/* marks in producer p's grid every position output (y, x) of l reads */
static void mark_inputs(const df_workload *w, int32_t f, int32_t li, int32_t y, int32_t x, unsigned char **grid) {
    const df_layer *l = &w->layers[li];
    for (int32_t j = 0; j < l->n_inputs; j++) {
        int32_t p = l->inputs[j];
        if (p < f) continue;
        const df_layer *pl = &w->layers[p];
        unsigned char *g = grid[p - f];
        if (l->type == DF_LAYER_CONV || l->type == DF_LAYER_POOL || l->type == DF_LAYER_DWCONV) {
            int32_t pads[4];
            df_layer_pads(l, pads);
            for (int32_t dy = 0; dy < l->R; dy++)
                for (int32_t dx = 0; dx < l->S; dx++) {
                    int32_t iy = y * l->stride - pads[0] + dy, ix = x * df_layer_stride_x(l) - pads[2] + dx;
                    if (iy >= 0 && iy < pl->P && ix >= 0 && ix < pl->Q) g[iy * pl->Q + ix] = 1;
                }
        } else {
            g[y * pl->Q + x] = 1;
        }
    }
}

START_TEST(test_brute_force) {
    df_rng r;
    df_rng_seed(&r, 11);
    int checked = 0;
    for (int it = 0; it < 150; it++) {
        df_workload w;
        tu_random_workload(&w, &r, 2 + df_rng_range(&r, 6), it & 1);
        validate(&w);
        int32_t n = w.n_layers, f = df_rng_range(&r, n), l = f + df_rng_range(&r, n - f), g = l - f + 1;
        const df_layer *L = &w.layers[l];
        int32_t rows = 1 + df_rng_range(&r, L->P), cols = 1 + df_rng_range(&r, L->Q);
        int32_t ty_n = (L->P + rows - 1) / rows, tx_n = (L->Q + cols - 1) / cols, nt = ty_n * tx_n;
        /* grid[t][layer]: the marks of tile t */
        unsigned char ***grid = calloc((size_t)nt, sizeof *grid);
        for (int32_t t = 0; t < nt; t++) {
            grid[t] = calloc((size_t)g, sizeof **grid);
            for (int32_t i = f; i <= l; i++) grid[t][i - f] = calloc((size_t)w.layers[i].P * w.layers[i].Q, 1);
            int32_t ty = t / tx_n, tx = t % tx_n;
            for (int32_t y = ty * rows; y < L->P && y < ty * rows + rows; y++)
                for (int32_t x = tx * cols; x < L->Q && x < tx * cols + cols; x++) grid[t][g - 1][y * L->Q + x] = 1;
        }
        int64_t *want = calloc((size_t)g, sizeof *want);
        biv *ri = calloc((size_t)ty_n, sizeof *ri), *ci = calloc((size_t)tx_n, sizeof *ci);
        for (int32_t i = l; i >= f; i--) {
            const df_layer *li = &w.layers[i];
            for (int32_t t = 0; t < ty_n; t++) ri[t] = (biv){0, 0};
            for (int32_t t = 0; t < tx_n; t++) ci[t] = (biv){0, 0};
            for (int32_t t = 0; t < nt; t++) {
                int32_t ty = t / tx_n, tx = t % tx_n, y0 = li->P, y1 = -1, x0 = li->Q, x1 = -1;
                for (int32_t y = 0; y < li->P; y++)
                    for (int32_t x = 0; x < li->Q; x++)
                        if (grid[t][i - f][y * li->Q + x]) {
                            if (y < y0) y0 = y;
                            if (y > y1) y1 = y;
                            if (x < x0) x0 = x;
                            if (x > x1) x1 = x;
                        }
                if (y1 < 0) continue;
                /* separable: every tile of a row of tiles needs the same rows, and so for columns */
                if (ri[ty].hi > ri[ty].lo) ck_assert(ri[ty].lo == y0 && ri[ty].hi == y1 + 1);
                if (ci[tx].hi > ci[tx].lo) ck_assert(ci[tx].lo == x0 && ci[tx].hi == x1 + 1);
                ri[ty] = (biv){y0, y1 + 1};
                ci[tx] = (biv){x0, x1 + 1};
            }
            cover(ri, ty_n, li->P);
            cover(ci, tx_n, li->Q);
            int64_t sr = 0, sc = 0;
            for (int32_t t = 0; t < ty_n; t++) sr += ri[t].hi - ri[t].lo;
            for (int32_t t = 0; t < tx_n; t++) sc += ci[t].hi - ci[t].lo;
            want[i - f] = sr * sc * li->K;
            for (int32_t t = 0; t < nt; t++) {
                int32_t ty = t / tx_n, tx = t % tx_n;
                for (int32_t y = ri[ty].lo; y < ri[ty].hi; y++)
                    for (int32_t x = ci[tx].lo; x < ci[tx].hi; x++) mark_inputs(&w, f, i, y, x, grid[t]);
            }
        }
        df_tile_plan pr = {0}, pc = {0};
        df_tile_layer *b = plan_of(&w, f, l, rows, cols, DF_OVERLAP_RECOMPUTE, &pr);
        df_tile_layer *bc = plan_of(&w, f, l, rows, cols, DF_OVERLAP_CACHE_ALL, &pc);
        for (int32_t i = f; i <= l; i++) {
            ck_assert_msg(b[i - f].computed_elems == want[i - f],
                          "it %d group %d..%d tile %dx%d layer %d: plan %lld, brute force %lld", it, f, l, rows, cols,
                          i, (long long)b[i - f].computed_elems, (long long)want[i - f]);
            ck_assert_int_eq(bc[i - f].computed_elems, bc[i - f].out_elems);
            ck_assert_int_ge(b[i - f].computed_elems, b[i - f].out_elems);
        }
        checked += nt > 1;
        for (int32_t t = 0; t < nt; t++) {
            for (int32_t i = 0; i < g; i++) free(grid[t][i]);
            free(grid[t]);
        }
        free(grid);
        free(want);
        free(ri);
        free(ci);
        df_tile_plan_free(&pr);
        df_tile_plan_free(&pc);
        df_workload_free(&w);
    }
    ck_assert_int_ge(checked, 60);
}
END_TEST

/* A layer whose output a later group also reads is produced whole across the tiles. */
START_TEST(test_output_leaving_group) {
    df_workload w;
    df_workload_init(&w, "c");
    tu_conv(&w, -1, 1, 8, 8, 1, 3, 2); /* 4x4 */
    tu_conv(&w, 0, 1, 4, 4, 1, 1, 1);  /* 1x1 on rows needed = rows of the tile */
    tu_layer(&w, DF_LAYER_ADD, 0, 1, 1, 1, 4, 4, 1, 1, 0, 1);
    validate(&w);
    df_tile_plan p = {0};
    /* group [0,1], layer 2 (outside) reads layer 0 */
    df_tile_layer *b = plan_of(&w, 0, 1, 1, 4, DF_OVERLAP_RECOMPUTE, &p);
    ck_assert_int_eq(b[0].computed_elems, 16);
    ck_assert_int_eq(b[1].computed_elems, 16);
    df_tile_plan_free(&p);
    df_workload_free(&w);
}
END_TEST

/* A residual block whose input comes from outside: the conv and the add share one read per tile. */
START_TEST(test_shared_outside_input) {
    df_workload w;
    df_workload_init(&w, "res");
    tu_conv(&w, -1, 4, 8, 8, 4, 3, 1);
    tu_layer(&w, DF_LAYER_ADD, 0, -1, 4, 4, 8, 8, 1, 1, 0, 1);
    validate(&w);
    df_tile_plan p = {0};
    plan_of(&w, 0, 1, 4, 8, DF_OVERLAP_RECOMPUTE, &p);
    ck_assert_int_eq(p.n_inputs, 1);
    ck_assert_int_eq(p.input[0].first_use, 0);
    ck_assert_int_eq(p.input[0].last_use, 1);
    /* bands [0,4) [4,8): the conv needs rows [0,5) and [3,8) of the input, the add [0,4) and [4,8) */
    ck_assert_int_eq(p.input[0].read_elems, (5 + 5) * 8 * 4);
    ck_assert_int_eq(p.input[0].max_elems, 5 * 8 * 4);
    df_tile_plan_free(&p);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_whole_input_types) {
    df_workload w;
    df_workload_init(&w, "c");
    tu_conv(&w, -1, 2, 8, 8, 4, 3, 1);
    tu_layer(&w, DF_LAYER_FC, 0, -2, 10, 4 * 8 * 8, 1, 1, 1, 1, 0, 1);
    validate(&w);
    df_tile_plan p = {0};
    df_tile_layer *b = plan_of(&w, 0, 1, 1, 1, DF_OVERLAP_RECOMPUTE, &p);
    ck_assert_int_eq(b[1].whole_input, 1);
    ck_assert_int_eq(b[0].computed_elems, 4 * 8 * 8);
    df_tile_plan_free(&p);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_candidates) {
    int32_t c[16];
    int32_t n = df_tile_candidates(56, c, 16);
    /* divisors 56 28 14 8 7 4 2 1 and powers of two 32 16 */
    int32_t want[] = {56, 32, 28, 16, 14, 8, 7, 4, 2, 1};
    ck_assert_int_eq(n, 10);
    for (int i = 0; i < n; i++) ck_assert_int_eq(c[i], want[i]);
    n = df_tile_candidates(56, c, 4);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(c[0], 56);
    ck_assert_int_eq(c[3], 1);
    ck_assert_int_eq(df_tile_candidates(1, c, 4), 1);
    ck_assert_int_eq(c[0], 1);
    n = df_tile_candidates(1080, c, 16);
    ck_assert_int_le(n, 16);
    ck_assert_int_eq(c[0], 1080);
    for (int i = 1; i < n; i++) ck_assert_int_lt(c[i], c[i - 1]);
}
END_TEST

/* the figures of a plan that make two schedules the same (layers and outside inputs) */
static int same_plan(const df_tile_plan *a, const df_tile_plan *b) {
    if (a->n_layers != b->n_layers || a->n_inputs != b->n_inputs) return 0;
    for (int32_t i = 0; i < a->n_layers; i++) {
        const df_tile_layer *x = &a->layer[i], *y = &b->layer[i];
        if (x->computed_elems != y->computed_elems || x->cache_elems != y->cache_elems ||
            x->reused_elems != y->reused_elems || x->max_out_elems != y->max_out_elems)
            return 0;
    }
    for (int32_t i = 0; i < a->n_inputs; i++)
        if (a->input[i].read_elems != b->input[i].read_elems || a->input[i].cache_elems != b->input[i].cache_elems ||
            a->input[i].max_elems != b->input[i].max_elems)
            return 0;
    return 1;
}

/* df_tile_options on two 3x3 convs of 8x8 (group [0, 1], halos on both axes): rows 8 4 2 1 x the
 * 3 column candidates, less the whole tensor = 11 pairs; the 2 full-height pairs lose cache_all,
 * the 3 full-width ones cache_rows, the other 6 keep all 3 modes: 2*2 + 3*2 + 6*3 = 28. Every option
 * offered is a distinct schedule (df_tile_plan_group differs from every other mode of its tile), and
 * every mode left out is the same schedule as one offered. Out of range and a 1 x 1 output: none. */
START_TEST(test_tile_options) {
    df_workload w;
    df_workload_init(&w, "c");
    tu_conv(&w, -1, 1, 8, 8, 1, 3, 1);
    tu_conv(&w, 0, 1, 8, 8, 1, 3, 1);
    tu_layer(&w, DF_LAYER_CONV, 1, -2, 1, 1, 8, 8, 8, 8, 0, 1); /* 8x8 kernel, no pad: a 1 x 1 output */
    validate(&w);
    ck_assert_int_eq(w.layers[2].P * w.layers[2].Q, 1);
    df_tile_option o[DF_MAX_TILE_OPTIONS];
    int32_t rc[DF_TILE_ROW_CANDIDATES], cc[DF_TILE_COL_CANDIDATES];
    int32_t nr = df_tile_candidates(8, rc, DF_TILE_ROW_CANDIDATES),
            nc = df_tile_candidates(8, cc, DF_TILE_COL_CANDIDATES);
    ck_assert_int_eq(nr, 4);
    ck_assert_int_eq(nc, 3);
    int32_t n = df_tile_options(&w, 1, o);
    ck_assert_int_eq(n, 28);
    ck_assert(o[0].rows == 8 && o[0].cols == cc[1] && o[0].overlap == DF_OVERLAP_RECOMPUTE);
    ck_assert(o[n - 1].rows == 1 && o[n - 1].cols == 1 && o[n - 1].overlap == DF_OVERLAP_CACHE_ALL);
    df_tile_plan p = {0}, q = {0};
    df_err e;
    int32_t seen = 0;
    for (int32_t a = 0; a < nr; a++)
        for (int32_t b = 0; b < nc; b++) {
            int offered[DF_OVERLAP_COUNT] = {0};
            for (int32_t i = 0; i < n; i++)
                if (o[i].rows == rc[a] && o[i].cols == cc[b]) {
                    ck_assert(!offered[o[i].overlap]); /* each mode once */
                    offered[o[i].overlap] = 1;
                    seen++;
                }
            if (rc[a] == 8 && cc[b] == 8) { /* the whole tensor is no option */
                ck_assert(!offered[0] && !offered[1] && !offered[2]);
                continue;
            }
            ck_assert(offered[DF_OVERLAP_RECOMPUTE]);
            for (int m1 = 0; m1 < DF_OVERLAP_COUNT; m1++)
                for (int m2 = m1 + 1; m2 < DF_OVERLAP_COUNT; m2++) {
                    ck_assert_int_eq(df_tile_plan_group(&w, 0, 1, rc[a], cc[b], (df_overlap)m1, &p, &e), DF_OK);
                    ck_assert_int_eq(df_tile_plan_group(&w, 0, 1, rc[a], cc[b], (df_overlap)m2, &q, &e), DF_OK);
                    int same = same_plan(&p, &q);
                    df_tile_plan_free(&p);
                    df_tile_plan_free(&q);
                    /* two offered modes differ; a mode left out equals the one below it */
                    if (offered[m1] && offered[m2]) ck_assert_msg(!same, "%dx%d modes %d, %d", rc[a], cc[b], m1, m2);
                    if (!offered[m2] && m1 == m2 - 1) ck_assert_msg(same, "%dx%d mode %d dropped", rc[a], cc[b], m2);
                }
        }
    ck_assert_int_eq(seen, n); /* nothing outside the candidate pairs */
    ck_assert_int_eq(df_tile_options(&w, 2, o), 0);
    ck_assert_int_eq(df_tile_options(&w, 3, o), 0);
    ck_assert_int_eq(df_tile_options(&w, -1, o), 0);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_bad_arguments) {
    df_workload w;
    df_workload_init(&w, "c");
    tu_conv(&w, -1, 1, 8, 8, 1, 3, 1);
    validate(&w);
    df_tile_plan p = {0};
    df_err e;
    ck_assert_int_eq(df_tile_plan_group(&w, 0, 0, 0, 4, DF_OVERLAP_RECOMPUTE, &p, &e), DF_EINVAL);
    ck_assert_int_eq(df_tile_plan_group(&w, 0, 1, 4, 4, DF_OVERLAP_RECOMPUTE, &p, &e), DF_EINVAL);
    ck_assert_int_eq(df_tile_plan_group(&w, 0, 0, 4, 4, DF_OVERLAP_COUNT, &p, &e), DF_EINVAL);
    /* a tile larger than the output is clipped to it */
    ck_assert_int_eq(df_tile_plan_group(&w, 0, 0, 100, 100, DF_OVERLAP_RECOMPUTE, &p, &e), DF_OK);
    ck_assert_int_eq(p.rows, 8);
    ck_assert_int_eq(p.tiles_y, 1);
    df_tile_plan_free(&p);
    df_workload_free(&w);
}
END_TEST

int main(void) {
    Suite *s = suite_create("tile");
    TCase *t = tcase_create("core");
    tcase_add_test(t, test_names);
    tcase_add_test(t, test_chain_halos);
    tcase_add_test(t, test_whole_tile_is_plain_fusion);
    tcase_add_test(t, test_brute_force);
    tcase_add_test(t, test_output_leaving_group);
    tcase_add_test(t, test_shared_outside_input);
    tcase_add_test(t, test_whole_input_types);
    tcase_add_test(t, test_candidates);
    tcase_add_test(t, test_tile_options);
    tcase_add_test(t, test_bad_arguments);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
