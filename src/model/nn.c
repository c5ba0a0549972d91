/* nn.c - the transformer's kernels: linear (cblas sgemm/sgemv plus a naive twin), layernorm, GELU,
 * residual, causal multi-head attention, masked softmax cross-entropy, AdamW and gradient clipping.
 *
 * Written after karpathy/llm.c train_gpt2.c: free functions on raw float arrays, a shape comment on
 * each, forward writes, backward accumulates. Differences from llm.c: weights are [IN, OUT] so the
 * inference product is a no-transpose sgemm, attention uses sgemm per (batch, head) instead of scalar
 * loops, and the cross-entropy takes an action mask. Glossary in nn.h. */
#include "dnnfuser/nn.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* vector exp */

/* 4-wide vector types (GCC/Clang vector extensions): SSE on any x86-64, NEON on arm64. The build's
 * -O2 does not auto-vectorise loops of unknown trip count, and glibc's scalar expf costs about 3.5 ns. */
typedef float v4sf __attribute__((vector_size(16)));
typedef int32_t v4si __attribute__((vector_size(16)));

/* exp of 4 floats, Cephes expf (S. L. Moshier, Cephes Math Library, expf.c): x = n ln2 + r with
 * |r| <= ln2/2, ln2 split in two for the reduction, degree-5 polynomial for exp(r), 2^n put in the
 * exponent bits. Inputs are clamped to [-88.376, 88.376]: below, the result is 0; above, it saturates
 * at about 2.4e38. */
/* lanes of a where mask (all ones) is set, else of b */
static inline v4sf select4(v4si mask, v4sf a, v4sf b) {
    v4si ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    v4si r = (mask & ia) | (~mask & ib);
    v4sf out;
    memcpy(&out, &r, sizeof out);
    return out;
}

static inline v4sf exp4(v4sf x) {
    const v4sf one = {1.0f, 1.0f, 1.0f, 1.0f}, half = {0.5f, 0.5f, 0.5f, 0.5f};
    const float hi = 88.3762626647949f, lo = -88.3762626647949f;
    v4sf vhi = {hi, hi, hi, hi}, vlo = {lo, lo, lo, lo};
    x = select4(x < vhi, x, vhi); // NaN becomes hi
    x = select4(x > vlo, x, vlo);
    v4sf fx = x * 1.44269504088896341f + half;
    v4si n = __builtin_convertvector(fx, v4si); // truncation; make it floor
    v4sf fn = __builtin_convertvector(n, v4sf);
    n += (fn > fx); // true lanes are -1
    fn = __builtin_convertvector(n, v4sf);
    x -= fn * 0.693359375f;
    x -= fn * -2.12194440e-4f;
    v4sf z = x * x;
    v4sf y = x * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + one;
    v4si bits = (n + 127) << 23; // 2^n; n is in [-127, 127] after the clamp, -127 gives 0
    v4sf scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

void df_vexp(float *y, const float *x, int n) {
    // y (n) = exp(x (n)); y may alias x
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v4sf v;
        memcpy(&v, x + i, sizeof v);
        v = exp4(v);
        memcpy(y + i, &v, sizeof v);
    }
    if (i < n) { // tail through the same polynomial, so results never depend on alignment or length
        float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        memcpy(buf, x + i, (size_t)(n - i) * sizeof(float));
        v4sf v;
        memcpy(&v, buf, sizeof v);
        v = exp4(v);
        memcpy(buf, &v, sizeof v);
        memcpy(y + i, buf, (size_t)(n - i) * sizeof(float));
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* linear */

int df_blas_small_kernel(void) {
    const char *core = openblas_get_corename();
    return core && (!strcmp(core, "SkylakeX") || !strcmp(core, "Cooperlake") || !strcmp(core, "SapphireRapids") ||
                    !strcmp(core, "skylakex") || !strcmp(core, "cooperlake") || !strcmp(core, "sapphirerapids"));
}

void df_linear_forward(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT) {
    df_linear_forward_ex(out, inp, w, b, N, IN, OUT, 0);
}

void df_linear_forward_ex(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT,
                          int m1_sgemm) {
    // out is (N,OUT), inp is (N,IN), w is (IN,OUT) row-major, b is (OUT) or NULL
    if (N <= 0 || OUT <= 0) return;
    if (IN <= 0) { // empty product: out = b
        for (int n = 0; n < N; n++) {
            float *o = out + (size_t)n * OUT;
            if (b)
                memcpy(o, b, (size_t)OUT * sizeof *o);
            else
                memset(o, 0, (size_t)OUT * sizeof *o);
        }
        return;
    }
    float beta = 0.0f;
    if (b) {
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OUT, b, (size_t)OUT * sizeof *out);
        beta = 1.0f;
    }
    if (N == 1 && !m1_sgemm) {
        // one row: y (OUT) = w^T (OUT,IN) . x (IN); sgemv beats sgemm's M=1 path on AVX2-only kernels
        cblas_sgemv(CblasRowMajor, CblasTrans, IN, OUT, 1.0f, w, OUT, inp, 1, beta, out, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, OUT, IN, 1.0f, inp, IN, w, OUT, beta, out, OUT);
    }
}

/* IEEE 754-2008 binary16 (1 sign, 5 exponent bits biased by 15, 10 fraction bits) in plain C, so the
 * trainer and the losslessness check run on any CPU. Round to nearest, ties to even, as vcvtps2ph with
 * _MM_FROUND_TO_NEAREST_INT (Intel SDM vol. 2, VCVTPS2PH; check_nn compares both on every class of
 * input): results below half the smallest subnormal (2^-25) go to zero, from 65520 up to infinity,
 * NaNs stay quiet NaNs with the top fraction bits. */
uint16_t df_f16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN, quiet */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);                       /* >= 65520: inf */
    if (a >= 0x38800000u) { /* >= 2^-14: a normal binary16; round at fraction bit 13 */
        uint32_t r = a + 0xfffu + ((a >> 13) & 1u);
        return (uint16_t)(sign | ((r - 0x38000000u) >> 13)); /* exponent re-biased 127 -> 15 */
    }
    if (a < 0x33000000u) return sign; /* below 2^-25 (2^-25 itself ties to the even zero below) */
    /* subnormal binary16, units of 2^-24: x = m 2^(e-150), so x / 2^-24 = m >> (126 - e) */
    const uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u, sh = 126u - e; /* 14 <= sh <= 24 */
    uint32_t q = m >> sh, rem = m & ((1u << sh) - 1u), halfway = 1u << (sh - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u))) q++; /* q = 0x400: the smallest normal, still right */
    return (uint16_t)(sign | q);
}

