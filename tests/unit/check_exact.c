/* check_exact.c - Check suite "exact": the dynamic program is optimal for the map-space. Brute force
 * enumerates every partition into contiguous groups and every micro-batch 1..N per group (not only the
 * solver's ceil(N/k) candidates), scores each mapping with df_mapping_eval, and must never beat the
 * solver, for all four objectives, on random chains and residual DAGs, three dataflows, and budgets
 * from tight to generous. Also: lbl is the best singleton mapping, exact <= lbl, budget errors, and an
 * out-of-memory in the group scoring comes back as DF_ENOMEM (never as "infeasible"). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include "dnnfuser/solve.h"

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L, N, only_singletons;
    df_mapping cur;
    double best;
    int64_t visited;
} brute;

static void brute_rec(brute *b, int32_t start) {
    if (start == b->L) {
        df_metrics mt;
        df_err e;
        ck_assert_int_eq(df_mapping_eval(b->net, &b->cur, &mt, NULL, &e), DF_OK);
        b->visited++;
        if (mt.feasible) {
            double v = df_objective_value(b->obj, &mt);
            if (v < b->best) b->best = v;
        }
        return;
    }
    int32_t maxend = b->only_singletons ? start : b->L - 1;
    for (int32_t end = start; end <= maxend; end++)
        for (int32_t m = 1; m <= b->N; m++) {
            df_group_cost g;
            df_group_eval(b->net, start, end, m, &g);
            if (!g.feasible) continue; /* an infeasible group makes every completion infeasible */
            df_mapping_push(&b->cur, start, end, m);
            brute_rec(b, end + 1);
            b->cur.n_groups--;
        }
}

static double brute_best(const df_net *n, df_objective obj, int only_singletons, int64_t *visited) {
    brute b = {n, obj, df_net_layers(n), df_net_batch(n), only_singletons, {0}, INFINITY, 0};
    df_mapping_init(&b.cur, 16);
    brute_rec(&b, 0);
    df_mapping_free(&b.cur);
    if (visited) *visited += b.visited;
    return b.best;
}

static double solved_value(const df_net *n, df_objective obj, int lbl, df_mapping *m) {
    df_err e;
    df_solve_stats st = {0};
    int rc = lbl ? df_solve_lbl(n, obj, m, &st, &e) : df_solve_exact(n, obj, m, &st, &e);
    ck_assert_msg(rc == DF_OK, "solver failed: %s", e.msg);
    df_metrics mt;
    ck_assert_int_eq(df_mapping_eval(n, m, &mt, NULL, &e), DF_OK);
    ck_assert(mt.feasible);
    if (!lbl) ck_assert(st.exact);
    return df_objective_value(obj, &mt);
}

static int64_t min_need(const df_workload *w, df_hw h, int32_t N) {
    h.buffer_bytes = 1;
    df_net *n;
    df_err e;
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    df_net_free(n);
    return e.need_bytes;
}

static void check_random(uint64_t seed, int dag) {
    df_rng r;
    df_rng_seed(&r, seed);
    int64_t visited = 0;
    int cases = 0;
    for (int t = 0; t < 12; t++) {
        df_workload w;
        int32_t L = 4 + df_rng_range(&r, 3);
        int32_t N = 1 + df_rng_range(&r, 5);
        tu_random_workload(&w, &r, L, dag);
        df_dataflow d = (df_dataflow)df_rng_range(&r, 3);
        df_hw h = tu_hw(4 + df_rng_range(&r, 13), 4 + df_rng_range(&r, 13), d, 0, 1 + df_rng_range(&r, 32),
                        4 + df_rng_range(&r, 64), 1 + df_rng_range(&r, 2));
        int64_t need = min_need(&w, h, N);
        double factors[] = {1.0, 1.7, 4.0, 30.0};
        for (int f = 0; f < 4; f++) {
            h.buffer_bytes = (int64_t)(need * factors[f]);
            df_net *n;
            df_err e;
            ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
            for (int o = 0; o < DF_OBJ_COUNT; o++) {
                df_mapping m;
                df_mapping_init(&m, 4);
                double ex = solved_value(n, (df_objective)o, 0, &m);
                double bf = brute_best(n, (df_objective)o, 0, &visited);
                ck_assert_msg(fabs(ex - bf) <= 1e-9 * fabs(bf),
                              "seed %llu case %d budget x%.1f obj %s: exact %.17g brute %.17g",
                              (unsigned long long)seed, t, factors[f], df_objective_name((df_objective)o), ex, bf);
                double lb = solved_value(n, (df_objective)o, 1, &m);
                double lbf = brute_best(n, (df_objective)o, 1, &visited);
                ck_assert_msg(fabs(lb - lbf) <= 1e-9 * fabs(lbf), "lbl %.17g brute %.17g", lb, lbf);
                ck_assert(ex <= lb * (1 + 1e-12));
                for (int32_t g = 0; g < m.n_groups; g++) ck_assert_int_eq(m.groups[g].first, m.groups[g].last);
                df_mapping_free(&m);
                cases++;
            }
            df_net_free(n);
        }
        df_workload_free(&w);
    }
    ck_assert_int_eq(cases, 12 * 4 * DF_OBJ_COUNT);
    ck_assert(visited > 1000); /* the enumeration really ran */
}

