/* bench_tf1.c - one request alone through the transformer (df_solve_transformer, greedy, k = 1), the
 * tf1 of bench_gpt_race, repeated: edge preset, 512 KiB, batch 8, latency objective (the GA race's
 * setting). argv: WEIGHTS [NAME [REPS [PANELS [MODE]]]]; NAME a substring of the zoo networks to run
 * (default all, "" too), REPS the decodes per network (default 200), PANELS f16 or f32 (default, or "":
 * the mapper's). Prints per network the median and 10th percentile of the thread's CPU ms per mapping
 * and a checksum of the mapping (FNV-1a of every group's first, last and micro-batch), so two builds
 * can be compared for identical decisions. Also the loop to run under perf (`perf record
 * build/bench/bench_tf1 weights/dnnfuser.weights gpt2_small_decode 3000`). MODE cold: every request
 * follows a GA run at its defaults on the same net (as in bench_gpt_race's GA section); flush: a 64 MiB
 * memset (caches evicted, nothing else); the request is then taken apart (df_mapper_admit, the first
 * df_mapper_step, the other steps, the result) and each part's median printed beside the same
 * requests warm, in wall-clock us (the parts are too short for the thread CPU clock, a system call
 * here). One thread, OpenBLAS single-threaded. Measures, asserts nothing. */
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

/* the parts of one request (us, wall clock): admit, first step, the other steps, result and free */
typedef struct {
    double admit, first, rest, result;
} parts;

/* one greedy request of n taken apart into *pt; 0 or an error code (message in e) */
static int request_parts(df_mapper *mp, const df_net *n, df_mapping *a, parts *pt, df_err *e) {
    double t0 = now_s();
    df_mapper_job *j;
    int rc = df_mapper_admit(mp, n, DF_OBJ_LATENCY, 1, 0x5eed, NULL, &j, e);
    if (rc) return rc;
    double t1 = now_s(), t2 = t1;
    for (int s = 0; df_mapper_job_state(j) == DF_JOB_DECODING && !rc; s++) {
        rc = df_mapper_step(mp, NULL, e);
        if (s == 0) t2 = now_s();
    }
    double t3 = now_s();
    if (!rc) rc = df_mapper_job_result(j, a, NULL, NULL, e);
    df_mapper_job_free(mp, j);
    double t4 = now_s();
    *pt = (parts){(t1 - t0) * 1e6, (t2 - t1) * 1e6, (t3 - t2) * 1e6, (t4 - t3) * 1e6};
    return rc;
}

/* median of field k (0 admit .. 3 result) of p[0..n), sorting the scratch v */
static double part_median(const parts *p, int n, int k, double *v) {
    for (int i = 0; i < n; i++) v[i] = k == 0 ? p[i].admit : k == 1 ? p[i].first : k == 2 ? p[i].rest : p[i].result;
    return median(v, n);
}

/* MODE cold / flush: per request the eviction (a GA run, or a 64 MiB memset), then the request in
 * parts; the same requests warm (back to back) after them */
static void run_cold(df_mapper *mp, const df_net *n, const char *name, int reps, int ga, double *t) {
    parts *pc = malloc((size_t)reps * sizeof *pc), *pw = malloc((size_t)reps * sizeof *pw);
    char *junk = ga ? NULL : malloc((size_t)64 << 20);
    df_mapping a, g;
    df_mapping_init(&a, 64);
    df_mapping_init(&g, 64);
    df_ga_params gp;
    df_ga_params_default(&gp);
    df_err e;
    int ok = pc && pw && (ga || junk);
    for (int r = 0; r < reps && ok; r++) {
        if (ga)
            ok = df_solve_ga(n, DF_OBJ_LATENCY, &gp, &g, NULL, &e) == DF_OK;
        else
            memset(junk, r, (size_t)64 << 20);
        ok = ok && request_parts(mp, n, &a, &pc[r], &e) == DF_OK;
    }
    for (int r = 0; r < reps && ok; r++) ok = request_parts(mp, n, &a, &pw[r], &e) == DF_OK;
    if (ok) {
        printf("%-20s %s, us (wall), medians of %d: admit / first step / other steps / result\n", name,
               ga ? "after a GA run" : "after a 64 MiB memset", reps);
        for (int w = 0; w < 2; w++) {
            const parts *p = w ? pw : pc;
            double m[4], tot = 0;
            for (int k = 0; k < 4; k++) tot += m[k] = part_median(p, reps, k, t);
            printf("  %-5s %7.1f %7.1f %8.1f %6.1f  (sum %.1f)\n", w ? "warm" : "cold", m[0], m[1], m[2], m[3], tot);
        }
    } else {
        printf("%-20s %s\n", name, pc && pw ? e.msg : "out of memory");
    }
    df_mapping_free(&a);
    df_mapping_free(&g);
    free(junk);
    free(pc);
    free(pw);
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
    bench_panels(mp, argc > 4 && argv[4][0] ? argv[4] : NULL, "bench_tf1");
    const char *mode = argc > 5 ? argv[5] : "";
    int cold = !strcmp(mode, "cold") || !strcmp(mode, "flush");
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
        if (cold) {
            run_cold(mp, n, name, reps, !strcmp(mode, "cold"), t);
            df_net_free(n);
            continue;
        }
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
