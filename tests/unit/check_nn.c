/* check_nn.c - Check suite "nn": the transformer kernels.
 *
 * Gradient checks: for every op, the analytic backward is compared with central finite differences,
 * (J(x+h) - J(x-h)) / 2h evaluated in double precision, of the scalar J = sum_k r_k out_k (r fixed
 * random; for the cross-entropy J is the mean loss itself), for EVERY input and parameter element of a
 * small instance. The measure per tensor is the relative error ||g_analytic - g_numeric||_2 /
 * max(||g_analytic||_2, ||g_numeric||_2, 1e-6); the threshold is GRAD_TOL (stated below), and each
 * element must also satisfy |a - n| <= 1e-3 + 2e-2 |n|. Measured errors are printed.
 * Also: the cblas linear against its naive twin on several shapes including M = 1 (sgemv path),
 * attention against a direct triple-loop reference, AdamW two steps against hand-computed values,
 * gradient clipping, and the vector exp against double-precision exp. The inference kernels against
 * their reference twins: the fused attention step against the two-pass double reference, the
 * vector layernorm against the training one, the vector GELU bit for bit against the training one and
 * within a stated bound of the exact tanh form. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/common.h"
#include "dnnfuser/nn.h"

#define GRAD_TOL 1e-3 /* relative L2 error bound per gradient tensor */

static float *rand_vec(df_rng *r, size_t n, float scale) {
    float *v = malloc(n * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++) v[i] = (float)((2.0 * df_rng_uniform(r) - 1.0) * scale);
    return v;
}

static float *zeros(size_t n) {
    float *v = calloc(n, sizeof *v);
    ck_assert_ptr_nonnull(v);
    return v;
}

static double dot_d(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* An op under test: eval() runs the forward from the current inputs and returns J in double. */
typedef double (*objective_fn)(void *ctx);

/* Compares the analytic gradient of J with respect to x (n) with central differences of step h.
 * Returns the relative L2 error and checks every element. */
static double grad_check(const char *what, float *x, const float *analytic, size_t n, double h, objective_fn J,
                         void *ctx) {
    double diff2 = 0.0, a2 = 0.0, n2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i];
        x[i] = (float)(keep + h);
        double jp = J(ctx);
        x[i] = (float)(keep - h);
        double jm = J(ctx);
        x[i] = keep;
        double hp = (double)(float)(keep + h) - keep, hm = keep - (double)(float)(keep - h); // the steps taken
        double num = (jp - jm) / (hp + hm);
        double a = analytic[i];
        ck_assert_msg(fabs(a - num) <= 1e-3 + 2e-2 * fabs(num), "%s[%zu]: analytic %.6g, numeric %.6g", what, i, a,
                      num);
        diff2 += (a - num) * (a - num);
        a2 += a * a;
        n2 += num * num;
    }
    double den = fmax(fmax(sqrt(a2), sqrt(n2)), 1e-6);
    double rel = sqrt(diff2) / den;
    printf("  grad check %-22s n=%-4zu rel L2 error %.2e\n", what, n, rel);
    ck_assert_msg(rel < GRAD_TOL, "%s: relative gradient error %.3e >= %.1e", what, rel, GRAD_TOL);
    return rel;
}

/* ---------------------------------------------------------------------------------------------- */
/* linear */

typedef struct {
    float *inp, *w, *b, *out, *r;
    int N, IN, OUT;
} lin_ctx;

static double lin_J(void *p) {
    lin_ctx *c = p;
    df_linear_forward(c->out, c->inp, c->w, c->b, c->N, c->IN, c->OUT);
    return dot_d(c->out, c->r, (size_t)c->N * c->OUT);
}

START_TEST(test_linear_grad) {
    df_rng r;
    df_rng_seed(&r, 1);
    const int shapes[][3] = {{4, 5, 3}, {1, 6, 4}, {7, 3, 9}};
    for (int s = 0; s < 3; s++) {
        lin_ctx c = {0};
        c.N = shapes[s][0];
        c.IN = shapes[s][1];
        c.OUT = shapes[s][2];
        c.inp = rand_vec(&r, (size_t)c.N * c.IN, 1.0f);
        c.w = rand_vec(&r, (size_t)c.IN * c.OUT, 1.0f);
        c.b = rand_vec(&r, (size_t)c.OUT, 1.0f);
        c.out = zeros((size_t)c.N * c.OUT);
        c.r = rand_vec(&r, (size_t)c.N * c.OUT, 1.0f);
        float *dinp = zeros((size_t)c.N * c.IN), *dw = zeros((size_t)c.IN * c.OUT), *db = zeros((size_t)c.OUT);
        lin_J(&c);
        df_linear_backward(dinp, dw, db, c.r, c.inp, c.w, c.N, c.IN, c.OUT);
        grad_check("linear dinp", c.inp, dinp, (size_t)c.N * c.IN, 1e-2, lin_J, &c);
        grad_check("linear dw", c.w, dw, (size_t)c.IN * c.OUT, 1e-2, lin_J, &c);
        grad_check("linear db", c.b, db, (size_t)c.OUT, 1e-2, lin_J, &c);
        free(c.inp);
        free(c.w);
        free(c.b);
        free(c.out);
        free(c.r);
        free(dinp);
        free(dw);
        free(db);
    }
}
END_TEST

