/* check_onnx.c - Check suite "onnx": ONNX import (src/core/onnx.c) and base64 (src/core/base64.c).
 *
 * The fixtures in tests/fixtures/onnx/ are torchvision 0.14 networks exported by torch 1.13 without
 * parameters (tests/fixtures/onnx/make_fixtures.py, dev time only). resnet18, mobilenet_v2, mnasnet1_0
 * (global pool written as ReduceMean) and efficientnet_b0 (squeeze-excite) must import as the zoo's
 * networks, layer for layer (same types, dims, windows and edges, so the same MACs); GoogLeNet is not in the zoo and is compared with the MACs of torchvision's definition counted
 * by forward hooks on every Conv2d/Linear (make_fixtures.py --macs: 1498376192, torchvision's model
 * table publishes 1.50 GFLOPS, counted as multiply-accumulates). Small models are built here with a
 * protobuf writer to test operators, shapes, refusals and hostile input; every prefix of a fixture
 * and random byte flips must be refused or imported cleanly. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnnfuser/base64.h"
#include "dnnfuser/cost.h"
#include "dnnfuser/hw.h"
#include "dnnfuser/onnx.h"
#include "dnnfuser/zoo.h"

#define FIXTURES "tests/fixtures/onnx/"

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)len + 1);
    ck_assert(b != NULL);
    ck_assert_int_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void import_ok(const uint8_t *b, size_t n, df_workload *w) {
    df_err e;
    int rc = df_onnx_import(b, n, NULL, w, &e);
    ck_assert_msg(rc == DF_OK, "import failed: %s (at %s)", e.msg, e.pointer);
}

static void import_file(const char *name, df_workload *w) {
    size_t n;
    uint8_t *b = slurp(name, &n);
    import_ok(b, n, w);
    free(b);
}

/* ---- a protobuf writer for hand-made models -------------------------------------------------- */

typedef struct {
    uint8_t *b;
    size_t n, cap;
} pb;

static void put(pb *p, const void *d, size_t n) {
    if (p->n + n > p->cap) {
        p->cap = (p->n + n) * 2 + 64;
        p->b = realloc(p->b, p->cap);
        ck_assert(p->b != NULL);
    }
    if (n) memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void varint(pb *p, uint64_t v) {
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) c |= 0x80;
        put(p, &c, 1);
    } while (v);
}

static void key(pb *p, int field, int wt) { varint(p, (uint64_t)field << 3 | (uint64_t)wt); }
static void f_int(pb *p, int field, int64_t v) {
    key(p, field, 0);
    varint(p, (uint64_t)v);
}
static void f_bytes(pb *p, int field, const void *d, size_t n) {
    key(p, field, 2);
    varint(p, n);
    put(p, d, n);
}
static void f_str(pb *p, int field, const char *s) { f_bytes(p, field, s, strlen(s)); }
static void f_msg(pb *p, int field, pb *sub) {
    f_bytes(p, field, sub->b, sub->n);
    free(sub->b);
    memset(sub, 0, sizeof *sub);
}

/* ValueInfoProto with a tensor type; dims < 0 written as a symbolic dim_param "N" */
static void vinfo(pb *g, int field, const char *name, int rank, const int64_t *dims) {
    pb shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < rank; i++) {
        pb dim = {0};
        if (dims[i] >= 0)
            f_int(&dim, 1, dims[i]);
        else
            f_str(&dim, 2, "N");
        f_msg(&shape, 1, &dim);
    }
    f_int(&tt, 1, 1);
    f_msg(&tt, 2, &shape);
    f_msg(&type, 1, &tt);
    f_str(&vi, 1, name);
    f_msg(&vi, 2, &type);
    f_msg(g, field, &vi);
}

/* TensorProto initializer: dims only (no data), or a small int64 tensor when vals != NULL */
static void initializer(pb *g, const char *name, int rank, const int64_t *dims, const int64_t *vals) {
    pb t = {0};
    for (int i = 0; i < rank; i++) f_int(&t, 1, dims[i]);
    f_int(&t, 2, vals ? 7 : 1);
    f_str(&t, 8, name);
    if (vals) {
        int64_t n = 1;
        for (int i = 0; i < rank; i++) n *= dims[i];
        uint8_t raw[8 * 16];
        for (int64_t k = 0; k < n; k++)
            for (int j = 0; j < 8; j++) raw[8 * k + j] = (uint8_t)((uint64_t)vals[k] >> (8 * j));
        f_bytes(&t, 9, raw, (size_t)(8 * n));
    }
    f_msg(g, 5, &t);
}

typedef struct {
    const char *name;
    int64_t i;
    int n;
    int64_t ints[8];
    const char *s;
} at;
#define A_I(nm, v) ((at){nm, v, -1, {0}, NULL})
#define A_S(nm, v) ((at){nm, 0, -2, {0}, v})
#define A_L(nm, n, ...) ((at){nm, 0, n, {__VA_ARGS__}, NULL})

/* NodeProto: ins/outs NULL-terminated; attributes; domain NULL = default */
static void node(pb *g, const char *name, const char *op, const char *domain, const char *const *ins,
                 const char *const *outs, int n_at, const at *ats) {
    pb nd = {0};
    for (; ins && *ins; ins++) f_str(&nd, 1, *ins);
    for (; outs && *outs; outs++) f_str(&nd, 2, *outs);
    if (name) f_str(&nd, 3, name);
    f_str(&nd, 4, op);
    for (int k = 0; k < n_at; k++) {
        pb a = {0};
        f_str(&a, 1, ats[k].name);
        if (ats[k].n == -1) {
            f_int(&a, 3, ats[k].i);
            f_int(&a, 20, 2);
        } else if (ats[k].n == -2) {
            f_str(&a, 4, ats[k].s);
            f_int(&a, 20, 3);
        } else {
            pb packed = {0};
            for (int j = 0; j < ats[k].n; j++) varint(&packed, (uint64_t)ats[k].ints[j]);
            f_msg(&a, 8, &packed);
            f_int(&a, 20, 7);
        }
        f_msg(&nd, 5, &a);
    }
    if (domain) f_str(&nd, 7, domain);
    f_msg(g, 1, &nd);
}

/* ModelProto around a graph: ir_version 7, opset 13 */
static pb model(pb *g) {
    pb m = {0}, op = {0};
    f_int(&m, 1, 7);
    f_str(&m, 2, "check_onnx");
    f_str(g, 2, "hand");
    f_msg(&m, 7, g);
    f_int(&op, 2, 13);
    f_msg(&m, 8, &op);
    return m;
}

#define IN(...) ((const char *const[]){__VA_ARGS__, NULL})

static int rc_of(pb *m, df_workload *w, df_err *e) {
    int rc = df_onnx_import(m->b, m->n, NULL, w, e);
    free(m->b);
    memset(m, 0, sizeof *m);
    return rc;
}

/* input x: 1 x C x H x W */
static void input4(pb *g, const char *name, int64_t N, int64_t C, int64_t H, int64_t W) {
    int64_t d[4] = {N, C, H, W};
    vinfo(g, 11, name, 4, d);
}

/* a weight as a graph input (export_params=False) or as an initializer */
static void weight(pb *g, const char *name, int rank, const int64_t *dims, int as_init) {
    if (as_init)
        initializer(g, name, rank, dims, NULL);
    else
        vinfo(g, 11, name, rank, dims);
}

/* ---- fixtures against the zoo ------------------------------------------------------------------- */

static void same_as_zoo(const char *file, const char *zoo_name, int64_t macs, int32_t layers) {
    df_workload w, z;
    df_err e;
    import_file(file, &w);
    ck_assert_msg(df_zoo_build(zoo_name, NULL, &z, &e) == DF_OK, "%s", e.msg);
    ck_assert_msg(df_workload_macs(&w) == macs, "%s: %lld MACs imported, expected %lld", file,
                  (long long)df_workload_macs(&w), (long long)macs);
    ck_assert_msg(df_workload_macs(&w) == df_workload_macs(&z), "%s: %lld MACs imported, zoo %lld", file,
                  (long long)df_workload_macs(&w), (long long)df_workload_macs(&z));
    ck_assert_int_eq(w.n_layers, layers);
    ck_assert_int_eq(w.n_layers, z.n_layers);
    for (int32_t i = 0; i < w.n_layers; i++) {
        const df_layer *a = &w.layers[i], *b = &z.layers[i];
        ck_assert_msg(a->type == b->type && a->K == b->K && a->C == b->C && a->Y == b->Y && a->X == b->X &&
                          a->R == b->R && a->S == b->S && a->stride == b->stride && a->pad == b->pad &&
                          a->groups == b->groups && a->P == b->P && a->Q == b->Q && a->n_inputs == b->n_inputs,
                      "%s layer %d (%s) differs from zoo layer %s", file, i, a->name, b->name);
        /* add is commutative: torchvision writes x + conv(x) in one place, conv(x) + x in another */
        int swap =
            a->type == DF_LAYER_ADD && a->n_inputs == 2 && a->inputs[0] == b->inputs[1] && a->inputs[1] == b->inputs[0];
        for (int j = 0; j < a->n_inputs; j++)
            ck_assert_msg(a->inputs[swap ? 1 - j : j] == b->inputs[j], "%s layer %d (%s) input %d: %d, zoo %d", file, i,
                          a->name, j, a->inputs[j], b->inputs[j]);
    }
    df_workload_free(&w);
    df_workload_free(&z);
}

