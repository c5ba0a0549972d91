/* bench_df.c - the depth-first map-space (issue 14): the exact solver's time per zoo network on both
 * spaces (batch-only and depth-first, alternating runs, medians), the target point (ResNet-50,
 * batch 8, edge, 512 KiB), and at batch 1 the energy and DRAM of the best depth-first mapping against
 * the best batch-only one (exact on both spaces; the energy objective for energy, the dram objective
 * for DRAM) at 64 KiB, 256 KiB and 1 MiB. Not a test: it asserts nothing, it measures. Bounded: a
 * network whose depth-first solve takes over 2 s is timed once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

/* bench_edge_net (bench_util.h), a failure fatal here. */
static df_net *make_net(const char *wname, int64_t budget, int32_t batch) {
    df_net *n = bench_edge_net(wname, budget, batch);
    if (!n) exit(1);
    return n;
}

/* One exact solve: ms, value (INFINITY when infeasible), groups tiled. */
static double solve_once(const df_net *n, df_objective obj, df_space sp, double *value, int *tiled) {
    df_mapping m;
    df_mapping_init(&m, 16);
    df_err e;
    double t0 = now_s();
    int rc = df_solve_exact_in(n, obj, sp, &m, NULL, &e);
    double ms = (now_s() - t0) * 1e3;
    *value = INFINITY;
    if (tiled) *tiled = 0;
    if (rc == DF_OK) {
        df_metrics mt;
        if (df_mapping_eval(n, &m, &mt, NULL, &e) == DF_OK && mt.feasible) *value = df_objective_value(obj, &mt);
        for (int32_t g = 0; tiled && g < m.n_groups; g++) *tiled += !df_group_is_whole(n, &m.groups[g]);
    }
    df_mapping_free(&m);
    return ms;
}

#define REPS 5

static void time_point(const char *wname, int64_t budget, int32_t batch, df_objective obj) {
    df_net *n = make_net(wname, budget, batch);
    double tb[REPS], td[REPS], vb = 0, vd = 0;
    int tiled = 0, reps = REPS;
    for (int r = 0; r < reps; r++) { /* alternating: batch, depth-first */
        tb[r] = solve_once(n, obj, DF_SPACE_BATCH, &vb, NULL);
        td[r] = solve_once(n, obj, DF_SPACE_DEPTH_FIRST, &vd, &tiled);
        if (r == 0 && td[0] > 2000) reps = 1;
    }
    double gain = isfinite(vb) && isfinite(vd) ? vd / vb : NAN;
    char g[64];
    if (isfinite(gain))
        snprintf(g, sizeof g, "%.4f", gain);
    else
        snprintf(g, sizeof g, "%s", !isfinite(vb) && isfinite(vd) ? "batch-only infeasible" : "both infeasible");
    printf("%-22s %6d %8lld %5d %-8s %10.3f %12.2f %6d  %s\n", wname, df_net_layers(n), (long long)budget / 1024, batch,
           df_objective_name(obj), median(tb, reps), median(td, reps), tiled, g);
    df_net_free(n);
}

static void gain_point(const char *wname, int64_t budget) {
    df_net *n = make_net(wname, budget, 1);
    double eb, ed, db, dd;
    int te, tdr;
    double ms = solve_once(n, DF_OBJ_ENERGY, DF_SPACE_BATCH, &eb, NULL);
    ms += solve_once(n, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &ed, &te);
    ms += solve_once(n, DF_OBJ_DRAM, DF_SPACE_BATCH, &db, NULL);
    ms += solve_once(n, DF_OBJ_DRAM, DF_SPACE_DEPTH_FIRST, &dd, &tdr);
    char b1[32], b2[32], b3[32], b4[32], r1[16] = "-", r2[16] = "-";
    snprintf(b1, sizeof b1, isfinite(eb) ? "%.1f" : "infeasible", eb / 1e6);
    snprintf(b2, sizeof b2, isfinite(ed) ? "%.1f" : "infeasible", ed / 1e6);
    snprintf(b3, sizeof b3, isfinite(db) ? "%.3f" : "infeasible", db / 1e6);
    snprintf(b4, sizeof b4, isfinite(dd) ? "%.3f" : "infeasible", dd / 1e6);
    if (isfinite(eb) && isfinite(ed)) snprintf(r1, sizeof r1, "%.3f", ed / eb);
    if (isfinite(db) && isfinite(dd)) snprintf(r2, sizeof r2, "%.3f", dd / db);
    printf("%-18s %6lld  %12s %12s %7s  %10s %10s %7s %3d %3d %8.0f\n", wname, (long long)budget / 1024, b1, b2, r1, b3,
           b4, r2, te, tdr, ms);
    df_net_free(n);
}

int main(int argc, char **argv) {
    /* optional: --gains (the gain table only), then the networks of the gain table (default
     * resnet18, mobilenetv2 and the 512x512 ones when the zoo has them) */
    int gains_only = argc > 1 && strcmp(argv[1], "--gains") == 0;
    if (gains_only) argc--, argv++;
    if (!gains_only) printf("exact solve time, edge, medians of %d alternating runs (ms)\n", REPS);
    if (!gains_only) {
        printf("%-22s %6s %8s %5s %-8s %10s %12s %6s  %s\n", "network", "layers", "KiB", "batch", "obj", "batch-only",
               "depth-first", "tiled", "depth-first / batch-only");
        time_point("resnet50", 512 * 1024, 8, DF_OBJ_LATENCY);
        for (int32_t z = 0; z < df_zoo_count(); z++) time_point(df_zoo_name(z), 512 * 1024, 8, DF_OBJ_LATENCY);
    }

    printf("\nbatch 1, edge: best depth-first vs best batch-only (exact on both; energy uJ, DRAM MB)\n");
    printf("%-18s %6s  %12s %12s %7s  %10s %10s %7s %3s %3s %8s\n", "network", "KiB", "E batch", "E depth", "ratio",
           "DRAM batch", "DRAM depth", "ratio", "tE", "tD", "ms");
    const char *def[] = {"resnet18", "mobilenetv2", "resnet18_512", "mobilenetv2_512", "fsrcnn", "unet", NULL};
    const char *const *nets = argc > 1 ? (const char *const *)argv + 1 : def;
    int64_t budgets[] = {64 * 1024, 256 * 1024, 1024 * 1024};
    for (int k = 0; nets[k]; k++) {
        int known = 0;
        for (int32_t z = 0; z < df_zoo_count(); z++) known |= strcmp(df_zoo_name(z), nets[k]) == 0;
        if (!known) continue;
        for (int b = 0; b < 3; b++) gain_point(nets[k], budgets[b]);
    }
    return 0;
}
