/* tile.c - depth-first tile geometry (see tile.h): back-propagates a tile of a fusion group's last
 * layer through the group, row intervals and column intervals separately, and counts per layer the
 * regions computed (recomputed halos included), the overlap caches and the reads of inputs produced
 * outside the group, for each overlap mode. Pure counting: no cost model, no budget. */
#include "dnnfuser/tile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const overlap_names[DF_OVERLAP_COUNT] = {"recompute", "cache_rows", "cache_all"};

const char *df_overlap_name(df_overlap o) { return (o >= 0 && o < DF_OVERLAP_COUNT) ? overlap_names[o] : "?"; }

int df_overlap_parse(const char *s, df_overlap *out) {
    int i = df_name_find(s, overlap_names, DF_OVERLAP_COUNT);
    if (i < 0) return DF_EINVAL;
    *out = (df_overlap)i;
    return DF_OK;
}

typedef struct {
    int32_t lo, hi;
} iv; /* [lo, hi); empty when lo >= hi */

static int32_t iv_len(iv v) { return v.hi > v.lo ? v.hi - v.lo : 0; }
static iv iv_hull(iv a, iv b) {
    if (iv_len(a) == 0) return b;
    if (iv_len(b) == 0) return a;
    return (iv){a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi};
}
static iv iv_clip(iv v, int32_t n) {
    if (v.lo < 0) v.lo = 0;
    if (v.hi > n) v.hi = n;
    if (v.hi < v.lo) v.hi = v.lo;
    return v;
}
static int32_t floor_div(int64_t a, int32_t b) { return (int32_t)(a >= 0 ? a / b : -((-a + b - 1) / b)); }

/* Sum of lengths, length of the union (intervals in tile order; merged as they come, sorted or not
 * by lo), largest length, largest overlap of consecutive intervals. */
typedef struct {
    int64_t sum, uni;
    int32_t max, max_overlap;
} iv_stats;
static int cmp_lo(const void *a, const void *b) {
    const iv *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}
static iv_stats stats_of(const iv *v, int32_t n, iv *scratch) {
    iv_stats s = {0, 0, 0, 0};
    int32_t m = 0, sorted = 1;
    for (int32_t i = 0; i < n; i++) {
        int32_t len = iv_len(v[i]);
        s.sum += len;
        if (len > s.max) s.max = len;
        if (i + 1 < n && iv_len(v[i + 1]) && len) {
            int32_t ov = v[i].hi - v[i + 1].lo;
            if (ov > len) ov = len;
            if (ov > s.max_overlap) s.max_overlap = ov;
        }
        if (len) {
            if (m && v[i].lo < scratch[m - 1].lo) sorted = 0;
            scratch[m++] = v[i];
        }
    }
    if (!sorted) qsort(scratch, (size_t)m, sizeof *scratch, cmp_lo); /* tiles in order are almost always sorted */
    int32_t end = INT_MIN;
    for (int32_t i = 0; i < m; i++) {
        int32_t lo = scratch[i].lo > end ? scratch[i].lo : end;
        if (scratch[i].hi > lo) s.uni += scratch[i].hi - lo;
        if (scratch[i].hi > end) end = scratch[i].hi;
    }
    return s;
}

/* Makes the intervals x[0..n) (in tile order) cover [0, ext): the first starts at 0, the last ends at
 * ext, a gap between two goes to the earlier one; when none is needed, tile t takes an even share. So
 * each layer computes all of its output over the tiles, as layer-by-layer does, and a whole-tensor
 * tile is exactly the plain fusion of the rest of the cost model. */
static void fill_cover(iv *x, int32_t n, int32_t ext) {
    int any = 0;
    for (int32_t t = 0; t < n; t++) any |= iv_len(x[t]) > 0;
    if (!any) {
        for (int32_t t = 0; t < n; t++)
            x[t] = (iv){(int32_t)((int64_t)t * ext / n), (int32_t)((int64_t)(t + 1) * ext / n)};
        return;
    }
    int32_t end = 0; /* covered so far: [0, end) */
    for (int32_t t = 0; t < n; t++) {
        if (iv_len(x[t]) == 0) {
            x[t] = (iv){end, end};
            continue;
        }
        if (x[t].lo > end) {
            /* a gap before this tile: the previous non-empty tile takes it, or this one if first */
            int32_t k = t - 1;
            while (k >= 0 && iv_len(x[k]) == 0) k--;
            if (k >= 0)
                x[k].hi = x[t].lo;
            else
                x[t].lo = 0;
        }
        if (x[t].hi > end) end = x[t].hi;
    }
    for (int32_t t = n - 1; t >= 0; t--)
        if (iv_len(x[t])) {
            if (x[t].hi < ext) x[t].hi = ext;
            break;
        }
}

