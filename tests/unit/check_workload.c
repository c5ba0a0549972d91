/* check_workload.c - unit tests of src/core/workload.c: derived output shapes, MAC and weight counts
 * per layer type, and every validation rule rejected with the right layer, pointer and message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/cost.h"
#include "dnnfuser/json.h"
#include "dnnfuser/workload.h"

/* Appends a layer with every field given; in1 == -99 means a single input. Returns its index. */
static int32_t lay(df_workload *w, df_layer_type t, int32_t K, int32_t C, int32_t Y, int32_t X, int32_t R, int32_t S,
                   int32_t stride, int32_t pad, int32_t groups, int32_t in0, int32_t in1) {
    df_layer l;
    memset(&l, 0, sizeof l);
    snprintf(l.name, sizeof l.name, "L%d", w->n_layers);
    l.type = t;
    l.K = K;
    l.C = C;
    l.Y = Y;
    l.X = X;
    l.R = R;
    l.S = S;
    l.stride = stride;
    l.pad = pad;
    l.groups = groups;
    l.n_inputs = 1;
    l.inputs[0] = in0;
    if (in1 != -99) {
        l.inputs[1] = in1;
        l.n_inputs = 2;
    }
    ck_assert_int_eq(df_workload_add(w, &l, NULL), DF_OK);
    return w->n_layers - 1;
}

/* conv: K, C, Y, X, square kernel R with stride and pad, one input */
static int32_t conv(df_workload *w, int32_t K, int32_t C, int32_t Y, int32_t X, int32_t R, int32_t stride, int32_t pad,
                    int32_t in) {
    return lay(w, DF_LAYER_CONV, K, C, Y, X, R, R, stride, pad, 1, in, -99);
}

/* Validation must fail with DF_EINVAL at layer `layer`, pointer `ptr`, message containing `needle`. */
static void expect_err(df_workload *w, int32_t layer, const char *ptr, const char *needle) {
    df_err e;
    int rc = df_workload_validate(w, 0, &e);
    ck_assert_msg(rc == DF_EINVAL, "expected DF_EINVAL, got %d (%s)", rc, e.msg);
    ck_assert_int_eq(e.code, DF_EINVAL);
    ck_assert_int_eq(e.layer, layer);
    ck_assert_str_eq(e.pointer, ptr);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "message '%s' lacks '%s'", e.msg, needle);
    df_workload_free(w);
}

static void expect_ok(df_workload *w) {
    df_err e;
    int rc = df_workload_validate(w, 0, &e);
    ck_assert_msg(rc == DF_OK, "unexpected error: %s (%s)", e.msg, e.pointer);
}

/* ---- valid workloads: derived shapes and counts ---- */

