/* bench_gpt.c - prints the transformer's figures: KV-cache inference step time and FLOP rate at
 * batch 1, 8, 32, 64, 128 for a d=128 / L=4 / H=4 / T=128 model, next to the time of plain
 * cblas_sgemm calls of the same shapes (the matrix products alone, i.e. the floor for one step), and
 * the training step time (forward + backward + AdamW). Medians of repeated runs; OpenBLAS pinned to
 * one thread (as the daemon runs it). Bounded to well under a minute. Measures, asserts nothing. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"
#include "dnnfuser/gpt.h"

static void die(const char *what, const df_err *e) {
    fprintf(stderr, "bench_gpt: %s: %s\n", what, e->msg);
    exit(1);
}

static void fill(float *v, size_t n, df_rng *r) {
    for (size_t i = 0; i < n; i++) v[i] = (float)(2.0 * df_rng_uniform(r) - 1.0);
}

/* the step's matrix products as bare sgemm calls (M = n rows): per step, input projection, L x (qkv,
 * attn_proj, fc, fc_proj), head; returns the median time of one such set */
static double sgemm_floor(const df_gpt *m, int n, float *a, float *c, int reps) {
    const df_gpt_config *g = &m->cfg;
    int d = g->d;
    enum { SAMPLES = 15 };
    double t[SAMPLES];
    for (int s = 0; s < SAMPLES; s++) {
        double t0 = now_s();
        for (int r = 0; r < reps; r++) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, g->F, 1.0f, a, g->F, m->params.w_in, d, 0.0f,
                        c, d);
            for (int l = 0; l < g->L; l++) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, 3 * d, d, 1.0f, a, d,
                            m->params.qkvw + (size_t)l * d * 3 * d, 3 * d, 0.0f, c, 3 * d);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, d, 1.0f, a, d,
                            m->params.attprojw + (size_t)l * d * d, d, 0.0f, c, d);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, 4 * d, d, 1.0f, a, d,
                            m->params.fcw + (size_t)l * d * 4 * d, 4 * d, 0.0f, c, 4 * d);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, 4 * d, 1.0f, a, 4 * d,
                            m->params.fcprojw + (size_t)l * 4 * d * d, d, 0.0f, c, d);
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, g->A, d, 1.0f, a, d, m->params.w_head, g->A, 0.0f,
                        c, g->A);
        }
        t[s] = (now_s() - t0) / reps;
    }
    return median(t, SAMPLES);
}

