/* onnx.c - ONNX ModelProto -> workload (contract in include/dnnfuser/onnx.h): the ONNX message readers
 * on top of the protobuf wire reader (src/core/pb.c), the value table (name -> activation, weight or not-yet-classified
 * graph input, with shapes), per-operator shape inference and the layers it emits.
 *
 * Field numbers, from onnx/onnx.proto (checked against the upstream file, IR version 7):
 *   ModelProto       ir_version 1 (varint), graph 7
 *   GraphProto       node 1, name 2, initializer 5, input 11, output 12, value_info 13
 *   NodeProto        input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto   name 1, f 2 (fixed32), i 3, s 4, t 5, g 6, ints 8 (packed or not), type 20,
 *                    ref_attr_name 21
 *   TensorProto      dims 1, data_type 2, int32_data 5, int64_data 7, name 8, raw_data 9,
 *                    data_location 14 (1 = external)
 *   ValueInfoProto   name 1, type 2;  TypeProto tensor_type 1;  TypeProto.Tensor elem_type 1, shape 2
 *   TensorShapeProto dim 1;  Dimension dim_value 1, dim_param 2
 * The wire format itself (keys, varints, lengths, packed runs) is src/core/pb.c.
 *
 * Shapes: an activation's shape is kept per sample (the ONNX batch dimension 0 dropped); weights
 * and constants keep their full shape. A graph input that is not an initializer is either the
 * network input or a weight (export_params=False); it is classified by its first use: as the data
 * operand of a layer it is the network input, as a weight/bias/constant operand it is a weight. */
#include "dnnfuser/onnx.h"
#include "dnnfuser/pb.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define MAX_RANK 8       /* larger ranks are kept as "unknown shape" */
#define MAX_INTS 16      /* attribute int lists and constant int tensors we keep */
#define MAX_NODE_IO 4096 /* inputs + outputs of one node */
#define MAX_NODE_ATTRS 256
#define MAX_NAME 4096         /* bytes of any name */
#define MAX_VALUES (1 << 18)  /* named values (about 30 MB of table at most) */
#define MAX_DIM 2147483647LL  /* any dimension in the file */
#define MAX_ELEMS (1LL << 40) /* any tensor */

/* ---- protobuf wire format (src/core/pb.c) ------------------------------------------------------ */

typedef df_pb_bytes sv; /* a byte string inside the input */
typedef df_pb_reader rd;
typedef df_pb_field fld;

enum { WT_VARINT = DF_PB_VARINT, WT_I64 = DF_PB_I64, WT_LEN = DF_PB_LEN, WT_I32 = DF_PB_I32 };

typedef struct {
    int8_t rank;         /* -1 = unknown */
    int64_t d[MAX_RANK]; /* -1 = unknown or symbolic */
} shp;

/* V_STAT, V_CENT, V_GATE: pieces of a decomposed LayerNorm or GELU of activation src (issue 16),
 * recognised as one layer when the pattern completes; V_BAD: output of a node that failed (its
 * consumers are skipped silently, so one error lists every node that cannot be imported). */
enum { V_UNDEF = 0, V_PEND, V_PARAM, V_ACT, V_DEAD, V_STAT, V_CENT, V_GATE, V_BAD };

typedef struct {
    sv name;
    uint8_t kind;   /* V_* */
    int8_t n_ival;  /* V_PARAM: constant int values kept (-1 = not known) */
    int32_t src;    /* V_ACT: producing layer, -1 = the network input */
    int32_t root;   /* V_PEND: value index of the graph input it derives from */
    int32_t hint;   /* index in hints (value_info or graph output shape), -1 = none */
    int32_t ival;   /* V_PARAM: first index in the int pool */
    int32_t node;   /* defining node, -1 = graph input or initializer */
    int32_t pad[4]; /* V_ACT: zero padding (rows, cols before; rows, cols after) of an ONNX Pad that
                           src's output still needs; s is the padded shape. Folded into the next window. */
    shp s;          /* V_ACT: per-sample shape; V_PARAM and V_PEND: full shape */
    int8_t merged;  /* V_ACT (batch-1 files): s is the full shape, the batch axis having moved or merged
                           (attention's (T, B, E), Swin's B x windows) */
} val;

typedef struct {
    sv name, op, domain;
    int n_in, n_out, n_at;
    sv *in, *out, *at; /* scratch buffers of the ctx; at[] are AttributeProto bytes */
} nd;

typedef struct {
    sv name;
    int64_t type, i;
    int has_i, has_s, has_t, has_ints, ints_over, ref;
    sv s, t;
    int n_ints;
    int64_t ints[MAX_INTS];
} attr;

typedef struct {
    sv name;
    int64_t dtype;
    shp s;
    int n_vals; /* -1 = values not known (weights, external data, too many) */
    int64_t vals[MAX_INTS];
} tensor;

typedef struct {
    const uint8_t *base;
    df_err *err;
    df_pb_doc pb;  /* the wire reader's view: base, "ONNX model", err */
    uint64_t seed; /* hash key of this import (names chosen to collide cannot be precomputed) */
    sv *nodes;
    int32_t n_nodes, cap_nodes;
    val *vals;
    int32_t n_vals, cap_vals;
    int32_t *tab; /* open addressing: value index + 1, 0 = empty */
    uint32_t tab_cap;
    shp *hints;
    int32_t n_hints, cap_hints;
    int64_t *pool; /* constant ints */
    int32_t n_pool, cap_pool;
    sv *gin; /* graph inputs (names), classified after the initializers are known */
    shp *gin_s;
    int32_t n_gin, cap_gin;
    sv scratch_in[MAX_NODE_IO], scratch_out[MAX_NODE_IO], scratch_at[MAX_NODE_ATTRS];
    int32_t netin;      /* value index of the network input, -1 = none yet */
    int64_t file_batch; /* the network input's dimension 0 in the file, -1 = symbolic */
    df_workload *w;
    int32_t max_layers;
    int32_t *expect; /* [3 * layers]: the K, P, Q each emitted layer must derive */
    int32_t cap_expect;
    int32_t gin_first; /* value index of the first graph input that is not an initializer, -1 = none */
    char why[256];     /* the reason part of the last node error (for the list of failed nodes) */
    int32_t n_bad;     /* nodes that could not be imported */
    df_err first[1];   /* the first one's error */
    struct {
        int32_t node;
        char op[24], name[40], why[64];
    } bad[8];
} ctx;

static int fail(ctx *c, const char *pointer, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, const char *pointer, const char *fmt, ...) {
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return df_err_set(c->err, DF_EINVAL, pointer, "%s", msg);
}

static int nomem(ctx *c) { return df_err_set(c->err, DF_ENOMEM, NULL, "out of memory importing the ONNX model"); }

/* Printable copy of a name for messages: at most 60 bytes, anything odd replaced by '?'. */
static const char *show(sv s, char *buf, size_t n) {
    size_t k = 0, lim = s.n < 60 ? s.n : 60;
    for (size_t i = 0; i < lim && k + 1 < n; i++) {
        uint8_t ch = s.p[i];
        buf[k++] = (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\'' && ch != '\\') ? (char)ch : '?';
    }
    if (s.n > lim && k + 4 < n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

static int sveq(sv s, const char *lit) {
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* The wire reader with this import's error context (pb.h). */
static int next(ctx *c, rd *r, fld *f, const char *what) { return df_pb_next(&c->pb, r, f, what); }
static int want(ctx *c, const fld *f, uint32_t wt, const char *what) { return df_pb_want(&c->pb, f, wt, what); }
static int ints_field(ctx *c, const fld *f, int64_t *vals, int *n, int max, int *over, const char *what) {
    return df_pb_ints(&c->pb, f, vals, n, max, over, what);
}

static int want_name(ctx *c, const fld *f, const char *what) {
    if (want(c, f, WT_LEN, what)) return -1;
    if (f->b.n > MAX_NAME) return fail(c, NULL, "%s: a name of %u bytes (at most %d)", what, f->b.n, MAX_NAME);
    return 0;
}

/* ---- message readers (each reads one message type; none recurses) ---------------------------- */

static int read_dim(ctx *c, sv b, int64_t *d) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    *d = -1;
    while ((rc = next(c, &r, &f, "TensorShapeProto.Dimension")) > 0) {
        if (f.num == 1) {
            if (want(c, &f, WT_VARINT, "Dimension.dim_value")) return -1;
            int64_t v = (int64_t)f.v;
            if (v < 0 || v > MAX_DIM)
                return fail(c, NULL, "shape dimension %lld out of range [0, %lld]", (long long)v, MAX_DIM);
            *d = v;
        } else if (f.num == 2) {
            if (want(c, &f, WT_LEN, "Dimension.dim_param")) return -1;
            *d = -1;
        }
    }
    return rc;
}

static int read_tshape(ctx *c, sv b, shp *s) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc, rank = 0;
    while ((rc = next(c, &r, &f, "TensorShapeProto")) > 0) {
        if (f.num != 1) continue;
        if (want(c, &f, WT_LEN, "TensorShapeProto.dim")) return -1;
        int64_t d;
        if (read_dim(c, f.b, &d)) return -1;
        if (rank < MAX_RANK) s->d[rank] = d;
        rank++;
    }
    if (rc) return rc;
    s->rank = (int8_t)(rank <= MAX_RANK ? rank : -1);
    return 0;
}

/* TypeProto: only tensor types carry a shape; any other type leaves s unknown. */
static int read_type(ctx *c, sv b, shp *s) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    while ((rc = next(c, &r, &f, "TypeProto")) > 0) {
        if (f.num != 1) continue;
        if (want(c, &f, WT_LEN, "TypeProto.tensor_type")) return -1;
        rd r2 = {f.b.p, f.b.p + f.b.n};
        fld g;
        int rc2;
        while ((rc2 = next(c, &r2, &g, "TypeProto.Tensor")) > 0) {
            if (g.num == 1 && want(c, &g, WT_VARINT, "TypeProto.Tensor.elem_type")) return -1;
            if (g.num != 2) continue;
            if (want(c, &g, WT_LEN, "TypeProto.Tensor.shape") || read_tshape(c, g.b, s)) return -1;
        }
        if (rc2) return rc2;
    }
    return rc;
}

static int read_vinfo(ctx *c, sv b, sv *name, shp *s) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    name->p = b.p;
    name->n = 0;
    s->rank = -1;
    while ((rc = next(c, &r, &f, "ValueInfoProto")) > 0) {
        if (f.num == 1) {
            if (want_name(c, &f, "ValueInfoProto.name")) return -1;
            *name = f.b;
        } else if (f.num == 2) {
            if (want(c, &f, WT_LEN, "ValueInfoProto.type") || read_type(c, f.b, s)) return -1;
        }
    }
    return rc;
}

/* TensorProto: name, dims, and its values when it is a small INT32/INT64 tensor stored inline. */
static int read_tensor(ctx *c, sv b, tensor *t) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc, rank = 0, over = 0, n_typed = 0, typed_over = 0, external = 0;
    int64_t dims[MAX_RANK], typed[MAX_INTS];
    sv raw = {b.p, 0};
    int has_raw = 0;
    memset(t, 0, sizeof *t);
    t->n_vals = -1;
    while ((rc = next(c, &r, &f, "TensorProto")) > 0) {
        switch (f.num) {
        case 1:
            if (ints_field(c, &f, dims, &rank, MAX_RANK, &over, "TensorProto.dims")) return -1;
            break;
        case 2:
            if (want(c, &f, WT_VARINT, "TensorProto.data_type")) return -1;
            t->dtype = (int64_t)f.v;
            break;
        case 5:
        case 7:
            if (ints_field(c, &f, typed, &n_typed, MAX_INTS, &typed_over, "TensorProto.int_data")) return -1;
            break;
        case 8:
            if (want_name(c, &f, "TensorProto.name")) return -1;
            t->name = f.b;
            break;
        case 9:
            if (want(c, &f, WT_LEN, "TensorProto.raw_data")) return -1;
            raw = f.b;
            has_raw = 1;
            break;
        case 14:
            if (want(c, &f, WT_VARINT, "TensorProto.data_location")) return -1;
            external = f.v == 1;
            break;
        default: break;
        }
    }
    if (rc) return rc;
    if (over) {
        t->s.rank = -1;
        return 0;
    }
    t->s.rank = (int8_t)rank;
    int64_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || dims[i] > MAX_DIM)
            return fail(c, NULL, "tensor dimension %lld out of range [0, %lld]", (long long)dims[i], MAX_DIM);
        t->s.d[i] = dims[i];
        count = dims[i] && count > MAX_ELEMS / dims[i] ? MAX_ELEMS + 1 : count * dims[i];
    }
    if (!external && (t->dtype == 1 || t->dtype == 11) && has_raw && count <= MAX_INTS &&
        (int64_t)raw.n == count * (t->dtype == 1 ? 4 : 8)) {
        /* float constants (Resize scales, ConstantOfShape values) are kept when integral */
        for (int64_t i = 0; i < count; i++) {
            double d;
            if (t->dtype == 1) {
                uint32_t u = (uint32_t)df_pb_le(raw.p + i * 4, 4);
                float fv;
                memcpy(&fv, &u, sizeof fv);
                d = fv;
            } else {
                uint64_t u = (uint64_t)df_pb_le(raw.p + i * 8, 8);
                memcpy(&d, &u, sizeof d);
            }
            if (!(d >= -1e15 && d <= 1e15) || d != (double)(int64_t)d) return 0;
            t->vals[i] = (int64_t)d;
        }
        t->n_vals = (int)count;
        return 0;
    }
    if (external || (t->dtype != 6 && t->dtype != 7) || count > MAX_INTS) return 0;
    int es = t->dtype == 7 ? 8 : 4;
    if (has_raw) {
        if ((int64_t)raw.n != count * es) return 0;
        for (int64_t i = 0; i < count; i++) t->vals[i] = df_pb_le(raw.p + i * es, es);
        t->n_vals = (int)count;
    } else if (!typed_over && n_typed == count) {
        for (int i = 0; i < n_typed; i++) t->vals[i] = es == 4 ? (int64_t)(int32_t)typed[i] : typed[i];
        t->n_vals = (int)count;
    }
    return 0;
}

static int read_attr(ctx *c, sv b, attr *a) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    memset(a, 0, sizeof *a);
    a->name.p = b.p;
    while ((rc = next(c, &r, &f, "AttributeProto")) > 0) {
        switch (f.num) {
        case 1:
            if (want_name(c, &f, "AttributeProto.name")) return -1;
            a->name = f.b;
            break;
        case 3:
            if (want(c, &f, WT_VARINT, "AttributeProto.i")) return -1;
            a->i = (int64_t)f.v;
            a->has_i = 1;
            break;
        case 4:
            if (want(c, &f, WT_LEN, "AttributeProto.s")) return -1;
            a->s = f.b;
            a->has_s = 1;
            break;
        case 5:
            if (want(c, &f, WT_LEN, "AttributeProto.t")) return -1;
            a->t = f.b;
            a->has_t = 1;
            break;
        case 8:
            if (ints_field(c, &f, a->ints, &a->n_ints, MAX_INTS, &a->ints_over, "AttributeProto.ints")) return -1;
            a->has_ints = 1;
            break;
        case 20:
            if (want(c, &f, WT_VARINT, "AttributeProto.type")) return -1;
            a->type = (int64_t)f.v;
            break;
        case 21: a->ref = 1; break;
        default: break; /* f, floats, strings, g, graphs, tensors, ...: not needed (sub-graphs are not entered) */
        }
    }
    return rc;
}

static int read_node(ctx *c, sv b, nd *n) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    memset(n, 0, sizeof *n);
    n->in = c->scratch_in;
    n->out = c->scratch_out;
    n->at = c->scratch_at;
    n->name.p = n->op.p = n->domain.p = b.p;
    while ((rc = next(c, &r, &f, "NodeProto")) > 0) {
        switch (f.num) {
        case 1:
        case 2:
            if (want_name(c, &f, f.num == 1 ? "NodeProto.input" : "NodeProto.output")) return -1;
            if (n->n_in + n->n_out >= MAX_NODE_IO)
                return fail(c, NULL, "a node with more than %d inputs and outputs", MAX_NODE_IO);
            if (f.num == 1)
                n->in[n->n_in++] = f.b;
            else
                n->out[n->n_out++] = f.b;
            break;
        case 3:
            if (want_name(c, &f, "NodeProto.name")) return -1;
            n->name = f.b;
            break;
        case 4:
            if (want_name(c, &f, "NodeProto.op_type")) return -1;
            n->op = f.b;
            break;
        case 5:
            if (want(c, &f, WT_LEN, "NodeProto.attribute")) return -1;
            if (n->n_at >= MAX_NODE_ATTRS) return fail(c, NULL, "a node with more than %d attributes", MAX_NODE_ATTRS);
            n->at[n->n_at++] = f.b;
            break;
        case 7:
            if (want_name(c, &f, "NodeProto.domain")) return -1;
            n->domain = f.b;
            break;
        default: break;
        }
    }
    return rc;
}

/* ---- the value table ---------------------------------------------------------------------------- */

/* FNV-1a from a per-import key, then the splitmix64 finalizer so the table index depends on every
 * bit (plain FNV's low bits depend only on low bits, which makes colliding names easy to find). */