/* How consumer l reads input j, along one axis (rows: axis 0, columns: axis 1). */
typedef enum { MAP_WINDOW, MAP_DECONV, MAP_RESIZE, MAP_SAME, MAP_WHOLE } map_kind;

static map_kind map_of(const df_layer *l, int32_t j, const df_layer *prod) {
    switch (l->type) {
    case DF_LAYER_CONV:
    case DF_LAYER_DWCONV:
    case DF_LAYER_POOL: return MAP_WINDOW;
    case DF_LAYER_DECONV: return MAP_DECONV;
    case DF_LAYER_RESIZE: return MAP_RESIZE;
    case DF_LAYER_MATMUL:
        if (j > 0) return MAP_WHOLE; /* the other activation operand (keys, values) is read whole */
        break;
    case DF_LAYER_NORM: {
        df_layer_op op = df_layer_op_of(l);
        if (op == DF_OP_GROUPNORM || op == DF_OP_INSTANCENORM) return MAP_WHOLE; /* statistics over the plane */
        break;
    }
    case DF_LAYER_FC:
    case DF_LAYER_LAYOUT: return MAP_WHOLE;
    default: break;
    }
    /* position-wise: the operand must have the consumer's plane (or be a broadcast 1 x 1) */
    (void)prod;
    return MAP_SAME;
}

/* The region of input j (a tensor of n_in rows/cols) that outputs [a, b) of l need, along `axis`. */
/* How outputs [a, b) of l map to input j along one axis, with the layer's constants taken once. */
typedef struct {
    map_kind kind;
    int32_t stride, k, pad, m, n_in, n_out;
} axis_map;

static axis_map axis_map_of(const df_layer *l, int32_t j, const df_layer *prod, int axis, int32_t n_in, int32_t n_out) {
    int32_t pads[4];
    df_layer_pads(l, pads);
    axis_map a = {map_of(l, j, prod),
                  axis ? df_layer_stride_x(l) : l->stride,
                  axis ? l->S : l->R,
                  axis ? pads[2] : pads[0],
                  0,
                  n_in,
                  n_out};
    if (a.stride < 1) a.stride = 1;
    if (a.kind == MAP_RESIZE) {
        df_layer_op op = df_layer_op_of(l);
        a.m = op == DF_OP_CUBIC ? 2 : op == DF_OP_LINEAR ? 1 : 0;
    }
    return a;
}

static iv map_apply(const axis_map *a, iv out, int *whole) {
    if (iv_len(out) == 0) return (iv){0, 0};
    int32_t stride = a->stride, k = a->k, pad = a->pad, n_in = a->n_in, n_out = a->n_out;
    iv r;
    switch (a->kind) {
    case MAP_WINDOW:
        r = (iv){(int32_t)((int64_t)out.lo * stride - pad), (int32_t)((int64_t)(out.hi - 1) * stride - pad + k)};
        return iv_clip(r, n_in);
    case MAP_DECONV:
        /* output o = i*stride - pad + t, 0 <= t < k: i in [ceil((a + pad - k + 1)/s), floor((b - 1 + pad)/s)] */
        r.lo = -floor_div(-((int64_t)out.lo + pad - k + 1), stride);
        r.hi = floor_div((int64_t)out.hi - 1 + pad, stride) + 1;
        return iv_clip(r, n_in);
    case MAP_RESIZE:
        r.lo = (int32_t)((int64_t)out.lo * n_in / n_out) - a->m;
        r.hi = (int32_t)(((int64_t)out.hi * n_in + n_out - 1) / n_out) + a->m;
        return iv_clip(r, n_in);
    case MAP_SAME:
        if (n_in == n_out) return out;
        if (n_in == 1) return (iv){0, 1}; /* a broadcast operand (squeeze-excite gate) */
        break;                            /* a plane that does not line up: read it whole */
    case MAP_WHOLE: break;
    }
    *whole = 1;
    return (iv){0, n_in};
}

/* The region of input j (a tensor of n_in rows/cols) that outputs [a, b) of l need, along `axis`. */
static iv map_interval(const df_layer *l, int32_t j, const df_layer *prod, int axis, iv out, int32_t n_in,
                       int32_t n_out, int *whole) {
    axis_map a = axis_map_of(l, j, prod, axis, n_in, n_out);
    return map_apply(&a, out, whole);
}

/* Input plane of l's operand j: the producer's output plane, or l's own input plane for the network
 * input. */
