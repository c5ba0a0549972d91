/* synth.c - random realistic network generator (see synth.h). Shapes follow the families' reference
 * designs (He et al. 2016 basic/bottleneck blocks; Sandler et al. 2018 inverted residuals; Simonyan &
 * Zisserman 2015 3x3 chains; Vaswani et al. 2017 encoder), with randomised widths, depths,
 * resolutions and kernel sizes. */
#include "dnnfuser/synth.h"

#include <stdio.h>
#include "dnnfuser/netbuild.h"

static int32_t pick(df_rng *r, const int32_t *v, int32_t n) { return v[df_rng_range(r, n)]; }
static int32_t round8(double v) {
    int32_t x = (int32_t)(v / 8 + 0.5) * 8;
    return x < 8 ? 8 : x;
}

static void resnet(df_rng *r, df_netbuild *b) {
    static const int32_t res[] = {32, 64, 96, 128, 160, 224};
    int32_t y = pick(r, res, 6), c = round8(16 + df_rng_range(r, 6) * 8);
    int bottleneck = df_rng_range(r, 2);
    char nm[DF_NAME_MAX];
    b->in_c = 3;
    b->in_y = b->in_x = y;
    int32_t x = df_nb_conv(b, "stem", -1, c, y >= 128 ? 7 : 3, y >= 128 ? 2 : 1, -1, 1);
    if (y >= 128) x = df_nb_pool(b, "stem.pool", x, 3, 2, 1);
    int32_t stages = 2 + df_rng_range(r, 3);
    for (int32_t s = 0; s < stages; s++) {
        int32_t blocks = 1 + df_rng_range(r, 3), width = c << s, out = bottleneck ? width * 4 : width;
        for (int32_t k = 0; k < blocks; k++) {
            int32_t stride = (k == 0 && s > 0) ? 2 : 1, in = x, sc = in, kc, ky, kx;
            df_nb_shape(b, in, &kc, &ky, &kx);
            snprintf(nm, sizeof nm, "s%d.b%d.c1", s, k);
            if (bottleneck) {
                x = df_nb_conv(b, nm, in, width, 1, 1, 0, 1);
                snprintf(nm, sizeof nm, "s%d.b%d.c2", s, k);
                x = df_nb_conv(b, nm, x, width, 3, stride, 1, 1);
                snprintf(nm, sizeof nm, "s%d.b%d.c3", s, k);
                x = df_nb_conv(b, nm, x, out, 1, 1, 0, 1);
            } else {
                x = df_nb_conv(b, nm, in, width, 3, stride, 1, 1);
                snprintf(nm, sizeof nm, "s%d.b%d.c2", s, k);
                x = df_nb_conv(b, nm, x, out, 3, 1, 1, 1);
            }
            if (stride != 1 || kc != out) {
                snprintf(nm, sizeof nm, "s%d.b%d.down", s, k);
                sc = df_nb_conv(b, nm, in, out, 1, stride, 0, 1);
            }
            snprintf(nm, sizeof nm, "s%d.b%d.add", s, k);
            x = df_nb_add(b, nm, x, sc);
        }
    }
    x = df_nb_gpool(b, "gpool", x);
    df_nb_fc(b, "fc", x, 10 + df_rng_range(r, 1000));
}

static void mobile(df_rng *r, df_netbuild *b) {
    static const int32_t res[] = {64, 96, 128, 160, 192, 224};
    int32_t y = pick(r, res, 6), c = round8(16 + df_rng_range(r, 3) * 8);
    int se = df_rng_range(r, 2);
    char nm[DF_NAME_MAX];
    b->in_c = 3;
    b->in_y = b->in_x = y;
    int32_t x = df_nb_conv(b, "stem", -1, c, 3, 2, 1, 1);
    int32_t stages = 3 + df_rng_range(r, 4);
    for (int32_t s = 0; s < stages; s++) {
        int32_t blocks = 1 + df_rng_range(r, 3), out = round8(c * (1.0 + 0.5 * s));
        int32_t expand = df_rng_range(r, 2) ? 6 : 4, R = df_rng_range(r, 3) ? 3 : 5;
        for (int32_t k = 0; k < blocks; k++) {
            int32_t stride = (k == 0 && s % 2 == 1) ? 2 : 1, in = x, kc, ky, kx;
            df_nb_shape(b, in, &kc, &ky, &kx);
            snprintf(nm, sizeof nm, "s%d.b%d.exp", s, k);
            x = df_nb_conv(b, nm, in, kc * expand, 1, 1, 0, 1);
            snprintf(nm, sizeof nm, "s%d.b%d.dw", s, k);
            x = df_nb_dwconv(b, nm, x, R, stride, -1);
            if (se) {
                int32_t e = x, ec, ey, ex;
                df_nb_shape(b, e, &ec, &ey, &ex);
                snprintf(nm, sizeof nm, "s%d.b%d.se.pool", s, k);
                int32_t p = df_nb_gpool(b, nm, e);
                snprintf(nm, sizeof nm, "s%d.b%d.se.fc1", s, k);
                p = df_nb_conv(b, nm, p, ec / 4 > 8 ? ec / 4 : 8, 1, 1, 0, 1);
                snprintf(nm, sizeof nm, "s%d.b%d.se.fc2", s, k);
                df_nb_conv(b, nm, p, ec, 1, 1, 0, 1);
                x = e; /* the excite scale has no MACs; the projection reads the depthwise output */
            }
            snprintf(nm, sizeof nm, "s%d.b%d.proj", s, k);
            x = df_nb_conv(b, nm, x, out, 1, 1, 0, 1);
            if (stride == 1 && kc == out) {
                snprintf(nm, sizeof nm, "s%d.b%d.add", s, k);
                x = df_nb_add(b, nm, x, in);
            }
        }
        c = out;
    }
    x = df_nb_conv(b, "head", x, round8(c * 4), 1, 1, 0, 1);
    x = df_nb_gpool(b, "gpool", x);
    df_nb_fc(b, "fc", x, 10 + df_rng_range(r, 1000));
}

