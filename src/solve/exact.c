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
 * (out of memory) ends the search with that error: it is never read as "infeasible". */
#include "dnnfuser/solve.h"

#include <stdlib.h>
#include <string.h>

#define FRONT_CAP 4096

static const char *const solver_names[DF_SOLVER_COUNT] = {"exact", "ga", "lbl", "transformer"};

const char *df_solver_name(df_solver s) { return (s >= 0 && s < DF_SOLVER_COUNT) ? solver_names[s] : "?"; }

int df_solver_parse(const char *s, df_solver *out) {
    for (int i = 0; i < DF_SOLVER_COUNT; i++)
        if (s && strcmp(s, solver_names[i]) == 0) { *out = (df_solver)i; return DF_OK; }
    return DF_EINVAL;
}

static void group_values(df_objective obj, const df_group_cost *g, double *primary, double *secondary) {
    switch (obj) {
    case DF_OBJ_ENERGY: *primary = g->energy_pj; *secondary = g->latency_cycles; break;
    case DF_OBJ_DRAM: *primary = g->dram_bytes; *secondary = g->latency_cycles; break;
    default: *primary = g->latency_cycles; *secondary = g->energy_pj; break;
    }
}

typedef struct { double p, s; int32_t from, m; } cell;

/* Sets out to n placeholder groups (filled back to front by the caller). */
static int reserve_groups(df_mapping *out, int32_t n) {
    out->n_groups = 0;
    for (int32_t k = 0; k < n; k++)
        if (df_mapping_push(out, 0, 0, 1)) return DF_ENOMEM;
    return DF_OK;
}

static int solve_scalar(const df_net *net, df_objective obj, int32_t maxlen, df_mapping *out, df_solve_stats *st,
                        df_err *err) {
    int32_t L = df_net_layers(net), N = df_net_batch(net);
    cell *dp = malloc((size_t)(L + 1) * sizeof *dp);
    int32_t *mb = malloc((size_t)N * sizeof *mb);
    if (!dp || !mb) { free(dp); free(mb); return df_err_set(err, DF_ENOMEM, NULL, "out of memory"); }
    int32_t nm = df_micro_batches(N, mb);
    for (int32_t j = 0; j <= L; j++) dp[j] = (cell){0, 0, -1, 0};
    dp[0].from = 0;
    for (int32_t i = 0; i < L; i++) {
        if (dp[i].from < 0) continue;
        for (int32_t j = i; j < L && j - i < maxlen; j++) {
            if (df_solve_cancelled(st)) { /* checked per group: one row can be long (L^2 evaluations) */
                free(dp);
                free(mb);
                return df_err_set(err, DF_ECANCELED, NULL, "cancelled at layer %d of %d", (int)i, (int)L);
            }
            int any = 0;
            for (int32_t k = 0; k < nm; k++) {
                df_group_cost g;
                int grc = df_group_eval(net, i, j, mb[k], &g);
                if (st) st->groups_evaluated++;
                if (grc != DF_OK) { /* an error, not "infeasible": never stop the search silently */
                    free(dp);
                    free(mb);
                    return df_err_set(err, grc, NULL, "%s scoring layers %d..%d at micro-batch %d",
                                      grc == DF_ENOMEM ? "out of memory" : "internal error", (int)i, (int)j, (int)mb[k]);
                }
                if (!g.feasible) break;
                any = 1;
                double p, s;
                group_values(obj, &g, &p, &s);
                p += dp[i].p;
                s += dp[i].s;
                cell *c = &dp[j + 1];
                if (c->from < 0 || p < c->p || (p == c->p && s < c->s)) *c = (cell){p, s, i, mb[k]};
            }
            if (!any) break;
        }
    }
    int rc = DF_OK;
    if (dp[L].from < 0) {
        rc = df_err_set(err, DF_EINFEASIBLE, "/budget", "no feasible mapping within the budget");
    } else {
        int32_t n = 0;
        for (int32_t j = L; j > 0; j = dp[j].from) n++;
        if (reserve_groups(out, n)) {
            rc = df_err_set(err, DF_ENOMEM, NULL, "out of memory");
        } else {
            int32_t g = n;
            for (int32_t j = L; j > 0; j = dp[j].from) out->groups[--g] = (df_group){.first = dp[j].from, .last = j - 1, .micro_batch = dp[j].m};
        }
    }
    free(dp);
    free(mb);
    return rc;
}

/* ---- EDP: Pareto fronts of (latency, energy) per prefix ---------------------------------------- */