static void in_plane(const df_workload *w, const df_layer *l, int32_t j, int32_t *rows, int32_t *cols, int64_t *ch) {
    int32_t p = l->inputs[j];
    if (p >= 0) {
        *rows = w->layers[p].P;
        *cols = w->layers[p].Q;
        *ch = w->layers[p].K;
    } else {
        *rows = l->Y;
        *cols = l->X;
        *ch = l->C;
    }
}

void df_tile_plan_free(df_tile_plan *plan) {
    if (!plan) return;
    free(plan->layer);
    free(plan->input);
    plan->layer = NULL;
    plan->input = NULL;
    plan->n_layers = plan->n_inputs = 0;
}

/* Sum of elements read, largest region and overlap cache of one tensor (rows r, columns c of
 * channels ch) under mode: every tile reads its whole region (recompute), the left overlap is kept
 * (cache_rows), or both overlaps are (cache_all). */
static void region_counts(df_overlap mode, iv_stats rs, iv_stats cs, int64_t ch, int64_t *read, int64_t *cache) {
    switch (mode) {
    case DF_OVERLAP_RECOMPUTE:
        *read = rs.sum * cs.sum * ch;
        *cache = 0;
        break;
    case DF_OVERLAP_CACHE_ROWS:
        *read = rs.sum * cs.uni * ch;
        *cache = (int64_t)rs.max * cs.max_overlap * ch;
        break;
    default:
        *read = rs.uni * cs.uni * ch;
        *cache = ((int64_t)rs.max * cs.max_overlap + (int64_t)rs.max_overlap * cs.uni) * ch;
        break;
    }
}

/* ---- every group ending at one layer ------------------------------------------------------------
 * A layer's regions depend only on its consumers between it and the group's last layer (fill_cover
 * makes every output whole), never on where the group starts. So one backward pass over layers
 * last..0 gives the regions of every layer for all groups [first, last] at once; only the tensors
 * read from outside depend on first: the hull of what their consumers in [first, last] need, kept per
 * (consumer, input) here. Rows and columns are independent, so each axis has its own pass, shared by
 * every tile with that many rows (or columns) and every mode (df_tile_axes). df_tile_plan_group is
 * all this with one first. */

typedef struct {
    int32_t size, n_t; /* tile rows (or columns) of the last layer; tiles along the axis */
    iv *v;             /* [(last + 1) x n_t] each layer's intervals */
    iv_stats *st;      /* [last + 1] */
    iv *need;          /* [slots x n_t] what layer c needs of its input j */
    uint8_t *whole;    /* [last + 1] some input read whole */
} axis_pass;

#define AXES_CAP 16

struct df_tile_axes {
    const df_workload *w;
    int32_t first, last, slots; /* the groups [f, last] with first <= f (df_tile_axes_new_range) */
    int32_t *slot0;             /* [last - first + 2]: first input slot of each layer first.. (relative) */
    int32_t *cross0, *cross;    /* CSR: for each f in [first, last], the input slots (c, j) with producer <
                                 * f <= c, in slot order: the outside reads of group [f, last] */
    int32_t *cross_c;           /* their consumers c */
    axis_pass pass[2][AXES_CAP];
    int32_t n[2];
};

static void axis_free(axis_pass *a) {
    free(a->v);
    free(a->st);
    free(a->need);
    free(a->whole);
}

void df_tile_axes_free(df_tile_axes *x) {
    if (!x) return;
    for (int a = 0; a < 2; a++)
        for (int32_t k = 0; k < x->n[a]; k++) axis_free(&x->pass[a][k]);
    free(x->slot0);
    free(x->cross0);
    free(x->cross);
    free(x->cross_c);
    free(x);
}

int df_tile_axes_new(const df_workload *w, int32_t last, df_tile_axes **out) {
    return df_tile_axes_new_range(w, 0, last, out);
}

/* Layers before `first` take no part in a group [f, last] with f >= first: a layer's regions come from
 * its consumers (later layers) only, so the backward pass stops at first and the layers it covers get
 * the regions the pass over [0, last] gives them, bit for bit. Arrays are indexed from first. */
