/* zoo.c - the built-in model zoo with the exact layer shapes of the reference definitions:
 * torchvision (resnet18/50 v1.5 with the stride on the 3x3 conv, vgg16 cfg "D", mobilenet_v2 width 1.0,
 * mnasnet1_0, efficientnet_b0 with squeeze-excite) at 224x224x3, and the BERT-base encoder (Devlin et
 * al. 2019: 12 layers, hidden 768, 12 heads, FFN 3072) at a chosen sequence length. BatchNorm,
 * activations, softmax and layernorm have no MACs and are not layers in these. The transformers added
 * for issue 16 (vit_b_16, gpt2_small[_decode], llama7b_block[_decode]) keep layer-norm, softmax, GELU
 * and the token layout as layers of their own (costed as data movement, src/core/cost_ops.c). The
 * networks for spatial (depth-first) fusion (issue 14): resnet18 and mobilenetv2 at 512x512, FSRCNN
 * (x2, 960x540 -> 1920x1080, and DeFiNES's variant), a U-Net at 512x512, the YOLOv5s backbone at
 * 640x640; their counts were checked with tools/zoo_reference.py (docs/zoo_reference.md).
 *
 * Every conv/fc shape (K, C, R, stride, pad, groups, P, Q, in execution order) was compared with
 * torchvision 0.14's definitions through forward hooks: identical, so the MAC totals are exact.
 * Squeeze-excite modelling: see the comment above efficientnet_b0(). BERT attention: see bert_base().
 * Layer names follow the reference module paths where they are short ("layer2.0.downsample",
 * "features.3.dw", "layers.9.1.expand", "encoder.0.attn.q"). */
#include "dnnfuser/zoo.h"

#include <stdio.h>
#include <string.h>
#include "dnnfuser/netbuild.h"

typedef void (*builder)(df_netbuild *b, const df_zoo_opts *o);

static int32_t basic_block(df_netbuild *b, const char *p, int32_t x, int32_t width, int32_t stride) {
    char n[DF_NAME_MAX];
    int32_t kc, ky, kx;
    df_nb_shape(b, x, &kc, &ky, &kx);
    snprintf(n, sizeof n, "%s.conv1", p);
    int32_t y = df_nb_conv(b, n, x, width, 3, stride, 1, 1);
    snprintf(n, sizeof n, "%s.conv2", p);
    y = df_nb_conv(b, n, y, width, 3, 1, 1, 1);
    int32_t sc = x;
    if (stride != 1 || kc != width) {
        snprintf(n, sizeof n, "%s.downsample", p);
        sc = df_nb_conv(b, n, x, width, 1, stride, 0, 1);
    }
    snprintf(n, sizeof n, "%s.add", p);
    return df_nb_add(b, n, y, sc);
}

static int32_t bottleneck(df_netbuild *b, const char *p, int32_t x, int32_t width, int32_t stride) {
    char n[DF_NAME_MAX];
    int32_t kc, ky, kx, out = width * 4;
    df_nb_shape(b, x, &kc, &ky, &kx);
    snprintf(n, sizeof n, "%s.conv1", p);
    int32_t y = df_nb_conv(b, n, x, width, 1, 1, 0, 1);
    snprintf(n, sizeof n, "%s.conv2", p);
    y = df_nb_conv(b, n, y, width, 3, stride, 1, 1);
    snprintf(n, sizeof n, "%s.conv3", p);
    y = df_nb_conv(b, n, y, out, 1, 1, 0, 1);
    int32_t sc = x;
    if (stride != 1 || kc != out) {
        snprintf(n, sizeof n, "%s.downsample", p);
        sc = df_nb_conv(b, n, x, out, 1, stride, 0, 1);
    }
    snprintf(n, sizeof n, "%s.add", p);
    return df_nb_add(b, n, y, sc);
}

#define PREFIX_MAX 24 /* block prefixes stay short so "<prefix>.<suffix>" fits DF_NAME_MAX */

static void resnet(df_netbuild *b, const int32_t blocks[4], int bottle) {
    char n[PREFIX_MAX];
    int32_t x = df_nb_conv(b, "conv1", -1, 64, 7, 2, 3, 1);
    x = df_nb_pool(b, "maxpool", x, 3, 2, 1);
    for (int s = 0; s < 4; s++)
        for (int32_t k = 0; k < blocks[s]; k++) {
            snprintf(n, sizeof n, "layer%d.%d", s + 1, k);
            int32_t stride = (k == 0 && s > 0) ? 2 : 1;
            x = bottle ? bottleneck(b, n, x, 64 << s, stride) : basic_block(b, n, x, 64 << s, stride);
        }
    x = df_nb_gpool(b, "avgpool", x);
    df_nb_fc(b, "fc", x, 1000);
}

