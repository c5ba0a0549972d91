/* bench_tf1.c - one request alone through the transformer (df_solve_transformer, greedy, k = 1), the
 * tf1 of bench_gpt_race, repeated: edge preset, 512 KiB, batch 8, latency objective (the GA race's
 * setting). argv: WEIGHTS [NAME [REPS [PANELS]]]; NAME a substring of the zoo networks to run (default
 * all, "" too), REPS the decodes per network (default 200), PANELS f16 or f32 (default: the mapper's). Prints per network the median and 10th percentile of
 * the thread's CPU ms per mapping and a checksum of the mapping (FNV-1a of every group's first, last
 * and micro-batch), so two builds can be compared for identical decisions. Also the loop to run under
 * perf (`perf record build/bench/bench_tf1 weights/dnnfuser.weights gpt2_small_decode 3000`). One
 * thread, OpenBLAS single-threaded. Measures, asserts nothing. */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t fnv(uint64_t h, int32_t v) {
    for (int i = 0; i < 4; i++) {
        h ^= (uint8_t)((uint32_t)v >> (8 * i));
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t mapping_hash(const df_mapping *m) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int32_t g = 0; g < m->n_groups; g++) {
        h = fnv(h, m->groups[g].first);
        h = fnv(h, m->groups[g].last);
        h = fnv(h, m->groups[g].micro_batch);
    }
    return h;
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    const char *path = argc > 1 ? argv[1] : "weights/dnnfuser.weights";
    const char *only = argc > 2 && argv[2][0] ? argv[2] : NULL;
    int reps = argc > 3 ? atoi(argv[3]) : 200;
    if (reps < 1) reps = 1;
    df_mapper *mp;
    df_err e;
    if (df_mapper_load(&mp, path, 8, &e)) {
        fprintf(stderr, "bench_tf1: %s: %s\n", path, e.msg);
        return 1;
    }
    bench_panels(mp, argc > 4 ? argv[4] : NULL, "bench_tf1");
    double *t = malloc((size_t)reps * sizeof *t);
    df_mapping a;
    df_mapping_init(&a, 64);
    for (int32_t z = 0; z < df_zoo_count() && t; z++) {
        const char *name = df_zoo_name(z);
        if (only && !strstr(name, only)) continue;
        df_workload w;
        df_hw hw;
        df_net *n = NULL;
        if (df_zoo_build(name, NULL, &w, &e) || df_hw_preset("edge", &hw, &e)) continue;
        hw.buffer_bytes = 512 << 10;
        hw.energy = df_energy_default(hw.elem_bytes, hw.buffer_bytes);
        int rc = df_net_init(&n, &w, &hw, 8, &e);
        df_workload_free(&w);
        if (rc) continue;
        int ok = 1;
        for (int r = 0; r < reps; r++) {
            double t0 = cpu_s();
            if (df_solve_transformer(mp, n, DF_OBJ_LATENCY, 1, &a, NULL, &e)) {
                printf("%-20s %s\n", name, e.msg);
                ok = 0;
                break;
            }
            t[r] = cpu_s() - t0;
        }
        if (ok) {
            uint64_t h = mapping_hash(&a);
            double p10 = pct(t, reps, 0.1), med = median(t, reps);
            printf("%-20s L %3d  tf1 median %.3f ms  p10 %.3f ms  groups %3d  hash %016llx\n", name,
                   (int)df_net_layers(n), med * 1e3, p10 * 1e3, (int)a.n_groups, (unsigned long long)h);
        }
        df_net_free(n);
    }
    free(t);
    df_mapping_free(&a);
    df_mapper_free(mp);
    return 0;
}