START_TEST(test_conv_resnet_stem) {
    df_workload w;
    df_workload_init(&w, "stem");
    conv(&w, 64, 3, 224, 224, 7, 2, 3, -1);
    expect_ok(&w);
    const df_layer *l = &w.layers[0];
    ck_assert_int_eq(l->P, 112);
    ck_assert_int_eq(l->Q, 112);
    ck_assert_int_eq(df_layer_macs(l), 118013952LL);  /* 64*112*112*3*7*7 */
    ck_assert_int_eq(df_layer_weight_elems(l), 9408); /* 64*3*7*7 */
    ck_assert_int_eq(df_layer_out_elems(l), 802816);  /* 64*112*112 */
    ck_assert_int_eq(df_layer_in_elems(l), 150528);   /* 3*224*224 */
    ck_assert_int_eq(df_workload_macs(&w), 118013952LL);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_conv_shapes) {
    df_workload w;
    df_workload_init(&w, "shapes");
    conv(&w, 16, 3, 32, 30, 3, 1, 1, -1);                         /* same padding: 32x30 */
    conv(&w, 32, 16, 32, 30, 3, 2, 1, 0);                         /* (32+2-3)/2+1 = 16, (30+2-3)/2+1 = 15 */
    conv(&w, 8, 32, 16, 15, 1, 1, 0, 1);                          /* 1x1 */
    lay(&w, DF_LAYER_CONV, 8, 8, 16, 15, 3, 1, 1, 0, 1, 2, -99);  /* 3x1 kernel, no pad: 14x15 */
    lay(&w, DF_LAYER_CONV, 16, 8, 14, 15, 3, 3, 1, 1, 4, 3, -99); /* grouped conv, 4 groups */
    expect_ok(&w);
    ck_assert_int_eq(w.layers[0].P, 32);
    ck_assert_int_eq(w.layers[0].Q, 30);
    ck_assert_int_eq(w.layers[1].P, 16);
    ck_assert_int_eq(w.layers[1].Q, 15);
    ck_assert_int_eq(w.layers[2].P, 16);
    ck_assert_int_eq(w.layers[2].Q, 15);
    ck_assert_int_eq(df_layer_macs(&w.layers[2]), 8LL * 16 * 15 * 32);
    ck_assert_int_eq(w.layers[3].P, 14);
    ck_assert_int_eq(w.layers[3].Q, 15);
    ck_assert_int_eq(df_layer_macs(&w.layers[3]), 8LL * 14 * 15 * 8 * 3);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[3]), 8 * 8 * 3);
    ck_assert_int_eq(w.layers[4].P, 14);
    ck_assert_int_eq(df_layer_macs(&w.layers[4]), 16LL * 14 * 15 * 2 * 9); /* C/groups = 2 */
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[4]), 16 * 2 * 9);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_dwconv_counts) {
    df_workload w;
    df_workload_init(&w, "dw");
    lay(&w, DF_LAYER_DWCONV, 32, 32, 112, 112, 3, 3, 1, 1, 32, -1, -99);
    lay(&w, DF_LAYER_DWCONV, 64, 32, 112, 112, 3, 3, 2, 1, 32, 0, -99); /* channel multiplier 2 */
    expect_ok(&w);
    ck_assert_int_eq(w.layers[0].P, 112);
    ck_assert_int_eq(df_layer_macs(&w.layers[0]), 3612672LL); /* 32*112*112*9 */
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[0]), 288);
    ck_assert_int_eq(w.layers[1].P, 56);
    ck_assert_int_eq(w.layers[1].Q, 56);
    ck_assert_int_eq(df_layer_macs(&w.layers[1]), 64LL * 56 * 56 * 9);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[1]), 64 * 9);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_pool_fc_counts) {
    df_workload w;
    df_workload_init(&w, "head");
    conv(&w, 32, 3, 16, 16, 3, 1, 1, -1);
    lay(&w, DF_LAYER_POOL, 32, 32, 16, 16, 2, 2, 2, 0, 1, 0, -99); /* 8x8 */
    lay(&w, DF_LAYER_POOL, 32, 32, 8, 8, 3, 3, 2, 1, 1, 1, -99);   /* (8+2-3)/2+1 = 4 */
    lay(&w, DF_LAYER_FC, 10, 512, 1, 1, 1, 1, 1, 0, 1, 2, -99);    /* 32*4*4 flattened */
    expect_ok(&w);
    ck_assert_int_eq(w.layers[1].P, 8);
    ck_assert_int_eq(w.layers[2].P, 4);
    ck_assert_int_eq(w.layers[2].Q, 4);
    ck_assert_int_eq(df_layer_macs(&w.layers[1]), 0);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[1]), 0);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[2]), 512);
    ck_assert_int_eq(w.layers[3].P, 1);
    ck_assert_int_eq(w.layers[3].Q, 1);
    ck_assert_int_eq(df_layer_macs(&w.layers[3]), 5120);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[3]), 5120);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[3]), 10);
    ck_assert_int_eq(df_workload_macs(&w), 32LL * 256 * 27 + 5120);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_matmul_counts) {
    /* one attention score product: Q (768 x 128 tokens) times K^T per head, 12 heads of 64 */
    df_workload w;
    df_workload_init(&w, "attn");
    lay(&w, DF_LAYER_MATMUL, 768, 768, 128, 1, 1, 1, 1, 0, 1, -1, -99); /* Q projection */
    lay(&w, DF_LAYER_MATMUL, 768, 768, 128, 1, 1, 1, 1, 0, 1, -1, -99); /* K projection */
    lay(&w, DF_LAYER_MATMUL, 1536, 768, 128, 1, 1, 1, 1, 0, 12, 0, 1);  /* scores: 12 x 128 x 128 */
    lay(&w, DF_LAYER_MATMUL, 3072, 1536, 128, 1, 1, 1, 1, 0, 1, 2, -99);
    expect_ok(&w);
    ck_assert_int_eq(w.layers[0].P, 128);
    ck_assert_int_eq(w.layers[0].Q, 1);
    ck_assert_int_eq(df_layer_macs(&w.layers[0]), 768LL * 128 * 768);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[0]), 768 * 768);
    ck_assert_int_eq(df_layer_macs(&w.layers[2]), 1536LL * 128 * 64);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[2]), 0); /* both operands are activations */
    ck_assert_int_eq(df_layer_out_elems(&w.layers[2]), 1536 * 128);
    ck_assert_int_eq(df_layer_macs(&w.layers[3]), 3072LL * 128 * 1536);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_add_concat_counts) {
    df_workload w;
    df_workload_init(&w, "dag");
    conv(&w, 16, 16, 8, 8, 3, 1, 1, -1);                         /* 0 */
    conv(&w, 16, 16, 8, 8, 3, 1, 1, 0);                          /* 1 */
    lay(&w, DF_LAYER_ADD, 16, 16, 8, 8, 1, 1, 1, 0, 1, 1, -1);   /* 2: residual with the input */
    conv(&w, 24, 16, 8, 8, 1, 1, 0, 2);                          /* 3 */
    lay(&w, DF_LAYER_CONCAT, 40, 40, 8, 8, 1, 1, 1, 0, 1, 0, 3); /* 4: 16 + 24 */
    expect_ok(&w);
    ck_assert_int_eq(w.layers[2].P, 8);
    ck_assert_int_eq(w.layers[2].Q, 8);
    ck_assert_int_eq(df_layer_macs(&w.layers[2]), 0);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[2]), 0);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[2]), 16 * 64);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[4]), 40 * 64);
    ck_assert_int_eq(df_layer_macs(&w.layers[4]), 0);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_copy_and_names) {
    df_workload w, c;
    df_err e;
    df_workload_init(&w, "orig");
    for (int i = 0; i < 100; i++) conv(&w, 4, 4, 4, 4, 1, 1, 0, i - 1); /* grows past the initial capacity */
    expect_ok(&w);
    ck_assert_int_eq(df_workload_copy(&c, &w, &e), DF_OK);
    ck_assert_str_eq(c.name, "orig");
    ck_assert_int_eq(c.n_layers, 100);
    ck_assert_ptr_ne(c.layers, w.layers);
    ck_assert_int_eq(memcmp(c.layers, w.layers, 100 * sizeof *w.layers), 0);
    df_workload_free(&w);
    ck_assert_int_eq(c.layers[99].inputs[0], 98);
    df_workload_free(&c);
    df_workload_free(&c); /* idempotent */
    ck_assert_str_eq(df_layer_type_name(DF_LAYER_CONCAT), "concat");
    ck_assert_str_eq(df_layer_type_name(DF_LAYER_NTYPES), "?");
    df_layer_type t;
    ck_assert_int_eq(df_layer_type_parse("dwconv", &t), DF_OK);
    ck_assert_int_eq(t, DF_LAYER_DWCONV);
    ck_assert_int_eq(df_layer_type_parse("Conv", &t), DF_EINVAL);
    ck_assert_int_eq(df_layer_type_parse(NULL, &t), DF_EINVAL);
}
END_TEST

