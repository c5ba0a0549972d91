/* bench_transformer.c - the transformer mapper's quality against the exact solver on data it was not
 * trained on (held-out networks mnasnet/efficientnet_b0, and the held-out budget band), per objective,
 * greedy, best-of-4 and greedy + repair (what the daemon answers); and its speed: single-request
 * latency on ResNet-50, mappings/s by batch size, and time against GA and exact per zoo network.
 * and on networks longer than the context (EfficientNet-V2-S 237 layers, ResNet-152 208, a 400-layer
 * chain) against exact, per sliding window.
 * Usage: bench_transformer [WEIGHTS [long]] (default weights/dnnfuser.weights; "long": only the long
 * networks). Bounded to a few minutes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/netbuild.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

static double value(const df_net *n, const df_mapping *m, df_objective o) {
    df_metrics mt;
    if (df_mapping_eval(n, m, &mt, NULL, NULL) || !mt.feasible) return INFINITY;
    return df_objective_value(o, &mt);
}

typedef struct {
    double lg, worst;
    int opt, better, feasible, n;
} agg;

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
        df_net *net = bench_sample_net(&r, split, T, obj, &q);
        if (!net) continue;
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
           "p50 %.3f ms, p99 %.3f ms over %d runs\n",
           pct(t, REPS, 0.5) * 1e3, pct(t, REPS, 0.99) * 1e3, REPS);
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
        printf("  batch %3d: %8.1f ResNet-50 mappings/s (%.2f ms per batch of %d, median of %d alternating rounds)\n",
               B, B / med, med * 1e3, B, ROUNDS);
    }
    for (int32_t i = 0; i < 128; i++) df_net_free(nets[i]);
    df_mapping_free(&m);
    df_net_free(n);
    printf("\ntime per mapping, edge 512 KiB, batch 8, latency (medians of 3): transformer greedy vs GA (defaults) vs "
           "exact\n");
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
            if (df_solve_transformer(mp, n, DF_OBJ_LATENCY, 1, &a, NULL, &e)) {
                tt[r] = NAN;
                break;
            }
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
        if (isnan(tt[0]))
            printf("  %-16s transformer: %s\n", df_zoo_name(z), e.msg);
        else
            printf("  %-16s transformer %8.3f ms (cost x%.4f)  GA %8.2f ms (x%.4f, %.0fx slower)  exact %8.2f ms "
                   "(%.1fx slower)\n",
                   df_zoo_name(z), pct(tt, 3, .5) * 1e3, vt / ve, pct(tg, 3, .5) * 1e3, vg / ve,
                   pct(tg, 3, .5) / pct(tt, 3, .5), pct(te, 3, .5) * 1e3, pct(te, 3, .5) / pct(tt, 3, .5));
        df_mapping_free(&a);
        df_net_free(n);
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* networks longer than the model's context (192 layers), built here with the zoo's conventions */

/* torchvision efficientnet_v2_s: FusedMBConv stages (a 3x3 expand conv, a 1x1 project when expand > 1)
 * then MBConv stages with squeeze-excite modelled as in the zoo's efficientnet_b0 (pool, reduce and
 * expand 1x1 convs off the depthwise output; the projection reads the depthwise output): 237 layers */
static int32_t v2_block(df_netbuild *b, int32_t x, int fused, int32_t expand, int32_t stride, int32_t out) {
    int32_t kc, ky, kx;
    df_nb_shape(b, x, &kc, &ky, &kx);
    int32_t y, hidden = kc * expand;
    if (fused) {
        y = df_nb_conv(b, "fused", x, expand == 1 ? out : hidden, 3, stride, 1, 1);
        if (expand != 1) y = df_nb_conv(b, "project", y, out, 1, 1, 0, 1);
    } else {
        y = df_nb_conv(b, "expand", x, hidden, 1, 1, 0, 1);
        y = df_nb_dwconv(b, "dw", y, 3, stride, 1);
        int32_t s = df_nb_gpool(b, "se.pool", y);
        s = df_nb_conv(b, "se.reduce", s, kc / 4 > 1 ? kc / 4 : 1, 1, 1, 0, 1);
        df_nb_conv(b, "se.expand", s, hidden, 1, 1, 0, 1);
        y = df_nb_conv(b, "project", y, out, 1, 1, 0, 1);
    }
    if (stride == 1 && kc == out) y = df_nb_add(b, "add", y, x);
    return y;
}

