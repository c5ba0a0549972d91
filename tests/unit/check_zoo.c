/* check_zoo.c - Check suite "zoo": every network's per-sample conv+fc(+matmul) MACs equal the exact
 * count of its reference definition and lie within 0.5% of the published figure; layer counts,
 * residual / squeeze-excite / attention edges, unique names, BERT's closed form in seq_len, unknown
 * names and bad options. The exact CNN counts were confirmed against torchvision 0.14 (forward hooks on
 * every Conv2d/Linear at 1x3x224x224): same totals and the same per-layer K, C, R, stride, pad,
 * groups, P, Q in execution order. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnnfuser/zoo.h"

static const struct {
    const char *name;
    int64_t macs;     /* exact, from the reference layer shapes (= torchvision forward hooks) */
    double published; /* GMAC, as published */
    int32_t layers;
} want[] = {
    {"resnet18", 1814073344LL, 1.814, 31},   {"resnet50", 4089184256LL, 4.089, 72},
    {"mobilenetv2", 300774272LL, 0.301, 64}, {"mnasnet", 314415872LL, 0.314, 64},
    {"vgg16", 15470264320LL, 15.470, 21},    {"efficientnet_b0", 385814752LL, 0.386, 108},
};

static int32_t find(const df_workload *w, const char *name) {
    for (int32_t i = 0; i < w->n_layers; i++)
        if (strcmp(w->layers[i].name, name) == 0) return i;
    return -1;
}

/* Index of layer "<prefix>.<suffix>", -1 if absent. */
static int32_t findp(const df_workload *w, const char *prefix, const char *suffix) {
    char n[DF_NAME_MAX + 16];
    snprintf(n, sizeof n, "%s.%s", prefix, suffix);
    return find(w, n);
}

/* Copies name minus its last ".<part>" into out ("layer2.0.add" -> "layer2.0"). */
static void block_of(const char *name, char *out, size_t n) {
    snprintf(out, n, "%s", name);
    char *dot = strrchr(out, '.');
    if (dot) *dot = '\0';
}

static int32_t count_consumers(const df_workload *w, int32_t p) {
    int32_t c = 0;
    for (int32_t i = 0; i < w->n_layers; i++)
        for (int32_t j = 0; j < w->layers[i].n_inputs; j++) c += w->layers[i].inputs[j] == p;
    return c;
}

static void build_ok(const char *name, const df_zoo_opts *o, df_workload *w) {
    df_err e;
    int rc = df_zoo_build(name, o, w, &e);
    ck_assert_msg(rc == DF_OK, "%s: %s", name, e.msg);
}

START_TEST(test_macs_match_reference_and_published) {
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        df_workload w;
        build_ok(want[i].name, NULL, &w);
        int64_t macs = df_workload_macs(&w);
        ck_assert_msg(macs == want[i].macs, "%s: %lld MACs, expected %lld", want[i].name, (long long)macs,
                      (long long)want[i].macs);
        ck_assert_msg(fabs(macs / 1e9 - want[i].published) <= 0.005 * want[i].published, "%s: %.4f G vs published %.3f",
                      want[i].name, macs / 1e9, want[i].published);
        ck_assert_msg(w.n_layers == want[i].layers, "%s: %d layers, expected %d", want[i].name, w.n_layers,
                      want[i].layers);
        ck_assert_str_eq(w.name, want[i].name);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_resnet_shortcuts) {
    df_workload w;
    build_ok("resnet50", NULL, &w);
    /* first block of layer2: add(conv3, downsample), downsample reads the block input */
    int32_t add = find(&w, "layer2.0.add"), c3 = find(&w, "layer2.0.conv3"), ds = find(&w, "layer2.0.downsample");
    int32_t in = find(&w, "layer1.2.add"), c1 = find(&w, "layer2.0.conv1");
    ck_assert(add >= 0 && c3 >= 0 && ds >= 0 && in >= 0 && c1 >= 0);
    ck_assert_int_eq(w.layers[add].n_inputs, 2);
    ck_assert_int_eq(w.layers[add].inputs[0], c3);
    ck_assert_int_eq(w.layers[add].inputs[1], ds);
    ck_assert_int_eq(w.layers[ds].inputs[0], in);
    ck_assert_int_eq(w.layers[c1].inputs[0], in);
    ck_assert_int_eq(w.layers[ds].stride, 2);
    ck_assert_int_eq(w.layers[ds].R, 1);
    ck_assert_int_eq(w.layers[find(&w, "layer2.0.conv2")].stride, 2); /* v1.5: stride on the 3x3 */
    ck_assert_int_eq(w.layers[c1].stride, 1);
    /* layer1.0 of resnet50 has a stride-1 downsample (64 -> 256 channels) reading the maxpool */
    ck_assert_int_eq(w.layers[find(&w, "layer1.0.downsample")].inputs[0], find(&w, "maxpool"));
    ck_assert_int_eq(w.layers[find(&w, "layer1.0.downsample")].stride, 1);
    /* identity shortcut: second block's add takes the first block's add */
    int32_t add1 = find(&w, "layer2.1.add");
    ck_assert_int_eq(w.layers[add1].inputs[1], add);
    df_workload_free(&w);
    build_ok("resnet18", NULL, &w);
    ck_assert_int_eq(w.layers[find(&w, "layer1.0.add")].inputs[1], find(&w, "maxpool"));
    ck_assert_int_eq(find(&w, "layer1.0.downsample"), -1);
    df_workload_free(&w);
}
END_TEST

