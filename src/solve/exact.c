/* exact.c - optimal mappings by dynamic programming over contiguous fusion groups and micro-batch
 * sizes (DESIGN.md §2: the cost is separable over groups), and the layer-by-layer baseline (the same
 * program with groups of one layer).
 *
 * Scalar objectives (latency, energy, dram): best[j] = min over i <= j, m of best[i] + cost(i..j, m),
 * ordered lexicographically by (objective, tie-break metric) so answers are deterministic.
 * EDP = energy x latency is not separable, so for it the program keeps, per prefix, the Pareto front
 * of (latency, energy) pairs, and picks the minimum product at the end; every prefix of an optimal
 * schedule is Pareto-optimal, so this is exact unless a front exceeds FRONT_CAP (then it is thinned
 * and stats->exact = 0).
 *
 * Micro-batch candidates are ceil(N/k), k = 1..N: for a fixed group and number of micro-batches, the
 * per-layer step max(compute, DRAM, NoC) is convex in the micro-batch size and the footprint grows
 * with it, so the balanced split (the smallest m with that count) is never worse. The brute-force
 * test in tests/unit/check_exact.c enumerates every m to confirm it. Footprints grow with m and with
 * the group's end, so both loops stop at the first infeasible size. An error from the group scoring
 * (out of memory) ends the search with that error: it is never read as "infeasible".
 *
 * Depth-first space (df_solve_exact_in with DF_SPACE_DEPTH_FIRST, issue 14): each group [i, j] is
 * also scored with every tile option of df_tile_options (tile x overlap mode) at every micro-batch
 * candidate; the cells remember the whole group form. The program runs in pull order (for each end j,
 * every start i, whose prefix is then final), so all groups ending at j with one tile option are one
 * df_tiled_row: a layer's tile regions do not depend on where its group starts. What cuts the search
 * is proven from the model's formulas (cost.c), never assumed: (1) for one form the footprint grows
 * with m (m x activations plus weights, resident or streamed), so the micro-batch loop stops at the
 * first misfit; (2) a whole-tensor group that does not fit does not fit extended either, so whole
 * forms of a start stop at the first misfit end; (3) a tiled group is skipped when its prefix's value
 * plus a lower bound of every form of it (df_tiled_row_bound) is above the incumbent of j + 1, the
 * bound shaded by 1e-9 so that a form that improves or ties is never skipped (the answer, ties
 * included, is the one without the test). Tiled groups are never cut by length (a longer group with
 * a smaller tile can fit where a shorter one does not); the balanced-split argument holds for tiled
 * steps too (max of convex steps). check_exact.c compares with brute force over every m, tile option
 * and mode; check_tiled.c checks the row path against df_group_eval_tiled bit for bit. */
#include "dnnfuser/solve.h"

#include <stdlib.h>
#include <string.h>

#define FRONT_CAP 4096

static const char *const solver_names[DF_SOLVER_COUNT] = {"exact", "ga", "lbl", "transformer"};
static const char *const space_names[DF_SPACE_COUNT] = {"batch", "depth_first"};

const char *df_space_name(df_space s) { return (s >= 0 && s < DF_SPACE_COUNT) ? space_names[s] : "?"; }

int df_space_parse(const char *s, df_space *out) {
    int i = df_name_find(s, space_names, DF_SPACE_COUNT);
    if (i < 0) return DF_EINVAL;
    *out = (df_space)i;
    return DF_OK;
}

const char *df_solver_name(df_solver s) { return (s >= 0 && s < DF_SOLVER_COUNT) ? solver_names[s] : "?"; }

int df_solver_parse(const char *s, df_solver *out) {
    int i = df_name_find(s, solver_names, DF_SOLVER_COUNT);
    if (i < 0) return DF_EINVAL;
    *out = (df_solver)i;
    return DF_OK;
}