/* ---- rejections ---- */

START_TEST(test_bad_dims) {
    df_workload w;
    df_workload_init(&w, "x");
    conv(&w, 0, 3, 8, 8, 3, 1, 1, -1);
    expect_err(&w, 0, "/layers/0/K", "K = 0");
    df_workload_init(&w, "x");
    conv(&w, 8, -3, 8, 8, 3, 1, 1, -1);
    expect_err(&w, 0, "/layers/0/C", "C = -3");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 1 << 25, 8, 3, 1, 1, -1);
    expect_err(&w, 0, "/layers/0/Y", "Y = 33554432");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 0, 3, 1, 1, -1);
    expect_err(&w, 0, "/layers/0/X", "X = 0");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 0, 1, 0, -1);
    expect_err(&w, 0, "/layers/0/R", "R = 0");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_CONV, 8, 3, 8, 8, 3, -1, 1, 1, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/S", "S = -1");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 0, 1, -1);
    expect_err(&w, 0, "/layers/0/stride", "stride = 0");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 2000, 1, -1);
    expect_err(&w, 0, "/layers/0/stride", "stride = 2000");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, -1, -1);
    expect_err(&w, 0, "/layers/0/pad", "pad = -1");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_CONV, 8, 3, 8, 8, 3, 3, 1, 1, 0, -1, -99);
    expect_err(&w, 0, "/layers/0/groups", "groups = 0");
    /* a later layer: the index is reported */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 8, 8, 8, 8, 3, 1, 1, 0);
    conv(&w, -8, 8, 8, 8, 3, 1, 1, 1);
    expect_err(&w, 2, "/layers/2/K", "K = -8");
}
END_TEST