static void resnet18(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    static const int32_t blocks[4] = {2, 2, 2, 2};
    resnet(b, blocks, 0);
}

static void resnet50(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    static const int32_t blocks[4] = {3, 4, 6, 3};
    resnet(b, blocks, 1);
}

static void vgg16(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    static const int32_t cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    char n[DF_NAME_MAX];
    int32_t x = -1, conv = 0, pool = 0;
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        if (cfg[i]) {
            snprintf(n, sizeof n, "conv%d", ++conv);
            x = df_nb_conv(b, n, x, cfg[i], 3, 1, 1, 1);
        } else {
            snprintf(n, sizeof n, "pool%d", ++pool);
            x = df_nb_pool(b, n, x, 2, 2, 0);
        }
    }
    x = df_nb_fc(b, "fc6", x, 4096);
    x = df_nb_fc(b, "fc7", x, 4096);
    df_nb_fc(b, "fc8", x, 1000);
}

/* Inverted residual (Sandler et al. 2018) with optional squeeze-excite (EfficientNet: squeeze to
 * max(1, in/4) channels of the block input, torchvision MBConv). */
static int32_t inverted(df_netbuild *b, const char *p, int32_t x, int32_t out, int32_t expand, int32_t R,
                        int32_t stride, int se) {
    char n[DF_NAME_MAX];
    int32_t kc, ky, kx;
    df_nb_shape(b, x, &kc, &ky, &kx);
    int32_t y = x, hidden = kc * expand;
    if (expand != 1) {
        snprintf(n, sizeof n, "%s.expand", p);
        y = df_nb_conv(b, n, y, hidden, 1, 1, 0, 1);
    }
    snprintf(n, sizeof n, "%s.dw", p);
    y = df_nb_dwconv(b, n, y, R, stride, R / 2);
    if (se) {
        int32_t sq = kc / 4 > 1 ? kc / 4 : 1;
        snprintf(n, sizeof n, "%s.se.pool", p);
        int32_t s = df_nb_gpool(b, n, y);
        snprintf(n, sizeof n, "%s.se.reduce", p);
        s = df_nb_conv(b, n, s, sq, 1, 1, 0, 1);
        snprintf(n, sizeof n, "%s.se.expand", p);
        df_nb_conv(b, n, s, hidden, 1, 1, 0, 1);
    }
    snprintf(n, sizeof n, "%s.project", p);
    y = df_nb_conv(b, n, y, out, 1, 1, 0, 1);
    if (stride == 1 && kc == out) {
        snprintf(n, sizeof n, "%s.add", p);
        y = df_nb_add(b, n, y, x);
    }
    return y;
}

typedef struct {
    int32_t expand, out, repeats, stride, R;
} ir_stage;

/* Appends the stages' blocks. Names: with first_stage < 0 blocks are numbered flat from first_index
 * ("features.<i>", torchvision mobilenet_v2); otherwise per stage ("<top>.<first_stage + s>.<k>",
 * torchvision mnasnet "layers.8.0" and efficientnet "features.1.0"). */
static int32_t ir_stages(df_netbuild *b, int32_t x, const ir_stage *st, int n, int se, const char *top, int first_stage,
                         int first_index) {
    char p[PREFIX_MAX];
    int idx = first_index;
    for (int s = 0; s < n; s++)
        for (int32_t k = 0; k < st[s].repeats; k++) {
            if (first_stage < 0)
                snprintf(p, sizeof p, "%s.%d", top, idx++);
            else
                snprintf(p, sizeof p, "%s.%d.%d", top, first_stage + s, (int)k);
            x = inverted(b, p, x, st[s].out, st[s].expand, st[s].R, k == 0 ? st[s].stride : 1, se);
        }
    return x;
}

static void mobilenetv2(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    /* torchvision inverted_residual_setting (t, c, n, s), all 3x3 */
    static const ir_stage st[] = {{1, 16, 1, 1, 3}, {6, 24, 2, 2, 3},  {6, 32, 3, 2, 3}, {6, 64, 4, 2, 3},
                                  {6, 96, 3, 1, 3}, {6, 160, 3, 2, 3}, {6, 320, 1, 1, 3}};
    int32_t x = df_nb_conv(b, "features.0", -1, 32, 3, 2, 1, 1);
    x = ir_stages(b, x, st, 7, 0, "features", -1, 1);
    x = df_nb_conv(b, "features.18", x, 1280, 1, 1, 0, 1);
    x = df_nb_gpool(b, "avgpool", x);
    df_nb_fc(b, "classifier", x, 1000);
}

