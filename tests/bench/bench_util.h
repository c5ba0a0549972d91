/* bench_util.h - timing helpers shared by the benchmarks: a monotonic clock, and medians and
 * percentiles of repeated samples (the figures every benchmark prints). Header-only, bench code only. */
#ifndef DNNFUSER_BENCH_UTIL_H
#define DNNFUSER_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

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

#endif