float df_f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    if (e == 0x1f)
        u = sign | 0x7f800000u | (m << 13); /* inf, NaN */
    else if (e)
        u = sign | ((e + 112u) << 23) | (m << 13);
    else if (!m)
        u = sign;
    else { /* subnormal m 2^-24: normalise */
        e = 113;
        while (!(m & 0x400u)) m <<= 1, e--;
        u = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* 1 when the float with bits u is a binary16 value: the round trip df_f16_to_float(df_f16_from_float)
 * gives it back bit for bit (check_nn compares the two definitions), tested on the bits directly */
static inline int f16_exact_bits(uint32_t u) {
    const uint32_t a = u & 0x7fffffffu;
    if (a >= 0x38800000u && a <= 0x477fe000u) return (a & 0x1fffu) == 0; /* normal: 10 fraction bits */
    if (a == 0 || a == 0x7f800000u) return 1;                            /* zeros, infinities */
    if (a > 0x7f800000u) return (a & 0x400000u) && !(a & 0x1fffu);       /* quiet NaN, top payload bits */
    if (a < 0x33800000u || a > 0x477fe000u) return 0;                    /* below 2^-24, or above 65504 */
    const uint32_t sh = 126u - (a >> 23);                                /* subnormal binary16: a multiple of 2^-24 */
    return (a & ((1u << sh) - 1u)) == 0;
}

int df_f16_exact(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return f16_exact_bits(u);
}

int df_f16_exact_all(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        if (!f16_exact_bits(u)) return 0;
    }
    return 1;
}

/* packed products: panels of 64 columns (4 vectors), then of 16, each contiguous over IN */
size_t df_linear_pack_floats(int IN, int OUT) { return (size_t)IN * (size_t)(OUT / 16 * 16); }

void df_linear_pack(float *wp, const float *w, int IN, int OUT) {
    // wp (df_linear_pack_floats) <- w (IN,OUT)
    int c = 0;
    for (; c + 64 <= OUT; c += 64)
        for (int i = 0; i < IN; i++, wp += 64) memcpy(wp, w + (size_t)i * OUT + c, 64 * sizeof *wp);
    for (; c + 16 <= OUT; c += 16)
        for (int i = 0; i < IN; i++, wp += 16) memcpy(wp, w + (size_t)i * OUT + c, 16 * sizeof *wp);
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define DF_AVX512 __attribute__((target("avx512f")))

int df_linear_packed_ok(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0; /* the builtin returns a feature bit, not 1 */
}

/* out rows n..n+3 (or row n), columns c..c+63 = bias + the IN products with panel p (IN, 64), in order;
 * named accumulators (arrays of vectors stay in memory at -O2) */
#define FMA4(x, a0, a1, a2, a3)            \
    do {                                   \
        __m512 xv_ = _mm512_set1_ps(x);    \
        a0 = _mm512_fmadd_ps(xv_, w0, a0); \
        a1 = _mm512_fmadd_ps(xv_, w1, a1); \
        a2 = _mm512_fmadd_ps(xv_, w2, a2); \
        a3 = _mm512_fmadd_ps(xv_, w3, a3); \
    } while (0)
#define STORE4(o, a0, a1, a2, a3)       \
    do {                                \
        _mm512_storeu_ps((o), a0);      \
        _mm512_storeu_ps((o) + 16, a1); \
        _mm512_storeu_ps((o) + 32, a2); \
        _mm512_storeu_ps((o) + 48, a3); \
    } while (0)

/* 16 weights of a panel row, element i of p: floats, or (f16) binary16 converted exactly. Callers pass
 * f16 as a constant: inlined, the branch folds away. */
static inline __attribute__((always_inline)) DF_AVX512 __m512 wload(const void *p, size_t i, int f16) {
    return f16 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i)))
               : _mm512_loadu_ps((const float *)p + i);
}

static inline __attribute__((always_inline)) DF_AVX512 void panel64_rows4(float *out, const float *inp, const void *p,
                                                                          int f16, const float *b, int IN, int OUT) {
    // out (4, OUT) at the panel's columns, inp (4, IN), p (IN, 64) float or binary16 (f16), b (64) or NULL
    __m512 b0 = b ? _mm512_loadu_ps(b) : _mm512_setzero_ps(), b1 = b ? _mm512_loadu_ps(b + 16) : b0;
    __m512 b2 = b ? _mm512_loadu_ps(b + 32) : b0, b3 = b ? _mm512_loadu_ps(b + 48) : b0;
    __m512 a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
    __m512 a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
    const float *x0 = inp, *x1 = x0 + IN, *x2 = x1 + IN, *x3 = x2 + IN;
    for (int i = 0; i < IN; i++) {
        size_t pi = (size_t)i * 64;
        __m512 w0 = wload(p, pi, f16), w1 = wload(p, pi + 16, f16), w2 = wload(p, pi + 32, f16),
               w3 = wload(p, pi + 48, f16);
        FMA4(x0[i], a00, a01, a02, a03);
        FMA4(x1[i], a10, a11, a12, a13);
        FMA4(x2[i], a20, a21, a22, a23);
        FMA4(x3[i], a30, a31, a32, a33);
    }
    STORE4(out, a00, a01, a02, a03);
    STORE4(out + OUT, a10, a11, a12, a13);
    STORE4(out + 2 * (size_t)OUT, a20, a21, a22, a23);
    STORE4(out + 3 * (size_t)OUT, a30, a31, a32, a33);
}

static inline __attribute__((always_inline)) DF_AVX512 void panel64_row1(float *out, const float *x, const void *p,
                                                                         int f16, const float *b, int IN) {
    // out (64) at the panel's columns, x (IN), p (IN, 64) float or binary16 (f16), b (64) or NULL
    __m512 a0 = b ? _mm512_loadu_ps(b) : _mm512_setzero_ps(), a1 = b ? _mm512_loadu_ps(b + 16) : a0;
    __m512 a2 = b ? _mm512_loadu_ps(b + 32) : a0, a3 = b ? _mm512_loadu_ps(b + 48) : a0;
    for (int i = 0; i < IN; i++) {
        size_t pi = (size_t)i * 64;
        __m512 w0 = wload(p, pi, f16), w1 = wload(p, pi + 16, f16), w2 = wload(p, pi + 32, f16),
               w3 = wload(p, pi + 48, f16);
        FMA4(x[i], a0, a1, a2, a3);
    }
    STORE4(out, a0, a1, a2, a3);
}

DF_AVX512 void df_linear_infer(float *out, const float *inp, const float *wp, const float *w, const float *b, int N,
                               int IN, int OUT) {
    // out (N,OUT) = inp (N,IN) . w (IN,OUT) + b (OUT); wp = df_linear_pack(w)
    int c = 0;
    const float *p = wp;
    for (; c + 64 <= OUT; c += 64, p += (size_t)IN * 64) {
        const float *bc = b ? b + c : NULL;
        int n = 0;
        for (; n + 4 <= N; n += 4) panel64_rows4(out + (size_t)n * OUT + c, inp + (size_t)n * IN, p, 0, bc, IN, OUT);
        for (; n < N; n++) panel64_row1(out + (size_t)n * OUT + c, inp + (size_t)n * IN, p, 0, bc, IN);
    }
    for (; c + 16 <= OUT; c += 16, p += (size_t)IN * 16) {
        for (int n = 0; n < N; n++) {
            __m512 acc = b ? _mm512_loadu_ps(b + c) : _mm512_setzero_ps();
            const float *x = inp + (size_t)n * IN;
            for (int i = 0; i < IN; i++)
                acc = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), _mm512_loadu_ps(p + (size_t)i * 16), acc);
            _mm512_storeu_ps(out + (size_t)n * OUT + c, acc);
        }
    }
    for (; c < OUT; c++) // the last OUT % 16 columns, from w
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * IN;
            float acc = b ? b[c] : 0.0f;
            for (int i = 0; i < IN; i++) acc = __builtin_fmaf(x[i], w[(size_t)i * OUT + c], acc);
            out[(size_t)n * OUT + c] = acc;
        }
}