static uint64_t hash(const ctx *c, sv s) {
    uint64_t h = c->seed;
    for (uint32_t i = 0; i < s.n; i++) h = (h ^ s.p[i]) * 1099511628211ULL;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

static int32_t find(const ctx *c, sv name) {
    if (!c->tab_cap) return -1;
    uint32_t m = c->tab_cap - 1;
    for (uint32_t i = (uint32_t)hash(c, name) & m;; i = (i + 1) & m) {
        int32_t k = c->tab[i];
        if (!k) return -1;
        const val *v = &c->vals[k - 1];
        if (v->name.n == name.n && memcmp(v->name.p, name.p, name.n) == 0) return k - 1;
    }
}

static int grow_tab(ctx *c) {
    uint32_t cap = c->tab_cap ? c->tab_cap * 2 : 1024;
    int32_t *t = calloc(cap, sizeof *t);
    if (!t) return nomem(c);
    for (int32_t k = 0; k < c->n_vals; k++)
        for (uint32_t i = (uint32_t)hash(c, c->vals[k].name) & (cap - 1);; i = (i + 1) & (cap - 1))
            if (!t[i]) {
                t[i] = k + 1;
                break;
            }
    free(c->tab);
    c->tab = t;
    c->tab_cap = cap;
    return 0;
}

/* Room for n more values, so pointers into c->vals stay valid while one node is handled. */
static int reserve(ctx *c, int32_t n) {
    if (c->n_vals + n > MAX_VALUES) return fail(c, NULL, "the model has more than %d named values", MAX_VALUES);
    if (c->n_vals + n > c->cap_vals) {
        int32_t cap = c->cap_vals ? c->cap_vals : 256;
        while (cap < c->n_vals + n) cap *= 2;
        val *v = realloc(c->vals, (size_t)cap * sizeof *v);
        if (!v) return nomem(c);
        c->vals = v;
        c->cap_vals = cap;
    }
    while ((uint64_t)(c->n_vals + n) * 2 > c->tab_cap)
        if (grow_tab(c)) return -1;
    return 0;
}

/* Index of name, added as V_UNDEF when absent. */
static int32_t get(ctx *c, sv name) {
    int32_t k = find(c, name);
    if (k >= 0) return k;
    if (reserve(c, 1)) return -1;
    k = c->n_vals++;
    val *v = &c->vals[k];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->kind = V_UNDEF;
    v->hint = v->ival = v->root = -1;
    v->n_ival = -1;
    v->node = -1;
    v->s.rank = -1;
    for (uint32_t i = (uint32_t)hash(c, name) & (c->tab_cap - 1);; i = (i + 1) & (c->tab_cap - 1))
        if (!c->tab[i]) {
            c->tab[i] = k + 1;
            break;
        }
    return k;
}

static int push_ints(ctx *c, const int64_t *x, int n, int32_t *first) {
    if (c->n_pool + n > c->cap_pool) {
        int32_t cap = c->cap_pool ? c->cap_pool * 2 : 256;
        while (cap < c->n_pool + n) cap *= 2;
        int64_t *p = realloc(c->pool, (size_t)cap * sizeof *p);
        if (!p) return nomem(c);
        c->pool = p;
        c->cap_pool = cap;
    }
    *first = c->n_pool;
    memcpy(c->pool + c->n_pool, x, (size_t)n * sizeof *x);
    c->n_pool += n;
    return 0;
}

static int set_param(ctx *c, val *v, const tensor *t) {
    v->kind = V_PARAM;
    v->s = t->s;
    v->n_ival = -1;
    if (t->n_vals >= 0) {
        if (push_ints(c, t->vals, t->n_vals, &v->ival)) return -1;
        v->n_ival = (int8_t)t->n_vals;
    }
    return 0;
}

/* ---- shapes -------------------------------------------------------------------------------------- */

/* Elements of a known shape, -1 when unknown or too large. */
static int64_t elems(const shp *s) {
    if (s->rank < 0) return -1;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0) return -1;
        if (s->d[i] && n > MAX_ELEMS / s->d[i]) return -1;
        n *= s->d[i];
    }
    return n;
}

static int known(const shp *s) { return elems(s) >= 0; }

/* "3x224x224" (per-sample) or "?" */
static const char *fmt(const shp *s, char *buf, size_t n) {
    if (s->rank < 0) return snprintf(buf, n, "?"), buf;
    if (s->rank == 0) return snprintf(buf, n, "scalar"), buf;
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->rank && k < n; i++) {
        if (s->d[i] >= 0)
            k += (size_t)snprintf(buf + k, n - k, "%s%lld", i ? "x" : "", (long long)s->d[i]);
        else
            k += (size_t)snprintf(buf + k, n - k, "%s?", i ? "x" : "");
    }
    return buf;
}

/* Per-sample shape -> the workload's (channels, rows, cols) of a layer input/output:
 * [C] -> C x 1 x 1, [T, C] -> C x T x 1 (matmul rows), [C, H, W] -> C x H x W. */
static int dfshape(const shp *s, int32_t o[3]) {
    int64_t t[3] = {1, 1, 1};
    switch (s->rank) {
    case 0: break;
    case 1: t[0] = s->d[0]; break;
    case 2:
        t[0] = s->d[1];
        t[1] = s->d[0];
        break;
    case 3:
        t[0] = s->d[0];
        t[1] = s->d[1];
        t[2] = s->d[2];
        break;
    default: return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (t[i] < 1 || t[i] > INT32_MAX) return -1;
        o[i] = (int32_t)t[i];
    }
    return 0;
}

/* ---- nodes ---------------------------------------------------------------------------------------- */

typedef struct {
    ctx *c;
    const nd *n;
    int32_t i;    /* node index */
    char ptr[40]; /* /graph/node/<i> */
} node_ctx;