START_TEST(test_huge_tensor) {
    /* every dimension at its maximum: products overflow int64, must be rejected cleanly */
    df_workload w;
    df_workload_init(&w, "x");
    conv(&w, 1 << 24, 1 << 24, 1 << 24, 1 << 24, 1, 1, 0, -1);
    expect_err(&w, 0, "/layers/0/K", "overflow");
    /* few weights, but 2^72 input/output elements: an int64 product would wrap to 0 */
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_DWCONV, 1 << 24, 1 << 24, 1 << 24, 1 << 24, 1, 1, 1, 0, 1 << 24, -1, -99);
    expect_err(&w, 0, "/layers/0/K", "overflow");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_POOL, 1 << 24, 1 << 24, 1 << 24, 1 << 24, 1, 1, 1, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/K", "overflow");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_FC, 1 << 24, 1 << 24, 1, 1, 1, 1, 1, 0, 1, -1, -99); /* 2^48 weights */
    expect_err(&w, 0, "/layers/0/K", "overflow");
    /* large but within range */
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_FC, 1 << 16, 1 << 16, 1, 1, 1, 1, 1, 0, 1, -1, -99);
    expect_ok(&w);
    ck_assert_int_eq(df_layer_macs(&w.layers[0]), 1LL << 32);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_kernel_too_large) {
    df_workload w;
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 4, 4, 7, 1, 1, -1);
    expect_err(&w, 0, "/layers/0/R", "R = 7");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_CONV, 8, 3, 8, 4, 3, 7, 1, 1, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/S", "S = 7");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_POOL, 3, 3, 2, 2, 3, 3, 1, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/R", "R = 3");
    /* exactly fits once padded: 4 + 2*1 = 6 >= 6 */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 4, 4, 6, 1, 1, -1);
    expect_ok(&w);
    ck_assert_int_eq(w.layers[0].P, 1);
    df_workload_free(&w);
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 3, -1);
    expect_err(&w, 0, "/layers/0/pad", "pad = 3");
}
END_TEST

START_TEST(test_bad_inputs) {
    df_workload w;
    /* dangling */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 8, 8, 8, 8, 3, 1, 1, -2);
    expect_err(&w, 1, "/layers/1/inputs/0", "-2");
    /* forward reference */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 8, 8, 8, 8, 3, 1, 1, 2);
    conv(&w, 8, 8, 8, 8, 3, 1, 1, 1);
    expect_err(&w, 1, "/layers/1/inputs/0", "not an earlier layer");
    /* self input: a cycle */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 8, 8, 8, 8, 3, 1, 1, 1);
    expect_err(&w, 1, "/layers/1/inputs/0", "cycles");
    /* second operand forward */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_ADD, 8, 8, 8, 8, 1, 1, 1, 0, 1, 0, 5);
    expect_err(&w, 1, "/layers/1/inputs/1", "5");
    /* input counts */
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_ADD, 8, 8, 8, 8, 1, 1, 1, 0, 1, 0, -99);
    expect_err(&w, 1, "/layers/1/inputs", "at least 2");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_CONV, 8, 8, 8, 8, 3, 3, 1, 1, 1, 0, 0);
    expect_err(&w, 1, "/layers/1/inputs", "exactly 1");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    w.layers[0].n_inputs = 0;
    expect_err(&w, 0, "/layers/0/inputs", "inputs");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    w.layers[0].n_inputs = DF_MAX_INPUTS + 1;
    expect_err(&w, 0, "/layers/0/inputs", "inputs");
}
END_TEST

START_TEST(test_shape_mismatch) {
    df_workload w;
    /* channels: producer makes 16, consumer expects 32 */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 8, 32, 8, 8, 3, 1, 1, 0);
    expect_err(&w, 1, "/layers/1/inputs/0", "16x8x8");
    /* spatial: producer is 4x4 after stride 2 */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 2, 1, -1);
    conv(&w, 8, 16, 8, 8, 3, 1, 1, 0);
    expect_err(&w, 1, "/layers/1/inputs/0", "16x4x4");
    /* two layers disagree about the network input */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 16, 4, 8, 8, 3, 1, 1, -1);
    expect_err(&w, 1, "/layers/1/inputs/0", "network input");
    /* add with mismatched shapes */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 32, 32, 3, 1, 1, -1);
    conv(&w, 16, 16, 32, 32, 3, 2, 1, 0);
    lay(&w, DF_LAYER_ADD, 16, 16, 32, 32, 1, 1, 1, 0, 1, 0, 1);
    expect_err(&w, 2, "/layers/2/inputs/1", "16x16x16");
    /* concat: channel sum wrong */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 32, 16, 8, 8, 3, 1, 1, 0);
    lay(&w, DF_LAYER_CONCAT, 40, 40, 8, 8, 1, 1, 1, 0, 1, 0, 1);
    expect_err(&w, 2, "/layers/2/C", "48 channels");
    /* concat: spatial sizes differ */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    conv(&w, 32, 16, 8, 8, 3, 2, 1, 0);
    lay(&w, DF_LAYER_CONCAT, 48, 48, 8, 8, 1, 1, 1, 0, 1, 0, 1);
    expect_err(&w, 2, "/layers/2/inputs/1", "4x4");
    /* concat of the network input */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_CONCAT, 19, 19, 8, 8, 1, 1, 1, 0, 1, 0, -1);
    expect_err(&w, 1, "/layers/1/inputs/1", "network input");
    /* fc: flattened size differs */
    df_workload_init(&w, "x");
    conv(&w, 16, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_FC, 10, 1000, 1, 1, 1, 1, 1, 0, 1, 0, -99);
    expect_err(&w, 1, "/layers/1/inputs/0", "1024");
    /* matmul: second operand does not hold K*C/groups elements */
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_MATMUL, 64, 64, 16, 1, 1, 1, 1, 0, 1, -1, -99);
    lay(&w, DF_LAYER_MATMUL, 32, 64, 16, 1, 1, 1, 1, 0, 1, -1, -99);
    lay(&w, DF_LAYER_MATMUL, 64, 64, 16, 1, 1, 1, 1, 0, 4, 0, 1); /* needs 64*16 = 1024, gets 32*16 = 512 */
    expect_err(&w, 2, "/layers/2/inputs/1", "1024");
}
END_TEST

