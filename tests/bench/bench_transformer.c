/* bench_transformer.c - the transformer mapper's quality against the exact solver on data it was not
 * trained on (held-out networks mnasnet/efficientnet_b0, and the held-out budget band), per objective,
 * greedy, best-of-4 and greedy + repair (what the daemon answers); and its speed: single-request
 * latency on ResNet-50, mappings/s by batch size, and time against GA and exact per zoo network.
 * Usage: bench_transformer [WEIGHTS] (default weights/dnnfuser.weights). Bounded to a few minutes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/zoo.h"

static double value(const df_net *n, const df_mapping *m, df_objective o) {
    df_metrics mt;
    if (df_mapping_eval(n, m, &mt, NULL, NULL) || !mt.feasible) return INFINITY;
    return df_objective_value(o, &mt);
}

typedef struct { double lg, worst; int opt, better, feasible, n; } agg;

static void add(agg *a, double v, double ex, double lbl) {
    double r = v / ex;
    a->n++;
    if (!isfinite(r)) return;
    a->feasible++;
    a->lg += log(r);
    if (r > a->worst) a->worst = r;
    a->opt += r <= 1 + 1e-9;
    a->better += v < lbl * (1 - 1e-9);
}

static void print_agg(const char *what, const agg *a) {
    printf("  %-14s geomean %.4f  worst %.3f  optimal %5.1f%%  better than lbl %5.1f%%  feasible %5.1f%%\n", what,
           a->feasible ? exp(a->lg / a->feasible) : NAN, a->worst, 100.0 * a->opt / a->n, 100.0 * a->better / a->n,
           100.0 * a->feasible / a->n);
}

static void quality(df_mapper *mp, df_split split, df_objective obj, int n, uint64_t seed) {
    df_rng r;
    df_rng_seed(&r, seed);
    agg g1 = {0, 1, 0, 0, 0, 0}, g4 = g1, gr = g1, lb = g1;
    int32_t T = df_mapper_config(mp)->T;
    for (int i = 0; i < n; i++) {
        df_request_sample q;
        df_err e;
        if (df_sample_request(&r, split, T, &q, &e)) { fprintf(stderr, "sample: %s\n", e.msg); continue; }
        q.obj = obj;
        df_net *net;
        if (df_net_init(&net, &q.w, &q.hw, q.batch, &e)) { df_workload_free(&q.w); continue; }
        df_mapping ex, l, t1, t4;
        df_mapping_init(&ex, 16);
        df_mapping_init(&l, 16);
        df_mapping_init(&t1, 16);
        df_mapping_init(&t4, 16);
        if (!df_solve_exact(net, obj, &ex, NULL, &e) && !df_solve_lbl(net, obj, &l, NULL, &e)) {
            double ve = value(net, &ex, obj), vl = value(net, &l, obj);
            double v1 = df_solve_transformer(mp, net, obj, 1, &t1, NULL, &e) ? INFINITY : value(net, &t1, obj);
            double v4 = df_solve_transformer(mp, net, obj, 4, &t4, NULL, &e) ? INFINITY : value(net, &t4, obj);
            double vr = (isfinite(v1) && !df_repair(net, obj, &t1, 1000, NULL, &e)) ? value(net, &t1, obj) : INFINITY;
            add(&g1, v1, ve, vl);
            add(&g4, v4, ve, vl);
            add(&gr, vr, ve, vl);
            add(&lb, vl, ve, vl);
        }
        df_mapping_free(&ex);
        df_mapping_free(&l);
        df_mapping_free(&t1);
        df_mapping_free(&t4);
        df_net_free(net);
        df_workload_free(&q.w);
    }
    printf("%s, objective %s, %d requests (cost / exact cost):\n", df_split_name(split), df_objective_name(obj), g1.n);
    print_agg("greedy", &g1);
    print_agg("best-of-4", &g4);
    print_agg("greedy+repair", &gr);
    print_agg("layer-by-layer", &lb);
}

static df_net *zoo_net(const char *name, const char *preset, int64_t budget, int32_t batch) {
    df_workload w;
    df_hw hw;
    df_err e;
    df_net *n = NULL;
    if (df_zoo_build(name, NULL, &w, &e) || df_hw_preset(preset, &hw, &e)) return NULL;
    if (budget) hw.buffer_bytes = budget;
    hw.energy = df_energy_default(hw.elem_bytes, hw.buffer_bytes);
    if (df_net_init(&n, &w, &hw, batch, &e)) n = NULL;
    df_workload_free(&w);
    return n;
}

static void speed(df_mapper *mp) {
    df_net *n = zoo_net("resnet50", "edge", 512 << 10, 8);
    df_mapping m;
    df_mapping_init(&m, 64);
    df_err e;
    enum { REPS = 200 };
    double t[REPS];
    for (int i = 0; i < REPS; i++) {
        double t0 = now_s();
        df_solve_transformer(mp, n, DF_OBJ_LATENCY, 1, &m, NULL, &e);
        t[i] = now_s() - t0;
    }
    printf("\nspeed (one thread, OPENBLAS_NUM_THREADS=1)\n  ResNet-50 single request (edge, 512 KiB, batch 8, greedy): "
           "p50 %.3f ms, p99 %.3f ms over %d runs\n", pct(t, REPS, 0.5) * 1e3, pct(t, REPS, 0.99) * 1e3, REPS);
    /* mappings/s by batch size: medians of alternating rounds (each round runs every size once) */
    enum { NSIZES = 5, ROUNDS = 5 };
    int32_t sizes[NSIZES] = {1, 8, 32, 64, 128};
    int32_t maxs = df_mapper_free_slots(mp);
    df_net *nets[128];
    for (int32_t i = 0; i < 128; i++) nets[i] = zoo_net("resnet50", "edge", (int64_t)(128 << 10) * (1 + i % 16), 8);
    double bt[NSIZES][ROUNDS];
    for (int rep = 0; rep < ROUNDS; rep++)
        for (int s = 0; s < NSIZES; s++) {
            int32_t B = sizes[s] <= maxs ? sizes[s] : maxs;
            df_mapper_job *jobs[128];
            double t0 = now_s();
            for (int32_t i = 0; i < B; i++) df_mapper_admit(mp, nets[i], DF_OBJ_LATENCY, 1, i, NULL, &jobs[i], &e);
            while (df_mapper_active(mp) > 0) df_mapper_step(mp, NULL, &e);
            bt[s][rep] = now_s() - t0;
            for (int32_t i = 0; i < B; i++) df_mapper_job_free(mp, jobs[i]);
        }
    for (int s = 0; s < NSIZES; s++) {
        int32_t B = sizes[s] <= maxs ? sizes[s] : maxs;
        double med = median(bt[s], ROUNDS);
        printf("  batch %3d: %8.1f ResNet-50 mappings/s (%.2f ms per batch of %d, median of %d alternating rounds)\n", B,
               B / med, med * 1e3, B, ROUNDS);
    }
    for (int32_t i = 0; i < 128; i++) df_net_free(nets[i]);
    df_mapping_free(&m);
    df_net_free(n);
    printf("\ntime per mapping, edge 512 KiB, batch 8, latency (medians of 3): transformer greedy vs GA (defaults) vs exact\n");
    df_ga_params gp;
    df_ga_params_default(&gp);
    for (int32_t z = 0; z < df_zoo_count(); z++) {
        n = zoo_net(df_zoo_name(z), "edge", 512 << 10, 8);
        if (!n) continue;
        df_mapping a;
        df_mapping_init(&a, 64);
        double tt[3], tg[3], te[3], vt = 0, vg = 0, ve = 0;
        for (int r = 0; r < 3; r++) {
            double t0 = now_s();
            if (df_solve_transformer(mp, n, DF_OBJ_LATENCY, 1, &a, NULL, &e)) { tt[r] = NAN; break; }
            tt[r] = now_s() - t0;
            vt = value(n, &a, DF_OBJ_LATENCY);
            t0 = now_s();
            df_solve_ga(n, DF_OBJ_LATENCY, &gp, &a, NULL, &e);
            tg[r] = now_s() - t0;
            vg = value(n, &a, DF_OBJ_LATENCY);
            t0 = now_s();
            df_solve_exact(n, DF_OBJ_LATENCY, &a, NULL, &e);
            te[r] = now_s() - t0;
            ve = value(n, &a, DF_OBJ_LATENCY);
        }
        if (isnan(tt[0])) printf("  %-16s transformer: %s\n", df_zoo_name(z), e.msg);
        else
            printf("  %-16s transformer %8.3f ms (cost x%.4f)  GA %8.2f ms (x%.4f, %.0fx slower)  exact %8.2f ms (%.1fx slower)\n",
                   df_zoo_name(z), pct(tt, 3, .5) * 1e3, vt / ve, pct(tg, 3, .5) * 1e3, vg / ve,
                   pct(tg, 3, .5) / pct(tt, 3, .5), pct(te, 3, .5) * 1e3, pct(te, 3, .5) / pct(tt, 3, .5));
        df_mapping_free(&a);
        df_net_free(n);
    }
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "weights/dnnfuser.weights";
    df_mapper *mp;
    df_err e;
    if (df_mapper_load(&mp, path, 128, &e)) {
        fprintf(stderr, "bench_transformer: %s\n", e.msg);
        return 1;
    }
    printf("weights %s: d=%d layers=%d heads=%d context=%d\n%s\n\n", path, df_mapper_config(mp)->d,
           df_mapper_config(mp)->L, df_mapper_config(mp)->H, df_mapper_config(mp)->T, df_mapper_meta(mp)->text);
    df_objective objs[2] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY};
    for (int s = DF_SPLIT_HELDOUT_NET; s <= DF_SPLIT_HELDOUT_BAND; s++)
        for (int o = 0; o < 2; o++) quality(mp, (df_split)s, objs[o], 100, 1000 + 10 * s + o);
    speed(mp);
    df_mapper_free(mp);
    return 0;
}