int df_tile_axes_new_range(const df_workload *w, int32_t first, int32_t last, df_tile_axes **out) {
    *out = NULL;
    if (!w || first < 0 || last < first || last >= w->n_layers) return DF_EINVAL;
    int32_t n = last - first + 1;
    df_tile_axes *x = calloc(1, sizeof *x);
    if (!x || !(x->slot0 = calloc((size_t)n + 1, sizeof *x->slot0))) {
        free(x);
        return DF_ENOMEM;
    }
    x->w = w;
    x->first = first;
    x->last = last;
    for (int32_t k = 0; k < n; k++) x->slot0[k + 1] = x->slot0[k] + w->layers[first + k].n_inputs;
    x->slots = x->slot0[n];
    /* slot (c, j) reading producer p is an outside read of every group starting in (p, c] */
    int64_t total = 0;
    for (int32_t c = first; c <= last; c++)
        for (int32_t j = 0; j < w->layers[c].n_inputs; j++) {
            int32_t p = w->layers[c].inputs[j], f0 = p + 1 > first ? p + 1 : first;
            total += c - f0 + 1 > 0 ? c - f0 + 1 : 0;
        }
    x->cross0 = calloc((size_t)n + 1, sizeof *x->cross0);
    x->cross = malloc(sizeof *x->cross * (size_t)(total ? total : 1));
    x->cross_c = malloc(sizeof *x->cross_c * (size_t)(total ? total : 1));
    if (!x->cross0 || !x->cross || !x->cross_c) {
        df_tile_axes_free(x);
        return DF_ENOMEM;
    }
    for (int32_t c = first; c <= last; c++)
        for (int32_t j = 0; j < w->layers[c].n_inputs; j++) {
            int32_t p = w->layers[c].inputs[j];
            for (int32_t f = p + 1 > first ? p + 1 : first; f <= c; f++) x->cross0[f - first + 1]++;
        }
    for (int32_t k = 0; k < n; k++) x->cross0[k + 1] += x->cross0[k];
    int32_t *fill = calloc((size_t)n, sizeof *fill);
    if (!fill) {
        df_tile_axes_free(x);
        return DF_ENOMEM;
    }
    for (int32_t c = first; c <= last; c++) /* c, then j ascending: each list comes out in slot order */
        for (int32_t j = 0; j < w->layers[c].n_inputs; j++) {
            int32_t p = w->layers[c].inputs[j];
            for (int32_t f = p + 1 > first ? p + 1 : first; f <= c; f++) {
                int32_t k = f - first;
                x->cross_c[x->cross0[k] + fill[k]] = c;
                x->cross[x->cross0[k] + fill[k]++] = x->slot0[c - first] + j;
            }
        }
    free(fill);
    *out = x;
    return DF_OK;
}

/* The pass of one axis for a tile of `size` rows (axis 0) or columns (axis 1) of the last layer. */
static const axis_pass *axes_get(df_tile_axes *x, int axis, int32_t size) {
    const df_workload *w = x->w;
    const df_layer *L = &w->layers[x->last];
    int32_t ext = axis ? L->Q : L->P;
    if (size > ext) size = ext;
    for (int32_t k = 0; k < x->n[axis]; k++)
        if (x->pass[axis][k].size == size) return &x->pass[axis][k];
    if (x->n[axis] == AXES_CAP) return NULL;
    axis_pass *a = &x->pass[axis][x->n[axis]];
    memset(a, 0, sizeof *a);
    int32_t n_t = (ext + size - 1) / size, f0 = x->first, n = x->last - f0 + 1;
    a->size = size;
    a->n_t = n_t;
    a->v = malloc(sizeof *a->v * (size_t)n * n_t);
    a->st = malloc(sizeof *a->st * (size_t)n);
    a->need = malloc(sizeof *a->need * (size_t)(x->slots ? x->slots : 1) * n_t);
    a->whole = calloc((size_t)n, 1);
    iv *scratch = malloc(sizeof *scratch * (size_t)n_t);
    if (!a->v || !a->st || !a->need || !a->whole || !scratch) {
        free(scratch);
        axis_free(a);
        return NULL;
    }
    for (size_t i = 0; i < (size_t)n * n_t; i++) a->v[i] = (iv){0, 0};
    for (int32_t t = 0; t < n_t; t++)
        a->v[(size_t)(n - 1) * n_t + t] = (iv){t * size, t * size + size > ext ? ext : t * size + size};
    for (int32_t li = x->last; li >= f0; li--) {
        const df_layer *l = &w->layers[li];
        iv *r = a->v + (size_t)(li - f0) * n_t;
        /* every output is produced whole across the tiles (fill_cover): what its consumers in the
         * group need, the rest given to the nearest tile; no consumer in the group: an even share */
        fill_cover(r, n_t, axis ? l->Q : l->P);
        a->st[li - f0] = stats_of(r, n_t, scratch);
        /* its inputs: what it needs of each, hulled into the producer's regions */
        for (int32_t j = 0; j < l->n_inputs; j++) {
            int32_t p = l->inputs[j];
            const df_layer *prod = p >= 0 ? &w->layers[p] : NULL;
            int32_t in_r, in_c;
            int64_t ch;
            in_plane(w, l, j, &in_r, &in_c, &ch);
            int whole = 0;
            iv *nd = a->need + (size_t)(x->slot0[li - f0] + j) * n_t;
            axis_map am = axis_map_of(l, j, prod, axis, axis ? in_c : in_r, axis ? l->Q : l->P);
            for (int32_t t = 0; t < n_t; t++) nd[t] = map_apply(&am, r[t], &whole);
            if (whole) a->whole[li - f0] = 1;
            if (p < f0) continue; /* outside the layers any group of these axes holds */
            iv *pr = a->v + (size_t)(p - f0) * n_t;
            for (int32_t t = 0; t < n_t; t++) pr[t] = iv_hull(pr[t], nd[t]);
        }
    }
    free(scratch);
    x->n[axis]++;
    return a;
}