/* fp16 panels: the same layout as df_linear_pack with each weight rounded to IEEE binary16 (round to
 * nearest even, _mm512_cvtps_ph), converted back on load with vcvtph2ps (exact: every binary16 is a
 * float) and accumulated in float as df_linear_infer. Half the bytes a step reads. */
DF_AVX512 void df_linear_pack_f16(uint16_t *wp, const float *w, int IN, int OUT) {
    // wp (df_linear_pack_floats halves) <- w (IN,OUT) rounded to binary16
    int c = 0;
    for (; c + 64 <= OUT; c += 64)
        for (int i = 0; i < IN; i++, wp += 64)
            for (int k = 0; k < 64; k += 16)
                _mm256_storeu_si256((__m256i *)(wp + k),
                                    _mm512_cvtps_ph(_mm512_loadu_ps(w + (size_t)i * OUT + c + k),
                                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; c + 16 <= OUT; c += 16)
        for (int i = 0; i < IN; i++, wp += 16)
            _mm256_storeu_si256((__m256i *)wp, _mm512_cvtps_ph(_mm512_loadu_ps(w + (size_t)i * OUT + c),
                                                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

#define H16(q) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(q)))

static inline __attribute__((always_inline)) DF_AVX512 void panel64h_row1x2(float *out, const float *x,
                                                                            const uint16_t *p, const float *b, int IN) {
    // out (128) at two panels' columns, x (IN), p two panels (IN, 64) one after the other, b (128) or NULL:
    // panel64_row1 (f16) on both, their 8 chains in one loop (a one-row product is bound by the FMA latency
    // of 4 chains once its weights are half the bytes)
    const uint16_t *q = p + (size_t)IN * 64;
    __m512 a0 = b ? _mm512_loadu_ps(b) : _mm512_setzero_ps(), a1 = b ? _mm512_loadu_ps(b + 16) : a0;
    __m512 a2 = b ? _mm512_loadu_ps(b + 32) : a0, a3 = b ? _mm512_loadu_ps(b + 48) : a0;
    __m512 c0 = b ? _mm512_loadu_ps(b + 64) : a0, c1 = b ? _mm512_loadu_ps(b + 80) : a0;
    __m512 c2 = b ? _mm512_loadu_ps(b + 96) : a0, c3 = b ? _mm512_loadu_ps(b + 112) : a0;
    for (int i = 0; i < IN; i++) {
        const uint16_t *pi = p + (size_t)i * 64, *qi = q + (size_t)i * 64;
        __m512 w0 = H16(pi), w1 = H16(pi + 16), w2 = H16(pi + 32), w3 = H16(pi + 48);
        FMA4(x[i], a0, a1, a2, a3);
        w0 = H16(qi), w1 = H16(qi + 16), w2 = H16(qi + 32), w3 = H16(qi + 48);
        FMA4(x[i], c0, c1, c2, c3);
    }
    STORE4(out, a0, a1, a2, a3);
    STORE4(out + 64, c0, c1, c2, c3);
}

DF_AVX512 void df_linear_infer_f16(float *out, const float *inp, const uint16_t *wp, const float *w, const float *b,
                                   int N, int IN, int OUT) {
    // out (N,OUT) = inp (N,IN) . w16 (IN,OUT) + b (OUT); wp = df_linear_pack_f16(w); last OUT % 16 columns from w
    int c = 0;
    const uint16_t *p = wp;
    const int N4 = N / 4 * 4;
    for (; c + 64 <= OUT; c += 64, p += (size_t)IN * 64) { // rows in fours, panel by panel
        const float *bc = b ? b + c : NULL;
        for (int n = 0; n < N4; n += 4)
            panel64_rows4(out + (size_t)n * OUT + c, inp + (size_t)n * IN, p, 1, bc, IN, OUT);
    }
    if (N4 < N) { // the last N % 4 rows, panels in pairs
        int c2 = 0;
        const uint16_t *p2 = wp;
        for (; c2 + 128 <= OUT; c2 += 128, p2 += (size_t)IN * 128)
            for (int n = N4; n < N; n++)
                panel64h_row1x2(out + (size_t)n * OUT + c2, inp + (size_t)n * IN, p2, b ? b + c2 : NULL, IN);
        for (; c2 + 64 <= OUT; c2 += 64, p2 += (size_t)IN * 64)
            for (int n = N4; n < N; n++)
                panel64_row1(out + (size_t)n * OUT + c2, inp + (size_t)n * IN, p2, 1, b ? b + c2 : NULL, IN);
    }
    for (; c + 16 <= OUT; c += 16, p += (size_t)IN * 16) {
        for (int n = 0; n < N; n++) {
            __m512 acc = b ? _mm512_loadu_ps(b + c) : _mm512_setzero_ps();
            const float *x = inp + (size_t)n * IN;
            for (int i = 0; i < IN; i++) acc = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), H16(p + (size_t)i * 16), acc);
            _mm512_storeu_ps(out + (size_t)n * OUT + c, acc);
        }
    }
    for (; c < OUT; c++) // the last OUT % 16 columns, from w (float)
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * IN;
            float acc = b ? b[c] : 0.0f;
            for (int i = 0; i < IN; i++) acc = __builtin_fmaf(x[i], w[(size_t)i * OUT + c], acc);
            out[(size_t)n * OUT + c] = acc;
        }
}
#undef H16
#else
int df_linear_packed_ok(void) { return 0; }
void df_linear_infer(float *out, const float *inp, const float *wp, const float *w, const float *b, int N, int IN,
                     int OUT) {
    (void)wp;
    df_linear_forward(out, inp, w, b, N, IN, OUT);
}
void df_linear_pack_f16(uint16_t *wp, const float *w, int IN, int OUT) { (void)wp, (void)w, (void)IN, (void)OUT; }
void df_linear_infer_f16(float *out, const float *inp, const uint16_t *wp, const float *w, const float *b, int N,
                         int IN, int OUT) {
    (void)wp;
    df_linear_forward(out, inp, w, b, N, IN, OUT);
}
#endif

void df_linear_forward_naive(float *out, const float *inp, const float *w, const float *b, int N, int IN, int OUT) {
    // out is (N,OUT), inp is (N,IN), w is (IN,OUT), b is (OUT) or NULL
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * IN;
        for (int o = 0; o < OUT; o++) {
            float val = b ? b[o] : 0.0f;
            for (int i = 0; i < IN; i++) val += x[i] * w[(size_t)i * OUT + o];
            out[(size_t)n * OUT + o] = val;
        }
    }
}