static int build_effnet_v2_s(df_workload *w, df_err *e) {
    /* (fused, expand, stride, out, repeats), torchvision _efficientnet_conf("efficientnet_v2_s") */
    static const int32_t st[6][5] = {{1, 1, 1, 24, 2},  {1, 4, 2, 48, 4},  {1, 4, 2, 64, 4},
                                     {0, 4, 2, 128, 6}, {0, 6, 1, 160, 9}, {0, 6, 2, 256, 15}};
    df_netbuild b;
    df_workload_init(w, "efficientnet_v2_s");
    df_nb_init(&b, w, 3, 384, 384);
    int32_t x = df_nb_conv(&b, "stem", -1, 24, 3, 2, 1, 1);
    for (int s = 0; s < 6; s++)
        for (int32_t k = 0; k < st[s][4]; k++) x = v2_block(&b, x, st[s][0], st[s][1], k ? 1 : st[s][2], st[s][3]);
    x = df_nb_conv(&b, "head", x, 1280, 1, 1, 0, 1);
    x = df_nb_gpool(&b, "avgpool", x);
    df_nb_fc(&b, "classifier", x, 1000);
    return df_nb_finish(&b, e);
}

/* torchvision resnet152 (bottleneck, [3, 8, 36, 3]): 208 layers */
static int build_resnet152(df_workload *w, df_err *e) {
    static const int32_t reps[4] = {3, 8, 36, 3}, width[4] = {64, 128, 256, 512};
    df_netbuild b;
    df_workload_init(w, "resnet152");
    df_nb_init(&b, w, 3, 224, 224);
    int32_t x = df_nb_conv(&b, "conv1", -1, 64, 7, 2, 3, 1);
    x = df_nb_pool(&b, "maxpool", x, 3, 2, 1);
    for (int s = 0; s < 4; s++)
        for (int32_t k = 0; k < reps[s]; k++) {
            int32_t stride = k == 0 && s > 0 ? 2 : 1;
            int32_t y = df_nb_conv(&b, "conv1", x, width[s], 1, 1, 0, 1);
            y = df_nb_conv(&b, "conv2", y, width[s], 3, stride, 1, 1);
            y = df_nb_conv(&b, "conv3", y, 4 * width[s], 1, 1, 0, 1);
            int32_t sc = k == 0 ? df_nb_conv(&b, "downsample", x, 4 * width[s], 1, stride, 0, 1) : x;
            x = df_nb_add(&b, "add", y, sc);
        }
    x = df_nb_gpool(&b, "avgpool", x);
    df_nb_fc(&b, "fc", x, 1000);
    return df_nb_finish(&b, e);
}

/* a 400-layer chain of 3x3 convs at 28x28 with widths cycling 64..256, a residual every 4 layers */
static int build_deep_chain(df_workload *w, df_err *e) {
    df_netbuild b;
    df_workload_init(w, "deep_chain_400");
    df_nb_init(&b, w, 64, 28, 28);
    int32_t x = df_nb_conv(&b, "in", -1, 64, 3, 1, 1, 1), skip = x;
    for (int i = 1; i < 400; i++) {
        if (i % 4 == 0) {
            x = df_nb_add(&b, "add", x, skip);
            skip = x;
        } else {
            x = df_nb_conv(&b, "conv", x, i % 4 == 3 ? 64 : 64 << (i % 3), 3, 1, 1, 1);
        }
    }
    return df_nb_finish(&b, e);
}

/* Quality and time on networks longer than the context: greedy cost / exact cost per budget, for the
 * sliding windows 0 (chunks carrying only the partial schedule: the default), T/4, T/2 and 3T/4. */