/* Every add of both ResNets: 2 inputs, the block's last conv first, then the shortcut, which is the
 * downsample conv (reading the block input) when the block has one, else the block input itself. */
START_TEST(test_resnet_every_add) {
    static const struct {
        const char *net, *last;
        int adds, downsamples;
    } nets[] = {{"resnet18", "conv2", 8, 3}, {"resnet50", "conv3", 16, 4}};
    for (int n = 0; n < 2; n++) {
        df_workload w;
        build_ok(nets[n].net, NULL, &w);
        int adds = 0, dss = 0;
        for (int32_t i = 0; i < w.n_layers; i++) {
            const df_layer *l = &w.layers[i];
            char blk[DF_NAME_MAX];
            block_of(l->name, blk, sizeof blk);
            if (strstr(l->name, ".downsample")) dss++;
            if (l->type != DF_LAYER_ADD) continue;
            adds++;
            ck_assert_msg(l->n_inputs == 2, "%s %s", nets[n].net, l->name);
            ck_assert_int_eq(l->inputs[0], findp(&w, blk, nets[n].last));
            int32_t block_in = w.layers[findp(&w, blk, "conv1")].inputs[0];
            ck_assert_int_ge(block_in, 0);
            int32_t ds = findp(&w, blk, "downsample");
            if (ds >= 0) {
                ck_assert_int_eq(l->inputs[1], ds);
                ck_assert_int_eq(w.layers[ds].inputs[0], block_in);
            } else {
                ck_assert_int_eq(l->inputs[1], block_in);
            }
            ck_assert_msg(w.layers[block_in].type == DF_LAYER_ADD || strcmp(w.layers[block_in].name, "maxpool") == 0,
                          "%s %s: block input %s", nets[n].net, l->name, w.layers[block_in].name);
        }
        ck_assert_int_eq(adds, nets[n].adds);
        ck_assert_int_eq(dss, nets[n].downsamples);
        df_workload_free(&w);
    }
}
END_TEST

/* Inverted-residual adds (mobilenetv2, mnasnet, efficientnet_b0): add(project, block input). */
START_TEST(test_inverted_residual_adds) {
    static const struct {
        const char *net;
        int adds;
    } nets[] = {{"mobilenetv2", 10}, {"mnasnet", 10}, {"efficientnet_b0", 9}};
    for (int n = 0; n < 3; n++) {
        df_workload w;
        build_ok(nets[n].net, NULL, &w);
        int adds = 0;
        for (int32_t i = 0; i < w.n_layers; i++) {
            const df_layer *l = &w.layers[i];
            if (l->type != DF_LAYER_ADD) continue;
            adds++;
            char blk[DF_NAME_MAX];
            block_of(l->name, blk, sizeof blk);
            int32_t first = findp(&w, blk, "expand");
            if (first < 0) first = findp(&w, blk, "dw");
            ck_assert_int_ge(first, 0);
            ck_assert_int_eq(l->n_inputs, 2);
            ck_assert_int_eq(l->inputs[0], findp(&w, blk, "project"));
            ck_assert_int_eq(l->inputs[1], w.layers[first].inputs[0]);
            ck_assert_int_eq(w.layers[findp(&w, blk, "dw")].stride, 1);
        }
        ck_assert_int_eq(adds, nets[n].adds);
        df_workload_free(&w);
    }
    /* spot shapes against torchvision */
    df_workload w;
    build_ok("mnasnet", NULL, &w);
    ck_assert_int_eq(w.layers[find(&w, "layers.3")].type, DF_LAYER_DWCONV);
    ck_assert_int_eq(w.layers[find(&w, "layers.8.0.expand")].K, 48); /* 16 * 3 */
    ck_assert_int_eq(w.layers[find(&w, "layers.9.0.dw")].R, 5);
    ck_assert_int_eq(w.layers[find(&w, "layers.9.0.dw")].P, 28);
    ck_assert_int_eq(w.layers[find(&w, "layers.14")].K, 1280);
    df_workload_free(&w);
    build_ok("mobilenetv2", NULL, &w);
    ck_assert_int_eq(find(&w, "features.1.expand"), -1); /* t = 1: no expansion */
    ck_assert_int_eq(w.layers[find(&w, "features.17.project")].K, 320);
    ck_assert_int_eq(w.layers[find(&w, "features.18")].P, 7);
    df_workload_free(&w);
}
END_TEST

/* SE blocks: dw -> se.pool (global) -> se.reduce (max(1, block_in/4)) -> se.expand (back to the dw
 * channels); the projection reads the dw output; se.expand is the only extra consumer-less layer. */
