/* bench_dfteacher.c - teacher statistics for the depth-first action layout (issue 18): over requests of
 * the training distribution (df_sample_request, train split, context 192) and zoo networks at a few
 * budgets (edge, batch 1), the exact optimum on DF_SPACE_DEPTH_FIRST and on DF_SPACE_BATCH for the
 * latency and energy objectives. Prints the solve time (CPU), tiled vs whole groups, the chosen tile's
 * rank among df_tile_options (joint tile x mode) and among the (rows, cols) pairs, rows/cols ranks and
 * overlap modes, candidates per group, whether the last layer's output shape differs from the first's
 * (a tile chosen at group start cannot name its pixels), and the depth-first gain. --quick (the
 * default) draws 40 requests, --full 80. Not a test: it measures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/answer.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/tile.h"

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

#define MAXT 4096
#define NRANK DF_MAX_TILE_OPTIONS
static double t_df[MAXT], t_b[MAXT];
static int n_t;
static long groups, tiled, mode_n[DF_OVERLAP_COUNT], jrank[NRANK + 1], prank[NRANK + 1], rrank[8], crank[4];
static long shape_diff, rows_full, cols_full;
static double ncand[MAXT * 8], npair[MAXT * 8];
static int n_c;
static long mode_by_prank[NRANK + 1][DF_OVERLAP_COUNT];
static double lr_sum[2];
static int lr_n[2], lr_better[2];
static double lr_min[2] = {1, 1};

static int idx_of(const int32_t *v, int32_t n, int32_t x) {
    for (int32_t i = 0; i < n; i++)
        if (v[i] == x) return i;
    return -1;
}

static void group_stats(const df_net *n, const df_group *g) {
    const df_workload *w = df_net_workload(n);
    const df_layer *l = &w->layers[g->last], *f = &w->layers[g->first];
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    int32_t no = df_tile_options(w, g->last, opt);
    int32_t rc[DF_TILE_ROW_CANDIDATES], cc[DF_TILE_COL_CANDIDATES];
    int32_t nr = df_tile_candidates(l->P, rc, DF_TILE_ROW_CANDIDATES),
            nc = df_tile_candidates(l->Q, cc, DF_TILE_COL_CANDIDATES);
    groups++;
    if (n_c < MAXT * 8) {
        ncand[n_c] = no;
        npair[n_c++] = nr * nc - 1;
    }
    if (df_group_is_whole(n, g)) return;
    tiled++;
    int32_t r = g->tile_rows > l->P ? l->P : g->tile_rows, c = g->tile_cols > l->Q ? l->Q : g->tile_cols;
    int ri = idx_of(rc, nr, r), ci = idx_of(cc, nc, c), ji = -1;
    for (int32_t k = 0; k < no; k++)
        if (opt[k].rows == r && opt[k].cols == c && opt[k].overlap == g->overlap) ji = k;
    int pi = ri >= 0 && ci >= 0 ? ri * nc + ci - 1 : -1; /* pair rank, the whole pair (0,0) excluded */
    jrank[ji < 0 ? NRANK : ji]++;
    prank[pi < 0 ? NRANK : pi]++;
    mode_by_prank[pi < 0 ? NRANK : pi][g->overlap]++;
    rrank[ri < 0 ? 7 : ri]++;
    crank[ci < 0 ? 3 : ci]++;
    mode_n[g->overlap]++;
    if (f->P != l->P || f->Q != l->Q) shape_diff++;
    if (r >= l->P) rows_full++;
    if (c >= l->Q) cols_full++;
}

static void run(const df_net *n) {
    for (int o = 0; o < 2; o++) {
        df_objective obj = o ? DF_OBJ_ENERGY : DF_OBJ_LATENCY;
        df_mapping md, mb;
        df_mapping_init(&md, 64);
        df_mapping_init(&mb, 64);
        df_err e;
        double t0 = cpu_s();
        int rd = df_solve_exact_in(n, obj, DF_SPACE_DEPTH_FIRST, &md, NULL, &e);
        double t1 = cpu_s();
        int rb = df_solve_exact_in(n, obj, DF_SPACE_BATCH, &mb, NULL, &e);
        double t2 = cpu_s();
        if (n_t < MAXT) {
            t_df[n_t] = t1 - t0;
            t_b[n_t++] = t2 - t1;
        }
        df_metrics a, b;
        if (rd == 0 && !df_mapping_eval(n, &md, &a, NULL, &e)) {
            for (int32_t k = 0; k < md.n_groups; k++) group_stats(n, &md.groups[k]);
            if (rb == 0 && !df_mapping_eval(n, &mb, &b, NULL, &e)) {
                double q = df_objective_value(obj, &a) / df_objective_value(obj, &b);
                lr_sum[o] += log(q);
                lr_n[o]++;
                if (q < 1 - 1e-9) lr_better[o]++;
                if (q < lr_min[o]) lr_min[o] = q;
            }
        }
        df_mapping_free(&md);
        df_mapping_free(&mb);
    }
}

