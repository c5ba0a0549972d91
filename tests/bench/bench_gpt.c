/* bench_gpt.c - the decode loop's figures on the SHIPPED model (weights/dnnfuser.weights, or argv[1]):
 *
 *  1. decode efficiency per batch size (1, 4, 8, 16, 32, 64 sequences): one df_gpt_infer_step over a
 *     ResNet-50-long sequence (72 positions, KV cache), its FLOP rate, next to plain cblas_sgemm calls of
 *     the same shapes (the step's matrix products alone) and next to the machine's FMA register peak,
 *     all three measured in the same run, alternating (decode, sgemm, peak) sample by sample;
 *  2. mappings/s vs decode batch size: whole ResNet-50 mappings through the df_mapper (features, mask,
 *     cost model and all), alternating batch sizes round by round; batch 1 is the single request
 *     latency (p50 and p99); every sample of sections 1 and 2 covers the same number of rows, so
 *     all last about as long (a short sample would dodge the preemptions of a shared machine);
 *  3. every core: one mapper per thread (1 and 2 threads, alternating), each decoding its own batches
 *     of 8 (the daemon's rows per decode step) and of 32, aggregate ResNet-50 mappings/s;
 *  4. the training step at the shipped shape.
 * Every figure is a median of alternating samples (never a best-of); OpenBLAS runs one thread per
 * caller (openblas_set_num_threads(1)), as the daemon's decode loops do. Measures, asserts nothing;
 * bounded to about a minute. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "bench_util.h"
#include "dnnfuser/gpt.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/weights.h"
#include "dnnfuser/zoo.h"

static void die(const char *what, const df_err *e) {
    fprintf(stderr, "bench_gpt: %s: %s\n", what, e->msg);
    exit(1);
}

static void fill(float *v, size_t n, df_rng *r) {
    for (size_t i = 0; i < n; i++) v[i] = (float)(2.0 * df_rng_uniform(r) - 1.0);
}

/* ---------------------------------------------------------------------------------------------- */
/* FMA register peak: 12 independent vector FMA chains (enough to cover the FMA latency on 2 ports),
 * no memory traffic. Returns FLOP/s of one thread over a few ms. */

#if defined(__x86_64__)
/* 12 named accumulators (an array would live in memory at -O2 and measure store forwarding) */
#define PEAK_BODY(FMA, T, SET, RED)                                                     \
    T a = SET(0.999999f), b = SET(1e-7f);                                               \
    T c0 = SET(0), c1 = SET(1), c2 = SET(2), c3 = SET(3), c4 = SET(4), c5 = SET(5);     \
    T c6 = SET(6), c7 = SET(7), c8 = SET(8), c9 = SET(9), c10 = SET(10), c11 = SET(11); \
    double t0 = now_s();                                                                \
    for (long it = 0; it < iters; it++) {                                               \
        c0 = FMA(c0, a, b);                                                             \
        c1 = FMA(c1, a, b);                                                             \
        c2 = FMA(c2, a, b);                                                             \
        c3 = FMA(c3, a, b);                                                             \
        c4 = FMA(c4, a, b);                                                             \
        c5 = FMA(c5, a, b);                                                             \
        c6 = FMA(c6, a, b);                                                             \
        c7 = FMA(c7, a, b);                                                             \
        c8 = FMA(c8, a, b);                                                             \
        c9 = FMA(c9, a, b);                                                             \
        c10 = FMA(c10, a, b);                                                           \
        c11 = FMA(c11, a, b);                                                           \
    }                                                                                   \
    double dt = now_s() - t0;                                                           \
    T s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;                  \
    if (RED(s) == 12345.678f) puts("");

__attribute__((target("avx512f"))) static float red512(__m512 v) { return _mm512_reduce_add_ps(v); }
__attribute__((target("avx512f"))) static double peak_avx512(long iters) {
    PEAK_BODY(_mm512_fmadd_ps, __m512, _mm512_set1_ps, red512)
    return 2.0 * 16 * 12 * (double)iters / dt;
}

__attribute__((target("avx2,fma"))) static float red256(__m256 v) {
    float f[8], s = 0;
    _mm256_storeu_ps(f, v);
    for (int k = 0; k < 8; k++) s += f[k];
    return s;
}
__attribute__((target("avx2,fma"))) static double peak_avx2(long iters) {
    PEAK_BODY(_mm256_fmadd_ps, __m256, _mm256_set1_ps, red256)
    return 2.0 * 8 * 12 * (double)iters / dt;
}
#endif

