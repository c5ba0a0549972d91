/* check_ga.c - owns the Check suite "ga" for src/solve/ga.c: the genetic search returns feasible,
 * well-formed mappings on a hand-built conv chain and a residual DAG (edge preset, chosen budgets), is
 * deterministic for a seed, is never worse than the layer-by-layer mappings it is seeded with, reaches
 * the exact optimum on small networks, stays within 1.5x of exact on ResNet-18, reports a too-small
 * budget like the other solvers, and rejects bad parameters with a JSON pointer. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include "dnnfuser/solve.h"
#include "dnnfuser/zoo.h"

/* 6 convs, 3x32x32 in, two stride-2 steps, ending in a 1x1. */
static void chain6(df_workload *w) {
    df_workload_init(w, "chain6");
    tu_conv(w, -1, 3, 32, 32, 16, 3, 1);
    tu_conv(w, 0, 16, 32, 32, 32, 3, 2);
    tu_conv(w, 1, 32, 16, 16, 32, 3, 1);
    tu_conv(w, 2, 32, 16, 16, 64, 3, 2);
    tu_conv(w, 3, 64, 8, 8, 64, 3, 1);
    tu_conv(w, 4, 64, 8, 8, 128, 1, 1);
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "chain6: %s", e.msg);
}

/* Two residual blocks (conv, conv, add with the block input), a stride-2 conv between them, a 1x1
 * head: the skip tensors 0 and 4 stay live across their blocks. */
static void resdag(df_workload *w) {
    df_workload_init(w, "resdag");
    tu_conv(w, -1, 3, 32, 32, 16, 3, 1);                         /* 0 */
    tu_conv(w, 0, 16, 32, 32, 16, 3, 1);                         /* 1 */
    tu_conv(w, 1, 16, 32, 32, 16, 3, 1);                         /* 2 */
    tu_layer(w, DF_LAYER_ADD, 2, 0, 16, 16, 32, 32, 1, 1, 0, 1); /* 3 = 2 + 0 */
    tu_conv(w, 3, 16, 32, 32, 32, 3, 2);                         /* 4 */
    tu_conv(w, 4, 32, 16, 16, 32, 3, 1);                         /* 5 */
    tu_layer(w, DF_LAYER_ADD, 5, 4, 32, 32, 16, 16, 1, 1, 0, 1); /* 6 = 5 + 4 */
    tu_conv(w, 6, 32, 16, 16, 64, 1, 1);                         /* 7 */
    df_err e;
    ck_assert_msg(df_workload_validate(w, 0, &e) == DF_OK, "resdag: %s", e.msg);
}

static df_net *edge_net(const df_workload *w, int64_t budget, int32_t N) {
    df_hw h;
    df_err e;
    ck_assert_int_eq(df_hw_preset("edge", &h, &e), DF_OK);
    h.buffer_bytes = budget;
    df_net *n;
    ck_assert_msg(df_net_init(&n, w, &h, N, &e) == DF_OK, "net: %s", e.msg);
    return n;
}

/* Feasible and well-formed (df_mapping_eval is the judge); returns the objective value. */
static double value(const df_net *n, const df_mapping *m, df_objective o) {
    df_metrics mt;
    df_err e;
    ck_assert_msg(df_mapping_eval(n, m, &mt, NULL, &e) == DF_OK, "malformed mapping: %s", e.msg);
    ck_assert(mt.feasible);
    ck_assert_int_eq(m->groups[0].first, 0);
    ck_assert_int_eq(m->groups[m->n_groups - 1].last, df_net_layers(n) - 1);
    return df_objective_value(o, &mt);
}

static double ga_value(const df_net *n, df_objective o, const df_ga_params *p, df_solve_stats *st) {
    df_mapping m;
    df_mapping_init(&m, 2);
    df_err e;
    ck_assert_msg(df_solve_ga(n, o, p, &m, st, &e) == DF_OK, "ga: %s", e.msg);
    double v = value(n, &m, o);
    df_mapping_free(&m);
    return v;
}

static double exact_value(const df_net *n, df_objective o) {
    df_mapping m;
    df_mapping_init(&m, 2);
    df_err e;
    ck_assert_msg(df_solve_exact(n, o, &m, NULL, &e) == DF_OK, "exact: %s", e.msg);
    double v = value(n, &m, o);
    df_mapping_free(&m);
    return v;
}

/* The all-singleton mapping at micro-batch 1: the GA's first seed. */
static double lbl_m1_value(const df_net *n, df_objective o) {
    df_mapping m;
    df_mapping_init(&m, 2);
    for (int32_t i = 0; i < df_net_layers(n); i++) df_mapping_push(&m, i, i, 1);
    double v = value(n, &m, o);
    df_mapping_free(&m);
    return v;
}