static void mnasnet(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    /* torchvision mnasnet1_0: stem, separable conv 32 -> 16, then _stack(in, out, k, s, exp, n) */
    static const ir_stage st[] = {{3, 24, 3, 2, 3}, {3, 40, 3, 2, 5},  {6, 80, 3, 2, 5},
                                  {6, 96, 2, 1, 3}, {6, 192, 4, 2, 5}, {6, 320, 1, 1, 3}};
    int32_t x = df_nb_conv(b, "layers.0", -1, 32, 3, 2, 1, 1);
    x = df_nb_dwconv(b, "layers.3", x, 3, 1, 1);
    x = df_nb_conv(b, "layers.6", x, 16, 1, 1, 0, 1);
    x = ir_stages(b, x, st, 6, 0, "layers", 8, 0);
    x = df_nb_conv(b, "layers.14", x, 1280, 1, 1, 0, 1);
    x = df_nb_gpool(b, "avgpool", x);
    df_nb_fc(b, "classifier", x, 1000);
}

/* EfficientNet-B0 (torchvision efficientnet_b0), squeeze-excite modelled as follows.
 * Reference: x = dw(...) (C x H x W); s = sigmoid(fc2(silu(fc1(avgpool(x))))) (C x 1 x 1, fc1 squeezes to
 * max(1, block_in / 4)); y = project(x * s). The layer types have no broadcast multiply: `add` and
 * `concat` need equal H x W, conv/pool take one input, and a two-input matmul needs a Q == 1 left
 * operand, so s cannot become an input of the projection without inventing a shape. Chosen, honest
 * within the types:
 *   <blk>.dw -> <blk>.se.pool (global avg, C x 1 x 1) -> <blk>.se.reduce (1x1 conv) -> <blk>.se.expand
 *   (1x1 conv, C x 1 x 1), and <blk>.project reads <blk>.dw.
 * What this keeps right: all SE MACs and weights (they are in the published 0.386 GMAC), and the
 * liveness of x: the projection's input edge spans the three SE layers, so x is held live across them
 * exactly as the excite multiply requires. What it gets slightly wrong: the multiply (C*H*W
 * elementwise products, no MACs by convention) is absent, and se.expand has no consumer, so it counts
 * as a network output (C elements per sample written to DRAM, at most 1152 elements; negligible). */
static void efficientnet_b0(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    /* torchvision efficientnet_b0 MBConv config (expand, kernel, stride, out, layers) */
    static const ir_stage st[] = {{1, 16, 1, 1, 3},  {6, 24, 2, 2, 3},  {6, 40, 2, 2, 5}, {6, 80, 3, 2, 3},
                                  {6, 112, 3, 1, 5}, {6, 192, 4, 2, 5}, {6, 320, 1, 1, 3}};
    int32_t x = df_nb_conv(b, "features.0", -1, 32, 3, 2, 1, 1);
    x = ir_stages(b, x, st, 7, 1, "features", 1, 0);
    x = df_nb_conv(b, "features.8", x, 1280, 1, 1, 0, 1);
    x = df_nb_gpool(b, "avgpool", x);
    df_nb_fc(b, "classifier", x, 1000);
}

/* BERT-base encoder (Devlin et al. 2019), T tokens, d = 768, H = 12 heads of 64, FFN 3072. The network
 * input is the embedding output, d x T (matmul rows = tokens). Per encoder layer:
 *   q, k, v, out: matmul with weights, d -> d over T rows (T*d*d MACs each);
 *   scores = Q K^T per head: two-input matmul, groups = H, input q (C = d, Y = T), second operand k
 *     (K*C/groups = H*T*64 = T*d elements), output H*T channels x T rows (T*T*d MACs);
 *   context = P V per head: two-input matmul, groups = H, input scores (C = H*T), second operand v
 *     (d*T elements), output d x T (T*T*d MACs);
 *   add1 = out + layer input, ffn.up (d -> 3072), ffn.down (3072 -> d), add2 = ffn.down + add1.
 * Softmax, scaling, layernorm and GELU have no MACs and are not layers. */