typedef struct { double lat, en; int32_t from, idx, m; } pt;
typedef struct { pt *v; int32_t n, cap; } ptvec;

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

static int solve_edp(const df_net *net, int32_t maxlen, df_mapping *out, df_solve_stats *st, df_err *err) {
    int32_t L = df_net_layers(net), N = df_net_batch(net);
    ptvec *fr = calloc((size_t)L + 1, sizeof *fr);
    int32_t *mb = malloc((size_t)N * sizeof *mb);
    int rc = DF_OK;
    if (!fr || !mb) { rc = DF_ENOMEM; goto done; }
    int32_t nm = df_micro_batches(N, mb);
    if ((rc = ptvec_push(&fr[0], (pt){0, 0, -1, -1, 0}))) goto done;
    for (int32_t i = 0; i < L; i++) {
        if (i > 0 && pareto(&fr[i]) && st) st->exact = 0;
        if (st && fr[i].n > st->pareto_max) st->pareto_max = fr[i].n;
        if (fr[i].n == 0) continue;
        for (int32_t j = i; j < L && j - i < maxlen; j++) {
            if (df_solve_cancelled(st)) {
                rc = DF_ECANCELED;
                goto done;
            }
            int any = 0;
            for (int32_t k = 0; k < nm; k++) {
                df_group_cost g;
                if ((rc = df_group_eval(net, i, j, mb[k], &g)) != DF_OK) goto done; /* an error, not "infeasible" */
                if (st) st->groups_evaluated++;
                if (!g.feasible) break;
                any = 1;
                for (int32_t q = 0; q < fr[i].n; q++)
                    if ((rc = ptvec_push(&fr[j + 1], (pt){fr[i].v[q].lat + g.latency_cycles,
                                                          fr[i].v[q].en + g.energy_pj, i, q, mb[k]})))
                        goto done;
            }
            /* keep candidate lists bounded while they accumulate */
            if (fr[j + 1].n > 8 * FRONT_CAP && pareto(&fr[j + 1]) && st) st->exact = 0;
            if (!any) break;
        }
    }
    if (pareto(&fr[L]) && st) st->exact = 0;
    if (fr[L].n == 0) {
        rc = df_err_set(err, DF_EINFEASIBLE, "/budget", "no feasible mapping within the budget");
        goto done;
    }
    int32_t best = 0;
    for (int32_t q = 1; q < fr[L].n; q++)
        if (fr[L].v[q].lat * fr[L].v[q].en < fr[L].v[best].lat * fr[L].v[best].en) best = q;
    /* walk back through the parents: count, then fill back to front */
    int32_t n = 0;
    for (int32_t j = L, q = best; j > 0;) { const pt *p = &fr[j].v[q]; n++; q = p->idx; j = p->from; }
    if ((rc = reserve_groups(out, n))) goto done;
    for (int32_t j = L, q = best, g = n; j > 0;) {
        const pt *p = &fr[j].v[q];
        out->groups[--g] = (df_group){.first = p->from, .last = j - 1, .micro_batch = p->m};
        q = p->idx;
        j = p->from;
    }
done:
    if (fr)
        for (int32_t j = 0; j <= L; j++) free(fr[j].v);
    free(fr);
    free(mb);
    if (rc == DF_ENOMEM) return df_err_set(err, DF_ENOMEM, NULL, "out of memory");
    if (rc == DF_ECANCELED) return df_err_set(err, DF_ECANCELED, NULL, "cancelled");
    if (rc == DF_EINVAL) return df_err_set(err, DF_EINVAL, NULL, "internal error: a group outside the net");
    return rc;
}

static int solve(const df_net *net, df_objective obj, int32_t maxlen, df_mapping *out, df_solve_stats *st, df_err *err) {
    df_err_clear(err);
    df_solve_stats_reset(st);
    if (st) st->exact = 1;
    if (obj < 0 || obj >= DF_OBJ_COUNT) return df_err_set(err, DF_EINVAL, "/objective", "unknown objective");
    int rc = df_net_check_budget(net, err);
    if (rc) return rc;
    if (obj == DF_OBJ_EDP) return solve_edp(net, maxlen, out, st, err);
    return solve_scalar(net, obj, maxlen, out, st, err);
}

int df_solve_exact(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *st, df_err *err) {
    return solve(net, obj, df_net_layers(net), out, st, err);
}

int df_solve_lbl(const df_net *net, df_objective obj, df_mapping *out, df_solve_stats *st, df_err *err) {
    int rc = solve(net, obj, 1, out, st, err);
    if (st) st->exact = 0;
    return rc;
}