START_TEST(test_defaults) {
    df_ga_params p;
    df_ga_params_default(&p);
    ck_assert_int_eq(p.population, 64);
    ck_assert_int_eq(p.generations, 200);
    ck_assert_int_eq(p.tournament, 3);
    ck_assert(p.crossover == 0.9);
    ck_assert(p.mutation <= 0);
    ck_assert_int_eq(p.elites, 2);
    ck_assert(p.seed == 1);
}
END_TEST

/* Feasible, well-formed, stats filled; NULL params = defaults; out is overwritten, not appended to. */
START_TEST(test_feasible_well_formed) {
    for (int k = 0; k < 2; k++) {
        df_workload w;
        if (k)
            resdag(&w);
        else
            chain6(&w);
        int64_t budgets[] = {16 << 10, 32 << 10, 64 << 10};
        for (int b = 0; b < 3; b++) {
            df_net *n = edge_net(&w, budgets[b], 8);
            for (int o = 0; o < DF_OBJ_COUNT; o++) {
                df_mapping m;
                df_mapping_init(&m, 2);
                df_mapping_push(&m, 0, 0, 1); /* junk that must be replaced */
                df_mapping_push(&m, 5, 2, 9);
                df_err e;
                df_solve_stats st = {0};
                st.exact = 7;
                ck_assert_int_eq(df_solve_ga(n, (df_objective)o, NULL, &m, &st, &e), DF_OK);
                value(n, &m, (df_objective)o);
                ck_assert_int_eq(st.exact, 0);
                /* at least the L singleton probes at m = 1 and one group per initial individual */
                ck_assert(st.groups_evaluated >= df_net_layers(n) + 64);
                df_mapping_free(&m);
            }
            df_net_free(n);
        }
        df_workload_free(&w);
    }
}
END_TEST