void df_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int N,
                        int IN, int OUT) {
    // dinp (N,IN) += dout (N,OUT) . w^T (OUT,IN)
    // dw (IN,OUT) += inp^T (IN,N) . dout (N,OUT)
    // db (OUT) += sum_n dout[n]
    if (N <= 0 || IN <= 0 || OUT <= 0) return;
    if (dinp) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, IN, OUT, 1.0f, dout, OUT, w, OUT, 1.0f, dinp, IN);
    if (dw) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, IN, OUT, N, 1.0f, inp, IN, dout, OUT, 1.0f, dw, OUT);
    if (db) {
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * OUT;
            for (int o = 0; o < OUT; o++) db[o] += d[o];
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* layernorm */

void df_layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w, const float *b, int N,
                          int C) {
    // out (N,C), mean (N), rstd (N), inp (N,C), w (C), b (C); mean/rstd may be NULL
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float m = 0.0f;
        for (int i = 0; i < C; i++) m += x[i];
        m /= C;
        float v = 0.0f;
        for (int i = 0; i < C; i++) {
            float xs = x[i] - m;
            v += xs * xs;
        }
        v /= C;
        float s = 1.0f / sqrtf(v + DF_LN_EPS);
        float *o = out + (size_t)n * C;
        for (int i = 0; i < C; i++) o[i] = (x[i] - m) * s * w[i] + b[i];
        if (mean) mean[n] = m;
        if (rstd) rstd[n] = s;
    }
}