START_TEST(test_efficientnet_se) {
    df_workload w;
    build_ok("efficientnet_b0", NULL, &w);
    int se = 0;
    for (int32_t i = 0; i < w.n_layers; i++) {
        const df_layer *l = &w.layers[i];
        if (!strstr(l->name, ".se.pool")) continue;
        se++;
        char blk[DF_NAME_MAX], base[DF_NAME_MAX];
        block_of(l->name, blk, sizeof blk); /* "<block>.se" */
        block_of(blk, base, sizeof base);   /* "<block>" */
        int32_t dw = findp(&w, base, "dw"), red = findp(&w, base, "se.reduce"), ex = findp(&w, base, "se.expand");
        int32_t proj = findp(&w, base, "project"), first = findp(&w, base, "expand");
        if (first < 0) first = dw;
        ck_assert(dw >= 0 && red >= 0 && ex >= 0 && proj >= 0);
        ck_assert_int_eq(l->type, DF_LAYER_POOL);
        ck_assert_int_eq(l->inputs[0], dw);
        ck_assert_int_eq(l->R, l->Y);
        ck_assert_int_eq(l->S, l->X);
        ck_assert_int_eq(l->P * l->Q, 1);
        int32_t block_in_c = w.layers[first].C;
        ck_assert_int_eq(w.layers[red].inputs[0], i);
        ck_assert_int_eq(w.layers[red].K, block_in_c / 4 > 1 ? block_in_c / 4 : 1);
        ck_assert_int_eq(w.layers[red].R, 1);
        ck_assert_int_eq(w.layers[ex].inputs[0], red);
        ck_assert_int_eq(w.layers[ex].K, w.layers[dw].K);
        ck_assert_int_eq(w.layers[proj].inputs[0], dw);
        ck_assert_int_eq(count_consumers(&w, ex), 0);
        ck_assert_int_eq(count_consumers(&w, dw), 2); /* se.pool and project */
    }
    ck_assert_int_eq(se, 16);
    ck_assert_int_eq(w.layers[find(&w, "features.1.0.se.reduce")].K, 8);  /* 32 / 4 */
    ck_assert_int_eq(w.layers[find(&w, "features.2.0.se.reduce")].K, 4);  /* 16 / 4 */
    ck_assert_int_eq(w.layers[find(&w, "features.6.0.se.reduce")].K, 28); /* 112 / 4 */
    ck_assert_int_eq(w.layers[find(&w, "features.7.0.se.expand")].K, 1152);
    ck_assert_int_eq(w.layers[find(&w, "features.8")].K, 1280);
    int outputs = 0;
    for (int32_t i = 0; i < w.n_layers; i++) outputs += count_consumers(&w, i) == 0;
    ck_assert_int_eq(outputs, 17); /* 16 SE branches + classifier */
    df_workload_free(&w);
}
END_TEST

/* Names are non-empty and unique; the CNNs other than EfficientNet have one output, the last layer; a
 * decode step also outputs each block's new k and v (appended to the KV cache). */