START_TEST(test_resnet18_equals_zoo) {
    same_as_zoo(FIXTURES "resnet18.onnx", "resnet18", 1814073344LL, 31);
    df_workload w;
    import_file(FIXTURES "resnet18.onnx", &w);
    ck_assert_str_eq(w.layers[0].name, "conv1");
    ck_assert_str_eq(w.layers[4].name, "layer1.0.add");
    ck_assert_str_eq(w.layers[10].name, "layer2.0.downsample.0");
    ck_assert_str_eq(w.layers[30].name, "fc");
    ck_assert_int_eq(w.layers[30].type, DF_LAYER_FC);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_mobilenetv2_equals_zoo) {
    same_as_zoo(FIXTURES "mobilenet_v2.onnx", "mobilenetv2", 300774272LL, 64);
    df_workload w;
    import_file(FIXTURES "mobilenet_v2.onnx", &w);
    int dw = 0, add = 0;
    for (int32_t i = 0; i < w.n_layers; i++) {
        dw += w.layers[i].type == DF_LAYER_DWCONV;
        add += w.layers[i].type == DF_LAYER_ADD;
    }
    ck_assert_int_eq(dw, 17);
    ck_assert_int_eq(add, 10);
    ck_assert_str_eq(w.layers[1].name, "features.1.conv.0.0");
    df_workload_free(&w);
}
END_TEST

START_TEST(test_mnasnet_efficientnet_equal_zoo) {
    same_as_zoo(FIXTURES "mnasnet1_0.onnx", "mnasnet", 314415872LL, 64);
    same_as_zoo(FIXTURES "efficientnet_b0.onnx", "efficientnet_b0", 385814752LL, 108);
}
END_TEST

START_TEST(test_googlenet_matches_torchvision) {
    df_workload w;
    import_file(FIXTURES "googlenet.onnx", &w);
    /* torchvision 0.14 googlenet(aux_logits=False, transform_input=False), forward hooks on 57 Conv2d +
     * 1 Linear at 1x3x224x224: 1498376192 MACs (make_fixtures.py --macs); published: 1.50 GFLOPS */
    ck_assert_int_eq(df_workload_macs(&w), 1498376192LL);
    int n[DF_LAYER_TYPE_COUNT] = {0};
    for (int32_t i = 0; i < w.n_layers; i++) n[w.layers[i].type]++;
    ck_assert_int_eq(n[DF_LAYER_CONV], 57);
    ck_assert_int_eq(n[DF_LAYER_FC], 1);
    ck_assert_int_eq(n[DF_LAYER_POOL], 14);  /* 13 max pools (4 ceil_mode stem/stage pools, 9 branch pools) + avgpool */
    ck_assert_int_eq(n[DF_LAYER_CONCAT], 9); /* one per inception block */
    ck_assert_int_eq(w.n_layers, 81);
    /* ceil_mode 3x3/2 pools: 112 -> 56 and 56 -> 28 (floor mode would give 55 and 27) */
    ck_assert_str_eq(w.layers[1].name, "maxpool1");
    ck_assert_int_eq(w.layers[1].P, 56);
    ck_assert_int_eq(w.layers[4].P, 28);
    const df_layer *cat = &w.layers[78];
    ck_assert_int_eq(cat->type, DF_LAYER_CONCAT);
    ck_assert_int_eq(cat->n_inputs, 4);
    ck_assert_int_eq(cat->K, 1024);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_names_and_limit) {
    size_t n;
    uint8_t *b = slurp(FIXTURES "resnet18.onnx", &n);
    df_workload w;
    df_err e;
    df_onnx_opts o = {.name = "my-resnet", .max_layers = 10};
    ck_assert_int_eq(df_onnx_import(b, n, &o, &w, &e), DF_ELIMIT);
    ck_assert_msg(strstr(e.msg, "more than 10 layers") != NULL, "%s", e.msg);
    o.max_layers = 31;
    ck_assert_int_eq(df_onnx_import(b, n, &o, &w, &e), DF_OK);
    ck_assert_str_eq(w.name, "my-resnet");
    df_workload_free(&w);
    ck_assert_int_eq(df_onnx_import(b, n, NULL, &w, &e), DF_OK);
    ck_assert_str_eq(w.name, "torch_jit"); /* the graph's name */
    df_workload_free(&w);
    free(b);
}
END_TEST

/* ---- hand-made models: operators and shapes ----------------------------------------------------- */

/* x(8x16x16) -> depthwise 3x3 -> grouped 1x1 (2 groups, 16) -> SAME_UPPER 3x3 stride 2 (16) ->
 * ceil-mode max pool 3/2 -> dilated 3x3 d2 -> Flatten of a global pool -> MatMul 16x10 */
static pb ops_model(int weights_as_init, int64_t batch) {
    pb g = {0};
    input4(&g, "x", batch, 8, 16, 16);
    int64_t wdw[4] = {8, 1, 3, 3}, wg[4] = {16, 4, 1, 1}, ws[4] = {16, 16, 3, 3}, wd[4] = {16, 16, 3, 3},
            wm[2] = {16, 10};
    weight(&g, "w_dw", 4, wdw, weights_as_init);
    weight(&g, "w_g", 4, wg, weights_as_init);
    weight(&g, "w_s", 4, ws, weights_as_init);
    weight(&g, "w_d", 4, wd, weights_as_init);
    weight(&g, "w_m", 2, wm, weights_as_init);
    node(&g, "/dw/Conv", "Conv", NULL, IN("x", "w_dw"), IN("a"), 3,
         (at[]){A_I("group", 8), A_L("pads", 4, 1, 1, 1, 1), A_L("kernel_shape", 2, 3, 3)});
    node(&g, "/act/Relu", "Relu", NULL, IN("a"), IN("a2"), 0, NULL);
    node(&g, "/grp/Conv", "Conv", NULL, IN("a2", "w_g"), IN("b"), 1, (at[]){A_I("group", 2)});
    node(&g, "/same/Conv", "Conv", NULL, IN("b", "w_s"), IN("c"), 2,
         (at[]){A_S("auto_pad", "SAME_UPPER"), A_L("strides", 2, 2, 2)});
    node(&g, "/pool/MaxPool", "MaxPool", NULL, IN("c"), IN("d"), 3,
         (at[]){A_L("kernel_shape", 2, 3, 3), A_L("strides", 2, 2, 2), A_I("ceil_mode", 1)});
    node(&g, "/dil/Conv", "Conv", NULL, IN("d", "w_d"), IN("e"), 2,
         (at[]){A_L("dilations", 2, 2, 2), A_L("pads", 4, 2, 2, 2, 2)});
    node(&g, "/gap/GlobalAveragePool", "GlobalAveragePool", NULL, IN("e"), IN("f"), 0, NULL);
    node(&g, "/Flatten", "Flatten", NULL, IN("f"), IN("f2"), 1, (at[]){A_I("axis", 1)});
    node(&g, "/fc/MatMul", "MatMul", NULL, IN("f2", "w_m"), IN("y"), 0, NULL);
    int64_t yd[2] = {batch, 10};
    vinfo(&g, 12, "y", 2, yd);
    return model(&g);
}

START_TEST(test_operators_and_shapes) {
    pb m = ops_model(0, 1);
    df_workload w;
    import_ok(m.b, m.n, &w);
    free(m.b);
    ck_assert_int_eq(w.n_layers, 7);
    const df_layer *L = w.layers;
    ck_assert_int_eq(L[0].type, DF_LAYER_DWCONV);
    ck_assert_int_eq(L[0].groups, 8);
    ck_assert_str_eq(L[0].name, "dw");
    ck_assert_int_eq(L[1].type, DF_LAYER_CONV);
    ck_assert_int_eq(L[1].groups, 2);
    ck_assert_int_eq(L[1].inputs[0], 0); /* through the Relu */
    /* SAME_UPPER, stride 2 on 16: 8 outputs, pads (0, 1) -> one symmetric pad giving 8 */
    ck_assert_int_eq(L[2].P, 8);
    ck_assert_int_eq(L[2].Q, 8);
    ck_assert_int_eq(L[2].stride, 2);
    /* ceil-mode 3/2 on 8: ceil(5/2) + 1 = 4 (floor: 3) */
    ck_assert_int_eq(L[3].type, DF_LAYER_POOL);
    ck_assert_int_eq(L[3].P, 4);
    /* dilation 2, pads 2 on 4: 4 outputs, 3x3 taps each: MACs 16*4*4*16*9 */
    ck_assert_int_eq(L[4].P, 4);
    ck_assert_int_eq(df_layer_macs(&L[4]), 16LL * 4 * 4 * 16 * 9);
    ck_assert_int_eq(L[5].type, DF_LAYER_POOL);
    ck_assert_int_eq(L[6].type, DF_LAYER_FC);
    ck_assert_int_eq(L[6].C, 16);
    ck_assert_int_eq(L[6].K, 10);
    int64_t macs = 8LL * 16 * 16 * 9 + 16LL * 16 * 16 * 4 + 16LL * 8 * 8 * 16 * 9 + 16LL * 4 * 4 * 16 * 9 + 160;
    ck_assert_int_eq(df_workload_macs(&w), macs);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_weights_as_inputs_or_initializers_and_batch) {
    pb a = ops_model(0, 1), b = ops_model(1, 1), c = ops_model(0, -1), d = ops_model(1, 8);
    df_workload wa, wb, wc, wd;
    import_ok(a.b, a.n, &wa);
    import_ok(b.b, b.n, &wb);
    import_ok(c.b, c.n, &wc);
    import_ok(d.b, d.n, &wd);
    ck_assert_int_eq(wa.n_layers, wb.n_layers);
    ck_assert_int_eq(wa.n_layers, wc.n_layers);
    ck_assert_int_eq(wa.n_layers, wd.n_layers);
    /* the workload is per sample: the file's batch (1, symbolic "N" or 8) does not matter */
    ck_assert_mem_eq(wa.layers, wb.layers, (size_t)wa.n_layers * sizeof *wa.layers);
    ck_assert_mem_eq(wa.layers, wc.layers, (size_t)wa.n_layers * sizeof *wa.layers);
    ck_assert_mem_eq(wa.layers, wd.layers, (size_t)wa.n_layers * sizeof *wa.layers);
    free(a.b), free(b.b), free(c.b), free(d.b);
    df_workload_free(&wa), df_workload_free(&wb), df_workload_free(&wc), df_workload_free(&wd);
}
END_TEST

