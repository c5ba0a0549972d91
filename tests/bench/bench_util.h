/* bench_util.h - helpers shared by the benchmarks: a monotonic clock, medians and percentiles of
 * repeated samples (the figures every benchmark prints), the next sampled request's net, and whether
 * two mappings decide alike (also used by the Check suites, through testutil.h). Header-only, plain C
 * (no Check), test and bench code only. */
#ifndef DNNFUSER_BENCH_UTIL_H
#define DNNFUSER_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnnfuser/cost.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/sampler.h"
#include "dnnfuser/zoo.h"

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* p-quantile (0..1) of v[0..n), nearest rank; sorts v in place. */
static inline double pct(double *v, int n, double p) {
    qsort(v, (size_t)n, sizeof *v, bench_cmp_d);
    return v[(int)(p * (n - 1) + 0.5)];
}

/* median of v[0..n), mean of the middle two for even n; sorts v in place. */
static inline double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, bench_cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* 1 when a and b have the same groups (first, last, micro-batch; tiles not compared). */
static inline int same_groups(const df_mapping *a, const df_mapping *b) {
    if (a->n_groups != b->n_groups) return 0;
    for (int32_t g = 0; g < a->n_groups; g++)
        if (a->groups[g].first != b->groups[g].first || a->groups[g].last != b->groups[g].last ||
            a->groups[g].micro_batch != b->groups[g].micro_batch)
            return 0;
    return 1;
}

/* The next request of split from r (df_sample_request, at most T layers) with objective obj, and its
 * net; NULL when it cannot be sampled (the reason printed) or its net not built (q freed). Otherwise
 * the caller frees the net and q->w. */
static inline df_net *bench_sample_net(df_rng *r, df_split split, int32_t T, df_objective obj, df_request_sample *q) {
    df_err e;
    if (df_sample_request(r, split, T, q, &e)) {
        fprintf(stderr, "sample: %s\n", e.msg);
        return NULL;
    }
    q->obj = obj;
    df_net *net;
    if (df_net_init(&net, &q->w, &q->hw, q->batch, &e)) {
        df_workload_free(&q->w);
        return NULL;
    }
    return net;
}

/* The weight panels a benchmark decodes with: "f16" or "f32" (df_mapper_set_f16), anything else
 * (NULL) the mapper's default. Prints the state used. */
static inline void bench_panels(df_mapper *mp, const char *arg, const char *who) {
    if (arg && !strcmp(arg, "f16")) df_mapper_set_f16(mp, 1);
    if (arg && !strcmp(arg, "f32")) df_mapper_set_f16(mp, 0);
    printf("%s: weight panels %s (%s; weights binary16 values: %s)\n", who, df_mapper_f16(mp) ? "binary16" : "float",
           arg && (!strcmp(arg, "f16") || !strcmp(arg, "f32")) ? "set" : "default",
           df_mapper_f16_lossless(mp) ? "yes" : "no");
}

/* A zoo network on the edge preset as a request builds it: the budget as its buffer and the energies of
 * that buffer size. NULL (the reason on stderr) when it cannot be built. */
static inline df_net *bench_edge_net(const char *wname, int64_t budget, int32_t batch) {
    df_workload w;
    df_hw hw;
    df_err e;
    df_net *n = NULL;
    if (df_zoo_build(wname, NULL, &w, &e) || df_hw_preset("edge", &hw, &e)) {
        fprintf(stderr, "bench: %s\n", e.msg);
        return NULL;
    }
    hw.buffer_bytes = budget;
    hw.energy = df_hw_energy_default(&hw);
    if (df_net_init(&n, &w, &hw, batch, &e)) {
        fprintf(stderr, "bench: %s: %s\n", wname, e.msg);
        n = NULL;
    }
    df_workload_free(&w);
    return n;
}

/* Depth-first weights for a benchmark: 0 and *mp loaded (4 sequences), 1 with the reason on stderr. */
static inline int bench_load_df_mapper(const char *path, df_mapper **mp) {
    df_err e;
    if (df_mapper_load(mp, path, 4, &e)) {
        fprintf(stderr, "%s: %s\n", path, e.msg);
        return 1;
    }
    if (df_mapper_layout(*mp) != DF_LAYOUT_DEPTH_FIRST) {
        fprintf(stderr, "%s: not depth-first weights (dnnfuser-train --space depth_first)\n", path);
        df_mapper_free(*mp);
        return 1;
    }
    return 0;
}

#endif