static void bert_base(df_netbuild *b, const df_zoo_opts *o) {
    int32_t T = o && o->seq_len > 0 ? o->seq_len : 128, d = 768, H = 12, ff = 3072;
    char n[DF_NAME_MAX];
    b->in_c = d;
    b->in_y = T;
    b->in_x = 1;
    int32_t x = -1;
    for (int i = 0; i < 12; i++) {
        snprintf(n, sizeof n, "encoder.%d.attn.q", i);
        int32_t q = df_nb_matmul(b, n, x, d, 1);
        snprintf(n, sizeof n, "encoder.%d.attn.k", i);
        int32_t k = df_nb_matmul(b, n, x, d, 1);
        snprintf(n, sizeof n, "encoder.%d.attn.v", i);
        int32_t v = df_nb_matmul(b, n, x, d, 1);
        snprintf(n, sizeof n, "encoder.%d.attn.scores", i);
        int32_t s = df_nb_matmul2(b, n, q, k, H * T, H);
        snprintf(n, sizeof n, "encoder.%d.attn.context", i);
        int32_t c = df_nb_matmul2(b, n, s, v, d, H);
        snprintf(n, sizeof n, "encoder.%d.attn.out", i);
        int32_t a = df_nb_matmul(b, n, c, d, 1);
        snprintf(n, sizeof n, "encoder.%d.add1", i);
        a = df_nb_add(b, n, a, x);
        snprintf(n, sizeof n, "encoder.%d.ffn.up", i);
        int32_t f = df_nb_matmul(b, n, a, ff, 1);
        snprintf(n, sizeof n, "encoder.%d.ffn.down", i);
        f = df_nb_matmul(b, n, f, d, 1);
        snprintf(n, sizeof n, "encoder.%d.add2", i);
        x = df_nb_add(b, n, f, a);
    }
}

/* ---- transformers with their data-movement layers (issue 16) --------------------------------------
 * Unlike bert_base, these keep the layers that move data with few MACs, as the ONNX importer emits
 * them: layer-norm (norm), softmax, GELU/SiLU (eltwise), tokenisation and the class token (layout).
 * One block, pre-LN as in ViT, GPT-2 and LLaMA: x = x + attn(norm(x)); x = x + mlp(norm(x)), the
 * attention of T query rows over L keys as bert_base's (scores K = H*L channels x T rows, groups = H).
 * For one decode step (T = 1) the KV cache of L tokens is the second operand of the score and
 * context products; it enters as those matmuls' weight operand (K*C/groups = L*d elements, read from
 * DRAM like weights: exact at batch 1, shared across the samples of a larger batch). */
typedef struct {
    int32_t d, heads, ff, keys; /* hidden size, heads, MLP width, keys attended (T, or L when decoding) */
    int swiglu;                 /* LLaMA MLP: silu(gate) * up, down; else GELU MLP (fc1, fc2) */
    int cache;                  /* decode: K and V are the cache (weight operand), not this step's k, v */
} tblock;

static int32_t transformer_block(df_netbuild *b, const char *p, int32_t x, const tblock *t) {
    char n[DF_NAME_MAX];
    int32_t d = t->d, H = t->heads, L = t->keys;
    snprintf(n, sizeof n, "%s.ln_1", p);
    int32_t h = df_nb_norm(b, n, x);
    snprintf(n, sizeof n, "%s.attn.q", p);
    int32_t q = df_nb_matmul(b, n, h, d, 1);
    snprintf(n, sizeof n, "%s.attn.k", p);
    int32_t k = df_nb_matmul(b, n, h, d, 1);
    snprintf(n, sizeof n, "%s.attn.v", p);
    int32_t v = df_nb_matmul(b, n, h, d, 1);
    snprintf(n, sizeof n, "%s.attn.scores", p);
    int32_t sc = t->cache ? df_nb_matmul(b, n, q, H * L, H) : df_nb_matmul2(b, n, q, k, H * L, H);
    snprintf(n, sizeof n, "%s.attn.softmax", p);
    sc = df_nb_softmax(b, n, sc);
    snprintf(n, sizeof n, "%s.attn.context", p);
    int32_t c = t->cache ? df_nb_matmul(b, n, sc, d, H) : df_nb_matmul2(b, n, sc, v, d, H);
    snprintf(n, sizeof n, "%s.attn.out", p);
    c = df_nb_matmul(b, n, c, d, 1);
    snprintf(n, sizeof n, "%s.add_1", p);
    int32_t a = df_nb_add(b, n, c, x);
    snprintf(n, sizeof n, "%s.ln_2", p);
    h = df_nb_norm(b, n, a);
    int32_t m;
    if (t->swiglu) {
        snprintf(n, sizeof n, "%s.mlp.gate", p);
        int32_t g = df_nb_matmul(b, n, h, t->ff, 1);
        snprintf(n, sizeof n, "%s.mlp.up", p);
        int32_t u = df_nb_matmul(b, n, h, t->ff, 1);
        snprintf(n, sizeof n, "%s.mlp.silu", p);
        g = df_nb_eltwise(b, n, g, DF_OP_SILU, -2);
        snprintf(n, sizeof n, "%s.mlp.mul", p);
        m = df_nb_eltwise(b, n, g, DF_OP_MUL, u);
        snprintf(n, sizeof n, "%s.mlp.down", p);
        m = df_nb_matmul(b, n, m, d, 1);
    } else {
        snprintf(n, sizeof n, "%s.mlp.fc1", p);
        m = df_nb_matmul(b, n, h, t->ff, 1);
        snprintf(n, sizeof n, "%s.mlp.gelu", p);
        m = df_nb_eltwise(b, n, m, DF_OP_GELU, -2);
        snprintf(n, sizeof n, "%s.mlp.fc2", p);
        m = df_nb_matmul(b, n, m, d, 1);
    }
    snprintf(n, sizeof n, "%s.add_2", p);
    return df_nb_add(b, n, m, a);
}