/* ---- depth-first space (issue 14) ---------------------------------------------------------------
 * Brute force over every partition into contiguous groups, every micro-batch 1..N per group (not only
 * the solver's candidates), the whole tensor and every tile option of df_tile_options with each of its
 * modes. Group forms are scored once with df_group_eval / df_group_eval_tiled (not the solver's
 * prepared path) and combined in every way; the best combination is re-scored with df_mapping_eval. */

typedef struct {
    df_group g;
    double lat, en, dram;
} bf_form;

typedef struct {
    const df_net *net;
    df_objective obj;
    int32_t L;
    bf_form *forms;     /* per (i, j): a list */
    int32_t *off, *cnt; /* [L*L] */
    int32_t path[16];   /* chosen form index per depth */
    double best;
    int32_t best_path[16], best_n;
    int64_t visited;
} bf_df;

static void bf_rec(bf_df *b, int32_t start, int32_t depth, double lat, double en, double dram) {
    if (start == b->L) {
        double v = b->obj == DF_OBJ_LATENCY  ? lat
                   : b->obj == DF_OBJ_ENERGY ? en
                   : b->obj == DF_OBJ_DRAM   ? dram
                                             : en * (lat / df_net_hw(b->net)->clock_hz);
        b->visited++;
        if (v < b->best) {
            b->best = v;
            b->best_n = depth;
            memcpy(b->best_path, b->path, sizeof b->path);
        }
        return;
    }
    for (int32_t end = start; end < b->L; end++) {
        int32_t k = start * b->L + end;
        for (int32_t q = 0; q < b->cnt[k]; q++) {
            const bf_form *f = &b->forms[b->off[k] + q];
            b->path[depth] = b->off[k] + q;
            bf_rec(b, end + 1, depth + 1, lat + f->lat, en + f->en, dram + f->dram);
        }
    }
}

/* The best objective value over the depth-first space (INFINITY when nothing fits); *forms_out the
 * number of feasible group forms seen. */