START_TEST(test_type_rules) {
    df_workload w;
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_DWCONV, 32, 32, 8, 8, 3, 3, 1, 1, 16, -1, -99);
    expect_err(&w, 0, "/layers/0/groups", "groups == C");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_DWCONV, 48, 32, 8, 8, 3, 3, 1, 1, 32, -1, -99);
    expect_err(&w, 0, "/layers/0/K", "multiple");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_CONV, 32, 30, 8, 8, 3, 3, 1, 1, 4, -1, -99);
    expect_err(&w, 0, "/layers/0/groups", "groups = 4");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_FC, 10, 64, 8, 1, 1, 1, 1, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/Y", "fc");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_FC, 10, 64, 1, 1, 1, 1, 1, 0, 2, -1, -99);
    expect_err(&w, 0, "/layers/0/groups", "groups");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_FC, 10, 64, 1, 1, 3, 3, 1, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/R", "no window");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_MATMUL, 10, 64, 8, 2, 1, 1, 1, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/X", "X must be 1");
    df_workload_init(&w, "x");
    lay(&w, DF_LAYER_POOL, 16, 8, 8, 8, 2, 2, 2, 0, 1, -1, -99);
    expect_err(&w, 0, "/layers/0/K", "K (16) must equal C (8)");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    lay(&w, DF_LAYER_ADD, 8, 8, 8, 8, 1, 1, 2, 0, 1, 0, 0);
    expect_err(&w, 1, "/layers/1/stride", "no window");
    df_workload_init(&w, "x");
    conv(&w, 8, 3, 8, 8, 3, 1, 1, -1);
    w.layers[0].type = (df_layer_type)99;
    expect_err(&w, 0, "/layers/0/type", "type");
}
END_TEST

START_TEST(test_layer_limits) {
    df_workload w;
    df_err e;
    df_workload_init(&w, "x");
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/layers");
    for (int i = 0; i < 10; i++) conv(&w, 4, 4, 4, 4, 1, 1, 0, i - 1);
    ck_assert_int_eq(df_workload_validate(&w, 10, &e), DF_OK);
    ck_assert_int_eq(df_workload_validate(&w, 9, &e), DF_ELIMIT);
    ck_assert_int_eq(e.code, DF_ELIMIT);
    ck_assert_str_eq(e.pointer, "/layers");
    ck_assert_ptr_nonnull(strstr(e.msg, "limit is 9"));
    df_workload_free(&w);
    /* default limit DF_DEFAULT_MAX_LAYERS when max_layers <= 0 */
    df_workload_init(&w, "x");
    for (int i = 0; i <= DF_DEFAULT_MAX_LAYERS; i++) conv(&w, 4, 4, 4, 4, 1, 1, 0, i - 1);
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_ELIMIT);
    w.n_layers--;
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
    df_workload_free(&w);
}
END_TEST

/* ---- issue 16: per-side windows, wide concat, the data-movement and vector types ---------------- */

static df_layer *last(df_workload *w) { return &w->layers[w->n_layers - 1]; }

/* expect_err that keeps the workload for the next case */
static void refused(df_workload *w, int32_t layer, const char *ptr, const char *needle) {
    df_err e;
    ck_assert_int_eq(df_workload_validate(w, 0, &e), DF_EINVAL);
    ck_assert_int_eq(e.layer, layer);
    ck_assert_str_eq(e.pointer, ptr);
    ck_assert_msg(strstr(e.msg, needle) != NULL, "message '%s' lacks '%s'", e.msg, needle);
}

static void valid(df_workload *w) {
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
}