int main(void) {
    openblas_set_num_threads(1);
    const df_gpt_config cfg = {.F = 82, .A = 17, .d = 128, .L = 4, .H = 4, .T = 128};
    df_gpt m;
    df_err e;
    if (df_gpt_init(&m, &cfg, 1, &e)) die("init", &e);
    printf("gpt bench: F=%d A=%d d=%d L=%d H=%d T=%d, %zu parameters; OpenBLAS %s, 1 thread\n", cfg.F, cfg.A, cfg.d,
           cfg.L, cfg.H, cfg.T, m.num_params, openblas_get_corename());
    df_rng r;
    df_rng_seed(&r, 7);
    enum { MAXS = 128 };
    df_gpt_infer *ctx;
    if (df_gpt_infer_init(&ctx, &m, MAXS, &e)) die("infer_init", &e);
    float *x = malloc((size_t)MAXS * cfg.T * cfg.F * sizeof(float));
    float *logits = malloc((size_t)MAXS * cfg.A * sizeof(float));
    float *ga = malloc((size_t)MAXS * 4 * cfg.d * sizeof(float)), *gc = malloc((size_t)MAXS * 4 * cfg.d * sizeof(float));
    fill(x, (size_t)MAXS * cfg.T * cfg.F, &r);
    fill(ga, (size_t)MAXS * 4 * cfg.d, &r);
    int32_t slot[MAXS], pos[MAXS];
    for (int i = 0; i < MAXS; i++) slot[i] = i;
    float *xrow = malloc((size_t)MAXS * cfg.F * sizeof(float));

    /* matmul flops of one row (2 x multiply-adds of the weight matrices) */
    double mm_row = 2.0 * ((double)cfg.F * cfg.d + cfg.L * 12.0 * cfg.d * cfg.d + (double)cfg.d * cfg.A);
    printf("\ninference: one decode = T=%d steps of n rows, each row at positions 0..T-1 (KV cache); per step:\n",
           cfg.T);
    printf("%5s %10s %8s %8s %10s %8s | %10s %8s %7s\n", "batch", "step [us]", "us/row", "GFLOP/s", "ms/decode",
           "KV GB/s", "sgemm [us]", "GFLOP/s", "step/mm");
    const int batches[] = {1, 8, 32, 64, 128};
    for (size_t bi = 0; bi < sizeof batches / sizeof batches[0]; bi++) {
        int n = batches[bi];
        int decodes = n <= 8 ? 9 : n <= 64 ? 7 : 5;
        double per_step[9], flops = 0.0;
        for (int p = 0; p < cfg.T; p++) flops += n * df_gpt_infer_flops(&cfg, p);
        for (int k = 0; k < decodes; k++) {
            for (int i = 0; i < n; i++) df_gpt_infer_reset_slot(ctx, i);
            double t0 = now_s();
            for (int p = 0; p < cfg.T; p++) {
                for (int i = 0; i < n; i++) {
                    pos[i] = p;
                    memcpy(xrow + (size_t)i * cfg.F, x + ((size_t)i * cfg.T + p) * cfg.F, cfg.F * sizeof(float));
                }
                if (df_gpt_infer_step(ctx, n, slot, pos, xrow, logits, &e)) die("infer_step", &e);
            }
            per_step[k] = (now_s() - t0) / cfg.T;
        }
        double step = median(per_step, decodes);
        double mm = sgemm_floor(&m, n, ga, gc, n <= 8 ? 200 : 20);
        /* K and V bytes read per decode: every row reads (pos+1) cached keys and values of d floats per block */
        double kv = (double)n * cfg.L * 2.0 * cfg.d * 4.0 * cfg.T * (cfg.T + 1) / 2.0;
        printf("%5d %10.1f %8.2f %8.1f %10.2f %8.1f | %10.1f %8.1f %7.2f\n", n, step * 1e6, step * 1e6 / n,
               flops / cfg.T / step * 1e-9, step * cfg.T * 1e3, kv / (step * cfg.T) * 1e-9, mm * 1e6,
               n * mm_row / mm * 1e-9, step / mm);
    }
    printf("step GFLOP/s counts matrix products and attention (2 N + 4 L d ctx per row); KV GB/s = cache bytes the\n"
           "attention reads per second; sgemm = the step's matrix products alone, as bare NN cblas_sgemm calls\n");

    /* training */
    printf("\ntraining step (zero_grad + forward + backward + clip + AdamW):\n");
    printf("%5s %5s %12s %12s %10s\n", "B", "T", "step [ms]", "tokens/s", "GFLOP/s");
    const int tb[] = {4, 16};
    int maxB = 16;
    if (df_gpt_train_alloc(&m, maxB, &e)) die("train_alloc", &e);
    int32_t *targets = malloc((size_t)maxB * cfg.T * sizeof *targets);
    uint8_t *mask = malloc((size_t)maxB * cfg.T * cfg.A);
    for (int i = 0; i < maxB * cfg.T; i++) {
        targets[i] = df_rng_range(&r, cfg.A);
        for (int a = 0; a < cfg.A; a++) mask[(size_t)i * cfg.A + a] = a == targets[i] || df_rng_range(&r, 2);
    }
    df_adamw_opts opt = df_adamw_defaults();
    for (size_t k = 0; k < sizeof tb / sizeof tb[0]; k++) {
        int B = tb[k], T = cfg.T;
        enum { S = 7 };
        double t[S];
        for (int s = 0; s < S; s++) {
            double t0 = now_s();
            float loss;
            df_gpt_zero_grad(&m);
            if (df_gpt_forward(&m, x, targets, mask, B, T, &loss, &e)) die("forward", &e);
            if (df_gpt_backward(&m, &e)) die("backward", &e);
            if (df_gpt_update(&m, &opt, NULL, &e)) die("update", &e);
            t[s] = now_s() - t0;
        }
        double st = median(t, S);
        /* training flops: 3 x forward (Kaplan et al. 2020, 6N per token), attention 3 x 4 L d ctx/2 on average
         * (our attention computes the full T x T products: count them as run) */
        double tokens = (double)B * T;
        double fl = 3.0 * (tokens * mm_row + (double)B * cfg.L * 4.0 * cfg.d * T * T);
        printf("%5d %5d %12.2f %12.0f %10.1f\n", B, T, st * 1e3, tokens / st, fl / st * 1e-9);
    }
    free(targets);
    free(mask);
    free(x);
    free(xrow);
    free(logits);
    free(ga);
    free(gc);
    df_gpt_infer_free(ctx);
    df_gpt_free(&m);
    return 0;
}