struct df_tile_suffix {
    const df_workload *w;
    df_tile_axes *axes, *own; /* own: made by df_tile_suffix_plan for itself */
    const axis_pass *ra, *ca;
    int32_t first, last; /* the axes' layers */
    df_overlap mode;
    df_tile_layer *layer;              /* [last - first + 1], from first */
    iv *ext;                           /* [slots x (rows + cols tiles)]: hulls of the outside inputs of one first */
    iv *scratch;                       /* [max tiles] */
    df_tile_input *in;                 /* [slots] */
    df_tile_input *memo;               /* [slots]: an outside input first read through this slot (its consumers are
                             * then the same whatever first is), once computed */
    uint8_t *memo_ok;                  /* [slots] */
    int32_t cap_n, cap_slots, cap_per; /* what the arrays hold (df_tile_suffix_plan_reuse) */
    /* the mode-independent regions of each outside input (keyed as memo): an input's hulls depend on
     * the workload, the axes' layers and the tile's rows and columns only, so a plan of another overlap
     * mode with the same ones (df_tile_suffix_plan_reuse) keeps them and redoes region_counts alone */
    iv_stats *srs, *scs; /* [slots] */
    uint8_t *stat_ok;    /* [slots] */
    int32_t stat_rows, stat_cols;
};

void df_tile_suffix_free(df_tile_suffix *s) {
    if (!s) return;
    df_tile_axes_free(s->own);
    free(s->layer);
    free(s->ext);
    free(s->scratch);
    free(s->in);
    free(s->memo);
    free(s->memo_ok);
    free(s->srs);
    free(s->scs);
    free(s->stat_ok);
    free(s);
}

int df_tile_suffix_plan_in(df_tile_axes *axes, int32_t rows, int32_t cols, df_overlap mode, df_tile_suffix **out,
                           df_err *err) {
    *out = NULL;
    return df_tile_suffix_plan_reuse(axes, rows, cols, mode, out, err);
}