START_TEST(test_per_side_window) {
    df_workload w;
    df_workload_init(&w, "t");
    /* inception_v3's 1x7 conv on 17x17, pads (0, 0, 3, 3): 17x17 out, 7 MACs per output per channel */
    lay(&w, DF_LAYER_CONV, 192, 128, 18, 18, 1, 7, 1, 0, 1, -1, -99);
    last(&w)->pad_l = last(&w)->pad_r = 3;
    valid(&w);
    ck_assert_int_eq(w.layers[0].P, 18);
    ck_assert_int_eq(w.layers[0].Q, 18);
    ck_assert_int_eq(df_layer_macs(&w.layers[0]), 192LL * 18 * 18 * 128 * 7);
    ck_assert(!df_layer_pads_symmetric(&w.layers[0]));
    /* ceil-mode pooling: 3x3 stride 2 on 18 is 8 rows; one extra bottom/right pad makes it 9 */
    lay(&w, DF_LAYER_POOL, 192, 192, 18, 18, 3, 3, 2, 0, 1, 0, -99);
    last(&w)->pad_b = last(&w)->pad_r = 1;
    valid(&w);
    ck_assert_int_eq(w.layers[1].P, 9);
    /* unequal strides: rows 1, cols 2 */
    lay(&w, DF_LAYER_CONV, 8, 192, 9, 9, 1, 3, 1, 0, 1, 1, -99);
    last(&w)->stride_x = 2;
    valid(&w);
    ck_assert_int_eq(w.layers[2].P, 9);
    ck_assert_int_eq(w.layers[2].Q, 4);
    /* both pad and pad_* given; a side pad not below the kernel */
    last(&w)->pad = 1;
    last(&w)->pad_t = 1;
    refused(&w, 2, "/layers/2/pad", "not both");
    last(&w)->pad = 0;
    refused(&w, 2, "/layers/2/pad_top", "not smaller than the kernel rows");
    df_workload_free(&w);
}
END_TEST

START_TEST(test_wide_concat) {
    df_workload w;
    df_workload_init(&w, "t");
    int32_t ins[DF_MAX_INPUTS];
    for (int j = 0; j < DF_MAX_INPUTS; j++) ins[j] = conv(&w, 32, 3, 8, 8, 3, 1, 1, -1);
    df_layer l;
    memset(&l, 0, sizeof l);
    l.type = DF_LAYER_CONCAT;
    l.K = l.C = 32 * DF_MAX_INPUTS;
    l.Y = l.X = 8;
    l.R = l.S = l.stride = l.groups = 1;
    l.n_inputs = DF_MAX_INPUTS;
    memcpy(l.inputs, ins, sizeof ins);
    ck_assert_int_eq(df_workload_add(&w, &l, NULL), DF_OK);
    valid(&w);
    ck_assert_int_eq(DF_MAX_INPUTS, 64); /* densenet201 concatenates 49 */
    last(&w)->n_inputs = DF_MAX_INPUTS + 1;
    refused(&w, DF_MAX_INPUTS, "/layers/64/inputs", "needs 1 to 64 inputs");
    df_workload_free(&w);
}
END_TEST