static const char *peak_isa(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2+fma";
#endif
    return "none";
}

static double peak_sample(void) {
#if defined(__x86_64__)
    const char *isa = peak_isa();
    if (!strcmp(isa, "avx512f")) return peak_avx512(400000);
    if (!strcmp(isa, "avx2+fma")) return peak_avx2(800000);
#endif
    return NAN;
}

/* ---------------------------------------------------------------------------------------------- */
/* the step's matrix products as bare NN sgemm calls (M = n rows): input projection, L x (qkv,
 * attn_proj, fc, fc_proj), head. Returns the time of one such set (reps calls averaged). */
static double sgemm_sample(const df_gpt *m, int n, const float *a, float *c, int reps) {
    const df_gpt_config *g = &m->cfg;
    int d = g->d;
    double t0 = now_s();
    for (int r = 0; r < reps; r++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, d, g->F, 1.0f, a, g->F, m->params.w_in, d, 0.0f, c,
                    d);
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
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, g->A, d, 1.0f, a, d, m->params.w_head, g->A, 0.0f, c,
                    g->A);
    }
    return (now_s() - t0) / reps;
}

/* one whole decode of n sequences over P positions; returns seconds per step */
static double decode_sample(df_gpt_infer *ctx, const df_gpt_config *cfg, int n, int P, const float *x, float *xrow,
                            float *logits) {
    int32_t slot[64], pos[64];
    df_err e;
    for (int i = 0; i < n; i++) {
        slot[i] = i;
        df_gpt_infer_reset_slot(ctx, i);
    }
    double t0 = now_s();
    for (int p = 0; p < P; p++) {
        for (int i = 0; i < n; i++) {
            pos[i] = p;
            memcpy(xrow + (size_t)i * cfg->F, x + ((size_t)i * P + p) * cfg->F, (size_t)cfg->F * sizeof(float));
        }
        if (df_gpt_infer_step(ctx, n, slot, pos, xrow, logits, &e)) die("infer_step", &e);
    }
    return (now_s() - t0) / P;
}

/* ---------------------------------------------------------------------------------------------- */
/* ResNet-50 requests (edge, batch 8, budgets 128 KiB .. 2 MiB) */