START_TEST(test_names_and_outputs) {
    for (int32_t n = 0; n < df_zoo_count(); n++) {
        df_workload w;
        build_ok(df_zoo_name(n), NULL, &w);
        for (int32_t i = 0; i < w.n_layers; i++) {
            ck_assert_msg(w.layers[i].name[0] != '\0', "%s layer %d unnamed", w.name, i);
            for (int32_t j = 0; j < i; j++)
                ck_assert_msg(strcmp(w.layers[i].name, w.layers[j].name) != 0, "%s: duplicate name %s", w.name,
                              w.layers[i].name);
        }
        if (strcmp(w.name, "efficientnet_b0") != 0) {
            for (int32_t i = 0; i + 1 < w.n_layers; i++) {
                size_t nl = strlen(w.layers[i].name);
                int cache =
                    strstr(w.name, "_decode") && nl > 7 &&
                    (!strcmp(w.layers[i].name + nl - 7, ".attn.k") || !strcmp(w.layers[i].name + nl - 7, ".attn.v"));
                ck_assert_msg(count_consumers(&w, i) > 0 || cache, "%s: %s has no consumer", w.name, w.layers[i].name);
            }
        }
        ck_assert_int_eq(count_consumers(&w, w.n_layers - 1), 0);
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_bert_closed_form) {
    int32_t lens[] = {128, 384};
    for (int i = 0; i < 2; i++) {
        df_workload w;
        df_zoo_opts o = {.seq_len = lens[i]};
        build_ok("bert_base", &o, &w);
        int64_t T = lens[i], d = 768, ff = 3072;
        /* per layer: 4 T d^2 (q, k, v, out) + 2 T^2 d (scores, context) + 2 T d ff */
        int64_t per = 4 * T * d * d + 2 * T * T * d + 2 * T * d * ff;
        ck_assert_int_eq(df_workload_macs(&w), 12 * per);
        ck_assert_int_eq(w.n_layers, 120);
        df_workload_free(&w);
    }
    /* T = 128: 11,173,625,856 MACs; default (no opts, or seq_len 0) is T = 128 */
    df_workload w;
    build_ok("bert_base", NULL, &w);
    ck_assert_int_eq(df_workload_macs(&w), 11173625856LL);
    df_workload_free(&w);
    df_zoo_opts z = {.seq_len = 0};
    build_ok("bert_base", &z, &w);
    ck_assert_int_eq(df_workload_macs(&w), 11173625856LL);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_bert_edges) {
    df_workload w;
    df_zoo_opts o = {.seq_len = 50};
    build_ok("bert_base", &o, &w);
    int32_t x = -1;
    for (int i = 0; i < 12; i++) {
        char p[32];
        snprintf(p, sizeof p, "encoder.%d", i);
        int32_t q = findp(&w, p, "attn.q"), k = findp(&w, p, "attn.k"), v = findp(&w, p, "attn.v");
        int32_t s = findp(&w, p, "attn.scores"), c = findp(&w, p, "attn.context"), out = findp(&w, p, "attn.out");
        int32_t a1 = findp(&w, p, "add1"), up = findp(&w, p, "ffn.up"), dn = findp(&w, p, "ffn.down");
        int32_t a2 = findp(&w, p, "add2");
        ck_assert(q >= 0 && k >= 0 && v >= 0 && s >= 0 && c >= 0 && out >= 0 && a1 >= 0 && up >= 0 && dn >= 0 &&
                  a2 >= 0);
        ck_assert_int_eq(w.layers[q].inputs[0], x);
        ck_assert_int_eq(w.layers[k].inputs[0], x);
        ck_assert_int_eq(w.layers[v].inputs[0], x);
        ck_assert_int_eq(w.layers[q].n_inputs, 1);
        ck_assert_int_eq(w.layers[q].K, 768);
        ck_assert_int_eq(w.layers[q].Y, 50);
        /* scores = Q K^T per head: inputs q then k, 12 groups, 12*T outputs per token */
        ck_assert_int_eq(w.layers[s].n_inputs, 2);
        ck_assert_int_eq(w.layers[s].inputs[0], q);
        ck_assert_int_eq(w.layers[s].inputs[1], k);
        ck_assert_int_eq(w.layers[s].groups, 12);
        ck_assert_int_eq(w.layers[s].K, 12 * 50);
        ck_assert_int_eq(df_layer_weight_elems(&w.layers[s]), 0);
        /* context = P V per head */
        ck_assert_int_eq(w.layers[c].n_inputs, 2);
        ck_assert_int_eq(w.layers[c].inputs[0], s);
        ck_assert_int_eq(w.layers[c].inputs[1], v);
        ck_assert_int_eq(w.layers[c].groups, 12);
        ck_assert_int_eq(w.layers[c].K, 768);
        ck_assert_int_eq(w.layers[out].inputs[0], c);
        ck_assert_int_eq(w.layers[a1].inputs[0], out);
        ck_assert_int_eq(w.layers[a1].inputs[1], x);
        ck_assert_int_eq(w.layers[up].inputs[0], a1);
        ck_assert_int_eq(w.layers[up].K, 3072);
        ck_assert_int_eq(w.layers[dn].inputs[0], up);
        ck_assert_int_eq(w.layers[a2].inputs[0], dn);
        ck_assert_int_eq(w.layers[a2].inputs[1], a1);
        x = a2;
    }
    df_workload_free(&w);
}
END_TEST

START_TEST(test_bert_seq_len_bounds) {
    df_workload w;
    df_err e;
    int32_t ok[] = {1, 4096};
    for (int i = 0; i < 2; i++) {
        df_zoo_opts o = {.seq_len = ok[i]};
        build_ok("bert_base", &o, &w);
        int64_t T = ok[i];
        ck_assert_int_eq(df_workload_macs(&w), 12 * (4 * T * 768 * 768 + 2 * T * T * 768 + 2 * T * 768 * 3072));
        df_workload_free(&w);
    }
    int32_t bad[] = {-1, 4097, 1 << 20};
    for (int i = 0; i < 3; i++) {
        df_zoo_opts o = {.seq_len = bad[i]};
        ck_assert_int_eq(df_zoo_build("bert_base", &o, &w, &e), DF_EINVAL);
        ck_assert_ptr_nonnull(strstr(e.msg, "seq_len"));
        ck_assert_int_eq(e.field, DF_FIELD_SEQ_LEN);
        df_workload_free(&w); /* safe after an error */
    }
}
END_TEST

START_TEST(test_unknown_and_catalog) {
    df_workload w;
    df_err e;
    ck_assert_int_eq(df_zoo_build("resnet51", NULL, &w, &e), DF_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(e.msg, "resnet51"));
    for (int32_t i = 0; i < df_zoo_count(); i++) ck_assert_ptr_nonnull(strstr(e.msg, df_zoo_name(i)));
    df_workload_free(&w); /* safe after an error */
    ck_assert_int_eq(df_zoo_build(NULL, NULL, &w, &e), DF_ENOTFOUND);
    ck_assert_int_eq(df_zoo_build("", NULL, &w, &e), DF_ENOTFOUND);
    ck_assert_int_eq(df_zoo_build("ResNet50", NULL, &w, NULL), DF_ENOTFOUND);
    df_zoo_opts bad = {.seq_len = 5000};
    ck_assert_int_eq(df_zoo_build("nope", &bad, &w, &e), DF_ENOTFOUND); /* the name is checked first */
    ck_assert_int_eq(df_zoo_count(), 18);
    static const char *const names[] = {
        "resnet18",     "resnet50",        "mobilenetv2", "mnasnet",           "vgg16",         "efficientnet_b0",
        "bert_base",    "vit_b_16",        "gpt2_small",  "gpt2_small_decode", "llama7b_block", "llama7b_block_decode",
        "resnet18_512", "mobilenetv2_512", "fsrcnn",      "fsrcnn_defines",    "unet",          "yolov5s_backbone"};
    for (int32_t i = 0; i < df_zoo_count(); i++) {
        ck_assert_str_eq(df_zoo_name(i), names[i]);
        build_ok(df_zoo_name(i), NULL, &w);
        ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
        ck_assert_int_gt(df_workload_macs(&w), 0);
        ck_assert_ptr_nonnull(df_zoo_description(i));
        df_workload_free(&w);
    }
    ck_assert_ptr_null(df_zoo_name(18));
    ck_assert_ptr_null(df_zoo_name(-1));
    ck_assert_ptr_null(df_zoo_description(18));
}
END_TEST

/* ---- transformers (issue 16): MACs in closed form from the reference definitions, checked against
 * published figures; weight counts against the published parameter counts ---------------------- */

static int64_t weights_of(const df_workload *w) {
    int64_t s = 0;
    for (int32_t i = 0; i < w->n_layers; i++) s += df_layer_weight_elems(&w->layers[i]);
    return s;
}

static int count_type(const df_workload *w, df_layer_type t) {
    int n = 0;
    for (int32_t i = 0; i < w->n_layers; i++) n += w->layers[i].type == t;
    return n;
}

/* MACs of one pre-LN block: q, k, v, out (4 T d^2), scores and context (2 T L d), MLP (2 or 3 T d ff) */
static int64_t block_macs(int64_t T, int64_t L, int64_t d, int64_t ff, int mats) {
    return 4 * T * d * d + 2 * T * L * d + mats * T * d * ff;
}

START_TEST(test_vit_b_16) {
    df_workload w;
    build_ok("vit_b_16", NULL, &w);
    /* patch embedding 768 x 3 x 16 x 16 over 14 x 14, 12 blocks of 197 tokens, head 768 x 1000 */
    int64_t macs = 768LL * 3 * 16 * 16 * 196 + 12 * block_macs(197, 197, 768, 3072, 2) + 768 * 1000;
    ck_assert_int_eq(df_workload_macs(&w), macs);
    ck_assert_int_eq(macs, 17563828224LL); /* = the vit_b_16 ONNX export's count (docs/onnx_coverage.md) */
    /* torchvision's ViT_B_16_Weights: 17.56 GFLOPS (multiply-accumulates), 86,567,656 parameters:
     * the matmul/conv/fc weights and the 2 x 768 of each of the 25 layer-norms here; biases (and the
     * class token and position embedding, 197 x 768 + 768) are not costed weights */
    ck_assert(fabs(macs / 1e9 - 17.56) < 0.005 * 17.56);
    int64_t biases = 768 + 12 * (3 * 768 + 768 + 3072 + 768) + 1000, embed = 197 * 768 + 768;
    ck_assert_int_eq(weights_of(&w) + biases + embed, 86567656LL);
    ck_assert_int_eq(count_type(&w, DF_LAYER_NORM), 25);
    ck_assert_int_eq(count_type(&w, DF_LAYER_SOFTMAX), 12);
    ck_assert_int_eq(count_type(&w, DF_LAYER_ELTWISE), 12);
    ck_assert_int_eq(count_type(&w, DF_LAYER_LAYOUT), 3); /* tokens, class token in, class token out */
    ck_assert_int_eq(w.layers[w.n_layers - 1].C, 768);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_gpt2_small) {
    df_workload w;
    for (int32_t T = 1; T <= 1024; T *= 8) {
        df_zoo_opts o = {.seq_len = T};
        build_ok("gpt2_small", &o, &w);
        int64_t macs = 12 * block_macs(T, T, 768, 3072, 2) + (int64_t)T * 768 * 50257;
        ck_assert_int_eq(df_workload_macs(&w), macs);
        /* HF gpt2: 124,439,808 parameters = these weights (lm_head tied to wte) + wpe (1024 x 768) +
         * the biases of c_attn, c_proj, c_fc, c_proj (12 x 9 x 768) */
        ck_assert_int_eq(weights_of(&w) + 1024 * 768 + 12 * 9 * 768, 124439808LL);
        df_workload_free(&w);
        build_ok("gpt2_small_decode", &o, &w);
        /* one token over a cache of T: the matmul weights once, plus 2 T d per block for the cache */
        int64_t dec = 12 * (12LL * 768 * 768 + 2LL * T * 768) + 768LL * 50257;
        ck_assert_int_eq(df_workload_macs(&w), dec);
        ck_assert_int_eq(w.layers[0].Y, 1);
        df_workload_free(&w);
    }
    /* Kaplan et al. 2020 (eq. 2.2): forward ~ 2N + 2 n_layer n_ctx d FLOPs per token, N = 12 n_layer d^2
     * non-embedding parameters; with the full (unmasked) T x T products counted that is N + 2 n_layer T d
     * MACs per token (plus the lm_head's d x vocab) */
    df_zoo_opts o = {.seq_len = 1024};
    build_ok("gpt2_small", &o, &w);
    double per_token = (double)df_workload_macs(&w) / 1024, N = 12.0 * 12 * 768 * 768;
    ck_assert(fabs(per_token - (N + 2.0 * 12 * 1024 * 768 + 768.0 * 50257)) < 1);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_llama7b_block) {
    df_workload w;
    df_zoo_opts o = {.seq_len = 2048};
    build_ok("llama7b_block", &o, &w);
    ck_assert_int_eq(df_workload_macs(&w), block_macs(2048, 2048, 4096, 11008, 3));
    /* LLaMA-7B: 6,738,415,616 parameters = 32 blocks (4 d^2 + 3 d ff + 2 norms of d) + embeddings and
     * lm_head (2 x 32000 x 4096) + the final norm; our norm counts 2 d (gain and bias) where RMSNorm has d */
    int64_t block = weights_of(&w) - 2 * 4096;
    ck_assert_int_eq(32 * block + 2LL * 32000 * 4096 + 4096, 6738415616LL);
    ck_assert_int_eq(count_type(&w, DF_LAYER_ELTWISE), 2); /* silu, gate * up */
    df_workload_free(&w);
    build_ok("llama7b_block_decode", &o, &w);
    ck_assert_int_eq(df_workload_macs(&w), 4LL * 4096 * 4096 + 2LL * 2048 * 4096 + 3LL * 4096 * 11008);
    /* the KV cache (2 x 2048 x 4096) is read as the weight operand of scores and context */
    ck_assert_int_eq(weights_of(&w) - 2 * 2 * 4096 - (4LL * 4096 * 4096 + 3LL * 4096 * 11008), 2LL * 2048 * 4096);
    df_workload_free(&w);
}
END_TEST

/* ---- spatial-fusion workloads (issue 14 item 5). The independent counts: tools/zoo_reference.py
 * (PyTorch 1.13 / torchvision 0.14 forward hooks on every Conv2d, ConvTranspose2d, Linear at the same
 * input; every such layer's K, C, kernel, stride, pad, groups, P, Q and MACs equal ours, in order;
 * table in docs/zoo_reference.md) and, below, closed forms by hand. ------------------------------- */

static const struct {
    const char *name;
    int64_t macs;                /* = tools/zoo_reference.py's torch count (fsrcnn_defines: DeFiNES's) */
    int32_t layers, mac_layers;  /* all layers; those with MACs (= the hooked torch modules) */
    int32_t in_c, in_y, in_x;    /* network input */
    int32_t out_k, out_p, out_q; /* the last layer's output */
} spatial[] = {
    {"resnet18_512", 9475444736LL, 31, 21, 3, 512, 512, 1000, 1, 1},
    {"mobilenetv2_512", 1565984768LL, 64, 53, 3, 512, 512, 1000, 1, 1},
    {"fsrcnn", 6461337600LL, 8, 8, 1, 540, 960, 1, 1080, 1920},
    {"fsrcnn_defines", 8362594208LL, 8, 8, 1, 554, 974, 16, 540, 960},
    {"unet", 192686325760LL, 31, 23, 3, 512, 512, 2, 512, 512},
    {"yolov5s_backbone", 5177344000LL, 48, 33, 3, 640, 640, 512, 20, 20},
};

START_TEST(test_spatial_macs_and_shapes) {
    for (size_t i = 0; i < sizeof spatial / sizeof spatial[0]; i++) {
        df_workload w;
        build_ok(spatial[i].name, NULL, &w);
        ck_assert_msg(df_workload_macs(&w) == spatial[i].macs, "%s: %lld MACs, expected %lld", spatial[i].name,
                      (long long)df_workload_macs(&w), (long long)spatial[i].macs);
        ck_assert_msg(w.n_layers == spatial[i].layers, "%s: %d layers", spatial[i].name, w.n_layers);
        int32_t with_macs = 0;
        for (int32_t j = 0; j < w.n_layers; j++) with_macs += df_layer_macs(&w.layers[j]) > 0;
        ck_assert_msg(with_macs == spatial[i].mac_layers, "%s: %d MAC layers", spatial[i].name, with_macs);
        const df_layer *f = &w.layers[0], *l = &w.layers[w.n_layers - 1];
        ck_assert_int_eq(f->inputs[0], -1);
        ck_assert_int_eq(f->C, spatial[i].in_c);
        ck_assert_int_eq(f->Y, spatial[i].in_y);
        ck_assert_int_eq(f->X, spatial[i].in_x);
        ck_assert_int_eq(l->K, spatial[i].out_k);
        ck_assert_int_eq(l->P, spatial[i].out_p);
        ck_assert_int_eq(l->Q, spatial[i].out_q);
        df_workload_free(&w);
    }
    /* the 512 variants are the 224 networks' layers at another input: same names, types and edges */
    static const char *const pairs[2][2] = {{"resnet18", "resnet18_512"}, {"mobilenetv2", "mobilenetv2_512"}};
    for (int p = 0; p < 2; p++) {
        df_workload a, b;
        build_ok(pairs[p][0], NULL, &a);
        build_ok(pairs[p][1], NULL, &b);
        ck_assert_int_eq(a.n_layers, b.n_layers);
        for (int32_t j = 0; j < a.n_layers; j++) {
            ck_assert_str_eq(a.layers[j].name, b.layers[j].name);
            ck_assert_int_eq(a.layers[j].type, b.layers[j].type);
            ck_assert_int_eq(a.layers[j].K, b.layers[j].K);
            ck_assert_int_eq(a.layers[j].n_inputs, b.layers[j].n_inputs);
            for (int k = 0; k < a.layers[j].n_inputs; k++)
                ck_assert_int_eq(a.layers[j].inputs[k], b.layers[j].inputs[k]);
        }
        ck_assert_str_eq(b.name, pairs[p][1]);
        df_workload_free(&a);
        df_workload_free(&b);
    }
    df_workload w;
    build_ok("resnet18_512", NULL, &w);
    ck_assert_int_eq(w.layers[find(&w, "layer4.1.add")].P, 16); /* 512 / 32 */
    ck_assert_int_eq(w.layers[find(&w, "avgpool")].R, 16);
    df_workload_free(&w);
    build_ok("mobilenetv2_512", NULL, &w);
    ck_assert_int_eq(w.layers[find(&w, "features.18")].P, 16);
    df_workload_free(&w);
}
END_TEST

/* FSRCNN by hand (Dong et al. 2016, Table 1 with d = 56, s = 12, m = 4, n = 2): per low-resolution
 * pixel 5*5*56 + 56*12 + 4 * 3*3*12*12 + 12*56, and the 9x9 deconv scatters 56 * 81 per input pixel. */
START_TEST(test_fsrcnn) {
    df_workload w;
    build_ok("fsrcnn", NULL, &w);
    int64_t px = 960 * 540, per = 25 * 56 + 56 * 12 + 4 * 9 * 12 * 12 + 12 * 56 + 56 * 81;
    ck_assert_int_eq(df_workload_macs(&w), per * px);
    static const char *const names[] = {"feature", "shrink", "map.0", "map.1", "map.2", "map.3", "expand", "deconv"};
    static const int32_t K[] = {56, 12, 12, 12, 12, 12, 56, 1}, R[] = {5, 1, 3, 3, 3, 3, 1, 9};
    for (int32_t i = 0; i < 8; i++) {
        const df_layer *l = &w.layers[i];
        ck_assert_str_eq(l->name, names[i]);
        ck_assert_int_eq(l->inputs[0], i - 1);
        ck_assert_int_eq(l->K, K[i]);
        ck_assert_int_eq(l->R, R[i]);
        ck_assert_int_eq(l->type, i == 7 ? DF_LAYER_DECONV : DF_LAYER_CONV);
        if (i < 7) ck_assert(l->P == 540 && l->Q == 960); /* "same" padding: the low-resolution plane */
    }
    const df_layer *d = &w.layers[7];
    ck_assert(d->stride == 2 && d->pad == 4 && d->Y == 540 && d->X == 960 && d->P == 1080 && d->Q == 1920);
    ck_assert_int_eq(df_layer_weight_elems(d), 56 * 81);
    df_workload_free(&w);
    /* DeFiNES's FSRCNN (docs/defines/workloads.md): the same layers unpadded, each layer's MACs as it lists them */
    build_ok("fsrcnn_defines", NULL, &w);
    static const int64_t dm[] = {746900000LL, 358512000LL, 687481344LL, 683557056LL,
                                 679643136LL, 675739584LL, 350383488LL, 4180377600LL};
    static const int32_t dp[] = {550, 550, 548, 546, 544, 542, 542, 540},
                         dq[] = {970, 970, 968, 966, 964, 962, 962, 960};
    for (int32_t i = 0; i < 8; i++) {
        const df_layer *l = &w.layers[i];
        ck_assert_msg(df_layer_macs(l) == dm[i], "fsrcnn_defines layer %d: %lld MACs", i, (long long)df_layer_macs(l));
        ck_assert(l->P == dp[i] && l->Q == dq[i] && l->pad == 0 && l->type == DF_LAYER_CONV);
        if (i < 7) ck_assert_str_eq(l->name, names[i]);
    }
    ck_assert_int_eq(w.layers[7].K, 16);
    df_workload_free(&w);
}
END_TEST

/* U-Net by hand: level i (0..3) of the encoder at side s_i = 512 >> i has convs (C_i -> 64 << i) and
 * (64 << i -> 64 << i), the bottom at 32 has 512 -> 1024 -> 1024; decoder level i (from the bottom) has
 * a 2x2 up-conv (2K -> K from side s/2), convs 2K -> K and K -> K at side s; outc 64 -> 2 at 512. */
START_TEST(test_unet) {
    df_workload w;
    build_ok("unet", NULL, &w);
    int64_t macs = 0;
    for (int i = 0; i <= 4; i++) {
        int64_t s = 512 >> i, K = 64 << i, C = i ? K / 2 : 3;
        macs += s * s * 9 * (C * K + K * K);
    }
    for (int i = 0; i < 4; i++) {
        int64_t K = 512 >> i, s = 64 << i; /* output side of level i */
        macs += (2 * K) * (s / 2) * (s / 2) * K * 4 + s * s * 9 * (2 * K * K + K * K);
    }
    macs += 512LL * 512 * 64 * 2;
    ck_assert_int_eq(df_workload_macs(&w), macs);
    static const char *const skips[] = {"down3.conv2", "down2.conv2", "down1.conv2", "inc.conv2"};
    for (int i = 0; i < 4; i++) {
        char p[8];
        snprintf(p, sizeof p, "up%d", i + 1);
        int32_t up = findp(&w, p, "up"), cat = findp(&w, p, "cat"), c1 = findp(&w, p, "conv1"), sk = find(&w, skips[i]);
        ck_assert(up >= 0 && cat >= 0 && c1 >= 0 && sk >= 0);
        const df_layer *u = &w.layers[up], *c = &w.layers[cat];
        ck_assert_int_eq(u->type, DF_LAYER_DECONV);
        ck_assert(u->R == 2 && u->stride == 2 && u->K * 2 == u->C && u->P == 2 * u->Y && u->Q == 2 * u->X);
        ck_assert_int_eq(c->type, DF_LAYER_CONCAT);
        ck_assert_int_eq(c->n_inputs, 2);
        ck_assert_int_eq(c->inputs[0], sk); /* the skip first, as torch.cat([skip, up]) */
        ck_assert_int_eq(c->inputs[1], up);
        ck_assert_int_eq(c->K, 2 * u->K);
        ck_assert_int_eq(c->P, w.layers[sk].P);
        ck_assert_int_eq(w.layers[c1].inputs[0], cat);
        ck_assert_int_eq(count_consumers(&w, sk), 2); /* the next pool and the concat: live across the U */
    }
    ck_assert_int_eq(w.layers[find(&w, "down4.conv2")].K, 1024);
    ck_assert_int_eq(w.layers[find(&w, "down4.conv2")].P, 32);
    df_workload_free(&w);
}
END_TEST

/* YOLOv5s backbone: C3 blocks (cv1 -> bottlenecks with residual adds, cv2 on the block input, concat,
 * cv3), the stride-8/16/32 feature maps the neck takes, SPPF's chained pools and 4-way concat. */
START_TEST(test_yolov5s_backbone) {
    df_workload w;
    build_ok("yolov5s_backbone", NULL, &w);
    static const struct {
        const char *p;
        int32_t c, n, side;
    } blocks[] = {{"model.2", 64, 1, 160}, {"model.4", 128, 2, 80}, {"model.6", 256, 3, 40}, {"model.8", 512, 1, 20}};
    int adds = 0;
    for (int b = 0; b < 4; b++) {
        const char *p = blocks[b].p;
        int32_t cv1 = findp(&w, p, "cv1"), cv2 = findp(&w, p, "cv2"), cat = findp(&w, p, "cat"),
                cv3 = findp(&w, p, "cv3");
        ck_assert(cv1 >= 0 && cv2 >= 0 && cat >= 0 && cv3 >= 0);
        ck_assert_int_eq(w.layers[cv1].inputs[0], w.layers[cv2].inputs[0]);
        ck_assert_int_eq(w.layers[cv1].K, blocks[b].c / 2);
        int32_t y = cv1;
        for (int k = 0; k < blocks[b].n; k++) {
            char m[24];
            snprintf(m, sizeof m, "m.%d.add", k);
            int32_t add = findp(&w, p, m);
            snprintf(m, sizeof m, "m.%d.cv1", k);
            int32_t mc1 = findp(&w, p, m);
            snprintf(m, sizeof m, "m.%d.cv2", k);
            int32_t mc2 = findp(&w, p, m);
            ck_assert(add >= 0 && mc1 >= 0 && mc2 >= 0);
            ck_assert_int_eq(w.layers[mc1].inputs[0], y);
            ck_assert_int_eq(w.layers[mc2].R, 3);
            ck_assert_int_eq(w.layers[add].inputs[0], mc2);
            ck_assert_int_eq(w.layers[add].inputs[1], y);
            y = add;
            adds++;
        }
        ck_assert_int_eq(w.layers[cat].inputs[0], y);
        ck_assert_int_eq(w.layers[cat].inputs[1], cv2);
        ck_assert_int_eq(w.layers[cv3].inputs[0], cat);
        ck_assert_int_eq(w.layers[cv3].K, blocks[b].c);
        ck_assert_int_eq(w.layers[cv3].P, blocks[b].side);
        ck_assert_int_eq(w.layers[cv3].Q, blocks[b].side);
    }
    ck_assert_int_eq(adds, 7);
    const df_layer *stem = &w.layers[find(&w, "model.0")];
    ck_assert(stem->R == 6 && stem->stride == 2 && stem->pad == 2 && stem->P == 320 && stem->K == 32);
    int32_t cv1 = find(&w, "model.9.cv1"), cat = find(&w, "model.9.cat");
    ck_assert(cv1 >= 0 && cat >= 0);
    ck_assert_int_eq(w.layers[cat].n_inputs, 4);
    ck_assert_int_eq(w.layers[cat].inputs[0], cv1);
    for (int k = 0; k < 3; k++) {
        const df_layer *m = &w.layers[w.layers[cat].inputs[k + 1]];
        ck_assert(m->type == DF_LAYER_POOL && m->R == 5 && m->stride == 1 && m->pad == 2 && m->P == 20);
        ck_assert_int_eq(m->inputs[0], w.layers[cat].inputs[k]);
    }
    ck_assert_int_eq(w.layers[cat].K, 1024);
    df_workload_free(&w);
}
END_TEST

static Suite *zoo_suite(void) {
    Suite *s = suite_create("zoo");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_macs_match_reference_and_published);
    tcase_add_test(tc, test_resnet_shortcuts);
    tcase_add_test(tc, test_resnet_every_add);
    tcase_add_test(tc, test_inverted_residual_adds);
    tcase_add_test(tc, test_efficientnet_se);
    tcase_add_test(tc, test_names_and_outputs);
    tcase_add_test(tc, test_bert_closed_form);
    tcase_add_test(tc, test_bert_edges);
    tcase_add_test(tc, test_bert_seq_len_bounds);
    tcase_add_test(tc, test_unknown_and_catalog);
    tcase_add_test(tc, test_vit_b_16);
    tcase_add_test(tc, test_gpt2_small);
    tcase_add_test(tc, test_llama7b_block);
    tcase_add_test(tc, test_spatial_macs_and_shapes);
    tcase_add_test(tc, test_fsrcnn);
    tcase_add_test(tc, test_unet);
    tcase_add_test(tc, test_yolov5s_backbone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(zoo_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