START_TEST(test_linear_cblas_vs_naive) {
    df_rng r;
    df_rng_seed(&r, 2);
    /* N, IN, OUT: M = 1 (sgemv), tiny, odd, the model's shapes at small and large batch */
    const int shapes[][3] = {{1, 7, 5},     {1, 128, 384}, {1, 512, 128},  {2, 3, 1},      {3, 5, 7},
                             {8, 128, 128}, {33, 17, 65},  {64, 128, 512}, {64, 256, 768}, {5, 1, 4}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        float *inp = rand_vec(&r, (size_t)N * IN, 1.0f), *w = rand_vec(&r, (size_t)IN * OUT, 1.0f);
        float *b = rand_vec(&r, (size_t)OUT, 1.0f);
        float *o1 = zeros((size_t)N * OUT), *o2 = zeros((size_t)N * OUT), *o3 = zeros((size_t)N * OUT);
        float *o4 = zeros((size_t)N * OUT);
        df_linear_forward(o1, inp, w, b, N, IN, OUT);
        df_linear_forward_naive(o2, inp, w, b, N, IN, OUT);
        df_linear_forward(o3, inp, w, NULL, N, IN, OUT);
        df_linear_forward_naive(o4, inp, w, NULL, N, IN, OUT);
        float *o5 = zeros((size_t)N * OUT); /* one rows through sgemm (df_linear_forward_ex) */
        df_linear_forward_ex(o5, inp, w, b, N, IN, OUT, 1);
        double maxd = 0.0;
        for (int i = 0; i < N * OUT; i++) {
            /* bound: float accumulation error of IN products of magnitude <= 1 */
            double tol = 1e-6 * (IN + 1) + 1e-6 * fabs(o2[i]);
            ck_assert_msg(fabs(o1[i] - o2[i]) <= tol, "shape %dx%dx%d elem %d: cblas %.7g naive %.7g", N, IN, OUT, i,
                          o1[i], o2[i]);
            ck_assert_msg(fabs(o3[i] - o4[i]) <= tol, "shape %dx%dx%d (no bias) elem %d", N, IN, OUT, i);
            ck_assert_msg(fabs(o5[i] - o2[i]) <= tol, "shape %dx%dx%d (m1 sgemm) elem %d", N, IN, OUT, i);
            maxd = fmax(maxd, fabs(o1[i] - o2[i]));
        }
        printf("  linear %3dx%3dx%3d cblas vs naive max |diff| %.2e\n", N, IN, OUT, maxd);
        free(inp);
        free(w);
        free(b);
        free(o1);
        free(o2);
        free(o3);
        free(o4);
        free(o5);
    }
}
END_TEST

/* The packed decode product (df_linear_infer) against the naive loops, at every row remainder of its
 * 4-row blocks, with and without bias, over 64- and 16-column panels and a ragged tail (OUT % 16);
 * and a row's result independent of the other rows in the call (row 0 alone == row 0 of N). On a CPU
 * without avx512f df_linear_infer is df_linear_forward, tested the same way. */
START_TEST(test_linear_packed_vs_naive) {
    df_rng r;
    df_rng_seed(&r, 3);
    const int shapes[][3] = {{1, 82, 64}, {2, 64, 192}, {3, 64, 17},   {4, 256, 64},  {5, 64, 256}, {7, 5, 80},
                             {8, 64, 64}, {9, 17, 15},  {13, 64, 192}, {64, 64, 256}, {1, 1, 1},    {6, 3, 33}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        float *inp = rand_vec(&r, (size_t)N * IN, 1.0f), *w = rand_vec(&r, (size_t)IN * OUT, 1.0f);
        float *b = rand_vec(&r, (size_t)OUT, 1.0f);
        float *wp = zeros(df_linear_pack_floats(IN, OUT) + 1);
        df_linear_pack(wp, w, IN, OUT);
        float *o1 = zeros((size_t)N * OUT), *o2 = zeros((size_t)N * OUT), *o3 = zeros((size_t)N * OUT);
        float *o4 = zeros((size_t)N * OUT), *o5 = zeros((size_t)OUT);
        df_linear_infer(o1, inp, wp, w, b, N, IN, OUT);
        df_linear_forward_naive(o2, inp, w, b, N, IN, OUT);
        df_linear_infer(o3, inp, wp, w, NULL, N, IN, OUT);
        df_linear_forward_naive(o4, inp, w, NULL, N, IN, OUT);
        df_linear_infer(o5, inp, wp, w, b, 1, IN, OUT);
        double maxd = 0.0;
        for (int i = 0; i < N * OUT; i++) {
            double tol = 1e-6 * (IN + 1) + 1e-6 * fabs(o2[i]);
            ck_assert_msg(fabs(o1[i] - o2[i]) <= tol, "shape %dx%dx%d elem %d: packed %.7g naive %.7g", N, IN, OUT, i,
                          o1[i], o2[i]);
            ck_assert_msg(fabs(o3[i] - o4[i]) <= tol, "shape %dx%dx%d (no bias) elem %d", N, IN, OUT, i);
            maxd = fmax(maxd, fabs(o1[i] - o2[i]));
        }
        if (df_linear_packed_ok())
            ck_assert_msg(memcmp(o5, o1, (size_t)OUT * sizeof *o5) == 0, "shape %dx%dx%d: row 0 alone differs", N, IN,
                          OUT);
        printf("  linear %3dx%3dx%3d packed vs naive max |diff| %.2e%s\n", N, IN, OUT, maxd,
               df_linear_packed_ok() ? "" : " (no avx512f: cblas)");
        free(inp);
        free(w);
        free(b);
        free(wp);
        free(o1);
        free(o2);
        free(o3);
        free(o4);
        free(o5);
    }
}
END_TEST

/* The binary16 weight panels (df_linear_infer_f16). The weights the kernel uses are read back through
 * it with identity rows (x = e_i, no bias: out = 0 + 1 * w16 exactly); each is within the binary16
 * rounding of w (|w16 - w| <= 2^-11 |w|, or 2^-25 below 2^-14); the product then equals
 * df_linear_infer on those float weights bit for bit (same loads converted, same FMAs in the same
 * order), and differs from the float product by at most 2^-11 sum_i |x_i w_i| + 2 (IN + 1) 2^-24
 * (|b| + sum_i |x_i w_i|) (weight rounding plus both products' float accumulation, Higham, Accuracy and
 * Stability of Numerical Algorithms, 2nd ed., section 3.1, eq. 3.5, gamma_n with n = IN + 1). Without
 * avx512f the kernel is df_linear_forward (only the bound is checked). */
