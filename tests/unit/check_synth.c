/* check_synth.c - Check suite "synth": the network builder and the random network generator produce
 * valid, deterministic, bounded networks of every family; the builder reports the first error. */
#include "testutil.h"

#include <stdlib.h>
#include "dnnfuser/netbuild.h"
#include "dnnfuser/synth.h"

START_TEST(test_all_kinds_valid_and_bounded) {
    df_rng r;
    df_rng_seed(&r, 3);
    int seen[DF_SYNTH_KINDS] = {0};
    for (int i = 0; i < 200; i++) {
        df_workload w;
        df_err e;
        int kind = i % DF_SYNTH_KINDS;
        ck_assert_msg(df_synth_network(&r, kind, 160, &w, &e) == DF_OK, "kind %d: %s", kind, e.msg);
        ck_assert_int_le(w.n_layers, 160);
        ck_assert_int_ge(w.n_layers, 3);
        ck_assert(df_workload_macs(&w) > 0);
        ck_assert_int_eq(df_workload_validate(&w, 0, &e), DF_OK);
        seen[kind]++;
        df_workload_free(&w);
    }
    for (int k = 0; k < DF_SYNTH_KINDS; k++) ck_assert_int_eq(seen[k], 50);
}
END_TEST

START_TEST(test_deterministic) {
    df_rng a, b;
    df_rng_seed(&a, 77);
    df_rng_seed(&b, 77);
    for (int i = 0; i < 20; i++) {
        df_workload x, y;
        ck_assert_int_eq(df_synth_network(&a, -1, 0, &x, NULL), DF_OK);
        ck_assert_int_eq(df_synth_network(&b, -1, 0, &y, NULL), DF_OK);
        ck_assert_int_eq(x.n_layers, y.n_layers);
        ck_assert_int_eq(memcmp(x.layers, y.layers, (size_t)x.n_layers * sizeof *x.layers), 0);
        df_workload_free(&x);
        df_workload_free(&y);
    }
}
END_TEST

START_TEST(test_builder_shapes_and_sticky_error) {
    df_workload w;
    df_workload_init(&w, "b");
    df_netbuild b;
    df_nb_init(&b, &w, 3, 224, 224);
    int32_t c = df_nb_conv(&b, "conv1", -1, 64, 7, 2, 3, 1);
    ck_assert_int_eq(c, 0);
    ck_assert_int_eq(w.layers[0].P, 112);
    int32_t p = df_nb_pool(&b, "pool", c, 3, 2, 1);
    ck_assert_int_eq(w.layers[p].P, 56);
    int32_t f = df_nb_fc(&b, "fc", df_nb_gpool(&b, "gp", p), 1000);
    ck_assert_int_eq(w.layers[f].C, 64);
    /* an add of mismatched shapes fails and the error sticks */
    ck_assert_int_eq(df_nb_add(&b, "bad", c, p), -1);
    ck_assert_int_eq(df_nb_conv(&b, "after", p, 8, 1, 1, 0, 1), -1);
    df_err e;
    ck_assert_int_eq(df_nb_finish(&b, &e), DF_EINVAL);
    ck_assert_ptr_nonnull(strstr(e.msg, "bad"));
    df_workload_free(&w);
}
END_TEST

static Suite *synth_suite(void) {
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_all_kinds_valid_and_bounded);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_builder_shapes_and_sticky_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    SRunner *sr = srunner_create(synth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