int df_tile_suffix_plan_reuse(df_tile_axes *axes, int32_t rows, int32_t cols, df_overlap mode, df_tile_suffix **io,
                              df_err *err) {
    if (!axes || rows < 1 || cols < 1 || mode < 0 || mode >= DF_OVERLAP_COUNT) {
        df_tile_suffix_free(*io);
        *io = NULL;
        return df_err_set(err, DF_EINVAL, NULL, "tile plan: bad arguments (tile %dx%d)", rows, cols);
    }
    const df_workload *w = axes->w;
    int32_t first = axes->first, last = axes->last, n = last - first + 1, slots = axes->slots;
    const axis_pass *ra = axes_get(axes, 0, rows), *ca = axes_get(axes, 1, cols);
    int32_t per = ra && ca ? ra->n_t + ca->n_t : 1, sl1 = slots ? slots : 1;
    df_tile_suffix *s = *io;
    if (s && (s->own || s->cap_n < n || s->cap_slots < sl1 || s->cap_per < per)) { /* too small: anew */
        df_tile_suffix_free(s);
        s = *io = NULL;
    }
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) return df_err_set(err, DF_ENOMEM, NULL, "tile plan: out of memory");
        s->layer = malloc(sizeof *s->layer * (size_t)n); /* every field of every layer written below */
        s->ext = malloc(sizeof *s->ext * (size_t)sl1 * per);
        s->scratch = malloc(sizeof *s->scratch * (size_t)per);
        s->in = malloc(sizeof *s->in * (size_t)sl1); /* entries set when listed */
        s->memo = malloc(sizeof *s->memo * (size_t)sl1);
        s->memo_ok = malloc((size_t)sl1);
        s->srs = malloc(sizeof *s->srs * (size_t)sl1);
        s->scs = malloc(sizeof *s->scs * (size_t)sl1);
        s->stat_ok = calloc((size_t)sl1, 1);
        s->stat_rows = s->stat_cols = -1;
        s->cap_n = n;
        s->cap_slots = sl1;
        s->cap_per = per;
    }
    /* the same workload, layers and tile (the passes of that size: the same regions): the inputs'
     * regions are kept */
    int same = s->w == w && s->first == first && s->last == last && ra && ca && s->stat_rows == ra->size &&
               s->stat_cols == ca->size;
    s->w = w;
    s->axes = axes;
    s->first = first;
    s->last = last;
    s->mode = mode;
    s->ra = ra;
    s->ca = ca;
    if (!s->ra || !s->ca || !s->layer || !s->ext || !s->scratch || !s->in || !s->memo || !s->memo_ok || !s->srs ||
        !s->scs || !s->stat_ok) {
        df_tile_suffix_free(s);
        *io = NULL;
        return df_err_set(err, DF_ENOMEM, NULL, "tile plan: out of memory (%d layers x %d tiles)", n, per);
    }
    memset(s->memo_ok, 0, (size_t)sl1);
    if (!same) memset(s->stat_ok, 0, (size_t)sl1);
    s->stat_rows = ra->size;
    s->stat_cols = ca->size;
    for (int32_t li = first; li <= last; li++) {
        const df_layer *l = &w->layers[li];
        df_tile_layer *tl = &s->layer[li - first];
        iv_stats rs = s->ra->st[li - first], cs = s->ca->st[li - first];
        int64_t K = l->K, read;
        tl->max_rows = rs.max;
        tl->max_cols = cs.max;
        tl->max_out_elems = (int64_t)rs.max * cs.max * K;
        tl->out_elems = (int64_t)l->P * l->Q * K;
        region_counts(mode, rs, cs, K, &read, &tl->cache_elems);
        tl->computed_elems = read;
        tl->reused_elems = rs.sum * cs.sum * K - read;
        tl->whole_input = s->ra->whole[li - first] | s->ca->whole[li - first];
    }
    *io = s;
    return DF_OK;
}

/* A plan owning its axes, made over the groups [f, last] with f >= first (df_tile_axes_new_range);
 * arguments already checked. */
static int suffix_plan_owned(const df_workload *w, int32_t first, int32_t last, int32_t rows, int32_t cols,
                             df_overlap mode, df_tile_suffix **out, df_err *err) {
    df_tile_axes *ax;
    if (df_tile_axes_new_range(w, first, last, &ax))
        return df_err_set(err, DF_ENOMEM, NULL, "tile plan: out of memory");
    int rc = df_tile_suffix_plan_in(ax, rows, cols, mode, out, err);
    if (rc) {
        df_tile_axes_free(ax);
        return rc;
    }
    (*out)->own = ax;
    return DF_OK;
}

int df_tile_suffix_plan(const df_workload *w, int32_t last, int32_t rows, int32_t cols, df_overlap mode,
                        df_tile_suffix **out, df_err *err) {
    *out = NULL;
    if (!w || last < 0 || last >= w->n_layers || rows < 1 || cols < 1 || mode < 0 || mode >= DF_OVERLAP_COUNT)
        return df_err_set(err, DF_EINVAL, NULL, "tile plan: bad arguments (group ..%d, tile %dx%d)", last, rows, cols);
    return suffix_plan_owned(w, 0, last, rows, cols, mode, out, err);
}

const df_tile_layer *df_tile_suffix_layer(const df_tile_suffix *s, int32_t layer) {
    return layer >= s->first && layer <= s->last ? &s->layer[layer - s->first] : NULL;
}

void df_tile_suffix_shape(const df_tile_suffix *s, int32_t *tiles_y, int32_t *tiles_x) {
    *tiles_y = s->ra->n_t;
    *tiles_x = s->ca->n_t;
}

