/* testutil.h - helpers shared by the Check suites: build small workloads and hardware by hand,
 * random realistic chains/DAGs for property tests, and parse a map request from JSON text.
 * Header-only, test code only. */
#ifndef DNNFUSER_TESTUTIL_H
#define DNNFUSER_TESTUTIL_H

#include <check.h>
#include <stdio.h>
#include <string.h>
#include "dnnfuser/answer.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/gpt.h"
#include "dnnfuser/mapper.h"
#include "dnnfuser/zoo.h"
#include "../bench/bench_util.h" /* same_groups, shared with the benchmarks */

static inline int32_t tu_layer(df_workload *w, df_layer_type t, int32_t in0, int32_t in1, int32_t K, int32_t C,
                               int32_t Y, int32_t X, int32_t R, int32_t stride, int32_t pad, int32_t groups) {
    df_layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "L%d", w->n_layers);
    l.type = t;
    l.K = K;
    l.C = C;
    l.Y = Y;
    l.X = X;
    l.R = R;
    l.S = R;
    l.stride = stride;
    l.pad = pad;
    l.groups = groups;
    l.inputs[0] = in0;
    l.n_inputs = 1;
    if (in1 != -2) {
        l.inputs[1] = in1;
        l.n_inputs = 2;
    }
    ck_assert_int_eq(df_workload_add(w, &l, NULL), DF_OK);
    return w->n_layers - 1;
}

/* conv reading producer `in` (or -1): shape taken from the producer */
static inline int32_t tu_conv(df_workload *w, int32_t in, int32_t C, int32_t Y, int32_t X, int32_t K, int32_t R,
                              int32_t stride) {
    return tu_layer(w, DF_LAYER_CONV, in, -2, K, C, Y, X, R, stride, R / 2, 1);
}

static inline df_hw tu_hw(int32_t rows, int32_t cols, df_dataflow d, int64_t buffer, double dram_bw, double noc_bw,
                          int32_t eb) {
    df_hw h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "test");
    h.pe_rows = rows;
    h.pe_cols = cols;
    h.dataflow = d;
    h.buffer_bytes = buffer;
    h.dram_bw = dram_bw;
    h.noc_bw = noc_bw;
    h.clock_hz = 1e9;
    h.elem_bytes = eb;
    h.energy = (df_energy){1.0, 1.0, 2.0, 6.0, 200.0, 0.0};
    return h;
}

/* Three 16-channel 3x3 convs on 16x16 with 1 MiB of buffer and 1 B/cycle of DRAM, batch 4: DRAM-bound,
 * so fusing them all is optimal; the net is bound to w (free both). */
static inline df_net *tu_chain3_net(df_workload *w) {
    df_workload_init(w, "chain");
    tu_conv(w, -1, 16, 16, 16, 16, 3, 1);
    tu_conv(w, 0, 16, 16, 16, 16, 3, 1);
    tu_conv(w, 1, 16, 16, 16, 16, 3, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(w, 0, &e), DF_OK);
    df_hw h = tu_hw(16, 16, DF_DATAFLOW_WS, 1 << 20, 1, 64, 1);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, w, &h, 4, &e), DF_OK);
    return n;
}

/* Depth-first fixture (check_ga, check_repair, check_tiled): four 32-channel 3x3 convs on 64x64 at
 * batch 1 (DRAM-bound, 4 B/cycle) on a 16x16 array of dataflow d. Each feature map is 128 KiB: 5 KiB
 * holds every layer alone in tiles but not whole; 128 KiB fits them fused in row bands, not whole. */
static inline df_net *tu_df_chain4(df_workload *w, int64_t budget, df_dataflow d) {
    df_workload_init(w, "chain4");
    tu_conv(w, -1, 32, 64, 64, 32, 3, 1);
    for (int i = 0; i < 3; i++) tu_conv(w, i, 32, 64, 64, 32, 3, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(w, 0, &e), DF_OK);
    df_hw h = tu_hw(16, 16, d, budget, 4, 64, 1);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, w, &h, 1, &e), DF_OK);
    return n;
}