/* ViT-B/16 (Dosovitskiy et al. 2021; torchvision vit_b_16): 16x16 patches of 224x224x3 -> 196 tokens +
 * the class token, 12 blocks of hidden 768, 12 heads, MLP 3072, head 1000 on the class token. */
static void vit_b_16(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    int32_t x = df_nb_conv(b, "conv_proj", -1, 768, 16, 16, 0, 1);
    x = df_nb_layout(b, "tokens", x, DF_OP_TRANSPOSE, 768, 196, 1); /* 768 x 14 x 14 -> 196 rows of 768 */
    x = df_nb_join(b, "class_token", &x, 1, 768, 197, 1);
    tblock t = {768, 12, 3072, 197, 0, 0};
    char p[PREFIX_MAX];
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "encoder.layers.%d", i);
        x = transformer_block(b, p, x, &t);
    }
    x = df_nb_norm(b, "encoder.ln", x);
    x = df_nb_layout(b, "class_token_out", x, DF_OP_SLICE, 768, 1, 1);
    df_nb_fc(b, "heads.head", x, 1000);
}

/* A decoder stack of n blocks at seq_len T: prefill (T query rows over T keys) or one decode step (1
 * row over a KV cache of T). Input: the T (or 1) embedded tokens, d x rows; the token and position
 * embeddings are a lookup, not a layer. */
static void decoder(df_netbuild *b, int32_t T, int decode, int32_t d, int32_t H, int32_t ff, int swiglu, int32_t blocks,
                    int32_t vocab) {
    b->in_c = d;
    b->in_y = decode ? 1 : T;
    b->in_x = 1;
    tblock t = {d, H, ff, T, swiglu, decode};
    int32_t x = -1;
    char p[PREFIX_MAX];
    for (int i = 0; i < blocks; i++) {
        snprintf(p, sizeof p, "h.%d", i);
        x = transformer_block(b, p, x, &t);
    }
    if (vocab > 0) {
        x = df_nb_norm(b, "ln_f", x);
        df_nb_matmul(b, "lm_head", x, vocab, 1);
    }
}

/* GPT-2 small (Radford et al. 2019; HF gpt2): 12 blocks, d 768, 12 heads, MLP 3072, vocab 50257. */
static void gpt2_small(df_netbuild *b, const df_zoo_opts *o) {
    decoder(b, o && o->seq_len > 0 ? o->seq_len : 128, 0, 768, 12, 3072, 0, 12, 50257);
}
static void gpt2_small_decode(df_netbuild *b, const df_zoo_opts *o) {
    decoder(b, o && o->seq_len > 0 ? o->seq_len : 128, 1, 768, 12, 3072, 0, 12, 50257);
}

/* One LLaMA-7B decoder block (Touvron et al. 2023): d 4096, 32 heads, SwiGLU MLP 11008; RMSNorm as norm
 * (one statistic fewer than layer-norm), rotary embeddings left out (element-wise, no MACs). */
static void llama7b_block(df_netbuild *b, const df_zoo_opts *o) {
    decoder(b, o && o->seq_len > 0 ? o->seq_len : 128, 0, 4096, 32, 11008, 1, 1, 0);
}
static void llama7b_block_decode(df_netbuild *b, const df_zoo_opts *o) {
    decoder(b, o && o->seq_len > 0 ? o->seq_len : 128, 1, 4096, 32, 11008, 1, 1, 0);
}

/* ---- workloads where spatial (depth-first) fusion matters (issue 14 item 5) ----------------------
 * Large activations and few weights: a layer's whole output does not fit a small buffer, so the
 * interesting mappings cut each tensor into tiles and fuse layers over them. Every MAC total below was
 * checked at development time against an independent count (PyTorch forward hooks on every Conv2d,
 * ConvTranspose2d and Linear of the reference modules at the same input; hand formulas for FSRCNN):
 * tests/unit/check_zoo.c holds the numbers. */