static double brute_df(const df_net *n, df_objective obj, int64_t *visited, int64_t *forms_out) {
    int32_t L = df_net_layers(n), N = df_net_batch(n);
    bf_df b = {.net = n, .obj = obj, .L = L, .best = INFINITY};
    b.off = calloc((size_t)L * L, sizeof *b.off);
    b.cnt = calloc((size_t)L * L, sizeof *b.cnt);
    int32_t cap = L * L * N * (1 + DF_MAX_TILE_OPTIONS), used = 0;
    b.forms = malloc((size_t)cap * sizeof *b.forms);
    ck_assert(b.off && b.cnt && b.forms);
    for (int32_t i = 0; i < L; i++)
        for (int32_t j = i; j < L; j++) {
            df_tile_option opt[DF_MAX_TILE_OPTIONS + 1];
            int32_t no = df_tile_options(df_net_workload(n), j, opt + 1);
            opt[0] = (df_tile_option){0, 0, 0}; /* the whole tensor */
            b.off[i * L + j] = used;
            for (int32_t o = 0; o <= no; o++)
                for (int32_t m = 1; m <= N; m++) {
                    df_group g = {.first = i,
                                  .last = j,
                                  .micro_batch = m,
                                  .tile_rows = opt[o].rows,
                                  .tile_cols = opt[o].cols,
                                  .overlap = opt[o].overlap};
                    df_group_cost c;
                    ck_assert_int_eq(df_group_eval_tiled(n, &g, &c), DF_OK);
                    if (!c.feasible) continue;
                    b.forms[used++] = (bf_form){g, c.latency_cycles, c.energy_pj, c.dram_bytes};
                    b.cnt[i * L + j]++;
                }
        }
    if (forms_out) *forms_out += used;
    bf_rec(&b, 0, 0, 0, 0, 0);
    if (isfinite(b.best)) { /* the best combination, scored as a mapping */
        df_mapping m;
        df_mapping_init(&m, b.best_n);
        for (int32_t d = 0; d < b.best_n; d++) df_mapping_push_group(&m, &b.forms[b.best_path[d]].g);
        df_metrics mt;
        df_err e;
        ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
        ck_assert(mt.feasible);
        double v = df_objective_value(obj, &mt);
        ck_assert_msg(fabs(v - b.best) <= 1e-9 * fabs(v), "brute sum %.17g, mapping %.17g", b.best, v);
        b.best = v;
        df_mapping_free(&m);
    }
    if (visited) *visited += b.visited;
    free(b.off);
    free(b.cnt);
    free(b.forms);
    return b.best;
}

/* A small random network for the depth-first brute force: L layers on a 6x6 or 8x8 plane (tile
 * candidates with divisors and powers of two), 1x1 and 3x3 convs, a stride-2 conv or pool, depthwise
 * convs, and (dag) residual adds. */
static void small_df_workload(df_workload *w, df_rng *r, int32_t L, int dag) {
    df_workload_init(w, "df");
    int32_t C = 2 + df_rng_range(r, 6), Y = df_rng_range(r, 2) ? 8 : 6, prev = -1;
    while (w->n_layers < L) {
        int32_t i = w->n_layers, choice = df_rng_range(r, 10);
        if (dag && choice < 3 && i >= 1 && L - i >= 2) {
            int32_t c1 = tu_conv(w, prev, C, Y, Y, C, 3, 1);
            prev = tu_layer(w, DF_LAYER_ADD, c1, prev, C, C, Y, Y, 1, 1, 0, 1);
        } else if (choice == 3 && Y >= 4) {
            prev = tu_layer(w, DF_LAYER_POOL, prev, -2, C, C, Y, Y, 2, 2, 0, 1);
            Y /= 2;
        } else if (choice == 4) {
            prev = tu_layer(w, DF_LAYER_DWCONV, prev, -2, C, C, Y, Y, 3, 1, 1, C);
        } else {
            int32_t K = 2 + df_rng_range(r, 15), R = df_rng_range(r, 2) ? 3 : 1;
            int32_t st = (Y >= 6 && df_rng_range(r, 5) == 0) ? 2 : 1;
            prev = tu_conv(w, prev, C, Y, Y, K, R, st);
            C = K;
            Y = (Y + 2 * (R / 2) - R) / st + 1;
        }
    }
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "random workload invalid: %s", e.msg);
}