/* A zoo network on the edge preset with `budget` bytes of buffer (and that buffer's energies) at
 * `batch`; mutate (nullable) edits the workload before the net is built. The net owns its copy. */
static inline df_net *tu_zoo_net(const char *name, int64_t budget, int32_t batch, void (*mutate)(df_workload *)) {
    df_workload w;
    df_hw h;
    df_err e;
    df_net *n;
    ck_assert_int_eq(df_zoo_build(name, NULL, &w, &e), DF_OK);
    if (mutate) mutate(&w);
    ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
    h.buffer_bytes = budget;
    h.energy = df_energy_default(h.elem_bytes, h.buffer_bytes);
    ck_assert_int_eq(df_net_init(&n, &w, &h, batch, &e), DF_OK);
    df_workload_free(&w);
    return n;
}

/* A tiny random model (seed 11, d 16, 2 layers, 2 heads, T 24) in the depth-first layout with
 * DF_DF_OUTPUTS outputs, features scaled by 1/8, and the mapper of it (check_mapper, check_report). */
static inline df_mapper *tu_df_layout_mapper(void) {
    df_gpt_config cfg = {DF_FEATURES, DF_DF_OUTPUTS, 16, 2, 2, 24};
    df_gpt g;
    df_feature_norm norm;
    df_err e;
    ck_assert_int_eq(df_gpt_init(&g, &cfg, 11, &e), DF_OK);
    ck_assert_int_eq(df_feature_norm_init(&norm, DF_FEATURES, &e), DF_OK);
    for (int f = 0; f < DF_FEATURES; f++) norm.std[f] = 8;
    df_train_meta meta = {0};
    meta.layout = DF_LAYOUT_DEPTH_FIRST;
    df_mapper *m;
    ck_assert_msg(df_mapper_from_model(&m, &g, &norm, &meta, 16, &e) == DF_OK, "%s", e.msg);
    return m;
}

/* Random realistic network of L layers: convs (1x1/3x3, occasional stride 2) with residual adds
 * (dag != 0) over a 3-layer-back skip, and an occasional pool. Channels 4..64, input 16x16. */
static inline void tu_random_workload(df_workload *w, df_rng *r, int32_t L, int dag) {
    df_workload_init(w, "random");
    int32_t C = 3 + df_rng_range(r, 6), Y = 16, prev = -1;
    while (w->n_layers < L) {
        int32_t i = w->n_layers;
        int choice = df_rng_range(r, 10);
        if (dag && choice < 3 && i >= 2 && L - i >= 2) {
            /* residual: conv keeping shape, then add with the block input */
            int32_t blk_in = prev;
            int32_t c1 = tu_conv(w, prev, C, Y, Y, C, 3, 1);
            tu_layer(w, DF_LAYER_ADD, c1, blk_in, C, C, Y, Y, 1, 1, 0, 1);
            prev = w->n_layers - 1;
        } else if (choice == 3 && Y >= 4) {
            prev = tu_layer(w, DF_LAYER_POOL, prev, -2, C, C, Y, Y, 2, 2, 0, 1);
            Y /= 2;
        } else {
            int32_t K = 4 + df_rng_range(r, 61), R = df_rng_range(r, 2) ? 3 : 1;
            int32_t st = (Y >= 8 && df_rng_range(r, 5) == 0) ? 2 : 1;
            prev = tu_conv(w, prev, C, Y, Y, K, R, st);
            C = K;
            Y = (Y + 2 * (R / 2) - R) / st + 1;
        }
    }
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "random workload invalid: %s", e.msg);
}

/* Parses text (a JSON map request, which must be valid JSON) as the daemon does, under the default
 * limits; returns 0, or -1 with f filled (check_report, check_reply). */
static inline int tu_parse(const char *text, df_request *r, df_fail *f) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    ck_assert_msg(j != NULL, "test JSON: %s", e.text);
    df_request_limits lim;
    df_request_limits_default(&lim);
    df_request_src src = {.root = j, .prefix = ""};
    int rc = df_request_parse(&src, &lim, r, f);
    json_decref(j);
    return rc;
}

#endif