static void long_networks(df_mapper *mp) {
    int32_t T = df_mapper_config(mp)->T;
    /* the synthetic long networks, then the zoo's longest (vit_b_16 174 layers, gpt2_small[_decode] 170) at
     * the race's budgets (bench_gpt_race: 256 KiB, 2 MiB, 16 MiB): longer than a context of 128, within the
     * shipped one of 192 (then every window decodes them identically, a check of the window's effect) */
    const char *names[6] = {"efficientnet_v2_s", "resnet152",  "deep_chain_400",
                            "vit_b_16",          "gpt2_small", "gpt2_small_decode"};
    int (*build[3])(df_workload *, df_err *) = {build_effnet_v2_s, build_resnet152, build_deep_chain};
    const int64_t budgets_syn[4] = {1 << 20, 4 << 20, 16 << 20, 64 << 20};
    const int64_t budgets_zoo[4] = {256 << 10, 2 << 20, 16 << 20, 0};
    const int32_t windows[4] = {0, T / 4, T / 2, 3 * T / 4};
    printf("\nnetworks longer than the context (T = %d), edge preset, batch 8, latency; greedy cost / exact cost\n"
           "(time per mapping in ms, one thread) for sliding windows %d (chunks, the default), %d, %d, %d:\n",
           T, windows[0], windows[1], windows[2], windows[3]);
    double lg[4] = {0, 0, 0, 0}, worst[4] = {1, 1, 1, 1};
    int cnt = 0;
    for (int k = 0; k < 6; k++) {
        df_workload w;
        df_err e;
        if (k < 3 ? build[k](&w, &e) : df_zoo_build(names[k], NULL, &w, &e)) {
            printf("  %s: %s\n", names[k], e.msg);
            continue;
        }
        const int64_t *budgets = k < 3 ? budgets_syn : budgets_zoo;
        for (int bu = 0; bu < 4 && budgets[bu]; bu++) {
            df_hw hw;
            df_net *n;
            df_hw_preset("edge", &hw, &e);
            hw.buffer_bytes = budgets[bu];
            hw.energy = df_energy_default(hw.elem_bytes, hw.buffer_bytes);
            if (df_net_init(&n, &w, &hw, 8, &e)) continue;
            df_mapping ex, t, l;
            df_mapping_init(&ex, 64);
            df_mapping_init(&t, 64);
            df_mapping_init(&l, 64);
            double t0 = now_s();
            int rc = df_solve_exact(n, DF_OBJ_LATENCY, &ex, NULL, &e);
            double te = now_s() - t0;
            if (rc || df_solve_lbl(n, DF_OBJ_LATENCY, &l, NULL, &e)) {
                printf("  %-18s %4d layers %6lld KiB: %s\n", names[k], w.n_layers, (long long)(budgets[bu] >> 10),
                       e.msg);
                df_net_free(n);
                continue;
            }
            double ve = value(n, &ex, DF_OBJ_LATENCY);
            printf("  %-18s %4d layers %6lld KiB: exact %7.1f ms, lbl x%.3f |", names[k], w.n_layers,
                   (long long)(budgets[bu] >> 10), te * 1e3, value(n, &l, DF_OBJ_LATENCY) / ve);
            for (int wi = 0; wi < 4; wi++) {
                df_mapper_set_window(mp, windows[wi]);
                double tt[3];
                double r = INFINITY;
                for (int rep = 0; rep < 3; rep++) {
                    t0 = now_s();
                    rc = df_solve_transformer(mp, n, DF_OBJ_LATENCY, 1, &t, NULL, &e);
                    tt[rep] = now_s() - t0;
                    r = rc ? INFINITY : value(n, &t, DF_OBJ_LATENCY) / ve;
                }
                printf(" w%-3d x%.4f %6.2f ms", windows[wi], r, median(tt, 3) * 1e3);
                lg[wi] += log(r);
                if (r > worst[wi]) worst[wi] = r;
            }
            printf("\n");
            cnt++;
            df_mapping_free(&ex);
            df_mapping_free(&t);
            df_mapping_free(&l);
            df_net_free(n);
        }
        df_workload_free(&w);
    }
    printf("  over %d settings, greedy cost / exact cost, geomean (worst):", cnt);
    for (int wi = 0; wi < 4; wi++) printf("  w%d %.4f (%.3f)", windows[wi], cnt ? exp(lg[wi] / cnt) : NAN, worst[wi]);
    printf("\n");
    df_mapper_set_window(mp, 0); /* the default */
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
    if (argc > 2 && !strcmp(argv[2], "long")) { /* bench_transformer WEIGHTS long: only the long networks */
        long_networks(mp);
        df_mapper_free(mp);
        return 0;
    }
    df_objective objs[2] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY};
    for (int s = DF_SPLIT_HELDOUT_NET; s <= DF_SPLIT_HELDOUT_BAND; s++)
        for (int o = 0; o < 2; o++) quality(mp, (df_split)s, objs[o], 100, 1000 + 10 * s + o);
    speed(mp);
    long_networks(mp);
    df_mapper_free(mp);
    return 0;
}