static void check_random_df(uint64_t seed, int dag) {
    df_rng r;
    df_rng_seed(&r, seed);
    int64_t visited = 0, forms = 0;
    int cases = 0, tiled_wins = 0, both_infeasible = 0;
    for (int t = 0; t < 6; t++) {
        df_workload w;
        int32_t L = 3 + df_rng_range(&r, 2);
        int32_t N = L == 3 ? 1 + df_rng_range(&r, 3) : 1 + df_rng_range(&r, 2);
        small_df_workload(&w, &r, L, dag);
        L = w.n_layers;
        df_dataflow d = (df_dataflow)df_rng_range(&r, 3);
        df_hw h = tu_hw(2 + df_rng_range(&r, 7), 2 + df_rng_range(&r, 7), d, 0, 0.25 + df_rng_range(&r, 8),
                        1 + df_rng_range(&r, 16), 1 + df_rng_range(&r, 2));
        h.noc_hops = df_rng_range(&r, 3);
        int64_t need = min_need(&w, h, N);
        double factors[] = {0.3, 0.6, 1.0, 1.7, 6.0};
        for (int f = 0; f < 5; f++) {
            h.buffer_bytes = (int64_t)(need * factors[f]);
            if (h.buffer_bytes < 1) h.buffer_bytes = 1;
            df_net *n;
            df_err e;
            ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
            for (int o = 0; o < DF_OBJ_COUNT; o++) {
                double bf = brute_df(n, (df_objective)o, &visited, &forms);
                df_mapping m;
                df_mapping_init(&m, 4);
                df_solve_stats st = {0};
                int rc = df_solve_exact_in(n, (df_objective)o, DF_SPACE_DEPTH_FIRST, &m, &st, &e);
                if (!isfinite(bf)) {
                    ck_assert_msg(rc == DF_EINFEASIBLE, "seed %llu case %d: brute finds nothing, exact rc %d",
                                  (unsigned long long)seed, t, rc);
                    both_infeasible++;
                } else {
                    ck_assert_msg(rc == DF_OK, "seed %llu case %d x%.1f %s: exact failed (%s), brute %.17g",
                                  (unsigned long long)seed, t, factors[f], df_objective_name((df_objective)o), e.msg,
                                  bf);
                    ck_assert(st.exact);
                    df_metrics mt;
                    ck_assert_int_eq(df_mapping_eval(n, &m, &mt, NULL, &e), DF_OK);
                    ck_assert(mt.feasible);
                    double ex = df_objective_value((df_objective)o, &mt);
                    ck_assert_msg(fabs(ex - bf) <= 1e-9 * fabs(bf),
                                  "seed %llu case %d (L %d N %d) budget x%.1f obj %s: exact %.17g brute %.17g",
                                  (unsigned long long)seed, t, L, N, factors[f], df_objective_name((df_objective)o), ex,
                                  bf);
                    /* never worse than the batch-only optimum */
                    df_mapping mb;
                    df_mapping_init(&mb, 4);
                    if (df_solve_exact(n, (df_objective)o, &mb, NULL, &e) == DF_OK) {
                        df_metrics mtb;
                        ck_assert_int_eq(df_mapping_eval(n, &mb, &mtb, NULL, &e), DF_OK);
                        double vb = df_objective_value((df_objective)o, &mtb);
                        ck_assert(ex <= vb * (1 + 1e-12));
                        tiled_wins += ex < vb * (1 - 1e-9);
                    } else {
                        tiled_wins++;
                    }
                    df_mapping_free(&mb);
                }
                df_mapping_free(&m);
                cases++;
            }
            df_net_free(n);
        }
        df_workload_free(&w);
    }
    ck_assert_int_eq(cases, 6 * 5 * DF_OBJ_COUNT);
    ck_assert(visited > 10000 && forms > 1000); /* the enumeration really ran */
    ck_assert(tiled_wins > 5);                  /* and tiles mattered */
    fprintf(stderr,
            "depth-first brute force (seed %llu, %s): %d cases, %lld mappings, %lld group forms, %d where tiles win, "
            "%d infeasible in both\n",
            (unsigned long long)seed, dag ? "dags" : "chains", cases, (long long)visited, (long long)forms, tiled_wins,
            both_infeasible);
}

START_TEST(test_exact_depth_first_matches_brute_force_chains) { check_random_df(31, 0); }
END_TEST

START_TEST(test_exact_depth_first_matches_brute_force_dags) { check_random_df(47, 1); }
END_TEST

START_TEST(test_exact_matches_brute_force_chains) { check_random(11, 0); }
END_TEST

START_TEST(test_exact_matches_brute_force_dags) { check_random(23, 1); }
END_TEST