START_TEST(test_deterministic) {
    df_workload w;
    resdag(&w);
    df_net *n = edge_net(&w, 32 << 10, 8);
    df_ga_params p;
    df_ga_params_default(&p);
    p.generations = 40;
    p.seed = 12345;
    for (int o = 0; o < DF_OBJ_COUNT; o++) {
        df_mapping a, b;
        df_mapping_init(&a, 2);
        df_mapping_init(&b, 2);
        df_err e;
        df_solve_stats sa = {0}, sb = {0};
        ck_assert_int_eq(df_solve_ga(n, (df_objective)o, &p, &a, &sa, &e), DF_OK);
        ck_assert_int_eq(df_solve_ga(n, (df_objective)o, &p, &b, &sb, &e), DF_OK);
        ck_assert(same_groups(&a, &b));
        ck_assert(sa.groups_evaluated == sb.groups_evaluated);
        df_mapping_free(&a);
        df_mapping_free(&b);
    }
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Never worse than its layer-by-layer seeds (m = 1 singletons for every objective; the best
 * layer-by-layer mapping, df_solve_lbl, for the separable ones), even with a single generation, no
 * elites and a tiny population: the answer is the best feasible individual ever seen. */
START_TEST(test_never_worse_than_lbl) {
    df_rng r;
    df_rng_seed(&r, 77);
    df_ga_params tiny;
    df_ga_params_default(&tiny);
    tiny.population = 3;
    tiny.generations = 1;
    tiny.elites = 0;
    tiny.tournament = 1;
    tiny.mutation = 1;
    for (int c = 0; c < 8; c++) {
        df_workload w;
        if (c < 2)
            chain6(&w);
        else if (c < 4)
            resdag(&w);
        else
            tu_random_workload(&w, &r, 8 + df_rng_range(&r, 12), c & 1);
        int64_t budget = (int64_t)(8 << 10) << df_rng_range(&r, 5);
        df_net *n = edge_net(&w, budget, 1 + df_rng_range(&r, 16));
        df_err e;
        if (df_net_check_budget(n, &e) != DF_OK) { /* random nets may need more: use the minimum */
            df_net_free(n);
            n = edge_net(&w, e.need_bytes, 1 + df_rng_range(&r, 16));
        }
        for (int o = 0; o < DF_OBJ_COUNT; o++) {
            df_objective obj = (df_objective)o;
            double seed1 = lbl_m1_value(n, obj), lbl = INFINITY;
            if (obj != DF_OBJ_EDP) {
                df_mapping m;
                df_mapping_init(&m, 2);
                ck_assert_int_eq(df_solve_lbl(n, obj, &m, NULL, &e), DF_OK);
                lbl = value(n, &m, obj);
                df_mapping_free(&m);
            }
            const df_ga_params *ps[] = {NULL, &tiny};
            for (int q = 0; q < 2; q++) {
                double v = ga_value(n, obj, ps[q], NULL);
                ck_assert_msg(v <= seed1 * (1 + 1e-12), "%s: ga %g > m=1 layer-by-layer %g", df_objective_name(obj), v,
                              seed1);
                if (obj != DF_OBJ_EDP)
                    ck_assert_msg(v <= lbl * (1 + 1e-12), "%s: ga %g > lbl %g", df_objective_name(obj), v, lbl);
            }
        }
        df_net_free(n);
        df_workload_free(&w);
    }
}
END_TEST

/* Generous settings reach the exact optimum on the chain and the residual DAG: tight, middle and
 * roomy budgets, batch 4 and 8, every objective. */
START_TEST(test_reaches_exact_on_chain_and_dag) {
    df_ga_params p;
    df_ga_params_default(&p);
    p.population = 64;
    p.generations = 300;
    for (int k = 0; k < 2; k++) {
        df_workload w;
        if (k)
            resdag(&w);
        else
            chain6(&w);
        int64_t budgets[] = {16 << 10, 32 << 10, 64 << 10};
        int32_t batches[] = {4, 8};
        for (int b = 0; b < 3; b++)
            for (int nb = 0; nb < 2; nb++) {
                df_net *n = edge_net(&w, budgets[b], batches[nb]);
                for (int o = 0; o < DF_OBJ_COUNT; o++) {
                    double ve = exact_value(n, (df_objective)o), vg = ga_value(n, (df_objective)o, &p, NULL);
                    ck_assert_msg(vg >= ve * (1 - 1e-12), "ga beat the exact optimum");
                    ck_assert_msg(vg <= ve * (1 + 1e-9), "%s budget %lld N %d %s: ga/exact = %.6f", w.name,
                                  (long long)budgets[b], batches[nb], df_objective_name((df_objective)o), vg / ve);
                }
                df_net_free(n);
            }
        df_workload_free(&w);
    }
}
END_TEST

/* Random small chains and DAGs (6..9 layers, budgets 1.5..7.5x the minimum): the GA at defaults
 * reaches the optimum on all but at most one. */
START_TEST(test_reaches_exact_on_random_small) {
    df_rng r;
    df_rng_seed(&r, 21);
    int hit = 0, total = 0;
    for (int c = 0; c < 16; c++) {
        df_workload w;
        tu_random_workload(&w, &r, 6 + df_rng_range(&r, 4), c & 1);
        df_hw h = tu_hw(8, 8, (df_dataflow)df_rng_range(&r, 3), 1, 8, 32, 1);
        int32_t N = 1 + df_rng_range(&r, 8);
        df_net *n;
        df_err e;
        ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
        ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
        df_net_free(n);
        h.buffer_bytes = (int64_t)(e.need_bytes * (1.5 + 6 * df_rng_uniform(&r)));
        ck_assert_int_eq(df_net_init(&n, &w, &h, N, &e), DF_OK);
        df_objective o = (df_objective)(c % DF_OBJ_COUNT);
        double ve = exact_value(n, o), vg = ga_value(n, o, NULL, NULL);
        ck_assert(vg >= ve * (1 - 1e-12));
        hit += vg <= ve * (1 + 1e-9);
        total++;
        df_net_free(n);
        df_workload_free(&w);
    }
    ck_assert_msg(hit >= total - 1, "GA reached the optimum on %d of %d small networks", hit, total);
}
END_TEST

/* The budget exactly at the minimum: most random individuals overflow, the answer is still feasible. */
START_TEST(test_minimum_budget) {
    df_workload w;
    resdag(&w);
    df_net *n = edge_net(&w, 1, 8);
    df_err e;
    ck_assert_int_eq(df_net_check_budget(n, &e), DF_EINFEASIBLE);
    int64_t need = e.need_bytes;
    df_net_free(n);
    n = edge_net(&w, need, 8);
    for (int o = 0; o < DF_OBJ_COUNT; o++) {
        double vg = ga_value(n, (df_objective)o, NULL, NULL), ve = exact_value(n, (df_objective)o);
        ck_assert(vg >= ve * (1 - 1e-12) && vg <= ve * (1 + 1e-9));
    }
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_resnet18_close_to_exact) {
    df_workload w;
    df_err e;
    ck_assert_msg(df_zoo_build("resnet18", NULL, &w, &e) == DF_OK, "zoo: %s", e.msg);
    df_net *n = edge_net(&w, 512 << 10, 4);
    for (int o = 0; o < DF_OBJ_COUNT; o++) {
        df_solve_stats st = {0};
        double ve = exact_value(n, (df_objective)o), vg = ga_value(n, (df_objective)o, NULL, &st);
        double ratio = vg / ve;
        ck_assert_msg(ratio >= 1 - 1e-12 && ratio <= 1.5, "resnet18 %s: GA/exact = %.4f",
                      df_objective_name((df_objective)o), ratio);
        ck_assert(st.groups_evaluated > 0 && st.exact == 0);
    }
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_infeasible_budget) {
    df_workload w;
    chain6(&w);
    df_net *n = edge_net(&w, 1024, 4);
    df_mapping m;
    df_mapping_init(&m, 2);
    df_err e;
    df_solve_stats st = {0};
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, NULL, &m, &st, &e), DF_EINFEASIBLE);
    ck_assert_int_eq(e.code, DF_EINFEASIBLE);
    ck_assert_int_ge(e.layer, 0);
    ck_assert_int_lt(e.layer, df_net_layers(n));
    ck_assert(e.need_bytes > df_net_hw(n)->buffer_bytes);
    ck_assert_int_eq(e.field, DF_FIELD_BUDGET);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

