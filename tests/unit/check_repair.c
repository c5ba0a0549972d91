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

static Suite *repair_suite(void) {
    Suite *s = suite_create("repair");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_random_starts);
    tcase_add_test(tc, test_depth_first_repair);
    tcase_add_test(tc, test_improves_layer_by_layer_when_dram_bound);
    tcase_add_test(tc, test_cancel_keeps_a_feasible_mapping);
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