START_TEST(test_fusion_helps_when_dram_bound) {
    /* A DRAM-starved chain with plenty of buffer: fusing everything removes the intermediate traffic,
     * so exact must strictly beat layer-by-layer on DRAM bytes and on latency. */
    df_workload w;
    df_net *n = tu_chain3_net(&w);
    df_mapping m;
    df_mapping_init(&m, 4);
    double ex = solved_value(n, DF_OBJ_DRAM, 0, &m);
    ck_assert_int_eq(m.n_groups, 1);
    double lb = solved_value(n, DF_OBJ_DRAM, 1, &m);
    ck_assert_double_eq(ex, 4.0 * (16 * 256 * 2) + 3 * 16 * 16 * 9);
    ck_assert_double_eq(lb, 4.0 * (16 * 256 * 6) + 3 * 16 * 16 * 9);
    ck_assert(solved_value(n, DF_OBJ_LATENCY, 0, &m) < solved_value(n, DF_OBJ_LATENCY, 1, &m));
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_infeasible_budget_reported_by_solvers) {
    df_workload w;
    df_workload_init(&w, "chain");
    tu_conv(&w, -1, 16, 16, 16, 16, 3, 1);
    tu_conv(&w, 0, 16, 16, 16, 64, 3, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
    df_hw h = tu_hw(16, 16, DF_DATAFLOW_WS, 256, 8, 64, 1);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, &w, &h, 1, &e), DF_OK);
    df_mapping m;
    df_mapping_init(&m, 4);
    ck_assert_int_eq(df_solve_exact(n, DF_OBJ_LATENCY, &m, NULL, &e), DF_EINFEASIBLE);
    ck_assert_int_ge(e.layer, 0);
    ck_assert(e.need_bytes > 256);
    ck_assert_int_eq(e.field, DF_FIELD_BUDGET);
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_EDP, &m, NULL, &e), DF_EINFEASIBLE);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_solver_names) {
    df_solver s;
    ck_assert_int_eq(df_solver_parse("ga", &s), DF_OK);
    ck_assert_int_eq(s, DF_SOLVER_GA);
    ck_assert_int_eq(df_solver_parse("GA ", &s), DF_EINVAL);
    ck_assert_str_eq(df_solver_name(DF_SOLVER_LBL), "lbl");
    df_objective o;
    ck_assert_int_eq(df_objective_parse("edp", &o), DF_OK);
    ck_assert_int_eq(o, DF_OBJ_EDP);
    ck_assert_int_eq(df_objective_parse("speed", &o), DF_EINVAL);
    df_space sp;
    for (int i = 0; i < DF_SPACE_COUNT; i++) {
        ck_assert_int_eq(df_space_parse(df_space_name((df_space)i), &sp), DF_OK);
        ck_assert_int_eq(sp, i);
    }
    ck_assert_int_eq(df_space_parse("depth", &sp), DF_EINVAL);
    ck_assert_int_eq(df_space_parse(NULL, &sp), DF_EINVAL);
    ck_assert_int_eq(df_solver_parse(NULL, &s), DF_EINVAL);
    ck_assert_int_eq(df_solver_parse("transformer", &s), DF_OK);
    ck_assert_int_eq(s, DF_SOLVER_TRANSFORMER);
    /* the lookup itself: first exact match, NULL entries skipped */
    const char *const names[] = {"a", NULL, "bc", "bc"};
    ck_assert_int_eq(df_name_find("bc", names, 4), 2);
    ck_assert_int_eq(df_name_find("b", names, 4), -1);
    ck_assert_int_eq(df_name_find("bc", names, 2), -1);
}
END_TEST