static void cover(const char *what, const long *h, int n, long tot) {
    long acc = 0;
    int k90 = -1, k95 = -1, k99 = -1;
    printf("%s rank histogram (0 = first candidate):", what);
    for (int i = 0; i < n; i++) {
        if (h[i]) printf(" %d:%ld", i, h[i]);
        acc += h[i];
        if (k90 < 0 && acc >= 0.90 * tot) k90 = i + 1;
        if (k95 < 0 && acc >= 0.95 * tot) k95 = i + 1;
        if (k99 < 0 && acc >= 0.99 * tot) k99 = i + 1;
    }
    printf("\n  slots to cover 90%% / 95%% / 99%%: %d / %d / %d\n", k90, k95, k99);
}

int main(int argc, char **argv) {
    int nreq = 40;
    if (argc > 1 && !strcmp(argv[1], "--full")) nreq = 80;
    double w0 = now_s();
    df_rng r;
    df_rng_seed(&r, 18);
    for (int i = 0; i < nreq; i++) {
        df_request_sample q;
        df_err e;
        if (df_sample_request(&r, DF_SPLIT_TRAIN, 192, &q, &e)) continue;
        df_net *n;
        if (!df_net_init(&n, &q.w, &q.hw, q.batch, &e)) {
            run(n);
            df_net_free(n);
        }
        df_workload_free(&q.w);
    }
    int n_req_t = n_t;
    static const char *zoo[] = {"resnet18", "resnet50", "mobilenetv2", "unet", "fsrcnn"};
    static const int64_t bud[] = {64 << 10, 256 << 10, 1 << 20};
    for (int z = 0; z < 5; z++)
        for (int b = 0; b < 3; b++) {
            df_workload w;
            df_hw hw;
            df_err e;
            df_net *n;
            if (df_resolve_workload_spec(zoo[z], 0, DF_DEFAULT_MAX_LAYERS, &w, NULL, &e)) continue;
            df_hw_preset("edge", &hw, NULL);
            hw.buffer_bytes = bud[b];
            hw.energy = df_energy_default(hw.elem_bytes, bud[b]);
            if (!df_net_init(&n, &w, &hw, 1, &e)) {
                run(n);
                df_net_free(n);
            }
            df_workload_free(&w);
        }
    printf("bench_dfteacher: %d sampled requests (train split, seed 18, ctx 192) + 15 zoo points (edge, b1), "
           "x {latency, energy}: %d solves per space, wall %.1f s\n",
           nreq, n_t, now_s() - w0);
    printf("depth-first exact CPU per trajectory (ms): median %.2f p90 %.2f max %.2f (sampled only: median %.2f max "
           "%.2f); batch space median %.3f max %.2f\n",
           1e3 * pct(t_df, n_t, 0.5), 1e3 * pct(t_df, n_t, 0.9), 1e3 * pct(t_df, n_t, 1.0),
           1e3 * pct(t_df, n_req_t, 0.5), 1e3 * pct(t_df, n_req_t, 1.0), 1e3 * pct(t_b, n_t, 0.5),
           1e3 * pct(t_b, n_t, 1.0));
    printf("groups %ld: tiled %ld (%.1f%%), whole %ld\n", groups, tiled, 100.0 * tiled / (groups ? groups : 1),
           groups - tiled);
    printf("overlap of tiled: recompute %ld cache_rows %ld cache_all %ld\n", mode_n[0], mode_n[1], mode_n[2]);
    printf("tiled: rows span P %ld, cols span Q %ld, first layer's P,Q != last's %ld\n", rows_full, cols_full,
           shape_diff);
    printf("candidates per group: joint options median %.0f max %.0f; (rows,cols) pairs median %.0f max %.0f\n",
           pct(ncand, n_c, 0.5), pct(ncand, n_c, 1.0), pct(npair, n_c, 0.5), pct(npair, n_c, 1.0));
    cover("joint (tile x mode)", jrank, NRANK + 1, tiled);
    cover("tile pair", prank, NRANK + 1, tiled);
    cover("rows", rrank, 8, tiled);
    cover("cols", crank, 4, tiled);
    printf("mode by tile-pair rank (recompute/cache_rows/cache_all):");
    for (int i = 0; i <= NRANK; i++)
        if (prank[i]) printf(" %d:%ld/%ld/%ld", i, mode_by_prank[i][0], mode_by_prank[i][1], mode_by_prank[i][2]);
    printf("\n");
    for (int o = 0; o < 2; o++)
        printf("%s: depth-first strictly better in %d of %d; df/batch geomean %.4f, best %.4f\n",
               o ? "energy" : "latency", lr_better[o], lr_n[o], exp(lr_sum[o] / (lr_n[o] ? lr_n[o] : 1)), lr_min[o]);
    return 0;
}
