/* dataset.h - teacher trajectories for the transformer: requests drawn by the sampler, solved by the
 * exact solver, replayed through the schedule to record (features, mask, teacher action) per layer.
 * Sequences are packed: rows of all sequences back to back, off[i]..off[i+1] for sequence i. */
#ifndef DNNFUSER_TRAIN_DATASET_H
#define DNNFUSER_TRAIN_DATASET_H

#include "dnnfuser/features.h"
#include "dnnfuser/sampler.h"

typedef struct {
    int32_t n;       /* sequences */
    int64_t rows;    /* total layers over all sequences */
    int64_t *off;    /* [n + 1] */
    float *x;        /* [rows, DF_FEATURES] raw features */
    uint8_t *mask;   /* [rows, DF_ACTIONS] */
    int32_t *target; /* [rows] teacher action */
    double solve_s;  /* exact-solver seconds spent */
} df_dataset;

/* Generates n sequences of the split with `threads` worker threads. Sample i depends only on
 * (seed, i), so the result is identical for any thread count. progress (nullable) is called from the
 * calling thread about once a second with the number of finished samples. */
int df_dataset_generate(df_dataset *ds, df_split split, int32_t n, uint64_t seed, int32_t max_layers, int threads,
                        void (*progress)(int32_t done, int32_t total, void *ctx), void *ctx, df_err *err);
void df_dataset_free(df_dataset *ds);
/* Per-feature mean and standard deviation over all rows (std floored at 1e-3). */
void df_dataset_stats(const df_dataset *ds, float *mean, float *std);

#endif
