/* check_cost.c - Check suite "cost": the fusion semantics of DESIGN.md §2 on hand-computed examples
 * (DRAM traffic, footprints, skip tensors, resident vs streamed weights, per-dataflow compute cycles,
 * budget errors, mapping structure errors) and the speed-independent invariants. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dnnfuser/json.h"
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

/* Chain: conv0 (3x8x8 -> 4x8x8, 3x3) -> conv1 (4x8x8 -> 8x8x8, 1x1). elem 1 byte. */
static void chain2(df_workload *w) {
    df_workload_init(w, "chain2");
    tu_conv(w, -1, 3, 8, 8, 4, 3, 1);
    tu_conv(w, 0, 4, 8, 8, 8, 1, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(w, 0, &e), DF_OK);
}

/* One conv layer reading the network input: C -> K channels, Y x Y, R x R, stride 1, pad R/2. */
static void one_conv(df_workload *w, int32_t C, int32_t Y, int32_t K, int32_t R) {
    df_workload_init(w, "one");
    tu_conv(w, -1, C, Y, Y, K, R, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(w, 0, &e), DF_OK);
}

static df_net *mknet(const df_workload *w, df_hw h, int32_t N) {
    df_net *n;
    df_err e;
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    return n;
}

START_TEST(test_dram_layer_by_layer_vs_fused) {
    df_workload w;
    chain2(&w);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 2);
    /* tensors per sample: in 3*64 = 192, t0 4*64 = 256, t1 8*64 = 512; weights 4*3*9 = 108, 8*4 = 32 */
    df_group_cost g0, g1, gf;
    df_group_eval(n, 0, 0, 2, &g0);
    df_group_eval(n, 1, 1, 2, &g1);
    df_group_eval(n, 0, 1, 2, &gf);
    ck_assert(g0.feasible && g1.feasible && gf.feasible);
    ck_assert_double_eq(g0.dram_bytes, 2 * (192 + 256) + 108);
    ck_assert_double_eq(g1.dram_bytes, 2 * (256 + 512) + 32);
    ck_assert_double_eq(gf.dram_bytes, 2 * (192 + 512) + 108 + 32); /* t0 never touches DRAM */
    ck_assert(gf.weights_resident);
    /* Fused footprint: at conv0, the held t0 (256) + input line buffer 3*3*8 = 72; at conv1, held t0 +
     * output row 8*8 = 64. Peak act 328 per sample, x m=2, + all weights 140 resident. */
    ck_assert_int_eq(gf.footprint_bytes, 2 * 328 + 140);
    ck_assert_int_eq(gf.peak_layer, 0);
    /* Single layer: conv0 streams in (72) and out (one row 4*8 = 32): 2*104 + 108 */
    ck_assert_int_eq(g0.footprint_bytes, 2 * 104 + 108);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_streamed_weights_reload_per_micro_batch) {
    df_workload w;
    chain2(&w);
    /* budget 700 B: fused at m=1 resident needs 328 + 140 = 468 (fits); m=2 resident 796 > 700, so
     * weights stream: footprint max(2*328 + tile(108), 2*(256+64) + 32) = 764 > 700 -> infeasible. */
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 700, 8, 16, 1), 4);
    df_group_cost g;
    df_group_eval(n, 0, 1, 1, &g);
    ck_assert(g.feasible && g.weights_resident);
    ck_assert_int_eq(g.n_micro, 4);
    ck_assert_double_eq(g.dram_bytes, 4 * (192 + 512) + 140); /* weights once */
    df_group_eval(n, 0, 1, 2, &g);
    ck_assert(!g.feasible);
    ck_assert(!g.weights_resident);
    ck_assert_int_eq(g.footprint_bytes, 2 * 328 + 108);
    /* Budget 440: resident at m=1 needs 468 > 440, so weights stream; streamed m=1 is
     * max(328 + 108 (tile = min(108, 16 PEs x 9)), 320 + 16 (min(32, 16 PEs x 1))) = 436 <= 440. */
    df_net_free(n);
    n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 440, 8, 16, 1), 4);
    df_group_eval(n, 0, 1, 1, &g);
    ck_assert(g.feasible && !g.weights_resident);
    ck_assert_int_eq(g.footprint_bytes, 436);
    ck_assert_double_eq(g.dram_bytes, 4 * (192 + 512) + 4 * 140); /* weights every micro-batch */
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_skip_tensor_held_across_group) {
    /* x -> c0 (8ch) -> c1 (8ch, 3x3) -> add(c1, c0): c0's output is live at c1 and add. */
    df_workload w;
    df_workload_init(&w, "res");
    tu_conv(&w, -1, 4, 8, 8, 8, 1, 1);
    tu_conv(&w, 0, 8, 8, 8, 8, 3, 1);
    tu_layer(&w, DF_LAYER_ADD, 1, 0, 8, 8, 8, 8, 1, 1, 0, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 1);
    df_group_cost g;
    df_group_eval(n, 0, 2, 1, &g);
    /* at c1: t0 (512) + t1 (512) held; at add: t0 + t1 + out row (8*8 = 64) = 1088 (peak) */
    ck_assert_int_eq(g.peak_layer, 2);
    ck_assert_int_eq(g.footprint_bytes, 1088 + 8 * 4 + 8 * 8 * 9);
    ck_assert_double_eq(g.dram_bytes, 256 + 512 + 32 + 576); /* in, out, weights */
    /* Group {c1, add}: t0 enters from DRAM, consumed by c1 and add: read once, held throughout. */
    df_group_eval(n, 1, 2, 1, &g);
    ck_assert_double_eq(g.dram_bytes, 512 + 512 + 576);
    ck_assert_int_eq(g.footprint_bytes, 512 + 512 + 64 + 576);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_output_consumed_inside_and_after) {
    /* c0 -> c1 -> c2, and c3 = add(c2, c0): group {c0, c1} must write t0 to DRAM for c3 and hold it
     * for c1. */
    df_workload w;
    df_workload_init(&w, "fanout");
    tu_conv(&w, -1, 4, 8, 8, 8, 1, 1);
    tu_conv(&w, 0, 8, 8, 8, 8, 1, 1);
    tu_conv(&w, 1, 8, 8, 8, 8, 1, 1);
    tu_layer(&w, DF_LAYER_ADD, 2, 0, 8, 8, 8, 8, 1, 1, 0, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 1);
    df_group_cost g;
    df_group_eval(n, 0, 1, 1, &g);
    ck_assert_double_eq(g.dram_bytes, 256 + 512 + 512 + 32 + 64); /* in, t0 out, t1 out, weights */
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_compute_cycles_per_dataflow) {
    /* One conv: C=32, K=48, 16x16 input, 3x3, pad 1 -> P=Q=16, on a 8x8 array. */
    df_workload w;
    one_conv(&w, 32, 16, 48, 3);
    double macs = 48.0 * 32 * 16 * 16 * 9;
    df_net *n = mknet(&w, tu_hw(8, 8, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 1);
    const df_layer_figures *f = df_net_layer_figures(n, 0);
    ck_assert_double_eq(f->macs, macs);
    ck_assert_double_eq(f->compute_cycles, 6.0 * 4 * 16 * 16 * 9); /* ceil(48/8) x ceil(32/8) x PQRS */
    ck_assert_double_eq_tol(f->utilization, 1.0, 1e-12);
    df_net_free(n);
    n = mknet(&w, tu_hw(8, 8, DF_DATAFLOW_OS, 1 << 20, 8, 16, 1), 1);
    f = df_net_layer_figures(n, 0);
    ck_assert_double_eq(f->compute_cycles, 2.0 * 2 * 48 * 32 * 9); /* ceil(16/8)^2 tiles x K C R S */
    df_net_free(n);
    n = mknet(&w, tu_hw(12, 14, DF_DATAFLOW_RS, 1 << 20, 8, 16, 1), 1);
    f = df_net_layer_figures(n, 0);
    /* R=3 on 12 rows: 4 channel sets; P=16 > 14 cols: 2 column folds, no filter replication:
     * 48 x ceil(32/4) x 2 x Q(16) x S(3) */
    ck_assert_double_eq(f->compute_cycles, 48.0 * 8 * 2 * 16 * 3);
    ck_assert(f->utilization > 0.5 && f->utilization <= 1.0);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_latency_is_max_of_compute_dram_noc) {
    df_workload w;
    one_conv(&w, 16, 8, 16, 1);
    /* compute: 16x16 array, ceil(16/16)^2 * 64 = 64 cycles/sample; DRAM: (1024 + 1024) B/sample +
     * 256 B weights at 1 B/cycle -> 2304 cycles for one sample: DRAM-bound. */
    df_net *n = mknet(&w, tu_hw(16, 16, DF_DATAFLOW_WS, 1 << 20, 1, 1e6, 1), 1);
    df_group_cost g;
    df_group_eval(n, 0, 0, 1, &g);
    ck_assert_double_eq(g.latency_cycles, 2304);
    ck_assert_double_eq(g.compute_cycles, 64);
    df_net_free(n);
    /* Compute-bound: one pass (one 16x16 weight fold); its ingress (256 weights + 1024 inputs) and
     * egress (1024 outputs) are not overlapped with anything, at 1e6 B/cycle and no hop latency. */
    n = mknet(&w, tu_hw(16, 16, DF_DATAFLOW_WS, 1 << 20, 1e6, 1e6, 1), 1);
    df_group_eval(n, 0, 0, 1, &g);
    ck_assert_double_eq_tol(g.latency_cycles, 64 + (256 + 1024) / 1e6 + 1024 / 1e6, 1e-9);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Row-stationary pass tiling on a layer small enough to follow by hand: 12x14 array, conv 4 -> 16
 * channels, 8x8, 3x3 pad 1. The 3 x 8 PE set fits 4 times (4 x 3 rows, 8 of 14 columns); every split
 * r x t of the 4 sets does the work in the ideal 4 passes-worth, and the least traffic (all tie) keeps
 * the first: r = 1 channel set, t = 4 filter sets, q = 4 channels and p = 4 filters per PE: one pass.
 * Each input is sent once although 16 filters use it (spad + multicast reuse, [EYE17]). */
START_TEST(test_rs_pass_tiling_by_hand) {
    df_workload w;
    one_conv(&w, 4, 8, 16, 3);
    df_hw h = tu_hw(12, 14, DF_DATAFLOW_RS, 1 << 20, 1e6, 24, 2);
    h.noc_bw_w = h.noc_bw_in = h.noc_bw_out = 8;
    h.noc_hops = 1;
    df_net *n = mknet(&w, h, 1);
    const df_layer_figures *f = df_net_layer_figures(n, 0);
    ck_assert_double_eq(f->passes, 1);
    ck_assert_double_eq(f->compute_cycles, 4 * 4 * 8 * 3); /* p q Q S */
    ck_assert_double_eq(f->active_pes, 4 * 3 * 8);
    ck_assert_double_eq(f->noc_w, 16 * 4 * 9);
    ck_assert_double_eq(f->noc_in, 4 * 8 * 8); /* once, not once per filter */
    ck_assert_double_eq(f->noc_out, 16 * 64);  /* one channel pass: written once */
    /* one pass, nothing to overlap: ingress max(filters 1 + 576 x 2 / 8, ifmaps 1 + 256 x 2 / 8) = 145,
     * compute 384, egress 1 + 1024 x 2 / 8 = 257 (MAESTRO delay = hops + data / bandwidth) */
    df_group_cost g;
    ck_assert_int_eq(df_group_eval(n, 0, 0, 1, &g), DF_OK);
    ck_assert_double_eq_tol(g.latency_cycles, 145 + 384 + 257, 1e-9);
    df_net_free(n);
    /* one shared network of 24 B/cycle instead: ingress 1 + (576 + 256) x 2 / 24, egress 1 + 2048 / 24 */
    h.noc_bw_w = h.noc_bw_in = h.noc_bw_out = 0;
    n = mknet(&w, h, 1);
    ck_assert_int_eq(df_group_eval(n, 0, 0, 1, &g), DF_OK);
    ck_assert_double_eq_tol(g.latency_cycles, 1 + 832 * 2 / 24.0 + 384 + 1 + 2048 / 24.0, 1e-9);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Processing passes with separate psum networks and per-pass ramp-up, by hand ([EYE17] §V-B, §VI):
 * a 3 x 8 array holds one 3 x 8 PE set (r = t = 1); conv 8 -> 4 channels, 8x8, 3x3 pad 1; ifmap spad 3
 * (q = 1), psum spad 4 (p = 4): 8 channel passes of c1 = p q Q S = 96 cycles, each moving w1 = 36
 * weights, x1 = 64 inputs, p1 = 224 psums read back and o1 = 256 written (averages over the passes).
 * Every network 1 element/cycle, hop latency 1: ingress max(1 + 64, 1 + 224) = 225 (the psum read-back
 * has its own GIN), egress 1 + 256 = 257 on the GON, steady max(225, 96, 257) = 257. With a filter spad
 * of 24 the next pass's 12 weights per PE fit beside the current ones: 225 + 7 x 257 + 96 + 257.
 * With 12 they do not: every pass first waits max(filters 1 + 36, first window 1 + 8 rows x 3) = 37. */
START_TEST(test_rs_ramp_and_psum_networks) {
    df_workload w;
    one_conv(&w, 8, 8, 4, 3);
    df_hw h = tu_hw(3, 8, DF_DATAFLOW_RS, 1 << 20, 1e6, 2, 2);
    h.noc_bw_w = h.noc_bw_in = h.noc_bw_out = 2;
    h.noc_hops = 1;
    h.rf_in = 3;
    h.rf_out = 4;
    h.rf_w = 24;
    df_net *n = mknet(&w, h, 1);
    const df_layer_figures *f = df_net_layer_figures(n, 0);
    ck_assert_double_eq(f->passes, 8);
    ck_assert_double_eq(f->compute_cycles, 8 * 96);
    df_group_cost g;
    ck_assert_int_eq(df_group_eval(n, 0, 0, 1, &g), DF_OK);
    ck_assert_double_eq_tol(g.latency_cycles, 225 + 7 * 257 + 96 + 257, 1e-9);
    df_net_free(n);
    h.rf_w = 12;
    n = mknet(&w, h, 1);
    f = df_net_layer_figures(n, 0);
    ck_assert_double_eq(f->passes, 8);
    ck_assert_int_eq(df_group_eval(n, 0, 0, 1, &g), DF_OK);
    ck_assert_double_eq_tol(g.latency_cycles, 8 * 37 + 225 + 7 * 257 + 96 + 257, 1e-9);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* df_net_init reuses the figures of an earlier layer of the same shape (repeated blocks): every conv
 * and one-operand fc / matmul layer of ResNet-50 and BERT-base gets exactly the figures it gets alone, on a preset of each
 * dataflow family (rs on cloud and eyeriss, ws on edge). */
START_TEST(test_net_init_shape_reuse) {
    const char *nets[] = {"resnet50", "bert_base"};
    const char *presets[] = {"cloud", "eyeriss", "edge"};
    for (size_t a = 0; a < 2; a++)
        for (size_t b = 0; b < 3; b++) {
            df_workload w;
            df_err e;
            ck_assert_int_eq(df_zoo_build(nets[a], NULL, &w, &e), DF_OK);
            df_hw h;
            ck_assert_int_eq(df_hw_preset(presets[b], &h, NULL), DF_OK);
            if (b == 0) h.dataflow = DF_DATAFLOW_RS;
            df_net *n = mknet(&w, h, 4);
            int checked = 0;
            for (int32_t i = 0; i < w.n_layers; i++) {
                const df_layer *l = &w.layers[i];
                if ((l->type != DF_LAYER_CONV && l->type != DF_LAYER_FC && l->type != DF_LAYER_MATMUL) ||
                    l->n_inputs != 1)
                    continue;
                df_workload one;
                df_workload_init(&one, "one");
                df_layer c = *l;
                c.inputs[0] = -1;
                ck_assert_int_eq(df_workload_add(&one, &c, &e), DF_OK);
                ck_assert_int_eq(df_workload_validate(&one, 0, &e), DF_OK);
                df_net *n1 = mknet(&one, h, 4);
                const df_layer_figures *f = df_net_layer_figures(n, i), *f1 = df_net_layer_figures(n1, 0);
                ck_assert_msg(f->compute_cycles == f1->compute_cycles && f->noc_w == f1->noc_w &&
                                  f->noc_in == f1->noc_in && f->noc_out == f1->noc_out && f->passes == f1->passes &&
                                  f->active_pes == f1->active_pes,
                              "%s layer %d (%s) on %s", nets[a], i, l->name, presets[b]);
                df_group_cost g, g1;
                ck_assert_int_eq(df_group_eval(n, i, i, 4, &g), DF_OK);
                ck_assert_int_eq(df_group_eval(n1, 0, 0, 4, &g1), DF_OK);
                ck_assert_double_eq_tol(g.latency_cycles, g1.latency_cycles, 1e-9 * g1.latency_cycles);
                df_net_free(n1);
                df_workload_free(&one);
                checked++;
            }
            ck_assert_int_gt(checked, 20);
            df_net_free(n);
            df_workload_free(&w);
        }
}
END_TEST

static void load_alexnet(df_workload *w) {
    json_error_t je;
    json_t *j = json_load_file("docs/eyeriss/alexnet.json", 0, &je);
    ck_assert_msg(j != NULL, "docs/eyeriss/alexnet.json: %s (run from the repository root)", je.text);
    df_err e;
    ck_assert_int_eq(df_workload_from_json(j, "", 0, w, &e), DF_OK);
    json_decref(j);
}

/* The mapping rules place AlexNet's CONV layers on Eyeriss's array as the chip does: its published
 * active PEs (JSSC 2017 Table V: 154, 135, 156, 156, 156) follow from the set shapes (11 x 7 strips
 * x 2, 5 x 27 folded into 10 x 14, 4 x (3 x 13)); no constant is taken from the table. */
START_TEST(test_eyeriss_alexnet_active_pes) {
    df_workload w;
    load_alexnet(&w);
    df_hw h;
    ck_assert_int_eq(df_hw_preset("eyeriss", &h, NULL), DF_OK);
    df_net *n = mknet(&w, h, 4);
    const int32_t conv[] = {0, 2, 4, 5, 6};
    const double active[] = {154, 135, 156, 156, 156};
    for (int k = 0; k < 5; k++) {
        const df_layer_figures *f = df_net_layer_figures(n, conv[k]);
        ck_assert_msg(f->active_pes == active[k], "layer %d: %g active PEs", conv[k], f->active_pes);
        ck_assert(f->compute_cycles * f->active_pes >= f->macs); /* never faster than the busy PEs */
        ck_assert(f->compute_cycles * f->active_pes <= 1.06 * f->macs);
    }
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* A layer a real chip ran is feasible on its description: Eyeriss ran VGG-16 (N = 3) with 108 KB of
 * global buffer ([EYE17]); channel tiling with the output row's psums in the buffer makes every layer
 * fit at micro-batch 1 (also the CNNs of the zoo, whose global average pool reads 7 x 7 x 2048). */
START_TEST(test_vgg16_fits_eyeriss) {
    const char *nets[] = {"vgg16", "resnet18", "resnet50", "mobilenetv2", "mnasnet"};
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        df_workload w;
        df_err e;
        ck_assert_int_eq(df_zoo_build(nets[k], NULL, &w, &e), DF_OK);
        df_hw h;
        ck_assert_int_eq(df_hw_preset("eyeriss", &h, NULL), DF_OK);
        df_net *n = mknet(&w, h, 3);
        ck_assert_msg(df_net_check_budget(n, &e) == DF_OK, "%s: %s", nets[k], e.msg);
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* Activation density d (fraction of non-zero inputs): zero gating keeps per MAC only the input read
 * that detects the zero, so MAC energy = macs x (d (mac + 2 rf) + rf); DRAM activations are run-length
 * coded at min(1, d x 64/3 / 16) of their size (JSSC 2017 §IV-B, §V-C). A static energy per cycle adds
 * stat x latency. */
START_TEST(test_density_and_static_energy) {
    df_workload w;
    chain2(&w);
    df_hw h = tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1);
    df_net *n = mknet(&w, h, 1);
    df_group_cost dense, sparse, stat;
    ck_assert_int_eq(df_group_eval(n, 1, 1, 1, &dense), DF_OK);
    df_net_free(n);
    w.layers[1].density = 0.3; /* conv1 reads a 30%-dense tensor (conv0's output) */
    n = mknet(&w, h, 1);
    ck_assert_int_eq(df_group_eval(n, 1, 1, 1, &sparse), DF_OK);
    const df_layer_figures *f = df_net_layer_figures(n, 1);
    /* mac = rf = 1 pJ in tu_hw: mac + 3 rf = 4 -> 0.3 x (1 + 2) + 1 = 1.9 pJ per MAC */
    double dram_in = 256.0; /* conv1's input 4x8x8, 1 byte each; its output has no declared density */
    ck_assert_double_eq_tol(dense.dram_bytes - sparse.dram_bytes, dram_in * (1 - 0.3 * 4 / 3), 1e-9);
    ck_assert_double_eq_tol(dense.energy_pj - sparse.energy_pj, f->macs * (4 - 1.9) + dram_in * (1 - 0.4) * (200 + 6),
                            1e-6);
    df_net_free(n);
    w.layers[1].density = 0.9; /* 4/3 x 0.9 > 1: sent uncoded, only the gating remains */
    n = mknet(&w, h, 1);
    ck_assert_int_eq(df_group_eval(n, 1, 1, 1, &sparse), DF_OK);
    ck_assert_double_eq(sparse.dram_bytes, dense.dram_bytes);
    df_net_free(n);
    w.layers[1].density = 0;
    h.energy.stat = 2.5;
    n = mknet(&w, h, 1);
    ck_assert_int_eq(df_group_eval(n, 1, 1, 1, &stat), DF_OK);
    ck_assert_double_eq_tol(stat.energy_pj - dense.energy_pj, 2.5 * dense.latency_cycles, 1e-6);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* The density field in workload JSON: optional, (0, 1], written back when set. */
START_TEST(test_density_json) {
    const char *bad[] = {"0", "-0.5", "1.5", "\"x\""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char txt[256];
        snprintf(txt, sizeof txt,
                 "{\"layers\": [{\"type\": \"conv\", \"K\": 4, \"C\": 3, \"Y\": 8, \"X\": 8, "
                 "\"R\": 3, \"density\": %s}]}",
                 bad[k]);
        json_t *j = json_loads(txt, 0, NULL);
        ck_assert_ptr_nonnull(j);
        df_workload w;
        df_err e;
        ck_assert_int_eq(df_workload_from_json(j, "", 0, &w, &e), DF_EINVAL);
        ck_assert_str_eq(e.pointer, "/layers/0/density");
        json_decref(j);
    }
    json_t *j = json_loads("{\"layers\": [{\"type\": \"conv\", \"K\": 4, \"C\": 3, \"Y\": 8, \"X\": 8, "
                           "\"R\": 3, \"density\": 0.25}]}",
                           0, NULL);
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_workload_from_json(j, "", 0, &w, &e), DF_OK);
    json_decref(j);
    ck_assert_double_eq(w.layers[0].density, 0.25);
    json_t *o = df_workload_to_json(&w);
    ck_assert_double_eq(json_real_value(json_object_get(json_array_get(json_object_get(o, "layers"), 0), "density")),
                        0.25);
    json_decref(o);
    df_workload_free(&w);
}
END_TEST

/* The model against the chip: Eyeriss AlexNet CONV1-5, batch 4 (JSSC 2017 Table V, read from
 * docs/eyeriss/table5.csv), with the layer-by-layer mapping a user gets (lbl solver) on the eyeriss
 * preset and the published ifmap densities (docs/eyeriss/alexnet.json). Latency is compared with the
 * table's processing latency (DRAM traffic fully overlapped, [EYE17] §VI-A: the model's step is
 * max(array, DRAM)); the chip's energy is its power x total latency. The bounds are what the model
 * reaches today (docs/eyeriss/README.md), a guard against regressions, not the targets
 * (latency <= 5% per layer, 3% total; DRAM and energy 15%), which it does not meet: see the README. */
START_TEST(test_eyeriss_alexnet_vs_chip) {
    FILE *fp = fopen("docs/eyeriss/table5.csv", "r");
    ck_assert_msg(fp != NULL, "docs/eyeriss/table5.csv (run from the repository root)");
    char line[512], name[6][16];
    double mw[6], tot_ms[6], ms[6], dram[6];
    int nrow = 0, header = 0;
    while (fgets(line, sizeof line, fp) && nrow < 6) {
        if (line[0] == '#') continue;
        if (!header++) {
            ck_assert_ptr_nonnull(strstr(line, "total_latency_ms,processing_latency_ms"));
            continue;
        }
        double macs, pes, zeros, buf;
        ck_assert_int_eq(sscanf(line, "%15[^,],%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", name[nrow], &mw[nrow], &tot_ms[nrow],
                                &ms[nrow], &macs, &pes, &zeros, &buf, &dram[nrow]),
                         9);
        nrow++;
    }
    fclose(fp);
    ck_assert_int_eq(nrow, 6);
    ck_assert_str_eq(name[5], "total");
    df_workload w;
    load_alexnet(&w);
    df_hw h;
    ck_assert_int_eq(df_hw_preset("eyeriss", &h, NULL), DF_OK);
    df_net *n = mknet(&w, h, 4);
    df_mapping m;
    df_mapping_init(&m, 8);
    df_err e;
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_LATENCY, &m, NULL, &e), DF_OK);
    df_group_cost gc[8];
    df_metrics mt;
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, gc, &e), DF_OK);
    ck_assert(mt.feasible);
    double lat = 0, chip_lat = 0, chip_tot = 0, dr = 0, mabs = 0, dmabs = 0;
    for (int k = 0; k < 5; k++) {
        int32_t g = -1;
        for (int32_t i = 0; i < m.n_groups; i++)
            if (strcmp(w.layers[m.groups[i].first].name, name[k]) == 0) g = i;
        ck_assert_int_ge(g, 0);
        double ms_model = gc[g].latency_cycles / h.clock_hz * 1e3;
        double err = (ms_model - ms[k]) / ms[k];
        ck_assert_msg(fabs(err) < 0.16, "%s latency %.2f ms vs chip %.1f ms", name[k], ms_model, ms[k]);
        /* DRAM per layer: images per pass n chosen by least DRAM (rs_plan) puts CONV2 on the chip's
         * n = 1 (+10.2%, was +39.3% with n = 4); CONV5 +33.1% (its ofmap's density is not published) */
        double derr = (gc[g].dram_bytes / 1e6 - dram[k]) / dram[k];
        ck_assert_msg(fabs(derr) < (k == 4 ? 0.34 : 0.24), "%s DRAM %.2f MB vs chip %.1f MB", name[k],
                      gc[g].dram_bytes / 1e6, dram[k]);
        /* on-chip energy (chip power x latency excludes DRAM) is below the chip's: no clock network */
        double onchip = gc[g].energy_pj - gc[g].dram_bytes / h.elem_bytes * h.energy.dram;
        double chip_pj = mw[k] * 1e-3 * tot_ms[k] * 1e-3 * 1e12;
        ck_assert_msg(onchip < chip_pj && onchip > 0.25 * chip_pj, "%s energy %.3g pJ vs chip %.3g", name[k], onchip,
                      chip_pj);
        ck_assert(ms[k] < tot_ms[k]); /* processing latency excludes the DRAM stalls */
        mabs += fabs(err) / 5;
        lat += ms_model;
        chip_lat += ms[k];
        chip_tot += tot_ms[k];
        dr += gc[g].dram_bytes / 1e6;
        dmabs += fabs(gc[g].dram_bytes / 1e6 - dram[k]) / dram[k] / 5;
    }
    ck_assert_double_eq_tol(chip_tot, tot_ms[5], 1e-9); /* the rows sum to the published total */
    ck_assert_double_eq_tol(chip_lat, ms[5], 0.51);     /* processing: 103.0 vs the printed 103.5 */
    /* today: latency 7.2% mean abs per layer, -8.1% total (vs 103.5 ms) */
    ck_assert_msg(mabs < 0.075, "latency mean abs error %.1f%%", mabs * 100);
    ck_assert_msg(fabs(lat - ms[5]) / ms[5] < 0.09, "total latency %.1f ms vs chip %.1f", lat, ms[5]);
    /* with the per-pass ifmap re-reads and n by least DRAM (rs_plan): -0.7% total, 14.9% mean abs */
    ck_assert_msg(fabs(dr - dram[5]) / dram[5] < 0.03, "total DRAM %.2f MB vs chip %.1f", dr, dram[5]);
    ck_assert_msg(dmabs < 0.155, "DRAM mean abs error %.1f%%", dmabs * 100);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Time per processing pass on Eyeriss, AlexNet CONV1-2, batch 4 ([EYE17] Table III/V; docs/eyeriss/README.md,
 * "Time per processing pass"). Each delivery costs the hop latency plus data / bandwidth ([MAESTRO]
 * §4.3), and the passes overlap under double buffering except the first's ingress, the last's egress
 * and, when the filter spad cannot hold two passes' filters, every pass's ramp-up. CONV2's plan (the
 * chip's own: 1536 passes of 4320 cycles, ramp-up per pass) is compute-bound in the steady state, so
 * one more cycle of hop latency adds exactly one cycle per pass (its ramp) plus the exposed first
 * ingress and last egress. CONV1's plan (660 passes of one ofmap row, p = 7: 2 x 77 filter weights fit
 * the 224-entry spad) hides all its deliveries behind compute: less than 10 cycles per pass beyond it,
 * which is why no per-pass term moves it (the chip's 7-row mapping is a different plan). */
START_TEST(test_eyeriss_alexnet_pass_time) {
    df_workload w;
    load_alexnet(&w);
    df_hw h;
    ck_assert_int_eq(df_hw_preset("eyeriss", &h, NULL), DF_OK);
    ck_assert_double_eq(h.noc_hops, 1);
    df_net *n1 = mknet(&w, h, 4);
    h.noc_hops = 0;
    df_net *n0 = mknet(&w, h, 4);
    df_group_cost g1, g0;
    /* CONV2 (layer 2) */
    const df_layer_figures *f1 = df_net_layer_figures(n1, 2), *f0 = df_net_layer_figures(n0, 2);
    ck_assert_double_eq(f1->passes, f0->passes); /* the same plan with and without hop latency */
    ck_assert_double_eq(f1->compute_cycles, f0->compute_cycles);
    ck_assert_double_eq(f1->passes * 4 * 4320, 4 * f1->compute_cycles); /* 1536 passes of p q Q S cycles */
    ck_assert_int_eq(df_group_eval(n1, 2, 2, 4, &g1), DF_OK);
    ck_assert_int_eq(df_group_eval(n0, 2, 2, 4, &g0), DF_OK);
    ck_assert_double_eq_tol(g1.latency_cycles - g0.latency_cycles, f1->passes * 4 + 2, 1e-6);
    double lost = (g1.latency_cycles - 4 * f1->compute_cycles) / (f1->passes * 4); /* per pass */
    ck_assert_msg(lost > 250 && lost < 300, "CONV2: %.1f cycles per pass beyond compute", lost);
    /* CONV1 (layer 0) */
    f1 = df_net_layer_figures(n1, 0);
    ck_assert_int_eq(df_group_eval(n1, 0, 0, 4, &g1), DF_OK);
    lost = (g1.latency_cycles - 4 * f1->compute_cycles) / (f1->passes * 4);
    ck_assert_msg(lost >= 0 && lost < 10, "CONV1: %.1f cycles per pass beyond compute", lost);
    df_net_free(n0);
    df_net_free(n1);
    df_workload_free(&w);
}
END_TEST

/* Row-stationary DRAM re-reads (rs_plan, [EYE17] §IV-A): 1 -> 48 channels, 8 x 8, 3 x 3 on a 3 x 8
 * array: one set of 3 x 8 PEs, p = 24 filters per pass (filter spad 224 / 9, psum spad 24), so two
 * filter passes over one strip of all 8 ifmap rows. A pass holds the 64 ifmaps and 24 x 64 psums =
 * 1600 elements: with a 1560-byte buffer (1 B each) 40 of the 64 ifmaps are read again for the second
 * filter pass; with 1 MiB none is. Compulsory: 64 in + 3072 out + 432 weights. */
START_TEST(test_rs_ifmap_reread_per_filter_pass) {
    df_workload w;
    one_conv(&w, 1, 8, 48, 3);
    df_net *big = mknet(&w, tu_hw(3, 8, DF_DATAFLOW_RS, 1 << 20, 8, 16, 1), 1);
    df_net *small = mknet(&w, tu_hw(3, 8, DF_DATAFLOW_RS, 1560, 8, 16, 1), 1);
    ck_assert_double_eq(df_net_layer_figures(big, 0)->passes, 2);
    df_group_cost gb, gs;
    df_group_eval(big, 0, 0, 1, &gb);
    df_group_eval(small, 0, 0, 1, &gs);
    ck_assert(gb.feasible && gs.feasible);
    ck_assert_double_eq(gb.dram_bytes, 64 + 3072 + 432);
    ck_assert_double_eq(gs.dram_bytes, 64 + 3072 + 432 + 40);
    df_net_free(big);
    df_net_free(small);
    df_workload_free(&w);
}
END_TEST

/* Images per pass n by least DRAM (rs_plan, [EYE17] §IV-A, Table III): the layer above at batch 2 with
 * a 3100-byte buffer. n = 2 images per pass hold 2 x 1600 elements, 100 more than the buffer, so 50
 * ifmaps per sample would be read again for the second filter pass; n = 1 holds 1600, and its 432
 * filters stay beside them (2032 <= 3100), so n = 1 is chosen and DRAM is the compulsory traffic:
 * 2 x (64 in + 3072 out) + 432 weights (resident: 432 + 2 x (24 + 384) line-buffer elements fit). */
START_TEST(test_rs_images_per_pass_by_dram) {
    df_workload w;
    one_conv(&w, 1, 8, 48, 3);
    df_net *n = mknet(&w, tu_hw(3, 8, DF_DATAFLOW_RS, 3100, 8, 16, 1), 2);
    df_group_cost g;
    df_group_eval(n, 0, 0, 2, &g);
    ck_assert(g.feasible && g.weights_resident);
    ck_assert_double_eq(g.dram_bytes, 2 * (64 + 3072) + 432);
    df_net_free(n);
    /* a buffer the filters do not fit beside one image's pass (1600 + 432 > 1700): n = 1 would read
     * them twice (+432), n = 2 re-reads min(64, (3200 - 1700) / 2) = 64 ifmaps per sample (+128) */
    n = mknet(&w, tu_hw(3, 8, DF_DATAFLOW_RS, 1700, 8, 16, 1), 2);
    df_group_eval(n, 0, 0, 2, &g);
    ck_assert(g.feasible);
    ck_assert_double_eq(g.dram_bytes, 2 * (64 + 3072) + 432 + 128);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_budget_too_small_names_layer) {
    df_workload w;
    chain2(&w);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 100, 8, 16, 1), 1);
    df_err e;
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    /* conv0 alone at m=1: 72 + 32 + tile min(108, 16*9) = 212; conv1: 32 + 64 + 16 = 112 */
    ck_assert_int_eq(e.layer, 0);
    ck_assert_int_eq(e.need_bytes, 212);
    ck_assert_ptr_nonnull(strstr(e.msg, "L0"));
    ck_assert_ptr_nonnull(strstr(e.msg, "212 B"));
    /* asked again (the daemon asks at parse, admission and in the baseline): the same answer, named again */
    strcpy(e.msg, "stale");
    e.layer = -7;
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    ck_assert_int_eq(e.layer, 0);
    ck_assert_int_eq(e.need_bytes, 212);
    ck_assert_ptr_nonnull(strstr(e.msg, "212 B"));
    df_net_free(n);
    n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 212, 8, 16, 1), 1);
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_OK);
    strcpy(e.msg, "stale"); /* the remembered answer clears the error as the first one did */
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_OK);
    ck_assert_str_eq(e.msg, "");
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_mapping_eval_structure) {
    df_workload w;
    chain2(&w);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 4);
    df_mapping m;
    df_mapping_init(&m, 2);
    df_metrics mt;
    df_err e;
    df_mapping_push(&m, 0, 0, 4);
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_EINVAL); /* does not cover layer 1 */
    df_mapping_push(&m, 2, 2, 1);
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_EINVAL); /* gap */
    ck_assert_int_eq(e.field, DF_FIELD_GROUPS); /* the library names the field; report spells "/groups/1" */
    ck_assert_str_eq(e.sub, "1");
    m.groups[1] = (df_group){.first = 1, .last = 1, .micro_batch = 5};
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_EINVAL); /* micro_batch > N */
    m.groups[1] = (df_group){.first = 1, .last = 1, .micro_batch = 3};
    df_group_cost gc[2];
    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, gc, &e), DF_OK);
    ck_assert(mt.feasible);
    ck_assert_double_eq(mt.latency_cycles, gc[0].latency_cycles + gc[1].latency_cycles);
    ck_assert_double_eq(mt.dram_bytes, gc[0].dram_bytes + gc[1].dram_bytes);
    ck_assert_int_eq(gc[1].n_micro, 2);
    ck_assert_double_eq_tol(mt.latency_s, mt.latency_cycles / 1e9, 1e-18);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_footprint_monotone) {
    /* The exact solver's early exits rely on: footprint non-decreasing in m and in the group end. */
    df_rng r;
    df_rng_seed(&r, 7);
    for (int t = 0; t < 40; t++) {
        df_workload w;
        tu_random_workload(&w, &r, 8, t % 2);
        df_dataflow d = (df_dataflow)(t % 3);
        df_net *n = mknet(&w, tu_hw(8, 8, d, 1 << 16, 8, 16, 1 + t % 2), 6);
        for (int32_t i = 0; i < w.n_layers; i++)
            for (int32_t j = i; j < w.n_layers; j++)
                for (int32_t m = 1; m <= 6; m++) {
                    df_group_cost a, b;
                    df_group_eval(n, i, j, m, &a);
                    if (m < 6) {
                        df_group_eval(n, i, j, m + 1, &b);
                        ck_assert(!(b.feasible && !a.feasible));
                    }
                    if (j + 1 < w.n_layers) {
                        df_group_eval(n, i, j + 1, m, &b);
                        ck_assert(!(b.feasible && !a.feasible));
                    }
                }
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* df_mapping_footprints runs the group scoring itself: over each group's layers the largest live
 * footprint is the group's footprint_bytes, the weight part never exceeds the total, and the
 * hand-computed chain2 values hold per layer. */
START_TEST(test_layer_footprints_match_groups) {
    df_workload w;
    chain2(&w);
    df_net *n = mknet(&w, tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 20, 8, 16, 1), 2);
    df_mapping map;
    ck_assert_int_eq(df_mapping_init(&map, 4), DF_OK);
    ck_assert_int_eq(df_mapping_push(&map, 0, 1, 2), DF_OK);
    df_layer_footprint fp[2];
    df_err e;
    ck_assert_int_eq(df_mapping_footprints(n, &map, fp, &e), DF_OK);
    /* resident: all weights (140) + m x (held t0 256 + line buffer 72 | held t0 256 + out row 64) */
    ck_assert_int_eq(fp[0].weight_bytes, 140);
    ck_assert_int_eq(fp[0].bytes, 140 + 2 * 328);
    ck_assert_int_eq(fp[1].bytes, 140 + 2 * 320);
    map.groups[0].last = 0; /* no longer covers layer 1 */
    ck_assert_int_eq(df_mapping_footprints(n, &map, fp, &e), DF_EINVAL);
    df_mapping_free(&map);
    df_net_free(n);
    df_workload_free(&w);

    df_rng r;
    df_rng_seed(&r, 11);
    for (int t = 0; t < 30; t++) {
        df_workload rw;
        tu_random_workload(&rw, &r, 12, t % 2);
        df_net *rn = mknet(&rw, tu_hw(8, 8, (df_dataflow)(t % 3), 1 << (12 + t % 6), 8, 16, 1 + t % 2), 4);
        df_mapping m;
        ck_assert_int_eq(df_mapping_init(&m, 4), DF_OK);
        for (int32_t i = 0; i < rw.n_layers;) {
            int32_t len = 1 + df_rng_range(&r, 5), last = i + len - 1 < rw.n_layers ? i + len - 1 : rw.n_layers - 1;
            ck_assert_int_eq(df_mapping_push(&m, i, last, 1 + df_rng_range(&r, 4)), DF_OK);
            i = last + 1;
        }
        df_layer_footprint *lf = calloc((size_t)rw.n_layers, sizeof *lf);
        df_group_cost *gc = calloc((size_t)m.n_groups, sizeof *gc);
        df_metrics met;
        ck_assert_int_eq(df_mapping_eval(rn, &m, &met, gc, &e), DF_OK);
        ck_assert_int_eq(df_mapping_footprints(rn, &m, lf, &e), DF_OK);
        for (int32_t g = 0; g < m.n_groups; g++) {
            int64_t mx = 0;
            for (int32_t i = m.groups[g].first; i <= m.groups[g].last; i++) {
                ck_assert(lf[i].weight_bytes >= 0 && lf[i].weight_bytes <= lf[i].bytes);
                if (lf[i].bytes > mx) mx = lf[i].bytes;
            }
            ck_assert_int_eq(mx, gc[g].footprint_bytes);
            ck_assert_int_eq(gc[g].feasible, mx <= df_net_hw(rn)->buffer_bytes);
        }
        free(lf);
        free(gc);
        df_mapping_free(&m);
        df_net_free(rn);
        df_workload_free(&rw);
    }
}
END_TEST

/* every field of two group costs, the doubles bit for bit */
static int same_cost_bits(const df_group_cost *a, const df_group_cost *b) {
    return a->feasible == b->feasible && a->weights_resident == b->weights_resident &&
           a->micro_batch == b->micro_batch && a->n_micro == b->n_micro && a->footprint_bytes == b->footprint_bytes &&
           a->peak_layer == b->peak_layer && !memcmp(&a->latency_cycles, &b->latency_cycles, sizeof(double)) &&
           !memcmp(&a->energy_pj, &b->energy_pj, sizeof(double)) &&
           !memcmp(&a->dram_bytes, &b->dram_bytes, sizeof(double)) &&
           !memcmp(&a->compute_cycles, &b->compute_cycles, sizeof(double)) &&
           !memcmp(&a->macs, &b->macs, sizeof(double)) && !memcmp(&a->layer_macs, &b->layer_macs, sizeof(double)) &&
           a->tiles_y == b->tiles_y && a->tiles_x == b->tiles_x;
}

static void memo_vs_eval(const df_net *n, df_group_memo *g, int32_t first, int32_t last, int32_t m, const char *what) {
    df_group_cost a, b;
    int ra = df_group_eval_memo(n, g, first, last, m, &a), rb = df_group_eval(n, first, last, m, &b);
    ck_assert_int_eq(ra, rb);
    ck_assert_msg(same_cost_bits(&a, &b), "%s [%d, %d] at m %d: memo %.17g %.17g fp %lld, eval %.17g %.17g fp %lld",
                  what, first, last, m, a.latency_cycles, a.energy_pj, (long long)a.footprint_bytes, b.latency_cycles,
                  b.energy_pj, (long long)b.footprint_bytes);
}

/* df_group_eval_memo is df_group_eval bit for bit: groups grown one layer at a time from several
 * starts and micro-batches over zoo networks at budgets where the residency flips as they grow (the
 * decode's pattern), then random calls (longer, shorter, equal, another start or micro-batch, a bad
 * range) on random DAGs under the three dataflows; another net falls back to df_group_eval. */
START_TEST(test_group_memo_equals_eval) {
    const char *nets[] = {"gpt2_small_decode", "gpt2_small", "resnet50", "efficientnet_b0", "unet"};
    const int64_t budgets[] = {256 << 10, 2 << 20};
    long calls = 0, flips = 0;
    for (size_t z = 0; z < sizeof nets / sizeof nets[0]; z++)
        for (int bu = 0; bu < 2; bu++) {
            df_net *n = tu_zoo_net(nets[z], budgets[bu], 8, NULL);
            df_group_memo *g;
            ck_assert_int_eq(df_group_memo_new(n, &g), DF_OK);
            int32_t L = df_net_layers(n);
            const int32_t starts[] = {0, 1, L / 3, L - 2};
            for (int si = 0; si < 4; si++)
                for (int32_t m = 1; m <= 8; m *= 2) {
                    int prev = -1;
                    for (int32_t last = starts[si]; last < L; last++) {
                        memo_vs_eval(n, g, starts[si], last, m, nets[z]);
                        df_group_cost c;
                        df_group_eval(n, starts[si], last, m, &c);
                        flips += prev >= 0 && c.weights_resident != prev;
                        prev = c.weights_resident;
                        calls++;
                    }
                }
            df_group_memo_free(g);
            df_net_free(n);
        }
    ck_assert_int_gt(flips, 0); /* the residency did change inside some grown group */
    df_rng r;
    df_rng_seed(&r, 15);
    for (int t = 0; t < 30; t++) {
        df_workload rw;
        tu_random_workload(&rw, &r, 24, t % 2);
        df_net *rn = mknet(&rw, tu_hw(8, 8, (df_dataflow)(t % 3), 1 << (12 + t % 6), 8, 16, 1 + t % 2), 4);
        df_net *other = mknet(&rw, tu_hw(8, 8, (df_dataflow)(t % 3), 1 << (12 + t % 6), 8, 16, 1 + t % 2), 4);
        df_group_memo *g;
        ck_assert_int_eq(df_group_memo_new(rn, &g), DF_OK);
        int32_t first = 0, last = 0, m = 1;
        for (int k = 0; k < 200; k++) {
            int op = df_rng_range(&r, 10);
            if (op < 5 && last + 1 < rw.n_layers)
                last++;
            else if (op == 5 && last > first)
                last--;
            else if (op == 6)
                m = 1 + df_rng_range(&r, 4);
            else if (op == 7)
                first = last = df_rng_range(&r, rw.n_layers);
            else if (op == 8)
                memo_vs_eval(other, g, first, last, m, "another net");
            else if (op == 9)
                memo_vs_eval(rn, g, first, last + df_rng_range(&r, 3) * rw.n_layers, m, "bad range");
            memo_vs_eval(rn, g, first, last, m, "random");
            calls++;
        }
        df_group_memo_free(g);
        df_net_free(rn);
        df_net_free(other);
        df_workload_free(&rw);
    }
    printf("  group memo vs df_group_eval: %ld calls identical bit for bit (%ld residency flips)\n", calls, flips);
}
END_TEST

/* df_tiled_prepare_reuse (the decode's close slots: one axes per group, the regions' workspace and
 * two tiled workspaces reused over the options and across groups, the previous option's figures) and
 * df_tiled_prepare_in give df_group_eval_tiled's numbers bit for bit, on every tile option */
static void same_cost(const df_group_cost *a, const df_group_cost *b, const char *what) {
    ck_assert_msg(a->feasible == b->feasible && a->weights_resident == b->weights_resident &&
                      a->footprint_bytes == b->footprint_bytes && a->n_micro == b->n_micro &&
                      a->peak_layer == b->peak_layer && a->tiles_y == b->tiles_y && a->tiles_x == b->tiles_x,
                  "%s: footprint fields differ", what);
    ck_assert_msg(!memcmp(&a->latency_cycles, &b->latency_cycles, sizeof(double)) &&
                      !memcmp(&a->energy_pj, &b->energy_pj, sizeof(double)) &&
                      !memcmp(&a->dram_bytes, &b->dram_bytes, sizeof(double)) &&
                      !memcmp(&a->compute_cycles, &b->compute_cycles, sizeof(double)) &&
                      !memcmp(&a->macs, &b->macs, sizeof(double)) &&
                      !memcmp(&a->layer_macs, &b->layer_macs, sizeof(double)),
                  "%s: %.17g vs %.17g latency", what, a->latency_cycles, b->latency_cycles);
}

START_TEST(test_tiled_reuse_equals_eval) {
    const char *nets[] = {"resnet50", "mobilenetv2_512", "unet", "yolov5s_backbone"};
    const int64_t budgets[] = {256 << 10, 2 << 20};
    long calls = 0;
    for (size_t z = 0; z < sizeof nets / sizeof nets[0]; z++)
        for (int bu = 0; bu < 2; bu++) {
            df_net *n = tu_zoo_net(nets[z], budgets[bu], 4, NULL);
            const df_workload *w = df_net_workload(n);
            int32_t L = df_net_layers(n);
            df_tiled *tp[2] = {NULL, NULL};
            df_tile_suffix *geo = NULL;
            int cur = 0;
            for (int32_t last = 0; last < L; last += 1 + last % 3) {
                df_tile_option o[DF_MAX_TILE_OPTIONS];
                int32_t no = df_tile_options(w, last, o);
                for (int32_t len = 1; len <= 5 && len <= last + 1; len += 2) {
                    int32_t first = last - len + 1, f0 = first > 2 ? first - 2 * (len % 2) : 0;
                    df_tile_axes *axes;
                    ck_assert_int_eq(df_tile_axes_new_range(w, f0, last, &axes), DF_OK);
                    for (int32_t k = 0; k < no; k++) {
                        df_group g = {.first = first,
                                      .last = last,
                                      .micro_batch = 1,
                                      .tile_rows = o[k].rows,
                                      .tile_cols = o[k].cols,
                                      .overlap = o[k].overlap};
                        ck_assert_int_eq(df_tiled_prepare_reuse(n, axes, &g, tp[1 - cur], &geo, &tp[cur]), DF_OK);
                        df_tiled *one;
                        ck_assert_int_eq(df_tiled_prepare_in(n, axes, &g, NULL, &one), DF_OK);
                        for (int32_t m = 1; m <= 4; m *= 2) {
                            df_group_cost a, b, c;
                            g.micro_batch = m;
                            ck_assert_int_eq(df_group_eval_tiled(n, &g, &a), DF_OK);
                            ck_assert_int_eq(df_tiled_cost(n, tp[cur], m, &b), DF_OK);
                            ck_assert_int_eq(df_tiled_cost(n, one, m, &c), DF_OK);
                            same_cost(&a, &b, nets[z]);
                            same_cost(&a, &c, nets[z]);
                            calls++;
                        }
                        df_tiled_free(one);
                        cur = 1 - cur;
                    }
                    df_tile_axes_free(axes);
                }
            }
            df_tiled_free(tp[0]);
            df_tiled_free(tp[1]);
            df_tile_suffix_free(geo);
            df_net_free(n);
        }
    printf("  df_tiled_prepare_reuse / _in vs df_group_eval_tiled: %ld evaluations identical bit for bit\n", calls);
}
END_TEST

/* df_layer_alone_key: every pair of layers with the same key (zoo networks with repeated blocks and
 * without, two budgets) costs the same alone at every micro-batch, bit for bit but for peak_layer;
 * the repeated blocks are found */
START_TEST(test_layer_alone_key) {
    const char *nets[] = {"gpt2_small_decode", "vit_b_16", "bert_base", "resnet50", "llama7b_block_decode"};
    const int64_t budgets[] = {256 << 10, 2 << 20};
    long pairs = 0, layers = 0;
    for (size_t z = 0; z < sizeof nets / sizeof nets[0]; z++)
        for (int bu = 0; bu < 2; bu++) {
            df_net *n = tu_zoo_net(nets[z], budgets[bu], 8, NULL);
            int32_t L = df_net_layers(n);
            for (int32_t t = 0; t < L; t++) {
                df_layer_alone_key kt, ku;
                df_layer_alone_key_of(n, t, &kt);
                for (int32_t u = 0; u < t; u++) {
                    df_layer_alone_key_of(n, u, &ku);
                    if (memcmp(&kt, &ku, sizeof kt)) continue;
                    for (int32_t m = 1; m <= 8; m++) {
                        df_group_cost a, b;
                        ck_assert_int_eq(df_group_eval(n, t, t, m, &a), DF_OK);
                        ck_assert_int_eq(df_group_eval(n, u, u, m, &b), DF_OK);
                        ck_assert_int_eq(a.peak_layer, t);
                        b.peak_layer = t;
                        ck_assert_msg(same_cost_bits(&a, &b), "%s layers %d and %d alone at m %d differ", nets[z], t, u,
                                      m);
                    }
                    pairs++;
                    break;
                }
            }
            layers += L;
            df_net_free(n);
        }
    ck_assert_int_gt(pairs, 100);
    printf("  layers alone: %ld of %ld layers have the key of an earlier one and cost the same at every m\n", pairs,
           layers);
}
END_TEST

static Suite *cost_suite(void) {
    Suite *s = suite_create("cost");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dram_layer_by_layer_vs_fused);
    tcase_add_test(tc, test_rs_ifmap_reread_per_filter_pass);
    tcase_add_test(tc, test_streamed_weights_reload_per_micro_batch);
    tcase_add_test(tc, test_skip_tensor_held_across_group);
    tcase_add_test(tc, test_output_consumed_inside_and_after);
    tcase_add_test(tc, test_compute_cycles_per_dataflow);
    tcase_add_test(tc, test_latency_is_max_of_compute_dram_noc);
    tcase_add_test(tc, test_rs_pass_tiling_by_hand);
    tcase_add_test(tc, test_rs_ramp_and_psum_networks);
    tcase_add_test(tc, test_net_init_shape_reuse);
    tcase_add_test(tc, test_eyeriss_alexnet_active_pes);
    tcase_add_test(tc, test_vgg16_fits_eyeriss);
    tcase_add_test(tc, test_density_and_static_energy);
    tcase_add_test(tc, test_density_json);
    tcase_add_test(tc, test_eyeriss_alexnet_vs_chip);
    tcase_add_test(tc, test_eyeriss_alexnet_pass_time);
    tcase_add_test(tc, test_rs_images_per_pass_by_dram);
    tcase_add_test(tc, test_budget_too_small_names_layer);
    tcase_add_test(tc, test_mapping_eval_structure);
    tcase_add_test(tc, test_footprint_monotone);
    tcase_add_test(tc, test_layer_footprints_match_groups);
    tcase_add_test(tc, test_group_memo_equals_eval);
    tcase_add_test(tc, test_layer_alone_key);
    tcase_add_test(tc, test_tiled_reuse_equals_eval);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(cost_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