static void group_values(df_objective obj, const df_group_cost *g, double *primary, double *secondary) {
    switch (obj) {
    case DF_OBJ_ENERGY:
        *primary = g->energy_pj;
        *secondary = g->latency_cycles;
        break;
    case DF_OBJ_DRAM:
        *primary = g->dram_bytes;
        *secondary = g->latency_cycles;
        break;
    default:
        *primary = g->latency_cycles;
        *secondary = g->energy_pj;
        break;
    }
}

typedef struct {
    double p, s;
    int32_t from;
    df_group g;
} cell;

/* Sets out to n placeholder groups (filled back to front by the caller). */
static int reserve_groups(df_mapping *out, int32_t n) {
    out->n_groups = 0;
    for (int32_t k = 0; k < n; k++)
        if (df_mapping_push(out, 0, 0, 1)) return DF_ENOMEM;
    return DF_OK;
}

/* One scored form of a group: its layers, micro-batch, tile and mode, and its cost. */
typedef struct {
    df_group g;
    df_group_cost c;
} form;

/* The DP visits, for each group end j in order, every feasible form of every group [i, j] whose
 * prefix i is reachable: whole forms (i ascending, micro-batches ascending), then in the depth-first
 * space each tile option (in df_tile_options order), i ascending, micro-batches ascending. A prefix
 * is final when visited (pull order), so the scalar DP and the Pareto fronts read settled values. */
typedef int (*form_fn)(void *dp, int32_t i, int32_t j, const form *f);
typedef int (*reach_fn)(void *dp, int32_t i);
/* 1 when no form of row r's group [i, j] can improve the DP (nullable: never) */
typedef int (*hopeless_fn)(void *dp, int32_t i, int32_t j, const df_tiled_row *r);

typedef struct {
    const df_net *net;
    df_space space;
    int32_t maxlen, nm;
    int32_t *mb;         /* [N] candidates ascending */
    uint8_t *whole_dead; /* [L]: no whole form [i, j'] fits for j' >= the last j tried */
    df_solve_stats *st;
    df_err *err;
} walk;

static int walk_init(walk *w, const df_net *net, df_space space, int32_t maxlen, df_solve_stats *st, df_err *err) {
    memset(w, 0, sizeof *w);
    w->net = net;
    w->space = space;
    w->maxlen = maxlen;
    w->st = st;
    w->err = err;
    w->mb = malloc((size_t)df_net_batch(net) * sizeof *w->mb);
    w->whole_dead = calloc((size_t)df_net_layers(net), 1);
    if (!w->mb || !w->whole_dead) return DF_ENOMEM;
    w->nm = df_micro_batches(df_net_batch(net), w->mb);
    return DF_OK;
}

static void walk_free(walk *w) {
    free(w->mb);
    free(w->whole_dead);
}

static int scoring_error(walk *w, int rc, int32_t i, int32_t j) {
    return df_err_set(w->err, rc, NULL, "%s scoring layers %d..%d",
                      rc == DF_ENOMEM ? "out of memory" : "internal error", (int)i, (int)j);
}