void df_layernorm_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const float *mean, const float *rstd, int N, int C) {
    // dinp (N,C) +=, dw (C) +=, db (C) +=; dout (N,C), inp (N,C), w (C), mean (N), rstd (N)
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C;
        const float *x = inp + (size_t)n * C;
        float *dx = dinp + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        // two reductions: mean of dnorm and mean of dnorm * norm
        float dnorm_mean = 0.0f, dnorm_norm_mean = 0.0f;
        for (int i = 0; i < C; i++) {
            float norm = (x[i] - m) * s;
            float dnorm = w[i] * d[i];
            dnorm_mean += dnorm;
            dnorm_norm_mean += dnorm * norm;
        }
        dnorm_mean /= C;
        dnorm_norm_mean /= C;
        for (int i = 0; i < C; i++) {
            float norm = (x[i] - m) * s;
            float dnorm = w[i] * d[i];
            db[i] += d[i];
            dw[i] += norm * d[i];
            dx[i] += (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* GELU (tanh approximation) */

#define GELU_SCALE 0.7978845608028654f /* sqrt(2/pi) */

/* 0.5 (1 + tanh u) = sigmoid(2u) = 1 / (1 + exp(-2u)): one vector exp instead of tanhf (8 ns each in
 * glibc here) and no cancellation; far in the negative tail the saturated exp gives a gate of ~4e-39.
 * Done in blocks of GELU_BLOCK so the exponentials go through df_vexp. */
#define GELU_BLOCK 64

static inline float gelu_arg(float x) { return -2.0f * GELU_SCALE * (x + 0.044715f * x * x * x); }

void df_gelu_forward(float *out, const float *inp, int n) {
    // out (n), inp (n)
    float e[GELU_BLOCK];
    for (int i0 = 0; i0 < n; i0 += GELU_BLOCK) {
        int m = n - i0 < GELU_BLOCK ? n - i0 : GELU_BLOCK;
        for (int k = 0; k < m; k++) e[k] = gelu_arg(inp[i0 + k]);
        df_vexp(e, e, m);
        for (int k = 0; k < m; k++) out[i0 + k] = inp[i0 + k] / (1.0f + e[k]);
    }
}

void df_gelu_backward(float *dinp, const float *inp, const float *dout, int n) {
    // dinp (n) +=, inp (n), dout (n)
    // with s = 0.5 (1 + tanh u): d/dx = s + 0.5 x sech^2(u) u'(x), and sech^2 = 1 - tanh^2 = 4 s (1 - s)
    float e[GELU_BLOCK];
    for (int i0 = 0; i0 < n; i0 += GELU_BLOCK) {
        int m = n - i0 < GELU_BLOCK ? n - i0 : GELU_BLOCK;
        for (int k = 0; k < m; k++) e[k] = gelu_arg(inp[i0 + k]);
        df_vexp(e, e, m);
        for (int k = 0; k < m; k++) {
            float x = inp[i0 + k];
            float s = 1.0f / (1.0f + e[k]);
            float grad = s + 2.0f * x * s * (1.0f - s) * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
            dinp[i0 + k] += grad * dout[i0 + k];
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* residual */

void df_residual_forward(float *out, const float *a, const float *b, int n) {
    // out (n) = a (n) + b (n)
    for (int i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void df_residual_backward(float *da, float *db, const float *dout, int n) {
    // da (n) +=, db (n) +=, dout (n)
    for (int i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* causal multi-head self-attention */

void df_attention_forward(float *out, float *att, const float *qkv, int B, int T, int C, int NH) {
    // out (B,T,C), att (B,NH,T,T), qkv (B,T,3C) = [q | k | v] per position
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    size_t C3 = (size_t)C * 3;
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs; // (T,hs), row stride 3C
            const float *k = q + C;
            const float *v = q + 2 * (size_t)C;
            float *a = att + ((size_t)b * NH + h) * T * T; // (T,T)
            // a = scale * q . k^T (the upper triangle is computed and then discarded)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, scale, q, (int)C3, k, (int)C3, 0.0f, a, T);
            for (int t = 0; t < T; t++) { // causal softmax of row t over columns 0..t
                float *row = a + (size_t)t * T;
                float maxv = row[0];
                for (int t2 = 1; t2 <= t; t2++)
                    if (row[t2] > maxv) maxv = row[t2];
                for (int t2 = 0; t2 <= t; t2++) row[t2] -= maxv;
                df_vexp(row, row, t + 1);
                float sum = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) sum += row[t2];
                float inv = 1.0f / sum;
                for (int t2 = 0; t2 <= t; t2++) row[t2] *= inv;
                for (int t2 = t + 1; t2 < T; t2++) row[t2] = 0.0f;
            }
            // out_h (T,hs) = a (T,T) . v (T,hs), written with row stride C
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, v, (int)C3, 0.0f,
                        out + (size_t)b * T * C + (size_t)h * hs, C);
        }
    }
}

void df_attention_backward(float *dqkv, float *scratch, const float *dout, const float *qkv, const float *att, int B,
                           int T, int C, int NH) {
    // dqkv (B,T,3C) +=, scratch (T,T), dout (B,T,C), qkv (B,T,3C), att (B,NH,T,T)
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    size_t C3 = (size_t)C * 3;
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs;
            const float *k = q + C;
            const float *v = q + 2 * (size_t)C;
            float *dq = dqkv + (size_t)b * T * C3 + (size_t)h * hs;
            float *dk = dq + C;
            float *dv = dq + 2 * (size_t)C;
            const float *a = att + ((size_t)b * NH + h) * T * T;
            const float *dout_h = dout + (size_t)b * T * C + (size_t)h * hs; // (T,hs), row stride C
            float *da = scratch;                                             // (T,T)
            // da = dout_h . v^T ;  dv += a^T . dout_h
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, hs, 1.0f, dout_h, C, v, (int)C3, 0.0f, da, T);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, a, T, dout_h, C, 1.0f, dv, (int)C3);
            // softmax backward in place: dpre[t2] = a[t2] (da[t2] - sum_t3 a[t3] da[t3]), times the q.k scale
            for (int t = 0; t < T; t++) {
                const float *arow = a + (size_t)t * T;
                float *drow = da + (size_t)t * T;
                float dot = 0.0f;
                for (int t2 = 0; t2 <= t; t2++) dot += arow[t2] * drow[t2];
                for (int t2 = 0; t2 <= t; t2++) drow[t2] = arow[t2] * (drow[t2] - dot) * scale;
                for (int t2 = t + 1; t2 < T; t2++) drow[t2] = 0.0f;
            }
            // dq += dpre . k ;  dk += dpre^T . q
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, hs, T, 1.0f, da, T, k, (int)C3, 1.0f, dq,
                        (int)C3);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, hs, T, 1.0f, da, T, q, (int)C3, 1.0f, dk, (int)C3);
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* masked softmax cross-entropy */

float df_xent_forward(float *probs, float *losses, const float *logits, const int32_t *targets, const uint8_t *mask,
                      int N, int A, int *n_targets) {
    // probs (N,A), losses (N), logits (N,A), targets (N) (-1 = none), mask (N,A) or NULL
    double total = 0.0;
    int count = 0;
    for (int i = 0; i < N; i++) {
        const float *z = logits + (size_t)i * A;
        const uint8_t *mk = mask ? mask + (size_t)i * A : NULL;
        float *p = probs + (size_t)i * A;
        float maxv = -INFINITY;
        for (int a = 0; a < A; a++)
            if ((!mk || mk[a]) && z[a] > maxv) maxv = z[a];
        float sum = 0.0f;
        if (maxv == -INFINITY) { // nothing allowed: no distribution
            memset(p, 0, (size_t)A * sizeof *p);
        } else {
            for (int a = 0; a < A; a++) {
                p[a] = (!mk || mk[a]) ? expf(z[a] - maxv) : 0.0f;
                sum += p[a];
            }
            float inv = 1.0f / sum;
            for (int a = 0; a < A; a++) p[a] *= inv;
        }
        int32_t tg = targets ? targets[i] : -1;
        float li = 0.0f;
        if (tg >= 0) {
            // -log p[tg] = log(sum) - (z[tg] - maxv), without rounding p[tg] first
            if (tg < A && (!mk || mk[tg]) && maxv != -INFINITY)
                li = logf(sum) - (z[tg] - maxv);
            else
                li = INFINITY;
            total += li;
            count++;
        }
        if (losses) losses[i] = li;
    }
    if (n_targets) *n_targets = count;
    return count ? (float)(total / count) : 0.0f;
}

void df_xent_backward(float *dlogits, const float *probs, const int32_t *targets, int N, int A, int n_targets) {
    // dlogits (N,A) +=, probs (N,A), targets (N)
    if (n_targets <= 0) return;
    float inv = 1.0f / (float)n_targets;
    for (int i = 0; i < N; i++) {
        int32_t tg = targets[i];
        if (tg < 0 || tg >= A) continue;
        const float *p = probs + (size_t)i * A;
        float *d = dlogits + (size_t)i * A;
        for (int a = 0; a < A; a++) d[a] += (p[a] - (a == tg ? 1.0f : 0.0f)) * inv;
    }
}

double df_xent_rows_forward(float *probs, const float *logits, int ld, const int32_t *row, const int32_t *targets,
                            const uint8_t *mask, int n, int A, int *n_targets) {
    // probs (n,A), logits rows of stride ld (row[k] or k), targets (n) (-1 = none), mask (n,A) or NULL
    double total = 0.0;
    int count = 0;
    for (int k = 0; k < n; k++) {
        size_t r = row ? (size_t)row[k] : (size_t)k;
        float li;
        int c = 0;
        df_xent_forward(probs + (size_t)k * A, &li, logits + r * (size_t)ld, targets ? targets + k : NULL,
                        mask ? mask + (size_t)k * A : NULL, 1, A, &c);
        if (c) {
            total += li;
            count++;
        }
    }
    if (n_targets) *n_targets = count;
    return total;
}

void df_xent_rows_backward(float *dlogits, int ld, const int32_t *row, const float *probs, const int32_t *targets,
                           int n, int A, float scale) {
    // dlogits rows of stride ld (row[k] or k) +=, probs (n,A), targets (n)
    for (int k = 0; k < n; k++) {
        int32_t tg = targets[k];
        if (tg < 0 || tg >= A) continue;
        const float *p = probs + (size_t)k * A;
        float *d = dlogits + (row ? (size_t)row[k] : (size_t)k) * (size_t)ld;
        for (int a = 0; a < A; a++) d[a] += (p[a] - (a == tg ? 1.0f : 0.0f)) * scale;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* AdamW and clipping */

void df_adamw_update(float *params, const float *grads, float *m, float *v, size_t n, float lr, float beta1,
                     float beta2, float eps, float weight_decay, int64_t t) {
    // reference: https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html
    // params (n), grads (n), m (n), v (n); t is the 1-based step count
    float bc1 = (float)(1.0 - pow((double)beta1, (double)t));
    float bc2 = (float)(1.0 - pow((double)beta2, (double)t));
    for (size_t i = 0; i < n; i++) {
        float g = grads[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float mhat = mi / bc1;
        float vhat = vi / bc2;
        params[i] -= lr * (mhat / (sqrtf(vhat) + eps) + weight_decay * params[i]);
    }
}

double df_grad_norm(const float *g, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

float df_grad_clip(float *g, size_t n, double norm, float max_norm) {
    if (!(max_norm > 0.0f) || !(norm > max_norm)) return 1.0f;
    float s = (float)(max_norm / norm);
    for (size_t i = 0; i < n; i++) g[i] *= s;
    return s;
}

/* ---------------------------------------------------------------------------------------------- */
/* inference kernels: vectorised, compiled per ISA and dispatched at run time
 *
 * 16-float vectors (GCC vector extensions): one zmm register in the avx512f clone, two ymm in the
 * avx2 clone, four xmm in the baseline x86-64 one. target_clones makes gcc emit one body per ISA and
 * an ifunc resolver that picks the widest the CPU has at load time, so one binary runs on any
 * x86-64 (PLATFORM.md section 6: -march=native alone gave 1.23-1.39x). The build is ISO C11, so
 * gcc does not contract a * b + c into an FMA (-ffp-contract=off): every clone performs the same
 * float operations in the same order and gives bit-identical results. Clang (fuzz builds) and other
 * targets get the baseline body (so does -DDF_NO_CLONES, to test it on a wide machine), and so do
 * ThreadSanitizer builds: the ifunc resolvers run during relocation, before the TSan runtime is up,
 * and crashed there (measured with gcc 12). */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(DF_NO_CLONES) && \
    !defined(__SANITIZE_THREAD__)
#define DF_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DF_CLONES
#endif

#if defined(__clang__)
#define SHUF16(v, ...) __builtin_shufflevector(v, v, __VA_ARGS__)
#else
#define SHUF16(v, ...) __builtin_shuffle(v, (v16si){__VA_ARGS__})
#endif

/* the helpers below are always inlined, so no 64-byte vector ever crosses a call (no ABI question) */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v16sf __attribute__((vector_size(64)));
typedef int32_t v16si __attribute__((vector_size(64)));
#define V16 16

static inline __attribute__((always_inline)) v16sf load16(const float *p) {
    v16sf v;
    memcpy(&v, p, sizeof v);
    return v;
}
#define store16(p, v)                      \
    do {                                   \
        v16sf st16_ = (v);                 \
        memcpy((p), &st16_, sizeof st16_); \
    } while (0)
/* a in every lane (scalar-vector arithmetic broadcasts; a compound literal of 16 copies made gcc
 * insert lane by lane) */
static inline __attribute__((always_inline)) v16sf splat16(float a) { return (v16sf){0} + a; }
/* lanes of *a where mask (all ones) is set, else of *b (pointers: no 64-byte vector argument) */
static inline __attribute__((always_inline)) v16sf select16(const v16si *mask, const v16sf *a, const v16sf *b) {
    v16si ia, ib;
    memcpy(&ia, a, sizeof ia);
    memcpy(&ib, b, sizeof ib);
    v16si r = (*mask & ia) | (~*mask & ib);
    v16sf out;
    memcpy(&out, &r, sizeof out);
    return out;
}
/* sum and max of the 16 lanes as a tree of shuffles (a fixed order, so every clone gives the same
 * float; a scalar loop over the lanes stalls on store forwarding) */
#define H8 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7
#define H4 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11
#define H2 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13
#define H1 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14
static inline __attribute__((always_inline)) float hsum16(const v16sf *pv) {
    v16sf v = *pv;
    v += SHUF16(v, H8);
    v += SHUF16(v, H4);
    v += SHUF16(v, H2);
    v += SHUF16(v, H1);
    return v[0];
}
static inline __attribute__((always_inline)) v16sf vmax16(const v16sf *a, const v16sf *b) {
    v16si gt = *a > *b;
    return select16(&gt, a, b);
}
static inline __attribute__((always_inline)) float hmax16(const v16sf *pv) {
    v16sf v = *pv, w;
    w = SHUF16(v, H8);
    v = vmax16(&v, &w);
    w = SHUF16(v, H4);
    v = vmax16(&v, &w);
    w = SHUF16(v, H2);
    v = vmax16(&v, &w);
    w = SHUF16(v, H1);
    v = vmax16(&v, &w);
    return v[0];
}

/* exp4 (above) 16 lanes wide: the same operations in the same order, so lane for lane the same bits
 * as df_vexp (relative error below 3e-7 over [-87, 88], measured in check_nn) */
static inline __attribute__((always_inline)) v16sf exp16(const v16sf *px) {
    const v16sf vhi = splat16(88.3762626647949f), vlo = splat16(-88.3762626647949f);
    v16sf x = *px;
    v16si below = x < vhi;
    x = select16(&below, &x, &vhi); // NaN becomes hi
    v16si above = x > vlo;
    x = select16(&above, &x, &vlo);
    v16sf fx = x * 1.44269504088896341f + 0.5f;
    v16si n = __builtin_convertvector(fx, v16si);
    v16sf fn = __builtin_convertvector(n, v16sf);
    n += (fn > fx);
    fn = __builtin_convertvector(n, v16sf);
    x -= fn * 0.693359375f;
    x -= fn * -2.12194440e-4f;
    v16sf z = x * x;
    v16sf y = x * 1.9875691500e-4f + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    v16si bits = (n + 127) << 23;
    v16sf scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

DF_CLONES void df_layernorm_infer(float *out, const float *inp, const float *w, const float *b, int N, int C) {
    // out (N,C), inp (N,C), w (C), b (C); out may alias inp
    if (C % V16) {
        df_layernorm_forward(out, NULL, NULL, inp, w, b, N, C);
        return;
    }
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        v16sf acc = splat16(0.0f);
        for (int i = 0; i < C; i += V16) acc += load16(x + i);
        float m = hsum16(&acc) / C;
        v16sf vm = splat16(m);
        acc = splat16(0.0f);
        for (int i = 0; i < C; i += V16) {
            v16sf xs = load16(x + i) - vm;
            acc += xs * xs;
        }
        float s = 1.0f / sqrtf(hsum16(&acc) / C + DF_LN_EPS);
        v16sf vs = splat16(s);
        for (int i = 0; i < C; i += V16) store16(o + i, (load16(x + i) - vm) * vs * load16(w + i) + load16(b + i));
    }
}

DF_CLONES void df_gelu_infer(float *out, const float *inp, int n) {
    // out (n), inp (n); out may alias inp. Per element the operations of df_gelu_forward, 16 at a time.
    const float k = -2.0f * GELU_SCALE;
    int i = 0;
    for (; i + V16 <= n; i += V16) {
        v16sf x = load16(inp + i);
        v16sf arg = k * (x + 0.044715f * x * x * x);
        v16sf e = exp16(&arg);
        store16(out + i, x / (1.0f + e));
    }
    if (i < n) df_gelu_forward(out + i, inp + i, n - i);
}

DF_CLONES void df_residual_infer(float *out, const float *a, const float *b, int n) {
    // out (n) = a (n) + b (n); out may alias a or b
    int i = 0;
    for (; i + V16 <= n; i += V16) store16(out + i, load16(a + i) + load16(b + i));
    for (; i < n; i++) out[i] = a[i] + b[i];
}

void df_gelu_exact(float *out, const float *inp, int n) {
    // out (n), inp (n): the tanh form in double with libm tanh
    for (int i = 0; i < n; i++) {
        double x = inp[i];
        out[i] = (float)(0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))));
    }
}

void df_attention_key_store(float *kb, int t, const float *k, int C) {
    // kb: blocked key cache (ceil(T/16), C, 16); k (C) is position t's key
    float *blk = kb + (size_t)(t / DF_ATT_BLOCK) * C * DF_ATT_BLOCK + t % DF_ATT_BLOCK;
    for (int c = 0; c < C; c++) blk[(size_t)c * DF_ATT_BLOCK] = k[c];
}

#define ATT_TILE_BLOCKS 4 /* key blocks of 16 positions per tile (df_attention_step) */

/* The raw scores of the first nb key blocks of a tile (nb a constant at each call site: the blocks
 * past the tile are not computed at all), two chains per block over the head's channels (even, odd),
 * the blocks interleaved (2 nb independent chains) */
static inline __attribute__((always_inline)) void att_scores_nb(v16sf *sbs, const float *kt, const float *qh, int hs,
                                                                size_t bs, float scale, const int nb) {
    const float *k0 = kt, *k1 = kt + bs, *k2 = kt + 2 * bs, *k3 = kt + 3 * bs;
    v16sf s00 = splat16(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
    int i = 0;
    for (; i + 2 <= hs; i += 2) {
        const size_t o0 = (size_t)i * DF_ATT_BLOCK, o1 = o0 + DF_ATT_BLOCK;
        s00 += load16(k0 + o0) * qh[i];
        s01 += load16(k0 + o1) * qh[i + 1];
        if (nb > 1) {
            s10 += load16(k1 + o0) * qh[i];
            s11 += load16(k1 + o1) * qh[i + 1];
        }
        if (nb > 2) {
            s20 += load16(k2 + o0) * qh[i];
            s21 += load16(k2 + o1) * qh[i + 1];
        }
        if (nb > 3) {
            s30 += load16(k3 + o0) * qh[i];
            s31 += load16(k3 + o1) * qh[i + 1];
        }
    }
    if (i < hs) {
        const size_t o0 = (size_t)i * DF_ATT_BLOCK;
        s00 += load16(k0 + o0) * qh[i];
        if (nb > 1) s10 += load16(k1 + o0) * qh[i];
        if (nb > 2) s20 += load16(k2 + o0) * qh[i];
        if (nb > 3) s30 += load16(k3 + o0) * qh[i];
    }
    sbs[0] = (s00 + s01) * scale;
    if (nb > 1) sbs[1] = (s10 + s11) * scale;
    if (nb > 2) sbs[2] = (s20 + s21) * scale;
    if (nb > 3) sbs[3] = (s30 + s31) * scale;
}

/* The scores of one tile of head h (nt positions from t0, nblk key blocks) into sc[0..nblk-1], the
 * positions past the tile at -inf (positions past ctx hold unwritten memory); nothing past the tile's
 * blocks is read */
static inline __attribute__((always_inline)) void att_scores(v16sf *sc, const float *kb, const float *qh, int t0,
                                                             int nt, int nblk, int h, int hs, int C, float scale) {
    const v16sf lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const v16sf ninf = splat16(-INFINITY);
    const float *kt = kb + (size_t)(t0 / DF_ATT_BLOCK) * C * DF_ATT_BLOCK + (size_t)h * hs * DF_ATT_BLOCK;
    const size_t bs = (size_t)C * DF_ATT_BLOCK; // floats per key block
    v16sf sbs[ATT_TILE_BLOCKS];
    switch (nblk) {
    case 1: att_scores_nb(sbs, kt, qh, hs, bs, scale, 1); break;
    case 2: att_scores_nb(sbs, kt, qh, hs, bs, scale, 2); break;
    case 3: att_scores_nb(sbs, kt, qh, hs, bs, scale, 3); break;
    default: att_scores_nb(sbs, kt, qh, hs, bs, scale, 4); break;
    }
    for (int bb = 0; bb < nblk; bb++) {
        v16si valid = lane < splat16((float)(nt - bb * DF_ATT_BLOCK));
        sc[bb] = select16(&valid, &sbs[bb], &ninf);
    }
}

/* One tile's softmax step: the tile max, the new running max *mrun, the tile's exponentials pa and the
 * running sum *lrun rescaled; returns the factor the running output is rescaled by */
static inline __attribute__((always_inline)) float att_softmax(float *pa, const v16sf *sc, int nblk, float *mrun,
                                                               float *lrun) {
    v16sf mx = sc[0];
    for (int bb = 1; bb < nblk; bb++) mx = vmax16(&mx, &sc[bb]);
    float tm = hmax16(&mx);
    float mnew = tm > *mrun ? tm : *mrun;
    float corr = *mrun == -INFINITY ? 0.0f : expf(*mrun - mnew);
    v16sf psum = splat16(0.0f);
    for (int bb = 0; bb < nblk; bb++) {
        v16sf sm = sc[bb] - mnew;
        v16sf pb = exp16(&sm); // -inf clamps to -88.38, whose exp4 is exactly 0
        psum += pb;
        store16(pa + bb * DF_ATT_BLOCK, pb);
    }
    *lrun = *lrun * corr + hsum16(&psum);
    *mrun = mnew;
    return corr;
}

/* out_h += p . V_tile for any head size: 32 channels at a time with even and odd positions in separate
 * chains when hs % 32 == 0, 16 at a time when hs % 16 == 0, else scalar */
static inline __attribute__((always_inline)) void att_pv(float *oh, const float *vb, const float *pa, float corr,
                                                         int nt, int hs, int C) {
    if (hs % (2 * V16) == 0) {
        for (int c = 0; c < hs; c += 2 * V16) {
            v16sf a0 = load16(oh + c) * corr, a1 = load16(oh + c + V16) * corr;
            v16sf b0 = splat16(0.0f), b1 = b0;
            int j = 0;
            for (; j + 2 <= nt; j += 2) {
                const float *v0 = vb + (size_t)j * C + c, *v1 = v0 + C;
                a0 += load16(v0) * pa[j];
                a1 += load16(v0 + V16) * pa[j];
                b0 += load16(v1) * pa[j + 1];
                b1 += load16(v1 + V16) * pa[j + 1];
            }
            if (j < nt) {
                const float *v0 = vb + (size_t)j * C + c;
                a0 += load16(v0) * pa[j];
                a1 += load16(v0 + V16) * pa[j];
            }
            store16(oh + c, a0 + b0);
            store16(oh + c + V16, a1 + b1);
        }
    } else if (hs % V16 == 0) {
        for (int c = 0; c < hs; c += V16) {
            v16sf acc = load16(oh + c) * corr;
            for (int j = 0; j < nt; j++) acc += load16(vb + (size_t)j * C + c) * pa[j];
            store16(oh + c, acc);
        }
    } else {
        for (int c = 0; c < hs; c++) {
            float acc = oh[c] * corr;
            for (int j = 0; j < nt; j++) acc += pa[j] * vb[(size_t)j * C + c];
            oh[c] = acc;
        }
    }
}

/* att_pv (hs % 32 == 0) of two heads at once: head A at oa / va / pa, head B at ob / vb / pb; each head's
 * four chains are att_pv's, so each gets the same bits, and the eight chains hide each other's add
 * latency (a decode step's attention is bound by these chains, not by reading V) */
static inline __attribute__((always_inline)) void att_pv2(float *oa, float *ob, const float *va, const float *vb,
                                                          const float *pa, const float *pb, float ca, float cb, int nt,
                                                          int hs, int C) {
    for (int c = 0; c < hs; c += 2 * V16) {
        v16sf a0 = load16(oa + c) * ca, a1 = load16(oa + c + V16) * ca;
        v16sf e0 = load16(ob + c) * cb, e1 = load16(ob + c + V16) * cb;
        v16sf b0 = splat16(0.0f), b1 = b0, f0 = b0, f1 = b0;
        int j = 0;
        for (; j + 2 <= nt; j += 2) {
            const float *v0 = va + (size_t)j * C + c, *v1 = v0 + C;
            const float *w0 = vb + (size_t)j * C + c, *w1 = w0 + C;
            a0 += load16(v0) * pa[j];
            a1 += load16(v0 + V16) * pa[j];
            b0 += load16(v1) * pa[j + 1];
            b1 += load16(v1 + V16) * pa[j + 1];
            e0 += load16(w0) * pb[j];
            e1 += load16(w0 + V16) * pb[j];
            f0 += load16(w1) * pb[j + 1];
            f1 += load16(w1 + V16) * pb[j + 1];
        }
        if (j < nt) {
            const float *v0 = va + (size_t)j * C + c, *w0 = vb + (size_t)j * C + c;
            a0 += load16(v0) * pa[j];
            a1 += load16(v0 + V16) * pa[j];
            e0 += load16(w0) * pb[j];
            e1 += load16(w0 + V16) * pb[j];
        }
        store16(oa + c, a0 + b0);
        store16(oa + c + V16, a1 + b1);
        store16(ob + c, e0 + f0);
        store16(ob + c + V16, e1 + f1);
    }
}

static inline __attribute__((always_inline)) void att_normalise(float *oh, float lrun, int hs) {
    float inv = 1.0f / lrun;
    int c = 0;
    for (; c + V16 <= hs; c += V16) store16(oh + c, load16(oh + c) * inv);
    for (; c < hs; c++) oh[c] *= inv;
}

/* One head at a time over tiles of up to 64 positions (4 key blocks), online softmax across tiles
 * (Milakov & Gimelshein, arXiv 1805.02867; FlashAttention, Dao et al., arXiv 2205.14135, section 3.1):
 * the tile's scores (one vector per block of 16 positions, thanks to the blocked key layout; the
 * blocks are independent chains), one max and one exp per tile, one rescale of the running sum and
 * output per tile, then p . V with four accumulator chains. A context of up to 64 positions (every
 * network up to 64 layers, and the first 64 layers of any) is a single tile: no rescale at all.
 * With an even head count and hs % 32 == 0 (the shipped model: 2 heads of 32) the heads go in pairs,
 * tile by tile, their p . V chains in one loop (att_pv2): every head's operations are those of the
 * one-head loop, in the same order, so the result is the same bit for bit (check_nn). */
DF_CLONES void df_attention_step(float *out, const float *q, const float *kb, const float *v, int ctx, int C, int NH) {
    // out (C), q (C), kb blocked keys (ceil(ctx/16), C, 16), v (ctx, C); per head h (hs = C/NH channels):
    // out_h = softmax_t(q_h . k_t,h / sqrt(hs)) . v_t,h over t < ctx
    const int hs = C / NH;
    const float scale = 1.0f / sqrtf((float)hs);
    const int tile = ATT_TILE_BLOCKS * DF_ATT_BLOCK;
    int h = 0;
    if (hs % (2 * V16) == 0)
        for (; h + 2 <= NH; h += 2) {
            float *oa = out + (size_t)h * hs, *ob = oa + hs;
            float ma = -INFINITY, la = 0.0f, mb = -INFINITY, lb = 0.0f;
            memset(oa, 0, 2 * (size_t)hs * sizeof *oa);
            for (int t0 = 0; t0 < ctx; t0 += tile) {
                int nt = ctx - t0 < tile ? ctx - t0 : tile;        // positions in this tile
                int nblk = (nt + DF_ATT_BLOCK - 1) / DF_ATT_BLOCK; // key blocks in this tile
                v16sf sa[ATT_TILE_BLOCKS], sb[ATT_TILE_BLOCKS];
                float pa[ATT_TILE_BLOCKS * DF_ATT_BLOCK], pb[ATT_TILE_BLOCKS * DF_ATT_BLOCK];
                att_scores(sa, kb, q + (size_t)h * hs, t0, nt, nblk, h, hs, C, scale);
                att_scores(sb, kb, q + (size_t)(h + 1) * hs, t0, nt, nblk, h + 1, hs, C, scale);
                float ca = att_softmax(pa, sa, nblk, &ma, &la), cb = att_softmax(pb, sb, nblk, &mb, &lb);
                const float *va = v + (size_t)t0 * C + (size_t)h * hs;
                att_pv2(oa, ob, va, va + hs, pa, pb, ca, cb, nt, hs, C);
            }
            att_normalise(oa, la, hs);
            att_normalise(ob, lb, hs);
        }
    for (; h < NH; h++) {
        float *oh = out + (size_t)h * hs;
        float mrun = -INFINITY, lrun = 0.0f;
        memset(oh, 0, (size_t)hs * sizeof *oh);
        for (int t0 = 0; t0 < ctx; t0 += tile) {
            int nt = ctx - t0 < tile ? ctx - t0 : tile;
            int nblk = (nt + DF_ATT_BLOCK - 1) / DF_ATT_BLOCK;
            v16sf sc[ATT_TILE_BLOCKS];
            float pa[ATT_TILE_BLOCKS * DF_ATT_BLOCK];
            att_scores(sc, kb, q + (size_t)h * hs, t0, nt, nblk, h, hs, C, scale);
            float corr = att_softmax(pa, sc, nblk, &mrun, &lrun);
            att_pv(oh, v + (size_t)t0 * C + (size_t)h * hs, pa, corr, nt, hs, C);
        }
        att_normalise(oh, lrun, hs);
    }
}

void df_attention_step_naive(float *out, const float *q, const float *k, const float *v, int ctx, int C, int NH) {
    // out (C), q (C), k (ctx, C), v (ctx, C): the definition, two passes, scores and softmax in double
    const int hs = C / NH;
    double scale = 1.0 / sqrt((double)hs);
    for (int h = 0; h < NH; h++) {
        double mx = -INFINITY, sum = 0.0;
        for (int t = 0; t < ctx; t++) {
            double s = 0.0;
            for (int i = 0; i < hs; i++) s += (double)q[h * hs + i] * k[(size_t)t * C + h * hs + i];
            if (s * scale > mx) mx = s * scale;
        }
        for (int i = 0; i < hs; i++) out[h * hs + i] = 0.0f;
        double acc[DF_ATT_MAX_HS];
        for (int i = 0; i < hs && i < DF_ATT_MAX_HS; i++) acc[i] = 0.0;
        for (int t = 0; t < ctx; t++) {
            double s = 0.0;
            for (int i = 0; i < hs; i++) s += (double)q[h * hs + i] * k[(size_t)t * C + h * hs + i];
            double p = exp(s * scale - mx);
            sum += p;
            for (int i = 0; i < hs && i < DF_ATT_MAX_HS; i++) acc[i] += p * v[(size_t)t * C + h * hs + i];
        }
        for (int i = 0; i < hs && i < DF_ATT_MAX_HS; i++) out[h * hs + i] = (float)(acc[i] / sum);
    }
}