START_TEST(test_linear_f16_bound) {
    df_rng r;
    df_rng_seed(&r, 5);
    const int shapes[][3] = {{1, 82, 64}, {2, 64, 192}, {3, 64, 17}, {4, 256, 64}, {5, 64, 256},
                             {7, 5, 80},  {1, 64, 192}, {9, 17, 15}, {1, 256, 64}, {6, 3, 33}};
    const int ok = df_linear_packed_ok();
    double worst = 0.0; // largest |f16 - float| / the bound's weight-rounding term
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int N = shapes[s][0], IN = shapes[s][1], OUT = shapes[s][2];
        float *inp = rand_vec(&r, (size_t)N * IN, 1.0f), *w = rand_vec(&r, (size_t)IN * OUT, 1.0f);
        float *b = rand_vec(&r, (size_t)OUT, 1.0f);
        for (int i = 0; i < IN * OUT; i += 7) w[i] *= 1e-5f; // some weights near and below 2^-14
        size_t np = df_linear_pack_floats(IN, OUT) + 1;
        uint16_t *wh = calloc(np, sizeof *wh);
        float *wp = zeros(np), *w16 = zeros((size_t)IN * OUT), *eye = zeros((size_t)IN * IN);
        ck_assert_ptr_nonnull(wh);
        df_linear_pack_f16(wh, w, IN, OUT);
        for (int i = 0; i < IN; i++) eye[(size_t)i * IN + i] = 1.0f;
        df_linear_infer_f16(w16, eye, wh, w, NULL, IN, IN, OUT);
        for (int i = 0; i < IN * OUT; i++) {
            double a = fabs((double)w[i]), err = fabs((double)w16[i] - w[i]);
            ck_assert_msg(err <= (a >= 0x1p-14 ? 0x1p-11 * a : 0x1p-25), "shape %dx%dx%d weight %d: %.9g -> %.9g", N,
                          IN, OUT, i, w[i], w16[i]);
        }
        df_linear_pack(wp, w16, IN, OUT);
        float *o1 = zeros((size_t)N * OUT), *o2 = zeros((size_t)N * OUT), *o3 = zeros((size_t)N * OUT);
        df_linear_infer_f16(o1, inp, wh, w, b, N, IN, OUT);
        df_linear_infer(o2, inp, wp, w16, b, N, IN, OUT);
        df_linear_infer(o3, inp, (df_linear_pack(wp, w, IN, OUT), wp), w, b, N, IN, OUT);
        if (ok)
            ck_assert_msg(memcmp(o1, o2, (size_t)N * OUT * sizeof *o1) == 0,
                          "shape %dx%dx%d: f16 product differs from the float product on the rounded weights", N, IN,
                          OUT);
        for (int n = 0; n < N; n++)
            for (int o = 0; o < OUT; o++) {
                double sa = 0.0;
                for (int i = 0; i < IN; i++) sa += fabs((double)inp[(size_t)n * IN + i] * w[(size_t)i * OUT + o]);
                double bound = 0x1p-11 * sa + 2.0 * (IN + 1) * 0x1p-24 * (fabs((double)b[o]) + sa);
                double d = fabs((double)o1[(size_t)n * OUT + o] - o3[(size_t)n * OUT + o]);
                ck_assert_msg(d <= bound, "shape %dx%dx%d out (%d, %d): |f16 - float| %.3g > bound %.3g", N, IN, OUT, n,
                              o, d, bound);
                if (sa > 0) worst = fmax(worst, d / (0x1p-11 * sa));
            }
        free(inp);
        free(w);
        free(b);
        free(wh);
        free(wp);
        free(w16);
        free(eye);
        free(o1);
        free(o2);
        free(o3);
    }
    printf("  linear f16 panels: largest |f16 - float| = %.3f x 2^-11 sum |x w|%s\n", worst,
           ok ? "" : " (no avx512f: cblas)");
}
END_TEST

/* The plain-C binary16 conversion (df_f16_from_float / df_f16_to_float / df_f16_exact). Every one of the
 * 65,536 binary16 patterns converts to a float and back to itself (NaNs: to a NaN), and df_f16_exact
 * holds on it; then the rounding equals vcvtps2ph's (the bits df_linear_pack_f16 stores: panels of 64,
 * weight k of row i at wp[64 i + k]) on 64 x 4096 floats of every class: random bits over exponents
 * 2^-30..2^17 (subnormal results, overflow), exact ties between neighbouring binary16 values, the
 * thresholds 2^-25, 2^-24, 2^-14, 65504, 65520, zeros of both signs, infinities, NaNs. Without avx512f
 * only the first part runs. */