int32_t df_tile_suffix_inputs(df_tile_suffix *s, int32_t first, const df_tile_input **inputs) {
    const df_workload *w = s->w;
    const int32_t *slot0 = s->axes->slot0;
    int32_t ty_n = s->ra->n_t, tx_n = s->ca->n_t, per = ty_n + tx_n, n_ext = 0;
    df_tile_input *in = s->in;
    int32_t key[DF_MAX_INPUTS * 64], *keys = key; /* the slot each outside input is first read through */
    const int32_t f0 = s->first;
    if (first < f0) first = f0;
    if (first > s->last) first = s->last;
    int32_t cap = slot0[s->last - f0 + 1] - slot0[first - f0];
    if (cap > (int32_t)(sizeof key / sizeof *key) && !(keys = malloc(sizeof *keys * (size_t)cap))) {
        *inputs = in;
        return -1;
    }
    const df_tile_axes *ax = s->axes;
    for (int32_t x0 = ax->cross0[first - f0]; x0 < ax->cross0[first - f0 + 1]; x0++) {
        int32_t sl = ax->cross[x0], i = ax->cross_c[x0], j = sl - slot0[i - f0]; /* slot sl of consumer i */
        {
            int32_t p = w->layers[i].inputs[j], e = -1;
            for (int32_t q = 0; q < n_ext; q++)
                if (in[q].producer == p) e = q;
            if (e < 0) {
                e = n_ext++;
                keys[e] = slot0[i - f0] + j;
                if (s->memo_ok[keys[e]]) {
                    in[e] = s->memo[keys[e]];
                    continue;
                }
                memset(&in[e], 0, sizeof in[e]);
                in[e].producer = p;
                in[e].first_use = i;
                in[e].elems = p >= 0 ? df_layer_out_elems(&w->layers[p])
                                     : (int64_t)w->layers[i].C * w->layers[i].Y * w->layers[i].X;
                if (!s->stat_ok[keys[e]])
                    for (int32_t t = 0; t < per; t++) s->ext[(size_t)e * per + t] = (iv){0, 0};
            } else if (s->memo_ok[keys[e]]) {
                continue;
            }
            in[e].last_use = i;
            if (s->stat_ok[keys[e]]) continue; /* its regions known (another mode) */
            const iv *nr = s->ra->need + (size_t)(slot0[i - f0] + j) * ty_n,
                     *nc = s->ca->need + (size_t)(slot0[i - f0] + j) * tx_n;
            iv *x = s->ext + (size_t)e * per;
            for (int32_t t = 0; t < ty_n; t++) x[t] = iv_hull(x[t], nr[t]);
            for (int32_t t = 0; t < tx_n; t++) x[ty_n + t] = iv_hull(x[ty_n + t], nc[t]);
        }
    }
    for (int32_t e = 0; e < n_ext; e++) {
        if (s->memo_ok[keys[e]]) continue;
        df_tile_input *x = &in[e];
        iv *er = s->ext + (size_t)e * per, *ec = er + ty_n;
        int32_t pr = x->producer >= 0 ? w->layers[x->producer].P : w->layers[x->first_use].Y;
        int32_t pc = x->producer >= 0 ? w->layers[x->producer].Q : w->layers[x->first_use].X;
        /* read whole over the tiles, like the plain group does (a strided reader's skipped rows too) */
        iv_stats rs, cs;
        if (s->stat_ok[keys[e]]) {
            rs = s->srs[keys[e]];
            cs = s->scs[keys[e]];
        } else {
            fill_cover(er, ty_n, pr);
            fill_cover(ec, tx_n, pc);
            rs = s->srs[keys[e]] = stats_of(er, ty_n, s->scratch);
            cs = s->scs[keys[e]] = stats_of(ec, tx_n, s->scratch);
            s->stat_ok[keys[e]] = 1;
        }
        int64_t plane = (int64_t)pr * pc;
        int64_t ch = plane > 0 ? x->elems / plane : 1;
        x->max_elems = (int64_t)rs.max * cs.max * ch;
        x->max_rows = rs.max;
        x->max_cols = cs.max;
        region_counts(s->mode, rs, cs, ch, &x->read_elems, &x->cache_elems);
        x->reused_elems = rs.sum * cs.sum * ch - x->read_elems;
        s->memo[keys[e]] = *x;
        s->memo_ok[keys[e]] = 1;
    }
    if (keys != key) free(keys);
    *inputs = in;
    return n_ext;
}