static void vgg(df_rng *r, df_netbuild *b) {
    static const int32_t res[] = {32, 64, 96, 128, 224};
    int32_t y = pick(r, res, 5), c = round8(16 + df_rng_range(r, 7) * 8);
    char nm[DF_NAME_MAX];
    b->in_c = 3;
    b->in_y = b->in_x = y;
    int32_t x = -1, stages = 2 + df_rng_range(r, 4);
    for (int32_t s = 0; s < stages && y >= 4; s++) {
        int32_t convs = 1 + df_rng_range(r, 3), w = c << (s < 3 ? s : 3);
        for (int32_t k = 0; k < convs; k++) {
            snprintf(nm, sizeof nm, "s%d.c%d", s, k);
            x = df_nb_conv(b, nm, x, w, 3, 1, 1, 1);
        }
        snprintf(nm, sizeof nm, "s%d.pool", s);
        x = df_nb_pool(b, nm, x, 2, 2, 0);
        y /= 2;
    }
    int32_t h = 64 << df_rng_range(r, 5);
    x = df_nb_fc(b, "fc1", x, h);
    if (df_rng_range(r, 2)) x = df_nb_fc(b, "fc2", x, h);
    df_nb_fc(b, "fc3", x, 10 + df_rng_range(r, 1000));
}

static void transformer(df_rng *r, df_netbuild *b) {
    static const int32_t seqs[] = {32, 64, 128, 256, 384, 512};
    static const int32_t dims[] = {128, 256, 384, 512, 768, 1024};
    int32_t T = pick(r, seqs, 6), d = pick(r, dims, 6), H = d >= 512 ? 8 + 4 * df_rng_range(r, 2) : 4;
    while (d % H) H /= 2;
    int32_t ff = d * (2 + 2 * df_rng_range(r, 2)), layers = 1 + df_rng_range(r, 4);
    char nm[DF_NAME_MAX];
    b->in_c = d;
    b->in_y = T;
    b->in_x = 1;
    /* the network input is C = d channels x T rows; a first matmul reads it */
    int32_t x = -1;
    for (int32_t i = 0; i < layers; i++) {
        int32_t in = x;
        snprintf(nm, sizeof nm, "l%d.q", i);
        int32_t q = df_nb_matmul(b, nm, in, d, 1);
        snprintf(nm, sizeof nm, "l%d.k", i);
        int32_t k = df_nb_matmul(b, nm, in, d, 1);
        snprintf(nm, sizeof nm, "l%d.v", i);
        int32_t v = df_nb_matmul(b, nm, in, d, 1);
        snprintf(nm, sizeof nm, "l%d.scores", i);
        int32_t s = df_nb_matmul2(b, nm, q, k, H * T, H);
        snprintf(nm, sizeof nm, "l%d.ctx", i);
        int32_t c = df_nb_matmul2(b, nm, s, v, d, H);
        snprintf(nm, sizeof nm, "l%d.out", i);
        int32_t o = df_nb_matmul(b, nm, c, d, 1);
        snprintf(nm, sizeof nm, "l%d.add1", i);
        int32_t a1 = in >= 0 ? df_nb_add(b, nm, o, in) : o;
        snprintf(nm, sizeof nm, "l%d.ff1", i);
        int32_t f1 = df_nb_matmul(b, nm, a1, ff, 1);
        snprintf(nm, sizeof nm, "l%d.ff2", i);
        int32_t f2 = df_nb_matmul(b, nm, f1, d, 1);
        snprintf(nm, sizeof nm, "l%d.add2", i);
        x = df_nb_add(b, nm, f2, a1);
    }
}

int df_synth_network(df_rng *r, int kind, int32_t max_layers, df_workload *out, df_err *err) {
    if (kind < 0 || kind >= DF_SYNTH_KINDS) kind = df_rng_range(r, DF_SYNTH_KINDS);
    for (int attempt = 0; attempt < 64; attempt++) {
        char name[32];
        snprintf(name, sizeof name, "synth-%d", kind);
        df_workload_init(out, name);
        df_netbuild b;
        df_nb_init(&b, out, 3, 32, 32);
        switch (kind) {
        case DF_SYNTH_RESNET: resnet(r, &b); break;
        case DF_SYNTH_MOBILE: mobile(r, &b); break;
        case DF_SYNTH_VGG: vgg(r, &b); break;
        default: transformer(r, &b); break;
        }
        int rc = df_nb_finish(&b, err);
        if (rc) {
            df_workload_free(out);
            return rc;
        }
        if (max_layers <= 0 || out->n_layers <= max_layers) return DF_OK;
        df_workload_free(out);
    }
    return df_err_set(err, DF_ELIMIT, NULL, "could not generate a %d network within %d layers", kind, max_layers);
}