START_TEST(test_f16_conversion) {
    for (uint32_t h = 0; h < 0x10000u; h++) {
        float x = df_f16_to_float((uint16_t)h);
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
            ck_assert_msg(isnan(x), "half %04x: not a NaN", h);
            continue;
        }
        ck_assert_msg(df_f16_from_float(x) == h, "half %04x -> %.9g -> %04x", h, x, df_f16_from_float(x));
        ck_assert(df_f16_exact(x));
    }
    ck_assert(!df_f16_exact(0.1f) && !df_f16_exact(1.0f + 0x1p-11f) && !df_f16_exact(65520.0f));
    ck_assert(df_f16_exact(1.0f + 0x1p-10f) && df_f16_exact(0x1p-24f) && df_f16_exact(-0.0f));
    df_rng r;
    df_rng_seed(&r, 16);
    const int IN = 4096, OUT = 64;
    float *w = zeros((size_t)IN * OUT);
    uint16_t *wh = calloc((size_t)IN * OUT, sizeof *wh);
    ck_assert_ptr_nonnull(wh);
    const float fixed[] = {0x1p-25f, 0x1p-24f, 0x1.8p-25f, 0x1p-26f, 0x1p-14f, 0x1.ffcp-15f, 65504.0f,
                           65519.0f, 65520.0f, 0.0f,       -0.0f,    INFINITY, -INFINITY,    NAN};
    for (int i = 0; i < IN * OUT; i++) {
        uint32_t u;
        float x;
        int kind = i % 3;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            x = fixed[i];
        } else if (kind == 0) { /* random fraction, exponent 2^-30..2^17 */
            u = (uint32_t)(df_rng_next(&r) & 0x807fffffu) | ((uint32_t)(97 + df_rng_range(&r, 48)) << 23);
            memcpy(&x, &u, sizeof x);
        } else if (kind == 1) { /* the midpoint of two neighbouring binary16 values (a tie) */
            uint16_t h = (uint16_t)(df_rng_next(&r) & 0xfbffu);
            float a = df_f16_to_float(h), b = df_f16_to_float((uint16_t)(h + 1));
            x = (float)(((double)a + (double)b) / 2.0);
        } else { /* any bits */
            u = (uint32_t)df_rng_next(&r);
            memcpy(&x, &u, sizeof x);
        }
        w[i] = x;
    }
    for (int i = 0; i < IN * OUT; i++) {
        float y = df_f16_to_float(df_f16_from_float(w[i]));
        ck_assert_msg(df_f16_exact(w[i]) == (memcmp(&y, &w[i], sizeof y) == 0), "df_f16_exact(%a) = %d", w[i],
                      df_f16_exact(w[i]));
    }
    ck_assert(!df_f16_exact_all(w, (size_t)IN * OUT) && df_f16_exact_all(w + 9, 2));
    if (!df_linear_packed_ok()) {
        printf("  binary16 conversion: 65536 round trips, df_f16_exact on %d floats (no avx512f: rounding not "
               "compared with vcvtps2ph)\n",
               IN * OUT);
        free(w);
        free(wh);
        return;
    }
    df_linear_pack_f16(wh, w, IN, OUT);
    int nan_seen = 0;
    for (int i = 0; i < IN * OUT; i++) {
        uint16_t want = df_f16_from_float(w[i]);
        if (isnan(w[i])) nan_seen++;
        ck_assert_msg(wh[i] == want, "float %.9g (%a): vcvtps2ph %04x, df_f16_from_float %04x", w[i], w[i], wh[i],
                      want);
    }
    printf("  binary16 conversion: 65536 round trips; df_f16_exact and vcvtps2ph's rounding on %d floats (%d NaNs)\n",
           IN * OUT, nan_seen);
    free(w);
    free(wh);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* layernorm */

typedef struct {
    float *inp, *w, *b, *out, *mean, *rstd, *r;
    int N, C;
} ln_ctx;

static double ln_J(void *p) {
    ln_ctx *c = p;
    df_layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C);
    return dot_d(c->out, c->r, (size_t)c->N * c->C);
}