static int nfail(node_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int nfail(node_ctx *x, const char *fmt, ...) {
    char what[256], nm[72], op[72];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(x->c->why, sizeof x->c->why, "%s", what);
    return df_err_set(x->c->err, DF_EINVAL, x->ptr, "node %d '%s' (%s): %s", x->i, show(x->n->name, nm, sizeof nm),
                      show(x->n->op, op, sizeof op), what);
}

/* Looks up attribute `name`; 1 found, 0 absent, -1 error. */
static int get_attr(node_ctx *x, const char *name, attr *a) {
    for (int k = 0; k < x->n->n_at; k++) {
        if (read_attr(x->c, x->n->at[k], a)) {
            char m[sizeof x->c->err->msg];
            snprintf(m, sizeof m, "%s", x->c->err->msg);
            return nfail(x, "%s", m);
        }
        if (!a->ref && sveq(a->name, name)) return 1;
    }
    return 0;
}

static int attr_int(node_ctx *x, const char *name, int64_t dflt, int64_t lo, int64_t hi, int64_t *out) {
    attr a;
    int rc = get_attr(x, name, &a);
    if (rc < 0) return -1;
    *out = dflt;
    if (rc == 0) return 0;
    if (!a.has_i) return nfail(x, "attribute %s must be an integer", name);
    if (a.i < lo || a.i > hi)
        return nfail(x, "attribute %s = %lld out of range [%lld, %lld]", name, (long long)a.i, (long long)lo,
                     (long long)hi);
    *out = a.i;
    return 0;
}

/* An int list attribute of exactly n entries (absent: every entry dflt), each in [lo, hi]. */
static int attr_ints(node_ctx *x, const char *name, int n, int64_t dflt, int64_t lo, int64_t hi, int64_t *out,
                     int *present) {
    attr a;
    int rc = get_attr(x, name, &a);
    if (rc < 0) return -1;
    if (present) *present = rc;
    for (int k = 0; k < n; k++) out[k] = dflt;
    if (rc == 0) return 0;
    if (a.ints_over || a.n_ints != n)
        return nfail(x, "attribute %s has %s%d entries, expected %d (2-D windows only)", name,
                     a.ints_over ? "over " : "", a.n_ints, n);
    for (int k = 0; k < n; k++) {
        if (a.ints[k] < lo || a.ints[k] > hi)
            return nfail(x, "attribute %s[%d] = %lld out of range [%lld, %lld]", name, k, (long long)a.ints[k],
                         (long long)lo, (long long)hi);
        out[k] = a.ints[k];
    }
    return 0;
}

/* The value named by input k; NULL (err set) when absent or not defined yet. */
static val *input(node_ctx *x, int k) {
    char nm[72];
    if (k >= x->n->n_in || x->n->in[k].n == 0) {
        nfail(x, "input %d is missing", k);
        return NULL;
    }
    int32_t j = find(x->c, x->n->in[k]);
    if (j < 0 || x->c->vals[j].kind == V_UNDEF) {
        nfail(x,
              "input '%s' is not produced by an earlier node, an initializer or a graph input (nodes must be "
              "in topological order)",
              show(x->n->in[k], nm, sizeof nm));
        return NULL;
    }
    val *v = &x->c->vals[j];
    if (v->kind == V_DEAD) {
        nfail(x, "input '%s' is a secondary output (mask, indices, statistics) this importer does not model",
              show(v->name, nm, sizeof nm));
        return NULL;
    }
    return v;
}

/* Classifies a value derived from a graph input that was not classified yet: as the data operand of
 * a layer it is (or derives from) the network input; otherwise it is a weight. */
static int resolve(node_ctx *x, val *v, int as_data) {
    if (v->kind != V_PEND) return 0;
    ctx *c = x->c;
    val *root = &c->vals[v->root];
    char nm[72], sh[96];
    if (root->kind == V_PEND) {
        if (as_data) {
            if (c->netin >= 0 && c->netin != v->root)
                return nfail(x, "graph input '%s' is a second network input (the workload has one, '%s')",
                             show(root->name, nm, sizeof nm), show(c->vals[c->netin].name, sh, sizeof sh));
            if (root->s.rank < 1)
                return nfail(x, "network input '%s' has no known shape", show(root->name, nm, sizeof nm));
            shp ps = {(int8_t)(root->s.rank - 1), {0}};
            for (int k = 1; k < root->s.rank; k++) {
                if (root->s.d[k] < 1)
                    return nfail(x,
                                 "network input '%s' (%s) has a symbolic or zero dimension %d: export it with a fixed "
                                 "input size (only the batch dimension 0 may be symbolic)",
                                 show(root->name, nm, sizeof nm), fmt(&root->s, sh, sizeof sh), k);
                ps.d[k - 1] = root->s.d[k];
            }
            c->netin = v->root;
            c->file_batch = root->s.d[0];
            root->kind = V_ACT;
            root->src = -1;
            root->s = ps;
        } else {
            root->kind = V_PARAM;
        }
    }
    if (v != root) {
        v->kind = root->kind;
        v->src = root->src;
        v->s = root->s;
    }
    return 0;
}

/* Input k as an activation (the data operand of a layer). */
static val *act_input(node_ctx *x, int k) {
    val *v = input(x, k);
    if (!v || resolve(x, v, 1)) return NULL;
    if (v->kind == V_STAT || v->kind == V_CENT || v->kind == V_GATE) {
        char nm[72];
        nfail(x,
              "input '%s' is part of a decomposed %s that does not complete (ReduceMean, Sub, Pow, Sqrt, Div: "
              "LayerNorm; Erf, Add, Mul: GELU)",
              show(v->name, nm, sizeof nm), v->kind == V_GATE ? "GELU" : "LayerNorm");
        return NULL;
    }
    if (v->kind != V_ACT) {
        char nm[72];
        nfail(x, "data input '%s' is a constant or weight, not an activation", show(v->name, nm, sizeof nm));
        return NULL;
    }
    return v;
}

/* Input k as a weight/constant. */
static val *param_input(node_ctx *x, int k) {
    val *v = input(x, k);
    if (!v || resolve(x, v, 0)) return NULL;
    if (v->kind != V_PARAM) {
        char nm[72];
        nfail(x,
              "input '%s' is an activation where a weight or constant is expected (products of two activations "
              "are not supported)",
              show(v->name, nm, sizeof nm));
        return NULL;
    }
    return v;
}

/* Defines output k (its name must be new) as a copy of *tmpl; checks value_info agreement. */
static int define(node_ctx *x, int k, const val *tmpl) {
    ctx *c = x->c;
    char nm[72], a[96], b[96];
    if (k >= x->n->n_out) return 0;
    sv name = x->n->out[k];
    if (name.n == 0) return 0;
    int32_t j = get(c, name);
    if (j < 0) return -1;
    val *v = &c->vals[j];
    if (v->kind != V_UNDEF)
        return nfail(x, "output '%s' is already defined (every value is assigned once)", show(name, nm, sizeof nm));
    int32_t hint = v->hint;
    *v = *tmpl;
    v->name = name;
    v->hint = hint;
    v->node = x->i;
    if (v->kind != V_ACT || hint < 0) return 0;
    const shp *h = &c->hints[hint];
    if (h->rank < 0) return 0;
    int off0 = v->merged ? 0 : 1, bad = h->rank != v->s.rank + off0;
    for (int d = off0; !bad && d < h->rank; d++) bad = h->d[d] >= 0 && h->d[d] != v->s.d[d - off0];
    if (!bad) return 0;
    shp hs = {(int8_t)(h->rank >= off0 ? h->rank - off0 : 0), {0}};
    for (int d = off0; d < h->rank; d++) hs.d[d - off0] = h->d[d];
    return nfail(x, "the file gives output '%s' the per-sample shape %s, inferred %s", show(name, nm, sizeof nm),
                 h->rank > 0 ? fmt(&hs, a, sizeof a) : "scalar", fmt(&v->s, b, sizeof b));
}

static int define_rest_dead(node_ctx *x, int from) {
    val d;
    memset(&d, 0, sizeof d);
    d.kind = V_DEAD;
    d.s.rank = -1;
    d.hint = d.ival = d.root = -1;
    d.n_ival = -1;
    for (int k = from; k < x->n->n_out; k++)
        if (define(x, k, &d)) return -1;
    return 0;
}

static val act_val(int32_t src, const shp *s) {
    val v;
    memset(&v, 0, sizeof v);
    v.kind = V_ACT;
    v.src = src;
    v.s = *s;
    v.hint = v.ival = v.root = -1;
    v.n_ival = -1;
    return v;
}

static int padded(const val *v) { return v->kind == V_ACT && (v->pad[0] | v->pad[1] | v->pad[2] | v->pad[3]); }

/* Refuses an activation that still carries an unfolded Pad (only windows take one). */
static int no_pad(node_ctx *x, const val *v) {
    char nm[72];
    if (!padded(v)) return 0;
    return nfail(x, "input '%s' comes from a Pad that is not followed by a convolution or pooling",
                 show(v->name, nm, sizeof nm));
}

/* The shape src really produces: v's shape without its pending Pad. */
static shp unpadded(const val *v) {
    shp s = v->s;
    if (padded(v)) {
        s.d[1] -= v->pad[0] + v->pad[2];
        s.d[2] -= v->pad[1] + v->pad[3];
    }
    return s;
}

/* Layer name from the exporter's scoped node name: torch 1.13 writes "/layer1/layer1.0/conv1/Conv",
 * which becomes the module path "layer1.0.conv1" (a component repeating its parent's name as a
 * prefix, "layer1.0" under "layer1", adds only its suffix). Functional ops keep their op in lower
 * case ("layer1.0.add"); so does a node with no module ("/Flatten" -> "flatten"). Unscoped names are
 * kept, nameless nodes become "<op>_<index>"; the tail is kept when the name is too long. */
static void layer_name(const node_ctx *x, int functional, char out[DF_NAME_MAX]) {
    char raw[MAX_NAME + 1], acc[2 * MAX_NAME + 8];
    const nd *n = x->n;
    size_t len = 0;
    memcpy(raw, n->name.p, n->name.n);
    raw[n->name.n] = '\0';
    for (char *p = raw; *p; p++)
        if (!isgraph((unsigned char)*p)) *p = '_';
    char *last = strrchr(raw, '/');
    if (raw[0] == '/' && last) {
        *last = '\0';
        const char *prev = NULL, *p = last == raw ? "" : raw + 1;
        size_t prevlen = 0;
        while (*p) {
            const char *slash = strchr(p, '/');
            size_t tl = slash ? (size_t)(slash - p) : strlen(p);
            if (tl) {
                if (prev && tl > prevlen && strncmp(p, prev, prevlen) == 0 && p[prevlen] == '.') {
                    memcpy(acc + len, p + prevlen, tl - prevlen); /* ".0" of "layer1.0" */
                    len += tl - prevlen;
                } else {
                    if (len) acc[len++] = '.';
                    memcpy(acc + len, p, tl);
                    len += tl;
                }
                prev = p;
                prevlen = tl;
            }
            if (!slash) break;
            p = slash + 1;
        }
        if (functional || len == 0) {
            if (len) acc[len++] = '.';
            for (const char *q = last + 1; *q; q++) acc[len++] = (char)tolower((unsigned char)*q);
        }
        acc[len] = '\0';
    } else {
        snprintf(acc, sizeof acc, "%s", raw);
        len = strlen(acc);
    }
    if (len == 0) {
        char op[40];
        snprintf(acc, sizeof acc, "%s_%d", show(n->op, op, sizeof op), x->i);
        len = strlen(acc);
    }
    snprintf(out, DF_NAME_MAX, "%s", len >= DF_NAME_MAX ? acc + len - (DF_NAME_MAX - 1) : acc);
}

/* Appends a layer that must derive the output (K, P, Q) = o; returns its index or -1. */
static int32_t emit(node_ctx *x, df_layer *l, int functional, const int32_t o[3]) {
    ctx *c = x->c;
    if (c->w->n_layers >= c->max_layers) {
        df_err_set(c->err, DF_ELIMIT, x->ptr, "the model has more than %d layers (node %d), the limit", c->max_layers,
                   x->i);
        return -1;
    }
    if (c->w->n_layers >= c->cap_expect) {
        int32_t cap = c->cap_expect ? c->cap_expect * 2 : 64;
        int32_t *e = realloc(c->expect, (size_t)cap * 3 * sizeof *e);
        if (!e) return nomem(c), -1;
        c->expect = e;
        c->cap_expect = cap;
    }
    layer_name(x, functional, l->name);
    if (df_workload_add(c->w, l, c->err)) return -1;
    int32_t k = c->w->n_layers - 1;
    memcpy(c->expect + 3 * k, o, 3 * sizeof *o);
    return k;
}

/* Sets the layer's input C x Y x X from a per-sample shape; -1 when not representable. */
static int set_input(df_layer *l, const shp *s) {
    int32_t t[3];
    if (dfshape(s, t)) return -1;
    l->C = t[0];
    l->Y = t[1];
    l->X = t[2];
    return 0;
}

static df_layer new_layer(df_layer_type t) {
    df_layer l;
    memset(&l, 0, sizeof l);
    l.type = t;
    l.R = l.S = l.stride = l.groups = 1;
    l.Y = l.X = 1;
    l.n_inputs = 1;
    return l;
}

/* ---- full shapes, views and constants (issue 16) ---------------------------------------------- */

static int is_op(const node_ctx *x, const char *op) { return sveq(x->n->op, op); }
static int const_ints(node_ctx *x, int k, const int64_t **vals, int *n);

/* The file's batch is 1: the whole tensor is one sample, so ops may move or merge the batch axis. */
static int batch1(const ctx *c) { return c->file_batch == 1; }

/* Full ONNX shape of activation v: [batch] + per-sample shape, or s itself when merged. */
static int full_of(const ctx *c, const val *v, shp *F) {
    if (v->merged) {
        *F = v->s;
        return 0;
    }
    if (v->s.rank < 0 || v->s.rank + 1 > MAX_RANK) {
        F->rank = -1;
        return -1;
    }
    F->rank = (int8_t)(v->s.rank + 1);
    F->d[0] = c->file_batch;
    for (int i = 0; i < v->s.rank; i++) F->d[i + 1] = v->s.d[i];
    return 0;
}

/* Stores full shape F on activation v (per sample when the batch is back at axis 0). */
static int set_full(node_ctx *x, val *v, const shp *F) {
    if (F->rank >= 1 && F->d[0] == x->c->file_batch) {
        v->merged = 0;
        v->s.rank = (int8_t)(F->rank - 1);
        for (int i = 1; i < F->rank; i++) v->s.d[i - 1] = F->d[i];
        return 0;
    }
    if (!batch1(x->c)) {
        char sh[96];
        return nfail(x,
                     "the batch axis would move or merge with another (output %s): export the model with a fixed "
                     "batch of 1",
                     fmt(F, sh, sizeof sh));
    }
    v->merged = 1;
    v->s = *F;
    return 0;
}

/* Per-sample shape of activation v (its full shape when merged: the batch is 1). */
static shp ps_of(const val *v) { return v->s; }

/* The workload's K x P x Q (or C x Y x X) view of a per-sample shape: up to 3 axes as dfshape,
 * more axes with the leading ones merged into channels ([g, C/g, H, W] -> C x H x W). */
static int view3(const shp *s, int32_t o[3]) {
    if (s->rank <= 3) return dfshape(s, o);
    int64_t lead = 1;
    for (int i = 0; i < s->rank - 2; i++) {
        if (s->d[i] < 1 || lead > INT32_MAX / s->d[i]) return -1;
        lead *= s->d[i];
    }
    shp t = {3, {lead, s->d[s->rank - 2], s->d[s->rank - 1]}};
    return dfshape(&t, o);
}

/* Rows view for ops over the last axis (matmul, norm, softmax): C = last, Y = the product of the rest. */
static int rows_view(const shp *s, int32_t *C, int32_t *Y) {
    if (s->rank < 1) return -1;
    int64_t r = 1;
    for (int i = 0; i < s->rank - 1; i++) {
        if (s->d[i] < 1 || r > INT32_MAX / s->d[i]) return -1;
        r *= s->d[i];
    }
    if (s->d[s->rank - 1] < 1 || s->d[s->rank - 1] > INT32_MAX) return -1;
    *C = (int32_t)s->d[s->rank - 1];
    *Y = (int32_t)r;
    return 0;
}

/* A still unclassified graph input is the network input when it is the graph's first non-initializer
 * input and no network input was seen yet (exporters list the data first, the weights after). */
static int pend_is_data(const ctx *c, const val *v) {
    return v->kind == V_PEND && c->netin < 0 && v->root == c->gin_first;
}

/* Known constant values of v (V_PARAM with values): 1 and *p, *n set; 0 when unknown. */
static int cvals(const ctx *c, const val *v, const int64_t **p, int *n) {
    if (v->kind != V_PARAM || v->n_ival < 0) return 0;
    *p = c->pool + v->ival;
    *n = v->n_ival;
    return 1;
}

/* Defines output k as a constant of shape s with values vals[n] (n < 0: values unknown). */
static int def_const(node_ctx *x, int k, const shp *s, const int64_t *vals, int n) {
    val ov;
    memset(&ov, 0, sizeof ov);
    ov.kind = V_PARAM;
    ov.hint = ov.ival = ov.root = -1;
    ov.n_ival = -1;
    ov.s = *s;
    if (n >= 0 && n <= MAX_INTS) {
        if (push_ints(x->c, vals, n, &ov.ival)) return -1;
        ov.n_ival = (int8_t)n;
    }
    return define(x, k, &ov);
}

/* Defines output k as an activation of per-sample-or-full shape F produced by layer src. */
static int def_act_full(node_ctx *x, int k, int32_t src, const shp *F) {
    val ov = act_val(src, &F[0]);
    if (set_full(x, &ov, F)) return -1;
    return define(x, k, &ov);
}

/* ---- windows (Conv, MaxPool, AveragePool) -------------------------------------------------------- */

enum { PAD_NOTSET = 0, PAD_VALID, PAD_SAME_UPPER, PAD_SAME_LOWER };

typedef struct {
    int64_t k[2], s[2], d[2], p[4];
    int ceil, autopad;
} win;

/* kernel_shape (kh, kw > 0: must agree when given; 0: required), strides, dilations, pads, auto_pad,
 * ceil_mode. */
static int read_win(node_ctx *x, int64_t kh, int64_t kw, win *w) {
    int present;
    if (attr_ints(x, "kernel_shape", 2, 0, 1, 1 << 20, w->k, &present)) return -1;
    if (!present && kh <= 0) return nfail(x, "attribute kernel_shape is required");
    if (kh > 0 && present && (w->k[0] != kh || w->k[1] != kw))
        return nfail(x, "kernel_shape %lldx%lld disagrees with the weight's %lldx%lld", (long long)w->k[0],
                     (long long)w->k[1], (long long)kh, (long long)kw);
    if (kh > 0) {
        w->k[0] = kh;
        w->k[1] = kw;
    }
    if (attr_ints(x, "strides", 2, 1, 1, 1024, w->s, NULL) || attr_ints(x, "dilations", 2, 1, 1, 1024, w->d, NULL) ||
        attr_ints(x, "pads", 4, 0, 0, 65536, w->p, NULL))
        return -1;
    int64_t cm;
    if (attr_int(x, "ceil_mode", 0, 0, 1, &cm)) return -1;
    w->ceil = (int)cm;
    attr a;
    int rc = get_attr(x, "auto_pad", &a);
    if (rc < 0) return -1;
    w->autopad = PAD_NOTSET;
    if (rc && a.has_s) {
        if (sveq(a.s, "VALID"))
            w->autopad = PAD_VALID;
        else if (sveq(a.s, "SAME_UPPER"))
            w->autopad = PAD_SAME_UPPER;
        else if (sveq(a.s, "SAME_LOWER"))
            w->autopad = PAD_SAME_LOWER;
        else if (!sveq(a.s, "NOTSET") && a.s.n) {
            char s[72];
            return nfail(x, "auto_pad '%s' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER",
                         show(a.s, s, sizeof s));
        }
    }
    return 0;
}

/* ONNX output size along axis a (0 rows, 1 cols) of input size in; *pb gets the leading pad. */
static int win_axis(node_ctx *x, const win *w, int a, int64_t in, int64_t *out, int64_t *pb) {
    int64_t ek = (w->k[a] - 1) * w->d[a] + 1, s = w->s[a];
    switch (w->autopad) {
    case PAD_VALID:
        if (in < ek) return nfail(x, "window %lld larger than the input %lld", (long long)ek, (long long)in);
        *out = (in - ek) / s + 1;
        *pb = 0;
        return 0;
    case PAD_SAME_UPPER:
    case PAD_SAME_LOWER: {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + ek - in;
        if (total < 0) total = 0;
        *pb = w->autopad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
        return 0;
    }
    default: {
        int64_t num = in + w->p[a] + w->p[a + 2] - ek;
        if (num < 0)
            return nfail(x, "window %lld larger than the padded input %lld", (long long)ek,
                         (long long)(in + w->p[a] + w->p[a + 2]));
        *out = w->ceil ? (num + s - 1) / s + 1 : num / s + 1;
        /* ceil_mode: a last window starting in the trailing padding is dropped (PyTorch, onnxruntime) */
        if (w->ceil && (*out - 1) * s >= in + w->p[a]) (*out)--;
        *pb = w->p[a];
        return 0;
    }
    }
}

/* Fills l's window (R, S, strides, pads) so the workload derives exactly P x Q from Y x X: one
 * symmetric pad when one reproduces the ONNX output (the zoo's form), else per-side pads from the
 * file's leading pads lead[2] (rows, cols) and whatever trailing pad gives the ONNX size (ceil_mode,
 * SAME_* and asymmetric pads; a dilated window keeps its MACs with R x S taps). */
static int fit_window(node_ctx *x, const win *w, df_layer *l, int64_t P, int64_t Q, const int64_t lead[2]) {
    int64_t R = w->k[0], S = w->k[1], s = w->s[0], sx = w->s[1], Y = l->Y, X = l->X, top = R > S ? R : S;
    int64_t pref = lead[0] == lead[1] ? lead[0] : -1;
    l->R = (int32_t)R;
    l->S = (int32_t)S;
    l->stride = (int32_t)s;
    l->stride_x = sx != s ? (int32_t)sx : 0;
    for (int64_t t = -1; s == sx && t < top; t++) {
        int64_t p = t < 0 ? pref : t;
        if (p < 0 || (p >= R && p >= S && p > 0) || R > Y + 2 * p || S > X + 2 * p) continue;
        if ((Y + 2 * p - R) / s + 1 == P && (X + 2 * p - S) / s + 1 == Q) {
            l->pad = (int32_t)p;
            return 0;
        }
    }
    /* per side: total pad T along an axis with (in + T - k) / stride + 1 == out, the smallest such T,
     * the leading part as in the file (clipped below the kernel) */
    const int64_t in[2] = {Y, X}, out[2] = {P, Q}, k[2] = {R, S}, st[2] = {s, sx};
    int64_t pp[4];
    for (int a = 0; a < 2; a++) {
        int64_t T = (out[a] - 1) * st[a] + k[a] - in[a];
        if (T < 0) T = 0;
        int64_t b = lead[a] < T ? lead[a] : T;
        if (b > k[a] - 1) b = k[a] - 1;
        if (b < 0) b = 0;
        int64_t e = T - b;
        if (e > k[a] - 1 || (in[a] + T - k[a]) / st[a] + 1 != out[a])
            return nfail(x,
                         "output %lldx%lld from input %lldx%lld with a %lldx%lld window, strides %lldx%lld, cannot be "
                         "expressed with pads below the kernel",
                         (long long)P, (long long)Q, (long long)Y, (long long)X, (long long)R, (long long)S,
                         (long long)s, (long long)sx);
        pp[2 * a] = b;
        pp[2 * a + 1] = e;
    }
    l->pad = 0;
    l->pad_t = (int32_t)pp[0];
    l->pad_b = (int32_t)pp[1];
    l->pad_l = (int32_t)pp[2];
    l->pad_r = (int32_t)pp[3];
    if (!(l->pad_t | l->pad_b | l->pad_l | l->pad_r)) l->pad = 0;
    return 0;
}

/* ---- operators ---------------------------------------------------------------------------------- */

static int need_io(node_ctx *x, int min_in, int max_in) {
    if (x->n->n_out < 1 || x->n->out[0].n == 0) return nfail(x, "has no output");
    if (x->n->n_in < min_in || x->n->n_in > max_in)
        return nfail(x, "has %d inputs, expected %d to %d", x->n->n_in, min_in, max_in);
    return 0;
}

static int data_rank(node_ctx *x, const val *v, int rank, const char *what) {
    char sh[96];
    if (v->s.rank == rank && known(&v->s)) return 0;
    return nfail(x, "input shape %s: %s", fmt(&v->s, sh, sizeof sh), what);
}

static int op_conv(node_ctx *x) {
    if (need_io(x, 2, 3)) return -1;
    val *in = act_input(x, 0), *wt = in ? param_input(x, 1) : NULL;
    if (!wt) return -1;
    if (data_rank(x, in, 3, "only 2-D convolution (N x C x H x W) is supported")) return -1;
    if (wt->s.rank != 4 || !known(&wt->s)) {
        char sh[96];
        return nfail(x, "weight shape %s: expected a known K x C/group x kH x kW", fmt(&wt->s, sh, sizeof sh));
    }
    int64_t C = in->s.d[0], K = wt->s.d[0], g;
    if (attr_int(x, "group", 1, 1, 1 << 24, &g)) return -1;
    if (C % g || K % g || wt->s.d[1] != C / g)
        return nfail(x, "group %lld with %lld input channels and a %lldx%lldx%lldx%lld weight is inconsistent",
                     (long long)g, (long long)C, (long long)K, (long long)wt->s.d[1], (long long)wt->s.d[2],
                     (long long)wt->s.d[3]);
    win w;
    if (read_win(x, wt->s.d[2], wt->s.d[3], &w)) return -1;
    int64_t P, Q, pb, pb2;
    if (win_axis(x, &w, 0, in->s.d[1], &P, &pb) || win_axis(x, &w, 1, in->s.d[2], &Q, &pb2)) return -1;
    pb += in->pad[0];
    pb2 += in->pad[1];
    df_layer l = new_layer(g == 1 ? DF_LAYER_CONV : g == C ? DF_LAYER_DWCONV : DF_LAYER_CONV);
    shp os = {3, {K, P, Q}}, is = unpadded(in);
    int32_t o[3];
    if (set_input(&l, &is) || dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
    l.K = o[0];
    l.groups = (int32_t)g;
    l.inputs[0] = in->src;
    const int64_t lead[2] = {pb, pb2};
    if (fit_window(x, &w, &l, P, Q, lead)) return -1;
    int32_t k = emit(x, &l, 0, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    return define(x, 0, &ov);
}

static int op_pool(node_ctx *x, int global) {
    if (need_io(x, 1, 1)) return -1;
    val *in = act_input(x, 0);
    if (!in || data_rank(x, in, 3, "only 2-D pooling (N x C x H x W) is supported")) return -1;
    df_layer l = new_layer(DF_LAYER_POOL);
    int32_t o[3];
    shp os, is = unpadded(in);
    if (set_input(&l, &is)) return nfail(x, "tensor dimensions out of range");
    l.K = l.C;
    l.inputs[0] = in->src;
    if (global) {
        l.R = l.Y;
        l.S = l.X;
        os = (shp){3, {in->s.d[0], 1, 1}};
    } else {
        win w;
        int64_t P, Q, pb, pb2;
        if (read_win(x, 0, 0, &w) || win_axis(x, &w, 0, in->s.d[1], &P, &pb) ||
            win_axis(x, &w, 1, in->s.d[2], &Q, &pb2))
            return -1;
        pb += in->pad[0];
        pb2 += in->pad[1];
        const int64_t lead[2] = {pb, pb2};
        if (fit_window(x, &w, &l, P, Q, lead)) return -1;
        os = (shp){3, {in->s.d[0], P, Q}};
    }
    if (dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
    int32_t k = emit(x, &l, 0, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    return define(x, 0, &ov) || define_rest_dead(x, 1);
}

/* Gemm (A x B', A a batch of vectors) and MatMul with a constant 2-D right operand. */
static int op_matmul2(node_ctx *x, val *a, val *b);

static int op_fc(node_ctx *x, int gemm) {
    if (need_io(x, 2, gemm ? 3 : 2)) return -1;
    if (!gemm) { /* two activations: attention's Q.K^T and scores.V */
        val *a0 = input(x, 0), *b0 = a0 ? input(x, 1) : NULL;
        if (!b0) return -1;
        if (a0->kind == V_PEND && resolve(x, a0, pend_is_data(x->c, a0))) return -1;
        if (b0->kind == V_PEND && resolve(x, b0, pend_is_data(x->c, b0))) return -1;
        if (a0->kind == V_ACT && b0->kind == V_ACT) return op_matmul2(x, a0, b0);
    }
    val *a = act_input(x, 0), *b = a ? param_input(x, 1) : NULL;
    if (!b || no_pad(x, a)) return -1;
    char sh[96];
    int64_t ta = 0, tb = 0;
    if (gemm && (attr_int(x, "transA", 0, 0, 1, &ta) || attr_int(x, "transB", 0, 0, 1, &tb))) return -1;
    if (ta) return nfail(x, "transA = 1 would put the batch on the reduction axis");
    if (b->s.rank != 2 || !known(&b->s))
        return nfail(x, "weight shape %s: expected a known 2-D matrix", fmt(&b->s, sh, sizeof sh));
    int64_t Cb = tb ? b->s.d[1] : b->s.d[0], K = tb ? b->s.d[0] : b->s.d[1];
    /* per sample a vector (fc), or rows x C (matmul): T x C tokens, H x W x C channels-last, and any
     * shape once the batch axis has merged (batch-1 files) */
    int rows = a->merged || (!gemm && a->s.rank >= 2);
    if (!known(&a->s) || a->s.rank < 1 || (!rows && a->s.rank != 1) || (gemm && a->merged && a->s.rank != 2))
        return nfail(x, "input shape %s per sample: expected a vector%s", fmt(&a->s, sh, sizeof sh),
                     gemm ? "" : " or rows x C");
    int64_t C = a->s.d[a->s.rank - 1];
    if (C != Cb) return nfail(x, "input has %lld features, the weight expects %lld", (long long)C, (long long)Cb);
    df_layer l = new_layer(rows ? DF_LAYER_MATMUL : DF_LAYER_FC);
    shp os = a->s;
    os.d[os.rank - 1] = K;
    int32_t o[3] = {0, 1, 1};
    if (rows) {
        if (rows_view(&a->s, &l.C, &l.Y) || K > INT32_MAX) return nfail(x, "tensor dimensions out of range");
        o[0] = (int32_t)K;
        o[1] = l.Y;
    } else if (set_input(&l, &a->s) || dfshape(&os, o)) {
        return nfail(x, "tensor dimensions out of range");
    }
    l.K = o[0];
    l.inputs[0] = a->src;
    int32_t k = emit(x, &l, 0, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    ov.merged = a->merged;
    return define(x, 0, &ov);
}

/* Activation a combined with constant p: p must not enlarge a (numpy broadcasting, batch axis too). */
static int param_fits(node_ctx *x, const val *a, const val *p) {
    char s1[96], s2[96];
    if (p->s.rank < 0) return 0;
    shp F;
    if (full_of(x->c, a, &F)) return 0;
    int r = F.rank, bad = p->s.rank > r;
    for (int i = 0; !bad && i < p->s.rank; i++) {
        int xi = r - p->s.rank + i;
        int64_t pd = p->s.d[i];
        if (pd < 0 || pd == 1) continue;
        bad = (xi == 0 && !a->merged) || pd != F.d[xi];
    }
    if (!bad) return 0;
    return nfail(x, "constant operand of shape %s would broadcast the activation (per sample %s) to a larger shape",
                 fmt(&p->s, s1, sizeof s1), fmt(&a->s, s2, sizeof s2));
}

static int is_piece(const val *v) { return v->kind == V_STAT || v->kind == V_CENT || v->kind == V_GATE; }
static int fold(node_ctx *x);
static int emit_norm(node_ctx *x, const val *in, int64_t axis, int out);

/* An eltwise layer of op over activation in (defines output 0 with in's shape). */
static int emit_eltwise(node_ctx *x, const val *in, df_layer_op op) {
    shp F, ps = ps_of(in);
    df_layer l = new_layer(DF_LAYER_ELTWISE);
    l.op = op;
    int32_t o[3]; /* the producer's image view (C x H x W, or C x T tokens): a conv may read it */
    if (full_of(x->c, in, &F) || view3(&ps, o)) return nfail(x, "tensor dimensions out of range");
    l.C = l.K = o[0];
    l.Y = o[1];
    l.X = o[2];
    l.inputs[0] = in->src;
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    return def_act_full(x, 0, k, &F);
}

/* The binary steps of a decomposed LayerNorm, (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) (and
 * x / ||x|| of an L2 normalisation), and of GELU, x * (erf(x / sqrt 2) + 1) * 0.5, as torch exports them
 * below opset 17 (docs/COST_MODEL.md): each piece is a value of kind V_STAT, V_CENT or V_GATE of the
 * activation it derives from, and the step that completes the pattern emits the one layer. */
static int op_pieces(node_ctx *x, val *a, val *b) {
    int same = a->src == b->src, sub = is_op(x, "Sub"), add = is_op(x, "Add"), mul = is_op(x, "Mul"),
        div = is_op(x, "Div");
    val *pa = is_piece(a) ? a : b, *o = pa == a ? b : a;
    int oc = o->kind == V_PARAM;
    val ov = *pa;
    if (sub && a->kind == V_ACT && b->kind == V_STAT && same) {
        ov = *a;
        ov.kind = V_CENT;
        return define(x, 0, &ov);
    }
    if (oc && (add || mul || (div && pa == a) || (sub && pa == a)) && pa->kind != V_CENT) return define(x, 0, &ov);
    if (mul && a->kind == V_CENT && b->kind == V_CENT && same) {
        ov.kind = V_STAT;
        return define(x, 0, &ov);
    }
    if ((div || mul) && same && b->kind == V_STAT && (a->kind == V_CENT || (div && a->kind == V_ACT))) {
        shp F;
        if (full_of(x->c, a, &F)) return nfail(x, "input shape unknown");
        return emit_norm(x, a, F.rank - 1, 0);
    }
    if (mul && same && pa->kind == V_GATE && o->kind == V_ACT) return emit_eltwise(x, o, DF_OP_GELU);
    char n1[72], n2[72];
    return nfail(x,
                 "'%s' and '%s' do not continue a decomposed %s (ReduceMean, Sub, Pow, Sqrt, Div: LayerNorm; Erf, "
                 "Add, Mul: GELU)",
                 show(a->name, n1, sizeof n1), show(b->name, n2, sizeof n2), pa->kind == V_GATE ? "GELU" : "LayerNorm");
}

static int binary_acts(node_ctx *x, val *a, val *b, int mul);

/* Add, Sub, Mul, Div (and Max, Min, Mod, comparisons with an activation operand). */
static int op_binary(node_ctx *x, int mul) {
    if (need_io(x, 2, 2)) return -1;
    val *a = input(x, 0), *b = a ? input(x, 1) : NULL;
    if (!b) return -1;
    /* an unclassified graph input meeting an activation is a constant (bias, scale); otherwise data */
    int aa = a->kind == V_ACT || is_piece(a), ba = b->kind == V_ACT || is_piece(b);
    if (a->kind == V_PEND && resolve(x, a, !ba && pend_is_data(x->c, a))) return -1;
    if (b->kind == V_PEND && resolve(x, b, !aa && pend_is_data(x->c, b))) return -1;
    aa = a->kind == V_ACT || is_piece(a);
    ba = b->kind == V_ACT || is_piece(b);
    if (!aa && !ba) return fold(x); /* constant arithmetic (shapes, masks) */
    if (is_piece(a) || is_piece(b)) return op_pieces(x, a, b);
    if (a->kind != V_ACT || b->kind != V_ACT) {
        val *act = a->kind == V_ACT ? a : b, *p = a->kind == V_ACT ? b : a;
        if (param_fits(x, act, p)) return -1;
        val ov = act_val(act->src, &act->s);
        ov.merged = act->merged;
        memcpy(ov.pad, act->pad, sizeof ov.pad);
        return define(x, 0, &ov);
    }
    return binary_acts(x, a, b, mul);
}

/* Two activations a and b combined element-wise (Add, Sub, Mul, Div, Max, Min, a Where's two branches):
 * one `add` layer of both, or the full-size operand when one broadcasts over the other (gating). */
static int binary_acts(node_ctx *x, val *a, val *b, int mul) {
    char s1[96], s2[96];
    if (no_pad(x, a) || no_pad(x, b)) return -1;
    shp Fa, Fb;
    if (full_of(x->c, a, &Fa) || full_of(x->c, b, &Fb) || Fa.rank != Fb.rank || !known(&a->s) || !known(&b->s))
        return nfail(x, "operand shapes %s and %s per sample: broadcasting across ranks is not supported",
                     fmt(&a->s, s1, sizeof s1), fmt(&b->s, s2, sizeof s2));
    shp os = Fa;
    int same = 1;
    for (int i = 0; i < Fa.rank; i++) {
        int64_t da = Fa.d[i], db = Fb.d[i];
        if (da != db && da != 1 && db != 1)
            return nfail(x, "operand shapes %s and %s do not broadcast", fmt(&a->s, s1, sizeof s1),
                         fmt(&b->s, s2, sizeof s2));
        os.d[i] = da > db ? da : db;
        same &= da == db;
    }
    if (a->src == b->src) /* x * sigmoid(x) and the like: one tensor */
        return def_act_full(x, 0, a->src, &os);
    if (!same) {
        /* squeeze-excite gating x * s(x): the full-size operand passes (zoo.c, efficientnet_b0) */
        const val *full = elems(&Fa) == elems(&os) ? a : elems(&Fb) == elems(&os) ? b : NULL;
        if (!mul || !full)
            return nfail(x, "operand shapes %s and %s: only a Mul may broadcast one activation over another (gating)",
                         fmt(&a->s, s1, sizeof s1), fmt(&b->s, s2, sizeof s2));
        return def_act_full(x, 0, full->src, &os);
    }
    val ov = act_val(-1, &os);
    if (set_full(x, &ov, &os)) return -1;
    df_layer l = new_layer(DF_LAYER_ADD);
    int32_t o[3];
    if (view3(&ov.s, o)) return nfail(x, "tensor dimensions out of range");
    l.C = l.K = o[0];
    l.Y = o[1];
    l.X = o[2];
    l.n_inputs = 2;
    l.inputs[0] = a->src;
    l.inputs[1] = b->src;
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    ov.src = k;
    return define(x, 0, &ov);
}

/* Where(cond, a, b) with an activation among its operands (a causal or padding mask applied to attention
 * scores, masked_fill): a select, costed as element-wise work. One activation with constant others (the
 * masked fill) passes, like an activation times a constant; two different activations (the branches, or a
 * data-dependent condition and one branch) are one element-wise layer of both, as op_binary's. */
static int op_where(node_ctx *x) {
    if (need_io(x, 3, 3)) return -1;
    val *v[3];
    int acts = 0;
    for (int k = 0; k < 3; k++) {
        if (!(v[k] = input(x, k))) return -1;
        acts += v[k]->kind == V_ACT || is_piece(v[k]);
    }
    for (int k = 0; k < 3; k++) /* a graph input next to an activation is a constant (mask, fill value) */
        if (v[k]->kind == V_PEND && resolve(x, v[k], !acts && pend_is_data(x->c, v[k]))) return -1;
    val *act[3];
    int na = 0;
    for (int k = 0; k < 3; k++) {
        if (is_piece(v[k])) {
            char nm[72];
            return nfail(x, "input '%s' is part of a decomposed LayerNorm or GELU that does not complete",
                         show(v[k]->name, nm, sizeof nm));
        }
        if (v[k]->kind != V_ACT) continue;
        int dup = 0;
        for (int j = 0; j < na; j++) dup |= act[j]->src == v[k]->src;
        if (!dup) act[na++] = v[k];
    }
    if (!na) return fold(x); /* constants only (folded masks) */
    if (na > 2) return nfail(x, "Where of three different activations is not supported");
    for (int k = 0; k < 3; k++)
        if (v[k]->kind != V_ACT && param_fits(x, act[0], v[k])) return -1;
    if (na == 1) {
        val ov = act_val(act[0]->src, &act[0]->s);
        ov.merged = act[0]->merged;
        memcpy(ov.pad, act[0]->pad, sizeof ov.pad);
        return define(x, 0, &ov);
    }
    return binary_acts(x, act[0], act[1], 0);
}

static int norm_axis(node_ctx *x, int64_t a, int rank, int64_t *out) {
    if (a < -rank || a >= rank) return nfail(x, "axis %lld out of range for rank %d", (long long)a, rank);
    *out = a < 0 ? a + rank : a;
    return 0;
}

/* Concat along any axis of activations and constants (a class token, Swin's roll and patch merging):
 * a layout join layer over the activation inputs. */
static int op_join(node_ctx *x, val **v, int n, int64_t axis_attr) {
    shp F0 = {-1, {0}}, O = {-1, {0}};
    int32_t src[DF_MAX_INPUTS];
    int na = 0;
    int64_t act_elems = 0;
    char s1[96];
    for (int k = 0; k < n; k++) {
        shp F = v[k]->s;
        if (v[k]->kind == V_ACT && full_of(x->c, v[k], &F)) return nfail(x, "input %d shape unknown", k);
        if (!known(&F)) return nfail(x, "input %d shape %s is not known", k, fmt(&F, s1, sizeof s1));
        if (k == 0) F0 = F;
        int64_t axis = 0;
        if (norm_axis(x, axis_attr, F0.rank, &axis)) return -1;
        if (F.rank != F0.rank) return nfail(x, "input %d has rank %d, input 0 %d", k, F.rank, F0.rank);
        if (k == 0) {
            O = F;
            O.d[axis] = 0;
        }
        for (int d = 0; d < F.rank; d++)
            if (d != axis && F.d[d] != F0.d[d])
                return nfail(x, "input %d shape %s does not match input 0", k, fmt(&F, s1, sizeof s1));
        O.d[axis] += F.d[axis];
        if (v[k]->kind != V_ACT) continue;
        if (no_pad(x, v[k])) return -1;
        if (na >= DF_MAX_INPUTS) return nfail(x, "more than %d activation inputs", DF_MAX_INPUTS);
        src[na++] = v[k]->src;
        act_elems += elems(&F);
    }
    val ov = act_val(-1, &O);
    if (set_full(x, &ov, &O)) return -1;
    if (na == 1 && act_elems == elems(&O)) return def_act_full(x, 0, src[0], &O);
    df_layer l = new_layer(DF_LAYER_LAYOUT);
    l.op = DF_OP_JOIN;
    int32_t o[3];
    if (view3(&ov.s, o) || act_elems > INT32_MAX) return nfail(x, "tensor dimensions out of range");
    l.C = (int32_t)act_elems;
    l.K = o[0];
    l.out_y = o[1];
    l.out_x = o[2];
    l.n_inputs = na;
    memcpy(l.inputs, src, (size_t)na * sizeof *src);
    int32_t li = emit(x, &l, 1, o);
    if (li < 0) return -1;
    ov.src = li;
    return define(x, 0, &ov);
}

static int op_concat(node_ctx *x) {
    if (need_io(x, 1, MAX_NODE_IO)) return -1;
    if (x->n->n_in > DF_MAX_INPUTS)
        return nfail(x, "%d inputs: the workload model concatenates at most %d", x->n->n_in, DF_MAX_INPUTS);
    val *v[DF_MAX_INPUTS];
    int acts = 0, classic = 1;
    for (int k = 0; k < x->n->n_in; k++) {
        if (!(v[k] = input(x, k))) return -1;
        if (v[k]->kind == V_PEND && resolve(x, v[k], pend_is_data(x->c, v[k]))) return -1;
        if (v[k]->kind == V_ACT)
            acts++;
        else if (v[k]->kind != V_PARAM)
            return act_input(x, k) ? nfail(x, "input %d is not an activation", k) : -1;
        classic &= v[k]->kind == V_ACT && !v[k]->merged;
    }
    if (!acts) return fold(x);
    attr a;
    int rc = get_attr(x, "axis", &a);
    if (rc < 0) return -1;
    if (!rc || !a.has_i) return nfail(x, "attribute axis is required");
    int r = v[0]->s.rank;
    int64_t axis = 0;
    int chan = r == 2 ? 1 : 0; /* the workload's channel axis per sample */
    if (classic && (r < 1 || r > 3 || norm_axis(x, a.i, r + 1, &axis) || axis != chan + 1)) classic = 0;
    if (x->c->err->code != DF_OK) df_err_clear(x->c->err);
    shp os = v[0]->s;
    os.d[chan] = 0;
    for (int k = 0; classic && k < x->n->n_in; k++) {
        if (v[k]->s.rank != r || !known(&v[k]->s) || (v[k]->src < 0 && x->n->n_in > 1)) classic = 0;
        for (int d = 0; classic && d < r; d++)
            if (d != chan && v[k]->s.d[d] != v[0]->s.d[d]) classic = 0;
        /* the producer's K x P x Q must be the input's C x Y x X (not a row view of it) */
        int32_t t[3];
        const int32_t *e = v[k]->src >= 0 ? x->c->expect + 3 * v[k]->src : NULL;
        if (classic && e && (dfshape(&v[k]->s, t) || e[0] != t[0] || e[1] != t[1] || e[2] != t[2])) classic = 0;
        if (classic) os.d[chan] += v[k]->s.d[chan];
    }
    if (!classic) return op_join(x, v, x->n->n_in, a.i);
    if (x->n->n_in == 1) {
        val ov = act_val(v[0]->src, &os);
        return define(x, 0, &ov);
    }
    df_layer l = new_layer(DF_LAYER_CONCAT);
    int32_t o[3];
    if (dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
    l.C = l.K = o[0];
    l.Y = o[1];
    l.X = o[2];
    l.n_inputs = x->n->n_in;
    for (int k = 0; k < x->n->n_in; k++) l.inputs[k] = v[k]->src;
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    return define(x, 0, &ov);
}

/* Relu, Clip, BatchNormalization, Identity, Dropout, ...: output 0 is input 0; other outputs unused. */
static int op_unary(node_ctx *x) {
    if (need_io(x, 1, MAX_NODE_IO)) return -1;
    val *in = input(x, 0);
    if (!in) return -1;
    val ov = *in;
    return define(x, 0, &ov) || define_rest_dead(x, 1);
}

/* The activation of a shape op; a still unclassified graph input becomes the network input. */
static val *shape_input(node_ctx *x) {
    val *in = input(x, 0);
    if (!in || resolve(x, in, pend_is_data(x->c, in)) || no_pad(x, in)) return NULL;
    return in;
}

/* Batch-1 files: shape ops on the full shape (they may move the batch axis). 1 = handled (rc in *rc). */
static int shape_b1(node_ctx *x, const val *in, int kind, int *rc) {
    if (!batch1(x->c) || (in->kind != V_ACT && !is_piece(in))) return 0;
    shp F, O = {0, {0}};
    *rc = -1;
    if (full_of(x->c, in, &F) || !known(&F)) return nfail(x, "input shape unknown"), 1;
    int64_t e = elems(&F);
    if (kind == 0) { /* Flatten */
        int64_t axis, p = 1;
        if (attr_int(x, "axis", 1, -MAX_RANK - 1, MAX_RANK + 1, &axis) || norm_axis(x, axis, F.rank + 1, &axis))
            return 1;
        for (int i = 0; i < axis; i++) p *= F.d[i];
        O = (shp){2, {p, p ? e / p : 0}};
    } else if (kind == 1) { /* Reshape */
        const int64_t *t;
        int n;
        int r = const_ints(x, 1, &t, &n);
        if (r) return (r > 0 ? nfail(x, "the target shape is not a constant") : -1), 1;
        int64_t allowzero, prod = 1;
        if (attr_int(x, "allowzero", 0, 0, 1, &allowzero)) return 1;
        if (n < 1 || n > MAX_RANK) return nfail(x, "target rank %d not supported", n), 1;
        int infer = -1;
        O.rank = (int8_t)n;
        for (int j = 0; j < n; j++) {
            int64_t d = t[j];
            if (d == 0 && !allowzero) {
                if (j >= F.rank) return nfail(x, "target dimension %d copies a dimension the input lacks", j), 1;
                d = F.d[j];
            }
            if (d == -1) {
                if (infer >= 0) return nfail(x, "more than one -1 in the target shape"), 1;
                infer = j;
                continue;
            }
            if (d < 1 || d > MAX_DIM || prod > MAX_ELEMS / d)
                return nfail(x, "target dimension %d is %lld", j, (long long)t[j]), 1;
            O.d[j] = d;
            prod *= d;
        }
        if (infer >= 0) {
            if (e % prod) return nfail(x, "cannot reshape %lld elements to the target", (long long)e), 1;
            O.d[infer] = e / prod;
            prod = e;
        }
        if (prod != e) return nfail(x, "reshape of %lld elements to %lld", (long long)e, (long long)prod), 1;
    } else { /* Squeeze (2), Unsqueeze (3) */
        int64_t ax[MAX_INTS];
        int n = -1, unsq = kind == 3;
        attr a;
        int r = get_attr(x, "axes", &a);
        if (r < 0) return 1;
        if (r && a.has_ints && !a.ints_over) {
            n = a.n_ints;
            memcpy(ax, a.ints, (size_t)n * sizeof *ax);
        } else if (x->n->n_in == 2 && x->n->in[1].n) {
            const int64_t *t;
            r = const_ints(x, 1, &t, &n);
            if (r) return (r > 0 ? nfail(x, "the axes are not a constant") : -1), 1;
            memcpy(ax, t, (size_t)n * sizeof *ax);
        }
        if (unsq && n < 1) return nfail(x, "axes are required"), 1;
        int ro = unsq ? F.rank + n : F.rank, mark[MAX_RANK + MAX_INTS] = {0};
        if (ro > MAX_RANK) return nfail(x, "output rank %d not supported", ro), 1;
        for (int k = 0; k < n; k++) {
            int64_t v = 0;
            if (norm_axis(x, ax[k], ro, &v)) return 1;
            if (!unsq && F.d[v] != 1)
                return nfail(x, "dimension %lld is %lld, not 1", (long long)v, (long long)F.d[v]), 1;
            mark[v] = 1;
        }
        for (int d = 0, j = 0; d < ro; d++) {
            if (unsq)
                O.d[O.rank++] = mark[d] ? 1 : F.d[j++];
            else if (!(n < 0 ? F.d[d] == 1 : mark[d]))
                O.d[O.rank++] = F.d[d];
        }
    }
    val ov = *in;
    if (set_full(x, &ov, &O)) return 1;
    *rc = define(x, 0, &ov);
    return 1;
}

static int define_shape(node_ctx *x, const val *in, const shp *os) {
    val ov = *in;
    if (in->kind == V_PARAM && (elems(os) < 0 || elems(os) != in->n_ival))
        ov.n_ival = -1; /* values kept when they fit */
    ov.s = *os;
    return define(x, 0, &ov);
}

static int op_flatten(node_ctx *x) {
    if (need_io(x, 1, 1)) return -1;
    val *in = shape_input(x);
    if (!in) return -1;
    int rc;
    if (shape_b1(x, in, 0, &rc)) return rc;
    int64_t axis = 0;
    if (attr_int(x, "axis", 1, -MAX_RANK - 1, MAX_RANK + 1, &axis)) return -1;
    if (in->kind == V_PARAM) {
        shp os = {-1, {0}};
        return define_shape(x, in, &os);
    }
    if (norm_axis(x, axis, in->s.rank + 1, &axis)) return -1;
    if (axis != 1)
        return nfail(x, "axis %lld would fold per-sample dimensions into the batch (only axis 1)", (long long)axis);
    int64_t e = elems(&in->s);
    if (e < 0) return nfail(x, "input shape unknown");
    shp os = {1, {e}};
    return define_shape(x, in, &os);
}

/* Constant ints of input k (Reshape shape, Squeeze axes); 0 ok, 1 not constant, -1 error. */
static int const_ints(node_ctx *x, int k, const int64_t **vals, int *n) {
    val *v = param_input(x, k);
    if (!v) return -1;
    if (v->n_ival < 0) return 1;
    *vals = x->c->pool + v->ival;
    *n = v->n_ival;
    return 0;
}

static int op_reshape(node_ctx *x) {
    if (need_io(x, 2, 2)) return -1;
    val *in = shape_input(x);
    if (!in) return -1;
    int b1rc;
    if (shape_b1(x, in, 1, &b1rc)) return b1rc;
    const int64_t *t;
    int n;
    int rc = const_ints(x, 1, &t, &n);
    if (rc < 0) return -1;
    if (in->kind == V_PARAM) {
        shp os = {-1, {0}};
        if (rc == 0 && n <= MAX_RANK) {
            int64_t e = elems(&in->s), prod = 1;
            int infer = -1;
            os.rank = (int8_t)n;
            for (int i = 0; i < n && os.rank >= 0; i++) {
                os.d[i] = t[i] == 0 && i < in->s.rank ? in->s.d[i] : t[i] >= 0 ? t[i] : -1;
                if (os.d[i] < 0)
                    infer = infer < 0 ? i : -2;
                else if (os.d[i] > MAX_DIM || (os.d[i] > 0 && prod > MAX_ELEMS / os.d[i]))
                    os.rank = -1; /* bounded */
                else
                    prod *= os.d[i];
            }
            if (os.rank >= 0 && infer >= 0 && e >= 0 && prod > 0 && e % prod == 0) os.d[infer] = e / prod;
        }
        return define_shape(x, in, &os);
    }
    if (rc) return nfail(x, "the target shape is not a constant");
    int64_t allowzero, e = elems(&in->s);
    if (attr_int(x, "allowzero", 0, 0, 1, &allowzero)) return -1;
    if (n < 1 || n - 1 > MAX_RANK) return nfail(x, "target rank %d not supported", n);
    if (e < 0) return nfail(x, "input shape unknown");
    shp os = {(int8_t)(n - 1), {0}};
    int infer = -1;
    int64_t prod = 1;
    for (int j = 1; j < n; j++) {
        int64_t d = t[j];
        if (d == 0 && !allowzero) {
            if (j - 1 >= in->s.rank) return nfail(x, "target dimension %d copies a dimension the input lacks", j);
            d = in->s.d[j - 1];
        }
        if (d == -1) {
            if (infer >= 0) return nfail(x, "more than one -1 in the target shape");
            infer = j - 1;
            continue;
        }
        if (d < 1) return nfail(x, "target dimension %d is %lld", j, (long long)t[j]);
        if (d > MAX_DIM || prod > MAX_ELEMS / d) return nfail(x, "target shape too large");
        os.d[j - 1] = d;
        prod *= d;
    }
    char s1[96], s2[96];
    if (infer >= 0) {
        if (t[0] == -1) return nfail(x, "target shape with -1 for the batch and another dimension is ambiguous");
        if (e % prod) return nfail(x, "cannot reshape %s per sample to the target", fmt(&in->s, s1, sizeof s1));
        os.d[infer] = e / prod;
        prod = e;
    }
    int batch_ok = (t[0] == 0 && !allowzero) || t[0] == -1 || (t[0] > 0 && t[0] == x->c->file_batch);
    if (!batch_ok || prod != e)
        return nfail(x, "reshape of %s per sample to a %lld x %s batch would move data across samples",
                     fmt(&in->s, s1, sizeof s1), (long long)t[0], fmt(&os, s2, sizeof s2));
    return define_shape(x, in, &os);
}

/* Squeeze / Unsqueeze on per-sample axes (never the batch axis 0). */
static int op_squeeze(node_ctx *x, int unsq) {
    if (need_io(x, 1, 2)) return -1;
    val *in = shape_input(x);
    if (!in) return -1;
    int b1rc;
    if (shape_b1(x, in, unsq ? 3 : 2, &b1rc)) return b1rc;
    int64_t ax[MAX_INTS];
    int n = -1;
    attr a;
    int rc = get_attr(x, "axes", &a);
    if (rc < 0) return -1;
    if (rc && a.has_ints) {
        if (a.ints_over) return nfail(x, "too many axes");
        n = a.n_ints;
        memcpy(ax, a.ints, (size_t)n * sizeof *ax);
    } else if (x->n->n_in == 2 && x->n->in[1].n) {
        const int64_t *t;
        rc = const_ints(x, 1, &t, &n);
        if (rc < 0) return -1;
        if (rc) return nfail(x, "the axes are not a constant");
        memcpy(ax, t, (size_t)n * sizeof *ax);
    }
    if (in->kind == V_PARAM) {
        shp os = {-1, {0}};
        return define_shape(x, in, &os);
    }
    if (!known(&in->s)) return nfail(x, "input shape unknown");
    int r = in->s.rank + 1, ro = unsq ? r + (n > 0 ? n : 0) : r;
    if (unsq && n < 1) return nfail(x, "axes are required");
    if (ro > MAX_RANK + 1) return nfail(x, "output rank %d not supported", ro);
    int mark[MAX_RANK + 2] = {0};
    for (int k = 0; k < n; k++) {
        int64_t v = 0;
        if (norm_axis(x, ax[k], ro, &v)) return -1;
        if (v == 0) return nfail(x, "axis 0 is the batch dimension");
        if (mark[v]) return nfail(x, "axis %lld repeated", (long long)ax[k]);
        if (!unsq && in->s.d[v - 1] != 1)
            return nfail(x, "dimension %lld is %lld, not 1", (long long)v, (long long)in->s.d[v - 1]);
        mark[v] = 1;
    }
    shp os = {0, {0}};
    for (int d = 1, j = 0; d < ro; d++) {
        if (unsq)
            os.d[os.rank++] = mark[d] ? 1 : in->s.d[j++];
        else if (!(n < 0 ? in->s.d[d - 1] == 1 : mark[d]))
            os.d[os.rank++] = in->s.d[d - 1];
    }
    return define_shape(x, in, &os);
}

/* Pad of the two spatial axes: kept on the value and folded into the window of the convolution or
 * pooling that reads it (torch writes Pad + AveragePool for count_include_pad pooling). Any mode
 * (constant, reflect, edge) costs the same. */
static int op_pad(node_ctx *x) {
    if (need_io(x, 1, 4)) return -1;
    val *in = shape_input(x);
    if (!in) return -1;
    const int64_t *t = NULL;
    int n = 0;
    attr a;
    int rc = get_attr(x, "pads", &a);
    if (rc < 0) return -1;
    if (rc && a.has_ints && !a.ints_over) { /* opset < 11 */
        t = a.ints;
        n = a.n_ints;
    } else if ((rc = const_ints(x, 1, &t, &n)) != 0) {
        return rc < 0 ? -1 : nfail(x, "the pads are not a constant");
    }
    if (in->kind == V_PARAM) {
        shp os = {-1, {0}};
        return define_shape(x, in, &os);
    }
    int r = in->s.rank + 1, zero = 1;
    if (n != 2 * r) return nfail(x, "%d pads for rank %d", n, r);
    for (int k = 0; k < n; k++) {
        if (t[k] < 0) return nfail(x, "negative pad %lld (cropping) is not supported", (long long)t[k]);
        if (t[k] > 65536) return nfail(x, "pad %lld too large", (long long)t[k]);
        zero &= t[k] == 0;
    }
    val ov = *in;
    if (zero) return define(x, 0, &ov);
    if (r != 4 || t[0] || t[1] || t[4] || t[5] || in->merged) {
        /* padding of other axes (Swin's channels-last windows): a layout join of the input and zeros */
        shp F, O;
        if (in->kind != V_ACT || full_of(x->c, in, &F) || F.rank != r || !known(&F) || t[0] || t[r])
            return nfail(x, "only the per-sample axes of an activation may be padded");
        O = F;
        for (int k = 0; k < r; k++) O.d[k] += t[k] + t[k + r];
        val pv = act_val(-1, &O);
        if (set_full(x, &pv, &O)) return -1;
        df_layer l = new_layer(DF_LAYER_LAYOUT);
        l.op = DF_OP_JOIN;
        int32_t o[3];
        int64_t e = elems(&F);
        if (view3(&pv.s, o) || e > INT32_MAX) return nfail(x, "tensor dimensions out of range");
        l.C = (int32_t)e;
        l.K = o[0];
        l.out_y = o[1];
        l.out_x = o[2];
        l.inputs[0] = in->src;
        int32_t li = emit(x, &l, 1, o);
        if (li < 0) return -1;
        pv.src = li;
        return define(x, 0, &pv);
    }
    ov.s.d[1] += t[2] + t[6];
    ov.s.d[2] += t[3] + t[7];
    ov.pad[0] += (int32_t)t[2];
    ov.pad[1] += (int32_t)t[3];
    ov.pad[2] += (int32_t)t[6];
    ov.pad[3] += (int32_t)t[7];
    return define(x, 0, &ov);
}

/* ReduceMean / ReduceMax over both spatial axes: a global pooling layer. */
static int op_reduce(node_ctx *x) {
    if (need_io(x, 1, 2)) return -1;
    val *in = input(x, 0);
    if (!in) return -1;
    if (in->kind == V_PEND && resolve(x, in, pend_is_data(x->c, in))) return -1;
    if (in->kind == V_PARAM) return fold(x);
    attr a;
    int rc = get_attr(x, "axes", &a);
    if (rc < 0) return -1;
    const int64_t *t = NULL;
    int n = 0;
    if (rc && a.has_ints && !a.ints_over) {
        t = a.ints;
        n = a.n_ints;
    } else if (x->n->n_in == 2 && x->n->in[1].n && (rc = const_ints(x, 1, &t, &n)) != 0) {
        return rc < 0 ? -1 : nfail(x, "the axes are not a constant");
    }
    int64_t keep, ax[2] = {0, 0};
    if (attr_int(x, "keepdims", 1, 0, 1, &keep)) return -1;
    /* a mean (or L2 norm) over the last axis, kept: a statistic of a decomposed LayerNorm */
    shp F;
    if ((in->kind == V_ACT || in->kind == V_STAT) && (is_op(x, "ReduceMean") || is_op(x, "ReduceL2")) && n == 1 &&
        keep && !full_of(x->c, in, &F) && (t[0] == -1 || t[0] == F.rank - 1)) {
        val ov = *in;
        ov.kind = V_STAT;
        if (ov.s.rank > 0) ov.s.d[ov.s.rank - 1] = 1;
        return define(x, 0, &ov);
    }
    if (!(in = act_input(x, 0)) || no_pad(x, in)) return -1;
    if (in->s.rank == 3 && n == 2 && !norm_axis(x, t[0], 4, &ax[0]) && !norm_axis(x, t[1], 4, &ax[1]) &&
        ax[0] + ax[1] == 5 && ax[0] != ax[1]) {
        df_layer l = new_layer(DF_LAYER_POOL);
        int32_t o[3];
        if (set_input(&l, &in->s)) return nfail(x, "tensor dimensions out of range");
        l.K = l.C;
        l.R = l.Y;
        l.S = l.X;
        l.inputs[0] = in->src;
        shp os = keep ? (shp){3, {in->s.d[0], 1, 1}} : (shp){1, {in->s.d[0]}};
        if (dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
        int32_t k = emit(x, &l, 0, o);
        if (k < 0) return -1;
        val ov = act_val(k, &os);
        return define(x, 0, &ov);
    }
    if (x->c->err->code != DF_OK) return -1;
    return nfail(x, "only a reduction over both spatial axes of an N x C x H x W tensor (global pooling) is supported");
}

static int op_constant(node_ctx *x) {
    if (need_io(x, 0, 0)) return -1;
    tensor t;
    memset(&t, 0, sizeof t);
    t.s.rank = -1;
    t.n_vals = -1;
    for (int k = 0; k < x->n->n_at; k++) {
        attr a;
        if (read_attr(x->c, x->n->at[k], &a)) return -1;
        if (sveq(a.name, "value") && a.has_t) {
            if (read_tensor(x->c, a.t, &t)) return -1;
        } else if (sveq(a.name, "value_int") && a.has_i) {
            t.s.rank = 0;
            t.vals[0] = a.i;
            t.n_vals = 1;
        } else if (sveq(a.name, "value_ints") && !a.ints_over) {
            t.s = (shp){1, {a.n_ints}};
            memcpy(t.vals, a.ints, (size_t)a.n_ints * sizeof *a.ints);
            t.n_vals = a.n_ints;
        } else if (sveq(a.name, "value_float")) {
            t.s.rank = 0;
        }
    }
    val ov;
    memset(&ov, 0, sizeof ov);
    ov.hint = ov.ival = ov.root = -1;
    if (set_param(x->c, &ov, &t)) return -1;
    return define(x, 0, &ov);
}

/* ---- constant subgraphs (issue 16) ------------------------------------------------------------ */

/* Numpy broadcast of two known shapes; -1 when they do not broadcast or are unknown. */
static int bcast(const shp *a, const shp *b, shp *o) {
    if (a->rank < 0 || b->rank < 0) return -1;
    int r = a->rank > b->rank ? a->rank : b->rank;
    if (r > MAX_RANK) return -1;
    o->rank = (int8_t)r;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) return -1;
        o->d[i] = da == 1 ? db : da;
    }
    return 0;
}

/* One element of a folded binary op; -1 (not folded) on division by zero or int64 overflow. */
static int bin_int(const node_ctx *x, int64_t a, int64_t b, int64_t *o) {
    if (is_op(x, "Add")) return __builtin_add_overflow(a, b, o) ? -1 : 0;
    if (is_op(x, "Sub")) return __builtin_sub_overflow(a, b, o) ? -1 : 0;
    if (is_op(x, "Mul")) return __builtin_mul_overflow(a, b, o) ? -1 : 0;
    if ((is_op(x, "Div") || is_op(x, "Mod")) && (!b || (a == INT64_MIN && b == -1))) return -1;
    if (is_op(x, "Div"))
        *o = a / b;
    else if (is_op(x, "Mod")) {
        *o = a % b;
        if (*o && ((*o < 0) != (b < 0))) *o += b;
    } else if (is_op(x, "Max"))
        *o = a > b ? a : b;
    else if (is_op(x, "Min"))
        *o = a < b ? a : b;
    else if (is_op(x, "Equal"))
        *o = a == b;
    else if (is_op(x, "Less"))
        *o = a < b;
    else if (is_op(x, "Greater"))
        *o = a > b;
    else
        return -1;
    return 0;
}

/* ONNX Slice on one axis of extent d (operator spec, Slice-13): begin b and end e, negative ones counted
 * from the end, clamped to [0, d] for step > 0 and to [-1, d - 1] for step < 0; *b receives the clamped
 * begin. Returns the number of elements taken. step != 0 and |step| bounded by the callers. */
static int64_t slice_extent(int64_t d, int64_t *b, int64_t e, int64_t step) {
    int64_t bb = *b;
    if (bb < 0) bb += d;
    if (e < 0) e += d;
    int64_t n;
    if (step > 0) {
        bb = bb < 0 ? 0 : bb > d ? d : bb;
        e = e < 0 ? 0 : e > d ? d : e;
        n = e > bb ? (e - bb + step - 1) / step : 0;
    } else {
        bb = bb < 0 ? -1 : bb > d - 1 ? d - 1 : bb;
        e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
        n = bb > e ? (bb - e - step - 1) / -step : 0;
    }
    *b = bb;
    return n;
}

/* A node whose inputs are all constants computes a constant (Shape arithmetic, masks, index tables):
 * its values are folded when small and known (ints, integral floats), else only its shape where that
 * is simple; nothing is costed (it is computed once, not per sample). */
static int fold(node_ctx *x) {
    ctx *c = x->c;
    const nd *n = x->n;
    val *in[8] = {0};
    const int64_t *v[8] = {0};
    int nv[8] = {0}, known[8] = {0};
    for (int k = 0; k < n->n_in && k < 8; k++) {
        if (!n->in[k].n) continue;
        if (!(in[k] = input(x, k))) return -1;
        if (in[k]->kind == V_PEND && resolve(x, in[k], 0)) return -1;
        known[k] = cvals(c, in[k], &v[k], &nv[k]);
    }
    shp us = {-1, {0}}, os = {-1, {0}};
    int64_t out[MAX_INTS];
    int no = -1;
    const shp *s0 = in[0] ? &in[0]->s : &us;
    if (is_op(x, "Identity") || is_op(x, "Cast") || is_op(x, "Floor") || is_op(x, "Ceil") || is_op(x, "Round") ||
        is_op(x, "Neg") || is_op(x, "Abs") || is_op(x, "Sqrt") || is_op(x, "Exp") || is_op(x, "Log") ||
        is_op(x, "Not") || is_op(x, "Sign") || is_op(x, "Relu") || is_op(x, "Clip") || is_op(x, "Sigmoid")) {
        os = *s0;
        if (known[0] && (is_op(x, "Identity") || is_op(x, "Cast") || is_op(x, "Floor") || is_op(x, "Ceil") ||
                         is_op(x, "Round") || is_op(x, "Neg") || is_op(x, "Abs"))) {
            no = nv[0];
            for (int i = 0; i < no; i++) {
                if (v[0][i] == INT64_MIN && (is_op(x, "Neg") || is_op(x, "Abs"))) {
                    no = -1;
                    break;
                } /* no -INT64_MIN */
                out[i] = is_op(x, "Neg") ? -v[0][i] : is_op(x, "Abs") && v[0][i] < 0 ? -v[0][i] : v[0][i];
            }
        }
    } else if (n->n_in == 2 && in[0] && in[1] &&
               (is_op(x, "Add") || is_op(x, "Sub") || is_op(x, "Mul") || is_op(x, "Div") || is_op(x, "Mod") ||
                is_op(x, "Max") || is_op(x, "Min") || is_op(x, "Equal") || is_op(x, "Less") || is_op(x, "Greater"))) {
        if (bcast(&in[0]->s, &in[1]->s, &os)) os.rank = -1;
        if (known[0] && known[1] && (nv[0] == nv[1] || nv[0] == 1 || nv[1] == 1)) {
            no = nv[0] > nv[1] ? nv[0] : nv[1];
            for (int i = 0; i < no; i++)
                if (bin_int(x, v[0][nv[0] == 1 ? 0 : i], v[1][nv[1] == 1 ? 0 : i], &out[i])) {
                    no = -1;
                    break;
                }
        }
    } else if (is_op(x, "Where") && n->n_in == 3 && in[0] && in[1] && in[2]) {
        shp t;
        if (bcast(&in[0]->s, &in[1]->s, &t) || bcast(&t, &in[2]->s, &os)) os.rank = -1;
        if (known[0] && known[1] && known[2]) {
            no = nv[0] > nv[1] ? nv[0] : nv[1];
            if (nv[2] > no) no = nv[2];
            for (int k = 0; k < 3; k++)
                if (nv[k] != no && nv[k] != 1) no = -1;
            for (int i = 0; i < no; i++)
                out[i] = v[0][nv[0] == 1 ? 0 : i] ? v[1][nv[1] == 1 ? 0 : i] : v[2][nv[2] == 1 ? 0 : i];
        }
    } else if (is_op(x, "Shape") && in[0]) {
        if (s0->rank >= 0) {
            int64_t st = 0, en = s0->rank;
            if (attr_int(x, "start", 0, -MAX_RANK, MAX_RANK, &st) || attr_int(x, "end", en, -MAX_RANK, MAX_RANK, &en))
                return -1;
            if (st < 0) st += s0->rank;
            if (en < 0) en += s0->rank;
            if (st < 0) st = 0;
            if (en > s0->rank) en = s0->rank;
            no = en > st ? (int)(en - st) : 0;
            for (int i = 0; i < no; i++) out[i] = s0->d[st + i];
            for (int i = 0; i < no; i++)
                if (out[i] < 0) no = -1;
            os = (shp){1, {en > st ? en - st : 0}};
        }
    } else if (is_op(x, "Gather") && in[0] && in[1]) {
        int64_t axis;
        if (attr_int(x, "axis", 0, -MAX_RANK, MAX_RANK, &axis)) return -1;
        if (s0->rank >= 0 && in[1]->s.rank >= 0 && s0->rank - 1 + in[1]->s.rank <= MAX_RANK) {
            if (axis < 0) axis += s0->rank;
            if (axis >= 0 && axis < s0->rank) {
                os.rank = 0;
                for (int i = 0; i < axis; i++) os.d[os.rank++] = s0->d[i];
                for (int i = 0; i < in[1]->s.rank; i++) os.d[os.rank++] = in[1]->s.d[i];
                for (int i = (int)axis + 1; i < s0->rank; i++) os.d[os.rank++] = s0->d[i];
            }
        }
        if (known[0] && known[1] && s0->rank == 1 && axis == 0) {
            no = nv[1];
            for (int i = 0; i < no; i++) {
                int64_t j = v[1][i] < 0 ? v[1][i] + nv[0] : v[1][i];
                if (j < 0 || j >= nv[0]) {
                    no = -1;
                    break;
                }
                out[i] = v[0][j];
            }
        }
    } else if ((is_op(x, "Unsqueeze") || is_op(x, "Squeeze")) && in[0]) {
        if (known[0]) {
            no = nv[0];
            memcpy(out, v[0], (size_t)no * sizeof *out);
        }
        attr a;
        int rc = get_attr(x, "axes", &a);
        if (rc < 0) return -1;
        const int64_t *ax = rc && a.has_ints && !a.ints_over ? a.ints : known[1] ? v[1] : NULL;
        int nax = rc && a.has_ints && !a.ints_over ? a.n_ints : known[1] ? nv[1] : -1;
        if (s0->rank >= 0 && nax >= 0) {
            int unsq = is_op(x, "Unsqueeze"), r = unsq ? s0->rank + nax : s0->rank, mark[MAX_RANK + 8] = {0},
                ok = r <= MAX_RANK;
            for (int k = 0; ok && k < nax; k++) {
                int64_t q = ax[k] < 0 ? ax[k] + (unsq ? r : s0->rank) : ax[k];
                ok = q >= 0 && q < (unsq ? r : s0->rank);
                if (ok) mark[q] = 1;
            }
            if (ok) {
                os.rank = 0;
                for (int d = 0, j = 0; d < r; d++) {
                    if (unsq)
                        os.d[os.rank++] = mark[d] ? 1 : s0->d[j++];
                    else if (!mark[d])
                        os.d[os.rank++] = s0->d[d];
                }
            }
        } else if (s0->rank >= 0 && !is_op(x, "Unsqueeze")) {
            os.rank = 0;
            for (int d = 0; d < s0->rank; d++)
                if (s0->d[d] != 1) os.d[os.rank++] = s0->d[d];
        }
    } else if (is_op(x, "Concat")) {
        int all = 1, rank = in[0] ? in[0]->s.rank : -1;
        int64_t tot = 0;
        no = 0;
        for (int k = 0; k < n->n_in && k < 8; k++) {
            if (!in[k]) continue;
            all &= known[k] && no + nv[k] <= MAX_INTS;
            if (all) {
                memcpy(out + no, v[k], (size_t)nv[k] * sizeof *out);
                no += nv[k];
            }
            if (in[k]->s.rank != 1)
                rank = -1;
            else
                tot += in[k]->s.d[0];
        }
        if (!all || n->n_in > 8) no = -1;
        if (rank == 1) os = (shp){1, {tot}};
    } else if (is_op(x, "Slice") && in[0] && s0->rank >= 1 && known[1] && known[2] && nv[1] == nv[2] &&
               (!in[3] || (known[3] && nv[3] == nv[1])) && (!in[4] || (known[4] && nv[4] == nv[1]))) {
        int64_t b[MAX_RANK], st[MAX_RANK];
        int ok = 1;
        os = *s0;
        for (int i = 0; i < s0->rank; i++) {
            b[i] = 0;
            st[i] = 1;
        }
        for (int k = 0; ok && k < nv[1]; k++) {
            int64_t axis = in[3] ? v[3][k] : k, step = in[4] ? v[4][k] : 1;
            if (axis < 0) axis += s0->rank;
            ok = axis >= 0 && axis < s0->rank && step != 0 && step >= -MAX_DIM && step <= MAX_DIM && s0->d[axis] >= 0;
            if (!ok) break;
            int64_t bb = v[1][k];
            os.d[axis] = slice_extent(s0->d[axis], &bb, v[2][k], step);
            b[axis] = bb;
            st[axis] = step;
        }
        if (!ok) os.rank = -1;
        int64_t e = elems(&os);
        if (ok && known[0] && e >= 0 && e <= MAX_INTS && elems(s0) == nv[0]) {
            no = (int)e;
            for (int i = 0; i < no; i++) { /* output index i -> input offset */
                int64_t rem = i, offs = 0, stride = 1;
                for (int d = s0->rank - 1; d >= 0; d--) {
                    int64_t od = os.d[d] ? rem % os.d[d] : 0;
                    rem = os.d[d] ? rem / os.d[d] : 0;
                    offs += (b[d] + od * st[d]) * stride;
                    stride *= s0->d[d];
                }
                out[i] = v[0][offs];
            }
        }
    } else if (is_op(x, "Range") && known[0] && known[1] && known[2] && v[2][0] && llabs(v[0][0]) <= (1LL << 52) &&
               llabs(v[1][0]) <= (1LL << 52) && llabs(v[2][0]) <= (1LL << 52)) { /* bounded: no overflow below */
        int64_t cnt = (v[1][0] - v[0][0] + v[2][0] - (v[2][0] > 0 ? 1 : -1)) / v[2][0];
        if (cnt < 0) cnt = 0;
        os = (shp){1, {cnt}};
        if (cnt <= MAX_INTS) {
            no = (int)cnt;
            for (int i = 0; i < no; i++) out[i] = v[0][0] + i * v[2][0];
        }
    } else if ((is_op(x, "ConstantOfShape") || is_op(x, "Expand")) && known[is_op(x, "Expand")]) {
        int k = is_op(x, "Expand");
        shp t = {(int8_t)(nv[k] <= MAX_RANK ? nv[k] : -1), {0}};
        for (int i = 0; i < t.rank; i++) t.d[i] = v[k][i];
        if (k == 0)
            os = t;
        else if (bcast(s0, &t, &os))
            os.rank = -1;
        int64_t e = elems(&os), fill = 0;
        int have = k ? known[0] && nv[0] == 1 : 1;
        if (!k) {
            attr a;
            int rc = get_attr(x, "value", &a);
            if (rc < 0) return -1;
            if (rc && a.has_t) {
                tensor tv;
                if (read_tensor(c, a.t, &tv)) return -1;
                have = tv.n_vals == 1;
                fill = have ? tv.vals[0] : 0;
            }
        } else if (have) {
            fill = v[0][0];
        }
        if (have && e >= 0 && e <= MAX_INTS) {
            no = (int)e;
            for (int i = 0; i < no; i++) out[i] = fill;
        }
    } else if (is_op(x, "Transpose") && in[0] && s0->rank >= 0) {
        int64_t perm[MAX_RANK];
        attr a;
        int rc = get_attr(x, "perm", &a);
        if (rc < 0) return -1;
        os.rank = s0->rank;
        for (int i = 0; i < s0->rank; i++) perm[i] = rc && a.n_ints == s0->rank ? a.ints[i] : s0->rank - 1 - i;
        for (int i = 0; i < s0->rank; i++) os.d[i] = perm[i] >= 0 && perm[i] < s0->rank ? s0->d[perm[i]] : -1;
        if (known[0] && elems(s0) == nv[0] && elems(&os) >= 0) {
            no = nv[0];
            int64_t istr[MAX_RANK], acc = 1;
            for (int d = s0->rank - 1; d >= 0; d--) {
                istr[d] = acc;
                acc *= s0->d[d];
            }
            for (int i = 0; i < no; i++) {
                int64_t rem = i, offs = 0;
                for (int d = os.rank - 1; d >= 0; d--) {
                    int64_t od = rem % os.d[d];
                    rem /= os.d[d];
                    offs += od * istr[perm[d]];
                }
                out[i] = v[0][offs];
            }
        }
    }
    if (def_const(x, 0, &os, out, no)) return -1;
    for (int k = 1; k < n->n_out; k++)
        if (def_const(x, k, &us, NULL, -1)) return -1;
    return 0;
}

/* ---- data-movement and vector operators (issue 16) -------------------------------------------- */

/* Emits a layout layer reading activation `in` whose output has full shape F (defines output k). */
static int emit_layout(node_ctx *x, const val *in, df_layer_op op, const shp *F, int k) {
    val ov = act_val(-1, F);
    if (set_full(x, &ov, F)) return -1;
    df_layer l = new_layer(DF_LAYER_LAYOUT);
    l.op = op;
    shp pin = ps_of(in);
    int32_t vi[3], o[3];
    if (view3(&pin, vi) || view3(&ov.s, o)) return nfail(x, "tensor dimensions out of range");
    l.C = vi[0];
    l.Y = vi[1];
    l.X = vi[2];
    l.K = o[0];
    l.out_y = o[1];
    l.out_x = o[2];
    l.inputs[0] = in->src;
    int32_t li = emit(x, &l, 1, o);
    if (li < 0) return -1;
    ov.src = li;
    return define(x, k, &ov);
}

/* An activation input (or the network input) as a full shape; NULL on error. */
static val *act_full(node_ctx *x, int k, shp *F) {
    val *v = act_input(x, k);
    if (!v || no_pad(x, v)) return NULL;
    if (full_of(x->c, v, F) || !known(&v->s)) {
        char sh[96];
        nfail(x, "input shape %s is not known", fmt(&v->s, sh, sizeof sh));
        return NULL;
    }
    return v;
}

static int op_shape(node_ctx *x) {
    if (need_io(x, 1, 1)) return -1;
    val *in = input(x, 0);
    if (!in || resolve(x, in, pend_is_data(x->c, in) || in->kind == V_PEND)) return -1;
    shp F = in->s;
    if ((in->kind == V_ACT || in->kind == V_STAT || in->kind == V_CENT || in->kind == V_GATE) && full_of(x->c, in, &F))
        F.rank = -1;
    int64_t st = 0, en = F.rank > 0 ? F.rank : 0, v[MAX_INTS];
    if (attr_int(x, "start", 0, -MAX_RANK, MAX_RANK, &st) || attr_int(x, "end", en, -MAX_RANK, MAX_RANK, &en))
        return -1;
    if (F.rank < 0) {
        shp os = {1, {-1}};
        return def_const(x, 0, &os, NULL, -1);
    }
    if (st < 0) st += F.rank;
    if (en < 0) en += F.rank;
    if (st < 0) st = 0;
    if (en > F.rank) en = F.rank;
    int n = en > st ? (int)(en - st) : 0, ok = 1;
    for (int i = 0; i < n; i++) {
        v[i] = F.d[st + i];
        ok &= v[i] >= 0;
    }
    shp os = {1, {n}};
    return def_const(x, 0, &os, v, ok ? n : -1);
}

/* Transpose of an activation: a layout layer (a channel shuffle when only leading per-sample axes move),
 * nothing when only axes of size 1 move (the element order is unchanged). */
static int op_transpose(node_ctx *x) {
    if (need_io(x, 1, 1)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    int64_t perm[MAX_RANK];
    int present;
    if (attr_ints(x, "perm", F.rank, 0, 0, MAX_RANK - 1, perm, &present)) return -1;
    if (!present)
        for (int i = 0; i < F.rank; i++) perm[i] = F.rank - 1 - i;
    int seen[MAX_RANK] = {0};
    shp O = {F.rank, {0}};
    for (int i = 0; i < F.rank; i++) {
        if (perm[i] < 0 || perm[i] >= F.rank || seen[perm[i]]) return nfail(x, "perm is not a permutation");
        seen[perm[i]] = 1;
        O.d[i] = F.d[perm[i]];
    }
    int64_t last = -1;
    int order_kept = 1;
    for (int i = 0; i < F.rank; i++) {
        if (F.d[perm[i]] == 1) continue;
        if (perm[i] < last) order_kept = 0;
        last = perm[i];
    }
    if (order_kept) return def_act_full(x, 0, in->src, &O);
    int r = F.rank, shuffle = r >= 5 && perm[0] == 0 && perm[r - 1] == r - 1 && perm[r - 2] == r - 2;
    return emit_layout(x, in, shuffle ? DF_OP_SHUFFLE : DF_OP_TRANSPOSE, &O, 0);
}

/* Slice of an activation (opset >= 10: starts, ends, axes, steps inputs; older: attributes). */
static int op_slice(node_ctx *x) {
    if (need_io(x, 1, 5)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    const int64_t *st = NULL, *en = NULL, *ax = NULL, *sp = NULL;
    int ns = 0, ne = 0, na = -1, np = -1;
    attr a1, a2, a3;
    int r1 = get_attr(x, "starts", &a1), r2 = get_attr(x, "ends", &a2), r3 = get_attr(x, "axes", &a3);
    if (r1 < 0 || r2 < 0 || r3 < 0) return -1;
    if (r1 && r2) {
        st = a1.ints;
        ns = a1.n_ints;
        en = a2.ints;
        ne = a2.n_ints;
        if (r3) {
            ax = a3.ints;
            na = a3.n_ints;
        }
    } else {
        val *v[5] = {0};
        for (int k = 1; k < x->n->n_in && k < 5; k++) {
            if (!x->n->in[k].n) continue;
            if (!(v[k] = param_input(x, k))) return -1;
        }
        if (!v[1] || !v[2] || !cvals(x->c, v[1], &st, &ns) || !cvals(x->c, v[2], &en, &ne) ||
            (v[3] && !cvals(x->c, v[3], &ax, &na)) || (v[4] && !cvals(x->c, v[4], &sp, &np)))
            return nfail(x, "starts, ends, axes and steps must be constants");
    }
    if (ns != ne || (na >= 0 && na != ns) || (np >= 0 && np != ns))
        return nfail(x, "starts, ends, axes, steps disagree");
    shp O = F;
    for (int k = 0; k < ns; k++) {
        int64_t axis = ax ? ax[k] : k, step = sp ? sp[k] : 1;
        if (axis < 0) axis += F.rank;
        if (axis < 0 || axis >= F.rank || step == 0 || step < -MAX_DIM || step > MAX_DIM) /* bounded arithmetic */
            return nfail(x, "axis or step out of range");
        int64_t b = st[k];
        O.d[axis] = slice_extent(F.d[axis], &b, en[k], step);
        if (O.d[axis] < 1) return nfail(x, "an empty slice");
    }
    if (elems(&O) == elems(&F)) return def_act_full(x, 0, in->src, &O);
    return emit_layout(x, in, DF_OP_SLICE, &O, 0);
}

/* Split of an activation: one layout layer per output. */
static int op_split(node_ctx *x) {
    if (need_io(x, 1, 2)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    int64_t axis;
    if (attr_int(x, "axis", 0, -MAX_RANK, MAX_RANK, &axis) || norm_axis(x, axis, F.rank, &axis)) return -1;
    int64_t parts[MAX_INTS];
    int n = x->n->n_out;
    attr a;
    int rc = get_attr(x, "split", &a);
    if (rc < 0) return -1;
    if (n > MAX_INTS) return nfail(x, "more than %d outputs", MAX_INTS);
    if (rc && a.has_ints && !a.ints_over && a.n_ints == n) {
        memcpy(parts, a.ints, (size_t)n * sizeof *parts);
    } else if (x->n->n_in == 2 && x->n->in[1].n) {
        const int64_t *p;
        int np;
        val *v = param_input(x, 1);
        if (!v) return -1;
        if (!cvals(x->c, v, &p, &np) || np != n) return nfail(x, "the split sizes are not a constant of %d entries", n);
        memcpy(parts, p, (size_t)n * sizeof *parts);
    } else {
        if (F.d[axis] % n) return nfail(x, "dimension %lld does not split in %d equal parts", (long long)F.d[axis], n);
        for (int k = 0; k < n; k++) parts[k] = F.d[axis] / n;
    }
    int64_t sum = 0;
    for (int k = 0; k < n; k++) sum += parts[k];
    if (sum != F.d[axis])
        return nfail(x, "split sizes add up to %lld, the axis has %lld", (long long)sum, (long long)F.d[axis]);
    for (int k = 0; k < n; k++) {
        shp O = F;
        O.d[axis] = parts[k];
        if (n == 1) return def_act_full(x, 0, in->src, &O);
        if (parts[k] < 1) return nfail(x, "an empty split");
        if (emit_layout(x, in, DF_OP_SPLIT, &O, k)) return -1;
    }
    return 0;
}

/* Gather from an activation with constant indices (a class token x[:, 0], q/k/v of a packed projection). */
static int op_gather(node_ctx *x) {
    if (need_io(x, 2, 2)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    val *iv = param_input(x, 1);
    if (!iv) return -1;
    if (iv->s.rank < 0) return nfail(x, "indices of unknown shape");
    int64_t axis;
    if (attr_int(x, "axis", 0, -MAX_RANK, MAX_RANK, &axis) || norm_axis(x, axis, F.rank, &axis)) return -1;
    if (F.rank - 1 + iv->s.rank > MAX_RANK) return nfail(x, "output rank too large");
    shp O = {0, {0}};
    for (int i = 0; i < axis; i++) O.d[O.rank++] = F.d[i];
    for (int i = 0; i < iv->s.rank; i++) O.d[O.rank++] = iv->s.d[i];
    for (int i = (int)axis + 1; i < F.rank; i++) O.d[O.rank++] = F.d[i];
    if (!known(&O)) return nfail(x, "indices of unknown shape");
    return emit_layout(x, in, DF_OP_GATHER, &O, 0);
}

/* Softmax / LogSoftmax over the last axis: a softmax layer (rows x the normalised axis). */
static int op_softmax(node_ctx *x) {
    if (need_io(x, 1, 1)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    int64_t axis;
    if (attr_int(x, "axis", -1, -MAX_RANK, MAX_RANK, &axis) || norm_axis(x, axis, F.rank, &axis)) return -1;
    int64_t tail = 1;
    for (int i = (int)axis + 1; i < F.rank; i++) tail *= F.d[i];
    if (tail != 1)
        return nfail(x, "softmax along axis %lld of rank %d: only the last axis is supported", (long long)axis, F.rank);
    df_layer l = new_layer(DF_LAYER_SOFTMAX);
    shp ps = ps_of(in);
    if (rows_view(&ps, &l.C, &l.Y)) return nfail(x, "tensor dimensions out of range");
    l.K = l.C;
    l.inputs[0] = in->src;
    int32_t o[3] = {l.K, l.Y, 1};
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    return def_act_full(x, 0, k, &F);
}

/* A norm layer over the trailing axes of in from axis `axis` of its full shape (the rows are the rest). */
static int emit_norm(node_ctx *x, const val *in, int64_t axis, int out) {
    shp F;
    if (full_of(x->c, in, &F)) return nfail(x, "input shape unknown");
    int64_t C = 1, Y = 1;
    for (int i = 0; i < F.rank; i++) {
        if (i >= axis)
            C *= F.d[i];
        else if (i > 0 || in->merged)
            Y *= F.d[i];
    }
    if (axis < 1 && !in->merged) return nfail(x, "normalisation over the batch axis");
    if (C < 1 || Y < 1 || C > INT32_MAX || Y > INT32_MAX) return nfail(x, "tensor dimensions out of range");
    df_layer l = new_layer(DF_LAYER_NORM);
    l.op = DF_OP_LAYERNORM;
    l.C = l.K = (int32_t)C;
    l.Y = (int32_t)Y;
    l.inputs[0] = in->src;
    int32_t o[3] = {l.K, l.Y, 1};
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    return def_act_full(x, out, k, &F);
}

/* LayerNormalization (opset 17): one norm layer; the mean and inverse std outputs are not modelled. */
static int op_layernorm(node_ctx *x) {
    if (need_io(x, 1, 3)) return -1;
    shp F;
    val *in = act_full(x, 0, &F);
    if (!in) return -1;
    for (int k = 1; k < x->n->n_in; k++)
        if (x->n->in[k].n && !param_input(x, k)) return -1;
    int64_t axis;
    if (attr_int(x, "axis", -1, -MAX_RANK, MAX_RANK, &axis) || norm_axis(x, axis, F.rank, &axis)) return -1;
    return emit_norm(x, in, axis, 0) || define_rest_dead(x, 1);
}

/* Erf of an activation: the first half of GELU, 0.5 x (1 + erf(x / sqrt 2)), completed by the Mul with x. */
static int op_erf(node_ctx *x) {
    if (need_io(x, 1, 1)) return -1;
    val *in = act_input(x, 0);
    if (!in || no_pad(x, in)) return -1;
    val ov = *in;
    ov.kind = V_GATE;
    return define(x, 0, &ov);
}

/* Pow: (x - mean)^2 of a decomposed LayerNorm; anything else is refused. */
static int op_pow(node_ctx *x) {
    if (need_io(x, 2, 2)) return -1;
    val *a = input(x, 0);
    if (!a) return -1;
    if (a->kind == V_CENT) {
        val ov = *a;
        ov.kind = V_STAT;
        return define(x, 0, &ov);
    }
    if (a->kind == V_PARAM || (a->kind == V_PEND && !pend_is_data(x->c, a))) return fold(x);
    return nfail(x, "Pow of an activation is supported only as the variance of a decomposed LayerNorm");
}

/* Expand: of a LayerNorm statistic (its broadcast), or one that does not enlarge the activation. */
static int op_expand(node_ctx *x) {
    if (need_io(x, 2, 2)) return -1;
    val *in = input(x, 0);
    if (!in) return -1;
    if (in->kind == V_STAT) {
        val ov = *in;
        return define(x, 0, &ov);
    }
    shp F;
    if (!(in = act_full(x, 0, &F))) return -1;
    val *sv_ = param_input(x, 1);
    const int64_t *t;
    int n;
    if (!sv_ || !cvals(x->c, sv_, &t, &n) || n > MAX_RANK) return nfail(x, "the target shape is not a constant");
    shp T = {(int8_t)n, {0}}, O;
    for (int i = 0; i < n; i++) T.d[i] = t[i];
    if (bcast(&F, &T, &O) || elems(&O) != elems(&F)) return nfail(x, "Expand would enlarge an activation");
    return def_act_full(x, 0, in->src, &O);
}

/* Resize / Upsample of an N x C x H x W activation: a resize layer (nearest, linear, cubic). */
static int op_resize(node_ctx *x) {
    if (need_io(x, 1, 4)) return -1;
    val *in = act_input(x, 0);
    if (!in || no_pad(x, in) || data_rank(x, in, 3, "only 2-D resizing (N x C x H x W) is supported")) return -1;
    const int64_t *v = NULL;
    int n = 0, sizes = 0;
    int ksz = x->n->n_in == 4 ? 3 : -1, ksc = x->n->n_in >= 3 ? 2 : x->n->n_in == 2 ? 1 : -1;
    for (int k = 1; k < x->n->n_in; k++) {
        if (!x->n->in[k].n) continue;
        val *p = param_input(x, k);
        if (!p) return -1;
        const int64_t *pv;
        int pn;
        if (!cvals(x->c, p, &pv, &pn) || pn == 0) continue;
        if (k == ksz && pn == 4) {
            v = pv;
            n = pn;
            sizes = 1;
        } else if (k == ksc && pn == 4 && !sizes) {
            v = pv;
            n = pn;
        }
    }
    attr a;
    int rc = get_attr(x, "scales", &a);
    if (rc < 0) return -1;
    if (!v && rc) return nfail(x, "scales given as floats in an attribute are not supported");
    if (!v || n != 4) return nfail(x, "the output size (sizes, or integral scales) is not a constant");
    int64_t H = sizes ? v[2] : in->s.d[1] * v[2], W = sizes ? v[3] : in->s.d[2] * v[3];
    if ((sizes ? v[1] != in->s.d[0] : v[1] != 1) || H < 1 || W < 1 || H > INT32_MAX || W > INT32_MAX)
        return nfail(x, "resizing the channels, or an empty output, is not supported");
    df_layer l = new_layer(DF_LAYER_RESIZE);
    l.op = DF_OP_NEAREST;
    rc = get_attr(x, "mode", &a);
    if (rc < 0) return -1;
    if (rc && a.has_s && (sveq(a.s, "linear") || sveq(a.s, "bilinear")))
        l.op = DF_OP_LINEAR;
    else if (rc && a.has_s && sveq(a.s, "cubic"))
        l.op = DF_OP_CUBIC;
    int32_t o[3];
    shp os = {3, {in->s.d[0], H, W}};
    if (set_input(&l, &in->s) || dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
    l.K = l.C;
    l.out_y = o[1];
    l.out_x = o[2];
    l.inputs[0] = in->src;
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    return define(x, 0, &ov);
}

/* ConvTranspose (2-D, no dilation): a deconv layer. */
static int op_deconv(node_ctx *x) {
    if (need_io(x, 2, 3)) return -1;
    val *in = act_input(x, 0), *wt = in ? param_input(x, 1) : NULL;
    if (!wt || no_pad(x, in)) return -1;
    if (data_rank(x, in, 3, "only 2-D transposed convolution (N x C x H x W) is supported")) return -1;
    char sh[96];
    if (wt->s.rank != 4 || !known(&wt->s))
        return nfail(x, "weight shape %s: expected a known C x K/group x kH x kW", fmt(&wt->s, sh, sizeof sh));
    int64_t g, C = in->s.d[0];
    if (attr_int(x, "group", 1, 1, 1 << 24, &g)) return -1;
    if (wt->s.d[0] != C || C % g)
        return nfail(x, "weight %s does not fit %lld input channels", fmt(&wt->s, sh, sizeof sh), (long long)C);
    int64_t K = wt->s.d[1] * g, st[2], dl[2], pd[4], op[2];
    if (attr_ints(x, "strides", 2, 1, 1, 1024, st, NULL) || attr_ints(x, "dilations", 2, 1, 1, 1, dl, NULL) ||
        attr_ints(x, "pads", 4, 0, 0, 65536, pd, NULL) || attr_ints(x, "output_padding", 2, 0, 0, 1024, op, NULL))
        return -1;
    attr a;
    int rc = get_attr(x, "output_shape", &a);
    if (rc < 0) return -1;
    if (rc) return nfail(x, "output_shape is not supported (give pads)");
    rc = get_attr(x, "auto_pad", &a);
    if (rc < 0) return -1;
    if (rc && a.has_s && a.s.n && !sveq(a.s, "NOTSET")) return nfail(x, "auto_pad is not supported");
    int64_t P = st[0] * (in->s.d[1] - 1) + op[0] + wt->s.d[2] - pd[0] - pd[2];
    int64_t Q = st[1] * (in->s.d[2] - 1) + op[1] + wt->s.d[3] - pd[1] - pd[3];
    df_layer l = new_layer(DF_LAYER_DECONV);
    shp os = {3, {K, P, Q}};
    int32_t o[3];
    if (set_input(&l, &in->s) || dfshape(&os, o)) return nfail(x, "tensor dimensions out of range");
    l.K = o[0];
    l.groups = (int32_t)g;
    l.R = (int32_t)wt->s.d[2];
    l.S = (int32_t)wt->s.d[3];
    l.stride = (int32_t)st[0];
    l.stride_x = st[1] != st[0] ? (int32_t)st[1] : 0;
    l.pad_t = (int32_t)pd[0];
    l.pad_l = (int32_t)pd[1];
    l.pad_b = (int32_t)pd[2];
    l.pad_r = (int32_t)pd[3];
    if (op[0]) l.out_y = o[1];
    if (op[1]) l.out_x = o[2];
    l.inputs[0] = in->src;
    int32_t k = emit(x, &l, 0, o);
    if (k < 0) return -1;
    val ov = act_val(k, &os);
    return define(x, 0, &ov);
}

/* A matmul layer of two activations: G independent (M x Kr) . (Kr x N) products (heads, windows x
 * heads), no weights; the output's full shape is F. */
static int emit_matmul2(node_ctx *x, const val *a, const val *b, int64_t G, int64_t M, int64_t Kr, int64_t N,
                        const shp *F) {
    if (G < 1 || M < 1 || Kr < 1 || N < 1 || G * Kr > INT32_MAX || G * N > INT32_MAX || M > INT32_MAX)
        return nfail(x, "tensor dimensions out of range");
    df_layer l = new_layer(DF_LAYER_MATMUL);
    l.groups = (int32_t)G;
    l.C = (int32_t)(G * Kr);
    l.Y = (int32_t)M;
    l.K = (int32_t)(G * N);
    l.n_inputs = 2;
    l.inputs[0] = a->src;
    l.inputs[1] = b->src;
    int32_t o[3] = {l.K, l.Y, 1};
    int32_t k = emit(x, &l, 1, o);
    if (k < 0) return -1;
    return def_act_full(x, 0, k, F);
}

/* MatMul of two activations (attention: Q.K^T, scores.V): the leading axes are the groups. */
static int op_matmul2(node_ctx *x, val *a, val *b) {
    if (no_pad(x, a) || no_pad(x, b)) return -1;
    shp pa = ps_of(a), pb = ps_of(b);
    char s1[96], s2[96];
    if (a->merged != b->merged || pa.rank != pb.rank || pa.rank < 2 || !known(&pa) || !known(&pb))
        return nfail(x, "activation x activation of shapes %s and %s: equal ranks >= 2 per sample only",
                     fmt(&pa, s1, sizeof s1), fmt(&pb, s2, sizeof s2));
    int r = pa.rank;
    int64_t G = 1;
    for (int i = 0; i < r - 2; i++) {
        if (pa.d[i] != pb.d[i])
            return nfail(x, "shapes %s and %s: broadcast batch axes are not supported", fmt(&pa, s1, sizeof s1),
                         fmt(&pb, s2, sizeof s2));
        G *= pa.d[i];
    }
    int64_t M = pa.d[r - 2], Kr = pa.d[r - 1], N = pb.d[r - 1];
    if (pb.d[r - 2] != Kr)
        return nfail(x, "shapes %s and %s do not multiply", fmt(&pa, s1, sizeof s1), fmt(&pb, s2, sizeof s2));
    shp F;
    full_of(x->c, a, &F);
    F.d[F.rank - 1] = N;
    return emit_matmul2(x, a, b, G, M, Kr, N, &F);
}

/* Einsum of two activations that is a batched matrix product (MaxViT's "bghid,bghjd->bghij" and
 * "bghij,bghjd->bghid"): equal leading letters, one row letter per operand, one contracted letter. */
static int op_einsum(node_ctx *x) {
    if (need_io(x, 2, 2)) return -1;
    shp Fa, Fb;
    val *a = act_full(x, 0, &Fa), *b = a ? act_full(x, 1, &Fb) : NULL;
    if (!b) return -1;
    attr at;
    int rc = get_attr(x, "equation", &at);
    if (rc < 0) return -1;
    char eq[3][MAX_RANK + 1];
    int len[3] = {0, 0, 0}, part = 0, bad = !rc || !at.has_s;
    for (uint32_t i = 0; !bad && i < at.s.n; i++) {
        char ch = (char)at.s.p[i];
        if (ch == ' ') continue;
        if (ch == ',' && part == 0)
            part = 1;
        else if (ch == '-' && part == 1 && i + 1 < at.s.n && at.s.p[i + 1] == '>') {
            part = 2;
            i++;
        } else if (((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) && len[part] < MAX_RANK)
            eq[part][len[part]++] = ch;
        else
            bad = 1;
    }
    if (bad || part != 2 || len[0] != Fa.rank || len[1] != Fb.rank || len[0] != len[1] || len[2] != len[0] ||
        len[0] < 2)
        return nfail(x, "only a two-operand batched matrix product equation of equal ranks is supported");
    int r = len[0];
    for (int i = 0; i < r - 2; i++)
        if (eq[0][i] != eq[1][i] || eq[0][i] != eq[2][i] || Fa.d[i] != Fb.d[i])
            return nfail(x, "only equal leading (batch) axes are supported");
    /* A: .. i k; B: .. k j or .. j k; out: .. i j */
    char ai = eq[0][r - 2], ak = eq[0][r - 1], oi = eq[2][r - 2], oj = eq[2][r - 1];
    int bt = eq[1][r - 1] == ak; /* B holds .. j k (a transposed K) */
    char bk = bt ? eq[1][r - 1] : eq[1][r - 2], bj = bt ? eq[1][r - 2] : eq[1][r - 1];
    if (ai != oi || bj != oj || bk != ak || ak == ai || bj == ak)
        return nfail(x, "the equation is not a batched matrix product");
    int64_t G = 1, M = Fa.d[r - 2], Kr = Fa.d[r - 1], N = bt ? Fb.d[r - 2] : Fb.d[r - 1];
    if ((bt ? Fb.d[r - 1] : Fb.d[r - 2]) != Kr) return nfail(x, "operand shapes do not multiply");
    for (int i = a->merged ? 0 : 1; i < r - 2; i++) G *= Fa.d[i];
    shp F = Fa;
    F.d[r - 1] = N;
    return emit_matmul2(x, a, b, G, M, Kr, N, &F);
}

typedef enum {
    OP_CONV,
    OP_GEMM,
    OP_MATMUL,
    OP_POOL,
    OP_GPOOL,
    OP_ADD,
    OP_MUL,
    OP_CONCAT,
    OP_UNARY,
    OP_FLATTEN,
    OP_RESHAPE,
    OP_SQUEEZE,
    OP_UNSQUEEZE,
    OP_CONSTANT,
    OP_PAD,
    OP_REDUCE,
    OP_SHAPE,
    OP_TRANSPOSE,
    OP_SLICE,
    OP_SPLIT,
    OP_GATHER,
    OP_SOFTMAX,
    OP_LAYERNORM,
    OP_ERF,
    OP_POW,
    OP_EXPAND,
    OP_RESIZE,
    OP_DECONV,
    OP_EINSUM,
    OP_FOLD
} op_kind;

static const struct {
    const char *name;
    op_kind kind;
} op_table[] = {
    {"Conv", OP_CONV},
    {"Gemm", OP_GEMM},
    {"MatMul", OP_MATMUL},
    {"MaxPool", OP_POOL},
    {"AveragePool", OP_POOL},
    {"GlobalAveragePool", OP_GPOOL},
    {"GlobalMaxPool", OP_GPOOL},
    {"Add", OP_ADD},
    {"Sub", OP_ADD},
    {"Mul", OP_MUL},
    {"Div", OP_ADD},
    {"Concat", OP_CONCAT},
    {"Relu", OP_UNARY},
    {"LeakyRelu", OP_UNARY},
    {"PRelu", OP_UNARY},
    {"Elu", OP_UNARY},
    {"Selu", OP_UNARY},
    {"Clip", OP_UNARY},
    {"Sigmoid", OP_UNARY},
    {"HardSigmoid", OP_UNARY},
    {"HardSwish", OP_UNARY},
    {"Tanh", OP_UNARY},
    {"Softplus", OP_UNARY},
    {"BatchNormalization", OP_UNARY},
    {"Identity", OP_UNARY},
    {"Dropout", OP_UNARY},
    {"Cast", OP_UNARY},
    {"Sqrt", OP_UNARY},
    {"Reciprocal", OP_UNARY},
    {"Softmax", OP_SOFTMAX},
    {"LogSoftmax", OP_SOFTMAX},
    {"LayerNormalization", OP_LAYERNORM},
    {"Flatten", OP_FLATTEN},
    {"Reshape", OP_RESHAPE},
    {"Squeeze", OP_SQUEEZE},
    {"Unsqueeze", OP_UNSQUEEZE},
    {"Constant", OP_CONSTANT},
    {"Pad", OP_PAD},
    {"ReduceMean", OP_REDUCE},
    {"ReduceMax", OP_REDUCE},
    {"ReduceL2", OP_REDUCE},
    {"Shape", OP_SHAPE},
    {"Transpose", OP_TRANSPOSE},
    {"Slice", OP_SLICE},
    {"Split", OP_SPLIT},
    {"Gather", OP_GATHER},
    {"Erf", OP_ERF},
    {"Pow", OP_POW},
    {"Expand", OP_EXPAND},
    {"Resize", OP_RESIZE},
    {"Upsample", OP_RESIZE},
    {"ConvTranspose", OP_DECONV},
    {"Einsum", OP_EINSUM},
    /* computed on constants only (shape arithmetic, masks, index tables): folded, never costed */
    {"Size", OP_FOLD},
    {"Range", OP_FOLD},
    {"ConstantOfShape", OP_FOLD},
    {"Equal", OP_FOLD},
    {"Less", OP_FOLD},
    {"Greater", OP_FOLD},
    {"Where", OP_FOLD},
    {"Mod", OP_FOLD},
    {"ScatterND", OP_FOLD},
    {"Floor", OP_FOLD},
    {"Ceil", OP_FOLD},
    {"Neg", OP_FOLD},
    {"Abs", OP_FOLD},
    {"Not", OP_FOLD},
    {"Max", OP_FOLD},
    {"Min", OP_FOLD},
    {"Exp", OP_FOLD},
    {"Log", OP_FOLD},
    {"Round", OP_FOLD},
    {"Sign", OP_FOLD},
};

/* 1 when every named input is a constant (or a graph input that is not the network input): the node
 * computes a constant (fold). */
static int all_const(node_ctx *x) {
    int any = 0, layer = is_op(x, "Conv") || is_op(x, "ConvTranspose") || is_op(x, "Gemm") || is_op(x, "MatMul") ||
                         is_op(x, "MaxPool") || is_op(x, "AveragePool");
    for (int k = 0; k < x->n->n_in; k++) {
        if (!x->n->in[k].n) continue;
        int32_t j = find(x->c, x->n->in[k]);
        if (j < 0) return 0;
        const val *v = &x->c->vals[j];
        /* a layer's data operand that is a graph input is data (a second network input is refused) */
        int pend_const = v->kind == V_PEND && !pend_is_data(x->c, v) && !(layer && k == 0);
        if (!(v->kind == V_PARAM || pend_const)) return 0;
        any = 1;
    }
    return any;
}

static int any_bad(node_ctx *x) {
    for (int k = 0; k < x->n->n_in; k++) {
        int32_t j = x->n->in[k].n ? find(x->c, x->n->in[k]) : -1;
        if (j >= 0 && x->c->vals[j].kind == V_BAD) return 1;
    }
    return 0;
}

/* The outputs of a node that failed (or reads a failed one): consumers are skipped, not refused again. */
static void define_bad(node_ctx *x) {
    for (int k = 0; k < x->n->n_out; k++) {
        if (!x->n->out[k].n) continue;
        int32_t j = get(x->c, x->n->out[k]);
        if (j >= 0 && x->c->vals[j].kind == V_UNDEF) x->c->vals[j].kind = V_BAD;
    }
}

static int dispatch(node_ctx *x) {
    const nd *n = x->n;
    int known_domain = n->domain.n == 0 || sveq(n->domain, "ai.onnx");
    if (known_domain && !is_op(x, "Constant") && !is_op(x, "Reshape") && !is_op(x, "Flatten") && !is_op(x, "Pad") &&
        all_const(x))
        return fold(x);
    for (size_t k = 0; known_domain && k < sizeof op_table / sizeof op_table[0]; k++) {
        if (!sveq(n->op, op_table[k].name)) continue;
        switch (op_table[k].kind) {
        case OP_CONV: return op_conv(x);
        case OP_GEMM: return op_fc(x, 1);
        case OP_MATMUL: return op_fc(x, 0);
        case OP_POOL: return op_pool(x, 0);
        case OP_GPOOL: return op_pool(x, 1);
        case OP_ADD: return op_binary(x, 0);
        case OP_MUL: return op_binary(x, 1);
        case OP_CONCAT: return op_concat(x);
        case OP_UNARY: return op_unary(x);
        case OP_FLATTEN: return op_flatten(x);
        case OP_RESHAPE: return op_reshape(x);
        case OP_SQUEEZE: return op_squeeze(x, 0);
        case OP_UNSQUEEZE: return op_squeeze(x, 1);
        case OP_CONSTANT: return op_constant(x);
        case OP_PAD: return op_pad(x);
        case OP_REDUCE: return op_reduce(x);
        case OP_SHAPE: return op_shape(x);
        case OP_TRANSPOSE: return op_transpose(x);
        case OP_SLICE: return op_slice(x);
        case OP_SPLIT: return op_split(x);
        case OP_GATHER: return op_gather(x);
        case OP_SOFTMAX: return op_softmax(x);
        case OP_LAYERNORM: return op_layernorm(x);
        case OP_ERF: return op_erf(x);
        case OP_POW: return op_pow(x);
        case OP_EXPAND: return op_expand(x);
        case OP_RESIZE: return op_resize(x);
        case OP_DECONV: return op_deconv(x);
        case OP_EINSUM: return op_einsum(x);
        case OP_FOLD:
            /* with an activation operand: element-wise work like the other unary and binary ops */
            if (is_op(x, "Where")) return op_where(x);
            if (is_op(x, "Max") || is_op(x, "Min") || is_op(x, "Mod") || is_op(x, "Equal") || is_op(x, "Less") ||
                is_op(x, "Greater"))
                return op_binary(x, 0);
            if (is_op(x, "Neg") || is_op(x, "Abs") || is_op(x, "Exp") || is_op(x, "Log") || is_op(x, "Floor") ||
                is_op(x, "Ceil") || is_op(x, "Round") || is_op(x, "Sign") || is_op(x, "Not"))
                return op_unary(x);
            return nfail(x, "%s of an activation is not supported (only on constants)", op_table[k].name);
        }
    }
    char d[72], o[72];
    return nfail(
        x,
        "unsupported operator %s%s%s, refused rather than costed as zero (the importer takes Conv, "
        "ConvTranspose, Gemm, MatMul, pooling, element-wise, Concat, Pad, Resize, Softmax, LayerNorm, layout and "
        "shape ops)",
        n->domain.n ? show(n->domain, d, sizeof d) : "", n->domain.n ? ":" : "", show(n->op, o, sizeof o));
}

/* One node. A node that cannot be imported is recorded (c->bad) and its outputs marked, so the import
 * goes on and one error lists every such node; malformed input, limits and allocation failures stop. */
static int do_node(ctx *c, int32_t i) {
    nd n;
    node_ctx x = {c, &n, i, ""};
    snprintf(x.ptr, sizeof x.ptr, "/graph/node/%d", i);
    if (read_node(c, c->nodes[i], &n)) {
        char m[sizeof c->err->msg];
        snprintf(m, sizeof m, "%s", c->err->msg);
        return df_err_set(c->err, DF_EINVAL, x.ptr, "node %d: %s", i, m);
    }
    if (reserve(c, n.n_out)) return -1;
    if (any_bad(&x)) {
        define_bad(&x);
        return 0;
    }
    c->why[0] = '\0';
    if (dispatch(&x) == 0) return 0;
    if (c->err->code != DF_EINVAL) return -1;
    if (c->n_bad == 0) *c->first = *c->err;
    if (c->n_bad < (int32_t)(sizeof c->bad / sizeof c->bad[0])) {
        __typeof__(c->bad[0]) *b = &c->bad[c->n_bad];
        b->node = i;
        show(n.op, b->op, sizeof b->op);
        show(n.name, b->name, sizeof b->name);
        snprintf(b->why, sizeof b->why, "%.63s", c->why[0] ? c->why : c->err->msg);
    }
    c->n_bad++;
    df_err_clear(c->err);
    define_bad(&x);
    return 0;
}

/* The one error for every node that could not be imported: the first one's own message when it is
 * alone; else a count and the first few (index, name, op, reason), capped to fit one message. */
static int report_bad(ctx *c) {
    if (c->n_bad == 1) {
        *c->err = *c->first;
        return -1;
    }
    char msg[sizeof c->err->msg];
    size_t k = (size_t)snprintf(msg, sizeof msg, "%d nodes cannot be imported (none is costed as zero):", c->n_bad);
    int shown = 0, kept = c->n_bad < 8 ? c->n_bad : 8;
    for (int j = 0; j < kept; j++) {
        char item[200];
        int m = snprintf(item, sizeof item, "%s node %d '%.28s' (%s): %.60s", j ? ";" : "", c->bad[j].node,
                         c->bad[j].name, c->bad[j].op, c->bad[j].why);
        if (k + (size_t)m + 24 >= sizeof msg) break;
        memcpy(msg + k, item, (size_t)m + 1);
        k += (size_t)m;
        shown++;
    }
    if (shown < c->n_bad) snprintf(msg + k, sizeof msg - k, "; and %d more", c->n_bad - shown);
    df_err_set(c->err, DF_EINVAL, c->first->pointer, "%s", msg);
    return -1;
}

/* ---- graph and model -------------------------------------------------------------------------- */

static int push_node(ctx *c, sv b) {
    if (c->n_nodes >= DF_ONNX_MAX_NODES)
        return df_err_set(c->err, DF_ELIMIT, "/graph/node", "the graph has more than %d nodes", DF_ONNX_MAX_NODES);
    if (c->n_nodes == c->cap_nodes) {
        int32_t cap = c->cap_nodes ? c->cap_nodes * 2 : 256;
        sv *p = realloc(c->nodes, (size_t)cap * sizeof *p);
        if (!p) return nomem(c);
        c->nodes = p;
        c->cap_nodes = cap;
    }
    c->nodes[c->n_nodes++] = b;
    return 0;
}

static int push_hint(ctx *c, sv name, const shp *s) {
    if (name.n == 0) return 0;
    int32_t k = get(c, name);
    if (k < 0) return -1;
    if (c->vals[k].hint >= 0) return 0; /* the first one given wins */
    if (c->n_hints == c->cap_hints) {
        int32_t cap = c->cap_hints ? c->cap_hints * 2 : 64;
        shp *h = realloc(c->hints, (size_t)cap * sizeof *h);
        if (!h) return nomem(c);
        c->hints = h;
        c->cap_hints = cap;
    }
    c->hints[c->n_hints] = *s;
    c->vals[k].hint = c->n_hints++;
    return 0;
}

static int push_gin(ctx *c, sv name, const shp *s) {
    if (c->n_gin == c->cap_gin) {
        int32_t cap = c->cap_gin ? c->cap_gin * 2 : 64;
        sv *g = realloc(c->gin, (size_t)cap * sizeof *g);
        if (!g) return nomem(c);
        c->gin = g;
        shp *gs = realloc(c->gin_s, (size_t)cap * sizeof *gs);
        if (!gs) return nomem(c);
        c->gin_s = gs;
        c->cap_gin = cap;
    }
    c->gin[c->n_gin] = name;
    c->gin_s[c->n_gin++] = *s;
    return 0;
}

static int read_graph(ctx *c, sv b, sv *gname) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc;
    char nm[72];
    while ((rc = next(c, &r, &f, "GraphProto")) > 0) {
        switch (f.num) {
        case 1:
            if (want(c, &f, WT_LEN, "GraphProto.node") || push_node(c, f.b)) return -1;
            break;
        case 2:
            if (want_name(c, &f, "GraphProto.name")) return -1;
            *gname = f.b;
            break;
        case 5: {
            tensor t;
            if (want(c, &f, WT_LEN, "GraphProto.initializer") || read_tensor(c, f.b, &t)) return -1;
            if (t.name.n == 0) break;
            int32_t k = get(c, t.name);
            if (k < 0) return -1;
            if (c->vals[k].kind != V_UNDEF)
                return fail(c, "/graph/initializer", "initializer '%s' is defined twice", show(t.name, nm, sizeof nm));
            if (set_param(c, &c->vals[k], &t)) return -1;
            break;
        }
        case 11:
        case 12:
        case 13: {
            sv name;
            shp s;
            if (want(c, &f, WT_LEN, "GraphProto.input/output/value_info") || read_vinfo(c, f.b, &name, &s)) return -1;
            if ((f.num == 11 ? push_gin(c, name, &s) : push_hint(c, name, &s))) return -1;
            break;
        }
        default: break;
        }
    }
    if (rc) return rc;
    /* graph inputs that are not initializers: the network input or weights, decided by their use */
    for (int32_t i = 0; i < c->n_gin; i++) {
        if (c->gin[i].n == 0) continue;
        int32_t k = get(c, c->gin[i]);
        if (k < 0) return -1;
        val *v = &c->vals[k];
        if (v->kind == V_PARAM) continue;
        if (v->kind != V_UNDEF)
            return fail(c, "/graph/input", "graph input '%s' is listed twice", show(c->gin[i], nm, sizeof nm));
        v->kind = V_PEND;
        v->root = k;
        v->s = c->gin_s[i];
        if (c->gin_first < 0) c->gin_first = k;
    }
    return 0;
}

/* OperatorSetIdProto {domain 1, version 2}: 1 when it names the default domain with a version. */
static int read_opset(ctx *c, sv b, int *dflt) {
    rd r = {b.p, b.p + b.n};
    fld f;
    int rc, is_default = 1, has_version = 0;
    while ((rc = next(c, &r, &f, "OperatorSetIdProto")) > 0) {
        if (f.num == 1) {
            if (want_name(c, &f, "OperatorSetIdProto.domain")) return -1;
            is_default = f.b.n == 0 || sveq(f.b, "ai.onnx");
        } else if (f.num == 2) {
            if (want(c, &f, WT_VARINT, "OperatorSetIdProto.version")) return -1;
            has_version = (int64_t)f.v >= 1;
        }
    }
    if (rc) return rc;
    if (is_default && has_version) *dflt = 1;
    return 0;
}

/* Finds the one graph of a ModelProto, checks the wire types of the other known fields and that the
 * fields every model MUST have are there (ir_version, an opset_import of the default domain): a
 * prefix of a model cut at a field boundary is not taken for a whole one. */
static int read_model(ctx *c, const uint8_t *buf, size_t len, sv *graph) {
    rd r = {buf, buf + len};
    fld f;
    int rc, n_graph = 0, has_ir = 0, has_opset = 0;
    graph->p = buf;
    graph->n = 0;
    while ((rc = next(c, &r, &f, "ModelProto")) > 0) {
        switch (f.num) {
        case 1:
            if (want(c, &f, WT_VARINT, "ModelProto.ir_version")) return -1;
            has_ir = 1;
            break;
        case 5:
            if (want(c, &f, WT_VARINT, "ModelProto")) return -1;
            break;
        case 2:
        case 3:
        case 4:
        case 6:
        case 14:
        case 20:
        case 25:
            if (want(c, &f, WT_LEN, "ModelProto")) return -1;
            break;
        case 7:
            if (want(c, &f, WT_LEN, "ModelProto.graph")) return -1;
            *graph = f.b;
            n_graph++;
            break;
        case 8:
            if (want(c, &f, WT_LEN, "ModelProto.opset_import") || read_opset(c, f.b, &has_opset)) return -1;
            break;
        default: break;
        }
    }
    if (rc) return rc;
    if (n_graph != 1)
        return fail(c, NULL, "not an ONNX model: %s",
                    n_graph ? "more than one graph" : "no graph (ModelProto field 7)");
    if (!has_ir) return fail(c, NULL, "not an ONNX model: no ir_version (ModelProto field 1; truncated?)");
    if (!has_opset)
        return fail(c, NULL,
                    "not an ONNX model: no opset_import of the default domain (ModelProto field 8; truncated?)");
    return 0;
}

int df_onnx_sniff(const uint8_t *buf, size_t len) {
    if (!buf || len == 0 || len > DF_ONNX_MAX_BYTES) return 0;
    ctx c;
    df_err e;
    memset(&c, 0, sizeof c);
    c.base = buf;
    c.err = &e;
    c.pb = (df_pb_doc){buf, "ONNX model", &e};
    sv g;
    return read_model(&c, buf, len, &g) == 0;
}

static void ctx_free(ctx *c) {
    free(c->nodes);
    free(c->vals);
    free(c->tab);
    free(c->hints);
    free(c->pool);
    free(c->gin);
    free(c->gin_s);
    free(c->expect);
}

static int import(ctx *c, const uint8_t *buf, size_t len, const df_onnx_opts *opts) {
    if (!buf || len == 0) return fail(c, NULL, "empty input: not an ONNX model");
    if (len > DF_ONNX_MAX_BYTES)
        return df_err_set(c->err, DF_ELIMIT, NULL, "the model has %zu bytes, at most %zu", len, DF_ONNX_MAX_BYTES);
    sv graph, gname = {buf, 0};
    if (read_model(c, buf, len, &graph) || read_graph(c, graph, &gname)) return -1;
    if (c->n_nodes == 0) return fail(c, "/graph/node", "the graph has no nodes");
    if (opts && opts->name)
        snprintf(c->w->name, sizeof c->w->name, "%s", opts->name);
    else if (gname.n)
        show(gname, c->w->name, sizeof c->w->name);
    for (int32_t i = 0; i < c->n_nodes; i++)
        if (do_node(c, i)) return -1;
    if (c->n_bad) return report_bad(c);
    if (c->w->n_layers == 0)
        return fail(c, "/graph/node", "the model has no layer with a cost (Conv, Gemm, MatMul, pooling, Add, Concat)");
    if (df_workload_validate(c->w, c->max_layers, c->err)) return -1;
    for (int32_t k = 0; k < c->w->n_layers; k++) {
        const df_layer *l = &c->w->layers[k];
        const int32_t *o = c->expect + 3 * k;
        if (l->K != o[0] || l->P != o[1] || l->Q != o[2]) {
            char ptr[48];
            snprintf(ptr, sizeof ptr, "/layers/%d", k);
            return df_err_set(c->err, DF_EINVAL, ptr,
                              "layer %d (%s): the model's output is %dx%dx%d but the workload "
                              "derives %dx%dx%d",
                              k, l->name, o[0], o[1], o[2], l->K, l->P, l->Q);
        }
    }
    return 0;
}

int df_onnx_import(const uint8_t *buf, size_t len, const df_onnx_opts *opts, df_workload *out, df_err *err) {
    df_err local;
    if (!err) err = &local;
    df_err_clear(err);
    df_workload_init(out, "onnx");
    ctx *c = calloc(1, sizeof *c);
    if (!c) return df_err_set(err, DF_ENOMEM, NULL, "out of memory importing the ONNX model");
    c->base = buf;
    c->err = err;
    c->pb = (df_pb_doc){buf, "ONNX model", err};
    if (getrandom(&c->seed, sizeof c->seed, GRND_NONBLOCK) != (ssize_t)sizeof c->seed)
        c->seed = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ULL; /* no entropy yet: the (ASLR) heap address */
    c->seed ^= 1469598103934665603ULL;
    c->w = out;
    c->netin = -1;
    c->gin_first = -1;
    c->file_batch = -1;
    c->max_layers = opts && opts->max_layers > 0 ? opts->max_layers : DF_DEFAULT_MAX_LAYERS;
    int rc = import(c, buf, len, opts);
    ctx_free(c);
    free(c);
    if (rc) {
        if (err->code == DF_OK) df_err_set(err, DF_EINVAL, NULL, "invalid ONNX model");
        df_workload_free(out);
        return err->code;
    }
    return DF_OK;
}