static df_net *resnet50(int i) {
    df_workload w;
    df_hw hw;
    df_err e;
    df_net *n = NULL;
    if (df_zoo_build("resnet50", NULL, &w, &e) || df_hw_preset("edge", &hw, &e)) die("zoo", &e);
    hw.buffer_bytes = (int64_t)(128 << 10) * (1 + i % 16);
    hw.energy = df_energy_default(hw.elem_bytes, hw.buffer_bytes);
    if (df_net_init(&n, &w, &hw, 8, &e)) die("net", &e);
    df_workload_free(&w);
    return n;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* decodes B requests (greedy) in one continuous batch; returns the seconds it took (*cpu, nullable:
 * the thread's CPU seconds, which preemptions on a shared machine do not inflate) */
static double map_batch_cpu(df_mapper *mp, df_net **nets, int B, double *cpu) {
    df_mapper_job *jobs[64];
    df_err e;
    double c0 = cpu ? cpu_s() : 0, t0 = now_s();
    for (int i = 0; i < B; i++)
        if (df_mapper_admit(mp, nets[i], DF_OBJ_LATENCY, 1, (uint64_t)i, NULL, &jobs[i], &e)) die("admit", &e);
    while (df_mapper_active(mp) > 0)
        if (df_mapper_step(mp, NULL, &e)) die("step", &e);
    double dt = now_s() - t0;
    if (cpu) *cpu = cpu_s() - c0;
    for (int i = 0; i < B; i++) df_mapper_job_free(mp, jobs[i]);
    return dt;
}

static double map_batch(df_mapper *mp, df_net **nets, int B) { return map_batch_cpu(mp, nets, B, NULL); }

typedef struct {
    df_mapper *mp;
    df_net **nets;
    int B, rounds;
    double seconds, cpu;
} thread_arg;

static void *map_thread(void *p) {
    thread_arg *a = p;
    double t0 = now_s(), c0 = cpu_s();
    for (int r = 0; r < a->rounds; r++) map_batch(a->mp, a->nets, a->B);
    a->seconds = now_s() - t0;
    a->cpu = cpu_s() - c0;
    return NULL;
}

/* T threads, each with its own mapper, each decoding `rounds` batches of B; aggregate mappings/s
 * (*per_cpu: mappings per CPU-second of one thread, the mean over the threads) */
static double threads_sample(df_mapper **mps, df_net **nets, int T, int B, int rounds, double *per_cpu) {
    pthread_t th[2];
    thread_arg a[2];
    double t0 = now_s();
    for (int t = 0; t < T; t++) {
        a[t] = (thread_arg){mps[t], nets, B, rounds, 0, 0};
        if (pthread_create(&th[t], NULL, map_thread, &a[t])) {
            fprintf(stderr, "bench_gpt: pthread_create failed\n");
            exit(1);
        }
    }
    for (int t = 0; t < T; t++) pthread_join(th[t], NULL);
    double w = now_s() - t0, c = 0;
    for (int t = 0; t < T; t++) c += a[t].cpu;
    *per_cpu = (double)T * B * rounds / c;
    return (double)T * B * rounds / w;
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1);
    const char *path = argc > 1 ? argv[1] : "weights/dnnfuser.weights";
    df_gpt m;
    df_feature_norm norm;
    df_train_meta meta;
    df_err e;
    if (df_weights_load(path, &m, &norm, &meta, &e)) die(path, &e);
    const df_gpt_config cfg = m.cfg;
    printf("gpt bench on %s: F=%d A=%d d=%d L=%d H=%d T=%d, %zu parameters; OpenBLAS %s, 1 thread per caller; "
           "FMA peak kernel %s\n",
           path, cfg.F, cfg.A, cfg.d, cfg.L, cfg.H, cfg.T, m.num_params, openblas_get_corename(), peak_isa());

    df_net *probe = resnet50(0);
    const int P = df_net_layers(probe); /* a ResNet-50 decode: one position per layer */
    df_net_free(probe);
    df_rng r;
    df_rng_seed(&r, 7);
    enum { MAXS = 64 };
    df_gpt_infer *ctx;
    if (df_gpt_infer_init(&ctx, &m, MAXS, &e)) die("infer_init", &e);
    float *x = malloc((size_t)MAXS * P * cfg.F * sizeof(float));
    float *xrow = malloc((size_t)MAXS * cfg.F * sizeof(float));
    float *logits = malloc((size_t)MAXS * cfg.A * sizeof(float));
    float *ga = malloc((size_t)MAXS * 4 * cfg.d * sizeof(float)),
          *gc = malloc((size_t)MAXS * 4 * cfg.d * sizeof(float));
    if (!x || !xrow || !logits || !ga || !gc) return 1;
    fill(x, (size_t)MAXS * P * cfg.F, &r);
    fill(ga, (size_t)MAXS * 4 * cfg.d, &r);

    /* 1. decode efficiency */
    const int batches[] = {1, 4, 8, 16, 32, 64};
    enum { NB = 6, ROUNDS = 9 };
    double t_dec[NB][ROUNDS], t_mm[NB][ROUNDS], peak[NB * ROUNDS];
    int np = 0;
    for (int rd = 0; rd < ROUNDS; rd++)
        for (int bi = 0; bi < NB; bi++) {
            int n = batches[bi];
            /* every sample covers the same rows (64 decodes' worth), so each lasts about as long and meets the
             * same share of preemptions on a shared machine (short samples would dodge them) */
            double acc = 0;
            for (int rep = 0; rep < 64 / n; rep++) acc += decode_sample(ctx, &cfg, n, P, x, xrow, logits);
            t_dec[bi][rd] = acc / (64 / n);
            t_mm[bi][rd] = sgemm_sample(&m, n, ga, gc, 6400 / n);
            peak[np++] = peak_sample();
        }
    double pk = median(peak, np);
    double mm_row = 2.0 * ((double)cfg.F * cfg.d + cfg.L * 12.0 * cfg.d * cfg.d + (double)cfg.d * cfg.A);
    double fl_row = 0; /* mean FLOP per row per step over the P positions (matrix products + attention) */
    for (int p = 0; p < P; p++) fl_row += df_gpt_infer_flops(&cfg, p) / P;
    printf(
        "\n1. decode efficiency: one step = n rows at positions 0..%d (a ResNet-50 decode, KV cache); medians of %d\n"
        "   alternating samples (decode, sgemm, peak); FMA register peak %.1f GFLOP/s on one core (same run)\n",
        P - 1, ROUNDS, pk * 1e-9);
    printf("%6s %10s %8s %9s | %10s %9s | %8s %8s %9s\n", "batch", "step [us]", "us/row", "GFLOP/s", "sgemm [us]",
           "GFLOP/s", "/sgemm", "/peak", "sgemm/pk");
    for (int bi = 0; bi < NB; bi++) {
        int n = batches[bi];
        double st = median(t_dec[bi], ROUNDS), mm = median(t_mm[bi], ROUNDS);
        double fr = n * fl_row / st, mr = n * mm_row / mm;
        printf("%6d %10.1f %8.2f %9.1f | %10.1f %9.1f | %7.0f%% %7.0f%% %8.0f%%\n", n, st * 1e6, st * 1e6 / n,
               fr * 1e-9, mm * 1e6, mr * 1e-9, 100 * fr / mr, 100 * fr / pk, 100 * mr / pk);
    }
    printf("   GFLOP/s counts the matrix products and attention (df_gpt_infer_flops); /sgemm = decode FLOP rate over\n"
           "   the bare NN cblas_sgemm calls of the step's shapes; /peak = over the FMA register peak\n");
    df_gpt_infer_free(ctx);

    /* 2. mappings/s vs decode batch size */
    df_mapper *mps[2];
    for (int t = 0; t < 2; t++)
        if (df_mapper_load(&mps[t], path, MAXS, &e)) die("mapper", &e);
    df_net *nets[MAXS];
    for (int i = 0; i < MAXS; i++) nets[i] = resnet50(i);
    enum { MROUNDS = 7, SINGLE = 40 };
    /* path 0: the default products (packed where the CPU has avx512f), path 1: cblas; alternating */
    int paths = df_mapper_set_packed(mps[0], 1) ? 2 : 1;
    double t_map[2][NB][MROUNDS], single[2][MROUNDS * SINGLE], single_cpu[2][MROUNDS * SINGLE];
    int ns = 0;
    for (int rd = 0; rd < MROUNDS; rd++)
        for (int bi = 0; bi < NB; bi++)
            for (int pa = 0; pa < paths; pa++) {
                int n = batches[bi];
                if (paths == 2) df_mapper_set_packed(mps[0], pa == 0);
                if (n == 1) {       /* single requests: p50/p99 from each, the round total into t_map */
                    double sum = 0; /* the round's rate from the total time, like the other batch sizes */
                    for (int k = 0; k < SINGLE; k++) /* the 16 budgets in turn */
                        sum += single[pa][ns + k] = map_batch_cpu(mps[0], nets + k % 16, 1, &single_cpu[pa][ns + k]);
                    t_map[pa][bi][rd] = sum / SINGLE;
                    if (pa == paths - 1) ns += SINGLE;
                } else {
                    double acc = 0; /* 64 mappings per sample whatever the batch (see section 1) */
                    for (int rep = 0; rep < 64 / n; rep++) acc += map_batch(mps[0], nets, n);
                    t_map[pa][bi][rd] = acc / (64 / n);
                }
            }
    df_mapper_set_packed(mps[0], 1);
    printf(
        "\n2. ResNet-50 mappings/s vs decode batch size (edge, batch 8, budgets 128 KiB..2 MiB, greedy, one thread;\n"
        "   medians of %d alternating rounds; the whole mapper: features, mask, cost model, decode); %s\n",
        MROUNDS,
        paths == 2 ? "products packed (df_linear_infer, the default here) and through cblas, alternating"
                   : "products through cblas (no avx512f: nothing packed)");
    printf("%6s %12s %14s", "batch", "mappings/s", "ms per batch");
    if (paths == 2) printf(" | %12s %8s", "cblas map/s", "packed/");
    printf("\n");
    for (int bi = 0; bi < NB; bi++) {
        double t = median(t_map[0][bi], MROUNDS);
        printf("%6d %12.0f %14.3f", batches[bi], batches[bi] / t, t * 1e3);
        if (paths == 2) {
            double t1 = median(t_map[1][bi], MROUNDS);
            printf(" | %12.0f %7.2fx", batches[bi] / t1, t1 / t);
        }
        printf("\n");
    }
    for (int pa = 0; pa < paths; pa++) {
        double p50 = pct(single[pa], ns, 0.5), p99 = pct(single[pa], ns, 0.99);
        double c50 = pct(single_cpu[pa], ns, 0.5), c99 = pct(single_cpu[pa], ns, 0.99);
        printf("   single request (batch 1)%s: p50 %.3f ms, p99 %.3f ms; CPU time p50 %.3f ms, p99 %.3f ms; over %d "
               "requests\n",
               paths == 1 ? ""
               : pa == 0  ? ", packed"
                          : ", cblas ",
               p50 * 1e3, p99 * 1e3, c50 * 1e3, c99 * 1e3, ns);
    }

    /* 3. every core: one mapper per thread, at the daemon's rows per step (8) and at 32 */
    enum { TROUNDS = 5 };
    const int tbs[2] = {8, 32};
    double agg[2][2][TROUNDS], pc[2][2][TROUNDS]; /* [batch][threads - 1][round] */
    for (int rd = 0; rd < TROUNDS; rd++)
        for (int bi = 0; bi < 2; bi++)
            for (int t = 1; t <= 2; t++)
                agg[bi][t - 1][rd] = threads_sample(mps, nets, t, tbs[bi], 32 / tbs[bi] * 4, &pc[bi][t - 1][rd]);
    printf("\n3. one mapper per thread (medians of %d alternating rounds of 128 mappings per thread)\n", TROUNDS);
    for (int bi = 0; bi < 2; bi++) {
        double a1 = median(agg[bi][0], TROUNDS), a2 = median(agg[bi][1], TROUNDS);
        printf("   batch %2d: 1 thread %8.0f ResNet-50 mappings/s;  2 threads %8.0f mappings/s (x%.2f); per CPU-second"
               " of a thread %.0f (1 thread) and %.0f (2 threads): 2 cores would give %.0f\n",
               tbs[bi], a1, a2, a2 / a1, median(pc[bi][0], TROUNDS), median(pc[bi][1], TROUNDS),
               2 * median(pc[bi][1], TROUNDS));
    }
    for (int i = 0; i < MAXS; i++) df_net_free(nets[i]);
    for (int t = 0; t < 2; t++) df_mapper_free(mps[t]);

    /* 4. training step at the shipped shape */
    printf("\n4. training step (zero_grad + forward + backward + clip + AdamW), T=%d:\n", cfg.T);
    printf("%5s %12s %12s\n", "B", "step [ms]", "tokens/s");
    const int tb[] = {4, 16};
    int maxB = 16;
    if (df_gpt_train_alloc(&m, maxB, &e)) die("train_alloc", &e);
    float *tx = malloc((size_t)maxB * cfg.T * cfg.F * sizeof(float));
    int32_t *targets = malloc((size_t)maxB * cfg.T * sizeof *targets);
    uint8_t *mask = malloc((size_t)maxB * cfg.T * cfg.A);
    if (!tx || !targets || !mask) return 1;
    fill(tx, (size_t)maxB * cfg.T * cfg.F, &r);
    for (int i = 0; i < maxB * cfg.T; i++) {
        targets[i] = df_rng_range(&r, cfg.A);
        for (int a = 0; a < cfg.A; a++) mask[(size_t)i * cfg.A + a] = a == targets[i] || df_rng_range(&r, 2);
    }
    df_adamw_opts opt = df_adamw_defaults();
    for (size_t k = 0; k < sizeof tb / sizeof tb[0]; k++) {
        int B = tb[k], T = cfg.T;
        enum { S = 5 };
        double t[S];
        for (int s = 0; s < S; s++) {
            double t0 = now_s();
            float loss;
            df_gpt_zero_grad(&m);
            if (df_gpt_forward(&m, tx, targets, mask, B, T, &loss, &e)) die("forward", &e);
            if (df_gpt_backward(&m, &e)) die("backward", &e);
            if (df_gpt_update(&m, &opt, NULL, &e)) die("update", &e);
            t[s] = now_s() - t0;
        }
        double st = median(t, S);
        printf("%5d %12.2f %12.0f\n", B, st * 1e3, (double)B * T / st);
    }
    free(tx);
    free(targets);
    free(mask);
    free(x);
    free(xrow);
    free(logits);
    free(ga);
    free(gc);
    df_feature_norm_free(&norm);
    df_gpt_free(&m);
    return 0;
}