START_TEST(test_layernorm_grad) {
    df_rng r;
    df_rng_seed(&r, 3);
    ln_ctx c = {0};
    c.N = 5;
    c.C = 8;
    size_t n = (size_t)c.N * c.C;
    c.inp = rand_vec(&r, n, 2.0f);
    c.w = rand_vec(&r, (size_t)c.C, 1.5f);
    c.b = rand_vec(&r, (size_t)c.C, 1.0f);
    c.out = zeros(n);
    c.mean = zeros((size_t)c.N);
    c.rstd = zeros((size_t)c.N);
    c.r = rand_vec(&r, n, 1.0f);
    float *dinp = zeros(n), *dw = zeros((size_t)c.C), *db = zeros((size_t)c.C);
    ln_J(&c);
    /* the forward's normalised output has zero mean and unit variance per row */
    for (int i = 0; i < c.N; i++) {
        double m = 0.0;
        for (int k = 0; k < c.C; k++) m += c.inp[i * c.C + k];
        ck_assert(fabs(m / c.C - c.mean[i]) < 1e-6);
    }
    df_layernorm_backward(dinp, dw, db, c.r, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    grad_check("layernorm dinp", c.inp, dinp, n, 1e-3, ln_J, &c);
    grad_check("layernorm dw", c.w, dw, (size_t)c.C, 1e-2, ln_J, &c);
    grad_check("layernorm db", c.b, db, (size_t)c.C, 1e-2, ln_J, &c);
    free(c.inp);
    free(c.w);
    free(c.b);
    free(c.out);
    free(c.mean);
    free(c.rstd);
    free(c.r);
    free(dinp);
    free(dw);
    free(db);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* gelu and residual */

typedef struct {
    float *inp, *inp2, *out, *r;
    int n;
} ew_ctx;

static double gelu_J(void *p) {
    ew_ctx *c = p;
    df_gelu_forward(c->out, c->inp, c->n);
    return dot_d(c->out, c->r, (size_t)c->n);
}

static double residual_J(void *p) {
    ew_ctx *c = p;
    df_residual_forward(c->out, c->inp, c->inp2, c->n);
    return dot_d(c->out, c->r, (size_t)c->n);
}

START_TEST(test_gelu_grad) {
    df_rng r;
    df_rng_seed(&r, 4);
    ew_ctx c = {0};
    c.n = 41;
    c.inp = zeros((size_t)c.n);
    for (int i = 0; i < c.n; i++) c.inp[i] = -5.0f + 0.25f * i + 0.01f; // covers both tails and the bend
    c.out = zeros((size_t)c.n);
    c.r = rand_vec(&r, (size_t)c.n, 1.0f);
    float *dinp = zeros((size_t)c.n);
    gelu_J(&c);
    /* spot values of the tanh approximation */
    float x[3] = {-1.0f, 0.0f, 1.0f}, y[3];
    df_gelu_forward(y, x, 3);
    ck_assert(fabs(y[0] - (-0.158808)) < 1e-5 && y[1] == 0.0f && fabs(y[2] - 0.841192) < 1e-5);
    df_gelu_backward(dinp, c.inp, c.r, c.n);
    grad_check("gelu dinp", c.inp, dinp, (size_t)c.n, 1e-3, gelu_J, &c);
    free(c.inp);
    free(c.out);
    free(c.r);
    free(dinp);
}
END_TEST

START_TEST(test_residual_grad) {
    df_rng r;
    df_rng_seed(&r, 5);
    ew_ctx c = {0};
    c.n = 13;
    c.inp = rand_vec(&r, (size_t)c.n, 1.0f);
    c.inp2 = rand_vec(&r, (size_t)c.n, 1.0f);
    c.out = zeros((size_t)c.n);
    c.r = rand_vec(&r, (size_t)c.n, 1.0f);
    float *da = zeros((size_t)c.n), *db = zeros((size_t)c.n);
    residual_J(&c);
    df_residual_backward(da, db, c.r, c.n);
    grad_check("residual da", c.inp, da, (size_t)c.n, 1e-2, residual_J, &c);
    grad_check("residual db", c.inp2, db, (size_t)c.n, 1e-2, residual_J, &c);
    free(c.inp);
    free(c.inp2);
    free(c.out);
    free(c.r);
    free(da);
    free(db);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* attention */

typedef struct {
    float *qkv, *out, *att, *r;
    int B, T, C, NH;
} att_ctx;

static double att_J(void *p) {
    att_ctx *c = p;
    df_attention_forward(c->out, c->att, c->qkv, c->B, c->T, c->C, c->NH);
    return dot_d(c->out, c->r, (size_t)c->B * c->T * c->C);
}

START_TEST(test_attention_grad) {
    df_rng r;
    df_rng_seed(&r, 6);
    const int cases[][4] = {{2, 5, 8, 2}, {1, 1, 4, 1}, {1, 7, 6, 3}};
    for (int k = 0; k < 3; k++) {
        att_ctx c = {0};
        c.B = cases[k][0];
        c.T = cases[k][1];
        c.C = cases[k][2];
        c.NH = cases[k][3];
        size_t nqkv = (size_t)c.B * c.T * 3 * c.C, nout = (size_t)c.B * c.T * c.C;
        c.qkv = rand_vec(&r, nqkv, 1.5f);
        c.out = zeros(nout);
        c.att = zeros((size_t)c.B * c.NH * c.T * c.T);
        c.r = rand_vec(&r, nout, 1.0f);
        float *dqkv = zeros(nqkv), *scratch = zeros((size_t)c.T * c.T);
        att_J(&c);
        df_attention_backward(dqkv, scratch, c.r, c.qkv, c.att, c.B, c.T, c.C, c.NH);
        grad_check("attention dqkv", c.qkv, dqkv, nqkv, 1e-3, att_J, &c);
        free(c.qkv);
        free(c.out);
        free(c.att);
        free(c.r);
        free(dqkv);
        free(scratch);
    }
}
END_TEST

/* the sgemm attention against the definition, written as plain loops */
START_TEST(test_attention_reference) {
    df_rng r;
    df_rng_seed(&r, 7);
    int B = 2, T = 6, C = 12, NH = 3, hs = C / NH;
    float *qkv = rand_vec(&r, (size_t)B * T * 3 * C, 2.0f), *out = zeros((size_t)B * T * C);
    float *att = zeros((size_t)B * NH * T * T);
    df_attention_forward(out, att, qkv, B, T, C, NH);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int h = 0; h < NH; h++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double s[16], mx = -1e300, sum = 0.0;
                for (int u = 0; u <= t; u++) {
                    const float *kk = qkv + ((size_t)b * T + u) * 3 * C + C + h * hs;
                    s[u] = 0.0;
                    for (int i = 0; i < hs; i++) s[u] += (double)q[i] * kk[i];
                    s[u] /= sqrt((double)hs);
                    mx = fmax(mx, s[u]);
                }
                for (int u = 0; u <= t; u++) sum += (s[u] = exp(s[u] - mx));
                for (int u = 0; u < T; u++) {
                    double want = u <= t ? s[u] / sum : 0.0;
                    ck_assert(fabs(att[(((size_t)b * NH + h) * T + t) * T + u] - want) < 1e-6);
                }
                for (int i = 0; i < hs; i++) {
                    double y = 0.0;
                    for (int u = 0; u <= t; u++)
                        y += s[u] / sum * qkv[((size_t)b * T + u) * 3 * C + 2 * C + h * hs + i];
                    ck_assert(fabs(out[((size_t)b * T + t) * C + h * hs + i] - y) < 1e-5);
                }
            }
    free(qkv);
    free(out);
    free(att);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* masked cross-entropy */

typedef struct {
    float *logits, *probs, *losses;
    int32_t *targets;
    uint8_t *mask;
    int N, A;
} xent_ctx;

static double xent_J(void *p) {
    xent_ctx *c = p;
    return df_xent_forward(c->probs, c->losses, c->logits, c->targets, c->mask, c->N, c->A, NULL);
}

START_TEST(test_xent_grad) {
    df_rng r;
    df_rng_seed(&r, 8);
    xent_ctx c = {0};
    c.N = 7;
    c.A = 5;
    size_t n = (size_t)c.N * c.A;
    c.logits = rand_vec(&r, n, 3.0f);
    c.probs = zeros(n);
    c.losses = zeros((size_t)c.N);
    c.targets = malloc((size_t)c.N * sizeof *c.targets);
    c.mask = malloc(n);
    for (size_t i = 0; i < n; i++) c.mask[i] = df_rng_range(&r, 3) != 0;
    for (int i = 0; i < c.N; i++) {
        c.mask[(size_t)i * c.A + (size_t)(i % c.A)] = 1;  // at least one allowed per row
        c.targets[i] = (i == 2 || i == 5) ? -1 : i % c.A; // two positions without a target
    }
    c.mask[(size_t)6 * c.A + 6 % c.A] = 1;
    int nt = 0;
    float loss = df_xent_forward(c.probs, c.losses, c.logits, c.targets, c.mask, c.N, c.A, &nt);
    ck_assert_int_eq(nt, 5);
    /* definition: mean over target rows of -log softmax over allowed actions */
    double want = 0.0;
    for (int i = 0; i < c.N; i++) {
        double psum = 0.0, z = 0.0;
        for (int a = 0; a < c.A; a++) {
            if (!c.mask[(size_t)i * c.A + a]) {
                ck_assert(c.probs[(size_t)i * c.A + a] == 0.0f); // masked: -inf logit, probability 0
                continue;
            }
            psum += c.probs[(size_t)i * c.A + a];
            z += exp(c.logits[(size_t)i * c.A + a]);
        }
        ck_assert(fabs(psum - 1.0) < 1e-6);
        if (c.targets[i] >= 0)
            want += log(z) - c.logits[(size_t)i * c.A + c.targets[i]];
        else
            ck_assert(c.losses[i] == 0.0f);
    }
    want /= nt;
    ck_assert_msg(fabs(loss - want) < 1e-5, "loss %g, want %g", loss, want);
    float *dlogits = zeros(n);
    df_xent_backward(dlogits, c.probs, c.targets, c.N, c.A, nt);
    for (size_t i = 0; i < n; i++)
        if (!c.mask[i]) ck_assert(dlogits[i] == 0.0f);
    grad_check("xent dlogits (masked)", c.logits, dlogits, n, 1e-2, xent_J, &c);
    /* no mask at all */
    memset(dlogits, 0, n * sizeof *dlogits);
    df_xent_forward(c.probs, c.losses, c.logits, c.targets, NULL, c.N, c.A, &nt);
    df_xent_backward(dlogits, c.probs, c.targets, c.N, c.A, nt);
    uint8_t *keep = c.mask;
    c.mask = NULL;
    grad_check("xent dlogits (no mask)", c.logits, dlogits, n, 1e-2, xent_J, &c);
    c.mask = keep;
    /* a masked-out target is an infinite loss, a row with nothing allowed has zero probabilities */
    memset(c.mask, 0, (size_t)c.A);
    c.targets[0] = 0;
    df_xent_forward(c.probs, c.losses, c.logits, c.targets, c.mask, c.N, c.A, NULL);
    ck_assert(isinf(c.losses[0]));
    for (int a = 0; a < c.A; a++) ck_assert(c.probs[a] == 0.0f);
    free(c.logits);
    free(c.probs);
    free(c.losses);
    free(c.targets);
    free(c.mask);
    free(dlogits);
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* optimiser */

START_TEST(test_adamw_hand_computed) {
    /* lr 0.1, betas 0.9 / 0.999, eps 1e-8, weight decay 0.01.
     * Step 1, p = 0.5, g = 0.2: m = 0.02, v = 4e-5, mhat = 0.2, vhat = 0.04,
     *   p = 0.5 - 0.1 (0.2 / (0.2 + 1e-8) + 0.01 * 0.5) = 0.399500005.
     * p = -1, g = -0.5: p = -1 - 0.1 (-0.99999998 - 0.01) = -0.899000002.
     * p = 2, g = 0: m = v = 0, only the decay acts: p = 2 - 0.1 * 0.02 = 1.998.
     * Step 2, g = 0.1 everywhere: for the third, m = 0.01, v = 1e-5, mhat = 0.01 / 0.19,
     *   vhat = 1e-5 / 0.001999, p = 1.998 - 0.1 (0.0526316 / 0.0707283 + 0.01998) = 1.9215883. */
    float p[3] = {0.5f, -1.0f, 2.0f}, m[3] = {0}, v[3] = {0};
    float g1[3] = {0.2f, -0.5f, 0.0f}, g2[3] = {0.1f, 0.1f, 0.1f};
    df_adamw_update(p, g1, m, v, 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
    ck_assert(fabs(p[0] - 0.399500005) < 1e-6);
    ck_assert(fabs(p[1] - -0.899000002) < 1e-6);
    ck_assert(fabs(p[2] - 1.998) < 1e-6);
    ck_assert(fabs(m[0] - 0.02) < 1e-7 && fabs(v[1] - 2.5e-4) < 1e-8); // float rounding of 1 - beta
    df_adamw_update(p, g2, m, v, 3, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f, 2);
    ck_assert(fabs(p[0] - 0.3058825470) < 2e-6);
    ck_assert(fabs(p[1] - -0.8469983957) < 2e-6);
    ck_assert(fabs(p[2] - 1.9215883282) < 2e-6);
    /* no weight decay, zero gradient: nothing moves */
    float q[2] = {1.0f, -3.0f}, zg[2] = {0}, mm[2] = {0}, vv[2] = {0};
    df_adamw_update(q, zg, mm, vv, 2, 0.1f, 0.9f, 0.999f, 1e-8f, 0.0f, 1);
    ck_assert(q[0] == 1.0f && q[1] == -3.0f);
}
END_TEST

START_TEST(test_vexp) {
    /* relative error against double exp over [-87, 88], every length 0..9 for the tail path, limits */
    enum { N = 20001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++) x[i] = -87.0f + 175.0f * i / (N - 1);
    df_vexp(y, x, N);
    double worst = 0.0;
    for (int i = 0; i < N; i++) worst = fmax(worst, fabs(y[i] / exp((double)x[i]) - 1.0));
    printf("  vexp max relative error over [-87, 88]: %.2e\n", worst);
    ck_assert_msg(worst < 3e-7, "vexp relative error %.3e", worst);
    for (int n = 0; n < 10; n++) {
        float in[9], out[9];
        for (int i = 0; i < n; i++) in[i] = 0.37f * i - 1.0f;
        df_vexp(out, in, n);
        for (int i = 0; i < n; i++) ck_assert(fabs(out[i] / exp((double)in[i]) - 1.0) < 3e-7);
    }
    float lim[6] = {0.0f, -INFINITY, -1000.0f, 1000.0f, INFINITY, 1.0f}, r[6];
    df_vexp(r, lim, 6);
    ck_assert(r[0] == 1.0f && r[1] == 0.0f && r[2] == 0.0f && r[3] > 2e38f && r[4] > 2e38f); // saturates
    ck_assert(fabs(r[5] - 2.718281828) < 1e-6);
    free(x);
    free(y);
}
END_TEST

START_TEST(test_grad_clip) {
    float g[4] = {3.0f, 4.0f, 0.0f, 0.0f};
    double n = df_grad_norm(g, 4);
    ck_assert(fabs(n - 5.0) < 1e-12);
    ck_assert(df_grad_clip(g, 4, n, 10.0f) == 1.0f && g[0] == 3.0f); // under the limit: untouched
    float s = df_grad_clip(g, 4, n, 1.0f);
    ck_assert(fabs(s - 0.2f) < 1e-7);
    ck_assert(fabs(df_grad_norm(g, 4) - 1.0) < 1e-6);
    ck_assert(df_grad_clip(g, 4, NAN, 1.0f) == 1.0f); // a NaN norm is not "clipped" silently
}
END_TEST

/* ---------------------------------------------------------------------------------------------- */
/* inference kernels against their reference twins */

/* the fused KV-cache attention step (blocked keys, online softmax) against the two-pass double
 * reference, for head sizes on each code path (32: paired vectors, 16: one vector, 4: scalar) and
 * contexts across block boundaries */
START_TEST(test_attention_step_vs_naive) {
    df_rng r;
    df_rng_seed(&r, 11);
    const int shapes[3][2] = {{64, 2}, {48, 3}, {12, 3}}; /* C, NH */
    const int ctxs[] = {1, 2, 15, 16, 17, 31, 33, 72, 192};
    double worst = 0.0;
    for (int sh = 0; sh < 3; sh++) {
        int C = shapes[sh][0], NH = shapes[sh][1], T = 192;
        float *k = rand_vec(&r, (size_t)T * C, 2.0f), *v = rand_vec(&r, (size_t)T * C, 1.0f);
        float *q = rand_vec(&r, (size_t)C, 2.0f);
        float *kb = malloc((size_t)(T + DF_ATT_BLOCK) * C * sizeof *kb);
        ck_assert_ptr_nonnull(kb);
        for (size_t i = 0; i < (size_t)(T + DF_ATT_BLOCK) * C; i++) kb[i] = NAN; /* unwritten lanes never read */
        for (int t = 0; t < T; t++) df_attention_key_store(kb, t, k + (size_t)t * C, C);
        float *vv = malloc((size_t)(T + DF_ATT_BLOCK) * C * sizeof *vv);
        ck_assert_ptr_nonnull(vv);
        for (size_t i = 0; i < (size_t)(T + DF_ATT_BLOCK) * C; i++) vv[i] = NAN;
        memcpy(vv, v, (size_t)T * C * sizeof *vv);
        float out[64], ref[64];
        for (size_t ci = 0; ci < sizeof ctxs / sizeof ctxs[0]; ci++) {
            int ctx = ctxs[ci];
            df_attention_step(out, q, kb, vv, ctx, C, NH);
            df_attention_step_naive(ref, q, k, v, ctx, C, NH);
            for (int i = 0; i < C; i++) {
                ck_assert_msg(isfinite(out[i]), "C %d ctx %d: out[%d] not finite", C, ctx, i);
                double e = fabs(out[i] - ref[i]);
                worst = fmax(worst, e);
                ck_assert_msg(e <= 2e-6 + 2e-6 * fabs(ref[i]), "C %d NH %d ctx %d out[%d] %.8g ref %.8g", C, NH, ctx, i,
                              out[i], ref[i]);
            }
        }
        free(k);
        free(v);
        free(q);
        free(kb);
        free(vv);
    }
    printf("  attention step vs naive: max |diff| %.2e\n", worst);
}
END_TEST

/* The paired-head path (an even number of heads of hs % 32 == 0 channels, the shipped 2 x 32) gives
 * every head the bits of that head alone (NH = 1 over its channels, the one-head loop), at every
 * context length 1..192 (1 to 3 tiles, partial blocks), including the odd head left over with 3 heads */
START_TEST(test_attention_step_pairs_equal_heads_alone) {
    df_rng r;
    df_rng_seed(&r, 15);
    const int shapes[][2] = {{64, 2}, {96, 3}, {128, 4}, {128, 2}}; /* C, NH */
    int checked = 0;
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
        int C = shapes[sh][0], NH = shapes[sh][1], hs = C / NH, T = 192;
        float *k = rand_vec(&r, (size_t)T * C, 2.0f), *v = rand_vec(&r, (size_t)T * C, 1.0f);
        float *q = rand_vec(&r, (size_t)C, 2.0f);
        float *kb = zeros((size_t)T * C), *kh = zeros((size_t)T * hs), *vh = zeros((size_t)T * hs);
        for (int t = 0; t < T; t++) df_attention_key_store(kb, t, k + (size_t)t * C, C);
        float out[128], one[64];
        for (int ctx = 1; ctx <= T; ctx++) {
            df_attention_step(out, q, kb, v, ctx, C, NH);
            for (int h = 0; h < NH; h++) {
                for (int t = 0; t < ctx; t++) {
                    df_attention_key_store(kh, t, k + (size_t)t * C + (size_t)h * hs, hs);
                    memcpy(vh + (size_t)t * hs, v + (size_t)t * C + (size_t)h * hs, (size_t)hs * sizeof *vh);
                }
                df_attention_step(one, q + (size_t)h * hs, kh, vh, ctx, hs, 1);
                ck_assert_msg(memcmp(one, out + (size_t)h * hs, (size_t)hs * sizeof *one) == 0,
                              "C %d NH %d ctx %d: head %d differs from the head alone", C, NH, ctx, h);
                checked++;
            }
        }
        free(k);
        free(v);
        free(q);
        free(kb);
        free(kh);
        free(vh);
    }
    printf("  attention step: %d heads (paired and odd) equal to the head alone bit for bit\n", checked);
}
END_TEST

START_TEST(test_layernorm_infer_vs_forward) {
    df_rng r;
    df_rng_seed(&r, 12);
    const int Cs[] = {64, 16, 12};
    for (size_t k = 0; k < 3; k++) {
        int N = 5, C = Cs[k];
        float *x = rand_vec(&r, (size_t)N * C, 3.0f), *w = rand_vec(&r, (size_t)C, 1.0f),
              *b = rand_vec(&r, (size_t)C, 1.0f);
        float *o1 = zeros((size_t)N * C), *o2 = zeros((size_t)N * C);
        for (int i = 0; i < C; i++) x[i] += 100.0f; /* a row with a large mean */
        df_layernorm_forward(o1, NULL, NULL, x, w, b, N, C);
        df_layernorm_infer(o2, x, w, b, N, C);
        for (int i = 0; i < N * C; i++)
            ck_assert_msg(fabs(o1[i] - o2[i]) <= 1e-5, "C %d [%d]: %g vs %g", C, i, o1[i], o2[i]);
        df_layernorm_infer(x, x, w, b, N, C); /* in place */
        ck_assert(memcmp(x, o2, (size_t)N * C * sizeof *x) == 0);
        free(x);
        free(w);
        free(b);
        free(o1);
        free(o2);
    }
}
END_TEST

/* GELU: the vector kernel is bit for bit the training one (every length 0..40 for the tail), and
 * both are within GELU_EXACT_TOL of the exact tanh form computed in double */
#define GELU_EXACT_TOL 1e-6 /* max |gelu - exact| over [-12, 12], absolute (|gelu'| <= 1.13) */
START_TEST(test_gelu_infer) {
    enum { N = 24001 };
    float *x = malloc(N * sizeof *x), *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b),
          *c = malloc(N * sizeof *c);
    ck_assert(x && a && b && c);
    for (int i = 0; i < N; i++) x[i] = -12.0f + 24.0f * i / (N - 1);
    df_gelu_forward(a, x, N);
    df_gelu_infer(b, x, N);
    df_gelu_exact(c, x, N);
    double worst = 0.0;
    for (int i = 0; i < N; i++) {
        ck_assert_msg(memcmp(&a[i], &b[i], sizeof a[i]) == 0, "gelu_infer(%g) = %.9g, gelu_forward %.9g", x[i], b[i],
                      a[i]);
        worst = fmax(worst, fabs((double)b[i] - c[i]));
    }
    printf("  gelu (Cephes exp, sigmoid form) vs exact tanh form in double: max abs error %.2e over [-12, 12]\n",
           worst);
    ck_assert_msg(worst <= GELU_EXACT_TOL, "gelu error %.3e", worst);
    for (int n = 0; n <= 40; n++) {
        df_gelu_forward(a, x + 3000, n);
        df_gelu_infer(b, x + 3000, n);
        ck_assert(n == 0 || memcmp(a, b, (size_t)n * sizeof *a) == 0);
    }
    float r1[33], r2[33];
    df_residual_infer(r1, x, x + 100, 33);
    for (int i = 0; i < 33; i++) r2[i] = x[i] + x[100 + i];
    ck_assert(memcmp(r1, r2, sizeof r1) == 0);
    free(x);
    free(a);
    free(b);
    free(c);
}
END_TEST

static Suite *nn_suite(void) {
    Suite *s = suite_create("nn");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_linear_grad);
    tcase_add_test(tc, test_linear_cblas_vs_naive);
    tcase_add_test(tc, test_linear_packed_vs_naive);
    tcase_add_test(tc, test_linear_f16_bound);
    tcase_add_test(tc, test_f16_conversion);
    tcase_add_test(tc, test_layernorm_grad);
    tcase_add_test(tc, test_gelu_grad);
    tcase_add_test(tc, test_residual_grad);
    tcase_add_test(tc, test_attention_grad);
    tcase_add_test(tc, test_attention_reference);
    tcase_add_test(tc, test_xent_grad);
    tcase_add_test(tc, test_adamw_hand_computed);
    tcase_add_test(tc, test_vexp);
    tcase_add_test(tc, test_grad_clip);
    tcase_add_test(tc, test_attention_step_vs_naive);
    tcase_add_test(tc, test_attention_step_pairs_equal_heads_alone);
    tcase_add_test(tc, test_layernorm_infer_vs_forward);
    tcase_add_test(tc, test_gelu_infer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(nn_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
