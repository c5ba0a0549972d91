/* netbuild.c - shape-tracking layer builder (see netbuild.h): each call validates the new layer
 * against its producers right away, so derived P/Q are available to the next call. */
#include "dnnfuser/netbuild.h"

#include <stdio.h>
#include <string.h>

void df_nb_init(df_netbuild *b, df_workload *w, int32_t in_c, int32_t in_y, int32_t in_x) {
    memset(b, 0, sizeof *b);
    b->w = w;
    b->in_c = in_c;
    b->in_y = in_y;
    b->in_x = in_x;
    df_err_clear(&b->err);
}

void df_nb_shape(const df_netbuild *b, int32_t p, int32_t *k, int32_t *y, int32_t *x) {
    if (p < 0 || p >= b->w->n_layers) {
        *k = b->in_c;
        *y = b->in_y;
        *x = b->in_x;
        return;
    }
    const df_layer *l = &b->w->layers[p];
    *k = l->K;
    *y = l->P;
    *x = l->Q;
}

/* Appends l after checking it in place: validation of the prefix derives this layer's P/Q. */
static int32_t push(df_netbuild *b, df_layer *l, const char *name) {
    if (b->rc) return -1;
    snprintf(l->name, sizeof l->name, "%s", name);
    if ((b->rc = df_workload_add(b->w, l, &b->err))) return -1;
    /* validate only the new layer's constraints by validating the whole prefix (cheap: O(L)) */
    if ((b->rc = df_workload_validate(b->w, b->w->n_layers, &b->err))) return -1;
    return b->w->n_layers - 1;
}

static df_layer base(df_layer_type t, int32_t in) {
    df_layer l;
    memset(&l, 0, sizeof l);
    l.type = t;
    l.R = l.S = l.stride = l.groups = 1;
    l.n_inputs = 1;
    l.inputs[0] = in;
    return l;
}

static void take_input(df_netbuild *b, df_layer *l, int32_t in) { df_nb_shape(b, in, &l->C, &l->Y, &l->X); }

int32_t df_nb_conv(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t R, int32_t stride, int32_t pad,
                   int32_t groups) {
    df_layer l = base(DF_LAYER_CONV, in);
    take_input(b, &l, in);
    l.K = K;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad < 0 ? R / 2 : pad;
    l.groups = groups;
    return push(b, &l, name);
}

int32_t df_nb_dwconv(df_netbuild *b, const char *name, int32_t in, int32_t R, int32_t stride, int32_t pad) {
    df_layer l = base(DF_LAYER_DWCONV, in);
    take_input(b, &l, in);
    l.K = l.C;
    l.groups = l.C;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad < 0 ? R / 2 : pad;
    return push(b, &l, name);
}

int32_t df_nb_deconv(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t R, int32_t stride, int32_t pad,
                     int32_t out_y, int32_t out_x) {
    df_layer l = base(DF_LAYER_DECONV, in);
    take_input(b, &l, in);
    l.K = K;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad;
    l.out_y = out_y;
    l.out_x = out_x;
    return push(b, &l, name);
}

int32_t df_nb_pool(df_netbuild *b, const char *name, int32_t in, int32_t R, int32_t stride, int32_t pad) {
    df_layer l = base(DF_LAYER_POOL, in);
    take_input(b, &l, in);
    l.K = l.C;
    l.R = l.S = R;
    l.stride = stride;
    l.pad = pad < 0 ? 0 : pad;
    return push(b, &l, name);
}

int32_t df_nb_gpool(df_netbuild *b, const char *name, int32_t in) {
    df_layer l = base(DF_LAYER_POOL, in);
    take_input(b, &l, in);
    l.K = l.C;
    l.R = l.Y;
    l.S = l.X;
    l.stride = 1;
    return push(b, &l, name);
}

int32_t df_nb_fc(df_netbuild *b, const char *name, int32_t in, int32_t K) {
    df_layer l = base(DF_LAYER_FC, in);
    int32_t k, y, x;
    df_nb_shape(b, in, &k, &y, &x);
    l.C = k * y * x;
    l.Y = l.X = 1;
    l.K = K;
    return push(b, &l, name);
}

int32_t df_nb_add(df_netbuild *b, const char *name, int32_t a, int32_t c) {
    df_layer l = base(DF_LAYER_ADD, a);
    take_input(b, &l, a);
    l.K = l.C;
    l.n_inputs = 2;
    l.inputs[1] = c;
    return push(b, &l, name);
}

