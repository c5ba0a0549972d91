/* bench_core.c - prints the core figures: cost-model evaluations per second on a whole ResNet-50
 * mapping, exact-solver time per zoo network, GA time and its cost gap to exact, and the gain of the
 * exact optimum over layer-by-layer for ResNet-50 on `edge` at three budgets. Medians of repeated
 * runs; bounded to well under a minute. Not a test: it asserts nothing, it measures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

static df_net *make_net(const char *wname, const char *preset, int64_t budget, int32_t batch) {
    df_workload w;
    df_hw hw;
    df_err e;
    df_net *n = NULL;
    if (df_zoo_build(wname, NULL, &w, &e) || df_hw_preset(preset, &hw, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    if (budget > 0) hw.buffer_bytes = budget;
    if (df_net_init(&n, &w, &hw, batch, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    df_workload_free(&w);
    return n;
}

static double value_of(const df_net *n, const df_mapping *m, df_objective obj) {
    df_metrics mt;
    df_err e;
    if (df_mapping_eval(n, m, &mt, NULL, &e) || !mt.feasible) return INFINITY;
    return df_objective_value(obj, &mt);
}

static void bench_eval(void) {
    df_net *n = make_net("resnet50", "edge", 512 * 1024, 8);
    df_mapping m;
    df_mapping_init(&m, 64);
    df_err e;
    if (df_solve_exact(n, DF_OBJ_LATENCY, &m, NULL, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        exit(1);
    }
    enum { SAMPLES = 9, REPS = 20000 };
    double t[SAMPLES];
    volatile double sink = 0;
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_s();
        for (int r = 0; r < REPS; r++) {
            df_metrics mt;
            df_mapping_eval(n, &m, &mt, NULL, &e);
            sink += mt.latency_cycles;
        }
        t[s] = (now_s() - t0) / REPS;
    }
    double med = median(t, SAMPLES);
    printf("cost model: whole ResNet-50 mapping (%d layers, %d groups, edge 512KiB, batch 8): "
           "%.2f us/eval, %.0f evals/s (median of %d x %d)\n",
           df_net_layers(n), m.n_groups, med * 1e6, 1.0 / med, SAMPLES, REPS);
    /* the exact mapping changes with the model; a fixed one compares cost-model versions directly */
    df_mapping f;
    df_mapping_init(&f, 32);
    for (int32_t i = 0; i + 2 < df_net_layers(n); i += 3) df_mapping_push(&f, i, i + 2, 2);
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_s();
        for (int r = 0; r < REPS; r++) {
            df_metrics mt;
            df_mapping_eval(n, &f, &mt, NULL, &e);
            sink += mt.latency_cycles;
        }
        t[s] = (now_s() - t0) / REPS;
    }
    med = median(t, SAMPLES);
    printf("cost model: fixed ResNet-50 mapping (%d groups of 3 layers, micro-batch 2): %.2f us/eval (median of %d x "
           "%d)\n",
           f.n_groups, med * 1e6, SAMPLES, REPS);
    df_mapping_free(&f);
    (void)sink;
    df_mapping_free(&m);
    df_net_free(n);
}

static void bench_solvers(void) {
    printf("\nsolvers per zoo network (edge preset, 512KiB budget, batch 8, objective latency; "
           "GA defaults: population 64, generations 200, seed 1)\n");
    printf("%-16s %6s %10s %12s %9s %10s %9s %9s\n", "network", "layers", "exact ms", "group evals", "groups", "ga ms",
           "ga/exact", "lbl/exact");
    df_ga_params gp;
    df_ga_params_default(&gp);
    for (int32_t z = 0; z < df_zoo_count(); z++) {
        const char *name = df_zoo_name(z);
        df_net *n = make_net(name, "edge", 512 * 1024, 8);
        df_mapping m, g, l;
        df_mapping_init(&m, 64);
        df_mapping_init(&g, 64);
        df_mapping_init(&l, 64);
        df_err e;
        df_solve_stats st = {0};
        double te[5], tg[3];
        int rc = 0;
        for (int r = 0; r < 5 && !rc; r++) {
            double t0 = now_s();
            rc = df_solve_exact(n, DF_OBJ_LATENCY, &m, &st, &e);
            te[r] = now_s() - t0;
        }
        if (rc) {
            printf("%-16s %6d  infeasible: %s\n", name, df_net_layers(n), e.msg);
            goto next;
        }
        for (int r = 0; r < 3; r++) {
            double t0 = now_s();
            df_solve_ga(n, DF_OBJ_LATENCY, &gp, &g, NULL, &e);
            tg[r] = now_s() - t0;
        }
        df_solve_lbl(n, DF_OBJ_LATENCY, &l, NULL, &e);
        double ve = value_of(n, &m, DF_OBJ_LATENCY);
        printf("%-16s %6d %10.2f %12lld %9d %10.1f %9.4f %9.3f\n", name, df_net_layers(n), median(te, 5) * 1e3,
               (long long)st.groups_evaluated, m.n_groups, median(tg, 3) * 1e3, value_of(n, &g, DF_OBJ_LATENCY) / ve,
               value_of(n, &l, DF_OBJ_LATENCY) / ve);
    next:
        df_mapping_free(&m);
        df_mapping_free(&g);
        df_mapping_free(&l);
        df_net_free(n);
    }
}

static void bench_gain(void) {
    printf("\nexact vs layer-by-layer, ResNet-50 on edge (16x16 ws, 16 B/cycle DRAM, int8)\n");
    printf("%-8s %6s %8s %10s %10s %10s %10s %10s\n", "budget", "batch", "groups", "speedup", "energy x", "dram x",
           "exact ms", "lbl ms");
    int64_t budgets[] = {128 * 1024, 512 * 1024, 2 * 1024 * 1024};
    int32_t batches[] = {1, 8};
    for (int b = 0; b < 3; b++)
        for (int k = 0; k < 2; k++) {
            df_net *n = make_net("resnet50", "edge", budgets[b], batches[k]);
            df_mapping m, l;
            df_mapping_init(&m, 64);
            df_mapping_init(&l, 64);
            df_err e;
            char bs[32];
            df_format_size(budgets[b], bs, sizeof bs);
            if (df_solve_exact(n, DF_OBJ_LATENCY, &m, NULL, &e) || df_solve_lbl(n, DF_OBJ_LATENCY, &l, NULL, &e)) {
                printf("%-8s %6d  infeasible: %s\n", bs, batches[k], e.msg);
            } else {
                df_metrics me, ml;
                df_mapping_eval(n, &m, &me, NULL, &e);
                df_mapping_eval(n, &l, &ml, NULL, &e);
                printf("%-8s %6d %8d %9.3fx %9.3fx %9.3fx %10.3f %10.3f\n", bs, batches[k], m.n_groups,
                       ml.latency_cycles / me.latency_cycles, ml.energy_pj / me.energy_pj,
                       ml.dram_bytes / me.dram_bytes, me.latency_s * 1e3, ml.latency_s * 1e3);
            }
            df_mapping_free(&m);
            df_mapping_free(&l);
            df_net_free(n);
        }
}

int main(void) {
    bench_eval();
    bench_solvers();
    bench_gain();
    return 0;
}
