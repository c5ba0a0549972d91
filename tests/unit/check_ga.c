/* check_ga.c - Check suite "ga": the genetic search returns feasible, well-formed mappings, is
 * deterministic for a seed, reaches the exact optimum on small networks, stays close on ResNet-18,
 * reports a too-small budget like the other solvers, and rejects bad parameters. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

static double value(const df_net *n, const df_mapping *m, df_objective o) {
    df_metrics mt;
    df_err e;
    ck_assert_int_eq(df_mapping_eval(n, m, &mt, NULL, &e), DF_OK);
    ck_assert(mt.feasible);
    return df_objective_value(o, &mt);
}

static df_net *random_net(df_rng *r, df_workload *w, int32_t L, int32_t N, double factor) {
    tu_random_workload(w, r, L, df_rng_range(r, 2));
    df_hw h = tu_hw(8, 8, (df_dataflow)df_rng_range(r, 3), 1, 8, 32, 1);
    df_net *n;
    df_err e;
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    df_net_free(n);
    h.buffer_bytes = (int64_t)(e.need_bytes * factor);
    ck_assert_int_eq(df_net_init(&n, w, &h, N, &e), DF_OK);
    return n;
}

START_TEST(test_reaches_optimum_on_small_networks) {
    df_rng r;
    df_rng_seed(&r, 21);
    df_ga_params p;
    df_ga_params_default(&p);
    p.generations = 150;
    int hit = 0, total = 0;
    for (int c = 0; c < 12; c++) {
        df_workload w;
        df_net *n = random_net(&r, &w, 6 + df_rng_range(&r, 4), 1 + df_rng_range(&r, 8), 1.5 + 6 * df_rng_uniform(&r));
        df_objective o = (df_objective)(c % DF_OBJ_COUNT);
        df_mapping ex, ga, lbl;
        df_mapping_init(&ex, 8);
        df_mapping_init(&ga, 8);
        df_mapping_init(&lbl, 8);
        df_err e;
        df_solve_stats st;
        ck_assert_int_eq(df_solve_exact(n, o, &ex, NULL, &e), DF_OK);
        ck_assert_int_eq(df_solve_ga(n, o, &p, &ga, &st, &e), DF_OK);
        ck_assert_int_eq(df_solve_lbl(n, o, &lbl, NULL, &e), DF_OK);
        double ve = value(n, &ex, o), vg = value(n, &ga, o);
        ck_assert(vg >= ve * (1 - 1e-12));          /* nothing beats the optimum */
        ck_assert(st.groups_evaluated > 0);
        hit += vg <= ve * (1 + 1e-9);
        total++;
        df_mapping_free(&ex);
        df_mapping_free(&ga);
        df_mapping_free(&lbl);
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_msg(hit >= total - 1, "GA reached the optimum on %d of %d small networks", hit, total);
}
END_TEST

START_TEST(test_deterministic) {
    df_rng r;
    df_rng_seed(&r, 5);
    df_workload w;
    df_net *n = random_net(&r, &w, 12, 8, 3.0);
    df_ga_params p;
    df_ga_params_default(&p);
    p.generations = 30;
    df_mapping a, b;
    df_mapping_init(&a, 8);
    df_mapping_init(&b, 8);
    df_err e;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, &p, &a, NULL, &e), DF_OK);
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, &p, &b, NULL, &e), DF_OK);
    ck_assert_int_eq(a.n_groups, b.n_groups);
    for (int32_t g = 0; g < a.n_groups; g++) {
        ck_assert_int_eq(a.groups[g].last, b.groups[g].last);
        ck_assert_int_eq(a.groups[g].micro_batch, b.groups[g].micro_batch);
    }
    df_mapping_free(&a);
    df_mapping_free(&b);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_resnet18_close_to_exact) {
    df_workload w;
    df_hw h;
    df_err e;
    ck_assert_int_eq(df_zoo_build("resnet18", NULL, &w, &e), DF_OK);
    ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
    df_net *n;
    ck_assert_int_eq(df_net_init(&n, &w, &h, 4, &e), DF_OK);
    df_mapping ex, ga;
    df_mapping_init(&ex, 8);
    df_mapping_init(&ga, 8);
    ck_assert_int_eq(df_solve_exact(n, DF_OBJ_LATENCY, &ex, NULL, &e), DF_OK);
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, NULL, &ga, NULL, &e), DF_OK);
    double ratio = value(n, &ga, DF_OBJ_LATENCY) / value(n, &ex, DF_OBJ_LATENCY);
    ck_assert_msg(ratio >= 1 - 1e-12 && ratio <= 1.5, "GA/exact = %.4f", ratio);
    df_mapping_free(&ex);
    df_mapping_free(&ga);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_infeasible_and_bad_params) {
    df_rng r;
    df_rng_seed(&r, 2);
    df_workload w;
    df_net *n = random_net(&r, &w, 6, 2, 0.5); /* half the minimum footprint */
    df_mapping m;
    df_mapping_init(&m, 8);
    df_err e;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, NULL, &m, NULL, &e), DF_EINFEASIBLE);
    ck_assert_int_ge(e.layer, 0);
    ck_assert(e.need_bytes > df_net_hw(n)->buffer_bytes);
    df_ga_params p;
    df_ga_params_default(&p);
    p.population = 1;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, &p, &m, NULL, &e), DF_EINVAL);
    ck_assert_str_eq(e.pointer, "/ga/population");
    df_ga_params_default(&p);
    p.elites = p.population;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, &p, &m, NULL, &e), DF_EINVAL);
    df_ga_params_default(&p);
    p.crossover = 1.5;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, &p, &m, NULL, &e), DF_EINVAL);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

static Suite *ga_suite(void) {
    Suite *s = suite_create("ga");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_reaches_optimum_on_small_networks);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_resnet18_close_to_exact);
    tcase_add_test(tc, test_infeasible_and_bad_params);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(ga_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