START_TEST(test_vector_types) {
    df_workload w;
    df_workload_init(&w, "t");
    /* ViT-like: 768 x 197 tokens; norm, softmax of 12 x 197 scores, gelu, a transpose and a slice */
    lay(&w, DF_LAYER_NORM, 768, 768, 197, 1, 1, 1, 1, 0, 1, -1, -99);
    lay(&w, DF_LAYER_ELTWISE, 768, 768, 197, 1, 1, 1, 1, 0, 1, 0, -99);
    last(&w)->op = DF_OP_GELU;
    lay(&w, DF_LAYER_LAYOUT, 197, 768, 197, 1, 1, 1, 1, 0, 1, 1, -99);
    last(&w)->out_y = 768; /* transpose: 197 channels x 768 rows */
    lay(&w, DF_LAYER_LAYOUT, 768, 768, 197, 1, 1, 1, 1, 0, 1, 1, -99);
    last(&w)->op = DF_OP_SLICE;
    last(&w)->out_y = 1; /* the class token */
    lay(&w, DF_LAYER_SOFTMAX, 768, 768, 197, 1, 1, 1, 1, 0, 1, 0, -99);
    valid(&w);
    ck_assert_int_eq(df_layer_op_of(&w.layers[0]), DF_OP_LAYERNORM);
    ck_assert_str_eq(df_layer_op_name(df_layer_op_of(&w.layers[1])), "gelu");
    ck_assert_int_eq(w.layers[2].P, 768);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[3]), 768);
    for (int i = 0; i < w.n_layers; i++) ck_assert_int_eq(df_layer_macs(&w.layers[i]), 0);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[0]), 2 * 768);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[4]), 0);
    ck_assert_int_eq(df_layer_type_feature(DF_LAYER_NORM), DF_LAYER_POOL);
    ck_assert_int_eq(df_layer_type_feature(DF_LAYER_DECONV), DF_LAYER_CONV);
    ck_assert_int_eq(df_layer_type_feature(DF_LAYER_ELTWISE), DF_LAYER_ADD);
    df_layer_type t;
    ck_assert_int_eq(df_layer_type_parse("softmax", &t), DF_OK);
    ck_assert_int_eq(t, DF_LAYER_SOFTMAX);
    df_layer_op op;
    ck_assert_int_eq(df_layer_op_parse(DF_LAYER_LAYOUT, "shuffle", &op), DF_OK);
    ck_assert_int_eq(df_layer_op_parse(DF_LAYER_LAYOUT, "gelu", &op), DF_EINVAL); /* another type's op */
    /* a transpose must keep every element; a slice cannot grow; gelu is not a layout op */
    w.layers[2].out_y = 700;
    refused(&w, 2, "/layers/2/K", "must be equal");
    w.layers[2].out_y = 768;
    w.layers[3].out_y = 300;
    refused(&w, 3, "/layers/3/K", "cannot be larger");
    w.layers[3].out_y = 1;
    w.layers[3].op = DF_OP_GELU;
    refused(&w, 3, "/layers/3/op", "not one of layout's");
    w.layers[3].op = DF_OP_SLICE;
    w.layers[4].out_y = 3;
    refused(&w, 4, "/layers/4/P", "derives its output size");
    df_workload_free(&w);
}
END_TEST

START_TEST(test_resize_deconv) {
    df_workload w;
    df_workload_init(&w, "t");
    lay(&w, DF_LAYER_RESIZE, 21, 21, 28, 28, 1, 1, 1, 0, 1, -1, -99);
    refused(&w, 0, "/layers/0/P", "needs the output size");
    last(&w)->out_y = last(&w)->out_x = 224;
    last(&w)->op = DF_OP_LINEAR;
    valid(&w);
    ck_assert_int_eq(df_layer_out_elems(&w.layers[0]), 21 * 224 * 224);
    /* ConvTranspose 4x4 stride 2 pads 1: 224 -> 448; MACs C*Y*X*(K/g)*R*S */
    lay(&w, DF_LAYER_DECONV, 8, 21, 224, 224, 4, 4, 2, 1, 1, 0, -99);
    valid(&w);
    ck_assert_int_eq(w.layers[1].P, 448);
    ck_assert_int_eq(df_layer_macs(&w.layers[1]), 21LL * 224 * 224 * 8 * 16);
    ck_assert_int_eq(df_layer_weight_elems(&w.layers[1]), 21LL * 8 * 16);
    last(&w)->out_y = 449; /* output_padding 1 < stride */
    valid(&w);
    ck_assert_int_eq(w.layers[1].P, 449);
    last(&w)->out_y = 450;
    refused(&w, 1, "/layers/1/P", "output_padding");
    df_workload_free(&w);
}
END_TEST