/* The forms of every group ending at j. Returns DF_OK, DF_ECANCELED or a scoring error (set in err). */
static int walk_end(walk *w, int32_t j, void *dp, reach_fn reach, form_fn take, hopeless_fn hopeless) {
    const df_net *net = w->net;
    int32_t lo = j - w->maxlen + 1 > 0 ? j - w->maxlen + 1 : 0;
    if (df_solve_cancelled(w->st))
        return df_err_set(w->err, DF_ECANCELED, NULL, "cancelled at layer %d of %d", (int)j, (int)df_net_layers(net));
    form f;
    for (int32_t i = lo; i <= j; i++) {
        if (w->whole_dead[i] || !reach(dp, i)) continue;
        int any = 0;
        for (int32_t k = 0; k < w->nm; k++) {
            int rc = df_group_eval(net, i, j, w->mb[k], &f.c);
            if (w->st) w->st->groups_evaluated++;
            if (rc != DF_OK) return scoring_error(w, rc, i, j); /* an error, not "infeasible" */
            if (!f.c.feasible) break;
            any = 1;
            f.g = (df_group){.first = i, .last = j, .micro_batch = w->mb[k]};
            if ((rc = take(dp, i, j, &f))) return rc;
        }
        if (!any) w->whole_dead[i] = 1; /* footprints grow with the group's end (cost.c) */
    }
    if (w->space != DF_SPACE_DEPTH_FIRST) return DF_OK;
    df_tile_option opt[DF_MAX_TILE_OPTIONS];
    int32_t no = df_tile_options(df_net_workload(net), j, opt);
    df_tile_axes *axes = NULL; /* rows and columns are independent: one pass per size, shared by the options */
    if (no > 0 && df_tile_axes_new(df_net_workload(net), j, &axes) != DF_OK) return scoring_error(w, DF_ENOMEM, 0, j);
    int rc = DF_OK;
    df_tiled_row *prev = NULL; /* the previous option's row: same last, figures reused where shapes agree */
    for (int32_t o = 0; o < no && rc == DF_OK; o++) {
        if (df_solve_cancelled(w->st)) {
            rc = df_err_set(w->err, DF_ECANCELED, NULL, "cancelled at layer %d of %d", (int)j, (int)df_net_layers(net));
            break;
        }
        df_tiled_row *r;
        rc = df_tiled_row_prepare(net, j, opt[o].rows, opt[o].cols, opt[o].overlap, w->mb, w->nm, axes, prev, &r);
        df_tiled_row_free(prev);
        prev = NULL;
        if (rc != DF_OK) {
            df_tiled_row_free(r);
            rc = scoring_error(w, rc, 0, j);
            break;
        }
        for (int32_t i = lo; i <= j && rc == DF_OK; i++) {
            if (!reach(dp, i) || (hopeless && hopeless(dp, i, j, r))) continue;
            if ((rc = df_tiled_row_group(net, r, i)) != DF_OK) {
                rc = scoring_error(w, rc, i, j);
                break;
            }
            for (int32_t k = 0; k < w->nm; k++) {
                rc = df_tiled_row_cost(net, r, k, &f.c);
                if (w->st) w->st->groups_evaluated++;
                if (rc != DF_OK) {
                    rc = scoring_error(w, rc, i, j);
                    break;
                }
                if (!f.c.feasible) break; /* footprints grow with m */
                f.g = (df_group){.first = i,
                                 .last = j,
                                 .micro_batch = w->mb[k],
                                 .tile_rows = opt[o].rows,
                                 .tile_cols = opt[o].cols,
                                 .overlap = opt[o].overlap};
                if ((rc = take(dp, i, j, &f))) break;
            }
        }
        prev = r;
    }
    df_tiled_row_free(prev);
    df_tile_axes_free(axes);
    return rc;
}

/* ---- scalar objectives ------------------------------------------------------------------------- */

typedef struct {
    cell *c;
    df_objective obj;
} scalar_dp;

static int scalar_reach(void *dp, int32_t i) { return ((scalar_dp *)dp)->c[i].from >= 0; }

/* Bound test of the depth-first rows: the prefix's value plus a lower bound of the group's cost
 * (df_tiled_row_bound) above the incumbent of j + 1 means no form of the group improves or ties it.
 * The bound is shaded by 1e-9 (rounding of a sum in another order), so a form that improves or ties
 * is never skipped: the DP's answer, ties included, is the one without the test. */
static int scalar_hopeless(void *dp, int32_t i, int32_t j, const df_tiled_row *r) {
    scalar_dp *d = dp;
    const cell *c = &d->c[j + 1];
    if (c->from < 0) return 0;
    return d->c[i].p + df_tiled_row_bound(r, i, d->obj) * (1 - 1e-9) > c->p;
}

static int scalar_take(void *dp, int32_t i, int32_t j, const form *f) {
    scalar_dp *d = dp;
    double p, s;
    group_values(d->obj, &f->c, &p, &s);
    p += d->c[i].p;
    s += d->c[i].s;
    cell *c = &d->c[j + 1];
    if (c->from < 0 || p < c->p || (p == c->p && s < c->s)) *c = (cell){p, s, i, f->g};
    return DF_OK;
}