int df_tile_plan_group(const df_workload *w, int32_t first, int32_t last, int32_t rows, int32_t cols, df_overlap mode,
                       df_tile_plan *plan, df_err *err) {
    if (!plan) return df_err_set(err, DF_EINVAL, NULL, "tile plan: no plan");
    memset(plan, 0, sizeof *plan);
    if (!w || first < 0 || last < first || last >= w->n_layers || rows < 1 || cols < 1 || mode < 0 ||
        mode >= DF_OVERLAP_COUNT)
        return df_err_set(err, DF_EINVAL, NULL, "tile plan: bad arguments (group %d..%d, tile %dx%d)", first, last,
                          rows, cols);
    df_tile_suffix *s;
    int rc = suffix_plan_owned(w, first, last, rows, cols, mode, &s, err); /* the pass over [first, last] only */
    if (rc) return rc;
    const df_tile_input *in;
    int32_t n = last - first + 1, n_ext = df_tile_suffix_inputs(s, first, &in);
    if (n_ext < 0) {
        df_tile_suffix_free(s);
        return df_err_set(err, DF_ENOMEM, NULL, "tile plan: out of memory (%d layers)", n);
    }
    plan->layer = malloc(sizeof *plan->layer * (size_t)n);
    plan->input = malloc(sizeof *plan->input * (size_t)(n_ext ? n_ext : 1));
    if (!plan->layer || !plan->input) {
        df_tile_suffix_free(s);
        df_tile_plan_free(plan);
        return df_err_set(err, DF_ENOMEM, NULL, "tile plan: out of memory (%d layers)", n);
    }
    const df_layer *L = &w->layers[last];
    plan->rows = rows > L->P ? L->P : rows;
    plan->cols = cols > L->Q ? L->Q : cols;
    df_tile_suffix_shape(s, &plan->tiles_y, &plan->tiles_x);
    plan->n_layers = n;
    plan->n_inputs = n_ext;
    memcpy(plan->layer, s->layer + (first - s->first), sizeof *plan->layer * (size_t)n);
    memcpy(plan->input, in, sizeof *plan->input * (size_t)n_ext);
    df_tile_suffix_free(s);
    return DF_OK;
}

static int cmp_desc(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x < y) - (x > y);
}

int32_t df_tile_candidates(int32_t n, int32_t *out, int32_t max_out) {
    if (n < 1 || max_out < 1 || !out) return 0;
    /* every divisor and power of two of n (at most 2*sqrt(n) + 31 values), largest first */
    int32_t cap = 64;
    int32_t all[64], m = 0;
    for (int64_t d = 1; d * d <= n && m < cap - 2; d++)
        if (n % d == 0) {
            all[m++] = (int32_t)d;
            if (d * d != n) all[m++] = (int32_t)(n / d);
        }
    for (int64_t p = 1; p < n && m < cap; p *= 2) all[m++] = (int32_t)p;
    qsort(all, (size_t)m, sizeof *all, cmp_desc);
    int32_t u = 0;
    for (int32_t i = 0; i < m; i++)
        if (u == 0 || all[i] != all[u - 1]) all[u++] = all[i];
    if (u <= max_out) {
        memcpy(out, all, sizeof *out * (size_t)u);
        return u;
    }
    /* keep max_out spread over the sorted list, always n and the smallest */
    for (int32_t i = 0; i < max_out; i++) out[i] = all[max_out > 1 ? (int64_t)i * (u - 1) / (max_out - 1) : 0];
    return max_out;
}

int32_t df_tile_in_extent(const df_layer *l, int axis, int32_t out_len) {
    int32_t n_out = axis ? l->Q : l->P, n_in = axis ? l->X : l->Y;
    if (out_len > n_out) out_len = n_out;
    if (out_len < 1) out_len = 1;
    /* an interior tile: centred in the output, so borders clip it only when it spans them */
    int32_t a = (n_out - out_len) / 2;
    int whole = 0;
    iv r = map_interval(l, 0, NULL, axis, (iv){a, a + out_len}, n_in, n_out, &whole);
    return whole ? n_in : iv_len(r) > 0 ? iv_len(r) : 1;
}

int32_t df_tile_options(const df_workload *w, int32_t last, df_tile_option *out) {
    if (last < 0 || last >= w->n_layers) return 0;
    const df_layer *l = &w->layers[last];
    int32_t rc[DF_TILE_ROW_CANDIDATES], cc[DF_TILE_COL_CANDIDATES], n = 0;
    int32_t nr = df_tile_candidates(l->P, rc, DF_TILE_ROW_CANDIDATES),
            nc = df_tile_candidates(l->Q, cc, DF_TILE_COL_CANDIDATES);
    for (int32_t a = 0; a < nr; a++)
        for (int32_t b = 0; b < nc; b++) {
            int full_h = rc[a] >= l->P, full_w = cc[b] >= l->Q;
            if (full_h && full_w) continue; /* the whole tensor: the batch-only form */
            for (int32_t o = 0; o < DF_OVERLAP_COUNT; o++) {
                /* one column of tiles: no left neighbour, cache_rows keeps nothing (region_counts) */
                if (full_w && o == DF_OVERLAP_CACHE_ROWS) continue;
                /* one row of tiles: no row above, cache_all keeps what cache_rows keeps */
                if (full_h && o == DF_OVERLAP_CACHE_ALL) continue;
                out[n++] = (df_tile_option){rc[a], cc[b], o};
            }
        }
    return n;
}