/* Squeeze-excite as torchvision's efficientnet writes it, a residual Add, x * sigmoid(x), a bias Add,
 * Concat, Reshape/Squeeze/Unsqueeze and a constant shape. */
START_TEST(test_elementwise_se_concat_reshape) {
    pb g = {0};
    input4(&g, "x", 1, 8, 8, 8);
    int64_t w1[4] = {8, 8, 3, 3}, wr[4] = {2, 8, 1, 1}, we[4] = {8, 2, 1, 1}, wp[4] = {8, 8, 1, 1}, bias[3] = {8, 1, 1};
    int64_t shp_d[1] = {2}, shp_v[2] = {0, -1}, ax_d[1] = {2}, ax_v[2] = {2, 3}, fcw[2] = {16, 4};
    weight(&g, "w1", 4, w1, 0);
    weight(&g, "wr", 4, wr, 0);
    weight(&g, "we", 4, we, 0);
    weight(&g, "wp", 4, wp, 1);
    weight(&g, "bias", 3, bias, 0);
    weight(&g, "fcw", 2, fcw, 1);
    initializer(&g, "shape", 1, shp_d, shp_v);
    initializer(&g, "axes", 1, ax_d, ax_v);
    node(&g, "/conv/Conv", "Conv", NULL, IN("x", "w1"), IN("a"), 1, (at[]){A_L("pads", 4, 1, 1, 1, 1)});
    node(&g, "/silu/Sigmoid", "Sigmoid", NULL, IN("a"), IN("s"), 0, NULL);
    node(&g, "/silu/Mul", "Mul", NULL, IN("a", "s"), IN("a2"), 0, NULL); /* SiLU: one tensor */
    node(&g, "/se/GlobalAveragePool", "GlobalAveragePool", NULL, IN("a2"), IN("p"), 0, NULL);
    node(&g, "/se/fc1/Conv", "Conv", NULL, IN("p", "wr"), IN("r"), 0, NULL);
    node(&g, "/se/fc2/Conv", "Conv", NULL, IN("r", "we"), IN("q"), 0, NULL);
    node(&g, "/se/Sigmoid", "Sigmoid", NULL, IN("q"), IN("q2"), 0, NULL);
    node(&g, "/se/Mul", "Mul", NULL, IN("q2", "a2"), IN("m"), 0, NULL); /* gating: passes a2 */
    node(&g, "/Add", "Add", NULL, IN("m", "bias"), IN("m2"), 0, NULL);  /* bias: no layer */
    node(&g, "/proj/Conv", "Conv", NULL, IN("m2", "wp"), IN("pr"), 0, NULL);
    node(&g, "/blk/Add", "Add", NULL, IN("pr", "x"), IN("res"), 0, NULL); /* residual: add layer */
    node(&g, "/cat/Concat", "Concat", NULL, IN("res", "a2"), IN("cat"), 1, (at[]){A_I("axis", 1)});
    node(&g, "/pool/GlobalAveragePool", "GlobalAveragePool", NULL, IN("cat"), IN("g"), 0, NULL);
    node(&g, "/Reshape", "Reshape", NULL, IN("g", "shape"), IN("flat"), 0, NULL); /* [0, -1] -> 16 */
    node(&g, "/Unsqueeze", "Unsqueeze", NULL, IN("flat", "axes"), IN("u"), 0, NULL);
    node(&g, "/Squeeze", "Squeeze", NULL, IN("u", "axes"), IN("v"), 0, NULL);
    node(&g, "/fc/Gemm", "Gemm", NULL, IN("v", "fcw"), IN("y"), 0, NULL);
    pb m = model(&g);
    df_workload w;
    import_ok(m.b, m.n, &w);
    free(m.b);
    const char *names[] = {"conv", "se", "se.fc1", "se.fc2", "proj", "blk.add", "cat.concat", "pool", "fc"};
    ck_assert_int_eq(w.n_layers, 9);
    for (int i = 0; i < 9; i++) ck_assert_str_eq(w.layers[i].name, names[i]);
    ck_assert_int_eq(w.layers[4].inputs[0], 0); /* proj reads the conv, as zoo.c's efficientnet_b0 */
    ck_assert_int_eq(w.layers[5].type, DF_LAYER_ADD);
    ck_assert_int_eq(w.layers[5].inputs[1], -1); /* the network input as the skip */
    ck_assert_int_eq(w.layers[6].type, DF_LAYER_CONCAT);
    ck_assert_int_eq(w.layers[6].K, 16);
    ck_assert_int_eq(w.layers[8].type, DF_LAYER_FC);
    ck_assert_int_eq(w.layers[8].C, 16);
    df_workload_free(&w);
}
END_TEST

/* Pad folded into the pooling that reads it (torch's count_include_pad AveragePool), a conv after an
 * asymmetric Pad, ReduceMean over H and W as a global pool; a Pad read by an Add is refused. */
START_TEST(test_pad_and_reduce) {
    int64_t pads1[1] = {8}, pv1[8] = {0, 0, 1, 1, 0, 0, 1, 1}, pv2[8] = {0, 0, 0, 0, 0, 0, 1, 1};
    int64_t w[4] = {8, 8, 3, 3}, fc[2] = {8, 5};
    {
        pb g = {0};
        input4(&g, "x", 1, 8, 9, 9);
        weight(&g, "w", 4, w, 0);
        weight(&g, "fc", 2, fc, 0);
        initializer(&g, "p1", 1, pads1, pv1);
        initializer(&g, "p2", 1, pads1, pv2);
        node(&g, "/pad/Pad", "Pad", NULL, IN("x", "p1"), IN("a"), 1, (at[]){A_S("mode", "constant")});
        node(&g, "/pool/AveragePool", "AveragePool", NULL, IN("a"), IN("b"), 1, (at[]){A_L("kernel_shape", 2, 3, 3)});
        node(&g, "/pad2/Pad", "Pad", NULL, IN("b", "p2"), IN("c"), 0, NULL); /* 9x9 -> 10x10 */
        node(&g, "/conv/Conv", "Conv", NULL, IN("c", "w"), IN("d"), 1, (at[]){A_L("strides", 2, 2, 2)});
        node(&g, "/ReduceMean", "ReduceMean", NULL, IN("d"), IN("e"), 2,
             (at[]){A_L("axes", 2, -1, 2), A_I("keepdims", 0)});
        node(&g, "/fc/Gemm", "Gemm", NULL, IN("e", "fc"), IN("y"), 0, NULL);
        pb m = model(&g);
        df_workload wl;
        df_err e;
        int rc = rc_of(&m, &wl, &e);
        ck_assert_msg(rc == DF_OK, "%s", e.msg);
        ck_assert_int_eq(wl.n_layers, 4);
        ck_assert_int_eq(wl.layers[0].type, DF_LAYER_POOL);
        ck_assert_int_eq(wl.layers[0].Y, 9);
        ck_assert_int_eq(wl.layers[0].pad, 1);
        ck_assert_int_eq(wl.layers[0].P, 9);
        /* 3x3/2 on 9 padded to 10 (0 before, 1 after): 4 outputs; as one symmetric pad: 0 */
        ck_assert_int_eq(wl.layers[1].Y, 9);
        ck_assert_int_eq(wl.layers[1].P, 4);
        ck_assert_int_eq(wl.layers[2].type, DF_LAYER_POOL);
        ck_assert_int_eq(wl.layers[2].R, 4);
        ck_assert_int_eq(wl.layers[3].C, 8);
        df_workload_free(&wl);
    }
    /* a padded tensor read by a layer that has no window */
    pb g = {0};
    input4(&g, "x", 1, 8, 9, 9);
    weight(&g, "w", 4, w, 0);
    initializer(&g, "p1", 1, pads1, pv1);
    node(&g, "c", "Conv", NULL, IN("x", "w"), IN("a"), 1, (at[]){A_L("pads", 4, 1, 1, 1, 1)});
    node(&g, "p", "Pad", NULL, IN("a", "p1"), IN("b"), 0, NULL);
    node(&g, "s", "Add", NULL, IN("b", "x"), IN("y"), 0, NULL);
    pb m = model(&g);
    df_workload wl;
    df_err e;
    ck_assert_int_eq(rc_of(&m, &wl, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "Pad that is not followed by a convolution or pooling"), "%s", e.msg);
    /* a reduction over channels is not a pooling */
    g = (pb){0};
    input4(&g, "x", 1, 8, 9, 9);
    weight(&g, "w", 4, w, 0);
    node(&g, "c", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    node(&g, "r", "ReduceMean", NULL, IN("a"), IN("y"), 1, (at[]){A_L("axes", 1, 1)});
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &wl, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "both spatial axes"), "%s", e.msg);
}
END_TEST

START_TEST(test_value_info_checked) {
    for (int good = 0; good < 2; good++) {
        pb g = {0};
        input4(&g, "x", 1, 3, 10, 10);
        int64_t wd[4] = {4, 3, 3, 3}, vi[4] = {1, 4, good ? 8 : 10, 8};
        weight(&g, "w", 4, wd, 0);
        vinfo(&g, 13, "y", 4, vi);
        node(&g, "c", "Conv", NULL, IN("x", "w"), IN("y"), 0, NULL);
        pb m = model(&g);
        df_workload w;
        df_err e;
        int rc = rc_of(&m, &w, &e);
        if (good) {
            ck_assert_msg(rc == DF_OK, "%s", e.msg);
            ck_assert_str_eq(w.layers[0].name, "c");
            df_workload_free(&w);
        } else {
            ck_assert_int_eq(rc, DF_EINVAL);
            ck_assert_msg(strstr(e.msg, "4x10x8") && strstr(e.msg, "inferred 4x8x8"), "%s", e.msg);
        }
    }
}
END_TEST

/* ---- refusals ----------------------------------------------------------------------------------- */