static int solve_scalar(const df_net *net, df_objective obj, df_space space, int32_t maxlen, df_mapping *out,
                        df_solve_stats *st, df_err *err) {
    int32_t L = df_net_layers(net);
    scalar_dp d = {.c = malloc((size_t)(L + 1) * sizeof *d.c), .obj = obj};
    walk w = {0};
    if (!d.c || walk_init(&w, net, space, maxlen, st, err)) {
        free(d.c);
        walk_free(&w);
        return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    }
    for (int32_t j = 0; j <= L; j++) d.c[j] = (cell){0, 0, -1, {0}};
    d.c[0].from = 0;
    int rc = DF_OK;
    for (int32_t j = 0; j < L && rc == DF_OK; j++) rc = walk_end(&w, j, &d, scalar_reach, scalar_take, scalar_hopeless);
    if (rc == DF_OK && d.c[L].from < 0) {
        rc = df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL, "no feasible mapping within the budget");
    } else if (rc == DF_OK) {
        int32_t n = 0;
        for (int32_t j = L; j > 0; j = d.c[j].from) n++;
        if (reserve_groups(out, n)) {
            rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        } else {
            int32_t g = n;
            for (int32_t j = L; j > 0; j = d.c[j].from) out->groups[--g] = d.c[j].g;
        }
    }
    free(d.c);
    walk_free(&w);
    return rc;
}

/* ---- EDP: Pareto fronts of (latency, energy) per prefix ---------------------------------------- */

typedef struct {
    double lat, en;
    int32_t from, idx;
    df_group g;
} pt;
typedef struct {
    pt *v;
    int32_t n, cap;
} ptvec;

static int ptvec_push(ptvec *a, pt p) {
    if (a->n == a->cap) {
        int32_t cap = a->cap ? a->cap * 2 : 16;
        pt *v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) return DF_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = p;
    return DF_OK;
}

static int pt_cmp(const void *a, const void *b) {
    const pt *x = a, *y = b;
    if (x->lat != y->lat) return x->lat < y->lat ? -1 : 1;
    if (x->en != y->en) return x->en < y->en ? -1 : 1;
    return 0;
}

/* Keeps the non-dominated points, sorted by latency ascending (energy strictly descending).
 * Returns 1 if the front had to be thinned to FRONT_CAP points. */
static int pareto(ptvec *a) {
    if (a->n == 0) return 0;
    qsort(a->v, (size_t)a->n, sizeof *a->v, pt_cmp);
    int32_t k = 0;
    for (int32_t i = 0; i < a->n; i++)
        if (k == 0 || a->v[i].en < a->v[k - 1].en) a->v[k++] = a->v[i];
    a->n = k;
    if (k <= FRONT_CAP) return 0;
    int32_t w = 0;
    for (int32_t i = 0; i < FRONT_CAP; i++) a->v[w++] = a->v[(int64_t)i * (k - 1) / (FRONT_CAP - 1)];
    a->n = w;
    return 1;
}

typedef struct {
    ptvec *fr;
    df_solve_stats *st;
} edp_dp;

static int edp_reach(void *dp, int32_t i) { return ((edp_dp *)dp)->fr[i].n > 0; }

static int edp_take(void *dp, int32_t i, int32_t j, const form *f) {
    edp_dp *d = dp;
    const ptvec *a = &d->fr[i];
    for (int32_t q = 0; q < a->n; q++)
        if (ptvec_push(&d->fr[j + 1], (pt){a->v[q].lat + f->c.latency_cycles, a->v[q].en + f->c.energy_pj, i, q, f->g}))
            return DF_ENOMEM;
    /* keep candidate lists bounded while they accumulate */
    if (d->fr[j + 1].n > 8 * FRONT_CAP && pareto(&d->fr[j + 1]) && d->st) d->st->exact = 0;
    return DF_OK;
}