START_TEST(test_cancel_flag) {
    /* a raised flag stops the DP with DF_ECANCELED; a lowered one changes nothing */
    df_workload w;
    df_net *n = tu_chain3_net(&w);
    df_err e;
    df_mapping a, b;
    df_mapping_init(&a, 4);
    df_mapping_init(&b, 4);
    atomic_int flag = 1;
    df_solve_stats st = {.cancel = &flag};
    for (int o = 0; o < DF_OBJ_COUNT; o++) {
        flag = 1;
        ck_assert_int_eq(df_solve_exact(n, (df_objective)o, &a, &st, &e), DF_ECANCELED);
        ck_assert_str_eq(df_status_name(e.code), "cancelled");
        ck_assert_ptr_eq(st.cancel, &flag); /* the input survives the reset */
        flag = 0;
        ck_assert_int_eq(df_solve_exact(n, (df_objective)o, &a, &st, &e), DF_OK);
        ck_assert_int_eq(df_solve_exact(n, (df_objective)o, &b, NULL, &e), DF_OK);
        ck_assert_int_eq(a.n_groups, b.n_groups);
        ck_assert_int_gt(st.groups_evaluated, 0);
    }
    df_mapping_free(&a);
    df_mapping_free(&b);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* calloc interposed for this test binary (glibc exports __libc_calloc): fails requests above
 * calloc_fail_above bytes while it is non-zero. Only the cost model's scratch for groups longer than
 * 512 layers asks for that much. Not under AddressSanitizer, which owns the allocator. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#if !defined(UNDER_ASAN)
extern void *__libc_calloc(size_t n, size_t size);
static size_t calloc_fail_above;
void *calloc(size_t n, size_t size) {
    if (calloc_fail_above && size && n > calloc_fail_above / size) return NULL;
    return __libc_calloc(n, size);
}
#endif

START_TEST(test_oom_is_an_error_not_infeasible) {
#if !defined(UNDER_ASAN)
    enum { L = 700 };
    df_workload w;
    df_workload_init(&w, "long");
    for (int32_t i = 0; i < L; i++) tu_layer(&w, DF_LAYER_CONV, i - 1, -2, 2, 2, 2, 2, 1, 1, 0, 1);
    df_err e;
    ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
    df_hw h = tu_hw(4, 4, DF_DATAFLOW_WS, 1 << 30, 64, 64, 1);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, &w, &h, 2, &e), DF_OK);
    df_mapping m, all;
    df_mapping_init(&m, 4);
    df_mapping_init(&all, 1);
    df_mapping_push(&all, 0, L - 1, 1);
    df_group_cost g;
    df_metrics mt;
    /* with memory: the whole chain is one feasible group */
    ck_assert_int_eq(df_group_eval(n, 0, L - 1, 1, &g), DF_OK);
    ck_assert(g.feasible);
    calloc_fail_above = 12000; /* a 513-layer group needs 513 x 24 bytes */
    ck_assert_int_eq(df_group_eval(n, 0, L - 1, 1, &g), DF_ENOMEM);
    ck_assert(!g.feasible);
    ck_assert_int_eq(g.footprint_bytes, INT64_MAX);
    ck_assert_int_eq(df_group_eval(n, 0, 511, 1, &g), DF_OK); /* short groups need no heap */
    ck_assert_int_eq(df_mapping_eval(n, &all, &mt, NULL, &e), DF_ENOMEM);
    ck_assert_int_eq(e.code, DF_ENOMEM);
    for (int obj = 0; obj < DF_OBJ_COUNT; obj++) {
        ck_assert_int_eq(df_solve_exact(n, (df_objective)obj, &m, NULL, &e), DF_ENOMEM);
        ck_assert_msg(strstr(e.msg, "out of memory"), "%s", e.msg);
    }
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_LATENCY, &m, NULL, &e), DF_OK); /* singletons: no heap */
    ck_assert_int_eq(df_repair(n, DF_OBJ_LATENCY, &all, 10, NULL, &e), DF_ENOMEM);
    calloc_fail_above = 0;
    ck_assert_int_eq(df_group_eval(n, 0, L - 1, 1, &g), DF_OK);
    ck_assert_int_eq(df_group_eval(n, 0, L, 1, &g), DF_EINVAL);
    df_mapping_free(&m);
    df_mapping_free(&all);
    df_net_free(n);
    df_workload_free(&w);
#endif
}
END_TEST

static Suite *exact_suite(void) {
    Suite *s = suite_create("exact");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_exact_matches_brute_force_chains);
    tcase_add_test(tc, test_exact_matches_brute_force_dags);
    tcase_add_test(tc, test_exact_depth_first_matches_brute_force_chains);
    tcase_add_test(tc, test_exact_depth_first_matches_brute_force_dags);
    tcase_add_test(tc, test_fusion_helps_when_dram_bound);
    tcase_add_test(tc, test_infeasible_budget_reported_by_solvers);
    tcase_add_test(tc, test_solver_names);
    tcase_add_test(tc, test_cancel_flag);
    tcase_add_test(tc, test_oom_is_an_error_not_infeasible);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(exact_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
