/* bench_f16_decide.c - the decisions of the binary16 weight panels (df_mapper_set_f16) against the
 * float panels (the default fast kernels) and the exact-math model, beyond check_mapper's fixed set:
 * REQS sampled requests (df_sample_request, the three splits in turn, up to 192 layers, seed SEED),
 * then every zoo network x (edge, cloud) x (256 KiB, 512 KiB, 2 MiB, 16 MiB) x batch (1, 8, 32) x
 * (latency, energy). Greedy, one request at a time. argv: WEIGHTS [REQS [SEED]] (default
 * weights/dnnfuser.weights 1000 2027). Prints every request where f16 decides differently from the
 * float panels, with both objectives over the exact-math model's, and the counts. Measures, asserts
 * nothing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dnnfuser/cost.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

#include "bench_util.h"

static double objective_of(const df_net *n, df_objective o, const df_mapping *m) {
    df_metrics me;
    df_err e;
    if (df_mapping_eval(n, m, &me, NULL, &e)) return -1.0;
    return df_objective_value(o, &me);
}

typedef struct {
    df_mapper *f32, *f16, *ex;
    int count, differ, f32_vs_ex;
} tally;

static void decide(tally *t, const df_net *n, df_objective o, const char *what) {
    df_mapping a, b, c;
    df_err e;
    df_mapping_init(&a, 16);
    df_mapping_init(&b, 16);
    df_mapping_init(&c, 16);
    int ra = df_solve_transformer(t->f32, n, o, 1, &a, NULL, &e);
    int rb = df_solve_transformer(t->f16, n, o, 1, &b, NULL, &e);
    int rc = df_solve_transformer(t->ex, n, o, 1, &c, NULL, &e);
    if (ra != rb || ra != rc) printf("  %s: outcomes differ: float %d f16 %d exact %d\n", what, ra, rb, rc);
    if (ra == DF_OK && rb == DF_OK && rc == DF_OK) {
        t->count++;
        t->f32_vs_ex += !same_groups(&a, &c);
        if (!same_groups(&a, &b)) {
            t->differ++;
            double va = objective_of(n, o, &a), vb = objective_of(n, o, &b), vc = objective_of(n, o, &c);
            printf("  %s: f16 differs (%d vs %d groups): objective / exact-math model's: float %.6f f16 %.6f\n", what,
                   a.n_groups, b.n_groups, va / vc, vb / vc);
        }
    }
    df_mapping_free(&a);
    df_mapping_free(&b);
    df_mapping_free(&c);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "weights/dnnfuser.weights";
    int reqs = argc > 2 ? atoi(argv[2]) : 1000;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 2027;
    tally t = {0};
    df_err e;
    if (df_mapper_load(&t.f32, path, 4, &e) || df_mapper_load(&t.f16, path, 4, &e) ||
        df_mapper_load(&t.ex, path, 4, &e)) {
        fprintf(stderr, "bench_f16_decide: %s: %s\n", path, e.msg);
        return 1;
    }
    df_mapper_set_f16(t.f32, 0);
    df_mapper_set_exact_math(t.ex, 1);
    if (!df_mapper_set_f16(t.f16, 1)) {
        printf("no avx512f: no binary16 weight panels\n");
        return 0;
    }
    df_rng r;
    df_rng_seed(&r, seed);
    for (int i = 0; i < reqs; i++) {
        df_request_sample q;
        if (df_sample_request(&r, (df_split)(i % DF_SPLIT_COUNT), 192, &q, &e)) continue;
        df_net *n;
        if (df_net_init(&n, &q.w, &q.hw, q.batch, &e) == DF_OK) {
            char what[64];
            snprintf(what, sizeof what, "sampled request %d (seed %llu)", i, (unsigned long long)seed);
            decide(&t, n, q.obj, what);
            df_net_free(n);
        }
        df_workload_free(&q.w);
    }
    printf("sampled: %d requests, f16 differs from the float panels in %d; the float panels from exact math in %d\n",
           t.count, t.differ, t.f32_vs_ex);
    int c0 = t.count, d0 = t.differ, x0 = t.f32_vs_ex;
    const char *presets[] = {"edge", "cloud"};
    const int64_t budgets[] = {256 << 10, 512 << 10, 2 << 20, 16 << 20};
    const int batches[] = {1, 8, 32};
    for (int32_t z = 0; z < df_zoo_count(); z++)
        for (int p = 0; p < 2; p++)
            for (int bu = 0; bu < 4; bu++)
                for (int ba = 0; ba < 3; ba++)
                    for (int o = 0; o < 2; o++) {
                        df_workload w;
                        df_hw h;
                        df_net *n;
                        if (df_zoo_build(df_zoo_name(z), NULL, &w, &e)) continue;
                        if (df_hw_preset(presets[p], &h, &e) == DF_OK) {
                            h.buffer_bytes = budgets[bu];
                            h.energy = df_energy_default(h.elem_bytes, h.buffer_bytes);
                            if (df_net_init(&n, &w, &h, batches[ba], &e) == DF_OK) {
                                char what[112];
                                snprintf(what, sizeof what, "%s %s %lld B batch %d %s", df_zoo_name(z), presets[p],
                                         (long long)budgets[bu], batches[ba], o ? "energy" : "latency");
                                decide(&t, n, o ? DF_OBJ_ENERGY : DF_OBJ_LATENCY, what);
                                df_net_free(n);
                            }
                        }
                        df_workload_free(&w);
                    }
    printf("zoo grid: %d requests, f16 differs from the float panels in %d; the float panels from exact math in %d\n",
           t.count - c0, t.differ - d0, t.f32_vs_ex - x0);
    df_mapper_free(t.f32);
    df_mapper_free(t.f16);
    df_mapper_free(t.ex);
    return 0;
}