static int solve_edp(const df_net *net, df_space space, int32_t maxlen, df_mapping *out, df_solve_stats *st,
                     df_err *err) {
    int32_t L = df_net_layers(net);
    edp_dp d = {.fr = calloc((size_t)L + 1, sizeof *d.fr), .st = st};
    walk w = {0};
    int rc = DF_OK;
    if (!d.fr || walk_init(&w, net, space, maxlen, st, err)) {
        rc = DF_ENOMEM;
        goto done;
    }
    if ((rc = ptvec_push(&d.fr[0], (pt){0, 0, -1, -1, {0}}))) goto done;
    for (int32_t j = 0; j < L; j++) {
        /* front j is complete (every group ending before j was visited): thin it once, before use */
        if (j > 0 && pareto(&d.fr[j]) && st) st->exact = 0;
        if (st && d.fr[j].n > st->pareto_max) st->pareto_max = d.fr[j].n;
        if ((rc = walk_end(&w, j, &d, edp_reach, edp_take, NULL)) != DF_OK) goto done;
    }
    if (pareto(&d.fr[L]) && st) st->exact = 0;
    if (d.fr[L].n == 0) {
        rc = df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL, "no feasible mapping within the budget");
        goto done;
    }
    int32_t best = 0;
    for (int32_t q = 1; q < d.fr[L].n; q++)
        if (d.fr[L].v[q].lat * d.fr[L].v[q].en < d.fr[L].v[best].lat * d.fr[L].v[best].en) best = q;
    /* walk back through the parents: count, then fill back to front */
    int32_t n = 0;
    for (int32_t j = L, q = best; j > 0;) {
        const pt *p = &d.fr[j].v[q];
        n++;
        q = p->idx;
        j = p->from;
    }
    if ((rc = reserve_groups(out, n))) goto done;
    for (int32_t j = L, q = best, g = n; j > 0;) {
        const pt *p = &d.fr[j].v[q];
        out->groups[--g] = p->g;
        q = p->idx;
        j = p->from;
    }
done:
    if (d.fr)
        for (int32_t j = 0; j <= L; j++) free(d.fr[j].v);
    free(d.fr);
    walk_free(&w);
    if (rc == DF_ENOMEM) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    return rc; /* DF_ECANCELED and scoring errors carry their message from walk_end */
}

static int solve(const df_net *net, df_objective obj, df_space space, int32_t maxlen, df_mapping *out,
                 df_solve_stats *st, df_err *err) {
    df_err_clear(err);
    df_solve_stats_reset(st);
    if (st) st->exact = 1;
    if (obj < 0 || obj >= DF_OBJ_COUNT)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_OBJECTIVE, NULL, "unknown objective");
    if (space < 0 || space >= DF_SPACE_COUNT)
        return df_err_set_field(err, DF_EINVAL, DF_FIELD_SPACE, NULL, "unknown map-space");
    /* Batch-only: a layer that does not fit alone at micro-batch 1 makes every mapping infeasible, and
     * the answer names it. Depth-first: a layer may fit in tiles, so the search decides; when it finds
     * nothing the same message names the layer that does not fit whole. */
    int rc = space == DF_SPACE_BATCH ? df_net_check_budget(net, err) : DF_OK;
    if (rc) return rc;
    rc = obj == DF_OBJ_EDP ? solve_edp(net, space, maxlen, out, st, err)
                           : solve_scalar(net, obj, space, maxlen, out, st, err);
    if (rc == DF_EINFEASIBLE && space != DF_SPACE_BATCH && df_net_check_budget(net, err) == DF_OK)
        df_err_set_field(err, DF_EINFEASIBLE, DF_FIELD_BUDGET, NULL, "no feasible mapping within the budget");
    return rc;
}

int df_solve_exact(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *st, df_err *err) {
    return solve(net, obj, DF_SPACE_BATCH, df_net_layers(net), out, st, err);
}

int df_solve_exact_in(const df_net *net, df_objective obj, df_space space, df_mapping *out, df_solve_stats *st,
                      df_err *err) {
    return solve(net, obj, space, df_net_layers(net), out, st, err);
}

int df_solve_lbl(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *st, df_err *err) {
    int rc = solve(net, obj, DF_SPACE_BATCH, 1, out, st, err);
    if (st) st->exact = 0;
    return rc;
}