static void resnet18_512(df_netbuild *b, const df_zoo_opts *o) { resnet18(b, o); }       /* input 3x512x512 */
static void mobilenetv2_512(df_netbuild *b, const df_zoo_opts *o) { mobilenetv2(b, o); } /* input 3x512x512 */

/* FSRCNN(d = 56, s = 12, m = 4), Dong, Loy, Tang, "Accelerating the Super-Resolution Convolutional
 * Neural Network", ECCV 2016, §3.1 and Table 1: feature extraction 5x5 conv to d, shrinking 1x1 to s,
 * m mapping 3x3 convs s -> s, expanding 1x1 to d, deconvolution 9x9 with stride n (the upscaling factor)
 * to 1 channel (the Y of YCbCr). Here n = 2 on a 960x540 luminance image: 1920x1080 out. Padding "same"
 * on every conv and the deconv cropped by 4 with output_padding 1 (PyTorch ConvTranspose2d(56, 1, 9, 2,
 * padding=4, output_padding=1)), so every layer but the last is 960x540. PReLU: no MACs, not a layer.
 * The first seven layers are DeFiNES's FSRCNN (docs/defines/workloads.md) layer for layer (K, C, kernel,
 * stride) except for its padding: see fsrcnn_defines. */
static void fsrcnn_body(df_netbuild *b, int32_t pad) {
    int32_t x = df_nb_conv(b, "feature", -1, 56, 5, 1, pad ? 2 : 0, 1);
    x = df_nb_conv(b, "shrink", x, 12, 1, 1, 0, 1);
    char n[DF_NAME_MAX];
    for (int i = 0; i < 4; i++) {
        snprintf(n, sizeof n, "map.%d", i);
        x = df_nb_conv(b, n, x, 12, 3, 1, pad ? 1 : 0, 1);
    }
    df_nb_conv(b, "expand", x, 56, 1, 1, 0, 1);
}

static void fsrcnn(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    fsrcnn_body(b, 1);
    int32_t in_y = b->in_y, in_x = b->in_x;
    df_nb_deconv(b, "deconv", b->w->n_layers - 1, 1, 9, 2, 4, 2 * in_y, 2 * in_x);
}

/* DeFiNES's FSRCNN exactly (its inputs/WL/<hw>/workload_fsrcnn.py, tabulated in docs/defines/workloads.md):
 * the same body without padding, so shapes grow backwards from the 960x540 output (input 974x554), and
 * a 3x3 conv to 16 channels in place of the deconvolution (a x4 sub-pixel shuffle would follow; DeFiNES
 * has no deconv layer). 8,362,594,208 MACs; the workload of the DeFiNES comparison (docs/defines/). */
static void fsrcnn_defines(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    fsrcnn_body(b, 0);
    df_nb_conv(b, "subpixel", b->w->n_layers - 1, 16, 3, 1, 0, 1);
}

/* U-Net (Ronneberger, Fischer, Brox, MICCAI 2015, Fig. 1) at 512x512x3: four levels of two 3x3 convs
 * (64, 128, 256, 512 channels) with 2x2 max-pool down, a 1024-channel bottom, four levels up, each a
 * 2x2 stride-2 up-convolution halving the channels, concatenated with the skip of the same level
 * (skip first), then two 3x3 convs; a final 1x1 conv to 2 classes. As in the common PyTorch
 * implementations (and unlike the paper's unpadded 572 -> 388) the 3x3 convs are padded, so the skips
 * need no crop and the output is 512x512. BatchNorm and ReLU: no MACs, not layers. */
static int32_t double_conv(df_netbuild *b, const char *p, int32_t x, int32_t K) {
    char n[DF_NAME_MAX];
    snprintf(n, sizeof n, "%s.conv1", p);
    x = df_nb_conv(b, n, x, K, 3, 1, 1, 1);
    snprintf(n, sizeof n, "%s.conv2", p);
    return df_nb_conv(b, n, x, K, 3, 1, 1, 1);
}

static void unet(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    char p[PREFIX_MAX], n[DF_NAME_MAX];
    int32_t skip[4];
    int32_t x = double_conv(b, "inc", -1, 64);
    for (int i = 0; i < 4; i++) {
        skip[i] = x;
        snprintf(p, sizeof p, "down%d", i + 1);
        snprintf(n, sizeof n, "%s.pool", p);
        x = df_nb_pool(b, n, x, 2, 2, 0);
        x = double_conv(b, p, x, 128 << i);
    }
    for (int i = 0; i < 4; i++) {
        int32_t K = 512 >> i;
        snprintf(p, sizeof p, "up%d", i + 1);
        snprintf(n, sizeof n, "%s.up", p);
        x = df_nb_deconv(b, n, x, K, 2, 2, 0, 0, 0);
        snprintf(n, sizeof n, "%s.cat", p);
        int32_t ins[2] = {skip[3 - i], x};
        x = df_nb_concat(b, n, ins, 2);
        x = double_conv(b, p, x, K);
    }
    df_nb_conv(b, "outc", x, 2, 1, 1, 0, 1);
}