static void expect_einval(const df_net *n, const df_ga_params *p, const char *pointer) {
    df_mapping m;
    df_mapping_init(&m, 2);
    df_err e;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, p, &m, NULL, &e), DF_EINVAL);
    ck_assert_int_eq(e.code, DF_EINVAL);
    char knob[64]; /* the library names the knob (field ga, sub "population"); report spells "/ga/population" */
    snprintf(knob, sizeof knob, "/ga/%s", e.sub);
    ck_assert_int_eq(e.field, DF_FIELD_GA);
    ck_assert_str_eq(knob, pointer);
    ck_assert(e.msg[0] != '\0');
    df_mapping_free(&m);
}

START_TEST(test_cancel_flag) {
    df_workload w;
    df_err e;
    ck_assert_msg(df_zoo_build("resnet18", NULL, &w, &e) == DF_OK, "zoo: %s", e.msg);
    df_net *n = edge_net(&w, 512 << 10, 4);
    df_mapping m;
    df_mapping_init(&m, 2);
    atomic_int flag = 1;
    df_solve_stats st = {.cancel = &flag};
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, NULL, &m, &st, &e), DF_ECANCELED);
    ck_assert_ptr_eq(st.cancel, &flag);
    flag = 0;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_LATENCY, NULL, &m, &st, &e), DF_OK);
    ck_assert_int_gt(m.n_groups, 0);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