/* x -> conv -> <op> (reading the conv's output once, or twice when two); returns the import status */
static int one_op(const char *op, const char *domain, int two, int n_at, const at *ats, df_err *e) {
    pb g = {0};
    input4(&g, "x", 1, 4, 8, 8);
    int64_t wd[4] = {4, 4, 1, 1};
    weight(&g, "w", 4, wd, 0);
    node(&g, "/c/Conv", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    node(&g, "my_op", op, domain, two ? IN("a", "a") : IN("a"), IN("b"), n_at, ats);
    pb m = model(&g);
    df_workload w;
    int rc = rc_of(&m, &w, e);
    if (rc == DF_OK) df_workload_free(&w);
    return rc;
}

START_TEST(test_unsupported_operator_named) {
    df_err e;
    ck_assert_int_eq(one_op("NonMaxSuppression", NULL, 1, 0, NULL, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "node 1") && strstr(e.msg, "'my_op'") && strstr(e.msg, "NonMaxSuppression") &&
                      strstr(e.msg, "unsupported operator"),
                  "%s", e.msg);
    ck_assert_str_eq(e.pointer, "/graph/node/1");
    ck_assert_int_eq(one_op("Conv", "com.example", 1, 0, NULL, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "com.example:Conv"), "%s", e.msg);
    ck_assert_int_eq(one_op("Einsum", NULL, 1, 0, NULL, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "Einsum"), "%s", e.msg);
    /* supported ops with unsupported uses */
    /* a concatenation along rows is a layout join now (issue 16) */
    ck_assert_int_eq(one_op("Concat", NULL, 1, 1, (at[]){A_I("axis", 2)}, &e), DF_OK);
    /* unequal strides are a column stride now (issue 16) */
    ck_assert_int_eq(one_op("MaxPool", NULL, 0, 2, (at[]){A_L("kernel_shape", 2, 2, 2), A_L("strides", 2, 2, 1)}, &e),
                     DF_OK);
    /* a file of batch 1 is one sample: Flatten(axis 0) keeps it (a symbolic batch: test_batch_axis_moves) */
    ck_assert_int_eq(one_op("Flatten", NULL, 0, 1, (at[]){A_I("axis", 0)}, &e), DF_OK);
    ck_assert_int_eq(one_op("Relu", NULL, 1, 0, NULL, &e), DF_OK); /* a second input is ignored by pass-through ops */
}
END_TEST

START_TEST(test_refused_graphs) {
    df_err e;
    df_workload w;
    /* symbolic spatial size */
    pb g = {0};
    int64_t xd[4] = {1, 3, -1, 8}, wd[4] = {4, 3, 3, 3};
    vinfo(&g, 11, "x", 4, xd);
    weight(&g, "w", 4, wd, 0);
    node(&g, "c", "Conv", NULL, IN("x", "w"), IN("y"), 0, NULL);
    pb m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "symbolic"), "%s", e.msg);
    /* two network inputs */
    g = (pb){0};
    input4(&g, "x", 1, 4, 8, 8);
    input4(&g, "z", 1, 4, 8, 8);
    int64_t w4[4] = {4, 4, 1, 1};
    weight(&g, "w", 4, w4, 0);
    node(&g, "c1", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    node(&g, "c2", "Conv", NULL, IN("z", "w"), IN("b"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "second network input"), "%s", e.msg);
    /* an input used before it is produced */
    g = (pb){0};
    input4(&g, "x", 1, 4, 8, 8);
    weight(&g, "w", 4, w4, 0);
    node(&g, "r", "Relu", NULL, IN("later"), IN("a"), 0, NULL);
    node(&g, "c", "Conv", NULL, IN("x", "w"), IN("later"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "topological"), "%s", e.msg);
    /* nothing to cost */
    g = (pb){0};
    input4(&g, "x", 1, 4, 8, 8);
    node(&g, "r", "Relu", NULL, IN("x"), IN("a"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "no layer"), "%s", e.msg);
    /* a value defined twice */
    g = (pb){0};
    input4(&g, "x", 1, 4, 8, 8);
    weight(&g, "w", 4, w4, 0);
    node(&g, "c1", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    node(&g, "c2", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "already defined"), "%s", e.msg);
    /* weight channels disagree with the input */
    g = (pb){0};
    input4(&g, "x", 1, 3, 8, 8);
    weight(&g, "w", 4, w4, 0);
    node(&g, "c1", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "inconsistent"), "%s", e.msg);
}
END_TEST

/* ---- hostile bytes ------------------------------------------------------------------------------ */

START_TEST(test_every_prefix_refused) {
    const char *files[] = {FIXTURES "resnet18.onnx", FIXTURES "googlenet.onnx"};
    for (size_t f = 0; f < 2; f++) {
        size_t n;
        uint8_t *b = slurp(files[f], &n);
        for (size_t len = 0; len < n; len++) {
            uint8_t *copy = malloc(len ? len : 1); /* exact size: a read past the end is caught by tools */
            memcpy(copy, b, len);
            df_workload w;
            df_err e;
            int rc = df_onnx_import(copy, len, NULL, &w, &e);
            ck_assert_msg(rc != DF_OK, "%s: the %zu-byte prefix imported", files[f], len);
            ck_assert_msg(e.msg[0] != '\0', "no message for the %zu-byte prefix", len);
            ck_assert_int_eq(w.n_layers, 0);
            ck_assert_int_eq(df_onnx_sniff(copy, len), 0);
            free(copy);
        }
        ck_assert_int_eq(df_onnx_sniff(b, n), 1);
        free(b);
    }
}
END_TEST

START_TEST(test_random_flips) {
    const char *files[] = {FIXTURES "resnet18.onnx",        FIXTURES "mobilenet_v2.onnx",
                           FIXTURES "googlenet.onnx",       FIXTURES "mnasnet1_0.onnx",
                           FIXTURES "efficientnet_b0.onnx", FIXTURES "shufflenet_v2_x0_5.onnx",
                           FIXTURES "convnext_tiny.onnx"};
    df_rng r;
    df_rng_seed(&r, 20240605);
    int ok = 0, refused = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        uint8_t *b = slurp(files[f], &n);
        uint8_t *copy = malloc(n);
        for (int it = 0; it < 500; it++) {
            memcpy(copy, b, n);
            int flips = 1 + df_rng_range(&r, 8);
            for (int k = 0; k < flips; k++) {
                size_t pos = (size_t)df_rng_range(&r, (int32_t)n);
                copy[pos] = df_rng_range(&r, 2) ? (uint8_t)df_rng_range(&r, 256)
                                                : (uint8_t)(copy[pos] ^ (1u << df_rng_range(&r, 8)));
            }
            df_workload w;
            df_err e;
            int rc = df_onnx_import(copy, n, NULL, &w, &e);
            if (rc == DF_OK) {
                ok++;
                ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
                ck_assert(df_workload_macs(&w) > 0);
            } else {
                refused++;
                ck_assert_msg(e.msg[0] != '\0', "refused without a message");
                ck_assert_int_eq(w.n_layers, 0);
            }
            df_workload_free(&w);
        }
        free(copy);
        free(b);
    }
    ck_assert(ok > 0 && refused > 0); /* both paths exercised */
}
END_TEST

START_TEST(test_not_onnx) {
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_onnx_import(NULL, 0, NULL, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "empty"), "%s", e.msg);
    ck_assert_int_eq(df_onnx_import((const uint8_t *)"", 0, NULL, &w, &e), DF_EINVAL);
    df_workload_free(&w); /* safe after any return */
    const char *texts[] = {"{\"layers\": [{\"type\": \"conv\"}]}",
                           "hello world\n",
                           "\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
                           "\x7f"
                           "ELF\x02\x01\x01",
                           "\n\x05hello",
                           "\x08\x07"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = strlen(texts[i]) + (i == 2 ? 8 : 0);
        ck_assert_int_eq(df_onnx_import((const uint8_t *)texts[i], n, NULL, &w, &e), DF_EINVAL);
        ck_assert_msg(strstr(e.msg, "ONNX"), "%zu: %s", i, e.msg);
        ck_assert_int_eq(df_onnx_sniff((const uint8_t *)texts[i], n), 0);
    }
    uint8_t zeros[64] = {0};
    ck_assert_int_eq(df_onnx_import(zeros, sizeof zeros, NULL, &w, &e), DF_EINVAL);
    /* varint of 11 bytes; a length beyond the end; wire type 3 (group) */
    const uint8_t over[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ck_assert_int_eq(df_onnx_import(over, sizeof over, NULL, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "overflow"), "%s", e.msg);
    const uint8_t longlen[] = {0x3a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x0a};
    ck_assert_int_eq(df_onnx_import(longlen, sizeof longlen, NULL, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "claims"), "%s", e.msg);
    const uint8_t group[] = {0x0b, 0x0c};
    ck_assert_int_eq(df_onnx_import(group, sizeof group, NULL, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "wire type 3"), "%s", e.msg);
    /* a model without opset_import, and one with two graphs */
    pb g = {0}, m = {0};
    f_int(&m, 1, 7);
    f_msg(&m, 7, &g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "opset_import"), "%s", e.msg);
    g = (pb){0};
    input4(&g, "x", 1, 3, 4, 4);
    m = model(&g);
    f_bytes(&m, 7, "", 0);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "more than one graph"), "%s", e.msg);
}
END_TEST

/* A node whose nested lengths lie: an attribute name claiming more bytes than its attribute holds. */
START_TEST(test_nested_lengths) {
    pb g = {0}, nd = {0}, a = {0};
    input4(&g, "x", 1, 3, 4, 4);
    int64_t wd[4] = {4, 3, 1, 1};
    weight(&g, "w", 4, wd, 0);
    f_str(&nd, 1, "x");
    f_str(&nd, 1, "w");
    f_str(&nd, 2, "y");
    f_str(&nd, 4, "Conv");
    uint8_t bad[] = {0x0a, 0x40, 'k'}; /* AttributeProto.name claiming 64 bytes, 1 present */
    put(&a, bad, sizeof bad);
    f_msg(&nd, 5, &a);
    f_msg(&g, 1, &nd);
    pb m = model(&g);
    df_workload w;
    df_err e;
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "node 0") && strstr(e.msg, "claims 64 bytes"), "%s", e.msg);
    ck_assert_str_eq(e.pointer, "/graph/node/0");
}
END_TEST