/* YOLOv5s backbone (Ultralytics YOLOv5 v6.0+, models/yolov5s.yaml: depth 0.33, width 0.50) at 640x640x3:
 * Conv(6x6, s2, p2) 32; Conv(3x3, s2) 64; C3 x1; Conv s2 128; C3 x2; Conv s2 256; C3 x3; Conv s2 512;
 * C3 x1; SPPF(5). "Conv" is conv + BN + SiLU (only the conv is a layer), padding k/2. A C3 block
 * (CSP bottleneck with 3 convs) of c channels: cv1 and cv2 are 1x1 convs to c/2 of the block input,
 * n bottlenecks on cv1 (1x1 c/2 -> c/2, 3x3 c/2 -> c/2, residual add), concat(bottlenecks, cv2), cv3 1x1
 * to c. SPPF: cv1 1x1 to c/2, three chained 5x5 stride-1 max-pools (pad 2), concat(cv1, pool1, pool2,
 * pool3), cv2 1x1 to c. Outputs P3/8 (model.4), P4/16 (model.6) and P5/32 (model.9) feed the neck,
 * which is not included: the one network output is model.9 (512 x 20 x 20). Names follow the module
 * paths ("model.4.m.1.cv2"). */
static int32_t yolo_conv(df_netbuild *b, const char *name, int32_t x, int32_t K, int32_t R, int32_t stride) {
    return df_nb_conv(b, name, x, K, R, stride, R / 2, 1);
}

static int32_t c3(df_netbuild *b, const char *p, int32_t x, int32_t c, int32_t nb) {
    char n[DF_NAME_MAX];
    int32_t h = c / 2;
    snprintf(n, sizeof n, "%s.cv1", p);
    int32_t y = yolo_conv(b, n, x, h, 1, 1);
    for (int32_t k = 0; k < nb; k++) {
        snprintf(n, sizeof n, "%s.m.%d.cv1", p, (int)k);
        int32_t t = yolo_conv(b, n, y, h, 1, 1);
        snprintf(n, sizeof n, "%s.m.%d.cv2", p, (int)k);
        t = yolo_conv(b, n, t, h, 3, 1);
        snprintf(n, sizeof n, "%s.m.%d.add", p, (int)k);
        y = df_nb_add(b, n, t, y);
    }
    snprintf(n, sizeof n, "%s.cv2", p);
    int32_t z = yolo_conv(b, n, x, h, 1, 1);
    snprintf(n, sizeof n, "%s.cat", p);
    int32_t ins[2] = {y, z};
    y = df_nb_concat(b, n, ins, 2);
    snprintf(n, sizeof n, "%s.cv3", p);
    return yolo_conv(b, n, y, c, 1, 1);
}

static void yolov5s_backbone(df_netbuild *b, const df_zoo_opts *o) {
    (void)o;
    int32_t x = df_nb_conv(b, "model.0", -1, 32, 6, 2, 2, 1);
    x = yolo_conv(b, "model.1", x, 64, 3, 2);
    x = c3(b, "model.2", x, 64, 1);
    x = yolo_conv(b, "model.3", x, 128, 3, 2);
    x = c3(b, "model.4", x, 128, 2);
    x = yolo_conv(b, "model.5", x, 256, 3, 2);
    x = c3(b, "model.6", x, 256, 3);
    x = yolo_conv(b, "model.7", x, 512, 3, 2);
    x = c3(b, "model.8", x, 512, 1);
    int32_t ins[4];
    ins[0] = yolo_conv(b, "model.9.cv1", x, 256, 1, 1);
    ins[1] = df_nb_pool(b, "model.9.m.0", ins[0], 5, 1, 2);
    ins[2] = df_nb_pool(b, "model.9.m.1", ins[1], 5, 1, 2);
    ins[3] = df_nb_pool(b, "model.9.m.2", ins[2], 5, 1, 2);
    x = df_nb_concat(b, "model.9.cat", ins, 4);
    yolo_conv(b, "model.9.cv2", x, 512, 1, 1);
}

