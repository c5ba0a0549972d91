/* check_repair.c - Check suite "repair": the local search returns a feasible mapping from any start
 * (feasible or not), never a worse one, cannot improve on the exact optimum, and improves
 * layer-by-layer starts when fusion pays. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include "dnnfuser/solve.h"

static double value(const df_net *n, const df_mapping *m, df_objective o, int *feasible) {
    df_metrics mt;
    df_err e;
    ck_assert_int_eq(df_mapping_eval(n, m, &mt, NULL, &e), DF_OK);
    *feasible = mt.feasible;
    return mt.feasible ? df_objective_value(o, &mt) : INFINITY;
}

START_TEST(test_random_starts) {
    df_rng r;
    df_rng_seed(&r, 31);
    int from_infeasible = 0;
    for (int c = 0; c < 60; c++) {
        df_workload w;
        tu_random_workload(&w, &r, 5 + df_rng_range(&r, 10), df_rng_range(&r, 2));
        int32_t N = 1 + df_rng_range(&r, 12);
        df_hw h = tu_hw(8, 8, (df_dataflow)df_rng_range(&r, 3), 1, 4 + df_rng_range(&r, 16), 32, 1);
        df_net *n;
        df_err e;
        ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
        df_net_check_budget(n, &e);
        df_net_free(n);
        h.buffer_bytes = (int64_t)(e.need_bytes * (1 + 5 * df_rng_uniform(&r)));
        ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
        df_objective o = (df_objective)(c % DF_OBJ_COUNT);
        df_mapping m, ex;
        df_mapping_init(&m, 8);
        df_mapping_init(&ex, 8);
        for (int32_t i = 0; i < w.n_layers; i++) {
            int32_t mb = 1 + df_rng_range(&r, N);
            if (i == 0 || df_rng_range(&r, 3) == 0)
                df_mapping_push(&m, i, i, mb);
            else
                m.groups[m.n_groups - 1].last = i;
        }
        int f0, f1;
        double v0 = value(n, &m, o, &f0);
        from_infeasible += !f0;
        ck_assert_int_eq(df_repair(n, o, &m, 1000, NULL, &e), DF_OK);
        double v1 = value(n, &m, o, &f1);
        ck_assert(f1);
        ck_assert(v1 <= v0);
        ck_assert_int_eq(df_solve_exact(n, o, &ex, NULL, &e), DF_OK);
        int fe;
        double ve = value(n, &ex, o, &fe);
        ck_assert(v1 >= ve * (1 - 1e-9));
        /* the optimum is a fixed point */
        ck_assert_int_eq(df_repair(n, o, &ex, 1000, NULL, &e), DF_OK);
        ck_assert(fabs(value(n, &ex, o, &fe) - ve) <= 1e-9 * ve);
        df_mapping_free(&m);
        df_mapping_free(&ex);
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_int_gt(from_infeasible, 5); /* the infeasible-start path really ran */
}
END_TEST