/* ---- base64 ------------------------------------------------------------------------------------- */

START_TEST(test_base64) {
    uint8_t *o;
    size_t n;
    df_err e;
    const struct {
        const char *in, *out;
    } ok[] = {
        {"", ""},
        {"Zg==", "f"},
        {"Zm8=", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"},
        {"Zm9vYmE=", "fooba"},
        {"Zm9vYmFy", "foobar"},
        {"Zm9vYg", "foob"},
        {"Zm9v\r\nYmFy\n", "foobar"}, /* RFC 4648 section 10 */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ck_assert_int_eq(df_base64_decode(ok[i].in, strlen(ok[i].in), &o, &n, &e), DF_OK);
        ck_assert_uint_eq(n, strlen(ok[i].out));
        ck_assert(memcmp(o, ok[i].out, n) == 0);
        free(o);
    }
    const char *bad[] = {"Zm9v!", "Zg==Zg==", "Z", "Zm9vY", "Zm-v"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(df_base64_decode(bad[i], strlen(bad[i]), &o, &n, &e), DF_EINVAL);
        ck_assert(o == NULL);
    }
    /* a fixture survives the round trip through its base64 text */
    size_t fn;
    uint8_t *f = slurp(FIXTURES "resnet18.onnx", &fn);
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *t = malloc(fn / 3 * 4 + 8);
    size_t k = 0;
    for (size_t i = 0; i < fn; i += 3) {
        uint32_t v = (uint32_t)f[i] << 16 | (i + 1 < fn ? (uint32_t)f[i + 1] << 8 : 0) | (i + 2 < fn ? f[i + 2] : 0);
        t[k++] = al[v >> 18 & 63];
        t[k++] = al[v >> 12 & 63];
        t[k++] = i + 1 < fn ? al[v >> 6 & 63] : '=';
        t[k++] = i + 2 < fn ? al[v & 63] : '=';
    }
    ck_assert_int_eq(df_base64_decode(t, k, &o, &n, &e), DF_OK);
    ck_assert_uint_eq(n, fn);
    ck_assert(memcmp(o, f, n) == 0);
    free(o);
    free(t);
    free(f);
}
END_TEST

/* ---- issue 16: the models people bring today -------------------------------------------------- */

static int n_type(const df_workload *w, df_layer_type t) {
    int n = 0;
    for (int32_t i = 0; i < w->n_layers; i++) n += w->layers[i].type == t;
    return n;
}

static int n_op(const df_workload *w, df_layer_op op) {
    int n = 0;
    for (int32_t i = 0; i < w->n_layers; i++) n += df_layer_op_of(&w->layers[i]) == op;
    return n;
}

/* torchvision 0.14 exports without parameters (opset 13; tools/onnx_coverage.py). The MACs are the
 * independent count of tools/onnx_coverage.py (numpy folding of the shape subgraphs + onnx shape
 * inference; docs/onnx_coverage.md); torchvision's model table publishes 0.04, 2.83, 5.71, 4.46 GFLOPS. */
START_TEST(test_models_of_today) {
    static const struct {
        const char *file;
        int layers;
        int64_t macs;
        int conv, concat, layout, norm, eltwise, matmul;
    } want[] = {
        {"shufflenet_v2_x0_5.onnx", 117, 40476448LL, 37, 16, 42, 0, 0, 0},
        {"densenet121.onnx", 184, 2834161664LL, 120, 58, 0, 0, 0, 0},
        {"inception_v3.onnx", 120, 5713216096LL, 94, 11, 0, 0, 0, 0},
        {"convnext_tiny.onnx", 163, 4455531264LL, 4, 0, 44, 23, 18, 36},      /* decomposed LN, Erf GELU */
        {"convnext_tiny_op17.onnx", 163, 4455531264LL, 4, 0, 44, 23, 18, 36}, /* LayerNormalization */
        /* segmentation (torchvision.models.segmentation, 21 classes, aux_loss off) */
        {"lraspp_mobilenet_v3_large.onnx", 88, 379281312LL, 51, 0, 0, 0, 0, 0},
        {"deeplabv3_mobilenet_v3_large_op17.onnx", 92, 1882169120LL, 55, 1, 0, 0, 0, 0},
        /* torchvision's nn.MultiheadAttention export (opset 17): packed in-projection, three Slices */
        {"vit_b_16_op17.onnx", 234, 17563828224LL, 1, 0, 87, 25, 12, 72},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        char path[128];
        snprintf(path, sizeof path, FIXTURES "%s", want[k].file);
        df_workload w;
        import_file(path, &w);
        ck_assert_msg(w.n_layers == want[k].layers, "%s: %d layers", want[k].file, w.n_layers);
        ck_assert_msg(df_workload_macs(&w) == want[k].macs, "%s: %lld MACs", want[k].file,
                      (long long)df_workload_macs(&w));
        ck_assert_int_eq(n_type(&w, DF_LAYER_CONV), want[k].conv);
        ck_assert_int_eq(n_type(&w, DF_LAYER_CONCAT), want[k].concat);
        ck_assert_int_eq(n_type(&w, DF_LAYER_LAYOUT), want[k].layout);
        ck_assert_int_eq(n_type(&w, DF_LAYER_NORM), want[k].norm);
        ck_assert_int_eq(n_type(&w, DF_LAYER_ELTWISE), want[k].eltwise);
        ck_assert_int_eq(n_type(&w, DF_LAYER_MATMUL), want[k].matmul);
        df_workload_free(&w);
    }
    df_workload w, w17;
    /* ShuffleNet: every channel shuffle (Reshape, Transpose, Reshape) is one shuffle layer of the whole
     * tensor; the chunks are slices */
    import_file(FIXTURES "shufflenet_v2_x0_5.onnx", &w);
    ck_assert_int_eq(n_op(&w, DF_OP_SHUFFLE), 16);
    ck_assert_int_eq(n_op(&w, DF_OP_SLICE), 26);
    for (int32_t i = 0; i < w.n_layers; i++)
        if (df_layer_op_of(&w.layers[i]) == DF_OP_SHUFFLE)
            ck_assert_int_eq(df_layer_out_elems(&w.layers[i]), df_layer_in_elems(&w.layers[i]));
    df_workload_free(&w);
    /* DenseNet: concatenations of up to 25 tensors (the 8-input limit is gone) */
    import_file(FIXTURES "densenet121.onnx", &w);
    int widest = 0;
    for (int32_t i = 0; i < w.n_layers; i++)
        if (w.layers[i].n_inputs > widest) widest = w.layers[i].n_inputs;
    ck_assert_int_eq(widest, 25);
    df_workload_free(&w);
    /* Inception-v3: the 1x7 and 7x1 convolutions pad one axis only */
    import_file(FIXTURES "inception_v3.onnx", &w);
    int one_by_seven = 0;
    for (int32_t i = 0; i < w.n_layers; i++) {
        const df_layer *l = &w.layers[i];
        if (l->R == 1 && l->S == 7) {
            one_by_seven++;
            ck_assert(l->pad_l == 3 && l->pad_r == 3 && l->pad_t == 0 && l->pad_b == 0 && l->P == l->Y && l->Q == l->X);
        }
    }
    ck_assert_int_eq(one_by_seven, 13); /* 3 in each of Mixed_6b..6e, 1 in Mixed_7a */
    df_workload_free(&w);
    /* ConvNeXt: the decomposed LayerNorm and GELU of opset 13 import as opset 17's LayerNormalization */
    import_file(FIXTURES "convnext_tiny.onnx", &w);
    import_file(FIXTURES "convnext_tiny_op17.onnx", &w17);
    for (int32_t i = 0; i < w.n_layers; i++) {
        const df_layer *a = &w.layers[i], *b = &w17.layers[i];
        ck_assert_msg(a->type == b->type && a->K == b->K && a->C == b->C && a->Y == b->Y && a->P == b->P &&
                          df_layer_op_of(a) == df_layer_op_of(b) && a->n_inputs == b->n_inputs,
                      "layer %d (%s) differs from opset 17's %s", i, a->name, b->name);
    }
    ck_assert_int_eq(n_op(&w, DF_OP_GELU), 18);
    df_workload_free(&w);
    df_workload_free(&w17);
    /* ViT-B/16: the zoo's vit_b_16 MACs exactly; per block Q.K^T and attention.V are products of two
     * activations (no weights), 12 heads of 197 keys; GELU is one layer */
    df_workload z;
    df_err ez;
    import_file(FIXTURES "vit_b_16_op17.onnx", &w);
    ck_assert_int_eq(df_zoo_build("vit_b_16", NULL, &z, &ez), DF_OK);
    ck_assert_int_eq(df_workload_macs(&w), df_workload_macs(&z));
    int two = 0;
    for (int32_t i = 0; i < w.n_layers; i++) {
        const df_layer *l = &w.layers[i];
        if (l->type != DF_LAYER_MATMUL || l->n_inputs != 2) continue;
        two++;
        ck_assert_int_eq(df_layer_weight_elems(l), 0);
        ck_assert_int_eq(df_layer_macs(l), 197LL * 197 * 768);
    }
    ck_assert_int_eq(two, 24);
    ck_assert_int_eq(n_op(&w, DF_OP_GELU), 12);
    df_workload_free(&z);
    df_workload_free(&w);
    /* segmentation heads: bilinear Resize of the 21 class maps back to the 224 x 224 input (from 28 x 28,
     * LR-ASPP; from 14 x 14, DeepLabV3 with its dilated output stride 16), LR-ASPP's upsampling of the
     * high-level branch to the 28 x 28 low-level one; DeepLabV3's ASPP pooling branch (global pool, 1x1
     * conv, Resize to 14 x 14) concatenated with four convolutions */
    static const char *const seg[] = {"lraspp_mobilenet_v3_large.onnx", "deeplabv3_mobilenet_v3_large_op17.onnx"};
    static const int32_t inner[] = {28, 14};
    for (int k = 0; k < 2; k++) {
        char path[128];
        snprintf(path, sizeof path, FIXTURES "%s", seg[k]);
        import_file(path, &w);
        const df_layer *out = &w.layers[w.n_layers - 1];
        ck_assert_int_eq(out->type, DF_LAYER_RESIZE);
        ck_assert_int_eq(df_layer_op_of(out), DF_OP_LINEAR);
        ck_assert(out->K == 21 && out->P == 224 && out->Q == 224 && out->Y == (k ? 14 : 28)); /* stride 8 or 16 */
        ck_assert_int_eq(n_type(&w, DF_LAYER_RESIZE), 2);
        int found = 0;
        for (int32_t i = 0; i + 1 < w.n_layers; i++)
            if (w.layers[i].type == DF_LAYER_RESIZE) found = w.layers[i].P == inner[k] && w.layers[i].Q == inner[k];
        ck_assert_msg(found, "%s: the inner resize is not %dx%d", seg[k], inner[k], inner[k]);
        if (k == 1) {
            for (int32_t i = 0; i < w.n_layers; i++)
                if (w.layers[i].type == DF_LAYER_CONCAT) ck_assert_int_eq(w.layers[i].n_inputs, 5);
        }
        df_hw h;
        df_net *n = NULL;
        df_err e;
        ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
        ck_assert_msg(df_net_init(&n, &w, &h, 1, &e) == DF_OK, "%s: %s", seg[k], e.msg);
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

static void scalar(pb *g, const char *name) { initializer(g, name, 0, NULL, NULL); }

/* Attention on T = 4 tokens of 8: q, k, Transpose(k), Q.K^T, Softmax, scores.V; LayerNorm and GELU
 * decomposed as torch writes them below opset 17. */
START_TEST(test_attention_layernorm_gelu) {
    pb g = {0};
    int64_t xd[3] = {1, 4, 8}, w8[2] = {8, 8}, g8[1] = {8}, ax[1] = {1};
    vinfo(&g, 11, "x", 3, xd);
    weight(&g, "wq", 2, w8, 0);
    weight(&g, "wk", 2, w8, 0);
    weight(&g, "w1", 2, w8, 0);
    weight(&g, "gamma", 1, g8, 0);
    scalar(&g, "two");
    scalar(&g, "eps");
    scalar(&g, "one");
    scalar(&g, "half");
    scalar(&g, "sqrt2");
    initializer(&g, "last", 1, ax, (int64_t[]){-1});
    node(&g, "/ln/ReduceMean", "ReduceMean", NULL, IN("x"), IN("m"), 1, (at[]){A_L("axes", 1, -1)});
    node(&g, "/ln/Sub", "Sub", NULL, IN("x", "m"), IN("d"), 0, NULL);
    node(&g, "/ln/Pow", "Pow", NULL, IN("d", "two"), IN("d2"), 0, NULL);
    node(&g, "/ln/ReduceMean_1", "ReduceMean", NULL, IN("d2"), IN("var"), 1, (at[]){A_L("axes", 1, -1)});
    node(&g, "/ln/Add", "Add", NULL, IN("var", "eps"), IN("ve"), 0, NULL);
    node(&g, "/ln/Sqrt", "Sqrt", NULL, IN("ve"), IN("sd"), 0, NULL);
    node(&g, "/ln/Div", "Div", NULL, IN("d", "sd"), IN("n"), 0, NULL);
    node(&g, "/ln/Mul", "Mul", NULL, IN("n", "gamma"), IN("h"), 0, NULL);
    node(&g, "/q/MatMul", "MatMul", NULL, IN("h", "wq"), IN("q"), 0, NULL);
    node(&g, "/k/MatMul", "MatMul", NULL, IN("h", "wk"), IN("k"), 0, NULL);
    node(&g, "/Transpose", "Transpose", NULL, IN("k"), IN("kt"), 1, (at[]){A_L("perm", 3, 0, 2, 1)});
    node(&g, "/MatMul", "MatMul", NULL, IN("q", "kt"), IN("s"), 0, NULL);
    node(&g, "/Softmax", "Softmax", NULL, IN("s"), IN("p"), 1, (at[]){A_I("axis", -1)});
    node(&g, "/MatMul_1", "MatMul", NULL, IN("p", "q"), IN("c"), 0, NULL);
    node(&g, "/fc1/MatMul", "MatMul", NULL, IN("c", "w1"), IN("f"), 0, NULL);
    node(&g, "/act/Div", "Div", NULL, IN("f", "sqrt2"), IN("fs"), 0, NULL);
    node(&g, "/act/Erf", "Erf", NULL, IN("fs"), IN("e"), 0, NULL);
    node(&g, "/act/Add", "Add", NULL, IN("e", "one"), IN("e1"), 0, NULL);
    node(&g, "/act/Mul", "Mul", NULL, IN("f", "e1"), IN("fg"), 0, NULL);
    node(&g, "/act/Mul_1", "Mul", NULL, IN("fg", "half"), IN("y"), 0, NULL);
    pb m = model(&g);
    df_workload w;
    df_err e;
    ck_assert_msg(rc_of(&m, &w, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
    static const df_layer_type types[] = {DF_LAYER_NORM,   DF_LAYER_MATMUL, DF_LAYER_MATMUL,
                                          DF_LAYER_LAYOUT, DF_LAYER_MATMUL, DF_LAYER_SOFTMAX,
                                          DF_LAYER_MATMUL, DF_LAYER_MATMUL, DF_LAYER_ELTWISE};
    ck_assert_int_eq(w.n_layers, 9);
    for (int i = 0; i < 9; i++)
        ck_assert_msg(w.layers[i].type == types[i], "layer %d is %s", i, df_layer_type_name(w.layers[i].type));
    const df_layer *sc = &w.layers[4], *cx = &w.layers[6];
    ck_assert_int_eq(sc->n_inputs, 2); /* both operands are activations: no weights */
    ck_assert_int_eq(df_layer_weight_elems(sc), 0);
    ck_assert_int_eq(df_layer_macs(sc), 4 * 4 * 8);
    ck_assert_int_eq(df_layer_macs(cx), 4 * 8 * 4);
    ck_assert_int_eq(cx->inputs[0], 5); /* the softmax */
    ck_assert_int_eq(cx->inputs[1], 1); /* v = q */
    ck_assert_int_eq(w.layers[0].inputs[0], -1);
    ck_assert_int_eq(w.layers[1].inputs[0], 0); /* the Mul by gamma passes */
    ck_assert_int_eq(df_layer_op_of(&w.layers[8]), DF_OP_GELU);
    ck_assert_int_eq(w.layers[8].inputs[0], 7);
    ck_assert_int_eq(df_workload_macs(&w), 3 * 4 * 8 * 8 + 2 * 4 * 4 * 8);
    df_workload_free(&w);
}
END_TEST

/* Shape subgraphs fold: x.view(x.size(0), -1) after a conv, a Resize to sizes computed from Shape,
 * a ConvTranspose; a symbolic batch refuses an op that moves the batch axis. */
START_TEST(test_shape_folding_resize_deconv) {
    int64_t wd[4] = {4, 3, 3, 3}, wt[4] = {4, 2, 2, 2}, wf[2] = {2 * 16 * 16, 10}, one[1] = {1}, two[1] = {2};
    pb g, m;
    df_workload w;
    df_err e;
    g = (pb){0};
    input4(&g, "x", 1, 3, 8, 8);
    weight(&g, "w", 4, wd, 0);
    weight(&g, "wt", 4, wt, 0);
    weight(&g, "wf", 2, wf, 0);
    initializer(&g, "i0", 0, NULL, (int64_t[]){0});
    initializer(&g, "ax0", 1, one, (int64_t[]){0});
    initializer(&g, "m1", 1, one, (int64_t[]){-1});
    initializer(&g, "hw", 1, two, (int64_t[]){16, 16});
    initializer(&g, "st", 1, one, (int64_t[]){0});
    initializer(&g, "en", 1, one, (int64_t[]){2});
    initializer(&g, "one_ax", 1, one, (int64_t[]){1});
    node(&g, "/c/Conv", "Conv", NULL, IN("x", "w"), IN("a"), 1, (at[]){A_L("pads", 4, 1, 1, 1, 1)});
    node(&g, "/Shape", "Shape", NULL, IN("a"), IN("sa"), 0, NULL);
    node(&g, "/Slice", "Slice", NULL, IN("sa", "st", "en"), IN("nc"), 0, NULL);
    node(&g, "/Concat", "Concat", NULL, IN("nc", "hw"), IN("sizes"), 1, (at[]){A_I("axis", 0)});
    node(&g, "/up/Resize", "Resize", NULL, IN("a", "", "", "sizes"), IN("r"), 1, (at[]){A_S("mode", "linear")});
    node(&g, "/d/ConvTranspose", "ConvTranspose", NULL, IN("r", "wt"), IN("dc"), 2,
         (at[]){A_I("group", 2), A_L("strides", 2, 2, 2)});
    node(&g, "/p/MaxPool", "MaxPool", NULL, IN("dc"), IN("pp"), 2,
         (at[]){A_L("kernel_shape", 2, 2, 2), A_L("strides", 2, 2, 2)});
    node(&g, "/Slice_1", "Slice", NULL, IN("pp", "st", "en", "one_ax"), IN("half"), 0, NULL);
    node(&g, "/Shape_1", "Shape", NULL, IN("half"), IN("sh"), 0, NULL);
    node(&g, "/Gather", "Gather", NULL, IN("sh", "i0"), IN("b"), 1, (at[]){A_I("axis", 0)});
    node(&g, "/Unsqueeze", "Unsqueeze", NULL, IN("b", "ax0"), IN("bu"), 0, NULL);
    node(&g, "/Concat_1", "Concat", NULL, IN("bu", "m1"), IN("tgt"), 1, (at[]){A_I("axis", 0)});
    node(&g, "/Reshape", "Reshape", NULL, IN("half", "tgt"), IN("flat"), 0, NULL);
    node(&g, "/fc/MatMul", "MatMul", NULL, IN("flat", "wf"), IN("y"), 0, NULL);
    m = model(&g);
    ck_assert_msg(rc_of(&m, &w, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
    static const df_layer_type types[] = {DF_LAYER_CONV, DF_LAYER_RESIZE, DF_LAYER_DECONV,
                                          DF_LAYER_POOL, DF_LAYER_LAYOUT, DF_LAYER_FC};
    ck_assert_int_eq(w.n_layers, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(w.layers[i].type == types[i], "layer %d is %s", i, df_layer_type_name(w.layers[i].type));
    ck_assert_int_eq(w.layers[1].P, 16);
    ck_assert_int_eq(df_layer_op_of(&w.layers[1]), DF_OP_LINEAR);
    ck_assert_int_eq(w.layers[2].P, 32);
    ck_assert_int_eq(df_layer_macs(&w.layers[2]), 4LL * 16 * 16 * 2 * 2 * 2); /* C Y X (K/g) R S */
    ck_assert_int_eq(df_layer_op_of(&w.layers[4]), DF_OP_SLICE);              /* channels 0..1 */
    ck_assert_int_eq(df_layer_out_elems(&w.layers[4]), 2 * 16 * 16);
    ck_assert_int_eq(w.layers[5].C, 2 * 16 * 16);
    df_workload_free(&w);
    /* a symbolic batch: a transpose that moves the batch axis is refused, naming the fix */
    g = (pb){0};
    int64_t xs[3] = {-1, 4, 8};
    vinfo(&g, 11, "x", 3, xs);
    weight(&g, "wq", 2, (int64_t[]){8, 8}, 0);
    node(&g, "/q/MatMul", "MatMul", NULL, IN("x", "wq"), IN("q"), 0, NULL);
    node(&g, "/Transpose", "Transpose", NULL, IN("q"), IN("t"), 1, (at[]){A_L("perm", 3, 1, 0, 2)});
    node(&g, "/k/MatMul", "MatMul", NULL, IN("t", "wq"), IN("y"), 0, NULL);
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "fixed batch of 1") && strstr(e.msg, "node 1"), "%s", e.msg);
}
END_TEST

/* Every node that cannot be imported is listed in one error (index, name, op), capped to fit; their
 * consumers are not reported again. */
START_TEST(test_every_unsupported_node_listed) {
    pb g = {0};
    input4(&g, "x", 1, 4, 8, 8);
    int64_t wd[4] = {4, 4, 1, 1};
    weight(&g, "w", 4, wd, 0);
    node(&g, "/c/Conv", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    node(&g, "/nms", "NonMaxSuppression", NULL, IN("a"), IN("b"), 0, NULL);
    node(&g, "/after_nms/Conv", "Conv", NULL, IN("b", "w"), IN("c"), 0, NULL); /* reads a failed node: silent */
    node(&g, "/topk", "TopK", NULL, IN("a"), IN("d"), 0, NULL);
    node(&g, "/c2/Conv", "Conv", NULL, IN("a", "w"), IN("e"), 0, NULL);
    pb m = model(&g);
    df_workload w;
    df_err e;
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "2 nodes cannot be imported") && strstr(e.msg, "node 1 '/nms' (NonMaxSuppression)") &&
                      strstr(e.msg, "node 3 '/topk' (TopK)") && !strstr(e.msg, "node 2"),
                  "%s", e.msg);
    ck_assert_str_eq(e.pointer, "/graph/node/1");
    ck_assert_int_eq(w.n_layers, 0);
    /* 40 of them: a readable count */
    g = (pb){0};
    input4(&g, "x", 1, 4, 8, 8);
    weight(&g, "w", 4, wd, 0);
    node(&g, "/c/Conv", "Conv", NULL, IN("x", "w"), IN("a"), 0, NULL);
    for (int i = 0; i < 40; i++) {
        char nm[16], out[16];
        snprintf(nm, sizeof nm, "/u%d", i);
        snprintf(out, sizeof out, "o%d", i);
        node(&g, nm, "Unique", NULL, IN("a"), (const char *const[]){out, NULL}, 0, NULL);
    }
    m = model(&g);
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "40 nodes cannot be imported") && strstr(e.msg, "more"), "%s", e.msg);
    ck_assert(strlen(e.msg) < sizeof e.msg - 1);
}
END_TEST

/* Where on activations (a causal mask on attention scores, masked_fill), and the ops that fold on
 * constants (Max, Neg, Exp...) applied to an activation: element-wise work, not a refusal. */
START_TEST(test_where_and_elementwise_on_activations) {
    pb g = {0};
    int64_t xd[3] = {1, 4, 8}, w8[2] = {8, 8}, m44[2] = {4, 4};
    vinfo(&g, 11, "x", 3, xd);
    weight(&g, "wq", 2, w8, 0);
    weight(&g, "wk", 2, w8, 0);
    weight(&g, "mask", 2, m44, 0); /* a constant causal mask, 4 x 4 (as a graph input: classified constant) */
    scalar(&g, "ninf");
    scalar(&g, "lo");
    node(&g, "/q/MatMul", "MatMul", NULL, IN("x", "wq"), IN("q"), 0, NULL);
    node(&g, "/k/MatMul", "MatMul", NULL, IN("x", "wk"), IN("k"), 0, NULL);
    node(&g, "/Transpose", "Transpose", NULL, IN("k"), IN("kt"), 1, (at[]){A_L("perm", 3, 0, 2, 1)});
    node(&g, "/MatMul", "MatMul", NULL, IN("q", "kt"), IN("s"), 0, NULL);          /* 4 x 4 scores */
    node(&g, "/Where", "Where", NULL, IN("mask", "s", "ninf"), IN("sm"), 0, NULL); /* masked fill: passes */
    node(&g, "/Max", "Max", NULL, IN("sm", "lo"), IN("sc"), 0, NULL);              /* clamp: passes */
    node(&g, "/Neg", "Neg", NULL, IN("sc"), IN("sn"), 0, NULL);                    /* passes */
    node(&g, "/Exp", "Exp", NULL, IN("sn"), IN("se"), 0, NULL);                    /* passes */
    node(&g, "/Softmax", "Softmax", NULL, IN("se"), IN("p"), 1, (at[]){A_I("axis", -1)});
    node(&g, "/MatMul_1", "MatMul", NULL, IN("p", "q"), IN("c"), 0, NULL);       /* 4 x 8 */
    node(&g, "/Where_1", "Where", NULL, IN("mask", "c", "q"), IN("y"), 0, NULL); /* no: 4x4 mask vs 4x8 */
    pb m = model(&g);
    df_workload w;
    df_err e;
    /* a 4 x 4 constant would broadcast... it does not here (4 x 8 branches need a 4 x 8 or smaller mask) */
    ck_assert_int_eq(rc_of(&m, &w, &e), DF_EINVAL);
    ck_assert_msg(strstr(e.msg, "node 10") && strstr(e.msg, "broadcast"), "%s", e.msg);
    /* the same with a mask that fits: the two branches c and q are one element-wise (add) layer */
    g = (pb){0};
    int64_t m48[2] = {4, 8};
    vinfo(&g, 11, "x", 3, xd);
    weight(&g, "wq", 2, w8, 0);
    weight(&g, "wk", 2, w8, 0);
    weight(&g, "mask", 2, m44, 0);
    weight(&g, "mask8", 2, m48, 0);
    scalar(&g, "ninf");
    scalar(&g, "lo");
    node(&g, "/q/MatMul", "MatMul", NULL, IN("x", "wq"), IN("q"), 0, NULL);
    node(&g, "/k/MatMul", "MatMul", NULL, IN("x", "wk"), IN("k"), 0, NULL);
    node(&g, "/Transpose", "Transpose", NULL, IN("k"), IN("kt"), 1, (at[]){A_L("perm", 3, 0, 2, 1)});
    node(&g, "/MatMul", "MatMul", NULL, IN("q", "kt"), IN("s"), 0, NULL);
    node(&g, "/Where", "Where", NULL, IN("mask", "s", "ninf"), IN("sm"), 0, NULL);
    node(&g, "/Max", "Max", NULL, IN("sm", "lo"), IN("sc"), 0, NULL);
    node(&g, "/Neg", "Neg", NULL, IN("sc"), IN("sn"), 0, NULL);
    node(&g, "/Exp", "Exp", NULL, IN("sn"), IN("se"), 0, NULL);
    node(&g, "/Softmax", "Softmax", NULL, IN("se"), IN("p"), 1, (at[]){A_I("axis", -1)});
    node(&g, "/MatMul_1", "MatMul", NULL, IN("p", "q"), IN("c"), 0, NULL);
    node(&g, "/Where_1", "Where", NULL, IN("mask8", "c", "q"), IN("y"), 0, NULL);
    m = model(&g);
    ck_assert_msg(rc_of(&m, &w, &e) == DF_OK, "%s (at %s)", e.msg, e.pointer);
    static const df_layer_type types[] = {DF_LAYER_MATMUL,  DF_LAYER_MATMUL, DF_LAYER_LAYOUT, DF_LAYER_MATMUL,
                                          DF_LAYER_SOFTMAX, DF_LAYER_MATMUL, DF_LAYER_ADD};
    ck_assert_int_eq(w.n_layers, 7);
    for (int i = 0; i < 7; i++)
        ck_assert_msg(w.layers[i].type == types[i], "layer %d is %s", i, df_layer_type_name(w.layers[i].type));
    ck_assert_int_eq(w.layers[4].inputs[0], 3); /* the softmax reads the scores through Where, Max, Neg, Exp */
    ck_assert_int_eq(w.layers[6].n_inputs, 2);
    ck_assert_int_eq(w.layers[6].inputs[0], 5); /* context */
    ck_assert_int_eq(w.layers[6].inputs[1], 0); /* q */
    ck_assert_int_eq(df_layer_out_elems(&w.layers[6]), 4 * 8);
    ck_assert_int_eq(df_workload_macs(&w), 2 * 4 * 8 * 8 + 2 * 4 * 4 * 8);
    df_workload_free(&w);
}
END_TEST

/* The fuzz seeds of the issue-16 operators (tests/fuzz/make_onnx_seeds.py: tiny torch modules exported at
 * opset 13 and 17) import, both opsets alike, with the MACs counted by hand from the modules. */
START_TEST(test_operator_seeds) {
    static const struct {
        const char *name;
        int32_t layers;
        int64_t macs;
    } seeds[] = {
        /* qkv 4*8*24 + scores and context 2 * (2 heads * 4*4*4) + proj 4*8*8 + fc, fc2 2 * 4*8*16 */
        {"attention", 17, 768 + 256 + 256 + 1024},
        {"shuffle_split", 9, 4 * 64 * 9 + 8 * 64 * 8},          /* dw 3x3 on 4 channels, 1x1 8 -> 8 */
        {"resize_deconv_pad", 6, 4 * 16 * 27 + 4 * 16 * 4 * 9}, /* conv 3 -> 4 at 4x4, deconv C Y X K R S */
        {"shape_subgraph", 5, 4 * 64 * 27 + 4 * 5},             /* conv at 8x8, fc on the class token */
        {"einsum", 4, 4 * 8 * 8 + 2 * 4 * 4 * 8},
        {"activations", 4, 8 * 64 * 27 + 2 * 8 + 8 * 2}, /* conv, SE reduce and expand */
    };
    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        df_workload w[2];
        for (int o = 0; o < 2; o++) {
            char path[128];
            snprintf(path, sizeof path, "tests/fuzz/corpus/fuzz_onnx/op%d_%s.onnx", o ? 17 : 13, seeds[k].name);
            import_file(path, &w[o]);
            ck_assert_msg(w[o].n_layers == seeds[k].layers, "%s: %d layers", path, w[o].n_layers);
            ck_assert_msg(df_workload_macs(&w[o]) == seeds[k].macs, "%s: %lld MACs", path,
                          (long long)df_workload_macs(&w[o]));
        }
        for (int32_t i = 0; i < w[0].n_layers; i++)
            ck_assert_msg(w[0].layers[i].type == w[1].layers[i].type && w[0].layers[i].K == w[1].layers[i].K,
                          "%s layer %d differs between opsets", seeds[k].name, i);
        df_workload_free(&w[0]);
        df_workload_free(&w[1]);
    }
}
END_TEST

/* Found by fuzz_onnx from the operator seeds (tests/fuzz/regress/fuzz_onnx/): a Reshape of a constant to
 * dimensions whose product overflows int64, folded shape arithmetic that overflows, and Slice steps near
 * INT64_MIN/MAX (on a constant being folded, and on an activation); all bounded now: imported or
 * refused with a message, never UB (the asan pass runs this under UBSan). */
START_TEST(test_overflowing_shapes_bounded) {
    int64_t one[1] = {1}, three[1] = {3}, wd[1] = {4};
    pb g = {0};
    df_workload w;
    df_err e;
    input4(&g, "x", 1, 4, 8, 8);
    weight(&g, "c", 1, wd, 1);
    initializer(&g, "big", 1, three, (int64_t[]){107545983170710LL, 4503599627370497LL, 3});
    node(&g, "/Reshape", "Reshape", NULL, IN("c", "big"), IN("cr"), 0, NULL);
    node(&g, "/Add", "Add", NULL, IN("x", "cr"), IN("y"), 0, NULL);
    pb m = model(&g);
    int rc = rc_of(&m, &w, &e);
    ck_assert_msg(rc == DF_EINVAL && e.msg[0], "rc %d: %s", rc, e.msg);
    /* folded shape arithmetic that overflows int64 (Mul, Add, Neg of INT64_MIN, INT64_MIN / -1): not folded,
     * so the Reshape target is not a constant */
    static const struct {
        const char *op;
        int64_t k;
    } ar[] = {{"Mul", -70368744177665LL * 1024}, {"Add", INT64_MAX}, {"Sub", INT64_MIN}, {"Div", -1}, {"Neg", 0}};
    for (int k = 0; k < 5; k++) {
        g = (pb){0};
        input4(&g, "x", 1, 4, 8, 8);
        initializer(&g, "kk", 1, one, &ar[k].k);
        initializer(&g, "mn", 1, one, (int64_t[]){INT64_MIN});
        node(&g, "/Shape", "Shape", NULL, IN("x"), IN("sh"), 0, NULL);
        if (!strcmp(ar[k].op, "Neg"))
            node(&g, "/Neg", "Neg", NULL, IN("mn"), IN("t"), 0, NULL);
        else if (!strcmp(ar[k].op, "Div"))
            node(&g, "/Div", "Div", NULL, IN("mn", "kk"), IN("t"), 0, NULL);
        else
            node(&g, "/Op", ar[k].op, NULL, IN("sh", "kk"), IN("t0"), 0, NULL);
        if (!strcmp(ar[k].op, "Mul"))
            node(&g, "/Op2", "Mul", NULL, IN("t0", "kk"), IN("t"), 0, NULL);
        else if (strcmp(ar[k].op, "Neg") && strcmp(ar[k].op, "Div"))
            node(&g, "/Op2", ar[k].op, NULL, IN("t0", "kk"), IN("t"), 0, NULL);
        node(&g, "/Reshape", "Reshape", NULL, IN("x", "t"), IN("z"), 0, NULL);
        m = model(&g);
        rc = rc_of(&m, &w, &e);
        ck_assert_msg(rc == DF_EINVAL && e.msg[0], "%s: rc %d: %s", ar[k].op, rc, e.msg);
    }
    static const int64_t steps[] = {INT64_MIN, -INT64_MAX, INT64_MAX};
    for (int k = 0; k < 3; k++) {
        g = (pb){0};
        input4(&g, "x", 1, 4, 8, 8);
        initializer(&g, "s0", 1, one, (int64_t[]){4});
        initializer(&g, "e0", 1, one, (int64_t[]){-9223372036854775807LL});
        initializer(&g, "a0", 1, one, (int64_t[]){1});
        initializer(&g, "st", 1, one, &steps[k]);
        node(&g, "/Slice", "Slice", NULL, IN("x", "s0", "e0", "a0", "st"), IN("y"), 0, NULL);
        m = model(&g);
        rc = rc_of(&m, &w, &e);
        ck_assert_msg(rc == DF_EINVAL && strstr(e.msg, "step out of range"), "step %lld: rc %d: %s",
                      (long long)steps[k], rc, e.msg);
        /* the same Slice on a constant (Shape of x) is folded, or left unknown: never UB */
        g = (pb){0};
        input4(&g, "x", 1, 4, 8, 8);
        initializer(&g, "s0", 1, one, (int64_t[]){4});
        initializer(&g, "e0", 1, one, (int64_t[]){-9223372036854775807LL});
        initializer(&g, "a0", 1, one, (int64_t[]){0});
        initializer(&g, "st", 1, one, &steps[k]);
        node(&g, "/Shape", "Shape", NULL, IN("x"), IN("sh"), 0, NULL);
        node(&g, "/Slice", "Slice", NULL, IN("sh", "s0", "e0", "a0", "st"), IN("y"), 0, NULL);
        node(&g, "/Reshape", "Reshape", NULL, IN("x", "y"), IN("z"), 0, NULL);
        m = model(&g);
        rc = rc_of(&m, &w, &e);
        if (rc == DF_OK)
            df_workload_free(&w);
        else
            ck_assert_msg(e.msg[0] != '\0', "step %lld: no message", (long long)steps[k]);
    }
}
END_TEST

static Suite *onnx_suite(void) {
    Suite *s = suite_create("onnx");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_resnet18_equals_zoo);
    tcase_add_test(tc, test_mobilenetv2_equals_zoo);
    tcase_add_test(tc, test_mnasnet_efficientnet_equal_zoo);
    tcase_add_test(tc, test_googlenet_matches_torchvision);
    tcase_add_test(tc, test_names_and_limit);
    tcase_add_test(tc, test_operators_and_shapes);
    tcase_add_test(tc, test_weights_as_inputs_or_initializers_and_batch);
    tcase_add_test(tc, test_elementwise_se_concat_reshape);
    tcase_add_test(tc, test_pad_and_reduce);
    tcase_add_test(tc, test_value_info_checked);
    tcase_add_test(tc, test_unsupported_operator_named);
    tcase_add_test(tc, test_refused_graphs);
    tcase_add_test(tc, test_every_prefix_refused);
    tcase_add_test(tc, test_random_flips);
    tcase_add_test(tc, test_not_onnx);
    tcase_add_test(tc, test_nested_lengths);
    tcase_add_test(tc, test_base64);
    tcase_add_test(tc, test_models_of_today);
    tcase_add_test(tc, test_attention_layernorm_gelu);
    tcase_add_test(tc, test_shape_folding_resize_deconv);
    tcase_add_test(tc, test_every_unsupported_node_listed);
    tcase_add_test(tc, test_where_and_elementwise_on_activations);
    tcase_add_test(tc, test_operator_seeds);
    tcase_add_test(tc, test_overflowing_shapes_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(onnx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