static const struct {
    const char *name, *desc;
    builder build;
    int32_t in_c, in_y, in_x; /* network input (the transformers set their own) */
} zoo[] = {
    {"resnet18", "ResNet-18, torchvision, 224x224x3", resnet18, 3, 224, 224},
    {"resnet50", "ResNet-50 v1.5, torchvision, 224x224x3", resnet50, 3, 224, 224},
    {"mobilenetv2", "MobileNetV2 width 1.0, torchvision, 224x224x3", mobilenetv2, 3, 224, 224},
    {"mnasnet", "MnasNet-1.0 (mnasnet1_0), torchvision, 224x224x3", mnasnet, 3, 224, 224},
    {"vgg16", "VGG16 (configuration D), torchvision, 224x224x3", vgg16, 3, 224, 224},
    {"efficientnet_b0", "EfficientNet-B0 with squeeze-excite, torchvision, 224x224x3", efficientnet_b0, 3, 224, 224},
    {"bert_base", "BERT-base encoder (12 x 768, 12 heads, FFN 3072), seq_len tokens (default 128)", bert_base, 3, 224,
     224},
    {"vit_b_16", "ViT-B/16, torchvision, 224x224x3 (197 tokens, 12 x 768, 12 heads, MLP 3072)", vit_b_16, 3, 224, 224},
    {"gpt2_small", "GPT-2 small decoder (12 x 768, 12 heads, vocab 50257), prefill of seq_len tokens (default 128)",
     gpt2_small, 3, 224, 224},
    {"gpt2_small_decode", "GPT-2 small, one decode step over a KV cache of seq_len tokens (default 128)",
     gpt2_small_decode, 3, 224, 224},
    {"llama7b_block", "one LLaMA-7B block (4096, 32 heads, SwiGLU 11008), prefill of seq_len tokens (default 128)",
     llama7b_block, 3, 224, 224},
    {"llama7b_block_decode", "one LLaMA-7B block, one decode step over a KV cache of seq_len tokens (default 128)",
     llama7b_block_decode, 3, 224, 224},
    {"resnet18_512", "ResNet-18, torchvision, 512x512x3", resnet18_512, 3, 512, 512},
    {"mobilenetv2_512", "MobileNetV2 width 1.0, torchvision, 512x512x3", mobilenetv2_512, 3, 512, 512},
    {"fsrcnn", "FSRCNN(56, 12, 4) x2 super-resolution, 960x540 -> 1920x1080 luminance (deconv 9x9)", fsrcnn, 1, 540,
     960},
    {"fsrcnn_defines", "FSRCNN as DeFiNES defines it: unpadded, 974x554 -> 16 x 960x540 (3x3 conv, no deconv)",
     fsrcnn_defines, 1, 554, 974},
    {"unet", "U-Net (64..1024, 2x2 up-convs, padded 3x3), 512x512x3 -> 2 classes", unet, 3, 512, 512},
    {"yolov5s_backbone", "YOLOv5s v6 backbone (CSP C3 blocks + SPPF), 640x640x3 -> 512 x 20x20", yolov5s_backbone, 3,
     640, 640},
};
#define ZOO_N ((int32_t)(sizeof zoo / sizeof zoo[0]))

int32_t df_zoo_count(void) { return ZOO_N; }
const char *df_zoo_name(int32_t i) { return i >= 0 && i < ZOO_N ? zoo[i].name : NULL; }
const char *df_zoo_description(int32_t i) { return i >= 0 && i < ZOO_N ? zoo[i].desc : NULL; }

int df_zoo_build(const char *name, const df_zoo_opts *opts, df_workload *out, df_err *err) {
    df_err_clear(err);
    df_workload_init(out, name); /* always initialised, so df_workload_free(out) is safe after any return */
    for (int32_t i = 0; i < ZOO_N; i++) {
        if (!name || strcmp(name, zoo[i].name) != 0) continue;
        if (opts && (opts->seq_len < 0 || opts->seq_len > 4096))
            return df_err_set_field(err, DF_EINVAL, DF_FIELD_SEQ_LEN, NULL,
                                    "seq_len = %d out of range [1, 4096] (0 = default 128)", opts->seq_len);
        df_workload_init(out, zoo[i].name);
        df_netbuild b;
        df_nb_init(&b, out, zoo[i].in_c, zoo[i].in_y, zoo[i].in_x);
        zoo[i].build(&b, opts);
        int rc = df_nb_finish(&b, err);
        if (!rc) rc = df_workload_validate(out, 0, err); /* also enforces the default layer limit */
        if (rc) df_workload_free(out);
        return rc;
    }
    char list[512] = "";
    for (int32_t i = 0; i < ZOO_N; i++) {
        strncat(list, zoo[i].name, sizeof list - strlen(list) - 1);
        if (i + 1 < ZOO_N) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    return df_err_set_field(err, DF_ENOTFOUND, DF_FIELD_WORKLOAD, NULL, "unknown workload '%s' (known: %s)",
                            name ? name : "(null)", list);
}