int32_t df_nb_concat(df_netbuild *b, const char *name, const int32_t *ins, int32_t n) {
    df_layer l = base(DF_LAYER_CONCAT, ins[0]);
    take_input(b, &l, ins[0]);
    if (n > DF_MAX_INPUTS) n = DF_MAX_INPUTS + 1; /* rejected by validation */
    int32_t c = 0;
    for (int32_t i = 0; i < n && i < DF_MAX_INPUTS; i++) {
        int32_t k, y, x;
        df_nb_shape(b, ins[i], &k, &y, &x);
        l.inputs[i] = ins[i];
        c += k;
    }
    l.n_inputs = n;
    l.C = l.K = c;
    return push(b, &l, name);
}

int32_t df_nb_matmul(df_netbuild *b, const char *name, int32_t in, int32_t K, int32_t groups) {
    df_layer l = base(DF_LAYER_MATMUL, in);
    int32_t k, y, x;
    df_nb_shape(b, in, &k, &y, &x);
    l.C = k;
    l.Y = y * x;
    l.X = 1;
    l.K = K;
    l.groups = groups;
    return push(b, &l, name);
}

int32_t df_nb_matmul2(df_netbuild *b, const char *name, int32_t a, int32_t other, int32_t K, int32_t groups) {
    df_layer l = base(DF_LAYER_MATMUL, a);
    int32_t k, y, x;
    df_nb_shape(b, a, &k, &y, &x);
    l.C = k;
    l.Y = y * x;
    l.X = 1;
    l.K = K;
    l.groups = groups;
    l.n_inputs = 2;
    l.inputs[1] = other;
    return push(b, &l, name);
}

static int32_t vec(df_netbuild *b, const char *name, int32_t in, df_layer_type t, df_layer_op op) {
    df_layer l = base(t, in);
    take_input(b, &l, in);
    l.K = l.C;
    l.op = op;
    return push(b, &l, name);
}

int32_t df_nb_norm(df_netbuild *b, const char *name, int32_t in) {
    return vec(b, name, in, DF_LAYER_NORM, DF_OP_LAYERNORM);
}
int32_t df_nb_softmax(df_netbuild *b, const char *name, int32_t in) {
    return vec(b, name, in, DF_LAYER_SOFTMAX, DF_OP_DEFAULT);
}

int32_t df_nb_eltwise(df_netbuild *b, const char *name, int32_t in, df_layer_op op, int32_t other) {
    df_layer l = base(DF_LAYER_ELTWISE, in);
    take_input(b, &l, in);
    l.K = l.C;
    l.op = op;
    if (other >= -1) {
        l.n_inputs = 2;
        l.inputs[1] = other;
    }
    return push(b, &l, name);
}

int32_t df_nb_layout(df_netbuild *b, const char *name, int32_t in, df_layer_op op, int32_t K, int32_t P, int32_t Q) {
    df_layer l = base(DF_LAYER_LAYOUT, in);
    take_input(b, &l, in);
    l.op = op;
    l.K = K;
    l.out_y = P;
    l.out_x = Q;
    return push(b, &l, name);
}

int32_t df_nb_join(df_netbuild *b, const char *name, const int32_t *ins, int32_t n, int32_t K, int32_t P, int32_t Q) {
    df_layer l = base(DF_LAYER_LAYOUT, ins[0]);
    if (n > DF_MAX_INPUTS) n = DF_MAX_INPUTS + 1; /* rejected by validation */
    int64_t c = 0;
    for (int32_t i = 0; i < n && i < DF_MAX_INPUTS; i++) {
        int32_t k, y, x;
        df_nb_shape(b, ins[i], &k, &y, &x);
        l.inputs[i] = ins[i];
        c += (int64_t)k * y * x;
    }
    l.op = DF_OP_JOIN;
    l.n_inputs = n;
    l.C = c > INT32_MAX ? INT32_MAX : (int32_t)c;
    l.Y = l.X = 1;
    l.K = K;
    l.out_y = P;
    l.out_x = Q;
    return push(b, &l, name);
}

int df_nb_finish(df_netbuild *b, df_err *err) {
    if (!b->rc) b->rc = df_workload_validate(b->w, b->w->n_layers > 0 ? b->w->n_layers : 1, &b->err);
    if (b->rc && err) *err = b->err;
    return b->rc;
}