START_TEST(test_bad_params) {
    df_workload w;
    chain6(&w);
    df_net *n = edge_net(&w, 1024, 4); /* infeasible too: parameters are checked first */
    df_ga_params p;
#define BAD(field, v, ptr)         \
    do {                           \
        df_ga_params_default(&p);  \
        p.field = (v);             \
        expect_einval(n, &p, ptr); \
    } while (0)
    BAD(population, 1, "/ga/population");
    BAD(population, -5, "/ga/population");
    BAD(generations, 0, "/ga/generations");
    BAD(tournament, 0, "/ga/tournament");
    BAD(tournament, -3, "/ga/tournament");
    BAD(crossover, -0.1, "/ga/crossover");
    BAD(crossover, 1.5, "/ga/crossover");
    BAD(crossover, NAN, "/ga/crossover");
    BAD(mutation, 1.01, "/ga/mutation");
    BAD(mutation, NAN, "/ga/mutation");
    BAD(elites, -1, "/ga/elites");
#undef BAD
    /* the extremes of the valid ranges are accepted */
    df_net *ok = edge_net(&w, 32 << 10, 4);
    df_ga_params_default(&p);
    p.population = 2;
    p.generations = 1;
    p.tournament = 2;
    p.crossover = 0;
    p.mutation = 1;
    p.elites = 1;
    ga_value(ok, DF_OBJ_LATENCY, &p, NULL);
    df_ga_params_default(&p);
    p.crossover = 1;
    p.mutation = -3; /* <= 0: 1/L */
    p.elites = 0;
    p.tournament = 1;
    ga_value(ok, DF_OBJ_ENERGY, &p, NULL);
    /* unknown objective */
    df_mapping m;
    df_mapping_init(&m, 2);
    df_err e;
    ck_assert_int_eq(df_solve_ga(ok, (df_objective)DF_OBJ_COUNT, NULL, &m, NULL, &e), DF_EINVAL);
    df_mapping_free(&m);
    df_net_free(ok);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Every population the API allows works with the default tournament (3) and elites (2): they are
 * clamped to the population (tournament <= population, elites <= population - 1). Population 2 used
 * to fail with "tournament = 3 out of range". A clamped run is the same search as one given the
 * clamped values, so the answers are identical. */
START_TEST(test_population_two_clamps) {
    df_workload w;
    chain6(&w);
    df_net *n = edge_net(&w, 32 << 10, 4);
    for (int pop = 2; pop <= 4; pop++) {
        df_ga_params p;
        df_ga_params_default(&p);
        p.population = pop;
        p.generations = 20;
        df_mapping a, b;
        df_mapping_init(&a, 2);
        df_mapping_init(&b, 2);
        df_err e;
        ck_assert_msg(df_solve_ga(n, DF_OBJ_LATENCY, &p, &a, NULL, &e) == DF_OK, "population %d: %s", pop, e.msg);
        value(n, &a, DF_OBJ_LATENCY);
        df_ga_params q = p;
        q.tournament = pop < 3 ? pop : 3;
        q.elites = pop - 1 < 2 ? pop - 1 : 2;
        ck_assert_msg(df_solve_ga(n, DF_OBJ_LATENCY, &q, &b, NULL, &e) == DF_OK, "population %d: %s", pop, e.msg);
        ck_assert_int_eq(a.n_groups, b.n_groups);
        ck_assert_double_eq(value(n, &a, DF_OBJ_LATENCY), value(n, &b, DF_OBJ_LATENCY));
        /* far above the population: the same clamp */
        q.tournament = 1000;
        q.elites = 1000;
        df_mapping c;
        df_mapping_init(&c, 2);
        ck_assert_msg(df_solve_ga(n, DF_OBJ_LATENCY, &q, &c, NULL, &e) == DF_OK, "population %d: %s", pop, e.msg);
        ck_assert_double_eq(value(n, &a, DF_OBJ_LATENCY), value(n, &c, DF_OBJ_LATENCY));
        df_mapping_free(&a);
        df_mapping_free(&b);
        df_mapping_free(&c);
    }
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

/* Depth-first space (issue 14): where no layer fits whole, the tile genes find a feasible mapping,
 * never better than the exact depth-first optimum; the batch space is refused as before. */
START_TEST(test_depth_first_space) {
    df_workload w;
    df_net *n = tu_df_chain4(&w, 5 << 10, DF_DATAFLOW_WS);
    df_err e;
    df_mapping m;
    df_mapping_init(&m, 4);
    df_ga_params p;
    df_ga_params_default(&p);
    p.generations = 40;
    ck_assert_int_eq(df_solve_ga(n, DF_OBJ_DRAM, &p, &m, NULL, &e), DF_EINFEASIBLE);
    ck_assert_int_eq(df_solve_ga_in(n, DF_OBJ_DRAM, DF_SPACE_DEPTH_FIRST, &p, &m, NULL, &e), DF_OK);
    df_metrics mg, mx;
    ck_assert_int_eq(df_mapping_eval(n, &m, &mg, NULL, &e), DF_OK);
    ck_assert(mg.feasible);
    int tiled = 0;
    for (int32_t g = 0; g < m.n_groups; g++) tiled += !df_group_is_whole(n, &m.groups[g]);
    ck_assert(tiled > 0);
    ck_assert_int_eq(df_solve_exact_in(n, DF_OBJ_DRAM, DF_SPACE_DEPTH_FIRST, &m, NULL, &e), DF_OK);
    ck_assert_int_eq(df_mapping_eval(n, &m, &mx, NULL, &e), DF_OK);
    ck_assert(mx.dram_bytes <= mg.dram_bytes * (1 + 1e-12));
    ck_assert_int_eq(df_solve_ga_in(n, DF_OBJ_DRAM, DF_SPACE_COUNT, &p, &m, NULL, &e), DF_EINVAL);
    df_mapping_free(&m);
    df_net_free(n);
    df_workload_free(&w);
}
END_TEST

static Suite *ga_suite(void) {
    Suite *s = suite_create("ga");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_depth_first_space);
    tcase_add_test(tc, test_feasible_well_formed);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_never_worse_than_lbl);
    tcase_add_test(tc, test_reaches_exact_on_chain_and_dag);
    tcase_add_test(tc, test_reaches_exact_on_random_small);
    tcase_add_test(tc, test_minimum_budget);
    tcase_add_test(tc, test_resnet18_close_to_exact);
    tcase_add_test(tc, test_infeasible_budget);
    tcase_add_test(tc, test_bad_params);
    tcase_add_test(tc, test_cancel_flag);
    tcase_add_test(tc, test_population_two_clamps);
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