/* The new types read from JSON, written back identically, and costed: never zero when they move data. */
START_TEST(test_vector_types_json_and_cost) {
    const char *txt =
        "{\"name\": \"vec\", \"layers\": ["
        "{\"type\": \"conv\", \"K\": 16, \"C\": 3, \"Y\": 32, \"X\": 32, \"R\": 1, \"S\": 7, \"pad_left\": 3, "
        "\"pad_right\": 3},"
        "{\"type\": \"deconv\", \"K\": 8, \"C\": 16, \"Y\": 32, \"X\": 32, \"R\": 4, \"stride\": 2, \"pad\": 1, \"P\": "
        "65},"
        "{\"type\": \"resize\", \"op\": \"linear\", \"K\": 8, \"C\": 8, \"Y\": 65, \"X\": 64, \"P\": 130, \"Q\": 128},"
        "{\"type\": \"layout\", \"op\": \"shuffle\", \"K\": 8, \"C\": 8, \"Y\": 130, \"X\": 128},"
        "{\"type\": \"norm\", \"K\": 8, \"C\": 8, \"Y\": 130, \"X\": 128},"
        "{\"type\": \"softmax\", \"K\": 8, \"C\": 8, \"Y\": 130, \"X\": 128},"
        "{\"type\": \"eltwise\", \"op\": \"mul\", \"K\": 8, \"C\": 8, \"Y\": 130, \"X\": 128, \"inputs\": [5, 4]}]}";
    json_error_t je;
    json_t *j = json_loads(txt, 0, &je);
    ck_assert_msg(j != NULL, "%s", je.text);
    df_workload w;
    df_err e;
    ck_assert_msg(df_workload_from_json(j, "", 0, &w, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
    json_decref(j);
    ck_assert_int_eq(w.layers[0].Q, 32);
    ck_assert_int_eq(w.layers[1].P, 65);
    ck_assert_int_eq(w.layers[1].Q, 64);
    ck_assert_int_eq(df_layer_op_of(&w.layers[2]), DF_OP_LINEAR);
    ck_assert_int_eq(df_layer_op_of(&w.layers[3]), DF_OP_SHUFFLE);
    ck_assert_int_eq(df_layer_op_of(&w.layers[6]), DF_OP_MUL);
    /* round trip */
    json_t *back = df_workload_to_json(&w);
    df_workload w2;
    ck_assert_msg(df_workload_from_json(back, "", 0, &w2, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
    json_decref(back);
    ck_assert_int_eq(w2.n_layers, w.n_layers);
    for (int i = 0; i < w.n_layers; i++) {
        ck_assert_int_eq(w2.layers[i].type, w.layers[i].type);
        ck_assert_int_eq(df_layer_op_of(&w2.layers[i]), df_layer_op_of(&w.layers[i]));
        ck_assert_int_eq(w2.layers[i].P, w.layers[i].P);
        ck_assert_int_eq(w2.layers[i].Q, w.layers[i].Q);
        ck_assert_int_eq(df_layer_macs(&w2.layers[i]), df_layer_macs(&w.layers[i]));
    }
    df_workload_free(&w2);
    /* an op on a type without ops, P on a conv */
    j = json_loads("{\"layers\": [{\"type\": \"conv\", \"op\": \"relu\", \"K\": 8, \"C\": 3, \"Y\": 8, \"X\": 8}]}", 0,
                   &je);
    ck_assert_int_eq(df_workload_from_json(j, "", 0, &w2, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/layers/0/op");
    json_decref(j);
    df_workload_free(&w2);
    /* cost: every layer alone moves data through DRAM and takes cycles */
    df_hw hw;
    ck_assert_int_eq(df_hw_preset("edge", &hw, NULL), DF_OK);
    hw.buffer_bytes = 64 << 20;
    df_net *n = NULL;
    ck_assert_msg(df_net_init(&n, &w, &hw, 2, &e) == DF_OK, "%s", e.msg);
    for (int i = 0; i < w.n_layers; i++) {
        df_group_cost g;
        df_group_eval(n, i, i, 1, &g);
        const df_layer_figures *f = df_net_layer_figures(n, i);
        ck_assert_msg(g.feasible, "layer %d", i);
        ck_assert_msg(g.latency_cycles > 0 && g.dram_bytes > 0 && g.energy_pj > 0 && f->compute_cycles > 0,
                      "layer %d (%s) costed as zero", i, df_layer_type_name(w.layers[i].type));
        ck_assert_msg(f->macs == (double)df_layer_macs(&w.layers[i]), "layer %d", i);
        ck_assert_int_eq(f->out_elems, df_layer_out_elems(&w.layers[i]));
    }
    /* fusing the chain keeps the intermediates on chip: less DRAM than layer by layer */
    df_group_cost all, one;
    df_group_eval(n, 2, 6, 1, &all);
    double lbl = 0;
    for (int i = 2; i <= 6; i++) {
        df_group_eval(n, i, i, 1, &one);
        lbl += one.dram_bytes;
    }
    ck_assert(all.feasible && all.dram_bytes < lbl);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

static Suite *workload_suite(void) {
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_conv_resnet_stem);
    tcase_add_test(tc, test_conv_shapes);
    tcase_add_test(tc, test_dwconv_counts);
    tcase_add_test(tc, test_pool_fc_counts);
    tcase_add_test(tc, test_matmul_counts);
    tcase_add_test(tc, test_add_concat_counts);
    tcase_add_test(tc, test_copy_and_names);
    tcase_add_test(tc, test_bad_dims);
    tcase_add_test(tc, test_huge_tensor);
    tcase_add_test(tc, test_kernel_too_large);
    tcase_add_test(tc, test_bad_inputs);
    tcase_add_test(tc, test_shape_mismatch);
    tcase_add_test(tc, test_type_rules);
    tcase_add_test(tc, test_layer_limits);
    tcase_add_test(tc, test_per_side_window);
    tcase_add_test(tc, test_wide_concat);
    tcase_add_test(tc, test_vector_types);
    tcase_add_test(tc, test_resize_deconv);
    tcase_add_test(tc, test_vector_types_json_and_cost);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(workload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