START_TEST(test_improves_layer_by_layer_when_dram_bound) {
    df_workload w;
    df_net *n = tu_chain3_net(&w);
    df_err e;
    df_mapping m;
    df_mapping_init(&m, 4);
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_DRAM, &m, NULL, &e), DF_OK);
    int f;
    double before = value(n, &m, DF_OBJ_DRAM, &f);
    ck_assert_int_eq(df_repair(n, DF_OBJ_DRAM, &m, 100, NULL, &e), DF_OK);
    ck_assert(value(n, &m, DF_OBJ_DRAM, &f) < before);
    ck_assert_int_eq(m.n_groups, 1);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_cancel_keeps_a_feasible_mapping) {
    /* cancelled before the first move: DF_ECANCELED, and the (made-feasible) start is still valid */
    df_workload w;
    df_net *n = tu_chain3_net(&w);
    df_err e;
    df_mapping m;
    df_mapping_init(&m, 4);
    ck_assert_int_eq(df_solve_lbl(n, DF_OBJ_DRAM, &m, NULL, &e), DF_OK);
    int f;
    double before = value(n, &m, DF_OBJ_DRAM, &f);
    atomic_int flag = 1;
    df_solve_stats st = {.cancel = &flag};
    ck_assert_int_eq(df_repair(n, DF_OBJ_DRAM, &m, 100, &st, &e), DF_ECANCELED);
    ck_assert(value(n, &m, DF_OBJ_DRAM, &f) == before && f);
    flag = 0;
    ck_assert_int_eq(df_repair(n, DF_OBJ_DRAM, &m, 100, &st, &e), DF_OK);
    ck_assert(value(n, &m, DF_OBJ_DRAM, &f) < before && f);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Depth-first space: a layer-by-layer mapping that does not fit whole is made feasible with tiles and
 * then improved by the moves (tiles, modes, boundaries); the batch repair reports the budget. */
START_TEST(test_depth_first_repair) {
    df_workload w;
    df_net *n = tu_df_chain4(&w, 5 << 10, DF_DATAFLOW_WS);
    df_err e;
    df_mapping m;
    df_mapping_init(&m, 4);
    for (int32_t i = 0; i < 4; i++) df_mapping_push(&m, i, i, 1);
    df_metrics a, b;
    ck_assert_int_eq(df_mapping_eval(n, &m, &a, NULL, &e), DF_OK);
    ck_assert(!a.feasible);
    ck_assert_int_eq(df_repair(n, DF_OBJ_ENERGY, &m, 100, NULL, &e), DF_EINFEASIBLE);
    /* no moves: only made feasible (by tiles); then the moves improve on that */
    df_mapping c;
    df_mapping_init(&c, 4);
    df_mapping_copy(&c, &m);
    ck_assert_int_eq(df_repair_in(n, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &c, 0, NULL, &e), DF_OK);
    ck_assert_int_eq(df_repair_in(n, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &m, 100, NULL, &e), DF_OK);
    df_metrics d;
    ck_assert_int_eq(df_mapping_eval(n, &c, &d, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(n, &m, &b, NULL, &e), DF_OK);
    ck_assert(d.feasible && b.feasible);
    ck_assert(b.energy_pj <= d.energy_pj);
    /* from a poor feasible tiling (1-column tiles) the tile moves find a better one */
    for (int32_t g = 0; g < c.n_groups; g++) {
        c.groups[g] = (df_group){.first = g, .last = g, .micro_batch = 1, .tile_rows = 0, .tile_cols = 1};
    }
    c.n_groups = 4;
    ck_assert_int_eq(df_mapping_eval(n, &c, &d, NULL, &e), DF_OK);
    ck_assert(d.feasible);
    ck_assert_int_eq(df_repair_in(n, DF_OBJ_ENERGY, DF_SPACE_DEPTH_FIRST, &c, 100, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(n, &c, &b, NULL, &e), DF_OK);
    ck_assert(b.feasible && b.energy_pj < d.energy_pj);
    int moved = 0;
    for (int32_t g = 0; g < c.n_groups; g++) moved += c.groups[g].tile_cols != 1;
    ck_assert(moved > 0);
    int tiled = 0;
    for (int32_t g = 0; g < m.n_groups; g++) tiled += !df_group_is_whole(n, &m.groups[g]);
    ck_assert(tiled > 0);
    df_mapping_free(&c);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* The least share of objective o (latency, energy or DRAM) of group [f, l] over every micro-batch
 * candidate x (whole + every tile option in the depth-first space), without the search's cut. */
static double brute_form(const df_net *n, int32_t f, int32_t l, df_objective o, df_space space) {
    int32_t N = df_net_batch(n), mbs[64], nm = df_micro_batches(N, mbs);
    df_tile_option opt[DF_MAX_TILE_OPTIONS + 1];
    opt[0] = (df_tile_option){0, 0, 0};
    int32_t no = 1 + (space == DF_SPACE_DEPTH_FIRST ? df_tile_options(df_net_workload(n), l, opt + 1) : 0);
    double best = INFINITY;
    for (int32_t k = 0; k < nm; k++)
        for (int32_t i = 0; i < no; i++) {
            df_group g = {.first = f,
                          .last = l,
                          .micro_batch = mbs[k],
                          .tile_rows = opt[i].rows,
                          .tile_cols = opt[i].cols,
                          .overlap = opt[i].overlap};
            df_group_cost c;
            ck_assert_int_eq(df_group_eval_tiled(n, &g, &c), DF_OK);
            if (!c.feasible) continue;
            double v = o == DF_OBJ_ENERGY ? c.energy_pj : o == DF_OBJ_DRAM ? c.dram_bytes : c.latency_cycles;
            if (v < best) best = v;
        }
    return best;
}

/* df_repair_forms keeps the boundaries and gives each group its least-cost form: for latency, energy
 * and DRAM the sum of the per-group minima (brute force over every micro-batch candidate and close,
 * no cut), in both spaces (batch: no tile); EDP never worse; an infeasible start whose groups all
 * have a feasible form is made feasible (tiles); a malformed mapping is refused unchanged. */
START_TEST(test_repair_forms) {
    df_err e;
    static const df_objective objs[] = {DF_OBJ_LATENCY, DF_OBJ_ENERGY, DF_OBJ_DRAM, DF_OBJ_EDP};
    for (int net = 0; net < 2; net++) {
        df_workload w = {0};
        df_net *n = net ? tu_zoo_net("resnet18", 1 << 20, 4, NULL) : tu_df_chain4(&w, 5 << 10, DF_DATAFLOW_WS);
        int32_t L = df_net_layers(n);
        df_rng r;
        df_rng_seed(&r, 7 + (uint64_t)net);
        int improved[2] = {0, 0}; /* per space: feasible starts the forms improved */
        for (int t = 0; t < 6; t++)
            for (int oi = 0; oi < 4; oi++)
                for (int sp = 0; sp < 2; sp++) {
                    df_objective o = objs[oi];
                    df_space space = sp ? DF_SPACE_DEPTH_FIRST : DF_SPACE_BATCH;
                    df_mapping m, m0;
                    df_mapping_init(&m, 8);
                    df_mapping_init(&m0, 8);
                    for (int32_t f = 0; f < L;) { /* random boundaries, micro-batch 1, whole */
                        int32_t l = f + df_rng_range(&r, net ? 2 : 4);
                        if (l >= L) l = L - 1;
                        df_mapping_push(&m, f, l, 1);
                        f = l + 1;
                    }
                    df_mapping_copy(&m0, &m);
                    int f0;
                    double v0 = value(n, &m, o, &f0);
                    int32_t changed = -1;
                    ck_assert_int_eq(df_repair_forms(n, o, space, &m, &changed, NULL, &e), DF_OK);
                    ck_assert_int_ge(changed, 0);
                    ck_assert_int_eq(m.n_groups, m0.n_groups);
                    double want = 0;
                    for (int32_t g = 0; g < m.n_groups; g++) {
                        ck_assert_int_eq(m.groups[g].first, m0.groups[g].first);
                        ck_assert_int_eq(m.groups[g].last, m0.groups[g].last);
                        if (space == DF_SPACE_BATCH) ck_assert(df_group_is_whole(n, &m.groups[g]));
                        want += brute_form(n, m.groups[g].first, m.groups[g].last, o, space);
                    }
                    int f1;
                    double v1 = value(n, &m, o, &f1);
                    if (changed == 0) ck_assert(v1 == v0 || (!f0 && !f1));
                    if (f1) ck_assert(v1 <= v0);
                    improved[sp] += f0 && v1 < v0;
                    if (o != DF_OBJ_EDP && isfinite(want)) {
                        ck_assert_msg(f1, "net %d obj %d space %d: a form fits every group but none kept", net, o, sp);
                        ck_assert_msg(fabs(v1 - want) <= 1e-9 * want,
                                      "net %d obj %d space %d: %.9g, per-group min %.9g", net, o, sp, v1, want);
                    }
                    if (net == 0 && sp == 1 && o != DF_OBJ_EDP) ck_assert(!f0 && f1); /* only tiles fit */
                    df_mapping_free(&m);
                    df_mapping_free(&m0);
                }
        if (net) ck_assert_msg(improved[0] > 0 && improved[1] > 0, "improved %d, %d", improved[0], improved[1]);
        /* malformed: refused, unchanged */
        df_mapping m;
        df_mapping_init(&m, 4);
        df_mapping_push(&m, 0, 0, 1);
        ck_assert_int_eq(df_repair_forms(n, DF_OBJ_LATENCY, DF_SPACE_DEPTH_FIRST, &m, NULL, NULL, &e), DF_EINVAL);
        ck_assert_int_eq(m.n_groups, 1);
        ck_assert_int_eq(m.groups[0].micro_batch, 1);
        df_mapping_free(&m);
        df_net_free(n);
        if (!net) df_workload_free(&w);
    }
}
END_TEST

static Suite *repair_suite(void) {
    Suite *s = suite_create("repair");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_starts);
    tcase_add_test(tc, test_depth_first_repair);
    tcase_add_test(tc, test_improves_layer_by_layer_when_dram_bound);
    tcase_add_test(tc, test_cancel_keeps_a_feasible_mapping);
    tcase_add_test(tc, test_repair_forms);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(repair_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
